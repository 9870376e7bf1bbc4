//! The holder table: how an object's *companion data descriptor* — an unlinked `memfd` that
//! holds its data, so that the kernel frees the data the moment the last process holding it
//! dies — is found by a process that opens the object by name.
//!
//! The store knows nothing of what the data is (a section's pages); it only keeps, for an
//! object whose header has [`FLAG_DATA_MEMFD`](super::header::FLAG_DATA_MEMFD), a table of
//! the processes that hold it and the descriptor number under which each keeps the companion
//! open.
//!
//! # Layout
//!
//! [`SLOTS`] slots of 8 bytes start at [`TABLE_OFF`], the state area of the header page (an
//! object with a companion has no state there: it is a section), and run on past the header
//! page: the holder's pid (`u32`) and its descriptor number (`u32`). Slot `i` is *live* while some open
//! file description holds an OFD write lock on byte [`LOCK_BASE`]` + i` of the object file (far
//! beyond its end: lock bytes need no data). A process takes one slot per object it holds,
//! with `F_OFD_SETLK` on a free slot, through the same descriptor as its holder lock on byte
//! 0, writes its record, and unlocks the slot at its last close; the kernel drops the lock when
//! the process dies. Only the slots ever used have a page (the file is sparse): the first 384
//! slots are in the header page, so an object held by fewer processes costs no page more.
//!
//! # Opening: never on a forgeable word alone
//!
//! Anyone who can write the object file can write the slots, so a record is only a hint. An
//! opener looks for a live slot (`F_OFD_GETLK`) and reaches the file it names in one of two
//! ways, chosen by who can have written the record.
//!
//! **Our own user only** (the object file is ours — the opener's effective uid owns it — and
//! is not writable by group or others; every object with a companion is created so): the
//! holder's descriptor is duplicated with `pidfd_getfd` (`sys::pidfd`; it opens nothing, so
//! whatever a slot names, no `open` side effect happens), or, where that is refused (Yama's
//! `ptrace_scope`, a non-dumpable holder), `/proc/<pid>/fd/<fd>` is opened directly with
//! `O_NONBLOCK | O_NOCTTY`: a record written by our own user can only name what our own user
//! can open anyway. The result is taken only if `fstat` shows a regular file with no link,
//! owned by the object's owner, with exactly the device and inode the creator recorded for the
//! companion in the header (offsets 40 and 48) — not another section's memfd, not a file of
//! ours, not a FIFO. (A pid reused between the slot look and the duplication leads to a
//! descriptor of another process, which fails the same check.) What is refused is closed, and
//! a close drops this process's POSIX (`fcntl`, not OFD) record locks on that file, as any
//! close does: a record our own user forged — or a stale one whose pid a process of ours
//! reuses — that names a file this process holds such locks on costs it those locks. The
//! `O_PATH` way below has no such effect. Measured on this project's VM
//! (kernel 6.18, `fmap-bench --only open`): the open + map + unmap + close cycle of a section
//! another process holds went from 23.8 µs (three `/proc` walks) to 14.0 µs (with the header
//! and the table read in one `pread`); `pidfd_getfd` + `close` costs ≈ 1.1 µs where one
//! `/proc/<pid>/fd` open costs ≈ 3.4 µs and a `readlink` ≈ 2.6 µs.
//!
//! **Anyone else** (another user, or root opening another user's object — exactly the cases
//! where a planted record could otherwise turn the opener's privileges against a file it
//! should not touch): the opener opens `/proc/<pid>/fd/<fd>` as `O_PATH` (which needs the
//! right to read that process's descriptors: the same user, or root), and accepts the file it
//! reached only if
//!
//! * it is a regular file with no link (`st_nlink == 0`), owned by the owner of the object
//!   file (the creator: an owner cannot be forged), and
//! * its name, read through the opener's own `O_PATH` descriptor (so the checked file is the
//!   one opened next), is exactly `/memfd:fmap:<dev>:<ino> (deleted)`, where `<dev>:<ino>` is
//!   the identity of the object file the opener itself holds. Creators name the memfd after
//!   their object file's inode, which they know before publishing it. tmpfs gives inode
//!   numbers from a per-mount counter that only grows (32 bits unless mounted `inode64`, so it
//!   wraps only after 2^32 files were created on that file system); a number reused after a
//!   wrap would still need a memfd of the object file's owner under that name, held by a
//!   process whose descriptor the owner (or a process of the same user) recorded — nothing
//!   another user can arrange.
//!
//! Only then is that very inode opened for reading or writing (through `/proc/self/fd` of the
//! `O_PATH` descriptor; the kernel checks the memfd's mode). A forged record therefore leads
//! at most to the companion of the same object, or to a file the object file's owner made
//! under that object's name — who could write anything into the object anyway.
//!
//! A live slot of a dead process is a child `fork`ed without `exec` that inherited the
//! slot's lock and the companion (under the same descriptor number) and outlived the process
//! that took the slot. On the own-user way an opener that finds only such slots looks for
//! their descriptor numbers in its user's processes and checks what it finds as above.

use crate::error::{bail, Error, Result};
use crate::store::header::STATE_OFF;
use crate::sys::ofd::{self, Lock};
use crate::sys::proc::current_pid;
use rustix::fs::{Mode, OFlags};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// Offset of the table in the object file.
pub(crate) const TABLE_OFF: u64 = STATE_OFF as u64;
/// Number of slots: concurrent holding processes an object can have.
pub(crate) const SLOTS: u32 = 1024;
const SLOT_SIZE: u64 = 8;
/// Offset of slot 0's lock byte.
pub(crate) const LOCK_BASE: u64 = 1 << 40;

/// The name a creator gives the companion of the object file `(dev, ino)` (`memfd_create`
/// adds the `memfd:` prefix).
pub(crate) fn memfd_name(dev: u64, ino: u64) -> String {
    format!("fmap:{dev}:{ino}")
}

/// The offset of slot `i`'s record (its pid; the descriptor number follows).
pub(crate) fn slot_offset(i: u32) -> u64 {
    TABLE_OFF + u64::from(i) * SLOT_SIZE
}

/// Takes a free slot through `obj_fd` and records `(this pid, data_fd)` in it. The slot stays
/// taken until [`unregister`] or until `obj_fd`'s open file description goes.
pub(crate) fn register(obj_fd: BorrowedFd<'_>, data_fd: BorrowedFd<'_>) -> Result<u32> {
    let pid = crate::sys::proc::current_pid();
    let fd = data_fd.as_raw_fd() as u32;
    // Start at a slot picked by the pid, so that the first try usually succeeds (concurrent
    // holders rarely pick the same) and the slots stay in the header page (the first 384).
    let first = pid % 384;
    for i in (first..SLOTS).chain(0..first) {
        let got = match ofd::set(obj_fd, Lock::Write, LOCK_BASE + u64::from(i), 1, false) {
            Ok(g) => g,
            // A write lock needs a descriptor open for writing: this process could open the
            // object file for reading only (its owner made it read-only).
            Err(e) if e.raw_os_error() == Some(libc::EBADF) => bail!(
                AccessDenied,
                "cannot take a holder slot: this process may only read the object file, and a \
                 holder of a section whose memory is freed with its last holder must record \
                 itself in it (the object file's mode was changed to deny writing)"
            ),
            Err(e) => return Err(Error::os(e, "cannot take a holder slot")),
        };
        if !got {
            continue;
        }
        let mut rec = [0u8; 8];
        rec[..4].copy_from_slice(&pid.to_le_bytes());
        rec[4..].copy_from_slice(&fd.to_le_bytes());
        let off = TABLE_OFF + u64::from(i) * SLOT_SIZE;
        let r = rustix::io::pwrite(obj_fd, &rec, off);
        if !matches!(r, Ok(8)) {
            let _ = ofd::set(obj_fd, Lock::Unlock, LOCK_BASE + u64::from(i), 1, false);
            return Err(match r {
                Err(e) => Error::os(e, "cannot record a holder slot"),
                Ok(_) => Error::new(
                    crate::error::ErrorKind::DiskFull,
                    "cannot record a holder slot (short write)",
                ),
            });
        }
        return Ok(i);
    }
    bail!(
        NotEnoughMemory,
        "all {SLOTS} holder slots of the object are taken: it is held by {SLOTS} processes \
         already"
    )
}

/// Is any slot taken through another open file description?
pub(crate) fn any_live(obj_fd: BorrowedFd<'_>) -> bool {
    ofd::held_by_others(obj_fd, Lock::Write, LOCK_BASE, u64::from(SLOTS)).unwrap_or(true)
}

/// Gives back a slot [`register`] took.
pub(crate) fn unregister(obj_fd: BorrowedFd<'_>, slot: u32) {
    let _ = ofd::set(obj_fd, Lock::Unlock, LOCK_BASE + u64::from(slot), 1, false);
}

/// Why no companion was found.
#[derive(Debug, Default)]
pub(crate) struct Miss {
    /// Live slots seen.
    pub live: u32,
    /// Live slots whose `/proc/<pid>/fd/<fd>` this process may not open (another user).
    pub denied: u32,
    /// Live slots that led to something that is not this object's companion.
    pub refused: u32,
    /// Live slots this process could not follow for want of a descriptor (`EMFILE`/`ENFILE`).
    pub exhausted: u32,
}

/// The object file's identity and owner, as the opener sees it, and the companion's identity
/// as the creator recorded it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner {
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    /// `(st_dev, st_ino)` of the companion, from the header (offsets 40 and 48, which only
    /// file-backed sections use otherwise); `(0, 0)` in objects whose creator did not record
    /// it.
    pub data: (u64, u64),
    /// Only this process's user (or root, if that is who we are) can have written the holder
    /// table and `data`: the object file is ours and writable by its owner only.
    pub trusted: bool,
}

impl Owner {
    /// `data`: the companion identity recorded in the object's header.
    pub(crate) fn of(obj_fd: BorrowedFd<'_>, data: (u64, u64)) -> Result<Owner> {
        let st = rustix::fs::fstat(obj_fd).map_err(|e| Error::os(e, "fstat"))?;
        Ok(Owner {
            dev: st.st_dev,
            ino: st.st_ino,
            uid: st.st_uid,
            data,
            trusted: st.st_uid == rustix::process::geteuid().as_raw()
                && st.st_mode & 0o022 == 0
                && data.1 != 0,
        })
    }
}

/// What a live slot led to: an `O_PATH` descriptor of the checked companion (to be opened by
/// [`open_reached`]), or a descriptor of it already open for I/O (the trusted way).
#[derive(Debug)]
pub(crate) enum Reached {
    Path(OwnedFd),
    Data(OwnedFd),
}

impl Reached {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Reached::Path(f) | Reached::Data(f) => f.as_fd(),
        }
    }
}

/// Finds the companion through a live slot, checked (see the module docs); `write`: the
/// caller wants to write it; `pre`: the table's first bytes if the caller has read them
/// already (read at most once more). `Err(Miss)` if no live slot yields it.
pub(crate) fn find(
    obj_fd: BorrowedFd<'_>,
    owner: Owner,
    write: bool,
    pre: &[u8],
) -> std::result::Result<Reached, Miss> {
    let mut miss = Miss::default();
    let mut table = vec![0u8; (SLOTS as u64 * SLOT_SIZE) as usize];
    let pre = &pre[..pre.len().min(table.len())];
    table[..pre.len()].copy_from_slice(pre);
    let mut table_read = pre.len();
    // Ranges of slots still to look at. One look finds a taken slot in a range (the kernel
    // reports one conflicting lock, not necessarily the first): that slot is tried, and the
    // slots on both sides of it are looked at later, the lower ones first.
    let mut ranges = vec![(0u32, SLOTS)];
    // Descriptor numbers of live slots whose process is gone (see below).
    let mut orphans: Vec<u32> = Vec::new();
    while let Some((lo, hi)) = ranges.pop() {
        if lo >= hi {
            continue;
        }
        let start = LOCK_BASE + u64::from(lo);
        let i = match ofd::conflicting_start(obj_fd, Lock::Write, start, u64::from(hi - lo)) {
            Ok(Some(s)) if s >= start && s < LOCK_BASE + u64::from(hi) => (s - LOCK_BASE) as u32,
            // A lock that starts before the range (forged: fmap locks one byte per slot).
            Ok(Some(_)) => lo,
            Ok(None) => continue,
            Err(_) => return Err(miss),
        };
        ranges.push((i + 1, hi));
        ranges.push((lo, i));
        miss.live += 1;
        let at = (i as u64 * SLOT_SIZE) as usize;
        if table_read < at + 8 {
            // Read the table up to here and a bit beyond (usually the first few slots).
            let want = (at + 512).min(table.len());
            table_read = pread_full(obj_fd, &mut table[..want], TABLE_OFF);
            if table_read < at + 8 {
                miss.refused += 1;
                continue;
            }
        }
        let pid = u32::from_le_bytes(table[at..at + 4].try_into().unwrap_or([0; 4]));
        let fd = u32::from_le_bytes(table[at + 4..at + 8].try_into().unwrap_or([0; 4]));
        match check_slot(pid, fd, owner, write) {
            Ok(p) => return Ok(p),
            Err(SlotErr::Denied) => miss.denied += 1,
            Err(SlotErr::Refused) => {
                miss.refused += 1;
                if owner.trusted && !process_exists(pid) && orphans.len() < 8 {
                    orphans.push(fd);
                }
            }
            Err(SlotErr::Exhausted) => miss.exhausted += 1,
        }
    }
    // Live slots of dead processes: their descriptions are held by children `fork`ed
    // without `exec`, which inherited the slot's lock and the companion under the same
    // number but never took a slot of their own. Where only our own user can have written the
    // table, look for that number in our own user's processes (one `stat` each; only this
    // rare case pays for the walk) and take the companion from one that has it.
    for fd in orphans {
        if let Some(p) = find_in_processes(fd, owner, write) {
            return Ok(p);
        }
    }
    Err(miss)
}

/// Does process `pid` exist (in this process's PID namespace)?
fn process_exists(pid: u32) -> bool {
    pid != 0
        && pid <= i32::MAX as u32
        && rustix::process::test_kill_process(rustix::process::Pid::from_raw(pid as i32).unwrap())
            .map_or_else(|e| e != rustix::io::Errno::SRCH, |()| true)
}

/// A process of our own user that has the companion `owner` records open under `fd`, reached
/// as [`check_slot_trusted`] does (the same checks decide).
fn find_in_processes(fd: u32, owner: Owner, write: bool) -> Option<Reached> {
    let me = current_pid();
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        // Follows the link: the device and inode of what that descriptor is (only processes
        // we may look into answer).
        let path = format!("/proc/{pid}/fd/{fd}");
        match rustix::fs::stat(path.as_str()) {
            Ok(st) if (st.st_dev, st.st_ino) == owner.data => {}
            _ => continue,
        }
        if let Ok(d) = check_slot_trusted(pid, fd, owner, write) {
            return Some(Reached::Data(d));
        }
    }
    None
}

fn pread_full(fd: BorrowedFd<'_>, buf: &mut [u8], off: u64) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match rustix::io::pread(fd, &mut buf[n..], off + n as u64) {
            Ok(0) => break,
            // A short read of a regular file is its end.
            Ok(k) if k < buf.len() - n => return n + k,
            Ok(k) => n += k,
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => break,
        }
    }
    n
}

/// Why a live slot did not yield the companion.
enum SlotErr {
    /// This process may not reach the holder's descriptors (another user).
    Denied,
    /// Not the companion, or gone.
    Refused,
    /// No descriptor left to reach it with.
    Exhausted,
}

/// Sorts an `open` error of a slot's `/proc/<pid>/fd/<fd>`.
fn open_err(e: rustix::io::Errno) -> SlotErr {
    match e {
        rustix::io::Errno::ACCESS | rustix::io::Errno::PERM => SlotErr::Denied,
        rustix::io::Errno::MFILE | rustix::io::Errno::NFILE => SlotErr::Exhausted,
        _ => SlotErr::Refused,
    }
}

fn check_slot(
    pid: u32,
    fd: u32,
    owner: Owner,
    write: bool,
) -> std::result::Result<Reached, SlotErr> {
    if pid == 0 || pid > i32::MAX as u32 || fd > i32::MAX as u32 {
        return Err(SlotErr::Refused);
    }
    if owner.trusted {
        return check_slot_trusted(pid, fd, owner, write).map(Reached::Data);
    }
    let path = format!("/proc/{pid}/fd/{fd}");
    let p = match rustix::fs::open(path.as_str(), OFlags::PATH | OFlags::CLOEXEC, Mode::empty()) {
        Ok(p) => p,
        Err(e) => return Err(open_err(e)),
    };
    if verify(p.as_fd(), owner) {
        Ok(Reached::Path(p))
    } else {
        Err(SlotErr::Refused)
    }
}

/// [`check_slot`] where only our own user can have written the slot (`owner.trusted`): the
/// holder's descriptor is duplicated (`pidfd_getfd`, which opens nothing) or, where that is
/// refused, its `/proc/<pid>/fd/<fd>` opened directly — what a slot names is then something
/// our own user could open anyway. It is taken if it is the companion the creator recorded:
/// a regular file with no link, of the object's owner, with the recorded device and inode.
fn check_slot_trusted(
    pid: u32,
    fd: u32,
    owner: Owner,
    write: bool,
) -> std::result::Result<OwnedFd, SlotErr> {
    let d = match crate::sys::pidfd::getfd(pid, fd) {
        Ok(d) => d,
        Err(crate::sys::pidfd::Refused::Gone) => return Err(SlotErr::Refused),
        Err(crate::sys::pidfd::Refused::Denied) => {
            let path = format!("/proc/{pid}/fd/{fd}");
            let flags = OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let rw = if write { OFlags::RDWR } else { OFlags::RDONLY };
            match rustix::fs::open(path.as_str(), flags | rw, Mode::empty()) {
                Ok(d) => d,
                Err(rustix::io::Errno::ACCESS) if write => {
                    rustix::fs::open(path.as_str(), flags | OFlags::RDONLY, Mode::empty())
                        .map_err(open_err)?
                }
                Err(e) => return Err(open_err(e)),
            }
        }
    };
    match rustix::fs::fstat(&d) {
        Ok(st) if unlinked_file_of(&st, owner) && (st.st_dev, st.st_ino) == owner.data => Ok(d),
        _ => Err(SlotErr::Refused),
    }
}

/// Could `st` be the companion of the object `owner` describes: a regular file with no link,
/// of the object file's owner? (What both ways check first.)
fn unlinked_file_of(st: &rustix::fs::Stat, owner: Owner) -> bool {
    rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
        && st.st_nlink == 0
        && st.st_uid == owner.uid
}

/// Is `p` the companion of the object `owner` describes? (See the module docs.)
pub(crate) fn verify(p: BorrowedFd<'_>, owner: Owner) -> bool {
    if !rustix::fs::fstat(p).is_ok_and(|st| unlinked_file_of(&st, owner)) {
        return false;
    }
    let link = format!("/proc/self/fd/{}", p.as_raw_fd());
    let Ok(target) = rustix::fs::readlink(link.as_str(), Vec::new()) else {
        return false;
    };
    let want = format!("/memfd:{} (deleted)", memfd_name(owner.dev, owner.ino));
    target.as_bytes() == want.as_bytes()
}

/// Opens the companion [`find`] reached for reading and, if `write` and its mode allows,
/// writing. Returns the descriptor and whether it is writable.
pub(crate) fn open_reached(r: Reached, write: bool) -> Result<(OwnedFd, bool)> {
    let p = match r {
        Reached::Path(p) => p,
        Reached::Data(d) => {
            let writable = rustix::fs::fcntl_getfl(&d)
                .map(|f| f & OFlags::RWMODE == OFlags::RDWR)
                .unwrap_or(false);
            if writable || !write {
                return Ok((d, writable));
            }
            // The holder's description is read-only: a description of our own, if the mode
            // lets us write.
            d
        }
    };
    let flags = OFlags::NOCTTY | OFlags::NONBLOCK;
    if write {
        match crate::store::object::reopen_fd(p.as_fd(), flags | OFlags::RDWR) {
            Ok(f) => return Ok((f, true)),
            Err(e)
                if e.os_error()
                    .and_then(|o| o.raw_os_error())
                    .is_some_and(|c| c == libc::EACCES || c == libc::EROFS) => {}
            Err(e) => return Err(e),
        }
    }
    crate::store::object::reopen_fd(p.as_fd(), flags | OFlags::RDONLY).map(|f| (f, false))
}

/// Is `/proc` there to find companions through? (Checked once per process.) Without it,
/// objects keep their data in the object file.
pub(crate) fn proc_usable() -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(|| rustix::fs::access("/proc/self/fd", rustix::fs::Access::EXISTS).is_ok())
}

/// The allocated bytes of an object's companion, if this process may look at it (for
/// listings); `None` otherwise.
pub(crate) fn allocated(obj_fd: BorrowedFd<'_>, data: (u64, u64)) -> Option<u64> {
    let owner = Owner::of(obj_fd, data).ok()?;
    let r = find(obj_fd, owner, false, &[]).ok()?;
    let st = rustix::fs::fstat(r.fd()).ok()?;
    Some(st.st_blocks as u64 * 512)
}
