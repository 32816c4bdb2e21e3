//! The error type of the crate.

use crate::l1_info::L1InfoFormat;
use alloy_primitives::FixedBytes;

/// Why OP protocol data could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProtocolError {
    /// The L1-info calldata is shorter than a function selector.
    #[error("L1-info calldata is {len} bytes, too short for a function selector")]
    L1InfoTooShort {
        /// Length of the calldata.
        len: usize,
    },
    /// The L1-info calldata starts with a selector no fork uses.
    #[error("unknown L1-info function selector {selector}")]
    UnknownL1InfoSelector {
        /// The first four bytes of the calldata.
        selector: FixedBytes<4>,
    },
    /// The L1-info calldata is not exactly as long as its format requires.
    #[error("{format} L1-info calldata must be {expected} bytes, got {len}")]
    L1InfoLength {
        /// The format named by the selector.
        format: L1InfoFormat,
        /// The length the format requires.
        expected: usize,
        /// The length found.
        len: usize,
    },
    /// A `uint64` argument of the ABI-encoded (Bedrock) L1-info call has non-zero high bytes.
    #[error("L1-info argument {field} does not fit in uint64")]
    L1InfoUint64Overflow {
        /// The argument's name.
        field: &'static str,
    },
}
