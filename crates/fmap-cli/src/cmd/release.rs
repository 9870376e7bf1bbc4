//! `fmap release`: releases a semaphore. Library calls: `Semaphore::open_in`,
//! `Semaphore::release`, `Semaphore::count`.

use super::{full_name, named};
use crate::style::safe;
use crate::{ReleaseArgs, EXIT_OK};
use fmap::{Namespace, Result, Semaphore};

pub fn run(a: ReleaseArgs) -> Result<u8> {
    let full = full_name(&a.name)?;
    let ns = Namespace::default();
    let s = Semaphore::open_in(
        &ns,
        &full,
        fmap::SyncAccess::MODIFY_STATE | fmap::SyncAccess::SYNCHRONIZE,
    )
    .map_err(named(&full))?;
    let prev = s.release(a.count).map_err(named(&full))?;
    let (_, max) = s.count()?;
    println!(
        "released {} by {}: count {prev} -> {} (maximum {max})",
        safe(&full),
        a.count,
        prev + a.count
    );
    Ok(EXIT_OK)
}
