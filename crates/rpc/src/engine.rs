//! The Engine API (`engine_exchangeCapabilities`, `engine_forkchoiceUpdatedV1..V3`,
//! `engine_newPayloadV1..V4`, `engine_getPayloadV1..V4`) and `testing_buildBlockV1`.
//!
//! Handlers only: `engine_newPayload` inserts through the [`phala_engine::Engine`],
//! `engine_forkchoiceUpdated` makes a block canonical there and, with attributes, has the engine
//! build a payload from the pool, kept until fetched.

use crate::{
    context::{NodeContext, decode_raw_transaction},
    error::{RpcError, RpcResult},
    eth::method,
    params::parse,
};
use alloy_eips::eip7685::Requests;
use alloy_primitives::{B256, Bytes};
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
use phala_primitives::{Block, Header, TxEnvelope};
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

/// Imports a payload's block; the status the Engine API reports.
fn new_payload(
    ctx: &NodeContext,
    payload: ExecutionPayload,
    sidecar: ExecutionPayloadSidecar,
) -> RpcResult<PayloadStatus> {
    let parent_hash = payload.parent_hash();
    let claimed = payload.block_hash();
    let block: Block = match payload.try_into_block_with_sidecar(&sidecar) {
        Ok(block) => block,
        Err(err) => {
            return Ok(payload_status(
                PayloadStatusEnum::Invalid { validation_error: err.to_string() },
                None,
            ));
        }
    };
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

fn forkchoice_updated(
    ctx: &NodeContext,
    state: EngineForkchoiceState,
    attributes: Option<PayloadAttributes>,
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
    if attributes.timestamp <= head.timestamp {
        return Err(RpcError::Custom {
            code: -38003,
            message: "Invalid payload attributes".into(),
        });
    }
    let block_attributes = block_attributes(&head, &attributes, Bytes::new());
    let payload = build_payload(ctx, &block_attributes, None)?;
    let id = payload_id(head_hash, &attributes);
    ctx.payloads().insert(id, payload);
    Ok(ForkchoiceUpdated::new(status).with_payload_id(id))
}

/// The attributes of a block built on `head` for the consensus client's `attributes`.
fn block_attributes(
    head: &Header,
    attributes: &PayloadAttributes,
    extra_data: Bytes,
) -> BlockAttributes {
    BlockAttributes {
        timestamp: attributes.timestamp,
        beneficiary: attributes.suggested_fee_recipient,
        gas_limit: Some(next_gas_limit(head.gas_limit, DESIRED_GAS_LIMIT)),
        prev_randao: attributes.prev_randao,
        parent_beacon_block_root: attributes.parent_beacon_block_root,
        extra_data,
        withdrawals: attributes.withdrawals.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// A payload id derived from the parent and attributes, as geth does (so retries agree).
fn payload_id(parent: B256, attributes: &PayloadAttributes) -> PayloadId {
    let mut preimage = parent.to_vec();
    preimage.extend_from_slice(&attributes.timestamp.to_be_bytes());
    preimage.extend_from_slice(attributes.prev_randao.as_slice());
    preimage.extend_from_slice(attributes.suggested_fee_recipient.as_slice());
    if let Some(root) = attributes.parent_beacon_block_root {
        preimage.extend_from_slice(root.as_slice());
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
                    let attributes: Option<PayloadAttributes> = seq.optional_next()?;
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
        let payload: ExecutionPayloadV3 = seq.next()?;
        let versioned_hashes: Vec<B256> = seq.next()?;
        let beacon_root: B256 = seq.next()?;
        let requests: Requests = seq.next()?;
        let sidecar = ExecutionPayloadSidecar::v4(
            CancunPayloadFields::new(beacon_root, versioned_hashes),
            PraguePayloadFields::new(requests),
        );
        new_payload(&ctx, ExecutionPayload::V3(payload), sidecar)
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
        Ok(envelope_v4(&take_payload(&ctx, id)?).envelope_inner)
    });
    method!(module, "engine_getPayloadV4", |p, ctx| {
        let id: PayloadId = parse(&p)?.next()?;
        Ok(envelope_v4(&take_payload(&ctx, id)?))
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
        let block_attributes = block_attributes(&head, &attributes, extra_data.unwrap_or_default());
        let payload = build_payload(&ctx, &block_attributes, transactions)?;
        Ok(json!(envelope_v4(&payload)))
    });
}
