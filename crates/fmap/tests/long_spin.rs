//! Waits with a long adaptive spin (`fmap::set_spin`, process-wide, hence a test binary of its
//! own): spinning only shortens wake-ups, it never changes what a wait returns. A waiter spins
//! without joining the objects' wait queues first (events and semaphores), or spins inside its
//! sleep (mutexes, timers); either way a timer that falls due during the spin, or an object
//! released just before the deadline, is seen by an attempt before a timeout is reported.
//! Timeouts here are part of the behaviour under test, with generous margins; no latency is
//! asserted.

use fmap::{wait_any, DueTime, Event, Semaphore, Timer, WaitResult};
use std::time::Duration;

/// Longer than every timeout below: a wait spends its whole timeout spinning.
const SPIN: Duration = Duration::from_millis(500);

#[test]
fn a_timer_due_while_its_waiter_spins_satisfies_the_wait() {
    fmap::set_spin(SPIN);
    for manual in [false, true] {
        let t = Timer::create(None, manual).unwrap();
        t.set(DueTime::After(Duration::from_millis(10)), 0).unwrap();
        // Due 10 ms in, the wait gives up at 200 ms: it must fire the timer, not time out.
        assert_eq!(
            fmap::wait_one(&t, Some(Duration::from_millis(200))).unwrap(),
            WaitResult::Signaled(0),
            "manual reset: {manual}"
        );
        // Together with an event that is never set (a wait-any of an event and a timer).
        let e = Event::create(None, false, false).unwrap();
        t.set(DueTime::After(Duration::from_millis(10)), 0).unwrap();
        assert_eq!(
            wait_any(&[&e, &t], Some(Duration::from_millis(200))).unwrap(),
            WaitResult::Signaled(1),
            "manual reset: {manual}"
        );
    }
}

#[test]
fn objects_signaled_by_another_thread_during_the_spin_satisfy_the_wait() {
    fmap::set_spin(SPIN);
    let e = Event::create(None, false, false).unwrap();
    let s = Semaphore::create(None, 0, 10).unwrap();
    std::thread::scope(|sc| {
        sc.spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            e.set().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            s.release(1).unwrap();
        });
        assert_eq!(
            fmap::wait_one(&e, Some(Duration::from_secs(30))).unwrap(),
            WaitResult::Signaled(0)
        );
        assert_eq!(
            fmap::wait_one(&s, Some(Duration::from_secs(30))).unwrap(),
            WaitResult::Signaled(0)
        );
    });
    // Nothing signaled: a timeout, after the spin was cut short by the deadline.
    assert_eq!(
        fmap::wait_one(&e, Some(Duration::from_millis(50))).unwrap(),
        WaitResult::TimedOut
    );
}
