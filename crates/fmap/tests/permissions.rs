//! Permissions across users (issue 7, requirement 3). Needs root, which CI has: the tests are
//! `#[ignore]`d, and CI runs them as root with `cargo test -- --include-ignored`. The children
//! are this test binary run again (`child_entry --exact`) with `setuid`/`setgid` to two
//! unprivileged users, the *victim* (uid 65534, `nobody`) and the *attacker* (uid 65533).
//!
//! * `Local\` objects: the attacker cannot open, list, read, map, signal or delete the victim's.
//! * `Global\` objects follow the directory's mode: in a `0755` directory owned by the victim,
//!   the attacker gets read-only access (reads work, writing, signalling, creating and deleting
//!   fail with errors).
//! * A hostile user who plants files in a world-writable `Global\` directory: a symlink under a
//!   name's file name is refused (the victim's target file is neither opened nor truncated), a
//!   directory or a FIFO is an error (never a hang), an unheld garbage file is removed as stale,
//!   and a squatted name is *detectable* (`already_existed()` and the file owner's uid in
//!   `Namespace::find`). What a world-writable directory does *not* defend against (deleting or
//!   squatting names) is listed in `SECURITY.md`.

#[macro_use]
mod common;

use common::{child_command_at, object_file, ready_and_wait, shm_tempdir, R};
use fmap::win32::*;
use fmap::{Access, ErrorKind, Event, Mapping, MappingOptions, Mutex, Name, Namespace, Scope};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FMAP_PERM_CHILD";
const VICTIM: u32 = 65534;
const ATTACKER: u32 = 65533;

fn kind_of<T>(r: fmap::Result<T>) -> Option<ErrorKind> {
    r.err().map(|e| e.kind())
}

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run);
}

fn root() -> PathBuf {
    PathBuf::from(std::env::var("FMAP_PERM_ROOT").unwrap())
}

fn run(role: &str) -> R {
    // Hang guard: no child outlives a stuck parent by long.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        std::process::exit(4);
    });
    let ns = Namespace::at(root());
    match role {
        // Issue 18: forged holder slots. Holds a section of its own and a file it can write,
        // tells the parent their descriptor numbers, and then must refuse every forged
        // object the parent planted (whose slots point at them, or at a memfd it may not
        // open).
        // A user who made the object file of its own live section read-only: a later open of
        // the name (its own namespace instance: nothing cached) cannot record itself as a
        // holder and must say so (`ERROR_ACCESS_DENIED`), not fail with a generic error; with
        // the mode put back it opens.
        "read-only-own-object" => {
            let m = MappingOptions::new()
                .namespace(&ns)
                .name("Local\\ro")
                .size(4096)
                .create()
                .map_err(|e| e.to_string())?;
            let v = m.map_view(Access::WRITE, ..).map_err(|e| e.to_string())?;
            v.write(0, b"mine").map_err(|e| e.to_string())?;
            let obj = object_file(&ns, "Local\\ro");
            std::fs::set_permissions(&obj, std::fs::Permissions::from_mode(0o400))
                .map_err(|e| e.to_string())?;
            let again = Namespace::at(root());
            match Mapping::open_in(&again, "Local\\ro", Access::READ) {
                Err(e) if e.kind() == ErrorKind::AccessDenied && e.win32_code() == 5 => {}
                Err(e) => return Err(format!("wrong error for a read-only object file: {e}")),
                Ok(_) => return Err("opened a read-only object file as a holder".into()),
            }
            std::fs::set_permissions(&obj, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| e.to_string())?;
            let m2 = Mapping::open_in(&Namespace::at(root()), "Local\\ro", Access::READ)
                .map_err(|e| format!("open with the mode put back: {e}"))?;
            let mut b = [0u8; 4];
            m2.map_view(Access::READ, ..)
                .and_then(|v| v.read(0, &mut b).map(|_| ()))
                .map_err(|e| e.to_string())?;
            if &b != b"mine" {
                return Err(format!("read {b:?}"));
            }
            drop((m, v));
            Ok(())
        }
        "forged-slot-victim" => {
            use std::os::unix::fs::MetadataExt;
            let m = MappingOptions::new()
                .namespace(&ns)
                .name("Local\\mine")
                .size(4096)
                .create()
                .map_err(|e| e.to_string())?;
            let v = m.map_view(Access::WRITE, ..).map_err(|e| e.to_string())?;
            v.write(0, b"mine").map_err(|e| e.to_string())?;
            let path = std::env::var("FMAP_VICTIM_FILE").unwrap();
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| format!("open {path}: {e}"))?;
            let st = std::fs::metadata(object_file(&ns, "Local\\mine")).unwrap();
            let want = format!("/memfd:fmap:{}:{} (deleted)", st.dev(), st.ino());
            let memfd: i32 = std::fs::read_dir("/proc/self/fd")
                .unwrap()
                .flatten()
                .find(|e| {
                    std::fs::read_link(e.path()).is_ok_and(|l| l.as_os_str() == want.as_str())
                })
                .and_then(|e| e.file_name().to_str()?.parse().ok())
                .ok_or("the memfd of Local\\mine is not among the descriptors")?;
            println!(
                "FMAP:FDS {} {memfd} {}",
                std::process::id(),
                std::os::fd::AsRawFd::as_raw_fd(&file)
            );
            ready_and_wait();
            for (name, want) in [
                ("Global\\forged-a", Some(ErrorKind::AccessDenied)),
                ("Global\\forged-b", None),
                ("Global\\forged-c", None),
            ] {
                for access in [Access::READ, Access::WRITE] {
                    let r = Mapping::open_in(&ns, name, access);
                    check!(r.is_err(), "opened the forged {name}");
                    if let Some(k) = want {
                        check!(kind_of(r) == Some(k), "{name}: not {k:?}");
                    }
                }
                let r = MappingOptions::new()
                    .namespace(&ns)
                    .name(name)
                    .size(4096)
                    .create();
                check!(r.is_err(), "CreateFileMapping opened the forged {name}");
            }
            // Nothing was mapped or changed: this process maps no file but its own section.
            let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
            check!(
                !maps.contains(&path),
                "the victim's file was mapped:\n{maps}"
            );
            let mut b = [0u8; 4];
            v.read(0, &mut b).map_err(|e| e.to_string())?;
            check!(&b == b"mine", "the victim's section changed: {b:?}");
            let content = std::fs::read(&path).unwrap();
            check!(content == b"file", "the victim's file changed: {content:?}");
            Ok(())
        }
        "local-victim" => {
            let m = MappingOptions::new()
                .namespace(&ns)
                .name("Local\\secret")
                .size(4096)
                .create()
                .map_err(|e| e.to_string())?;
            m.map_view(Access::WRITE, ..)
                .unwrap()
                .write(0, b"secret")
                .unwrap();
            let _mx = Mutex::create_in(&ns, Some("Local\\mtx"), false).unwrap();
            let ev = Event::create_in(&ns, Some("Local\\evt"), true, false).unwrap();
            ready_and_wait();
            // Nothing changed: data, event state, and the names are still there.
            let mut b = [0u8; 6];
            m.map_view(Access::READ, ..)
                .unwrap()
                .read(0, &mut b)
                .unwrap();
            check!(&b == b"secret", "data changed: {b:?}");
            check!(!ev.is_set().unwrap(), "the event was signalled");
            for n in ["Local\\secret", "Local\\mtx", "Local\\evt"] {
                check!(ns.find(n).is_ok(), "{n} is gone");
            }
            Ok(())
        }
        "private-victim" => {
            let private = ns.with_sharing(fmap::Sharing::Private);
            let m = MappingOptions::new()
                .namespace(&private)
                .name("Global\\priv")
                .size(4096)
                .create()
                .map_err(|e| e.to_string())?;
            m.map_view(Access::WRITE, ..)
                .unwrap()
                .write(0, b"secret")
                .unwrap();
            let _open = MappingOptions::new()
                .namespace(&ns)
                .name("Global\\shared")
                .size(4096)
                .create()
                .map_err(|e| e.to_string())?;
            let ev = Event::create_in(&private, Some("Global\\pev"), true, false).unwrap();
            ready_and_wait();
            let mut b = [0u8; 6];
            m.map_view(Access::READ, ..)
                .unwrap()
                .read(0, &mut b)
                .unwrap();
            check!(&b == b"secret", "data changed: {b:?}");
            check!(!ev.is_set().unwrap(), "the event was signalled");
            Ok(())
        }
        "private-attacker" => {
            check!(
                kind_of(Mapping::open_in(&ns, "Global\\priv", Access::READ))
                    == Some(ErrorKind::AccessDenied),
                "opened a private section"
            );
            check!(
                kind_of(Event::open_in(
                    &ns,
                    "Global\\pev",
                    fmap::SyncAccess::EVENT_ALL_ACCESS
                )) == Some(ErrorKind::AccessDenied),
                "opened a private event"
            );
            check!(
                Mapping::open_in(&ns, "Global\\shared", Access::READ).is_ok(),
                "could not open the section shared the namespace's way"
            );
            Ok(())
        }
        "local-attacker" => {
            // Through fmap: the attacker's Local\ is its own namespace.
            check!(
                kind_of(Mapping::open_in(&ns, "Local\\secret", Access::READ))
                    == Some(ErrorKind::FileNotFound),
                "opened the victim's section"
            );
            check!(
                kind_of(Event::open_in(
                    &ns,
                    "Local\\evt",
                    fmap::SyncAccess::EVENT_ALL_ACCESS
                )) == Some(ErrorKind::FileNotFound),
                "opened the victim's event"
            );
            check!(
                kind_of(Mutex::open_in(
                    &ns,
                    "Local\\mtx",
                    fmap::SyncAccess::SYNCHRONIZE
                )) == Some(ErrorKind::FileNotFound),
                "opened the victim's mutex"
            );
            let (all, unreadable) = ns.list_all_users().map_err(|e| e.to_string())?;
            check!(
                all.iter().all(|o| o.owner_uid != VICTIM),
                "listed the victim's objects: {all:?}"
            );
            let vdir = ns.root().join(format!("fmap-{VICTIM}"));
            check!(
                unreadable.contains(&vdir),
                "{vdir:?} not reported unreadable"
            );
            // Directly on the file system.
            check!(
                std::fs::read_dir(&vdir).is_err(),
                "listed the victim's directory"
            );
            let f = vdir.join(Name::parse("Local\\secret").unwrap().file_name());
            check!(std::fs::File::open(&f).is_err(), "opened the victim's file");
            check!(
                std::fs::remove_file(&f).is_err(),
                "deleted the victim's file"
            );
            check!(
                std::fs::write(vdir.join("planted"), b"x").is_err(),
                "planted a file in the victim's directory"
            );
            Ok(())
        }
        "ro-victim" => {
            let m = MappingOptions::new()
                .namespace(&ns)
                .name("Global\\pub")
                .size(4096)
                .create()
                .map_err(|e| e.to_string())?;
            m.map_view(Access::WRITE, ..)
                .unwrap()
                .write(0, b"public")
                .unwrap();
            let ev = Event::create_in(&ns, Some("Global\\pubevt"), true, false).unwrap();
            ready_and_wait();
            let mut b = [0u8; 6];
            m.map_view(Access::READ, ..)
                .unwrap()
                .read(0, &mut b)
                .unwrap();
            check!(&b == b"public", "data changed: {b:?}");
            check!(!ev.is_set().unwrap(), "the event was signalled");
            check!(ns.find("Global\\pub").is_ok(), "Global\\pub is gone");
            Ok(())
        }
        "ro-attacker" => {
            // Read-only access works…
            let m = Mapping::open_in(&ns, "Global\\pub", Access::READ)
                .map_err(|e| format!("read-only open: {e}"))?;
            let v = m.map_view(Access::READ, ..).map_err(|e| e.to_string())?;
            let mut b = [0u8; 6];
            v.read(0, &mut b).unwrap();
            check!(&b == b"public", "read {b:?}");
            // … anything more is refused with an error.
            check!(
                kind_of(Mapping::open_in(&ns, "Global\\pub", Access::WRITE))
                    == Some(ErrorKind::AccessDenied),
                "opened for writing"
            );
            check!(
                kind_of(m.map_view(Access::WRITE, ..)) == Some(ErrorKind::AccessDenied),
                "mapped a read-only handle for writing"
            );
            match Event::open_in(&ns, "Global\\pubevt", fmap::SyncAccess::EVENT_ALL_ACCESS) {
                Err(e) => check!(e.kind() == ErrorKind::AccessDenied, "open event: {e}"),
                Ok(ev) => check!(ev.set().is_err(), "signalled a read-only event"),
            }
            check!(
                kind_of(
                    MappingOptions::new()
                        .namespace(&ns)
                        .name("Global\\new")
                        .size(4096)
                        .create()
                ) == Some(ErrorKind::AccessDenied),
                "created a name in a read-only directory"
            );
            check!(
                std::fs::remove_file(object_file(&ns, "Global\\pub")).is_err(),
                "deleted the victim's object file"
            );
            Ok(())
        }
        "planter" => {
            // Plants under the file names of names the victim will use.
            let target = root().join("victim-file");
            std::os::unix::fs::symlink(&target, object_file(&ns, "Global\\sym")).unwrap();
            std::fs::create_dir(object_file(&ns, "Global\\dir")).unwrap();
            let fifo = object_file(&ns, "Global\\fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: `c` is a NUL-terminated path that outlives the call; mkfifo only reads it.
            let made = unsafe { libc::mkfifo(c.as_ptr(), 0o444) } == 0;
            check!(made, "mkfifo failed");
            let junk = object_file(&ns, "Global\\junk");
            std::fs::write(&junk, vec![0xEEu8; 8192]).unwrap();
            std::fs::set_permissions(&junk, std::fs::Permissions::from_mode(0o444)).unwrap();
            // A squatter: a real object under a name the victim means to create, held.
            let squat = MappingOptions::new()
                .namespace(&ns)
                .name("Global\\squat")
                .size(4096)
                .create()
                .map_err(|e| e.to_string())?;
            ready_and_wait();
            drop(squat);
            Ok(())
        }
        "plant-victim" => {
            let target = root().join("victim-file");
            let before = std::fs::read(&target).unwrap();
            let create = |n: &str| {
                MappingOptions::new()
                    .namespace(&ns)
                    .name(n)
                    .size(64 * 1024)
                    .create()
            };
            // A symlink is refused: the victim's file is neither opened nor truncated.
            let e = create("Global\\sym").err();
            check!(
                e.as_ref().map(|e| e.kind()) == Some(ErrorKind::AccessDenied),
                "symlink: {e:?}"
            );
            check!(
                kind_of(Mapping::open_in(&ns, "Global\\sym", Access::READ)).is_some(),
                "opened through a symlink"
            );
            check!(
                std::fs::read(&target).unwrap() == before,
                "the symlink's target changed"
            );
            // A directory and a FIFO are errors, not hangs (the parent has a watchdog).
            check!(
                create("Global\\dir").is_err(),
                "a directory became an object"
            );
            check!(create("Global\\fifo").is_err(), "a FIFO became an object");
            check!(
                Mapping::open_in(&ns, "Global\\fifo", Access::READ).is_err(),
                "opened a FIFO"
            );
            // An unheld garbage file is not an object: it is removed as stale.
            let m = create("Global\\junk").map_err(|e| format!("junk: {e}"))?;
            check!(!m.already_existed(), "the junk file was taken as an object");
            // A squatted name is detectable.
            let m = create("Global\\squat").map_err(|e| format!("squat: {e}"))?;
            check!(m.already_existed(), "squat not reported as existing");
            let owner = ns.find("Global\\squat").unwrap().owner_uid;
            check!(owner == ATTACKER, "squat owner {owner}");
            Ok(())
        }
        "forger" => {
            // Issue 11, item 1: fake file-backed sections whose headers name files the
            // attacker cannot open, with device and inode copied from `stat`.
            let own = root().join("forger-data");
            let (f, _) = fmap::File::open(
                &own,
                GENERIC_READ | GENERIC_WRITE,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                fmap::Disposition::CreateAlways,
            )
            .map_err(|e| format!("forger's file: {e}"))?;
            f.set_len(4096).map_err(|e| e.to_string())?;
            let mut held = Vec::new();
            for (name, target) in [
                ("Global\\cfg", "root-secret"),
                ("Global\\vcfg", "victim-secret"),
                ("Global\\fifocfg", "forger-fifo"),
            ] {
                let m = MappingOptions::new()
                    .namespace(&ns)
                    .name(name)
                    .file(&f)
                    .protection(if target == "forger-fifo" {
                        fmap::Protection::ReadOnly
                    } else {
                        fmap::Protection::ReadWrite
                    })
                    .create()
                    .map_err(|e| format!("{name}: {e}"))?;
                forge_file_header(&object_file(&ns, name), &root().join(target), false)?;
                held.push(m);
            }
            // The 0666 header of a live pagefile section root created itself.
            forge_file_header(
                &object_file(&ns, "Global\\live"),
                &root().join("root-secret"),
                true,
            )?;
            ready_and_wait();
            drop(held);
            Ok(())
        }
        "forge-victim" => {
            // A non-root victim opening the forged name for writing must not map its own
            // private file.
            let before = std::fs::read(root().join("victim-secret")).unwrap();
            let r = Mapping::open_in(&ns, "Global\\vcfg", Access::WRITE);
            if let Ok(m) = &r {
                if let Ok(v) = m.map_view(Access::WRITE, ..) {
                    let _ = v.write(0, b"OVERWRITTEN");
                }
            }
            check!(
                kind_of(r) == Some(ErrorKind::AccessDenied),
                "opened a section whose file another user chose"
            );
            check!(
                std::fs::read(root().join("victim-secret")).unwrap() == before,
                "the victim's private file changed"
            );
            Ok(())
        }
        "lock-holder" => {
            // Issue 11, item 3: one unheld file named like an object, and a lock on its
            // bucket's byte of the `0666` `.lock`, held by another user.
            let g = ns.dir_path(Scope::Global);
            std::fs::write(g.join("0".repeat(32)), b"planted").map_err(|e| e.to_string())?;
            let f = common::ofd_write_lock(&g.join(".lock"), 0)
                .map_err(|e| format!("cannot lock byte 0 of .lock: {e}"))?;
            ready_and_wait();
            drop(f);
            Ok(())
        }
        "squat-planter" => {
            // Issue 11, item 6: the attacker takes the victim's `Local\` directory name in
            // the shared root first.
            let p = root().join(format!("fmap-{VICTIM}"));
            match common::var("SQUAT").as_str() {
                "dir" => {
                    std::fs::create_dir(&p).map_err(|e| e.to_string())?;
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777))
                        .map_err(|e| e.to_string())?;
                }
                "symlink" => std::os::unix::fs::symlink("/tmp", &p).map_err(|e| e.to_string())?,
                "fifo" => {
                    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
                    // SAFETY: plain mkfifo on a NUL-terminated path.
                    check!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) } == 0, "mkfifo");
                }
                k => return Err(format!("unknown squat {k}")),
            }
            Ok(())
        }
        "squatted-victim" => {
            let create = || {
                MappingOptions::new()
                    .namespace(&ns)
                    .name("Local\\sq")
                    .size(4096)
                    .create()
            };
            if common::var("EXPECT") == "error" {
                let e = create()
                    .err()
                    .ok_or("created a name in a squatted namespace")?;
                check!(e.kind() == ErrorKind::AccessDenied, "{e}");
                let msg = e.to_string();
                check!(
                    msg.contains(&format!("squatted by uid {ATTACKER}"))
                        && msg.contains("rm -rf")
                        && !msg.contains('\n'),
                    "not one line naming the squatter and the remedy: {msg}"
                );
                return Ok(());
            }
            let m = create().map_err(|e| format!("create in a squatted namespace: {e}"))?;
            let dir = ns.dir_path(Scope::Local);
            check!(
                dir.starts_with(format!("/run/user/{VICTIM}")),
                "not in the runtime directory: {dir:?}"
            );
            m.map_view(Access::WRITE, ..)
                .unwrap()
                .write(0, b"fallback")
                .unwrap();
            ready_and_wait();
            Ok(())
        }
        "squatted-victim-open" => {
            // A second process of the victim finds the same name: they agree on the directory,
            // also when they spell the root differently.
            let ns = Namespace::at(root().join("."));
            let m = Mapping::open_in(&ns, "Local\\sq", Access::READ)
                .map_err(|e| format!("second process: {e}"))?;
            let mut b = [0u8; 8];
            m.map_view(Access::READ, ..)
                .unwrap()
                .read(0, &mut b)
                .unwrap();
            check!(&b == b"fallback", "read {b:?}");
            Ok(())
        }
        r => Err(format!("unknown role {r}")),
    }
}

/// Rewrites the header of the object file `obj` so that it claims to be a file-backed section
/// of `target` (flags, device, inode, path), as any user who can write the file can.
fn forge_file_header(obj: &Path, target: &Path, set_flag: bool) -> R {
    use std::os::unix::fs::{FileExt, MetadataExt};
    let st = std::fs::metadata(target).map_err(|e| format!("stat {target:?}: {e}"))?;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(obj)
        .map_err(|e| format!("open {obj:?} for writing: {e}"))?;
    let path = target.as_os_str().as_encoded_bytes();
    let w = |buf: &[u8], off: u64| {
        f.write_all_at(buf, off)
            .map_err(|e| format!("write {obj:?}: {e}"))
    };
    if set_flag {
        w(&1u32.to_le_bytes(), 20)?;
    }
    w(&st.dev().to_le_bytes(), 40)?;
    w(&st.ino().to_le_bytes(), 48)?;
    w(&(path.len() as u32).to_le_bytes(), 60)?;
    w(path, 2048)?;
    w(&[0], 2048 + path.len() as u64)?;
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Parent
// ------------------------------------------------------------------------------------------

struct Proc {
    child: Child,
    out: BufReader<std::process::ChildStdout>,
}

/// A copy of this test binary that the unprivileged users can execute: the checkout may be in
/// a directory they cannot enter (e.g. under `/root`).
fn exe() -> &'static Path {
    static EXE: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, p) = EXE.get_or_init(|| {
        let d = tempfile::Builder::new()
            .prefix("fmap-perm-exe-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let p = d.path().join("permissions-test");
        std::fs::copy(std::env::current_exe().unwrap(), &p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        (d, p)
    });
    p
}

fn spawn(role: &str, uid: u32, root: &Path) -> Proc {
    spawn_env(role, uid, root, &[])
}

fn spawn_env(role: &str, uid: u32, root: &Path, env: &[(&str, &str)]) -> Proc {
    let mut child = child_command_at(exe(), CHILD_ENV, role)
        .envs(env.iter().copied())
        .current_dir("/")
        .env("FMAP_PERM_ROOT", root)
        .env_remove("FMAP_ROOT")
        .uid(uid)
        .gid(uid)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    Proc { child, out }
}

impl Proc {
    fn ready(&mut self) {
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                self.out.read_line(&mut line).unwrap() > 0,
                "child ended early"
            );
            // libtest prints "test child_entry ... " first, on the same line.
            assert!(!line.contains("FMAP:FAIL"), "{line}");
            if line.contains("FMAP:READY") {
                return;
            }
        }
    }

    /// Lets a holding child go on, and waits (with a hang watchdog) for success.
    fn finish(mut self, what: &str) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        let st = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{what}: hung for 30 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut self.out, &mut rest);
        assert!(st.success(), "{what}: {st:?}\n{rest}");
    }
}

/// A namespace root every user can use (like `/dev/shm`: mode 1777). Fails the test unless
/// running as root, which the tests need to change users (they are `#[ignore]`d for a plain
/// `cargo test`; CI runs them as root with `--include-ignored`).
fn shared_root() -> tempfile::TempDir {
    common::require_root("it switches to other users");
    let d = shm_tempdir("fmap-perm-");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    d
}

fn chown(p: &Path, uid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(uid)).unwrap();
}

/// Takes an OFD lock (`F_OFD_SETLK`) of `kind` on `len` bytes at `start`, as any process that
/// can open the file can.
fn ofd_lock(f: &std::fs::File, kind: i32, start: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: an all-zero `flock` is valid; the kernel only reads it for F_OFD_SETLK.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = start as libc::off_t;
    fl.l_len = len as libc::off_t;
    // SAFETY: `f` is open; `fl` is a valid flock.
    let r = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_OFD_SETLK, &fl) };
    assert_eq!(r, 0, "F_OFD_SETLK: {}", std::io::Error::last_os_error());
}

/// Plants, as the attacker, an object file under `name` that claims to be a section whose
/// memory is a companion memfd, held (byte 0) with holder slot 0 taken and pointing at
/// `/proc/<pid>/fd/<fd>`. Returns the descriptor that holds the locks.
fn plant_forged_section(ns: &Namespace, name: &str, pid: u32, fd: i32) -> std::fs::File {
    use std::os::unix::fs::FileExt;
    let n = Name::parse(name).unwrap();
    let path = object_file(ns, name);
    let mut h = vec![0u8; 1024];
    h[0..8].copy_from_slice(b"FMAPOBJ\0");
    let put =
        |h: &mut Vec<u8>, off: usize, v: u32| h[off..off + 4].copy_from_slice(&v.to_le_bytes());
    put(&mut h, 8, 1); // version
    put(&mut h, 12, 1); // a mapping
    put(&mut h, 20, 8); // memory in a companion memfd
    put(&mut h, 24, PAGE_READWRITE);
    put(&mut h, 28, SEC_COMMIT);
    h[32..40].copy_from_slice(&4096u64.to_le_bytes());
    let full = n.to_string();
    put(&mut h, 56, full.len() as u32);
    h[128..128 + full.len()].copy_from_slice(full.as_bytes());
    let mut rec = [0u8; 8];
    rec[..4].copy_from_slice(&pid.to_le_bytes());
    rec[4..].copy_from_slice(&fd.to_le_bytes());
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .unwrap();
    f.write_all_at(&h, 0).unwrap();
    f.write_all_at(&rec, 1024).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    chown(&path, ATTACKER);
    ofd_lock(&f, libc::F_RDLCK, 0, 1);
    ofd_lock(&f, libc::F_WRLCK, 1 << 40, 1);
    f
}

/// Issue 18: an opener finds a section's memory through holder slots that anyone who can write
/// the object file can forge. The victim must never map what a forged slot points at: a memfd
/// of the attacker that it may not open through `/proc` (`ERROR_ACCESS_DENIED`), a memfd of
/// another of its own sections, a file it can write.
#[test]
#[ignore = "needs root (switches users): cargo test -- --include-ignored as root"]
fn forged_holder_slots_never_redirect_an_open() {
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;
    let root = shared_root();
    let ns = Namespace::at(root.path());
    // The Global\ directory, world-writable, as fmap creates it.
    let init = Event::create_in(&ns, Some("Global\\init"), true, false).unwrap();
    let victim_file = root.path().join("victim-file");
    std::fs::write(&victim_file, b"file").unwrap();
    std::fs::set_permissions(&victim_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    chown(&victim_file, VICTIM);
    let mut victim = spawn_env(
        "forged-slot-victim",
        VICTIM,
        root.path(),
        &[("FMAP_VICTIM_FILE", victim_file.to_str().unwrap())],
    );
    let mut line = String::new();
    let (pid, memfd, filefd) = loop {
        line.clear();
        assert!(
            victim.out.read_line(&mut line).unwrap() > 0,
            "victim ended early"
        );
        assert!(!line.contains("FMAP:FAIL"), "{line}");
        if let Some(rest) = line.split("FMAP:FDS ").nth(1) {
            let v: Vec<i64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            break (v[0] as u32, v[1] as i32, v[2] as i32);
        }
    };
    victim.ready();
    // (a) The attacker's own memfd, named as the companion of the planted file would be.
    let a_path = object_file(&ns, "Global\\forged-a");
    let held_a = plant_forged_section(&ns, "Global\\forged-a", std::process::id(), 0);
    let st = std::fs::metadata(&a_path).unwrap();
    let own = rustix::fs::memfd_create(
        format!("fmap:{}:{}", st.dev(), st.ino()).as_str(),
        rustix::fs::MemfdFlags::CLOEXEC,
    )
    .unwrap();
    rustix::fs::ftruncate(&own, 4096).unwrap();
    rustix::fs::fchown(&own, Some(rustix::process::Uid::from_raw(ATTACKER)), None).unwrap();
    {
        use std::os::unix::fs::FileExt;
        let mut rec = [0u8; 8];
        rec[..4].copy_from_slice(&std::process::id().to_le_bytes());
        rec[4..].copy_from_slice(&(std::os::fd::AsRawFd::as_raw_fd(&own) as u32).to_le_bytes());
        held_a.write_all_at(&rec, 1024).unwrap();
    }
    // (b) The memfd of another section of the victim; (c) a file the victim can write.
    let held_b = plant_forged_section(&ns, "Global\\forged-b", pid, memfd);
    let held_c = plant_forged_section(&ns, "Global\\forged-c", pid, filefd);
    victim
        .child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"go\n")
        .unwrap();
    victim.finish("the victim refuses forged holder slots");
    drop((held_a, held_b, held_c, own, init));
}

/// Issue 18: a section whose object file its owner made read-only: an open by that same
/// (unprivileged) user cannot take a holder slot and gets `ERROR_ACCESS_DENIED` with a clear
/// message (it failed with `ERROR_GEN_FAILURE`, "Bad file descriptor").
#[test]
#[ignore = "needs root (switches to other users): cargo test -- --include-ignored as root"]
fn read_only_object_file_of_a_live_section_is_access_denied() {
    let root = shared_root();
    spawn("read-only-own-object", VICTIM, root.path()).finish("read-only-own-object");
}

#[test]
#[ignore = "needs root (switches to other users): cargo test -- --include-ignored as root"]
fn local_objects_are_private() {
    let root = shared_root();
    let mut victim = spawn("local-victim", VICTIM, root.path());
    victim.ready();
    spawn("local-attacker", ATTACKER, root.path()).finish("attacker");
    victim.finish("victim");
}

/// `Sharing::Private` (what a descriptor without a world grant asks): another user can open
/// neither the section nor the event, while an object created the namespace's way stays open
/// to them.
#[test]
#[ignore = "needs root (switches to other users): cargo test -- --include-ignored as root"]
fn private_sharing_keeps_other_users_out_of_global_objects() {
    let root = shared_root();
    let mut victim = spawn("private-victim", VICTIM, root.path());
    victim.ready();
    spawn("private-attacker", ATTACKER, root.path()).finish("attacker");
    victim.finish("victim");
}

#[test]
#[ignore = "needs root (switches to other users): cargo test -- --include-ignored as root"]
fn global_objects_follow_the_directory_mode() {
    let root = shared_root();
    // An administrator pre-creates Global\ for the victim, readable by everyone.
    let g = Namespace::at(root.path()).dir_path(Scope::Global);
    std::fs::create_dir(&g).unwrap();
    std::fs::set_permissions(&g, std::fs::Permissions::from_mode(0o755)).unwrap();
    chown(&g, VICTIM);
    let mut victim = spawn("ro-victim", VICTIM, root.path());
    victim.ready();
    let f = object_file(&Namespace::at(root.path()), "Global\\pub");
    let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode, 0o644,
        "object files take the directory's read/write bits"
    );
    spawn("ro-attacker", ATTACKER, root.path()).finish("attacker");
    victim.finish("victim");
}

#[test]
#[ignore = "needs root (switches to other users): cargo test -- --include-ignored as root"]
fn planted_files_in_global_are_refused_or_detected() {
    let root = shared_root();
    let ns = Namespace::at(root.path());
    // fmap creates the shared Global\ directory (mode 0777) …
    common::create_global_dir(&ns);
    // … and the victim owns a precious file the attacker would like it to truncate.
    let target = root.path().join("victim-file");
    std::fs::write(&target, b"precious").unwrap();
    chown(&target, VICTIM);
    let mut planter = spawn("planter", ATTACKER, root.path());
    planter.ready();
    spawn("plant-victim", VICTIM, root.path()).finish("victim");
    planter.finish("planter");
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
}

/// Issue 11, item 1 (critical): an unprivileged user forged object headers in `Global\` that
/// named files it cannot open (a root-only file, the victim's own private file, a FIFO); root's
/// create or open of the name mapped that file read-write, because the opener opened the stored
/// path with its own rights and checked only device and inode (which `stat` gives anyone). A
/// path is now followed only from a header that nobody but the caller or root can have written.
#[test]
#[ignore = "needs root (switches to other users): cargo test -- --include-ignored as root"]
fn forged_file_backed_headers_never_redirect_a_write() {
    let root = shared_root();
    let ns = Namespace::at(root.path());
    let secret = root.path().join("root-secret");
    std::fs::write(&secret, b"root-only data").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let vsecret = root.path().join("victim-secret");
    std::fs::write(&vsecret, b"the victim's own data").unwrap();
    std::fs::set_permissions(&vsecret, std::fs::Permissions::from_mode(0o600)).unwrap();
    chown(&vsecret, VICTIM);
    let fifo = root.path().join("forger-fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: plain mkfifo on a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    // Root's own live pagefile section, whose 0666 header the forger rewrites.
    let live = MappingOptions::new()
        .namespace(&ns)
        .name("Global\\live")
        .size(4096)
        .create()
        .unwrap();
    let mut forger = spawn("forger", ATTACKER, root.path());
    forger.ready();

    // Root, through namespaces of its own (no cached handles): create and open of the forged
    // names are refused; nothing reaches the secret.
    let fresh = || Namespace::at(root.path());
    let try_write = |r: fmap::Result<Mapping>| -> Option<ErrorKind> {
        match r {
            Ok(m) => {
                if let Ok(v) = m.map_view(Access::WRITE, ..) {
                    let _ = v.write(0, b"OVERWRITTEN");
                }
                None
            }
            Err(e) => Some(e.kind()),
        }
    };
    let create = |n: &str| {
        MappingOptions::new()
            .namespace(&fresh())
            .name(n)
            .size(4096)
            .create()
    };
    assert_eq!(
        try_write(create("Global\\cfg")),
        Some(ErrorKind::AccessDenied)
    );
    assert_eq!(
        try_write(Mapping::open_in(&fresh(), "Global\\cfg", Access::WRITE)),
        Some(ErrorKind::AccessDenied)
    );
    assert_eq!(
        try_write(Mapping::open_in(&fresh(), "Global\\live", Access::WRITE)),
        Some(ErrorKind::AccessDenied),
        "the rewritten header of root's own section was followed"
    );
    // A FIFO behind a read-only forged section: an error, never a hang.
    let (tx, rx) = std::sync::mpsc::channel();
    let r2 = root.path().to_owned();
    std::thread::spawn(move || {
        let r = Mapping::open_in(&Namespace::at(r2), "Global\\fifocfg", Access::READ);
        let _ = tx.send(r.err().map(|e| e.kind()));
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(30))
            .expect("opening a forged FIFO section hung"),
        Some(ErrorKind::AccessDenied)
    );
    assert_eq!(std::fs::read(&secret).unwrap(), b"root-only data");
    // The handle root already had is unaffected.
    let v = live.map_view(Access::WRITE, ..).unwrap();
    v.write(0, b"still mine").unwrap();
    // A non-root victim: its own private file is not reached either.
    spawn("forge-victim", VICTIM, root.path()).finish("victim");
    assert_eq!(std::fs::read(&vsecret).unwrap(), b"the victim's own data");
    forger.finish("forger");
    assert_eq!(std::fs::read(&secret).unwrap(), b"root-only data");
}

/// Issue 11, item 6: another user pre-created `<root>/fmap-<victim uid>` (a directory, a
/// symlink or a FIFO) in the shared, sticky root; the victim's every call failed with
/// `ERROR_ACCESS_DENIED`, forever. Now the victim's processes agree on a fallback in its
/// runtime directory (`/run/user/<uid>`, which no other user can write); without one, the
/// error is one line naming the squatter and the remedy.
#[test]
#[ignore = "needs root (switches to other users): cargo test -- --include-ignored as root"]
fn squatted_local_namespace_is_not_denied() {
    common::require_root("it switches to other users");
    let rt = PathBuf::from(format!("/run/user/{VICTIM}"));
    let made_rt = !rt.exists();
    for squat in ["dir", "symlink", "fifo"] {
        let root = shared_root();
        spawn_env("squat-planter", ATTACKER, root.path(), &[("SQUAT", squat)])
            .finish("squat-planter");
        if made_rt {
            // No runtime directory: a clear error.
            spawn_env(
                "squatted-victim",
                VICTIM,
                root.path(),
                &[("EXPECT", "error")],
            )
            .finish(&format!("victim without a runtime directory ({squat})"));
        }
        // With one (created as logind would), the namespace works in it.
        if made_rt {
            std::fs::create_dir_all(&rt).unwrap();
            chown(&rt, VICTIM);
            std::fs::set_permissions(&rt, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let mut v = spawn_env("squatted-victim", VICTIM, root.path(), &[("EXPECT", "ok")]);
        v.ready();
        spawn("squatted-victim-open", VICTIM, root.path()).finish("second victim process");
        v.finish(&format!("victim ({squat})"));
        if made_rt {
            std::fs::remove_dir_all(&rt).unwrap();
        }
    }
}

/// Issue 11, item 3, as a second user: a planted unheld file plus the attacker's lock on its
/// bucket byte of `.lock` hung root's first call in `Global\` (the first-use sweep waited for
/// that byte) and `fmap gc`. Sweeping now only tries the lock.
#[test]
#[ignore = "needs root (switches to other users): cargo test -- --include-ignored as root"]
fn another_users_bucket_lock_does_not_hang_the_namespace() {
    let root = shared_root();
    common::create_global_dir(&Namespace::at(root.path()));
    let mut holder = spawn("lock-holder", ATTACKER, root.path());
    holder.ready();
    let (tx, rx) = std::sync::mpsc::channel();
    let r = root.path().to_owned();
    std::thread::spawn(move || {
        // A fresh namespace: its first use sweeps the directory.
        let ns = Namespace::at(&r);
        let created = MappingOptions::new()
            .namespace(&ns)
            .name("Global\\unrelated")
            .size(4096)
            .create()
            .map(|_| ());
        let swept = ns.sweep().map(|rep| rep.busy.len());
        let _ = tx.send((created, swept));
    });
    let (created, swept) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("root's create or sweep hung on the attacker's lock");
    created.unwrap();
    assert_eq!(swept.unwrap(), 1, "the held bucket is reported busy");
    holder.finish("lock holder");
}
