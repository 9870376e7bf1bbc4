//! Runs the real `fmap` binary, each test in its own namespace (`FMAP_ROOT` = a fresh
//! directory under /dev/shm): every subcommand's output and exit status, the JSON schema, the
//! error cases, and — through a pseudo-terminal — `fmap watch` and `fmap create` held until
//! Ctrl-C.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fmap");

/// A private namespace for one test.
struct Ns {
    dir: tempfile::TempDir,
}

impl Ns {
    fn new() -> Ns {
        Ns {
            dir: tempfile::Builder::new()
                .prefix("fmap-cli-test-")
                .tempdir_in("/dev/shm")
                .expect("a temporary directory in /dev/shm"),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `fmap ARGS` in this namespace.
    fn fmap(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.env("FMAP_ROOT", self.root())
            .env_remove("FMAP_SPIN_US")
            .env_remove("NO_COLOR")
            .args(args)
            .timeout(Duration::from_secs(60));
        c
    }

    fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(BIN);
        c.env("FMAP_ROOT", self.root()).args(args);
        c
    }

    /// `fmap create …` in the background, once it says it is holding the object.
    fn hold(&self, args: &[&str]) -> Held {
        self.hold_env(args, &[])
    }

    /// [`hold`](Ns::hold) with extra environment variables.
    fn hold_env(&self, args: &[&str], env: &[(&str, &str)]) -> Held {
        let mut child = self
            .std_cmd(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fmap create");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        loop {
            let mut l = String::new();
            if out.read_line(&mut l).unwrap() == 0 {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("fmap {args:?} ended early: {lines:?} {err}");
            }
            let done = l.starts_with("holding");
            lines.push(l);
            if done {
                break;
            }
        }
        Held {
            child,
            out,
            lines,
            waited: false,
        }
    }

    fn ls_json(&self, extra: &[&str]) -> Value {
        let mut args = vec!["ls", "--json"];
        args.extend_from_slice(extra);
        let out = self.fmap(&args).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).expect("valid JSON")
    }

    fn show_json(&self, name: &str) -> Value {
        let out = self.fmap(&["show", name, "--json"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).expect("valid JSON")
    }

    /// Object files left in the namespace (every directory, every file but `.lock`).
    fn object_files(&self) -> Vec<String> {
        let mut v = Vec::new();
        for d in std::fs::read_dir(self.root()).unwrap().flatten() {
            for f in std::fs::read_dir(d.path()).unwrap().flatten() {
                let n = f.file_name().to_string_lossy().into_owned();
                if n != ".lock" {
                    v.push(n);
                }
            }
        }
        v
    }
}

/// A background `fmap create` process.
struct Held {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
    lines: Vec<String>,
    waited: bool,
}

impl Held {
    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn first_line(&self) -> &str {
        &self.lines[0]
    }

    /// Sends `sig`, waits for the exit, returns (status, the rest of stdout).
    fn stop(&mut self, sig: i32) -> (std::process::ExitStatus, String) {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.pid(), sig) };
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.out, &mut rest).unwrap();
        let st = self.child.wait().unwrap();
        self.waited = true;
        (st, rest)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if !self.waited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn stdout_of(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts that a failing command printed exactly one line on stderr, naming the problem, with
/// no backtrace, and exited with `code`.
fn one_line_error(c: &mut Command, code: i32, must_contain: &[&str]) -> String {
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("fmap: "), "{err:?}");
    assert!(err.contains("[ERROR_"), "no Win32 error name: {err:?}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err:?}"
    );
    for m in must_contain {
        assert!(err.contains(m), "{err:?} lacks {m:?}");
    }
    err
}

// ---------------------------------------------------------------------------------------------
// help, version, completions

#[test]
fn every_subcommand_has_help_with_examples() {
    let ns = Ns::new();
    let subs: &[&[&str]] = &[
        &[],
        &["ls"],
        &["show"],
        &["create"],
        &["create", "mapping"],
        &["create", "event"],
        &["create", "mutex"],
        &["create", "semaphore"],
        &["read"],
        &["write"],
        &["watch"],
        &["signal"],
        &["reset"],
        &["pulse"],
        &["release"],
        &["wait"],
        &["gc"],
        &["demo"],
        &["completions"],
    ];
    for s in subs {
        let mut args = s.to_vec();
        args.push("--help");
        let text = stdout_of(&mut ns.fmap(&args));
        assert!(text.contains("Usage: fmap"), "{args:?}: {text}");
        assert!(
            text.contains("Example"),
            "{args:?} has no examples:\n{text}"
        );
    }
    // `fmap ls --help` documents the JSON schema; `wait --help` the exit codes.
    let ls = stdout_of(&mut ns.fmap(&["ls", "--help"]));
    for field in [
        "fmap.ls/1",
        "\"schema\"",
        "\"objects\"",
        "\"stale\"",
        "\"holders\"",
        "\"manual_reset\"",
        "\"owner_tid\"",
        "\"maximum\"",
        "\"protection\"",
    ] {
        assert!(ls.contains(field), "ls --help lacks {field}");
    }
    let wait = stdout_of(&mut ns.fmap(&["wait", "--help"]));
    assert!(wait.contains("3  timed out") && wait.contains("4  a mutex was abandoned"));
    stdout_of(&mut ns.fmap(&["--version"]));
}

#[test]
fn no_subcommand_shows_help_and_fails() {
    let ns = Ns::new();
    ns.fmap(&[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage: fmap"));
}

#[test]
fn completions_for_bash_zsh_fish() {
    let ns = Ns::new();
    for (shell, marker) in [
        ("bash", "_fmap()"),
        ("zsh", "#compdef fmap"),
        ("fish", "complete -c fmap"),
    ] {
        let s = stdout_of(&mut ns.fmap(&["completions", shell]));
        assert!(s.contains(marker), "{shell}: {s}");
        for sub in ["watch", "create", "semaphore", "completions"] {
            assert!(s.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    one_line_error(&mut ns.fmap(&["completions", "tcsh"]), 2, &["tcsh"]);
}

/// `fmap manpages DIR` (hidden; packaging runs it) writes fmap.1 and a page per subcommand,
/// one per line on stdout, and is in neither --help nor the completions. The pages' coverage of
/// every subcommand is the unit test `cmd::manpages::tests`.
#[test]
fn manpages_are_written_and_hidden() {
    let ns = Ns::new();
    let dir = ns.root().join("man");
    let out = stdout_of(&mut ns.fmap(&["manpages", dir.to_str().unwrap()]));
    let pages: Vec<&str> = out.lines().collect();
    assert_eq!(pages[0], dir.join("fmap.1").to_str().unwrap());
    for p in ["fmap-ls.1", "fmap-create-mapping.1", "fmap-wait.1"] {
        let path = dir.join(p);
        assert!(pages.contains(&path.to_str().unwrap()), "{p}: {out}");
        let text = std::fs::read_to_string(&path).expect("page");
        assert!(text.contains(".TH"), "{p}: {text}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), pages.len());
    assert!(!stdout_of(&mut ns.fmap(&["--help"])).contains("manpages"));
    assert!(!stdout_of(&mut ns.fmap(&["completions", "bash"])).contains("manpages"));
}

// ---------------------------------------------------------------------------------------------
// create (held in the background), ls, show

#[test]
fn create_reports_new_and_existing_and_cleans_up_on_sigterm() {
    let ns = Ns::new();
    let mut a = ns.hold(&["create", "mapping", "tele", "--size", "4MiB"]);
    assert!(
        a.first_line()
            .starts_with("created mapping Local\\tele: 4 MiB (4194304 bytes), PAGE_READWRITE"),
        "{:?}",
        a.lines
    );
    let mut b = ns.hold(&["create", "mapping", "Local\\tele", "--size", "1MiB"]);
    assert!(
        b.first_line()
            .starts_with("opened existing mapping Local\\tele")
            && b.first_line()
                .contains("already existed (ERROR_ALREADY_EXISTS)")
            && b.first_line().contains("4 MiB"),
        "{:?}",
        b.lines
    );
    let (st, rest) = b.stop(libc::SIGTERM);
    assert!(st.success(), "{st:?}");
    assert!(
        rest.contains("stays alive while 1 other process(es) hold it"),
        "{rest}"
    );
    let (st, rest) = a.stop(libc::SIGINT);
    assert!(st.success(), "{st:?}");
    assert!(rest.contains("the name is gone"), "{rest}");
    assert!(ns.object_files().is_empty());
    ns.fmap(&["show", "tele"]).assert().code(1);
}

#[test]
fn create_exit_after() {
    let ns = Ns::new();
    let t = Instant::now();
    ns.fmap(&["create", "event", "brief", "--exit-after", "300ms"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "created event Local\\brief: auto-reset, not signaled",
        ))
        .stdout(predicate::str::contains("the name is gone"));
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(ns.object_files().is_empty());
}

#[test]
fn ls_empty() {
    let ns = Ns::new();
    ns.fmap(&["ls"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("no objects in Local\\"));
    let v = ns.ls_json(&[]);
    assert_eq!(v["objects"], Value::Array(vec![]));
}

#[test]
fn ls_lists_every_type_sorted_and_aligned() {
    let ns = Ns::new();
    let m = ns.hold(&["create", "mapping", "zeta", "--size", "64KiB"]);
    let e = ns.hold(&["create", "event", "alpha", "--manual-reset", "--signaled"]);
    let x = ns.hold(&["create", "mutex", "mid", "--owned"]);
    let s = ns.hold(&[
        "create",
        "semaphore",
        "beta",
        "--initial",
        "2",
        "--max",
        "4",
    ]);
    let out = stdout_of(&mut ns.fmap(&["ls"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("NAME"), "{out}");
    assert!(!out.contains('\x1b'), "colour on a pipe: {out:?}");
    let names: Vec<&str> = lines[1..5]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Local\\alpha", "Local\\beta", "Local\\mid", "Local\\zeta"]
    );
    // Columns line up with the header.
    let col = |l: &str, what: &str| l.find(what).unwrap();
    let type_col = col(lines[0], "TYPE");
    let state_col = col(lines[0], "STATE");
    for (l, t) in lines[1..5]
        .iter()
        .zip(["event", "semaphore", "mutex", "mapping"])
    {
        assert_eq!(col(l, t), type_col, "{out}");
    }
    assert_eq!(col(lines[1], "signaled (manual-reset)"), state_col);
    assert_eq!(col(lines[2], "count 2 of 4"), state_col);
    assert_eq!(
        col(lines[3], &format!("owned by pid {} tid", x.pid())),
        state_col
    );
    assert_eq!(col(lines[4], "read/write, memory"), state_col);
    assert!(lines[4].contains("64 KiB"), "{out}");
    for (l, h) in lines[1..5].iter().zip([&e, &s, &x, &m]) {
        assert!(
            l.contains(&format!("{} ", h.pid()))
                && l.contains("fmap create")
                && l.contains("(handle)"),
            "{l}"
        );
    }
    // --color always colours, even on a pipe.
    let coloured = stdout_of(&mut ns.fmap(&["ls", "--color", "always"]));
    assert!(coloured.contains("\x1b["));
}

#[test]
fn ls_json_schema() {
    let ns = Ns::new();
    let file = ns.root().join("backing.bin");
    let _m = ns.hold(&[
        "create",
        "mapping",
        "filemap",
        "--file",
        file.to_str().unwrap(),
        "--size",
        "8KiB",
    ]);
    let _e = ns.hold(&["create", "event", "ev"]);
    let x = ns.hold(&["create", "mutex", "mx", "--owned"]);
    let _s = ns.hold(&["create", "semaphore", "sem", "--initial", "1", "--max", "3"]);
    let v = ns.ls_json(&[]);
    let keys = |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    let set = |k: &[&str]| -> BTreeSet<String> { k.iter().map(|s| s.to_string()).collect() };
    assert_eq!(
        keys(&v),
        set(&["schema", "root", "scopes", "objects", "foreign"])
    );
    assert_eq!(v["schema"], "fmap.ls/1");
    assert_eq!(v["foreign"], serde_json::json!([]));
    assert_eq!(v["root"], ns.root().to_str().unwrap());
    assert_eq!(v["scopes"], serde_json::json!(["local"]));
    let objs = v["objects"].as_array().unwrap();
    let names: Vec<&str> = objs.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Local\\ev", "Local\\filemap", "Local\\mx", "Local\\sem"]
    );
    for o in objs {
        assert_eq!(
            keys(o),
            set(&[
                "name",
                "scope",
                "type",
                "size",
                "size_human",
                "allocated",
                "allocated_human",
                "allocated_known",
                "stale",
                "creator_pid",
                "owner_uid",
                "created_unix_ns",
                "created",
                "file",
                "state",
                "holders"
            ]),
            "{o}"
        );
        assert_eq!(o["scope"], "local");
        assert_eq!(o["stale"], false);
        assert!(o["creator_pid"].as_u64().unwrap() > 0);
        assert!(o["created_unix_ns"].as_u64().unwrap() > 1_600_000_000_000_000_000);
        assert!(o["created"].as_str().unwrap().ends_with('Z'));
        let holders = o["holders"].as_array().unwrap();
        assert_eq!(holders.len(), 1, "{o}");
        assert_eq!(
            keys(&holders[0]),
            set(&["pid", "command", "handle", "view"])
        );
        assert_eq!(holders[0]["handle"], true);
        assert!(holders[0]["command"]
            .as_str()
            .unwrap()
            .contains("fmap create"));
        match o["type"].as_str().unwrap() {
            "mapping" => {
                assert_eq!(o["size"], 8192);
                assert_eq!(o["size_human"], "8 KiB");
                assert_eq!(o["file"], file.to_str().unwrap());
                assert_eq!(
                    keys(&o["state"]),
                    set(&["protection", "sec_flags", "file_backed"])
                );
                assert_eq!(o["state"]["protection"], "PAGE_READWRITE");
                assert_eq!(o["state"]["file_backed"], true);
                assert_eq!(o["state"]["sec_flags"], serde_json::json!(["SEC_FILE"]));
            }
            "event" => {
                assert_eq!(o["size"], 0);
                assert_eq!(o["size_human"], Value::Null);
                assert_eq!(
                    o["state"],
                    serde_json::json!({"manual_reset": false, "signaled": false})
                );
                assert_eq!(holders[0]["view"], false);
            }
            "mutex" => {
                assert_eq!(
                    keys(&o["state"]),
                    set(&["owned", "owner_pid", "owner_tid", "recursion", "abandoned"])
                );
                assert_eq!(o["state"]["owned"], true);
                assert_eq!(o["state"]["owner_pid"], x.pid());
                assert!(o["state"]["owner_tid"].as_u64().unwrap() > 0);
                assert_eq!(o["state"]["recursion"], 1);
                assert_eq!(o["state"]["abandoned"], false);
            }
            "semaphore" => {
                assert_eq!(o["state"], serde_json::json!({"count": 1, "maximum": 3}));
            }
            t => panic!("unknown type {t}"),
        }
    }
}

#[test]
fn show_text_and_json() {
    let ns = Ns::new();
    let h = ns.hold(&[
        "create",
        "mapping",
        "detail",
        "--size",
        "12KiB",
        "--readonly",
    ]);
    let out = stdout_of(&mut ns.fmap(&["show", "detail"]));
    assert!(out.starts_with("Local\\detail mapping\n"), "{out}");
    for s in [
        "12 KiB (12288 bytes)",
        "PAGE_READONLY (read-only)",
        "SEC_COMMIT",
        "shared memory",
        &format!("by pid {}", h.pid()),
        "holders      1 process(es)",
        &format!("{}  handle", h.pid()),
        "fmap create mapping detail --size 12KiB --readonly",
    ] {
        assert!(out.contains(s), "{out} lacks {s}");
    }
    let v = ns.show_json("Local\\detail");
    assert_eq!(v["schema"], "fmap.object/1");
    assert_eq!(v["name"], "Local\\detail");
    assert_eq!(v["state"]["protection"], "PAGE_READONLY");
    assert_eq!(v["holders"][0]["pid"], h.pid());
}

#[test]
fn global_and_all_users_scopes() {
    let ns = Ns::new();
    let _g = ns.hold(&["create", "event", "Global\\shared-ev"]);
    let _l = ns.hold(&["create", "event", "mine"]);
    let local = stdout_of(&mut ns.fmap(&["ls"]));
    assert!(local.contains("Local\\mine") && !local.contains("Global\\shared-ev"));
    let global = stdout_of(&mut ns.fmap(&["ls", "--global"]));
    assert!(global.contains("Global\\shared-ev") && !global.contains("Local\\mine"));
    // A directory that looks like another user's namespace but cannot be used (not private).
    std::fs::create_dir(ns.dir.path().join("fmap-4242")).unwrap();
    let all = ns.fmap(&["ls", "--all-users", "--json"]).output().unwrap();
    assert!(all.status.success());
    let v: Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(v["scopes"], serde_json::json!(["local", "global"]));
    let names: Vec<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Global\\shared-ev", "Local\\mine"]);
    assert_eq!(v["objects"][0]["scope"], "global");
    let err = String::from_utf8_lossy(&all.stderr);
    assert!(
        err.contains("note: cannot read") && err.contains("fmap-4242"),
        "{err}"
    );
    stdout_of(&mut ns.fmap(&["show", "Global\\shared-ev"]));
}

/// The file of `name` in this namespace (SHA-256 of the part after the prefix, 32 hex digits).
fn object_path(ns: &Ns, name: &str) -> std::path::PathBuf {
    let n = fmap::Name::parse(name).unwrap();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let dir = match n.scope() {
        fmap::Scope::Global => "fmap-global".to_owned(),
        fmap::Scope::Local => format!("fmap-{uid}"),
    };
    ns.root().join(dir).join(n.file_name())
}

#[test]
fn ls_shows_planted_entries_as_foreign() {
    let ns = Ns::new();
    let _g = ns.hold(&["create", "event", "Global\\real"]);
    // Entries planted in the shared directory under object file names.
    let link = object_path(&ns, "Global\\squat-link");
    std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
    let fifo = object_path(&ns, "Global\\squat-fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    let dir = object_path(&ns, "Global\\squat-dir");
    std::fs::create_dir(&dir).unwrap();
    let junk = object_path(&ns, "Global\\squat-junk");
    std::fs::write(&junk, b"not an object").unwrap();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let other = 65533;
    let link_uid = if me == 0 {
        let c = std::ffi::CString::new(link.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::lchown(c.as_ptr(), other, other) }, 0);
        other
    } else {
        me
    };
    let out = ns.fmap(&["ls", "--global"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("Global\\real") && l.contains("event")),
        "{text}"
    );
    for (path, uid, what) in [
        (&link, link_uid, "a symbolic link"),
        (&fifo, me, "a FIFO"),
        (&dir, me, "a directory"),
        (&junk, me, "not an fmap object file"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(path.to_str().unwrap()))
            .unwrap_or_else(|| panic!("{} not listed:\n{text}", path.display()));
        assert!(
            line.starts_with("FOREIGN")
                && line.contains(&format!("uid {uid}"))
                && line.contains(what),
            "{line}"
        );
    }
    // JSON: the objects as before, and the foreign entries beside them.
    let v = ns.ls_json(&["--global"]);
    let names: Vec<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Global\\real"]);
    let foreign = v["foreign"].as_array().unwrap();
    assert_eq!(foreign.len(), 4, "{foreign:?}");
    let f = foreign
        .iter()
        .find(|f| f["path"] == link.to_str().unwrap())
        .unwrap();
    assert_eq!(f["what"], "symlink");
    assert_eq!(f["description"], "a symbolic link");
    assert_eq!(f["owner_uid"], link_uid);
    assert_eq!(f["scope"], "global");
    // --all-users lists them too and succeeds.
    let all = stdout_of(&mut ns.fmap(&["ls", "--all-users"]));
    assert!(
        all.contains("Global\\real") && all.contains("FOREIGN"),
        "{all}"
    );
}

/// Asserts that `bytes` (what fmap printed for a terminal) hold no character a terminal would
/// obey or that hides or reorders text: no C0 control but the line ends, no DEL, no C1 control,
/// no bidi override.
fn assert_terminal_safe(what: &str, bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 output");
    for (i, c) in text.chars().enumerate() {
        let bad = (c < ' ' && c != '\n')
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}');
        assert!(!bad, "{what}: raw {c:?} at char {i}: {text:?}");
    }
    text
}

/// Review finding (medium): `Name::parse` allows every control character but NUL, so any user
/// could name an object `Global\zz\r\e[2K…` and have `fmap ls` (run by root) erase or forge
/// lines on root's terminal. Names, paths, command lines and error messages are printed
/// escaped (`\r`, `\x1b`, `\u{202e}`); JSON is unchanged.
#[test]
fn control_and_bidi_characters_in_names_are_printed_escaped() {
    let ns = Ns::new();
    let nasty = "zz\r\x1b[2K\n\u{202e}gnp.exe\x1b]0;owned\x07";
    let escaped = "zz\\r\\x1b[2K\\n\\u{202e}gnp.exe\\x1b]0;owned\\x07";
    let local = format!("Local\\{nasty}");
    let global = format!("Global\\{nasty}");
    let _l = ns.hold(&["create", "event", nasty]);
    let g = ns.hold(&["create", "event", &global]);
    for l in &g.lines {
        assert_terminal_safe("fmap create", l.as_bytes());
    }
    assert!(
        g.lines[0].contains(&format!("Global\\{escaped}")),
        "{:?}",
        g.lines
    );
    // The object's file copied under another name's file: FOREIGN, claiming the nasty name.
    std::fs::copy(object_path(&ns, &global), object_path(&ns, "Global\\copy")).unwrap();

    // ls: one row per object, the name (and the holder's command line) escaped.
    for (args, prefix) in [
        (&["ls"][..], "Local"),
        (&["ls", "--global"][..], "Global"),
        (&["ls", "--all-users"][..], "Global"),
    ] {
        let out = ns.fmap(args).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = assert_terminal_safe(&format!("fmap {args:?}"), &out.stdout);
        let row = format!("{prefix}\\{escaped}");
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with(&row)).collect();
        assert_eq!(rows.len(), 1, "fmap {args:?}:\n{text}");
        assert!(rows[0].contains("event"), "{text}");
        assert!(rows[0].contains("fmap create event"), "{text}");
        if prefix == "Global" {
            let f = text
                .lines()
                .find(|l| l.starts_with("FOREIGN"))
                .unwrap_or_else(|| panic!("no FOREIGN line:\n{text}"));
            assert!(f.contains(&format!("Global\\{escaped}")), "{f}");
        }
    }
    // The text row is one line: the table is a header and one row (one holder).
    let ls = stdout_of(&mut ns.fmap(&["ls"]));
    assert_eq!(ls.lines().count(), 2, "{ls}");
    // JSON keeps the real name (serde escapes it).
    let v = ns.ls_json(&[]);
    assert_eq!(v["objects"][0]["name"], local.as_str());

    // show: header and holder escaped.
    let out = ns.fmap(&["show", &local]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let show = assert_terminal_safe("fmap show", &out.stdout);
    assert!(
        show.starts_with(&format!("Local\\{escaped} event\n")),
        "{show}"
    );
    // signal: the name in the confirmation.
    let out = ns.fmap(&["signal", &global]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let sig = assert_terminal_safe("fmap signal", &out.stdout);
    assert!(
        sig.starts_with(&format!("signaled Global\\{escaped} ")),
        "{sig}"
    );

    // Errors: the library's message quotes the name; the line is escaped as a whole.
    for args in [
        &["wait", "missing\x1b[31m\n\u{202e}x", "--timeout", "0"][..],
        &["show", "missing\x1b[31m\n\u{202e}x"],
        &["read", "missing\x1b[31m\n\u{202e}x"],
    ] {
        let out = ns.fmap(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let err = assert_terminal_safe(&format!("fmap {}", args[0]), &out.stderr);
        assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
        assert!(
            err.contains("Local\\missing\\x1b[31m\\n\\u{202e}x")
                && err.contains("ERROR_FILE_NOT_FOUND"),
            "{err:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// read, write

#[test]
fn write_and_read_text_hex_file_and_stdin() {
    let ns = Ns::new();
    let _h = ns.hold(&["create", "mapping", "buf", "--size", "128KiB"]);
    ns.fmap(&["write", "buf", "--text", "hello"])
        .assert()
        .success()
        .stdout("wrote 5 byte(s) at offset 0 of Local\\buf\n");
    ns.fmap(&["read", "buf", "--length", "5"])
        .assert()
        .success()
        .stdout("hello");
    // Offsets take units and hex, also past the first 64 KiB granule.
    ns.fmap(&["write", "buf", "--offset", "64KiB", "--text", "far"])
        .assert()
        .success();
    ns.fmap(&["read", "buf", "--offset", "0x10000", "--length", "3"])
        .assert()
        .success()
        .stdout("far");
    let src = ns.root().join("payload.bin");
    std::fs::write(&src, [0u8, 1, 2, 0xff, b'A']).unwrap();
    ns.fmap(&[
        "write",
        "buf",
        "--offset",
        "16",
        "--from",
        src.to_str().unwrap(),
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("wrote 5 byte(s) at offset 16"));
    ns.fmap(&["write", "buf", "--offset", "32"])
        .write_stdin("from stdin")
        .assert()
        .success()
        .stdout(predicate::str::contains("wrote 10 byte(s) at offset 32"));
    ns.fmap(&["write", "buf", "--offset", "48", "--from", "-"])
        .write_stdin("dash")
        .assert()
        .success();
    let raw = ns
        .fmap(&["read", "buf", "--length", "64"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(&raw[..5], b"hello");
    assert_eq!(&raw[16..21], &[0, 1, 2, 0xff, b'A']);
    assert_eq!(&raw[32..42], b"from stdin");
    assert_eq!(&raw[48..52], b"dash");
    // Whole section by default.
    let all = ns.fmap(&["read", "buf"]).output().unwrap().stdout;
    assert_eq!(all.len(), 128 * 1024);
    let hex = stdout_of(&mut ns.fmap(&["read", "buf", "--hex", "--length", "80"]));
    assert_eq!(
        hex,
        "\
00000000  68 65 6c 6c 6f 00 00 00  00 00 00 00 00 00 00 00  |hello...........|
00000010  00 01 02 ff 41 00 00 00  00 00 00 00 00 00 00 00  |....A...........|
00000020  66 72 6f 6d 20 73 74 64  69 6e 00 00 00 00 00 00  |from stdin......|
00000030  64 61 73 68 00 00 00 00  00 00 00 00 00 00 00 00  |dash............|
00000040  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
00000050
"
    );
    // Repeated lines collapse, as in hexdump -C; odd offsets and lengths work.
    let hex = stdout_of(&mut ns.fmap(&[
        "read", "buf", "--hex", "--offset", "0xfff0", "--length", "0x23",
    ]));
    assert_eq!(
        hex,
        "\
0000fff0  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
00010000  66 61 72 00 00 00 00 00  00 00 00 00 00 00 00 00  |far.............|
00010010  00 00 00                                          |...|
00010013
"
    );
    let zeros = stdout_of(&mut ns.fmap(&[
        "read", "buf", "--hex", "--offset", "0x100", "--length", "0x40",
    ]));
    assert_eq!(
        zeros,
        "00000100  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000140\n"
    );
}

/// An address-space ceiling for a child: `fmap write` that buffers its whole input cannot stay
/// under it with a gigabyte-scale input, while a bounded one never comes near it.
const AS_LIMIT: u64 = 256 << 20;

/// `fmap ARGS` as a std command under [`AS_LIMIT`].
fn limited(ns: &Ns, args: &[&str]) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut c = ns.std_cmd(args);
    // SAFETY: setrlimit is async-signal-safe; the closure touches nothing else.
    unsafe {
        c.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: AS_LIMIT as libc::rlim_t,
                rlim_max: AS_LIMIT as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c
}

/// Waits for `child` and collects its output, killing it if it runs for more than a minute
/// (a hang guard, not a timing check).
fn wait_guarded(child: Child) -> std::process::Output {
    let pid = child.id() as i32;
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let guard = std::thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            // SAFETY: signalling our own child, which is not reaped before `done_tx` is sent.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = done_tx.send(());
    guard.join().unwrap();
    out
}

/// Runs `c` with its stdin as set (Stdio::null if not), capturing stdout and stderr.
fn output_guarded(mut c: std::process::Command) -> std::process::Output {
    wait_guarded(
        c.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// The section's bytes.
fn section_bytes(ns: &Ns, name: &str) -> Vec<u8> {
    let out = ns.fmap(&["read", name]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    out.stdout
}

#[test]
fn write_from_dev_zero_is_refused_with_bounded_memory() {
    let ns = Ns::new();
    let _m = ns.hold(&["create", "mapping", "m", "--size", "64KiB"]);
    // Endless input into a 64 KiB section: refused after reading at most the room (+1 byte),
    // under an address-space ceiling that buffering the input would hit within a second.
    let out = Command::from_std(limited(&ns, &["write", "m", "--from", "/dev/zero"]))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("writing more than 65536 bytes at offset 0 would go past the end of Local\\m")
            && err.contains("nothing was written")
            && err.contains("[ERROR_INVALID_PARAMETER (87)]"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // The same from a FIFO and from standard input (with and without `--from -`).
    let fifo = ns.root().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let feeder = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let chunk = vec![7u8; 1 << 20];
            // Until the reader goes away (EPIPE), or a bound far past the limit.
            (0..1024)
                .take_while(|_| f.write_all(&chunk).is_ok())
                .count()
        })
    };
    let out = Command::from_std(limited(
        &ns,
        &["write", "m", "--from", fifo.to_str().unwrap()],
    ))
    .timeout(Duration::from_secs(60))
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was written"));
    assert!(
        feeder.join().unwrap() < 1024,
        "the FIFO was read to its end"
    );
    for args in [&["write", "m", "--from", "-"][..], &["write", "m"]] {
        let mut c = limited(&ns, args);
        c.stdin(std::fs::File::open("/dev/zero").unwrap());
        let out = output_guarded(c);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("nothing was written"),
            "{out:?}"
        );
    }
    // Nothing was written by any of them.
    assert!(section_bytes(&ns, "m").iter().all(|&b| b == 0));
    // A section larger than one read chunk (1 MiB) is filled as the data streams in, and the
    // error says how much was written.
    let _big = ns.hold(&["create", "mapping", "big", "--size", "3MiB"]);
    let mut cmd = Command::from_std(limited(
        &ns,
        &[
            "write",
            "big",
            "--offset",
            "64KiB",
            "--from",
            fifo.to_str().unwrap(),
        ],
    ));
    cmd.timeout(Duration::from_secs(60));
    let feeder = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        let chunk = vec![9u8; 1 << 20];
        (0..1024)
            .take_while(|_| f.write_all(&chunk).is_ok())
            .count()
    });
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let room = 3 * 1024 * 1024 - 65536;
    assert!(
        err.contains(&format!(
            "writing more than {room} bytes at offset 65536 would go past the end of Local\\big"
        )) && err.contains(&format!("its first {room} bytes were written")),
        "{err}"
    );
    assert!(
        feeder.join().unwrap() < 1024,
        "the FIFO was read to its end"
    );
    let big = section_bytes(&ns, "big");
    assert!(big[..65536].iter().all(|&b| b == 0));
    assert!(big[65536..].iter().all(|&b| b == 9));
}

#[test]
fn write_from_a_huge_stdin_stops_reading_at_the_room() {
    let ns = Ns::new();
    let _m = ns.hold(&["create", "mapping", "m", "--size", "64KiB"]);
    const TOTAL: usize = 512 << 20;
    let mut child = limited(&ns, &["write", "m", "--offset", "4KiB"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'x'; 1 << 20];
        let mut sent = 0;
        while sent < TOTAL {
            if let Err(e) = stdin.write_all(&chunk) {
                return (sent, Some(e.kind()));
            }
            sent += chunk.len();
        }
        (sent, None)
    });
    // (A hung fmap is killed after a minute; the writer then sees EPIPE.)
    let out = wait_guarded(child);
    let (sent, err) = writer.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains(
            "writing more than 61440 bytes at offset 4096 would go past the end of Local\\m"
        ) && msg.contains("nothing was written")
            && msg.contains("[ERROR_INVALID_PARAMETER (87)]"),
        "{msg}"
    );
    // fmap stopped reading after the room: the writer was cut off long before the end.
    assert_eq!(err, Some(std::io::ErrorKind::BrokenPipe), "sent {sent}");
    assert!(sent < TOTAL, "all {sent} bytes were read");
    assert!(section_bytes(&ns, "m").iter().all(|&b| b == 0));
}

#[test]
fn write_of_exactly_the_room_succeeds_from_every_source() {
    let ns = Ns::new();
    let _m = ns.hold(&["create", "mapping", "m", "--size", "64KiB"]);
    let room = 65536 - 1000;
    let pattern = |seed: u8| -> Vec<u8> {
        (0..room)
            .map(|i| (i as u32 * 7 + seed as u32) as u8)
            .collect()
    };
    let expect = |data: &[u8]| {
        let all = section_bytes(&ns, "m");
        assert!(all[..1000].iter().all(|&b| b == 0));
        assert!(all[1000..] == *data, "the section does not hold the data");
    };
    let ok = format!("wrote {room} byte(s) at offset 1000 of Local\\m\n");
    // A regular file.
    let file = ns.root().join("payload.bin");
    let a = pattern(1);
    std::fs::write(&file, &a).unwrap();
    ns.fmap(&[
        "write",
        "m",
        "--offset",
        "1000",
        "--from",
        file.to_str().unwrap(),
    ])
    .assert()
    .success()
    .stdout(ok.clone());
    expect(&a);
    // Standard input, piped, without --from and with --from -.
    let b = pattern(2);
    ns.fmap(&["write", "m", "--offset", "1000"])
        .write_stdin(b.clone())
        .assert()
        .success()
        .stdout(ok.clone());
    expect(&b);
    let c = pattern(3);
    ns.fmap(&["write", "m", "--offset", "1000", "--from", "-"])
        .write_stdin(c.clone())
        .assert()
        .success()
        .stdout(ok.clone());
    expect(&c);
    // Standard input redirected from the file.
    let mut redirected = ns.std_cmd(&["write", "m", "--offset", "1000"]);
    redirected.stdin(std::fs::File::open(&file).unwrap());
    let out = output_guarded(redirected);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), ok);
    expect(&a);
    // One byte too many: refused with nothing written, from a file (whose size says so at
    // once: the message gives the length) and from a pipe.
    let mut long = pattern(4);
    long.push(0xAA);
    std::fs::write(&file, &long).unwrap();
    one_line_error(
        &mut ns.fmap(&[
            "write",
            "m",
            "--offset",
            "1000",
            "--from",
            file.to_str().unwrap(),
        ]),
        1,
        &[&format!(
            "writing {} bytes at offset 1000 would go past the end of Local\\m",
            room + 1
        )],
    );
    one_line_error(
        ns.fmap(&["write", "m", "--offset", "1000"])
            .write_stdin(long.clone()),
        1,
        &[
            &format!(
                "writing more than {room} bytes at offset 1000 would go past the end of Local\\m"
            ),
            "nothing was written",
            "ERROR_INVALID_PARAMETER",
        ],
    );
    expect(&a);
}

#[test]
fn file_backed_mapping_writes_reach_the_file() {
    let ns = Ns::new();
    let path = ns.root().join("data.bin");
    let h = ns.hold(&[
        "create",
        "mapping",
        "onfile",
        "--file",
        path.to_str().unwrap(),
        "--size",
        "4KiB",
    ]);
    assert!(h.first_line().contains("(new file)"), "{:?}", h.lines);
    ns.fmap(&["write", "onfile", "--offset", "100", "--text", "persisted"])
        .assert()
        .success();
    let data = std::fs::read(&path).unwrap();
    assert_eq!(data.len(), 4096);
    assert_eq!(&data[100..109], b"persisted");
}

// ---------------------------------------------------------------------------------------------
// events, semaphores, waits

#[test]
fn signal_reset_pulse() {
    let ns = Ns::new();
    let _m = ns.hold(&["create", "event", "manual", "--manual-reset"]);
    let signaled = |n: &str| ns.show_json(n)["state"]["signaled"].as_bool().unwrap();
    assert!(!signaled("manual"));
    ns.fmap(&["signal", "manual"])
        .assert()
        .success()
        .stdout("signaled Local\\manual (manual-reset event; it is signaled now)\n");
    assert!(signaled("manual"));
    ns.fmap(&["reset", "manual"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("reset Local\\manual"));
    assert!(!signaled("manual"));
    ns.fmap(&["signal", "manual"]).assert().success();
    ns.fmap(&["pulse", "manual"])
        .assert()
        .success()
        .stdout(predicate::str::contains("pulsed Local\\manual"));
    assert!(!signaled("manual"));

    // A pulse releases a thread waiting at that moment (pulse until the waiter is there).
    let mut waiter = ns
        .std_cmd(&["wait", "manual", "--timeout", "20s"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let status = loop {
        ns.fmap(&["pulse", "manual"]).assert().success();
        std::thread::sleep(Duration::from_millis(50));
        if let Some(st) = waiter.try_wait().unwrap() {
            break st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "the pulse never released the waiter"
        );
    };
    let mut out = String::new();
    std::io::Read::read_to_string(waiter.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(out.contains("Local\\manual: signaled"), "{out}");
}

#[test]
fn release_semaphore_and_too_many_posts() {
    let ns = Ns::new();
    let _s = ns.hold(&[
        "create",
        "semaphore",
        "slots",
        "--initial",
        "1",
        "--max",
        "4",
    ]);
    ns.fmap(&["release", "slots", "--count", "2"])
        .assert()
        .success()
        .stdout("released Local\\slots by 2: count 1 -> 3 (maximum 4)\n");
    one_line_error(
        &mut ns.fmap(&["release", "slots", "--count", "2"]),
        1,
        &["Local\\slots", "ERROR_TOO_MANY_POSTS (298)"],
    );
    assert_eq!(ns.show_json("slots")["state"]["count"], 3);
    one_line_error(
        &mut ns.fmap(&["release", "slots", "--count", "0"]),
        2,
        &["--count"],
    );
}

#[test]
fn wait_signaled_timed_out_all_and_exit_codes() {
    let ns = Ns::new();
    let _a = ns.hold(&["create", "event", "a"]);
    let _b = ns.hold(&["create", "semaphore", "b", "--initial", "1", "--max", "2"]);
    let _x = ns.hold(&["create", "mutex", "x", "--owned"]);
    // Nothing signaled: timeout, exit 3.
    let t = Instant::now();
    ns.fmap(&["wait", "a", "--timeout", "200ms"])
        .assert()
        .code(3)
        .stdout(
            predicate::str::contains("timed out after 200 ms waiting for any of Local\\a")
                .and(predicate::str::contains("[WAIT_TIMEOUT]")),
        );
    assert!(t.elapsed() >= Duration::from_millis(200));
    // Any of: the semaphore (index 1) is signaled and one unit is taken.
    ns.fmap(&["wait", "a", "b", "--timeout", "5s"])
        .assert()
        .success()
        .stdout("Local\\b: signaled (took one from its count) [WAIT_OBJECT_0+1]\n");
    assert_eq!(ns.show_json("b")["state"]["count"], 0);
    // All of: not until both are signaled.
    ns.fmap(&["wait", "a", "b", "--all", "--timeout", "100ms"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("all of Local\\a, Local\\b"));
    ns.fmap(&["signal", "a"]).assert().success();
    ns.fmap(&["release", "b"]).assert().success();
    ns.fmap(&["wait", "a", "b", "--all", "--timeout", "5s"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "all signaled: Local\\a (auto-reset: the wait reset it), Local\\b",
        ));
    assert_eq!(ns.show_json("a")["state"]["signaled"], false);
    assert_eq!(ns.show_json("b")["state"]["count"], 0);
    // A mutex owned by another process times out.
    ns.fmap(&["wait", "x", "--timeout", "100ms"])
        .assert()
        .code(3);
    // Errors: unknown name, a mapping, a duplicate in --all.
    one_line_error(
        &mut ns.fmap(&["wait", "nope", "--timeout", "1s"]),
        1,
        &["no object named Local\\nope exists [ERROR_FILE_NOT_FOUND (2)]"],
    );
    let _m = ns.hold(&["create", "mapping", "sec", "--size", "4KiB"]);
    one_line_error(
        &mut ns.fmap(&["wait", "sec"]),
        1,
        &["Local\\sec", "cannot be waited on"],
    );
    one_line_error(
        &mut ns.fmap(&["wait", "a", "Local\\a", "--all", "--timeout", "1s"]),
        1,
        &["ERROR_INVALID_PARAMETER"],
    );
    one_line_error(
        &mut ns.fmap(&["wait", "a", "--timeout", "soon"]),
        2,
        &["soon"],
    );
}

/// A peer wrote a made-up owner thread id into the state lock of an event (the glibc
/// `pthread_mutex_t` at offset 1024 of its file): `fmap wait --timeout` still times out, and
/// `fmap signal` fails with one clear line instead of hanging (`assert_cmd`'s 60 s timeout is
/// the hang guard).
#[test]
fn wait_and_signal_with_garbage_in_the_state_lock_do_not_hang() {
    use std::os::unix::fs::FileExt;
    let ns = Ns::new();
    let _e = ns.hold(&["create", "event", "g", "--manual-reset", "--signaled"]);
    let files: Vec<_> = std::fs::read_dir(ns.root())
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .map(|f| f.path())
        .filter(|p| p.file_name().is_some_and(|n| n != ".lock"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&files[0])
        .unwrap();
    f.write_all_at(&0x3fff_0001u32.to_le_bytes(), 1024).unwrap();
    ns.fmap(&["wait", "g", "--timeout", "100ms"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("[WAIT_TIMEOUT]"));
    one_line_error(
        &mut ns.fmap(&["signal", "g"]),
        1,
        &["Local\\g", "state lock", "ERROR_INVALID_DATA (13)"],
    );
}

#[test]
fn wait_on_an_abandoned_mutex_exits_4_and_ls_shows_it() {
    let ns = Ns::new();
    let mut owner = ns.hold(&["create", "mutex", "crashy", "--owned"]);
    // A second holder keeps the name alive when the owner dies.
    let _keeper = ns.hold(&["create", "mutex", "crashy"]);
    owner.stop(libc::SIGKILL);
    let v = ns.show_json("crashy");
    assert_eq!(v["state"]["abandoned"], true, "{v}");
    assert_eq!(v["state"]["owned"], false);
    let ls = stdout_of(&mut ns.fmap(&["ls"]));
    assert!(ls.contains("abandoned (its owner died)"), "{ls}");
    ns.fmap(&["wait", "crashy", "--timeout", "5s"])
        .assert()
        .code(4)
        .stdout(
            predicate::str::contains("Local\\crashy: abandoned")
                .and(predicate::str::contains("[WAIT_ABANDONED_0+0]")),
        );
    // fmap released it again: the mutex is free now.
    let v = ns.show_json("crashy");
    assert_eq!(v["state"]["owned"], false);
    assert_eq!(v["state"]["abandoned"], false);
    ns.fmap(&["wait", "crashy", "--timeout", "5s"])
        .assert()
        .success()
        .stdout(predicate::str::contains("acquired and released"));
}

// ---------------------------------------------------------------------------------------------
// gc

#[test]
fn gc_removes_what_dead_processes_left() {
    let ns = Ns::new();
    ns.fmap(&["gc"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("nothing removed"));
    let _live = ns.hold(&["create", "event", "alive"]);
    let mut victim = ns.hold(&["create", "mapping", "orphan", "--size", "1MiB"]);
    victim.stop(libc::SIGKILL);
    let ls = stdout_of(&mut ns.fmap(&["ls"]));
    let line = ls.lines().find(|l| l.contains("Local\\orphan")).unwrap();
    assert!(line.contains("STALE"), "{ls}");
    assert!(ls.contains("1 stale object(s)"), "{ls}");
    let v = ns.ls_json(&[]);
    let stale: Vec<(&str, bool)> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["stale"].as_bool().unwrap()))
        .collect();
    assert_eq!(stale, [("Local\\alive", false), ("Local\\orphan", true)]);
    let show = stdout_of(&mut ns.fmap(&["show", "orphan"]));
    assert!(show.contains("STALE: every holder died"), "{show}");
    assert_eq!(ns.show_json("orphan")["stale"], true);
    ns.fmap(&["gc"]).assert().success().stdout(
        predicate::str::is_match(
            r"^removed 1 stale object\(s\), freed 4 KiB of memory \(sections declared 1(\.0)? MiB in all\):\n",
        )
            .unwrap()
            .and(predicate::str::contains("  Local\\orphan\n")),
    );
    let v = ns.ls_json(&[]);
    assert_eq!(v["objects"].as_array().unwrap().len(), 1);
    assert_eq!(v["objects"][0]["name"], "Local\\alive");
    one_line_error(
        &mut ns.fmap(&["show", "orphan"]),
        1,
        &["ERROR_FILE_NOT_FOUND"],
    );
}

// ---------------------------------------------------------------------------------------------
// errors

#[test]
fn bad_input_is_one_clear_line() {
    let ns = Ns::new();
    let _m = ns.hold(&["create", "mapping", "m", "--size", "4KiB"]);
    let _ro = ns.hold(&["create", "mapping", "ro", "--size", "4KiB", "--readonly"]);
    let _e = ns.hold(&["create", "event", "e"]);
    let err = one_line_error(&mut ns.fmap(&["show", "Local\\x"]), 1, &[]);
    assert_eq!(
        err,
        "fmap: no object named Local\\x exists [ERROR_FILE_NOT_FOUND (2)]\n"
    );
    for (args, code, needles) in [
        // unknown names
        (
            &["read", "x"][..],
            1,
            &["Local\\x", "ERROR_FILE_NOT_FOUND (2)"][..],
        ),
        (&["signal", "x"], 1, &["Local\\x", "ERROR_FILE_NOT_FOUND"]),
        (&["watch", "x"], 1, &["ERROR_"]),
        // wrong types
        (
            &["read", "e"],
            1,
            &["Local\\e", "not a file mapping", "ERROR_INVALID_HANDLE (6)"],
        ),
        (
            &["write", "e", "--text", "x"],
            1,
            &["Local\\e", "ERROR_INVALID_HANDLE"],
        ),
        (&["signal", "m"], 1, &["Local\\m", "ERROR_INVALID_HANDLE"]),
        (
            &["release", "e"],
            1,
            &["Local\\e", "not a semaphore", "ERROR_INVALID_HANDLE"],
        ),
        (
            &["create", "event", "m"],
            1,
            &["Local\\m", "ERROR_INVALID_HANDLE"],
        ),
        (
            &["create", "mapping", "e", "--size", "4KiB"],
            1,
            &["Local\\e", "ERROR_INVALID_HANDLE"],
        ),
        // bad sizes and durations (command line: exit 2)
        (
            &["create", "mapping", "n", "--size", "4XB"],
            2,
            &["4XB", "unknown size unit", "ERROR_INVALID_PARAMETER (87)"],
        ),
        (&["create", "mapping", "n", "--size", "-1"], 2, &["-1"]),
        (&["read", "m", "--offset", "lots"], 2, &["lots"]),
        (
            &["create", "event", "n", "--exit-after", "5 parsecs"],
            2,
            &["parsecs"],
        ),
        (
            &["create", "mapping", "n"],
            1,
            &["needs a size", "ERROR_INVALID_PARAMETER"],
        ),
        (
            &["create", "mapping", "n", "--size", "0"],
            1,
            &["ERROR_INVALID_PARAMETER"],
        ),
        (
            &["create", "mapping", "n", "--size", "64TiB"],
            1,
            &["ERROR_COMMITMENT_LIMIT"],
        ),
        (
            &["create", "semaphore", "n", "--initial", "5", "--max", "2"],
            1,
            &["ERROR_INVALID_PARAMETER"],
        ),
        // offsets past the end
        (
            &["read", "m", "--offset", "4KiB"],
            1,
            &[
                "offset 4096 is past the end of Local\\m",
                "4 KiB (4096 bytes)",
                "ERROR_INVALID_PARAMETER",
            ],
        ),
        (
            &["read", "m", "--offset", "4000", "--length", "200"],
            1,
            &["reading 200 bytes at offset 4000 would go past the end"],
        ),
        (
            &["write", "m", "--offset", "4095", "--text", "ab"],
            1,
            &["writing 2 bytes at offset 4095 would go past the end of Local\\m"],
        ),
        // no permission
        (
            &["write", "ro", "--text", "x"],
            1,
            &["Local\\ro", "PAGE_READONLY", "ERROR_ACCESS_DENIED (5)"],
        ),
        // bad names
        (&["show", ""], 1, &["ERROR_INVALID_HANDLE"]),
        (&["show", "Local\\a\\b"], 1, &["ERROR_PATH_NOT_FOUND (3)"]),
        (&["show", "Session\\1\\x"], 1, &["ERROR_PATH_NOT_FOUND"]),
        (
            &["create", "event", &"n".repeat(300)],
            1,
            &["ERROR_FILENAME_EXCED_RANGE (206)"],
        ),
        // files
        (
            &[
                "create",
                "mapping",
                "f",
                "--file",
                "/nonexistent-dir/x",
                "--size",
                "4KiB",
            ],
            1,
            &["ERROR_PATH_NOT_FOUND"],
        ),
        (
            &["write", "m", "--from", "/nonexistent-file"],
            1,
            &["/nonexistent-file", "ERROR_FILE_NOT_FOUND"],
        ),
        // command line
        (&["bogus"], 2, &["bogus"]),
        (&["ls", "--bogus"], 2, &["--bogus"]),
        (
            &["write", "m", "--text", "a", "--from", "f"],
            2,
            &["--text"],
        ),
        (&["wait"], 2, &["ERROR_INVALID_PARAMETER"]),
    ] {
        let mut c = ns.fmap(args);
        c.write_stdin("");
        one_line_error(&mut c, code, needles);
    }
    // `fmap watch` off a terminal says so.
    one_line_error(&mut ns.fmap(&["watch", "m"]), 1, &["needs a terminal"]);
    // Writing from an empty stdin writes nothing.
    ns.fmap(&["write", "m"])
        .write_stdin("")
        .assert()
        .success()
        .stdout("wrote 0 bytes to Local\\m\n");
}

#[test]
fn a_namespace_that_is_not_private_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let ns = Ns::new();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let dir = ns.root().join(format!("fmap-{uid}"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    one_line_error(
        &mut ns.fmap(&["create", "event", "e", "--exit-after", "1s"]),
        1,
        &["not private", "ERROR_ACCESS_DENIED (5)"],
    );
    one_line_error(
        &mut ns.fmap(&["ls"]),
        1,
        &["not private", "ERROR_ACCESS_DENIED"],
    );
}

// ---------------------------------------------------------------------------------------------
// demo

#[test]
fn demo_runs_narrates_measures_and_leaves_nothing() {
    let ns = Ns::new();
    let t = Instant::now();
    let out = ns.fmap(&["demo", "--rounds", "2000"]).output().unwrap();
    let took = t.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(20), "the demo took {took:?}");
    for s in [
        "CreateFileMapping",
        "CreateMutex",
        "CreateEvent",
        "[B ",
        "OpenFileMapping",
        "hello from A",
        "hello back from B",
        "no update was lost",
        "nothing left behind",
        "Round trip A -> B -> A, 2000 rounds each",
        "fmap (default): mutex + section + 2 events",
        "fmap, spinning off: every wait sleeps",
        "answered 2200 more, sleeping in the kernel",
        "pipe: 1 byte each way",
    ] {
        assert!(text.contains(s), "the demo's output lacks {s:?}:\n{text}");
    }
    // B's lines come after A started B, and A's reply line after B's.
    let pos = |s: &str| text.find(s).unwrap();
    assert!(pos("started process B") < pos("OpenFileMapping"));
    assert!(pos("wrote \"hello back") < pos("read B's reply"));
    assert!(ns.object_files().is_empty(), "{:?}", ns.object_files());
    let v = ns.ls_json(&["--all-users"]);
    assert_eq!(v["objects"].as_array().unwrap().len(), 0);
}

// ---------------------------------------------------------------------------------------------
// Through a pseudo-terminal: watch, and create held until Ctrl-C.

mod pty {
    use super::*;
    use expectrl::process::unix::WaitStatus;
    use expectrl::Session;

    const COLS: u16 = 100;
    const ROWS: u16 = 30;

    pub struct Term {
        pub session: expectrl::session::OsSession,
        pub parser: vt100::Parser,
        pub raw: Vec<u8>,
    }

    impl Term {
        pub fn spawn(ns: &Ns, args: &[&str]) -> Term {
            let mut session = Session::spawn(ns.std_cmd(args)).expect("spawn in a pty");
            session
                .get_process_mut()
                .set_window_size(COLS, ROWS)
                .unwrap();
            Term {
                session,
                parser: vt100::Parser::new(
                    std::num::NonZeroU16::new(ROWS).unwrap(),
                    std::num::NonZeroU16::new(COLS).unwrap(),
                    0,
                ),
                raw: Vec::new(),
            }
        }

        /// Reads what the program wrote so far into the screen.
        pub fn pump(&mut self) {
            let mut buf = [0u8; 8192];
            loop {
                match self.session.try_read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        self.parser.process(&buf[..n]);
                        self.raw.extend_from_slice(&buf[..n]);
                    }
                    Err(_) => break,
                }
            }
        }

        pub fn screen(&mut self) -> String {
            self.pump();
            self.parser.screen().contents()
        }

        /// Waits until the screen satisfies `pred`.
        pub fn wait_for(&mut self, what: &str, pred: impl Fn(&vt100::Screen) -> bool) {
            let t = Instant::now();
            loop {
                self.pump();
                if pred(self.parser.screen()) {
                    return;
                }
                if t.elapsed() > Duration::from_secs(20) {
                    panic!(
                        "timed out waiting for {what}; the screen shows:\n{}\nraw: {:?}",
                        self.parser.screen().contents(),
                        String::from_utf8_lossy(&self.raw)
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        pub fn send(&mut self, bytes: &[u8]) {
            self.session.write_all(bytes).unwrap();
            self.session.flush().unwrap();
        }

        /// Waits for the program to exit and returns its exit code.
        pub fn exit_code(&mut self) -> i32 {
            let t = Instant::now();
            loop {
                self.pump();
                match self.session.get_process().status().unwrap() {
                    WaitStatus::StillAlive => {}
                    WaitStatus::Exited(_, code) => return code,
                    other => panic!("the program did not exit normally: {other:?}"),
                }
                if t.elapsed() > Duration::from_secs(20) {
                    panic!(
                        "the program did not exit; screen:\n{}",
                        self.parser.screen().contents()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// The cells that show `text` on the screen: (row, first column).
    fn find(screen: &vt100::Screen, text: &str) -> Option<(u16, u16)> {
        let rows = screen.size().0.get();
        for r in 0..rows {
            let line = screen.contents_between(r, 0, r, COLS);
            if let Some(c) = line.find(text) {
                return Some((r, line[..c].chars().count() as u16));
            }
        }
        None
    }

    #[test]
    fn create_holds_until_ctrl_c_and_the_object_goes_away() {
        let ns = Ns::new();
        let mut t = Term::spawn(&ns, &["create", "mapping", "held", "--size", "64KiB"]);
        t.wait_for("the holding message", |s| {
            s.contents().contains("press Ctrl-C to close it")
        });
        let screen = t.screen();
        assert!(
            screen.contains("created mapping Local\\held: 64 KiB"),
            "{screen}"
        );
        ns.fmap(&["show", "held"]).assert().success();
        // Ctrl-C through the terminal (the line discipline turns it into SIGINT).
        t.send(&[3]);
        assert_eq!(t.exit_code(), 0);
        let screen = t.screen();
        assert!(
            screen.contains("closed Local\\held; no handle is left anywhere, so the name is gone"),
            "{screen}"
        );
        ns.fmap(&["show", "held"])
            .assert()
            .code(1)
            .stderr("fmap: no object named Local\\held exists [ERROR_FILE_NOT_FOUND (2)]\n");
        assert!(ns.object_files().is_empty());
    }

    #[test]
    fn create_mutex_and_semaphore_through_a_terminal() {
        let ns = Ns::new();
        let mut m = Term::spawn(&ns, &["create", "mutex", "tlock", "--owned"]);
        m.wait_for("the mutex", |s| {
            s.contents().contains("holding Local\\tlock")
        });
        assert!(m.screen().contains("owned by this process"));
        ns.fmap(&["wait", "tlock", "--timeout", "100ms"])
            .assert()
            .code(3);
        m.send(&[3]);
        assert_eq!(m.exit_code(), 0);
        ns.fmap(&["show", "tlock"]).assert().code(1);
    }

    #[test]
    fn watch_shows_and_highlights_a_change_and_quits_on_q_and_ctrl_c() {
        let ns = Ns::new();
        let mut holder = ns.hold(&["create", "mapping", "live", "--size", "8KiB"]);
        let mut w = Term::spawn(&ns, &["watch", "live", "--interval", "50ms"]);
        w.wait_for("the hex view", |s| {
            let c = s.contents();
            c.contains("fmap watch Local\\live") && c.contains("00000000")
        });
        let screen = w.screen();
        assert!(screen.contains("8 KiB mapping, PAGE_READWRITE"), "{screen}");
        assert!(screen.contains("q quit"), "{screen}");
        // Watching closed its handle: only the view remains.
        let v = ns.show_json("live");
        let watcher = v["holders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["pid"] != holder.pid())
            .expect("the watcher is listed");
        assert_eq!(watcher["handle"], false);
        assert_eq!(watcher["view"], true);

        ns.fmap(&["write", "live", "--offset", "0x20", "--text", "hello"])
            .assert()
            .success();
        w.wait_for("the change", |s| find(s, "68 65 6c 6c 6f").is_some());
        let s = w.parser.screen().clone();
        let (row, col) = find(&s, "68 65 6c 6c 6f").unwrap();
        assert!(
            s.contents_between(row, 0, row, COLS)
                .starts_with("00000020"),
            "{}",
            s.contents()
        );
        assert!(s.contents_between(row, 0, row, COLS).contains("|hello"));
        // The changed bytes are highlighted (yellow background or yellow text), their
        // neighbours are not.
        let cell = s.cell(row, col).unwrap();
        assert!(
            cell.bgcolor() == vt100::Color::Idx(3) || cell.fgcolor() == vt100::Color::Idx(3),
            "not highlighted: {cell:?}"
        );
        let before = s.cell(row, col - 3).unwrap();
        assert_eq!(before.bgcolor(), vt100::Color::Default);
        assert!(w.screen().contains("5 byte(s) changed"));

        // Scrolling works.
        w.send(b"\x1b[B");
        w.wait_for("scrolled", |s| s.contents().contains("bytes 0x10.."));
        w.send(b"\x1b[A");

        // q quits and restores the terminal.
        w.send(b"q");
        assert_eq!(w.exit_code(), 0);
        assert!(
            String::from_utf8_lossy(&w.raw).contains("\x1b[?1049l"),
            "the alternate screen was not left"
        );

        // Ctrl-C quits too (in raw mode it arrives as a key).
        let mut w = Term::spawn(&ns, &["watch", "live"]);
        w.wait_for("the hex view", |s| s.contents().contains("|hello"));
        w.send(&[3]);
        assert_eq!(w.exit_code(), 0);

        // The watcher never kept the object alive: Ctrl-C on the holder removes it.
        let (st, _) = holder.stop(libc::SIGINT);
        assert!(st.success());
        assert!(ns.object_files().is_empty());
        ns.fmap(&["show", "live"]).assert().code(1);
    }

    #[test]
    fn read_on_a_terminal_stops_at_the_first_nul() {
        let ns = Ns::new();
        let _h = ns.hold(&["create", "mapping", "txt", "--size", "4KiB"]);
        ns.fmap(&["write", "txt", "--text", "greetings"])
            .assert()
            .success();
        let mut t = Term::spawn(&ns, &["read", "txt"]);
        assert_eq!(t.exit_code(), 0);
        let s = t.screen();
        assert!(s.contains("greetings\n"), "{s}");
        assert!(s.contains("stopped at the first NUL byte, offset 9"), "{s}");
        // And colour is on for a terminal.
        let mut t = Term::spawn(&ns, &["ls"]);
        assert_eq!(t.exit_code(), 0);
        assert!(String::from_utf8_lossy(&t.raw).contains("\x1b["));
    }
}

/// Issue 15: `fmap ls` shows the memory a section holds next to its declared size; a new
/// section holds only its header until pages are touched, unless `FMAP_EAGER_COMMIT=1` asks for
/// the whole of it at creation.
#[test]
fn ls_shows_used_memory_and_eager_commit_from_the_environment() {
    let ns = Ns::new();
    let _lazy = ns.hold(&["create", "mapping", "lazy", "--size", "64MiB"]);
    let _eager = ns.hold_env(
        &["create", "mapping", "eager", "--size", "64MiB"],
        &[("FMAP_EAGER_COMMIT", "1")],
    );
    let v = ns.ls_json(&[]);
    let obj = |n: &str| {
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} not listed: {v}"))
    };
    let lazy = obj("Local\\lazy");
    let eager_o = obj("Local\\eager");
    assert_eq!(lazy["size"], 64 << 20);
    assert_eq!(eager_o["size"], 64 << 20);
    assert!(
        lazy["allocated"].as_u64().unwrap() < 1 << 20,
        "an untouched section holds only its header: {lazy}"
    );
    assert!(
        eager_o["allocated"].as_u64().unwrap() >= 64 << 20,
        "FMAP_EAGER_COMMIT=1 allocates the whole section: {eager_o}"
    );
    let table = stdout_of(&mut ns.fmap(&["ls"]));
    let header = table.lines().next().unwrap();
    assert!(
        header.contains("SIZE") && header.contains("USED"),
        "{table}"
    );
    let line = table.lines().find(|l| l.contains("Local\\eager")).unwrap();
    let cols: Vec<&str> = line.split_whitespace().collect();
    // NAME, TYPE, SIZE (two words), USED (two words), …
    assert_eq!(&cols[2..4], ["64", "MiB"], "{table}");
    assert!(cols[4].starts_with("64") && cols[5] == "MiB", "{table}");
}
