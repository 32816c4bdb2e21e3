//! [`RollupSequencer`]: builds the unsafe L2 chain on L1 origins.
//!
//! Each block comes `block_time` after its parent, when the wall clock reaches it. Its L1 origin
//! is the parent's or the next L1 block ([`select_sequencer_origin`]: adopted once the L2 time
//! reaches it, forced past the sequencer drift), read `l1_confirmations` behind the L1 head. The
//! first block of an epoch carries the origin's deposits right after the L1-info deposit, ahead
//! of any pool transaction, and the origin's SystemConfig updates apply from it. The attributes
//! come from phala-protocol's [`build_attributes`], the builder the verifier derives with, so the
//! verifier rebuilds the same blocks from the batches.
//!
//! [`SequencerControl`] starts and stops it (op-node's `admin_startSequencer` and
//! `admin_stopSequencer`): a stopped sequencer builds nothing, while derivation goes on; a start
//! names the unsafe head it continues from, so an operator cannot start it on a head it has not
//! seen.

use crate::{
    L1Source, RollupError, RollupResult,
    derivation::{DerivedHeads, engine_attributes},
    l2::{block_by_hash, block_ref, system_config_of},
};
use alloy_primitives::B256;
use phala_engine::{Engine, ImportOutcome};
use phala_protocol::{
    derive::{L1Epoch, OriginSelectionError, build_attributes, select_sequencer_origin},
    rollup::RollupConfig,
};
use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{Mutex, watch};
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
    control: SequencerControl,
}

/// Why a start or stop was refused (op-node's messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SequencerControlError {
    /// Start while running.
    #[error("sequencer already running")]
    AlreadyStarted,
    /// Stop while stopped.
    #[error("sequencer not running")]
    AlreadyStopped,
    /// Start on a hash that is not the unsafe head.
    #[error("block hash does not match: head {head}:{number}, received {received}")]
    HeadMismatch {
        /// The unsafe head's hash.
        head: B256,
        /// The unsafe head's number.
        number: u64,
        /// The hash the caller named.
        received: B256,
    },
    /// The unsafe head could not be read.
    #[error("cannot read the unsafe head: {0}")]
    Head(String),
}

/// Starts and stops a [`RollupSequencer`]; clones control the same sequencer.
#[derive(Debug, Clone)]
pub struct SequencerControl {
    engine: Arc<Engine>,
    active: Arc<watch::Sender<bool>>,
    /// Held while a block is built, so a stop waits for the block in flight and then reports
    /// the head it left.
    building: Arc<Mutex<()>>,
}

impl SequencerControl {
    fn new(engine: Arc<Engine>) -> Self {
        Self {
            engine,
            active: Arc::new(watch::channel(true).0),
            building: Arc::new(Mutex::new(())),
        }
    }

    /// Whether the sequencer builds blocks.
    pub fn is_active(&self) -> bool {
        *self.active.borrow()
    }

    fn head(&self) -> Result<(B256, u64), SequencerControlError> {
        let (hash, header) = self
            .engine
            .canonical_head()
            .map_err(|err| SequencerControlError::Head(err.to_string()))?;
        Ok((hash, header.number))
    }

    /// Stops building once the block in flight (if any) is sealed; returns the unsafe head the
    /// sequencer stopped at.
    pub async fn stop(&self) -> Result<B256, SequencerControlError> {
        let _building = self.building.lock().await;
        if !self.is_active() {
            return Err(SequencerControlError::AlreadyStopped);
        }
        self.active.send_replace(false);
        let (hash, number) = self.head()?;
        info!(target: "sequencer", number, %hash, "sequencer stopped");
        Ok(hash)
    }

    /// Starts building on `unsafe_head`, which must be the current unsafe head.
    pub async fn start(&self, unsafe_head: B256) -> Result<(), SequencerControlError> {
        let _building = self.building.lock().await;
        if self.is_active() {
            return Err(SequencerControlError::AlreadyStarted);
        }
        let (head, number) = self.head()?;
        if head != unsafe_head {
            return Err(SequencerControlError::HeadMismatch {
                head,
                number,
                received: unsafe_head,
            });
        }
        self.active.send_replace(true);
        info!(target: "sequencer", number, hash = %head, "sequencer started");
        Ok(())
    }
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
        let control = SequencerControl::new(engine.clone());
        Self { engine, l1, rollup, config, heads, control }
    }

    /// The sequencer, stopped until [`SequencerControl::start`] (op-node's `--sequencer.stopped`).
    pub fn stopped(self) -> Self {
        self.control.active.send_replace(false);
        self
    }

    /// Its start and stop control.
    pub fn control(&self) -> SequencerControl {
        self.control.clone()
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        info!(target: "sequencer", block_time = self.rollup.block_time, active = self.control.is_active(), "rollup sequencer started");
        let mut active = self.control.active.subscribe();
        loop {
            if !*active.borrow_and_update() {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = active.changed() => continue,
                }
            }
            let building = self.control.building.lock().await;
            // A stop may have come while this waited for the lock.
            if !self.control.is_active() {
                continue;
            }
            let step = self.step().await;
            drop(building);
            let pause = match step {
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
                // A stop cuts the pause short, so the loop sees it.
                _ = active.changed() => {}
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
