//! Win32 constants with their Windows SDK values.
//!
//! These are the numbers the C ABI (`fmap-win32`) exposes and the values the Rust types convert
//! from and to ([`Protection::from_win32`](crate::Protection::from_win32),
//! [`Access`](crate::Access), [`ErrorKind::win32_code`](crate::ErrorKind::win32_code)).
#![allow(missing_docs)]

// Error codes (GetLastError values).
pub const ERROR_SUCCESS: u32 = 0;
pub const ERROR_FILE_NOT_FOUND: u32 = 2;
pub const ERROR_PATH_NOT_FOUND: u32 = 3;
pub const ERROR_TOO_MANY_OPEN_FILES: u32 = 4;
pub const ERROR_ACCESS_DENIED: u32 = 5;
pub const ERROR_INVALID_HANDLE: u32 = 6;
pub const ERROR_NOT_ENOUGH_MEMORY: u32 = 8;
pub const ERROR_INVALID_DATA: u32 = 13;
pub const ERROR_NOT_SUPPORTED: u32 = 50;
pub const ERROR_GEN_FAILURE: u32 = 31;
pub const ERROR_SHARING_VIOLATION: u32 = 32;
pub const ERROR_FILE_EXISTS: u32 = 80;
pub const ERROR_INVALID_PARAMETER: u32 = 87;
pub const ERROR_DISK_FULL: u32 = 112;
pub const ERROR_INVALID_NAME: u32 = 123;
pub const ERROR_ALREADY_EXISTS: u32 = 183;
pub const ERROR_BAD_EXE_FORMAT: u32 = 193;
pub const ERROR_FILENAME_EXCED_RANGE: u32 = 206;
pub const ERROR_NOT_OWNER: u32 = 288;
pub const ERROR_TOO_MANY_POSTS: u32 = 298;
pub const ERROR_INVALID_ADDRESS: u32 = 487;
pub const ERROR_MUTANT_LIMIT_EXCEEDED: u32 = 587;
pub const ERROR_FILE_INVALID: u32 = 1006;
pub const ERROR_MAPPED_ALIGNMENT: u32 = 1132;
pub const ERROR_USER_MAPPED_FILE: u32 = 1224;
pub const ERROR_PRIVILEGE_NOT_HELD: u32 = 1314;
pub const ERROR_COMMITMENT_LIMIT: u32 = 1455;
pub const ERROR_TIMEOUT: u32 = 1460;

// Page protections (flProtect).
pub const PAGE_NOACCESS: u32 = 0x01;
pub const PAGE_READONLY: u32 = 0x02;
pub const PAGE_READWRITE: u32 = 0x04;
pub const PAGE_WRITECOPY: u32 = 0x08;
pub const PAGE_EXECUTE: u32 = 0x10;
pub const PAGE_EXECUTE_READ: u32 = 0x20;
pub const PAGE_EXECUTE_READWRITE: u32 = 0x40;
pub const PAGE_EXECUTE_WRITECOPY: u32 = 0x80;
pub const PAGE_GUARD: u32 = 0x100;
pub const PAGE_NOCACHE: u32 = 0x200;
pub const PAGE_WRITECOMBINE: u32 = 0x400;

// Section attributes (OR-ed into flProtect).
pub const SEC_FILE: u32 = 0x0080_0000;
pub const SEC_IMAGE: u32 = 0x0100_0000;
pub const SEC_RESERVE: u32 = 0x0400_0000;
pub const SEC_COMMIT: u32 = 0x0800_0000;
pub const SEC_NOCACHE: u32 = 0x1000_0000;
pub const SEC_IMAGE_NO_EXECUTE: u32 = 0x1100_0000;
pub const SEC_WRITECOMBINE: u32 = 0x4000_0000;
pub const SEC_LARGE_PAGES: u32 = 0x8000_0000;

// Section / file-mapping access rights.
pub const FILE_MAP_COPY: u32 = 0x0001;
pub const SECTION_QUERY: u32 = 0x0001;
pub const FILE_MAP_WRITE: u32 = 0x0002;
pub const SECTION_MAP_WRITE: u32 = 0x0002;
pub const FILE_MAP_READ: u32 = 0x0004;
pub const SECTION_MAP_READ: u32 = 0x0004;
pub const SECTION_MAP_EXECUTE: u32 = 0x0008;
pub const SECTION_EXTEND_SIZE: u32 = 0x0010;
pub const FILE_MAP_EXECUTE: u32 = 0x0020;
pub const SECTION_ALL_ACCESS: u32 = 0x000F_001F;
pub const FILE_MAP_ALL_ACCESS: u32 = 0x000F_001F;
pub const FILE_MAP_LARGE_PAGES: u32 = 0x2000_0000;
pub const FILE_MAP_TARGETS_INVALID: u32 = 0x4000_0000;
pub const FILE_MAP_RESERVE: u32 = 0x8000_0000;

// Standard and generic rights.
pub const DELETE: u32 = 0x0001_0000;
pub const READ_CONTROL: u32 = 0x0002_0000;
pub const WRITE_DAC: u32 = 0x0004_0000;
pub const WRITE_OWNER: u32 = 0x0008_0000;
pub const SYNCHRONIZE: u32 = 0x0010_0000;
pub const STANDARD_RIGHTS_REQUIRED: u32 = 0x000F_0000;
pub const ACCESS_SYSTEM_SECURITY: u32 = 0x0100_0000;
pub const MAXIMUM_ALLOWED: u32 = 0x0200_0000;
pub const GENERIC_ALL: u32 = 0x1000_0000;
pub const GENERIC_EXECUTE: u32 = 0x2000_0000;
pub const GENERIC_WRITE: u32 = 0x4000_0000;
pub const GENERIC_READ: u32 = 0x8000_0000;

// Synchronization-object rights and flags (used by the sync-object layer).
pub const MUTANT_QUERY_STATE: u32 = 0x0001;
pub const MUTEX_MODIFY_STATE: u32 = 0x0001;
pub const MUTEX_ALL_ACCESS: u32 = 0x001F_0001;
pub const EVENT_QUERY_STATE: u32 = 0x0001;
pub const EVENT_MODIFY_STATE: u32 = 0x0002;
pub const EVENT_ALL_ACCESS: u32 = 0x001F_0003;
pub const SEMAPHORE_QUERY_STATE: u32 = 0x0001;
pub const SEMAPHORE_MODIFY_STATE: u32 = 0x0002;
pub const SEMAPHORE_ALL_ACCESS: u32 = 0x001F_0003;
pub const TIMER_QUERY_STATE: u32 = 0x0001;
pub const TIMER_MODIFY_STATE: u32 = 0x0002;
pub const TIMER_ALL_ACCESS: u32 = 0x001F_0003;
pub const CREATE_MUTEX_INITIAL_OWNER: u32 = 0x1;
pub const CREATE_EVENT_MANUAL_RESET: u32 = 0x1;
pub const CREATE_EVENT_INITIAL_SET: u32 = 0x2;
pub const CREATE_WAITABLE_TIMER_MANUAL_RESET: u32 = 0x1;
pub const CREATE_WAITABLE_TIMER_HIGH_RESOLUTION: u32 = 0x2;

// Wait results.
pub const WAIT_OBJECT_0: u32 = 0x0000_0000;
pub const WAIT_ABANDONED: u32 = 0x0000_0080;
pub const WAIT_ABANDONED_0: u32 = 0x0000_0080;
pub const WAIT_IO_COMPLETION: u32 = 0x0000_00C0;
pub const WAIT_TIMEOUT: u32 = 0x0000_0102;
pub const WAIT_FAILED: u32 = 0xFFFF_FFFF;
pub const INFINITE: u32 = 0xFFFF_FFFF;
pub const MAXIMUM_WAIT_OBJECTS: u32 = 64;

// File access, sharing and creation disposition (CreateFile).
pub const FILE_READ_DATA: u32 = 0x0001;
pub const FILE_WRITE_DATA: u32 = 0x0002;
pub const FILE_APPEND_DATA: u32 = 0x0004;
pub const FILE_EXECUTE: u32 = 0x0020;
pub const FILE_READ_ATTRIBUTES: u32 = 0x0080;
pub const FILE_WRITE_ATTRIBUTES: u32 = 0x0100;
pub const FILE_SHARE_READ: u32 = 0x0000_0001;
pub const FILE_SHARE_WRITE: u32 = 0x0000_0002;
pub const FILE_SHARE_DELETE: u32 = 0x0000_0004;
pub const CREATE_NEW: u32 = 1;
pub const CREATE_ALWAYS: u32 = 2;
pub const OPEN_EXISTING: u32 = 3;
pub const OPEN_ALWAYS: u32 = 4;
pub const TRUNCATE_EXISTING: u32 = 5;

// System geometry.
/// The allocation granularity: view offsets and chosen base addresses are multiples of it.
pub const ALLOCATION_GRANULARITY: u64 = 0x1_0000;
/// The page size sections are rounded to.
pub const PAGE_SIZE: u64 = 0x1000;
/// `MAX_PATH`: names are limited to `MAX_PATH - 1` UTF-16 code units.
pub const MAX_PATH: usize = 260;
