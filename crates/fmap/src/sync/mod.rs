//! The shared state of synchronization objects (mutexes, events, semaphores, waitable timers)
//! and the wait engine (`WaitForSingleObject`, `WaitForMultipleObjects` any/all).
//!
//! # State
//!
//! A mutex, event, semaphore or waitable timer is an object file (see [`crate::store::object`])
//! whose header page holds, from offset 1024, the `#[repr(C)]` layouts of `state.rs`
//! (`SyncState`, then per type `MutexState`, `EventState`, `SemaphoreState`, `TimerState`;
//! every offset is checked at compile time):
//!
//! | offset | field |
//! |---|---|
//! | 1024 | `lock`: the state lock, a glibc robust, process-shared `pthread_mutex_t` |
//! | 1088 | `seq`: futex word, bumped after every change that can make the object available |
//! | 1092 | `nwaiters`: sleepers registered on `seq` |
//! | 1096 | `all_hint`: wait-all waiters currently working on this object |
//! | 1100 | `queued`: waiters in the wait queue (see *Hand-off on release*) |
//! | 1104 | mutex `recursion` · event and timer `signaled` · semaphore `count` |
//! | 1108 | mutex `abandoned` · event and timer `manual` · semaphore `max` |
//! | 1112 | mutex `handoff` (ticket of the queued waiter it was handed to) · event and timer `release_seq` (manual reset: the `seq` of the last Set or Pulse, or of the timer's last expiry) |
//! | 1116 | event `pulse_seq` (auto reset: the `seq` of the last Pulse) · timer: 0 |
//! | 1120 | event `pulse_pending` (auto reset: that pulse is unclaimed) · timer: 0 |
//! | 1124 | timer `armed` (set, and its expiry not yet fired) |
//! | 1128 | mutex `owner`: owner id (process nonce << 32 \| thread id), 0 = none · timer `due` (absolute `CLOCK_MONOTONIC` ns) |
//! | 1136 | mutex `owner_pid` (for inspection only) · timer `period_ms` (0: one-shot) |
//! | 1152 | mutex `token`, a glibc robust process-shared `pthread_mutex_t` held by the owner thread |
//! | 1216 | `WaitQueue` (every type): `next_ticket`, then from 1232 ten 80-byte slots (a robust mutex held by the queued thread, `ticket`, `grant`) |
//!
//! Each type's transitions on its state are in its own file (`mutex.rs`, `event.rs`,
//! `semaphore.rs`, `timer.rs`: a timer is an event the clock sets, and reuses the event's
//! protocol on the words it shares with it); `wait.rs` is the generic engine that calls them, and `state.rs`'s
//! `signal` (with its two variants) is the one signal-and-wake every primitive uses.
//!
//! Events (`signaled`, `manual`, `release_seq`, `pulse_seq`, `pulse_pending`) change only under
//! the state `lock`, and so do semaphore decrements; a semaphore release adds to `count` with
//! one compare-exchange without the lock (like `sem_post`), so under the lock a count can only
//! grow. Every change is a single store or atomic read-modify-write, so a process killed while
//! holding the lock leaves a consistent state, and the next locker (told `EOWNERDEAD` by glibc)
//! marks the lock consistent and goes on. A state lock is only ever held for a few
//! instructions, so nobody waits for one longer than
//! [`STATE_LOCK_TIMEOUT`](state::STATE_LOCK_TIMEOUT) (a peer may have written a made-up owner
//! into it): a wait whose deadline comes first times out, anything else fails with
//! `ERROR_INVALID_DATA`.
//! The uncontended path is one `pthread_mutex_trylock`, without a clock read.
//!
//! A mutex is owned by the thread that holds its `token`. Acquiring is `pthread_mutex_trylock` on
//! the token (no system call, no state lock) followed by our own `owner` (process nonce + thread
//! id) and `recursion` words; releasing is the reverse. When an owner thread exits or its process
//! dies, the kernel marks the token `OWNER_DIED` through glibc's robust list and wakes a waiter;
//! the next acquirer gets `EOWNERDEAD`, makes the token consistent and reports
//! `WAIT_ABANDONED`.
//!
//! # Hand-off on release
//!
//! As on Windows, a release with a waiter already waiting satisfies that waiter inside the
//! release (`queue.rs` has the protocol). A wait that cannot be satisfied at once takes a
//! slot in each object's wait queue before it spins or sleeps. A release that sees `queued`
//! non-zero takes the state lock and gives the object to the oldest live queued waiter: a
//! semaphore unit or an auto-reset event's signal is consumed on its behalf (the `grant` of its
//! slot); a mutex is reserved for it (`handoff`; the token stays free, because a robust token
//! must be locked by its owner thread, and whoever else takes it gives it back). So the
//! releaser, waiting again at once, queues behind; two processes that loop wait / release take
//! turns. Manual-reset events release every waiter and do not queue; `PulseEvent` on an
//! auto-reset event goes to the oldest queued waiter. With nobody queued, releases stay
//! lock-free and make no system call.
//!
//! A queued waiter holds its slot's robust mutex, so its death is visible without a system
//! call (the kernel clears the thread id) and wakes the sleepers that watch it. A mutex handed
//! to a waiter that dies before it takes it is abandoned and reported once, to its next owner;
//! a unit or signal handed to a dead waiter goes back to the object (fmap's choice: Windows
//! would count it consumed, but nothing may be lost forever). A waiter that ends with a grant
//! it does not use (timeout, a wait-any satisfied by another object, a wait-all that cannot
//! take all its objects) passes it on to the next queued waiter or back to the object; a
//! wait-all is handed objects like any other waiter and passes them on at once when it cannot
//! complete, so such an object is briefly unavailable to others.
//!
//! # Wait-all atomicity
//!
//! A wait-all takes the state locks of all its objects in one global order (device and inode
//! of the object files), so it excludes every event and semaphore operation and every other
//! wait-all on those objects (semaphore releases only add to a count the wait-all found
//! positive, which keeps it positive). Mutex acquirers do not take state locks; the wait-all therefore
//! takes mutex tokens *last*, by `trylock`, and gives them back (still under the state locks) if
//! one is busy. Such a transient hold could make a concurrent acquirer's `trylock` fail although
//! the wait-all never acquired the mutex; to hide it, an acquirer whose `trylock` fails while
//! `all_hint` is non-zero retries once under the mutex's state lock, where no transient hold can
//! be in progress. (`all_hint` is raised with `SeqCst` before the wait-all's first `trylock`; the
//! failed `trylock` followed by a `SeqCst` fence orders the acquirer's read after it.) No process
//! can therefore observe a partial acquisition.
//!
//! # Sleeping
//!
//! See the `futex` module for the lost-wake-up argument. A waiter sleeps on the `seq` words of all
//! its objects plus, for each mutex owned by someone else, the token word with the
//! `FUTEX_WAITERS` bit set, so that the kernel wakes it if the owner dies. Before sleeping it
//! spins briefly ([`set_spin`]) watching the same words, which removes the wake-up latency when
//! the other side answers quickly from another core.
//!
//! Nobody signals a waitable timer when its due time passes: a sleeper bounds its
//! `futex_waitv` timeout (absolute, `CLOCK_MONOTONIC`) by the earliest due time among its armed
//! timers, and its next attempt fires the timer under the state lock (`timer.rs`). `set` and
//! `cancel` bump `seq`, so sleepers re-evaluate their bound.

pub(crate) mod event;
pub(crate) mod handle;
pub(crate) mod mutex;
pub(crate) mod queue;
pub(crate) mod semaphore;
pub(crate) mod state;
pub(crate) mod timer;
pub(crate) mod wait;

// The sync layer's internal interface, for its own files and the layers above.
pub(crate) use state::{EventState, MutexState, SemaphoreState, TimerState};
pub(crate) use wait::{wait_one, SyncKind, WaitResult, WaitTarget, Waitable};

/// Helpers shared by the unit tests of the sync modules.
#[cfg(test)]
pub(crate) mod test_util {
    use std::time::{Duration, Instant};

    /// Waits until `cond` holds; a hang guard of 30 s, not a timing assertion.
    pub(crate) fn until(what: &str, cond: impl Fn() -> bool) {
        let end = Instant::now() + Duration::from_secs(30);
        while !cond() {
            assert!(Instant::now() < end, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
