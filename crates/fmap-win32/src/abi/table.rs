//! `HANDLE` values and the process-wide handle table that every exported function resolves its
//! handle arguments through (the Win32 functions on handles themselves, `CloseHandle` and
//! `DuplicateHandle`, are in [`crate::objects::handles`]).
//!
//! # Handle values
//!
//! A `HANDLE` is `((slot + 1) << 7) | (generation << 2)`: a multiple of 4, never 0, below 2^31
//! (so it survives the truncation to 32 bits and sign extension back that Windows allows for
//! handles), with a 5-bit generation that counts the reuses of its slot. As on Windows the two
//! low bits are ignored, so a valid handle OR-ed with 1, 2 or 3 still names its object. Every
//! lookup of a value that is not a live handle — never issued, closed, NULL, a wild pointer —
//! gives `ERROR_INVALID_HANDLE`, never a crash. A closed handle's slot is reused only once more
//! than [`REUSE_AFTER`] other slots are free (oldest first), and with the next generation, so a
//! stale handle value names a newer object only after its slot has been reused 32 times, that
//! is after at least 32 × 4097 other handles have been closed.
//!
//! # Lookups without a lock
//!
//! The slots are one region of address space reserved once (the kernel allocates its pages as
//! handles reach them), never freed or moved: a lookup indexes it without a lock. A slot holds
//! the raw pointer of an `Arc<Entry>` (the object and the generation it was entered with), or
//! NULL. Inserting and removing take the allocator's lock (the free list); a lookup takes no
//! lock, does no read-modify-write and no fence: it is wait-free (after the calling thread's
//! first lookup, which registers the thread once).
//!
//! What keeps the object alive while a lookup uses it is a per-thread *announcement* (hazard
//! slot): before it reads a slot, the thread stores which slot it is about to read in its own
//! `Reader` record, and clears it when done. `CloseHandle` clears the slot, then waits until
//! no thread announces that slot any more (an announcement made from then on reads the cleared
//! slot), and only then drops the table's reference. The lookup's use of the object is a few
//! non-blocking instructions (`ReleaseMutex`, `SetEvent`, the first attempt of a wait); a
//! function that may block first takes its own reference (an `Arc` clone, [`get`]) inside the
//! announcement and uses that — so `CloseHandle` of a handle another thread is waiting on closes
//! the handle while the wait keeps the object (what Windows does), and `CloseHandle` never waits
//! for a blocked thread.
//!
//! The memory-ordering argument (the classic store → load pattern on both sides: the reader
//! stores its announcement then loads the slot; the closer stores the slot then loads the
//! announcements) is written at `enter` and `synchronize`. The reader's side needs a full
//! fence between its store and its load; to keep that fence off the fast path the closer issues
//! it *for* every thread with `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` (Linux 4.14), which
//! runs a full memory barrier on every CPU running a thread of this process (the "asymmetric
//! fence" of liburcu and folly). Where `membarrier` is not available, readers run the fence
//! themselves. A process where only one thread has ever looked a handle up skips the
//! `membarrier` call (see `synchronize`).

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::runtime::file::FileObj;
use crate::runtime::process::Task;
use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::ptr::{null, null_mut};
use std::sync::atomic::{compiler_fence, fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize};
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering::*};
use std::sync::{Arc, Mutex, Once};

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
    /// A process; `true` for the `hThread` of `CreateProcess` (its main thread); the handle's
    /// `PROCESS_*` rights (`SYNCHRONIZE` included).
    Process(Arc<Task>, bool, u32),
    /// A Tool Help snapshot (`CreateToolhelp32Snapshot`).
    Snapshot(Arc<crate::runtime::toolhelp::Snapshot>),
}

impl<T: Into<fmap::AnyObject>> From<T> for Obj {
    fn from(o: T) -> Obj {
        Obj::Named(o.into())
    }
}

/// What a slot points to: the object. Aligned to 32 bytes so that a slot can hold the
/// generation in the pointer's five low bits (one load gives both).
#[derive(Debug)]
#[repr(align(32))]
struct Entry {
    obj: Obj,
    /// The handle's `HANDLE_FLAG_INHERIT` and `HANDLE_FLAG_PROTECT_FROM_CLOSE` bits
    /// (`GetHandleInformation`); a property of the handle, so duplicates get their own.
    flags: AtomicU32,
}

/// A slot's word: the entry's pointer (`Arc::into_raw`) OR its generation, or 0 (free).
fn pack(p: *const Entry, gen: u32) -> usize {
    debug_assert_eq!(p as usize & GEN_MASK as usize, 0);
    p as usize | gen as usize
}

/// The entry of a slot's word if it holds generation `gen`.
#[inline]
fn unpack(w: usize, gen: u32) -> Option<*const Entry> {
    (w != 0 && w & GEN_MASK as usize == gen as usize)
        .then_some((w & !(GEN_MASK as usize)) as *const Entry)
}

/// A counted reference to a handle's object, taken by [`get`]: it keeps the object alive after
/// the handle is closed (a wait in progress, a `DuplicateHandle`).
#[derive(Debug, Clone)]
pub struct ObjRef(Arc<Entry>);

impl std::ops::Deref for ObjRef {
    type Target = Obj;
    fn deref(&self) -> &Obj {
        &self.0.obj
    }
}

impl ObjRef {
    /// The handle's `HANDLE_FLAG_*` bits.
    pub fn flags(&self) -> u32 {
        self.0.flags.load(Relaxed)
    }
}

impl AsRef<Obj> for ObjRef {
    fn as_ref(&self) -> &Obj {
        &self.0.obj
    }
}

// ---------------------------------------------------------------------------------------------
// Handle values

/// Bits of the generation, above the two ignored low bits.
const GEN_BITS: u32 = 5;
const GEN_MASK: u32 = (1 << GEN_BITS) - 1;
/// Bit position of `slot + 1`.
const SLOT_SHIFT: u32 = GEN_BITS + 2;
/// Handle values stay below this (positive as a 32-bit `LONG`).
const VALUE_LIMIT: usize = 1 << 31;
/// At most this many handles are open at once (Windows allows 2^24 per process): `slot + 1`
/// fits in the 24 bits left below `VALUE_LIMIT`.
pub const MAX_HANDLES: usize = (VALUE_LIMIT >> SLOT_SHIFT) - 1;
/// Closed slots are reused only once more than this many are free (oldest first), so that a
/// stale handle keeps failing with `ERROR_INVALID_HANDLE` for as long as possible.
pub const REUSE_AFTER: usize = 4096;

/// The top slots are never handed out by this process itself: they hold handles other
/// processes duplicated into this one (`DuplicateHandle`, [`crate::runtime::xproc`]), under
/// values the duplicating process chose from a per-user counter ([`remote_value`]).
pub const REMOTE_SLOTS: usize = 1 << 20;
/// The first slot of the range of [`REMOTE_SLOTS`].
pub const REMOTE_FIRST: usize = MAX_HANDLES - REMOTE_SLOTS;

/// The handle value number `n` of the remote range (slot and generation from `n`, so values
/// repeat only after 2^25 of them).
pub fn remote_value(n: u64) -> Handle {
    let slot = REMOTE_FIRST + (n % REMOTE_SLOTS as u64) as usize;
    value(
        slot,
        ((n / REMOTE_SLOTS as u64) % (GEN_MASK as u64 + 1)) as u32,
    )
}

fn value(slot: usize, gen: u32) -> Handle {
    (((slot + 1) << SLOT_SHIFT) | ((gen as usize) << 2)) as Handle
}

/// The slot and generation a handle value names, if it is a handle value at all.
#[inline]
fn decode(h: Handle) -> Option<(usize, u32)> {
    let v = h as usize;
    if v >= VALUE_LIMIT {
        return None;
    }
    let s1 = v >> SLOT_SHIFT;
    if s1 == 0 {
        return None;
    }
    Some((s1 - 1, ((v >> 2) as u32) & GEN_MASK))
}

// ---------------------------------------------------------------------------------------------
// Slots: one reserved region

/// The slots: one region of address space for [`MAX_HANDLES`] pointers (128 MiB), reserved at
/// the first use of the table with `MAP_NORESERVE` and never unmapped or moved. The kernel
/// allocates its pages as slots are first written (4 KiB per 512 handles); pages no handle
/// reached read as zeros (NULL slots). One region instead of a directory of chunks keeps a
/// lookup at one dependent load (the slot) before the object.
static SLOTS: AtomicPtr<AtomicUsize> = AtomicPtr::new(null_mut());
/// How many slots the region has ([`MAX_HANDLES`], or fewer if the address space was short).
static SLOTS_LEN: AtomicUsize = AtomicUsize::new(0);

/// Reserves the region (in `init`).
fn reserve_slots() {
    let mut n = MAX_HANDLES + 1;
    while n >= 1 << 12 {
        let bytes = n * std::mem::size_of::<AtomicUsize>();
        // SAFETY: a new private anonymous mapping; nothing else refers to its addresses.
        let p = unsafe {
            libc::mmap(
                null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p != libc::MAP_FAILED {
            SLOTS_LEN.store(n.min(MAX_HANDLES), Relaxed);
            // Release: pairs with the Acquire load in `slot_ref` (SLOTS_LEN is set).
            SLOTS.store(p.cast(), Release);
            return;
        }
        n /= 2;
    }
}

/// The slot `slot`, if the region has it.
#[inline]
fn slot_ref(slot: usize) -> Option<&'static AtomicUsize> {
    let base = SLOTS.load(Acquire);
    if base.is_null() || slot >= SLOTS_LEN.load(Relaxed) {
        return None;
    }
    // SAFETY: `base` is the region `reserve_slots` mapped for SLOTS_LEN slots (visible: Acquire
    // above), never unmapped; `slot` is inside it. Zeroed memory is a valid `AtomicUsize`.
    Some(unsafe { &*base.add(slot) })
}

/// The allocator: how many slots exist and which are free (with their next generation).
struct Alloc {
    len: usize,
    free: VecDeque<(usize, u32)>,
    live: usize,
}

static ALLOC: Mutex<Alloc> = Mutex::new(Alloc {
    len: 0,
    free: VecDeque::new(),
    live: 0,
});

fn alloc() -> std::sync::MutexGuard<'static, Alloc> {
    ALLOC.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// Readers: one record per thread that looks handles up

/// A thread's announcement. Records are leaked and reused by later threads, never freed, so the
/// closer can read every record without a lock.
#[repr(align(128))] // its own cache lines: no false sharing between threads' announcements
struct Reader {
    /// `(seq << 32) | (slot + 1)` while the thread is inside a lookup of `slot`, 0 otherwise.
    /// Written only by its thread; read by closers.
    word: AtomicU64,
    /// Counts the owner's lookups (so that a closer sees a new lookup of the same slot as a
    /// change). Only its thread reads and writes it.
    seq: AtomicU32,
    /// The record belongs to a live thread.
    in_use: AtomicBool,
    /// The next record of the list (set before the record is published, never changed).
    next: AtomicPtr<Reader>,
}

/// The list of every record ever made.
static READERS: AtomicPtr<Reader> = AtomicPtr::new(null_mut());
/// Records in use (live threads that have looked a handle up).
static LIVE_READERS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's record; NULL before its first lookup and after it has exited.
    static ME: Cell<*const Reader> = const { Cell::new(null()) };
    /// Gives the record back when the thread exits.
    static REGISTRATION: Registration = const { Registration };
}

struct Registration;

impl Drop for Registration {
    fn drop(&mut self) {
        let r = ME.with(|m| m.replace(null()));
        // SAFETY: records are never freed.
        if let Some(r) = unsafe { r.as_ref() } {
            r.word.store(0, Release);
            r.in_use.store(false, Release);
            LIVE_READERS.fetch_sub(1, SeqCst);
        }
    }
}

fn readers() -> impl Iterator<Item = &'static Reader> {
    let mut p = READERS.load(Acquire);
    std::iter::from_fn(move || {
        // SAFETY: the list holds leaked records only (never freed); Acquire on the head pairs
        // with the Release compare-exchange that published each record with `next` set.
        let r = unsafe { p.as_ref()? };
        p = r.next.load(Relaxed);
        Some(r)
    })
}

/// This thread's record, registering the thread on its first call; None while the thread is
/// exiting (its thread-local storage is being destroyed).
#[inline]
fn me() -> Option<&'static Reader> {
    let p = ME.try_with(|m| m.get()).ok()?;
    // SAFETY: records are never freed.
    match unsafe { p.as_ref() } {
        Some(r) => Some(r),
        None => register(),
    }
}

#[cold]
fn register() -> Option<&'static Reader> {
    init();
    // The thread-local destructor must be able to run, or the record would never come back.
    REGISTRATION.try_with(|_| ()).ok()?;
    let r = readers()
        .find(|r| {
            r.in_use
                .compare_exchange(false, true, Acquire, Relaxed)
                .is_ok()
        })
        .unwrap_or_else(|| {
            let r: &'static mut Reader = Box::leak(Box::new(Reader {
                word: AtomicU64::new(0),
                seq: AtomicU32::new(0),
                in_use: AtomicBool::new(true),
                next: AtomicPtr::new(null_mut()),
            }));
            let mut head = READERS.load(Relaxed);
            loop {
                // Relaxed: published by the Release compare-exchange below.
                r.next.store(head, Relaxed);
                match READERS.compare_exchange_weak(head, r, Release, Relaxed) {
                    Ok(_) => break &*r,
                    Err(h) => head = h,
                }
            }
        });
    // Ordering with `synchronize`'s look at LIVE_READERS: see there.
    LIVE_READERS.fetch_add(1, SeqCst);
    fence(SeqCst);
    ME.with(|m| m.set(r));
    Some(r)
}

/// After `fork`, the child has only the forking thread: the other threads' records are free
/// (one of them may have been in a lookup at the fork, which would make every `CloseHandle`
/// of the child wait for it forever).
extern "C" fn after_fork_in_child() {
    let me = ME.try_with(|m| m.get()).unwrap_or(null());
    let mut n = 0;
    for r in readers() {
        if std::ptr::eq(r, me) {
            n += 1;
        } else {
            r.word.store(0, Relaxed);
            r.in_use.store(false, Relaxed);
        }
    }
    LIVE_READERS.store(n, SeqCst);
}

// ---------------------------------------------------------------------------------------------
// The asymmetric fence

const MEMBARRIER_CMD_GLOBAL: libc::c_int = 1;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 8;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 16;

/// 0: not decided yet or no `membarrier` — readers fence themselves; 1: closers call
/// `membarrier` and readers only need a compiler fence.
static ASYMMETRIC: AtomicU8 = AtomicU8::new(0);

fn membarrier(cmd: libc::c_int) -> bool {
    // SAFETY: membarrier takes integers only and touches no memory of ours.
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0, 0) == 0 }
}

/// Once per process, before the first handle exists: decides how readers fence.
fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a plain function (it takes no lock) to run in fork's child.
        unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        reserve_slots();
        if std::env::var_os("FMAP_TABLE_NO_MEMBARRIER").is_none()
            && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
        {
            ASYMMETRIC.store(1, SeqCst);
        }
    });
}

/// A full memory barrier on every thread of the process.
fn heavy_barrier() {
    if membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) {
        return;
    }
    // Not registered in this process (a child that lost the registration at fork): register
    // again; as a last resort the global command (slow, but always available with membarrier).
    if membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
        && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
    {
        return;
    }
    let ok = membarrier(MEMBARRIER_CMD_GLOBAL);
    assert!(ok, "membarrier failed after it was registered");
}

// ---------------------------------------------------------------------------------------------
// Lookups

/// Inside a lookup of one slot: clears the thread's announcement when dropped.
struct Announced(&'static Reader);

impl Drop for Announced {
    #[inline]
    fn drop(&mut self) {
        // Release: every use of the object in the lookup happens before a closer's Acquire
        // load that sees this store (or a later one of this thread: every later store of the
        // word is Release too), after which it may drop the object.
        self.0.word.store(0, Release);
    }
}

/// Announces that this thread reads `slot`, then reads it: the entry (valid until the returned
/// guard is dropped) if the slot holds generation `gen`.
#[inline]
fn enter(r: &'static Reader, slot: usize, gen: u32) -> (Announced, Option<&'static Entry>) {
    debug_assert_eq!(r.word.load(Relaxed), 0, "nested handle lookup");
    let seq = r.seq.load(Relaxed).wrapping_add(1);
    r.seq.store(seq, Relaxed);
    r.word
        .store((u64::from(seq) << 32) | (slot as u64 + 1), Release);
    let guard = Announced(r);
    // The store above must be visible to a closer before the load below reads the slot (store →
    // load: only a full fence orders them). With `membarrier` the closer runs that fence on this
    // thread's CPU (see `synchronize`), so this thread only has to keep the compiler from moving
    // the load above the store; without it, the fence is here.
    if ASYMMETRIC.load(Relaxed) == 1 {
        compiler_fence(SeqCst);
    } else {
        fence(SeqCst);
    }
    let Some(s) = slot_ref(slot) else {
        return (guard, None);
    };
    // Acquire: pairs with the Release store in `insert` (the entry's contents).
    let e = unpack(s.load(Acquire), gen).map(|p| {
        // SAFETY: a non-zero slot holds `Arc::into_raw` of a live entry; this thread's
        // announcement was visible to any closer before it could clear the slot and is kept
        // until `guard` is dropped, and a closer drops the table's reference only after it has
        // seen this thread's announcement change (`synchronize`), so the entry outlives the
        // guard.
        unsafe { &*p }
    });
    (guard, e)
}

/// A handle's entry during a lookup ([`with`]): the object, and a way to take a reference of
/// one's own to it.
pub struct Borrowed<'a>(&'a Entry);

impl std::ops::Deref for Borrowed<'_> {
    type Target = Obj;
    fn deref(&self) -> &Obj {
        &self.0.obj
    }
}

impl Borrowed<'_> {
    /// A counted reference to the object, which outlives the lookup (and the handle).
    pub fn to_ref(&self) -> ObjRef {
        let e: *const Entry = self.0;
        // SAFETY: every entry lives in an `Arc` and `e` is the pointer `Arc::into_raw` gave
        // (the slot's, or that of the `Arc` `get_locked` holds); a reference — the table's
        // while the lookup's announcement stands (see `enter`), or `get_locked`'s — keeps the
        // count above zero for as long as `self` exists, so adding one and taking it over is
        // sound.
        ObjRef(unsafe {
            Arc::increment_strong_count(e);
            Arc::from_raw(e)
        })
    }
}

/// Runs `f` on the entry of `h` without taking a reference: the fast path of the functions
/// that do not block (`f` must not block for long — a `CloseHandle` of the handle waits for it
/// — and must not look up handles; to block, it takes a reference with
/// [`Borrowed::to_ref`]). A closed, never-issued or malformed value gives
/// `ERROR_INVALID_HANDLE`.
#[inline]
pub fn with<R>(h: Handle, f: impl FnOnce(&Borrowed<'_>) -> Result<R, u32>) -> Result<R, u32> {
    let (slot, gen) = decode(h).ok_or(ERROR_INVALID_HANDLE)?;
    if slot >= REMOTE_FIRST {
        // A handle another process may have duplicated into this one: take what has arrived
        // if it is not here yet.
        if !present(slot, gen) {
            crate::runtime::xproc::drain();
        }
    }
    match me() {
        Some(r) => {
            let (_guard, e) = enter(r, slot, gen);
            f(&Borrowed(e.ok_or(ERROR_INVALID_HANDLE)?))
        }
        // A thread that is exiting: take a reference under the lock.
        None => f(&Borrowed(&*get_locked(slot, gen)?)),
    }
}

/// Does `slot` hold generation `gen` (a racy look, for deciding whether to drain the inbox)?
fn present(slot: usize, gen: u32) -> bool {
    slot_ref(slot).is_some_and(|s| unpack(s.load(Acquire), gen).is_some())
}

/// The object a handle refers to, with a reference of its own (for functions that block or
/// look up several handles).
pub fn get(h: Handle) -> Result<ObjRef, u32> {
    with(h, |b| Ok(b.to_ref()))
}

/// The lookup of a thread without a record: under the allocator's lock, which every change of
/// a slot holds.
fn get_locked(slot: usize, gen: u32) -> Result<Arc<Entry>, u32> {
    let _a = alloc();
    let w = slot_ref(slot).ok_or(ERROR_INVALID_HANDLE)?.load(Acquire);
    let p = unpack(w, gen).ok_or(ERROR_INVALID_HANDLE)?;
    // SAFETY: under the lock nobody clears the slot, and the table's reference (the pointer
    // came from `Arc::into_raw`) keeps the entry alive while the slot holds it.
    Ok(unsafe {
        Arc::increment_strong_count(p);
        Arc::from_raw(p)
    })
}

// ---------------------------------------------------------------------------------------------
// Insert and remove

/// Enters an object into the table; `Err(ERROR_NOT_ENOUGH_MEMORY)` when it is full.
pub fn insert(obj: Obj) -> Result<Handle, u32> {
    insert_with(obj, 0)
}

/// [`insert`] with the handle's `HANDLE_FLAG_*` bits.
pub fn insert_with(obj: Obj, flags: u32) -> Result<Handle, u32> {
    init();
    let mut a = alloc();
    let (slot, gen) =
        if a.free.len() > REUSE_AFTER || a.len >= SLOTS_LEN.load(Relaxed).min(REMOTE_FIRST) {
            a.free.pop_front().ok_or(ERROR_NOT_ENOUGH_MEMORY)?
        } else {
            a.len += 1;
            (a.len - 1, 0)
        };
    Ok(store(&mut a, slot, gen, obj, flags))
}

fn store(a: &mut Alloc, slot: usize, gen: u32, obj: Obj, flags: u32) -> Handle {
    a.live += 1;
    let e = Arc::into_raw(Arc::new(Entry {
        obj,
        flags: AtomicU32::new(flags & HANDLE_FLAGS),
    }));
    // Release: a reader that loads the pointer (Acquire) sees the entry's contents.
    slot_ref(slot)
        .expect("a slot below SLOTS_LEN")
        .store(pack(e, gen), Release);
    value(slot, gen)
}

/// The `HANDLE_FLAG_*` bits a handle can carry.
pub const HANDLE_FLAGS: u32 = HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE;

/// Enters an object under the handle value `h`, which must be free: how a child process gets
/// the handles it inherits under the values they had in the parent (before it makes handles
/// of its own). `ERROR_INVALID_HANDLE` if `h` is no handle value or is taken.
pub fn insert_at(h: Handle, obj: Obj, flags: u32) -> Result<Handle, u32> {
    init();
    let (slot, gen) = decode(h).ok_or(ERROR_INVALID_HANDLE)?;
    if slot >= SLOTS_LEN.load(Relaxed) {
        return Err(ERROR_INVALID_HANDLE);
    }
    let mut a = alloc();
    if slot >= REMOTE_FIRST {
        // Not managed by the allocator: free when the slot is empty.
        if slot_ref(slot).is_none_or(|s| s.load(Relaxed) != 0) {
            return Err(ERROR_INVALID_HANDLE);
        }
    } else if slot >= a.len {
        // The slots skipped over become free (with generation 0), reused like closed ones.
        let first = a.len;
        a.free.extend((first..slot).map(|s| (s, 0)));
        a.len = slot + 1;
    } else {
        let Some(i) = a.free.iter().position(|&(s, _)| s == slot) else {
            return Err(ERROR_INVALID_HANDLE);
        };
        a.free.remove(i);
    }
    Ok(store(&mut a, slot, gen, obj, flags))
}

/// The `HANDLE_FLAG_*` bits of a handle (`GetHandleInformation`).
pub fn flags(h: Handle) -> Result<u32, u32> {
    with(h, |b| Ok(b.0.flags.load(Relaxed)))
}

/// `SetHandleInformation`: sets the bits of `mask` to those of `flags`.
pub fn set_flags(h: Handle, mask: u32, flags: u32) -> Result<(), u32> {
    with(h, |b| {
        let f = &b.0.flags;
        let mut cur = f.load(Relaxed);
        loop {
            let new = (cur & !mask) | (flags & mask);
            match f.compare_exchange_weak(cur, new, Relaxed, Relaxed) {
                Ok(_) => return Ok(()),
                Err(c) => cur = c,
            }
        }
    })
}

/// Every handle that has `HANDLE_FLAG_INHERIT`, with a reference to its object.
pub fn inheritable() -> Vec<(Handle, ObjRef)> {
    let a = alloc();
    let mut out = Vec::new();
    for slot in 0..a.len {
        let Some(s) = slot_ref(slot) else { break };
        let w = s.load(Acquire);
        if w == 0 {
            continue;
        }
        let gen = (w & GEN_MASK as usize) as u32;
        let Some(p) = unpack(w, gen) else { continue };
        // SAFETY: under the allocator's lock nobody clears the slot, and the table's reference
        // keeps the entry alive while the slot holds it (as in `get_locked`).
        let e = unsafe {
            Arc::increment_strong_count(p);
            Arc::from_raw(p)
        };
        if e.flags.load(Relaxed) & HANDLE_FLAG_INHERIT != 0 {
            out.push((value(slot, gen), ObjRef(e)));
        }
    }
    out
}

/// Removes a handle from the table and returns its object (dropping it closes the handle).
/// When it returns, no thread is still using the object through the handle (only through
/// references of its own, [`get`]).
pub fn remove(h: Handle) -> Result<ObjRef, u32> {
    let (slot, gen) = decode(h).ok_or(ERROR_INVALID_HANDLE)?;
    let p = {
        let mut a = alloc();
        let s = slot_ref(slot).ok_or(ERROR_INVALID_HANDLE)?;
        let p = unpack(s.load(Relaxed), gen).ok_or(ERROR_INVALID_HANDLE)?;
        s.store(0, Relaxed);
        if slot < REMOTE_FIRST {
            a.free.push_back((slot, (gen + 1) & GEN_MASK));
        }
        a.live -= 1;
        p
    };
    synchronize(slot);
    // SAFETY: the slot held `Arc::into_raw` of this entry (the table's reference), which this
    // call took out of the slot under the lock: it is ours to take back, and after
    // `synchronize` no lookup uses the entry without a reference of its own.
    Ok(ObjRef(unsafe { Arc::from_raw(p) }))
}

/// Waits until no thread can still be using the entry just cleared from `slot` through a
/// lookup (a lookup that announced `slot` before the clear was visible to it).
///
/// Ordering (SB pattern): the reader does `store word; [fence]; load slot`, the closer
/// `store slot (NULL); fence; load word`. With a full fence on both sides one of them sees the
/// other's store: either the reader loads NULL (or a newer entry), or the closer sees the
/// announcement and waits for it to change — the reader's later Release store, which its use of
/// the entry happens before, read here with Acquire. The reader's fence is either its own
/// (`fence(SeqCst)` in `enter`) or, with `membarrier`, the one the kernel runs on every CPU
/// that runs a thread of this process between the call's start and its return (threads not
/// running pass through the scheduler's full barrier): a reader whose announcement came before
/// that barrier has it visible when `membarrier` returns; one whose announcement came after it
/// loads the slot after the barrier, so after the clear.
///
/// `membarrier` is skipped when no other thread can be reading: `register` counts a thread in
/// LIVE_READERS (SeqCst, then a SeqCst fence) before its first announcement. If this load of
/// LIVE_READERS (after a SeqCst fence that follows the clear) does not count a thread, that
/// thread's fence comes after this one in the fences' total order, so all its lookups read
/// the slot after the clear.
fn synchronize(slot: usize) {
    fence(SeqCst);
    let me = ME.try_with(|m| m.get()).unwrap_or(null());
    let others = LIVE_READERS.load(SeqCst) - usize::from(!me.is_null());
    if others == 0 {
        return;
    }
    if ASYMMETRIC.load(Relaxed) == 1 {
        heavy_barrier();
        fence(SeqCst);
    }
    let want = slot as u64 + 1;
    for r in readers() {
        if std::ptr::eq(r, me) {
            continue;
        }
        let w = r.word.load(Acquire);
        if w == 0 || w & 0xFFFF_FFFF != want {
            continue;
        }
        let mut spins = 0u32;
        while r.word.load(Acquire) == w {
            spins += 1;
            if spins < 100 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// How many handles are open (for tests and the fuzz program's end-of-input check).
pub fn live_handles() -> usize {
    alloc().live
}

/// Is `h` one of the pseudo handles (`GetCurrentProcess()`, `GetCurrentThread()`)?
pub fn is_pseudo(h: Handle) -> bool {
    h == CURRENT_PROCESS || h == CURRENT_THREAD
}

/// Enters a freshly created or opened object: the last error becomes `ERROR_ALREADY_EXISTS`
/// if `existed`, else 0 (the `Create*` rule), and a full table gives NULL.
pub fn created(obj: Obj, existed: bool, flags: u32) -> Handle {
    match insert_with(obj, flags) {
        Ok(h) => fail(if existed { ERROR_ALREADY_EXISTS } else { 0 }, h),
        Err(e) => fail(e, std::ptr::null_mut()),
    }
}

/// Enters an object from a successful `Open*` (last error untouched).
pub fn opened(obj: Obj, flags: u32) -> Handle {
    match insert_with(obj, flags) {
        Ok(h) => h,
        Err(e) => fail(e, std::ptr::null_mut()),
    }
}

/// `SECURITY_ATTRIBUTES`.
#[repr(C)]
pub struct SecurityAttributes {
    pub length: u32,
    pub descriptor: *mut c_void,
    pub inherit: i32,
}

/// The handle flags a `Create*` function's `SECURITY_ATTRIBUTES` asks for: `HANDLE_FLAG_INHERIT`
/// if it is given and its `bInheritHandle` is TRUE.
///
/// # Safety
/// `sa` must be NULL or point to a readable `SECURITY_ATTRIBUTES`.
pub unsafe fn sa_flags(sa: *const c_void) -> u32 {
    // SAFETY: NULL or a readable SECURITY_ATTRIBUTES (this function's contract).
    match unsafe { sa.cast::<SecurityAttributes>().as_ref() } {
        Some(sa) if sa.inherit != 0 => HANDLE_FLAG_INHERIT,
        _ => 0,
    }
}

/// The handle flags of an `Open*` function's `bInheritHandle`.
pub fn inherit_flags(inherit: i32) -> u32 {
    if inherit != 0 {
        HANDLE_FLAG_INHERIT
    } else {
        0
    }
}
