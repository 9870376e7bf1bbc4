//! `DuplicateHandle` into and out of another process.
//!
//! # How
//!
//! Every process that loads this library listens (from its load, [`listen`]) on a Unix
//! `SOCK_SEQPACKET` socket in the abstract namespace, `fmap-xproc/<euid>/<pid>`, and answers
//! it from a thread of its own (`fmap-xproc`, which blocks every signal and sleeps in `poll`).
//! To duplicate a handle *into* process P, the source
//!
//! 1. exports the handle's object as inheritance does ([`crate::runtime::inherit`]: a named
//!    object's descriptor carries a holder lock of its own),
//! 2. takes the next handle value of P's *remote range* ([`table::REMOTE_FIRST`], slots P's
//!    own table never hands out) from a counter file, `.xproc-values`, in the user's `Local\`
//!    namespace directory (mode 0700: only the user can write it), under an exclusive `flock`,
//! 3. connects to P's socket and checks that the listener *is* P (`SO_PEERCRED`: P's pid, the
//!    caller's user unless the caller is root, and P not ended meanwhile: its pid not reused),
//! 4. sends the entry and its descriptors (`SCM_RIGHTS`) and closes its copies.
//!
//! P's thread accepts the connection, checks the sender's user (`SO_PEERCRED`: P's user or
//! root), and enters the handle under its value. Until then — P not started yet, or stopped —
//! the connection waits in P's socket with the descriptors (and the holder locks), and a
//! lookup in P of a remote value it does not have takes every waiting connection first
//! ([`drain`]): the object lives while the handle exists in P, and goes with P however it
//! ends (the socket and what waits in it die with P; `SIGKILL` included).
//!
//! *Out of* process S (S's handle, a handle here): the caller connects to S's socket the same
//! way and sends a request (`G,…`: the handle value, access, options, flags); S's thread makes
//! the duplicate as `DuplicateHandle` within S would (`DUPLICATE_CLOSE_SOURCE` closes S's
//! handle), exports it and sends it back; the caller enters it under a value of its own.
//!
//! # Limits
//!
//! Same user (or root as the caller); the other process must have loaded this library (else
//! `ERROR_NOT_SUPPORTED`) in the same network namespace; at most the socket's backlog of
//! duplications (`SOMAXCONN`) may wait unclaimed in one target (then
//! `ERROR_NOT_ENOUGH_MEMORY`). Handle values repeat after 2^25 duplications by one user. A
//! duplication out of a process that does not answer within 30 s (stopped, or suspended
//! before it loaded the library) fails with `ERROR_NOT_SUPPORTED`. Not supported
//! (`ERROR_NOT_SUPPORTED`): duplicating between two *other* processes, thread and process
//! handles across processes, unnamed sections over a file.

use crate::abi::consts::*;
use crate::abi::table::{self, Handle, Obj};
use crate::runtime::inherit;
use crate::runtime::process::Task;
use std::io::{Read, Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Mutex, OnceLock};

/// The most descriptors one entry carries.
const MAX_FDS: usize = 8;
/// The longest entry.
const MAX_ENTRY: usize = 4096;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// The abstract socket address of process `pid` of user `uid`, and its length.
fn address(uid: u32, pid: u32) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_un is valid.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let name = format!("fmap-xproc/{uid}/{pid}");
    // sun_path[0] stays 0: the abstract namespace.
    for (d, s) in a.sun_path[1..].iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + name.len();
    (a, len as libc::socklen_t)
}

/// The environment variable that gives a child started by `CreateProcess` the descriptor of
/// the inbox its parent bound for it before its `exec` ([`bind_in_child`]).
pub const ENV: &str = "FMAP_WIN32_INBOX";

/// Binds and listens on `fd` as the inbox of this (forked, not yet exec'd) process of user
/// `uid`, and keeps it open across `exec`. Only async-signal-safe calls, no allocation: the
/// address is written digit by digit.
pub fn bind_in_child(fd: RawFd, uid: u32) {
    if fd < 0 {
        return;
    }
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() } as u32;
    // SAFETY: an all-zero sockaddr_un is valid.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let mut buf = [0u8; 48];
    let mut i = 0;
    for &b in b"fmap-xproc/" {
        buf[i] = b;
        i += 1;
    }
    push_num(&mut buf, &mut i, uid);
    buf[i] = b'/';
    i += 1;
    push_num(&mut buf, &mut i, pid);
    for (d, &b) in a.sun_path[1..].iter_mut().zip(&buf[..i]) {
        *d = b as libc::c_char;
    }
    let i = i + 1; // the leading NUL of the abstract name
    let len = std::mem::size_of::<libc::sa_family_t>() + i;
    // SAFETY: bind/listen/fcntl on the descriptor the parent made for this purpose, with a
    // valid address; failures leave the child to bind its inbox itself.
    unsafe {
        if libc::bind(
            fd,
            (&a as *const libc::sockaddr_un).cast(),
            len as libc::socklen_t,
        ) == 0
            && libc::listen(fd, libc::SOMAXCONN) == 0
        {
            libc::fcntl(fd, libc::F_SETFD, 0);
        }
    }
}

/// Writes `n` in decimal at `buf[*i..]` (no allocation: runs between fork and exec).
fn push_num(buf: &mut [u8; 48], i: &mut usize, mut n: u32) {
    let mut d = [0u8; 10];
    let mut k = 0;
    loop {
        d[k] = b'0' + (n % 10) as u8;
        k += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    while k > 0 {
        k -= 1;
        buf[*i] = d[k];
        *i += 1;
    }
}

/// A new close-on-exec, non-blocking `SOCK_SEQPACKET` Unix socket.
pub fn socket() -> Option<OwnedFd> {
    // SAFETY: socket takes integers only.
    let fd = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    };
    // SAFETY: socket just made it.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// This process's listening socket, with the pid it was made for (a forked child has none).
static INBOX: OnceLock<Option<(OwnedFd, u32)>> = OnceLock::new();
/// Serialises draining, so that a lookup that misses while another thread is entering the
/// handle it wants finds it after the wait.
static DRAIN: Mutex<()> = Mutex::new(());

/// Starts listening (run when the library is loaded).
pub fn listen() {
    INBOX.get_or_init(|| {
        let pid = std::process::id();
        let (a, len) = address(euid(), pid);
        // The inbox the parent bound for us before our exec, if it is that.
        if let Some(v) = std::env::var_os(ENV) {
            // Before any thread of the program exists (a constructor).
            std::env::remove_var(ENV);
            if let Some(fd) = v.to_str().and_then(|v| v.parse::<RawFd>().ok()) {
                if let Some(s) = adopt_inbox(fd, &a, len) {
                    return Some((s, pid));
                }
            }
        }
        let s = socket()?;
        // SAFETY: binds and listens on a socket we own with a valid address.
        let ok = unsafe {
            libc::bind(s.as_raw_fd(), (&a as *const libc::sockaddr_un).cast(), len) == 0
                && libc::listen(s.as_raw_fd(), libc::SOMAXCONN) == 0
        };
        ok.then_some((s, pid))
    });
    serve();
}

/// Starts the thread that answers this process's inbox at once (a process that is asked for
/// a duplicate out of it may be blocked in a wait for ever). It blocks every signal, so that
/// signals meant for the program never run on it, and sleeps in `poll` between connections.
fn serve() {
    if !matches!(INBOX.get(), Some(Some(_))) {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("fmap-xproc".into())
        .stack_size(256 * 1024)
        .spawn(|| {
            // SAFETY: blocks all signals for this thread only; `set` is a valid sigset.
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigfillset(&mut set);
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            }
            loop {
                let Some(Some((inbox, pid))) = INBOX.get() else {
                    return;
                };
                if *pid != std::process::id() {
                    return;
                }
                let mut p = libc::pollfd {
                    fd: inbox.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: polls one descriptor this process owns for its lifetime.
                if unsafe { libc::poll(&mut p, 1, -1) } > 0 {
                    drain();
                }
            }
        });
}

/// Takes `fd` as this process's inbox if it is a listening socket bound to `want`.
fn adopt_inbox(fd: RawFd, want: &libc::sockaddr_un, want_len: libc::socklen_t) -> Option<OwnedFd> {
    // SAFETY: an all-zero sockaddr_un is valid.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: getsockname into a buffer of its size; a descriptor that is no socket fails.
    if unsafe { libc::getsockname(fd, (&mut a as *mut libc::sockaddr_un).cast(), &mut len) } != 0
        || len != want_len
        || a.sun_path[..len as usize - 2] != want.sun_path[..len as usize - 2]
    {
        return None;
    }
    let mut listening: libc::c_int = 0;
    let mut l = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: reads SO_ACCEPTCONN into an int.
    if unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut listening as *mut libc::c_int).cast(),
            &mut l,
        )
    } != 0
        || listening == 0
    {
        return None;
    }
    // SAFETY: the parent passed this descriptor to this process as its inbox (checked: a
    // listening socket bound to this process's address); nothing else here uses it.
    let s = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: sets flags of a descriptor we own.
    unsafe {
        libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    Some(s)
}

fn peer_cred(fd: RawFd) -> Option<libc::ucred> {
    // SAFETY: an all-zero ucred is valid.
    let mut c: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: reads SO_PEERCRED into a buffer of its size.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut c as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(c)
}

/// Handles every connection waiting in this process's inbox: handles other processes sent
/// (entered), and requests for duplicates out of this process (answered).
pub fn drain() {
    let Some(Some((inbox, pid))) = INBOX.get() else {
        return;
    };
    if *pid != std::process::id() {
        return; // a forked child: the socket is its parent's
    }
    let _g = DRAIN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        // SAFETY: accepts on our listening socket; no address wanted.
        let c = unsafe {
            libc::accept4(
                inbox.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            )
        };
        if c < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return;
        }
        // SAFETY: accept4 just made it.
        let c = unsafe { OwnedFd::from_raw_fd(c) };
        let me = euid();
        match peer_cred(c.as_raw_fd()) {
            Some(cr) if cr.uid == me || cr.uid == 0 => {}
            _ => continue, // another user: ignored (closed)
        }
        // A connection is accepted as soon as it exists; its sender may not have sent yet.
        if readable(&c, SENDER_WAIT_MS) {
            let _ = receive(&c);
        }
    }
}

/// How long an accepted connection may take to deliver its message.
const SENDER_WAIT_MS: i32 = 5_000;

/// Waits up to `ms` milliseconds for `c` to have something to read (or be closed).
fn readable(c: &OwnedFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: c.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: polls one descriptor we own.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        return r > 0;
    }
}

/// One message and the descriptors that came with it.
fn recv_msg(c: &OwnedFd) -> Option<(String, Vec<Option<OwnedFd>>)> {
    let mut buf = vec![0u8; MAX_ENTRY];
    let mut cbuf = [0u64; 64]; // aligned control buffer, room for MAX_FDS descriptors
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is valid; the pointers set below outlive the call.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf.as_mut_ptr().cast();
    m.msg_controllen = std::mem::size_of_val(&cbuf);
    // SAFETY: receives into the buffers described by `m`.
    let n = unsafe { libc::recvmsg(c.as_raw_fd(), &mut m, libc::MSG_CMSG_CLOEXEC) };
    let mut fds = Vec::new();
    // SAFETY: walks the control messages recvmsg wrote into `cbuf` with the CMSG macros.
    unsafe {
        let mut cm = libc::CMSG_FIRSTHDR(&m);
        while !cm.is_null() {
            if (*cm).cmsg_level == libc::SOL_SOCKET && (*cm).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cm).cast::<RawFd>();
                let count = ((*cm).cmsg_len as usize - libc::CMSG_LEN(0) as usize)
                    / std::mem::size_of::<RawFd>();
                for k in 0..count {
                    // The kernel installed these descriptors for this process: ours to own.
                    fds.push(Some(OwnedFd::from_raw_fd(data.add(k).read_unaligned())));
                }
            }
            cm = libc::CMSG_NXTHDR(&m, cm);
        }
    }
    if n <= 0 || m.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0 {
        return None;
    }
    let text = std::str::from_utf8(&buf[..n as usize]).ok()?.to_owned();
    Some((text, fds))
}

/// Sends `text` with the descriptors `fds` (`SCM_RIGHTS`); whether all of it went.
fn send_msg(s: &OwnedFd, text: &str, fds: &[OwnedFd]) -> bool {
    if fds.len() > MAX_FDS || text.len() > MAX_ENTRY {
        return false;
    }
    let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
    let mut cbuf = [0u64; 64];
    let mut iov = libc::iovec {
        iov_base: text.as_ptr() as *mut libc::c_void,
        iov_len: text.len(),
    };
    // SAFETY: an all-zero msghdr is valid; the pointers set below outlive the call, and the
    // control message is built with the CMSG macros inside `cbuf`, which has room for it.
    let r = unsafe {
        let mut m: libc::msghdr = std::mem::zeroed();
        m.msg_iov = &mut iov;
        m.msg_iovlen = 1;
        if !raw.is_empty() {
            let space = libc::CMSG_SPACE(std::mem::size_of_val(raw.as_slice()) as u32) as usize;
            m.msg_control = cbuf.as_mut_ptr().cast();
            m.msg_controllen = space;
            let cm = libc::CMSG_FIRSTHDR(&m);
            (*cm).cmsg_level = libc::SOL_SOCKET;
            (*cm).cmsg_type = libc::SCM_RIGHTS;
            (*cm).cmsg_len = libc::CMSG_LEN(std::mem::size_of_val(raw.as_slice()) as u32) as usize;
            std::ptr::copy_nonoverlapping(raw.as_ptr(), libc::CMSG_DATA(cm).cast(), raw.len());
        }
        libc::sendmsg(s.as_raw_fd(), &m, libc::MSG_NOSIGNAL)
    };
    r == text.len() as isize
}

/// Handles one connection: a handle sent to this process (entered), or a request for a
/// duplicate of one of this process's handles (`G,…`, answered on the connection).
fn receive(c: &OwnedFd) -> Option<()> {
    let (entry, mut fds) = recv_msg(c)?;
    if let Some(req) = entry.strip_prefix("G,") {
        return answer(c, req);
    }
    // The handle must be in the remote range (never one of this process's own values).
    let h = entry
        .split(',')
        .nth(1)
        .and_then(|v| usize::from_str_radix(v, 16).ok())?;
    if h >> 7 <= table::REMOTE_FIRST {
        return None;
    }
    inherit::adopt_entry(&entry, |numbers, _| {
        numbers
            .iter()
            .map(|&k| fds.get_mut(usize::try_from(k).ok()?)?.take())
            .collect()
    })
}

/// Answers a request for a duplicate out of this process (`DuplicateHandle` with this process
/// as the source, run by another): `source,access,options,flags,want` in hex. The answer is
/// the duplicate's entry with its descriptors, `K` when only `DUPLICATE_CLOSE_SOURCE` was
/// asked, or `E,<error>`.
fn answer(c: &OwnedFd, req: &str) -> Option<()> {
    let mut f = req.split(',').map(|v| u64::from_str_radix(v, 16).ok());
    let (source, access, options, flags, want) =
        (f.next()??, f.next()??, f.next()??, f.next()??, f.next()??);
    let source = source as usize as Handle;
    let (access, options, flags) = (access as u32, options as u32, flags as u32);
    let close_source = || {
        if options & DUPLICATE_CLOSE_SOURCE != 0 {
            let _ = table::remove(source);
        }
    };
    let reply = |text: &str, fds: &[OwnedFd]| send_msg(c, text, fds).then_some(());
    if want == 0 {
        // Only closing it (`lpTargetHandle` NULL with `DUPLICATE_CLOSE_SOURCE`).
        return match table::remove(source) {
            Ok(_) => reply("K", &[]),
            Err(e) => reply(&format!("E,{e:x}"), &[]),
        };
    }
    let dup = match crate::objects::handles::duplicate_local(source, access, options) {
        Ok(d) => d,
        Err(e) => return reply(&format!("E,{e:x}"), &[]),
    };
    let mut index = 0u64;
    // No pid slots: the requester takes holder slots of its own when it adopts the entry.
    let Some((entry, fds, _, keep)) =
        inherit::export_entry(std::ptr::null_mut(), &dup, flags, |_| {
            index += 1;
            index - 1
        })
    else {
        close_source();
        return reply(&format!("E,{ERROR_NOT_SUPPORTED:x}"), &[]);
    };
    drop(dup);
    // Closed before the answer: when the requester's `DuplicateHandle` returns, the source is
    // gone (the exported descriptors hold the object meanwhile).
    close_source();
    let sent = reply(&entry, &fds);
    // Our copies go now: the message holds the requester's.
    drop(fds);
    // The memory of a section in a System V segment stays attached here until the requester
    // has taken the handle (it closes the connection then).
    if let Ok(c) = c.try_clone() {
        inherit::linger(keep, c);
    }
    sent
}

/// The next value of the user's counter of remote handle values.
fn next_value() -> Result<Handle, u32> {
    let dir = fmap::Namespace::default().dir_path(fmap::Scope::Local);
    let _ = std::fs::DirBuilder::new().recursive(true).create(&dir);
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let md = std::fs::symlink_metadata(&dir).map_err(|_| ERROR_ACCESS_DENIED)?;
    if !md.is_dir() || md.uid() != euid() || md.mode() & 0o022 != 0 {
        return Err(ERROR_ACCESS_DENIED);
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags_nofollow()
        .open(dir.join(".xproc-values"))
        .map_err(|e| fmap::Error::os(e, "").win32_code())?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(ERROR_ACCESS_DENIED);
    }
    let mut b = [0u8; 8];
    let n = f.read(&mut b).unwrap_or(0);
    let v = if n == 8 { u64::from_le_bytes(b) } else { 0 };
    f.rewind().map_err(|_| ERROR_GEN_FAILURE)?;
    f.write_all(&(v + 1).to_le_bytes())
        .map_err(|_| ERROR_GEN_FAILURE)?;
    Ok(table::remote_value(v))
}

trait NoFollow {
    fn custom_flags_nofollow(&mut self) -> &mut Self;
}
impl NoFollow for std::fs::OpenOptions {
    fn custom_flags_nofollow(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o600)
    }
}

/// A connection to the inbox of `target` (process `pid`), checked to be that process's.
fn connect(target: &Task, pid: u32) -> Result<OwnedFd, u32> {
    let s = socket().ok_or(ERROR_NOT_ENOUGH_MEMORY)?;
    let me = euid();
    let (a, len) = address(me, pid);
    // SAFETY: connects our socket to a valid address.
    if unsafe { libc::connect(s.as_raw_fd(), (&a as *const libc::sockaddr_un).cast(), len) } != 0 {
        return Err(match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EAGAIN) => ERROR_NOT_ENOUGH_MEMORY,
            _ => ERROR_NOT_SUPPORTED, // no fmap-win32 process listens there
        });
    }
    let cred = peer_cred(s.as_raw_fd()).ok_or(ERROR_ACCESS_DENIED)?;
    // The listener must be the target (not a process that squatted its name) and the target
    // still the process of that pid (not ended, so the pid is not reused).
    if cred.pid as u32 != pid || (cred.uid != me && me != 0) || target.ended() {
        return Err(ERROR_ACCESS_DENIED);
    }
    Ok(s)
}

/// How long a duplication out of another process waits for its answer (the source's service
/// thread answers at once; a process that is stopped, or has not loaded this library yet,
/// does not).
const ANSWER_WAIT_MS: i32 = 30_000;

/// `DuplicateHandle` out of the process of `target`: asks it for a duplicate of its handle
/// `source` (with `access`, or the same access, by `options`; `DUPLICATE_CLOSE_SOURCE` closes
/// it there) and returns the object and handle flags to enter here — or `None` if `want` is
/// false (only closing the source).
pub fn fetch(
    target: &Task,
    source: Handle,
    access: u32,
    inherit: i32,
    options: u32,
    want: bool,
) -> Result<Option<(Obj, u32)>, u32> {
    let pid = target.id.load(SeqCst);
    if target.ended() {
        return Err(ERROR_ACCESS_DENIED); // Windows: a process that has exited
    }
    let s = connect(target, pid)?;
    let req = format!(
        "G,{:x},{access:x},{options:x},{:x},{:x}",
        source as usize,
        table::inherit_flags(inherit),
        u8::from(want)
    );
    if !send_msg(&s, &req, &[]) {
        return Err(ERROR_NOT_ENOUGH_MEMORY);
    }
    if !readable(&s, ANSWER_WAIT_MS) {
        return Err(ERROR_NOT_SUPPORTED); // no answer: not an fmap-win32 process, or stopped
    }
    let (text, mut fds) = recv_msg(&s).ok_or(ERROR_NOT_SUPPORTED)?;
    if text == "K" {
        return Ok(None);
    }
    if let Some(e) = text.strip_prefix("E,") {
        return Err(u32::from_str_radix(e, 16).unwrap_or(ERROR_GEN_FAILURE));
    }
    let (_, obj, flags) = inherit::parse_entry(&text, |numbers, _| {
        numbers
            .iter()
            .map(|&k| fds.get_mut(usize::try_from(k).ok()?)?.take())
            .collect()
    })
    .ok_or(ERROR_INVALID_HANDLE)?;
    Ok(Some((obj, flags & table::HANDLE_FLAGS)))
}

/// Duplicates `obj` (already with the rights asked for) into the process of `target` with the
/// handle flags `flags`; the handle value it has there.
pub fn send(target: &Task, obj: &Obj, flags: u32) -> Result<Handle, u32> {
    if matches!(obj, Obj::Thread(_) | Obj::Process(..) | Obj::Snapshot(_)) {
        return Err(ERROR_NOT_SUPPORTED);
    }
    let pid = target.id.load(SeqCst);
    if target.ended() {
        return Err(ERROR_ACCESS_DENIED); // Windows: a process that has exited
    }
    let s = connect(target, pid)?;
    let h = next_value()?;
    let mut index = 0u64;
    // The target adopts the descriptors under numbers of its own and takes its own holder
    // slots: the pid slots of a fork are no use here.
    let (entry, fds, _, keep) = inherit::export_entry(h, obj, flags, |_| {
        index += 1;
        index - 1
    })
    .ok_or(ERROR_NOT_SUPPORTED)?;
    if fds.len() > MAX_FDS || entry.len() > MAX_ENTRY {
        return Err(ERROR_NOT_SUPPORTED);
    }
    if !send_msg(&s, &entry, &fds) {
        return Err(ERROR_NOT_ENOUGH_MEMORY);
    }
    // Our copies go now: the message holds the target's.
    drop(fds);
    // The memory of a section in a System V segment stays attached here until the target has
    // taken the handle (its listener closes the connection then) or has ended.
    inherit::linger(keep, s);
    Ok(h)
}

/// The constructor that starts listening when the library is loaded.
#[used]
#[link_section = ".init_array"]
static LISTEN_AT_LOAD: extern "C" fn() = {
    extern "C" fn run() {
        listen();
    }
    run
};
