//! The user32 calls console programs make: `MessageBoxA/W` (and `Ex`), which write the caption
//! and text to standard error and answer as if the default button were pressed, and
//! `MessageBeep`. `wsprintfA/W` are `static inline` in `include/fmap_user32.h` (variadic).

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::text::{ansi_bytes, wide_units};
use std::ffi::{c_char, c_void};
use std::io::Write;

/// The answer of the default button of button set `style & MB_TYPEMASK`, or `None` for an
/// unknown set.
fn default_answer(style: u32) -> Option<i32> {
    let buttons: &[u32] = match style & MB_TYPEMASK {
        MB_OK => &[IDOK],
        MB_OKCANCEL => &[IDOK, IDCANCEL],
        MB_ABORTRETRYIGNORE => &[IDABORT, IDRETRY, IDIGNORE],
        MB_YESNOCANCEL => &[IDYES, IDNO, IDCANCEL],
        MB_YESNO => &[IDYES, IDNO],
        MB_RETRYCANCEL => &[IDRETRY, IDCANCEL],
        MB_CANCELTRYCONTINUE => &[IDCANCEL, IDTRYAGAIN, IDCONTINUE],
        _ => return None,
    };
    // MB_DEFBUTTON2/3/4 name a button the set may not have: then the first, as Windows does.
    let i = ((style & MB_DEFMASK) >> 8) as usize;
    Some(*buttons.get(i).unwrap_or(&buttons[0]) as i32)
}

fn message_box(text: &str, caption: Option<&str>, style: u32) -> i32 {
    let Some(answer) = default_answer(style) else {
        return fail(ERROR_INVALID_MSGBOX_STYLE, 0);
    };
    // Windows' caption when none is given.
    let caption = caption.unwrap_or("Error");
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{caption}: {text}");
    let _ = err.flush();
    answer
}

/// `MessageBoxA`: writes `caption: text` to standard error and returns the default button's
/// answer (`IDOK` for `MB_OK`); a NULL caption is `Error`, a NULL text empty. Unknown button
/// set: 0, `ERROR_INVALID_MSGBOX_STYLE`.
///
/// # Safety
/// `text` and `caption` must be NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn MessageBoxA(
    _hwnd: *mut c_void,
    text: *const c_char,
    caption: *const c_char,
    style: u32,
) -> i32 {
    let narrow = |p: *const c_char| {
        // SAFETY: NULL or a NUL-terminated string (this function's contract).
        (!p.is_null()).then(|| String::from_utf8_lossy(unsafe { ansi_bytes(p) }).into_owned())
    };
    message_box(
        &narrow(text).unwrap_or_default(),
        narrow(caption).as_deref(),
        style,
    )
}

/// `MessageBoxW`: as [`MessageBoxA`] with UTF-16 strings.
///
/// # Safety
/// `text` and `caption` must be NULL or NUL-terminated wide strings.
#[no_mangle]
pub unsafe extern "C" fn MessageBoxW(
    _hwnd: *mut c_void,
    text: *const u16,
    caption: *const u16,
    style: u32,
) -> i32 {
    let wide = |p: *const u16| {
        // SAFETY: NULL or a NUL-terminated wide string (this function's contract).
        (!p.is_null()).then(|| String::from_utf16_lossy(unsafe { wide_units(p) }))
    };
    message_box(
        &wide(text).unwrap_or_default(),
        wide(caption).as_deref(),
        style,
    )
}

/// `MessageBoxExA`: [`MessageBoxA`]; the language is ignored.
///
/// # Safety
/// As [`MessageBoxA`].
#[no_mangle]
pub unsafe extern "C" fn MessageBoxExA(
    hwnd: *mut c_void,
    text: *const c_char,
    caption: *const c_char,
    style: u32,
    _lang: u16,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { MessageBoxA(hwnd, text, caption, style) }
}

/// `MessageBoxExW`: [`MessageBoxW`]; the language is ignored.
///
/// # Safety
/// As [`MessageBoxW`].
#[no_mangle]
pub unsafe extern "C" fn MessageBoxExW(
    hwnd: *mut c_void,
    text: *const u16,
    caption: *const u16,
    style: u32,
    _lang: u16,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { MessageBoxW(hwnd, text, caption, style) }
}

/// `MessageBeep`: no sound on a console; `TRUE`.
#[no_mangle]
pub extern "C" fn MessageBeep(_kind: u32) -> i32 {
    TRUE
}
