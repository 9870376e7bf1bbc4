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

/// `n` bytes at `offset` of `v`.
pub(crate) fn read(v: &fmap::View, offset: usize, n: usize) -> PyResult<Vec<u8>> {
    let mut buf = vec![0u8; n];
    v.read(offset, &mut buf).map_err(err)?;
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

/// `obj[key]`: an int for an index, bytes for a slice (any step).
pub(crate) fn get_item(
    py: Python<'_>,
    v: &fmap::View,
    len: usize,
    key: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<Py<PyAny>> {
    if let Ok(s) = key.cast::<PySlice>() {
        let ix = s.indices(isize_of(len))?;
        let n = ix.slicelength;
        if n == 0 {
            return Ok(PyBytes::new(py, b"").into_any().unbind());
        }
        let out = if ix.step == 1 {
            read(v, ix.start as usize, n)?
        } else {
            // The covering range, then every step-th byte of it.
            let first = ix.start;
            let last = ix.start + (n as isize - 1) * ix.step;
            let (lo, hi) = (first.min(last) as usize, first.max(last) as usize);
            let span = read(v, lo, hi - lo + 1)?;
            (0..n as isize)
                .map(|k| span[(ix.start + k * ix.step) as usize - lo])
                .collect()
        };
        return Ok(PyBytes::new(py, &out).into_any().unbind());
    }
    let i: isize = key
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what} indices must be integers")))?;
    let at = index(i, len, what)?;
    let b = read(v, at, 1)?[0];
    Ok(b.into_pyobject(py)?.into_any().unbind())
}

/// `obj[key] = value`: an int 0..=255 for an index, bytes of the slice's length for a slice.
pub(crate) fn set_item(
    v: &fmap::View,
    len: usize,
    key: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<()> {
    if let Ok(s) = key.cast::<PySlice>() {
        let ix = s.indices(isize_of(len))?;
        let data = bytes_of(value)?;
        if data.len() != ix.slicelength {
            return Err(PyIndexError::new_err(format!(
                "{what} slice assignment is wrong size"
            )));
        }
        if data.is_empty() {
            return Ok(());
        }
        if ix.step == 1 {
            return v.write(ix.start as usize, &data).map_err(err);
        }
        for (k, b) in data.iter().enumerate() {
            let at = (ix.start + k as isize * ix.step) as usize;
            v.write(at, std::slice::from_ref(b)).map_err(err)?;
        }
        return Ok(());
    }
    let i: isize = key
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what} indices must be integers")))?;
    let at = index(i, len, what)?;
    let b: i64 = value
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{what} item value must be an int")))?;
    let b = u8::try_from(b).map_err(|_| {
        PyValueError::new_err(format!("{what} item value must be in range(0, 256)"))
    })?;
    v.write(at, &[b]).map_err(err)
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
