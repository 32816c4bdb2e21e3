//! RPC errors and their JSON-RPC codes, as geth and reth report them.

use alloy_primitives::{B256, Bytes};
use jsonrpsee::types::ErrorObjectOwned;
use phala_pool::PoolError;
use phala_storage::StorageError;

/// Result of an RPC handler.
pub type RpcResult<T> = Result<T, RpcError>;

/// Standard JSON-RPC codes.
pub mod codes {
    /// Invalid JSON.
    pub const PARSE_ERROR: i32 = -32700;
    /// Not a valid request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// Unknown method.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i32 = -32602;
    /// Internal error.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// Generic server error (geth's default for failed calls).
    pub const SERVER_ERROR: i32 = -32000;
    /// Execution reverted (EIP-1474 style, with revert data).
    pub const EXECUTION_REVERTED: i32 = 3;
}

/// Errors of the RPC handlers.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// Parameters did not parse or are out of range.
    #[error("{0}")]
    InvalidParams(String),
    /// The block does not exist.
    #[error("header not found")]
    HeaderNotFound,
    /// `requireCanonical` was set for a non-canonical block.
    #[error("hash {0} is not currently canonical")]
    NotCanonical(B256),
    /// The transaction does not exist.
    #[error("transaction not found")]
    TransactionNotFound,
    /// The pool rejected a transaction.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// Execution reverted, with the revert data.
    #[error("{message}")]
    Reverted {
        /// `execution reverted` plus the decoded reason, if any.
        message: String,
        /// Raw revert data.
        data: Bytes,
    },
    /// An error with a specific code and message (EVM errors of `eth_call`, engine errors,
    /// simulate errors).
    #[error("{message}")]
    Custom {
        /// JSON-RPC code.
        code: i32,
        /// Message.
        message: String,
    },
    /// A method the node does not serve in its current mode.
    #[error("the method {0} does not exist/is not available")]
    Unsupported(&'static str),
    /// A database error.
    #[error("internal error: {0}")]
    Storage(#[from] StorageError),
    /// Something else failed inside the node.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<phala_engine::EngineError> for RpcError {
    fn from(error: phala_engine::EngineError) -> Self {
        use phala_engine::EngineError;
        match error {
            EngineError::Pool(error) => Self::Pool(error),
            EngineError::Storage(error) => Self::Storage(error),
            EngineError::InvalidSender => Self::server("invalid sender"),
            other => Self::server(other.to_string()),
        }
    }
}

impl From<phala_primitives::StateReadError> for RpcError {
    fn from(error: phala_primitives::StateReadError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl RpcError {
    /// A `-32000` server error with `message`.
    pub fn server(message: impl Into<String>) -> Self {
        Self::Custom { code: codes::SERVER_ERROR, message: message.into() }
    }

    /// The JSON-RPC code of this error.
    pub const fn code(&self) -> i32 {
        match self {
            Self::InvalidParams(_) => codes::INVALID_PARAMS,
            Self::HeaderNotFound
            | Self::NotCanonical(_)
            | Self::TransactionNotFound
            | Self::Pool(_) => codes::SERVER_ERROR,
            Self::Reverted { .. } => codes::EXECUTION_REVERTED,
            Self::Custom { code, .. } => *code,
            Self::Unsupported(_) => codes::METHOD_NOT_FOUND,
            Self::Storage(_) | Self::Internal(_) => codes::INTERNAL_ERROR,
        }
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(error: RpcError) -> Self {
        let code = error.code();
        match error {
            RpcError::Reverted { message, data } => Self::owned(code, message, Some(data)),
            other => Self::owned(code, other.to_string(), None::<()>),
        }
    }
}

impl From<jsonrpsee::types::ErrorObjectOwned> for RpcError {
    fn from(error: ErrorObjectOwned) -> Self {
        Self::Custom { code: error.code(), message: error.message().to_string() }
    }
}

/// `execution reverted`, with the Solidity reason or panic decoded when there is one.
pub(crate) fn revert_error(output: Bytes) -> RpcError {
    let reason = alloy_sol_reason(&output);
    let message = match reason {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    RpcError::Reverted { message, data: output }
}

/// Decodes `Error(string)` and `Panic(uint256)` revert data.
fn alloy_sol_reason(output: &[u8]) -> Option<String> {
    let (selector, rest) = output.split_first_chunk::<4>()?;
    match selector {
        // Error(string)
        [0x08, 0xc3, 0x79, 0xa0] => {
            let offset = usize::try_from(word(rest, 0)?).ok()?;
            let len = usize::try_from(word(rest, offset)?).ok()?;
            let start = offset.checked_add(32)?;
            let bytes = rest.get(start..start.checked_add(len)?)?;
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
        // Panic(uint256)
        [0x4e, 0x48, 0x7b, 0x71] => {
            let code = word(rest, 0)?;
            Some(panic_reason(code).to_string())
        }
        _ => None,
    }
}

fn word(data: &[u8], at: usize) -> Option<u64> {
    let bytes = data.get(at..at.checked_add(32)?)?;
    if bytes[..24].iter().any(|b| *b != 0) {
        return None;
    }
    Some(u64::from_be_bytes(bytes[24..].try_into().ok()?))
}

fn panic_reason(code: u64) -> &'static str {
    match code {
        0x00 => "generic panic",
        0x01 => "assert(false)",
        0x11 => "arithmetic underflow or overflow",
        0x12 => "division or modulo by zero",
        0x21 => "enum overflow",
        0x22 => "invalid encoded storage byte array accessed",
        0x31 => "out-of-bounds array access; popping on an empty array",
        0x32 => "out-of-bounds access of an array or bytesN",
        0x41 => "out of memory",
        0x51 => "uninitialized function",
        _ => "unknown panic code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    #[test]
    fn decodes_error_string_and_panic() {
        let error_string = hex!(
            "08c379a0"
            "0000000000000000000000000000000000000000000000000000000000000020"
            "000000000000000000000000000000000000000000000000000000000000000a"
            "75736572206572726f7200000000000000000000000000000000000000000000"
        );
        assert_eq!(alloy_sol_reason(&error_string).as_deref(), Some("user error"));
        let panic = hex!(
            "4e487b71"
            "0000000000000000000000000000000000000000000000000000000000000001"
        );
        assert_eq!(alloy_sol_reason(&panic).as_deref(), Some("assert(false)"));
        assert_eq!(alloy_sol_reason(&hex!("deadbeef")), None);
        // A truncated reason must not panic.
        assert_eq!(alloy_sol_reason(&error_string[..40]), None);
    }

    #[test]
    fn codes_match_geth() {
        assert_eq!(RpcError::HeaderNotFound.code(), -32000);
        assert_eq!(RpcError::InvalidParams("x".into()).code(), -32602);
        assert_eq!(revert_error(Bytes::new()).code(), 3);
        assert_eq!(revert_error(Bytes::new()).to_string(), "execution reverted");
    }
}
