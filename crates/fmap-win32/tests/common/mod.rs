//! What the C-program tests (`c_abi.rs`, `corpus.rs`) share: where the crate is and where the
//! library they link lives.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The crate's directory (`crates/fmap-win32`).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding `libfmap_win32.so` and `libfmap_win32.a`: the library cargo built
/// for this test run, next to the test binary (`target/<profile>/`); if it is missing,
/// `cargo build -p fmap-win32` makes it.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let deps = exe.parent().expect("deps dir").to_owned();
        let profile = deps.parent().expect("profile dir").to_owned();
        let has =
            |d: &Path| d.join("libfmap_win32.so").exists() && d.join("libfmap_win32.a").exists();
        for d in [&profile, &deps] {
            if has(d) {
                return d.clone();
            }
        }
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
        assert!(has(&profile), "no libfmap_win32 in {}", profile.display());
        profile
    })
}
