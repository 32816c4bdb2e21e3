//! `eth_simulateV1`: a chain of blocks of calls simulated on top of a stored block, with block
//! and state overrides, returned as full blocks with per-call results (execution-apis
//! `eth_simulateV1`, with geth's semantics).
//!
//! Key components:
//! - [`simulate`]: the handler.
//! - [`SimulateError`]: the errors it reports and their JSON-RPC codes.
//! - `plan_blocks`: block numbers and timestamps of the simulated chain, gaps filled.
//! - `CallLogTracer`: the logs of one call, with ERC-7528 ETH transfer logs when asked for.

use crate::call::{halt_message, invalid_tx_message};
use crate::{
    context::NodeContext,
    convert::rpc_block_with_senders,
    error::{RpcError, RpcResult, codes, revert_error},
};
use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, SignableTransaction, Transaction as _, TxEip1559, TxEip4844, TxEip7702,
    TxLegacy,
    proofs::{calculate_receipt_root, calculate_transaction_root},
};
use alloy_eips::{BlockId, eip4895::Withdrawals};
use alloy_evm::{
    Evm, FromRecoveredTx,
    block::{BlockExecutionError, BlockExecutor as _, BlockValidationError, TxResult as _},
    overrides::apply_state_overrides,
    precompiles::DynPrecompile,
};
use alloy_primitives::{Address, B256, Bytes, Log, LogData, Signature, TxKind, U256};
use alloy_rpc_types_eth::{
    BlockOverrides, Log as RpcLog, TransactionRequest,
    simulate::{SimBlock, SimCallResult, SimulatePayload, SimulatedBlock},
    state::StateOverride,
};
use phala_evm::{EvmConfig, PhalaTx, StateDatabase, state_changes};
use phala_primitives::{Block, BlockBody, EthereumHardforks, Header, PhalaTxEnvelope, TxEnvelope};
use phala_storage::StateWriter;
use revm::{
    Database as _, Inspector,
    context::{
        JournalTr, TxEnv,
        result::{ExecutionResult, InvalidTransaction},
    },
    context_interface::{ContextTr, block::BlobExcessGasAndPrice},
    database::{State, WrapDatabaseRef, states::bundle_state::BundleRetention},
    interpreter::{CallInputs, CallOutcome, CreateInputs, CreateOutcome},
};
use std::collections::BTreeMap;

/// Default spacing of simulated block timestamps, in seconds.
const TIMESTAMP_INCREMENT: u64 = 12;

/// Emitter of ERC-7528 ETH transfer logs.
const TRANSFER_LOG_EMITTER: Address = Address::new([0xee; 20]);

/// `Transfer(address,address,uint256)`.
const TRANSFER_EVENT_TOPIC: B256 =
    alloy_primitives::b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

/// The errors of `eth_simulateV1` that have their own JSON-RPC codes (execution-apis).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulateError {
    /// Nonce lower than the sender's.
    #[error("{0}")]
    NonceTooLow(String),
    /// Nonce higher than the sender's.
    #[error("{0}")]
    NonceTooHigh(String),
    /// Fee cap below the block's base fee.
    #[error("{0}")]
    BaseFeeTooLow(String),
    /// Gas limit below the intrinsic gas.
    #[error("{0}")]
    IntrinsicGas(String),
    /// The sender cannot pay for gas and value.
    #[error("{0}")]
    InsufficientFunds(String),
    /// The call does not fit in what is left of the block's gas.
    #[error("{0}")]
    BlockGasLimitReached(String),
    /// Block numbers do not increase.
    #[error("{0}")]
    BlockNumberOrder(String),
    /// Block timestamps do not increase.
    #[error("{0}")]
    BlockTimestampOrder(String),
    /// The sender has code.
    #[error("{0}")]
    SenderNotEoa(String),
    /// Init code too large.
    #[error("{0}")]
    InitCodeTooLarge(String),
    /// More blocks than the node simulates at once.
    #[error("too many blocks")]
    TooManyBlocks,
    /// Fee fields that contradict each other, or other bad call parameters.
    #[error("{0}")]
    InvalidParams(String),
    /// A transaction the EVM refused for another reason.
    #[error("{0}")]
    InvalidTransaction(String),
    /// A bad state override (geth reports these as plain server errors).
    #[error("{0}")]
    Override(String),
}

impl SimulateError {
    /// The JSON-RPC code.
    pub const fn code(&self) -> i32 {
        match self {
            Self::NonceTooLow(_) => -38010,
            Self::NonceTooHigh(_) => -38011,
            Self::BaseFeeTooLow(_) => -38012,
            Self::IntrinsicGas(_) => -38013,
            Self::InsufficientFunds(_) => -38014,
            Self::BlockGasLimitReached(_) => -38015,
            Self::BlockNumberOrder(_) => -38020,
            Self::BlockTimestampOrder(_) => -38021,
            Self::SenderNotEoa(_) => -38024,
            Self::InitCodeTooLarge(_) => -38025,
            Self::TooManyBlocks => -38026,
            Self::InvalidParams(_) => codes::INVALID_PARAMS,
            Self::InvalidTransaction(_) => codes::INTERNAL_ERROR,
            Self::Override(_) => codes::SERVER_ERROR,
        }
    }

    /// The error for a transaction the EVM refused, with geth's message.
    fn invalid_tx(error: &InvalidTransaction, caller: Address, gas: u64) -> Self {
        let message = format!("err: {} (supplied gas {gas})", invalid_tx_message(error, caller));
        match error {
            InvalidTransaction::NonceTooLow { .. } => Self::NonceTooLow(message),
            InvalidTransaction::NonceTooHigh { .. } => Self::NonceTooHigh(message),
            InvalidTransaction::GasPriceLessThanBasefee => Self::BaseFeeTooLow(message),
            InvalidTransaction::CallGasCostMoreThanGasLimit { .. } => Self::IntrinsicGas(message),
            InvalidTransaction::LackOfFundForMaxFee { .. }
            | InvalidTransaction::OverflowPaymentInTransaction => Self::InsufficientFunds(message),
            InvalidTransaction::RejectCallerWithCode => Self::SenderNotEoa(message),
            InvalidTransaction::CreateInitCodeSizeLimit => Self::InitCodeTooLarge(message),
            InvalidTransaction::PriorityFeeGreaterThanMaxFee => Self::InvalidParams(message),
            _ => Self::InvalidTransaction(message),
        }
    }
}

impl From<SimulateError> for RpcError {
    fn from(error: SimulateError) -> Self {
        Self::Custom { code: error.code(), message: error.to_string() }
    }
}

/// Number and timestamp of one simulated block, and which requested block it is (`None` for a
/// block that fills a gap in the numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlannedBlock {
    number: u64,
    timestamp: u64,
    request: Option<usize>,
}

/// Numbers and timestamps of the simulated chain on a base block: a missing number is the
/// parent's plus one, a missing timestamp the parent's plus 12 s; both must strictly increase,
/// and gaps in the numbers are filled with empty blocks.
fn plan_blocks(
    base_number: u64,
    base_timestamp: u64,
    requested: &[(Option<U256>, Option<u64>)],
    max_blocks: u64,
) -> Result<Vec<PlannedBlock>, SimulateError> {
    let mut planned = Vec::with_capacity(requested.len());
    let mut prev_number = base_number;
    let mut prev_timestamp = base_timestamp;
    for (index, (number, timestamp)) in requested.iter().enumerate() {
        let number = number.unwrap_or(U256::from(prev_number) + U256::from(1));
        if number <= U256::from(prev_number) {
            return Err(SimulateError::BlockNumberOrder(format!(
                "block numbers must be in order: {number} <= {prev_number}"
            )));
        }
        if number - U256::from(base_number) > U256::from(max_blocks) {
            return Err(SimulateError::TooManyBlocks);
        }
        // Within `max_blocks` of a u64, so it fits.
        let number: u64 = number.saturating_to();
        for gap in prev_number + 1..number {
            prev_timestamp = prev_timestamp.saturating_add(TIMESTAMP_INCREMENT);
            planned.push(PlannedBlock { number: gap, timestamp: prev_timestamp, request: None });
        }
        let timestamp = match timestamp {
            None => prev_timestamp.saturating_add(TIMESTAMP_INCREMENT),
            Some(timestamp) if *timestamp <= prev_timestamp => {
                return Err(SimulateError::BlockTimestampOrder(format!(
                    "block timestamps must be in order: {timestamp} <= {prev_timestamp}"
                )));
            }
            Some(timestamp) => *timestamp,
        };
        planned.push(PlannedBlock { number, timestamp, request: Some(index) });
        prev_number = number;
        prev_timestamp = timestamp;
    }
    Ok(planned)
}

/// The fields a simulated block takes from the one before it unless overridden.
#[derive(Debug, Clone)]
struct Inherited {
    beneficiary: Address,
    difficulty: U256,
    gas_limit: u64,
}

/// `eth_simulateV1`: simulates the blocks of `payload` on top of block `id`.
///
/// Each block's state overrides are applied before its system calls; calls see the state left
/// by the calls before them, across blocks. Nothing is written to the database. State roots are
/// computed over the latest state, so they are exact when `id` is the head.
pub fn simulate(
    ctx: &NodeContext,
    payload: SimulatePayload,
    id: BlockId,
) -> RpcResult<Vec<SimulatedBlock<crate::convert::RpcBlock>>> {
    let SimulatePayload {
        block_state_calls,
        trace_transfers,
        validation,
        return_full_transactions,
    } = payload;
    let max_blocks = ctx.limits().max_simulate_blocks;
    if block_state_calls.is_empty() {
        return Err(SimulateError::InvalidParams("empty input".into()).into());
    }
    if block_state_calls.len() as u64 > max_blocks {
        return Err(SimulateError::TooManyBlocks.into());
    }
    let (base_hash, base) = ctx.require_header(id)?;
    let requested: Vec<_> = block_state_calls
        .iter()
        .map(|block| {
            let overrides = block.block_overrides.as_ref();
            (overrides.and_then(|o| o.number), overrides.and_then(|o| o.time))
        })
        .collect();
    let plan = plan_blocks(base.number, base.timestamp, &requested, max_blocks)?;
    let mut requests: Vec<Option<SimBlock>> = block_state_calls.into_iter().map(Some).collect();

    let spec = ctx.spec();
    let mut state = State::builder()
        .with_database_ref(StateDatabase::with_code_cache(
            ctx.state_after(base_hash, &base)?,
            ctx.code_cache().clone(),
        ))
        .with_bundle_update()
        .build();
    // State roots: every block's changes applied over the base block's state (the trie unwound
    // to it) in a write set that is never committed.
    let mut root_writes = ctx.unwound_state(base.number)?;
    let mut gas_pool = ctx.limits().gas_cap;
    let mut parent_hash = base_hash;
    let mut parent = base.clone();
    let mut inherited = Inherited {
        beneficiary: base.beneficiary,
        difficulty: base.difficulty,
        gas_limit: base.gas_limit,
    };
    let mut out = Vec::with_capacity(plan.len());
    for planned in plan {
        let sim_block = planned.request.and_then(|index| requests.get_mut(index)?.take());
        let (block_overrides, state_overrides, calls) = match sim_block {
            Some(block) => (block.block_overrides, block.state_overrides, block.calls),
            None => (None, None, Vec::new()),
        };
        let header = block_header(
            ctx,
            &parent,
            parent_hash,
            planned,
            block_overrides.as_ref(),
            &mut inherited,
            validation,
        );
        let simulated = simulate_block(
            ctx,
            &mut state,
            header,
            block_overrides.as_ref(),
            state_overrides,
            calls,
            &mut gas_pool,
            validation,
            trace_transfers,
        )?;
        let SimulatedOutcome { mut header, transactions, senders, receipts_root, bloom, calls } =
            simulated;
        state.merge_transitions(BundleRetention::PlainState);
        let changes = state_changes(state.take_bundle());
        header.state_root =
            StateWriter::new(&mut root_writes).apply_state_changes(header.number, &changes)?;
        header.receipts_root = receipts_root;
        header.logs_bloom = bloom;
        let shanghai = spec.is_shanghai_active_at_timestamp(header.timestamp);
        let block = Block {
            header,
            body: BlockBody {
                transactions,
                ommers: Vec::new(),
                withdrawals: shanghai.then(|| Withdrawals::new(Vec::new())),
            },
        };
        let hash = block.header.hash_slow();
        state.block_hashes.insert(block.header.number, hash);
        let calls = calls
            .into_iter()
            .map(|mut call| {
                for log in &mut call.logs {
                    log.block_hash = Some(hash);
                }
                call
            })
            .collect();
        parent_hash = hash;
        parent = block.header.clone();
        out.push(SimulatedBlock {
            inner: rpc_block_with_senders(hash, block, &senders, return_full_transactions),
            calls,
        });
    }
    Ok(out)
}

/// The header of a simulated block before execution: overrides, or what the parent implies.
fn block_header(
    ctx: &NodeContext,
    parent: &Header,
    parent_hash: B256,
    planned: PlannedBlock,
    overrides: Option<&BlockOverrides>,
    inherited: &mut Inherited,
    validation: bool,
) -> Header {
    let spec = ctx.spec();
    let PlannedBlock { number, timestamp, .. } = planned;
    if let Some(overrides) = overrides {
        if let Some(coinbase) = overrides.coinbase {
            inherited.beneficiary = coinbase;
        }
        if let Some(difficulty) = overrides.difficulty {
            inherited.difficulty = difficulty;
        }
        if let Some(gas_limit) = overrides.gas_limit {
            inherited.gas_limit = gas_limit;
        }
    }
    let base_fee_per_gas = spec.is_london_active_at_block(number).then(|| {
        match overrides.and_then(|o| o.base_fee) {
            Some(base_fee) => base_fee.saturating_to(),
            // Without validation the base fee is zero, so calls without fees can run.
            None if validation => spec.next_block_base_fee(parent, timestamp).unwrap_or_default(),
            None => 0,
        }
    });
    let cancun = spec.is_cancun_active_at_timestamp(timestamp);
    let excess_blob_gas = cancun.then(|| {
        if !spec.is_cancun_active_at_timestamp(parent.timestamp) {
            return 0;
        }
        spec.blob_params_at_timestamp(timestamp)
            .map(|params| {
                params.next_block_excess_blob_gas_osaka(
                    parent.excess_blob_gas.unwrap_or_default(),
                    parent.blob_gas_used.unwrap_or_default(),
                    parent.base_fee_per_gas.unwrap_or_default(),
                )
            })
            .unwrap_or_default()
    });
    Header {
        parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: inherited.beneficiary,
        difficulty: inherited.difficulty,
        number,
        gas_limit: inherited.gas_limit,
        timestamp,
        mix_hash: overrides.and_then(|o| o.random).unwrap_or_default(),
        base_fee_per_gas,
        withdrawals_root: spec
            .is_shanghai_active_at_timestamp(timestamp)
            .then_some(alloy_trie::EMPTY_ROOT_HASH),
        parent_beacon_block_root: cancun.then_some(B256::ZERO),
        excess_blob_gas,
        blob_gas_used: cancun.then_some(0),
        requests_hash: None,
        ..Default::default()
    }
}

/// What executing one simulated block produced (the state root is computed afterwards).
struct SimulatedOutcome {
    header: Header,
    transactions: Vec<PhalaTxEnvelope>,
    senders: Vec<Address>,
    receipts_root: B256,
    bloom: alloy_primitives::Bloom,
    calls: Vec<SimCallResult>,
}

type SimState<'a> = State<WrapDatabaseRef<StateDatabase<crate::BlockState<'a>>>>;

/// Executes one block: state overrides, system calls, the calls, then the end-of-block system
/// calls (EIP-7002/7251 requests).
#[allow(clippy::too_many_arguments)]
fn simulate_block(
    ctx: &NodeContext,
    state: &mut SimState<'_>,
    mut header: Header,
    block_overrides: Option<&BlockOverrides>,
    state_overrides: Option<StateOverride>,
    calls: Vec<TransactionRequest>,
    gas_pool: &mut u64,
    validation: bool,
    trace_transfers: bool,
) -> RpcResult<SimulatedOutcome> {
    let spec = ctx.spec();
    let config = EvmConfig::new(spec.clone());
    let mut evm_env = config.evm_env(&header);
    let cfg = &mut evm_env.cfg_env;
    // The sender may have code even with validation (geth skips the EOA check too).
    cfg.disable_eip3607 = true;
    cfg.disable_nonce_check = !validation;
    cfg.disable_base_fee = !validation;
    // geth's simulate does not apply the EIP-7825 transaction gas cap (calls default to the
    // block's remaining gas).
    cfg.tx_gas_limit_cap = Some(u64::MAX);
    if let Some(blob_base_fee) = block_overrides.and_then(|o| o.blob_base_fee) {
        let excess_blob_gas = header.excess_blob_gas.unwrap_or_default();
        evm_env.block_env.blob_excess_gas_and_price = Some(BlobExcessGasAndPrice {
            excess_blob_gas,
            blob_gasprice: blob_base_fee.saturating_to(),
        });
    }
    if let Some(hashes) = block_overrides.and_then(|o| o.block_hash.clone()) {
        for (number, hash) in hashes {
            state.block_hashes.insert(number, hash);
        }
    }
    let tracer = CallLogTracer::new(trace_transfers);
    let mut evm = config.evm_with_inspector(&mut *state, evm_env, tracer);
    if let Some(overrides) = state_overrides {
        let keep_warm = apply_overrides(&mut evm, overrides)?;
        evm.inspector_mut().keep_warm = keep_warm;
    }
    evm.set_inspector_enabled(false);
    let cancun = spec.is_cancun_active_at_timestamp(header.timestamp);
    let shanghai = spec.is_shanghai_active_at_timestamp(header.timestamp);
    // The executor reads the block's header, ommers (none) and withdrawals (none).
    let frame = Block {
        header: header.clone(),
        body: BlockBody {
            transactions: Vec::new(),
            ommers: Vec::new(),
            withdrawals: shanghai.then(Default::default),
        },
    };
    let mut executor = config.block_executor(evm, &frame);
    executor.apply_pre_execution_changes().map_err(internal)?;

    let block_gas_limit = header.gas_limit;
    let mut block_gas_used = 0u64;
    let mut log_index = 0u64;
    let mut transactions = Vec::with_capacity(calls.len());
    let mut senders = Vec::with_capacity(calls.len());
    let mut results = Vec::with_capacity(calls.len());
    for (index, request) in calls.into_iter().enumerate() {
        let from = request.from.unwrap_or_default();
        let state_nonce = executor
            .evm_mut()
            .db_mut()
            .basic(from)
            .map_err(|err| RpcError::Internal(err.to_string()))?
            .map(|info| info.nonce)
            .unwrap_or_default();
        let nonce = request.nonce.unwrap_or(state_nonce);
        let remaining = block_gas_limit.saturating_sub(block_gas_used);
        let mut gas = request.gas.unwrap_or(remaining);
        if block_gas_used.saturating_add(gas) > block_gas_limit {
            return Err(SimulateError::BlockGasLimitReached(format!(
                "block gas limit reached: {block_gas_used} >= {block_gas_limit}"
            ))
            .into());
        }
        // The RPC gas cap is a pool shared by all calls of the simulation.
        gas = gas.min(*gas_pool);
        let tx = call_transaction(ctx, &request, nonce, gas, header.base_fee_per_gas.is_some())?;
        // Unsigned calls carry no L1 data fee, as in `eth_call`.
        let mut tx_env = PhalaTx::call(TxEnv::from_recovered_tx(&tx, from));
        let tx = PhalaTxEnvelope::from(tx);
        let tx_hash = *tx.tx_hash();
        if validation {
            // geth checks the nonce before fees, revm after; keep geth's order.
            check_nonce(nonce, state_nonce)
                .map_err(|error| SimulateError::invalid_tx(&error, from, gas))?;
        } else {
            // Unchecked nonces only matter to revm's overflow check, which geth skips here.
            tx_env.base_mut().nonce = 0;
        }
        executor.evm_mut().set_inspector_enabled(true);
        executor.evm_mut().inspector_mut().reset();
        let recovered = alloy_consensus::transaction::Recovered::new_unchecked(&tx, from);
        let output = executor.execute_transaction_without_commit((tx_env, recovered));
        executor.evm_mut().set_inspector_enabled(false);
        let output = output.map_err(|err| execution_error(err, from, gas))?;
        let result = output.result().result.clone();
        executor.commit_transaction(output).map_err(internal)?;
        if !validation && state_nonce == u64::MAX && tx.kind().is_call() {
            // Without nonce checks geth lets the nonce of a call wrap around.
            wrap_nonce(executor.evm_mut().db_mut(), from)?;
        }
        let gas_used = result.tx_gas_used();
        block_gas_used = block_gas_used.saturating_add(gas_used);
        *gas_pool = gas_pool.saturating_sub(gas_used);
        let tracer = executor.evm_mut().inspector_mut();
        let captured = tracer.captured;
        let logs = std::mem::take(&mut tracer.logs)
            .into_iter()
            .map(|(seq, inner)| RpcLog {
                inner,
                block_hash: None,
                block_number: Some(header.number),
                block_timestamp: Some(header.timestamp),
                transaction_hash: Some(tx_hash),
                transaction_index: Some(index as u64),
                log_index: Some(log_index + seq),
                removed: false,
            })
            .collect();
        log_index += captured;
        results.push(call_result(result, logs));
        transactions.push(tx);
        senders.push(from);
    }
    let (_, result) = executor.finish().map_err(internal)?;
    header.gas_used = result.gas_used;
    if cancun {
        header.blob_gas_used = Some(result.blob_gas_used);
    }
    if spec.is_prague_active_at_timestamp(header.timestamp) {
        header.requests_hash = Some(result.requests.requests_hash());
    }
    header.transactions_root = calculate_transaction_root(&transactions);
    let receipts_root = calculate_receipt_root(&result.receipts);
    let bloom = phala_chain::validation::receipts_bloom(&result.receipts);
    Ok(SimulatedOutcome { header, transactions, senders, receipts_root, bloom, calls: results })
}

type SimEvm<'s, 'a> = phala_evm::PhalaEvm<&'s mut SimState<'a>, CallLogTracer>;

/// Applies a block's state overrides the way geth does: a precompile that is overridden (or
/// moved with `movePrecompileToAddress`) stops being one at its address, and a moved precompile
/// answers at its new address for this block. As in geth, the fork's precompile addresses stay
/// warm and a new address stays cold; returns the addresses the tracer must keep warm.
fn apply_overrides(evm: &mut SimEvm<'_, '_>, overrides: StateOverride) -> RpcResult<Vec<Address>> {
    // Sorted, so that the outcome does not depend on hash-map order.
    let sorted: BTreeMap<Address, _> = overrides.into_iter().collect();
    let precompiles = evm.precompiles_mut();
    let original: Vec<Address> = precompiles.addresses().copied().collect();
    let mut moved: BTreeMap<Address, DynPrecompile> = BTreeMap::new();
    for (address, account) in &sorted {
        if moved.contains_key(address) {
            return Err(SimulateError::Override(format!(
                "account {address} has already been overridden by a precompile"
            ))
            .into());
        }
        let mut current = None;
        if let Some(precompile) = moved.get(address) {
            current = Some(precompile.clone());
        } else if original.contains(address) {
            precompiles.apply_precompile(address, |existing| {
                current = existing.clone();
                existing
            });
        }
        if let Some(destination) = account.move_precompile_to {
            let Some(precompile) = current.clone() else {
                return Err(SimulateError::Override(format!(
                    "account {address} is not a precompile"
                ))
                .into());
            };
            if sorted.contains_key(&destination) {
                return Err(SimulateError::Override(format!(
                    "account {destination} is already overridden"
                ))
                .into());
            }
            // Served through the lookup, which revm treats as cold, as geth does.
            precompiles.apply_precompile(&destination, |_| None);
            moved.insert(destination, precompile);
        }
        if current.is_some() {
            precompiles.apply_precompile(address, |_| None);
            moved.remove(address);
        }
    }
    if !moved.is_empty() {
        precompiles.set_precompile_lookup(move |address: &Address| moved.get(address).cloned());
    }
    let still: Vec<Address> = precompiles.addresses().copied().collect();
    let keep_warm = original.into_iter().filter(|address| !still.contains(address)).collect();
    let overrides: StateOverride = sorted.into_iter().collect();
    apply_state_overrides(overrides, evm.db_mut())
        .map_err(|err| RpcError::InvalidParams(err.to_string()))?;
    Ok(keep_warm)
}

/// The transaction a call stands for, as geth builds it: EIP-1559 unless a gas price (legacy),
/// blob hashes (EIP-4844) or an authorization list (EIP-7702) says otherwise, with missing fees
/// zero and an all-zero signature.
fn call_transaction(
    ctx: &NodeContext,
    request: &TransactionRequest,
    nonce: u64,
    gas_limit: u64,
    london: bool,
) -> RpcResult<TxEnvelope> {
    let chain_id = ctx.spec().chain_id;
    if let Some(have) = request.chain_id
        && have != chain_id
    {
        return Err(SimulateError::Override(format!(
            "chainId does not match node's (have={have}, want={chain_id})"
        ))
        .into());
    }
    if request.gas_price.is_some()
        && (request.max_fee_per_gas.is_some() || request.max_priority_fee_per_gas.is_some())
    {
        return Err(SimulateError::InvalidParams(
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified".into(),
        )
        .into());
    }
    let input = request
        .input
        .clone()
        .try_into_unique_input()
        .map_err(|err| SimulateError::InvalidParams(err.to_string()))?
        .unwrap_or_default();
    let to = request.to.unwrap_or(TxKind::Create);
    let value = request.value.unwrap_or_default();
    let access_list = request.access_list.clone().unwrap_or_default();
    let max_fee_per_gas = request.max_fee_per_gas.unwrap_or_default();
    let max_priority_fee_per_gas = request.max_priority_fee_per_gas.unwrap_or_default();
    let signature = Signature::new(U256::ZERO, U256::ZERO, false);
    let call_to = |what: &str| match to {
        TxKind::Call(to) => Ok(to),
        TxKind::Create => Err(RpcError::from(SimulateError::InvalidParams(format!(
            "{what} transactions cannot create contracts"
        )))),
    };
    let tx: TxEnvelope = if request.gas_price.is_some() || !london {
        TxLegacy {
            chain_id: None,
            nonce,
            gas_price: request.gas_price.unwrap_or_default(),
            gas_limit,
            to,
            value,
            input,
        }
        .into_signed(signature)
        .into()
    } else if let Some(authorization_list) = request.authorization_list.clone() {
        TxEip7702 {
            chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas,
            max_priority_fee_per_gas,
            to: call_to("set-code")?,
            value,
            access_list,
            authorization_list,
            input,
        }
        .into_signed(signature)
        .into()
    } else if let Some(blob_versioned_hashes) = request.blob_versioned_hashes.clone() {
        TxEip4844 {
            chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas,
            max_priority_fee_per_gas,
            to: call_to("blob")?,
            value,
            access_list,
            blob_versioned_hashes,
            max_fee_per_blob_gas: request.max_fee_per_blob_gas.unwrap_or_default(),
            input,
        }
        .into_signed(signature)
        .into()
    } else {
        TxEip1559 {
            chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas,
            max_priority_fee_per_gas,
            to,
            value,
            access_list,
            input,
        }
        .into_signed(signature)
        .into()
    };
    Ok(tx)
}

/// Sets the nonce of `address` to zero, as geth's unchecked `nonce + 1` does at the maximum.
fn wrap_nonce(db: &mut SimState<'_>, address: Address) -> RpcResult<()> {
    use revm::DatabaseCommit as _;
    let Some(mut info) = db.basic(address).map_err(internal)? else { return Ok(()) };
    info.nonce = 0;
    let mut account = revm::state::Account::from(info);
    account.mark_touch();
    db.commit(std::iter::once((address, account)).collect());
    Ok(())
}

/// geth's nonce checks, in its order: too high, too low, then at the maximum.
const fn check_nonce(tx: u64, state: u64) -> Result<(), InvalidTransaction> {
    if tx > state {
        Err(InvalidTransaction::NonceTooHigh { tx, state })
    } else if tx < state {
        Err(InvalidTransaction::NonceTooLow { tx, state })
    } else if state == u64::MAX {
        Err(InvalidTransaction::NonceOverflowInTransaction)
    } else {
        Ok(())
    }
}

/// The per-call result: output, logs, gas and, for a failure, the error geth reports.
fn call_result(
    result: ExecutionResult<phala_evm::OpHaltReason>,
    logs: Vec<RpcLog>,
) -> SimCallResult {
    use alloy_rpc_types_eth::simulate::SimulateError as CallError;
    let gas_used = result.tx_gas_used();
    let max_used_gas = Some(result.gas().total_gas_spent().max(gas_used));
    // geth returns no data and no logs for a failed call; the revert data is in the error.
    let failed = |error| SimCallResult {
        return_data: Bytes::new(),
        logs: Vec::new(),
        gas_used,
        max_used_gas,
        status: false,
        error: Some(error),
    };
    match result {
        ExecutionResult::Success { output, .. } => SimCallResult {
            return_data: output.into_data(),
            logs,
            gas_used,
            max_used_gas,
            status: true,
            error: None,
        },
        ExecutionResult::Revert { output, .. } => failed(CallError {
            code: CallError::EXECUTION_REVERTED_CODE,
            message: revert_error(output.clone()).to_string(),
            data: Some(output),
        }),
        ExecutionResult::Halt { reason, .. } => failed(CallError {
            code: CallError::VM_EXECUTION_ERROR_CODE,
            message: halt_message(&reason),
            data: None,
        }),
    }
}

/// Maps a refused call to the simulate error geth gives.
fn execution_error(error: BlockExecutionError, caller: Address, gas: u64) -> RpcError {
    match error {
        BlockExecutionError::Validation(BlockValidationError::InvalidTx { error, .. }) => {
            match error.as_invalid_tx_err() {
                Some(invalid) => SimulateError::invalid_tx(invalid, caller, gas).into(),
                None => {
                    SimulateError::InvalidTransaction(format!("err: {error} (supplied gas {gas})"))
                        .into()
                }
            }
        }
        BlockExecutionError::Validation(
            BlockValidationError::TransactionGasLimitMoreThanAvailableBlockGas {
                transaction_gas_limit,
                block_available_gas,
            },
        ) => SimulateError::BlockGasLimitReached(format!(
            "block gas limit reached: {transaction_gas_limit} >= {block_available_gas}"
        ))
        .into(),
        other => internal(other),
    }
}

fn internal(error: impl std::fmt::Display) -> RpcError {
    RpcError::Internal(error.to_string())
}

/// Collects the logs of one call as geth's simulate tracer does: logs of frames that fail are
/// dropped, and with `trace_transfers` every ETH transfer adds an ERC-7528 log in order.
#[derive(Debug, Default)]
struct CallLogTracer {
    trace_transfers: bool,
    /// Kept logs, each with its position among all logs captured in the call (geth numbers
    /// logs as they are captured, so dropped ones still use up an index).
    logs: Vec<(u64, Log)>,
    /// Logs captured in this call, kept or not.
    captured: u64,
    /// Number of logs when each open frame started.
    frames: Vec<usize>,
    /// For each open create frame, the index of its transfer log (its address is known only at
    /// the end).
    creates: Vec<Option<usize>>,
    /// Former precompile addresses that stay warm, as the fork's precompiles are in geth.
    keep_warm: Vec<Address>,
}

impl CallLogTracer {
    const fn new(trace_transfers: bool) -> Self {
        Self {
            trace_transfers,
            logs: Vec::new(),
            captured: 0,
            frames: Vec::new(),
            creates: Vec::new(),
            keep_warm: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.logs.clear();
        self.captured = 0;
        self.frames.clear();
        self.creates.clear();
    }

    fn push_transfer(&mut self, from: Address, to: Address, value: U256) -> Option<usize> {
        if !self.trace_transfers || value.is_zero() {
            return None;
        }
        self.capture(transfer_log(from, to, value));
        Some(self.logs.len() - 1)
    }

    fn capture(&mut self, log: Log) {
        self.logs.push((self.captured, log));
        self.captured += 1;
    }

    /// Warms the former precompiles when the transaction's first frame starts.
    fn start_frame<CTX: ContextTr>(&mut self, context: &mut CTX) {
        if self.frames.is_empty() {
            for address in &self.keep_warm {
                // A failed load only leaves the address cold.
                let _ = context.journal_mut().load_account(*address);
            }
        }
        self.frames.push(self.logs.len());
    }

    fn end_frame(&mut self, success: bool) {
        let start = self.frames.pop().unwrap_or_default();
        if !success {
            self.logs.truncate(start);
        }
    }
}

/// An ERC-7528 `Transfer(from, to, value)` log.
fn transfer_log(from: Address, to: Address, value: U256) -> Log {
    Log {
        address: TRANSFER_LOG_EMITTER,
        data: LogData::new_unchecked(
            vec![TRANSFER_EVENT_TOPIC, from.into_word(), to.into_word()],
            Bytes::from(value.to_be_bytes::<32>().to_vec()),
        ),
    }
}

impl<CTX: ContextTr> Inspector<CTX> for CallLogTracer {
    fn log(&mut self, _context: &mut CTX, log: Log) {
        self.capture(log);
    }

    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.start_frame(context);
        if let Some(value) = inputs.transfer_value() {
            self.push_transfer(inputs.transfer_from(), inputs.transfer_to(), value);
        }
        None
    }

    fn call_end(&mut self, _context: &mut CTX, _inputs: &CallInputs, outcome: &mut CallOutcome) {
        self.end_frame(outcome.instruction_result().is_ok());
    }

    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.start_frame(context);
        let index = self.push_transfer(inputs.caller(), Address::ZERO, inputs.value());
        self.creates.push(index);
        None
    }

    fn create_end(
        &mut self,
        _context: &mut CTX,
        _inputs: &CreateInputs,
        outcome: &mut CreateOutcome,
    ) {
        let success = outcome.instruction_result().is_ok();
        if let Some(Some(index)) = self.creates.pop()
            && let Some(address) = outcome.address
            && let Some((_, log)) = self.logs.get_mut(index)
            && let Some(from) = log.topics().get(1).map(|word| Address::from_word(*word))
        {
            *log = transfer_log(from, address, U256::from_be_slice(&log.data.data));
        }
        self.end_frame(success);
    }

    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        self.push_transfer(contract, target, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(requested: &[(Option<u64>, Option<u64>)]) -> Result<Vec<(u64, u64)>, SimulateError> {
        let requested: Vec<_> =
            requested.iter().map(|(number, time)| (number.map(U256::from), *time)).collect();
        plan_blocks(45, 450, &requested, 256)
            .map(|blocks| blocks.into_iter().map(|b| (b.number, b.timestamp)).collect())
    }

    #[test]
    fn defaults_follow_the_parent() {
        assert_eq!(plan(&[(None, None), (None, None)]).unwrap(), vec![(46, 462), (47, 474)]);
        assert_eq!(plan(&[(None, Some(500)), (None, None)]).unwrap(), vec![(46, 500), (47, 512)]);
    }

    #[test]
    fn gaps_are_filled_with_empty_blocks() {
        let blocks = plan_blocks(45, 450, &[(Some(U256::from(48)), None)], 256).unwrap();
        assert_eq!(
            blocks,
            vec![
                PlannedBlock { number: 46, timestamp: 462, request: None },
                PlannedBlock { number: 47, timestamp: 474, request: None },
                PlannedBlock { number: 48, timestamp: 486, request: Some(0) },
            ]
        );
    }

    #[test]
    fn numbers_and_timestamps_must_increase() {
        assert_eq!(plan(&[(Some(45), None)]).unwrap_err().code(), -38020);
        assert_eq!(plan(&[(Some(50), None), (Some(49), None)]).unwrap_err().code(), -38020);
        assert_eq!(plan(&[(None, Some(450))]).unwrap_err().code(), -38021);
        assert_eq!(plan(&[(None, Some(470)), (None, Some(470))]).unwrap_err().code(), -38021);
        // A filled gap advances the timestamp too.
        assert_eq!(plan(&[(Some(50), Some(460))]).unwrap_err().code(), -38021);
    }

    #[test]
    fn too_many_blocks() {
        assert_eq!(plan(&[(Some(45 + 256), None)]).unwrap().len(), 256);
        assert_eq!(plan(&[(Some(45 + 257), None)]).unwrap_err(), SimulateError::TooManyBlocks);
        let huge = plan_blocks(45, 450, &[(Some(U256::MAX), None)], 256);
        assert_eq!(huge.unwrap_err().code(), -38026);
    }

    #[test]
    fn invalid_tx_codes_match_geth() {
        let caller = Address::ZERO;
        let code = |error: InvalidTransaction| SimulateError::invalid_tx(&error, caller, 0).code();
        assert_eq!(code(InvalidTransaction::NonceTooLow { tx: 0, state: 1 }), -38010);
        assert_eq!(code(InvalidTransaction::NonceTooHigh { tx: 2, state: 1 }), -38011);
        assert_eq!(code(InvalidTransaction::GasPriceLessThanBasefee), -38012);
        assert_eq!(
            code(InvalidTransaction::CallGasCostMoreThanGasLimit {
                initial_gas: 21_000,
                gas_limit: 0
            }),
            -38013
        );
        assert_eq!(
            code(InvalidTransaction::LackOfFundForMaxFee {
                fee: Box::new(U256::from(1)),
                balance: Box::new(U256::ZERO)
            }),
            -38014
        );
        assert_eq!(code(InvalidTransaction::PriorityFeeGreaterThanMaxFee), -32602);
        assert_eq!(code(InvalidTransaction::NonceOverflowInTransaction), -32603);
    }

    #[test]
    fn failed_frames_lose_their_logs() {
        let mut tracer = CallLogTracer::new(true);
        tracer.frames.push(0);
        tracer.push_transfer(Address::ZERO, Address::repeat_byte(1), U256::from(5));
        tracer.frames.push(tracer.logs.len());
        tracer.push_transfer(Address::repeat_byte(1), Address::repeat_byte(2), U256::from(1));
        tracer.end_frame(false);
        assert_eq!(tracer.logs.len(), 1);
        assert_eq!(tracer.logs[0].1.address, TRANSFER_LOG_EMITTER);
        assert_eq!(tracer.logs[0].1.topics()[2], Address::repeat_byte(1).into_word());
        assert_eq!(tracer.captured, 2);
        // Zero-value transfers are not logged.
        assert_eq!(tracer.push_transfer(Address::ZERO, Address::ZERO, U256::ZERO), None);
        tracer.end_frame(false);
        assert!(tracer.logs.is_empty());
    }
}
