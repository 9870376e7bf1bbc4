//! The process status API (`psapi.h`) from `/proc`: `EnumProcesses`, `GetProcessMemoryInfo`,
//! `GetModuleBaseNameA/W`, `GetModuleFileNameExA/W`.
//!
//! A process handle needs a query right (`PROCESS_QUERY_(LIMITED_)INFORMATION`, else
//! `ERROR_ACCESS_DENIED`); `GetCurrentProcess()` is this process. A process that has ended is
//! `ERROR_INVALID_HANDLE`: its pid may name another process by now.

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{self, Handle, Obj};
use crate::runtime::paths::{module_out, module_path};
use crate::runtime::process::QUERY_ANY;
use std::ffi::{c_char, c_void};
use std::sync::atomic::Ordering::SeqCst;

/// The pid of a process handle that may be queried.
fn pid_of(h: Handle) -> Result<u32, u32> {
    if h == table::CURRENT_PROCESS {
        return Ok(std::process::id());
    }
    match table::get(h).as_deref() {
        Ok(Obj::Process(t, false, access)) => {
            if access & QUERY_ANY == 0 {
                Err(ERROR_ACCESS_DENIED)
            } else if t.ended() {
                Err(ERROR_INVALID_HANDLE)
            } else {
                Ok(t.id.load(SeqCst))
            }
        }
        _ => Err(ERROR_INVALID_HANDLE),
    }
}

/// `EnumProcesses`: the pids of `/proc`, as many as `cb` bytes hold (Windows does not say
/// when there are more: call again with a larger buffer while `*needed == cb`). `needed`
/// NULL, or `pids` NULL with `cb` > 0: `ERROR_NOACCESS` (Windows faults on them and reports
/// this).
///
/// # Safety
/// `pids` must hold `cb` bytes; `needed` must be writable.
#[no_mangle]
pub unsafe extern "C" fn EnumProcesses(pids: *mut u32, cb: u32, needed: *mut u32) -> i32 {
    if needed.is_null() || (pids.is_null() && cb != 0) {
        return fail(ERROR_NOACCESS, FALSE);
    }
    let all = match list_pids() {
        Ok(v) => v,
        Err(e) => return fail(e, FALSE),
    };
    let n = all.len().min(cb as usize / 4);
    // SAFETY: `pids` holds `cb` bytes (this function's contract), so `n` u32s; `needed` is
    // writable.
    unsafe {
        if n > 0 {
            std::ptr::copy_nonoverlapping(all.as_ptr(), pids, n);
        }
        needed.write((n * 4) as u32);
    }
    TRUE
}

/// The numeric entries of `/proc`.
pub(crate) fn list_pids() -> Result<Vec<u32>, u32> {
    let dir = std::fs::read_dir("/proc").map_err(|_| ERROR_ACCESS_DENIED)?;
    let mut v: Vec<u32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    v.sort_unstable();
    Ok(v)
}

/// `PROCESS_MEMORY_COUNTERS(_EX)`.
#[repr(C)]
pub struct ProcessMemoryCounters {
    cb: u32,
    page_fault_count: u32,
    peak_working_set_size: usize,
    working_set_size: usize,
    quota_peak_paged_pool_usage: usize,
    quota_paged_pool_usage: usize,
    quota_peak_non_paged_pool_usage: usize,
    quota_non_paged_pool_usage: usize,
    pagefile_usage: usize,
    peak_pagefile_usage: usize,
    /// `_EX` only.
    private_usage: usize,
}

/// A `kB` field of `/proc/<pid>/status`, in bytes.
fn status_kb(status: &str, key: &str) -> usize {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<usize>().ok())
        .unwrap_or(0)
        * 1024
}

/// `GetProcessMemoryInfo`: from `/proc/<pid>/status` and `stat` — `WorkingSetSize` is `VmRSS`,
/// `PeakWorkingSetSize` `VmHWM`, `PagefileUsage` and `PrivateUsage` (the commit charge) `VmData`
/// \+ `VmStk`, `PeakPagefileUsage` the same (Linux keeps no peak of it), `PageFaultCount` minor
/// \+ major faults; the pool quotas are 0. `cb` must
/// be at least `sizeof(PROCESS_MEMORY_COUNTERS)` (72; `_EX`, 80, adds `PrivateUsage`), else
/// `ERROR_INSUFFICIENT_BUFFER`; `counters` NULL: `ERROR_NOACCESS`.
///
/// # Safety
/// `counters` must be NULL or hold `cb` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn GetProcessMemoryInfo(
    h: Handle,
    counters: *mut ProcessMemoryCounters,
    cb: u32,
) -> i32 {
    const BASE: usize = std::mem::size_of::<ProcessMemoryCounters>() - 8;
    let pid = match pid_of(h) {
        Ok(p) => p,
        Err(e) => return fail(e, FALSE),
    };
    if (cb as usize) < BASE {
        return fail(ERROR_INSUFFICIENT_BUFFER, FALSE);
    }
    if counters.is_null() {
        return fail(ERROR_NOACCESS, FALSE);
    }
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return fail(ERROR_ACCESS_DENIED, FALSE);
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces and parentheses): state is field 3,
    // minflt 10, majflt 12.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let field = |n: usize| -> u64 {
        rest.split_whitespace()
            .nth(n - 3)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let commit = status_kb(&status, "VmData") + status_kb(&status, "VmStk");
    let c = ProcessMemoryCounters {
        cb: if cb as usize >= BASE + 8 {
            (BASE + 8) as u32
        } else {
            BASE as u32
        },
        page_fault_count: (field(10) + field(12)).min(u32::MAX as u64) as u32,
        peak_working_set_size: status_kb(&status, "VmHWM"),
        working_set_size: status_kb(&status, "VmRSS"),
        quota_peak_paged_pool_usage: 0,
        quota_paged_pool_usage: 0,
        quota_peak_non_paged_pool_usage: 0,
        quota_non_paged_pool_usage: 0,
        pagefile_usage: commit,
        peak_pagefile_usage: commit,
        private_usage: commit,
    };
    let size = c.cb as usize;
    // SAFETY: `counters` holds `cb >= size` bytes (this function's contract); the source is a
    // whole struct of which the first `size` bytes are copied.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (&c as *const ProcessMemoryCounters).cast::<u8>(),
            counters.cast::<u8>(),
            size,
        )
    };
    TRUE
}

/// The program of process `pid`: its path (`/proc/<pid>/exe`), or for a process whose
/// executable this user may not see, only its name (`/proc/<pid>/comm`).
fn exe_of(pid: u32, full: bool) -> Result<String, u32> {
    if pid == std::process::id() {
        return module_path(std::ptr::null_mut()).ok_or(ERROR_ACCESS_DENIED);
    }
    match std::fs::read_link(format!("/proc/{pid}/exe")) {
        Ok(p) => Ok(p.display().to_string()),
        Err(_) if !full => std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|s| s.trim_end_matches('\n').to_owned())
            .map_err(|_| ERROR_ACCESS_DENIED),
        Err(_) => Err(ERROR_ACCESS_DENIED),
    }
}

/// The module's path: NULL is the program; another module only in this process (a module
/// handle of another process means nothing here: `ERROR_INVALID_HANDLE`).
fn module_of(h: Handle, module: *mut c_void, full: bool) -> Result<String, u32> {
    let pid = pid_of(h)?;
    let path = if module.is_null() {
        exe_of(pid, full)?
    } else if pid == std::process::id() {
        module_path(module).ok_or(ERROR_INVALID_HANDLE)?
    } else {
        return Err(ERROR_INVALID_HANDLE);
    };
    Ok(if full {
        path
    } else {
        path.rsplit('/').next().unwrap_or("").to_owned()
    })
}

/// # Safety
/// `buf` must hold `size` bytes.
unsafe fn out_a(r: Result<String, u32>, buf: *mut c_char, size: u32) -> u32 {
    match r {
        // SAFETY: forwarded contract.
        Ok(s) => unsafe { module_out(s.as_bytes(), buf.cast::<u8>(), size) },
        Err(e) => fail(e, 0),
    }
}

/// # Safety
/// `buf` must hold `size` units.
unsafe fn out_w(r: Result<String, u32>, buf: *mut u16, size: u32) -> u32 {
    match r {
        Ok(s) => {
            let w: Vec<u16> = s.encode_utf16().collect();
            // SAFETY: forwarded contract.
            unsafe { module_out(&w, buf, size) }
        }
        Err(e) => fail(e, 0),
    }
}

/// `GetModuleBaseNameA`: the file name of the module (NULL: the program) of a process; the
/// length copied, truncated and NUL-terminated with `ERROR_INSUFFICIENT_BUFFER` when the buffer
/// is too small (as `GetModuleFileName`).
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes; `module` NULL or a module handle.
#[no_mangle]
pub unsafe extern "C" fn GetModuleBaseNameA(
    h: Handle,
    module: *mut c_void,
    buf: *mut c_char,
    size: u32,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { out_a(module_of(h, module, false), buf, size) }
}

/// `GetModuleBaseNameW`: as [`GetModuleBaseNameA`], UTF-16.
///
/// # Safety
/// `buf` must be NULL or hold `size` units; `module` NULL or a module handle.
#[no_mangle]
pub unsafe extern "C" fn GetModuleBaseNameW(
    h: Handle,
    module: *mut c_void,
    buf: *mut u16,
    size: u32,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { out_w(module_of(h, module, false), buf, size) }
}

/// `GetModuleFileNameExA`: the full path of the module (NULL: the program) of a process; a
/// process whose executable this user may not read: `ERROR_ACCESS_DENIED`.
///
/// # Safety
/// `buf` must be NULL or hold `size` bytes; `module` NULL or a module handle.
#[no_mangle]
pub unsafe extern "C" fn GetModuleFileNameExA(
    h: Handle,
    module: *mut c_void,
    buf: *mut c_char,
    size: u32,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { out_a(module_of(h, module, true), buf, size) }
}

/// `GetModuleFileNameExW`: as [`GetModuleFileNameExA`], UTF-16.
///
/// # Safety
/// `buf` must be NULL or hold `size` units; `module` NULL or a module handle.
#[no_mangle]
pub unsafe extern "C" fn GetModuleFileNameExW(
    h: Handle,
    module: *mut c_void,
    buf: *mut u16,
    size: u32,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { out_w(module_of(h, module, true), buf, size) }
}
