//! The C runtime's process functions (`process.h`): `_spawnv`, `_spawnvp` and `_cwait`
//! (`_spawnl`/`_spawnlp` are `static inline` in `fmap_crt.h` and call these).
//!
//! They are written on `CreateProcessA`, as the MSVC runtime's are: the program is found the way
//! `CreateProcess` finds it (`child.exe` also finds `./child`), the arguments are joined with
//! single spaces without quoting (an argument with a blank arrives as two — as on Windows), and
//! `_P_NOWAIT` returns the process handle, which `_cwait`, `WaitForSingleObject`,
//! `GetExitCodeProcess` and `CloseHandle` accept.

use crate::abi::consts::*;
use crate::abi::error::last_error;
use crate::abi::table::Handle;
use crate::objects::handles::CloseHandle;
use crate::objects::sync::WaitForSingleObject;
use crate::runtime::crt::{set_errno, EINVAL};
use crate::runtime::process::{CreateProcessA, GetExitCodeProcess, ProcessInformation};
use std::ffi::{c_char, c_int, CStr, CString};
use std::ptr::{null, null_mut};

/// `_P_WAIT`: run the program and return its exit code.
pub const P_WAIT: c_int = 0;
/// `_P_NOWAIT`: start it and return its process handle.
pub const P_NOWAIT: c_int = 1;
/// `_P_OVERLAY`: replace the calling process.
pub const P_OVERLAY: c_int = 2;
/// `_P_NOWAITO`: as `_P_NOWAIT`.
pub const P_NOWAITO: c_int = 3;
/// `_P_DETACH`: start it and forget it (returns 0).
pub const P_DETACH: c_int = 4;

/// The `argv` strings (at least one, the first not empty); `None` if there are none.
///
/// # Safety
/// `argv` NULL or a NULL-terminated array of NUL-terminated strings.
unsafe fn args(argv: *const *const c_char) -> Option<Vec<Vec<u8>>> {
    if argv.is_null() {
        return None;
    }
    let mut out = Vec::new();
    // SAFETY: the array is NULL-terminated and holds NUL-terminated strings.
    unsafe {
        let mut p = argv;
        while !(*p).is_null() {
            out.push(CStr::from_ptr(*p).to_bytes().to_vec());
            p = p.add(1);
        }
    }
    (!out.is_empty() && !out[0].is_empty()).then_some(out)
}

/// The `errno` for `CreateProcess`'s last error.
fn errno_of(e: u32) -> c_int {
    match e {
        ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND | ERROR_INVALID_NAME => libc::ENOENT,
        ERROR_ACCESS_DENIED => libc::EACCES,
        ERROR_BAD_EXE_FORMAT => libc::ENOEXEC,
        ERROR_NOT_ENOUGH_MEMORY => libc::ENOMEM,
        _ => EINVAL,
    }
}

/// # Safety
/// `cmd` NUL-terminated; `argv` as in [`args`].
unsafe fn spawn(
    mode: c_int,
    cmd: *const c_char,
    argv: *const *const c_char,
    search: bool,
) -> isize {
    if cmd.is_null() || !(P_WAIT..=P_DETACH).contains(&mode) {
        set_errno(EINVAL);
        return -1;
    }
    // SAFETY: per the contract.
    let Some(argv_v) = (unsafe { args(argv) }) else {
        set_errno(EINVAL);
        return -1;
    };
    // SAFETY: `cmd` is NUL-terminated.
    let cmd_b = unsafe { CStr::from_ptr(cmd) }.to_bytes().to_vec();
    if cmd_b.is_empty() {
        set_errno(EINVAL);
        return -1;
    }
    if mode == P_OVERLAY {
        return overlay(&cmd_b, &argv_v, search);
    }
    // The command line: the arguments joined by spaces, unquoted, as the MSVC runtime does;
    // searching (_spawnvp) needs the program as its first token.
    let by_path = search && !cmd_b.contains(&b'/') && !cmd_b.contains(&b'\\');
    let mut line = Vec::new();
    if by_path {
        line.push(b'"');
        line.extend_from_slice(&cmd_b);
        line.push(b'"');
    } else {
        line.extend_from_slice(&argv_v[0]);
    }
    for a in &argv_v[1..] {
        line.push(b' ');
        line.extend_from_slice(a);
    }
    let Ok(mut line) = CString::new(line).map(CString::into_bytes_with_nul) else {
        set_errno(EINVAL);
        return -1;
    };
    let mut pi = ProcessInformation {
        process: null_mut(),
        thread: null_mut(),
        process_id: 0,
        thread_id: 0,
    };
    // SAFETY: valid strings and a writable PROCESS_INFORMATION; NULL where CreateProcess allows.
    let ok = unsafe {
        CreateProcessA(
            if by_path { null() } else { cmd },
            line.as_mut_ptr().cast(),
            null(),
            null(),
            FALSE,
            0,
            null(),
            null(),
            null(),
            &mut pi,
        )
    };
    if ok == FALSE {
        set_errno(errno_of(last_error()));
        return -1;
    }
    CloseHandle(pi.thread);
    match mode {
        P_WAIT => {
            WaitForSingleObject(pi.process, INFINITE);
            let mut code = 0u32;
            // SAFETY: `code` is writable.
            unsafe { GetExitCodeProcess(pi.process, &mut code) };
            CloseHandle(pi.process);
            code as c_int as isize
        }
        P_DETACH => {
            CloseHandle(pi.process);
            0
        }
        _ => pi.process as isize,
    }
}

/// `_P_OVERLAY`: `execv`/`execvp` (with `.exe` dropped from a name that has it and does not
/// exist); returns -1 with `errno` only if that fails.
fn overlay(cmd: &[u8], argv: &[Vec<u8>], search: bool) -> isize {
    let mut cmd = cmd.to_vec();
    let exists = |c: &[u8]| {
        std::path::Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(c))
            .exists()
    };
    if cmd.ends_with(b".exe") && !exists(&cmd) {
        cmd.truncate(cmd.len() - 4);
    }
    let (Ok(c), Ok(a)) = (
        CString::new(cmd),
        argv.iter()
            .map(|a| CString::new(a.clone()))
            .collect::<Result<Vec<_>, _>>(),
    ) else {
        set_errno(EINVAL);
        return -1;
    };
    let mut ptrs: Vec<*const c_char> = a.iter().map(|s| s.as_ptr()).collect();
    ptrs.push(null());
    // SAFETY: NUL-terminated strings and a NULL-terminated array that outlive the call; on
    // success the process image is replaced.
    unsafe {
        if search {
            libc::execvp(c.as_ptr(), ptrs.as_ptr());
        } else {
            libc::execv(c.as_ptr(), ptrs.as_ptr());
        }
    }
    -1 // errno is exec's
}

/// `_spawnv`: runs `cmd` with the arguments `argv` (`argv[0]` the program's name). `_P_WAIT`:
/// its exit code; `_P_NOWAIT`/`_P_NOWAITO`: its process handle; `_P_DETACH`: 0; `_P_OVERLAY`:
/// does not return. Failure: -1, `errno` `EINVAL` (NULL or empty `cmd`, `argv` or `argv[0]`, bad
/// mode), `ENOENT` (not found), `EACCES`, `ENOEXEC`.
///
/// # Safety
/// `cmd` NULL or NUL-terminated; `argv` NULL or a NULL-terminated array of strings.
#[no_mangle]
pub unsafe extern "C" fn _spawnv(
    mode: c_int,
    cmd: *const c_char,
    argv: *const *const c_char,
) -> isize {
    // SAFETY: same contract.
    unsafe { spawn(mode, cmd, argv, false) }
}

/// `_spawnvp`: `_spawnv`, with a `cmd` without a directory searched as `CreateProcess` searches
/// (the program's directory, the current directory, `$PATH`).
///
/// # Safety
/// As `_spawnv`.
#[no_mangle]
pub unsafe extern "C" fn _spawnvp(
    mode: c_int,
    cmd: *const c_char,
    argv: *const *const c_char,
) -> isize {
    // SAFETY: same contract.
    unsafe { spawn(mode, cmd, argv, true) }
}

/// `_cwait`: waits for the process of `handle` (from `_spawnv(_P_NOWAIT)` or `CreateProcess`),
/// stores its exit code in `*status` (unless NULL), closes the handle and returns it. Not a
/// process handle: -1, `errno` `ECHILD`. `action` is ignored (as on Windows).
///
/// # Safety
/// `status` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn _cwait(status: *mut c_int, handle: isize, _action: c_int) -> isize {
    let h = handle as Handle;
    let mut code = 0u32;
    // The pseudo handle of this process would wait forever.
    let is_process =
        // SAFETY: `code` is writable; an invalid or non-process handle fails.
        h != crate::abi::table::CURRENT_PROCESS && unsafe { GetExitCodeProcess(h, &mut code) } != FALSE;
    if !is_process {
        set_errno(libc::ECHILD);
        return -1;
    }
    if WaitForSingleObject(h, INFINITE) != WAIT_OBJECT_0 {
        set_errno(libc::ECHILD);
        return -1;
    }
    // SAFETY: as above.
    unsafe { GetExitCodeProcess(h, &mut code) };
    if !status.is_null() {
        // SAFETY: `status` is writable.
        unsafe { *status = code as c_int };
    }
    CloseHandle(h);
    handle
}
