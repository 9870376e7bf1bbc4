//! Page protections and access rights, with the Win32 rules that connect them.

use crate::error::{bail, Result};
use crate::win32::*;
use std::fmt;

/// The page protection of a section (`flProtect` of `CreateFileMapping`) or of a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protection {
    /// `PAGE_NOACCESS`: only for views mapped with access 0.
    NoAccess,
    /// `PAGE_READONLY`.
    ReadOnly,
    /// `PAGE_READWRITE`.
    ReadWrite,
    /// `PAGE_WRITECOPY`: as a section protection equivalent to read-only; as a view
    /// protection, copy-on-write.
    WriteCopy,
    /// `PAGE_EXECUTE_READ`.
    ExecuteRead,
    /// `PAGE_EXECUTE_READWRITE`.
    ExecuteReadWrite,
    /// `PAGE_EXECUTE_WRITECOPY`.
    ExecuteWriteCopy,
}

impl Protection {
    /// Parses the page-protection part of `flProtect` for a section: exactly one of
    /// `PAGE_READONLY`, `PAGE_READWRITE`, `PAGE_WRITECOPY`, `PAGE_EXECUTE_READ`,
    /// `PAGE_EXECUTE_READWRITE`, `PAGE_EXECUTE_WRITECOPY`; anything else is
    /// `ERROR_INVALID_PARAMETER`.
    pub fn from_win32(page: u32) -> Result<Protection> {
        Ok(match page {
            PAGE_READONLY => Protection::ReadOnly,
            PAGE_READWRITE => Protection::ReadWrite,
            PAGE_WRITECOPY => Protection::WriteCopy,
            PAGE_EXECUTE_READ => Protection::ExecuteRead,
            PAGE_EXECUTE_READWRITE => Protection::ExecuteReadWrite,
            PAGE_EXECUTE_WRITECOPY => Protection::ExecuteWriteCopy,
            _ => bail!(
                InvalidParameter,
                "page protection {page:#x} is not one of PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY"
            ),
        })
    }

    /// The `PAGE_*` value.
    pub fn to_win32(self) -> u32 {
        match self {
            Protection::NoAccess => PAGE_NOACCESS,
            Protection::ReadOnly => PAGE_READONLY,
            Protection::ReadWrite => PAGE_READWRITE,
            Protection::WriteCopy => PAGE_WRITECOPY,
            Protection::ExecuteRead => PAGE_EXECUTE_READ,
            Protection::ExecuteReadWrite => PAGE_EXECUTE_READWRITE,
            Protection::ExecuteWriteCopy => PAGE_EXECUTE_WRITECOPY,
        }
    }

    /// Can shared writable views exist (`PAGE_READWRITE`, `PAGE_EXECUTE_READWRITE`)?
    pub fn is_writable(self) -> bool {
        matches!(self, Protection::ReadWrite | Protection::ExecuteReadWrite)
    }

    /// Does it allow execution?
    pub fn is_executable(self) -> bool {
        matches!(
            self,
            Protection::ExecuteRead | Protection::ExecuteReadWrite | Protection::ExecuteWriteCopy
        )
    }

    /// Is it a copy-on-write view protection?
    pub fn is_copy_on_write(self) -> bool {
        matches!(self, Protection::WriteCopy | Protection::ExecuteWriteCopy)
    }

    /// Can the memory be read?
    pub fn is_readable(self) -> bool {
        self != Protection::NoAccess
    }

    /// The view protection `MapViewOfFile` gives for a `dwDesiredAccess` (observed Windows
    /// behaviour, Wine's `test_mapping` table): `FILE_MAP_COPY` means copy-on-write only when
    /// it is the only bit besides `FILE_MAP_EXECUTE` — with `SECTION_MAP_EXECUTE` (0x8) too it
    /// means nothing (0x09 and 0x29 are `PAGE_NOACCESS` views); any `FILE_MAP_WRITE` gives a
    /// shared writable view; `FILE_MAP_READ` a read-only one; access 0 or `FILE_MAP_EXECUTE`
    /// alone a `PAGE_NOACCESS` view. `SECTION_MAP_EXECUTE` makes nothing executable.
    pub fn for_view_access(access: Access) -> Protection {
        let a = access.bits()
            & (FILE_MAP_COPY
                | FILE_MAP_WRITE
                | FILE_MAP_READ
                | FILE_MAP_EXECUTE
                | SECTION_MAP_EXECUTE);
        let exec = a & FILE_MAP_EXECUTE != 0;
        let a = a & !FILE_MAP_EXECUTE;
        match (a, exec) {
            (x, false) if x & FILE_MAP_WRITE != 0 => Protection::ReadWrite,
            (x, true) if x & FILE_MAP_WRITE != 0 => Protection::ExecuteReadWrite,
            (FILE_MAP_COPY, false) => Protection::WriteCopy,
            (FILE_MAP_COPY, true) => Protection::ExecuteWriteCopy,
            (x, false) if x & FILE_MAP_READ != 0 => Protection::ReadOnly,
            (x, true) if x & FILE_MAP_READ != 0 => Protection::ExecuteRead,
            _ => Protection::NoAccess,
        }
    }

    /// May a section of protection `self` have a view of protection `view`? Only shared
    /// writable views need a writable section (`PAGE_READWRITE`, `PAGE_EXECUTE_READWRITE`);
    /// execute is not compared: Windows maps `FILE_MAP_EXECUTE` views of `PAGE_READONLY`,
    /// `PAGE_READWRITE` and `PAGE_WRITECOPY` sections too (Wine's `test_mapping`, which
    /// expects every view whose access bits the creator's handle holds to map).
    pub fn allows_view(self, view: Protection) -> bool {
        self != Protection::NoAccess && (!view.is_writable() || self.is_writable())
    }

    /// The section rights a handle needs to map a view of this protection.
    pub fn required_rights(self) -> Access {
        let base = if self.is_writable() {
            SECTION_MAP_WRITE
        } else {
            SECTION_MAP_READ
        };
        let exec = if self.is_executable() {
            SECTION_MAP_EXECUTE
        } else {
            0
        };
        Access::from_bits_retain(base | exec)
    }

    /// The rights `CreateFileMapping` grants for a section of this protection: map read
    /// and execute for every protection (Wine's `test_mapping`: a `PAGE_READONLY` section's
    /// creator can map `FILE_MAP_EXECUTE` views), map write for the writable ones.
    pub fn creator_rights(self) -> Access {
        let mut a = STANDARD_RIGHTS_REQUIRED
            | SECTION_QUERY
            | SECTION_MAP_READ
            | SECTION_MAP_EXECUTE
            | FILE_MAP_EXECUTE;
        if self.is_writable() {
            a |= SECTION_MAP_WRITE;
        }
        Access::from_bits_retain(a)
    }

    pub(crate) fn mmap_prot(self) -> rustix::mm::ProtFlags {
        use rustix::mm::ProtFlags as P;
        let mut p = match self {
            Protection::NoAccess => P::empty(),
            Protection::ReadOnly | Protection::ExecuteRead => P::READ,
            _ => P::READ | P::WRITE,
        };
        if self.is_executable() {
            p |= P::EXEC;
        }
        p
    }
}

impl fmt::Display for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protection::NoAccess => "PAGE_NOACCESS",
            Protection::ReadOnly => "PAGE_READONLY",
            Protection::ReadWrite => "PAGE_READWRITE",
            Protection::WriteCopy => "PAGE_WRITECOPY",
            Protection::ExecuteRead => "PAGE_EXECUTE_READ",
            Protection::ExecuteReadWrite => "PAGE_EXECUTE_READWRITE",
            Protection::ExecuteWriteCopy => "PAGE_EXECUTE_WRITECOPY",
        })
    }
}

bitflags::bitflags! {
    /// Access rights of a section handle, or the access requested for a view: the `FILE_MAP_*`
    /// and `SECTION_*` bits, with Win32's values. Requests (to [`Mapping::open`], a
    /// [`Mapping::duplicate`]) may also carry standard and generic rights, which are mapped the
    /// way Windows maps them; bits with no name here can be given with
    /// [`Access::from_bits_retain`].
    ///
    /// [`Mapping::open`]: crate::Mapping::open
    /// [`Mapping::duplicate`]: crate::Mapping::duplicate
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Access: u32 {
        /// `FILE_MAP_COPY` (= `SECTION_QUERY`): alone, a copy-on-write view.
        const COPY = FILE_MAP_COPY;
        /// `FILE_MAP_WRITE` (= `SECTION_MAP_WRITE`): a shared writable view.
        const WRITE = FILE_MAP_WRITE;
        /// `FILE_MAP_READ` (= `SECTION_MAP_READ`): a read-only view.
        const READ = FILE_MAP_READ;
        /// `SECTION_MAP_EXECUTE`: the right to map executable views.
        const MAP_EXECUTE = SECTION_MAP_EXECUTE;
        /// `SECTION_EXTEND_SIZE`.
        const EXTEND_SIZE = SECTION_EXTEND_SIZE;
        /// `FILE_MAP_EXECUTE`: an executable view (combined with the others).
        const EXECUTE = FILE_MAP_EXECUTE;
        /// `FILE_MAP_ALL_ACCESS` = `SECTION_ALL_ACCESS` (read and write; not execute).
        const ALL = FILE_MAP_ALL_ACCESS;
        /// `DELETE`.
        const DELETE = DELETE;
        /// `READ_CONTROL`.
        const READ_CONTROL = READ_CONTROL;
        /// `WRITE_DAC`.
        const WRITE_DAC = WRITE_DAC;
        /// `WRITE_OWNER`.
        const WRITE_OWNER = WRITE_OWNER;
        /// `SYNCHRONIZE` (accepted on requests; a section cannot be waited on).
        const SYNCHRONIZE = SYNCHRONIZE;
        /// `GENERIC_READ` (requests only): query and map for reading.
        const GENERIC_READ = GENERIC_READ;
        /// `GENERIC_WRITE` (requests only): map for writing.
        const GENERIC_WRITE = GENERIC_WRITE;
        /// `GENERIC_EXECUTE` (requests only): map for executing.
        const GENERIC_EXECUTE = GENERIC_EXECUTE;
        /// `GENERIC_ALL` (requests only): every section right.
        const GENERIC_ALL = GENERIC_ALL;
        /// `MAXIMUM_ALLOWED` (requests only): every right the caller may have.
        const MAXIMUM_ALLOWED = MAXIMUM_ALLOWED;
    }
}

impl Default for Access {
    /// No access.
    fn default() -> Self {
        Access::NONE
    }
}

impl Access {
    /// No access (a view mapped with it is `PAGE_NOACCESS`).
    pub const NONE: Access = Access::empty();

    /// Turns the `dwDesiredAccess` of `OpenFileMapping` (or `DuplicateHandle`) into the rights
    /// of a section handle: generic rights are mapped, `FILE_MAP_COPY` alone means
    /// `FILE_MAP_READ`, `MAXIMUM_ALLOWED` means everything. Zero or bits that sections do not
    /// have are `ERROR_ACCESS_DENIED`; `ACCESS_SYSTEM_SECURITY` is
    /// `ERROR_PRIVILEGE_NOT_HELD`.
    pub fn section_rights(requested: u32) -> Result<Access> {
        // `FILE_MAP_COPY` alone asks for a copy-on-write view, which needs read access.
        let r = if requested == FILE_MAP_COPY {
            FILE_MAP_READ
        } else {
            requested
        };
        map_generic(&SECTION, r).map(Access::from_bits_retain)
    }

    /// Can this handle map a view that needs `need` (see
    /// [`Protection::required_rights`])? Execute is satisfied by either
    /// `SECTION_MAP_EXECUTE` or `FILE_MAP_EXECUTE`.
    pub fn allows(self, need: Access) -> bool {
        let mut have = self;
        if have.contains(Access::EXECUTE) {
            have |= Access::MAP_EXECUTE;
        }
        have.contains(need)
    }
}

bitflags::bitflags! {
    /// Access rights of a mutex, event or semaphore handle, with Win32's values. What a
    /// request may contain depends on the type, as on Windows:
    ///
    /// | type | specific rights | all of them |
    /// |---|---|---|
    /// | mutex | `QUERY_STATE` (`MUTANT_QUERY_STATE` = `MUTEX_MODIFY_STATE`) | `MUTEX_ALL_ACCESS` |
    /// | event | `QUERY_STATE`, `MODIFY_STATE` (`EVENT_*`) | `EVENT_ALL_ACCESS` |
    /// | semaphore | `QUERY_STATE`, `MODIFY_STATE` (`SEMAPHORE_*`) | `SEMAPHORE_ALL_ACCESS` |
    /// | waitable timer | `QUERY_STATE`, `MODIFY_STATE` (`TIMER_*`) | `TIMER_ALL_ACCESS` |
    ///
    /// plus the standard rights (`SYNCHRONIZE` to wait, `DELETE`, `READ_CONTROL`, `WRITE_DAC`,
    /// `WRITE_OWNER`) and, in requests, the generic rights and `MAXIMUM_ALLOWED`, mapped the
    /// way Windows maps them. A bit the type does not have is `ERROR_ACCESS_DENIED`.
    ///
    /// ```
    /// use fmap::SyncAccess;
    /// // What `OpenEvent(SYNCHRONIZE | EVENT_MODIFY_STATE, …)` asks for: wait and set/reset.
    /// let a = SyncAccess::SYNCHRONIZE | SyncAccess::MODIFY_STATE;
    /// assert_eq!(a.bits(), 0x0010_0002);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct SyncAccess: u32 {
        /// `MUTANT_QUERY_STATE` (= `MUTEX_MODIFY_STATE`), `EVENT_QUERY_STATE`,
        /// `SEMAPHORE_QUERY_STATE`, `TIMER_QUERY_STATE`.
        const QUERY_STATE = 0x0001;
        /// `EVENT_MODIFY_STATE`, `SEMAPHORE_MODIFY_STATE`, `TIMER_MODIFY_STATE`: set, reset,
        /// pulse, release, set or cancel a timer (not for mutexes, which anyone who owns them
        /// may release).
        const MODIFY_STATE = 0x0002;
        /// `DELETE`.
        const DELETE = DELETE;
        /// `READ_CONTROL`.
        const READ_CONTROL = READ_CONTROL;
        /// `WRITE_DAC`.
        const WRITE_DAC = WRITE_DAC;
        /// `WRITE_OWNER`.
        const WRITE_OWNER = WRITE_OWNER;
        /// `SYNCHRONIZE`: the right to wait on the object.
        const SYNCHRONIZE = SYNCHRONIZE;
        /// `GENERIC_READ` (requests only).
        const GENERIC_READ = GENERIC_READ;
        /// `GENERIC_WRITE` (requests only).
        const GENERIC_WRITE = GENERIC_WRITE;
        /// `GENERIC_EXECUTE` (requests only): `SYNCHRONIZE`.
        const GENERIC_EXECUTE = GENERIC_EXECUTE;
        /// `GENERIC_ALL` (requests only): the type's `*_ALL_ACCESS`.
        const GENERIC_ALL = GENERIC_ALL;
        /// `MAXIMUM_ALLOWED` (requests only): the type's `*_ALL_ACCESS`.
        const MAXIMUM_ALLOWED = MAXIMUM_ALLOWED;
    }
}

impl SyncAccess {
    /// `MUTEX_ALL_ACCESS`: every right of a mutex.
    pub const MUTEX_ALL_ACCESS: SyncAccess = SyncAccess::from_bits_retain(MUTEX_ALL_ACCESS);
    /// `EVENT_ALL_ACCESS`: every right of an event.
    pub const EVENT_ALL_ACCESS: SyncAccess = SyncAccess::from_bits_retain(EVENT_ALL_ACCESS);
    /// `SEMAPHORE_ALL_ACCESS`: every right of a semaphore.
    pub const SEMAPHORE_ALL_ACCESS: SyncAccess = SyncAccess::from_bits_retain(SEMAPHORE_ALL_ACCESS);
    /// `TIMER_ALL_ACCESS`: every right of a waitable timer.
    pub const TIMER_ALL_ACCESS: SyncAccess = SyncAccess::from_bits_retain(TIMER_ALL_ACCESS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_protection_table() {
        use Protection::*;
        let t = |a: u32| Protection::for_view_access(Access::from_bits_retain(a));
        assert_eq!(t(FILE_MAP_COPY), WriteCopy);
        assert_eq!(t(FILE_MAP_COPY | FILE_MAP_EXECUTE), ExecuteWriteCopy);
        assert_eq!(t(FILE_MAP_ALL_ACCESS), ReadWrite);
        assert_eq!(t(FILE_MAP_READ | FILE_MAP_WRITE), ReadWrite);
        assert_eq!(t(FILE_MAP_WRITE | FILE_MAP_COPY), ReadWrite);
        assert_eq!(t(FILE_MAP_WRITE | FILE_MAP_EXECUTE), ExecuteReadWrite);
        assert_eq!(t(FILE_MAP_READ), ReadOnly);
        assert_eq!(t(FILE_MAP_READ | FILE_MAP_COPY), ReadOnly);
        assert_eq!(t(FILE_MAP_READ | FILE_MAP_EXECUTE), ExecuteRead);
        assert_eq!(t(0), NoAccess);
        assert_eq!(t(FILE_MAP_EXECUTE), NoAccess);
        assert_eq!(t(SECTION_MAP_EXECUTE), NoAccess);
        assert_eq!(t(FILE_MAP_COPY | SECTION_MAP_EXECUTE), NoAccess);
        assert_eq!(
            t(FILE_MAP_COPY | SECTION_MAP_EXECUTE | FILE_MAP_EXECUTE),
            NoAccess
        );
        assert_eq!(
            t(FILE_MAP_COPY | SECTION_MAP_EXECUTE | FILE_MAP_READ),
            ReadOnly
        );
        assert_eq!(
            t(FILE_MAP_COPY | SECTION_MAP_EXECUTE | FILE_MAP_READ | FILE_MAP_EXECUTE),
            ExecuteRead
        );
    }

    #[test]
    fn section_compat() {
        use Protection::*;
        assert!(!ReadOnly.allows_view(ReadWrite));
        assert!(!WriteCopy.allows_view(ReadWrite));
        for s in [
            ReadOnly,
            ReadWrite,
            WriteCopy,
            ExecuteRead,
            ExecuteReadWrite,
            ExecuteWriteCopy,
        ] {
            assert!(
                s.allows_view(WriteCopy),
                "FILE_MAP_COPY works on every section ({s})"
            );
            assert!(s.allows_view(NoAccess));
        }
        assert!(ExecuteReadWrite.allows_view(ExecuteReadWrite));
        assert!(!ExecuteRead.allows_view(ReadWrite));
        assert!(!ReadOnly.allows_view(ExecuteReadWrite));
        assert!(!WriteCopy.allows_view(ExecuteReadWrite));
        // Execute is not compared (test_mapping: 0x21, 0x24 on PAGE_READONLY map).
        assert!(ReadOnly.allows_view(ExecuteWriteCopy));
        assert!(ReadOnly.allows_view(ExecuteRead));
        assert!(ReadWrite.allows_view(ExecuteReadWrite));
    }

    #[test]
    fn open_rights() {
        assert_eq!(Access::section_rights(FILE_MAP_COPY).unwrap(), Access::READ);
        assert_eq!(
            Access::section_rights(0).unwrap_err().kind(),
            crate::ErrorKind::AccessDenied
        );
        assert_eq!(
            Access::section_rights(0x40).unwrap_err().kind(),
            crate::ErrorKind::AccessDenied
        );
        assert_eq!(
            Access::section_rights(ACCESS_SYSTEM_SECURITY)
                .unwrap_err()
                .kind(),
            crate::ErrorKind::PrivilegeNotHeld
        );
        let w = Access::section_rights(FILE_MAP_WRITE).unwrap();
        assert!(w.allows(Protection::ReadWrite.required_rights()));
        assert!(!w.allows(Protection::ReadOnly.required_rights()));
        let g = Access::section_rights(GENERIC_READ).unwrap();
        assert!(g.allows(Protection::ReadOnly.required_rights()));
        assert!(!g.allows(Protection::ReadWrite.required_rights()));
    }

    #[test]
    fn protection_values() {
        for p in [
            PAGE_NOACCESS,
            PAGE_EXECUTE,
            0,
            PAGE_READONLY | PAGE_READWRITE,
            PAGE_GUARD,
        ] {
            assert!(Protection::from_win32(p).is_err(), "{p:#x}");
        }
        for p in [0x02, 0x04, 0x08, 0x20, 0x40, 0x80] {
            assert_eq!(Protection::from_win32(p).unwrap().to_win32(), p);
        }
    }
}

/// What the generic rights mean for one object type, and which specific and standard rights
/// it has: Windows' `GENERIC_MAPPING` plus the type's valid-access mask. One table per type;
/// [`map_generic`] does the mapping for all of them.
#[derive(Debug)]
pub(crate) struct GenericMapping {
    /// The specific and standard rights the type has.
    pub valid: u32,
    /// What `GENERIC_READ` grants.
    pub read: u32,
    /// What `GENERIC_WRITE` grants.
    pub write: u32,
    /// What `GENERIC_EXECUTE` grants.
    pub execute: u32,
    /// What `GENERIC_ALL` and `MAXIMUM_ALLOWED` grant.
    pub all: u32,
    /// The type, for messages: `"a mutex"`.
    pub what: &'static str,
}

const STANDARD: u32 = DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER | SYNCHRONIZE;

/// File-mapping objects.
pub(crate) const SECTION: GenericMapping = GenericMapping {
    valid: SECTION_ALL_ACCESS | FILE_MAP_EXECUTE | SYNCHRONIZE,
    read: READ_CONTROL | SECTION_QUERY | SECTION_MAP_READ,
    write: READ_CONTROL | SECTION_MAP_WRITE,
    execute: READ_CONTROL | SECTION_MAP_EXECUTE,
    all: SECTION_ALL_ACCESS | FILE_MAP_EXECUTE,
    what: "file-mapping objects",
};

/// Mutexes (mutants).
pub(crate) const MUTEX: GenericMapping = GenericMapping {
    valid: MUTANT_QUERY_STATE | STANDARD,
    read: READ_CONTROL | MUTANT_QUERY_STATE,
    write: READ_CONTROL,
    execute: READ_CONTROL | SYNCHRONIZE,
    all: MUTEX_ALL_ACCESS,
    what: "a mutex",
};

/// Events.
pub(crate) const EVENT: GenericMapping = GenericMapping {
    valid: EVENT_QUERY_STATE | EVENT_MODIFY_STATE | STANDARD,
    read: READ_CONTROL | EVENT_QUERY_STATE,
    write: READ_CONTROL | EVENT_MODIFY_STATE,
    execute: READ_CONTROL | SYNCHRONIZE,
    all: EVENT_ALL_ACCESS,
    what: "an event",
};

/// Semaphores (their specific rights have the events' values).
pub(crate) const SEMAPHORE: GenericMapping = GenericMapping {
    valid: SEMAPHORE_QUERY_STATE | SEMAPHORE_MODIFY_STATE | STANDARD,
    read: READ_CONTROL | SEMAPHORE_QUERY_STATE,
    write: READ_CONTROL | SEMAPHORE_MODIFY_STATE,
    execute: READ_CONTROL | SYNCHRONIZE,
    all: SEMAPHORE_ALL_ACCESS,
    what: "a semaphore",
};

/// Waitable timers (their specific rights have the events' values).
pub(crate) const TIMER: GenericMapping = GenericMapping {
    valid: TIMER_QUERY_STATE | TIMER_MODIFY_STATE | STANDARD,
    read: READ_CONTROL | TIMER_QUERY_STATE,
    write: READ_CONTROL | TIMER_MODIFY_STATE,
    execute: READ_CONTROL | SYNCHRONIZE,
    all: TIMER_ALL_ACCESS,
    what: "a waitable timer",
};

/// Maps a requested access mask to the rights of a handle, the way the object manager does:
/// generic rights become the type's rights; zero and bits the type does not have are
/// `ERROR_ACCESS_DENIED`; `ACCESS_SYSTEM_SECURITY` (without the privilege) is
/// `ERROR_PRIVILEGE_NOT_HELD`.
pub(crate) fn map_generic(m: &GenericMapping, requested: u32) -> Result<u32> {
    if requested & ACCESS_SYSTEM_SECURITY != 0 {
        bail!(
            PrivilegeNotHeld,
            "ACCESS_SYSTEM_SECURITY needs a privilege fmap does not grant"
        );
    }
    if requested == 0 {
        bail!(AccessDenied, "no access requested");
    }
    let generic = GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED;
    let unknown = requested & !(m.valid | generic);
    if unknown != 0 {
        bail!(
            AccessDenied,
            "access bits {unknown:#x} do not exist for {}",
            m.what
        );
    }
    let mut out = requested & m.valid;
    for (bit, grants) in [
        (GENERIC_READ, m.read),
        (GENERIC_WRITE, m.write),
        (GENERIC_EXECUTE, m.execute),
        (GENERIC_ALL | MAXIMUM_ALLOWED, m.all),
    ] {
        if requested & bit != 0 {
            out |= grants;
        }
    }
    Ok(out)
}
