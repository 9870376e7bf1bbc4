//! Named semaphores (`CreateSemaphore`, `OpenSemaphore`, `ReleaseSemaphore`): a count in
//! `[0, maximum]`; each satisfied wait takes one; any thread or process may release.
//!
//! The second half of this file is the semaphore's protocol on its shared state
//! ([`SemaphoreState`](state::SemaphoreState)): release (lock-free), and a wait's acquisition
//! under the state lock; the wait engine (`wait.rs`) only calls these.

use crate::error::{bail, Result};
use crate::store::header::Kind;
use crate::store::namespace::Namespace;
use crate::sync::handle::{sync_handle_type, SyncHandle};
use crate::sync::queue::{self, Place};
use crate::sync::state::{self, corrupt, signal, signal_if_waiters, StateGuard};
use crate::sync::wait::Try;
use crate::sync::{self, WaitResult};
use crate::sys::page::Page;
use crate::win32::SEMAPHORE_MODIFY_STATE;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

/// One handle to a semaphore.
#[derive(Debug)]
pub struct Semaphore {
    pub(crate) h: SyncHandle,
}

sync_handle_type!(Semaphore, Kind::Semaphore, "OpenSemaphore");

impl Semaphore {
    /// `CreateSemaphore` in the default namespace. `maximum` must be > 0 and
    /// `0 <= initial <= maximum` (else `ERROR_INVALID_PARAMETER`, even if the name exists). If
    /// the name exists the counts are ignored and
    /// [`already_existed`](Semaphore::already_existed) is true.
    pub fn create(name: Option<&str>, initial: i32, maximum: i32) -> Result<Semaphore> {
        Semaphore::create_in(&Namespace::default(), name, initial, maximum)
    }

    /// `CreateSemaphore` in `ns`.
    pub fn create_in(
        ns: &Namespace,
        name: Option<&str>,
        initial: i32,
        maximum: i32,
    ) -> Result<Semaphore> {
        if maximum <= 0 || initial < 0 || initial > maximum {
            bail!(
                InvalidParameter,
                "a semaphore needs maximum > 0 and 0 <= initial <= maximum (got initial {initial}, maximum {maximum})"
            );
        }
        let h = SyncHandle::create(
            ns,
            Kind::Semaphore,
            name,
            &|page: &Page| {
                init(page, initial, maximum);
                Ok(())
            },
            None,
        )?;
        Ok(Semaphore { h })
    }

    /// The current count and the maximum (a snapshot).
    pub fn count(&self) -> Result<(i32, i32)> {
        let st = state::semaphore(self.h.page()?);
        Ok((st.count.load(SeqCst) as i32, st.max.load(Relaxed) as i32))
    }

    /// `ReleaseSemaphore`: adds `n` (> 0) and returns the previous count. A release past the
    /// maximum fails with `ERROR_TOO_MANY_POSTS` and changes nothing.
    pub fn release(&self, n: i32) -> Result<i32> {
        if n <= 0 {
            bail!(
                InvalidParameter,
                "the release count must be positive, not {n}"
            );
        }
        self.h
            .require(SEMAPHORE_MODIFY_STATE, "release the semaphore")?;
        release(self.h.page()?, n)
    }

    /// `WaitForSingleObject`: takes one unit of the count.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<WaitResult> {
        sync::wait_one(self, timeout)
    }
}

// ------------------------------------------------------------------------------------------
// The semaphore protocol on the shared page
// ------------------------------------------------------------------------------------------
//
// Every decrement happens under the state lock; a release adds to the count without it, with
// one compare-exchange (like `sem_post`). So under the lock a count can only grow: a wait-all
// that found it positive under the lock still finds it so when it commits.

/// The state of a new semaphore, in its still private page (the arguments were checked).
fn init(page: &Page, initial: i32, maximum: i32) {
    let st = state::semaphore(page);
    st.count.store(initial as u32, Relaxed);
    st.max.store(maximum as u32, Relaxed);
}

/// Are `count` and `max` values fmap can produce? A count above its maximum or negative would
/// otherwise overflow the arithmetic of `ReleaseSemaphore` and hand out units that do not
/// exist.
#[inline]
fn valid(count: i32, max: i32) -> bool {
    max > 0 && (0..=max).contains(&count)
}

/// Validates the semaphore's state words, under its state lock. Any process with write access
/// can store anything there (a hostile or buggy peer); values no operation can produce are
/// reported as `ERROR_INVALID_DATA` instead of being acted on.
pub(crate) fn validate(g: &StateGuard<'_>) -> Result<()> {
    let st = state::semaphore(g.page());
    if !valid(st.count.load(Relaxed) as i32, st.max.load(Relaxed) as i32) {
        return Err(corrupt("semaphore"));
    }
    Ok(())
}

/// `ReleaseSemaphore` of `n` (> 0) units: returns the previous count. Units go to the queued
/// waiters first, oldest first (see `queue.rs`); the rest to the count.
#[inline]
pub(crate) fn release(page: &Page, n: i32) -> Result<i32> {
    if state::common(page).queued.load(SeqCst) != 0 {
        return release_handing_off(page, n);
    }
    let prev = add(page, n)?;
    // A sleeper registers in `nwaiters` before it looks at the count for the last time
    // (`wait::sleep`), and both sides use `SeqCst`: either we see it here and wake it, or it
    // sees the new count and does not sleep. Spinning waiters watch the count itself. (A
    // waiter that queued after our look at `queued` finds the units in the count.)
    signal_if_waiters(page);
    Ok(prev)
}

/// Adds `n` to the count, within the maximum: lock-free, the count only ever grows outside
/// the state lock (every decrement happens under it), so a wait-all that found the count
/// positive under the lock still finds it so when it commits. One compare-exchange, like
/// `sem_post`.
#[inline(always)]
fn add(page: &Page, n: i32) -> Result<i32> {
    let st = state::semaphore(page);
    let max = st.max.load(Relaxed) as i32;
    let mut cur = st.count.load(Relaxed);
    loop {
        let prev = cur as i32;
        if !valid(prev, max) {
            return Err(corrupt("semaphore"));
        }
        if n > max - prev {
            bail!(
                TooManyPosts,
                "releasing {n} would raise the count from {prev} past its maximum {max}"
            );
        }
        match st
            .count
            .compare_exchange_weak(cur, (prev + n) as u32, SeqCst, Relaxed)
        {
            Ok(_) => return Ok(prev),
            Err(now) => cur = now,
        }
    }
}

/// A release with waiters queued: under the state lock the units are added to the count and
/// handed from there to the oldest queued waiters, so no other thread — the releaser waiting
/// again included — can take them first (every decrement happens under the lock).
#[cold]
fn release_handing_off(page: &Page, n: i32) -> Result<i32> {
    let g = StateGuard::lock(page)?;
    validate(&g)?;
    let prev = add(page, n)?;
    recover(&g, None);
    distribute(&g, None);
    drop(g);
    signal(page);
    Ok(prev)
}

/// Gives back the units handed to waiters that died before they took them (see `queue.rs`):
/// they go back to the count (never past the maximum), and from there to the oldest queued
/// waiters other than `exclude`. Returns whether it handed any (then signal). (Units already
/// in the count stay there: a release hands its units over when it happens; what is in the
/// count was there before the waiters queued, or was passed back by a wait-all that could
/// not use it, and goes to whoever asks.)
pub(crate) fn recover(g: &StateGuard<'_>, exclude: Option<usize>) -> bool {
    let lost = queue::reap(g, 0);
    if lost == 0 {
        return false;
    }
    put_back(g, lost);
    distribute(g, exclude)
}

/// Adds `n` units that were taken out of the count back to it, under the state lock (never
/// past the maximum).
fn put_back(g: &StateGuard<'_>, n: u32) {
    let st = state::semaphore(g.page());
    let max = st.max.load(Relaxed);
    let _ = st
        .count
        .fetch_update(SeqCst, Relaxed, |c| Some(c.saturating_add(n).min(max)));
}

/// Hands units of the count to the oldest queued waiters without one (not `exclude`), one
/// each, while there are units. Returns whether it handed any (then signal).
pub(crate) fn distribute(g: &StateGuard<'_>, exclude: Option<usize>) -> bool {
    let c = &state::semaphore(g.page()).count;
    let mut any = false;
    while c.load(Relaxed) > 0 {
        let Some(i) = queue::oldest(g, exclude) else {
            break;
        };
        // Taken out of the count, then handed over (a process killed between the two loses
        // the unit; never the reverse, which would make one up).
        c.fetch_sub(1, SeqCst);
        queue::give(g, i);
        any = true;
    }
    any
}

/// Passes on a unit handed to the waiter at `mine` that it does not use: to the next queued
/// waiter, or to the count.
pub(crate) fn pass_on(g: &StateGuard<'_>, mine: Option<usize>) {
    put_back(g, 1);
    distribute(g, mine);
}

/// Could the semaphore at `page` be acquired? A lock-free look (see
/// `event::might_be_available`).
#[inline]
pub(crate) fn might_be_available(page: &Page) -> bool {
    state::semaphore(page).count.load(SeqCst) > 0
}

/// A waiter's attempt, under the state lock (validated): a unit handed to it (`mine`: its
/// place in the queue, if it is queued), else — after units handed to dead waiters went back
/// and the count to the older queued waiters — one from the count. Sets `wake` if it handed
/// units to other waiters.
pub(crate) fn try_acquire_queued(g: &StateGuard<'_>, mine: Option<Place>, wake: &mut bool) -> Try {
    if state::common(g.page()).queued.load(Relaxed) != 0 {
        *wake |= recover(g, None);
        if let Some(p) = mine.filter(|&p| queue::take_grant(g, p)) {
            queue::leave(g, p);
            return Try::Got;
        }
    }
    let r = try_acquire(g);
    if let (Try::Got, Some(p)) = (r, mine) {
        // Out of the queue in the same critical section, so that no further unit is handed
        // to a waiter that is done (it would only pass it back).
        queue::leave(g, p);
    }
    r
}

/// A wait's attempt, under the state lock (validated): takes one unit if there is one.
#[inline]
pub(crate) fn try_acquire(g: &StateGuard<'_>) -> Try {
    let c = &state::semaphore(g.page()).count;
    if c.load(Relaxed) > 0 {
        // Releases add to the count without the lock; decrements all happen under it, so the
        // count is still positive here and one atomic subtraction commits.
        c.fetch_sub(1, SeqCst);
        Try::Got
    } else {
        Try::No
    }
}

/// For a wait-all, under the state lock: the count now (`SeqCst`; positive: available), which
/// the sleep also watches if it is 0 ([`count_appeared`]).
#[inline]
pub(crate) fn count_locked(g: &StateGuard<'_>) -> u32 {
    state::semaphore(g.page()).count.load(SeqCst)
}

/// A wait-all's commit, under the state lock after [`count_locked`] found the count positive:
/// still positive, since only releases (additions) run without the lock.
#[inline]
pub(crate) fn take(g: &StateGuard<'_>) {
    state::semaphore(g.page()).count.fetch_sub(1, SeqCst);
}

/// For a sleeper whose failed attempt saw the count `seen`: a release bumps `seq` only when a
/// sleeper is registered, so a count that was 0 is watched too — a positive count now counts
/// as a change.
#[inline]
pub(crate) fn count_appeared(page: &Page, seen: u32) -> bool {
    seen == 0 && state::semaphore(page).count.load(SeqCst) != 0
}

crate::sync::handle::options_builder! {
    /// Builder for [`Semaphore`]s: the name, the namespace and the options of `CreateSemaphore`,
    /// by name rather than by position.
    ///
    /// ```
    /// # let d = tempfile::tempdir_in("/dev/shm")?;
    /// # let ns = fmap::Namespace::at(d.path());
    /// let slots = fmap::SemaphoreOptions::new()
    ///     .name("Local\\slots")
    ///     .namespace(&ns)
    ///     .initial(4)
    ///     .maximum(4)
    ///     .create()?;
    /// assert_eq!(slots.count()?, (4, 4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    SemaphoreOptions => Semaphore, "CreateSemaphore",
    {
        /// The initial count (default 0; `0 <= initial <= maximum`).
        initial: i32 = 0,
        /// The maximum count (default 1; must be positive).
        maximum: i32 = 1,
    },
    |ns, name, o| Semaphore::create_in(ns, name, o.initial, o.maximum)
}
