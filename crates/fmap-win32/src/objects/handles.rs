//! `CloseHandle` and `DuplicateHandle`: a handle closes by leaving the table
//! ([`crate::abi::table`]); a duplicate of a section or sync object is the library's own
//! ([`fmap::Mapping::duplicate`], [`fmap::Mutex::duplicate`], …), with the access it grants.
//! File, thread and process handles share their object; a file handle's duplicate has exactly
//! the rights asked for, at most the source's ([`crate::runtime::file::duplicate_rights`]).
//! Into another process: [`crate::runtime::xproc`].

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{
    self, get, insert_with, is_pseudo, remove, Handle, Obj, CURRENT_PROCESS, HANDLE_FLAGS,
};
use crate::abi::text::put;
use std::sync::atomic::Ordering::SeqCst;

/// `CloseHandle`. A handle with `HANDLE_FLAG_PROTECT_FROM_CLOSE` stays open and the call fails
/// with `ERROR_INVALID_HANDLE`, as on Windows (where a debugger also sees an exception).
#[no_mangle]
pub extern "C" fn CloseHandle(h: Handle) -> i32 {
    if is_pseudo(h) {
        return TRUE; // closing a pseudo handle does nothing
    }
    match table::flags(h) {
        Ok(f) if f & HANDLE_FLAG_PROTECT_FROM_CLOSE != 0 => {
            return fail(ERROR_INVALID_HANDLE, FALSE)
        }
        Err(e) => return fail(e, FALSE),
        Ok(_) => {}
    }
    match remove(h) {
        Ok(obj) => {
            drop(obj);
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}

/// `GetHandleInformation`: the handle's `HANDLE_FLAG_INHERIT` and
/// `HANDLE_FLAG_PROTECT_FROM_CLOSE` bits. Pseudo handles and invalid values fail with
/// `ERROR_INVALID_HANDLE`; a NULL `flags` with `ERROR_INVALID_PARAMETER` (Windows would fault
/// writing through it).
///
/// # Safety
/// `flags` must be NULL or point to a writable `DWORD`.
#[no_mangle]
pub unsafe extern "C" fn GetHandleInformation(h: Handle, flags: *mut u32) -> i32 {
    let f = match table::flags(h) {
        Ok(f) => f,
        Err(e) => return fail(e, FALSE),
    };
    if flags.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: `flags` is writable (this function's contract) and not NULL.
    unsafe { put(flags, f) };
    TRUE
}

/// `SetHandleInformation`: sets the `HANDLE_FLAG_*` bits in `mask` to those in `flags`.
/// Other bits in `mask` fail with `ERROR_INVALID_PARAMETER`; pseudo handles and invalid values
/// with `ERROR_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn SetHandleInformation(h: Handle, mask: u32, flags: u32) -> i32 {
    if is_pseudo(h) {
        return fail(ERROR_INVALID_HANDLE, FALSE);
    }
    if mask & !HANDLE_FLAGS != 0 {
        // Checked after the handle on Windows too: an invalid handle is ERROR_INVALID_HANDLE.
        if let Err(e) = table::flags(h) {
            return fail(e, FALSE);
        }
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    match table::set_flags(h, mask, flags) {
        Ok(()) => TRUE,
        Err(e) => fail(e, FALSE),
    }
}

/// `DuplicateHandle` within this process, into another one or out of another one
/// ([`crate::runtime::xproc`]): the process arguments are `GetCurrentProcess()` or process
/// handles with `PROCESS_DUP_HANDLE` (else `ERROR_ACCESS_DENIED`; not a process handle:
/// `ERROR_INVALID_HANDLE`). Between two *other* processes is not supported
/// (`ERROR_NOT_SUPPORTED`).
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
    inherit: i32,
    options: u32,
) -> i32 {
    let mut into = None;
    let out_of = match process_of(source_process) {
        Ok(Proc::Current) => None,
        Ok(Proc::Other(p)) => Some(p),
        Err(e) => return fail(e, FALSE),
    };
    match process_of(target_process) {
        Ok(Proc::Current) => {}
        Ok(Proc::Other(p)) => into = Some(p),
        Err(e) => return fail(e, FALSE),
    }
    if let Some(p) = out_of {
        // Out of another process: that process makes the duplicate (see `xproc`).
        let Obj::Process(task, ..) = &*p else {
            return fail(ERROR_INVALID_HANDLE, FALSE);
        };
        if into.is_some() {
            // Between two other processes.
            return fail(ERROR_NOT_SUPPORTED, FALSE);
        }
        let want = !target.is_null() || options & DUPLICATE_CLOSE_SOURCE == 0;
        return match crate::runtime::xproc::fetch(task, source, access, inherit, options, want) {
            Ok(None) => TRUE,
            // SAFETY: `target` is NULL or writable (this function's contract).
            Ok(Some((obj, flags))) => unsafe { enter(obj, flags, target) },
            Err(e) => fail(e, FALSE),
        };
    }
    let dup = match duplicate_local(source, access, options) {
        Ok(d) => d,
        Err(e) => return fail(e, FALSE),
    };
    let close_source = || {
        if options & DUPLICATE_CLOSE_SOURCE != 0 {
            let _ = remove(source);
        }
    };
    if let Some(p) = into {
        let Obj::Process(task, ..) = &*p else {
            return fail(ERROR_INVALID_HANDLE, FALSE);
        };
        let sent = crate::runtime::xproc::send(task, &dup, table::inherit_flags(inherit));
        drop(dup);
        close_source();
        return match sent {
            Ok(h) => {
                // SAFETY: NULL or a writable HANDLE (this function's contract); `put` writes
                // only through a non-NULL pointer.
                unsafe { put(target, h) };
                TRUE
            }
            Err(e) => fail(e, FALSE),
        };
    }
    // SAFETY: `target` is NULL or writable (this function's contract).
    let r = unsafe { enter(dup, table::inherit_flags(inherit), target) };
    // Closed once the new handle exists (or could not be made).
    close_source();
    r
}

/// Enters `obj` in this process's table with `flags` and stores the new handle in `target`;
/// with a NULL `target` the handle is closed again at once (Windows allows that). `TRUE`, or
/// `FALSE` with the last error.
///
/// # Safety
/// `target` must be NULL or point to a writable `HANDLE`.
unsafe fn enter(obj: Obj, flags: u32, target: *mut Handle) -> i32 {
    match insert_with(obj, flags) {
        Ok(h) => {
            if target.is_null() {
                let _ = remove(h);
            } else {
                // SAFETY: not NULL, and writable (this function's contract).
                unsafe { target.write(h) };
            }
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}

/// The duplicate of this process's handle `source` with `access` (or the same access, by
/// `options`), not yet entered anywhere. `DUPLICATE_CLOSE_SOURCE` in `options` closes the
/// source when the duplicate could not be made; on success the caller closes it once the new
/// handle exists. Also what another process's `DuplicateHandle` *out of* this one runs here.
pub(crate) fn duplicate_local(source: Handle, access: u32, options: u32) -> Result<Obj, u32> {
    if is_pseudo(source) {
        return Err(ERROR_NOT_SUPPORTED);
    }
    let obj = get(source)?;
    // DUPLICATE_CLOSE_SOURCE closes the source whatever happens (after the new handle exists).
    let close_source = || {
        if options & DUPLICATE_CLOSE_SOURCE != 0 {
            let _ = remove(source);
        }
    };
    let same = options & DUPLICATE_SAME_ACCESS != 0;
    let dup = match &*obj {
        Obj::Named(o) => o
            .duplicate((!same).then_some(access))
            .map(Obj::Named)
            .map_err(|e| e.win32_code()),
        Obj::File(f, rights) => {
            crate::runtime::file::duplicate_rights(*rights, (!same).then_some(access))
                .map(|r| Obj::File(f.clone(), r))
        }
        Obj::Thread(t) => Ok(Obj::Thread(t.clone())),
        Obj::Snapshot(s) => Ok(Obj::Snapshot(s.clone())),
        Obj::Process(t, main, rights) => {
            let r = if same {
                Ok(*rights)
            } else {
                crate::runtime::process::process_access(t.id.load(SeqCst), access)
            };
            r.map(|r| Obj::Process(t.clone(), *main, r))
        }
    };
    drop(obj);
    if dup.is_err() {
        close_source();
    }
    dup
}

/// A process argument of `DuplicateHandle`.
pub(crate) enum Proc {
    /// `GetCurrentProcess()`, or a handle of this process.
    Current,
    /// Another process's handle (with `PROCESS_DUP_HANDLE`).
    Other(table::ObjRef),
}

/// Resolves a process argument: `ERROR_INVALID_HANDLE` for what is no process handle,
/// `ERROR_ACCESS_DENIED` for a handle without `PROCESS_DUP_HANDLE`.
pub(crate) fn process_of(p: Handle) -> Result<Proc, u32> {
    if p == CURRENT_PROCESS {
        return Ok(Proc::Current);
    }
    let o = get(p)?;
    match &*o {
        Obj::Process(_, false, rights) if rights & PROCESS_DUP_HANDLE == 0 => {
            Err(ERROR_ACCESS_DENIED)
        }
        Obj::Process(t, false, _) if t.id.load(SeqCst) == std::process::id() && !t.ended() => {
            Ok(Proc::Current)
        }
        Obj::Process(_, false, _) => Ok(Proc::Other(o)),
        _ => Err(ERROR_INVALID_HANDLE),
    }
}
