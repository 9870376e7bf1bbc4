//! glibc's robust, process-shared `pthread_mutex_t`, used in shared memory: [`RobustMutex`],
//! the 64-byte slot of a shared page that holds one, with its initialisation, the type-word
//! check that keeps a peer from steering glibc into another lock protocol, `trylock`, a bounded
//! lock and `unlock`. When the owner thread dies the kernel marks the mutex `OWNER_DIED` through
//! the thread's robust list, and the next locker gets `EOWNERDEAD` (and marks it consistent).
//!
//! Nothing outside this file handles a `*mut pthread_mutex_t`.
//!
//! # Layout
//!
//! fmap relies on glibc's layout of `pthread_mutex_t` on 64-bit Linux: 40 bytes, the lock word
//! (`__lock`, in the kernel's robust-futex format: owner thread id, [`FUTEX_WAITERS`],
//! [`FUTEX_OWNER_DIED`]) at offset 0 and the type word (`__kind`) at [`KIND_OFFSET`]. That
//! layout is the same on x86-64 and aarch64 with glibc; other targets (32-bit, musl, other C
//! libraries) are refused at compile time, and a unit test checks the layout at run time.

use crate::error::{bail, Error, Result};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, Ordering::*};

#[cfg(not(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!(
    "fmap keeps glibc robust mutexes in shared memory and relies on glibc's pthread_mutex_t \
     layout (40 bytes, the type word __kind at offset 16), which it supports on x86_64 and \
     aarch64 Linux with glibc (linux-gnu) only; this target (another architecture, 32-bit, musl \
     or another C library) is not supported"
);

/// Offset of glibc's `__kind` word in `pthread_mutex_t` (x86-64 and aarch64 layouts alike:
/// `__lock`, `__count`, `__owner`, `__nusers`, then `__kind`).
pub(crate) const KIND_OFFSET: usize = 16;

/// The owner-thread-id bits of a robust futex word (the kernel's `FUTEX_TID_MASK`).
pub(crate) const TID_MASK: u32 = 0x3FFF_FFFF;
/// Set in a robust futex word by the kernel when its owner died holding it.
pub(crate) const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
/// Set in a futex word by a thread that sleeps (or asks to be woken) on it.
pub(crate) const FUTEX_WAITERS: u32 = 0x8000_0000;

/// A 64-byte slot in shared memory holding a glibc robust, process-shared, normal-type
/// `pthread_mutex_t` (40 bytes, at the start of the slot; the rest is unused).
///
/// The bytes are written by glibc and the kernel (the robust list) in any process that maps
/// them, and may be overwritten by a hostile peer at any time: they sit in an [`UnsafeCell`],
/// are handed to glibc only as a raw pointer, and are read here only atomically. A locked
/// mutex is on its owner thread's robust list, which the kernel walks when the thread exits:
/// its memory must stay mapped while a thread of this process holds it (a mutex's page is
/// never unmapped then, see `sync::mutex::last_close`).
#[repr(C, align(8))]
pub(crate) struct RobustMutex(UnsafeCell<[u8; 64]>);

const _: () = assert!(std::mem::size_of::<libc::pthread_mutex_t>() == 40);
const _: () = assert!(std::mem::size_of::<libc::pthread_mutex_t>() <= 64);
const _: () = assert!(std::mem::align_of::<libc::pthread_mutex_t>() <= 8);
const _: () = assert!(std::mem::size_of::<RobustMutex>() == 64);

// SAFETY: the slot is only ever touched through glibc's process-shared mutex functions (which
// any thread of any process may call concurrently) and through atomic loads and
// read-modify-writes of its words.
unsafe impl Sync for RobustMutex {}

/// What a lock attempt on a [`RobustMutex`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// The calling thread holds the mutex.
    Acquired,
    /// The calling thread holds the mutex, whose previous owner died holding it (glibc's
    /// `EOWNERDEAD`); it has already been marked consistent.
    OwnerDied,
    /// Held by someone else (`trylock`), or still held at the deadline (`lock_until`).
    Busy,
}

impl RobustMutex {
    /// A zeroed slot (for a mutex that is not in shared memory, e.g. in tests).
    pub(crate) const fn zeroed() -> RobustMutex {
        RobustMutex(UnsafeCell::new([0; 64]))
    }

    #[inline]
    fn raw(&self) -> *mut libc::pthread_mutex_t {
        self.0.get().cast()
    }

    /// An aligned 32-bit word of the mutex, read and written only atomically.
    #[inline]
    fn word_at(&self, off: usize) -> &AtomicU32 {
        debug_assert!(off % 4 == 0 && off + 4 <= 40);
        // SAFETY: `off` is in bounds of the slot (40 bytes of mutex) and 4-aligned in an
        // 8-aligned slot; the bytes live in an `UnsafeCell` as long as `self`, and fmap
        // accesses them only atomically (glibc and the kernel do too for these words).
        unsafe { &*(self.0.get().cast::<u8>().add(off).cast::<AtomicU32>()) }
    }

    /// The lock word (`__lock`): the futex word in the kernel's robust-futex format (owner
    /// thread id in [`TID_MASK`], [`FUTEX_OWNER_DIED`], [`FUTEX_WAITERS`]).
    #[inline]
    pub(crate) fn word(&self) -> &AtomicU32 {
        self.word_at(0)
    }

    /// The type word (`__kind`) as it is now.
    #[inline]
    pub(crate) fn kind(&self) -> u32 {
        self.word_at(KIND_OFFSET).load(Relaxed)
    }

    /// Initialises a robust, process-shared, normal-type mutex in the slot.
    ///
    /// # Safety
    /// No thread (of any process) may use the slot as a mutex yet, nor concurrently with this
    /// call.
    pub(crate) unsafe fn init(&self) -> Result<()> {
        // SAFETY: a zeroed `pthread_mutexattr_t` is valid storage for `pthread_mutexattr_init`.
        let mut attr: libc::pthread_mutexattr_t = unsafe { std::mem::zeroed() };
        // SAFETY: `attr` is a local attribute object, initialised by the first call and
        // destroyed by the last; the mutex pointer is the slot, which the caller guarantees is
        // not in use.
        let r = unsafe {
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
                r = libc::pthread_mutex_init(self.raw(), &attr);
            }
            libc::pthread_mutexattr_destroy(&mut attr);
            r
        };
        if r != 0 {
            return Err(Error::os(
                std::io::Error::from_raw_os_error(r),
                "cannot initialise a robust mutex",
            ));
        }
        Ok(())
    }

    /// Checks that the mutex still has the type it was made with before handing it to glibc.
    /// A peer that rewrites the type could otherwise steer glibc into another lock protocol
    /// (priority inheritance, error-checking, recursive) whose failure paths abort the process
    /// instead of returning an error. `what` names the mutex in the error.
    #[inline]
    pub(crate) fn check_kind(&self, what: &str) -> Result<()> {
        let k = self.kind();
        if k != robust_kind() || k == 0 {
            bail!(
                InvalidData,
                "the {what} of a synchronization object is corrupt (another process overwrote its type)"
            );
        }
        Ok(())
    }

    /// `pthread_mutex_trylock`; `Err(errno)` for anything but success, `EBUSY` and
    /// `EOWNERDEAD` (a corrupt mutex). Check the type first ([`check_kind`](Self::check_kind)).
    #[inline]
    pub(crate) fn trylock(&self) -> std::result::Result<Lock, libc::c_int> {
        // SAFETY: the slot holds an initialised process-shared robust mutex (its type was
        // checked by the caller) in memory that stays mapped while `self` is borrowed.
        let r = unsafe { libc::pthread_mutex_trylock(self.raw()) };
        self.outcome(r, libc::EBUSY)
    }

    /// `pthread_mutex_clocklock` on `CLOCK_MONOTONIC` until the absolute time `deadline`:
    /// [`Lock::Busy`] if the deadline passed first; `Err(errno)` for any other failure. Check
    /// the type first ([`check_kind`](Self::check_kind)).
    pub(crate) fn lock_until(
        &self,
        deadline: &libc::timespec,
    ) -> std::result::Result<Lock, libc::c_int> {
        // SAFETY: as in `trylock`; `deadline` is a valid time the call only reads.
        let r = unsafe { pthread_mutex_clocklock(self.raw(), libc::CLOCK_MONOTONIC, deadline) };
        self.outcome(r, libc::ETIMEDOUT)
    }

    /// Maps what a lock call returned; `busy` is the code that means "not acquired".
    #[inline]
    fn outcome(&self, r: libc::c_int, busy: libc::c_int) -> std::result::Result<Lock, libc::c_int> {
        match r {
            0 => Ok(Lock::Acquired),
            libc::EOWNERDEAD => {
                // SAFETY: EOWNERDEAD means that the calling thread now holds the mutex.
                unsafe { self.consistent() };
                Ok(Lock::OwnerDied)
            }
            r if r == busy => Ok(Lock::Busy),
            e => Err(e),
        }
    }

    /// `pthread_mutex_consistent`: the state the mutex protects has been made consistent
    /// after its owner died (every fmap state change is a single store, so it always is).
    ///
    /// # Safety
    /// The calling thread holds the mutex, acquired with `EOWNERDEAD`.
    unsafe fn consistent(&self) {
        // SAFETY: the caller holds the mutex (see above).
        unsafe { libc::pthread_mutex_consistent(self.raw()) };
    }

    /// `pthread_mutex_unlock`.
    ///
    /// # Safety
    /// The calling thread holds the mutex.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        // SAFETY: the caller holds the mutex (see above).
        unsafe { libc::pthread_mutex_unlock(self.raw()) };
    }
}

/// A full memory barrier between [`RobustMutex::unlock`] and a later load (the unlocking
/// thread's look at `nwaiters`, see `sync::state::signal_if_waiters`): the unlock must be
/// visible to every other thread before the load reads, or a waiter that registered in
/// `nwaiters` and then looked at the still-held lock word could sleep through the release
/// (the store-buffering pattern: both sides store, then load what the other stored).
///
/// glibc releases a robust mutex with an atomic exchange on the lock word, which is only a
/// *release* on aarch64 (a later load may pass it), hence a `SeqCst` fence on every
/// architecture. On x86-64 the exchange is a `lock`ed `xchg`, already a full barrier, and the
/// fence after it costs nothing measurable (`benches/sync.rs`, uncontended `try_lock` + drop:
/// the same 19–21 ns with a compiler fence only), so no architecture-specific shortcut.
#[inline(always)]
pub(crate) fn fence_after_unlock() {
    std::sync::atomic::fence(SeqCst);
}

/// The `__kind` word glibc stores for the mutexes [`RobustMutex::init`] makes, learnt once
/// from a mutex initialised here (process-shared, robust, normal; never 0, so 0 means "not
/// learnt").
#[inline]
pub(crate) fn robust_kind() -> u32 {
    static K: AtomicU32 = AtomicU32::new(0);
    let k = K.load(Relaxed);
    if k != 0 {
        return k;
    }
    let m = RobustMutex::zeroed();
    // SAFETY: `m` is a fresh local slot nobody uses; it is never locked. If initialisation
    // failed the kind read is 0 and every check fails (`ERROR_INVALID_DATA`) instead of
    // trusting an unknown type.
    let _ = unsafe { m.init() };
    let k = m.kind();
    K.store(k, Relaxed);
    k
}

// glibc >= 2.30; the libc crate does not declare it. 64-bit targets only (32-bit glibc would
// need its `__pthread_mutex_clocklock64` alias; the `compile_error!` above excludes them).
extern "C" {
    fn pthread_mutex_clocklock(
        m: *mut libc::pthread_mutex_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// glibc's `PTHREAD_MUTEX_ROBUST_NORMAL_NP | PTHREAD_MUTEX_PSHARED_BIT` (nptl's
    /// `pthreadP.h`): what `__kind` holds for a robust, process-shared, normal mutex, besides
    /// the lock-elision bits.
    const ROBUST_PSHARED_NORMAL: u32 = 16 | 128;
    /// `PTHREAD_MUTEX_ELISION_NP | PTHREAD_MUTEX_NO_ELISION_NP`, which glibc sets as it is
    /// configured.
    const ELISION_BITS: u32 = 256 | 512;

    #[test]
    fn glibc_layout_is_the_one_fmap_relies_on() {
        assert_eq!(std::mem::size_of::<libc::pthread_mutex_t>(), 40);
        let m = RobustMutex::zeroed();
        // SAFETY: a fresh local slot nobody uses.
        unsafe { m.init() }.unwrap();
        // The kind word read at offset 16 is the one glibc stores for this type, and the one
        // the checks compare with.
        assert_eq!(m.kind() & !ELISION_BITS, ROBUST_PSHARED_NORMAL);
        assert_eq!(robust_kind(), m.kind());
        m.check_kind("test mutex").unwrap();

        // Offset 16 is the type word: another type reads differently there.
        let r = RobustMutex::zeroed();
        // SAFETY: local attribute object and a fresh local slot, initialised once.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            assert_eq!(libc::pthread_mutexattr_init(&mut attr), 0);
            assert_eq!(
                libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_RECURSIVE),
                0
            );
            assert_eq!(libc::pthread_mutex_init(r.raw(), &attr), 0);
            libc::pthread_mutexattr_destroy(&mut attr);
        }
        assert_eq!(r.kind(), libc::PTHREAD_MUTEX_RECURSIVE as u32);
        assert!(r.check_kind("test mutex").is_err());

        // The lock word at offset 0 holds the owner's thread id (the robust-futex format).
        let tid = rustix::thread::gettid().as_raw_nonzero().get() as u32;
        assert_eq!(m.word().load(Relaxed), 0);
        assert_eq!(m.trylock(), Ok(Lock::Acquired));
        assert_eq!(m.word().load(Relaxed) & TID_MASK, tid);
        // Normal type: a second trylock by the owner fails rather than recursing.
        assert_eq!(m.trylock(), Ok(Lock::Busy));
        // SAFETY: this thread holds it.
        unsafe { m.unlock() };
        assert_eq!(m.word().load(Relaxed), 0);
        // SAFETY: unlocked local mutexes, never used again.
        unsafe {
            libc::pthread_mutex_destroy(m.raw());
            libc::pthread_mutex_destroy(r.raw());
        }
    }

    #[test]
    fn lock_until_times_out_on_a_held_mutex_and_reports_a_dead_owner() {
        let m = std::sync::Arc::new(RobustMutex::zeroed());
        // SAFETY: a fresh slot nobody uses yet.
        unsafe { m.init() }.unwrap();
        let m2 = m.clone();
        // A thread that exits holding the mutex: the kernel marks it OWNER_DIED.
        std::thread::spawn(move || assert_eq!(m2.trylock(), Ok(Lock::Acquired)))
            .join()
            .unwrap();
        assert_ne!(m.word().load(Relaxed) & FUTEX_OWNER_DIED, 0);
        assert_eq!(m.trylock(), Ok(Lock::OwnerDied));
        // Held by this thread now: a bounded lock from another thread times out.
        let m3 = m.clone();
        std::thread::spawn(move || {
            let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
            let abs = libc::timespec {
                tv_sec: ts.tv_sec as libc::time_t,
                tv_nsec: ts.tv_nsec as _,
            };
            assert_eq!(m3.lock_until(&abs), Ok(Lock::Busy));
        })
        .join()
        .unwrap();
        // SAFETY: this thread holds it.
        unsafe { m.unlock() };
    }
}
