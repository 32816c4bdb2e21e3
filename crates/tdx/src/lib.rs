//! Verification core of the native TDX attestation precompile.
//!
//! Verifies an Intel TDX (optionally SGX) DCAP quote against caller-supplied Intel
//! collateral at a caller-supplied timestamp (the block timestamp) and returns an ABI-encoded
//! verdict. The result is a pure function of `(input, timestamp)`: no clock, no I/O, no
//! randomness, no hash-map iteration.
//!
//! Key components:
//! - [`abi`]: strict decoder of `abi.encode(bytes quote, Collateral collateral, uint32 flags)`
//!   and encoders ([`encode_input`], [`VerificationOutcome::abi_encode`]).
//! - `quote`: exact-length shape check, then dcap-qvl's quote decoder.
//! - `collateral`: JSON / CRL / PEM decoding and the validity-time check.
//! - `verify`: the ordered pipeline (webpki chain and CRL checks, ECDSA checks with
//!   dcap-qvl's RustCrypto backend).
//! - `tcb`: QE Identity and platform TCB appraisal on dcap-qvl's collateral types.
//! - [`VerificationOutcome`], [`Status`], [`TcbStatus`]: the result.
//! - [`VerificationCache`]: decoded collateral and verified signatures of earlier calls
//!   (bounded, shared between threads), which saves CPU time and changes no result.
//! - [`PrecompileRules`]: the gas schedule and cache use of each Phala hardfork.
//!
//! # Engine
//!
//! The pinned engine is `dcap-qvl` 0.7.1. Its one-shot verifier reports failures only as
//! text, so this crate runs the same steps itself, in dcap-qvl's order, from dcap-qvl's
//! public building blocks (quote decoder, `TcbInfo` / `QeIdentity` types and their matching
//! helpers, PCK extension parser, RustCrypto P-256 verifier, signature encoder) and the
//! same `dcap-qvl-webpki` version for certificate chains and CRLs. Each step has exactly
//! one status; error values of the libraries are only ever mapped to that status, never
//! inspected. Tests check that the verdict, TCB status, advisories, dates and window agree
//! with dcap-qvl's own `QuoteVerifier` on every fixture.
//!
//! # Steps and statuses (first failing step wins)
//!
//! | step | check | status |
//! |---|---|---|
//! | 0 | input ≤ 64 KiB, ABI well formed, no reserved flag bit | call fails ([`TdxInputError`]) |
//! | 1 | quote ≤ 8 KiB, exact length by its own length fields (outer and inner), version/TEE type 4/5 TDX (3 SGX only with flag bit 1), body type and size, P-256 key type, Intel QE vendor, certification data type 6 wrapping type 5 (any inner type if the collateral carries the PCK chain), dcap-qvl decoder agrees | `BAD_QUOTE` |
//! | 2 | TCB Info / QE Identity JSON (UTF-8, dcap-qvl types, RFC 3339 dates), 64-byte signatures, both CRLs (webpki and x509-cert), TCB Info / QE Identity issuer chains (PEM `CERTIFICATE` blocks, X.509) | `BAD_COLLATERAL` |
//! | 3 | PCK chain (collateral `pckCertificateChain`, else the quote's) decodes and is exactly leaf, intermediate, Intel root; issuer chains exactly signer, Intel root | `CERT_CHAIN` |
//! | 4 | timestamp inside every validity interval: TCB Info and QE Identity (`issueDate`..=`nextUpdate`), both CRLs (`thisUpdate`..`nextUpdate`, end exclusive as webpki enforces), every certificate of the three chains (`notBefore`..=`notAfter`) | `COLLATERAL_TIME` |
//! | 5a | root CA CRL signed by the root; root not revoked; TCB Info signer chain (webpki, both CRLs) | `CERT_CHAIN` |
//! | 5b | TCB Info signature | `BAD_COLLATERAL` |
//! | 5c | QE Identity signer chain (skipped when identical to the TCB Info chain) | `CERT_CHAIN` |
//! | 5d | QE Identity signature | `BAD_COLLATERAL` |
//! | 6 | QE Identity is `TD_QE` v2/v3 for TDX, `QE` v2 for SGX | `QE` |
//! | 7 | PCK chain (webpki, revocation of every certificate with both CRLs, PCK CRL signature), PCK SGX extension | `CERT_CHAIN` |
//! | 8 | QE report signature by the PCK key; QE auth data 32 bytes and QE report data = sha256(attestation key ‖ auth data); QE MRSIGNER, ISVPRODID, MISCSELECT, ATTRIBUTES (masked), no debug, ISVSVN level | `QE` |
//! | 9 | quote signature (header ‖ body) by the attestation key | `QUOTE_SIGNATURE` |
//! | 10 | TCB Info FMSPC and type match; platform TCB level, TDX module identity and level, TD 1.5 current TCB; converged with QE level | `TCB_NO_MATCH`; `TCB_REVOKED` if revoked |
//! | 11 | TD attributes: no debug/profiling, no reserved bits, not migratable, `SEPT_VE_DISABLE`; service TD (`MR_SERVICETD` ≠ 0 or `SERVTD_EXT`) only with flag bit 0 on TD 1.5; SGX: no debug | `TD_POLICY` |
//!
//! The `pckCrlIssuerChain` collateral field is not used (as in dcap-qvl): the PCK CRL is
//! verified against the intermediate CA of the verified PCK chain.
//!
//! Stricter than dcap-qvl's `QuoteVerifier` by design: trailing bytes after the quote are
//! refused; chains must have exactly the shape above and end with the Intel root itself; a
//! CRL whose `thisUpdate` is after the timestamp is refused; SGX quotes need flag bit 1; a
//! debug TD or enclave is never accepted. Which output fields are filled for each status is
//! documented on [`VerificationOutcome`].
//!
//! # Gas schedule of `0x…544458`
//!
//! Charged whether the quote verifies or not, and whatever the cache holds: gas is a pure
//! function of the input length and the active hardfork.
//!
//! | from hardfork (genesis key) | gas | cache |
//! |---|---|---|
//! | `TdxAttestation` (`tdxAttestationTime`) | [`gas_cost`]: `200_000 + 6 * ceil(len / 32)` | no |
//! | `TdxRepricing` (`tdxRepricingTime`) | `300_000 + 12 * ceil(len / 32)` | [`VerificationCache::shared`] |
//!
//! The second schedule is priced for a call that finds nothing in the cache, so that it buys
//! no more CPU time per gas than ECRECOVER (3,000 gas) on the same machine. Measured in one
//! release run of `cargo bench -p phala-tdx --bench verify -- --table` (2 vCPU AMD EPYC):
//! ECRECOVER ≈ 28 µs (≈ 107 gas/µs); an uncached verification ≈ 1.5–1.6 ms, also with a
//! 64 KiB input (≈ 200 gas/µs under the second schedule, ≈ 130 under the first); with the
//! collateral cached, a new quote of the same platform ≈ 240 µs and the same input again
//! ≈ 80 µs.
//!
//! # Cache
//!
//! A repeated call re-does only what depends on the call itself (see the `cache` module):
//! the exact quote checks, every validity interval against the timestamp, webpki's path
//! building and revocation lookups, the TCB and TD-policy appraisal, and signatures not seen
//! before (for a new quote of a known platform: only the quote signature). Decoded collateral
//! is keyed by SHA-256 of the collateral fields the decoding reads, signatures by SHA-256 of
//! key, message and signature; only successful signature checks are stored.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod abi;
mod cache;
mod collateral;
mod error;
mod outcome;
pub mod pcs;
mod quote;
mod tcb;
mod verify;

#[cfg(test)]
mod fixture_tests;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;

pub use abi::{Collateral, Flags, PrecompileInput, decode_input, encode_input};
pub use cache::VerificationCache;
pub use error::TdxInputError;
pub use outcome::{Status, TcbStatus, VerificationOutcome};
pub use pcs::{CollateralJsonError, OwnedCollateral, declared_quote_len};
pub use verify::{INTEL_ROOT_CA_DER, verify, verify_cached};

/// Address of the TDX verifier precompile, `0x…544458` ("TDX").
pub const TDX_VERIFIER_ADDRESS: [u8; 20] =
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x54, 0x44, 0x58];

/// Maximum length of the whole precompile input.
pub const MAX_INPUT_LEN: usize = 64 * 1024;

/// Maximum length of a quote.
pub const MAX_QUOTE_LEN: usize = 8 * 1024;

/// Fixed part of the gas cost from `TdxAttestation` (the first schedule).
pub const BASE_GAS: u64 = 200_000;

/// Gas per 32-byte word of input from `TdxAttestation` (the first schedule).
pub const GAS_PER_WORD: u64 = 6;

/// Fixed part of the gas cost from `TdxRepricing`.
pub const REPRICED_BASE_GAS: u64 = 300_000;

/// Gas per 32-byte word of input from `TdxRepricing`.
pub const REPRICED_GAS_PER_WORD: u64 = 12;

/// Gas cost of a call with `input_len` bytes of input under the first schedule
/// (`TdxAttestation`): `200_000 + 6 * ceil(input_len / 32)`. Saturates instead of overflowing.
pub fn gas_cost(input_len: usize) -> u64 {
    PrecompileRules::Attestation.gas_cost(input_len)
}

/// The rules of the precompile at a block, chosen by the Phala hardforks active at its
/// timestamp. The verdict is the same under both; the gas and the time taken differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrecompileRules {
    /// `TdxAttestation`: gas `200_000 + 6 * ceil(len / 32)`; every call verifies from scratch.
    Attestation,
    /// `TdxRepricing`: gas `300_000 + 12 * ceil(len / 32)`, priced for a call that finds
    /// nothing in the cache; calls use the shared [`VerificationCache`].
    Repricing,
}

impl PrecompileRules {
    /// Gas charged for a call with `input_len` bytes of input, whatever the verdict and
    /// whatever the cache holds. Saturates instead of overflowing.
    pub fn gas_cost(self, input_len: usize) -> u64 {
        let (base, per_word) = match self {
            Self::Attestation => (BASE_GAS, GAS_PER_WORD),
            Self::Repricing => (REPRICED_BASE_GAS, REPRICED_GAS_PER_WORD),
        };
        let words = u64::try_from(input_len.div_ceil(32)).unwrap_or(u64::MAX);
        base.saturating_add(per_word.saturating_mul(words))
    }

    /// Runs the precompile under these rules: [`verify_precompile_input`], with
    /// [`VerificationCache::shared`] from `TdxRepricing`. Same bytes either way.
    pub fn run(self, input: &[u8], timestamp: u64) -> Result<Vec<u8>, TdxInputError> {
        match self {
            Self::Attestation => verify_precompile_input(input, timestamp),
            Self::Repricing => {
                verify_precompile_input_cached(input, timestamp, VerificationCache::shared())
            }
        }
    }
}

/// Runs the precompile: decodes `input`, verifies at `timestamp` (unix seconds, the block
/// timestamp) and returns the ABI-encoded [`VerificationOutcome`].
///
/// Fails only if the input is longer than [`MAX_INPUT_LEN`] or is not a well-formed ABI
/// encoding (see [`TdxInputError`]); a quote that does not verify is a normal result with a
/// non-zero status.
pub fn verify_precompile_input(input: &[u8], timestamp: u64) -> Result<Vec<u8>, TdxInputError> {
    Ok(verify_input(input, timestamp)?.abi_encode())
}

/// Like [`verify_precompile_input`], reusing and filling `cache`: same result for every
/// input whatever the cache holds, in less time when the collateral was seen before.
pub fn verify_precompile_input_cached(
    input: &[u8],
    timestamp: u64,
    cache: &VerificationCache,
) -> Result<Vec<u8>, TdxInputError> {
    Ok(verify_input_with(input, timestamp, Some(cache))?.abi_encode())
}

/// Like [`verify_precompile_input`], returning the typed outcome.
pub fn verify_input(input: &[u8], timestamp: u64) -> Result<VerificationOutcome, TdxInputError> {
    verify_input_with(input, timestamp, None)
}

/// Like [`verify_precompile_input_cached`], returning the typed outcome.
pub fn verify_input_cached(
    input: &[u8],
    timestamp: u64,
    cache: &VerificationCache,
) -> Result<VerificationOutcome, TdxInputError> {
    verify_input_with(input, timestamp, Some(cache))
}

fn verify_input_with(
    input: &[u8],
    timestamp: u64,
    cache: Option<&VerificationCache>,
) -> Result<VerificationOutcome, TdxInputError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(TdxInputError::InputTooLarge { len: input.len(), max: MAX_INPUT_LEN });
    }
    let decoded = decode_input(input)?;
    Ok(match cache {
        Some(cache) => verify_cached(&decoded, timestamp, cache),
        None => verify(&decoded, timestamp),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_formula() {
        assert_eq!(gas_cost(0), 200_000);
        assert_eq!(gas_cost(1), 200_006);
        assert_eq!(gas_cost(32), 200_006);
        assert_eq!(gas_cost(33), 200_012);
        assert_eq!(gas_cost(MAX_INPUT_LEN), 200_000 + 6 * 2048);
        assert_eq!(gas_cost(usize::MAX), 200_000 + 6 * (usize::MAX as u64).div_ceil(32));
    }

    #[test]
    fn repriced_gas_formula() {
        let rules = PrecompileRules::Repricing;
        assert_eq!(rules.gas_cost(0), 300_000);
        assert_eq!(rules.gas_cost(1), 300_012);
        assert_eq!(rules.gas_cost(32), 300_012);
        assert_eq!(rules.gas_cost(33), 300_024);
        assert_eq!(rules.gas_cost(MAX_INPUT_LEN), 300_000 + 12 * 2048);
        assert_eq!(rules.gas_cost(usize::MAX), 300_000 + 12 * (usize::MAX as u64).div_ceil(32));
        for len in [0, 1, 5_000, MAX_INPUT_LEN, usize::MAX] {
            assert_eq!(PrecompileRules::Attestation.gas_cost(len), gas_cost(len));
            assert!(rules.gas_cost(len) > gas_cost(len));
        }
    }

    #[test]
    fn rules_give_the_same_bytes() {
        let input = encode_input(&[1, 2, 3], &Collateral::default(), Flags::default());
        for timestamp in [0, 1_751_328_000] {
            assert_eq!(
                PrecompileRules::Repricing.run(&input, timestamp),
                PrecompileRules::Attestation.run(&input, timestamp)
            );
        }
        let malformed = PrecompileRules::Repricing.run(&[0u8; 95], 0);
        assert!(malformed.is_err());
        assert_eq!(malformed, PrecompileRules::Attestation.run(&[0u8; 95], 0));
    }

    #[test]
    fn address() {
        assert_eq!(
            alloy_primitives::Address::from(TDX_VERIFIER_ADDRESS),
            alloy_primitives::address!("0x0000000000000000000000000000000000544458")
        );
    }

    #[test]
    fn oversize_and_malformed_input_fail() {
        let big = vec![0u8; MAX_INPUT_LEN + 1];
        assert_eq!(
            verify_precompile_input(&big, 0),
            Err(TdxInputError::InputTooLarge { len: MAX_INPUT_LEN + 1, max: MAX_INPUT_LEN })
        );
        assert_eq!(verify_precompile_input(&[], 0), Err(TdxInputError::Truncated));
        assert!(verify_precompile_input(&[0u8; 95], 0).is_err());
    }

    #[test]
    fn garbage_quote_is_bad_quote() {
        let input = encode_input(&[1, 2, 3], &Collateral::default(), Flags::default());
        let out = verify_input(&input, 0).expect("well-formed ABI");
        assert_eq!(out.status, Status::BadQuote);
        assert_eq!(
            out.quote_hash,
            alloy_primitives::b256!(
                "0x039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"
            )
        );
        assert_eq!(out.collateral_hash, alloy_primitives::KECCAK256_EMPTY);
        assert!(out.report_body.is_empty());
    }
}
