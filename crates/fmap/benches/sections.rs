//! Section benchmarks: fmap side by side with the raw Linux primitive (`shm_open` + `mmap`).
//!
//! Groups (criterion ids `group/function/parameter`):
//!
//! * `create_cycle/{fmap,raw}/{4KiB,64KiB,1MiB}`: create a new named section, map a writable
//!   view, write every byte, unmap, close (fmap removes the name at the last close; raw does
//!   `shm_open(O_CREAT|O_EXCL)` + `ftruncate` + `mmap` + memset + `munmap` + `close` +
//!   `shm_unlink`).
//! * `open_cycle/{fmap_held_here,fmap_held_by_child,raw}/64KiB`: open an existing name, map it
//!   read-only (whole), unmap, close. `fmap_held_here`: this process keeps the creating handle
//!   (fmap shares one descriptor per process, so the open is served from its cache);
//!   `fmap_held_by_child`: another process holds the section, so the open takes the full path.
//! * `scaling/{fmap_create,fmap_open,raw_create,raw_open}/{10,10000}`: create+close of another
//!   name, and open+close of an existing name held by a child process, with 10 or 10,000 other
//!   live names in the same namespace (held by this process). No views: these measure the name
//!   operations alone.
//! * `view_copy/{read,write,memcpy_read,memcpy_write}/{4KiB,256KiB,16MiB}`: `View::read` and
//!   `View::write` (copies through relaxed atomics, sound while other processes write the
//!   section) next to a plain `copy_nonoverlapping` between the same view and buffer (what a
//!   raw-pointer user does, racing by Rust's rules).
//!
//! Every fmap benchmark runs in its own namespace (a temporary directory under `/dev/shm`).
//! The holder child is this benchmark binary re-executed with `FMAP_BENCH_HOLDER` set: it
//! creates the section, prints `READY` and holds it until its standard input is closed.
//!
//! `scripts/bench-ratios.py` turns the results into fmap/raw ratios.

use criterion::{black_box, BenchmarkId, Criterion};
use fmap::{Access, Mapping, MappingOptions, Namespace};
use std::ffi::CString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

const HOLDER_ENV: &str = "FMAP_BENCH_HOLDER";
const HOLDER_ROOT_ENV: &str = "FMAP_BENCH_HOLDER_ROOT";
const HOLDER_SIZE_ENV: &str = "FMAP_BENCH_HOLDER_SIZE";

const KIB: usize = 1024;
const OPEN_SIZE: usize = 64 * KIB;
const SCALING_SIZE: usize = 4 * KIB;

fn main() {
    if let Ok(name) = std::env::var(HOLDER_ENV) {
        run_holder(&name);
        return;
    }
    raise_fd_limit();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .configure_from_args();
    create_cycle(&mut c);
    open_cycle(&mut c);
    scaling(&mut c);
    view_copy(&mut c);
    c.final_summary();
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A fresh namespace in a temporary directory under `/dev/shm` (the same tmpfs as `shm_open`).
fn namespace() -> (tempfile::TempDir, Namespace) {
    let d = tempfile::Builder::new()
        .prefix("fmap-bench-")
        .tempdir_in("/dev/shm")
        .expect("temporary namespace in /dev/shm");
    let ns = Namespace::at(d.path());
    (d, ns)
}

fn size_label(size: usize) -> String {
    if size >= 1024 * KIB {
        format!("{}MiB", size / (1024 * KIB))
    } else {
        format!("{}KiB", size / KIB)
    }
}

/// 10,000 live names need more descriptors than the usual soft limit of 1024.
fn raise_fd_limit() {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) == 0 && rl.rlim_cur < rl.rlim_max {
            rl.rlim_cur = rl.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &rl);
        }
    }
}

/// The holder child: creates the section, reports READY, holds it until stdin reaches EOF.
fn run_holder(name: &str) {
    let root = std::env::var(HOLDER_ROOT_ENV).expect("holder needs FMAP_BENCH_HOLDER_ROOT");
    let size: u64 = std::env::var(HOLDER_SIZE_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(OPEN_SIZE as u64);
    let ns = Namespace::at(root);
    let m = MappingOptions::new()
        .namespace(&ns)
        .name(name)
        .size(size)
        .create()
        .expect("holder: create section");
    assert!(!m.already_existed(), "holder: {name} already existed");
    println!("READY");
    std::io::stdout().flush().expect("holder: flush stdout");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(m);
}

/// Another process holding a named section; it closes it (and exits) when dropped.
struct Holder {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Holder {
    fn spawn(ns_root: &Path, name: &str, size: usize) -> Holder {
        let exe = std::env::current_exe().expect("current_exe");
        let mut child = Command::new(exe)
            .env(HOLDER_ENV, name)
            .env(HOLDER_ROOT_ENV, ns_root)
            .env(HOLDER_SIZE_ENV, size.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn holder process");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("holder stdout"))
            .read_line(&mut line)
            .expect("read holder stdout");
        assert_eq!(line.trim(), "READY", "holder process failed to start");
        Holder { child, stdin }
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// A POSIX shared-memory name unique to this process.
fn shm_name(tag: &str) -> CString {
    CString::new(format!("/fmap-bench-{}-{tag}", std::process::id())).expect("no NUL in shm name")
}

/// Unlinks a raw shm object when dropped (so a panicking bench leaves nothing behind).
struct ShmName(CString);

impl Drop for ShmName {
    fn drop(&mut self) {
        // SAFETY: a valid C string.
        unsafe { libc::shm_unlink(self.0.as_ptr()) };
    }
}

fn raw_create(name: &CString, size: usize) -> libc::c_int {
    // SAFETY: plain system calls on a valid C string.
    unsafe {
        let fd = libc::shm_open(
            name.as_ptr(),
            libc::O_CREAT | libc::O_EXCL | libc::O_RDWR,
            0o600,
        );
        assert!(
            fd >= 0,
            "shm_open(O_CREAT|O_EXCL): {}",
            std::io::Error::last_os_error()
        );
        let r = libc::ftruncate(fd, size as libc::off_t);
        assert_eq!(r, 0, "ftruncate: {}", std::io::Error::last_os_error());
        fd
    }
}

fn raw_open(name: &CString) -> libc::c_int {
    // SAFETY: a valid C string.
    let fd = unsafe { libc::shm_open(name.as_ptr(), libc::O_RDWR, 0) };
    assert!(
        fd >= 0,
        "shm_open(O_RDWR): {}",
        std::io::Error::last_os_error()
    );
    fd
}

fn raw_map(fd: libc::c_int, size: usize, prot: libc::c_int) -> *mut u8 {
    // SAFETY: a fresh shared mapping of a descriptor we own; it replaces nothing.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), size, prot, libc::MAP_SHARED, fd, 0) };
    assert_ne!(
        p,
        libc::MAP_FAILED,
        "mmap: {}",
        std::io::Error::last_os_error()
    );
    p.cast()
}

fn raw_unmap(p: *mut u8, size: usize) {
    // SAFETY: `p` is a mapping of `size` bytes made by `raw_map` and no longer used.
    let r = unsafe { libc::munmap(p.cast(), size) };
    assert_eq!(r, 0, "munmap");
}

fn raw_close(fd: libc::c_int) {
    // SAFETY: a descriptor we own.
    unsafe { libc::close(fd) };
}

fn raw_unlink(name: &CString) {
    // SAFETY: a valid C string.
    let r = unsafe { libc::shm_unlink(name.as_ptr()) };
    assert_eq!(r, 0, "shm_unlink: {}", std::io::Error::last_os_error());
}

// ---------------------------------------------------------------------------------------------
// create_cycle

fn create_cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("create_cycle");
    for size in [4 * KIB, 64 * KIB, 1024 * KIB] {
        let label = size_label(size);

        let (_dir, ns) = namespace();
        let name = format!("Local\\create-{label}");
        g.bench_function(BenchmarkId::new("fmap", &label), |b| {
            b.iter(|| {
                let m = MappingOptions::new()
                    .namespace(&ns)
                    .name(&name)
                    .size(size as u64)
                    .create()
                    .expect("create");
                debug_assert!(!m.already_existed());
                let v = m.map_view(Access::WRITE, ..).expect("map_view");
                // SAFETY: a writable view of `size` bytes that only this iteration uses.
                unsafe { std::ptr::write_bytes(v.as_mut_ptr(), 0xA5, size) };
                black_box(&v);
                drop(v);
                drop(m);
            })
        });

        let raw = ShmName(shm_name(&format!("create-{label}")));
        g.bench_function(BenchmarkId::new("raw", &label), |b| {
            b.iter(|| {
                let fd = raw_create(&raw.0, size);
                let p = raw_map(fd, size, libc::PROT_READ | libc::PROT_WRITE);
                // SAFETY: a writable mapping of `size` bytes that only this iteration uses.
                unsafe { std::ptr::write_bytes(p, 0xA5, size) };
                black_box(p);
                raw_unmap(p, size);
                raw_close(fd);
                raw_unlink(&raw.0);
            })
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// open_cycle

fn open_cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("open_cycle");
    let label = size_label(OPEN_SIZE);

    // (a) The creating handle is held by this process.
    {
        let (_dir, ns) = namespace();
        let creator = MappingOptions::new()
            .namespace(&ns)
            .name("Local\\open-here")
            .size(OPEN_SIZE as u64)
            .create()
            .expect("create");
        g.bench_function(BenchmarkId::new("fmap_held_here", &label), |b| {
            b.iter(|| {
                let m = Mapping::open_in(&ns, "Local\\open-here", Access::READ).expect("open");
                let v = m.map_view(Access::READ, ..).expect("map_view");
                black_box(v.as_ptr());
                drop(v);
                drop(m);
            })
        });
        drop(creator);
    }

    // (b) Held by another process: every open takes the full (uncached) path.
    {
        let (dir, ns) = namespace();
        let holder = Holder::spawn(dir.path(), "Local\\open-child", OPEN_SIZE);
        g.bench_function(BenchmarkId::new("fmap_held_by_child", &label), |b| {
            b.iter(|| {
                let m = Mapping::open_in(&ns, "Local\\open-child", Access::READ).expect("open");
                let v = m.map_view(Access::READ, ..).expect("map_view");
                black_box(v.as_ptr());
                drop(v);
                drop(m);
            })
        });
        drop(holder);
    }

    // Raw: the object exists (POSIX names live until unlinked).
    {
        let raw = ShmName(shm_name("open"));
        raw_close(raw_create(&raw.0, OPEN_SIZE));
        g.bench_function(BenchmarkId::new("raw", &label), |b| {
            b.iter(|| {
                let fd = raw_open(&raw.0);
                let p = raw_map(fd, OPEN_SIZE, libc::PROT_READ);
                black_box(p);
                raw_unmap(p, OPEN_SIZE);
                raw_close(fd);
            })
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// scaling

fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling");
    for live in [10usize, 10_000] {
        // fmap: `live` names held by this process, the open target held by a child.
        {
            let (dir, ns) = namespace();
            let holder = Holder::spawn(dir.path(), "Local\\target", SCALING_SIZE);
            let held: Vec<Mapping> = (0..live)
                .map(|i| {
                    MappingOptions::new()
                        .namespace(&ns)
                        .name(&format!("Local\\live-{i}"))
                        .size(SCALING_SIZE as u64)
                        .create()
                        .expect("create live object")
                })
                .collect();
            g.bench_function(BenchmarkId::new("fmap_create", live), |b| {
                b.iter(|| {
                    let m = MappingOptions::new()
                        .namespace(&ns)
                        .name("Local\\fresh")
                        .size(SCALING_SIZE as u64)
                        .create()
                        .expect("create");
                    debug_assert!(!m.already_existed());
                    black_box(&m);
                    drop(m);
                })
            });
            g.bench_function(BenchmarkId::new("fmap_open", live), |b| {
                b.iter(|| {
                    let m = Mapping::open_in(&ns, "Local\\target", Access::READ).expect("open");
                    black_box(&m);
                    drop(m);
                })
            });
            drop(held);
            drop(holder);
        }

        // Raw, for reference: `live` shm objects kept open by this process.
        {
            let names: Vec<ShmName> = (0..live)
                .map(|i| ShmName(shm_name(&format!("live-{i}"))))
                .collect();
            let fds: Vec<libc::c_int> = names
                .iter()
                .map(|n| raw_create(&n.0, SCALING_SIZE))
                .collect();
            let target = ShmName(shm_name("target"));
            raw_close(raw_create(&target.0, SCALING_SIZE));
            let fresh = ShmName(shm_name("fresh"));
            g.bench_function(BenchmarkId::new("raw_create", live), |b| {
                b.iter(|| {
                    let fd = raw_create(&fresh.0, SCALING_SIZE);
                    black_box(fd);
                    raw_close(fd);
                    raw_unlink(&fresh.0);
                })
            });
            g.bench_function(BenchmarkId::new("raw_open", live), |b| {
                b.iter(|| {
                    let fd = raw_open(&target.0);
                    black_box(fd);
                    raw_close(fd);
                })
            });
            fds.into_iter().for_each(raw_close);
            drop(names);
        }
    }
    g.finish();
}

fn view_copy(c: &mut Criterion) {
    let mut g = c.benchmark_group("view_copy");
    for size in [4 * KIB, 256 * KIB, 16 * 1024 * KIB] {
        let (_d, ns) = namespace();
        let m = MappingOptions::new()
            .namespace(&ns)
            .name("copy")
            .size(size as u64)
            .create()
            .unwrap();
        let v = m.map_view(Access::WRITE, ..).unwrap();
        let mut buf = vec![1u8; size];
        g.throughput(criterion::Throughput::Bytes(size as u64));
        let label = size_label(size);
        g.bench_with_input(BenchmarkId::new("read", &label), &size, |b, _| {
            b.iter(|| v.read(0, black_box(&mut buf)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("memcpy_read", &label), &size, |b, _| {
            // SAFETY: the view is `size` bytes, mapped and readable; nobody else writes it here.
            b.iter(|| unsafe {
                std::ptr::copy_nonoverlapping(v.as_ptr(), black_box(buf.as_mut_ptr()), size)
            })
        });
        g.bench_with_input(BenchmarkId::new("write", &label), &size, |b, _| {
            b.iter(|| v.write(0, black_box(&buf)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("memcpy_write", &label), &size, |b, _| {
            // SAFETY: the view is `size` bytes, mapped and writable; nobody else reads it here.
            b.iter(|| unsafe {
                std::ptr::copy_nonoverlapping(black_box(buf.as_ptr()), v.as_mut_ptr(), size)
            })
        });
    }
    g.finish();
}
