//! Open-file-description (OFD) byte-range locks, the liveness primitive of the namespace.
//!
//! OFD locks (`F_OFD_SETLK`, `F_OFD_SETLKW`, `F_OFD_GETLK`) belong to an open file description:
//! they survive `close(fd)` while an `mmap` of that description exists, are released by the
//! kernel when the last reference goes (including on `SIGKILL`), and — unlike `flock` — never
//! drop an existing lock when a conversion fails. Classic POSIX `F_SETLK` locks are the wrong
//! kind (any `close` of the file by the process drops them), which is why `rustix`'s
//! `fcntl_lock` is not used here: `rustix` has no OFD wrapper, so this module calls `libc`.
//!
//! `F_OFD_GETLK` ignores locks held through the *same* open file description, so "is anyone
//! else holding this byte?" is one call on our own descriptor.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The kind of lock to take or test for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    Read,
    Write,
    Unlock,
}

impl Lock {
    fn raw(self) -> libc::c_short {
        (match self {
            Lock::Read => libc::F_RDLCK,
            Lock::Write => libc::F_WRLCK,
            Lock::Unlock => libc::F_UNLCK,
        }) as libc::c_short
    }
}

fn flock(kind: Lock, start: u64, len: u64) -> libc::flock {
    // SAFETY: `libc::flock` is a plain C struct for which all-zero bytes is a valid value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind.raw();
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = start as libc::off_t;
    fl.l_len = len as libc::off_t;
    fl.l_pid = 0; // required to be 0 for OFD locks
    fl
}

/// Takes (or, with [`Lock::Unlock`], releases) a lock on `len` bytes at `start`.
///
/// With `wait`, blocks until the lock is granted (retrying on `EINTR`) and returns `Ok(true)`;
/// without, returns `Ok(false)` if another description holds a conflicting lock.
pub(crate) fn set(
    fd: BorrowedFd<'_>,
    kind: Lock,
    start: u64,
    len: u64,
    wait: bool,
) -> io::Result<bool> {
    let fl = flock(kind, start, len);
    let cmd = if wait {
        libc::F_OFD_SETLKW
    } else {
        libc::F_OFD_SETLK
    };
    loop {
        // SAFETY: `fd` is a live descriptor for the duration of the call and `fl` is a valid
        // `struct flock` that the kernel only reads for SETLK/SETLKW.
        let r = unsafe { libc::fcntl(fd.as_raw_fd(), cmd, &fl as *const libc::flock) };
        if r == 0 {
            return Ok(true);
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) | Some(libc::EACCES) if !wait => return Ok(false),
            _ => return Err(err),
        }
    }
}

/// Would a lock of `kind` on these bytes conflict with a lock held through another open file
/// description? (Locks held through `fd`'s own description never conflict.)
pub(crate) fn held_by_others(
    fd: BorrowedFd<'_>,
    kind: Lock,
    start: u64,
    len: u64,
) -> io::Result<bool> {
    Ok(getlk(fd, kind, start, len)?.l_type != libc::F_UNLCK as libc::c_short)
}

/// `F_OFD_GETLK` for a lock of `kind` on `len` bytes at `start`: the `struct flock` the kernel
/// writes back (`l_type` is `F_UNLCK` when nothing conflicts).
fn getlk(fd: BorrowedFd<'_>, kind: Lock, start: u64, len: u64) -> io::Result<libc::flock> {
    let mut fl = flock(kind, start, len);
    // SAFETY: as in `set`; for GETLK the kernel writes the result back into `fl`, which is a
    // valid, exclusively borrowed `struct flock`.
    let r = unsafe {
        libc::fcntl(
            fd.as_raw_fd(),
            libc::F_OFD_GETLK,
            &mut fl as *mut libc::flock,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fl)
}

/// The start of a lock held through another open file description that conflicts with a lock
/// of `kind` on `len` bytes at `start` (the kernel reports one such lock; the first one it
/// finds), or `None`.
pub(crate) fn conflicting_start(
    fd: BorrowedFd<'_>,
    kind: Lock,
    start: u64,
    len: u64,
) -> io::Result<Option<u64>> {
    let fl = getlk(fd, kind, start, len)?;
    if fl.l_type == libc::F_UNLCK as libc::c_short {
        return Ok(None);
    }
    Ok(Some(fl.l_start.max(0) as u64))
}
