//! One page of a file, mapped shared into this process: the window through which fmap reads and
//! writes the state other processes share (synchronization objects keep theirs in the first
//! page of their object file). Only atomics and glibc's process-shared mutexes touch it.

use crate::error::{bail, Error, Result};
use rustix::mm::{MapFlags, ProtFlags};
use std::ptr::NonNull;

/// The size of the mapping.
const SIZE: usize = 4096;

/// A type that can be laid over the bytes of a shared [`Page`] ([`Page::at`]).
///
/// # Safety
/// The type must be `#[repr(C)]` (a fixed layout other processes agree on), valid for every
/// bit pattern, and made only of atomics, [`RobustMutex`](super::robust::RobustMutex)es and
/// arrays or structs of them: another process can change any of its bytes at any time, so
/// every byte must sit behind interior mutability and every value must be acceptable.
pub(crate) unsafe trait Shared: Sync {}

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
        if st.st_size < SIZE as i64 {
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
                SIZE,
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

    /// The `T` laid over the page at byte `OFF` (checked at compile time to be in bounds and
    /// aligned).
    #[inline]
    pub(crate) fn at<T: Shared, const OFF: usize>(&self) -> &T {
        const { assert!(OFF % std::mem::align_of::<T>() == 0 && OFF + std::mem::size_of::<T>() <= SIZE) };
        // SAFETY: `OFF..OFF + size_of::<T>()` lies inside the 4096-byte mapping, which is
        // page-aligned, so `OFF` (a multiple of `T`'s alignment) is aligned; the mapping lives
        // as long as `self`. `T: Shared` is valid for any bytes and changes only through
        // interior mutability (atomics, glibc mutexes), which is what other processes and
        // threads do to these bytes concurrently.
        unsafe { &*self.ptr.as_ptr().add(OFF).cast::<T>() }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: we own this mapping of `SIZE` bytes.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), SIZE) };
    }
}
