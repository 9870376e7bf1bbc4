//! Hand-off on release (issue 13, section 1), across real processes: a release with a waiter
//! already waiting gives the object to that waiter, as Windows does — `ReleaseMutex`,
//! `ReleaseSemaphore`, `SetEvent` on an auto-reset event — so the releaser cannot take it back
//! first, and two processes that loop wait / work / release take turns.
//!
//! "Already waiting" is made certain, not left to timing: before it releases, the holder
//! waits until the other process is *present* in its wait — queued on the object (its thread
//! id in a slot of the object's wait queue, read from the object file) or asleep in
//! `futex_waitv` (`/proc`). The second look is all that a build without the queue offers, so
//! these tests also run, and fail, against fmap before hand-off. This file run against the
//! base commit 2b52bc6 (10,000 iterations per process; releaser took the object back):
//! mutex 1922 (spinning 2353), semaphore 13933 (6038), auto-reset event 117 (3345); the
//! releaser's `SetEvent` + `WaitForSingleObject(e, 0)` won 28 of 300 rounds; the mutex and
//! semaphore releaser re-took the object in round 0 (the child then never got it); a mutex
//! released to a waiter killed while stopped was `Signaled`, not abandoned. With hand-off:
//! 0 everywhere.
//!
//! Timeouts are hang guards only. The children are this test binary run again (see
//! `common::child_entry`); they report with `FMAP:` lines.

#[macro_use]
mod common;

use common::{
    asleep_in_wait, env, namespace, num, object_file, read_stdin_line, report, tid, var, word, Ctx,
    Proc, GUARD_D, R, Z,
};
use fmap::{
    wait_all, wait_any, wait_one, Access, Event, Mapping, MappingOptions, Mutex, Semaphore, View,
    WaitResult, Waitable,
};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FMAP_HANDOFF_CHILD";
/// Iterations of each process in the alternation tests.
const ALTERNATIONS: u64 = 10_000;
/// Rounds of the "releaser waits again" tests, per wait mode.
const ROUNDS: u64 = 300;

// Shared words (8 bytes each) of the section "sec".
/// The process (1 or 2) that acquired the object last.
const W_LAST: usize = 0;
/// Acquisitions by a process that had also made the previous one while the other process was
/// still looping: a releaser that took the object back from a waiter.
const W_RETAKES: usize = 1;
/// Iterations done by process 1 and 2 (`W_DONE + me`).
const W_DONE: usize = 2;
/// Thread ids (`W_TID + me`) and pids (`W_PID + me`) of the waiting threads.
const W_TID: usize = 4;
const W_PID: usize = 7;

// The wait queue in the object file (issue 13): slots of 80 bytes from byte 1232, each with
// its lock word (naming the queued thread) at 0 and its ticket (0: free) at 64.
const QUEUE_SLOTS_OFF: usize = 1232;
const QUEUE_SLOTS: usize = 10;
const SLOT_SIZE: usize = 80;

#[test]
fn child_entry() {
    fmap::set_handoff(true);
    common::child_entry(CHILD_ENV, run_role);
}

fn run_role(role: &str) -> R {
    fmap::set_handoff(true);
    match role {
        "alternate" => role_alternate(),
        "waiter" => role_waiter(),
        "stop_me" => role_stop_me(),
        r => Err(format!("unknown role {r}")),
    }
}

/// The object of a test: `FMAP_KIND` is `mutex`, `semaphore` (maximum 1) or `event`
/// (auto-reset), named "obj".
enum Obj {
    M(Mutex),
    S(Semaphore),
    E(Event),
}

impl Obj {
    fn open(kind: &str) -> R<Obj> {
        Ok(match kind {
            "mutex" => {
                Obj::M(Mutex::open("obj", fmap::SyncAccess::MUTEX_ALL_ACCESS).ctx("open obj")?)
            }
            "semaphore" => Obj::S(
                Semaphore::open("obj", fmap::SyncAccess::SEMAPHORE_ALL_ACCESS).ctx("open obj")?,
            ),
            "event" => {
                Obj::E(Event::open("obj", fmap::SyncAccess::EVENT_ALL_ACCESS).ctx("open obj")?)
            }
            k => return Err(format!("unknown kind {k}")),
        })
    }

    fn waitable(&self) -> &dyn Waitable {
        match self {
            Obj::M(m) => m,
            Obj::S(s) => s,
            Obj::E(e) => e,
        }
    }

    /// Gives the object back: `ReleaseMutex`, `ReleaseSemaphore(1)`, `SetEvent`.
    fn release(&self) -> R {
        match self {
            Obj::M(m) => m.release().ctx("ReleaseMutex"),
            Obj::S(s) => s.release(1).map(drop).ctx("ReleaseSemaphore"),
            Obj::E(e) => e.set().ctx("SetEvent"),
        }
    }
}

fn open_sec() -> R<(Mapping, View)> {
    let m = Mapping::open("sec", Access::WRITE).ctx("open sec")?;
    let v = m.map_view(Access::WRITE, ..).ctx("map sec")?;
    Ok((m, v))
}

/// A wait with a hang guard: using it up is a failure (a lost wake-up).
fn guarded(
    what: &str,
    wait: impl FnOnce(Option<Duration>) -> fmap::Result<WaitResult>,
) -> R<WaitResult> {
    let start = Instant::now();
    let r = wait(Some(GUARD_D)).ctx(what)?;
    check!(
        start.elapsed() < GUARD_D && r != WaitResult::TimedOut,
        "{what}: the wait ran into its {GUARD_D:?} hang guard ({r:?})"
    );
    Ok(r)
}

/// Is thread `tid` (of process `pid`) present in a wait on the object in `file`: queued in
/// its wait queue, or asleep in `futex_waitv`?
fn present(file: &Path, pid: u32, tid: i32) -> bool {
    let f = std::fs::File::open(file).expect("open the object file");
    let mut b = [0u8; 2048];
    f.read_exact_at(&mut b, 0).expect("read the object file");
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let queued = (0..QUEUE_SLOTS)
        .map(|i| QUEUE_SLOTS_OFF + i * SLOT_SIZE)
        .any(|o| u32_at(o + 64) != 0 && (u32_at(o) & 0x3FFF_FFFF) as i32 == tid);
    queued || asleep_in_wait(pid, tid)
}

/// Waits (with a hang guard) until `until` holds.
fn wait_until(what: &str, mut until: impl FnMut() -> bool) -> R {
    let start = Instant::now();
    while !until() {
        check!(start.elapsed() < GUARD_D, "{what}: not within {GUARD_D:?}");
        std::thread::yield_now();
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// Strict alternation
// ------------------------------------------------------------------------------------------

/// Process `FMAP_ME` (1 or 2) of an alternation: `FMAP_N` times wait for the object, note who
/// had it last, "work" until the other process is present in its wait (unless it is done),
/// release.
fn role_alternate() -> R {
    let me = num("FMAP_ME");
    let other = 3 - me;
    let n = num("FMAP_N");
    let file = std::path::PathBuf::from(var("FMAP_OBJFILE"));
    let obj = Obj::open(&var("FMAP_KIND"))?;
    let (_sec, v) = open_sec()?;
    word(&v, W_TID + me as usize).store(tid() as u64, SeqCst);
    word(&v, W_PID + me as usize).store(u64::from(std::process::id()), SeqCst);
    report("READY");
    read_stdin_line();
    let other_done = || word(&v, W_DONE + other as usize).load(SeqCst) >= n;
    let (otid, opid) = (
        word(&v, W_TID + other as usize).load(SeqCst) as i32,
        word(&v, W_PID + other as usize).load(SeqCst) as u32,
    );
    for i in 0..n {
        let r = guarded("wait", |t| wait_one(obj.waitable(), t))?;
        check!(r == WaitResult::Signaled(0), "iteration {i}: {r:?}");
        let last = word(&v, W_LAST).swap(me, SeqCst);
        if last == me && !other_done() {
            word(&v, W_RETAKES).fetch_add(1, SeqCst);
        }
        word(&v, W_DONE + me as usize).fetch_add(1, SeqCst);
        wait_until(&format!("iteration {i}: the other process waits"), || {
            other_done() || present(&file, opid, otid)
        })?;
        obj.release()?;
    }
    report("DONE");
    Ok(())
}

/// Two processes × [`ALTERNATIONS`] iterations on the object of `kind`; returns the number of
/// times a releaser took the object back although the other process was waiting.
fn alternate(kind: &str, spin_us: u32) -> u64 {
    let (d, ns) = namespace();
    let sec = MappingOptions::new()
        .name("sec")
        .namespace(&ns)
        .size(4096)
        .create()
        .unwrap();
    let v = sec.map_view(Access::WRITE, ..).unwrap();
    // Created free (mutex) or available once (semaphore of maximum 1, set auto-reset event):
    // used as a lock, or as a turn signal.
    let _obj: Box<dyn std::any::Any> = match kind {
        "mutex" => Box::new(Mutex::create_in(&ns, Some("obj"), false).unwrap()),
        "semaphore" => Box::new(Semaphore::create_in(&ns, Some("obj"), 1, 1).unwrap()),
        _ => Box::new(Event::create_in(&ns, Some("obj"), false, true).unwrap()),
    };
    let file = object_file(&ns, "obj");
    let mut procs: Vec<Proc> = (1..=2u32)
        .map(|me| {
            Proc::spawn(
                CHILD_ENV,
                d.path(),
                "alternate",
                &env(&[
                    ("FMAP_ME", &me),
                    ("FMAP_N", &ALTERNATIONS),
                    ("FMAP_KIND", &kind),
                    ("FMAP_OBJFILE", &file.display()),
                    ("FMAP_SPIN_US", &spin_us),
                ]),
            )
        })
        .collect();
    for p in &mut procs {
        p.expect("FMAP:READY");
    }
    for p in &mut procs {
        p.send("GO");
    }
    for p in &mut procs {
        // A hang guard only: each wait inside has its own (`guarded`), and the rounds are slow
        // on a loaded machine (every release first waits to see the other process waiting).
        p.expect_within("FMAP:DONE", Duration::from_secs(600));
        p.wait_success();
    }
    let retakes = word(&v, W_RETAKES).load(SeqCst);
    eprintln!(
        "{kind}, spin {spin_us} µs: {} + {} iterations, {retakes} taken back by the releaser",
        word(&v, W_DONE + 1).load(SeqCst),
        word(&v, W_DONE + 2).load(SeqCst)
    );
    assert_eq!(word(&v, W_DONE + 1).load(SeqCst), ALTERNATIONS);
    assert_eq!(word(&v, W_DONE + 2).load(SeqCst), ALTERNATIONS);
    retakes
}

/// `WaitForSingleObject(m); work; ReleaseMutex(m)` in two processes, the waiter asleep in the
/// kernel: they alternate strictly.
#[test]
fn mutex_alternates_strictly_between_two_processes() {
    fmap::set_handoff(true);
    assert_eq!(alternate("mutex", 0), 0);
}

/// The same with the default adaptive spin: the waiter is usually still spinning (queued, not
/// asleep) when the holder releases.
#[test]
fn mutex_alternates_strictly_with_spinning_waiters() {
    fmap::set_handoff(true);
    assert_eq!(alternate("mutex", 20), 0);
}

/// A semaphore of maximum 1 used as a lock: `ReleaseSemaphore` hands the unit to the waiter.
#[test]
fn semaphore_alternates_strictly_between_two_processes() {
    fmap::set_handoff(true);
    assert_eq!(alternate("semaphore", 0), 0);
}

#[test]
fn semaphore_alternates_strictly_with_spinning_waiters() {
    fmap::set_handoff(true);
    assert_eq!(alternate("semaphore", 20), 0);
}

/// An auto-reset event used as a turn signal: `SetEvent` with a waiter present releases that
/// waiter, never the setter's own next wait.
#[test]
fn auto_reset_event_turn_signal_alternates_strictly() {
    fmap::set_handoff(true);
    assert_eq!(alternate("event", 0), 0);
}

#[test]
fn auto_reset_event_turn_signal_alternates_strictly_with_spinning_waiters() {
    fmap::set_handoff(true);
    assert_eq!(alternate("event", 20), 0);
}

// ------------------------------------------------------------------------------------------
// The releaser waits again at once
// ------------------------------------------------------------------------------------------

/// Waits for the object `FMAP_N` times by `FMAP_HOW` (`one`: `wait_one`; `any`: `wait_any`
/// over a never-signaled event and the object; `all`: `wait_all` over the object and a
/// manual-reset event that stays set), counting each success in word 0 of "sec" (after its
/// own count, a mutex or a semaphore unit is released at once).
fn role_waiter() -> R {
    let n = num("FMAP_N");
    let how = var("FMAP_HOW");
    let obj = Obj::open(&var("FMAP_KIND"))?;
    let never = Event::open("never", fmap::SyncAccess::SYNCHRONIZE).ctx("open never")?;
    let always = Event::open("always", fmap::SyncAccess::SYNCHRONIZE).ctx("open always")?;
    let (_sec, v) = open_sec()?;
    word(&v, 1).store(tid() as u64, SeqCst);
    let file = std::path::PathBuf::from(var("FMAP_OBJFILE"));
    report("READY");
    read_stdin_line();
    let (ptid, ppid) = (
        word(&v, 2).load(SeqCst) as i32,
        word(&v, 3).load(SeqCst) as u32,
    );
    for k in 0..n {
        let o = obj.waitable();
        let r = match how.as_str() {
            "one" => guarded("wait_one", |t| wait_one(o, t))?,
            "any" => guarded("wait_any", |t| wait_any(&[&never, o], t))?,
            _ => guarded("wait_all", |t| wait_all(&[o, &always], t))?,
        };
        let want = if how == "any" { 1 } else { 0 };
        check!(r == WaitResult::Signaled(want), "{how}: {r:?}");
        word(&v, 0).fetch_add(1, SeqCst);
        if !matches!(obj, Obj::E(_)) {
            // Released to the parent once it waits again (unless this was the last round).
            if k + 1 < n {
                wait_until(&format!("round {k}: the parent waits again"), || {
                    present(&file, ppid, ptid)
                })?;
            }
            obj.release()?;
        }
    }
    report("DONE");
    Ok(())
}

/// The parent holds the object, waits until the child is present in its wait, releases it,
/// and at once waits for it again: in every round the child must have had it first. For the
/// event (`SetEvent` then `WaitForSingleObject(e, 0)`, Windows' own probe) the poll must time
/// out. Returns the rounds the releaser won.
fn releaser_waits_again(kind: &str, how: &str) -> u64 {
    let (d, ns) = namespace();
    let sec = MappingOptions::new()
        .name("sec")
        .namespace(&ns)
        .size(4096)
        .create()
        .unwrap();
    let v = sec.map_view(Access::WRITE, ..).unwrap();
    let _never = Event::create_in(&ns, Some("never"), true, false).unwrap();
    let _always = Event::create_in(&ns, Some("always"), true, true).unwrap();
    let obj: Obj = match kind {
        "mutex" => Obj::M(Mutex::create_in(&ns, Some("obj"), true).unwrap()),
        "semaphore" => Obj::S(Semaphore::create_in(&ns, Some("obj"), 0, 1).unwrap()),
        _ => Obj::E(Event::create_in(&ns, Some("obj"), false, false).unwrap()),
    };
    let file = object_file(&ns, "obj");
    fmap::set_spin(Duration::ZERO);
    word(&v, 2).store(tid() as u64, SeqCst);
    word(&v, 3).store(u64::from(std::process::id()), SeqCst);
    let mut child = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "waiter",
        &env(&[
            ("FMAP_N", &ROUNDS),
            ("FMAP_KIND", &kind),
            ("FMAP_HOW", &how),
            ("FMAP_OBJFILE", &file.display()),
        ]),
    );
    child.expect("FMAP:READY");
    let ctid = word(&v, 1).load(SeqCst) as i32;
    let cpid = child.pid();
    child.send("GO");
    let mut won = 0;
    for k in 0..ROUNDS {
        // We hold the object (the mutex, or the semaphore's and event's only signal is ours
        // to give); the child is about to wait, or waits.
        let start = Instant::now();
        while !present(&file, cpid, ctid) {
            assert!(
                start.elapsed() < GUARD_D,
                "round {k}: the child never waited"
            );
            std::thread::yield_now();
        }
        obj.release().unwrap();
        match &obj {
            Obj::E(e) => {
                if e.wait(Z).unwrap() != WaitResult::TimedOut {
                    won += 1;
                    // Taken back: give it to the child after all.
                    e.set().unwrap();
                }
            }
            _ => {
                let r = wait_one(obj.waitable(), Some(GUARD_D)).unwrap();
                assert_eq!(r, WaitResult::Signaled(0), "round {k}");
                if word(&v, 0).load(SeqCst) < k + 1 {
                    won += 1;
                    // Taken back: give it to the child after all.
                    obj.release().unwrap();
                    let r = wait_one(obj.waitable(), Some(GUARD_D)).unwrap();
                    assert_eq!(r, WaitResult::Signaled(0), "round {k}");
                }
            }
        }
        // The child had it (for the event: it was released by our set).
        let start = Instant::now();
        while word(&v, 0).load(SeqCst) < k + 1 {
            assert!(
                start.elapsed() < GUARD_D,
                "round {k}: the child never got it"
            );
            std::thread::yield_now();
        }
    }
    child.expect("FMAP:DONE");
    child.wait_success();
    eprintln!("{kind} ({how} waiter): the releaser won {won} of {ROUNDS} rounds");
    won
}

#[test]
fn releaser_never_wins_against_a_present_waiter_mutex() {
    fmap::set_handoff(true);
    for how in ["one", "any", "all"] {
        assert_eq!(releaser_waits_again("mutex", how), 0, "{how}");
    }
}

#[test]
fn releaser_never_wins_against_a_present_waiter_semaphore() {
    fmap::set_handoff(true);
    for how in ["one", "any", "all"] {
        assert_eq!(releaser_waits_again("semaphore", how), 0, "{how}");
    }
}

#[test]
fn releaser_never_wins_against_a_present_waiter_event() {
    fmap::set_handoff(true);
    for how in ["one", "any", "all"] {
        assert_eq!(releaser_waits_again("event", how), 0, "{how}");
    }
}

// ------------------------------------------------------------------------------------------
// A waiter killed while the object is handed to it
// ------------------------------------------------------------------------------------------

/// Waits on the object once (`wait_one`), after reporting its thread id; it is stopped and killed
/// before it can run with what it is handed.
fn role_stop_me() -> R {
    let obj = Obj::open(&var("FMAP_KIND"))?;
    report(&format!("TID {}", tid()));
    read_stdin_line();
    let r = guarded("wait", |t| wait_one(obj.waitable(), t))?;
    // Only reached if the kill came too late, which the parent rules out.
    Err(format!("the wait returned {r:?} in a stopped process"))
}

/// A waiter is stopped (`SIGSTOP`) asleep in its wait; the parent releases the object, which
/// is handed to the stopped waiter; the waiter is killed. Returns the parent's next wait
/// result and what a second waiter (in this process) sees.
fn killed_while_handed(kind: &str) -> (WaitResult, WaitResult) {
    let (d, ns) = namespace();
    let obj: Obj = match kind {
        "mutex" => Obj::M(Mutex::create_in(&ns, Some("obj"), true).unwrap()),
        "semaphore" => Obj::S(Semaphore::create_in(&ns, Some("obj"), 0, 1).unwrap()),
        _ => Obj::E(Event::create_in(&ns, Some("obj"), false, false).unwrap()),
    };
    fmap::set_spin(Duration::ZERO);
    let mut child = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "stop_me",
        &env(&[("FMAP_KIND", &kind)]),
    );
    let ctid: i32 = child.expect("FMAP:TID").parse().unwrap();
    child.send("GO");
    let start = Instant::now();
    while !asleep_in_wait(child.pid(), ctid) {
        assert!(
            start.elapsed() < GUARD_D,
            "the child never went to sleep in its wait"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let pid = child.pid() as libc::pid_t;
    // SAFETY: plain signal and wait calls on our own child.
    unsafe {
        libc::kill(pid, libc::SIGSTOP);
        let mut status = 0;
        libc::waitpid(pid, &mut status, libc::WUNTRACED);
    }
    // Handed to the stopped waiter (with hand-off; without, simply released).
    obj.release().unwrap();
    child.kill_running();
    // Nothing is lost and nothing hangs: the mutex is abandoned (the dead waiter had it) and
    // acquirable, the unit or the signal is back.
    let first = wait_one(obj.waitable(), Some(GUARD_D)).unwrap();
    if let Obj::M(m) = &obj {
        m.release().unwrap();
    } else {
        obj.release().unwrap();
    }
    let second = wait_one(obj.waitable(), Some(GUARD_D)).unwrap();
    if let Obj::M(m) = &obj {
        m.release().unwrap();
    }
    (first, second)
}

/// The mutex was handed to the waiter when it was killed: the waiter owned it, so it is
/// abandoned — reported once, to the next owner — and then acquirable as usual.
#[test]
fn mutex_handed_to_a_killed_waiter_is_abandoned_once() {
    fmap::set_handoff(true);
    assert_eq!(
        killed_while_handed("mutex"),
        (WaitResult::Abandoned(0), WaitResult::Signaled(0))
    );
}

/// A semaphore unit handed to a waiter that is killed before it runs goes back to the count
/// (fmap's choice; Windows would count it as consumed): nothing is lost.
#[test]
fn semaphore_unit_handed_to_a_killed_waiter_is_not_lost() {
    fmap::set_handoff(true);
    assert_eq!(
        killed_while_handed("semaphore"),
        (WaitResult::Signaled(0), WaitResult::Signaled(0))
    );
}

/// Likewise an auto-reset event's signal goes back to the event.
#[test]
fn event_signal_handed_to_a_killed_waiter_is_not_lost() {
    fmap::set_handoff(true);
    assert_eq!(
        killed_while_handed("event"),
        (WaitResult::Signaled(0), WaitResult::Signaled(0))
    );
}

/// A waiter that is queued on a mutex and killed (nothing handed to it) changes nothing: the
/// next release goes to whoever waits next, and a release with only the dead waiter queued
/// leaves the mutex free.
#[test]
fn killed_queued_waiter_does_not_keep_a_mutex() {
    fmap::set_handoff(true);
    let (d, ns) = namespace();
    let m = Mutex::create_in(&ns, Some("obj"), true).unwrap();
    let file = object_file(&ns, "obj");
    fmap::set_spin(Duration::ZERO);
    let mut child = Proc::spawn(
        CHILD_ENV,
        d.path(),
        "stop_me",
        &env(&[("FMAP_KIND", &"mutex")]),
    );
    let ctid: i32 = child.expect("FMAP:TID").parse().unwrap();
    child.send("GO");
    let start = Instant::now();
    while !present(&file, child.pid(), ctid) {
        assert!(start.elapsed() < GUARD_D, "the child never waited");
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill_running();
    m.release().unwrap();
    assert_eq!(fmap::wait_one(&m, Z).unwrap(), WaitResult::Signaled(0));
    m.release().unwrap();
}
