//! `CloseHandle` and `DuplicateHandle`: a handle closes by leaving the table
//! ([`crate::abi::table`]); a duplicate of a section or sync object is the library's own
//! ([`fmap::Mapping::duplicate`], [`fmap::Mutex::duplicate`], …), with the access it grants.
//! File, thread and process handles share their object; a file handle's duplicate has exactly
//! the rights asked for, at most the source's ([`crate::runtime::file::duplicate_rights`]).

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{get, insert, is_pseudo, remove, Handle, Obj, CURRENT_PROCESS};

#[no_mangle]
pub extern "C" fn CloseHandle(h: Handle) -> i32 {
    if is_pseudo(h) {
        return TRUE; // closing a pseudo handle does nothing
    }
    match remove(h) {
        Ok(obj) => {
            drop(obj);
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}

/// `DuplicateHandle` within this process (source and target process must be
/// `GetCurrentProcess()`).
///
/// # Safety
/// `target` must be NULL or point to a writable `HANDLE`.
#[no_mangle]
pub unsafe extern "C" fn DuplicateHandle(
    source_process: Handle,
    source: Handle,
    target_process: Handle,
    target: *mut Handle,
    access: u32,
    _inherit: i32,
    options: u32,
) -> i32 {
    for p in [source_process, target_process] {
        if p != CURRENT_PROCESS {
            // A real process handle (ours or a child's): handles cannot be moved between
            // processes on Linux.
            let code = match get(p).as_deref() {
                Ok(Obj::Process(..)) => ERROR_NOT_SUPPORTED,
                _ => ERROR_INVALID_HANDLE,
            };
            return fail(code, FALSE);
        }
    }
    if is_pseudo(source) {
        return fail(ERROR_NOT_SUPPORTED, FALSE);
    }
    let obj = match get(source) {
        Ok(o) => o,
        Err(e) => return fail(e, FALSE),
    };
    // DUPLICATE_CLOSE_SOURCE closes the source whatever happens (after the new handle exists).
    let close_source = || {
        if options & DUPLICATE_CLOSE_SOURCE != 0 {
            let _ = remove(source);
        }
    };
    let same = options & DUPLICATE_SAME_ACCESS != 0;
    let dup = match &*obj {
        Obj::Named(o) => o.duplicate((!same).then_some(access)).map(Obj::Named),
        Obj::File(f, rights) => {
            match crate::runtime::file::duplicate_rights(*rights, (!same).then_some(access)) {
                Ok(r) => Ok(Obj::File(f.clone(), r)),
                Err(e) => {
                    drop(obj);
                    close_source();
                    return fail(e, FALSE);
                }
            }
        }
        Obj::Thread(t) => Ok(Obj::Thread(t.clone())),
        Obj::Process(t, main) => Ok(Obj::Process(t.clone(), *main)),
    };
    drop(obj);
    let dup = match dup {
        Ok(d) => d,
        Err(e) => {
            close_source();
            return fail(e.win32_code(), FALSE);
        }
    };
    let inserted = insert(dup);
    close_source();
    match inserted {
        Ok(h) => {
            if target.is_null() {
                let _ = remove(h);
            } else {
                // SAFETY: the caller passes a writable HANDLE (checked non-NULL above).
                unsafe { target.write(h) };
            }
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}
