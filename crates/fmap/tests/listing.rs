//! Listing a namespace that holds entries fmap did not create: symbolic links, FIFOs,
//! directories, sockets and garbage files planted under object file names in the shared
//! `Global\` directory. The listing must show the real objects and every planted entry (with
//! its owner), never fail or go blind because of one.

mod common;

use common::*;
use fmap::{Event, Scope};
use std::path::PathBuf;

fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0, "mkfifo");
}

fn lchown(path: &std::path::Path, uid: u32) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::lchown(c.as_ptr(), uid, uid) }, 0, "lchown");
}

struct Planted {
    link: PathBuf,
    fifo: PathBuf,
    dir: PathBuf,
    junk: PathBuf,
}

/// A live `Global\live` event and four planted entries next to it.
fn plant(ns: &fmap::Namespace) -> (Event, Planted) {
    let live = Event::create_in(ns, Some("Global\\live"), true, false).unwrap();
    let p = Planted {
        link: object_file(ns, "Global\\squat-link"),
        fifo: object_file(ns, "Global\\squat-fifo"),
        dir: object_file(ns, "Global\\squat-dir"),
        junk: object_file(ns, "Global\\squat-junk"),
    };
    std::os::unix::fs::symlink("/etc/passwd", &p.link).unwrap();
    mkfifo(&p.fifo);
    std::fs::create_dir(&p.dir).unwrap();
    std::fs::write(&p.junk, b"definitely not an fmap object file").unwrap();
    (live, p)
}

#[test]
fn list_survives_planted_entries() {
    let (_d, ns) = namespace_with_prefix("fmap-listing-");
    let (_live, _p) = plant(&ns);
    let objects = ns.list(Scope::Global).expect("the listing fails");
    let names: Vec<_> = objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Global\\live"]);
    assert!(objects[0].alive);
    let (all, unreadable) = ns.list_all_users().expect("the all-users listing fails");
    assert!(all.iter().any(|o| o.name == "Global\\live"));
    assert!(unreadable.is_empty(), "{unreadable:?}");
}

#[test]
fn list_entries_marks_planted_entries_as_foreign_with_their_owner() {
    use fmap::ForeignKind;
    let (_d, ns) = namespace_with_prefix("fmap-listing-");
    let (_live, p) = plant(&ns);
    // A socket, and a copy of the live object's file under another name's file (a valid
    // header in the wrong place).
    let sock_path = object_file(&ns, "Global\\squat-sock");
    let _sock = std::os::unix::net::UnixListener::bind(&sock_path).unwrap();
    let copy = object_file(&ns, "Global\\squat-copy");
    std::fs::copy(object_file(&ns, "Global\\live"), &copy).unwrap();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let other = 65533;
    // As root, entries of another user: the owner reported is the entry's own (lstat).
    let (link_uid, junk_uid) = if is_root() {
        lchown(&p.link, other);
        lchown(&p.junk, other);
        (other, other)
    } else {
        (me, me)
    };
    // Unreadable: a file without read permission (root reads everything, so only as a user).
    let locked = object_file(&ns, "Global\\squat-locked");
    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&locked, b"x").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }

    let l = ns.list_entries(Scope::Global).expect("the listing fails");
    let names: Vec<_> = l.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Global\\live"]);
    assert!(l.objects[0].alive && l.objects[0].owner_uid == me);
    assert!(l.unreadable.is_empty());
    let mut expected = vec![
        (
            p.link.clone(),
            link_uid,
            ForeignKind::Symlink,
            "a symbolic link",
        ),
        (p.fifo.clone(), me, ForeignKind::Fifo, "a FIFO"),
        (p.dir.clone(), me, ForeignKind::Directory, "a directory"),
        (
            p.junk.clone(),
            junk_uid,
            ForeignKind::NotAnObject,
            "not an fmap object file",
        ),
        (sock_path.clone(), me, ForeignKind::Socket, "a socket"),
        (
            copy.clone(),
            me,
            ForeignKind::Misnamed {
                claims: "Global\\live".into(),
            },
            "an object file of Global\\live stored under another name's file",
        ),
    ];
    if !is_root() {
        expected.push((
            locked.clone(),
            me,
            ForeignKind::Unreadable("permission denied".into()),
            "unreadable: permission denied",
        ));
    }
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let got: Vec<_> = l
        .foreign
        .iter()
        .map(|f| {
            assert_eq!(f.scope, Scope::Global);
            (
                f.path.clone(),
                f.owner_uid,
                f.what.clone(),
                f.what.to_string(),
            )
        })
        .collect();
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(p, u, k, d)| (p, u, k, d.to_owned()))
        .collect();
    assert_eq!(got, expected);

    // The all-users listing reports the same, and the old entry points keep working.
    let all = ns.list_all_users_entries().unwrap();
    assert_eq!(all.foreign, l.foreign);
    assert!(all.objects.iter().any(|o| o.name == "Global\\live"));
    assert_eq!(ns.list(Scope::Global).unwrap().len(), 1);
    assert_eq!(ns.list_all_users().unwrap().0.len(), 1);
    // Opening the squatted names still fails as before (the listing changes nothing).
    assert!(Event::open_in(
        &ns,
        "Global\\squat-link",
        fmap::SyncAccess::from_bits_retain(fmap::win32::SYNCHRONIZE)
    )
    .is_err());
    assert!(Event::open_in(
        &ns,
        "Global\\squat-junk",
        fmap::SyncAccess::from_bits_retain(fmap::win32::SYNCHRONIZE)
    )
    .is_err());
}

#[test]
fn foreign_entries_in_a_local_namespace_are_listed_too() {
    let (_d, ns) = namespace_with_prefix("fmap-listing-");
    let _e = Event::create_in(&ns, Some("mine"), false, false).unwrap();
    let junk = object_file(&ns, "Local\\junk");
    std::fs::write(&junk, [0u8; 2000]).unwrap();
    let l = ns.list_entries(Scope::Local).unwrap();
    assert_eq!(l.objects.len(), 1);
    assert_eq!(l.foreign.len(), 1);
    assert_eq!(l.foreign[0].path, junk);
    assert_eq!(l.foreign[0].scope, Scope::Local);
    assert_eq!(l.foreign[0].what, fmap::ForeignKind::NotAnObject);
    // An empty namespace lists as empty.
    let (_d2, empty) = namespace_with_prefix("fmap-listing-");
    let l = empty.list_entries(Scope::Global).unwrap();
    assert!(l.objects.is_empty() && l.foreign.is_empty() && l.unreadable.is_empty());
}

// ------------------------------------------------------------------------------------------
// The Local\ fallbacks of squatted users (root only)
// ------------------------------------------------------------------------------------------

const CHILD_ENV: &str = "FMAP_LISTING_CHILD";
/// The user whose `<root>/fmap-<uid>` is squatted; its names live in `/run/user/<uid>`.
const SQUATTED: u32 = 65531;
/// The user who squats it.
const SQUATTER: u32 = 65532;

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, child_role);
}

fn child_role(role: &str) -> R {
    match role {
        "fallback-holder" => {
            let ns = fmap::Namespace::at(var("FMAP_LISTING_ROOT"));
            let _e = Event::create_in(&ns, Some("Local\\in-fallback"), true, false)
                .map_err(|e| format!("create in the squatted namespace: {e}"))?;
            let dir = ns.dir_path(Scope::Local);
            if !dir.starts_with(format!("/run/user/{SQUATTED}")) {
                return Err(format!("not in the runtime directory: {dir:?}"));
            }
            ready_and_wait();
            Ok(())
        }
        r => Err(format!("unknown role {r}")),
    }
}

/// `/run/user/<uid>` made as `systemd-logind` would (owned by the user, `0700`) if it does not
/// exist, and removed again when dropped (with `/run/user` if that was made too).
struct RuntimeDir {
    made: Vec<PathBuf>,
}

impl RuntimeDir {
    fn ensure(uid: u32) -> RuntimeDir {
        use std::os::unix::fs::PermissionsExt;
        let base = PathBuf::from("/run/user");
        let rt = base.join(uid.to_string());
        let mut made = Vec::new();
        if !base.exists() {
            std::fs::create_dir_all(&base).unwrap();
            made.push(base.clone());
        }
        if !rt.exists() {
            std::fs::create_dir(&rt).unwrap();
            made.push(rt.clone());
            std::os::unix::fs::chown(&rt, Some(uid), Some(uid)).unwrap();
            std::fs::set_permissions(&rt, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        RuntimeDir { made }
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        for p in self.made.iter().rev() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// A child process, killed (if still running) when dropped.
struct Kid(std::process::Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Review finding (low): when another user squats `<root>/fmap-<uid>`, the user's `Local\`
/// names live in `/run/user/<uid>/fmap-…`, which `list_all_users` never looked at, so root's
/// `fmap ls --all-users` missed that user's real objects.
#[test]
#[ignore = "needs root (switches to another user): cargo test -- --include-ignored as root"]
fn all_users_listing_includes_the_local_fallback_of_a_squatted_user() {
    use std::io::BufRead;
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    common::require_root("it runs a process as another user and lists every user's namespaces");
    let root = shm_tempdir("fmap-listing-");
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let _rt = RuntimeDir::ensure(SQUATTED);
    // The squat: a directory of another user under the user's Local\ directory name.
    let squat = root.path().join(format!("fmap-{SQUATTED}"));
    std::fs::create_dir(&squat).unwrap();
    std::fs::set_permissions(&squat, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::os::unix::fs::chown(&squat, Some(SQUATTER), Some(SQUATTER)).unwrap();
    // The squatted user holds a Local\ object (in its fallback), run from a copy of this test
    // binary it can execute (the checkout may be in a directory it cannot enter).
    let exe_dir = tempfile::Builder::new()
        .prefix("fmap-listing-exe-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(exe_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = exe_dir.path().join("listing-test");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut kid = Kid(child_command_at(&exe, CHILD_ENV, "fallback-holder")
        .env("FMAP_LISTING_ROOT", root.path())
        .env_remove("FMAP_ROOT")
        .current_dir("/")
        .uid(SQUATTED)
        .gid(SQUATTED)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap());
    let mut out = std::io::BufReader::new(kid.0.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the child ended early: {seen}"
        );
        assert!(!line.contains("FMAP:FAIL"), "{line}");
        seen.push_str(&line);
        if line.contains("FMAP:READY") {
            break;
        }
    }

    // Root lists every user: the squatted user's object is there, with its owner.
    let (all, unreadable) = fmap::Namespace::at(root.path())
        .list_all_users()
        .expect("the all-users listing fails");
    assert!(
        all.iter()
            .any(|o| o.name == "Local\\in-fallback" && o.owner_uid == SQUATTED && o.alive),
        "the object in the fallback is not listed: {all:?} (unreadable: {unreadable:?})"
    );

    drop(kid.0.stdin.take());
    let st = kid.0.wait().unwrap();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    assert!(st.success(), "child: {st:?}\n{rest}");
}
