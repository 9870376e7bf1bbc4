//! Waiting from Python: timeouts in seconds, the GIL released while a wait blocks, Ctrl-C,
//! abandoned mutexes, and `fmap.wait_any` / `fmap.wait_all`.
//!
//! A wait first polls with the GIL held (an object that is available costs no GIL round trip),
//! then blocks with the GIL released. In the main thread it blocks in
//! [`fmap::wait_any_checked`] / [`fmap::wait_all_checked`], which run Python's signal handlers
//! every [`CHECK_EVERY`] while the thread sleeps: a `KeyboardInterrupt` (or any exception a
//! handler raises) ends the wait as `time.sleep` is ended, having acquired nothing. Those
//! waits keep their places in the objects' wait queues between checks, so a checked wait is
//! handed a released object in its turn like any other. Other threads never run signal
//! handlers (Python runs them in the main thread only) and wait without checks.

use crate::errors::err;
use crate::sync::{Event, Mutex, Semaphore};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::cell::Cell;
use std::ffi::CString;
use std::sync::Arc;
use std::time::Duration;

/// How often a blocked wait in the main thread runs Python's signal handlers: the longest a
/// Ctrl-C waits to be noticed.
pub(crate) const CHECK_EVERY: Duration = Duration::from_millis(50);

/// A waitable object, held for the duration of a wait (closing the Python handle meanwhile
/// does not pull it from under the wait).
pub(crate) enum Obj {
    Mutex(Arc<fmap::Mutex>),
    Event(Arc<fmap::Event>),
    Semaphore(Arc<fmap::Semaphore>),
}

impl Obj {
    fn waitable(&self) -> &dyn fmap::Waitable {
        match self {
            Obj::Mutex(m) => &**m,
            Obj::Event(e) => &**e,
            Obj::Semaphore(s) => &**s,
        }
    }

    /// The object behind a Python `fmap.Mutex`, `fmap.Event` or `fmap.Semaphore`.
    fn extract(o: &Bound<'_, PyAny>) -> PyResult<Obj> {
        if let Ok(m) = o.cast::<Mutex>() {
            return Ok(Obj::Mutex(m.get().handle()?));
        }
        if let Ok(e) = o.cast::<Event>() {
            return Ok(Obj::Event(e.get().handle()?));
        }
        if let Ok(s) = o.cast::<Semaphore>() {
            return Ok(Obj::Semaphore(s.get().handle()?));
        }
        Err(PyTypeError::new_err(format!(
            "can only wait on fmap.Mutex, fmap.Event and fmap.Semaphore objects, not {}",
            o.get_type().name()?
        )))
    }
}

/// A timeout in seconds (`None` or `math.inf`: forever) as a `Duration`.
pub(crate) fn timeout_of(seconds: Option<f64>) -> PyResult<Option<Duration>> {
    match seconds {
        None => Ok(None),
        Some(s) if s.is_nan() => Err(PyValueError::new_err("timeout must not be NaN")),
        Some(s) if s < 0.0 => Err(PyValueError::new_err(
            "timeout must be a non-negative number of seconds, or None to wait forever",
        )),
        Some(s) if s.is_infinite() => Ok(None),
        Some(s) => Duration::try_from_secs_f64(s)
            .map(Some)
            .map_err(|_| PyOverflowError::new_err("timeout too large")),
    }
}

/// The timeout of an `acquire(blocking, timeout)` in the style of `threading.Lock`.
pub(crate) fn acquire_timeout(blocking: bool, timeout: Option<f64>) -> PyResult<Option<Duration>> {
    match (blocking, timeout) {
        (true, t) => timeout_of(t),
        (false, None) => Ok(Some(Duration::ZERO)),
        (false, Some(_)) => Err(PyValueError::new_err(
            "can't specify a timeout for a non-blocking call",
        )),
    }
}

thread_local! {
    /// Is this thread Python's main thread (the one that runs signal handlers)? Looked up once
    /// per thread.
    static MAIN: Cell<Option<bool>> = const { Cell::new(None) };
}

fn is_main_thread(py: Python<'_>) -> PyResult<bool> {
    if let Some(m) = MAIN.with(Cell::get) {
        return Ok(m);
    }
    let threading = py.import("threading")?;
    let main = threading.call_method0("main_thread")?.getattr("ident")?;
    let me = threading.call_method0("get_ident")?;
    let m = main.eq(me)?;
    MAIN.with(|c| c.set(Some(m)));
    Ok(m)
}

/// Waits for any (`all` false) or all of `objs`, as described in the module docs.
pub(crate) fn wait(
    py: Python<'_>,
    objs: &[Obj],
    timeout: Option<Duration>,
    all: bool,
) -> PyResult<fmap::WaitResult> {
    let run = |timeout| {
        let ws: Vec<&dyn fmap::Waitable> = objs.iter().map(Obj::waitable).collect();
        if all {
            fmap::wait_all(&ws, timeout)
        } else {
            fmap::wait_any(&ws, timeout)
        }
    };
    let r = run(Some(Duration::ZERO)).map_err(err)?;
    if r != fmap::WaitResult::TimedOut || timeout == Some(Duration::ZERO) {
        return Ok(r);
    }
    if !is_main_thread(py)? {
        return py.detach(|| run(timeout)).map_err(err);
    }
    let mut raised: Option<PyErr> = None;
    let slot = &mut raised;
    let r = py.detach(move || {
        let ws: Vec<&dyn fmap::Waitable> = objs.iter().map(Obj::waitable).collect();
        let mut check = || {
            Python::attach(|py| py.check_signals()).map_err(|e| {
                *slot = Some(e);
                fmap::Error::new(fmap::ErrorKind::Other, "a signal handler raised")
            })
        };
        if all {
            fmap::wait_all_checked(&ws, timeout, CHECK_EVERY, &mut check)
        } else {
            fmap::wait_any_checked(&ws, timeout, CHECK_EVERY, &mut check)
        }
    });
    r.map_err(|e| raised.take().unwrap_or_else(|| err(e)))
}

static ABANDONED_WARNING: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Issues `fmap.AbandonedMutexWarning` for `what` (which names the mutex). Fails if the
/// warnings filter turns it into an exception.
pub(crate) fn warn_abandoned(py: Python<'_>, what: &str) -> PyResult<()> {
    let category = ABANDONED_WARNING.import(py, "fmap._exceptions", "AbandonedMutexWarning")?;
    let msg = format!(
        "{what} was abandoned: its previous owner thread or process ended without releasing \
         it, so the data it guards may be inconsistent. The calling thread owns it now."
    );
    let msg = CString::new(msg).unwrap_or_else(|_| c"a mutex was abandoned".to_owned());
    PyErr::warn(py, category, &msg, 1)
}

/// `"mutex NAME"` or `"an unnamed mutex"`, for messages.
pub(crate) fn mutex_label(m: &fmap::Mutex) -> String {
    match m.name() {
        Some(n) => format!("mutex {n}"),
        None => "an unnamed mutex".to_owned(),
    }
}

/// The outcome of a wait: which object was acquired (`index`), whether it was a mutex whose
/// owner died (`abandoned`), or that the wait timed out. True unless it timed out.
#[pyclass(frozen, eq, module = "fmap")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitResult {
    index: Option<usize>,
    abandoned: bool,
}

impl WaitResult {
    pub(crate) fn from_fmap(r: fmap::WaitResult) -> WaitResult {
        match r {
            fmap::WaitResult::Signaled(i) => WaitResult {
                index: Some(i),
                abandoned: false,
            },
            fmap::WaitResult::Abandoned(i) => WaitResult {
                index: Some(i),
                abandoned: true,
            },
            fmap::WaitResult::TimedOut => WaitResult {
                index: None,
                abandoned: false,
            },
        }
    }
}

#[pymethods]
impl WaitResult {
    /// The index of the object that was acquired (always 0 for `wait_all`), or None if the
    /// wait timed out.
    #[getter]
    fn index(&self) -> Option<usize> {
        self.index
    }

    /// True if the object acquired is a mutex whose previous owner died holding it
    /// (`WAIT_ABANDONED`): the caller owns it now, and the data it guards may be inconsistent.
    #[getter]
    fn abandoned(&self) -> bool {
        self.abandoned
    }

    /// True if the wait timed out and acquired nothing (`WAIT_TIMEOUT`).
    #[getter]
    fn timed_out(&self) -> bool {
        self.index.is_none()
    }

    /// The Win32 return value: `WAIT_OBJECT_0 + index`, `WAIT_ABANDONED_0 + index` or
    /// `WAIT_TIMEOUT`.
    #[getter]
    fn code(&self) -> u32 {
        match (self.index, self.abandoned) {
            (None, _) => fmap::win32::WAIT_TIMEOUT,
            (Some(i), false) => fmap::win32::WAIT_OBJECT_0 + i as u32,
            (Some(i), true) => fmap::win32::WAIT_ABANDONED_0 + i as u32,
        }
    }

    fn __bool__(&self) -> bool {
        self.index.is_some()
    }

    fn __repr__(&self) -> String {
        match self.index {
            None => "WaitResult(timed_out=True)".to_owned(),
            Some(i) => format!(
                "WaitResult(index={i}, abandoned={})",
                if self.abandoned { "True" } else { "False" }
            ),
        }
    }
}

fn objects_of(objects: &Bound<'_, PyAny>) -> PyResult<Vec<Obj>> {
    let mut objs = Vec::new();
    for o in objects.try_iter()? {
        objs.push(Obj::extract(&o?)?);
    }
    Ok(objs)
}

/// Reports an abandoned mutex of a finished wait (see `warn_abandoned`).
fn report(py: Python<'_>, objs: &[Obj], r: fmap::WaitResult, warn: bool) -> PyResult<WaitResult> {
    if let (fmap::WaitResult::Abandoned(i), true) = (r, warn) {
        let label = match &objs[i] {
            Obj::Mutex(m) => mutex_label(m),
            _ => "a mutex".to_owned(),
        };
        warn_abandoned(py, &format!("{label} (object {i} of the wait)"))?;
    }
    Ok(WaitResult::from_fmap(r))
}

/// `WaitForMultipleObjects(..., bWaitAll=FALSE, ...)`: waits until any of `objects` (mutexes,
/// events, semaphores; 1 to 64) is available and acquires that one — the lowest index if
/// several are. `timeout` in seconds, None waits forever. Returns a `WaitResult` (false if
/// it timed out); an abandoned mutex is also reported with `AbandonedMutexWarning` unless
/// `warn_abandoned` is false. The GIL is released while waiting; Ctrl-C interrupts the wait
/// in the main thread.
#[pyfunction]
#[pyo3(signature = (objects, timeout = None, *, warn_abandoned = true))]
pub fn wait_any(
    py: Python<'_>,
    objects: &Bound<'_, PyAny>,
    timeout: Option<f64>,
    warn_abandoned: bool,
) -> PyResult<WaitResult> {
    let timeout = timeout_of(timeout)?;
    let objs = objects_of(objects)?;
    let r = wait(py, &objs, timeout, false)?;
    report(py, &objs, r, warn_abandoned)
}

/// `WaitForMultipleObjects(..., bWaitAll=TRUE, ...)`: waits until all of `objects` are
/// available at once and acquires them all atomically (or nothing). Returns a `WaitResult`
/// whose index is 0, `abandoned` if any mutex among them was; otherwise as `wait_any`.
#[pyfunction]
#[pyo3(signature = (objects, timeout = None, *, warn_abandoned = true))]
pub fn wait_all(
    py: Python<'_>,
    objects: &Bound<'_, PyAny>,
    timeout: Option<f64>,
    warn_abandoned: bool,
) -> PyResult<WaitResult> {
    let timeout = timeout_of(timeout)?;
    let objs = objects_of(objects)?;
    let r = wait(py, &objs, timeout, true)?;
    if let (fmap::WaitResult::Abandoned(_), true) = (r, warn_abandoned) {
        let names: Vec<String> = objs
            .iter()
            .filter_map(|o| match o {
                Obj::Mutex(m) => Some(mutex_label(m)),
                _ => None,
            })
            .collect();
        warn_abandoned_all(py, &names)?;
    }
    Ok(WaitResult::from_fmap(r))
}

fn warn_abandoned_all(py: Python<'_>, mutexes: &[String]) -> PyResult<()> {
    let what = match mutexes {
        [one] => one.clone(),
        many => format!("one of the mutexes of the wait ({})", many.join(", ")),
    };
    warn_abandoned(py, &what)
}

/// How long a wait spins (watching the objects) before it sleeps in the kernel, in seconds,
/// for this process: `fmap::set_spin`. Spinning trades CPU time for wake-up latency when the
/// other side answers quickly from another CPU. The default is 20 µs on machines with more
/// than one CPU and 0 otherwise, or `$FMAP_SPIN_US` microseconds if set; 0 disables it.
#[pyfunction]
pub fn set_spin(seconds: f64) -> PyResult<()> {
    match timeout_of(Some(seconds))? {
        Some(d) => {
            fmap::set_spin(d);
            Ok(())
        }
        None => Err(PyValueError::new_err("the spin time must be finite")),
    }
}
