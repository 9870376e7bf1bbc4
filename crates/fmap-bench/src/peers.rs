//! Peer comparators outside this crate's Rust dependencies: Boost.Interprocess (a C++ program
//! of ours, `peers/boost_bench.cpp`, built with g++ against Debian's libboost-dev) and notes on
//! iceoryx2 and Wine.

use crate::common::Res;
use crate::report::Row;
use std::path::{Path, PathBuf};
use std::process::Command;

const BOOST_SRC: &str = include_str!("../peers/boost_bench.cpp");
const BOOST_HEADER: &str = "/usr/include/boost/interprocess/shared_memory_object.hpp";

fn is_root() -> bool {
    // SAFETY: no arguments.
    unsafe { libc::geteuid() == 0 }
}

fn run_ok(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Installs libboost-dev with apt-get if it is missing (root only; not in quick mode).
fn ensure_boost(quick: bool, pb: &indicatif::ProgressBar) -> Res<()> {
    if Path::new(BOOST_HEADER).exists() {
        return Ok(());
    }
    if quick {
        return Err("libboost-dev is not installed; the full run installs it".into());
    }
    if !is_root() {
        return Err(
            "libboost-dev is not installed and we are not root: apt-get install libboost-dev"
                .into(),
        );
    }
    pb.set_message("Boost.Interprocess: apt-get install -y libboost-dev");
    let install = || {
        run_ok(
            Command::new("apt-get")
                .args(["install", "-y", "libboost-dev"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    if !install() {
        run_ok(Command::new("apt-get").arg("update"));
        if !install() {
            return Err("apt-get install -y libboost-dev failed".into());
        }
    }
    Ok(())
}

/// Builds the program next to this executable (again whenever the source changed).
fn build_boost() -> Res<PathBuf> {
    let dir = std::env::current_exe()?
        .parent()
        .ok_or("no executable directory")?
        .join("fmap-bench-peers");
    std::fs::create_dir_all(&dir)?;
    let src = dir.join("boost_bench.cpp");
    let bin = dir.join("boost_bench");
    let same = std::fs::read_to_string(&src)
        .map(|s| s == BOOST_SRC)
        .unwrap_or(false);
    if same && bin.exists() {
        return Ok(bin);
    }
    std::fs::write(&src, BOOST_SRC)?;
    let out = Command::new("g++")
        .args(["-O2", "-std=c++17", "-o"])
        .arg(&bin)
        .arg(&src)
        .args(["-lrt", "-pthread"])
        .output()
        .map_err(|e| format!("g++: {e}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&bin);
        return Err(format!(
            "g++ failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        )
        .into());
    }
    Ok(bin)
}

fn boost_version() -> String {
    std::fs::read_to_string("/usr/include/boost/version.hpp")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("#define BOOST_LIB_VERSION"))
                .and_then(|l| l.split('"').nth(1).map(|v| v.replace('_', ".")))
        })
        .unwrap_or_else(|| "?".into())
}

/// Runs the Boost.Interprocess program; its rows and a note for the report.
pub fn boost(
    quick: bool,
    only: Option<&[String]>,
    rings: &[crate::bulk::Geom],
    pb: &indicatif::ProgressBar,
) -> Res<(Vec<Row>, String)> {
    ensure_boost(quick, pb)?;
    pb.set_message("Boost.Interprocess: build");
    let bin = build_boost()?;
    pb.set_message("Boost.Interprocess: run");
    let mut cmd = Command::new(&bin);
    if quick {
        cmd.arg("--quick");
    }
    if let Some(l) = only {
        cmd.arg("--only").arg(l.join(","));
    }
    cmd.arg("--ring")
        .arg(rings.iter().map(|g| g.arg()).collect::<Vec<_>>().join(","));
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!("boost_bench failed: {}", out.status).into());
    }
    let mut rows = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 6 || f[0] != "RESULT" {
            continue;
        }
        let num = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
        let (group, imp, base): (&'static str, &str, &str) = match f[1] {
            "pingpong" => (
                "pingpong",
                "Boost.Interprocess interprocess_semaphore",
                "raw futex (FUTEX_WAIT/WAKE)",
            ),
            "mutex" => (
                "mutex",
                "Boost.Interprocess interprocess_mutex",
                "robust process-shared pthread mutex",
            ),
            "semrelease" => (
                "semrelease",
                "Boost.Interprocess interprocess_semaphore::post",
                "sem_post (process-shared sem_t)",
            ),
            "create" => (
                "create",
                "Boost.Interprocess shared_memory_object + mapped_region",
                "shm_open + ftruncate + mmap",
            ),
            "open" => (
                "open",
                "Boost.Interprocess shared_memory_object + mapped_region",
                "shm_open + ftruncate + mmap",
            ),
            "bulk" => {
                // … ring (SLOTSxKIB) and the cache-line round trip measured before the run.
                let Some(ring) = f.get(6).and_then(|g| crate::bulk::Geom::parse(g)) else {
                    continue;
                };
                let first = rings.first() == Some(&ring);
                rows.push(
                    Row::gibps(
                        "bulk",
                        &crate::bulk_case_of(f[2], ring, first),
                        crate::BOOST_RING,
                        num(3),
                        Some(num(5)),
                    )
                    .base(crate::MEMCPY)
                    .note(&format!(
                        "{}; cache-line round trip {}",
                        ring.describe(),
                        crate::rt_range(&[num(7)])
                    )),
                );
                continue;
            }
            _ => continue,
        };
        rows.push(Row::ns(group, f[2], imp, num(3), num(4), Some(num(5))).base(base));
    }
    if rows.is_empty() {
        return Err("boost_bench printed no result".into());
    }
    Ok((
        rows,
        format!(
            "Boost.Interprocess {} (Debian's libboost-dev), our program `crates/fmap-bench/peers/boost_bench.cpp` built with `g++ -O2`; it forks its second process and pins the two to CPUs 0 and 1 like the rest of the suite. Its bulk rows run the suite's ring protocol (same rings, stream, stamps and checks) with a pair of `interprocess_semaphore`s per slot, whose waits sleep in the kernel whenever the count is zero. Its `interprocess_mutex` is a process-shared pthread mutex that is not robust: Boost has no abandonment (and no wait-any), hence the n/a rows.",
            boost_version()
        ),
    ))
}

/// What the report says about iceoryx2.
pub fn iceoryx2_note() -> String {
    if cfg!(feature = "iceoryx2") {
        "iceoryx2 0.10 (crates.io, feature `iceoryx2` of fmap-bench): its event service (notifier → listener, `blocking_wait`) in the ping-pong table; its `WaitSet` (epoll over the listeners of N event services, the last one notified) in the wait-on-N table; its publish-subscribe in the bulk table, with the ring's slots as samples of the slot size (subscriber buffer = the number of slots, the publisher retries while it is full; the subscriber polls `receive`, spinning 20 µs and then sleeping 10 µs between polls, as publish-subscribe has no blocking receive), every byte copied into the loaned sample and out of the received one. It has no mutex, no semaphore, no named raw sections, no abandonment: n/a there.".into()
    } else {
        "iceoryx2: not built into this run (build with `--features iceoryx2`; it builds offline from crates.io in about a minute). Where built, its event service is measured in the ping-pong table, its WaitSet in the wait-on-N table and its publish-subscribe in the bulk table; it has no mutex, semaphore, named raw sections or abandonment.".into()
    }
}

// ---------------------------------------------------------------------------------------------
// Win32: one C program (`peers/win32_bench.c`), built natively against fmap's C ABI
// (crates/fmap-win32) and with mingw-w64 for Wine.

const WIN32_SRC: &str = include_str!("../peers/win32_bench.c");
const MINGW: &str = "x86_64-w64-mingw32-gcc";
pub const NATIVE: &str = "Win32 C program on fmap-win32 (native)";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A sample taken as each line of output arrives (wineserver's CPU time).
type Sampler = Box<dyn FnMut() -> Option<f64> + Send>;

/// Runs `cmd`, killing it after `secs` seconds; the lines of its standard output, each with
/// what `sample` returned when the line arrived.
fn output_with_timeout(
    cmd: &mut Command,
    secs: u64,
    mut sample: Sampler,
) -> Res<Vec<(String, Option<f64>)>> {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let out = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .map(|l| {
                let t = sample();
                (l, t)
            })
            .collect::<Vec<_>>()
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(st) = child.try_wait()? {
            let s = reader.join().map_err(|_| "reader panicked")?;
            if !st.success() {
                return Err(format!("exited with {st}").into());
            }
            return Ok(s);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no result within {secs} s").into());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// wineserver's CPU time so far (ns), for the wineserver of this user's Wine prefix: the one
/// whose working directory is `…/server-<dev>-<inode>` of the prefix directory.
fn wineserver_cpu() -> Option<f64> {
    use std::os::unix::fs::MetadataExt;
    let prefix = std::env::var_os("WINEPREFIX")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".wine")))?;
    let md = std::fs::metadata(prefix).ok()?;
    let want = format!("server-{:x}-{:x}", md.dev(), md.ino());
    // SAFETY: sysconf has no preconditions.
    let tick = 1e9 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let p = e.path();
        let is_server = std::fs::read_to_string(p.join("comm"))
            .map(|c| c.starts_with("wineserver"))
            .unwrap_or(false);
        let ours = std::fs::read_link(p.join("cwd"))
            .map(|d| d.file_name().is_some_and(|n| n.to_string_lossy() == want))
            .unwrap_or(false);
        if !(is_server && ours) {
            continue;
        }
        // utime and stime: fields 14 and 15, counted after the command name's ')'.
        let stat = std::fs::read_to_string(p.join("stat")).ok()?;
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        return Some(ticks * tick);
    }
    None
}

/// The rows of the Win32 program's output. `lines`: each line with wineserver's CPU time when
/// it arrived (Wine only): its increase from a measurement's BEGIN line to its RESULT line is
/// added to the program's CPU time per operation.
fn parse_win32(lines: &[(String, Option<f64>)], imp: &str, wine: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut begun: Option<f64> = None;
    for (line, server) in lines {
        let f: Vec<&str> = line.split('\t').collect();
        if f.first() == Some(&"BEGIN") {
            begun = *server;
            continue;
        }
        if f.len() != 7 || f[0] != "RESULT" {
            continue;
        }
        let num = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
        let group: &'static str = match f[1] {
            "pingpong" => "pingpong",
            "waitany" => "waitany",
            "mutex" => "mutex",
            "semrelease" => "semrelease",
            "setevent" => "setevent",
            "create" => "create",
            "open" => "open",
            "abandon" => "abandon",
            _ => continue,
        };
        let own = Some(num(5)).filter(|c| c.is_finite());
        let srv = match (wine, begun.take(), server) {
            (true, Some(a), Some(b)) => Some((b - a) / num(6)),
            _ => None,
        };
        let cpu = match (own, srv) {
            (Some(o), Some(s)) => Some(o + s),
            (o, _) => o,
        };
        let mut row = Row::ns(group, f[2], imp, num(3), num(4), cpu);
        if wine {
            row = row.base(NATIVE);
        } else if let Some(raw) = native_base(group) {
            // The native rows against the raw primitive of their table, like fmap's own.
            row = row.base(raw);
        }
        let mut notes: Vec<String> = Vec::new();
        notes.push(
            match group {
                "waitany" => {
                    "round trip (SetEvent → WaitForMultipleObjects → SetEvent), not one-way; CPU of both processes"
                }
                "abandon" => {
                    "TerminateProcess, then WaitForSingleObject (waiter not asleep at the kill)"
                }
                "open" => "creating handle held by this process",
                _ => "",
            }
            .to_owned(),
        );
        if let (Some(o), Some(s)) = (own, srv) {
            notes.push(format!(
                "CPU: program {} + wineserver {}",
                crate::report::fmt_ns(o),
                crate::report::fmt_ns(s)
            ));
        }
        notes.retain(|n| !n.is_empty());
        row = row.note(&notes.join("; "));
        rows.push(row);
    }
    rows
}

/// The raw primitive a native Win32 row is compared with: the one of its table (None for the
/// wait-on-N rows, which are round trips and the raw rows one-way latencies).
fn native_base(group: &str) -> Option<&'static str> {
    Some(match group {
        "pingpong" => "raw futex (FUTEX_WAIT/WAKE)",
        "mutex" => crate::PTHREAD,
        "semrelease" => crate::SEMPOST,
        "setevent" => crate::RAW_EVENT,
        "create" | "open" => crate::RAWSHM,
        "abandon" => "robust pthread mutex (EOWNERDEAD)",
        _ => return None,
    })
}

/// The Win32 rows: fmap's C ABI natively, and Wine where installed. Not in quick mode.
pub fn win32(pb: &indicatif::ProgressBar) -> Res<(Vec<Row>, String)> {
    let dir = std::env::current_exe()?
        .parent()
        .ok_or("no executable directory")?
        .to_path_buf();
    let peers = dir.join("fmap-bench-peers");
    std::fs::create_dir_all(&peers)?;
    let src = peers.join("win32_bench.c");
    std::fs::write(&src, WIN32_SRC)?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    // Native, against fmap-win32's static library (built here if missing).
    pb.set_message("Win32 C program: build fmap-win32 and the program");
    let lib = dir.join("libfmap_win32.a");
    let native = (|| -> Res<Vec<Row>> {
        let ok = run_ok(
            Command::new("cargo")
                .args(["build", "--release", "-p", "fmap-win32"])
                .current_dir(workspace_root()),
        );
        if !ok || !lib.exists() {
            return Err("cargo build --release -p fmap-win32 failed".into());
        }
        let bin = peers.join("win32_native");
        let st = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-O2", "-o"])
            .arg(&bin)
            .arg(&src)
            .arg("-I")
            .arg(workspace_root().join("crates/fmap-win32/include"))
            .arg(&lib)
            .args(["-lpthread", "-ldl", "-lm"])
            .status()?;
        if !st.success() {
            return Err("cc failed".into());
        }
        pb.set_message("Win32 C program on fmap-win32");
        // Spinning off, so that the Wine rows compare like with like (Wine does not spin).
        let out = output_with_timeout(
            Command::new(&bin).env("FMAP_SPIN_US", "0"),
            300,
            Box::new(|| None),
        )?;
        Ok(parse_win32(&out, NATIVE, false))
    })();
    match native {
        Ok(r) => {
            rows.extend(r);
            notes.push("Win32 C program (`crates/fmap-bench/peers/win32_bench.c`, Win32 API only) built natively with `cc` against fmap's C ABI (`libfmap_win32.a`): the rows named \"Win32 C program on fmap-win32 (native)\", run with `FMAP_SPIN_US=0` (no adaptive spin, like Wine). CPU time: `CLOCK_PROCESS_CPUTIME_ID` of the program's processes taking part (both for the ping-pong and wait rows; the killed owner's is not known, so none for abandonment).".to_string());
        }
        Err(e) => notes.push(format!(
            "Win32 C program on fmap-win32: not measured ({e})."
        )),
    }
    // Wine, where installed.
    let wine = Command::new("wine")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    let mingw = Command::new(MINGW)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    match (wine, mingw) {
        (Some(w), Some(_)) => {
            let wv = String::from_utf8_lossy(&w.stdout).trim().to_owned();
            pb.set_message("Win32 C program: mingw build");
            let exe = peers.join("win32_bench.exe");
            let st = Command::new(MINGW)
                .args(["-O2", "-o"])
                .arg(&exe)
                .arg(&src)
                .status()?;
            if !st.success() {
                notes.push("Wine: the mingw build failed; not measured.".into());
            } else {
                pb.set_message(format!("Win32 C program on {wv}"));
                match output_with_timeout(
                    Command::new("wine").arg(&exe).env("WINEDEBUG", "-all"),
                    600,
                    Box::new(wineserver_cpu),
                ) {
                    Ok(out) => {
                        let imp = format!("Win32 C program on {wv} (mingw-w64)");
                        rows.extend(parse_win32(&out, &imp, true));
                        notes.push(format!("{wv}: the same Win32 C program built with `{MINGW} -O2`, run with `wine` (wineserver does the named objects): the rows named \"{imp}\"; their ratio column is to the native fmap-win32 build of the same program. CPU time there: `GetProcessTimes` of the program's processes (Wine counts it in 10 ms clock ticks: coarse for the short measurements) plus wineserver's own CPU time over the same measurement (from `/proc`, also in ticks), which does Wine's named objects and waits."));
                    }
                    Err(e) => notes.push(format!("{wv}: not measured ({e}).")),
                }
            }
        }
        _ => notes.push("Wine + mingw-w64: not installed here, not measured.".into()),
    }
    Ok((rows, notes.join("\n* ")))
}
