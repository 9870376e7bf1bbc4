//! The Microsoft C runtime's extras that Win32 programs use and glibc does not have (declared in
//! `fmap_crt.h`, which `windows.h`, `tchar.h` and the CRT headers include): the bounds-checked
//! `_s` string and memory functions, `_itoa` and friends, `localtime_s`/`gmtime_s`, `ctime_s`,
//! `asctime_s`, `fopen_s`, `_dupenv_s`/`getenv_s`, `_spawnv`/`_spawnvp`/`_cwait`, `_time64`,
//! `_getpid`, `_stricmp`/`_strnicmp`, `_strdup`, `_strlwr`/`_strupr`.
//!
//! They follow Microsoft's documentation, including its parameter validation. Where the MSVC
//! runtime would call its *invalid parameter handler* (which by default ends the program), these
//! return the documented error code with `errno` set to it, and make the documented change to the
//! output buffer (e.g. `strcpy_s` into a buffer that is too small stores an empty string and
//! returns `ERANGE`): the behaviour of an MSVC program that installed a handler that returns
//! (`_set_invalid_parameter_handler`), which is what ported code is written to cope with.
//!
//! The functions with a variable argument list (`sprintf_s`, `_snprintf`, `_spawnl`, ...) are
//! `static inline` in `fmap_crt.h`: stable Rust cannot define C variadic functions.

use crate::abi::text::ansi_bytes;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::null_mut;

/// `errno_t` values (Linux's; the same numbers as MSVC's for these three).
pub const EINVAL: c_int = libc::EINVAL;
pub const ERANGE: c_int = libc::ERANGE;
/// MSVC's `STRUNCATE` (there is no such errno on Linux; the value is Microsoft's).
pub const STRUNCATE: c_int = 80;
/// `_TRUNCATE` for `strncpy_s`/`strncat_s`.
pub const TRUNCATE: usize = usize::MAX;
/// `_NLSCMPERROR`: what `_stricmp` returns for a NULL argument.
pub const NLSCMPERROR: c_int = 2_147_483_647;

/// Sets `errno` to `e` and returns it: the failure path of the `_s` functions.
pub fn set_errno(e: c_int) -> c_int {
    // SAFETY: __errno_location returns this thread's errno, always valid.
    unsafe { *libc::__errno_location() = e };
    e
}

/// Length of `s` up to `max` bytes (`max` if there is no NUL among them).
///
/// # Safety
/// `s` must be readable up to its NUL or `max` bytes, whichever comes first.
unsafe fn strnlen(s: *const c_char, max: usize) -> usize {
    let mut n = 0;
    // SAFETY: reads stop at the NUL or at `max`, per the contract.
    while n < max && unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}

/// `strcpy_s`: copies `src` with its NUL into `dst` (`size` bytes). `dst` NULL or `size` 0:
/// `EINVAL`; `src` NULL: `dst[0] = 0`, `EINVAL`; does not fit: `dst[0] = 0`, `ERANGE`.
///
/// # Safety
/// `dst` must be NULL or hold `size` bytes; `src` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn strcpy_s(dst: *mut c_char, size: usize, src: *const c_char) -> c_int {
    if dst.is_null() || size == 0 {
        return set_errno(EINVAL);
    }
    if src.is_null() {
        // SAFETY: `dst` holds `size` > 0 bytes.
        unsafe { *dst = 0 };
        return set_errno(EINVAL);
    }
    // SAFETY: `src` is NUL-terminated; the scan stops at `size`.
    let n = unsafe { strnlen(src, size) };
    if n == size {
        // SAFETY: as above.
        unsafe { *dst = 0 };
        return set_errno(ERANGE);
    }
    // SAFETY: `n + 1 <= size` bytes of `src` (its NUL included) into `dst`; `memmove` as the
    // caller may pass overlapping buffers (undefined on Windows, harmless here).
    unsafe { std::ptr::copy(src, dst, n + 1) };
    0
}

/// `strncpy_s`: copies at most `count` characters of `src` and a NUL (`count` = `_TRUNCATE`:
/// as much as fits, `STRUNCATE` if that is not all). `dst` NULL with `size` 0 and `count` 0:
/// 0; `dst` NULL or `size` 0: `EINVAL`; `src` NULL (with `count` > 0): `dst[0] = 0`, `EINVAL`;
/// does not fit: `dst[0] = 0`, `ERANGE`.
///
/// # Safety
/// `dst` must be NULL or hold `size` bytes; `src` NULL, or readable up to `count` bytes or its
/// NUL.
#[no_mangle]
pub unsafe extern "C" fn strncpy_s(
    dst: *mut c_char,
    size: usize,
    src: *const c_char,
    count: usize,
) -> c_int {
    if count == 0 && dst.is_null() && size == 0 {
        return 0;
    }
    if dst.is_null() || size == 0 {
        return set_errno(EINVAL);
    }
    if count == 0 {
        // SAFETY: `dst` holds `size` > 0 bytes.
        unsafe { *dst = 0 };
        return 0;
    }
    if src.is_null() {
        // SAFETY: as above.
        unsafe { *dst = 0 };
        return set_errno(EINVAL);
    }
    let truncate = count == TRUNCATE;
    // SAFETY: the scan stops at the NUL, `count` or `size`, whichever is first.
    let n = unsafe { strnlen(src, count.min(size)) };
    if n == size {
        if truncate {
            // SAFETY: `size - 1` bytes of `src` are readable (n == size) and fit in `dst`.
            unsafe {
                std::ptr::copy(src, dst, size - 1);
                *dst.add(size - 1) = 0;
            }
            return STRUNCATE;
        }
        // SAFETY: as above.
        unsafe { *dst = 0 };
        return set_errno(ERANGE);
    }
    // SAFETY: `n < size` readable bytes of `src`, and the NUL at `dst[n]`.
    unsafe {
        std::ptr::copy(src, dst, n);
        *dst.add(n) = 0;
    }
    0
}

/// `strcat_s`: appends `src` to the string in `dst` (`size` bytes). `dst` NULL or `size` 0:
/// `EINVAL`; `src` NULL or `dst` not terminated within `size`: `dst[0] = 0`, `EINVAL`; does not
/// fit: `dst[0] = 0`, `ERANGE`.
///
/// # Safety
/// `dst` must be NULL or hold `size` bytes; `src` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn strcat_s(dst: *mut c_char, size: usize, src: *const c_char) -> c_int {
    // SAFETY: same contract; `_TRUNCATE` is never a real count here.
    unsafe { cat(dst, size, src, usize::MAX - 1) }
}

/// `strncat_s`: appends at most `count` characters of `src` (`_TRUNCATE`: as much as fits,
/// `STRUNCATE` if that is not all). Errors as `strcat_s`.
///
/// # Safety
/// `dst` must be NULL or hold `size` bytes; `src` NULL, or readable up to `count` bytes or its
/// NUL.
#[no_mangle]
pub unsafe extern "C" fn strncat_s(
    dst: *mut c_char,
    size: usize,
    src: *const c_char,
    count: usize,
) -> c_int {
    if count == 0 && dst.is_null() && size == 0 {
        return 0;
    }
    // SAFETY: same contract.
    unsafe { cat(dst, size, src, count) }
}

/// # Safety
/// As `strncat_s`.
unsafe fn cat(dst: *mut c_char, size: usize, src: *const c_char, count: usize) -> c_int {
    if dst.is_null() || size == 0 {
        return set_errno(EINVAL);
    }
    // SAFETY: `dst` holds `size` bytes.
    let len = unsafe { strnlen(dst, size) };
    if src.is_null() && count != 0 || len == size {
        // SAFETY: `dst` holds `size` > 0 bytes.
        unsafe { *dst = 0 };
        return set_errno(EINVAL);
    }
    if count == 0 {
        return 0;
    }
    let room = size - len; // > 0: bytes left, the NUL's included
    let truncate = count == TRUNCATE;
    // SAFETY: the scan stops at the NUL, `count` or `room`.
    let n = unsafe { strnlen(src, count.min(room)) };
    if n == room {
        if truncate {
            // SAFETY: `room - 1` bytes of `src` are readable and fit after `len`.
            unsafe {
                std::ptr::copy(src, dst.add(len), room - 1);
                *dst.add(size - 1) = 0;
            }
            return STRUNCATE;
        }
        // SAFETY: as above.
        unsafe { *dst = 0 };
        return set_errno(ERANGE);
    }
    // SAFETY: `n < room` bytes fit after `len`, with the NUL.
    unsafe {
        std::ptr::copy(src, dst.add(len), n);
        *dst.add(len + n) = 0;
    }
    0
}

/// `memcpy_s`: `count` 0: 0 (nothing checked); `dst` NULL: `EINVAL`; `src` NULL: `dst` zeroed,
/// `EINVAL`; `size < count`: `dst` zeroed, `ERANGE`.
///
/// # Safety
/// `dst` must be NULL or hold `size` bytes; `src` NULL or hold `count` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcpy_s(
    dst: *mut c_void,
    size: usize,
    src: *const c_void,
    count: usize,
) -> c_int {
    if count == 0 {
        return 0;
    }
    if dst.is_null() {
        return set_errno(EINVAL);
    }
    if src.is_null() || size < count {
        // SAFETY: `dst` holds `size` bytes.
        unsafe { std::ptr::write_bytes(dst.cast::<u8>(), 0, size) };
        return set_errno(if src.is_null() { EINVAL } else { ERANGE });
    }
    // SAFETY: `count <= size` bytes, both buffers that large; overlapping is tolerated.
    unsafe { std::ptr::copy(src.cast::<u8>(), dst.cast::<u8>(), count) };
    0
}

/// `memmove_s`: as `memcpy_s`, for overlapping buffers (`src` NULL leaves `dst` alone).
///
/// # Safety
/// As `memcpy_s`.
#[no_mangle]
pub unsafe extern "C" fn memmove_s(
    dst: *mut c_void,
    size: usize,
    src: *const c_void,
    count: usize,
) -> c_int {
    if count == 0 {
        return 0;
    }
    if dst.is_null() || src.is_null() {
        return set_errno(EINVAL);
    }
    if size < count {
        return set_errno(ERANGE);
    }
    // SAFETY: `count <= size` bytes, both buffers that large.
    unsafe { std::ptr::copy(src.cast::<u8>(), dst.cast::<u8>(), count) };
    0
}

// ---- integer to text ----

/// The digits of `value` in `radix` (2..=36, lowercase), with a '-' when `negative`.
fn digits(negative: bool, mut value: u64, radix: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(66);
    loop {
        let d = (value % u64::from(radix)) as u8;
        out.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        value /= u64::from(radix);
        if value == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.reverse();
    out
}

/// A signed value as MSVC's `_itoa` family writes it: a sign only in radix 10; other radixes
/// show the two's complement of the value's own width (`bits`).
fn signed_digits(value: i64, bits: u32, radix: u32) -> Vec<u8> {
    if radix == 10 {
        digits(value < 0, value.unsigned_abs(), radix)
    } else {
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        digits(false, value as u64 & mask, radix)
    }
}

/// The non-`_s` form: writes into `buf` (no size known) and returns it; NULL `buf` or a radix
/// outside 2..=36: `errno` `EINVAL` (and an empty string in `buf` for a bad radix).
///
/// # Safety
/// `buf` must be NULL or large enough (33 bytes for 32-bit values, 65 for 64-bit).
unsafe fn to_text(text: impl FnOnce() -> Vec<u8>, buf: *mut c_char, radix: c_int) -> *mut c_char {
    if buf.is_null() {
        set_errno(EINVAL);
        return buf;
    }
    if !(2..=36).contains(&radix) {
        // SAFETY: `buf` is not NULL and holds at least one byte.
        unsafe { *buf = 0 };
        set_errno(EINVAL);
        return buf;
    }
    let t = text();
    // SAFETY: `buf` is large enough for the digits and the NUL, per the contract.
    unsafe {
        std::ptr::copy_nonoverlapping(t.as_ptr().cast::<c_char>(), buf, t.len());
        *buf.add(t.len()) = 0;
    }
    buf
}

/// The `_s` form: `buf` NULL or `size` 0: `EINVAL`; bad radix: `buf[0] = 0`, `EINVAL`; too
/// small: `buf[0] = 0`, `ERANGE`.
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes.
unsafe fn to_text_s(
    text: impl FnOnce() -> Vec<u8>,
    buf: *mut c_char,
    size: usize,
    radix: c_int,
) -> c_int {
    if buf.is_null() || size == 0 {
        return set_errno(EINVAL);
    }
    if !(2..=36).contains(&radix) {
        // SAFETY: `buf` holds `size` > 0 bytes.
        unsafe { *buf = 0 };
        return set_errno(EINVAL);
    }
    let t = text();
    if t.len() + 1 > size {
        // SAFETY: as above.
        unsafe { *buf = 0 };
        return set_errno(ERANGE);
    }
    // SAFETY: `t.len() + 1 <= size` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(t.as_ptr().cast::<c_char>(), buf, t.len());
        *buf.add(t.len()) = 0;
    }
    0
}

/// `_itoa`: `value` in `radix` into `buf`; returns `buf`.
///
/// # Safety
/// `buf` must be NULL or hold 33 bytes.
#[no_mangle]
pub unsafe extern "C" fn _itoa(value: c_int, buf: *mut c_char, radix: c_int) -> *mut c_char {
    // SAFETY: same contract.
    unsafe { to_text(|| signed_digits(value.into(), 32, radix as u32), buf, radix) }
}

/// `_ltoa` (`long` is 64-bit on Linux, 32-bit on Windows).
///
/// # Safety
/// `buf` must be NULL or hold 65 bytes.
#[no_mangle]
pub unsafe extern "C" fn _ltoa(value: libc::c_long, buf: *mut c_char, radix: c_int) -> *mut c_char {
    // SAFETY: same contract.
    unsafe { to_text(|| signed_digits(value, 64, radix as u32), buf, radix) }
}

/// `_ultoa`.
///
/// # Safety
/// `buf` must be NULL or hold 65 bytes.
#[no_mangle]
pub unsafe extern "C" fn _ultoa(
    value: libc::c_ulong,
    buf: *mut c_char,
    radix: c_int,
) -> *mut c_char {
    // SAFETY: same contract.
    unsafe { to_text(|| digits(false, value, radix as u32), buf, radix) }
}

/// `_i64toa`.
///
/// # Safety
/// `buf` must be NULL or hold 65 bytes.
#[no_mangle]
pub unsafe extern "C" fn _i64toa(value: i64, buf: *mut c_char, radix: c_int) -> *mut c_char {
    // SAFETY: same contract.
    unsafe { to_text(|| signed_digits(value, 64, radix as u32), buf, radix) }
}

/// `_ui64toa`.
///
/// # Safety
/// `buf` must be NULL or hold 65 bytes.
#[no_mangle]
pub unsafe extern "C" fn _ui64toa(value: u64, buf: *mut c_char, radix: c_int) -> *mut c_char {
    // SAFETY: same contract.
    unsafe { to_text(|| digits(false, value, radix as u32), buf, radix) }
}

/// `_itoa_s`.
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn _itoa_s(
    value: c_int,
    buf: *mut c_char,
    size: usize,
    radix: c_int,
) -> c_int {
    // SAFETY: same contract.
    unsafe {
        to_text_s(
            || signed_digits(value.into(), 32, radix as u32),
            buf,
            size,
            radix,
        )
    }
}

/// `_ltoa_s`.
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn _ltoa_s(
    value: libc::c_long,
    buf: *mut c_char,
    size: usize,
    radix: c_int,
) -> c_int {
    // SAFETY: same contract.
    unsafe { to_text_s(|| signed_digits(value, 64, radix as u32), buf, size, radix) }
}

/// `_ultoa_s`.
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn _ultoa_s(
    value: libc::c_ulong,
    buf: *mut c_char,
    size: usize,
    radix: c_int,
) -> c_int {
    // SAFETY: same contract.
    unsafe { to_text_s(|| digits(false, value, radix as u32), buf, size, radix) }
}

/// `_i64toa_s`.
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn _i64toa_s(
    value: i64,
    buf: *mut c_char,
    size: usize,
    radix: c_int,
) -> c_int {
    // SAFETY: same contract.
    unsafe { to_text_s(|| signed_digits(value, 64, radix as u32), buf, size, radix) }
}

/// `_ui64toa_s`.
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn _ui64toa_s(
    value: u64,
    buf: *mut c_char,
    size: usize,
    radix: c_int,
) -> c_int {
    // SAFETY: same contract.
    unsafe { to_text_s(|| digits(false, value, radix as u32), buf, size, radix) }
}

// ---- time ----

/// # Safety
/// `tm` must be NULL or writable; `t` NULL or readable.
unsafe fn time_s(
    tm: *mut libc::tm,
    t: *const libc::time_t,
    f: unsafe extern "C" fn(*const libc::time_t, *mut libc::tm) -> *mut libc::tm,
) -> c_int {
    if tm.is_null() {
        return set_errno(EINVAL);
    }
    // SAFETY: `tm` is writable; `t` is readable when not NULL.
    unsafe {
        // Every field -1 on a failure, as the documentation says.
        let bad = |tm: *mut libc::tm| {
            let z: libc::tm = std::mem::zeroed();
            *tm = z;
            for f in [
                &mut (*tm).tm_sec,
                &mut (*tm).tm_min,
                &mut (*tm).tm_hour,
                &mut (*tm).tm_mday,
                &mut (*tm).tm_mon,
                &mut (*tm).tm_year,
                &mut (*tm).tm_wday,
                &mut (*tm).tm_yday,
                &mut (*tm).tm_isdst,
            ] {
                *f = -1;
            }
        };
        // MSVC accepts times from 1970 to year 3000 (_MAX__TIME64_T).
        if t.is_null() || *t < 0 || *t > 32_535_244_799 {
            bad(tm);
            return set_errno(EINVAL);
        }
        if f(t, tm).is_null() {
            bad(tm);
            return set_errno(EINVAL);
        }
    }
    0
}

/// `localtime_s` (Microsoft's argument order: the result first). `tm` NULL: `EINVAL`; `t` NULL,
/// negative or after the year 3000: every field of `tm` -1, `EINVAL`.
///
/// # Safety
/// `tm` must be NULL or writable; `t` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn localtime_s(tm: *mut libc::tm, t: *const libc::time_t) -> c_int {
    // SAFETY: same contract.
    unsafe { time_s(tm, t, libc::localtime_r) }
}

/// `gmtime_s`: as `localtime_s`, in UTC.
///
/// # Safety
/// As `localtime_s`.
#[no_mangle]
pub unsafe extern "C" fn gmtime_s(tm: *mut libc::tm, t: *const libc::time_t) -> c_int {
    // SAFETY: same contract.
    unsafe { time_s(tm, t, libc::gmtime_r) }
}

/// `asctime_s`: `buf` NULL or `size` 0: `EINVAL`; `size` < 26 or `tm` NULL or out of range:
/// `buf[0] = 0`, `EINVAL` (`ERANGE` for a small buffer).
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes; `tm` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn asctime_s(buf: *mut c_char, size: usize, tm: *const libc::tm) -> c_int {
    if buf.is_null() || size == 0 {
        return set_errno(EINVAL);
    }
    // SAFETY: `buf` holds `size` > 0 bytes; `tm` is readable when not NULL.
    unsafe {
        *buf = 0;
        if tm.is_null() {
            return set_errno(EINVAL);
        }
        let t = &*tm;
        let ok = (0..=59).contains(&t.tm_sec)
            && (0..=59).contains(&t.tm_min)
            && (0..=23).contains(&t.tm_hour)
            && (1..=31).contains(&t.tm_mday)
            && (0..=11).contains(&t.tm_mon)
            && (0..=6).contains(&t.tm_wday)
            && (0..=8099).contains(&t.tm_year);
        if !ok {
            return set_errno(EINVAL);
        }
        if size < 26 {
            return set_errno(ERANGE);
        }
        let mut tmp = [0 as c_char; 64];
        if libc::asctime_r(tm, tmp.as_mut_ptr()).is_null() {
            return set_errno(EINVAL);
        }
        strcpy_s(buf, size, tmp.as_ptr())
    }
}

/// `ctime_s`: `asctime_s` of `localtime_s`.
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes; `t` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn ctime_s(buf: *mut c_char, size: usize, t: *const libc::time_t) -> c_int {
    if buf.is_null() || size == 0 {
        return set_errno(EINVAL);
    }
    // SAFETY: `buf` holds `size` > 0 bytes; `t` is readable when not NULL.
    unsafe {
        *buf = 0;
        if size < 26 {
            return set_errno(ERANGE);
        }
        let mut tm: libc::tm = std::mem::zeroed();
        let e = localtime_s(&mut tm, t);
        if e != 0 {
            return e;
        }
        asctime_s(buf, size, &tm)
    }
}

/// `_time64`: seconds since 1970, also stored in `*t` unless NULL.
///
/// # Safety
/// `t` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn _time64(t: *mut i64) -> i64 {
    // SAFETY: time(NULL) has no preconditions.
    let now = unsafe { libc::time(null_mut()) };
    if !t.is_null() {
        // SAFETY: `t` is writable.
        unsafe { *t = now };
    }
    now
}

// ---- files and environment ----

/// `fopen_s`: `*pf` the stream, or NULL and the `errno` of the failure. `pf`, `name` or `mode`
/// NULL: `EINVAL`. The mode letters only Microsoft has (`t`, `c`, `n`, `N`, `S`, `R`, `T`, `D`,
/// `,ccs=...`) are dropped.
///
/// # Safety
/// `pf` must be NULL or writable; `name` and `mode` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn fopen_s(
    pf: *mut *mut libc::FILE,
    name: *const c_char,
    mode: *const c_char,
) -> c_int {
    if pf.is_null() {
        return set_errno(EINVAL);
    }
    // SAFETY: `pf` is writable.
    unsafe { *pf = null_mut() };
    if name.is_null() || mode.is_null() {
        return set_errno(EINVAL);
    }
    // SAFETY: `mode` is NUL-terminated.
    let m = unsafe { ansi_bytes(mode) };
    let Some(m) = posix_mode(m) else {
        return set_errno(EINVAL);
    };
    // SAFETY: `name` is NUL-terminated; `m` is a C string.
    let f = unsafe { libc::fopen(name, m.as_ptr()) };
    if f.is_null() {
        return std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(EINVAL);
    }
    // SAFETY: `pf` is writable.
    unsafe { *pf = f };
    0
}

/// A Microsoft `fopen` mode as a C library one; `None` if it is not one.
pub fn posix_mode(m: &[u8]) -> Option<std::ffi::CString> {
    let m = m.split(|&b| b == b',').next().unwrap_or(b"");
    let (first, rest) = m.split_first()?;
    if !matches!(first, b'r' | b'w' | b'a') {
        return None;
    }
    let mut out = vec![*first];
    for &c in rest.iter().filter(|c| !c.is_ascii_whitespace()) {
        match c {
            b'+' | b'b' | b'x' if !out.contains(&c) => out.push(c),
            b'+' | b'b' | b'x' | b't' | b'c' | b'n' | b'N' | b'S' | b'R' | b'T' | b'D' => {}
            _ => return None,
        }
    }
    std::ffi::CString::new(out).ok()
}

/// `_dupenv_s`: a `malloc`ed copy of the variable (free it with `free`) and its size with the
/// NUL; not set: `*buf` NULL, size 0, returns 0. `buf` or `name` NULL: `EINVAL`.
///
/// # Safety
/// `buf` must be NULL or writable, `size` NULL or writable, `name` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn _dupenv_s(
    buf: *mut *mut c_char,
    size: *mut usize,
    name: *const c_char,
) -> c_int {
    if buf.is_null() {
        return set_errno(EINVAL);
    }
    // SAFETY: `buf` and `size` (when not NULL) are writable.
    unsafe {
        *buf = null_mut();
        if !size.is_null() {
            *size = 0;
        }
    }
    if name.is_null() {
        return set_errno(EINVAL);
    }
    // SAFETY: `name` is NUL-terminated; getenv's result is copied at once.
    let v = unsafe { libc::getenv(name) };
    if v.is_null() {
        return 0;
    }
    // SAFETY: `v` is a NUL-terminated environment value.
    let copy = unsafe { libc::strdup(v) };
    if copy.is_null() {
        return set_errno(libc::ENOMEM);
    }
    // SAFETY: `buf`, `size` writable; `copy` NUL-terminated.
    unsafe {
        *buf = copy;
        if !size.is_null() {
            *size = CStr::from_ptr(copy).to_bytes().len() + 1;
        }
    }
    0
}

/// `getenv_s`: copies the variable into `buf` (`size` bytes) and stores its size with the NUL in
/// `*needed` (0 if not set, `buf[0] = 0`). `needed` or `name` NULL, or `buf` NULL with `size` >
/// 0: `EINVAL`; `buf` too small: `ERANGE` (`*needed` says how much is needed; `size` 0 is the
/// documented way to ask).
///
/// # Safety
/// `needed` NULL or writable; `buf` NULL or `size` bytes; `name` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn getenv_s(
    needed: *mut usize,
    buf: *mut c_char,
    size: usize,
    name: *const c_char,
) -> c_int {
    if needed.is_null() || (buf.is_null() && size > 0) || name.is_null() {
        return set_errno(EINVAL);
    }
    // SAFETY: the pointers are valid per the contract; getenv's result is copied at once.
    unsafe {
        *needed = 0;
        if size > 0 {
            *buf = 0;
        }
        let v = libc::getenv(name);
        if v.is_null() {
            return 0;
        }
        let n = CStr::from_ptr(v).to_bytes().len() + 1;
        *needed = n;
        if size == 0 {
            return 0;
        }
        if n > size {
            return set_errno(ERANGE);
        }
        std::ptr::copy_nonoverlapping(v, buf, n);
    }
    0
}

/// `_getpid`.
#[no_mangle]
pub extern "C" fn _getpid() -> c_int {
    std::process::id() as c_int
}

// ---- strings ----

/// # Safety
/// `a` and `b` NUL-terminated (or readable for `n` bytes).
unsafe fn icmp(a: *const c_char, b: *const c_char, n: usize) -> c_int {
    if a.is_null() || b.is_null() {
        set_errno(EINVAL);
        return NLSCMPERROR;
    }
    for i in 0..n {
        // SAFETY: both strings are readable up to their NUL or `n`.
        let (x, y) = unsafe { (*a.add(i) as u8, *b.add(i) as u8) };
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y || x == 0 {
            return c_int::from(x) - c_int::from(y);
        }
    }
    0
}

/// `_stricmp` (also `stricmp`, `_strcmpi`): compares with ASCII letters folded to lowercase (the
/// "C" locale's rule); a NULL argument: `_NLSCMPERROR`, `errno` `EINVAL`.
///
/// # Safety
/// `a` and `b` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn _stricmp(a: *const c_char, b: *const c_char) -> c_int {
    // SAFETY: same contract.
    unsafe { icmp(a, b, usize::MAX) }
}

/// `_strnicmp`: `_stricmp` of at most `n` characters.
///
/// # Safety
/// `a` and `b` NULL, or readable up to their NUL or `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn _strnicmp(a: *const c_char, b: *const c_char, n: usize) -> c_int {
    if n == 0 {
        return 0;
    }
    // SAFETY: same contract.
    unsafe { icmp(a, b, n) }
}

/// `_strdup`: a `malloc`ed copy; NULL for NULL.
///
/// # Safety
/// `s` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn _strdup(s: *const c_char) -> *mut c_char {
    if s.is_null() {
        return null_mut();
    }
    // SAFETY: `s` is NUL-terminated.
    unsafe { libc::strdup(s) }
}

/// # Safety
/// `s` NULL or NUL-terminated and writable.
unsafe fn map_case(s: *mut c_char, upper: bool) -> *mut c_char {
    if s.is_null() {
        set_errno(EINVAL);
        return s;
    }
    let mut p = s;
    // SAFETY: the string is writable up to its NUL.
    unsafe {
        while *p != 0 {
            let c = *p as u8;
            *p = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            } as c_char;
            p = p.add(1);
        }
    }
    s
}

/// `_strlwr`: ASCII letters to lowercase, in place; returns `s`.
///
/// # Safety
/// `s` NULL or NUL-terminated and writable.
#[no_mangle]
pub unsafe extern "C" fn _strlwr(s: *mut c_char) -> *mut c_char {
    // SAFETY: same contract.
    unsafe { map_case(s, false) }
}

/// `_strupr`: ASCII letters to uppercase, in place; returns `s`.
///
/// # Safety
/// `s` NULL or NUL-terminated and writable.
#[no_mangle]
pub unsafe extern "C" fn _strupr(s: *mut c_char) -> *mut c_char {
    // SAFETY: same contract.
    unsafe { map_case(s, true) }
}
