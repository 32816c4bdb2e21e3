//! The Engine API (`engine_exchangeCapabilities`, `engine_forkchoiceUpdatedV1..V3`,
//! `engine_newPayloadV1..V4`, `engine_getPayloadV1..V4`) and `testing_buildBlockV1`.
//!
//! Handlers only: `engine_newPayload` inserts through the [`phala_engine::Engine`],
//! `engine_forkchoiceUpdated` makes a block canonical there and, with attributes, has the engine
//! build a payload from the pool, kept until fetched. On an OP chain the attributes are
//! op-node's (`transactions`, `noTxPool`, `gasLimit`, `eip1559Params`, `minBaseFee`), and from
//! Isthmus payloads carry their `withdrawalsRoot` both ways.

use crate::{
    context::{NodeContext, decode_raw_transaction},
    error::{RpcError, RpcResult},
    eth::method,
    params::parse,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::eip7685::Requests;
use alloy_primitives::{B64, B256, Bytes};
use alloy_rpc_types_engine::{
    BlobsBundleV1, CancunPayloadFields, ExecutionPayload, ExecutionPayloadEnvelopeV2,
    ExecutionPayloadEnvelopeV3, ExecutionPayloadEnvelopeV4, ExecutionPayloadFieldV2,
    ExecutionPayloadInputV2, ExecutionPayloadSidecar, ExecutionPayloadV1, ExecutionPayloadV3,
    ForkchoiceState as EngineForkchoiceState, ForkchoiceUpdated, PayloadAttributes, PayloadId,
    PayloadStatus, PayloadStatusEnum, PraguePayloadFields,
};
use jsonrpsee::RpcModule;
use phala_engine::{
    BlockAttributes, BuiltPayload, DESIRED_GAS_LIMIT, EngineError, ForkchoiceState, InsertOutcome,
    next_gas_limit,
};
use phala_evm::{BlockValidationError, ExecutionError};
use phala_primitives::{Block, Header, OpHardforks as _, PhalaTxEnvelope, TxEnvelope};
use phala_storage::KeyValueRead;
use serde_json::json;

/// Builds a block on the head through the engine, with the error RPC callers expect.
pub fn build_payload(
    ctx: &NodeContext,
    attributes: &BlockAttributes,
    transactions: Option<Vec<TxEnvelope>>,
) -> RpcResult<BuiltPayload> {
    ctx.build_payload(attributes, transactions).map_err(build_error)
}

/// A failed build as an RPC error: for a rejected transaction, the EVM's own reason (as
/// `testing_buildBlockV1` callers expect), otherwise the engine's error.
fn build_error(error: EngineError) -> RpcError {
    use alloy_evm::block::BlockExecutionError;
    match error {
        EngineError::Build(phala_chain::BlockError::Execution(ExecutionError::Block(
            BlockExecutionError::Validation(BlockValidationError::InvalidTx { error, .. }),
        ))) => RpcError::server(error.to_string()),
        EngineError::InvalidSender => RpcError::server("invalid transaction signature"),
        other => RpcError::server(other.to_string()),
    }
}

fn payload_status(status: PayloadStatusEnum, latest_valid: Option<B256>) -> PayloadStatus {
    PayloadStatus::new(status, latest_valid)
}

/// `engine_newPayloadV4`'s payload: V3's fields and, on an OP chain from Isthmus, the
/// `withdrawalsRoot` (the L2ToL1MessagePasser's storage root), which no list of withdrawals
/// can give.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayloadV4 {
    #[serde(flatten)]
    inner: ExecutionPayloadV3,
    #[serde(default)]
    withdrawals_root: Option<B256>,
}

/// Imports a payload's block; the status the Engine API reports.
fn new_payload(
    ctx: &NodeContext,
    payload: ExecutionPayload,
    sidecar: ExecutionPayloadSidecar,
) -> RpcResult<PayloadStatus> {
    new_payload_with_root(ctx, payload, sidecar, None)
}

fn new_payload_with_root(
    ctx: &NodeContext,
    payload: ExecutionPayload,
    sidecar: ExecutionPayloadSidecar,
    withdrawals_root: Option<B256>,
) -> RpcResult<PayloadStatus> {
    let parent_hash = payload.parent_hash();
    let claimed = payload.block_hash();
    let spec = ctx.spec();
    let invalid = |message: String| {
        Ok(payload_status(PayloadStatusEnum::Invalid { validation_error: message }, None))
    };
    let mut block: Block = match payload.try_into_block_with_sidecar(&sidecar) {
        Ok(block) => block,
        Err(err) => return invalid(err.to_string()),
    };
    let isthmus = spec.is_optimism() && spec.is_isthmus_active_at_timestamp(block.header.timestamp);
    match (isthmus, withdrawals_root) {
        (true, Some(root)) => block.header.withdrawals_root = Some(root),
        (true, None) => return invalid("an Isthmus payload needs withdrawalsRoot".into()),
        (false, Some(_)) => return invalid("withdrawalsRoot before Isthmus".into()),
        (false, None) => {}
    }
    let hash = block.header.hash_slow();
    if hash != claimed {
        return Ok(payload_status(
            PayloadStatusEnum::Invalid {
                validation_error: format!("block hash mismatch: want {claimed}, got {hash}"),
            },
            None,
        ));
    }
    if ctx.db().header(parent_hash)?.is_none() {
        return Ok(payload_status(PayloadStatusEnum::Syncing, None));
    }
    // As reth and op-reth do: newPayload inserts, forkchoiceUpdated moves the head.
    match ctx.insert_block(&block) {
        Ok(InsertOutcome::Inserted(_) | InsertOutcome::AlreadyKnown(_)) => {
            Ok(payload_status(PayloadStatusEnum::Valid, Some(hash)))
        }
        Err(err) => Ok(payload_status(
            PayloadStatusEnum::Invalid { validation_error: err.source.to_string() },
            Some(parent_hash),
        )),
    }
}

/// `engine_forkchoiceUpdated` payload attributes: Ethereum's, plus the OP Stack's
/// (op-node's `OpPayloadAttributes`): the transactions the block starts with (the
/// L1-attributes deposit, the L1 origin's deposits), `noTxPool`, the system config's
/// `gasLimit`, Holocene's `eip1559Params` and Jovian's `minBaseFee`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnginePayloadAttributes {
    /// The Ethereum attributes.
    #[serde(flatten)]
    pub payload: PayloadAttributes,
    /// OP: the transactions the block must start with, EIP-2718 encoded.
    #[serde(default)]
    pub transactions: Option<Vec<Bytes>>,
    /// OP: build from `transactions` only.
    #[serde(default)]
    pub no_tx_pool: Option<bool>,
    /// OP: the block's gas limit (the system config's).
    #[serde(default, with = "alloy_serde::quantity::opt")]
    pub gas_limit: Option<u64>,
    /// OP Holocene: EIP-1559 denominator ‖ elasticity.
    #[serde(default)]
    pub eip1559_params: Option<B64>,
    /// OP Jovian: the minimum base fee.
    #[serde(default, with = "alloy_serde::quantity::opt")]
    pub min_base_fee: Option<u64>,
}

impl EnginePayloadAttributes {
    fn has_op_fields(&self) -> bool {
        self.transactions.is_some()
            || self.no_tx_pool.is_some()
            || self.gas_limit.is_some()
            || self.eip1559_params.is_some()
            || self.min_base_fee.is_some()
    }
}

fn invalid_attributes(message: impl std::fmt::Display) -> RpcError {
    RpcError::Custom { code: -38003, message: format!("Invalid payload attributes: {message}") }
}

fn forkchoice_updated(
    ctx: &NodeContext,
    state: EngineForkchoiceState,
    attributes: Option<EnginePayloadAttributes>,
) -> RpcResult<ForkchoiceUpdated> {
    let head_hash = state.head_block_hash;
    let Some(head) = ctx.db().header(head_hash)? else {
        return Ok(ForkchoiceUpdated::new(payload_status(PayloadStatusEnum::Syncing, None)));
    };
    // A canonical ancestor stays where it is (geth ignores such updates); a side block
    // becomes the head.
    if ctx.db().canonical_hash(head.number)? != Some(head_hash)
        && let Err(err) = ctx.make_canonical(head_hash)
    {
        return Ok(ForkchoiceUpdated::new(payload_status(
            PayloadStatusEnum::Invalid { validation_error: err.source.to_string() },
            None,
        )));
    }
    let known = |hash: B256| -> RpcResult<Option<B256>> {
        if hash.is_zero() {
            return Ok(None);
        }
        Ok(ctx.db().header(hash)?.map(|_| hash))
    };
    ctx.set_forkchoice(ForkchoiceState {
        safe: known(state.safe_block_hash)?,
        finalized: known(state.finalized_block_hash)?,
    });
    let status = payload_status(PayloadStatusEnum::Valid, Some(head_hash));
    let Some(attributes) = attributes else { return Ok(ForkchoiceUpdated::new(status)) };
    if attributes.payload.timestamp <= head.timestamp {
        return Err(RpcError::Custom {
            code: -38003,
            message: "Invalid payload attributes".into(),
        });
    }
    let block_attributes = engine_block_attributes(ctx, &head, &attributes)?;
    let payload = ctx.build_payload(&block_attributes, None).map_err(|error| match error {
        EngineError::Build(phala_chain::BlockError::InvalidAttributes(message)) => {
            invalid_attributes(message)
        }
        other => build_error(other),
    })?;
    let id = payload_id(head_hash, &attributes);
    ctx.payloads().insert(id, payload);
    Ok(ForkchoiceUpdated::new(status).with_payload_id(id))
}

/// The block attributes of a consensus client's payload attributes: on an OP chain with the
/// OP fields (a gas limit is required, as op-geth has it), on an Ethereum chain without them.
fn engine_block_attributes(
    ctx: &NodeContext,
    head: &Header,
    attributes: &EnginePayloadAttributes,
) -> RpcResult<BlockAttributes> {
    let mut block = block_attributes(ctx, head, &attributes.payload, Bytes::new());
    if !ctx.spec().is_optimism() {
        if attributes.has_op_fields() {
            return Err(invalid_attributes("OP Stack fields on an Ethereum chain"));
        }
        return Ok(block);
    }
    block.gas_limit =
        Some(attributes.gas_limit.ok_or_else(|| invalid_attributes("gasLimit is required"))?);
    block.transactions = attributes
        .transactions
        .iter()
        .flatten()
        .enumerate()
        .map(|(index, raw)| {
            PhalaTxEnvelope::decode_2718(&mut raw.as_ref())
                .map_err(|err| invalid_attributes(format!("transaction {index}: {err}")))
        })
        .collect::<RpcResult<Vec<_>>>()?;
    block.no_tx_pool = attributes.no_tx_pool.unwrap_or(false);
    block.eip1559_params = attributes.eip1559_params.map(|params| params.0);
    block.min_base_fee = attributes.min_base_fee;
    Ok(block)
}

/// The attributes of a block built on `head` for the consensus client's `attributes`.
fn block_attributes(
    ctx: &NodeContext,
    head: &Header,
    attributes: &PayloadAttributes,
    extra_data: Bytes,
) -> BlockAttributes {
    // The builder's own choice, as geth's `--miner.gaslimit` (the consensus client names none).
    let target = ctx.engine().gas_limit_target().unwrap_or(DESIRED_GAS_LIMIT);
    BlockAttributes {
        timestamp: attributes.timestamp,
        beneficiary: attributes.suggested_fee_recipient,
        gas_limit: Some(next_gas_limit(head.gas_limit, target)),
        prev_randao: attributes.prev_randao,
        parent_beacon_block_root: attributes.parent_beacon_block_root,
        extra_data,
        withdrawals: attributes.withdrawals.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// A payload id derived from the parent and attributes, as geth does (so retries agree).
fn payload_id(parent: B256, engine_attributes: &EnginePayloadAttributes) -> PayloadId {
    let attributes = &engine_attributes.payload;
    let mut preimage = parent.to_vec();
    preimage.extend_from_slice(&attributes.timestamp.to_be_bytes());
    preimage.extend_from_slice(attributes.prev_randao.as_slice());
    preimage.extend_from_slice(attributes.suggested_fee_recipient.as_slice());
    if let Some(root) = attributes.parent_beacon_block_root {
        preimage.extend_from_slice(root.as_slice());
    }
    // The OP fields, as op-geth adds them, so that attributes differing only there get
    // different payloads.
    if engine_attributes.has_op_fields() {
        preimage.push(u8::from(engine_attributes.no_tx_pool.unwrap_or(false)));
        for tx in engine_attributes.transactions.iter().flatten() {
            preimage.extend_from_slice(alloy_primitives::keccak256(tx).as_slice());
        }
        preimage.extend_from_slice(&engine_attributes.gas_limit.unwrap_or_default().to_be_bytes());
        if let Some(params) = engine_attributes.eip1559_params {
            preimage.extend_from_slice(params.as_slice());
        }
        if let Some(min) = engine_attributes.min_base_fee {
            preimage.extend_from_slice(&min.to_be_bytes());
        }
    }
    let hash = alloy_primitives::keccak256(preimage);
    PayloadId::new(hash[..8].try_into().expect("8 bytes"))
}

fn take_payload(ctx: &NodeContext, id: PayloadId) -> RpcResult<BuiltPayload> {
    ctx.payloads()
        .get(id)
        .ok_or(RpcError::Custom { code: -38001, message: "Unknown payload".into() })
}

/// The pool keeps no blob sidecars, so built payloads list none (a blob transaction's sidecar
/// travels with the transaction to the L1 batcher, not through this node).
fn empty_blobs_bundle() -> BlobsBundleV1 {
    BlobsBundleV1 { commitments: Vec::new(), proofs: Vec::new(), blobs: Vec::new() }
}

/// The envelope `testing_buildBlockV1` and `engine_getPayloadV4` return.
fn envelope_v4(payload: &BuiltPayload) -> ExecutionPayloadEnvelopeV4 {
    ExecutionPayloadEnvelopeV4 {
        envelope_inner: ExecutionPayloadEnvelopeV3 {
            execution_payload: ExecutionPayloadV3::from_block_unchecked(
                payload.hash,
                &payload.block,
            ),
            block_value: payload.value,
            blobs_bundle: empty_blobs_bundle(),
            should_override_builder: false,
        },
        execution_requests: payload.requests.clone(),
    }
}

/// On an OP chain, a `getPayload` envelope as op-geth's: the parent beacon block root beside the
/// payload and, from Isthmus, the payload's `withdrawalsRoot`.
fn op_envelope(
    ctx: &NodeContext,
    payload: &BuiltPayload,
    mut envelope: serde_json::Value,
) -> RpcResult<serde_json::Value> {
    let spec = ctx.spec();
    let header = &payload.block.header;
    if !spec.is_optimism() {
        return Ok(envelope);
    }
    if let Some(root) = header.parent_beacon_block_root {
        envelope["parentBeaconBlockRoot"] = json!(root);
    }
    if spec.is_isthmus_active_at_timestamp(header.timestamp) {
        envelope["executionPayload"]["withdrawalsRoot"] = json!(header.withdrawals_root);
    }
    Ok(envelope)
}

/// Adds the Engine API methods to `module` (served only on the authenticated port).
pub fn register(module: &mut RpcModule<NodeContext>) {
    method!(module, "engine_exchangeCapabilities", |_p, _ctx| Ok(CAPABILITIES.to_vec()));
    for name in
        ["engine_forkchoiceUpdatedV1", "engine_forkchoiceUpdatedV2", "engine_forkchoiceUpdatedV3"]
    {
        module
            .register_blocking_method(name, |p, ctx, _| {
                let run = || -> RpcResult<ForkchoiceUpdated> {
                    let mut seq = parse(&p)?;
                    let state: EngineForkchoiceState = seq.next()?;
                    let attributes: Option<EnginePayloadAttributes> = seq.optional_next()?;
                    forkchoice_updated(&ctx, state, attributes)
                };
                run().map_err(jsonrpsee::types::ErrorObjectOwned::from)
            })
            .expect("unique");
    }
    method!(module, "engine_newPayloadV1", |p, ctx| {
        let payload: ExecutionPayloadV1 = parse(&p)?.next()?;
        new_payload(&ctx, ExecutionPayload::V1(payload), ExecutionPayloadSidecar::none())
    });
    method!(module, "engine_newPayloadV2", |p, ctx| {
        let payload: ExecutionPayloadInputV2 = parse(&p)?.next()?;
        new_payload(&ctx, payload.into_payload(), ExecutionPayloadSidecar::none())
    });
    method!(module, "engine_newPayloadV3", |p, ctx| {
        let mut seq = parse(&p)?;
        let payload: ExecutionPayloadV3 = seq.next()?;
        let versioned_hashes: Vec<B256> = seq.next()?;
        let beacon_root: B256 = seq.next()?;
        let sidecar =
            ExecutionPayloadSidecar::v3(CancunPayloadFields::new(beacon_root, versioned_hashes));
        new_payload(&ctx, ExecutionPayload::V3(payload), sidecar)
    });
    method!(module, "engine_newPayloadV4", |p, ctx| {
        let mut seq = parse(&p)?;
        let payload: PayloadV4 = seq.next()?;
        let versioned_hashes: Vec<B256> = seq.next()?;
        let beacon_root: B256 = seq.next()?;
        let requests: Requests = seq.next()?;
        let sidecar = ExecutionPayloadSidecar::v4(
            CancunPayloadFields::new(beacon_root, versioned_hashes),
            PraguePayloadFields::new(requests),
        );
        new_payload_with_root(
            &ctx,
            ExecutionPayload::V3(payload.inner),
            sidecar,
            payload.withdrawals_root,
        )
    });
    method!(module, "engine_getPayloadV1", |p, ctx| {
        let id: PayloadId = parse(&p)?.next()?;
        let payload = take_payload(&ctx, id)?;
        Ok(ExecutionPayloadV1::from_block_unchecked(payload.hash, &payload.block))
    });
    method!(module, "engine_getPayloadV2", |p, ctx| {
        let id: PayloadId = parse(&p)?.next()?;
        let payload = take_payload(&ctx, id)?;
        Ok(ExecutionPayloadEnvelopeV2 {
            execution_payload: ExecutionPayloadFieldV2::from_block_unchecked(
                payload.hash,
                &payload.block,
            ),
            block_value: payload.value,
        })
    });
    method!(module, "engine_getPayloadV3", |p, ctx| {
        let id: PayloadId = parse(&p)?.next()?;
        let payload = take_payload(&ctx, id)?;
        op_envelope(&ctx, &payload, json!(envelope_v4(&payload).envelope_inner))
    });
    method!(module, "engine_getPayloadV4", |p, ctx| {
        let id: PayloadId = parse(&p)?.next()?;
        let payload = take_payload(&ctx, id)?;
        op_envelope(&ctx, &payload, json!(envelope_v4(&payload)))
    });
}

const CAPABILITIES: [&str; 11] = [
    "engine_forkchoiceUpdatedV1",
    "engine_forkchoiceUpdatedV2",
    "engine_forkchoiceUpdatedV3",
    "engine_newPayloadV1",
    "engine_newPayloadV2",
    "engine_newPayloadV3",
    "engine_newPayloadV4",
    "engine_getPayloadV1",
    "engine_getPayloadV2",
    "engine_getPayloadV3",
    "engine_getPayloadV4",
];

/// Adds `testing_buildBlockV1` (build a block on a parent without importing it).
pub fn register_testing(module: &mut RpcModule<NodeContext>) {
    method!(module, "testing_buildBlockV1", |p, ctx| {
        let mut seq = parse(&p)?;
        let parent: B256 = seq.next()?;
        let attributes: PayloadAttributes = seq.next()?;
        let transactions: Option<Vec<Bytes>> = seq.optional_next()?;
        let extra_data: Option<Bytes> = seq.optional_next()?;
        let (head_hash, head) = ctx.head()?;
        if parent != head_hash {
            return Err(RpcError::server(format!("parent {parent} is not the head block")));
        }
        let transactions = transactions
            .map(|raw| {
                raw.iter().map(|bytes| decode_raw_transaction(bytes)).collect::<RpcResult<Vec<_>>>()
            })
            .transpose()?;
        let block_attributes =
            block_attributes(&ctx, &head, &attributes, extra_data.unwrap_or_default());
        let payload = build_payload(&ctx, &block_attributes, transactions)?;
        Ok(json!(envelope_v4(&payload)))
    });
}
