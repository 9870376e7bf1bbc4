//! The `c_abi` fuzz program: bytes → a sequence of calls to fmap-win32's C ABI, with checks.
//!
//! This one file is shared by the `cargo fuzz` target (`fuzz/fuzz_targets/c_abi.rs`) and the
//! corpus replay test (`crates/fmap-win32/tests/fuzz_corpus.rs`), both through
//! `#[path = …] mod c_abi;`, so the fuzzer and `cargo test` run exactly the same code.
//!
//! # The program
//!
//! The input is read as a list of operations (at most [`MAX_OPS`]); every operation takes its
//! arguments from the following bytes (a finished input reads as zeros). Operations call the
//! exported functions directly (they are `extern "C"`, so a panic inside one aborts the process
//! instead of unwinding into this code — a crash for the fuzzer). The program keeps a model of
//! what it holds:
//!
//! * a handle table: every handle it was given (live or closed) with its object type. Handle
//!   arguments are live or closed ones from it, a live one with low bits set (which names the
//!   same object), NULL, `GetCurrentProcess()` (`INVALID_HANDLE_VALUE`), `GetCurrentThread()`,
//!   small multiples of 4, and arbitrary integers. What a value names is decided the way
//!   fmap-win32 documents it: the two low bits are ignored; anything that is not a live handle
//!   of ours is invalid;
//! * the views it mapped (base, the size it asked for, readable/writable from the access it
//!   asked for) and the addresses of views it unmapped.
//!
//! Names are short strings from a small pool (so that objects collide, also across types) or
//! random, with `Local\`/`Global\` (and wrongly cased) prefixes, around the length limit, not
//! UTF-8 / unpaired surrogates, empty and NULL; A and W functions alike. File paths are always
//! inside this process's scratch directory (a fixed set of names, random one-component names,
//! a missing directory, the directory itself, backslash forms, empty and NULL).
//!
//! Sizes, offsets, protections, access masks, dispositions, counts and flags are random with a
//! bias to meaningful and boundary values. Two limits keep the machine safe: sections that the
//! library would really *commit* (pagefile-backed, or extending a file) are at most 4 MiB, or
//! at least 2^40 bytes, which is refused (more than any test machine's memory; on a file
//! system that is not a tmpfs, at least 2^54, the library's limit); and every wait has a
//! timeout of 0. Nothing here creates threads or processes, or blocks. Closing the last handle
//! of a mutex this thread owns makes fmap keep the mutex's page mapped for the rest of the
//! process (see [`Program::release_fully`]); the program does that only rarely, so that
//! millions of inputs in one process do not exhaust its map count.
//!
//! Operation bytes from 248 on (outside the `% 31` table, so older corpus inputs decode as
//! before) call the C runtime extras and StrSafe (`strcpy_s`, `strcat_s`, `strncpy_s`,
//! `StringCchCopyW`, `StringCchCatA`, `_i64toa_s`, `_stricmp`, `localtime_s`, `asctime_s`) with
//! NULL, empty, exact and too-long strings and sizes 0..64, and check the result against a model
//! of Microsoft's documented behaviour, the emptied buffer on failure and guard bytes past the
//! size.
//!
//! # Checks (a failed check panics)
//!
//! * no crash: no panic in the library (it would abort), no SIGSEGV/SIGBUS when the program
//!   reads and writes inside a view within the size it asked for;
//! * a call that returns its failure value (NULL, `INVALID_HANDLE_VALUE` for `CreateFile`,
//!   FALSE, `WAIT_FAILED`, `INVALID_SET_FILE_POINTER`/`INVALID_FILE_SIZE` with an error) has set
//!   a non-zero last error; a `Create*` that succeeds has set it to 0 or
//!   `ERROR_ALREADY_EXISTS`; every other successful call has left it alone (the crate's
//!   documented rule; the last error is set to a sentinel before every call);
//! * a handle value that does not name a live object gives `ERROR_INVALID_HANDLE`; an object
//!   of the wrong type fails; a new handle is a multiple of 4 (not NULL or
//!   `INVALID_HANDLE_VALUE`) and different from every live one; `CloseHandle` of a live or
//!   pseudo handle succeeds;
//! * a new view is 64 KiB-aligned (or at the requested base), does not overlap another live
//!   view, and bytes written to a writable one read back;
//! * `UnmapViewOfFile` of any address inside a live view unmaps that view; of an address that
//!   is in no view it fails with `ERROR_INVALID_ADDRESS` and every live view stays readable;
//! * wait results are in range; `WaitForMultipleObjects` with 0 or more than 64 handles (or a
//!   NULL array) fails with `ERROR_INVALID_PARAMETER`; semaphore parameters are validated;
//!   `ReadFile`/`WriteFile` report at most (exactly, for writes) the bytes asked for, fail with
//!   `ERROR_ACCESS_DENIED` on a file handle without the right (the program tracks every file
//!   handle's rights, also through `DuplicateHandle`, which must refuse more than the source
//!   has), need an `OVERLAPPED` on a `FILE_FLAG_OVERLAPPED` handle, and with one complete at
//!   once (`Internal`/`InternalHigh` are the status and the count; `ERROR_HANDLE_EOF` is
//!   `STATUS_END_OF_FILE`); `GetOverlappedResult` reports what the `OVERLAPPED` holds;
//! * a failed `SetFilePointer(Ex)` leaves the file pointer where it was, a successful one
//!   reports where it is; a failed `SetEndOfFile` leaves the size alone, a successful one makes
//!   it the file pointer; a failed `CreateFile` or `DeleteFile` leaves the path as it was;
//! * at the end the program unmaps every view and closes every handle (which must succeed);
//!   afterwards no handle of the process's table is live, no unmapped view address is still
//!   registered, and the namespace directories under `$FMAP_ROOT` hold no object file.
//!
//! # Environment
//!
//! On first use the program makes a private scratch directory (under `/dev/shm` if it has 1 GiB
//! free, else the temporary directory) with `ns/` — set as `$FMAP_ROOT` before any fmap call, and checked to be
//! the root the library's default namespace uses — and `files/` for `CreateFile`. It is
//! removed when the process exits normally, or else by the next process that starts the
//! program. The process must have no other user of the C ABI's
//! handle table (the replay test is alone in its test binary). `$FMAP_FUZZ_TRACE` set prints
//! every call and its result, to read what a failing input does.

use fmap_win32::abi::consts::*;
use fmap_win32::abi::table::Handle;
use fmap_win32::objects::section as se;
use fmap_win32::objects::sync as sy;
use fmap_win32::runtime::file as fi;
use fmap_win32::runtime::{crt, strsafe};

/// The functions on handles and the last error, wherever fmap-win32 keeps them.
mod ht {
    pub use fmap_win32::abi::error::{GetLastError, SetLastError};
    pub use fmap_win32::abi::table::get;
    pub use fmap_win32::objects::handles::{
        CloseHandle, DuplicateHandle, GetHandleInformation, SetHandleInformation,
    };
    pub use fmap_win32::runtime::process::{
        GetCurrentProcess, GetCurrentThread, GetExitCodeProcess, OpenProcess,
    };
}
use std::ffi::{c_char, c_void};
use std::path::{Path, PathBuf};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Operations per input, at most.
pub const MAX_OPS: usize = 128;
/// Written to the last error before every call: never a real error code.
const SENTINEL: u32 = 0xE0F0_0BAD;
/// The program's I/O buffer.
const BUF: usize = 64 * 1024;
/// The largest section size the program lets the library commit.
const MAX_COMMIT: u64 = 4 << 20;
/// Sizes from here on are refused by the library on any plausible test machine.
const HUGE: u64 = 1 << 40;
/// The library's section-size limit.
const MAX_SECTION: u64 = 1 << 54;

struct Env {
    base: PathBuf,
    ns: PathBuf,
    files: PathBuf,
    /// The files live on a tmpfs, where extending a file to [`HUGE`] fails at once.
    files_on_tmpfs: bool,
}

static ENV: OnceLock<Env> = OnceLock::new();

fn env() -> &'static Env {
    ENV.get_or_init(|| {
        // A tmpfs like fmap's default root, if it has room: views of SEC_RESERVE sections are
        // sparse, and touching one of their pages on a full tmpfs raises SIGBUS (containers
        // often have a 64 MiB /dev/shm).
        let shm = Path::new("/dev/shm");
        let parent = if free_bytes(shm).is_some_and(|b| b >= 1 << 30) {
            shm.to_owned()
        } else {
            std::env::temp_dir()
        };
        remove_dead_envs(&parent);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let base = parent.join(format!("fmap-fuzz-c_abi-{}-{nanos}", std::process::id()));
        let ns = base.join("ns");
        let files = base.join("files");
        for d in [&base, &ns, &files] {
            std::fs::create_dir(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
        }
        std::env::set_var(fmap::ROOT_ENV, &ns);
        assert_eq!(
            fmap::Namespace::default().root(),
            ns,
            "fmap's default namespace was used before the fuzz program set $FMAP_ROOT"
        );
        let files_on_tmpfs = is_tmpfs(&files);
        // SAFETY: registers a function without arguments that only removes our own directory.
        unsafe { libc::atexit(remove_env) };
        Env {
            base,
            ns,
            files,
            files_on_tmpfs,
        }
    })
}

/// Removes the scratch directories of processes that are gone (libFuzzer often ends a process
/// without running `atexit` handlers, e.g. after a crash or for `-merge`): no process of that
/// pid here, and nothing changed in the directory for an hour (a process in another pid
/// namespace sharing the directory would be changing its `files/` all the time).
fn remove_dead_envs(parent: &Path) {
    let idle = |d: &Path| {
        ["files", "ns", ""].iter().all(|sub| {
            std::fs::metadata(d.join(sub))
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600)
        })
    };
    let Ok(dir) = std::fs::read_dir(parent) else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix("fmap-fuzz-c_abi-"))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() && idle(&e.path()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

extern "C" fn remove_env() {
    if let Some(e) = ENV.get() {
        let _ = std::fs::remove_dir_all(&e.base);
    }
}

fn free_bytes(p: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).ok()?;
    // SAFETY: an all-zero statvfs is a valid value for the out-parameter.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a valid out-pointer.
    let r = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    (r == 0).then(|| (st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

fn is_tmpfs(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: an all-zero statfs is a valid value for the out-parameter.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a valid out-pointer.
    let r = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    r == 0 && st.f_type as i64 == 0x0102_1994 // TMPFS_MAGIC
}

/// The highest handle value the program has seen (for the end-of-program leak scan).
static MAX_HANDLE: AtomicUsize = AtomicUsize::new(0);

/// Runs one input. Panics when a check fails.
pub fn run(data: &[u8]) {
    let e = env();
    let mut p = Program {
        inp: Input { d: data },
        handles: Vec::new(),
        views: Vec::new(),
        stale: Vec::new(),
        buf: vec![0u8; BUF],
        files_on_tmpfs: e.files_on_tmpfs,
        last_overlapped: None,
    };
    let mut ops = 0;
    while !p.inp.d.is_empty() && ops < MAX_OPS {
        p.step();
        ops += 1;
    }
    p.finish();
}

// ---------------------------------------------------------------------------------------------
// Input decoding

struct Input<'a> {
    d: &'a [u8],
}

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        match self.d.split_first() {
            Some((&b, rest)) => {
                self.d = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | u32::from(self.u16()) << 16
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }
    fn bool(&mut self) -> bool {
        self.u8() & 1 != 0
    }
    /// One in `n`.
    fn rarely(&mut self, n: u8) -> bool {
        self.u8() % n == 0
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[usize::from(self.u8()) % xs.len()]
    }
    fn i32(&mut self) -> i32 {
        match self.u8() % 8 {
            0 => self.pick(&[-1, 0, 1, 2, 3, 64]),
            1 => self.pick(&[i32::MAX, i32::MIN, i32::MAX - 1, i32::MIN + 1]),
            2 | 3 => i32::from(self.u8()),
            4 => -i32::from(self.u8()),
            _ => self.u32() as i32,
        }
    }
    /// A flag word: known values, combinations of them, a stray bit, or anything.
    fn flags(&mut self, known: &[u32]) -> u32 {
        match self.u8() % 6 {
            0 => self.u32(),
            1 => self.pick(known) | self.pick(known),
            2 => self.pick(known) | 1 << (self.u8() % 32),
            _ => self.pick(known),
        }
    }
}

const PAGES: &[u32] = &[
    PAGE_READONLY,
    PAGE_READWRITE,
    PAGE_READWRITE,
    PAGE_WRITECOPY,
    PAGE_EXECUTE,
    PAGE_EXECUTE_READ,
    PAGE_EXECUTE_READWRITE,
    PAGE_EXECUTE_WRITECOPY,
    PAGE_NOACCESS,
    0,
    PAGE_READWRITE | PAGE_GUARD,
    PAGE_READONLY | PAGE_NOCACHE,
    PAGE_READWRITE | PAGE_WRITECOMBINE,
    PAGE_READONLY | PAGE_READWRITE,
];
const SECS: &[u32] = &[
    0,
    0,
    0,
    SEC_COMMIT,
    SEC_RESERVE,
    SEC_FILE,
    SEC_IMAGE,
    SEC_NOCACHE,
    SEC_LARGE_PAGES,
    SEC_WRITECOMBINE,
    SEC_IMAGE_NO_EXECUTE,
    SEC_COMMIT | SEC_RESERVE,
];
const MAP_ACCESS: &[u32] = &[
    FILE_MAP_READ,
    FILE_MAP_WRITE,
    FILE_MAP_ALL_ACCESS,
    FILE_MAP_COPY,
    FILE_MAP_READ | FILE_MAP_WRITE,
    FILE_MAP_EXECUTE,
    FILE_MAP_READ | FILE_MAP_EXECUTE,
    FILE_MAP_WRITE | FILE_MAP_EXECUTE,
    FILE_MAP_COPY | FILE_MAP_EXECUTE,
    FILE_MAP_COPY | SECTION_MAP_EXECUTE,
    FILE_MAP_COPY | SECTION_MAP_EXECUTE | FILE_MAP_EXECUTE,
    FILE_MAP_READ | FILE_MAP_COPY | SECTION_MAP_EXECUTE | FILE_MAP_EXECUTE,
    0,
    FILE_MAP_LARGE_PAGES | FILE_MAP_READ,
    FILE_MAP_RESERVE | FILE_MAP_WRITE,
    FILE_MAP_TARGETS_INVALID | FILE_MAP_READ,
    SECTION_QUERY,
    SECTION_EXTEND_SIZE,
    GENERIC_READ,
    GENERIC_ALL,
    MAXIMUM_ALLOWED,
];
const SYNC_ACCESS: &[u32] = &[
    SYNCHRONIZE,
    MUTEX_ALL_ACCESS,
    EVENT_ALL_ACCESS,
    SEMAPHORE_ALL_ACCESS,
    MUTEX_MODIFY_STATE,
    EVENT_MODIFY_STATE,
    SEMAPHORE_MODIFY_STATE,
    SYNCHRONIZE | EVENT_MODIFY_STATE,
    0,
    GENERIC_ALL,
    GENERIC_READ,
    GENERIC_WRITE,
    MAXIMUM_ALLOWED,
    DELETE | READ_CONTROL,
];
const FILE_ACCESS: &[u32] = &[
    FILE_READ_EA,
    FILE_WRITE_EA,
    FILE_DELETE_CHILD,
    FILE_WRITE_ATTRIBUTES,
    FILE_EXECUTE,
    FILE_READ_DATA | FILE_WRITE_DATA,
    GENERIC_READ,
    GENERIC_WRITE,
    GENERIC_READ | GENERIC_WRITE,
    GENERIC_READ | GENERIC_WRITE,
    GENERIC_ALL,
    GENERIC_EXECUTE | GENERIC_READ,
    FILE_READ_DATA,
    FILE_WRITE_DATA,
    FILE_APPEND_DATA,
    FILE_GENERIC_READ,
    FILE_GENERIC_WRITE,
    FILE_ALL_ACCESS,
    DELETE,
    FILE_READ_ATTRIBUTES,
    0,
];
const FILE_FLAGS: &[u32] = &[
    0,
    FILE_ATTRIBUTE_NORMAL,
    FILE_ATTRIBUTE_TEMPORARY,
    FILE_FLAG_DELETE_ON_CLOSE,
    FILE_FLAG_OVERLAPPED,
    FILE_FLAG_WRITE_THROUGH,
    FILE_FLAG_RANDOM_ACCESS | FILE_FLAG_SEQUENTIAL_SCAN,
    FILE_FLAG_NO_BUFFERING,
];
const NAMES: &[&str] = &[
    "a",
    "b",
    "Local\\a",
    "Local\\b",
    "Global\\a",
    "Global\\b",
    "local\\a",
    "GLOBAL\\b",
    "Local\\",
    "Global\\",
    "Local\\a\\b",
    "a\\b",
    "\\",
    "Session\\1\\a",
    "Global\\Local\\a",
    "Local\\.",
    "Local\\..",
    "Local\\ ",
    "Local\\a/b",
    "Local\\\u{e9}",
];
const PREFIXES: &[&str] = &[
    "",
    "Local\\",
    "Global\\",
    "local\\",
    "Session\\",
    "Global\\Local\\",
];
const FILE_NAMES: &[&str] = &["f0", "f1", "f2", "f3"];

// ---------------------------------------------------------------------------------------------
// Strings passed to the ABI

/// A NUL-terminated ANSI or wide string, or NULL.
enum Text {
    A(Option<Vec<u8>>),
    W(Option<Vec<u16>>),
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Text::A(None) | Text::W(None) => write!(f, "NULL"),
            Text::A(Some(b)) => write!(f, "A{:?}", String::from_utf8_lossy(&b[..b.len() - 1])),
            Text::W(Some(u)) => write!(f, "W{:?}", String::from_utf16_lossy(&u[..u.len() - 1])),
        }
    }
}

impl Text {
    fn new(wide: bool, bytes: Option<Vec<u8>>, bad_unit: bool) -> Text {
        if wide {
            Text::W(bytes.map(|b| {
                let mut u: Vec<u16> = String::from_utf8_lossy(&b)
                    .encode_utf16()
                    .filter(|&u| u != 0)
                    .collect();
                if bad_unit {
                    u.push(0xD800); // an unpaired surrogate
                }
                u.push(0);
                u
            }))
        } else {
            Text::A(bytes.map(|mut b| {
                b.retain(|&c| c != 0);
                if bad_unit {
                    b.push(0xFF); // never valid UTF-8
                }
                b.push(0);
                b
            }))
        }
    }
    fn a(&self) -> *const c_char {
        match self {
            Text::A(Some(b)) => b.as_ptr().cast(),
            _ => null(),
        }
    }
    fn w(&self) -> *const u16 {
        match self {
            Text::W(Some(u)) => u.as_ptr(),
            _ => null(),
        }
    }
    /// The file-system path a file name argument names (backslashes are separators), if it
    /// is valid text.
    fn fs_path(&self) -> Option<PathBuf> {
        use std::os::unix::ffi::OsStringExt;
        let mut b = match self {
            Text::A(Some(b)) => b[..b.len() - 1].to_vec(),
            Text::W(Some(u)) => String::from_utf16(&u[..u.len() - 1]).ok()?.into_bytes(),
            _ => return None,
        };
        for c in &mut b {
            if *c == b'\\' {
                *c = b'/';
            }
        }
        (!b.is_empty()).then(|| PathBuf::from(std::ffi::OsString::from_vec(b)))
    }

    fn is_wide(&self) -> bool {
        matches!(self, Text::W(_))
    }
    fn is_null(&self) -> bool {
        matches!(self, Text::A(None) | Text::W(None))
    }
}

// ---------------------------------------------------------------------------------------------
// The model

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Mapping,
    Mutex,
    Event,
    Semaphore,
    File,
}

const SYNC: &[Kind] = &[Kind::Mutex, Kind::Event, Kind::Semaphore];

struct Entry {
    h: usize,
    kind: Kind,
    live: bool,
    /// For files: the handle's rights (generic rights mapped), as fmap-win32 documents them.
    rights: u32,
    /// For files: opened with `FILE_FLAG_OVERLAPPED`.
    overlapped: bool,
    /// The handle's `HANDLE_FLAG_*` bits (`GetHandleInformation`).
    flags: u32,
}

/// A file's `dwDesiredAccess` with the generic rights mapped.
fn file_rights(access: u32) -> u32 {
    let mut a = access & FILE_ALL_ACCESS;
    for (g, r) in [
        (GENERIC_READ, FILE_GENERIC_READ),
        (GENERIC_WRITE, FILE_GENERIC_WRITE),
        (GENERIC_EXECUTE, FILE_GENERIC_EXECUTE),
        (GENERIC_ALL | MAXIMUM_ALLOWED, FILE_ALL_ACCESS),
    ] {
        if access & g != 0 {
            a |= r;
        }
    }
    a
}

struct View {
    base: usize,
    /// Bytes the program may touch: the size it asked for (1 when it asked for "to the end").
    min_len: usize,
    /// The mapped size (the requested size rounded up to pages), if the program knows it.
    max_len: Option<usize>,
    readable: bool,
    writable: bool,
}

/// What a handle value names, by fmap-win32's documented rules.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    Pseudo,
    Live(usize),
    Invalid,
}

enum Addr {
    /// Inside live view `i` (any address up to its mapped end).
    Inside(usize),
    /// Past the part of view `i` the program knows the size of.
    Maybe(usize),
    /// In no live view.
    Outside,
}

struct Program<'a> {
    inp: Input<'a>,
    handles: Vec<Entry>,
    views: Vec<View>,
    /// Bases of views unmapped so far.
    stale: Vec<usize>,
    buf: Vec<u8>,
    files_on_tmpfs: bool,
    /// `Internal` and `InternalHigh` of the last `OVERLAPPED` a read or write completed.
    last_overlapped: Option<(usize, usize)>,
}

/// `$FMAP_FUZZ_TRACE` set: print every call and its result to stderr (to read a failing input).
fn tracing() -> bool {
    static T: OnceLock<bool> = OnceLock::new();
    *T.get_or_init(|| std::env::var_os("FMAP_FUZZ_TRACE").is_some())
}

macro_rules! trace {
    ($($t:tt)*) => {
        if tracing() {
            eprintln!($($t)*);
        }
    };
}

/// Whether the file a path argument names exists, its inode and size (to check that a failed
/// call changed nothing).
fn file_state(path: &Text) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path.fs_path()?).ok()?;
    Some((m.ino(), m.len()))
}

/// Runs `f` with the last error set to [`SENTINEL`]; returns its result and the last error.
fn call<T: std::fmt::Debug>(f: impl FnOnce() -> T) -> (T, u32) {
    ht::SetLastError(SENTINEL);
    let r = f();
    let err = ht::GetLastError();
    trace!("    -> {r:?}, last error {err:#x}");
    (r, err)
}

#[track_caller]
fn failed(what: &str, err: u32) {
    assert!(
        err != 0 && err != SENTINEL,
        "{what} failed without setting the last error ({err:#x})"
    );
}

#[track_caller]
fn untouched(what: &str, err: u32) {
    assert_eq!(err, SENTINEL, "{what} succeeded but changed the last error");
}

/// Checks a BOOL result; returns whether the call succeeded.
#[track_caller]
fn boolean(what: &str, r: i32, err: u32) -> bool {
    if r == FALSE {
        failed(what, err);
        false
    } else {
        assert_eq!(r, TRUE, "{what} returned {r}");
        untouched(what, err);
        true
    }
}

/// Checks the result of a call whose failure value is also a valid result
/// (`SetFilePointer`, `GetFileSize`): the last error tells.
#[track_caller]
fn dword(what: &str, r: u32, err: u32) -> bool {
    if r == u32::MAX {
        assert_ne!(
            err, SENTINEL,
            "{what} returned {r:#x} without setting the last error"
        );
        err == 0
    } else {
        untouched(what, err);
        true
    }
}

impl Program<'_> {
    fn kind(&self, t: Target) -> Option<Kind> {
        match t {
            Target::Live(i) => Some(self.handles[i].kind),
            _ => None,
        }
    }

    fn resolve(&self, h: Handle) -> Target {
        let v = h as usize;
        if v == usize::MAX || v == usize::MAX - 1 {
            return Target::Pseudo;
        }
        let v = v & !3;
        if v == 0 {
            return Target::Invalid;
        }
        match self.handles.iter().position(|e| e.live && e.h == v) {
            Some(i) => Target::Live(i),
            None => Target::Invalid,
        }
    }

    /// The expectations for a call on one handle that is looked up before anything else:
    /// an invalid value gives `ERROR_INVALID_HANDLE`, a pseudo handle or an object of another
    /// type fails.
    #[track_caller]
    fn on(&self, what: &str, t: Target, kinds: &[Kind], ok: bool, err: u32) {
        match t {
            Target::Invalid => {
                assert!(!ok, "{what} succeeded on an invalid handle");
                assert_eq!(err, ERROR_INVALID_HANDLE, "{what} on an invalid handle");
            }
            Target::Pseudo => assert!(!ok, "{what} succeeded on a pseudo handle"),
            Target::Live(i) => {
                let k = self.handles[i].kind;
                assert!(
                    kinds.contains(&k) || !ok,
                    "{what} succeeded on a {k:?} handle"
                );
            }
        }
    }

    /// Enters a handle returned by a create, open or duplicate; `create` is true for the
    /// functions with the `Create*` last-error rule. Returns whether the call succeeded.
    #[track_caller]
    fn new_handle(
        &mut self,
        what: &str,
        h: Handle,
        err: u32,
        kind: Kind,
        create: bool,
        failure: Handle,
    ) -> bool {
        if h == failure {
            failed(what, err);
            return false;
        }
        let v = h as usize;
        assert!(
            !h.is_null() && v != usize::MAX,
            "{what} succeeded with {h:p}"
        );
        if create {
            assert!(
                err == 0 || err == ERROR_ALREADY_EXISTS,
                "{what} succeeded with last error {err:#x}"
            );
        } else {
            untouched(what, err);
        }
        assert_eq!(v & 3, 0, "{what} returned {h:p}");
        assert_eq!(
            self.resolve(h),
            Target::Invalid,
            "{what} returned {h:p}, which is already a live handle"
        );
        MAX_HANDLE.fetch_max(v, Ordering::Relaxed);
        self.handles.push(Entry {
            h: v,
            kind,
            live: true,
            rights: 0,
            overlapped: false,
            flags: 0,
        });
        true
    }

    /// A handle argument for a call that wants an object of one of the `prefer` types.
    fn choose_handle(&mut self, prefer: &[Kind]) -> Handle {
        let live: Vec<usize> = self
            .handles
            .iter()
            .filter(|e| e.live)
            .map(|e| e.h)
            .collect();
        let preferred: Vec<usize> = self
            .handles
            .iter()
            .filter(|e| e.live && prefer.contains(&e.kind))
            .map(|e| e.h)
            .collect();
        match self.inp.u8() % 16 {
            0..=4 if !preferred.is_empty() => self.inp.pick(&preferred) as Handle,
            5..=8 if !live.is_empty() => self.inp.pick(&live) as Handle,
            9 | 10 if !self.handles.is_empty() => {
                let i = usize::from(self.inp.u8()) % self.handles.len();
                self.handles[i].h as Handle
            }
            11 if !live.is_empty() => {
                (self.inp.pick(&live) | (1 + usize::from(self.inp.u8() % 3))) as Handle
            }
            12 => ht::GetCurrentProcess(),
            13 => ht::GetCurrentThread(),
            14 => match self.inp.u8() % 4 {
                0 => (usize::from(self.inp.u16()) * 4) as Handle,
                1 => (usize::from(self.inp.u16())) as Handle,
                2 => (-i64::from(self.inp.u8()) as isize) as Handle,
                _ => self.inp.u64() as usize as Handle,
            },
            _ => null_mut(),
        }
    }

    fn name(&mut self) -> Text {
        let wide = self.inp.bool();
        let sel = self.inp.u8() % 12;
        let mut bad = false;
        let bytes = match sel {
            0 => None,
            1 => Some(Vec::new()),
            7 => {
                let mut b = self.inp.pick(PREFIXES).as_bytes().to_vec();
                let n = self.inp.u8() % 9;
                b.extend((0..n).map(|_| self.inp.u8()));
                Some(b)
            }
            8 => {
                let mut b = self.inp.pick(PREFIXES).as_bytes().to_vec();
                let n = 250 + usize::from(self.inp.u8() % 20);
                b.extend(std::iter::repeat_n(b'x', n));
                Some(b)
            }
            9 => {
                bad = true;
                Some(self.inp.pick(PREFIXES).as_bytes().to_vec())
            }
            _ => Some(self.inp.pick(NAMES).as_bytes().to_vec()),
        };
        Text::new(wide, bytes, bad)
    }

    fn path(&mut self) -> Text {
        use std::os::unix::ffi::OsStrExt;
        let wide = self.inp.bool();
        let dir = env().files.as_os_str().as_bytes().to_vec();
        let join = |name: &[u8]| [dir.as_slice(), b"/", name].concat();
        let bytes = match self.inp.u8() % 10 {
            0 => None,
            1 => Some(Vec::new()),
            6 => {
                let p = join(self.inp.pick(FILE_NAMES).as_bytes());
                Some(
                    p.iter()
                        .map(|&c| if c == b'/' { b'\\' } else { c })
                        .collect(),
                )
            }
            7 => {
                let n = 1 + self.inp.u8() % 8;
                let mut name: Vec<u8> = (0..n)
                    .map(|_| self.inp.u8())
                    .filter(|&c| c != 0 && c != b'/' && c != b'\\')
                    .collect();
                if name.is_empty() || name == b"." || name == b".." {
                    name = b"f0".to_vec();
                }
                Some(join(&name))
            }
            8 => Some(join(b"nodir/f0")),
            9 => Some(if self.inp.bool() {
                dir.clone()
            } else {
                join(b"")
            }),
            _ => Some(join(self.inp.pick(FILE_NAMES).as_bytes())),
        };
        // Every path is NULL, empty, the directory, or inside it, also with a bad unit appended
        // (which only the latter may get: appended to "" or to the directory's own name it
        // would name a file elsewhere).
        let inside = |b: &[u8]| {
            let b: Vec<u8> = b
                .iter()
                .map(|&c| if c == b'\\' { b'/' } else { c })
                .collect();
            b.starts_with(&join(b""))
        };
        if let Some(b) = &bytes {
            assert!(
                b.is_empty() || *b == dir || inside(b),
                "a path outside the scratch directory"
            );
        }
        let bad = self.inp.rarely(16) && bytes.as_deref().is_some_and(inside);
        Text::new(wide, bytes, bad)
    }

    fn protect(&mut self) -> u32 {
        match self.inp.u8() % 8 {
            0 => self.inp.u32(),
            1 => self.inp.pick(PAGES) | 1 << (self.inp.u8() % 32),
            _ => self.inp.pick(PAGES) | self.inp.pick(SECS),
        }
    }

    /// A section size as (high, low); see the module documentation for the limits.
    fn section_size(&mut self, file_backed: bool) -> (u32, u32) {
        let (hi, lo) = match self.inp.u8() % 8 {
            0 => (0, 0),
            1 => (
                0,
                self.inp
                    .pick(&[1, 4095, 4096, 4097, 65535, 65536, 65537, 1 << 20]),
            ),
            2 | 3 => (0, u32::from(self.inp.u16()) * self.inp.pick(&[1, 16, 64])),
            4 => (
                self.inp.pick(&[
                    0x100,
                    0x3F_FFFF,
                    0x40_0000,
                    0x40_0001,
                    0x7FFF_FFFF,
                    u32::MAX,
                ]),
                self.inp.u32(),
            ),
            5 => (self.inp.u32(), self.inp.u32()),
            6 => (0, self.inp.u32()),
            _ => (u32::MAX, u32::MAX),
        };
        let mut hi = hi;
        let size = |hi: u32| u64::from(hi) << 32 | u64::from(lo);
        if size(hi) > MAX_COMMIT && size(hi) < HUGE {
            hi |= (HUGE >> 32) as u32;
        }
        if file_backed && !self.files_on_tmpfs && size(hi) >= HUGE && size(hi) < MAX_SECTION {
            hi |= (MAX_SECTION >> 32) as u32;
        }
        (hi, lo)
    }

    fn view_offset(&mut self) -> (u32, u32) {
        match self.inp.u8() % 6 {
            0 | 1 => (0, 0),
            2 => (0, u32::from(self.inp.u8()) << 16),
            3 => (0, self.inp.u32()),
            4 => (
                self.inp.pick(&[1, 0x100, 0x3F_FFFF, u32::MAX]),
                u32::from(self.inp.u8()) << 16,
            ),
            _ => (self.inp.u32(), self.inp.u32()),
        }
    }

    fn view_bytes(&mut self) -> usize {
        match self.inp.u8() % 8 {
            0 | 1 => 0,
            2 => self.inp.pick(&[1, 4095, 4096, 4097, 65536, 65537]),
            3 => usize::from(self.inp.u16()) + 1,
            4 => (usize::from(self.inp.u8()) + 1) * 4096,
            5 => self
                .inp
                .pick(&[usize::MAX, usize::MAX - 4095, 1 << 40, 1 << 47, 1 << 54]),
            6 => self.inp.u64() as usize,
            _ => self.inp.u32() as usize,
        }
    }

    fn live_view(&mut self) -> Option<usize> {
        if self.views.is_empty() {
            None
        } else {
            Some(usize::from(self.inp.u8()) % self.views.len())
        }
    }

    fn stale_addr(&mut self) -> usize {
        if self.stale.is_empty() {
            0
        } else {
            let i = usize::from(self.inp.u8()) % self.stale.len();
            self.stale[i]
        }
    }

    /// A base address for `MapViewOfFileEx`.
    fn base_addr(&mut self) -> usize {
        match self.inp.u8() % 10 {
            1 => self.stale_addr(),
            2 => match self.live_view() {
                Some(i) => self.views[i].base,
                None => 0,
            },
            3 => match self.live_view() {
                Some(i) => self.views[i].base + 0x10000 * (1 + usize::from(self.inp.u8() % 4)),
                None => 0,
            },
            // 64 KiB-aligned in [2^32, 2^44): free address space in a normal process (far from
            // the stack, the libraries and the heap), ASan's shadow in an instrumented one.
            4 => 1 << 32 | (self.inp.u32() as usize) << 16 & ((1 << 44) - 1),
            5 => (1 << 32 | (self.inp.u32() as usize) << 16) + 1 + usize::from(self.inp.u16()),
            6 => self.inp.u64() as usize,
            7 => self.inp.pick(&[
                0x10000,
                0x1_0000_0000,
                1 << 47,
                usize::MAX & !0xFFFF,
                0xFFFF,
            ]),
            _ => 0,
        }
    }

    /// An address for `UnmapViewOfFile` / `FlushViewOfFile`.
    fn view_addr(&mut self) -> usize {
        let v = self.live_view();
        match (self.inp.u8() % 10, v) {
            (0 | 1, Some(i)) => self.views[i].base,
            (2 | 3, Some(i)) => {
                self.views[i].base + self.inp.u32() as usize % self.views[i].min_len
            }
            (4, Some(i)) => self.views[i].base.wrapping_add(self.inp.u32() as usize),
            (5, _) => self.stale_addr(),
            (7, _) => self.inp.pick(&[
                1,
                0xFFFF,
                0x10000,
                1 << 47,
                usize::MAX,
                usize::MAX & !0xFFFF,
            ]),
            (8, _) => self.buf.as_ptr() as usize + usize::from(self.inp.u16()) % BUF,
            (9, _) => self.inp.u64() as usize,
            _ => 0,
        }
    }

    fn classify(&self, a: usize) -> Addr {
        let pred = self
            .views
            .iter()
            .enumerate()
            .filter(|(_, v)| v.base <= a)
            .max_by_key(|(_, v)| v.base);
        let Some((i, v)) = pred else {
            return Addr::Outside;
        };
        let off = a - v.base;
        match v.max_len {
            Some(m) if off < m => Addr::Inside(i),
            Some(_) => Addr::Outside,
            None if off < v.min_len => Addr::Inside(i),
            None => Addr::Maybe(i),
        }
    }

    /// Writes (if writable) and reads `n` bytes at `off` of view `i`, within the size the
    /// program asked for.
    fn touch(&self, i: usize, off: usize, n: usize, seed: u8) {
        let v = &self.views[i];
        let off = off % v.min_len;
        let n = n.min(v.min_len - off).min(256);
        trace!(
            "touch view {:#x} at +{off:#x}, {n} bytes ({})",
            v.base,
            if v.writable {
                "write, read"
            } else if v.readable {
                "read"
            } else {
                "none"
            }
        );
        let p = (v.base + off) as *mut u8;
        let mut got = [0u8; 256];
        if v.writable {
            let data: [u8; 256] = std::array::from_fn(|k| seed.wrapping_add(k as u8));
            // SAFETY: [p, p + n) lies inside a live view that MapViewOfFile(Ex) returned for at
            // least `min_len` bytes with FILE_MAP_WRITE or FILE_MAP_COPY access; nothing else
            // refers to that memory (the program is single-threaded).
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, n) };
            // SAFETY: as above; the view is readable.
            unsafe { std::ptr::copy_nonoverlapping(p, got.as_mut_ptr(), n) };
            assert_eq!(got[..n], data[..n], "a view did not keep what was written");
        } else if v.readable {
            // SAFETY: [p, p + n) lies inside a live view that MapViewOfFile(Ex) returned for at
            // least `min_len` bytes with read access.
            unsafe { std::ptr::copy_nonoverlapping(p, got.as_mut_ptr(), n) };
        }
    }

    /// Reads the first byte of every readable live view (after an `UnmapViewOfFile` that
    /// failed: nothing may have been unmapped).
    fn all_views_mapped(&self) {
        for (i, v) in self.views.iter().enumerate() {
            if v.readable {
                self.touch(i, 0, 1, 0);
            }
        }
    }

    fn step(&mut self) {
        let op = self.inp.u8();
        if op >= 248 {
            // (kept out of `% 32` so that the committed corpus decodes as before)
            return self.crt(op - 248);
        }
        match op % 32 {
            0 | 1 => self.create_mapping(),
            2 => self.open_mapping(),
            3 | 4 => self.map_view(),
            5 => self.unmap_view(),
            6 => self.flush_view(),
            7 => {
                if let Some(i) = self.live_view() {
                    let off = self.inp.u32() as usize;
                    let n = usize::from(self.inp.u16());
                    let seed = self.inp.u8();
                    self.touch(i, off, n, seed);
                }
            }
            8 | 9 => self.close_handle(),
            10 => self.duplicate_handle(),
            11 => self.create_sync(Kind::Mutex),
            12 => self.create_sync(Kind::Event),
            13 => self.create_sync(Kind::Semaphore),
            14 => self.open_sync(),
            15 => self.signal(),
            16 => self.release_semaphore(),
            17 => self.wait_one(),
            18 => self.wait_multiple(),
            19 => self.signal_and_wait(),
            20 | 21 => self.create_file(),
            22 => self.read_file(),
            23 => self.write_file(),
            24 => self.set_file_pointer(),
            25 => self.file_size(),
            26 => self.set_end_of_file(),
            27 => self.flush_file(),
            28 => self.delete_file(),
            29 => self.get_overlapped_result(),
            30 => self.handle_information(),
            _ => {
                // A pseudo handle is closed, duplicated and waited on like any other value.
                let h = if self.inp.bool() {
                    ht::GetCurrentProcess()
                } else {
                    ht::GetCurrentThread()
                };
                trace!("CloseHandle({h:p})");
                let (r, err) = call(|| ht::CloseHandle(h));
                assert!(boolean("CloseHandle(pseudo)", r, err));
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // The MSVC C runtime extras and StrSafe (argument handling; no handles involved)

    /// A NUL-terminated string from the input (up to 80 bytes, no inner NUL), or `None` (NULL).
    fn crt_string(&mut self) -> Option<Vec<u8>> {
        if self.inp.rarely(8) {
            return None;
        }
        let n = usize::from(self.inp.u8() % 81);
        let mut v: Vec<u8> = (0..n).map(|_| self.inp.u8().max(1)).collect();
        v.push(0);
        Some(v)
    }

    /// One call of a CRT or StrSafe function with NULL, empty, short, exact and long arguments:
    /// the result is the documented one (checked against a model), bytes past the size given
    /// are never written, and a failure leaves the documented empty string.
    fn crt(&mut self, which: u8) {
        const GUARD: u8 = 0xA5;
        let size = match self.inp.u8() % 4 {
            0 => 0,
            1 => usize::from(self.inp.u8() % 8),
            _ => usize::from(self.inp.u8() % 65),
        };
        let null_dst = self.inp.rarely(10);
        let src = self.crt_string();
        let prefix = usize::from(self.inp.u8() % 8).min(size.saturating_sub(1));
        let mut buf = [GUARD; 128];
        buf[..prefix].fill(b'p');
        if size > 0 {
            buf[prefix] = 0;
        }
        let dst: *mut c_char = if null_dst {
            null_mut()
        } else {
            buf.as_mut_ptr().cast()
        };
        let sp: *const c_char = src.as_ref().map_or(null(), |v| v.as_ptr().cast());
        let slen = src.as_ref().map(|v| v.len() - 1);
        let (einval, erange) = (libc::EINVAL, libc::ERANGE);
        trace!("crt {which} size {size} null_dst {null_dst} src {slen:?} prefix {prefix}");
        match which % 8 {
            0 => {
                // SAFETY: `dst` is NULL or holds 128 >= `size` bytes; `sp` NULL or a C string.
                let r = unsafe { crt::strcpy_s(dst, size, sp) };
                let want = match (null_dst || size == 0, slen) {
                    (true, _) => einval,
                    (false, None) => einval,
                    (false, Some(n)) if n >= size => erange,
                    _ => 0,
                };
                assert_eq!(r, want, "strcpy_s");
                if r == 0 {
                    assert_eq!(&buf[..=slen.unwrap()], src.as_deref().unwrap());
                } else if !null_dst && size > 0 {
                    assert_eq!(buf[0], 0, "strcpy_s failure empties the buffer");
                }
            }
            1 => {
                // SAFETY: as above; the buffer holds a terminated prefix when `size` > 0.
                let r = unsafe { crt::strcat_s(dst, size, sp) };
                let want = match (null_dst || size == 0, slen) {
                    (true, _) => einval,
                    (false, None) => einval,
                    (false, Some(n)) if prefix + n >= size => erange,
                    _ => 0,
                };
                assert_eq!(r, want, "strcat_s");
                if r == 0 {
                    assert_eq!(
                        &buf[prefix..=prefix + slen.unwrap()],
                        src.as_deref().unwrap()
                    );
                } else if !null_dst && size > 0 {
                    assert_eq!(buf[0], 0, "strcat_s failure empties the buffer");
                }
            }
            2 => {
                let count = match self.inp.u8() % 3 {
                    0 => crt::TRUNCATE,
                    _ => usize::from(self.inp.u8() % 90),
                };
                // SAFETY: as above; `sp` is a C string (read up to its NUL or `count`).
                let r = unsafe { crt::strncpy_s(dst, size, sp, count) };
                let n = slen.map(|l| l.min(count));
                let want = match (null_dst, size, count, n) {
                    (true, 0, 0, _) => 0,
                    (true, _, _, _) | (_, 0, _, _) => einval,
                    (false, _, 0, _) => 0,
                    (false, _, _, None) => einval,
                    (false, _, c, Some(n)) if n >= size => {
                        if c == crt::TRUNCATE {
                            crt::STRUNCATE
                        } else {
                            erange
                        }
                    }
                    _ => 0,
                };
                assert_eq!(r, want, "strncpy_s");
            }
            3 => {
                buf.fill(GUARD); // no narrow prefix here
                let dst_w: *mut u16 = if null_dst {
                    null_mut()
                } else {
                    buf.as_mut_ptr().cast()
                };
                let sw: Option<Vec<u16>> = src
                    .as_ref()
                    .map(|v| v.iter().map(|&b| u16::from(b)).collect());
                let spw: *const u16 = sw.as_ref().map_or(null(), |v| v.as_ptr());
                let cch = size / 2;
                // SAFETY: `dst_w` NULL or 64 >= `cch` units; `spw` NULL or NUL-terminated.
                let r = unsafe { strsafe::StringCchCopyW(dst_w, cch, spw) };
                let want = match (null_dst || cch == 0, slen) {
                    (true, _) | (false, None) => strsafe::STRSAFE_E_INVALID_PARAMETER,
                    (false, Some(n)) if n >= cch => strsafe::STRSAFE_E_INSUFFICIENT_BUFFER,
                    _ => strsafe::S_OK,
                };
                assert_eq!(r, want, "StringCchCopyW");
                if let (false, true, Some(l)) = (null_dst, cch > 0, slen) {
                    let n = l.min(cch - 1);
                    assert_eq!(u16::from_le_bytes([buf[2 * n], buf[2 * n + 1]]), 0);
                }
                assert!(
                    buf[2 * cch..].iter().all(|&b| b == GUARD),
                    "StringCchCopyW overran"
                );
                return;
            }
            4 => {
                // SAFETY: `dst` NULL or 128 >= `size` bytes; `sp` NULL or a C string.
                let r = unsafe { strsafe::StringCchCatA(dst, size, sp) };
                let want = match (null_dst || size == 0, slen) {
                    (true, _) | (false, None) => strsafe::STRSAFE_E_INVALID_PARAMETER,
                    (false, Some(n)) if prefix + n >= size => {
                        strsafe::STRSAFE_E_INSUFFICIENT_BUFFER
                    }
                    _ => strsafe::S_OK,
                };
                assert_eq!(r, want, "StringCchCatA");
                if !null_dst && size > 0 {
                    assert!(buf[..size].contains(&0), "StringCchCatA left no NUL");
                }
            }
            5 => {
                let v = self.inp.u64() as i64;
                let radix = self.inp.pick(&[10, 16, 2, 36, 0, 1, 37, -1]);
                // SAFETY: `dst` NULL or 128 >= `size` bytes.
                let r = unsafe { crt::_i64toa_s(v, dst, size, radix) };
                let text = radix_text(v, radix);
                let want = if null_dst || size == 0 || !(2..=36).contains(&radix) {
                    einval
                } else if text.len() < size {
                    0
                } else {
                    erange
                };
                assert_eq!(r, want, "_i64toa_s({v}, {size}, {radix})");
                if r == 0 {
                    assert_eq!(&buf[..text.len()], text.as_bytes());
                    assert_eq!(buf[text.len()], 0);
                } else if !null_dst && size > 0 {
                    assert_eq!(buf[0], 0, "_i64toa_s failure empties the buffer");
                }
            }
            6 => {
                let other = self.crt_string();
                let op = other.as_ref().map_or(null(), |v| v.as_ptr().cast());
                // SAFETY: NULL or C strings.
                let r = unsafe { crt::_stricmp(sp, op) };
                match (&src, &other) {
                    (Some(a), Some(b)) => {
                        let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
                        assert_eq!(r.signum(), (a.cmp(&b) as i32).signum(), "_stricmp");
                    }
                    _ => assert_eq!(r, crt::NLSCMPERROR, "_stricmp(NULL)"),
                }
                return;
            }
            _ => {
                let t: libc::time_t = match self.inp.u8() % 4 {
                    0 => -1,
                    1 => i64::MAX,
                    2 => 32_535_244_800,
                    _ => i64::from(self.inp.u32()),
                };
                let mut tm: libc::tm = unsafe_zeroed_tm();
                let null_t = self.inp.rarely(5);
                let tp: *const libc::time_t = if null_t { null() } else { &t };
                // SAFETY: `tm` writable; `tp` NULL or readable.
                let r = unsafe { crt::localtime_s(&mut tm, tp) };
                let ok = !null_t && (0..=32_535_244_799).contains(&t);
                assert_eq!(r, if ok { 0 } else { einval }, "localtime_s({t})");
                // SAFETY: `buf` holds 128 >= `size` bytes.
                let r = unsafe { crt::asctime_s(dst, size, &tm) };
                assert!(r == 0 || r == einval || r == erange, "asctime_s: {r}");
            }
        }
        if !null_dst {
            assert!(
                buf[size..].iter().all(|&b| b == GUARD),
                "crt op {which} wrote past the size"
            );
        }
    }

    // -----------------------------------------------------------------------------------------
    // Sections and views

    fn create_mapping(&mut self) {
        let file = match self.inp.u8() % 4 {
            0 | 1 => ht::GetCurrentProcess(),
            2 => null_mut(),
            _ => self.choose_handle(&[Kind::File]),
        };
        let t = self.resolve(file);
        let pagefile = file.is_null() || file == ht::GetCurrentProcess();
        let protect = self.protect();
        let (hi, lo) = self.section_size(self.kind(t) == Some(Kind::File));
        let name = self.name();
        trace!("CreateFileMapping({file:p}, {protect:#x}, {hi:#x}, {lo:#x}, {name:?})");
        let (h, err) = call(|| {
            // SAFETY: the name is NULL or NUL-terminated; the attributes pointer may be NULL.
            unsafe {
                if name.is_wide() {
                    se::CreateFileMappingW(file, null(), protect, hi, lo, name.w())
                } else {
                    se::CreateFileMappingA(file, null(), protect, hi, lo, name.a())
                }
            }
        });
        let what = "CreateFileMapping";
        if !pagefile && self.kind(t) != Some(Kind::File) {
            assert!(
                h.is_null(),
                "{what} succeeded on file handle {file:p} ({t:?})"
            );
        }
        if pagefile && hi == 0 && lo == 0 {
            assert!(
                h.is_null(),
                "{what} made a pagefile-backed section of size 0"
            );
        }
        self.new_handle(what, h, err, Kind::Mapping, true, null_mut());
    }

    fn open_mapping(&mut self) {
        let access = self.inp.flags(MAP_ACCESS);
        let inherit = self.inp.i32();
        let name = self.name();
        trace!("OpenFileMapping({access:#x}, {inherit}, {name:?})");
        let (h, err) = call(|| {
            // SAFETY: the name is NULL or NUL-terminated.
            unsafe {
                if name.is_wide() {
                    se::OpenFileMappingW(access, inherit, name.w())
                } else {
                    se::OpenFileMappingA(access, inherit, name.a())
                }
            }
        });
        if name.is_null() {
            assert!(h.is_null(), "OpenFileMapping(NULL) succeeded");
        }
        if self.new_handle("OpenFileMapping", h, err, Kind::Mapping, false, null_mut())
            && inherit != 0
        {
            self.handles.last_mut().expect("just entered").flags = HANDLE_FLAG_INHERIT;
        }
    }

    fn map_view(&mut self) {
        let m = self.choose_handle(&[Kind::Mapping]);
        let t = self.resolve(m);
        let access = self.inp.flags(MAP_ACCESS);
        let (oh, ol) = self.view_offset();
        let bytes = self.view_bytes();
        let base = if self.inp.bool() { self.base_addr() } else { 0 };
        let plain = base == 0 && self.inp.bool();
        trace!("MapViewOfFile(Ex)({m:p}, {access:#x}, {oh:#x}, {ol:#x}, {bytes:#x}, {base:#x})");
        let what = "MapViewOfFile(Ex)";
        let (p, err) = call(|| {
            if plain {
                se::MapViewOfFile(m, access, oh, ol, bytes)
            } else {
                se::MapViewOfFileEx(m, access, oh, ol, bytes, base as *mut c_void)
            }
        });
        self.on(what, t, &[Kind::Mapping], !p.is_null(), err);
        if p.is_null() {
            failed(what, err);
            return;
        }
        untouched(what, err);
        let a = p as usize;
        if base != 0 {
            assert_eq!(a, base, "{what} ignored the base address");
        }
        assert_eq!(a % 0x10000, 0, "{what} returned {p:p}");
        assert_eq!(ol % 0x10000, 0, "{what} accepted offset {ol:#x}");
        let min_len = bytes.max(1);
        assert!(
            a.checked_add(min_len).is_some(),
            "{what}: {p:p} + {bytes:#x} wraps"
        );
        for v in &self.views {
            assert!(
                a + min_len <= v.base || v.base + v.min_len <= a,
                "{what}: the view at {p:p} overlaps the live view at {:#x}",
                v.base
            );
        }
        // Windows' rule (kernel32's MapViewOfFileEx), on the COPY/WRITE/READ bits: WRITE is
        // read/write, COPY alone (or with FILE_MAP_EXECUTE; not with SECTION_MAP_EXECUTE)
        // copy-on-write, READ (also READ | COPY) read-only, nothing no access.
        let rw = access & (FILE_MAP_READ | FILE_MAP_WRITE | FILE_MAP_COPY | SECTION_MAP_EXECUTE);
        let readable = rw & (FILE_MAP_READ | FILE_MAP_WRITE) != 0 || rw == FILE_MAP_COPY;
        let writable = rw & FILE_MAP_WRITE != 0 || rw == FILE_MAP_COPY;
        let max_len = (bytes != 0).then(|| bytes.div_ceil(4096) * 4096);
        self.views.push(View {
            base: a,
            min_len,
            max_len,
            readable,
            writable,
        });
        let i = self.views.len() - 1;
        let seed = self.inp.u8();
        self.touch(i, 0, 1, seed);
        self.touch(i, min_len - 1, 1, seed);
    }

    fn unmap_view(&mut self) {
        let a = self.view_addr();
        trace!("UnmapViewOfFile({a:#x})");
        let expect = self.classify(a);
        // SAFETY: the program touches a view only while it is in `self.views`; an address that
        // names a view removes it from there below.
        let (r, err) = call(|| unsafe { se::UnmapViewOfFile(a as *const c_void) });
        let what = "UnmapViewOfFile";
        if r == FALSE {
            failed(what, err);
            assert_eq!(err, ERROR_INVALID_ADDRESS, "{what}({a:#x})");
            assert!(
                !matches!(expect, Addr::Inside(_)),
                "{what}({a:#x}) failed inside a live view"
            );
            self.all_views_mapped();
            return;
        }
        assert!(boolean(what, r, err));
        match expect {
            Addr::Inside(i) | Addr::Maybe(i) => {
                let v = self.views.swap_remove(i);
                self.stale.push(v.base);
            }
            Addr::Outside => panic!("{what}({a:#x}) succeeded outside every view"),
        }
    }

    fn flush_view(&mut self) {
        let a = self.view_addr();
        let n = match self.inp.u8() % 5 {
            0 => 0,
            1 => self.inp.pick(&[1, 4095, 4096, 65536, usize::MAX]),
            2 => usize::from(self.inp.u16()),
            _ => self.inp.u64() as usize,
        };
        trace!("FlushViewOfFile({a:#x}, {n:#x})");
        let (r, err) = call(|| se::FlushViewOfFile(a as *const c_void, n));
        let ok = boolean("FlushViewOfFile", r, err);
        if let Addr::Outside = self.classify(a) {
            assert!(!ok, "FlushViewOfFile({a:#x}) succeeded outside every view");
            assert_eq!(err, ERROR_INVALID_ADDRESS);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Handles

    /// Releases a mutex as often as this thread holds it (`ReleaseMutex` until it fails).
    ///
    /// The program releases what it owns before most closes and at the end, and closes owned
    /// mutexes only rarely: closing the last handle of an owned mutex used to leave a mapping
    /// behind each time (fixed; see fuzz/README.md), which over millions of inputs exhausted
    /// the process's map count.
    fn release_fully(h: Handle) {
        for _ in 0..100_000 {
            if sy::ReleaseMutex(h) == FALSE {
                break;
            }
        }
    }

    /// [`Self::release_fully`] on every live mutex handle (before every handle is closed).
    fn release_live_mutexes(&self) {
        for e in self
            .handles
            .iter()
            .filter(|e| e.live && e.kind == Kind::Mutex)
        {
            Self::release_fully(e.h as Handle);
        }
    }

    fn close_handle(&mut self) {
        let h = self.choose_handle(&[]);
        let t = self.resolve(h);
        if self.kind(t) == Some(Kind::Mutex) && !self.inp.rarely(32) {
            Self::release_fully(h);
        }
        trace!("CloseHandle({h:p})");
        let (r, err) = call(|| ht::CloseHandle(h));
        let ok = boolean("CloseHandle", r, err);
        match t {
            Target::Pseudo => assert!(ok, "CloseHandle({h:p}) of a pseudo handle failed"),
            Target::Live(i) if self.handles[i].flags & HANDLE_FLAG_PROTECT_FROM_CLOSE != 0 => {
                assert!(!ok, "CloseHandle({h:p}) of a protected handle succeeded");
                assert_eq!(err, ERROR_INVALID_HANDLE);
            }
            Target::Live(i) => {
                assert!(ok, "CloseHandle({h:p}) of a live handle failed");
                self.handles[i].live = false;
            }
            Target::Invalid => {
                assert!(!ok, "CloseHandle({h:p}) succeeded");
                assert_eq!(err, ERROR_INVALID_HANDLE);
            }
        }
    }

    /// `GetHandleInformation` / `SetHandleInformation` on any value: live handles carry the
    /// bits the model expects; other values (pseudo handles too) are `ERROR_INVALID_HANDLE`;
    /// a mask with unknown bits is `ERROR_INVALID_PARAMETER`.
    fn handle_information(&mut self) {
        let h = self.choose_handle(&[]);
        let t = self.resolve(h);
        if self.inp.bool() {
            let mut f = 0xdead_beef_u32;
            let null = self.inp.rarely(16);
            trace!("GetHandleInformation({h:p}, null={null})");
            let p: *mut u32 = if null { null_mut() } else { &mut f };
            // SAFETY: `p` is NULL or points to a writable DWORD.
            let (r, err) = call(|| unsafe { ht::GetHandleInformation(h, p) });
            let ok = boolean("GetHandleInformation", r, err);
            match t {
                Target::Live(i) if !null => {
                    assert!(ok, "GetHandleInformation({h:p}) of a live handle failed");
                    assert_eq!(f, self.handles[i].flags, "GetHandleInformation({h:p})");
                }
                Target::Live(_) => {
                    assert!(!ok);
                    assert_eq!(err, ERROR_INVALID_PARAMETER);
                }
                _ => {
                    assert!(!ok, "GetHandleInformation({h:p}) succeeded");
                    assert_eq!(err, ERROR_INVALID_HANDLE);
                }
            }
        } else {
            let mask = match self.inp.u8() % 5 {
                0 => self.inp.u32(),
                1 => HANDLE_FLAG_INHERIT,
                2 => HANDLE_FLAG_PROTECT_FROM_CLOSE,
                _ => HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE,
            };
            // Protection is set rarely, so that most handles stay closable.
            let mut flags = self.inp.u32();
            if !self.inp.rarely(4) {
                flags &= !HANDLE_FLAG_PROTECT_FROM_CLOSE;
            }
            trace!("SetHandleInformation({h:p}, {mask:#x}, {flags:#x})");
            let (r, err) = call(|| ht::SetHandleInformation(h, mask, flags));
            let ok = boolean("SetHandleInformation", r, err);
            let known = HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE;
            match t {
                Target::Live(i) if mask & !known == 0 => {
                    assert!(ok, "SetHandleInformation({h:p}) of a live handle failed");
                    let e = &mut self.handles[i];
                    e.flags = (e.flags & !mask) | (flags & mask);
                }
                Target::Live(_) => {
                    assert!(!ok, "SetHandleInformation with mask {mask:#x} succeeded");
                    assert_eq!(err, ERROR_INVALID_PARAMETER);
                }
                _ => {
                    assert!(!ok, "SetHandleInformation({h:p}) succeeded");
                    assert_eq!(err, ERROR_INVALID_HANDLE);
                }
            }
        }
    }

    /// Makes every live handle closable again (the end of an input).
    fn unprotect_all(&mut self) {
        for e in self.handles.iter_mut().filter(|e| e.live) {
            if e.flags & HANDLE_FLAG_PROTECT_FROM_CLOSE != 0 {
                ht::SetHandleInformation(e.h as Handle, HANDLE_FLAG_PROTECT_FROM_CLOSE, 0);
                e.flags &= !HANDLE_FLAG_PROTECT_FROM_CLOSE;
            }
        }
    }

    /// `OpenProcess` of this process (or of pid 0, no process, a random pid) with random rights:
    /// the handle and whether it has `PROCESS_DUP_HANDLE`, or None (checked errors).
    fn open_process(&mut self) -> Option<(Handle, bool)> {
        let own = std::process::id();
        let pid = match self.inp.u8() % 8 {
            0 => 0,
            1 => 0x7fff_fff0,
            2 => self.inp.u32(),
            _ => own,
        };
        let access = self.inp.flags(&[
            PROCESS_DUP_HANDLE,
            SYNCHRONIZE,
            PROCESS_QUERY_LIMITED_INFORMATION,
            PROCESS_QUERY_INFORMATION,
            PROCESS_ALL_ACCESS,
            PROCESS_TERMINATE,
        ]);
        let inherit = self.inp.i32();
        trace!("OpenProcess({access:#x}, {inherit}, {pid})");
        let (h, err) = call(|| ht::OpenProcess(access, inherit, pid));
        if pid == 0 || pid == 0x7fff_fff0 {
            assert!(h.is_null(), "OpenProcess({pid}) succeeded");
            assert_eq!(err, ERROR_INVALID_PARAMETER, "OpenProcess({pid})");
            return None;
        }
        if pid == own {
            assert!(
                !h.is_null(),
                "OpenProcess(own pid, {access:#x}) failed: {err}"
            );
            let mut code = 0u32;
            // SAFETY: `code` is writable.
            let (r, err) = call(|| unsafe { ht::GetExitCodeProcess(h, &mut code) });
            let query = PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION;
            if access & (query | GENERIC_ALL | MAXIMUM_ALLOWED | GENERIC_EXECUTE) != 0 {
                assert!(
                    r != 0 && code == STILL_ACTIVE,
                    "GetExitCodeProcess(self): {err}"
                );
            } else {
                assert_eq!(
                    (r, err),
                    (0, ERROR_ACCESS_DENIED),
                    "GetExitCodeProcess(self)"
                );
            }
            let dup = access & (PROCESS_DUP_HANDLE | GENERIC_ALL | MAXIMUM_ALLOWED) != 0;
            return Some((h, dup));
        }
        if h.is_null() {
            assert!(
                err == ERROR_INVALID_PARAMETER || err == ERROR_ACCESS_DENIED,
                "OpenProcess({pid}) failed with {err}"
            );
        } else {
            ht::CloseHandle(h);
        }
        None
    }

    fn duplicate_handle(&mut self) {
        let me = ht::GetCurrentProcess();
        // A handle of this process instead of GetCurrentProcess(): the same process.
        let own = if self.inp.rarely(6) {
            self.open_process()
        } else {
            None
        };
        let own_first = self.inp.bool();
        let sp = match own {
            Some((h, _)) if own_first => h,
            _ if self.inp.rarely(8) => self.choose_handle(&[]),
            _ => me,
        };
        let src = self.choose_handle(&[]);
        let tp = match own {
            Some((h, _)) if !own_first => h,
            _ if self.inp.rarely(8) => self.choose_handle(&[]),
            _ => me,
        };
        let (r, err) = self.duplicate_with(sp, src, tp, me);
        if let Some((h, dup)) = own {
            let other = if own_first { tp } else { sp };
            if !dup && (other == me || own_first) {
                assert_eq!(
                    (r, err),
                    (0, ERROR_ACCESS_DENIED),
                    "DuplicateHandle without PROCESS_DUP_HANDLE"
                );
            }
            ht::CloseHandle(h);
        }
    }

    fn duplicate_with(&mut self, sp: Handle, src: Handle, tp: Handle, me: Handle) -> (i32, u32) {
        let own_pid = std::process::id();
        let is_own = |p: Handle| {
            p == me
                || matches!(ht::get(p).as_deref(), Ok(fmap_win32::abi::table::Obj::Process(t, false, rights))
                    if t.id.load(Ordering::SeqCst) == own_pid && rights & PROCESS_DUP_HANDLE != 0)
        };
        let (sp_own, tp_own) = (is_own(sp), is_own(tp));
        let with_target = !self.inp.rarely(8);
        let access = match self.inp.u8() % 3 {
            0 => self.inp.flags(SYNC_ACCESS),
            1 => self.inp.flags(MAP_ACCESS),
            _ => self.inp.flags(FILE_ACCESS),
        };
        let inherit = self.inp.i32();
        let options = match self.inp.u8() % 6 {
            0 => self.inp.u32(),
            1 => 0,
            2 => DUPLICATE_SAME_ACCESS,
            3 => DUPLICATE_CLOSE_SOURCE,
            _ => DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE,
        };
        let t = self.resolve(src);
        let mut out: Handle = 0x5A5A_5A58 as Handle;
        let target: *mut Handle = if with_target { &mut out } else { null_mut() };
        trace!("DuplicateHandle({sp:p}, {src:p}, {tp:p}, {target:p}, {access:#x}, {inherit}, {options:#x})");
        // SAFETY: `target` is NULL or points to a writable HANDLE.
        let (r, err) =
            call(|| unsafe { ht::DuplicateHandle(sp, src, tp, target, access, inherit, options) });
        let what = "DuplicateHandle";
        let ok = boolean(what, r, err);
        if !sp_own || !tp_own {
            assert!(!ok, "{what} succeeded with process handles {sp:p}, {tp:p}");
            return (r, err);
        }
        self.on(
            what,
            t,
            &[
                Kind::Mapping,
                Kind::Mutex,
                Kind::Event,
                Kind::Semaphore,
                Kind::File,
            ],
            ok,
            err,
        );
        let Target::Live(i) = t else { return (r, err) };
        let kind = self.handles[i].kind;
        let (src_rights, src_overlapped) = (self.handles[i].rights, self.handles[i].overlapped);
        // A file handle's duplicate has exactly the rights asked for, never more than the
        // source's.
        let same = options & DUPLICATE_SAME_ACCESS != 0;
        let mut rights = src_rights;
        if kind == Kind::File && !same && access & (MAXIMUM_ALLOWED | ACCESS_SYSTEM_SECURITY) == 0 {
            rights = file_rights(access);
            let known =
                FILE_ALL_ACCESS | GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL;
            if rights & !src_rights != 0 || access & !known != 0 {
                assert!(
                    !ok,
                    "{what} of a file with {access:#x} > {src_rights:#x} succeeded"
                );
                assert_eq!(
                    err, ERROR_ACCESS_DENIED,
                    "{what} of a file beyond its rights"
                );
            }
        }
        if options & DUPLICATE_CLOSE_SOURCE != 0 {
            self.handles[i].live = false;
        }
        if ok && with_target {
            assert_ne!(
                out as usize & !3,
                src as usize & !3,
                "{what} returned its source"
            );
            if self.new_handle(what, out, err, kind, false, null_mut()) {
                let e = self.handles.last_mut().expect("just entered");
                // The duplicate's flags are its bInheritHandle, never the source's.
                e.flags = if inherit != 0 { HANDLE_FLAG_INHERIT } else { 0 };
                if kind == Kind::File {
                    e.rights = rights;
                    e.overlapped = src_overlapped;
                }
            }
        }
        (r, err)
    }

    // -----------------------------------------------------------------------------------------
    // Synchronization objects

    fn create_sync(&mut self, kind: Kind) {
        let a = self.inp.i32();
        let b = self.inp.i32();
        let name = self.name();
        trace!("Create{kind:?}({a}, {b}, {name:?})");
        let (h, err) = call(|| {
            // SAFETY: the name is NULL or NUL-terminated; the attributes pointer may be NULL.
            unsafe {
                match (kind, name.is_wide()) {
                    (Kind::Mutex, false) => sy::CreateMutexA(null(), a, name.a()),
                    (Kind::Mutex, true) => sy::CreateMutexW(null(), a, name.w()),
                    (Kind::Event, false) => sy::CreateEventA(null(), a, b, name.a()),
                    (Kind::Event, true) => sy::CreateEventW(null(), a, b, name.w()),
                    (_, false) => sy::CreateSemaphoreA(null(), a, b, name.a()),
                    (_, true) => sy::CreateSemaphoreW(null(), a, b, name.w()),
                }
            }
        });
        let what = format!("Create{kind:?}");
        if kind == Kind::Semaphore && (b <= 0 || a < 0 || a > b) {
            assert!(h.is_null(), "{what}(initial {a}, maximum {b}) succeeded");
        }
        self.new_handle(&what, h, err, kind, true, null_mut());
    }

    fn open_sync(&mut self) {
        let kind = self.inp.pick(SYNC);
        let access = self.inp.flags(SYNC_ACCESS);
        let inherit = self.inp.i32();
        let name = self.name();
        trace!("Open{kind:?}({access:#x}, {inherit}, {name:?})");
        let (h, err) = call(|| {
            // SAFETY: the name is NULL or NUL-terminated.
            unsafe {
                match (kind, name.is_wide()) {
                    (Kind::Mutex, false) => sy::OpenMutexA(access, inherit, name.a()),
                    (Kind::Mutex, true) => sy::OpenMutexW(access, inherit, name.w()),
                    (Kind::Event, false) => sy::OpenEventA(access, inherit, name.a()),
                    (Kind::Event, true) => sy::OpenEventW(access, inherit, name.w()),
                    (_, false) => sy::OpenSemaphoreA(access, inherit, name.a()),
                    (_, true) => sy::OpenSemaphoreW(access, inherit, name.w()),
                }
            }
        });
        let what = format!("Open{kind:?}");
        if name.is_null() {
            assert!(h.is_null(), "{what}(NULL) succeeded");
        }
        if self.new_handle(&what, h, err, kind, false, null_mut()) && inherit != 0 {
            self.handles.last_mut().expect("just entered").flags = HANDLE_FLAG_INHERIT;
        }
    }

    fn signal(&mut self) {
        let (what, kind, f): (_, _, extern "C" fn(Handle) -> i32) = match self.inp.u8() % 4 {
            0 => ("SetEvent", Kind::Event, sy::SetEvent),
            1 => ("ResetEvent", Kind::Event, sy::ResetEvent),
            2 => ("PulseEvent", Kind::Event, sy::PulseEvent),
            _ => ("ReleaseMutex", Kind::Mutex, sy::ReleaseMutex),
        };
        let h = self.choose_handle(&[kind]);
        let t = self.resolve(h);
        trace!("{what}({h:p})");
        let (r, err) = call(|| f(h));
        let ok = boolean(what, r, err);
        self.on(what, t, &[kind], ok, err);
    }

    fn release_semaphore(&mut self) {
        let h = self.choose_handle(&[Kind::Semaphore]);
        let t = self.resolve(h);
        let count = self.inp.i32();
        let with_prev = self.inp.bool();
        let mut prev = -12345;
        let pp: *mut i32 = if with_prev { &mut prev } else { null_mut() };
        trace!("ReleaseSemaphore({h:p}, {count}, {pp:p})");
        // SAFETY: `pp` is NULL or points to a writable LONG.
        let (r, err) = call(|| unsafe { sy::ReleaseSemaphore(h, count, pp) });
        let what = "ReleaseSemaphore";
        let ok = boolean(what, r, err);
        self.on(what, t, &[Kind::Semaphore], ok, err);
        if count <= 0 {
            assert!(!ok, "{what}(count {count}) succeeded");
        }
        if ok && with_prev {
            assert!(
                (0..i32::MAX).contains(&prev),
                "{what}: previous count {prev}"
            );
        }
    }

    #[track_caller]
    fn wait_result(&self, what: &str, r: u32, err: u32, n: u32) -> bool {
        if r == WAIT_FAILED {
            failed(what, err);
            return false;
        }
        untouched(what, err);
        let ok = r < n
            || (WAIT_ABANDONED_0..WAIT_ABANDONED_0 + n).contains(&r)
            || r == WAIT_TIMEOUT
            || r == WAIT_IO_COMPLETION;
        assert!(ok, "{what} returned {r:#x}");
        true
    }

    fn wait_one(&mut self) {
        let h = self.choose_handle(SYNC);
        let t = self.resolve(h);
        trace!("WaitForSingleObject({h:p}, 0)");
        let (r, err) = call(|| sy::WaitForSingleObject(h, 0));
        let what = "WaitForSingleObject";
        let ok = self.wait_result(what, r, err, 1);
        match t {
            Target::Pseudo => assert_eq!(r, WAIT_TIMEOUT, "{what} on a pseudo handle"),
            _ => self.on(what, t, SYNC, ok, err),
        }
    }

    fn wait_multiple(&mut self) {
        let count: u32 = match self.inp.u8() % 8 {
            0 => 0,
            1 => self.inp.pick(&[65, 66, 128, 255, 0x8000_0000, u32::MAX]),
            2 => 64,
            _ => 1 + u32::from(self.inp.u8() % 64),
        };
        // Exactly `count` handles (at most 64: larger counts must be refused before the array
        // is read).
        let hs: Vec<Handle> = (0..count.min(64))
            .map(|_| self.choose_handle(SYNC))
            .collect();
        let null_array = self.inp.rarely(16);
        let all = self.inp.pick(&[0, 1, 1, 0, 2, -1]);
        let ts: Vec<Target> = hs.iter().map(|&h| self.resolve(h)).collect();
        let ptr = if null_array { null() } else { hs.as_ptr() };
        trace!("WaitForMultipleObjects({count}, {ptr:p} {hs:?}, {all}, 0)");
        // SAFETY: `ptr` is NULL or holds min(count, 64) handles, and counts over 64 are refused
        // before the array is read.
        let (r, err) = call(|| unsafe { sy::WaitForMultipleObjects(count, ptr, all, 0) });
        let what = "WaitForMultipleObjects";
        let ok = self.wait_result(what, r, err, count);
        if count == 0 || count > MAXIMUM_WAIT_OBJECTS || null_array {
            assert!(!ok, "{what}(count {count}) succeeded");
            assert_eq!(err, ERROR_INVALID_PARAMETER, "{what}(count {count})");
            return;
        }
        if ts
            .iter()
            .any(|&t| t == Target::Invalid || t == Target::Pseudo)
        {
            assert!(!ok, "{what} succeeded with an invalid handle");
            assert_eq!(err, ERROR_INVALID_HANDLE, "{what} with an invalid handle");
        }
        if ts
            .iter()
            .any(|&t| matches!(self.kind(t), Some(Kind::File | Kind::Mapping)))
        {
            assert!(!ok, "{what} succeeded on a file or section handle");
        }
    }

    fn signal_and_wait(&mut self) {
        let s = self.choose_handle(SYNC);
        let w = self.choose_handle(SYNC);
        let (ts, tw) = (self.resolve(s), self.resolve(w));
        let alertable = self.inp.i32();
        trace!("SignalObjectAndWait({s:p}, {w:p}, 0, {alertable})");
        let (r, err) = call(|| sy::SignalObjectAndWait(s, w, 0, alertable));
        let what = "SignalObjectAndWait";
        let ok = self.wait_result(what, r, err, 1);
        if ts == Target::Invalid || tw == Target::Invalid {
            assert!(!ok);
            assert_eq!(err, ERROR_INVALID_HANDLE, "{what} with an invalid handle");
        }
        if ts == Target::Pseudo || tw == Target::Pseudo {
            assert!(!ok, "{what} succeeded with a pseudo handle");
        }
        if matches!(self.kind(ts), Some(Kind::File | Kind::Mapping))
            || matches!(self.kind(tw), Some(Kind::File | Kind::Mapping))
        {
            assert!(!ok, "{what} succeeded on a file or section handle");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Files

    fn create_file(&mut self) {
        let path = self.path();
        let access = self.inp.flags(FILE_ACCESS);
        let share = if self.inp.rarely(8) {
            self.inp.u32()
        } else {
            u32::from(self.inp.u8() % 8)
        };
        let disposition = if self.inp.rarely(8) {
            self.inp.u32()
        } else {
            u32::from(self.inp.u8() % 7)
        };
        let flags = self.inp.flags(FILE_FLAGS);
        let template = if self.inp.rarely(8) {
            self.choose_handle(&[])
        } else {
            null_mut()
        };
        trace!("CreateFile({path:?}, {access:#x}, {share:#x}, {disposition}, {flags:#x}, {template:p})");
        let before = file_state(&path);
        let (h, err) = call(|| {
            // SAFETY: the path is NULL or NUL-terminated; the attributes pointer may be NULL.
            unsafe {
                if path.is_wide() {
                    fi::CreateFileW(
                        path.w(),
                        access,
                        share,
                        null(),
                        disposition,
                        flags,
                        template,
                    )
                } else {
                    fi::CreateFileA(
                        path.a(),
                        access,
                        share,
                        null(),
                        disposition,
                        flags,
                        template,
                    )
                }
            }
        });
        let invalid = ht::GetCurrentProcess(); // INVALID_HANDLE_VALUE
        if self.new_handle("CreateFile", h, err, Kind::File, true, invalid) {
            let e = self.handles.last_mut().expect("just entered");
            e.rights = file_rights(access) | SYNCHRONIZE | FILE_READ_ATTRIBUTES;
            e.overlapped = flags & FILE_FLAG_OVERLAPPED != 0;
        } else {
            assert_eq!(
                file_state(&path),
                before,
                "a failed CreateFile changed {path:?}"
            );
        }
    }

    fn io_len(&mut self) -> u32 {
        match self.inp.u8() % 4 {
            0 => 0,
            1 => BUF as u32,
            _ => u32::from(self.inp.u16()),
        }
    }

    fn read_file(&mut self) {
        self.file_io(false);
    }

    fn write_file(&mut self) {
        self.file_io(true);
    }

    /// `ReadFile` (`write` false) or `WriteFile` (`write` true): the same input is read in the
    /// same order for both, `WriteFile` then reads the seed of the bytes it writes.
    fn file_io(&mut self, write: bool) {
        let h = self.choose_handle(&[Kind::File]);
        let t = self.resolve(h);
        let n = self.io_len();
        let null_buf = self.inp.rarely(16);
        let with_count = self.inp.bool();
        let overlapped = self.inp.rarely(4);
        if write {
            let seed = self.inp.u8();
            for (k, b) in self.buf.iter_mut().enumerate().take(n as usize) {
                *b = seed.wrapping_add(k as u8);
            }
        }
        let mut count: u32 = 0xDEAD_BEEF;
        let mut ov = fi::Overlapped {
            internal: 0x5555,
            internal_high: 0x6666,
            offset: 0,
            offset_high: 0,
            event: null_mut(),
        };
        if overlapped {
            (ov.offset_high, ov.offset) = match self.inp.u8() % 6 {
                0 => (0, 0),
                1 => (0, u32::from(self.inp.u16())),
                2 => (u32::MAX, u32::MAX),
                3 => (0, self.inp.u32()),
                _ => (0, u32::from(self.inp.u8())),
            };
            if self.inp.rarely(4) {
                ov.event = self.choose_handle(&[Kind::Event]);
            }
        }
        let ev = self.resolve(ov.event);
        let cp: *mut u32 = if with_count { &mut count } else { null_mut() };
        let op: *mut fi::Overlapped = if overlapped { &mut ov } else { null_mut() };
        let bp: *mut c_void = if null_buf {
            null_mut()
        } else {
            self.buf.as_mut_ptr().cast()
        };
        let what = if write { "WriteFile" } else { "ReadFile" };
        trace!("{what}({h:p}, {bp:p}, {n}, {cp:p}, {op:p} {ov:?})");
        // SAFETY: `bp` is NULL or holds BUF >= n readable and writable bytes; `cp` is NULL or
        // writable; `op` is NULL or a readable and writable OVERLAPPED.
        let (r, err) = call(|| unsafe {
            if write {
                fi::WriteFile(h, bp.cast_const(), n, cp, op)
            } else {
                fi::ReadFile(h, bp, n, cp, op)
            }
        });
        let ok = boolean(what, r, err);
        self.on(what, t, &[Kind::File], ok, err);
        if null_buf && n > 0 {
            let dir = if write { "from" } else { "into" };
            assert!(!ok, "{what} {dir} NULL succeeded");
        }
        if let Target::Live(i) = t {
            let e = &self.handles[i];
            let need = if write {
                FILE_WRITE_DATA | FILE_APPEND_DATA
            } else {
                FILE_READ_DATA
            };
            if e.kind == Kind::File && e.rights & need == 0 {
                assert!(!ok, "{what} without the right succeeded");
                assert_eq!(err, ERROR_ACCESS_DENIED, "{what} without the right");
            } else if e.kind == Kind::File && e.overlapped && !overlapped {
                assert!(
                    !ok,
                    "{what} on an overlapped handle without OVERLAPPED succeeded"
                );
                assert_eq!(err, ERROR_INVALID_PARAMETER);
            }
        }
        if overlapped && !ov.event.is_null() && matches!(self.kind(ev), Some(k) if k != Kind::Event)
        {
            assert!(
                !ok,
                "{what} with a {:?} as the OVERLAPPED's event succeeded",
                self.kind(ev)
            );
        }
        if with_count {
            if write && ok {
                assert_eq!(count, n, "{what} of {n} bytes reports {count}");
            } else {
                assert!(count <= n, "{what} of {n} bytes reports {count}");
            }
            if overlapped && !ok {
                assert_eq!(
                    count, 0,
                    "a failed {what} with an OVERLAPPED reports {count}"
                );
            }
        }
        if overlapped {
            // Completed at once: Internal is the status, InternalHigh the count; a failure
            // before the transfer leaves Internal at STATUS_PENDING.
            let st = ov.internal as u32;
            if ok {
                assert_eq!(st, fi::STATUS_SUCCESS, "{what}: Internal {st:#x}");
                if with_count {
                    assert_eq!(ov.internal_high, count as usize, "{what}: InternalHigh");
                }
            } else if err == ERROR_HANDLE_EOF {
                assert!(!write, "{what} failed with ERROR_HANDLE_EOF");
                assert_eq!(st, fi::STATUS_END_OF_FILE, "{what} at the end: Internal");
                assert_eq!(ov.internal_high, 0);
            }
            self.last_overlapped = Some((ov.internal, ov.internal_high));
        }
    }

    /// `GetOverlappedResult` on the last `OVERLAPPED` a read or write used (or a made-up one);
    /// `bWait` only when it cannot block (not `STATUS_PENDING`).
    fn get_overlapped_result(&mut self) {
        let h = self.choose_handle(&[Kind::File]);
        let (internal, high) = match self.last_overlapped {
            Some(v) if !self.inp.rarely(4) => v,
            _ => (
                self.inp
                    .pick(&[0u32, 0x103, 0xC000_0011, 0xC000_0022, 0x1234])
                    as usize,
                self.inp.u32() as usize,
            ),
        };
        let ov = fi::Overlapped {
            internal,
            internal_high: high,
            offset: 0,
            offset_high: 0,
            event: null_mut(),
        };
        let wait = i32::from(internal as u32 != STATUS_PENDING && self.inp.bool());
        let null_ov = self.inp.rarely(16);
        let op: *const fi::Overlapped = if null_ov { null() } else { &ov };
        let mut got = 0xABCDu32;
        trace!("GetOverlappedResult({h:p}, {op:p} {ov:?}, _, {wait})");
        // SAFETY: `op` is NULL or a readable OVERLAPPED; `got` is writable.
        let (r, err) = call(|| unsafe { fi::GetOverlappedResult(h, op, &mut got, wait) });
        let ok = boolean("GetOverlappedResult", r, err);
        if null_ov {
            assert!(
                !ok && err == ERROR_INVALID_PARAMETER,
                "GetOverlappedResult(NULL)"
            );
            return;
        }
        assert_eq!(
            ok,
            internal == 0,
            "GetOverlappedResult of status {internal:#x}"
        );
        if internal as u32 == STATUS_PENDING {
            assert_eq!(err, ERROR_IO_INCOMPLETE);
        } else {
            assert_eq!(got, high as u32, "GetOverlappedResult: bytes");
        }
        if internal as u32 == fi::STATUS_END_OF_FILE {
            assert_eq!(err, ERROR_HANDLE_EOF);
        }
    }

    /// The size of a live file handle's file (`GetFileSizeEx`).
    fn size(&self, t: Target, h: Handle) -> Option<i64> {
        if self.kind(t) != Some(Kind::File) {
            return None;
        }
        let mut size = -1i64;
        // SAFETY: `size` is a writable LARGE_INTEGER.
        let ok = unsafe { fi::GetFileSizeEx(h, &mut size) };
        (ok == TRUE).then_some(size)
    }

    /// The file pointer of a live file handle (`SetFilePointerEx(h, 0, &pos, FILE_CURRENT)`).
    fn position(&self, t: Target, h: Handle) -> Option<i64> {
        if self.kind(t) != Some(Kind::File) {
            return None;
        }
        let mut pos = -1i64;
        // SAFETY: `pos` is a writable LARGE_INTEGER.
        let ok = unsafe { fi::SetFilePointerEx(h, 0, &mut pos, FILE_CURRENT) };
        (ok == TRUE).then_some(pos)
    }

    fn set_file_pointer(&mut self) {
        let h = self.choose_handle(&[Kind::File]);
        let t = self.resolve(h);
        let before = self.position(t, h);
        let method = if self.inp.rarely(8) {
            self.inp.u32()
        } else {
            u32::from(self.inp.u8() % 4)
        };
        if self.inp.bool() {
            let low = self.inp.i32();
            let with_high = self.inp.bool();
            let mut high = self.inp.i32();
            let hp: *mut i32 = if with_high { &mut high } else { null_mut() };
            trace!("SetFilePointer({h:p}, {low}, {hp:p} ({high}), {method})");
            // SAFETY: `hp` is NULL or a readable and writable LONG.
            let (r, err) = call(|| unsafe { fi::SetFilePointer(h, low, hp, method) });
            let ok = dword("SetFilePointer", r, err);
            self.on("SetFilePointer", t, &[Kind::File], ok, err);
            let after = self.position(t, h);
            if !ok {
                assert_eq!(
                    after, before,
                    "a failed SetFilePointer moved the file pointer"
                );
            } else if let Some(now) = after {
                let reported = if with_high {
                    i64::from(high) << 32 | i64::from(r)
                } else {
                    i64::from(r)
                };
                assert_eq!(reported, now, "SetFilePointer reported another position");
            }
        } else {
            let distance = match self.inp.u8() % 4 {
                0 => self
                    .inp
                    .pick(&[0, 1, -1, i64::MAX, i64::MIN, 1 << 40, 1 << 62]),
                1 => i64::from(self.inp.i32()),
                _ => self.inp.u64() as i64,
            };
            let with_pos = self.inp.bool();
            let mut pos = -7i64;
            let pp: *mut i64 = if with_pos { &mut pos } else { null_mut() };
            trace!("SetFilePointerEx({h:p}, {distance}, {pp:p}, {method})");
            // SAFETY: `pp` is NULL or writable.
            let (r, err) = call(|| unsafe { fi::SetFilePointerEx(h, distance, pp, method) });
            let ok = boolean("SetFilePointerEx", r, err);
            self.on("SetFilePointerEx", t, &[Kind::File], ok, err);
            let after = self.position(t, h);
            if !ok {
                assert_eq!(
                    after, before,
                    "a failed SetFilePointerEx moved the file pointer"
                );
            } else if with_pos {
                assert!(pos >= 0, "SetFilePointerEx: new position {pos}");
                if let Some(now) = after {
                    assert_eq!(pos, now, "SetFilePointerEx reported another position");
                }
            }
        }
    }

    fn file_size(&mut self) {
        let h = self.choose_handle(&[Kind::File]);
        let t = self.resolve(h);
        let with_out = self.inp.bool();
        if self.inp.bool() {
            let mut high = 0xAAAA_AAAAu32;
            let hp: *mut u32 = if with_out { &mut high } else { null_mut() };
            trace!("GetFileSize({h:p}, {hp:p})");
            // SAFETY: `hp` is NULL or writable.
            let (r, err) = call(|| unsafe { fi::GetFileSize(h, hp) });
            let ok = dword("GetFileSize", r, err);
            self.on("GetFileSize", t, &[Kind::File], ok, err);
        } else {
            let mut size = -7i64;
            let sp: *mut i64 = if with_out { &mut size } else { null_mut() };
            trace!("GetFileSizeEx({h:p}, {sp:p})");
            // SAFETY: `sp` is NULL or writable.
            let (r, err) = call(|| unsafe { fi::GetFileSizeEx(h, sp) });
            let ok = boolean("GetFileSizeEx", r, err);
            self.on("GetFileSizeEx", t, &[Kind::File], ok, err);
            if ok && with_out {
                assert!(size >= 0, "GetFileSizeEx: {size}");
            }
        }
    }

    fn set_end_of_file(&mut self) {
        let h = self.choose_handle(&[Kind::File]);
        let t = self.resolve(h);
        trace!("SetEndOfFile({h:p})");
        let before = self.size(t, h);
        let (r, err) = call(|| fi::SetEndOfFile(h));
        let ok = boolean("SetEndOfFile", r, err);
        self.on("SetEndOfFile", t, &[Kind::File], ok, err);
        let after = self.size(t, h);
        if !ok {
            assert_eq!(
                after, before,
                "a failed SetEndOfFile changed the file's size"
            );
        } else if after.is_some() {
            assert_eq!(
                after,
                self.position(t, h),
                "SetEndOfFile: size is not the position"
            );
        }
    }

    fn flush_file(&mut self) {
        let h = self.choose_handle(&[Kind::File]);
        let t = self.resolve(h);
        trace!("FlushFileBuffers({h:p})");
        let (r, err) = call(|| fi::FlushFileBuffers(h));
        let ok = boolean("FlushFileBuffers", r, err);
        self.on("FlushFileBuffers", t, &[Kind::File], ok, err);
    }

    fn delete_file(&mut self) {
        let path = self.path();
        trace!("DeleteFile({path:?})");
        let before = file_state(&path);
        let (r, err) = call(|| {
            // SAFETY: the path is NULL or NUL-terminated.
            unsafe {
                if path.is_wide() {
                    fi::DeleteFileW(path.w())
                } else {
                    fi::DeleteFileA(path.a())
                }
            }
        });
        let ok = boolean("DeleteFile", r, err);
        if path.is_null() {
            assert!(!ok, "DeleteFile(NULL) succeeded");
        }
        if !ok {
            assert_eq!(
                file_state(&path),
                before,
                "a failed DeleteFile changed {path:?}"
            );
        }
    }

    // -----------------------------------------------------------------------------------------
    // The end

    fn finish(mut self) {
        trace!("end: unmap every view, close every handle");
        for v in std::mem::take(&mut self.views) {
            // SAFETY: the view is live and nothing refers to its memory any more.
            let (r, err) = call(|| unsafe { se::UnmapViewOfFile(v.base as *const c_void) });
            assert!(boolean("UnmapViewOfFile (end)", r, err), "{:#x}", v.base);
            self.stale.push(v.base);
        }
        self.release_live_mutexes();
        self.unprotect_all();
        for e in self.handles.iter_mut().filter(|e| e.live) {
            let (r, err) = call(|| ht::CloseHandle(e.h as Handle));
            assert!(
                boolean("CloseHandle (end)", r, err),
                "{:#x} ({:?})",
                e.h,
                e.kind
            );
            e.live = false;
        }
        // Nothing of ours is left in the handle table or the view registry.
        assert_eq!(
            fmap_win32::abi::table::live_handles(),
            0,
            "handles are still live after every handle was closed"
        );
        let max = MAX_HANDLE.load(Ordering::Relaxed);
        for v in (4..=max + 256).step_by(4) {
            assert!(
                ht::get(v as Handle).is_err(),
                "handle {v:#x} is still live after every handle was closed"
            );
        }
        for &a in &self.stale {
            // SAFETY: no view is live, so nothing can be unmapped.
            let (r, err) = call(|| unsafe { se::UnmapViewOfFile(a as *const c_void) });
            assert_eq!(r, FALSE, "a view at {a:#x} is still registered");
            assert_eq!(err, ERROR_INVALID_ADDRESS);
        }
        let e = env();
        for d in std::fs::read_dir(&e.ns).expect("read $FMAP_ROOT").flatten() {
            if !d.path().is_dir() {
                continue;
            }
            for f in std::fs::read_dir(d.path())
                .expect("read a namespace directory")
                .flatten()
            {
                assert_eq!(
                    f.file_name(),
                    ".lock",
                    "{} is left in the namespace after every handle was closed",
                    f.path().display()
                );
            }
        }
    }
}

impl Drop for Program<'_> {
    /// Undoes what is left: nothing after [`Program::finish`]; after a failed check (a panic)
    /// the views and handles of the failed input, so that the replay test goes on with the next
    /// input from a clean state. Then empties the files directory.
    fn drop(&mut self) {
        for v in std::mem::take(&mut self.views) {
            // SAFETY: the view is live and nothing refers to its memory any more.
            unsafe { se::UnmapViewOfFile(v.base as *const c_void) };
        }
        self.release_live_mutexes();
        self.unprotect_all();
        for e in self.handles.iter_mut().filter(|e| e.live) {
            ht::CloseHandle(e.h as Handle);
            e.live = false;
        }
        if let Ok(dir) = std::fs::read_dir(&env().files) {
            for f in dir.flatten() {
                let p = f.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
    }
}

/// An all-zero `struct tm`.
fn unsafe_zeroed_tm() -> libc::tm {
    // SAFETY: `tm` is plain data; all zeros is a valid value.
    unsafe { std::mem::zeroed() }
}

/// `v` as MSVC's `_i64toa` writes it: signed in radix 10, two's complement otherwise.
fn radix_text(v: i64, radix: i32) -> String {
    if !(2..=36).contains(&radix) {
        return String::new();
    }
    if radix == 10 {
        return v.to_string();
    }
    let (mut u, r) = (v as u64, radix as u64);
    let mut d = Vec::new();
    loop {
        d.push(char::from_digit((u % r) as u32, 36).unwrap());
        u /= r;
        if u == 0 {
            break;
        }
    }
    d.iter().rev().collect()
}
