//! The `debug_` namespace: raw blocks, headers, receipts and transactions, and geth-style
//! tracing (struct logger, `callTracer`, `prestateTracer`, …) through revm-inspectors.

use crate::{
    call,
    context::NodeContext,
    error::{RpcError, RpcResult},
    eth::{inline_method, method},
    params::{self, StrictHash, parse},
};
use alloy_consensus::transaction::Recovered;
use alloy_eips::{BlockId, BlockNumberOrTag, Encodable2718};
use alloy_evm::{
    Evm, FromRecoveredTx,
    block::{BlockExecutor as _, TxResult},
};
use alloy_primitives::{B256, Bytes};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{BlockOverrides, TransactionRequest, state::StateOverride};
use alloy_rpc_types_trace::geth::{GethDebugTracingOptions, GethTrace, TraceResult};
use jsonrpsee::RpcModule;
use phala_evm::{EvmConfig, PhalaTx, StateDatabase};
use phala_storage::{HistoricalState, KeyValueRead};
use revm::database::CacheDB;
use revm_inspectors::tracing::{DebugInspector, TransactionContext};
use serde::Deserialize;

/// Adds the `debug_` methods to `module`.
pub fn register(module: &mut RpcModule<NodeContext>) {
    inline_method!(module, "debug_getRawHeader", |p, ctx| {
        let id: BlockId = parse(&p)?.next()?;
        let Some((_, header)) = ctx.block_header(id)? else { return Ok(None) };
        let mut out = Vec::new();
        header.encode(&mut out);
        Ok(Some(Bytes::from(out)))
    });
    inline_method!(module, "debug_getRawBlock", |p, ctx| {
        let id: BlockId = parse(&p)?.next()?;
        let Some((hash, _)) = ctx.block_header(id)? else { return Ok(None) };
        let Some(block) = ctx.block(hash)? else { return Ok(None) };
        let mut out = Vec::new();
        block.encode(&mut out);
        Ok(Some(Bytes::from(out)))
    });
    inline_method!(module, "debug_getRawReceipts", |p, ctx| {
        let id: BlockId = parse(&p)?.next()?;
        let Some((hash, _)) = ctx.block_header(id)? else { return Ok(None) };
        let receipts = ctx.db().receipts(hash)?.unwrap_or_default();
        Ok(Some(receipts.iter().map(|r| Bytes::from(r.encoded_2718())).collect::<Vec<_>>()))
    });
    inline_method!(module, "debug_getRawTransaction", |p, ctx| {
        let hash: StrictHash = parse(&p)?.next()?;
        let Some(location) = ctx.db().tx_location(hash.0)? else {
            return Ok(ctx.pool().get(&hash.0).map(|pooled| Bytes::from(pooled.tx.encoded_2718())));
        };
        let Some(block_hash) = ctx.db().canonical_hash(location.block_number)? else {
            return Ok(None);
        };
        let body = ctx.db().body(block_hash)?.unwrap_or_default();
        Ok(usize::try_from(location.index)
            .ok()
            .and_then(|i| body.transactions.get(i))
            .map(|tx| Bytes::from(tx.encoded_2718())))
    });
    method!(module, "debug_traceTransaction", |p, ctx| {
        let mut seq = parse(&p)?;
        let hash: StrictHash = seq.next()?;
        let opts: Option<GethDebugTracingOptions> = seq.optional_next()?;
        let location = ctx.db().tx_location(hash.0)?.ok_or(RpcError::TransactionNotFound)?;
        let block_hash =
            ctx.db().canonical_hash(location.block_number)?.ok_or(RpcError::TransactionNotFound)?;
        let index = usize::try_from(location.index).map_err(|_| RpcError::TransactionNotFound)?;
        let mut traces = trace_block(&ctx, block_hash, opts.unwrap_or_default(), Some(index))?;
        match traces.pop() {
            Some(TraceResult::Success { result, .. }) => Ok(result),
            Some(TraceResult::Error { error, .. }) => Err(RpcError::server(error)),
            None => Err(RpcError::TransactionNotFound),
        }
    });
    method!(module, "debug_traceBlockByNumber", |p, ctx| {
        let mut seq = parse(&p)?;
        let tag: BlockNumberOrTag = seq.next()?;
        let opts: Option<GethDebugTracingOptions> = seq.optional_next()?;
        let (hash, _) = ctx
            .block_by_tag(tag)?
            .ok_or_else(|| RpcError::server(format!("block #{} not found", display_tag(tag))))?;
        trace_block(&ctx, hash, opts.unwrap_or_default(), None)
    });
    method!(module, "debug_traceBlockByHash", |p, ctx| {
        let mut seq = parse(&p)?;
        let hash: B256 = seq.next()?;
        let opts: Option<GethDebugTracingOptions> = seq.optional_next()?;
        if ctx.db().header(hash)?.is_none() {
            return Err(RpcError::server(format!("block {hash} not found")));
        }
        trace_block(&ctx, hash, opts.unwrap_or_default(), None)
    });
    method!(module, "debug_traceCall", |p, ctx| {
        let mut seq = parse(&p)?;
        let request: TransactionRequest = seq.next()?;
        let id = params::block_id(&mut seq)?;
        let opts: Option<TraceCallOptions> = seq.optional_next()?;
        trace_call(&ctx, request, id, opts.unwrap_or_default())
    });
}

fn display_tag(tag: BlockNumberOrTag) -> String {
    match tag {
        BlockNumberOrTag::Number(number) => number.to_string(),
        other => other.to_string(),
    }
}

/// `debug_traceCall` options: tracing options plus overrides.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceCallOptions {
    #[serde(flatten)]
    tracing: GethDebugTracingOptions,
    state_overrides: Option<StateOverride>,
    block_overrides: Option<BlockOverrides>,
}

fn inspector_error(error: impl std::fmt::Display) -> RpcError {
    RpcError::server(error.to_string())
}

/// Re-executes block `hash` on its parent's state and traces each transaction (or only those up
/// to `only`, returning just that one).
fn trace_block(
    ctx: &NodeContext,
    hash: B256,
    opts: GethDebugTracingOptions,
    only: Option<usize>,
) -> RpcResult<Vec<TraceResult>> {
    let block = ctx.block(hash)?.ok_or(RpcError::HeaderNotFound)?;
    let header = &block.header;
    if header.number == 0 {
        return Err(RpcError::server("genesis is not traceable"));
    }
    let spec = ctx.spec();
    let parent_state = HistoricalState::new(ctx.db(), header.number - 1);
    let db = CacheDB::new(StateDatabase::with_code_cache(parent_state, ctx.code_cache().clone()));
    let inspector = DebugInspector::new(opts).map_err(inspector_error)?;
    let config = EvmConfig::new(spec.clone());
    let evm_env = config.evm_env(header);
    let block_env = evm_env.block_env.clone();
    let mut evm = config.evm_with_inspector(db, evm_env, inspector);
    evm.set_inspector_enabled(false);
    let mut executor = config.block_executor(evm, &block);
    executor.apply_pre_execution_changes().map_err(|err| RpcError::Internal(err.to_string()))?;
    let mut traces = Vec::new();
    for (index, tx) in block.body.transactions.iter().enumerate() {
        let sender = ctx.sender_of(tx)?;
        let recovered = Recovered::new_unchecked(tx, sender);
        if only.is_some_and(|target| index < target) {
            executor.evm_mut().set_inspector_enabled(false);
            executor
                .execute_transaction(recovered)
                .map_err(|err| RpcError::Internal(err.to_string()))?;
            continue;
        }
        executor.evm_mut().set_inspector_enabled(true);
        let output = executor
            .execute_transaction_without_commit(recovered)
            .map_err(|err| RpcError::Internal(err.to_string()))?;
        let tx_env = PhalaTx::from_recovered_tx(tx, sender);
        let tx_context = TransactionContext {
            block_hash: Some(hash),
            tx_index: Some(index),
            tx_hash: Some(*tx.tx_hash()),
        };
        let (db, inspector, _) = executor.evm_mut().components_mut();
        let trace = inspector
            .get_result(Some(tx_context), tx_env.base(), &block_env, output.result(), db)
            .map_err(inspector_error)?;
        inspector.fuse().map_err(inspector_error)?;
        executor.commit_transaction(output).map_err(|err| RpcError::Internal(err.to_string()))?;
        traces.push(TraceResult::Success { result: trace, tx_hash: Some(*tx.tx_hash()) });
        if only == Some(index) {
            break;
        }
    }
    Ok(traces)
}

/// `debug_traceCall`.
fn trace_call(
    ctx: &NodeContext,
    request: TransactionRequest,
    id: BlockId,
    opts: TraceCallOptions,
) -> RpcResult<GethTrace> {
    let mut setup = call::setup(ctx, id, opts.state_overrides, opts.block_overrides)?;
    let tx = call::tx_env(ctx, &mut setup, request)?;
    let mut inspector = DebugInspector::new(opts.tracing).map_err(inspector_error)?;
    let block_env = setup.evm_env.block_env.clone();
    let result = {
        let mut evm =
            setup.config.evm_with_inspector(&mut setup.db, setup.evm_env.clone(), &mut inspector);
        evm.transact(PhalaTx::call(tx.clone())).map_err(|err| RpcError::server(err.to_string()))?
    };
    inspector.get_result(None, &tx, &block_env, &result, &mut setup.db).map_err(inspector_error)
}
