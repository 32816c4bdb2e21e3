//! Errors that make the precompile call itself fail.
//!
//! Only an input that cannot be decoded at all is an error: a quote or collateral that
//! does not verify is a normal result with a non-zero [`Status`](crate::Status).

use thiserror::Error;

/// Why the precompile input was rejected before any verification.
///
/// Every variant makes the call fail (revert). None of them carries data that depends on
/// the verification engine, so the error is deterministic and cheap to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TdxInputError {
    /// The input is longer than [`MAX_INPUT_LEN`](crate::MAX_INPUT_LEN).
    #[error("input of {len} bytes exceeds the {max} byte limit")]
    InputTooLarge {
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input ends before a word, an offset target or a byte string it refers to.
    #[error("ABI input truncated")]
    Truncated,
    /// An offset or length word does not fit in the input (its upper bytes are not zero or
    /// it points past the end).
    #[error("ABI offset or length out of range")]
    OutOfRange,
    /// The `uint32 flags` word has non-zero bits above bit 31.
    #[error("ABI uint32 flags word is not a valid uint32")]
    InvalidFlagsWord,
    /// A flag bit that has no meaning yet is set (reserved for future use).
    #[error("reserved flag bits set: {0:#x}")]
    ReservedFlags(u32),
}
