//! Named events (`CreateEvent`, `OpenEvent`, `SetEvent`, `ResetEvent`, `PulseEvent`).
//!
//! * Manual-reset: stays signaled until reset and releases every waiter. A `Set` or `Pulse`
//!   releases every thread waiting at that moment, even if the event is reset before the
//!   waiter runs (the release is recorded as a sequence number the waiter compares with the one
//!   it went to sleep with).
//! * Auto-reset: releases exactly one waiter and resets; with nobody waiting it stays signaled
//!   until a wait consumes it.
//! * `Pulse` releases the current waiters (all, or one for auto-reset) and leaves the event
//!   non-signaled; with nobody waiting the pulse is lost. In a wait-all, only the current state
//!   counts (a pulse does not satisfy it), as Windows documents.

//!
//! The second half of this file is the event's protocol on its shared state
//! ([`EventState`](state::EventState)): set, reset, pulse, and a wait's acquisition under the
//! state lock; the wait engine (`wait.rs`) only calls these.

use crate::error::Result;
use crate::store::header::Kind;
use crate::store::namespace::Namespace;
use crate::sync::handle::{sync_handle_type, SyncHandle};
use crate::sync::queue::{self, Place};
use crate::sync::state::{self, corrupt, newer, seq, wake_sleepers, StateGuard};
use crate::sync::wait::Try;
use crate::sync::{self, WaitResult};
use crate::sys::page::Page;
use crate::win32::EVENT_MODIFY_STATE;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

/// One handle to an event.
#[derive(Debug)]
pub struct Event {
    pub(crate) h: SyncHandle,
}

sync_handle_type!(Event, Kind::Event, "OpenEvent");

impl Event {
    /// `CreateEvent` in the default namespace. If the name exists, `manual_reset` and
    /// `initially_set` are ignored and [`already_existed`](Event::already_existed) is true.
    pub fn create(name: Option<&str>, manual_reset: bool, initially_set: bool) -> Result<Event> {
        Event::create_in(&Namespace::default(), name, manual_reset, initially_set)
    }

    /// `CreateEvent` in `ns`.
    pub fn create_in(
        ns: &Namespace,
        name: Option<&str>,
        manual_reset: bool,
        initially_set: bool,
    ) -> Result<Event> {
        let h = SyncHandle::create(
            ns,
            Kind::Event,
            name,
            &|page: &Page| {
                init(page, manual_reset, initially_set);
                Ok(())
            },
            None,
        )?;
        Ok(Event { h })
    }

    /// Is it a manual-reset event?
    pub fn is_manual_reset(&self) -> Result<bool> {
        Ok(state::event(self.h.page()?).manual.load(Relaxed) != 0)
    }

    /// Is it signaled now? (A snapshot: it may change at once.)
    pub fn is_set(&self) -> Result<bool> {
        Ok(state::event(self.h.page()?).signaled.load(SeqCst) != 0)
    }

    /// `SetEvent`.
    pub fn set(&self) -> Result<()> {
        self.h.require(EVENT_MODIFY_STATE, "set the event")?;
        set(self.h.page()?)
    }

    /// `ResetEvent`.
    pub fn reset(&self) -> Result<()> {
        self.h.require(EVENT_MODIFY_STATE, "reset the event")?;
        reset(self.h.page()?)
    }

    /// `PulseEvent`: releases the threads waiting now (all of them, or one for an auto-reset
    /// event) and leaves the event non-signaled.
    pub fn pulse(&self) -> Result<()> {
        self.h.require(EVENT_MODIFY_STATE, "pulse the event")?;
        pulse(self.h.page()?)
    }

    /// `WaitForSingleObject`.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<WaitResult> {
        sync::wait_one(self, timeout)
    }
}

// ------------------------------------------------------------------------------------------
// The event protocol on the shared page
// ------------------------------------------------------------------------------------------
//
// Every change happens under the state lock and is a single store, and a change that can
// release waiters stores the new `seq` (under the lock, `SeqCst`) after the words it changed,
// so a lock-free look (`might_be_available`) that follows a `seq` snapshot sees every change
// made before the snapshot.

/// The state of a new event, in its still private page.
fn init(page: &Page, manual_reset: bool, initially_set: bool) {
    let st = state::event(page);
    st.signaled.store(initially_set as u32, Relaxed);
    st.manual.store(manual_reset as u32, Relaxed);
}

/// Validates the event's state words, under its state lock. Any process with write access can
/// store anything there (a hostile or buggy peer); values no operation can produce are
/// reported as `ERROR_INVALID_DATA` instead of being acted on.
pub(crate) fn validate(g: &StateGuard<'_>) -> Result<()> {
    let st = state::event(g.page());
    if ![&st.signaled, &st.manual, &st.pulse_pending]
        .iter()
        .all(|w| w.load(Relaxed) <= 1)
    {
        return Err(corrupt("event"));
    }
    Ok(())
}

/// `SetEvent`: signaled; a manual-reset event also records the release for the threads
/// waiting now (even if it is reset before they run). An auto-reset event with waiters queued
/// is handed to the oldest at once and stays non-signaled (see `queue.rs`): nobody else, the
/// caller included, can consume that signal first.
pub(crate) fn set(page: &Page) -> Result<()> {
    {
        let g = StateGuard::lock(page)?;
        validate(&g)?;
        let st = state::event(page);
        st.signaled.store(1, Relaxed);
        let next = seq(page).load(Relaxed).wrapping_add(1);
        if st.manual.load(Relaxed) != 0 {
            st.release_seq.store(next, Relaxed);
        } else if state::common(page).queued.load(SeqCst) != 0 {
            queue::reap(&g, 0);
            distribute(&g, None);
        }
        seq(page).store(next, SeqCst);
    }
    wake_sleepers(page);
    Ok(())
}

/// `ResetEvent`.
pub(crate) fn reset(page: &Page) -> Result<()> {
    let g = StateGuard::lock(page)?;
    validate(&g)?;
    state::event(page).signaled.store(0, Relaxed);
    Ok(())
}

/// `PulseEvent`: the release is recorded with a new sequence number; only threads that were
/// already waiting (their snapshot is older) can claim it, so with nobody waiting the pulse is
/// lost.
pub(crate) fn pulse(page: &Page) -> Result<()> {
    {
        let g = StateGuard::lock(page)?;
        validate(&g)?;
        let st = state::event(page);
        st.signaled.store(0, Relaxed);
        let next = seq(page).load(Relaxed).wrapping_add(1);
        if st.manual.load(Relaxed) != 0 {
            st.release_seq.store(next, Relaxed);
        } else if let Some(i) = queued_waiter(&g) {
            // Exactly one waiter: the oldest queued one.
            queue::give(&g, i);
        } else {
            st.pulse_seq.store(next, Relaxed);
            st.pulse_pending.store(1, Relaxed);
        }
        seq(page).store(next, SeqCst);
    }
    wake_sleepers(page);
    Ok(())
}

/// The oldest live queued waiter without a grant, if any (after dead waiters were reaped).
fn queued_waiter(g: &StateGuard<'_>) -> Option<usize> {
    if state::common(g.page()).queued.load(SeqCst) == 0 {
        return None;
    }
    queue::reap(g, 0);
    queue::oldest(g, None)
}

/// Auto-reset: hands the event's signal, if it is signaled, to the oldest queued waiter
/// without a grant (not `exclude`); the event is then non-signaled. Returns whether it did
/// (then signal).
pub(crate) fn distribute(g: &StateGuard<'_>, exclude: Option<usize>) -> bool {
    let st = state::event(g.page());
    if st.manual.load(Relaxed) != 0 || st.signaled.load(Relaxed) == 0 {
        return false;
    }
    let Some(i) = queue::oldest(g, exclude) else {
        return false;
    };
    // Consumed, then handed over (a process killed between the two loses the signal; never
    // the reverse, which would release two waiters).
    st.signaled.store(0, Relaxed);
    queue::give(g, i);
    true
}

/// Gives the signals handed to waiters that died before they took them back to the event
/// (see `queue.rs`), then to the oldest queued waiter other than `exclude`. Returns whether it
/// handed one on.
pub(crate) fn recover(g: &StateGuard<'_>, exclude: Option<usize>) -> bool {
    if queue::reap(g, 0) == 0 {
        return false;
    }
    state::event(g.page()).signaled.store(1, Relaxed);
    distribute(g, exclude)
}

/// Passes on a signal handed to the waiter at `mine` that it does not use: to the next queued
/// waiter, or back to the event.
pub(crate) fn pass_on(g: &StateGuard<'_>, mine: Option<usize>) {
    let st = state::event(g.page());
    if st.signaled.load(Relaxed) == 0 {
        st.signaled.store(1, Relaxed);
        distribute(g, mine);
    } else if let Some(i) = queue::oldest(g, mine) {
        // Set again meanwhile: a signaled event cannot hold a second signal, a waiter can.
        queue::give(g, i);
    }
    // (Else it is signaled already and nobody else waits: the two sets count once, as two
    // sets with nobody waiting do.)
}

/// Is it a manual-reset event? (Its waiters do not queue: a manual-reset event releases them
/// all.)
#[inline]
pub(crate) fn is_manual(page: &Page) -> bool {
    state::event(page).manual.load(Relaxed) != 0
}

/// A waiter's attempt, under the state lock (validated): a signal handed to it (`mine`: its
/// place in the queue, if it is queued), else — after signals handed to dead waiters went
/// back and the signal to the oldest queued waiter — as [`try_acquire`]. Sets `wake` if it
/// handed the signal to another waiter.
pub(crate) fn try_acquire_queued(
    g: &StateGuard<'_>,
    since: Option<u32>,
    mine: Option<Place>,
    wake: &mut bool,
) -> Try {
    if state::common(g.page()).queued.load(Relaxed) != 0 {
        *wake |= recover(g, None);
        if let Some(p) = mine.filter(|&p| queue::take_grant(g, p)) {
            queue::leave(g, p);
            return Try::Got;
        }
    }
    let r = try_acquire(g, since);
    if let (Try::Got, Some(p)) = (r, mine) {
        // Out of the queue in the same critical section, so that no further signal can be
        // handed to a waiter that is done (it would only pass it back).
        queue::leave(g, p);
    }
    r
}

/// Could the event at `page` be acquired? A lock-free look: `false` is only trusted together
/// with a `seq` snapshot taken before it (a change after the snapshot makes the sleep return at
/// once; a change before it is visible here, because every state change is stored before the
/// `seq` store that publishes it). `since`: as for [`try_acquire`].
#[inline]
pub(crate) fn might_be_available(page: &Page, since: Option<u32>) -> bool {
    let st = state::event(page);
    st.signaled.load(SeqCst) != 0
        || since.is_some_and(|s| {
            if st.manual.load(Relaxed) != 0 {
                newer(st.release_seq.load(SeqCst), s)
            } else {
                st.pulse_pending.load(SeqCst) != 0 && newer(st.pulse_seq.load(SeqCst), s)
            }
        })
}

/// A wait's attempt, under the state lock (validated). `since`: the `seq` snapshot from before
/// the waiter last slept — a `Set` or `Pulse` after it releases the waiter even if the event
/// is no longer signaled (manual reset: every such waiter; auto reset: one, for a pulse).
#[inline]
pub(crate) fn try_acquire(g: &StateGuard<'_>, since: Option<u32>) -> Try {
    let st = state::event(g.page());
    let manual = st.manual.load(Relaxed) != 0;
    if st.signaled.load(Relaxed) != 0 {
        if !manual {
            st.signaled.store(0, Relaxed);
        }
        return Try::Got;
    }
    let Some(s) = since else { return Try::No };
    if manual {
        if newer(st.release_seq.load(Relaxed), s) {
            return Try::Got;
        }
    } else if st.pulse_pending.load(Relaxed) != 0 && newer(st.pulse_seq.load(Relaxed), s) {
        st.pulse_pending.store(0, Relaxed);
        return Try::Got;
    }
    Try::No
}

/// For a wait-all, under the state lock: is the event signaled now? (Only the current state
/// counts in a wait-all; a pulse does not satisfy it.)
#[inline]
pub(crate) fn is_set(g: &StateGuard<'_>) -> bool {
    state::event(g.page()).signaled.load(Relaxed) != 0
}

/// A wait-all's commit, under the state lock after [`is_set`]: an auto-reset event resets.
#[inline]
pub(crate) fn consume(g: &StateGuard<'_>) {
    let st = state::event(g.page());
    if st.manual.load(Relaxed) == 0 {
        st.signaled.store(0, Relaxed);
    }
}

crate::sync::handle::options_builder! {
    /// Builder for [`Event`]s: the name, the namespace and the options of `CreateEvent`,
    /// by name rather than by position.
    ///
    /// ```
    /// # let d = tempfile::tempdir_in("/dev/shm")?;
    /// # let ns = fmap::Namespace::at(d.path());
    /// let ready = fmap::EventOptions::new()
    ///     .name("Local\\ready")
    ///     .namespace(&ns)
    ///     .manual_reset(true)
    ///     .create()?;
    /// assert!(ready.is_manual_reset()? && !ready.is_set()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    EventOptions => Event, "CreateEvent",
    {
        /// Manual-reset (stays signaled until reset) instead of auto-reset (default).
        manual_reset: bool = false,
        /// Created signaled (default: not signaled).
        initially_set: bool = false,
    },
    |ns, name, o| Event::create_in(ns, name, o.manual_reset, o.initially_set)
}
