//! StrSafe (`strsafe.h`): `StringCchCopy`, `StringCchCopyN`, `StringCchCat`, `StringCchCatN`,
//! `StringCchLength` and their `StringCb` (byte count) forms, A and W. (The `Printf` forms are
//! `static inline` in `strsafe.h`: they take a variable argument list.)
//!
//! As Microsoft's: the destination is always NUL-terminated when it has room for anything;
//! a result that does not fit is truncated and `STRSAFE_E_INSUFFICIENT_BUFFER` returned; a
//! destination size of 0 or above `STRSAFE_MAX_CCH` is `STRSAFE_E_INVALID_PARAMETER`, as is a
//! `StringCchCat` destination without a NUL within its size (left untouched). Microsoft's
//! functions do not check for NULL strings (they crash, unless the `Ex` forms are given
//! `STRSAFE_IGNORE_NULLS`); these return `STRSAFE_E_INVALID_PARAMETER` for a NULL destination,
//! and for a NULL source store an empty string and return the same.

use std::ffi::c_char;

/// `S_OK`.
pub const S_OK: i32 = 0;
/// `STRSAFE_E_INSUFFICIENT_BUFFER` (`HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)`).
pub const STRSAFE_E_INSUFFICIENT_BUFFER: i32 = 0x8007_007A_u32 as i32;
/// `STRSAFE_E_INVALID_PARAMETER` (`HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER)`).
pub const STRSAFE_E_INVALID_PARAMETER: i32 = 0x8007_0057_u32 as i32;
/// `STRSAFE_MAX_CCH`.
pub const STRSAFE_MAX_CCH: usize = 2_147_483_647;

/// A character of either width.
trait Unit: Copy + Default + PartialEq {}
impl Unit for u8 {}
impl Unit for i8 {}
impl Unit for u16 {}

/// Length up to `max` units.
///
/// # Safety
/// `s` readable up to its NUL or `max` units.
unsafe fn len<T: Unit>(s: *const T, max: usize) -> usize {
    let mut n = 0;
    // SAFETY: per the contract.
    while n < max && unsafe { *s.add(n) } != T::default() {
        n += 1;
    }
    n
}

/// Copies at most `count` units of `src` to `dst` (`cap` > 0 units), NUL-terminated, truncating.
///
/// # Safety
/// `dst` holds `cap` units; `src` readable up to its NUL or `count` units.
unsafe fn copy<T: Unit>(dst: *mut T, cap: usize, src: *const T, count: usize) -> i32 {
    // SAFETY: the scan stops at `cap`, so at most `cap` units are copied below.
    let n = unsafe { len(src, count.min(cap)) };
    if n == cap {
        // SAFETY: `cap - 1` units of `src` are readable; the NUL goes in the last unit.
        unsafe {
            std::ptr::copy(src, dst, cap - 1);
            *dst.add(cap - 1) = T::default();
        }
        return STRSAFE_E_INSUFFICIENT_BUFFER;
    }
    // SAFETY: `n < cap`.
    unsafe {
        std::ptr::copy(src, dst, n);
        *dst.add(n) = T::default();
    }
    S_OK
}

/// # Safety
/// `dst` NULL or `cap` units; `src` NULL or readable up to its NUL or `count` units.
unsafe fn copy_checked<T: Unit>(dst: *mut T, cap: usize, src: *const T, count: usize) -> i32 {
    if dst.is_null() || cap == 0 || cap > STRSAFE_MAX_CCH {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    if src.is_null() || count > STRSAFE_MAX_CCH {
        // SAFETY: `dst` holds `cap` > 0 units.
        unsafe { *dst = T::default() };
        return STRSAFE_E_INVALID_PARAMETER;
    }
    // SAFETY: same contract.
    unsafe { copy(dst, cap, src, count) }
}

/// # Safety
/// As [`copy_checked`].
unsafe fn cat_checked<T: Unit>(dst: *mut T, cap: usize, src: *const T, count: usize) -> i32 {
    if dst.is_null() || cap == 0 || cap > STRSAFE_MAX_CCH || count > STRSAFE_MAX_CCH {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    // SAFETY: `dst` holds `cap` units.
    let used = unsafe { len(dst, cap) };
    if used == cap {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    if src.is_null() {
        return STRSAFE_E_INVALID_PARAMETER;
    }
    // SAFETY: `cap - used` > 0 units are left after the string.
    unsafe { copy(dst.add(used), cap - used, src, count) }
}

/// # Safety
/// `s` NULL or readable up to its NUL or `max` units; `out` NULL or writable.
unsafe fn length<T: Unit>(s: *const T, max: usize, out: *mut usize, unit: usize) -> i32 {
    let r = if s.is_null() || max == 0 || max > STRSAFE_MAX_CCH {
        Err(())
    } else {
        // SAFETY: per the contract.
        let n = unsafe { len(s, max) };
        if n == max {
            Err(())
        } else {
            Ok(n)
        }
    };
    if !out.is_null() {
        // SAFETY: `out` is writable.
        unsafe { *out = r.unwrap_or(0) * unit };
    }
    r.map_or(STRSAFE_E_INVALID_PARAMETER, |_| S_OK)
}

macro_rules! strsafe {
    ($t:ty, $copy:ident, $copy_n:ident, $cat:ident, $cat_n:ident, $len:ident,
     $cb_copy:ident, $cb_copy_n:ident, $cb_cat:ident, $cb_cat_n:ident, $cb_len:ident) => {
        /// `StringCchCopy`: `src` into `dst` (`cch` characters).
        ///
        /// # Safety
        /// `dst` NULL or `cch` characters; `src` NULL or NUL-terminated.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(dst: *mut $t, cch: usize, src: *const $t) -> i32 {
            // SAFETY: same contract.
            unsafe { copy_checked(dst, cch, src, STRSAFE_MAX_CCH) }
        }

        /// `StringCchCopyN`: at most `n` characters of `src`.
        ///
        /// # Safety
        /// `dst` NULL or `cch` characters; `src` NULL or readable up to its NUL or `n`.
        #[no_mangle]
        pub unsafe extern "C" fn $copy_n(
            dst: *mut $t,
            cch: usize,
            src: *const $t,
            n: usize,
        ) -> i32 {
            // SAFETY: same contract.
            unsafe { copy_checked(dst, cch, src, n) }
        }

        /// `StringCchCat`: appends `src` to the string in `dst` (`cch` characters).
        ///
        /// # Safety
        /// `dst` NULL or `cch` characters; `src` NULL or NUL-terminated.
        #[no_mangle]
        pub unsafe extern "C" fn $cat(dst: *mut $t, cch: usize, src: *const $t) -> i32 {
            // SAFETY: same contract.
            unsafe { cat_checked(dst, cch, src, STRSAFE_MAX_CCH) }
        }

        /// `StringCchCatN`: appends at most `n` characters of `src`.
        ///
        /// # Safety
        /// `dst` NULL or `cch` characters; `src` NULL or readable up to its NUL or `n`.
        #[no_mangle]
        pub unsafe extern "C" fn $cat_n(dst: *mut $t, cch: usize, src: *const $t, n: usize) -> i32 {
            // SAFETY: same contract.
            unsafe { cat_checked(dst, cch, src, n) }
        }

        /// `StringCchLength`: the length of `s`, which must end within `max` characters.
        ///
        /// # Safety
        /// `s` NULL or readable up to its NUL or `max`; `out` NULL or writable.
        #[no_mangle]
        pub unsafe extern "C" fn $len(s: *const $t, max: usize, out: *mut usize) -> i32 {
            // SAFETY: same contract.
            unsafe { length(s, max, out, 1) }
        }

        /// `StringCbCopy`: `StringCchCopy` with the size in bytes.
        ///
        /// # Safety
        /// `dst` NULL or `cb` bytes; `src` NULL or NUL-terminated.
        #[no_mangle]
        pub unsafe extern "C" fn $cb_copy(dst: *mut $t, cb: usize, src: *const $t) -> i32 {
            // SAFETY: same contract, in characters.
            unsafe { copy_checked(dst, cb / size_of::<$t>(), src, STRSAFE_MAX_CCH) }
        }

        /// `StringCbCopyN`: at most `cb_src` bytes of `src`.
        ///
        /// # Safety
        /// `dst` NULL or `cb` bytes; `src` NULL or readable up to its NUL or `cb_src` bytes.
        #[no_mangle]
        pub unsafe extern "C" fn $cb_copy_n(
            dst: *mut $t,
            cb: usize,
            src: *const $t,
            cb_src: usize,
        ) -> i32 {
            // SAFETY: same contract, in characters.
            unsafe { copy_checked(dst, cb / size_of::<$t>(), src, cb_src / size_of::<$t>()) }
        }

        /// `StringCbCat`.
        ///
        /// # Safety
        /// `dst` NULL or `cb` bytes; `src` NULL or NUL-terminated.
        #[no_mangle]
        pub unsafe extern "C" fn $cb_cat(dst: *mut $t, cb: usize, src: *const $t) -> i32 {
            // SAFETY: same contract, in characters.
            unsafe { cat_checked(dst, cb / size_of::<$t>(), src, STRSAFE_MAX_CCH) }
        }

        /// `StringCbCatN`.
        ///
        /// # Safety
        /// `dst` NULL or `cb` bytes; `src` NULL or readable up to its NUL or `cb_src` bytes.
        #[no_mangle]
        pub unsafe extern "C" fn $cb_cat_n(
            dst: *mut $t,
            cb: usize,
            src: *const $t,
            cb_src: usize,
        ) -> i32 {
            // SAFETY: same contract, in characters.
            unsafe { cat_checked(dst, cb / size_of::<$t>(), src, cb_src / size_of::<$t>()) }
        }

        /// `StringCbLength`: the length of `s` in bytes; it must end within `cb_max` bytes.
        ///
        /// # Safety
        /// `s` NULL or readable up to its NUL or `cb_max` bytes; `out` NULL or writable.
        #[no_mangle]
        pub unsafe extern "C" fn $cb_len(s: *const $t, cb_max: usize, out: *mut usize) -> i32 {
            // SAFETY: same contract, in characters.
            unsafe { length(s, cb_max / size_of::<$t>(), out, size_of::<$t>()) }
        }
    };
}

strsafe!(
    c_char,
    StringCchCopyA,
    StringCchCopyNA,
    StringCchCatA,
    StringCchCatNA,
    StringCchLengthA,
    StringCbCopyA,
    StringCbCopyNA,
    StringCbCatA,
    StringCbCatNA,
    StringCbLengthA
);
strsafe!(
    u16,
    StringCchCopyW,
    StringCchCopyNW,
    StringCchCatW,
    StringCchCatNW,
    StringCchLengthW,
    StringCbCopyW,
    StringCbCopyNW,
    StringCbCatW,
    StringCbCatNW,
    StringCbLengthW
);
