//! In-process synchronization that Win32 programs pair with shared memory: `CRITICAL_SECTION`,
//! `SRWLOCK`, `CONDITION_VARIABLE` (`SleepConditionVariableCS`/`SRW`) and
//! `InitOnceExecuteOnce`. (The `Interlocked*` family and `MemoryBarrier` are inline functions
//! in `include/win32_inproc.h`.)
//!
//! Each object lives in the caller's memory, in the layout and size Windows gives it (so that
//! `sizeof` and static initialisers match), and is built on private futexes:
//!
//! * `CRITICAL_SECTION` (40 bytes): `LockCount` is the lock word (0 free, 1 held, 2 held with
//!   sleepers), `OwningThread` the owner's thread id, `RecursionCount` its depth, `SpinCount`
//!   how long to spin before sleeping. Recursive, as on Windows.
//! * `SRWLOCK` (one pointer): the first 32 bits hold the writer bit and the reader count, the
//!   second 32 bits count the threads about to sleep. `SRWLOCK_INIT` is all zero.
//! * `CONDITION_VARIABLE` (one pointer): a sequence number that every wake bumps; a sleeper
//!   sleeps on the value it read before releasing its lock, so no wake-up is lost. Spurious
//!   wake-ups are allowed, as on Windows.
//! * `INIT_ONCE` (one pointer): 0 (not run), 1 (running) or the context with its low bits set
//!   to 2 (done), as Windows stores it.
//!
//! Ordering: every transition of a lock word is a `SeqCst` read-modify-write, and a sleeper
//! announces itself (the `LockCount` value 2, or the SRW sleeper count) before it reads the
//! word it sleeps on, while the releaser changes the word before it looks for sleepers; the
//! futex compares the word atomically with going to sleep, so either the releaser sees the
//! sleeper or the sleeper sees the release.

use crate::abi::consts::*;
use crate::abi::error::fail;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// `FUTEX_WAIT_PRIVATE` on `word` while it holds `val`, for at most `timeout`. Returns false
/// only on a timeout.
fn futex_wait(word: &AtomicU32, val: u32, timeout: Option<Duration>) -> bool {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a live, aligned u32; `tsp` is null or points to a live timespec; the
    // kernel only reads both.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            val,
            tsp,
        )
    };
    !(r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT))
}

/// `FUTEX_WAKE_PRIVATE` of up to `n` threads sleeping on `word`.
fn futex_wake(word: &AtomicU32, n: i32) {
    // SAFETY: `word` is a live, aligned u32; waking touches no memory.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            n,
        )
    };
}

/// The calling thread's id.
fn tid() -> usize {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as usize }
}

/// A Win32 timeout in milliseconds (`INFINITE`: none).
fn timeout_of(ms: u32) -> Option<Duration> {
    (ms != INFINITE).then(|| Duration::from_millis(ms.into()))
}

// ------------------------------------------------------------------------------------------
// CRITICAL_SECTION
// ------------------------------------------------------------------------------------------

/// `RTL_CRITICAL_SECTION`, as laid out on 64-bit Windows.
#[repr(C)]
pub struct CriticalSection {
    debug_info: *mut c_void,
    lock_count: AtomicU32,
    recursion_count: AtomicU32,
    owning_thread: AtomicUsize,
    lock_semaphore: *mut c_void,
    spin_count: AtomicUsize,
}

const _: () = assert!(std::mem::size_of::<CriticalSection>() == 40);

/// The live critical section behind a caller's pointer, or `None` for NULL.
///
/// # Safety
/// `cs` must be NULL or point to a `CRITICAL_SECTION` the caller keeps alive for the call.
unsafe fn cs_ref<'a>(cs: *mut CriticalSection) -> Option<&'a CriticalSection> {
    // SAFETY: the caller's contract; the fields used concurrently are atomics.
    unsafe { cs.as_ref() }
}

/// # Safety
/// `cs` must be NULL or point to writable memory of `sizeof(CRITICAL_SECTION)` bytes.
#[no_mangle]
pub unsafe extern "C" fn InitializeCriticalSection(cs: *mut CriticalSection) {
    // SAFETY: forwarded contract.
    unsafe { InitializeCriticalSectionAndSpinCount(cs, 0) };
}

/// # Safety
/// As [`InitializeCriticalSection`].
#[no_mangle]
pub unsafe extern "C" fn InitializeCriticalSectionAndSpinCount(
    cs: *mut CriticalSection,
    spin: u32,
) -> i32 {
    if cs.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: `cs` points to writable memory of the struct's size (this function's contract).
    unsafe {
        cs.write(CriticalSection {
            debug_info: std::ptr::null_mut(),
            lock_count: AtomicU32::new(0),
            recursion_count: AtomicU32::new(0),
            owning_thread: AtomicUsize::new(0),
            lock_semaphore: std::ptr::null_mut(),
            spin_count: AtomicUsize::new(spin as usize & 0x00FF_FFFF),
        })
    };
    TRUE
}

/// # Safety
/// As [`InitializeCriticalSection`].
#[no_mangle]
pub unsafe extern "C" fn InitializeCriticalSectionEx(
    cs: *mut CriticalSection,
    spin: u32,
    _flags: u32,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { InitializeCriticalSectionAndSpinCount(cs, spin) }
}

/// # Safety
/// `cs` must be NULL or an initialised critical section nobody uses any more.
#[no_mangle]
pub unsafe extern "C" fn DeleteCriticalSection(_cs: *mut CriticalSection) {
    // Nothing is allocated: the lock lives in the struct.
}

/// # Safety
/// `cs` must be NULL or an initialised critical section.
#[no_mangle]
pub unsafe extern "C" fn SetCriticalSectionSpinCount(cs: *mut CriticalSection, spin: u32) -> u32 {
    // SAFETY: forwarded contract.
    match unsafe { cs_ref(cs) } {
        Some(c) => c.spin_count.swap(spin as usize & 0x00FF_FFFF, SeqCst) as u32,
        None => 0,
    }
}

impl CriticalSection {
    fn try_enter(&self, me: usize) -> bool {
        if self.owning_thread.load(SeqCst) == me {
            self.recursion_count.fetch_add(1, SeqCst);
            return true;
        }
        if self
            .lock_count
            .compare_exchange(0, 1, SeqCst, SeqCst)
            .is_ok()
        {
            self.owning_thread.store(me, SeqCst);
            self.recursion_count.store(1, SeqCst);
            return true;
        }
        false
    }

    fn enter(&self) {
        let me = tid();
        if self.try_enter(me) {
            return;
        }
        for _ in 0..self.spin_count.load(SeqCst) {
            std::hint::spin_loop();
            if self.lock_count.load(SeqCst) == 0 && self.try_enter(me) {
                return;
            }
        }
        // Announce a sleeper (2) with the swap that may also take the lock.
        while self.lock_count.swap(2, SeqCst) != 0 {
            futex_wait(&self.lock_count, 2, None);
        }
        self.owning_thread.store(me, SeqCst);
        self.recursion_count.store(1, SeqCst);
    }

    fn leave(&self) {
        if self.owning_thread.load(SeqCst) != tid() {
            return; // not the owner: undefined on Windows; ignored here
        }
        if self.recursion_count.fetch_sub(1, SeqCst) > 1 {
            return;
        }
        self.owning_thread.store(0, SeqCst);
        if self.lock_count.swap(0, SeqCst) == 2 {
            futex_wake(&self.lock_count, 1);
        }
    }
}

/// # Safety
/// `cs` must be NULL or an initialised critical section.
#[no_mangle]
pub unsafe extern "C" fn EnterCriticalSection(cs: *mut CriticalSection) {
    // SAFETY: forwarded contract.
    if let Some(c) = unsafe { cs_ref(cs) } {
        c.enter();
    }
}

/// # Safety
/// `cs` must be NULL or an initialised critical section.
#[no_mangle]
pub unsafe extern "C" fn TryEnterCriticalSection(cs: *mut CriticalSection) -> i32 {
    // SAFETY: forwarded contract.
    match unsafe { cs_ref(cs) } {
        Some(c) if c.try_enter(tid()) => TRUE,
        _ => FALSE,
    }
}

/// # Safety
/// `cs` must be NULL or an initialised critical section.
#[no_mangle]
pub unsafe extern "C" fn LeaveCriticalSection(cs: *mut CriticalSection) {
    // SAFETY: forwarded contract.
    if let Some(c) = unsafe { cs_ref(cs) } {
        c.leave();
    }
}

// ------------------------------------------------------------------------------------------
// SRWLOCK
// ------------------------------------------------------------------------------------------

const WRITER: u32 = 1 << 31;

/// `SRWLOCK`: the state word and the count of threads about to sleep.
#[repr(C)]
pub struct SrwLock {
    state: AtomicU32,
    sleepers: AtomicU32,
}

const _: () = assert!(std::mem::size_of::<SrwLock>() == std::mem::size_of::<usize>());

impl SrwLock {
    fn sleep_while(&self, busy: impl Fn(u32) -> bool) {
        self.sleepers.fetch_add(1, SeqCst);
        let s = self.state.load(SeqCst);
        if busy(s) {
            futex_wait(&self.state, s, None);
        }
        self.sleepers.fetch_sub(1, SeqCst);
    }

    fn try_exclusive(&self) -> bool {
        self.state
            .compare_exchange(0, WRITER, SeqCst, SeqCst)
            .is_ok()
    }

    fn try_shared(&self) -> bool {
        let mut s = self.state.load(SeqCst);
        while s & WRITER == 0 && s < WRITER - 1 {
            match self.state.compare_exchange(s, s + 1, SeqCst, SeqCst) {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
        false
    }

    fn wake(&self) {
        if self.sleepers.load(SeqCst) != 0 {
            futex_wake(&self.state, i32::MAX);
        }
    }
}

/// # Safety
/// `l` must be NULL or point to a pointer-sized, pointer-aligned `SRWLOCK`.
unsafe fn srw<'a>(l: *mut SrwLock) -> Option<&'a SrwLock> {
    // SAFETY: the caller's contract; the fields are atomics.
    unsafe { l.as_ref() }
}

/// # Safety
/// `l` must be NULL or point to writable memory of `sizeof(SRWLOCK)` bytes.
#[no_mangle]
pub unsafe extern "C" fn InitializeSRWLock(l: *mut SrwLock) {
    if !l.is_null() {
        // SAFETY: `l` points to writable memory of the struct's size (this function's contract).
        unsafe {
            l.write(SrwLock {
                state: AtomicU32::new(0),
                sleepers: AtomicU32::new(0),
            })
        };
    }
}

/// # Safety
/// `l` must be NULL or an initialised `SRWLOCK`.
#[no_mangle]
pub unsafe extern "C" fn AcquireSRWLockExclusive(l: *mut SrwLock) {
    // SAFETY: forwarded contract.
    if let Some(l) = unsafe { srw(l) } {
        while !l.try_exclusive() {
            l.sleep_while(|s| s != 0);
        }
    }
}

/// # Safety
/// `l` must be NULL or an initialised `SRWLOCK`.
#[no_mangle]
pub unsafe extern "C" fn AcquireSRWLockShared(l: *mut SrwLock) {
    // SAFETY: forwarded contract.
    if let Some(l) = unsafe { srw(l) } {
        while !l.try_shared() {
            l.sleep_while(|s| s & WRITER != 0);
        }
    }
}

/// # Safety
/// `l` must be NULL or an initialised `SRWLOCK`.
#[no_mangle]
pub unsafe extern "C" fn TryAcquireSRWLockExclusive(l: *mut SrwLock) -> u8 {
    // SAFETY: forwarded contract.
    unsafe { srw(l) }.is_some_and(|l| l.try_exclusive()) as u8
}

/// # Safety
/// `l` must be NULL or an initialised `SRWLOCK`.
#[no_mangle]
pub unsafe extern "C" fn TryAcquireSRWLockShared(l: *mut SrwLock) -> u8 {
    // SAFETY: forwarded contract.
    unsafe { srw(l) }.is_some_and(|l| l.try_shared()) as u8
}

/// # Safety
/// `l` must be NULL or an `SRWLOCK` the calling thread holds exclusively.
#[no_mangle]
pub unsafe extern "C" fn ReleaseSRWLockExclusive(l: *mut SrwLock) {
    // SAFETY: forwarded contract.
    if let Some(l) = unsafe { srw(l) } {
        if l.state.compare_exchange(WRITER, 0, SeqCst, SeqCst).is_ok() {
            l.wake();
        }
    }
}

/// # Safety
/// `l` must be NULL or an `SRWLOCK` the calling thread holds shared.
#[no_mangle]
pub unsafe extern "C" fn ReleaseSRWLockShared(l: *mut SrwLock) {
    // SAFETY: forwarded contract.
    if let Some(l) = unsafe { srw(l) } {
        let s = l.state.load(SeqCst);
        if s & WRITER == 0 && s > 0 && l.state.fetch_sub(1, SeqCst) == 1 {
            l.wake();
        }
    }
}

// ------------------------------------------------------------------------------------------
// CONDITION_VARIABLE
// ------------------------------------------------------------------------------------------

/// `CONDITION_VARIABLE`: a wake sequence number (and padding to a pointer's size).
#[repr(C)]
pub struct CondVar {
    seq: AtomicU32,
    _pad: u32,
}

const _: () = assert!(std::mem::size_of::<CondVar>() == std::mem::size_of::<usize>());

/// `CONDITION_VARIABLE_LOCKMODE_SHARED`.
const LOCKMODE_SHARED: u32 = 1;

/// # Safety
/// `cv` must be NULL or point to writable memory of `sizeof(CONDITION_VARIABLE)` bytes.
#[no_mangle]
pub unsafe extern "C" fn InitializeConditionVariable(cv: *mut CondVar) {
    if !cv.is_null() {
        // SAFETY: `cv` points to writable memory of the struct's size (this function's contract).
        unsafe {
            cv.write(CondVar {
                seq: AtomicU32::new(0),
                _pad: 0,
            })
        };
    }
}

/// Sleeps on `cv` with `unlock` done after reading its sequence and `relock` after waking.
fn cv_sleep(cv: &CondVar, ms: u32, unlock: impl FnOnce(), relock: impl FnOnce()) -> i32 {
    let seq = cv.seq.load(SeqCst);
    unlock();
    let woke = futex_wait(&cv.seq, seq, timeout_of(ms));
    relock();
    if woke {
        TRUE
    } else {
        fail(ERROR_TIMEOUT, FALSE)
    }
}

/// # Safety
/// `cv` must be an initialised condition variable and `cs` a critical section the calling
/// thread holds (once).
#[no_mangle]
pub unsafe extern "C" fn SleepConditionVariableCS(
    cv: *mut CondVar,
    cs: *mut CriticalSection,
    ms: u32,
) -> i32 {
    // SAFETY: forwarded contract.
    let (Some(c), Some(s)) = (unsafe { cv.as_ref() }, unsafe { cs_ref(cs) }) else {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    };
    // The whole recursion is released and restored, as Windows does.
    let depth = s.recursion_count.load(SeqCst).max(1);
    cv_sleep(
        c,
        ms,
        || {
            s.recursion_count.store(1, SeqCst);
            s.leave();
        },
        || {
            s.enter();
            s.recursion_count.store(depth, SeqCst);
        },
    )
}

/// # Safety
/// `cv` must be an initialised condition variable and `l` an `SRWLOCK` the calling thread
/// holds (shared when `flags` is `CONDITION_VARIABLE_LOCKMODE_SHARED`, else exclusively).
#[no_mangle]
pub unsafe extern "C" fn SleepConditionVariableSRW(
    cv: *mut CondVar,
    l: *mut SrwLock,
    ms: u32,
    flags: u32,
) -> i32 {
    // SAFETY: forwarded contract.
    let (Some(c), false) = (unsafe { cv.as_ref() }, l.is_null()) else {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    };
    let shared = flags & LOCKMODE_SHARED != 0;
    let unlock = || {
        // SAFETY: `l` is an SRWLOCK the caller holds in the stated mode (this function's
        // contract).
        unsafe {
            if shared {
                ReleaseSRWLockShared(l)
            } else {
                ReleaseSRWLockExclusive(l)
            }
        }
    };
    let relock = || {
        // SAFETY: `l` is a live SRWLOCK (this function's contract) that this thread released
        // just before sleeping.
        unsafe {
            if shared {
                AcquireSRWLockShared(l)
            } else {
                AcquireSRWLockExclusive(l)
            }
        }
    };
    cv_sleep(c, ms, unlock, relock)
}

/// # Safety
/// `cv` must be NULL or an initialised condition variable.
#[no_mangle]
pub unsafe extern "C" fn WakeConditionVariable(cv: *mut CondVar) {
    // SAFETY: forwarded contract.
    if let Some(c) = unsafe { cv.as_ref() } {
        c.seq.fetch_add(1, SeqCst);
        futex_wake(&c.seq, 1);
    }
}

/// # Safety
/// `cv` must be NULL or an initialised condition variable.
#[no_mangle]
pub unsafe extern "C" fn WakeAllConditionVariable(cv: *mut CondVar) {
    // SAFETY: forwarded contract.
    if let Some(c) = unsafe { cv.as_ref() } {
        c.seq.fetch_add(1, SeqCst);
        futex_wake(&c.seq, i32::MAX);
    }
}

// ------------------------------------------------------------------------------------------
// INIT_ONCE
// ------------------------------------------------------------------------------------------

/// `PINIT_ONCE_FN`.
pub type InitOnceFn =
    Option<unsafe extern "C" fn(*mut AtomicU64, *mut c_void, *mut *mut c_void) -> i32>;

const ONCE_RUNNING: u64 = 1;
const ONCE_DONE: u64 = 2;

/// The low half of the `INIT_ONCE` word, which sleepers wait on (little-endian).
fn once_low(w: &AtomicU64) -> &AtomicU32 {
    // SAFETY: the low 4 bytes of an aligned u64 are an aligned u32 on little-endian targets;
    // every access to the word is atomic.
    unsafe { &*(w.as_ptr() as *const AtomicU32) }
}

const _: () = assert!(cfg!(target_endian = "little"));

/// # Safety
/// `once` must be NULL or point to writable memory of `sizeof(INIT_ONCE)` bytes.
#[no_mangle]
pub unsafe extern "C" fn InitOnceInitialize(once: *mut AtomicU64) {
    if !once.is_null() {
        // SAFETY: `once` points to writable, aligned memory of a pointer's size.
        unsafe { once.write(AtomicU64::new(0)) };
    }
}

/// # Safety
/// `once` must point to an `INIT_ONCE` (static `INIT_ONCE_STATIC_INIT` or
/// `InitOnceInitialize`d); `f` must be a valid callback; `ctx` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn InitOnceExecuteOnce(
    once: *mut AtomicU64,
    f: InitOnceFn,
    param: *mut c_void,
    ctx: *mut *mut c_void,
) -> i32 {
    // SAFETY: forwarded contract.
    let (Some(w), Some(f)) = (unsafe { once.as_ref() }, f) else {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    };
    loop {
        let v = w.load(SeqCst);
        if v & 3 == ONCE_DONE {
            if !ctx.is_null() {
                // SAFETY: `ctx` is writable (this function's contract).
                unsafe { *ctx = (v & !3) as *mut c_void };
            }
            return TRUE;
        }
        if v == 0 && w.compare_exchange(0, ONCE_RUNNING, SeqCst, SeqCst).is_ok() {
            let mut c: *mut c_void = std::ptr::null_mut();
            // SAFETY: the caller's callback, called once with its documented arguments.
            let ok = unsafe { f(once, param, &mut c) };
            if ok != 0 {
                w.store((c as u64 & !3) | ONCE_DONE, SeqCst);
                if !ctx.is_null() {
                    // SAFETY: `ctx` is writable (this function's contract).
                    unsafe { *ctx = (c as u64 & !3) as *mut c_void };
                }
            } else {
                w.store(0, SeqCst);
            }
            futex_wake(once_low(w), i32::MAX);
            // On failure the last error is what the callback left.
            return if ok != 0 { TRUE } else { FALSE };
        }
        if v == ONCE_RUNNING {
            futex_wait(once_low(w), ONCE_RUNNING as u32, None);
        }
    }
}
