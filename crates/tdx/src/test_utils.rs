//! Loading the Intel-signed fixtures of `shared/fixtures/tdx` for tests and benches, here and in
//! the crates that run the precompile (feature `test-utils`).
//!
//! The directory is `$PHALA_TDX_FIXTURES` when set, else `shared/fixtures/tdx` next to the
//! workspace root, where CI has it.

use crate::{Flags, OwnedCollateral, declared_quote_len};
use std::path::PathBuf;

/// The fixture directory.
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("PHALA_TDX_FIXTURES").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/tdx")
    })
}

/// A fixture file's bytes, by its path relative to the fixture directory.
///
/// # Panics
/// When the file can't be read; the message names it.
pub fn read_fixture(rel: &str) -> Vec<u8> {
    let path = fixtures_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// A fixture quote cut to the length its own header declares: the files carry zero padding.
///
/// # Panics
/// When the file can't be read, its length fields are unreadable, or the padding is not zero.
pub fn fixture_quote(rel: &str) -> Vec<u8> {
    let mut quote = read_fixture(rel);
    let len = declared_quote_len(&quote).unwrap_or_else(|| panic!("{rel}: no quote length"));
    assert!(quote[len..].iter().all(|&b| b == 0), "{rel}: padding is not zero");
    quote.truncate(len);
    quote
}

/// A fixture collateral file (the dcap-qvl JSON form).
///
/// # Panics
/// When the file can't be read or parsed.
pub fn fixture_collateral(rel: &str) -> OwnedCollateral {
    OwnedCollateral::from_dcap_json(&read_fixture(rel)).unwrap_or_else(|err| panic!("{rel}: {err}"))
}

/// The precompile input for a fixture quote and collateral with `flags` (see [`Flags`]).
///
/// # Panics
/// As [`fixture_quote`] and [`fixture_collateral`], or for unknown flag bits.
pub fn fixture_input(quote_rel: &str, collateral_rel: &str, flags: u32) -> Vec<u8> {
    let flags = Flags::from_bits(flags).unwrap_or_else(|err| panic!("flags {flags:#x}: {err}"));
    fixture_collateral(collateral_rel).encode_input(&fixture_quote(quote_rel), flags)
}
