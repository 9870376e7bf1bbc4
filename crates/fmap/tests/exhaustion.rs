//! A full shared-memory file system is an error at creation (`ERROR_COMMITMENT_LIMIT`), never a
//! `SIGBUS` later, leaves nothing half-created, and the namespace recovers when room returns.
//! Needs root (it mounts a small tmpfs); CI runs as root.

use fmap::{Access, ErrorKind, MappingOptions, Namespace};
use std::process::Command;

struct Mount(tempfile::TempDir);

impl Mount {
    fn small_tmpfs(size: &str) -> Mount {
        let d = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(d.path())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "mounting a tmpfs failed: this test needs root (CI runs as root)"
        );
        Mount(d)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

fn object_files(ns: &Namespace) -> Vec<String> {
    std::fs::read_dir(ns.dir_path(fmap::Scope::Local))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n != ".lock")
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn full_tmpfs_fails_at_creation_and_recovers() {
    let m = Mount::small_tmpfs("2m");
    let ns = Namespace::at(m.0.path());
    // 4 MiB cannot fit in a 2 MiB file system: refused at creation.
    let e = MappingOptions::new()
        .namespace(&ns)
        .name("big")
        .size(4 << 20)
        .create()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommitmentLimit, "{e}");
    assert_eq!(e.win32_code(), 1455);
    assert!(
        object_files(&ns).is_empty(),
        "nothing half-created: {:?}",
        object_files(&ns)
    );
    // Fill most of it with a committed section; the next one does not fit.
    let a = MappingOptions::new()
        .namespace(&ns)
        .name("a")
        .size(1 << 20)
        .create()
        .unwrap();
    let e = MappingOptions::new()
        .namespace(&ns)
        .name("b")
        .size(1 << 20)
        .create()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommitmentLimit, "{e}");
    assert_eq!(object_files(&ns).len(), 1);
    // Every page of the committed section is really there: writing all of it cannot fault.
    let v = a.map_view(Access::WRITE, 0, 0).unwrap();
    v.write(0, &vec![0xAB; 1 << 20]).unwrap();
    drop(v);
    // Room returns when the first section goes; then the second fits.
    drop(a);
    assert!(object_files(&ns).is_empty());
    let b = MappingOptions::new()
        .namespace(&ns)
        .name("b")
        .size(1 << 20)
        .create()
        .unwrap();
    assert!(!b.already_existed());
    drop(b);
    assert!(object_files(&ns).is_empty());
}

#[test]
fn unnamed_section_larger_than_memory_is_refused_quickly() {
    // An unnamed section lives in a memfd, which has no size limit of its own: the commit check
    // must refuse it before allocating anything.
    let e = MappingOptions::new().size(1 << 50).create().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommitmentLimit, "{e}");
}
