//! [`RollupHandle`]: what the rollup RPC (`optimism_*`, `admin_*`) reads of the running rollup
//! services — the rollup config, the heads and L1 view derivation publishes, the sequencer's
//! control — and the [`SyncStatus`] snapshot assembled from them and the chain.

use crate::{
    DerivedHeads, RollupError, RollupResult,
    derivation::L1Status,
    l2::{L2Output, block_by_hash, block_ref, canonical_ref, output_at},
    safe_heads::{self, SafeHeadEntry},
    sequencer::SequencerControl,
};
use phala_protocol::{
    derive::{L1BlockRef, L2BlockRef},
    rollup::RollupConfig,
};
use phala_storage::{Database, KeyValueRead};
use std::sync::Arc;
use tokio::sync::watch;

/// A snapshot of where the rollup node is (op-node's `SyncStatus`, before its interop fields:
/// on one chain those equal the safe and unsafe heads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStatus {
    /// The L1 block derivation has read up to.
    pub current_l1: L1BlockRef,
    /// L1's head.
    pub head_l1: L1BlockRef,
    /// L1's `safe` block.
    pub safe_l1: L1BlockRef,
    /// L1's `finalized` block.
    pub finalized_l1: L1BlockRef,
    /// The chain's tip (the canonical head).
    pub unsafe_l2: L2BlockRef,
    /// Derived from L1 data.
    pub safe_l2: L2BlockRef,
    /// Derived from finalized L1 data.
    pub finalized_l2: L2BlockRef,
}

/// What the rollup RPC reads of the rollup services; cheap to clone.
#[derive(Debug, Clone)]
pub struct RollupHandle {
    rollup: Arc<RollupConfig>,
    heads: watch::Receiver<DerivedHeads>,
    l1: watch::Receiver<L1Status>,
    sequencer: Option<SequencerControl>,
}

impl RollupHandle {
    /// A handle over derivation's `heads` and `l1` status and, on a sequencer, its control.
    pub const fn new(
        rollup: Arc<RollupConfig>,
        heads: watch::Receiver<DerivedHeads>,
        l1: watch::Receiver<L1Status>,
        sequencer: Option<SequencerControl>,
    ) -> Self {
        Self { rollup, heads, l1, sequencer }
    }

    /// The rollup config.
    pub const fn rollup(&self) -> &Arc<RollupConfig> {
        &self.rollup
    }

    /// The sequencer's control; `None` on a verifier.
    pub const fn sequencer(&self) -> Option<&SequencerControl> {
        self.sequencer.as_ref()
    }

    /// The sync status now: derivation's view with the chain's head from `db`.
    pub fn sync_status(&self, db: &Database) -> RollupResult<SyncStatus> {
        let heads = *self.heads.borrow();
        let l1 = *self.l1.borrow();
        let head = db.head_hash()?;
        let block = block_by_hash(db, head)?.ok_or(RollupError::UnknownL2Parent(head))?;
        Ok(SyncStatus {
            current_l1: l1.current,
            head_l1: l1.head,
            safe_l1: l1.safe,
            finalized_l1: l1.finalized,
            unsafe_l2: block_ref(&self.rollup, head, &block)?,
            safe_l2: heads.safe,
            finalized_l2: heads.finalized,
        })
    }

    /// Canonical block `number`'s reference and output, read so both are of the same block
    /// even while the chain re-organises; `None` above the head.
    pub fn output_at(
        &self,
        db: &Database,
        number: u64,
    ) -> RollupResult<Option<(L2BlockRef, L2Output)>> {
        // A re-org between the two reads changes the hash; read again (a few times at most).
        for _ in 0..3 {
            let Some(block) = canonical_ref(db, &self.rollup, number)? else { return Ok(None) };
            let Some(output) = output_at(db, number)? else { return Ok(None) };
            if output.block_hash == block.hash {
                return Ok(Some((block, output)));
            }
        }
        Err(RollupError::L2BlockMissing(number))
    }

    /// The safe head recorded at the newest L1 block at or below `l1_number`.
    pub fn safe_head_at_l1(
        &self,
        db: &Database,
        l1_number: u64,
    ) -> RollupResult<Option<SafeHeadEntry>> {
        safe_heads::at_l1(db, l1_number)
    }
}
