//! `CreateFileMapping`, `OpenFileMapping`, `MapViewOfFile(Ex)`, `UnmapViewOfFile`,
//! `FlushViewOfFile`: forwarded to [`fmap::MappingOptions`], [`fmap::Mapping`] and the view
//! registry ([`fmap::View::into_raw`], [`fmap::unmap_view`], [`fmap::flush_view`]).

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{self, Handle, Obj};
use crate::abi::text::{name_a, name_w};
use std::ffi::{c_char, c_void};
use std::ops::Bound;
use std::ptr::null_mut;

fn create(
    file: Handle,
    protect: u32,
    high: u32,
    low: u32,
    name: Result<Option<String>, u32>,
    attrs: crate::objects::sync::Attributes,
) -> Handle {
    let name = match name {
        Ok(n) => n,
        Err(e) => return fail(e, null_mut()),
    };
    let flags = attrs.flags;
    let ns = match attrs.ns {
        Ok(ns) => ns,
        Err(e) => return fail(e, null_mut()),
    };
    // NULL is passed through as "no file" (kernel32 turns only INVALID_HANDLE_VALUE into NULL and
    // hands both to NtCreateSection, for which NULL means a pagefile-backed section).
    let file_obj = if file == table::CURRENT_PROCESS || file.is_null() {
        None
    } else {
        match table::get(file).as_deref() {
            Ok(Obj::File(f, rights)) => {
                // The file handle's own rights, as NtCreateSection checks them (the file's
                // descriptor may allow more: duplicates can have fewer rights).
                if let Ok(p) = fmap::Protection::from_win32(protect & 0x7FF) {
                    let mut need = FILE_READ_DATA;
                    if p.is_writable() {
                        need |= FILE_WRITE_DATA;
                    }
                    if p.is_executable() {
                        need |= FILE_EXECUTE;
                    }
                    if rights & need != need {
                        return fail(ERROR_ACCESS_DENIED, null_mut());
                    }
                }
                Some(f.clone())
            }
            _ => {
                // Windows validates the protection before it looks at the file handle.
                let code = if fmap::Protection::from_win32(protect & 0x7FF).is_err() {
                    ERROR_INVALID_PARAMETER
                } else {
                    ERROR_INVALID_HANDLE
                };
                return fail(code, null_mut());
            }
        }
    };
    let mut opts = fmap::MappingOptions::new()
        .namespace(&ns)
        .flprotect(protect)
        .size((u64::from(high) << 32) | u64::from(low));
    if let Some(f) = &file_obj {
        opts = opts.file(&f.file);
    }
    if let Some(n) = &name {
        opts = opts.name(n);
    }
    match opts.create() {
        Ok(m) => {
            let existed = m.already_existed();
            table::created(Obj::from(m), existed, flags)
        }
        Err(e) => fail(e.win32_code(), null_mut()),
    }
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn CreateFileMappingA(
    file: Handle,
    attributes: *const c_void,
    protect: u32,
    size_high: u32,
    size_low: u32,
    name: *const c_char,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires.
    create(
        file,
        protect,
        size_high,
        size_low,
        unsafe { name_a(name) },
        unsafe { crate::objects::sync::attributes(attributes, false) },
    )
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn CreateFileMappingW(
    file: Handle,
    attributes: *const c_void,
    protect: u32,
    size_high: u32,
    size_low: u32,
    name: *const u16,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `name_w` requires.
    create(
        file,
        protect,
        size_high,
        size_low,
        unsafe { name_w(name) },
        unsafe { crate::objects::sync::attributes(attributes, false) },
    )
}

fn open(access: u32, inherit: i32, name: Result<Option<String>, u32>) -> Handle {
    let name = match name {
        Ok(Some(n)) => n,
        Ok(None) => return fail(ERROR_INVALID_PARAMETER, null_mut()),
        Err(e) => return fail(e, null_mut()),
    };
    match fmap::Mapping::open(&name, fmap::Access::from_bits_retain(access)) {
        Ok(m) => table::opened(Obj::from(m), table::inherit_flags(inherit)),
        Err(e) => fail(e.win32_code(), null_mut()),
    }
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn OpenFileMappingA(
    access: u32,
    inherit: i32,
    name: *const c_char,
) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated string (this function's contract), all that
    // `name_a` requires.
    open(access, inherit, unsafe { name_a(name) })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn OpenFileMappingW(access: u32, inherit: i32, name: *const u16) -> Handle {
    // SAFETY: `name` is NULL or a NUL-terminated wide string (this function's contract), all that
    // `name_w` requires.
    open(access, inherit, unsafe { name_w(name) })
}

#[no_mangle]
pub extern "C" fn MapViewOfFile(
    mapping: Handle,
    access: u32,
    offset_high: u32,
    offset_low: u32,
    bytes: usize,
) -> *mut c_void {
    MapViewOfFileEx(mapping, access, offset_high, offset_low, bytes, null_mut())
}

#[no_mangle]
pub extern "C" fn MapViewOfFileEx(
    mapping: Handle,
    access: u32,
    offset_high: u32,
    offset_low: u32,
    bytes: usize,
    base: *mut c_void,
) -> *mut c_void {
    let obj = match table::get(mapping) {
        Ok(o) => o,
        Err(e) => return fail(e, null_mut()),
    };
    let Obj::Named(fmap::AnyObject::Mapping(m)) = &*obj else {
        return fail(ERROR_INVALID_HANDLE, null_mut());
    };
    let offset = (u64::from(offset_high) << 32) | u64::from(offset_low);
    // `dwNumberOfBytesToMap` 0 maps to the end of the section; an end past 2^64 is past any
    // section's end, which `map_view_at` reports after its other checks, as Windows does.
    let end = match bytes {
        0 => Bound::Unbounded,
        n => Bound::Excluded(offset.saturating_add(n as u64)),
    };
    let access = fmap::Access::from_bits_retain(access);
    match m.map_view_at(access, (Bound::Included(offset), end), base.cast()) {
        Ok(v) => v.into_raw().cast(),
        Err(e) => fail(e.win32_code(), null_mut()),
    }
}

/// # Safety
/// Nothing may touch the view's memory after it is unmapped.
#[no_mangle]
pub unsafe extern "C" fn UnmapViewOfFile(base: *const c_void) -> i32 {
    // SAFETY: the caller gives the view up, as UnmapViewOfFile's contract says.
    match unsafe { fmap::unmap_view(base.cast()) } {
        Ok(()) => TRUE,
        Err(e) => fail(e.win32_code(), FALSE),
    }
}

/// Starts writing the range to the file (without waiting, as on Windows; `FlushFileBuffers`
/// waits).
#[no_mangle]
pub extern "C" fn FlushViewOfFile(base: *const c_void, bytes: usize) -> i32 {
    match fmap::flush_view(base.cast(), (bytes != 0).then_some(bytes), true) {
        Ok(()) => TRUE,
        Err(e) => fail(e.win32_code(), FALSE),
    }
}
