//! Errors of the rollup services.

use phala_protocol::batch::BatchError;

/// Why a rollup service step failed. The services log it and retry; none of these stop the node.
#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    /// Talking to the L1 failed.
    #[error(transparent)]
    L1(#[from] phala_l1::L1Error),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] phala_engine::EngineError),
    /// Importing a block failed.
    #[error(transparent)]
    Import(#[from] phala_chain::ImportError),
    /// Reading or writing the database failed.
    #[error(transparent)]
    Storage(#[from] phala_storage::StorageError),
    /// Encoding a batch failed.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// L1 data could not be decoded (a portal deposit log, an L1-info deposit).
    #[error(transparent)]
    Protocol(#[from] phala_protocol::ProtocolError),
    /// A stored L2 block lacks what an OP block always has.
    #[error("L2 block {number} has no L1-info deposit")]
    NoL1Info {
        /// The block number.
        number: u64,
    },
    /// A record of the rollup table does not decode.
    #[error("stored rollup record {key:?} is corrupt: {source}")]
    CorruptRecord {
        /// The record's key.
        key: &'static str,
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// An entry of the safe-head database does not decode.
    #[error("stored safe-head entry {key:02x?} is corrupt")]
    CorruptSafeHeadEntry {
        /// The entry's key.
        key: Vec<u8>,
    },
    /// The L1 block a service expected is not there (yet).
    #[error("L1 block {0} is not available")]
    L1BlockUnavailable(u64),
    /// An L2 block the service needs is not stored.
    #[error("L2 block {0} is not stored")]
    L2BlockMissing(u64),
    /// Attributes name a parent the engine does not have.
    #[error("unknown L2 parent {0}")]
    UnknownL2Parent(alloy_primitives::B256),
    /// The derivation pipeline refused a call.
    #[error(transparent)]
    Derive(#[from] phala_protocol::derive::DeriveError),
    /// The attributes of a block could not be built.
    #[error(transparent)]
    Attributes(#[from] phala_protocol::derive::AttributesError),
    /// The sequencer's origin choice failed.
    #[error(transparent)]
    OriginSelection(phala_protocol::derive::OriginSelectionError),
    /// A deposit the protocol built does not decode as a transaction (a bug, never input).
    #[error("a built deposit transaction does not decode")]
    UndecodableDeposit,
    /// The system config could not be read.
    #[error(transparent)]
    SystemConfig(#[from] phala_protocol::derive::SystemConfigError),
    /// An output oracle's answer does not decode.
    #[error("output oracle {oracle}: {method} returned an undecodable answer")]
    OracleCall {
        /// The oracle.
        oracle: alloy_primitives::Address,
        /// The call.
        method: &'static str,
    },
    /// The proposer key is not the one the oracle takes proposals from.
    #[error("output oracle {oracle} takes proposals from {proposer}, not from this key's {key}")]
    NotTheProposer {
        /// The oracle.
        oracle: alloy_primitives::Address,
        /// Its proposer.
        proposer: alloy_primitives::Address,
        /// The key's address.
        key: alloy_primitives::Address,
    },
}

/// The result type of this crate.
pub type RollupResult<T> = Result<T, RollupError>;
