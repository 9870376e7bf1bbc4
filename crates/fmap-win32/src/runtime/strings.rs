//! String functions: `MultiByteToWideChar`, `WideCharToMultiByte` (UTF-8 ⇄ UTF-16),
//! `lstrlenA/W`, and `FmapArgvW`, the UTF-16 `argv` that `tchar.h`'s `main` hands to `wmain`.
//! (The conversion of the A/W arguments of every other function is [`crate::abi::text`].)

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::text::{ansi_bytes, wide_units};
use std::ffi::c_char;
use std::ptr::null_mut;

/// `MultiByteToWideChar` for `CP_UTF8` and `CP_ACP` (both UTF-8 here; flags ignored). `len`
/// -1 means NUL-terminated (the NUL is converted too); `cap` 0 returns the size needed.
///
/// # Safety
/// `src` must hold `len` bytes (or be NUL-terminated); `dst` must hold `cap` `WCHAR`s.
#[no_mangle]
pub unsafe extern "C" fn MultiByteToWideChar(
    code_page: u32,
    _flags: u32,
    src: *const c_char,
    len: i32,
    dst: *mut u16,
    cap: i32,
) -> i32 {
    if !matches!(code_page, CP_ACP | CP_OEMCP | CP_UTF8) {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    if src.is_null() || len == 0 || cap < 0 {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    let bytes = if len < 0 {
        // SAFETY: NUL-terminated, per the contract; include the NUL.
        let b = unsafe { ansi_bytes(src) };
        // SAFETY: the NUL follows the bytes.
        unsafe { std::slice::from_raw_parts(src.cast::<u8>(), b.len() + 1) }
    } else {
        // SAFETY: `len` readable bytes, per the contract.
        unsafe { std::slice::from_raw_parts(src.cast::<u8>(), len as usize) }
    };
    let units: Vec<u16> = String::from_utf8_lossy(bytes).encode_utf16().collect();
    // SAFETY: `dst` holds `cap` elements when `cap` > 0 (this function's contract), as
    // `write_units` requires.
    unsafe { write_units(&units, dst, cap) }
}

/// `WideCharToMultiByte` to UTF-8 (`CP_UTF8`, `CP_ACP`); unpaired surrogates become U+FFFD.
///
/// # Safety
/// `src` must hold `len` `WCHAR`s (or be NUL-terminated); `dst` must hold `cap` bytes.
#[no_mangle]
pub unsafe extern "C" fn WideCharToMultiByte(
    code_page: u32,
    _flags: u32,
    src: *const u16,
    len: i32,
    dst: *mut c_char,
    cap: i32,
    _default_char: *const c_char,
    _used_default: *mut i32,
) -> i32 {
    if !matches!(code_page, CP_ACP | CP_OEMCP | CP_UTF8) {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    if src.is_null() || len == 0 || cap < 0 {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    let units = if len < 0 {
        // SAFETY: NUL-terminated, per the contract; include the NUL.
        let n = unsafe { wide_units(src) }.len();
        // SAFETY: the NUL follows the units.
        unsafe { std::slice::from_raw_parts(src, n + 1) }
    } else {
        // SAFETY: `len` readable units, per the contract.
        unsafe { std::slice::from_raw_parts(src, len as usize) }
    };
    let bytes = String::from_utf16_lossy(units).into_bytes();
    // SAFETY: `dst` holds `cap` elements when `cap` > 0 (this function's contract), as
    // `write_units` requires.
    unsafe { write_units(&bytes, dst.cast::<u8>(), cap) }
}

/// # Safety
/// `dst` must hold `cap` elements when `cap` > 0.
unsafe fn write_units<T: Copy>(v: &[T], dst: *mut T, cap: i32) -> i32 {
    if cap == 0 {
        return v.len() as i32;
    }
    if dst.is_null() || (cap as usize) < v.len() {
        return fail(ERROR_INSUFFICIENT_BUFFER, 0);
    }
    // SAFETY: `dst` holds `cap >= v.len()` elements.
    unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), dst, v.len()) };
    v.len() as i32
}

/// # Safety
/// `s` must be NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn lstrlenA(s: *const c_char) -> i32 {
    if s.is_null() {
        return 0;
    }
    // SAFETY: `s` is not NULL (returned above) and, by this function's contract, a
    // NUL-terminated string: what `ansi_bytes` requires.
    unsafe { ansi_bytes(s) }.len() as i32
}

/// # Safety
/// `s` must be NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn lstrlenW(s: *const u16) -> i32 {
    if s.is_null() {
        return 0;
    }
    // SAFETY: `s` is not NULL (returned above) and, by this function's contract, a
    // NUL-terminated wide string: what `wide_units` requires.
    unsafe { wide_units(s) }.len() as i32
}

/// Converts `argv` to UTF-16 for `wmain` (see tchar.h): returns a NULL-terminated array of
/// NUL-terminated wide strings that lives until the process ends.
///
/// # Safety
/// `argv` must hold `argc` NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn FmapArgvW(argc: i32, argv: *const *const c_char) -> *mut *mut u16 {
    let mut out: Vec<*mut u16> = Vec::with_capacity(argc.max(0) as usize + 1);
    for i in 0..argc.max(0) as usize {
        // SAFETY: `argv` holds `argc` strings, per the contract.
        let b = unsafe { ansi_bytes(*argv.add(i)) };
        let mut w: Vec<u16> = String::from_utf8_lossy(b).encode_utf16().collect();
        w.push(0);
        out.push(Box::leak(w.into_boxed_slice()).as_mut_ptr());
    }
    out.push(null_mut());
    Box::leak(out.into_boxed_slice()).as_mut_ptr()
}
