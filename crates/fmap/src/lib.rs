//! Win32-style named shared memory for Linux, with Windows' exact semantics and no daemon.
//!
//! ```
//! # fn main() -> fmap::Result<()> {
//! # let _root = tempfile::tempdir_in("/dev/shm").unwrap(); // a private namespace root
//! # std::env::set_var(fmap::ROOT_ENV, _root.path());
//! use fmap::{Access, Mapping};
//!
//! // Process A: create (or open) a 64 KiB section called "Local\demo" and write to it.
//! let section = Mapping::create("Local\\demo", 64 * 1024)?;
//! let view = section.map_view(Access::WRITE, ..)?;
//! view.write(0, b"hello")?;
//!
//! // Process B: open it by name and read.
//! let section = Mapping::open("Local\\demo", Access::READ)?;
//! let view = section.map_view(Access::READ, ..)?;
//! let mut buf = [0u8; 5];
//! view.read(0, &mut buf)?;
//! # assert_eq!(&buf, b"hello");
//! # Ok(()) }
//! ```
//!
//! # What it gives
//!
//! * **One namespace** for all object types ([`Kind`]): `Local\name` (= bare `name`, private to
//!   the user) and `Global\name` (machine-wide). A name used by another type fails with
//!   `ERROR_INVALID_HANDLE`, a missing one with `ERROR_FILE_NOT_FOUND`, an existing one of the
//!   same type is returned with [`Mapping::already_existed`] set (Win32's
//!   `ERROR_ALREADY_EXISTS`). See [`Name`] for the name rules.
//! * **Windows lifetime**, also after `kill -9`: a name exists exactly while some process holds
//!   a handle; memory lives while a handle or a [`View`] exists. See `ARCHITECTURE.md` for the protocol.
//! * **Sections** backed by shared memory or by a user's [`File`], with Win32 protections,
//!   access rights, views at 64 KiB-aligned offsets, copy-on-write views, views at a chosen
//!   address, and flushing. See [`Mapping`] and [`View`].
//! * **Win32 share modes** for files opened through fmap ([`File`]), enforced across processes.
//! * **Named synchronization objects** in the same namespace: [`Mutex`] (thread-owned,
//!   recursive, abandoned when its owner thread or process dies — also by `SIGKILL`), [`Event`]
//!   (manual/auto reset, pulse) and [`Semaphore`], and the waits [`wait_one`], [`wait_any`] and
//!   the atomic [`wait_all`] over up to 64 objects.
//! * **Errors** carry the Win32 code: [`Error::win32_code`].
//!
//! # Architecture (and why not the alternatives)
//!
//! The crate is built in layers, each a private module whose public items are re-exported
//! here; a layer uses only the layers below it (`scripts/check-layers.sh` checks this, and
//! `ARCHITECTURE.md` follows a create, an open, a wait and a last close through them):
//!
//! | layer | modules | concern |
//! |---|---|---|
//! | inspection | `inspect` | listing objects and their holders from outside ([`Namespace::list`], [`holders`]) |
//! | objects | `section` (`mapping`, `view`, `file`), `sync` (`handle`, `state`, `wait`, `mutex`, `event`, `semaphore`) | sections and views; synchronization objects, their shared state and the wait engine |
//! | store | `store` (`name`, `header`, `namespace`, `object`), `rights` | names, namespace directories and bucket locks, object files, the holder-lock lifetime protocol; access rights |
//! | system | `sys` (`ofd`, `futex`, `robust`, `page`, `proc`) | system calls and glibc mechanisms, each wrapped once |
//! | foundation | `error`, [`win32`] | the error type with Win32 codes; constants with their Windows values |
//!
//! The design follows the daemon-free route: every named object is a file in a tmpfs
//! directory, liveness is an OFD read lock per holding process, and the kernel's own cleanup of
//! locks and mappings at process death gives crash safety. A broker process (as Wine's
//! wineserver) would give the same semantics but adds a process to start, supervise and trust,
//! and a round trip to every create and open; POSIX `shm_open` names alone leak on crashes;
//! `memfd`s cannot be found by name. The one case the kernel cannot clean up by itself — the
//! *last* holder of a name dies — leaves a file with no holder, which every fmap process treats
//! as absent and removes (under the name's bucket lock) the next time anyone touches that name
//! or the directory.
//!
//! # Cargo features and supported platforms
//!
//! The crate has no Cargo features: everything above is always there. It builds for Linux only
//! (kernel ≥ 5.16 with a tmpfs at `/dev/shm` or `$FMAP_ROOT`, glibc), with Rust 1.85 or newer
//! (the `rust-version` cargo enforces). The C ABI over it is the `fmap-win32` crate; the `fmap`
//! command, the `fmap-cli` crate.
//!
//! # `fork` without `exec`
//!
//! Windows has no `fork`; fmap gives a child that `fork`s without `exec` this behaviour:
//!
//! * **The child is a new owner.** Its threads get owner ids of their own (a fresh per-process
//!   nonce and their own thread ids), so objects it creates or opens after the fork work fully:
//!   mutex ownership, recursion, release and abandonment, events, semaphores and every wait.
//!   It never owns what a thread of the parent owns: for a mutex the parent's thread held at
//!   the fork, [`Mutex::is_owned_by_current_thread`] is false, [`Mutex::release`] is
//!   `ERROR_NOT_OWNER` and a wait waits (and reports the mutex abandoned if the parent's
//!   thread dies owning it).
//! * **Opening or creating a name in the child** gives it its own descriptor and its own holder
//!   lock, even if the parent had the object open at the fork: the name then lives while the
//!   child holds it, as for any other process.
//! * **Handles inherited through the fork** stay usable in the child (they share the parent's
//!   open file descriptions and mappings) but belong to the parent's lifetime: they do not
//!   keep a name alive once the parent has closed it, and dropping them in the child only
//!   closes the child's descriptors — it never removes a name or a holder lock the parent still
//!   relies on. A child that needs an object to outlive the parent's handle opens it itself.
//!
//! Every descriptor fmap opens is close-on-exec: a child that `exec`s inherits nothing, unless
//! its parent passes handles on purpose with [`AnyObject::export_for_child`] /
//! [`File::export_for_child`] (Win32 handle inheritance; see [`Exported`]), which the child
//! takes over with `adopt_inherited`.
#![warn(missing_docs)]
// Every `unsafe` operation sits in an `unsafe {}` block, also inside an `unsafe fn`, and every
// `unsafe` block says why it is sound in a `// SAFETY:` comment (CI denies clippy warnings).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod any;
mod error;
pub mod inspect;
mod rights;
mod section;
mod store;
mod sync;
mod sys;
pub mod win32;

pub use any::{open_any, AnyObject};
pub use error::{Error, ErrorKind, Result};
pub use inspect::{
    holders, holders_of, Foreign, ForeignKind, Holder, Listing, ObjectInfo, ObjectState,
};
pub use rights::{Access, Protection, SyncAccess};
pub use section::file::{Disposition, File};
pub use section::mapping::{Mapping, MappingOptions, MAX_SECTION_SIZE};
pub use section::view::{flush_view, unmap_view, View};
pub use store::header::Kind;
pub use store::name::{Name, Scope};
pub use store::namespace::{Namespace, Sharing, SweepReport, ROOT_ENV};
pub use store::object::{Exported, KeepAlive};
pub use sync::event::{Event, EventOptions};
pub use sync::mutex::{Mutex, MutexGuard, MutexOptions};
pub use sync::semaphore::{Semaphore, SemaphoreOptions};
pub use sync::state::STATE_LOCK_TIMEOUT;
pub use sync::timer::{DueTime, Timer, TimerOptions};
pub use sync::wait::{
    set_handoff, set_spin, wait_all, wait_all_checked, wait_any, wait_any_checked, wait_one,
    WaitResult, WaitTarget, Waitable,
};

/// The Rust snippets of `README.md`, compiled and run by `cargo test --doc` like every other
/// example here, so that what a reader copies from the README builds and does what it says.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Decodes `bytes` as an object file's header page and returns the object's name: the parser
/// that every open runs on files other processes wrote. For fuzzing and the corpus replay test
/// (`fuzz/`, `tests/fuzz_corpus.rs`); not a stable API.
#[doc(hidden)]
pub fn decode_header_for_fuzzing(bytes: &[u8]) -> Result<String> {
    store::header::decode_for_fuzzing(bytes)
}
