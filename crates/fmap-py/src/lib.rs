//! `fmap._fmap`: the native module of the Python package `fmap` (`python/fmap/`), built with
//! PyO3 and maturin (`pyproject.toml`). Windows-style named shared memory and named
//! mutexes, events and semaphores for Python on Linux, on top of the `fmap` crate.
//!
//! | Python | here | on |
//! |---|---|---|
//! | `fmap.Mapping`, `fmap.View` | `section.rs` | [`fmap::Mapping`], [`fmap::View`] |
//! | `fmap.Mutex`, `fmap.Event`, `fmap.Semaphore` | `sync.rs` | [`fmap::Mutex`], [`fmap::Event`], [`fmap::Semaphore`] |
//! | `fmap.wait_any`, `fmap.wait_all`, `fmap.WaitResult` | `wait.rs` | [`fmap::wait_any_checked`], [`fmap::wait_all_checked`] |
//! | `fmap.mmap` | `mmap.rs` | Python's `mmap.mmap` on Windows, with `tagname` |
//! | buffer protocol, indexing | `bytes.rs` | |
//! | exceptions | `errors.rs` | `python/fmap/_exceptions.py` |
//!
//! The module has no Rust tests: it is tested from Python (`tests/`, pytest).
// Every `unsafe` operation sits in an `unsafe {}` block with a `// SAFETY:` comment.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod bytes;
mod errors;
mod mmap;
mod section;
mod sync;
mod wait;

use pyo3::prelude::*;

#[pymodule]
fn _fmap(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<section::Mapping>()?;
    m.add_class::<section::View>()?;
    m.add_class::<sync::Mutex>()?;
    m.add_class::<sync::Event>()?;
    m.add_class::<sync::Semaphore>()?;
    m.add_class::<wait::WaitResult>()?;
    m.add_class::<mmap::Mmap>()?;
    m.add_function(wrap_pyfunction!(wait::wait_any, m)?)?;
    m.add_function(wrap_pyfunction!(wait::wait_all, m)?)?;
    m.add_function(wrap_pyfunction!(wait::set_spin, m)?)?;

    use fmap::win32::*;
    let ints: &[(&str, u32)] = &[
        ("FILE_MAP_COPY", FILE_MAP_COPY),
        ("FILE_MAP_WRITE", FILE_MAP_WRITE),
        ("FILE_MAP_READ", FILE_MAP_READ),
        ("FILE_MAP_EXECUTE", FILE_MAP_EXECUTE),
        ("FILE_MAP_ALL_ACCESS", FILE_MAP_ALL_ACCESS),
        ("PAGE_READONLY", PAGE_READONLY),
        ("PAGE_READWRITE", PAGE_READWRITE),
        ("PAGE_WRITECOPY", PAGE_WRITECOPY),
        ("PAGE_EXECUTE_READ", PAGE_EXECUTE_READ),
        ("PAGE_EXECUTE_READWRITE", PAGE_EXECUTE_READWRITE),
        ("PAGE_EXECUTE_WRITECOPY", PAGE_EXECUTE_WRITECOPY),
        ("SEC_COMMIT", SEC_COMMIT),
        ("SEC_RESERVE", SEC_RESERVE),
        ("SYNCHRONIZE", SYNCHRONIZE),
        ("DELETE", DELETE),
        ("READ_CONTROL", READ_CONTROL),
        ("WRITE_DAC", WRITE_DAC),
        ("WRITE_OWNER", WRITE_OWNER),
        ("GENERIC_READ", GENERIC_READ),
        ("GENERIC_WRITE", GENERIC_WRITE),
        ("GENERIC_EXECUTE", GENERIC_EXECUTE),
        ("GENERIC_ALL", GENERIC_ALL),
        ("MAXIMUM_ALLOWED", MAXIMUM_ALLOWED),
        ("MUTEX_ALL_ACCESS", MUTEX_ALL_ACCESS),
        ("MUTANT_QUERY_STATE", MUTANT_QUERY_STATE),
        ("EVENT_ALL_ACCESS", EVENT_ALL_ACCESS),
        ("EVENT_QUERY_STATE", EVENT_QUERY_STATE),
        ("EVENT_MODIFY_STATE", EVENT_MODIFY_STATE),
        ("SEMAPHORE_ALL_ACCESS", SEMAPHORE_ALL_ACCESS),
        ("SEMAPHORE_QUERY_STATE", SEMAPHORE_QUERY_STATE),
        ("SEMAPHORE_MODIFY_STATE", SEMAPHORE_MODIFY_STATE),
        ("WAIT_OBJECT_0", WAIT_OBJECT_0),
        ("WAIT_ABANDONED_0", WAIT_ABANDONED_0),
        ("WAIT_TIMEOUT", WAIT_TIMEOUT),
        ("ERROR_FILE_NOT_FOUND", ERROR_FILE_NOT_FOUND),
        ("ERROR_PATH_NOT_FOUND", ERROR_PATH_NOT_FOUND),
        ("ERROR_ACCESS_DENIED", ERROR_ACCESS_DENIED),
        ("ERROR_INVALID_HANDLE", ERROR_INVALID_HANDLE),
        ("ERROR_NOT_ENOUGH_MEMORY", ERROR_NOT_ENOUGH_MEMORY),
        ("ERROR_INVALID_PARAMETER", ERROR_INVALID_PARAMETER),
        ("ERROR_INVALID_NAME", ERROR_INVALID_NAME),
        ("ERROR_ALREADY_EXISTS", ERROR_ALREADY_EXISTS),
        ("ERROR_FILENAME_EXCED_RANGE", ERROR_FILENAME_EXCED_RANGE),
        ("ERROR_NOT_OWNER", ERROR_NOT_OWNER),
        ("ERROR_TOO_MANY_POSTS", ERROR_TOO_MANY_POSTS),
        ("ERROR_MAPPED_ALIGNMENT", ERROR_MAPPED_ALIGNMENT),
        ("ERROR_COMMITMENT_LIMIT", ERROR_COMMITMENT_LIMIT),
        ("ERROR_NOT_SUPPORTED", ERROR_NOT_SUPPORTED),
    ];
    for (name, value) in ints {
        m.add(*name, *value)?;
    }
    m.add("ACCESS_DEFAULT", mmap::ACCESS_DEFAULT)?;
    m.add("ACCESS_READ", mmap::ACCESS_READ)?;
    m.add("ACCESS_WRITE", mmap::ACCESS_WRITE)?;
    m.add("ACCESS_COPY", mmap::ACCESS_COPY)?;
    m.add("ALLOCATIONGRANULARITY", ALLOCATION_GRANULARITY)?;
    m.add("PAGESIZE", PAGE_SIZE)?;
    m.add("MAXIMUM_WAIT_OBJECTS", MAXIMUM_WAIT_OBJECTS)?;
    m.add("ROOT_ENV", fmap::ROOT_ENV)?;
    Ok(())
}
