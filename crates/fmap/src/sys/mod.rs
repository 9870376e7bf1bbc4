//! System calls and the kernel and glibc mechanisms fmap builds on, each wrapped once: nothing
//! here knows about named objects.
//!
//! | module | wraps |
//! |---|---|
//! | `ofd` | open-file-description byte-range locks (`F_OFD_*`) |
//! | `futex` | `futex(2)` and `futex_waitv(2)`, with the lost-wake-up argument |
//! | `robust` | glibc's robust, process-shared `pthread_mutex_t` in shared memory, with its layout checks |
//! | `page` | one shared, mapped page of a file |
//! | `pidfd` | `pidfd_getfd(2)` through a per-process cache of pidfds |
//! | `proc` | this process's id, its owner nonce and thread ids, and what `fork` resets |
//! | `sysv` | System V shared-memory segments (`shmget`, `shmat`, `shmctl`) |

pub(crate) mod futex;
pub(crate) mod ofd;
pub(crate) mod page;
pub(crate) mod pidfd;
pub(crate) mod proc;
pub(crate) mod robust;
pub(crate) mod sysv;
