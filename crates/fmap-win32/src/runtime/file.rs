//! `CreateFileA/W`, `ReadFile`, `WriteFile`, `SetFilePointer(Ex)`, `GetFileSize(Ex)`,
//! `SetEndOfFile`, `FlushFileBuffers`, `GetOverlappedResult`, `DeleteFileA/W`, `GetTempPathA/W`,
//! over [`fmap::File`]
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
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

/// A file opened with `CreateFile`.
#[derive(Debug)]
pub struct FileObj {
    pub file: fmap::File,
    /// `FILE_FLAG_DELETE_ON_CLOSE`: removed when the last handle is closed.
    pub delete_on_close: Option<PathBuf>,
    /// `FILE_FLAG_OVERLAPPED`: reads and writes need an `OVERLAPPED` (and its offset); the
    /// file pointer does not move.
    pub overlapped: bool,
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
    handle_flags: u32,
) -> Handle {
    let path = match path {
        Ok(p) => p,
        Err(e) => return fail(e, INVALID),
    };
    if is_device_namespace(&path) {
        // `\\.\mailslot\…`, `\\.\pipe\…` and other device names: no such devices here.
        return fail(ERROR_NOT_SUPPORTED, INVALID);
    }
    let disp = match fmap::Disposition::from_win32(disposition) {
        Ok(d) => d,
        Err(e) => return fail(e.win32_code(), INVALID),
    };
    match fmap::File::open(&path, access, share, disp) {
        Ok((file, existed)) => {
            let delete_on_close = (flags & FILE_FLAG_DELETE_ON_CLOSE != 0).then(|| path.clone());
            let rights = map_file_access(access) | SYNCHRONIZE | FILE_READ_ATTRIBUTES;
            let obj = Obj::File(
                Arc::new(FileObj {
                    file,
                    delete_on_close,
                    overlapped: flags & FILE_FLAG_OVERLAPPED != 0,
                }),
                rights,
            );
            match table::insert_with(obj, handle_flags) {
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

/// A Win32 device-namespace name, `\\.\…` (which arrives here as `//./…` once backslashes are
/// converted): mailslots, named pipes and devices, which fmap-win32 does not have.
fn is_device_namespace(p: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let b = p.as_os_str().as_bytes();
    b.starts_with(b"//./") || b.starts_with(b"\\\\.\\")
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
    sa: *const c_void,
    disposition: u32,
    flags: u32,
    _template: Handle,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `path_a` requires.
    create(
        unsafe { path_a(name) },
        access,
        share,
        disposition,
        flags,
        unsafe { table::sa_flags(sa) },
    )
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
    sa: *const c_void,
    disposition: u32,
    flags: u32,
    _template: Handle,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `path_w` requires.
    create(
        unsafe { path_w(name) },
        access,
        share,
        disposition,
        flags,
        unsafe { table::sa_flags(sa) },
    )
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

/// `OVERLAPPED`.
#[repr(C)]
#[derive(Debug)]
pub struct Overlapped {
    /// The NTSTATUS of the operation (`STATUS_PENDING` while it runs).
    pub internal: usize,
    /// The bytes transferred.
    pub internal_high: usize,
    pub offset: u32,
    pub offset_high: u32,
    /// An event set when the operation completes (NULL: none); bit 0 is a flag for I/O
    /// completion ports, not part of the handle.
    pub event: Handle,
}

pub const STATUS_SUCCESS: u32 = 0;
pub const STATUS_END_OF_FILE: u32 = 0xC000_0011;
const STATUS_UNSUCCESSFUL: u32 = 0xC000_0001;
const STATUS_INVALID_PARAMETER: u32 = 0xC000_000D;
const STATUS_ACCESS_DENIED: u32 = 0xC000_0022;
const STATUS_DISK_FULL: u32 = 0xC000_007F;

/// The NTSTATUS an I/O error is recorded as in `OVERLAPPED.Internal`, and back
/// (`RtlNtStatusToDosError`), for the errors file I/O here can end with.
const STATUS_OF: &[(u32, u32)] = &[
    (ERROR_HANDLE_EOF, STATUS_END_OF_FILE),
    (ERROR_ACCESS_DENIED, STATUS_ACCESS_DENIED),
    (ERROR_INVALID_PARAMETER, STATUS_INVALID_PARAMETER),
    (ERROR_DISK_FULL, STATUS_DISK_FULL),
    (ERROR_GEN_FAILURE, STATUS_UNSUCCESSFUL),
];

fn status_of(code: u32) -> u32 {
    STATUS_OF
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(STATUS_UNSUCCESSFUL, |(_, s)| *s)
}

fn error_of(status: u32) -> u32 {
    STATUS_OF
        .iter()
        .find(|(_, s)| *s == status)
        .map_or(ERROR_GEN_FAILURE, |(c, _)| *c)
}

/// The event of an `OVERLAPPED` (bit 0 masked off), if any: it must be an event handle.
fn overlapped_event(h: Handle) -> Result<Option<table::ObjRef>, u32> {
    let h = (h as usize & !1) as Handle;
    if h.is_null() {
        return Ok(None);
    }
    let obj = table::get(h)?;
    match &*obj {
        Obj::Named(fmap::AnyObject::Event(_)) => Ok(Some(obj)),
        _ => Err(ERROR_INVALID_HANDLE),
    }
}

fn set_event(e: &Option<table::ObjRef>, set: bool) -> Result<(), u32> {
    if let Some(o) = e {
        if let Obj::Named(fmap::AnyObject::Event(ev)) = &**o {
            let r = if set { ev.set() } else { ev.reset() };
            r.map_err(|e| e.win32_code())?;
        }
    }
    Ok(())
}

/// `ReadFile` and `WriteFile`. With an `OVERLAPPED` the transfer starts at its offset (for
/// `WriteFile`, `0xFFFFFFFF:0xFFFFFFFF` is the end of the file) and completes before the call
/// returns, also on a `FILE_FLAG_OVERLAPPED` handle: `Internal` gets the NTSTATUS,
/// `InternalHigh` the byte count, the event (reset first) is set, and a synchronous handle's
/// file pointer moves past the bytes transferred (if the transfer succeeded). A read at or past the end of the file then
/// fails with `ERROR_HANDLE_EOF` (`STATUS_END_OF_FILE`). Failures found before the transfer
/// (handle, rights, event, buffer) leave `Internal` at `STATUS_PENDING`, as on Windows.
/// Without an `OVERLAPPED` a `FILE_FLAG_OVERLAPPED` handle is `ERROR_INVALID_PARAMETER`.
///
/// # Safety
/// `buf` must hold `n` bytes (writable for reads); `count` NULL or writable; `ov` NULL or a
/// readable and writable `OVERLAPPED`.
unsafe fn transfer(
    h: Handle,
    buf: *mut u8,
    n: u32,
    count: *mut u32,
    ov: *mut Overlapped,
    write: bool,
) -> i32 {
    // SAFETY: `count` is NULL or writable (this function's contract); `put` writes only
    // through a non-NULL pointer.
    unsafe { put(count, 0) };
    // SAFETY: `ov` is NULL or a readable and writable OVERLAPPED (this function's contract).
    let mut ov = unsafe { ov.as_mut() };
    let mut offset = None;
    let mut event = Ok(None);
    if let Some(o) = ov.as_deref_mut() {
        o.internal = STATUS_PENDING as usize;
        offset = Some(u64::from(o.offset_high) << 32 | u64::from(o.offset));
        event = overlapped_event(o.event);
    }
    let need = if write {
        FILE_WRITE_DATA | FILE_APPEND_DATA
    } else {
        FILE_READ_DATA
    };
    let f = match file_with(h, need) {
        Ok(f) => f,
        Err(e) => return fail(e, FALSE),
    };
    if f.overlapped && ov.is_none() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    let event = match event {
        Ok(e) => e,
        Err(e) => return fail(e, FALSE),
    };
    if n > 0 && buf.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    if let Err(e) = set_event(&event, false) {
        return fail(e, FALSE);
    }
    let file = f.file.as_std();
    let result = match offset {
        None if n == 0 => Ok(0),
        None => {
            if write {
                // SAFETY: the caller passes `n` readable bytes (non-NULL checked).
                let data = unsafe { std::slice::from_raw_parts(buf, n as usize) };
                (&*file)
                    .write_all(data)
                    .map(|()| data.len())
                    .map_err(io_code)
            } else {
                // SAFETY: the caller passes `n` writable bytes (non-NULL checked).
                let data = unsafe { std::slice::from_raw_parts_mut(buf, n as usize) };
                read_fully(data, |b, _| (&*file).read(b))
            }
        }
        Some(at) => {
            let at = if write && at == u64::MAX {
                match f.file.len() {
                    Ok(len) => len,
                    Err(e) => return fail(e.win32_code(), FALSE),
                }
            } else {
                at
            };
            let r = if n == 0 {
                Ok(0)
            } else if write {
                // SAFETY: as above.
                let data = unsafe { std::slice::from_raw_parts(buf, n as usize) };
                file.write_all_at(data, at)
                    .map(|()| data.len())
                    .map_err(io_code)
            } else {
                // SAFETY: as above.
                let data = unsafe { std::slice::from_raw_parts_mut(buf, n as usize) };
                match read_fully(data, |b, done| file.read_at(b, at + done as u64)) {
                    Ok(0) => Err(ERROR_HANDLE_EOF),
                    r => r,
                }
            };
            if let (false, Ok(done)) = (f.overlapped, &r) {
                // A synchronous handle's file pointer follows a transfer that succeeded.
                let _ = (&*file).seek(SeekFrom::Start(at.saturating_add(*done as u64)));
            }
            r
        }
    };
    let (status, done) = match &result {
        Ok(k) => (STATUS_SUCCESS, *k),
        Err(e) => (status_of(*e), 0),
    };
    if let Some(o) = ov {
        o.internal = status as usize;
        o.internal_high = done;
    }
    let _ = set_event(&event, true);
    match result {
        Ok(k) => {
            // SAFETY: `count` is NULL or writable (this function's contract).
            unsafe { put(count, k as u32) };
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}

/// Reads into `buf` until it is full or `read` reports the end (0); retries interrupted reads.
/// `read` gets the rest of the buffer and the bytes read so far.
fn read_fully(
    buf: &mut [u8],
    mut read: impl FnMut(&mut [u8], usize) -> std::io::Result<usize>,
) -> Result<usize, u32> {
    let mut done = 0;
    while done < buf.len() {
        match read(&mut buf[done..], done) {
            Ok(0) => break,
            Ok(k) => done += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_code(e)),
        }
    }
    Ok(done)
}

/// Reads until `n` bytes or the end of the file; without an `OVERLAPPED` it succeeds with 0
/// bytes at the end. See `transfer` for `lpOverlapped`.
///
/// # Safety
/// `buf` must hold `n` writable bytes; `read` NULL or writable; `overlapped` NULL or a readable
/// and writable `OVERLAPPED`.
#[no_mangle]
pub unsafe extern "C" fn ReadFile(
    h: Handle,
    buf: *mut c_void,
    n: u32,
    read: *mut u32,
    overlapped: *mut Overlapped,
) -> i32 {
    // SAFETY: the caller's contract is `transfer`'s.
    unsafe { transfer(h, buf.cast(), n, read, overlapped, false) }
}

/// Writes `n` bytes. See `transfer` for `lpOverlapped`.
///
/// # Safety
/// `buf` must hold `n` readable bytes; `written` NULL or writable; `overlapped` NULL or a
/// readable and writable `OVERLAPPED`.
#[no_mangle]
pub unsafe extern "C" fn WriteFile(
    h: Handle,
    buf: *const c_void,
    n: u32,
    written: *mut u32,
    overlapped: *mut Overlapped,
) -> i32 {
    // SAFETY: the caller's contract is `transfer`'s; `transfer` only reads a write's buffer.
    unsafe { transfer(h, buf.cast_mut().cast(), n, written, overlapped, true) }
}

/// `GetOverlappedResult`: the outcome of an operation started with `ov`. Operations here
/// complete before `ReadFile`/`WriteFile` return, so `Internal` is only `STATUS_PENDING` after
/// one that failed before it started (or one the caller marked so): then `bWait` FALSE is
/// `ERROR_IO_INCOMPLETE`, and `bWait` TRUE waits for the `OVERLAPPED`'s event (without an
/// event: `ERROR_IO_INCOMPLETE`, since file handles are not waitable here). The file handle is
/// not looked at (as on Windows).
///
/// # Safety
/// `ov` must be NULL or a readable `OVERLAPPED`; `transferred` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn GetOverlappedResult(
    _h: Handle,
    ov: *const Overlapped,
    transferred: *mut u32,
    wait: i32,
) -> i32 {
    // SAFETY: `ov` is NULL or a readable OVERLAPPED (this function's contract); it is read
    // through volatile loads because another thread may complete it.
    let Some(o) = (unsafe { ov.as_ref() }) else {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    };
    let internal = || {
        // SAFETY: `o` is a valid reference to a readable OVERLAPPED.
        unsafe { std::ptr::read_volatile(&o.internal) as u32 }
    };
    let mut status = internal();
    if status == STATUS_PENDING {
        if wait == 0 {
            return fail(ERROR_IO_INCOMPLETE, FALSE);
        }
        let event = match overlapped_event(o.event) {
            Ok(Some(e)) => e,
            Ok(None) => return fail(ERROR_IO_INCOMPLETE, FALSE),
            Err(e) => return fail(e, FALSE),
        };
        if let Obj::Named(fmap::AnyObject::Event(ev)) = &*event {
            if let Err(e) = fmap::wait_one(ev, None) {
                return fail(e.win32_code(), FALSE);
            }
        }
        status = internal();
        if status == STATUS_PENDING {
            status = STATUS_SUCCESS;
        }
    }
    // SAFETY: as above.
    let high = unsafe { std::ptr::read_volatile(&o.internal_high) };
    // SAFETY: `transferred` is NULL or writable (this function's contract).
    unsafe { put(transferred, high as u32) };
    if status != STATUS_SUCCESS {
        return fail(error_of(status), FALSE);
    }
    TRUE
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
