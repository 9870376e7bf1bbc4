//! Handle inheritance: `CreateProcess(…, bInheritHandles = TRUE, …)` gives the child every
//! handle that has `HANDLE_FLAG_INHERIT` (`bInheritHandle` of `SECURITY_ATTRIBUTES` or of an
//! `Open*` function, `DuplicateHandle`'s `bInheritHandle`, `SetHandleInformation`), under the
//! same handle value, across `exec`.
//!
//! # How
//!
//! * **Parent** ([`prepare`]): for every inheritable handle the library makes descriptors for
//!   the child ([`fmap::AnyObject::export_for_child`], [`fmap::File::export_for_child`]): a named
//!   object's descriptor is a new open file description that already holds a holder lock of its
//!   own, so the name lives while the child holds it, from before the child exists until the
//!   child's last copy is closed (by `CloseHandle`, exit or `SIGKILL`); an unnamed object's or a
//!   file's is a duplicate (a file shares its position and share-mode locks, as on Windows).
//!   The descriptors are close-on-exec in the parent; the child clears the flag between `fork`
//!   and `exec` (`pre_exec`), so no other process started meanwhile gets them. The table goes
//!   to the child in the environment variable [`ENV`]; the parent closes its copies once the
//!   child has started.
//! * **Child** ([`adopt`], run by a constructor of this library before `main`): each entry is
//!   checked (the descriptor must still be the file the parent described: device and inode),
//!   made close-on-exec again, turned back into an object and entered into the handle table
//!   under its old value, with its flags. The variable is then removed, so that processes the
//!   child starts by other means do not read it.
//!
//! Entries are `;`-separated, each `kind,handle,flags,fds,dev:ino,…`:
//! `O,…,description` for sections, mutexes, events and semaphores; `F,…,rights,overlapped,
//! description` for files. All numbers are hexadecimal; `fds` are `+`-separated.
//!
//! Not inherited: thread and process handles, and unnamed sections over a file (they have no
//! object file to pass); a `FILE_FLAG_DELETE_ON_CLOSE` file is deleted when the parent's last
//! handle closes, not the child's.

use crate::abi::table::{self, Handle, Obj};
use crate::runtime::file::FileObj;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;

/// The environment variable that carries the inherited handles to the child.
pub const ENV: &str = "FMAP_WIN32_INHERIT";

/// What the parent keeps until the child has started: the descriptors (closed when dropped)
/// and the value of [`ENV`].
#[derive(Debug, Default)]
pub struct Prepared {
    pub fds: Vec<OwnedFd>,
    pub env: String,
    /// `(descriptor, offset)`: where the forked child writes its pid before `exec` (see
    /// `fmap::Exported::pid_slots`).
    pub pid_slots: Vec<(RawFd, u64)>,
    /// What keeps the memory of exported sections in System V segments alive until the
    /// child has attached it itself (see `fmap::KeepAlive`): held until the child has exited.
    pub keep_alive: Vec<fmap::KeepAlive>,
}

impl Prepared {
    /// The descriptor numbers to keep open across `exec`.
    pub fn raw_fds(&self) -> Vec<RawFd> {
        self.fds.iter().map(|f| f.as_raw_fd()).collect()
    }
}

fn dev_ino(fd: &OwnedFd) -> Option<(u64, u64)> {
    std::fs::File::from(fd.try_clone().ok()?)
        .metadata()
        .ok()
        .map(|m| {
            use std::os::unix::fs::MetadataExt;
            (m.dev(), m.ino())
        })
}

/// Exports every inheritable handle. A handle that cannot be exported (an unnamed file-backed
/// section, a thread or process) is left out, as is one whose descriptors could not be made
/// (descriptor limit): the child then sees `ERROR_INVALID_HANDLE` for it.
pub fn prepare() -> Prepared {
    let mut out = Prepared::default();
    let mut entries = Vec::new();
    for (h, obj) in table::inheritable() {
        if let Some((entry, fds, slots, keep)) =
            export_entry(h, &obj, obj.flags(), |f| f.as_raw_fd() as u64)
        {
            out.keep_alive.extend(keep);
            entries.push(entry);
            out.pid_slots.extend(
                slots
                    .iter()
                    .filter_map(|&(i, off)| Some((fds.get(i)?.as_raw_fd(), off))),
            );
            out.fds.extend(fds);
        }
    }
    out.env = entries.join(";");
    out
}

/// One handle's entry (see the module docs) and the descriptors it describes, each named in
/// the entry by `number(descriptor)`. None for what cannot be exported (a thread or process,
/// an unnamed file-backed section, no descriptor left).
pub fn export_entry(
    h: Handle,
    obj: &Obj,
    flags: u32,
    mut number: impl FnMut(&OwnedFd) -> u64,
) -> Option<Entry> {
    let (head, exported, tail) = match obj {
        Obj::Named(o) => ("O", o.export_for_child().ok()?, String::new()),
        Obj::File(f, rights) => (
            "F",
            f.file.export_for_child().ok()?,
            format!("{rights:x},{},", u8::from(f.overlapped)),
        ),
        Obj::Thread(_) | Obj::Process(..) | Obj::Snapshot(_) => return None,
    };
    let (dev, ino) = exported.fds.first().and_then(dev_ino)?;
    let fds: Vec<String> = exported
        .fds
        .iter()
        .map(|f| format!("{:x}", number(f)))
        .collect();
    let entry = format!(
        "{head},{:x},{flags:x},{},{dev:x}:{ino:x},{tail}{}",
        h as usize,
        fds.join("+"),
        exported.description
    );
    Some((entry, exported.fds, exported.pid_slots, exported.keep_alive))
}

/// An exported handle: its entry, its descriptors, and `fmap::Exported::pid_slots` (indices
/// into the descriptors).
pub type Entry = (
    String,
    Vec<OwnedFd>,
    Vec<(usize, u64)>,
    Option<fmap::KeepAlive>,
);

/// Keeps `keep` (the memory of a section handed to another process over the connection
/// `conn`, which that process attaches when it takes the handle over) until the other end of
/// `conn` is closed — which the receiver does once it has taken the handle (or ignored it), or
/// its exit does — so that closing our own handle right after the hand-over cannot free the
/// memory first. A thread waits for that; nothing is kept (and no thread made) without `keep`.
pub fn linger(keep: Option<fmap::KeepAlive>, conn: OwnedFd) {
    if let Some(k) = keep {
        let _ = std::thread::Builder::new()
            .name("fmap-linger".into())
            .spawn(move || {
                let mut p = libc::pollfd {
                    fd: conn.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: polls one descriptor this thread owns. Any event (data, hang-up,
                // error) means the receiver is done with the connection.
                while unsafe { libc::poll(&mut p, 1, -1) } < 0
                    && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
                {
                }
                drop((k, conn));
            });
    }
}

/// The environment variable that names the write end of the keeper's pipe (see
/// [`start_keeper`]), which the child closes once it has adopted its handles.
pub const KEEPER_ENV: &str = "FMAP_WIN32_KEEPER";

/// Runs once in every process that loads this library, before `main`: adopts the handles a
/// parent passed down (see the module docs). Does nothing without [`ENV`].
pub fn adopt() {
    let v = std::env::var_os(ENV);
    let keeper = std::env::var_os(KEEPER_ENV);
    // Before any thread of the program exists (a constructor), so nobody reads the environment
    // concurrently.
    std::env::remove_var(ENV);
    std::env::remove_var(KEEPER_ENV);
    if let Some(v) = v.as_ref().and_then(|v| v.to_str()) {
        for entry in v.split(';').filter(|e| !e.is_empty()) {
            let _ = adopt_one(entry);
        }
    }
    // Our sections are attached now: the keeper may let go of them.
    if let Some(fd) = keeper
        .and_then(|k| k.to_str().and_then(|k| k.parse::<RawFd>().ok()))
        .filter(|&fd| fd > 2)
    {
        // SAFETY: an all-zero `stat` is a valid value for fstat to fill.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat on a number only reads; closing it only if it is a pipe, which the
        // parent passed for exactly this (another program's environment could name anything).
        unsafe {
            if libc::fstat(fd, &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFIFO {
                libc::close(fd);
            }
        }
    }
}

/// In a child forked by `CreateProcess`, right before its `exec` (async-signal-safe only):
/// starts a *keeper*, a process of its own (double `fork`, so that init reaps it, not the new
/// program) that keeps every System V attachment of this process — the memory of the inherited
/// sections that other users may open — until the write end `kw` of its pipe is closed
/// everywhere: by the new program's copy of this library once it has adopted its handles (and
/// attached those sections itself; see [`adopt`] and [`KEEPER_ENV`]), or by its exit. No
/// attachment survives `exec`, and the parent's own (`fmap::KeepAlive`) ends with the parent:
/// a launcher that exits right after `CreateProcess` would otherwise take the memory with it.
/// `kr` and `kw` are close-on-exec; `kw` is made inheritable here.
///
/// # Safety
///
/// Only in a forked child before `exec`, with `kr` and `kw` the two ends of one pipe.
pub unsafe fn start_keeper(kr: RawFd, kw: RawFd) {
    if kr < 0 || kw < 0 {
        return;
    }
    // SAFETY: only async-signal-safe calls (fcntl, fork, close_range, read, _exit, waitpid) on
    // descriptor numbers made before the fork; the caller runs this between fork and exec.
    unsafe {
        libc::fcntl(kw, libc::F_SETFD, 0);
        let mid = libc::fork();
        if mid == 0 {
            if libc::fork() == 0 {
                // The keeper: nothing but the read end.
                if kr > 0 {
                    libc::syscall(libc::SYS_close_range, 0u32, (kr - 1) as u32, 0u32);
                }
                libc::syscall(libc::SYS_close_range, (kr + 1) as u32, u32::MAX, 0u32);
                loop {
                    let mut b = 0u8;
                    let r = libc::read(kr, (&mut b as *mut u8).cast(), 1);
                    if r == 0 || (r < 0 && *libc::__errno_location() != libc::EINTR) {
                        break;
                    }
                }
                libc::_exit(0);
            }
            libc::_exit(0);
        }
        if mid > 0 {
            while libc::waitpid(mid, std::ptr::null_mut(), 0) < 0
                && *libc::__errno_location() == libc::EINTR
            {}
        }
    }
}

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s, 16).ok()
}

fn adopt_one(entry: &str) -> Option<()> {
    adopt_entry(entry, |numbers, id| {
        let raw: Vec<RawFd> = numbers
            .iter()
            .map(|&n| RawFd::try_from(n).ok())
            .collect::<Option<_>>()?;
        // The descriptors must be open; otherwise they are not ours to take (an environment
        // copied into some other process). Their identity is checked by `adopt_entry`.
        for &fd in &raw {
            // SAFETY: F_GETFD only reads the descriptor's flags; a closed number fails with EBADF.
            if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
                return None;
            }
        }
        // The first must be the file the parent described, before anything is taken.
        // SAFETY: an all-zero `stat` is a valid value for fstat to fill.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: an open descriptor (checked above); `st` is a valid out-pointer.
        if unsafe { libc::fstat(*raw.first()?, &mut st) } != 0 || (st.st_dev, st.st_ino) != id {
            return None;
        }
        Some(
            raw.iter()
                .map(|&fd| {
                    // SAFETY: the parent passed this open descriptor to this process for exactly
                    // this handle; nothing else in the process uses it, so taking ownership is
                    // sound.
                    let o = unsafe { OwnedFd::from_raw_fd(fd) };
                    // SAFETY: sets the close-on-exec flag of a descriptor this process owns.
                    unsafe { libc::fcntl(o.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
                    o
                })
                .collect(),
        )
    })
}

/// Enters the handle an entry describes under its value, with the descriptors `take` gives
/// for the entry's descriptor numbers; the first must be the file the entry names (device and
/// inode), else nothing is entered (and the descriptors are closed).
pub fn adopt_entry(
    entry: &str,
    take: impl FnOnce(&[u64], (u64, u64)) -> Option<Vec<OwnedFd>>,
) -> Option<()> {
    let (h, obj, flags) = parse_entry(entry, take)?;
    table::insert_at(h as usize as Handle, obj, flags & table::HANDLE_FLAGS).ok()?;
    Some(())
}

/// The handle value, object and handle flags an entry describes, with the descriptors `take`
/// gives for its descriptor numbers (checked as [`adopt_entry`] does), without entering it.
pub fn parse_entry(
    entry: &str,
    take: impl FnOnce(&[u64], (u64, u64)) -> Option<Vec<OwnedFd>>,
) -> Option<(u64, Obj, u32)> {
    let mut f = entry.splitn(6, ',');
    let (kind, h, flags, fds, id, rest) = (
        f.next()?,
        hex(f.next()?)?,
        hex(f.next()?)? as u32,
        f.next()?,
        f.next()?,
        f.next()?,
    );
    let (dev, ino) = id.split_once(':')?;
    let (dev, ino) = (hex(dev)?, hex(ino)?);
    let numbers: Vec<u64> = fds.split('+').map(hex).collect::<Option<_>>()?;
    let owned = take(&numbers, (dev, ino))?;
    let first = owned.first()?;
    // SAFETY: an all-zero `stat` is a valid value for fstat to fill.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `first` is an open descriptor; `st` is a valid out-pointer.
    if unsafe { libc::fstat(first.as_raw_fd(), &mut st) } != 0
        || (st.st_dev, st.st_ino) != (dev, ino)
    {
        return None;
    }
    let obj = match kind {
        "O" => Obj::Named(fmap::AnyObject::adopt_inherited(owned, rest).ok()?),
        "F" => {
            let mut p = rest.splitn(3, ',');
            let rights = hex(p.next()?)? as u32;
            let overlapped = p.next()? == "1";
            let file = fmap::File::adopt_inherited(owned, p.next()?).ok()?;
            Obj::File(
                Arc::new(FileObj {
                    file,
                    delete_on_close: None,
                    overlapped,
                }),
                rights,
            )
        }
        _ => return None,
    };
    Some((h, obj, flags))
}

/// The constructor that runs [`adopt`] when the library is loaded (before `main` for a program
/// linked with it).
#[used]
#[link_section = ".init_array"]
static ADOPT_AT_LOAD: extern "C" fn() = {
    extern "C" fn run() {
        adopt();
    }
    run
};
