//! Cross-process ping-pong: the round-trip latency of fmap's named auto-reset events next to the
//! raw Linux primitives, measured side by side in one run.
//!
//! The program re-executes itself as the second process (`--child METHOD COUNT`), once per
//! method. The first process is pinned to CPU 0 and the second to CPU 1 (`sched_setaffinity`),
//! so the two always run on separate cores. Methods:
//!
//! * `raw-futex`: two `u32` words in a `MAP_SHARED` file mapping; a side sets the other's word
//!   and calls `FUTEX_WAKE`, then sleeps in `FUTEX_WAIT` until its own word is set (no spinning:
//!   every wait sleeps).
//! * `fmap-blocking`: two named auto-reset events, spinning disabled with
//!   `fmap::set_spin(Duration::ZERO)` in both processes, so every waiter sleeps in the kernel.
//! * `spin`: a busy-wait on one shared word (one cache line bouncing between the cores).
//! * `fmap-spin`: the two events with fmap's default adaptive spin before sleeping (20 µs, or
//!   `$FMAP_SPIN_US`). Pitfall: fmap derives that default, at the first wait that sleeps, from
//!   `available_parallelism()`, i.e. from the *affinity mask*, so a process already pinned to
//!   one CPU gets no spin at all. The second process therefore lets fmap compute its default
//!   before it pins itself; the first one sets the documented default with `set_spin`.
//! * `pipe`: one byte each way over two pipes.
//! * `fmap-wait1` / `fmap-wait64`: wake latency (spin disabled) of a waiter in `wait_one` on one
//!   event, and in `wait_any` on 64 events of which the signaled one is the last (index 63).
//!   The first process writes a `CLOCK_MONOTONIC` timestamp to shared memory just before
//!   `Event::set`; the second reads the clock when its wait returns, so the one-way wake latency
//!   is measured directly (the round trip is reported too). Before each round trip the first
//!   process pauses 100 µs so that the waiter is asleep in the kernel when the event is set.
//!
//! The second process also reports how often it slept in the kernel (voluntary context
//! switches per round trip): about 1 when the waiter must sleep, about 0 when it spins.
//!
//! Each method runs `COUNT` round trips (20,000, as 4 interleaved rounds of 5,000 so that drifts
//! of the machine hit every method alike; 500 in one round with `--quick`), each round after a
//! warm-up of a tenth of it (at least 100); the first process times every round trip and
//! reports median and p99. Every run uses its own
//! namespace, `FMAP_ROOT` = a temporary directory under `/dev/shm` passed to the second process,
//! and removes it at the end.
//!
//! Run: `cargo run --release -p fmap --example pingpong [-- --quick] [--count N]
//! [--only METHOD,…]` (`--only` runs a subset, e.g. under `strace -f -c`).
//!
//! `--syscall-probe N` is a small program for `strace -f -c`: it does N × (event set, event
//! set + reset, semaphore release + wait(0), mutex try_lock + drop, mutex wait(0) + release)
//! with nobody waiting. The system-call counts must not grow with N.

use fmap::{wait_any, Event, Mutex, Namespace, Scope, Semaphore, WaitResult, Waitable};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::time::{Duration, Instant};

type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const FULL_COUNT: usize = 20_000;
const QUICK_COUNT: usize = 500;
const SHM_FILE: &str = "raw-shared-memory";
/// fmap-wait1/-wait64: pause before each round trip so that the waiter is asleep.
const SETTLE: Duration = Duration::from_micros(100);

// Offsets in the raw shared page (separate cache lines).
const OFF_PING: usize = 0;
const OFF_PONG: usize = 64;
const OFF_SPIN: usize = 128;
const OFF_T0: usize = 192;
const OFF_LAT: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Method {
    RawFutex,
    FmapBlocking,
    Spin,
    FmapSpin,
    Pipe,
    FmapWait1,
    FmapWait64,
}

impl Method {
    const ALL: [Method; 7] = [
        Method::RawFutex,
        Method::FmapBlocking,
        Method::Spin,
        Method::FmapSpin,
        Method::Pipe,
        Method::FmapWait1,
        Method::FmapWait64,
    ];

    fn name(self) -> &'static str {
        match self {
            Method::RawFutex => "raw-futex",
            Method::FmapBlocking => "fmap-blocking",
            Method::Spin => "spin",
            Method::FmapSpin => "fmap-spin",
            Method::Pipe => "pipe",
            Method::FmapWait1 => "fmap-wait1",
            Method::FmapWait64 => "fmap-wait64",
        }
    }

    fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Does this method use fmap with its default adaptive spin? (All other fmap methods
    /// disable spinning in both processes.)
    fn fmap_spins(self) -> bool {
        self == Method::FmapSpin
    }

    fn event_names(self) -> (String, String) {
        (
            format!("pp-{}-ping", self.name()),
            format!("pp-{}-pong", self.name()),
        )
    }
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--child") => {
            let method = args
                .get(1)
                .and_then(|m| Method::parse(m))
                .ok_or("--child needs a method")?;
            let total: usize = args.get(2).ok_or("--child needs a count")?.parse()?;
            child(method, total)
        }
        Some("--syscall-probe") => {
            let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(0);
            syscall_probe(n)
        }
        _ => {
            let mut count = FULL_COUNT;
            let mut only: Option<Vec<Method>> = None;
            let mut it = args.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--quick" => count = QUICK_COUNT,
                    "--count" => count = it.next().ok_or("--count needs a number")?.parse()?,
                    "--only" => {
                        let list = it.next().ok_or("--only needs METHOD[,METHOD…]")?;
                        only = Some(
                            list.split(',')
                                .map(|m| Method::parse(m).ok_or(format!("unknown method {m:?}")))
                                .collect::<std::result::Result<_, _>>()?,
                        );
                    }
                    other => {
                        return Err(format!(
                            "unknown argument {other:?} (see the doc comment at the top)"
                        )
                        .into())
                    }
                }
            }
            parent(count, only)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// Pins the calling process to `cpu`; false if the machine does not have it.
fn pin_to(cpu: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is valid; sched_setaffinity only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// Allows the calling process on every online CPU again.
fn unpin() {
    // SAFETY: sysconf has no preconditions; a zeroed cpu_set_t is valid and only read.
    unsafe {
        let n = libc::sysconf(libc::_SC_NPROCESSORS_ONLN).max(1) as usize;
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for cpu in 0..n.min(libc::CPU_SETSIZE as usize) {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn current_cpu() -> i32 {
    // SAFETY: no arguments.
    unsafe { libc::sched_getcpu() }
}

/// fmap computes its default spin lazily, at the first wait that sleeps, from
/// `available_parallelism()`, which counts the CPUs of the caller's *affinity mask*: a process
/// already pinned to one CPU gets no spinning at all, although its peer runs on another core.
/// Make fmap compute (and cache) the default now, before pinning, with a short wait that
/// sleeps on an unsignaled unnamed event.
fn prime_default_spin() -> Res<()> {
    let e = Event::create(None, false, false)?;
    let r = e.wait(Some(Duration::from_micros(100)))?;
    debug_assert_eq!(r, WaitResult::TimedOut);
    Ok(())
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A `MAP_SHARED` page of a plain file in the run's directory: the raw methods' shared memory.
struct Shm {
    ptr: *mut u8,
}

impl Shm {
    fn open(dir: &Path, create: bool) -> Res<Shm> {
        let path = dir.join(SHM_FILE);
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(&path)?;
        if create {
            f.set_len(4096)?;
        }
        use std::os::fd::AsRawFd;
        // SAFETY: a fresh shared mapping of a 4096-byte file; nothing is replaced.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error().into());
        }
        Ok(Shm { ptr: p.cast() })
    }

    fn u32(&self, off: usize) -> &AtomicU32 {
        // SAFETY: aligned, in bounds, lives as long as `self`; only accessed atomically.
        unsafe { &*(self.ptr.add(off) as *const AtomicU32) }
    }

    fn u64(&self, off: usize) -> &AtomicU64 {
        // SAFETY: callers pass the 8-aligned `OFF_*` constants, all inside the 4096-byte
        // mapping, which lives as long as `self`; the shared word is only accessed atomically.
        unsafe { &*(self.ptr.add(off) as *const AtomicU64) }
    }
}

impl Drop for Shm {
    fn drop(&mut self) {
        // SAFETY: our mapping.
        unsafe { libc::munmap(self.ptr.cast(), 4096) };
    }
}

fn futex_wait(word: &AtomicU32, expected: u32) {
    // SAFETY: FUTEX_WAIT on a valid word; shared futex (no FUTEX_PRIVATE_FLAG), no timeout.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0,
        );
    }
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE on a valid word; shared futex.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            1,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0,
        );
    }
}

/// Raw futex signal: set the word to 1 and wake (always a system call).
fn raw_signal(word: &AtomicU32) {
    word.store(1, Release);
    futex_wake(word);
}

/// Raw futex wait: consume the 1, sleeping in the kernel while the word is 0.
fn raw_wait(word: &AtomicU32) {
    while word.swap(0, Acquire) == 0 {
        futex_wait(word, 0);
    }
}

fn write_byte(fd: i32, b: u8) -> Res<()> {
    // SAFETY: writes one byte from a local.
    let r = unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    if r != 1 {
        return Err(format!("write: {}", std::io::Error::last_os_error()).into());
    }
    Ok(())
}

fn read_byte(fd: i32) -> Res<u8> {
    let mut b = 0u8;
    // SAFETY: reads one byte into a local.
    let r = unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) };
    if r != 1 {
        return Err(format!("read: {} (r = {r})", std::io::Error::last_os_error()).into());
    }
    Ok(b)
}

fn the_64_events_names(method: Method) -> Vec<String> {
    (0..63)
        .map(|i| format!("pp-{}-idle-{i}", method.name()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The second process

fn child(method: Method, total: usize) -> Res<()> {
    if method.fmap_spins() {
        // This process inherited the first one's affinity (CPU 0 only): undo it first, or fmap
        // would see one CPU and default to no spinning.
        unpin();
        prime_default_spin()?;
    } else {
        fmap::set_spin(Duration::ZERO);
    }
    let pinned = pin_to(1);
    let root = std::env::var_os(fmap::ROOT_ENV).ok_or("child: FMAP_ROOT not set")?;
    let shm = Shm::open(Path::new(&root), false)?;
    // fmap objects come from the default namespace, i.e. $FMAP_ROOT.
    let (ping_name, pong_name) = method.event_names();
    let events = match method {
        Method::FmapBlocking | Method::FmapSpin | Method::FmapWait1 | Method::FmapWait64 => Some((
            Event::open(&ping_name, fmap::SyncAccess::EVENT_ALL_ACCESS)?,
            Event::open(&pong_name, fmap::SyncAccess::EVENT_ALL_ACCESS)?,
        )),
        _ => None,
    };
    let idle: Vec<Event> = if method == Method::FmapWait64 {
        the_64_events_names(method)
            .iter()
            .map(|n| Event::open(n, fmap::SyncAccess::EVENT_ALL_ACCESS))
            .collect::<fmap::Result<_>>()?
    } else {
        Vec::new()
    };
    // Ready: tell the parent where we run. One line, written unbuffered on fd 1.
    let line = format!("READY cpu={} pinned={pinned}\n", current_cpu());
    // SAFETY: writes our buffer to fd 1.
    unsafe { libc::write(1, line.as_ptr().cast(), line.len()) };
    let sleeps_before = voluntary_switches();
    match method {
        Method::RawFutex => {
            let (ping, pong) = (shm.u32(OFF_PING), shm.u32(OFF_PONG));
            for _ in 0..total {
                raw_wait(ping);
                raw_signal(pong);
            }
        }
        Method::Spin => {
            let w = shm.u32(OFF_SPIN);
            for i in 0..total as u32 {
                while w.load(Acquire) != 2 * i + 1 {
                    std::hint::spin_loop();
                }
                w.store(2 * i + 2, Release);
            }
        }
        Method::Pipe => {
            for _ in 0..total {
                let b = read_byte(0)?;
                write_byte(1, b)?;
            }
        }
        Method::FmapBlocking | Method::FmapSpin => {
            let (ping, pong) = events.as_ref().expect("events");
            for _ in 0..total {
                let _ = ping.wait(None)?;
                pong.set()?;
            }
        }
        Method::FmapWait1 => {
            let (ping, pong) = events.as_ref().expect("events");
            for _ in 0..total {
                let r = ping.wait(None)?;
                let now = monotonic_ns();
                debug_assert_eq!(r, WaitResult::Signaled(0));
                shm.u64(OFF_LAT)
                    .store(now.saturating_sub(shm.u64(OFF_T0).load(Acquire)), Release);
                pong.set()?;
            }
        }
        Method::FmapWait64 => {
            let (ping, pong) = events.as_ref().expect("events");
            let mut all: Vec<&dyn Waitable> = idle.iter().map(|e| e as &dyn Waitable).collect();
            all.push(ping);
            assert_eq!(all.len(), 64);
            for _ in 0..total {
                let r = wait_any(&all, None)?;
                let now = monotonic_ns();
                if r != WaitResult::Signaled(63) {
                    return Err(format!("wait_any returned {r:?}, not Signaled(63)").into());
                }
                shm.u64(OFF_LAT)
                    .store(now.saturating_sub(shm.u64(OFF_T0).load(Acquire)), Release);
                pong.set()?;
            }
        }
    }
    // How often this process slept (voluntary context switches) during the loop.
    let line = format!("DONE sleeps={}\n", voluntary_switches() - sleeps_before);
    // SAFETY: writes our buffer to fd 1.
    unsafe { libc::write(1, line.as_ptr().cast(), line.len()) };
    Ok(())
}

/// Voluntary context switches of this process so far (each sleep in the kernel is one).
fn voluntary_switches() -> i64 {
    // SAFETY: a zeroed rusage is valid; getrusage writes it.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru.ru_nvcsw
    }
}

/// Reads one line from `fd` byte by byte (no buffering: the pipe also carries the pipe
/// method's bytes).
fn read_line(fd: i32) -> Res<String> {
    let mut line = Vec::new();
    loop {
        let b = read_byte(fd)?;
        if b == b'\n' {
            break;
        }
        line.push(b);
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

// ---------------------------------------------------------------------------------------------
// The first process

/// The second process; killed if still running when dropped (on an error in the first).
struct ChildProc(Child);

impl Drop for ChildProc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

struct Stats {
    method: Method,
    rt_median: f64,
    rt_p99: f64,
    /// One-way wake latency (only the fmap-wait methods).
    oneway: Option<(f64, f64)>,
    child_cpu: String,
    /// Sleeps in the kernel (voluntary context switches) of the second process per round trip.
    child_sleeps: f64,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64
}

fn median_p99(mut v: Vec<u64>) -> (f64, f64) {
    v.sort_unstable();
    (percentile(&v, 0.5), percentile(&v, 0.99))
}

fn run_method(
    method: Method,
    root: &Path,
    ns: &Namespace,
    shm: &Shm,
    count: usize,
    warmup: usize,
) -> Res<Run> {
    let total = warmup + count;
    // Objects are created here, before the second process starts, and opened there by name.
    let (ping_name, pong_name) = method.event_names();
    let mut _idle = Vec::new();
    let events = match method {
        Method::FmapBlocking | Method::FmapSpin | Method::FmapWait1 | Method::FmapWait64 => {
            if method == Method::FmapWait64 {
                for n in the_64_events_names(method) {
                    _idle.push(Event::create_in(ns, Some(&n), false, false)?);
                }
            }
            Some((
                Event::create_in(ns, Some(&ping_name), false, false)?,
                Event::create_in(ns, Some(&pong_name), false, false)?,
            ))
        }
        _ => None,
    };
    for off in [OFF_PING, OFF_PONG, OFF_SPIN] {
        shm.u32(off).store(0, SeqCst);
    }
    let child = Command::new(std::env::current_exe()?)
        .args(["--child", method.name(), &total.to_string()])
        .env(fmap::ROOT_ENV, root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut child = ChildProc(child);
    use std::os::fd::AsRawFd;
    let to_child = child.0.stdin.as_ref().ok_or("no stdin")?.as_raw_fd();
    let from_child = child.0.stdout.as_ref().ok_or("no stdout")?.as_raw_fd();
    let line = read_line(from_child).map_err(|e| format!("second process did not start: {e}"))?;
    let child_cpu = line
        .strip_prefix("READY ")
        .ok_or("bad READY line")?
        .to_owned();

    let mut rts = Vec::with_capacity(count);
    let mut lats = Vec::with_capacity(count);
    for i in 0..total {
        if matches!(method, Method::FmapWait1 | Method::FmapWait64) {
            // Let the second process go to sleep in the kernel first (a futex_waitv on 64
            // shared words takes tens of µs to set up): this measures the wake-up of a waiter
            // that is asleep, not the race with one that is still on its way to sleep.
            let until = Instant::now() + SETTLE;
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        let t = Instant::now();
        match method {
            Method::RawFutex => {
                raw_signal(shm.u32(OFF_PING));
                raw_wait(shm.u32(OFF_PONG));
            }
            Method::Spin => {
                let w = shm.u32(OFF_SPIN);
                let i = i as u32;
                w.store(2 * i + 1, Release);
                while w.load(Acquire) != 2 * i + 2 {
                    std::hint::spin_loop();
                }
            }
            Method::Pipe => {
                write_byte(to_child, b'x')?;
                read_byte(from_child)?;
            }
            Method::FmapBlocking | Method::FmapSpin => {
                let (ping, pong) = events.as_ref().expect("events");
                ping.set()?;
                let _ = pong.wait(None)?;
            }
            Method::FmapWait1 | Method::FmapWait64 => {
                let (ping, pong) = events.as_ref().expect("events");
                shm.u64(OFF_T0).store(monotonic_ns(), Release);
                ping.set()?;
                let _ = pong.wait(None)?;
                if i >= warmup {
                    lats.push(shm.u64(OFF_LAT).load(Acquire));
                }
            }
        }
        let el = t.elapsed().as_nanos() as u64;
        if i >= warmup {
            rts.push(el);
        }
    }
    let done = read_line(from_child)?;
    let sleeps: f64 = done
        .strip_prefix("DONE sleeps=")
        .ok_or("bad DONE line")?
        .parse()?;
    let status = child.0.wait()?;
    if !status.success() {
        return Err(format!("second process ({}) failed: {status}", method.name()).into());
    }
    Ok(Run {
        rts,
        lats,
        child_cpu,
        sleeps,
        total,
    })
}

/// The samples of one run of one method.
struct Run {
    rts: Vec<u64>,
    lats: Vec<u64>,
    child_cpu: String,
    sleeps: f64,
    total: usize,
}

/// Pools the runs of one method (all rounds).
fn pool(method: Method, runs: Vec<Run>) -> Stats {
    let mut rts = Vec::new();
    let mut lats = Vec::new();
    let (mut sleeps, mut total) = (0.0, 0);
    let mut cpus: Vec<String> = Vec::new();
    for r in runs {
        rts.extend(r.rts);
        lats.extend(r.lats);
        sleeps += r.sleeps;
        total += r.total;
        if !cpus.contains(&r.child_cpu) {
            cpus.push(r.child_cpu);
        }
    }
    let (rt_median, rt_p99) = median_p99(rts);
    let oneway = (!lats.is_empty()).then(|| median_p99(lats));
    Stats {
        method,
        rt_median,
        rt_p99,
        oneway,
        child_cpu: cpus.join(" / "),
        child_sleeps: sleeps / total as f64,
    }
}

fn parent(count: usize, only: Option<Vec<Method>>) -> Res<()> {
    // The methods are interleaved over several rounds (one second process per method and
    // round) so that slow drifts of the machine hit all of them alike.
    let rounds = if count >= 4000 { 4 } else { 1 };
    let per_round = count.div_ceil(rounds);
    let warmup = (per_round / 10).max(100);
    let ncpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    if ncpu < 2 {
        return Err("ping-pong needs two CPUs (the spin methods would not finish)".into());
    }
    prime_default_spin()?;
    let pinned = pin_to(0);
    let dir = tempfile::Builder::new()
        .prefix("fmap-pingpong-")
        .tempdir_in("/dev/shm")?;
    let root = dir.path().to_path_buf();
    let ns = Namespace::at(&root);
    let shm = Shm::open(&root, true)?;

    // fmap's documented default spin (`set_spin`): $FMAP_SPIN_US, else 20 µs with more than
    // one CPU. The second process gets it by not calling set_spin (see prime_default_spin);
    // this one switches between it and zero, so it sets it explicitly.
    let default_spin = std::env::var("FMAP_SPIN_US")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_micros)
        .unwrap_or(Duration::from_micros(20));
    println!("fmap cross-process ping-pong: {} round trips per method ({rounds} interleaved round(s) of {per_round}, each after {warmup} warm-up round trips)", per_round * rounds);
    println!(
        "CPU placement: first process pinned to CPU 0 (sched_setaffinity: {}; running on CPU {}), second process pinned to CPU 1; {ncpu} CPUs online",
        if pinned { "ok" } else { "FAILED" },
        current_cpu()
    );
    println!("namespace: FMAP_ROOT={}", root.display());
    println!("fmap-spin uses fmap's default adaptive spin ({default_spin:?}) in both processes; every other fmap method runs with fmap::set_spin(Duration::ZERO) in both");
    println!();

    let order = [
        Method::FmapSpin,
        Method::RawFutex,
        Method::FmapBlocking,
        Method::Spin,
        Method::Pipe,
        Method::FmapWait1,
        Method::FmapWait64,
    ];
    let order: Vec<Method> = order
        .into_iter()
        .filter(|m| only.as_ref().is_none_or(|o| o.contains(m)))
        .collect();
    let mut runs: Vec<Vec<Run>> = order.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for (k, &m) in order.iter().enumerate() {
            fmap::set_spin(if m.fmap_spins() {
                default_spin
            } else {
                Duration::ZERO
            });
            runs[k].push(run_method(m, &root, &ns, &shm, per_round, warmup)?);
        }
        if rounds > 1 {
            eprintln!("round {}/{rounds} done", round + 1);
        }
    }
    let mut stats = Vec::new();
    for (m, r) in order.into_iter().zip(runs) {
        let s = pool(m, r);
        print!(
            "{:<14} round trip: median {:>9.0} ns   p99 {:>9.0} ns",
            m.name(),
            s.rt_median,
            s.rt_p99
        );
        if let Some((med, p99)) = s.oneway {
            print!("   one-way wake: median {med:>8.0} ns  p99 {p99:>8.0} ns");
        }
        println!(
            "   [second process: {}, sleeps/round trip {:.2}]",
            s.child_cpu, s.child_sleeps
        );
        std::io::stdout().flush()?;
        stats.push(s);
    }

    let get = |m: Method| stats.iter().find(|s| s.method == m);
    // Median and p99 ratios of a/b, if both were measured.
    let ratio = |a: Method, b: Method| {
        let (a, b) = (get(a)?, get(b)?);
        Some((a.rt_median / b.rt_median, a.rt_p99 / b.rt_p99))
    };
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!();
    println!("ratios (median round trip; p99 in brackets):");
    if let Some((r, r99)) = ratio(Method::FmapBlocking, Method::RawFutex) {
        println!(
            "  fmap-blocking / raw-futex = {r:.2} [{r99:.2}]   target <= 1.10: {}",
            verdict(r <= 1.1)
        );
    }
    if let Some((r, r99)) = ratio(Method::FmapSpin, Method::RawFutex) {
        println!(
            "  fmap-spin     / raw-futex = {r:.2} [{r99:.2}]   target well below 1 (< 0.5): {}",
            verdict(r < 0.5)
        );
    }
    if let Some((r, r99)) = ratio(Method::FmapSpin, Method::Spin) {
        println!("  fmap-spin     / spin      = {r:.2} [{r99:.2}]");
    }
    if let Some((r, r99)) = ratio(Method::Pipe, Method::RawFutex) {
        println!("  pipe          / raw-futex = {r:.2} [{r99:.2}]");
    }
    if let (Some(w1), Some(w64)) = (get(Method::FmapWait1), get(Method::FmapWait64)) {
        let (w1, w64) = (w1.oneway.expect("one-way"), w64.oneway.expect("one-way"));
        let r = w64.0 / w1.0;
        let (rt, rt99) = ratio(Method::FmapWait64, Method::FmapWait1).expect("both measured");
        println!(
            "  wait_any(64, last signaled) / wait_one: one-way wake latency {r:.2} [{:.2}], round trip {rt:.2} [{rt99:.2}]   target <= 2: {}",
            w64.1 / w1.1,
            verdict(r <= 2.0)
        );
    }

    drop(shm);
    let left = ns.list(Scope::Local)?.len() + ns.list(Scope::Global)?.len();
    println!();
    println!("objects left in the namespace after the run: {left} (expected 0)");
    dir.close()?;
    println!("removed {}", root.display());
    if left != 0 {
        return Err("objects were left behind".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A small program for strace

fn syscall_probe(n: usize) -> Res<()> {
    let dir = tempfile::Builder::new()
        .prefix("fmap-probe-")
        .tempdir_in("/dev/shm")?;
    let ns = Namespace::at(dir.path());
    let ev = Event::create_in(&ns, Some("probe-event"), false, false)?;
    let ev2 = Event::create_in(&ns, Some("probe-event2"), false, true)?;
    let sem = Semaphore::create_in(&ns, Some("probe-sem"), 0, 1)?;
    let m = Mutex::create_in(&ns, Some("probe-mutex"), false)?;
    // Warm every path once so one-time set-up (thread ids, nonces) is outside the loop.
    ev.set()?;
    ev.reset()?;
    let zero = Some(Duration::ZERO);
    for _ in 0..n {
        ev2.set()?;
        ev.set()?;
        ev.reset()?;
        sem.release(1)?;
        assert_eq!(sem.wait(zero)?, WaitResult::Signaled(0));
        drop(m.try_lock()?.ok_or("mutex busy")?);
        assert_eq!(fmap::wait_one(&m, zero)?, WaitResult::Signaled(0));
        m.release()?;
    }
    drop((ev, ev2, sem, m));
    dir.close()?;
    println!("syscall probe: {n} iterations done");
    Ok(())
}
