//! Duplicating another process's descriptor with `pidfd_getfd(2)` (Linux 5.6), through a
//! small per-process cache of pidfds.
//!
//! `pidfd_getfd` needs the right to `ptrace`-attach to the process (`PTRACE_MODE_ATTACH`: the
//! same user, no Yama restriction in the way, a dumpable target; or `CAP_SYS_PTRACE`). Where
//! it is refused, [`getfd`] says so and callers take another way (`/proc/<pid>/fd`).
//!
//! Measured on this project's VM (kernel 6.18): `pidfd_getfd` + `close` ≈ 1.1 µs, while
//! opening `/proc/<pid>/fd/<n>` costs ≈ 3.4 µs and `pidfd_open` ≈ 4.5 µs; so the pidfds
//! are cached, a few per process, keyed by pid. A cached pidfd names one process for good: once
//! that process is gone, `pidfd_getfd` fails with `ESRCH` (never reaching a new process that
//! reuses the pid), and the entry is replaced.
//!
//! `FMAP_PIDFD=0` in the environment (read once per process) turns this off: callers then
//! always take their other way (for diagnosis, and so that tests reach that way too).
//!
//! The cache's descriptors are close-on-exec. A program that closes descriptors it did not
//! open (a `closefrom` before daemonizing) may close one of them and get the number back for
//! something else: an entry is only closed by the cache if the number still names a pidfd
//! with the device and inode of the one it opened (see `forget`), and whatever [`getfd`]
//! returns is the caller's to check anyway. The cache's lock is only ever tried, never waited
//! for, so a child forked while another thread held it cannot hang on it.

use rustix::process::{Pid, PidfdFlags, PidfdGetfdFlags};
use std::os::fd::{BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// How many processes' pidfds one process keeps.
const CACHED: usize = 8;

#[derive(Clone, Copy)]
struct Entry {
    pid: u32,
    /// The pidfd, or -1 if `pidfd_getfd` is refused for this process (so the caller goes
    /// straight to its other way).
    fd: RawFd,
    /// `(st_dev, st_ino)` of the pidfd when it was opened.
    id: (u64, u64),
}

struct Cache {
    entries: [Option<Entry>; CACHED],
    next: usize,
    /// `pidfd_open`/`pidfd_getfd` do not exist here.
    unsupported: bool,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache {
    entries: [None; CACHED],
    next: 0,
    unsupported: false,
});

/// Is the way through pidfds turned off (`FMAP_PIDFD=0`)?
fn turned_off() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OFF.get_or_init(|| std::env::var("FMAP_PIDFD").is_ok_and(|v| v.trim() == "0"))
}

/// Why [`getfd`] gave nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not allowed (another user, Yama, a non-dumpable process) or not supported.
    Denied,
    /// The process or the descriptor is not there.
    Gone,
}

/// A duplicate of descriptor `fd` of process `pid` (a new descriptor, close-on-exec, of the
/// very open file description `pid` has under `fd`). Nothing about what it is is checked.
pub(crate) fn getfd(pid: u32, fd: u32) -> Result<OwnedFd, Refused> {
    let (Some(p), Ok(target)) = (Pid::from_raw(pid as i32), RawFd::try_from(fd)) else {
        return Err(Refused::Gone);
    };
    if turned_off() {
        return Err(Refused::Denied);
    }
    // Never waited for: a child forked while another thread held the lock would wait forever
    // (and threads of one process that open at the same moment take the other way).
    let mut c = match CACHE.try_lock() {
        Ok(c) => c,
        Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return Err(Refused::Denied),
    };
    if c.unsupported {
        return Err(Refused::Denied);
    }
    for retry in [false, true] {
        let at = match c
            .entries
            .iter()
            .position(|e| e.is_some_and(|e| e.pid == pid))
        {
            Some(i) => i,
            None => match open(pid, p) {
                Ok(e) => c.insert(e),
                Err(rustix::io::Errno::NOSYS) => {
                    c.unsupported = true;
                    return Err(Refused::Denied);
                }
                Err(rustix::io::Errno::SRCH) => return Err(Refused::Gone),
                // Out of descriptors, or anything else: the caller's other way may still work.
                Err(_) => return Err(Refused::Denied),
            },
        };
        let Some(e) = c.entries[at] else {
            return Err(Refused::Gone);
        };
        if e.fd < 0 {
            return Err(Refused::Denied);
        }
        // SAFETY: `e.fd` is the pidfd this cache opened and has not closed; borrowed only for
        // this call. (Should the program have closed it behind our back, the call fails or
        // reaches the wrong process, and the caller checks what it got.)
        let pidfd = unsafe { BorrowedFd::borrow_raw(e.fd) };
        match rustix::process::pidfd_getfd(pidfd, target, PidfdGetfdFlags::empty()) {
            Ok(d) => return Ok(d),
            Err(rustix::io::Errno::NOSYS) => {
                c.unsupported = true;
                return Err(Refused::Denied);
            }
            Err(rustix::io::Errno::PERM) | Err(rustix::io::Errno::ACCESS) => {
                c.entries[at] = Some(Entry {
                    fd: -1,
                    ..forget(e)
                });
                return Err(Refused::Denied);
            }
            // The process is gone (a new one may have its pid: look once more), or our pidfd
            // is not one any more.
            Err(rustix::io::Errno::SRCH) | Err(rustix::io::Errno::BADF) if !retry => {
                c.entries[at] = None;
                forget(e);
            }
            Err(rustix::io::Errno::SRCH) | Err(rustix::io::Errno::BADF) => {
                return Err(Refused::Gone)
            }
            // Out of descriptors, or anything else: the caller's other way may still work.
            Err(_) => return Err(Refused::Denied),
        }
    }
    Err(Refused::Gone)
}

/// Opens a pidfd of `p` (whose number is `pid`), close-on-exec (as `pidfd_open` always makes
/// it).
fn open(pid: u32, p: Pid) -> rustix::io::Result<Entry> {
    let fd = rustix::process::pidfd_open(p, PidfdFlags::empty())?;
    let st = rustix::fs::fstat(&fd)?;
    Ok(Entry {
        pid,
        id: (st.st_dev, st.st_ino),
        fd: fd.into_raw_fd(),
    })
}

/// Closes `e`'s pidfd if it is still the one the cache opened (as far as can be told: the
/// same device and inode — per process since Linux 6.9, one anonymous inode for pidfds,
/// eventfds, epoll and the like before — and a pidfd by its `/proc/self/fd` link); returns
/// `e`.
fn forget(e: Entry) -> Entry {
    if e.fd >= 0 {
        // SAFETY: borrowed for the `fstat` only.
        let same = rustix::fs::fstat(unsafe { BorrowedFd::borrow_raw(e.fd) })
            .is_ok_and(|st| (st.st_dev, st.st_ino) == e.id);
        let still = same
            && rustix::fs::readlink(format!("/proc/self/fd/{}", e.fd), Vec::new())
                .is_ok_and(|l| l.to_bytes().windows(5).any(|w| w == b"pidfd"));
        if still {
            // SAFETY: the descriptor is the pidfd the cache opened (checked just above) and
            // nothing else of fmap's uses it; ownership ends here.
            drop(unsafe { OwnedFd::from_raw_fd(e.fd) });
        }
    }
    e
}

impl Cache {
    /// Puts `e` in a free place or in place of the oldest entry; returns its index.
    fn insert(&mut self, e: Entry) -> usize {
        let at = match self.entries.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                let i = self.next;
                self.next = (self.next + 1) % CACHED;
                if let Some(old) = self.entries[i].take() {
                    forget(old);
                }
                i
            }
        };
        self.entries[at] = Some(e);
        at
    }
}

/// The raw number of a cached pidfd of `pid`, if any (for tests).
#[cfg(test)]
fn cached(pid: u32) -> Option<RawFd> {
    let c = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    c.entries
        .iter()
        .flatten()
        .find(|e| e.pid == pid)
        .map(|e| e.fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn duplicates_a_descriptor_of_a_child_and_forgets_it_when_the_child_is_gone() {
        // `sleep` inherits our stdin (a pipe) as its descriptor 0.
        let mut child = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::piped())
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        let got = match getfd(pid, 0) {
            Ok(d) => d,
            // Yama or a container may refuse ptrace access even to our own child.
            Err(Refused::Denied) => {
                child.kill().ok();
                child.wait().ok();
                eprintln!("pidfd_getfd refused here; nothing more to check");
                return;
            }
            Err(e) => panic!("getfd of a live child: {e:?}"),
        };
        let st = rustix::fs::fstat(&got).expect("fstat");
        assert_eq!(
            rustix::fs::FileType::from_raw_mode(st.st_mode),
            rustix::fs::FileType::Fifo
        );
        assert!(cached(pid).is_some_and(|f| f >= 0));
        // A descriptor the child does not have.
        assert_eq!(getfd(pid, 999).err(), Some(Refused::Gone));
        child.kill().ok();
        child.wait().ok();
        assert_eq!(getfd(pid, 0).err(), Some(Refused::Gone));
        assert!(cached(pid).is_none(), "the dead child's pidfd is dropped");
    }
}
