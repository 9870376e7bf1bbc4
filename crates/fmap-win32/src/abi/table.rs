//! `HANDLE` values and the process-wide handle table that every exported function resolves its
//! handle arguments through (the Win32 functions on handles themselves, `CloseHandle` and
//! `DuplicateHandle`, are in [`crate::objects::handles`]).
//!
//! A `HANDLE` is `(slot + 1) * 4`: a small multiple of 4, never 0. As on Windows the two low
//! bits are ignored, so a valid handle OR-ed with 1, 2 or 3 still names its object. Every
//! lookup of a value that is not a live slot — never issued, closed, NULL, a wild pointer —
//! gives `ERROR_INVALID_HANDLE`, never a crash. Freed slots are reused oldest-first, so a
//! just-closed handle stays invalid for as long as possible.
//!
//! Entries are `Arc`s: an operation takes its own reference and releases the table lock before
//! it blocks, so `CloseHandle` of a handle another thread is waiting on closes the handle while
//! the wait keeps the object (what Windows does, too).

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::runtime::file::FileObj;
use crate::runtime::process::Task;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::sync::{Arc, Mutex};

/// `HANDLE` as the C ABI sees it.
pub type Handle = *mut c_void;

/// `GetCurrentProcess()`.
pub const CURRENT_PROCESS: Handle = INVALID_HANDLE_VALUE as Handle;
/// `GetCurrentThread()`.
pub const CURRENT_THREAD: Handle = CURRENT_THREAD_PSEUDO_HANDLE as Handle;

/// What a handle refers to.
#[derive(Debug)]
pub enum Obj {
    /// A section, mutex, event or semaphore: the library's own any-object handle.
    Named(fmap::AnyObject),
    /// A file and the handle's rights (`FILE_*` bits, generic rights mapped). Duplicated file
    /// handles share the file object (and so its position), as on Windows, each with its own
    /// rights.
    File(Arc<FileObj>, u32),
    Thread(Arc<Task>),
    /// A process; `true` for the `hThread` of `CreateProcess` (its main thread).
    Process(Arc<Task>, bool),
}

impl<T: Into<fmap::AnyObject>> From<T> for Obj {
    fn from(o: T) -> Obj {
        Obj::Named(o.into())
    }
}

struct Table {
    slots: Vec<Option<Arc<Obj>>>,
    free: VecDeque<usize>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    slots: Vec::new(),
    free: VecDeque::new(),
});

/// At most this many handles are open at once (Windows allows about 16 million per process).
const MAX_HANDLES: usize = 1 << 24;
/// Closed slots are reused only once this many are waiting, so that a stale handle keeps
/// failing with `ERROR_INVALID_HANDLE` instead of naming a newer object.
const REUSE_AFTER: usize = 1024;

fn table() -> std::sync::MutexGuard<'static, Table> {
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

fn slot_of(h: Handle) -> Option<usize> {
    let v = (h as usize) & !3;
    if v == 0 || v > MAX_HANDLES * 4 {
        return None;
    }
    Some(v / 4 - 1)
}

/// Enters an object into the table; `Err(ERROR_NOT_ENOUGH_MEMORY)` when it is full.
pub fn insert(obj: Obj) -> Result<Handle, u32> {
    let mut t = table();
    let slot = if t.free.len() > REUSE_AFTER || t.slots.len() >= MAX_HANDLES {
        t.free.pop_front().ok_or(ERROR_NOT_ENOUGH_MEMORY)?
    } else {
        t.slots.push(None);
        t.slots.len() - 1
    };
    t.slots[slot] = Some(Arc::new(obj));
    Ok(((slot + 1) * 4) as Handle)
}

/// The object a handle refers to.
pub fn get(h: Handle) -> Result<Arc<Obj>, u32> {
    let s = slot_of(h).ok_or(ERROR_INVALID_HANDLE)?;
    table()
        .slots
        .get(s)
        .and_then(|o| o.clone())
        .ok_or(ERROR_INVALID_HANDLE)
}

/// Removes a handle from the table and returns its object (dropping it, outside the table
/// lock, closes the handle).
pub fn remove(h: Handle) -> Result<Arc<Obj>, u32> {
    let s = slot_of(h).ok_or(ERROR_INVALID_HANDLE)?;
    let mut t = table();
    let obj = t
        .slots
        .get_mut(s)
        .and_then(|o| o.take())
        .ok_or(ERROR_INVALID_HANDLE)?;
    t.free.push_back(s);
    Ok(obj)
}

/// Is `h` one of the pseudo handles (`GetCurrentProcess()`, `GetCurrentThread()`)?
pub fn is_pseudo(h: Handle) -> bool {
    h == CURRENT_PROCESS || h == CURRENT_THREAD
}

/// Enters a freshly created or opened object: the last error becomes `ERROR_ALREADY_EXISTS`
/// if `existed`, else 0 (the `Create*` rule), and a full table gives NULL.
pub fn created(obj: Obj, existed: bool) -> Handle {
    match insert(obj) {
        Ok(h) => fail(if existed { ERROR_ALREADY_EXISTS } else { 0 }, h),
        Err(e) => fail(e, std::ptr::null_mut()),
    }
}

/// Enters an object from a successful `Open*` (last error untouched).
pub fn opened(obj: Obj) -> Handle {
    match insert(obj) {
        Ok(h) => h,
        Err(e) => fail(e, std::ptr::null_mut()),
    }
}
