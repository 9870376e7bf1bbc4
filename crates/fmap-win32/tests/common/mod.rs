//! What the C-program tests (`c_abi.rs`, `corpus.rs`) share: where the crate is and where the
//! library they link lives.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

/// The crate's directory (`crates/fmap-win32`).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding `libfmap_win32.so` and `libfmap_win32.a`: the library of this test
/// run's profile (`target/<profile>/`). `cargo test` builds only the Rust library the tests
/// link, not the C ones, so this runs `cargo build -p fmap-win32` once per test binary (a no-op
/// when they are up to date): a library left from an older build would otherwise miss
/// functions that the C programs need.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let deps = exe.parent().expect("deps dir").to_owned();
        let profile = deps.parent().expect("profile dir").to_owned();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "fmap-win32"]);
        if profile.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        if let Some(target) = profile.parent() {
            cmd.env("CARGO_TARGET_DIR", target);
        }
        let st = cmd.status().expect("run cargo build -p fmap-win32");
        assert!(st.success(), "cargo build -p fmap-win32 failed");
        let has =
            |d: &Path| d.join("libfmap_win32.so").exists() && d.join("libfmap_win32.a").exists();
        assert!(has(&profile), "no libfmap_win32 in {}", profile.display());
        profile
    })
}

/// Waits for `child` (started by `cmd`) to finish and collects its output; kills it and fails
/// the test if it takes more than 60 s.
pub fn finish(cmd: &Command, child: Child) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("wait for the test program"),
        Err(_) => {
            // SAFETY: kill(2) on the pid of our own, still unreaped child.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("{cmd:?} did not finish within 60 s");
        }
    }
}

/// Bytes as text, for messages.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
