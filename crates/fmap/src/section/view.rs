//! Views: mappings of a section into this process (`MapViewOfFile(Ex)`, `UnmapViewOfFile`,
//! `FlushViewOfFile`).
//!
//! A [`View`] owns its mapping and unmaps it when dropped. It keeps the section's *memory*
//! alive (the kernel keeps an unlinked file's pages while any mapping exists) but not its
//! *name*: closing every handle removes the name while views stay valid, as on Windows.
//!
//! Views the system places start on a 64 KiB boundary, like Windows' allocation granularity:
//! an inaccessible reservation one granule larger is mapped first and the view is placed inside
//! it with `MAP_FIXED` (which may only replace the reservation we own). A caller-chosen address
//! uses `MAP_FIXED_NOREPLACE`, which fails instead of replacing anything already mapped there.
//!
//! For callers that handle views by address (the C ABI), [`View::into_raw`] moves a view into
//! a process-wide registry, from which [`unmap_view`] removes it by *any* address inside it
//! and [`flush_view`] flushes by address.

use crate::error::{bail, Error, ErrorKind, Result};
use crate::rights::Protection;
use crate::win32::{ALLOCATION_GRANULARITY, PAGE_SIZE};
use rustix::mm::{MapFlags, MsyncFlags, ProtFlags};
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::ops::{Bound, RangeBounds};
use std::os::fd::{AsFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

/// A mapped view of a section.
pub struct View {
    ptr: NonNull<u8>,
    /// Bytes mapped (the view size rounded up to whole pages).
    mapped: usize,
    /// Bytes the caller asked for (or up to the end of the section).
    len: usize,
    protection: Protection,
    /// The file the view maps, for flushing file-backed views.
    file: Option<(Arc<OwnedFd>, u64)>,
    /// The object file the view maps and the view's offset in it, to check in
    /// [`read`](View::read) and [`write`](View::write) that the file still covers the range
    /// (`None` for a view of a segment, which nobody can shrink).
    backing: Option<(Arc<OwnedFd>, u64)>,
}

// SAFETY: a View is an owned mapping of shared memory. The mapping itself may be used and
// unmapped from any thread; data access goes through raw pointers or the copying helpers, whose
// concurrent use is the same as any shared-memory access.
unsafe impl Send for View {}
// SAFETY: see above; `&View` only gives out pointers and copies.
unsafe impl Sync for View {}

impl std::fmt::Debug for View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("addr", &self.ptr)
            .field("len", &self.len)
            .field("protection", &self.protection)
            .finish()
    }
}

pub(crate) struct MapRequest<'a> {
    pub fd: &'a Arc<OwnedFd>,
    pub file_offset: u64,
    pub len: usize,
    pub protection: Protection,
    pub base: Option<usize>,
    pub file_backed: bool,
    /// The section's memory is this System V segment (id, whole length in bytes), not `fd`.
    pub segment: Option<(i32, usize)>,
}

pub(crate) fn round_up(v: u64, to: u64) -> Option<u64> {
    v.checked_add(to - 1).map(|x| x & !(to - 1))
}

impl View {
    pub(crate) fn map(req: MapRequest<'_>) -> Result<View> {
        let mapped = round_up(req.len as u64, PAGE_SIZE)
            .and_then(|m| usize::try_from(m).ok())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotEnoughMemory,
                    format!("a view of {} bytes does not fit the address space", req.len),
                )
            })?;
        if let Some((id, seg_len)) = req.segment {
            return View::map_segment(&req, id, seg_len, mapped);
        }
        let prot = req.protection.mmap_prot();
        let share = if req.protection.is_copy_on_write() {
            MapFlags::PRIVATE
        } else {
            MapFlags::SHARED
        };
        let fd = req.fd.as_fd();
        let ptr = match req.base {
            Some(base) => {
                if base as u64 % ALLOCATION_GRANULARITY != 0 {
                    bail!(
                        MappedAlignment,
                        "base address {base:#x} is not a multiple of 64 KiB"
                    );
                }
                // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping; the kernel
                // fails with EEXIST instead, so no memory of this process is affected.
                let r = unsafe {
                    rustix::mm::mmap(
                        base as *mut c_void,
                        mapped,
                        prot,
                        share | MapFlags::FIXED_NOREPLACE,
                        fd,
                        req.file_offset,
                    )
                };
                match r {
                    Ok(p) if p as usize == base => p,
                    Ok(p) => {
                        // A kernel that ignores MAP_FIXED_NOREPLACE treated the address as a
                        // hint and put the view elsewhere.
                        // SAFETY: `p` is the mapping we just created, of `mapped` bytes.
                        let _ = unsafe { rustix::mm::munmap(p, mapped) };
                        return Err(in_use(base, mapped));
                    }
                    Err(rustix::io::Errno::EXIST) => return Err(in_use(base, mapped)),
                    Err(e) => return Err(map_error(e, mapped, req.protection)),
                }
            }
            None => map_aligned(fd, mapped, prot, share, req.file_offset)
                .map_err(|e| map_error(e, mapped, req.protection))?,
        };
        Ok(View {
            // SAFETY: mmap never returns null on success.
            ptr: unsafe { NonNull::new_unchecked(ptr.cast()) },
            mapped,
            len: req.len,
            protection: req.protection,
            file: req.file_backed.then(|| (req.fd.clone(), req.file_offset)),
            backing: Some((req.fd.clone(), req.file_offset)),
        })
    }

    /// A view of a section whose memory is a System V segment (see `store::segment`): a place
    /// for it is reserved (at `req.base`, or 64 KiB-aligned where the system chooses), the
    /// whole segment is attached, the view's part of it is moved into the reservation
    /// (`mremap`) and the rest detached. The moved part is an attachment of its own: the
    /// segment lives while the view does, and unmapping the view detaches it.
    ///
    /// A copy-on-write view gets a private copy of its range as it is when the view is mapped
    /// (a segment cannot be mapped privately): its writes stay private as on Windows, but
    /// pages it has not written do not show later changes made through other views.
    fn map_segment(req: &MapRequest<'_>, id: i32, seg_len: usize, mapped: usize) -> Result<View> {
        use crate::sys::sysv::Attachment;
        let prot = req.protection.mmap_prot();
        let offset = usize::try_from(req.file_offset)
            .ok()
            .filter(|o| o.checked_add(mapped).is_some_and(|e| e <= seg_len))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidParameter,
                    "the view lies outside the section's memory",
                )
            })?;
        let cow = req.protection.is_copy_on_write();
        let (write, exec) = (
            req.protection.is_writable() && !cow,
            req.protection.is_executable() && !cow,
        );
        // What an attachment gives: readable, writable and executable as asked.
        let mut attached = ProtFlags::READ;
        if write {
            attached |= ProtFlags::WRITE;
        }
        if exec {
            attached |= ProtFlags::EXEC;
        }
        // The view at `p` (`mapped` bytes), with exactly its protection (an attachment is
        // readable, or readable and writable; a private copy is writable until now).
        let finish = |p: *mut c_void, has: ProtFlags| -> Result<View> {
            if prot != has {
                // SAFETY: `p` is our own mapping of `mapped` bytes.
                if let Err(e) = unsafe { rustix::mm::mprotect(p, mapped, prot_mprotect(prot)) } {
                    // SAFETY: as above; it is not handed out.
                    let _ = unsafe { rustix::mm::munmap(p, mapped) };
                    return Err(map_error(e, mapped, req.protection));
                }
            }
            Ok(View {
                // SAFETY: shmat, mmap and mremap never return null on success.
                ptr: unsafe { NonNull::new_unchecked(p.cast()) },
                mapped,
                len: req.len,
                protection: req.protection,
                file: None,
                backing: None,
            })
        };
        let denied = |e: rustix::io::Errno| match e {
            rustix::io::Errno::ACCESS => Error::new(
                ErrorKind::AccessDenied,
                format!(
                    "the section's memory (segment {id}) may not be mapped {}",
                    req.protection
                ),
            ),
            e => map_error(e, mapped, req.protection),
        };
        // A view of the whole section (the usual case) is one attachment of the whole segment
        // placed where the view goes, less its trailer page: at the caller's address, or in a
        // range a view recently left, where the kernel refuses (EINVAL) instead of replacing
        // anything in use; else over an aligned reservation of our own.
        if offset == 0 && mapped + PAGE_SIZE as usize == seg_len && !cow {
            let at = req.base.or_else(|| take_free_range(mapped));
            if let Some(addr) = at {
                // SAFETY: without SHM_REMAP nothing in use is replaced.
                match unsafe {
                    Attachment::attach_at(id, seg_len, Some((addr, false)), write, exec)
                } {
                    Ok(a) => return finish(a.keep_only(0, mapped).into_raw().0.cast(), attached),
                    Err(rustix::io::Errno::INVAL) => {}
                    Err(e) => return Err(denied(e)),
                }
            }
            if req.base.is_none() {
                let target =
                    reserve(seg_len, None).map_err(|e| map_error(e, mapped, req.protection))?;
                // SAFETY: `target` is our own reservation of `seg_len` bytes.
                return match unsafe {
                    Attachment::attach_at(id, seg_len, Some((target as usize, true)), write, exec)
                } {
                    Ok(a) => finish(a.keep_only(0, mapped).into_raw().0.cast(), attached),
                    Err(e) => {
                        // SAFETY: our own reservation, not handed out.
                        let _ = unsafe { rustix::mm::munmap(target, seg_len) };
                        Err(denied(e))
                    }
                };
            }
            // At the caller's address with the page after the view in use: the general way
            // below needs only the view's own range.
        }
        let target = reserve(mapped, req.base).map_err(|e| match e {
            rustix::io::Errno::EXIST => in_use(req.base.unwrap_or(0), mapped),
            e => map_error(e, mapped, req.protection),
        })?;
        let give_back = || {
            // SAFETY: `target` is our own reservation of `mapped` bytes, not yet handed out.
            let _ = unsafe { rustix::mm::munmap(target, mapped) };
        };
        let att = match Attachment::attach(id, seg_len, write, exec) {
            Ok(a) => a,
            Err(e) => {
                give_back();
                return Err(denied(e));
            }
        };
        let placed = if cow {
            // SAFETY: MAP_FIXED replaces only our own reservation at `target`.
            unsafe {
                rustix::mm::mmap_anonymous(
                    target,
                    mapped,
                    ProtFlags::READ | ProtFlags::WRITE,
                    MapFlags::PRIVATE | MapFlags::FIXED,
                )
            }
            .inspect(|p| {
                // SAFETY: both ranges are `mapped` bytes inside our own live mappings (the
                // attachment is readable), and they do not overlap.
                unsafe {
                    std::ptr::copy_nonoverlapping(att.as_ptr().add(offset), p.cast::<u8>(), mapped)
                };
            })
            .map(|p| (p, ProtFlags::READ | ProtFlags::WRITE))
        } else {
            // SAFETY: `target` is our own reservation, made before the attachment, so the two
            // do not overlap.
            unsafe { att.move_part(offset, mapped, target) }
                .map(|a| (a.into_raw().0.cast(), attached))
        };
        match placed {
            Ok((p, has)) => finish(p, has),
            Err(e) => {
                give_back();
                Err(map_error(e, mapped, req.protection))
            }
        }
    }

    /// The address of the first byte.
    ///
    /// Pages of a pagefile-backed section are allocated when first touched. Through this
    /// pointer a touch is a plain memory access: if the shared-memory file system is full at
    /// that moment the kernel raises `SIGBUS`, as for any `mmap` of tmpfs. [`read`](View::read)
    /// and [`write`](View::write) fault their pages in first and return
    /// `ERROR_COMMITMENT_LIMIT` instead; a section created with
    /// [`MappingOptions::eager_commit`](crate::MappingOptions::eager_commit) has every page
    /// allocated up front, so no touch can fail.
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// The address of the first byte, for writing (only valid for writable views). See
    /// [`as_ptr`](View::as_ptr) on pages allocated when touched.
    pub fn as_mut_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The view's size in bytes (what was requested, or up to the end of the section).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Is the view empty? (Never: sections have a non-zero size.)
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The size of the mapped region: [`len`](View::len) rounded up to whole pages.
    pub fn region_size(&self) -> usize {
        self.mapped
    }

    /// The view's protection (see [`Protection::for_view_access`]).
    pub fn protection(&self) -> Protection {
        self.protection
    }

    /// The view's contents as a byte slice.
    ///
    /// # Safety
    ///
    /// The memory is shared: other views, threads and processes may write it at any time.
    /// The caller must ensure nobody writes the bytes while the slice is alive (e.g. by
    /// holding a lock that every writer takes), and the view must be readable.
    pub unsafe fn as_slice(&self) -> &[u8] {
        // SAFETY: the mapping is `len` bytes, live as long as `self`; the caller promises that
        // nobody writes it while the slice exists (see above).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The view's contents as a mutable byte slice.
    ///
    /// # Safety
    ///
    /// As for [`as_slice`](View::as_slice), and nobody else may read or write the bytes
    /// while the slice is alive; the view must be writable.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn as_mut_slice(&self) -> &mut [u8] {
        // SAFETY: the mapping is `len` bytes, live as long as `self`; the caller promises that
        // nobody else reads or writes it while the slice exists (see above).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    fn check_range(&self, offset: usize, n: usize) -> Result<()> {
        if offset.checked_add(n).is_none_or(|end| end > self.len) {
            bail!(
                InvalidParameter,
                "range {offset}+{n} is outside the view of {} bytes",
                self.len
            );
        }
        Ok(())
    }

    /// Faults in the pages of `offset..offset + n` (for writing: allocated and, in a
    /// copy-on-write view, copied) before fmap copies them, so that a page the kernel cannot
    /// provide — the shared-memory file system or the file's disk filled up since the section
    /// was created, the file was truncated — is an error from this call instead of a `SIGBUS`
    /// in the copy. One `madvise(MADV_POPULATE_READ/WRITE)` (Linux 5.14); on older kernels,
    /// the truncation check of [`check_backing`](View::check_backing) alone.
    fn fault_in(&self, offset: usize, n: usize, write: bool) -> Result<()> {
        use rustix::io::Errno;
        use rustix::mm::Advice;
        if n == 0 {
            return Ok(());
        }
        let start = offset & !(PAGE_SIZE as usize - 1);
        let advice = if write {
            Advice::LinuxPopulateWrite
        } else {
            Advice::LinuxPopulateRead
        };
        loop {
            // SAFETY: `start..offset + n` lies inside our live mapping (checked by the caller
            // with `check_range`); populating only faults pages in, it changes no memory.
            let r = unsafe {
                rustix::mm::madvise(
                    self.ptr.as_ptr().add(start).cast(),
                    offset + n - start,
                    advice,
                )
            };
            return match r {
                Ok(()) => Ok(()),
                Err(Errno::INTR) => continue,
                // Kernels before 5.14 do not know the advice.
                Err(Errno::INVAL) => self.check_backing(offset, n),
                // The kernel would have raised SIGBUS: past the end of a truncated file, or no
                // room for the page.
                Err(Errno::FAULT) => {
                    self.check_backing(offset, n)?;
                    Err(Error::new(
                        ErrorKind::CommitmentLimit,
                        format!(
                            "the pages at offset {offset} of the view ({n} bytes) cannot be provided: the file system holding the section is full"
                        ),
                    ))
                }
                Err(Errno::NOMEM) => Err(Error::new(
                    ErrorKind::NotEnoughMemory,
                    format!("not enough memory for the pages at offset {offset} of the view ({n} bytes)"),
                )),
                Err(e) => Err(Error::os(e, "cannot fault in the view's pages")),
            };
        }
    }

    /// Checks that the file behind the view still covers `[offset, offset + n)`. A process with
    /// write access to an object file can truncate it (fmap never does while views exist); the
    /// pages past the new end then raise `SIGBUS` when touched. This turns a truncation that
    /// happened before the call into `ERROR_INVALID_DATA`. A truncation racing with the copy
    /// itself cannot be caught this way (see SECURITY.md).
    fn check_backing(&self, offset: usize, n: usize) -> Result<()> {
        let Some((fd, file_offset)) = &self.backing else {
            return Ok(());
        };
        let st = rustix::fs::fstat(&**fd).map_err(|e| Error::os(e, "fstat"))?;
        let covered = round_up(st.st_size.max(0) as u64, PAGE_SIZE).unwrap_or(u64::MAX);
        if file_offset + (offset + n) as u64 > covered {
            bail!(
                InvalidData,
                "the section's file was truncated to {} bytes by another process; the range {offset}+{n} of the view is gone",
                st.st_size
            );
        }
        Ok(())
    }

    /// Copies bytes out of the view.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        if !self.protection.is_readable() {
            bail!(AccessDenied, "the view is PAGE_NOACCESS");
        }
        self.check_range(offset, buf.len())?;
        self.fault_in(offset, buf.len(), false)?;
        // SAFETY: the range is inside our live, readable mapping, and its pages are faulted in
        // (so they cannot raise SIGBUS unless another process truncates the file during the
        // copy).
        unsafe { atomic_copy::load(self.ptr.as_ptr().add(offset), buf) };
        Ok(())
    }

    /// Copies bytes into the view (which must be writable or copy-on-write).
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        if !matches!(
            self.protection,
            Protection::ReadWrite
                | Protection::ExecuteReadWrite
                | Protection::WriteCopy
                | Protection::ExecuteWriteCopy
        ) {
            bail!(
                AccessDenied,
                "the view is {} and cannot be written",
                self.protection
            );
        }
        self.check_range(offset, data.len())?;
        self.fault_in(offset, data.len(), true)?;
        // SAFETY: the range is inside our live, writable mapping, and its pages are faulted in
        // for writing (see `read`).
        unsafe { atomic_copy::store(data, self.ptr.as_ptr().add(offset)) };
        Ok(())
    }

    /// `FlushViewOfFile` for the whole view, waiting until the data is written to the file
    /// (`msync(MS_SYNC)`). Pagefile-backed views have nothing to write and succeed at once.
    pub fn flush(&self) -> Result<()> {
        self.flush_impl(0, None, false)
    }

    /// Flushes the bytes `range` of the view (`100..200`, `4096..`), waiting for the write.
    pub fn flush_range(&self, range: impl RangeBounds<usize>) -> Result<()> {
        let (offset, len) = self.span(&range)?;
        self.flush_impl(offset, len, false)
    }

    /// Starts writing the whole view to its file and returns without waiting (what
    /// `FlushViewOfFile` does on Windows).
    pub fn flush_async(&self) -> Result<()> {
        self.flush_impl(0, None, true)
    }

    /// Starts writing the bytes `range` of the view without waiting.
    pub fn flush_async_range(&self, range: impl RangeBounds<usize>) -> Result<()> {
        let (offset, len) = self.span(&range)?;
        self.flush_impl(offset, len, true)
    }

    /// The start and length (`None`: to the end) of a byte range of the view.
    fn span(&self, range: &impl RangeBounds<usize>) -> Result<(usize, Option<usize>)> {
        let outside = || {
            Error::new(
                ErrorKind::InvalidParameter,
                format!("the range is outside the view of {} bytes", self.len),
            )
        };
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.checked_add(1).ok_or_else(outside)?,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => Some(e.checked_add(1).ok_or_else(outside)?),
            Bound::Excluded(&e) => Some(e),
            Bound::Unbounded => None,
        };
        match end {
            Some(e) if e < start => Err(outside()),
            e => Ok((start, e.map(|e| e - start))),
        }
    }

    fn flush_impl(&self, offset: usize, len: Option<usize>, asynchronous: bool) -> Result<()> {
        if offset > self.mapped {
            bail!(
                InvalidParameter,
                "offset {offset} is outside the view of {} bytes",
                self.len
            );
        }
        let len = len.unwrap_or(self.mapped - offset);
        if offset.checked_add(len).is_none_or(|e| e > self.mapped) {
            bail!(
                InvalidParameter,
                "range {offset}+{len} is outside the view of {} bytes",
                self.len
            );
        }
        let Some((fd, file_offset)) = &self.file else {
            return Ok(()); // pagefile-backed: nothing to write back (Windows returns TRUE too)
        };
        if self.protection.is_copy_on_write() || len == 0 {
            return Ok(()); // private pages are never written to the file
        }
        let start = offset & !(PAGE_SIZE as usize - 1);
        let end = offset + len;
        // SAFETY: [start, end) lies inside our live mapping; msync does not change memory.
        let addr = unsafe { self.ptr.as_ptr().add(start) };
        if asynchronous {
            // MS_ASYNC is a no-op on current kernels; start write-back explicitly.
            let r = unsafe {
                // SAFETY: `fd` is a live descriptor; the call only schedules write-back.
                libc::sync_file_range(
                    std::os::fd::AsRawFd::as_raw_fd(&**fd),
                    (*file_offset + start as u64) as libc::off64_t,
                    (end - start) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                )
            };
            if r != 0 {
                return Err(Error::os(
                    std::io::Error::last_os_error(),
                    "cannot start write-back of the view",
                ));
            }
            Ok(())
        } else {
            // SAFETY: see above.
            unsafe { rustix::mm::msync(addr.cast(), end - start, MsyncFlags::SYNC) }
                .map_err(|e| Error::os(e, "cannot flush the view"))
        }
    }

    /// Gives up ownership: the view stays mapped until [`unmap_view`] is called with an
    /// address inside it. Returns the base address.
    pub fn into_raw(self) -> *mut u8 {
        let base = self.ptr.as_ptr();
        registry()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(base as usize, self);
        base
    }
}

impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: we own this mapping of `mapped` bytes; dropping the View is the only way to
        // unmap it and nothing else refers to it through this object afterwards.
        if unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.mapped) }.is_ok() {
            remember_free_range(self.ptr.as_ptr() as usize, self.mapped);
        }
    }
}

/// Recently unmapped 64 KiB-aligned ranges (most recent last). Placing a new view in one of
/// them takes one `mmap` (with `MAP_FIXED_NOREPLACE`, so a range that was reused meanwhile is
/// simply skipped) instead of the four calls of a reservation.
static FREE_RANGES: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

fn remember_free_range(addr: usize, len: usize) {
    if addr as u64 % ALLOCATION_GRANULARITY != 0 {
        return;
    }
    let mut r = FREE_RANGES.lock().unwrap_or_else(|e| e.into_inner());
    if r.len() >= 16 {
        r.remove(0);
    }
    r.push((addr, len));
}

fn take_free_range(len: usize) -> Option<usize> {
    let mut r = FREE_RANGES.lock().unwrap_or_else(|e| e.into_inner());
    let i = r.iter().rposition(|&(_, l)| l >= len)?;
    Some(r.remove(i).0)
}

fn map_error(e: rustix::io::Errno, len: usize, prot: Protection) -> Error {
    match e {
        rustix::io::Errno::NOMEM => Error::new(ErrorKind::NotEnoughMemory, format!("no room in the address space for a view of {len} bytes")),
        rustix::io::Errno::PERM | rustix::io::Errno::ACCESS if prot.is_executable() => Error::new(
            ErrorKind::AccessDenied,
            "the system refuses executable mappings of this section (is the namespace on a noexec file system?)",
        ),
        e => Error::os(e, format!("cannot map a view of {len} bytes")),
    }
}

/// `ERROR_INVALID_ADDRESS` for a caller-chosen range (`len` bytes at `base`) that is in use.
fn in_use(base: usize, len: usize) -> Error {
    Error::new(
        ErrorKind::InvalidAddress,
        format!("the range at {base:#x} ({len} bytes) is already in use"),
    )
}

/// `ProtFlags` as `mprotect` takes them.
fn prot_mprotect(p: ProtFlags) -> rustix::mm::MprotectFlags {
    rustix::mm::MprotectFlags::from_bits_truncate(p.bits())
}

/// Reserves `len` inaccessible bytes at `base` (failing with `EEXIST` if any of it is in use)
/// or at a 64 KiB-aligned address chosen by the system.
fn reserve(len: usize, base: Option<usize>) -> rustix::io::Result<*mut c_void> {
    let flags = MapFlags::PRIVATE | MapFlags::NORESERVE;
    if let Some(base) = base {
        // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping.
        let p = unsafe {
            rustix::mm::mmap_anonymous(
                base as *mut c_void,
                len,
                ProtFlags::empty(),
                flags | MapFlags::FIXED_NOREPLACE,
            )?
        };
        if p as usize != base {
            // A kernel without MAP_FIXED_NOREPLACE placed it elsewhere.
            // SAFETY: `p` is the reservation we just made.
            let _ = unsafe { rustix::mm::munmap(p, len) };
            return Err(rustix::io::Errno::EXIST);
        }
        return Ok(p);
    }
    let gran = ALLOCATION_GRANULARITY as usize;
    let span = len
        .checked_add(gran - PAGE_SIZE as usize)
        .ok_or(rustix::io::Errno::NOMEM)?;
    // SAFETY: a fresh anonymous PROT_NONE reservation; it touches no existing memory.
    let res = unsafe {
        rustix::mm::mmap_anonymous(std::ptr::null_mut(), span, ProtFlags::empty(), flags)?
    };
    let start = res as usize;
    let aligned = (start + gran - 1) & !(gran - 1);
    // SAFETY: the head and tail slack are parts of our own reservation, unused.
    unsafe {
        if aligned > start {
            let _ = rustix::mm::munmap(res, aligned - start);
        }
        let end = aligned + len;
        if start + span > end {
            let _ = rustix::mm::munmap(end as *mut c_void, start + span - end);
        }
    }
    Ok(aligned as *mut c_void)
}

/// Maps `len` bytes of `fd` at a 64 KiB-aligned address chosen by the system.
fn map_aligned(
    fd: std::os::fd::BorrowedFd<'_>,
    len: usize,
    prot: ProtFlags,
    share: MapFlags,
    offset: u64,
) -> rustix::io::Result<*mut c_void> {
    if let Some(addr) = take_free_range(len) {
        // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping.
        let r = unsafe {
            rustix::mm::mmap(
                addr as *mut c_void,
                len,
                prot,
                share | MapFlags::FIXED_NOREPLACE,
                fd,
                offset,
            )
        };
        match r {
            Ok(p) if p as usize == addr => return Ok(p),
            // SAFETY: a kernel without MAP_FIXED_NOREPLACE placed it elsewhere: our mapping.
            Ok(p) => unsafe {
                let _ = rustix::mm::munmap(p, len);
            },
            Err(_) => {}
        }
    }
    let target = reserve(len, None)?;
    // SAFETY: [target, target + len) is the reservation we just made, so MAP_FIXED replaces
    // only our own reservation.
    let r = unsafe { rustix::mm::mmap(target, len, prot, share | MapFlags::FIXED, fd, offset) };
    if r.is_err() {
        // SAFETY: the reservation is ours and unused.
        let _ = unsafe { rustix::mm::munmap(target, len) };
    }
    r
}

fn registry() -> &'static Mutex<BTreeMap<usize, View>> {
    static REG: Mutex<BTreeMap<usize, View>> = Mutex::new(BTreeMap::new());
    &REG
}

fn take_containing(addr: usize) -> Option<View> {
    let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    let (&base, v) = reg.range(..=addr).next_back()?;
    if addr >= base + v.mapped {
        return None;
    }
    reg.remove(&base)
}

/// `UnmapViewOfFile`: unmaps the registered view (see [`View::into_raw`]) that contains `addr`
/// — any address inside it, as on Windows. An address outside every such view is
/// `ERROR_INVALID_ADDRESS`.
///
/// # Safety
///
/// Nothing may use the view's memory after this call (no references or pointers into it may be
/// dereferenced).
pub unsafe fn unmap_view(addr: *const u8) -> Result<()> {
    match take_containing(addr as usize) {
        Some(v) => {
            drop(v);
            Ok(())
        }
        None => bail!(InvalidAddress, "{addr:p} is not inside a mapped view"),
    }
}

/// `FlushViewOfFile` by address: flushes `len` bytes (`None`: to the end of the view; more
/// than the view holds stops at its end) starting at `addr`, which must lie inside a
/// registered view (see [`View::into_raw`]). With `asynchronous`, only starts the write-back.
pub fn flush_view(addr: *const u8, len: Option<usize>, asynchronous: bool) -> Result<()> {
    let reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    let a = addr as usize;
    let Some((&base, v)) = reg.range(..=a).next_back() else {
        bail!(InvalidAddress, "{addr:p} is not inside a mapped view");
    };
    if a >= base + v.mapped {
        bail!(InvalidAddress, "{addr:p} is not inside a mapped view");
    }
    let offset = a - base;
    let len = len.map_or(v.mapped - offset, |l| l.min(v.mapped - offset));
    v.flush_impl(offset, Some(len), asynchronous)
}

/// Copies between shared memory and private buffers without data races.
///
/// Other threads and processes write a view while we read it (and read it while we write):
/// that is what shared memory is for. A plain `memcpy` of such memory is a data race, which
/// Rust's memory model makes undefined behaviour however the hardware would treat it. These
/// copies access the shared side only through relaxed atomic loads and stores — whole aligned
/// `u64` words in the middle, single bytes at the unaligned ends — so concurrent writers make
/// the result *torn* (each word is some value that was written, words may come from different
/// writes), never undefined. Ordering with respect to other data is the caller's business
/// (a mutex, an event, or an `Acquire` load of a flag), exactly as for any relaxed access.
/// The private side is ordinary memory.
mod atomic_copy {
    use std::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};

    /// Fills `dst` from `src`.
    ///
    /// # Safety
    /// `src..src + dst.len()` is valid for reads for the duration of the call, and every access
    /// to it by anyone is atomic or by the hardware (other processes).
    #[inline]
    pub(super) unsafe fn load(src: *const u8, dst: &mut [u8]) {
        let n = dst.len();
        let head = src.align_offset(8).min(n);
        for (i, d) in dst[..head].iter_mut().enumerate() {
            // SAFETY: in bounds (caller); an AtomicU8 has the alignment of u8.
            *d = unsafe { AtomicU8::from_ptr(src.add(i) as *mut u8) }.load(Relaxed);
        }
        let words = (n - head) / 8;
        // SAFETY: `src + head` is 8-aligned and the `words` words are in bounds (caller).
        let w = unsafe { src.add(head) } as *const AtomicU64;
        // SAFETY: `dst[head..head + words * 8]` is in bounds; written unaligned below.
        let out = unsafe { dst.as_mut_ptr().add(head) } as *mut u64;
        for k in 0..words {
            // SAFETY: word `k` of the source is in bounds and aligned (above), and of the
            // destination in bounds (`write_unaligned` needs no alignment).
            unsafe { out.add(k).write_unaligned((*w.add(k)).load(Relaxed)) };
        }
        for (i, d) in dst.iter_mut().enumerate().skip(head + words * 8) {
            // SAFETY: in bounds (caller).
            *d = unsafe { AtomicU8::from_ptr(src.add(i) as *mut u8) }.load(Relaxed);
        }
    }

    /// Copies `src` to `dst`.
    ///
    /// # Safety
    /// `dst..dst + src.len()` is valid for writes for the duration of the call, and every
    /// access to it by anyone is atomic or by the hardware (other processes).
    #[inline]
    pub(super) unsafe fn store(src: &[u8], dst: *mut u8) {
        let n = src.len();
        let head = dst.align_offset(8).min(n);
        for (i, s) in src[..head].iter().enumerate() {
            // SAFETY: in bounds (caller).
            unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(*s, Relaxed);
        }
        let words = (n - head) / 8;
        // SAFETY: `dst + head` is 8-aligned and the words are in bounds (caller).
        let w = unsafe { dst.add(head) } as *const AtomicU64;
        // SAFETY: `src[head..head + words * 8]` is in bounds; read unaligned below.
        let inp = unsafe { src.as_ptr().add(head) } as *const u64;
        for k in 0..words {
            // SAFETY: as in `load`, with the roles swapped.
            unsafe { (*w.add(k)).store(inp.add(k).read_unaligned(), Relaxed) };
        }
        for (i, s) in src.iter().enumerate().skip(head + words * 8) {
            // SAFETY: in bounds (caller).
            unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(*s, Relaxed);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn copies_every_alignment_and_length() {
            let src: Vec<u8> = (0..200u8).collect();
            for start in 0..9 {
                for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 100, 180] {
                    let mut out = vec![0u8; len];
                    // SAFETY: in bounds of `src`; nobody else accesses it.
                    unsafe { load(src.as_ptr().add(start), &mut out) };
                    assert_eq!(out, &src[start..start + len]);
                    let mut dst = vec![0u8; 200];
                    // SAFETY: in bounds of `dst`; nobody else accesses it.
                    unsafe { store(&src[..len], dst.as_mut_ptr().add(start)) };
                    assert_eq!(&dst[start..start + len], &src[..len]);
                    assert!(dst[..start].iter().all(|&b| b == 0));
                    assert!(dst[start + len..].iter().all(|&b| b == 0));
                }
            }
        }
    }
}
