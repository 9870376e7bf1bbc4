//! Companion *segments*: the data of an object that other users may open, in a System V
//! shared-memory segment marked for removal, so that the kernel frees it the moment the last
//! process attached to it ends — however it ends — with the kernel checking every other
//! user's access.
//!
//! A companion memfd (see [`holders`](super::holders)) can only be reached through a holder's
//! `/proc/<pid>/fd`, which another user may not open; there is no daemon to hand it over. A
//! segment can be attached by its id by anyone its owner, group and mode allow, and once marked
//! `IPC_RMID` it is freed with its last attachment. So an object that other users may open
//! (a `Global\` object shared with the directory's users, or shared read-only), or one created
//! where `/proc` is not usable, asks for one ([`FLAG_DATA_SEGMENT`](super::header::FLAG_DATA_SEGMENT)).
//!
//! # Layout and lifetime
//!
//! The segment is the object's data (`header.size` bytes, whole pages) followed by one
//! *trailer* page that ties the segment to its object file:
//!
//! | offset in the trailer | field |
//! |---|---|
//! | 0 | magic `FMAPSEG\0` |
//! | 8, 16 | device and inode of the object file |
//! | 24 | the creator's pid (header offset 64) |
//! | 32 | the creation time (header offset 72) |
//!
//! The creator makes the segment `0600`, attaches it and marks it for removal (`IPC_RMID`) at
//! once (so that only a kill between `shmget` and `shmctl` can leak it), writes the trailer,
//! gives the segment the object file's group and mode (`IPC_SET`, which works on a segment
//! marked for removal; its owner is the creator, as for the object file), and records its id
//! at header offset 40 and the inode of its IPC namespace at offset 48 (an opener in another
//! IPC namespace gets `ERROR_ACCESS_DENIED` instead of someone else's segment), all before the
//! object file gets its name. Every
//! process that holds the object keeps an *anchor*: the trailer page stays attached for as
//! long as the process holds the object (a handle without a view must keep the memory too),
//! and each view is an attachment of its own. The last detach — a last
//! `CloseHandle` and `UnmapViewOfFile`, an exit, a `SIGKILL` — frees the memory at once.
//!
//! # Opening: never on a forgeable id alone
//!
//! Anyone who may write the object file can write the id, and ids are reused once a segment is
//! freed. An opener (any user, root included) attaches the segment and keeps it only if
//! `IPC_STAT`, asked *after* attaching (the attachment pins the id: no reuse in between),
//! shows a segment created by and owned by the object file's owner (`cuid`, which nobody can
//! change, and `uid`), private (key 0), marked for removal and of exactly the data size plus
//! the trailer page (a segment of any other size is detached at once, never read), and only if
//! the trailer names the very object file the opener holds (device and inode) with the
//! header's creator pid and creation time. The trailer's bytes can be copied by anyone who
//! reads the header; what makes them count is that only the owner can create a segment that
//! passes the `cuid` check. The kernel
//! checks the opener's rights on the segment itself (read, or read and write). A forged id
//! therefore leads at most to a segment of the same owner whose trailer someone with write
//! access to *that* segment rewrote — memory that writer could give away anyway.
//!
//! # Limits
//!
//! `kernel.shmmni` (4096 segments by default) bounds how many such objects the system can
//! hold at once, and `kernel.shmall` their total pages. Past either, or where System V IPC is
//! unavailable, a new object keeps its data in its object file (the memory of a crashed last
//! holder then waits for a sweep, as before). Processes in another IPC namespace (containers)
//! cannot reach the segment: they get a clear error.

use crate::error::{Error, ErrorKind, Result};
use crate::store::header::Header;
use crate::sys::sysv::{self, Attachment};
use crate::win32::PAGE_SIZE;
use rustix::io::Errno;
use std::os::fd::BorrowedFd;

const MAGIC: [u8; 8] = *b"FMAPSEG\0";
const TRAILER_LEN: usize = 40;
const PAGE: usize = PAGE_SIZE as usize;

/// The inode of this process's IPC namespace (`/proc/self/ns/ipc`; 0 if it cannot be read):
/// segment ids mean something only inside one IPC namespace.
pub(crate) fn ipc_namespace() -> u64 {
    static NS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *NS.get_or_init(|| {
        rustix::fs::stat("/proc/self/ns/ipc")
            .map(|st| st.st_ino)
            .unwrap_or(0)
    })
}

/// This process's anchor of an object's segment (see the module docs): dropping it is this
/// process's last hold on the memory, apart from its views.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) id: i32,
    /// The segment's length (the data and the trailer page).
    len: usize,
    /// Whether this process may attach it for writing.
    pub(crate) writable: bool,
    _anchor: Attachment,
}

impl Segment {
    /// Another anchor of the same segment (its trailer page attached read-only), to keep the
    /// memory alive on behalf of someone else: a child this process starts with the handle
    /// inherited, which has no attachment from the moment it `exec`s until it has attached the
    /// segment itself.
    pub(crate) fn pin(&self) -> Result<Attachment> {
        Attachment::attach(self.id, self.len, false, false)
            .map(|a| a.keep_only(self.len - PAGE, PAGE))
            .map_err(|e| Error::os(e, "cannot attach a section's memory for a child"))
    }
}

/// Why an open found no usable data for an object: `vanished` for a segment that is not (or
/// no longer) to be had under its id — an error for the opener, not a sign of a stale name —
/// otherwise a companion memfd being closed or tampered with.
#[derive(Debug)]
pub(crate) struct Gone {
    pub(crate) error: Error,
    pub(crate) vanished: bool,
}

fn trailer(obj_dev: u64, obj_ino: u64, header: &Header) -> [u8; TRAILER_LEN] {
    let mut t = [0u8; TRAILER_LEN];
    t[..8].copy_from_slice(&MAGIC);
    t[8..16].copy_from_slice(&obj_dev.to_le_bytes());
    t[16..24].copy_from_slice(&obj_ino.to_le_bytes());
    t[24..32].copy_from_slice(&u64::from(header.creator_pid).to_le_bytes());
    t[32..40].copy_from_slice(&header.created_ns.to_le_bytes());
    t
}

fn segment_len(header: &Header) -> Option<usize> {
    usize::try_from(header.size).ok()?.checked_add(PAGE)
}

/// Makes the segment of a new object whose file is `obj` (not yet linked) and whose header
/// (with its final size, creator pid and creation time) is `header`, with the object file's
/// group and mode `bits`. `Ok(None)`: the system has no segment to give (limits reached, System
/// V IPC unavailable): the caller keeps the data in the object file.
pub(crate) fn create(obj: BorrowedFd<'_>, header: &Header, bits: u32) -> Result<Option<Segment>> {
    let Some(len) = segment_len(header) else {
        return Ok(None);
    };
    let st = rustix::fs::fstat(obj).map_err(|e| Error::os(e, "fstat"))?;
    let id = match sysv::create(len as u64, 0o600) {
        Ok(id) => id,
        Err(Errno::NOSPC | Errno::INVAL | Errno::NOMEM | Errno::NOSYS | Errno::PERM) => {
            return Ok(None)
        }
        Err(e) => {
            return Err(Error::os(
                e,
                "cannot create the memory of a section (shmget)",
            ))
        }
    };
    let made = (|| -> std::result::Result<Segment, Errno> {
        let att = Attachment::attach(id, len, true, false)?;
        // Marked for removal at once: from here on a crash of this process frees it (the
        // window between shmget and here is the only one in which a kill leaks it).
        sysv::remove(id)?;
        let t = trailer(st.st_dev, st.st_ino, header);
        // SAFETY: the trailer page lies inside our fresh, writable attachment of `len` bytes,
        // which nobody else can have attached yet (mode 0600, no key).
        unsafe {
            std::ptr::copy_nonoverlapping(t.as_ptr(), att.as_ptr().add(len - PAGE), t.len());
        }
        sysv::set_group_and_mode(id, st.st_gid, bits)?;
        Ok(Segment {
            id,
            len,
            writable: true,
            _anchor: att.keep_only(len - PAGE, PAGE),
        })
    })();
    match made {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            let _ = sysv::remove(id);
            Err(Error::os(
                e,
                "cannot set up the memory of a section (shmat)",
            ))
        }
    }
}

/// This process's anchor of the segment of the object whose file is `obj` (owned by `uid`)
/// and whose header is `header`, checked as the module docs say; attached for writing if
/// `write` and the kernel allows it. `Ok(Err(_))`: no such segment (any more).
pub(crate) fn open(
    obj: BorrowedFd<'_>,
    header: &Header,
    write: bool,
) -> Result<std::result::Result<Segment, Gone>> {
    let name = &header.name;
    // A segment that no longer exists, or an id that names no segment of this object (reused
    // after the object's own segment was freed, or forged by a writer of the object file):
    // either way this object's memory is not to be had under that id (the caller reports it;
    // the name stays while anyone holds it).
    let gone = |why: String| {
        Ok(Err(Gone {
            error: Error::new(ErrorKind::FileNotFound, why),
            vanished: true,
        }))
    };
    let st = rustix::fs::fstat(obj).map_err(|e| Error::os(e, "fstat"))?;
    // An opener in another IPC namespace (a container) would find another segment, or none,
    // under the id: that says nothing about the object, whose name must stay.
    let (theirs, ours) = (header.file_ino, ipc_namespace());
    if theirs != 0 && ours != 0 && theirs != ours {
        return Err(Error::new(
            ErrorKind::AccessDenied,
            format!(
                "the memory of {name} is a System V segment of another IPC namespace \
                 (ipc:[{theirs}]; this process is in ipc:[{ours}]); share the IPC namespace to open it"
            ),
        ));
    }
    let (Ok(id), Some(len)) = (i32::try_from(header.file_dev), segment_len(header)) else {
        return gone(format!(
            "the header of {name} names no valid memory segment"
        ));
    };
    let denied = |e: Errno| {
        Error::new(
            ErrorKind::AccessDenied,
            format!("the memory of {name} (System V segment {id}) may not be attached by this user: {e}"),
        )
    };
    // Attached first, looked at second: an attachment pins the id, so what `IPC_STAT` says
    // then is about the very segment attached (looked at before, the id could be freed and
    // given to another segment in between). `Attachment::attach` already refused a segment
    // of another size. Read and write if asked and allowed, read-only otherwise.
    let mut writable = write;
    let att = match Attachment::attach(id, len, write, false) {
        Err(Errno::ACCESS) if write => {
            writable = false;
            Attachment::attach(id, len, false, false)
        }
        r => r,
    };
    let att = match att {
        Ok(a) => a,
        Err(Errno::INVAL | Errno::IDRM) => {
            return gone(format!(
            "the memory of {name} is gone (it is being closed), or segment {id} is not its memory"
        ))
        }
        Err(Errno::NOMEM) => {
            return Err(Error::new(
                ErrorKind::NotEnoughMemory,
                format!("no address space left to attach the memory of {name}"),
            ))
        }
        Err(e) => return Err(denied(e)),
    };
    let s = match sysv::stat(id) {
        Ok(s) => s,
        Err(e) => return Err(Error::os(e, format!("cannot look at the memory of {name}"))),
    };
    if s.cuid != st.st_uid
        || s.uid != st.st_uid
        || s.key != 0
        || s.mode & sysv::DEST == 0
        || s.size != len as u64
    {
        return gone(format!(
            "segment {id}, named by the header of {name}, is not its memory (forged or reused id)"
        ));
    }
    let want = trailer(st.st_dev, st.st_ino, header);
    let mut got = [0u8; TRAILER_LEN];
    // SAFETY: the trailer page lies inside our readable attachment of `len` bytes; the copy is
    // of plain bytes (a writer of the segment may change them meanwhile, which only makes the
    // comparison fail).
    unsafe {
        std::ptr::copy_nonoverlapping(att.as_ptr().add(len - PAGE), got.as_mut_ptr(), got.len());
    }
    if got != want {
        return gone(
            format!("segment {id}, named by the header of {name}, belongs to another object (forged or reused id)"),
        );
    }
    Ok(Ok(Segment {
        id,
        len,
        writable,
        _anchor: att.keep_only(len - PAGE, PAGE),
    }))
}
