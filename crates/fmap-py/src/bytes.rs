//! What `fmap.View` and `fmap.mmap` share: the buffer protocol, indexing and slicing, and
//! bytes-like arguments.
//!
//! Copies go through [`fmap::View::read`] and [`fmap::View::write`], which fault the pages in
//! first: a shared-memory file system that filled up is an `fmap.Error`
//! (`ERROR_COMMITMENT_LIMIT`) from the call, never a `SIGBUS`. Memory reached through the
//! buffer protocol (`memoryview`, NumPy) is touched directly, as any `mmap` of tmpfs is.

use crate::errors::err;
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView, PySlice};
use std::ffi::c_int;

/// Fills `view` for a buffer request on `owner`: `len` bytes at `ptr`, read-only or writable.
///
/// # Safety
///
/// `view` is the `Py_buffer` Python passed to `owner`'s `bf_getbuffer`, and the `len` bytes at
/// `ptr` stay mapped until the matching `bf_releasebuffer` (the caller counts exports and
/// refuses to unmap while any exists; the export holds a reference to `owner`, so the memory
/// is not unmapped by garbage collection either).
pub(crate) unsafe fn fill_buffer(
    view: *mut ffi::Py_buffer,
    owner: &Bound<'_, PyAny>,
    ptr: *mut u8,
    len: usize,
    readonly: bool,
    flags: c_int,
) -> PyResult<()> {
    let len = ffi::Py_ssize_t::try_from(len)
        .map_err(|_| PyValueError::new_err("the view is too large for a buffer"))?;
    // SAFETY: `view` is valid for writing (see above; PyBuffer_FillInfo also handles a null
    // `view`), `owner` is a live object of which it takes a new reference, and the memory
    // stays valid while the export exists (see above).
    let r = unsafe {
        ffi::PyBuffer_FillInfo(
            view,
            owner.as_ptr(),
            ptr.cast(),
            len,
            c_int::from(readonly),
            flags,
        )
    };
    if r == -1 {
        return Err(PyErr::fetch(owner.py()));
    }
    Ok(())
}

/// The bytes of a bytes-like object (`bytes`, `bytearray`, `memoryview`, NumPy arrays, …).
pub(crate) fn bytes_of(data: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    let mv = PyMemoryView::from(data).map_err(|_| {
        PyTypeError::new_err(format!(
            "a bytes-like object is required, not '{}'",
            data.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let b = mv.call_method0("tobytes")?;
    Ok(b.cast::<PyBytes>()?.as_bytes().to_vec())
}

/// A failure inside a view's or mmap's lock: an fmap error, or a Python exception created
/// lazily (`PyValueError::new_err`). It becomes a Python exception only once the lock is
/// released — making an `fmap.Error` runs Python code, which may let another thread run, and
/// that thread may be waiting for the lock while it holds the GIL.
pub(crate) enum Fail {
    Fmap(fmap::Error),
    Py(PyErr),
}

impl From<fmap::Error> for Fail {
    fn from(e: fmap::Error) -> Fail {
        Fail::Fmap(e)
    }
}

impl From<PyErr> for Fail {
    fn from(e: PyErr) -> Fail {
        Fail::Py(e)
    }
}

impl From<Fail> for PyErr {
    fn from(f: Fail) -> PyErr {
        match f {
            Fail::Fmap(e) => err(e),
            Fail::Py(e) => e,
        }
    }
}

/// `n` bytes at `offset` of `v`.
pub(crate) fn read(v: &fmap::View, offset: usize, n: usize) -> fmap::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    v.read(offset, &mut buf)?;
    Ok(buf)
}

/// `len` as a Python index type.
fn isize_of(len: usize) -> isize {
    isize::try_from(len).unwrap_or(isize::MAX)
}

/// A position from a Python index (negative: from the end), or IndexError.
fn index(i: isize, len: usize, what: &str) -> PyResult<usize> {
    let len = isize_of(len);
    let j = if i < 0 { i + len } else { i };
    if j < 0 || j >= len {
        return Err(PyIndexError::new_err(format!("{what} index out of range")));
    }
    Ok(j as usize)
}

/// A subscript, resolved against the length before any lock is taken: converting it may run
/// Python code (`__index__`), which must not run while a view's or mmap's lock is held.
pub(crate) enum Key {
    /// One byte.
    Index(usize),
    /// `n` bytes from `start`, every `step`-th.
    Slice { start: isize, step: isize, n: usize },
}

impl Key {
    pub(crate) fn parse(key: &Bound<'_, PyAny>, len: usize, what: &str) -> PyResult<Key> {
        if let Ok(s) = key.cast::<PySlice>() {
            let ix = s.indices(isize_of(len))?;
            return Ok(Key::Slice {
                start: ix.start,
                step: ix.step,
                n: ix.slicelength,
            });
        }
        let i: isize = key
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("{what} indices must be integers")))?;
        Ok(Key::Index(index(i, len, what)?))
    }
}

/// The value of `obj[key] = value`, converted before any lock is taken (a bytes-like value
/// may be the object itself, whose buffer export takes its lock).
pub(crate) enum Value {
    Byte(u8),
    Bytes(Vec<u8>),
}

impl Value {
    pub(crate) fn parse(key: &Key, value: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
        match key {
            Key::Index(_) => {
                let b: i64 = value.extract().map_err(|_| {
                    PyTypeError::new_err(format!("{what} item value must be an int"))
                })?;
                let b = u8::try_from(b).map_err(|_| {
                    PyValueError::new_err(format!("{what} item value must be in range(0, 256)"))
                })?;
                Ok(Value::Byte(b))
            }
            Key::Slice { n, .. } => {
                let data = bytes_of(value)?;
                if data.len() != *n {
                    return Err(PyIndexError::new_err(format!(
                        "{what} slice assignment is wrong size"
                    )));
                }
                Ok(Value::Bytes(data))
            }
        }
    }
}

/// What `obj[key]` reads: one byte, or the bytes of a slice (any step).
pub(crate) enum Item {
    Byte(u8),
    Bytes(Vec<u8>),
}

impl Item {
    pub(crate) fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            Item::Byte(b) => b.into_pyobject(py)?.into_any().unbind(),
            Item::Bytes(b) => PyBytes::new(py, &b).into_any().unbind(),
        })
    }
}

/// `v[key]`.
pub(crate) fn get_item(v: &fmap::View, key: &Key) -> fmap::Result<Item> {
    match *key {
        Key::Index(at) => Ok(Item::Byte(read(v, at, 1)?[0])),
        Key::Slice { n: 0, .. } => Ok(Item::Bytes(Vec::new())),
        Key::Slice { start, step: 1, n } => Ok(Item::Bytes(read(v, start as usize, n)?)),
        Key::Slice { start, step, n } => {
            // The covering range, then every step-th byte of it.
            let last = start + (n as isize - 1) * step;
            let (lo, hi) = (start.min(last) as usize, start.max(last) as usize);
            let span = read(v, lo, hi - lo + 1)?;
            Ok(Item::Bytes(
                (0..n as isize)
                    .map(|k| span[(start + k * step) as usize - lo])
                    .collect(),
            ))
        }
    }
}

/// `v[key] = value`.
pub(crate) fn set_item(v: &fmap::View, key: &Key, value: &Value) -> fmap::Result<()> {
    match (key, value) {
        (&Key::Index(at), &Value::Byte(b)) => v.write(at, &[b]),
        (&Key::Slice { step: 1, start, .. }, Value::Bytes(data)) => {
            if data.is_empty() {
                return Ok(());
            }
            v.write(start as usize, data)
        }
        (&Key::Slice { start, step, .. }, Value::Bytes(data)) => {
            for (k, b) in data.iter().enumerate() {
                let at = (start + k as isize * step) as usize;
                v.write(at, std::slice::from_ref(b))?;
            }
            Ok(())
        }
        _ => unreachable!("Value::parse makes the value of the key's kind"),
    }
}

/// The first (or, `reverse`, last) occurrence of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8], reverse: bool) -> Option<usize> {
    if needle.is_empty() {
        return Some(if reverse { hay.len() } else { 0 });
    }
    if needle.len() > hay.len() {
        return None;
    }
    let mut windows = hay.windows(needle.len());
    if reverse {
        windows.rposition(|w| w == needle)
    } else {
        windows.position(|w| w == needle)
    }
}
