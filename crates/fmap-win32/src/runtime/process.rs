//! Threads and processes: `CreateThread`, `CreateProcessA/W`, `GetExitCodeThread`,
//! `GetExitCodeProcess`, `TerminateProcess`, `ExitProcess`, `GetCurrentProcess`,
//! `GetCurrentThread`, `GetCurrentProcessId`, `GetCurrentThreadId`, and what makes their handles
//! waitable.
//!
//! A thread or process handle refers to a [`Task`]: an exit code (`STILL_ACTIVE` while it runs)
//! and an unnamed manual-reset [`fmap::Event`] that is set when it ends. Waiting on the handle is
//! waiting on that event, so thread and process handles mix freely with mutexes, events and
//! semaphores in `WaitForMultipleObjects`.
//!
//! A child process is watched by a reaper thread: it waits for the child to end
//! (`waitid(WNOWAIT)`, leaving it a zombie so its pid cannot be reused), then — under the task's
//! lock, which `TerminateProcess` also takes before it sends `SIGKILL` — reaps it, records its
//! exit code and sets the event.

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{self, Handle, Obj};
use crate::abi::text::{put, wide_units};
use crate::runtime::{inherit, search};
use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// A thread or process as its handles see it.
#[derive(Debug)]
pub struct Task {
    /// Set (manual reset) when the thread or process has ended.
    pub done: fmap::Event,
    /// For processes: the same for the handle of its main thread (a distinct object, so that
    /// both handles can be waited on together).
    pub main_thread_done: Option<fmap::Event>,
    /// `STILL_ACTIVE` until it ends.
    pub exit_code: AtomicU32,
    /// Thread id or process id.
    pub id: AtomicU32,
    /// For processes: `(reaped, exit code given to TerminateProcess)`.
    proc: Mutex<(bool, Option<u32>)>,
    /// For child processes: the main thread's suspend count and, while the child started with
    /// `CREATE_SUSPENDED` has not been resumed yet, the write end of the pipe it waits on
    /// before its `exec`.
    suspend: Mutex<(u32, Option<std::fs::File>)>,
    /// For processes opened with `OpenProcess` that are not our children: a pidfd (readable
    /// once the process has ended; `pidfd_send_signal` for `TerminateProcess`) and its
    /// registration with the watcher thread.
    pidfd: Option<(OwnedFd, u64)>,
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some((_, token)) = &self.pidfd {
            watcher::forget(*token);
        }
    }
}

impl Task {
    fn new(process: bool) -> fmap::Result<Arc<Task>> {
        Ok(Arc::new(Task {
            done: fmap::Event::create(None, true, false)?,
            main_thread_done: if process {
                Some(fmap::Event::create(None, true, false)?)
            } else {
                None
            },
            exit_code: AtomicU32::new(STILL_ACTIVE),
            id: AtomicU32::new(0),
            proc: Mutex::new((false, None)),
            suspend: Mutex::new((0, None)),
            pidfd: None,
        }))
    }

    /// Has the process ended? For an opened process the pidfd says so at once (the `done`
    /// event is set by the watcher thread a little later); for a child, whether it is reaped
    /// (before that its pid cannot be reused).
    pub fn ended(&self) -> bool {
        match &self.pidfd {
            Some((fd, _)) => {
                let mut p = libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: polls one valid descriptor without waiting.
                unsafe { libc::poll(&mut p, 1, 0) != 0 }
            }
            None => self.proc.lock().unwrap_or_else(|e| e.into_inner()).0,
        }
    }

    fn finish(&self, code: u32) {
        self.exit_code.store(code, SeqCst);
        if let Some(t) = &self.main_thread_done {
            let _ = t.set();
        }
        let _ = self.done.set();
    }
}

/// `LPTHREAD_START_ROUTINE`.
pub type StartRoutine = unsafe extern "C" fn(*mut c_void) -> u32;

/// What a thread runs: a Win32 routine (`CreateThread`, `_beginthreadex`) or the C runtime's
/// `void` one (`_beginthread`, whose thread closes its own handle when it ends).
#[derive(Clone, Copy)]
pub enum Entry {
    /// Returns the exit code.
    Win(StartRoutine),
    /// Exit code 0.
    Crt(unsafe extern "C" fn(*mut c_void)),
}

/// The thread this code runs on, when `CreateThread` (or `_beginthreadex`/`_beginthread`)
/// started it: its task, and for `_beginthread` the handle to close when it ends.
struct Current {
    task: Arc<Task>,
    close: Option<Arc<AtomicUsize>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// What `CreateThread` hands to the new thread (boxed, taken once by [`thread_enter`]).
struct Start {
    entry: Entry,
    param: *mut c_void,
    task: Arc<Task>,
    close: Option<Arc<AtomicUsize>>,
    started: std::sync::mpsc::Sender<()>,
}

/// The routine as a `C-unwind` function: `ExitThread` leaves it by `pthread_exit`'s forced
/// unwind, which a `C` function pointer call does not allow.
type UnwindRoutine = unsafe extern "C-unwind" fn(*mut c_void) -> u32;
type UnwindCrtRoutine = unsafe extern "C-unwind" fn(*mut c_void);

/// Takes the [`Start`], records the thread's id and [`CURRENT`], and tells `CreateThread`.
/// Nothing it returns has a destructor.
#[inline(never)]
fn thread_enter(arg: *mut c_void) -> (Entry, *mut c_void) {
    // SAFETY: `arg` is the `Box<Start>` that `spawn_thread` leaked for this thread; only this thread
    // takes it, once.
    let s = unsafe { Box::from_raw(arg.cast::<Start>()) };
    s.task.id.store(current_tid(), SeqCst);
    let Start {
        entry,
        param,
        task,
        close,
        started,
    } = *s;
    CURRENT.with(|c| *c.borrow_mut() = Some(Current { task, close }));
    let _ = started.send(());
    (entry, param)
}

/// The thread's end: records the exit code, releases the waiters on its handles and, for
/// `_beginthread`, closes the handle. Does nothing on a thread `CreateThread` did not start.
fn thread_finish(code: u32) {
    let Some(cur) = CURRENT.with(|c| c.borrow_mut().take()) else {
        return;
    };
    cur.task.finish(code);
    // The last of them after the main thread called ExitThread: the process ends with its code.
    if LIVE_THREADS.fetch_sub(1, SeqCst) == 1 && MAIN_EXITED.load(SeqCst) {
        exit_once(code);
    }
    if let Some(cell) = cur.close {
        // Before `spawn_thread` stored the handle: `spawn_thread` closes it (it sees CLOSED).
        let h = cell.swap(CLOSED, SeqCst);
        if h != 0 {
            close_own(h as Handle, &cur.task);
        }
    }
}

/// Closes `_beginthread`'s handle `h` if it still names `task` (the program may have closed it
/// and the value may name something else by now).
fn close_own(h: Handle, task: &Arc<Task>) {
    let ours = matches!(table::get(h).as_deref(), Ok(Obj::Thread(t)) if Arc::ptr_eq(t, task));
    if ours {
        let _ = table::remove(h);
    }
}

/// Threads `CreateThread` started that have not ended yet.
static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);
/// The main thread called `ExitThread`.
static MAIN_EXITED: AtomicBool = AtomicBool::new(false);
static EXITING: AtomicBool = AtomicBool::new(false);

/// `exit(code)` from one thread only.
fn exit_once(code: u32) {
    if !EXITING.swap(true, SeqCst) {
        // SAFETY: ends the process as returning from main would (atexit handlers run).
        unsafe { libc::exit(code as i32) };
    }
}

/// [`Start::close`] once the thread has ended without seeing its handle.
const CLOSED: usize = usize::MAX;

/// The new thread's `pthread` start routine. At the call of the program's routine its frame
/// holds no value with a destructor, so `pthread_exit`'s forced unwind (`ExitThread`) may pass
/// through it.
extern "C-unwind" fn thread_main(arg: *mut c_void) -> *mut c_void {
    let (entry, param) = thread_enter(arg);
    let code = match entry {
        Entry::Win(f) => {
            // SAFETY: the same function with the same calling convention; only the unwind
            // ABI differs (the routine may end by a forced unwind, see `ExitThread`).
            let f = unsafe { std::mem::transmute::<StartRoutine, UnwindRoutine>(f) };
            // SAFETY: the caller of CreateThread vouched for the routine and its parameter.
            unsafe { f(param) }
        }
        Entry::Crt(f) => {
            // SAFETY: as above.
            let f = unsafe {
                std::mem::transmute::<unsafe extern "C" fn(*mut c_void), UnwindCrtRoutine>(f)
            };
            // SAFETY: the caller of _beginthread vouched for the routine and its parameter.
            unsafe { f(param) };
            0
        }
    };
    thread_finish(code);
    null_mut()
}

/// Starts a thread running `entry(param)` (a POSIX thread of its own, detached) and returns
/// its handle. `close`: `_beginthread`'s cell, into which this stores the handle for the thread
/// to close when it ends.
pub(crate) fn spawn_thread(
    stack_size: usize,
    entry: Entry,
    param: *mut c_void,
    close: Option<Arc<AtomicUsize>>,
) -> Result<(Handle, u32), u32> {
    let task = Task::new(false).map_err(|e| e.win32_code())?;
    LIVE_THREADS.fetch_add(1, SeqCst);
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Box::into_raw(Box::new(Start {
        entry,
        param,
        task: task.clone(),
        close: close.clone(),
        started: tx,
    }));
    // std's default for its threads; Windows' is 1 MiB.
    let stack = if stack_size == 0 {
        2 << 20
    } else {
        stack_size.max(64 * 1024)
    };
    let page = 4096;
    let stack = stack.div_ceil(page) * page;
    let mut thread: libc::pthread_t = 0;
    // SAFETY: the attribute object is initialised before use and destroyed after;
    // `thread_main` takes ownership of `start` when the thread starts, and on failure no thread
    // exists, so it is freed here.
    let rc = unsafe {
        let mut attr = std::mem::zeroed::<libc::pthread_attr_t>();
        libc::pthread_attr_init(&mut attr);
        libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
        libc::pthread_attr_setstacksize(&mut attr, stack);
        let f: extern "C-unwind" fn(*mut c_void) -> *mut c_void = thread_main;
        let rc = pthread_create_unwind(&mut thread, &attr, f, start.cast());
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            drop(Box::from_raw(start));
            LIVE_THREADS.fetch_sub(1, SeqCst);
        }
        rc
    };
    if rc != 0 {
        let e = fmap::Error::os(
            std::io::Error::from_raw_os_error(rc),
            "cannot start a thread",
        );
        return Err(e.win32_code());
    }
    let _ = rx.recv();
    let id = task.id.load(SeqCst);
    let h = table::opened(Obj::Thread(task.clone()), 0);
    if let Some(cell) = close {
        if !h.is_null() && cell.swap(h as usize, SeqCst) == CLOSED {
            close_own(h, &task);
        }
    }
    Ok((h, id))
}

extern "C" {
    /// `pthread_create` with a `C-unwind` start routine (the same symbol as libc's).
    #[link_name = "pthread_create"]
    fn pthread_create_unwind(
        thread: *mut libc::pthread_t,
        attr: *const libc::pthread_attr_t,
        f: extern "C-unwind" fn(*mut c_void) -> *mut c_void,
        arg: *mut c_void,
    ) -> i32;
}

extern "C-unwind" {
    /// `pthread_exit`, declared as unwinding: it ends the thread by a forced unwind.
    #[link_name = "pthread_exit"]
    fn pthread_exit_unwind(value: *mut c_void) -> !;
}

/// `CreateThread`. `dwCreationFlags` may be 0 or `STACK_SIZE_PARAM_IS_A_RESERVATION`;
/// `CREATE_SUSPENDED` is not supported (`ERROR_NOT_SUPPORTED`). The thread is a POSIX thread
/// of its own (2 MiB of stack unless `stack_size` says otherwise); it ends when its routine
/// returns or it calls `ExitThread`.
///
/// # Safety
/// `start` must be a valid thread routine for `param`; `thread_id` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn CreateThread(
    _sa: *const c_void,
    stack_size: usize,
    start: Option<StartRoutine>,
    param: *mut c_void,
    flags: u32,
    thread_id: *mut u32,
) -> Handle {
    let Some(start) = start else {
        return fail(ERROR_INVALID_PARAMETER, null_mut());
    };
    if flags & CREATE_SUSPENDED != 0 {
        return fail(ERROR_NOT_SUPPORTED, null_mut());
    }
    match spawn_thread(stack_size, Entry::Win(start), param, None) {
        Ok((h, id)) => {
            // SAFETY: `thread_id` is NULL or valid for writing (this function's contract);
            // `put` writes only through a non-NULL pointer.
            unsafe { put(thread_id, id) };
            h
        }
        Err(code) => fail(code, null_mut()),
    }
}

/// `ExitThread`: ends the calling thread with exit code `code`. For a thread `CreateThread`
/// started, the code is what `GetExitCodeThread` then reports and the waiters on its handles
/// are released; the thread then ends by `pthread_exit` (its C++ destructors and C cleanup
/// handlers run, thread-local destructors too). On the main thread: if no thread that
/// `CreateThread` started is running, the process exits with `code` (as Windows ends a process
/// with the code of its last thread), else the main thread ends and the process exits with the
/// code of the last of those threads when it ends (threads the program started with
/// `pthread_create` are not counted). On a thread the program started with `pthread_create`:
/// `pthread_exit`.
#[no_mangle]
pub extern "C-unwind" fn ExitThread(code: u32) -> ! {
    if current_tid() == std::process::id() {
        MAIN_EXITED.store(true, SeqCst);
        if LIVE_THREADS.load(SeqCst) == 0 {
            exit_once(code);
        }
    }
    thread_finish(code);
    // SAFETY: ends this thread. The Rust frames between here and the routine's caller
    // (`thread_main`) hold no values with destructors at this point.
    unsafe { pthread_exit_unwind(null_mut()) }
}

/// `TerminateThread`. Killing another thread at an arbitrary point (which Windows does, and
/// documents as dangerous: its locks stay held, its stack is not freed) has no safe equivalent
/// on Linux — `pthread_cancel` runs cleanup at cancellation points instead — so a thread that
/// is still running is refused with `ERROR_NOT_SUPPORTED`, unless it is the calling thread,
/// which ends as by `ExitThread(code)`. A thread that has already ended: `TRUE`, its exit code
/// unchanged. Not a thread handle: `ERROR_INVALID_HANDLE`.
#[no_mangle]
pub extern "C-unwind" fn TerminateThread(h: Handle, code: u32) -> i32 {
    if h == table::CURRENT_THREAD {
        ExitThread(code);
    }
    let task = match table::get(h).as_deref() {
        Ok(Obj::Thread(t)) => t.clone(),
        _ => return fail(ERROR_INVALID_HANDLE, FALSE),
    };
    if task.exit_code.load(SeqCst) != STILL_ACTIVE {
        return TRUE;
    }
    let me = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|cur| Arc::ptr_eq(&cur.task, &task))
    });
    drop(task);
    if me {
        ExitThread(code);
    }
    fail(ERROR_NOT_SUPPORTED, FALSE)
}

fn current_tid() -> u32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u32 }
}

#[no_mangle]
pub extern "C" fn GetCurrentThreadId() -> u32 {
    current_tid()
}

#[no_mangle]
pub extern "C" fn GetCurrentProcessId() -> u32 {
    std::process::id()
}

/// The pseudo handle [`table::CURRENT_PROCESS`] (`INVALID_HANDLE_VALUE`).
#[no_mangle]
pub extern "C" fn GetCurrentProcess() -> Handle {
    table::CURRENT_PROCESS
}

/// The pseudo handle [`table::CURRENT_THREAD`].
#[no_mangle]
pub extern "C" fn GetCurrentThread() -> Handle {
    table::CURRENT_THREAD
}

/// # Safety
/// `code` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn GetExitCodeThread(h: Handle, code: *mut u32) -> i32 {
    let c = if h == table::CURRENT_THREAD {
        STILL_ACTIVE
    } else {
        match table::get(h).as_deref() {
            Ok(Obj::Thread(t)) | Ok(Obj::Process(t, true, _)) => t.exit_code.load(SeqCst),
            _ => return fail(ERROR_INVALID_HANDLE, FALSE),
        }
    };
    // SAFETY: `code` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(code, c) };
    TRUE
}

/// `GetExitCodeProcess`: `STILL_ACTIVE` while the process runs; then, for a child this process
/// started (also through a handle from `OpenProcess`), its exit code; for any other process
/// the code read from its zombie if that was still possible when it ended (see
/// [`OpenProcess`]), else [`EXIT_CODE_UNKNOWN`]. The handle needs
/// `PROCESS_QUERY_(LIMITED_)INFORMATION` (else `ERROR_ACCESS_DENIED`).
///
/// # Safety
/// `code` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn GetExitCodeProcess(h: Handle, code: *mut u32) -> i32 {
    let c = if h == table::CURRENT_PROCESS {
        STILL_ACTIVE
    } else {
        match table::get(h).as_deref() {
            Ok(Obj::Process(t, false, access)) => {
                if access & QUERY_ANY == 0 {
                    return fail(ERROR_ACCESS_DENIED, FALSE);
                }
                t.exit_code.load(SeqCst)
            }
            _ => return fail(ERROR_INVALID_HANDLE, FALSE),
        }
    };
    // SAFETY: `code` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(code, c) };
    TRUE
}

/// Either query right (`PROCESS_QUERY_INFORMATION` implies the limited one, as on Windows).
pub(crate) const QUERY_ANY: u32 = PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION;

/// The exit code `GetExitCodeProcess` gives for an ended process that was not our child when
/// its status could not be read: `0xFFFFFFFF`, which no Linux process can exit with (exit
/// statuses are 0–255), so it never passes for success or for a real code.
pub const EXIT_CODE_UNKNOWN: u32 = u32::MAX;

/// `TerminateProcess`: `SIGKILL`s the process (a child's exit code then is `exit_code`; another
/// process's is what [`GetExitCodeProcess`] documents); on `GetCurrentProcess()` or a handle of
/// this process ends this process at once (no `DLL_PROCESS_DETACH`, as on Windows). The handle
/// needs `PROCESS_TERMINATE` (else `ERROR_ACCESS_DENIED`); a process that has already ended
/// gives `ERROR_ACCESS_DENIED` too, as on Windows.
#[no_mangle]
pub extern "C" fn TerminateProcess(h: Handle, exit_code: u32) -> i32 {
    if h == table::CURRENT_PROCESS {
        // SAFETY: _exit ends the process; nothing runs afterwards.
        unsafe { libc::_exit(exit_code as i32) };
    }
    let obj = match table::get(h) {
        Ok(o) => o,
        Err(e) => return fail(e, FALSE),
    };
    let Obj::Process(t, false, access) = &*obj else {
        return fail(ERROR_INVALID_HANDLE, FALSE);
    };
    if access & PROCESS_TERMINATE == 0 {
        return fail(ERROR_ACCESS_DENIED, FALSE);
    }
    if let Some((fd, _)) = &t.pidfd {
        if t.id.load(SeqCst) == std::process::id() {
            // SAFETY: as above.
            unsafe { libc::_exit(exit_code as i32) };
        }
        if t.ended() {
            // Exited (a zombie still takes signals): as Windows says for an ended process.
            return fail(ERROR_ACCESS_DENIED, FALSE);
        }
        // SAFETY: a pidfd names exactly its process, even after the pid is reused; signal 0
        // info pointer NULL and flags 0 are what pidfd_send_signal takes for a plain kill.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                fd.as_raw_fd(),
                libc::SIGKILL,
                null_mut::<c_void>(),
                0,
            )
        };
        if r != 0 {
            return fail(
                match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::ESRCH) | Some(libc::EPERM) => ERROR_ACCESS_DENIED,
                    e => fmap::Error::os(std::io::Error::from_raw_os_error(e.unwrap_or(0)), "")
                        .win32_code(),
                },
                FALSE,
            );
        }
        return TRUE;
    }
    let mut st = t.proc.lock().unwrap_or_else(|e| e.into_inner());
    if st.0 {
        return fail(ERROR_ACCESS_DENIED, FALSE); // already ended (Windows says the same)
    }
    st.1.get_or_insert(exit_code);
    // SAFETY: the child is not reaped yet (we hold the lock the reaper needs first), so the pid
    // still names our child (at worst a zombie).
    unsafe { libc::kill(t.id.load(SeqCst) as libc::pid_t, libc::SIGKILL) };
    TRUE
}

/// Children this process started and has not reaped, by pid: `OpenProcess` of such a pid
/// shares the child's [`Task`] (and so its real exit code). The reaper reaps and removes an
/// entry under this lock, and `OpenProcess` looks up and opens under it, so a pid found
/// missing here is not an unreaped child of ours.
static CHILDREN: Mutex<Option<std::collections::HashMap<u32, std::sync::Weak<Task>>>> =
    Mutex::new(None);

fn children(
) -> std::sync::MutexGuard<'static, Option<std::collections::HashMap<u32, std::sync::Weak<Task>>>> {
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner())
}

/// May this process signal (and so inspect) `pid`? The rule of `kill`: same real or effective
/// user, or privileged.
fn may_signal(pid: u32) -> bool {
    // SAFETY: signal 0 only checks existence and permission.
    let ok = unsafe { libc::kill(pid as libc::pid_t, 0) == 0 };
    ok || std::io::Error::last_os_error().raw_os_error() != Some(libc::EPERM)
}

/// The rights asked of `OpenProcess` (or a `DuplicateHandle` of a process handle) as the bits
/// the handle gets: generic rights mapped, `PROCESS_QUERY_INFORMATION` implying the limited
/// one, `MAXIMUM_ALLOWED` as everything this process may have. `ERROR_ACCESS_DENIED` when a
/// right beyond `SYNCHRONIZE` and `PROCESS_QUERY_LIMITED_INFORMATION` (which Windows grants on
/// nearly every process) is asked of a process this process may not signal.
pub fn process_access(pid: u32, asked: u32) -> Result<u32, u32> {
    let mut a = asked & (PROCESS_ALL_ACCESS | SYNCHRONIZE);
    if asked & (GENERIC_ALL | MAXIMUM_ALLOWED) != 0 {
        a = PROCESS_ALL_ACCESS;
    }
    if asked & GENERIC_EXECUTE != 0 {
        a |= SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_TERMINATE;
    }
    if a & PROCESS_QUERY_INFORMATION != 0 {
        a |= PROCESS_QUERY_LIMITED_INFORMATION;
    }
    let free = SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION;
    if a & !free != 0 && !may_signal(pid) {
        if asked & MAXIMUM_ALLOWED != 0 {
            return Ok(free);
        }
        return Err(ERROR_ACCESS_DENIED);
    }
    Ok(a)
}

/// `OpenProcess`: a handle to any process by pid, waitable (signalled when the process ends)
/// and usable with `GetExitCodeProcess`, `TerminateProcess`, `GetProcessId` and
/// `DuplicateHandle` as its rights allow (each checks its right: `SYNCHRONIZE`,
/// `PROCESS_QUERY_(LIMITED_)INFORMATION`, `PROCESS_TERMINATE`, `PROCESS_DUP_HANDLE`; without it
/// `ERROR_ACCESS_DENIED`).
///
/// * A child this process started and has not reaped shares that child's state: its real
///   exit code, also through this handle.
/// * Any other process is watched through a pidfd (Linux 5.3; older kernels give
///   `ERROR_NOT_SUPPORTED`) by one watcher thread of this process. Its exit status belongs to
///   its parent: when it ends, the code is read from its zombie (`/proc/<pid>/stat`) if it is
///   one of this user's processes (or this process is privileged) and the parent has not
///   reaped it yet; otherwise `GetExitCodeProcess` gives [`EXIT_CODE_UNKNOWN`].
/// * This process's own pid works too (it never signals; `TerminateProcess` ends this process).
///
/// Errors as on Windows: pid 0 (the System Idle Process), a pid no process has, or a thread id
/// (not the main thread's) `ERROR_INVALID_PARAMETER`; rights beyond `SYNCHRONIZE` and
/// `PROCESS_QUERY_LIMITED_INFORMATION` on a process this process may not signal (another
/// user's, unless privileged) `ERROR_ACCESS_DENIED`.
#[no_mangle]
pub extern "C" fn OpenProcess(access: u32, inherit: i32, pid: u32) -> Handle {
    match open_process(access, pid) {
        Ok(obj) => table::opened(obj, table::inherit_flags(inherit)),
        Err(e) => fail(e, null_mut()),
    }
}

fn open_process(asked: u32, pid: u32) -> Result<Obj, u32> {
    if pid == 0 || pid > i32::MAX as u32 {
        return Err(ERROR_INVALID_PARAMETER);
    }
    let ch = children();
    if let Some(t) = ch
        .as_ref()
        .and_then(|m| m.get(&pid))
        .and_then(|w| w.upgrade())
    {
        return Ok(Obj::Process(t, false, process_access(pid, asked)?));
    }
    // SAFETY: pidfd_open takes a pid and flags; it returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    let errno = std::io::Error::last_os_error().raw_os_error();
    drop(ch);
    if fd < 0 {
        return Err(match errno {
            // A thread id that is not a process id: EINVAL, ENOENT since Linux 6.9.
            Some(libc::ESRCH | libc::EINVAL | libc::ENOENT) => ERROR_INVALID_PARAMETER,
            Some(libc::ENOSYS) => ERROR_NOT_SUPPORTED,
            e => fmap::Error::os(
                std::io::Error::from_raw_os_error(e.unwrap_or(0)),
                "pidfd_open",
            )
            .win32_code(),
        });
    }
    // SAFETY: pidfd_open just made this descriptor (close-on-exec); nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let access = process_access(pid, asked)?;
    // /proc/<pid>, opened while the process is not reaped, names that process (a reused pid
    // gets a new /proc entry): where its zombie's exit code is read when it ends.
    let proc_dir = std::fs::File::open(format!("/proc/{pid}")).ok();
    let mut task = Task {
        done: fmap::Event::create(None, true, false).map_err(|e| e.win32_code())?,
        main_thread_done: None,
        exit_code: AtomicU32::new(STILL_ACTIVE),
        id: AtomicU32::new(pid),
        proc: Mutex::new((false, None)),
        suspend: Mutex::new((0, None)),
        pidfd: None,
    };
    // Still not reaped after the open (a zombie can be signalled, a reaped process cannot: ESRCH),
    // so the directory is this process's.
    // SAFETY: signal 0 through a valid pidfd only checks the process.
    let unreaped = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            0,
            null_mut::<c_void>(),
            0,
        )
    } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    let proc_dir = proc_dir.filter(|_| unreaped);
    let token = watcher::next_token();
    task.pidfd = Some((fd, token));
    let task = Arc::new(task);
    watcher::watch(&task, token, proc_dir)?;
    Ok(Obj::Process(task, false, access))
}

/// `GetProcessId`: the pid of a process handle (`GetCurrentProcess()` too); the handle needs
/// a query right. Other handles fail with `ERROR_INVALID_HANDLE` and 0.
#[no_mangle]
pub extern "C" fn GetProcessId(h: Handle) -> u32 {
    if h == table::CURRENT_PROCESS {
        return std::process::id();
    }
    match table::get(h).as_deref() {
        Ok(Obj::Process(t, false, access)) => {
            if access & QUERY_ANY == 0 {
                return fail(ERROR_ACCESS_DENIED, 0);
            }
            t.id.load(SeqCst)
        }
        _ => fail(ERROR_INVALID_HANDLE, 0),
    }
}

/// The exit code of an ended process that is not our child: from its zombie's
/// `/proc/<pid>/stat` (field 52, a wait status, Linux 3.5), read through the `/proc/<pid>`
/// directory opened while it ran. The kernel shows the field only to a caller that may trace
/// the process (else 0), so it is used only for processes whose user ids are all ours, or
/// when this process is privileged.
fn zombie_exit_code(dir: &std::fs::File) -> Option<u32> {
    use std::io::Read;
    let open = |name: &str| -> Option<String> {
        let c = std::ffi::CString::new(name).ok()?;
        // SAFETY: opens a file relative to a valid directory descriptor; the result is owned.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return None;
        }
        // SAFETY: openat just made this descriptor.
        let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
        let mut s = String::new();
        f.read_to_string(&mut s).ok()?;
        Some(s)
    };
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        let status = open("status")?;
        let uids = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
        if !uids.split_whitespace().all(|u| u.parse() == Ok(euid)) {
            return None;
        }
    }
    let stat = open("stat")?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state): a zombie is 'Z'; field 52 is fields[49].
    if fields.first() != Some(&"Z") {
        return None;
    }
    let status: i32 = fields.get(49)?.parse().ok()?;
    Some(if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status) as u32
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status) as u32
    } else {
        return None;
    })
}

/// The thread that watches the pidfds of opened processes (one epoll set for all) and ends
/// their tasks when they become readable.
mod watcher {
    use super::{zombie_exit_code, Task, EXIT_CODE_UNKNOWN};
    use std::collections::HashMap;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::sync::{Arc, Mutex, OnceLock, Weak};

    /// A watched task and its `/proc/<pid>` directory.
    type Watched = (Weak<Task>, Option<std::fs::File>);

    struct Watcher {
        epoll: OwnedFd,
        tasks: Mutex<HashMap<u64, Watched>>,
    }

    static NEXT: AtomicU64 = AtomicU64::new(1);
    static W: OnceLock<Result<Watcher, u32>> = OnceLock::new();

    pub fn next_token() -> u64 {
        NEXT.fetch_add(1, Relaxed)
    }

    fn get() -> Result<&'static Watcher, u32> {
        W.get_or_init(|| {
            // SAFETY: epoll_create1 takes flags only.
            let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
            if fd < 0 {
                return Err(crate::abi::consts::ERROR_NOT_ENOUGH_MEMORY);
            }
            // SAFETY: just made; owned here.
            let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
            std::thread::Builder::new()
                .name("fmap-pidwatch".into())
                .spawn(run)
                .map_err(|_| crate::abi::consts::ERROR_NOT_ENOUGH_MEMORY)?;
            Ok(Watcher {
                epoll,
                tasks: Mutex::new(HashMap::new()),
            })
        })
        .as_ref()
        .map_err(|e| *e)
    }

    /// Watches `task`'s pidfd under `token`.
    pub fn watch(task: &Arc<Task>, token: u64, proc_dir: Option<std::fs::File>) -> Result<(), u32> {
        let w = get()?;
        let Some((fd, _)) = &task.pidfd else {
            return Ok(());
        };
        w.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token, (Arc::downgrade(task), proc_dir));
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLONESHOT) as u32,
            u64: token,
        };
        // SAFETY: adds a valid descriptor to a valid epoll set with a valid event.
        if unsafe {
            libc::epoll_ctl(
                w.epoll.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd.as_raw_fd(),
                &mut ev,
            )
        } != 0
        {
            forget(token);
            return Err(crate::abi::consts::ERROR_NOT_ENOUGH_MEMORY);
        }
        Ok(())
    }

    /// The task of `token` is gone (its pidfd, closed with it, leaves the epoll set).
    pub fn forget(token: u64) {
        if let Some(Ok(w)) = W.get() {
            let gone = w
                .tasks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&token);
            drop(gone);
        }
    }

    fn run() {
        let w = loop {
            // The thread starts inside `get`'s initialisation: wait until it has finished.
            match W.get() {
                Some(Ok(w)) => break w,
                Some(Err(_)) => return,
                None => std::thread::yield_now(),
            }
        };
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 16];
        loop {
            // SAFETY: waits on a valid epoll set into a buffer of evs.len() events.
            let n = unsafe {
                libc::epoll_wait(w.epoll.as_raw_fd(), evs.as_mut_ptr(), evs.len() as i32, -1)
            };
            for ev in evs.iter().take(n.max(0) as usize) {
                let token = ev.u64;
                let entry = w
                    .tasks
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&token);
                let Some((task, dir)) = entry else { continue };
                // Upgraded outside the lock: dropping the last reference runs Task's Drop,
                // which takes the lock.
                if let Some(task) = task.upgrade() {
                    let code = dir
                        .as_ref()
                        .and_then(zombie_exit_code)
                        .unwrap_or(EXIT_CODE_UNKNOWN);
                    task.finish(code);
                }
            }
        }
    }
}
/// `ExitProcess`: ends the process with `code`, running exit handlers (and so every
/// `DLL_PROCESS_DETACH`).
#[no_mangle]
pub extern "C" fn ExitProcess(code: u32) -> ! {
    std::process::exit(code as i32)
}

/// Splits a command line the way `CommandLineToArgvW` and the C runtime do: the first token
/// ends at the first blank (or the closing quote, with no escapes); in the others, `2n`
/// backslashes before a quote are `n` backslashes and the quote toggles quoting, `2n+1` are `n`
/// and a literal quote, and `""` inside quotes is a literal quote.
pub fn split_command_line(line: &[u16]) -> Vec<Vec<u16>> {
    const Q: u16 = b'"' as u16;
    const BS: u16 = b'\\' as u16;
    let blank = |c: u16| c == b' ' as u16 || c == b'\t' as u16;
    let mut args = Vec::new();
    let mut i = 0;
    // argv[0]
    let mut first = Vec::new();
    if line.first() == Some(&Q) {
        i = 1;
        while i < line.len() && line[i] != Q {
            first.push(line[i]);
            i += 1;
        }
        i += 1;
    } else {
        while i < line.len() && !blank(line[i]) {
            first.push(line[i]);
            i += 1;
        }
    }
    args.push(first);
    loop {
        while i < line.len() && blank(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let mut arg = Vec::new();
        let mut quoted = false;
        while i < line.len() {
            let c = line[i];
            if c == BS {
                let mut n = 0;
                while i < line.len() && line[i] == BS {
                    n += 1;
                    i += 1;
                }
                if i < line.len() && line[i] == Q {
                    arg.extend(std::iter::repeat_n(BS, n / 2));
                    if n % 2 == 1 {
                        arg.push(Q);
                        i += 1;
                    }
                } else {
                    arg.extend(std::iter::repeat_n(BS, n));
                }
            } else if c == Q {
                if quoted && line.get(i + 1) == Some(&Q) {
                    arg.push(Q);
                    i += 2;
                } else {
                    quoted = !quoted;
                    i += 1;
                }
            } else if blank(c) && !quoted {
                break;
            } else {
                arg.push(c);
                i += 1;
            }
        }
        args.push(arg);
    }
    args
}

fn os(units: &[u16]) -> Result<OsString, u32> {
    String::from_utf16(units)
        .map(OsString::from)
        .map_err(|_| ERROR_NO_UNICODE_TRANSLATION)
}

/// `STARTUPINFO` is read only for its size; `PROCESS_INFORMATION` is written.
#[repr(C)]
pub struct ProcessInformation {
    pub process: Handle,
    pub thread: Handle,
    pub process_id: u32,
    pub thread_id: u32,
}

struct Spawn {
    app: Option<PathBuf>,
    /// The command line (the program is searched from it when `app` is `None`).
    line: Vec<u16>,
    args: Vec<OsString>,
    env: Option<Vec<(OsString, OsString)>>,
    dir: Option<PathBuf>,
}

/// Why the exec of `program` would fail, checked before a suspended start (whose `exec` runs
/// only at `ResumeThread`, too late to report): not executable, or no format the kernel runs.
fn exec_check(program: &std::path::Path) -> Result<(), u32> {
    use std::io::Read;
    let c = std::ffi::CString::new(program.as_os_str().as_bytes())
        .map_err(|_| ERROR_INVALID_PARAMETER)?;
    // SAFETY: `c` is a NUL-terminated path.
    if unsafe { libc::access(c.as_ptr(), libc::X_OK) } != 0 {
        return Err(ERROR_ACCESS_DENIED);
    }
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(program)
        .and_then(|mut f| f.read(&mut magic))
        .map_err(|_| ERROR_ACCESS_DENIED)?;
    if (n == 4 && magic == *b"\x7fELF") || (n >= 2 && magic[..2] == *b"#!") {
        Ok(())
    } else {
        Err(ERROR_BAD_EXE_FORMAT)
    }
}

/// What the forked child of a suspended start needs, made before the `fork` (the child may
/// only make async-signal-safe calls): the program, its argument vector and environment
/// (std's `Command` installs its environment only after the `pre_exec` hooks have run).
struct ExecArgs {
    strings: Vec<std::ffi::CString>,
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
}
// SAFETY: the pointers point into `_strings`, which the struct owns and never changes; they are
// only read (by the forked child's execve).
unsafe impl Send for ExecArgs {}
// SAFETY: as above; nothing mutates through the pointers.
unsafe impl Sync for ExecArgs {}

fn pipe() -> Result<(OwnedFd, OwnedFd), u32> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two descriptors for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(fmap::Error::os(std::io::Error::last_os_error(), "pipe").win32_code());
    }
    // SAFETY: pipe2 just made these two descriptors; nothing else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn spawn_error(e: &std::io::Error) -> u32 {
    match e.raw_os_error() {
        Some(libc::ENOEXEC) => ERROR_BAD_EXE_FORMAT,
        Some(libc::EACCES | libc::EPERM | libc::EISDIR) => ERROR_ACCESS_DENIED,
        _ => fmap::Error::os(
            std::io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(0)),
            "",
        )
        .win32_code(),
    }
}

fn spawn(req: Spawn, info: *mut ProcessInformation, inherit: bool, flags: u32) -> i32 {
    if req.args.is_empty() && req.app.is_none() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => return fail(fmap::Error::os(e, "").win32_code(), FALSE),
    };
    let found = match &req.app {
        Some(a) => search::application(a, &cwd),
        None => search::command_line(&req.line, &cwd),
    };
    let program = match found {
        Ok(p) => p,
        Err(e) => return fail(e, FALSE),
    };
    let suspended = flags & CREATE_SUSPENDED != 0;
    // Checked before every start: a suspended one execs only at ResumeThread, and with a
    // pre_exec hook (always: the inbox, see below) std execs with execvp, whose C library
    // runs a file of no known format with /bin/sh instead of failing with ENOEXEC.
    if let Err(e) = exec_check(&program) {
        return fail(e, FALSE);
    }
    let mut cmd = std::process::Command::new(&program);
    if let Some(a0) = req.args.first() {
        cmd.arg0(a0);
        cmd.args(&req.args[1..]);
    }
    // The child's environment (a suspended child execs with it itself, see below).
    let mut child_env: Vec<(OsString, OsString)> = match &req.env {
        Some(env) => env.clone(),
        None => std::env::vars_os().collect(),
    };
    if let Some(env) = req.env {
        cmd.env_clear().envs(env);
    }
    if let Some(d) = req.dir {
        cmd.current_dir(d);
    }
    let task = match Task::new(true) {
        Ok(t) => t,
        Err(e) => return fail(e.win32_code(), FALSE),
    };
    // Inheritance: the inheritable handles' descriptors stay open across exec (close-on-exec
    // is cleared in the child only) and their table goes in the environment.
    let mut prepared = if inherit {
        inherit::prepare()
    } else {
        inherit::Prepared::default()
    };
    // Kept until the child has exited (see the reaper below), not dropped with `prepared`.
    let keep_alive = std::mem::take(&mut prepared.keep_alive);
    // And by a keeper process from the child's exec until it has adopted them, which outlives
    // this process (see `inherit::start_keeper`).
    let keeper = if keep_alive.is_empty() {
        None
    } else {
        pipe().ok()
    };
    let (kr, kw) = keeper
        .as_ref()
        .map_or((-1, -1), |(r, w)| (r.as_raw_fd(), w.as_raw_fd()));
    child_env.retain(|(k, _)| k != inherit::KEEPER_ENV);
    if kw >= 0 {
        cmd.env(inherit::KEEPER_ENV, kw.to_string());
        child_env.push((inherit::KEEPER_ENV.into(), kw.to_string().into()));
    } else {
        cmd.env_remove(inherit::KEEPER_ENV);
    }
    child_env.retain(|(k, _)| k != inherit::ENV);
    if prepared.env.is_empty() {
        cmd.env_remove(inherit::ENV);
    } else {
        cmd.env(inherit::ENV, &prepared.env);
        child_env.push((inherit::ENV.into(), prepared.env.clone().into()));
    }
    let keep = prepared.raw_fds();
    let pid_slots = prepared.pid_slots.clone();
    // The child's inbox for DuplicateHandle (see xproc): bound and listening from before its
    // exec, so that it can receive handles as soon as CreateProcess returns.
    let inbox = crate::runtime::xproc::socket();
    let inbox_fd = inbox.as_ref().map_or(-1, |f| f.as_raw_fd());
    child_env.retain(|(k, _)| k != crate::runtime::xproc::ENV);
    if inbox_fd >= 0 {
        cmd.env(crate::runtime::xproc::ENV, inbox_fd.to_string());
        child_env.push((
            crate::runtime::xproc::ENV.into(),
            inbox_fd.to_string().into(),
        ));
    } else {
        cmd.env_remove(crate::runtime::xproc::ENV);
    }
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    // A suspended start: the child reports its pid, then waits before its exec until
    // ResumeThread writes to the gate (or exits if the parent goes away first), and execs
    // itself, so that std's spawn (which waits for the exec) runs on a helper thread.
    let pid = if suspended {
        let (gate_r, gate_w) = match pipe() {
            Ok(p) => p,
            Err(e) => return fail(e, FALSE),
        };
        let (pid_r, pid_w) = match pipe() {
            Ok(p) => p,
            Err(e) => return fail(e, FALSE),
        };
        let mut strings = vec![
            match std::ffi::CString::new(program.as_os_str().as_bytes()) {
                Ok(c) => c,
                Err(_) => return fail(ERROR_INVALID_PARAMETER, FALSE),
            },
        ];
        for a in &req.args {
            match std::ffi::CString::new(a.as_bytes()) {
                Ok(c) => strings.push(c),
                Err(_) => return fail(ERROR_INVALID_PARAMETER, FALSE),
            }
        }
        let nargs = strings.len() - 1;
        for (k, v) in &child_env {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            if let Ok(c) = std::ffi::CString::new(kv) {
                strings.push(c);
            }
        }
        let mut argv: Vec<*const c_char> = strings[1..=nargs].iter().map(|c| c.as_ptr()).collect();
        if argv.is_empty() {
            argv.push(strings[0].as_ptr());
        }
        argv.push(std::ptr::null());
        let mut envp: Vec<*const c_char> =
            strings[nargs + 1..].iter().map(|c| c.as_ptr()).collect();
        envp.push(std::ptr::null());
        let exec = ExecArgs {
            strings,
            argv,
            envp,
        };
        let (gr, pw) = (gate_r.as_raw_fd(), pid_w.as_raw_fd());
        let keep = keep.clone();
        let pid_slots = pid_slots.clone();
        // SAFETY: the hook runs in the forked child before exec and makes only
        // async-signal-safe calls (fcntl, getpid, pwrite, write, read, execve, _exit) on data
        // made before the fork; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                let exec = &exec; // the whole struct (Send), not its fields
                crate::runtime::xproc::bind_in_child(inbox_fd, euid);
                for &fd in &keep {
                    if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                write_pid_slots(&pid_slots);
                let pid = libc::getpid();
                libc::write(pw, (&pid as *const libc::pid_t).cast(), 4);
                loop {
                    let mut b = 0u8;
                    let r = libc::read(gr, (&mut b as *mut u8).cast(), 1);
                    if r == 1 {
                        break;
                    }
                    if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
                    {
                        continue;
                    }
                    // The parent went away without resuming us.
                    libc::_exit(1);
                }
                inherit::start_keeper(kr, kw);
                libc::execve(
                    exec.strings[0].as_ptr(),
                    exec.argv.as_ptr(),
                    exec.envp.as_ptr(),
                );
                // Checked before the start (exec_check); if it fails now anyway, exit as a
                // program that could not run.
                libc::_exit(127);
            })
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let helper = std::thread::Builder::new()
            .name("fmap-spawn".into())
            .spawn(move || {
                let r = cmd.spawn();
                let gate_r = gate_r;
                let pid_w = pid_w;
                drop((gate_r, pid_w));
                match r {
                    Ok(child) => drop(child), // not reaped on drop; the reaper does it
                    Err(e) => {
                        let _ = tx.send(spawn_error(&e));
                    }
                }
            });
        if helper.is_err() {
            return fail(ERROR_NOT_ENOUGH_MEMORY, FALSE);
        }
        let mut buf = [0u8; 4];
        let mut pid_file = std::fs::File::from(pid_r);
        use std::io::Read;
        let forked = pid_file.read_exact(&mut buf);
        // The child has its own copies of the exported descriptors once it has reported its
        // pid: this process's copies (and the holder locks they carry) go now, not when the
        // helper's spawn returns at the child's exec — a child killed while suspended must
        // leave nothing held.
        drop(prepared);
        drop(inbox);
        drop(keeper); // the child has its own ends of the keeper's pipe
        if forked.is_err() {
            return fail(rx.recv().unwrap_or(ERROR_GEN_FAILURE), FALSE);
        }
        *task.suspend.lock().unwrap_or_else(|e| e.into_inner()) =
            (1, Some(std::fs::File::from(gate_w)));
        i32::from_ne_bytes(buf) as u32
    } else {
        {
            {
                // SAFETY: the hook runs in the forked child before exec and only makes
                // async-signal-safe calls (fcntl, getpid, socket calls) on descriptor numbers
                // and values taken before the fork; it allocates nothing.
                unsafe {
                    cmd.pre_exec(move || {
                        crate::runtime::xproc::bind_in_child(inbox_fd, euid);
                        for &fd in &keep {
                            if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                                return Err(std::io::Error::last_os_error());
                            }
                        }
                        write_pid_slots(&pid_slots);
                        inherit::start_keeper(kr, kw);
                        Ok(())
                    })
                };
            }
            let child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => return fail(spawn_error(&e), FALSE),
            };
            drop(prepared); // the child has its copies now
            drop(keeper);
            drop(inbox);
            let pid = child.id();
            drop(child); // not reaped on drop; the reaper below does it
            pid
        }
    };
    task.id.store(pid, SeqCst);
    // Before the reaper exists, which removes the entry when it reaps the child.
    children()
        .get_or_insert_with(Default::default)
        .insert(pid, Arc::downgrade(&task));
    let t2 = task.clone();
    // The memory of inherited sections in System V segments is kept until the child has
    // exited: it has no attachment of its own between its exec and its adoption of them.
    let reaper = std::thread::Builder::new()
        .name(format!("fmap-reaper-{pid}"))
        .spawn(move || {
            reap(&t2, pid);
            drop(keep_alive);
        });
    if reaper.is_err() {
        // Without a reaper the handle could never signal; refuse rather than lie.
        // SAFETY: the child is ours and unreaped.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        return fail(ERROR_NOT_ENOUGH_MEMORY, FALSE);
    }
    let ph = table::opened(Obj::Process(task.clone(), false, PROCESS_ALL_ACCESS), 0);
    let th = table::opened(Obj::Process(task, true, PROCESS_ALL_ACCESS), 0);
    if ph.is_null() || th.is_null() {
        return FALSE;
    }
    if !info.is_null() {
        // SAFETY: the caller passes a writable PROCESS_INFORMATION (checked non-NULL).
        unsafe {
            info.write(ProcessInformation {
                process: ph,
                thread: th,
                process_id: pid,
                thread_id: pid,
            })
        };
    }
    TRUE
}

/// The largest suspend count (`MAXIMUM_SUSPEND_COUNT`).
const MAXIMUM_SUSPEND_COUNT: u32 = 127;

/// `ResumeThread`: on the main-thread handle of a child process, lowers its suspend count and
/// lets it run when the count reaches 0 (a child started with `CREATE_SUSPENDED` then execs
/// its program; one suspended with `SuspendThread` gets `SIGCONT`). Returns the previous count.
/// Threads of this process are never suspended (0). Other handles fail with
/// `ERROR_INVALID_HANDLE` and `(DWORD)-1`.
#[no_mangle]
pub extern "C" fn ResumeThread(h: Handle) -> u32 {
    suspend_resume(h, false)
}

/// `SuspendThread`: on the main-thread handle of a child process, raises its suspend count
/// (at most 127: `ERROR_SIGNAL_REFCOUNT_EXCEEDED`) and stops it with `SIGSTOP` — the whole
/// process, where Windows stops only that thread. Returns the previous count. Threads of this
/// process cannot be suspended (`ERROR_NOT_SUPPORTED`).
#[no_mangle]
pub extern "C" fn SuspendThread(h: Handle) -> u32 {
    suspend_resume(h, true)
}

fn suspend_resume(h: Handle, suspend: bool) -> u32 {
    const FAILED: u32 = u32::MAX;
    if h == table::CURRENT_THREAD {
        return if suspend {
            fail(ERROR_NOT_SUPPORTED, FAILED)
        } else {
            0
        };
    }
    let obj = match table::get(h) {
        Ok(o) => o,
        Err(e) => return fail(e, FAILED),
    };
    let t = match &*obj {
        Obj::Process(t, true, _) => t,
        Obj::Thread(_) if suspend => return fail(ERROR_NOT_SUPPORTED, FAILED),
        Obj::Thread(_) => return 0,
        _ => return fail(ERROR_INVALID_HANDLE, FAILED),
    };
    // The reaper's lock first: while it is held the pid cannot be reaped (and reused).
    let st = t.proc.lock().unwrap_or_else(|e| e.into_inner());
    let mut s = t.suspend.lock().unwrap_or_else(|e| e.into_inner());
    let prev = s.0;
    let pid = t.id.load(SeqCst) as libc::pid_t;
    if suspend {
        if prev >= MAXIMUM_SUSPEND_COUNT {
            return fail(ERROR_SIGNAL_REFCOUNT_EXCEEDED, FAILED);
        }
        s.0 += 1;
        if prev == 0 && s.1.is_none() && !st.0 {
            // SAFETY: the child is not reaped (we hold the reaper's lock), so the pid is ours.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
        }
    } else if prev > 0 {
        s.0 -= 1;
        if s.0 == 0 {
            match s.1.take() {
                Some(mut gate) => {
                    use std::io::Write;
                    let _ = gate.write_all(&[1]);
                }
                None if !st.0 => {
                    // SAFETY: as above.
                    unsafe { libc::kill(pid, libc::SIGCONT) };
                }
                None => {}
            }
        }
    }
    prev
}

fn reap(task: &Task, pid: u32) {
    loop {
        // SAFETY: waitid on our own child with a zeroed siginfo to fill.
        let r = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT)
        };
        if r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    let mut st = task.proc.lock().unwrap_or_else(|e| e.into_inner());
    let mut status = 0;
    // Under the lock of CHILDREN, so that OpenProcess never opens the pid between the reap and
    // the removal of the entry (it could be another process's by then).
    let mut ch = children();
    // SAFETY: reaps our own child (a zombie now); `status` is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
    if let Some(m) = ch.as_mut() {
        m.remove(&pid);
    }
    drop(ch);
    st.0 = true;
    let code = if r < 0 {
        ERROR_GEN_FAILURE
    } else if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status) as u32
    } else if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        match st.1 {
            Some(c) if sig == libc::SIGKILL => c,
            _ => 128 + sig as u32,
        }
    } else {
        ERROR_GEN_FAILURE
    };
    drop(st);
    task.finish(code);
}

/// Parses an environment block (`NAME=value` strings, an empty one ends it).
fn env_block<T: Copy + PartialEq + Default>(
    mut p: *const T,
    to_os: impl Fn(&[T]) -> Result<OsString, u32>,
) -> Result<Vec<(OsString, OsString)>, u32> {
    let mut out = Vec::new();
    loop {
        let mut n = 0;
        // SAFETY: the caller of CreateProcess passes a block of NUL-terminated strings ending
        // with an empty one; we read each string up to its NUL.
        let s = unsafe {
            while *p.add(n) != T::default() {
                n += 1;
            }
            std::slice::from_raw_parts(p, n)
        };
        if n == 0 {
            break;
        }
        let kv = to_os(s)?.into_vec();
        // "=C:=C:\..." entries (leading '=') are Windows drive bookkeeping: skip them.
        if let Some(eq) = kv.iter().skip(1).position(|&b| b == b'=').map(|i| i + 1) {
            out.push((
                OsString::from_vec(kv[..eq].to_vec()),
                OsString::from_vec(kv[eq + 1..].to_vec()),
            ));
        }
        // SAFETY: skip the string and its NUL; the block continues after it.
        p = unsafe { p.add(n + 1) };
    }
    Ok(out)
}

/// An environment as name/value pairs.
type EnvVars = Vec<(OsString, OsString)>;

/// The arguments of a (UTF-16) command line and the environment block of `CreateProcess`
/// (`None`: inherit ours), shared by the A and W entry points.
///
/// # Safety
/// `env` must be NULL or point to an environment block of the kind `flags` says.
unsafe fn args_and_env(
    line: &[u16],
    env: *const c_void,
    flags: u32,
) -> Result<(Vec<OsString>, Option<EnvVars>), u32> {
    let args = split_command_line(line)
        .iter()
        .map(|a| os(a))
        .collect::<Result<Vec<_>, _>>()?;
    let env = if env.is_null() {
        None
    } else if flags & CREATE_UNICODE_ENVIRONMENT != 0 {
        Some(env_block(env as *const u16, os)?)
    } else {
        Some(env_block(env as *const u8, ansi_os)?)
    };
    Ok((args, env))
}

fn ansi_os(b: &[u8]) -> Result<OsString, u32> {
    Ok(OsString::from_vec(b.to_vec()))
}

fn ansi_to_wide(b: &[u8]) -> Vec<u16> {
    String::from_utf8_lossy(b).encode_utf16().collect()
}

/// `CreateProcessA`. Handles are not inherited (`bInheritHandles` is ignored: fmap objects are
/// shared by name), standard input/output/error are, `STARTUPINFO` is not used.
///
/// # Safety
/// Strings NULL or NUL-terminated; `info` NULL or writable; `env` NULL or an environment block.
#[no_mangle]
pub unsafe extern "C" fn CreateProcessA(
    app: *const c_char,
    cmdline: *mut c_char,
    _psa: *const c_void,
    _tsa: *const c_void,
    inherit: i32,
    flags: u32,
    env: *const c_void,
    dir: *const c_char,
    _startup: *const c_void,
    info: *mut ProcessInformation,
) -> i32 {
    // SAFETY: only called when `app` is not NULL, and by the contract a non-NULL `app` is
    // NUL-terminated; the bytes are copied before this function returns.
    let app_b = (!app.is_null()).then(|| unsafe { CStr::from_ptr(app) }.to_bytes().to_vec());
    let line = if cmdline.is_null() {
        app_b.as_deref().map(ansi_to_wide).unwrap_or_default()
    } else {
        // SAFETY: `cmdline` is not NULL here, so NUL-terminated by the contract; the bytes are
        // converted (copied) at once.
        ansi_to_wide(unsafe { CStr::from_ptr(cmdline) }.to_bytes())
    };
    // SAFETY: `env` is NULL or an environment block, per the contract.
    let (args, env) = match unsafe { args_and_env(&line, env, flags) } {
        Ok(r) => r,
        Err(e) => return fail(e, FALSE),
    };
    // SAFETY: only called when `dir` is not NULL; `path_a` needs NULL or a NUL-terminated
    // string, which the contract guarantees.
    let dir = (!dir.is_null()).then(|| unsafe { crate::abi::text::path_a(dir) });
    let dir = match dir.transpose() {
        Ok(d) => d,
        Err(e) => return fail(e, FALSE),
    };
    let app = app_b.map(|b| crate_path(OsString::from_vec(b)));
    spawn(
        Spawn {
            app,
            line,
            args,
            env,
            dir,
        },
        info,
        inherit != 0,
        flags,
    )
}

fn crate_path(s: OsString) -> PathBuf {
    search::slashes(s.as_bytes())
}

/// `CreateProcessW`; see [`CreateProcessA`].
///
/// # Safety
/// Strings NULL or NUL-terminated; `info` NULL or writable; `env` NULL or an environment block.
#[no_mangle]
pub unsafe extern "C" fn CreateProcessW(
    app: *const u16,
    cmdline: *mut u16,
    _psa: *const c_void,
    _tsa: *const c_void,
    inherit: i32,
    flags: u32,
    env: *const c_void,
    dir: *const u16,
    _startup: *const c_void,
    info: *mut ProcessInformation,
) -> i32 {
    // SAFETY: only called when `app` is not NULL; `wide_units` needs a non-NULL,
    // NUL-terminated wide string, which the contract guarantees; the units are copied at once.
    let app_u = (!app.is_null()).then(|| unsafe { wide_units(app) }.to_vec());
    let line = if cmdline.is_null() {
        app_u.clone().unwrap_or_default()
    } else {
        // SAFETY: `cmdline` is not NULL here, so NUL-terminated by the contract; copied at once.
        unsafe { wide_units(cmdline) }.to_vec()
    };
    // SAFETY: `env` is NULL or an environment block, per the contract.
    let (args, env) = match unsafe { args_and_env(&line, env, flags) } {
        Ok(r) => r,
        Err(e) => return fail(e, FALSE),
    };
    // SAFETY: only called when `dir` is not NULL; `path_w` needs NULL or a NUL-terminated wide
    // string, which the contract guarantees.
    let dir = (!dir.is_null()).then(|| unsafe { crate::abi::text::path_w(dir) });
    let dir = match dir.transpose() {
        Ok(d) => d,
        Err(e) => return fail(e, FALSE),
    };
    let app = match app_u.map(|u| os(&u)).transpose() {
        Ok(a) => a.map(crate_path),
        Err(e) => return fail(e, FALSE),
    };
    spawn(
        Spawn {
            app,
            line,
            args,
            env,
            dir,
        },
        info,
        inherit != 0,
        flags,
    )
}

/// In a forked child before `exec`: names this process in the holder slots the parent took for
/// it (`fmap::Exported::pid_slots`), so that the memory of an inherited section can be found
/// through it while it holds the section, also while it is suspended. Async-signal-safe
/// (getpid, pwrite); a failure leaves the slot naming the parent, which openers refuse.
fn write_pid_slots(slots: &[(std::os::fd::RawFd, u64)]) {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u32;
    let bytes = pid.to_le_bytes();
    for &(fd, off) in slots {
        // SAFETY: `fd` is a descriptor inherited from the parent, open in this process;
        // `bytes` is a valid buffer of 4 bytes.
        unsafe { libc::pwrite(fd, bytes.as_ptr().cast(), 4, off as libc::off_t) };
    }
}

#[cfg(test)]
mod tests {
    use super::split_command_line;

    fn split(s: &str) -> Vec<String> {
        let u: Vec<u16> = s.encode_utf16().collect();
        split_command_line(&u)
            .into_iter()
            .map(|a| String::from_utf16(&a).unwrap())
            .collect()
    }

    #[test]
    fn command_lines_split_like_windows() {
        assert_eq!(split(r#"prog a b"#), ["prog", "a", "b"]);
        assert_eq!(
            split(r#""C:\my dir\prog" "x y" z"#),
            [r"C:\my dir\prog", "x y", "z"]
        );
        assert_eq!(split(r#"p a\\\"b "c\\" d"#), ["p", r#"a\"b"#, r"c\", "d"]);
        assert_eq!(split(r#"p a\b\c "#), ["p", r"a\b\c"]);
        assert_eq!(split(r#"p "a""b" c"#), ["p", r#"a"b"#, "c"]);
        assert_eq!(split(r#"p "" x"#), ["p", "", "x"]);
        assert_eq!(split("p\t\tq"), ["p", "q"]);
        assert_eq!(split(""), [""]);
    }
}
