//! `fmap create mapping|event|mutex|semaphore`: creates (or opens) a named object, announces
//! it, holds it until Ctrl-C or `--exit-after`, and says what closing it left behind. Library
//! calls: `MappingOptions::create`, `File::open`, `Event`/`Mutex`/`Semaphore::create_in`,
//! `Namespace::find`, `fmap::holders`.

use super::{full_name, named};
use crate::style::{self, safe};
use crate::units::{human_duration, human_size};
use crate::{CreateCmd, HoldArgs, EXIT_OK};
use fmap::win32::*;
use fmap::{
    Disposition, Error, ErrorKind, Event, File, MappingOptions, Mutex, Namespace, Protection,
    Result, Semaphore,
};
use std::sync::mpsc;

/// A channel that receives once when SIGINT, SIGTERM or SIGHUP arrives.
fn termination() -> Result<mpsc::Receiver<()>> {
    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!("cannot install the Ctrl-C handler: {e}"),
        )
    })?;
    Ok(rx)
}

fn holders_other_than_me(ns: &Namespace, name: &str) -> Option<usize> {
    let info = ns.find(name).ok()?;
    let me = std::process::id();
    Some(
        fmap::holders(&info)
            .iter()
            .filter(|h| h.pid != me && h.has_handle)
            .count(),
    )
}

fn announce(existed: bool, what: &str, name: &str, detail: &str) {
    let (name, detail) = (safe(name), safe(detail));
    if existed {
        println!(
            "opened existing {what} {} — it already existed (ERROR_ALREADY_EXISTS); {detail}",
            style::BOLD.paint(name)
        );
    } else {
        println!("created {what} {}: {detail}", style::BOLD.paint(name));
    }
}

fn hold(name: &str, hold: HoldArgs) -> Result<()> {
    let rx = termination()?;
    let name = safe(name);
    match hold.exit_after {
        Some(d) => println!(
            "holding it open as pid {} for {}; Ctrl-C closes it sooner",
            std::process::id(),
            human_duration(d)
        ),
        None => println!(
            "holding {name} open as pid {}; press Ctrl-C to close it and exit",
            std::process::id()
        ),
    }
    match hold.exit_after {
        Some(d) => {
            let _ = rx.recv_timeout(d);
        }
        None => {
            let _ = rx.recv();
        }
    }
    Ok(())
}

fn farewell(ns: &Namespace, name: &str) {
    let shown = safe(name);
    match ns.find(name) {
        Err(e) if e.kind() == ErrorKind::FileNotFound => {
            println!("closed {shown}; no handle is left anywhere, so the name is gone")
        }
        Ok(_) => {
            let others = holders_other_than_me(ns, name).unwrap_or(0);
            println!(
                "closed our handle; {shown} stays alive while {others} other process(es) hold it"
            )
        }
        Err(_) => println!("closed {shown}"),
    }
}

pub fn run(c: CreateCmd) -> Result<u8> {
    let ns = Namespace::default();
    match c {
        CreateCmd::Mapping {
            name,
            size,
            file,
            readonly,
            hold: h,
        } => {
            let full = full_name(&name)?;
            if file.is_none() && size.is_none() {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    format!(
                        "a memory-backed mapping needs a size: fmap create mapping {name} --size 4MiB"
                    ),
                ));
            }
            let prot = if readonly {
                Protection::ReadOnly
            } else {
                Protection::ReadWrite
            };
            let backing = match &file {
                Some(p) => {
                    let (access, disp) = if readonly {
                        (GENERIC_READ, Disposition::OpenExisting)
                    } else {
                        (GENERIC_READ | GENERIC_WRITE, Disposition::OpenAlways)
                    };
                    Some(File::open(
                        p,
                        access,
                        FILE_SHARE_READ | FILE_SHARE_WRITE,
                        disp,
                    )?)
                }
                None => None,
            };
            let mut opts = MappingOptions::new()
                .namespace(&ns)
                .name(&full)
                .protection(prot)
                .size(size.unwrap_or(0));
            if let Some((f, _)) = &backing {
                opts = opts.file(f);
            }
            let m = opts.create().map_err(named(&full))?;
            let backed = match (&backing, m.file_path()) {
                (Some((_, existed)), Some(p)) => format!(
                    "file {} ({})",
                    p.display(),
                    if *existed {
                        "existing file"
                    } else {
                        "new file"
                    }
                ),
                _ => "memory-backed".to_owned(),
            };
            let detail = format!(
                "{} ({} bytes), {}, {backed}",
                human_size(m.size()),
                m.size(),
                m.protection()
            );
            if m.already_existed() {
                announce(
                    true,
                    "mapping",
                    &full,
                    &format!("kept as it is: {detail}; --size and --readonly are ignored"),
                );
            } else {
                announce(false, "mapping", &full, &detail);
            }
            hold(&full, h)?;
            drop(m);
            drop(backing);
            farewell(&ns, &full);
        }
        CreateCmd::Event {
            name,
            manual_reset,
            signaled,
            hold: h,
        } => {
            let full = full_name(&name)?;
            let e =
                Event::create_in(&ns, Some(&full), manual_reset, signaled).map_err(named(&full))?;
            let detail = format!(
                "{}-reset, {}",
                if e.is_manual_reset()? {
                    "manual"
                } else {
                    "auto"
                },
                if e.is_set()? {
                    "signaled"
                } else {
                    "not signaled"
                }
            );
            announce(e.already_existed(), "event", &full, &detail);
            hold(&full, h)?;
            drop(e);
            farewell(&ns, &full);
        }
        CreateCmd::Mutex {
            name,
            owned,
            hold: h,
        } => {
            let full = full_name(&name)?;
            let m = Mutex::create_in(&ns, Some(&full), owned).map_err(named(&full))?;
            let mine = m.is_owned_by_current_thread()?;
            let detail = if mine {
                "owned by this process until it exits".to_owned()
            } else {
                match ns.find(&full).map(|i| i.state) {
                    Ok(fmap::ObjectState::Mutex {
                        owner: Some((pid, tid)),
                        ..
                    }) => format!("owned by pid {pid} tid {tid}"),
                    _ => "free".to_owned(),
                }
            };
            announce(m.already_existed(), "mutex", &full, &detail);
            if owned && m.already_existed() && !mine {
                println!("(--owned is ignored for an existing mutex, as bInitialOwner is on Windows; use `fmap wait {}` to take it)", safe(&full));
            }
            hold(&full, h)?;
            if mine {
                let _ = m.release();
            }
            drop(m);
            farewell(&ns, &full);
        }
        CreateCmd::Semaphore {
            name,
            initial,
            max,
            hold: h,
        } => {
            let full = full_name(&name)?;
            let s = Semaphore::create_in(&ns, Some(&full), initial, max).map_err(named(&full))?;
            let (count, maximum) = s.count()?;
            announce(
                s.already_existed(),
                "semaphore",
                &full,
                &format!("count {count} of {maximum}"),
            );
            hold(&full, h)?;
            drop(s);
            farewell(&ns, &full);
        }
    }
    Ok(EXIT_OK)
}
