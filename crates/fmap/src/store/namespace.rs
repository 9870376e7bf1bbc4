//! The namespace: where named objects live on disk, and the locks that serialise name
//! operations across processes.
//!
//! # Layout
//!
//! A namespace has a root directory (`/dev/shm` by default, or `$FMAP_ROOT`). Inside it:
//!
//! | directory | holds | mode |
//! |---|---|---|
//! | `fmap-<uid>` | `Local\` and bare names of user `<uid>` | `0700`, must be owned by the user; if another user squatted the entry, `/run/user/<uid>/fmap-…` instead (see `local_dir_path`) |
//! | `fmap-global` | `Global\` names of every user | `0777` when fmap creates it; an administrator may pre-create it with another mode (e.g. `2770` and a group) to restrict `Global\` to a group |
//!
//! Object files are created with the directory's read/write permission bits (`0600` in a
//! private directory, `0666` in a `0777` one, `0660` in a `2770` one), so the directory's mode is
//! the one place that decides who may use its objects.
//!
//! Each directory has a `.lock` file whose bytes are the *bucket locks*: byte `b` is taken as an
//! OFD write lock around every operation that may unlink a name hashing to bucket `b` (last
//! close, removal of a stale object). Within one process the same bucket is also guarded by an
//! in-process mutex, because OFD locks taken through one shared descriptor do not exclude the
//! threads of the owning process from each other.
//!
//! Every user of a directory can lock bytes of its `.lock`, so no wait for one is unbounded:
//! a name operation waits at most 5 s (`BUCKET_LOCK_BOUND`) for its bucket (then
//! `ERROR_TIMEOUT`), and a sweep only *tries* each bucket and skips busy ones. A stopped or
//! hostile process can therefore delay only the names of the buckets it holds, never the
//! namespace. The `.lock` file is opened with the directory and must exist before any name is
//! created, so closing a handle never needs a new descriptor or inode.
//!
//! A directory is swept once per process, when it is first used: files whose last holder died
//! without closing (see [`crate::store::object`]) are removed, so nothing a killed process left behind
//! outlives the next fmap call on the machine (unless its bucket was busy at that moment: the
//! next sweep takes it).

use crate::error::{bail, Error, ErrorKind, Result};
use crate::store::name::{self, Scope, BUCKETS};
use crate::store::object;
use crate::sys::ofd::{self, Lock};
use crate::sys::proc::current_pid;
use rustix::fs::{Mode, OFlags};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Environment variable that moves the namespace root (default `/dev/shm`).
pub const ROOT_ENV: &str = "FMAP_ROOT";

/// One in-process lock per bucket, so that a thread waiting for one bucket never delays the
/// names of another.
const SHARDS: usize = BUCKETS as usize;

/// A namespace root: the place where `Local\` and `Global\` names are kept.
///
/// Most programs use [`Namespace::default`] (the root named by `$FMAP_ROOT`, else `/dev/shm`),
/// which every constructor without an explicit namespace uses. Tests and containers can make
/// an independent namespace with [`Namespace::at`].
#[derive(Clone)]
pub struct Namespace {
    inner: Arc<NsInner>,
    sharing: Sharing,
}

/// Who besides the creator may use the objects a [`Namespace`] handle creates: what a Win32
/// security descriptor can say that fmap's permissions can express. Decided at creation
/// (recorded in the object's header and its file mode); opening an existing name ignores it,
/// as Windows ignores the security attributes of a `Create*` that opens an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum Sharing {
    /// What the namespace directory allows (`Local\`: the user only; `Global\`: every user
    /// the directory admits). The default, and what a NULL DACL or a grant to everyone asks.
    #[default]
    Namespace,
    /// Other users may open it for reading only (file mode `0644`): read-only views of a
    /// section. (A synchronization object needs write access to be waited on, so it cannot be
    /// shared read-only.)
    ReadOnly,
    /// Only the creating user (and root): file mode `0600`, also in `Global\`.
    Private,
}

struct NsInner {
    root: PathBuf,
    dirs: [Mutex<Option<Arc<Dir>>>; 2],
}

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("root", &self.inner.root)
            .finish()
    }
}

impl Default for Namespace {
    /// The process-wide default namespace: `$FMAP_ROOT` if set (read once, at first use),
    /// else `/dev/shm`.
    fn default() -> Self {
        static DEFAULT: OnceLock<Namespace> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                let root = std::env::var_os(ROOT_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from("/dev/shm"));
                Namespace::at(root)
            })
            .clone()
    }
}

impl Namespace {
    /// A namespace rooted at `root`. Two `Namespace` values with the same root see the same
    /// objects; nothing is created until an object is.
    pub fn at(root: impl Into<PathBuf>) -> Namespace {
        Namespace {
            inner: Arc::new(NsInner {
                root: root.into(),
                dirs: [Mutex::new(None), Mutex::new(None)],
            }),
            sharing: Sharing::Namespace,
        }
    }

    /// The same namespace, creating objects with `sharing` (see [`Sharing`]).
    ///
    /// ```
    /// # let d = tempfile::tempdir_in("/dev/shm")?;
    /// use fmap::{MappingOptions, Namespace, Sharing};
    /// let private = Namespace::at(d.path()).with_sharing(Sharing::Private);
    /// let m = MappingOptions::new().namespace(&private).name("Global\\mine").size(4096).create()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_sharing(&self, sharing: Sharing) -> Namespace {
        Namespace {
            inner: self.inner.clone(),
            sharing,
        }
    }

    /// How objects created through this handle are shared.
    pub fn sharing(&self) -> Sharing {
        self.sharing
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The directory that holds objects of `scope` (it may not exist yet).
    ///
    /// For `Local\` this is `<root>/fmap-<uid>`, unless another user squatted that entry (see
    /// [`Namespace`]'s module docs, "Squatting"): then the fallback in the user's runtime
    /// directory.
    pub fn dir_path(&self, scope: Scope) -> PathBuf {
        match scope {
            Scope::Local => local_dir_path(&self.inner.root)
                .unwrap_or_else(|_| self.inner.root.join(dir_name(scope))),
            Scope::Global => self.inner.root.join(dir_name(scope)),
        }
    }

    /// Opens (creating and validating if needed) the directory of `scope`.
    pub(crate) fn dir(&self, scope: Scope) -> Result<Arc<Dir>> {
        let d = self.dir_unswept(scope)?;
        // Remove what dead processes left behind before this process first uses the directory.
        if !d.swept.swap(true, std::sync::atomic::Ordering::Relaxed) {
            let _ = d.sweep();
        }
        Ok(d)
    }

    /// [`Namespace::dir`] without the first-use sweep, for callers that only need the
    /// directory's locks (share-mode claims of [`File`](crate::File)s).
    pub(crate) fn dir_unswept(&self, scope: Scope) -> Result<Arc<Dir>> {
        let slot = &self.inner.dirs[scope as usize];
        let mut g = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = &*g {
            if !d.removed.load(std::sync::atomic::Ordering::Relaxed) {
                return Ok(d.clone());
            }
            // The directory was deleted under us (see `Dir::check_not_removed`): start over
            // with a new one. Objects held in the old one stay usable but are invisible to
            // processes that use the new one.
        }
        let d = Arc::new(Dir::open(&self.inner.root, scope, true)?);
        *g = Some(d.clone());
        Ok(d)
    }

    /// Removes objects whose every holder died without closing them, in both scopes, and
    /// reports what was freed. Live objects are never touched. Every process also does this
    /// once per directory when it first uses it; this entry point is for operators and tools.
    pub fn sweep(&self) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        for scope in [Scope::Local, Scope::Global] {
            let existing = self.inner.dirs[scope as usize]
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let dir = match existing {
                Some(d) => d,
                None => match Dir::open(&self.inner.root, scope, false) {
                    Ok(d) => Arc::new(d),
                    Err(e) if e.kind() == ErrorKind::FileNotFound => continue,
                    Err(e) => return Err(e),
                },
            };
            let r = dir.sweep()?;
            report.removed.extend(r.removed);
            report.bytes_freed += r.bytes_freed;
            report.declared_bytes += r.declared_bytes;
            report.alive += r.alive;
            report.busy.extend(r.busy);
            report.failed.extend(r.failed);
        }
        Ok(report)
    }
}

/// What [`Namespace::sweep`] found and removed.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct SweepReport {
    /// The names of the removed objects (as stored in their headers, or the file name if the
    /// header was unreadable).
    pub removed: Vec<String>,
    /// Memory (file-system blocks) returned to the system, in bytes: what the removed objects
    /// had allocated, which for sections is the pages that were touched.
    pub bytes_freed: u64,
    /// The declared sizes of the removed sections, summed (compare [`bytes_freed`]).
    ///
    /// [`bytes_freed`]: SweepReport::bytes_freed
    pub declared_bytes: u64,
    /// How many objects have a live holder (left alone).
    pub alive: usize,
    /// Object files whose bucket lock another thread or process held at that moment (a name
    /// operation in progress, or a stopped or hostile process): not examined, so that a sweep
    /// never waits; a later sweep retries them.
    pub busy: Vec<String>,
    /// Object files that could not be examined or removed, with the reason (permission,
    /// descriptor or inode exhaustion, a planted file that is not an object, …).
    pub failed: Vec<(String, Error)>,
}

fn dir_name(scope: Scope) -> String {
    match scope {
        Scope::Local => format!("fmap-{}", rustix::process::geteuid().as_raw()),
        Scope::Global => "fmap-global".to_owned(),
    }
}

/// Where the user's runtime directories are (`/run/user/<uid>`, made by `systemd-logind` for
/// every user with a session, owned by the user and closed to others).
pub(crate) const RUNTIME_BASE: &str = "/run/user";

/// The directory of the calling user's `Local\` names under `root`.
///
/// `<root>/fmap-<uid>` normally. In a shared root (`/dev/shm` is world-writable and sticky)
/// another user can create that entry first, as a directory, a symlink or a FIFO, and the
/// user cannot remove it. Such a squat must not deny the user's namespace, so then the
/// fallback `/run/user/<uid>/fmap-root-<device>-<inode of the root>` is used, a directory no
/// other user can create anything in. Every process of the user must agree on the choice: a fallback that exists
/// is preferred over everything else, so processes that started while the squat was there
/// keep meeting the ones that start after it was removed (the fallback goes with the runtime
/// directory, at the user's last logout). With no runtime directory to fall back to, the
/// squat is an error that names the squatter and the remedy.
fn local_dir_path(root: &Path) -> Result<PathBuf> {
    let uid = rustix::process::geteuid().as_raw();
    let primary = root.join(dir_name(Scope::Local));
    let fallback = runtime_fallback(root, uid);
    if let Some(fb) = &fallback {
        if rustix::fs::lstat(fb).is_ok_and(|st| {
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
                && st.st_uid == uid
        }) {
            return Ok(fb.clone());
        }
    }
    let st = match rustix::fs::lstat(&primary) {
        Ok(st) => st,
        // Absent (it will be created) or unreadable (the open reports it).
        Err(_) => return Ok(primary),
    };
    let ft = rustix::fs::FileType::from_raw_mode(st.st_mode);
    if ft == rustix::fs::FileType::Directory && st.st_uid == uid {
        return Ok(primary);
    }
    if let Some(fb) = fallback {
        return Ok(fb);
    }
    let what = match ft {
        rustix::fs::FileType::Directory => "a directory",
        rustix::fs::FileType::Symlink => "a symbolic link",
        rustix::fs::FileType::Fifo => "a FIFO",
        rustix::fs::FileType::RegularFile => "a file",
        _ => "a special file",
    };
    Err(Error::new(
        ErrorKind::AccessDenied,
        format!(
            "{} is squatted by uid {} ({what} it created there) and uid {uid} has no runtime \
             directory {RUNTIME_BASE}/{uid} to fall back to; remedy: have root remove it \
             (rm -rf {}), log in (so that {RUNTIME_BASE}/{uid} exists), or set {ROOT_ENV} to a \
             directory of your own",
            primary.display(),
            st.st_uid,
            primary.display()
        ),
    ))
}

/// The fallback `Local\` directory for `root` in the runtime directory of `uid`, if that
/// runtime directory exists, belongs to `uid` and is closed to others.
pub(crate) fn runtime_fallback(root: &Path, uid: u32) -> Option<PathBuf> {
    let rt = PathBuf::from(format!("{RUNTIME_BASE}/{uid}"));
    let st = rustix::fs::lstat(&rt).ok()?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::Directory
        || st.st_uid != uid
        || st.st_mode & 0o022 != 0
    {
        return None;
    }
    // One fallback per root, so that namespaces with different roots stay apart, named after
    // the root directory's identity (device and inode) rather than its spelling, which may
    // differ between processes (`/x`, `/x/`, a symlink to it).
    let st = rustix::fs::stat(root).ok()?;
    let name = format!("fmap-root-{:x}-{:x}", st.st_dev, st.st_ino);
    Some(rt.join(name))
}

/// One opened namespace directory (one scope of one root).
pub(crate) struct Dir {
    pub(crate) path: PathBuf,
    pub(crate) fd: OwnedFd,
    /// Permission bits for new object files.
    pub(crate) file_mode: Mode,
    /// The `.lock` file, with the pid that opened it: opened with the directory when it is
    /// opened for use, on first use otherwise (so that merely listing a directory creates
    /// nothing).
    lock: Mutex<Option<(u32, Arc<OwnedFd>)>>,
    /// On the heap: built on the stack, 4096 mutexes overflowed the small stacks of threads
    /// that open a directory first (the C ABI's listener thread, a `CreateThread` with 64 KiB).
    shards: Box<[Mutex<()>]>,
    /// Objects this process holds, by file name, so that a second open in the same process
    /// shares the first one's descriptor and holder lock.
    pub(crate) cache: Mutex<HashMap<String, Weak<object::Object>>>,
    /// Whether this process has swept the directory (see [`Namespace::dir`]).
    swept: std::sync::atomic::AtomicBool,
    /// Set when the directory is found deleted; [`Namespace::dir`] then opens a new one.
    pub(crate) removed: std::sync::atomic::AtomicBool,
}

impl Dir {
    pub(crate) fn open(root: &Path, scope: Scope, create: bool) -> Result<Dir> {
        let path = match scope {
            Scope::Local => local_dir_path(root)?,
            Scope::Global => root.join(dir_name(scope)),
        };
        Dir::open_path(root, path, scope, create, true)
    }

    /// Opens a namespace directory. `own`: a `Local\` directory must belong to the caller
    /// (always true except when root lists other users' namespaces).
    pub(crate) fn open_path(
        root: &Path,
        path: PathBuf,
        scope: Scope,
        create: bool,
        own: bool,
    ) -> Result<Dir> {
        let mode = match scope {
            Scope::Local => Mode::from_raw_mode(0o700),
            Scope::Global => Mode::from_raw_mode(0o777),
        };
        let mut created = false;
        if create {
            if let Err(e) = std::fs::create_dir_all(root) {
                return Err(Error::os(
                    e,
                    format!("cannot create namespace root {}", root.display()),
                ));
            }
            match rustix::fs::mkdir(&path, mode) {
                Ok(()) => created = true,
                Err(rustix::io::Errno::EXIST) => {}
                Err(e) => {
                    return Err(Error::os(
                        e,
                        format!("cannot create namespace directory {}", path.display()),
                    ))
                }
            }
        }
        let fd = rustix::fs::open(
            &path,
            OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::RDONLY,
            Mode::empty(),
        )
        .map_err(|e| {
            let what = format!("cannot open namespace directory {}", path.display());
            if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::NOTDIR {
                Error::new(
                    ErrorKind::AccessDenied,
                    format!("{what}: it is not a directory (symlink?)"),
                )
            } else {
                Error::os(e, what)
            }
        })?;
        if created {
            // mkdir applied the umask; set the documented mode exactly.
            rustix::fs::fchmod(&fd, mode)
                .map_err(|e| Error::os(e, format!("cannot set the mode of {}", path.display())))?;
        }
        let st = rustix::fs::fstat(&fd)
            .map_err(|e| Error::os(e, format!("fstat {}", path.display())))?;
        let euid = rustix::process::geteuid().as_raw();
        let perm = st.st_mode & 0o7777;
        if scope == Scope::Local && ((own && st.st_uid != euid) || perm & 0o077 != 0) {
            return Err(Error::new(
                ErrorKind::AccessDenied,
                format!(
                    "namespace directory {} is not private to uid {euid} (owner {}, mode {:o}); refusing to use it",
                    path.display(),
                    st.st_uid,
                    perm
                ),
            ));
        }
        let file_mode = Mode::from_raw_mode(perm & 0o666);
        // A directory opened for use gets its lock file now, so that closing a handle never
        // needs a new descriptor (a full descriptor table would otherwise leave the name
        // behind). Failing here is not fatal: `lock_fd` tries again, and creating an object
        // requires it.
        let lock = if create {
            open_lock_file(&fd, &path, file_mode)
                .ok()
                .map(|l| (current_pid(), Arc::new(l)))
        } else {
            None
        };
        Ok(Dir {
            path,
            fd,
            file_mode,
            lock: Mutex::new(lock),
            shards: (0..SHARDS).map(|_| Mutex::new(())).collect(),
            cache: Mutex::new(HashMap::new()),
            removed: std::sync::atomic::AtomicBool::new(false),
            swept: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Detects a namespace directory deleted while this process uses it (an operational
    /// hazard: `systemd-logind`'s `RemoveIPC=yes` at logout, a `tmpfiles` cleaner, an
    /// administrator's `rm -rf`). Names created in it would be visible to nobody else, and
    /// names created by others in its replacement invisible to us; the call fails with
    /// `ERROR_PATH_NOT_FOUND` and the next call of this process uses a new directory. Called
    /// only on paths that found nothing or failed (a deleted directory makes every lookup
    /// miss and every create fail), so the common paths pay nothing.
    pub(crate) fn check_not_removed(&self) -> Result<()> {
        match rustix::fs::fstat(&self.fd) {
            Ok(st) if st.st_nlink == 0 => {
                self.removed
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                Err(Error::new(
                    ErrorKind::PathNotFound,
                    format!(
                        "namespace directory {} was removed while in use (RemoveIPC at logout?); \
                         objects held in it are now invisible to other processes",
                        self.path.display()
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The `.lock` file's descriptor for this process: opened when the directory is opened
    /// for use (so that a close never needs a new descriptor), or now if that failed, and
    /// again in a `fork`ed child (which shares the parent's open file description and so its
    /// locks).
    pub(crate) fn lock_fd(&self) -> Result<Arc<OwnedFd>> {
        let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let pid = current_pid();
        match &*g {
            Some((p, fd)) if *p == pid => Ok(fd.clone()),
            _ => {
                let fd = Arc::new(open_lock_file(&self.fd, &self.path, self.file_mode)?);
                *g = Some((pid, fd.clone()));
                Ok(fd)
            }
        }
    }

    /// Takes the bucket lock of `bucket` (in-process mutex, then the OFD byte), waiting at
    /// most [`BUCKET_LOCK_BOUND`] for another process to let go of it (`ERROR_TIMEOUT` then:
    /// the lock file is shared with every user of the directory, and a stopped or hostile
    /// process can hold a byte of it forever).
    pub(crate) fn bucket(&self, bucket: u32) -> Result<BucketGuard<'_>> {
        // The bound counts from here, for both locks: a thread of this process that waits for
        // the same bucket holds the in-process lock meanwhile, so its wait must not add to ours.
        let start = Instant::now();
        let shard = &self.shards[bucket as usize % SHARDS];
        let local = match shard.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                let mut polled = Poll::new(start);
                loop {
                    match shard.try_lock() {
                        Ok(g) => break g,
                        Err(std::sync::TryLockError::Poisoned(p)) => break p.into_inner(),
                        Err(std::sync::TryLockError::WouldBlock) => {
                            polled.pause().map_err(|()| self.bucket_timeout(bucket))?
                        }
                    }
                }
            }
        };
        let fd = self.lock_fd()?;
        if !self.try_ofd(&fd, bucket)? {
            let mut polled = Poll::new(start);
            while !self.try_ofd(&fd, bucket)? {
                polled.pause().map_err(|()| self.bucket_timeout(bucket))?;
            }
        }
        Ok(BucketGuard {
            fd,
            bucket,
            _local: local,
        })
    }

    /// [`Dir::bucket`] without waiting: `Ok(None)` if another thread or process holds it.
    /// Sweeping uses this: it is opportunistic, and a busy bucket is retried by a later sweep.
    pub(crate) fn try_bucket(&self, bucket: u32) -> Result<Option<BucketGuard<'_>>> {
        let local = match self.shards[bucket as usize % SHARDS].try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Ok(None),
        };
        let fd = self.lock_fd()?;
        if !self.try_ofd(&fd, bucket)? {
            return Ok(None);
        }
        Ok(Some(BucketGuard {
            fd,
            bucket,
            _local: local,
        }))
    }

    fn try_ofd(&self, fd: &OwnedFd, bucket: u32) -> Result<bool> {
        ofd::set(fd.as_fd(), Lock::Write, bucket as u64, 1, false)
            .map_err(|e| Error::os(e, format!("cannot lock {}/.lock", self.path.display())))
    }

    /// Removes stale objects (no live holder) from this directory. Never waits for a bucket
    /// lock: an object whose bucket is busy is left for a later sweep (see
    /// [`SweepReport::busy`]).
    pub(crate) fn sweep(&self) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        // Only regular files can be stale objects. Anything else under an object file name
        // (planted symlinks, FIFOs, directories) is skipped by its directory-entry type, without
        // a system call each: a directory full of them must not slow every process's first call.
        for f in self.object_files_where(|t| {
            t == rustix::fs::FileType::RegularFile || t == rustix::fs::FileType::Unknown
        })? {
            match object::remove_if_stale(self, &f) {
                Ok(object::Stale::Removed {
                    label,
                    bytes,
                    declared,
                }) => {
                    report.removed.push(label);
                    report.bytes_freed += bytes;
                    report.declared_bytes += declared;
                }
                Ok(object::Stale::Alive) => report.alive += 1,
                Ok(object::Stale::Busy) => report.busy.push(f),
                Err(e) => report.failed.push((f, e)),
            }
        }
        Ok(report)
    }

    /// Lists the object files of this directory (file names only), sorted.
    pub(crate) fn object_files(&self) -> Result<Vec<String>> {
        self.object_files_where(|_| true)
    }

    /// [`Dir::object_files`] whose directory-entry type passes `keep`.
    fn object_files_where(
        &self,
        keep: impl Fn(rustix::fs::FileType) -> bool,
    ) -> Result<Vec<String>> {
        let dupfd = rustix::fs::openat(
            &self.fd,
            ".",
            OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::os(e, format!("cannot read {}", self.path.display())))?;
        let dir = rustix::fs::Dir::read_from(&dupfd)
            .map_err(|e| Error::os(e, format!("cannot read {}", self.path.display())))?;
        let mut out = Vec::new();
        for entry in dir.flatten() {
            if let Some(f) = OsStr::from_bytes(entry.file_name().to_bytes()).to_str() {
                if name::is_object_file_name(f) && keep(entry.file_type()) {
                    out.push(f.to_owned());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

fn open_lock_file(dir: &OwnedFd, path: &Path, mode: Mode) -> Result<OwnedFd> {
    // NONBLOCK: in a shared directory another user can replace `.lock` with a FIFO or a file
    // with a lease on it, whose open would wait (a lease: up to the lease-break time).
    let fd = rustix::fs::openat(
        dir,
        ".lock",
        OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        mode,
    )
    .map_err(|e| Error::os(e, format!("cannot open {}/.lock", path.display())))?;
    let st = rustix::fs::fstat(&fd)
        .map_err(|e| Error::os(e, format!("fstat {}/.lock", path.display())))?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
        bail!(
            AccessDenied,
            "{}/.lock is not a regular file (planted by uid {}?); refusing to use it",
            path.display(),
            st.st_uid
        );
    }
    // The umask may have narrowed the mode; every user of the directory must be able to lock.
    if st.st_uid == rustix::process::geteuid().as_raw()
        && (st.st_mode & 0o777) != mode.as_raw_mode()
    {
        let _ = rustix::fs::fchmod(&fd, mode);
    }
    Ok(fd)
}

/// How long a name operation waits for its bucket lock. Legitimate holders keep it for a few
/// system calls; past this, a stopped or hostile process holds it and the operation fails
/// with `ERROR_TIMEOUT` instead of waiting forever.
pub(crate) const BUCKET_LOCK_BOUND: Duration = Duration::from_secs(5);

/// Polling with a bound (there is no timed `F_OFD_SETLKW`): a few yields first (a legitimate
/// holder is done within microseconds), then sleeps that double up to 2 ms, until
/// [`BUCKET_LOCK_BOUND`] after `start`.
struct Poll {
    start: Instant,
    round: u32,
    pause: Duration,
}

impl Poll {
    fn new(start: Instant) -> Poll {
        Poll {
            start,
            round: 0,
            pause: Duration::from_micros(20),
        }
    }

    /// Waits a little; `Err` once the bound has passed.
    #[cold]
    fn pause(&mut self) -> std::result::Result<(), ()> {
        self.round += 1;
        if self.round <= 64 {
            std::thread::yield_now();
            return Ok(());
        }
        if self.start.elapsed() >= BUCKET_LOCK_BOUND {
            return Err(());
        }
        std::thread::sleep(self.pause);
        self.pause = (self.pause * 2).min(Duration::from_millis(2));
        Ok(())
    }
}

impl Dir {
    #[cold]
    fn bucket_timeout(&self, bucket: u32) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "byte {bucket} of {}/.lock (the lock of the names in bucket {bucket}) has been \
                 held by another process or thread for more than {} s; a stopped process or \
                 another user holds it (see /proc/locks)",
                self.path.display(),
                BUCKET_LOCK_BOUND.as_secs()
            ),
        )
    }
}

/// The bucket lock of a name, held until dropped.
pub(crate) struct BucketGuard<'a> {
    fd: Arc<OwnedFd>,
    bucket: u32,
    _local: MutexGuard<'a, ()>,
}

impl Drop for BucketGuard<'_> {
    fn drop(&mut self) {
        let _ = ofd::set(self.fd.as_fd(), Lock::Unlock, self.bucket as u64, 1, false);
    }
}

/// The bucket of an object file name (the same value as [`Name::bucket`]).
pub(crate) fn bucket_of_file(file_name: &str) -> u32 {
    u32::from_str_radix(&file_name[..4], 16).unwrap_or(0) % BUCKETS
}
