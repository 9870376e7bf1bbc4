//! One page of a file, mapped shared into this process: the window through which fmap reads and
//! writes the state other processes share (synchronization objects keep theirs in the first
//! page of their object file). Only atomics and glibc's process-shared mutexes touch it.

use crate::error::{bail, Error, Result};
use rustix::mm::{MapFlags, ProtFlags};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64};

/// The mapped header page of a synchronization object in this process.
pub(crate) struct Page {
    ptr: NonNull<u8>,
}

// SAFETY: the page is shared memory accessed only through atomics and glibc's process-shared
// mutex functions, which are safe to call from any thread.
unsafe impl Send for Page {}
// SAFETY: as above.
unsafe impl Sync for Page {}

impl Page {
    pub(crate) fn map(fd: std::os::fd::BorrowedFd<'_>) -> Result<Page> {
        // A file truncated by another process would make every access to the page a SIGBUS.
        let st = rustix::fs::fstat(fd).map_err(|e| Error::os(e, "fstat"))?;
        if st.st_size < 4096 {
            bail!(
                InvalidData,
                "the state of a synchronization object is missing (its file was truncated to {} bytes)",
                st.st_size
            );
        }
        // SAFETY: a fresh shared mapping of the object's first page; it replaces nothing.
        let p = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                4096,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                fd,
                0,
            )
        }
        .map_err(|e| Error::os(e, "cannot map the state of a synchronization object"))?;
        Ok(Page {
            ptr: NonNull::new(p.cast()).expect("mmap returned null"),
        })
    }

    #[inline]
    pub(crate) fn u32(&self, off: usize) -> &AtomicU32 {
        debug_assert!(off % 4 == 0 && off + 4 <= 4096);
        // SAFETY: in bounds, aligned, and the page lives as long as `self`; the memory is only
        // ever accessed atomically (or by glibc's mutex code at other offsets).
        unsafe { &*(self.ptr.as_ptr().add(off) as *const AtomicU32) }
    }

    #[inline]
    pub(crate) fn u64(&self, off: usize) -> &AtomicU64 {
        debug_assert!(off % 8 == 0 && off + 8 <= 4096);
        // SAFETY: as for `u32`.
        unsafe { &*(self.ptr.as_ptr().add(off) as *const AtomicU64) }
    }

    #[inline]
    pub(crate) fn mutex(&self, off: usize) -> *mut libc::pthread_mutex_t {
        // SAFETY: in bounds (callers pass the offsets of the mutexes in the page, 64-byte aligned,
        // 40 bytes).
        unsafe { self.ptr.as_ptr().add(off) as *mut libc::pthread_mutex_t }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: we own this 4096-byte mapping.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), 4096) };
    }
}
