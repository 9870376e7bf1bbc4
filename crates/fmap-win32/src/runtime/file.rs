//! `CreateFileA/W`, `ReadFile`, `WriteFile`, `SetFilePointer(Ex)`, `GetFileSize(Ex)`,
//! `SetEndOfFile`, `FlushFileBuffers`, `DeleteFileA/W`, `GetTempPathA/W`, over [`fmap::File`]
//! (which implements the access, share-mode and creation-disposition rules); the byte I/O, the
//! file pointer and `FILE_FLAG_DELETE_ON_CLOSE` ([`FileObj`]) are this crate's.
//!
//! # Access rights
//!
//! Every file handle carries its own rights (`Obj::File`'s mask: `CreateFile`'s
//! `dwDesiredAccess` with the generic rights mapped, plus `SYNCHRONIZE` and
//! `FILE_READ_ATTRIBUTES`, which `CreateFile` always asks for), and every call checks them
//! as the NT I/O manager does, whatever the descriptor underneath allows: `ReadFile` needs
//! `FILE_READ_DATA`; `WriteFile` and `FlushFileBuffers` `FILE_WRITE_DATA` or
//! `FILE_APPEND_DATA`; `SetEndOfFile` `FILE_WRITE_DATA`; `CreateFileMapping` `FILE_READ_DATA`,
//! plus `FILE_WRITE_DATA` for a writable and `FILE_EXECUTE` for an executable protection.
//! Otherwise `ERROR_ACCESS_DENIED`. A `DuplicateHandle` with a `dwDesiredAccess` gets exactly
//! those rights, which must be a subset of the source handle's (a `GENERIC_READ` file handle
//! cannot be duplicated with `GENERIC_WRITE`, as Windows documents); duplicates share the file
//! object and so the file pointer.

use crate::abi::consts::*;
use crate::abi::error::{fail, set_last_error};
use crate::abi::table::{self, Handle, Obj};
use crate::abi::text::{copy_out, path_a, path_w, put};
use std::ffi::{c_char, c_void};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

/// A file opened with `CreateFile`.
#[derive(Debug)]
pub struct FileObj {
    pub file: fmap::File,
    /// `FILE_FLAG_DELETE_ON_CLOSE`: removed when the last handle is closed.
    pub delete_on_close: Option<PathBuf>,
}

impl Drop for FileObj {
    fn drop(&mut self) {
        if let Some(p) = &self.delete_on_close {
            let _ = std::fs::remove_file(p);
        }
    }
}

const INVALID: Handle = table::CURRENT_PROCESS; // INVALID_HANDLE_VALUE

/// `dwDesiredAccess` for a file with the generic rights mapped (Windows' file
/// `GENERIC_MAPPING`); `MAXIMUM_ALLOWED` is everything.
pub fn map_file_access(access: u32) -> u32 {
    let mut a = access & FILE_ALL_ACCESS;
    for (generic, specific) in [
        (GENERIC_READ, FILE_GENERIC_READ),
        (GENERIC_WRITE, FILE_GENERIC_WRITE),
        (GENERIC_EXECUTE, FILE_GENERIC_EXECUTE),
        (GENERIC_ALL | MAXIMUM_ALLOWED, FILE_ALL_ACCESS),
    ] {
        if access & generic != 0 {
            a |= specific;
        }
    }
    a
}

/// The rights of a `DuplicateHandle` of a file handle with rights `source`: the same
/// (`DUPLICATE_SAME_ACCESS`, `None`), or exactly `access`, which must not ask for more than
/// the source has (`ERROR_ACCESS_DENIED`).
pub fn duplicate_rights(source: u32, access: Option<u32>) -> Result<u32, u32> {
    let Some(access) = access else {
        return Ok(source);
    };
    if access & ACCESS_SYSTEM_SECURITY != 0 {
        return Err(ERROR_PRIVILEGE_NOT_HELD);
    }
    if access & MAXIMUM_ALLOWED != 0 {
        return Ok(source);
    }
    let known = FILE_ALL_ACCESS | GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL;
    let want = map_file_access(access);
    if access & !known != 0 || want & !source != 0 {
        return Err(ERROR_ACCESS_DENIED);
    }
    Ok(want)
}

fn create(
    path: Result<PathBuf, u32>,
    access: u32,
    share: u32,
    disposition: u32,
    flags: u32,
) -> Handle {
    let path = match path {
        Ok(p) => p,
        Err(e) => return fail(e, INVALID),
    };
    let disp = match fmap::Disposition::from_win32(disposition) {
        Ok(d) => d,
        Err(e) => return fail(e.win32_code(), INVALID),
    };
    if flags & FILE_FLAG_OVERLAPPED != 0 {
        return fail(ERROR_NOT_SUPPORTED, INVALID);
    }
    match fmap::File::open(&path, access, share, disp) {
        Ok((file, existed)) => {
            let delete_on_close = (flags & FILE_FLAG_DELETE_ON_CLOSE != 0).then(|| path.clone());
            let rights = map_file_access(access) | SYNCHRONIZE | FILE_READ_ATTRIBUTES;
            let obj = Obj::File(
                Arc::new(FileObj {
                    file,
                    delete_on_close,
                }),
                rights,
            );
            match table::insert(obj) {
                // CREATE_ALWAYS and OPEN_ALWAYS report an existing file with
                // ERROR_ALREADY_EXISTS; every other success sets 0.
                Ok(h) => {
                    let report = existed && matches!(disposition, CREATE_ALWAYS | OPEN_ALWAYS);
                    fail(if report { ERROR_ALREADY_EXISTS } else { 0 }, h)
                }
                Err(e) => fail(e, INVALID),
            }
        }
        Err(e) => fail(e.win32_code(), INVALID),
    }
}

/// Returns `INVALID_HANDLE_VALUE` (not NULL) on failure.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn CreateFileA(
    name: *const c_char,
    access: u32,
    share: u32,
    _sa: *const c_void,
    disposition: u32,
    flags: u32,
    _template: Handle,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `path_a` requires.
    create(unsafe { path_a(name) }, access, share, disposition, flags)
}

/// Returns `INVALID_HANDLE_VALUE` (not NULL) on failure.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn CreateFileW(
    name: *const u16,
    access: u32,
    share: u32,
    _sa: *const c_void,
    disposition: u32,
    flags: u32,
    _template: Handle,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `path_w` requires.
    create(unsafe { path_w(name) }, access, share, disposition, flags)
}

fn file_of(h: Handle) -> Result<Arc<FileObj>, u32> {
    file_with(h, 0)
}

/// The file of handle `h`, which must carry one of the rights in `any` (0: none needed).
fn file_with(h: Handle, any: u32) -> Result<Arc<FileObj>, u32> {
    match table::get(h)?.as_ref() {
        Obj::File(f, rights) if any == 0 || rights & any != 0 => Ok(f.clone()),
        Obj::File(..) => Err(ERROR_ACCESS_DENIED),
        _ => Err(ERROR_INVALID_HANDLE),
    }
}

fn io_code(e: std::io::Error) -> u32 {
    match e.raw_os_error() {
        // The descriptor was opened without the access the call needs.
        Some(libc::EBADF) => ERROR_ACCESS_DENIED,
        _ => fmap::Error::os(e, "").win32_code(),
    }
}

/// What `ReadFile` and `WriteFile` do first: clear the byte count, refuse overlapped I/O,
/// resolve the handle, and check the buffer. `Ok(None)`: nothing to transfer (`n == 0`).
///
/// # Safety
/// `count` must be NULL or writable.
unsafe fn start_io(
    h: Handle,
    need: u32,
    buf_is_null: bool,
    n: u32,
    count: *mut u32,
    overlapped: *mut c_void,
) -> Result<Option<Arc<FileObj>>, u32> {
    // SAFETY: `count` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(count, 0) };
    if !overlapped.is_null() {
        return Err(ERROR_NOT_SUPPORTED);
    }
    let f = file_with(h, need)?;
    if n == 0 {
        return Ok(None);
    }
    if buf_is_null {
        return Err(ERROR_INVALID_PARAMETER);
    }
    Ok(Some(f))
}

/// Synchronous reads only (`lpOverlapped` must be NULL). Reads until `n` bytes or the end of
/// the file; at the end it succeeds with 0 bytes.
///
/// # Safety
/// `buf` must hold `n` writable bytes; `read` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ReadFile(
    h: Handle,
    buf: *mut c_void,
    n: u32,
    read: *mut u32,
    overlapped: *mut c_void,
) -> i32 {
    // SAFETY: `read` is NULL or writable (the caller's contract).
    let f = match unsafe { start_io(h, FILE_READ_DATA, buf.is_null(), n, read, overlapped) } {
        Ok(Some(f)) => f,
        Ok(None) => return TRUE,
        Err(e) => return fail(e, FALSE),
    };
    // SAFETY: the caller passes a buffer of `n` writable bytes (non-NULL checked).
    let buf = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), n as usize) };
    let mut done = 0;
    while done < buf.len() {
        match f.file.as_std().read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(k) => done += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                // SAFETY: `read` is NULL or valid for writing (this function's contract); `put`
                // writes only through a non-NULL pointer.
                unsafe { put(read, done as u32) };
                return fail(io_code(e), FALSE);
            }
        }
    }
    // SAFETY: `read` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(read, done as u32) };
    TRUE
}

/// Synchronous writes only (`lpOverlapped` must be NULL).
///
/// # Safety
/// `buf` must hold `n` readable bytes; `written` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn WriteFile(
    h: Handle,
    buf: *const c_void,
    n: u32,
    written: *mut u32,
    overlapped: *mut c_void,
) -> i32 {
    // SAFETY: `written` is NULL or writable (the caller's contract).
    let f = match unsafe {
        start_io(
            h,
            FILE_WRITE_DATA | FILE_APPEND_DATA,
            buf.is_null(),
            n,
            written,
            overlapped,
        )
    } {
        Ok(Some(f)) => f,
        Ok(None) => return TRUE,
        Err(e) => return fail(e, FALSE),
    };
    // SAFETY: the caller passes `n` readable bytes (non-NULL checked).
    let data = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), n as usize) };
    match f.file.as_std().write_all(data) {
        Ok(()) => {
            // SAFETY: `written` is NULL or valid for writing (this function's contract); `put`
            // writes only through a non-NULL pointer.
            unsafe { put(written, n) };
            TRUE
        }
        Err(e) => fail(io_code(e), FALSE),
    }
}

/// Moves the file pointer to `distance` from the start, the current position or the end, and
/// returns the new position. The new position is computed and checked first (negative:
/// `ERROR_NEGATIVE_SEEK`; with `limit`, above it: `ERROR_INVALID_PARAMETER`), so a call that
/// fails leaves the pointer where it was.
fn seek(h: Handle, distance: i64, method: u32, limit: Option<u64>) -> Result<u64, u32> {
    let f = file_of(h)?;
    let mut file = f.file.as_std();
    let from: i64 = match method {
        FILE_BEGIN => 0,
        FILE_CURRENT => file.stream_position().map_err(io_code)? as i64,
        FILE_END => f.file.len().map_err(|e| e.win32_code())? as i64,
        _ => return Err(ERROR_INVALID_PARAMETER),
    };
    // As on Windows, the sum is a LARGE_INTEGER: past 2^63 - 1 it wraps to negative.
    let pos = from.wrapping_add(distance);
    if pos < 0 {
        return Err(ERROR_NEGATIVE_SEEK);
    }
    if limit.is_some_and(|l| pos as u64 > l) {
        return Err(ERROR_INVALID_PARAMETER);
    }
    file.seek(SeekFrom::Start(pos as u64))
        .map_err(|e| match e.raw_os_error() {
            Some(libc::EINVAL) => ERROR_NEGATIVE_SEEK, // past what the file system allows
            _ => io_code(e),
        })
}

/// Returns the low 32 bits of the new position; with `high` non-NULL the distance is 64-bit
/// (`*high` holds its high half in and the new position's out). A successful call whose result
/// is `INVALID_SET_FILE_POINTER` sets the last error to 0, so callers can tell.
///
/// # Safety
/// `high` must be NULL or point to a readable and writable `LONG`.
#[no_mangle]
pub unsafe extern "C" fn SetFilePointer(h: Handle, low: i32, high: *mut i32, method: u32) -> u32 {
    let distance = if high.is_null() {
        i64::from(low)
    } else {
        // SAFETY: non-NULL and readable, per the contract.
        (i64::from(unsafe { *high }) << 32) | i64::from(low as u32)
    };
    // Without `high` the new position must fit in 32 bits (and not be the failure value).
    let limit = high.is_null().then_some(u64::from(u32::MAX) - 1);
    match seek(h, distance, method, limit) {
        Ok(pos) => {
            if !high.is_null() {
                // SAFETY: non-NULL and writable, per the contract.
                unsafe { *high = (pos >> 32) as i32 };
            }
            let low = pos as u32;
            if low == INVALID_SET_FILE_POINTER {
                set_last_error(0);
            }
            low
        }
        Err(e) => fail(e, INVALID_SET_FILE_POINTER),
    }
}

/// `distance` is a `LARGE_INTEGER` passed by value (one 64-bit register).
///
/// # Safety
/// `new_pos` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn SetFilePointerEx(
    h: Handle,
    distance: i64,
    new_pos: *mut i64,
    method: u32,
) -> i32 {
    match seek(h, distance, method, None) {
        Ok(pos) => {
            // SAFETY: `new_pos` is NULL or valid for writing (this function's contract); `put`
            // writes only through a non-NULL pointer.
            unsafe { put(new_pos, pos as i64) };
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}

fn size_of(h: Handle) -> Result<u64, u32> {
    file_of(h)?.file.len().map_err(|e| e.win32_code())
}

/// # Safety
/// `high` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn GetFileSize(h: Handle, high: *mut u32) -> u32 {
    match size_of(h) {
        Ok(s) => {
            // SAFETY: `high` is NULL or valid for writing (this function's contract); `put`
            // writes only through a non-NULL pointer.
            unsafe { put(high, (s >> 32) as u32) };
            if s as u32 == INVALID_FILE_SIZE {
                set_last_error(0);
            }
            s as u32
        }
        Err(e) => fail(e, INVALID_FILE_SIZE),
    }
}

/// # Safety
/// `size` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn GetFileSizeEx(h: Handle, size: *mut i64) -> i32 {
    match size_of(h) {
        Ok(s) => {
            // SAFETY: `size` is NULL or valid for writing (this function's contract); `put`
            // writes only through a non-NULL pointer.
            unsafe { put(size, s as i64) };
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}

/// Cuts or extends the file at the current position (`ERROR_USER_MAPPED_FILE` when cutting a
/// file that has a mapped section).
#[no_mangle]
pub extern "C" fn SetEndOfFile(h: Handle) -> i32 {
    let r = file_with(h, FILE_WRITE_DATA).and_then(|f| {
        let pos = f.file.as_std().stream_position().map_err(io_code)?;
        f.file.set_len(pos).map_err(|e| e.win32_code())
    });
    match r {
        Ok(()) => TRUE,
        Err(e) => fail(e, FALSE),
    }
}

#[no_mangle]
pub extern "C" fn FlushFileBuffers(h: Handle) -> i32 {
    let f = file_with(h, FILE_WRITE_DATA | FILE_APPEND_DATA);
    match f.and_then(|f| f.file.sync().map_err(|e| e.win32_code())) {
        Ok(()) => TRUE,
        Err(e) => fail(e, FALSE),
    }
}

fn delete(path: Result<PathBuf, u32>) -> i32 {
    match path.and_then(|p| fmap::File::delete(p).map_err(|e| e.win32_code())) {
        Ok(()) => TRUE,
        Err(e) => fail(e, FALSE),
    }
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn DeleteFileA(name: *const c_char) -> i32 {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `path_a` requires.
    delete(unsafe { path_a(name) })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn DeleteFileW(name: *const u16) -> i32 {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `path_w` requires.
    delete(unsafe { path_w(name) })
}

/// The temporary directory with a trailing `/`: `$TMP`, `$TEMP`, `$TMPDIR`, else `/tmp/`.
fn temp_path() -> Vec<u8> {
    let mut p = ["TMP", "TEMP", "TMPDIR"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_else(|| b"/tmp".to_vec());
    if p.last() != Some(&b'/') {
        p.push(b'/');
    }
    p
}

/// Returns the length without the NUL, or the size needed (with the NUL) if `buf` is too
/// small.
///
/// # Safety
/// `buf` must hold `n` writable chars (or be NULL with `n` 0).
#[no_mangle]
pub unsafe extern "C" fn GetTempPathA(n: u32, buf: *mut c_char) -> u32 {
    let p: Vec<c_char> = temp_path().into_iter().map(|b| b as c_char).collect();
    // SAFETY: `buf` holds `n` writable elements or is NULL with `n` 0 (this function's
    // contract), as `copy_out` requires.
    unsafe { copy_out(&p, buf, n) }
}

/// # Safety
/// `buf` must hold `n` writable `WCHAR`s (or be NULL with `n` 0).
#[no_mangle]
pub unsafe extern "C" fn GetTempPathW(n: u32, buf: *mut u16) -> u32 {
    let p: Vec<u16> = String::from_utf8_lossy(&temp_path())
        .encode_utf16()
        .collect();
    // SAFETY: `buf` holds `n` writable elements or is NULL with `n` 0 (this function's
    // contract), as `copy_out` requires.
    unsafe { copy_out(&p, buf, n) }
}
