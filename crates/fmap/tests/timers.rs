//! Waitable timers (issue 14): in one process and across processes, through the same wait
//! engine as every other object.
//!
//! No test asserts an upper bound on latency. "Not signaled before the due time" is checked by
//! reading `CLOCK_MONOTONIC` (which every process of a boot shares) when a wait returns;
//! timeouts are hang guards only (using one up is a failure: that is how a lost wake-up shows).
//! The children are this binary run again (see `common`), in the default namespace through
//! `FMAP_ROOT`.

#[macro_use]
mod common;

use common::{
    asleep_in_wait, expect_err, namespace, num, report, tid, var, Ctx, Proc, GUARD_D, R, Z,
};
use fmap::win32::*;
use fmap::{
    wait_all, wait_any, DueTime, ErrorKind, Event, SyncAccess, Timer, TimerOptions, WaitResult,
    Waitable,
};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FMAP_TIMER_CHILD";

/// `CLOCK_MONOTONIC` in nanoseconds (the clock timers run on).
fn mono_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn ms(n: u64) -> DueTime {
    DueTime::After(Duration::from_millis(n))
}

/// A wait with a hang guard; using up the guard is a failure.
fn guarded(what: &str, w: &dyn Waitable) -> R<WaitResult> {
    let start = Instant::now();
    let r = fmap::wait_one(w, Some(GUARD_D)).ctx(what)?;
    check!(
        start.elapsed() < GUARD_D,
        "{what}: ran into its hang guard ({r:?})"
    );
    Ok(r)
}

fn wait_asleep(pid: u32, tid: i32) {
    let deadline = Instant::now() + GUARD_D;
    while !asleep_in_wait(pid, tid) {
        assert!(Instant::now() < deadline, "{pid}/{tid} never slept");
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ------------------------------------------------------------------------------------------
// The child side
// ------------------------------------------------------------------------------------------

#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run_role);
}

fn run_role(role: &str) -> R {
    match role {
        "wait" => role_wait(),
        "create_armed" => role_create_armed(),
        "set" => role_set(),
        other => Err(format!("unknown role {other:?}")),
    }
}

/// Opens timer `FMAP_NAME` with `SYNCHRONIZE`, reports `WAITING <tid>`, waits for it (hang
/// guard) and reports `WOKE <CLOCK_MONOTONIC ns>`.
fn role_wait() -> R {
    let name = var("FMAP_NAME");
    let t = Timer::open(&name, SyncAccess::SYNCHRONIZE).ctx(&name)?;
    report(&format!("WAITING {}", tid()));
    let r = guarded("timer wait", &t)?;
    let now = mono_ns();
    check!(r == WaitResult::Signaled(0), "wait returned {r:?}");
    report(&format!("WOKE {now}"));
    Ok(())
}

/// Creates the named timer `FMAP_NAME`, set an hour ahead, reports `READY` and waits to be
/// killed.
fn role_create_armed() -> R {
    let name = var("FMAP_NAME");
    let t = Timer::create(Some(&name), true).ctx(&name)?;
    t.set(DueTime::After(Duration::from_secs(3600)), 0)
        .ctx("set")?;
    report("READY");
    common::read_stdin_line();
    Ok(())
}

/// Opens timer `FMAP_NAME` with `TIMER_MODIFY_STATE` only, sets it `FMAP_MS` ahead and reports
/// `SET <CLOCK_MONOTONIC ns before the set>`.
fn role_set() -> R {
    let name = var("FMAP_NAME");
    let t = Timer::open(&name, SyncAccess::MODIFY_STATE).ctx(&name)?;
    let before = mono_ns();
    t.set(ms(num("FMAP_MS")), 0).ctx("set")?;
    report(&format!("SET {before}"));
    Ok(())
}

fn field(line: &str) -> u64 {
    line.trim().parse().unwrap()
}

// ------------------------------------------------------------------------------------------
// Across processes
// ------------------------------------------------------------------------------------------

/// A waiter in another process, asleep on a timer nobody has set, is woken by a set in this
/// process — not before the due time.
#[test]
fn a_set_in_one_process_wakes_a_waiter_in_another() {
    let (d, ns) = namespace();
    let t = Timer::create_in(&ns, Some("x_timer"), false).unwrap();
    let mut c = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "wait",
        &[("FMAP_NAME", "x_timer".into())],
    );
    let tid = field(&c.expect("FMAP:WAITING")) as i32;
    wait_asleep(c.pid(), tid);
    let before = mono_ns();
    t.set(ms(50), 0).unwrap();
    let woke = field(&c.expect("FMAP:WOKE"));
    assert!(
        woke >= before + 50_000_000,
        "woke at {woke}, before the due time {}",
        before + 50_000_000
    );
    c.wait_success();
    // The waiter consumed the synchronization timer's signal.
    assert_eq!(t.wait(Z).unwrap(), WaitResult::TimedOut);
}

/// The other direction: a process with only `TIMER_MODIFY_STATE` sets the timer this process
/// waits on.
#[test]
fn a_set_in_another_process_wakes_a_waiter_here() {
    let (d, ns) = namespace();
    let t = Timer::create_in(&ns, Some("y_timer"), true).unwrap();
    let mut c = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "set",
        &[("FMAP_NAME", "y_timer".into()), ("FMAP_MS", "30".into())],
    );
    let set_at = field(&c.expect("FMAP:SET"));
    assert_eq!(guarded("wait", &t), Ok(WaitResult::Signaled(0)));
    assert!(mono_ns() >= set_at + 30_000_000);
    c.wait_success();
    // Manual reset: still signaled after the child and its handle are gone.
    assert!(t.is_signaled().unwrap());
}

/// A synchronization timer's expiry releases exactly one of two waiters in two processes; the
/// next expiry releases the other.
#[test]
fn a_synchronization_timer_releases_exactly_one_of_two_waiters() {
    let (d, ns) = namespace();
    let t = Timer::create_in(&ns, Some("one_timer"), false).unwrap();
    let env = [("FMAP_NAME", "one_timer".to_owned())];
    let mut a = Proc::spawn(CHILD_ENV, d.path(), "wait", &env);
    let mut b = Proc::spawn(CHILD_ENV, d.path(), "wait", &env);
    let ta = field(&a.expect("FMAP:WAITING")) as i32;
    let tb = field(&b.expect("FMAP:WAITING")) as i32;
    wait_asleep(a.pid(), ta);
    wait_asleep(b.pid(), tb);
    t.set(ms(10), 0).unwrap();
    // One of them wakes.
    let (tx, rx) = std::sync::mpsc::channel();
    let h = std::thread::spawn(move || {
        let first = std::thread::scope(|s| {
            let ja = s.spawn(|| a.expect("FMAP:WOKE"));
            let jb = s.spawn(|| b.expect("FMAP:WOKE"));
            // Second expiry once the first woke: due time recorded for the final check.
            let _ = rx.recv();
            (ja.join().unwrap(), jb.join().unwrap())
        });
        a.wait_success();
        b.wait_success();
        first
    });
    // Wait until the first expiry has been consumed (the timer is no longer armed and not
    // signaled), then set the second one.
    let deadline = Instant::now() + GUARD_D;
    loop {
        let st = (t.due_in().unwrap(), t.is_signaled().unwrap());
        if st == (None, false) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first expiry was never consumed"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let before2 = mono_ns();
    t.set(ms(10), 0).unwrap();
    tx.send(()).unwrap();
    let (wa, wb) = h.join().unwrap();
    let (wa, wb) = (field(&wa), field(&wb));
    // One woke on each expiry: the later one after the second due time.
    assert!(wa.max(wb) >= before2 + 10_000_000, "{wa} {wb} {before2}");
    // Had both woken on the first expiry, the second would still be signaled now.
    while mono_ns() < before2 + 10_000_000 {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(t.wait(Z).unwrap(), WaitResult::TimedOut);
}

/// A named timer's name dies with its last handle, also when that handle was in a process
/// killed with SIGKILL.
#[test]
fn a_timer_name_dies_with_its_last_handle_also_after_sigkill() {
    let (d, ns) = namespace();
    let mut c = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "create_armed",
        &[("FMAP_NAME", "k_timer".into())],
    );
    c.expect("FMAP:READY");
    {
        let t = Timer::open_in(&ns, "k_timer", SyncAccess::TIMER_ALL_ACCESS).unwrap();
        assert!(t.is_manual_reset().unwrap());
        assert!(t.due_in().unwrap().is_some());
        assert!(!t.is_signaled().unwrap());
    }
    c.kill_running();
    expect_err(
        Timer::open_in(&ns, "k_timer", SyncAccess::SYNCHRONIZE),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
    // In-process: the last close removes the name.
    let t = Timer::create_in(&ns, Some("k_timer"), false).unwrap();
    assert!(!t.already_existed());
    assert!(!t.is_manual_reset().unwrap());
    assert!(t.due_in().unwrap().is_none());
    drop(t);
    expect_err(
        Timer::open_in(&ns, "k_timer", SyncAccess::SYNCHRONIZE),
        ErrorKind::FileNotFound,
        ERROR_FILE_NOT_FOUND,
    );
}

// ------------------------------------------------------------------------------------------
// Semantics (one process)
// ------------------------------------------------------------------------------------------

/// A timer nobody set is not signaled; a set one is not signaled before its due time and is
/// after it.
#[test]
fn not_signaled_before_the_due_time() {
    let (_d, ns) = namespace();
    for manual in [false, true] {
        let t = Timer::create_in(&ns, None, manual).unwrap();
        assert!(!t.is_signaled().unwrap());
        assert_eq!(t.wait(Z).unwrap(), WaitResult::TimedOut);
        let before = mono_ns();
        t.set(ms(40), 0).unwrap();
        // Polls before the due time find it not signaled.
        loop {
            let polled = mono_ns();
            let r = t.wait(Z).unwrap();
            if r == WaitResult::Signaled(0) {
                assert!(polled >= before + 40_000_000 || mono_ns() >= before + 40_000_000);
                break;
            }
            assert!(mono_ns() < before + 40_000_000 + GUARD_D.as_nanos() as u64);
        }
        assert!(mono_ns() >= before + 40_000_000);
        // A wait with a timeout shorter than the time left times out.
        t.set(DueTime::After(Duration::from_secs(3600)), 0).unwrap();
        assert_eq!(
            t.wait(Some(Duration::from_millis(5))).unwrap(),
            WaitResult::TimedOut
        );
    }
}

/// A manual-reset timer stays signaled (for every wait) until it is set again; a
/// synchronization timer's wait resets it.
#[test]
fn manual_timer_stays_signaled_until_set_again() {
    let (_d, ns) = namespace();
    let t = Timer::create_in(&ns, None, true).unwrap();
    t.set(ms(1), 0).unwrap();
    assert_eq!(guarded("wait", &t), Ok(WaitResult::Signaled(0)));
    for _ in 0..3 {
        assert_eq!(t.wait(Z).unwrap(), WaitResult::Signaled(0));
    }
    assert!(t.is_signaled().unwrap());
    assert_eq!(t.due_in().unwrap(), None);
    // Set again: the signal is reset.
    t.set(DueTime::After(Duration::from_secs(3600)), 0).unwrap();
    assert!(!t.is_signaled().unwrap());
    assert_eq!(t.wait(Z).unwrap(), WaitResult::TimedOut);

    let s = Timer::create_in(&ns, None, false).unwrap();
    s.set(ms(1), 0).unwrap();
    assert_eq!(guarded("wait", &s), Ok(WaitResult::Signaled(0)));
    assert_eq!(s.wait(Z).unwrap(), WaitResult::TimedOut);
}

/// Setting a signaled timer resets it, for both kinds, also to a due time already past
/// (which then signals it again at once).
#[test]
fn set_resets_the_signal() {
    let (_d, ns) = namespace();
    for manual in [false, true] {
        let t = Timer::create_in(&ns, None, manual).unwrap();
        t.set(DueTime::After(Duration::ZERO), 0).unwrap();
        assert!(t.is_signaled().unwrap());
        t.set(DueTime::After(Duration::from_secs(3600)), 0).unwrap();
        assert!(!t.is_signaled().unwrap());
        assert_eq!(t.wait(Z).unwrap(), WaitResult::TimedOut);
        // An absolute due time in the past: due at once.
        t.set(DueTime::from_win32(0), 0).unwrap();
        assert_eq!(t.wait(Z).unwrap(), WaitResult::Signaled(0));
    }
}

/// Cancel disarms without changing the signaled state; an expiry that passed before the
/// cancel (even if no wait saw it yet) still counts.
#[test]
fn cancel_disarms_and_keeps_the_signaled_state() {
    let (_d, ns) = namespace();
    for manual in [false, true] {
        let t = Timer::create_in(&ns, None, manual).unwrap();
        t.cancel().unwrap(); // Cancelling a timer that is not set succeeds.
        t.set(DueTime::After(Duration::from_secs(3600)), 0).unwrap();
        assert!(t.due_in().unwrap().is_some());
        t.cancel().unwrap();
        assert_eq!(t.due_in().unwrap(), None);
        assert_eq!(t.wait(Z).unwrap(), WaitResult::TimedOut);
        // Due already, not yet seen by any wait: the cancel keeps the expiry.
        let before = mono_ns();
        t.set(ms(2), 0).unwrap();
        while mono_ns() < before + 2_000_000 {
            std::thread::sleep(Duration::from_millis(1));
        }
        t.cancel().unwrap();
        assert!(t.is_signaled().unwrap());
        assert_eq!(t.wait(Z).unwrap(), WaitResult::Signaled(0));
        assert_eq!(
            t.wait(Z).unwrap(),
            if manual {
                WaitResult::Signaled(0)
            } else {
                WaitResult::TimedOut
            }
        );
        // A signaled manual timer stays signaled through a cancel.
        if manual {
            t.cancel().unwrap();
            assert!(t.is_signaled().unwrap());
        }
    }
}

/// A periodic synchronization timer fires again and again; the k-th wait returns no earlier
/// than k periods after the set.
#[test]
fn periodic_timer_fires_repeatedly() {
    let (_d, ns) = namespace();
    let t = Timer::create_in(&ns, None, false).unwrap();
    let start = mono_ns();
    t.set(ms(10), 10).unwrap();
    for k in 1..=5u64 {
        assert_eq!(guarded("periodic wait", &t), Ok(WaitResult::Signaled(0)));
        let now = mono_ns();
        assert!(
            now >= start + k * 10_000_000,
            "expiry {k} at {now}, before {}",
            start + k * 10_000_000
        );
        assert!(
            t.due_in().unwrap().is_some(),
            "a periodic timer stays armed"
        );
    }
    t.cancel().unwrap();
    assert_eq!(t.due_in().unwrap(), None);
    // A manual periodic timer also re-arms, and is signaled after its first expiry.
    let m = Timer::create_in(&ns, None, true).unwrap();
    m.set(ms(1), 5).unwrap();
    assert_eq!(guarded("manual periodic", &m), Ok(WaitResult::Signaled(0)));
    assert!(m.due_in().unwrap().is_some());
}

/// `wait_any` over an event and a timer: whichever is signaled first wins; `wait_all` needs
/// both.
#[test]
fn wait_any_and_wait_all_with_an_event() {
    let (_d, ns) = namespace();
    let ev = Event::create_in(&ns, None, false, false).unwrap();
    let t = Timer::create_in(&ns, None, false).unwrap();
    // The timer fires; the event stays unset.
    t.set(ms(20), 0).unwrap();
    let before = mono_ns();
    let r = wait_any(&[&ev, &t], Some(GUARD_D)).unwrap();
    assert_eq!(r, WaitResult::Signaled(1));
    assert!(mono_ns() >= before);
    // The event is set by another thread while the timer is an hour away.
    t.set(DueTime::After(Duration::from_secs(3600)), 0).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(10));
            ev.set().unwrap();
        });
        assert_eq!(
            wait_any(&[&ev, &t], Some(GUARD_D)).unwrap(),
            WaitResult::Signaled(0)
        );
    });
    // Another thread sets the timer while this one sleeps in a wait on both (the set must
    // wake it to re-evaluate its timeout).
    t.cancel().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(10));
            t.set(ms(10), 0).unwrap();
        });
        assert_eq!(
            wait_any(&[&ev, &t], Some(GUARD_D)).unwrap(),
            WaitResult::Signaled(1)
        );
    });
    // Wait-all: the event alone is not enough; both together are.
    ev.set().unwrap();
    t.set(DueTime::After(Duration::from_secs(3600)), 0).unwrap();
    assert_eq!(
        wait_all(&[&ev, &t], Some(Duration::from_millis(5))).unwrap(),
        WaitResult::TimedOut
    );
    t.set(ms(10), 0).unwrap();
    assert_eq!(
        wait_all(&[&ev, &t], Some(GUARD_D)).unwrap(),
        WaitResult::Signaled(0)
    );
    // Both auto-reset: consumed together.
    assert_eq!(ev.wait(Z).unwrap(), WaitResult::TimedOut);
    assert_eq!(t.wait(Z).unwrap(), WaitResult::TimedOut);
}

/// Timers share the namespace: a name held by an event is `ERROR_INVALID_HANDLE` for a timer
/// and the other way round; a second create opens the existing timer (`ERROR_ALREADY_EXISTS`)
/// and ignores its reset type; access rights are checked.
#[test]
fn names_types_and_rights() {
    let (_d, ns) = namespace();
    let _ev = Event::create_in(&ns, Some("clash"), false, false).unwrap();
    expect_err(
        Timer::create_in(&ns, Some("clash"), false),
        ErrorKind::InvalidHandle,
        ERROR_INVALID_HANDLE,
    );
    expect_err(
        Timer::open_in(&ns, "clash", SyncAccess::SYNCHRONIZE),
        ErrorKind::InvalidHandle,
        ERROR_INVALID_HANDLE,
    );
    let t = TimerOptions::new()
        .name("tm")
        .namespace(&ns)
        .manual_reset(true)
        .create()
        .unwrap();
    assert!(!t.already_existed());
    expect_err(
        Event::open_in(&ns, "tm", SyncAccess::SYNCHRONIZE),
        ErrorKind::InvalidHandle,
        ERROR_INVALID_HANDLE,
    );
    let again = Timer::create_in(&ns, Some("tm"), false).unwrap();
    assert!(again.already_existed());
    assert!(again.is_manual_reset().unwrap());
    assert_eq!(again.access(), SyncAccess::TIMER_ALL_ACCESS);
    assert_eq!(again.name(), Some("Local\\tm"));
    let any = fmap::AnyObject::open_in(&ns, "tm", SYNCHRONIZE).unwrap();
    assert_eq!(any.kind(), fmap::Kind::Timer);

    // Rights: SYNCHRONIZE only cannot set or cancel; MODIFY_STATE only cannot wait.
    let sync_only = Timer::open_in(&ns, "tm", SyncAccess::SYNCHRONIZE).unwrap();
    expect_err(
        sync_only.set(ms(1), 0),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    expect_err(
        sync_only.cancel(),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    let modify = Timer::open_in(&ns, "tm", SyncAccess::MODIFY_STATE).unwrap();
    modify.set(DueTime::After(Duration::ZERO), 0).unwrap();
    expect_err(modify.wait(Z), ErrorKind::AccessDenied, ERROR_ACCESS_DENIED);
    assert_eq!(sync_only.wait(Z).unwrap(), WaitResult::Signaled(0));
    let query = Timer::open_in(&ns, "tm", SyncAccess::QUERY_STATE).unwrap();
    assert_eq!(query.access(), SyncAccess::QUERY_STATE);
    // A right timers do not have.
    expect_err(
        Timer::open_in(&ns, "tm", SyncAccess::from_bits_retain(0x4)),
        ErrorKind::AccessDenied,
        ERROR_ACCESS_DENIED,
    );
    let generic = Timer::open_in(&ns, "tm", SyncAccess::GENERIC_ALL).unwrap();
    assert_eq!(generic.access(), SyncAccess::TIMER_ALL_ACCESS);
    // Duplicates share the object.
    let dup = modify.duplicate(Some(SyncAccess::SYNCHRONIZE)).unwrap();
    assert_eq!(dup.wait(Z).unwrap(), WaitResult::Signaled(0));
}

/// Win32 `lpDueTime` decoding: relative (negative, 100 ns units) and absolute `FILETIME`.
#[test]
fn due_time_from_win32() {
    assert_eq!(
        DueTime::from_win32(-10_000),
        DueTime::After(Duration::from_millis(1))
    );
    let unix = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(
        DueTime::from_win32(116_444_736_000_000_000 + 1_700_000_000 * 10_000_000),
        DueTime::At(unix)
    );
    // An absolute time a little ahead on the wall clock is not due at once.
    let (_d, ns) = namespace();
    let t = Timer::create_in(&ns, None, true).unwrap();
    t.set(
        DueTime::At(std::time::SystemTime::now() + Duration::from_secs(3600)),
        0,
    )
    .unwrap();
    assert!(t.due_in().unwrap().unwrap() > Duration::from_secs(3000));
    assert_eq!(t.wait(Z).unwrap(), WaitResult::TimedOut);
}
