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
    assert!(Event::open_in(&ns, "Global\\squat-link", fmap::win32::SYNCHRONIZE).is_err());
    assert!(Event::open_in(&ns, "Global\\squat-junk", fmap::win32::SYNCHRONIZE).is_err());
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
