//! The `eth_`, `net_`, `web3_` and `txpool_` namespaces.

use crate::{
    cache::CachedBlock,
    call,
    context::NodeContext,
    convert::{self, Transaction},
    error::{RpcError, RpcResult},
    filters, params,
    params::{StorageKey, parse},
    signing,
};
use alloy_consensus::Transaction as _;
use alloy_eips::{BlockId, BlockNumberOrTag, Encodable2718};
use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use alloy_rpc_types_eth::{
    BlockOverrides, FeeHistory, Filter, TransactionRequest, state::StateOverride,
};
use jsonrpsee::RpcModule;
use phala_primitives::StateReader;
use phala_storage::{KeyValueRead, trie};
use serde_json::{Value, json};
use std::{collections::BTreeMap, sync::Arc};

/// Registers a blocking handler that returns an [`RpcResult`].
macro_rules! method {
    ($module:expr, $name:literal, |$params:ident, $ctx:ident| $body:expr) => {
        $module
            .register_blocking_method(
                $name,
                move |$params, $ctx: std::sync::Arc<$crate::context::NodeContext>, _| {
                    #[allow(unused_mut)]
                    let mut run = || -> RpcResult<_> { $body };
                    run().map_err(jsonrpsee::types::ErrorObjectOwned::from)
                },
            )
            .expect("method names are unique");
    };
}
pub(crate) use method;

/// Registers a handler that runs on the connection's own task, for calls whose work is small
/// and bounded (a few point reads, a signature recovery). Handing such a call to the blocking
/// pool costs more than the call: two thread wake-ups, which profiles of `eth_blockNumber` and
/// `eth_getBalance` under load showed as most of their time. Anything that executes, scans or
/// grows with its input stays on [`method!`].
macro_rules! inline_method {
    ($module:expr, $name:literal, |$params:ident, $ctx:ident| $body:expr) => {
        $module
            .register_method($name, move |$params, $ctx: &$crate::context::NodeContext, _| {
                #[allow(unused_mut)]
                let mut run = || -> RpcResult<_> { $body };
                run().map_err(jsonrpsee::types::ErrorObjectOwned::from)
            })
            .expect("method names are unique");
    };
}
pub(crate) use inline_method;

/// Runs the rest of a call that started on the connection's task on the blocking pool;
/// `failed` is the error if that task panics.
async fn on_blocking_pool<T: Send + 'static>(
    failed: &'static str,
    work: impl FnOnce() -> RpcResult<T> + Send + 'static,
) -> RpcResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|_| RpcError::Internal(failed.into()))?
}

/// The most storage slots one `eth_getStorageValues` call may read, over all its accounts (the
/// limit geth, reth, Nethermind and Besu share).
pub const MAX_STORAGE_VALUES_SLOTS: usize = 1024;

/// The client version reported by `web3_clientVersion`.
pub fn client_version() -> String {
    format!("phala-node/v{}", env!("CARGO_PKG_VERSION"))
}

/// Adds the `eth_`, `net_`, `web3_` and `txpool_` methods to `module`.
pub fn register(module: &mut RpcModule<NodeContext>) {
    register_chain(module);
    register_state(module);
    register_blocks(module);
    register_transactions(module);
    register_execution(module);
    register_fees(module);
    register_filters(module);
    register_txpool(module);
}

fn register_chain(module: &mut RpcModule<NodeContext>) {
    inline_method!(module, "eth_chainId", |_p, ctx| Ok(U64::from(ctx.spec().chain_id)));
    inline_method!(module, "net_version", |_p, ctx| Ok(ctx.spec().chain_id.to_string()));
    inline_method!(module, "eth_blockNumber", |_p, ctx| Ok(U64::from(ctx.head()?.1.number)));
    inline_method!(module, "eth_syncing", |_p, _ctx| Ok(false));
    inline_method!(module, "eth_mining", |_p, _ctx| Ok(false));
    inline_method!(module, "eth_hashrate", |_p, _ctx| Ok(U64::ZERO));
    inline_method!(module, "eth_protocolVersion", |_p, _ctx| Ok("0x44"));
    inline_method!(module, "net_listening", |_p, _ctx| Ok(true));
    inline_method!(module, "net_peerCount", |_p, _ctx| Ok(U64::ZERO));
    inline_method!(module, "web3_clientVersion", |_p, _ctx| Ok(client_version()));
    inline_method!(module, "web3_sha3", |p, _ctx| {
        let data: Bytes = parse(&p)?.next()?;
        Ok(keccak256(&data))
    });
    inline_method!(module, "eth_accounts", |_p, ctx| {
        Ok(ctx.signers().iter().map(|signer| signer.address()).collect::<Vec<_>>())
    });
    inline_method!(module, "eth_coinbase", |_p, ctx| {
        Ok(ctx.signers().first().map(|signer| signer.address()).unwrap_or_default())
    });
    inline_method!(module, "eth_capabilities", |_p, ctx| {
        let (hash, head) = ctx.head()?;
        let everything = json!({ "disabled": false, "oldestBlock": "0x0" });
        Ok(json!({
            "head": { "number": U64::from(head.number), "hash": hash },
            "state": everything,
            "tx": everything,
            "logs": everything,
            "receipts": everything,
            "blocks": everything,
            "stateproofs": everything,
        }))
    });
    inline_method!(module, "eth_config", |_p, ctx| crate::config::eth_config(ctx));
}

fn register_state(module: &mut RpcModule<NodeContext>) {
    inline_method!(module, "eth_getBalance", |p, ctx| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let id = params::block_id(&mut seq)?;
        let (_, _, state) = ctx.state_at(id)?;
        Ok(state.account(address)?.map(|a| a.balance).unwrap_or_default())
    });
    inline_method!(module, "eth_getTransactionCount", |p, ctx| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let id = params::block_id(&mut seq)?;
        if id == BlockId::Number(BlockNumberOrTag::Pending)
            && let Some(nonce) = ctx.pool().pending_nonce(&address)
        {
            return Ok(U64::from(nonce));
        }
        let (_, _, state) = ctx.state_at(id)?;
        Ok(U64::from(state.account(address)?.map(|a| a.nonce).unwrap_or_default()))
    });
    inline_method!(module, "eth_getCode", |p, ctx| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let id = params::block_id(&mut seq)?;
        let (_, _, state) = ctx.state_at(id)?;
        let Some(account) = state.account(address)? else { return Ok(Bytes::new()) };
        Ok(state.bytecode(account.code_hash)?.unwrap_or_default())
    });
    inline_method!(module, "eth_getStorageAt", |p, ctx| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let key: StorageKey = seq.next()?;
        let id = params::block_id(&mut seq)?;
        let (_, _, state) = ctx.state_at(id)?;
        Ok(B256::from(state.storage(address, key.0)?))
    });
    method!(module, "eth_getStorageValues", |p, ctx| {
        let mut seq = parse(&p)?;
        let requests: BTreeMap<Address, Vec<StorageKey>> = seq.next()?;
        let id = params::block_id(&mut seq)?;
        if requests.is_empty() {
            return Err(RpcError::InvalidParams("empty request".into()));
        }
        let slots: usize = requests.values().map(Vec::len).sum();
        if slots > MAX_STORAGE_VALUES_SLOTS {
            return Err(RpcError::InvalidParams(format!(
                "too many slots (max {MAX_STORAGE_VALUES_SLOTS})"
            )));
        }
        let (_, _, state) = ctx.state_at(id)?;
        let mut values = BTreeMap::new();
        for (address, keys) in requests {
            let words = keys
                .iter()
                .map(|key| state.storage(address, key.0).map(B256::from))
                .collect::<Result<Vec<_>, _>>()?;
            values.insert(address, words);
        }
        Ok(values)
    });
    method!(module, "eth_getProof", |p, ctx| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let keys: Vec<StorageKey> = seq.next()?;
        let id = params::block_id(&mut seq)?;
        let (hash, header) = ctx.require_header(id)?;
        if ctx.db().canonical_hash(header.number)? != Some(hash) {
            return Err(RpcError::server(format!("block {hash} is not canonical")));
        }
        // The head reads the tries by path; a past block walks them by hash from its state root
        // (a point read per node either way), so any past block costs about the same.
        let (_, head) = ctx.head()?;
        let db = ctx.db();
        let reader = if header.number == head.number {
            trie::TrieReader::latest(db)
        } else {
            trie::TrieReader::at(db, header.number, header.state_root)
        };
        trie_proof(reader, address, keys)
    });
}

/// An EIP-1186 proof read through `reader` (the latest state, or a past block's).
fn trie_proof<R: KeyValueRead>(
    reader: trie::TrieReader<'_, R>,
    address: Address,
    keys: Vec<StorageKey>,
) -> RpcResult<alloy_rpc_types_eth::EIP1186AccountProofResponse> {
    use alloy_rpc_types_eth::EIP1186StorageProof;
    use alloy_serde::JsonStorageKey;
    let slots: Vec<U256> = keys.iter().map(|StorageKey(key, _)| *key).collect();
    let proof = reader.account_proof(address, &slots)?;
    let stored = proof.account.unwrap_or_default();
    let storage_proof = keys
        .into_iter()
        .zip(proof.storage)
        .map(|(StorageKey(key, full), slot)| EIP1186StorageProof {
            key: if full {
                JsonStorageKey::Hash(B256::from(key))
            } else {
                JsonStorageKey::Number(key)
            },
            value: slot.value,
            proof: slot.proof.into_iter().map(Bytes::from).collect(),
        })
        .collect();
    Ok(alloy_rpc_types_eth::EIP1186AccountProofResponse {
        address,
        balance: stored.balance,
        code_hash: stored.code_hash,
        nonce: stored.nonce,
        storage_hash: stored.storage_root,
        account_proof: proof.proof.into_iter().map(Bytes::from).collect(),
        storage_proof,
    })
}

fn register_blocks(module: &mut RpcModule<NodeContext>) {
    method!(module, "eth_getBlockByNumber", |p, ctx| {
        let mut seq = parse(&p)?;
        let tag: BlockNumberOrTag = seq.next()?;
        let full: bool = seq.optional_next()?.unwrap_or(false);
        let Some((hash, _)) = ctx.block_by_tag(tag)? else { return Ok(None) };
        let Some(block) = ctx.block(hash)? else { return Ok(None) };
        convert::mined_block(&ctx, hash, block, full).map(Some)
    });
    method!(module, "eth_getBlockByHash", |p, ctx| {
        let mut seq = parse(&p)?;
        let hash: B256 = seq.next()?;
        let full: bool = seq.optional_next()?.unwrap_or(false);
        let Some(block) = ctx.block(hash)? else { return Ok(None) };
        convert::mined_block(&ctx, hash, block, full).map(Some)
    });
    inline_method!(module, "eth_getBlockTransactionCountByNumber", |p, ctx| {
        let tag: BlockNumberOrTag = parse(&p)?.next()?;
        let Some((hash, _)) = ctx.block_by_tag(tag)? else { return Ok(None) };
        Ok(ctx.db().body(hash)?.map(|body| U64::from(body.transactions.len())))
    });
    inline_method!(module, "eth_getBlockTransactionCountByHash", |p, ctx| {
        let hash: B256 = parse(&p)?.next()?;
        Ok(ctx.db().body(hash)?.map(|body| U64::from(body.transactions.len())))
    });
    inline_method!(module, "eth_getUncleCountByBlockNumber", |p, ctx| {
        let tag: BlockNumberOrTag = parse(&p)?.next()?;
        let Some((hash, _)) = ctx.block_by_tag(tag)? else { return Ok(None) };
        Ok(ctx.db().body(hash)?.map(|body| U64::from(body.ommers.len())))
    });
    inline_method!(module, "eth_getUncleCountByBlockHash", |p, ctx| {
        let hash: B256 = parse(&p)?.next()?;
        Ok(ctx.db().body(hash)?.map(|body| U64::from(body.ommers.len())))
    });
    inline_method!(module, "eth_getUncleByBlockNumberAndIndex", |p, ctx| {
        let mut seq = parse(&p)?;
        let tag: BlockNumberOrTag = seq.next()?;
        let index: U64 = seq.next()?;
        let Some((hash, _)) = ctx.block_by_tag(tag)? else { return Ok(None) };
        uncle(ctx, hash, index.to())
    });
    inline_method!(module, "eth_getUncleByBlockHashAndIndex", |p, ctx| {
        let mut seq = parse(&p)?;
        let hash: B256 = seq.next()?;
        let index: U64 = seq.next()?;
        uncle(ctx, hash, index.to())
    });
    method!(module, "eth_getBlockReceipts", |p, ctx| {
        let id: BlockId = parse(&p)?.next()?;
        let Some((hash, _)) = ctx.block_header(id)? else { return Ok(None) };
        convert::block_receipts(&ctx, hash)
    });
}

fn uncle(ctx: &NodeContext, hash: B256, index: usize) -> RpcResult<Option<convert::RpcBlock>> {
    let Some(body) = ctx.db().body(hash)? else { return Ok(None) };
    let Some(header) = body.ommers.get(index).cloned() else { return Ok(None) };
    let hash = header.hash_slow();
    let block = phala_primitives::Block { header, body: Default::default() };
    let mut rpc = convert::rpc_block(hash, block, false, false)?;
    rpc.transactions = alloy_rpc_types_eth::BlockTransactions::Uncle;
    rpc.withdrawals = None;
    Ok(Some(rpc))
}

/// The canonical block holding transaction `hash`, and its index there.
fn mined_transaction(
    ctx: &NodeContext,
    hash: B256,
) -> RpcResult<Option<(Arc<CachedBlock>, usize)>> {
    let Some(location) = ctx.db().tx_location(hash)? else { return Ok(None) };
    let Some(block_hash) = ctx.db().canonical_hash(location.block_number)? else { return Ok(None) };
    let Ok(index) = usize::try_from(location.index) else { return Ok(None) };
    Ok(ctx.cached_block(block_hash)?.map(|cached| (cached, index)))
}

/// Transaction `index` of the stored block `block_hash` in its JSON-RPC shape.
fn transaction_at(
    ctx: &NodeContext,
    block_hash: B256,
    index: U64,
) -> RpcResult<Option<Transaction>> {
    let (Some(cached), Ok(index)) = (ctx.cached_block(block_hash)?, usize::try_from(index)) else {
        return Ok(None);
    };
    convert::mined_transaction(&cached, index, ctx.dev().is_some())
}

/// The EIP-2718 bytes of transaction `index` of the stored block `block_hash`.
fn raw_transaction_at(ctx: &NodeContext, block_hash: B256, index: U64) -> RpcResult<Option<Bytes>> {
    let (Some(cached), Ok(index)) = (ctx.cached_block(block_hash)?, usize::try_from(index)) else {
        return Ok(None);
    };
    Ok(cached.block().body.transactions.get(index).map(|tx| Bytes::from(tx.encoded_2718())))
}

fn register_transactions(module: &mut RpcModule<NodeContext>) {
    inline_method!(module, "eth_getTransactionByHash", |p, ctx| {
        let hash: B256 = parse(&p)?.next()?;
        if let Some((cached, index)) = mined_transaction(ctx, hash)? {
            return convert::mined_transaction(&cached, index, ctx.dev().is_some());
        }
        Ok(ctx
            .pool()
            .get(&hash)
            .map(|pooled| convert::rpc_transaction(pooled.tx.clone().into(), pooled.sender, None)))
    });
    inline_method!(module, "eth_getRawTransactionByHash", |p, ctx| {
        let hash: B256 = parse(&p)?.next()?;
        if let Some((cached, index)) = mined_transaction(ctx, hash)? {
            let tx = cached.block().body.transactions.get(index);
            return Ok(tx.map(|tx| Bytes::from(tx.encoded_2718())));
        }
        Ok(ctx.pool().get(&hash).map(|pooled| Bytes::from(pooled.tx.encoded_2718())))
    });
    inline_method!(module, "eth_getTransactionByBlockNumberAndIndex", |p, ctx| {
        let mut seq = parse(&p)?;
        let tag: BlockNumberOrTag = seq.next()?;
        let index: U64 = seq.next()?;
        let Some((hash, _)) = ctx.block_by_tag(tag)? else { return Ok(None) };
        transaction_at(ctx, hash, index)
    });
    inline_method!(module, "eth_getTransactionByBlockHashAndIndex", |p, ctx| {
        let mut seq = parse(&p)?;
        let hash: B256 = seq.next()?;
        let index: U64 = seq.next()?;
        transaction_at(ctx, hash, index)
    });
    inline_method!(module, "eth_getRawTransactionByBlockNumberAndIndex", |p, ctx| {
        let mut seq = parse(&p)?;
        let tag: BlockNumberOrTag = seq.next()?;
        let index: U64 = seq.next()?;
        let Some((hash, _)) = ctx.block_by_tag(tag)? else { return Ok(None) };
        raw_transaction_at(ctx, hash, index)
    });
    inline_method!(module, "eth_getTransactionReceipt", |p, ctx| {
        let hash: B256 = parse(&p)?.next()?;
        let Some((cached, index)) = mined_transaction(ctx, hash)? else { return Ok(None) };
        convert::rpc_receipt_at(ctx.spec(), &cached, index, ctx.dev().is_some())
    });
    inline_method!(module, "eth_sendRawTransaction", |p, ctx| {
        let raw: Bytes = parse(&p)?.next()?;
        let hash = ctx.submit_raw_transaction(&raw)?;
        ctx.filters.on_pending_transaction(hash);
        Ok(hash)
    });
    method!(module, "eth_sendTransaction", |p, ctx| {
        let request: TransactionRequest = parse(&p)?.next()?;
        let hash = signing::send_request(&ctx, request)?;
        ctx.filters.on_pending_transaction(hash);
        Ok(hash)
    });
    method!(module, "eth_signTransaction", |p, ctx| {
        let request: TransactionRequest = parse(&p)?.next()?;
        let tx = signing::sign_request(&ctx, request)?;
        Ok(Bytes::from(tx.encoded_2718()))
    });
    inline_method!(module, "eth_sign", |p, ctx| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let message: Bytes = seq.next()?;
        signing::sign_message(ctx, address, &message)
    });
    inline_method!(module, "personal_sign", |p, ctx| {
        let mut seq = parse(&p)?;
        let message: Bytes = seq.next()?;
        let address: Address = seq.next()?;
        signing::sign_message(ctx, address, &message)
    });
    inline_method!(module, "eth_signTypedData_v4", |p, ctx| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let data: Value = seq.next()?;
        signing::sign_typed_data(ctx, address, data)
    });
    inline_method!(module, "eth_signTypedData", |p, ctx| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let data: Value = seq.next()?;
        signing::sign_typed_data(ctx, address, data)
    });
}

fn register_execution(module: &mut RpcModule<NodeContext>) {
    // A call first runs on the connection's task, for at most `INLINE_CALL_BUDGET`; one that
    // takes longer starts again on the blocking pool. Most calls finish inline, without the
    // hand-off to the pool, and no call holds the connection's worker past the budget.
    module
        .register_async_method("eth_call", |p, ctx, _| async move {
            let run = async {
                let (request, id, state, block) = {
                    let mut seq = parse(&p)?;
                    let request: TransactionRequest = seq.next()?;
                    let id = params::block_id(&mut seq)?;
                    let state: Option<StateOverride> = seq.optional_next()?;
                    let block: Option<Box<BlockOverrides>> = seq.optional_next()?;
                    (request, id, state, block.map(|b| *b))
                };
                let inline = call::call_within(
                    &ctx,
                    request.clone(),
                    id,
                    state.clone(),
                    block.clone(),
                    call::INLINE_CALL_BUDGET,
                );
                match inline {
                    Some(answer) => answer,
                    None => {
                        on_blocking_pool("eth_call: the call's task failed", move || {
                            call::call(&ctx, request, id, state, block)
                        })
                        .await
                    }
                }
            };
            run.await.map_err(jsonrpsee::types::ErrorObjectOwned::from)
        })
        .expect("method names are unique");
    method!(module, "eth_estimateGas", |p, ctx| {
        let mut seq = parse(&p)?;
        let request: TransactionRequest = seq.next()?;
        let id = params::block_id(&mut seq)?;
        let state: Option<StateOverride> = seq.optional_next()?;
        call::estimate_gas(&ctx, request, id, state).map(U64::from)
    });
    method!(module, "eth_createAccessList", |p, ctx| {
        let mut seq = parse(&p)?;
        let request: TransactionRequest = seq.next()?;
        let id = params::block_id(&mut seq)?;
        let state: Option<StateOverride> = seq.optional_next()?;
        call::create_access_list(&ctx, request, id, state)
    });
    method!(module, "eth_simulateV1", |p, ctx| {
        let mut seq = parse(&p)?;
        let payload: alloy_rpc_types_eth::simulate::SimulatePayload = seq.next()?;
        let id = params::block_id(&mut seq)?;
        crate::simulate::simulate(&ctx, payload, id)
    });
}

fn register_fees(module: &mut RpcModule<NodeContext>) {
    inline_method!(module, "eth_gasPrice", |_p, ctx| {
        let base_fee = ctx.validation_context()?.base_fee;
        Ok(U256::from(u128::from(base_fee) + ctx.suggested_tip()))
    });
    inline_method!(module, "eth_maxPriorityFeePerGas", |_p, ctx| Ok(U256::from(
        ctx.suggested_tip()
    )));
    inline_method!(module, "eth_baseFee", |_p, ctx| Ok(U256::from(
        ctx.validation_context()?.base_fee
    )));
    inline_method!(module, "eth_blobBaseFee", |_p, ctx| {
        Ok(U256::from(ctx.validation_context()?.blob_base_fee.unwrap_or_default()))
    });
    method!(module, "eth_feeHistory", |p, ctx| {
        let mut seq = parse(&p)?;
        let count: U64 = seq.next()?;
        let newest: BlockNumberOrTag = seq.next()?;
        let percentiles: Option<Vec<f64>> = seq.optional_next()?;
        fee_history(&ctx, count.to(), newest, percentiles)
    });
}

/// `eth_feeHistory`. Reward percentiles are computed from each block's receipts, weighted by gas
/// as geth does. (RPC output only: floats never reach consensus code.)
fn fee_history(
    ctx: &NodeContext,
    count: u64,
    newest: BlockNumberOrTag,
    percentiles: Option<Vec<f64>>,
) -> RpcResult<FeeHistory> {
    if let Some(p) = &percentiles
        && (p.iter().any(|v| !(0.0..=100.0).contains(v)) || p.windows(2).any(|w| w[0] > w[1]))
    {
        return Err(RpcError::InvalidParams("invalid reward percentiles".into()));
    }
    let (_, newest) = ctx.block_by_tag(newest)?.ok_or(RpcError::HeaderNotFound)?;
    let count = count.clamp(1, 1024).min(newest.number + 1);
    let oldest = newest.number + 1 - count;
    let mut history = FeeHistory { oldest_block: oldest, ..Default::default() };
    let mut rewards = Vec::new();
    for number in oldest..=newest.number {
        let hash = ctx.db().canonical_hash(number)?.ok_or(RpcError::HeaderNotFound)?;
        let header = ctx.db().header(hash)?.ok_or(RpcError::HeaderNotFound)?;
        history.base_fee_per_gas.push(u128::from(header.base_fee_per_gas.unwrap_or_default()));
        history.gas_used_ratio.push(if header.gas_limit == 0 {
            0.0
        } else {
            header.gas_used as f64 / header.gas_limit as f64
        });
        let blob_params = ctx.spec().blob_params_at_timestamp(header.timestamp);
        history.base_fee_per_blob_gas.push(
            blob_params
                .zip(header.excess_blob_gas)
                .map(|(params, excess)| params.calc_blob_fee(excess))
                .unwrap_or_default(),
        );
        history.blob_gas_used_ratio.push(match (blob_params, header.blob_gas_used) {
            (Some(params), Some(used)) if params.max_blob_gas_per_block() > 0 => {
                used as f64 / params.max_blob_gas_per_block() as f64
            }
            _ => 0.0,
        });
        if let Some(percentiles) = &percentiles {
            rewards.push(block_rewards(ctx, hash, &header, percentiles)?);
        }
        if number == newest.number {
            history.base_fee_per_gas.push(u128::from(
                ctx.spec().next_block_base_fee(&header, header.timestamp + 1).unwrap_or_default(),
            ));
            let next_blob =
                ctx.spec().blob_params_at_timestamp(header.timestamp + 1).map(|params| {
                    params.calc_blob_fee(params.next_block_excess_blob_gas_osaka(
                        header.excess_blob_gas.unwrap_or_default(),
                        header.blob_gas_used.unwrap_or_default(),
                        header.base_fee_per_gas.unwrap_or_default(),
                    ))
                });
            history.base_fee_per_blob_gas.push(next_blob.unwrap_or_default());
        }
    }
    if percentiles.is_some() {
        history.reward = Some(rewards);
    }
    Ok(history)
}

fn block_rewards(
    ctx: &NodeContext,
    hash: B256,
    header: &phala_primitives::Header,
    percentiles: &[f64],
) -> RpcResult<Vec<u128>> {
    let body = ctx.db().body(hash)?.unwrap_or_default();
    let receipts = ctx.db().receipts(hash)?.unwrap_or_default();
    if body.transactions.is_empty() {
        return Ok(vec![0; percentiles.len()]);
    }
    let mut tips: Vec<(u128, u64)> = body
        .transactions
        .iter()
        .zip(convert::gas_used_per_tx(&receipts))
        .map(|(tx, used)| {
            (
                tx.effective_tip_per_gas(header.base_fee_per_gas.unwrap_or_default())
                    .unwrap_or_default(),
                used,
            )
        })
        .collect();
    tips.sort_by_key(|(tip, _)| *tip);
    let total: u64 = tips.iter().map(|(_, used)| used).sum();
    Ok(percentiles
        .iter()
        .map(|percentile| {
            let threshold = (total as f64 * percentile / 100.0) as u64;
            let mut cumulative = 0;
            for (tip, used) in &tips {
                cumulative += used;
                if cumulative >= threshold {
                    return *tip;
                }
            }
            tips.last().map(|(tip, _)| *tip).unwrap_or_default()
        })
        .collect())
}

fn register_filters(module: &mut RpcModule<NodeContext>) {
    // The scan starts on the connection's task and, past `INLINE_LOGS_BUDGET`, goes on from
    // the same block on the blocking pool: a short query never pays the hand-off, and a long
    // one never holds the connection's worker past the budget.
    module
        .register_async_method("eth_getLogs", |p, ctx, _| async move {
            let run = async {
                let filter: Filter = parse(&p)?.next()?;
                let mut scan = filters::LogScan::new(&ctx, &filter)?;
                let deadline = std::time::Instant::now() + filters::INLINE_LOGS_BUDGET;
                if scan.run(&ctx, &filter, || std::time::Instant::now() >= deadline)? {
                    return Ok(scan.into_logs());
                }
                on_blocking_pool("eth_getLogs: the scan's task failed", move || {
                    scan.finish(&ctx, &filter)
                })
                .await
            };
            run.await.map_err(jsonrpsee::types::ErrorObjectOwned::from)
        })
        .expect("method names are unique");
    inline_method!(module, "eth_newFilter", |p, ctx| {
        let filter: Filter = parse(&p)?.next()?;
        filters::new_filter(ctx, filter)
    });
    inline_method!(module, "eth_newBlockFilter", |_p, ctx| filters::new_block_filter(ctx));
    inline_method!(module, "eth_newPendingTransactionFilter", |_p, ctx| {
        filters::new_pending_transaction_filter(ctx)
    });
    method!(module, "eth_getFilterChanges", |p, ctx| {
        let id: U256 = parse(&p)?.next()?;
        filters::filter_changes(&ctx, id)
    });
    method!(module, "eth_getFilterLogs", |p, ctx| {
        let id: U256 = parse(&p)?.next()?;
        filters::filter_logs(&ctx, id)
    });
    inline_method!(module, "eth_uninstallFilter", |p, ctx| {
        let id: U256 = parse(&p)?.next()?;
        Ok(filters::uninstall_filter(ctx, id))
    });
}

fn register_txpool(module: &mut RpcModule<NodeContext>) {
    inline_method!(module, "txpool_status", |_p, ctx| {
        let (pending, queued) = ctx.pool().status();
        Ok(json!({ "pending": U64::from(pending), "queued": U64::from(queued) }))
    });
    method!(module, "txpool_content", |_p, ctx| {
        let pool = ctx.pool();
        Ok(json!({
            "pending": pool_group(pool.pending(), None),
            "queued": pool_group(pool.queued(), None),
        }))
    });
    method!(module, "txpool_contentFrom", |p, ctx| {
        let address: Address = parse(&p)?.next()?;
        let pool = ctx.pool();
        Ok(json!({
            "pending": pool_group(pool.pending(), Some(address)).remove(&address).unwrap_or_default(),
            "queued": pool_group(pool.queued(), Some(address)).remove(&address).unwrap_or_default(),
        }))
    });
    method!(module, "txpool_inspect", |_p, ctx| {
        let pool = ctx.pool();
        let summarize = |group: BTreeMap<
            Address,
            BTreeMap<u64, std::sync::Arc<phala_pool::PooledTransaction>>,
        >| {
            group
                .into_iter()
                .map(|(sender, txs)| {
                    let txs: BTreeMap<String, String> = txs
                        .into_iter()
                        .map(|(nonce, pooled)| {
                            let tx = &pooled.tx;
                            let to = tx.to().map_or_else(
                                || "contract creation".to_string(),
                                |to| to.to_string(),
                            );
                            (
                                nonce.to_string(),
                                format!(
                                    "{to}: {} wei + {} gas × {} wei",
                                    tx.value(),
                                    tx.gas_limit(),
                                    tx.max_fee_per_gas()
                                ),
                            )
                        })
                        .collect();
                    (sender, txs)
                })
                .collect::<BTreeMap<_, _>>()
        };
        Ok(json!({ "pending": summarize(pool.pending()), "queued": summarize(pool.queued()) }))
    });
}

type PoolGroup = BTreeMap<Address, BTreeMap<String, convert::Transaction>>;

fn pool_group(
    group: BTreeMap<Address, BTreeMap<u64, std::sync::Arc<phala_pool::PooledTransaction>>>,
    only: Option<Address>,
) -> PoolGroup {
    group
        .into_iter()
        .filter(|(sender, _)| only.is_none_or(|only| only == *sender))
        .map(|(sender, txs)| {
            let txs = txs
                .into_iter()
                .map(|(nonce, pooled)| {
                    (
                        nonce.to_string(),
                        convert::rpc_transaction(pooled.tx.clone().into(), pooled.sender, None),
                    )
                })
                .collect();
            (sender, txs)
        })
        .collect()
}
