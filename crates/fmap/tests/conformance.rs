//! In-process conformance tests for the file-mapping part of fmap, one test per rule of
//! `shared/reference/win32-semantics.md` §2 (names), §3 (handles), §4 (file mapping API) and
//! §11 (the checklist). Every failure is checked by `ErrorKind` *and* Win32 code.
//!
//! Each test makes its own namespace in a fresh directory under `/dev/shm` (tests run in
//! parallel threads; the default namespace is never used for objects) and its own temporary
//! directory for user files.

use fmap::win32::*;
use fmap::{
    unmap_view, Access, Disposition, ErrorKind, File, Mapping, MappingOptions, Namespace,
    Protection, Scope, View,
};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A private namespace in its own directory under /dev/shm.
struct Ns {
    dir: TempDir,
    ns: Namespace,
}

impl Ns {
    fn new() -> Ns {
        let dir = tempfile::tempdir_in("/dev/shm").unwrap();
        let ns = Namespace::at(dir.path());
        Ns { dir, ns }
    }

    /// Options bound to this namespace.
    fn opts<'a>(&self) -> MappingOptions<'a> {
        MappingOptions::new().namespace(&self.ns)
    }

    /// `CreateFileMapping(INVALID_HANDLE_VALUE, PAGE_READWRITE, size, name)`.
    fn create(&self, name: &str, size: u64) -> fmap::Result<Mapping> {
        self.opts().name(name).size(size).create()
    }

    fn open(&self, name: &str, access: Access) -> fmap::Result<Mapping> {
        Mapping::open_in(&self.ns, name, access)
    }

    /// Entries of the namespace root.
    fn root_entries(&self) -> Vec<String> {
        list_dir(self.dir.path())
    }

    /// Entries of the directory of `scope` (empty if it does not exist).
    fn scope_entries(&self, scope: Scope) -> Vec<String> {
        let p = self.ns.dir_path(scope);
        if p.exists() {
            list_dir(&p)
        } else {
            Vec::new()
        }
    }
}

/// A flProtect value and its expected outcome: the reported SEC_* flags, or the error.
type SecRow = (u32, Result<u32, (ErrorKind, u32)>);

fn list_dir(p: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn is_object_file(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks an error's kind, code, message and Display, and returns it.
#[track_caller]
fn expect_err<T: std::fmt::Debug>(r: fmap::Result<T>, kind: ErrorKind, code: u32) -> fmap::Error {
    match r {
        Ok(v) => panic!("expected {} ({code}), got Ok({v:?})", kind.win32_name()),
        Err(e) => {
            assert_eq!(e.kind(), kind, "wrong error kind: {e}");
            assert_eq!(e.win32_code(), code, "wrong Win32 code: {e}");
            assert_eq!(e.kind().win32_code(), code);
            assert!(!e.message().is_empty(), "empty message for {kind:?}");
            let shown = e.to_string();
            assert!(
                shown.contains(kind.win32_name()),
                "{shown:?} lacks {}",
                kind.win32_name()
            );
            assert!(
                shown.contains(&format!("({code})")),
                "{shown:?} lacks the code {code}"
            );
            e
        }
    }
}

fn rd(v: &View, off: usize, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    v.read(off, &mut b).unwrap();
    b
}

/// A directory for user files.
fn files() -> TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes `len` bytes of a recognisable pattern to `p`.
fn pattern_file(p: &Path, len: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
    std::fs::write(p, &data).unwrap();
    data
}

const RW: u32 = GENERIC_READ | GENERIC_WRITE;
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

fn open_file(p: &Path, access: u32, share: u32, disp: Disposition) -> fmap::Result<File> {
    File::open(p, access, share, disp).map(|(f, _)| f)
}

/// Tests that hand views to the address registry ([`View::into_raw`]) and unmap them by
/// address take this lock, so that one test's "second unmap" can never hit another test's
/// view that happens to reuse the freed address.
static RAW_VIEWS: Mutex<()> = Mutex::new(());

fn raw_lock() -> std::sync::MutexGuard<'static, ()> {
    RAW_VIEWS.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// §2.2 / §2.3 Names
// ---------------------------------------------------------------------------------------------

#[test]
fn local_prefix_is_the_bare_name() {
    let t = Ns::new();
    let a = t.create("Local\\x", 4096).unwrap();
    assert!(!a.already_existed());
    assert_eq!(a.name(), Some("Local\\x"));
    a.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"L")
        .unwrap();

    let b = t.create("x", 4096).unwrap();
    assert!(
        b.already_existed(),
        "bare x must be the same object as Local\\x"
    );
    assert_eq!(b.name(), Some("Local\\x"));
    assert_eq!(rd(&b.map_view(Access::READ, ..).unwrap(), 0, 1), b"L");

    let c = t.open("x", Access::READ).unwrap();
    assert_eq!(rd(&c.map_view(Access::READ, ..).unwrap(), 0, 1), b"L");
    let d = t.open("Local\\x", Access::READ).unwrap();
    assert_eq!(rd(&d.map_view(Access::READ, ..).unwrap(), 0, 1), b"L");
}

#[test]
fn global_is_distinct_from_local() {
    let t = Ns::new();
    let l = t.create("Local\\x", 4096).unwrap();
    l.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"L")
        .unwrap();

    // Not visible in the other scope until created there.
    expect_err(
        t.open("Global\\x", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );

    let g = t.create("Global\\x", 8192).unwrap();
    assert!(
        !g.already_existed(),
        "Global\\x must be a different object from Local\\x"
    );
    assert_eq!(g.name(), Some("Global\\x"));
    assert_eq!(g.size(), 8192);
    let gv = g.map_view(Access::WRITE, ..).unwrap();
    assert_eq!(rd(&gv, 0, 1), [0]);
    gv.write(0, b"G").unwrap();

    assert_eq!(
        rd(
            &t.open("Global\\x", Access::READ)
                .unwrap()
                .map_view(Access::READ, ..)
                .unwrap(),
            0,
            1
        ),
        b"G"
    );
    assert_eq!(
        rd(
            &t.open("x", Access::READ)
                .unwrap()
                .map_view(Access::READ, ..)
                .unwrap(),
            0,
            1
        ),
        b"L"
    );

    // Closing the local one does not affect the global one.
    drop(l);
    expect_err(
        t.open("Local\\x", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    assert!(t.open("Global\\x", Access::READ).is_ok());
}

#[test]
fn names_are_case_sensitive() {
    // WT-VIRT test_CreateFileMapping: "Wine Test Mapping" vs "WINE TEST MAPPING".
    let t = Ns::new();
    let lower = t.create("Wine Test Mapping", 4096).unwrap();
    assert!(!lower.already_existed());
    lower
        .map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"w")
        .unwrap();

    expect_err(
        t.open("WINE TEST MAPPING", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    let upper = t.create("WINE TEST MAPPING", 4096).unwrap();
    assert!(
        !upper.already_existed(),
        "a differently-cased name is a new object"
    );
    assert_eq!(rd(&upper.map_view(Access::READ, ..).unwrap(), 0, 1), [0]);
    drop(upper);
    // The upper-case object is gone, the lower-case one is not.
    expect_err(
        t.open("WINE TEST MAPPING", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    let again = t.open("Wine Test Mapping", Access::READ).unwrap();
    assert_eq!(rd(&again.map_view(Access::READ, ..).unwrap(), 0, 1), b"w");
}

#[test]
fn backslash_after_prefix_is_path_not_found() {
    let t = Ns::new();
    for name in [
        "Local\\a\\b",
        "Global\\a\\b",
        "a\\b",
        "Local\\a\\",
        "global\\x",
        "GLOBAL\\x",
        "local\\x",
        "LOCAL\\x",
        "Session\\1\\x",
    ] {
        expect_err(
            t.create(name, 4096),
            ErrorKind::PathNotFound,
            ERROR_PATH_NOT_FOUND,
        );
        expect_err(
            t.open(name, Access::READ),
            ErrorKind::PathNotFound,
            ERROR_PATH_NOT_FOUND,
        );
    }
    // Nothing was created.
    for scope in [Scope::Local, Scope::Global] {
        assert!(t.scope_entries(scope).iter().all(|e| !is_object_file(e)));
    }
}

#[test]
fn namespace_keywords_alone_are_not_objects() {
    // §13 #12 (inferred: the name resolves to the directory/link itself → type mismatch → 6).
    let t = Ns::new();
    for name in ["Local\\", "Global\\", "Local", "Global", "Session"] {
        expect_err(
            t.create(name, 4096),
            ErrorKind::InvalidHandle,
            ERROR_INVALID_HANDLE,
        );
        expect_err(
            t.open(name, Access::READ),
            ErrorKind::InvalidHandle,
            ERROR_INVALID_HANDLE,
        );
    }
}

#[test]
fn name_length_limit_is_259_utf16_units() {
    let t = Ns::new();
    let ok = [
        "x".repeat(259),
        format!("Local\\{}", "y".repeat(253)),
        format!("Global\\{}", "z".repeat(252)),
        "\u{20ac}".repeat(259),        // 259 units, 777 UTF-8 bytes
        "\u{1F600}".repeat(129) + "a", // 259 units (surrogate pairs)
    ];
    let mut keep = Vec::new();
    for name in &ok {
        assert_eq!(name.encode_utf16().count(), 259);
        let m = t
            .create(name, 4096)
            .unwrap_or_else(|e| panic!("{} units: {e}", name.encode_utf16().count()));
        assert!(!m.already_existed());
        m.map_view(Access::WRITE, ..)
            .unwrap()
            .write(0, &[7])
            .unwrap();
        let o = t.open(name, Access::READ).unwrap();
        assert_eq!(rd(&o.map_view(Access::READ, ..).unwrap(), 0, 1), [7]);
        keep.push(m);
    }
    let too_long = [
        "x".repeat(260),
        format!("Local\\{}", "y".repeat(254)),
        format!("Global\\{}", "z".repeat(253)),
        "\u{1F600}".repeat(130),
        "x".repeat(1000),
    ];
    for name in &too_long {
        assert!(name.encode_utf16().count() >= 260);
        expect_err(
            t.create(name, 4096),
            ErrorKind::FilenameExcedRange,
            ERROR_FILENAME_EXCED_RANGE,
        );
        expect_err(
            t.open(name, Access::READ),
            ErrorKind::FilenameExcedRange,
            ERROR_FILENAME_EXCED_RANGE,
        );
    }
}

#[test]
fn empty_name_creates_an_unnamed_section() {
    let t = Ns::new();
    let a = t.opts().name("").size(4096).create().unwrap();
    let b = t.opts().name("").size(4096).create().unwrap();
    assert!(!a.already_existed());
    assert!(
        !b.already_existed(),
        "two empty-name creates are two objects"
    );
    assert_eq!(a.name(), None);
    let va = a.map_view(Access::WRITE, ..).unwrap();
    let vb = b.map_view(Access::WRITE, ..).unwrap();
    va.write(0, b"a").unwrap();
    assert_eq!(rd(&vb, 0, 1), [0], "unnamed sections must not alias");
    // Nothing named appeared in the namespace.
    for scope in [Scope::Local, Scope::Global] {
        assert!(
            t.scope_entries(scope).iter().all(|e| !is_object_file(e)),
            "{:?}",
            t.scope_entries(scope)
        );
    }
}

#[test]
fn open_empty_name_is_invalid_handle() {
    let t = Ns::new();
    let _a = t.opts().name("").size(4096).create().unwrap();
    expect_err(
        t.open("", Access::READ),
        ErrorKind::InvalidHandle,
        ERROR_INVALID_HANDLE,
    );
    expect_err(
        t.open("", Access::ALL),
        ErrorKind::InvalidHandle,
        ERROR_INVALID_HANDLE,
    );
}

#[test]
fn nul_in_name_is_invalid_name() {
    // Not in the spec (a C string cannot carry NUL); fmap documents ERROR_INVALID_NAME.
    let t = Ns::new();
    expect_err(
        t.create("a\0b", 4096),
        ErrorKind::InvalidName,
        ERROR_INVALID_NAME,
    );
    expect_err(
        t.open("a\0b", Access::READ),
        ErrorKind::InvalidName,
        ERROR_INVALID_NAME,
    );
}

#[test]
fn open_missing_name_is_file_not_found() {
    let t = Ns::new();
    for name in ["nothing", "Local\\nothing", "Global\\nothing"] {
        expect_err(
            t.open(name, Access::READ),
            ErrorKind::FileNotFound,
            ERROR_FILE_NOT_FOUND,
        );
    }
}

#[test]
fn path_like_names_stay_inside_the_namespace() {
    let t = Ns::new();
    let names = [
        "../../etc/passwd",
        "/",
        "..",
        ".",
        "a/b",
        "./x",
        "/etc/shadow",
        " ",
        "-rf",
        ".lock",
        "Global\\..",
        "Global\\../../x",
        "fmap-global",
        "%s%n",
        "*",
    ];
    let mut keep = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let m = t
            .create(name, 4096)
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert!(!m.already_existed(), "{name:?}");
        m.map_view(Access::WRITE, ..)
            .unwrap()
            .write(0, &[i as u8 + 1])
            .unwrap();
        keep.push(m);
    }
    // Each name is its own object and opens back with its own contents.
    for (i, name) in names.iter().enumerate() {
        let o = t
            .open(name, Access::READ)
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(
            rd(&o.map_view(Access::READ, ..).unwrap(), 0, 1),
            [i as u8 + 1],
            "{name:?}"
        );
    }

    // The root holds only the two namespace directories.
    let root = t.root_entries();
    let local_dir = t.ns.dir_path(Scope::Local);
    let global_dir = t.ns.dir_path(Scope::Global);
    let mut expected = vec![
        local_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        global_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
    ];
    expected.sort();
    assert_eq!(root, expected);
    assert_eq!(local_dir.parent().unwrap(), t.dir.path());
    assert_eq!(global_dir.parent().unwrap(), t.dir.path());

    // Inside them: 32-hex-digit object files and `.lock`, nothing else.
    let n_global = names.iter().filter(|n| n.starts_with("Global\\")).count();
    for (scope, n) in [
        (Scope::Local, names.len() - n_global),
        (Scope::Global, n_global),
    ] {
        let entries = t.scope_entries(scope);
        for e in &entries {
            assert!(
                e == ".lock" || is_object_file(e),
                "unexpected entry {e:?} in {scope:?}"
            );
            let p = t.ns.dir_path(scope).join(e);
            assert!(
                std::fs::symlink_metadata(&p).unwrap().file_type().is_file(),
                "{p:?}"
            );
        }
        // `.lock` appears once some operation needed a bucket lock (e.g. a last close).
        assert_eq!(
            entries.iter().filter(|e| is_object_file(e)).count(),
            n,
            "{scope:?}: {entries:?}"
        );
    }
    // Nothing was written next to the namespace root.
    assert!(!Path::new("/dev/shm/etc/passwd").exists());
    assert!(!t.dir.path().join("etc").exists());
    assert!(!t.dir.path().join("x").exists());
}

// ---------------------------------------------------------------------------------------------
// §4.1 CreateFileMapping: sizes, protections, attributes, existing names
// ---------------------------------------------------------------------------------------------

#[test]
fn pagefile_size_zero_is_invalid_parameter() {
    let t = Ns::new();
    expect_err(
        t.create("s", 0),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
    expect_err(
        t.opts().size(0).create(),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
    // The check precedes the name lookup: it fails even when the name exists.
    let _m = t.create("s", 4096).unwrap();
    expect_err(
        t.create("s", 0),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
    expect_err(
        t.create("Local\\s", 0),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
}

#[test]
fn pagefile_sizes_are_rounded_to_pages() {
    let t = Ns::new();
    for (req, want) in [
        (1u64, 0x1000u64),
        (4090, 0x1000),
        (4096, 0x1000),
        (4097, 0x2000),
        (0x3457, 0x4000),
        (0x10001, 0x11000),
    ] {
        let named = t.create(&format!("r{req}"), req).unwrap();
        assert_eq!(named.size(), want, "named, requested {req:#x}");
        let unnamed = t.opts().size(req).create().unwrap();
        assert_eq!(unnamed.size(), want, "unnamed, requested {req:#x}");
        // A view of size 0 covers the rounded size.
        assert_eq!(named.map_view(Access::READ, ..).unwrap().len() as u64, want);
        assert_eq!(
            unnamed.map_view(Access::READ, ..).unwrap().len() as u64,
            want
        );
    }
}

#[test]
fn new_sections_are_zeroed() {
    let t = Ns::new();
    let size = 1 << 20;
    for m in [
        t.create("z", size).unwrap(),
        t.opts().size(size).create().unwrap(),
    ] {
        let v = m.map_view(Access::READ, ..).unwrap();
        let all = rd(&v, 0, size as usize);
        assert!(all.iter().all(|&b| b == 0));
    }
}

#[test]
fn existing_name_returns_the_original_object() {
    let t = Ns::new();
    let a = t.create("e", 4096).unwrap();
    assert!(!a.already_existed());
    assert_eq!(a.protection(), Protection::ReadWrite);
    a.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"orig")
        .unwrap();

    // A different size, protection and SEC_* attributes are all ignored.
    let b = t
        .opts()
        .name("e")
        .size(1 << 20)
        .flprotect(PAGE_READWRITE | SEC_RESERVE)
        .create()
        .unwrap();
    assert!(b.already_existed());
    assert_eq!(b.size(), 4096, "existing object keeps its size");
    assert_eq!(
        b.sec_flags(),
        SEC_COMMIT,
        "existing object keeps its attributes"
    );
    assert_eq!(b.protection(), Protection::ReadWrite);
    assert_eq!(rd(&b.map_view(Access::READ, ..).unwrap(), 0, 4), b"orig");

    // Invalid SEC_* combinations are only checked for new objects (§4.1 order of checks).
    for fl in [SEC_RESERVE | SEC_COMMIT, SEC_IMAGE, SEC_FILE, SEC_NOCACHE] {
        let c = t
            .opts()
            .name("e")
            .size(4096)
            .flprotect(PAGE_READWRITE | fl)
            .create();
        let c = c.unwrap_or_else(|e| panic!("SEC {fl:#x} on an existing name: {e}"));
        assert!(c.already_existed());
    }
    // A file given for an existing pagefile section is ignored too.
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x3456);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let d = t.opts().name("e").file(&f).create().unwrap();
    assert!(d.already_existed());
    assert_eq!(d.size(), 4096);
    assert_eq!(d.file_path(), None);
    assert_eq!(rd(&d.map_view(Access::READ, ..).unwrap(), 0, 4), b"orig");
    drop(d);
    drop(f);
    // The file was not touched.
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), 0x3456);

    // An existing read-only section keeps its protection for a read/write create.
    let _ro = t
        .opts()
        .name("ro")
        .size(4096)
        .protection(Protection::ReadOnly)
        .create()
        .unwrap();
    let e = t.create("ro", 8192).unwrap();
    assert!(e.already_existed());
    assert_eq!(e.protection(), Protection::ReadOnly);
    assert_eq!(e.size(), 4096);
    expect_err(
        e.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}

#[test]
fn invalid_page_protections_are_rejected() {
    let t = Ns::new();
    let bad = [
        0,
        PAGE_NOACCESS,
        PAGE_EXECUTE,
        PAGE_READONLY | PAGE_READWRITE,
        PAGE_READWRITE | PAGE_WRITECOPY,
        PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE,
        PAGE_READWRITE | PAGE_GUARD,
        PAGE_READWRITE | PAGE_NOCACHE,
        PAGE_READWRITE | PAGE_WRITECOMBINE,
        PAGE_GUARD,
        SEC_COMMIT, // attributes without a protection
        0x0001_0000 | PAGE_READWRITE,
    ];
    for fl in bad {
        expect_err(
            t.opts().name("p").size(4096).flprotect(fl).create(),
            ErrorKind::InvalidParameter,
            ERROR_INVALID_PARAMETER,
        );
        expect_err(
            t.opts().size(4096).flprotect(fl).create(),
            ErrorKind::InvalidParameter,
            ERROR_INVALID_PARAMETER,
        );
    }
    // Checked before the name lookup: fails on an existing name too.
    let _m = t.create("p", 4096).unwrap();
    for fl in [
        0,
        PAGE_NOACCESS,
        PAGE_EXECUTE,
        PAGE_READONLY | PAGE_READWRITE,
    ] {
        expect_err(
            t.opts().name("p").size(4096).flprotect(fl).create(),
            ErrorKind::InvalidParameter,
            ERROR_INVALID_PARAMETER,
        );
    }
    // File-backed with PAGE_NOACCESS: 87 as well.
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 4096);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    expect_err(
        t.opts().file(&f).flprotect(PAGE_NOACCESS).create(),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
    expect_err(
        t.opts().file(&f).flprotect(PAGE_EXECUTE).create(),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );

    // The six valid protections.
    for (fl, p) in [
        (PAGE_READONLY, Protection::ReadOnly),
        (PAGE_READWRITE, Protection::ReadWrite),
        (PAGE_WRITECOPY, Protection::WriteCopy),
        (PAGE_EXECUTE_READ, Protection::ExecuteRead),
        (PAGE_EXECUTE_READWRITE, Protection::ExecuteReadWrite),
        (PAGE_EXECUTE_WRITECOPY, Protection::ExecuteWriteCopy),
    ] {
        let m = t
            .opts()
            .name(&format!("ok{fl}"))
            .size(4096)
            .flprotect(fl)
            .create()
            .unwrap();
        assert_eq!(m.protection(), p);
        assert_eq!(m.protection().to_win32(), fl);
    }
}

#[test]
fn sec_attributes_pagefile() {
    // §4.1 table, pagefile-backed column; every row uses the same name, closed between rows.
    let t = Ns::new();
    let name = "Wine Test Mapping";
    let rows: &[SecRow] = &[
        (0, Ok(SEC_COMMIT)),
        (SEC_RESERVE, Ok(SEC_RESERVE)),
        (SEC_RESERVE | SEC_NOCACHE, Ok(SEC_RESERVE | SEC_NOCACHE)),
        (
            SEC_RESERVE | SEC_WRITECOMBINE,
            Ok(SEC_RESERVE | SEC_WRITECOMBINE),
        ),
        (
            SEC_RESERVE | SEC_LARGE_PAGES,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (SEC_COMMIT, Ok(SEC_COMMIT)),
        (SEC_COMMIT | SEC_NOCACHE, Ok(SEC_COMMIT | SEC_NOCACHE)),
        (
            SEC_COMMIT | SEC_WRITECOMBINE,
            Ok(SEC_COMMIT | SEC_WRITECOMBINE),
        ),
        (
            SEC_RESERVE | SEC_COMMIT,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (SEC_IMAGE, Err((ErrorKind::BadExeFormat, 193))),
        (
            SEC_IMAGE | SEC_RESERVE,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (
            SEC_IMAGE | SEC_COMMIT,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (SEC_NOCACHE, Err((ErrorKind::InvalidParameter, 87))),
        (SEC_LARGE_PAGES, Err((ErrorKind::InvalidParameter, 87))),
        (SEC_WRITECOMBINE, Err((ErrorKind::InvalidParameter, 87))),
        (SEC_FILE, Err((ErrorKind::InvalidParameter, 87))),
        (
            SEC_FILE | SEC_RESERVE,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (
            SEC_FILE | SEC_COMMIT,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (
            SEC_NOCACHE | SEC_WRITECOMBINE,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
    ];
    for &(sec, want) in rows {
        for named in [true, false] {
            let mut o = t.opts().size(0x1000).flprotect(PAGE_READWRITE | sec);
            if named {
                o = o.name(name);
            }
            let r = o.create();
            match want {
                Ok(flags) => {
                    let m = r.unwrap_or_else(|e| panic!("SEC {sec:#x}: {e}"));
                    assert!(
                        !m.already_existed(),
                        "SEC {sec:#x}: previous row's object must be gone"
                    );
                    assert_eq!(m.sec_flags(), flags, "SEC {sec:#x}");
                    assert_eq!(m.size(), 0x1000);
                    // The section is usable.
                    let v = m.map_view(Access::WRITE, ..).unwrap();
                    v.write(0, b"ok").unwrap();
                    assert_eq!(rd(&v, 0, 2), b"ok");
                }
                Err((kind, code)) => {
                    expect_err(r, kind, code);
                }
            }
        }
        expect_err(
            t.open(name, Access::READ),
            ErrorKind::FileNotFound,
            ERROR_FILE_NOT_FOUND,
        );
    }
}

#[test]
fn sec_large_pages_with_commit_needs_a_privilege() {
    // Not tested on Windows (needs SeLockMemoryPrivilege). fmap reports the missing privilege;
    // the spec would also accept 87. Either way it must fail.
    let t = Ns::new();
    let e = t
        .opts()
        .size(0x20_0000)
        .flprotect(PAGE_READWRITE | SEC_COMMIT | SEC_LARGE_PAGES)
        .create()
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::PrivilegeNotHeld | ErrorKind::InvalidParameter
        ),
        "{e}"
    );
}

#[test]
fn sec_attributes_file_backed() {
    // §4.1 table, "ordinary data file (0x2000 bytes)" column.
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("data");
    pattern_file(&fp, 0x2000);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let rows: &[SecRow] = &[
        (0, Ok(SEC_FILE)),
        (SEC_RESERVE, Ok(SEC_FILE)),
        (SEC_RESERVE | SEC_NOCACHE, Ok(SEC_FILE | SEC_NOCACHE)),
        (
            SEC_RESERVE | SEC_WRITECOMBINE,
            Ok(SEC_FILE | SEC_WRITECOMBINE),
        ),
        (
            SEC_RESERVE | SEC_LARGE_PAGES,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (SEC_COMMIT, Ok(SEC_FILE)),
        (SEC_COMMIT | SEC_NOCACHE, Ok(SEC_FILE | SEC_NOCACHE)),
        (
            SEC_COMMIT | SEC_WRITECOMBINE,
            Ok(SEC_FILE | SEC_WRITECOMBINE),
        ),
        (
            SEC_COMMIT | SEC_LARGE_PAGES,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (
            SEC_RESERVE | SEC_COMMIT,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (SEC_IMAGE, Err((ErrorKind::BadExeFormat, 193))),
        (
            SEC_IMAGE | SEC_RESERVE,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
        (SEC_NOCACHE, Err((ErrorKind::InvalidParameter, 87))),
        (SEC_LARGE_PAGES, Err((ErrorKind::InvalidParameter, 87))),
        (SEC_FILE, Err((ErrorKind::InvalidParameter, 87))),
        (
            SEC_FILE | SEC_COMMIT,
            Err((ErrorKind::InvalidParameter, 87)),
        ),
    ];
    for &(sec, want) in rows {
        let r = t
            .opts()
            .name("Wine Test Mapping")
            .file(&f)
            .flprotect(PAGE_READWRITE | sec)
            .create();
        match want {
            Ok(flags) => {
                let m = r.unwrap_or_else(|e| panic!("SEC {sec:#x}: {e}"));
                assert!(!m.already_existed());
                assert_eq!(m.sec_flags(), flags, "SEC {sec:#x}");
                assert_eq!(m.size(), 0x2000);
                assert!(m.file_path().is_some());
            }
            Err((kind, code)) => {
                expect_err(r, kind, code);
            }
        }
    }
    // A failed create never changed the file.
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), 0x2000);
}

#[test]
fn huge_sizes_are_not_enough_memory() {
    // Wine rejects sizes >= 2^54 with STATUS_SECTION_TOO_BIG → ERROR_NOT_ENOUGH_MEMORY.
    let t = Ns::new();
    for size in [
        1u64 << 54,
        (1 << 54) + 1,
        1 << 60,
        u64::MAX - 4094,
        u64::MAX,
    ] {
        expect_err(
            t.create("huge", size),
            ErrorKind::NotEnoughMemory,
            ERROR_NOT_ENOUGH_MEMORY,
        );
        expect_err(
            t.opts().size(size).create(),
            ErrorKind::NotEnoughMemory,
            ERROR_NOT_ENOUGH_MEMORY,
        );
        expect_err(
            t.opts()
                .size(size)
                .flprotect(PAGE_READWRITE | SEC_RESERVE)
                .create(),
            ErrorKind::NotEnoughMemory,
            ERROR_NOT_ENOUGH_MEMORY,
        );
    }
    expect_err(
        t.open("huge", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
}

#[test]
fn create_checks_happen_in_windows_order() {
    // §4.1 "Order of checks": name length (206) → protection (87) → size 0 (87) → name lookup (3).
    let t = Ns::new();
    let long = "x".repeat(260);
    expect_err(
        t.opts().name(&long).size(0).flprotect(0).create(),
        ErrorKind::FilenameExcedRange,
        206,
    );
    expect_err(
        t.opts().name("a\\b").size(4096).flprotect(0).create(),
        ErrorKind::InvalidParameter,
        87,
    );
    expect_err(
        t.opts().name("a\\b").size(0).create(),
        ErrorKind::InvalidParameter,
        87,
    );
    expect_err(
        t.opts().name("a\\b").size(4096).create(),
        ErrorKind::PathNotFound,
        3,
    );
    expect_err(
        t.opts().name("Local\\").size(0).create(),
        ErrorKind::InvalidParameter,
        87,
    );
    // SEC_* validation only after the name: a bad path wins over bad attributes.
    expect_err(
        t.opts()
            .name("a\\b")
            .size(4096)
            .flprotect(PAGE_READWRITE | SEC_IMAGE)
            .create(),
        ErrorKind::PathNotFound,
        3,
    );
}

#[test]
fn creator_rights_follow_the_protection() {
    // §4.1 "Handle access granted to the creator" (Wine model) and §13 #13.
    let t = Ns::new();
    let rw = t.create("rw", 4096).unwrap();
    rw.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"w")
        .unwrap();
    rw.map_view(Access::READ, ..).unwrap();

    // CreateFileMapping(PAGE_READONLY) on the existing read/write section: read-only handle.
    let ro = t
        .opts()
        .name("rw")
        .size(4096)
        .protection(Protection::ReadOnly)
        .create()
        .unwrap();
    assert!(ro.already_existed());
    assert_eq!(
        ro.protection(),
        Protection::ReadWrite,
        "the object keeps its protection"
    );
    expect_err(
        ro.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        ro.map_view(Access::ALL, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    assert_eq!(rd(&ro.map_view(Access::READ, ..).unwrap(), 0, 1), b"w");
    assert!(ro.map_view(Access::COPY, ..).is_ok());

    // PAGE_WRITECOPY create: also no write right.
    let wc = t
        .opts()
        .name("rw")
        .size(4096)
        .protection(Protection::WriteCopy)
        .create()
        .unwrap();
    expect_err(
        wc.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    // A new read-only section's creator cannot map it writable either.
    let nro = t
        .opts()
        .name("nro")
        .size(4096)
        .protection(Protection::ReadOnly)
        .create()
        .unwrap();
    assert!(!nro.already_existed());
    expect_err(
        nro.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}

// ---------------------------------------------------------------------------------------------
// §4.2 OpenFileMapping and §4.3b handle rights
// ---------------------------------------------------------------------------------------------

#[test]
fn open_with_zero_access_is_denied() {
    let t = Ns::new();
    let _m = t.create("z", 4096).unwrap();
    expect_err(
        t.open("z", Access::NONE),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    // Bits that sections do not have.
    expect_err(
        t.open("z", Access::from_bits_retain(0x40)),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        t.open("z", Access::from_bits_retain(0x0040_0000)),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    // ACCESS_SYSTEM_SECURITY without the privilege.
    expect_err(
        t.open("z", Access::from_bits_retain(ACCESS_SYSTEM_SECURITY)),
        ErrorKind::PrivilegeNotHeld,
        ERROR_PRIVILEGE_NOT_HELD,
    );
}

#[test]
fn open_file_map_copy_alone_means_read() {
    let t = Ns::new();
    let m = t.create("c", 4096).unwrap();
    m.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"c")
        .unwrap();
    let o = t.open("c", Access::COPY).unwrap();
    assert!(o.access().contains(Access::READ), "{:?}", o.access());
    assert!(!o.access().contains(Access::WRITE), "{:?}", o.access());
    assert_eq!(rd(&o.map_view(Access::READ, ..).unwrap(), 0, 1), b"c");
    assert_eq!(
        o.map_view(Access::COPY, ..).unwrap().protection(),
        Protection::WriteCopy
    );
    expect_err(
        o.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}

#[test]
fn open_read_cannot_map_write() {
    let t = Ns::new();
    let _m = t.create("r", 4096).unwrap();
    let o = t.open("r", Access::READ).unwrap();
    assert!(o.already_existed());
    expect_err(
        o.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        o.map_view(Access::ALL, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        o.map_view(Access::WRITE | Access::COPY, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    assert_eq!(
        o.map_view(Access::READ, ..).unwrap().protection(),
        Protection::ReadOnly
    );
    assert_eq!(
        o.map_view(Access::NONE, ..).unwrap().protection(),
        Protection::NoAccess
    );
    assert_eq!(
        o.map_view(Access::COPY, ..).unwrap().protection(),
        Protection::WriteCopy
    );
}

#[test]
fn open_write_only_cannot_map_read() {
    let t = Ns::new();
    let _m = t.create("w", 4096).unwrap();
    let o = t.open("w", Access::WRITE).unwrap();
    let v = o.map_view(Access::WRITE, ..).unwrap();
    assert_eq!(v.protection(), Protection::ReadWrite);
    v.write(0, b"w").unwrap();
    expect_err(
        o.map_view(Access::READ, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        o.map_view(Access::COPY, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        o.map_view(Access::NONE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    // READ|WRITE is a write view: allowed.
    assert!(o.map_view(Access::READ | Access::WRITE, ..).is_ok());
}

#[test]
fn open_with_generic_rights() {
    let t = Ns::new();
    let _m = t.create("g", 4096).unwrap();
    let r = t.open("g", Access::from_bits_retain(GENERIC_READ)).unwrap();
    assert!(r.map_view(Access::READ, ..).is_ok());
    expect_err(
        r.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    let w = t
        .open("g", Access::from_bits_retain(GENERIC_WRITE))
        .unwrap();
    assert!(w.map_view(Access::WRITE, ..).is_ok());
    expect_err(
        w.map_view(Access::READ, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    for a in [
        GENERIC_ALL,
        MAXIMUM_ALLOWED,
        FILE_MAP_ALL_ACCESS,
        GENERIC_READ | GENERIC_WRITE,
    ] {
        let h = t.open("g", Access::from_bits_retain(a)).unwrap();
        assert!(h.map_view(Access::READ, ..).is_ok(), "{a:#x}");
        assert!(h.map_view(Access::WRITE, ..).is_ok(), "{a:#x}");
    }
}

#[test]
fn duplicate_with_no_access_maps_nothing() {
    let t = Ns::new();
    let m = t.create("d", 4096).unwrap();
    let d = m.duplicate(Access::NONE).unwrap();
    for a in [
        Access::NONE,
        Access::READ,
        Access::WRITE,
        Access::COPY,
        Access::ALL,
    ] {
        expect_err(
            d.map_view(a, ..),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
    }
    // Also for an unnamed section.
    let u = t.opts().size(4096).create().unwrap();
    expect_err(
        u.duplicate(Access::NONE)
            .unwrap()
            .map_view(Access::NONE, ..),
        ErrorKind::AccessDenied,
        5,
    );
}

#[test]
fn duplicate_narrows_access() {
    let t = Ns::new();
    let m = t.create("n", 4096).unwrap();
    let r = m.duplicate(Access::READ).unwrap();
    assert!(r.map_view(Access::READ, ..).is_ok());
    expect_err(
        r.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    let rw = m.duplicate(Access::READ | Access::WRITE).unwrap();
    assert!(rw.map_view(Access::READ, ..).is_ok());
    assert!(rw.map_view(Access::WRITE, ..).is_ok());
    let w = m.duplicate(Access::WRITE).unwrap();
    expect_err(
        w.map_view(Access::READ, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    // try_clone keeps the same rights.
    let c = r.clone();
    assert_eq!(c.access(), r.access());
    expect_err(
        c.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}

// ---------------------------------------------------------------------------------------------
// §4.3a/c View protections
// ---------------------------------------------------------------------------------------------

#[test]
fn readonly_section_allows_read_and_private_copy_views() {
    let t = Ns::new();
    for prot in [Protection::ReadOnly, Protection::WriteCopy] {
        let name = format!("ro{prot}");
        let m = t
            .opts()
            .name(&name)
            .size(4096)
            .protection(prot)
            .create()
            .unwrap();
        assert_eq!(m.protection(), prot);
        expect_err(
            m.map_view(Access::WRITE, ..),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
        expect_err(
            m.map_view(Access::ALL, ..),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
        // Opened with full access by name: the section's protection still forbids WRITE views.
        let o = t.open(&name, Access::ALL).unwrap();
        expect_err(
            o.map_view(Access::WRITE, ..),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );

        let r = m.map_view(Access::READ, ..).unwrap();
        assert_eq!(r.protection(), Protection::ReadOnly);
        expect_err(
            r.write(0, b"x"),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );

        let c = m.map_view(Access::COPY, ..).unwrap();
        assert_eq!(c.protection(), Protection::WriteCopy);
        c.write(0, b"private").unwrap();
        assert_eq!(rd(&c, 0, 7), b"private");
        // Invisible to every other view, old and new.
        assert_eq!(rd(&r, 0, 7), [0; 7]);
        assert_eq!(rd(&o.map_view(Access::READ, ..).unwrap(), 0, 7), [0; 7]);
        let c2 = m.map_view(Access::COPY, ..).unwrap();
        assert_eq!(rd(&c2, 0, 7), [0; 7]);
        // And lost at unmap.
        drop(c);
        assert_eq!(rd(&m.map_view(Access::COPY, ..).unwrap(), 0, 7), [0; 7]);
    }
}

#[test]
fn copy_view_of_readwrite_section_is_private() {
    let t = Ns::new();
    let m = t.create("cw", 8192).unwrap();
    let shared = m.map_view(Access::WRITE, ..).unwrap();
    shared.write(0, b"base").unwrap();
    let c = m.map_view(Access::COPY, ..).unwrap();
    assert_eq!(c.protection(), Protection::WriteCopy);
    assert_eq!(rd(&c, 0, 4), b"base");
    c.write(0, b"mine").unwrap();
    assert_eq!(
        rd(&shared, 0, 4),
        b"base",
        "copy-on-write writes must not reach the section"
    );
    assert_eq!(rd(&c, 0, 4), b"mine");
    // Another handle's view does not see them either.
    let o = t.open("cw", Access::READ).unwrap();
    assert_eq!(rd(&o.map_view(Access::READ, ..).unwrap(), 0, 4), b"base");
}

#[test]
fn copy_view_sees_changes_to_pages_it_has_not_written() {
    // §4.3j, [INFERRED] standard copy-on-write semantics.
    let t = Ns::new();
    let m = t.create("cs", 8192).unwrap();
    let shared = m.map_view(Access::WRITE, ..).unwrap();
    let c = m.map_view(Access::COPY, ..).unwrap();
    assert_eq!(rd(&c, 4096, 1), [0]); // read-faulted, not written
    c.write(0, b"p").unwrap(); // page 0 becomes private
    shared.write(0, b"s").unwrap();
    shared.write(4096, b"t").unwrap();
    assert_eq!(rd(&c, 0, 1), b"p");
    assert_eq!(rd(&c, 4096, 1), b"t");
}

#[test]
fn access_zero_gives_a_noaccess_view() {
    let t = Ns::new();
    let m = t.create("na", 4096).unwrap();
    let v = m.map_view(Access::NONE, ..).unwrap();
    assert_eq!(v.protection(), Protection::NoAccess);
    assert_eq!(v.len(), 4096);
    let mut b = [0u8; 1];
    expect_err(
        v.read(0, &mut b),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(v.write(0, &b), ErrorKind::AccessDenied, ERROR_ACCESS_DENIED);
    // FILE_MAP_EXECUTE alone and SECTION_MAP_EXECUTE alone are PAGE_NOACCESS too (§4.3a).
    let x = t
        .opts()
        .name("nx")
        .size(4096)
        .protection(Protection::ExecuteReadWrite)
        .create()
        .unwrap();
    assert_eq!(
        x.map_view(Access::from_bits_retain(SECTION_MAP_EXECUTE), ..)
            .unwrap()
            .protection(),
        Protection::NoAccess
    );
    assert_eq!(
        m.map_view(Access::from_bits_retain(SECTION_MAP_EXECUTE), ..)
            .unwrap()
            .protection(),
        Protection::NoAccess
    );
    // A read-only section allows NOACCESS views as well.
    let ro = t
        .opts()
        .name("nro")
        .size(4096)
        .protection(Protection::ReadOnly)
        .create()
        .unwrap();
    assert_eq!(
        ro.map_view(Access::NONE, ..).unwrap().protection(),
        Protection::NoAccess
    );
}

#[test]
fn write_plus_copy_is_a_shared_writable_view() {
    let t = Ns::new();
    let m = t.create("wc", 4096).unwrap();
    let v = m.map_view(Access::WRITE | Access::COPY, ..).unwrap();
    assert_eq!(v.protection(), Protection::ReadWrite);
    v.write(0, b"shared").unwrap();
    let other = m.map_view(Access::READ, ..).unwrap();
    assert_eq!(rd(&other, 0, 6), b"shared");
    let by_name = t
        .open("wc", Access::READ)
        .unwrap()
        .map_view(Access::READ, ..)
        .unwrap();
    assert_eq!(rd(&by_name, 0, 6), b"shared");
    // FILE_MAP_ALL_ACCESS and READ|WRITE are shared writable views too.
    for a in [
        Access::ALL,
        Access::READ | Access::WRITE,
        Access::READ | Access::WRITE | Access::COPY,
    ] {
        let w = m.map_view(a, ..).unwrap();
        assert_eq!(w.protection(), Protection::ReadWrite, "{a:?}");
        w.write(1, b"X").unwrap();
        assert_eq!(rd(&other, 1, 1), b"X", "{a:?}");
        w.write(1, b"h").unwrap();
    }
}

#[test]
fn read_plus_copy_is_read_only() {
    let t = Ns::new();
    let m = t.create("rc", 4096).unwrap();
    let v = m.map_view(Access::READ | Access::COPY, ..).unwrap();
    assert_eq!(v.protection(), Protection::ReadOnly);
    expect_err(
        v.write(0, b"x"),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}

// ---------------------------------------------------------------------------------------------
// §4.3d/e/f/g Views: offsets, sizes, addresses, aliasing
// ---------------------------------------------------------------------------------------------

#[test]
fn view_offset_must_be_64k_aligned() {
    let t = Ns::new();
    let m = t.create("o", 0x30000).unwrap();
    for off in [1u64, 0x1000, 0x8000, 0xF000, 0x11000, 0x10001] {
        expect_err(
            m.map_view(Access::READ, off..),
            ErrorKind::MappedAlignment,
            ERROR_MAPPED_ALIGNMENT,
        );
        expect_err(
            m.map_view(Access::READ, off..off + 0x100),
            ErrorKind::MappedAlignment,
            ERROR_MAPPED_ALIGNMENT,
        );
    }
}

#[test]
fn view_at_64k_offset_maps_the_right_bytes() {
    let t = Ns::new();
    let m = t.create("o", 0x20000).unwrap();
    let all = m.map_view(Access::WRITE, ..).unwrap();
    all.write(0x10000, b"second").unwrap();
    all.write(0, b"first").unwrap();
    let v = m.map_view(Access::READ, 0x10000..).unwrap();
    assert_eq!(v.len(), 0x10000);
    assert_eq!(rd(&v, 0, 6), b"second");
    let v2 = m.map_view(Access::READ, 0x10000..0x20000).unwrap();
    assert_eq!(rd(&v2, 0, 6), b"second");
}

#[test]
fn view_length_zero_maps_to_the_end() {
    let t = Ns::new();
    let m = t.create("l", 0x30000 + 4090).unwrap();
    assert_eq!(m.size(), 0x31000);
    assert_eq!(m.map_view(Access::READ, ..).unwrap().len(), 0x31000);
    assert_eq!(m.map_view(Access::READ, 0x10000..).unwrap().len(), 0x21000);
    assert_eq!(m.map_view(Access::READ, 0x30000..).unwrap().len(), 0x1000);
}

#[test]
fn view_past_the_end_is_access_denied() {
    let t = Ns::new();
    let m = t.create("p", 0x20000).unwrap();
    // offset >= size
    for off in [0x20000u64, 0x30000, 1 << 40] {
        expect_err(
            m.map_view(Access::READ, off..),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
        expect_err(
            m.map_view(Access::READ, off..=off),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
    }
    // offset + len > size
    expect_err(
        m.map_view(Access::READ, ..0x20001),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        m.map_view(Access::READ, 0x10000..0x20001),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        m.map_view(Access::READ, 0x10000..=u64::MAX),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    // an empty or reversed range is no view at all
    #[allow(clippy::reversed_empty_ranges)] // what a caller's arithmetic can produce
    for r in [0x10000..0x10000, 0x10000..0x8000] {
        expect_err(
            m.map_view(Access::READ, r),
            ErrorKind::InvalidParameter,
            ERROR_INVALID_PARAMETER,
        );
    }
    // exactly to the end is fine
    assert_eq!(
        m.map_view(Access::READ, 0x10000..0x20000).unwrap().len(),
        0x10000
    );
    assert_eq!(m.map_view(Access::READ, ..0x20000).unwrap().len(), 0x20000);

    // A 4090-byte pagefile section can be viewed with 4096 bytes (page-rounded), not more.
    let s = t.create("s", 4090).unwrap();
    assert_eq!(s.map_view(Access::READ, ..4096).unwrap().len(), 4096);
    assert_eq!(s.map_view(Access::READ, ..4090).unwrap().len(), 4090);
    expect_err(
        s.map_view(Access::READ, ..4097),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}

#[test]
fn view_region_size_is_page_rounded() {
    let t = Ns::new();
    let m = t.create("r", 0x3457).unwrap();
    let v = m.map_view(Access::READ, ..4090).unwrap();
    assert_eq!(v.len(), 4090);
    assert_eq!(v.region_size(), 4096);
    let w = m.map_view(Access::READ, ..).unwrap();
    assert_eq!(w.len(), 0x4000);
    assert_eq!(w.region_size(), 0x4000);
}

#[test]
fn system_chosen_bases_are_64k_aligned() {
    let t = Ns::new();
    let m = t.create("a", 0x40000).unwrap();
    let mut views = Vec::new();
    for (off, len) in [
        (0u64, None),
        (0, Some(1)),
        (0, Some(4096)),
        (0x10000, Some(0x1234)),
        (0x30000, None),
        (0, Some(0x40000u64)),
    ] {
        for access in [Access::READ, Access::WRITE, Access::COPY, Access::NONE] {
            let v = match len {
                None => m.map_view(access, off..),
                Some(len) => m.map_view(access, off..off + len),
            }
            .unwrap();
            assert_eq!(v.as_ptr() as usize % 0x10000, 0, "view at {:p}", v.as_ptr());
            views.push(v);
        }
    }
    // Every view has its own address.
    let mut addrs: Vec<usize> = views.iter().map(|v| v.as_ptr() as usize).collect();
    addrs.sort();
    addrs.dedup();
    assert_eq!(addrs.len(), views.len());
}

#[test]
fn views_of_one_section_alias() {
    let t = Ns::new();
    let m = t.create("v", 0x20000).unwrap();
    let a = m.map_view(Access::WRITE, ..).unwrap();
    let b = m.map_view(Access::WRITE, ..).unwrap();
    assert_ne!(a.as_ptr(), b.as_ptr());
    a.write(100, b"hello").unwrap();
    assert_eq!(rd(&b, 100, 5), b"hello");
    b.write(0x1FFFF, b"!").unwrap();
    assert_eq!(rd(&a, 0x1FFFF, 1), b"!");
    // A view at a 64K offset aliases the same bytes of the full view.
    let c = m.map_view(Access::WRITE, 0x10000..).unwrap();
    c.write(0, b"C").unwrap();
    assert_eq!(rd(&a, 0x10000, 1), b"C");
    // Through raw pointers too.
    // SAFETY: both views are live, writable and at least 0x20000 bytes long; nothing else
    // accesses these bytes concurrently.
    unsafe {
        *a.as_mut_ptr().add(5000) = 0x5A;
        assert_eq!(*b.as_ptr().add(5000), 0x5A);
    }
    // And through other handles in this process.
    let o = t.open("v", Access::READ).unwrap();
    assert_eq!(rd(&o.map_view(Access::READ, ..).unwrap(), 100, 5), b"hello");
}

#[test]
fn map_view_at_misaligned_base_is_mapped_alignment() {
    let t = Ns::new();
    let m = t.create("m", 0x10000).unwrap();
    let v = m.map_view(Access::READ, ..).unwrap();
    let base = v.as_ptr() as usize;
    drop(v);
    for delta in [42usize, 0x1000, 0x8000, 0xF000] {
        expect_err(
            m.map_view_at(Access::READ, .., (base + delta) as *mut u8),
            ErrorKind::MappedAlignment,
            ERROR_MAPPED_ALIGNMENT,
        );
    }
}

#[test]
fn map_view_at_an_address_in_use_is_invalid_address() {
    let t = Ns::new();
    let m = t.create("u", 0x20000).unwrap();
    let v = m.map_view(Access::WRITE, ..0x10000).unwrap();
    v.write(0, b"keep").unwrap();
    v.write(0xFFFF, b"k").unwrap();
    let base = v.as_mut_ptr();
    let other = t.create("u2", 0x20000).unwrap();
    let ov = other.map_view(Access::WRITE, ..).unwrap();
    ov.write(0, b"XXXX").unwrap();
    for (access, len) in [
        (Access::READ, 0x20000u64),
        (Access::WRITE, 0x1000),
        (Access::COPY, 0x10000),
    ] {
        expect_err(
            other.map_view_at(access, ..len, base),
            ErrorKind::InvalidAddress,
            ERROR_INVALID_ADDRESS,
        );
        expect_err(
            m.map_view_at(access, ..len, base),
            ErrorKind::InvalidAddress,
            ERROR_INVALID_ADDRESS,
        );
    }
    // A range that starts below the view and overlaps it.
    let below = (base as usize - 0x10000) as *mut u8;
    expect_err(
        other.map_view_at(Access::READ, ..0x20000, below),
        ErrorKind::InvalidAddress,
        ERROR_INVALID_ADDRESS,
    );
    // The existing view is intact (its data, its protection, still writable).
    assert_eq!(v.as_mut_ptr(), base);
    assert_eq!(rd(&v, 0, 4), b"keep");
    assert_eq!(rd(&v, 0xFFFF, 1), b"k");
    v.write(1, b"E").unwrap();
    assert_eq!(rd(&m.map_view(Access::READ, ..).unwrap(), 0, 4), b"kEep");
}

#[test]
fn map_view_at_a_free_address_uses_exactly_that_address() {
    let t = Ns::new();
    let m = t.create("f", 0x20000).unwrap();
    m.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0x10000, b"at")
        .unwrap();
    // Another thread of the test process may grab the freed range between the unmap and the
    // map; retry a few times before concluding.
    let mut last = None;
    for _ in 0..20 {
        let probe = m.map_view(Access::READ, ..).unwrap();
        let base = probe.as_ptr() as *mut u8;
        drop(probe);
        match m.map_view_at(Access::READ, 0x10000..0x20000, base) {
            Ok(v) => {
                assert_eq!(v.as_ptr(), base as *const u8);
                assert_eq!(v.len(), 0x10000);
                assert_eq!(rd(&v, 0, 2), b"at");
                // A null base means "system chooses".
                let n = m
                    .map_view_at(Access::READ, .., std::ptr::null_mut())
                    .unwrap();
                assert_eq!(n.as_ptr() as usize % 0x10000, 0);
                return;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidAddress, "{e}");
                last = Some(e);
            }
        }
    }
    panic!("map_view_at never succeeded at a freed address: {last:?}");
}

#[test]
fn unmap_view_accepts_any_interior_address() {
    let _g = raw_lock();
    let t = Ns::new();
    let m = t.create("i", 0x3000).unwrap();
    for delta in [0usize, 100, 4096, 4196, 0x2FFF] {
        let v = m.map_view(Access::WRITE, ..).unwrap();
        v.write(0, b"x").unwrap();
        let base = v.into_raw();
        // SAFETY: `base + delta` lies inside the view just registered; nothing uses it afterwards.
        unsafe { unmap_view(base.add(delta)) }
            .unwrap_or_else(|e| panic!("unmap at base+{delta}: {e}"));
        // The view is gone: a second unmap, by any address, fails.
        // SAFETY: the address is not dereferenced by unmap_view, and it is in no registered
        // view now, so the call unmaps nothing.
        expect_err(
            unsafe { unmap_view(base) },
            ErrorKind::InvalidAddress,
            ERROR_INVALID_ADDRESS,
        );
        // SAFETY: as above (`wrapping_add`: the view this pointed into is gone).
        expect_err(
            unsafe { unmap_view(base.wrapping_add(delta)) },
            ErrorKind::InvalidAddress,
            ERROR_INVALID_ADDRESS,
        );
    }
}

#[test]
fn unmap_view_of_a_non_view_is_invalid_address() {
    let _g = raw_lock();
    let t = Ns::new();
    let m = t.create("w", 0x1000).unwrap();
    let base = m.map_view(Access::READ, ..).unwrap().into_raw();
    // SAFETY: unmap_view never dereferences the address, and no registered view contains this
    // one, so nothing is unmapped (the point of the test); the same holds for the next four.
    expect_err(
        unsafe { unmap_view(0xdeadbeef as *const u8) },
        ErrorKind::InvalidAddress,
        ERROR_INVALID_ADDRESS,
    );
    // SAFETY: NULL is in no view: nothing is unmapped, nothing dereferenced.
    expect_err(
        unsafe { unmap_view(std::ptr::null()) },
        ErrorKind::InvalidAddress,
        ERROR_INVALID_ADDRESS,
    );
    let heap = Box::new([0u8; 64]);
    // SAFETY: a heap address is in no view: nothing is unmapped, nothing dereferenced.
    expect_err(
        unsafe { unmap_view(heap.as_ptr()) },
        ErrorKind::InvalidAddress,
        ERROR_INVALID_ADDRESS,
    );
    // SAFETY: as above; `add(10)` stays inside the 64-byte box.
    expect_err(
        unsafe { unmap_view(heap.as_ptr().add(10)) },
        ErrorKind::InvalidAddress,
        ERROR_INVALID_ADDRESS,
    );
    // Just past the end of a one-page view (nothing else can start there: views are 64K-aligned).
    // SAFETY: one past the end of the mapped page is a valid `add`; it is in no view, so
    // nothing is unmapped.
    expect_err(
        unsafe { unmap_view(base.add(0x1000)) },
        ErrorKind::InvalidAddress,
        ERROR_INVALID_ADDRESS,
    );
    // The wild unmaps did not disturb the real view.
    // SAFETY: `base` is the registered view from `into_raw`, and nothing uses its memory after.
    unsafe { unmap_view(base) }.unwrap();
}

#[test]
fn unmap_view_really_releases_the_view() {
    // Observable through a file-backed section: its view keeps the file "user-mapped".
    let _g = raw_lock();
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x2000);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let m = t.opts().file(&f).create().unwrap();
    drop(f);
    let base = m.map_view(Access::READ, ..).unwrap().into_raw();
    drop(m);
    expect_err(
        open_file(&fp, RW, SHARE_ALL, Disposition::TruncateExisting),
        ErrorKind::UserMappedFile,
        ERROR_USER_MAPPED_FILE,
    );
    // SAFETY: base+100 is inside the registered view; it is not used afterwards.
    unsafe { unmap_view(base.add(100)) }.unwrap();
    open_file(&fp, RW, SHARE_ALL, Disposition::TruncateExisting).unwrap();
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), 0);
}

#[test]
fn flushing_pagefile_views_succeeds() {
    let t = Ns::new();
    let m = t.create("fl", 0x20000).unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    v.write(0, b"x").unwrap();
    v.flush().unwrap();
    v.flush_async().unwrap();
    v.flush_range(..).unwrap();
    v.flush_range(100..110).unwrap();
    v.flush_range(0x10000..).unwrap();
    v.flush_async_range(4096..8192).unwrap();
    for access in [Access::READ, Access::COPY, Access::NONE] {
        let r = m.map_view(access, ..).unwrap();
        r.flush().unwrap();
        r.flush_async().unwrap();
    }
    let u = t.opts().size(4096).create().unwrap();
    u.map_view(Access::WRITE, ..).unwrap().flush().unwrap();
}

#[test]
fn flush_view_by_address() {
    let _g = raw_lock();
    let t = Ns::new();
    // Pagefile view.
    let m = t.create("fa", 0x2000).unwrap();
    let base = m.map_view(Access::WRITE, ..).unwrap().into_raw();
    fmap::flush_view(base, None, false).unwrap();
    // SAFETY: inside the live view (0x2000 bytes).
    fmap::flush_view(unsafe { base.add(100) }, Some(10), true).unwrap();

    // File-backed view: written through the raw pointer, flushed by an interior address.
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x2000);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let fm = t.opts().file(&f).create().unwrap();
    let fbase = fm.map_view(Access::WRITE, ..).unwrap().into_raw();
    // SAFETY: the view is live, writable and 0x2000 bytes long.
    unsafe { std::ptr::copy_nonoverlapping(b"flushed".as_ptr(), fbase.add(0x1000), 7) };
    // SAFETY: 0x1000 is inside the same live 0x2000-byte view, as `add` requires.
    fmap::flush_view(unsafe { fbase.add(0x1000) }, Some(7), false).unwrap();
    assert_eq!(&std::fs::read(&fp).unwrap()[0x1000..0x1007], b"flushed");

    // Not a view (Wine: 87; fmap documents 487 — §13 #5 leaves it open).
    let e = fmap::flush_view(0xdeadbeef as *const u8, None, false).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::InvalidAddress | ErrorKind::InvalidParameter
        ),
        "{e}"
    );

    // SAFETY: both are registered views, not used afterwards.
    unsafe {
        unmap_view(base).unwrap();
        unmap_view(fbase).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// §2.8 / §4.6 Lifetime
// ---------------------------------------------------------------------------------------------

#[test]
fn closing_all_handles_with_a_live_view() {
    let t = Ns::new();
    let m = t.create("life", 0x10000).unwrap();
    let o = t.open("life", Access::READ).unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    let r = o.map_view(Access::READ, ..).unwrap();
    v.write(0, b"old data").unwrap();
    drop(m);
    // One handle is still open: the name is still there.
    assert!(t.open("life", Access::READ).is_ok());
    drop(o);
    expect_err(
        t.open("life", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    // The views keep the memory, contents and protection.
    assert_eq!(rd(&v, 0, 8), b"old data");
    assert_eq!(rd(&r, 0, 8), b"old data");
    assert_eq!(v.protection(), Protection::ReadWrite);
    assert_eq!(r.protection(), Protection::ReadOnly);
    v.write(0, b"OLD").unwrap();
    assert_eq!(rd(&r, 0, 3), b"OLD", "the old views still alias each other");

    // Create with the same name: a brand-new, zeroed object.
    let n = t.create("life", 0x20000).unwrap();
    assert!(!n.already_existed());
    assert_eq!(n.size(), 0x20000, "the new object has the new size");
    let nv = n.map_view(Access::WRITE, ..).unwrap();
    assert_eq!(rd(&nv, 0, 8), [0; 8]);
    nv.write(0, b"new").unwrap();
    assert_eq!(
        rd(&v, 0, 8),
        b"OLD data",
        "the old view keeps the old object"
    );
    v.write(4, b"XXXX").unwrap();
    assert_eq!(rd(&nv, 0, 8), b"new\0\0\0\0\0");
    // Opening now finds the new object.
    assert_eq!(
        rd(
            &t.open("life", Access::READ)
                .unwrap()
                .map_view(Access::READ, ..)
                .unwrap(),
            0,
            3
        ),
        b"new"
    );
}

#[test]
fn cloned_handles_keep_the_object_alive() {
    let t = Ns::new();
    let m = t.create("clone", 4096).unwrap();
    m.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"c")
        .unwrap();
    let c = m.clone();
    let d = m.duplicate(Access::READ).unwrap();
    drop(m);
    assert_eq!(
        rd(
            &t.open("clone", Access::READ)
                .unwrap()
                .map_view(Access::READ, ..)
                .unwrap(),
            0,
            1
        ),
        b"c"
    );
    drop(c);
    // The duplicated handle alone still holds the name.
    assert!(t.create("clone", 4096).unwrap().already_existed());
    assert_eq!(rd(&d.map_view(Access::READ, ..).unwrap(), 0, 1), b"c");
    drop(d);
    expect_err(
        t.open("clone", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
}

#[test]
fn opened_handle_outlives_the_creator() {
    let t = Ns::new();
    let m = t.create("o", 4096).unwrap();
    m.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"o")
        .unwrap();
    let o = t.open("o", Access::READ).unwrap();
    drop(m);
    let again = t.create("o", 4096).unwrap();
    assert!(again.already_existed(), "an opened handle keeps the name");
    assert_eq!(rd(&again.map_view(Access::READ, ..).unwrap(), 0, 1), b"o");
    drop((o, again));
    expect_err(
        t.open("o", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
}

#[test]
fn nothing_remains_after_everything_is_closed() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x3000);
    {
        let a = t.create("a", 0x10000).unwrap();
        let b = t.create("Global\\b", 0x10000).unwrap();
        let c = t.open("a", Access::READ).unwrap();
        let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
        let fm = t.opts().name("file").file(&f).create().unwrap();
        let views = [
            a.map_view(Access::WRITE, ..).unwrap(),
            b.map_view(Access::READ, ..).unwrap(),
            c.map_view(Access::COPY, ..).unwrap(),
            fm.map_view(Access::WRITE, ..).unwrap(),
        ];
        assert_eq!(
            t.scope_entries(Scope::Local)
                .iter()
                .filter(|e| is_object_file(e))
                .count(),
            2
        );
        assert_eq!(
            t.scope_entries(Scope::Global)
                .iter()
                .filter(|e| is_object_file(e))
                .count(),
            1
        );
        // Handles closed first, views last.
        drop((a, b, c, fm, f));
        assert_eq!(t.scope_entries(Scope::Local), [".lock"]);
        assert_eq!(t.scope_entries(Scope::Global), [".lock"]);
        drop(views);
    }
    assert_eq!(t.scope_entries(Scope::Local), [".lock"]);
    assert_eq!(t.scope_entries(Scope::Global), [".lock"]);
    // The listing API agrees.
    assert!(t.ns.list(Scope::Local).unwrap().is_empty());
    assert!(t.ns.list(Scope::Global).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// §4.1 / §4.3 File-backed sections
// ---------------------------------------------------------------------------------------------

#[test]
fn file_section_size_zero_is_the_exact_file_size() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let data = pattern_file(&fp, 0x3456);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    for prot in [
        Protection::ReadWrite,
        Protection::ReadOnly,
        Protection::WriteCopy,
    ] {
        let m = t.opts().file(&f).protection(prot).create().unwrap();
        assert_eq!(m.size(), 0x3456, "{prot}: not page-rounded");
        assert_eq!(
            m.file_path().map(|p| p.canonicalize().unwrap()),
            Some(fp.canonicalize().unwrap())
        );
        let v = m.map_view(Access::READ, ..).unwrap();
        assert_eq!(v.len(), 0x3456);
        assert_eq!(rd(&v, 0, 0x3456), data);
    }
    // Named too.
    let n = t.opts().name("fs").file(&f).create().unwrap();
    assert_eq!(n.size(), 0x3456);
    assert_eq!(t.open("fs", Access::READ).unwrap().size(), 0x3456);
    assert_eq!(
        std::fs::metadata(&fp).unwrap().len(),
        0x3456,
        "the file keeps its size"
    );
}

#[test]
fn file_section_smaller_than_the_file_keeps_the_exact_size() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let data = pattern_file(&fp, 0x3456);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    for size in [36u64, 0x3452, 0x1000] {
        let m = t.opts().file(&f).size(size).create().unwrap();
        assert_eq!(m.size(), size);
        let v = m.map_view(Access::READ, ..).unwrap();
        assert_eq!(v.len() as u64, size);
        assert_eq!(rd(&v, 0, size as usize), &data[..size as usize]);
    }
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), 0x3456);
}

#[test]
fn empty_file_with_size_zero_is_file_invalid() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("empty");
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::CreateNew).unwrap();
    for prot in [Protection::ReadWrite, Protection::ReadOnly] {
        expect_err(
            t.opts().file(&f).protection(prot).create(),
            ErrorKind::FileInvalid,
            ERROR_FILE_INVALID,
        );
        expect_err(
            t.opts().name("e").file(&f).protection(prot).create(),
            ErrorKind::FileInvalid,
            ERROR_FILE_INVALID,
        );
    }
    expect_err(
        t.open("e", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    // A non-zero size with PAGE_READWRITE grows it; then size 0 works.
    let m = t.opts().file(&f).size(0x1000).create().unwrap();
    assert_eq!(m.size(), 0x1000);
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), 0x1000);
    let m0 = t.opts().file(&f).create().unwrap();
    assert_eq!(m0.size(), 0x1000);
}

#[test]
fn readwrite_section_larger_than_the_file_grows_it() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let data = pattern_file(&fp, 4096);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let m = t.opts().file(&f).size(1 << 20).create().unwrap();
    assert_eq!(m.size(), 1 << 20);
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), 1 << 20);
    assert_eq!(f.len().unwrap(), 1 << 20);
    let v = m.map_view(Access::WRITE, ..).unwrap();
    assert_eq!(v.len(), 1 << 20);
    assert_eq!(rd(&v, 0, 4096), data);
    v.write((1 << 20) - 4, b"tail").unwrap();
    v.flush().unwrap();
    assert_eq!(&std::fs::read(&fp).unwrap()[(1 << 20) - 4..], b"tail");
    // A size that is not a page multiple grows the file to exactly that size.
    let m2 = t.opts().file(&f).size((1 << 20) + 0x123).create().unwrap();
    assert_eq!(m2.size(), (1 << 20) + 0x123);
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), (1 << 20) + 0x123);
}

#[test]
fn readonly_section_larger_than_the_file_is_not_enough_memory() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x3456);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    for prot in [
        Protection::ReadOnly,
        Protection::WriteCopy,
        Protection::ExecuteRead,
        Protection::ExecuteWriteCopy,
    ] {
        let r = t.opts().file(&f).size(0x3457).protection(prot).create();
        if prot.is_executable() && matches!(&r, Err(e) if e.kind() == ErrorKind::AccessDenied) {
            continue; // the file was not opened with execute access (checked first)
        }
        expect_err(r, ErrorKind::NotEnoughMemory, ERROR_NOT_ENOUGH_MEMORY);
        expect_err(
            t.opts()
                .name("ro")
                .file(&f)
                .size(0x10000)
                .protection(prot)
                .create(),
            ErrorKind::NotEnoughMemory,
            ERROR_NOT_ENOUGH_MEMORY,
        );
    }
    assert_eq!(
        std::fs::metadata(&fp).unwrap().len(),
        0x3456,
        "the file is untouched"
    );
    // Equal to the file size is fine.
    let ok = t
        .opts()
        .file(&f)
        .size(0x3456)
        .protection(Protection::ReadOnly)
        .create()
        .unwrap();
    assert_eq!(ok.size(), 0x3456);
}

#[test]
fn huge_file_section_is_not_enough_memory() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 4096);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    for size in [0x8000_0000_0000_0000u64, 1 << 54, u64::MAX] {
        expect_err(
            t.opts().file(&f).size(size).create(),
            ErrorKind::NotEnoughMemory,
            ERROR_NOT_ENOUGH_MEMORY,
        );
    }
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), 4096);
}

#[test]
fn file_access_must_cover_the_protection() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x2000);
    let ro = open_file(&fp, GENERIC_READ, SHARE_ALL, Disposition::OpenExisting).unwrap();
    for prot in [
        Protection::ReadWrite,
        Protection::ExecuteRead,
        Protection::ExecuteReadWrite,
        Protection::ExecuteWriteCopy,
    ] {
        expect_err(
            t.opts().file(&ro).protection(prot).create(),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
        expect_err(
            t.opts().name("n").file(&ro).protection(prot).create(),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
    }
    for prot in [Protection::ReadOnly, Protection::WriteCopy] {
        let m = t.opts().file(&ro).protection(prot).create().unwrap();
        assert_eq!(m.size(), 0x2000);
        assert!(m.map_view(Access::READ, ..).is_ok());
        expect_err(
            m.map_view(Access::WRITE, ..),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
        // COPY works on a read-only file; its writes stay private.
        let c = m.map_view(Access::COPY, ..).unwrap();
        c.write(0, b"zz").unwrap();
        assert_ne!(&std::fs::read(&fp).unwrap()[..2], b"zz");
    }
    // GENERIC_WRITE alone (no read): even PAGE_READONLY needs read access.
    let wo = open_file(&fp, GENERIC_WRITE, SHARE_ALL, Disposition::OpenExisting).unwrap();
    for prot in [Protection::ReadOnly, Protection::ReadWrite] {
        expect_err(
            t.opts().file(&wo).protection(prot).create(),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
    }
    // Access 0: every protection fails (5 on current Windows).
    let none = open_file(&fp, 0, SHARE_ALL, Disposition::OpenExisting).unwrap();
    for prot in [
        Protection::ReadOnly,
        Protection::ReadWrite,
        Protection::WriteCopy,
    ] {
        expect_err(
            t.opts().file(&none).protection(prot).create(),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
    }
    expect_err(
        t.open("n", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
}

#[test]
fn file_section_checks_happen_in_windows_order() {
    // §4.1: SEC flags → file access → empty file → size.
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("empty");
    let ro = open_file(&fp, GENERIC_READ, SHARE_ALL, Disposition::CreateNew).unwrap();
    expect_err(
        t.opts()
            .file(&ro)
            .flprotect(PAGE_READWRITE | SEC_RESERVE | SEC_COMMIT)
            .create(),
        ErrorKind::InvalidParameter,
        87,
    );
    expect_err(
        t.opts()
            .file(&ro)
            .flprotect(PAGE_READWRITE | SEC_IMAGE)
            .create(),
        ErrorKind::BadExeFormat,
        193,
    );
    expect_err(
        t.opts()
            .file(&ro)
            .protection(Protection::ReadWrite)
            .create(),
        ErrorKind::AccessDenied,
        5,
    );
    expect_err(
        t.opts().file(&ro).protection(Protection::ReadOnly).create(),
        ErrorKind::FileInvalid,
        1006,
    );
    expect_err(
        t.opts()
            .file(&ro)
            .protection(Protection::ReadOnly)
            .size(1)
            .create(),
        ErrorKind::NotEnoughMemory,
        8,
    );
}

#[test]
fn writes_through_a_view_reach_the_file() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let mut data = pattern_file(&fp, 0x20000);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let m = t.opts().file(&f).create().unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    v.write(10, b"hello").unwrap();
    v.flush().unwrap();
    data[10..15].copy_from_slice(b"hello");
    assert_eq!(std::fs::read(&fp).unwrap(), data);
    // A view at a 64K offset writes the right part of the file.
    let hi = m.map_view(Access::WRITE, 0x10000..).unwrap();
    hi.write(5, b"upper").unwrap();
    hi.flush_range(..16).unwrap();
    data[0x10005..0x1000a].copy_from_slice(b"upper");
    assert_eq!(std::fs::read(&fp).unwrap(), data);
    // flush_async starts the write-back; the data is in the file (page cache) either way.
    v.write(0x1FFF0, b"async").unwrap();
    v.flush_async().unwrap();
    f.sync().unwrap();
    data[0x1FFF0..0x1FFF5].copy_from_slice(b"async");
    assert_eq!(std::fs::read(&fp).unwrap(), data);
    // And the file's contents show up in views (coherence with the page cache).
    std::os::unix::fs::FileExt::write_all_at(f.as_std(), &[0xEE; 4], 0).unwrap();
    assert_eq!(rd(&v, 0, 4), [0xEE; 4]);
}

#[test]
fn copy_view_writes_do_not_reach_the_file() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let data = pattern_file(&fp, 0x2000);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let m = t.opts().file(&f).create().unwrap();
    let c = m.map_view(Access::COPY, ..).unwrap();
    c.write(0, b"private").unwrap();
    c.flush().unwrap();
    drop(c);
    drop(m);
    assert_eq!(std::fs::read(&fp).unwrap(), data);
}

#[test]
fn two_sections_of_one_file_are_coherent() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x2000);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let a = t.opts().file(&f).create().unwrap();
    let b = t.opts().name("b").file(&f).create().unwrap();
    let va = a.map_view(Access::WRITE, ..).unwrap();
    let vb = b.map_view(Access::READ, ..).unwrap();
    va.write(0x1000, b"coherent").unwrap();
    assert_eq!(rd(&vb, 0x1000, 8), b"coherent");
}

#[test]
fn file_view_length_limit_is_the_exact_size() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x3456);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let m = t.opts().file(&f).size(0x3452).create().unwrap();
    assert_eq!(m.size(), 0x3452);
    let v = m.map_view(Access::READ, ..0x3452).unwrap();
    assert_eq!(v.len(), 0x3452);
    assert_eq!(v.region_size(), 0x4000);
    expect_err(
        m.map_view(Access::READ, ..0x3453),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        m.map_view(Access::READ, ..0x4000),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        m.map_view(Access::READ, 0x10000..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    // The view's own bounds are the exact size.
    let mut b = [0u8; 1];
    assert!(v.read(0x3451, &mut b).is_ok());
    assert!(v.read(0x3452, &mut b).is_err());
}

#[test]
fn named_file_section_opens_by_name() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let data = pattern_file(&fp, 0x3456);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let m = t.opts().name("Local\\file").file(&f).create().unwrap();
    assert!(!m.already_existed());
    assert_eq!(m.sec_flags(), SEC_FILE);
    drop(f); // the section keeps the file open on its own

    let o = t.open("file", Access::ALL).unwrap();
    assert_eq!(o.size(), 0x3456);
    assert_eq!(o.sec_flags(), SEC_FILE);
    assert_eq!(o.protection(), Protection::ReadWrite);
    assert!(o.file_path().is_some());
    let r = o.map_view(Access::READ, ..).unwrap();
    assert_eq!(rd(&r, 0, 0x3456), data);
    // Writes through one handle's view show in the other's, and in the file.
    let w = m.map_view(Access::WRITE, ..).unwrap();
    w.write(0x3450, b"ZZ").unwrap();
    assert_eq!(rd(&r, 0x3450, 2), b"ZZ");
    let ow = o.map_view(Access::WRITE, ..).unwrap();
    ow.write(0, b"YY").unwrap();
    assert_eq!(rd(&w, 0, 2), b"YY");
    ow.flush().unwrap();
    let on_disk = std::fs::read(&fp).unwrap();
    assert_eq!(&on_disk[..2], b"YY");
    assert_eq!(&on_disk[0x3450..0x3452], b"ZZ");

    // create() on the name returns the file section, whatever is passed.
    let again = t.create("file", 4096).unwrap();
    assert!(again.already_existed());
    assert_eq!(again.size(), 0x3456);
    assert_eq!(again.sec_flags(), SEC_FILE);
}

#[test]
fn readonly_named_file_section() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let data = pattern_file(&fp, 0x2000);
    let f = open_file(
        &fp,
        GENERIC_READ,
        FILE_SHARE_READ,
        Disposition::OpenExisting,
    )
    .unwrap();
    let m = t
        .opts()
        .name("rofile")
        .file(&f)
        .protection(Protection::ReadOnly)
        .create()
        .unwrap();
    let o = t.open("rofile", Access::ALL).unwrap();
    assert_eq!(o.protection(), Protection::ReadOnly);
    expect_err(
        o.map_view(Access::WRITE, ..),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    assert_eq!(rd(&o.map_view(Access::READ, ..).unwrap(), 0, 0x2000), data);
    let c = o.map_view(Access::COPY, ..).unwrap();
    c.write(0, b"cow").unwrap();
    assert_eq!(rd(&m.map_view(Access::READ, ..).unwrap(), 0, 3), &data[..3]);
    assert_eq!(std::fs::read(&fp).unwrap(), data);
}

#[test]
fn file_section_name_goes_with_the_last_handle() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let data = pattern_file(&fp, 0x2000);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let m = t.opts().name("fl").file(&f).create().unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    drop(m);
    drop(f);
    expect_err(
        t.open("fl", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    // The view still maps the file.
    assert_eq!(rd(&v, 0, 0x2000), data);
    v.write(0, b"still").unwrap();
    v.flush().unwrap();
    assert_eq!(&std::fs::read(&fp).unwrap()[..5], b"still");
    // A create with the same name is a new object (here: a pagefile section).
    let n = t.create("fl", 4096).unwrap();
    assert!(!n.already_existed());
    assert_eq!(n.file_path(), None);
    assert_eq!(rd(&n.map_view(Access::READ, ..).unwrap(), 0, 5), [0; 5]);
    assert_eq!(
        t.scope_entries(Scope::Local)
            .iter()
            .filter(|e| is_object_file(e))
            .count(),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// §4.6 Share modes, truncation, CreateFile dispositions
// ---------------------------------------------------------------------------------------------

#[test]
fn share_mode_zero_blocks_a_second_open() {
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 100);
    let first = open_file(&fp, GENERIC_READ, 0, Disposition::OpenExisting).unwrap();
    for (acc, share) in [
        (GENERIC_READ, SHARE_ALL),
        (GENERIC_WRITE, SHARE_ALL),
        (RW, SHARE_ALL),
        (GENERIC_READ, 0),
        (DELETE, SHARE_ALL),
    ] {
        expect_err(
            open_file(&fp, acc, share, Disposition::OpenExisting),
            ErrorKind::SharingViolation,
            ERROR_SHARING_VIOLATION,
        );
    }
    // Attribute-only opens are not subject to share modes.
    assert!(open_file(&fp, FILE_READ_ATTRIBUTES, 0, Disposition::OpenExisting).is_ok());
    drop(first);
    assert!(open_file(&fp, RW, 0, Disposition::OpenExisting).is_ok());
}

#[test]
fn share_read_allows_readers_but_not_writers() {
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 100);
    let _first = open_file(
        &fp,
        GENERIC_READ,
        FILE_SHARE_READ,
        Disposition::OpenExisting,
    )
    .unwrap();
    let _second = open_file(
        &fp,
        GENERIC_READ,
        FILE_SHARE_READ,
        Disposition::OpenExisting,
    )
    .unwrap();
    let _third = open_file(&fp, GENERIC_READ, SHARE_ALL, Disposition::OpenExisting).unwrap();
    expect_err(
        open_file(&fp, GENERIC_WRITE, SHARE_ALL, Disposition::OpenExisting),
        ErrorKind::SharingViolation,
        ERROR_SHARING_VIOLATION,
    );
    expect_err(
        open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting),
        ErrorKind::SharingViolation,
        32,
    );
    // A new reader must itself share read with the existing readers.
    expect_err(
        open_file(
            &fp,
            GENERIC_READ,
            FILE_SHARE_WRITE,
            Disposition::OpenExisting,
        ),
        ErrorKind::SharingViolation,
        ERROR_SHARING_VIOLATION,
    );
}

#[test]
fn readwrite_section_demands_share_write_from_later_opens() {
    // WT-FILE test_file_sharing: file opened R/W share 0, section of size 0, file handle closed.
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x1000);
    for prot in [Protection::ReadWrite, Protection::ExecuteReadWrite] {
        let f = open_file(&fp, RW | GENERIC_EXECUTE, 0, Disposition::OpenExisting).unwrap();
        let m = t.opts().file(&f).protection(prot).create().unwrap();
        drop(f);
        for (acc, share) in [
            (GENERIC_READ, 0),
            (GENERIC_READ, FILE_SHARE_READ),
            (GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE),
            (RW, FILE_SHARE_READ),
            (GENERIC_WRITE, 0),
        ] {
            expect_err(
                open_file(&fp, acc, share, Disposition::OpenExisting),
                ErrorKind::SharingViolation,
                ERROR_SHARING_VIOLATION,
            );
        }
        for (acc, share) in [
            (GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE),
            (GENERIC_READ, FILE_SHARE_WRITE),
            (RW, FILE_SHARE_READ | FILE_SHARE_WRITE),
            (GENERIC_WRITE, FILE_SHARE_WRITE),
            (RW, SHARE_ALL),
        ] {
            open_file(&fp, acc, share, Disposition::OpenExisting)
                .unwrap_or_else(|e| panic!("{prot}: access {acc:#x} share {share}: {e}"));
        }
        drop(m);
        // Section gone: share 0 works again.
        open_file(&fp, RW, 0, Disposition::OpenExisting).unwrap();
    }
}

#[test]
fn readwrite_section_view_keeps_demanding_share_write() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x1000);
    let f = open_file(&fp, RW, 0, Disposition::OpenExisting).unwrap();
    let m = t.opts().file(&f).create().unwrap();
    let v = m.map_view(Access::READ, ..).unwrap();
    drop((m, f));
    expect_err(
        open_file(
            &fp,
            GENERIC_READ,
            FILE_SHARE_READ,
            Disposition::OpenExisting,
        ),
        ErrorKind::SharingViolation,
        32,
    );
    drop(v);
    open_file(
        &fp,
        GENERIC_READ,
        FILE_SHARE_READ,
        Disposition::OpenExisting,
    )
    .unwrap();
}

#[test]
fn readonly_section_does_not_restrict_reopens() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x1000);
    for prot in [Protection::ReadOnly, Protection::WriteCopy] {
        let f = open_file(&fp, RW, 0, Disposition::OpenExisting).unwrap();
        let m = t.opts().file(&f).protection(prot).create().unwrap();
        let _v = m.map_view(Access::READ, ..).unwrap();
        drop(f);
        for (acc, share) in [
            (GENERIC_READ, 0),
            (RW, 0),
            (GENERIC_WRITE, FILE_SHARE_READ),
            (RW, SHARE_ALL),
        ] {
            let g = open_file(&fp, acc, share, Disposition::OpenExisting)
                .unwrap_or_else(|e| panic!("{prot}: access {acc:#x} share {share}: {e}"));
            drop(g);
        }
    }
}

#[test]
fn truncating_a_mapped_file_is_user_mapped_file() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    let data = pattern_file(&fp, 0x2000);
    for prot in [
        Protection::ReadWrite,
        Protection::ReadOnly,
        Protection::WriteCopy,
    ] {
        let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
        let m = t.opts().file(&f).protection(prot).create().unwrap();
        for disp in [Disposition::CreateAlways, Disposition::TruncateExisting] {
            expect_err(
                open_file(&fp, RW, SHARE_ALL, disp),
                ErrorKind::UserMappedFile,
                ERROR_USER_MAPPED_FILE,
            );
            expect_err(
                open_file(&fp, GENERIC_WRITE, SHARE_ALL, disp),
                ErrorKind::UserMappedFile,
                ERROR_USER_MAPPED_FILE,
            );
        }
        // Also after the file handle is gone (the section holds the file).
        drop(f);
        expect_err(
            open_file(&fp, RW, SHARE_ALL, Disposition::CreateAlways),
            ErrorKind::UserMappedFile,
            ERROR_USER_MAPPED_FILE,
        );
        assert_eq!(
            std::fs::read(&fp).unwrap(),
            data,
            "{prot}: the file was not truncated"
        );
        // Opening without truncation is fine.
        open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
        open_file(&fp, RW, SHARE_ALL, Disposition::OpenAlways).unwrap();
        drop(m);
    }
}

#[test]
fn shrinking_a_mapped_file_is_user_mapped_file() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x2000);
    let f = open_file(&fp, RW, 0, Disposition::OpenExisting).unwrap();
    let m = t.opts().file(&f).size(0x1000).create().unwrap();
    expect_err(
        f.set_len(0x800),
        ErrorKind::UserMappedFile,
        ERROR_USER_MAPPED_FILE,
    );
    expect_err(
        f.set_len(0),
        ErrorKind::UserMappedFile,
        ERROR_USER_MAPPED_FILE,
    );
    assert_eq!(f.len().unwrap(), 0x2000);
    // Growing (and "changing" to the same size) is allowed.
    f.set_len(0x3000).unwrap();
    f.set_len(0x3000).unwrap();
    assert_eq!(f.len().unwrap(), 0x3000);
    drop(m);
    f.set_len(0x10).unwrap();
    assert_eq!(std::fs::metadata(&fp).unwrap().len(), 0x10);
}

#[test]
fn views_keep_the_file_mapped() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x2000);
    let f = open_file(&fp, RW, SHARE_ALL, Disposition::OpenExisting).unwrap();
    let m = t.opts().name("vk").file(&f).create().unwrap();
    let v = m.map_view(Access::READ, ..).unwrap();
    drop(m);
    expect_err(
        t.open("vk", Access::READ),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    expect_err(
        f.set_len(0),
        ErrorKind::UserMappedFile,
        ERROR_USER_MAPPED_FILE,
    );
    expect_err(
        open_file(&fp, RW, SHARE_ALL, Disposition::CreateAlways),
        ErrorKind::UserMappedFile,
        1224,
    );
    drop(v);
    f.set_len(0).unwrap();
}

#[test]
fn truncation_works_after_the_section_is_gone() {
    let t = Ns::new();
    let fdir = files();
    let fp = fdir.path().join("f");
    pattern_file(&fp, 0x2000);
    {
        let f = open_file(&fp, RW, 0, Disposition::OpenExisting).unwrap();
        let m = t.opts().name("tr").file(&f).create().unwrap();
        let o = t.open("tr", Access::READ).unwrap();
        let _views = (
            m.map_view(Access::WRITE, ..).unwrap(),
            o.map_view(Access::READ, ..).unwrap(),
        );
    }
    let (f, existed) = File::open(&fp, RW, 0, Disposition::CreateAlways).unwrap();
    assert!(existed);
    assert_eq!(f.len().unwrap(), 0);
    drop(f);
    pattern_file(&fp, 0x2000);
    let (f, existed) = File::open(&fp, RW, 0, Disposition::TruncateExisting).unwrap();
    assert!(existed);
    assert_eq!(f.len().unwrap(), 0);
}

#[test]
fn create_file_dispositions() {
    let fdir = files();
    let fp = fdir.path().join("f");
    // CREATE_NEW
    let (f, existed) = File::open(&fp, RW, SHARE_ALL, Disposition::CreateNew).unwrap();
    assert!(!existed);
    assert_eq!(f.len().unwrap(), 0);
    drop(f);
    expect_err(
        File::open(&fp, RW, SHARE_ALL, Disposition::CreateNew),
        ErrorKind::FileExists,
        ERROR_FILE_EXISTS,
    );
    // OPEN_EXISTING
    let missing = fdir.path().join("missing");
    expect_err(
        File::open(&missing, GENERIC_READ, SHARE_ALL, Disposition::OpenExisting),
        ErrorKind::FileNotFound,
        2,
    );
    expect_err(
        File::open(&missing, RW, SHARE_ALL, Disposition::TruncateExisting),
        ErrorKind::FileNotFound,
        2,
    );
    assert!(!missing.exists());
    // A missing directory
    let nodir: PathBuf = fdir.path().join("no-such-dir").join("f");
    for disp in [
        Disposition::CreateNew,
        Disposition::CreateAlways,
        Disposition::OpenExisting,
        Disposition::OpenAlways,
        Disposition::TruncateExisting,
    ] {
        expect_err(
            File::open(&nodir, RW, SHARE_ALL, disp),
            ErrorKind::PathNotFound,
            ERROR_PATH_NOT_FOUND,
        );
    }
    // CREATE_ALWAYS / OPEN_ALWAYS report whether the file existed.
    std::fs::write(&fp, b"content").unwrap();
    let (f, existed) = File::open(&fp, RW, SHARE_ALL, Disposition::OpenAlways).unwrap();
    assert!(existed);
    assert_eq!(f.len().unwrap(), 7, "OPEN_ALWAYS does not truncate");
    drop(f);
    let (f, existed) = File::open(&fp, RW, SHARE_ALL, Disposition::CreateAlways).unwrap();
    assert!(existed);
    assert_eq!(f.len().unwrap(), 0, "CREATE_ALWAYS truncates");
    drop(f);
    let new1 = fdir.path().join("new1");
    let (_f, existed) = File::open(&new1, RW, SHARE_ALL, Disposition::OpenAlways).unwrap();
    assert!(!existed);
    let new2 = fdir.path().join("new2");
    let (_f, existed) = File::open(&new2, RW, SHARE_ALL, Disposition::CreateAlways).unwrap();
    assert!(!existed);
    assert!(new1.exists() && new2.exists());
    // Raw dispositions.
    assert_eq!(
        Disposition::from_win32(CREATE_NEW).unwrap(),
        Disposition::CreateNew
    );
    assert_eq!(
        Disposition::from_win32(TRUNCATE_EXISTING).unwrap(),
        Disposition::TruncateExisting
    );
    expect_err(Disposition::from_win32(0), ErrorKind::InvalidParameter, 87);
    expect_err(Disposition::from_win32(6), ErrorKind::InvalidParameter, 87);
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn every_error_has_a_message_and_names_its_win32_code() {
    let t = Ns::new();
    let fdir = files();
    let m = t.create("err", 0x10000).unwrap();
    let fp = fdir.path().join("empty");
    let f = open_file(&fp, RW, 0, Disposition::CreateNew).unwrap();
    let errors: Vec<(fmap::Error, ErrorKind, u32)> = vec![
        (
            t.open("missing", Access::READ).unwrap_err(),
            ErrorKind::FileNotFound,
            2,
        ),
        (
            t.open("a\\b", Access::READ).unwrap_err(),
            ErrorKind::PathNotFound,
            3,
        ),
        (
            t.open("err", Access::NONE).unwrap_err(),
            ErrorKind::AccessDenied,
            5,
        ),
        (
            t.open("", Access::READ).unwrap_err(),
            ErrorKind::InvalidHandle,
            6,
        ),
        (
            t.create("huge", u64::MAX).unwrap_err(),
            ErrorKind::NotEnoughMemory,
            8,
        ),
        (
            open_file(&fp, RW, 0, Disposition::OpenExisting).unwrap_err(),
            ErrorKind::SharingViolation,
            32,
        ),
        (
            open_file(&fp, RW, SHARE_ALL, Disposition::CreateNew).unwrap_err(),
            ErrorKind::FileExists,
            80,
        ),
        (
            t.create("zero", 0).unwrap_err(),
            ErrorKind::InvalidParameter,
            87,
        ),
        (t.create("a\0", 1).unwrap_err(), ErrorKind::InvalidName, 123),
        (
            t.opts()
                .size(1)
                .flprotect(PAGE_READWRITE | SEC_IMAGE)
                .create()
                .unwrap_err(),
            ErrorKind::BadExeFormat,
            193,
        ),
        (
            t.create(&"n".repeat(300), 1).unwrap_err(),
            ErrorKind::FilenameExcedRange,
            206,
        ),
        (
            // SAFETY: no view contains this address, so nothing is unmapped or dereferenced.
            unsafe { unmap_view(0xdeadbeef as *const u8) }.unwrap_err(),
            ErrorKind::InvalidAddress,
            487,
        ),
        (
            t.opts().file(&f).create().unwrap_err(),
            ErrorKind::FileInvalid,
            1006,
        ),
        (
            m.map_view(Access::READ, 0x1000..).unwrap_err(),
            ErrorKind::MappedAlignment,
            1132,
        ),
    ];
    for (e, kind, code) in errors {
        assert_eq!(e.kind(), kind, "{e}");
        assert_eq!(e.win32_code(), code, "{e}");
        assert_eq!(kind.win32_code(), code);
        assert!(
            !e.message().trim().is_empty(),
            "{kind:?} has an empty message"
        );
        let shown = e.to_string();
        assert!(shown.contains(kind.win32_name()), "{shown:?}");
        assert!(shown.contains(&code.to_string()), "{shown:?}");
        assert!(kind.win32_name().starts_with("ERROR_"));
        assert_eq!(kind.to_string(), format!("{} ({code})", kind.win32_name()));
        // Converts to an io::Error that still carries the message.
        let io: std::io::Error = e.into();
        assert!(io.to_string().contains(kind.win32_name()));
    }
    // The codes of the kinds that the file-mapping API reports.
    for (kind, code, name) in [
        (ErrorKind::FileNotFound, 2, "ERROR_FILE_NOT_FOUND"),
        (ErrorKind::PathNotFound, 3, "ERROR_PATH_NOT_FOUND"),
        (ErrorKind::AccessDenied, 5, "ERROR_ACCESS_DENIED"),
        (ErrorKind::InvalidHandle, 6, "ERROR_INVALID_HANDLE"),
        (ErrorKind::NotEnoughMemory, 8, "ERROR_NOT_ENOUGH_MEMORY"),
        (ErrorKind::SharingViolation, 32, "ERROR_SHARING_VIOLATION"),
        (ErrorKind::FileExists, 80, "ERROR_FILE_EXISTS"),
        (ErrorKind::InvalidParameter, 87, "ERROR_INVALID_PARAMETER"),
        (ErrorKind::DiskFull, 112, "ERROR_DISK_FULL"),
        (ErrorKind::InvalidName, 123, "ERROR_INVALID_NAME"),
        (ErrorKind::BadExeFormat, 193, "ERROR_BAD_EXE_FORMAT"),
        (
            ErrorKind::FilenameExcedRange,
            206,
            "ERROR_FILENAME_EXCED_RANGE",
        ),
        (ErrorKind::InvalidAddress, 487, "ERROR_INVALID_ADDRESS"),
        (ErrorKind::FileInvalid, 1006, "ERROR_FILE_INVALID"),
        (ErrorKind::MappedAlignment, 1132, "ERROR_MAPPED_ALIGNMENT"),
        (ErrorKind::UserMappedFile, 1224, "ERROR_USER_MAPPED_FILE"),
        (
            ErrorKind::PrivilegeNotHeld,
            1314,
            "ERROR_PRIVILEGE_NOT_HELD",
        ),
        (ErrorKind::CommitmentLimit, 1455, "ERROR_COMMITMENT_LIMIT"),
    ] {
        assert_eq!(kind.win32_code(), code);
        assert_eq!(kind.win32_name(), name);
    }
}

#[test]
fn delete_file_honours_share_modes() {
    let fdir = files();
    let p = fdir.path().join("del");
    std::fs::write(&p, b"x").unwrap();
    // An open that does not share delete blocks DeleteFile.
    let f = open_file(&p, GENERIC_READ, FILE_SHARE_READ, Disposition::OpenExisting).unwrap();
    expect_err(
        fmap::File::delete(&p),
        ErrorKind::SharingViolation,
        ERROR_SHARING_VIOLATION,
    );
    assert!(p.exists());
    drop(f);
    // One that shares delete does not.
    let g = open_file(
        &p,
        GENERIC_READ,
        FILE_SHARE_READ | FILE_SHARE_DELETE,
        Disposition::OpenExisting,
    )
    .unwrap();
    fmap::File::delete(&p).unwrap();
    assert!(!p.exists());
    drop(g);
    expect_err(
        fmap::File::delete(&p),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    expect_err(
        fmap::File::delete(fdir.path().join("nodir/x")),
        ErrorKind::PathNotFound,
        ERROR_PATH_NOT_FOUND,
    );
    expect_err(
        fmap::File::delete(fdir.path()),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}
