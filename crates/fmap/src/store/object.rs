//! The lifetime core shared by every object type: the holder-lock protocol that gives Windows'
//! name lifetime without a daemon. (The file format is in [`super::header`].)
//!
//! # Lifetime: holder locks
//!
//! Every process that has at least one handle to a named object holds an OFD read lock on byte
//! 0 of its file (one descriptor and one lock per process and object; further handles in the
//! same process share them through the namespace directory's cache). The kernel drops the
//! lock when the process dies, however it dies. Views are plain `mmap`s and hold no lock: they
//! keep the *memory* alive (an unlinked tmpfs file lives until its last mapping goes) but not the
//! *name*, exactly as on Windows.
//!
//! * **Close.** The last handle in a process releases its lock, *then* asks the kernel whether
//!   anyone else holds one. Because every closer unlocks before it looks, the last of several
//!   concurrent closers always sees none. Only then does it take the name's bucket lock, set the
//!   header's `closing` flag, look once more, and unlink the name if still nobody holds it (and
//!   its file still has its one link: a sweeper may have removed it meanwhile).
//! * **Open.** Lock-free in the common case: open the file, check that someone holds it, take a
//!   read lock, read the header. If nobody held it, or the header says `closing`, the open is
//!   redone under the bucket lock, where "nobody holds it" means its last holder died without
//!   closing: the stale file is removed and the name treated as absent.
//! * **Why the `closing` flag.** A closer that decides "nobody holds it" may race with an
//!   opener that saw another holder a moment earlier. Every unlinker stores `closing = 1` before
//!   its final check, and every lock-free opener reads the flag after taking its lock; the
//!   kernel's lock-list spinlock orders the two, so either the unlinker sees the opener's lock
//!   (and keeps the name) or the opener sees the flag (and retries under the bucket lock).
//! * **Create.** Try to open; if absent, build the new object in an anonymous `O_TMPFILE`, take
//!   its holder lock and `linkat` it into place. A concurrent creator that loses the race gets
//!   `EEXIST` and opens the winner's object instead.
//!
//! # Companion data descriptors
//!
//! An object may keep its data in a companion: an unlinked memfd, which the kernel frees when
//! the last process with a descriptor or a mapping of it ends, so the data of an object whose
//! last holder crashed does not wait for a sweep. The layer above asks for one with
//! [`FLAG_DATA_MEMFD`] in the header; the store grants it only to objects no other user may
//! open (their file mode has no group or other bits) and where `/proc` is mounted, and clears
//! the flag otherwise — asking for a System V segment instead ([`FLAG_DATA_SEGMENT`], see
//! [`segment`]; past the system's segment limits the data stays in the object file). Each
//! holding process keeps a descriptor of the companion (or an attachment of the segment's
//! trailer page, which needs no table: the id is in the header) for as long as it holds the
//! object and records the descriptor in a slot of the object's holder table, locked through
//! the same open file description as its holder lock; openers find the companion through a
//! live slot and check it before they use it ([`holders`]). The slot lock is released after
//! the last-close protocol above, so an opener that got its holder lock in before a closer
//! looked still finds the closer's descriptor. An opener that finds holders but no usable slot
//! decides under the bucket lock: with no slot taken at all (looked at after raising
//! `closing`, as for the holder lock) the memory is gone and the name is removed as stale;
//! a slot that is taken but not yet written is waited for briefly (at most
//! `COMPANION_BOUND`). A lock-free opener re-reads `closing` after taking its slot and retries
//! under the bucket lock if it is set.
//!
//! A segment that no longer exists (or an id that names no segment of this object) while
//! holders remain is an error for the opener (`ERROR_FILE_NOT_FOUND`), never a reason to
//! remove the name: the lock-free path retries under the bucket lock, which removes the name
//! only if nobody holds it (stale), as for any object.

use crate::error::{bail, Error, ErrorKind, Result};
use crate::store::header::{
    read_header, read_header_page, write_closing, Header, FLAG_DATA_MEMFD, FLAG_DATA_SEGMENT,
    FLAG_FILE_BACKED, FLAG_OTHERS_READ_ONLY, FLAG_PRIVATE, STATE_OFF,
};
use crate::store::holders;
use crate::store::name::Name;
use crate::store::namespace::{bucket_of_file, BucketGuard, Dir};
use crate::store::segment::{self, Gone, Segment};
use crate::sys::ofd::{self, Lock};
use crate::sys::page::Page;
use crate::sys::proc::current_pid;
use rustix::fs::{AtFlags, Mode, OFlags};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// One object as this process holds it: the descriptor of its file (shared with views) and
/// its header. Dropping the last `Arc<Object>` of a named object is the last `CloseHandle`
/// of this process.
pub(crate) struct Object {
    pub(crate) fd: Arc<OwnedFd>,
    pub(crate) header: Header,
    /// Whether `fd` is open for writing (users with read-only access to a `Global\` object
    /// get a read-only descriptor).
    writable: bool,
    entry: Option<Entry>,
    /// The header page mapped into this process (synchronization objects only).
    pub(crate) page: std::sync::OnceLock<Page>,
    /// What happens to `page` at this process's last close (set by the layer that maps it).
    pub(crate) last_close: std::sync::OnceLock<LastClose>,
    identity: std::sync::OnceLock<(u64, u64)>,
    /// The process that opened or created it. In a child `fork`ed without `exec` the object
    /// is inherited: its descriptor shares the parent's open file description and so the
    /// parent's holder lock, which the child must neither release nor unlock (see `Drop`), and
    /// the child's own opens do not reuse it (see `cached`).
    pid: u32,
    /// The companion data descriptor of an object with [`FLAG_DATA_MEMFD`], or this process's
    /// anchor of the segment of one with [`FLAG_DATA_SEGMENT`].
    data: Option<Data>,
}

/// Where an object's data lives when it is not in the object file.
enum Data {
    Memfd(Companion),
    Segment(Segment),
}

/// An object's companion data descriptor as this process holds it (see [`holders`]).
struct Companion {
    fd: Arc<OwnedFd>,
    writable: bool,
    /// Our slot in the holder table (named objects).
    slot: Option<u32>,
}

struct Entry {
    dir: Arc<Dir>,
    file_name: String,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("header", &self.header)
            .finish()
    }
}

/// What [`Object::open_or_create`] does to a new object between publishing and handing it out.
pub(crate) type Claim<'a> = &'a dyn Fn(&Object) -> Result<()>;

/// The last-close hook of an object's mapped page: given the page, it drops it or keeps it
/// mapped for good.
pub(crate) type LastClose = fn(&Object, Page);

/// How an object came to be held: made by this call, or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Created,
    Existing,
}

enum Probe {
    Found(Arc<Object>),
    NotFound,
    Slow,
}

static TMP_COUNTER: AtomicU32 = AtomicU32::new(0);

impl Object {
    /// A named object this process now holds (its holder lock is taken).
    fn held(
        fd: OwnedFd,
        header: Header,
        writable: bool,
        dir: &Arc<Dir>,
        file_name: &str,
        data: Option<Data>,
    ) -> Object {
        Object {
            data,
            fd: Arc::new(fd),
            header,
            writable,
            page: Default::default(),
            last_close: Default::default(),
            identity: Default::default(),
            pid: current_pid(),
            entry: Some(Entry {
                dir: dir.clone(),
                file_name: file_name.to_owned(),
            }),
        }
    }

    /// Whether this process inherited the object through a `fork` (it was opened by the
    /// parent, or an ancestor).
    #[inline]
    pub(crate) fn is_inherited(&self) -> bool {
        self.pid != current_pid()
    }

    /// Is this process the last holder anywhere (an unnamed object, or no other process holds
    /// the name)? Errors count as "no".
    pub(crate) fn last_holder_anywhere(&self) -> bool {
        self.entry.is_none()
            || !ofd::held_by_others(self.fd.as_fd(), Lock::Write, 0, 1).unwrap_or(true)
    }

    /// The companion data descriptor and whether it is writable, for an object whose data
    /// lives in one (see [`holders`]).
    pub(crate) fn data(&self) -> Option<(&Arc<OwnedFd>, bool)> {
        match &self.data {
            Some(Data::Memfd(c)) => Some((&c.fd, c.writable)),
            _ => None,
        }
    }

    /// The System V segment holding the object's data and whether this process may attach it
    /// for writing, for an object whose data lives in one (see [`segment`]).
    pub(crate) fn segment(&self) -> Option<(i32, bool)> {
        match &self.data {
            Some(Data::Segment(s)) => Some((s.id, s.writable)),
            _ => None,
        }
    }

    /// Whether this object has a name in a namespace.
    pub(crate) fn is_named(&self) -> bool {
        self.entry.is_some()
    }

    /// The object file's (device, inode): a global identity and order for wait-all.
    pub(crate) fn identity(&self) -> Result<(u64, u64)> {
        if let Some(id) = self.identity.get() {
            return Ok(*id);
        }
        let st = rustix::fs::fstat(&*self.fd).map_err(|e| Error::os(e, "fstat"))?;
        Ok(*self.identity.get_or_init(|| (st.st_dev, st.st_ino)))
    }

    /// The header page, mapped on first use.
    #[inline]
    pub(crate) fn page(&self) -> Result<&crate::sys::page::Page> {
        if let Some(p) = self.page.get() {
            return Ok(p);
        }
        let p = crate::sys::page::Page::map(self.fd.as_fd())?;
        Ok(self.page.get_or_init(|| p))
    }

    /// Fails with `ERROR_ACCESS_DENIED` unless the object's header can only have been written
    /// by the calling user or by root: its file belongs to one of them and no one else may
    /// write it (file-backed sections are created so, see [`create_linked`]). Bytes another
    /// user can write are never trusted for anything outside the namespace directory, such as
    /// the path of a file-backed section. Unnamed objects (memfds) are this process's own.
    pub(crate) fn check_written_only_by_me_or_root(&self) -> Result<()> {
        if self.entry.is_none() {
            return Ok(());
        }
        let st = rustix::fs::fstat(&*self.fd).map_err(|e| Error::os(e, "fstat"))?;
        let euid = rustix::process::geteuid().as_raw();
        if (st.st_uid == euid || st.st_uid == 0) && st.st_mode & 0o022 == 0 {
            return Ok(());
        }
        let why = if st.st_uid != euid && st.st_uid != 0 {
            format!("was created by uid {}", st.st_uid)
        } else {
            format!(
                "can be rewritten by other users (mode {:o})",
                st.st_mode & 0o777
            )
        };
        bail!(
            AccessDenied,
            "section {} is backed by a file whose path {why}; fmap opens the file of a section \
             only on the word of your own user or root",
            self.header.name
        )
    }

    /// Whether this process could open the object file for writing.
    pub(crate) fn writable(&self) -> bool {
        self.writable
    }

    /// Opens the existing object called `name` in `dir`, or returns `Ok(None)`.
    pub(crate) fn open(dir: &Arc<Dir>, name: &Name) -> Result<Option<Arc<Object>>> {
        match Object::lookup(dir, name)? {
            None => dir.check_not_removed().map(|()| None),
            found => Ok(found),
        }
    }

    /// [`Object::open`] without telling "absent" from "the directory was removed": for
    /// callers that create next, whose `O_TMPFILE`/`linkat` fail in a removed directory and
    /// check then (one system call less on the create path).
    fn lookup(dir: &Arc<Dir>, name: &Name) -> Result<Option<Arc<Object>>> {
        let file_name = name.file_name_str();
        if let Some(obj) = cached(dir, file_name, name)? {
            return Ok(Some(obj));
        }
        let obj = match probe_fast(dir, name, file_name)? {
            Probe::Found(o) => o,
            Probe::NotFound => return Ok(None),
            Probe::Slow => match probe_locked(dir, name, file_name)? {
                Probe::Found(o) => o,
                _ => return Ok(None),
            },
        };
        Ok(Some(insert_cache(dir, file_name, obj)))
    }

    /// Opens `name`, or creates it with `header` and `init` (which sizes and fills the new
    /// file before it is published). A caller that has just found the name absent passes
    /// `probe_first = false` to try creating first (a failed lookup costs as much as a create
    /// attempt that loses to an existing name, which is rare).
    ///
    /// `claim`, if given, runs on a newly created object right after it got its name and
    /// before anyone else can use it (an initially owned mutex takes its ownership there): the
    /// object is published with `closing` raised under its bucket lock, so every other opener
    /// waits for the bucket lock, and the flag is cleared once `claim` succeeded. Nothing that
    /// `claim` does can therefore happen to an object that is later discarded.
    pub(crate) fn open_or_create(
        dir: &Arc<Dir>,
        name: &Name,
        header: &Header,
        init: &dyn Fn(BorrowedFd<'_>, u64) -> Result<()>,
        claim: Option<Claim<'_>>,
        probe_first: bool,
    ) -> Result<(Arc<Object>, Origin)> {
        let mut probe = probe_first;
        let mut since: Option<std::time::Instant> = None;
        loop {
            if probe {
                if let Some(obj) = Object::lookup(dir, name)? {
                    return Ok((obj, Origin::Existing));
                }
            }
            probe = true;
            if let Some(obj) = create_linked(dir, name, header, init, claim)? {
                return Ok((obj, Origin::Created));
            }
            // Lost a race with another creator: open theirs. A name that keeps appearing
            // and vanishing (another user linking a file that is no object under it, again
            // and again) must not keep us here: the same bound as for a bucket lock.
            let start = *since.get_or_insert_with(std::time::Instant::now);
            if start.elapsed() >= crate::store::namespace::BUCKET_LOCK_BOUND {
                bail!(
                    Timeout,
                    "{name}: for {} s, every attempt to create it lost to a file that appeared \
                     under its name in {} and was no usable object (another user may be \
                     planting it)",
                    crate::store::namespace::BUCKET_LOCK_BOUND.as_secs(),
                    dir.path.display()
                );
            }
        }
    }

    /// Creates an unnamed object in a sealed memfd.
    pub(crate) fn create_unnamed(
        header: &Header,
        init: &dyn Fn(BorrowedFd<'_>, u64) -> Result<()>,
    ) -> Result<Arc<Object>> {
        let fd = rustix::fs::memfd_create(
            "fmap",
            rustix::fs::MemfdFlags::CLOEXEC | rustix::fs::MemfdFlags::ALLOW_SEALING,
        )
        .map_err(|e| Error::os(e, "cannot create an unnamed object (memfd_create)"))?;
        init(fd.as_fd(), crate::store::header::HEADER_SIZE)?;
        let mut header = header.clone();
        header.flags &= !FLAG_DATA_MEMFD;
        write_all_at(fd.as_fd(), &header.encode(), 0, "unnamed object")?;
        // Nobody can shrink or grow an unnamed object under its views.
        let _ = rustix::fs::fcntl_add_seals(
            &fd,
            rustix::fs::SealFlags::SHRINK
                | rustix::fs::SealFlags::GROW
                | rustix::fs::SealFlags::SEAL,
        );
        Ok(Arc::new(Object {
            data: None,
            fd: Arc::new(fd),
            header,
            writable: true,
            entry: None,
            page: Default::default(),
            last_close: Default::default(),
            identity: Default::default(),
            pid: current_pid(),
        }))
    }
}

/// Passing handles to a child process across `exec` (Win32 handle inheritance): the parent
/// calls [`AnyObject::export_for_child`](crate::AnyObject::export_for_child) (or [`File::export_for_child`](crate::File::export_for_child)) for each inheritable handle, keeps the descriptor open
/// in the child (clearing its close-on-exec flag between `fork` and `exec`) and tells the child
/// the descriptor numbers and descriptions; the child calls `adopt_inherited` of the same type
/// for each. The parent closes its copies of the descriptors once the child has started.
///
/// A named object's descriptor carries a holder lock of its own from the moment it is made, so
/// the name lives while the child holds the handle — also after the parent has closed its own —
/// and no longer than that: the lock goes with the child's last copy of the descriptor,
/// however the child ends (`SIGKILL` included). An unnamed object lives while any process has
/// a handle or a view of it.
#[derive(Debug)]
pub struct Exported {
    /// The descriptors to keep open across `exec` (close-on-exec until the caller clears it).
    pub fds: Vec<OwnedFd>,
    /// What the child passes to `adopt_inherited` with them: printable ASCII
    /// without spaces, `,` or `;`.
    pub description: String,
    /// `(index into fds, offset)`: a child that gets these descriptors through `fork` (at the
    /// same numbers) writes its pid, a little-endian `u32`, at that offset of that descriptor
    /// right after the fork (`pwrite` is async-signal-safe), before `exec`. It makes the
    /// holder slot the parent took for the child name the child, so that the section's memory
    /// can be found through it (see `store::holders`) while the child holds it, also before
    /// it has started. Empty for most objects; a process that gets the descriptors otherwise
    /// (`SCM_RIGHTS`) ignores it.
    pub pid_slots: Vec<(usize, u64)>,
    /// For a section whose memory is a System V segment (see [`KeepAlive`]): keep it until
    /// the child has exited.
    pub keep_alive: Option<KeepAlive>,
}

/// Keeps the memory of an exported section alive in this process (one attached page).
///
/// A section that other users may open keeps its memory in a System V segment, which lives
/// while some process has it attached, and no attachment survives `exec`: a child that
/// inherits the handle has none from its `exec` until its copy of the library has attached the
/// segment again, and if the parent closed its own handle meanwhile the memory would be gone.
/// The parent keeps this until the child has exited (the C ABI's process reaper drops it), so
/// the memory lives at least as long as either holds it; when the parent ends first, the
/// child's own attachment (made when it starts) keeps it.
#[derive(Debug)]
pub struct KeepAlive {
    _anchor: crate::sys::sysv::Attachment,
}

/// # Inheritance across `exec`
///
/// A parent that starts a child with inherited handles (the C ABI's `CreateProcess(…,
/// bInheritHandles = TRUE, …)`) gives it one descriptor per handle, made by
/// [`Object::export`]; the child's copy of the library turns each back into an object with
/// [`Object::adopt`]. For a named object the exported descriptor is a new open file description
/// carrying a holder lock of its own, taken by the parent *before* the child exists: the name
/// then lives while the child holds the descriptor, whatever the parent does meanwhile, and the
/// kernel drops the lock when the child's last copy is closed — by `CloseHandle`, by exit or by
/// `SIGKILL` — exactly like a holder lock the child had taken itself. An unnamed object (a
/// memfd) needs no lock: the descriptor is a duplicate, and the memory lives while any process
/// has a descriptor or a view.
impl Object {
    /// A close-on-exec descriptor of this object for a child to adopt after `exec` (see above);
    /// the caller clears close-on-exec in the child only, and closes its own copy once the child
    /// has started (or failed to).
    pub(crate) fn export(&self) -> Result<OwnedFd> {
        if self.entry.is_none() && self.data.is_none() {
            return rustix::io::fcntl_dupfd_cloexec(&*self.fd, 0)
                .map_err(|e| Error::os(e, "cannot duplicate an object's descriptor"));
        }
        let access = if self.writable {
            OFlags::RDWR
        } else {
            OFlags::RDONLY
        };
        let fd = reopen_fd(self.fd.as_fd(), access | OFlags::NOCTTY | OFlags::NONBLOCK)?;
        if self.entry.is_none() {
            // Adopted without a name: no holder lock to pass on.
            return Ok(fd);
        }
        // Holders take read locks only, so this never waits and fails only if someone took a
        // write lock on the holder byte, which no fmap process does.
        if !ofd::set(fd.as_fd(), Lock::Read, 0, 1, false)
            .map_err(|e| Error::os(e, "cannot lock an object for a child"))?
        {
            bail!(
                InvalidData,
                "object {} is write-locked by another process, which no fmap holder does",
                self.header.name
            );
        }
        Ok(fd)
    }

    /// [`Object::export`] and, for an object with a companion, a close-on-exec duplicate of
    /// the companion data descriptor and the offset of the pid in the holder slot the
    /// exported descriptor took for the child (see [`Exported::pid_slots`]).
    pub(crate) fn export_with_data(&self) -> Result<(OwnedFd, Option<OwnedFd>, Option<u64>)> {
        let fd = self.export()?;
        // A segment is attached again by the child (its id is in the header); see
        // `keep_alive_for_child` for the time in between.
        let Some(Data::Memfd(c)) = &self.data else {
            return Ok((fd, None, None));
        };
        let data = rustix::io::fcntl_dupfd_cloexec(&*c.fd, 0)
            .map_err(|e| Error::os(e, "cannot duplicate an object's data descriptor"))?;
        let slot = if self.entry.is_some() {
            let i = holders::register(fd.as_fd(), data.as_fd())?;
            Some(holders::slot_offset(i))
        } else {
            None
        };
        Ok((fd, Some(data), slot))
    }

    /// For an object whose data is a segment: a [`KeepAlive`] for a child that inherits it.
    pub(crate) fn keep_alive_for_child(&self) -> Result<Option<KeepAlive>> {
        match &self.data {
            Some(Data::Segment(s)) => Ok(Some(KeepAlive { _anchor: s.pin()? })),
            _ => Ok(None),
        }
    }

    /// The object behind a descriptor [`Object::export`] made in the parent (and the data
    /// descriptor [`Object::export_data`] made, if the object has one): `named` says which
    /// kind of export it was. A named object joins this process's cache (a later open of its
    /// name shares it) and is released by the usual last-close protocol when the last handle
    /// goes. Fails with `ERROR_INVALID_HANDLE` for a descriptor that is not an fmap object, or
    /// a data descriptor that is not the object's companion.
    pub(crate) fn adopt(fd: OwnedFd, data: Option<OwnedFd>, named: bool) -> Result<Arc<Object>> {
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::os(e, "fstat"))?;
        if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
            bail!(
                InvalidHandle,
                "an inherited descriptor is not an fmap object"
            );
        }
        let header = read_header(fd.as_fd(), &"an inherited object")
            .map_err(|e| Error::new(ErrorKind::InvalidHandle, e.to_string()))?;
        let writable = rustix::fs::fcntl_getfl(&fd)
            .map(|f| f & OFlags::RWMODE == OFlags::RDWR)
            .unwrap_or(false);
        let companion = if header.flags & FLAG_DATA_MEMFD != 0 {
            let owner = holders::Owner {
                dev: st.st_dev,
                ino: st.st_ino,
                uid: st.st_uid,
                data: (header.file_dev, header.file_ino),
                trusted: false,
            };
            let Some(data) = data.filter(|d| holders::verify(d.as_fd(), owner)) else {
                bail!(
                    InvalidHandle,
                    "an inherited section came without its data descriptor"
                );
            };
            let data_writable = rustix::fs::fcntl_getfl(&data)
                .map(|f| f & OFlags::RWMODE == OFlags::RDWR)
                .unwrap_or(false);
            Some(Data::Memfd(Companion {
                fd: Arc::new(data),
                writable: data_writable,
                slot: None,
            }))
        } else if header.flags & FLAG_DATA_SEGMENT != 0 {
            match segment::open(fd.as_fd(), &header, writable)? {
                Ok(s) => Some(Data::Segment(s)),
                Err(Gone { error, .. }) => bail!(
                    InvalidHandle,
                    "an inherited section's memory cannot be attached: {error}"
                ),
            }
        } else {
            None
        };
        let mut obj = Object {
            data: companion,
            fd: Arc::new(fd),
            header,
            writable,
            entry: None,
            page: Default::default(),
            last_close: Default::default(),
            identity: Default::default(),
            pid: current_pid(),
        };
        if !named {
            return Ok(Arc::new(obj));
        }
        // The name's directory in this process's namespace. Only if the object file is still
        // the one linked there does the last close here remove the name; otherwise (another
        // namespace root in the child's environment, or the name is gone) the object is held
        // through its lock alone, and a name left without holders is removed by the next
        // process that looks at it, as after a crash.
        let name = Name::parse(&obj.header.name)
            .map_err(|e| Error::new(ErrorKind::InvalidHandle, e.to_string()))?;
        let dir = crate::store::namespace::Namespace::default().dir_unswept(name.scope())?;
        let file_name = name.file_name_str();
        let linked = rustix::fs::statat(&dir.fd, file_name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|l| (l.st_dev, l.st_ino) == (st.st_dev, st.st_ino));
        if !linked {
            return Ok(Arc::new(obj));
        }
        if let Some(Data::Memfd(c)) = &mut obj.data {
            c.slot = Some(holders::register(obj.fd.as_fd(), c.fd.as_fd())?);
        }
        obj.entry = Some(Entry {
            dir: dir.clone(),
            file_name: file_name.to_owned(),
        });
        Ok(insert_cache(&dir, file_name, Arc::new(obj)))
    }
}

/// Another descriptor for the same file (a new open file description).
pub(crate) fn reopen_fd(fd: BorrowedFd<'_>, flags: OFlags) -> Result<OwnedFd> {
    let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
    rustix::fs::open(path.as_str(), flags | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::os(e, "cannot re-open an object through /proc/self/fd"))
}

fn write_all_at(fd: BorrowedFd<'_>, mut buf: &[u8], mut off: u64, what: &str) -> Result<()> {
    while !buf.is_empty() {
        match rustix::io::pwrite(fd, buf, off) {
            Ok(n) => {
                buf = &buf[n..];
                off += n as u64;
            }
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Error::os(e, format!("cannot write the header of {what}"))),
        }
    }
    Ok(())
}

fn cached(dir: &Dir, file_name: &str, name: &Name) -> Result<Option<Arc<Object>>> {
    let cache = dir.cache.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = cache.get(file_name).and_then(|w| w.upgrade()) else {
        return Ok(None);
    };
    drop(cache);
    if obj.is_inherited() {
        // A `fork`ed child opens the object itself: its own descriptor and holder lock, not
        // the parent's (which it must never release). `insert_cache` replaces the entry.
        return Ok(None);
    }
    check_name(&obj.header, name, dir)?;
    Ok(Some(obj))
}

fn insert_cache(dir: &Dir, file_name: &str, obj: Arc<Object>) -> Arc<Object> {
    let mut cache = dir.cache.lock().unwrap_or_else(|e| e.into_inner());
    // Dropped only after the cache lock: dropping the last reference to an object takes it.
    let existing = cache.get(file_name).and_then(|w| w.upgrade());
    if let Some(existing) = &existing {
        // Another thread of this process opened the same object meanwhile: keep one
        // descriptor (ours is released when `obj` drops; the other thread's lock keeps the
        // name alive). An object inherited through a `fork` is replaced instead.
        if !existing.is_inherited()
            && (Arc::ptr_eq(existing, &obj) || existing.header.name == obj.header.name)
        {
            drop(cache);
            return existing.clone();
        }
    }
    cache.insert(file_name.to_owned(), Arc::downgrade(&obj));
    drop(cache);
    drop(existing);
    obj
}

fn check_name(h: &Header, name: &Name, dir: &Dir) -> Result<()> {
    if h.name.strip_prefix(name.scope().prefix()) != Some(name.base()) {
        bail!(
            InvalidData,
            "object file for {name} in {} holds another name ({:?}); the directory is corrupt",
            dir.path.display(),
            h.name
        );
    }
    Ok(())
}

fn open_file(dir: &Dir, file_name: &str) -> Result<Option<(OwnedFd, bool)>> {
    // NONBLOCK: a FIFO planted under an object's file name by another user of a shared
    // directory must not block the open (a read-only open of a FIFO waits for a writer). It has
    // no effect on regular files; anything that is not one is refused below.
    let flags = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let r = match rustix::fs::openat(&dir.fd, file_name, flags | OFlags::RDWR, Mode::empty()) {
        Err(rustix::io::Errno::ACCESS) => {
            rustix::fs::openat(&dir.fd, file_name, flags | OFlags::RDONLY, Mode::empty())
                .map(|fd| (fd, false))
        }
        r => r.map(|fd| (fd, true)),
    };
    match r {
        // The lock-free open path needs no type check: reading the header of anything but a
        // regular file fails (`read_header`). Paths that may unlink or report a file check it
        // with `ensure_regular` first.
        Ok(fd) => Ok(Some(fd)),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(rustix::io::Errno::ISDIR) => Err(Error::new(
            ErrorKind::AccessDenied,
            format!(
                "{}/{file_name} is a directory; refusing to use it",
                dir.path.display()
            ),
        )),
        Err(rustix::io::Errno::LOOP) => Err(Error::new(
            ErrorKind::AccessDenied,
            format!(
                "{}/{file_name} is a symbolic link; refusing to follow it",
                dir.path.display()
            ),
        )),
        Err(e) => Err(Error::os(
            e,
            format!("cannot open {}/{file_name}", dir.path.display()),
        )),
    }
}

fn os_lock_err(e: std::io::Error, dir: &Dir, file_name: &str) -> Error {
    Error::os(e, format!("cannot lock {}/{file_name}", dir.path.display()))
}

/// Refuses anything but a regular file (a FIFO, socket or device planted under an object's file
/// name by another user of a shared directory).
fn ensure_regular(fd: BorrowedFd<'_>, dir: &Dir, file_name: &str) -> Result<()> {
    let st = rustix::fs::fstat(fd).map_err(|e| Error::os(e, "fstat"))?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
        bail!(
            AccessDenied,
            "{}/{file_name} is not a regular file; refusing to use it",
            dir.path.display()
        );
    }
    Ok(())
}

/// The lock-free open path.
fn probe_fast(dir: &Arc<Dir>, name: &Name, file_name: &str) -> Result<Probe> {
    let Some((fd, writable)) = open_file(dir, file_name)? else {
        return Ok(Probe::NotFound);
    };
    if !ofd::held_by_others(fd.as_fd(), Lock::Write, 0, 1)
        .map_err(|e| os_lock_err(e, dir, file_name))?
    {
        return Ok(Probe::Slow);
    }
    if !ofd::set(fd.as_fd(), Lock::Read, 0, 1, false).map_err(|e| os_lock_err(e, dir, file_name))? {
        return Ok(Probe::Slow);
    }
    let (header, table) = read_header_page(fd.as_fd(), &format_args!("object {name}"))?;
    if header.closing != 0 {
        return Ok(Probe::Slow);
    }
    check_name(&header, name, dir)?;
    let data = match companion_of(fd.as_fd(), &header, writable, name, &table)? {
        Ok(d) => d,
        // Its holders may be closing it right now: decide under the bucket lock.
        Err(_) => return Ok(Probe::Slow),
    };
    // An unlinker that found no holder slot raised `closing` before its final look at the
    // slots (see `probe_locked`): if it may have missed ours, we see the flag and retry under
    // the bucket lock (dropping `fd` gives back our locks).
    if data.is_some() && read_closing(fd.as_fd()) != 0 {
        return Ok(Probe::Slow);
    }
    Ok(Probe::Found(Arc::new(Object::held(
        fd, header, writable, dir, file_name, data,
    ))))
}

/// For an object with [`FLAG_DATA_MEMFD`]: its companion, found through the holder table and
/// checked (see [`holders`]), with our own slot taken. `Ok(Err(e))`: no live holder offers
/// it (`e` says why). `table`: the holder table as far as the caller has read it already.
fn companion_of(
    fd: BorrowedFd<'_>,
    header: &Header,
    writable: bool,
    name: &Name,
    table: &[u8],
) -> Result<std::result::Result<Option<Data>, Gone>> {
    if header.flags & FLAG_DATA_SEGMENT != 0 {
        return Ok(segment::open(fd, header, writable)?.map(|s| Some(Data::Segment(s))));
    }
    if header.flags & FLAG_DATA_MEMFD == 0 {
        return Ok(Ok(None));
    }
    let owner = holders::Owner::of(fd, (header.file_dev, header.file_ino))?;
    let p = match holders::find(fd, owner, writable, table) {
        Ok(p) => p,
        Err(miss) => {
            if miss.exhausted > 0 {
                bail!(
                    TooManyOpenFiles,
                    "cannot reach the memory of {name}: this process has no file descriptor left \
                     to open it with"
                );
            }
            let e = if miss.denied > 0 {
                Error::new(
                    ErrorKind::AccessDenied,
                    format!(
                        "the memory of {name} is held by processes of uid {} whose descriptors \
                         this process may not open (/proc/<pid>/fd); fmap shares a section whose \
                         memory is freed with its last holder only with its own user and root",
                        owner.uid
                    ),
                )
            } else {
                Error::new(
                    ErrorKind::FileNotFound,
                    format!(
                        "{name} is being closed, or its holder table was tampered with: none \
                         of its {} live holder slots offers its memory ({} refused as forged or \
                         gone)",
                        miss.live, miss.refused
                    ),
                )
            };
            return Ok(Err(Gone {
                error: e,
                vanished: false,
            }));
        }
    };
    let (data, data_writable) = holders::open_reached(p, writable)?;
    let slot = holders::register(fd, data.as_fd())?;
    Ok(Ok(Some(Data::Memfd(Companion {
        fd: Arc::new(data),
        writable: data_writable,
        slot: Some(slot),
    }))))
}

/// The open path under the bucket lock: decides between alive and stale.
fn probe_locked(dir: &Arc<Dir>, name: &Name, file_name: &str) -> Result<Probe> {
    let _guard = dir.bucket(name.bucket())?;
    let Some((fd, writable)) = open_file(dir, file_name)? else {
        return Ok(Probe::NotFound);
    };
    ensure_regular(fd.as_fd(), dir, file_name)?;
    if !holders_remain(fd.as_fd(), dir, file_name)? {
        // Stale: its last holder died without closing. Windows would have removed the name.
        unlink(dir, file_name)?;
        return Ok(Probe::NotFound);
    }
    // Holders take read locks only: a write lock on the holder byte is none of fmap's (a
    // peer with write access took it), and waiting for it could take forever.
    if !ofd::set(fd.as_fd(), Lock::Read, 0, 1, false).map_err(|e| os_lock_err(e, dir, file_name))? {
        bail!(
            InvalidData,
            "{}/{file_name} is write-locked by another process, which no fmap holder does; \
             refusing to wait for it",
            dir.path.display()
        );
    }
    let mut header = read_header(fd.as_fd(), &format_args!("object {name}"))?;
    if header.closing != 0 {
        // Left by a closer that was killed mid-close; nobody is closing now.
        let _ = write_closing(fd.as_fd(), 0);
        header.closing = 0;
    }
    check_name(&header, name, dir)?;
    let deadline = std::time::Instant::now() + COMPANION_BOUND;
    let data = loop {
        match companion_of(fd.as_fd(), &header, writable, name, &[])? {
            Ok(d) => break d,
            Err(Gone {
                vanished: true,
                error,
            }) => {
                // No segment of this object under its id, while some process holds the name:
                // one without an attachment (a child between its exec and its adoption of an
                // inherited handle), a process of another IPC namespace, or a forged id. The
                // name is not removed: it lives as long as its holders (a stale name, held by
                // nobody, was removed above).
                return Err(error);
            }
            Err(Gone { error: e, .. }) if e.kind() == ErrorKind::AccessDenied => return Err(e),
            Err(Gone { error: e, .. }) => {
                // Held, but no holder offers the memory. If no holder slot is taken at all,
                // the memory is gone (the last holder with a slot closed it or died; what is
                // left holds the name only, like a lock-free opener that is about to back
                // off): the name is as good as stale, and is removed as a sweep would. The
                // look counts only after `closing` is raised, as in `holders_remain`: an
                // opener that takes its slot after we looked sees the flag and backs off.
                // Other holders' last close sees that their file lost its link and leaves a
                // new object of the name alone.
                let _ = write_closing(fd.as_fd(), 1);
                if !holders::any_live(fd.as_fd()) {
                    unlink(dir, file_name)?;
                    return Ok(Probe::NotFound);
                }
                let _ = write_closing(fd.as_fd(), 0);
                // A slot is taken but offers nothing yet (an opener between taking its slot
                // and writing it): look again shortly, within a bound.
                if std::time::Instant::now() >= deadline {
                    return Err(e);
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    };
    Ok(Probe::Found(Arc::new(Object::held(
        fd, header, writable, dir, file_name, data,
    ))))
}

/// How long an open under the bucket lock waits for a taken holder slot to offer an object's
/// memory (see `probe_locked`).
const COMPANION_BOUND: std::time::Duration = std::time::Duration::from_secs(1);

/// The `closing` flag as it is now (1 if it cannot be read: retry under the bucket lock).
fn read_closing(fd: BorrowedFd<'_>) -> u32 {
    let mut b = [0u8; 4];
    match rustix::io::pread(fd, &mut b, crate::store::header::OFF_CLOSING) {
        Ok(4) => u32::from_le_bytes(b),
        _ => 1,
    }
}

/// Under the bucket lock, with our own lock (if any) released: does anyone hold the object?
/// If not, marks it `closing` so that lock-free openers that slip in retry under the lock.
fn holders_remain(fd: BorrowedFd<'_>, dir: &Dir, file_name: &str) -> Result<bool> {
    holders_remain_after(fd, dir, file_name, true)
}

/// [`holders_remain`]; `look_first`: look at the lock before raising `closing` too (saves the
/// two header writes when a holder is likely).
fn holders_remain_after(
    fd: BorrowedFd<'_>,
    dir: &Dir,
    file_name: &str,
    look_first: bool,
) -> Result<bool> {
    if look_first
        && ofd::held_by_others(fd, Lock::Write, 0, 1).map_err(|e| os_lock_err(e, dir, file_name))?
    {
        return Ok(true);
    }
    if let Err(e) = write_closing(fd, 1) {
        // Without the flag a lock-free opener could slip in unseen and hold a file whose name
        // we then remove: a process that cannot write the object file (a read-only user of a
        // `Global\` directory, or another user of a file-backed section) leaves the name to
        // one that can. A file that is no fmap object at all (planted garbage) has no such
        // openers: they fail on its header.
        if read_header(fd, &file_name).is_err() {
            return ofd::held_by_others(fd, Lock::Write, 0, 1)
                .map_err(|e| os_lock_err(e, dir, file_name));
        }
        bail!(
            AccessDenied,
            "cannot mark {}/{file_name} for removal ({e}): this user cannot write it, and leaves \
             removing it to one who can",
            dir.path.display()
        );
    }
    if ofd::held_by_others(fd, Lock::Write, 0, 1).map_err(|e| os_lock_err(e, dir, file_name))? {
        let _ = write_closing(fd, 0);
        return Ok(true);
    }
    Ok(false)
}

fn unlink(dir: &Dir, file_name: &str) -> Result<()> {
    match rustix::fs::unlinkat(&dir.fd, file_name, AtFlags::empty()) {
        Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
        Err(e) => Err(Error::os(
            e,
            format!("cannot remove {}/{file_name}", dir.path.display()),
        )),
    }
}

/// Builds a new object file and publishes it under `name`. `Ok(None)`: the name appeared
/// meanwhile.
fn create_linked(
    dir: &Arc<Dir>,
    name: &Name,
    header: &Header,
    init: &dyn Fn(BorrowedFd<'_>, u64) -> Result<()>,
    claim: Option<Claim<'_>>,
) -> Result<Option<Arc<Object>>> {
    let file_name = name.file_name();
    let what = format!("object {name} in {}", dir.path.display());
    // No name without a lock file: closing it and removing it when stale need one, and a
    // directory that cannot have one (say, out of inodes) must not get names that nobody
    // could remove.
    dir.lock_fd()?;
    // The header of a file-backed section names a file outside the namespace: only its
    // creator may write it (see `Object::check_written_only_by_me_or_root`). Everything else
    // takes the directory's read/write bits. The file is made owner-only and given its mode
    // once it is built, so that nobody can open a named temporary file for writing first.
    // A creator's `Sharing` narrows the directory's mode, never widens it.
    let mut bits = dir.file_mode.as_raw_mode();
    if header.flags & (FLAG_FILE_BACKED | FLAG_OTHERS_READ_ONLY) != 0 {
        bits &= 0o644;
    }
    if header.flags & FLAG_PRIVATE != 0 {
        bits &= 0o600;
    }
    // A companion memfd (asked for by the layer above) is reached through the holders'
    // /proc/<pid>/fd, which only the same user and root may open: only objects that no other
    // user may open get one, and only where /proc is mounted. The others keep their data in
    // the object file (see `holders`).
    // Objects that others may open, and all where /proc is not usable, get a System V segment
    // instead: the kernel checks other users' access to it and frees it with its last
    // attachment (see `segment`).
    let mut header = header.clone();
    if header.flags & FLAG_DATA_MEMFD != 0 && (bits & 0o077 != 0 || !holders::proc_usable()) {
        header.flags &= !FLAG_DATA_MEMFD;
        header.flags |= FLAG_DATA_SEGMENT;
    }
    let header = &header;
    let mode = Mode::from_raw_mode(bits);
    let private = Mode::from_raw_mode(0o600);
    let mut tmp_name = None;
    let fd = match rustix::fs::openat(
        &dir.fd,
        ".",
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        private,
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::OPNOTSUPP)
        | Err(rustix::io::Errno::ISDIR)
        | Err(rustix::io::Errno::INVAL) => {
            // File systems without O_TMPFILE: a uniquely named temporary file instead.
            let t = format!(
                ".tmp-{}-{}",
                std::process::id(),
                TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let fd = rustix::fs::openat(
                &dir.fd,
                t.as_str(),
                OFlags::CREATE | OFlags::EXCL | OFlags::RDWR | OFlags::CLOEXEC | OFlags::NOFOLLOW,
                private,
            )
            .map_err(|e| Error::os(e, format!("cannot create {what}")))?;
            tmp_name = Some(t);
            fd
        }
        Err(e) => {
            dir.check_not_removed()?;
            return Err(Error::os(e, format!("cannot create {what}")));
        }
    };
    let mut companion = None;
    let mut header = header.clone();
    let result = (|| -> Result<Option<Option<BucketGuard<'_>>>> {
        // A process (nearly) out of descriptors for a companion (each held section needs two)
        // gets a segment instead, which needs no descriptor (and, past the system's segment
        // limits, keeps the data in the object file: the section works, its memory waits for
        // the sweep after a crash).
        let memfd = if header.flags & FLAG_DATA_MEMFD != 0 {
            let st = rustix::fs::fstat(&fd).map_err(|e| Error::os(e, "fstat"))?;
            match rustix::fs::memfd_create(
                holders::memfd_name(st.st_dev, st.st_ino).as_str(),
                rustix::fs::MemfdFlags::CLOEXEC | rustix::fs::MemfdFlags::ALLOW_SEALING,
            ) {
                Ok(m) if spare_descriptors(m.as_raw_fd()) => Some(m),
                Ok(_) | Err(rustix::io::Errno::MFILE) | Err(rustix::io::Errno::NFILE) => {
                    header.flags = (header.flags & !FLAG_DATA_MEMFD) | FLAG_DATA_SEGMENT;
                    None
                }
                Err(e) => {
                    return Err(Error::os(
                        e,
                        format!("cannot create the memory of {what} (memfd_create)"),
                    ))
                }
            }
        } else {
            None
        };
        if let Some(memfd) = memfd {
            // Openers of our own user check what a holder slot leads to against this.
            let mst = rustix::fs::fstat(&memfd).map_err(|e| Error::os(e, "fstat"))?;
            header.file_dev = mst.st_dev;
            header.file_ino = mst.st_ino;
            rustix::fs::fchmod(&memfd, mode)
                .map_err(|e| Error::os(e, format!("cannot chmod the memory of {what}")))?;
            init(memfd.as_fd(), 0)?;
            // Nobody — not even a peer of the same user who opens it through /proc — can
            // shrink or grow the memory under its views (no SIGBUS from a truncation).
            let _ = rustix::fs::fcntl_add_seals(
                &memfd,
                rustix::fs::SealFlags::SHRINK
                    | rustix::fs::SealFlags::GROW
                    | rustix::fs::SealFlags::SEAL,
            );
            let slot = holders::register(fd.as_fd(), memfd.as_fd())?;
            companion = Some(Data::Memfd(Companion {
                fd: Arc::new(memfd),
                writable: true,
                slot: Some(slot),
            }));
        } else if header.flags & FLAG_DATA_SEGMENT != 0 {
            // Past the system's segment limits the data stays in the object file.
            match segment::create(fd.as_fd(), &header, bits)? {
                Some(seg) => {
                    header.file_dev = seg.id as u64;
                    header.file_ino = segment::ipc_namespace();
                    companion = Some(Data::Segment(seg));
                }
                None => {
                    header.flags &= !FLAG_DATA_SEGMENT;
                    init(fd.as_fd(), crate::store::header::HEADER_SIZE)?;
                }
            }
        } else {
            init(fd.as_fd(), crate::store::header::HEADER_SIZE)?;
        }
        let mut published = header.clone();
        published.closing = u32::from(claim.is_some());
        write_all_at(fd.as_fd(), &published.encode(), 0, &what)?;
        if mode != private {
            // Exactly the mode wanted (the umask played no part in it).
            rustix::fs::fchmod(&fd, mode)
                .map_err(|e| Error::os(e, format!("cannot chmod {what}")))?;
        }
        ofd::set(fd.as_fd(), Lock::Read, 0, 1, false)
            .map_err(|e| os_lock_err(e, dir, &file_name))?;
        // With a claim to make, openers must not get in between publishing and claiming: they
        // see `closing` and retry under the bucket lock, which we hold until the claim is made.
        let guard = match claim {
            Some(_) => Some(dir.bucket(name.bucket())?),
            None => None,
        };
        Ok(link_into_place(&fd, dir, tmp_name.as_deref(), &file_name, &what)?.then_some(guard))
    })();
    if let Some(t) = &tmp_name {
        let _ = rustix::fs::unlinkat(&dir.fd, t.as_str(), AtFlags::empty());
    }
    let Some(guard) = result? else {
        return Ok(None);
    };
    let obj = Object::held(fd, header, true, dir, &file_name, companion);
    if let Some(claim) = claim {
        if let Err(e) = claim(&obj) {
            // Dropping the object removes the name again; that takes the bucket lock.
            drop(guard);
            drop(obj);
            return Err(e);
        }
        // Open for everyone now. (Nobody else can hold the object yet, so nobody else can
        // be closing it: the flag is ours to clear.)
        if let Err(e) = write_closing(obj.fd.as_fd(), 0) {
            drop(guard);
            drop(obj);
            return Err(Error::os(e, format!("cannot publish {what}")));
        }
        drop(guard);
    }
    Ok(Some(insert_cache(dir, &file_name, Arc::new(obj))))
}

/// Is there room for more descriptors after `fd`? A companion is not worth the descriptor when
/// the process is within a reserve (1/32 of its limit, at least 64) of `RLIMIT_NOFILE`: the
/// descriptors left are better spent on object files, so that the number of sections a process
/// can hold does not halve (its sections past the reserve get a System V segment, which needs
/// no descriptor, or keep their data in their object file past the system's segment limits).
fn spare_descriptors(fd: std::os::fd::RawFd) -> bool {
    if fd < 512 {
        return true;
    }
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let reserve = (limit / 32).max(64);
    (fd as u64).saturating_add(reserve) < limit
}

fn link_into_place(
    fd: &OwnedFd,
    dir: &Dir,
    tmp_name: Option<&str>,
    file_name: &str,
    what: &str,
) -> Result<bool> {
    let r = match tmp_name {
        Some(t) => rustix::fs::linkat(&dir.fd, t, &dir.fd, file_name, AtFlags::empty()),
        None => match rustix::fs::linkat(fd, "", &dir.fd, file_name, AtFlags::EMPTY_PATH) {
            Err(rustix::io::Errno::NOENT) | Err(rustix::io::Errno::PERM) => {
                // Older kernels reserve AT_EMPTY_PATH for CAP_DAC_READ_SEARCH; the /proc form
                // works for everyone.
                let p = format!("/proc/self/fd/{}", fd.as_raw_fd());
                rustix::fs::linkat(
                    rustix::fs::CWD,
                    p.as_str(),
                    &dir.fd,
                    file_name,
                    AtFlags::SYMLINK_FOLLOW,
                )
            }
            r => r,
        },
    };
    match r {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::EXIST) => Ok(false),
        Err(e) => {
            dir.check_not_removed()?;
            Err(Error::os(e, format!("cannot publish {what}")))
        }
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        // Inherited through a `fork`: the descriptor shares the parent's open file description,
        // so unlocking it would drop the parent's holder lock, and "nobody else holds it" could
        // not be told from "only the parent holds it". Only the descriptor is closed, which
        // releases nothing while the parent keeps the description open.
        let inherited = self.is_inherited();
        if let Some(page) = self.page.take() {
            // The layer that uses the page decides (a mutex owned by a thread of this process
            // must stay mapped: the kernel may walk that thread's robust list into it).
            match self.last_close.get() {
                Some(hook) => hook(self, page),
                None => drop(page),
            }
        }
        let Some(entry) = self.entry.take() else {
            return;
        };
        {
            let mut cache = entry.dir.cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache
                .get(&entry.file_name)
                .is_some_and(|w| w.strong_count() == 0)
            {
                cache.remove(&entry.file_name);
            }
        }
        if inherited {
            return;
        }
        let _ = release(&self.fd, &entry.dir, &entry.file_name);
        // Our holder slot goes last: an opener that got its holder lock in before our release
        // looked (so the name stays) still finds our descriptor of the memory until now.
        if let Some(Data::Memfd(Companion {
            slot: Some(slot), ..
        })) = &self.data
        {
            holders::unregister(self.fd.as_fd(), *slot);
        }
    }
}

/// The last `CloseHandle` of this process: drop our holder lock and, if nobody else holds the
/// object, remove its name.
fn release(fd: &OwnedFd, dir: &Dir, file_name: &str) -> Result<()> {
    let fd = fd.as_fd();
    ofd::set(fd, Lock::Unlock, 0, 1, false).map_err(|e| os_lock_err(e, dir, file_name))?;
    if ofd::held_by_others(fd, Lock::Write, 0, 1).map_err(|e| os_lock_err(e, dir, file_name))? {
        return Ok(());
    }
    let _guard = dir.bucket(bucket_of_file(file_name))?;
    // No look at the lock before raising `closing`: the look just above found no holder, and
    // the look after raising it is the one that counts.
    if holders_remain_after(fd, dir, file_name, false)? {
        return Ok(());
    }
    // Remove the name only if it is still ours: while we were taking the bucket lock, a sweeper
    // may have removed our (then unheld) file and someone may have created a new object under
    // the name. fmap links an object file under exactly one name, once, and every removal runs
    // under this bucket lock; so our file still has a link if and only if the name is ours.
    let mine = rustix::fs::fstat(fd).map_err(|e| Error::os(e, "fstat"))?;
    if mine.st_nlink > 0 {
        unlink(dir, file_name)
    } else {
        Ok(())
    }
}

/// What a sweeper step found.
pub(crate) enum Stale {
    /// The object was stale and is gone: its name (or file name), the memory freed (its
    /// allocated file-system blocks) and its declared size (a section's size; 0 otherwise).
    Removed {
        label: String,
        bytes: u64,
        declared: u64,
    },
    /// Someone holds it (or it vanished meanwhile).
    Alive,
    /// Its bucket lock was held by someone else; not examined.
    Busy,
}

/// Sweeper step: removes `file_name` if nobody holds it. Never waits for the bucket lock.
pub(crate) fn remove_if_stale(dir: &Dir, file_name: &str) -> Result<Stale> {
    // Cheap check first, without the bucket lock.
    {
        let Some((fd, _)) = open_file(dir, file_name)? else {
            return Ok(Stale::Alive);
        };
        if ofd::held_by_others(fd.as_fd(), Lock::Write, 0, 1)
            .map_err(|e| os_lock_err(e, dir, file_name))?
        {
            return Ok(Stale::Alive);
        }
    }
    let Some(_guard) = dir.try_bucket(bucket_of_file(file_name))? else {
        return Ok(Stale::Busy);
    };
    let Some((fd, _)) = open_file(dir, file_name)? else {
        return Ok(Stale::Alive);
    };
    ensure_regular(fd.as_fd(), dir, file_name)?;
    if holders_remain(fd.as_fd(), dir, file_name)? {
        return Ok(Stale::Alive);
    }
    let (label, declared) = read_header(fd.as_fd(), &file_name)
        .map(|h| (h.name, h.size))
        .unwrap_or_else(|_| (file_name.to_owned(), 0));
    let bytes = rustix::fs::fstat(&fd)
        .map(|st| st.st_blocks as u64 * 512)
        .unwrap_or(0);
    unlink(dir, file_name)?;
    Ok(Stale::Removed {
        label,
        bytes,
        declared,
    })
}

/// What [`peek`] reads from one object file.
pub(crate) struct Peek {
    pub header: Header,
    /// Some process holds a handle.
    pub alive: bool,
    /// Device and inode of the object file.
    pub file_id: (u64, u64),
    /// Owner of the object file.
    pub owner_uid: u32,
    /// The memory (file-system blocks) the object file holds, in bytes, plus its companion's
    /// if this process may look at it.
    pub allocated: u64,
    /// False when the object's data is in a companion this process may not look at (or
    /// could not find): `allocated` then counts the object file only.
    pub allocated_known: bool,
    /// The raw state area (from offset [`STATE_OFF`]) of synchronization objects.
    pub state: Vec<u8>,
    /// The System V segment holding a section's memory (see [`segment`]).
    pub segment: Option<i32>,
}

/// Reads one object file for the inspection layer (`fmap ls`), without taking a lock on it.
pub(crate) fn peek(dir: &Dir, file_name: &str) -> Result<Option<Peek>> {
    let Some((fd, _)) = open_file(dir, file_name)? else {
        return Ok(None);
    };
    ensure_regular(fd.as_fd(), dir, file_name)?;
    let header = read_header(
        fd.as_fd(),
        &format_args!("{}/{file_name}", dir.path.display()),
    )?;
    let alive = ofd::held_by_others(fd.as_fd(), Lock::Write, 0, 1)
        .map_err(|e| os_lock_err(e, dir, file_name))?;
    let st = rustix::fs::fstat(&fd).map_err(|e| Error::os(e, "fstat"))?;
    let mut allocated = st.st_blocks as u64 * 512;
    let mut allocated_known = true;
    if header.flags & FLAG_DATA_MEMFD != 0 && alive {
        // The memory is in a holder's memfd: counted if this process may look at it.
        match holders::allocated(fd.as_fd(), (header.file_dev, header.file_ino)) {
            Some(b) => allocated += b,
            None => allocated_known = false,
        }
    }
    let segment = (header.flags & FLAG_DATA_SEGMENT != 0)
        .then(|| i32::try_from(header.file_dev).ok())
        .flatten();
    if let Some(id) = segment {
        // Whatever is left of it: a segment is freed with its last holder.
        let size = header.size.saturating_add(crate::win32::PAGE_SIZE);
        allocated += crate::sys::sysv::usage(id, st.st_uid, size).unwrap_or(0);
    }
    let mut state = vec![0u8; 256];
    let n = rustix::io::pread(&fd, &mut state, STATE_OFF as u64).unwrap_or(0);
    state.truncate(n);
    Ok(Some(Peek {
        header,
        alive,
        file_id: (st.st_dev, st.st_ino),
        allocated,
        allocated_known,
        owner_uid: st.st_uid,
        state,
        segment,
    }))
}
