//! Files by path and the program's own modules: `MoveFile(Ex)`, `CopyFile`,
//! `GetTempFileName`, `GetFileType`, `GetModuleFileName`, `GetModuleHandle`; and the
//! scheduling knobs programs set and read (`Set/GetThreadPriority`, `Set/GetPriorityClass`,
//! `timeBeginPeriod`/`timeEndPeriod`, `timeGetTime`), which are recorded and reported but do
//! not change Linux scheduling (raising a priority needs privileges a ported program does not
//! have; Linux timers are already fine-grained).
//!
//! Moving or replacing a file asks for delete access the way `DeleteFile` does
//! ([`fmap::File::open`] with `DELETE`, sharing everything), so a file another handle opened
//! without `FILE_SHARE_DELETE` cannot be moved away under it (`ERROR_SHARING_VIOLATION`).

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{self, Handle, Obj};
use crate::abi::text::{copy_out, path_a, path_w};
use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Mutex;

const MOVEFILE_REPLACE_EXISTING: u32 = 0x1;
const MOVEFILE_COPY_ALLOWED: u32 = 0x2;
const MOVEFILE_DELAY_UNTIL_REBOOT: u32 = 0x4;
const MOVEFILE_WRITE_THROUGH: u32 = 0x8;
const ERROR_NOT_SAME_DEVICE: u32 = 17;
const ERROR_DIRECTORY: u32 = 267;
const ERROR_FILE_EXISTS_: u32 = 80;
const FILE_TYPE_UNKNOWN: u32 = 0;
const FILE_TYPE_DISK: u32 = 1;

/// The Win32 code of an I/O error on `path` (`ENOENT` split into file / path not found).
fn io_code(e: &std::io::Error, path: &Path) -> u32 {
    match e.raw_os_error() {
        Some(libc::ENOENT) => {
            let parent_missing = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .is_some_and(|p| !p.is_dir());
            if parent_missing {
                ERROR_PATH_NOT_FOUND
            } else {
                ERROR_FILE_NOT_FOUND
            }
        }
        Some(libc::EEXIST) | Some(libc::ENOTEMPTY) => ERROR_ALREADY_EXISTS,
        Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EISDIR) => ERROR_ACCESS_DENIED,
        Some(libc::EXDEV) => ERROR_NOT_SAME_DEVICE,
        Some(libc::ENOSPC) => ERROR_DISK_FULL,
        Some(libc::ENAMETOOLONG) => ERROR_FILENAME_EXCED_RANGE,
        _ => ERROR_ACCESS_DENIED,
    }
}

/// Delete access to `path` as `DeleteFile` asks for it: fails while another open refuses to
/// share delete. The returned handle keeps the claim until dropped.
fn claim_delete(path: &Path) -> Result<fmap::File, u32> {
    fmap::File::open(
        path,
        DELETE,
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
        fmap::Disposition::OpenExisting,
    )
    .map(|(f, _)| f)
    .map_err(|e| e.win32_code())
}

fn move_file(src: Result<PathBuf, u32>, dst: Result<PathBuf, u32>, flags: u32) -> i32 {
    let (src, dst) = match (src, dst) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => return fail(e, FALSE),
    };
    if flags & MOVEFILE_DELAY_UNTIL_REBOOT != 0 {
        return fail(ERROR_NOT_SUPPORTED, FALSE);
    }
    if flags & !(MOVEFILE_REPLACE_EXISTING | MOVEFILE_COPY_ALLOWED | MOVEFILE_WRITE_THROUGH) != 0 {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    let Ok(meta) = std::fs::symlink_metadata(&src) else {
        return fail(
            io_code(&std::io::Error::from_raw_os_error(libc::ENOENT), &src),
            FALSE,
        );
    };
    // Files must be free to delete; directories are moved as they are.
    let _claim = if meta.is_file() {
        match claim_delete(&src) {
            Ok(c) => Some(c),
            Err(e) => return fail(e, FALSE),
        }
    } else {
        None
    };
    let replace = flags & MOVEFILE_REPLACE_EXISTING != 0;
    let _dst_claim = if replace && dst.is_file() {
        match claim_delete(&dst) {
            Ok(c) => Some(c),
            Err(e) => return fail(e, FALSE),
        }
    } else {
        None
    };
    let r = if replace {
        std::fs::rename(&src, &dst)
    } else {
        rename_noreplace(&src, &dst)
    };
    match r {
        Ok(()) => TRUE,
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) && flags & MOVEFILE_COPY_ALLOWED != 0 => {
            if meta.is_dir() {
                return fail(ERROR_NOT_SAME_DEVICE, FALSE);
            }
            if !replace && dst.exists() {
                return fail(ERROR_ALREADY_EXISTS, FALSE);
            }
            match std::fs::copy(&src, &dst).and_then(|_| std::fs::remove_file(&src)) {
                Ok(()) => TRUE,
                Err(e) => fail(io_code(&e, &dst), FALSE),
            }
        }
        Err(e) => {
            let path = if e.raw_os_error() == Some(libc::ENOENT) && src.exists() {
                &dst
            } else {
                &src
            };
            fail(io_code(&e, path), FALSE)
        }
    }
}

/// `rename` that refuses to replace an existing target (`renameat2(RENAME_NOREPLACE)`).
fn rename_noreplace(src: &Path, dst: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let s = std::ffi::CString::new(src.as_os_str().as_bytes())?;
    let d = std::ffi::CString::new(dst.as_os_str().as_bytes())?;
    // SAFETY: two NUL-terminated paths relative to the current directory.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            s.as_ptr(),
            libc::AT_FDCWD,
            d.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// # Safety
/// Both names must be NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn MoveFileA(src: *const c_char, dst: *const c_char) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { MoveFileExA(src, dst, MOVEFILE_COPY_ALLOWED) }
}

/// # Safety
/// Both names must be NULL or NUL-terminated wide strings.
#[no_mangle]
pub unsafe extern "C" fn MoveFileW(src: *const u16, dst: *const u16) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { MoveFileExW(src, dst, MOVEFILE_COPY_ALLOWED) }
}

/// # Safety
/// Both names must be NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn MoveFileExA(src: *const c_char, dst: *const c_char, flags: u32) -> i32 {
    // SAFETY: forwarded contract.
    move_file(unsafe { path_a(src) }, unsafe { path_a(dst) }, flags)
}

/// # Safety
/// Both names must be NULL or NUL-terminated wide strings.
#[no_mangle]
pub unsafe extern "C" fn MoveFileExW(src: *const u16, dst: *const u16, flags: u32) -> i32 {
    // SAFETY: forwarded contract.
    move_file(unsafe { path_w(src) }, unsafe { path_w(dst) }, flags)
}

fn copy_file(src: Result<PathBuf, u32>, dst: Result<PathBuf, u32>, fail_if_exists: i32) -> i32 {
    let (src, dst) = match (src, dst) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => return fail(e, FALSE),
    };
    if src.is_dir() {
        return fail(ERROR_ACCESS_DENIED, FALSE);
    }
    if !src.exists() {
        return fail(
            io_code(&std::io::Error::from_raw_os_error(libc::ENOENT), &src),
            FALSE,
        );
    }
    if fail_if_exists != 0 && dst.exists() {
        return fail(ERROR_FILE_EXISTS_, FALSE);
    }
    match std::fs::copy(&src, &dst) {
        Ok(_) => TRUE,
        Err(e) => fail(io_code(&e, &dst), FALSE),
    }
}

/// # Safety
/// Both names must be NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn CopyFileA(
    src: *const c_char,
    dst: *const c_char,
    fail_if_exists: i32,
) -> i32 {
    // SAFETY: forwarded contract.
    copy_file(
        unsafe { path_a(src) },
        unsafe { path_a(dst) },
        fail_if_exists,
    )
}

/// # Safety
/// Both names must be NULL or NUL-terminated wide strings.
#[no_mangle]
pub unsafe extern "C" fn CopyFileW(src: *const u16, dst: *const u16, fail_if_exists: i32) -> i32 {
    // SAFETY: forwarded contract.
    copy_file(
        unsafe { path_w(src) },
        unsafe { path_w(dst) },
        fail_if_exists,
    )
}

/// `GetTempFileName`: `<dir>/<up to 3 prefix chars><4 hex digits>.TMP`. With `unique` 0 a new
/// empty file is created under a free number; otherwise the name is only formed.
fn temp_file_name(dir: &Path, prefix: &str, unique: u32) -> Result<(String, u32), u32> {
    if !dir.is_dir() {
        return Err(ERROR_DIRECTORY);
    }
    let pre: String = prefix.chars().take(3).collect();
    let name = |n: u32| dir.join(format!("{pre}{:X}.TMP", n & 0xFFFF));
    if unique != 0 {
        return Ok((name(unique).display().to_string(), unique & 0xFFFF));
    }
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = (std::process::id() ^ NEXT.fetch_add(1, SeqCst).wrapping_mul(0x9E37)) & 0xFFFF;
    for i in 0..0x10000u32 {
        let n = ((seed + i) & 0xFFFF).max(1);
        let p = name(n);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(_) => return Ok((p.display().to_string(), n)),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => continue,
            Err(e) => return Err(io_code(&e, &p)),
        }
    }
    Err(ERROR_FILE_EXISTS_)
}

/// `GetTempFileName` once the arguments are text: forms (or creates) the name and copies it
/// into `out` (`MAX_PATH` elements) in the caller's encoding.
///
/// # Safety
/// `out` must be NULL or hold `MAX_PATH` writable elements.
unsafe fn temp_file_name_out<T: Copy + Default>(
    dir: Result<PathBuf, u32>,
    prefix: Result<PathBuf, u32>,
    unique: u32,
    out: *mut T,
    encode: impl Fn(&str) -> Vec<T>,
) -> u32 {
    if out.is_null() {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    let dir = match dir {
        Ok(d) => d,
        Err(e) => return fail(e, 0),
    };
    let pre = prefix.map(|p| p.display().to_string()).unwrap_or_default();
    match temp_file_name(&dir, &pre, unique) {
        Ok((name, n)) => {
            let units = encode(&name);
            // SAFETY: `out` holds MAX_PATH elements (this function's contract).
            if unsafe { copy_out(&units, out, MAX_PATH as u32) } as usize != units.len() {
                return fail(ERROR_FILENAME_EXCED_RANGE, 0);
            }
            n
        }
        Err(e) => fail(e, 0),
    }
}

/// # Safety
/// `dir` and `prefix` must be NULL or NUL-terminated strings; `out` NULL or `MAX_PATH` bytes.
#[no_mangle]
pub unsafe extern "C" fn GetTempFileNameA(
    dir: *const c_char,
    prefix: *const c_char,
    unique: u32,
    out: *mut c_char,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe {
        temp_file_name_out(path_a(dir), path_a(prefix), unique, out.cast::<u8>(), |s| {
            s.as_bytes().to_vec()
        })
    }
}

/// # Safety
/// As [`GetTempFileNameA`], with wide strings (`out`: `MAX_PATH` units).
#[no_mangle]
pub unsafe extern "C" fn GetTempFileNameW(
    dir: *const u16,
    prefix: *const u16,
    unique: u32,
    out: *mut u16,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe {
        temp_file_name_out(path_w(dir), path_w(prefix), unique, out, |s| {
            s.encode_utf16().collect()
        })
    }
}

/// `GetFileType`: `FILE_TYPE_DISK` for files; `FILE_TYPE_UNKNOWN` (with `NO_ERROR`) for the
/// other object handles; `ERROR_INVALID_HANDLE` for a handle that names nothing.
#[no_mangle]
pub extern "C" fn GetFileType(h: Handle) -> u32 {
    match table::get(h).as_deref() {
        Ok(Obj::File(..)) => FILE_TYPE_DISK,
        Ok(_) => fail(NO_ERROR, FILE_TYPE_UNKNOWN),
        Err(e) => fail(*e, FILE_TYPE_UNKNOWN),
    }
}

/// The file of a module: the program for NULL, else the library `dlopen` loaded.
pub(crate) fn module_path(module: *mut c_void) -> Option<String> {
    if module.is_null() {
        return std::fs::read_link("/proc/self/exe")
            .ok()
            .map(|p| p.display().to_string());
    }
    /// The start of glibc's `struct link_map`.
    #[repr(C)]
    struct LinkMap {
        addr: usize,
        name: *const c_char,
    }
    let mut lm: *mut LinkMap = std::ptr::null_mut();
    // SAFETY: `module` is a dlopen handle (GetModuleHandle/LoadLibrary return nothing else);
    // RTLD_DI_LINKMAP writes one pointer into `lm`.
    let r = unsafe {
        libc::dlinfo(
            module,
            libc::RTLD_DI_LINKMAP,
            (&mut lm as *mut *mut LinkMap).cast(),
        )
    };
    if r != 0 || lm.is_null() {
        return None;
    }
    // SAFETY: glibc's link map stays valid while the module is loaded; `name` is a C string.
    let name = unsafe { std::ffi::CStr::from_ptr((*lm).name) };
    let s = name.to_string_lossy().into_owned();
    if s.is_empty() {
        module_path(std::ptr::null_mut()) // the main program's link map has no name
    } else {
        Some(s)
    }
}

/// The `GetModuleFileName` copy: truncated with a NUL and `ERROR_INSUFFICIENT_BUFFER` when the
/// buffer is too small (returning `size`).
///
/// # Safety
/// `buf` must hold `size` elements.
pub(crate) unsafe fn module_out<T: Copy + Default>(s: &[T], buf: *mut T, size: u32) -> u32 {
    if buf.is_null() || size == 0 {
        return fail(ERROR_INSUFFICIENT_BUFFER, 0);
    }
    let n = s.len().min(size as usize - 1);
    // SAFETY: `buf` holds `size > n` elements (the caller's contract).
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf, n);
        buf.add(n).write(T::default());
    }
    if n < s.len() {
        return fail(ERROR_INSUFFICIENT_BUFFER, size);
    }
    n as u32
}

/// # Safety
/// `module` NULL or a module handle; `buf` NULL or `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn GetModuleFileNameA(
    module: *mut c_void,
    buf: *mut c_char,
    size: u32,
) -> u32 {
    match module_path(module) {
        // SAFETY: forwarded contract.
        Some(p) => unsafe { module_out(p.as_bytes(), buf.cast::<u8>(), size) },
        None => fail(ERROR_MOD_NOT_FOUND, 0),
    }
}

/// # Safety
/// `module` NULL or a module handle; `buf` NULL or `size` writable units.
#[no_mangle]
pub unsafe extern "C" fn GetModuleFileNameW(module: *mut c_void, buf: *mut u16, size: u32) -> u32 {
    match module_path(module) {
        Some(p) => {
            let w: Vec<u16> = p.encode_utf16().collect();
            // SAFETY: forwarded contract.
            unsafe { module_out(&w, buf, size) }
        }
        None => fail(ERROR_MOD_NOT_FOUND, 0),
    }
}

/// `GetModuleHandle`: NULL names the program; a name, a library already loaded (without
/// loading it: `RTLD_NOLOAD`).
fn module_handle(name: Option<PathBuf>) -> *mut c_void {
    use std::os::unix::ffi::OsStrExt;
    let c = match &name {
        None => None,
        Some(n) => match std::ffi::CString::new(n.as_os_str().as_bytes()) {
            Ok(c) => Some(c),
            Err(_) => return fail(ERROR_INVALID_PARAMETER, std::ptr::null_mut()),
        },
    };
    let p = c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: a NULL or NUL-terminated name; RTLD_NOLOAD loads nothing (no constructor runs).
    let h = unsafe { libc::dlopen(p, libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
    if h.is_null() {
        return fail(ERROR_MOD_NOT_FOUND, std::ptr::null_mut());
    }
    // GetModuleHandle does not add a reference: give back the one dlopen took.
    // SAFETY: `h` came from dlopen just above; the module stays loaded by its other users.
    unsafe { libc::dlclose(h) };
    h
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn GetModuleHandleA(name: *const c_char) -> *mut c_void {
    if name.is_null() {
        return module_handle(None);
    }
    // SAFETY: forwarded contract.
    match unsafe { path_a(name) } {
        Ok(p) => module_handle(Some(p)),
        Err(e) => fail(e, std::ptr::null_mut()),
    }
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn GetModuleHandleW(name: *const u16) -> *mut c_void {
    if name.is_null() {
        return module_handle(None);
    }
    // SAFETY: forwarded contract.
    match unsafe { path_w(name) } {
        Ok(p) => module_handle(Some(p)),
        Err(e) => fail(e, std::ptr::null_mut()),
    }
}

// ------------------------------------------------------------------------------------------
// Scheduling knobs
// ------------------------------------------------------------------------------------------

/// Priorities set through handles, by object (recorded, reported back, not applied).
static PRIORITIES: Mutex<Option<HashMap<usize, i32>>> = Mutex::new(None);

/// The key of a thread or process handle, or `None` for anything else.
fn task_key(h: Handle, thread: bool) -> Option<usize> {
    if (thread && h == table::CURRENT_THREAD) || (!thread && h == table::CURRENT_PROCESS) {
        // The calling thread / this process.
        if !thread {
            return Some(0);
        }
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        return Some(tid as usize);
    }
    match table::get(h).as_deref() {
        Ok(Obj::Thread(t)) if thread => Some(std::sync::Arc::as_ptr(t) as usize),
        Ok(Obj::Process(t, true, _)) if thread => Some(std::sync::Arc::as_ptr(t) as usize),
        Ok(Obj::Process(t, false, _)) if !thread => Some(std::sync::Arc::as_ptr(t) as usize | 1),
        _ => None,
    }
}

fn record(key: usize, v: i32) {
    PRIORITIES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(key, v);
}

fn recorded(key: usize) -> Option<i32> {
    PRIORITIES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(&key).copied())
}

#[no_mangle]
pub extern "C" fn SetThreadPriority(h: Handle, priority: i32) -> i32 {
    const BACKGROUND_BEGIN: i32 = 0x10000;
    const BACKGROUND_END: i32 = 0x20000;
    let Some(k) = task_key(h, true) else {
        return fail(ERROR_INVALID_HANDLE, FALSE);
    };
    match priority {
        -15 | -2 | -1 | 0 | 1 | 2 | 15 => {
            record(k, priority);
            TRUE
        }
        BACKGROUND_BEGIN | BACKGROUND_END => TRUE,
        _ => fail(ERROR_INVALID_PARAMETER, FALSE),
    }
}

#[no_mangle]
pub extern "C" fn GetThreadPriority(h: Handle) -> i32 {
    const THREAD_PRIORITY_ERROR_RETURN: i32 = 0x7FFF_FFFF;
    match task_key(h, true) {
        Some(k) => recorded(k).unwrap_or(0),
        None => fail(ERROR_INVALID_HANDLE, THREAD_PRIORITY_ERROR_RETURN),
    }
}

#[no_mangle]
pub extern "C" fn SetPriorityClass(h: Handle, class: u32) -> i32 {
    let Some(k) = task_key(h, false) else {
        return fail(ERROR_INVALID_HANDLE, FALSE);
    };
    match class {
        0x40 | 0x4000 | 0x20 | 0x8000 | 0x80 | 0x100 => {
            record(k, class as i32);
            TRUE
        }
        0x0010_0000 | 0x0020_0000 => TRUE, // PROCESS_MODE_BACKGROUND_BEGIN/END
        _ => fail(ERROR_INVALID_PARAMETER, FALSE),
    }
}

#[no_mangle]
pub extern "C" fn GetPriorityClass(h: Handle) -> u32 {
    match task_key(h, false) {
        Some(k) => recorded(k).map_or(0x20, |v| v as u32), // NORMAL_PRIORITY_CLASS
        None => fail(ERROR_INVALID_HANDLE, 0),
    }
}

/// `timeBeginPeriod`: `TIMERR_NOERROR` for a period of 1 ms or more, `TIMERR_NOCANDO` for 0.
#[no_mangle]
pub extern "C" fn timeBeginPeriod(period: u32) -> u32 {
    if period == 0 {
        97
    } else {
        0
    }
}

/// `timeEndPeriod`: as [`timeBeginPeriod`].
#[no_mangle]
pub extern "C" fn timeEndPeriod(period: u32) -> u32 {
    timeBeginPeriod(period)
}

/// `timeGetTime`: milliseconds since boot, wrapping at 2^32 (as `GetTickCount`).
#[no_mangle]
pub extern "C" fn timeGetTime() -> u32 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live timespec that clock_gettime fills.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000) as u32
}
