//! The holder table of a section whose memory is a companion memfd (see
//! `fmap::store::holders`), attacked by peers of the *same* user, who can write the object
//! file: records forged to lead an opener to something else than the companion, and every
//! slot taken. Real processes; hang guards, no timing assertions.
//!
//! The forged records are checked in both ways a same-user opener reaches a holder's
//! descriptor: `pidfd_getfd` (this test process, the parent of the holders, which may always
//! use it) and `/proc/<pid>/fd/<fd>` (a child opener with `FMAP_PIDFD=0`).

#[macro_use]
mod common;

use common::{bounded_for, env, namespace_with_prefix, object_file, Ctx, Proc, GUARD_D, R};
use fmap::{Access, ErrorKind, Mapping, MappingOptions, Namespace};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const CHILD_ENV: &str = "FMAP_SLOTS_CHILD";
/// The size of the sections (and of the decoys).
const SIZE: usize = 64 * 1024;
/// The holder table: 1024 records of 8 bytes from offset 1024; slot `i`'s lock byte is
/// `LOCK_BASE + i`.
const TABLE_OFF: u64 = 1024;
const SLOTS: u64 = 1024;
const LOCK_BASE: u64 = 1 << 40;

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run_role);
}

fn run_role(role: &str) -> R {
    match role {
        // Creates `Local\x`, fills it with 0x5A and keeps it; on "check", maps a new view and
        // opens the name again, and checks the data; ends at end of input.
        "holder" => {
            let m = MappingOptions::new()
                .name("Local\\x")
                .size(SIZE as u64)
                .create()
                .ctx("create")?;
            let v = m.map_view(Access::WRITE, ..).ctx("map")?;
            v.write(0, &[0x5A; SIZE]).ctx("write")?;
            common::report("READY");
            loop {
                match common::read_stdin_line().as_str() {
                    "" => return Ok(()),
                    "check" => {
                        let v2 = m.map_view(Access::READ, ..).ctx("map again")?;
                        let again = Mapping::open("Local\\x", Access::READ).ctx("reopen")?;
                        let v3 = again.map_view(Access::READ, ..).ctx("map reopened")?;
                        for view in [&v, &v2, &v3] {
                            let mut b = vec![0u8; SIZE];
                            view.read(0, &mut b).ctx("read")?;
                            check!(b.iter().all(|&x| x == 0x5A), "the holder's data changed");
                        }
                        v.write(0, &[0x5A; 16]).ctx("write again")?;
                        common::report("CHECKED");
                    }
                    other => return Err(format!("unknown order {other:?}")),
                }
            }
        }
        // Holds what forged records point at, and reports their descriptor numbers:
        // `FDS <fifo rw> <fifo ro> <memfd of Local\other> <unlinked file>`.
        "decoys" => {
            let tmp = PathBuf::from(common::var("FMAP_TMP"));
            let mk = |p: &Path| {
                let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
                // SAFETY: `c` is a NUL-terminated path.
                let r = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
                if r == 0 {
                    Ok(())
                } else {
                    Err(format!("mkfifo: {}", std::io::Error::last_os_error()))
                }
            };
            mk(&tmp.join("fifo-rw"))?;
            mk(&tmp.join("fifo-ro"))?;
            let fifo_rw = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(tmp.join("fifo-rw"))
                .map_err(|e| format!("fifo rw: {e}"))?;
            // Read-only with no writer: a blocking open of it for reading would wait forever.
            let fifo_ro = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(tmp.join("fifo-ro"))
                .map_err(|e| format!("fifo ro: {e}"))?;
            let other = MappingOptions::new()
                .name("Local\\other")
                .size(SIZE as u64)
                .create()
                .ctx("create other")?;
            let v = other.map_view(Access::WRITE, ..).ctx("map other")?;
            v.write(0, &[0x11; SIZE]).ctx("write other")?;
            let memfd = std::fs::read_dir("/proc/self/fd")
                .map_err(|e| e.to_string())?
                .flatten()
                .find(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|l| l.to_string_lossy().starts_with("/memfd:fmap:"))
                })
                .ok_or("no companion memfd among the decoy's descriptors")?
                .file_name()
                .into_string()
                .unwrap();
            let file_path = tmp.join("unlinked");
            std::fs::write(&file_path, vec![0x22u8; SIZE]).map_err(|e| e.to_string())?;
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&file_path)
                .map_err(|e| e.to_string())?;
            std::fs::remove_file(&file_path).map_err(|e| e.to_string())?;
            common::report(&format!(
                "FDS {} {} {} {}",
                fifo_rw.as_raw_fd(),
                fifo_ro.as_raw_fd(),
                memfd,
                file.as_raw_fd()
            ));
            common::ready_and_wait();
            drop((fifo_rw, fifo_ro, v, other, file));
            Ok(())
        }
        // Opens `Local\x` on each "open" (see `attempt`) and reports `RESULT <outcome>`.
        "opener" => {
            common::report("READY");
            loop {
                match common::read_stdin_line().as_str() {
                    "" => return Ok(()),
                    "open" => {
                        let root = PathBuf::from(common::var("FMAP_ROOT"));
                        let r = bounded_for(GUARD_D, "an open of Local\\x", move || attempt(&root));
                        common::report(&format!("RESULT {r}"));
                    }
                    other => return Err(format!("unknown order {other:?}")),
                }
            }
        }
        // Takes OFD write locks on every free holder slot byte of the object file FMAP_OBJ
        // and holds them until end of input.
        "slot-locker" => {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(common::var("FMAP_OBJ"))
                .map_err(|e| format!("open the object file: {e}"))?;
            let (mut taken, mut busy) = (0, 0);
            for i in 0..SLOTS {
                // SAFETY: all-zero is a valid `flock`; the fields are set below.
                let mut fl: libc::flock = unsafe { std::mem::zeroed() };
                fl.l_type = libc::F_WRLCK as libc::c_short;
                fl.l_whence = libc::SEEK_SET as libc::c_short;
                fl.l_start = (LOCK_BASE + i) as libc::off_t;
                fl.l_len = 1;
                // SAFETY: `f` is a live descriptor and `fl` a valid `flock`.
                if unsafe { libc::fcntl(f.as_raw_fd(), libc::F_OFD_SETLK, &fl) } == 0 {
                    taken += 1;
                } else {
                    let e = std::io::Error::last_os_error();
                    check!(
                        matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EACCES)),
                        "F_OFD_SETLK on slot {i}: {e}"
                    );
                    busy += 1;
                }
            }
            common::report(&format!("LOCKED {taken} {busy}"));
            common::ready_and_wait();
            drop(f);
            Ok(())
        }
        r => Err(format!("unknown role {r}")),
    }
}

/// Opens `Local\x` in the namespace at `root` for reading: `opened` if it did and every byte
/// of it is 0x5A, `refused <kind>: <message>` if the open failed, `WRONG …` if it mapped
/// anything else.
fn attempt(root: &Path) -> String {
    // A namespace of its own each time: nothing cached from an earlier attempt.
    let ns = Namespace::at(root);
    match Mapping::open_in(&ns, "Local\\x", Access::READ) {
        Err(e) => format!("refused {:?}: {e}", e.kind()),
        Ok(m) => {
            let v = match m.map_view(Access::READ, ..) {
                Ok(v) => v,
                Err(e) => return format!("WRONG: opened, but cannot map it: {e}"),
            };
            let mut b = vec![0u8; v.len()];
            if let Err(e) = v.read(0, &mut b) {
                return format!("WRONG: opened, but cannot read it: {e}");
            }
            match b.iter().position(|&x| x != 0x5A) {
                None if b.len() == SIZE => "opened".to_owned(),
                None => format!("WRONG: opened, but its view has {} bytes", b.len()),
                Some(at) => format!(
                    "WRONG: opened, but byte {at} is {:#04x} (of {} bytes)",
                    b[at],
                    b.len()
                ),
            }
        }
    }
}

/// The offset of the holder record of `pid` in the object file `f`.
fn record_of(f: &std::fs::File, pid: u32) -> u64 {
    let mut table = vec![0u8; (SLOTS * 8) as usize];
    let mut n = 0;
    while n < table.len() {
        match f.read_at(&mut table[n..], TABLE_OFF + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => panic!("reading the holder table: {e}"),
        }
    }
    let found: Vec<u64> = table[..n]
        .chunks_exact(8)
        .enumerate()
        .filter(|(_, r)| u32::from_le_bytes(r[..4].try_into().unwrap()) == pid)
        .map(|(i, _)| TABLE_OFF + 8 * i as u64)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "the holder {pid} should have exactly one record: {found:?}"
    );
    found[0]
}

fn record(pid: u32, fd: u32) -> [u8; 8] {
    let mut rec = [0u8; 8];
    rec[..4].copy_from_slice(&pid.to_le_bytes());
    rec[4..].copy_from_slice(&fd.to_le_bytes());
    rec
}

/// The pid of a process that has ended and been reaped.
fn gone_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

/// A process of the same user rewrites the holder's record to point at a FIFO (held for
/// reading and writing, or for reading only with no writer), at the memfd of another section
/// of the same size, at an unlinked regular file of the same size, and at a pid that does not
/// exist. An opener — through `pidfd_getfd` (this process) and through `/proc/<pid>/fd` (a
/// child with `FMAP_PIDFD=0`) — gets an error within its bound, never a hang and never the
/// other memory; once the record is put back, both open it and read the holder's data.
#[test]
fn same_user_forged_slots_never_redirect_an_open() {
    let (dir, ns) = namespace_with_prefix("fmap-slots-");
    let tmp = common::shm_tempdir("fmap-slots-decoys-");
    let mut holder = Proc::spawn(CHILD_ENV, dir.path(), "holder", &[]);
    holder.expect("FMAP:READY");
    let mut decoys = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "decoys",
        &env(&[("FMAP_TMP", &tmp.path().display())]),
    );
    let fds: Vec<u32> = decoys
        .expect("FMAP:FDS")
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    decoys.expect("FMAP:READY");
    let mut opener = Proc::spawn(CHILD_ENV, dir.path(), "opener", &env(&[("FMAP_PIDFD", &0)]));
    opener.expect("FMAP:READY");
    if std::env::var("FMAP_PIDFD").is_ok_and(|v| v.trim() == "0") {
        eprintln!("note: FMAP_PIDFD=0 is set: this process takes the /proc way too");
    }

    let obj = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(object_file(&ns, "Local\\x"))
        .unwrap();
    let at = record_of(&obj, holder.pid());
    let mut orig = [0u8; 8];
    obj.read_exact_at(&mut orig, at).unwrap();
    let holder_fd = u32::from_le_bytes(orig[4..].try_into().unwrap());
    let root = dir.path().to_path_buf();
    let open_here = |root: &PathBuf| {
        let root = root.clone();
        bounded_for(GUARD_D, "an open of Local\\x", move || attempt(&root))
    };

    let set_mode = |mode: u32| {
        std::fs::set_permissions(
            object_file(&ns, "Local\\x"),
            std::os::unix::fs::PermissionsExt::from_mode(mode),
        )
        .unwrap()
    };
    // The object file's mode during each case. 0o400: an opener that is not root cannot open
    // the object file for writing, and then opens what a slot names for reading only — the
    // open that would wait for a writer of the FIFO, were it not non-blocking. (Root opens
    // the object file for writing anyway; and no opener that is not root can take a holder
    // slot of such a file, so the cases that need the open to go on are tried at 0o600.)
    let cases = [
        (
            "a FIFO held for reading and writing",
            decoys.pid(),
            fds[0],
            0o600,
        ),
        (
            "a FIFO held for reading, with no writer",
            decoys.pid(),
            fds[1],
            0o600,
        ),
        (
            "a FIFO held for reading, with no writer",
            decoys.pid(),
            fds[1],
            0o400,
        ),
        (
            "the memfd of another section (0x11)",
            decoys.pid(),
            fds[2],
            0o600,
        ),
        (
            "an unlinked regular file (0x22)",
            decoys.pid(),
            fds[3],
            0o600,
        ),
        ("a pid that does not exist", gone_pid(), holder_fd, 0o600),
    ];
    // Every case is tried (and the record put back) before a failure is reported.
    let mut bad = Vec::new();
    for (what, pid, fd, mode) in cases {
        set_mode(mode);
        obj.write_all_at(&record(pid, fd), at).unwrap();
        let here = open_here(&root);
        opener.send("open");
        let there = opener.expect("FMAP:RESULT");
        println!("{what} (mode {mode:o}): pidfd way: {here}; /proc way: {there}");
        for (way, r) in [("pidfd_getfd", &here), ("/proc/<pid>/fd", &there)] {
            if r != "opened" && !r.starts_with("refused") {
                bad.push(format!(
                    "record pointing at {what} ({pid}, {fd}), mode {mode:o}, the {way} way: {r}"
                ));
            }
        }
    }

    // The true record again: both ways open it.
    set_mode(0o600);
    obj.write_all_at(&orig, at).unwrap();
    assert!(
        bad.is_empty(),
        "forged records redirected opens:\n{}",
        bad.join("\n")
    );
    let here = open_here(&root);
    assert_eq!(here, "opened", "the pidfd way, with the true record");
    opener.send("open");
    let there = opener.expect("FMAP:RESULT");
    assert_eq!(there, "opened", "the /proc way, with the true record");

    opener.close_stdin();
    opener.wait_success();
    decoys.close_stdin();
    decoys.wait_success();
    holder.close_stdin();
    holder.wait_success();
}

/// The companion identity the creator records in the header (device and inode at offsets 40
/// and 48), overwritten by a peer of the same user: with garbage, the true slot no longer
/// matches it and an open fails within its bound (never maps anything else, never hangs); with
/// an inode of 0 (as objects made before it was recorded have) the opener checks the
/// companion by its name instead and opens it. Put back, both ways open it again.
#[test]
fn garbage_in_the_recorded_companion_identity_is_an_error_not_a_redirect() {
    let (dir, ns) = namespace_with_prefix("fmap-slots-");
    let mut holder = Proc::spawn(CHILD_ENV, dir.path(), "holder", &[]);
    holder.expect("FMAP:READY");
    let mut opener = Proc::spawn(CHILD_ENV, dir.path(), "opener", &env(&[("FMAP_PIDFD", &0)]));
    opener.expect("FMAP:READY");
    let obj = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(object_file(&ns, "Local\\x"))
        .unwrap();
    let mut orig = [0u8; 16];
    obj.read_exact_at(&mut orig, 40).unwrap();
    assert_ne!(
        orig, [0u8; 16],
        "the creator recorded no companion identity"
    );
    let root = dir.path().to_path_buf();
    let both = |opener: &mut Proc| {
        let r = root.clone();
        let here = bounded_for(GUARD_D, "an open of Local\\x", move || attempt(&r));
        opener.send("open");
        (here, opener.expect("FMAP:RESULT"))
    };
    let mut forged = [0u8; 16];
    forged[..8].copy_from_slice(&orig[..8]);
    forged[8..].copy_from_slice(&0xDEAD_BEEF_u64.to_le_bytes());
    for (what, bytes) in [
        ("garbage", [0xA5u8; 16]),
        ("the right device, another inode", forged),
    ] {
        obj.write_all_at(&bytes, 40).unwrap();
        let (here, there) = both(&mut opener);
        for (way, r) in [("pidfd_getfd", &here), ("/proc/<pid>/fd", &there)] {
            assert!(r.starts_with("refused"), "{what}, the {way} way: {r}");
        }
    }
    // An inode of 0: the name check of objects without a recorded identity.
    let mut unrecorded = orig;
    unrecorded[8..].fill(0);
    obj.write_all_at(&unrecorded, 40).unwrap();
    assert_eq!(
        both(&mut opener),
        ("opened".to_owned(), "opened".to_owned())
    );
    obj.write_all_at(&orig, 40).unwrap();
    assert_eq!(
        both(&mut opener),
        ("opened".to_owned(), "opened".to_owned())
    );
    opener.close_stdin();
    opener.wait_success();
    holder.close_stdin();
    holder.wait_success();
}

/// A process of the same user takes every free holder slot (OFD write locks on their bytes,
/// as fmap's holders do): a new opener gets `ERROR_NOT_ENOUGH_MEMORY` (bounded), the holder
/// goes on working, and once the locker is gone the open succeeds.
#[test]
fn a_peer_holding_every_slot_gets_a_clear_error_not_a_hang() {
    let (dir, ns) = namespace_with_prefix("fmap-slots-");
    let mut holder = Proc::spawn(CHILD_ENV, dir.path(), "holder", &[]);
    holder.expect("FMAP:READY");
    let obj = object_file(&ns, "Local\\x");
    let mut locker = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "slot-locker",
        &env(&[("FMAP_OBJ", &obj.display())]),
    );
    let counts: Vec<u64> = locker
        .expect("FMAP:LOCKED")
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    locker.expect("FMAP:READY");
    assert_eq!(
        counts,
        [SLOTS - 1, 1],
        "the locker takes every slot but the holder's"
    );

    let root = dir.path().to_path_buf();
    let r = bounded_for(GUARD_D, "an open with every slot taken", move || {
        Mapping::open_in(&Namespace::at(&root), "Local\\x", Access::READ).map(|_| ())
    });
    println!("open with every slot taken: {r:?}");
    common::expect_err(
        r,
        ErrorKind::NotEnoughMemory,
        fmap::win32::ERROR_NOT_ENOUGH_MEMORY,
    );
    // Creating the name opens the existing section: the same error.
    let root = dir.path().to_path_buf();
    let r = bounded_for(GUARD_D, "a create with every slot taken", move || {
        MappingOptions::new()
            .namespace(&Namespace::at(&root))
            .name("Local\\x")
            .size(SIZE as u64)
            .create()
            .map(|_| ())
    });
    common::expect_err(
        r,
        ErrorKind::NotEnoughMemory,
        fmap::win32::ERROR_NOT_ENOUGH_MEMORY,
    );

    holder.send("check");
    holder.expect("FMAP:CHECKED");

    locker.close_stdin();
    locker.wait_success();
    let root = dir.path().to_path_buf();
    let r = bounded_for(GUARD_D, "an open after the locker left", move || {
        attempt(&root)
    });
    assert_eq!(r, "opened", "once the locker is gone");
    holder.send("check");
    holder.expect("FMAP:CHECKED");
    holder.close_stdin();
    holder.wait_success();
}
