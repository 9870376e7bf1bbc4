//! `fmap.Mapping` (a handle to a section) and `fmap.View` (a mapped view of it).

use crate::bytes::{bytes_of, fill_buffer, get_item, read, set_item, Fail, Key, Value};
use crate::errors::{closed, err};
use crate::sync::{check_exclusive, handle_pymethods, repr_name, Handle};
use pyo3::exceptions::{PyBufferError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use std::ffi::c_int;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{RwLock, RwLockReadGuard};

use fmap::win32::{FILE_MAP_ALL_ACCESS, FILE_MAP_READ, FILE_MAP_WRITE, PAGE_READWRITE};

/// A handle to a named (or unnamed) section of shared memory: `CreateFileMapping` /
/// `OpenFileMapping`. The name exists while some process holds a handle; the memory lives
/// while a handle or a view exists — also after `kill -9` nothing is left behind.
///
/// `with mapping:` closes the handle at the end of the block (its views stay valid).
#[pyclass(frozen, weakref, module = "fmap")]
pub struct Mapping {
    h: Handle<fmap::Mapping>,
    name: Option<String>,
    existed: bool,
    access: u32,
    size: u64,
    protection: u32,
}

impl Mapping {
    fn wrap(m: fmap::Mapping) -> Mapping {
        Mapping {
            name: m.name().map(str::to_owned),
            existed: m.already_existed(),
            access: m.access().bits(),
            size: m.size(),
            protection: m.protection().to_win32(),
            h: Handle::new(m),
        }
    }
}

/// The view access `map_view` uses by default: a writable view if the handle and the
/// section allow one, else a read-only view.
fn default_view_access(m: &fmap::Mapping) -> u32 {
    for a in [FILE_MAP_WRITE, FILE_MAP_READ] {
        let prot = fmap::Protection::for_view_access(fmap::Access::from_bits_retain(a));
        if m.access().allows(prot.required_rights()) && m.protection().allows_view(prot) {
            return a;
        }
    }
    FILE_MAP_READ
}

handle_pymethods! {
    Mapping: "Mapping", "section", "Access",
    closes: "`CloseHandle`. The name disappears when the last handle anywhere is closed; \
        views stay valid until they are closed.";

    /// `CreateFileMapping` backed by shared memory: creates the section `name` (`"Local\\x"`,
    /// `"Global\\x"` or `"x"`; None for an unnamed one) of `size` bytes (rounded up to whole
    /// pages), or opens it if it exists — then `already_existed` is true and `size` and
    /// `protection` are ignored, as on Windows. `protection`: a `PAGE_*` value, optionally
    /// OR-ed with `SEC_*` flags (default `PAGE_READWRITE`). `exclusive`: raise
    /// `FileExistsError` (`fmap.AlreadyExistsError`) instead of opening an existing section.
    /// A name used by another type of object raises `fmap.Error` (`ERROR_INVALID_HANDLE`).
    #[staticmethod]
    #[pyo3(signature = (name, size, *, protection = PAGE_READWRITE, exclusive = false))]
    fn create(
        py: Python<'_>,
        name: Option<String>,
        size: u64,
        protection: u32,
        exclusive: bool,
    ) -> PyResult<Mapping> {
        let m = py
            .detach(|| {
                fmap::MappingOptions::new()
                    .flprotect(protection)
                    .size(size)
                    .name(name.as_deref().unwrap_or(""))
                    .create()
            })
            .map_err(err)?;
        check_exclusive(py, exclusive, m.already_existed(), m.name())?;
        Ok(Mapping::wrap(m))
    }

    /// `OpenFileMapping`: opens the existing section `name` with the rights `access`
    /// (`Access`/`FILE_MAP_*`; default `FILE_MAP_ALL_ACCESS`). `FileNotFoundError` if there
    /// is none, `PermissionError` if the rights are not granted.
    #[staticmethod]
    #[pyo3(signature = (name, access = FILE_MAP_ALL_ACCESS))]
    fn open(py: Python<'_>, name: String, access: u32) -> PyResult<Mapping> {
        let m = py
            .detach(|| fmap::Mapping::open(&name, fmap::Access::from_bits_retain(access)))
            .map_err(err)?;
        Ok(Mapping::wrap(m))
    }

    /// `MapViewOfFile`: maps `size` bytes (None: to the end) of the section from `offset` (a
    /// multiple of 64 KiB). `access`: `FILE_MAP_WRITE` (read/write), `FILE_MAP_READ`
    /// (read-only) or `FILE_MAP_COPY` (copy-on-write); None picks a writable view if the handle
    /// and the section allow one, else a read-only one.
    #[pyo3(signature = (access = None, offset = 0, size = None))]
    fn map_view(
        &self,
        py: Python<'_>,
        access: Option<u32>,
        offset: u64,
        size: Option<u64>,
    ) -> PyResult<View> {
        let m = self.h.get()?;
        let access = access.unwrap_or_else(|| default_view_access(&m));
        let view = py
            .detach(|| {
                let a = fmap::Access::from_bits_retain(access);
                match size {
                    None => m.map_view(a, offset..),
                    Some(n) => m.map_view(a, offset..offset.saturating_add(n)),
                }
            })
            .map_err(err)?;
        Ok(View::new(view, offset, self.name.clone()))
    }

    /// The section's size in bytes (whole pages).
    #[getter]
    fn size(&self) -> u64 {
        self.size
    }

    /// The section's page protection (`PAGE_*`).
    #[getter]
    fn protection(&self) -> u32 {
        self.protection
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let name = repr_name(py, self.name.as_deref());
        if self.h.is_closed() {
            format!("<fmap.Mapping name={name} closed>")
        } else {
            format!("<fmap.Mapping name={name} size={}>", self.size)
        }
    }
}

/// A view of a section mapped into this process (`MapViewOfFile`). It supports the buffer
/// protocol — `memoryview(view)`, `numpy.frombuffer(view, ...)` without copying, writable
/// when the view is — as well as indexing and slicing like `bytearray`, `read` and `write`.
///
/// `close()`, the end of a `with` block or garbage collection unmaps it. `close()` while a
/// buffer export (a `memoryview`, a NumPy array) exists raises `BufferError`, as `mmap` does:
/// release the exports first. The view keeps the section's memory alive on its own, also
/// after every handle is closed.
#[pyclass(frozen, weakref, module = "fmap")]
pub struct View {
    view: RwLock<Option<fmap::View>>,
    /// Live buffer exports; changed only with `view` locked (for reading), so `close`, which
    /// locks it for writing, sees them all.
    exports: AtomicUsize,
    offset: u64,
    writable: bool,
    name: Option<String>,
}

impl View {
    fn new(v: fmap::View, offset: u64, name: Option<String>) -> View {
        let p = v.protection();
        View {
            // Copy-on-write views are writable too (the writes stay private).
            writable: p.is_writable() || p.is_copy_on_write(),
            view: RwLock::new(Some(v)),
            exports: AtomicUsize::new(0),
            offset,
            name,
        }
    }

    fn lock(&self) -> RwLockReadGuard<'_, Option<fmap::View>> {
        self.view.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the open view, with its lock held; the error becomes a Python exception
    /// after the lock is released (see [`Fail`]).
    fn with<R>(&self, f: impl FnOnce(&fmap::View) -> Result<R, Fail>) -> PyResult<R> {
        let r = match &*self.lock() {
            Some(v) => f(v),
            None => Err(closed("view").into()),
        };
        r.map_err(PyErr::from)
    }

    /// The view's length (`ValueError` once it is closed).
    fn len(&self) -> PyResult<usize> {
        self.with(|v| Ok(v.len()))
    }

    fn check_writable(&self) -> PyResult<()> {
        if !self.writable {
            return Err(PyTypeError::new_err("the view is read-only"));
        }
        Ok(())
    }
}

#[pymethods]
impl View {
    /// The view's size in bytes.
    #[getter]
    fn size(&self) -> PyResult<usize> {
        self.with(|v| Ok(v.len()))
    }

    fn __len__(&self) -> PyResult<usize> {
        self.size()
    }

    /// Where the view starts in the section.
    #[getter]
    fn offset(&self) -> u64 {
        self.offset
    }

    /// Is the view read-only (a `FILE_MAP_READ` view)?
    #[getter]
    fn readonly(&self) -> bool {
        !self.writable
    }

    /// Is the view closed (unmapped)?
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// The address of the first byte in this process (for `ctypes`).
    #[getter]
    fn address(&self) -> PyResult<usize> {
        self.with(|v| Ok(v.as_ptr() as usize))
    }

    /// The view's page protection (`PAGE_*`).
    #[getter]
    fn protection(&self) -> PyResult<u32> {
        self.with(|v| Ok(v.protection().to_win32()))
    }

    /// Copies `size` bytes (None: to the end) from `offset` of the view.
    #[pyo3(signature = (offset = 0, size = None))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        offset: usize,
        size: Option<usize>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let data = self.with(|v| {
            let n = match size {
                Some(n) => n,
                None => v.len().checked_sub(offset).ok_or_else(|| {
                    Fail::Py(PyValueError::new_err(format!(
                        "offset {offset} is past the end of the view ({} bytes)",
                        v.len()
                    )))
                })?,
            };
            Ok(read(v, offset, n)?)
        })?;
        Ok(PyBytes::new(py, &data))
    }

    /// Copies the bytes-like `data` into the view at `offset`; returns the number of bytes
    /// written.
    #[pyo3(signature = (data, offset = 0))]
    fn write(&self, data: &Bound<'_, PyAny>, offset: usize) -> PyResult<usize> {
        self.check_writable()?;
        let data = bytes_of(data)?;
        self.with(|v| {
            v.write(offset, &data)?;
            Ok(data.len())
        })
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let key = Key::parse(key, self.len()?, "view")?;
        self.with(|v| Ok(get_item(v, &key)?))?.into_py(py)
    }

    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.check_writable()?;
        let key = Key::parse(key, self.len()?, "view")?;
        let value = Value::parse(&key, value, "view")?;
        self.with(|v| Ok(set_item(v, &key, &value)?))
    }

    fn __delitem__(&self, _key: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "view object doesn't support item deletion",
        ))
    }

    /// `FlushViewOfFile` (nothing to do for shared memory, which has no file).
    fn flush(&self) -> PyResult<()> {
        self.with(|v| Ok(v.flush()?))
    }

    /// `UnmapViewOfFile`. `BufferError` while a `memoryview` or NumPy array of the view
    /// exists. Closing a closed view does nothing.
    fn close(&self) -> PyResult<()> {
        let mut g = self.view.write().unwrap_or_else(|e| e.into_inner());
        if self.exports.load(SeqCst) > 0 {
            return Err(PyBufferError::new_err(
                "cannot close exported pointers exist",
            ));
        }
        drop(g.take());
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the view.
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    /// Buffer protocol: the view's memory itself, writable if the view is.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let this = slf.get();
        let g = this.lock();
        let v = g.as_ref().ok_or_else(|| closed("view"))?;
        // SAFETY: `view` comes from Python's bf_getbuffer; the mapping stays until `close`,
        // which refuses while `exports` (incremented below, under the same lock) is non-zero,
        // and the export holds a reference to `slf`, so it is not unmapped by deallocation.
        unsafe {
            fill_buffer(
                view,
                slf.as_any(),
                v.as_mut_ptr(),
                v.len(),
                !this.writable,
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

    fn __repr__(&self, py: Python<'_>) -> String {
        let name = match &self.name {
            Some(_) => format!(" of {}", repr_name(py, self.name.as_deref())),
            None => String::new(),
        };
        match &*self.lock() {
            None => format!("<fmap.View{name} closed>"),
            Some(v) => format!(
                "<fmap.View{name} offset={} size={}{}>",
                self.offset,
                v.len(),
                if self.writable { "" } else { " readonly" }
            ),
        }
    }
}
