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
use std::ffi::{c_char, c_void, CStr, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
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
        }))
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

struct SendPtr(*mut c_void);
// SAFETY: the parameter is handed to the new thread exactly as CreateThread does on Windows;
// the caller is responsible for what it points to being usable from that thread.
unsafe impl Send for SendPtr {}

/// `CreateThread`. `dwCreationFlags` may be 0 or `STACK_SIZE_PARAM_IS_A_RESERVATION`;
/// `CREATE_SUSPENDED` is not supported (`ERROR_NOT_SUPPORTED`).
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
    let task = match Task::new(false) {
        Ok(t) => t,
        Err(e) => return fail(e.win32_code(), null_mut()),
    };
    let mut builder = std::thread::Builder::new();
    if stack_size != 0 {
        builder = builder.stack_size(stack_size.max(64 * 1024));
    }
    let t2 = task.clone();
    let param = SendPtr(param);
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = builder.spawn(move || {
        let param = param;
        t2.id.store(current_tid(), SeqCst);
        let _ = tx.send(());
        // SAFETY: the caller of CreateThread vouched for the routine and its parameter.
        let code = unsafe { start(param.0) };
        t2.finish(code);
    });
    if let Err(e) = spawned {
        return fail(
            fmap::Error::os(e, "cannot start a thread").win32_code(),
            null_mut(),
        );
    }
    let _ = rx.recv();
    // SAFETY: `thread_id` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(thread_id, task.id.load(SeqCst)) };
    table::opened(Obj::Thread(task), 0)
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
            Ok(Obj::Thread(t)) | Ok(Obj::Process(t, true)) => t.exit_code.load(SeqCst),
            _ => return fail(ERROR_INVALID_HANDLE, FALSE),
        }
    };
    // SAFETY: `code` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(code, c) };
    TRUE
}

/// # Safety
/// `code` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn GetExitCodeProcess(h: Handle, code: *mut u32) -> i32 {
    let c = if h == table::CURRENT_PROCESS {
        STILL_ACTIVE
    } else {
        match table::get(h).as_deref() {
            Ok(Obj::Process(t, false)) => t.exit_code.load(SeqCst),
            _ => return fail(ERROR_INVALID_HANDLE, FALSE),
        }
    };
    // SAFETY: `code` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(code, c) };
    TRUE
}

/// `TerminateProcess`: `SIGKILL`s a child (whose exit code then is `exit_code`); on
/// `GetCurrentProcess()` ends this process at once (no `DLL_PROCESS_DETACH`, as on Windows).
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
    let Obj::Process(t, false) = &*obj else {
        return fail(ERROR_INVALID_HANDLE, FALSE);
    };
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
    if suspended {
        if let Err(e) = exec_check(&program) {
            return fail(e, FALSE);
        }
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
    let prepared = if inherit {
        inherit::prepare()
    } else {
        inherit::Prepared::default()
    };
    child_env.retain(|(k, _)| k != inherit::ENV);
    if prepared.env.is_empty() {
        cmd.env_remove(inherit::ENV);
    } else {
        cmd.env(inherit::ENV, &prepared.env);
        child_env.push((inherit::ENV.into(), prepared.env.clone().into()));
    }
    let keep = prepared.raw_fds();
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
        // SAFETY: the hook runs in the forked child before exec and makes only
        // async-signal-safe calls (fcntl, getpid, write, read, execve, _exit) on data made
        // before the fork; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                let exec = &exec; // the whole struct (Send), not its fields
                for &fd in &keep {
                    if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
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
        if forked.is_err() {
            return fail(rx.recv().unwrap_or(ERROR_GEN_FAILURE), FALSE);
        }
        *task.suspend.lock().unwrap_or_else(|e| e.into_inner()) =
            (1, Some(std::fs::File::from(gate_w)));
        i32::from_ne_bytes(buf) as u32
    } else {
        {
            if !keep.is_empty() {
                // SAFETY: the hook runs in the forked child before exec and only calls fcntl
                // (async-signal-safe) on descriptor numbers taken before the fork.
                unsafe {
                    cmd.pre_exec(move || {
                        for &fd in &keep {
                            if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                                return Err(std::io::Error::last_os_error());
                            }
                        }
                        Ok(())
                    })
                };
            }
            let child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => return fail(spawn_error(&e), FALSE),
            };
            drop(prepared); // the child has its copies now
            let pid = child.id();
            drop(child); // not reaped on drop; the reaper below does it
            pid
        }
    };
    task.id.store(pid, SeqCst);
    let t2 = task.clone();
    let reaper = std::thread::Builder::new()
        .name(format!("fmap-reaper-{pid}"))
        .spawn(move || reap(&t2, pid));
    if reaper.is_err() {
        // Without a reaper the handle could never signal; refuse rather than lie.
        // SAFETY: the child is ours and unreaped.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        return fail(ERROR_NOT_ENOUGH_MEMORY, FALSE);
    }
    let ph = table::opened(Obj::Process(task.clone(), false), 0);
    let th = table::opened(Obj::Process(task, true), 0);
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
        Obj::Process(t, true) => t,
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
    // SAFETY: reaps our own child (a zombie now); `status` is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
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
