//! Operations of one process: uncontended mutex, semaphore release with no waiter, section
//! create and open cycles.

use crate::common::*;
use fmap::{Access, Mapping, MappingOptions, Namespace};
use std::ffi::CString;
use std::hint::black_box;
use std::time::Instant;

/// Latency statistics of one operation: median and p99 (ns per operation) and the CPU time per
/// operation.
#[derive(Clone, Copy, Debug)]
pub struct Lat {
    pub median: f64,
    pub p99: f64,
    pub cpu: f64,
}

/// Times `f` in `batches` batches of `per` calls after a warm-up; median and p99 over the
/// batches' mean time per call.
pub fn batched(batches: usize, per: usize, f: &mut dyn FnMut()) -> Lat {
    for _ in 0..per.max(100) {
        f();
    }
    let mut v = Vec::with_capacity(batches);
    let c0 = cpu_ns();
    for _ in 0..batches {
        let t = Instant::now();
        for _ in 0..per {
            f();
        }
        v.push(t.elapsed().as_nanos() as f64 / per as f64);
    }
    let cpu = (cpu_ns() - c0) as f64 / (batches * per) as f64;
    let (median, p99) = median_p99(v);
    Lat { median, p99, cpu }
}

/// A robust process-shared pthread mutex and a process-shared POSIX semaphore in an anonymous
/// `MAP_SHARED` page.
pub struct RawShared {
    ptr: *mut u8,
}

// SAFETY: the mutex and the semaphore are process-shared objects in a shared mapping, made for
// use from any thread (and process) at once; the pointer is only the mapping's address.
unsafe impl Send for RawShared {}
// SAFETY: as above: every method is a thread-safe pthread/POSIX call on those objects.
unsafe impl Sync for RawShared {}

impl RawShared {
    pub fn new() -> RawShared {
        // SAFETY: a fresh anonymous shared mapping.
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
        let r = RawShared { ptr: p.cast() };
        // SAFETY: objects in the fresh page; local attribute object.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            libc::pthread_mutexattr_init(&mut attr);
            libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED);
            libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST);
            libc::pthread_mutex_init(r.mutex(), &attr);
            libc::pthread_mutexattr_destroy(&mut attr);
            libc::sem_init(r.sem(), 1, 0);
        }
        r
    }

    fn mutex(&self) -> *mut libc::pthread_mutex_t {
        self.ptr.cast()
    }

    fn sem(&self) -> *mut libc::sem_t {
        // SAFETY: `ptr` is the 4096-byte mapping `new` made: offset 128 (past the mutex at 0)
        // is inside it, as `add` requires.
        unsafe { self.ptr.add(128).cast() }
    }

    pub fn lock_unlock(&self) {
        // SAFETY: an initialised mutex, locked and unlocked by this thread.
        unsafe {
            libc::pthread_mutex_lock(self.mutex());
            libc::pthread_mutex_unlock(self.mutex());
        }
    }

    pub fn sem_post(&self) {
        // SAFETY: `sem()` is the semaphore `new` initialised with `sem_init`; it is destroyed
        // and unmapped only when `self` is dropped.
        unsafe { libc::sem_post(self.sem()) };
    }

    pub fn sem_reset(&self) {
        // SAFETY: the same initialised, live semaphore; `sem_trywait` never blocks, so the
        // loop only drains the count.
        unsafe { while libc::sem_trywait(self.sem()) == 0 {} }
    }
}

impl Drop for RawShared {
    fn drop(&mut self) {
        // SAFETY: `ptr` is the mapping `new` made, unmapped only here. `&mut self`: no call of
        // this value's methods is using the mutex (unlocked after every lock) or the semaphore,
        // so both are destroyed idle, once, before their memory goes.
        unsafe {
            libc::pthread_mutex_destroy(self.mutex());
            libc::sem_destroy(self.sem());
            libc::munmap(self.ptr.cast(), 4096);
        }
    }
}

/// raw_sync's mutex (a process-shared pthread mutex) in a `shared_memory` section.
pub struct RawSyncMutex {
    _shm: shared_memory::Shmem,
    lock: Box<dyn raw_sync::locks::LockImpl>,
}

impl RawSyncMutex {
    pub fn new(id: &str) -> Res<RawSyncMutex> {
        use raw_sync::locks::{LockInit, Mutex};
        let shm = shared_memory::ShmemConf::new()
            .size(4096)
            .os_id(id)
            .create()
            .map_err(|e| format!("shared_memory: {e}"))?;
        // SAFETY: the lock and its data lie in the fresh section.
        let (lock, _) = unsafe { Mutex::new(shm.as_ptr(), shm.as_ptr().add(1024)) }
            .map_err(|e| format!("raw_sync mutex: {e}"))?;
        Ok(RawSyncMutex { _shm: shm, lock })
    }

    pub fn lock_unlock(&self) {
        let g = self.lock.lock().expect("raw_sync lock");
        drop(black_box(g));
    }
}

// ---------------------------------------------------------------------------------------------
// Sections

/// A POSIX shared-memory name unique to this process.
pub fn shm_name(tag: &str) -> CString {
    CString::new(format!("/fmap-bench-{}-{tag}", std::process::id())).expect("no NUL")
}

/// Creates a section of `size` bytes, maps it, writes its first `touch` bytes, unmaps and
/// removes it (`touch` = `size`: every byte; 4096: one page).
pub fn raw_create_cycle(name: &CString, size: usize, touch: usize) {
    // SAFETY: plain system calls on our own name, descriptor and mapping.
    unsafe {
        let fd = libc::shm_open(
            name.as_ptr(),
            libc::O_CREAT | libc::O_EXCL | libc::O_RDWR,
            0o600,
        );
        assert!(fd >= 0, "shm_open: {}", std::io::Error::last_os_error());
        assert_eq!(libc::ftruncate(fd, size as libc::off_t), 0);
        let p = libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        std::ptr::write_bytes(p.cast::<u8>(), 0xA5, touch);
        black_box(p);
        libc::munmap(p, size);
        libc::close(fd);
        libc::shm_unlink(name.as_ptr());
    }
}

pub fn raw_open_cycle(name: &CString, size: usize) {
    // SAFETY: as above, on an existing name.
    unsafe {
        let fd = libc::shm_open(name.as_ptr(), libc::O_RDONLY, 0);
        assert!(fd >= 0, "shm_open: {}", std::io::Error::last_os_error());
        let p = libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ,
            libc::MAP_SHARED,
            fd,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        black_box(p);
        libc::munmap(p, size);
        libc::close(fd);
    }
}

/// [`raw_create_cycle`] through fmap.
pub fn fmap_create_cycle(ns: &Namespace, name: &str, size: usize, touch: usize) {
    let m = MappingOptions::new()
        .namespace(ns)
        .name(name)
        .size(size as u64)
        .create()
        .expect("create");
    let v = m.map_view(Access::WRITE, ..).expect("map_view");
    // SAFETY: a writable view of `size` ≥ `touch` bytes used only here.
    unsafe { std::ptr::write_bytes(v.as_mut_ptr(), 0xA5, touch) };
    black_box(&v);
    drop(v);
    drop(m);
}

pub fn fmap_open_cycle(ns: &Namespace, name: &str) {
    let m = Mapping::open_in(ns, name, Access::READ).expect("open");
    let v = m.map_view(Access::READ, ..).expect("map_view");
    black_box(v.as_ptr());
    drop(v);
    drop(m);
}

/// [`raw_create_cycle`] through the shared_memory crate.
pub fn shmem_create_cycle(id: &str, size: usize, touch: usize) {
    let s = shared_memory::ShmemConf::new()
        .size(size)
        .os_id(id)
        .create()
        .expect("shared_memory create");
    // SAFETY: a writable mapping of at least `size` ≥ `touch` bytes used only here.
    unsafe { std::ptr::write_bytes(s.as_ptr(), 0xA5, touch) };
    black_box(&s);
    drop(s); // the owner unlinks the name
}

pub fn shmem_open_cycle(id: &str) {
    let s = shared_memory::ShmemConf::new()
        .os_id(id)
        .open()
        .expect("shared_memory open");
    black_box(s.as_ptr());
    drop(s);
}

/// Per-iteration timing of an operation that takes microseconds or more.
pub fn each(iters: usize, f: &mut dyn FnMut()) -> Lat {
    for _ in 0..(iters / 10).max(2) {
        f();
    }
    let mut v = Vec::with_capacity(iters);
    let c0 = cpu_ns();
    for _ in 0..iters {
        let t = Instant::now();
        f();
        v.push(t.elapsed().as_nanos() as f64);
    }
    let cpu = (cpu_ns() - c0) as f64 / iters as f64;
    let (median, p99) = median_p99(v);
    Lat { median, p99, cpu }
}

/// [`batched`] on this thread (CPU 0) while a second thread, pinned to CPU 1, calls `other` in
/// a loop on an object of its own for the whole measurement: what one thread pays when another
/// works on unrelated objects at the same time (1× its one-thread figure: they scale).
pub fn batched_pair(
    batches: usize,
    per: usize,
    f: &mut dyn FnMut(),
    other: &mut (dyn FnMut() + Send),
) -> Lat {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = AtomicBool::new(false);
    let started = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            pin_to(1);
            started.store(true, Ordering::Release);
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..100 {
                    other();
                }
            }
        });
        while !started.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        let l = batched(batches, per, f);
        stop.store(true, Ordering::Relaxed);
        l
    })
}

/// The raw primitive of an event set with no waiter: a futex event's signal word set with one
/// atomic swap and its waiter count read (no `FUTEX_WAKE`: nobody waits).
pub struct RawEvent {
    signaled: std::sync::atomic::AtomicU32,
    waiters: std::sync::atomic::AtomicU32,
}

impl RawEvent {
    pub fn new() -> RawEvent {
        RawEvent {
            signaled: std::sync::atomic::AtomicU32::new(0),
            waiters: std::sync::atomic::AtomicU32::new(0),
        }
    }

    #[inline(never)]
    pub fn set(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        self.signaled.swap(1, SeqCst);
        if self.waiters.load(SeqCst) != 0 {
            // SAFETY: FUTEX_WAKE on a word of ours; it touches no memory.
            unsafe {
                libc::syscall(libc::SYS_futex, self.signaled.as_ptr(), libc::FUTEX_WAKE, 1);
            }
        }
    }
}
