//! Builds the C programs in `tests/c/` against the headers in `include/` and this crate's
//! shared (or static) library with the system C compiler (`cc`, or `$CC`), and runs them.
//!
//! Every program runs with its own `$FMAP_ROOT`, so the fixed object names of the samples do
//! not collide between tests running in parallel, and with `LD_LIBRARY_PATH` pointing at the
//! library. The library is the one cargo built for this test run (next to the test binary:
//! `target/<profile>/`); if it is missing, `cargo build -p fmap-win32` makes it.

mod common;

use common::{crate_dir, finish, lib_dir, text};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn src(name: &str) -> PathBuf {
    crate_dir().join("tests/c").join(name)
}

#[derive(Clone, Copy)]
enum Link {
    Shared,
    Static,
    /// A shared library (`-shared -fPIC`) that links the shared fmap-win32.
    Dll,
}

/// A scratch directory with its own fmap namespace.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn ns_root(&self) -> PathBuf {
        self.path().join("ns")
    }

    /// Compiles `sources` into `out` (in the scratch directory). Flags starting with `-l` go
    /// after the sources.
    fn cc(&self, out: &str, sources: &[&Path], flags: &[&str], link: Link) -> PathBuf {
        let exe = self.path().join(out);
        let lib = lib_dir();
        let mut cmd = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
        cmd.args(["-std=gnu11", "-Wall", "-Werror", "-I"])
            .arg(crate_dir().join("include"))
            .arg("-I")
            .arg(crate_dir().join("tests/c"))
            .args(flags.iter().filter(|f| !f.starts_with("-l")));
        if matches!(link, Link::Dll) {
            cmd.args(["-shared", "-fPIC"]);
        }
        cmd.args(sources)
            .arg("-o")
            .arg(&exe)
            .arg("-L")
            .arg(lib)
            .arg("-L")
            .arg(self.path())
            .args(flags.iter().filter(|f| f.starts_with("-l")));
        match link {
            Link::Shared | Link::Dll => cmd.arg("-lfmap_win32"),
            Link::Static => cmd.args(["-l:libfmap_win32.a", "-lpthread", "-ldl", "-lm"]),
        };
        let out = cmd.output().expect("run cc");
        assert!(
            out.status.success(),
            "compiling {:?} failed:\n{}",
            sources,
            String::from_utf8_lossy(&out.stderr)
        );
        exe
    }

    /// A command for a built program, in this scratch namespace.
    fn cmd(&self, exe: &Path) -> Command {
        let mut cmd = Command::new(exe);
        cmd.current_dir(self.path())
            .env("FMAP_ROOT", self.ns_root())
            .env(
                "LD_LIBRARY_PATH",
                format!("{}:{}", self.path().display(), lib_dir().display()),
            );
        cmd
    }

    /// Names still present in the scratch namespace.
    fn names_left(&self) -> Vec<String> {
        let ns = fmap::Namespace::at(self.ns_root());
        [fmap::Scope::Local, fmap::Scope::Global]
            .iter()
            .flat_map(|s| ns.list(*s).unwrap_or_default())
            .map(|o| o.name)
            .collect()
    }
}

/// Runs a command to completion (at most 60 s), feeding it `stdin`.
fn run(cmd: &mut Command, stdin: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn test program");
    let mut input = child.stdin.take().expect("stdin");
    let _ = input.write_all(stdin);
    drop(input);
    finish(cmd, child)
}

/// Runs a self-checking program and asserts it passed.
fn run_checks(scratch: &Scratch, exe: &Path, args: &[&str]) {
    let out = run(scratch.cmd(exe).args(args), b"");
    assert!(
        out.status.success(),
        "{} {:?} failed ({}):\n{}{}",
        exe.display(),
        args,
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains(" 0 failed"),
        "{}",
        text(&out.stdout)
    );
}

/// The object-like macros of windows.h that are numeric constants, by name.
fn header_constants() -> Vec<String> {
    let header = std::fs::read_to_string(crate_dir().join("include/windows.h")).expect("windows.h");
    let mut names = Vec::new();
    for line in header.lines() {
        let Some(rest) = line.trim_start().strip_prefix("#define ") else {
            continue;
        };
        let rest = rest.trim_start();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (name, value) = rest.split_at(end);
        if value.starts_with('(') || name.starts_with('_') {
            continue; // function-like macro, or an implementation detail
        }
        let value = value.split("/*").next().unwrap_or("").trim();
        let is_ident = !value.is_empty()
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !value.starts_with(|c: char| c.is_ascii_digit());
        if value.is_empty() || is_ident {
            continue; // attribute macros and A/W aliases
        }
        assert!(
            value.chars().any(|c| c.is_ascii_digit())
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "()_-~ ".contains(c)),
            "windows.h: cannot classify #define {name} {value}"
        );
        names.push(name.to_owned());
    }
    names
}

#[test]
fn header_constants_match_the_library() {
    let names = header_constants();
    let table: BTreeMap<&str, i64> = fmap_win32::abi::consts::TABLE.iter().copied().collect();
    let mut c = String::from("#include <windows.h>\n#include <stdio.h>\nint main(void)\n{\n");
    for n in &names {
        c += &format!("    printf(\"{n} %lld\\n\", (long long)({n}));\n");
    }
    for s in [
        "SYSTEM_INFO",
        "PROCESS_INFORMATION",
        "SECURITY_ATTRIBUTES",
        "LARGE_INTEGER",
        "STARTUPINFOA",
        "STARTUPINFOW",
        "OVERLAPPED",
        "WCHAR",
        "DWORD",
        "LONG",
        "BOOL",
    ] {
        c += &format!("    printf(\"sizeof({s}) %lld\\n\", (long long)sizeof({s}));\n");
    }
    c += "    return 0;\n}\n";
    let scratch = Scratch::new();
    let file = scratch.path().join("constants.c");
    std::fs::write(&file, c).expect("write constants.c");
    let exe = scratch.cc("constants", &[&file], &[], Link::Shared);
    let out = run(&mut scratch.cmd(&exe), b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed: BTreeMap<String, i64> = text(&out.stdout)
        .lines()
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_owned(), v.parse().expect("number")))
        .collect();
    let mut problems = Vec::new();
    for n in &names {
        match table.get(n.as_str()) {
            None => problems.push(format!("{n} is in windows.h but not in consts::TABLE")),
            Some(v) if printed.get(n) != Some(v) => problems.push(format!(
                "{n}: windows.h says {:?}, the library {v}",
                printed.get(n)
            )),
            _ => {}
        }
    }
    for n in table.keys() {
        if !names.iter().any(|h| h == n) {
            problems.push(format!("{n} is in consts::TABLE but not in windows.h"));
        }
    }
    let sizes = [
        (
            "SYSTEM_INFO",
            std::mem::size_of::<fmap_win32::runtime::system::SystemInfo>(),
        ),
        (
            "PROCESS_INFORMATION",
            std::mem::size_of::<fmap_win32::runtime::process::ProcessInformation>(),
        ),
        ("SECURITY_ATTRIBUTES", 24),
        ("LARGE_INTEGER", 8),
        ("STARTUPINFOA", 104),
        ("STARTUPINFOW", 104),
        ("OVERLAPPED", 32),
        ("WCHAR", 2),
        ("DWORD", 4),
        ("LONG", 4),
        ("BOOL", 4),
    ];
    for (s, size) in sizes {
        let got = printed.get(&format!("sizeof({s})")).copied();
        if got != Some(size as i64) {
            problems.push(format!("sizeof({s}) is {got:?}, expected {size}"));
        }
    }
    assert!(names.len() > 150, "only {} constants found", names.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn named_shared_memory(flags: &[&str]) {
    let s = Scratch::new();
    let first = s.cc("first", &[&src("nsm_first.c")], flags, Link::Shared);
    let second = s.cc("second", &[&src("nsm_second.c")], flags, Link::Shared);

    let mut cmd = s.cmd(&first);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut p1 = cmd.spawn().expect("start the first process");
    // The first process prints nothing on success: wait until its section exists and holds
    // its message (it writes it after creating the section).
    let ns = fmap::Namespace::at(s.ns_root());
    let t0 = Instant::now();
    let written = || {
        fmap::Mapping::open_in(&ns, "Global\\MyFileMappingObject", fmap::Access::READ)
            .and_then(|m| m.map_view(fmap::Access::READ, ..))
            .is_ok_and(|v| {
                let mut b = [0u8; 1];
                v.read(0, &mut b).is_ok() && b[0] != 0
            })
    };
    while !written() {
        if t0.elapsed() > Duration::from_secs(20) || p1.try_wait().ok().flatten().is_some() {
            let _ = p1.kill();
            let out = p1.wait_with_output().expect("first process output");
            panic!(
                "the first process did not create its section: {}",
                text(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = run(&mut s.cmd(&second), b"");
    assert_eq!(text(&out.stdout), "Message from first process.\n");
    assert!(out.status.success());
    // A key for the first process's _getch; it then closes the section and exits.
    p1.stdin
        .take()
        .expect("stdin")
        .write_all(b"x")
        .expect("press a key");
    let out1 = p1.wait_with_output().expect("first process");
    assert!(out1.status.success(), "{}", text(&out1.stdout));
    assert_eq!(text(&out1.stdout), "");
    let out = run(&mut s.cmd(&second), b"");
    assert_eq!(
        text(&out.stdout),
        "Could not open file mapping object (2).\n"
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

#[test]
fn named_shared_memory_sample() {
    named_shared_memory(&[]);
}

#[test]
fn named_shared_memory_sample_unicode() {
    named_shared_memory(&["-DUNICODE", "-fshort-wchar"]);
}

fn dll_sample(flags: &[&str]) {
    let s = Scratch::new();
    s.cc("libshmdll.so", &[&src("shmdll.c")], flags, Link::Dll);
    let parent_flags: Vec<&str> = flags.iter().copied().chain(["-lshmdll"]).collect();
    let parent = s.cc(
        "parent",
        &[&src("dll_parent.c")],
        &parent_flags,
        Link::Shared,
    );
    let child = s.cc("child", &[&src("dll_child.c")], flags, Link::Shared);
    let out = run(s.cmd(&parent).arg(&child), b"");
    assert_eq!(
        text(&out.stdout),
        "\nProcess is writing to shared memory...\n\n\
         Child process read from shared memory: This is a test string\n"
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
    // Without the parent holding the section, the child's DLL creates a new, empty one.
    let out = run(&mut s.cmd(&child), b"");
    assert_eq!(
        text(&out.stdout),
        "Child process read from shared memory: \n"
    );
}

#[test]
fn shared_memory_in_a_dll_sample() {
    dll_sample(&[]);
}

#[test]
fn shared_memory_in_a_dll_sample_unicode() {
    dll_sample(&["-DUNICODE", "-fshort-wchar"]);
}

#[test]
fn dllmain_attach_and_detach() {
    let s = Scratch::new();
    s.cc("libdllevents.so", &[&src("dllevents.c")], &[], Link::Dll);
    s.cc(
        "libdllevfail.so",
        &[&src("dllevents.c")],
        &["-DFAIL_ATTACH"],
        Link::Dll,
    );
    let exe = s.cc("dllevents", &[&src("dllevents_main.c")], &[], Link::Shared);
    let out = run(&mut s.cmd(&exe), b"");
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains(" 0 failed"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("returned FALSE for DLL_PROCESS_ATTACH"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn producer_consumer() {
    let s = Scratch::new();
    let exe = s.cc("prodcons", &[&src("prodcons.c")], &[], Link::Shared);
    let out = run(s.cmd(&exe).arg("5000"), b"");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("consumer: 5000 items, sum 12502500\n"),
        "{stdout}"
    );
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

#[test]
fn error_codes() {
    let s = Scratch::new();
    let exe = s.cc("errors", &[&src("errors.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[s.path().to_str().expect("utf-8 path")]);
}

#[test]
fn threads_and_processes() {
    let s = Scratch::new();
    let exe = s.cc("procs", &[&src("procs.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[]);
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

#[test]
fn handle_inheritance_and_suspended_processes() {
    let s = Scratch::new();
    let exe = s.cc("inherit", &[&src("inherit.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[s.path().to_str().expect("utf-8 path")]);
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

#[test]
fn open_process_and_cross_process_handles() {
    let s = Scratch::new();
    let exe = s.cc("xproc", &[&src("xproc.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[s.path().to_str().expect("utf-8 path")]);
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

#[test]
fn waitable_timers() {
    let s = Scratch::new();
    let exe = s.cc("timers", &[&src("timers.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[]);
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

#[test]
fn access_masks() {
    let s = Scratch::new();
    let exe = s.cc("access", &[&src("access.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[s.path().to_str().expect("utf-8 path")]);
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

#[test]
fn overlapped_io() {
    let s = Scratch::new();
    let exe = s.cc("overlapped", &[&src("overlapped.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[s.path().to_str().expect("utf-8 path")]);
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

/// CRITICAL_SECTION, SRWLOCK, CONDITION_VARIABLE, INIT_ONCE, Interlocked*, the environment
/// functions, the computer name and the time functions (issue 14).
#[test]
fn in_process_sync_and_environment() {
    let s = Scratch::new();
    let exe = s.cc("inproc", &[&src("inproc.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[]);
    let exe = s.cc("inproc_static", &[&src("inproc.c")], &[], Link::Static);
    run_checks(&s, &exe, &[]);
}

/// VirtualAlloc/VirtualFree/VirtualProtect/VirtualQuery, and what VirtualQuery says about views
/// (issue 14).
#[test]
fn virtual_memory() {
    let s = Scratch::new();
    let exe = s.cc("virtual", &[&src("virtual.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[]);
}

/// MoveFile(Ex), CopyFile, GetTempFileName, GetFileType, GetModuleFileName, GetModuleHandle and
/// the scheduling knobs (issue 14).
#[test]
fn paths_modules_and_priorities() {
    let s = Scratch::new();
    let exe = s.cc("paths", &[&src("paths.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[s.path().to_str().expect("utf-8 path")]);
}

/// QueueUserAPC, SleepEx, WaitForSingleObjectEx, WaitForMultipleObjectsEx (issue 14).
#[test]
fn alertable_waits_and_apcs() {
    let s = Scratch::new();
    let exe = s.cc("apc", &[&src("apc.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[]);
}

/// Security descriptors, ACLs, SIDs and SDDL, and how they set who may use a new object
/// (issue 14).
#[test]
fn security_descriptors_set_sharing() {
    let s = Scratch::new();
    let exe = s.cc("security", &[&src("security.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[s.ns_root().to_str().expect("utf-8 path")]);
}

/// Writes an executable shell script that exits with `code`.
fn script(path: &Path, code: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\nexit {code}\n")).expect("write a script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn program_search() {
    use std::os::unix::fs::PermissionsExt;
    let s = Scratch::new();
    let (bin, work, path) = (
        s.path().join("bin"),
        s.path().join("work"),
        s.path().join("path"),
    );
    for d in [&bin, &work, &path, &work.join("sub"), &work.join("adir")] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let exe = s.cc("bin/launch", &[&src("launch.c")], &[], Link::Shared);
    script(&bin.join("child"), 11);
    script(&work.join("child"), 22);
    script(&work.join("onlycwd"), 23);
    script(&work.join("sub/tool"), 24);
    script(&work.join("my prog"), 25);
    script(&path.join("onpath"), 33);
    script(&path.join("child"), 34);
    std::fs::write(work.join("notexec"), "#!/bin/sh\nexit 1\n").expect("write");
    std::fs::write(work.join("text.exe"), "not a program\n").expect("write");
    std::fs::set_permissions(
        work.join("text.exe"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    let search_path = format!("{}:/usr/bin:/bin", path.display());
    let out = run(s.cmd(&exe).current_dir(&work).env("PATH", search_path), b"");
    assert!(
        out.status.success() && text(&out.stdout).contains(" 0 failed"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn generic_text_ansi_and_unicode() {
    let s = Scratch::new();
    let dir = s.path().to_str().expect("utf-8 path").to_owned();
    for (name, flags) in [
        ("tw_ansi", &[][..]),
        (
            "tw_unicode_short_wchar",
            &["-DUNICODE", "-fshort-wchar"][..],
        ),
        ("tw_unicode_c11", &["-D_UNICODE"][..]),
    ] {
        let exe = s.cc(name, &[&src("tchar_wide.c")], flags, Link::Shared);
        run_checks(&s, &exe, &[&dir]);
    }
}

#[test]
fn wide_crt_16bit_wchar() {
    let s = Scratch::new();
    for (name, flags) in [
        ("wide_short_wchar", &["-DUNICODE", "-fshort-wchar"][..]),
        ("wide_c11_generic", &["-D_UNICODE"][..]),
        ("wide_ansi_generic", &[][..]),
    ] {
        let exe = s.cc(name, &[&src("wide_crt.c")], flags, Link::Shared);
        run_checks(&s, &exe, &[]);
    }
}

#[test]
fn thread_exit_and_terminate() {
    let s = Scratch::new();
    let exe = s.cc("thread_exit", &[&src("thread_exit.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[]);
    // ExitThread on the main thread while a thread runs: the process ends with that thread's
    // code when it returns.
    let out = run(s.cmd(&exe).arg("main-first"), b"");
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let exe = s.cc(
        "thread_exit_static",
        &[&src("thread_exit.c")],
        &[],
        Link::Static,
    );
    run_checks(&s, &exe, &[]);
}

#[test]
fn user32_message_box_and_wsprintf() {
    let s = Scratch::new();
    let dir = s.path().to_str().expect("utf-8 path").to_owned();
    for (name, flags) in [
        ("user32_ansi", &[][..]),
        (
            "user32_unicode_short_wchar",
            &["-DUNICODE", "-fshort-wchar"][..],
        ),
        ("user32_unicode_c11", &["-D_UNICODE"][..]),
    ] {
        let exe = s.cc(name, &[&src("user32.c")], flags, Link::Shared);
        run_checks(&s, &exe, &[&dir]);
    }
}

#[test]
fn toolhelp_and_psapi() {
    let s = Scratch::new();
    let exe = s.cc("toolhelp", &[&src("toolhelp.c")], &[], Link::Shared);
    run_checks(&s, &exe, &[]);
}

#[test]
fn static_library() {
    let s = Scratch::new();
    let errors = s.cc("errors_static", &[&src("errors.c")], &[], Link::Static);
    run_checks(&s, &errors, &[s.path().to_str().expect("utf-8 path")]);
    let procs = s.cc("procs_static", &[&src("procs.c")], &[], Link::Static);
    run_checks(&s, &procs, &[]);
}

#[test]
fn crt_strsafe_and_generic_text() {
    let s = Scratch::new();
    let dir = s.path().to_str().expect("utf-8 path").to_owned();
    for (name, flags, link) in [
        ("crt_ansi", &[][..], Link::Shared),
        (
            "crt_unicode_short_wchar",
            &["-DUNICODE", "-fshort-wchar"][..],
            Link::Shared,
        ),
        ("crt_unicode_c11", &["-D_UNICODE"][..], Link::Shared),
        ("crt_static", &[][..], Link::Static),
    ] {
        let exe = s.cc(name, &[&src("crt.c")], flags, link);
        run_checks(&s, &exe, &[&dir]);
    }
}
