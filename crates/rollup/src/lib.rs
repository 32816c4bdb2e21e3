//! The rollup services of phala-node, over the engine (they drive it the way the Engine API
//! does: build, insert, make canonical) and the L1.
//!
//! Key components:
//! - [`L1Source`]: L1 blocks as derivation reads them — header values, deposits, SystemConfig
//!   updates, batcher calldata and blobs.
//! - [`Derivation`]: derives the L2 chain from L1 data alone with phala-protocol's Holocene
//!   pipeline; the verifier's chain and every node's `safe` and `finalized` heads.
//! - [`RollupSequencer`]: builds blocks on their L1 origins with the epoch's deposits first.
//! - [`Batcher`]: posts the unsafe chain to the batch inbox as calldata or blobs, crash-safe.
//! - [`Proposer`]: posts the output roots of safe blocks to the L1 output oracle (behind
//!   [`OutputOracle`]), crash-safe.
//! - [`records`]: the services' records in the database; [`safe_heads`]: the safe head at each
//!   L1 block (op-node's safedb).
//! - [`RollupHandle`]: what the rollup RPC reads ([`SyncStatus`], outputs, safe heads) and the
//!   sequencer's [`SequencerControl`].
//! - [`RollupError`]: what went wrong.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod batcher;
pub mod derivation;
mod error;
pub mod l1_source;
pub mod l2;
pub mod proposer;
pub mod records;
pub mod safe_heads;
pub mod sequencer;
pub mod status;

pub use batcher::{Batcher, BatcherConfig, DataAvailability};
pub use derivation::{Derivation, DerivationConfig, DerivedHeads, L1Status};
pub use error::{RollupError, RollupResult};
pub use l1_source::L1Source;
pub use proposer::{L2OutputOracle, OutputOracle, Proposer, ProposerConfig, ProposerStep};
pub use sequencer::{RollupSequencer, SequencerConfig, SequencerControl, SequencerControlError};
pub use status::{RollupHandle, SyncStatus};
