//! fmap's errors as Python exceptions.
//!
//! The exception classes are plain Python (`python/fmap/_exceptions.py`): `fmap.Error`
//! (an `OSError` carrying `winerror`) and its subclasses that are also `FileNotFoundError`,
//! `PermissionError` and `FileExistsError`. `_exceptions._from_win32` picks the class and the
//! `errno` from the Win32 code, as Python on Windows does for `OSError`s from the system.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static FROM_WIN32: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for an fmap error.
pub(crate) fn err(e: fmap::Error) -> PyErr {
    Python::attach(|py| win32_error(py, e.win32_code(), e.kind().win32_name(), e.message()))
}

/// An `fmap.Error` (or the subclass for `code`) with a Win32 error code, its constant's name and
/// a message.
pub(crate) fn win32_error(py: Python<'_>, code: u32, name: &str, message: &str) -> PyErr {
    let made = FROM_WIN32
        .import(py, "fmap._exceptions", "_from_win32")
        .and_then(|f| f.call1((code, name, message)));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// `ERROR_ALREADY_EXISTS` for an exclusive create of a name that exists: `fmap.AlreadyExistsError`
/// (a `FileExistsError`).
pub(crate) fn already_exists(py: Python<'_>, name: &str) -> PyErr {
    win32_error(
        py,
        fmap::win32::ERROR_ALREADY_EXISTS,
        "ERROR_ALREADY_EXISTS",
        &format!("{name} already exists"),
    )
}

/// The error of an operation on a handle or view that was closed.
pub(crate) fn closed(what: &str) -> PyErr {
    PyValueError::new_err(format!("operation on a closed {what}"))
}
