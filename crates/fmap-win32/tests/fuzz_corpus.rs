//! Replays the committed corpus of the `c_abi` fuzz target (`fuzz/corpus/c_abi/`) through the
//! same program and checks (`fuzz/programs/c_abi.rs`, shared with `fuzz/fuzz_targets/c_abi.rs`),
//! so every input the fuzzer kept stays a regression test in the normal `cargo test` run (no
//! nightly toolchain needed).
//!
//! The program needs the process to itself: it sets `$FMAP_ROOT` before fmap's first call and
//! checks that no handle is left in the C ABI's handle table at the end of every input. This
//! file is its own test binary and holds a single test.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

#[path = "../../../fuzz/programs/c_abi.rs"]
mod c_abi;

/// The input being replayed, for the panic hook: a panic inside an `extern "C"` function aborts
/// the process before the test harness can report it.
static CURRENT: Mutex<Option<PathBuf>> = Mutex::new(None);

#[test]
fn c_abi_corpus() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/c_abi");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());

    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(p) = &*CURRENT.lock().unwrap_or_else(|e| e.into_inner()) {
            // Straight to stderr: the harness's output capture is lost if the process aborts.
            let _ = writeln!(
                std::io::stderr(),
                "fuzz_corpus: panic while replaying {}: {info}",
                p.display()
            );
        }
        previous(info)
    }));

    let mut failures = Vec::new();
    for p in &files {
        let data = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        *CURRENT.lock().unwrap() = Some(p.clone());
        if std::panic::catch_unwind(|| c_abi::run(&data)).is_err() {
            failures.push(p.display().to_string());
        }
        *CURRENT.lock().unwrap() = None;
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus inputs failed: {failures:#?}",
        failures.len(),
        files.len()
    );
}
