//! Named mutexes (`CreateMutex`, `OpenMutex`, `ReleaseMutex`): owned by a thread, recursive,
//! and abandoned — reported to the next owner — when the owning thread exits or its process
//! dies, including by `SIGKILL`. See [`crate::sync`] for how.
//!
//! The second half of this file is the mutex's protocol on its shared state ([`MutexState`]):
//! every transition of a mutex — acquiring (try, claim), releasing (release, give back),
//! abandoning, a wait-all's transient hold of the token, and what a sleeper watches — the wait
//! engine (`wait.rs`) only calls these.

use crate::error::{bail, Error, ErrorKind, Result};
use crate::store::header::Kind;
use crate::store::namespace::Namespace;
use crate::store::object::Object;
use crate::sync::handle::{sync_handle_type, SyncHandle};
use crate::sync::queue::{self, Place};
use crate::sync::state::{self, signal, signal_if_waiters, LockUntil, MutexState, StateGuard};
use crate::sync::wait::Try;
use crate::sync::{self, WaitResult};
use crate::sys::futex::Expect;
use crate::sys::page::Page;
use crate::sys::proc::{me, nonce};
use crate::sys::robust::{fence_after_unlock, Lock, FUTEX_WAITERS, TID_MASK};
use std::marker::PhantomData;
use std::sync::atomic::{fence, Ordering::*};
use std::time::Duration;

/// One handle to a named (or unnamed) mutex.
///
/// Named `Mutex`, not `NamedMutex`, like the crate's other types: each is named after the
/// Win32 object it is (`Mapping`, `Event`, `Semaphore`), and a mutex may be unnamed. It guards
/// no data of its own — what it protects usually lives in a shared section, which no Rust
/// type could borrow-check across processes — so it is used through
/// [`lock`](Mutex::lock) and its guard rather than a `Deref` to the data. Write `fmap::Mutex`
/// where `std::sync::Mutex` is also in scope.
#[derive(Debug)]
pub struct Mutex {
    pub(crate) h: SyncHandle,
}

sync_handle_type!(Mutex, Kind::Mutex, "OpenMutex");

/// Proof that the current thread owns a mutex; releases it when dropped. Not `Send`: a mutex
/// must be released by the thread that acquired it, so the compiler refuses to move the guard
/// to another thread:
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<fmap::MutexGuard<'static>>();
/// ```
#[derive(Debug)]
#[must_use = "the mutex is released as soon as the guard is dropped"]
pub struct MutexGuard<'a> {
    mutex: &'a Mutex,
    abandoned: bool,
    _not_send: PhantomData<*const ()>,
}

impl Mutex {
    /// `CreateMutex` in the default namespace: creates the mutex, or opens it if the name exists
    /// (then `initial_owner` is ignored and [`already_existed`](Mutex::already_existed) is
    /// true). `None` or `""` creates an unnamed mutex.
    pub fn create(name: Option<&str>, initial_owner: bool) -> Result<Mutex> {
        Mutex::create_in(&Namespace::default(), name, initial_owner)
    }

    /// `CreateMutex` in `ns`.
    pub fn create_in(ns: &Namespace, name: Option<&str>, initial_owner: bool) -> Result<Mutex> {
        // Ownership is taken once the mutex has its name and before anyone else can open it
        // (never in the private page of an object that may lose the race to publish).
        let claim = |page: &Page| match try_mutex(page, None)? {
            Try::Got => Ok(()),
            r => Err(crate::error::Error::new(
                crate::ErrorKind::InvalidData,
                format!("a new mutex could not be taken by its creator ({r:?})"),
            )),
        };
        let h = SyncHandle::create(
            ns,
            Kind::Mutex,
            name,
            &|_| Ok(()),
            initial_owner.then_some(&claim as &dyn Fn(&Page) -> Result<()>),
        )?;
        Ok(Mutex { h })
    }

    /// Waits (forever) until this thread owns the mutex.
    #[inline]
    pub fn lock(&self) -> Result<MutexGuard<'_>> {
        Ok(self
            .lock_timeout(None)?
            .expect("an infinite wait does not time out"))
    }

    /// Takes the mutex if it is free (or owned by this thread), without waiting.
    #[inline]
    pub fn try_lock(&self) -> Result<Option<MutexGuard<'_>>> {
        let t = self.h.target()?;
        Ok(match try_mutex(t.page, None)? {
            Try::No => None,
            r => Some(MutexGuard {
                mutex: self,
                abandoned: r == Try::Abandoned,
                _not_send: PhantomData,
            }),
        })
    }

    /// Waits up to `timeout` (`None`: forever) for the mutex; `Ok(None)` if it timed out.
    /// `WaitForSingleObject` with the ownership in a guard: dropping the guard is
    /// `ReleaseMutex`, so ownership cannot be leaked by ignoring a result.
    #[inline]
    pub fn lock_timeout(&self, timeout: Option<Duration>) -> Result<Option<MutexGuard<'_>>> {
        // One attempt first, without going through the generic (dynamic) wait; the state lock,
        // if the attempt needs it, is waited for until the timeout at most.
        let t = self.h.target()?;
        let abandoned = match try_mutex_until(t.page, LockUntil::of_timeout(timeout), None)? {
            None => return Ok(None),
            Some(Try::Got) => false,
            Some(Try::Abandoned) => true,
            Some(Try::No) if timeout == Some(Duration::ZERO) => return Ok(None),
            Some(Try::No) => match sync::wait_one(self, timeout)? {
                WaitResult::Signaled(_) => false,
                WaitResult::Abandoned(_) => true,
                WaitResult::TimedOut => return Ok(None),
            },
        };
        Ok(Some(MutexGuard {
            mutex: self,
            abandoned,
            _not_send: PhantomData,
        }))
    }

    /// `ReleaseMutex`: gives up one level of ownership. `ERROR_NOT_OWNER` if the calling
    /// thread does not own the mutex.
    ///
    /// The guards of [`lock`](Mutex::lock) and friends release by themselves; this is for
    /// ownership taken without a guard — by [`wait_one`](crate::wait_one),
    /// [`wait_any`](crate::wait_any) or [`wait_all`](crate::wait_all) (whose `WaitResult`
    /// says whether the mutex was acquired), by `initial_owner`, or kept with
    /// [`MutexGuard::leak`].
    #[inline]
    pub fn release(&self) -> Result<()> {
        release_mutex(self.h.page()?)
    }

    /// Is the mutex owned by the calling thread?
    pub fn is_owned_by_current_thread(&self) -> Result<bool> {
        Ok(owned_by_me(self.h.page()?))
    }
}

impl MutexGuard<'_> {
    /// Was the mutex abandoned by its previous owner (`WAIT_ABANDONED`)? The data it protects
    /// may be inconsistent.
    pub fn was_abandoned(&self) -> bool {
        self.abandoned
    }

    /// Ends the guard without releasing: the calling thread keeps (this level of) ownership
    /// until it calls [`Mutex::release`], as a Win32 program does between
    /// `WaitForSingleObject` and `ReleaseMutex`.
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for MutexGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let _ = self.mutex.release();
    }
}

// ------------------------------------------------------------------------------------------
// The mutex protocol on the shared page
// ------------------------------------------------------------------------------------------

/// Takes the token of the mutex at `page` by `trylock`, after checking its type.
#[inline]
pub(crate) fn take_token(page: &Page) -> Result<Lock> {
    let token = &state::mutex(page).token;
    token.check_kind("ownership token")?;
    token.trylock().map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "a mutex's ownership token is unusable ({})",
                std::io::Error::from_raw_os_error(e)
            ),
        )
    })
}

/// The recursion count of a mutex this thread owns, if one more level fits
/// (`ERROR_MUTANT_LIMIT_EXCEEDED` if not).
#[inline]
fn recursion_room(st: &MutexState) -> Result<u32> {
    let r = st.recursion.load(Relaxed);
    if r >= i32::MAX as u32 {
        bail!(
            MutantLimitExceeded,
            "the mutex's recursion count would overflow"
        );
    }
    Ok(r)
}

/// Tries to acquire the mutex at `page` for this thread, without sleeping. `mine`: the
/// caller's place in the mutex's wait queue, if it is queued.
#[inline]
pub(crate) fn try_mutex(page: &Page, mine: Option<Place>) -> Result<Try> {
    // `None` only comes with a wait deadline, which `Bound` has not.
    Ok(try_mutex_until(page, LockUntil::Bound, mine)?.unwrap_or(Try::No))
}

/// [`try_mutex`] for a wait: `Ok(None)` if it needed the state lock (see below) and the wait's
/// deadline in `until` passed before it got it.
#[inline]
pub(crate) fn try_mutex_until(
    page: &Page,
    until: LockUntil,
    mine: Option<Place>,
) -> Result<Option<Try>> {
    let st = state::mutex(page);
    if st.handoff.load(Relaxed) != 0 {
        // Handed to a queued waiter (perhaps us): see `try_reserved`.
        return try_reserved(page, until, mine);
    }
    // The common case first: a free token. (A token this thread already holds makes the
    // normal-type trylock fail with EBUSY, and the recursion check below takes over.)
    let mut attempt = take_token(page)?;
    if attempt == Lock::Busy && owned_by_me(page) {
        let r = recursion_room(st)?;
        st.recursion.store(r + 1, Relaxed);
        return Ok(Some(Try::Got));
    }
    let mut guard = None;
    if attempt == Lock::Busy {
        fence(SeqCst);
        if st.common.all_hint.load(SeqCst) != 0 {
            // A wait-all may hold the token transiently under the state lock: look again there.
            let Some(g) = StateGuard::lock_until(page, until)? else {
                return Ok(None);
            };
            attempt = take_token(page)?;
            guard = Some(g);
        }
    }
    if attempt != Lock::Busy && st.handoff.load(Relaxed) != 0 {
        // A release handed the mutex to a queued waiter between our look and our trylock (its
        // store of `handoff` precedes its unlock, which our trylock synchronised with).
        let g = match guard {
            Some(g) => g,
            None => match StateGuard::lock_until(page, until) {
                Ok(Some(g)) => g,
                r => {
                    put_back(page, attempt);
                    return r.map(|_| None);
                }
            },
        };
        return Ok(Some(resolve(&g, attempt, mine)));
    }
    drop(guard);
    Ok(Some(match attempt {
        Lock::Busy => Try::No,
        Lock::Acquired => claim_mutex(page, false),
        Lock::OwnerDied => claim_mutex(page, true),
    }))
}

/// An attempt on a mutex that has been handed to a queued waiter (`handoff` set): under the
/// state lock, with the token if it is free (see [`resolve`]).
#[cold]
fn try_reserved(page: &Page, until: LockUntil, mine: Option<Place>) -> Result<Option<Try>> {
    if owned_by_me(page) {
        // Only a peer's write can leave `handoff` set while we own the mutex: recursion.
        let st = state::mutex(page);
        let r = recursion_room(st)?;
        st.recursion.store(r + 1, Relaxed);
        return Ok(Some(Try::Got));
    }
    let Some(g) = StateGuard::lock_until(page, until)? else {
        return Ok(None);
    };
    Ok(Some(match take_token(page)? {
        // Held by its grantee already, or for a moment by someone who is giving it back.
        Lock::Busy => Try::No,
        how => resolve(&g, how, mine),
    }))
}

/// Gives back a token taken by `trylock` (`how`) that the caller may not keep, keeping an
/// abandonment for the next owner; then wakes the waiters (the grantee may have found the
/// token busy meanwhile).
fn put_back(page: &Page, how: Lock) {
    let st = state::mutex(page);
    if how == Lock::OwnerDied && st.owner.load(Relaxed) != 0 {
        st.abandoned.store(1, Relaxed);
    }
    // SAFETY: the caller's trylock took the token (`how` is not `Busy`) and still holds it.
    unsafe { st.token.unlock() };
    fence_after_unlock();
    signal(page);
}

/// The hand-off protocol's decision, by a thread that holds the token (its trylock got `how`)
/// and the state lock, while `handoff` may be set. `mine`: the caller's place in the queue.
///
/// * Handed to the caller: it claims the mutex, then clears `handoff` (in that order: if it
///   dies in between, `owner` is set and the next owner sees the abandonment).
/// * Handed to a live queued waiter: the token goes back; that waiter takes it.
/// * Handed to a waiter that died before it took the token: the mutex was that waiter's, so it
///   is abandoned (reported once, to its next owner); the reservation ends.
/// * Handed to a waiter that left without taking it (it passes its grant on when it can, see
///   [`pass_on`]): the reservation ends.
///
/// With no (more) reservation, the oldest queued waiter other than the caller, if there is
/// one, is handed the mutex (a waiter never barges past an older queued one); else the caller
/// claims it.
pub(crate) fn resolve(g: &StateGuard<'_>, how: Lock, mine: Option<Place>) -> Try {
    let page = g.page();
    let st = state::mutex(page);
    if how == Lock::OwnerDied && st.owner.load(Relaxed) != 0 {
        // The previous owner completed its acquisition and died holding the mutex.
        st.abandoned.store(1, Relaxed);
    }
    let h = st.handoff.load(Relaxed);
    if h != 0 {
        if let Some(p) = mine.filter(|p| p.ticket == h) {
            let r = claim_mutex(page, false);
            st.handoff.store(0, Relaxed);
            queue::clear_grant(page, p);
            return r;
        }
        match queue::find(g, h) {
            Some((_, true)) => {
                put_back(page, how);
                return Try::No;
            }
            Some((i, false)) => {
                // Handed to a waiter that died before it could take it: abandoned.
                st.abandoned.store(1, Relaxed);
                st.handoff.store(0, Relaxed);
                queue::free_slot_of_dead(g, i);
            }
            None => st.handoff.store(0, Relaxed),
        }
    }
    // Free of any reservation, and held by us: the oldest queued waiter goes first.
    match queue::oldest(g, None) {
        Some(i) if mine.is_none_or(|p| p.idx != i) => {
            hand_to(g, i);
            signal(page);
            Try::No
        }
        _ => claim_mutex(page, false),
    }
}

/// Hands the mutex, whose token the calling thread holds, to the queued waiter in slot `i`
/// and unlocks the token; the caller signals. `handoff` is stored before the unlock, so that
/// whoever takes the token next sees it.
fn hand_to(g: &StateGuard<'_>, i: usize) {
    let st = state::mutex(g.page());
    let t = queue::give(g, i);
    st.handoff.store(t, Relaxed);
    st.owner.store(0, Relaxed);
    // SAFETY: the caller holds the token (see above).
    unsafe { st.token.unlock() };
    fence_after_unlock();
}

/// A queued waiter gives up the mutex handed to it, unused (it timed out, or another object
/// satisfied its wait-any, or a wait-all could not take all its objects): under the state
/// lock, passes it to the next queued waiter, or leaves it free. Returns whether it did (then
/// signal).
///
/// If the token is busy — a lock-free acquirer took it by `trylock` and waits for the state
/// lock to find the reservation ([`try_mutex_until`], [`resolve`]) — nothing changes and the
/// grant stays: that acquirer gives the token back and signals, and the waiter passes the
/// mutex on at its next look (a waiter that stays queued, a wait-all, would otherwise keep a
/// reservation it cannot use, and every other waiter would wait for it); a waiter that leaves
/// the queue instead is found gone by that acquirer, which ends the reservation.
pub(crate) fn pass_on(g: &StateGuard<'_>, mine: Place) -> bool {
    let page = g.page();
    let st = state::mutex(page);
    if st.handoff.load(Relaxed) != mine.ticket {
        // Not (or no longer) handed to us: a grant flag left over is stale.
        queue::clear_grant(page, mine);
        return false;
    }
    let how = match take_token(page) {
        Ok(how @ (Lock::Acquired | Lock::OwnerDied)) => how,
        _ => return false,
    };
    if how == Lock::OwnerDied && st.owner.load(Relaxed) != 0 {
        st.abandoned.store(1, Relaxed);
    }
    queue::clear_grant(page, mine);
    match queue::oldest(g, Some(mine.idx)) {
        Some(i) => hand_to(g, i),
        None => {
            st.handoff.store(0, Relaxed);
            // SAFETY: our trylock above took the token.
            unsafe { st.token.unlock() };
            fence_after_unlock();
        }
    }
    true
}

/// For a wait-all, under the state lock: ends a reservation whose grantee died (the mutex is
/// then abandoned) or left without taking it, as [`resolve`] does, and hands the mutex to the
/// oldest queued waiter other than `exclude` or leaves it free. Returns whether it handed it
/// on (then signal). Nothing if the grantee is alive or the token is busy.
pub(crate) fn settle(g: &StateGuard<'_>, exclude: Option<usize>) -> bool {
    let page = g.page();
    let st = state::mutex(page);
    let h = st.handoff.load(Relaxed);
    if h == 0 || matches!(queue::find(g, h), Some((_, true))) {
        return false;
    }
    let how = match take_token(page) {
        Ok(how @ (Lock::Acquired | Lock::OwnerDied)) => how,
        _ => return false,
    };
    if how == Lock::OwnerDied && st.owner.load(Relaxed) != 0 {
        st.abandoned.store(1, Relaxed);
    }
    if let Some((i, false)) = queue::find(g, h) {
        st.abandoned.store(1, Relaxed);
        queue::free_slot_of_dead(g, i);
    }
    st.handoff.store(0, Relaxed);
    match queue::oldest(g, exclude) {
        Some(i) => hand_to(g, i),
        None => {
            // SAFETY: our trylock above took the token.
            unsafe { st.token.unlock() };
            fence_after_unlock();
        }
    }
    true
}

/// A wait-all's commit of a mutex whose token it took (`how`), under the state lock: claims
/// it, and ends the reservation if it was handed to the waiter at `mine`.
pub(crate) fn claim_handed(g: &StateGuard<'_>, how: Lock, mine: Option<Place>) -> Try {
    let page = g.page();
    let r = claim_mutex(page, how == Lock::OwnerDied);
    let st = state::mutex(page);
    if let Some(p) = mine.filter(|p| st.handoff.load(Relaxed) == p.ticket) {
        st.handoff.store(0, Relaxed);
        queue::clear_grant(page, p);
    }
    r
}

/// Before a waiter queues: frees the slots of waiters that died (except the mutex's grantee,
/// whose death its next owner must see).
pub(crate) fn recover(g: &StateGuard<'_>) {
    queue::reap(g, state::mutex(g.page()).handoff.load(Relaxed));
}

/// The ticket of the waiter the mutex is handed to, if any (a sleeper watches its life).
#[inline]
pub(crate) fn handoff(page: &Page) -> Option<u32> {
    Some(state::mutex(page).handoff.load(SeqCst)).filter(|&h| h != 0)
}

/// Does the calling thread own the mutex at `page`? Our owner id must match *and* the token
/// must still be held by this thread id: if a previous thread with the same (reused) id died
/// owning the mutex, the kernel has cleared the token's thread id and the mutex is abandoned,
/// not ours.
#[inline]
pub(crate) fn owned_by_me(page: &Page) -> bool {
    let me = me();
    let st = state::mutex(page);
    st.owner.load(Relaxed) == me && st.token.word().load(Relaxed) & TID_MASK == me as u32 & TID_MASK
}

/// After taking the token: record ownership; report abandonment once.
#[inline]
pub(crate) fn claim_mutex(page: &Page, owner_died: bool) -> Try {
    let st = state::mutex(page);
    if owner_died && st.owner.load(Relaxed) != 0 {
        // The previous owner completed its acquisition and died holding the mutex.
        st.abandoned.store(1, Relaxed);
    }
    st.owner.store(me(), Relaxed);
    st.owner_pid.store(crate::sys::proc::current_pid(), Relaxed);
    st.recursion.store(1, Relaxed);
    if st.abandoned.load(Relaxed) != 0 {
        st.abandoned.store(0, Relaxed);
        Try::Abandoned
    } else {
        Try::Got
    }
}

/// `ReleaseMutex`.
#[inline]
pub(crate) fn release_mutex(page: &Page) -> Result<()> {
    if !owned_by_me(page) {
        bail!(NotOwner, "the calling thread does not own the mutex");
    }
    let rec = &state::mutex(page).recursion;
    let r = rec.load(Relaxed);
    if r > 1 {
        rec.store(r - 1, Relaxed);
        return Ok(());
    }
    give_back_token(page);
    Ok(())
}

/// Clears the owner and unlocks the token, which the calling thread holds, then wakes sleepers
/// if there are any. With waiters queued, the mutex is handed to the oldest instead
/// ([`hand_off`]).
#[inline]
pub(crate) fn give_back_token(page: &Page) {
    let st = state::mutex(page);
    // `owner` is cleared just before the unlock (here or in `hand_to`): a release killed
    // before that leaves the mutex abandoned, as one killed while owning it.
    if st.common.queued.load(SeqCst) != 0 && hand_off(page) {
        return;
    }
    st.owner.store(0, Relaxed);
    // SAFETY: the calling thread holds the token (its callers checked `owned_by_me`).
    unsafe { st.token.unlock() };
    // Wake sleepers only if there are any. A waiter registers in `nwaiters` (SeqCst) and then
    // compares the token word with the value it saw before its failed attempt; the unlock
    // precedes our read of `nwaiters` (the fence), so either we see the waiter or it sees the
    // released token (see `wait::sleep`). (A waiter that queued after our look at `queued`
    // was not waiting when we released: it finds the token free, like any acquirer.)
    fence_after_unlock();
    signal_if_waiters(page);
}

/// A release with waiters queued: under the state lock, hands the mutex to the oldest live
/// one and wakes it. `false` if there is none (or the state lock stayed busy): release as
/// usual.
#[cold]
fn hand_off(page: &Page) -> bool {
    let Ok(g) = StateGuard::lock(page) else {
        return false;
    };
    recover(&g);
    let Some(i) = queue::oldest(&g, None) else {
        return false;
    };
    hand_to(&g, i);
    drop(g);
    signal(page);
    true
}

// The wait engine's view of a mutex: a wait-all's steps under the state locks, and what a
// sleeper watches.

/// For a wait-all, before anything is acquired: one more level of a mutex this thread owns
/// must fit.
#[inline]
pub(crate) fn check_recursion_if_mine(page: &Page) -> Result<()> {
    if owned_by_me(page) {
        recursion_room(state::mutex(page))?;
    }
    Ok(())
}

/// The token word now (`SeqCst`): what a failed attempt records for the sleep to watch.
#[inline]
pub(crate) fn token_word(page: &Page) -> u32 {
    state::mutex(page).token.word().load(SeqCst)
}

/// A token value no thread holds (thread ids stay below it): recorded for a token that was
/// taken between a wait-all's look and its `trylock`, so that the sleep returns at once and
/// the next attempt records the real one.
pub(crate) const TOKEN_UNSEEN: u32 = TID_MASK;

/// Could a wait-all take the mutex, given its token word `tok`? (Free, or already ours.)
#[inline]
pub(crate) fn free_or_mine(page: &Page, tok: u32) -> bool {
    owned_by_me(page) || tok & TID_MASK == 0
}

/// Gives back a token a wait-all took transiently (`how`: what its `trylock` got) because
/// another of its objects was busy; under the mutex's state lock.
pub(crate) fn put_back_token(g: &StateGuard<'_>, how: Lock) {
    let page = g.page();
    let st = state::mutex(page);
    if how == Lock::OwnerDied && st.owner.load(Relaxed) != 0 {
        // Keep the abandonment for whoever really acquires it.
        st.abandoned.store(1, Relaxed);
    }
    // SAFETY: the wait-all took this token (`how` is what its trylock got) and still holds it.
    unsafe { st.token.unlock() };
    signal(page);
}

/// A wait-all's commit of a mutex it already owns: one more level (overflow was ruled out by
/// [`check_recursion_if_mine`]).
#[inline]
pub(crate) fn recurse(page: &Page) {
    let rec = &state::mutex(page).recursion;
    rec.store(rec.load(Relaxed) + 1, Relaxed);
}

/// For a sleeper: has the mutex's token changed since the failed attempt that saw `tok`? A
/// *free* token (thread id 0), or one held by another thread than then, counts (the
/// `FUTEX_WAITERS` bit, which waiters set, does not). A token that was free at the attempt: a
/// wait-any (`all` false) retries at once (it was released right after its trylock failed); a
/// wait-all is not waiting for it.
#[inline]
pub(crate) fn token_changed(page: &Page, tok: u32, all: bool) -> bool {
    if tok & TID_MASK == 0 {
        !all
    } else {
        let now = token_word(page);
        now & TID_MASK == 0 || (now ^ tok) & !FUTEX_WAITERS != 0
    }
}

/// For a sleeper: asks the kernel to wake it if the owner dies, by setting `FUTEX_WAITERS` on
/// a token owned by another thread. Returns the token word to sleep on and the value it is
/// expected to hold, or `None` if the mutex is ours or free. (A free token, or one whose owner changed, is caught by the sleeper's last
/// look; a compare-exchange that fails because another waiter set the bit first is retried.)
pub(crate) fn watch_owner(page: &Page) -> Option<Expect<'_>> {
    if owned_by_me(page) {
        return None;
    }
    let w = state::mutex(page).token.word();
    let mut v = w.load(SeqCst);
    while v & TID_MASK != 0 {
        let want = v | FUTEX_WAITERS;
        if v == want {
            break;
        }
        match w.compare_exchange(v, want, SeqCst, SeqCst) {
            Ok(_) => v = want,
            Err(now) => v = now,
        }
    }
    (v & TID_MASK != 0).then_some(Expect { word: w, value: v })
}

/// Ends the calling thread's ownership of the mutex at `page` when its last handle anywhere
/// closes: marks it abandoned (for anyone who opens it before the name goes) and unlocks the
/// token, which also removes it from this thread's robust list. The caller checked
/// [`owned_by_me`].
pub(crate) fn abandon_on_close(page: &Page) {
    let st = state::mutex(page);
    st.abandoned.store(1, Relaxed);
    st.recursion.store(0, Relaxed);
    give_back_token(page);
}

/// Is the mutex at `page` owned by a thread of this process? (Then the page must never be
/// unmapped: the kernel may still walk the owner's robust list into it.)
pub(crate) fn owned_by_this_process(page: &Page) -> bool {
    (state::mutex(page).owner.load(Relaxed) >> 32) as u32 == nonce()
}

/// The last-close hook of a mutex's page (see [`crate::store::object::LastClose`]).
pub(crate) fn last_close(obj: &Object, page: Page) {
    // A file truncated by another process would make a look at the page a SIGBUS: such a page
    // is left mapped without touching it.
    let truncated = rustix::fs::fstat(&*obj.fd).map_or(true, |st| st.st_size < 4096);
    if !truncated && !obj.is_inherited() && owned_by_me(&page) && obj.last_holder_anywhere() {
        // The calling thread owns the mutex and closes the last handle anywhere: nobody can
        // ever wait on it or release it again. Give the token back (which takes it off this
        // thread's robust list) so the page can go; a process that opens the name in the
        // moment before it is removed sees the mutex abandoned, as it would once this thread
        // exits.
        abandon_on_close(&page);
    }
    if truncated || owned_by_this_process(&page) {
        // A thread of this process still owns the mutex: the kernel may walk that thread's
        // robust list into this page, so it must stay mapped.
        std::mem::forget(page);
    }
}

crate::sync::handle::options_builder! {
    /// Builder for [`Mutex`]s: the name, the namespace and the options of `CreateMutex`,
    /// by name rather than by position.
    ///
    /// ```
    /// # let d = tempfile::tempdir_in("/dev/shm")?;
    /// # let ns = fmap::Namespace::at(d.path());
    /// let m = fmap::MutexOptions::new()
    ///     .name("Local\\lock")
    ///     .namespace(&ns)
    ///     .initial_owner(true)
    ///     .create()?;
    /// assert!(m.is_owned_by_current_thread()?);
    /// m.release()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    MutexOptions => Mutex, "CreateMutex",
    {
        /// The creating thread owns the new mutex (ignored if the name exists).
        initial_owner: bool = false,
    },
    |ns, name, o| Mutex::create_in(ns, name, o.initial_owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::semaphore::Semaphore;
    use crate::sync::test_util::until;
    use crate::sync::wait::{set_handoff, wait_all};

    /// Hand-off on; a new namespace with an unnamed mutex owned by the calling thread and an
    /// unnamed semaphore (`initial`, `max`).
    fn owned_mutex_and_semaphore(initial: i32, max: i32) -> (tempfile::TempDir, Mutex, Semaphore) {
        set_handoff(true);
        let d = tempfile::tempdir_in("/dev/shm").unwrap();
        let ns = Namespace::at(d.path());
        let m = Mutex::create_in(&ns, None, true).unwrap();
        let sem = Semaphore::create_in(&ns, None, initial, max).unwrap();
        (d, m, sem)
    }

    /// A wait-all is handed a mutex it cannot use (its semaphore went to 0 after it last
    /// looked) while a lock-free acquirer holds the token by `trylock` on its way to the state
    /// lock. The wait-all must not keep the reservation: once the acquirer gives the token
    /// back, the mutex reaches the next thread. (It was kept: every other waiter then waited
    /// for a wait-all that was itself waiting for them — a producer/consumer deadlock.)
    #[test]
    fn wait_all_passes_on_a_handed_mutex_whose_token_was_busy() {
        let (_d, m, sem) = owned_mutex_and_semaphore(1, 1);
        let mpage = m.h.page().unwrap();
        let spage = sem.h.page().unwrap();
        std::thread::scope(|s| {
            let w = s.spawn(|| {
                let r = wait_all(&[&sem, &m], Some(Duration::from_secs(120))).unwrap();
                m.release().unwrap();
                r
            });
            until("the wait-all to queue on the mutex", || {
                state::common(mpage).queued.load(SeqCst) == 1
            });
            // Let it look once more (it could use the mutex: the semaphore is available),
            // then take the semaphore's unit away.
            std::thread::sleep(Duration::from_millis(100));
            assert_eq!(
                crate::sync::wait::wait_one(&sem, Some(Duration::ZERO)).unwrap(),
                WaitResult::Signaled(0)
            );
            // Keep the wait-all out of its next attempt while the mutex is handed to it and
            // a lock-free acquirer takes the token.
            let sem_lock = StateGuard::lock(spage).unwrap();
            m.release().unwrap();
            assert!(handoff(mpage).is_some(), "the release did not hand off");
            let how = take_token(mpage).unwrap();
            assert_eq!(how, Lock::Acquired);
            drop(sem_lock);
            // The wait-all now finds its semaphore at 0 and gives the mutex up while the
            // token is busy.
            std::thread::sleep(Duration::from_millis(200));
            // The acquirer reaches the state lock and finds the reservation.
            let g = StateGuard::lock(mpage).unwrap();
            assert_eq!(resolve(&g, how, None), Try::No);
            drop(g);
            let got = m.lock_timeout(Some(Duration::from_secs(20))).unwrap();
            assert!(
                got.is_some(),
                "the mutex stayed reserved for a wait-all that cannot use it"
            );
            drop(got);
            sem.release(1).unwrap();
            assert_eq!(w.join().unwrap(), WaitResult::Signaled(0));
        });
    }

    /// Two wait-alls on {semaphore at 0, mutex} queue before a plain waiter on the mutex. A
    /// release must reach the plain waiter: the wait-alls cannot use the mutex. (They were
    /// handed it in turn — each the other's oldest waiter — for ever, and the plain waiter,
    /// the one that would have let them progress, never got it.)
    #[test]
    fn wait_alls_that_cannot_use_a_mutex_do_not_keep_it_from_a_waiter_that_can() {
        let (_d, m, sem) = owned_mutex_and_semaphore(0, 2);
        let mpage = m.h.page().unwrap();
        let queued = || state::common(mpage).queued.load(SeqCst);
        std::thread::scope(|s| {
            let all = || {
                let r = wait_all(&[&sem, &m], Some(Duration::from_secs(60))).unwrap();
                if r != WaitResult::TimedOut {
                    m.release().unwrap();
                }
                r
            };
            let w1 = s.spawn(all);
            until("the first wait-all to queue", || queued() == 1);
            let w2 = s.spawn(all);
            until("the second wait-all to queue", || queued() == 2);
            let plain = s.spawn(|| {
                let got = m.lock_timeout(Some(Duration::from_secs(20))).unwrap();
                got.map(drop).is_some()
            });
            until("the plain waiter to queue", || queued() == 3);
            m.release().unwrap();
            assert!(
                plain.join().unwrap(),
                "the mutex went round the wait-alls and never reached the plain waiter"
            );
            sem.release(2).unwrap();
            assert_eq!(w1.join().unwrap(), WaitResult::Signaled(0));
            assert_eq!(w2.join().unwrap(), WaitResult::Signaled(0));
        });
    }
}
