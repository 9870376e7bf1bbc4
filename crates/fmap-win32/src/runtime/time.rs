//! `Sleep`, `GetTickCount`, `GetTickCount64`, `QueryPerformanceCounter`,
//! `QueryPerformanceFrequency`: Linux clocks (`CLOCK_BOOTTIME`, `CLOCK_MONOTONIC`).

use crate::abi::consts::*;
use crate::abi::text::put;
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
    // SAFETY: `count` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(count, clock_ns(libc::CLOCK_MONOTONIC) as i64) };
    TRUE
}

/// # Safety
/// `freq` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn QueryPerformanceFrequency(freq: *mut i64) -> i32 {
    // SAFETY: `freq` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(freq, 1_000_000_000) };
    TRUE
}
