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
pub fn boost(quick: bool, pb: &indicatif::ProgressBar) -> Res<(Vec<Row>, String)> {
    ensure_boost(quick, pb)?;
    pb.set_message("Boost.Interprocess: build");
    let bin = build_boost()?;
    pb.set_message("Boost.Interprocess: run");
    let mut cmd = Command::new(&bin);
    if quick {
        cmd.arg("--quick");
    }
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!("boost_bench failed: {}", out.status).into());
    }
    let mut rows = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 6 || f[0] != "RESULT" {
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
            "Boost.Interprocess {} (Debian's libboost-dev), our program `crates/fmap-bench/peers/boost_bench.cpp` built with `g++ -O2`; it forks its second process and pins the two to CPUs 0 and 1 like the rest of the suite. Its `interprocess_mutex` is a process-shared pthread mutex that is not robust: Boost has no abandonment (and no wait-any), hence the n/a rows.",
            boost_version()
        ),
    ))
}

/// What the report says about iceoryx2.
pub fn iceoryx2_note() -> String {
    if cfg!(feature = "iceoryx2") {
        "iceoryx2 0.10 (crates.io, feature `iceoryx2` of fmap-bench): its event service (notifier → listener, `blocking_wait`) is measured in the ping-pong table. It has no mutex, no semaphore, no named raw sections, no abandonment: n/a there. Its WaitSet could wait on several listeners, but this suite does not measure it yet; its zero-copy publish-subscribe is not a named-section transfer and is not measured.".into()
    } else {
        "iceoryx2: not built into this run (build with `--features iceoryx2`; it builds offline from crates.io in about a minute). Where built, its event service is measured in the ping-pong table; it has no mutex, semaphore, named raw sections or abandonment.".into()
    }
}

/// Wine + mingw: noted only (the Win32 C benchmark is not part of this suite yet).
pub fn wine_note() -> String {
    let wine = Command::new("wine")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    let mingw = Path::new("/usr/bin/x86_64-w64-mingw32-gcc").exists();
    match (wine, mingw) {
        (Some(w), true) => format!(
            "Wine ({}) and mingw-w64 are installed on this machine, but the Win32 C benchmark under Wine is not part of this suite yet: not measured.",
            String::from_utf8_lossy(&w.stdout).trim()
        ),
        _ => "Wine + mingw-w64: not installed here, not measured.".into(),
    }
}
