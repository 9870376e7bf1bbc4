//! A process that `fork`s without `exec` (issue 7, item 5). The child gets a fresh owner
//! identity: objects it creates or opens after the fork work fully, and it does not own what
//! the parent's threads own. Handles it inherited share the parent's open file descriptions;
//! dropping them in the child never removes a name or a holder lock the parent relies on.
//!
//! Each test forks with `libc::fork` directly. The child runs only its checks and ends with
//! `libc::_exit` (it never returns into the test harness); it reports a failed check through a
//! pipe. The parent reaps it with a hang guard.

mod common;

use common::{namespace_with_prefix, Ctx, R, Z};
use fmap::{Access, ErrorKind, Event, Mapping, MappingOptions, Mutex, Namespace, Semaphore};
use fmap::{WaitResult, Waitable};
use std::cell::RefCell;
use std::time::{Duration, Instant};

const GUARD: Duration = Duration::from_secs(30);

/// A forked child that runs checks.
struct Forked {
    pid: libc::pid_t,
    /// The read end of the pipe the child reports a failed check through.
    rd: i32,
}

/// Forks; the child runs `child` and `_exit`s (0: success, 2: a check failed, 3: a panic),
/// reporting a failed check through a pipe. `child` may borrow from the caller: in the parent
/// it is only dropped.
fn fork_child(child: impl FnOnce() -> R) -> Forked {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid, exclusively borrowed array of two descriptors for pipe2 to fill.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) };
    assert_eq!(r, 0);
    let (rd, wr) = (fds[0], fds[1]);
    // SAFETY: the child only runs `child` (fmap calls and checks) and then `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)) {
            Ok(Ok(())) => 0,
            Ok(Err(msg)) => {
                // SAFETY: writes the message's bytes to our end of the pipe.
                unsafe { libc::write(wr, msg.as_ptr().cast(), msg.len()) };
                2
            }
            Err(_) => 3,
        };
        // SAFETY: ends the child without running the harness's (or anyone's) destructors.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: the parent's copy of the write end is not used.
    unsafe { libc::close(wr) };
    Forked { pid, rd }
}

impl Forked {
    /// Reaps the child (killing it after [`GUARD`]) and fails the test with its message
    /// unless it succeeded.
    fn join(self) {
        let deadline = Instant::now() + GUARD;
        let mut status = 0;
        loop {
            // SAFETY: reaps our own child without blocking.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
            assert!(r >= 0, "waitpid: {}", std::io::Error::last_os_error());
            if r == self.pid {
                break;
            }
            if Instant::now() > deadline {
                // SAFETY: kills and reaps our own child.
                unsafe {
                    libc::kill(self.pid, libc::SIGKILL);
                    libc::waitpid(self.pid, &mut status, 0);
                    libc::close(self.rd);
                }
                panic!("the forked child hung");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        // The child wrote its message before it ended; the pipe is non-blocking.
        let mut buf = vec![0u8; 4096];
        // SAFETY: reads into `buf`, which has room for `buf.len()` bytes.
        let n = unsafe { libc::read(self.rd, buf.as_mut_ptr().cast(), buf.len()) };
        // SAFETY: closes our read end.
        unsafe { libc::close(self.rd) };
        let msg = String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned();
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the forked child failed (status {status:#x}): {msg}"
        );
    }
}

/// Forks, runs `child` in the child and waits for it: see [`fork_child`], [`Forked::join`].
fn in_child(child: impl FnOnce() -> R) {
    fork_child(child).join();
}

/// Gives this process (and this thread) an owner identity before the fork: the parent uses a
/// mutex, as a real program would have.
fn use_a_mutex_in_the_parent(ns: &Namespace) {
    let m = Mutex::create_in(ns, Some("parent-warmup"), false).unwrap();
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
}

fn expect_err<T: std::fmt::Debug>(r: fmap::Result<T>, kind: ErrorKind, what: &str) -> R {
    match r {
        Err(e) if e.kind() == kind => Ok(()),
        other => Err(format!("{what}: expected {kind:?}, got {other:?}")),
    }
}

fn expect_wait(w: &dyn Waitable, timeout: Option<Duration>, want: WaitResult, what: &str) -> R {
    let r = fmap::wait_one(w, timeout).ctx(what)?;
    if r != want {
        return Err(format!("{what}: expected {want:?}, got {r:?}"));
    }
    Ok(())
}

#[test]
fn child_uses_mutexes_events_and_semaphores_it_creates_after_fork() {
    let (_d, ns) = namespace_with_prefix("fmap-fork-");
    use_a_mutex_in_the_parent(&ns);
    in_child(|| {
        // Named: create, acquire, recursion, release.
        let m = Mutex::create_in(&ns, Some("child-mutex"), false).ctx("create")?;
        expect_wait(&m, Z, WaitResult::Signaled(0), "acquire")?;
        if !m.is_owned_by_current_thread().ctx("owned")? {
            return Err("the child does not own the mutex it acquired".into());
        }
        expect_wait(&m, Z, WaitResult::Signaled(0), "acquire again (recursion)")?;
        m.release().ctx("release (recursion level 2)")?;
        m.release().ctx("release")?;
        expect_err(m.release(), ErrorKind::NotOwner, "a third release")?;
        // Initially owned, and unnamed.
        let o = Mutex::create_in(&ns, Some("child-owned"), true).ctx("create owned")?;
        o.release().ctx("release the initially owned mutex")?;
        let u = Mutex::create_in(&ns, None, true).ctx("create unnamed")?;
        u.release().ctx("release the unnamed mutex")?;
        drop(u.lock().ctx("lock the unnamed mutex")?);
        // Abandonment: a thread of the child acquires it and ends without releasing it.
        let a = std::sync::Arc::new(
            Mutex::create_in(&ns, Some("child-abandoned"), false).ctx("create")?,
        );
        let a2 = a.clone();
        std::thread::spawn(move || std::mem::forget(a2.lock().unwrap()))
            .join()
            .map_err(|_| "the child's thread panicked".to_string())?;
        expect_wait(
            &*a,
            Some(GUARD),
            WaitResult::Abandoned(0),
            "wait for the abandoned mutex",
        )?;
        a.release().ctx("release the abandoned mutex")?;
        // Events and semaphores.
        let e = Event::create_in(&ns, Some("child-event"), false, false).ctx("create event")?;
        expect_wait(&e, Z, WaitResult::TimedOut, "wait for a reset event")?;
        e.set().ctx("set")?;
        expect_wait(
            &e,
            Some(GUARD),
            WaitResult::Signaled(0),
            "wait for the set event",
        )?;
        let s = Semaphore::create_in(&ns, Some("child-sem"), 0, 2).ctx("create semaphore")?;
        s.release(1).ctx("release the semaphore")?;
        expect_wait(
            &s,
            Some(GUARD),
            WaitResult::Signaled(0),
            "wait for the semaphore",
        )?;
        let r = fmap::wait_all(&[&m, &e, &s], Z).ctx("wait_all")?;
        if r != WaitResult::TimedOut {
            return Err(format!("wait_all on a reset event: {r:?}"));
        }
        e.set().ctx("set")?;
        s.release(1).ctx("release")?;
        let r = fmap::wait_all(&[&m, &e, &s], Some(GUARD)).ctx("wait_all")?;
        if r != WaitResult::Signaled(0) {
            return Err(format!("wait_all: {r:?}"));
        }
        m.release().ctx("release after wait_all")?;
        Ok(())
    });
}

#[test]
fn child_does_not_own_the_parents_mutex() {
    let (_d, ns) = namespace_with_prefix("fmap-fork-");
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
    in_child(|| {
        if m.is_owned_by_current_thread().ctx("owned")? {
            return Err("the child believes it owns the parent's mutex".into());
        }
        expect_err(
            m.release(),
            ErrorKind::NotOwner,
            "releasing the parent's mutex",
        )?;
        // Owned by the parent's thread: not free, and not the child's to take again.
        expect_wait(&m, Z, WaitResult::TimedOut, "polling the parent's mutex")?;
        Ok(())
    });
    // The parent still owns it, once.
    assert!(m.is_owned_by_current_thread().unwrap());
    m.release().unwrap();
    expect_err(m.release(), ErrorKind::NotOwner, "a second release").unwrap();
}

#[test]
fn dropping_inherited_handles_in_the_child_keeps_the_parents_names() {
    let (_d, ns) = namespace_with_prefix("fmap-fork-");
    let e = Event::create_in(&ns, Some("evt"), true, false).unwrap();
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("sec")
        .size(4096)
        .create()
        .unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    v.write(0, b"parent").unwrap();
    let mtx = Mutex::create_in(&ns, Some("mtx"), false).unwrap();
    // The child drops every handle it inherited (the parent keeps its own).
    let held = RefCell::new(Some((e, v, m, mtx)));
    in_child(|| {
        let (e, v, m, mtx) = held.borrow_mut().take().ok_or("nothing inherited")?;
        // The inherited handles are usable, and closing them only closes descriptors.
        e.set().ctx("set the inherited event")?;
        drop((e, v, m, mtx));
        Ok(())
    });
    let (e, _v, _m, _mtx) = held.into_inner().unwrap();
    // The names are still there, held by the parent.
    for name in ["evt", "sec", "mtx"] {
        let info = ns
            .find(name)
            .unwrap_or_else(|e| panic!("{name} is gone after the child closed it: {e}"));
        assert!(info.alive, "{name}: the parent's holder lock is gone");
    }
    assert!(e.is_set().unwrap());
    // Another process (a fresh namespace instance: its own descriptors and locks) opens them,
    // and its close does not remove them either: the parent still holds them.
    for _ in 0..2 {
        let other = Namespace::at(ns.root());
        let e2 = Event::open_in(&other, "evt", fmap::SyncAccess::EVENT_ALL_ACCESS).unwrap();
        assert!(e2.is_set().unwrap());
        let m2 = Mapping::open_in(&other, "sec", Access::READ).unwrap();
        let mut b = [0u8; 6];
        m2.map_view(Access::READ, ..)
            .unwrap()
            .read(0, &mut b)
            .unwrap();
        assert_eq!(&b, b"parent");
        Mutex::open_in(&other, "mtx", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
    }
}

#[test]
fn reopening_in_the_child_gives_it_its_own_holder_lock() {
    let (_d, ns) = namespace_with_prefix("fmap-fork-");
    let e = Event::create_in(&ns, Some("evt"), true, false).unwrap();
    // The child opens the name anew (through the namespace instance it inherited, whose cache
    // holds the parent's object), closes its inherited handle, then its new ones: the name
    // stays, the parent still holds it.
    let held = RefCell::new(Some(e));
    in_child(|| {
        let e2 = Event::open_in(&ns, "evt", fmap::SyncAccess::EVENT_ALL_ACCESS)
            .ctx("open in the child")?;
        drop(held.borrow_mut().take());
        let e3 = Event::create_in(&ns, Some("evt"), true, false).ctx("create in the child")?;
        if !e3.already_existed() {
            return Err("create in the child made a new event".into());
        }
        e2.set().ctx("set")?;
        drop((e2, e3));
        Ok(())
    });
    let e = held.into_inner().unwrap();
    let info = ns.find("evt").expect("the child's close removed the name");
    assert!(
        info.alive,
        "the child's close dropped the parent's holder lock"
    );
    assert!(e.is_set().unwrap());

    // The child's own open keeps the name alive after the parent closes its handle.
    let ready = Event::create_in(&ns, Some("ready"), true, false).unwrap();
    let go = Event::create_in(&ns, Some("go"), true, false).unwrap();
    let child = fork_child(|| {
        let mine = Event::open_in(&ns, "evt", fmap::SyncAccess::EVENT_ALL_ACCESS)
            .ctx("open in the child")?;
        ready.set().ctx("set ready")?;
        expect_wait(&go, Some(GUARD), WaitResult::Signaled(0), "wait for go")?;
        let other = Namespace::at(ns.root());
        Event::open_in(&other, "evt", fmap::SyncAccess::EVENT_ALL_ACCESS)
            .ctx("open after the parent closed its handle (the child still holds one)")?;
        drop(mine);
        Ok(())
    });
    let r = ready.wait(Some(GUARD));
    drop(e);
    go.set().unwrap();
    child.join();
    assert_eq!(r.unwrap(), WaitResult::Signaled(0));
    // Everybody closed it: it is gone.
    assert_eq!(
        ns.find("evt").unwrap_err().kind(),
        ErrorKind::FileNotFound,
        "the name outlived its last holder"
    );
}

/// The creator of a `Local\` section forks a child that keeps the inherited handle, and dies
/// without closing anything (a crash, `ExitProcess`): the child's inherited descriptions keep
/// the name, the memory and the creator's holder slot, which names the dead creator. A new
/// opener still reaches the memory: through the child, found by the slot's descriptor number
/// among our own user's processes.
#[test]
fn a_section_held_only_by_a_forked_child_of_its_dead_creator_opens() {
    let (d, ns) = namespace_with_prefix("fmap-fork-");
    let pidfile = d.path().join("grandchild.pid");
    let root = ns.root().to_owned();
    let pf = pidfile.clone();
    in_child(move || {
        let ns = Namespace::at(&root);
        let m = MappingOptions::new()
            .namespace(&ns)
            .name("orphan")
            .size(65536)
            .create()
            .ctx("create")?;
        let v = m.map_view(Access::WRITE, ..).ctx("map")?;
        v.write(0, b"from the creator").ctx("write")?;
        // SAFETY: the grandchild only sleeps and ends without running anything else.
        let g = unsafe { libc::fork() };
        if g == 0 {
            // SAFETY: as above (a hang guard: the test kills it when done).
            unsafe {
                libc::sleep(60);
                libc::_exit(0);
            }
        }
        std::fs::write(&pf, g.to_string()).map_err(|e| format!("pid file: {e}"))?;
        // Ends without closing anything.
        std::mem::forget((m, v));
        Ok(())
    });
    let g: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    struct Kill(i32);
    impl Drop for Kill {
        fn drop(&mut self) {
            // SAFETY: kills the grandchild this test made (init reaps it).
            unsafe { libc::kill(self.0, libc::SIGKILL) };
        }
    }
    let _k = Kill(g);
    let other = Namespace::at(ns.root());
    let m = Mapping::open_in(&other, "orphan", Access::READ)
        .expect("a section held only by the forked child of its dead creator opens");
    let mut b = [0u8; 16];
    m.map_view(Access::READ, ..)
        .unwrap()
        .read(0, &mut b)
        .unwrap();
    assert_eq!(&b, b"from the creator");
}
