//! The shared state of a synchronization object in its header page — [`SyncState`], the part
//! every type has, and the per-type layouts [`MutexState`], [`EventState`] and
//! [`SemaphoreState`], [`TimerState`] — the state lock ([`StateGuard`]), and signal-and-wake ([`signal`]).
//!
//! The layouts are the on-disk format every process mapping the object agrees on: each field's
//! offset in the object file is checked below at compile time, and must never change.

use crate::error::{bail, Error, ErrorKind, Result};
use crate::store::header::{PATH_OFF, STATE_OFF};
use crate::sys::futex;
use crate::sys::page::{Page, Shared};
use crate::sys::robust::{Lock, RobustMutex};
use std::mem::{offset_of, size_of};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::time::{Duration, Instant};

/// What every synchronization object keeps at [`STATE_OFF`] (1024) of its header page.
#[repr(C)]
pub(crate) struct SyncState {
    /// 1024: the state lock, a glibc robust process-shared mutex. Events change, and
    /// semaphores decrement, only under it; wait-alls take it on every object.
    pub(crate) lock: RobustMutex,
    /// 1088: the futex word waiters sleep on, bumped after every change that can make the
    /// object available (see [`signal`]).
    pub(crate) seq: AtomicU32,
    /// 1092: sleepers registered on `seq`.
    pub(crate) nwaiters: AtomicU32,
    /// 1096: wait-all waiters currently working on this object (see the module docs of
    /// [`crate::sync`]).
    pub(crate) all_hint: AtomicU32,
    /// 1100: waiters registered in the wait queue ([`WaitQueue`]), recounted under the state
    /// lock by every change of the queue: a lock-free release that sees 0 has no waiter to
    /// hand off to.
    pub(crate) queued: AtomicU32,
}

/// A mutex's state.
#[repr(C)]
pub(crate) struct MutexState {
    pub(crate) common: SyncState,
    /// 1104: how many times the owner acquired it (0 when not owned).
    pub(crate) recursion: AtomicU32,
    /// 1108: 1 if an owner died holding it (or closed its last handle while owning it) and
    /// nobody has acquired it since; reported once, as `WAIT_ABANDONED`.
    pub(crate) abandoned: AtomicU32,
    /// 1112: the ticket of the queued waiter the mutex has been handed to (0 = none). Written
    /// only by a thread that holds the token: a releaser stores it just before it unlocks the
    /// token, the waiter clears it once it has taken the token (see `mutex.rs`).
    pub(crate) handoff: AtomicU32,
    _reserved: [AtomicU32; 3],
    /// 1128: the owner id (process nonce << 32 | thread id); 0 = none.
    pub(crate) owner: AtomicU64,
    /// 1136: the owner's pid (for inspection only).
    pub(crate) owner_pid: AtomicU32,
    _reserved2: [AtomicU32; 3],
    /// 1152: the ownership token, a glibc robust process-shared mutex held by the owner
    /// thread; its lock word is what a waiter watches for the owner's death.
    pub(crate) token: RobustMutex,
}

/// An event's state. Changes only under the state lock.
#[repr(C)]
pub(crate) struct EventState {
    pub(crate) common: SyncState,
    /// 1104: 1 if signaled.
    pub(crate) signaled: AtomicU32,
    /// 1108: 1 for a manual-reset event (set at creation).
    pub(crate) manual: AtomicU32,
    /// 1112: manual-reset: the `seq` of the last `SetEvent` or `PulseEvent`, which releases
    /// every thread that was waiting before it.
    pub(crate) release_seq: AtomicU32,
    /// 1116: auto-reset: the `seq` of the last `PulseEvent`, which one waiter older than it
    /// may claim while `pulse_pending` is set.
    pub(crate) pulse_seq: AtomicU32,
    /// 1120: auto-reset: 1 while a pulse is unclaimed.
    pub(crate) pulse_pending: AtomicU32,
}

/// A semaphore's state.
#[repr(C)]
pub(crate) struct SemaphoreState {
    pub(crate) common: SyncState,
    /// 1104: the count, in `[0, max]` (as `i32`). Decremented only under the state lock;
    /// incremented by releases without it.
    pub(crate) count: AtomicU32,
    /// 1108: the maximum count, > 0 (as `i32`; set at creation).
    pub(crate) max: AtomicU32,
}

/// A waitable timer's state. Its first five words are an event's ([`EventState`]), with the
/// same meaning, so the event's protocol (acquisition, hand-off, pass-on) runs on a timer page
/// unchanged: a timer is an event that the clock sets (see `timer.rs`). Changes only under the
/// state lock.
#[repr(C)]
pub(crate) struct TimerState {
    pub(crate) common: SyncState,
    /// 1104: 1 if signaled (the expiry has been seen; see `timer::fire`).
    pub(crate) signaled: AtomicU32,
    /// 1108: 1 for a manual-reset (notification) timer (set at creation).
    pub(crate) manual: AtomicU32,
    /// 1112: manual-reset: the `seq` of the last expiry, which releases every thread that was
    /// waiting before it (as an event's `release_seq`).
    pub(crate) release_seq: AtomicU32,
    /// 1116: unused (an event's `pulse_seq`; a timer has no pulse), 0.
    pub(crate) pulse_seq: AtomicU32,
    /// 1120: unused (an event's `pulse_pending`), 0.
    pub(crate) pulse_pending: AtomicU32,
    /// 1124: 1 while the timer is set and its due time is ahead (or not yet seen to pass).
    pub(crate) armed: AtomicU32,
    /// 1128: the due time, absolute `CLOCK_MONOTONIC` nanoseconds (one clock for every
    /// process of the boot); meaningful while `armed`.
    pub(crate) due: AtomicU64,
    /// 1136: the period in milliseconds, 0 for a one-shot timer.
    pub(crate) period_ms: AtomicU32,
}

/// How many waiters an object's [`WaitQueue`] holds. Further waiters wait unqueued (they are
/// woken as before, but cannot be handed the object, see `queue.rs`).
pub(crate) const QUEUE_SLOTS: usize = 10;

/// One waiter's place in an object's wait queue.
#[repr(C)]
pub(crate) struct WaitSlot {
    /// A glibc robust process-shared mutex the waiting thread holds while the slot is in use:
    /// its lock word names the thread, and the kernel marks it `OWNER_DIED` (and wakes a
    /// sleeper on it) when the thread dies.
    pub(crate) lock: RobustMutex,
    /// The waiter's arrival ticket; 0 = free.
    pub(crate) ticket: AtomicU32,
    /// 1: the object has been handed to this waiter (a semaphore unit or an event's signal
    /// consumed on its behalf, or the mutex reserved for it).
    pub(crate) grant: AtomicU32,
    /// 1: this waiter, a wait-all, could not use the object now even if it were handed to it
    /// (another of its objects is unavailable): releases skip it (see `queue.rs`).
    pub(crate) declined: AtomicU32,
    _reserved: [AtomicU32; 1],
}

/// The wait queue every synchronization object has at [`QUEUE_OFF`], after the largest
/// per-type state (see `queue.rs`).
#[repr(C)]
pub(crate) struct WaitQueue {
    /// 1216: the next arrival ticket (never 0).
    pub(crate) next_ticket: AtomicU32,
    _reserved: [AtomicU32; 3],
    /// 1232: the slots.
    pub(crate) slots: [WaitSlot; QUEUE_SLOTS],
}

/// Where the [`WaitQueue`] is in the object file.
pub(crate) const QUEUE_OFF: usize = 1216;

/// Checks at compile time that `$field` of `$t` lies at byte `$at` of the object file.
macro_rules! at {
    ($t:ty, $($field:ident).+, $at:expr) => {
        const _: () = assert!(STATE_OFF + offset_of!($t, $($field).+) == $at);
    };
}
at!(SyncState, lock, 1024);
at!(SyncState, seq, 1088);
at!(SyncState, nwaiters, 1092);
at!(SyncState, all_hint, 1096);
at!(SyncState, queued, 1100);
at!(MutexState, common, 1024);
at!(MutexState, common.seq, 1088);
at!(MutexState, recursion, 1104);
at!(MutexState, abandoned, 1108);
at!(MutexState, handoff, 1112);
at!(MutexState, owner, 1128);
at!(MutexState, owner_pid, 1136);
at!(MutexState, token, 1152);
at!(EventState, common, 1024);
at!(EventState, signaled, 1104);
at!(EventState, manual, 1108);
at!(EventState, release_seq, 1112);
at!(EventState, pulse_seq, 1116);
at!(EventState, pulse_pending, 1120);
at!(TimerState, common, 1024);
at!(TimerState, signaled, 1104);
at!(TimerState, manual, 1108);
at!(TimerState, release_seq, 1112);
at!(TimerState, pulse_seq, 1116);
at!(TimerState, pulse_pending, 1120);
at!(TimerState, armed, 1124);
at!(TimerState, due, 1128);
at!(TimerState, period_ms, 1136);
// The words a timer shares with an event lie where the event has them.
const _: () = assert!(offset_of!(TimerState, signaled) == offset_of!(EventState, signaled));
const _: () = assert!(offset_of!(TimerState, manual) == offset_of!(EventState, manual));
const _: () = assert!(offset_of!(TimerState, release_seq) == offset_of!(EventState, release_seq));
const _: () = assert!(offset_of!(TimerState, pulse_seq) == offset_of!(EventState, pulse_seq));
const _: () =
    assert!(offset_of!(TimerState, pulse_pending) == offset_of!(EventState, pulse_pending));
at!(SemaphoreState, common, 1024);
at!(SemaphoreState, count, 1104);
at!(SemaphoreState, max, 1108);
const _: () = assert!(QUEUE_OFF + offset_of!(WaitQueue, next_ticket) == 1216);
const _: () = assert!(QUEUE_OFF + offset_of!(WaitQueue, slots) == 1232);
const _: () = assert!(offset_of!(WaitSlot, ticket) == 64);
const _: () = assert!(offset_of!(WaitSlot, grant) == 68);
const _: () = assert!(offset_of!(WaitSlot, declined) == 72);
const _: () = assert!(size_of::<WaitSlot>() == 80);
// The queue starts after every type's state and ends before the path area.
const _: () = assert!(STATE_OFF + size_of::<MutexState>() <= QUEUE_OFF);
const _: () = assert!(QUEUE_OFF + size_of::<WaitQueue>() <= PATH_OFF);
const _: () = assert!(size_of::<SyncState>() == 80);
const _: () = assert!(size_of::<MutexState>() == 192);
const _: () = assert!(size_of::<EventState>() == 104);
const _: () = assert!(size_of::<SemaphoreState>() == 88);
const _: () = assert!(size_of::<TimerState>() == 120);
const _: () = assert!(STATE_OFF + size_of::<TimerState>() <= QUEUE_OFF);
// The state area ends where the header keeps a file-backed section's path.
const _: () = assert!(STATE_OFF + size_of::<MutexState>() <= PATH_OFF);
const _: () = assert!(STATE_OFF + size_of::<EventState>() <= PATH_OFF);
const _: () = assert!(STATE_OFF + size_of::<SemaphoreState>() <= PATH_OFF);

// SAFETY: this and the three below: `#[repr(C)]` structs made only of atomics and
// `RobustMutex`es (each valid for any bytes and changed only through interior mutability);
// every value a peer can store is acceptable to the code, which validates what it acts on.
unsafe impl Shared for SyncState {}
// SAFETY: see `SyncState` above.
unsafe impl Shared for MutexState {}
// SAFETY: see `SyncState` above.
unsafe impl Shared for EventState {}
// SAFETY: see `SyncState` above.
unsafe impl Shared for SemaphoreState {}
// SAFETY: see `SyncState` above.
unsafe impl Shared for TimerState {}
// SAFETY: see `SyncState` above.
unsafe impl Shared for WaitQueue {}

/// The state every synchronization object's page has.
#[inline]
pub(crate) fn common(page: &Page) -> &SyncState {
    page.at::<SyncState, STATE_OFF>()
}

/// The state of the mutex at `page`.
#[inline]
pub(crate) fn mutex(page: &Page) -> &MutexState {
    page.at::<MutexState, STATE_OFF>()
}

/// The state of the event at `page`.
#[inline]
pub(crate) fn event(page: &Page) -> &EventState {
    page.at::<EventState, STATE_OFF>()
}

/// The state of the semaphore at `page`.
#[inline]
pub(crate) fn semaphore(page: &Page) -> &SemaphoreState {
    page.at::<SemaphoreState, STATE_OFF>()
}

/// The state of the waitable timer at `page`.
#[inline]
pub(crate) fn timer(page: &Page) -> &TimerState {
    page.at::<TimerState, STATE_OFF>()
}

/// The wait queue of the synchronization object at `page`.
#[inline]
pub(crate) fn queue(page: &Page) -> &WaitQueue {
    page.at::<WaitQueue, QUEUE_OFF>()
}

/// Initialises the robust mutexes of a new object's wait queue.
///
/// # Safety
/// The page is private to the calling thread: nobody uses its mutexes yet.
pub(crate) unsafe fn init_queue(page: &Page) -> Result<()> {
    for s in &queue(page).slots {
        // SAFETY: the caller guarantees that nobody uses the slot yet.
        unsafe { s.lock.init()? };
    }
    queue(page).next_ticket.store(1, Relaxed);
    Ok(())
}

/// The `seq` futex word of a page.
#[inline]
pub(crate) fn seq(page: &Page) -> &AtomicU32 {
    &common(page).seq
}

/// How long fmap waits for a synchronization object's state lock before it gives up with
/// `ERROR_INVALID_DATA`. Legitimate holders keep the lock for a few instructions (every state
/// change under it is a handful of stores), so a lock held this long means that a peer wrote
/// garbage into it (a made-up owner thread id) or that its holder is stopped (`SIGSTOP`, a
/// debugger). Without a bound such a lock would block every wait, whatever its timeout, and
/// every `SetEvent`, forever. A wait whose own deadline comes first returns `WAIT_TIMEOUT`
/// instead; polls (timeout zero) and infinite waits get `ERROR_INVALID_DATA` after this bound.
pub const STATE_LOCK_TIMEOUT: Duration = Duration::from_secs(1);

/// When an attempt to take a state lock gives up, if the lock is busy.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LockUntil {
    /// After [`STATE_LOCK_TIMEOUT`], with `ERROR_INVALID_DATA`: signalling calls, infinite
    /// waits, and polls (a poll waits out a legitimate holder rather than failing because of
    /// it).
    Bound,
    /// A wait's deadline: reached first, the attempt reports that the wait timed out;
    /// otherwise the bound applies.
    At(Instant),
    /// A wait of this (non-zero) timeout that starts now: turned into [`LockUntil::At`] only
    /// if the lock is busy, so the uncontended path reads no clock.
    After(Duration),
}

impl LockUntil {
    /// For the first attempt of a wait with `timeout` (`None`: infinite).
    #[inline]
    pub(crate) fn of_timeout(timeout: Option<Duration>) -> LockUntil {
        match timeout {
            None => LockUntil::Bound,
            Some(d) if d.is_zero() => LockUntil::Bound,
            Some(d) => LockUntil::After(d),
        }
    }

    /// For the attempts of a wait whose deadline is `deadline` (`None`: infinite).
    #[inline]
    pub(crate) fn of_deadline(deadline: Option<Instant>) -> LockUntil {
        deadline.map_or(LockUntil::Bound, LockUntil::At)
    }
}

/// Holds an object's state lock. Functions that must run under it take a `&StateGuard`.
pub(crate) struct StateGuard<'a> {
    page: &'a Page,
}

impl<'a> StateGuard<'a> {
    /// Takes the state lock, waiting at most [`STATE_LOCK_TIMEOUT`] (then
    /// `ERROR_INVALID_DATA`).
    #[inline]
    pub(crate) fn lock(page: &'a Page) -> Result<StateGuard<'a>> {
        Ok(StateGuard::lock_until(page, LockUntil::Bound)?
            .expect("a lock attempt without a wait deadline does not time out"))
    }

    /// Takes the state lock. `Ok(None)`: the wait deadline in `until` passed first (the wait
    /// times out); busy for [`STATE_LOCK_TIMEOUT`] first: `ERROR_INVALID_DATA`.
    pub(crate) fn lock_until(page: &'a Page, until: LockUntil) -> Result<Option<StateGuard<'a>>> {
        let m = &common(page).lock;
        m.check_kind("state lock")?;
        // The common case without a clock read or a system call: a free lock. (`EOWNERDEAD`: a
        // process died inside a critical section. Every state change is a single store, so the
        // state is consistent, and the lock has been marked so.)
        let mut r = m.trylock();
        if r == Ok(Lock::Busy) {
            match lock_slow(m, until) {
                Some(r2) => r = r2,
                None => return Ok(None),
            }
        }
        match r {
            Ok(Lock::Acquired | Lock::OwnerDied) => {}
            Ok(Lock::Busy) => bail!(
                InvalidData,
                "the state lock of a synchronization object has been held for more than {} s: \
                 a peer wrote garbage into it, or its holder is stopped",
                STATE_LOCK_TIMEOUT.as_secs_f64()
            ),
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::InvalidData,
                    format!(
                        "the state lock of a synchronization object is unusable ({})",
                        std::io::Error::from_raw_os_error(e)
                    ),
                ))
            }
        }
        Ok(Some(StateGuard { page }))
    }

    /// The page whose state lock this is.
    #[inline]
    pub(crate) fn page(&self) -> &'a Page {
        self.page
    }
}

/// A busy state lock: waits for it until the earlier of the wait's deadline and the bound.
/// `None`: the wait's deadline passed first; else what the lock call got (`Ok(Lock::Busy)`:
/// the bound passed).
#[cold]
fn lock_slow(m: &RobustMutex, until: LockUntil) -> Option<std::result::Result<Lock, libc::c_int>> {
    let now = Instant::now();
    let deadline = match until {
        LockUntil::Bound => None,
        LockUntil::At(d) => Some(d),
        // Too far to represent: as good as infinite.
        LockUntil::After(d) => now.checked_add(d),
    };
    let left = deadline.map(|d| d.saturating_duration_since(now));
    // The wait's deadline decides if it comes no later than the bound.
    let wait_decides = left.is_some_and(|l| l <= STATE_LOCK_TIMEOUT);
    let wait = left.map_or(STATE_LOCK_TIMEOUT, |l| l.min(STATE_LOCK_TIMEOUT));
    // `Instant` is CLOCK_MONOTONIC on Linux; the absolute time is taken on the same clock.
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let mut sec = ts.tv_sec.saturating_add(wait.as_secs() as i64);
    let mut nsec = ts.tv_nsec as i64 + i64::from(wait.subsec_nanos());
    if nsec >= 1_000_000_000 {
        nsec -= 1_000_000_000;
        sec = sec.saturating_add(1);
    }
    let abs = libc::timespec {
        tv_sec: sec as libc::time_t,
        tv_nsec: nsec as _,
    };
    let r = m.lock_until(&abs);
    if r == Ok(Lock::Busy) && wait_decides {
        return None;
    }
    Some(r)
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: this guard exists only while the calling thread holds the lock.
        unsafe { common(self.page).lock.unlock() };
    }
}

/// Is sequence number `a` later than `than` (modulo wrap-around)?
pub(crate) fn newer(a: u32, than: u32) -> bool {
    (a.wrapping_sub(than) as i32) > 0
}

/// The error for state words no fmap operation can produce (`what`: "event", "semaphore").
pub(crate) fn corrupt(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!(
            "the state of this {what} is corrupt (another process wrote values no operation produces)"
        ),
    )
}

// ------------------------------------------------------------------------------------------
// Signal and wake
// ------------------------------------------------------------------------------------------
//
// Every primitive makes its object available the same way (the `futex` module has the
// lost-wake-up argument, with the steps (a)–(c) named below): (a) change the state, (b) bump
// `seq`, (c) read `nwaiters` and wake the sleepers on `seq` if there are any. All of (b) and
// (c) and the waiter's registration in `nwaiters` are `SeqCst`, so either the signaller's (c)
// sees a waiter's registration or that waiter's futex comparison sees the new `seq`. The three
// functions below are the three shapes of it:
//
// * `signal`: (b) then (c), after a change (a) that is already visible (a wait-all that gives
//   back tokens, a waiter passing on an owner's death).
// * `signal_if_waiters`: (c) first, and (b) plus the wake only if a sleeper is registered —
//   for the lock-free releases (a mutex's token, a semaphore's count), whose waiters watch the
//   token word or the count itself (see `wait::sleep`). Their (a) must be ordered before the
//   read of `nwaiters`: a semaphore's `SeqCst` compare-exchange is; a mutex's unlock is a glibc
//   call, followed by `fence_after_unlock`.
// * `wake_sleepers`: (c) alone, for events, whose (b) is a store of the new `seq` under the
//   state lock (the release sequence numbers they record must equal it); the wake comes after
//   the lock is released, so that woken waiters do not find it held.

/// Signal-and-wake: bumps `seq` and wakes the sleepers if any are registered.
#[inline]
pub(crate) fn signal(page: &Page) {
    seq(page).fetch_add(1, SeqCst);
    wake_sleepers(page);
}

/// Signal-and-wake for a lock-free release: if a sleeper is registered, [`signal`]. The
/// release must be ordered before this (`SeqCst` read-modify-write, or
/// [`fence_after_unlock`](crate::sys::robust::fence_after_unlock)).
#[inline]
pub(crate) fn signal_if_waiters(page: &Page) {
    let c = common(page);
    // One look at `nwaiters`: a sleeper registered after it sees the released state itself.
    if c.nwaiters.load(SeqCst) != 0 {
        c.seq.fetch_add(1, SeqCst);
        futex::wake_all(&c.seq);
    }
}

/// Wakes the sleepers on `seq` if any are registered, after a change whose new `seq` is
/// already stored (`SeqCst`).
#[inline]
pub(crate) fn wake_sleepers(page: &Page) {
    let c = common(page);
    if c.nwaiters.load(SeqCst) != 0 {
        futex::wake_all(&c.seq);
    }
}
