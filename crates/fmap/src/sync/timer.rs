//! Waitable timers (`CreateWaitableTimer(Ex)`, `OpenWaitableTimer`, `SetWaitableTimer`,
//! `CancelWaitableTimer`), named or unnamed, in the same namespace as every other object.
//!
//! * Manual-reset (notification) timer: when its due time passes it becomes signaled, releases
//!   every waiter, and stays signaled until it is set again.
//! * Synchronization (auto-reset) timer: when its due time passes it releases exactly one
//!   waiter and resets; with nobody waiting it stays signaled until a wait consumes it.
//! * Periodic: after each expiry the timer re-arms itself `period` later. Periods that pass
//!   while nobody looks count once (the signal is a state, not a count, as on Windows).
//! * Setting a timer resets its signaled state; cancelling it does not.
//!
//! # Protocol: no daemon, no thread per timer
//!
//! The shared state ([`TimerState`](state::TimerState)) is an event's state
//! (`signaled`, `manual`, `release_seq`, …, at the event's offsets) plus `armed`, the due time
//! `due` as absolute `CLOCK_MONOTONIC` nanoseconds (one clock for every process of a boot) and
//! `period_ms`. Nobody runs when the due time passes. Instead, whoever looks at the timer
//! under its state lock — a wait's attempt, a wait-all, `set`, `cancel` — first *fires* it if
//! the clock has passed `due` ([`fire`]): the timer becomes signaled exactly as an event does on
//! `SetEvent` (a manual-reset timer records the release in `release_seq`; a synchronization
//! timer with waiters queued is handed to the oldest one, see `queue.rs`), `seq` is bumped and
//! sleepers are woken; a periodic timer's `due` moves to its next period after now, a one-shot
//! timer is disarmed. From there the event's protocol (`event.rs`) does the acquisition,
//! the hand-off and the pass-on unchanged.
//!
//! A waiter that finds nothing sleeps as for any object, on every object's `seq`, but with its
//! `futex_waitv` timeout (absolute, `CLOCK_MONOTONIC`) bounded by the earliest `due` among its
//! armed timers, so it wakes at the due time and fires the timer itself. `set` and `cancel`
//! bump `seq`, so a sleeper whose bound came from an older due time re-evaluates. The lock-free
//! look before an attempt reads `armed`, `due` and the clock (the vDSO: no system call); the
//! uncontended path of a wait on a timer that is not due takes no lock. Expiry is therefore
//! observed no earlier than the due time and, while anyone waits, as soon as that waiter runs
//! after it.
//!
//! `set` writes several words under the lock; it disarms first and arms last, so a process
//! killed in the middle leaves a disarmed timer, never a half-written due time.
//!
//! An absolute due time (a `FILETIME`, `CLOCK_REALTIME`) is converted to the monotonic clock
//! when the timer is set: changing the system clock afterwards does not move it (Windows
//! would). Completion routines (APCs) are not supported (`ERROR_NOT_SUPPORTED` in the C ABI).

use crate::error::Result;
use crate::store::header::Kind;
use crate::store::namespace::Namespace;
use crate::sync::event;
use crate::sync::handle::{sync_handle_type, SyncHandle};
use crate::sync::queue;
use crate::sync::state::{self, corrupt, seq, wake_sleepers, StateGuard};
use crate::sync::{self, WaitResult};
use crate::sys::page::Page;
use crate::win32::TIMER_MODIFY_STATE;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One handle to a waitable timer.
#[derive(Debug)]
pub struct Timer {
    pub(crate) h: SyncHandle,
}

sync_handle_type!(Timer, Kind::Timer, "OpenWaitableTimer");

/// When a timer is due (`SetWaitableTimer`'s `lpDueTime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueTime {
    /// After this long, measured on the monotonic clock (a negative `lpDueTime`).
    After(Duration),
    /// At this wall-clock time (a positive `lpDueTime`); a time already past is due at once.
    /// Converted to the monotonic clock when the timer is set.
    At(SystemTime),
}

/// 100-ns intervals from 1601-01-01 to 1970-01-01 (UTC).
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

impl DueTime {
    /// Decodes Win32's `lpDueTime`: negative, a relative time in 100-ns units; otherwise an
    /// absolute `FILETIME` (100-ns units since 1601-01-01 UTC).
    pub fn from_win32(v: i64) -> DueTime {
        fn hundreds(n: u128) -> Duration {
            Duration::new(
                (n / 10_000_000).min(u64::MAX as u128) as u64,
                (n % 10_000_000) as u32 * 100,
            )
        }
        if v < 0 {
            return DueTime::After(hundreds(u128::from(v.unsigned_abs())));
        }
        let unix = v as i128 - FILETIME_UNIX_EPOCH;
        let d = hundreds(unix.unsigned_abs());
        DueTime::At(if unix >= 0 {
            UNIX_EPOCH.checked_add(d).unwrap_or(UNIX_EPOCH)
        } else {
            UNIX_EPOCH.checked_sub(d).unwrap_or(UNIX_EPOCH)
        })
    }

    /// The due time as absolute `CLOCK_MONOTONIC` nanoseconds.
    fn to_monotonic(self) -> u64 {
        let now = now_ns();
        let ahead = match self {
            DueTime::After(d) => d,
            DueTime::At(t) => t.duration_since(SystemTime::now()).unwrap_or_default(),
        };
        now.saturating_add(ahead.as_nanos().min(u64::MAX as u128) as u64)
    }
}

impl Timer {
    /// `CreateWaitableTimer` in the default namespace: a manual-reset (notification) timer or
    /// a synchronization (auto-reset) timer, not set. If the name exists `manual_reset` is
    /// ignored and [`already_existed`](Timer::already_existed) is true.
    pub fn create(name: Option<&str>, manual_reset: bool) -> Result<Timer> {
        Timer::create_in(&Namespace::default(), name, manual_reset)
    }

    /// `CreateWaitableTimer` in `ns`.
    pub fn create_in(ns: &Namespace, name: Option<&str>, manual_reset: bool) -> Result<Timer> {
        let h = SyncHandle::create(
            ns,
            Kind::Timer,
            name,
            &|page: &Page| {
                state::timer(page)
                    .manual
                    .store(manual_reset as u32, Relaxed);
                Ok(())
            },
            None,
        )?;
        Ok(Timer { h })
    }

    /// Is it a manual-reset (notification) timer?
    pub fn is_manual_reset(&self) -> Result<bool> {
        Ok(state::timer(self.h.page()?).manual.load(Relaxed) != 0)
    }

    /// Is it signaled now (or would a wait find it signaled, its due time having passed)? A
    /// snapshot: it may change at once.
    pub fn is_signaled(&self) -> Result<bool> {
        let page = self.h.page()?;
        Ok(state::timer(page).signaled.load(SeqCst) != 0 || due_passed(page))
    }

    /// How long until the timer is due, if it is set and not yet due (`Some(ZERO)`: due, not
    /// yet seen by a wait). A snapshot.
    pub fn due_in(&self) -> Result<Option<Duration>> {
        let st = state::timer(self.h.page()?);
        if st.armed.load(SeqCst) == 0 {
            return Ok(None);
        }
        Ok(Some(Duration::from_nanos(
            st.due.load(SeqCst).saturating_sub(now_ns()),
        )))
    }

    /// `SetWaitableTimer`: arms the timer to be due at `due`, then every `period_ms`
    /// milliseconds if that is not 0, and resets its signaled state. Needs
    /// `TIMER_MODIFY_STATE`.
    pub fn set(&self, due: DueTime, period_ms: u32) -> Result<()> {
        self.h.require(TIMER_MODIFY_STATE, "set the timer")?;
        set(self.h.page()?, due.to_monotonic(), period_ms)
    }

    /// `CancelWaitableTimer`: disarms the timer; its signaled state does not change (an expiry
    /// that has already passed still counts). Needs `TIMER_MODIFY_STATE`.
    pub fn cancel(&self) -> Result<()> {
        self.h.require(TIMER_MODIFY_STATE, "cancel the timer")?;
        cancel(self.h.page()?)
    }

    /// `WaitForSingleObject`.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<WaitResult> {
        sync::wait_one(self, timeout)
    }
}

// ------------------------------------------------------------------------------------------
// The timer protocol on the shared page
// ------------------------------------------------------------------------------------------

/// `CLOCK_MONOTONIC` now, in nanoseconds (the vDSO: no system call).
#[inline]
pub(crate) fn now_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Is the timer armed with a due time the clock has passed? Lock-free.
#[inline]
fn due_passed(page: &Page) -> bool {
    let st = state::timer(page);
    st.armed.load(SeqCst) != 0 && now_ns() >= st.due.load(SeqCst)
}

/// The due time of an armed timer, as an `Instant` no earlier than it (for a sleeper's
/// timeout). Lock-free; `None` if not armed (or too far to represent).
pub(crate) fn next_due(page: &Page) -> Option<Instant> {
    let st = state::timer(page);
    if st.armed.load(SeqCst) == 0 {
        return None;
    }
    let due = st.due.load(SeqCst);
    let now = now_ns();
    // `Instant` is CLOCK_MONOTONIC; read after `now`, so the sum is not before `due`.
    Instant::now().checked_add(Duration::from_nanos(due.saturating_sub(now)))
}

/// Validates the timer's state words, under its state lock (see `event::validate`).
pub(crate) fn validate(g: &StateGuard<'_>) -> Result<()> {
    event::validate(g)?;
    let st = state::timer(g.page());
    if st.armed.load(Relaxed) > 1 || st.pulse_pending.load(Relaxed) != 0 {
        return Err(corrupt("waitable timer"));
    }
    Ok(())
}

/// Fires the timer if it is armed and its due time has passed, under its state lock: it
/// becomes signaled as an event on `SetEvent` (a manual-reset timer records the release for
/// the threads waiting now; a synchronization timer with waiters queued is handed to the
/// oldest), a periodic timer moves to its next due time after now, a one-shot timer is
/// disarmed, and the new `seq` is stored. Returns whether it fired: then the caller wakes the
/// sleepers after the lock (`wake_sleepers` or `signal`).
pub(crate) fn fire(g: &StateGuard<'_>) -> bool {
    let page = g.page();
    let st = state::timer(page);
    if st.armed.load(Relaxed) == 0 {
        return false;
    }
    let due = st.due.load(Relaxed);
    let now = now_ns();
    if now < due {
        return false;
    }
    let period = u64::from(st.period_ms.load(Relaxed)).saturating_mul(1_000_000);
    match (now - due).checked_div(period) {
        None => st.armed.store(0, SeqCst),
        // The first period boundary after now; periods nobody saw count once.
        Some(missed) => st.due.store(
            due.saturating_add((missed + 1).saturating_mul(period)),
            SeqCst,
        ),
    }
    st.signaled.store(1, Relaxed);
    let next = seq(page).load(Relaxed).wrapping_add(1);
    if st.manual.load(Relaxed) != 0 {
        st.release_seq.store(next, Relaxed);
    } else if state::common(page).queued.load(SeqCst) != 0 {
        queue::reap(g, 0);
        event::distribute(g, None);
    }
    seq(page).store(next, SeqCst);
    true
}

/// `SetWaitableTimer` with the due time already on the monotonic clock.
pub(crate) fn set(page: &Page, due: u64, period_ms: u32) -> Result<()> {
    {
        let g = StateGuard::lock(page)?;
        validate(&g)?;
        // An expiry that has passed unseen still releases the threads that were waiting then.
        fire(&g);
        let st = state::timer(page);
        st.armed.store(0, SeqCst);
        st.due.store(due, SeqCst);
        st.period_ms.store(period_ms, SeqCst);
        st.signaled.store(0, SeqCst);
        st.armed.store(1, SeqCst);
        // Sleepers re-evaluate their timeout against the new due time.
        let next = seq(page).load(Relaxed).wrapping_add(1);
        seq(page).store(next, SeqCst);
    }
    wake_sleepers(page);
    Ok(())
}

/// `CancelWaitableTimer`.
pub(crate) fn cancel(page: &Page) -> Result<()> {
    {
        let g = StateGuard::lock(page)?;
        validate(&g)?;
        fire(&g);
        state::timer(page).armed.store(0, SeqCst);
        let next = seq(page).load(Relaxed).wrapping_add(1);
        seq(page).store(next, SeqCst);
    }
    wake_sleepers(page);
    Ok(())
}

/// Could the timer at `page` be acquired? A lock-free look, trusted only together with a `seq`
/// snapshot taken before it (as `event::might_be_available`), plus whether its due time has
/// passed.
#[inline]
pub(crate) fn might_be_available(page: &Page, since: Option<u32>) -> bool {
    event::might_be_available(page, since) || due_passed(page)
}

/// Is a manual-reset timer? (Its waiters do not queue, as a manual-reset event's.)
#[inline]
pub(crate) fn is_manual(page: &Page) -> bool {
    state::timer(page).manual.load(Relaxed) != 0
}

crate::sync::handle::options_builder! {
    /// Builder for [`Timer`]s: the name, the namespace and the options of
    /// `CreateWaitableTimer`, by name rather than by position.
    ///
    /// ```
    /// # let d = tempfile::tempdir_in("/dev/shm")?;
    /// # let ns = fmap::Namespace::at(d.path());
    /// use std::time::Duration;
    /// let tick = fmap::TimerOptions::new()
    ///     .name("Local\\tick")
    ///     .namespace(&ns)
    ///     .manual_reset(true)
    ///     .create()?;
    /// tick.set(fmap::DueTime::After(Duration::from_millis(1)), 0)?;
    /// assert_eq!(tick.wait(None)?, fmap::WaitResult::Signaled(0));
    /// assert!(tick.is_signaled()?); // a manual-reset timer stays signaled
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    TimerOptions => Timer, "CreateWaitableTimer",
    {
        /// Manual-reset (notification timer) instead of synchronization timer (default).
        manual_reset: bool = false,
    },
    |ns, name, o| Timer::create_in(ns, name, o.manual_reset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_time_from_win32() {
        assert_eq!(
            DueTime::from_win32(-10_000_000),
            DueTime::After(Duration::from_secs(1))
        );
        assert_eq!(
            DueTime::from_win32(-1),
            DueTime::After(Duration::from_nanos(100))
        );
        assert_eq!(
            DueTime::from_win32(116_444_736_000_000_000 + 10_000_000),
            DueTime::At(UNIX_EPOCH + Duration::from_secs(1))
        );
        // Before 1970: in the past, due at once.
        assert!(matches!(DueTime::from_win32(0), DueTime::At(t) if t <= UNIX_EPOCH));
        // Extremes do not overflow.
        let _ = DueTime::from_win32(i64::MIN).to_monotonic();
        let _ = DueTime::from_win32(i64::MAX).to_monotonic();
    }
}
