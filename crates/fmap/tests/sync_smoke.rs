mod common;

use common::{namespace, Z};
use fmap::win32::*;
use fmap::{wait_all, wait_any, ErrorKind, Event, Mutex, Semaphore, WaitResult, Waitable};
use std::time::Duration;

#[test]
fn mutex_basics() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("m"), true).unwrap();
    assert!(!m.already_existed());
    assert!(m.is_owned_by_current_thread().unwrap());
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0)); // recursion
    m.release().unwrap();
    m.release().unwrap();
    assert_eq!(m.release().unwrap_err().kind(), ErrorKind::NotOwner);
    let m2 = Mutex::open_in(&ns, "m", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap();
    let g = m2.lock().unwrap();
    assert!(!g.was_abandoned());
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::TimedOut);
            assert_eq!(m.release().unwrap_err().kind(), ErrorKind::NotOwner);
        });
    });
    drop(g);
    // Abandonment by a thread that exits while owning.
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
        });
    });
    assert_eq!(
        fmap::wait_one(&m, Some(Duration::from_secs(5))).unwrap(),
        WaitResult::Abandoned(0)
    );
    m.release().unwrap();
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
    // Type clash.
    assert_eq!(
        Event::create_in(&ns, Some("m"), false, false)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidHandle
    );
    assert_eq!(
        Event::open_in(&ns, "m", fmap::SyncAccess::EVENT_ALL_ACCESS)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidHandle
    );
}

#[test]
fn blocked_waiter_sees_abandonment() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("m"), false).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
            tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(100));
        });
        rx.recv().unwrap();
        assert_eq!(
            fmap::wait_one(&m, Some(Duration::from_secs(10))).unwrap(),
            WaitResult::Abandoned(0)
        );
    });
    m.release().unwrap();
}

#[test]
fn events() {
    let (_d, ns) = namespace();
    let e = Event::create_in(&ns, Some("e"), false, true).unwrap();
    assert_eq!(e.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(e.wait(Z).unwrap(), WaitResult::TimedOut);
    e.set().unwrap();
    e.set().unwrap();
    assert_eq!(e.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(e.wait(Z).unwrap(), WaitResult::TimedOut);
    let me = Event::create_in(&ns, Some("me"), true, false).unwrap();
    me.set().unwrap();
    assert_eq!(me.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(me.wait(Z).unwrap(), WaitResult::Signaled(0));
    me.reset().unwrap();
    assert_eq!(me.wait(Z).unwrap(), WaitResult::TimedOut);
    me.pulse().unwrap();
    assert_eq!(me.wait(Z).unwrap(), WaitResult::TimedOut);
    // Pulse releases all current waiters of a manual event.
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .map(|_| s.spawn(|| me.wait(Some(Duration::from_secs(10))).unwrap()))
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        me.pulse().unwrap();
        for h in hs {
            assert_eq!(h.join().unwrap(), WaitResult::Signaled(0));
        }
    });
    assert!(!me.is_set().unwrap());
    // Auto-reset pulse releases exactly one.
    let ae = Event::create_in(&ns, None, false, false).unwrap();
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .map(|_| s.spawn(|| ae.wait(Some(Duration::from_millis(1500))).unwrap()))
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        ae.pulse().unwrap();
        let ok = hs
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|r| *r == WaitResult::Signaled(0))
            .count();
        assert_eq!(ok, 1);
    });
    assert!(!ae.is_set().unwrap());
}

#[test]
fn semaphores() {
    let (_d, ns) = namespace();
    assert_eq!(
        Semaphore::create_in(&ns, Some("s"), 2, 1)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidParameter
    );
    assert_eq!(
        Semaphore::create_in(&ns, Some("s"), 0, 0)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidParameter
    );
    let s = Semaphore::create_in(&ns, Some("s"), 1, 2).unwrap();
    assert_eq!(s.release(1).unwrap(), 1);
    assert_eq!(s.release(1).unwrap_err().kind(), ErrorKind::TooManyPosts);
    assert_eq!(s.count().unwrap(), (2, 2));
    assert_eq!(s.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(s.wait(Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(s.wait(Z).unwrap(), WaitResult::TimedOut);
    let s2 = Semaphore::create_in(&ns, Some("s"), 0, 9).unwrap();
    assert!(s2.already_existed());
    assert_eq!(s2.count().unwrap(), (0, 2));
}

#[test]
fn waits() {
    let (_d, ns) = namespace();
    let evs: Vec<Event> = (0..64)
        .map(|i| Event::create_in(&ns, None, i == 0, true).unwrap())
        .collect();
    let refs: Vec<&dyn Waitable> = evs.iter().map(|e| e as &dyn Waitable).collect();
    assert_eq!(wait_any(&refs, Z).unwrap(), WaitResult::Signaled(0));
    assert_eq!(wait_any(&refs, Z).unwrap(), WaitResult::Signaled(0));
    evs[0].reset().unwrap();
    for i in 1..64 {
        assert_eq!(wait_any(&refs, Z).unwrap(), WaitResult::Signaled(i));
    }
    assert_eq!(wait_any(&refs, Z).unwrap(), WaitResult::TimedOut);
    let e65: Vec<Event> = (0..65)
        .map(|_| Event::create_in(&ns, None, false, true).unwrap())
        .collect();
    let r65: Vec<&dyn Waitable> = e65.iter().map(|e| e as &dyn Waitable).collect();
    assert_eq!(
        wait_any(&r65, Z).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    // wait-all: all or nothing.
    let a = Event::create_in(&ns, None, false, true).unwrap();
    let b = Semaphore::create_in(&ns, None, 0, 1).unwrap();
    let m = Mutex::create_in(&ns, None, false).unwrap();
    assert_eq!(wait_all(&[&a, &b, &m], Z).unwrap(), WaitResult::TimedOut);
    assert!(a.is_set().unwrap());
    b.release(1).unwrap();
    assert_eq!(wait_all(&[&a, &b, &m], Z).unwrap(), WaitResult::Signaled(0));
    assert!(!a.is_set().unwrap());
    assert_eq!(b.count().unwrap().0, 0);
    assert!(m.is_owned_by_current_thread().unwrap());
    m.release().unwrap();
    let a2 = a.duplicate(None).unwrap();
    assert_eq!(
        wait_all(&[&a, &a2], Z).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    // No SYNCHRONIZE → cannot wait.
    let named = Mutex::create_in(&ns, Some("x"), false).unwrap();
    let rw = Mutex::open_in(
        &ns,
        "x",
        fmap::SyncAccess::from_bits_retain(GENERIC_READ | GENERIC_WRITE),
    )
    .unwrap();
    assert_eq!(
        fmap::wait_one(&rw, Z).unwrap_err().kind(),
        ErrorKind::AccessDenied
    );
    let ex = Mutex::open_in(
        &ns,
        "x",
        fmap::SyncAccess::from_bits_retain(GENERIC_EXECUTE),
    )
    .unwrap();
    assert_eq!(fmap::wait_one(&ex, Z).unwrap(), WaitResult::Signaled(0));
    ex.release().unwrap();
    drop(named);
    // Blocking wait-any woken by a set from another thread.
    let w = Event::create_in(&ns, None, false, false).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            w.set().unwrap();
        });
        assert_eq!(
            wait_any(&[&evs[5], &w], Some(Duration::from_secs(10))).unwrap(),
            WaitResult::Signaled(1)
        );
    });
}

#[test]
fn a_leaked_guard_keeps_ownership_until_release() {
    let (_d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("leak"), false).unwrap();
    m.lock().unwrap().leak();
    assert!(m.is_owned_by_current_thread().unwrap());
    std::thread::scope(|s| {
        s.spawn(|| {
            assert!(
                m.try_lock().unwrap().is_none(),
                "another thread got a leaked mutex"
            )
        });
    });
    m.release().unwrap();
    assert_eq!(m.release().unwrap_err().kind(), ErrorKind::NotOwner);
    // A guard that is dropped releases: another thread can take it.
    drop(m.lock_timeout(Some(Duration::ZERO)).unwrap().unwrap());
    std::thread::scope(|s| {
        s.spawn(|| assert!(m.try_lock().unwrap().is_some()));
    });
}

#[test]
fn typed_sync_rights_limit_what_a_handle_does() {
    let (_d, ns) = namespace();
    let e = Event::create_in(&ns, Some("rights"), true, false).unwrap();
    let waiter = Event::open_in(&ns, "rights", fmap::SyncAccess::SYNCHRONIZE).unwrap();
    assert_eq!(waiter.access(), fmap::SyncAccess::SYNCHRONIZE);
    assert_eq!(waiter.set().unwrap_err().kind(), ErrorKind::AccessDenied);
    let setter = Event::open_in(&ns, "rights", fmap::SyncAccess::MODIFY_STATE).unwrap();
    setter.set().unwrap();
    assert_eq!(
        fmap::wait_one(&setter, Some(Duration::ZERO))
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
    assert_eq!(
        fmap::wait_one(&waiter, Some(Duration::ZERO)).unwrap(),
        WaitResult::Signaled(0)
    );
    assert_eq!(
        e.duplicate(Some(fmap::SyncAccess::GENERIC_ALL))
            .unwrap()
            .access(),
        fmap::SyncAccess::EVENT_ALL_ACCESS
    );
    // MODIFY_STATE is not a mutex right.
    let _m = Mutex::create_in(&ns, Some("rights-m"), false).unwrap();
    assert_eq!(
        Mutex::open_in(&ns, "rights-m", fmap::SyncAccess::MODIFY_STATE)
            .unwrap_err()
            .kind(),
        ErrorKind::AccessDenied
    );
}
