//! Tool Help (`tlhelp32.h`) from `/proc`: `CreateToolhelp32Snapshot` with `TH32CS_SNAPPROCESS`
//! and `TH32CS_SNAPTHREAD`, `Process32First/Next(W)`, `Thread32First/Next`.
//!
//! A snapshot is a handle of its own (closed with `CloseHandle`, duplicable, not waitable)
//! holding the processes and threads as they were when it was taken. Modules and heaps
//! (`TH32CS_SNAPMODULE`, `TH32CS_SNAPHEAPLIST`) are `ERROR_NOT_SUPPORTED`.

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{self, Handle, Obj};
use crate::runtime::psapi::list_pids;
use std::ffi::c_char;

use std::sync::{Arc, Mutex};

pub const TH32CS_SNAPHEAPLIST: u32 = 0x1;
pub const TH32CS_SNAPPROCESS: u32 = 0x2;
pub const TH32CS_SNAPTHREAD: u32 = 0x4;
pub const TH32CS_SNAPMODULE: u32 = 0x8;
pub const TH32CS_SNAPMODULE32: u32 = 0x10;
pub const TH32CS_INHERIT: u32 = 0x8000_0000;

/// One process of a snapshot.
#[derive(Debug)]
struct Proc {
    pid: u32,
    ppid: u32,
    threads: u32,
    /// `comm` (the kernel's 15-byte name), or the executable's file name when it can be read.
    name: String,
}

/// A Tool Help snapshot: what was taken and where `Process32Next`/`Thread32Next` are.
#[derive(Debug)]
pub struct Snapshot {
    procs: Vec<Proc>,
    /// `(thread id, process id)`.
    threads: Vec<(u32, u32)>,
    /// The next process and thread to report.
    cursor: Mutex<(usize, usize)>,
}

fn take(flags: u32) -> Result<Snapshot, u32> {
    let mut procs = Vec::new();
    let mut threads = Vec::new();
    for pid in list_pids()? {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // ended meanwhile
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head
            .split_once('(')
            .map(|(_, c)| c)
            .unwrap_or("")
            .to_owned();
        let f: Vec<&str> = rest.split_whitespace().collect();
        // rest starts at field 3 (state): ppid is field 4, num_threads field 20.
        let ppid = f.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
        let nthreads = f.get(17).and_then(|v| v.parse().ok()).unwrap_or(1);
        let name = std::fs::read_link(format!("/proc/{pid}/exe"))
            .ok()
            .and_then(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
            .map(|n| n.trim_end_matches(" (deleted)").to_owned())
            .unwrap_or(comm);
        if flags & TH32CS_SNAPTHREAD != 0 {
            if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
                let mut tids: Vec<u32> = dir
                    .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect();
                tids.sort_unstable();
                threads.extend(tids.into_iter().map(|t| (t, pid)));
            }
        }
        if flags & TH32CS_SNAPPROCESS != 0 {
            procs.push(Proc {
                pid,
                ppid,
                threads: nthreads,
                name,
            });
        }
    }
    Ok(Snapshot {
        procs,
        threads,
        cursor: Mutex::new((0, 0)),
    })
}

/// `CreateToolhelp32Snapshot`: `TH32CS_SNAPPROCESS` and/or `TH32CS_SNAPTHREAD` (every process
/// and thread of the system this user can see; `pid` is ignored, as Windows does for them),
/// `TH32CS_INHERIT` accepted (a snapshot is not passed to child processes: they would take
/// their own). `TH32CS_SNAPMODULE(32)` and
/// `TH32CS_SNAPHEAPLIST`: `INVALID_HANDLE_VALUE`, `ERROR_NOT_SUPPORTED`; no flag at all:
/// `ERROR_INVALID_PARAMETER`. Fails with `INVALID_HANDLE_VALUE`.
#[no_mangle]
pub extern "C" fn CreateToolhelp32Snapshot(flags: u32, _pid: u32) -> Handle {
    let invalid = INVALID_HANDLE_VALUE as Handle;
    if flags & (TH32CS_SNAPMODULE | TH32CS_SNAPMODULE32 | TH32CS_SNAPHEAPLIST) != 0 {
        return fail(ERROR_NOT_SUPPORTED, invalid);
    }
    if flags & (TH32CS_SNAPPROCESS | TH32CS_SNAPTHREAD) == 0 {
        return fail(ERROR_INVALID_PARAMETER, invalid);
    }
    let snap = match take(flags) {
        Ok(s) => s,
        Err(e) => return fail(e, invalid),
    };
    match table::insert(Obj::Snapshot(Arc::new(snap))) {
        Ok(h) => h,
        Err(e) => fail(e, invalid),
    }
}

/// `PROCESSENTRY32` without its name.
#[repr(C)]
struct EntryHead {
    size: u32,
    usage: u32,
    pid: u32,
    heap: usize,
    module: u32,
    threads: u32,
    ppid: u32,
    pri_base: i32,
    flags: u32,
}
/// Where `szExeFile` starts: after `dwFlags` (the struct's own size has tail padding).
const HEAD: usize = std::mem::offset_of!(EntryHead, flags) + 4;
const MAX_PATH_: usize = 260;

fn snapshot(h: Handle) -> Result<Arc<Snapshot>, u32> {
    match table::get(h).as_deref() {
        Ok(Obj::Snapshot(s)) => Ok(s.clone()),
        _ => Err(ERROR_INVALID_HANDLE),
    }
}

/// Fills the entry at `index` (or says `ERROR_NO_MORE_FILES`); `unit` is 1 (A) or 2 (W).
///
/// # Safety
/// `entry` must be NULL or point to `dwSize` writable bytes, `dwSize` first.
unsafe fn process_entry(h: Handle, entry: *mut u8, unit: usize, first: bool) -> i32 {
    let snap = match snapshot(h) {
        Ok(s) => s,
        Err(e) => return fail(e, FALSE),
    };
    if entry.is_null() {
        return fail(ERROR_NOACCESS, FALSE);
    }
    // SAFETY: `entry` starts with its size (the caller's contract).
    let size = unsafe { entry.cast::<u32>().read_unaligned() } as usize;
    if size < HEAD + MAX_PATH_ * unit {
        return fail(ERROR_BAD_LENGTH, FALSE);
    }
    let mut cur = snap.cursor.lock().unwrap_or_else(|e| e.into_inner());
    if first {
        cur.0 = 0;
    }
    let Some(p) = snap.procs.get(cur.0) else {
        return fail(ERROR_NO_MORE_FILES, FALSE);
    };
    cur.0 += 1;
    let head = EntryHead {
        size: size as u32,
        usage: 0,
        pid: p.pid,
        heap: 0,
        module: 0,
        threads: p.threads,
        ppid: p.ppid,
        pri_base: 8,
        flags: 0,
    };
    // SAFETY: the entry holds `size >= HEAD + MAX_PATH * unit` bytes (checked above and the
    // caller's contract); the name is cut to MAX_PATH - 1 units and NUL-terminated.
    unsafe {
        std::ptr::copy_nonoverlapping((&head as *const EntryHead).cast::<u8>(), entry, HEAD);
        let name = entry.add(HEAD);
        if unit == 1 {
            let b = p.name.as_bytes();
            let n = b.len().min(MAX_PATH_ - 1);
            std::ptr::copy_nonoverlapping(b.as_ptr(), name, n);
            name.add(n).write(0);
        } else {
            let w: Vec<u16> = p.name.encode_utf16().take(MAX_PATH_ - 1).collect();
            let name = name.cast::<u16>();
            for (i, u) in w.iter().enumerate() {
                name.add(i).write_unaligned(*u);
            }
            name.add(w.len()).write_unaligned(0);
        }
    }
    TRUE
}

/// `Process32First`: the snapshot's first process into a `PROCESSENTRY32` whose `dwSize` is
/// set (smaller than the structure: `ERROR_BAD_LENGTH`). `szExeFile` is the executable's file
/// name (the kernel's 15-character `comm` for a process whose executable this user may not
/// see), `cntThreads` its threads, `th32ParentProcessID` its parent, `pcPriClassBase` 8; the
/// other fields 0. No processes in the snapshot: `ERROR_NO_MORE_FILES`.
///
/// # Safety
/// `entry` must be NULL or a `PROCESSENTRY32` with `dwSize` set.
#[no_mangle]
pub unsafe extern "C" fn Process32First(h: Handle, entry: *mut c_char) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { process_entry(h, entry.cast(), 1, true) }
}

/// `Process32Next`: the next process; after the last, `ERROR_NO_MORE_FILES`.
///
/// # Safety
/// As [`Process32First`].
#[no_mangle]
pub unsafe extern "C" fn Process32Next(h: Handle, entry: *mut c_char) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { process_entry(h, entry.cast(), 1, false) }
}

/// `Process32FirstW`: [`Process32First`] with a `PROCESSENTRY32W`.
///
/// # Safety
/// `entry` must be NULL or a `PROCESSENTRY32W` with `dwSize` set.
#[no_mangle]
pub unsafe extern "C" fn Process32FirstW(h: Handle, entry: *mut u16) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { process_entry(h, entry.cast(), 2, true) }
}

/// `Process32NextW`: [`Process32Next`] with a `PROCESSENTRY32W`.
///
/// # Safety
/// As [`Process32FirstW`].
#[no_mangle]
pub unsafe extern "C" fn Process32NextW(h: Handle, entry: *mut u16) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { process_entry(h, entry.cast(), 2, false) }
}

/// `THREADENTRY32`.
#[repr(C)]
pub struct ThreadEntry32 {
    size: u32,
    usage: u32,
    tid: u32,
    owner: u32,
    base_pri: i32,
    delta_pri: i32,
    flags: u32,
}

/// # Safety
/// `entry` must be NULL or a `THREADENTRY32` with `dwSize` set.
unsafe fn thread_entry(h: Handle, entry: *mut ThreadEntry32, first: bool) -> i32 {
    let snap = match snapshot(h) {
        Ok(s) => s,
        Err(e) => return fail(e, FALSE),
    };
    if entry.is_null() {
        return fail(ERROR_NOACCESS, FALSE);
    }
    // SAFETY: the entry starts with its size (the caller's contract).
    let size = unsafe { (*entry).size } as usize;
    if size < std::mem::size_of::<ThreadEntry32>() {
        return fail(ERROR_BAD_LENGTH, FALSE);
    }
    let mut cur = snap.cursor.lock().unwrap_or_else(|e| e.into_inner());
    if first {
        cur.1 = 0;
    }
    let Some(&(tid, owner)) = snap.threads.get(cur.1) else {
        return fail(ERROR_NO_MORE_FILES, FALSE);
    };
    cur.1 += 1;
    // SAFETY: the entry is a whole THREADENTRY32 (size checked, the caller's contract).
    unsafe {
        entry.write(ThreadEntry32 {
            size: size as u32,
            usage: 0,
            tid,
            owner,
            base_pri: 8,
            delta_pri: 0,
            flags: 0,
        })
    };
    TRUE
}

/// `Thread32First`: the snapshot's first thread (`TH32CS_SNAPTHREAD`) into a `THREADENTRY32`
/// whose `dwSize` is set: its id (the Linux thread id, what `GetCurrentThreadId` says) and
/// its process; `tpBasePri` 8. No threads: `ERROR_NO_MORE_FILES`.
///
/// # Safety
/// `entry` must be NULL or a `THREADENTRY32` with `dwSize` set.
#[no_mangle]
pub unsafe extern "C" fn Thread32First(h: Handle, entry: *mut ThreadEntry32) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { thread_entry(h, entry, true) }
}

/// `Thread32Next`: the next thread; after the last, `ERROR_NO_MORE_FILES`.
///
/// # Safety
/// As [`Thread32First`].
#[no_mangle]
pub unsafe extern "C" fn Thread32Next(h: Handle, entry: *mut ThreadEntry32) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { thread_entry(h, entry, false) }
}
