//! Replays the committed fuzzing corpus (`fuzz/corpus/<target>/`) through the same checks as the
//! `cargo fuzz` targets in `fuzz/fuzz_targets/`, so every input the fuzzer found interesting
//! stays a regression test in the normal `cargo test` run (no nightly toolchain needed).

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "empty corpus {}", dir.display());
    out
}

/// The body of `fuzz/fuzz_targets/name.rs`.
fn name_target(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = fmap::Name::parse(s) {
        let f = n.file_name();
        assert!(f.len() == 32 && f.bytes().all(|b| b.is_ascii_hexdigit()));
        // The display form names the same object when it parses (a bare name of 254-259
        // units is accepted, but its display form `Local\…` is then over the length limit).
        if let Ok(again) = fmap::Name::parse(&n.to_string()) {
            assert_eq!(again, n);
        }
    }
}

#[test]
fn name_corpus() {
    let mut parsed = 0;
    for (p, data) in corpus("name") {
        let r = std::panic::catch_unwind(|| name_target(&data));
        assert!(r.is_ok(), "{} panicked", p.display());
        parsed += std::str::from_utf8(&data)
            .ok()
            .and_then(|s| fmap::Name::parse(s).ok())
            .is_some() as usize;
    }
    assert!(parsed > 0, "the corpus should hold valid names too");
}

#[test]
fn header_corpus() {
    let mut ok = 0;
    for (p, data) in corpus("header") {
        match std::panic::catch_unwind(|| fmap::decode_header_for_fuzzing(&data)) {
            Err(_) => panic!("{} panicked", p.display()),
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => assert_eq!(e.kind(), fmap::ErrorKind::InvalidData, "{}", p.display()),
        }
    }
    assert!(ok > 0, "the corpus should hold valid headers too");
}
