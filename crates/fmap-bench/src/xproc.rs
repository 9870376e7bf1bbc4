//! Cross-process benchmarks: ping-pong, wait-any wake latency, bulk transfer and abandonment.
//! The first process (pinned to CPU 0) re-executes this program as the second one
//! (`--child …`, pinned to CPU 1).

use crate::common::*;
use fmap::{wait_any, Event, MappingOptions, Namespace, Semaphore, WaitResult, Waitable};
use std::path::Path;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

// Offsets in the shared control page (separate cache lines).
const OFF_PING: usize = 0;
const OFF_PONG: usize = 64;
const OFF_SPIN: usize = 128;
pub const OFF_T0: usize = 192;
pub const OFF_LAT: usize = 256;
/// Bulk transfer: repetitions the consumer has finished.
pub const OFF_BULK_DONE: usize = 512;
/// Bulk transfer: the cache line bounced before each run.
pub const OFF_BULK_PROBE: usize = 576;
const OFF_IDLE: usize = 1024; // 64 idle futex words (wait-any over raw futexes)
pub const OFF_PMUTEX: usize = 4096; // a robust process-shared pthread mutex

/// fmap's documented default adaptive spin.
pub const DEFAULT_SPIN: Duration = Duration::from_micros(20);
/// Wake-latency methods: pause before each round so that the waiter is asleep in the kernel.
pub const SETTLE: Duration = Duration::from_micros(100);

/// A ping-pong or wake-latency method, named on the command line of the second process.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pp {
    RawFutex,
    Spin,
    Pipe,
    Unix,
    FmapEvent,
    FmapEventSpin,
    FmapSem,
    FmapSemSpin,
    RawSync,
    /// Wake latency: raw `FUTEX_WAIT` on one word.
    WakeFutex,
    /// Wake latency: raw `futex_waitv` on N words, the last one signaled.
    WakeWaitv(usize),
    /// Wake latency: fmap `Event::wait` on one event.
    WakeFmapOne,
    /// Wake latency: fmap `wait_any` on N events, the last one signaled.
    WakeFmapAny(usize),
}

impl Pp {
    pub fn name(self) -> String {
        match self {
            Pp::RawFutex => "raw-futex".into(),
            Pp::Spin => "spin".into(),
            Pp::Pipe => "pipe".into(),
            Pp::Unix => "unix-socket".into(),
            Pp::FmapEvent => "fmap-event".into(),
            Pp::FmapEventSpin => "fmap-event-spin".into(),
            Pp::FmapSem => "fmap-semaphore".into(),
            Pp::FmapSemSpin => "fmap-semaphore-spin".into(),
            Pp::RawSync => "raw-sync".into(),
            Pp::WakeFutex => "wake-futex".into(),
            Pp::WakeWaitv(n) => format!("wake-waitv-{n}"),
            Pp::WakeFmapOne => "wake-fmap-one".into(),
            Pp::WakeFmapAny(n) => format!("wake-fmap-any-{n}"),
        }
    }

    pub fn parse(s: &str) -> Option<Pp> {
        let fixed = [
            Pp::RawFutex,
            Pp::Spin,
            Pp::Pipe,
            Pp::Unix,
            Pp::FmapEvent,
            Pp::FmapEventSpin,
            Pp::FmapSem,
            Pp::FmapSemSpin,
            Pp::RawSync,
            Pp::WakeFutex,
            Pp::WakeFmapOne,
        ];
        if let Some(p) = fixed.into_iter().find(|p| p.name() == s) {
            return Some(p);
        }
        if let Some(n) = s.strip_prefix("wake-waitv-") {
            return n.parse().ok().map(Pp::WakeWaitv);
        }
        s.strip_prefix("wake-fmap-any-")?
            .parse()
            .ok()
            .map(Pp::WakeFmapAny)
    }

    fn spins(self) -> bool {
        matches!(self, Pp::FmapEventSpin | Pp::FmapSemSpin)
    }

    fn wake(self) -> bool {
        matches!(
            self,
            Pp::WakeFutex | Pp::WakeWaitv(_) | Pp::WakeFmapOne | Pp::WakeFmapAny(_)
        )
    }

    fn fmap_events(self) -> bool {
        matches!(
            self,
            Pp::FmapEvent | Pp::FmapEventSpin | Pp::WakeFmapOne | Pp::WakeFmapAny(_)
        )
    }

    fn fmap_sems(self) -> bool {
        matches!(self, Pp::FmapSem | Pp::FmapSemSpin)
    }

    fn idle_count(self) -> usize {
        match self {
            Pp::WakeWaitv(n) | Pp::WakeFmapAny(n) => n - 1,
            _ => 0,
        }
    }
}

fn names(p: Pp) -> (String, String) {
    (
        format!("pp-{}-ping", p.name()),
        format!("pp-{}-pong", p.name()),
    )
}

fn idle_name(p: Pp, i: usize) -> String {
    format!("pp-{}-idle-{i}", p.name())
}

fn raw_sync_id(root: &Path) -> String {
    format!(
        "fmap-bench-rawsync-{}",
        root.file_name().and_then(|s| s.to_str()).unwrap_or("x")
    )
}

/// Either kind of fmap object, as a pair (ping, pong).
enum FmapPair {
    Ev(Event, Event),
    Sem(Semaphore, Semaphore),
}

impl FmapPair {
    fn signal_ping(&self) -> fmap::Result<()> {
        match self {
            FmapPair::Ev(p, _) => p.set(),
            FmapPair::Sem(p, _) => p.release(1).map(|_| ()),
        }
    }
    fn signal_pong(&self) -> fmap::Result<()> {
        match self {
            FmapPair::Ev(_, q) => q.set(),
            FmapPair::Sem(_, q) => q.release(1).map(|_| ()),
        }
    }
    fn wait_ping(&self) -> fmap::Result<WaitResult> {
        match self {
            FmapPair::Ev(p, _) => p.wait(None),
            FmapPair::Sem(p, _) => p.wait(None),
        }
    }
    fn wait_pong(&self) -> fmap::Result<WaitResult> {
        match self {
            FmapPair::Ev(_, q) => q.wait(None),
            FmapPair::Sem(_, q) => q.wait(None),
        }
    }
    fn ping(&self) -> &dyn Waitable {
        match self {
            FmapPair::Ev(p, _) => p,
            FmapPair::Sem(p, _) => p,
        }
    }
}

/// raw_sync's two auto-reset events (pthread mutex + condition variable) in a
/// `shared_memory` section.
struct RawSyncPair {
    _shm: shared_memory::Shmem,
    ping: Box<dyn raw_sync::events::EventImpl>,
    pong: Box<dyn raw_sync::events::EventImpl>,
}

impl RawSyncPair {
    fn create(id: &str) -> Res<RawSyncPair> {
        use raw_sync::events::{Event as RsEvent, EventInit};
        let shm = shared_memory::ShmemConf::new()
            .size(4096)
            .os_id(id)
            .create()
            .map_err(|e| format!("shared_memory create: {e}"))?;
        let base = shm.as_ptr();
        // SAFETY: both events lie inside the fresh 4 KiB section (2 KiB apart), which `_shm`
        // keeps mapped as long as the events; this one at its start.
        let (ping, _) = unsafe { RsEvent::new(base, true) }.map_err(|e| format!("{e}"))?;
        // SAFETY: as above; `base + 2048` is inside the 4 KiB section (`add` stays in bounds),
        // and the event there does not overlap the first one (an event is far below 2 KiB).
        let (pong, _) =
            unsafe { RsEvent::new(base.add(2048), true) }.map_err(|e| format!("{e}"))?;
        Ok(RawSyncPair {
            _shm: shm,
            ping,
            pong,
        })
    }

    fn open(id: &str) -> Res<RawSyncPair> {
        use raw_sync::events::{Event as RsEvent, EventInit};
        let shm = shared_memory::ShmemConf::new()
            .os_id(id)
            .open()
            .map_err(|e| format!("shared_memory open: {e}"))?;
        let base = shm.as_ptr();
        // SAFETY: the first process initialised an event at the start of this 4 KiB section
        // (`create`), which `_shm` keeps mapped as long as the events.
        let (ping, _) = unsafe { RsEvent::from_existing(base) }.map_err(|e| format!("{e}"))?;
        // SAFETY: likewise the second event, 2 KiB in (`add` stays inside the section).
        let (pong, _) =
            unsafe { RsEvent::from_existing(base.add(2048)) }.map_err(|e| format!("{e}"))?;
        Ok(RawSyncPair {
            _shm: shm,
            ping,
            pong,
        })
    }
}

fn rs_set(e: &dyn raw_sync::events::EventImpl) -> Res<()> {
    e.set(raw_sync::events::EventState::Signaled)
        .map_err(|e| format!("raw_sync set: {e}").into())
}

fn rs_wait(e: &dyn raw_sync::events::EventImpl) -> Res<()> {
    e.wait(raw_sync::Timeout::Infinite)
        .map_err(|e| format!("raw_sync wait: {e}").into())
}

// ---------------------------------------------------------------------------------------------
// The second process

pub fn child(args: &[String]) -> Res<()> {
    let kind = args.first().map(String::as_str).unwrap_or("");
    let root = std::path::PathBuf::from(
        std::env::var_os(fmap::ROOT_ENV).ok_or("child: FMAP_ROOT not set")?,
    );
    let num = |i: usize| -> Res<usize> {
        Ok(args
            .get(i)
            .ok_or("child: missing argument")?
            .parse::<usize>()?)
    };
    match kind {
        "pp" => {
            let p = Pp::parse(args.get(1).ok_or("pp: method")?).ok_or("pp: unknown method")?;
            child_pp(p, num(2)?, &root)
        }
        "bulk" => crate::bulk::child(&args[1..], &root),
        "abandon-fmap" | "abandon-pthread" => child_abandon(kind, &root),
        "contended-fmap" | "contended-pthread" => {
            child_contended(kind == "contended-fmap", num(1)?, &root)
        }
        "hold" => {
            let name = args.get(1).ok_or("hold: name")?;
            let m = MappingOptions::new()
                .name(name)
                .size(num(2)? as u64)
                .create()?;
            say("READY");
            let mut sink = Vec::new();
            use std::io::Read;
            let _ = std::io::stdin().read_to_end(&mut sink);
            drop(m);
            Ok(())
        }
        _ => Err(format!("unknown child kind {kind:?}").into()),
    }
}

fn child_pp(p: Pp, total: usize, root: &Path) -> Res<()> {
    fmap::set_spin(if p.spins() {
        DEFAULT_SPIN
    } else {
        Duration::ZERO
    });
    let pinned = pin_to(1);
    let shm = Shm::open(root, false)?;
    let (pi, po) = names(p);
    let pair = if p.fmap_events() {
        Some(FmapPair::Ev(
            Event::open(&pi, fmap::SyncAccess::EVENT_ALL_ACCESS)?,
            Event::open(&po, fmap::SyncAccess::EVENT_ALL_ACCESS)?,
        ))
    } else if p.fmap_sems() {
        Some(FmapPair::Sem(
            Semaphore::open(&pi, fmap::SyncAccess::SEMAPHORE_ALL_ACCESS)?,
            Semaphore::open(&po, fmap::SyncAccess::SEMAPHORE_ALL_ACCESS)?,
        ))
    } else {
        None
    };
    let idle: Vec<Event> = if matches!(p, Pp::WakeFmapAny(_)) {
        (0..p.idle_count())
            .map(|i| Event::open(&idle_name(p, i), fmap::SyncAccess::EVENT_ALL_ACCESS))
            .collect::<fmap::Result<_>>()?
    } else {
        Vec::new()
    };
    let rs = if p == Pp::RawSync {
        Some(RawSyncPair::open(&raw_sync_id(root))?)
    } else {
        None
    };
    let sock = if p == Pp::Unix {
        Some(std::os::unix::net::UnixStream::connect(root.join("sock"))?)
    } else {
        None
    };
    say(&format!("READY cpu={} pinned={pinned}", current_cpu()));
    let cpu0 = cpu_ns();
    let lat = |shm: &Shm| {
        let now = monotonic_ns();
        shm.u64(OFF_LAT)
            .store(now.saturating_sub(shm.u64(OFF_T0).load(Acquire)), Release);
    };
    match p {
        Pp::RawFutex => {
            for _ in 0..total {
                raw_wait(shm.u32(OFF_PING));
                raw_signal(shm.u32(OFF_PONG));
            }
        }
        Pp::Spin => {
            let w = shm.u32(OFF_SPIN);
            for i in 0..total as u32 {
                while w.load(Acquire) != 2 * i + 1 {
                    std::hint::spin_loop();
                }
                w.store(2 * i + 2, Release);
            }
        }
        Pp::Pipe => {
            for _ in 0..total {
                let b = read_byte(0)?;
                write_byte(1, b)?;
            }
        }
        Pp::Unix => {
            use std::os::fd::AsRawFd;
            let fd = sock.as_ref().expect("socket").as_raw_fd();
            for _ in 0..total {
                let b = read_byte(fd)?;
                write_byte(fd, b)?;
            }
        }
        Pp::RawSync => {
            let rs = rs.as_ref().expect("raw_sync");
            for _ in 0..total {
                rs_wait(rs.ping.as_ref())?;
                rs_set(rs.pong.as_ref())?;
            }
        }
        Pp::FmapEvent | Pp::FmapEventSpin | Pp::FmapSem | Pp::FmapSemSpin => {
            let pair = pair.as_ref().expect("objects");
            for _ in 0..total {
                let _ = pair.wait_ping()?;
                pair.signal_pong()?;
            }
        }
        Pp::WakeFutex => {
            for _ in 0..total {
                raw_wait(shm.u32(OFF_PING));
                lat(&shm);
                raw_signal(shm.u32(OFF_PONG));
            }
        }
        Pp::WakeWaitv(n) => {
            let mut words: Vec<&std::sync::atomic::AtomicU32> =
                (0..n - 1).map(|i| shm.u32(OFF_IDLE + 4 * i)).collect();
            let ping = shm.u32(OFF_PING);
            words.push(ping);
            for _ in 0..total {
                while ping.swap(0, Acquire) == 0 {
                    futex_waitv_zero(&words);
                }
                lat(&shm);
                raw_signal(shm.u32(OFF_PONG));
            }
        }
        Pp::WakeFmapOne | Pp::WakeFmapAny(_) => {
            let pair = pair.as_ref().expect("objects");
            let mut all: Vec<&dyn Waitable> = idle.iter().map(|e| e as &dyn Waitable).collect();
            all.push(pair.ping());
            for _ in 0..total {
                if p == Pp::WakeFmapOne {
                    let _ = pair.wait_ping()?;
                } else {
                    let r = wait_any(&all, None)?;
                    if r != WaitResult::Signaled(all.len() - 1) {
                        return Err(format!("wait_any returned {r:?}").into());
                    }
                }
                lat(&shm);
                pair.signal_pong()?;
            }
        }
    }
    say(&format!("DONE cpu={}", cpu_ns() - cpu0));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The first process: ping-pong and wake latency

pub struct PpResult {
    pub rt: (f64, f64),
    pub oneway: Option<(f64, f64)>,
    /// CPU time per round trip: (first process, second process).
    pub cpu: (f64, f64),
    pub child_cpu: String,
}

/// The samples of one run of one method.
struct PpRun {
    rts: Vec<f64>,
    lats: Vec<f64>,
    cpu: (f64, f64),
    total: usize,
    child_cpu: String,
}

/// Runs `p` in `rounds` runs of `count / rounds` round trips each, interleaved with the other
/// methods by the caller's `interleave` order, and pools the samples.
pub fn run_pp_rounds(
    methods: &[Pp],
    rounds: usize,
    root: &Path,
    ns: &Namespace,
    shm: &Shm,
    count: usize,
    mut tick: impl FnMut(Pp),
) -> Res<Vec<PpResult>> {
    let per = count.div_ceil(rounds);
    let mut runs: Vec<Vec<PpRun>> = methods.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds {
        for (k, &p) in methods.iter().enumerate() {
            runs[k].push(run_pp(p, root, ns, shm, per)?);
            tick(p);
        }
    }
    Ok(runs
        .into_iter()
        .map(|rs| {
            let (mut rts, mut lats) = (Vec::new(), Vec::new());
            let (mut c0, mut c1, mut total) = (0.0, 0.0, 0);
            let mut child_cpu = String::new();
            for r in rs {
                rts.extend(r.rts);
                lats.extend(r.lats);
                c0 += r.cpu.0;
                c1 += r.cpu.1;
                total += r.total;
                child_cpu = r.child_cpu;
            }
            PpResult {
                rt: median_p99(rts),
                oneway: (!lats.is_empty()).then(|| median_p99(lats)),
                cpu: (c0 / total as f64, c1 / total as f64),
                child_cpu,
            }
        })
        .collect())
}

fn run_pp(p: Pp, root: &Path, ns: &Namespace, shm: &Shm, count: usize) -> Res<PpRun> {
    let warmup = (count / 10).max(50);
    let total = warmup + count;
    fmap::set_spin(if p.spins() {
        DEFAULT_SPIN
    } else {
        Duration::ZERO
    });
    let (pi, po) = names(p);
    let pair = if p.fmap_events() {
        Some(FmapPair::Ev(
            Event::create_in(ns, Some(&pi), false, false)?,
            Event::create_in(ns, Some(&po), false, false)?,
        ))
    } else if p.fmap_sems() {
        Some(FmapPair::Sem(
            Semaphore::create_in(ns, Some(&pi), 0, 1)?,
            Semaphore::create_in(ns, Some(&po), 0, 1)?,
        ))
    } else {
        None
    };
    let _idle: Vec<Event> = if matches!(p, Pp::WakeFmapAny(_)) {
        (0..p.idle_count())
            .map(|i| Event::create_in(ns, Some(&idle_name(p, i)), false, false))
            .collect::<fmap::Result<_>>()?
    } else {
        Vec::new()
    };
    let rs = if p == Pp::RawSync {
        Some(RawSyncPair::create(&raw_sync_id(root))?)
    } else {
        None
    };
    let listener = if p == Pp::Unix {
        let path = root.join("sock");
        let _ = std::fs::remove_file(&path);
        Some(std::os::unix::net::UnixListener::bind(path)?)
    } else {
        None
    };
    for off in [OFF_PING, OFF_PONG, OFF_SPIN] {
        shm.u32(off).store(0, SeqCst);
    }
    let child = ChildProc::spawn(root, &["pp".into(), p.name(), total.to_string()])?;
    let stream = match &listener {
        Some(l) => Some(l.accept()?.0),
        None => None,
    };
    let child_cpu = child.expect_line("READY")?;
    let (to_child, from_child) = (child.in_fd(), child.out_fd());
    let sock_fd = stream.as_ref().map(|s| {
        use std::os::fd::AsRawFd;
        s.as_raw_fd()
    });
    let mut rts = Vec::with_capacity(count);
    let mut lats = Vec::with_capacity(count);
    let cpu0 = cpu_ns();
    for i in 0..total {
        if p.wake() {
            let until = Instant::now() + SETTLE;
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        let t = Instant::now();
        match p {
            Pp::RawFutex => {
                raw_signal(shm.u32(OFF_PING));
                raw_wait(shm.u32(OFF_PONG));
            }
            Pp::Spin => {
                let w = shm.u32(OFF_SPIN);
                let i = i as u32;
                w.store(2 * i + 1, Release);
                while w.load(Acquire) != 2 * i + 2 {
                    std::hint::spin_loop();
                }
            }
            Pp::Pipe => {
                write_byte(to_child, b'x')?;
                read_byte(from_child)?;
            }
            Pp::Unix => {
                let fd = sock_fd.expect("socket");
                write_byte(fd, b'x')?;
                read_byte(fd)?;
            }
            Pp::RawSync => {
                let rs = rs.as_ref().expect("raw_sync");
                rs_set(rs.ping.as_ref())?;
                rs_wait(rs.pong.as_ref())?;
            }
            Pp::FmapEvent | Pp::FmapEventSpin | Pp::FmapSem | Pp::FmapSemSpin => {
                let pair = pair.as_ref().expect("objects");
                pair.signal_ping()?;
                let _ = pair.wait_pong()?;
            }
            Pp::WakeFutex | Pp::WakeWaitv(_) => {
                shm.u64(OFF_T0).store(monotonic_ns(), Release);
                raw_signal(shm.u32(OFF_PING));
                raw_wait(shm.u32(OFF_PONG));
            }
            Pp::WakeFmapOne | Pp::WakeFmapAny(_) => {
                let pair = pair.as_ref().expect("objects");
                shm.u64(OFF_T0).store(monotonic_ns(), Release);
                pair.signal_ping()?;
                let _ = pair.wait_pong()?;
            }
        }
        let el = t.elapsed().as_nanos() as f64;
        if i >= warmup {
            rts.push(el);
            if p.wake() {
                lats.push(shm.u64(OFF_LAT).load(Acquire) as f64);
            }
        }
    }
    let my_cpu = (cpu_ns() - cpu0) as f64;
    let done = child.expect_line("DONE")?;
    let their_cpu = field(&done, "cpu").ok_or("bad DONE line")?;
    child.finish()?;
    Ok(PpRun {
        rts,
        lats,
        cpu: (my_cpu, their_cpu),
        total,
        child_cpu,
    })
}

// ---------------------------------------------------------------------------------------------
// Abandonment: the second process takes a mutex and is SIGKILLed while the first waits on it.

fn child_abandon(kind: &str, root: &Path) -> Res<()> {
    pin_to(1);
    let shm = Shm::open(root, false)?;
    let _m;
    if kind == "abandon-fmap" {
        let m = fmap::Mutex::open("abandon", fmap::SyncAccess::MUTEX_ALL_ACCESS)?;
        let g = m.lock()?;
        std::mem::forget(g);
        _m = Some(m);
    } else {
        _m = None;
        // SAFETY: the first process initialised a robust process-shared mutex there.
        let r = unsafe { libc::pthread_mutex_lock(shm.ptr(OFF_PMUTEX).cast()) };
        if r != 0 && r != libc::EOWNERDEAD {
            return Err(format!("pthread_mutex_lock: {r}").into());
        }
        if r == libc::EOWNERDEAD {
            // SAFETY: EOWNERDEAD means this thread now owns the (initialised, robust) mutex,
            // which is what `pthread_mutex_consistent` requires.
            unsafe { libc::pthread_mutex_consistent(shm.ptr(OFF_PMUTEX).cast()) };
        }
    }
    say("READY");
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

pub fn init_pthread_mutex(shm: &Shm) {
    // SAFETY: the mutex lies in the shared page; the attribute object is local.
    unsafe {
        let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
        libc::pthread_mutexattr_init(&mut attr);
        libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED);
        libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST);
        libc::pthread_mutex_init(shm.ptr(OFF_PMUTEX).cast(), &attr);
        libc::pthread_mutexattr_destroy(&mut attr);
    }
}

/// Median and p99 of the time from `kill(SIGKILL)` of the owner to the waiter's return with
/// "abandoned" (fmap: `WaitResult::Abandoned`; pthread: `EOWNERDEAD`).
pub fn run_abandon(
    fmap_kind: bool,
    root: &Path,
    ns: &Namespace,
    shm: &Shm,
    n: usize,
) -> Res<(f64, f64)> {
    fmap::set_spin(Duration::ZERO);
    let m = if fmap_kind {
        Some(fmap::Mutex::create_in(ns, Some("abandon"), false)?)
    } else {
        None
    };
    let mut lats = Vec::new();
    for _ in 0..n {
        let kind = if fmap_kind {
            "abandon-fmap"
        } else {
            "abandon-pthread"
        };
        let mut child = ChildProc::spawn(root, &[kind.into()])?;
        child.expect_line("READY")?;
        let pid = child.0.id() as libc::pid_t;
        let t0 = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let t0k = t0.clone();
        // The killer thread: lets the waiter go to sleep in the kernel, then kills the owner.
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(2));
            t0k.store(monotonic_ns(), SeqCst);
            // SAFETY: kill has no memory preconditions; the child is ours and not reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        });
        let t1;
        if let Some(m) = &m {
            let r = fmap::wait_one(m, None)?;
            t1 = monotonic_ns();
            if r != WaitResult::Abandoned(0) {
                return Err(format!("expected WAIT_ABANDONED, got {r:?}").into());
            }
            m.release()?;
        } else {
            // SAFETY: an initialised robust mutex in the shared page.
            let r = unsafe { libc::pthread_mutex_lock(shm.ptr(OFF_PMUTEX).cast()) };
            t1 = monotonic_ns();
            if r != libc::EOWNERDEAD {
                return Err(format!("expected EOWNERDEAD, got {r}").into());
            }
            // SAFETY: EOWNERDEAD (checked above) means this thread now owns the initialised robust
            // mutex: it may mark it consistent and unlock it.
            unsafe {
                libc::pthread_mutex_consistent(shm.ptr(OFF_PMUTEX).cast());
                libc::pthread_mutex_unlock(shm.ptr(OFF_PMUTEX).cast());
            }
        }
        killer.join().map_err(|_| "killer thread panicked")?;
        let _ = child.0.wait();
        lats.push(t1.saturating_sub(t0.load(SeqCst)) as f64);
    }
    Ok(median_p99(lats))
}

// ---------------------------------------------------------------------------------------------
// Contended mutex: both processes lock, work 1 µs, unlock, `n` times each.

const OFF_CONTEND_GO: usize = 640; // u32: 1 = start
const OFF_CONTEND_LAST: usize = 648; // u64: who acquired last (1 = first process, 2 = second)
const OFF_CONTEND_RUN: usize = 656; // u64: length of the current run of `LAST`
const OFF_CONTEND_MAXRUN: usize = 664; // u64: the longest run so far
const OFF_CONTEND_RUNS: usize = 672; // 2 × u64: how many runs each process had
const OFF_CONTEND_DONE: usize = 688; // u32: a process has finished (the other then runs alone)

/// What one contended run measured.
pub struct Contended {
    /// Wall time per acquisition (both processes' acquisitions counted).
    pub per_op_ns: f64,
    /// The longest run of consecutive acquisitions by one process.
    pub max_run: u64,
    /// How many runs each process had.
    pub runs: [u64; 2],
}

impl Contended {
    pub fn note(&self) -> String {
        format!(
            "longest run of one process: {}; runs: {} and {}",
            self.max_run, self.runs[0], self.runs[1]
        )
    }
}

/// One process's share of the contended loop; `me` is 1 or 2. The bookkeeping words are
/// touched only while holding the mutex.
fn contended_loop(
    shm: &Shm,
    me: u64,
    n: usize,
    lock: &dyn Fn() -> Res<()>,
    unlock: &dyn Fn() -> Res<()>,
) -> Res<()> {
    while shm.u32(OFF_CONTEND_GO).load(SeqCst) == 0 {
        std::hint::spin_loop();
    }
    for _ in 0..n {
        lock()?;
        if shm.u32(OFF_CONTEND_DONE).load(Relaxed) != 0 {
            // The other process has finished: this one runs alone, which says nothing about
            // fairness.
            busy_1us();
            unlock()?;
            continue;
        }
        let last = shm.u64(OFF_CONTEND_LAST);
        let run = shm.u64(OFF_CONTEND_RUN);
        if last.load(Relaxed) == me {
            let r = run.load(Relaxed) + 1;
            run.store(r, Relaxed);
            shm.u64(OFF_CONTEND_MAXRUN).fetch_max(r, Relaxed);
        } else {
            last.store(me, Relaxed);
            run.store(1, Relaxed);
            shm.u64(OFF_CONTEND_RUNS + 8 * (me as usize - 1))
                .fetch_add(1, Relaxed);
            shm.u64(OFF_CONTEND_MAXRUN).fetch_max(1, Relaxed);
        }
        busy_1us();
        unlock()?;
    }
    shm.u32(OFF_CONTEND_DONE).store(1, Relaxed);
    Ok(())
}

/// The work done while holding the mutex.
fn busy_1us() {
    let t = std::time::Instant::now();
    while t.elapsed() < Duration::from_micros(1) {
        std::hint::spin_loop();
    }
}

fn pthread_lock(shm: &Shm) -> Res<()> {
    // SAFETY: an initialised robust process-shared mutex in the shared page.
    let r = unsafe { libc::pthread_mutex_lock(shm.ptr(OFF_PMUTEX).cast()) };
    match r {
        0 => Ok(()),
        e => Err(format!("pthread_mutex_lock: {e}").into()),
    }
}

fn pthread_unlock(shm: &Shm) -> Res<()> {
    // SAFETY: this thread owns the initialised mutex (it locked it in `pthread_lock`).
    let r = unsafe { libc::pthread_mutex_unlock(shm.ptr(OFF_PMUTEX).cast()) };
    match r {
        0 => Ok(()),
        e => Err(format!("pthread_mutex_unlock: {e}").into()),
    }
}

fn child_contended(fmap_kind: bool, n: usize, root: &Path) -> Res<()> {
    pin_to(1);
    let shm = Shm::open(root, false)?;
    if fmap_kind {
        fmap::set_spin(DEFAULT_SPIN);
        fmap::set_handoff(true);
        let m = fmap::Mutex::open("contended", fmap::SyncAccess::MUTEX_ALL_ACCESS)?;
        say("READY");
        contended_loop(
            &shm,
            2,
            n,
            &|| {
                m.lock()?.leak();
                Ok(())
            },
            &|| Ok(m.release()?),
        )?;
    } else {
        say("READY");
        contended_loop(&shm, 2, n, &|| pthread_lock(&shm), &|| pthread_unlock(&shm))?;
    }
    say("DONE");
    Ok(())
}

/// Two processes (this one on CPU 0, a child on CPU 1) contend for one mutex, `n` acquisitions
/// each, adaptive spin at its default for fmap.
pub fn run_contended(
    fmap_kind: bool,
    root: &Path,
    ns: &Namespace,
    shm: &Shm,
    n: usize,
) -> Res<Contended> {
    pin_to(0);
    for off in [
        OFF_CONTEND_LAST,
        OFF_CONTEND_RUN,
        OFF_CONTEND_MAXRUN,
        OFF_CONTEND_RUNS,
        OFF_CONTEND_RUNS + 8,
    ] {
        shm.u64(off).store(0, SeqCst);
    }
    shm.u32(OFF_CONTEND_GO).store(0, SeqCst);
    shm.u32(OFF_CONTEND_DONE).store(0, SeqCst);
    let m = if fmap_kind {
        fmap::set_spin(DEFAULT_SPIN);
        fmap::set_handoff(true);
        Some(fmap::Mutex::create_in(ns, Some("contended"), false)?)
    } else {
        init_pthread_mutex(shm);
        None
    };
    let kind = if fmap_kind {
        "contended-fmap"
    } else {
        "contended-pthread"
    };
    let child = ChildProc::spawn(root, &[kind.into(), n.to_string()])?;
    child.expect_line("READY")?;
    let t0 = std::time::Instant::now();
    shm.u32(OFF_CONTEND_GO).store(1, SeqCst);
    match &m {
        Some(m) => contended_loop(
            shm,
            1,
            n,
            &|| {
                m.lock()?.leak();
                Ok(())
            },
            &|| Ok(m.release()?),
        )?,
        None => contended_loop(shm, 1, n, &|| pthread_lock(shm), &|| pthread_unlock(shm))?,
    }
    child.expect_line("DONE")?;
    let el = t0.elapsed().as_nanos() as f64;
    child.finish()?;
    Ok(Contended {
        per_op_ns: el / (2 * n) as f64,
        max_run: shm.u64(OFF_CONTEND_MAXRUN).load(SeqCst),
        runs: [
            shm.u64(OFF_CONTEND_RUNS).load(SeqCst),
            shm.u64(OFF_CONTEND_RUNS + 8).load(SeqCst),
        ],
    })
}
