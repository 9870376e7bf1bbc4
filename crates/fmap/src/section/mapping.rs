//! File-mapping objects (sections): `CreateFileMapping`, `OpenFileMapping`, `MapViewOfFile(Ex)`.
//!
//! A [`Mapping`] is one handle to a section. Cloning it (`Clone`,
//! [`Mapping::duplicate`]) is `DuplicateHandle`: the new handle keeps the object alive on its
//! own. Dropping it is `CloseHandle`; when the last handle anywhere is closed the name is gone,
//! while [`View`]s keep the memory until they are unmapped.
//!
//! # Where the memory lives: freed with its last holder
//!
//! Windows frees a section's memory when the last process holding a handle or a view closes
//! it, unmaps it *or terminates*. fmap keeps that for the memory, not only for the name, with
//! no daemon and no later fmap call (issue 18):
//!
//! * **Named pagefile sections that only their creator's user may open** (every `Local\`
//!   section, and `Global\` ones created with [`Sharing::Private`](crate::Sharing::Private) or
//!   in a directory that gives other users no access) keep their memory in an *unlinked
//!   memfd*, the object's companion (`store::holders`). Each process holding a handle keeps
//!   a descriptor of it; views map it. When the last process with a descriptor or a view
//!   ends, however it ends (`SIGKILL` included), the kernel frees the memory at once. Only the
//!   object file — one page: the header and the holder table — is left for the lazy sweep, as
//!   before. The memfd is created by the creator, named `fmap:<dev>:<ino>` after its object
//!   file, given the object file's mode, sized as below, and sealed against shrinking and
//!   growing (no peer can truncate it under a view: no `SIGBUS` from truncation).
//! * **Openers** find it through the holder table in the object file: every holding process
//!   records its pid and descriptor number in a slot it keeps OFD-locked. An opener of the
//!   object's own user duplicates that descriptor with `pidfd_getfd` (pidfds cached per
//!   process) or, where ptrace *attach* is refused (Yama's `ptrace_scope = 1`, a non-dumpable
//!   holder), opens `/proc/<pid>/fd/<fd>` (ptrace *read* rights: the same user and root); any
//!   other opener (root opening a user's section) opens it only as `O_PATH` first. Each
//!   checks what it got before it maps anything: an unlinked regular file owned by the object
//!   file's owner and exactly the companion the creator recorded (its device and inode in the
//!   header, or its name `fmap:<dev>:<ino>` read back through `/proc/self/fd`). Slots are
//!   bytes anyone who can write the object file can forge; the checks make a forged slot lead
//!   nowhere else (see `store::holders` and
//!   `SECURITY.md`). An opener whose only live slots belong to processes it may not read gets
//!   `ERROR_ACCESS_DENIED`.
//! * **Sections other users may open** (`Global\` with [`Sharing::Namespace`](crate::Sharing)
//!   in a directory open to others, or [`Sharing::ReadOnly`](crate::Sharing)), all named
//!   pagefile sections where `/proc` is not mounted, and those a process creates within 64
//!   descriptors of its `RLIMIT_NOFILE` (a memfd would cost a descriptor per section; a
//!   segment needs none), keep their memory in a *System V
//!   shared-memory segment* marked for removal (`IPC_RMID`) as soon as it is made
//!   (`store::segment`). Another user cannot reach a memfd (`/proc/<pid>/fd` needs ptrace
//!   rights, and there is no daemon to hand it over), but on Linux a segment marked for
//!   removal can still be attached by its id, with the kernel checking the segment's owner,
//!   group and mode — the object file's — and it is freed with its last attachment. Each
//!   process holding a handle keeps the segment's last page (a trailer naming the object file)
//!   attached; each view is an attachment of its own, moved into place with `mremap`. When
//!   the last process with a handle or a view ends, however it ends, the kernel frees the
//!   memory at once. Openers accept a segment only if the kernel says it was created by and
//!   belongs to the object file's owner, is private, marked for removal and of the right size,
//!   and its trailer names the very object file they hold (see `store::segment` and
//!   `SECURITY.md`). A copy-on-write view of such a section is a private copy of its range
//!   made when the view is mapped (a segment cannot be mapped privately): its writes stay
//!   private, but pages it has not written do not show later changes made through other
//!   views. Past `kernel.shmmni` (4096 segments system-wide by default) or `kernel.shmall`,
//!   and with [`MappingOptions::data_in_namespace`] or `FMAP_DATA_IN_NAMESPACE=1`, a new
//!   section keeps its memory in its object file after the header page: names still die with
//!   their last handle, but the memory of a crashed last holder stays until a later fmap call
//!   sweeps the name. The header's flag bits 3 and 4 tell openers which storage an object
//!   uses.
//! * **Unnamed sections** were always a memfd of this process.
//!
//! Mechanisms weighed (issue 18): SysV shared memory marked `IPC_RMID` is freed by the kernel
//! with its last attachment and has kernel-checked permissions, but every handle without a
//! view needs an attachment of its own, ids are reused (an opener must prove the id: the
//! trailer page), and `kernel.shmmni` (4096 by default) limits the count below the 10,000 live
//! sections fmap supports; it has no descriptor to `mmap` at an offset or privately, so views
//! are carved out of whole attachments and copy-on-write views are copies. Passing the memfd
//! over `SCM_RIGHTS` needs a thread serving it in every holding process, and a stopped
//! holder would leave openers waiting. `pidfd_getfd` alone needs ptrace *attach* rights,
//! which Yama's `ptrace_scope = 1` denies between siblings. Opening `/proc/<pid>/fd/<fd>`
//! needs only ptrace *read* rights, works between any two processes of the same user, and
//! has no global limit; its gap is other users. fmap therefore uses the memfd for sections of
//! one user — `pidfd_getfd` where it is allowed (the fastest: ≈ 1.1 µs against ≈ 3.4 µs for a
//! `/proc/<pid>/fd` open), `/proc` where it is not — and a segment for sections other users
//! may open, where the kernel's own permission check is what makes sharing safe.
//!
//! Measured (2-vCPU VM shared with other jobs): killing the only holder of a 256 MiB section
//! with every page touched brings `Shmem` back to within 1 MiB of its start 50–115 ms after
//! the `SIGKILL` is sent (most of it the exit of a process with 256 MiB mapped;
//! `tests/memory_release.rs`, which polls with a 30 s hang guard and makes no fmap call
//! meanwhile). Create and open cost more system calls (`memfd_create`, `fchmod`, `fcntl`
//! seals and a slot lock on create; on open a slot lookup, the `/proc` open, `fstat`,
//! `readlink`, the re-open and a slot lock). Quick benchmark runs before and after, same VM
//! (`BENCHMARKS.md`, last section): a 4 KiB create cycle 36–45 µs → 44 µs (1.7–1.8× → 2.0–2.3×
//! raw `shm_open`), larger sizes unchanged within the noise; an open cycle of a section held
//! by another process 10–12 µs → 33–34 µs (1.6× → 4.3–4.6× raw), most of it the three
//! `/proc` look-ups (about 5, 4 and 5 µs each measured alone). Since openers of the object's
//! own user duplicate the descriptor with `pidfd_getfd` and check it by `fstat` against the
//! recorded device and inode, that cycle is 14.0 µs (2.7–2.8× raw in the same runs, 2.83× in
//! `BENCHMARKS.md`; the rest is the name file's open, seven OFD lock calls and the holder
//! slot's record, none of which a raw `shm_open` has). A section this process already holds
//! opens as before (its cache). Sections in a System V segment (other users may open them)
//! cost more: a 4 KiB create cycle 34–35 µs → 58–60 µs (1.8× → 3.1× raw), an open cycle
//! 8.4–8.6 µs → 25–26 µs (1.6× → 4.7–5.0×) against keeping their memory in the object file
//! (three run pairs, `BENCHMARKS.md`, last section): the kernel makes and destroys a shmem
//! file per segment, and an open attaches the whole segment, checks it after attaching and
//! keeps only the trailer page.
//!
//! # Lazy commit
//!
//! A pagefile section's memory (its memfd, or its object file after the header page) is
//! sized (`ftruncate`) but not filled: like `SEC_COMMIT` on Windows, which charges the commit
//! and uses no physical memory until a page is touched, a section costs the memory of the
//! pages that are touched, and creating one takes the same time whatever its size.
//!
//! What Windows' commit charge guarantees — the memory is there when it is touched — is kept
//! this way:
//!
//! * **At creation** a section that cannot fit is refused with `ERROR_COMMITMENT_LIMIT`: its
//!   size is checked against the free space of the file system that holds it (a memfd's has
//!   no size of its own: its pages are charged to the system's memory and the memory cgroup,
//!   not to the namespace's tmpfs) and, for large sections, against the memory the system has
//!   (`MemAvailable` + `SwapFree`).
//! * **fmap's own copies** ([`View::read`], [`View::write`], and the CLI and C ABI built on
//!   them) fault their pages in with `MADV_POPULATE_READ`/`MADV_POPULATE_WRITE` first, so a
//!   file system that filled up after creation is an error (`ERROR_COMMITMENT_LIMIT`) from
//!   the call, never a `SIGBUS`.
//! * **Raw pointers** ([`View::as_ptr`]) touch pages directly: if the shared-memory file
//!   system is full when a page is first touched, the kernel raises `SIGBUS` in the toucher,
//!   as for any `mmap` of tmpfs. A program that needs the memory up front asks for it:
//!   [`MappingOptions::eager_commit`], or `FMAP_EAGER_COMMIT=1` in the environment (for C
//!   programs), allocates the whole section at creation (`fallocate`), so a full file system is
//!   an error from `create` and no later touch can fail.
//!
//! File-backed sections map the user's file itself; their object file records the file's path
//! and identity so another process can open the section by name.

use crate::error::{bail, Error, ErrorKind, Result};
use crate::rights::{Access, Protection};
use crate::section::file::{self, File};
use crate::section::view::{round_up, MapRequest, View};
use crate::store::header::{Header, Kind, FLAG_DATA_MEMFD, FLAG_FILE_BACKED, HEADER_SIZE};
use crate::store::name::Name;
use crate::store::namespace::Namespace;
use crate::store::object::{Object, Origin};
use crate::win32::*;
use rustix::fs::{FallocateFlags, OFlags};
use std::ops::{Bound, RangeBounds};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

/// Largest section size accepted (`STATUS_SECTION_TOO_BIG` above it, as in Wine).
pub const MAX_SECTION_SIZE: u64 = 1 << 54;

const SEC_MASK: u32 = SEC_FILE
    | SEC_IMAGE
    | SEC_RESERVE
    | SEC_COMMIT
    | SEC_NOCACHE
    | SEC_WRITECOMBINE
    | SEC_LARGE_PAGES;
const PAGE_MASK: u32 = 0x7FF;

/// One handle to a file-mapping object. Cloning it is `DuplicateHandle(…,
/// DUPLICATE_SAME_ACCESS)`: another handle to the same object, which keeps it alive on its own.
#[derive(Debug, Clone)]
pub struct Mapping {
    section: Arc<Section>,
    access: Access,
    existed: bool,
}

#[derive(Debug)]
struct Section {
    /// The object file (named, or an unnamed memfd), held for the handle's lifetime: dropping
    /// the last one is the last `CloseHandle`. `None` for unnamed file-backed sections.
    obj: Option<Arc<Object>>,
    data: Arc<OwnedFd>,
    data_offset: u64,
    data_writable: bool,
    /// The section's memory is this System V segment (see `store::segment`), not `data`.
    segment: Option<i32>,
    protection: Protection,
    size: u64,
    sec: u32,
    file: Option<PathBuf>,
    name: Option<String>,
}

/// Builder for [`Mapping`]s: protection, size, backing file, name and namespace.
///
/// ```no_run
/// # fn main() -> fmap::Result<()> {
/// use fmap::{MappingOptions, Protection, Access};
/// let m = MappingOptions::new().size(1 << 20).name("Local\\demo").create()?;
/// let v = m.map_view(Access::WRITE, ..)?;
/// v.write(0, b"hello")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MappingOptions<'a> {
    ns: Option<Namespace>,
    protect: u32,
    eager: Option<bool>,
    in_namespace: Option<bool>,
    size: u64,
    file: Option<&'a File>,
    name: Option<&'a str>,
}

impl Default for MappingOptions<'_> {
    fn default() -> Self {
        MappingOptions::new()
    }
}

impl<'a> MappingOptions<'a> {
    /// Read/write, pagefile-backed, unnamed, no size yet (a pagefile section needs one), in the
    /// default namespace.
    pub fn new() -> Self {
        MappingOptions {
            ns: None,
            protect: PAGE_READWRITE,
            eager: None,
            in_namespace: None,
            size: 0,
            file: None,
            name: None,
        }
    }

    /// The section's page protection (default [`Protection::ReadWrite`]).
    #[must_use]
    pub fn protection(mut self, p: Protection) -> Self {
        self.protect = (self.protect & !PAGE_MASK) | p.to_win32();
        self
    }

    /// Adds `SEC_*` attributes (`SEC_COMMIT` is the default; `SEC_RESERVE` skips committing the
    /// memory up front; `SEC_NOCACHE` and `SEC_WRITECOMBINE` are accepted and have no effect).
    #[must_use]
    pub fn sec_flags(mut self, sec: u32) -> Self {
        self.protect |= sec;
        self
    }

    /// Allocates the whole of a new pagefile-backed `SEC_COMMIT` section at creation, instead
    /// of page by page as it is touched (the default). Creation then takes time and memory in
    /// proportion to the size, and a shared-memory file system too full for the section is an
    /// error from `create` (`ERROR_COMMITMENT_LIMIT`) rather than a `SIGBUS` when a raw
    /// pointer first touches a page. Not set, the environment decides: `FMAP_EAGER_COMMIT=1`
    /// turns it on (for C programs, which cannot call this).
    #[must_use]
    pub fn eager_commit(mut self, eager: bool) -> Self {
        self.eager = Some(eager);
        self
    }

    /// Keeps the memory of a new named pagefile-backed section in its object file, in the
    /// namespace's file system, instead of a memfd that the kernel frees the moment its last
    /// holder ends (the default where possible; see the module docs). The namespace's file
    /// system then bounds the section (a tmpfs with a size, as in a container), and after a
    /// crash of its last holder the memory stays until a later fmap call sweeps the name.
    /// Not set, the environment decides: `FMAP_DATA_IN_NAMESPACE=1` turns it on.
    #[must_use]
    pub fn data_in_namespace(mut self, yes: bool) -> Self {
        self.in_namespace = Some(yes);
        self
    }

    /// The raw `flProtect` of `CreateFileMapping` (page protection OR-ed with `SEC_*`),
    /// validated exactly as Windows does.
    #[must_use]
    pub fn flprotect(mut self, fl: u32) -> Self {
        self.protect = fl;
        self
    }

    /// The maximum size. Pagefile sections need it and are rounded up to whole pages;
    /// file-backed ones keep the exact size and, when it is not set (or is Win32's 0), take
    /// the file's size.
    #[must_use]
    pub fn size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// Back the section by this file instead of the pagefile.
    #[must_use]
    pub fn file(mut self, file: &'a File) -> Self {
        self.file = Some(file);
        self
    }

    /// The object name (`Local\x`, `Global\x` or `x`); an empty name makes an unnamed section.
    #[must_use]
    pub fn name(mut self, name: &'a str) -> Self {
        self.name = Some(name);
        self
    }

    /// The namespace to create the name in (default: [`Namespace::default`]).
    #[must_use]
    pub fn namespace(mut self, ns: &Namespace) -> Self {
        self.ns = Some(ns.clone());
        self
    }

    /// `CreateFileMapping`: creates the section, or opens the existing one of that name (then
    /// [`Mapping::already_existed`] is true and the size, protection and file given here are
    /// ignored, as on Windows).
    pub fn create(self) -> Result<Mapping> {
        let ns = self.ns.clone().unwrap_or_default();
        let eager = self.eager.unwrap_or_else(eager_commit_from_env);
        let in_namespace = self
            .in_namespace
            .unwrap_or_else(|| env_flag(&IN_NAMESPACE, "FMAP_DATA_IN_NAMESPACE"));
        create_impl(
            &ns,
            self.file,
            self.protect,
            self.size,
            self.name,
            eager,
            in_namespace,
        )
    }
}

impl Mapping {
    /// `"section NAME"` or `"the unnamed section"`, for messages.
    pub(crate) fn label(&self) -> String {
        self.section.label()
    }

    /// Creates (or opens, if it exists) a named, read/write, pagefile-backed section of `size`
    /// bytes in the default namespace.
    pub fn create(name: &str, size: u64) -> Result<Mapping> {
        MappingOptions::new().name(name).size(size).create()
    }

    /// Creates an unnamed, read/write, pagefile-backed section.
    pub fn create_unnamed(size: u64) -> Result<Mapping> {
        MappingOptions::new().size(size).create()
    }

    /// `OpenFileMapping` in the default namespace. `access` is the `dwDesiredAccess`
    /// (`FILE_MAP_*` or generic rights).
    pub fn open(name: &str, access: Access) -> Result<Mapping> {
        Mapping::open_in(&Namespace::default(), name, access)
    }

    /// `OpenFileMapping` in `ns`.
    pub fn open_in(ns: &Namespace, name: &str, access: Access) -> Result<Mapping> {
        let name = Name::parse(name)?;
        let dir = ns.dir(name.scope())?;
        let Some(obj) = Object::open(&dir, &name)? else {
            bail!(FileNotFound, "no object named {name} exists");
        };
        Mapping::from_opened(obj, &name, access)
    }

    /// `OpenFileMapping` of an object the store has opened.
    pub(crate) fn from_opened(obj: Arc<Object>, name: &Name, access: Access) -> Result<Mapping> {
        check_kind(&obj, name)?;
        let mut rights = Access::section_rights(access.bits())?;
        if !obj.writable() && access.bits() & (MAXIMUM_ALLOWED | GENERIC_ALL) != 0 {
            rights = Access::from_bits_retain(rights.bits() & !SECTION_MAP_WRITE);
        }
        let section = Section::from_object(obj, None)?;
        if rights.bits() & SECTION_MAP_WRITE != 0 && !section.user_may_write() {
            bail!(
                AccessDenied,
                "{name} cannot be opened for writing by this user"
            );
        }
        Ok(Mapping {
            section: Arc::new(section),
            access: rights,
            existed: true,
        })
    }

    /// A handle with rights `access` (already mapped) to an object a parent process passed
    /// down (see `Object::adopt`).
    pub(crate) fn adopt(obj: Arc<Object>, access: u32) -> Result<Mapping> {
        if obj.header.kind != Kind::Mapping {
            bail!(InvalidHandle, "an inherited object is not a file mapping");
        }
        Ok(Mapping {
            section: Arc::new(Section::from_object(obj, None)?),
            access: Access::from_bits_retain(access),
            existed: true,
        })
    }

    /// The object file behind this handle; `None` for unnamed file-backed sections, which
    /// have none.
    pub(crate) fn object(&self) -> Option<&Arc<Object>> {
        self.section.obj.as_ref()
    }

    /// Did `create` open an object that already existed (Win32 `ERROR_ALREADY_EXISTS`)?
    /// Always true for handles from `open`.
    pub fn already_existed(&self) -> bool {
        self.existed
    }

    /// The rights of this handle.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The full name (`Local\…` or `Global\…`), or `None` for unnamed sections.
    pub fn name(&self) -> Option<&str> {
        self.section.name.as_deref()
    }

    /// The object type (always [`Kind::Mapping`]).
    pub fn kind(&self) -> Kind {
        Kind::Mapping
    }

    /// The section's size: page-rounded for pagefile sections, exact for file-backed ones.
    pub fn size(&self) -> u64 {
        self.section.size
    }

    /// The section's page protection.
    pub fn protection(&self) -> Protection {
        self.section.protection
    }

    /// The section attributes as `NtQuerySection` reports them (`SEC_COMMIT`, `SEC_RESERVE`,
    /// or `SEC_FILE`, plus `SEC_NOCACHE` / `SEC_WRITECOMBINE` if given).
    pub fn sec_flags(&self) -> u32 {
        self.section.sec
    }

    /// The mapped file, for file-backed sections.
    pub fn file_path(&self) -> Option<&std::path::Path> {
        self.section.file.as_deref()
    }

    /// `DuplicateHandle` with a new `dwDesiredAccess`, checked against the object (not against
    /// this handle), as on Windows.
    pub fn duplicate(&self, access: Access) -> Result<Mapping> {
        let rights = if access.bits() == 0 {
            Access::NONE
        } else {
            Access::section_rights(access.bits())?
        };
        if rights.bits() & SECTION_MAP_WRITE != 0 && !self.section.user_may_write() {
            bail!(
                AccessDenied,
                "the section cannot be opened for writing by this user"
            );
        }
        Ok(Mapping {
            section: self.section.clone(),
            access: rights,
            existed: self.existed,
        })
    }

    /// `MapViewOfFile`: maps the bytes `range` of the section with the view access `access`
    /// (see [`Protection::for_view_access`]). The range starts at a multiple of 64 KiB; `..`
    /// is the whole section, `0x10000..` from 64 KiB to the end, `0..4096` its first page.
    ///
    /// ```
    /// # fn main() -> fmap::Result<()> {
    /// use fmap::{Access, Mapping};
    /// let section = Mapping::create_unnamed(0x20000)?;
    /// assert_eq!(section.map_view(Access::WRITE, ..)?.len(), 0x20000);
    /// assert_eq!(section.map_view(Access::READ, 0x10000..)?.len(), 0x10000);
    /// assert_eq!(section.map_view(Access::READ, ..100)?.len(), 100);
    /// # Ok(()) }
    /// ```
    ///
    /// Errors as Windows: `ERROR_MAPPED_ALIGNMENT` for an unaligned start,
    /// `ERROR_ACCESS_DENIED` for a range past the end or an access the handle or the section
    /// does not allow; an empty range is `ERROR_INVALID_PARAMETER`.
    pub fn map_view(&self, access: Access, range: impl RangeBounds<u64>) -> Result<View> {
        let (offset, len) = span(&range)?;
        self.map_view_impl(access, offset, len, None)
    }

    /// `MapViewOfFileEx`: like [`map_view`](Mapping::map_view) at a caller-chosen address (a
    /// multiple of 64 KiB; null lets the system choose). Fails with `ERROR_INVALID_ADDRESS`
    /// if any part of the range is in use; never replaces an existing mapping.
    pub fn map_view_at(
        &self,
        access: Access,
        range: impl RangeBounds<u64>,
        base: *mut u8,
    ) -> Result<View> {
        let (offset, len) = span(&range)?;
        let base = (!base.is_null()).then_some(base as usize);
        self.map_view_impl(access, offset, len, base)
    }

    fn map_view_impl(
        &self,
        access: Access,
        offset: u64,
        len: Option<u64>,
        base: Option<usize>,
    ) -> Result<View> {
        let s = &*self.section;
        if access.bits() & (FILE_MAP_LARGE_PAGES | FILE_MAP_RESERVE) != 0 {
            bail!(
                InvalidParameter,
                "FILE_MAP_LARGE_PAGES and FILE_MAP_RESERVE are not supported"
            );
        }
        let prot = Protection::for_view_access(access);
        if !self.access.allows(prot.required_rights()) {
            bail!(
                AccessDenied,
                "the handle (access {:#x}) does not allow a {prot} view of {}",
                self.access.bits(),
                s.label()
            );
        }
        if !s.protection.allows_view(prot) {
            bail!(
                AccessDenied,
                "{} is {}; a {prot} view is not allowed",
                s.label(),
                s.protection
            );
        }
        if offset % ALLOCATION_GRANULARITY != 0 {
            bail!(
                MappedAlignment,
                "view offset {offset:#x} is not a multiple of 64 KiB"
            );
        }
        if let Some(b) = base {
            if b as u64 % ALLOCATION_GRANULARITY != 0 {
                bail!(
                    MappedAlignment,
                    "base address {b:#x} is not a multiple of 64 KiB"
                );
            }
        }
        if offset >= s.size {
            bail!(
                AccessDenied,
                "view offset {offset:#x} is at or past the end of {} ({} bytes)",
                s.label(),
                s.size
            );
        }
        let len = match len {
            None => s.size - offset,
            Some(0) => bail!(
                InvalidParameter,
                "an empty range of {} cannot be mapped",
                s.label()
            ),
            Some(len) => len,
        };
        if len.checked_add(offset).is_none_or(|end| end > s.size) {
            bail!(
                AccessDenied,
                "a view of {len} bytes at offset {offset:#x} extends past the end of {} ({} bytes)",
                s.label(),
                s.size
            );
        }
        let len = usize::try_from(len).map_err(|_| {
            Error::new(
                ErrorKind::NotEnoughMemory,
                "the view is larger than the address space",
            )
        })?;
        if prot.is_writable() && !s.data_writable {
            bail!(
                AccessDenied,
                "{} is not writable by this process",
                s.label()
            );
        }
        View::map(MapRequest {
            fd: &s.data,
            file_offset: s.data_offset + offset,
            len,
            protection: prot,
            base,
            file_backed: s.file.is_some(),
            segment: s
                .segment
                .map(|id| (id, s.size as usize + PAGE_SIZE as usize)),
        })
    }
}

/// The start and the length (`None`: to the end of the section) of a view's byte range.
fn span(range: &impl RangeBounds<u64>) -> Result<(u64, Option<u64>)> {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.checked_add(1).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidParameter,
                "the range starts past u64::MAX",
            )
        })?,
        Bound::Unbounded => 0,
    };
    // An end past `u64::MAX` can only be past the section's end: saturating keeps it so.
    let end = match range.end_bound() {
        Bound::Included(&e) => Some(e.saturating_add(1)),
        Bound::Excluded(&e) => Some(e),
        Bound::Unbounded => None,
    };
    match end {
        Some(e) if e < start => bail!(
            InvalidParameter,
            "the range {start:#x}..{e:#x} ends before it starts"
        ),
        e => Ok((start, e.map(|e| e - start))),
    }
}

impl Section {
    /// May this user have write access to the object at all? (The section's protection is a
    /// separate question, checked when a view is mapped.)
    fn user_may_write(&self) -> bool {
        self.obj.as_ref().is_none_or(|o| o.writable())
    }

    pub(crate) fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("section {n}"),
            None => "the unnamed section".to_owned(),
        }
    }

    /// Builds the per-handle view of an object: for file-backed sections, opens (or, with
    /// `file`, re-opens) the mapped file and takes the section's share locks on it.
    fn from_object(obj: Arc<Object>, file: Option<&File>) -> Result<Section> {
        let h = &obj.header;
        let protection = Protection::from_win32(h.protection).map_err(|_| {
            Error::new(
                ErrorKind::InvalidData,
                format!("object {} has a corrupt protection value", h.name),
            )
        })?;
        let name = obj.is_named().then(|| h.name.clone());
        // Not file-backed: the data is the object's own (a separate data descriptor, or the
        // bytes after the header in the object file).
        let segment = obj.segment();
        let own_data = match (obj.data(), segment) {
            (Some((data, data_writable)), _) => {
                Some((data.clone(), 0, data_writable && obj.writable()))
            }
            (None, Some((_, seg_writable))) => {
                Some((obj.fd.clone(), 0, seg_writable && obj.writable()))
            }
            (None, None) if h.flags & FLAG_FILE_BACKED == 0 => {
                Some((obj.fd.clone(), HEADER_SIZE, obj.writable()))
            }
            (None, None) => None,
        };
        if let Some((data, data_offset, data_writable)) = own_data {
            return Ok(Section {
                data,
                data_offset,
                data_writable,
                segment: segment.map(|(id, _)| id),
                protection,
                size: h.size,
                sec: h.sec,
                file: None,
                name,
                obj: Some(obj),
            });
        }
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(&h.path));
        let (fd, writable) = match file {
            Some(f) => open_for_section(f.fd(), protection)?,
            None => {
                // The path comes from the object file: follow it only if nobody but this user
                // (or root) can have written it, or another user could make us open any file
                // we can open.
                obj.check_written_only_by_me_or_root()?;
                open_path_for_section(&path, protection, h)?
            }
        };
        file::claim_section(fd.as_fd(), protection.is_writable())?;
        Ok(Section {
            data: Arc::new(fd),
            data_offset: 0,
            data_writable: writable,
            segment: None,
            protection,
            size: h.size,
            sec: h.sec,
            file: Some(path),
            name,
            obj: Some(obj),
        })
    }
}

fn check_kind(obj: &Object, name: &Name) -> Result<()> {
    if obj.header.kind != Kind::Mapping {
        bail!(
            InvalidHandle,
            "{name} is {}, not a file mapping",
            obj.header.kind.with_article()
        );
    }
    Ok(())
}

fn open_for_section(fd: BorrowedFd<'_>, prot: Protection) -> Result<(OwnedFd, bool)> {
    if prot.is_writable() {
        if let Ok(f) = crate::store::object::reopen_fd(fd, OFlags::RDWR) {
            return Ok((f, true));
        }
    }
    Ok((crate::store::object::reopen_fd(fd, OFlags::RDONLY)?, false))
}

/// Opens the file a section's header names, and only that file: the path is first opened as
/// `O_PATH` (no access, no waiting on a FIFO), the inode it reached must be a regular file
/// with the device and inode the creator recorded, and that very inode is then opened for
/// reading (and writing, if allowed) through its descriptor. A path whose directories were
/// changed meanwhile can therefore reach no other file.
fn open_path_for_section(
    path: &std::path::Path,
    prot: Protection,
    h: &Header,
) -> Result<(OwnedFd, bool)> {
    let name = &h.name;
    let what = || {
        format!(
            "cannot open {} (the file of section {name})",
            path.display()
        )
    };
    let p = rustix::fs::open(
        path,
        OFlags::PATH | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| Error::os(e, what()))?;
    let st =
        rustix::fs::fstat(&p).map_err(|e| Error::os(e, format!("fstat {}", path.display())))?;
    if rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::RegularFile {
        bail!(
            AccessDenied,
            "the file of section {name} ({}) is not a regular file; refusing to map it",
            path.display()
        );
    }
    if st.st_dev != h.file_dev || st.st_ino != h.file_ino {
        bail!(
            FileNotFound,
            "the file of section {name} ({}) was replaced or removed",
            path.display()
        );
    }
    let flags = OFlags::NOCTTY | OFlags::NONBLOCK;
    if prot.is_writable() {
        match crate::store::object::reopen_fd(p.as_fd(), flags | OFlags::RDWR) {
            Ok(f) => return Ok((f, true)),
            Err(e)
                if e.os_error()
                    .and_then(|o| o.raw_os_error())
                    .is_some_and(|c| c == libc::EACCES || c == libc::EROFS) => {}
            Err(e) => return Err(Error::new(e.kind(), format!("{}: {e}", what()))),
        }
    }
    crate::store::object::reopen_fd(p.as_fd(), flags | OFlags::RDONLY)
        .map(|f| (f, false))
        .map_err(|e| Error::new(e.kind(), format!("{}: {e}", what())))
}

/// Validates the `SEC_*` attributes of a new section and returns what `NtQuerySection` would
/// report (observed Windows behaviour, see the reference table).
fn validate_sec(sec: u32, file_backed: bool) -> Result<u32> {
    let commit = sec & SEC_COMMIT != 0;
    let reserve = sec & SEC_RESERVE != 0;
    if sec & SEC_IMAGE != 0 {
        if sec & (SEC_RESERVE | SEC_COMMIT | SEC_FILE | SEC_LARGE_PAGES | SEC_WRITECOMBINE) != 0 {
            bail!(
                InvalidParameter,
                "SEC_IMAGE cannot be combined with other SEC_* attributes"
            );
        }
        bail!(
            BadExeFormat,
            "SEC_IMAGE (executable image) sections are not supported"
        );
    }
    if sec & SEC_FILE != 0 {
        bail!(
            InvalidParameter,
            "SEC_FILE is reported by the system, not accepted from callers"
        );
    }
    if commit && reserve {
        bail!(
            InvalidParameter,
            "SEC_COMMIT and SEC_RESERVE exclude each other"
        );
    }
    if sec != 0 && !commit && !reserve {
        bail!(
            InvalidParameter,
            "SEC_NOCACHE, SEC_WRITECOMBINE and SEC_LARGE_PAGES need SEC_COMMIT or SEC_RESERVE"
        );
    }
    if sec & SEC_LARGE_PAGES != 0 {
        if reserve || file_backed {
            bail!(
                InvalidParameter,
                "SEC_LARGE_PAGES needs SEC_COMMIT and a pagefile-backed section"
            );
        }
        bail!(
            PrivilegeNotHeld,
            "SEC_LARGE_PAGES needs the lock-memory privilege, which fmap does not grant"
        );
    }
    let modifiers = sec & (SEC_NOCACHE | SEC_WRITECOMBINE);
    Ok(if file_backed {
        SEC_FILE | modifiers
    } else if reserve {
        SEC_RESERVE | modifiers
    } else {
        SEC_COMMIT | modifiers
    })
}

fn create_impl(
    ns: &Namespace,
    file: Option<&File>,
    fl: u32,
    size: u64,
    name: Option<&str>,
    eager: bool,
    in_namespace: bool,
) -> Result<Mapping> {
    // 1. The name's length and characters (kernel32's ANSI conversion comes first).
    let parsed = match name {
        None | Some("") => None,
        Some(n) => match Name::parse(n) {
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::FilenameExcedRange | ErrorKind::InvalidName
                ) =>
            {
                return Err(e)
            }
            r => Some(r),
        },
    };
    // 2. Page protection.
    if fl & !(PAGE_MASK | SEC_MASK) != 0 {
        bail!(InvalidParameter, "flProtect {fl:#x} has unknown bits");
    }
    let protection = Protection::from_win32(fl & PAGE_MASK)?;
    let sec = fl & SEC_MASK;
    // 3. A pagefile section needs a size.
    if file.is_none() && size == 0 {
        bail!(
            InvalidParameter,
            "a pagefile-backed section needs a non-zero size"
        );
    }
    // 4. Name lookup: an existing object wins over every other argument.
    let named = match parsed {
        Some(r) => {
            let name = r?;
            let dir = ns.dir(name.scope())?;
            if let Some(obj) = Object::open(&dir, &name)? {
                return existing(obj, &name, protection);
            }
            Some((name, dir))
        }
        None => None,
    };
    // 5. A new object: attributes, file access and size.
    let sec = validate_sec(sec, file.is_some())?;
    let mut header = Header::new(Kind::Mapping, named.as_ref().map(|(n, _)| n));
    header.flags |= crate::store::header::sharing_flags(ns.sharing());
    header.protection = protection.to_win32();
    header.sec = sec;
    let section_size = match file {
        None => round_up(size, PAGE_SIZE)
            .filter(|s| *s < MAX_SECTION_SIZE)
            .ok_or_else(|| too_big(size))?,
        Some(f) => prepare_file(f, protection, size)?,
    };
    header.size = section_size;
    if let Some(f) = file {
        let st = rustix::fs::fstat(f.fd())
            .map_err(|e| Error::os(e, format!("fstat {}", f.path().display())))?;
        header.flags |= FLAG_FILE_BACKED;
        header.file_dev = st.st_dev;
        header.file_ino = st.st_ino;
        let path = std::fs::read_link(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&f.fd())
        ))
        .unwrap_or_else(|_| f.path().to_owned());
        let bytes = path.as_os_str().as_bytes();
        if bytes.len() >= crate::store::header::PATH_MAX {
            bail!(
                FilenameExcedRange,
                "the path of {} is too long to record",
                path.display()
            );
        }
        header.path = bytes.to_vec();
    }
    let reserve = sec & SEC_RESERVE != 0;
    let file_backed = file.is_some();
    if !file_backed && !in_namespace {
        // The memory of a named pagefile section lives in a companion memfd where the store
        // can give it one (see the module docs); unnamed ones are a memfd already.
        header.flags |= FLAG_DATA_MEMFD;
    }
    // `data_off`: where the section's data starts in `fd` (after the header page in an object
    // file or an unnamed memfd; 0 in a companion memfd).
    let init = move |fd: BorrowedFd<'_>, data_off: u64| -> Result<()> {
        if file_backed {
            return rustix::fs::ftruncate(fd, HEADER_SIZE)
                .map_err(|e| Error::os(e, "cannot size the object file"));
        }
        let total = data_off + section_size;
        if reserve {
            rustix::fs::ftruncate(fd, total).map_err(|e| commit_error(e, section_size))
        } else if eager {
            check_room(fd, section_size)?;
            rustix::fs::fallocate(fd, FallocateFlags::empty(), 0, total)
                .map_err(|e| commit_error(e, section_size))
        } else {
            // Pages are allocated as they are touched (see the module docs).
            check_room(fd, section_size)?;
            rustix::fs::ftruncate(fd, total).map_err(|e| commit_error(e, section_size))
        }
    };
    let (obj, origin) = match &named {
        Some((name, dir)) => Object::open_or_create(dir, name, &header, &init, None, false)?,
        None => {
            if file_backed {
                // An unnamed file-backed section needs no object file at all.
                let f = file.expect("file-backed");
                let (fd, writable) = open_for_section(f.fd(), protection)?;
                file::claim_section(fd.as_fd(), protection.is_writable())?;
                let path = PathBuf::from(std::ffi::OsStr::from_bytes(&header.path));
                let section = Section {
                    obj: None,
                    data: Arc::new(fd),
                    data_offset: 0,
                    data_writable: writable,
                    segment: None,
                    protection,
                    size: section_size,
                    sec,
                    file: Some(path),
                    name: None,
                };
                return Ok(Mapping {
                    section: Arc::new(section),
                    access: protection.creator_rights(),
                    existed: false,
                });
            }
            (Object::create_unnamed(&header, &init)?, Origin::Created)
        }
    };
    if origin == Origin::Existing {
        let (name, _) = named.as_ref().expect("only named objects can exist");
        return existing(obj, name, protection);
    }
    let section = Section::from_object(obj, file)?;
    if let Some(id) = section.segment {
        // The store made a segment instead of sizing a file (see `store::segment`): the same
        // commit checks as `init` makes for files. On error, dropping the section is the
        // creator's last close, which removes the name again.
        if !reserve {
            check_memory(section_size)?;
            if eager {
                populate_segment(id, section_size)?;
            }
        }
    }
    Ok(Mapping {
        section: Arc::new(section),
        access: protection.creator_rights(),
        existed: false,
    })
}

/// `check_room` for memory that is no file: the size against the memory the system has.
fn check_memory(size: u64) -> Result<()> {
    const SMALL: u64 = 64 << 20;
    let room = if size < SMALL {
        u64::MAX
    } else {
        available_memory()
    };
    if size > room {
        return Err(Error::new(
            ErrorKind::CommitmentLimit,
            format!(
                "not enough memory to commit a section of {size} bytes ({room} bytes available)"
            ),
        ));
    }
    Ok(())
}

/// Allocates every page of the first `size` bytes of segment `id` (eager commit), so that no
/// later touch can fail.
fn populate_segment(id: i32, size: u64) -> Result<()> {
    let len = usize::try_from(size).map_err(|_| too_big(size))?;
    let att = crate::sys::sysv::Attachment::attach(id, len + PAGE_SIZE as usize, true, false)
        .map_err(|e| commit_error(e, size))?;
    loop {
        // SAFETY: the range is the data part of our own writable attachment; populating only
        // allocates pages, it changes no contents.
        let r = unsafe {
            rustix::mm::madvise(
                att.as_ptr().cast(),
                len,
                rustix::mm::Advice::LinuxPopulateWrite,
            )
        };
        return match r {
            Err(rustix::io::Errno::INTR) => continue,
            Ok(()) | Err(rustix::io::Errno::INVAL) => Ok(()),
            Err(_) => Err(Error::new(
                ErrorKind::CommitmentLimit,
                format!("not enough memory to commit a section of {size} bytes"),
            )),
        };
    }
}

/// `CreateFileMapping` on a name that exists: the existing object with its own size and
/// protection; the handle gets the rights the *new* call's protection implies.
fn existing(obj: Arc<Object>, name: &Name, protection: Protection) -> Result<Mapping> {
    check_kind(&obj, name)?;
    let rights = protection.creator_rights();
    let section = Section::from_object(obj, None)?;
    if rights.bits() & SECTION_MAP_WRITE != 0 && !section.user_may_write() {
        bail!(
            AccessDenied,
            "{name} exists and cannot be opened for writing by this user"
        );
    }
    Ok(Mapping {
        section: Arc::new(section),
        access: rights,
        existed: true,
    })
}

static EAGER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
static IN_NAMESPACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Is `FMAP_EAGER_COMMIT` set to `1` (or `true`, `yes`)? Read once per process.
fn eager_commit_from_env() -> bool {
    env_flag(&EAGER, "FMAP_EAGER_COMMIT")
}

/// Is the environment variable `var` set to `1` (or `true`, `yes`, `on`)? Read once per
/// process.
fn env_flag(cell: &std::sync::OnceLock<bool>, var: &str) -> bool {
    *cell.get_or_init(|| {
        std::env::var(var).is_ok_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
    })
}

/// Refuses up front a section that cannot fit: its size against the free space of the file
/// system holding it (one `fstatvfs`) and, from 64 MiB, against the memory the system has
/// (an unnamed section's memfd has no size limit of its own, and a tmpfs may be larger than
/// the memory that is actually available).
fn check_room(fd: BorrowedFd<'_>, size: u64) -> Result<()> {
    const SMALL: u64 = 64 << 20;
    let mut room = if size < SMALL {
        u64::MAX
    } else {
        available_memory()
    };
    if let Ok(st) = rustix::fs::fstatvfs(fd) {
        if st.f_blocks > 0 {
            room = room.min(st.f_bavail.saturating_mul(st.f_frsize));
        }
    }
    if size > room {
        return Err(Error::new(
            ErrorKind::CommitmentLimit,
            format!("not enough shared memory to commit a section of {size} bytes ({room} bytes available)"),
        ));
    }
    Ok(())
}

/// `MemAvailable` + `SwapFree` (see [`read_available_memory`]), read at most once a second per
/// process: reading /proc/meminfo costs more than the rest of a create, and this is a sanity
/// bound (is the section larger than the memory the system could give it?), not an
/// allocation.
fn available_memory() -> u64 {
    use std::time::{Duration, Instant};
    static CACHE: std::sync::Mutex<Option<(Instant, u64)>> = std::sync::Mutex::new(None);
    let mut c = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    match *c {
        Some((at, v)) if at.elapsed() < Duration::from_secs(1) => v,
        _ => {
            let v = read_available_memory();
            *c = Some((Instant::now(), v));
            v
        }
    }
}

/// `MemAvailable` + `SwapFree` from /proc/meminfo (unlimited if it cannot be read).
fn read_available_memory() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/meminfo") else {
        return u64::MAX;
    };
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    match field("MemAvailable:") {
        Some(m) => m.saturating_add(field("SwapFree:").unwrap_or(0)),
        None => u64::MAX,
    }
}

fn too_big(size: u64) -> Error {
    Error::new(
        ErrorKind::NotEnoughMemory,
        format!("a section of {size} bytes is too big (the limit is 2^54 bytes)"),
    )
}

fn commit_error(e: rustix::io::Errno, size: u64) -> Error {
    match e {
        rustix::io::Errno::NOSPC | rustix::io::Errno::NOMEM | rustix::io::Errno::DQUOT => Error::new(
            ErrorKind::CommitmentLimit,
            format!("not enough shared memory to commit a section of {size} bytes (the tmpfs holding the namespace is full)"),
        ),
        rustix::io::Errno::FBIG => too_big(size),
        e => Error::os(e, format!("cannot commit a section of {size} bytes")),
    }
}

/// Checks a file against the protection and sizes it; returns the section size.
fn prepare_file(f: &File, protection: Protection, size: u64) -> Result<u64> {
    let acc = f.data_access();
    let ok = acc.read
        && (!protection.is_writable() || acc.write)
        && (!protection.is_executable() || acc.execute);
    if !ok {
        bail!(
            AccessDenied,
            "{} was not opened with the access a {protection} section needs",
            f.path().display()
        );
    }
    if size >= MAX_SECTION_SIZE {
        return Err(too_big(size));
    }
    let file_size = f.len()?;
    if size == 0 {
        if file_size == 0 {
            bail!(
                FileInvalid,
                "{} is empty; a section of size 0 would be empty too",
                f.path().display()
            );
        }
        return Ok(file_size);
    }
    if size > file_size {
        if !protection.is_writable() {
            bail!(
                NotEnoughMemory,
                "a {protection} section of {size} bytes is larger than {} ({file_size} bytes)",
                f.path().display()
            );
        }
        match rustix::fs::fallocate(f.fd(), FallocateFlags::empty(), 0, size) {
            Ok(()) => {}
            Err(rustix::io::Errno::OPNOTSUPP) => rustix::fs::ftruncate(f.fd(), size)
                .map_err(|e| Error::os(e, format!("cannot extend {}", f.path().display())))?,
            Err(rustix::io::Errno::NOSPC) | Err(rustix::io::Errno::DQUOT) => bail!(
                DiskFull,
                "no room to extend {} to {size} bytes",
                f.path().display()
            ),
            Err(e) => {
                return Err(Error::os(
                    e,
                    format!("cannot extend {}", f.path().display()),
                ))
            }
        }
    }
    Ok(size)
}
