//! Files opened the Win32 way (`CreateFile`): access, share mode and creation disposition,
//! with share modes enforced across every process that opens files through fmap.
//!
//! # How share modes are enforced
//!
//! Each open file records what it does and what it refuses to share as OFD read locks on bytes
//! near the end of the file's lock space (offsets `2^63 - 2^16 + k`, far beyond any data):
//!
//! | byte | held by an open that… |
//! |---|---|
//! | +0 / +1 / +2 | has read / write / delete access |
//! | +3 / +4 / +5 | does not share read / write / delete |
//! | +6 | is a file-mapping section of this file (see [`crate::Mapping`]) |
//! | +7 | is a writable file-mapping section of this file |
//!
//! A new open conflicts, as in Windows' `IoCheckShareAccess`, if it wants an access that an
//! existing open does not share, or does not share an access an existing open has. The opener
//! takes its own locks *first* and then asks the kernel whether anyone else holds a conflicting
//! byte, so two conflicting opens can never both succeed; opens by the same user are also
//! serialised by the namespace's bucket lock, so exactly one of two racing conflicting opens
//! wins. Opens that request no data access (attributes only) record nothing and conflict with
//! no other open, as on Windows — except with a writable section: while one exists, every open,
//! also one with no data access, must share write (`ERROR_SHARING_VIOLATION` otherwise; Wine's
//! `test_file_sharing`, `is_sharing_map_compatible`).
//!
//! A section holds "write access, shares everything" while it is writable, so later opens must
//! share write (`ERROR_SHARING_VIOLATION` otherwise), and every section holds the *mapped* byte,
//! so truncating the file (`CREATE_ALWAYS`, `TRUNCATE_EXISTING`, [`File::set_len`] to a smaller
//! size) fails with `ERROR_USER_MAPPED_FILE`. Section locks live on the section's own open file
//! description, which its views keep alive: they last until the last handle is closed *and* the
//! last view unmapped, also when the `File` itself was closed right after creating the section.
//!
//! Processes that open the file without fmap are not restrained (Linux has no mandatory share
//! modes); a process that truncates a mapped file behind fmap's back makes readers of the cut-off
//! pages fault, which is why [`crate::View::read`] and friends are the checked way in.

use crate::error::{bail, Error, ErrorKind, Result};
use crate::store::name::BUCKETS;
use crate::store::namespace::Namespace;
use crate::sys::ofd::{self, Lock};
use crate::win32::*;
use crate::Scope;
use rustix::fs::{Mode, OFlags};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

pub(crate) const SHARE_BASE: u64 = 0x7FFF_FFFF_FFFF_0000;
const ACC_READ: u64 = 0;
const ACC_WRITE: u64 = 1;
const ACC_DELETE: u64 = 2;
const DENY_READ: u64 = 3;
const DENY_WRITE: u64 = 4;
const DENY_DELETE: u64 = 5;
pub(crate) const MAPPED: u64 = 6;
const WRITABLE_SECTION: u64 = 7;

/// How to open or create a file (`dwCreationDisposition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// `CREATE_NEW`: create; fail with `ERROR_FILE_EXISTS` if it exists.
    CreateNew,
    /// `CREATE_ALWAYS`: create, or truncate an existing file.
    CreateAlways,
    /// `OPEN_EXISTING`: open; fail with `ERROR_FILE_NOT_FOUND` if missing.
    OpenExisting,
    /// `OPEN_ALWAYS`: open, or create if missing.
    OpenAlways,
    /// `TRUNCATE_EXISTING`: open and truncate; needs write access.
    TruncateExisting,
}

impl Disposition {
    /// Parses a `dwCreationDisposition` value.
    pub fn from_win32(v: u32) -> Result<Disposition> {
        Ok(match v {
            CREATE_NEW => Disposition::CreateNew,
            CREATE_ALWAYS => Disposition::CreateAlways,
            OPEN_EXISTING => Disposition::OpenExisting,
            OPEN_ALWAYS => Disposition::OpenAlways,
            TRUNCATE_EXISTING => Disposition::TruncateExisting,
            _ => bail!(
                InvalidParameter,
                "creation disposition {v} is not one of CREATE_NEW..TRUNCATE_EXISTING"
            ),
        })
    }
}

/// The data accesses of an open, for share-mode purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct DataAccess {
    pub read: bool,
    pub write: bool,
    pub delete: bool,
    pub execute: bool,
}

impl DataAccess {
    pub(crate) fn from_win32(a: u32) -> DataAccess {
        let all = a & GENERIC_ALL != 0;
        DataAccess {
            read: all || a & (GENERIC_READ | FILE_READ_DATA | GENERIC_EXECUTE | FILE_EXECUTE) != 0,
            write: all || a & (GENERIC_WRITE | FILE_WRITE_DATA | FILE_APPEND_DATA) != 0,
            delete: all || a & DELETE != 0,
            execute: all || a & (GENERIC_EXECUTE | FILE_EXECUTE) != 0,
        }
    }
    fn any(self) -> bool {
        self.read || self.write || self.delete
    }
}

/// A file opened through fmap, with Win32 access and share-mode semantics.
#[derive(Debug)]
pub struct File {
    file: std::fs::File,
    /// A readable descriptor carrying the share locks, when `file` is write-only.
    lock_fd: Option<OwnedFd>,
    access: DataAccess,
    share: u32,
    path: PathBuf,
}

impl File {
    /// Opens or creates `path` like `CreateFile(path, access, share, NULL, disposition, …)`.
    ///
    /// `access` takes `GENERIC_*` / `FILE_*_DATA` / `DELETE` bits, `share` `FILE_SHARE_*`
    /// bits. Returns the file and whether it already existed (Windows reports that as
    /// `ERROR_ALREADY_EXISTS` for `CREATE_ALWAYS` and `OPEN_ALWAYS`).
    pub fn open(
        path: impl AsRef<Path>,
        access: u32,
        share: u32,
        disposition: Disposition,
    ) -> Result<(File, bool)> {
        let path = path.as_ref();
        let acc = DataAccess::from_win32(access);
        if share & !(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE) != 0 {
            bail!(InvalidParameter, "share mode {share:#x} has unknown bits");
        }
        if disposition == Disposition::TruncateExisting && !acc.write {
            bail!(
                InvalidParameter,
                "TRUNCATE_EXISTING needs GENERIC_WRITE access"
            );
        }
        let mode_flags = match (acc.read || !acc.write, acc.write) {
            (true, true) => OFlags::RDWR,
            (false, true) => OFlags::WRONLY,
            _ => OFlags::RDONLY,
        };
        let base = mode_flags | OFlags::CLOEXEC | OFlags::NOCTTY;
        let create_mode = Mode::from_raw_mode(0o666);
        let what = || path.display().to_string();
        let (fd, existed) = match disposition {
            Disposition::CreateNew => (
                rustix::fs::open(path, base | OFlags::CREATE | OFlags::EXCL, create_mode)
                    .map_err(|e| open_error(e, path))?,
                false,
            ),
            Disposition::OpenExisting | Disposition::TruncateExisting => (
                rustix::fs::open(path, base, Mode::empty()).map_err(|e| open_error(e, path))?,
                true,
            ),
            Disposition::CreateAlways | Disposition::OpenAlways => {
                match rustix::fs::open(path, base | OFlags::CREATE | OFlags::EXCL, create_mode) {
                    Ok(fd) => (fd, false),
                    Err(rustix::io::Errno::EXIST) => (
                        rustix::fs::open(path, base, Mode::empty())
                            .map_err(|e| open_error(e, path))?,
                        true,
                    ),
                    Err(e) => return Err(open_error(e, path)),
                }
            }
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::os(e, format!("fstat {}", what())))?;
        if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            bail!(AccessDenied, "{} is a directory", what());
        }
        let lock_fd = if mode_flags == OFlags::WRONLY {
            crate::store::object::reopen_fd(fd.as_fd(), OFlags::RDONLY).ok()
        } else {
            None
        };
        let file = File {
            file: std::fs::File::from(fd),
            lock_fd,
            access: acc,
            share,
            path: path.to_owned(),
        };
        {
            // Best effort: without a usable namespace the claim-then-check protocol alone still
            // never lets two conflicting opens both succeed.
            // The user's `Local\` directory of the default root, without its first-use sweep:
            // opening a file is no reason to touch a namespace the caller may not use.
            let dir = Namespace::default().dir_unswept(Scope::Local).ok();
            let _serial = dir
                .as_ref()
                .and_then(|d| d.bucket(share_bucket(st.st_dev, st.st_ino)).ok());
            file.claim_share()?;
            let truncate = matches!(disposition, Disposition::TruncateExisting)
                || (disposition == Disposition::CreateAlways && existed);
            if truncate {
                file.check_not_mapped()?;
                file.file
                    .set_len(0)
                    .map_err(|e| Error::os(e, format!("cannot truncate {}", what())))?;
            }
        }
        Ok((file, existed))
    }

    fn lock_fd(&self) -> BorrowedFd<'_> {
        match &self.lock_fd {
            Some(fd) => fd.as_fd(),
            None => self.file.as_fd(),
        }
    }

    /// Records this open's access and share mode and fails if they conflict with another open.
    fn claim_share(&self) -> Result<()> {
        let a = self.access;
        let fd = self.lock_fd();
        let s = self.share;
        if !a.any() {
            // Attributes only: no claims, no conflicts — but a writable section still demands
            // FILE_SHARE_WRITE.
            if s & FILE_SHARE_WRITE == 0
                && ofd::held_by_others(fd, Lock::Write, SHARE_BASE + WRITABLE_SECTION, 1)
                    .unwrap_or(false)
            {
                bail!(
                    SharingViolation,
                    "{} has a writable file mapping; opening it needs FILE_SHARE_WRITE",
                    self.path.display()
                );
            }
            return Ok(());
        }
        let mine = [
            (a.read, ACC_READ),
            (a.write, ACC_WRITE),
            (a.delete, ACC_DELETE),
            (s & FILE_SHARE_READ == 0, DENY_READ),
            (s & FILE_SHARE_WRITE == 0, DENY_WRITE),
            (s & FILE_SHARE_DELETE == 0, DENY_DELETE),
        ];
        for (on, byte) in mine {
            if on && !ofd::set(fd, Lock::Read, SHARE_BASE + byte, 1, false).unwrap_or(true) {
                bail!(
                    SharingViolation,
                    "{} is being set up by another process",
                    self.path.display()
                );
            }
        }
        // Conflicts: an access we want that someone refuses to share, or an access someone
        // has that we refuse to share.
        let checks = [
            (a.read, DENY_READ, "read"),
            (a.write, DENY_WRITE, "write"),
            (a.delete, DENY_DELETE, "delete"),
            (s & FILE_SHARE_READ == 0, ACC_READ, "read"),
            (s & FILE_SHARE_WRITE == 0, ACC_WRITE, "write"),
            (s & FILE_SHARE_DELETE == 0, ACC_DELETE, "delete"),
        ];
        for (on, byte, what) in checks {
            if on && ofd::held_by_others(fd, Lock::Write, SHARE_BASE + byte, 1).unwrap_or(false) {
                let hint = if byte == ACC_WRITE {
                    " (a writable file mapping counts as a writer)"
                } else {
                    ""
                };
                bail!(
                    SharingViolation,
                    "{} is open elsewhere with a share mode that conflicts on {what} access{hint}",
                    self.path.display()
                );
            }
        }
        Ok(())
    }

    fn check_not_mapped(&self) -> Result<()> {
        if ofd::held_by_others(self.file.as_fd(), Lock::Write, SHARE_BASE + MAPPED, 1)
            .unwrap_or(false)
        {
            bail!(
                UserMappedFile,
                "{} has a mapped section; it cannot be truncated",
                self.path.display()
            );
        }
        Ok(())
    }

    /// Descriptors and a description of this open for a child process to adopt after `exec`
    /// with [`File::adopt_inherited`] (Win32 handle inheritance, see
    /// [`Exported`](crate::Exported)): duplicates of its descriptors, so that the child shares
    /// the open file description — the file position, as on Windows, and the share-mode locks,
    /// which then last while either process has the file open.
    pub fn export_for_child(&self) -> Result<crate::store::object::Exported> {
        let dup = |fd: BorrowedFd<'_>| {
            rustix::io::fcntl_dupfd_cloexec(fd, 0)
                .map_err(|e| Error::os(e, format!("cannot duplicate {}", self.path.display())))
        };
        let mut fds = vec![dup(self.file.as_fd())?];
        if let Some(l) = &self.lock_fd {
            fds.push(dup(l.as_fd())?);
        }
        let a = self.access;
        let bits = u32::from(a.read)
            | u32::from(a.write) << 1
            | u32::from(a.delete) << 2
            | u32::from(a.execute) << 3;
        let path: String = self
            .path
            .as_os_str()
            .as_encoded_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(crate::store::object::Exported {
            fds,
            description: format!("F{bits:x}.{:x}.{path}", self.share),
            pid_slots: Vec::new(),
            keep_alive: None,
        })
    }

    /// The file a parent exported with [`File::export_for_child`], from the inherited
    /// descriptors and the description. `ERROR_INVALID_PARAMETER` for a malformed description.
    pub fn adopt_inherited(fds: Vec<OwnedFd>, description: &str) -> Result<File> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidParameter,
                "malformed inherited-file description",
            )
        };
        let rest = description.strip_prefix('F').ok_or_else(bad)?;
        let mut parts = rest.split('.');
        let (Some(bits), Some(share), Some(path), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let bits = u32::from_str_radix(bits, 16).map_err(|_| bad())?;
        let share = u32::from_str_radix(share, 16).map_err(|_| bad())?;
        if path.len() % 2 != 0 {
            return Err(bad());
        }
        let path = (0..path.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&path[i..i + 2], 16).map_err(|_| bad()))
            .collect::<Result<Vec<u8>>>()?;
        let mut fds = fds.into_iter();
        let (Some(file), lock_fd, None) = (fds.next(), fds.next(), fds.next()) else {
            return Err(bad());
        };
        Ok(File {
            file: std::fs::File::from(file),
            lock_fd,
            access: DataAccess {
                read: bits & 1 != 0,
                write: bits & 2 != 0,
                delete: bits & 4 != 0,
                execute: bits & 8 != 0,
            },
            share,
            path: PathBuf::from(
                <std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(path),
            ),
        })
    }

    /// The path the file was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying standard-library file, for reading, writing and seeking.
    pub fn as_std(&self) -> &std::fs::File {
        &self.file
    }

    /// The file's current size.
    pub fn len(&self) -> Result<u64> {
        rustix::fs::fstat(&self.file)
            .map(|st| st.st_size as u64)
            .map_err(|e| Error::os(e, format!("fstat {}", self.path.display())))
    }

    /// Is the file empty?
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// `SetEndOfFile`: changes the size. Shrinking a file that has a mapped section fails with
    /// `ERROR_USER_MAPPED_FILE`.
    pub fn set_len(&self, size: u64) -> Result<()> {
        if !self.access.write {
            bail!(
                AccessDenied,
                "{} was not opened for writing",
                self.path.display()
            );
        }
        if size < self.len()? {
            self.check_not_mapped()?;
        }
        self.file
            .set_len(size)
            .map_err(|e| Error::os(e, format!("cannot resize {}", self.path.display())))
    }

    /// `FlushFileBuffers`: makes written data (including data written through views) durable.
    pub fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::os(e, format!("cannot flush {}", self.path.display())))
    }

    pub(crate) fn data_access(&self) -> DataAccess {
        self.access
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl File {
    /// `DeleteFile`: removes `path` unless an open of it (through fmap) does not share delete
    /// access (`ERROR_SHARING_VIOLATION`). A directory is `ERROR_ACCESS_DENIED`; a missing
    /// file `ERROR_FILE_NOT_FOUND` (`ERROR_PATH_NOT_FOUND` if its directory is missing).
    pub fn delete(path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if path.is_dir() {
            bail!(AccessDenied, "{} is a directory", path.display());
        }
        // Open for delete access, sharing everything: this fails exactly when another open
        // refuses to share delete.
        let (f, _) = File::open(
            path,
            DELETE,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            Disposition::OpenExisting,
        )?;
        let r = std::fs::remove_file(path);
        drop(f);
        r.map_err(|e| match e.raw_os_error() {
            Some(libc::ENOENT) => open_error(rustix::io::Errno::NOENT, path),
            _ => Error::os(e, format!("cannot delete {}", path.display())),
        })
    }
}

fn open_error(e: rustix::io::Errno, path: &Path) -> Error {
    match e {
        rustix::io::Errno::EXIST => Error::new(
            ErrorKind::FileExists,
            format!("{} already exists", path.display()),
        ),
        rustix::io::Errno::NOENT => {
            let parent_missing = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .is_some_and(|p| !p.is_dir());
            if parent_missing {
                Error::new(
                    ErrorKind::PathNotFound,
                    format!("the directory of {} does not exist", path.display()),
                )
            } else {
                Error::new(
                    ErrorKind::FileNotFound,
                    format!("{} does not exist", path.display()),
                )
            }
        }
        e => Error::os(e, format!("cannot open {}", path.display())),
    }
}

/// The bucket that serialises share-mode claims on one file among this user's processes.
fn share_bucket(dev: u64, ino: u64) -> u32 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    ((dev.wrapping_mul(K) ^ ino).wrapping_mul(K) >> 40) as u32 % BUCKETS
}

/// Takes the section locks on `fd` (a section's own descriptor of its file).
pub(crate) fn claim_section(fd: BorrowedFd<'_>, writable: bool) -> Result<()> {
    let _ = ofd::set(fd, Lock::Read, SHARE_BASE + MAPPED, 1, false);
    if writable {
        let _ = ofd::set(fd, Lock::Read, SHARE_BASE + ACC_WRITE, 1, false);
        let _ = ofd::set(fd, Lock::Read, SHARE_BASE + WRITABLE_SECTION, 1, false);
    }
    Ok(())
}
