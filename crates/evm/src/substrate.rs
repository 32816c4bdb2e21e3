//! Signature verification precompiles for Substrate account keys, so contracts can check that a
//! Phala parachain account (a 32-byte public key) signed a message — the basis of the migration
//! claims.
//!
//! | address | scheme |
//! |---|---|
//! | `0x…544459` | ed25519, strict (RFC 8032 with canonical `S`, no small-order keys or `R`) |
//! | `0x…54445a` | sr25519 (schnorrkel, signing context `substrate`, as polkadot.js signs; the identity key is refused) |
//!
//! Input: `publicKey (32) ‖ signature (64) ‖ message`. Output: the 32-byte word 1 when the
//! signature is valid, empty otherwise (also for inputs shorter than 96 bytes), as P256VERIFY
//! does. Gas: [`signature_gas`] = 6900 (P256VERIFY's EIP-7951 price) + 12 per 32-byte word of
//! message (SHA-256's per-word price: both schemes hash the message), charged in every case.

use alloy_evm::precompiles::{DynPrecompile, PrecompileInput};
use alloy_primitives::{Address, Bytes};
use revm::precompile::{PrecompileHalt, PrecompileId, PrecompileOutput, PrecompileResult};

/// Address of the ed25519 verifier.
pub const ED25519_VERIFY_ADDRESS: Address =
    Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x54, 0x44, 0x59]);
/// Address of the sr25519 verifier.
pub const SR25519_VERIFY_ADDRESS: Address =
    Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x54, 0x44, 0x5a]);

/// The schnorrkel signing context Substrate and polkadot.js use.
pub const SUBSTRATE_SIGNING_CONTEXT: &[u8] = b"substrate";

/// Gas of a verification with `input_len` bytes of input.
pub const fn signature_gas(input_len: usize) -> u64 {
    let message_len = input_len.saturating_sub(96) as u64;
    6_900 + 12 * message_len.div_ceil(32)
}

/// The key, signature and message of an input, or `None` if it is too short.
fn split(input: &[u8]) -> Option<([u8; 32], [u8; 64], &[u8])> {
    let (key, rest) = input.split_first_chunk::<32>()?;
    let (signature, message) = rest.split_first_chunk::<64>()?;
    Some((*key, *signature, message))
}

/// Strict ed25519 verification.
pub fn ed25519_verify(input: &[u8]) -> bool {
    let Some((key, signature, message)) = split(input) else { return false };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key) else { return false };
    let signature = ed25519_dalek::Signature::from_bytes(&signature);
    key.verify_strict(message, &signature).is_ok()
}

/// sr25519 verification in the `substrate` signing context.
pub fn sr25519_verify(input: &[u8]) -> bool {
    let Some((key, signature, message)) = split(input) else { return false };
    // The identity point (all-zero encoding) is a valid Ristretto point, and against it every
    // signature `(s·B, s)` verifies: anyone could sign for that key.
    if key == [0; 32] {
        return false;
    }
    let Ok(key) = schnorrkel::PublicKey::from_bytes(&key) else { return false };
    // Requires the schnorrkel marker bit and a canonical scalar.
    let Ok(signature) = schnorrkel::Signature::from_bytes(&signature) else { return false };
    key.verify_simple(SUBSTRATE_SIGNING_CONTEXT, message, &signature).is_ok()
}

fn precompile(name: &'static str, verify: fn(&[u8]) -> bool) -> DynPrecompile {
    DynPrecompile::new(
        PrecompileId::Custom(name.into()),
        move |input: PrecompileInput<'_>| -> PrecompileResult {
            let cost = signature_gas(input.data.len());
            if cost > input.gas {
                return Ok(PrecompileOutput::halt(PrecompileHalt::OutOfGas, input.reservoir));
            }
            let output = if verify(input.data) {
                Bytes::copy_from_slice(&alloy_primitives::U256::from(1).to_be_bytes::<32>())
            } else {
                Bytes::new()
            };
            Ok(PrecompileOutput::new(cost, output, input.reservoir))
        },
    )
}

/// The ed25519 precompile.
pub fn ed25519_precompile() -> DynPrecompile {
    precompile("ED25519_VERIFY", ed25519_verify)
}

/// The sr25519 precompile.
pub fn sr25519_precompile() -> DynPrecompile {
    precompile("SR25519_VERIFY", sr25519_verify)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer;

    fn input(key: &[u8], signature: &[u8], message: &[u8]) -> Vec<u8> {
        [key, signature, message].concat()
    }

    #[test]
    fn ed25519_accepts_valid_and_rejects_tampered() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let message = b"<Bytes>claim to 0x1234</Bytes>";
        let signature = key.sign(message).to_bytes();
        let public = key.verifying_key().to_bytes();
        assert!(ed25519_verify(&input(&public, &signature, message)));
        assert!(!ed25519_verify(&input(&public, &signature, b"<Bytes>claim to 0x1235</Bytes>")));
        let mut bad = signature;
        bad[0] ^= 1;
        assert!(!ed25519_verify(&input(&public, &bad, message)));
        // S + L (the group order) is the same signature mathematically; strict mode refuses it.
        let mut malleated = signature;
        let order: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(malleated[32 + i]) + u16::from(order[i]) + carry;
            malleated[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        assert!(!ed25519_verify(&input(&public, &malleated, message)));
        assert!(!ed25519_verify(&public));
    }

    #[test]
    fn sr25519_uses_the_substrate_context() {
        let keypair = schnorrkel::MiniSecretKey::from_bytes(&[5; 32])
            .unwrap()
            .expand_to_keypair(schnorrkel::ExpansionMode::Ed25519);
        let message = b"<Bytes>claim to 0x1234</Bytes>";
        let signature = keypair.sign_simple(SUBSTRATE_SIGNING_CONTEXT, message).to_bytes();
        let public = keypair.public.to_bytes();
        assert!(sr25519_verify(&input(&public, &signature, message)));
        let other_context = keypair.sign_simple(b"polkadot", message).to_bytes();
        assert!(!sr25519_verify(&input(&public, &other_context, message)));
        assert!(!sr25519_verify(&input(&public, &signature, b"<Bytes>claim to 0x9999</Bytes>")));
        let mut no_marker = signature;
        no_marker[63] &= 0x7f;
        assert!(!sr25519_verify(&input(&public, &no_marker, message)));
        assert!(!sr25519_verify(&signature));
    }

    /// The Ristretto identity as a public key: `R = s·B` with any `s` would verify any message.
    #[test]
    fn sr25519_refuses_the_identity_key() {
        // The compressed Ristretto basepoint, i.e. `1·B`.
        let basepoint: [u8; 32] = [
            0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00,
            0x51, 0x5f, 0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45,
            0xe0, 0x8d, 0x2d, 0x76,
        ];
        let mut forged = [0u8; 64];
        forged[..32].copy_from_slice(&basepoint);
        forged[32] = 1; // s = 1
        forged[63] |= 0x80; // schnorrkel's marker bit
        let identity = [0u8; 32];
        // Without the check schnorrkel accepts it: R' = k·(−0) + 1·B = B = R.
        let key = schnorrkel::PublicKey::from_bytes(&identity).unwrap();
        let signature = schnorrkel::Signature::from_bytes(&forged).unwrap();
        assert!(key.verify_simple(SUBSTRATE_SIGNING_CONTEXT, b"any message", &signature).is_ok());
        assert!(!sr25519_verify(&input(&identity, &forged, b"any message")));
    }

    #[test]
    fn gas_and_garbage() {
        assert_eq!(signature_gas(0), 6_900);
        assert_eq!(signature_gas(96), 6_900);
        assert_eq!(signature_gas(97), 6_912);
        assert_eq!(signature_gas(96 + 64), 6_924);
        // Deterministic pseudo-random inputs of every length up to 300 bytes: never a panic,
        // never a "valid" answer.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for len in 0..300 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            assert!(!ed25519_verify(&data));
            assert!(!sr25519_verify(&data));
        }
    }
}
