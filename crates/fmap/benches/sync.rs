//! Synchronization-object benchmarks: fmap side by side with the raw Linux primitive, in one run.
//!
//! Groups (criterion ids `group/function`):
//!
//! * `mutex_uncontended/…`: acquire + release of a free mutex by one thread.
//!   * `fmap_try_lock_drop`: `Mutex::try_lock()` and drop of the guard.
//!   * `fmap_wait0_release`: `Mutex::wait(Some(ZERO))` + `Mutex::release()`.
//!   * `pthread_robust_pshared`: `pthread_mutex_lock` + `pthread_mutex_unlock` of a
//!     process-shared, robust, normal-type mutex in a `MAP_SHARED` mapping (the target
//!     baseline: fmap ≤ 1.3× this).
//!   * `pthread_robust_pshared_trylock`: the same mutex with `pthread_mutex_trylock` (what fmap's
//!     token uses), for the analysis.
//! * `signal_no_waiter/…`: operations that make an object available while nobody waits; none of
//!   them may make a system call.
//!   * `fmap_event_set`: `Event::set` on an (already signaled) auto-reset event.
//!   * `fmap_event_set_reset`: `Event::set` + `Event::reset`.
//!   * `fmap_semaphore_release`: `Semaphore::release(1)` (fresh semaphore with maximum
//!     `i32::MAX` per sample, so it never overflows).
//!   * `fmap_semaphore_release_wait0`: `release(1)` + `wait(Some(ZERO))`.
//!   * `raw_futex_wake_no_waiter`: `FUTEX_WAKE` (shared, not private) on a word of a
//!     `MAP_SHARED` mapping nobody waits on: the price of one system call.
//!   * `atomic_store_seqcst`: a `SeqCst` store to that word: the price of no system call.
//!
//! After criterion, a short *interleaved* run (each operation timed in alternation with its
//! baseline, best of 7 rounds) prints the fmap/raw ratios, so that the ratios come from the same
//! moments of the same run. Every fmap object lives in a fresh namespace under `/dev/shm`.

use criterion::{black_box, Criterion};
use fmap::{Event, Mutex, Namespace, Semaphore, WaitResult};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

const ZERO: Option<Duration> = Some(Duration::ZERO);

fn main() {
    let (_dir, ns) = namespace();
    let fx = Fixture::new(&ns);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    mutex_uncontended(&mut c, &fx);
    signal_no_waiter(&mut c, &fx, &ns);
    c.final_summary();
    ratios(&fx, &ns);
}

/// A fresh namespace in a temporary directory under `/dev/shm`.
fn namespace() -> (tempfile::TempDir, Namespace) {
    let d = tempfile::Builder::new()
        .prefix("fmap-bench-sync-")
        .tempdir_in("/dev/shm")
        .expect("temporary namespace in /dev/shm");
    let ns = Namespace::at(d.path());
    (d, ns)
}

/// One page of `MAP_SHARED` memory holding a robust process-shared pthread mutex (offset 0)
/// and a futex word (offset 64).
struct RawShared {
    ptr: *mut u8,
}

impl RawShared {
    fn new() -> RawShared {
        // SAFETY: a fresh anonymous shared mapping; nothing is replaced.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(p, libc::MAP_FAILED, "mmap");
        let raw = RawShared { ptr: p.cast() };
        // SAFETY: the mutex lies in the fresh page; the attribute object is local.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            assert_eq!(libc::pthread_mutexattr_init(&mut attr), 0);
            assert_eq!(
                libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED),
                0
            );
            assert_eq!(
                libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST),
                0
            );
            assert_eq!(
                libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_NORMAL),
                0
            );
            assert_eq!(libc::pthread_mutex_init(raw.mutex(), &attr), 0);
            libc::pthread_mutexattr_destroy(&mut attr);
        }
        raw
    }

    fn mutex(&self) -> *mut libc::pthread_mutex_t {
        self.ptr.cast()
    }

    fn word(&self) -> &AtomicU32 {
        // SAFETY: aligned, in bounds, lives as long as `self`, only accessed atomically.
        unsafe { &*(self.ptr.add(64) as *const AtomicU32) }
    }

    fn lock_unlock(&self) {
        // SAFETY: an initialised mutex in a live mapping, locked and unlocked by this thread.
        unsafe {
            let r = libc::pthread_mutex_lock(self.mutex());
            debug_assert_eq!(r, 0);
            libc::pthread_mutex_unlock(self.mutex());
        }
    }

    fn trylock_unlock(&self) {
        // SAFETY: as in `lock_unlock`: an initialised mutex in a live mapping; this thread
        // unlocks only what its trylock took (the benchmark runs it uncontended).
        unsafe {
            let r = libc::pthread_mutex_trylock(self.mutex());
            debug_assert_eq!(r, 0);
            libc::pthread_mutex_unlock(self.mutex());
        }
    }

    fn futex_wake(&self) -> libc::c_long {
        // SAFETY: FUTEX_WAKE on a valid word (shared futex: no FUTEX_PRIVATE_FLAG).
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.word().as_ptr(),
                libc::FUTEX_WAKE,
                1,
                std::ptr::null::<libc::timespec>(),
                std::ptr::null::<u32>(),
                0,
            )
        }
    }
}

impl Drop for RawShared {
    fn drop(&mut self) {
        // SAFETY: the mutex is unlocked and the mapping is ours.
        unsafe {
            libc::pthread_mutex_destroy(self.mutex());
            libc::munmap(self.ptr.cast(), 4096);
        }
    }
}

struct Fixture {
    raw: RawShared,
    mutex: Mutex,
    event: Event,
    event_rs: Event,
    sem_rw: Semaphore,
}

impl Fixture {
    fn new(ns: &Namespace) -> Fixture {
        Fixture {
            raw: RawShared::new(),
            mutex: Mutex::create_in(ns, Some("bench-mutex"), false).expect("mutex"),
            event: Event::create_in(ns, Some("bench-event"), false, true).expect("event"),
            event_rs: Event::create_in(ns, Some("bench-event-rs"), false, false).expect("event"),
            sem_rw: Semaphore::create_in(ns, Some("bench-sem-rw"), 0, 1).expect("semaphore"),
        }
    }

    fn fmap_try_lock_drop(&self) {
        let g = self.mutex.try_lock().expect("try_lock").expect("free");
        drop(black_box(g));
    }

    fn fmap_wait0_release(&self) {
        let r = fmap::wait_one(&self.mutex, ZERO).expect("wait");
        debug_assert_eq!(r, WaitResult::Signaled(0));
        black_box(&r);
        self.mutex.release().expect("release");
    }

    fn fmap_event_set(&self) {
        self.event.set().expect("set");
    }

    fn fmap_event_set_reset(&self) {
        self.event_rs.set().expect("set");
        self.event_rs.reset().expect("reset");
    }

    fn fmap_semaphore_release_wait0(&self) {
        black_box(self.sem_rw.release(1).expect("release"));
        let r = self.sem_rw.wait(ZERO).expect("wait");
        debug_assert_eq!(r, WaitResult::Signaled(0));
        black_box(&r);
    }

    fn raw_futex_wake(&self) {
        black_box(self.raw.futex_wake());
    }

    fn atomic_store(&self) {
        black_box(self.raw.word()).store(1, SeqCst);
    }
}

fn fresh_semaphore(ns: &Namespace) -> Semaphore {
    Semaphore::create_in(ns, None, 0, i32::MAX).expect("semaphore")
}

fn mutex_uncontended(c: &mut Criterion, fx: &Fixture) {
    let mut g = c.benchmark_group("mutex_uncontended");
    g.bench_function("fmap_try_lock_drop", |b| b.iter(|| fx.fmap_try_lock_drop()));
    g.bench_function("fmap_wait0_release", |b| b.iter(|| fx.fmap_wait0_release()));
    g.bench_function("pthread_robust_pshared", |b| {
        b.iter(|| fx.raw.lock_unlock())
    });
    g.bench_function("pthread_robust_pshared_trylock", |b| {
        b.iter(|| fx.raw.trylock_unlock())
    });
    g.finish();
}

fn signal_no_waiter(c: &mut Criterion, fx: &Fixture, ns: &Namespace) {
    let mut g = c.benchmark_group("signal_no_waiter");
    g.bench_function("fmap_event_set", |b| b.iter(|| fx.fmap_event_set()));
    g.bench_function("fmap_event_set_reset", |b| {
        b.iter(|| fx.fmap_event_set_reset())
    });
    g.bench_function("fmap_semaphore_release", |b| {
        b.iter_custom(|iters| {
            let s = fresh_semaphore(ns);
            let t = Instant::now();
            for _ in 0..iters {
                black_box(s.release(1).expect("release"));
            }
            t.elapsed()
        })
    });
    g.bench_function("fmap_semaphore_release_wait0", |b| {
        b.iter(|| fx.fmap_semaphore_release_wait0())
    });
    g.bench_function("raw_futex_wake_no_waiter", |b| {
        b.iter(|| fx.raw_futex_wake())
    });
    g.bench_function("atomic_store_seqcst", |b| b.iter(|| fx.atomic_store()));
    g.finish();
}

/// A named operation for the interleaved run.
type Op<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// Nanoseconds per call of `f` over `iters` calls.
fn time_per_op(iters: u64, f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_nanos() as f64 / iters as f64
}

/// Times every operation in alternation, 7 rounds of ~50 ms each, and keeps each one's best
/// round (the least disturbed by the rest of the machine).
fn interleaved(ops: &mut [Op<'_>]) -> Vec<f64> {
    let mut iters = Vec::new();
    for (_, f) in ops.iter_mut() {
        let per = time_per_op(10_000, f.as_mut()).max(1.0); // warm-up and calibration
        iters.push(((50e6 / per) as u64).max(1000));
    }
    let mut best = vec![f64::INFINITY; ops.len()];
    for _ in 0..7 {
        for (i, (_, f)) in ops.iter_mut().enumerate() {
            best[i] = best[i].min(time_per_op(iters[i], f.as_mut()));
        }
    }
    best
}

fn ratios(fx: &Fixture, ns: &Namespace) {
    let sem = fresh_semaphore(ns);
    let mut ops: Vec<Op<'_>> = vec![
        ("pthread_robust_pshared", Box::new(|| fx.raw.lock_unlock())),
        (
            "pthread_robust_pshared_trylock",
            Box::new(|| fx.raw.trylock_unlock()),
        ),
        ("fmap_try_lock_drop", Box::new(|| fx.fmap_try_lock_drop())),
        ("fmap_wait0_release", Box::new(|| fx.fmap_wait0_release())),
        ("fmap_event_set", Box::new(|| fx.fmap_event_set())),
        (
            "fmap_event_set_reset",
            Box::new(|| fx.fmap_event_set_reset()),
        ),
        (
            "fmap_semaphore_release",
            Box::new(|| {
                black_box(sem.release(1).expect("release"));
            }),
        ),
        (
            "fmap_semaphore_release_wait0",
            Box::new(|| fx.fmap_semaphore_release_wait0()),
        ),
        ("raw_futex_wake_no_waiter", Box::new(|| fx.raw_futex_wake())),
        ("atomic_store_seqcst", Box::new(|| fx.atomic_store())),
    ];
    let t = interleaved(&mut ops);
    let ns_of = |name: &str| t[ops.iter().position(|(n, _)| *n == name).expect("op")];
    println!();
    println!("== interleaved side-by-side run (best of 7 rounds, ns per operation)");
    for (i, (name, _)) in ops.iter().enumerate() {
        println!("{name:<34} {:>9.1} ns", t[i]);
    }
    let base = ns_of("pthread_robust_pshared");
    println!();
    println!("== ratios");
    for name in ["fmap_try_lock_drop", "fmap_wait0_release"] {
        let r = ns_of(name) / base;
        println!(
            "mutex {name:<28} / pthread_robust_pshared = {r:5.2}  (target <= 1.30: {})",
            if r <= 1.3 { "met" } else { "MISSED" }
        );
    }
    let wake = ns_of("raw_futex_wake_no_waiter");
    let store = ns_of("atomic_store_seqcst");
    for name in [
        "fmap_event_set",
        "fmap_event_set_reset",
        "fmap_semaphore_release",
        "fmap_semaphore_release_wait0",
    ] {
        println!(
            "{name:<34} / raw_futex_wake = {:5.2}   / pthread lock+unlock = {:5.2}   / atomic store = {:6.1}",
            ns_of(name) / wake,
            ns_of(name) / base,
            ns_of(name) / store
        );
    }
}
