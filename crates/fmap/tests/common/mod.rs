//! Helpers shared by the integration tests. Every file in `tests/` is a crate of its own and
//! includes this module with `mod common;` (or `#[macro_use] mod common;` for [`check!`]).
//!
//! * The child-process harness: a test binary runs itself again as
//!   `<exe> child_entry --exact --nocapture --test-threads=1` with an environment variable (one
//!   per test file, e.g. `FMAP_TEST_CHILD`) naming the *role* the child plays. The test file's
//!   `#[test] fn child_entry` hands that variable and its role dispatcher to [`child_entry`],
//!   which returns at once in a normal test run. Children report with `FMAP:…` lines on stdout
//!   and take orders from stdin; exit codes: 0 = success, 2 = a check failed (`FMAP:FAIL …`),
//!   3 = panic. The parent side is [`child_command`] and [`Proc`].
//! * Namespaces and temporary directories in `/dev/shm`, private tmpfs mounts, file-system
//!   usage, object files.
//! * Shared-memory words, a small random-number generator, thread ids and `/proc` probes.
//! * Error and wait helpers for the synchronization tests.

// Each test crate uses only some of these helpers, and the compiler checks each crate on its
// own: what one crate leaves unused would warn there although another crate uses it.
#![allow(dead_code, unused_macros)]

use fmap::{ErrorKind, Name, Namespace, View};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::AtomicU64;
use std::sync::{mpsc, Arc, Mutex as StdMutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tempfile::TempDir;

/// How long the parent waits for any one report or exit of a child before giving up.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// A hang guard for waits that are expected to succeed: long enough never to expire in a
/// correct run.
pub const GUARD_D: Duration = Duration::from_secs(30);
/// Poll (`dwMilliseconds = 0`).
pub const Z: Option<Duration> = Some(Duration::ZERO);

/// What a child role returns: `Err` is a failed check, with the reason.
pub type R<T = ()> = Result<T, String>;

/// Fails the enclosing function (which returns [`R`]) with a formatted message unless the
/// condition holds.
macro_rules! check {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err(format!($($arg)*));
        }
    };
}

/// `fmap` results as [`R`], the error prefixed with what was being done.
pub trait Ctx<T> {
    fn ctx(self, what: &str) -> R<T>;
}

impl<T> Ctx<T> for fmap::Result<T> {
    fn ctx(self, what: &str) -> R<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

// ------------------------------------------------------------------------------------------
// The child side
// ------------------------------------------------------------------------------------------

/// The body of a test file's `#[test] fn child_entry`. In a normal test run (`child_env` not
/// set) it returns at once. In a child, it plays the role named by `child_env` through `run`
/// and ends the process with `std::process::exit`: 0 if `run` succeeded, 2 if it failed
/// (reported as `FMAP:FAIL …` on stdout), 3 if it panicked (`FMAP:FAIL … panicked`).
pub fn child_entry(child_env: &str, run: fn(&str) -> R) {
    let Ok(role) = std::env::var(child_env) else {
        return;
    };
    let code = match std::panic::catch_unwind(|| run(&role)) {
        Ok(Ok(())) => 0,
        Ok(Err(msg)) => {
            println!("FMAP:FAIL [{role} pid {}] {msg}", std::process::id());
            2
        }
        Err(_) => {
            println!("FMAP:FAIL [{role} pid {}] panicked", std::process::id());
            3
        }
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

/// The environment variable `key` of a child (it must be set).
pub fn var(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| panic!("child: {key} is not set"))
}

/// The environment variable `key`, or `default` if it is not set.
pub fn var_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// The environment variable `key` as a number (it must be set).
pub fn num(key: &str) -> u64 {
    var(key)
        .parse()
        .unwrap_or_else(|_| panic!("child: {key} is not a number"))
}

/// The next line from the parent (empty at end of file), trimmed.
pub fn read_stdin_line() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim().to_owned()
}

/// Reports `FMAP:<line>` to the parent.
pub fn report(line: &str) {
    println!("FMAP:{line}");
    let _ = std::io::stdout().flush();
}

/// Reports `FMAP:READY` and waits for a line (or end of file) from the parent.
pub fn ready_and_wait() {
    report("READY");
    read_stdin_line();
}

// ------------------------------------------------------------------------------------------
// The parent side
// ------------------------------------------------------------------------------------------

/// The command that runs the test binary `exe` as a child playing `role`: only the test
/// `child_entry` runs, with `child_env` set to `role`.
pub fn child_command_at(exe: &Path, child_env: &str, role: &str) -> Command {
    let mut cmd = Command::new(exe);
    // `--exact child_entry`: the child runs that one test and nothing else.
    cmd.args(["child_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env(child_env, role);
    cmd
}

/// [`child_command_at`] for this test binary.
pub fn child_command(child_env: &str, role: &str) -> Command {
    child_command_at(&std::env::current_exe().unwrap(), child_env, role)
}

/// `(key, value)` pairs for [`Proc::spawn`].
pub fn env(pairs: &[(&'static str, &dyn std::fmt::Display)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// A running child process whose stdin, stdout and stderr are pipes: its `FMAP:` reports are
/// read by [`Proc::expect`], everything it prints is kept for the diagnostics. Killed (if it
/// still runs) when dropped.
pub struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    log: Arc<StdMutex<String>>,
    readers: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
    what: String,
}

impl Proc {
    /// Starts this test binary as a child playing `role` (see [`child_command`]) in the
    /// namespace root `root` (`FMAP_ROOT`), with the environment variables `env` in addition.
    pub fn spawn(child_env: &str, root: &Path, role: &str, env: &[(&str, String)]) -> Proc {
        let mut cmd = child_command(child_env, role);
        cmd.env("FMAP_ROOT", root);
        Proc::start(cmd, role, env)
    }

    /// Starts `cmd` (a [`child_command_at`] playing `role`, set up by the caller: another
    /// user, another working directory) with the environment variables `env` in addition, its
    /// stdin, stdout and stderr piped.
    pub fn start(mut cmd: Command, role: &str, env: &[(&str, String)]) -> Proc {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("cannot spawn a child process");
        let what = format!(
            "child {} ({role}, {})",
            child.id(),
            env.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let log = Arc::new(StdMutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let log1 = log.clone();
        let r1 = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                log1.lock().unwrap().push_str(&format!("out: {line}\n"));
                if let Some(at) = line.find("FMAP:") {
                    let _ = tx.send(line[at..].to_owned());
                }
            }
        });
        let log2 = log.clone();
        let r2 = std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                log2.lock().unwrap().push_str(&format!("err: {line}\n"));
            }
        });
        Proc {
            stdin: child.stdin.take(),
            child,
            lines: rx,
            log,
            readers: vec![r1, r2],
            status: None,
            what,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child, its exit status and everything it printed.
    pub fn diag(&self) -> String {
        format!(
            "{} (status {:?}); its output:\n{}",
            self.what,
            self.status,
            self.log.lock().unwrap()
        )
    }

    /// Waits for the next report starting with `prefix` and returns the rest of the line.
    pub fn expect(&mut self, prefix: &str) -> String {
        self.expect_within(prefix, TIMEOUT)
    }

    /// [`Proc::expect`] with a hang guard of `limit` instead of [`TIMEOUT`], for reports that
    /// come after a long run (thousands of cross-process rounds on a loaded machine).
    pub fn expect_within(&mut self, prefix: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with("FMAP:FAIL") => {
                    self.wait();
                    panic!("{line}\n{}", self.diag());
                }
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.trim().to_owned();
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("no {prefix} within {limit:?} from {}", self.diag())
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    self.wait();
                    panic!("{prefix} expected, but the child ended: {}", self.diag());
                }
            }
        }
    }

    /// Sends a line to the child's stdin.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        writeln!(stdin, "{line}").expect("cannot write to the child");
        stdin.flush().unwrap();
    }

    /// Closes the child's stdin (it reads end of file).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the child to end (at most [`TIMEOUT`]) and for its output.
    pub fn wait(&mut self) -> ExitStatus {
        if let Some(s) = self.status {
            return s;
        }
        self.stdin = None;
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let s = self.child.wait().unwrap();
                self.status = Some(s);
                panic!("timed out waiting for {}", self.diag());
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        self.status = Some(status);
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        status
    }

    /// Sends SIGKILL (`Child::kill`) without waiting.
    pub fn send_kill(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
        }
    }

    /// SIGKILL and reap. The child may have ended by itself just before (then it must have
    /// succeeded); see [`Proc::assert_no_failure`].
    pub fn kill(&mut self) -> ExitStatus {
        self.send_kill();
        let s = self.wait();
        self.assert_no_failure();
        s
    }

    /// SIGKILL and reap a child that must still be running: it must die of the SIGKILL, and
    /// must not have reported a failed check. Afterwards the kernel has released everything
    /// the child held, including its robust futexes.
    pub fn kill_running(&mut self) {
        assert!(self.status.is_none(), "{} already ended", self.what);
        self.child.kill().unwrap();
        let s = self.wait();
        assert_eq!(s.signal(), Some(libc::SIGKILL), "{}", self.diag());
        assert!(
            !self.log.lock().unwrap().contains("FMAP:FAIL"),
            "child failed: {}",
            self.diag()
        );
    }

    /// Asserts that the child did not report a failed check or exit with an error (a SIGKILL
    /// is no error).
    pub fn assert_no_failure(&mut self) {
        let s = self.status.expect("wait first");
        let ok = s.success() || s.signal() == Some(libc::SIGKILL);
        let log = self.log.lock().unwrap().clone();
        if !ok || log.contains("FMAP:FAIL") {
            panic!("child failed: {}", self.diag());
        }
    }

    /// Waits for a successful exit and returns the reports not consumed yet.
    pub fn wait_success(&mut self) -> Vec<String> {
        let s = self.wait();
        if !s.success() {
            panic!("child did not succeed: {}", self.diag());
        }
        self.lines.try_iter().collect()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether this process runs as root (some tests mount file systems or change users).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Fails the calling test unless this process runs as root. Root-only tests are marked
/// `#[ignore = "needs root …"]`, so a plain `cargo test` does not run them and
/// `cargo test -- --include-ignored` (what CI runs, as root) does; run without root, such a test
/// fails with this reason instead of passing without having checked anything.
pub fn require_root(why: &str) {
    assert!(
        is_root(),
        "this test needs root ({why}): run it as root with `cargo test -- --include-ignored`, \
         as CI does"
    );
}

// ------------------------------------------------------------------------------------------
// Namespaces and file systems
// ------------------------------------------------------------------------------------------

/// A temporary directory in `/dev/shm` whose name starts with `prefix`.
pub fn shm_tempdir(prefix: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in("/dev/shm")
        .unwrap()
}

/// A private namespace whose root is a new temporary directory in `/dev/shm` (kept as long as
/// the returned `TempDir`). Tests never use the default namespace for objects: the tests of
/// one process run in parallel threads.
pub fn namespace() -> (TempDir, Namespace) {
    namespace_with_prefix(".tmp")
}

/// [`namespace`] in a directory whose name starts with `prefix`.
pub fn namespace_with_prefix(prefix: &str) -> (TempDir, Namespace) {
    let d = shm_tempdir(prefix);
    let ns = Namespace::at(d.path());
    (d, ns)
}

/// The file of the object `name` in the namespace directory of its scope.
pub fn object_file(ns: &Namespace, name: &str) -> PathBuf {
    let n = Name::parse(name).unwrap();
    ns.dir_path(n.scope()).join(n.file_name())
}

/// The object files (all but `.lock`) in the `Local\` directory of `ns`; none if the
/// directory does not exist.
pub fn object_files(ns: &Namespace) -> Vec<String> {
    std::fs::read_dir(ns.dir_path(fmap::Scope::Local))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n != ".lock")
                .collect()
        })
        .unwrap_or_default()
}

/// (bytes in use, bytes available to unprivileged users) on the file system holding `path`.
fn fs_usage(path: &Path) -> (u64, u64) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: all-zero is a valid `statvfs`; the call only writes into it.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a valid, exclusively borrowed struct.
    let r = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    assert_eq!(r, 0, "statvfs {}", path.display());
    let used = (st.f_blocks as u64 - st.f_bfree as u64) * st.f_frsize as u64;
    let avail = st.f_bavail as u64 * st.f_frsize as u64;
    (used, avail)
}

/// `Shmem` of `/proc/meminfo` in bytes: all shared memory of the system (tmpfs files, memfds,
/// SysV segments). Sections whose memory is a companion memfd (see `fmap::store::holders`)
/// are counted here, not in their namespace's file system.
pub fn shmem_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").expect("/proc/meminfo");
    text.lines()
        .find_map(|l| l.strip_prefix("Shmem:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("Shmem in /proc/meminfo")
}

/// Polls `Shmem` until a section of `size` bytes is freed, with a 30 s hang guard (no timing
/// assertion): back within 1 MiB of `start`, or at least `size` less 1 MiB below `before_kill`
/// (`Shmem` is system-wide: other programs can move it meanwhile). Returns how long it took
/// since `killed_at` and the last reading.
pub fn wait_for_shmem_release(
    size: u64,
    start: u64,
    before_kill: u64,
    killed_at: std::time::Instant,
) -> (Duration, u64) {
    const MIB: u64 = 1 << 20;
    loop {
        let now = shmem_bytes();
        if now <= start + MIB || now + size <= before_kill + MIB {
            return (killed_at.elapsed(), now);
        }
        assert!(
            killed_at.elapsed() < GUARD_D,
            "the section's memory was not freed within {GUARD_D:?} of the kill: Shmem {start} \
             at the start, {before_kill} before the kill, {now} now"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Bytes in use on the file system holding `path`.
pub fn fs_used(path: &Path) -> u64 {
    fs_usage(path).0
}

/// Bytes available (to unprivileged users) on the file system holding `path`.
pub fn fs_avail(path: &Path) -> u64 {
    fs_usage(path).1
}

/// A temporary directory with a private tmpfs mounted on it, if [`Tmpfs::mount`] could (it
/// needs root). Unmounted (if mounted) and removed when dropped.
pub struct Tmpfs {
    pub dir: TempDir,
    /// `Ok` while the tmpfs is mounted; else why it is not.
    pub mounted: Result<(), String>,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (a `size=` option of `mount`) with mode 0755 on `dir`.
    pub fn mount(dir: TempDir, size: &str) -> Tmpfs {
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        let mounted = match out {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(format!(
                "mount: {}: {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!("mount: {e}")),
        };
        Tmpfs { dir, mounted }
    }

    /// `dir` as it is, without a tmpfs (`why` not).
    pub fn unmounted(dir: TempDir, why: &str) -> Tmpfs {
        Tmpfs {
            dir,
            mounted: Err(why.to_owned()),
        }
    }

    pub fn is_mounted(&self) -> bool {
        self.mounted.is_ok()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if self.is_mounted() {
            let _ = Command::new("umount").arg(self.dir.path()).status();
        }
    }
}

// ------------------------------------------------------------------------------------------
// Shared memory, randomness, threads
// ------------------------------------------------------------------------------------------

/// The 8-byte word `idx` of a view, for lock-free cross-process checks (every process
/// accesses these words only atomically).
pub fn word(v: &View, idx: usize) -> &AtomicU64 {
    assert!((idx + 1) * 8 <= v.len());
    // SAFETY: in bounds (checked), 8-byte aligned (views are 64 KiB-aligned), and the memory
    // lives as long as the view borrowed here; every process accesses it only atomically.
    unsafe { &*(v.as_ptr().add(idx * 8) as *const AtomicU64) }
}

/// The 8-byte word at byte offset `off` (a multiple of 8) of a view; see [`word`].
pub fn word_at(v: &View, off: usize) -> &AtomicU64 {
    assert!(off % 8 == 0, "offset {off} is not a multiple of 8");
    word(v, off / 8)
}

/// xorshift64*, seeded through splitmix64 — tests must not depend on a random-number crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that similar seeds give unrelated streams
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A seed that differs between runs, processes and threads.
pub fn seed() -> u64 {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    t ^ (u64::from(std::process::id()) << 32) ^ u64::from(tid() as u32)
}

/// The kernel's id of the calling thread.
pub fn tid() -> i32 {
    rustix::thread::gettid().as_raw_nonzero().get()
}

/// Is thread `tid` of process `pid` asleep in `futex_waitv` (the wait engine's sleep)?
/// A thread observed there has taken its snapshot of the objects before sleeping.
pub fn asleep_in_wait(pid: u32, tid: i32) -> bool {
    let base = format!("/proc/{pid}/task/{tid}");
    let Ok(stat) = std::fs::read_to_string(format!("{base}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    if state != Some('S') {
        return false;
    }
    let Ok(sc) = std::fs::read_to_string(format!("{base}/syscall")) else {
        return false;
    };
    sc.split_whitespace()
        .next()
        .and_then(|n| n.parse::<i64>().ok())
        == Some(libc::SYS_futex_waitv)
}

/// Asserts that `r` failed with `kind`, whose Win32 code must be `code`.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(r: fmap::Result<T>, kind: ErrorKind, code: u32) {
    match r {
        Ok(v) => panic!("expected {kind} ({code}), got Ok({v:?})"),
        Err(e) => {
            assert_eq!(e.kind(), kind, "wrong error kind: {e}");
            assert_eq!(e.win32_code(), code, "wrong Win32 code: {e}");
        }
    }
}

/// An OFD write lock on byte `b` of `path`, through a new open file description — as another
/// process (a stopped one, or another user) would hold it. Released when the file is dropped.
pub fn ofd_write_lock(path: &Path, b: u64) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    // SAFETY: all-zero is a valid `flock`; the fields are set below.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = b as libc::off_t;
    fl.l_len = 1;
    // SAFETY: `f` is a live descriptor and `fl` a valid `flock` the kernel only reads.
    if unsafe { libc::fcntl(f.as_raw_fd(), libc::F_OFD_SETLK, &fl) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(f)
}

/// Runs `f` on another thread and returns its result; panics if it has not returned within
/// `d` (a hang guard, not a timing check).
pub fn bounded_for<T: Send + 'static>(
    d: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(d)
        .unwrap_or_else(|_| panic!("{what} hung for {d:?}"))
}

/// Makes the `Global\` directory of `ns` exist the way fmap makes it (by creating and closing
/// an object there) and returns its path.
pub fn create_global_dir(ns: &Namespace) -> PathBuf {
    drop(
        fmap::MappingOptions::new()
            .namespace(ns)
            .name("Global\\init")
            .size(4096)
            .create()
            .unwrap(),
    );
    ns.dir_path(fmap::Scope::Global)
}

/// Leaves the file of a new object `name` behind as a *stale* object file (a real header, no
/// holder), as a process killed while holding the last handle would: the file is kept past
/// the last close by a second link, then put back under its name. Returns its path.
pub fn stale_object_file(ns: &Namespace, name: &str) -> PathBuf {
    let m = fmap::MappingOptions::new()
        .namespace(ns)
        .name(name)
        .size(4096)
        .create()
        .unwrap();
    let file = object_file(ns, name);
    let keep = file.with_extension("keep");
    std::fs::hard_link(&file, &keep).unwrap();
    drop(m);
    std::fs::rename(&keep, &file).unwrap();
    file
}
