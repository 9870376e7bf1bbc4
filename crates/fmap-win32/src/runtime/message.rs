//! `FormatMessage` with the system's message for every error code fmap-win32 returns, and the
//! `LocalAlloc`/`LocalFree` pair its `FORMAT_MESSAGE_ALLOCATE_BUFFER` buffers come from.

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::text::{ansi_bytes, wide_units};
use std::ffi::{c_char, c_void};

const FORMAT_MESSAGE_ALLOCATE_BUFFER: u32 = 0x100;
const FORMAT_MESSAGE_IGNORE_INSERTS: u32 = 0x200;
const FORMAT_MESSAGE_FROM_STRING: u32 = 0x400;
const FORMAT_MESSAGE_FROM_HMODULE: u32 = 0x800;
const FORMAT_MESSAGE_FROM_SYSTEM: u32 = 0x1000;
const FORMAT_MESSAGE_MAX_WIDTH_MASK: u32 = 0xFF;
const ERROR_MR_MID_NOT_FOUND: u32 = 317;
const LMEM_ZEROINIT: u32 = 0x40;

/// Windows' (English) system message for `code`, without the trailing line break.
pub fn system_message(code: u32) -> Option<&'static str> {
    Some(match code {
        0 => "The operation completed successfully.",
        2 => "The system cannot find the file specified.",
        3 => "The system cannot find the path specified.",
        4 => "The system cannot open the file.",
        5 => "Access is denied.",
        6 => "The handle is invalid.",
        8 => "Not enough memory resources are available to process this command.",
        13 => "The data is invalid.",
        18 => "There are no more files.",
        24 => "The program issued a command but the command length is incorrect.",
        31 => "A device attached to the system is not functioning.",
        32 => "The process cannot access the file because it is being used by another process.",
        38 => "Reached the end of the file.",
        50 => "The request is not supported.",
        80 => "The file exists.",
        87 => "The parameter is incorrect.",
        111 => "The file name is too long.",
        112 => "There is not enough space on the disk.",
        122 => "The data area passed to a system call is too small.",
        123 => "The filename, directory name, or volume label syntax is incorrect.",
        126 => "The specified module could not be found.",
        127 => "The specified procedure could not be found.",
        131 => "An attempt was made to move the file pointer before the beginning of the file.",
        183 => "Cannot create a file when that file already exists.",
        193 => "%1 is not a valid Win32 application.",
        203 => "The system could not find the environment option that was entered.",
        206 => "The filename or extension is too long.",
        288 => "Attempt to release mutex not owned by caller.",
        298 => "Too many posts were made to a semaphore.",
        317 => "The system cannot find message text for message number 0x%1 in the message file for %2.",
        487 => "Attempt to access invalid address.",
        587 => "An attempt was made to acquire a mutant such that its maximum count would have been exceeded.",
        996 => "Overlapped I/O event is not in a signaled state.",
        997 => "Overlapped I/O operation is in progress.",
        998 => "Invalid access to memory location.",
        1006 => "The volume for a file has been externally altered so that the opened file is no longer valid.",
        1113 => "No mapping for the Unicode character exists in the target multi-byte code page.",
        1114 => "A dynamic link library (DLL) initialization routine failed.",
        1132 => "The base address or the file offset specified does not have the proper alignment.",
        1158 => "Invalid message box style.",
        1224 => "The requested operation cannot be performed on a file with a user-mapped section open.",
        1314 => "A required privilege is not held by the client.",
        1455 => "The paging file is too small for this operation to complete.",
        1460 => "This operation returned because the timeout period expired.",
        _ => return None,
    })
}

/// The text `FormatMessage` produces, before it is copied out: `None` with the error to
/// report.
fn format(flags: u32, source: Option<String>, id: u32) -> Result<String, u32> {
    if flags & FORMAT_MESSAGE_FROM_HMODULE != 0 && flags & FORMAT_MESSAGE_FROM_SYSTEM == 0 {
        return Err(ERROR_MR_MID_NOT_FOUND); // no message tables in modules here
    }
    let mut text = if flags & FORMAT_MESSAGE_FROM_STRING != 0 {
        source.ok_or(ERROR_INVALID_PARAMETER)?
    } else if flags & FORMAT_MESSAGE_FROM_SYSTEM != 0 {
        format!("{}\r\n", system_message(id).ok_or(ERROR_MR_MID_NOT_FOUND)?)
    } else {
        return Err(ERROR_INVALID_PARAMETER);
    };
    if flags & FORMAT_MESSAGE_IGNORE_INSERTS == 0 && text.contains('%') {
        // Inserts need the caller's `va_list` or argument array, which this implementation
        // does not read: refused rather than printed wrong.
        if text.contains("%1") || text.contains("%2") {
            return Err(ERROR_INVALID_PARAMETER);
        }
    }
    let width = flags & FORMAT_MESSAGE_MAX_WIDTH_MASK;
    if width != 0 {
        // Line breaks in the message are dropped (`FORMAT_MESSAGE_MAX_WIDTH_MASK`).
        text = text.replace("\r\n", " ").trim_end().to_owned();
    }
    Ok(text)
}

/// Copies `units` (plus a NUL) out the way `FormatMessage` does: into `buf` of `size`
/// elements, or into a new `LocalAlloc` buffer stored at `*buf` with `ALLOCATE_BUFFER`.
///
/// # Safety
/// `buf` must be valid as `FormatMessage` describes for `flags`.
unsafe fn out<T: Copy + Default>(units: &[T], flags: u32, buf: *mut T, size: u32) -> u32 {
    if buf.is_null() {
        return fail(ERROR_INVALID_PARAMETER, 0);
    }
    let need = units.len() + 1;
    let dst = if flags & FORMAT_MESSAGE_ALLOCATE_BUFFER != 0 {
        let n = need.max(size as usize);
        // SAFETY: plain allocation of `n` elements.
        let p = unsafe { LocalAlloc(LMEM_ZEROINIT, n * std::mem::size_of::<T>()) } as *mut T;
        if p.is_null() {
            return fail(ERROR_NOT_ENOUGH_MEMORY, 0);
        }
        // SAFETY: with ALLOCATE_BUFFER, `buf` is really a `T**` (this function's contract).
        unsafe { (buf as *mut *mut T).write(p) };
        p
    } else {
        if (size as usize) < need {
            return fail(ERROR_INSUFFICIENT_BUFFER, 0);
        }
        buf
    };
    // SAFETY: `dst` holds at least `need` elements (allocated so, or checked against `size`).
    unsafe {
        std::ptr::copy_nonoverlapping(units.as_ptr(), dst, units.len());
        dst.add(units.len()).write(T::default());
    }
    units.len() as u32
}

/// # Safety
/// As `FormatMessageA`: `source` a string with `FROM_STRING`; `buf` a `char*` of `size`
/// bytes, or a `char**` with `ALLOCATE_BUFFER`.
#[no_mangle]
pub unsafe extern "C" fn FormatMessageA(
    flags: u32,
    source: *const c_void,
    id: u32,
    _lang: u32,
    buf: *mut c_char,
    size: u32,
    _args: *mut c_void,
) -> u32 {
    let src = (flags & FORMAT_MESSAGE_FROM_STRING != 0 && !source.is_null()).then(|| {
        // SAFETY: with FROM_STRING, `source` is a NUL-terminated string (the contract).
        String::from_utf8_lossy(unsafe { ansi_bytes(source.cast()) }).into_owned()
    });
    match format(flags, src, id) {
        // SAFETY: forwarded contract.
        Ok(t) => unsafe { out(t.as_bytes(), flags, buf.cast::<u8>(), size) },
        Err(e) => fail(e, 0),
    }
}

/// # Safety
/// As `FormatMessageW` (see [`FormatMessageA`], with wide strings).
#[no_mangle]
pub unsafe extern "C" fn FormatMessageW(
    flags: u32,
    source: *const c_void,
    id: u32,
    _lang: u32,
    buf: *mut u16,
    size: u32,
    _args: *mut c_void,
) -> u32 {
    let src = (flags & FORMAT_MESSAGE_FROM_STRING != 0 && !source.is_null()).then(|| {
        // SAFETY: with FROM_STRING, `source` is a NUL-terminated wide string (the contract).
        String::from_utf16_lossy(unsafe { wide_units(source.cast()) })
    });
    match format(flags, src, id) {
        Ok(t) => {
            let w: Vec<u16> = t.encode_utf16().collect();
            // SAFETY: forwarded contract.
            unsafe { out(&w, flags, buf, size) }
        }
        Err(e) => fail(e, 0),
    }
}

/// `LocalAlloc`: `LMEM_FIXED` memory from the C heap (`LMEM_ZEROINIT` zeroes it).
///
/// # Safety
/// None beyond C's `malloc`.
#[no_mangle]
pub unsafe extern "C" fn LocalAlloc(flags: u32, bytes: usize) -> *mut c_void {
    // SAFETY: plain C allocations of at least one byte.
    let p = unsafe {
        if flags & LMEM_ZEROINIT != 0 {
            libc::calloc(1, bytes.max(1))
        } else {
            libc::malloc(bytes.max(1))
        }
    };
    if p.is_null() {
        return fail(ERROR_NOT_ENOUGH_MEMORY, std::ptr::null_mut());
    }
    p
}

/// `LocalFree`: NULL on success (also for NULL).
///
/// # Safety
/// `p` must be NULL or a pointer `LocalAlloc` (or `FormatMessage`) returned, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn LocalFree(p: *mut c_void) -> *mut c_void {
    // SAFETY: `p` came from malloc/calloc or is NULL (this function's contract).
    unsafe { libc::free(p) };
    std::ptr::null_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_fmap_returns_has_a_message() {
        for &(name, v) in crate::abi::consts::TABLE {
            if name.starts_with("ERROR_") || name == "NO_ERROR" {
                assert!(system_message(v as u32).is_some(), "{name} has no message");
            }
        }
    }
}
