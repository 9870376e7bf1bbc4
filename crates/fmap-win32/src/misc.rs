//! Time, system information, console input, DLL support and text conversion.

use crate::consts::*;
use crate::handles::fail;
use crate::text::{ansi_bytes, wide_units};
use std::ffi::{c_char, c_void};
use std::ptr::null_mut;
use std::time::Duration;

#[no_mangle]
pub extern "C" fn Sleep(ms: u32) {
    if ms == INFINITE {
        loop {
            std::thread::park();
        }
    }
    std::thread::sleep(Duration::from_millis(u64::from(ms)));
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; the clocks used always exist on Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Milliseconds since boot (including time suspended), wrapping every 49.7 days.
#[no_mangle]
pub extern "C" fn GetTickCount() -> u32 {
    GetTickCount64() as u32
}

#[no_mangle]
pub extern "C" fn GetTickCount64() -> u64 {
    clock_ns(libc::CLOCK_BOOTTIME) / 1_000_000
}

/// Nanoseconds of `CLOCK_MONOTONIC` (the frequency is 10^9).
///
/// # Safety
/// `count` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn QueryPerformanceCounter(count: *mut i64) -> i32 {
    // SAFETY: NULL or writable.
    unsafe { crate::text::put(count, clock_ns(libc::CLOCK_MONOTONIC) as i64) };
    TRUE
}

/// # Safety
/// `freq` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn QueryPerformanceFrequency(freq: *mut i64) -> i32 {
    // SAFETY: NULL or writable.
    unsafe { crate::text::put(freq, 1_000_000_000) };
    TRUE
}

/// `SYSTEM_INFO`.
#[repr(C)]
pub struct SystemInfo {
    pub processor_architecture: u16,
    pub reserved: u16,
    pub page_size: u32,
    pub minimum_application_address: *mut c_void,
    pub maximum_application_address: *mut c_void,
    pub active_processor_mask: usize,
    pub number_of_processors: u32,
    pub processor_type: u32,
    pub allocation_granularity: u32,
    pub processor_level: u16,
    pub processor_revision: u16,
}

/// Page size 4 KiB and allocation granularity 64 KiB — the values fmap's sections and views
/// use — and the processors this process may run on.
///
/// # Safety
/// `info` must be NULL or point to a writable `SYSTEM_INFO`.
#[no_mangle]
pub unsafe extern "C" fn GetSystemInfo(info: *mut SystemInfo) {
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let (arch, ptype) = if cfg!(target_arch = "x86_64") {
        (PROCESSOR_ARCHITECTURE_AMD64, PROCESSOR_AMD_X8664)
    } else if cfg!(target_arch = "aarch64") {
        (PROCESSOR_ARCHITECTURE_ARM64, PROCESSOR_ARM64)
    } else if cfg!(target_arch = "x86") {
        (PROCESSOR_ARCHITECTURE_INTEL, PROCESSOR_INTEL_PENTIUM)
    } else {
        (PROCESSOR_ARCHITECTURE_UNKNOWN, 0)
    };
    let v = SystemInfo {
        processor_architecture: arch as u16,
        reserved: 0,
        page_size: PAGE_SIZE as u32,
        minimum_application_address: ALLOCATION_GRANULARITY as usize as *mut c_void,
        maximum_application_address: (if cfg!(target_pointer_width = "64") {
            0x7FFF_FFFE_FFFF_u64 as usize
        } else {
            0x7FFE_FFFF
        }) as *mut c_void,
        active_processor_mask: if n >= usize::BITS as usize {
            usize::MAX
        } else {
            (1usize << n) - 1
        },
        number_of_processors: n as u32,
        processor_type: ptype,
        allocation_granularity: ALLOCATION_GRANULARITY as u32,
        processor_level: 6,
        processor_revision: 0,
    };
    // SAFETY: NULL or writable.
    unsafe { crate::text::put(info, v) };
}

fn getch(echo: bool) -> i32 {
    let fd = libc::STDIN_FILENO;
    // SAFETY: termios calls on stdin with valid out-pointers; the old settings are restored
    // before returning. A stdin that is not a terminal is simply read.
    unsafe {
        let mut old: libc::termios = std::mem::zeroed();
        let tty = libc::tcgetattr(fd, &mut old) == 0;
        if tty {
            let mut raw = old;
            raw.c_lflag &= !(libc::ICANON | libc::ECHO);
            raw.c_cc[libc::VMIN] = 1;
            raw.c_cc[libc::VTIME] = 0;
            libc::tcsetattr(fd, libc::TCSANOW, &raw);
        }
        let mut b = 0u8;
        let r = loop {
            let r = libc::read(fd, (&mut b as *mut u8).cast(), 1);
            if r >= 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                break r;
            }
        };
        if tty {
            libc::tcsetattr(fd, libc::TCSANOW, &old);
        }
        if r != 1 {
            return -1; // EOF
        }
        if echo {
            libc::write(libc::STDOUT_FILENO, (&b as *const u8).cast(), 1);
        }
        i32::from(b)
    }
}

/// `_getch` (conio.h): one key from standard input without waiting for Enter and without echo;
/// -1 at end of input.
#[no_mangle]
pub extern "C" fn _getch() -> i32 {
    getch(false)
}

/// `_getche`: like `_getch`, with echo.
#[no_mangle]
pub extern "C" fn _getche() -> i32 {
    getch(true)
}

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
    crate::handles::set_last_error(ERROR_DLL_INIT_FAILED);
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
    // SAFETY: forwarded from the caller.
    load(unsafe { ansi_bytes(name) })
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn LoadLibraryW(name: *const u16) -> *mut c_void {
    if name.is_null() {
        return fail(ERROR_INVALID_PARAMETER, null_mut());
    }
    // SAFETY: forwarded from the caller.
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
    // SAFETY: forwarded from the caller.
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
    // SAFETY: forwarded from the caller.
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
    // SAFETY: forwarded from the caller.
    unsafe { ansi_bytes(s) }.len() as i32
}

/// # Safety
/// `s` must be NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn lstrlenW(s: *const u16) -> i32 {
    if s.is_null() {
        return 0;
    }
    // SAFETY: forwarded from the caller.
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
