//! fmap's cross-process benchmark suite: every operation of issue 6 for fmap, the raw Linux
//! primitive and the peer libraries, side by side in one run; writes `BENCHMARKS.md` and
//! `benchmarks.svg`.
//!
//! Run: `cargo run --release -p fmap-bench [-- --quick] [--out DIR] [--no-peers]`
//! (`--quick`: few iterations, for CI; `--out`: where the two files go, default the current
//! directory; `--no-peers`: skip the Boost.Interprocess program).
//!
//! The first process is pinned to CPU 0; every second process (`--child …`, this program
//! re-executed) pins itself to CPU 1.
// Every `unsafe` operation sits in an `unsafe {}` block, also inside an `unsafe fn`, and every
// `unsafe` block says why it is sound in a `// SAFETY:` comment (CI denies clippy warnings).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod bulk;
mod cabi;
mod common;
#[cfg(feature = "iceoryx2")]
mod ice;
mod inproc;
mod peers;
mod report;
mod xproc;

use common::*;
use indicatif::{ProgressBar, ProgressStyle};
use report::{Group, Row, Unit};
use std::path::PathBuf;
use xproc::Pp;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

struct Opts {
    quick: bool,
    out: PathBuf,
    peers: bool,
    /// Only these tables (`--only pingpong,bulk`); all if None.
    only: Option<Vec<String>>,
    /// The bulk-transfer rings (the first is the targets' one).
    rings: Vec<bulk::Geom>,
    /// Print where each side of the bulk transfer spends its time.
    profile_bulk: bool,
}

/// The case of the contended-mutex table.
const CONTENDED: &str = "lock, 1 µs work, unlock";

/// The create-cycle rows of a `Global\` section shared with other users (System V segment).
const FMAP_SEGMENT: &str = "fmap, Global\\ (System V segment)";

/// The create-cycle case of a 1 GiB section of which one page is touched.
const GIB_ONE_PAGE: &str = "1 GiB, one page touched";

/// One create-cycle case: raw `shm_open`, fmap and the shared_memory crate, each creating a
/// section of `size` bytes, mapping it, writing its first `touch` bytes and closing it.
fn create_rows(
    rows: &mut Vec<Row>,
    ns: &fmap::Namespace,
    case: &str,
    size: usize,
    touch: usize,
    iters: usize,
) {
    let name = inproc::shm_name(&format!("create-{size}"));
    let l = inproc::each(iters, &mut || inproc::raw_create_cycle(&name, size, touch));
    rows.push(lat_row("create", case, RAWSHM, &l));
    let fname = format!("create-{size}");
    let l = inproc::each(iters, &mut || {
        inproc::fmap_create_cycle(ns, &fname, size, touch)
    });
    rows.push(lat_row("create", case, "fmap", &l).base(RAWSHM));
    // A `Global\` section shared with the directory's users: its memory is a System V segment.
    let gname = format!("Global\\create-{size}");
    let l = inproc::each(iters, &mut || {
        inproc::fmap_create_cycle(ns, &gname, size, touch)
    });
    rows.push(lat_row("create", case, FMAP_SEGMENT, &l).base(RAWSHM));
    let id = format!("fmap-bench-shmem-{}-{size}", std::process::id());
    let l = inproc::each(iters, &mut || inproc::shmem_create_cycle(&id, size, touch));
    rows.push(lat_row("create", case, "shared_memory crate", &l).base(RAWSHM));
}

/// The tables, by key.
const GROUPS: [&str; 10] = [
    "pingpong",
    "waitany",
    "mutex",
    "contended",
    "semrelease",
    "setevent",
    "create",
    "open",
    "bulk",
    "abandon",
];

impl Opts {
    fn want(&self, group: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|l| l.iter().any(|g| g == group))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..])
    } else {
        parse(&args).and_then(run)
    };
    if let Err(e) = r {
        eprintln!("fmap-bench: {e}");
        std::process::exit(1);
    }
}

fn child(args: &[String]) -> Res<()> {
    #[cfg(feature = "iceoryx2")]
    if args.first().map(String::as_str) == Some("ice") {
        let root =
            PathBuf::from(std::env::var_os(fmap::ROOT_ENV).ok_or("child: FMAP_ROOT not set")?);
        return ice::child(args.get(1).ok_or("ice: count")?.parse()?, &root);
    }
    #[cfg(feature = "iceoryx2")]
    if args.first().map(String::as_str) == Some("ice-waitset") {
        let root =
            PathBuf::from(std::env::var_os(fmap::ROOT_ENV).ok_or("child: FMAP_ROOT not set")?);
        let num =
            |i: usize| -> Res<usize> { Ok(args.get(i).ok_or("ice-waitset: argument")?.parse()?) };
        return ice::child_waitset(num(1)?, num(2)?, &root);
    }
    xproc::child(args)
}

fn parse(args: &[String]) -> Res<Opts> {
    let mut o = Opts {
        quick: false,
        out: PathBuf::from("."),
        peers: true,
        only: None,
        rings: bulk::Geom::DEFAULTS.to_vec(),
        profile_bulk: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--no-peers" => o.peers = false,
            "--out" => o.out = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            "--only" => {
                let l: Vec<String> = it
                    .next()
                    .ok_or("--only needs a list of tables")?
                    .split(',')
                    .map(str::to_owned)
                    .collect();
                if let Some(bad) = l.iter().find(|g| !GROUPS.contains(&g.as_str())) {
                    return Err(format!(
                        "--only: unknown table {bad:?} (one of {})",
                        GROUPS.join(",")
                    )
                    .into());
                }
                o.only = Some(l);
            }
            "--profile-bulk" => o.profile_bulk = true,
            "--ring" => {
                o.rings = it
                    .next()
                    .and_then(|l| {
                        l.split(',')
                            .map(bulk::Geom::parse)
                            .collect::<Option<Vec<_>>>()
                    })
                    .filter(|l| !l.is_empty())
                    .ok_or(
                        "--ring needs SLOTSxKIB[,SLOTSxKIB…], e.g. 16x64 (at least 2 slots of \
                         4 KiB, a power of two)",
                    )?
            }
            "-h" | "--help" => {
                println!(
                    "usage: fmap-bench [--quick] [--out DIR] [--no-peers] [--only TABLE,...] \
                     [--ring SLOTSxKIB,…] [--profile-bulk]\n\
                     tables: {}\n\
                     --ring: the bulk-transfer rings, the first one for the targets (default {}); --profile-bulk: print where each \
                     side of the bulk transfer spends its time (waiting, copying, posting)",
                    GROUPS.join(","),
                    bulk::Geom::DEFAULTS.map(|g| g.arg()).join(",")
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)").into()),
        }
    }
    Ok(o)
}

fn read_first(path: &str, key: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The load averages and the number of runnable tasks (this one included), from /proc/loadavg.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| {
            let f: Vec<&str> = s.split_whitespace().collect();
            format!(
                "{} (runnable tasks now: {})",
                f.iter().take(3).copied().collect::<Vec<_>>().join(" "),
                f.get(3).and_then(|r| r.split('/').next()).unwrap_or("?")
            )
        })
        .unwrap_or_default()
}

fn cmd_out(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn run(o: Opts) -> Res<()> {
    let ncpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    if ncpu < 2 {
        return Err("the suite needs two CPUs (the spin methods would not finish)".into());
    }
    let load_before = loadavg();
    let pinned = pin_to(0);
    let dir = tempfile::Builder::new()
        .prefix("fmap-bench-")
        .tempdir_in("/dev/shm")?;
    let root = dir.path().to_path_buf();
    let ns = fmap::Namespace::at(&root);
    let shm = Shm::open(&root, true)?;
    xproc::init_pthread_mutex(&shm);
    // Children look the objects up in $FMAP_ROOT; so does this process's default namespace.
    std::env::set_var(fmap::ROOT_ENV, &root);

    let q = o.quick;
    let pp_count = if q { 300 } else { 20_000 };
    let wake_count = if q { 100 } else { 3_000 };
    let (batches, per) = if q { (20, 200) } else { (200, 1000) };
    let create_sizes = [4 * KIB, 64 * KIB, MIB, 64 * MIB];
    // A generously sized section of which one page is used (issue 15: a section costs what is
    // touched): created, mapped, one page written, closed.
    const GIB: usize = 1 << 30;
    let bulk_sizes = [4 * KIB, 64 * KIB, MIB, 16 * MIB, 64 * MIB];
    let bulk_rounds = if q { 1 } else { 3 };
    let abandon_n = if q { 5 } else { 100 };

    let pp_methods = [
        Pp::RawFutex,
        Pp::Spin,
        Pp::Pipe,
        Pp::Unix,
        Pp::FmapEvent,
        Pp::FmapEventSpin,
        Pp::FmapSem,
        Pp::FmapSemSpin,
        Pp::RawSync,
    ];
    let wake_methods = [
        Pp::WakeFutex,
        Pp::WakeWaitv(1),
        Pp::WakeFmapOne,
        Pp::WakeFmapAny(1),
        Pp::WakeWaitv(8),
        Pp::WakeFmapAny(8),
        Pp::WakeWaitv(64),
        Pp::WakeFmapAny(64),
    ];
    let rounds = if q { 1 } else { 4 };
    let rounds_steps = rounds;
    let w = |g: &str| usize::from(o.want(g));
    let steps = w("pingpong") * pp_methods.len() * rounds_steps
        + w("waitany") * wake_methods.len() * rounds_steps
        + w("mutex")
        + w("semrelease")
        + w("setevent")
        + w("create") * (create_sizes.len() + 1)
        + w("open")
        + w("bulk") * bulk_sizes.len()
        + w("abandon") * 2
        + w("contended") * 2
        + usize::from(o.peers)
        + usize::from(o.peers && !q);
    let pb = ProgressBar::new(steps as u64);
    pb.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")?
            .progress_chars("=> "),
    );
    let mut rows: Vec<Row> = Vec::new();
    let mut child_place = String::new();

    // --- ping-pong
    if o.want("pingpong") {
        const FUTEX: &str = "raw futex (FUTEX_WAIT/WAKE)";
        // Interleaved rounds (one second process per method and round), so that slow drifts of the
        // machine hit every method alike.
        pb.set_message("ping-pong");
        let results = xproc::run_pp_rounds(&pp_methods, rounds, &root, &ns, &shm, pp_count, |p| {
            pb.set_message(format!("ping-pong {}", p.name()));
            pb.inc(1);
        })?;
        for (p, r) in pp_methods.into_iter().zip(results) {
            child_place = r.child_cpu.clone();
            let (imp, base) = match p {
                Pp::RawFutex => (FUTEX, None),
                Pp::Spin => ("raw spin on a shared cache line", None),
                Pp::Pipe => ("pipe (1 byte each way)", Some(FUTEX)),
                Pp::Unix => ("Unix socket (1 byte each way)", Some(FUTEX)),
                Pp::FmapEvent => ("fmap auto-reset events, blocking", Some(FUTEX)),
                Pp::FmapEventSpin => ("fmap auto-reset events, adaptive spin 20 µs", Some(FUTEX)),
                Pp::FmapSem => ("fmap semaphores, blocking", Some(FUTEX)),
                Pp::FmapSemSpin => ("fmap semaphores, adaptive spin 20 µs", Some(FUTEX)),
                Pp::RawSync => ("shared_memory + raw_sync events", Some(FUTEX)),
                _ => unreachable!(),
            };
            let mut row = Row::ns(
                "pingpong",
                "round trip",
                imp,
                r.rt.0,
                r.rt.1,
                Some(r.cpu.0 + r.cpu.1),
            )
            .note(&format!(
                "CPU: first {} + second {}",
                report::fmt_ns(r.cpu.0),
                report::fmt_ns(r.cpu.1)
            ));
            if let Some(b) = base {
                row = row.base(b);
            }
            rows.push(row);
        }

        // The adaptive-spin rows against the spin ping-pong as well.
        if let Some(spin) = report::find(
            &rows,
            "pingpong",
            "round trip",
            "raw spin on a shared cache line",
        )
        .and_then(|r| r.median)
        {
            for r in rows.iter_mut().filter(|r| r.imp.contains("adaptive spin")) {
                if let Some(m) = r.median {
                    r.note = format!("{}; {:.2}× the raw spin ping-pong", r.note, m / spin);
                }
            }
        }

        #[cfg(feature = "iceoryx2")]
        {
            pb.set_message("ping-pong iceoryx2");
            let (rt, cpu) = ice::run(&root, pp_count)?;
            rows.push(
                Row::ns(
                    "pingpong",
                    "round trip",
                    "iceoryx2 event service",
                    rt.0,
                    rt.1,
                    Some(cpu),
                )
                .base(FUTEX),
            );
        }
        #[cfg(not(feature = "iceoryx2"))]
        rows.push(ice_not_built(
            "pingpong",
            "round trip",
            "iceoryx2 event service",
        ));
    }

    // --- wake latency, wait on N objects
    if o.want("waitany") {
        let results =
            xproc::run_pp_rounds(&wake_methods, rounds, &root, &ns, &shm, wake_count, |p| {
                pb.set_message(format!("wake latency {}", p.name()));
                pb.inc(1);
            })?;
        for (p, r) in wake_methods.into_iter().zip(results) {
            let ow = r.oneway.ok_or("no one-way latency")?;
            let (case, imp, base) = match p {
                Pp::WakeFutex => ("N=1", "raw futex wait", None),
                Pp::WakeWaitv(1) => ("N=1", "raw futex_waitv", Some("raw futex wait")),
                Pp::WakeFmapOne => ("N=1", "fmap Event::wait", Some("raw futex wait")),
                Pp::WakeFmapAny(1) => ("N=1", "fmap wait_any", Some("raw futex wait")),
                Pp::WakeWaitv(8) => ("N=8", "raw futex_waitv", None),
                Pp::WakeFmapAny(8) => ("N=8", "fmap wait_any", Some("raw futex_waitv")),
                Pp::WakeWaitv(64) => ("N=64", "raw futex_waitv", None),
                Pp::WakeFmapAny(64) => ("N=64", "fmap wait_any", Some("raw futex_waitv")),
                _ => unreachable!(),
            };
            let mut row = Row::ns("waitany", case, imp, ow.0, ow.1, Some(r.cpu.1))
                .note(&format!("round trip median {}", report::fmt_ns(r.rt.0)));
            if let Some(b) = base {
                row = row.base(b);
            }
            rows.push(row);
        }
        for case in ["N=1", "N=8", "N=64"] {
            rows.push(Row::na(
                "waitany",
                case,
                "Boost.Interprocess",
                "no wait-any",
            ));
            rows.push(Row::na(
                "waitany",
                case,
                "shared_memory + raw_sync",
                "no wait-any",
            ));
        }
        #[cfg(feature = "iceoryx2")]
        for (n, base) in [
            (1, "raw futex wait"),
            (8, "raw futex_waitv"),
            (64, "raw futex_waitv"),
        ] {
            pb.set_message(format!("wake latency iceoryx2 WaitSet N={n}"));
            let r = ice::run_waitset(&root, &shm, n, wake_count)?;
            rows.push(
                Row::ns(
                    "waitany",
                    &format!("N={n}"),
                    ICE_WAITSET,
                    r.oneway.0,
                    r.oneway.1,
                    Some(r.cpu),
                )
                .base(base)
                .note(&format!("round trip median {}", report::fmt_ns(r.rt))),
            );
        }
        #[cfg(not(feature = "iceoryx2"))]
        rows.push(ice_not_built("waitany", "N=64", ICE_WAITSET));
    }

    // --- uncontended mutex, semaphore release (this process only)
    let raw = inproc::RawShared::new();
    if o.want("mutex") {
        pb.set_message("uncontended mutex");
        let l = inproc::batched(batches, per, &mut || raw.lock_unlock());
        rows.push(lat_row("mutex", "lock+unlock", PTHREAD, &l));
        let m = fmap::Mutex::create_in(&ns, Some("bench-mutex"), false)?;
        let l = inproc::batched(batches, per, &mut || {
            drop(std::hint::black_box(m.lock().expect("lock")))
        });
        rows.push(lat_row("mutex", "lock+unlock", RUST_MUTEX, &l).base(PTHREAD));
        let l = inproc::batched(batches, per, &mut || {
            drop(std::hint::black_box(m.try_lock().expect("try_lock")))
        });
        rows.push(lat_row("mutex", "lock+unlock", "fmap Mutex::try_lock + drop", &l).base(PTHREAD));
        let rsm = inproc::RawSyncMutex::new(&format!("fmap-bench-rsm-{}", std::process::id()))?;
        let l = inproc::batched(batches, per, &mut || rsm.lock_unlock());
        rows.push(
            lat_row("mutex", "lock+unlock", "shared_memory + raw_sync Mutex", &l).base(PTHREAD),
        );
        drop(rsm);
        // The Rust API doing what WaitForSingleObject + ReleaseMutex do, then the C ABI.
        let l = inproc::batched(batches, per, &mut || {
            let r = fmap::wait_one(&m, None).expect("wait_one");
            std::hint::black_box(&r);
            m.release().expect("release");
        });
        rows.push(lat_row("mutex", "lock+unlock", WAIT_RELEASE, &l).base(PTHREAD));
        let cm = cabi::mutex();
        let l = inproc::batched(batches, per, &mut || cabi::lock_unlock(&cm));
        rows.push(lat_row("mutex", "lock+unlock", CABI_MUTEX, &l).base(PTHREAD));
        // Two threads, each on its own mutex: scaling (no lock or cache line shared).
        const TWO: &str = "lock+unlock, 2 threads";
        let raw2 = inproc::RawShared::new();
        let l = inproc::batched_pair(batches, per, &mut || raw.lock_unlock(), &mut || {
            raw2.lock_unlock()
        });
        rows.push(lat_row("mutex", TWO, PTHREAD, &l));
        let m2 = fmap::Mutex::create_in(&ns, Some("bench-mutex-2"), false)?;
        let l = inproc::batched_pair(
            batches,
            per,
            &mut || drop(std::hint::black_box(m.lock().expect("lock"))),
            &mut || drop(std::hint::black_box(m2.lock().expect("lock"))),
        );
        rows.push(lat_row("mutex", TWO, RUST_MUTEX, &l).base(PTHREAD));
        let cm2 = cabi::mutex();
        let l = inproc::batched_pair(batches, per, &mut || cabi::lock_unlock(&cm), &mut || {
            cabi::lock_unlock(&cm2)
        });
        rows.push(lat_row("mutex", TWO, CABI_MUTEX, &l).base(PTHREAD));
        drop((m, m2, cm, cm2, raw2));
        pb.inc(1);
    }

    if o.want("semrelease") {
        pb.set_message("semaphore release, no waiter");
        let l = inproc::batched(batches, per, &mut || raw.sem_post());
        raw.sem_reset();
        rows.push(lat_row("semrelease", "release(1)", SEMPOST, &l));
        let s = fmap::Semaphore::create_in(&ns, Some("bench-sem"), 0, i32::MAX)?;
        let l = inproc::batched(batches, per, &mut || {
            std::hint::black_box(s.release(1).expect("release"));
        });
        rows.push(lat_row("semrelease", "release(1)", RUST_SEM, &l).base(SEMPOST));
        rows.push(Row::na(
            "semrelease",
            "release(1)",
            "shared_memory + raw_sync",
            "no semaphore",
        ));
        let cs = cabi::semaphore();
        let l = inproc::batched(batches, per, &mut || cabi::sem_release(&cs));
        cabi::sem_drain(&cs);
        rows.push(lat_row("semrelease", "release(1)", CABI_SEM, &l).base(SEMPOST));
        // Two threads, each on its own semaphore.
        const TWO: &str = "release(1), 2 threads";
        let raw2 = inproc::RawShared::new();
        let l = inproc::batched_pair(batches, per, &mut || raw.sem_post(), &mut || {
            raw2.sem_post()
        });
        raw.sem_reset();
        rows.push(lat_row("semrelease", TWO, SEMPOST, &l));
        let s2 = fmap::Semaphore::create_in(&ns, Some("bench-sem-2"), 0, i32::MAX)?;
        let l = inproc::batched_pair(
            batches,
            per,
            &mut || {
                std::hint::black_box(s.release(1).expect("release"));
            },
            &mut || {
                std::hint::black_box(s2.release(1).expect("release"));
            },
        );
        rows.push(lat_row("semrelease", TWO, RUST_SEM, &l).base(SEMPOST));
        let cs2 = cabi::semaphore();
        let l = inproc::batched_pair(batches, per, &mut || cabi::sem_release(&cs), &mut || {
            cabi::sem_release(&cs2)
        });
        rows.push(lat_row("semrelease", TWO, CABI_SEM, &l).base(SEMPOST));
        drop((s, s2, cs, cs2, raw2));
        pb.inc(1);
    }

    if o.want("setevent") {
        pb.set_message("event set, no waiter");
        let re = inproc::RawEvent::new();
        let l = inproc::batched(batches, per, &mut || re.set());
        rows.push(lat_row("setevent", "set", RAW_EVENT, &l));
        let e = fmap::Event::create_in(&ns, Some("bench-event"), false, false)?;
        let l = inproc::batched(batches, per, &mut || e.set().expect("set"));
        rows.push(lat_row("setevent", "set", RUST_EVENT, &l).base(RAW_EVENT));
        let ce = cabi::event();
        let l = inproc::batched(batches, per, &mut || cabi::set_event(&ce));
        rows.push(lat_row("setevent", "set", CABI_EVENT, &l).base(RAW_EVENT));
        drop((e, ce));
        pb.inc(1);
    }

    // --- create cycles
    if o.want("create") {
        for size in create_sizes {
            let case = size_label(size);
            pb.set_message(format!("create cycle {case}"));
            let iters = match size {
                s if s <= 4 * KIB => 2000,
                s if s <= 64 * KIB => 1000,
                s if s <= MIB => 300,
                _ => 15,
            };
            let iters = if q { (iters / 50).max(3) } else { iters };
            create_rows(&mut rows, &ns, &case, size, size, iters);
            pb.inc(1);
        }
        pb.set_message("create cycle 1 GiB, one page touched");
        create_rows(
            &mut rows,
            &ns,
            GIB_ONE_PAGE,
            GIB,
            4 * KIB,
            if q { 3 } else { 100 },
        );
        pb.inc(1);
    }

    // --- open cycle
    if o.want("open") {
        pb.set_message("open cycle");
        {
            let size = 64 * KIB;
            let case = size_label(size);
            let iters = if q { 50 } else { 3000 };
            let name = inproc::shm_name("open");
            // SAFETY: create the raw name and keep it until the end of this block.
            let fd = unsafe { libc::shm_open(name.as_ptr(), libc::O_CREAT | libc::O_RDWR, 0o600) };
            // SAFETY: ftruncate touches no memory of ours; `fd` is the descriptor just opened
            // (a failed open's -1 only makes it fail with EBADF).
            unsafe { libc::ftruncate(fd, size as libc::off_t) };
            let l = inproc::each(iters, &mut || inproc::raw_open_cycle(&name, size));
            rows.push(lat_row("open", &case, RAWSHM, &l));
            // SAFETY: `fd` and `name` are this block's own shm object, closed and unlinked once,
            // after their last use; neither call touches memory of ours but the name's bytes.
            unsafe {
                libc::close(fd);
                libc::shm_unlink(name.as_ptr());
            }
            let holder =
                ChildProc::spawn(&root, &["hold".into(), "open-me".into(), size.to_string()])?;
            holder.expect_line("READY")?;
            let l = inproc::each(iters, &mut || inproc::fmap_open_cycle(&ns, "open-me"));
            rows.push(lat_row("open", &case, "fmap (held by another process)", &l).base(RAWSHM));
            holder.finish()?;
            let holder = ChildProc::spawn(
                &root,
                &["hold".into(), "Global\\open-me".into(), size.to_string()],
            )?;
            holder.expect_line("READY")?;
            let l = inproc::each(iters, &mut || {
                inproc::fmap_open_cycle(&ns, "Global\\open-me")
            });
            rows.push(
                lat_row(
                    "open",
                    &case,
                    "fmap, Global\\ (held by another process)",
                    &l,
                )
                .base(RAWSHM),
            );
            holder.finish()?;
            let keep = fmap::MappingOptions::new()
                .namespace(&ns)
                .name("open-here")
                .size(size as u64)
                .create()?;
            let l = inproc::each(iters, &mut || inproc::fmap_open_cycle(&ns, "open-here"));
            rows.push(lat_row("open", &case, "fmap (held by this process)", &l).base(RAWSHM));
            drop(keep);
            let id = format!("fmap-bench-shmem-open-{}", std::process::id());
            let owner = shared_memory::ShmemConf::new()
                .size(size)
                .os_id(&id)
                .create()
                .map_err(|e| format!("shared_memory: {e}"))?;
            let l = inproc::each(iters, &mut || inproc::shmem_open_cycle(&id));
            rows.push(lat_row("open", &case, "shared_memory crate", &l).base(RAWSHM));
            drop(owner);
        }
        pb.inc(1);
    }

    // --- bulk transfer
    if o.want("bulk") {
        // Each method in `bulk_rounds` rounds of `reps` repetitions (after a warm-up one),
        // the methods interleaved round by round: the host moves the two CPUs now and then (the
        // cache-line round trip measured before each round shows where they were).
        let total = if q { 16 * MIB } else { 1024 * MIB };
        let reps = 2;
        let kinds = [
            (bulk::Kind::Raw, RAW_RING),
            (bulk::Kind::Fmap, FMAP_RING),
            (bulk::Kind::RawSync, RS_RING),
            #[cfg(feature = "iceoryx2")]
            (bulk::Kind::Ice, ICE_RING),
        ];
        for size in bulk_sizes {
            let label = size_label(size);
            pb.set_message(format!("bulk transfer {label}: memcpy"));
            let m = bulk::memcpy_gibps(size, total, reps * bulk_rounds);
            for (gi, &ring) in o.rings.iter().enumerate() {
                let case = bulk_case(size, ring, gi == 0);
                rows.push(Row::gibps("bulk", &case, MEMCPY, m, None).note(if gi == 0 {
                    ""
                } else {
                    "the same measurement as for the first ring"
                }));
                let mut runs: Vec<Vec<bulk::BulkRun>> = kinds.iter().map(|_| Vec::new()).collect();
                for round in 0..bulk_rounds {
                    for (k, (kind, _)) in kinds.iter().enumerate() {
                        pb.set_message(format!(
                            "bulk transfer {label}, {}: {} (round {}/{bulk_rounds})",
                            ring.describe(),
                            kind.name(),
                            round + 1
                        ));
                        let r = bulk::run(
                            *kind,
                            &root,
                            &ns,
                            &shm,
                            ring,
                            size,
                            total,
                            reps,
                            o.profile_bulk,
                        )?;
                        if let Some(p) = &r.profile {
                            pb.suspend(|| {
                                println!(
                                    "bulk {label} {} {} (round {}, cache-line round trip {}): {:.2} GiB/s; {p}",
                                    ring.arg(),
                                    kind.name(),
                                    round + 1,
                                    report::fmt_ns(r.rt_ns),
                                    median_p99(r.rates.clone()).0
                                )
                            });
                        }
                        runs[k].push(r);
                    }
                }
                for ((_, imp), rs) in kinds.iter().zip(runs) {
                    let rates: Vec<f64> = rs.iter().flat_map(|r| r.rates.iter().copied()).collect();
                    let cpu = rs.iter().map(|r| r.cpu_ns).sum::<f64>()
                        / rs.iter().map(|r| r.messages).sum::<usize>() as f64;
                    let rts: Vec<f64> = rs.iter().map(|r| r.rt_ns).collect();
                    rows.push(
                        Row::gibps("bulk", &case, imp, median_p99(rates).0, Some(cpu))
                            .base(MEMCPY)
                            .note(&format!(
                                "{}; cache-line round trip {}",
                                ring.describe(),
                                rt_range(&rts)
                            )),
                    );
                }
            }
            pb.inc(1);
        }
        #[cfg(not(feature = "iceoryx2"))]
        rows.push(ice_not_built("bulk", "all", "iceoryx2 publish-subscribe"));
    }

    // --- abandonment
    if o.want("abandon") {
        pb.set_message("SIGKILL of a mutex owner (pthread)");
        const ROBUST: &str = "robust pthread mutex (EOWNERDEAD)";
        let (m_, p_) = xproc::run_abandon(false, &root, &ns, &shm, abandon_n)?;
        rows.push(Row::ns("abandon", "kill → waiter", ROBUST, m_, p_, None));
        pb.inc(1);
        pb.set_message("SIGKILL of a mutex owner (fmap)");
        let (m_, p_) = xproc::run_abandon(true, &root, &ns, &shm, abandon_n)?;
        rows.push(
            Row::ns(
                "abandon",
                "kill → waiter",
                "fmap Mutex (WAIT_ABANDONED)",
                m_,
                p_,
                None,
            )
            .base(ROBUST),
        );
        for imp in ["Boost.Interprocess", "shared_memory + raw_sync"] {
            rows.push(Row::na("abandon", "kill → waiter", imp, "no abandonment"));
        }
        pb.inc(1);
    }

    // --- contended mutex: two processes take turns (or do not)
    if o.want("contended") {
        let n = if q { 2_000 } else { 50_000 };
        const ROBUST: &str = "robust process-shared pthread mutex";
        pb.set_message("contended mutex (pthread)");
        let c = xproc::run_contended(false, &root, &ns, &shm, n)?;
        rows.push(
            Row::ns(
                "contended",
                CONTENDED,
                ROBUST,
                c.per_op_ns,
                c.per_op_ns,
                None,
            )
            .note(&c.note()),
        );
        pb.inc(1);
        pb.set_message("contended mutex (fmap)");
        let c = xproc::run_contended(true, &root, &ns, &shm, n)?;
        rows.push(
            Row::ns(
                "contended",
                CONTENDED,
                "fmap Mutex",
                c.per_op_ns,
                c.per_op_ns,
                None,
            )
            .base(ROBUST)
            .note(&c.note()),
        );
        pb.inc(1);
    }

    for (g, c, why) in [
        ("mutex", "lock+unlock", "no mutex"),
        ("semrelease", "release(1)", "no semaphore"),
        ("create", "all", "no named raw sections"),
        ("open", "64 KiB", "no named raw sections"),
        ("abandon", "kill → waiter", "no mutex, no abandonment"),
    ] {
        rows.push(Row::na(g, c, "iceoryx2", why));
    }

    // --- peers
    let mut peer_notes = Vec::new();
    if o.peers {
        pb.set_message("Boost.Interprocess");
        match peers::boost(q, o.only.as_deref(), &o.rings, &pb) {
            Ok((rs, note)) => {
                rows.extend(rs);
                peer_notes.push(note);
            }
            Err(e) => peer_notes.push(format!("Boost.Interprocess: not measured ({e}).")),
        }
        pb.inc(1);
    } else {
        peer_notes.push("Boost.Interprocess: skipped (--no-peers).".into());
    }
    peer_notes.push(peers::iceoryx2_note());
    // (The Win32 program has no bulk transfer.)
    if o.peers && !q && GROUPS.iter().any(|g| *g != "bulk" && o.want(g)) {
        pb.set_message("Win32 C program (fmap-win32, Wine)");
        match peers::win32(&pb) {
            Ok((rs, note)) => {
                rows.extend(rs);
                peer_notes.push(note);
            }
            Err(e) => peer_notes.push(format!("Win32 C program: not measured ({e}).")),
        }
        pb.inc(1);
    } else {
        peer_notes.push("Win32 C program (fmap-win32 natively, and Wine + mingw-w64 where installed): not run in --quick mode or with --no-peers.".into());
    }
    pb.finish_with_message("done");
    rows.retain(|r| o.want(r.group));
    // The bulk rows against the raw ring as well.
    for i in 0..rows.len() {
        let r = &rows[i];
        if r.group != "bulk" || r.base.as_deref() != Some(MEMCPY) || r.imp == RAW_RING {
            continue;
        }
        if let (Some(m), Some(raw)) = (
            r.median,
            report::find(&rows, "bulk", &r.case, RAW_RING).and_then(|x| x.median),
        ) {
            let note = format!("{:.2}× the raw ring", m / raw);
            let r = &mut rows[i];
            r.note = if r.note.is_empty() {
                note
            } else {
                format!("{}; {note}", r.note)
            };
        }
    }

    cabi_notes(&mut rows);

    drop(shm);
    let left = ns.list(fmap::Scope::Local)?.len();
    dir.close()?;

    // --- report
    let load_after = loadavg();
    let cpu_model = read_first("/proc/cpuinfo", "model name");
    let kernel = cmd_out("uname", &["-r"]);
    let date = cmd_out("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let cmd = format!(
        "cargo run --release -p fmap-bench{}{}",
        if cfg!(feature = "iceoryx2") {
            " --features iceoryx2"
        } else {
            ""
        },
        if q { " -- --quick" } else { "" }
    );
    let header = format!(
        "# fmap benchmarks\n\n\
         Generated by `{cmd}` on {date}{quick}. Every figure was measured in this one run, \
         next to the raw Linux primitive it is compared with (ratio columns: median and p99 of \
         the row divided by those of the raw primitive of the same table and case).\n\n\
         **Machine:** {ncpu} CPUs (`nproc`), CPU model `{cpu_model}`, kernel `{kernel}`. \
         Load average (1/5/15 min) before the run: {load_before}; after: {load_after}.\n\n\
         **CPU placement:** the first process is pinned to CPU 0 (sched_setaffinity {pin}); \
         every second process pins itself to CPU 1 (last reported: `{child_place}`). \
         In-process operations (mutex, semaphore, create/open) run on CPU 0. These are virtual CPUs: \
         the host places them on its cores as it sees fit and moves them now and then (the bulk \
         table gives the cache-line round trip between the two, measured before each of its \
         rounds).\n\n\
         **Method:** warm-up first (a tenth of the iterations, at least 50), then {pp_count} \
         round trips per ping-pong method and {wake_count} wake-ups per wait method (in {rounds} interleaved round(s): one second process per method and round), \
         {batches} batches of {per} calls for the in-process operations (median and p99 of the \
         batch means), one sample per create/open cycle, 3 interleaved rounds of 2 repetitions (after a warm-up one) per bulk method and size (median of the 6), \
         {abandon_n} kills per abandonment method. CPU time per operation is \
         `CLOCK_PROCESS_CPUTIME_ID` of the processes taking part, summed (spinning is not free). \
         Scaling with the number of live names (10 → 10,000) is measured by `cargo bench -p fmap \
         --bench sections` (criterion, `scaling/…`), not here. Absolute times on a shared \
         virtual machine drift from run to run; the ratios within one run are what to \
         compare.\n",
        quick = if q {
            " in **quick mode** (few iterations: the numbers are noisy)"
        } else {
            ""
        },
        pin = if pinned { "ok" } else { "FAILED" },
    );
    let groups = groups(&o.rings);
    let (targets, bars) = targets(&rows);
    let mut footer = String::new();
    footer.push_str("\n## Targets of issues 6 and 15 (fmap against the raw primitive and the C ABI against the Rust API, this run)\n\n| target | measured | verdict |\n|---|---:|---|\n");
    for t in &targets {
        footer.push_str(t);
        footer.push('\n');
    }
    footer.push_str("\n## Comparators not in the tables\n\n");
    for n in &peer_notes {
        footer.push_str(&format!("* {n}\n"));
    }
    footer.push_str(&format!(
        "\nObjects left in the run's namespace at the end: {left} (expected 0).\n\n\
         Chart: `benchmarks.svg` (median ratio of each fmap figure to its raw primitive).\n"
    ));
    let md = report::markdown(&header, &groups, &rows, &footer);
    std::fs::create_dir_all(&o.out)?;
    let md_path = o.out.join("BENCHMARKS.md");
    let svg_path = o.out.join("benchmarks.svg");
    std::fs::write(&md_path, &md)?;
    report::svg(
        &svg_path,
        &format!("fmap / raw Linux primitive, median, same run ({ncpu} CPUs, {cpu_model})"),
        &bars,
    )?;
    for t in &targets {
        println!("{t}");
    }
    println!("wrote {} and {}", md_path.display(), svg_path.display());
    if left != 0 {
        return Err(format!("{left} objects were left behind").into());
    }
    Ok(())
}

const MEMCPY: &str = "memcpy, one thread";
const PTHREAD: &str = "robust process-shared pthread mutex";
const RUST_MUTEX: &str = "fmap Mutex::lock + drop";
const WAIT_RELEASE: &str = "fmap wait_one + release";
const CABI_MUTEX: &str = "fmap-win32 C ABI: WaitForSingleObject + ReleaseMutex";
const SEMPOST: &str = "sem_post (process-shared sem_t)";
const RUST_SEM: &str = "fmap Semaphore::release(1)";
const CABI_SEM: &str = "fmap-win32 C ABI: ReleaseSemaphore(1)";
const RAW_EVENT: &str = "raw futex event: atomic swap + waiter check";
const RUST_EVENT: &str = "fmap Event::set";
const CABI_EVENT: &str = "fmap-win32 C ABI: SetEvent";
const ICE_WAITSET: &str = "iceoryx2 WaitSet (event listeners)";
#[cfg(feature = "iceoryx2")]
const ICE_RING: &str = "iceoryx2 publish-subscribe, samples as slots (2 processes)";
const RAWSHM: &str = "shm_open + ftruncate + mmap";
const RAW_RING: &str = "raw ring: shm_open + mmap, atomic counters, spin then futex (2 processes)";
const FMAP_RING: &str = "fmap section ring + events (2 processes)";
const RS_RING: &str = "shared_memory + raw_sync events ring (2 processes)";
const BOOST_RING: &str =
    "Boost.Interprocess shared_memory_object ring + interprocess_semaphores (2 processes)";

/// The C ABI rows against the Rust API (and the Win32 C program's against the in-process C
/// ABI's), and every "2 threads" row against its own one-thread figure, in the notes.
fn cabi_notes(rows: &mut [Row]) {
    let pairs: [(&str, &str, &[&str]); 3] = [
        ("mutex", CABI_MUTEX, &[RUST_MUTEX, WAIT_RELEASE]),
        ("semrelease", CABI_SEM, &[RUST_SEM]),
        ("setevent", CABI_EVENT, &[RUST_EVENT]),
    ];
    let med = |rows: &[Row], g: &str, c: &str, i: &str| {
        report::find(rows, g, c, i).and_then(|r| r.median)
    };
    let mut notes: Vec<(usize, String)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let Some(m) = r.median else { continue };
        let mut n = Vec::new();
        if let Some((_, _, rust)) = pairs.iter().find(|p| p.0 == r.group && p.1 == r.imp) {
            for x in *rust {
                if let Some(b) = med(rows, r.group, &r.case, x) {
                    n.push(format!("{:.2}× {x}", m / b));
                }
            }
        }
        if r.imp == peers::NATIVE {
            let inproc = match r.group {
                "mutex" => Some(CABI_MUTEX),
                "semrelease" => Some(CABI_SEM),
                _ => None,
            };
            if let Some(b) = inproc.and_then(|x| med(rows, r.group, &r.case, x)) {
                n.push(format!("{:.2}× the in-process C ABI row", m / b));
            }
        }
        if let Some(one) = r.case.strip_suffix(", 2 threads") {
            if let Some(b) = med(rows, r.group, one, &r.imp) {
                n.push(format!("{:.2}× its one-thread figure", m / b));
            }
        }
        if !n.is_empty() {
            notes.push((i, n.join("; ")));
        }
    }
    for (i, n) in notes {
        let r = &mut rows[i];
        r.note = if r.note.is_empty() {
            n
        } else {
            format!("{}; {n}", r.note)
        };
    }
}

/// A latency row from an in-process measurement: its median, p99 and CPU time.
fn lat_row(group: &'static str, case: &str, imp: &str, l: &inproc::Lat) -> Row {
    Row::ns(group, case, imp, l.median, l.p99, Some(l.cpu))
}

/// The row of an iceoryx2 measurement this build does not have.
#[cfg(not(feature = "iceoryx2"))]
fn ice_not_built(group: &'static str, case: &str, imp: &str) -> Row {
    Row::na(group, case, imp, "not built in: --features iceoryx2")
}

/// The bulk table's case: the message size, and the ring unless it is the first one.
pub fn bulk_case(size: usize, ring: bulk::Geom, first: bool) -> String {
    bulk_case_of(&size_label(size), ring, first)
}

pub fn bulk_case_of(size_label: &str, ring: bulk::Geom, first: bool) -> String {
    if first {
        size_label.to_owned()
    } else {
        format!("{size_label}, {} ring", ring.short())
    }
}

/// "43.4 ns–50.7 ns", or one value.
pub fn rt_range(rts: &[f64]) -> String {
    let lo = rts.iter().copied().fold(f64::MAX, f64::min);
    let hi = rts.iter().copied().fold(0.0, f64::max);
    if rts.is_empty() {
        "-".into()
    } else if report::fmt_ns(lo) == report::fmt_ns(hi) {
        report::fmt_ns(lo)
    } else {
        format!("{}–{}", report::fmt_ns(lo), report::fmt_ns(hi))
    }
}

fn groups(rings: &[bulk::Geom]) -> Vec<Group> {
    vec![
        Group {
            key: "pingpong",
            title: "Cross-process ping-pong (round trip)",
            what: "Two processes on two CPUs pass a signal back and forth; the first times each round trip. fmap's blocking rows run with `fmap::set_spin(Duration::ZERO)` in both processes, the adaptive-spin rows with the documented default (20 µs). CPU per operation: both processes.".into(),
        },
        Group {
            key: "waitany",
            title: "Wait on N objects: wake latency",
            what: "The second process waits on N objects of which the last is signaled; the first writes `CLOCK_MONOTONIC` just before signaling and the waiter reads it when its wait returns (one-way wake latency). The first process pauses 100 µs before each signal so that the waiter is asleep in the kernel. Spinning disabled. CPU per operation: the waiter's only.".into(),
        },
        Group {
            key: "mutex",
            title: "Uncontended mutex acquire + release",
            what: "One thread; no other process touches the mutex. The rows named \"fmap-win32 C ABI\" call the exported Win32 functions in-process (the code of `libfmap_win32`; the note gives their ratio to the Rust API); \"fmap wait_one + release\" is the Rust API doing what `WaitForSingleObject` + `ReleaseMutex` do. The \"2 threads\" case: this thread (CPU 0) measured while a second thread (CPU 1) does the same on an object of its own the whole time (note: the ratio to the one-thread figure; 1× = they scale). The Win32 C program rows time `WaitForSingleObject` + `ReleaseMutex` in a C program linked with `libfmap_win32.a`.".into(),
        },
        Group {
            key: "semrelease",
            title: "Semaphore release with no waiter",
            what: "One thread; nobody waits on the semaphore. C ABI and \"2 threads\" rows: as in the mutex table.".into(),
        },
        Group {
            key: "setevent",
            title: "Event set with no waiter",
            what: "One thread; nobody waits on the auto-reset event (it stays signaled). The raw primitive is the signal of a futex-based event: one atomic swap of the signal word and a look at the waiter count (no `FUTEX_WAKE`).".into(),
        },
        Group {
            key: "create",
            title: "Create + map + write + unmap + close of a new named section",
            what: "Every byte of the view is written; the name is removed at the end of each cycle (fmap: at the last close; raw: `shm_unlink`; shared_memory: the owner's drop).".into(),
        },
        Group {
            key: "open",
            title: "Open + map + unmap + close of an existing named section",
            what: "A read-only view of the whole 64 KiB section.".into(),
        },
        Group {
            key: "bulk",
            title: "Bulk transfer through a ring buffer in shared memory (GiB/s)",
            what: format!("The first process copies each message into a ring buffer in shared memory, the second copies it out into its own buffer and checks the sequence number the first stamped into the message's first and last 8 bytes: every byte of every message is copied twice, once by each process, on two CPUs. The rings (`--ring`): {first} — the cases named by the message size alone, which the targets use — {others}. The messages form one byte stream through the slots; a message larger than a slot streams through consecutive slots, smaller ones are packed several per slot. Only who guards the slots differs: **fmap** — a named section and a pair of auto-reset events per slot (full, empty), adaptive spin 20 µs; **raw ring** — `shm_open` + `mmap`, two counters (slots produced, slots consumed) on their own cache lines, spin 20 µs then futex: the ceiling of this ring between these two CPUs; **shared_memory + raw_sync** — a pair of raw_sync events per slot; **Boost.Interprocess** — a pair of `interprocess_semaphore`s per slot in a `shared_memory_object`; **iceoryx2** — publish-subscribe samples of the slot size as the slots. Throughput: message bytes per second from the producer's first copy until the consumer has checked the last message; median of 6 repetitions of about 1 GiB (3 rounds of 2, each round after a warm-up repetition, the methods interleaved round by round; Boost's program runs its 6 on its own, with its own probe). The note gives the round trip of a cache line between the two processes measured before each round: the host moves the two virtual CPUs now and then, and tens of ns mean that they share an L3 cache at that moment (cache-resident transfers are faster, but source, ring and destination compete for one L3), hundreds that they do not. The ratio column's baseline (and the 80 % target's): `memcpy` by one thread between two private page-aligned buffers of the message size, over and over — as cache-hot as the size allows (4 KiB and 64 KiB in L1/L2, 1 MiB and 16 MiB in L3, 64 MiB from memory); one core and no handoff. The note gives each ring's ratio to the raw ring.",
                first = rings.first().map(|r| r.describe()).unwrap_or_default(),
                others = if rings.len() > 1 {
                    format!(
                        "and {} (the cases named with their ring: the same 512 KiB in more slots by default, which methods whose waits always sleep in the kernel — raw_sync's, Boost's — need to keep up, as with two slots they wait for a wake-up at nearly every handoff)",
                        rings[1..].iter().map(|r| r.describe()).collect::<Vec<_>>().join(", ")
                    )
                } else {
                    String::new()
                }
            ),
        },
        Group {
            key: "contended",
            title: "Contended mutex: two processes lock, work 1 µs, unlock",
            what: "Two processes on two CPUs each acquire the same mutex, busy-work 1 µs while holding it, and release it, over and over (the count is per process). The median column is the time per acquisition (wall time of the whole run / all acquisitions of both; the p99 column repeats it); the note gives the fairness while both run (counting stops when the first process is done): the longest run of consecutive acquisitions by one process (1 = strict turns), and each process's count of runs. fmap runs with hand-off on (`fmap::set_handoff(true)`: a released mutex goes to a waiting process, Windows' rule), so it takes turns; a pthread mutex lets the releaser take it back. Boost.Interprocess's `interprocess_mutex` is not robust, so it is left out here.".into(),
        },
        Group {
            key: "abandon",
            title: "SIGKILL of a mutex owner → the waiter learns it (WAIT_ABANDONED)",
            what: "The second process holds the mutex; the first waits on it in the kernel; a thread of the first sends SIGKILL. Time from `kill` to the waiter's return.".into(),
        },
    ]
}

/// The target lines of issue 6 and the bars of the chart.
fn targets(rows: &[Row]) -> (Vec<String>, Vec<(String, f64, bool)>) {
    let med = |g: &str, c: &str, i: &str| report::find(rows, g, c, i).and_then(|r| r.median);
    let mut t = Vec::new();
    let mut line = |what: &str, v: Option<f64>, ok: &dyn Fn(f64) -> bool, fmt: &str| {
        if let Some(v) = v {
            t.push(format!(
                "| {what} | {} | {} |",
                fmt.replace("{}", &format!("{v:.2}")),
                if ok(v) { "met" } else { "**missed**" }
            ));
        }
    };
    let div = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
    let f = "raw futex (FUTEX_WAIT/WAKE)";
    let pp = |i: &str| med("pingpong", "round trip", i);
    line(
        "ping-pong blocking ≤ 1.1× futex",
        div(pp("fmap auto-reset events, blocking"), pp(f)),
        &|v| v <= 1.1,
        "{}×",
    );
    line(
        "ping-pong adaptive spin < futex round trip",
        div(pp("fmap auto-reset events, adaptive spin 20 µs"), pp(f)),
        &|v| v < 1.0,
        "{}×",
    );
    line(
        "ping-pong adaptive spin ≤ 3× spin ping-pong",
        div(
            pp("fmap auto-reset events, adaptive spin 20 µs"),
            pp("raw spin on a shared cache line"),
        ),
        &|v| v <= 3.0,
        "{}×",
    );
    line(
        "uncontended mutex ≤ 1.3× robust pthread",
        div(
            med("mutex", "lock+unlock", "fmap Mutex::lock + drop"),
            med(
                "mutex",
                "lock+unlock",
                "robust process-shared pthread mutex",
            ),
        ),
        &|v| v <= 1.3,
        "{}×",
    );
    line(
        "create cycle 1 GiB, one page touched ≤ 2× raw shm",
        div(
            med("create", GIB_ONE_PAGE, "fmap"),
            med("create", GIB_ONE_PAGE, "shm_open + ftruncate + mmap"),
        ),
        &|v| v <= 2.0,
        "{}×",
    );
    // Issue 15 §2: the C ABI at the Rust API's price, and threads on different handles scale.
    line(
        "C ABI WaitForSingleObject + ReleaseMutex ≤ 1.15× Mutex::lock + drop",
        div(
            med("mutex", "lock+unlock", CABI_MUTEX),
            med("mutex", "lock+unlock", RUST_MUTEX),
        ),
        &|v| v <= 1.15,
        "{}×",
    );
    line(
        "C ABI WaitForSingleObject + ReleaseMutex ≤ 1.15× wait_one + release",
        div(
            med("mutex", "lock+unlock", CABI_MUTEX),
            med("mutex", "lock+unlock", WAIT_RELEASE),
        ),
        &|v| v <= 1.15,
        "{}×",
    );
    line(
        "C ABI ReleaseSemaphore ≤ 1.2× Semaphore::release",
        div(
            med("semrelease", "release(1)", CABI_SEM),
            med("semrelease", "release(1)", RUST_SEM),
        ),
        &|v| v <= 1.2,
        "{}×",
    );
    line(
        "C ABI SetEvent ≤ 1.2× Event::set",
        div(
            med("setevent", "set", CABI_EVENT),
            med("setevent", "set", RUST_EVENT),
        ),
        &|v| v <= 1.2,
        "{}×",
    );
    // The same, as a C program pays it: the Win32 C program built with `cc` against
    // `libfmap_win32.a` (one direct call per operation). The rows above call the exported
    // functions from Rust, which on this machine costs the C ABI rows a few ns more per call
    // than a C caller pays (see BENCHMARKS.md's notes).
    for (what, g, c, rust, limit) in [
        (
            "WaitForSingleObject + ReleaseMutex ≤ 1.15× Mutex::lock + drop",
            "mutex",
            "lock+unlock",
            RUST_MUTEX,
            1.15,
        ),
        (
            "WaitForSingleObject + ReleaseMutex ≤ 1.15× wait_one + release",
            "mutex",
            "lock+unlock",
            WAIT_RELEASE,
            1.15,
        ),
        (
            "ReleaseSemaphore ≤ 1.2× Semaphore::release",
            "semrelease",
            "release(1)",
            RUST_SEM,
            1.2,
        ),
        (
            "SetEvent ≤ 1.2× Event::set",
            "setevent",
            "set",
            RUST_EVENT,
            1.2,
        ),
    ] {
        line(
            &format!("C program on the C ABI (native): {what}"),
            div(med(g, c, peers::NATIVE), med(g, c, rust)),
            &move |v| v <= limit,
            "{}×",
        );
    }
    for (g, c, i) in [
        ("mutex", "lock+unlock", CABI_MUTEX),
        ("semrelease", "release(1)", CABI_SEM),
    ] {
        let two = format!("{c}, 2 threads");
        // Scaling: as close to 1 as the raw primitive gets on the same two CPUs, plus 20 %.
        let raw = div(
            med(g, &two, if g == "mutex" { PTHREAD } else { SEMPOST }),
            med(g, c, if g == "mutex" { PTHREAD } else { SEMPOST }),
        );
        let limit = raw.map_or(1.2, |r| r.max(1.0) * 1.2);
        line(
            &format!("C ABI {g}, 2 threads on different handles ≤ 1.2× the raw primitive's 2-thread slowdown (each thread vs one thread alone)"),
            div(med(g, &two, i), med(g, c, i)),
            &|v| v <= limit,
            &format!(
                "{{}}× (raw primitive: {})",
                raw.map_or("-".into(), |r| format!("{r:.2}×"))
            ),
        );
    }
    for c in ["4 KiB", "64 KiB", "1 MiB", "64 MiB"] {
        line(
            &format!("create cycle {c} ≤ 1.3× raw shm"),
            div(
                med("create", c, "fmap"),
                med("create", c, "shm_open + ftruncate + mmap"),
            ),
            &|v| v <= 1.3,
            "{}×",
        );
    }
    line(
        "open cycle ≤ 1.3× (section held by another process)",
        div(
            med("open", "64 KiB", "fmap (held by another process)"),
            med("open", "64 KiB", "shm_open + ftruncate + mmap"),
        ),
        &|v| v <= 1.3,
        "{}×",
    );
    line(
        "wait-any(64) ≤ 2× wait(1) (one-way wake latency)",
        div(
            med("waitany", "N=64", "fmap wait_any"),
            med("waitany", "N=1", "fmap Event::wait"),
        ),
        &|v| v <= 2.0,
        "{}×",
    );
    for c in ["64 KiB", "1 MiB", "16 MiB", "64 MiB"] {
        // With the raw ring's figures: what the hardware allows this ring between two CPUs.
        let raw = div(med("bulk", c, RAW_RING), med("bulk", c, MEMCPY));
        let vs_raw = div(med("bulk", c, FMAP_RING), med("bulk", c, RAW_RING));
        let ctx = match (raw, vs_raw) {
            (Some(r), Some(f)) => format!(
                "{{}}% (raw ring {:.0}% of memcpy; fmap / raw ring {f:.2}×)",
                r * 100.0
            ),
            _ => "{}%".into(),
        };
        line(
            &format!("bulk transfer {c} ≥ 80% of memcpy"),
            div(med("bulk", c, FMAP_RING), med("bulk", c, MEMCPY)).map(|v| v * 100.0),
            &|v| v >= 80.0,
            &ctx,
        );
    }
    // Faster than the peers on every operation they share (throughput: fmap / peer > 1).
    let peer_pairs: [(&str, &str, &str); 11] = [
        ("pingpong", "round trip", "fmap auto-reset events, blocking"),
        ("waitany", "N=1", "fmap wait_any"),
        ("waitany", "N=8", "fmap wait_any"),
        ("waitany", "N=64", "fmap wait_any"),
        ("mutex", "lock+unlock", "fmap Mutex::lock + drop"),
        ("semrelease", "release(1)", "fmap Semaphore::release(1)"),
        ("create", "4 KiB", "fmap"),
        ("create", "64 KiB", "fmap"),
        ("create", "1 MiB", "fmap"),
        ("create", "64 MiB", "fmap"),
        ("open", "64 KiB", "fmap (held by another process)"),
    ];
    for r in rows.iter().filter(|r| {
        r.median.is_some()
            && (r.imp.starts_with("Boost")
                || r.imp.starts_with("shared_memory")
                || r.imp.starts_with("iceoryx2"))
    }) {
        // Bulk: fmap's ring of the same case (message size and ring).
        let pair = if r.group == "bulk" {
            Some(("bulk", r.case.as_str(), FMAP_RING))
        } else {
            peer_pairs
                .iter()
                .find(|p| p.0 == r.group && p.1 == r.case)
                .copied()
        };
        if let Some((g, c, i)) = pair {
            if r.unit == Unit::GiBps {
                line(
                    &format!("faster than {} ({g}, {c})", r.imp),
                    div(med(g, c, i), r.median),
                    &|v| v > 1.0,
                    "fmap / peer = {}× the throughput",
                );
            } else {
                line(
                    &format!("faster than {} ({g}, {c})", r.imp),
                    div(med(g, c, i), r.median),
                    &|v| v < 1.0,
                    "fmap / peer = {}×",
                );
            }
        }
    }
    let mut bars = Vec::new();
    for r in rows.iter().filter(|r| r.imp.starts_with("fmap")) {
        if let Some((m, _)) = report::ratio(rows, r) {
            let unit = if r.unit == Unit::GiBps {
                " (GiB/s)"
            } else {
                ""
            };
            bars.push((
                format!("{} {}: {}{unit}", r.group, r.case, r.imp),
                m,
                r.unit == Unit::GiBps,
            ));
        }
    }
    (t, bars)
}
