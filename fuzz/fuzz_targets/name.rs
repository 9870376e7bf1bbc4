//! Win32 name parsing: any input is a name or an error, never a panic; a parsed name's file
//! name is 32 hex digits (it cannot leave the namespace directory) and parsing its display
//! form gives the same name.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
