//! Virtual memory: `VirtualAlloc`, `VirtualFree`, `VirtualProtect`, `VirtualQuery`.
//!
//! Allocations are anonymous private mappings at 64 KiB-aligned addresses (Windows'
//! allocation granularity); a reservation is mapped `PROT_NONE` with `MAP_NORESERVE` and
//! committed by `mprotect`. The allocations this module made are kept in a table (base →
//! size), which `MEM_RELEASE` and commits inside a reservation consult. `VirtualQuery` reads
//! `/proc/self/maps`, so it describes every region of the address space: views of sections
//! (`MEM_MAPPED`, with their protection — `PAGE_WRITECOPY` for copy-on-write views), the
//! program and its libraries (`MEM_IMAGE`), heap and stacks (`MEM_PRIVATE`), reservations
//! (`MEM_RESERVE`) and holes (`MEM_FREE`).

use crate::abi::consts::*;
use crate::abi::error::fail;
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::Mutex;

const MEM_COMMIT: u32 = 0x1000;
const MEM_RESERVE: u32 = 0x2000;
const MEM_DECOMMIT: u32 = 0x4000;
const MEM_RELEASE: u32 = 0x8000;
const MEM_FREE: u32 = 0x10000;
const MEM_PRIVATE: u32 = 0x20000;
const MEM_MAPPED: u32 = 0x40000;
const MEM_RESET: u32 = 0x80000;
const MEM_TOP_DOWN: u32 = 0x100000;
const MEM_IMAGE: u32 = 0x100_0000;
const PAGE_EXECUTE: u32 = 0x10;
const ERROR_NOACCESS: u32 = 998;

const GRANULARITY: usize = 64 * 1024;
const PAGE: usize = 4096;

/// The allocations `VirtualAlloc` made: base → size.
static ALLOCATIONS: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

fn allocations() -> std::sync::MutexGuard<'static, BTreeMap<usize, usize>> {
    ALLOCATIONS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The allocation (base, size) containing `addr`, if `VirtualAlloc` made one.
fn allocation_of(addr: usize) -> Option<(usize, usize)> {
    let a = allocations();
    let (&base, &size) = a.range(..=addr).next_back()?;
    (addr < base + size).then_some((base, size))
}

/// `PROT_*` for a `PAGE_*` value `VirtualAlloc`/`VirtualProtect` accept.
fn prot_of(page: u32) -> Option<i32> {
    Some(match page {
        PAGE_NOACCESS => libc::PROT_NONE,
        PAGE_READONLY => libc::PROT_READ,
        PAGE_READWRITE => libc::PROT_READ | libc::PROT_WRITE,
        PAGE_EXECUTE => libc::PROT_EXEC,
        PAGE_EXECUTE_READ => libc::PROT_READ | libc::PROT_EXEC,
        PAGE_EXECUTE_READWRITE => libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
        _ => return None,
    })
}

/// Maps `size` bytes (a multiple of the page size) of anonymous memory at a 64 KiB-aligned
/// address chosen by the system.
fn map_aligned(size: usize, prot: i32) -> Option<usize> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    let span = size.checked_add(GRANULARITY)?;
    // SAFETY: a new anonymous mapping; nothing existing is touched.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), span, prot, flags, -1, 0) };
    if p == libc::MAP_FAILED {
        return None;
    }
    let start = p as usize;
    let base = start.next_multiple_of(GRANULARITY);
    // SAFETY: both trimmed pieces lie inside the mapping just made, which nobody else uses.
    unsafe {
        if base > start {
            libc::munmap(start as *mut c_void, base - start);
        }
        let end = base + size;
        if start + span > end {
            libc::munmap(end as *mut c_void, start + span - end);
        }
    }
    Some(base)
}

/// # Safety
/// A non-NULL `addr` names memory the caller means to reserve or commit; committing changes
/// the protection of pages of a reservation this module made.
#[no_mangle]
pub unsafe extern "C" fn VirtualAlloc(
    addr: *mut c_void,
    size: usize,
    kind: u32,
    protect: u32,
) -> *mut c_void {
    let null = std::ptr::null_mut();
    let Some(prot) = prot_of(protect) else {
        return fail(ERROR_INVALID_PARAMETER, null);
    };
    let known = MEM_COMMIT | MEM_RESERVE | MEM_RESET | MEM_TOP_DOWN;
    if size == 0 || kind & !known != 0 || kind & (MEM_COMMIT | MEM_RESERVE | MEM_RESET) == 0 {
        return fail(ERROR_INVALID_PARAMETER, null);
    }
    let Some(len) = size.checked_next_multiple_of(PAGE) else {
        return fail(ERROR_NOT_ENOUGH_MEMORY, null);
    };
    let a = addr as usize;
    if kind & MEM_RESET != 0 {
        if kind & (MEM_COMMIT | MEM_RESERVE) != 0 || a == 0 {
            return fail(ERROR_INVALID_PARAMETER, null);
        }
        let start = a & !(PAGE - 1);
        // SAFETY: MADV_FREE only lets the kernel drop the pages' contents, which MEM_RESET
        // allows; the range is the caller's.
        unsafe { libc::madvise(start as *mut c_void, a + size - start, libc::MADV_FREE) };
        return addr;
    }
    if a == 0 {
        if kind & MEM_RESERVE == 0 {
            return fail(ERROR_INVALID_ADDRESS, null); // commit needs a reservation
        }
        let initial = if kind & MEM_COMMIT != 0 {
            prot
        } else {
            libc::PROT_NONE
        };
        let Some(base) = map_aligned(len, initial) else {
            return fail(ERROR_NOT_ENOUGH_MEMORY, null);
        };
        allocations().insert(base, len);
        return base as *mut c_void;
    }
    if kind & MEM_RESERVE != 0 {
        // A reservation at a chosen address: rounded down to the granularity, never replacing
        // anything.
        let base = a & !(GRANULARITY - 1);
        let Some(len) = (a + size - base).checked_next_multiple_of(PAGE) else {
            return fail(ERROR_NOT_ENOUGH_MEMORY, null);
        };
        let initial = if kind & MEM_COMMIT != 0 {
            prot
        } else {
            libc::PROT_NONE
        };
        let flags = libc::MAP_PRIVATE
            | libc::MAP_ANONYMOUS
            | libc::MAP_NORESERVE
            | libc::MAP_FIXED_NOREPLACE;
        // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping.
        let p = unsafe { libc::mmap(base as *mut c_void, len, initial, flags, -1, 0) };
        if p == libc::MAP_FAILED || p as usize != base {
            if p != libc::MAP_FAILED {
                // SAFETY: the mapping just made at another address (an old kernel ignoring
                // the flag); nobody else uses it.
                unsafe { libc::munmap(p, len) };
            }
            return fail(ERROR_INVALID_ADDRESS, null);
        }
        allocations().insert(base, len);
        return base as *mut c_void;
    }
    // Commit inside a reservation this module made.
    let start = a & !(PAGE - 1);
    let end = a + size;
    match allocation_of(start) {
        Some((base, sz)) if end <= base + sz => {
            // SAFETY: the range lies inside our own reservation.
            if unsafe { libc::mprotect(start as *mut c_void, end - start, prot) } != 0 {
                return fail(ERROR_NOT_ENOUGH_MEMORY, null);
            }
            start as *mut c_void
        }
        _ => fail(ERROR_INVALID_ADDRESS, null),
    }
}

/// # Safety
/// The range must be one the caller allocated with [`VirtualAlloc`] and no longer uses.
#[no_mangle]
pub unsafe extern "C" fn VirtualFree(addr: *mut c_void, size: usize, kind: u32) -> i32 {
    let a = addr as usize;
    match kind {
        MEM_RELEASE => {
            if size != 0 {
                return fail(ERROR_INVALID_PARAMETER, FALSE);
            }
            let mut allocs = allocations();
            let Some(len) = allocs.remove(&a) else {
                return fail(ERROR_INVALID_ADDRESS, FALSE);
            };
            // SAFETY: the whole allocation VirtualAlloc made; the caller no longer uses it.
            unsafe { libc::munmap(addr, len) };
            TRUE
        }
        MEM_DECOMMIT => {
            let Some((base, sz)) = allocation_of(a) else {
                return fail(ERROR_INVALID_ADDRESS, FALSE);
            };
            let start = a & !(PAGE - 1);
            let end = if size == 0 { base + sz } else { a + size };
            if end > base + sz {
                return fail(ERROR_INVALID_PARAMETER, FALSE);
            }
            let len = (end - start).next_multiple_of(PAGE);
            let flags =
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED;
            // SAFETY: replaces pages of our own allocation with fresh reserved ones (the
            // contents are discarded, as decommitting does).
            let p = unsafe { libc::mmap(start as *mut c_void, len, libc::PROT_NONE, flags, -1, 0) };
            if p == libc::MAP_FAILED {
                return fail(ERROR_NOT_ENOUGH_MEMORY, FALSE);
            }
            TRUE
        }
        _ => fail(ERROR_INVALID_PARAMETER, FALSE),
    }
}

/// One line of `/proc/self/maps`.
struct Region {
    start: usize,
    end: usize,
    read: bool,
    write: bool,
    exec: bool,
    shared: bool,
    /// Backed by a file (an inode other than 0).
    file: bool,
    path: String,
}

fn regions() -> Vec<Region> {
    let text = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (s, e) = f.next()?.split_once('-')?;
            let perms = f.next()?.as_bytes();
            let _off = f.next()?;
            let _dev = f.next()?;
            let inode = f.next()?;
            let path = f.collect::<Vec<_>>().join(" ");
            Some(Region {
                start: usize::from_str_radix(s, 16).ok()?,
                end: usize::from_str_radix(e, 16).ok()?,
                read: perms.first() == Some(&b'r'),
                write: perms.get(1) == Some(&b'w'),
                exec: perms.get(2) == Some(&b'x'),
                shared: perms.get(3) == Some(&b's'),
                file: inode != "0",
                path,
            })
        })
        .collect()
}

impl Region {
    /// The `PAGE_*` protection.
    fn protect(&self) -> u32 {
        let cow = self.file && !self.shared && self.write;
        match (self.read, self.write, self.exec) {
            (_, _, false) if cow => PAGE_WRITECOPY,
            (_, _, true) if cow => PAGE_EXECUTE_WRITECOPY,
            (_, true, true) => PAGE_EXECUTE_READWRITE,
            (_, true, false) => PAGE_READWRITE,
            (true, false, true) => PAGE_EXECUTE_READ,
            (false, false, true) => PAGE_EXECUTE,
            (true, false, false) => PAGE_READONLY,
            (false, false, false) => PAGE_NOACCESS,
        }
    }

    /// `MEM_IMAGE`, `MEM_MAPPED` or `MEM_PRIVATE`.
    fn kind(&self) -> u32 {
        if !self.file {
            return if self.shared { MEM_MAPPED } else { MEM_PRIVATE };
        }
        let image =
            !self.shared && (self.path.contains(".so") || self.path == current_exe_path().as_str());
        if image {
            MEM_IMAGE
        } else {
            MEM_MAPPED
        }
    }
}

fn current_exe_path() -> String {
    std::fs::read_link("/proc/self/exe")
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// `MEMORY_BASIC_INFORMATION` (64-bit layout).
#[repr(C)]
pub struct MemoryBasicInformation {
    base_address: *mut c_void,
    allocation_base: *mut c_void,
    allocation_protect: u32,
    partition_id: u16,
    region_size: usize,
    state: u32,
    protect: u32,
    kind: u32,
}

const _: () = assert!(std::mem::size_of::<MemoryBasicInformation>() == 48);

/// # Safety
/// `info` must be NULL or point to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn VirtualQuery(
    addr: *const c_void,
    info: *mut MemoryBasicInformation,
    len: usize,
) -> usize {
    let size = std::mem::size_of::<MemoryBasicInformation>();
    if info.is_null() || len < size {
        return fail(ERROR_BAD_LENGTH, 0);
    }
    let page = addr as usize & !(PAGE - 1);
    if page >= 0x7FFF_FFFF_0000 {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    let regions = regions();
    let found = regions.iter().find(|r| r.start <= page && page < r.end);
    let mbi = match found {
        Some(r) => {
            let alloc = allocation_of(page);
            let reserved = alloc.is_some() && !r.read && !r.write && !r.exec;
            MemoryBasicInformation {
                base_address: page as *mut c_void,
                allocation_base: alloc.map_or(r.start, |(b, _)| b) as *mut c_void,
                allocation_protect: if reserved { PAGE_NOACCESS } else { r.protect() },
                partition_id: 0,
                region_size: r.end - page,
                state: if reserved { MEM_RESERVE } else { MEM_COMMIT },
                protect: if reserved { 0 } else { r.protect() },
                kind: r.kind(),
            }
        }
        None => {
            let next = regions
                .iter()
                .map(|r| r.start)
                .filter(|&s| s > page)
                .min()
                .unwrap_or(0x7FFF_FFFF_0000);
            MemoryBasicInformation {
                base_address: page as *mut c_void,
                allocation_base: std::ptr::null_mut(),
                allocation_protect: 0,
                partition_id: 0,
                region_size: next - page,
                state: MEM_FREE,
                protect: PAGE_NOACCESS,
                kind: 0,
            }
        }
    };
    // SAFETY: `info` points to at least `size` writable bytes (checked against `len`).
    unsafe { info.write(mbi) };
    size
}

/// # Safety
/// The range must be memory whose protection the caller may change; `old` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn VirtualProtect(
    addr: *mut c_void,
    size: usize,
    protect: u32,
    old: *mut u32,
) -> i32 {
    let Some(prot) = prot_of(protect) else {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    };
    if old.is_null() {
        return fail(ERROR_NOACCESS, FALSE);
    }
    if size == 0 {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    let start = addr as usize & !(PAGE - 1);
    let Some(end) = (addr as usize).checked_add(size) else {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    };
    let regions = regions();
    let Some(first) = regions.iter().find(|r| r.start <= start && start < r.end) else {
        return fail(ERROR_INVALID_ADDRESS, FALSE);
    };
    let previous = first.protect();
    // SAFETY: the caller owns the range (this function's contract); mprotect checks that it
    // is mapped.
    if unsafe { libc::mprotect(start as *mut c_void, end - start, prot) } != 0 {
        let e = std::io::Error::last_os_error().raw_os_error();
        return fail(
            if e == Some(libc::EACCES) {
                ERROR_ACCESS_DENIED
            } else {
                ERROR_INVALID_ADDRESS
            },
            FALSE,
        );
    }
    // SAFETY: `old` is writable (checked non-NULL; this function's contract).
    unsafe { *old = previous };
    TRUE
}
