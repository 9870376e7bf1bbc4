//! Bulk transfer between two processes through a ring buffer in shared memory.
//!
//! The ring is `slots` fixed-size chunk slots of `slot` bytes. The messages form one byte
//! stream: a message larger than a slot streams through consecutive slots, messages smaller
//! than a slot are packed several per slot. The first process (producer) copies every byte of
//! every message from its own buffer into the ring, the second (consumer) copies every byte out
//! into its own buffer and checks the message's sequence number, which the producer wrote into
//! the first and the last 8 bytes of the message: the benchmark cannot skip work unnoticed.
//!
//! Who guards the slots is the only difference between the methods ([`RingSync`]):
//! * fmap: a pair of auto-reset events per slot (full, empty) and a named section, with the
//!   documented adaptive spin;
//! * raw: a `shm_open` + `mmap` region and two counters (slots produced, slots consumed) on
//!   their own cache lines, spinning and then sleeping on a futex (the hardware's cross-core
//!   ceiling for this ring);
//! * shared_memory + raw_sync: a pair of raw_sync auto-reset events per slot in a
//!   `shared_memory` section.
//!
//! * iceoryx2 (feature `iceoryx2`, in ice.rs): the slots are publish-subscribe samples of `slot`
//!   bytes, the subscriber's buffer holds `slots` of them.
//!
//! (Boost.Interprocess runs the same protocol in `peers/boost_bench.cpp`.)

use crate::common::*;
use crate::xproc::{OFF_BULK_DONE, OFF_BULK_PROBE};
use fmap::{Event, Mapping, MappingOptions, Namespace, View};
use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::*;
use std::time::Instant;

/// The ring's geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geom {
    pub slots: usize,
    pub slot: usize,
}

impl Geom {
    /// The default, chosen by experiment on the project's 2-vCPU VM (AMD EPYC, 1 MiB L2 per
    /// core, 32 MiB L3 per group of cores; the two virtual CPUs sometimes share an L3 and
    /// sometimes not). Two findings decide it:
    /// * the ring must stay within about half of a core's L2: with 1 MiB rings (16 x 64 KiB,
    ///   8 x 128 KiB, 4 x 256 KiB) the raw ring moved 1 MiB messages at about 20 GiB/s instead
    ///   of about 53 while the two CPUs shared an L3;
    /// * within 512 KiB, larger slots mean fewer signals per byte: fmap against the raw ring (same
    ///   round), 64 KiB / 1 MiB messages, CPUs sharing an L3: 8 x 64 KiB 0.74 / 0.64,
    ///   4 x 128 KiB 0.90 / 0.77, 2 x 256 KiB 0.91 / 0.88; the raw ring itself is within a few
    ///   percent across these shapes.
    ///
    /// `--ring` measures any other shape.
    pub const DEFAULT: Geom = Geom {
        slots: 2,
        slot: 256 << 10,
    };

    /// The rings the suite measures by default: the one above, and the same 512 KiB as 16 slots
    /// of 32 KiB, the slack that methods whose waits always sleep in the kernel (raw_sync's and
    /// Boost's) need to keep up: with two slots each of them waits for a wake-up at nearly every
    /// handoff.
    pub const DEFAULTS: [Geom; 2] = [
        Geom::DEFAULT,
        Geom {
            slots: 16,
            slot: 32 << 10,
        },
    ];

    /// `SLOTSxKIB`, e.g. `16x64`.
    pub fn parse(s: &str) -> Option<Geom> {
        let (n, k) = s.split_once('x')?;
        let g = Geom {
            slots: n.parse().ok()?,
            slot: k.parse::<usize>().ok()? << 10,
        };
        (g.slots >= 2 && g.slot >= 4096 && g.slot.is_power_of_two()).then_some(g)
    }

    pub fn arg(&self) -> String {
        format!("{}x{}", self.slots, self.slot >> 10)
    }

    pub fn bytes(&self) -> usize {
        self.slots * self.slot
    }

    /// "16 slots of 64 KiB".
    pub fn describe(&self) -> String {
        format!("{} slots of {}", self.slots, size_label(self.slot))
    }

    /// "16 × 64 KiB".
    pub fn short(&self) -> String {
        format!("{} × {}", self.slots, size_label(self.slot))
    }

    /// Messages per repetition: about `total_bytes`, at least 4 messages, and a whole number of
    /// slots (small messages are packed several per slot).
    pub fn count(&self, size: usize, total_bytes: usize) -> usize {
        let per_slot = (self.slot / size).max(1);
        (total_bytes / size).max(4).div_ceil(per_slot) * per_slot
    }
}

/// The methods, named on the second process's command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Fmap,
    Raw,
    RawSync,
    #[cfg(feature = "iceoryx2")]
    Ice,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Fmap => "fmap",
            Kind::Raw => "raw",
            Kind::RawSync => "raw-sync",
            #[cfg(feature = "iceoryx2")]
            Kind::Ice => "iceoryx2",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Fmap,
            Kind::Raw,
            Kind::RawSync,
            #[cfg(feature = "iceoryx2")]
            Kind::Ice,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

/// What guards the slots (and, for iceoryx2, provides them). `j` counts slots from the start
/// of the stream (ring slot `j % slots`).
pub(crate) trait RingSync {
    /// Producer: wait until slot `j` is free; where to write its `slot` bytes.
    fn wait_empty(&mut self, j: u64) -> Res<*mut u8>;
    /// Producer: slot `j` is filled.
    fn post_full(&mut self, j: u64) -> Res<()>;
    /// Consumer: wait until slot `j` is filled; where to read its `slot` bytes.
    fn wait_full(&mut self, j: u64) -> Res<*const u8>;
    /// Consumer: slot `j` is free again.
    fn post_empty(&mut self, j: u64) -> Res<()>;
}

/// Slot `j` of a ring of `g.slots` slots at `ring`.
fn slot_ptr(ring: *mut u8, g: Geom, j: u64) -> *mut u8 {
    // SAFETY: (j % slots) * slot + slot <= slots * slot, the ring's size.
    unsafe { ring.add((j % g.slots as u64) as usize * g.slot) }
}

/// Writes `seq` into the first and the last 8 bytes of the message.
fn stamp(msg: &mut [u8], seq: u64) {
    let m = msg.len();
    msg[..8].copy_from_slice(&seq.to_le_bytes());
    msg[m - 8..].copy_from_slice(&seq.to_le_bytes());
}

fn stamped(msg: &[u8]) -> (u64, u64) {
    let m = msg.len();
    let w = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    (w(&msg[..8]), w(&msg[m - 8..]))
}

/// Where one side's time goes (`--profile-bulk`): waiting for a slot, copying (with the stamp
/// and its check), posting the slot. Off: no clock is read.
#[derive(Default)]
struct Prof {
    on: bool,
    last: Option<Instant>,
    /// Nanoseconds waiting, copying, posting.
    ns: [u64; 3],
    slots: u64,
}

const WAIT: usize = 0;
const COPY: usize = 1;
const POST: usize = 2;

impl Prof {
    fn new(on: bool) -> Prof {
        Prof {
            on,
            ..Prof::default()
        }
    }

    /// Charges the time since the previous mark to `bucket`.
    #[inline]
    fn mark(&mut self, bucket: usize) {
        if self.on {
            let now = Instant::now();
            if let Some(l) = self.last {
                self.ns[bucket] += (now - l).as_nanos() as u64;
            }
            self.last = Some(now);
        }
    }

    /// `wait=… copy=… post=… slots=…` for the DONE line.
    fn fields(&self) -> String {
        format!(
            "wait={} copy={} post={} slots={}",
            self.ns[WAIT], self.ns[COPY], self.ns[POST], self.slots
        )
    }
}

/// [`stream`]'s two sides.
const PRODUCER: bool = true;
const CONSUMER: bool = false;

/// One side of the stream of `count` messages, starting at slot `*j`. Producer (`PRODUCE`): copies
/// the contents of `buf`, stamped `*seq`, `*seq + 1`, …, into the ring. Consumer: copies each
/// message out of the ring into `buf` and checks its stamp. `PRODUCE` is a constant, so that
/// each side is compiled without the other's branches.
fn stream<const PRODUCE: bool>(
    g: Geom,
    buf: &mut [u8],
    count: usize,
    seq: &mut u64,
    j: &mut u64,
    sync: &mut dyn RingSync,
    prof: &mut Prof,
) -> Res<()> {
    let m = buf.len();
    let mut pos = 0;
    let mut slot: *mut u8 = std::ptr::null_mut();
    for _ in 0..count {
        if PRODUCE {
            stamp(buf, *seq);
            *seq += 1;
        }
        let mut off = 0;
        while off < m {
            if pos == 0 {
                prof.mark(COPY);
                slot = if PRODUCE {
                    sync.wait_empty(*j)?
                } else {
                    // Only read through (the consumer's copy below).
                    sync.wait_full(*j)?.cast_mut()
                };
                prof.mark(WAIT);
            }
            let n = (m - off).min(g.slot - pos);
            // SAFETY: `slot` is a slot of `slot` bytes, ours until we post it (pos + n <= slot);
            // the range is inside `buf`. The producer writes the slot, the consumer only reads
            // it; the other side does not touch the slot until we post it.
            unsafe {
                if PRODUCE {
                    std::ptr::copy_nonoverlapping(buf.as_ptr().add(off), slot.add(pos), n)
                } else {
                    std::ptr::copy_nonoverlapping(slot.add(pos), buf.as_mut_ptr().add(off), n)
                }
            }
            off += n;
            pos += n;
            if pos == g.slot {
                prof.mark(COPY);
                if PRODUCE {
                    sync.post_full(*j)?;
                } else {
                    sync.post_empty(*j)?;
                }
                prof.mark(POST);
                prof.slots += 1;
                *j += 1;
                pos = 0;
            }
        }
        if !PRODUCE {
            let got = stamped(std::hint::black_box(&*buf));
            if got != (*seq, *seq) {
                return Err(format!(
                    "bulk: message {} arrived stamped {got:?} (first, last 8 bytes)",
                    *seq
                )
                .into());
            }
            *seq += 1;
        }
    }
    if PRODUCE && pos != 0 {
        return Err("bulk: the stream does not end on a slot boundary".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// fmap: a named section and a pair of auto-reset events per slot.

fn fmap_names(g: Geom) -> (String, Vec<String>, Vec<String>) {
    (
        "bulk-ring".into(),
        (0..g.slots).map(|i| format!("bulk-full-{i}")).collect(),
        (0..g.slots).map(|i| format!("bulk-empty-{i}")).collect(),
    )
}

/// The fmap objects, created (first process) or opened (second).
struct FmapRing {
    _m: Mapping,
    v: View,
    g: Geom,
    full: Vec<Event>,
    empty: Vec<Event>,
}

impl FmapRing {
    fn create(ns: &Namespace, g: Geom) -> Res<FmapRing> {
        let (sec, full, empty) = fmap_names(g);
        let m = MappingOptions::new()
            .namespace(ns)
            .name(&sec)
            .size(g.bytes() as u64)
            .create()?;
        let v = m.map_view(fmap::Access::WRITE, ..)?;
        let mk = |names: &[String], initial| {
            names
                .iter()
                .map(|n| Event::create_in(ns, Some(n), false, initial))
                .collect::<fmap::Result<Vec<_>>>()
        };
        Ok(FmapRing {
            full: mk(&full, false)?,
            empty: mk(&empty, true)?,
            v,
            g,
            _m: m,
        })
    }

    fn open(g: Geom) -> Res<FmapRing> {
        let (sec, full, empty) = fmap_names(g);
        let m = Mapping::open(&sec, fmap::Access::READ)?;
        let v = m.map_view(fmap::Access::READ, ..)?;
        let op = |names: &[String]| {
            names
                .iter()
                .map(|n| Event::open(n, fmap::SyncAccess::EVENT_ALL_ACCESS))
                .collect::<fmap::Result<Vec<_>>>()
        };
        Ok(FmapRing {
            full: op(&full)?,
            empty: op(&empty)?,
            v,
            g,
            _m: m,
        })
    }

    fn at(v: &[Event], j: u64) -> &Event {
        &v[(j % v.len() as u64) as usize]
    }
}

impl RingSync for FmapRing {
    fn wait_empty(&mut self, j: u64) -> Res<*mut u8> {
        // An infinite wait on a semaphore can only be signaled.
        let _ = Self::at(&self.empty, j).wait(None)?;
        Ok(slot_ptr(self.v.as_mut_ptr(), self.g, j))
    }
    fn post_full(&mut self, j: u64) -> Res<()> {
        Ok(Self::at(&self.full, j).set()?)
    }
    fn wait_full(&mut self, j: u64) -> Res<*const u8> {
        let _ = Self::at(&self.full, j).wait(None)?;
        Ok(slot_ptr(self.v.as_mut_ptr(), self.g, j))
    }
    fn post_empty(&mut self, j: u64) -> Res<()> {
        Ok(Self::at(&self.empty, j).set()?)
    }
}

// ---------------------------------------------------------------------------------------------
// Raw: shm_open + mmap, two counters on their own cache lines, spin then futex.

/// Control page: slots produced (and its sleeper flag) on one cache line, slots consumed (and
/// its sleeper flag) on another; the ring starts at the next page.
const RAW_HEAD: usize = 0;
const RAW_HEAD_SLEEP: usize = 4;
const RAW_TAIL: usize = 64;
const RAW_TAIL_SLEEP: usize = 68;
const RAW_CTL: usize = 4096;

/// A `shm_open` + `mmap` region, unlinked by its creator when dropped.
struct RawShm {
    ptr: *mut u8,
    len: usize,
    name: Option<CString>,
}

impl RawShm {
    fn map(name: &str, len: usize, create: bool) -> Res<RawShm> {
        let cname = CString::new(name)?;
        let flags = if create {
            libc::O_CREAT | libc::O_EXCL | libc::O_RDWR
        } else {
            libc::O_RDWR
        };
        // SAFETY: a NUL-terminated name; the descriptor is closed below.
        let fd = unsafe { libc::shm_open(cname.as_ptr(), flags, 0o600) };
        if fd < 0 {
            return Err(format!("shm_open {name}: {}", std::io::Error::last_os_error()).into());
        }
        // SAFETY: our descriptor; a fresh shared mapping replaces nothing.
        let p = unsafe {
            if create && libc::ftruncate(fd, len as libc::off_t) != 0 {
                libc::MAP_FAILED
            } else {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd,
                    0,
                )
            }
        };
        let err = std::io::Error::last_os_error();
        // SAFETY: our descriptor; the mapping keeps the memory.
        unsafe { libc::close(fd) };
        if p == libc::MAP_FAILED {
            if create {
                // SAFETY: `cname` is a NUL-terminated name (a `CString`) that outlives the call;
                // this process created the object, so removing it strands nobody.
                unsafe { libc::shm_unlink(cname.as_ptr()) };
            }
            return Err(format!("mmap {name}: {err}").into());
        }
        Ok(RawShm {
            ptr: p.cast(),
            len,
            name: create.then_some(cname),
        })
    }

    fn u32(&self, off: usize) -> &AtomicU32 {
        assert!(off + 4 <= RAW_CTL && off % 4 == 0);
        // SAFETY: aligned, inside the control page, lives as long as `self`; only accessed
        // atomically.
        unsafe { &*(self.ptr.add(off) as *const AtomicU32) }
    }
}

impl Drop for RawShm {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are the mapping `open` made, unmapped only here (the references
        // `u32` hands out borrow `self`); `name` is set only for the object this process created,
        // a NUL-terminated `CString`.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
            if let Some(n) = &self.name {
                libc::shm_unlink(n.as_ptr());
            }
        }
    }
}

fn raw_name(root: &Path) -> String {
    format!(
        "/fmap-bench-ring-{}",
        root.file_name().and_then(|s| s.to_str()).unwrap_or("x")
    )
}

/// Spins (for the adaptive-spin budget) and then sleeps on `word` until `ok(word)`.
fn raw_wait_until(word: &AtomicU32, sleep: &AtomicU32, ok: impl Fn(u32) -> bool) -> u32 {
    let v = word.load(Acquire);
    if ok(v) {
        return v;
    }
    let t = Instant::now();
    while t.elapsed() < crate::xproc::DEFAULT_SPIN {
        for _ in 0..64 {
            std::hint::spin_loop();
            let v = word.load(Acquire);
            if ok(v) {
                return v;
            }
        }
    }
    loop {
        sleep.store(1, SeqCst);
        let v = word.load(SeqCst);
        if ok(v) {
            sleep.store(0, Relaxed);
            return v;
        }
        futex_wait(word, v);
        sleep.store(0, Relaxed);
        let v = word.load(Acquire);
        if ok(v) {
            return v;
        }
    }
}

/// Publishes `v` in `word` and wakes its sleeper, if any (the SeqCst store and load pair with
/// the sleeper's, so that one of the two sees the other).
fn raw_post(word: &AtomicU32, sleep: &AtomicU32, v: u32) {
    word.store(v, SeqCst);
    if sleep.load(SeqCst) != 0 {
        futex_wake(word);
    }
}

struct RawRing {
    shm: RawShm,
    g: Geom,
    /// The other side's counter as last read (producer: consumed; consumer: produced).
    seen: u32,
}

impl RawRing {
    fn ring(&self) -> *mut u8 {
        // SAFETY: the ring follows the control page inside the region.
        unsafe { self.shm.ptr.add(RAW_CTL) }
    }
}

impl RingSync for RawRing {
    fn wait_empty(&mut self, j: u64) -> Res<*mut u8> {
        let (j32, n) = (j as u32, self.g.slots as u32);
        if j32.wrapping_sub(self.seen) >= n {
            let (t, s) = (self.shm.u32(RAW_TAIL), self.shm.u32(RAW_TAIL_SLEEP));
            self.seen = raw_wait_until(t, s, |tail| j32.wrapping_sub(tail) < n);
        }
        Ok(slot_ptr(self.ring(), self.g, j))
    }
    fn post_full(&mut self, j: u64) -> Res<()> {
        let (h, s) = (self.shm.u32(RAW_HEAD), self.shm.u32(RAW_HEAD_SLEEP));
        raw_post(h, s, (j as u32).wrapping_add(1));
        Ok(())
    }
    fn wait_full(&mut self, j: u64) -> Res<*const u8> {
        let j32 = j as u32;
        if self.seen.wrapping_sub(j32) as i32 <= 0 {
            let (h, s) = (self.shm.u32(RAW_HEAD), self.shm.u32(RAW_HEAD_SLEEP));
            self.seen = raw_wait_until(h, s, |head| head.wrapping_sub(j32) as i32 > 0);
        }
        Ok(slot_ptr(self.ring(), self.g, j))
    }
    fn post_empty(&mut self, j: u64) -> Res<()> {
        let (t, s) = (self.shm.u32(RAW_TAIL), self.shm.u32(RAW_TAIL_SLEEP));
        raw_post(t, s, (j as u32).wrapping_add(1));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// shared_memory + raw_sync: a pair of raw_sync auto-reset events per slot.

const RS_EVENT: usize = 256;

fn rs_header(g: Geom) -> usize {
    (2 * g.slots * RS_EVENT).div_ceil(4096) * 4096
}

fn rs_id(root: &Path) -> String {
    format!(
        "fmap-bench-rsring-{}",
        root.file_name().and_then(|s| s.to_str()).unwrap_or("x")
    )
}

struct RsRing {
    shm: shared_memory::Shmem,
    /// full[0..slots], then empty[0..slots].
    ev: Vec<Box<dyn raw_sync::events::EventImpl>>,
    g: Geom,
    header: usize,
}

impl RsRing {
    fn create(id: &str, g: Geom) -> Res<RsRing> {
        use raw_sync::events::{Event as RsEvent, EventInit, EventState};
        let header = rs_header(g);
        let shm = shared_memory::ShmemConf::new()
            .size(header + g.bytes())
            .os_id(id)
            .create()
            .map_err(|e| format!("shared_memory create: {e}"))?;
        let base = shm.as_ptr();
        let mut ev = Vec::new();
        for i in 0..2 * g.slots {
            // SAFETY: each event has RS_EVENT bytes of the fresh section's header to itself.
            let (e, used) = unsafe { RsEvent::new(base.add(i * RS_EVENT), true) }
                .map_err(|e| format!("{e}"))?;
            assert!(used <= RS_EVENT);
            if i >= g.slots {
                e.set(EventState::Signaled)
                    .map_err(|e| format!("raw_sync set: {e}"))?;
            }
            ev.push(e);
        }
        Ok(RsRing { shm, ev, g, header })
    }

    fn open(id: &str, g: Geom) -> Res<RsRing> {
        use raw_sync::events::{Event as RsEvent, EventInit};
        let shm = shared_memory::ShmemConf::new()
            .os_id(id)
            .open()
            .map_err(|e| format!("shared_memory open: {e}"))?;
        let base = shm.as_ptr();
        let mut ev = Vec::new();
        for i in 0..2 * g.slots {
            // SAFETY: the first process initialised the events there.
            let (e, _) = unsafe { RsEvent::from_existing(base.add(i * RS_EVENT)) }
                .map_err(|e| format!("{e}"))?;
            ev.push(e);
        }
        Ok(RsRing {
            shm,
            ev,
            g,
            header: rs_header(g),
        })
    }

    fn ring(&self) -> *mut u8 {
        // SAFETY: the ring follows the events' header inside the section.
        unsafe { self.shm.as_ptr().add(self.header) }
    }

    fn full(&self, j: u64) -> &dyn raw_sync::events::EventImpl {
        self.ev[(j % self.g.slots as u64) as usize].as_ref()
    }

    fn empty(&self, j: u64) -> &dyn raw_sync::events::EventImpl {
        self.ev[self.g.slots + (j % self.g.slots as u64) as usize].as_ref()
    }
}

fn rs_wait(e: &dyn raw_sync::events::EventImpl) -> Res<()> {
    e.wait(raw_sync::Timeout::Infinite)
        .map_err(|e| format!("raw_sync wait: {e}").into())
}

fn rs_set(e: &dyn raw_sync::events::EventImpl) -> Res<()> {
    e.set(raw_sync::events::EventState::Signaled)
        .map_err(|e| format!("raw_sync set: {e}").into())
}

impl RingSync for RsRing {
    fn wait_empty(&mut self, j: u64) -> Res<*mut u8> {
        rs_wait(self.empty(j))?;
        Ok(slot_ptr(self.ring(), self.g, j))
    }
    fn post_full(&mut self, j: u64) -> Res<()> {
        rs_set(self.full(j))
    }
    fn wait_full(&mut self, j: u64) -> Res<*const u8> {
        rs_wait(self.full(j))?;
        Ok(slot_ptr(self.ring(), self.g, j))
    }
    fn post_empty(&mut self, j: u64) -> Res<()> {
        rs_set(self.empty(j))
    }
}

// ---------------------------------------------------------------------------------------------
// The two processes

/// The ring of `kind`: created (first process, `ns` given) or opened (second).
fn side(kind: Kind, root: &Path, ns: Option<&Namespace>, g: Geom) -> Res<Box<dyn RingSync>> {
    Ok(match kind {
        Kind::Fmap => Box::new(match ns {
            Some(ns) => FmapRing::create(ns, g)?,
            None => FmapRing::open(g)?,
        }),
        Kind::Raw => Box::new(RawRing {
            shm: RawShm::map(&raw_name(root), RAW_CTL + g.bytes(), ns.is_some())?,
            g,
            seen: 0,
        }),
        Kind::RawSync => Box::new(match ns {
            Some(_) => RsRing::create(&rs_id(root), g)?,
            None => RsRing::open(&rs_id(root), g)?,
        }),
        #[cfg(feature = "iceoryx2")]
        Kind::Ice => Box::new(crate::ice::IceRing::new(root, g, ns.is_some())?),
    })
}

/// The second process: `bulk KIND SIZE COUNT REPS GEOM PROFILE(0|1)`.
pub fn child(args: &[String], root: &Path) -> Res<()> {
    let kind = Kind::parse(args.first().ok_or("bulk: kind")?).ok_or("bulk: unknown kind")?;
    let num = |i: usize| -> Res<usize> { Ok(args.get(i).ok_or("bulk: argument")?.parse()?) };
    let (size, count, reps) = (num(1)?, num(2)?, num(3)?);
    let g = Geom::parse(args.get(4).ok_or("bulk: geometry")?).ok_or("bulk: bad geometry")?;
    let mut prof = Prof::new(num(5)? != 0);
    fmap::set_spin(crate::xproc::DEFAULT_SPIN);
    let pinned = pin_to(1);
    let shm = Shm::open(root, false)?;
    let mut s = side(kind, root, None, g)?;
    let mut dst = Buf::new(size, 1);
    say(&format!("READY cpu={} pinned={pinned}", current_cpu()));
    probe(&shm, false);
    let cpu0 = cpu_ns();
    let (mut seq, mut j) = (0, 0);
    // One warm-up repetition, then the measured ones; each ends when this process says so.
    for rep in 0..=reps {
        prof.last = None;
        stream::<CONSUMER>(g, &mut dst, count, &mut seq, &mut j, s.as_mut(), &mut prof)?;
        shm.u32(OFF_BULK_DONE).store(rep as u32 + 1, Release);
    }
    say(&format!("DONE cpu={} {}", cpu_ns() - cpu0, prof.fields()));
    Ok(())
}

pub struct BulkRun {
    /// GiB/s of each measured repetition.
    pub rates: Vec<f64>,
    /// CPU time of both processes, warm-up included, and the messages it was spent on.
    pub cpu_ns: f64,
    pub messages: usize,
    /// Median round trip of a cache line between the two processes just before the run.
    pub rt_ns: f64,
    /// With `profile`: where each side's time went, per slot.
    pub profile: Option<String>,
}

const PROBE_BATCHES: u32 = 10;
const PROBE_TRIPS: u32 = 200;

/// A cache line bounced between the two processes, `PROBE_BATCHES` batches of `PROBE_TRIPS`
/// round trips (first process: `timed`, the clock read once per batch); the median of the
/// batches' mean round trip. It tells where the host has placed the two CPUs at the moment:
/// sharing an L3 (tens of ns) or not (hundreds).
fn probe(shm: &Shm, timed: bool) -> f64 {
    let w = shm.u32(OFF_BULK_PROBE);
    let mut means = Vec::new();
    let mut i = 0u32;
    for _ in 0..PROBE_BATCHES {
        let t = Instant::now();
        for _ in 0..PROBE_TRIPS {
            if timed {
                w.store(2 * i + 1, Release);
                while w.load(Acquire) != 2 * i + 2 {
                    std::hint::spin_loop();
                }
            } else {
                while w.load(Acquire) != 2 * i + 1 {
                    std::hint::spin_loop();
                }
                w.store(2 * i + 2, Release);
            }
            i += 1;
        }
        means.push(t.elapsed().as_nanos() as f64 / PROBE_TRIPS as f64);
    }
    median_p99(means).0
}

const GIB: f64 = (1u64 << 30) as f64;

/// Median throughput over `reps` repetitions (after one warm-up) of a stream of about
/// `total_bytes` in messages of `size` bytes. A repetition is timed from the producer's first
/// copy to the consumer's report that it has copied out (and checked) the last message.
#[allow(clippy::too_many_arguments)]
pub fn run(
    kind: Kind,
    root: &Path,
    ns: &Namespace,
    shm: &Shm,
    g: Geom,
    size: usize,
    total_bytes: usize,
    reps: usize,
    profile: bool,
) -> Res<BulkRun> {
    fmap::set_spin(crate::xproc::DEFAULT_SPIN);
    let count = g.count(size, total_bytes);
    let done = shm.u32(OFF_BULK_DONE);
    done.store(0, SeqCst);
    shm.u32(OFF_BULK_PROBE).store(0, SeqCst);
    let mut s = side(kind, root, Some(ns), g)?;
    let mut src = Buf::new(size, 7);
    let child = ChildProc::spawn(
        root,
        &[
            "bulk".into(),
            kind.name().into(),
            size.to_string(),
            count.to_string(),
            reps.to_string(),
            g.arg(),
            u8::from(profile).to_string(),
        ],
    )?;
    child.expect_line("READY")?;
    let rt_ns = probe(shm, true);
    let mut rates = Vec::new();
    let cpu0 = cpu_ns();
    let (mut seq, mut j) = (0, 0);
    let mut prof = Prof::new(profile);
    for rep in 0..=reps {
        let t = Instant::now();
        prof.last = None;
        stream::<PRODUCER>(g, &mut src, count, &mut seq, &mut j, s.as_mut(), &mut prof)?;
        while done.load(Acquire) != rep as u32 + 1 {
            std::hint::spin_loop();
        }
        let el = t.elapsed().as_secs_f64();
        if rep > 0 {
            rates.push((count * size) as f64 / el / GIB);
        }
    }
    let mine = (cpu_ns() - cpu0) as f64;
    let done = child.expect_line("DONE")?;
    let theirs = field(&done, "cpu").ok_or("bad DONE line")?;
    child.finish()?;
    let profile = profile.then(|| {
        let side = |name: &str, w: f64, c: f64, p: f64, n: f64| {
            format!(
                "{name}: per slot wait {:.0} ns, copy {:.0} ns ({:.1} GiB/s), post {:.0} ns",
                w / n,
                c / n,
                g.slot as f64 * n / c.max(1.0) * 1e9 / GIB,
                p / n
            )
        };
        let f = |k: &str| field(&done, k).unwrap_or(f64::NAN);
        let n = prof.slots.max(1) as f64;
        format!(
            "{}; {}",
            side(
                "producer",
                prof.ns[WAIT] as f64,
                prof.ns[COPY] as f64,
                prof.ns[POST] as f64,
                n
            ),
            side(
                "consumer",
                f("wait"),
                f("copy"),
                f("post"),
                f("slots").max(1.0)
            )
        )
    });
    Ok(BulkRun {
        rates,
        cpu_ns: mine + theirs,
        messages: (reps + 1) * count,
        rt_ns,
        profile,
    })
}

/// A page-aligned buffer (like the ring's slots), filled with a pattern the compiler cannot see
/// (so that it cannot turn a copy from it into a `memset`).
pub struct Buf {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

impl Buf {
    fn layout(len: usize) -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(len.max(1), 4096).expect("layout")
    }

    pub fn new(len: usize, seed: u8) -> Buf {
        // SAFETY: `layout` has a non-zero size (`len.max(1)`), as `alloc` requires; a NULL
        // result is handled below.
        let p = unsafe { std::alloc::alloc(Self::layout(len)) };
        let Some(ptr) = std::ptr::NonNull::new(p) else {
            std::alloc::handle_alloc_error(Self::layout(len))
        };
        let mut b = Buf { ptr, len };
        let seed = std::hint::black_box(seed);
        for (i, x) in b.iter_mut().enumerate() {
            *x = seed.wrapping_add(i as u8);
        }
        std::hint::black_box(&mut b);
        b
    }
}

impl std::ops::Deref for Buf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: our allocation of `len` initialised bytes.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for Buf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and we hold the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), Self::layout(self.len)) };
    }
}

/// The baseline: one thread copying `size` bytes between two private page-aligned buffers of
/// `size` bytes with `memcpy`, over and over (so they are as cache-hot as their size allows),
/// about `total_bytes` per repetition; the median of `reps` repetitions after one warm-up.
pub fn memcpy_gibps(size: usize, total_bytes: usize, reps: usize) -> f64 {
    let src = Buf::new(size, 7);
    let mut dst = Buf::new(size, 0);
    let per = (total_bytes / size).max(4);
    let mut rates = Vec::new();
    for rep in 0..=reps {
        let t = Instant::now();
        for _ in 0..per {
            // Opaque pointers: the copy is done every time, as a copy.
            let (s, d) = std::hint::black_box((src.as_ptr(), dst.as_mut_ptr()));
            // SAFETY: distinct buffers of `size` bytes.
            unsafe { std::ptr::copy_nonoverlapping(s, d, size) };
            std::hint::black_box(&mut dst);
        }
        if rep > 0 {
            rates.push((per * size) as f64 / t.elapsed().as_secs_f64() / GIB);
        }
    }
    median_p99(rates).0
}
