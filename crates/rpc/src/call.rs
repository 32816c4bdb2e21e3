//! `eth_call`, `eth_estimateGas` and `eth_createAccessList`: a transaction request executed on
//! the state of a block, with state and block overrides, and nothing written.

use crate::{
    context::NodeContext,
    error::{RpcError, RpcResult, revert_error},
};
use alloy_eips::BlockId;
use alloy_evm::{
    Evm, EvmEnv,
    overrides::{OverrideBlockHashes, apply_state_overrides},
    rpc::TryIntoTxEnv,
};
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_rpc_types_eth::{
    AccessListResult, BlockOverrides, TransactionRequest, state::StateOverride,
};
use phala_evm::{
    EvmConfig, OpHaltReason, OpTransactionError, PhalaEvmError, PhalaTx, StateDatabase,
};
use phala_primitives::Header;
use revm::{
    Inspector,
    context::{
        TxEnv,
        result::{EVMError, ExecutionResult, HaltReason, InvalidTransaction, ResultAndState},
    },
    database::CacheDB,
    database_interface::DatabaseRef,
    interpreter::{
        CallInputs, CallOutcome, CreateInputs, CreateOutcome, InstructionResult, Interpreter,
    },
};
use revm_inspectors::access_list::AccessListInspector;
use std::time::{Duration, Instant};

/// The database calls run on: block state plus an in-memory overlay for overrides.
pub type CallDb<'a> = CacheDB<StateDatabase<crate::BlockState<'a>>>;

/// A block's state and EVM environment, ready for calls.
#[derive(Debug)]
pub struct CallSetup<'a> {
    /// The block the call runs on.
    pub header: Header,
    /// State and overrides.
    pub db: CallDb<'a>,
    /// Fork rules and block fields.
    pub evm_env: EvmEnv,
    /// Builds the EVM with the chain's rules and precompiles.
    pub config: EvmConfig,
    /// The fork's per-transaction gas cap (EIP-7825 from Osaka; `u64::MAX` before), which
    /// calls themselves are not held to.
    pub fork_tx_gas_cap: u64,
}

/// State and environment of block `id` with `overrides` applied, with the relaxations calls
/// get (no nonce check, calls from contracts allowed, no block gas limit, no per-transaction
/// gas cap).
pub fn setup<'a>(
    ctx: &'a NodeContext,
    id: BlockId,
    state_overrides: Option<StateOverride>,
    block_overrides: Option<BlockOverrides>,
) -> RpcResult<CallSetup<'a>> {
    let (_, header, state) = ctx.state_at(id)?;
    let config = EvmConfig::new(ctx.spec().clone());
    let mut evm_env = config.evm_env(&header);
    let fork_tx_gas_cap = revm::context::Cfg::tx_gas_limit_cap(&evm_env.cfg_env);
    let cfg = &mut evm_env.cfg_env;
    cfg.disable_nonce_check = true;
    cfg.disable_eip3607 = true;
    cfg.disable_block_gas_limit = true;
    // geth, reth and anvil run calls with any `gas` under Osaka's EIP-7825 cap (tools send large
    // limits on calls); only a default limit and eth_estimateGas's answer respect the cap.
    cfg.tx_gas_limit_cap = Some(u64::MAX);
    let mut db = CacheDB::new(StateDatabase::with_code_cache(state, ctx.code_cache().clone()));
    if let Some(overrides) = block_overrides {
        db.apply_block_overrides(overrides, &mut evm_env.block_env);
    }
    if let Some(overrides) = state_overrides {
        apply_state_overrides(overrides, &mut db)
            .map_err(|err| RpcError::InvalidParams(err.to_string()))?;
    }
    Ok(CallSetup { header, db, evm_env, config, fork_tx_gas_cap })
}

/// Turns a request into the transaction environment: fees checked against the block, a missing
/// gas limit set to the cap (or what the sender can pay for), a missing nonce read from state.
pub fn tx_env(
    ctx: &NodeContext,
    setup: &mut CallSetup<'_>,
    mut request: TransactionRequest,
) -> RpcResult<TxEnv> {
    let gas_cap = ctx.limits().gas_cap;
    let no_fee_fields = request.gas_price.is_none()
        && request.max_fee_per_gas.is_none()
        && request.max_priority_fee_per_gas.is_none();
    // geth lets calls without a price run at price zero whatever the base fee.
    setup.evm_env.cfg_env.disable_base_fee = no_fee_fields;
    if no_fee_fields {
        setup.evm_env.block_env.basefee = 0;
    }
    let caller = request.from.unwrap_or_default();
    if request.nonce.is_none() {
        let nonce = setup
            .db
            .basic_ref(caller)
            .map_err(|err| RpcError::Internal(err.to_string()))?
            .map(|info| info.nonce)
            .unwrap_or_default();
        request.nonce = Some(nonce);
    }
    let requested_gas = request.gas;
    // Without an explicit limit, the cap is the node's gas cap and the fork's per-tx cap
    // (EIP-7825 from Osaka).
    let fork_cap = setup.fork_tx_gas_cap;
    request.gas = Some(requested_gas.unwrap_or(gas_cap.min(fork_cap)).min(gas_cap));
    let mut env = request
        .try_into_tx_env(&setup.evm_env)
        .map_err(|err| RpcError::InvalidParams(err.to_string()))?;
    if requested_gas.is_none() && env.gas_price > 0 {
        // Without an explicit limit, use what the caller's balance pays for.
        let balance = setup
            .db
            .basic_ref(caller)
            .map_err(|err| RpcError::Internal(err.to_string()))?
            .map(|info| info.balance)
            .unwrap_or_default();
        let available = balance.saturating_sub(env.value) / U256::from(env.gas_price);
        env.gas_limit = env.gas_limit.min(available.saturating_to());
    }
    Ok(env)
}

/// The result of a call: OP's halt reasons wrap Ethereum's.
pub type CallResult = ResultAndState<OpHaltReason>;

/// Runs `tx` on the setup's state without committing.
pub fn transact(setup: &mut CallSetup<'_>, tx: TxEnv) -> RpcResult<CallResult> {
    let mut evm = setup.config.evm(&mut setup.db, setup.evm_env.clone());
    let caller = tx.caller;
    evm.transact(PhalaTx::call(tx)).map_err(|err| evm_error(err, caller))
}

/// geth's message for a transaction the EVM refused to run.
pub fn invalid_tx_message(error: &InvalidTransaction, caller: Address) -> String {
    match error {
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
            format!(
                "insufficient funds for gas * price + value: address {caller} have {balance} want {fee}"
            )
        }
        InvalidTransaction::NonceTooLow { tx, state } => {
            format!("nonce too low: address {caller}, tx: {tx} state: {state}")
        }
        InvalidTransaction::NonceTooHigh { tx, state } => {
            format!("nonce too high: address {caller}, tx: {tx} state: {state}")
        }
        InvalidTransaction::NonceOverflowInTransaction => {
            format!("nonce has max value: address {caller}, nonce: {}", u64::MAX)
        }
        InvalidTransaction::GasPriceLessThanBasefee => {
            "max fee per gas less than block base fee".to_string()
        }
        InvalidTransaction::CallGasCostMoreThanGasLimit { initial_gas, gas_limit } => {
            format!("intrinsic gas too low: have {gas_limit}, want {initial_gas}")
        }
        InvalidTransaction::GasFloorMoreThanGasLimit { gas_floor, gas_limit } => {
            format!("insufficient gas for floor data gas cost: have {gas_limit}, want {gas_floor}")
        }
        InvalidTransaction::RejectCallerWithCode => {
            format!("sender not an eoa: address {caller}")
        }
        InvalidTransaction::PriorityFeeGreaterThanMaxFee => {
            "max priority fee per gas higher than max fee per gas".to_string()
        }
        other => other.to_string(),
    }
}

/// geth's message for a halted (not reverted) execution.
pub fn halt_message(reason: &OpHaltReason) -> String {
    use revm::context::result::OutOfGasError;
    let reason = match reason {
        OpHaltReason::Base(reason) => reason,
        OpHaltReason::FailedDeposit => return "failed deposit".to_string(),
    };
    match reason {
        HaltReason::OutOfGas(OutOfGasError::InvalidOperand) => "invalid operand".to_string(),
        HaltReason::OutOfGas(_) => "out of gas".to_string(),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".to_string(),
        HaltReason::StackUnderflow => "stack underflow".to_string(),
        HaltReason::StackOverflow => "stack limit reached 1024".to_string(),
        HaltReason::InvalidJump => "invalid jump destination".to_string(),
        HaltReason::CallTooDeep => "max call depth exceeded".to_string(),
        HaltReason::OutOfFunds => "insufficient balance for transfer".to_string(),
        HaltReason::CreateCollision => "contract address collision".to_string(),
        HaltReason::CreateContractSizeLimit => "max code size exceeded".to_string(),
        HaltReason::CreateContractStartingWithEF => {
            "invalid code: must not begin with 0xef".to_string()
        }
        HaltReason::CreateInitCodeSizeLimit => "max initcode size exceeded".to_string(),
        HaltReason::NonceOverflow => "nonce uint64 overflow".to_string(),
        HaltReason::StateChangeDuringStaticCall => "write protection".to_string(),
        HaltReason::PrecompileError | HaltReason::PrecompileErrorWithContext(_) => {
            "precompiled contract failed".to_string()
        }
        other => format!("{other:?}"),
    }
}

fn evm_error<E: std::fmt::Display>(error: PhalaEvmError<E>, caller: Address) -> RpcError {
    match error {
        EVMError::Transaction(invalid) => match invalid.0 {
            OpTransactionError::Base(invalid) => {
                RpcError::server(invalid_tx_message(&invalid, caller))
            }
            other => RpcError::server(other.to_string()),
        },
        EVMError::Header(header) => RpcError::server(header.to_string()),
        EVMError::Database(db) => RpcError::Internal(db.to_string()),
        EVMError::Custom(message) => RpcError::Internal(message),
        EVMError::CustomAny(other) => RpcError::Internal(other.to_string()),
    }
}

/// The output of a successful call, or the geth error for a revert or halt.
pub fn call_output(result: ExecutionResult<OpHaltReason>) -> RpcResult<Bytes> {
    match result {
        ExecutionResult::Success { output, .. } => Ok(output.into_data()),
        ExecutionResult::Revert { output, .. } => Err(revert_error(output)),
        ExecutionResult::Halt { reason, .. } => Err(RpcError::server(halt_message(&reason))),
    }
}

/// `eth_call`.
pub fn call(
    ctx: &NodeContext,
    request: TransactionRequest,
    id: BlockId,
    state_overrides: Option<StateOverride>,
    block_overrides: Option<BlockOverrides>,
) -> RpcResult<Bytes> {
    let mut setup = setup(ctx, id, state_overrides, block_overrides)?;
    let tx = tx_env(ctx, &mut setup, request)?;
    call_output(transact(&mut setup, tx)?.result)
}

/// How long an `eth_call` may run on the connection's task before it is stopped and run again
/// on the blocking pool. Most calls (a `balanceOf`, a quote) finish well inside it, and for them
/// the hand-off to the pool (two thread wake-ups) costs more than the call; a call stopped at
/// the deadline has wasted at most this much.
pub const INLINE_CALL_BUDGET: Duration = Duration::from_micros(250);

/// [`call`] that gives up once it has run for `budget`: `None` then, and nothing of the attempt
/// is kept (calls write nothing), so running [`call`] again answers as if this never ran.
pub fn call_within(
    ctx: &NodeContext,
    request: TransactionRequest,
    id: BlockId,
    state_overrides: Option<StateOverride>,
    block_overrides: Option<BlockOverrides>,
    budget: Duration,
) -> Option<RpcResult<Bytes>> {
    let started = Instant::now();
    let run = || -> RpcResult<Option<Bytes>> {
        let mut setup = setup(ctx, id, state_overrides, block_overrides)?;
        let tx = tx_env(ctx, &mut setup, request)?;
        let caller = tx.caller;
        let mut deadline = Deadline::new(started, budget);
        let outcome = {
            let mut evm = setup.config.evm_with_inspector(
                &mut setup.db,
                setup.evm_env.clone(),
                &mut deadline,
            );
            evm.transact(PhalaTx::call(tx))
        };
        if deadline.passed {
            return Ok(None);
        }
        call_output(outcome.map_err(|err| evm_error(err, caller))?.result).map(Some)
    };
    run().transpose()
}

/// Stops execution once `budget` has passed since `started`: every frame halts out of gas at
/// its next instruction and new frames do not start, so a stopped call unwinds at once. The
/// clock is read every [`Deadline::CHECK_EVERY`] instructions and at each call or create.
struct Deadline {
    started: Instant,
    budget: Duration,
    steps: u32,
    passed: bool,
}

impl Deadline {
    const CHECK_EVERY: u32 = 256;

    const fn new(started: Instant, budget: Duration) -> Self {
        Self { started, budget, steps: 0, passed: false }
    }

    fn check(&mut self) -> bool {
        if !self.passed && self.started.elapsed() > self.budget {
            self.passed = true;
        }
        self.passed
    }
}

impl<CTX> Inspector<CTX> for Deadline {
    fn step(&mut self, interp: &mut Interpreter, _context: &mut CTX) {
        self.steps = self.steps.wrapping_add(1);
        if (self.passed || self.steps.is_multiple_of(Self::CHECK_EVERY)) && self.check() {
            interp.halt(InstructionResult::OutOfGas);
        }
    }

    fn call(&mut self, _context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.check()
            .then(|| CallOutcome::new_oog(inputs.gas_limit, inputs.return_memory_offset.clone()))
    }

    fn create(&mut self, _context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.check().then(|| CreateOutcome::new_oog(inputs.gas_limit()))
    }
}

/// `eth_estimateGas`: the smallest gas limit at which the call succeeds, searched the way geth
/// does (a first run at the cap, an optimistic guess, then bisection to within 1.5%).
pub fn estimate_gas(
    ctx: &NodeContext,
    request: TransactionRequest,
    id: BlockId,
    state_overrides: Option<StateOverride>,
) -> RpcResult<u64> {
    let mut setup = setup(ctx, id, state_overrides, None)?;
    let block_gas_limit = setup.evm_env.block_env.gas_limit;
    let requested = request.gas;
    let mut tx = tx_env(ctx, &mut setup, request)?;
    let mut hi = match requested {
        Some(gas) if gas >= 21_000 => gas,
        _ => block_gas_limit.min(tx.gas_limit.max(21_000)),
    };
    hi = hi.min(tx.gas_limit.max(21_000)).min(ctx.limits().gas_cap);
    // A transaction can never use more than the fork's cap, so the search starts there.
    hi = hi.min(setup.fork_tx_gas_cap);

    // A plain transfer to an account without code costs exactly 21000.
    if let TxKind::Call(to) = tx.kind
        && tx.data.is_empty()
        && tx.authorization_list.is_empty()
    {
        let code_empty = setup
            .db
            .basic_ref(to)
            .map_err(|err| RpcError::Internal(err.to_string()))?
            .is_none_or(|info| info.is_empty_code_hash());
        if code_empty {
            tx.gas_limit = 21_000;
            if let Ok(outcome) = transact(&mut setup, tx.clone())
                && outcome.result.is_success()
            {
                return Ok(21_000);
            }
        }
    }

    tx.gas_limit = hi;
    let first = transact(&mut setup, tx.clone())?.result;
    let (used, refunded) = match &first {
        ExecutionResult::Success { gas, .. } => (first.tx_gas_used(), gas.inner_refunded()),
        ExecutionResult::Revert { output, .. } => return Err(revert_error(output.clone())),
        ExecutionResult::Halt { reason, .. } => {
            return Err(RpcError::server(format!(
                "gas required exceeds allowance ({hi}): {}",
                halt_message(reason)
            )));
        }
    };
    let mut lo = used.saturating_sub(1);
    let optimistic = (used + refunded + 2_300) * 64 / 63;
    if optimistic < hi {
        tx.gas_limit = optimistic;
        if succeeds(&mut setup, &tx)? {
            hi = optimistic;
        } else {
            lo = optimistic;
        }
    }
    while lo + 1 < hi {
        // Stop within 1.5% of the answer, as geth does (integer form of (hi-lo)/hi < 0.015).
        if (hi - lo) * 1000 < hi * 15 {
            break;
        }
        let mut mid = lo + (hi - lo) / 2;
        if mid > lo.saturating_mul(2) {
            mid = lo * 2;
        }
        tx.gas_limit = mid;
        if succeeds(&mut setup, &tx)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

fn succeeds(setup: &mut CallSetup<'_>, tx: &TxEnv) -> RpcResult<bool> {
    match transact(setup, tx.clone()) {
        Ok(outcome) => Ok(outcome.result.is_success()),
        // Too little gas for the intrinsic cost is a failed attempt, not an error.
        Err(RpcError::Custom { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// `eth_createAccessList`: runs the call with an access-list inspector until the list is stable.
pub fn create_access_list(
    ctx: &NodeContext,
    request: TransactionRequest,
    id: BlockId,
    state_overrides: Option<StateOverride>,
) -> RpcResult<AccessListResult> {
    let mut setup = setup(ctx, id, state_overrides, None)?;
    let mut tx = tx_env(ctx, &mut setup, request)?;
    let precompiles: Vec<Address> = revm::precompile::Precompiles::new(
        revm::precompile::PrecompileSpecId::from_spec_id(setup.evm_env.cfg_env.spec),
    )
    .addresses()
    .copied()
    .collect();
    let to = match tx.kind {
        TxKind::Call(to) => to,
        TxKind::Create => tx.caller.create(tx.nonce),
    };
    let mut access_list = tx.access_list.clone();
    let mut rounds = 0;
    loop {
        let mut inspector = AccessListInspector::new(access_list.clone());
        tx.access_list = access_list.clone();
        let result = {
            let mut evm = setup.config.evm_with_inspector(
                &mut setup.db,
                setup.evm_env.clone(),
                &mut inspector,
            );
            evm.transact(PhalaTx::call(tx.clone())).map_err(|err| evm_error(err, tx.caller))?
        };
        let mut excluded = precompiles.clone();
        excluded.push(tx.caller);
        excluded.push(to);
        let next = inspector.into_access_list();
        let next = alloy_eips::eip2930::AccessList(
            next.0.into_iter().filter(|item| !excluded.contains(&item.address)).collect(),
        );
        rounds += 1;
        if next == access_list || rounds >= 8 {
            let error = match &result.result {
                ExecutionResult::Success { .. } => None,
                ExecutionResult::Revert { output, .. } => {
                    Some(revert_error(output.clone()).to_string())
                }
                ExecutionResult::Halt { reason, .. } => Some(halt_message(reason)),
            };
            return Ok(AccessListResult {
                access_list: next,
                gas_used: U256::from(result.result.tx_gas_used()),
                error,
            });
        }
        access_list = next;
    }
}
