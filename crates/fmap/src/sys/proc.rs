//! This process's identity as fmap uses it: its pid, a random per-process nonce and the kernel
//! thread ids, which together make a mutex owner id (`me`). A `fork`ed child gets a new pid and
//! nonce (the atfork handlers only store to atomics, which is async-signal-safe).

use std::sync::atomic::{AtomicU32, Ordering::*};

/// This process's owner-id nonce; 0 until first computed, and again in a `fork`ed child.
static NONCE: AtomicU32 = AtomicU32::new(0);

/// `pthread_atfork` child handler: the child of a `fork` is another process with other
/// threads, so it must not pass for the parent's owner (it would "own" the parent's mutexes
/// and own none of its own: `ReleaseMutex` failed with `ERROR_NOT_OWNER`), and has another
/// pid. Only atomic stores, which are async-signal-safe.
extern "C" fn forget_identity_in_child() {
    NONCE.store(0, Relaxed);
    PID.store(0, Relaxed);
}

/// Registers [`forget_identity_in_child`] once, before the first nonce or pid is stored (so a
/// `fork` after that store runs it: glibc registers and forks under one lock). A flag, not a
/// `std::sync::Once`: a `Once` could be left "running" forever in a child forked while another
/// thread was inside it. Racing first callers may register it twice, which is harmless.
#[cold]
fn register_atfork() {
    static ATFORK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !ATFORK.load(Acquire) {
        // SAFETY: registers a handler that only stores to atomics, which is async-signal-safe
        // and valid in a freshly forked child.
        unsafe { libc::pthread_atfork(None, None, Some(forget_identity_in_child)) };
        ATFORK.store(true, Release);
    }
}

/// This process's random nonce (never 0), the high half of every owner id.
#[inline]
pub(crate) fn nonce() -> u32 {
    let n = NONCE.load(Relaxed);
    if n != 0 {
        return n;
    }
    new_nonce()
}

#[cold]
fn new_nonce() -> u32 {
    register_atfork();
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

static PID: AtomicU32 = AtomicU32::new(0);

/// This process's id, without a system call after the first (reset in `fork`ed children).
#[inline]
pub(crate) fn current_pid() -> u32 {
    let p = PID.load(Relaxed);
    if p != 0 {
        return p;
    }
    register_atfork();
    let p = std::process::id();
    PID.store(p, Relaxed);
    p
}
