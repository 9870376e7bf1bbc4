//! `fmap.mmap`: the `mmap.mmap` of Python on Windows for named shared memory —
//! `mmap(-1, length, tagname=..., access=..., offset=...)` — so that code written for Windows
//! runs unchanged (`import fmap as mmap`).
//!
//! Like CPython's `mmapmodule.c` on Windows it is `CreateFileMapping(INVALID_HANDLE_VALUE,
//! protection, offset + length, tagname)` then `MapViewOfFile(access, offset, length)`: an
//! existing section of that name is opened (with its own size: a larger one is mapped in part,
//! a smaller one fails with `PermissionError`, `ERROR_ACCESS_DENIED`), and the mmap holds the
//! handle, which keeps the name alive until `close()`.

use crate::bytes::{bytes_of, fill_buffer, find, get_item, read, set_item, Fail, Key, Value};
use crate::errors::{err, win32_error};
use pyo3::exceptions::{PyBufferError, PyOverflowError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use std::ffi::c_int;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard};

use fmap::win32::{
    FILE_MAP_COPY, FILE_MAP_READ, FILE_MAP_WRITE, PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
};

/// `mmap.ACCESS_DEFAULT` (read/write, as `ACCESS_WRITE` for shared memory).
pub const ACCESS_DEFAULT: i32 = 0;
/// `mmap.ACCESS_READ`.
pub const ACCESS_READ: i32 = 1;
/// `mmap.ACCESS_WRITE`.
pub const ACCESS_WRITE: i32 = 2;
/// `mmap.ACCESS_COPY`.
pub const ACCESS_COPY: i32 = 3;

struct Open {
    /// The section handle, closed with the mmap.
    _mapping: fmap::Mapping,
    view: fmap::View,
    pos: usize,
}

/// `mmap.mmap(fileno, length, tagname=None, access=ACCESS_DEFAULT, offset=0)` as on Windows,
/// for `fileno=-1`: `length` bytes of the shared-memory section `tagname` (created if it does
/// not exist; None or "" for an unnamed one), from `offset` (a multiple of
/// `ALLOCATIONGRANULARITY`). The mmap API: `read`, `write`, `seek`, `tell`, `find`,
/// `readline`, indexing and slicing, `len`, `flush`, `close`, `with`, and the buffer protocol.
#[pyclass(frozen, weakref, module = "fmap", name = "mmap")]
pub struct Mmap {
    open: Mutex<Option<Open>>,
    /// Live buffer exports; changed only with `open` locked.
    exports: AtomicUsize,
    access: i32,
    offset: u64,
    len: usize,
    tagname: Option<String>,
}

fn closed() -> PyErr {
    PyValueError::new_err("mmap closed or invalid")
}

fn readonly() -> PyErr {
    PyTypeError::new_err("mmap can't modify a readonly memory map.")
}

impl Mmap {
    fn lock(&self) -> MutexGuard<'_, Option<Open>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the open mmap, with its lock held; the error becomes a Python exception
    /// after the lock is released (see [`Fail`]).
    fn with<R>(&self, f: impl FnOnce(&mut Open) -> Result<R, Fail>) -> PyResult<R> {
        let r = match &mut *self.lock() {
            Some(o) => f(o),
            None => Err(closed().into()),
        };
        r.map_err(PyErr::from)
    }

    fn check_writable(&self) -> PyResult<()> {
        if self.access == ACCESS_READ {
            return Err(readonly());
        }
        Ok(())
    }

    /// The `[start, end)` byte range of `find`-style arguments (negative: from the end).
    fn range(&self, pos: usize, start: Option<isize>, end: Option<isize>) -> (usize, usize) {
        let len = self.len as isize;
        let clamp = |i: isize| {
            let i = if i < 0 { i + len } else { i };
            i.clamp(0, len) as usize
        };
        let start = start.map_or(pos, clamp);
        let end = end.map_or(self.len, clamp);
        (start, end.max(start))
    }

    fn find_impl(
        &self,
        sub: &Bound<'_, PyAny>,
        start: Option<isize>,
        end: Option<isize>,
        reverse: bool,
    ) -> PyResult<isize> {
        let needle = bytes_of(sub)?;
        self.with(|o| {
            let (s, e) = self.range(o.pos, start, end);
            let hay = read(&o.view, s, e - s)?;
            Ok(find(&hay, &needle, reverse).map_or(-1, |i| (s + i) as isize))
        })
    }
}

#[pymethods]
impl Mmap {
    #[new]
    #[pyo3(signature = (fileno, length, tagname = None, access = ACCESS_DEFAULT, offset = 0))]
    fn new(
        py: Python<'_>,
        fileno: i64,
        length: i64,
        tagname: Option<String>,
        access: i32,
        offset: i64,
    ) -> PyResult<Mmap> {
        let (protection, view_access) = match access {
            ACCESS_DEFAULT | ACCESS_WRITE => (PAGE_READWRITE, FILE_MAP_WRITE),
            ACCESS_READ => (PAGE_READONLY, FILE_MAP_READ),
            ACCESS_COPY => (PAGE_WRITECOPY, FILE_MAP_COPY),
            _ => return Err(PyValueError::new_err("mmap invalid access parameter.")),
        };
        if length < 0 {
            return Err(PyOverflowError::new_err(
                "memory mapped length must be positive",
            ));
        }
        if offset < 0 {
            return Err(PyOverflowError::new_err(
                "memory mapped offset must be positive",
            ));
        }
        if fileno != -1 {
            return Err(PyValueError::new_err(
                "fmap.mmap maps shared memory only: fileno must be -1 (use the standard mmap \
                 module to map files)",
            ));
        }
        let (length, offset) = (length as u64, offset as u64);
        let size = offset
            .checked_add(length)
            .ok_or_else(|| PyOverflowError::new_err("mmap offset plus length is too large"))?;
        let tag = tagname.clone().unwrap_or_default();
        let (mapping, view) = py
            .detach(|| {
                let mapping = fmap::MappingOptions::new()
                    .flprotect(protection)
                    .size(size)
                    .name(&tag)
                    .create()?;
                let a = fmap::Access::from_bits_retain(view_access);
                let view = if length == 0 {
                    mapping.map_view(a, offset..)?
                } else {
                    mapping.map_view(a, offset..size)?
                };
                Ok::<_, fmap::Error>((mapping, view))
            })
            .map_err(err)?;
        let len = view.len();
        Ok(Mmap {
            open: Mutex::new(Some(Open {
                _mapping: mapping,
                view,
                pos: 0,
            })),
            exports: AtomicUsize::new(0),
            access,
            offset,
            len,
            tagname: tagname.filter(|t| !t.is_empty()),
        })
    }

    /// Unmaps the memory and closes the section handle. `BufferError` while a buffer export
    /// (`memoryview`, NumPy array) exists.
    fn close(&self) -> PyResult<()> {
        let mut g = self.lock();
        if self.exports.load(SeqCst) > 0 {
            return Err(PyBufferError::new_err(
                "cannot close exported pointers exist",
            ));
        }
        drop(g.take());
        Ok(())
    }

    /// Is the mmap closed?
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// The section's name as given (None for an unnamed section).
    #[getter]
    fn tagname(&self) -> Option<&str> {
        self.tagname.as_deref()
    }

    fn __len__(&self) -> PyResult<usize> {
        self.with(|_| Ok(self.len))
    }

    /// The mapped length (for a shared-memory mapping, what `len()` gives).
    fn size(&self) -> PyResult<usize> {
        self.__len__()
    }

    /// The current position.
    fn tell(&self) -> PyResult<usize> {
        self.with(|o| Ok(o.pos))
    }

    /// Sets the position: `whence` 0 from the start, 1 from the current position, 2 from the
    /// end. Returns the new position.
    #[pyo3(signature = (pos, whence = 0))]
    fn seek(&self, pos: isize, whence: i32) -> PyResult<usize> {
        self.with(|o| {
            let base = match whence {
                0 => 0,
                1 => o.pos as isize,
                2 => self.len as isize,
                _ => return Err(PyValueError::new_err("unknown seek type").into()),
            };
            let to = base
                .checked_add(pos)
                .filter(|&t| t >= 0 && t as usize <= self.len)
                .ok_or_else(|| Fail::Py(PyValueError::new_err("seek out of range")))?;
            o.pos = to as usize;
            Ok(o.pos)
        })
    }

    /// Always True.
    fn seekable(&self) -> bool {
        true
    }

    /// Reads up to `n` bytes (None or negative: to the end) from the current position.
    #[pyo3(signature = (n = None))]
    fn read<'py>(&self, py: Python<'py>, n: Option<isize>) -> PyResult<Bound<'py, PyBytes>> {
        let data = self.with(|o| {
            let left = self.len - o.pos;
            let n = match n {
                Some(n) if n >= 0 => (n as usize).min(left),
                _ => left,
            };
            let data = read(&o.view, o.pos, n)?;
            o.pos += n;
            Ok(data)
        })?;
        Ok(PyBytes::new(py, &data))
    }

    /// Reads one byte (an int) and advances.
    fn read_byte(&self) -> PyResult<u8> {
        self.with(|o| {
            if o.pos >= self.len {
                return Err(PyValueError::new_err("read byte out of range").into());
            }
            let b = read(&o.view, o.pos, 1)?[0];
            o.pos += 1;
            Ok(b)
        })
    }

    /// Reads up to and including the next newline (or to the end).
    fn readline<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let line = self.with(|o| {
            let mut rest = read(&o.view, o.pos, self.len - o.pos)?;
            let n = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |i| i + 1);
            o.pos += n;
            rest.truncate(n);
            Ok(rest)
        })?;
        Ok(PyBytes::new(py, &line))
    }

    /// Writes the bytes-like `data` at the current position and advances; returns the number
    /// of bytes written. `ValueError` if it does not fit.
    fn write(&self, data: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.check_writable()?;
        let data = bytes_of(data)?;
        self.with(|o| {
            if data.len() > self.len - o.pos {
                return Err(PyValueError::new_err("data out of range").into());
            }
            o.view.write(o.pos, &data)?;
            o.pos += data.len();
            Ok(data.len())
        })
    }

    /// Writes one byte (an int) at the current position and advances.
    fn write_byte(&self, byte: u8) -> PyResult<()> {
        self.check_writable()?;
        self.with(|o| {
            if o.pos >= self.len {
                return Err(PyValueError::new_err("write byte out of range").into());
            }
            o.view.write(o.pos, &[byte])?;
            o.pos += 1;
            Ok(())
        })
    }

    /// The lowest index of `sub` in `[start, end)` (default: from the current position to
    /// the end), or -1.
    #[pyo3(signature = (sub, start = None, end = None))]
    fn find(
        &self,
        sub: &Bound<'_, PyAny>,
        start: Option<isize>,
        end: Option<isize>,
    ) -> PyResult<isize> {
        self.find_impl(sub, start, end, false)
    }

    /// The highest index of `sub` in `[start, end)`, or -1.
    #[pyo3(signature = (sub, start = None, end = None))]
    fn rfind(
        &self,
        sub: &Bound<'_, PyAny>,
        start: Option<isize>,
        end: Option<isize>,
    ) -> PyResult<isize> {
        self.find_impl(sub, start, end, true)
    }

    /// Copies `count` bytes from `src` to `dest` (the ranges may overlap).
    fn r#move(&self, dest: usize, src: usize, count: usize) -> PyResult<()> {
        self.check_writable()?;
        self.with(|o| {
            let fits = |at: usize| at.checked_add(count).is_some_and(|e| e <= self.len);
            if !fits(src) || !fits(dest) {
                return Err(
                    PyValueError::new_err("source, destination, or count out of range").into(),
                );
            }
            let data = read(&o.view, src, count)?;
            Ok(o.view.write(dest, &data)?)
        })
    }

    /// `FlushViewOfFile` (nothing to write for shared memory).
    #[pyo3(signature = (offset = 0, size = None))]
    fn flush(&self, offset: usize, size: Option<usize>) -> PyResult<()> {
        self.with(|o| {
            let size = size.unwrap_or(self.len.saturating_sub(offset));
            if offset.checked_add(size).is_none_or(|e| e > self.len) {
                return Err(PyValueError::new_err("flush values out of range").into());
            }
            if self.access == ACCESS_READ || self.access == ACCESS_COPY || size == 0 {
                return Ok(());
            }
            Ok(o.view.flush_range(offset..offset + size)?)
        })
    }

    /// Not supported: a named section keeps the size it was created with.
    fn resize(&self, py: Python<'_>, _newsize: usize) -> PyResult<()> {
        if self.access == ACCESS_READ || self.access == ACCESS_COPY {
            return Err(PyTypeError::new_err(
                "mmap can't resize a readonly or copy-on-write memory map.",
            ));
        }
        self.with(|_| Ok(()))?;
        Err(win32_error(
            py,
            fmap::win32::ERROR_NOT_SUPPORTED,
            "ERROR_NOT_SUPPORTED",
            "a named shared-memory section cannot be resized",
        ))
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let key = Key::parse(key, self.len, "mmap")?;
        self.with(|o| Ok(get_item(&o.view, &key)?))?.into_py(py)
    }

    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.check_writable()?;
        let key = Key::parse(key, self.len, "mmap")?;
        let value = Value::parse(&key, value, "mmap")?;
        self.with(|o| Ok(set_item(&o.view, &key, &value)?))
    }

    fn __delitem__(&self, _key: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "mmap object doesn't support item deletion",
        ))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the mmap.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    /// Buffer protocol: the mapped memory itself, writable unless `ACCESS_READ`.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let this = slf.get();
        let g = this.lock();
        let o = g.as_ref().ok_or_else(closed)?;
        // SAFETY: `view` comes from Python's bf_getbuffer; the mapping stays until `close`,
        // which refuses while `exports` (incremented below, under the same lock) is non-zero,
        // and the export holds a reference to `slf`, so it is not unmapped by deallocation.
        unsafe {
            fill_buffer(
                view,
                slf.as_any(),
                o.view.as_mut_ptr(),
                this.len,
                this.access == ACCESS_READ,
                flags,
            )?;
        }
        this.exports.fetch_add(1, SeqCst);
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {
        let _g = self.lock();
        self.exports.fetch_sub(1, SeqCst);
    }

    fn __repr__(&self) -> String {
        let access = match self.access {
            ACCESS_READ => "ACCESS_READ",
            ACCESS_WRITE => "ACCESS_WRITE",
            ACCESS_COPY => "ACCESS_COPY",
            _ => "ACCESS_DEFAULT",
        };
        match &*self.lock() {
            None => format!("<fmap.mmap closed=True, access={access}>"),
            Some(o) => format!(
                "<fmap.mmap closed=False, access={access}, length={}, pos={}, offset={}>",
                self.len, o.pos, self.offset
            ),
        }
    }
}
