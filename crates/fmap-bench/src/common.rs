//! Helpers shared by the benchmarks: CPU placement, clocks, the raw shared page, futexes,
//! statistics and the second process.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64};

pub type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Pins the calling thread (and what it spawns later) to `cpu`; false if that failed.
pub fn pin_to(cpu: usize) -> bool {
    // SAFETY: a zeroed cpu_set_t is valid; sched_setaffinity only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

pub fn current_cpu() -> i32 {
    // SAFETY: no arguments.
    unsafe { libc::sched_getcpu() }
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes the timespec we pass.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

pub fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// CPU time consumed by this process so far (all threads), `CLOCK_PROCESS_CPUTIME_ID`.
pub fn cpu_ns() -> u64 {
    clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

pub const CTL_FILE: &str = "ctl";
pub const CTL_SIZE: usize = 8192;

/// A `MAP_SHARED` mapping of a plain file in the run's directory: the raw methods' shared
/// memory and the control words of the fmap methods.
pub struct Shm {
    ptr: *mut u8,
}

impl Shm {
    pub fn open(dir: &Path, create: bool) -> Res<Shm> {
        let path = dir.join(CTL_FILE);
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(&path)?;
        if create {
            f.set_len(CTL_SIZE as u64)?;
        }
        use std::os::fd::AsRawFd;
        // SAFETY: a fresh shared mapping of the file; nothing is replaced.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                CTL_SIZE,
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

    pub fn u32(&self, off: usize) -> &AtomicU32 {
        assert!(off + 4 <= CTL_SIZE && off % 4 == 0);
        // SAFETY: aligned, in bounds, lives as long as `self`; only accessed atomically.
        unsafe { &*(self.ptr.add(off) as *const AtomicU32) }
    }

    pub fn u64(&self, off: usize) -> &AtomicU64 {
        assert!(off + 8 <= CTL_SIZE && off % 8 == 0);
        // SAFETY: `off` is 8-aligned and the 8 bytes are inside the page-aligned mapping
        // (asserted), which lives as long as `self`; the shared word is only accessed atomically.
        unsafe { &*(self.ptr.add(off) as *const AtomicU64) }
    }

    pub fn ptr(&self, off: usize) -> *mut u8 {
        assert!(off < CTL_SIZE);
        // SAFETY: `off < CTL_SIZE` (asserted): the result stays inside the mapping, as `add`
        // requires.
        unsafe { self.ptr.add(off) }
    }
}

impl Drop for Shm {
    fn drop(&mut self) {
        // SAFETY: `ptr` is the `CTL_SIZE`-byte mapping `open` made, unmapped only here; the
        // references `u32`/`u64` hand out borrow `self`, so none outlives it.
        unsafe { libc::munmap(self.ptr.cast(), CTL_SIZE) };
    }
}

pub fn futex_wait(word: &AtomicU32, expected: u32) {
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

pub fn futex_wake(word: &AtomicU32) {
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

/// `struct futex_waitv` of `futex_waitv(2)` (Linux ≥ 5.16).
#[repr(C)]
pub struct FutexWaitv {
    pub val: u64,
    pub uaddr: u64,
    pub flags: u32,
    pub reserved: u32,
}

const FUTEX2_SIZE_U32: u32 = 0x02;
const SYS_FUTEX_WAITV: libc::c_long = 449;

/// Sleeps until one of `words` is woken (or no longer holds 0).
pub fn futex_waitv_zero(words: &[&AtomicU32]) {
    let v: Vec<FutexWaitv> = words
        .iter()
        .map(|w| FutexWaitv {
            val: 0,
            uaddr: w.as_ptr() as u64,
            flags: FUTEX2_SIZE_U32,
            reserved: 0,
        })
        .collect();
    // SAFETY: an array of valid futex_waitv entries on live words; no timeout.
    unsafe {
        libc::syscall(
            SYS_FUTEX_WAITV,
            v.as_ptr(),
            v.len() as libc::c_uint,
            0u32,
            std::ptr::null::<libc::timespec>(),
            libc::CLOCK_MONOTONIC,
        );
    }
}

/// Raw futex signal: set the word to 1 and wake (always a system call).
pub fn raw_signal(word: &AtomicU32) {
    word.store(1, std::sync::atomic::Ordering::Release);
    futex_wake(word);
}

/// Raw futex wait: consume the 1, sleeping in the kernel while the word is 0.
pub fn raw_wait(word: &AtomicU32) {
    while word.swap(0, std::sync::atomic::Ordering::Acquire) == 0 {
        futex_wait(word, 0);
    }
}

pub fn write_byte(fd: i32, b: u8) -> Res<()> {
    // SAFETY: writes one byte from a local.
    let r = unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    if r != 1 {
        return Err(format!("write: {}", std::io::Error::last_os_error()).into());
    }
    Ok(())
}

pub fn read_byte(fd: i32) -> Res<u8> {
    let mut b = 0u8;
    // SAFETY: reads one byte into a local.
    let r = unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) };
    if r != 1 {
        return Err(format!("read: {} (r = {r})", std::io::Error::last_os_error()).into());
    }
    Ok(b)
}

/// Reads one line from `fd` byte by byte (no buffering: the pipe may carry other bytes).
pub fn read_line(fd: i32) -> Res<String> {
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

/// Writes one line to fd 1, unbuffered.
pub fn say(line: &str) {
    let l = format!("{line}\n");
    // SAFETY: `l` is a live buffer of `l.len()` bytes, which write(2) only reads.
    unsafe { libc::write(1, l.as_ptr().cast(), l.len()) };
}

/// The second process (this program with `--child …`); killed if still running when dropped.
pub struct ChildProc(pub Child);

impl ChildProc {
    pub fn spawn(root: &Path, args: &[String]) -> Res<ChildProc> {
        let child = Command::new(std::env::current_exe()?)
            .arg("--child")
            .args(args)
            .env(fmap::ROOT_ENV, root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(ChildProc(child))
    }

    pub fn in_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.0.stdin.as_ref().expect("stdin").as_raw_fd()
    }

    pub fn out_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.0.stdout.as_ref().expect("stdout").as_raw_fd()
    }

    /// Reads the child's `PREFIX rest` line and returns `rest`.
    pub fn expect_line(&self, prefix: &str) -> Res<String> {
        let line = read_line(self.out_fd())?;
        line.strip_prefix(prefix)
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| format!("second process: expected {prefix:?}, got {line:?}").into())
    }

    pub fn finish(mut self) -> Res<()> {
        drop(self.0.stdin.take());
        let st = self.0.wait()?;
        if !st.success() {
            return Err(format!("second process failed: {st}").into());
        }
        Ok(())
    }
}

impl Drop for ChildProc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Parses `key=value` pairs of a line.
pub fn field(line: &str, key: &str) -> Option<f64> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Median and p99 of the samples.
pub fn median_p99(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (percentile(&v, 0.5), percentile(&v, 0.99))
}

pub fn size_label(size: usize) -> String {
    if size >= 1 << 20 {
        format!("{} MiB", size >> 20)
    } else {
        format!("{} KiB", size >> 10)
    }
}
