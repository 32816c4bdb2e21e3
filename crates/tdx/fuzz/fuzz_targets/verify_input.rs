//! Fuzzes the whole precompile: decode, verify at a fixed timestamp, encode. It must never
//! panic; a successful call must return a well-formed output.

#![no_main]

use libfuzzer_sys::fuzz_target;
use phala_tdx::{VerificationOutcome, verify_precompile_input};

/// 2025-07-01, inside the validity window of the dcap-qvl TDX fixture.
const NOW: u64 = 1_751_328_000;

fuzz_target!(|data: &[u8]| {
    if let Ok(out) = verify_precompile_input(data, NOW) {
        let decoded = VerificationOutcome::abi_decode(&out).expect("well-formed output");
        assert_eq!(decoded.abi_encode(), out);
    }
});
