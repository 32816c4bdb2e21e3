//! Parameter parsing with geth's strictness and error messages.

use crate::error::{RpcError, RpcResult};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{B256, U256};
use jsonrpsee::types::{Params, params::ParamsSequence};
use serde::{Deserialize, Deserializer};

/// The positional parameters of a request.
pub(crate) fn parse<'a>(params: &'a Params<'a>) -> RpcResult<ParamsSequence<'a>> {
    Ok(params.sequence())
}

/// An optional trailing block parameter, `latest` when absent.
pub(crate) fn block_id(seq: &mut ParamsSequence<'_>) -> RpcResult<BlockId> {
    Ok(seq.optional_next::<BlockId>()?.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest)))
}

/// A storage slot key: `0x`-prefixed hex of at most 32 bytes, as geth accepts it. Remembers
/// whether it was given as a full 32-byte hash, because `eth_getProof` echoes keys in the form
/// they came in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StorageKey(pub(crate) U256, pub(crate) bool);

impl<'de> Deserialize<'de> for StorageKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let full = text.len() == 66;
        parse_storage_key(&text).map(|key| Self(key, full)).map_err(serde::de::Error::custom)
    }
}

/// A storage key or word: `0x`-prefixed hex of at most 32 bytes.
pub(crate) fn parse_storage_key(text: &str) -> Result<U256, String> {
    let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
    if digits.len() > 64 {
        return Err(format!("storage key too long (want at most 32 bytes): {text:?}"));
    }
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("invalid hex in storage key: {text:?}"));
    }
    if digits.is_empty() {
        return Ok(U256::ZERO);
    }
    U256::from_str_radix(digits, 16).map_err(|_| format!("invalid hex in storage key: {text:?}"))
}

/// A 32-byte hash that must carry its `0x` prefix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StrictHash(pub(crate) B256);

impl<'de> Deserialize<'de> for StrictHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if !text.starts_with("0x") {
            return Err(serde::de::Error::custom("hex string without 0x prefix"));
        }
        text.parse().map(Self).map_err(serde::de::Error::custom)
    }
}

impl From<&str> for RpcError {
    fn from(message: &str) -> Self {
        Self::InvalidParams(message.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_keys_follow_geth() {
        assert_eq!(parse_storage_key("0x01").unwrap(), U256::from(1));
        assert_eq!(parse_storage_key("0x").unwrap(), U256::ZERO);
        assert!(
            parse_storage_key(&format!("0x{}", "0".repeat(65))).unwrap_err().contains("too long")
        );
        assert!(parse_storage_key("0xasdf").unwrap_err().contains("invalid hex"));
    }

    #[test]
    fn hashes_need_a_prefix() {
        let without: Result<StrictHash, _> =
            serde_json::from_str(&format!("\"{}\"", "1".repeat(64)));
        assert!(without.is_err());
        let with: StrictHash = serde_json::from_str(&format!("\"0x{}\"", "1".repeat(64))).unwrap();
        assert_eq!(with.0, B256::repeat_byte(0x11));
    }
}
