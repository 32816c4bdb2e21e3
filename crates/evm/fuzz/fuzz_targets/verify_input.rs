//! Arbitrary precompile inputs: both verifiers return without panicking, and the gas formula
//! never overflows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phala_evm::substrate::{ed25519_verify, signature_gas, sr25519_verify};

fuzz_target!(|input: &[u8]| {
    let _ = ed25519_verify(input);
    let _ = sr25519_verify(input);
    assert!(signature_gas(input.len()) >= 6_900);
});
