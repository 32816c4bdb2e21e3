//! [`RollupSequencer`]: builds the unsafe L2 chain on L1 origins.
//!
//! Each block comes `block_time` after its parent, when the wall clock reaches it. Its L1 origin
//! is the parent's or the next L1 block ([`select_sequencer_origin`]: adopted once the L2 time
//! reaches it, forced past the sequencer drift), read `l1_confirmations` behind the L1 head. The
//! first block of an epoch carries the origin's deposits right after the L1-info deposit, ahead
//! of any pool transaction, and the origin's SystemConfig updates apply from it. The attributes
//! come from phala-protocol's [`build_attributes`], the builder the verifier derives with, so the
//! verifier rebuilds the same blocks from the batches.

use crate::{
    L1Source, RollupError, RollupResult,
    derivation::{DerivedHeads, engine_attributes},
    l2::{block_by_hash, block_ref, system_config_of},
};
use phala_engine::{Engine, ImportOutcome};
use phala_protocol::{
    derive::{L1Epoch, OriginSelectionError, build_attributes, select_sequencer_origin},
    rollup::RollupConfig,
};
use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::watch;
use tracing::{info, warn};

/// How the sequencer works.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// L1 blocks behind the L1 head an origin must be (a shallow L1 re-org then leaves origins
    /// alone).
    pub l1_confirmations: u64,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self { l1_confirmations: 4 }
    }
}

/// The sequencer service.
#[derive(Debug)]
pub struct RollupSequencer {
    engine: Arc<Engine>,
    l1: L1Source,
    rollup: Arc<RollupConfig>,
    config: SequencerConfig,
    heads: watch::Receiver<DerivedHeads>,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// What one attempt to build the next block did.
#[derive(Debug)]
pub enum SequencerStep {
    /// A block was sealed.
    Sealed {
        /// Its number.
        number: u64,
        /// How many transactions it has.
        transactions: usize,
    },
    /// Not yet: the wall clock or the L1 is behind.
    Wait(Duration),
}

impl RollupSequencer {
    /// A sequencer of `engine`'s chain on the L1 of `l1`; `heads` are the derivation's.
    pub fn new(
        engine: Arc<Engine>,
        l1: L1Source,
        config: SequencerConfig,
        heads: watch::Receiver<DerivedHeads>,
    ) -> Self {
        let rollup = l1.rollup().clone();
        Self { engine, l1, rollup, config, heads }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        info!(target: "sequencer", block_time = self.rollup.block_time, "rollup sequencer started");
        loop {
            let pause = match self.step().await {
                Ok(SequencerStep::Sealed { number, transactions }) => {
                    info!(target: "sequencer", number, transactions, "sealed block");
                    Duration::ZERO
                }
                Ok(SequencerStep::Wait(pause)) => pause,
                Err(err) => {
                    warn!(target: "sequencer", %err, "failed to build a block; retrying");
                    Duration::from_millis(500)
                }
            };
            if pause.is_zero() {
                if shutdown.has_changed().unwrap_or(true) {
                    break;
                }
                continue;
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Builds the next block if its time has come and its origin is known.
    pub async fn step(&self) -> RollupResult<SequencerStep> {
        let db = self.engine.db();
        let (head, _) = self.engine.canonical_head()?;
        let parent_block = block_by_hash(db, head)?.ok_or(RollupError::UnknownL2Parent(head))?;
        let parent = block_ref(&self.rollup, head, &parent_block)?;
        let next_time = parent.timestamp + self.rollup.block_time;
        let now = unix_now();
        if now < next_time {
            return Ok(SequencerStep::Wait(Duration::from_millis(
                ((next_time - now) * 1000).min(1000),
            )));
        }
        let Some(current) = self.l1.header(parent.l1_origin.number).await? else {
            return Ok(SequencerStep::Wait(Duration::from_millis(500)));
        };
        if current.hash != parent.l1_origin.hash {
            // The L1 re-organised under our origin: go back to the safe chain, whose origins
            // derivation keeps on L1, and build from there.
            let safe = self.heads.borrow().safe;
            warn!(target: "sequencer", origin = parent.l1_origin.number, safe = safe.number, "the L1 origin was re-organised away; rewinding to the safe head");
            let engine = self.engine.clone();
            tokio::task::spawn_blocking(move || engine.make_canonical(safe.hash))
                .await
                .expect("the rewind task does not panic")?;
            return Ok(SequencerStep::Wait(Duration::ZERO));
        }
        let l1_head = self.l1.number_at(alloy_rpc_types_eth::BlockNumberOrTag::Latest).await?;
        let next_number = parent.l1_origin.number + 1;
        let next_block = match l1_head {
            Some(l1_head) if l1_head >= next_number + self.config.l1_confirmations => {
                self.l1.block_without_transactions(next_number).await?
            }
            _ => None,
        };
        let next = next_block.as_ref().map(|block| self.l1.header_of(block));
        let selection = match select_sequencer_origin(
            &self.rollup,
            &current.block_ref(),
            next.as_ref().map(|header| header.block_ref()).as_ref(),
            next_time,
        ) {
            Ok(selection) => selection,
            Err(OriginSelectionError::NextOriginRequired { .. }) => {
                return Ok(SequencerStep::Wait(Duration::from_millis(500)));
            }
            Err(OriginSelectionError::NextNotChild { .. }) => {
                // The next L1 block is on another branch than our origin: wait for L1 to settle.
                return Ok(SequencerStep::Wait(Duration::from_millis(500)));
            }
            Err(err) => return Err(RollupError::OriginSelection(err)),
        };
        let mut system_config = system_config_of(&self.rollup, &parent_block)?;
        let epoch = match (&next_block, selection.advanced) {
            (Some(block), true) => {
                let input = self.l1.block_input(block).await?;
                let ecotone =
                    self.rollup.forks.ecotone_time.is_some_and(|at| block.header.timestamp >= at);
                for log in &input.config_updates {
                    if let Err(err) = system_config.apply_update(log, ecotone) {
                        warn!(target: "sequencer", %err, "skipping a malformed SystemConfig update");
                    }
                }
                input.epoch
            }
            _ => L1Epoch { header: current, deposits: Vec::new() },
        };
        let mut attributes =
            build_attributes(&self.rollup, &parent, &epoch, &system_config, Vec::new())?;
        // Past the drift only deposits are allowed; otherwise the pool fills the block.
        attributes.no_tx_pool = selection.deposits_only;
        let Some(block_attributes) = engine_attributes(&attributes) else {
            return Err(RollupError::UndecodableDeposit);
        };
        let engine = self.engine.clone();
        let sealed =
            tokio::task::spawn_blocking(move || engine.seal_block(&block_attributes, false))
                .await
                .expect("the block task does not panic")?;
        match sealed {
            Some((ImportOutcome::Imported { number, .. }, payload)) => Ok(SequencerStep::Sealed {
                number,
                transactions: payload.block.body.transactions.len(),
            }),
            _ => Ok(SequencerStep::Wait(Duration::from_millis(100))),
        }
    }
}
