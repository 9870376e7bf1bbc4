//! fmap-win32's C ABI with hostile arguments: random programs of calls over a handle table
//! (valid, closed, duplicated, pseudo, NULL and wild handles; random sizes, offsets, flags,
//! names and view addresses). No crash, the documented failure values and last errors, and
//! nothing leaked at the end. The program and its checks are in `../programs/c_abi.rs`, shared
//! with the corpus replay test (`crates/fmap-win32/tests/fuzz_corpus.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../programs/c_abi.rs"]
mod c_abi;

fuzz_target!(|data: &[u8]| c_abi::run(data));
