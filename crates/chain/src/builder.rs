//! Building a block on the head: execute transactions, then fill in the header's results.
//!
//! The header is assembled by two pure steps shared with anything that builds blocks off the
//! database (the OP execution conformance runner, derivation): [`block_template`] (the fields
//! known before execution) and [`seal_template`] (the results of execution).

use crate::{BlockError, ExecutedBlock, validation};
use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, Signed,
    proofs::{calculate_receipt_root, calculate_transaction_root, calculate_withdrawals_root},
};
use alloy_eips::eip4895::{Withdrawal, Withdrawals};
use alloy_eips::eip7685::Requests;
use alloy_evm::block::BlockExecutionError;
use alloy_primitives::{Address, B64, B256, Bytes, U256};
use phala_evm::{
    BlockExecutor, BlockValidationError, ExecutionError, ExecutionOutcome, StrictSource,
    TransactionSource, blob_gas_of,
};
use phala_primitives::{
    Block, BlockBody, ChainSpec, EthereumHardforks, OpHardforks, PhalaReceiptEnvelope,
    PhalaTxEnvelope, StateChanges, StateOverlay,
};
use phala_storage::{Database, KeyValueRead, LatestState, StateWriter, StorageError};
use std::sync::Arc;

/// `tx` as a block carries it: a blob transaction from the pool loses its sidecar, if it has one
/// (the hash and signature cover only the canonical form, so they stay).
fn without_blob_sidecar(tx: PhalaTxEnvelope) -> PhalaTxEnvelope {
    match tx {
        PhalaTxEnvelope::Eip4844(signed) => {
            let (tx, signature, hash) = signed.into_parts();
            PhalaTxEnvelope::Eip4844(Signed::new_unchecked(tx.drop_sidecar(), signature, hash))
        }
        other => other,
    }
}

/// What the builder of the next block chooses.
#[derive(Debug, Clone, Default)]
pub struct BlockAttributes {
    /// Timestamp (must be after the parent's).
    pub timestamp: u64,
    /// Fee recipient.
    pub beneficiary: Address,
    /// Gas limit (`None`: the parent's).
    pub gas_limit: Option<u64>,
    /// `prevrandao` / mix hash.
    pub prev_randao: B256,
    /// Parent beacon block root (Cancun and later).
    pub parent_beacon_block_root: Option<B256>,
    /// Extra data.
    pub extra_data: Bytes,
    /// Withdrawals to process (Shanghai and later; never on an OP chain).
    pub withdrawals: Vec<Withdrawal>,
    /// Transactions the block starts with, in order, before any the builder chooses: on an OP
    /// chain the L1-attributes deposit and the deposits of the L1 origin (the payload
    /// attributes' `transactions`).
    pub transactions: Vec<PhalaTxEnvelope>,
    /// Build from [`Self::transactions`] only (OP's `noTxPool`): the engine offers no pool
    /// transactions.
    pub no_tx_pool: bool,
    /// Holocene: the EIP-1559 denominator ‖ elasticity for `extraData` (zeros: the chain's
    /// Canyon values); replaces [`Self::extra_data`] on an OP chain.
    pub eip1559_params: Option<[u8; 8]>,
    /// Jovian: the minimum base fee for `extraData`.
    pub min_base_fee: Option<u64>,
}

/// A block fresh from the builder, with what execution produced.
#[derive(Debug, Clone)]
pub struct BuiltBlock {
    /// The sealed-ready block (all header fields set).
    pub block: Block,
    /// One receipt per transaction.
    pub receipts: Vec<PhalaReceiptEnvelope>,
    /// Its EIP-7685 requests (Prague), empty request types left out.
    pub requests: Requests,
    /// Its writes, ready to commit while the head is still its parent: a built block is not
    /// executed a second time to be imported.
    pub executed: ExecutedBlock,
}

/// Builds blocks on the current head of a database without writing anything.
#[derive(Debug)]
pub struct BlockBuilder<'db> {
    db: &'db Database,
    executor: BlockExecutor,
    pre_state: Option<Arc<StateChanges>>,
}

impl<'db> BlockBuilder<'db> {
    /// A builder for `spec` over `db`.
    pub fn new(db: &'db Database, spec: Arc<ChainSpec>) -> Self {
        Self { db, executor: BlockExecutor::new(spec), pre_state: None }
    }

    /// Shares analysed contract code with other executions through `code`.
    pub fn with_code_cache(mut self, code: Option<Arc<phala_evm::CodeCache>>) -> Self {
        self.executor = self.executor.with_code_cache(code);
        self
    }

    /// Changes the block carries before its transactions run (a dev chain's cheats: balances,
    /// code, nonces and storage set outside any transaction). Its transactions see them, and its
    /// state root and change sets cover them as if the block had made them.
    pub fn with_pre_state(mut self, changes: Option<Arc<StateChanges>>) -> Self {
        self.pre_state = changes.filter(|changes| !changes.is_empty());
        self
    }

    /// Builds a post-merge block on the head with `transactions` after the attributes' own (all
    /// of which must be valid).
    pub fn build(
        &self,
        attributes: &BlockAttributes,
        transactions: Vec<PhalaTxEnvelope>,
    ) -> Result<Block, BlockError> {
        let (template, parent) = self.template(attributes)?;
        let senders = self.executor.recover_transaction_senders(&transactions, &template.header)?;
        let mut source = transactions.into_iter().zip(senders);
        self.build_on(template, &parent, attributes, &mut StrictSource(&mut source))
            .map(|built| built.block)
    }

    /// The block template on the head (holding the attributes' own transactions) and the head.
    fn template(&self, attributes: &BlockAttributes) -> Result<(Block, Header), BlockError> {
        let parent_hash = self.db.head_hash()?;
        let parent = self.db.header(parent_hash)?.ok_or(StorageError::MissingBlock(parent_hash))?;
        let template =
            block_template(self.executor.spec(), parent_hash, &parent, attributes, Vec::new())?;
        Ok((template, parent))
    }

    /// Builds a block on the current head from the transactions `source` offers; the source
    /// decides what happens to a transaction the EVM rejects (a pool skips it, a strict list
    /// fails the build).
    pub fn build_from(
        &self,
        attributes: &BlockAttributes,
        source: &mut dyn TransactionSource,
    ) -> Result<BuiltBlock, BlockError> {
        let (template, parent) = self.template(attributes)?;
        self.build_on(template, &parent, attributes, source)
    }

    fn build_on(
        &self,
        template: Block,
        parent: &Header,
        attributes: &BlockAttributes,
        source: &mut dyn TransactionSource,
    ) -> Result<BuiltBlock, BlockError> {
        let spec = self.executor.spec();
        let mut writes = self.db.write_set();
        // The template's body is the attributes' own transactions, which go first.
        let forced = self.executor.recover_senders(&template)?;
        let mut source = ForcedFirst {
            forced: attributes.transactions.iter().cloned().zip(forced),
            rest: source,
            last_was_forced: false,
        };
        let state = StateOverlay::new(LatestState::new(&writes), self.pre_state.clone());
        let (mut outcome, included) = self.executor.execute_from(state, &template, &mut source)?;
        if let Some(pre_state) = &self.pre_state {
            let mut changes = StateChanges::clone(pre_state);
            changes.extend(std::mem::take(&mut outcome.changes));
            outcome.changes = changes;
        }
        let mut block = template;
        block.body.transactions = included.into_iter().map(|(tx, _)| tx).collect();
        let number = block.header.number;
        let mut writer = StateWriter::new(&mut writes);
        let state_root = writer.apply_state_changes(number, &outcome.changes)?;
        let message_passer_root = validation::message_passer_root(spec, &block.header, &writes)?;
        seal_template(spec, &mut block, &outcome, state_root, message_passer_root);
        let mut writer = StateWriter::new(&mut writes);
        let header = &block.header;
        validation::validate_header(spec, header)?;
        validation::validate_against_parent(spec, header, parent)?;
        let hash = header.hash_slow();
        writer.insert_block(hash, header, &block.body, &outcome.receipts);
        let tx_hashes: Vec<B256> = block.body.transactions.iter().map(|tx| *tx.tx_hash()).collect();
        writer.make_canonical(hash, number, &tx_hashes);
        let executed = ExecutedBlock::new(
            hash,
            block.header.clone(),
            block.header.parent_hash,
            outcome.receipts.clone(),
            block.body.transactions.len(),
            writes.detach(),
        );
        let requests = Requests::new(
            outcome.requests.take().into_iter().filter(|request| request.len() > 1).collect(),
        );
        Ok(BuiltBlock { block, receipts: outcome.receipts, requests, executed })
    }
}

/// The transactions a block must start with (strictly: one the EVM rejects fails the build),
/// then those of the builder's source.
struct ForcedFirst<'a, I> {
    forced: I,
    rest: &'a mut dyn TransactionSource,
    last_was_forced: bool,
}

impl<I: Iterator<Item = (PhalaTxEnvelope, Address)>> TransactionSource for ForcedFirst<'_, I> {
    fn next_transaction(&mut self) -> Option<(PhalaTxEnvelope, Address)> {
        if let Some(next) = self.forced.next() {
            self.last_was_forced = true;
            return Some(next);
        }
        self.last_was_forced = false;
        let (tx, sender) = self.rest.next_transaction()?;
        Some((without_blob_sidecar(tx), sender))
    }

    fn rejected(
        &mut self,
        tx: &PhalaTxEnvelope,
        sender: Address,
        error: BlockValidationError,
    ) -> Result<(), ExecutionError> {
        if self.last_was_forced {
            return Err(BlockExecutionError::Validation(error).into());
        }
        self.rest.rejected(tx, sender, error)
    }
}

/// The block to build on `parent` (whose hash is `parent_hash`): the header fields known
/// before execution, and `transactions` after the attributes' own.
///
/// On an OP chain: `extraData` carries the Holocene EIP-1559 parameters (Jovian: and the
/// minimum base fee), there is no blob fee market (excess blob gas 0), and the body has an
/// empty withdrawals list from Canyon.
pub fn block_template(
    spec: &ChainSpec,
    parent_hash: B256,
    parent: &Header,
    attributes: &BlockAttributes,
    transactions: Vec<PhalaTxEnvelope>,
) -> Result<Block, BlockError> {
    let number = parent.number + 1;
    let timestamp = attributes.timestamp;
    let cancun = spec.is_cancun_active_at_timestamp(timestamp);
    let shanghai = spec.is_shanghai_active_at_timestamp(timestamp);
    let optimism = spec.is_optimism();
    let extra_data = if optimism && spec.is_holocene_active_at_timestamp(timestamp) {
        let params = attributes.eip1559_params.ok_or_else(|| {
            BlockError::InvalidAttributes("Holocene payload attributes need eip1559Params".into())
        })?;
        let mut extra = spec.holocene_extra_data(params, timestamp);
        if spec.is_jovian_active_at_timestamp(timestamp) {
            extra.min_base_fee = Some(attributes.min_base_fee.ok_or_else(|| {
                BlockError::InvalidAttributes("Jovian payload attributes need minBaseFee".into())
            })?);
        }
        Bytes::from(extra.encode())
    } else {
        attributes.extra_data.clone()
    };
    if optimism && !attributes.withdrawals.is_empty() {
        return Err(BlockError::InvalidAttributes("withdrawals on an OP chain".into()));
    }
    let mut header = Header {
        parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: attributes.beneficiary,
        difficulty: U256::ZERO,
        number,
        gas_limit: attributes.gas_limit.unwrap_or(parent.gas_limit),
        timestamp,
        extra_data,
        mix_hash: attributes.prev_randao,
        nonce: B64::ZERO,
        base_fee_per_gas: spec.next_block_base_fee(parent, timestamp),
        withdrawals_root: shanghai.then(|| calculate_withdrawals_root(&attributes.withdrawals)),
        parent_beacon_block_root: if cancun {
            Some(attributes.parent_beacon_block_root.unwrap_or_default())
        } else {
            None
        },
        ..Default::default()
    };
    if optimism {
        header.excess_blob_gas = cancun.then_some(0);
    } else if let Some(params) = spec.blob_params_at_timestamp(timestamp) {
        header.excess_blob_gas = Some(params.next_block_excess_blob_gas_osaka(
            parent.excess_blob_gas.unwrap_or_default(),
            parent.blob_gas_used.unwrap_or_default(),
            parent.base_fee_per_gas.unwrap_or_default(),
        ));
    }
    let mut all = attributes.transactions.clone();
    all.extend(transactions);
    let body = BlockBody {
        transactions: all,
        ommers: Vec::new(),
        withdrawals: shanghai.then(|| Withdrawals::new(attributes.withdrawals.clone())),
    };
    let mut block = Block { header, body };
    block.header.transactions_root = calculate_transaction_root(&block.body.transactions);
    if cancun {
        block.header.blob_gas_used = Some(blob_gas_of(&block));
    }
    Ok(block)
}

/// Fills in what execution decided: the transactions root of the included transactions (the
/// block's body must hold them), gas used, receipts root, bloom, blob gas (an OP chain's, from
/// Jovian, is the DA footprint), the requests hash and the state root; from Isthmus an OP
/// block's withdrawals root is `message_passer_root`, the L2ToL1MessagePasser's storage root.
pub fn seal_template(
    spec: &ChainSpec,
    block: &mut Block,
    outcome: &ExecutionOutcome,
    state_root: B256,
    message_passer_root: Option<B256>,
) {
    let timestamp = block.header.timestamp;
    block.header.transactions_root = calculate_transaction_root(&block.body.transactions);
    if spec.is_cancun_active_at_timestamp(timestamp) {
        block.header.blob_gas_used =
            Some(if spec.is_optimism() { outcome.blob_gas_used } else { blob_gas_of(block) });
    }
    let header = &mut block.header;
    header.gas_used = outcome.gas_used;
    header.receipts_root = calculate_receipt_root(&outcome.receipts);
    header.logs_bloom = validation::receipts_bloom(&outcome.receipts);
    header.requests_hash =
        spec.is_prague_active_at_timestamp(timestamp).then(|| outcome.requests.requests_hash());
    header.state_root = state_root;
    if let Some(root) = message_passer_root {
        header.withdrawals_root = Some(root);
    }
}
