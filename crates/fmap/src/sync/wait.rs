//! The wait engine: `WaitForSingleObject`, `WaitForMultipleObjects` (any and all), spinning and
//! sleeping. See the module docs of [`crate::sync`] for the protocol.
//!
//! This file is the generic engine only: each type's acquisition logic — what an attempt does,
//! what a wait-all checks and commits, what a sleeper watches — is in `mutex.rs`, `event.rs`
//! and `semaphore.rs`, which this calls.

use super::state::{common, seq, signal, LockUntil, StateGuard};
use super::{event, mutex, semaphore};
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

/// Implemented by objects that can be waited on (mutexes, events, semaphores). A
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
/// events). `Ok(None)`: the state lock was busy until the wait's deadline in `until` (the wait
/// times out).
pub(crate) fn attempt(
    t: &WaitTarget<'_>,
    since: Option<u32>,
    until: LockUntil,
) -> Result<Option<(Try, u32, u32)>> {
    let snap = seq(t.page).load(SeqCst);
    match t.kind {
        SyncKind::Mutex => {
            let Some(r) = mutex::try_mutex_until(t.page, until)? else {
                return Ok(None);
            };
            Ok(Some((r, snap, mutex::token_word(t.page))))
        }
        SyncKind::Event => attempt_locked(
            t.page,
            snap,
            until,
            event::might_be_available(t.page, since),
            |g| {
                event::validate(g)?;
                Ok(event::try_acquire(g, since))
            },
        ),
        SyncKind::Semaphore => attempt_locked(
            t.page,
            snap,
            until,
            semaphore::might_be_available(t.page),
            |g| {
                semaphore::validate(g)?;
                Ok(semaphore::try_acquire(g))
            },
        ),
    }
}

/// An attempt on an event or semaphore: nothing if a lock-free look (`available`, after the
/// snapshot `snap`) found it unavailable, else `acquire` under the state lock (then the
/// snapshot is taken again, under the lock).
#[inline(always)]
fn attempt_locked(
    page: &Page,
    snap: u32,
    until: LockUntil,
    available: bool,
    acquire: impl FnOnce(&StateGuard<'_>) -> Result<Try>,
) -> Result<Option<(Try, u32, u32)>> {
    if !available {
        return Ok(Some((Try::No, snap, 0)));
    }
    let Some(g) = StateGuard::lock_until(page, until)? else {
        return Ok(None);
    };
    let r = acquire(&g)?;
    Ok(Some((r, seq(page).load(SeqCst), 0)))
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
        let Some((r, _, _)) = attempt(&o.wait_target()?, None, first)? else {
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
    loop {
        for (i, t) in targets.iter().enumerate() {
            let Some((r, snap, tok)) = attempt(t, since.as_ref().map(|s| s[i]), until)? else {
                return Ok(WaitResult::TimedOut);
            };
            match r {
                Try::Got => return Ok(WaitResult::Signaled(i)),
                Try::Abandoned => return Ok(WaitResult::Abandoned(i)),
                Try::No => {
                    snaps[i] = snap;
                    toks[i] = tok;
                }
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(WaitResult::TimedOut);
        }
        sleep(&targets, &snaps, &toks, deadline, false);
        since = Some(snaps.clone());
    }
}

/// `WaitForMultipleObjects(…, bWaitAll = TRUE, …)`: acquires every object at once or nothing.
/// The same object twice (through any handles) is `ERROR_INVALID_PARAMETER`.
pub fn wait_all(objects: &[&dyn Waitable], timeout: Option<Duration>) -> Result<WaitResult> {
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
    loop {
        if let Some(r) = try_all(&targets, &order, &mut snaps, &mut toks, until)? {
            return Ok(r);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(WaitResult::TimedOut);
        }
        sleep(&targets, &snaps, &toks, deadline, true);
    }
}

/// One atomic attempt of a wait-all, under all state locks. `Ok(None)`: not all available;
/// `WaitResult::TimedOut`: a state lock stayed busy until the wait's deadline in `until`.
fn try_all(
    targets: &[WaitTarget<'_>],
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
            SyncKind::Mutex => {}
        }
    }
    for t in targets {
        if t.kind == SyncKind::Mutex {
            mutex::check_recursion_if_mine(t.page)?;
        }
    }
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
                c > 0
            }
            SyncKind::Event => event::is_set(g),
            SyncKind::Mutex => {
                let tok = mutex::token_word(t.page);
                toks[i] = tok;
                mutex::free_or_mine(t.page, tok)
            }
        };
        ready &= ok;
    }
    if !ready {
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
                return Ok(None);
            }
            how => taken.push((i, how)),
        }
    }
    // Commit.
    let mut abandoned = false;
    for (i, t) in targets.iter().enumerate() {
        let g = &guards[pos[i]];
        match t.kind {
            SyncKind::Semaphore => semaphore::take(g),
            SyncKind::Event => event::consume(g),
            SyncKind::Mutex => match taken.iter().find(|(j, _)| *j == i) {
                Some(&(_, how)) => {
                    if mutex::claim_mutex(t.page, how == Lock::OwnerDied) == Try::Abandoned {
                        abandoned = true;
                    }
                }
                // Already ours: one more level (overflow was ruled out above).
                None => mutex::recurse(t.page),
            },
        }
    }
    drop(guards);
    Ok(Some(if abandoned {
        WaitResult::Abandoned(0)
    } else {
        WaitResult::Signaled(0)
    }))
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
pub(crate) fn sleep(
    targets: &[WaitTarget<'_>],
    snaps: &[u32],
    toks: &[u32],
    deadline: Option<Instant>,
    all: bool,
) {
    let changed = || {
        targets.iter().zip(snaps).zip(toks).any(|((t, s), k)| {
            seq(t.page).load(SeqCst) != *s
                || match t.kind {
                    SyncKind::Semaphore => semaphore::count_appeared(t.page, *k),
                    SyncKind::Mutex => mutex::token_changed(t.page, *k, all),
                    SyncKind::Event => false,
                }
        })
    };
    let spin = spin_ns();
    if spin > 0 {
        let start = Instant::now();
        let mut n = 0u32;
        loop {
            std::hint::spin_loop();
            if changed() {
                return;
            }
            n = n.wrapping_add(1);
            if n % 256 == 0
                && (start.elapsed().as_nanos() as u64 >= spin
                    || deadline.is_some_and(|d| Instant::now() >= d))
            {
                break;
            }
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
    let r = if changed() {
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

/// `WaitForSingleObject`.
#[inline]
pub fn wait_one(object: &dyn Waitable, timeout: Option<Duration>) -> Result<WaitResult> {
    // Fast path: one attempt, no allocation.
    let t = object.wait_target()?;
    let until = LockUntil::of_timeout(timeout);
    let r = match t.kind {
        SyncKind::Mutex => mutex::try_mutex_until(t.page, until)?,
        _ => attempt(&t, None, until)?.map(|(r, _, _)| r),
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
