//! `CreateMutexA/W`, `OpenMutexA/W`, `ReleaseMutex`, `CreateEventA/W`, `OpenEventA/W`,
//! `SetEvent`, `ResetEvent`, `PulseEvent`, `CreateSemaphoreA/W`, `OpenSemaphoreA/W`,
//! `ReleaseSemaphore`, `CreateWaitableTimer(Ex)A/W`, `OpenWaitableTimerA/W`,
//! `SetWaitableTimer(Ex)`, `CancelWaitableTimer`, `WaitForSingleObject`,
//! `WaitForMultipleObjects`, `SignalObjectAndWait`: mutexes, events, semaphores, waitable
//! timers and the wait functions, forwarded to [`fmap::Mutex`], [`fmap::Event`],
//! [`fmap::Semaphore`], [`fmap::Timer`] and [`fmap::wait_any`] / [`fmap::wait_all`].
//!
//! Thread and process handles are waitable through the unnamed manual-reset event that is set
//! when the thread or process ends (see [`crate::runtime::process`]). Waits never write the last
//! error unless they return `WAIT_FAILED`.

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{self, Handle, Obj};
use crate::abi::text::{name_a, name_w};
use fmap::Waitable;
use std::ffi::{c_char, c_void};
use std::ptr::null_mut;
use std::time::Duration;

type Name = Result<Option<String>, u32>;

/// What a `Create*` function's `SECURITY_ATTRIBUTES` asks for: the handle flags
/// (`bInheritHandle`) and the namespace to create in, with the descriptor's sharing.
pub(crate) struct Attributes {
    pub flags: u32,
    pub ns: Result<fmap::Namespace, u32>,
}

/// Reads `sa` for an object that is (`mutex`) or is not a mutex.
///
/// # Safety
/// `sa` must be NULL or a readable `SECURITY_ATTRIBUTES` with a NULL or valid descriptor.
pub(crate) unsafe fn attributes(sa: *const c_void, mutex: bool) -> Attributes {
    // SAFETY: forwarded contract.
    let (flags, sharing) = unsafe {
        (
            table::sa_flags(sa),
            crate::runtime::security::sharing_of(sa, mutex),
        )
    };
    Attributes {
        flags,
        ns: sharing.map(|s| fmap::Namespace::default().with_sharing(s)),
    }
}

fn create_obj(
    name: Name,
    attrs: Attributes,
    make: impl FnOnce(&fmap::Namespace, Option<&str>) -> fmap::Result<(Obj, bool)>,
) -> Handle {
    let name = match name {
        Ok(n) => n,
        Err(e) => return fail(e, null_mut()),
    };
    let ns = match attrs.ns {
        Ok(ns) => ns,
        Err(e) => return fail(e, null_mut()),
    };
    let flags = attrs.flags;
    match make(&ns, name.as_deref()) {
        Ok((obj, existed)) => table::created(obj, existed, flags),
        Err(e) => fail(e.win32_code(), null_mut()),
    }
}

fn open_obj(name: Name, inherit: i32, open: impl FnOnce(&str) -> fmap::Result<Obj>) -> Handle {
    let name = match name {
        Ok(Some(n)) => n,
        Ok(None) => return fail(ERROR_INVALID_PARAMETER, null_mut()),
        Err(e) => return fail(e, null_mut()),
    };
    match open(&name) {
        Ok(obj) => table::opened(obj, table::inherit_flags(inherit)),
        Err(e) => fail(e.win32_code(), null_mut()),
    }
}

fn create_mutex(owner: i32, name: Name, attrs: Attributes) -> Handle {
    create_obj(name, attrs, |ns, n| {
        let m = fmap::Mutex::create_in(ns, n, owner != 0)?;
        let existed = m.already_existed();
        Ok((Obj::from(m), existed))
    })
}

fn create_event(manual: i32, initial: i32, name: Name, attrs: Attributes) -> Handle {
    create_obj(name, attrs, |ns, n| {
        let e = fmap::Event::create_in(ns, n, manual != 0, initial != 0)?;
        let existed = e.already_existed();
        Ok((Obj::from(e), existed))
    })
}

fn create_semaphore(initial: i32, maximum: i32, name: Name, attrs: Attributes) -> Handle {
    create_obj(name, attrs, |ns, n| {
        let s = fmap::Semaphore::create_in(ns, n, initial, maximum)?;
        let existed = s.already_existed();
        Ok((Obj::from(s), existed))
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn CreateMutexA(
    sa: *const c_void,
    initial_owner: i32,
    name: *const c_char,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string and `sa` NULL or valid (this
    // function's contract), all that `name_a` and `attributes` require.
    create_mutex(initial_owner, unsafe { name_a(name) }, unsafe {
        attributes(sa, true)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn CreateMutexW(
    sa: *const c_void,
    initial_owner: i32,
    name: *const u16,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `name_w` requires.
    create_mutex(initial_owner, unsafe { name_w(name) }, unsafe {
        attributes(sa, true)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn OpenMutexA(access: u32, inherit: i32, name: *const c_char) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires.
    open_obj(unsafe { name_a(name) }, inherit, |n| {
        fmap::Mutex::open(n, fmap::SyncAccess::from_bits_retain(access)).map(Obj::from)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn OpenMutexW(access: u32, inherit: i32, name: *const u16) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `name_w` requires.
    open_obj(unsafe { name_w(name) }, inherit, |n| {
        fmap::Mutex::open(n, fmap::SyncAccess::from_bits_retain(access)).map(Obj::from)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn CreateEventA(
    sa: *const c_void,
    manual: i32,
    initial: i32,
    name: *const c_char,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires.
    create_event(manual, initial, unsafe { name_a(name) }, unsafe {
        attributes(sa, false)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn CreateEventW(
    sa: *const c_void,
    manual: i32,
    initial: i32,
    name: *const u16,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `name_w` requires.
    create_event(manual, initial, unsafe { name_w(name) }, unsafe {
        attributes(sa, false)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn OpenEventA(access: u32, inherit: i32, name: *const c_char) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires.
    open_obj(unsafe { name_a(name) }, inherit, |n| {
        fmap::Event::open(n, fmap::SyncAccess::from_bits_retain(access)).map(Obj::from)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn OpenEventW(access: u32, inherit: i32, name: *const u16) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `name_w` requires.
    open_obj(unsafe { name_w(name) }, inherit, |n| {
        fmap::Event::open(n, fmap::SyncAccess::from_bits_retain(access)).map(Obj::from)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn CreateSemaphoreA(
    sa: *const c_void,
    initial: i32,
    maximum: i32,
    name: *const c_char,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires.
    create_semaphore(initial, maximum, unsafe { name_a(name) }, unsafe {
        attributes(sa, false)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn CreateSemaphoreW(
    sa: *const c_void,
    initial: i32,
    maximum: i32,
    name: *const u16,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `name_w` requires.
    create_semaphore(initial, maximum, unsafe { name_w(name) }, unsafe {
        attributes(sa, false)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn OpenSemaphoreA(access: u32, inherit: i32, name: *const c_char) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires.
    open_obj(unsafe { name_a(name) }, inherit, |n| {
        fmap::Semaphore::open(n, fmap::SyncAccess::from_bits_retain(access)).map(Obj::from)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn OpenSemaphoreW(access: u32, inherit: i32, name: *const u16) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `name_w` requires.
    open_obj(unsafe { name_w(name) }, inherit, |n| {
        fmap::Semaphore::open(n, fmap::SyncAccess::from_bits_retain(access)).map(Obj::from)
    })
}

/// Runs `f` on the object of `h` (looked up without taking a reference: `f` does not block),
/// turning errors into `FALSE` + last error.
#[inline]
fn with_obj(h: Handle, f: impl FnOnce(&Obj) -> Result<(), u32>) -> i32 {
    let r = table::with(h, |o| f(o));
    match r {
        Ok(()) => TRUE,
        Err(e) => fail(e, FALSE),
    }
}

fn code(e: fmap::Error) -> u32 {
    e.win32_code()
}

#[no_mangle]
pub extern "C" fn ReleaseMutex(h: Handle) -> i32 {
    with_obj(h, |o| match o {
        Obj::Named(fmap::AnyObject::Mutex(m)) => m.release().map_err(code),
        _ => Err(ERROR_INVALID_HANDLE),
    })
}

#[no_mangle]
pub extern "C" fn SetEvent(h: Handle) -> i32 {
    with_obj(h, |o| match o {
        Obj::Named(fmap::AnyObject::Event(e)) => e.set().map_err(code),
        _ => Err(ERROR_INVALID_HANDLE),
    })
}

#[no_mangle]
pub extern "C" fn ResetEvent(h: Handle) -> i32 {
    with_obj(h, |o| match o {
        Obj::Named(fmap::AnyObject::Event(e)) => e.reset().map_err(code),
        _ => Err(ERROR_INVALID_HANDLE),
    })
}

#[no_mangle]
pub extern "C" fn PulseEvent(h: Handle) -> i32 {
    with_obj(h, |o| match o {
        Obj::Named(fmap::AnyObject::Event(e)) => e.pulse().map_err(code),
        _ => Err(ERROR_INVALID_HANDLE),
    })
}

/// # Safety
/// `previous` must be NULL or point to a writable `LONG`.
#[no_mangle]
pub unsafe extern "C" fn ReleaseSemaphore(h: Handle, count: i32, previous: *mut i32) -> i32 {
    with_obj(h, |o| match o {
        Obj::Named(fmap::AnyObject::Semaphore(s)) => {
            let prev = s.release(count).map_err(code)?;
            // SAFETY: the caller passes NULL or a writable LONG.
            unsafe { crate::abi::text::put(previous, prev) };
            Ok(())
        }
        _ => Err(ERROR_INVALID_HANDLE),
    })
}

fn create_timer(manual: bool, access: Option<u32>, name: Name, attrs: Attributes) -> Handle {
    create_obj(name, attrs, |ns, n| {
        let t = fmap::Timer::create_in(ns, n, manual)?;
        let existed = t.already_existed();
        let t = match access {
            None => t,
            // `CreateWaitableTimerEx`: the handle gets the access asked for.
            Some(a) => t.duplicate(Some(fmap::SyncAccess::from_bits_retain(a)))?,
        };
        Ok((Obj::from(t), existed))
    })
}

/// `CreateWaitableTimerEx`'s flags: the reset type, or `ERROR_INVALID_PARAMETER` for unknown
/// bits (`CREATE_WAITABLE_TIMER_HIGH_RESOLUTION` is accepted: fmap's timers always are).
fn timer_ex_manual(flags: u32) -> Result<bool, u32> {
    if flags & !(CREATE_WAITABLE_TIMER_MANUAL_RESET | CREATE_WAITABLE_TIMER_HIGH_RESOLUTION) != 0 {
        return Err(ERROR_INVALID_PARAMETER);
    }
    Ok(flags & CREATE_WAITABLE_TIMER_MANUAL_RESET != 0)
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn CreateWaitableTimerA(
    sa: *const c_void,
    manual: i32,
    name: *const c_char,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires; `sa` is NULL or a SECURITY_ATTRIBUTES, all that `attributes` requires.
    create_timer(manual != 0, None, unsafe { name_a(name) }, unsafe {
        attributes(sa, false)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn CreateWaitableTimerW(
    sa: *const c_void,
    manual: i32,
    name: *const u16,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all
    // that `name_w` requires; `sa` is NULL or a SECURITY_ATTRIBUTES.
    create_timer(manual != 0, None, unsafe { name_w(name) }, unsafe {
        attributes(sa, false)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn CreateWaitableTimerExA(
    sa: *const c_void,
    name: *const c_char,
    flags: u32,
    access: u32,
) -> Handle {
    let manual = match timer_ex_manual(flags) {
        Ok(m) => m,
        Err(e) => return fail(e, null_mut()),
    };
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires; `sa` is NULL or a SECURITY_ATTRIBUTES.
    create_timer(manual, Some(access), unsafe { name_a(name) }, unsafe {
        attributes(sa, false)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn CreateWaitableTimerExW(
    sa: *const c_void,
    name: *const u16,
    flags: u32,
    access: u32,
) -> Handle {
    let manual = match timer_ex_manual(flags) {
        Ok(m) => m,
        Err(e) => return fail(e, null_mut()),
    };
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all
    // that `name_w` requires; `sa` is NULL or a SECURITY_ATTRIBUTES.
    create_timer(manual, Some(access), unsafe { name_w(name) }, unsafe {
        attributes(sa, false)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn OpenWaitableTimerA(
    access: u32,
    inherit: i32,
    name: *const c_char,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires.
    open_obj(unsafe { name_a(name) }, inherit, |n| {
        fmap::Timer::open(n, fmap::SyncAccess::from_bits_retain(access)).map(Obj::from)
    })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn OpenWaitableTimerW(access: u32, inherit: i32, name: *const u16) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all
    // that `name_w` requires.
    open_obj(unsafe { name_w(name) }, inherit, |n| {
        fmap::Timer::open(n, fmap::SyncAccess::from_bits_retain(access)).map(Obj::from)
    })
}

/// `SetWaitableTimer(Ex)` without `fResume`. Checks in this order: the handle (a timer, else
/// `ERROR_INVALID_HANDLE`), `lpDueTime` (NULL: `ERROR_INVALID_PARAMETER`, where Windows would
/// fault), `lPeriod` (negative: `ERROR_INVALID_PARAMETER`), a completion routine
/// (`ERROR_NOT_SUPPORTED`: fmap has no APCs), the access right (`ERROR_ACCESS_DENIED`).
///
/// # Safety
/// `due` must be NULL or point to a readable `LARGE_INTEGER`.
unsafe fn set_timer(h: Handle, due: *const i64, period: i32, routine: *const c_void) -> i32 {
    with_obj(h, |o| match o {
        Obj::Named(fmap::AnyObject::Timer(t)) => {
            if due.is_null() || period < 0 {
                return Err(ERROR_INVALID_PARAMETER);
            }
            if !routine.is_null() {
                return Err(ERROR_NOT_SUPPORTED);
            }
            // SAFETY: non-NULL, and the caller passes a readable LARGE_INTEGER (which may be
            // unaligned in a packed caller structure).
            let due = unsafe { due.read_unaligned() };
            t.set(fmap::DueTime::from_win32(due), period as u32)
                .map_err(code)
        }
        _ => Err(ERROR_INVALID_HANDLE),
    })
}

/// `SetWaitableTimer`. A non-NULL `pfnCompletionRoutine` fails with `ERROR_NOT_SUPPORTED`
/// (no APCs); `fResume` TRUE sets the timer and returns TRUE with the last error
/// `ERROR_NOT_SUPPORTED`, as Windows does on systems without resume support.
///
/// # Safety
/// `due` must be NULL or point to a readable `LARGE_INTEGER`.
#[no_mangle]
pub unsafe extern "C" fn SetWaitableTimer(
    h: Handle,
    due: *const i64,
    period: i32,
    routine: *const c_void,
    _arg: *mut c_void,
    resume: i32,
) -> i32 {
    // SAFETY: `due` is NULL or readable (this function's contract).
    let r = unsafe { set_timer(h, due, period, routine) };
    if r == TRUE && resume != 0 {
        crate::abi::error::set_last_error(ERROR_NOT_SUPPORTED);
    }
    r
}

/// `SetWaitableTimerEx`: as `SetWaitableTimer` without resume; the wake context and the
/// tolerable delay are ignored.
///
/// # Safety
/// `due` must be NULL or point to a readable `LARGE_INTEGER`.
#[no_mangle]
pub unsafe extern "C" fn SetWaitableTimerEx(
    h: Handle,
    due: *const i64,
    period: i32,
    routine: *const c_void,
    _arg: *mut c_void,
    _wake_context: *mut c_void,
    _tolerable_delay: u32,
) -> i32 {
    // SAFETY: `due` is NULL or readable (this function's contract).
    unsafe { set_timer(h, due, period, routine) }
}

#[no_mangle]
pub extern "C" fn CancelWaitableTimer(h: Handle) -> i32 {
    with_obj(h, |o| match o {
        Obj::Named(fmap::AnyObject::Timer(t)) => t.cancel().map_err(code),
        _ => Err(ERROR_INVALID_HANDLE),
    })
}

/// The waitable behind a handle's object.
pub(crate) fn waitable(o: &Obj) -> Result<&dyn Waitable, u32> {
    Ok(match o {
        Obj::Named(o) => o, // the library refuses mappings: they are not waitable
        Obj::Process(_, false, a) if a & SYNCHRONIZE == 0 => return Err(ERROR_ACCESS_DENIED),
        Obj::Thread(t) | Obj::Process(t, false, _) => &t.done,
        Obj::Process(t, true, _) => t.main_thread_done.as_ref().unwrap_or(&t.done),
        Obj::File(..) | Obj::Snapshot(_) => return Err(ERROR_INVALID_HANDLE),
    })
}

pub(crate) fn timeout(ms: u32) -> Option<Duration> {
    (ms != INFINITE).then(|| Duration::from_millis(u64::from(ms)))
}

pub(crate) fn wait_result(r: fmap::Result<fmap::WaitResult>) -> u32 {
    match r {
        Ok(r) => r.to_win32(),
        Err(e) => fail(e.win32_code(), WAIT_FAILED),
    }
}

/// Waiting on this process or this thread: they cannot end while we wait, so the wait times out.
fn wait_forever_or(ms: u32) -> u32 {
    match timeout(ms) {
        Some(d) => std::thread::sleep(d),
        None => loop {
            std::thread::park();
        },
    }
    WAIT_TIMEOUT
}

#[no_mangle]
pub extern "C" fn WaitForSingleObject(h: Handle, ms: u32) -> u32 {
    if table::is_pseudo(h) {
        return wait_forever_or(ms);
    }
    // One attempt without taking a reference (the uncontended case ends here); to block, a
    // reference of its own keeps the object alive for the wait, also if another thread closes
    // the handle meanwhile.
    let first = table::with(h, |o| {
        if let Obj::Named(fmap::AnyObject::Mutex(m)) = &**o {
            // A mutex's own attempt (the inline path of `Mutex::lock`, no dynamic dispatch);
            // the guard's ownership stays with the thread until ReleaseMutex.
            return Ok(match m.lock_timeout(Some(Duration::ZERO)) {
                Ok(Some(g)) => {
                    let abandoned = g.was_abandoned();
                    g.leak();
                    Ok(Ok(if abandoned {
                        fmap::WaitResult::Abandoned(0)
                    } else {
                        fmap::WaitResult::Signaled(0)
                    }))
                }
                Ok(None) if ms != 0 => Err(o.to_ref()),
                Ok(None) => Ok(Ok(fmap::WaitResult::TimedOut)),
                Err(e) => Ok(Err(e)),
            });
        }
        let w = waitable(o)?;
        Ok(match fmap::wait_one(w, Some(Duration::ZERO)) {
            Ok(fmap::WaitResult::TimedOut) if ms != 0 => Err(o.to_ref()),
            r => Ok(r),
        })
    });
    match first {
        Ok(Ok(r)) => wait_result(r),
        Ok(Err(obj)) => match waitable(&obj) {
            Ok(w) => wait_result(fmap::wait_one(w, timeout(ms))),
            Err(e) => fail(e, WAIT_FAILED),
        },
        Err(e) => fail(e, WAIT_FAILED),
    }
}

/// # Safety
/// `handles` must point to `count` readable `HANDLE`s.
#[no_mangle]
pub unsafe extern "C" fn WaitForMultipleObjects(
    count: u32,
    hs: *const Handle,
    wait_all: i32,
    ms: u32,
) -> u32 {
    if count == 0 || count > MAXIMUM_WAIT_OBJECTS || hs.is_null() {
        return fail(ERROR_INVALID_PARAMETER, WAIT_FAILED);
    }
    // SAFETY: the caller passes `count` readable handles (non-NULL checked above).
    let hs = unsafe { std::slice::from_raw_parts(hs, count as usize) };
    let mut objs: Vec<table::ObjRef> = Vec::with_capacity(hs.len());
    for &h in hs {
        // Pseudo handles are refused here (unlike WaitForSingleObject).
        match table::get(h) {
            Ok(o) => objs.push(o),
            Err(e) => return fail(e, WAIT_FAILED),
        }
    }
    let mut ws: Vec<&dyn Waitable> = Vec::with_capacity(objs.len());
    for o in &objs {
        match waitable(o) {
            Ok(w) => ws.push(w),
            Err(e) => return fail(e, WAIT_FAILED),
        }
    }
    if wait_all != 0 {
        wait_result(fmap::wait_all(&ws, timeout(ms)))
    } else {
        wait_result(fmap::wait_any(&ws, timeout(ms)))
    }
}

/// Signals one object (`SetEvent`, `ReleaseMutex` or `ReleaseSemaphore(…, 1, …)`), then waits
/// on another. The two steps are not one atomic operation: another thread can see the signal
/// before this thread starts waiting (Windows does both in one kernel call).
#[no_mangle]
pub extern "C" fn SignalObjectAndWait(
    signal: Handle,
    wait: Handle,
    ms: u32,
    _alertable: i32,
) -> u32 {
    let (s, w) = match (table::get(signal), table::get(wait)) {
        (Ok(s), Ok(w)) => (s, w),
        (Err(e), _) | (_, Err(e)) => return fail(e, WAIT_FAILED),
    };
    let signalled = match &*s {
        Obj::Named(fmap::AnyObject::Event(e)) => e.set(),
        Obj::Named(fmap::AnyObject::Mutex(m)) => m.release(),
        Obj::Named(fmap::AnyObject::Semaphore(sem)) => sem.release(1).map(|_| ()),
        _ => return fail(ERROR_INVALID_HANDLE, WAIT_FAILED),
    };
    if let Err(e) = signalled {
        return fail(e.win32_code(), WAIT_FAILED);
    }
    match waitable(&w) {
        Ok(x) => wait_result(fmap::wait_one(x, timeout(ms))),
        Err(e) => fail(e, WAIT_FAILED),
    }
}
