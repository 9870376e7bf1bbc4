//! `fmap signal`, `fmap reset`, `fmap pulse`: set, reset or pulse an event. Library calls:
//! `Event::open_in`, `Event::set`/`reset`/`pulse`, `Event::is_manual_reset`, `Event::is_set`.

use super::{full_name, named};
use crate::style::safe;
use crate::{NameArg, EXIT_OK};
use fmap::{Event, Namespace, Result};

#[derive(Debug, Clone, Copy)]
pub enum EventOp {
    Set,
    Reset,
    Pulse,
}

pub fn run(a: NameArg, op: EventOp) -> Result<u8> {
    let full = full_name(&a.name)?;
    let ns = Namespace::default();
    let e = Event::open_in(
        &ns,
        &full,
        fmap::SyncAccess::MODIFY_STATE | fmap::SyncAccess::SYNCHRONIZE,
    )
    .map_err(named(&full))?;
    let shown = safe(&full);
    let reset = if e.is_manual_reset()? {
        "manual-reset"
    } else {
        "auto-reset"
    };
    match op {
        EventOp::Set => {
            e.set().map_err(named(&full))?;
            let now = if e.is_set()? {
                "it is signaled now"
            } else {
                "a waiter took the signal at once"
            };
            println!("signaled {shown} ({reset} event; {now})");
        }
        EventOp::Reset => {
            e.reset().map_err(named(&full))?;
            println!("reset {shown} ({reset} event; not signaled now)");
        }
        EventOp::Pulse => {
            e.pulse().map_err(named(&full))?;
            println!(
                "pulsed {shown} ({reset} event): released {} waiting at this moment; not signaled now",
                if reset == "manual-reset" {
                    "every thread"
                } else {
                    "one thread"
                }
            );
        }
    }
    Ok(EXIT_OK)
}
