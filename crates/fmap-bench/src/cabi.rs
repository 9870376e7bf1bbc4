//! fmap's C ABI (crates/fmap-win32) called in-process, next to the Rust API and the raw
//! primitive: the same exported functions a C program calls (`WaitForSingleObject`,
//! `ReleaseMutex`, `ReleaseSemaphore`, `SetEvent`), linked as a Rust library instead of through
//! `libfmap_win32.so` (no PLT call; nothing is inlined across the crate boundary, as the
//! functions are not `#[inline]` and the release profile has no LTO).

use fmap_win32::abi::consts::{INFINITE, WAIT_OBJECT_0};
use fmap_win32::abi::table::Handle;
use fmap_win32::objects::{handles, sync};
use std::ptr::{null, null_mut};

/// A handle of the C ABI's table, closed on drop.
pub struct H(pub Handle);

impl Drop for H {
    fn drop(&mut self) {
        handles::CloseHandle(self.0);
    }
}

fn check(h: Handle, what: &str) -> H {
    assert!(!h.is_null(), "{what} failed");
    H(h)
}

/// `CreateMutexA(NULL, FALSE, NULL)`: an unnamed mutex.
pub fn mutex() -> H {
    // SAFETY: a NULL name is allowed.
    check(
        unsafe { sync::CreateMutexA(null(), 0, null()) },
        "CreateMutexA",
    )
}

/// `CreateSemaphoreA(NULL, 0, LONG_MAX, NULL)`.
pub fn semaphore() -> H {
    // SAFETY: a NULL name is allowed.
    check(
        unsafe { sync::CreateSemaphoreA(null(), 0, i32::MAX, null()) },
        "CreateSemaphoreA",
    )
}

/// `CreateEventA(NULL, FALSE, FALSE, NULL)`: an unnamed auto-reset event.
pub fn event() -> H {
    // SAFETY: a NULL name is allowed.
    check(
        unsafe { sync::CreateEventA(null(), 0, 0, null()) },
        "CreateEventA",
    )
}

/// `WaitForSingleObject(m, INFINITE)` + `ReleaseMutex(m)`.
#[inline(never)]
pub fn lock_unlock(m: &H) {
    let r = sync::WaitForSingleObject(m.0, INFINITE);
    debug_assert_eq!(r, WAIT_OBJECT_0);
    std::hint::black_box(r);
    std::hint::black_box(sync::ReleaseMutex(m.0));
}

/// `ReleaseSemaphore(s, 1, NULL)`.
#[inline(never)]
pub fn sem_release(s: &H) {
    // SAFETY: a NULL previous-count pointer is allowed.
    std::hint::black_box(unsafe { sync::ReleaseSemaphore(s.0, 1, null_mut()) });
}

/// `SetEvent(e)`.
#[inline(never)]
pub fn set_event(e: &H) {
    std::hint::black_box(sync::SetEvent(e.0));
}

/// Drains a semaphore (so its count stays far from the maximum).
pub fn sem_drain(s: &H) {
    while sync::WaitForSingleObject(s.0, 0) == WAIT_OBJECT_0 {}
}

// SAFETY: a handle value is an index into the process-wide table, usable from any thread (as on
// Windows).
unsafe impl Send for H {}
// SAFETY: as above; the functions called on it take the handle by value.
unsafe impl Sync for H {}
