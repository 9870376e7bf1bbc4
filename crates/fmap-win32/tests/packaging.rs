//! What the installed layout is made from stays consistent with the crate (the install itself is
//! checked by `scripts/check-install.sh` and `scripts/check-deb.sh`, which need cargo-c,
//! cargo-deb and CMake):
//!
//! * the CMake package's version file says the crate's version;
//! * every header in `include/` ends in `.h` or `.H`, the two patterns of
//!   `[package.metadata.capi.install.include]`, so that cargo-c installs each of them — and
//!   every file name in `include/CASE-VARIANTS` exists.

use std::path::PathBuf;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cmake_version_file_matches_the_crate_version() {
    let text = std::fs::read_to_string(crate_dir().join("cmake/fmap-win32-config-version.cmake"))
        .expect("cmake/fmap-win32-config-version.cmake");
    let line = format!("set(PACKAGE_VERSION \"{}\")", env!("CARGO_PKG_VERSION"));
    assert!(
        text.lines().any(|l| l.trim() == line),
        "cmake/fmap-win32-config-version.cmake lacks `{line}`: update it with the version"
    );
}

#[test]
fn every_header_is_installed_by_the_capi_patterns() {
    let manifest = std::fs::read_to_string(crate_dir().join("Cargo.toml")).expect("Cargo.toml");
    for pattern in ["include/**/*.h", "include/**/*.H"] {
        assert!(
            manifest.contains(pattern),
            "Cargo.toml lacks the asset {pattern}"
        );
    }
    let mut stack = vec![crate_dir().join("include")];
    let mut headers = Vec::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir") {
            let path = e.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "CASE-VARIANTS" {
                continue;
            }
            assert!(
                name.ends_with(".h") || name.ends_with(".H"),
                "{} would not be installed by cargo cinstall (only *.h and *.H are)",
                path.display()
            );
            headers.push(name);
        }
    }
    assert!(headers.iter().any(|h| h == "windows.h"));
    let variants = std::fs::read_to_string(crate_dir().join("include/CASE-VARIANTS"))
        .expect("include/CASE-VARIANTS");
    for name in variants.split_whitespace().map(|w| w.trim_end_matches(':')) {
        assert!(
            headers.iter().any(|h| h == name),
            "CASE-VARIANTS names {name}, which is missing"
        );
    }
}
