//! One error type for the whole library, carrying the Win32 error code.
//!
//! Every failure is an [`Error`]: its [`kind`](Error::kind) says what went wrong in Rust terms,
//! [`win32_code`](Error::win32_code) gives the exact `GetLastError()` value Windows reports for
//! the same failure, and its message names the object, offset or size involved.

use std::fmt;
use std::io;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong. Each kind corresponds to exactly one Win32 error code
/// (see [`ErrorKind::win32_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `ERROR_FILE_NOT_FOUND` (2): no object of that name exists (or the file does not exist).
    FileNotFound,
    /// `ERROR_PATH_NOT_FOUND` (3): the name has a backslash after its prefix, or a file path's
    /// directory does not exist.
    PathNotFound,
    /// `ERROR_TOO_MANY_OPEN_FILES` (4): the process ran out of file descriptors.
    TooManyOpenFiles,
    /// `ERROR_ACCESS_DENIED` (5): the handle or the object does not allow the operation.
    AccessDenied,
    /// `ERROR_INVALID_HANDLE` (6): the handle is invalid, or the name belongs to an object of
    /// another type.
    InvalidHandle,
    /// `ERROR_NOT_ENOUGH_MEMORY` (8): out of memory or address space, or a read-only section
    /// larger than its file.
    NotEnoughMemory,
    /// `ERROR_SHARING_VIOLATION` (32): the file is open elsewhere with an incompatible share mode.
    SharingViolation,
    /// `ERROR_FILE_EXISTS` (80): `CREATE_NEW` on an existing file.
    FileExists,
    /// `ERROR_INVALID_PARAMETER` (87): an argument is out of range or a combination is invalid.
    InvalidParameter,
    /// `ERROR_DISK_FULL` (112): the file system holding a file-backed section is full.
    DiskFull,
    /// `ERROR_INVALID_NAME` (123): the name contains a character that cannot be stored.
    InvalidName,
    /// `ERROR_BAD_EXE_FORMAT` (193): `SEC_IMAGE` sections are not supported.
    BadExeFormat,
    /// `ERROR_FILENAME_EXCED_RANGE` (206): the name is longer than `MAX_PATH - 1` characters.
    FilenameExcedRange,
    /// `ERROR_NOT_OWNER` (288): releasing a mutex the calling thread does not own.
    NotOwner,
    /// `ERROR_TOO_MANY_POSTS` (298): releasing a semaphore past its maximum count.
    TooManyPosts,
    /// `ERROR_INVALID_ADDRESS` (487): the address is not inside a view, or the requested range
    /// is already in use.
    InvalidAddress,
    /// `ERROR_MUTANT_LIMIT_EXCEEDED` (587): a mutex's recursion count would overflow.
    MutantLimitExceeded,
    /// `ERROR_FILE_INVALID` (1006): mapping an empty file with size 0.
    FileInvalid,
    /// `ERROR_MAPPED_ALIGNMENT` (1132): an offset or base address is not a multiple of 64 KiB.
    MappedAlignment,
    /// `ERROR_USER_MAPPED_FILE` (1224): truncating or replacing a file that has a mapped section.
    UserMappedFile,
    /// `ERROR_PRIVILEGE_NOT_HELD` (1314).
    PrivilegeNotHeld,
    /// `ERROR_COMMITMENT_LIMIT` (1455): the shared-memory file system cannot hold the section.
    CommitmentLimit,
    /// `ERROR_INVALID_DATA` (13): an object file in the namespace is corrupt or of a foreign
    /// format.
    InvalidData,
    /// `ERROR_NOT_SUPPORTED` (50): a request fmap cannot express (a synchronization object
    /// shared read-only).
    NotSupported,
    /// `ERROR_TIMEOUT` (1460): an internal lock of the namespace stayed held by another
    /// process (stopped, or hostile) for longer than fmap waits for one.
    Timeout,
    /// Any other operating-system failure (`ERROR_GEN_FAILURE`, 31); the source error says more.
    Other,
}

impl ErrorKind {
    /// The Win32 error code (`GetLastError()` value) for this kind.
    pub const fn win32_code(self) -> u32 {
        use crate::win32::*;
        match self {
            ErrorKind::FileNotFound => ERROR_FILE_NOT_FOUND,
            ErrorKind::PathNotFound => ERROR_PATH_NOT_FOUND,
            ErrorKind::TooManyOpenFiles => ERROR_TOO_MANY_OPEN_FILES,
            ErrorKind::AccessDenied => ERROR_ACCESS_DENIED,
            ErrorKind::InvalidHandle => ERROR_INVALID_HANDLE,
            ErrorKind::NotEnoughMemory => ERROR_NOT_ENOUGH_MEMORY,
            ErrorKind::SharingViolation => ERROR_SHARING_VIOLATION,
            ErrorKind::FileExists => ERROR_FILE_EXISTS,
            ErrorKind::InvalidParameter => ERROR_INVALID_PARAMETER,
            ErrorKind::DiskFull => ERROR_DISK_FULL,
            ErrorKind::InvalidName => ERROR_INVALID_NAME,
            ErrorKind::BadExeFormat => ERROR_BAD_EXE_FORMAT,
            ErrorKind::FilenameExcedRange => ERROR_FILENAME_EXCED_RANGE,
            ErrorKind::NotOwner => ERROR_NOT_OWNER,
            ErrorKind::TooManyPosts => ERROR_TOO_MANY_POSTS,
            ErrorKind::InvalidAddress => ERROR_INVALID_ADDRESS,
            ErrorKind::MutantLimitExceeded => ERROR_MUTANT_LIMIT_EXCEEDED,
            ErrorKind::FileInvalid => ERROR_FILE_INVALID,
            ErrorKind::MappedAlignment => ERROR_MAPPED_ALIGNMENT,
            ErrorKind::UserMappedFile => ERROR_USER_MAPPED_FILE,
            ErrorKind::PrivilegeNotHeld => ERROR_PRIVILEGE_NOT_HELD,
            ErrorKind::CommitmentLimit => ERROR_COMMITMENT_LIMIT,
            ErrorKind::InvalidData => ERROR_INVALID_DATA,
            ErrorKind::Timeout => ERROR_TIMEOUT,
            ErrorKind::NotSupported => ERROR_NOT_SUPPORTED,
            ErrorKind::Other => ERROR_GEN_FAILURE,
        }
    }

    /// The Win32 constant's name, e.g. `"ERROR_ACCESS_DENIED"`.
    pub const fn win32_name(self) -> &'static str {
        match self {
            ErrorKind::FileNotFound => "ERROR_FILE_NOT_FOUND",
            ErrorKind::PathNotFound => "ERROR_PATH_NOT_FOUND",
            ErrorKind::TooManyOpenFiles => "ERROR_TOO_MANY_OPEN_FILES",
            ErrorKind::AccessDenied => "ERROR_ACCESS_DENIED",
            ErrorKind::InvalidHandle => "ERROR_INVALID_HANDLE",
            ErrorKind::NotEnoughMemory => "ERROR_NOT_ENOUGH_MEMORY",
            ErrorKind::SharingViolation => "ERROR_SHARING_VIOLATION",
            ErrorKind::FileExists => "ERROR_FILE_EXISTS",
            ErrorKind::InvalidParameter => "ERROR_INVALID_PARAMETER",
            ErrorKind::DiskFull => "ERROR_DISK_FULL",
            ErrorKind::InvalidName => "ERROR_INVALID_NAME",
            ErrorKind::BadExeFormat => "ERROR_BAD_EXE_FORMAT",
            ErrorKind::FilenameExcedRange => "ERROR_FILENAME_EXCED_RANGE",
            ErrorKind::NotOwner => "ERROR_NOT_OWNER",
            ErrorKind::TooManyPosts => "ERROR_TOO_MANY_POSTS",
            ErrorKind::InvalidAddress => "ERROR_INVALID_ADDRESS",
            ErrorKind::MutantLimitExceeded => "ERROR_MUTANT_LIMIT_EXCEEDED",
            ErrorKind::FileInvalid => "ERROR_FILE_INVALID",
            ErrorKind::MappedAlignment => "ERROR_MAPPED_ALIGNMENT",
            ErrorKind::UserMappedFile => "ERROR_USER_MAPPED_FILE",
            ErrorKind::PrivilegeNotHeld => "ERROR_PRIVILEGE_NOT_HELD",
            ErrorKind::CommitmentLimit => "ERROR_COMMITMENT_LIMIT",
            ErrorKind::InvalidData => "ERROR_INVALID_DATA",
            ErrorKind::Timeout => "ERROR_TIMEOUT",
            ErrorKind::NotSupported => "ERROR_NOT_SUPPORTED",
            ErrorKind::Other => "ERROR_GEN_FAILURE",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.win32_name(), self.win32_code())
    }
}

/// An fmap failure: a [`kind`](Error::kind), the Win32 code, and a message that names what
/// was wrong.
#[derive(Debug, thiserror::Error)]
#[error("{message} [{kind}]")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<io::Error>,
}

impl Error {
    /// A new error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// An error for an OS failure, classified by its errno; `what` says which operation on
    /// which object failed.
    pub fn os(err: impl Into<io::Error>, what: impl fmt::Display) -> Self {
        let err = err.into();
        let kind = kind_of_io(&err);
        Error {
            kind,
            message: format!("{what}: {err}"),
            source: Some(err),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The Win32 error code (`GetLastError()` value) Windows reports for this failure.
    pub fn win32_code(&self) -> u32 {
        self.kind.win32_code()
    }

    /// The message without the trailing Win32 code.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The underlying OS error, if this failure came from a system call.
    pub fn os_error(&self) -> Option<&io::Error> {
        self.source.as_ref()
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match e.kind {
            ErrorKind::FileNotFound | ErrorKind::PathNotFound => io::ErrorKind::NotFound,
            ErrorKind::AccessDenied | ErrorKind::SharingViolation => {
                io::ErrorKind::PermissionDenied
            }
            ErrorKind::FileExists => io::ErrorKind::AlreadyExists,
            ErrorKind::InvalidParameter
            | ErrorKind::MappedAlignment
            | ErrorKind::InvalidName
            | ErrorKind::FilenameExcedRange => io::ErrorKind::InvalidInput,
            ErrorKind::NotEnoughMemory => io::ErrorKind::OutOfMemory,
            ErrorKind::InvalidData => io::ErrorKind::InvalidData,
            ErrorKind::Timeout => io::ErrorKind::TimedOut,
            ErrorKind::NotSupported => io::ErrorKind::Unsupported,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}

/// Classifies an OS error the way the Windows kernel would report the same condition.
pub(crate) fn kind_of_io(err: &io::Error) -> ErrorKind {
    match err.raw_os_error() {
        Some(libc::ENOENT) => ErrorKind::FileNotFound,
        Some(libc::ENOTDIR) => ErrorKind::PathNotFound,
        Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) | Some(libc::ETXTBSY) => {
            ErrorKind::AccessDenied
        }
        Some(libc::EMFILE) | Some(libc::ENFILE) => ErrorKind::TooManyOpenFiles,
        Some(libc::ENOMEM) => ErrorKind::NotEnoughMemory,
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => ErrorKind::DiskFull,
        Some(libc::EEXIST) => ErrorKind::FileExists,
        Some(libc::EINVAL) => ErrorKind::InvalidParameter,
        Some(libc::ENAMETOOLONG) => ErrorKind::FilenameExcedRange,
        Some(libc::EFBIG) | Some(libc::EOVERFLOW) => ErrorKind::NotEnoughMemory,
        Some(libc::ELOOP) => ErrorKind::AccessDenied,
        _ => ErrorKind::Other,
    }
}

impl From<rustix::io::Errno> for ErrorKind {
    fn from(e: rustix::io::Errno) -> Self {
        kind_of_io(&io::Error::from(e))
    }
}

macro_rules! bail {
    ($kind:ident, $($arg:tt)*) => {
        return Err($crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($arg)*)))
    };
}
pub(crate) use bail;
