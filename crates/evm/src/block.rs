//! [`PhalaBlockExecutor`]: alloy-evm's Ethereum block executor or alloy-op-evm's OP one, chosen by
//! the chain spec, over a [`PhalaEvm`]; and [`PhalaReceiptBuilder`], which makes the receipts of
//! both ([`PhalaReceiptEnvelope`]).

use crate::{EvmConfig, EvmSpec, PhalaEvm};
use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope};
use alloy_evm::{
    Database, Evm,
    block::{
        BlockExecutionError, BlockExecutionResult, BlockExecutor, ExecutableTx, GasOutput,
        OnStateHook, StateDB, TxResult,
    },
    eth::{
        EthBlockExecutionCtx, EthBlockExecutor, EthTxResult,
        receipt_builder::{ReceiptBuilder, ReceiptBuilderCtx},
    },
};
use alloy_op_evm::{
    OpBlockExecutionCtx, OpBlockExecutor, OpEvmContext,
    block::{OpTxResult, receipt_builder::OpReceiptBuilder},
};
use op_alloy_consensus::OpDepositReceipt;
use op_revm::OpHaltReason;
use phala_primitives::{Block, PhalaReceiptEnvelope, PhalaTxEnvelope, PhalaTxType};
use revm::{Inspector, context::result::ResultAndState};
use std::borrow::Cow;

/// Builds [`PhalaReceiptEnvelope`]s for both executors.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhalaReceiptBuilder;

fn receipt<E: Evm>(ctx: ReceiptBuilderCtx<'_, PhalaTxType, E>) -> Receipt {
    Receipt {
        status: Eip658Value::Eip658(ctx.result.is_success()),
        cumulative_gas_used: ctx.cumulative_gas_used,
        logs: ctx.result.into_logs(),
    }
}

fn ethereum_receipt(tx_type: PhalaTxType, receipt: Receipt) -> PhalaReceiptEnvelope {
    let receipt = receipt.with_bloom();
    PhalaReceiptEnvelope::Ethereum(match tx_type {
        PhalaTxType::Legacy => ReceiptEnvelope::Legacy(receipt),
        PhalaTxType::Eip2930 => ReceiptEnvelope::Eip2930(receipt),
        PhalaTxType::Eip1559 => ReceiptEnvelope::Eip1559(receipt),
        PhalaTxType::Eip4844 => ReceiptEnvelope::Eip4844(receipt),
        PhalaTxType::Eip7702 => ReceiptEnvelope::Eip7702(receipt),
        // Ethereum rules refuse deposits before they execute; keep the type if one ever did.
        PhalaTxType::Deposit => {
            return PhalaReceiptEnvelope::Deposit(
                OpDepositReceipt {
                    inner: receipt.receipt,
                    deposit_nonce: None,
                    deposit_receipt_version: None,
                }
                .with_bloom(),
            );
        }
    })
}

impl ReceiptBuilder for PhalaReceiptBuilder {
    type Transaction = PhalaTxEnvelope;
    type Receipt = PhalaReceiptEnvelope;

    fn build_receipt<E: Evm>(
        &self,
        ctx: ReceiptBuilderCtx<'_, PhalaTxType, E>,
    ) -> PhalaReceiptEnvelope {
        let tx_type = ctx.tx_type;
        ethereum_receipt(tx_type, receipt(ctx))
    }
}

impl OpReceiptBuilder for PhalaReceiptBuilder {
    type Transaction = PhalaTxEnvelope;
    type Receipt = PhalaReceiptEnvelope;

    fn build_receipt<'a, E: Evm>(
        &self,
        ctx: ReceiptBuilderCtx<'a, PhalaTxType, E>,
    ) -> Result<PhalaReceiptEnvelope, ReceiptBuilderCtx<'a, PhalaTxType, E>> {
        match ctx.tx_type {
            // The executor adds the deposit nonce and version, then calls the method below.
            PhalaTxType::Deposit => Err(ctx),
            tx_type => Ok(ethereum_receipt(tx_type, receipt(ctx))),
        }
    }

    fn build_deposit_receipt(&self, inner: OpDepositReceipt) -> PhalaReceiptEnvelope {
        PhalaReceiptEnvelope::Deposit(inner.with_bloom())
    }
}

/// The outcome of one transaction before it is committed.
#[derive(Debug)]
pub enum PhalaTxResult {
    /// Executed with Ethereum rules.
    Ethereum(EthTxResult<OpHaltReason, PhalaTxType>),
    /// Executed with OP rules.
    Optimism(OpTxResult<OpHaltReason, PhalaTxType>),
}

impl TxResult for PhalaTxResult {
    type HaltReason = OpHaltReason;

    fn result(&self) -> &ResultAndState<OpHaltReason> {
        match self {
            Self::Ethereum(result) => result.result(),
            Self::Optimism(result) => result.result(),
        }
    }

    fn into_result(self) -> ResultAndState<OpHaltReason> {
        match self {
            Self::Ethereum(result) => result.into_result(),
            Self::Optimism(result) => result.into_result(),
        }
    }
}

/// Executes a block's transactions with the rules of the chain.
#[derive(Debug)]
pub enum PhalaBlockExecutor<'a, DB: Database, I> {
    /// Ethereum L1 rules: system calls, pre-merge rewards, withdrawals, requests.
    Ethereum(EthBlockExecutor<'a, PhalaEvm<DB, I>, EvmSpec, PhalaReceiptBuilder>),
    /// OP Stack rules: deposits, fee vaults, the Canyon create2 deployer, no withdrawals.
    Optimism(OpBlockExecutor<PhalaEvm<DB, I>, PhalaReceiptBuilder, EvmSpec>),
}

impl EvmConfig {
    /// An executor of `block`'s transactions (or of those a builder offers, on `block`'s
    /// header) on `evm`, which should run in [`EvmConfig::evm_env`] of that header.
    pub fn block_executor<'a, DB, I>(
        &self,
        evm: PhalaEvm<DB, I>,
        block: &'a Block,
    ) -> PhalaBlockExecutor<'a, DB, I>
    where
        DB: Database,
        I: Inspector<alloy_evm::eth::EthEvmContext<DB>> + Inspector<OpEvmContext<DB>>,
    {
        let header = &block.header;
        let spec = EvmSpec(self.spec().clone());
        if evm.is_optimism() {
            let ctx = OpBlockExecutionCtx {
                parent_hash: header.parent_hash,
                parent_beacon_block_root: header.parent_beacon_block_root,
                extra_data: header.extra_data.clone(),
            };
            return PhalaBlockExecutor::Optimism(OpBlockExecutor::new(
                evm,
                ctx,
                spec,
                PhalaReceiptBuilder,
            ));
        }
        let ctx = EthBlockExecutionCtx {
            parent_hash: header.parent_hash,
            parent_beacon_block_root: header.parent_beacon_block_root,
            ommers: &block.body.ommers,
            withdrawals: block.body.withdrawals.as_ref().map(|w| Cow::Borrowed(w.as_slice())),
            extra_data: header.extra_data.clone(),
            tx_count_hint: Some(block.body.transactions.len()),
            slot_number: None,
        };
        PhalaBlockExecutor::Ethereum(EthBlockExecutor::new(evm, ctx, spec, PhalaReceiptBuilder))
    }
}

fn mismatched() -> BlockExecutionError {
    BlockExecutionError::msg("a transaction result of the other rule set")
}

impl<DB, I> BlockExecutor for PhalaBlockExecutor<'_, DB, I>
where
    DB: Database + StateDB,
    I: Inspector<alloy_evm::eth::EthEvmContext<DB>> + Inspector<OpEvmContext<DB>>,
{
    type Transaction = PhalaTxEnvelope;
    type Receipt = PhalaReceiptEnvelope;
    type Evm = PhalaEvm<DB, I>;
    type Result = PhalaTxResult;

    fn apply_pre_execution_changes(&mut self) -> Result<(), BlockExecutionError> {
        match self {
            Self::Ethereum(executor) => executor.apply_pre_execution_changes(),
            Self::Optimism(executor) => executor.apply_pre_execution_changes(),
        }
    }

    fn execute_transaction_without_commit(
        &mut self,
        tx: impl ExecutableTx<Self>,
    ) -> Result<PhalaTxResult, BlockExecutionError> {
        match self {
            Self::Ethereum(executor) => {
                executor.execute_transaction_without_commit(tx).map(PhalaTxResult::Ethereum)
            }
            Self::Optimism(executor) => {
                executor.execute_transaction_without_commit(tx).map(PhalaTxResult::Optimism)
            }
        }
    }

    fn commit_transaction(
        &mut self,
        output: PhalaTxResult,
    ) -> Result<GasOutput, BlockExecutionError> {
        match (self, output) {
            (Self::Ethereum(executor), PhalaTxResult::Ethereum(output)) => {
                executor.commit_transaction(output)
            }
            (Self::Optimism(executor), PhalaTxResult::Optimism(output)) => {
                executor.commit_transaction(output)
            }
            _ => Err(mismatched()),
        }
    }

    fn finish(
        self,
    ) -> Result<(PhalaEvm<DB, I>, BlockExecutionResult<PhalaReceiptEnvelope>), BlockExecutionError>
    {
        match self {
            Self::Ethereum(executor) => executor.finish(),
            Self::Optimism(executor) => executor.finish(),
        }
    }

    fn set_state_hook(&mut self, hook: Option<Box<dyn OnStateHook>>) {
        match self {
            Self::Ethereum(executor) => executor.set_state_hook(hook),
            Self::Optimism(executor) => executor.set_state_hook(hook),
        }
    }

    fn evm_mut(&mut self) -> &mut PhalaEvm<DB, I> {
        match self {
            Self::Ethereum(executor) => executor.evm_mut(),
            Self::Optimism(executor) => executor.evm_mut(),
        }
    }

    fn evm(&self) -> &PhalaEvm<DB, I> {
        match self {
            Self::Ethereum(executor) => executor.evm(),
            Self::Optimism(executor) => executor.evm(),
        }
    }

    fn receipts(&self) -> &[PhalaReceiptEnvelope] {
        match self {
            Self::Ethereum(executor) => executor.receipts(),
            Self::Optimism(executor) => executor.receipts(),
        }
    }
}
