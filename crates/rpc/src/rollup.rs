//! op-node's rollup RPC on a rollup node: the `optimism` namespace (outputs, sync status, rollup
//! config, safe heads by L1 block) and, opt-in, the `admin` sequencer control, with op-node's
//! JSON shapes (op-service `eth.SyncStatus`, `eth.OutputResponse`, `eth.SafeHeadResponse`,
//! `eth.L1BlockRef`/`eth.L2BlockRef`; op-node v1.9.4) and its error messages.
//!
//! Everything it reads comes from a [`RollupHandle`] of phala-rollup and the engine's database;
//! it writes nothing but the sequencer's on/off state.

use crate::eth::client_version;
use alloy_primitives::B256;
use jsonrpsee::{
    RpcModule,
    types::{ErrorObjectOwned, Params},
};
use phala_engine::Engine;
use phala_protocol::{
    derive::{L1BlockRef, L2BlockRef},
    rollup::BlockRef,
};
use phala_rollup::{RollupError, RollupHandle, SequencerControlError, SyncStatus};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The namespaces of this module.
pub const NAMESPACES: [&str; 2] = ["optimism", "admin"];

/// What the rollup methods share.
#[derive(Debug)]
pub struct RollupRpc {
    engine: Arc<Engine>,
    handle: RollupHandle,
}

/// Why a rollup method failed. Messages are op-node's where it has one; like op-node (a geth
/// RPC server), failures are `-32000` server errors, bad parameters `-32602`.
#[derive(Debug, thiserror::Error)]
pub enum RollupRpcError {
    /// A parameter did not parse (geth's message).
    #[error("invalid argument {index}: {message}")]
    InvalidParams {
        /// The parameter's position.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A required parameter is absent.
    #[error("missing value for required argument {0}")]
    MissingParam(usize),
    /// No canonical block at this height.
    #[error(
        "failed to get L2 block ref with sync status: failed to determine L2BlockRef of height {0}, could not get payload: not found"
    )]
    BlockNotFound(u64),
    /// No safe head is recorded at or before the L1 block.
    #[error("not found")]
    SafeHeadNotFound,
    /// Admin sequencer methods on a node that does not sequence.
    #[error("sequencer is not enabled")]
    SequencerNotEnabled,
    /// A start or stop was refused.
    #[error(transparent)]
    Control(#[from] SequencerControlError),
    /// Reading the chain or the rollup records failed (boxed: it is large, and rare).
    #[error("internal error: {0}")]
    Rollup(Box<RollupError>),
}

impl From<RollupError> for RollupRpcError {
    fn from(error: RollupError) -> Self {
        Self::Rollup(Box::new(error))
    }
}

impl RollupRpcError {
    /// The JSON-RPC code.
    pub const fn code(&self) -> i32 {
        match self {
            Self::InvalidParams { .. } | Self::MissingParam(_) => crate::codes::INVALID_PARAMS,
            Self::Rollup(_) => crate::codes::INTERNAL_ERROR,
            _ => crate::codes::SERVER_ERROR,
        }
    }
}

impl From<RollupRpcError> for ErrorObjectOwned {
    fn from(error: RollupRpcError) -> Self {
        Self::owned(error.code(), error.to_string(), None::<()>)
    }
}

type RollupRpcResult<T> = Result<T, RollupRpcError>;

/// An L1 block reference as op-node writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1BlockRefJson {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Parent hash.
    pub parent_hash: B256,
    /// Block time.
    pub timestamp: u64,
}

impl From<L1BlockRef> for L1BlockRefJson {
    fn from(block: L1BlockRef) -> Self {
        Self {
            hash: block.hash,
            number: block.number,
            parent_hash: block.parent_hash,
            timestamp: block.timestamp,
        }
    }
}

/// An L2 block reference as op-node writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2BlockRefJson {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Parent hash.
    pub parent_hash: B256,
    /// Block time.
    pub timestamp: u64,
    /// The L1 origin.
    #[serde(rename = "l1origin")]
    pub l1_origin: BlockRef,
    /// The position in the epoch.
    pub sequence_number: u64,
}

impl From<L2BlockRef> for L2BlockRefJson {
    fn from(block: L2BlockRef) -> Self {
        Self {
            hash: block.hash,
            number: block.number,
            parent_hash: block.parent_hash,
            timestamp: block.timestamp,
            l1_origin: block.l1_origin,
            sequence_number: block.sequence_number,
        }
    }
}

/// op-node's `SyncStatus` (v1.9.4's fields). On this single chain without interop the pending
/// and local safe heads are the safe head and the cross-unsafe head is the unsafe head;
/// `current_l1_finalized` is, as op-node has it now, the finalized L1 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatusJson {
    /// The L1 block derivation has read up to.
    pub current_l1: L1BlockRefJson,
    /// Deprecated; the finalized L1 block.
    pub current_l1_finalized: L1BlockRefJson,
    /// L1's head.
    pub head_l1: L1BlockRefJson,
    /// L1's safe block.
    pub safe_l1: L1BlockRefJson,
    /// L1's finalized block.
    pub finalized_l1: L1BlockRefJson,
    /// The chain's tip.
    pub unsafe_l2: L2BlockRefJson,
    /// Derived from L1.
    pub safe_l2: L2BlockRefJson,
    /// Derived from finalized L1.
    pub finalized_l2: L2BlockRefJson,
    /// Derived but not yet consolidated: the safe head here.
    pub pending_safe_l2: L2BlockRefJson,
    /// Unsafe with cross-chain dependencies checked: the unsafe head here.
    pub cross_unsafe_l2: L2BlockRefJson,
    /// Safe before cross-chain checks: the safe head here.
    pub local_safe_l2: L2BlockRefJson,
}

impl From<SyncStatus> for SyncStatusJson {
    fn from(status: SyncStatus) -> Self {
        Self {
            current_l1: status.current_l1.into(),
            current_l1_finalized: status.finalized_l1.into(),
            head_l1: status.head_l1.into(),
            safe_l1: status.safe_l1.into(),
            finalized_l1: status.finalized_l1.into(),
            unsafe_l2: status.unsafe_l2.into(),
            safe_l2: status.safe_l2.into(),
            finalized_l2: status.finalized_l2.into(),
            pending_safe_l2: status.safe_l2.into(),
            cross_unsafe_l2: status.unsafe_l2.into(),
            local_safe_l2: status.safe_l2.into(),
        }
    }
}

/// op-node's `OutputResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputResponse {
    /// The output version (zero: version 0).
    pub version: B256,
    /// `keccak256(version ‖ stateRoot ‖ withdrawalStorageRoot ‖ blockHash)`.
    pub output_root: B256,
    /// The block.
    pub block_ref: L2BlockRefJson,
    /// The `L2ToL1MessagePasser`'s storage root after the block.
    pub withdrawal_storage_root: B256,
    /// The block's state root.
    pub state_root: B256,
    /// The sync status when the block was read.
    pub sync_status: SyncStatusJson,
}

/// op-node's `SafeHeadResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SafeHeadResponse {
    /// The L1 block the safe head was recorded at.
    pub l1_block: BlockRef,
    /// The safe head.
    pub safe_head: BlockRef,
}

/// A quantity as geth's `hexutil.Uint64` reads it: a `0x` string of at most 16 digits, no
/// leading zeros.
fn parse_quantity(value: &serde_json::Value) -> Result<u64, String> {
    let text = value
        .as_str()
        .ok_or("json: cannot unmarshal non-string into Go value of type hexutil.Uint64")?;
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or("hex string without 0x prefix")?;
    if digits.is_empty() {
        return Err("empty hex string".into());
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err("hex number with leading zero digits".into());
    }
    if digits.len() > 16 {
        return Err("hex number > 64 bits".into());
    }
    u64::from_str_radix(digits, 16).map_err(|_| "invalid hex string".into())
}

/// A 32-byte hash as geth's `common.Hash` reads it (a `0x` string of 64 digits).
fn parse_hash(value: &serde_json::Value) -> Result<B256, String> {
    let text = value
        .as_str()
        .ok_or("json: cannot unmarshal non-string into Go value of type common.Hash")?;
    let digits = text.strip_prefix("0x").ok_or("hex string without 0x prefix")?;
    if digits.len() != 64 {
        return Err(format!("hex string has length {}, want 64 for common.Hash", digits.len()));
    }
    text.parse().map_err(|_| "invalid hex string".into())
}

/// The positional parameter `index`, parsed with `parse`.
fn param<T>(
    params: &Params<'_>,
    index: usize,
    parse: impl Fn(&serde_json::Value) -> Result<T, String>,
) -> RollupRpcResult<T> {
    if params.is_object() {
        return Err(RollupRpcError::InvalidParams { index, message: "non-array args".into() });
    }
    let values: Vec<serde_json::Value> =
        params.parse::<Option<Vec<serde_json::Value>>>().ok().flatten().unwrap_or_default();
    let value = values.get(index).ok_or(RollupRpcError::MissingParam(index))?;
    parse(value).map_err(|message| RollupRpcError::InvalidParams { index, message })
}

impl RollupRpc {
    fn sync_status(&self) -> RollupRpcResult<SyncStatusJson> {
        Ok(self.handle.sync_status(self.engine.db())?.into())
    }

    fn output_at_block(&self, number: u64) -> RollupRpcResult<OutputResponse> {
        let status = self.sync_status()?;
        let (block, output) = self
            .handle
            .output_at(self.engine.db(), number)?
            .ok_or(RollupRpcError::BlockNotFound(number))?;
        Ok(OutputResponse {
            version: B256::ZERO,
            output_root: output.output_root,
            block_ref: block.into(),
            withdrawal_storage_root: output.message_passer_storage_root,
            state_root: output.state_root,
            sync_status: status,
        })
    }

    fn safe_head_at_l1_block(&self, l1_number: u64) -> RollupRpcResult<SafeHeadResponse> {
        let entry = self
            .handle
            .safe_head_at_l1(self.engine.db(), l1_number)?
            .ok_or(RollupRpcError::SafeHeadNotFound)?;
        Ok(SafeHeadResponse { l1_block: entry.l1, safe_head: entry.safe_head })
    }
}

macro_rules! blocking {
    ($module:expr, $name:literal, |$params:ident, $ctx:ident| $body:expr) => {
        $module
            .register_blocking_method($name, move |$params, $ctx: Arc<RollupRpc>, _| {
                let run = || -> RollupRpcResult<_> { $body };
                run().map_err(ErrorObjectOwned::from)
            })
            .expect("method names are unique");
    };
}

/// The rollup methods over `handle`: `optimism_*`, and `admin_*` when `admin` is set.
pub fn module(engine: Arc<Engine>, handle: RollupHandle, admin: bool) -> RpcModule<RollupRpc> {
    let mut module = RpcModule::new(RollupRpc { engine, handle });
    blocking!(module, "optimism_outputAtBlock", |p, ctx| {
        let number = param(&p, 0, parse_quantity)?;
        ctx.output_at_block(number)
    });
    blocking!(module, "optimism_syncStatus", |_p, ctx| ctx.sync_status());
    blocking!(module, "optimism_rollupConfig", |_p, ctx| Ok((**ctx.handle.rollup()).clone()));
    blocking!(module, "optimism_version", |_p, _ctx| Ok(client_version()));
    blocking!(module, "optimism_safeHeadAtL1Block", |p, ctx| {
        let number = param(&p, 0, parse_quantity)?;
        ctx.safe_head_at_l1_block(number)
    });
    if admin {
        register_admin(&mut module);
    }
    module
}

fn register_admin(module: &mut RpcModule<RollupRpc>) {
    module
        .register_async_method("admin_stopSequencer", |_p, ctx, _| async move {
            let control = ctx.handle.sequencer().ok_or(RollupRpcError::SequencerNotEnabled)?;
            control.stop().await.map_err(RollupRpcError::from).map_err(ErrorObjectOwned::from)
        })
        .expect("method names are unique");
    module
        .register_async_method("admin_startSequencer", |p, ctx, _| async move {
            let run = async {
                let hash = param(&p, 0, parse_hash)?;
                let control = ctx.handle.sequencer().ok_or(RollupRpcError::SequencerNotEnabled)?;
                control.start(hash).await?;
                Ok::<_, RollupRpcError>(())
            };
            run.await.map_err(ErrorObjectOwned::from)
        })
        .expect("method names are unique");
    blocking!(module, "admin_sequencerActive", |_p, ctx| {
        Ok(ctx.handle.sequencer().is_some_and(|control| control.is_active()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_follow_hexutil() {
        assert_eq!(parse_quantity(&json!("0x0")), Ok(0));
        assert_eq!(parse_quantity(&json!("0x1f")), Ok(31));
        assert_eq!(parse_quantity(&json!("0xffffffffffffffff")), Ok(u64::MAX));
        assert!(parse_quantity(&json!("0x10000000000000000")).unwrap_err().contains("64 bits"));
        assert!(parse_quantity(&json!("0x01")).unwrap_err().contains("leading zero"));
        assert!(parse_quantity(&json!("12")).unwrap_err().contains("0x prefix"));
        assert!(parse_quantity(&json!("0x")).is_err());
        assert!(parse_quantity(&json!("0xzz")).is_err());
        assert!(parse_quantity(&json!(12)).unwrap_err().contains("non-string"));
        assert!(parse_quantity(&json!(null)).is_err());
    }

    #[test]
    fn hashes_need_32_bytes() {
        let hash = format!("0x{}", "ab".repeat(32));
        assert_eq!(parse_hash(&json!(hash)), Ok(B256::repeat_byte(0xab)));
        assert!(parse_hash(&json!("0xabcd")).is_err());
        assert!(parse_hash(&json!("ab".repeat(32))).is_err());
        assert!(parse_hash(&json!(format!("0x{}", "zz".repeat(32)))).is_err());
    }

    #[test]
    fn shapes_are_op_nodes() {
        let l2 = L2BlockRef {
            hash: B256::repeat_byte(1),
            number: 7,
            parent_hash: B256::repeat_byte(2),
            timestamp: 99,
            l1_origin: BlockRef { hash: B256::repeat_byte(3), number: 4 },
            sequence_number: 1,
        };
        let l1 = L1BlockRef {
            hash: B256::repeat_byte(5),
            number: 6,
            parent_hash: B256::repeat_byte(6),
            timestamp: 98,
        };
        let status = SyncStatusJson::from(SyncStatus {
            current_l1: l1,
            head_l1: l1,
            safe_l1: L1BlockRef::default(),
            finalized_l1: l1,
            unsafe_l2: l2,
            safe_l2: l2,
            finalized_l2: l2,
        });
        let value = serde_json::to_value(status).unwrap();
        let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = vec![
            "current_l1",
            "current_l1_finalized",
            "head_l1",
            "safe_l1",
            "finalized_l1",
            "unsafe_l2",
            "safe_l2",
            "finalized_l2",
            "pending_safe_l2",
            "cross_unsafe_l2",
            "local_safe_l2",
        ];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(
            value["unsafe_l2"],
            json!({
                "hash": B256::repeat_byte(1),
                "number": 7,
                "parentHash": B256::repeat_byte(2),
                "timestamp": 99,
                "l1origin": {"hash": B256::repeat_byte(3), "number": 4},
                "sequenceNumber": 1,
            })
        );
        assert_eq!(value["safe_l1"]["hash"], json!(B256::ZERO), "unknown blocks are zeroed");
        assert_eq!(value["safe_l1"]["number"], json!(0));
        assert_eq!(
            serde_json::to_value(SafeHeadResponse {
                l1_block: BlockRef { hash: B256::ZERO, number: 3 },
                safe_head: BlockRef { hash: B256::ZERO, number: 2 },
            })
            .unwrap(),
            json!({"l1Block": {"hash": B256::ZERO, "number": 3}, "safeHead": {"hash": B256::ZERO, "number": 2}})
        );
    }

    #[test]
    fn errors_carry_op_node_messages_and_codes() {
        let missing = RollupRpcError::BlockNotFound(12);
        assert_eq!(missing.code(), -32000);
        assert!(
            missing
                .to_string()
                .ends_with("L2BlockRef of height 12, could not get payload: not found")
        );
        assert_eq!(RollupRpcError::SafeHeadNotFound.to_string(), "not found");
        let refused = RollupRpcError::from(SequencerControlError::AlreadyStarted);
        assert_eq!(
            (refused.code(), refused.to_string().as_str()),
            (-32000, "sequencer already running")
        );
        let bad = RollupRpcError::InvalidParams {
            index: 0,
            message: "hex string without 0x prefix".into(),
        };
        assert_eq!(bad.code(), -32602);
        assert_eq!(bad.to_string(), "invalid argument 0: hex string without 0x prefix");
    }
}
