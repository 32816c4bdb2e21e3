//! Fuzzes the precompile's ABI input decoder: it must never panic, and whatever it accepts
//! must re-encode canonically to an input that decodes to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use phala_tdx::{decode_input, encode_input};

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = decode_input(data) {
        let canonical = encode_input(input.quote, &input.collateral, input.flags);
        let again = decode_input(&canonical).expect("canonical encoding decodes");
        assert_eq!(again, input);
    }
});
