//! Small pieces of the Win32 surface ported programs call in passing: `_beginthreadex`,
//! `_endthreadex`, `_beginthread`, `_endthread`, `GetVersionEx`, and mailslots (refused with
//! `ERROR_NOT_SUPPORTED`).

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::runtime::process::{spawn_thread, CreateThread, Entry, ExitThread, StartRoutine};
use std::ffi::{c_char, c_void};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

/// `_beginthreadex`: `CreateThread` with the C runtime's signature; returns the thread handle
/// (0 on failure, with `errno` set as well as the last error).
///
/// # Safety
/// As `CreateThread`: `start` must be a valid routine and `arg` what it expects; `id` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn _beginthreadex(
    security: *mut c_void,
    stack_size: u32,
    start: Option<StartRoutine>,
    arg: *mut c_void,
    flags: u32,
    id: *mut u32,
) -> usize {
    // SAFETY: forwarded contract.
    let h = unsafe { CreateThread(security, stack_size as usize, start, arg, flags, id) };
    if h.is_null() {
        // SAFETY: errno is thread-local and always writable.
        unsafe { *libc::__errno_location() = libc::EINVAL };
    }
    h as usize
}

/// `_endthreadex`: `ExitThread(code)`.
#[no_mangle]
pub extern "C-unwind" fn _endthreadex(code: u32) -> ! {
    ExitThread(code)
}

/// `_endthread`: `ExitThread(0)`.
#[no_mangle]
pub extern "C-unwind" fn _endthread() -> ! {
    ExitThread(0)
}

/// `_beginthread`: starts `start(arg)` (exit code 0) and returns its handle, which the thread
/// closes when it ends, as Microsoft's runtime does (so waiting on it races with that close;
/// use `_beginthreadex` to wait). Failure: `(uintptr_t)-1` with `errno` `EINVAL` (no routine)
/// or `EAGAIN`, and the last error.
///
/// # Safety
/// `start` must be a valid routine for `arg`.
#[no_mangle]
pub unsafe extern "C" fn _beginthread(
    start: Option<unsafe extern "C" fn(*mut c_void)>,
    stack_size: u32,
    arg: *mut c_void,
) -> usize {
    let set_errno = |e| {
        // SAFETY: errno is thread-local and always writable.
        unsafe { *libc::__errno_location() = e };
    };
    let Some(start) = start else {
        set_errno(libc::EINVAL);
        return fail(ERROR_INVALID_PARAMETER, usize::MAX);
    };
    let cell = Arc::new(AtomicUsize::new(0));
    match spawn_thread(stack_size as usize, Entry::Crt(start), arg, Some(cell)) {
        Ok((h, _)) => h as usize,
        Err(code) => {
            set_errno(libc::EAGAIN);
            fail(code, usize::MAX)
        }
    }
}

/// `OSVERSIONINFOA` / `OSVERSIONINFOEXA` (the `Ex` form is recognised by its size).
#[repr(C)]
pub struct OsVersionInfoA {
    size: u32,
    major: u32,
    minor: u32,
    build: u32,
    platform: u32,
    csd: [c_char; 128],
}

/// `OSVERSIONINFOW`.
#[repr(C)]
pub struct OsVersionInfoW {
    size: u32,
    major: u32,
    minor: u32,
    build: u32,
    platform: u32,
    csd: [u16; 128],
}

/// What `GetVersionEx` reports: Windows 10 (10.0, build 19045), `VER_PLATFORM_WIN32_NT` —
/// without a manifest real Windows 10 reports 6.2, which programs treat as "Windows 8 or
/// later"; 10.0 is what manifested programs see and what version checks expect.
const VERSION: (u32, u32, u32) = (10, 0, 19045);

/// Fills an `OSVERSIONINFO(EX)` whose base part (`OSVERSIONINFOA` or `W`) is `base` bytes:
/// the version numbers, an empty service-pack string and, for the `EX` size, zero service-pack
/// numbers and suite mask and `VER_NT_WORKSTATION`.
///
/// # Safety
/// `info` must be NULL or point to a writable struct whose first `u32` is its size.
unsafe fn get_version(info: *mut u32, base: usize) -> i32 {
    if info.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: the first field is the size (this function's contract).
    let size = unsafe { *info } as usize;
    if size != base && size != base + 8 {
        return fail(ERROR_INSUFFICIENT_BUFFER, FALSE);
    }
    let bytes = info.cast::<u8>();
    // SAFETY: the struct has at least `size` writable bytes (its size field says so, and the
    // caller's contract makes it true): the four numbers after the size, the `csd` array up to
    // `base`, and the 8 bytes of the EX tail.
    unsafe {
        for (i, v) in [
            VERSION.0, VERSION.1, VERSION.2, 2, /* VER_PLATFORM_WIN32_NT */
        ]
        .into_iter()
        .enumerate()
        {
            info.add(1 + i).write_unaligned(v);
        }
        std::ptr::write_bytes(bytes.add(20), 0, base - 20);
        if size == base + 8 {
            std::ptr::write_bytes(bytes.add(base), 0, 8);
            bytes.add(base + 6).write(1); // wProductType = VER_NT_WORKSTATION
        }
    }
    TRUE
}

/// # Safety
/// `info` must be NULL or point to a writable `OSVERSIONINFO(EX)A` whose first field holds
/// its size.
#[no_mangle]
pub unsafe extern "C" fn GetVersionExA(info: *mut OsVersionInfoA) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { get_version(info.cast(), std::mem::size_of::<OsVersionInfoA>()) }
}

/// # Safety
/// As [`GetVersionExA`], for `OSVERSIONINFO(EX)W`.
#[no_mangle]
pub unsafe extern "C" fn GetVersionExW(info: *mut OsVersionInfoW) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { get_version(info.cast(), std::mem::size_of::<OsVersionInfoW>()) }
}

/// `CreateMailslotA`: mailslots are not supported (`ERROR_NOT_SUPPORTED`).
#[no_mangle]
pub extern "C" fn CreateMailslotA(
    _name: *const c_char,
    _max_msg: u32,
    _timeout: u32,
    _sa: *const c_void,
) -> isize {
    fail(ERROR_NOT_SUPPORTED, INVALID_HANDLE_VALUE)
}

/// `CreateMailslotW`: as [`CreateMailslotA`].
#[no_mangle]
pub extern "C" fn CreateMailslotW(
    _name: *const u16,
    _max_msg: u32,
    _timeout: u32,
    _sa: *const c_void,
) -> isize {
    fail(ERROR_NOT_SUPPORTED, INVALID_HANDLE_VALUE)
}
