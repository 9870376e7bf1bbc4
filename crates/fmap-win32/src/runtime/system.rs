//! `GetSystemInfo`: the processors this process may run on, and fmap's section and view units
//! as page size and allocation granularity.

use crate::abi::consts::*;
use crate::abi::text::put;
use std::ffi::c_void;

/// `SYSTEM_INFO`.
#[repr(C)]
pub struct SystemInfo {
    pub processor_architecture: u16,
    pub reserved: u16,
    pub page_size: u32,
    pub minimum_application_address: *mut c_void,
    pub maximum_application_address: *mut c_void,
    pub active_processor_mask: usize,
    pub number_of_processors: u32,
    pub processor_type: u32,
    pub allocation_granularity: u32,
    pub processor_level: u16,
    pub processor_revision: u16,
}

/// Page size 4 KiB and allocation granularity 64 KiB — the values fmap's sections and views
/// use — and the processors this process may run on.
///
/// # Safety
/// `info` must be NULL or point to a writable `SYSTEM_INFO`.
#[no_mangle]
pub unsafe extern "C" fn GetSystemInfo(info: *mut SystemInfo) {
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let (arch, ptype) = if cfg!(target_arch = "x86_64") {
        (PROCESSOR_ARCHITECTURE_AMD64, PROCESSOR_AMD_X8664)
    } else if cfg!(target_arch = "aarch64") {
        (PROCESSOR_ARCHITECTURE_ARM64, PROCESSOR_ARM64)
    } else if cfg!(target_arch = "x86") {
        (PROCESSOR_ARCHITECTURE_INTEL, PROCESSOR_INTEL_PENTIUM)
    } else {
        (PROCESSOR_ARCHITECTURE_UNKNOWN, 0)
    };
    let v = SystemInfo {
        processor_architecture: arch as u16,
        reserved: 0,
        page_size: PAGE_SIZE as u32,
        minimum_application_address: ALLOCATION_GRANULARITY as usize as *mut c_void,
        maximum_application_address: (if cfg!(target_pointer_width = "64") {
            0x7FFF_FFFE_FFFF_u64 as usize
        } else {
            0x7FFE_FFFF
        }) as *mut c_void,
        active_processor_mask: if n >= usize::BITS as usize {
            usize::MAX
        } else {
            (1usize << n) - 1
        },
        number_of_processors: n as u32,
        processor_type: ptype,
        allocation_granularity: ALLOCATION_GRANULARITY as u32,
        processor_level: 6,
        processor_revision: 0,
    };
    // SAFETY: `info` is NULL or valid for writing (this function's contract); `put`
    // writes only through a non-NULL pointer.
    unsafe { put(info, v) };
}
