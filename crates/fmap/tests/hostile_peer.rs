//! A hostile or buggy peer with legitimate access (issue 7, requirement 4): it truncates an
//! object's file or writes garbage into a synchronization object's state. The others get
//! errors (`ERROR_INVALID_DATA`), never a `SIGBUS`, a hang or a panic in fmap's own code paths
//! (`View::read`/`write`, header reads, sync state). The peer acts on the object file directly,
//! as any process with write access to the namespace directory can; `SIGBUS` would kill this
//! test process, so reaching the assertions is itself the check.

mod common;

use common::{namespace_with_prefix, object_file, Z};
use fmap::{
    wait_all, wait_any, Access, ErrorKind, Event, Mapping, MappingOptions, Namespace, Scope,
    Semaphore,
};
use std::os::unix::fs::FileExt;
use std::time::Duration;

fn ns() -> (tempfile::TempDir, Namespace) {
    namespace_with_prefix("fmap-hostile-")
}

/// The peer's descriptor of the file of `name`.
fn peer(ns: &Namespace, name: &str) -> std::fs::File {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(object_file(ns, name))
        .unwrap()
}

/// The memory of a section that lives in a companion memfd is sealed: a peer of the same user
/// that opens it through `/proc/<pid>/fd` cannot shrink or grow it, and truncating the object
/// file does not touch it (a new opener gets `ERROR_INVALID_DATA`).
#[test]
fn companion_memory_cannot_be_truncated() {
    let (_d, ns) = ns();
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("sealed")
        .size(256 * 1024)
        .create()
        .unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    v.write(0, b"before").unwrap();
    let st = std::fs::metadata(object_file(&ns, "sealed")).unwrap();
    let want = format!(
        "/memfd:fmap:{}:{} (deleted)",
        std::os::unix::fs::MetadataExt::dev(&st),
        std::os::unix::fs::MetadataExt::ino(&st)
    );
    let memfd = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .find(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.as_os_str() == want.as_str()))
        .expect("the section's memfd among this process's descriptors")
        .path();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&memfd)
        .unwrap();
    let e = f.set_len(4096).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EPERM), "{e}");
    assert_eq!(f.metadata().unwrap().len(), 256 * 1024);
    peer(&ns, "sealed").set_len(100).unwrap();
    let mut b = [0u8; 6];
    v.read(0, &mut b).unwrap();
    assert_eq!(&b, b"before");
    v.write(255 * 1024, b"end").unwrap();
    let other = Namespace::at(ns.root());
    let e = Mapping::open_in(&other, "sealed", Access::READ).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
}

/// Sections whose memory is in the object file (`data_in_namespace`, and every section other
/// users may open): a truncation by a peer is an error in fmap's copies, never a `SIGBUS`.
#[test]
fn truncated_section_gives_errors_not_sigbus() {
    let (_d, ns) = ns();
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("sec")
        .size(256 * 1024)
        .data_in_namespace(true)
        .create()
        .unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    v.write(0, b"before").unwrap();
    // The peer cuts the file down to its header plus one page.
    peer(&ns, "sec").set_len(4096 + 4096).unwrap();
    // The first page is still there; everything past it is an error.
    v.write(0, b"still").unwrap();
    let mut b = [0u8; 5];
    v.read(0, &mut b).unwrap();
    assert_eq!(&b, b"still");
    let e = v.write(8192, b"gone").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    let e = v.read(100 * 1024, &mut b).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    let e = v.read(0, &mut vec![0u8; 256 * 1024]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    // A view mapped after the truncation: the same.
    let m2 = Mapping::open_in(&ns, "sec", Access::READ).unwrap();
    let v2 = m2.map_view(Access::READ, ..).unwrap();
    assert_eq!(
        v2.read(200 * 1024, &mut b).unwrap_err().kind(),
        ErrorKind::InvalidData
    );
    // Truncated into the header: a new opener (another process) gets ERROR_INVALID_DATA.
    peer(&ns, "sec").set_len(100).unwrap();
    assert_eq!(
        v.read(0, &mut b).unwrap_err().kind(),
        ErrorKind::InvalidData
    );
    let other = Namespace::at(ns.root());
    let e = Mapping::open_in(&other, "sec", Access::READ).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
}

#[test]
fn corrupt_header_is_an_error() {
    let (_d, ns) = ns();
    let _m = MappingOptions::new()
        .namespace(&ns)
        .name("sec")
        .size(4096)
        .create()
        .unwrap();
    let f = peer(&ns, "sec");
    // Name length out of range, then garbage magic.
    f.write_all_at(&u32::MAX.to_le_bytes(), 56).unwrap();
    let other = Namespace::at(ns.root());
    let e = Mapping::open_in(&other, "sec", Access::READ).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    f.write_all_at(b"garbage!", 0).unwrap();
    let other = Namespace::at(ns.root());
    let e = Mapping::open_in(&other, "sec", Access::READ).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    // Listing skips it instead of failing.
    let _ = ns.list(Scope::Local).unwrap();
}

/// Offsets of the state words (see `sync.rs`): A = count / signaled, B = maximum / manual.
const OFF_A: u64 = 1104;
const OFF_B: u64 = 1108;

#[test]
fn garbage_semaphore_state_is_reported() {
    let (_d, ns) = ns();
    let s = Semaphore::create_in(&ns, Some("sem"), 1, 2).unwrap();
    let f = peer(&ns, "sem");
    for (count, max) in [(5u32, 2u32), (u32::MAX, 2), (1, 0), (1, u32::MAX)] {
        f.write_all_at(&count.to_le_bytes(), OFF_A).unwrap();
        f.write_all_at(&max.to_le_bytes(), OFF_B).unwrap();
        let e = s.release(1).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::InvalidData,
            "release {count}/{max}: {e}"
        );
        let e = s.wait(Z).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData, "wait {count}/{max}: {e}");
        let e = wait_any(&[&s], Z).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::InvalidData,
            "wait_any {count}/{max}: {e}"
        );
        let e = wait_all(&[&s], Z).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::InvalidData,
            "wait_all {count}/{max}: {e}"
        );
    }
    // Repaired by the peer: usable again.
    f.write_all_at(&1u32.to_le_bytes(), OFF_A).unwrap();
    f.write_all_at(&2u32.to_le_bytes(), OFF_B).unwrap();
    assert_eq!(s.release(1).unwrap(), 1);
}

#[test]
fn garbage_event_state_is_reported() {
    let (_d, ns) = ns();
    let e = Event::create_in(&ns, Some("evt"), false, false).unwrap();
    let f = peer(&ns, "evt");
    f.write_all_at(&7u32.to_le_bytes(), OFF_A).unwrap();
    for r in [e.set(), e.reset(), e.pulse(), e.wait(Z).map(|_| ())] {
        assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidData);
    }
    f.write_all_at(&0u32.to_le_bytes(), OFF_A).unwrap();
    f.write_all_at(&9u32.to_le_bytes(), OFF_B).unwrap();
    assert_eq!(e.set().unwrap_err().kind(), ErrorKind::InvalidData);
}

#[test]
fn truncated_sync_object_is_an_error() {
    let (_d, ns) = ns();
    let e = Event::create_in(&ns, Some("evt"), false, false).unwrap();
    drop(e.set());
    peer(&ns, "evt").set_len(0).unwrap();
    // A new opener cannot read the header; nothing maps the missing state.
    let other = Namespace::at(ns.root());
    let err = Event::open_in(&other, "evt", fmap::SyncAccess::EVENT_ALL_ACCESS).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    // Closing the existing handles does not touch the missing state.
    drop(e);
    let m = fmap::Mutex::create_in(&ns, Some("mtx"), false).unwrap();
    drop(m.lock().unwrap());
    peer(&ns, "mtx").set_len(0).unwrap();
    drop(m);
}

/// Operational hazard: the namespace directory is deleted while a process uses it (logout with
/// `RemoveIPC=yes`, a cleaner, `rm -rf`). The call that notices gets `ERROR_PATH_NOT_FOUND`
/// naming the cause; the next call starts a new directory that every process shares again.
#[test]
fn removed_namespace_directory_is_detected_and_recovered() {
    let (_d, ns) = ns();
    let held = MappingOptions::new()
        .namespace(&ns)
        .name("held")
        .size(4096)
        .create()
        .unwrap();
    let v = held.map_view(Access::WRITE, ..).unwrap();
    std::fs::remove_dir_all(ns.dir_path(Scope::Local)).unwrap();
    let create = || {
        MappingOptions::new()
            .namespace(&ns)
            .name("new")
            .size(4096)
            .create()
    };
    let e = create().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PathNotFound, "{e}");
    assert!(e.to_string().contains("removed"), "{e}");
    // The next call recovers with a new directory, shared with other processes again.
    let m = create().unwrap();
    let other = Namespace::at(ns.root());
    assert!(Mapping::open_in(&other, "new", Access::READ).is_ok());
    // What was held in the old directory stays usable by its holders.
    v.write(0, b"still mapped").unwrap();
    drop((v, held, m));
    // A lookup miss detects it too.
    let _keep = MappingOptions::new()
        .namespace(&ns)
        .name("x")
        .size(4096)
        .create()
        .unwrap();
    std::fs::remove_dir_all(ns.dir_path(Scope::Local)).unwrap();
    let e = Mapping::open_in(&ns, "nothing", Access::READ).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PathNotFound, "{e}");
    assert_eq!(
        Mapping::open_in(&ns, "nothing", Access::READ)
            .unwrap_err()
            .kind(),
        ErrorKind::FileNotFound
    );
}

/// Offsets inside the header page (see `sync.rs`): the state lock and the mutex token are glibc
/// `pthread_mutex_t`s; `__kind` is the word at +16, the lock word at +0.
const OFF_STATE_LOCK: u64 = 1024;
const OFF_TOKEN: u64 = 1152;
const KIND: u64 = 16;

/// Runs `f` on another thread and fails the test if it does not return within 20 s (a hang in
/// glibc is what this guards against; an abort would kill the test binary, also a failure).
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{what} hung"))
}

#[test]
fn rewritten_lock_kinds_are_reported_not_followed() {
    let (_d, ns) = ns();
    let m = std::sync::Arc::new(fmap::Mutex::create_in(&ns, Some("mtx"), false).unwrap());
    let e = std::sync::Arc::new(Event::create_in(&ns, Some("evt"), false, false).unwrap());
    let fm = peer(&ns, "mtx");
    let fe = peer(&ns, "evt");
    let mut orig = [0u8; 4];
    fm.read_exact_at(&mut orig, OFF_TOKEN + KIND).unwrap();
    // A priority-inheritance kind (robust and not, process-shared) with a lock word naming a
    // thread that does not exist: glibc would abort (robust) or block forever (not robust).
    for kind in [16u32 | 32 | 128, 32 | 128, 0x7fff_ffff] {
        fm.write_all_at(&kind.to_le_bytes(), OFF_TOKEN + KIND)
            .unwrap();
        fm.write_all_at(&0x3fff_fff0u32.to_le_bytes(), OFF_TOKEN)
            .unwrap();
        let mm = m.clone();
        let r = bounded("Mutex::try_lock", move || {
            mm.try_lock().map(|g| g.is_some())
        });
        assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidData, "kind {kind}");
        let mm = m.clone();
        let r = bounded("wait_any", move || {
            wait_any(&[&*mm], Some(Duration::from_millis(50)))
        });
        assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidData, "kind {kind}");
        fe.write_all_at(&kind.to_le_bytes(), OFF_STATE_LOCK + KIND)
            .unwrap();
        fe.write_all_at(&0x3fff_fff0u32.to_le_bytes(), OFF_STATE_LOCK)
            .unwrap();
        let ee = e.clone();
        let r = bounded("Event::set", move || ee.set());
        assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidData, "kind {kind}");
        let (mm, ee) = (m.clone(), e.clone());
        let r = bounded("wait_all", move || wait_all(&[&*mm, &*ee], Z));
        assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidData, "kind {kind}");
    }
    // Repaired by the peer: usable again.
    for (f, off) in [(&fm, OFF_TOKEN), (&fe, OFF_STATE_LOCK)] {
        f.write_all_at(&orig, off + KIND).unwrap();
        f.write_all_at(&0u32.to_le_bytes(), off).unwrap();
    }
    assert!(m.try_lock().unwrap().is_some());
    e.set().unwrap();
    assert_eq!(e.wait(Z).unwrap(), fmap::WaitResult::Signaled(0));
}

// ------------------------------------------------------------------------------------------
// Garbage in a state lock (issue 7, item 4): a peer writes a made-up owner thread id into the
// `__lock` word of a sync object's state lock. Before the fix every call that took the lock
// blocked forever in `pthread_mutex_lock`, whatever its timeout.

/// The state-lock words (`__lock` at +0 of the state lock) a hostile peer writes: a thread id
/// that does not exist, without and with glibc's `FUTEX_WAITERS` bit.
const GARBAGE_OWNERS: [u32; 2] = [0x3fff_0001, 0x3fff_0001 | 0x8000_0000];
/// `all_hint` (see `sync.rs`): wait-alls working on the object.
const OFF_ALL_HINT: u64 = 1096;
const T100: Option<Duration> = Some(Duration::from_millis(100));

type Call<T> = (&'static str, Box<dyn FnOnce() -> T + Send>);

/// Runs every call on a thread of its own, all at once, and returns their results in order;
/// fails the test if any has not returned within 20 s (the hang guard of [`bounded`]).
fn all_bounded<T: Send + 'static>(calls: Vec<Call<T>>) -> Vec<(&'static str, T)> {
    let rxs: Vec<_> = calls
        .into_iter()
        .map(|(what, f)| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(f());
            });
            (what, rx)
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    rxs.into_iter()
        .map(|(what, rx)| {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let r = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{what} hung (garbage in the state lock)"));
            (what, r)
        })
        .collect()
}

/// Asserts that each result is `ERROR_INVALID_DATA` naming the state lock.
fn all_invalid_data<T: std::fmt::Debug>(results: Vec<(&'static str, fmap::Result<T>)>) {
    for (what, r) in results {
        match r {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidData, "{what}: {e}");
                assert!(e.to_string().contains("state lock"), "{what}: {e}");
            }
            Ok(v) => panic!("{what}: expected ERROR_INVALID_DATA, got Ok({v:?})"),
        }
    }
}

/// Asserts that each result is `WAIT_TIMEOUT`.
fn all_timed_out(results: Vec<(&'static str, fmap::Result<fmap::WaitResult>)>) {
    for (what, r) in results {
        match r {
            Ok(fmap::WaitResult::TimedOut) => {}
            other => panic!("{what}: expected WAIT_TIMEOUT, got {other:?}"),
        }
    }
}

#[test]
fn garbage_in_an_event_state_lock_bounds_every_call() {
    use std::sync::Arc;
    let (_d, ns) = ns();
    // Signaled, so that every wait has to take the state lock to consume it.
    let e = Arc::new(Event::create_in(&ns, Some("evt"), true, true).unwrap());
    let f = peer(&ns, "evt");
    for owner in GARBAGE_OWNERS {
        f.write_all_at(&owner.to_le_bytes(), OFF_STATE_LOCK)
            .unwrap();
        // Timed waits: the deadline passes before the lock is obtained.
        let (e1, e2, e3) = (e.clone(), e.clone(), e.clone());
        all_timed_out(all_bounded(vec![
            ("Event::wait(100 ms)", Box::new(move || e1.wait(T100))),
            (
                "wait_any(100 ms)",
                Box::new(move || wait_any(&[&*e2], T100)),
            ),
            (
                "wait_all(100 ms)",
                Box::new(move || wait_all(&[&*e3], T100)),
            ),
        ]));
        // Infinite waits, polls and signalling: ERROR_INVALID_DATA after the bound.
        let (e1, e2, e3, e4, e5, e6, e7) = (
            e.clone(),
            e.clone(),
            e.clone(),
            e.clone(),
            e.clone(),
            e.clone(),
            e.clone(),
        );
        all_invalid_data(all_bounded::<fmap::Result<fmap::WaitResult>>(vec![
            ("Event::wait(INFINITE)", Box::new(move || e1.wait(None))),
            ("Event::wait(0)", Box::new(move || e2.wait(Z))),
            (
                "wait_any(INFINITE)",
                Box::new(move || wait_any(&[&*e3], None)),
            ),
            (
                "wait_all(INFINITE)",
                Box::new(move || wait_all(&[&*e4], None)),
            ),
            (
                "Event::set",
                Box::new(move || e5.set().map(|()| fmap::WaitResult::TimedOut)),
            ),
            (
                "Event::reset",
                Box::new(move || e6.reset().map(|()| fmap::WaitResult::TimedOut)),
            ),
            (
                "Event::pulse",
                Box::new(move || e7.pulse().map(|()| fmap::WaitResult::TimedOut)),
            ),
        ]));
    }
    // Repaired by the peer: usable again.
    f.write_all_at(&0u32.to_le_bytes(), OFF_STATE_LOCK).unwrap();
    assert_eq!(e.wait(Z).unwrap(), fmap::WaitResult::Signaled(0));
    e.reset().unwrap();
    assert_eq!(e.wait(Z).unwrap(), fmap::WaitResult::TimedOut);
}

#[test]
fn garbage_in_a_semaphore_state_lock_bounds_every_call() {
    use std::sync::Arc;
    let (_d, ns) = ns();
    // A unit is available, so that every wait has to take the state lock to take it.
    let s = Arc::new(Semaphore::create_in(&ns, Some("sem"), 1, 4).unwrap());
    let f = peer(&ns, "sem");
    for owner in GARBAGE_OWNERS {
        f.write_all_at(&owner.to_le_bytes(), OFF_STATE_LOCK)
            .unwrap();
        let (s1, s2, s3) = (s.clone(), s.clone(), s.clone());
        all_timed_out(all_bounded(vec![
            ("Semaphore::wait(100 ms)", Box::new(move || s1.wait(T100))),
            (
                "wait_any(100 ms)",
                Box::new(move || wait_any(&[&*s2], T100)),
            ),
            (
                "wait_all(100 ms)",
                Box::new(move || wait_all(&[&*s3], T100)),
            ),
        ]));
        let (s1, s2, s3, s4) = (s.clone(), s.clone(), s.clone(), s.clone());
        all_invalid_data(all_bounded(vec![
            ("Semaphore::wait(INFINITE)", Box::new(move || s1.wait(None))),
            ("Semaphore::wait(0)", Box::new(move || s2.wait(Z))),
            (
                "wait_any(INFINITE)",
                Box::new(move || wait_any(&[&*s3], None)),
            ),
            (
                "wait_all(INFINITE)",
                Box::new(move || wait_all(&[&*s4], None)),
            ),
        ]));
    }
    // ReleaseSemaphore is lock-free (one compare-exchange on the count): it never takes the
    // state lock, so it works and returns at once.
    let s1 = s.clone();
    assert_eq!(
        bounded("Semaphore::release", move || s1.release(1)).unwrap(),
        1
    );
    assert_eq!(s.count().unwrap(), (2, 4));
    f.write_all_at(&0u32.to_le_bytes(), OFF_STATE_LOCK).unwrap();
    assert_eq!(s.wait(Z).unwrap(), fmap::WaitResult::Signaled(0));
    assert_eq!(s.count().unwrap(), (1, 4));
}

#[test]
fn garbage_in_a_mutex_state_lock_bounds_every_call() {
    use std::sync::Arc;
    let (_d, ns) = ns();
    let m = Arc::new(fmap::Mutex::create_in(&ns, Some("mtx"), false).unwrap());
    // This thread owns it; the peer also claims a wait-all is at work on it, so the other
    // threads' acquirers look again under the state lock (see `sync.rs`).
    assert_eq!(
        fmap::wait_one(&*m, Z).unwrap(),
        fmap::WaitResult::Signaled(0)
    );
    let f = peer(&ns, "mtx");
    f.write_all_at(&1u32.to_le_bytes(), OFF_ALL_HINT).unwrap();
    for owner in GARBAGE_OWNERS {
        f.write_all_at(&owner.to_le_bytes(), OFF_STATE_LOCK)
            .unwrap();
        let (m1, m2, m3) = (m.clone(), m.clone(), m.clone());
        all_timed_out(all_bounded(vec![
            (
                "Mutex::wait(100 ms)",
                Box::new(move || fmap::wait_one(&*m1, T100)),
            ),
            (
                "wait_any(100 ms)",
                Box::new(move || wait_any(&[&*m2], T100)),
            ),
            (
                "wait_all(100 ms)",
                Box::new(move || wait_all(&[&*m3], T100)),
            ),
        ]));
        let m1 = m.clone();
        let r = bounded("Mutex::lock_timeout(100 ms)", move || {
            m1.lock_timeout(T100).map(|g| g.is_some())
        });
        assert!(
            !r.unwrap(),
            "lock_timeout acquired a mutex another thread owns"
        );
        let (m1, m2, m3, m4) = (m.clone(), m.clone(), m.clone(), m.clone());
        all_invalid_data(all_bounded(vec![
            (
                "Mutex::wait(INFINITE)",
                Box::new(move || fmap::wait_one(&*m1, None)),
            ),
            (
                "Mutex::try_lock",
                Box::new(move || {
                    m2.try_lock()
                        .map(|g| g.is_some())
                        .map(|_| fmap::WaitResult::TimedOut)
                }),
            ),
            (
                "wait_any(INFINITE)",
                Box::new(move || wait_any(&[&*m3], None)),
            ),
            (
                "wait_all(INFINITE)",
                Box::new(move || wait_all(&[&*m4], None)),
            ),
        ]));
        // The owner's own calls take no state lock.
        assert!(m.is_owned_by_current_thread().unwrap());
    }
    // ReleaseMutex takes no state lock either.
    m.release().unwrap();
    assert!(!m.is_owned_by_current_thread().unwrap());
    // Repaired by the peer: usable again, from another thread too.
    f.write_all_at(&0u32.to_le_bytes(), OFF_STATE_LOCK).unwrap();
    f.write_all_at(&0u32.to_le_bytes(), OFF_ALL_HINT).unwrap();
    let m1 = m.clone();
    let r = bounded("Mutex::wait after the repair", move || {
        let r = fmap::wait_one(&*m1, T100);
        m1.release().unwrap();
        r
    });
    assert_eq!(r.unwrap(), fmap::WaitResult::Signaled(0));
}

/// A waitable timer's words (`armed` 1124, `due` 1128, `period_ms` 1136) rewritten by a peer:
/// an impossible `armed` is `ERROR_INVALID_DATA`; any due time or period is only a time
/// (saturating arithmetic: no panic, no hang), and `set` repairs it.
#[test]
fn garbage_timer_state_is_reported_or_harmless() {
    let (_d, ns) = ns();
    let t = fmap::Timer::create_in(&ns, Some("tmr"), true).unwrap();
    let f = peer(&ns, "tmr");
    f.write_all_at(&7u32.to_le_bytes(), 1124).unwrap();
    assert_eq!(t.wait(Z).unwrap_err().kind(), ErrorKind::InvalidData);
    assert_eq!(
        t.set(fmap::DueTime::After(Duration::ZERO), 0)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidData
    );
    // Armed, with extreme due times and periods: every call returns.
    for (due, period) in [
        (0u64, u32::MAX),
        (u64::MAX, u32::MAX),
        (1, 1),
        (u64::MAX, 0),
    ] {
        f.write_all_at(&1u32.to_le_bytes(), 1124).unwrap();
        f.write_all_at(&due.to_le_bytes(), 1128).unwrap();
        f.write_all_at(&period.to_le_bytes(), 1136).unwrap();
        let t2 = t.duplicate(None).unwrap();
        let r = bounded("a wait on a rewritten timer", move || {
            t2.wait(Z).map(|_| ())
        });
        assert!(r.is_ok(), "due {due} period {period}: {r:?}");
        t.cancel().unwrap();
    }
    t.set(fmap::DueTime::After(Duration::ZERO), 0).unwrap();
    assert_eq!(
        t.wait(Some(Duration::from_secs(10))).unwrap(),
        fmap::WaitResult::Signaled(0)
    );
}

/// A peer keeps writing garbage (all ones) into the `declined` word of every wait-queue slot of
/// a mutex and of a semaphore while a waiter is queued on each: releases then skip the waiter
/// for hand-off, but the release still makes the object available and wakes it, so the waiter
/// gets it — no waiter is stranded by a word a peer can write.
#[test]
fn garbage_declined_marks_do_not_strand_queued_waiters() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;
    const QUEUED: u64 = 1100; // SyncState::queued
    const SLOTS: u64 = 1232; // WaitQueue::slots
    const SLOT_SIZE: u64 = 80;
    const DECLINED: u64 = 72; // WaitSlot::declined
    let (_d, ns) = ns();
    let m = fmap::Mutex::create_in(&ns, Some("m"), true).unwrap();
    let s = Semaphore::create_in(&ns, Some("s"), 0, 1).unwrap();
    for name in ["m", "s"] {
        let f = peer(&ns, name);
        let ns2 = ns.clone();
        let waiter = std::thread::spawn(move || match name {
            "m" => {
                let m =
                    fmap::Mutex::open_in(&ns2, "m", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
                let r = fmap::wait_one(&m, Some(Duration::from_secs(20))).unwrap();
                if r == fmap::WaitResult::Signaled(0) {
                    m.release().unwrap();
                }
                r
            }
            _ => {
                let s =
                    Semaphore::open_in(&ns2, "s", fmap::SyncAccess::SEMAPHORE_ALL_ACCESS).unwrap();
                s.wait(Some(Duration::from_secs(20))).unwrap()
            }
        });
        // Until the waiter is queued.
        let mut b = [0u8; 4];
        let t0 = std::time::Instant::now();
        loop {
            f.read_exact_at(&mut b, QUEUED).unwrap();
            if u32::from_le_bytes(b) != 0 {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "{name}: waiter never queued"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let f2 = f.try_clone().unwrap();
        let vandal = std::thread::spawn(move || {
            while !stop2.load(SeqCst) {
                for i in 0..10 {
                    f2.write_all_at(&[0xFF; 4], SLOTS + i * SLOT_SIZE + DECLINED)
                        .unwrap();
                }
            }
        });
        std::thread::sleep(Duration::from_millis(50));
        match name {
            "m" => m.release().unwrap(),
            _ => assert_eq!(s.release(1).unwrap(), 0),
        }
        let r = waiter.join().unwrap();
        stop.store(true, SeqCst);
        vandal.join().unwrap();
        assert_eq!(
            r,
            fmap::WaitResult::Signaled(0),
            "{name}: the waiter was stranded"
        );
    }
}
