//! The handle table under concurrency (issue 15 §2): lookups without a lock, generations in the
//! handle values, and `CloseHandle` while other threads use the handle. Its own test binary, so
//! that the table holds only these tests' handles.

use fmap_win32::abi::consts::*;
use fmap_win32::abi::error::{GetLastError, SetLastError};
use fmap_win32::abi::table::{self, Handle, REUSE_AFTER};
use fmap_win32::objects::handles::{CloseHandle, DuplicateHandle};
use fmap_win32::objects::sync::{CreateEventA, ResetEvent, SetEvent, WaitForSingleObject};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};

/// The tests share the process's table and some count its handles: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    static ROOT: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    // Unnamed objects only, but a namespace of this test's own all the same.
    ROOT.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        std::env::set_var(fmap::ROOT_ENV, d.path());
        d
    });
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// An unnamed manual-reset event, set or not.
fn event(set: bool) -> Handle {
    // SAFETY: a NULL name is allowed.
    let h = unsafe { CreateEventA(null(), 1, i32::from(set), null()) };
    assert!(!h.is_null(), "CreateEventA: {}", GetLastError());
    h
}

/// `WaitForSingleObject(h, 0)` and the last error.
fn poll(h: Handle) -> (u32, u32) {
    SetLastError(0);
    let r = WaitForSingleObject(h, 0);
    (r, GetLastError())
}

#[test]
fn handle_values_look_like_windows_handles() {
    let _s = serial();
    let hs: Vec<Handle> = (0..100).map(|i| event(i % 2 == 0)).collect();
    for (i, &h) in hs.iter().enumerate() {
        let v = h as usize;
        assert!(v != 0 && v & 3 == 0 && v < 1 << 31, "{h:p}");
        assert_ne!(h, INVALID_HANDLE_VALUE as Handle);
        // The two low bits are ignored.
        let want = if i % 2 == 0 {
            WAIT_OBJECT_0
        } else {
            WAIT_TIMEOUT
        };
        for tag in 0..4 {
            assert_eq!(poll((v | tag) as Handle).0, want, "{h:p} | {tag}");
        }
    }
    let mut sorted: Vec<usize> = hs.iter().map(|&h| h as usize).collect();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), hs.len(), "two live handles with one value");
    for h in hs {
        assert_eq!(CloseHandle(h), TRUE);
        assert_eq!(poll(h), (WAIT_FAILED, ERROR_INVALID_HANDLE));
    }
}

/// A closed handle never names a newer object, also once its slot has been reused: on the old
/// table (no generations) the value itself came back after 1025 closes.
#[test]
fn stale_handles_stay_invalid_after_their_slot_is_reused() {
    let _s = serial();
    let stale = event(true);
    assert_eq!(CloseHandle(stale), TRUE);
    let mut reused = 0;
    // Enough closes for the slot to come back several times (each reuse needs more than
    // REUSE_AFTER other free slots), far fewer than 32 reuses (the generation's period).
    for _ in 0..(REUSE_AFTER + 1) * 5 {
        let h = event(true); // signaled: a stale handle naming it would give WAIT_OBJECT_0
        if (h as usize) >> 7 == (stale as usize) >> 7 {
            reused += 1;
        }
        assert_ne!(h, stale, "the closed handle's value was handed out again");
        assert_eq!(
            poll(stale),
            (WAIT_FAILED, ERROR_INVALID_HANDLE),
            "a stale handle named a newer object"
        );
        assert_eq!(CloseHandle(h), TRUE);
    }
    assert!(reused >= 2, "the slot was reused {reused} times");
    assert_eq!(CloseHandle(stale), FALSE);
    assert_eq!(GetLastError(), ERROR_INVALID_HANDLE);
}

/// Many threads create, use, duplicate and close handles at once; every handle a thread owns
/// always names its own object (its state is the thread's to know), every handle it closed
/// fails, and nothing is left at the end.
#[test]
fn threads_open_use_and_close_handles_at_once() {
    let _s = serial();
    let before = table::live_handles();
    const THREADS: usize = 8;
    const ROUNDS: usize = 3000;
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                let mut mine: Vec<(Handle, bool)> = Vec::new();
                let mut closed: Vec<Handle> = Vec::new();
                let mut x = t as u32 * 7919 + 1;
                for _ in 0..ROUNDS {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    match x % 8 {
                        0..=2 if mine.len() < 64 => {
                            let set = x & 256 != 0;
                            mine.push((event(set), set));
                        }
                        3 if !mine.is_empty() => {
                            let (h, _) = mine.swap_remove(x as usize / 8 % mine.len());
                            assert_eq!(CloseHandle(h), TRUE);
                            closed.push(h);
                        }
                        4 if !mine.is_empty() => {
                            let i = x as usize / 8 % mine.len();
                            let mut d = null_mut();
                            let p = INVALID_HANDLE_VALUE as Handle;
                            // SAFETY: `d` is a writable HANDLE.
                            let ok = unsafe {
                                DuplicateHandle(
                                    p,
                                    mine[i].0,
                                    p,
                                    &mut d,
                                    0,
                                    0,
                                    DUPLICATE_SAME_ACCESS,
                                )
                            };
                            assert_eq!(ok, TRUE);
                            let set = mine[i].1; // the duplicate shares the event
                            mine.push((d, set));
                        }
                        _ if !mine.is_empty() => {
                            let i = x as usize / 8 % mine.len();
                            let (h, set) = mine[i];
                            let want = if set { WAIT_OBJECT_0 } else { WAIT_TIMEOUT };
                            assert_eq!(poll(h).0, want, "thread {t}: {h:p} names another object");
                        }
                        _ => {}
                    }
                    if !closed.is_empty() {
                        // A handle this thread closed (any time before): invalid — never a
                        // live handle of another thread's (on the old table its value came
                        // back after 1025 closes anywhere in the process).
                        let h = closed[x as usize / 16 % closed.len()];
                        if !mine.iter().any(|e| e.0 == h) {
                            let (r, e) = poll(h);
                            if r != WAIT_FAILED {
                                panic!("thread {t}: closed {h:p} answered {r:#x} (error {e})");
                            }
                            assert_eq!(e, ERROR_INVALID_HANDLE);
                        }
                    }
                }
                for (h, _) in mine {
                    assert_eq!(CloseHandle(h), TRUE);
                }
            });
        }
    });
    assert_eq!(table::live_handles(), before);
}

/// Lookups racing with `CloseHandle` of the same handle: each lookup either finds the object
/// (and uses it safely: the close waits for it) or fails with `ERROR_INVALID_HANDLE`; never a
/// crash, never another object.
#[test]
fn lookups_race_with_close_of_the_same_handle() {
    let _s = serial();
    const READERS: usize = 3;
    let current = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let found = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..READERS {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let h = current.load(Ordering::Acquire) as Handle;
                    if h.is_null() {
                        continue;
                    }
                    SetLastError(0);
                    match SetEvent(h) {
                        TRUE => {
                            found.fetch_add(1, Ordering::Relaxed);
                            ResetEvent(h);
                        }
                        _ => assert_eq!(GetLastError(), ERROR_INVALID_HANDLE),
                    }
                }
            });
        }
        for _ in 0..5000 {
            let h = event(false);
            current.store(h as usize, Ordering::Release);
            std::hint::spin_loop();
            assert_eq!(CloseHandle(h), TRUE);
        }
        stop.store(true, Ordering::Relaxed);
    });
    let _ = found.load(Ordering::Relaxed);
}

/// `CloseHandle` of a handle another thread is waiting on: the handle is closed at once (it
/// fails afterwards), the wait keeps the object and ends when it is signaled through another
/// handle (what Windows does).
#[test]
fn close_during_a_wait_keeps_the_object_for_the_wait() {
    let _s = serial();
    let h = event(false);
    let mut other = null_mut();
    let p = INVALID_HANDLE_VALUE as Handle;
    // SAFETY: `other` is a writable HANDLE.
    let ok = unsafe { DuplicateHandle(p, h, p, &mut other, 0, 0, DUPLICATE_SAME_ACCESS) };
    assert_eq!(ok, TRUE);
    let waiting = AtomicBool::new(false);
    let hv = h as usize; // handle values are plain integers, usable from any thread
    std::thread::scope(|s| {
        let w = s.spawn(|| {
            waiting.store(true, Ordering::Release);
            WaitForSingleObject(hv as Handle, INFINITE)
        });
        while !waiting.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
        // Let the waiter get past its first attempt into the blocking wait (if it has not,
        // the close comes first and its wait fails: that is checked below too).
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(CloseHandle(h), TRUE);
        assert_eq!(poll(h), (WAIT_FAILED, ERROR_INVALID_HANDLE));
        assert_eq!(SetEvent(other), TRUE);
        assert_eq!(w.join().unwrap(), WAIT_OBJECT_0);
    });
    assert_eq!(CloseHandle(other), TRUE);
}

/// After `fork`, the child's only thread can close handles, also when another thread of the
/// parent was in the middle of a lookup at the fork (its announcement must not make the
/// child's `CloseHandle` wait forever).
#[test]
fn close_in_a_forked_child() {
    let _s = serial();
    let h = event(true);
    let busy = event(true);
    let stop = AtomicBool::new(false);
    let busy_v = busy as usize;
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                WaitForSingleObject(busy_v as Handle, 0);
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(20));
        // SAFETY: the child only calls async-signal-unsafe code that takes no lock another
        // thread may hold at the fork (the table's allocator lock is taken only by CloseHandle
        // and create calls, which no other thread makes now), then _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            // SAFETY: alarm only arms a timer: a hang ends the child with SIGALRM.
            unsafe { libc::alarm(60) };
            let ok = CloseHandle(h) == TRUE && CloseHandle(busy) == TRUE;
            // SAFETY: ends the child without running the parent's destructors or test harness.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for our own child; `status` is writable.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the child's CloseHandle failed or hung (status {status:#x})"
        );
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(CloseHandle(h), TRUE);
    assert_eq!(CloseHandle(busy), TRUE);
}

/// A connection to this process's own inbox (`fmap-xproc/<euid>/<pid>`, see `runtime/xproc`).
fn inbox_connection() -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a descriptor this function owns; the address is built in
    // a zeroed sockaddr_un with room for it.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let s = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut a: libc::sockaddr_un = std::mem::zeroed();
        a.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let name = format!("fmap-xproc/{}/{}", libc::geteuid(), std::process::id());
        for (d, c) in a.sun_path[1..].iter_mut().zip(name.bytes()) {
            *d = c as libc::c_char;
        }
        let len = std::mem::size_of::<libc::sa_family_t>() + 1 + name.len();
        let r = libc::connect(fd, (&a as *const libc::sockaddr_un).cast(), len as u32);
        assert_eq!(
            r,
            0,
            "connect to our inbox: {}",
            std::io::Error::last_os_error()
        );
        s
    }
}

/// Sends `msg` on `s` and returns the answer (empty if the connection was closed unanswered).
fn ask(s: &std::os::fd::OwnedFd, msg: &[u8]) -> Vec<u8> {
    use std::os::fd::AsRawFd;
    // SAFETY: send and receive through buffers of the given lengths on our socket; a
    // receive timeout keeps a missing answer from hanging the test.
    unsafe {
        let tv = libc::timeval {
            tv_sec: 20,
            tv_usec: 0,
        };
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        );
        assert_eq!(
            libc::send(
                s.as_raw_fd(),
                msg.as_ptr().cast(),
                msg.len(),
                libc::MSG_NOSIGNAL
            ),
            msg.len() as isize
        );
        let mut buf = [0u8; 4096];
        let n = libc::recv(s.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0);
        assert!(n >= 0, "no answer: {}", std::io::Error::last_os_error());
        buf[..n as usize].to_vec()
    }
}

/// Garbage sent to a process's inbox by a peer (of the same user: others are not even read)
/// — malformed requests, a request for a handle that does not exist, an entry that names no
/// descriptor, a connection that never sends — gets an error answer or none, and the process
/// still answers a proper request afterwards (its service thread neither died nor hung).
#[test]
fn garbage_in_the_inbox_is_refused_and_the_inbox_keeps_working() {
    let _g = serial();
    let ev = event(true);
    let silent = inbox_connection(); // connects, never sends: waited for a bounded time only
    for bad in [
        &b"G,zz"[..],
        b"G,1,2,3",
        b"G,,,,,",
        b"O,ffffffff,0,0,0:0,",
        b"\xff\xfe garbage",
    ] {
        let answer = ask(&inbox_connection(), bad);
        assert!(answer.is_empty(), "{bad:?} got {answer:?}");
    }
    // A request for a value that is no handle here: ERROR_INVALID_HANDLE.
    let answer = ask(&inbox_connection(), b"G,7ff0,0,2,0,1");
    assert_eq!(answer, format!("E,{ERROR_INVALID_HANDLE:x}").into_bytes());
    // A proper request (DUPLICATE_SAME_ACCESS of a live handle) is still answered with an
    // entry (and its descriptors, which the kernel closes when the connection goes).
    let req = format!("G,{:x},0,{:x},0,1", ev as usize, DUPLICATE_SAME_ACCESS);
    let answer = ask(&inbox_connection(), req.as_bytes());
    assert!(
        answer.starts_with(b"O,"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    drop(silent);
    assert_eq!(CloseHandle(ev), 1);
}
