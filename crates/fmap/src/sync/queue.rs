//! The wait queue: how a release hands an object to a waiter that is already waiting
//! (`ReleaseMutex`, `ReleaseSemaphore`, `SetEvent` on an auto-reset event), as Windows does.
//!
//! Every synchronization object has, after its state, a [`WaitQueue`] of
//! [`QUEUE_SLOTS`](state::QUEUE_SLOTS) slots. A wait that cannot be satisfied at once takes a
//! slot in the queue of each of its objects (under the object's state lock) before it spins or
//! sleeps, and leaves it when the wait ends. A slot holds:
//!
//! * an arrival `ticket` (from the object's `next_ticket`): the queue's order;
//! * a `grant` flag: set by a release that hands the object to this waiter;
//! * a glibc robust mutex, `lock`, which the waiting thread holds while it is queued. Its lock
//!   word names the thread, so anyone can see without a system call whether the waiter is
//!   still alive: when the thread dies (`SIGKILL` of its process included) the kernel clears
//!   the thread id, marks the word `OWNER_DIED` and wakes a sleeper that asked to be woken on
//!   it (`FUTEX_WAITERS`). That is what makes a grant to a waiter that dies before it runs
//!   recoverable (`reap`), with no daemon and no timeout.
//!
//! A release that finds waiters queued (the `queued` count of [`SyncState`](state::SyncState),
//! one lock-free load) takes the state lock and gives the object to the *oldest* live queued
//! waiter that has no grant yet ([`oldest`], [`give`]); what it hands over is no longer
//! available to anyone else, the releaser included, so a releaser that waits again at once
//! queues behind. What a grant is depends on the type: a semaphore unit or an auto-reset
//! event's signal is consumed on the waiter's behalf (`semaphore.rs`, `event.rs`); a mutex is
//! *reserved* — its token is free but only the grantee may keep it (`mutex.rs`, `handoff`),
//! because a robust token must be locked by the thread that owns it.
//!
//! A waiter that leaves its slot with a grant it does not use (it timed out, or a wait-any was
//! satisfied by another object, or a wait-all could not take all of its objects) passes the
//! grant on: to the next waiter, or back to the object. A grant to a waiter that died is
//! recovered by whoever next takes the state lock and looks (`reap`): a semaphore unit goes
//! back to the count, an event's signal back to the event, and a mutex ends abandoned (the dead
//! waiter had been handed it), to be reported once to its next owner.
//!
//! A wait-all is handed an object only while it could use it: after each attempt that could
//! not take all its objects it marks, in each of its slots, whether the others are available
//! ([`set_declined`]); releases skip the slots marked declined.
//!
//! The queue is only an addition: a waiter that finds no free slot, or an object made by a
//! version of fmap without the queue (its slot mutexes are not initialised), waits unqueued,
//! woken through `seq` as before; it cannot be handed an object, and takes what is available
//! when it looks.
//!
//! Every function here runs under the object's state lock ([`StateGuard`]) unless it says
//! otherwise. `queued` is recounted by every change of the queue, so a process killed in the
//! middle of one leaves at worst a count that the next change corrects (a count too high only
//! sends releases through the state lock; too low, releases do not hand off until then).

use crate::sync::state::{self, newer, StateGuard, WaitSlot};
use crate::sys::futex::Expect;
use crate::sys::page::Page;
use crate::sys::robust::{Lock, FUTEX_WAITERS, TID_MASK};
use std::sync::atomic::Ordering::*;

/// A waiter's place in the queue of one object: its slot and its ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) idx: usize,
    pub(crate) ticket: u32,
}

#[inline]
fn slots(page: &Page) -> &[WaitSlot] {
    &state::queue(page).slots
}

/// Is the thread that holds slot `s` alive? (A queued slot's lock word holds its waiter's
/// thread id until the waiter leaves; the kernel clears it when the waiter dies.) Lock-free.
#[inline]
fn holder_alive(s: &WaitSlot) -> bool {
    s.lock.word().load(SeqCst) & TID_MASK != 0
}

/// Counts the slots in use into `queued`.
fn recount(page: &Page) {
    let n = slots(page)
        .iter()
        .filter(|s| s.ticket.load(Relaxed) != 0)
        .count();
    state::common(page).queued.store(n as u32, SeqCst);
}

/// Takes a free slot for the calling thread: `None` if there is none (or the object predates
/// the queue).
pub(crate) fn register(g: &StateGuard<'_>) -> Option<Place> {
    let page = g.page();
    for (idx, s) in slots(page).iter().enumerate() {
        if s.ticket.load(Relaxed) != 0 || s.lock.check_kind("wait slot").is_err() {
            continue;
        }
        // A free slot's lock is free, or held by a thread that died while it registered or
        // left (then the kernel marked it and this trylock makes it consistent).
        match s.lock.trylock() {
            Ok(Lock::Acquired | Lock::OwnerDied) => {}
            _ => continue,
        }
        let q = state::queue(page);
        let mut ticket = q.next_ticket.load(Relaxed);
        if ticket == 0 {
            ticket = 1;
        }
        q.next_ticket.store(ticket.wrapping_add(1), Relaxed);
        s.grant.store(0, SeqCst);
        s.declined.store(0, SeqCst);
        // `queued` first: whoever sees the slot in use (a release that saw it through the
        // ticket) also sees `queued` non-zero and takes the state lock, where it waits for this
        // registration to end.
        let n = slots(page)
            .iter()
            .filter(|s| s.ticket.load(Relaxed) != 0)
            .count();
        state::common(page).queued.store(n as u32 + 1, SeqCst);
        // The commit point: from here the slot is in use.
        s.ticket.store(ticket, SeqCst);
        return Some(Place { idx, ticket });
    }
    None
}

/// Leaves the calling thread's slot; returns whether it held a grant, which the caller must
/// now use or pass on.
pub(crate) fn leave(g: &StateGuard<'_>, p: Place) -> bool {
    let page = g.page();
    let s = &slots(page)[p.idx];
    if s.ticket.load(Relaxed) != p.ticket {
        // Not ours any more (a peer overwrote it): nothing to give back but our lock.
        unlock_if_mine(s);
        return false;
    }
    let granted = s.grant.swap(0, SeqCst) != 0;
    s.ticket.store(0, SeqCst);
    unlock_if_mine(s);
    recount(page);
    granted
}

/// Leaves the calling thread's slot without the state lock (it could not be taken): the slot
/// then looks like the slot of a waiter that died, and its grant, if any, is recovered by the
/// next `reap`. Lock-free.
pub(crate) fn abandon(page: &Page, p: Place) {
    let s = &slots(page)[p.idx];
    unlock_if_mine(s);
}

/// Unlocks a slot's lock if the calling thread holds it.
fn unlock_if_mine(s: &WaitSlot) {
    let me = crate::sys::proc::me() as u32 & TID_MASK;
    if s.lock.word().load(Relaxed) & TID_MASK == me {
        // SAFETY: the lock word names the calling thread: it holds the lock (it locked it in
        // `register`; thread ids are unique among live threads).
        unsafe { s.lock.unlock() };
    }
}

/// Frees the slots of waiters that died (their lock no longer names a thread), except the
/// slot with ticket `keep` (a mutex's grantee, whose death its next owner must see). Returns
/// how many of the freed slots held a grant: the caller gives those back to the object.
pub(crate) fn reap(g: &StateGuard<'_>, keep: u32) -> u32 {
    let page = g.page();
    let mut grants = 0;
    let mut freed = false;
    for s in slots(page) {
        let t = s.ticket.load(Relaxed);
        if t == 0 || t == keep || holder_alive(s) {
            continue;
        }
        free_dead(s);
        if s.grant.swap(0, SeqCst) != 0 {
            grants += 1;
        }
        s.ticket.store(0, SeqCst);
        freed = true;
    }
    if freed {
        recount(page);
    }
    grants
}

/// Frees the slot at `idx`, whose waiter died (the caller checked), and returns whether it
/// held a grant.
pub(crate) fn free_slot_of_dead(g: &StateGuard<'_>, idx: usize) -> bool {
    let s = &slots(g.page())[idx];
    free_dead(s);
    let granted = s.grant.swap(0, SeqCst) != 0;
    s.ticket.store(0, SeqCst);
    recount(g.page());
    granted
}

/// Makes a dead waiter's slot lock free again (the kernel marked it `OWNER_DIED`; the trylock
/// makes it consistent, then it is unlocked).
fn free_dead(s: &WaitSlot) {
    if s.lock.check_kind("wait slot").is_ok() {
        if let Ok(Lock::Acquired | Lock::OwnerDied) = s.lock.trylock() {
            // SAFETY: the trylock just acquired it for the calling thread.
            unsafe { s.lock.unlock() };
        }
    }
}

/// The slot of the oldest live queued waiter without a grant, other than `exclude`, that has
/// not declined the object (see [`set_declined`]).
pub(crate) fn oldest(g: &StateGuard<'_>, exclude: Option<usize>) -> Option<usize> {
    let mut best: Option<(usize, u32)> = None;
    for (i, s) in slots(g.page()).iter().enumerate() {
        let t = s.ticket.load(Relaxed);
        if t == 0
            || Some(i) == exclude
            || s.grant.load(Relaxed) != 0
            || s.declined.load(Relaxed) != 0
            || !holder_alive(s)
        {
            continue;
        }
        if best.is_none_or(|(_, bt)| newer(bt, t)) {
            best = Some((i, t));
        }
    }
    best.map(|(i, _)| i)
}

/// Marks whether the waiter at `p`, a wait-all, would be unable to use the object if it were
/// handed to it now, because another of its objects is unavailable (`declined`); releases and
/// pass-ons then skip it ([`oldest`]). A wait-all sets this for each of its objects after every
/// attempt that could not take them all, under all their state locks: without it, two
/// wait-alls that both lack one object would hand each other the other object for ever (each
/// is the other's oldest waiter), and a waiter that could use it would never get it. A
/// declined wait-all still wakes at every change of its objects and takes them all when they
/// are all available.
pub(crate) fn set_declined(g: &StateGuard<'_>, p: Place, declined: bool) {
    let s = &slots(g.page())[p.idx];
    if s.ticket.load(Relaxed) == p.ticket {
        s.declined.store(declined as u32, SeqCst);
    }
}

/// Hands the object to the waiter in slot `idx` and returns its ticket. The caller has taken
/// what it hands over out of the object, and signals (`state::signal`) after the state lock.
pub(crate) fn give(g: &StateGuard<'_>, idx: usize) -> u32 {
    let s = &slots(g.page())[idx];
    s.grant.store(1, SeqCst);
    s.ticket.load(Relaxed)
}

/// Has the object been handed to the waiter at `p`? Lock-free (a sleeper's look).
#[inline]
pub(crate) fn granted(page: &Page, p: Place) -> bool {
    let s = &slots(page)[p.idx];
    s.grant.load(SeqCst) != 0 && s.ticket.load(SeqCst) == p.ticket
}

/// Takes the grant of the waiter at `p`, if it has one.
pub(crate) fn take_grant(g: &StateGuard<'_>, p: Place) -> bool {
    let s = &slots(g.page())[p.idx];
    s.ticket.load(Relaxed) == p.ticket && s.grant.swap(0, SeqCst) != 0
}

/// Clears the grant of the waiter at `p` (a mutex's grantee, holding its token: the state
/// lock is not needed, since only the token holder changes a mutex's grant).
pub(crate) fn clear_grant(page: &Page, p: Place) {
    let s = &slots(page)[p.idx];
    if s.ticket.load(Relaxed) == p.ticket {
        s.grant.store(0, SeqCst);
    }
}

/// The slot that holds `ticket`, if any, and whether its waiter is alive.
pub(crate) fn find(g: &StateGuard<'_>, ticket: u32) -> Option<(usize, bool)> {
    slots(g.page())
        .iter()
        .enumerate()
        .find(|(_, s)| s.ticket.load(Relaxed) == ticket)
        .map(|(i, s)| (i, holder_alive(s)))
}

/// For a sleeper: asks the kernel to wake it if a waiter the object has been handed to dies
/// (then the grant must be recovered), by setting `FUTEX_WAITERS` on the lock word of each
/// such slot — the granted slots other than `mine`, or for a mutex the slot with ticket
/// `only` — and adding the word to `words` while there is room (`cap`). Returns false if a
/// word did not fit. Lock-free.
pub(crate) fn watch_grantees<'a>(
    page: &'a Page,
    mine: Option<Place>,
    only: Option<u32>,
    words: &mut Vec<Expect<'a>>,
    cap: usize,
) -> bool {
    let mut fit = true;
    for (i, s) in slots(page).iter().enumerate() {
        let t = s.ticket.load(SeqCst);
        if t == 0 || mine.is_some_and(|p| p.idx == i) {
            continue;
        }
        let watched = match only {
            Some(h) => t == h,
            None => s.grant.load(SeqCst) != 0,
        };
        if !watched {
            continue;
        }
        let w = s.lock.word();
        let mut v = w.load(SeqCst);
        while v & TID_MASK != 0 && v & FUTEX_WAITERS == 0 {
            match w.compare_exchange(v, v | FUTEX_WAITERS, SeqCst, SeqCst) {
                Ok(_) => v |= FUTEX_WAITERS,
                Err(now) => v = now,
            }
        }
        if v & TID_MASK == 0 {
            // Dead already: the sleeper's last look before sleeping (or its next attempt)
            // recovers the grant.
            continue;
        }
        if words.len() >= cap {
            fit = false;
            continue;
        }
        words.push(Expect { word: w, value: v });
    }
    fit
}

/// For a sleeper's last look: is a waiter the object was handed to (a granted slot other than
/// `mine`, or for a mutex the slot with ticket `only`) dead? Then the sleeper must not sleep:
/// its next attempt recovers the grant. Lock-free.
pub(crate) fn grantee_dead(page: &Page, mine: Option<Place>, only: Option<u32>) -> bool {
    slots(page).iter().enumerate().any(|(i, s)| {
        let t = s.ticket.load(SeqCst);
        t != 0
            && mine.is_none_or(|p| p.idx != i)
            && match only {
                Some(h) => t == h,
                None => s.grant.load(SeqCst) != 0,
            }
            && !holder_alive(s)
    })
}
