//! Small pieces of the Win32 surface ported programs call in passing: `_beginthreadex`,
//! `GetVersionEx`, and mailslots (refused with `ERROR_NOT_SUPPORTED`).

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::runtime::process::{CreateThread, StartRoutine};
use std::ffi::{c_char, c_void};

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

/// Sizes of `OSVERSIONINFOEX{A,W}` (the base struct plus service-pack numbers, suite mask,
/// product type).
const EX_A: u32 = std::mem::size_of::<OsVersionInfoA>() as u32 + 8;
const EX_W: u32 = std::mem::size_of::<OsVersionInfoW>() as u32 + 8;

/// What `GetVersionEx` reports: Windows 10 (10.0, build 19045), `VER_PLATFORM_WIN32_NT` —
/// without a manifest real Windows 10 reports 6.2, which programs treat as "Windows 8 or
/// later"; 10.0 is what manifested programs see and what version checks expect.
const VERSION: (u32, u32, u32) = (10, 0, 19045);

/// # Safety
/// `info` must be NULL or point to a writable `OSVERSIONINFO(EX)A` whose first field holds
/// its size.
#[no_mangle]
pub unsafe extern "C" fn GetVersionExA(info: *mut OsVersionInfoA) -> i32 {
    if info.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: `info` points to a struct whose first field is its size (this function's
    // contract).
    let size = unsafe { (*info).size };
    if size != std::mem::size_of::<OsVersionInfoA>() as u32 && size != EX_A {
        return fail(ERROR_INSUFFICIENT_BUFFER, FALSE);
    }
    // SAFETY: the struct is at least `size_of::<OsVersionInfoA>()` bytes (checked above).
    unsafe {
        (*info).major = VERSION.0;
        (*info).minor = VERSION.1;
        (*info).build = VERSION.2;
        (*info).platform = 2; // VER_PLATFORM_WIN32_NT
        (*info).csd = [0; 128];
        if size == EX_A {
            // wServicePackMajor/Minor, wSuiteMask = 0, wProductType = VER_NT_WORKSTATION
            let tail = (info as *mut u8).add(std::mem::size_of::<OsVersionInfoA>());
            std::ptr::write_bytes(tail, 0, 8);
            tail.add(6).write(1);
        }
    }
    TRUE
}

/// # Safety
/// As [`GetVersionExA`], for `OSVERSIONINFO(EX)W`.
#[no_mangle]
pub unsafe extern "C" fn GetVersionExW(info: *mut OsVersionInfoW) -> i32 {
    if info.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: as in GetVersionExA.
    let size = unsafe { (*info).size };
    if size != std::mem::size_of::<OsVersionInfoW>() as u32 && size != EX_W {
        return fail(ERROR_INSUFFICIENT_BUFFER, FALSE);
    }
    // SAFETY: as in GetVersionExA.
    unsafe {
        (*info).major = VERSION.0;
        (*info).minor = VERSION.1;
        (*info).build = VERSION.2;
        (*info).platform = 2;
        (*info).csd = [0; 128];
        if size == EX_W {
            let tail = (info as *mut u8).add(std::mem::size_of::<OsVersionInfoW>());
            std::ptr::write_bytes(tail, 0, 8);
            tail.add(6).write(1);
        }
    }
    TRUE
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
