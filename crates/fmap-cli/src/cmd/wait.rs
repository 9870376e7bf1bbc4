//! `fmap wait`: waits for any or all of up to 64 events, semaphores or mutexes, and gives
//! acquired mutexes back. Library calls: `Namespace::find`, `Event`/`Semaphore`/`Mutex`/
//! `Mapping::open_in`, `fmap::wait_any`, `fmap::wait_all`, `Mutex::release`.

use super::{full_name, named};
use crate::style::safe;
use crate::units::human_duration;
use crate::{WaitArgs, EXIT_ABANDONED, EXIT_OK, EXIT_TIMED_OUT};
use fmap::win32::*;
use fmap::{
    Access, Event, Kind, Mapping, Mutex, Namespace, Result, Semaphore, WaitResult, Waitable,
};

enum Handle {
    Mutex(Mutex),
    Event(Event),
    Semaphore(Semaphore),
    Mapping(Mapping),
}

impl Handle {
    fn waitable(&self) -> &dyn Waitable {
        match self {
            Handle::Mutex(m) => m,
            Handle::Event(e) => e,
            Handle::Semaphore(s) => s,
            Handle::Mapping(m) => m,
        }
    }
}

fn open_waitable(ns: &Namespace, full: &str) -> Result<Handle> {
    let info = ns.find(full)?;
    let named = named(full);
    Ok(match info.kind {
        Kind::Mutex => Handle::Mutex(Mutex::open_in(ns, full, SYNCHRONIZE).map_err(named)?),
        Kind::Event => Handle::Event(Event::open_in(ns, full, SYNCHRONIZE).map_err(named)?),
        Kind::Semaphore => {
            Handle::Semaphore(Semaphore::open_in(ns, full, SYNCHRONIZE).map_err(named)?)
        }
        // The library refuses to wait on it, with the Win32 reason.
        Kind::Mapping => Handle::Mapping(Mapping::open_in(ns, full, Access::READ).map_err(named)?),
    })
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
    let objs: Vec<&dyn Waitable> = handles.iter().map(|h| h.waitable()).collect();
    let r = if a.all {
        fmap::wait_all(&objs, a.timeout.0)?
    } else {
        fmap::wait_any(&objs, a.timeout.0)?
    };
    // Mutexes were only waited for: give them back.
    let release = |i: usize| {
        if let Handle::Mutex(m) = &handles[i] {
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

fn acquired_note(h: &Handle) -> &'static str {
    match h {
        Handle::Mutex(_) => " (the mutex was acquired and released)",
        Handle::Semaphore(_) => " (took one from its count)",
        Handle::Event(e) if e.is_manual_reset().unwrap_or(true) => "",
        Handle::Event(_) => " (auto-reset: the wait reset it)",
        Handle::Mapping(_) => "",
    }
}

fn describe_all(names: &[String], handles: &[Handle]) -> String {
    names
        .iter()
        .zip(handles)
        .map(|(n, h)| format!("{}{}", safe(n), acquired_note(h)))
        .collect::<Vec<_>>()
        .join(", ")
}
