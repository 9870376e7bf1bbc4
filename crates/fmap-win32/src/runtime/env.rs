//! The process environment and the system around it: `GetEnvironmentVariable`,
//! `SetEnvironmentVariable`, `GetCommandLine`, `GetComputerName`, `GetSystemTime`,
//! `GetLocalTime`, `GetSystemTimeAsFileTime`, `OutputDebugString`, `IsDebuggerPresent`.
//!
//! Text comes and goes as UTF-8 (`…A`) or UTF-16 (`…W`); environment variables are the C
//! library's (`getenv`/`setenv`), so a C program and these functions see the same ones.

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::text::{ansi_bytes, copy_out, wide_units};
use std::ffi::{c_char, CString};
use std::sync::OnceLock;

const ERROR_ENVVAR_NOT_FOUND: u32 = 203;
const ERROR_BUFFER_OVERFLOW: u32 = 111;

/// The value of the environment variable `name` (bytes), if set.
fn getenv(name: &[u8]) -> Option<Vec<u8>> {
    let n = CString::new(name).ok()?;
    // SAFETY: `n` is NUL-terminated; getenv returns NULL or a NUL-terminated string that we copy
    // at once.
    let p = unsafe { libc::getenv(n.as_ptr()) };
    // SAFETY: non-NULL results of getenv are NUL-terminated strings.
    (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().to_vec())
}

/// `SetEnvironmentVariable`: `value` `None` removes the variable.
fn setenv(name: &[u8], value: Option<&[u8]>) -> i32 {
    if name.is_empty() || name.contains(&b'=') {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    let Ok(n) = CString::new(name) else {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    };
    let r = match value {
        // SAFETY: `n` is NUL-terminated.
        None => unsafe { libc::unsetenv(n.as_ptr()) },
        Some(v) => match CString::new(v) {
            // SAFETY: both strings are NUL-terminated; setenv copies them.
            Ok(v) => unsafe { libc::setenv(n.as_ptr(), v.as_ptr(), 1) },
            Err(_) => return fail(ERROR_INVALID_PARAMETER, FALSE),
        },
    };
    if r == 0 {
        TRUE
    } else {
        fail(ERROR_NOT_ENOUGH_MEMORY, FALSE)
    }
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string; `buf` NULL or `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn GetEnvironmentVariableA(
    name: *const c_char,
    buf: *mut c_char,
    size: u32,
) -> u32 {
    if name.is_null() {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    // SAFETY: `name` is a NUL-terminated string (this function's contract).
    let n = unsafe { ansi_bytes(name) };
    match getenv(n) {
        None => fail(ERROR_ENVVAR_NOT_FOUND, 0),
        // SAFETY: `buf` is NULL or holds `size` bytes (this function's contract).
        Some(v) => unsafe { copy_out(&v, buf.cast::<u8>(), size) },
    }
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string; `buf` NULL or `size` writable units.
#[no_mangle]
pub unsafe extern "C" fn GetEnvironmentVariableW(
    name: *const u16,
    buf: *mut u16,
    size: u32,
) -> u32 {
    if name.is_null() {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    // SAFETY: `name` is a NUL-terminated wide string (this function's contract).
    let n = String::from_utf16_lossy(unsafe { wide_units(name) });
    match getenv(n.as_bytes()) {
        None => fail(ERROR_ENVVAR_NOT_FOUND, 0),
        Some(v) => {
            let w: Vec<u16> = String::from_utf8_lossy(&v).encode_utf16().collect();
            // SAFETY: `buf` is NULL or holds `size` units (this function's contract).
            unsafe { copy_out(&w, buf, size) }
        }
    }
}

/// # Safety
/// `name` must be NULL or a NUL-terminated string, `value` NULL or one.
#[no_mangle]
pub unsafe extern "C" fn SetEnvironmentVariableA(name: *const c_char, value: *const c_char) -> i32 {
    if name.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: both are NUL-terminated strings (this function's contract).
    let (n, v) = unsafe {
        (
            ansi_bytes(name),
            (!value.is_null()).then(|| ansi_bytes(value)),
        )
    };
    setenv(n, v)
}

/// # Safety
/// `name` must be NULL or a NUL-terminated wide string, `value` NULL or one.
#[no_mangle]
pub unsafe extern "C" fn SetEnvironmentVariableW(name: *const u16, value: *const u16) -> i32 {
    if name.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: both are NUL-terminated wide strings (this function's contract).
    let n = String::from_utf16_lossy(unsafe { wide_units(name) });
    // SAFETY: as above.
    let v = (!value.is_null()).then(|| String::from_utf16_lossy(unsafe { wide_units(value) }));
    setenv(n.as_bytes(), v.as_deref().map(str::as_bytes))
}

/// The command line, as Windows would have passed it: the arguments joined by spaces, each
/// quoted when it contains a space, a tab or a quote (quotes escaped with `\`).
fn command_line() -> &'static str {
    static LINE: OnceLock<String> = OnceLock::new();
    LINE.get_or_init(|| {
        let raw = std::fs::read("/proc/self/cmdline").unwrap_or_default();
        let mut out = String::new();
        for (i, a) in raw.split(|&b| b == 0).filter(|a| !a.is_empty()).enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let a = String::from_utf8_lossy(a);
            if a.contains([' ', '\t', '"']) {
                out.push('"');
                out.push_str(&a.replace('"', "\\\""));
                out.push('"');
            } else {
                out.push_str(&a);
            }
        }
        out
    })
}

#[no_mangle]
pub extern "C" fn GetCommandLineA() -> *const c_char {
    static A: OnceLock<CString> = OnceLock::new();
    A.get_or_init(|| CString::new(command_line().replace('\0', "")).unwrap_or_default())
        .as_ptr()
}

#[no_mangle]
pub extern "C" fn GetCommandLineW() -> *const u16 {
    static W: OnceLock<Vec<u16>> = OnceLock::new();
    W.get_or_init(|| command_line().encode_utf16().chain([0]).collect())
        .as_ptr()
}

/// The NetBIOS-style computer name: the host name up to its first dot, upper case, at most
/// 15 characters.
fn computer_name() -> String {
    let mut b = [0u8; 256];
    // SAFETY: `b` is a writable buffer of its length.
    unsafe { libc::gethostname(b.as_mut_ptr().cast(), b.len() - 1) };
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    let host = String::from_utf8_lossy(&b[..end]);
    let short = host.split('.').next().unwrap_or("").to_ascii_uppercase();
    short.chars().take(15).collect()
}

/// `GetComputerName`'s buffer protocol: `*size` in = capacity, out = length (or the size
/// needed with its NUL, and `ERROR_BUFFER_OVERFLOW`).
///
/// # Safety
/// `size` must be NULL or writable; `buf` NULL or `*size` writable elements.
unsafe fn computer_name_out<T: Copy + Default>(s: &[T], buf: *mut T, size: *mut u32) -> i32 {
    if size.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: `size` is writable (the caller's contract).
    let cap = unsafe { *size };
    if buf.is_null() || (cap as usize) < s.len() + 1 {
        // SAFETY: as above.
        unsafe { *size = s.len() as u32 + 1 };
        return fail(ERROR_BUFFER_OVERFLOW, FALSE);
    }
    // SAFETY: `buf` holds `cap > s.len()` elements (the caller's contract).
    unsafe {
        *size = copy_out(s, buf, cap);
    }
    TRUE
}

/// # Safety
/// `size` must be NULL or writable; `buf` NULL or `*size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn GetComputerNameA(buf: *mut c_char, size: *mut u32) -> i32 {
    let n = computer_name();
    // SAFETY: forwarded contract.
    unsafe { computer_name_out(n.as_bytes(), buf.cast::<u8>(), size) }
}

/// # Safety
/// `size` must be NULL or writable; `buf` NULL or `*size` writable units.
#[no_mangle]
pub unsafe extern "C" fn GetComputerNameW(buf: *mut u16, size: *mut u32) -> i32 {
    let n: Vec<u16> = computer_name().encode_utf16().collect();
    // SAFETY: forwarded contract.
    unsafe { computer_name_out(&n, buf, size) }
}

/// `SYSTEMTIME`.
#[repr(C)]
#[derive(Default)]
pub struct SystemTime {
    year: u16,
    month: u16,
    day_of_week: u16,
    day: u16,
    hour: u16,
    minute: u16,
    second: u16,
    milliseconds: u16,
}

/// `FILETIME`: 100 ns intervals since 1601-01-01 UTC, in two halves.
#[repr(C)]
pub struct FileTime {
    low: u32,
    high: u32,
}

/// Now, as `SYSTEMTIME`, in UTC or local time.
fn system_time(local: bool) -> SystemTime {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: `tm` is plain data; gmtime_r/localtime_r fill it from `secs`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals.
    unsafe {
        if local {
            libc::localtime_r(&secs, &mut tm);
        } else {
            libc::gmtime_r(&secs, &mut tm);
        }
    }
    SystemTime {
        year: (tm.tm_year + 1900) as u16,
        month: (tm.tm_mon + 1) as u16,
        day_of_week: tm.tm_wday as u16,
        day: tm.tm_mday as u16,
        hour: tm.tm_hour as u16,
        minute: tm.tm_min as u16,
        second: tm.tm_sec.min(59) as u16,
        milliseconds: now.subsec_millis() as u16,
    }
}

/// # Safety
/// `st` must be NULL or point to a writable `SYSTEMTIME`.
#[no_mangle]
pub unsafe extern "C" fn GetSystemTime(st: *mut SystemTime) {
    if !st.is_null() {
        // SAFETY: `st` is writable (this function's contract).
        unsafe { st.write(system_time(false)) };
    }
}

/// # Safety
/// `st` must be NULL or point to a writable `SYSTEMTIME`.
#[no_mangle]
pub unsafe extern "C" fn GetLocalTime(st: *mut SystemTime) {
    if !st.is_null() {
        // SAFETY: `st` is writable (this function's contract).
        unsafe { st.write(system_time(true)) };
    }
}

/// 100 ns intervals between 1601-01-01 and 1970-01-01.
const EPOCH_1601: u64 = 116_444_736_000_000_000;

/// # Safety
/// `ft` must be NULL or point to a writable `FILETIME`.
#[no_mangle]
pub unsafe extern "C" fn GetSystemTimeAsFileTime(ft: *mut FileTime) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let t = EPOCH_1601 + (now.as_nanos() / 100) as u64;
    if !ft.is_null() {
        // SAFETY: `ft` is writable (this function's contract).
        unsafe {
            ft.write(FileTime {
                low: t as u32,
                high: (t >> 32) as u32,
            })
        };
    }
}

/// # Safety
/// `s` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn OutputDebugStringA(s: *const c_char) {
    if !s.is_null() {
        use std::io::Write;
        // SAFETY: a NUL-terminated string (this function's contract).
        let _ = std::io::stderr().write_all(unsafe { ansi_bytes(s) });
    }
}

/// # Safety
/// `s` must be NULL or a NUL-terminated wide string.
#[no_mangle]
pub unsafe extern "C" fn OutputDebugStringW(s: *const u16) {
    if !s.is_null() {
        use std::io::Write;
        // SAFETY: a NUL-terminated wide string (this function's contract).
        let t = String::from_utf16_lossy(unsafe { wide_units(s) });
        let _ = std::io::stderr().write_all(t.as_bytes());
    }
}

/// Is a debugger (any tracer) attached? (`TracerPid` in /proc/self/status.)
#[no_mangle]
pub extern "C" fn IsDebuggerPresent() -> i32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let traced = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .is_some_and(|v| v.trim() != "0");
    traced as i32
}
