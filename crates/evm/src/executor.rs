use crate::{CodeCache, EvmConfig, EvmSpec, ExecutionError, StateDatabase};
use alloy_consensus::{Eip658Value, Transaction, transaction::SignerRecoverable};
use alloy_eips::{Encodable2718, eip7685::Requests};
use alloy_evm::{
    Evm as _, EvmEnv,
    block::{BlockExecutionError, BlockExecutor as _, BlockValidationError},
};
use alloy_hardforks::EthereumHardforks;
use alloy_primitives::{Address, B256};
use phala_primitives::{
    Account, AccountChange, Block, ChainSpec, Header, PhalaReceiptEnvelope, PhalaTxEnvelope,
    PhalaTxType, ReceiptEnvelope, StateChanges, StateReader,
};
use revm::database::{BundleState, State, states::bundle_state::BundleRetention};
use std::sync::Arc;

/// What executing a block produced.
#[derive(Debug)]
pub struct ExecutionOutcome {
    /// One receipt per transaction.
    pub receipts: Vec<PhalaReceiptEnvelope>,
    /// Gas used by all transactions.
    pub gas_used: u64,
    /// Blob gas used (EIP-4844); on OP chains from Jovian, the DA footprint.
    pub blob_gas_used: u64,
    /// EIP-7685 requests (Prague).
    pub requests: Requests,
    /// State changes to persist.
    pub changes: StateChanges,
}

/// The Ethereum-rules EVM environment (fork rules, block fields, blob fee) of a block; see
/// [`crate::EvmConfig::evm_env`] for the environment of either rule set.
pub fn evm_env_for_header(spec: &Arc<ChainSpec>, header: &Header) -> EvmEnv {
    EvmEnv::for_eth_block(
        header,
        EvmSpec(spec.clone()),
        spec.chain_id,
        spec.blob_params_at_timestamp(header.timestamp),
    )
}

/// Executes blocks with the rules of the chain spec (Ethereum L1 or OP Stack).
#[derive(Debug, Clone)]
pub struct BlockExecutor {
    config: EvmConfig,
    code: Option<Arc<CodeCache>>,
}

impl BlockExecutor {
    /// An executor for `spec`.
    pub fn new(spec: Arc<ChainSpec>) -> Self {
        Self { config: EvmConfig::new(spec), code: None }
    }

    /// Takes contracts' analysed code from `code` (and adds to it) instead of analysing each
    /// contract in every block that calls it.
    pub fn with_code_cache(mut self, code: Option<Arc<CodeCache>>) -> Self {
        self.code = code;
        self
    }

    /// The chain spec.
    pub const fn spec(&self) -> &Arc<ChainSpec> {
        self.config.spec()
    }

    /// The EVM configuration (the execution seam for calls, tracing and simulation).
    pub const fn evm_config(&self) -> &EvmConfig {
        &self.config
    }

    /// Recovers the sender of every transaction, checking that each signature is valid (low `s`,
    /// EIP-2) and that each transaction type is active at the block. A deposit's sender is its
    /// `from`.
    pub fn recover_senders(&self, block: &Block) -> Result<Vec<Address>, ExecutionError> {
        self.recover_transaction_senders(&block.body.transactions, &block.header)
    }

    /// [`Self::recover_senders`] of `transactions` in a block with `header` (errors name their
    /// position in `transactions`).
    pub fn recover_transaction_senders(
        &self,
        transactions: &[PhalaTxEnvelope],
        header: &Header,
    ) -> Result<Vec<Address>, ExecutionError> {
        transactions
            .iter()
            .enumerate()
            .map(|(index, tx)| {
                self.check_tx_type(index, tx, header)?;
                tx.recover_signer()
                    .map_err(|_| ExecutionError::InvalidSignature { index, hash: tx.trie_hash() })
            })
            .collect()
    }

    fn check_tx_type(
        &self,
        index: usize,
        tx: &PhalaTxEnvelope,
        header: &Header,
    ) -> Result<(), ExecutionError> {
        let spec = self.spec();
        let optimism = spec.is_optimism();
        let active = match tx.tx_type() {
            PhalaTxType::Legacy => true,
            PhalaTxType::Eip2930 => spec.is_berlin_active_at_block(header.number),
            PhalaTxType::Eip1559 => spec.is_london_active_at_block(header.number),
            PhalaTxType::Eip4844 => {
                !optimism && spec.is_cancun_active_at_timestamp(header.timestamp)
            }
            PhalaTxType::Eip7702 => spec.is_prague_active_at_timestamp(header.timestamp),
            PhalaTxType::Deposit => optimism,
        };
        if active {
            Ok(())
        } else {
            Err(ExecutionError::TxTypeNotActive {
                index,
                hash: tx.trie_hash(),
                tx_type: tx.tx_type() as u8,
            })
        }
    }

    /// Executes `block` on `state`, with `senders` from [`Self::recover_senders`].
    pub fn execute<R: StateReader>(
        &self,
        state: R,
        block: &Block,
        senders: &[Address],
    ) -> Result<ExecutionOutcome, ExecutionError> {
        self.execute_with_roots(state, block, senders, None)
    }

    /// Like [`Self::execute`]; before Byzantium, `intermediate_root` computes the state root
    /// after each transaction from the block's changes so far, and each receipt carries it
    /// (as receipts did before EIP-658).
    pub fn execute_with_roots<R: StateReader>(
        &self,
        state: R,
        block: &Block,
        senders: &[Address],
        intermediate_root: Option<IntermediateRoot<'_>>,
    ) -> Result<ExecutionOutcome, ExecutionError> {
        let mut source = block.body.transactions.iter().cloned().zip(senders.iter().copied());
        let mut strict = StrictSource(&mut source);
        self.execute_from_with_roots(state, block, &mut strict, intermediate_root)
            .map(|(outcome, _)| outcome)
    }

    /// Executes the transactions `source` yields on top of `block`'s header, ommers and
    /// withdrawals (its own transactions are ignored), as a block builder does. A transaction the
    /// EVM rejects before execution (bad nonce, no funds, no room left in the block) is reported
    /// to the source, which decides whether to skip it or fail the whole build.
    ///
    /// Returns the outcome and the transactions that were included, with their senders.
    pub fn execute_from<R: StateReader>(
        &self,
        state: R,
        block: &Block,
        source: &mut dyn TransactionSource,
    ) -> Result<(ExecutionOutcome, Vec<(PhalaTxEnvelope, Address)>), ExecutionError> {
        self.execute_from_with_roots(state, block, source, None)
    }

    fn execute_from_with_roots<R: StateReader>(
        &self,
        state: R,
        block: &Block,
        source: &mut dyn TransactionSource,
        mut intermediate_root: Option<IntermediateRoot<'_>>,
    ) -> Result<(ExecutionOutcome, Vec<(PhalaTxEnvelope, Address)>), ExecutionError> {
        let header = &block.header;
        if self.spec().is_byzantium_active_at_block(header.number) {
            intermediate_root = None;
        }
        let mut roots = Vec::new();
        let state = match &self.code {
            Some(code) => StateDatabase::with_code_cache(state, code.clone()),
            None => StateDatabase::new(state),
        };
        let mut db = State::builder().with_database_ref(state).with_bundle_update().build();
        let evm = self.config.evm(&mut db, self.config.evm_env(header));
        let mut executor = self.config.block_executor(evm, block);
        executor.apply_pre_execution_changes()?;
        let mut included = Vec::new();
        while let Some((tx, sender)) = source.next_transaction() {
            let result = executor.execute_transaction(
                alloy_consensus::transaction::Recovered::new_unchecked(&tx, sender),
            );
            match result {
                Ok(_) => {
                    included.push((tx, sender));
                    if let Some(root_of) = intermediate_root.as_mut() {
                        let db = executor.evm_mut().db_mut();
                        db.merge_transitions(BundleRetention::Reverts);
                        let changes = state_changes(db.bundle_state.clone());
                        roots.push(root_of(&changes).map_err(ExecutionError::IntermediateRoot)?);
                    }
                }
                Err(BlockExecutionError::Validation(error)) => {
                    source.rejected(&tx, sender, error)?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        let (_, mut result) = executor.finish()?;
        db.merge_transitions(BundleRetention::Reverts);
        let changes = state_changes(db.take_bundle());
        for (receipt, root) in result.receipts.iter_mut().zip(roots) {
            if let PhalaReceiptEnvelope::Ethereum(ReceiptEnvelope::Legacy(receipt)) = receipt {
                receipt.receipt.status = Eip658Value::PostState(root);
            }
        }
        let outcome = ExecutionOutcome {
            receipts: result.receipts,
            gas_used: result.gas_used,
            blob_gas_used: result.blob_gas_used,
            requests: result.requests,
            changes,
        };
        Ok((outcome, included))
    }
}

/// Computes the state root after a transaction from the block's state changes so far.
pub type IntermediateRoot<'a> =
    &'a mut dyn FnMut(&StateChanges) -> Result<B256, phala_primitives::StateReadError>;

/// Transactions offered to [`BlockExecutor::execute_from`], one at a time.
pub trait TransactionSource {
    /// The next transaction to try, with its recovered sender.
    fn next_transaction(&mut self) -> Option<(PhalaTxEnvelope, Address)>;

    /// `tx` was rejected before execution. Return `Ok` to skip it and go on, or an error to
    /// fail the build.
    fn rejected(
        &mut self,
        tx: &PhalaTxEnvelope,
        sender: Address,
        error: BlockValidationError,
    ) -> Result<(), ExecutionError>;
}

/// A source in which every transaction must execute: the first rejection fails the block.
#[derive(Debug)]
pub struct StrictSource<'a, I>(pub &'a mut I);

impl<I: Iterator<Item = (PhalaTxEnvelope, Address)>> TransactionSource for StrictSource<'_, I> {
    fn next_transaction(&mut self) -> Option<(PhalaTxEnvelope, Address)> {
        self.0.next()
    }

    fn rejected(
        &mut self,
        _tx: &PhalaTxEnvelope,
        _sender: Address,
        error: BlockValidationError,
    ) -> Result<(), ExecutionError> {
        Err(BlockExecutionError::Validation(error).into())
    }
}

/// Converts revm's bundle into the ordered, storage-facing [`StateChanges`].
pub fn state_changes(bundle: BundleState) -> StateChanges {
    let mut changes = StateChanges::default();
    for (address, account) in bundle.state {
        let storage_wiped = account.was_destroyed();
        let storage = account
            .storage
            .into_iter()
            .filter(|(_, slot)| storage_wiped || slot.is_changed())
            .map(|(key, slot)| (key, slot.present_value))
            .collect();
        let account = account.info.map(|info| Account {
            nonce: info.nonce,
            balance: info.balance,
            code_hash: info.code_hash,
        });
        changes.accounts.insert(address, AccountChange { account, storage_wiped, storage });
    }
    for (code_hash, code) in bundle.contracts {
        if code_hash != B256::ZERO && code_hash != revm::primitives::KECCAK_EMPTY {
            changes.bytecodes.insert(code_hash, code.original_bytes());
        }
    }
    changes
}

/// Checks that the sum of the transactions' blob gas matches the header (also used by callers
/// before execution).
pub fn blob_gas_of(block: &Block) -> u64 {
    block.body.transactions.iter().filter_map(|tx| tx.blob_gas_used()).sum()
}
