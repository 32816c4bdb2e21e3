//! [`Batcher`]: posts the unsafe L2 chain to the L1 batch inbox.
//!
//! Blocks after the safe head become one span batch in one brotli channel, cut into frames: one
//! frame per calldata transaction, or one frame per blob and up to [`MAX_BLOBS_PER_TX`] blobs per
//! blob transaction. One channel is in flight at a time, as Holocene's strict ordering wants.
//! The channel's transactions are signed, recorded in the database ([`IN_FLIGHT_KEY`]) and only
//! then sent, so a batcher killed at any point finds on restart what it sent: landed transactions
//! are not posted again, missing ones are re-sent with the same nonce. A channel is done when the
//! derivation's safe head passes its last block; it is abandoned and its blocks posted again in a
//! new channel when its nonces were taken by other transactions, when the L2 chain under it
//! re-organised, or when it landed but never became safe within the channel timeout (an L1
//! re-org dropped it, or the data was refused).

use crate::{
    RollupResult,
    l2::{batch_transactions, canonical_block, canonical_ref},
    records::{delete_record, read_record, write_record},
};
use alloy_eips::eip4844::Blob;
use alloy_primitives::{B256, Bytes};
use alloy_rpc_types_eth::BlockNumberOrTag;
use phala_engine::Engine;
use phala_l1::{BlobSidecarForm, L1Call, L1Wallet, SignedL1Tx, blob_sidecar_form};
use phala_protocol::{
    batch::{
        Batch, ChannelId, MAX_BLOB_DATA_SIZE, SpanBatch, SpanBlock, batcher_tx_data, channel_rlp,
        compress_brotli, encode_blob, frames_of_channel,
    },
    derive::L2BlockRef,
    rollup::RollupConfig,
};
use serde::{Deserialize, Serialize};
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;
use tracing::{info, warn};

/// The database record of the channel in flight.
pub const IN_FLIGHT_KEY: &str = "batcher.in_flight";
/// Most blobs one blob transaction carries (EIP-7594's per-transaction limit).
pub const MAX_BLOBS_PER_TX: usize = 6;
/// Largest calldata of one batcher transaction (op-batcher's default frame size).
pub const MAX_CALLDATA_BYTES: usize = 120_000;

/// Where batches go on L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataAvailability {
    /// Frames in transaction calldata.
    Calldata,
    /// Frames in EIP-4844 blobs.
    Blobs,
}

impl std::str::FromStr for DataAvailability {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "calldata" => Ok(Self::Calldata),
            "blobs" => Ok(Self::Blobs),
            other => Err(format!("unknown data availability {other:?} (calldata or blobs)")),
        }
    }
}

/// How the batcher works.
#[derive(Debug, Clone)]
pub struct BatcherConfig {
    /// Calldata or blobs.
    pub data_availability: DataAvailability,
    /// Most L2 blocks in one channel.
    pub max_blocks_per_channel: u64,
    /// How often it looks for new blocks and checks its transactions.
    pub poll_interval: Duration,
    /// L1 blocks a sent transaction may stay unmined before it is sent again with higher fees.
    pub resubmit_after: u64,
    /// L1 blocks to gather L2 blocks before posting them (op-batcher's max channel duration):
    /// 0 posts as soon as there is a block; more fills calldata and blobs better. A channel
    /// whose data fills its transactions is posted at once.
    pub max_channel_duration: u64,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        Self {
            data_availability: DataAvailability::Calldata,
            max_blocks_per_channel: 1_000,
            poll_interval: Duration::from_millis(500),
            resubmit_after: 4,
            max_channel_duration: 0,
        }
    }
}

/// One batcher transaction of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ChannelTx {
    nonce: u64,
    /// Its frames' transaction data: one for calldata, one per blob.
    frames: Vec<Bytes>,
    /// Every hash it was sent under (a re-send with higher fees has a new one).
    hashes: Vec<B256>,
    /// The L1 head when it was last sent.
    sent_at: u64,
    /// How many times it was sent.
    attempts: u32,
    /// The L1 block it was last seen in.
    included_in: Option<u64>,
}

/// The channel in flight, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct InFlight {
    channel_id: B256,
    first: u64,
    last: u64,
    last_hash: B256,
    mode: DataAvailability,
    txs: Vec<ChannelTx>,
}

/// Totals for the operator's log.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    channels: u64,
    l2_txs: u64,
    rlp_bytes: u64,
    compressed_bytes: u64,
}

/// The batcher service.
#[derive(Debug)]
pub struct Batcher {
    engine: Arc<Engine>,
    wallet: L1Wallet,
    rollup: Arc<RollupConfig>,
    config: BatcherConfig,
    safe_head: watch::Receiver<L2BlockRef>,
    sidecar_form: BlobSidecarForm,
    totals: Totals,
    /// The L1 head when the blocks waiting to be posted were first seen.
    gathering_since: Option<u64>,
}

impl Batcher {
    /// A batcher of `engine`'s chain sending from `wallet`, told the safe head by `safe_head`.
    pub async fn new(
        engine: Arc<Engine>,
        wallet: L1Wallet,
        rollup: Arc<RollupConfig>,
        config: BatcherConfig,
        safe_head: watch::Receiver<L2BlockRef>,
    ) -> Self {
        let sidecar_form = blob_sidecar_form(wallet.client()).await;
        Self {
            engine,
            wallet,
            rollup,
            config,
            safe_head,
            sidecar_form,
            totals: Totals::default(),
            gathering_since: None,
        }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        info!(target: "batcher", address = %self.wallet.address(), mode = ?self.config.data_availability, "batcher started");
        loop {
            if let Err(err) = self.step().await {
                warn!(target: "batcher", %err, "batcher step failed; retrying");
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    /// One round: check the channel in flight, or open the next one.
    pub async fn step(&mut self) -> RollupResult<()> {
        let db = self.engine.db();
        let safe = *self.safe_head.borrow();
        match read_record::<InFlight>(db, IN_FLIGHT_KEY)? {
            Some(flight) => self.check(flight, safe).await,
            None => self.open_channel(safe).await,
        }
    }

    async fn check(&mut self, mut flight: InFlight, safe: L2BlockRef) -> RollupResult<()> {
        let db = self.engine.db();
        if safe.number >= flight.last {
            info!(target: "batcher", first = flight.first, last = flight.last, "channel is safe on L1");
            return delete_record(db, IN_FLIGHT_KEY);
        }
        let l2_moved =
            canonical_block(db, flight.last)?.is_none_or(|(hash, _)| hash != flight.last_hash);
        if l2_moved || safe.number + 1 < flight.first {
            warn!(target: "batcher", first = flight.first, last = flight.last, "the L2 chain under the channel changed; posting again");
            return delete_record(db, IN_FLIGHT_KEY);
        }
        let client = self.wallet.client().clone();
        let l1_head = client.block_number().await?;
        let confirmed_nonce = client.nonce(self.wallet.address(), BlockNumberOrTag::Latest).await?;
        let mut changed = false;
        for index in 0..flight.txs.len() {
            let mut included = None;
            for hash in &flight.txs[index].hashes {
                if let Some(receipt) = client.receipt(*hash).await? {
                    included = receipt.block_number;
                }
            }
            if included != flight.txs[index].included_in {
                flight.txs[index].included_in = included;
                changed = true;
            }
            let tx = &flight.txs[index];
            if tx.included_in.is_some() || l1_head < tx.sent_at + self.config.resubmit_after {
                continue;
            }
            if confirmed_nonce > tx.nonce {
                warn!(target: "batcher", nonce = tx.nonce, "a channel nonce was used by another transaction; posting again");
                return delete_record(db, IN_FLIGHT_KEY);
            }
            // Not mined: send it again with the same nonce and higher fees, recorded first.
            let attempt = tx.attempts + 1;
            let signed = self.sign(tx, flight.mode, 1u128 << attempt.min(6)).await?;
            let tx = &mut flight.txs[index];
            tx.hashes.push(signed.hash);
            tx.sent_at = l1_head;
            tx.attempts = attempt;
            write_record(db, IN_FLIGHT_KEY, &flight)?;
            warn!(target: "batcher", nonce = signed.nonce, hash = %signed.hash, attempt, "re-sending a batcher transaction");
            if let Err(err) = self.wallet.send_signed(&signed).await {
                warn!(target: "batcher", %err, "re-send refused");
            }
        }
        // Every frame landed but derivation never made the blocks safe: the data was dropped
        // (re-org, timeout, refused); post the blocks again.
        let landed: Option<Vec<u64>> = flight.txs.iter().map(|tx| tx.included_in).collect();
        if let Some(blocks) = landed {
            let first = blocks.iter().min().copied().unwrap_or_default();
            let timeout = self.rollup.channel_timeout_at(safe.timestamp);
            if l1_head > first + timeout + self.config.resubmit_after {
                warn!(target: "batcher", first = flight.first, last = flight.last, "the channel landed but did not become safe; posting again");
                return delete_record(db, IN_FLIGHT_KEY);
            }
        }
        if changed {
            write_record(db, IN_FLIGHT_KEY, &flight)?;
        }
        Ok(())
    }

    async fn sign(
        &self,
        tx: &ChannelTx,
        mode: DataAvailability,
        fee_multiplier: u128,
    ) -> RollupResult<SignedL1Tx> {
        let inbox = self.rollup.batch_inbox_address;
        Ok(match mode {
            DataAvailability::Calldata => {
                let call = L1Call {
                    to: Some(inbox),
                    data: tx.frames[0].clone(),
                    // Intrinsic gas of the calldata plus the EIP-7623 floor's margin.
                    gas: Some(21_000 + 40 * tx.frames[0].len() as u64),
                    ..Default::default()
                };
                self.wallet.sign(&call, Some(tx.nonce), fee_multiplier).await?
            }
            DataAvailability::Blobs => {
                let blobs = tx
                    .frames
                    .iter()
                    .map(|data| {
                        let blob = encode_blob(data)?;
                        Ok(Blob::try_from(blob.as_slice()).expect("encode_blob returns one blob"))
                    })
                    .collect::<RollupResult<Vec<_>>>()?;
                self.wallet
                    .sign_blobs(inbox, blobs, self.sidecar_form, Some(tx.nonce), fee_multiplier)
                    .await?
            }
        })
    }

    /// Encodes the blocks after `safe` into a channel, records it and sends its transactions.
    async fn open_channel(&mut self, safe: L2BlockRef) -> RollupResult<()> {
        let db = self.engine.db();
        let (_, head) = self.engine.canonical_head()?;
        if head.number <= safe.number {
            return Ok(());
        }
        let first = safe.number + 1;
        let last = head.number.min(safe.number + self.config.max_blocks_per_channel);
        let parent = canonical_ref(db, &self.rollup, safe.number)?
            .ok_or(crate::RollupError::L2BlockMissing(safe.number))?;
        let mut blocks = Vec::new();
        for number in first..=last {
            let Some((hash, block)) = canonical_block(db, number)? else { return Ok(()) };
            let block_ref = crate::l2::block_ref(&self.rollup, hash, &block)?;
            blocks.push((block_ref, batch_transactions(&block)));
        }
        if blocks.first().is_some_and(|(block, _)| block.parent_hash != parent.hash) {
            // The safe head is behind a re-org the derivation has not caught up with.
            return Ok(());
        }
        let span_blocks: Vec<SpanBlock<'_>> = blocks
            .iter()
            .map(|(block, txs)| SpanBlock {
                timestamp: block.timestamp,
                epoch_num: block.l1_origin.number,
                epoch_hash: block.l1_origin.hash,
                parent_hash: block.parent_hash,
                transactions: txs,
            })
            .collect();
        let span = SpanBatch::from_blocks(
            &span_blocks,
            self.rollup.genesis.l2_time,
            parent.l1_origin.number,
        )?;
        let rlp = channel_rlp(&[Batch::Span(span)]);
        let compressed = compress_brotli(&rlp);
        let mode = self.config.data_availability;
        let per_tx = match mode {
            DataAvailability::Calldata => 1,
            DataAvailability::Blobs => MAX_BLOBS_PER_TX,
        };
        let frame_budget = match mode {
            DataAvailability::Calldata => MAX_CALLDATA_BYTES,
            DataAvailability::Blobs => MAX_BLOB_DATA_SIZE,
        };
        // Gather blocks for up to the channel duration, unless the data already fills a
        // transaction (or the channel holds as many blocks as it may).
        let l1_head = self.wallet.client().block_number().await?;
        let since = *self.gathering_since.get_or_insert(l1_head);
        let full = compressed.len() >= frame_budget * per_tx
            || last - first + 1 >= self.config.max_blocks_per_channel;
        if !full && l1_head < since + self.config.max_channel_duration {
            return Ok(());
        }
        self.gathering_since = None;
        let last_hash = blocks.last().map(|(block, _)| block.hash).unwrap_or_default();
        // Distinct per range and head, and salted with the batcher's next nonce, so a re-post of
        // the same blocks opens a new channel.
        let channel_id: ChannelId = {
            let salt = self.wallet.pending_nonce().await?;
            let digest = alloy_primitives::keccak256(
                [last_hash.as_slice(), &first.to_be_bytes(), &salt.to_be_bytes()].concat(),
            );
            digest[..16].try_into().expect("16 bytes")
        };
        let frames: Vec<Bytes> = frames_of_channel(channel_id, &compressed, frame_budget)?
            .iter()
            .map(|frame| batcher_tx_data(frame).into())
            .collect();
        let mut nonce = self.wallet.pending_nonce().await?;
        let mut flight = InFlight {
            channel_id: B256::right_padding_from(&channel_id),
            first,
            last,
            last_hash,
            mode,
            txs: Vec::new(),
        };
        let mut signed = Vec::new();
        for chunk in frames.chunks(per_tx) {
            let mut tx = ChannelTx {
                nonce,
                frames: chunk.to_vec(),
                hashes: Vec::new(),
                sent_at: l1_head,
                attempts: 0,
                included_in: None,
            };
            let signed_tx = self.sign(&tx, mode, 1).await?;
            tx.hashes.push(signed_tx.hash);
            flight.txs.push(tx);
            signed.push(signed_tx);
            nonce += 1;
        }
        // Recorded before anything is sent: a crash after this never loses track of a post.
        write_record(db, IN_FLIGHT_KEY, &flight)?;
        let l2_txs: usize = blocks.iter().map(|(_, txs)| txs.len()).sum();
        self.totals.channels += 1;
        self.totals.l2_txs += l2_txs as u64;
        self.totals.rlp_bytes += rlp.len() as u64;
        self.totals.compressed_bytes += compressed.len() as u64;
        info!(
            target: "batcher",
            first, last, l2_txs, frames = frames.len(), l1_txs = signed.len(),
            rlp_bytes = rlp.len(), compressed_bytes = compressed.len(),
            total_ratio_permille = self.totals.compressed_bytes * 1000 / self.totals.rlp_bytes.max(1),
            "posting a channel"
        );
        for tx in &signed {
            if let Err(err) = self.wallet.send_signed(tx).await {
                // Recorded already: the next rounds re-send it.
                warn!(target: "batcher", %err, nonce = tx.nonce, "sending a batcher transaction failed");
            }
        }
        Ok(())
    }
}
