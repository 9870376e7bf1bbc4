//! Futex calls used by the synchronization objects, and the memory-ordering argument that makes
//! their sleeping and waking free of lost wake-ups.
//!
//! # Words
//!
//! Every synchronization object has, in its shared header page, a `seq` word (bumped after every
//! state change that can make the object available) and an `nwaiters` count. All of them are
//! *shared* futexes (never `FUTEX_PRIVATE_FLAG`: a private waiter is never woken by another
//! process). A mutex additionally exposes its ownership token's lock word (glibc's robust mutex,
//! whose format is the kernel's robust-futex ABI) so that a waiter is woken by the kernel when
//! the owner dies.
//!
//! # No lost wake-ups
//!
//! A waiter: (1) reads `seq` (snapshot) *before* it evaluates the object; (2) finds it
//! unavailable; (3) increments `nwaiters` (`SeqCst`); (4) calls `futex_waitv` expecting the
//! snapshot, which the kernel compares atomically with queueing the waiter.
//!
//! A signaller: (a) changes the state; (b) increments `seq` (`SeqCst`); (c) reads `nwaiters`
//! (`SeqCst`) and calls `FUTEX_WAKE` on `seq` if it is non-zero.
//!
//! If the state change (a) happened after the waiter's snapshot (1), then (b) changes `seq` after
//! the snapshot, so either the kernel sees the new value at (4) and returns `EAGAIN` (the waiter
//! re-evaluates), or (4) queued the waiter before (b), in which case (3) precedes (4) precedes
//! (b) precedes (c) in the single total order of `SeqCst` operations, so (c) sees the waiter and
//! wakes it. If (a) happened before (1), the waiter's evaluation (2) sees it. With no waiter the
//! signaller makes no system call.
//!
//! Two signallers skip (b) when nobody sleeps: a mutex release and a semaphore release (one
//! compare-exchange on the count, like `sem_post`). They do (a), then (c), and do (b) and the
//! wake only if (c) saw a sleeper. Their waiters record, at (2), the token word or the count they
//! saw, and after (3) compare it with the current value before sleeping (`sync::sleep`): (a) and
//! (3) are both `SeqCst` read-modify-writes, so either (c) sees the waiter — and (b) follows,
//! which the kernel's comparison at (4) or the wake catches — or the waiter's comparison after
//! (3) sees (a).
//!
//! Hand-off (`sync::queue`) adds one word a waiter watches: the `grant` of its queue slot. A
//! releaser sets it (`SeqCst`, under the state lock), then does (b) and (c); a queued waiter
//! checks it in the same last look after (3), so the same argument applies. A waiter also asks
//! to be woken on the slot lock word of a waiter the object was handed to (`FUTEX_WAITERS`,
//! like an owner's token), so that the kernel wakes it if that waiter dies before taking what
//! it was handed; the woken waiter recovers the grant under the state lock and signals.
//!
//! Spurious wake-ups are harmless: a woken waiter always re-evaluates under the object's rules
//! before reporting success.

use rustix::thread::futex::{self, Flags, Wait, WaitFlags, WaitPtr, WaitvFlags};
use rustix::time::{ClockId, Timespec};
use std::sync::atomic::AtomicU32;
use std::time::Instant;

/// Wakes every waiter sleeping on `word` (shared futex).
pub(crate) fn wake_all(word: &AtomicU32) {
    let _ = futex::wake(word, Flags::empty(), i32::MAX as u32);
}

/// The outcome of [`waitv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    /// Woken through entry `i` (or a spurious wake attributed to it).
    Entry(usize),
    /// A word differed from its expected value, or a signal interrupted the sleep.
    Changed,
    /// The deadline passed.
    TimedOut,
}

/// One word to sleep on and the value it is expected to hold.
#[derive(Clone, Copy)]
pub(crate) struct Expect<'a> {
    pub word: &'a AtomicU32,
    pub value: u32,
}

/// The most words one [`waitv`] takes (the kernel's limit).
pub(crate) const MAX_WORDS: usize = 128;

/// Sleeps until one of `words` is woken or differs from its expected value, or `deadline`
/// (a `CLOCK_MONOTONIC` instant) passes. At most [`MAX_WORDS`] words.
pub(crate) fn waitv(words: &[Expect<'_>], deadline: Option<Instant>) -> Woken {
    debug_assert!(!words.is_empty() && words.len() <= MAX_WORDS);
    let mut entries = [Wait::new(); MAX_WORDS];
    for (e, w) in entries.iter_mut().zip(words) {
        e.val = u64::from(w.value);
        e.uaddr = WaitPtr::new(w.word.as_ptr().cast());
        e.flags = WaitFlags::SIZE_U32;
    }
    let ts = deadline.map(|d| {
        let now = Instant::now();
        let left = d.saturating_duration_since(now);
        // Absolute CLOCK_MONOTONIC time: now (from the clock) + time left.
        let mono = rustix::time::clock_gettime(ClockId::Monotonic);
        let nanos = mono.tv_nsec as u128 + left.subsec_nanos() as u128;
        Timespec {
            tv_sec: mono.tv_sec + left.as_secs() as i64 + (nanos / 1_000_000_000) as i64,
            tv_nsec: (nanos % 1_000_000_000) as _,
        }
    });
    match futex::waitv(
        &entries[..words.len()],
        WaitvFlags::empty(),
        ts.as_ref(),
        ClockId::Monotonic,
    ) {
        Ok(i) => Woken::Entry(i),
        Err(rustix::io::Errno::TIMEDOUT) => Woken::TimedOut,
        Err(_) => Woken::Changed, // EAGAIN, EINTR
    }
}
