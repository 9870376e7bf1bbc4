//! The shared state of synchronization objects and the wait engine (`WaitForSingleObject`,
//! `WaitForMultipleObjects` any/all).
//!
//! # State
//!
//! A mutex, event or semaphore is an object file (see [`crate::object`]) whose header page holds,
//! from offset 1024:
//!
//! | offset | field |
//! |---|---|
//! | 1024 | `state_lock`: glibc robust, process-shared `pthread_mutex_t` |
//! | 1088 | `seq`: futex word, bumped after every change that can make the object available |
//! | 1092 | `nwaiters`: sleepers registered on `seq` |
//! | 1096 | `all_hint`: wait-all waiters currently working on this object |
//! | 1104.. | type-specific words (below) |
//! | 1152 | mutex only: `token`, a glibc robust process-shared `pthread_mutex_t` held by the owner thread |
//!
//! Events (`signaled`, `manual`, `release_seq`, `pulse`) change only under `state_lock`, and so
//! do semaphore decrements; a semaphore release adds to `count` with one compare-exchange
//! without the lock (like `sem_post`), so under the lock a count can only grow. Every change is a
//! single store or atomic read-modify-write, so a process killed while holding the lock leaves a
//! consistent state, and the next locker (told `EOWNERDEAD` by glibc) marks the lock consistent
//! and goes on. A state lock is only ever held for a few instructions, so nobody waits for one
//! longer than [`STATE_LOCK_TIMEOUT`] (a peer may have written a made-up owner into it): a
//! wait whose deadline comes first times out, anything else fails with `ERROR_INVALID_DATA`.
//! The uncontended path is one `pthread_mutex_trylock`, without a clock read.
//!
//! A mutex is owned by the thread that holds its `token`. Acquiring is `pthread_mutex_trylock` on
//! the token (no system call, no state lock) followed by our own `owner` (process nonce + thread
//! id) and `recursion` words; releasing is the reverse. When an owner thread exits or its process
//! dies, the kernel marks the token `OWNER_DIED` through glibc's robust list and wakes a waiter;
//! the next acquirer gets `EOWNERDEAD`, makes the token consistent and reports
//! `WAIT_ABANDONED`.
//!
//! # Wait-all atomicity
//!
//! A wait-all takes the `state_lock`s of all its objects in one global order (device and inode
//! of the object files), so it excludes every event and semaphore operation and every other
//! wait-all on those objects (semaphore releases only add to a count the wait-all found
//! positive, which keeps it positive). Mutex acquirers do not take state locks; the wait-all therefore
//! takes mutex tokens *last*, by `trylock`, and gives them back (still under the state locks) if
//! one is busy. Such a transient hold could make a concurrent acquirer's `trylock` fail although
//! the wait-all never acquired the mutex; to hide it, an acquirer whose `trylock` fails while
//! `all_hint` is non-zero retries once under the mutex's state lock, where no transient hold can
//! be in progress. (`all_hint` is raised with `SeqCst` before the wait-all's first `trylock`; the
//! failed `trylock` followed by a `SeqCst` fence orders the acquirer's read after it.) No process
//! can therefore observe a partial acquisition.
//!
//! # Sleeping
//!
//! See the `futex` module for the lost-wake-up argument. A waiter sleeps on the `seq` words of all
//! its objects plus, for each mutex owned by someone else, the token word with the
//! `FUTEX_WAITERS` bit set, so that the kernel wakes it if the owner dies. Before sleeping it
//! spins briefly ([`set_spin`]) watching the same words, which removes the wake-up latency when
//! the other side answers quickly from another core.

use crate::error::{bail, Error, ErrorKind, Result};
use crate::futex::{self, Expect, Woken};
use crate::object::Object;
use rustix::mm::{MapFlags, ProtFlags};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering::*};
use std::time::{Duration, Instant};

pub(crate) const OFF_LOCK: usize = 1024;
pub(crate) const OFF_SEQ: usize = 1088;
pub(crate) const OFF_NWAITERS: usize = 1092;
pub(crate) const OFF_ALL_HINT: usize = 1096;
/// event: signaled · semaphore: count · mutex: recursion
pub(crate) const OFF_A: usize = 1104;
/// event: manual · semaphore: max · mutex: abandoned
pub(crate) const OFF_B: usize = 1108;
/// event: release_seq (manual-reset Set/Pulse)
pub(crate) const OFF_C: usize = 1112;
/// event: pulse pending (auto-reset) · value: the `seq` of the pulse
pub(crate) const OFF_D: usize = 1116;
pub(crate) const OFF_D_FLAG: usize = 1120;
/// mutex: owner id (process nonce << 32 | tid), 0 = none
pub(crate) const OFF_OWNER: usize = 1128;
/// mutex: the owner's pid (for inspection only)
pub(crate) const OFF_OWNER_PID: usize = 1136;
pub(crate) const OFF_TOKEN: usize = 1152;

/// The mapped header page of a synchronization object in this process.
pub(crate) struct Page {
    ptr: NonNull<u8>,
}

// SAFETY: the page is shared memory accessed only through atomics and glibc's process-shared
// mutex functions, which are safe to call from any thread.
unsafe impl Send for Page {}
// SAFETY: as above.
unsafe impl Sync for Page {}

impl Page {
    pub(crate) fn map(fd: std::os::fd::BorrowedFd<'_>) -> Result<Page> {
        // A file truncated by another process would make every access to the page a SIGBUS.
        let st = rustix::fs::fstat(fd).map_err(|e| Error::os(e, "fstat"))?;
        if st.st_size < 4096 {
            bail!(
                InvalidData,
                "the state of a synchronization object is missing (its file was truncated to {} bytes)",
                st.st_size
            );
        }
        // SAFETY: a fresh shared mapping of the object's first page; it replaces nothing.
        let p = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                4096,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                fd,
                0,
            )
        }
        .map_err(|e| Error::os(e, "cannot map the state of a synchronization object"))?;
        Ok(Page {
            ptr: NonNull::new(p.cast()).expect("mmap returned null"),
        })
    }

    #[inline]
    pub(crate) fn u32(&self, off: usize) -> &AtomicU32 {
        debug_assert!(off % 4 == 0 && off + 4 <= 4096);
        // SAFETY: in bounds, aligned, and the page lives as long as `self`; the memory is only
        // ever accessed atomically (or by glibc's mutex code at other offsets).
        unsafe { &*(self.ptr.as_ptr().add(off) as *const AtomicU32) }
    }

    #[inline]
    pub(crate) fn u64(&self, off: usize) -> &AtomicU64 {
        debug_assert!(off % 8 == 0 && off + 8 <= 4096);
        // SAFETY: as for `u32`.
        unsafe { &*(self.ptr.as_ptr().add(off) as *const AtomicU64) }
    }

    #[inline]
    pub(crate) fn mutex(&self, off: usize) -> *mut libc::pthread_mutex_t {
        // SAFETY: in bounds (callers use OFF_LOCK/OFF_TOKEN, 64-byte aligned, 40 bytes).
        unsafe { self.ptr.as_ptr().add(off) as *mut libc::pthread_mutex_t }
    }

    #[inline]
    pub(crate) fn seq(&self) -> &AtomicU32 {
        self.u32(OFF_SEQ)
    }

    /// Is this page a mutex currently owned by a thread of this process? (Then it must never be
    /// unmapped: the kernel may still walk the owner's robust list into it.)
    pub(crate) fn owned_by_this_process(&self) -> bool {
        (self.u64(OFF_OWNER).load(Relaxed) >> 32) as u32 == nonce()
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: we own this 4096-byte mapping.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), 4096) };
    }
}

/// Initialises a robust, process-shared, normal-type mutex in place.
///
/// # Safety
/// `m` must point to 40 writable bytes that no thread uses as a mutex yet.
pub(crate) unsafe fn init_robust(m: *mut libc::pthread_mutex_t) -> Result<()> {
    let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
    let mut r = libc::pthread_mutexattr_init(&mut attr);
    if r == 0 {
        r = libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED);
    }
    if r == 0 {
        r = libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST);
    }
    if r == 0 {
        r = libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_NORMAL);
    }
    if r == 0 {
        r = libc::pthread_mutex_init(m, &attr);
    }
    libc::pthread_mutexattr_destroy(&mut attr);
    if r != 0 {
        return Err(Error::os(
            std::io::Error::from_raw_os_error(r),
            "cannot initialise a robust mutex",
        ));
    }
    Ok(())
}

/// Offset of glibc's `__kind` word in `pthread_mutex_t` (x86-64 and aarch64 layouts alike:
/// `__lock`, `__count`, `__owner`, `__nusers`, then `__kind`).
const KIND_OFFSET: usize = 16;

/// The `__kind` word glibc stores for the mutexes [`init_robust`] makes, learnt once from a
/// mutex initialised here (process-shared, robust, normal; never 0, so 0 means "not learnt").
#[inline]
fn robust_kind() -> u32 {
    static K: AtomicU32 = AtomicU32::new(0);
    let k = K.load(Relaxed);
    if k != 0 {
        return k;
    }
    // SAFETY: a zeroed pthread_mutex_t is valid storage to initialise; it is never locked.
    let mut m: libc::pthread_mutex_t = unsafe { std::mem::zeroed() };
    // SAFETY: `m` is a fresh local mutex. If initialisation failed the kind read is 0 and
    // every check fails (`ERROR_INVALID_DATA`) instead of trusting an unknown type.
    let _ = unsafe { init_robust(&mut m) };
    // SAFETY: `m` is 40 bytes; the kind is an aligned i32 inside it.
    let k = unsafe {
        std::ptr::read(
            (&m as *const libc::pthread_mutex_t as *const u8).add(KIND_OFFSET) as *const u32,
        )
    };
    K.store(k, Relaxed);
    k
}

/// Checks that the mutex at `m` (in a shared page) still has the kind it was made with before
/// handing it to glibc. A peer that rewrites the kind could otherwise steer glibc into another
/// lock protocol (priority inheritance, error-checking, recursive) whose failure paths abort
/// the process instead of returning an error.
#[inline]
fn check_kind(m: *mut libc::pthread_mutex_t, what: &str) -> Result<()> {
    // SAFETY: `m` points to a 40-byte mutex inside a live shared page; the word is read
    // atomically (a peer may write it at any time).
    let k = unsafe { &*((m as *const u8).add(KIND_OFFSET) as *const AtomicU32) }.load(Relaxed);
    if k != robust_kind() || k == 0 {
        bail!(
            InvalidData,
            "the {what} of a synchronization object is corrupt (another process overwrote its type)"
        );
    }
    Ok(())
}

/// How long fmap waits for a synchronization object's state lock before it gives up with
/// `ERROR_INVALID_DATA`. Legitimate holders keep the lock for a few instructions (every state
/// change under it is a handful of stores), so a lock held this long means that a peer wrote
/// garbage into it (a made-up owner thread id) or that its holder is stopped (`SIGSTOP`, a
/// debugger). Without a bound such a lock would block every wait, whatever its timeout, and
/// every `SetEvent`, forever. A wait whose own deadline comes first returns `WAIT_TIMEOUT`
/// instead; polls (timeout zero) and infinite waits get `ERROR_INVALID_DATA` after this bound.
pub const STATE_LOCK_TIMEOUT: Duration = Duration::from_secs(1);

// glibc >= 2.30; the libc crate does not declare it. 64-bit targets only (32-bit glibc would
// need its `__pthread_mutex_clocklock64` alias).
extern "C" {
    fn pthread_mutex_clocklock(
        m: *mut libc::pthread_mutex_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

/// When an attempt to take a state lock gives up, if the lock is busy.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LockUntil {
    /// After [`STATE_LOCK_TIMEOUT`], with `ERROR_INVALID_DATA`: signalling calls, infinite
    /// waits, and polls (a poll waits out a legitimate holder rather than failing because of
    /// it).
    Bound,
    /// A wait's deadline: reached first, the attempt reports that the wait timed out;
    /// otherwise the bound applies.
    At(Instant),
    /// A wait of this (non-zero) timeout that starts now: turned into [`LockUntil::At`] only
    /// if the lock is busy, so the uncontended path reads no clock.
    After(Duration),
}

impl LockUntil {
    /// For the first attempt of a wait with `timeout` (`None`: infinite).
    #[inline]
    pub(crate) fn of_timeout(timeout: Option<Duration>) -> LockUntil {
        match timeout {
            None => LockUntil::Bound,
            Some(d) if d.is_zero() => LockUntil::Bound,
            Some(d) => LockUntil::After(d),
        }
    }

    /// For the attempts of a wait whose deadline is `deadline` (`None`: infinite).
    #[inline]
    fn of_deadline(deadline: Option<Instant>) -> LockUntil {
        deadline.map_or(LockUntil::Bound, LockUntil::At)
    }
}

/// Holds an object's state lock.
pub(crate) struct StateGuard<'a> {
    m: *mut libc::pthread_mutex_t,
    _page: &'a Page,
}

impl<'a> StateGuard<'a> {
    /// Takes the state lock, waiting at most [`STATE_LOCK_TIMEOUT`] (then
    /// `ERROR_INVALID_DATA`).
    #[inline]
    pub(crate) fn lock(page: &'a Page) -> Result<StateGuard<'a>> {
        Ok(StateGuard::lock_until(page, LockUntil::Bound)?
            .expect("a lock attempt without a wait deadline does not time out"))
    }

    /// Takes the state lock. `Ok(None)`: the wait deadline in `until` passed first (the wait
    /// times out); busy for [`STATE_LOCK_TIMEOUT`] first: `ERROR_INVALID_DATA`.
    pub(crate) fn lock_until(page: &'a Page, until: LockUntil) -> Result<Option<StateGuard<'a>>> {
        let m = page.mutex(OFF_LOCK);
        check_kind(m, "state lock")?;
        // The common case without a clock read or a system call: a free lock.
        // SAFETY: `m` is the initialised process-shared state lock inside the mapped page.
        let mut r = unsafe { libc::pthread_mutex_trylock(m) };
        if r == libc::EBUSY {
            match lock_slow(m, until) {
                Some(r2) => r = r2,
                None => return Ok(None),
            }
        }
        match r {
            0 => {}
            libc::EOWNERDEAD => {
                // A process died inside a critical section. Every state change is a single
                // store, so the state is consistent; say so.
                // SAFETY: we hold the lock (EOWNERDEAD acquires it).
                unsafe { libc::pthread_mutex_consistent(m) };
            }
            libc::ETIMEDOUT => bail!(
                InvalidData,
                "the state lock of a synchronization object has been held for more than {} s: \
                 a peer wrote garbage into it, or its holder is stopped",
                STATE_LOCK_TIMEOUT.as_secs_f64()
            ),
            e => {
                return Err(Error::new(
                    ErrorKind::InvalidData,
                    format!(
                        "the state lock of a synchronization object is unusable ({})",
                        std::io::Error::from_raw_os_error(e)
                    ),
                ))
            }
        }
        Ok(Some(StateGuard { m, _page: page }))
    }
}

/// A busy state lock: waits for it until the earlier of the wait's deadline and the bound.
/// `None`: the wait's deadline passed first; else what glibc returned (`ETIMEDOUT`: the bound
/// passed).
#[cold]
fn lock_slow(m: *mut libc::pthread_mutex_t, until: LockUntil) -> Option<libc::c_int> {
    let now = Instant::now();
    let deadline = match until {
        LockUntil::Bound => None,
        LockUntil::At(d) => Some(d),
        // Too far to represent: as good as infinite.
        LockUntil::After(d) => now.checked_add(d),
    };
    let left = deadline.map(|d| d.saturating_duration_since(now));
    // The wait's deadline decides if it comes no later than the bound.
    let wait_decides = left.is_some_and(|l| l <= STATE_LOCK_TIMEOUT);
    let wait = left.map_or(STATE_LOCK_TIMEOUT, |l| l.min(STATE_LOCK_TIMEOUT));
    // `Instant` is CLOCK_MONOTONIC on Linux; the absolute time is taken on the same clock.
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let mut sec = ts.tv_sec.saturating_add(wait.as_secs() as i64);
    let mut nsec = ts.tv_nsec as i64 + i64::from(wait.subsec_nanos());
    if nsec >= 1_000_000_000 {
        nsec -= 1_000_000_000;
        sec = sec.saturating_add(1);
    }
    let abs = libc::timespec {
        tv_sec: sec as libc::time_t,
        tv_nsec: nsec as _,
    };
    // SAFETY: `m` is the initialised process-shared robust state lock (its kind was checked)
    // in a live mapping; `abs` is a valid, normalised time.
    let r = unsafe { pthread_mutex_clocklock(m, libc::CLOCK_MONOTONIC, &abs) };
    if r == libc::ETIMEDOUT && wait_decides {
        return None;
    }
    Some(r)
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: we hold the lock.
        unsafe { libc::pthread_mutex_unlock(self.m) };
    }
}

/// This process's owner-id nonce; 0 until first computed, and again in a `fork`ed child.
static NONCE: AtomicU32 = AtomicU32::new(0);

/// `pthread_atfork` child handler: the child of a `fork` is another process with other
/// threads, so it must not pass for the parent's owner (it would "own" the parent's mutexes
/// and own none of its own: `ReleaseMutex` failed with `ERROR_NOT_OWNER`). Only an atomic
/// store, which is async-signal-safe.
extern "C" fn forget_nonce_in_child() {
    NONCE.store(0, Relaxed);
}

/// This process's random nonce (never 0), the high half of every owner id.
#[inline]
fn nonce() -> u32 {
    let n = NONCE.load(Relaxed);
    if n != 0 {
        return n;
    }
    new_nonce()
}

#[cold]
fn new_nonce() -> u32 {
    static ATFORK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    // Registered before the first nonce is stored, so a `fork` after that store runs the
    // handler (glibc registers and forks under one lock). Racing first callers may register it
    // twice, which is harmless; a `std::sync::Once` could be left "running" forever in a child
    // forked during the registration.
    if !ATFORK.load(Acquire) {
        // SAFETY: registers a handler that only stores to an atomic.
        unsafe { libc::pthread_atfork(None, None, Some(forget_nonce_in_child)) };
        ATFORK.store(true, Release);
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    // The pid (a system call, once per process) tells a forked child from its parent even
    // where the hasher's keys and the clock would not.
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let n = (h.finish() as u32) | 1;
    // The first thread to store wins; every thread of the process uses the same nonce.
    match NONCE.compare_exchange(0, n, Relaxed, Relaxed) {
        Ok(_) => n,
        Err(other) => other,
    }
}

/// This thread's owner id: the process's nonce and the kernel thread id. Cached per thread;
/// the cache is recomputed when the nonce changed, which happens in a `fork`ed child (whose
/// thread has another kernel thread id, too). One relaxed load more than a plain cache, no
/// system call.
#[inline]
pub(crate) fn me() -> u64 {
    thread_local! {
        // A const-initialised thread local costs one TLS load (no lazy-init check).
        static ME: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    ME.with(|m| {
        let v = m.get();
        let n = nonce();
        if (v >> 32) as u32 == n {
            return v;
        }
        let v = (u64::from(n) << 32)
            | u64::from(rustix::thread::gettid().as_raw_nonzero().get() as u32);
        m.set(v);
        v
    })
}

fn newer(a: u32, than: u32) -> bool {
    (a.wrapping_sub(than) as i32) > 0
}

/// Bumps `seq` and wakes sleepers if any registered (see the `futex` module).
pub(crate) fn signal(page: &Page) {
    page.seq().fetch_add(1, SeqCst);
    if page.u32(OFF_NWAITERS).load(SeqCst) != 0 {
        futex::wake_all(page.seq());
    }
}

/// The object types a wait can involve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncKind {
    Mutex,
    Event,
    Semaphore,
}

/// What one acquisition attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Try {
    Got,
    Abandoned,
    No,
}

/// A waitable object as the wait engine sees it.
pub struct WaitTarget<'a> {
    pub(crate) obj: &'a Object,
    pub(crate) page: &'a Page,
    pub(crate) kind: SyncKind,
}

impl WaitTarget<'_> {
    fn key(&self) -> Result<(u64, u64)> {
        self.obj.identity()
    }
}

/// Implemented by objects that can be waited on (mutexes, events, semaphores). A
/// [`Mapping`](crate::Mapping) implements it too and always fails: file mappings are not
/// waitable.
pub trait Waitable {
    /// The object's state, if it is waitable and the handle has `SYNCHRONIZE` access.
    fn wait_target(&self) -> Result<WaitTarget<'_>>;
}

/// The outcome of a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitResult {
    /// Object `index` was signaled and acquired (`WAIT_OBJECT_0 + index`; for wait-all, index
    /// 0).
    Signaled(usize),
    /// Object `index` is a mutex whose owner died; the caller now owns it
    /// (`WAIT_ABANDONED_0 + index`).
    Abandoned(usize),
    /// The timeout elapsed; nothing was acquired (`WAIT_TIMEOUT`).
    TimedOut,
}

impl WaitResult {
    /// The Win32 return value (`WAIT_OBJECT_0 + i`, `WAIT_ABANDONED_0 + i`, `WAIT_TIMEOUT`).
    pub fn to_win32(self) -> u32 {
        match self {
            WaitResult::Signaled(i) => i as u32,
            WaitResult::Abandoned(i) => crate::win32::WAIT_ABANDONED_0 + i as u32,
            WaitResult::TimedOut => crate::win32::WAIT_TIMEOUT,
        }
    }
}

static SPIN_NS: AtomicU64 = AtomicU64::new(u64::MAX);

/// Sets how long a waiter spins (watching the objects' words) before it sleeps in the kernel.
/// Spinning trades CPU time for wake-up latency when the other side answers quickly from
/// another core. The default is 20 µs on machines with more than one CPU and 0 otherwise, or
/// `$FMAP_SPIN_US` microseconds if set. `Duration::ZERO` disables spinning.
pub fn set_spin(d: Duration) {
    SPIN_NS.store(d.as_nanos().min(u64::MAX as u128 - 1) as u64, Relaxed);
}

fn spin_ns() -> u64 {
    let v = SPIN_NS.load(Relaxed);
    if v != u64::MAX {
        return v;
    }
    let d = std::env::var("FMAP_SPIN_US")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|us| us * 1000)
        .unwrap_or_else(|| {
            // Online CPUs, not this thread's affinity mask: a waiter pinned to one CPU still
            // profits from spinning while its peer runs on another.
            // SAFETY: sysconf has no preconditions.
            if unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) } > 1 {
                20_000
            } else {
                0
            }
        });
    SPIN_NS.store(d, Relaxed);
    d
}

/// Tries to acquire the mutex at `page` for this thread, without sleeping.
#[inline]
pub(crate) fn try_mutex(page: &Page) -> Result<Try> {
    // `None` only comes with a wait deadline, which `Bound` has not.
    Ok(try_mutex_until(page, LockUntil::Bound)?.unwrap_or(Try::No))
}

/// [`try_mutex`] for a wait: `Ok(None)` if it needed the state lock (see below) and the wait's
/// deadline in `until` passed before it got it.
#[inline]
pub(crate) fn try_mutex_until(page: &Page, until: LockUntil) -> Result<Option<Try>> {
    let token = page.mutex(OFF_TOKEN);
    // The common case first: a free token. (A token this thread already holds makes the
    // normal-type trylock fail with EBUSY, and the recursion check below takes over.)
    let mut attempt = trylock(token)?;
    if attempt == Lock::Busy && owned_by_me(page) {
        let rec = page.u32(OFF_A);
        let r = rec.load(Relaxed);
        if r >= i32::MAX as u32 {
            bail!(
                MutantLimitExceeded,
                "the mutex's recursion count would overflow"
            );
        }
        rec.store(r + 1, Relaxed);
        return Ok(Some(Try::Got));
    }
    if attempt == Lock::Busy {
        fence(SeqCst);
        if page.u32(OFF_ALL_HINT).load(SeqCst) != 0 {
            // A wait-all may hold the token transiently under the state lock: look again there.
            let Some(_g) = StateGuard::lock_until(page, until)? else {
                return Ok(None);
            };
            attempt = trylock(token)?;
        }
    }
    Ok(Some(match attempt {
        Lock::Busy => Try::No,
        Lock::Acquired => claim_mutex(page, false),
        Lock::OwnerDied => claim_mutex(page, true),
    }))
}

/// Does the calling thread own the mutex at `page`? Our owner id must match *and* the token
/// must still be held by this thread id: if a previous thread with the same (reused) id died
/// owning the mutex, the kernel has cleared the token's thread id and the mutex is abandoned,
/// not ours.
#[inline]
pub(crate) fn owned_by_me(page: &Page) -> bool {
    let me = me();
    page.u64(OFF_OWNER).load(Relaxed) == me
        && page.u32(OFF_TOKEN).load(Relaxed) & TID_MASK == me as u32 & TID_MASK
}

/// After taking the token: record ownership; report abandonment once.
#[inline]
fn claim_mutex(page: &Page, owner_died: bool) -> Try {
    let owner = page.u64(OFF_OWNER);
    let abandoned = page.u32(OFF_B);
    if owner_died && owner.load(Relaxed) != 0 {
        // The previous owner completed its acquisition and died holding the mutex.
        abandoned.store(1, Relaxed);
    }
    owner.store(me(), Relaxed);
    page.u32(OFF_OWNER_PID)
        .store(crate::namespace::current_pid(), Relaxed);
    page.u32(OFF_A).store(1, Relaxed);
    if abandoned.load(Relaxed) != 0 {
        abandoned.store(0, Relaxed);
        Try::Abandoned
    } else {
        Try::Got
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    Acquired,
    OwnerDied,
    Busy,
}

#[inline]
fn trylock(m: *mut libc::pthread_mutex_t) -> Result<Lock> {
    check_kind(m, "ownership token")?;
    // SAFETY: `m` is an initialised process-shared robust mutex in a live mapping.
    match unsafe { libc::pthread_mutex_trylock(m) } {
        0 => Ok(Lock::Acquired),
        libc::EBUSY => Ok(Lock::Busy),
        libc::EOWNERDEAD => {
            // SAFETY: EOWNERDEAD means we now hold it.
            unsafe { libc::pthread_mutex_consistent(m) };
            Ok(Lock::OwnerDied)
        }
        e => Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "a mutex's ownership token is unusable ({})",
                std::io::Error::from_raw_os_error(e)
            ),
        )),
    }
}

pub(crate) use Try as TryOutcome;

/// `ReleaseMutex`.
#[inline]
pub(crate) fn release_mutex(page: &Page) -> Result<()> {
    if !owned_by_me(page) {
        bail!(NotOwner, "the calling thread does not own the mutex");
    }
    let rec = page.u32(OFF_A);
    let r = rec.load(Relaxed);
    if r > 1 {
        rec.store(r - 1, Relaxed);
        return Ok(());
    }
    give_back_token(page);
    Ok(())
}

/// Clears the owner and unlocks the token, which the calling thread holds, then wakes sleepers
/// if there are any.
#[inline]
fn give_back_token(page: &Page) {
    page.u64(OFF_OWNER).store(0, Relaxed);
    // SAFETY: the calling thread holds the token (its callers checked `owned_by_me`).
    unsafe { libc::pthread_mutex_unlock(page.mutex(OFF_TOKEN)) };
    // Wake sleepers only if there are any. A waiter registers in `nwaiters` (SeqCst) and then
    // compares the token word with the value it saw before its failed attempt; the unlock (a
    // locked exchange, a full barrier on x86) precedes our read of `nwaiters`, so either we
    // see the waiter or it sees the released token (see `sleep`).
    #[cfg(target_arch = "x86_64")]
    std::sync::atomic::compiler_fence(SeqCst);
    #[cfg(not(target_arch = "x86_64"))]
    fence(SeqCst);
    if page.u32(OFF_NWAITERS).load(SeqCst) != 0 {
        page.seq().fetch_add(1, SeqCst);
        futex::wake_all(page.seq());
    }
}

/// Ends the calling thread's ownership of the mutex at `page` when its last handle anywhere
/// closes: marks it abandoned (for anyone who opens it before the name goes) and unlocks the
/// token, which also removes it from this thread's robust list. The caller checked
/// [`owned_by_me`].
pub(crate) fn abandon_on_close(page: &Page) {
    page.u32(OFF_B).store(1, Relaxed);
    page.u32(OFF_A).store(0, Relaxed);
    give_back_token(page);
}

/// Validates the state words of an event or semaphore, under its state lock. Any process
/// with write access can store anything there (a hostile or buggy peer); values no fmap
/// operation can produce are reported as `ERROR_INVALID_DATA` instead of being acted on (a
/// semaphore count above its maximum or negative would otherwise overflow the arithmetic of
/// `ReleaseSemaphore` and hand out units that do not exist).
pub(crate) fn check_state(kind: SyncKind, page: &Page) -> Result<()> {
    let ok = match kind {
        SyncKind::Semaphore => {
            let count = page.u32(OFF_A).load(Relaxed) as i32;
            let max = page.u32(OFF_B).load(Relaxed) as i32;
            max > 0 && (0..=max).contains(&count)
        }
        SyncKind::Event => [OFF_A, OFF_B, OFF_D_FLAG]
            .iter()
            .all(|&o| page.u32(o).load(Relaxed) <= 1),
        SyncKind::Mutex => page.u32(OFF_B).load(Relaxed) <= 1,
    };
    if !ok {
        bail!(
            InvalidData,
            "the state of this {} is corrupt (another process wrote values no operation produces)",
            match kind {
                SyncKind::Semaphore => "semaphore",
                SyncKind::Event => "event",
                SyncKind::Mutex => "mutex",
            }
        );
    }
    Ok(())
}

/// Event and semaphore attempts, under the state lock. `since`: the `seq` snapshot from before
/// the waiter last slept (releases by Set/Pulse after it count for manual-reset events).
fn try_locked(kind: SyncKind, page: &Page, since: Option<u32>) -> Try {
    match kind {
        SyncKind::Semaphore => {
            let c = page.u32(OFF_A);
            if c.load(Relaxed) > 0 {
                // Releases add to the count without the lock; decrements all happen under it,
                // so the count is still positive here and one atomic subtraction commits.
                c.fetch_sub(1, SeqCst);
                Try::Got
            } else {
                Try::No
            }
        }
        SyncKind::Event => {
            let signaled = page.u32(OFF_A);
            let manual = page.u32(OFF_B).load(Relaxed) != 0;
            if signaled.load(Relaxed) != 0 {
                if !manual {
                    signaled.store(0, Relaxed);
                }
                return Try::Got;
            }
            let Some(s) = since else { return Try::No };
            if manual {
                if newer(page.u32(OFF_C).load(Relaxed), s) {
                    return Try::Got;
                }
            } else if page.u32(OFF_D_FLAG).load(Relaxed) != 0
                && newer(page.u32(OFF_D).load(Relaxed), s)
            {
                page.u32(OFF_D_FLAG).store(0, Relaxed);
                return Try::Got;
            }
            Try::No
        }
        SyncKind::Mutex => unreachable!("mutexes are not attempted under the state lock"),
    }
}

/// Could the event or semaphore at `page` be acquired? A lock-free look: `false` is only
/// trusted together with a `seq` snapshot taken before it (a change after the snapshot makes
/// the sleep return at once; a change before it is visible here, because every state change is
/// stored before the `seq` store that publishes it).
fn might_be_available(kind: SyncKind, page: &Page, since: Option<u32>) -> bool {
    match kind {
        SyncKind::Semaphore => page.u32(OFF_A).load(SeqCst) > 0,
        SyncKind::Event => {
            page.u32(OFF_A).load(SeqCst) != 0
                || since.is_some_and(|s| {
                    if page.u32(OFF_B).load(Relaxed) != 0 {
                        newer(page.u32(OFF_C).load(SeqCst), s)
                    } else {
                        page.u32(OFF_D_FLAG).load(SeqCst) != 0
                            && newer(page.u32(OFF_D).load(SeqCst), s)
                    }
                })
        }
        SyncKind::Mutex => true,
    }
}

/// One attempt on one object. Also returns what to sleep on: the `seq` snapshot (read before
/// the attempt) and, for a mutex, its token word as seen after the failed attempt (for an
/// event or semaphore 0: a failed semaphore attempt saw a count of 0). `Ok(None)`: the state
/// lock was busy until the wait's deadline in `until` (the wait times out).
fn attempt(
    t: &WaitTarget<'_>,
    since: Option<u32>,
    until: LockUntil,
) -> Result<Option<(Try, u32, u32)>> {
    let snap = t.page.seq().load(SeqCst);
    match t.kind {
        SyncKind::Mutex => {
            let Some(r) = try_mutex_until(t.page, until)? else {
                return Ok(None);
            };
            Ok(Some((r, snap, t.page.u32(OFF_TOKEN).load(SeqCst))))
        }
        _ => {
            if !might_be_available(t.kind, t.page, since) {
                return Ok(Some((Try::No, snap, 0)));
            }
            let Some(_g) = StateGuard::lock_until(t.page, until)? else {
                return Ok(None);
            };
            check_state(t.kind, t.page)?;
            let r = try_locked(t.kind, t.page, since);
            Ok(Some((r, t.page.seq().load(SeqCst), 0)))
        }
    }
}

fn deadline_of(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|d| {
        Instant::now()
            .checked_add(d)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86400 * 365))
    })
}

/// `WaitForMultipleObjects(…, bWaitAll = FALSE, …)`; `timeout` `None` is `INFINITE`.
pub fn wait_any(objects: &[&dyn Waitable], timeout: Option<Duration>) -> Result<WaitResult> {
    if objects.is_empty() || objects.len() > 64 {
        bail!(
            InvalidParameter,
            "a wait takes 1 to 64 objects, not {}",
            objects.len()
        );
    }
    // Every handle is checked before anything is acquired.
    for o in objects {
        o.wait_target()?;
    }
    // Fast path, without allocating: an object that is available now, or a poll.
    let first = LockUntil::of_timeout(timeout);
    for (i, o) in objects.iter().enumerate() {
        let Some((r, _, _)) = attempt(&o.wait_target()?, None, first)? else {
            return Ok(WaitResult::TimedOut);
        };
        match r {
            Try::Got => return Ok(WaitResult::Signaled(i)),
            Try::Abandoned => return Ok(WaitResult::Abandoned(i)),
            Try::No => {}
        }
    }
    if timeout == Some(Duration::ZERO) {
        return Ok(WaitResult::TimedOut);
    }
    let deadline = deadline_of(timeout);
    let targets = objects
        .iter()
        .map(|o| o.wait_target())
        .collect::<Result<Vec<_>>>()?;
    let mut snaps = vec![0u32; targets.len()];
    let mut toks = vec![0u32; targets.len()];
    let mut since: Option<Vec<u32>> = None;
    let until = LockUntil::of_deadline(deadline);
    loop {
        for (i, t) in targets.iter().enumerate() {
            let Some((r, snap, tok)) = attempt(t, since.as_ref().map(|s| s[i]), until)? else {
                return Ok(WaitResult::TimedOut);
            };
            match r {
                Try::Got => return Ok(WaitResult::Signaled(i)),
                Try::Abandoned => return Ok(WaitResult::Abandoned(i)),
                Try::No => {
                    snaps[i] = snap;
                    toks[i] = tok;
                }
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(WaitResult::TimedOut);
        }
        sleep(&targets, &snaps, &toks, deadline, false);
        since = Some(snaps.clone());
    }
}

/// `WaitForMultipleObjects(…, bWaitAll = TRUE, …)`: acquires every object at once or nothing.
/// The same object twice (through any handles) is `ERROR_INVALID_PARAMETER`.
pub fn wait_all(objects: &[&dyn Waitable], timeout: Option<Duration>) -> Result<WaitResult> {
    if objects.is_empty() || objects.len() > 64 {
        bail!(
            InvalidParameter,
            "a wait takes 1 to 64 objects, not {}",
            objects.len()
        );
    }
    let targets = objects
        .iter()
        .map(|o| o.wait_target())
        .collect::<Result<Vec<_>>>()?;
    let mut order: Vec<(u64, u64, usize)> = Vec::with_capacity(targets.len());
    for (i, t) in targets.iter().enumerate() {
        let (d, n) = t.key()?;
        order.push((d, n, i));
    }
    order.sort_unstable();
    if order
        .windows(2)
        .any(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
    {
        bail!(
            InvalidParameter,
            "the same object appears twice in a wait-all"
        );
    }
    let deadline = deadline_of(timeout);
    for t in &targets {
        t.page.u32(OFF_ALL_HINT).fetch_add(1, SeqCst);
    }
    struct Hint<'a>(&'a [WaitTarget<'a>]);
    impl Drop for Hint<'_> {
        fn drop(&mut self) {
            for t in self.0 {
                t.page.u32(OFF_ALL_HINT).fetch_sub(1, SeqCst);
            }
        }
    }
    let _hint = Hint(&targets);
    let mut snaps = vec![0u32; targets.len()];
    let mut toks = vec![0u32; targets.len()];
    // A poll waits out legitimate holders of the state locks (see `LockUntil::Bound`).
    let until = if timeout == Some(Duration::ZERO) {
        LockUntil::Bound
    } else {
        LockUntil::of_deadline(deadline)
    };
    loop {
        if let Some(r) = try_all(&targets, &order, &mut snaps, &mut toks, until)? {
            return Ok(r);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(WaitResult::TimedOut);
        }
        sleep(&targets, &snaps, &toks, deadline, true);
    }
}

/// One atomic attempt of a wait-all, under all state locks. `Ok(None)`: not all available;
/// `WaitResult::TimedOut`: a state lock stayed busy until the wait's deadline in `until`.
fn try_all(
    targets: &[WaitTarget<'_>],
    order: &[(u64, u64, usize)],
    snaps: &mut [u32],
    toks: &mut [u32],
    until: LockUntil,
) -> Result<Option<WaitResult>> {
    for (i, t) in targets.iter().enumerate() {
        snaps[i] = t.page.seq().load(SeqCst);
    }
    let mut guards = Vec::with_capacity(order.len());
    for &(_, _, i) in order {
        let Some(g) = StateGuard::lock_until(targets[i].page, until)? else {
            return Ok(Some(WaitResult::TimedOut));
        };
        guards.push(g);
        if targets[i].kind != SyncKind::Mutex {
            check_state(targets[i].kind, targets[i].page)?;
        }
    }
    for t in targets {
        if t.kind == SyncKind::Mutex
            && owned_by_me(t.page)
            && t.page.u32(OFF_A).load(Relaxed) >= i32::MAX as u32
        {
            bail!(
                MutantLimitExceeded,
                "the mutex's recursion count would overflow"
            );
        }
    }
    // Events and semaphores cannot change while we hold their locks; mutexes can be taken by
    // lock-free acquirers, so they are claimed last, by trylock.
    // Each mutex's token is recorded as seen here: a busy one is what the sleep watches.
    let mut ready = true;
    for (i, t) in targets.iter().enumerate() {
        let ok = match t.kind {
            SyncKind::Semaphore => {
                // Recorded like a token: a count of 0 here is watched by the sleep.
                let c = t.page.u32(OFF_A).load(SeqCst);
                toks[i] = c;
                c > 0
            }
            SyncKind::Event => t.page.u32(OFF_A).load(Relaxed) != 0,
            SyncKind::Mutex => {
                let tok = t.page.u32(OFF_TOKEN).load(SeqCst);
                toks[i] = tok;
                owned_by_me(t.page) || tok & TID_MASK == 0
            }
        };
        ready &= ok;
    }
    if !ready {
        return Ok(None);
    }
    // Claim the mutexes' tokens.
    let mut taken: Vec<(usize, Lock)> = Vec::new();
    for &(_, _, i) in order {
        let t = &targets[i];
        if t.kind != SyncKind::Mutex || owned_by_me(t.page) {
            continue;
        }
        match trylock(t.page.mutex(OFF_TOKEN))? {
            Lock::Busy => {
                // Taken since we looked: a value no token can hold makes the sleep return at
                // once, and the next attempt records the real one.
                toks[i] = TID_MASK;
                for (j, how) in taken {
                    let p = targets[j].page;
                    if how == Lock::OwnerDied && p.u64(OFF_OWNER).load(Relaxed) != 0 {
                        // Keep the abandonment for whoever really acquires it.
                        p.u32(OFF_B).store(1, Relaxed);
                    }
                    // SAFETY: we took this token just above.
                    unsafe { libc::pthread_mutex_unlock(p.mutex(OFF_TOKEN)) };
                    signal(p);
                }
                return Ok(None);
            }
            how => taken.push((i, how)),
        }
    }
    // Commit.
    let mut abandoned = false;
    for (i, t) in targets.iter().enumerate() {
        match t.kind {
            SyncKind::Semaphore => {
                // Still positive: only releases (additions) can run without the lock.
                t.page.u32(OFF_A).fetch_sub(1, SeqCst);
            }
            SyncKind::Event => {
                if t.page.u32(OFF_B).load(Relaxed) == 0 {
                    t.page.u32(OFF_A).store(0, Relaxed);
                }
            }
            SyncKind::Mutex => match taken.iter().find(|(j, _)| *j == i) {
                Some(&(_, how)) => {
                    if claim_mutex(t.page, how == Lock::OwnerDied) == Try::Abandoned {
                        abandoned = true;
                    }
                }
                None => {
                    // Already ours: one more level (overflow was ruled out above).
                    let rec = t.page.u32(OFF_A);
                    rec.store(rec.load(Relaxed) + 1, Relaxed);
                }
            },
        }
    }
    drop(guards);
    Ok(Some(if abandoned {
        WaitResult::Abandoned(0)
    } else {
        WaitResult::Signaled(0)
    }))
}

const TID_MASK: u32 = 0x3FFF_FFFF;
const FUTEX_WAITERS: u32 = 0x8000_0000;

/// Spins, then sleeps until one of the objects changes (or the deadline passes). `snaps` are
/// the `seq` snapshots and `toks` the mutex token words (semaphores: the counts) seen at the
/// failed attempts.
///
/// A semaphore release bumps `seq` only when a sleeper is registered in `nwaiters`, so a
/// semaphore whose count was 0 at the attempt is watched through its count too: a positive
/// count counts as a change (the release's compare-exchange and our `nwaiters` increment are
/// both `SeqCst`, so either it sees us and bumps `seq`, or our last look here sees the count).
///
/// Likewise a mutex release bumps `seq` only when a sleeper is registered, so a mutex is
/// watched through its token word too: a *free* token (thread id 0), or one held by another
/// thread than at the attempt, counts as a change (the `FUTEX_WAITERS` bit, which waiters set,
/// does not). A release that happens after we registered sees us and bumps `seq`; one that
/// happened before leaves the token free — or taken again, in which case the next release
/// sees us. So a waiter never sleeps through a release.
fn sleep(
    targets: &[WaitTarget<'_>],
    snaps: &[u32],
    toks: &[u32],
    deadline: Option<Instant>,
    all: bool,
) {
    let changed = || {
        targets.iter().zip(snaps).zip(toks).any(|((t, s), k)| {
            t.page.seq().load(SeqCst) != *s
                || (t.kind == SyncKind::Semaphore && *k == 0 && t.page.u32(OFF_A).load(SeqCst) != 0)
                || (t.kind == SyncKind::Mutex && {
                    if *k & TID_MASK == 0 {
                        // Free at the attempt: a wait-any retries at once (it was released
                        // right after its trylock failed); a wait-all is not waiting for it.
                        !all
                    } else {
                        let tok = t.page.u32(OFF_TOKEN).load(SeqCst);
                        tok & TID_MASK == 0 || (tok ^ *k) & !FUTEX_WAITERS != 0
                    }
                })
        })
    };
    let spin = spin_ns();
    if spin > 0 {
        let start = Instant::now();
        let mut n = 0u32;
        loop {
            std::hint::spin_loop();
            if changed() {
                return;
            }
            n = n.wrapping_add(1);
            if n % 256 == 0
                && (start.elapsed().as_nanos() as u64 >= spin
                    || deadline.is_some_and(|d| Instant::now() >= d))
            {
                break;
            }
        }
    }
    for t in targets {
        t.page.u32(OFF_NWAITERS).fetch_add(1, SeqCst);
    }
    let mut words: Vec<Expect<'_>> = Vec::with_capacity(targets.len() * 2);
    for (t, s) in targets.iter().zip(snaps) {
        words.push(Expect {
            word: t.page.seq(),
            value: *s,
        });
    }
    let mut token_entries: Vec<(usize, usize)> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        if t.kind != SyncKind::Mutex {
            continue;
        }
        // Ask the kernel to wake us if the owner dies: set FUTEX_WAITERS on an owned token.
        // (A free token, or one whose owner changed, is caught by `changed()` below; a
        // compare-exchange that fails because another waiter set the bit first is retried.)
        let w = t.page.u32(OFF_TOKEN);
        if owned_by_me(t.page) {
            continue;
        }
        let mut v = w.load(SeqCst);
        while v & TID_MASK != 0 {
            let want = v | FUTEX_WAITERS;
            if v == want {
                break;
            }
            match w.compare_exchange(v, want, SeqCst, SeqCst) {
                Ok(_) => v = want,
                Err(now) => v = now,
            }
        }
        if v & TID_MASK != 0 {
            token_entries.push((words.len(), i));
            words.push(Expect { word: w, value: v });
        }
    }
    let r = if changed() {
        Woken::Changed
    } else {
        futex::waitv(&words, deadline)
    };
    for t in targets {
        t.page.u32(OFF_NWAITERS).fetch_sub(1, SeqCst);
    }
    if let Woken::Entry(k) = r {
        if let Some(&(_, i)) = token_entries.iter().find(|(e, _)| *e == k) {
            // The kernel wakes one waiter when an owner dies, and glibc one per unlock: pass
            // the news to everybody else waiting on this mutex.
            signal(targets[i].page);
        }
    }
}

/// `WaitForSingleObject`.
#[inline]
pub fn wait_one(object: &dyn Waitable, timeout: Option<Duration>) -> Result<WaitResult> {
    // Fast path: one attempt, no allocation.
    let t = object.wait_target()?;
    let until = LockUntil::of_timeout(timeout);
    let r = match t.kind {
        SyncKind::Mutex => try_mutex_until(t.page, until)?,
        _ => attempt(&t, None, until)?.map(|(r, _, _)| r),
    };
    let Some(r) = r else {
        return Ok(WaitResult::TimedOut);
    };
    match r {
        Try::Got => Ok(WaitResult::Signaled(0)),
        Try::Abandoned => Ok(WaitResult::Abandoned(0)),
        Try::No if timeout == Some(Duration::ZERO) => Ok(WaitResult::TimedOut),
        Try::No => wait_any(&[object], timeout),
    }
}
