//! Attacks and hazards found by an outside adversarial suite (issue 11), each reproduced here:
//! races of ordinary usage that crashed or wedged processes, locks another process holds
//! forever, and exhaustion of inodes and descriptors. Every test failed on the code before its
//! fix. Multi-user attacks are in `tests/permissions.rs`; garbage written by peers in
//! `tests/hostile_peer.rs`.

#[macro_use]
mod common;

use common::{
    bounded_for, namespace_with_prefix, object_file, object_files, Ctx, Proc, Tmpfs, GUARD_D, R,
};
use fmap::{ErrorKind, Mapping, MappingOptions, Mutex, Name, Namespace, Scope, WaitResult};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FMAP_ATTACKS_CHILD";

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run);
}

fn run(role: &str) -> R {
    // Hang guard: no child outlives a stuck parent by long.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        std::process::exit(4);
    });
    match role {
        "owned-create-loop" => owned_create_loop(),
        "create-global" => {
            let m = Mapping::create(&common::var("NAME"), 4096).ctx("CreateFileMapping")?;
            common::report("DONE");
            drop(m);
            Ok(())
        }
        "file-open" => {
            let p = common::var("FILE");
            let (f, _) = fmap::File::open(
                &p,
                fmap::win32::GENERIC_READ,
                fmap::win32::FILE_SHARE_READ,
                fmap::Disposition::OpenExisting,
            )
            .ctx("CreateFile")?;
            drop(f);
            common::report("DONE");
            Ok(())
        }
        "lease-on-lock" => {
            // Replaces the `.lock` of `Global\` (a world-writable directory lets anyone) with
            // a file that has a read lease: every open for writing waits for the lease to break.
            let g = std::path::PathBuf::from(common::var("GDIR"));
            let _ = std::fs::remove_file(g.join(".lock"));
            let f = std::fs::OpenOptions::new()
                .read(true)
                .create_new(true)
                .write(false)
                .open(g.join(".lock"));
            let f = match f {
                Ok(f) => f,
                // `create_new` needs write access in std; create it, then reopen read-only.
                Err(_) => {
                    std::fs::write(g.join(".lock"), b"").map_err(|e| e.to_string())?;
                    std::fs::File::open(g.join(".lock")).map_err(|e| e.to_string())?
                }
            };
            // SAFETY: ignoring SIGIO (the lease-break signal) and taking a lease on our file.
            unsafe { libc::signal(libc::SIGIO, libc::SIG_IGN) };
            // SAFETY: a live descriptor.
            let r = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_SETLEASE, libc::F_RDLCK) };
            check!(r == 0, "F_SETLEASE: {}", std::io::Error::last_os_error());
            common::report("READY");
            common::read_stdin_line();
            drop(f);
            Ok(())
        }
        "close-with-full-fd-table" => {
            // The first and last handle of this process to a name …
            let m = Mapping::create("Local\\fdfull", 4096).ctx("CreateFileMapping")?;
            // … is closed with the descriptor table full.
            let mut spare = Vec::new();
            loop {
                // SAFETY: dup of a descriptor we own; the copies are closed below.
                let fd = unsafe { libc::dup(0) };
                if fd < 0 {
                    break;
                }
                spare.push(fd);
            }
            check!(!spare.is_empty(), "no descriptor could be opened at all");
            drop(m);
            for fd in spare {
                // SAFETY: closing the copies made above.
                unsafe { libc::close(fd) };
            }
            common::report("DONE");
            Ok(())
        }
        other => Err(format!("unknown role {other}")),
    }
}

/// `CreateMutex(name, bInitialOwner = TRUE)`, release, close, in a loop: the creator must own
/// what it created, an opener must be able to take it (never a mutex stuck with no owner), and
/// nothing may crash.
fn owned_create_loop() -> R {
    let ns = Namespace::default();
    let secs: f64 = common::var("SECS").parse().unwrap_or(3.0);
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let (mut created, mut opened) = (0u64, 0u64);
    while Instant::now() < until {
        let m = Mutex::create_in(&ns, Some("race"), true).ctx("CreateMutex")?;
        if m.already_existed() {
            opened += 1;
            // Not initially owned: wait for it like any opener. A mutex left stuck by a
            // crashed or confused creator would time out here.
            match fmap::wait_one(&m, Some(GUARD_D)).ctx("wait")? {
                WaitResult::Signaled(_) => {}
                WaitResult::Abandoned(_) => {
                    return Err("a mutex nobody died holding was reported abandoned".into())
                }
                WaitResult::TimedOut => {
                    return Err(format!("the mutex stayed unavailable for {GUARD_D:?}"))
                }
            }
        } else {
            created += 1;
            check!(
                m.is_owned_by_current_thread().ctx("owned?")?,
                "the creator of an initially owned mutex does not own it"
            );
        }
        m.release().ctx("ReleaseMutex")?;
        drop(m);
    }
    common::report(&format!("DONE {created} {opened}"));
    Ok(())
}

/// Issue 11, item 2: four processes racing `CreateMutex(name, TRUE)` / release / close. Before
/// the fix the creator locked the mutex inside an unpublished page that a lost publish race
/// then unmapped while the lock was on the thread's robust list: processes died of `SIGSEGV`
/// in `pthread_mutex_unlock`, and the mutex was left stuck.
#[test]
fn create_mutex_initially_owned_race() {
    let (dir, _ns) = namespace_with_prefix("fmap-attack-owned-");
    let secs = std::env::var("FMAP_RACE_SECS").unwrap_or_else(|_| "4".into());
    let mut procs: Vec<Proc> = (0..4)
        .map(|_| {
            Proc::spawn(
                CHILD_ENV,
                dir.path(),
                "owned-create-loop",
                &[("SECS", secs.clone())],
            )
        })
        .collect();
    let mut total = (0u64, 0u64);
    for p in &mut procs {
        let done = p.expect("FMAP:DONE");
        let mut it = done.split_whitespace().map(|s| s.parse::<u64>().unwrap());
        total.0 += it.next().unwrap();
        total.1 += it.next().unwrap();
        p.wait_success();
    }
    eprintln!(
        "create_mutex_initially_owned_race: {} creations, {} opens",
        total.0, total.1
    );
    assert!(total.0 > 0 && total.1 > 0, "the processes did not race");
    // Nothing is left behind.
    let ns = Namespace::at(dir.path());
    assert_eq!(ns.find("race").unwrap_err().kind(), ErrorKind::FileNotFound);
}

/// The bucket (byte of `.lock`) of an object file name, as the library computes it.
fn bucket_of(file_name: &str) -> u64 {
    u64::from_str_radix(&file_name[..4], 16).unwrap() % 4096
}

/// A name of `scope` whose file falls into bucket `b`.
fn name_in_bucket(prefix: &str, b: u64) -> String {
    (0..)
        .map(|i| format!("{prefix}n{i}"))
        .find(|n| bucket_of(&Name::parse(n).unwrap().file_name()) == b)
        .unwrap()
}

/// Another process's hold on byte `b` of a namespace directory's `.lock` (an OFD write lock
/// through a description of our own, as a stopped process or another user would hold it).
fn hold_bucket(dir: &std::path::Path, b: u64) -> std::fs::File {
    write_lock(&dir.join(".lock"), b)
}

fn write_lock(path: &std::path::Path, b: u64) -> std::fs::File {
    common::ofd_write_lock(path, b)
        .unwrap_or_else(|e| panic!("cannot lock byte {b} of {}: {e}", path.display()))
}

/// Runs `f` on another thread; panics if it has not returned within the hang guard.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    bounded_for(GUARD_D, what, f)
}

/// Issue 11, item 3: a planted unheld file plus a lock held on its bucket's byte of `.lock`
/// (which is `0666` in `Global\`) hung every process's first call in the namespace (the
/// first-use sweep waited for that bucket) and `fmap gc`. Sweeping now never waits: a fresh
/// process creates an unrelated name at once, and a sweep reports the bucket as busy. Names of
/// the held bucket wait at most `BUCKET_LOCK_BOUND` and then fail with `ERROR_TIMEOUT`.
#[test]
fn held_bucket_lock_delays_only_its_own_bucket() {
    let (dir, ns) = namespace_with_prefix("fmap-attack-bucket-");
    let gdir = common::create_global_dir(&ns);
    let planted = "0".repeat(32);
    std::fs::write(gdir.join(&planted), b"not an object; nobody holds it").unwrap();
    let _held = hold_bucket(&gdir, bucket_of(&planted));
    let unrelated = name_in_bucket("Global\\", 7);
    let mut child = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "create-global",
        &[("NAME", unrelated)],
    );
    child.expect("FMAP:DONE");
    child.wait_success();
    // An explicit sweep (fmap gc) returns too, and says what it skipped.
    let root = dir.path().to_owned();
    let report = bounded("sweep", move || Namespace::at(root).sweep().unwrap());
    assert_eq!(report.busy, vec![planted.clone()], "{report:?}");
    assert!(gdir.join(&planted).exists());
    // A name in the held bucket that needs the lock (its stale file must be removed) waits
    // for the bound, then fails with ERROR_TIMEOUT instead of hanging.
    let same = name_in_bucket("Global\\", bucket_of(&planted));
    let same_file = object_file(&ns, &same);
    std::fs::write(&same_file, b"stale").unwrap();
    let ns2 = Namespace::at(dir.path());
    let e = bounded("create in the held bucket", move || {
        MappingOptions::new()
            .namespace(&ns2)
            .name(&same)
            .size(4096)
            .create()
    })
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.win32_code(), fmap::win32::ERROR_TIMEOUT);
    // Once the lock is let go, everything is swept and works.
    drop(_held);
    let report = Namespace::at(dir.path()).sweep().unwrap();
    assert!(
        report.busy.is_empty() && report.failed.is_empty(),
        "{report:?}"
    );
    assert!(!gdir.join(&planted).exists());
}

/// Issue 11, item 9: the first and last close of a name in a process, with the descriptor
/// table full, left the object file behind (the close opened the `.lock` file then). The lock
/// file is now opened with the directory, so a close needs no new descriptor.
#[test]
fn close_with_a_full_descriptor_table_removes_the_name() {
    let (dir, ns) = namespace_with_prefix("fmap-attack-fdfull-");
    let mut child = Proc::spawn(CHILD_ENV, dir.path(), "close-with-full-fd-table", &[]);
    child.expect("FMAP:DONE");
    child.wait_success();
    assert_eq!(object_files(&ns), Vec::<String>::new());
}

/// Issue 11, item 7: a tmpfs out of inodes before the namespace's `.lock` existed left every
/// name behind after its holders closed it, and `fmap gc` said every object had a live holder.
/// Now a name is never created without a lock file, so closes always remove their names.
#[test]
#[ignore = "needs root (mounts a tmpfs): cargo test -- --include-ignored as root"]
fn inode_exhaustion_never_strands_names() {
    common::require_root("it mounts a tmpfs");
    let t = Tmpfs::mount(tempfile::tempdir().unwrap(), "4M,nr_inodes=40");
    if let Err(e) = &t.mounted {
        panic!("mounting a tmpfs failed: {e}");
    }
    let ns = Namespace::at(t.dir.path());
    let mut held = Vec::new();
    let err = loop {
        match MappingOptions::new()
            .namespace(&ns)
            .name(&format!("n{}", held.len()))
            .size(4096)
            .create()
        {
            Ok(m) => held.push(m),
            Err(e) => break e,
        }
        assert!(held.len() < 100, "inodes never ran out");
    };
    assert_eq!(err.kind(), ErrorKind::DiskFull, "{err}");
    assert!(held.len() > 10, "only {} names fitted", held.len());
    let n = held.len();
    drop(held);
    assert_eq!(
        object_files(&ns),
        Vec::<String>::new(),
        "names left behind after all {n} were closed"
    );
    // And the namespace is usable again.
    let again = MappingOptions::new()
        .namespace(&ns)
        .name("again")
        .size(4096)
        .create()
        .unwrap();
    assert!(!again.already_existed());
    let report = ns.sweep().unwrap();
    assert_eq!(report.alive, 1, "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
}

/// A peer with write access write-locks the holder byte of an unheld object file (fmap's
/// holders only ever take read locks there). Opening the name waited for that lock forever,
/// holding the name's bucket lock; now it is an error at once.
#[test]
fn foreign_write_lock_on_an_object_is_an_error_not_a_hang() {
    let (_dir, ns) = namespace_with_prefix("fmap-attack-wlock-");
    let file = common::stale_object_file(&ns, "w");
    let _lock = write_lock(&file, 0);
    let ns2 = ns.clone();
    let r = bounded("open of a write-locked object", move || {
        Mapping::open_in(&ns2, "w", fmap::Access::READ).map(|_| ())
    });
    assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidData);
}

/// Review finding: `.lock` was opened without `O_NONBLOCK`. Another user who replaced it with a
/// file carrying a read lease (the `Global\` directory is world-writable) made every new
/// process's first call wait out the lease-break time (45 s by default). Now that open never
/// waits: the call fails at once (or uses the file) instead.
#[test]
fn lease_on_the_lock_file_does_not_stall_a_new_process() {
    let (dir, ns) = namespace_with_prefix("fmap-attack-lease-");
    let gdir = common::create_global_dir(&ns);
    let mut holder = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "lease-on-lock",
        &[("GDIR", gdir.display().to_string())],
    );
    holder.expect("FMAP:READY");
    let root = dir.path().to_owned();
    // A fresh namespace: this process's first use of the directory.
    let r = bounded_for(
        Duration::from_secs(20),
        "a create behind a leased .lock",
        move || {
            MappingOptions::new()
                .namespace(&Namespace::at(root))
                .name("Global\\y")
                .size(4096)
                .create()
                .map(|_| ())
        },
    );
    if let Err(e) = r {
        eprintln!("create behind a leased .lock: {e}");
    }
    holder.send("go");
    holder.wait_success();
}

/// Review finding: a file linked again and again under a name (another user planting garbage
/// in a loop) kept `CreateFileMapping` of that name retrying for as long as the planter went
/// on, allocating and freeing the whole section each round. The retries are now bounded.
#[test]
fn a_name_planted_in_a_loop_does_not_hold_a_create_forever() {
    let (dir, ns) = namespace_with_prefix("fmap-attack-replant-");
    common::create_global_dir(&ns);
    let target = object_file(&ns, "Global\\live");
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, vec![0u8; 4096]).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let planter = std::thread::spawn(move || {
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = std::fs::hard_link(&garbage, &target);
        }
    });
    let ns2 = ns.clone();
    let r = bounded("create of a name planted in a loop", move || {
        MappingOptions::new()
            .namespace(&ns2)
            .name("Global\\live")
            .size(64 << 20)
            .create()
            .map(|_| ())
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    planter.join().unwrap();
    if let Err(e) = r {
        assert!(
            matches!(e.kind(), ErrorKind::Timeout | ErrorKind::AccessDenied),
            "{e}"
        );
    }
}

/// Review finding: the in-process locks were shared by 64 buckets each, and a thread waiting
/// (up to the bound) for a held bucket delayed closes in unrelated buckets of the same process.
/// Each bucket now has its own.
#[test]
fn a_held_bucket_does_not_delay_other_buckets_in_the_same_process() {
    let (_dir, ns) = namespace_with_prefix("fmap-attack-shard-");
    let create = |n: &str| {
        MappingOptions::new()
            .namespace(&ns)
            .name(n)
            .size(4096)
            .create()
            .unwrap()
    };
    let held_bucket = 100;
    let a = create(&name_in_bucket("Global\\", held_bucket));
    let b = create(&name_in_bucket("Global\\", held_bucket + 64));
    let lock = hold_bucket(&ns.dir_path(Scope::Global), held_bucket);
    let (tx, rx) = std::sync::mpsc::channel();
    let tx2 = tx.clone();
    let t1 = std::thread::spawn(move || {
        drop(a); // waits for the held bucket, up to the bound
        let _ = tx.send("held");
    });
    std::thread::sleep(Duration::from_millis(100));
    let t2 = std::thread::spawn(move || {
        drop(b);
        let _ = tx2.send("other");
    });
    let first = rx.recv_timeout(GUARD_D).expect("no close finished");
    assert_eq!(
        first, "other",
        "the close in an unheld bucket waited for the held one"
    );
    drop(lock);
    t1.join().unwrap();
    t2.join().unwrap();
}

/// Review finding: planted symlinks, FIFOs and directories under object file names were each
/// opened by every process's first-use sweep and reported as failures; they are now skipped by
/// their directory-entry type, without a system call each.
#[test]
fn sweeps_skip_planted_special_files_without_touching_them() {
    let (_dir, ns) = namespace_with_prefix("fmap-attack-sweepskip-");
    let g = common::create_global_dir(&ns);
    for i in 0..3 {
        std::os::unix::fs::symlink("/nonexistent", g.join(format!("{:032x}", i + 1))).unwrap();
    }
    std::fs::create_dir(g.join(format!("{:032x}", 9))).unwrap();
    let report = ns.sweep().unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(report.removed.is_empty(), "{report:?}");
}

/// Issue 12: `File::open` serialises share-mode claims through a namespace lock; it used the
/// default namespace's `Namespace::dir`, whose first use sweeps it, so opening a file removed
/// stale objects of a namespace the program may not use at all. Now it takes the lock without
/// sweeping.
#[test]
fn opening_a_file_does_not_sweep_a_namespace() {
    let (dir, ns) = namespace_with_prefix("fmap-file-nosweep-");
    let file = common::stale_object_file(&ns, "stale");
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, b"x").unwrap();
    let mut child = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "file-open",
        &[("FILE", plain.display().to_string())],
    );
    child.expect("FMAP:DONE");
    child.wait_success();
    assert!(file.exists(), "opening a file swept the namespace");
}

/// A `.lock` replaced by something that is not a regular file (the `Global\` directory is
/// world-writable): a FIFO is refused with a clear error instead of being used as the lock
/// file, at once.
#[test]
fn lock_file_replaced_by_a_fifo_is_refused() {
    let (dir, ns) = namespace_with_prefix("fmap-attack-lockfifo-");
    let g = common::create_global_dir(&ns);
    std::fs::remove_file(g.join(".lock")).unwrap();
    let c = std::ffi::CString::new(g.join(".lock").to_str().unwrap()).unwrap();
    // SAFETY: plain mkfifo on a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    let root = dir.path().to_owned();
    // A fresh namespace: this process's first use of the directory.
    let e = bounded("a create behind a FIFO .lock", move || {
        MappingOptions::new()
            .namespace(&Namespace::at(root))
            .name("Global\\y")
            .size(4096)
            .create()
            .map(|_| ())
    })
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied, "{e}");
    assert!(e.to_string().contains("not a regular file"), "{e}");
}
