//! In-process conformance tests for the synchronization objects (issue 3, requirements 1–5;
//! spec: `win32-semantics.md` §2, §5–§8).
//!
//! Every error is checked by its [`ErrorKind`] *and* its Win32 code. Waits use timeouts only as
//! hang guards ([`GUARD`]); no test depends on how long anything takes.
//!
//! A thread that exits owning a mutex abandons it when the *kernel* ends the thread (its robust
//! list is processed then), which may be after `std::thread::scope` returns: tests that poll an
//! abandoned mutex therefore `join` the owner thread explicitly (`pthread_join` returns after
//! the kernel's exit processing).
//!
//! Some tests need to know that a thread is *asleep inside a wait* (a pulse releases only the
//! threads waiting at that moment, and "a set releases exactly one waiter" is only meaningful
//! with several waiters asleep). They look at `/proc/self/task/<tid>/{stat,syscall}`: a thread
//! in state `S` inside `futex_waitv` is asleep in the wait engine, and has taken its snapshot of
//! the objects' state before it went to sleep (see `fmap::sync`). Because the check happens
//! after the signalling call returned, a thread observed asleep has also re-evaluated every
//! earlier signal.

mod common;

use common::{asleep_in_wait, expect_err, namespace, tid, GUARD_D, Z};
use fmap::win32::*;
use fmap::{
    wait_all, wait_any, wait_one, Error, ErrorKind, Event, Mapping, MappingOptions, Mutex,
    MutexGuard, Namespace, Semaphore, WaitResult, WaitTarget, Waitable,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A hang guard: long enough never to expire in a correct run.
const GUARD: Option<Duration> = Some(GUARD_D);

/// Runs a wait with the hang guard as its timeout. A wait that used up the whole guard hung:
/// that fails even if its last look found the object signaled (which is how a lost wake-up
/// shows when the timeout ends the sleep).
#[track_caller]
fn guarded(wait: impl FnOnce(Option<Duration>) -> fmap::Result<WaitResult>) -> WaitResult {
    let start = Instant::now();
    let r = wait(GUARD).unwrap();
    assert!(
        start.elapsed() < GUARD_D,
        "a wait ran into its {GUARD_D:?} hang guard and returned {r:?}: a lost wake-up"
    );
    r
}

/// Waits until every thread in `tids` (of this process) is either in `done` or asleep in a
/// wait; returns how many are done. Panics after [`GUARD_D`].
fn settle(tids: &[i32], done: &std::sync::Mutex<HashSet<i32>>) -> usize {
    let me = std::process::id();
    let deadline = Instant::now() + GUARD_D;
    loop {
        let d = done.lock().unwrap().clone();
        if tids.iter().all(|t| d.contains(t) || asleep_in_wait(me, *t)) {
            // Re-read: a thread may have finished between the two looks.
            return done.lock().unwrap().len();
        }
        assert!(
            Instant::now() < deadline,
            "threads {tids:?} (done: {d:?}) neither finished nor went to sleep in a wait"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Waits until thread `tid` is asleep in a wait.
fn wait_asleep(tid: i32) {
    let none = std::sync::Mutex::new(HashSet::new());
    settle(&[tid], &none);
}

/// Runs `n` threads that each report their thread id, then call `wait` once; each thread's
/// result is sent on the returned channel with its id, and its id is added to `done`.
fn waiters<'s, 'e, F>(
    s: &'s std::thread::Scope<'s, 'e>,
    n: usize,
    done: &'e std::sync::Mutex<HashSet<i32>>,
    wait: F,
) -> (Vec<i32>, mpsc::Receiver<(i32, WaitResult)>)
where
    F: Fn() -> WaitResult + Send + Sync + 'e,
    'e: 's,
{
    let wait = std::sync::Arc::new(wait);
    let (tid_tx, tid_rx) = mpsc::channel();
    let (res_tx, res_rx) = mpsc::channel();
    for _ in 0..n {
        let (tid_tx, res_tx, wait) = (tid_tx.clone(), res_tx.clone(), wait.clone());
        s.spawn(move || {
            let me = tid();
            tid_tx.send(me).unwrap();
            let r = wait();
            done.lock().unwrap().insert(me);
            res_tx.send((me, r)).unwrap();
        });
    }
    let tids = (0..n).map(|_| tid_rx.recv().unwrap()).collect();
    (tids, res_rx)
}

fn recv<T>(rx: &mpsc::Receiver<T>, what: &str) -> T {
    rx.recv_timeout(GUARD_D)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Runs `f` on a detached thread and fails if it does not finish within the hang guard: a
/// thread that deadlocks is left behind instead of hanging the test run.
fn detached(what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(GUARD_D) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {GUARD_D:?} (deadlocked?)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: failed (see above)"),
    }
}

/// Starts a thread that acquires `m` and keeps it until the returned sender is used or
/// dropped; then it releases it (`release`) or exits owning it (abandons it).
fn hold<'s, 'e: 's>(
    s: &'s std::thread::Scope<'s, 'e>,
    m: &'e Mutex,
    release: bool,
) -> mpsc::Sender<()> {
    let (owned_tx, owned_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    s.spawn(move || {
        assert_eq!(fmap::wait_one(m, Z).unwrap(), WaitResult::Signaled(0));
        owned_tx.send(()).unwrap();
        let _ = go_rx.recv();
        if release {
            m.release().unwrap();
        }
    });
    recv(&owned_rx, "the holder thread");
    go_tx
}

// ------------------------------------------------------------------------------------------
// Requirement 1: mutex
// ------------------------------------------------------------------------------------------

#[test]
fn mutex_recursion_needs_one_release_per_acquisition() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    assert!(!m.already_existed());
    assert!(!m.is_owned_by_current_thread().unwrap());
    for i in 0..32 {
        assert_eq!(
            fmap::wait_one(&m, Z).unwrap(),
            WaitResult::Signaled(0),
            "acquisition {i}"
        );
    }
    assert!(m.is_owned_by_current_thread().unwrap());
    for i in 0..32 {
        // Still owned until the 32nd release: another thread cannot take it.
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_eq!(
                    fmap::wait_one(&m, Z).unwrap(),
                    WaitResult::TimedOut,
                    "release {i}"
                )
            });
        });
        m.release().unwrap();
    }
    assert!(!m.is_owned_by_current_thread().unwrap());
    expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
    // Free now: another thread gets it at once.
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
            m.release().unwrap();
        });
    });
    // Initial ownership counts as one acquisition.
    let o = Mutex::create_in(&ns, Some("owned"), true).unwrap();
    assert_eq!(fmap::wait_one(&o, Z).unwrap(), WaitResult::Signaled(0));
    o.release().unwrap();
    o.release().unwrap();
    expect_err(o.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
    // The guard API: one release per guard.
    let g1 = m.lock().unwrap();
    let g2 = m.try_lock().unwrap().expect("recursive try_lock");
    drop(g2);
    assert!(m.is_owned_by_current_thread().unwrap());
    drop(g1);
    assert!(!m.is_owned_by_current_thread().unwrap());
    expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
}

#[test]
fn mutex_release_by_a_non_owner_fails() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    // Nobody owns it.
    expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
    let _ = fmap::wait_one(&m, Z).unwrap();
    let other = Mutex::open_in(&ns, "m", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            // Another thread of the same process, through either handle.
            expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
            expect_err(other.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
            assert!(!m.is_owned_by_current_thread().unwrap());
            assert_eq!(fmap::wait_one(&other, Z).unwrap(), WaitResult::TimedOut);
        });
    });
    // The failed releases changed nothing: still owned once, by this thread; any handle
    // releases it (ownership belongs to the thread, not the handle).
    assert!(m.is_owned_by_current_thread().unwrap());
    other.release().unwrap();
    expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
}

#[test]
fn mutex_initial_owner() {
    let (_d, ns) = namespace();
    for name in [Some("m"), None] {
        let m = Mutex::create_in(&ns, name, true).unwrap();
        assert!(!m.already_existed());
        assert!(m.is_owned_by_current_thread().unwrap());
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::TimedOut));
        });
        m.release().unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
                m.release().unwrap();
            });
        });
    }
}

#[test]
fn mutex_create_on_existing_name_ignores_initial_owner() {
    let (_d, ns) = namespace();
    // Free mutex, opened by create(initial_owner = true): not owned.
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    let again = Mutex::create_in(&ns, Some("m"), true).unwrap();
    assert!(again.already_existed());
    assert!(!again.is_owned_by_current_thread().unwrap());
    expect_err(again.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
            m.release().unwrap();
        });
    });
    // Owned by this thread; another thread's create(initial_owner = true) neither takes nor
    // changes ownership.
    let _ = fmap::wait_one(&m, Z).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let h = Mutex::create_in(&ns, Some("m"), true).unwrap();
            assert!(h.already_existed());
            assert!(!h.is_owned_by_current_thread().unwrap());
            assert_eq!(fmap::wait_one(&h, Z).unwrap(), WaitResult::TimedOut);
        });
    });
    assert!(m.is_owned_by_current_thread().unwrap());
    // The owner itself creating it again with initial_owner = true: no extra level.
    let mine = Mutex::create_in(&ns, Some("m"), true).unwrap();
    assert!(mine.already_existed());
    assert!(mine.is_owned_by_current_thread().unwrap());
    m.release().unwrap();
    expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
}

/// Many threads race to create the same name with `initial_owner = true`: exactly one creates
/// it, and only that one owns it.
#[test]
fn mutex_create_race_only_the_creator_owns() {
    let (_d, ns) = namespace();
    const THREADS: usize = 6;
    for round in 0..40 {
        let name = format!("race{round}");
        let barrier = std::sync::Barrier::new(THREADS);
        let results: Vec<(bool, bool, Mutex)> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        let m = Mutex::create_in(&ns, Some(&name), true).unwrap();
                        let owned = m.is_owned_by_current_thread().unwrap();
                        if owned {
                            m.release().unwrap();
                        }
                        (m.already_existed(), owned, m)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let created = results.iter().filter(|r| !r.0).count();
        assert_eq!(created, 1, "round {round}: {created} creators");
        for (existed, owned, _) in &results {
            assert_eq!(
                !existed, *owned,
                "round {round}: existed {existed}, owned {owned}"
            );
        }
        // The creator released it: free, and not abandoned.
        assert_eq!(
            fmap::wait_one(&results[0].2, Z).unwrap(),
            WaitResult::Signaled(0)
        );
        results[0].2.release().unwrap();
    }
}

#[test]
fn mutex_abandoned_by_exiting_thread() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    // The owner acquires three times and exits: the whole count is dropped.
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..3 {
                assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
            }
        })
        .join()
        .unwrap();
    });
    assert_eq!(guarded(|t| fmap::wait_one(&m, t)), WaitResult::Abandoned(0));
    assert_eq!(WaitResult::Abandoned(0).to_win32(), WAIT_ABANDONED);
    assert!(m.is_owned_by_current_thread().unwrap());
    // Owned once: one release frees it.
    m.release().unwrap();
    expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
    // Reported once; normal afterwards.
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
    assert_eq!(guarded(|t| fmap::wait_one(&m, t)), WaitResult::Signaled(0));
    m.release().unwrap();

    // Through the guard API.
    std::thread::scope(|s| {
        s.spawn(|| std::mem::forget(m.lock().unwrap()))
            .join()
            .unwrap();
    });
    let g = m.lock().unwrap();
    assert!(g.was_abandoned());
    drop(g);
    let g = m.lock().unwrap();
    assert!(!g.was_abandoned());
    drop(g);
}

/// After an abandonment, several threads race for the mutex: exactly one is told.
#[test]
fn mutex_abandonment_reported_exactly_once() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    for round in 0..20 {
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0)))
                .join()
                .unwrap();
        });
        let abandoned = AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    barrier.wait();
                    for _ in 0..5 {
                        match guarded(|t| fmap::wait_one(&m, t)) {
                            WaitResult::Abandoned(0) => {
                                abandoned.fetch_add(1, Ordering::SeqCst);
                            }
                            WaitResult::Signaled(0) => {}
                            r => panic!("unexpected {r:?}"),
                        }
                        m.release().unwrap();
                    }
                });
            }
        });
        assert_eq!(abandoned.into_inner(), 1, "round {round}");
    }
}

/// The creator of an initially owned mutex closes its handle (which abandons nothing), then
/// exits while another thread is asleep waiting: the mutex is abandoned and the waiter woken.
#[test]
fn mutex_abandoned_after_owner_closed_its_handle() {
    let (_d, ns) = namespace();
    let (tx, rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let ns2 = ns.clone();
    let h = std::sync::OnceLock::new();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        let owner = s.spawn(move || {
            let m = Mutex::create_in(&ns2, Some("m"), true).unwrap();
            tx.send(()).unwrap();
            go_rx.recv().unwrap();
            drop(m); // CloseHandle while owning
            tx.send(()).unwrap();
            go_rx.recv().unwrap();
        });
        recv(&rx, "created");
        let h: &Mutex =
            h.get_or_init(|| Mutex::open_in(&ns, "m", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap());
        go_tx.send(()).unwrap();
        recv(&rx, "closed");
        // Closing the owner's handle neither releases nor abandons it.
        assert_eq!(fmap::wait_one(h, Z).unwrap(), WaitResult::TimedOut);
        let (tids, res) = waiters(s, 1, &done, || {
            let r = guarded(|t| fmap::wait_one(h, t));
            h.release().unwrap();
            r
        });
        wait_asleep(tids[0]);
        go_tx.send(()).unwrap();
        owner.join().unwrap();
        assert_eq!(recv(&res, "waiter").1, WaitResult::Abandoned(0));
    });
    let h = h.get().unwrap();
    assert_eq!(fmap::wait_one(h, Z).unwrap(), WaitResult::Signaled(0));
    h.release().unwrap();
}

/// The owner thread exits at the moment another thread starts waiting (so the death lands in
/// any stage of the wait: the first attempt, the spin, the registration with the kernel, the
/// sleep): the waiter must be told at once, never only when its timeout ends.
#[test]
fn abandonment_races_with_a_starting_waiter() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    let e = Event::create_in(&ns, None, false, false).unwrap();
    for round in 0..300 {
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
                barrier.wait();
            });
            s.spawn(|| {
                barrier.wait();
                let r = if round % 2 == 0 {
                    guarded(|t| fmap::wait_one(&m, t))
                } else {
                    match guarded(|t| wait_any(&[&e, &m], t)) {
                        WaitResult::Abandoned(1) => WaitResult::Abandoned(0),
                        r => r,
                    }
                };
                assert_eq!(r, WaitResult::Abandoned(0), "round {round}");
                m.release().unwrap();
            });
        });
    }
}

/// A waiter blocked in wait-any over `[event, mutex]` when the owner thread exits.
#[test]
fn abandonment_wakes_a_blocked_wait_any() {
    let (_d, ns) = namespace();
    let e = Event::create_in(&ns, None, false, false).unwrap();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        let exit_tx = hold(s, &m, false);
        let (tids, res) = waiters(s, 1, &done, || {
            let r = guarded(|t| wait_any(&[&e, &m], t));
            if r == WaitResult::Abandoned(1) {
                assert!(m.is_owned_by_current_thread().unwrap());
                m.release().unwrap();
            }
            r
        });
        wait_asleep(tids[0]);
        exit_tx.send(()).unwrap();
        assert_eq!(recv(&res, "waiter").1, WaitResult::Abandoned(1));
    });
    assert_eq!(WaitResult::Abandoned(1).to_win32(), WAIT_ABANDONED_0 + 1);
    // Reported once; the event was not touched.
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
    assert!(!e.is_set().unwrap());

    // A lower signaled index wins over an abandoned mutex, which stays abandoned.
    std::thread::scope(|s| {
        let _ = s.spawn(|| fmap::wait_one(&m, Z).unwrap()).join().unwrap();
    });
    e.set().unwrap();
    assert_eq!(wait_any(&[&e, &m], Z).unwrap(), WaitResult::Signaled(0));
    assert!(!m.is_owned_by_current_thread().unwrap());
    assert_eq!(wait_any(&[&e, &m], Z).unwrap(), WaitResult::Abandoned(1));
    m.release().unwrap();

    // Wait-all with an abandoned mutex: all acquired, reported as abandoned.
    std::thread::scope(|s| {
        let _ = s.spawn(|| fmap::wait_one(&m, Z).unwrap()).join().unwrap();
    });
    e.set().unwrap();
    match wait_all(&[&e, &m], Z).unwrap() {
        WaitResult::Abandoned(i) if i < 2 => {}
        r => panic!("wait-all over an abandoned mutex returned {r:?}"),
    }
    assert!(!e.is_set().unwrap());
    assert!(m.is_owned_by_current_thread().unwrap());
    m.release().unwrap();
    assert_eq!(wait_all(&[&m], Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
}

/// A wait-all that cannot complete (another of its mutexes is owned elsewhere) does not eat
/// the abandonment of a mutex in its set.
#[test]
fn abandonment_survives_a_failed_wait_all() {
    let (_d, ns) = namespace();
    let x = Mutex::create_in(&ns, Some("x"), false).unwrap();
    let y = Mutex::create_in(&ns, Some("y"), false).unwrap();
    std::thread::scope(|s| {
        let _ = s.spawn(|| fmap::wait_one(&x, Z).unwrap()).join().unwrap();
        let keep = hold(s, &y, true);
        for _ in 0..10 {
            assert_eq!(wait_all(&[&x, &y], Z).unwrap(), WaitResult::TimedOut);
            assert_eq!(wait_all(&[&y, &x], Z).unwrap(), WaitResult::TimedOut);
        }
        assert_eq!(
            wait_all(&[&x, &y], Some(Duration::from_millis(20))).unwrap(),
            WaitResult::TimedOut
        );
        assert!(!x.is_owned_by_current_thread().unwrap());
        drop(keep);
    });
    assert_eq!(fmap::wait_one(&x, Z).unwrap(), WaitResult::Abandoned(0));
    x.release().unwrap();
    assert_eq!(wait_all(&[&x, &y], Z).unwrap(), WaitResult::Signaled(0));
    x.release().unwrap();
    y.release().unwrap();
}

/// The guard must not be `Send` (a mutex is released by the thread that acquired it);
/// handles are `Send + Sync`.
#[test]
fn mutex_guard_is_not_send() {
    struct Probe<T: ?Sized>(std::marker::PhantomData<T>);
    trait NotSend {
        fn is_send(&self) -> bool {
            false
        }
    }
    impl<T: ?Sized> NotSend for Probe<T> {}
    impl<T: ?Sized + Send> Probe<T> {
        fn is_send(&self) -> bool {
            true
        }
    }
    assert!(!Probe::<MutexGuard<'static>>(std::marker::PhantomData).is_send());
    assert!(Probe::<Mutex>(std::marker::PhantomData).is_send());
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Mutex>();
    send_sync::<Event>();
    send_sync::<Semaphore>();
}

// ------------------------------------------------------------------------------------------
// Requirement 2: event
// ------------------------------------------------------------------------------------------

#[test]
fn event_manual_and_auto_reset() {
    let (_d, ns) = namespace();
    // Manual, initially set: every wait succeeds until reset.
    let me = Event::create_in(&ns, Some("manual"), true, true).unwrap();
    assert!(me.is_manual_reset().unwrap());
    assert!(me.is_set().unwrap());
    for _ in 0..3 {
        assert_eq!(me.wait(Z).unwrap(), WaitResult::Signaled(0));
    }
    assert!(me.is_set().unwrap());
    me.reset().unwrap();
    assert!(!me.is_set().unwrap());
    assert_eq!(me.wait(Z).unwrap(), WaitResult::TimedOut);
    me.reset().unwrap();
    assert_eq!(me.wait(Z).unwrap(), WaitResult::TimedOut);
    me.set().unwrap();
    assert_eq!(me.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(guarded(|t| me.wait(t)), WaitResult::Signaled(0));
    // Manual, initially reset.
    let mr = Event::create_in(&ns, Some("manual0"), true, false).unwrap();
    assert!(!mr.is_set().unwrap());
    assert_eq!(mr.wait(Z).unwrap(), WaitResult::TimedOut);
    // Auto, initially set: one wait consumes it (a poll too).
    let ae = Event::create_in(&ns, Some("auto"), false, true).unwrap();
    assert!(!ae.is_manual_reset().unwrap());
    assert_eq!(ae.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert!(!ae.is_set().unwrap());
    assert_eq!(ae.wait(Z).unwrap(), WaitResult::TimedOut);
    // Nobody waiting: it stays set until a wait consumes it.
    ae.set().unwrap();
    assert!(ae.is_set().unwrap());
    assert!(ae.is_set().unwrap());
    assert_eq!(guarded(|t| ae.wait(t)), WaitResult::Signaled(0));
    assert_eq!(ae.wait(Z).unwrap(), WaitResult::TimedOut);
    // Reset clears a pending set.
    ae.set().unwrap();
    ae.reset().unwrap();
    assert_eq!(ae.wait(Z).unwrap(), WaitResult::TimedOut);
    // Auto, initially reset.
    let ar = Event::create_in(&ns, None, false, false).unwrap();
    assert_eq!(ar.wait(Z).unwrap(), WaitResult::TimedOut);
}

#[test]
fn event_set_twice_counts_once() {
    let (_d, ns) = namespace();
    let ae = Event::create_in(&ns, None, false, false).unwrap();
    ae.set().unwrap();
    ae.set().unwrap();
    assert_eq!(ae.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(ae.wait(Z).unwrap(), WaitResult::TimedOut);
    let me = Event::create_in(&ns, None, true, false).unwrap();
    me.set().unwrap();
    me.set().unwrap();
    me.reset().unwrap();
    assert_eq!(me.wait(Z).unwrap(), WaitResult::TimedOut);
}

/// N threads asleep on an auto-reset event; each `set` releases exactly one of them.
#[test]
fn auto_reset_set_releases_exactly_one_waiter() {
    let (_d, ns) = namespace();
    const N: usize = 5;
    let ae = Event::create_in(&ns, Some("ae"), false, false).unwrap();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        let (tids, res) = waiters(s, N, &done, || guarded(|t| ae.wait(t)));
        assert_eq!(settle(&tids, &done), 0);
        for k in 1..=N {
            ae.set().unwrap();
            let (_, r) = recv(&res, "a released waiter");
            assert_eq!(r, WaitResult::Signaled(0));
            // Every other waiter went back to sleep (or finished, which would be a bug).
            assert_eq!(
                settle(&tids, &done),
                k,
                "set {k} released more than one waiter"
            );
            assert!(!ae.is_set().unwrap(), "set {k}: the event stayed signaled");
        }
    });
}

#[test]
fn manual_pulse_releases_all_current_waiters_and_leaves_it_unset() {
    let (_d, ns) = namespace();
    const N: usize = 4;
    let me = Event::create_in(&ns, Some("me"), true, false).unwrap();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        let (tids, res) = waiters(s, N, &done, || guarded(|t| me.wait(t)));
        assert_eq!(settle(&tids, &done), 0);
        me.pulse().unwrap();
        assert!(!me.is_set().unwrap());
        for _ in 0..N {
            assert_eq!(recv(&res, "a pulsed waiter").1, WaitResult::Signaled(0));
        }
    });
    assert!(!me.is_set().unwrap());
    assert_eq!(me.wait(Z).unwrap(), WaitResult::TimedOut);
    // Same through wait-any, with the event at a higher index.
    let other = Semaphore::create_in(&ns, None, 0, 1).unwrap();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        let (tids, res) = waiters(s, 2, &done, || guarded(|t| wait_any(&[&other, &me], t)));
        settle(&tids, &done);
        me.pulse().unwrap();
        for _ in 0..2 {
            assert_eq!(recv(&res, "a pulsed waiter").1, WaitResult::Signaled(1));
        }
    });
    assert_eq!(other.count().unwrap(), (0, 1));
}

/// A set of a manual-reset event releases every thread waiting at that moment, even if the
/// event is reset right away.
#[test]
fn manual_set_then_reset_releases_all_current_waiters() {
    let (_d, ns) = namespace();
    const N: usize = 4;
    let me = Event::create_in(&ns, None, true, false).unwrap();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        let (tids, res) = waiters(s, N, &done, || guarded(|t| me.wait(t)));
        assert_eq!(settle(&tids, &done), 0);
        me.set().unwrap();
        me.reset().unwrap();
        for _ in 0..N {
            assert_eq!(recv(&res, "a released waiter").1, WaitResult::Signaled(0));
        }
    });
    assert_eq!(me.wait(Z).unwrap(), WaitResult::TimedOut);
}

#[test]
fn pulse_with_no_waiters_is_lost() {
    let (_d, ns) = namespace();
    for manual in [true, false] {
        let e = Event::create_in(&ns, None, manual, false).unwrap();
        e.pulse().unwrap();
        assert!(!e.is_set().unwrap());
        assert_eq!(e.wait(Z).unwrap(), WaitResult::TimedOut);
        // Lost for later sleepers too.
        let done = std::sync::Mutex::new(HashSet::new());
        std::thread::scope(|s| {
            let (tids, res) = waiters(s, 1, &done, || guarded(|t| e.wait(t)));
            assert_eq!(
                settle(&tids, &done),
                0,
                "manual={manual}: an old pulse released a new waiter"
            );
            e.set().unwrap();
            assert_eq!(recv(&res, "waiter").1, WaitResult::Signaled(0));
        });
        // A pulse of a signaled event with nobody waiting just resets it.
        e.set().unwrap();
        e.pulse().unwrap();
        assert!(!e.is_set().unwrap());
        assert_eq!(e.wait(Z).unwrap(), WaitResult::TimedOut);
    }
}

#[test]
fn auto_pulse_releases_exactly_one_waiter() {
    let (_d, ns) = namespace();
    const N: usize = 4;
    let ae = Event::create_in(&ns, None, false, false).unwrap();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|s| {
        let (tids, res) = waiters(s, N, &done, || guarded(|t| ae.wait(t)));
        assert_eq!(settle(&tids, &done), 0);
        ae.pulse().unwrap();
        assert_eq!(recv(&res, "the pulsed waiter").1, WaitResult::Signaled(0));
        assert_eq!(
            settle(&tids, &done),
            1,
            "an auto-reset pulse released more than one"
        );
        assert!(!ae.is_set().unwrap());
        // The remaining waiters: one set each.
        for k in 2..=N {
            ae.set().unwrap();
            assert_eq!(recv(&res, "waiter").1, WaitResult::Signaled(0));
            assert_eq!(settle(&tids, &done), k);
        }
    });
    assert_eq!(ae.wait(Z).unwrap(), WaitResult::TimedOut);
}

// ------------------------------------------------------------------------------------------
// Requirement 3: semaphore
// ------------------------------------------------------------------------------------------

#[test]
fn semaphore_invalid_counts() {
    let (_d, ns) = namespace();
    let bad = [
        (2, 1),
        (0, 0),
        (1, 0),
        (0, -1),
        (-1, 5),
        (-1, -1),
        (i32::MAX, 1),
    ];
    for (init, max) in bad {
        for name in [Some("s"), None] {
            expect_err(
                Semaphore::create_in(&ns, name, init, max),
                ErrorKind::InvalidParameter,
                ERROR_INVALID_PARAMETER,
            );
        }
    }
    // Also when the name exists (the counts are checked before the name).
    let s = Semaphore::create_in(&ns, Some("s"), 1, 3).unwrap();
    for (init, max) in bad {
        expect_err(
            Semaphore::create_in(&ns, Some("s"), init, max),
            ErrorKind::InvalidParameter,
            ERROR_INVALID_PARAMETER,
        );
    }
    assert_eq!(s.count().unwrap(), (1, 3));
    // Valid extremes.
    let a = Semaphore::create_in(&ns, None, 0, 1).unwrap();
    assert_eq!(a.count().unwrap(), (0, 1));
    let b = Semaphore::create_in(&ns, None, i32::MAX, i32::MAX).unwrap();
    assert_eq!(b.count().unwrap(), (i32::MAX, i32::MAX));
}

#[test]
fn semaphore_release_rules() {
    let (_d, ns) = namespace();
    let s = Semaphore::create_in(&ns, Some("s"), 0, 3).unwrap();
    assert_eq!(s.release(1).unwrap(), 0);
    assert_eq!(s.release(1).unwrap(), 1);
    assert_eq!(s.count().unwrap(), (2, 3));
    // Past the maximum: fails, count unchanged.
    expect_err(s.release(2), ErrorKind::TooManyPosts, ERROR_TOO_MANY_POSTS);
    assert_eq!(s.count().unwrap(), (2, 3));
    expect_err(
        s.release(i32::MAX),
        ErrorKind::TooManyPosts,
        ERROR_TOO_MANY_POSTS,
    );
    assert_eq!(s.count().unwrap(), (2, 3));
    assert_eq!(s.release(1).unwrap(), 2);
    expect_err(s.release(1), ErrorKind::TooManyPosts, ERROR_TOO_MANY_POSTS);
    assert_eq!(s.count().unwrap(), (3, 3));
    // Zero and negative releases.
    for n in [0, -1, i32::MIN] {
        expect_err(
            s.release(n),
            ErrorKind::InvalidParameter,
            ERROR_INVALID_PARAMETER,
        );
    }
    assert_eq!(s.count().unwrap(), (3, 3));
    // Each wait takes exactly one.
    for left in (0..3).rev() {
        assert_eq!(s.wait(Z).unwrap(), WaitResult::Signaled(0));
        assert_eq!(s.count().unwrap(), (left, 3));
    }
    assert_eq!(s.wait(Z).unwrap(), WaitResult::TimedOut);
    assert_eq!(s.count().unwrap(), (0, 3));
    // A release of several at once.
    assert_eq!(s.release(3).unwrap(), 0);
    assert_eq!(s.count().unwrap(), (3, 3));
    // Any thread may release; a release wakes blocked waiters (one unit each).
    for _ in 0..3 {
        let _ = s.wait(Z).unwrap();
    }
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|s2| {
        let (tids, res) = waiters(s2, 3, &done, || guarded(|t| s.wait(t)));
        assert_eq!(settle(&tids, &done), 0);
        assert_eq!(s.release(2).unwrap(), 0);
        for _ in 0..2 {
            assert_eq!(recv(&res, "waiter").1, WaitResult::Signaled(0));
        }
        assert_eq!(
            settle(&tids, &done),
            2,
            "a release of 2 released more than 2"
        );
        assert_eq!(s.count().unwrap(), (0, 3));
        assert_eq!(s.release(1).unwrap(), 0);
        let _ = recv(&res, "last waiter");
    });
    assert_eq!(s.count().unwrap(), (0, 3));
}

// ------------------------------------------------------------------------------------------
// Requirement 4: names and lifetime
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Mapping,
    Mutex,
    Event,
    Semaphore,
}

const KINDS: [K; 4] = [K::Mapping, K::Mutex, K::Event, K::Semaphore];

enum Obj {
    Mapping(Mapping),
    Mutex(Mutex),
    Event(Event),
    Semaphore(Semaphore),
}

impl std::fmt::Debug for Obj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (k, existed) = match self {
            Obj::Mapping(m) => ("mapping", m.already_existed()),
            Obj::Mutex(m) => ("mutex", m.already_existed()),
            Obj::Event(m) => ("event", m.already_existed()),
            Obj::Semaphore(m) => ("semaphore", m.already_existed()),
        };
        write!(f, "{k} (already_existed {existed})")
    }
}

impl Obj {
    fn existed(&self) -> bool {
        match self {
            Obj::Mapping(m) => m.already_existed(),
            Obj::Mutex(m) => m.already_existed(),
            Obj::Event(m) => m.already_existed(),
            Obj::Semaphore(m) => m.already_existed(),
        }
    }
}

fn create(ns: &Namespace, k: K, name: &str) -> fmap::Result<Obj> {
    Ok(match k {
        K::Mapping => Obj::Mapping(
            MappingOptions::new()
                .namespace(ns)
                .name(name)
                .size(4096)
                .create()?,
        ),
        K::Mutex => Obj::Mutex(Mutex::create_in(ns, Some(name), false)?),
        K::Event => Obj::Event(Event::create_in(ns, Some(name), false, false)?),
        K::Semaphore => Obj::Semaphore(Semaphore::create_in(ns, Some(name), 0, 1)?),
    })
}

fn open(ns: &Namespace, k: K, name: &str) -> fmap::Result<Obj> {
    Ok(match k {
        K::Mapping => Obj::Mapping(Mapping::open_in(ns, name, fmap::Access::READ)?),
        K::Mutex => Obj::Mutex(Mutex::open_in(
            ns,
            name,
            fmap::SyncAccess::MUTEX_ALL_ACCESS,
        )?),
        K::Event => Obj::Event(Event::open_in(
            ns,
            name,
            fmap::SyncAccess::EVENT_ALL_ACCESS,
        )?),
        K::Semaphore => Obj::Semaphore(Semaphore::open_in(
            ns,
            name,
            fmap::SyncAccess::SEMAPHORE_ALL_ACCESS,
        )?),
    })
}

#[test]
fn names_type_clash_between_all_kinds() {
    let (_d, ns) = namespace();
    for owner in KINDS {
        let name = format!("Local\\{owner:?}");
        let _held = create(&ns, owner, &name).unwrap();
        for other in KINDS {
            if other == owner {
                assert!(create(&ns, other, &name).unwrap().existed());
                assert!(open(&ns, other, &name).is_ok());
                continue;
            }
            expect_err(
                create(&ns, other, &name),
                ErrorKind::InvalidHandle,
                ERROR_INVALID_HANDLE,
            );
            expect_err(
                open(&ns, other, &name),
                ErrorKind::InvalidHandle,
                ERROR_INVALID_HANDLE,
            );
            // The bare name is the same as Local\.
            expect_err(
                open(&ns, other, &format!("{owner:?}")),
                ErrorKind::InvalidHandle,
                ERROR_INVALID_HANDLE,
            );
        }
    }
}

#[test]
fn names_missing_is_file_not_found() {
    let (_d, ns) = namespace();
    for k in KINDS {
        expect_err(
            open(&ns, k, "nothing"),
            ErrorKind::FileNotFound,
            ERROR_FILE_NOT_FOUND,
        );
    }
}

#[test]
fn names_already_exists_keeps_the_original_state() {
    let (_d, ns) = namespace();
    // Event: type (manual) and state are kept.
    let e = Event::create_in(&ns, Some("e"), true, false).unwrap();
    let e2 = Event::create_in(&ns, Some("e"), false, true).unwrap();
    assert!(e2.already_existed());
    assert!(e2.is_manual_reset().unwrap());
    assert!(!e2.is_set().unwrap());
    assert_eq!(e2.wait(Z).unwrap(), WaitResult::TimedOut);
    e.set().unwrap();
    let e3 = Event::create_in(&ns, Some("e"), false, false).unwrap();
    assert!(e3.is_set().unwrap());
    assert_eq!(e3.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert!(e3.is_set().unwrap(), "the event became auto-reset");
    // Auto-reset stays auto-reset.
    let a = Event::create_in(&ns, Some("a"), false, true).unwrap();
    let a2 = Event::create_in(&ns, Some("a"), true, false).unwrap();
    assert!(a2.already_existed());
    assert!(!a2.is_manual_reset().unwrap());
    assert!(a.is_set().unwrap());
    assert_eq!(a2.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(a.wait(Z).unwrap(), WaitResult::TimedOut);
    // Semaphore: counts kept.
    let s = Semaphore::create_in(&ns, Some("s"), 1, 2).unwrap();
    let s2 = Semaphore::create_in(&ns, Some("s"), 5, 10).unwrap();
    assert!(s2.already_existed());
    assert_eq!(s2.count().unwrap(), (1, 2));
    assert_eq!(s2.release(1).unwrap(), 1);
    expect_err(s2.release(1), ErrorKind::TooManyPosts, ERROR_TOO_MANY_POSTS);
    assert_eq!(s.count().unwrap(), (2, 2));
    // Open handles report already_existed too and share the state.
    let s3 = Semaphore::open_in(&ns, "s", fmap::SyncAccess::SEMAPHORE_ALL_ACCESS).unwrap();
    assert!(s3.already_existed());
    assert_eq!(s3.count().unwrap(), (2, 2));
    assert!(!s.already_existed());
}

#[test]
fn names_go_with_the_last_handle() {
    let (_d, ns) = namespace();
    for k in [K::Mutex, K::Event, K::Semaphore] {
        let name = format!("{k:?}");
        let first = create(&ns, k, &name).unwrap();
        assert!(!first.existed());
        let second = open(&ns, k, &name).unwrap();
        let dup = match &first {
            Obj::Mutex(m) => Obj::Mutex(m.duplicate(None).unwrap()),
            Obj::Event(e) => Obj::Event(e.duplicate(None).unwrap()),
            Obj::Semaphore(s) => Obj::Semaphore(s.duplicate(None).unwrap()),
            Obj::Mapping(_) => unreachable!(),
        };
        drop(first);
        assert!(open(&ns, k, &name).is_ok(), "{k:?}: gone with handles left");
        drop(second);
        assert!(
            open(&ns, k, &name).is_ok(),
            "{k:?}: gone with a duplicate left"
        );
        drop(dup);
        expect_err(
            open(&ns, k, &name),
            ErrorKind::FileNotFound,
            ERROR_FILE_NOT_FOUND,
        );
        // A new create makes a new object.
        assert!(!create(&ns, k, &name).unwrap().existed());
    }
    // The new object has the new state, not the old one.
    let e = Event::create_in(&ns, Some("ev"), true, true).unwrap();
    drop(e);
    let e = Event::create_in(&ns, Some("ev"), false, false).unwrap();
    assert!(!e.already_existed());
    assert!(!e.is_manual_reset().unwrap());
    assert!(!e.is_set().unwrap());
    let s = Semaphore::create_in(&ns, Some("sem"), 2, 2).unwrap();
    drop(s);
    let s = Semaphore::create_in(&ns, Some("sem"), 0, 7).unwrap();
    assert_eq!(s.count().unwrap(), (0, 7));
    // A mutex owned by a live thread: the name still goes with the last handle.
    let m = Mutex::create_in(&ns, Some("mx"), true).unwrap();
    drop(m);
    expect_err(
        Mutex::open_in(&ns, "mx", fmap::SyncAccess::MUTEX_ALL_ACCESS),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    let m = Mutex::create_in(&ns, Some("mx"), false).unwrap();
    assert!(!m.already_existed());
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
}

#[test]
fn unnamed_objects() {
    let (_d, ns) = namespace();
    for name in [None, Some("")] {
        let m1 = Mutex::create_in(&ns, name, false).unwrap();
        let m2 = Mutex::create_in(&ns, name, false).unwrap();
        assert!(!m1.already_existed() && !m2.already_existed());
        assert_eq!(m1.name(), None);
        let _ = fmap::wait_one(&m1, Z).unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                // Distinct objects.
                assert_eq!(fmap::wait_one(&m1, Z).unwrap(), WaitResult::TimedOut);
                assert_eq!(fmap::wait_one(&m2, Z).unwrap(), WaitResult::Signaled(0));
                m2.release().unwrap();
            });
        });
        m1.release().unwrap();
        let e1 = Event::create_in(&ns, name, true, false).unwrap();
        let e2 = Event::create_in(&ns, name, true, false).unwrap();
        assert!(!e2.already_existed());
        assert_eq!(e1.name(), None);
        e1.set().unwrap();
        assert!(!e2.is_set().unwrap());
        // A duplicate is the same object.
        let e1d = e1.duplicate(None).unwrap();
        assert!(e1d.is_set().unwrap());
        let s1 = Semaphore::create_in(&ns, name, 1, 1).unwrap();
        let s2 = Semaphore::create_in(&ns, name, 0, 5).unwrap();
        assert_eq!(s1.name(), None);
        assert_eq!(s1.count().unwrap(), (1, 1));
        assert_eq!(s2.count().unwrap(), (0, 5));
    }
    // Unnamed objects put nothing in the namespace.
    let _e = Event::create_in(&ns, None, false, false).unwrap();
    assert!(ns.list(fmap::Scope::Local).unwrap().is_empty());
}

// ------------------------------------------------------------------------------------------
// Access rights
// ------------------------------------------------------------------------------------------

#[test]
fn access_zero_is_denied() {
    let (_d, ns) = namespace();
    let _m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    let _e = Event::create_in(&ns, Some("e"), false, false).unwrap();
    let _s = Semaphore::create_in(&ns, Some("s"), 0, 1).unwrap();
    expect_err(
        Mutex::open_in(&ns, "m", fmap::SyncAccess::empty()),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        Event::open_in(&ns, "e", fmap::SyncAccess::empty()),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        Semaphore::open_in(&ns, "s", fmap::SyncAccess::empty()),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}

#[test]
fn access_mutex_needs_synchronize_to_wait_but_not_to_release() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    let rw = Mutex::open_in(
        &ns,
        "m",
        fmap::SyncAccess::from_bits_retain(GENERIC_READ | GENERIC_WRITE),
    )
    .unwrap();
    expect_err(
        fmap::wait_one(&rw, Z),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        wait_any(&[&rw], Z),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        wait_all(&[&rw], Z),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    assert!(
        !m.is_owned_by_current_thread().unwrap(),
        "a failed wait acquired"
    );
    let ex = Mutex::open_in(
        &ns,
        "m",
        fmap::SyncAccess::from_bits_retain(GENERIC_EXECUTE),
    )
    .unwrap();
    assert_eq!(fmap::wait_one(&ex, Z).unwrap(), WaitResult::Signaled(0));
    // ReleaseMutex needs no particular right.
    rw.release().unwrap();
    for right in [READ_CONTROL, SYNCHRONIZE, MUTANT_QUERY_STATE, DELETE] {
        let h = Mutex::open_in(&ns, "m", fmap::SyncAccess::from_bits_retain(right)).unwrap();
        let _ = fmap::wait_one(&m, Z).unwrap();
        h.release().unwrap();
        assert!(!m.is_owned_by_current_thread().unwrap());
    }
    // A reduced duplicate.
    let d = m
        .duplicate(Some(fmap::SyncAccess::from_bits_retain(READ_CONTROL)))
        .unwrap();
    expect_err(
        fmap::wait_one(&d, Z),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
}

#[test]
fn access_event_modify_state() {
    let (_d, ns) = namespace();
    let e = Event::create_in(&ns, Some("e"), true, false).unwrap();
    let sync_only =
        Event::open_in(&ns, "e", fmap::SyncAccess::from_bits_retain(SYNCHRONIZE)).unwrap();
    expect_err(
        sync_only.set(),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        sync_only.pulse(),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    assert!(!e.is_set().unwrap());
    assert_eq!(sync_only.wait(Z).unwrap(), WaitResult::TimedOut);
    e.set().unwrap();
    expect_err(
        sync_only.reset(),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    assert!(e.is_set().unwrap());
    assert_eq!(sync_only.wait(Z).unwrap(), WaitResult::Signaled(0));
    // EVENT_MODIFY_STATE without SYNCHRONIZE: can set, cannot wait.
    let modify = Event::open_in(
        &ns,
        "e",
        fmap::SyncAccess::from_bits_retain(EVENT_MODIFY_STATE),
    )
    .unwrap();
    modify.reset().unwrap();
    expect_err(modify.wait(Z), ErrorKind::AccessDenied, ERROR_ACCESS_DENIED);
    modify.set().unwrap();
    assert!(e.is_set().unwrap());
    modify.pulse().unwrap();
    assert!(!e.is_set().unwrap());
    // GENERIC_WRITE maps to EVENT_MODIFY_STATE; GENERIC_READ does not.
    Event::open_in(&ns, "e", fmap::SyncAccess::from_bits_retain(GENERIC_WRITE))
        .unwrap()
        .set()
        .unwrap();
    expect_err(
        Event::open_in(&ns, "e", fmap::SyncAccess::from_bits_retain(GENERIC_READ))
            .unwrap()
            .reset(),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    let dup = e
        .duplicate(Some(fmap::SyncAccess::from_bits_retain(SYNCHRONIZE)))
        .unwrap();
    expect_err(dup.reset(), ErrorKind::AccessDenied, ERROR_ACCESS_DENIED);
    assert!(e.is_set().unwrap());
}

#[test]
fn access_semaphore_modify_state() {
    let (_d, ns) = namespace();
    let s = Semaphore::create_in(&ns, Some("s"), 0, 2).unwrap();
    let sync_only =
        Semaphore::open_in(&ns, "s", fmap::SyncAccess::from_bits_retain(SYNCHRONIZE)).unwrap();
    expect_err(
        sync_only.release(1),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    assert_eq!(s.count().unwrap(), (0, 2));
    let modify = Semaphore::open_in(
        &ns,
        "s",
        fmap::SyncAccess::from_bits_retain(SEMAPHORE_MODIFY_STATE),
    )
    .unwrap();
    assert_eq!(modify.release(1).unwrap(), 0);
    expect_err(modify.wait(Z), ErrorKind::AccessDenied, ERROR_ACCESS_DENIED);
    assert_eq!(s.count().unwrap(), (1, 2));
    assert_eq!(sync_only.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(s.count().unwrap(), (0, 2));
    assert_eq!(
        Semaphore::open_in(&ns, "s", fmap::SyncAccess::from_bits_retain(GENERIC_WRITE))
            .unwrap()
            .release(2)
            .unwrap(),
        0
    );
    assert_eq!(s.count().unwrap(), (2, 2));
}

// ------------------------------------------------------------------------------------------
// Requirement 5: waiting
// ------------------------------------------------------------------------------------------

#[test]
fn wait_timeouts_acquire_nothing() {
    let (_d, ns) = namespace();
    let sem = Semaphore::create_in(&ns, None, 0, 1).unwrap();
    let ev = Event::create_in(&ns, None, false, false).unwrap();
    let m = Mutex::create_in(&ns, None, false).unwrap();
    std::thread::scope(|s| {
        let exit_tx = hold(s, &m, true);
        for t in [Z, Some(Duration::from_millis(30))] {
            assert_eq!(sem.wait(t).unwrap(), WaitResult::TimedOut);
            assert_eq!(ev.wait(t).unwrap(), WaitResult::TimedOut);
            assert_eq!(fmap::wait_one(&m, t).unwrap(), WaitResult::TimedOut);
            assert_eq!(wait_any(&[&sem, &ev, &m], t).unwrap(), WaitResult::TimedOut);
            assert_eq!(wait_all(&[&sem, &ev, &m], t).unwrap(), WaitResult::TimedOut);
        }
        assert_eq!(WaitResult::TimedOut.to_win32(), WAIT_TIMEOUT);
        // Wait-all with all but the mutex available: nothing consumed.
        sem.release(1).unwrap();
        ev.set().unwrap();
        for t in [Z, Some(Duration::from_millis(30))] {
            assert_eq!(wait_all(&[&sem, &ev, &m], t).unwrap(), WaitResult::TimedOut);
            assert_eq!(sem.count().unwrap(), (1, 1));
            assert!(ev.is_set().unwrap());
            assert!(!m.is_owned_by_current_thread().unwrap());
        }
        exit_tx.send(()).unwrap();
    });
    // A semaphore timeout leaves the count, an event timeout the state.
    assert_eq!(
        wait_all(&[&sem, &ev, &m], Z).unwrap(),
        WaitResult::Signaled(0)
    );
    assert_eq!(sem.count().unwrap(), (0, 1));
    assert!(!ev.is_set().unwrap());
    assert!(m.is_owned_by_current_thread().unwrap());
    m.release().unwrap();
}

/// WT-SYNC `test_WaitForMultipleObjects`: 64 events, index 0 manual, the others auto-reset.
#[test]
fn wait_any_returns_lowest_index_and_modifies_only_it() {
    let (_d, ns) = namespace();
    let evs: Vec<Event> = (0..64)
        .map(|i| Event::create_in(&ns, None, i == 0, true).unwrap())
        .collect();
    let refs: Vec<&dyn Waitable> = evs.iter().map(|e| e as &dyn Waitable).collect();
    assert_eq!(wait_any(&refs, Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(wait_any(&refs, Z).unwrap(), WaitResult::Signaled(0));
    assert!(evs.iter().all(|e| e.is_set().unwrap()));
    evs[0].reset().unwrap();
    for i in 1..64 {
        assert_eq!(wait_any(&refs, Z).unwrap(), WaitResult::Signaled(i));
        assert_eq!(WaitResult::Signaled(i).to_win32(), WAIT_OBJECT_0 + i as u32);
        for (j, e) in evs.iter().enumerate() {
            assert_eq!(e.is_set().unwrap(), j > i, "after wait {i}, event {j}");
        }
    }
    assert_eq!(wait_any(&refs, Z).unwrap(), WaitResult::TimedOut);
    // Mixed types: only the winner changes.
    let s0 = Semaphore::create_in(&ns, None, 0, 5).unwrap();
    let m = Mutex::create_in(&ns, None, false).unwrap();
    let s2 = Semaphore::create_in(&ns, None, 2, 5).unwrap();
    let e3 = Event::create_in(&ns, None, false, true).unwrap();
    assert_eq!(
        wait_any(&[&s0, &m, &s2, &e3], Z).unwrap(),
        WaitResult::Signaled(1)
    );
    assert!(m.is_owned_by_current_thread().unwrap());
    assert_eq!(s2.count().unwrap(), (2, 5));
    assert!(e3.is_set().unwrap());
    // The mutex is ours: it counts as signaled again (recursion).
    assert_eq!(
        wait_any(&[&s0, &m, &s2, &e3], Z).unwrap(),
        WaitResult::Signaled(1)
    );
    m.release().unwrap();
    m.release().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let _ = fmap::wait_one(&m, Z).unwrap();
            assert_eq!(
                wait_any(&[&s0, &m, &s2, &e3], Z).unwrap(),
                WaitResult::Signaled(1)
            );
            m.release().unwrap();
            m.release().unwrap();
        });
    });
    // Owned by nobody again; now owned elsewhere → next index.
    std::thread::scope(|s| {
        let exit_tx = hold(s, &m, true);
        assert_eq!(
            wait_any(&[&s0, &m, &s2, &e3], Z).unwrap(),
            WaitResult::Signaled(2)
        );
        assert_eq!(s2.count().unwrap(), (1, 5));
        assert!(e3.is_set().unwrap());
        exit_tx.send(()).unwrap();
    });
    // The same object twice is allowed in wait-any.
    let e3d = e3.duplicate(None).unwrap();
    assert_eq!(wait_any(&[&e3, &e3d], Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(wait_any(&[&e3, &e3d], Z).unwrap(), WaitResult::TimedOut);
}

#[test]
fn wait_object_count_limits() {
    let (_d, ns) = namespace();
    let evs: Vec<Event> = (0..65)
        .map(|_| Event::create_in(&ns, None, true, true).unwrap())
        .collect();
    let r65: Vec<&dyn Waitable> = evs.iter().map(|e| e as &dyn Waitable).collect();
    for r in [wait_any(&r65, Z), wait_all(&r65, Z), wait_any(&r65, GUARD)] {
        expect_err(r, ErrorKind::InvalidParameter, ERROR_INVALID_PARAMETER);
    }
    expect_err(
        wait_any(&[], Z),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
    expect_err(
        wait_all(&[], Z),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
    expect_err(
        wait_all(&[], None),
        ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
    // 64 is fine, for both.
    assert_eq!(wait_any(&r65[..64], Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(wait_all(&r65[1..], Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(MAXIMUM_WAIT_OBJECTS, 64);
}

#[test]
fn wait_all_rejects_duplicates() {
    // Detached: an implementation that let a duplicate through could deadlock on the object's
    // own lock; that must fail the test, not hang it.
    detached("wait-all with duplicates", || {
        let (_d, ns) = namespace();
        let e = Event::create_in(&ns, Some("e"), false, true).unwrap();
        let s = Semaphore::create_in(&ns, Some("s"), 1, 1).unwrap();
        let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
        let e_dup = e.duplicate(None).unwrap();
        let s_open =
            Semaphore::open_in(&ns, "s", fmap::SyncAccess::from_bits_retain(SYNCHRONIZE)).unwrap();
        let m_dup = m.duplicate(None).unwrap();
        let cases: [&[&dyn Waitable]; 5] = [
            &[&e, &e],
            &[&e, &e_dup],
            &[&s, &e, &s_open],
            &[&m, &s, &m_dup],
            &[&m_dup, &e, &s, &m],
        ];
        for objs in cases {
            expect_err(
                wait_all(objs, Z),
                ErrorKind::InvalidParameter,
                ERROR_INVALID_PARAMETER,
            );
            expect_err(
                wait_all(objs, GUARD),
                ErrorKind::InvalidParameter,
                ERROR_INVALID_PARAMETER,
            );
        }
        // Nothing was acquired.
        assert!(e.is_set().unwrap());
        assert_eq!(s.count().unwrap(), (1, 1));
        assert!(!m.is_owned_by_current_thread().unwrap());
        // Distinct objects: fine.
        assert_eq!(wait_all(&[&m, &s, &e], Z).unwrap(), WaitResult::Signaled(0));
        m.release().unwrap();
    });
}

/// Wait-all with a mutex owned by another thread: nothing is consumed while it is owned; the
/// wait completes atomically once it is released. And a waiting wait-all holds nothing.
#[test]
fn wait_all_is_all_or_nothing() {
    let (_d, ns) = namespace();
    let e = Event::create_in(&ns, None, false, true).unwrap();
    let s = Semaphore::create_in(&ns, None, 1, 1).unwrap();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|sc| {
        let rel_tx = hold(sc, &m, true);
        assert_eq!(wait_all(&[&e, &s, &m], Z).unwrap(), WaitResult::TimedOut);
        let (tids, res) = waiters(sc, 1, &done, || {
            let r = guarded(|t| wait_all(&[&e, &s, &m], t));
            assert!(m.is_owned_by_current_thread().unwrap());
            m.release().unwrap();
            r
        });
        settle(&tids, &done);
        // Asleep in the wait-all: nothing consumed.
        assert!(e.is_set().unwrap());
        assert_eq!(s.count().unwrap(), (1, 1));
        // Take and give back the semaphore and the event: the wait-all must keep waiting.
        assert_eq!(s.wait(Z).unwrap(), WaitResult::Signaled(0));
        assert_eq!(s.release(1).unwrap(), 0);
        assert_eq!(e.wait(Z).unwrap(), WaitResult::Signaled(0));
        e.set().unwrap();
        assert_eq!(settle(&tids, &done), 0);
        rel_tx.send(()).unwrap();
        assert_eq!(recv(&res, "wait-all").1, WaitResult::Signaled(0));
    });
    assert!(!e.is_set().unwrap());
    assert_eq!(s.count().unwrap(), (0, 1));

    // A waiting wait-all holds nothing: another thread can take the free mutex meanwhile.
    let e2 = Event::create_in(&ns, None, false, false).unwrap();
    let done = std::sync::Mutex::new(HashSet::new());
    std::thread::scope(|sc| {
        let (tids, res) = waiters(sc, 1, &done, || {
            let r = guarded(|t| wait_all(&[&e2, &m], t));
            m.release().unwrap();
            r
        });
        settle(&tids, &done);
        assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
        e2.set().unwrap();
        assert_eq!(
            settle(&tids, &done),
            0,
            "wait-all completed while the mutex was owned"
        );
        assert!(
            e2.is_set().unwrap(),
            "wait-all consumed the event without the mutex"
        );
        m.release().unwrap();
        assert_eq!(recv(&res, "wait-all").1, WaitResult::Signaled(0));
    });
    assert!(!e2.is_set().unwrap());
    assert!(!m.is_owned_by_current_thread().unwrap());
}

#[test]
fn wait_all_with_a_mutex_the_caller_owns() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, None, true).unwrap();
    let e = Event::create_in(&ns, None, false, true).unwrap();
    let s = Semaphore::create_in(&ns, None, 1, 1).unwrap();
    assert_eq!(wait_all(&[&e, &m, &s], Z).unwrap(), WaitResult::Signaled(0));
    assert!(!e.is_set().unwrap());
    assert_eq!(s.count().unwrap(), (0, 1));
    // Owned twice now.
    m.release().unwrap();
    assert!(m.is_owned_by_current_thread().unwrap());
    m.release().unwrap();
    expect_err(m.release(), ErrorKind::NotOwner, ERROR_NOT_OWNER);
}

/// A file mapping is not waitable (spec §4.8, §8.7): waiting on one fails with
/// `ERROR_ACCESS_DENIED` (a section handle cannot have `SYNCHRONIZE`), alone or among other
/// objects, and nothing else is acquired. The same holds for any object whose `wait_target`
/// fails.
#[test]
fn mapping_is_not_waitable() {
    let (_d, ns) = namespace();
    let map = MappingOptions::new()
        .namespace(&ns)
        .name("map")
        .size(4096)
        .create()
        .unwrap();
    let e = Event::create_in(&ns, None, false, true).unwrap();
    let m = Mutex::create_in(&ns, None, false).unwrap();
    let s = Semaphore::create_in(&ns, None, 1, 1).unwrap();
    for t in [Z, GUARD, None] {
        expect_err(
            wait_one(&map, t),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
        expect_err(
            wait_any(&[&e, &m, &s, &map], t),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
        expect_err(
            wait_all(&[&e, &m, &s, &map], t),
            ErrorKind::AccessDenied,
            ERROR_ACCESS_DENIED,
        );
    }
    assert!(e.is_set().unwrap());
    assert!(!m.is_owned_by_current_thread().unwrap());
    assert_eq!(s.count().unwrap(), (1, 1));
    // Also through a handle opened with every right.
    let all = Mapping::open_in(&ns, "map", fmap::Access::ALL).unwrap();
    expect_err(
        wait_one(&all, Z),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );

    struct NotSync;
    impl Waitable for NotSync {
        fn wait_target(&self) -> fmap::Result<WaitTarget<'_>> {
            Err(Error::new(ErrorKind::InvalidHandle, "not waitable"))
        }
    }
    expect_err(
        wait_any(&[&e, &NotSync], Z),
        ErrorKind::InvalidHandle,
        ERROR_INVALID_HANDLE,
    );
    expect_err(
        wait_all(&[&m, &e, &NotSync], Z),
        ErrorKind::InvalidHandle,
        ERROR_INVALID_HANDLE,
    );
    expect_err(
        wait_one(&NotSync, GUARD),
        ErrorKind::InvalidHandle,
        ERROR_INVALID_HANDLE,
    );
    assert!(e.is_set().unwrap());
    assert!(!m.is_owned_by_current_thread().unwrap());
    // So does a handle without SYNCHRONIZE among good ones.
    let m2 = Mutex::create_in(&ns, Some("m"), false).unwrap();
    let no_sync =
        Mutex::open_in(&ns, "m", fmap::SyncAccess::from_bits_retain(READ_CONTROL)).unwrap();
    expect_err(
        wait_any(&[&e, &no_sync], Z),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    assert!(e.is_set().unwrap());
    assert!(!m2.is_owned_by_current_thread().unwrap());
}

/// Closing the last handle to a mutex the calling thread owns frees the mutex (nobody can wait
/// on it or release it any more): repeated create-owned-and-close must not keep a mapping
/// behind each time (it used to, until the process ran out of mappings).
#[test]
fn closing_an_owned_mutex_for_good_frees_it() {
    let memfd_maps = || {
        std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .filter(|l| l.contains("/memfd:fmap"))
            .count()
    };
    let before = memfd_maps();
    for _ in 0..3000 {
        let m = Mutex::create(None, true).unwrap();
        assert!(m.is_owned_by_current_thread().unwrap());
        drop(m);
    }
    let grown = memfd_maps().saturating_sub(before);
    assert!(
        grown < 500,
        "{grown} mappings left behind by 3000 closed owned mutexes"
    );

    // Named, and the last handle anywhere: the name goes, and a new mutex of that name is new.
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("owned"), true).unwrap();
    drop(m);
    let m = Mutex::create_in(&ns, Some("owned"), false).unwrap();
    assert!(!m.already_existed());
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
}

/// The builders (`EventOptions`, `MutexOptions`, `SemaphoreOptions`) make the same objects as
/// the positional `create_in`, with `CreateEvent`/`CreateMutex`/`CreateSemaphore`'s defaults,
/// and the same errors.
#[test]
fn option_builders_match_the_positional_constructors() {
    let (_d, ns) = namespace();
    let e = fmap::EventOptions::new()
        .namespace(&ns)
        .name("b-ev")
        .create()
        .unwrap();
    assert!(!e.is_manual_reset().unwrap() && !e.is_set().unwrap() && !e.already_existed());
    let e2 = fmap::EventOptions::new()
        .namespace(&ns)
        .name("b-ev")
        .manual_reset(true)
        .create()
        .unwrap();
    assert!(
        e2.already_existed() && !e2.is_manual_reset().unwrap(),
        "options of an existing name are ignored"
    );
    let m = fmap::MutexOptions::new()
        .namespace(&ns)
        .name("b-mx")
        .initial_owner(true)
        .create()
        .unwrap();
    assert!(m.is_owned_by_current_thread().unwrap());
    m.release().unwrap();
    let s = fmap::SemaphoreOptions::default()
        .namespace(&ns)
        .name("b-sem")
        .create()
        .unwrap();
    assert_eq!(s.count().unwrap(), (0, 1));
    expect_err(
        fmap::SemaphoreOptions::new()
            .namespace(&ns)
            .initial(2)
            .maximum(1)
            .create(),
        fmap::ErrorKind::InvalidParameter,
        ERROR_INVALID_PARAMETER,
    );
    // Unnamed objects.
    let u = fmap::EventOptions::new()
        .initially_set(true)
        .create()
        .unwrap();
    assert!(u.name().is_none() && u.is_set().unwrap());
}
