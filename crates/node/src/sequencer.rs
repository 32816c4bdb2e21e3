//! The sequencer: has the engine seal blocks from the pool on a timer (or one per transaction).
//! A sealed block is committed with the writes the builder made, without executing it again.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use phala_engine::{BlockAttributes, Engine, EngineError, ForkchoiceState, ImportOutcome};
use phala_evm::op_spec_at_timestamp;
use phala_primitives::{ChainSpec, EthereumHardforks, Header, PhalaTxEnvelope};
use phala_protocol::{L1BlockInfo, L1InfoFormat};
use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::watch;
use tracing::{info, warn};

/// When the sequencer seals blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockTime {
    /// A block at this interval, empty or not.
    Interval(Duration),
    /// A block as soon as a transaction arrives.
    PerTransaction,
}

/// Builds and commits blocks.
#[derive(Debug)]
pub struct Sequencer {
    ctx: Arc<Engine>,
    block_time: BlockTime,
    fee_recipient: Address,
}

impl Sequencer {
    /// A sequencer on `ctx`.
    pub const fn new(ctx: Arc<Engine>, block_time: BlockTime, fee_recipient: Address) -> Self {
        Self { ctx, block_time, fee_recipient }
    }

    /// Seals blocks until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut ticker = match self.block_time {
            BlockTime::Interval(period) => {
                let mut ticker = tokio::time::interval(period);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticker.tick().await;
                Some(ticker)
            }
            BlockTime::PerTransaction => None,
        };
        loop {
            let only_if_pending = ticker.is_none();
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = async {
                    match ticker.as_mut() {
                        Some(ticker) => { ticker.tick().await; }
                        None => self.ctx.transaction_arrived().notified().await,
                    }
                } => {}
            }
            let ctx = self.ctx.clone();
            let fee_recipient = self.fee_recipient;
            let sealed = tokio::task::spawn_blocking(move || {
                seal_block(&ctx, fee_recipient, only_if_pending)
            })
            .await;
            match sealed {
                Ok(Ok(Some((number, hash, txs)))) => {
                    info!(target: "sequencer", number, %hash, txs, "sealed block")
                }
                Ok(Ok(None)) => {}
                Ok(Err(err)) => warn!(target: "sequencer", %err, "failed to seal a block"),
                Err(err) => warn!(target: "sequencer", %err, "block task failed"),
            }
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The synthetic L1 origin of a sequencer without an L1 (`--dev`): fixed values, so that the
/// L1-attributes deposit of every block sets the same fee parameters and L1 fees are non-zero.
/// L1 block 1 at time 0 with hash `keccak256("phala-node dev L1 origin")`, an L1 base fee of
/// 1 gwei and a blob base fee of 1 wei, OP Mainnet's Ecotone scalars (base fee 1368, blob base
/// fee 810949), no operator fee, and no batcher.
pub fn dev_l1_origin() -> L1BlockInfo {
    L1BlockInfo {
        number: 1,
        timestamp: 0,
        base_fee: U256::from(1_000_000_000u64),
        block_hash: keccak256("phala-node dev L1 origin"),
        blob_base_fee: U256::from(1),
        base_fee_scalar: 1368,
        blob_base_fee_scalar: 810_949,
        ..Default::default()
    }
}

/// The L1-attributes deposit that opens an OP block at `timestamp` on `parent` with L1 origin
/// `origin` (its sequence number is set here: the origin never changes, so it counts blocks).
pub fn l1_attributes_deposit(
    spec: &ChainSpec,
    parent: &Header,
    timestamp: u64,
    origin: &L1BlockInfo,
) -> PhalaTxEnvelope {
    let op_spec = op_spec_at_timestamp(spec, timestamp);
    let parent_spec = op_spec_at_timestamp(spec, parent.timestamp);
    let format = L1InfoFormat::for_block(op_spec, Some(parent_spec));
    let info = L1BlockInfo { sequence_number: parent.number, ..*origin };
    info.deposit_tx(format, op_spec).into()
}

/// The attributes of the next block on `parent`: the clock's time (strictly after the parent);
/// on an OP chain the L1-attributes deposit of the dev L1 origin comes first and `extraData`
/// carries the chain's EIP-1559 parameters.
pub fn next_attributes(ctx: &Engine, parent: &Header, fee_recipient: Address) -> BlockAttributes {
    let timestamp = unix_now().max(parent.timestamp + 1);
    let spec = ctx.spec();
    let mut attributes = BlockAttributes {
        timestamp,
        beneficiary: fee_recipient,
        gas_limit: Some(ctx.sequenced_gas_limit(parent)),
        prev_randao: B256::ZERO,
        parent_beacon_block_root: spec
            .is_cancun_active_at_timestamp(timestamp)
            .then_some(B256::ZERO),
        extra_data: Bytes::new(),
        ..Default::default()
    };
    if spec.is_optimism() {
        attributes.transactions =
            vec![l1_attributes_deposit(spec, parent, timestamp, &dev_l1_origin())];
        attributes.eip1559_params = Some([0; 8]);
        attributes.min_base_fee = Some(0);
    }
    attributes
}

/// Seals a block from the pool. With `only_if_pending`, nothing happens when the pool has
/// nothing executable. Returns the sealed block's number, hash and transaction count.
pub fn seal_block(
    ctx: &Engine,
    fee_recipient: Address,
    only_if_pending: bool,
) -> Result<Option<(u64, B256, usize)>, EngineError> {
    let (_, parent) = ctx.canonical_head()?;
    let attributes = next_attributes(ctx, &parent, fee_recipient);
    let Some((outcome, payload)) = ctx.seal_block(&attributes, only_if_pending)? else {
        return Ok(None);
    };
    match outcome {
        ImportOutcome::Imported { hash, number, .. } => {
            // A single sequencer's blocks are final as soon as they are sealed.
            ctx.set_forkchoice(ForkchoiceState { safe: Some(hash), finalized: Some(hash) });
            Ok(Some((number, hash, payload.block.body.transactions.len())))
        }
        ImportOutcome::AlreadyCanonical(_) => Ok(None),
    }
}
