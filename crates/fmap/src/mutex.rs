//! Named mutexes (`CreateMutex`, `OpenMutex`, `ReleaseMutex`): owned by a thread, recursive,
//! and abandoned — reported to the next owner — when the owning thread exits or its process
//! dies, including by `SIGKILL`. See [`crate::sync`] for how.

use crate::error::Result;
use crate::namespace::Namespace;
use crate::object::Kind;
use crate::sync::{self, WaitResult};
use crate::syncobj::{sync_handle_type, SyncHandle};
use std::marker::PhantomData;
use std::time::Duration;

/// One handle to a named (or unnamed) mutex.
#[derive(Debug)]
pub struct Mutex {
    h: SyncHandle,
}

sync_handle_type!(Mutex, Kind::Mutex, "OpenMutex");

/// Proof that the current thread owns a mutex; releases it when dropped. Not `Send`: a mutex
/// must be released by the thread that acquired it, so the compiler refuses to move the guard
/// to another thread:
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<fmap::MutexGuard<'static>>();
/// ```
#[derive(Debug)]
pub struct MutexGuard<'a> {
    mutex: &'a Mutex,
    abandoned: bool,
    _not_send: PhantomData<*const ()>,
}

impl Mutex {
    /// `CreateMutex` in the default namespace: creates the mutex, or opens it if the name exists
    /// (then `initial_owner` is ignored and [`already_existed`](Mutex::already_existed) is
    /// true). `None` or `""` creates an unnamed mutex.
    pub fn create(name: Option<&str>, initial_owner: bool) -> Result<Mutex> {
        Mutex::create_in(&Namespace::default(), name, initial_owner)
    }

    /// `CreateMutex` in `ns`.
    pub fn create_in(ns: &Namespace, name: Option<&str>, initial_owner: bool) -> Result<Mutex> {
        // Ownership is taken once the mutex has its name and before anyone else can open it
        // (never in the private page of an object that may lose the race to publish).
        let claim = |page: &sync::Page| match sync::try_mutex(page)? {
            sync::TryOutcome::Got => Ok(()),
            r => Err(crate::error::Error::new(
                crate::ErrorKind::InvalidData,
                format!("a new mutex could not be taken by its creator ({r:?})"),
            )),
        };
        let h = SyncHandle::create(
            ns,
            Kind::Mutex,
            name,
            &|_| Ok(()),
            initial_owner.then_some(&claim as &dyn Fn(&sync::Page) -> Result<()>),
        )?;
        Ok(Mutex { h })
    }

    /// Waits (forever) until this thread owns the mutex.
    #[inline]
    pub fn lock(&self) -> Result<MutexGuard<'_>> {
        Ok(self
            .lock_timeout(None)?
            .expect("an infinite wait does not time out"))
    }

    /// Takes the mutex if it is free (or owned by this thread), without waiting.
    #[inline]
    pub fn try_lock(&self) -> Result<Option<MutexGuard<'_>>> {
        let t = self.h.target()?;
        Ok(match sync::try_mutex(t.page)? {
            sync::TryOutcome::No => None,
            r => Some(MutexGuard {
                mutex: self,
                abandoned: r == sync::TryOutcome::Abandoned,
                _not_send: PhantomData,
            }),
        })
    }

    /// Waits up to `timeout` (`None`: forever) for the mutex; `Ok(None)` if it timed out.
    #[inline]
    pub fn lock_timeout(&self, timeout: Option<Duration>) -> Result<Option<MutexGuard<'_>>> {
        // `wait` tries once without waiting first, with the timeout's bound on the state lock.
        Ok(match self.wait(timeout)? {
            WaitResult::Signaled(_) => Some(MutexGuard {
                mutex: self,
                abandoned: false,
                _not_send: PhantomData,
            }),
            WaitResult::Abandoned(_) => Some(MutexGuard {
                mutex: self,
                abandoned: true,
                _not_send: PhantomData,
            }),
            WaitResult::TimedOut => None,
        })
    }

    /// `WaitForSingleObject`: on success the calling thread owns the mutex (once more) and must
    /// [`release`](Mutex::release) it.
    #[inline]
    pub fn wait(&self, timeout: Option<Duration>) -> Result<WaitResult> {
        // One attempt first, without going through the generic (dynamic) wait.
        // The state lock, if the attempt needs it, is waited for until the timeout at most.
        let t = self.h.target()?;
        match sync::try_mutex_until(t.page, sync::LockUntil::of_timeout(timeout))? {
            None => Ok(WaitResult::TimedOut),
            Some(sync::TryOutcome::Got) => Ok(WaitResult::Signaled(0)),
            Some(sync::TryOutcome::Abandoned) => Ok(WaitResult::Abandoned(0)),
            Some(sync::TryOutcome::No) if timeout == Some(Duration::ZERO) => {
                Ok(WaitResult::TimedOut)
            }
            Some(sync::TryOutcome::No) => sync::wait_one(self, timeout),
        }
    }

    /// `ReleaseMutex`: gives up one level of ownership. `ERROR_NOT_OWNER` if the calling
    /// thread does not own the mutex.
    #[inline]
    pub fn release(&self) -> Result<()> {
        sync::release_mutex(self.h.page()?)
    }

    /// Is the mutex owned by the calling thread?
    pub fn is_owned_by_current_thread(&self) -> Result<bool> {
        Ok(sync::owned_by_me(self.h.page()?))
    }
}

impl MutexGuard<'_> {
    /// Was the mutex abandoned by its previous owner (`WAIT_ABANDONED`)? The data it protects
    /// may be inconsistent.
    pub fn was_abandoned(&self) -> bool {
        self.abandoned
    }
}

impl Drop for MutexGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let _ = self.mutex.release();
    }
}
