//! Alertable waits and asynchronous procedure calls: `QueueUserAPC`, `SleepEx`,
//! `WaitForSingleObjectEx`, `WaitForMultipleObjectsEx`.
//!
//! Each thread that is sent an APC gets a queue and an unnamed auto-reset event of the library
//! (so the wait engine that waits on mutexes, events and semaphores also wakes for an APC). An
//! alertable wait first runs the APCs already queued; otherwise it waits for its objects *or*
//! that event: `wait_any` over the objects plus the event. When the event wins, the queued APCs
//! run on the waiting thread, in the order they were queued, and the wait returns
//! `WAIT_IO_COMPLETION`, as on Windows. A non-alertable wait never runs APCs; they stay queued.
//!
//! Two cases cannot add the event to the same wait — a wait-all (which would then need the
//! event too) and a wait on the full 64 objects — so they wait in slices of
//! `ALERT_SLICE` (10 ms) and look at the queue between slices: an APC then runs within that time
//! instead of at once.

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::{self, Handle, Obj};
use crate::objects::sync::{timeout, wait_result, waitable};
use fmap::Waitable;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `WAIT_IO_COMPLETION`: an alertable wait ended because APCs ran.
pub const WAIT_IO_COMPLETION: u32 = 0xC0;

/// How long a wait-all (or a wait on 64 objects) waits between looks at its APC queue.
const ALERT_SLICE: Duration = Duration::from_millis(10);

/// `PAPCFUNC`.
pub type ApcFn = unsafe extern "C" fn(usize);

/// One thread's queued APCs and the event that wakes its alertable waits.
struct Queue {
    items: Mutex<VecDeque<(ApcFn, usize)>>,
    event: fmap::Event,
}

/// The queues, by thread id.
static QUEUES: Mutex<Option<HashMap<u32, Arc<Queue>>>> = Mutex::new(None);

/// The queue of thread `tid`, made on first use.
fn queue(tid: u32) -> Result<Arc<Queue>, u32> {
    let mut all = QUEUES.lock().unwrap_or_else(|e| e.into_inner());
    let map = all.get_or_insert_with(HashMap::new);
    if let Some(q) = map.get(&tid) {
        return Ok(q.clone());
    }
    let event = fmap::Event::create(None, false, false).map_err(|e| e.win32_code())?;
    let q = Arc::new(Queue {
        items: Mutex::new(VecDeque::new()),
        event,
    });
    map.insert(tid, q.clone());
    Ok(q)
}

fn current_tid() -> u32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u32 }
}

/// Runs the calling thread's queued APCs (also those queued while they run); true if any ran.
fn run_queued(q: &Queue) -> bool {
    let mut ran = false;
    loop {
        let next = q
            .items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        let Some((f, data)) = next else {
            return ran;
        };
        // SAFETY: the routine and its argument are what QueueUserAPC's caller vouched for;
        // APCs run on the target thread inside an alertable wait, as on Windows.
        unsafe { f(data) };
        ran = true;
    }
}

/// `QueueUserAPC`: queues `f(data)` to run on thread `h` the next time it waits alertably.
/// Threads of this process only (`ERROR_INVALID_HANDLE` for other handles).
///
/// # Safety
/// `f` must be safe to call with `data` on the target thread.
#[no_mangle]
pub unsafe extern "C" fn QueueUserAPC(f: Option<ApcFn>, h: Handle, data: usize) -> u32 {
    let Some(f) = f else {
        return fail(ERROR_INVALID_PARAMETER, 0);
    };
    let tid = if h == table::CURRENT_THREAD {
        current_tid()
    } else {
        match table::get(h).as_deref() {
            Ok(Obj::Thread(t)) => t.id.load(std::sync::atomic::Ordering::SeqCst),
            _ => return fail(ERROR_INVALID_HANDLE, 0),
        }
    };
    let q = match queue(tid) {
        Ok(q) => q,
        Err(e) => return fail(e, 0),
    };
    q.items
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push_back((f, data));
    if let Err(e) = q.event.set() {
        return fail(e.win32_code(), 0);
    }
    1
}

/// Removes the calling thread's queue when the thread ends (its APCs can never run then).
struct Unregister(u32);

impl Drop for Unregister {
    fn drop(&mut self) {
        if let Some(map) = QUEUES.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            map.remove(&self.0);
        }
    }
}

thread_local! {
    static REGISTERED: std::cell::OnceCell<Unregister> = const { std::cell::OnceCell::new() };
}

/// Waits alertably on `objs` (`all`: every one) for at most `ms`.
fn alertable_wait(objs: &[&dyn Waitable], all: bool, ms: u32) -> u32 {
    let tid = current_tid();
    let q = match queue(tid) {
        Ok(q) => q,
        Err(e) => return fail(e, WAIT_FAILED),
    };
    let _ = REGISTERED.try_with(|r| {
        r.get_or_init(|| Unregister(tid));
    });
    if run_queued(&q) {
        return WAIT_IO_COMPLETION;
    }
    let deadline = timeout(ms).map(|d| Instant::now() + d);
    let left = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
    loop {
        if !all && objs.len() < MAXIMUM_WAIT_OBJECTS as usize {
            let mut with_event: Vec<&dyn Waitable> = objs.to_vec();
            with_event.push(&q.event);
            match fmap::wait_any(&with_event, left()) {
                Ok(fmap::WaitResult::Signaled(i)) if i == objs.len() => {
                    if run_queued(&q) {
                        return WAIT_IO_COMPLETION;
                    }
                    // A set with nothing queued (the APCs ran already): wait on.
                }
                r => return wait_result(r),
            }
        } else {
            let slice = left().map_or(ALERT_SLICE, |l| l.min(ALERT_SLICE));
            let r = if all {
                fmap::wait_all(objs, Some(slice))
            } else {
                fmap::wait_any(objs, Some(slice))
            };
            match r {
                Ok(fmap::WaitResult::TimedOut) => {
                    if run_queued(&q) {
                        return WAIT_IO_COMPLETION;
                    }
                    if left() == Some(Duration::ZERO) {
                        return WAIT_TIMEOUT;
                    }
                }
                r => return wait_result(r),
            }
        }
        if left() == Some(Duration::ZERO) {
            return WAIT_TIMEOUT;
        }
    }
}

/// `SleepEx`: with `alertable`, returns `WAIT_IO_COMPLETION` as soon as APCs ran, else 0 after
/// `ms`.
#[no_mangle]
pub extern "C" fn SleepEx(ms: u32, alertable: i32) -> u32 {
    if alertable == 0 {
        match timeout(ms) {
            Some(d) => std::thread::sleep(d),
            None => loop {
                std::thread::park();
            },
        }
        return 0;
    }
    match alertable_wait(&[], false, ms) {
        WAIT_TIMEOUT => 0,
        r => r,
    }
}

#[no_mangle]
pub extern "C" fn WaitForSingleObjectEx(h: Handle, ms: u32, alertable: i32) -> u32 {
    if alertable == 0 {
        return crate::objects::sync::WaitForSingleObject(h, ms);
    }
    if table::is_pseudo(h) {
        // This process or thread never ends while it waits: only APCs or the timeout end it.
        return alertable_wait(&[], false, ms);
    }
    let obj = match table::get(h) {
        Ok(o) => o,
        Err(e) => return fail(e, WAIT_FAILED),
    };
    match waitable(&obj) {
        Ok(w) => alertable_wait(&[w], false, ms),
        Err(e) => fail(e, WAIT_FAILED),
    }
}

/// # Safety
/// `hs` must point to `count` readable `HANDLE`s.
#[no_mangle]
pub unsafe extern "C" fn WaitForMultipleObjectsEx(
    count: u32,
    hs: *const Handle,
    all: i32,
    ms: u32,
    alertable: i32,
) -> u32 {
    if alertable == 0 {
        // SAFETY: forwarded contract.
        return unsafe { crate::objects::sync::WaitForMultipleObjects(count, hs, all, ms) };
    }
    if count == 0 || count > MAXIMUM_WAIT_OBJECTS || hs.is_null() {
        return fail(ERROR_INVALID_PARAMETER, WAIT_FAILED);
    }
    // SAFETY: the caller passes `count` readable handles (non-NULL checked above).
    let hs = unsafe { std::slice::from_raw_parts(hs, count as usize) };
    let mut objs = Vec::with_capacity(hs.len());
    for &h in hs {
        match table::get(h) {
            Ok(o) => objs.push(o),
            Err(e) => return fail(e, WAIT_FAILED),
        }
    }
    let mut ws: Vec<&dyn Waitable> = Vec::with_capacity(objs.len());
    for o in &objs {
        match waitable(o) {
            Ok(w) => ws.push(w),
            Err(e) => return fail(e, WAIT_FAILED),
        }
    }
    alertable_wait(&ws, all != 0, ms)
}
