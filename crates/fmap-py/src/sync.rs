//! `fmap.Mutex`, `fmap.Event` and `fmap.Semaphore`: handles to named synchronization objects.

use crate::errors::{already_exists, closed, err};
use crate::wait::{
    acquire_timeout, mutex_label, timeout_of, wait, warn_abandoned, Obj, WaitResult,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// `#[pymethods] impl $ty { ... }` for a handle class (`Mutex`, `Event`, `Semaphore`,
/// `Mapping`): the class's own members, then the ones all of them share — the `name`,
/// `already_existed`, `access` and `closed` getters and `__reduce__` (as the Python class
/// `$class`); with `closes: "doc"`, also `close` (documented by `doc`) and a `with` block that
/// closes the handle. `$what` names the object in the docs, `$rights` the access-bit class.
macro_rules! handle_pymethods {
    (
        $ty:ident: $class:literal, $what:literal, $rights:literal $(, closes: $close_doc:literal)?;
        $($own:tt)*
    ) => {
        #[::pyo3::pymethods]
        impl $ty {
            $($own)*

            #[doc = concat!(
                "The full name (`Local\\...` or `Global\\...`), or None for an unnamed ",
                $what,
                "."
            )]
            #[getter]
            fn name(&self) -> Option<&str> {
                self.name.as_deref()
            }

            #[doc = concat!(
                "Did `create` open an existing ",
                $what,
                " (Win32 `ERROR_ALREADY_EXISTS`)? Always true for `open`."
            )]
            #[getter]
            fn already_existed(&self) -> bool {
                self.existed
            }

            #[doc = concat!("The rights of this handle (`", $rights, "` bits).")]
            #[getter]
            fn access(&self) -> u32 {
                self.access
            }

            /// Is the handle closed?
            #[getter]
            fn closed(&self) -> bool {
                self.h.is_closed()
            }

            $(
                #[doc = $close_doc]
                fn close(&self) {
                    self.h.close();
                }

                fn __enter__(slf: ::pyo3::Py<Self>) -> ::pyo3::Py<Self> {
                    slf
                }

                /// Closes the handle.
                #[pyo3(signature = (*_args))]
                fn __exit__(&self, _args: &::pyo3::Bound<'_, ::pyo3::types::PyTuple>) -> bool {
                    self.close();
                    false
                }
            )?

            fn __reduce__<'py>(
                &self,
                py: ::pyo3::Python<'py>,
            ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyTuple>> {
                $crate::sync::reduce(py, $class, self.name.as_deref(), self.access)
            }
        }
    };
}
pub(crate) use handle_pymethods;

/// One handle: `None` once closed. A wait holds its own reference to the object, so closing
/// the handle while another thread waits on it does not pull the object from under the wait
/// (the object is closed when that wait ends).
pub(crate) struct Handle<T> {
    inner: RwLock<Option<Arc<T>>>,
}

impl<T> Handle<T> {
    pub(crate) fn new(t: T) -> Handle<T> {
        Handle {
            inner: RwLock::new(Some(Arc::new(t))),
        }
    }

    pub(crate) fn get(&self) -> PyResult<Arc<T>> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| closed("handle"))
    }

    pub(crate) fn close(&self) {
        let h = self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
        drop(h);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }
}

/// Refuses an exclusive create that opened an existing object (`FileExistsError`).
pub(crate) fn check_exclusive(
    py: Python<'_>,
    exclusive: bool,
    existed: bool,
    name: Option<&str>,
) -> PyResult<()> {
    if exclusive && existed {
        return Err(already_exists(py, name.unwrap_or("the object")));
    }
    Ok(())
}

/// `(fmap._reopen, (kind, name, access))`: named handles pickle as "open this name again", so
/// they can be passed to other processes (`multiprocessing`); unnamed ones cannot.
pub(crate) fn reduce<'py>(
    py: Python<'py>,
    kind: &str,
    name: Option<&str>,
    access: u32,
) -> PyResult<Bound<'py, PyTuple>> {
    let Some(name) = name else {
        return Err(PyTypeError::new_err(format!(
            "cannot pickle an unnamed fmap.{kind}: only named objects can be opened by another process"
        )));
    };
    let reopen = py.import("fmap")?.getattr("_reopen")?;
    let args = (kind, name, access).into_pyobject(py)?;
    PyTuple::new(py, [reopen, args.into_any()])
}

/// `name` as Python's `repr` shows it (`'Local\\x'`), or `None`.
pub(crate) fn repr_name(py: Python<'_>, name: Option<&str>) -> String {
    match name {
        Some(n) => PyString::new(py, n)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| format!("{n:?}")),
        None => "None".to_owned(),
    }
}

fn repr(py: Python<'_>, kind: &str, name: Option<&str>, closed: bool) -> String {
    let name = repr_name(py, name);
    if closed {
        format!("<fmap.{kind} name={name} closed>")
    } else {
        format!("<fmap.{kind} name={name}>")
    }
}

/// A named (or unnamed) mutex: `CreateMutex` / `OpenMutex`. Owned by a thread, recursive, and
/// *abandoned* when its owner thread or process dies holding it (also by SIGKILL): the next
/// thread to acquire it owns it and is told so (`WaitResult.abandoned`, and an
/// `AbandonedMutexWarning`).
///
/// `with mutex:` acquires and releases it; `close()` (or garbage collection) closes the handle.
#[pyclass(frozen, weakref, module = "fmap")]
pub struct Mutex {
    h: Handle<fmap::Mutex>,
    name: Option<String>,
    existed: bool,
    access: u32,
}

impl Mutex {
    fn wrap(m: fmap::Mutex) -> Mutex {
        Mutex {
            name: m.name().map(str::to_owned),
            existed: m.already_existed(),
            access: m.access().bits(),
            h: Handle::new(m),
        }
    }

    pub(crate) fn handle(&self) -> PyResult<Arc<fmap::Mutex>> {
        self.h.get()
    }

    fn acquire_impl(
        &self,
        py: Python<'_>,
        timeout: Option<Duration>,
        warn: bool,
    ) -> PyResult<WaitResult> {
        let m = self.handle()?;
        let r = wait(py, &[Obj::Mutex(m.clone())], timeout, false)?;
        if warn && matches!(r, fmap::WaitResult::Abandoned(_)) {
            warn_abandoned(py, &mutex_label(&m))?;
        }
        Ok(WaitResult::from_fmap(r))
    }
}

handle_pymethods! {
    Mutex: "Mutex", "mutex", "SyncAccess";

    /// `CreateMutex`: creates the mutex `name` (`"Local\\x"`, `"Global\\x"` or `"x"`; None
    /// for an unnamed one), or opens it if it exists — then `already_existed` is true and
    /// `initial_owner` is ignored. `initial_owner`: the calling thread owns the new mutex.
    /// `exclusive`: raise `FileExistsError` (`fmap.AlreadyExistsError`) instead of opening an
    /// existing mutex. A name used by another type of object raises `fmap.Error`
    /// (`ERROR_INVALID_HANDLE`).
    #[staticmethod]
    #[pyo3(signature = (name = None, *, initial_owner = false, exclusive = false))]
    fn create(
        py: Python<'_>,
        name: Option<String>,
        initial_owner: bool,
        exclusive: bool,
    ) -> PyResult<Mutex> {
        let m = py
            .detach(|| fmap::Mutex::create(name.as_deref(), initial_owner))
            .map_err(err)?;
        check_exclusive(py, exclusive, m.already_existed(), m.name())?;
        Ok(Mutex::wrap(m))
    }

    /// `OpenMutex`: opens the existing mutex `name` with the rights `access` (`SyncAccess`;
    /// default all). `FileNotFoundError` if there is none.
    #[staticmethod]
    #[pyo3(signature = (name, access = fmap::win32::MUTEX_ALL_ACCESS))]
    fn open(py: Python<'_>, name: String, access: u32) -> PyResult<Mutex> {
        let m = py
            .detach(|| fmap::Mutex::open(&name, fmap::SyncAccess::from_bits_retain(access)))
            .map_err(err)?;
        Ok(Mutex::wrap(m))
    }

    /// Waits until the calling thread owns the mutex (recursively, if it owns it already).
    /// `timeout` in seconds, None waits forever; `blocking=False` only tries. Returns a
    /// `WaitResult`: true if acquired, false if it timed out; `.abandoned` if the previous
    /// owner died holding the mutex — which also issues an `AbandonedMutexWarning` unless
    /// `warn_abandoned` is false. The calling thread owns the mutex after an abandoned wait
    /// (also if a warnings filter turns the warning into an exception).
    #[pyo3(signature = (blocking = true, timeout = None, *, warn_abandoned = true))]
    fn acquire(
        &self,
        py: Python<'_>,
        blocking: bool,
        timeout: Option<f64>,
        warn_abandoned: bool,
    ) -> PyResult<WaitResult> {
        let timeout = acquire_timeout(blocking, timeout)?;
        self.acquire_impl(py, timeout, warn_abandoned)
    }

    /// `ReleaseMutex`: gives up one level of ownership. `fmap.Error` (`ERROR_NOT_OWNER`) if
    /// the calling thread does not own the mutex.
    fn release(&self) -> PyResult<()> {
        self.handle()?.release().map_err(err)
    }

    /// Does the calling thread own the mutex?
    #[getter]
    fn owned(&self) -> PyResult<bool> {
        self.handle()?.is_owned_by_current_thread().map_err(err)
    }

    /// `CloseHandle`. The name disappears when the last handle anywhere is closed. Closing does
    /// not release ownership (as on Windows, a mutex owned by a live thread stays owned).
    fn close(&self) {
        self.h.close();
    }

    /// Acquires the mutex (waiting forever; Ctrl-C interrupts) and returns the `WaitResult`.
    /// If a warnings filter turns `AbandonedMutexWarning` into an exception, the mutex is
    /// released again before the exception propagates (the `with` body does not run).
    fn __enter__(&self, py: Python<'_>) -> PyResult<WaitResult> {
        let m = self.handle()?;
        let r = wait(py, &[Obj::Mutex(m.clone())], None, false)?;
        if matches!(r, fmap::WaitResult::Abandoned(_)) {
            if let Err(e) = warn_abandoned(py, &mutex_label(&m)) {
                let _ = m.release();
                return Err(e);
            }
        }
        Ok(WaitResult::from_fmap(r))
    }

    /// Releases the mutex.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.release()?;
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        repr(py, "Mutex", self.name.as_deref(), self.h.is_closed())
    }
}

/// A named (or unnamed) event: `CreateEvent` / `OpenEvent`. Auto-reset (a wait that sees it
/// set resets it: one waiter per `set()`) or manual-reset (stays set until `reset()`).
///
/// `with event:` closes the handle at the end of the block.
#[pyclass(frozen, weakref, module = "fmap")]
pub struct Event {
    h: Handle<fmap::Event>,
    name: Option<String>,
    existed: bool,
    access: u32,
}

impl Event {
    fn wrap(e: fmap::Event) -> Event {
        Event {
            name: e.name().map(str::to_owned),
            existed: e.already_existed(),
            access: e.access().bits(),
            h: Handle::new(e),
        }
    }

    pub(crate) fn handle(&self) -> PyResult<Arc<fmap::Event>> {
        self.h.get()
    }
}

handle_pymethods! {
    Event: "Event", "event", "SyncAccess",
    closes: "`CloseHandle`. The name disappears when the last handle anywhere is closed.";

    /// `CreateEvent`: creates the event `name` (None: unnamed), or opens it if it exists (then
    /// `already_existed` is true and the other arguments are ignored). `manual_reset`: stays
    /// set until `reset()` (else it resets when a wait takes it). `initial_state`: created
    /// set. `exclusive`: raise `FileExistsError` instead of opening an existing event.
    #[staticmethod]
    #[pyo3(signature = (name = None, *, manual_reset = false, initial_state = false, exclusive = false))]
    fn create(
        py: Python<'_>,
        name: Option<String>,
        manual_reset: bool,
        initial_state: bool,
        exclusive: bool,
    ) -> PyResult<Event> {
        let e = py
            .detach(|| fmap::Event::create(name.as_deref(), manual_reset, initial_state))
            .map_err(err)?;
        check_exclusive(py, exclusive, e.already_existed(), e.name())?;
        Ok(Event::wrap(e))
    }

    /// `OpenEvent`: opens the existing event `name` with the rights `access` (default all).
    #[staticmethod]
    #[pyo3(signature = (name, access = fmap::win32::EVENT_ALL_ACCESS))]
    fn open(py: Python<'_>, name: String, access: u32) -> PyResult<Event> {
        let e = py
            .detach(|| fmap::Event::open(&name, fmap::SyncAccess::from_bits_retain(access)))
            .map_err(err)?;
        Ok(Event::wrap(e))
    }

    /// `SetEvent`: sets the event (an auto-reset event wakes one waiter, which resets it).
    fn set(&self) -> PyResult<()> {
        self.handle()?.set().map_err(err)
    }

    /// `ResetEvent`: resets the event.
    fn reset(&self) -> PyResult<()> {
        self.handle()?.reset().map_err(err)
    }

    /// `ResetEvent` (the name `threading.Event` uses).
    fn clear(&self) -> PyResult<()> {
        self.reset()
    }

    /// `PulseEvent`: releases the waiters waiting now (manual-reset: all; auto-reset: one)
    /// and leaves the event reset.
    fn pulse(&self) -> PyResult<()> {
        self.handle()?.pulse().map_err(err)
    }

    /// Is the event set? (Needs `QUERY_STATE` access.)
    fn is_set(&self) -> PyResult<bool> {
        self.handle()?.is_set().map_err(err)
    }

    /// Is it a manual-reset event?
    #[getter]
    fn manual_reset(&self) -> PyResult<bool> {
        self.handle()?.is_manual_reset().map_err(err)
    }

    /// Waits until the event is set (and resets it, if it is auto-reset). `timeout` in
    /// seconds, None waits forever. True if it was set, False if the wait timed out. The GIL
    /// is released while waiting; Ctrl-C interrupts the wait in the main thread.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let timeout = timeout_of(timeout)?;
        let r = wait(py, &[Obj::Event(self.handle()?)], timeout, false)?;
        Ok(r != fmap::WaitResult::TimedOut)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        repr(py, "Event", self.name.as_deref(), self.h.is_closed())
    }
}

/// A named (or unnamed) counting semaphore: `CreateSemaphore` / `OpenSemaphore`.
///
/// `with semaphore:` acquires one unit and releases it at the end of the block.
#[pyclass(frozen, weakref, module = "fmap")]
pub struct Semaphore {
    h: Handle<fmap::Semaphore>,
    name: Option<String>,
    existed: bool,
    access: u32,
}

impl Semaphore {
    fn wrap(s: fmap::Semaphore) -> Semaphore {
        Semaphore {
            name: s.name().map(str::to_owned),
            existed: s.already_existed(),
            access: s.access().bits(),
            h: Handle::new(s),
        }
    }

    pub(crate) fn handle(&self) -> PyResult<Arc<fmap::Semaphore>> {
        self.h.get()
    }
}

handle_pymethods! {
    Semaphore: "Semaphore", "semaphore", "SyncAccess";

    /// `CreateSemaphore`: creates the semaphore `name` (None: unnamed) with `initial` units
    /// and at most `maximum` (default 2**31 - 1), or opens it if it exists (then
    /// `already_existed` is true and the counts are ignored). `exclusive`: raise
    /// `FileExistsError` instead of opening an existing semaphore.
    #[staticmethod]
    #[pyo3(signature = (name = None, initial = 1, maximum = i32::MAX, *, exclusive = false))]
    fn create(
        py: Python<'_>,
        name: Option<String>,
        initial: i32,
        maximum: i32,
        exclusive: bool,
    ) -> PyResult<Semaphore> {
        let s = py
            .detach(|| fmap::Semaphore::create(name.as_deref(), initial, maximum))
            .map_err(err)?;
        check_exclusive(py, exclusive, s.already_existed(), s.name())?;
        Ok(Semaphore::wrap(s))
    }

    /// `OpenSemaphore`: opens the existing semaphore `name` with the rights `access` (default
    /// all).
    #[staticmethod]
    #[pyo3(signature = (name, access = fmap::win32::SEMAPHORE_ALL_ACCESS))]
    fn open(py: Python<'_>, name: String, access: u32) -> PyResult<Semaphore> {
        let s = py
            .detach(|| fmap::Semaphore::open(&name, fmap::SyncAccess::from_bits_retain(access)))
            .map_err(err)?;
        Ok(Semaphore::wrap(s))
    }

    /// `CloseHandle`. The name disappears when the last handle anywhere is closed.
    fn close(&self) {
        self.h.close();
    }

    /// Takes one unit, waiting until there is one. `timeout` in seconds, None waits forever;
    /// `blocking=False` only tries. True if a unit was taken, False if the wait timed out.
    #[pyo3(signature = (blocking = true, timeout = None))]
    fn acquire(&self, py: Python<'_>, blocking: bool, timeout: Option<f64>) -> PyResult<bool> {
        let timeout = acquire_timeout(blocking, timeout)?;
        let r = wait(py, &[Obj::Semaphore(self.handle()?)], timeout, false)?;
        Ok(r != fmap::WaitResult::TimedOut)
    }

    /// `ReleaseSemaphore`: adds `n` units and returns the count before. `fmap.Error`
    /// (`ERROR_TOO_MANY_POSTS`) past the maximum.
    #[pyo3(signature = (n = 1))]
    fn release(&self, n: i32) -> PyResult<i32> {
        self.handle()?.release(n).map_err(err)
    }

    /// The current count (needs `QUERY_STATE` access).
    #[getter]
    fn count(&self) -> PyResult<i32> {
        Ok(self.handle()?.count().map_err(err)?.0)
    }

    /// The maximum count.
    #[getter]
    fn maximum(&self) -> PyResult<i32> {
        Ok(self.handle()?.count().map_err(err)?.1)
    }

    /// Takes one unit (waiting forever; Ctrl-C interrupts).
    fn __enter__(&self, py: Python<'_>) -> PyResult<bool> {
        self.acquire(py, true, None)
    }

    /// Gives the unit back.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.release(1)?;
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        repr(py, "Semaphore", self.name.as_deref(), self.h.is_closed())
    }
}
