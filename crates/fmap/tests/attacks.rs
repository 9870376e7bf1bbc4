//! Attacks and hazards found by an outside adversarial suite (issue 11), each reproduced here:
//! races of ordinary usage that crashed or wedged processes, locks another process holds
//! forever, and exhaustion of inodes and descriptors. Every test failed on the code before its
//! fix. Multi-user attacks are in `tests/permissions.rs`; garbage written by peers in
//! `tests/hostile_peer.rs`.

#[macro_use]
mod common;

use common::{namespace_with_prefix, Ctx, Proc, GUARD_D, R};
use fmap::{ErrorKind, Mutex, Namespace, WaitResult};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FMAP_ATTACKS_CHILD";

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run);
}

fn run(role: &str) -> R {
    // Hang guard: no child outlives a stuck parent by long.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        std::process::exit(4);
    });
    match role {
        "owned-create-loop" => owned_create_loop(),
        other => Err(format!("unknown role {other}")),
    }
}

/// `CreateMutex(name, bInitialOwner = TRUE)`, release, close, in a loop: the creator must own
/// what it created, an opener must be able to take it (never a mutex stuck with no owner), and
/// nothing may crash.
fn owned_create_loop() -> R {
    let ns = Namespace::default();
    let secs: f64 = common::var("SECS").parse().unwrap_or(3.0);
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let (mut created, mut opened) = (0u64, 0u64);
    while Instant::now() < until {
        let m = Mutex::create_in(&ns, Some("race"), true).ctx("CreateMutex")?;
        if m.already_existed() {
            opened += 1;
            // Not initially owned: wait for it like any opener. A mutex left stuck by a
            // crashed or confused creator would time out here.
            match m.wait(Some(GUARD_D)).ctx("wait")? {
                WaitResult::Signaled(_) => {}
                WaitResult::Abandoned(_) => {
                    return Err("a mutex nobody died holding was reported abandoned".into())
                }
                WaitResult::TimedOut => {
                    return Err(format!("the mutex stayed unavailable for {GUARD_D:?}"))
                }
            }
        } else {
            created += 1;
            check!(
                m.is_owned_by_current_thread().ctx("owned?")?,
                "the creator of an initially owned mutex does not own it"
            );
        }
        m.release().ctx("ReleaseMutex")?;
        drop(m);
    }
    common::report(&format!("DONE {created} {opened}"));
    Ok(())
}

/// Issue 11, item 2: four processes racing `CreateMutex(name, TRUE)` / release / close. Before
/// the fix the creator locked the mutex inside an unpublished page that a lost publish race
/// then unmapped while the lock was on the thread's robust list: processes died of `SIGSEGV`
/// in `pthread_mutex_unlock`, and the mutex was left stuck.
#[test]
fn create_mutex_initially_owned_race() {
    let (dir, _ns) = namespace_with_prefix("fmap-attack-owned-");
    let secs = std::env::var("FMAP_RACE_SECS").unwrap_or_else(|_| "4".into());
    let mut procs: Vec<Proc> = (0..4)
        .map(|_| {
            Proc::spawn(
                CHILD_ENV,
                dir.path(),
                "owned-create-loop",
                &[("SECS", secs.clone())],
            )
        })
        .collect();
    let mut total = (0u64, 0u64);
    for p in &mut procs {
        let done = p.expect("FMAP:DONE");
        let mut it = done.split_whitespace().map(|s| s.parse::<u64>().unwrap());
        total.0 += it.next().unwrap();
        total.1 += it.next().unwrap();
        p.wait_success();
    }
    eprintln!(
        "create_mutex_initially_owned_race: {} creations, {} opens",
        total.0, total.1
    );
    assert!(total.0 > 0 && total.1 > 0, "the processes did not race");
    // Nothing is left behind.
    let ns = Namespace::at(dir.path());
    assert_eq!(ns.find("race").unwrap_err().kind(), ErrorKind::FileNotFound);
}
