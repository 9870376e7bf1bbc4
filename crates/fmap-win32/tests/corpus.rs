//! The porting corpus (`tests/corpus/`): Win32 IPC programs written the way real ones are —
//! MSVC-era C++ with `stdafx.h`, `_tmain` with TCHAR in a `UNICODE` build, C99 with the MSVC C
//! runtime's `_s` functions and `_spawnl`, `#include <Windows.h>` capitalised, StrSafe — each
//! built two ways and run, its output checked:
//!
//! * with the plain compiler (`cc`/`$CC`, `c++`/`$CXX`) and the flags a user would add by hand
//!   (`-I include -L <lib> -lfmap_win32`), C with `-Werror=implicit-function-declaration`;
//! * with the `fmap-cc`/`fmap-c++` drivers of `bin/` (C with the same `-Werror`).
//!
//! `msvcisms.cpp` (`void main`, `h <= 0`, `(int)h`) is built only by `fmap-c++`; the test also
//! checks that plain `c++` rejects it. `fmap_cc_installed_layout` installs the drivers, headers
//! and library into a prefix (`bin/`, `include/fmap-win32/`, `lib/`) and builds from there
//! without any environment. Each program runs with its own `$FMAP_ROOT`; the library is the one
//! cargo built for this test run (`target/<profile>/`, built if missing, as in `c_abi.rs`).

mod common;

use common::{crate_dir, finish, lib_dir, text};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn corpus(name: &str) -> PathBuf {
    crate_dir().join("tests/corpus").join(name)
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Build {
    /// `cc`/`c++` with the flags by hand.
    Plain,
    /// `bin/fmap-cc` / `bin/fmap-c++`.
    Driver,
}

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

    /// Builds `source` into `out`; `flags` go before the source.
    fn build(&self, build: Build, source: &Path, out: &str, flags: &[&str]) -> PathBuf {
        let out_path = self.path().join(out);
        let output = self.compile(build, source, &out_path, flags);
        assert!(
            output.status.success(),
            "{build:?} build of {} failed:\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        out_path
    }

    fn compile(&self, build: Build, source: &Path, out: &Path, flags: &[&str]) -> Output {
        let cxx = source.extension().is_some_and(|e| e == "cpp");
        let mut cmd = match build {
            Build::Plain => {
                let cc = if cxx {
                    std::env::var("CXX").unwrap_or_else(|_| "c++".into())
                } else {
                    std::env::var("CC").unwrap_or_else(|_| "cc".into())
                };
                let mut c = Command::new(cc);
                c.arg("-I").arg(crate_dir().join("include"));
                c
            }
            Build::Driver => {
                let mut c = Command::new(crate_dir().join("bin").join(if cxx {
                    "fmap-c++"
                } else {
                    "fmap-cc"
                }));
                c.env("FMAP_WIN32_LIBDIR", lib_dir());
                c
            }
        };
        cmd.arg("-Wall");
        if !cxx {
            cmd.args(["-std=gnu11", "-Werror=implicit-function-declaration"]);
        }
        cmd.args(flags).arg(source).arg("-o").arg(out);
        if build == Build::Plain {
            cmd.arg("-L").arg(lib_dir()).arg("-lfmap_win32");
        }
        cmd.output().expect("run the compiler")
    }

    fn cmd(&self, exe: &Path) -> Command {
        let mut cmd = Command::new(exe);
        cmd.current_dir(self.path())
            .env("FMAP_ROOT", self.path().join("ns"))
            .env("LD_LIBRARY_PATH", lib_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn names_left(&self) -> Vec<String> {
        let ns = fmap::Namespace::at(self.path().join("ns"));
        [fmap::Scope::Local, fmap::Scope::Global]
            .iter()
            .flat_map(|s| ns.list(*s).unwrap_or_default())
            .map(|o| o.name)
            .collect()
    }
}

/// Runs to completion (at most 60 s).
fn run(cmd: &mut Command) -> Output {
    let child = cmd.spawn().expect("spawn");
    finish(cmd, child)
}

/// Runs `exe args` and checks its exit status and standard output.
fn expect(s: &Scratch, exe: &Path, args: &[&str], stdout: &str) {
    let out = run(s.cmd(exe).args(args));
    assert!(
        out.status.success() && text(&out.stdout) == stdout,
        "{} {args:?}: {}\nstdout:\n{}\nexpected:\n{stdout}\nstderr:\n{}",
        exe.display(),
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(s.names_left().is_empty(), "{:?}", s.names_left());
}

const BOTH: [Build; 2] = [Build::Plain, Build::Driver];

#[test]
fn telemetry_c99() {
    for build in BOTH {
        let s = Scratch::new();
        let exe = s.build(build, &corpus("telemetry.c"), "telemetry", &[]);
        expect(
            &s,
            &exe,
            &["20"],
            "reader: last 'fmap-gt #20 30.0', 20 samples, total 315.0\n\
             publisher: 20 samples, reader exit 0, year ok\n",
        );
    }
}

#[test]
fn producer_consumer_c99() {
    for build in BOTH {
        let s = Scratch::new();
        let exe = s.build(build, &corpus("prodcons_c99.c"), "prodcons", &[]);
        expect(
            &s,
            &exe,
            &["300"],
            "producer: 300 items, sum 45150; consumer (exit 0, consumer finished) summed 45150\n",
        );
    }
}

#[test]
fn unicode_c_with_int_main_void() {
    for (build, flags) in [
        (Build::Plain, &["-DUNICODE"][..]),
        (Build::Plain, &["-DUNICODE", "-fshort-wchar"][..]),
        (Build::Driver, &["-DUNICODE"][..]),
    ] {
        let s = Scratch::new();
        let exe = s.build(build, &corpus("unicode_main_void.c"), "mainvoid", flags);
        expect(&s, &exe, &[], "wait 0, TCHAR 2 bytes\n");
    }
}

#[test]
fn tmain_unicode_cpp() {
    for (build, flags) in [
        (Build::Plain, &["-DUNICODE", "-D_UNICODE"][..]),
        (Build::Driver, &["-DUNICODE", "-D_UNICODE"][..]),
        (Build::Driver, &["-municode"][..]),
    ] {
        let s = Scratch::new();
        let exe = s.build(build, &corpus("tmain_unicode.cpp"), "tmain", flags);
        expect(
            &s,
            &exe,
            &[],
            "child: read 21 chars: H\u{e9}LLO FROM _TMAIN #42\nparent: child exit 0, semaphore count 21\n",
        );
    }
}

#[test]
fn wide_crt_unicode_cpp() {
    for (build, flags) in [
        (Build::Plain, &["-DUNICODE", "-fshort-wchar"][..]),
        (Build::Driver, &["-DUNICODE"][..]),
    ] {
        let s = Scratch::new();
        let exe = s.build(build, &corpus("wide_crt.cpp"), "widecrt", flags);
        expect(
            &s,
            &exe,
            &[],
            "the view has 4096 bytes, caf\u{e9} ok: 32 characters\n",
        );
    }
}

#[test]
fn wide_crt_cpp_without_short_wchar() {
    let s = Scratch::new();
    let exe = s.build(
        Build::Plain,
        &corpus("wide_crt_char16.cpp"),
        "widechar16",
        &["-DUNICODE"],
    );
    expect(&s, &exe, &[], "x=5 0\n");
}

#[test]
fn wide_crt_c_with_fmap_cc() {
    // tests/c/wide_crt.c, built by fmap-cc -DUNICODE (which adds -fshort-wchar).
    let s = Scratch::new();
    let checks = crate_dir().join("tests/c");
    let checks = checks.to_str().expect("utf-8 path");
    let src = crate_dir().join("tests/c/wide_crt.c");
    let exe = s.build(Build::Driver, &src, "widec", &["-DUNICODE", "-I", checks]);
    expect(
        &s,
        &exe,
        &[],
        "wide: \u{e9} 1\nwide_crt: 84 checks passed, 0 failed\n",
    );
}

#[test]
fn single_instance_cpp() {
    for build in BOTH {
        let s = Scratch::new();
        let exe = s.build(build, &corpus("single_instance.cpp"), "single", &[]);
        expect(&s, &exe, &[], "first instance: nothing to serve\n");
        let mut server = s.cmd(&exe).args(["serve", "3"]).spawn().expect("server");
        let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
        assert_eq!(
            lines.next().expect("a line").expect("read"),
            "server: waiting for 3 messages"
        );
        for word in ["alpha", "beta", "gamma"] {
            let out = run(s.cmd(&exe).arg(word));
            assert!(out.status.success(), "{}", text(&out.stdout));
            assert_eq!(text(&out.stdout), "");
        }
        let rest: Vec<String> = lines.map(|l| l.expect("read")).collect();
        assert_eq!(
            rest,
            [
                "server: message 1: alpha",
                "server: message 2: beta",
                "server: message 3: gamma"
            ]
        );
        assert!(server.wait().expect("wait").success());
        assert!(s.names_left().is_empty(), "{:?}", s.names_left());
    }
}

#[test]
fn msvc_isms_need_fmap_cxx() {
    let s = Scratch::new();
    let plain = s.compile(
        Build::Plain,
        &corpus("msvcisms.cpp"),
        &s.path().join("plain"),
        &[],
    );
    assert!(!plain.status.success(), "plain c++ accepted msvcisms.cpp");
    let out = s.compile(
        Build::Driver,
        &corpus("msvcisms.cpp"),
        &s.path().join("msvcisms"),
        &[],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for w in [
        "msvcisms.cpp:7:1: warning: fmap-c++: void main is read as int main",
        "msvcisms.cpp:10:16: warning: fmap-c++: ordered comparison of a pointer with 0",
        "msvcisms.cpp:15:15: warning: fmap-c++: ordered comparison of a pointer with 0",
        "cast from",
    ] {
        assert!(stderr.contains(w), "no {w:?} in:\n{stderr}");
    }
    expect(&s, &s.path().join("msvcisms"), &[], "opened: owned\n");
}

#[test]
fn fmap_cc_static_and_compile_only() {
    let s = Scratch::new();
    let exe = s.build(
        Build::Driver,
        &corpus("prodcons_c99.c"),
        "prodcons_static",
        &["--static"],
    );
    let mut cmd = s.cmd(&exe);
    cmd.env_remove("LD_LIBRARY_PATH");
    let out = run(cmd.arg("50"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("sum 1275"),
        "{}",
        text(&out.stdout)
    );
    // -c: no library flags; the object links later through the driver.
    let obj = s.path().join("t.o");
    let out = Command::new(crate_dir().join("bin/fmap-cc"))
        .env("FMAP_WIN32_LIBDIR", lib_dir())
        .args(["-c", "-Werror=implicit-function-declaration"])
        .arg(corpus("telemetry.c"))
        .arg("-o")
        .arg(&obj)
        .output()
        .expect("fmap-cc -c");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = Command::new(crate_dir().join("bin/fmap-cc"))
        .env("FMAP_WIN32_LIBDIR", lib_dir())
        .arg(&obj)
        .arg("-o")
        .arg(s.path().join("t"))
        .output()
        .expect("fmap-cc link");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The rpath: no LD_LIBRARY_PATH needed.
    let mut cmd = s.cmd(&s.path().join("t"));
    cmd.env_remove("LD_LIBRARY_PATH");
    let out = run(cmd.arg("3"));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn fmap_cc_installed_layout() {
    use std::os::unix::fs::symlink;
    let s = Scratch::new();
    let prefix = s.path().join("prefix");
    let (bin, inc, lib) = (
        prefix.join("bin"),
        prefix.join("include/fmap-win32"),
        prefix.join("lib"),
    );
    for d in [&bin, &inc, &lib] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::copy(crate_dir().join("bin/fmap-cc"), bin.join("fmap-cc")).expect("copy");
    symlink("fmap-cc", bin.join("fmap-c++")).expect("symlink");
    for e in std::fs::read_dir(crate_dir().join("include")).expect("include") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), inc.join(e.file_name())).expect("copy header");
    }
    for l in ["libfmap_win32.so", "libfmap_win32.a"] {
        std::fs::copy(lib_dir().join(l), lib.join(l)).expect("copy library");
    }
    let print = |flag: &str| {
        let out = Command::new(bin.join("fmap-cc"))
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("FMAP_WIN32_LIBDIR")
            .env_remove("FMAP_WIN32_INCLUDE")
            .arg(flag)
            .output()
            .expect("fmap-cc");
        text(&out.stdout)
    };
    let inc_c = inc.canonicalize().expect("canonical");
    let lib_c = lib.canonicalize().expect("canonical");
    assert!(print("--fmap-print-cflags").contains(&format!("-I{}", inc_c.display())));
    assert!(print("--fmap-print-libs").contains(&format!("-L{}", lib_c.display())));
    for (src, flags, out, expected) in [
        (
            "unicode_main_void.c",
            &["-DUNICODE"][..],
            "mainvoid",
            "wait 0, TCHAR 2 bytes\n",
        ),
        (
            "tmain_unicode.cpp",
            &["-DUNICODE"][..],
            "tmain",
            "child: read 21 chars: H\u{e9}LLO FROM _TMAIN #42\nparent: child exit 0, semaphore count 21\n",
        ),
    ] {
        let driver = if src.ends_with(".cpp") { "fmap-c++" } else { "fmap-cc" };
        let o = Command::new(bin.join(driver))
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("FMAP_WIN32_LIBDIR")
            .env_remove("FMAP_WIN32_INCLUDE")
            .args(flags)
            .arg(corpus(src))
            .arg("-o")
            .arg(s.path().join(out))
            .output()
            .expect("driver");
        assert!(o.status.success(), "{}", text(&o.stderr));
        let mut cmd = s.cmd(&s.path().join(out));
        cmd.env_remove("LD_LIBRARY_PATH");
        let r = run(&mut cmd);
        assert!(r.status.success(), "{}", text(&r.stderr));
        assert_eq!(text(&r.stdout), expected);
    }
}
