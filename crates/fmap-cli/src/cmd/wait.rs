//! `fmap wait`: waits for any or all of up to 64 events, semaphores or mutexes, and gives
//! acquired mutexes back. Library calls: `AnyObject::open_in`,
//! `fmap::wait_any`, `fmap::wait_all`, `Mutex::release`.

use super::{full_name, named};
use crate::style::safe;
use crate::units::human_duration;
use crate::{WaitArgs, EXIT_ABANDONED, EXIT_OK, EXIT_TIMED_OUT};
use fmap::win32::*;
use fmap::{AnyObject, Namespace, Result, WaitResult, Waitable};

fn open_waitable(ns: &Namespace, full: &str) -> Result<AnyObject> {
    // A mapping opens too; the library then refuses the wait with the Win32 reason.
    AnyObject::open_in(ns, full, SYNCHRONIZE).map_err(named(full))
}

pub fn run(a: WaitArgs) -> Result<u8> {
    let ns = Namespace::default();
    let names = a
        .names
        .iter()
        .map(|n| full_name(n))
        .collect::<Result<Vec<_>>>()?;
    let handles = names
        .iter()
        .map(|n| open_waitable(&ns, n))
        .collect::<Result<Vec<_>>>()?;
    let objs: Vec<&dyn Waitable> = handles.iter().map(|h| h as &dyn Waitable).collect();
    let r = if a.all {
        fmap::wait_all(&objs, a.timeout.0)?
    } else {
        fmap::wait_any(&objs, a.timeout.0)?
    };
    // Mutexes were only waited for: give them back.
    let release = |i: usize| {
        if let AnyObject::Mutex(m) = &handles[i] {
            let _ = m.release();
        }
    };
    match r {
        WaitResult::TimedOut => {
            let after = match a.timeout.0 {
                Some(d) => human_duration(d),
                None => "forever".into(),
            };
            println!(
                "timed out after {after} waiting for {} {}; nothing was acquired [WAIT_TIMEOUT]",
                if a.all { "all of" } else { "any of" },
                safe(&names.join(", "))
            );
            Ok(EXIT_TIMED_OUT)
        }
        WaitResult::Signaled(i) => {
            if a.all {
                (0..handles.len()).for_each(release);
                println!(
                    "all signaled: {} [WAIT_OBJECT_0]",
                    describe_all(&names, &handles)
                );
            } else {
                release(i);
                println!(
                    "{}: signaled{} [WAIT_OBJECT_0+{i}]",
                    safe(&names[i]),
                    acquired_note(&handles[i])
                );
            }
            Ok(EXIT_OK)
        }
        WaitResult::Abandoned(i) => {
            if a.all {
                (0..handles.len()).for_each(release);
                println!(
                    "all acquired, but {} was abandoned: its owner died holding it (acquired and released) [WAIT_ABANDONED_0+{i}]",
                    safe(&names[i])
                );
            } else {
                release(i);
                println!(
                    "{}: abandoned: its owner died holding it (acquired and released) [WAIT_ABANDONED_0+{i}]",
                    safe(&names[i])
                );
            }
            Ok(EXIT_ABANDONED)
        }
    }
}

fn acquired_note(h: &AnyObject) -> &'static str {
    match h {
        AnyObject::Mutex(_) => " (the mutex was acquired and released)",
        AnyObject::Semaphore(_) => " (took one from its count)",
        AnyObject::Event(e) if e.is_manual_reset().unwrap_or(true) => "",
        AnyObject::Event(_) => " (auto-reset: the wait reset it)",
        AnyObject::Timer(t) if t.is_manual_reset().unwrap_or(true) => "",
        AnyObject::Timer(_) => " (synchronization timer: the wait reset it)",
        _ => "",
    }
}

fn describe_all(names: &[String], handles: &[AnyObject]) -> String {
    names
        .iter()
        .zip(handles)
        .map(|(n, h)| format!("{}{}", safe(n), acquired_note(h)))
        .collect::<Vec<_>>()
        .join(", ")
}
