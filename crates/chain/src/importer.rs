use crate::{BlockError, ImportError, validation};
use alloy_primitives::B256;
use alloy_rlp::Decodable;
use phala_evm::BlockExecutor;
use phala_primitives::{Block, ChainSpec, Header, StateChanges, StateReadError};
use phala_storage::{Database, KeyValueRead, LatestState, StateWriter, StorageError, WriteSet};
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

    /// Validates, executes and stores `block`, making it the head.
    pub fn import(&self, block: &Block) -> Result<ImportOutcome, ImportError> {
        let hash = block.header.hash_slow();
        let number = block.header.number;
        self.import_inner(block, hash).map_err(|source| ImportError { number, hash, source })
    }

    fn import_inner(&self, block: &Block, hash: B256) -> Result<ImportOutcome, BlockError> {
        let header = &block.header;
        if self.db.canonical_hash(header.number)? == Some(hash) {
            return Ok(ImportOutcome::AlreadyCanonical(hash));
        }
        let parent = self
            .db
            .header(header.parent_hash)?
            .ok_or(BlockError::UnknownParent(header.parent_hash))?;
        let spec = self.spec();
        // Cheap checks first, before any re-org work.
        validation::validate_header(spec, header)?;
        validation::validate_against_parent(spec, header, &parent)?;
        validation::validate_body(spec, block)?;

        let mut writes = self.db.write_set();
        let reorg_depth = self.reorg_onto(&mut writes, &parent, header.parent_hash)?;
        self.execute_and_store(&mut writes, block, hash)?;
        writes.commit()?;
        debug!(target: "chain", number = header.number, %hash, reorg_depth, "imported block");
        Ok(ImportOutcome::Imported {
            hash,
            number: header.number,
            gas_used: header.gas_used,
            transactions: block.body.transactions.len(),
            reorg_depth,
        })
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
    ) -> Result<(), BlockError> {
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
        let mut writer = StateWriter::new(writes);
        let state_root = writer.apply_state_changes(header.number, &outcome.changes)?;
        if state_root != header.state_root {
            return Err(BlockError::StateRoot { header: header.state_root, computed: state_root });
        }
        writer.insert_block(hash, header, &block.body, &outcome.receipts);
        let tx_hashes: Vec<B256> = block.body.transactions.iter().map(|tx| *tx.tx_hash()).collect();
        writer.make_canonical(hash, header.number, &tx_hashes);
        Ok(())
    }
}
