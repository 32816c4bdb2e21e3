//! The L1 side of phala-node's rollup: talking to Ethereum L1 and setting it up.
//!
//! Key components:
//! - [`L1Client`]: the L1 execution node's JSON-RPC (blocks, receipts, logs, sending).
//! - [`BeaconClient`]: the beacon API's blobs, checked against their versioned hashes.
//! - [`L1Wallet`]: signs and sends EIP-1559 and blob transactions ([`BlobSidecarForm`]: EIP-4844
//!   proofs or, from Osaka, EIP-7594 cell proofs) and waits for receipts.
//! - [`Anvil`]: anvil as a managed child process, the L1 of devnets and tests.
//! - [`deploy`]: the OP Bedrock L1 contracts behind proxies, and the rollup config for them.
//! - [`bindings`]: the ABI of those contracts' calls and events.
//! - [`withdrawal`]: withdrawals proven and finalized on the OptimismPortal
//!   ([`WithdrawalClient`]), with the portal's refusals reported by reason.
//! - [`L1Error`]: what went wrong, typed.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod anvil;
pub mod beacon;
pub mod bindings;
pub mod client;
pub mod deploy;
mod error;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
pub mod wallet;
pub mod withdrawal;

pub use anvil::{Anvil, AnvilConfig, find_anvil};
pub use beacon::BeaconClient;
pub use client::{L1Block, L1Client};
pub use error::{BeaconFailure, L1Error, L1Result};
pub use wallet::{BlobSidecarForm, L1Call, L1Wallet, SignedL1Tx, blob_sidecar_form};
pub use withdrawal::{WithdrawalClient, WithdrawalError, WithdrawalStatus};

// Used only by the test helpers.
#[cfg(feature = "test-utils")]
use tempfile as _;
