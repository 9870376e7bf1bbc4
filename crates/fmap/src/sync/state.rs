//! The shared state of a synchronization object in its header page, and the state lock.

use super::wait::SyncKind;
use crate::error::{bail, Error, ErrorKind, Result};
use crate::sys::futex;
use crate::sys::page::Page;
use crate::sys::robust::{check_kind, pthread_mutex_clocklock};
use std::sync::atomic::{AtomicU32, Ordering::*};
use std::time::{Duration, Instant};

/// The `seq` futex word of a page.
#[inline]
pub(crate) fn seq(page: &Page) -> &AtomicU32 {
    page.u32(OFF_SEQ)
}

pub(crate) const OFF_LOCK: usize = 1024;
pub(crate) const OFF_SEQ: usize = 1088;
pub(crate) const OFF_NWAITERS: usize = 1092;
pub(crate) const OFF_ALL_HINT: usize = 1096;
/// event: signaled · semaphore: count · mutex: recursion
pub(crate) const OFF_A: usize = 1104;
/// event: manual · semaphore: max · mutex: abandoned
pub(crate) const OFF_B: usize = 1108;
/// event: release_seq (manual-reset Set/Pulse)
pub(crate) const OFF_C: usize = 1112;
/// event: pulse pending (auto-reset) · value: the `seq` of the pulse
pub(crate) const OFF_D: usize = 1116;
pub(crate) const OFF_D_FLAG: usize = 1120;
/// mutex: owner id (process nonce << 32 | tid), 0 = none
pub(crate) const OFF_OWNER: usize = 1128;
/// mutex: the owner's pid (for inspection only)
pub(crate) const OFF_OWNER_PID: usize = 1136;
pub(crate) const OFF_TOKEN: usize = 1152;

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

/// Holds an object's state lock.
pub(crate) struct StateGuard<'a> {
    m: *mut libc::pthread_mutex_t,
    _page: &'a Page,
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
        let m = page.mutex(OFF_LOCK);
        check_kind(m, "state lock")?;
        // The common case without a clock read or a system call: a free lock.
        // SAFETY: `m` is the initialised process-shared state lock inside the mapped page.
        let mut r = unsafe { libc::pthread_mutex_trylock(m) };
        if r == libc::EBUSY {
            match lock_slow(m, until) {
                Some(r2) => r = r2,
                None => return Ok(None),
            }
        }
        match r {
            0 => {}
            libc::EOWNERDEAD => {
                // A process died inside a critical section. Every state change is a single
                // store, so the state is consistent; say so.
                // SAFETY: we hold the lock (EOWNERDEAD acquires it).
                unsafe { libc::pthread_mutex_consistent(m) };
            }
            libc::ETIMEDOUT => bail!(
                InvalidData,
                "the state lock of a synchronization object has been held for more than {} s: \
                 a peer wrote garbage into it, or its holder is stopped",
                STATE_LOCK_TIMEOUT.as_secs_f64()
            ),
            e => {
                return Err(Error::new(
                    ErrorKind::InvalidData,
                    format!(
                        "the state lock of a synchronization object is unusable ({})",
                        std::io::Error::from_raw_os_error(e)
                    ),
                ))
            }
        }
        Ok(Some(StateGuard { m, _page: page }))
    }
}

/// A busy state lock: waits for it until the earlier of the wait's deadline and the bound.
/// `None`: the wait's deadline passed first; else what glibc returned (`ETIMEDOUT`: the bound
/// passed).
#[cold]
pub(crate) fn lock_slow(m: *mut libc::pthread_mutex_t, until: LockUntil) -> Option<libc::c_int> {
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
    // SAFETY: `m` is the initialised process-shared robust state lock (its kind was checked)
    // in a live mapping; `abs` is a valid, normalised time.
    let r = unsafe { pthread_mutex_clocklock(m, libc::CLOCK_MONOTONIC, &abs) };
    if r == libc::ETIMEDOUT && wait_decides {
        return None;
    }
    Some(r)
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: we hold the lock.
        unsafe { libc::pthread_mutex_unlock(self.m) };
    }
}

pub(crate) fn newer(a: u32, than: u32) -> bool {
    (a.wrapping_sub(than) as i32) > 0
}

/// Bumps `seq` and wakes sleepers if any registered (see the `futex` module).
pub(crate) fn signal(page: &Page) {
    seq(page).fetch_add(1, SeqCst);
    if page.u32(OFF_NWAITERS).load(SeqCst) != 0 {
        futex::wake_all(seq(page));
    }
}

/// Validates the state words of an event or semaphore, under its state lock. Any process
/// with write access can store anything there (a hostile or buggy peer); values no fmap
/// operation can produce are reported as `ERROR_INVALID_DATA` instead of being acted on (a
/// semaphore count above its maximum or negative would otherwise overflow the arithmetic of
/// `ReleaseSemaphore` and hand out units that do not exist).
pub(crate) fn check_state(kind: SyncKind, page: &Page) -> Result<()> {
    let ok = match kind {
        SyncKind::Semaphore => {
            let count = page.u32(OFF_A).load(Relaxed) as i32;
            let max = page.u32(OFF_B).load(Relaxed) as i32;
            max > 0 && (0..=max).contains(&count)
        }
        SyncKind::Event => [OFF_A, OFF_B, OFF_D_FLAG]
            .iter()
            .all(|&o| page.u32(o).load(Relaxed) <= 1),
        SyncKind::Mutex => page.u32(OFF_B).load(Relaxed) <= 1,
    };
    if !ok {
        bail!(
            InvalidData,
            "the state of this {} is corrupt (another process wrote values no operation produces)",
            match kind {
                SyncKind::Semaphore => "semaphore",
                SyncKind::Event => "event",
                SyncKind::Mutex => "mutex",
            }
        );
    }
    Ok(())
}
