//! The wait engine: `WaitForSingleObject`, `WaitForMultipleObjects` (any and all), spinning and
//! sleeping. See the module docs of [`crate::sync`] for the protocol.
//!
//! This file is the generic engine only: each type's acquisition logic — what an attempt does,
//! what a wait-all checks and commits, what a sleeper watches — is in `mutex.rs`, `event.rs`
//! and `semaphore.rs`, which this calls.

use super::queue::{self, Place};
use super::state::{common, seq, signal, LockUntil, StateGuard};
use super::{event, mutex, semaphore, timer};
use crate::error::{bail, Result};
use crate::store::object::Object;
use crate::sys::futex::{self, Expect, Woken};
use crate::sys::page::Page;
use crate::sys::robust::Lock;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::time::{Duration, Instant};

/// The object types a wait can involve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncKind {
    Mutex,
    Event,
    Semaphore,
    Timer,
}

/// What one acquisition attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Try {
    Got,
    Abandoned,
    No,
}

/// A waitable object as the wait engine sees it.
pub struct WaitTarget<'a> {
    pub(crate) obj: &'a Object,
    pub(crate) page: &'a Page,
    pub(crate) kind: SyncKind,
}

impl WaitTarget<'_> {
    fn key(&self) -> Result<(u64, u64)> {
        self.obj.identity()
    }
}

/// Implemented by objects that can be waited on (mutexes, events, semaphores, waitable
/// timers). A
/// [`Mapping`](crate::Mapping) implements it too and always fails: file mappings are not
/// waitable.
pub trait Waitable {
    /// The object's state, if it is waitable and the handle has `SYNCHRONIZE` access.
    fn wait_target(&self) -> Result<WaitTarget<'_>>;
}

/// The outcome of a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a wait that acquired a mutex or a semaphore unit must be released"]
pub enum WaitResult {
    /// Object `index` was signaled and acquired (`WAIT_OBJECT_0 + index`; for wait-all, index
    /// 0).
    Signaled(usize),
    /// Object `index` is a mutex whose owner died; the caller now owns it
    /// (`WAIT_ABANDONED_0 + index`).
    Abandoned(usize),
    /// The timeout elapsed; nothing was acquired (`WAIT_TIMEOUT`).
    TimedOut,
}

impl WaitResult {
    /// The Win32 return value (`WAIT_OBJECT_0 + i`, `WAIT_ABANDONED_0 + i`, `WAIT_TIMEOUT`).
    pub fn to_win32(self) -> u32 {
        match self {
            WaitResult::Signaled(i) => i as u32,
            WaitResult::Abandoned(i) => crate::win32::WAIT_ABANDONED_0 + i as u32,
            WaitResult::TimedOut => crate::win32::WAIT_TIMEOUT,
        }
    }
}

static SPIN_NS: AtomicU64 = AtomicU64::new(u64::MAX);

/// Sets how long a waiter spins (watching the objects' words) before it sleeps in the kernel.
/// Spinning trades CPU time for wake-up latency when the other side answers quickly from
/// another core. The default is 20 µs on machines with more than one CPU and 0 otherwise, or
/// `$FMAP_SPIN_US` microseconds if set. `Duration::ZERO` disables spinning.
pub fn set_spin(d: Duration) {
    SPIN_NS.store(d.as_nanos().min(u64::MAX as u128 - 1) as u64, Relaxed);
}

/// Hand-off on release (`queue.rs`): 0 not decided yet, 1 off, 2 on.
static HANDOFF: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Turns hand-off on release on or off for the waits of this process: with it on (the
/// default), a waiter that must wait joins its objects' wait queues, and a release of a mutex,
/// a semaphore or an auto-reset event gives the object to the oldest queued waiter that can use
/// it (Windows' rule: a releaser never barges past a waiting thread). Off, waits do not queue:
/// a releaser may take the object back before a waiter runs (a lock-free acquirer's usual
/// unfairness; slightly faster under heavy contention). `FMAP_HANDOFF=0` in the environment
/// turns it off for a process that does not call this. Releases hand off to the queued
/// waiters of any process that has it on.
pub fn set_handoff(on: bool) {
    HANDOFF.store(if on { 2 } else { 1 }, Relaxed);
}

/// Is hand-off on for this process's waits (see [`set_handoff`])?
pub(crate) fn handoff_enabled() -> bool {
    match HANDOFF.load(Relaxed) {
        0 => {
            let on = std::env::var("FMAP_HANDOFF").map_or(true, |v| v.trim() != "0");
            set_handoff(on);
            on
        }
        v => v == 2,
    }
}

pub(crate) fn spin_ns() -> u64 {
    let v = SPIN_NS.load(Relaxed);
    if v != u64::MAX {
        return v;
    }
    let d = std::env::var("FMAP_SPIN_US")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|us| us * 1000)
        .unwrap_or_else(|| {
            // Online CPUs, not this thread's affinity mask: a waiter pinned to one CPU still
            // profits from spinning while its peer runs on another.
            // SAFETY: sysconf has no preconditions.
            if unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) } > 1 {
                20_000
            } else {
                0
            }
        });
    SPIN_NS.store(d, Relaxed);
    d
}

/// One attempt on one object. Also returns what to sleep on: the `seq` snapshot (read before
/// the attempt) and, for a mutex, its token word as seen after the failed attempt (for an
/// event or semaphore 0: a failed semaphore attempt saw a count of 0). `since`: the `seq`
/// snapshot from before the waiter last slept (releases by Set/Pulse after it count for
/// events). `mine`: the waiter's place in the object's queue, if it is queued (a queued
/// waiter's attempt on an event or semaphore always takes the state lock: what was handed to
/// it, or to a waiter that died, is there). `Ok(None)`: the state lock was busy until the
/// wait's deadline in `until` (the wait times out).
pub(crate) fn attempt(
    t: &WaitTarget<'_>,
    since: Option<u32>,
    until: LockUntil,
    mine: Option<Place>,
) -> Result<Option<(Try, u32, u32)>> {
    let snap = seq(t.page).load(SeqCst);
    match t.kind {
        SyncKind::Mutex => {
            let Some(r) = mutex::try_mutex_until(t.page, until, mine)? else {
                return Ok(None);
            };
            Ok(Some((r, snap, mutex::token_word(t.page))))
        }
        SyncKind::Event => attempt_locked(
            t.page,
            snap,
            until,
            mine.is_some()
                || event::might_be_available(t.page, since)
                || queue::grantee_dead(t.page, None, None),
            |g, wake| {
                event::validate(g)?;
                Ok(event::try_acquire_queued(g, since, mine, wake))
            },
        ),
        SyncKind::Semaphore => attempt_locked(
            t.page,
            snap,
            until,
            mine.is_some()
                || semaphore::might_be_available(t.page)
                || queue::grantee_dead(t.page, None, None),
            |g, wake| {
                semaphore::validate(g)?;
                Ok(semaphore::try_acquire_queued(g, mine, wake))
            },
        ),
        // A timer is an event the clock sets: fired here if it is due (see `timer.rs`).
        SyncKind::Timer => attempt_locked(
            t.page,
            snap,
            until,
            mine.is_some()
                || timer::might_be_available(t.page, since)
                || queue::grantee_dead(t.page, None, None),
            |g, wake| {
                timer::validate(g)?;
                *wake |= timer::fire(g);
                Ok(event::try_acquire_queued(g, since, mine, wake))
            },
        ),
    }
}

/// An attempt on an event or semaphore: nothing if a lock-free look (`available`, after the
/// snapshot `snap`) found it unavailable, else `acquire` under the state lock (then the
/// snapshot is taken again, under the lock). `acquire` sets its flag if it handed the object
/// to other waiters, which are then woken after the lock.
#[inline(always)]
fn attempt_locked(
    page: &Page,
    snap: u32,
    until: LockUntil,
    available: bool,
    acquire: impl FnOnce(&StateGuard<'_>, &mut bool) -> Result<Try>,
) -> Result<Option<(Try, u32, u32)>> {
    if !available {
        return Ok(Some((Try::No, snap, 0)));
    }
    let Some(g) = StateGuard::lock_until(page, until)? else {
        return Ok(None);
    };
    let mut wake = false;
    let r = acquire(&g, &mut wake)?;
    let snap = seq(page).load(SeqCst);
    drop(g);
    if wake {
        signal(page);
    }
    Ok(Some((r, snap, 0)))
}

/// A waiter's places in the queues of its objects (`None` where it is not queued); leaves
/// them when dropped, passing on whatever was handed to it and not used.
struct Places<'a> {
    targets: &'a [WaitTarget<'a>],
    places: Vec<Option<Place>>,
}

impl<'a> Places<'a> {
    /// Queues the waiter on each of `targets` (see `queue.rs`): not on a manual-reset event
    /// (it releases every waiter), nor where the queue is full or the state lock stays busy
    /// until `until` (then the waiter waits unqueued).
    fn enqueue(targets: &'a [WaitTarget<'a>], until: LockUntil) -> Result<Places<'a>> {
        let mut me = Places {
            targets,
            places: Vec::with_capacity(targets.len()),
        };
        if !handoff_enabled() {
            // No queues: the waiter waits unqueued, as with a full queue.
            me.places.resize(targets.len(), None);
            return Ok(me);
        }
        for t in targets {
            let manual = match t.kind {
                SyncKind::Event => event::is_manual(t.page),
                SyncKind::Timer => timer::is_manual(t.page),
                _ => false,
            };
            let p = if manual {
                None
            } else {
                match StateGuard::lock_until(t.page, until)? {
                    None => None,
                    Some(g) => {
                        let mut wake = false;
                        match t.kind {
                            SyncKind::Mutex => mutex::recover(&g),
                            SyncKind::Semaphore => wake = semaphore::recover(&g, None),
                            SyncKind::Event | SyncKind::Timer => wake = event::recover(&g, None),
                        }
                        let p = queue::register(&g);
                        drop(g);
                        if wake {
                            signal(t.page);
                        }
                        p
                    }
                }
            };
            me.places.push(p);
        }
        Ok(me)
    }
}

impl Drop for Places<'_> {
    fn drop(&mut self) {
        for (t, p) in self.targets.iter().zip(&self.places) {
            if let Some(p) = *p {
                leave(t, p);
            }
        }
    }
}

/// Leaves the queue of `t` at `p`, passing on a grant that was not used.
fn leave(t: &WaitTarget<'_>, p: Place) {
    let Ok(g) = StateGuard::lock(t.page) else {
        queue::abandon(t.page, p);
        return;
    };
    // The mutex's grant is passed on while the slot still names us (see `mutex::pass_on`); if
    // its token is busy, the slot leaves with the grant, and the token's holder ends the
    // reservation.
    let passed = t.kind == SyncKind::Mutex && mutex::pass_on(&g, p);
    let granted = queue::leave(&g, p) || passed;
    if granted {
        match t.kind {
            SyncKind::Semaphore => semaphore::pass_on(&g, None),
            SyncKind::Event | SyncKind::Timer => event::pass_on(&g, None),
            SyncKind::Mutex => {}
        }
    }
    drop(g);
    if granted {
        signal(t.page);
    }
}

pub(crate) fn deadline_of(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|d| {
        Instant::now()
            .checked_add(d)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86400 * 365))
    })
}

/// `WaitForMultipleObjects(…, bWaitAll = FALSE, …)`; `timeout` `None` is `INFINITE`.
pub fn wait_any(objects: &[&dyn Waitable], timeout: Option<Duration>) -> Result<WaitResult> {
    wait_any_impl(objects, timeout, None)
}

/// A check that a long wait runs while it sleeps: for a language runtime that must look for
/// pending signals (Python's Ctrl-C) while one of its threads waits. See [`wait_any_checked`].
struct Check<'a> {
    every: Duration,
    check: &'a mut dyn FnMut() -> Result<()>,
    next: Instant,
}

impl<'a> Check<'a> {
    fn new(every: Duration, check: &'a mut dyn FnMut() -> Result<()>) -> Check<'a> {
        // At least 1 ms between checks: a zero period would make the sleep a busy loop.
        let every = every.max(Duration::from_millis(1));
        Check {
            every,
            check,
            next: Instant::now() + every,
        }
    }

    /// The deadline of the next sleep: the wait's own, or the next check's if that is sooner.
    fn bound(&self, deadline: Option<Instant>) -> Option<Instant> {
        Some(deadline.map_or(self.next, |d| d.min(self.next)))
    }

    /// Runs the check if its time has come.
    fn run_if_due(&mut self) -> Result<()> {
        let now = Instant::now();
        if now >= self.next {
            (self.check)()?;
            self.next = Instant::now() + self.every;
        }
        Ok(())
    }
}

/// [`wait_any`] that calls `check` every `every` (at least 1 ms) while it sleeps, and fails
/// with `check`'s error — having left the objects' wait queues and passed on whatever was
/// handed to it, as a timeout does — as soon as `check` fails.
///
/// The waiter keeps its places in the wait queues across checks, so hand-off on release stays
/// fair: unlike a wait cut into short waits, a checked wait is not sent to the back of the
/// queue each time it looks. `check` runs on the waiting thread, between two sleeps, never
/// with a lock of fmap held; it is not called when the wait is satisfied at once.
///
/// ```
/// # fn main() -> fmap::Result<()> {
/// use fmap::{wait_any_checked, Error, ErrorKind, Event, WaitResult};
/// use std::time::Duration;
/// let e = Event::create(None, true, false)?;
/// let mut looks = 0;
/// let mut check = || {
///     looks += 1;
///     if looks == 3 {
///         return Err(Error::new(ErrorKind::Other, "interrupted"));
///     }
///     Ok(())
/// };
/// let r = wait_any_checked(&[&e], None, Duration::from_millis(1), &mut check);
/// assert_eq!(r.unwrap_err().message(), "interrupted");
/// # Ok(()) }
/// ```
pub fn wait_any_checked(
    objects: &[&dyn Waitable],
    timeout: Option<Duration>,
    every: Duration,
    check: &mut dyn FnMut() -> Result<()>,
) -> Result<WaitResult> {
    wait_any_impl(objects, timeout, Some(Check::new(every, check)))
}

/// [`wait_all`] that calls `check` while it sleeps; see [`wait_any_checked`].
pub fn wait_all_checked(
    objects: &[&dyn Waitable],
    timeout: Option<Duration>,
    every: Duration,
    check: &mut dyn FnMut() -> Result<()>,
) -> Result<WaitResult> {
    wait_all_impl(objects, timeout, Some(Check::new(every, check)))
}

fn wait_any_impl(
    objects: &[&dyn Waitable],
    timeout: Option<Duration>,
    mut check: Option<Check<'_>>,
) -> Result<WaitResult> {
    if objects.is_empty() || objects.len() > 64 {
        bail!(
            InvalidParameter,
            "a wait takes 1 to 64 objects, not {}",
            objects.len()
        );
    }
    // Every handle is checked before anything is acquired.
    for o in objects {
        o.wait_target()?;
    }
    // Fast path, without allocating: an object that is available now, or a poll.
    let first = LockUntil::of_timeout(timeout);
    for (i, o) in objects.iter().enumerate() {
        let Some((r, _, _)) = attempt(&o.wait_target()?, None, first, None)? else {
            return Ok(WaitResult::TimedOut);
        };
        match r {
            Try::Got => return Ok(WaitResult::Signaled(i)),
            Try::Abandoned => return Ok(WaitResult::Abandoned(i)),
            Try::No => {}
        }
    }
    if timeout == Some(Duration::ZERO) {
        return Ok(WaitResult::TimedOut);
    }
    let deadline = deadline_of(timeout);
    let targets = objects
        .iter()
        .map(|o| o.wait_target())
        .collect::<Result<Vec<_>>>()?;
    let mut snaps = vec![0u32; targets.len()];
    let mut toks = vec![0u32; targets.len()];
    let mut since: Option<Vec<u32>> = None;
    let until = LockUntil::of_deadline(deadline);
    // Spinning, the waiter is not queued yet: a release hands nothing to it, and takes nothing
    // from a queued waiter either (a release with a queued waiter gives the object to that
    // waiter, not to the spinner). Queueing first would put two state-lock round trips and a
    // hand-off on every quick answer: the adaptive-spin ping-pong took 5.2× the raw spin
    // ping-pong that way, against 2.7× unqueued (`fmap-bench --only pingpong`). Mutexes queue
    // at once: an owner that unlocks and locks again in a loop would otherwise win every race
    // against a spinner, and mutex hand-off is about exactly that. Waits that include a timer
    // do too: a timer's due time passing changes no word a spinner watches (only an attempt
    // fires it), so the sleep's spin-then-bounded-wait is what serves them.
    let spin = spin_ns() > 0
        && targets
            .iter()
            .all(|t| matches!(t.kind, SyncKind::Event | SyncKind::Semaphore));
    if spin {
        let end = Instant::now() + Duration::from_nanos(spin_ns());
        let end = deadline.map_or(end, |d| d.min(end));
        let mut unqueued = vec![None; targets.len()];
        loop {
            let at = attempt_each(
                &targets,
                since.as_deref(),
                until,
                &mut unqueued,
                &mut snaps,
                &mut toks,
            );
            if let Some(r) = at? {
                return Ok(r);
            }
            since = Some(snaps.clone());
            if !spin_until_changed(&targets, &unqueued, &snaps, &toks, end, false) {
                break;
            }
        }
        // Even at the deadline: one more attempt, queued, before a timeout is reported.
    }
    // From here on the waiter is present: a release hands the object to it (see `queue.rs`).
    // Dropping `places` leaves the queues and passes on what was handed over and not used.
    let mut places = Places::enqueue(&targets, until)?;
    loop {
        let at = attempt_each(
            &targets,
            since.as_deref(),
            until,
            &mut places.places,
            &mut snaps,
            &mut toks,
        );
        if let Some(r) = at? {
            return Ok(r);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(WaitResult::TimedOut);
        }
        let bound = check.as_ref().map_or(deadline, |c| c.bound(deadline));
        sleep(&targets, &places.places, &snaps, &toks, bound, false, !spin);
        if let Some(c) = check.as_mut() {
            c.run_if_due()?;
        }
        since = Some(snaps.clone());
    }
}

/// One attempt on each of a `wait_any`'s objects in turn, at `places` in their queues (`None`
/// where it is not queued): the result if one was acquired (or a state lock stayed busy until
/// the deadline: `TimedOut`); otherwise `None`, with the `seq` snapshots and token words seen
/// in `snaps` and `toks`. `since`: the snapshots of the previous round.
fn attempt_each(
    targets: &[WaitTarget<'_>],
    since: Option<&[u32]>,
    until: LockUntil,
    places: &mut [Option<Place>],
    snaps: &mut [u32],
    toks: &mut [u32],
) -> Result<Option<WaitResult>> {
    for (i, t) in targets.iter().enumerate() {
        let s = since.map(|s| s[i]);
        let Some((r, snap, tok)) = attempt(t, s, until, places[i])? else {
            return Ok(Some(WaitResult::TimedOut));
        };
        if r != Try::No && t.kind != SyncKind::Mutex {
            // The attempt left this queue itself (see `event::try_acquire_queued`).
            places[i] = None;
        }
        match r {
            Try::Got => return Ok(Some(WaitResult::Signaled(i))),
            Try::Abandoned => return Ok(Some(WaitResult::Abandoned(i))),
            Try::No => {
                snaps[i] = snap;
                toks[i] = tok;
            }
        }
    }
    Ok(None)
}

/// `WaitForMultipleObjects(…, bWaitAll = TRUE, …)`: acquires every object at once or nothing.
/// The same object twice (through any handles) is `ERROR_INVALID_PARAMETER`.
pub fn wait_all(objects: &[&dyn Waitable], timeout: Option<Duration>) -> Result<WaitResult> {
    wait_all_impl(objects, timeout, None)
}

fn wait_all_impl(
    objects: &[&dyn Waitable],
    timeout: Option<Duration>,
    mut check: Option<Check<'_>>,
) -> Result<WaitResult> {
    if objects.is_empty() || objects.len() > 64 {
        bail!(
            InvalidParameter,
            "a wait takes 1 to 64 objects, not {}",
            objects.len()
        );
    }
    let targets = objects
        .iter()
        .map(|o| o.wait_target())
        .collect::<Result<Vec<_>>>()?;
    let mut order: Vec<(u64, u64, usize)> = Vec::with_capacity(targets.len());
    for (i, t) in targets.iter().enumerate() {
        let (d, n) = t.key()?;
        order.push((d, n, i));
    }
    order.sort_unstable();
    if order
        .windows(2)
        .any(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
    {
        bail!(
            InvalidParameter,
            "the same object appears twice in a wait-all"
        );
    }
    let deadline = deadline_of(timeout);
    for t in &targets {
        common(t.page).all_hint.fetch_add(1, SeqCst);
    }
    struct Hint<'a>(&'a [WaitTarget<'a>]);
    impl Drop for Hint<'_> {
        fn drop(&mut self) {
            for t in self.0 {
                common(t.page).all_hint.fetch_sub(1, SeqCst);
            }
        }
    }
    let _hint = Hint(&targets);
    let mut snaps = vec![0u32; targets.len()];
    let mut toks = vec![0u32; targets.len()];
    // A poll waits out legitimate holders of the state locks (see `LockUntil::Bound`).
    let until = if timeout == Some(Duration::ZERO) {
        LockUntil::Bound
    } else {
        LockUntil::of_deadline(deadline)
    };
    let none = vec![None; targets.len()];
    if let Some(r) = try_all(&targets, &none, &order, &mut snaps, &mut toks, until)? {
        return Ok(r);
    }
    if timeout == Some(Duration::ZERO) {
        return Ok(WaitResult::TimedOut);
    }
    // Present from here on (see `wait_any`).
    let places = Places::enqueue(&targets, until)?;
    loop {
        if let Some(r) = try_all(
            &targets,
            &places.places,
            &order,
            &mut snaps,
            &mut toks,
            until,
        )? {
            return Ok(r);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(WaitResult::TimedOut);
        }
        let bound = check.as_ref().map_or(deadline, |c| c.bound(deadline));
        sleep(&targets, &places.places, &snaps, &toks, bound, true, true);
        if let Some(c) = check.as_mut() {
            c.run_if_due()?;
        }
    }
}

/// One atomic attempt of a wait-all, under all state locks. `places`: the waiter's places in
/// the objects' queues. `Ok(None)`: not all available; `WaitResult::TimedOut`: a state lock
/// stayed busy until the wait's deadline in `until`.
///
/// What was handed to the waiter counts as available (and is what it takes). If not all
/// objects are available, it passes on what was handed to it — to the next queued waiter, or
/// back to the object — so a wait-all never sits on an object it cannot use.
fn try_all(
    targets: &[WaitTarget<'_>],
    places: &[Option<Place>],
    order: &[(u64, u64, usize)],
    snaps: &mut [u32],
    toks: &mut [u32],
    until: LockUntil,
) -> Result<Option<WaitResult>> {
    for (i, t) in targets.iter().enumerate() {
        snaps[i] = seq(t.page).load(SeqCst);
    }
    let mut guards = Vec::with_capacity(order.len());
    // `pos[i]`: where target `i`'s guard is in `guards` (which is in lock order).
    let mut pos = vec![0usize; targets.len()];
    // Objects handed to other waiters meanwhile: woken once the locks are released.
    let mut wake = vec![false; targets.len()];
    for &(_, _, i) in order {
        let Some(g) = StateGuard::lock_until(targets[i].page, until)? else {
            return Ok(Some(WaitResult::TimedOut));
        };
        pos[i] = guards.len();
        guards.push(g);
        let g = &guards[pos[i]];
        match targets[i].kind {
            SyncKind::Event => event::validate(g)?,
            SyncKind::Semaphore => semaphore::validate(g)?,
            SyncKind::Timer => {
                timer::validate(g)?;
                // Due: signaled now, under the lock (see `timer.rs`).
                wake[i] |= timer::fire(g);
            }
            SyncKind::Mutex => {}
        }
        if common(targets[i].page).queued.load(SeqCst) != 0 {
            // What was handed to waiters that died goes back (and on to the oldest waiter).
            // Not to this wait-all itself: what it is handed must be usable at once, or it
            // would only pass it back (see below) and go round again.
            let me = places[i].map(|p| p.idx);
            wake[i] |= match targets[i].kind {
                SyncKind::Event | SyncKind::Timer => event::recover(g, me),
                SyncKind::Semaphore => semaphore::recover(g, me),
                SyncKind::Mutex => mutex::settle(g, me),
            };
        }
    }
    let r = try_all_locked(targets, places, &guards, &pos, order, toks, &mut wake);
    drop(guards);
    for (t, w) in targets.iter().zip(wake) {
        if w {
            signal(t.page);
        }
    }
    r
}

/// [`try_all`] with every state lock held (`guards`, target `i`'s at `pos[i]`). Sets `wake[i]`
/// for objects handed on to other waiters.
fn try_all_locked(
    targets: &[WaitTarget<'_>],
    places: &[Option<Place>],
    guards: &[StateGuard<'_>],
    pos: &[usize],
    order: &[(u64, u64, usize)],
    toks: &mut [u32],
    wake: &mut [bool],
) -> Result<Option<WaitResult>> {
    for t in targets {
        if t.kind == SyncKind::Mutex {
            mutex::check_recursion_if_mine(t.page)?;
        }
    }
    let granted = |i: usize| places[i].is_some_and(|p| queue::granted(targets[i].page, p));
    // Not all available: pass on what was handed to us.
    let give_up = |wake: &mut [bool]| {
        for (i, t) in targets.iter().enumerate() {
            let (Some(p), g) = (places[i], &guards[pos[i]]) else {
                continue;
            };
            // A mutex's grant stays while its token is busy (see `mutex::pass_on`).
            let passed = match t.kind {
                SyncKind::Mutex => mutex::pass_on(g, p),
                _ if !queue::take_grant(g, p) => false,
                SyncKind::Semaphore => {
                    semaphore::pass_on(g, Some(p.idx));
                    true
                }
                SyncKind::Event | SyncKind::Timer => {
                    event::pass_on(g, Some(p.idx));
                    true
                }
            };
            wake[i] |= passed;
        }
    };
    // Events and semaphores cannot change while we hold their locks; mutexes can be taken by
    // lock-free acquirers, so they are claimed last, by trylock.
    // Each mutex's token is recorded as seen here: a busy one is what the sleep watches.
    let mut ready = true;
    for (i, t) in targets.iter().enumerate() {
        let g = &guards[pos[i]];
        let ok = match t.kind {
            SyncKind::Semaphore => {
                // Recorded like a token: a count of 0 here is watched by the sleep.
                let c = semaphore::count_locked(g);
                toks[i] = c;
                c > 0 || granted(i)
            }
            SyncKind::Event | SyncKind::Timer => event::is_set(g) || granted(i),
            SyncKind::Mutex => {
                let tok = mutex::token_word(t.page);
                toks[i] = tok;
                mutex::free_or_mine(t.page, tok)
                    && mutex::handoff(t.page)
                        .is_none_or(|h| places[i].is_some_and(|p| p.ticket == h))
            }
        };
        ready &= ok;
    }
    // After giving up: which of our objects we could use if handed to us (see
    // `queue::set_declined`) — each one whose *other* objects are all available now.
    let decline = || {
        let avail: Vec<bool> = targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let g = &guards[pos[i]];
                match t.kind {
                    SyncKind::Semaphore => semaphore::count_locked(g) > 0 || granted(i),
                    SyncKind::Event | SyncKind::Timer => event::is_set(g) || granted(i),
                    SyncKind::Mutex => {
                        mutex::free_or_mine(t.page, mutex::token_word(t.page))
                            && mutex::handoff(t.page)
                                .is_none_or(|h| places[i].is_some_and(|p| p.ticket == h))
                    }
                }
            })
            .collect();
        for (i, p) in places.iter().enumerate() {
            if let Some(p) = *p {
                let others = avail.iter().enumerate().all(|(j, &a)| j == i || a);
                queue::set_declined(&guards[pos[i]], p, !others);
            }
        }
    };
    if !ready {
        give_up(wake);
        decline();
        return Ok(None);
    }
    // Claim the mutexes' tokens.
    let mut taken: Vec<(usize, Lock)> = Vec::new();
    for &(_, _, i) in order {
        let t = &targets[i];
        if t.kind != SyncKind::Mutex || mutex::owned_by_me(t.page) {
            continue;
        }
        match mutex::take_token(t.page)? {
            Lock::Busy => {
                // Taken since we looked: the sleep returns at once, and the next attempt
                // records the real token.
                toks[i] = mutex::TOKEN_UNSEEN;
                for (j, how) in taken {
                    mutex::put_back_token(&guards[pos[j]], how);
                }
                give_up(wake);
                decline();
                return Ok(None);
            }
            how => taken.push((i, how)),
        }
    }
    // Commit.
    let mut abandoned = false;
    for (i, t) in targets.iter().enumerate() {
        let g = &guards[pos[i]];
        let mine = places[i];
        match t.kind {
            SyncKind::Semaphore => {
                if !mine.is_some_and(|p| queue::take_grant(g, p)) {
                    semaphore::take(g)
                }
            }
            SyncKind::Event | SyncKind::Timer => {
                if !mine.is_some_and(|p| queue::take_grant(g, p)) {
                    event::consume(g)
                }
            }
            SyncKind::Mutex => match taken.iter().find(|(j, _)| *j == i) {
                Some(&(_, how)) => {
                    if mutex::claim_handed(g, how, mine) == Try::Abandoned {
                        abandoned = true;
                    }
                }
                // Already ours: one more level (overflow was ruled out above).
                None => mutex::recurse(t.page),
            },
        }
        if let Some(p) = mine {
            // Out of the queue under the same locks: nothing more is handed to a waiter that
            // is done (dropping its `Places` then finds nothing to leave).
            queue::leave(g, p);
        }
    }
    Ok(Some(if abandoned {
        WaitResult::Abandoned(0)
    } else {
        WaitResult::Signaled(0)
    }))
}

/// Has one of the objects changed since the failed attempts that saw `snaps` and `toks` (see
/// [`sleep`]), or been handed to us at one of `places`?
fn changed(
    targets: &[WaitTarget<'_>],
    places: &[Option<Place>],
    snaps: &[u32],
    toks: &[u32],
    all: bool,
) -> bool {
    // Also a change: an object handed to us (a release sets the grant, then bumps `seq`).
    targets
        .iter()
        .zip(snaps)
        .zip(toks)
        .zip(places)
        .any(|(((t, s), k), p)| {
            seq(t.page).load(SeqCst) != *s
                || p.is_some_and(|p| queue::granted(t.page, p))
                || match t.kind {
                    SyncKind::Semaphore => semaphore::count_appeared(t.page, *k),
                    SyncKind::Mutex => mutex::token_changed(t.page, *k, all),
                    SyncKind::Event | SyncKind::Timer => false,
                }
        })
}

/// Spins until one of the objects [`changed`] (true) or `end` passes (false). Reads only.
fn spin_until_changed(
    targets: &[WaitTarget<'_>],
    places: &[Option<Place>],
    snaps: &[u32],
    toks: &[u32],
    end: Instant,
    all: bool,
) -> bool {
    let mut n = 0u32;
    loop {
        std::hint::spin_loop();
        if changed(targets, places, snaps, toks, all) {
            return true;
        }
        n = n.wrapping_add(1);
        if n % 256 == 0 && Instant::now() >= end {
            return false;
        }
    }
}

/// Spins, then sleeps until one of the objects changes (or the deadline passes). `snaps` are
/// the `seq` snapshots and `toks` the mutex token words (semaphores: the counts) seen at the
/// failed attempts.
///
/// A semaphore release bumps `seq` only when a sleeper is registered in `nwaiters`, so a
/// semaphore whose count was 0 at the attempt is watched through its count too: a positive
/// count counts as a change (the release's compare-exchange and our `nwaiters` increment are
/// both `SeqCst`, so either it sees us and bumps `seq`, or our last look here sees the count).
///
/// Likewise a mutex release bumps `seq` only when a sleeper is registered, so a mutex is
/// watched through its token word too: a *free* token (thread id 0), or one held by another
/// thread than at the attempt, counts as a change (the `FUTEX_WAITERS` bit, which waiters set,
/// does not). A release that happens after we registered sees us and bumps `seq`; one that
/// happened before leaves the token free — or taken again, in which case the next release
/// sees us. So a waiter never sleeps through a release.
///
/// `spin`: spin first (for [`spin_ns`]), watching the words, before sleeping in the kernel.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sleep(
    targets: &[WaitTarget<'_>],
    places: &[Option<Place>],
    snaps: &[u32],
    toks: &[u32],
    deadline: Option<Instant>,
    all: bool,
    spin: bool,
) {
    let changed = || changed(targets, places, snaps, toks, all);
    // Whom each object was handed to, other than us (for a mutex, its `handoff` ticket): if
    // one of them dies, what it was handed must be recovered.
    let grantee = |t: &WaitTarget<'_>, p: Option<Place>| match t.kind {
        SyncKind::Mutex => match mutex::handoff(t.page) {
            Some(h) if p.is_none_or(|p| p.ticket != h) => Some(Some(h)),
            _ => None,
        },
        _ => Some(None),
    };
    if spin && spin_ns() > 0 {
        let end = Instant::now() + Duration::from_nanos(spin_ns());
        if spin_until_changed(
            targets,
            places,
            snaps,
            toks,
            deadline.map_or(end, |d| d.min(end)),
            all,
        ) {
            return;
        }
    }
    for t in targets {
        common(t.page).nwaiters.fetch_add(1, SeqCst);
    }
    let mut words: Vec<Expect<'_>> = Vec::with_capacity(targets.len() * 2);
    for (t, s) in targets.iter().zip(snaps) {
        words.push(Expect {
            word: seq(t.page),
            value: *s,
        });
    }
    // The token words of mutexes owned by someone else, so that the kernel wakes us if the
    // owner dies.
    let mut token_entries: Vec<(usize, usize)> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        if t.kind != SyncKind::Mutex {
            continue;
        }
        if let Some(e) = mutex::watch_owner(t.page) {
            token_entries.push((words.len(), i));
            words.push(e);
        }
    }
    // The lock words of the waiters the objects were handed to, so that the kernel wakes us if
    // one dies before it takes what it was handed (see `queue.rs`). If they do not all fit in
    // one `futex_waitv`, the sleep is bounded instead, and the next attempt looks again.
    let mut all_fit = true;
    let mut dead = false;
    for (t, p) in targets.iter().zip(places) {
        if common(t.page).queued.load(SeqCst) == 0 {
            continue;
        }
        if let Some(only) = grantee(t, *p) {
            all_fit &= queue::watch_grantees(t.page, *p, only, &mut words, futex::MAX_WORDS);
            dead |= queue::grantee_dead(t.page, *p, only);
        }
    }
    let mut deadline = if all_fit {
        deadline
    } else {
        let cap = Instant::now() + GRANTEE_POLL;
        Some(deadline.map_or(cap, |d| d.min(cap)))
    };
    // Nobody signals a timer when it is due: a sleeper wakes itself at the earliest due time
    // of its armed timers and fires it in its next attempt (see `timer.rs`). A `set` or
    // `cancel` meanwhile bumps `seq`, so a bound from an older due time is re-evaluated.
    for t in targets {
        if t.kind == SyncKind::Timer {
            if let Some(due) = timer::next_due(t.page) {
                deadline = Some(deadline.map_or(due, |d| d.min(due)));
            }
        }
    }
    let r = if dead || changed() {
        Woken::Changed
    } else {
        futex::waitv(&words, deadline)
    };
    for t in targets {
        common(t.page).nwaiters.fetch_sub(1, SeqCst);
    }
    if let Woken::Entry(k) = r {
        if let Some(&(_, i)) = token_entries.iter().find(|(e, _)| *e == k) {
            // The kernel wakes one waiter when an owner dies, and glibc one per unlock: pass
            // the news to everybody else waiting on this mutex.
            signal(targets[i].page);
        }
    }
}

/// How long a sleeper whose futex words do not all fit in one `futex_waitv` (a wait on many
/// objects handed to many other waiters) sleeps at most before it looks for dead grantees.
const GRANTEE_POLL: Duration = Duration::from_millis(10);

/// `WaitForSingleObject`.
#[inline]
pub fn wait_one(object: &dyn Waitable, timeout: Option<Duration>) -> Result<WaitResult> {
    // Fast path: one attempt, no allocation.
    let t = object.wait_target()?;
    let until = LockUntil::of_timeout(timeout);
    let r = match t.kind {
        SyncKind::Mutex => mutex::try_mutex_until(t.page, until, None)?,
        _ => attempt(&t, None, until, None)?.map(|(r, _, _)| r),
    };
    let Some(r) = r else {
        return Ok(WaitResult::TimedOut);
    };
    match r {
        Try::Got => Ok(WaitResult::Signaled(0)),
        Try::Abandoned => Ok(WaitResult::Abandoned(0)),
        Try::No if timeout == Some(Duration::ZERO) => Ok(WaitResult::TimedOut),
        Try::No => wait_any(&[object], timeout),
    }
}

impl Waitable for crate::section::mapping::Mapping {
    /// Always fails: file-mapping objects have no signaled state (Windows: `WAIT_FAILED`; the
    /// handle cannot have `SYNCHRONIZE` access).
    fn wait_target(&self) -> Result<WaitTarget<'_>> {
        bail!(
            AccessDenied,
            "{} is a file mapping; file mappings cannot be waited on",
            self.label()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};
    use crate::store::namespace::Namespace;
    use crate::sync::mutex::Mutex;
    use crate::sync::semaphore::Semaphore;
    use crate::sync::test_util::until;
    use std::sync::atomic::AtomicU32;
    use std::sync::Mutex as StdMutex;

    /// A failing check ends the wait with its error, and what the waiter was queued for
    /// reaches the next waiter (nothing stays reserved for a wait that is gone).
    #[test]
    fn a_failing_check_ends_the_wait_and_leaves_the_queue() {
        set_handoff(true);
        let d = tempfile::tempdir_in("/dev/shm").unwrap();
        let ns = Namespace::at(d.path());
        let sem = Semaphore::create_in(&ns, None, 0, 1).unwrap();
        let page = sem.h.page().unwrap();
        let calls = AtomicU32::new(0);
        let stop = AtomicU32::new(0);
        std::thread::scope(|s| {
            let w = s.spawn(|| {
                let mut check = || {
                    calls.fetch_add(1, SeqCst);
                    if stop.load(SeqCst) == 1 {
                        return Err(Error::new(ErrorKind::Other, "stop"));
                    }
                    Ok(())
                };
                wait_any_checked(&[&sem], None, Duration::from_millis(1), &mut check)
            });
            until("the checked wait to run its check", || {
                calls.load(SeqCst) >= 3
            });
            assert_eq!(common(page).queued.load(SeqCst), 1);
            stop.store(1, SeqCst);
            let e = w.join().unwrap().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Other);
            assert_eq!(e.message(), "stop");
        });
        assert_eq!(common(page).queued.load(SeqCst), 0);
        sem.release(1).unwrap();
        assert_eq!(
            wait_any(&[&sem], Some(Duration::ZERO)).unwrap(),
            WaitResult::Signaled(0)
        );
    }

    /// A checked waiter keeps its place in the queue across checks: queued first, it gets the
    /// mutex first, although a plain waiter queued after it while it was checking.
    #[test]
    fn a_checked_waiter_keeps_its_place() {
        set_handoff(true);
        let d = tempfile::tempdir_in("/dev/shm").unwrap();
        let ns = Namespace::at(d.path());
        let m = Mutex::create_in(&ns, None, true).unwrap();
        let page = m.h.page().unwrap();
        let calls = AtomicU32::new(0);
        let order = StdMutex::new(Vec::new());
        std::thread::scope(|s| {
            let checked = s.spawn(|| {
                let mut check = || {
                    calls.fetch_add(1, SeqCst);
                    Ok(())
                };
                let r = wait_any_checked(&[&m], None, Duration::from_millis(1), &mut check);
                order.lock().unwrap().push("checked");
                m.release().unwrap();
                r
            });
            until("the checked waiter to queue", || {
                common(page).queued.load(SeqCst) == 1
            });
            let plain = s.spawn(|| {
                let r = wait_any(&[&m], Some(Duration::from_secs(60)));
                order.lock().unwrap().push("plain");
                m.release().unwrap();
                r
            });
            until("the plain waiter to queue", || {
                common(page).queued.load(SeqCst) == 2
            });
            // Several checks after both are queued: a wait cut into short waits would have
            // gone to the back of the queue by now.
            let seen = calls.load(SeqCst);
            until("the checked waiter to check again", || {
                calls.load(SeqCst) >= seen + 3
            });
            m.release().unwrap();
            assert_eq!(checked.join().unwrap().unwrap(), WaitResult::Signaled(0));
            assert_eq!(plain.join().unwrap().unwrap(), WaitResult::Signaled(0));
        });
        assert_eq!(*order.lock().unwrap(), ["checked", "plain"]);
    }

    /// A wait-all runs its check too, and a wait that is satisfied at once never calls it.
    #[test]
    fn wait_all_checks_and_an_immediate_wait_does_not() {
        set_handoff(true);
        let d = tempfile::tempdir_in("/dev/shm").unwrap();
        let ns = Namespace::at(d.path());
        let a = Semaphore::create_in(&ns, None, 1, 1).unwrap();
        let b = Semaphore::create_in(&ns, None, 0, 1).unwrap();
        let mut calls = 0;
        let mut check = || {
            calls += 1;
            if calls == 2 {
                return Err(Error::new(ErrorKind::Other, "stop"));
            }
            Ok(())
        };
        let e = wait_all_checked(&[&a, &b], None, Duration::from_millis(1), &mut check);
        assert_eq!(e.unwrap_err().message(), "stop");
        assert_eq!(calls, 2);
        // Nothing was taken: `a` still has its unit.
        assert_eq!(a.count().unwrap().0, 1);
        let mut never = || -> Result<()> { panic!("checked a wait that was satisfied at once") };
        let r = wait_all_checked(&[&a], None, Duration::from_millis(1), &mut never).unwrap();
        assert_eq!(r, WaitResult::Signaled(0));
        assert_eq!(
            wait_any_checked(&[&a, &b], Some(Duration::ZERO), Duration::ZERO, &mut never).unwrap(),
            WaitResult::TimedOut
        );
    }
}
