//! `fmap gc`: removes objects whose every holder died and reports what was freed. Library
//! call: `Namespace::sweep`.

use crate::style::{safe, safe_path};
use crate::units::human_size;
use crate::{EXIT_FAILED, EXIT_OK};
use fmap::{Namespace, Result};

pub fn run() -> Result<u8> {
    let ns = Namespace::default();
    let r = ns.sweep()?;
    if r.removed.is_empty() {
        println!("nothing removed from {}", safe_path(ns.root()));
    } else {
        println!(
            "removed {} stale object(s), freed {} of memory (sections declared {} in all):",
            r.removed.len(),
            human_size(r.bytes_freed),
            human_size(r.declared_bytes)
        );
        for n in &r.removed {
            println!("  {}", safe(n));
        }
    }
    println!("{} object(s) have a live holder", r.alive);
    if !r.busy.is_empty() {
        println!(
            "{} object(s) skipped: their bucket lock was held by another process (run gc again; \
             a process that stays stopped or another user may hold it)",
            r.busy.len()
        );
        for f in &r.busy {
            println!("  {}", safe(f));
        }
    }
    if !r.failed.is_empty() {
        println!(
            "{} object(s) could not be examined or removed:",
            r.failed.len()
        );
        for (f, e) in &r.failed {
            println!("  {}: {}", safe(f), safe(&e.to_string()));
        }
        return Ok(EXIT_FAILED);
    }
    Ok(EXIT_OK)
}
