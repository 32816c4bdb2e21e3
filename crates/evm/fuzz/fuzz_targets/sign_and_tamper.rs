//! A real signature by a key derived from the fuzz input verifies; the same input with any one
//! bit flipped (in the key, the signature or the message) does not, for both schemes.
#![no_main]

use ed25519_dalek::Signer;
use libfuzzer_sys::fuzz_target;
use phala_evm::substrate::{SUBSTRATE_SIGNING_CONTEXT, ed25519_verify, sr25519_verify};

fuzz_target!(|data: &[u8]| {
    if data.len() < 34 {
        return;
    }
    let seed: [u8; 32] = data[..32].try_into().unwrap();
    let flip = u16::from_le_bytes([data[32], data[33]]) as usize;
    let message = &data[34..];

    let ed = ed25519_dalek::SigningKey::from_bytes(&seed);
    let mut input = ed.verifying_key().to_bytes().to_vec();
    input.extend_from_slice(&ed.sign(message).to_bytes());
    input.extend_from_slice(message);
    check(&input, flip, ed25519_verify);

    let sr = schnorrkel::MiniSecretKey::from_bytes(&seed)
        .unwrap()
        .expand_to_keypair(schnorrkel::ExpansionMode::Ed25519);
    let signature = sr.sign(schnorrkel::signing_context(SUBSTRATE_SIGNING_CONTEXT).bytes(message));
    let mut input = sr.public.to_bytes().to_vec();
    input.extend_from_slice(&signature.to_bytes());
    input.extend_from_slice(message);
    check(&input, flip, sr25519_verify);
});

fn check(input: &[u8], flip: usize, verify: fn(&[u8]) -> bool) {
    assert!(verify(input), "a genuine signature must verify");
    let mut tampered = input.to_vec();
    let bit = flip % (tampered.len() * 8);
    tampered[bit / 8] ^= 1 << (bit % 8);
    assert!(!verify(&tampered), "bit {bit} flipped still verifies");
}
