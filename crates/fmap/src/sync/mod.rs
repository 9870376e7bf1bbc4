//! The shared state of synchronization objects and the wait engine (`WaitForSingleObject`,
//! `WaitForMultipleObjects` any/all).
//!
//! # State
//!
//! A mutex, event or semaphore is an object file (see [`crate::store::object`]) whose header
//! page holds, from offset 1024, the `#[repr(C)]` layouts of `state.rs` (`SyncState`, then per
//! type `MutexState`, `EventState`, `SemaphoreState`; every offset is checked at compile time):
//!
//! | offset | field |
//! |---|---|
//! | 1024 | `lock`: the state lock, a glibc robust, process-shared `pthread_mutex_t` |
//! | 1088 | `seq`: futex word, bumped after every change that can make the object available |
//! | 1092 | `nwaiters`: sleepers registered on `seq` |
//! | 1096 | `all_hint`: wait-all waiters currently working on this object |
//! | 1104 | mutex `recursion` · event `signaled` · semaphore `count` |
//! | 1108 | mutex `abandoned` · event `manual` · semaphore `max` |
//! | 1112 | event `release_seq` (manual reset: the `seq` of the last Set or Pulse) |
//! | 1116 | event `pulse_seq` (auto reset: the `seq` of the last Pulse) |
//! | 1120 | event `pulse_pending` (auto reset: that pulse is unclaimed) |
//! | 1128 | mutex `owner`: owner id (process nonce << 32 \| thread id), 0 = none |
//! | 1136 | mutex `owner_pid` (for inspection only) |
//! | 1152 | mutex `token`, a glibc robust process-shared `pthread_mutex_t` held by the owner thread |
//!
//! Each type's transitions on its state are in its own file (`mutex.rs`, `event.rs`,
//! `semaphore.rs`); `wait.rs` is the generic engine that calls them, and `state.rs`'s
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

pub(crate) mod event;
pub(crate) mod handle;
pub(crate) mod mutex;
pub(crate) mod queue;
pub(crate) mod semaphore;
pub(crate) mod state;
pub(crate) mod wait;

// The sync layer's internal interface, for its own files and the layers above.
pub(crate) use state::{EventState, MutexState, SemaphoreState};
pub(crate) use wait::*;
