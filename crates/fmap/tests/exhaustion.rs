//! A full shared-memory file system is an error at creation (`ERROR_COMMITMENT_LIMIT`), never a
//! `SIGBUS` later, leaves nothing half-created, and the namespace recovers when room returns.
//! Needs root (it mounts a small tmpfs): `#[ignore]`d, run by CI as root with
//! `cargo test -- --include-ignored`. Running out of file descriptors (`RLIMIT_NOFILE`) and of
//! address space (`RLIMIT_AS`) likewise fail at the call that hit the limit
//! (`ERROR_TOO_MANY_OPEN_FILES`, `ERROR_NOT_ENOUGH_MEMORY`), leave nothing half-created or
//! half-mapped, and work again once room returns (tested in child processes).

mod common;

use common::{child_command, object_files, shm_tempdir, Tmpfs};
use fmap::{Access, ErrorKind, MappingOptions, Namespace};

/// A private tmpfs of `size`, which needs root.
fn small_tmpfs(size: &str) -> Tmpfs {
    common::require_root("it mounts a tmpfs");
    let m = Tmpfs::mount(tempfile::tempdir().unwrap(), size);
    if let Err(e) = &m.mounted {
        panic!("mounting a tmpfs failed: {e}");
    }
    m
}

// These two keep the memory in the namespace's file system (`data_in_namespace`), as every
// section other users may open does: the file system's size is then the limit. By default a
// named section's memory is a memfd, limited by the system's memory (and the memory cgroup),
// not by the namespace's tmpfs.

#[test]
#[ignore = "needs root (mounts a tmpfs): cargo test -- --include-ignored as root"]
fn full_tmpfs_fails_at_creation_and_recovers() {
    let m = small_tmpfs("2m");
    let ns = Namespace::at(m.path());
    // 4 MiB cannot fit in a 2 MiB file system: refused at creation.
    let e = MappingOptions::new()
        .namespace(&ns)
        .name("big")
        .size(4 << 20)
        .data_in_namespace(true)
        .create()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommitmentLimit, "{e}");
    assert_eq!(e.win32_code(), 1455);
    assert!(
        object_files(&ns).is_empty(),
        "nothing half-created: {:?}",
        object_files(&ns)
    );
    // Fill most of it with an eagerly committed section; the next one does not fit.
    let a = MappingOptions::new()
        .namespace(&ns)
        .name("a")
        .size(1 << 20)
        .eager_commit(true)
        .data_in_namespace(true)
        .create()
        .unwrap();
    let e = MappingOptions::new()
        .namespace(&ns)
        .name("b")
        .size(1 << 20)
        .data_in_namespace(true)
        .create()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommitmentLimit, "{e}");
    assert_eq!(object_files(&ns).len(), 1);
    // Every page of the committed section is really there: writing all of it cannot fault.
    let v = a.map_view(Access::WRITE, ..).unwrap();
    v.write(0, &vec![0xAB; 1 << 20]).unwrap();
    drop(v);
    // Room returns when the first section goes; then the second fits. The kernel frees the
    // file's blocks at its last close: a child that another test of this binary is forking
    // holds copies of our descriptors until its `exec`, so wait for that (hang guard only).
    drop(a);
    assert!(object_files(&ns).is_empty());
    let since = std::time::Instant::now();
    while common::fs_avail(m.path()) < (1 << 20) + 4096 {
        assert!(
            since.elapsed() < std::time::Duration::from_secs(30),
            "the first section's blocks were not freed"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let b = MappingOptions::new()
        .namespace(&ns)
        .name("b")
        .size(1 << 20)
        .data_in_namespace(true)
        .create()
        .unwrap();
    assert!(!b.already_existed());
    drop(b);
    assert!(object_files(&ns).is_empty());
}

/// Issue 15: sections are committed lazily, so two that each fit can together outgrow the file
/// system; fmap's own copies then fail with `ERROR_COMMITMENT_LIMIT` instead of a `SIGBUS`, and
/// what was written stays.
#[test]
#[ignore = "needs root (mounts a tmpfs): cargo test -- --include-ignored as root"]
fn lazily_committed_sections_that_outgrow_the_tmpfs_fail_in_the_copy_not_with_sigbus() {
    let m = small_tmpfs("4m");
    let ns = Namespace::at(m.path());
    let mk = |name: &str| {
        MappingOptions::new()
            .namespace(&ns)
            .name(name)
            .size(3 << 20)
            .data_in_namespace(true)
            .create()
            .unwrap()
    };
    // Each fits on its own (nothing is allocated at creation), so both are created.
    let a = mk("a");
    let b = mk("b");
    let va = a.map_view(Access::WRITE, ..).unwrap();
    let vb = b.map_view(Access::WRITE, ..).unwrap();
    va.write(0, &vec![0xAA; 3 << 20]).unwrap();
    // About 1 MiB is left: writing all of b cannot succeed, and must not raise SIGBUS.
    let e = vb.write(0, &vec![0xBB; 3 << 20]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommitmentLimit, "{e}");
    assert_eq!(e.win32_code(), 1455);
    // A small write into what is left works; a read of pages never touched works too (zeros
    // come from the file system's zero page) or fails cleanly — never SIGBUS.
    vb.write(0, b"small").unwrap();
    let mut buf = [0u8; 5];
    vb.read(0, &mut buf).unwrap();
    assert_eq!(&buf, b"small");
    let mut far = [1u8; 8];
    match vb.read((3 << 20) - 8, &mut far) {
        Ok(()) => assert_eq!(far, [0; 8]),
        Err(e) => assert_eq!(e.kind(), ErrorKind::CommitmentLimit, "{e}"),
    }
    // a's data is intact, and freeing it makes room for b.
    let mut check = vec![0u8; 3 << 20];
    va.read(0, &mut check).unwrap();
    assert!(check.iter().all(|&x| x == 0xAA));
    drop(va);
    drop(a);
    vb.write(0, &vec![0xBB; 3 << 20]).unwrap();
}

#[test]
fn unnamed_section_larger_than_memory_is_refused_quickly() {
    // An unnamed section lives in a memfd, which has no size limit of its own: the commit check
    // must refuse it before allocating anything.
    let e = MappingOptions::new().size(1 << 50).create().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CommitmentLimit, "{e}");
}

// ------------------------------------------------------------------------------------------
// Descriptor and address-space limits, in a child process (this binary run again with
// `child_entry --exact`), because a resource limit applies to the whole process.
// ------------------------------------------------------------------------------------------

const CHILD_ENV: &str = "FMAP_EXHAUST_CHILD";

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run_role);
}

/// The roles check with assertions: a failed one panics.
fn run_role(role: &str) -> Result<(), String> {
    match role {
        "nofile" => nofile(),
        "nofile-open" => nofile_open(),
        "as" => address_space(),
        r => panic!("unknown role {r}"),
    }
    Ok(())
}

fn run_child(role: &str) {
    let root = shm_tempdir("fmap-exhaust-");
    run_child_in(role, &root);
    // Nothing is left behind by the child either.
    let ns = Namespace::at(root.path());
    ns.sweep().unwrap();
    assert!(object_files(&ns).is_empty(), "{:?}", object_files(&ns));
}

fn run_child_in(role: &str, root: &tempfile::TempDir) {
    let out = child_command(CHILD_ENV, role)
        .env("FMAP_EXHAUST_ROOT", root.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{role}: {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sets the soft limit (the hard limit stays, so the soft one can be raised again).
fn set_limit(res: libc::__rlimit_resource_t, v: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid, exclusively borrowed struct.
    unsafe {
        assert_eq!(libc::getrlimit(res, &mut lim), 0);
        lim.rlim_cur = v.min(lim.rlim_max);
        assert_eq!(libc::setrlimit(res, &lim), 0);
    }
}

/// Opens `held` (held by the parent, 64 KiB of 0x5A) with the descriptor limit at every margin
/// from none to a few spare: each open either works (and reads the parent's data) or fails
/// with `ERROR_TOO_MANY_OPEN_FILES` — never as if the section were being closed, wherever the
/// limit hits (the object file, the pidfd, the duplicated memory descriptor, `/proc`).
fn nofile_open() {
    let root = std::env::var("FMAP_EXHAUST_ROOT").unwrap();
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit with a valid, exclusively borrowed struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let (mut worked, mut refused) = (0, 0);
    for spare in 0..8 {
        // A namespace of its own each time: nothing cached from an earlier open.
        let ns = Namespace::at(&root);
        set_limit(libc::RLIMIT_NOFILE, open_fds() + spare);
        let r = fmap::Mapping::open_in(&ns, "held", Access::READ).and_then(|m| {
            let v = m.map_view(Access::READ, ..)?;
            let mut b = vec![0u8; v.len()];
            v.read(0, &mut b)?;
            Ok(b)
        });
        set_limit(libc::RLIMIT_NOFILE, lim.rlim_cur);
        match r {
            Ok(b) => {
                assert!(b.len() == 65536 && b.iter().all(|&x| x == 0x5A));
                worked += 1;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::TooManyOpenFiles, "{spare} spare: {e}");
                refused += 1;
            }
        }
    }
    assert!(
        worked > 0 && refused > 0,
        "{worked} worked, {refused} refused"
    );
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

fn nofile() {
    let ns = Namespace::at(std::env::var("FMAP_EXHAUST_ROOT").unwrap());
    // Warm up (directory, lock file), then leave room for a few objects only.
    let first = MappingOptions::new()
        .namespace(&ns)
        .name("first")
        .size(4096)
        .create()
        .unwrap();
    drop(first);
    set_limit(libc::RLIMIT_NOFILE, open_fds() + 8);
    let mut held = Vec::new();
    let err = loop {
        match MappingOptions::new()
            .namespace(&ns)
            .name(&format!("m{}", held.len()))
            .size(4096)
            .create()
        {
            Ok(m) => held.push(m),
            Err(e) => break e,
        }
        assert!(held.len() < 100, "the descriptor limit never hit");
    };
    assert_eq!(err.kind(), ErrorKind::TooManyOpenFiles, "{err}");
    assert_eq!(err.win32_code(), 4, "ERROR_TOO_MANY_OPEN_FILES");
    // Synchronization objects hit the same limit with the same error.
    let e = fmap::Event::create_in(&ns, Some("evt"), false, false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooManyOpenFiles, "{e}");
    // Recovery: closing one handle frees its descriptor (which listing the directory needs).
    held.pop();
    // Nothing half-created: exactly the objects still held exist.
    assert_eq!(object_files(&ns).len(), held.len());
    let again = MappingOptions::new()
        .namespace(&ns)
        .name("again")
        .size(4096)
        .create()
        .unwrap();
    assert!(!again.already_existed());
    drop(again);
    drop(held);
    assert!(object_files(&ns).is_empty(), "{:?}", object_files(&ns));
}

fn vm_size() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmSize:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

fn address_space() {
    let ns = Namespace::at(std::env::var("FMAP_EXHAUST_ROOT").unwrap());
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("big")
        .size(512 << 20)
        .sec_flags(fmap::win32::SEC_RESERVE)
        .create()
        .unwrap();
    let small = m.map_view(Access::WRITE, ..1 << 20).unwrap();
    set_limit(libc::RLIMIT_AS, vm_size() + (64 << 20));
    let before = vm_size();
    let e = m.map_view(Access::WRITE, ..).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotEnoughMemory, "{e}");
    assert_eq!(e.win32_code(), 8, "ERROR_NOT_ENOUGH_MEMORY");
    // Nothing half-mapped (no reservation left behind), and smaller views still fit.
    assert_eq!(vm_size(), before);
    let v = m.map_view(Access::WRITE, ..16 << 20).unwrap();
    v.write(0, b"ok").unwrap();
    drop(v);
    // Recovery when room returns.
    set_limit(libc::RLIMIT_AS, libc::RLIM_INFINITY);
    let whole = m.map_view(Access::READ, ..).unwrap();
    assert_eq!(whole.len(), 512 << 20);
    drop((whole, small, m));
    assert!(object_files(&ns).is_empty());
}

#[test]
fn descriptor_limit_fails_at_the_call_and_recovers() {
    run_child("nofile");
}

/// Issue 18: opening a section another process holds reaches its memory through that
/// process (a pidfd and `pidfd_getfd`, or `/proc`): running out of descriptors on the way is
/// `ERROR_TOO_MANY_OPEN_FILES`, not "being closed".
#[test]
fn descriptor_limit_while_opening_a_held_section_is_too_many_open_files() {
    let root = shm_tempdir("fmap-exhaust-");
    let ns = Namespace::at(root.path());
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("held")
        .size(65536)
        .create()
        .unwrap();
    m.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, &[0x5A; 65536])
        .unwrap();
    run_child_in("nofile-open", &root);
    drop(m);
}

#[test]
fn address_space_limit_fails_at_the_call_and_recovers() {
    run_child("as");
}
