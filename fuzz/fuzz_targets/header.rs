//! The object-file header parser, run on hostile bytes: a header or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fmap::decode_header_for_fuzzing(data);
});
