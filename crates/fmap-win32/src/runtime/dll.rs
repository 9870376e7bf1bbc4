//! DLLs: `LoadLibraryA/W`, `GetProcAddress`, `FreeLibrary` over `dlopen`/`dlsym`/`dlclose`, and
//! the two functions behind `FMAP_DLLMAIN` (`FmapModuleFromAddress`, `FmapDllAttachFailed`),
//! which runs a library's `DllMain` from its constructor and destructor.

use crate::abi::consts::*;
use crate::abi::error::{fail, set_last_error};
use crate::abi::text::{ansi_bytes, wide_units};
use std::ffi::{c_char, c_void};
use std::ptr::null_mut;

/// The base address of the module (executable or shared library) containing `addr` — its
/// `HINSTANCE`. Used by `FMAP_DLLMAIN`.
#[no_mangle]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // dladdr looks the address up; it never reads it
pub extern "C" fn FmapModuleFromAddress(addr: *const c_void) -> *mut c_void {
    // SAFETY: dladdr only reads the loader's tables; `info` is a valid out-pointer.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(addr, &mut info) == 0 {
            return null_mut();
        }
        info.dli_fbase
    }
}

/// Called by `FMAP_DLLMAIN` when `DllMain(DLL_PROCESS_ATTACH)` returns FALSE. A constructor
/// cannot make the load fail on Linux, so the library stays loaded; the failure is reported.
#[no_mangle]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // dladdr looks the address up; it never reads it
pub extern "C" fn FmapDllAttachFailed(module: *mut c_void) {
    let mut name = String::from("a library");
    // SAFETY: dladdr only reads the loader's tables; dli_fname is NULL or a C string.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(module, &mut info) != 0 && !info.dli_fname.is_null() {
            name = std::ffi::CStr::from_ptr(info.dli_fname)
                .to_string_lossy()
                .into_owned();
        }
    }
    eprintln!("fmap-win32: DllMain of {name} returned FALSE for DLL_PROCESS_ATTACH");
    set_last_error(ERROR_DLL_INIT_FAILED);
}

fn load(path: &[u8]) -> *mut c_void {
    let mut p: Vec<u8> = path
        .iter()
        .map(|&b| if b == b'\\' { b'/' } else { b })
        .collect();
    // "name.dll" is tried as given, then as "libname.so" next to it, so Windows sources work.
    let mut tries = vec![p.clone()];
    if p.len() > 4 && p[p.len() - 4..].eq_ignore_ascii_case(b".dll") {
        p.truncate(p.len() - 4);
        let (dir, base) = match p.iter().rposition(|&b| b == b'/') {
            Some(i) => (p[..=i].to_vec(), p[i + 1..].to_vec()),
            None => (Vec::new(), p.clone()),
        };
        tries.push([dir, b"lib".to_vec(), base, b".so".to_vec()].concat());
    }
    for t in tries {
        let Ok(c) = std::ffi::CString::new(t) else {
            return fail(ERROR_INVALID_NAME, null_mut());
        };
        // SAFETY: dlopen with a valid C string; running the library's constructors is what
        // loading a DLL means.
        let h = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW) };
        if !h.is_null() {
            return h;
        }
    }
    fail(ERROR_MOD_NOT_FOUND, null_mut())
}

/// `LoadLibraryA`: `dlopen` (which runs `DLL_PROCESS_ATTACH` of a library using
/// `FMAP_DLLMAIN`). A name without a `/` is searched the `dlopen` way (`LD_LIBRARY_PATH`, …).
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn LoadLibraryA(name: *const c_char) -> *mut c_void {
    if name.is_null() {
        return fail(ERROR_INVALID_PARAMETER, null_mut());
    }
    // SAFETY: `name` is not NULL (returned above) and, by this function's contract, a
    // NUL-terminated string: what `ansi_bytes` requires.
    load(unsafe { ansi_bytes(name) })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn LoadLibraryW(name: *const u16) -> *mut c_void {
    if name.is_null() {
        return fail(ERROR_INVALID_PARAMETER, null_mut());
    }
    // SAFETY: `name` is not NULL (returned above) and, by this function's contract, a
    // NUL-terminated wide string: what `wide_units` requires.
    match String::from_utf16(unsafe { wide_units(name) }) {
        Ok(s) => load(s.as_bytes()),
        Err(_) => fail(ERROR_INVALID_NAME, null_mut()),
    }
}

/// # Safety
/// `module` must come from `LoadLibrary`; `name` must be a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn GetProcAddress(module: *mut c_void, name: *const c_char) -> *mut c_void {
    if module.is_null() || name.is_null() {
        return fail(ERROR_INVALID_HANDLE, null_mut());
    }
    // SAFETY: a handle from dlopen and a C string, per the contract.
    let p = unsafe { libc::dlsym(module, name) };
    if p.is_null() {
        return fail(ERROR_PROC_NOT_FOUND, null_mut());
    }
    p
}

/// `FreeLibrary`: `dlclose` (the last one runs `DLL_PROCESS_DETACH`).
///
/// # Safety
/// `module` must come from `LoadLibrary` and not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn FreeLibrary(module: *mut c_void) -> i32 {
    if module.is_null() {
        return fail(ERROR_INVALID_HANDLE, FALSE);
    }
    // SAFETY: a handle from dlopen, per the contract.
    if unsafe { libc::dlclose(module) } != 0 {
        return fail(ERROR_INVALID_HANDLE, FALSE);
    }
    TRUE
}
