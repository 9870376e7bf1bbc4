//! The per-thread last-error value: `GetLastError`, `SetLastError`, and [`fail`], the failure
//! path of every exported function.

use std::cell::Cell;

thread_local! {
    static LAST_ERROR: Cell<u32> = const { Cell::new(0) };
}

/// `SetLastError` from Rust.
pub fn set_last_error(code: u32) {
    LAST_ERROR.with(|c| c.set(code));
}

/// `GetLastError` from Rust.
pub fn last_error() -> u32 {
    LAST_ERROR.with(|c| c.get())
}

/// Sets the last error to `code` and returns `ret`: the failure path of every function.
pub fn fail<T>(code: u32, ret: T) -> T {
    set_last_error(code);
    ret
}

#[no_mangle]
pub extern "C" fn GetLastError() -> u32 {
    last_error()
}

#[no_mangle]
pub extern "C" fn SetLastError(code: u32) {
    set_last_error(code)
}
