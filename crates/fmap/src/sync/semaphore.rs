//! Named semaphores (`CreateSemaphore`, `OpenSemaphore`, `ReleaseSemaphore`): a count in
//! `[0, maximum]`; each satisfied wait takes one; any thread or process may release.

use crate::error::{bail, Result};
use crate::store::header::Kind;
use crate::store::namespace::Namespace;
use crate::sync::handle::{sync_handle_type, SyncHandle};
use crate::sync::{self, Page, WaitResult, OFF_A, OFF_B};
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
        let h = SyncHandle::create(
            ns,
            Kind::Semaphore,
            name,
            &|page: &Page| {
                page.u32(OFF_A).store(initial as u32, Relaxed);
                page.u32(OFF_B).store(maximum as u32, Relaxed);
                Ok(())
            },
            None,
        )?;
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
        // Lock-free: the count only ever grows outside the state lock (every decrement happens
        // under it), so a wait-all that found the count positive under the lock still finds it
        // so when it commits. One compare-exchange, like `sem_post`.
        let count = page.u32(OFF_A);
        let max = page.u32(OFF_B).load(Relaxed) as i32;
        let mut cur = count.load(Relaxed);
        let prev = loop {
            let prev = cur as i32;
            if max <= 0 || !(0..=max).contains(&prev) {
                bail!(
                    InvalidData,
                    "the state of this semaphore is corrupt (another process wrote values no operation produces)"
                );
            }
            if n > max - prev {
                bail!(
                    TooManyPosts,
                    "releasing {n} would raise the count from {prev} past its maximum {max}"
                );
            }
            match count.compare_exchange_weak(cur, (prev + n) as u32, SeqCst, Relaxed) {
                Ok(_) => break prev,
                Err(now) => cur = now,
            }
        };
        // A sleeper registers in `nwaiters` before it looks at the count for the last time
        // (`sync::sleep`), and both sides use `SeqCst`: either we see it here and wake it, or
        // it sees the new count and does not sleep. Spinning waiters watch the count itself.
        if page.u32(sync::OFF_NWAITERS).load(SeqCst) != 0 {
            sync::signal(page);
        }
        Ok(prev)
    }

    /// `WaitForSingleObject`: takes one unit of the count.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<WaitResult> {
        sync::wait_one(self, timeout)
    }
}
