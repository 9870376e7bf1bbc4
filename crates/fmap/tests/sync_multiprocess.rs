//! Synchronization objects across real processes (issue 3): abandonment by `SIGKILL`,
//! signalling across processes, producer/consumer and event stress, wait-all atomicity, and
//! name lifetime after `SIGKILL`.
//!
//! The children are this test binary run again with `child_entry --exact` (so a child can only
//! ever run [`child_entry`]): that test returns at once unless `FMAP_SYNC_CHILD` names a role,
//! in which case it plays the role (parameters in `FMAP_*` variables) and ends the process
//! with `std::process::exit`. Children report with `FMAP:…` lines on stdout and take orders
//! from stdin. Exit codes: 0 = success, 2 = a check failed (`FMAP:FAIL …`), 3 = panic. The
//! harness is `common`'s, shared with the other multi-process tests.
//!
//! Every test has its own namespace root (a temporary directory in `/dev/shm`): the parent uses
//! [`Namespace::at`], the children the default namespace through `FMAP_ROOT`.
//!
//! Timeouts are hang guards only. A wait that uses up its whole guard counts as a failure even
//! if it then found the object signaled, because that is how a lost wake-up shows.

#[macro_use]
mod common;

use common::{
    asleep_in_wait, env, expect_err, namespace, num, read_stdin_line, report, seed, tid, var, word,
    Ctx, Proc, Rng, GUARD_D, R, Z,
};
use fmap::win32::*;
use fmap::{
    wait_all, wait_any, Access, ErrorKind, Event, Mapping, MappingOptions, Mutex, Namespace,
    Semaphore, View, WaitResult, Waitable,
};
use std::sync::atomic::Ordering::*;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FMAP_SYNC_CHILD";
/// Size of the shared sections the tests use.
const SECTION: u64 = 64 * 1024;
/// How long the stress tests run.
const STRESS_MS: u64 = 3000;

// ------------------------------------------------------------------------------------------
// Helpers shared by parent and children
// ------------------------------------------------------------------------------------------

/// A wait with a hang guard of `guard`; using up the whole guard is an error.
fn guarded_for(
    guard: Duration,
    what: &str,
    wait: impl FnOnce(Option<Duration>) -> fmap::Result<WaitResult>,
) -> R<WaitResult> {
    let start = Instant::now();
    let r = wait(Some(guard)).ctx(what)?;
    check!(
        start.elapsed() < guard,
        "{what}: the wait ran into its {guard:?} hang guard and returned {r:?} (a lost wake-up)"
    );
    Ok(r)
}

fn guarded(
    what: &str,
    wait: impl FnOnce(Option<Duration>) -> fmap::Result<WaitResult>,
) -> R<WaitResult> {
    guarded_for(GUARD_D, what, wait)
}

/// Waits until thread `tid` of process `pid` is asleep in a wait.
fn wait_asleep(pid: u32, tid: i32) {
    let deadline = Instant::now() + GUARD_D;
    while !asleep_in_wait(pid, tid) {
        assert!(
            Instant::now() < deadline,
            "thread {tid} of process {pid} never went to sleep in a wait"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ------------------------------------------------------------------------------------------
// The child side
// ------------------------------------------------------------------------------------------

/// The entry point of child processes (see the module documentation). In a normal test run it
/// does nothing.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run_role);
}

fn run_role(role: &str) -> R {
    match role {
        "own_mutexes" => role_own_mutexes(),
        "own" => role_own(),
        "wait_mutex" => role_wait_mutex(),
        "pingpong" => role_pingpong(),
        "pc" => role_pc(),
        "ev_setter" => role_ev_setter(),
        "ev_waiter" => role_ev_waiter(),
        "wa_worker" => role_wa(false),
        "wa_checker" => role_wa(true),
        "create_named" => role_create_named(),
        "wa_block" => role_wa_block(),
        "handoff" => role_handoff(),
        other => Err(format!("unknown role {other:?}")),
    }
}

fn open_mutex(name: &str) -> R<Mutex> {
    Mutex::open(name, fmap::SyncAccess::MUTEX_ALL_ACCESS).ctx(name)
}
fn open_event(name: &str) -> R<Event> {
    Event::open(name, fmap::SyncAccess::EVENT_ALL_ACCESS).ctx(name)
}
fn open_sem(name: &str) -> R<Semaphore> {
    Semaphore::open(name, fmap::SyncAccess::SEMAPHORE_ALL_ACCESS).ctx(name)
}
fn open_section(name: &str) -> R<(Mapping, View)> {
    let m = Mapping::open(name, Access::WRITE).ctx(name)?;
    let v = m.map_view(Access::WRITE, ..).ctx(name)?;
    Ok((m, v))
}

/// Creates and owns mutexes `m1` (initial owner), `m2` (acquired three times), `m3` and `m4`
/// (one wait-all) and `m5`; a thread of this process acquires `mt` and exits. Reports
/// `READY` and waits (to be killed).
fn role_own_mutexes() -> R {
    let m1 = Mutex::create(Some("m1"), true).ctx("m1")?;
    check!(!m1.already_existed(), "m1 existed");
    let m2 = Mutex::create(Some("m2"), false).ctx("m2")?;
    for _ in 0..3 {
        check!(
            fmap::wait_one(&m2, Z).ctx("m2")? == WaitResult::Signaled(0),
            "m2 busy"
        );
    }
    let m3 = Mutex::create(Some("m3"), false).ctx("m3")?;
    let m4 = Mutex::create(Some("m4"), false).ctx("m4")?;
    check!(
        wait_all(&[&m3, &m4], Z).ctx("m3+m4")? == WaitResult::Signaled(0),
        "m3+m4 busy"
    );
    let m5 = Mutex::create(Some("m5"), false).ctx("m5")?;
    check!(
        fmap::wait_one(&m5, Z).ctx("m5")? == WaitResult::Signaled(0),
        "m5 busy"
    );
    let mt = Mutex::create(Some("mt"), false).ctx("mt")?;
    let _ = std::thread::scope(|s| {
        s.spawn(|| fmap::wait_one(&mt, Z).ctx("mt"))
            .join()
            .map_err(|_| "thread panicked".to_owned())
    })??;
    report("READY");
    read_stdin_line();
    Ok(())
}

/// Creates and owns the mutexes named in `FMAP_NAMES` (comma-separated), reports `READY` and
/// waits (to be killed).
fn role_own() -> R {
    let names = var("FMAP_NAMES");
    let mut held = Vec::new();
    for n in names.split(',') {
        let m = Mutex::create(Some(n), true).ctx(n)?;
        check!(m.is_owned_by_current_thread().ctx(n)?, "{n} not owned");
        held.push(m);
    }
    report("READY");
    read_stdin_line();
    Ok(())
}

/// Opens mutex `FMAP_NAME`, reports `WAITING <tid>`, waits for it (hang guard `FMAP_GUARD_MS`,
/// default 30 s), reports `RESULT <wait result>`, releases it and checks that it then works
/// normally.
fn role_wait_mutex() -> R {
    let name = var("FMAP_NAME");
    let guard = std::env::var("FMAP_GUARD_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(GUARD_D);
    let m = open_mutex(&name)?;
    report(&format!("WAITING {}", tid()));
    let r = guarded_for(guard, &name, |t| fmap::wait_one(&m, t))?;
    report(&format!("RESULT {r:?}"));
    m.release().ctx("release")?;
    check!(
        m.release().map_err(|e| e.kind()) == Err(ErrorKind::NotOwner),
        "a second release succeeded"
    );
    check!(
        guarded(&name, |t| fmap::wait_one(&m, t))? == WaitResult::Signaled(0),
        "re-acquisition not signaled"
    );
    m.release().ctx("release")?;
    Ok(())
}

/// Answers `FMAP_ROUNDS` pings: waits on `[ping (event), sping (semaphore)]`, checks the round
/// and kind the parent wrote in section `pp`, writes the round back and answers on `pong` or
/// `spong` accordingly.
fn role_pingpong() -> R {
    let rounds = num("FMAP_ROUNDS");
    let ping = open_event("ping")?;
    let pong = open_event("pong")?;
    let sping = open_sem("sping")?;
    let spong = open_sem("spong")?;
    let (_m, v) = open_section("pp")?;
    report("READY");
    for i in 0..rounds {
        let r = guarded("ping", |t| wait_any(&[&ping, &sping], t))?;
        let kind = match r {
            WaitResult::Signaled(k) => k as u64,
            r => return Err(format!("round {i}: {r:?}")),
        };
        let (round, want) = (word(&v, 0).load(SeqCst), word(&v, 1).load(SeqCst));
        check!(
            round == i && want == kind,
            "round {i}: woken by {kind}, but the parent is in round {round} and signalled {want}"
        );
        word(&v, 2).store(i, SeqCst);
        if kind == 0 {
            pong.set().ctx("pong")?;
        } else {
            let prev = spong.release(1).ctx("spong")?;
            check!(prev == 0, "round {i}: spong was at {prev}");
        }
    }
    check!(!ping.is_set().ctx("ping")?, "ping left set");
    check!(sping.count().ctx("sping")?.0 == 0, "sping left non-zero");
    report(&format!("DONE {rounds}"));
    Ok(())
}

// --- producer/consumer ----------------------------------------------------------------------

const PC_K: usize = 16;
const PC_HEAD: usize = 0;
const PC_TAIL: usize = 1;
const PC_A: usize = 2;
const PC_B: usize = 3;
const PC_RING: usize = 8;

/// The critical section's torn-update check: `a == b` always holds under the mutex; this
/// writes them one after the other with a pause in between.
fn pc_critical(v: &View) -> R {
    let a = word(v, PC_A).load(Relaxed);
    let b = word(v, PC_B).load(Relaxed);
    check!(
        a == b,
        "torn counter pair under the mutex: a = {a}, b = {b}"
    );
    word(v, PC_A).store(a + 1, Relaxed);
    for _ in 0..32 {
        std::hint::spin_loop();
    }
    word(v, PC_B).store(b + 1, Relaxed);
    Ok(())
}

#[derive(Default)]
struct PcCounts {
    n: u64,
    sum: u64,
    crit: u64,
}

/// One producer and one consumer thread over a bounded buffer in section `pc`: semaphores
/// `items` / `space`, mutex `lock` for the ring and the counter pair, manual event `stop` (set
/// by the parent once every producer is done). Runs `FMAP_MS` after `GO`.
fn role_pc() -> R {
    let idx = num("FMAP_IDX");
    let ms = num("FMAP_MS");
    let items = open_sem("items")?;
    let space = open_sem("space")?;
    let lock = open_mutex("lock")?;
    let stop = open_event("stop")?;
    let (_m, v) = open_section("pc")?;
    report("READY");
    read_stdin_line();
    let deadline = Instant::now() + Duration::from_millis(ms);
    let (prod, cons) = std::thread::scope(|s| {
        let producer = s.spawn(|| -> R<PcCounts> {
            let mut c = PcCounts::default();
            let mut seq = 0u64;
            while Instant::now() < deadline {
                seq += 1;
                let val = ((idx + 1) << 40) | seq;
                if seq % 2 == 0 {
                    let r = guarded("space", |t| space.wait(t))?;
                    check!(r == WaitResult::Signaled(0), "space: {r:?}");
                    let r = guarded("lock", |t| fmap::wait_one(&lock, t))?;
                    check!(r == WaitResult::Signaled(0), "lock: {r:?}");
                } else {
                    let r = guarded("space+lock", |t| wait_all(&[&space, &lock], t))?;
                    check!(r == WaitResult::Signaled(0), "space+lock: {r:?}");
                }
                let head = word(&v, PC_HEAD).load(Relaxed);
                let slot = word(&v, PC_RING + head as usize % PC_K);
                let old = slot.load(Relaxed);
                check!(old == 0, "slot {head} still holds {old:#x}");
                slot.store(val, Relaxed);
                word(&v, PC_HEAD).store(head + 1, Relaxed);
                pc_critical(&v)?;
                lock.release().ctx("unlock")?;
                items.release(1).ctx("items")?;
                c.n += 1;
                c.sum = c.sum.wrapping_add(val);
                c.crit += 1;
            }
            report(&format!("PRODUCED {} {}", c.n, c.sum));
            Ok(c)
        });
        // A producer that fails says so at once: the consumers only stop when every producer
        // has reported, so its error would otherwise surface only at the parent's timeout.
        let producer = s.spawn(move || {
            let r = producer
                .join()
                .map_err(|_| "producer panicked".to_owned())?;
            if let Err(e) = &r {
                report(&format!(
                    "FAIL [pc producer pid {}] {e}",
                    std::process::id()
                ));
            }
            r
        });
        let consumer = s.spawn(|| -> R<PcCounts> {
            let mut c = PcCounts::default();
            loop {
                match guarded("items", |t| wait_any(&[&items, &stop], t))? {
                    WaitResult::Signaled(0) => {}
                    WaitResult::Signaled(1) => break,
                    r => return Err(format!("items: {r:?}")),
                }
                let g = lock.lock().ctx("lock")?;
                check!(!g.was_abandoned(), "lock abandoned");
                let tail = word(&v, PC_TAIL).load(Relaxed);
                let head = word(&v, PC_HEAD).load(Relaxed);
                check!(
                    tail < head,
                    "consuming item {tail} but only {head} were produced"
                );
                let slot = word(&v, PC_RING + tail as usize % PC_K);
                let val = slot.swap(0, Relaxed);
                check!(val != 0, "slot {tail} is empty");
                word(&v, PC_TAIL).store(tail + 1, Relaxed);
                pc_critical(&v)?;
                drop(g);
                space.release(1).ctx("space")?;
                c.n += 1;
                c.sum = c.sum.wrapping_add(val);
                c.crit += 1;
            }
            Ok(c)
        });
        (producer.join(), consumer.join())
    });
    let prod = prod.map_err(|_| "producer panicked".to_owned())??;
    let cons = cons.map_err(|_| "consumer panicked".to_owned())??;
    report(&format!(
        "CONSUMED {} {} {}",
        cons.n,
        cons.sum,
        prod.crit + cons.crit
    ));
    Ok(())
}

// --- event stress ---------------------------------------------------------------------------

/// Sets auto-reset event `ev` `FMAP_N` times after `GO`. `FMAP_MODE`: `free` (as fast as it
/// can), `paced` (after each set, it polls until a waiter has consumed the event), or
/// `handshake` (after each set, it waits for one unit of semaphore `ack`).
fn role_ev_setter() -> R {
    let n = num("FMAP_N");
    let mode = var("FMAP_MODE");
    let ev = open_event("ev")?;
    let ack = open_sem("ack")?;
    report("READY");
    read_stdin_line();
    for i in 0..n {
        ev.set().ctx("set")?;
        match mode.as_str() {
            "handshake" => {
                let r = guarded("ack", |t| ack.wait(t))
                    .map_err(|e| format!("set {i} was not acknowledged: {e}"))?;
                check!(r == WaitResult::Signaled(0), "ack: {r:?}");
            }
            "paced" => {
                let start = Instant::now();
                while ev.is_set().ctx("is_set")? {
                    check!(
                        start.elapsed() < GUARD_D,
                        "set {i} was not consumed within {GUARD_D:?} (a lost wake-up)"
                    );
                    std::thread::yield_now();
                }
            }
            _ => {
                if i % 32 == 0 {
                    std::thread::yield_now();
                }
            }
        }
    }
    report("DONE");
    Ok(())
}

/// Two threads wait on `[ev, stop]` until `stop`; each release of `ev` is counted and, with
/// `FMAP_MODE=handshake`, acknowledged on `ack` (whose count must have been 0).
fn role_ev_waiter() -> R {
    let handshake = var("FMAP_MODE") == "handshake";
    let ev = open_event("ev")?;
    let stop = open_event("stop")?;
    let ack = open_sem("ack")?;
    report("READY");
    read_stdin_line();
    let counts = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| -> R<u64> {
                    let mut n = 0;
                    loop {
                        match guarded("ev", |t| wait_any(&[&ev, &stop], t))? {
                            WaitResult::Signaled(0) => {
                                n += 1;
                                if handshake {
                                    let prev = ack.release(1).ctx("ack")?;
                                    check!(
                                        prev == 0,
                                        "ack was at {prev}: one set released two waiters"
                                    );
                                }
                            }
                            WaitResult::Signaled(1) => return Ok(n),
                            r => return Err(format!("ev: {r:?}")),
                        }
                    }
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().map_err(|_| "waiter panicked".to_owned())?)
            .collect::<R<Vec<u64>>>()
    })?;
    report(&format!("COUNT {}", counts.iter().sum::<u64>()));
    Ok(())
}

// --- wait-all atomicity ---------------------------------------------------------------------

/// Slot `i` of section `wa` holds the id of whoever holds object `i` (A = mutex, B = semaphore
/// of maximum 1, C = auto-reset event); words 8.. count acquisitions.
const WA_SETS: [&[usize]; 4] = [&[0, 1], &[1, 2], &[0, 2], &[0, 1, 2]];

struct Wa {
    a: Mutex,
    b: Semaphore,
    c: Event,
}

impl Wa {
    fn obj(&self, i: usize) -> &dyn Waitable {
        match i {
            0 => &self.a,
            1 => &self.b,
            _ => &self.c,
        }
    }

    fn claim(&self, v: &View, set: &[usize], me: u64, how: &str) -> R {
        for &i in set {
            let s = word(v, i);
            if let Err(other) = s.compare_exchange(0, me, SeqCst, SeqCst) {
                return Err(format!(
                    "{how} by {me:#x} acquired object {i} ({set:?}), but {other:#x} holds it"
                ));
            }
        }
        Ok(())
    }

    fn unclaim_and_release(&self, v: &View, set: &[usize], me: u64) -> R {
        for &i in set {
            let s = word(v, i);
            if let Err(other) = s.compare_exchange(me, 0, SeqCst, SeqCst) {
                return Err(format!(
                    "{me:#x} held object {i} ({set:?}), but its slot says {other:#x}"
                ));
            }
        }
        for &i in set {
            match i {
                0 => self.a.release().ctx("release A")?,
                1 => {
                    let prev = self.b.release(1).ctx("release B")?;
                    check!(prev == 0, "B was at {prev} while {me:#x} held it");
                }
                _ => {
                    check!(
                        !self.c.is_set().ctx("C")?,
                        "C was set while {me:#x} held it"
                    );
                    self.c.set().ctx("set C")?;
                }
            }
        }
        Ok(())
    }
}

fn pause(rng: &mut Rng) {
    for _ in 0..rng.below(200) {
        std::hint::spin_loop();
    }
}

/// Two threads for `FMAP_MS` after `GO`: a worker wait-alls random overlapping subsets of
/// {A, B, C}; a checker (`checker`) polls single objects with `wait_one`/`wait_any` and a
/// zero timeout. Whoever acquires an object claims its slot, which must be free.
fn role_wa(checker: bool) -> R {
    let idx = num("FMAP_IDX");
    let ms = num("FMAP_MS");
    let wa = Wa {
        a: open_mutex("A")?,
        b: open_sem("B")?,
        c: open_event("C")?,
    };
    let (_m, v) = open_section("wa")?;
    report("READY");
    read_stdin_line();
    let deadline = Instant::now() + Duration::from_millis(ms);
    let totals = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2u64)
            .map(|t| {
                let (wa, v) = (&wa, &v);
                s.spawn(move || -> R<u64> {
                    let me = ((idx + 1) << 8) | t | if checker { 0x80 } else { 0 };
                    let mut rng = Rng::new(seed());
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        if !checker {
                            let set = WA_SETS[rng.below(4) as usize];
                            // In a random order: a wait-all that took its objects one by one
                            // would deadlock against another with the opposite order.
                            let mut order = set.to_vec();
                            for k in (1..order.len()).rev() {
                                order.swap(k, rng.below(k as u64 + 1) as usize);
                            }
                            let objs: Vec<&dyn Waitable> =
                                order.iter().map(|&i| wa.obj(i)).collect();
                            let r = guarded("wait-all", |t| wait_all(&objs, t))?;
                            check!(r == WaitResult::Signaled(0), "wait-all {set:?}: {r:?}");
                            wa.claim(v, set, me, "a wait-all")?;
                            pause(&mut rng);
                            wa.unclaim_and_release(v, set, me)?;
                            n += 1;
                        } else if t == 0 {
                            let i = rng.below(3) as usize;
                            match fmap::wait_one(wa.obj(i), Z).ctx("poll")? {
                                WaitResult::Signaled(0) => {
                                    wa.claim(v, &[i], me, "a polling wait-one")?;
                                    pause(&mut rng);
                                    wa.unclaim_and_release(v, &[i], me)?;
                                    n += 1;
                                }
                                WaitResult::TimedOut => {}
                                r => return Err(format!("poll {i}: {r:?}")),
                            }
                        } else {
                            let objs = [wa.obj(0), wa.obj(1), wa.obj(2)];
                            match wait_any(&objs, Z).ctx("poll any")? {
                                WaitResult::Signaled(i) => {
                                    wa.claim(v, &[i], me, "a polling wait-any")?;
                                    pause(&mut rng);
                                    wa.unclaim_and_release(v, &[i], me)?;
                                    n += 1;
                                }
                                WaitResult::TimedOut => {}
                                r => return Err(format!("poll any: {r:?}")),
                            }
                        }
                        if checker {
                            pause(&mut rng);
                        }
                    }
                    Ok(n)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().map_err(|_| "thread panicked".to_owned())?)
            .collect::<R<Vec<u64>>>()
    })?;
    report(&format!("DONE {}", totals.iter().sum::<u64>()));
    Ok(())
}

/// Reports `WAITING <tid>` and wait-alls on mutex `A`, semaphore `B`, auto-reset event `C`
/// and mutex `D`; then checks it got all of them, reports `RESULT`, and gives them back.
fn role_wa_block() -> R {
    let a = open_mutex("A")?;
    let b = open_sem("B")?;
    let c = open_event("C")?;
    let d = open_mutex("D")?;
    report(&format!("WAITING {}", tid()));
    let r = guarded("wait-all", |t| wait_all(&[&a, &b, &c, &d], t))?;
    check!(r == WaitResult::Signaled(0), "wait-all: {r:?}");
    check!(a.is_owned_by_current_thread().ctx("A")?, "A not owned");
    check!(d.is_owned_by_current_thread().ctx("D")?, "D not owned");
    let (count, _) = b.count().ctx("B")?;
    check!(count == 0, "B at {count}");
    check!(!c.is_set().ctx("C")?, "C still set");
    report(&format!("RESULT {r:?}"));
    a.release().ctx("A")?;
    d.release().ctx("D")?;
    b.release(1).ctx("B")?;
    c.set().ctx("C")?;
    Ok(())
}

/// Creates event `n_ev` (manual, set), mutex `n_mx` (owned), semaphore `n_sm` (2 of 5) and
/// event `n_keep` (manual, set); reports `READY` and waits (to be killed).
/// One side of the mutex hand-off test (see `mutex_handoff_never_sleeps_through_a_release`):
/// the consumer of a ring guarded by a named mutex with two auto-reset events.
fn role_handoff() -> R {
    let (_m, v) = open_section("ho_ring")?;
    let lock = open_mutex("ho_lock")?;
    let items = open_event("ho_items")?;
    let space = open_event("ho_space")?;
    handoff_side(&v, &lock, &items, &space, false, 0)
}

/// Producer (`produce`) or consumer of the hand-off ring: [count, head, tail, done] in words
/// 0..4. A side waits only for something the other side will signal; any wait that times out
/// (a generous hang guard) is a lost wake-up.
fn handoff_side(v: &View, lock: &Mutex, items: &Event, space: &Event, produce: bool, n: u64) -> R {
    const SLOTS: u64 = 8;
    let guard = Some(Duration::from_secs(10));
    let (mut moved, mut i) = (0u64, 0u64);
    loop {
        if fmap::wait_one(lock, guard).ctx("lock")? != WaitResult::Signaled(0) {
            return Err(format!(
                "lost wake-up: the lock was not handed over within 10 s (moved {moved})"
            ));
        }
        let count = word(v, 0).load(SeqCst);
        let (mut did, mut finished) = (false, false);
        if produce {
            if i == n {
                word(v, 3).store(1, SeqCst);
                finished = true;
            } else if count < SLOTS {
                word(v, 0).store(count + 1, SeqCst);
                did = true;
            }
        } else if count > 0 {
            word(v, 0).store(count - 1, SeqCst);
            did = true;
        } else if word(v, 3).load(SeqCst) != 0 {
            finished = true;
        }
        lock.release().ctx("release")?;
        if finished {
            if produce {
                items.set().ctx("set")?;
            }
            return Ok(());
        }
        if did {
            moved += 1;
            i += 1;
            if produce { items.set() } else { space.set() }.ctx("set")?;
        } else {
            let (ev, what) = if produce {
                (space, "space")
            } else {
                (items, "items")
            };
            if ev.wait(guard).ctx(what)? != WaitResult::Signaled(0) {
                return Err(format!(
                    "lost wake-up: waited 10 s for {what} (moved {moved}, count {count})"
                ));
            }
        }
    }
}

fn role_create_named() -> R {
    let _ev = Event::create(Some("n_ev"), true, true).ctx("n_ev")?;
    let _mx = Mutex::create(Some("n_mx"), true).ctx("n_mx")?;
    let _sm = Semaphore::create(Some("n_sm"), 2, 5).ctx("n_sm")?;
    let _keep = Event::create(Some("n_keep"), true, true).ctx("n_keep")?;
    report("READY");
    read_stdin_line();
    Ok(())
}

// ------------------------------------------------------------------------------------------
// The parent side
// ------------------------------------------------------------------------------------------

fn section(ns: &Namespace, name: &str) -> (Mapping, View) {
    let m = MappingOptions::new()
        .namespace(ns)
        .name(name)
        .size(SECTION)
        .create()
        .unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    (m, v)
}

/// After an abandonment has been reported: the mutex is owned once by this thread, works
/// normally afterwards, also for another thread.
#[track_caller]
fn check_owned_then_normal(m: &Mutex) {
    assert!(m.is_owned_by_current_thread().unwrap());
    m.release().unwrap();
    expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
    assert_eq!(fmap::wait_one(m, Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(fmap::wait_one(m, Z).unwrap(), WaitResult::Signaled(0));
            m.release().unwrap();
        });
    });
}

// ------------------------------------------------------------------------------------------
// (1) Abandonment across processes
// ------------------------------------------------------------------------------------------

/// A child owns mutexes (initially, recursively, through a wait-all) and is SIGKILLed: the
/// parent's waits report WAIT_ABANDONED once, the parent then owns each mutex (once), and the
/// mutexes keep working. A mutex whose owner *thread* exited in a live child is abandoned too.
#[test]
fn abandoned_by_a_sigkilled_process() {
    let (d, ns) = namespace();
    let mut c = Proc::spawn(CHILD_ENV, d.path(), "own_mutexes", &[]);
    c.expect("FMAP:READY");
    let open = |n: &str| Mutex::open_in(&ns, n, fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
    let (m1, m2, m3, m4, m5, mt) = (
        open("m1"),
        open("m2"),
        open("m3"),
        open("m4"),
        open("m5"),
        open("mt"),
    );
    let ev = Event::create_in(&ns, None, false, false).unwrap();
    // While the child lives, its mutexes are owned.
    for m in [&m1, &m2, &m3, &m4, &m5] {
        assert_eq!(fmap::wait_one(m, Z).unwrap(), WaitResult::TimedOut);
    }
    assert_eq!(wait_all(&[&m3, &m4], Z).unwrap(), WaitResult::TimedOut);
    assert_eq!(wait_any(&[&ev, &m5], Z).unwrap(), WaitResult::TimedOut);
    // The child's thread that took `mt` has exited: abandoned although the process lives.
    assert_eq!(
        guarded("mt", |t| fmap::wait_one(&mt, t)).unwrap(),
        WaitResult::Abandoned(0)
    );
    check_owned_then_normal(&mt);

    c.kill_running();
    assert_eq!(fmap::wait_one(&m1, Z).unwrap(), WaitResult::Abandoned(0));
    check_owned_then_normal(&m1);
    // Acquired three times by the child: the whole count went with it.
    assert_eq!(
        guarded("m2", |t| fmap::wait_one(&m2, t)).unwrap(),
        WaitResult::Abandoned(0)
    );
    check_owned_then_normal(&m2);
    match wait_all(&[&m3, &m4], Z).unwrap() {
        WaitResult::Abandoned(i) if i < 2 => {}
        r => panic!("wait-all over two abandoned mutexes: {r:?}"),
    }
    // Both owned now, and the abandonment of both was reported by that wait.
    check_owned_then_normal(&m3);
    check_owned_then_normal(&m4);
    assert_eq!(wait_all(&[&m3, &m4], Z).unwrap(), WaitResult::Signaled(0));
    m3.release().unwrap();
    m4.release().unwrap();
    assert_eq!(wait_any(&[&ev, &m5], Z).unwrap(), WaitResult::Abandoned(1));
    check_owned_then_normal(&m5);
    assert!(!ev.is_set().unwrap());
}

/// Waiters asleep in the parent (wait-one, wait-any, wait-all) and in another process when the
/// owner is SIGKILLed are woken (through the kernel's robust-futex cleanup): exactly one of the
/// waiters on a mutex is told it was abandoned, the others get it normally afterwards.
#[test]
fn sleeping_waiters_are_woken_when_the_owner_is_killed() {
    let (d, ns) = namespace();
    let mut owner = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "own",
        &env(&[("FMAP_NAMES", &"a,b,c")]),
    );
    owner.expect("FMAP:READY");
    let a = Mutex::open_in(&ns, "a", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
    let b = Mutex::open_in(&ns, "b", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
    let c = Mutex::open_in(&ns, "c", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
    let ev = Event::create_in(&ns, None, false, false).unwrap();
    let mut other = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "wait_mutex",
        &env(&[("FMAP_NAME", &"a")]),
    );
    let other_tid: i32 = other.expect("FMAP:WAITING").parse().unwrap();
    let me = std::process::id();
    let results = std::thread::scope(|s| {
        let (tid_tx, tid_rx) = mpsc::channel();
        let one = {
            let tid_tx = tid_tx.clone();
            let a = &a;
            s.spawn(move || {
                tid_tx.send(tid()).unwrap();
                let r = guarded("a", |t| fmap::wait_one(a, t)).unwrap();
                a.release().unwrap();
                r
            })
        };
        let any = {
            let tid_tx = tid_tx.clone();
            let (a, ev) = (&a, &ev);
            s.spawn(move || {
                tid_tx.send(tid()).unwrap();
                let r = guarded("ev|a", |t| wait_any(&[ev, a], t)).unwrap();
                a.release().unwrap();
                r
            })
        };
        let all = {
            let (b, c) = (&b, &c);
            s.spawn(move || {
                tid_tx.send(tid()).unwrap();
                let r = guarded("b+c", |t| wait_all(&[b, c], t)).unwrap();
                b.release().unwrap();
                c.release().unwrap();
                r
            })
        };
        for _ in 0..3 {
            wait_asleep(me, tid_rx.recv().unwrap());
        }
        wait_asleep(other.pid(), other_tid);
        owner.kill_running();
        [
            one.join().unwrap(),
            any.join().unwrap(),
            all.join().unwrap(),
        ]
    });
    let theirs = other.expect("FMAP:RESULT");
    other.wait_success();
    let abandoned = [
        results[0] == WaitResult::Abandoned(0),
        results[1] == WaitResult::Abandoned(1),
        theirs == "Abandoned(0)",
    ];
    let normal = [
        results[0] == WaitResult::Signaled(0),
        results[1] == WaitResult::Signaled(1),
        theirs == "Signaled(0)",
    ];
    assert_eq!(
        abandoned.iter().filter(|x| **x).count(),
        1,
        "waiters on a: wait-one {:?}, wait-any {:?}, other process {theirs}",
        results[0],
        results[1]
    );
    assert!(
        abandoned.iter().zip(normal).all(|(a, n)| *a != n),
        "waiters on a: wait-one {:?}, wait-any {:?}, other process {theirs}",
        results[0],
        results[1]
    );
    assert!(
        matches!(results[2], WaitResult::Abandoned(i) if i < 2),
        "wait-all over b, c: {:?}",
        results[2]
    );
    for m in [&a, &b, &c] {
        assert_eq!(fmap::wait_one(m, Z).unwrap(), WaitResult::Signaled(0));
        m.release().unwrap();
    }
}

/// The owner dies while a waiter is still *spinning* (before it registers with the kernel):
/// the waiter must still be woken. A long spin (`FMAP_SPIN_US`) makes the window wide; the
/// kill lands inside it. (Regression test: the waiter used to skip a token whose owner had
/// died and sleep on `seq` alone, which nobody bumps when an owner dies.)
#[test]
fn waiter_spinning_when_the_owner_dies_is_woken() {
    let (d, ns) = namespace();
    let mut owner = Proc::spawn(CHILD_ENV, d.path(), "own", &env(&[("FMAP_NAMES", &"a")]));
    owner.expect("FMAP:READY");
    let a = Mutex::open_in(&ns, "a", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
    let mut waiter = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "wait_mutex",
        &env(&[
            ("FMAP_NAME", &"a"),
            ("FMAP_SPIN_US", &3_000_000),
            ("FMAP_GUARD_MS", &10_000),
        ]),
    );
    waiter.expect("FMAP:WAITING");
    // Inside the waiter's 3 s spin (not an assertion: a kill outside it only weakens the test).
    std::thread::sleep(Duration::from_millis(300));
    owner.kill_running();
    assert_eq!(waiter.expect("FMAP:RESULT"), "Abandoned(0)");
    waiter.wait_success();
    assert_eq!(fmap::wait_one(&a, Z).unwrap(), WaitResult::Signaled(0));
    a.release().unwrap();
}

// ------------------------------------------------------------------------------------------
// (2) Signalling across processes
// ------------------------------------------------------------------------------------------

/// Ping-pong with a child over auto-reset events and semaphores (randomly chosen per round,
/// the child waiting on both with wait-any): every signal is received exactly once, by the
/// right wait, in order.
#[test]
fn event_and_semaphore_ping_pong() {
    const ROUNDS: u64 = 3000;
    let (d, ns) = namespace();
    let ping = Event::create_in(&ns, Some("ping"), false, false).unwrap();
    let pong = Event::create_in(&ns, Some("pong"), false, false).unwrap();
    let sping = Semaphore::create_in(&ns, Some("sping"), 0, 1).unwrap();
    let spong = Semaphore::create_in(&ns, Some("spong"), 0, 1).unwrap();
    let (_m, v) = section(&ns, "pp");
    let mut c = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "pingpong",
        &env(&[("FMAP_ROUNDS", &ROUNDS)]),
    );
    c.expect("FMAP:READY");
    let mut rng = Rng::new(seed());
    for i in 0..ROUNDS {
        let kind = rng.below(2);
        word(&v, 0).store(i, SeqCst);
        word(&v, 1).store(kind, SeqCst);
        if kind == 0 {
            ping.set().unwrap();
        } else {
            assert_eq!(sping.release(1).unwrap(), 0, "round {i}");
        }
        let r = guarded("pong", |t| wait_any(&[&pong, &spong], t)).unwrap();
        assert_eq!(r, WaitResult::Signaled(kind as usize), "round {i}");
        assert_eq!(word(&v, 2).load(SeqCst), i, "round {i}");
        // The child consumed the ping before answering.
        assert!(!ping.is_set().unwrap(), "round {i}");
        assert_eq!(sping.count().unwrap(), (0, 1), "round {i}");
    }
    assert_eq!(c.expect("FMAP:DONE"), ROUNDS.to_string());
    c.wait_success();
    assert!(!pong.is_set().unwrap());
    assert_eq!(spong.count().unwrap(), (0, 1));
}

// ------------------------------------------------------------------------------------------
// (3) Producer/consumer stress
// ------------------------------------------------------------------------------------------

/// 3 processes × (producer + consumer) threads over a bounded buffer for a few seconds: every
/// item produced is consumed exactly once, and the mutex-protected counters are never torn and
/// never lose an update.
#[test]
fn producer_consumer_stress() {
    const PROCS: u64 = 3;
    let (d, ns) = namespace();
    let items = Semaphore::create_in(&ns, Some("items"), 0, PC_K as i32).unwrap();
    let space = Semaphore::create_in(&ns, Some("space"), PC_K as i32, PC_K as i32).unwrap();
    let lock = Mutex::create_in(&ns, Some("lock"), false).unwrap();
    let stop = Event::create_in(&ns, Some("stop"), true, false).unwrap();
    let (_m, v) = section(&ns, "pc");
    let mut kids: Vec<Proc> = (0..PROCS)
        .map(|i| {
            Proc::spawn(
                CHILD_ENV,
                d.path(),
                "pc",
                &env(&[("FMAP_IDX", &i), ("FMAP_MS", &STRESS_MS)]),
            )
        })
        .collect();
    for k in &mut kids {
        k.expect("FMAP:READY");
    }
    for k in &mut kids {
        k.send("GO");
    }
    let (mut produced, mut produced_sum) = (0u64, 0u64);
    for k in &mut kids {
        let line = k.expect("FMAP:PRODUCED");
        let f: Vec<u64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
        produced += f[0];
        produced_sum = produced_sum.wrapping_add(f[1]);
    }
    stop.set().unwrap();
    let (mut consumed, mut consumed_sum, mut crit) = (0u64, 0u64, 0u64);
    for k in &mut kids {
        let line = k.expect("FMAP:CONSUMED");
        let f: Vec<u64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
        consumed += f[0];
        consumed_sum = consumed_sum.wrapping_add(f[1]);
        crit += f[2];
    }
    for k in &mut kids {
        k.wait_success();
    }
    eprintln!("producer/consumer: {produced} items, {crit} critical sections");
    assert_eq!(consumed, produced, "items consumed != produced");
    assert_eq!(
        consumed_sum, produced_sum,
        "the consumed items are not the produced ones"
    );
    assert_eq!(word(&v, PC_HEAD).load(SeqCst), produced);
    assert_eq!(word(&v, PC_TAIL).load(SeqCst), produced);
    assert_eq!(
        word(&v, PC_A).load(SeqCst),
        crit,
        "lost updates under the mutex"
    );
    assert_eq!(
        word(&v, PC_B).load(SeqCst),
        crit,
        "lost updates under the mutex"
    );
    assert_eq!(items.count().unwrap(), (0, PC_K as i32));
    assert_eq!(space.count().unwrap(), (PC_K as i32, PC_K as i32));
    assert_eq!(fmap::wait_one(&lock, Z).unwrap(), WaitResult::Signaled(0));
    lock.release().unwrap();
}

// ------------------------------------------------------------------------------------------
// (4) Auto-reset event stress
// ------------------------------------------------------------------------------------------

fn event_stress(mode: &str, sets: u64) -> (u64, bool) {
    let (d, ns) = namespace();
    let ev = Event::create_in(&ns, Some("ev"), false, false).unwrap();
    let stop = Event::create_in(&ns, Some("stop"), true, false).unwrap();
    let ack = Semaphore::create_in(&ns, Some("ack"), 0, 2).unwrap();
    let mut waiters: Vec<Proc> = (0..2)
        .map(|_| {
            Proc::spawn(
                CHILD_ENV,
                d.path(),
                "ev_waiter",
                &env(&[("FMAP_MODE", &mode)]),
            )
        })
        .collect();
    let mut setter = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "ev_setter",
        &env(&[("FMAP_MODE", &mode), ("FMAP_N", &sets)]),
    );
    for p in waiters.iter_mut().chain([&mut setter]) {
        p.expect("FMAP:READY");
    }
    for p in waiters.iter_mut().chain([&mut setter]) {
        p.send("GO");
    }
    setter.expect("FMAP:DONE");
    setter.wait_success();
    let left_set = ev.is_set().unwrap();
    stop.set().unwrap();
    let mut released = 0;
    for w in &mut waiters {
        released += w.expect("FMAP:COUNT").parse::<u64>().unwrap();
        w.wait_success();
    }
    assert_eq!(ack.count().unwrap(), (0, 2));
    (released, left_set)
}

/// One process sets an auto-reset event as fast as it can while four threads in two other
/// processes wait on it: a set releases at most one waiter (sets on a signaled event count
/// once), so releases + (still signaled) <= sets.
#[test]
fn auto_reset_event_stress_free_running() {
    const SETS: u64 = 20_000;
    let (released, left_set) = event_stress("free", SETS);
    eprintln!("{SETS} sets released {released} waits (left set: {left_set})");
    assert!(
        released + u64::from(left_set) <= SETS,
        "{SETS} sets released {released} waits and left the event set: {left_set}"
    );
}

/// Paced: the setter sets again only once the event has been consumed (it polls the state), so
/// every set must release exactly one waiter.
#[test]
fn auto_reset_event_stress_paced() {
    const SETS: u64 = 5000;
    let (released, left_set) = event_stress("paced", SETS);
    assert_eq!(
        released, SETS,
        "{SETS} consumed sets released {released} waits"
    );
    assert!(!left_set);
}

/// With a handshake (the released waiter acknowledges on a semaphore before the next set),
/// every set releases exactly one waiter: none is lost and none releases two.
#[test]
fn auto_reset_event_stress_handshake() {
    const SETS: u64 = 3000;
    let (released, left_set) = event_stress("handshake", SETS);
    assert_eq!(released, SETS);
    assert!(!left_set);
}

// ------------------------------------------------------------------------------------------
// (5) Wait-all atomicity
// ------------------------------------------------------------------------------------------

/// Workers in three processes wait-all on overlapping subsets of {A (mutex), B (semaphore of
/// maximum 1), C (auto-reset event)} while a fourth process polls single objects. Whoever
/// acquires an object writes its id into the object's slot in shared memory, which must be
/// empty: two holders of one object at once (a partial or overlapping acquisition, or a poll
/// that got an object a wait-all holds) fail the test.
#[test]
fn wait_all_atomicity_across_processes() {
    let (d, ns) = namespace();
    let a = Mutex::create_in(&ns, Some("A"), false).unwrap();
    let b = Semaphore::create_in(&ns, Some("B"), 1, 1).unwrap();
    let c = Event::create_in(&ns, Some("C"), false, true).unwrap();
    let (_m, v) = section(&ns, "wa");
    let mut kids: Vec<Proc> = (0..4u64)
        .map(|i| {
            let role = if i == 3 { "wa_checker" } else { "wa_worker" };
            Proc::spawn(
                CHILD_ENV,
                d.path(),
                role,
                &env(&[("FMAP_IDX", &i), ("FMAP_MS", &STRESS_MS)]),
            )
        })
        .collect();
    for k in &mut kids {
        k.expect("FMAP:READY");
    }
    for k in &mut kids {
        k.send("GO");
    }
    let mut counts = Vec::new();
    for k in &mut kids {
        counts.push(k.expect("FMAP:DONE").parse::<u64>().unwrap());
        k.wait_success();
    }
    eprintln!(
        "wait-all acquisitions per worker process {:?}, polls that acquired {}",
        &counts[..3],
        counts[3]
    );
    assert!(
        counts[..3].iter().sum::<u64>() > 0,
        "no wait-all ever completed"
    );
    for i in 0..3 {
        assert_eq!(word(&v, i).load(SeqCst), 0, "slot {i} left claimed");
    }
    // Everything was given back.
    assert_eq!(wait_all(&[&a, &b, &c], Z).unwrap(), WaitResult::Signaled(0));
    a.release().unwrap();
}

/// A wait-all asleep in another process holds nothing: while it waits for a mutex the parent
/// owns, the parent can take (and give back) each of its other objects, again and again; once
/// the mutex is released the wait-all takes everything at once.
#[test]
fn a_waiting_wait_all_holds_nothing() {
    let (d, ns) = namespace();
    let a = Mutex::create_in(&ns, Some("A"), false).unwrap();
    let b = Semaphore::create_in(&ns, Some("B"), 1, 1).unwrap();
    let c = Event::create_in(&ns, Some("C"), false, true).unwrap();
    let dm = Mutex::create_in(&ns, Some("D"), true).unwrap();
    let mut k = Proc::spawn(CHILD_ENV, d.path(), "wa_block", &[]);
    let t: i32 = k.expect("FMAP:WAITING").parse().unwrap();
    for round in 0..50 {
        wait_asleep(k.pid(), t);
        assert_eq!(
            fmap::wait_one(&a, Z).unwrap(),
            WaitResult::Signaled(0),
            "round {round}"
        );
        a.release().unwrap();
        assert_eq!(b.wait(Z).unwrap(), WaitResult::Signaled(0), "round {round}");
        assert_eq!(b.release(1).unwrap(), 0, "round {round}");
        assert_eq!(c.wait(Z).unwrap(), WaitResult::Signaled(0), "round {round}");
        c.set().unwrap();
    }
    wait_asleep(k.pid(), t);
    assert_eq!(b.count().unwrap(), (1, 1));
    assert!(c.is_set().unwrap());
    dm.release().unwrap();
    assert_eq!(k.expect("FMAP:RESULT"), "Signaled(0)");
    k.wait_success();
    assert_eq!(
        wait_all(&[&a, &b, &c, &dm], Z).unwrap(),
        WaitResult::Signaled(0)
    );
    a.release().unwrap();
    dm.release().unwrap();
}

// ------------------------------------------------------------------------------------------
// (6) Name lifetime after SIGKILL
// ------------------------------------------------------------------------------------------

/// Objects whose only handles were in a SIGKILLed process lose their names; an object the
/// parent also holds keeps its name (and state) until the parent's last handle goes.
#[test]
fn names_go_with_a_sigkilled_process() {
    let (d, ns) = namespace();
    let mut c = Proc::spawn(CHILD_ENV, d.path(), "create_named", &[]);
    c.expect("FMAP:READY");
    {
        // While the child lives, the names exist with the child's state.
        let ev = Event::open_in(&ns, "n_ev", fmap::SyncAccess::EVENT_ALL_ACCESS).unwrap();
        assert!(ev.is_set().unwrap());
        let mx = Mutex::open_in(&ns, "n_mx", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
        assert_eq!(fmap::wait_one(&mx, Z).unwrap(), WaitResult::TimedOut);
        let sm = Semaphore::open_in(&ns, "n_sm", fmap::SyncAccess::SYNCHRONIZE).unwrap();
        assert_eq!(sm.count().unwrap(), (2, 5));
    }
    let keep = Event::open_in(&ns, "n_keep", fmap::SyncAccess::SYNCHRONIZE).unwrap();
    c.kill_running();
    expect_err(
        Event::open_in(&ns, "n_ev", fmap::SyncAccess::EVENT_ALL_ACCESS),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    expect_err(
        Mutex::open_in(&ns, "n_mx", fmap::SyncAccess::MUTEX_ALL_ACCESS),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    expect_err(
        Semaphore::open_in(&ns, "n_sm", fmap::SyncAccess::SEMAPHORE_ALL_ACCESS),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    // A new create makes a new object with the new state.
    let ev = Event::create_in(&ns, Some("n_ev"), false, false).unwrap();
    assert!(!ev.already_existed());
    assert!(!ev.is_set().unwrap());
    assert!(!ev.is_manual_reset().unwrap());
    let mx = Mutex::create_in(&ns, Some("n_mx"), false).unwrap();
    assert!(!mx.already_existed());
    assert_eq!(fmap::wait_one(&mx, Z).unwrap(), WaitResult::Signaled(0));
    mx.release().unwrap();
    // The name the parent held survives, with its state.
    let keep2 = Event::open_in(&ns, "n_keep", fmap::SyncAccess::EVENT_ALL_ACCESS).unwrap();
    assert!(keep2.is_set().unwrap());
    drop(keep2);
    drop(keep);
    expect_err(
        Event::open_in(&ns, "n_keep", fmap::SyncAccess::EVENT_ALL_ACCESS),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
}

/// Regression test for a lost wake-up: a mutex released between a waiter's failed attempt and
/// its registration as a sleeper (with no sleeper registered, a release does not bump `seq`)
/// must not be slept through. A producer and a consumer in two processes hand a ring back and
/// forth under a named mutex, signalling with auto-reset events; every wait has a 10 s hang
/// guard, and the pattern cannot deadlock, so a timed-out wait is a lost wake-up.
#[test]
fn mutex_handoff_never_sleeps_through_a_release() {
    let (dir, ns) = namespace();
    for round in 0..8 {
        let (_m, v) = section(&ns, "ho_ring");
        for w in 0..4 {
            word(&v, w).store(0, SeqCst);
        }
        let lock = Mutex::create_in(&ns, Some("ho_lock"), false).unwrap();
        let items = Event::create_in(&ns, Some("ho_items"), false, false).unwrap();
        let space = Event::create_in(&ns, Some("ho_space"), false, false).unwrap();
        let mut child = Proc::spawn(CHILD_ENV, dir.path(), "handoff", &[]);
        let r = handoff_side(&v, &lock, &items, &space, true, 3000);
        assert!(
            r.is_ok(),
            "round {round}: producer: {r:?}; {}",
            child.diag()
        );
        child.wait_success();
    }
}
