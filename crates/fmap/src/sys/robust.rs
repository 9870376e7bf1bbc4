//! glibc's robust, process-shared `pthread_mutex_t`, used in shared memory: initialisation,
//! the type-word check that keeps a peer from steering glibc into another lock protocol, and
//! `trylock`. When the owner thread dies the kernel marks the mutex `OWNER_DIED` through the
//! thread's robust list, and the next locker gets `EOWNERDEAD`.

use crate::error::{bail, Error, ErrorKind, Result};
use std::sync::atomic::{AtomicU32, Ordering::*};

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
pub(crate) const KIND_OFFSET: usize = 16;

/// The `__kind` word glibc stores for the mutexes [`init_robust`] makes, learnt once from a
/// mutex initialised here (process-shared, robust, normal; never 0, so 0 means "not learnt").
#[inline]
pub(crate) fn robust_kind() -> u32 {
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
pub(crate) fn check_kind(m: *mut libc::pthread_mutex_t, what: &str) -> Result<()> {
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

// glibc >= 2.30; the libc crate does not declare it. 64-bit targets only (32-bit glibc would
// need its `__pthread_mutex_clocklock64` alias).
extern "C" {
    pub(crate) fn pthread_mutex_clocklock(
        m: *mut libc::pthread_mutex_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    Acquired,
    OwnerDied,
    Busy,
}

#[inline]
pub(crate) fn trylock(m: *mut libc::pthread_mutex_t) -> Result<Lock> {
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

pub(crate) const TID_MASK: u32 = 0x3FFF_FFFF;
pub(crate) const FUTEX_WAITERS: u32 = 0x8000_0000;
