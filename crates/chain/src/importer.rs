use crate::{BlockError, ImportError, validation};
use alloy_primitives::B256;
use alloy_rlp::Decodable;
use phala_evm::BlockExecutor;
use phala_primitives::{
    Block, ChainSpec, Header, PhalaReceiptEnvelope, StateChanges, StateReadError,
};
use phala_storage::{
    Database, DetachedWrites, KeyValueRead, LatestState, StateWriter, StorageError, WriteSet,
};
use std::sync::Arc;
use tracing::debug;

/// What importing a block did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The block was executed, stored and made the head.
    Imported {
        /// Block hash.
        hash: B256,
        /// Block number.
        number: u64,
        /// Gas used by its transactions.
        gas_used: u64,
        /// Number of transactions.
        transactions: usize,
        /// How many blocks of the old chain were unwound to reach its branch.
        reorg_depth: u64,
    },
    /// The block was already the canonical block at its height.
    AlreadyCanonical(B256),
}

/// A block that passed every check and was executed on top of the head `base`: what committing
/// it writes (its block data, its state, and the re-org onto its branch, if any) is held here,
/// uncommitted. Committing it is only valid while `base` is still the head; otherwise
/// [`BlockImporter::make_canonical`] re-derives the writes from the stored block.
#[derive(Debug, Clone)]
pub struct ExecutedBlock {
    /// Block hash.
    pub hash: B256,
    /// The block's header.
    pub header: Header,
    /// The head these writes were made on.
    pub base: B256,
    /// One receipt per transaction.
    pub receipts: Vec<PhalaReceiptEnvelope>,
    /// Number of transactions.
    pub transactions: usize,
    /// How many canonical blocks committing it unwinds.
    pub reorg_depth: u64,
    writes: DetachedWrites,
}

impl ExecutedBlock {
    /// Wraps the writes of a block executed on `base` (the block builder's path).
    pub(crate) const fn new(
        hash: B256,
        header: Header,
        base: B256,
        receipts: Vec<PhalaReceiptEnvelope>,
        transactions: usize,
        writes: DetachedWrites,
    ) -> Self {
        Self { hash, header, base, receipts, transactions, reorg_depth: 0, writes }
    }

    /// Its pending writes, to add what must be committed with the block (a record the block
    /// makes obsolete).
    pub fn writes_mut(&mut self) -> &mut DetachedWrites {
        &mut self.writes
    }

    fn outcome(&self) -> ImportOutcome {
        ImportOutcome::Imported {
            hash: self.hash,
            number: self.header.number,
            gas_used: self.header.gas_used,
            transactions: self.transactions,
            reorg_depth: self.reorg_depth,
        }
    }
}

/// Imports blocks into the database; see the crate docs for the guarantees.
#[derive(Debug)]
pub struct BlockImporter<'db> {
    db: &'db Database,
    executor: BlockExecutor,
}

impl<'db> BlockImporter<'db> {
    /// An importer for the chain `spec` stored in `db` (which must be initialised).
    pub fn new(db: &'db Database, spec: Arc<ChainSpec>) -> Self {
        Self { db, executor: BlockExecutor::new(spec) }
    }

    /// Shares analysed contract code with other executions through `code`.
    pub fn with_code_cache(mut self, code: Option<Arc<phala_evm::CodeCache>>) -> Self {
        self.executor = self.executor.with_code_cache(code);
        self
    }

    /// The chain spec.
    pub fn spec(&self) -> &Arc<ChainSpec> {
        self.executor.spec()
    }

    /// Decodes one RLP block and imports it.
    pub fn import_rlp(&self, mut rlp: &[u8]) -> Result<ImportOutcome, ImportError> {
        let block = Block::decode(&mut rlp).map_err(|err| ImportError {
            number: 0,
            hash: B256::ZERO,
            source: BlockError::Rlp(err),
        })?;
        if !rlp.is_empty() {
            return Err(ImportError {
                number: block.header.number,
                hash: block.header.hash_slow(),
                source: BlockError::Rlp(alloy_rlp::Error::UnexpectedLength),
            });
        }
        self.import(&block)
    }

    /// Validates, executes and stores `block`, making it the head, in one atomic commit.
    pub fn import(&self, block: &Block) -> Result<ImportOutcome, ImportError> {
        let hash = block.header.hash_slow();
        let wrap = |source| ImportError { number: block.header.number, hash, source };
        if self.db.canonical_hash(block.header.number).map_err(|err| wrap(err.into()))?
            == Some(hash)
        {
            return Ok(ImportOutcome::AlreadyCanonical(hash));
        }
        let executed = self.execute(block)?;
        self.commit(executed)
    }

    /// Validates and executes `block` on its parent's state (re-organising onto the parent's
    /// branch in memory when the parent is not the head) and checks every result against the
    /// header. Nothing is written: the returned block holds its writes.
    pub fn execute(&self, block: &Block) -> Result<ExecutedBlock, ImportError> {
        let hash = block.header.hash_slow();
        let number = block.header.number;
        self.execute_inner(block, hash).map_err(|source| ImportError { number, hash, source })
    }

    fn execute_inner(&self, block: &Block, hash: B256) -> Result<ExecutedBlock, BlockError> {
        let header = &block.header;
        let parent = self
            .db
            .header(header.parent_hash)?
            .ok_or(BlockError::UnknownParent(header.parent_hash))?;
        let spec = self.spec();
        // Cheap checks first, before any re-org work.
        validation::validate_header(spec, header)?;
        validation::validate_against_parent(spec, header, &parent)?;
        validation::validate_body(spec, block)?;

        let base = self.db.head_hash()?;
        let mut writes = self.db.write_set();
        let reorg_depth = self.reorg_onto(&mut writes, &parent, header.parent_hash)?;
        let receipts = self.execute_and_store(&mut writes, block, hash)?;
        Ok(ExecutedBlock {
            hash,
            header: header.clone(),
            base,
            receipts,
            transactions: block.body.transactions.len(),
            reorg_depth,
            writes: writes.detach(),
        })
    }

    /// Stores an executed block's data (header, body, receipts) without making it canonical, so
    /// that [`Self::make_canonical`] can find it later, after a restart too.
    pub fn store_block(&self, block: &Block, executed: &ExecutedBlock) -> Result<(), ImportError> {
        let mut writes = self.db.write_set();
        StateWriter::new(&mut writes).insert_block(
            executed.hash,
            &block.header,
            &block.body,
            &executed.receipts,
        );
        writes.commit().map_err(|err| ImportError {
            number: executed.header.number,
            hash: executed.hash,
            source: err.into(),
        })
    }

    /// Commits an executed block, making it the head. Refused with [`BlockError::StaleBase`]
    /// when the head moved since it was executed.
    pub fn commit(&self, executed: ExecutedBlock) -> Result<ImportOutcome, ImportError> {
        let (number, hash) = (executed.header.number, executed.hash);
        let wrap = |source| ImportError { number, hash, source };
        let head = self.db.head_hash().map_err(|err| wrap(err.into()))?;
        if head != executed.base {
            return Err(wrap(BlockError::StaleBase { base: executed.base, head }));
        }
        let outcome = executed.outcome();
        self.db.attach(executed.writes).commit().map_err(|err| wrap(err.into()))?;
        debug!(target: "chain", number, %hash, reorg_depth = executed.reorg_depth, "imported block");
        Ok(outcome)
    }

    /// Makes the stored block `hash` the head: a canonical block by unwinding the blocks above
    /// it, a side block by re-organising onto its branch (its blocks are executed again on the
    /// way, since only the canonical state is kept).
    pub fn make_canonical(&self, hash: B256) -> Result<ImportOutcome, ImportError> {
        let wrap = |number, source| ImportError { number, hash, source };
        let header = self
            .db
            .header(hash)
            .map_err(|err| wrap(0, err.into()))?
            .ok_or_else(|| wrap(0, BlockError::UnknownBlock(hash)))?;
        let number = header.number;
        if self.db.canonical_hash(number).map_err(|err| wrap(number, err.into()))? == Some(hash) {
            let head = self.db.head_header().map_err(|err| wrap(number, err.into()))?;
            if head.number == number {
                return Ok(ImportOutcome::AlreadyCanonical(hash));
            }
            let mut writes = self.db.write_set();
            let mut depth = 0;
            while writes.head_header().map_err(|err| wrap(number, err.into()))?.number > number {
                StateWriter::new(&mut writes)
                    .unwind_head()
                    .map_err(|err| wrap(number, err.into()))?;
                depth += 1;
            }
            writes.commit().map_err(|err| wrap(number, err.into()))?;
            return Ok(ImportOutcome::Imported {
                hash,
                number,
                gas_used: header.gas_used,
                transactions: 0,
                reorg_depth: depth,
            });
        }
        let body = self
            .db
            .body(hash)
            .map_err(|err| wrap(number, err.into()))?
            .ok_or_else(|| wrap(number, BlockError::UnknownBlock(hash)))?;
        let executed = self.execute(&Block { header, body })?;
        self.commit(executed)
    }

    /// Makes `parent_hash` the head inside `writes`: unwinds the canonical chain to the fork
    /// point and re-applies the stored blocks of the parent's branch. Returns the unwound depth.
    fn reorg_onto(
        &self,
        writes: &mut WriteSet<'db>,
        parent: &Header,
        parent_hash: B256,
    ) -> Result<u64, BlockError> {
        if writes.head_hash()? == parent_hash {
            return Ok(0);
        }
        // Walk the branch back to the first canonical ancestor.
        let mut branch = Vec::new();
        let mut cursor = (parent_hash, parent.clone());
        while writes.canonical_hash(cursor.1.number)? != Some(cursor.0) {
            let parent_hash = cursor.1.parent_hash;
            let header =
                writes.header(parent_hash)?.ok_or(StorageError::MissingBlock(parent_hash))?;
            branch.push(cursor.0);
            cursor = (parent_hash, header);
        }
        let fork_number = cursor.1.number;
        let mut depth = 0;
        while writes.head_header()?.number > fork_number {
            StateWriter::new(writes).unwind_head()?;
            depth += 1;
        }
        for hash in branch.into_iter().rev() {
            let header = writes.header(hash)?.ok_or(StorageError::MissingBlock(hash))?;
            let body = writes.body(hash)?.ok_or(StorageError::MissingBlock(hash))?;
            let block = Block { header, body };
            self.execute_and_store(writes, &block, hash)?;
        }
        Ok(depth)
    }

    /// Executes `block` on the head of `writes`, checks the results against the header and
    /// stores the block as the new head.
    fn execute_and_store(
        &self,
        writes: &mut WriteSet<'db>,
        block: &Block,
        hash: B256,
    ) -> Result<Vec<PhalaReceiptEnvelope>, BlockError> {
        let header = &block.header;
        let senders = self.executor.recover_senders(block)?;
        let scratch_base = &*writes;
        let mut root_after = |changes: &StateChanges| -> Result<B256, StateReadError> {
            let mut scratch = scratch_base.clone();
            Ok(StateWriter::new(&mut scratch).apply_state_changes(header.number, changes)?)
        };
        let outcome = self.executor.execute_with_roots(
            LatestState::new(scratch_base),
            block,
            &senders,
            Some(&mut root_after),
        )?;
        validation::validate_execution(self.spec(), header, &outcome)?;
        let state_root =
            StateWriter::new(writes).apply_state_changes(header.number, &outcome.changes)?;
        if state_root != header.state_root {
            return Err(BlockError::StateRoot { header: header.state_root, computed: state_root });
        }
        let message_passer_root = validation::message_passer_root(self.spec(), header, &*writes)?;
        validation::validate_op_execution(self.spec(), header, &outcome, message_passer_root)?;
        let mut writer = StateWriter::new(writes);
        writer.insert_block(hash, header, &block.body, &outcome.receipts);
        let tx_hashes: Vec<B256> = block.body.transactions.iter().map(|tx| *tx.tx_hash()).collect();
        writer.make_canonical(hash, header.number, &tx_hashes);
        Ok(outcome.receipts)
    }
}
