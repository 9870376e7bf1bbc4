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

use crate::error::Result;
use crate::store::header::Kind;
use crate::store::namespace::Namespace;
use crate::sync::handle::{sync_handle_type, SyncHandle};
use crate::sync::state::seq;
use crate::sync::{
    self, Page, StateGuard, WaitResult, OFF_A, OFF_B, OFF_C, OFF_D, OFF_D_FLAG, OFF_NWAITERS,
};
use crate::win32::EVENT_MODIFY_STATE;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

/// One handle to an event.
#[derive(Debug)]
pub struct Event {
    h: SyncHandle,
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
                page.u32(OFF_A).store(initially_set as u32, Relaxed);
                page.u32(OFF_B).store(manual_reset as u32, Relaxed);
                Ok(())
            },
            None,
        )?;
        Ok(Event { h })
    }

    /// Is it a manual-reset event?
    pub fn is_manual_reset(&self) -> Result<bool> {
        Ok(self.h.page()?.u32(OFF_B).load(Relaxed) != 0)
    }

    /// Is it signaled now? (A snapshot: it may change at once.)
    pub fn is_set(&self) -> Result<bool> {
        Ok(self.h.page()?.u32(OFF_A).load(SeqCst) != 0)
    }

    /// `SetEvent`.
    pub fn set(&self) -> Result<()> {
        self.h.require(EVENT_MODIFY_STATE, "set the event")?;
        let page = self.h.page()?;
        {
            let _g = StateGuard::lock(page)?;
            sync::check_state(sync::SyncKind::Event, page)?;
            page.u32(OFF_A).store(1, Relaxed);
            let next = seq(page).load(Relaxed).wrapping_add(1);
            if page.u32(OFF_B).load(Relaxed) != 0 {
                page.u32(OFF_C).store(next, Relaxed);
            }
            seq(page).store(next, SeqCst);
        }
        wake(page);
        Ok(())
    }

    /// `ResetEvent`.
    pub fn reset(&self) -> Result<()> {
        self.h.require(EVENT_MODIFY_STATE, "reset the event")?;
        let page = self.h.page()?;
        let _g = StateGuard::lock(page)?;
        sync::check_state(sync::SyncKind::Event, page)?;
        page.u32(OFF_A).store(0, Relaxed);
        Ok(())
    }

    /// `PulseEvent`: releases the threads waiting now (all of them, or one for an auto-reset
    /// event) and leaves the event non-signaled.
    pub fn pulse(&self) -> Result<()> {
        self.h.require(EVENT_MODIFY_STATE, "pulse the event")?;
        let page = self.h.page()?;
        {
            // The release is recorded with a new sequence number; only threads that were
            // already waiting (their snapshot is older) can claim it, so with nobody waiting
            // the pulse is lost.
            let _g = StateGuard::lock(page)?;
            sync::check_state(sync::SyncKind::Event, page)?;
            page.u32(OFF_A).store(0, Relaxed);
            let next = seq(page).load(Relaxed).wrapping_add(1);
            if page.u32(OFF_B).load(Relaxed) != 0 {
                page.u32(OFF_C).store(next, Relaxed);
            } else {
                page.u32(OFF_D).store(next, Relaxed);
                page.u32(OFF_D_FLAG).store(1, Relaxed);
            }
            seq(page).store(next, SeqCst);
        }
        wake(page);
        Ok(())
    }

    /// `WaitForSingleObject`.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<WaitResult> {
        sync::wait_one(self, timeout)
    }
}

fn wake(page: &Page) {
    if page.u32(OFF_NWAITERS).load(SeqCst) != 0 {
        crate::sys::futex::wake_all(seq(page));
    }
}
