//! Strings across the ABI: ANSI (`char`, taken as UTF-8) and wide (`WCHAR`, UTF-16) names and
//! paths, and writing results into caller buffers.
//!
//! An object name must be valid text: an ANSI name that is not UTF-8 or a wide name with an
//! unpaired surrogate gives `ERROR_INVALID_NAME` (Windows would store such a name; fmap names are
//! Rust strings). File paths are bytes on Linux: ANSI paths pass through unchanged, wide ones are
//! converted from UTF-16; in both, a backslash is a directory separator, as in Windows paths.

use crate::abi::consts::*;
use std::ffi::{c_char, CStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

/// The UTF-16 code units of a NUL-terminated wide string.
///
/// # Safety
/// `p` must be non-NULL and point to a NUL-terminated `WCHAR` string.
pub unsafe fn wide_units<'a>(p: *const u16) -> &'a [u16] {
    let mut n = 0;
    // SAFETY: the caller guarantees a NUL-terminated string: every unit up to and including the
    // NUL is readable.
    unsafe {
        while *p.add(n) != 0 {
            n += 1;
        }
        std::slice::from_raw_parts(p, n)
    }
}

/// The bytes of a NUL-terminated ANSI string.
///
/// # Safety
/// `p` must be non-NULL and point to a NUL-terminated string.
pub unsafe fn ansi_bytes<'a>(p: *const c_char) -> &'a [u8] {
    // SAFETY: the caller guarantees a NUL-terminated string.
    unsafe { CStr::from_ptr(p) }.to_bytes()
}

/// An object name from an ANSI argument: `Ok(None)` for NULL.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string.
pub unsafe fn name_a(p: *const c_char) -> Result<Option<String>, u32> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: `p` is not NULL (returned above) and, by this function's contract, a
    // NUL-terminated string: what `ansi_bytes` requires.
    let bytes = unsafe { ansi_bytes(p) };
    std::str::from_utf8(bytes)
        .map(|s| Some(s.to_owned()))
        .map_err(|_| ERROR_INVALID_NAME)
}

/// An object name from a wide argument: `Ok(None)` for NULL.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated wide string.
pub unsafe fn name_w(p: *const u16) -> Result<Option<String>, u32> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: `p` is not NULL (returned above) and, by this function's contract, a
    // NUL-terminated wide string: what `wide_units` requires.
    let units = unsafe { wide_units(p) };
    String::from_utf16(units)
        .map(Some)
        .map_err(|_| ERROR_INVALID_NAME)
}

fn windows_path(mut bytes: Vec<u8>) -> PathBuf {
    for b in &mut bytes {
        if *b == b'\\' {
            *b = b'/';
        }
    }
    PathBuf::from(OsString::from_vec(bytes))
}

/// A file path from an ANSI argument; NULL or empty is `ERROR_PATH_NOT_FOUND`.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string.
pub unsafe fn path_a(p: *const c_char) -> Result<PathBuf, u32> {
    if p.is_null() {
        return Err(ERROR_PATH_NOT_FOUND);
    }
    // SAFETY: `p` is not NULL (returned above) and, by this function's contract, a
    // NUL-terminated string: what `ansi_bytes` requires.
    let bytes = unsafe { ansi_bytes(p) };
    if bytes.is_empty() {
        return Err(ERROR_PATH_NOT_FOUND);
    }
    Ok(windows_path(bytes.to_vec()))
}

/// A file path from a wide argument; NULL or empty is `ERROR_PATH_NOT_FOUND`.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated wide string.
pub unsafe fn path_w(p: *const u16) -> Result<PathBuf, u32> {
    if p.is_null() {
        return Err(ERROR_PATH_NOT_FOUND);
    }
    // SAFETY: `p` is not NULL (returned above) and, by this function's contract, a
    // NUL-terminated wide string: what `wide_units` requires.
    let units = unsafe { wide_units(p) };
    if units.is_empty() {
        return Err(ERROR_PATH_NOT_FOUND);
    }
    let s = String::from_utf16(units).map_err(|_| ERROR_INVALID_NAME)?;
    Ok(windows_path(s.into_bytes()))
}

/// Copies `s` plus a NUL into a caller buffer of `cap` elements, the `GetTempPath` way: returns
/// the length without the NUL, or — if it does not fit — the size needed including the NUL
/// (and writes nothing).
///
/// # Safety
/// `buf` must be NULL (then `cap` must be 0) or point to `cap` writable elements.
pub unsafe fn copy_out<T: Copy + Default>(s: &[T], buf: *mut T, cap: u32) -> u32 {
    let need = s.len() + 1;
    if buf.is_null() || (cap as usize) < need {
        return need as u32;
    }
    // SAFETY: the buffer holds `cap >= need` elements.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf, s.len());
        buf.add(s.len()).write(T::default());
    }
    s.len() as u32
}

/// Writes `v` through an optional out-pointer.
///
/// # Safety
/// `p` must be NULL or valid for writing a `T`.
pub unsafe fn put<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-NULL, and the caller guarantees it is writable.
        unsafe { p.write(v) }
    }
}
