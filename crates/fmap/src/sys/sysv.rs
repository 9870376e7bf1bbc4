//! System V shared-memory segments (`shmget`, `shmat`, `shmctl`), the one kernel object that
//! another user can reach by a number, with the kernel checking its owner and mode, and that
//! the kernel frees the moment its last attachment goes once it is marked for removal — also
//! when the last attached process is killed. rustix has no wrapper for them; `libc` does.
//!
//! On Linux a segment marked for removal (`IPC_RMID`) keeps its id until its last detach and
//! can still be attached by that id (a Linux extension; its key is gone, so only the id leads
//! to it). Its pages are allocated when first touched. An attachment is an ordinary mapping:
//! `munmap` of part of it, `mremap` of part of it and `fork` each keep the segment's
//! attachment count right (every mapping piece counts), so a segment's memory lives exactly as
//! long as some process maps some page of it.

use rustix::io::Errno;
use std::ffi::c_void;
use std::ptr::NonNull;

/// What `IPC_STAT` reports about a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    /// The creator's effective uid (which nobody can change).
    pub cuid: u32,
    /// The owner's uid and gid (settable by the owner).
    pub uid: u32,
    pub gid: u32,
    /// Permission bits and the kernel's `SHM_DEST` (marked for removal) bit.
    pub mode: u32,
    /// The key; 0 (`IPC_PRIVATE`) for every segment fmap makes.
    pub key: i32,
    /// The size in bytes.
    pub size: u64,
    /// Current attachments.
    pub attached: u64,
}

/// `SHM_DEST` of `Stat::mode`: marked for removal, freed with its last attachment.
pub(crate) const DEST: u32 = 0o1000;

fn errno() -> Errno {
    Errno::from_raw_os_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// A new private segment of `size` bytes with permission bits `mode` (`shmget(IPC_PRIVATE)`).
/// `ENOSPC`: the system's segment count (`kernel.shmmni`) or page total (`kernel.shmall`) is
/// reached; `EINVAL`: larger than `kernel.shmmax`; `ENOMEM`: no memory for its bookkeeping.
pub(crate) fn create(size: u64, mode: u32) -> Result<i32, Errno> {
    let size = usize::try_from(size).map_err(|_| Errno::INVAL)?;
    // SAFETY: shmget takes no pointers.
    let id = unsafe {
        libc::shmget(
            libc::IPC_PRIVATE,
            size,
            libc::IPC_CREAT | libc::IPC_EXCL | (mode & 0o777) as libc::c_int,
        )
    };
    if id < 0 {
        return Err(errno());
    }
    Ok(id)
}

/// `IPC_STAT` (needs read permission on the segment, or `CAP_IPC_OWNER`).
pub(crate) fn stat(id: i32) -> Result<Stat, Errno> {
    // SAFETY: an all-zero shmid_ds is a valid value of this plain C struct.
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: `ds` is a valid, writable shmid_ds for the kernel to fill.
    if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) } < 0 {
        return Err(errno());
    }
    Ok(Stat {
        cuid: ds.shm_perm.cuid,
        uid: ds.shm_perm.uid,
        gid: ds.shm_perm.gid,
        mode: u32::from(ds.shm_perm.mode),
        key: ds.shm_perm.__key,
        size: ds.shm_segsz as u64,
        attached: ds.shm_nattch as u64,
    })
}

/// The memory segment `id` uses now (resident and swapped bytes), from `/proc/sysvipc/shm`,
/// if a segment of that id exists, was created by `cuid` and is `size` bytes long.
///
/// The table is read and parsed at most once a second per process: a listing asks this for
/// each of its objects, and the file lists every segment of the system.
pub(crate) fn usage(id: i32, cuid: u32, size: u64) -> Option<u64> {
    use std::collections::HashMap;
    use std::time::{Duration, Instant};
    /// Segment id → (creator uid, size, resident + swapped bytes).
    type Table = HashMap<u64, (u64, u64, u64)>;
    static CACHE: std::sync::Mutex<Option<(Instant, std::sync::Arc<Table>)>> =
        std::sync::Mutex::new(None);
    let table = {
        let mut c = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        match &*c {
            Some((at, t)) if at.elapsed() < Duration::from_secs(1) => t.clone(),
            _ => {
                let t = std::sync::Arc::new(read_usage_table());
                *c = Some((Instant::now(), t.clone()));
                t
            }
        }
    };
    table
        .get(&u64::try_from(id).ok()?)
        .filter(|&&(c, s, _)| c == u64::from(cuid) && s == size)
        .map(|&(_, _, bytes)| bytes)
}

fn read_usage_table() -> std::collections::HashMap<u64, (u64, u64, u64)> {
    let text = std::fs::read_to_string("/proc/sysvipc/shm").unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            // key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap
            let f: Vec<&str> = l.split_whitespace().collect();
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
            let bytes = num(14).unwrap_or(0).saturating_add(num(15).unwrap_or(0));
            Some((num(1)?, (num(9)?, num(3)?, bytes)))
        })
        .collect()
}

/// `IPC_SET`: the segment's group and permission bits (its owner stays).
pub(crate) fn set_group_and_mode(id: i32, gid: u32, mode: u32) -> Result<(), Errno> {
    // SAFETY: an all-zero shmid_ds is a valid value of this plain C struct.
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: as in `stat`.
    if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) } < 0 {
        return Err(errno());
    }
    ds.shm_perm.gid = gid;
    ds.shm_perm.mode = (mode & 0o777) as _;
    // SAFETY: `ds` is a valid shmid_ds; IPC_SET only reads its uid, gid and mode.
    if unsafe { libc::shmctl(id, libc::IPC_SET, &mut ds) } < 0 {
        return Err(errno());
    }
    Ok(())
}

/// `IPC_RMID`: from now on the segment is freed with its last attachment.
pub(crate) fn remove(id: i32) -> Result<(), Errno> {
    // SAFETY: IPC_RMID reads no buffer.
    if unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) } < 0 {
        return Err(errno());
    }
    Ok(())
}

/// One attachment of a whole segment, or what is left of one: a range of this process's
/// address space that maps (part of) a segment. Dropping it unmaps the range.
#[derive(Debug)]
pub(crate) struct Attachment {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: an Attachment is an owned mapping; it may be unmapped from any thread.
unsafe impl Send for Attachment {}
// SAFETY: `&Attachment` only gives out the address.
unsafe impl Sync for Attachment {}

impl Attachment {
    /// Attaches the whole segment `id` (`len` bytes: its size rounded up to pages) where the
    /// system chooses: read-only unless `write`, executable if `exec`.
    pub(crate) fn attach(
        id: i32,
        len: usize,
        write: bool,
        exec: bool,
    ) -> Result<Attachment, Errno> {
        // SAFETY: with no address the kernel chooses a free range; nothing is replaced.
        unsafe { Self::attach_at(id, len, None, write, exec) }
    }

    /// [`attach`](Attachment::attach) at `at`: `(address, replace)`. Without `replace` the
    /// kernel fails with `EINVAL` if any of the range is in use (nothing is replaced).
    ///
    /// # Safety
    ///
    /// With `replace`, the whole range (`len` bytes at the address) must be this process's own
    /// reservation: whatever is mapped there is replaced.
    pub(crate) unsafe fn attach_at(
        id: i32,
        len: usize,
        at: Option<(usize, bool)>,
        write: bool,
        exec: bool,
    ) -> Result<Attachment, Errno> {
        let mut flags = 0;
        if !write {
            flags |= libc::SHM_RDONLY;
        }
        if exec {
            flags |= libc::SHM_EXEC;
        }
        let mut addr = std::ptr::null();
        if let Some((a, replace)) = at {
            addr = a as *const c_void;
            if replace {
                flags |= libc::SHM_REMAP;
            }
        }
        // SAFETY: a null address lets the kernel choose a free range, and a given one without
        // SHM_REMAP fails instead of replacing anything; with SHM_REMAP the caller promises the
        // range is its own reservation.
        let p = unsafe { libc::shmat(id, addr, flags) };
        if p as isize == -1 {
            return Err(errno());
        }
        // The id may name another segment than the caller looked at (freed and reused in
        // between): only a segment of exactly `len` bytes (whole pages) is taken, so that no
        // length other than the one mapped is ever read or unmapped. Our attachment pins the
        // id, so the size looked at now is the attached segment's.
        let size = stat(id).map(|s| s.size);
        let pages = |n: u64| n.div_ceil(4096) * 4096;
        if size.map_or(true, |s| pages(s) != len as u64) {
            // SAFETY: `p` is the attachment just made; shmdt detaches exactly it, whatever its
            // size.
            unsafe { libc::shmdt(p) };
            return Err(match size {
                Err(e) => e,
                Ok(_) => Errno::IDRM,
            });
        }
        Ok(Attachment {
            // SAFETY: shmat never returns null on success.
            ptr: unsafe { NonNull::new_unchecked(p.cast()) },
            len,
        })
    }

    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Keeps only `[offset, offset + len)` (page-aligned) of the attachment mapped.
    pub(crate) fn keep_only(mut self, offset: usize, len: usize) -> Attachment {
        debug_assert!(offset % 4096 == 0 && offset + len <= self.len);
        let base = self.ptr.as_ptr();
        // SAFETY: both ranges lie inside our own attachment; nothing else refers to them.
        unsafe {
            if offset > 0 {
                let _ = rustix::mm::munmap(base.cast(), offset);
            }
            let end = offset + len;
            let rest = self.len - end.min(self.len);
            if rest > 0 {
                let _ = rustix::mm::munmap(base.add(end).cast(), rest);
            }
        }
        // SAFETY: offset is inside the attachment, so the address is not null.
        self.ptr = unsafe { NonNull::new_unchecked(base.add(offset)) };
        self.len = len;
        self
    }

    /// Moves `[offset, offset + len)` of the attachment to `target` (replacing what is there:
    /// the caller's own reservation) and unmaps the rest of the attachment. Returns the
    /// moved range as an attachment of its own.
    ///
    /// # Safety
    ///
    /// `[target, target + len)` must be a range this process reserved for the purpose (its
    /// mapping there is replaced) that does not overlap the attachment.
    pub(crate) unsafe fn move_part(
        self,
        offset: usize,
        len: usize,
        target: *mut c_void,
    ) -> Result<Attachment, Errno> {
        let base = self.ptr.as_ptr();
        let whole = self.len;
        std::mem::forget(self);
        // SAFETY: the source range lies inside our attachment; the caller promises the target
        // is its own reservation, which MREMAP_FIXED replaces.
        let r = unsafe {
            libc::mremap(
                base.add(offset).cast(),
                len,
                len,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                target,
            )
        };
        let err = (r == libc::MAP_FAILED).then(errno);
        // SAFETY: what is left of our attachment (all of it, if the move failed) is ours. The
        // moved range is not unmapped again: it is a hole now, where another thread may
        // already have mapped something of its own.
        unsafe {
            if err.is_some() {
                let _ = rustix::mm::munmap(base.cast(), whole);
            } else {
                if offset > 0 {
                    let _ = rustix::mm::munmap(base.cast(), offset);
                }
                let end = offset + len;
                if end < whole {
                    let _ = rustix::mm::munmap(base.add(end).cast(), whole - end);
                }
            }
        }
        match err {
            Some(e) => Err(e),
            None => Ok(Attachment {
                // SAFETY: mremap never returns null on success.
                ptr: unsafe { NonNull::new_unchecked(r.cast()) },
                len,
            }),
        }
    }

    /// Gives the mapping up without unmapping it (its new owner unmaps it).
    pub(crate) fn into_raw(self) -> (*mut u8, usize) {
        let r = (self.ptr.as_ptr(), self.len);
        std::mem::forget(self);
        r
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        // SAFETY: we own this range; unmapping it detaches it (the segment counts mappings).
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An id that names a segment of another size than expected (freed and reused in between)
    /// is detached at once: nothing of it is read or unmapped by the expected length.
    #[test]
    fn an_attachment_of_another_size_is_refused_and_detached() {
        let id = create(8192, 0o600).unwrap();
        let keep = Attachment::attach(id, 8192, true, false).unwrap();
        remove(id).unwrap();
        assert_eq!(stat(id).unwrap().attached, 1);
        for wrong in [4096, 12288, 1 << 21] {
            assert_eq!(
                Attachment::attach(id, wrong, false, false).unwrap_err(),
                Errno::IDRM
            );
            // Detached again: still only our first attachment.
            assert_eq!(stat(id).unwrap().attached, 1, "after trying {wrong} bytes");
        }
        let again = Attachment::attach(id, 8192, false, false).unwrap();
        assert_eq!(stat(id).unwrap().attached, 2);
        drop((keep, again));
        assert!(stat(id).is_err(), "freed with its last attachment");
    }
}
