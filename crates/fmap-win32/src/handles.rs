//! The process-wide handle table and the per-thread last-error value.
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

use crate::consts::*;
use crate::process::Task;
use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// `HANDLE` as the C ABI sees it.
pub type Handle = *mut c_void;

/// `GetCurrentProcess()`.
pub const CURRENT_PROCESS: Handle = INVALID_HANDLE_VALUE as Handle;
/// `GetCurrentThread()`.
pub const CURRENT_THREAD: Handle = CURRENT_THREAD_PSEUDO_HANDLE as Handle;

/// A file opened with `CreateFile`.
#[derive(Debug)]
pub struct FileObj {
    pub file: fmap::File,
    /// `FILE_FLAG_DELETE_ON_CLOSE`: removed when the last handle is closed.
    pub delete_on_close: Option<PathBuf>,
}

impl Drop for FileObj {
    fn drop(&mut self) {
        if let Some(p) = &self.delete_on_close {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// What a handle refers to.
#[derive(Debug)]
pub enum Obj {
    Mapping(fmap::Mapping),
    Mutex(fmap::Mutex),
    Event(fmap::Event),
    Semaphore(fmap::Semaphore),
    /// Duplicated file handles share the file object (and so its position), as on Windows.
    File(Arc<FileObj>),
    Thread(Arc<Task>),
    /// A process; `true` for the `hThread` of `CreateProcess` (its main thread).
    Process(Arc<Task>, bool),
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

thread_local! {
    static LAST_ERROR: Cell<u32> = const { Cell::new(0) };
}

/// `SetLastError` from Rust.
pub fn set_last_error(code: u32) {
    LAST_ERROR.with(|c| c.set(code));
}

/// `GetLastError` from Rust.
pub fn last_error() -> u32 {
    LAST_ERROR.with(|c| c.get())
}

/// Sets the last error to `code` and returns `ret`: the failure path of every function.
pub fn fail<T>(code: u32, ret: T) -> T {
    set_last_error(code);
    ret
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

#[no_mangle]
pub extern "C" fn GetLastError() -> u32 {
    last_error()
}

#[no_mangle]
pub extern "C" fn SetLastError(code: u32) {
    set_last_error(code)
}

#[no_mangle]
pub extern "C" fn CloseHandle(h: Handle) -> i32 {
    if is_pseudo(h) {
        return TRUE; // closing a pseudo handle does nothing
    }
    match remove(h) {
        Ok(obj) => {
            drop(obj);
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}

#[no_mangle]
pub extern "C" fn GetCurrentProcess() -> Handle {
    CURRENT_PROCESS
}

#[no_mangle]
pub extern "C" fn GetCurrentThread() -> Handle {
    CURRENT_THREAD
}

/// `DuplicateHandle` within this process (source and target process must be
/// `GetCurrentProcess()`).
///
/// # Safety
/// `target` must be NULL or point to a writable `HANDLE`.
#[no_mangle]
pub unsafe extern "C" fn DuplicateHandle(
    source_process: Handle,
    source: Handle,
    target_process: Handle,
    target: *mut Handle,
    access: u32,
    _inherit: i32,
    options: u32,
) -> i32 {
    for p in [source_process, target_process] {
        if p != CURRENT_PROCESS {
            // A real process handle (ours or a child's): handles cannot be moved between
            // processes on Linux.
            let code = match get(p).as_deref() {
                Ok(Obj::Process(..)) => ERROR_NOT_SUPPORTED,
                _ => ERROR_INVALID_HANDLE,
            };
            return fail(code, FALSE);
        }
    }
    if is_pseudo(source) {
        return fail(ERROR_NOT_SUPPORTED, FALSE);
    }
    let obj = match get(source) {
        Ok(o) => o,
        Err(e) => return fail(e, FALSE),
    };
    // DUPLICATE_CLOSE_SOURCE closes the source whatever happens (after the new handle exists).
    let close_source = || {
        if options & DUPLICATE_CLOSE_SOURCE != 0 {
            let _ = remove(source);
        }
    };
    let same = options & DUPLICATE_SAME_ACCESS != 0;
    let dup = match &*obj {
        Obj::Mapping(m) => if same {
            m.try_clone()
        } else {
            m.duplicate(fmap::Access(access))
        }
        .map(Obj::Mapping),
        Obj::Mutex(m) => m.duplicate((!same).then_some(access)).map(Obj::Mutex),
        Obj::Event(e) => e.duplicate((!same).then_some(access)).map(Obj::Event),
        Obj::Semaphore(s) => s.duplicate((!same).then_some(access)).map(Obj::Semaphore),
        Obj::File(f) => Ok(Obj::File(f.clone())),
        Obj::Thread(t) => Ok(Obj::Thread(t.clone())),
        Obj::Process(t, main) => Ok(Obj::Process(t.clone(), *main)),
    };
    drop(obj);
    let dup = match dup {
        Ok(d) => d,
        Err(e) => {
            close_source();
            return fail(e.win32_code(), FALSE);
        }
    };
    let inserted = insert(dup);
    close_source();
    match inserted {
        Ok(h) => {
            if target.is_null() {
                let _ = remove(h);
            } else {
                // SAFETY: the caller passes a writable HANDLE (checked non-NULL above).
                unsafe { target.write(h) };
            }
            TRUE
        }
        Err(e) => fail(e, FALSE),
    }
}
