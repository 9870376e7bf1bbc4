//! Named semaphores (`CreateSemaphore`, `OpenSemaphore`, `ReleaseSemaphore`): a count in
//! `[0, maximum]`; each satisfied wait takes one; any thread or process may release.

use crate::error::{bail, Result};
use crate::namespace::Namespace;
use crate::object::Kind;
use crate::sync::{self, Page, StateGuard, WaitResult, OFF_A, OFF_B};
use crate::syncobj::{sync_handle_type, SyncHandle};
use crate::win32::SEMAPHORE_MODIFY_STATE;
use std::sync::atomic::Ordering::*;
use std::time::Duration;

/// One handle to a semaphore.
#[derive(Debug)]
pub struct Semaphore {
    h: SyncHandle,
}

sync_handle_type!(Semaphore, Kind::Semaphore, "OpenSemaphore");

impl Semaphore {
    /// `CreateSemaphore` in the default namespace. `maximum` must be > 0 and
    /// `0 <= initial <= maximum` (else `ERROR_INVALID_PARAMETER`, even if the name exists). If
    /// the name exists the counts are ignored and
    /// [`already_existed`](Semaphore::already_existed) is true.
    pub fn create(name: Option<&str>, initial: i32, maximum: i32) -> Result<Semaphore> {
        Semaphore::create_in(&Namespace::default(), name, initial, maximum)
    }

    /// `CreateSemaphore` in `ns`.
    pub fn create_in(
        ns: &Namespace,
        name: Option<&str>,
        initial: i32,
        maximum: i32,
    ) -> Result<Semaphore> {
        if maximum <= 0 || initial < 0 || initial > maximum {
            bail!(
                InvalidParameter,
                "a semaphore needs maximum > 0 and 0 <= initial <= maximum (got initial {initial}, maximum {maximum})"
            );
        }
        let h = SyncHandle::create(ns, Kind::Semaphore, name, &|page: &Page| {
            page.u32(OFF_A).store(initial as u32, Relaxed);
            page.u32(OFF_B).store(maximum as u32, Relaxed);
            Ok(())
        })?;
        Ok(Semaphore { h })
    }

    /// The current count and the maximum (a snapshot).
    pub fn count(&self) -> Result<(i32, i32)> {
        let page = self.h.page()?;
        Ok((
            page.u32(OFF_A).load(SeqCst) as i32,
            page.u32(OFF_B).load(Relaxed) as i32,
        ))
    }

    /// `ReleaseSemaphore`: adds `n` (> 0) and returns the previous count. A release past the
    /// maximum fails with `ERROR_TOO_MANY_POSTS` and changes nothing.
    pub fn release(&self, n: i32) -> Result<i32> {
        if n <= 0 {
            bail!(
                InvalidParameter,
                "the release count must be positive, not {n}"
            );
        }
        self.h
            .require(SEMAPHORE_MODIFY_STATE, "release the semaphore")?;
        let page = self.h.page()?;
        let prev;
        {
            let _g = StateGuard::lock(page)?;
            sync::check_state(sync::SyncKind::Semaphore, page)?;
            let count = page.u32(OFF_A);
            prev = count.load(Relaxed) as i32;
            let max = page.u32(OFF_B).load(Relaxed) as i32;
            if n > max - prev {
                bail!(
                    TooManyPosts,
                    "releasing {n} would raise the count from {prev} past its maximum {max}"
                );
            }
            count.store((prev + n) as u32, Relaxed);
            page.seq().fetch_add(1, SeqCst);
        }
        if page.u32(sync::OFF_NWAITERS).load(SeqCst) != 0 {
            crate::futex::wake_all(page.seq());
        }
        Ok(prev)
    }

    /// `WaitForSingleObject`: takes one unit of the count.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<WaitResult> {
        sync::wait_one(self, timeout)
    }
}
