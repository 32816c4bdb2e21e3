//! [`L1Source`]: what the rollup services read from L1, in derivation's terms — an L1 block's
//! header values ([`L1Header`], with its blob base fee), its deposits and SystemConfig updates
//! ([`L1BlockInput`]), and its batcher data: calldata, or the blobs of blob transactions read
//! from the beacon API and decoded.

use crate::RollupResult;
use alloy_consensus::Transaction as _;
use alloy_eips::eip4844::{BLOB_TX_MIN_BLOB_GASPRICE, fake_exponential};
use alloy_primitives::{Address, Bytes};
use alloy_rpc_types_eth::BlockNumberOrTag;
use phala_l1::{BeaconClient, L1Block, L1Client, wallet::blob_base_fee_update_fraction};
use phala_protocol::{
    batch::decode_blob,
    derive::{L1BlockInput, L1BlockRef, L1Header, L1Log, is_batcher_transaction},
    rollup::RollupConfig,
};
use std::sync::Arc;
use tracing::warn;

/// The L1 as the rollup reads it.
#[derive(Debug, Clone)]
pub struct L1Source {
    client: L1Client,
    beacon: BeaconClient,
    rollup: Arc<RollupConfig>,
    blob_fee_fraction: u128,
}

impl L1Source {
    /// A source over the L1 node at `client` and the beacon API at `beacon`.
    pub async fn new(
        client: L1Client,
        beacon: BeaconClient,
        rollup: Arc<RollupConfig>,
    ) -> RollupResult<Self> {
        let chain_id = client.chain_id().await?;
        if chain_id != rollup.l1_chain_id {
            warn!(target: "rollup::l1", chain_id, expected = rollup.l1_chain_id, "the L1 chain id differs from the rollup config's");
        }
        let blob_fee_fraction = blob_base_fee_update_fraction(&client).await;
        Ok(Self { client, beacon, rollup, blob_fee_fraction })
    }

    /// The L1 JSON-RPC client.
    pub const fn client(&self) -> &L1Client {
        &self.client
    }

    /// The rollup config.
    pub const fn rollup(&self) -> &Arc<RollupConfig> {
        &self.rollup
    }

    /// The number of the L1 block at `tag` (`latest`, `safe`, `finalized`).
    pub async fn number_at(&self, tag: BlockNumberOrTag) -> RollupResult<Option<u64>> {
        Ok(self.client.block_header_by_number(tag).await?.map(|block| block.header.number))
    }

    /// The reference of the L1 block at `tag` (`latest`, `safe`, `finalized`), if there is one.
    pub async fn block_ref_at(&self, tag: BlockNumberOrTag) -> RollupResult<Option<L1BlockRef>> {
        let block = self.client.block_header_by_number(tag).await?;
        Ok(block.map(|block| self.header_of(&block).block_ref()))
    }

    /// The hash of the canonical L1 block `number`, if it exists.
    pub async fn hash_at(&self, number: u64) -> RollupResult<Option<alloy_primitives::B256>> {
        Ok(self.block_without_transactions(number).await?.map(|block| block.header.hash))
    }

    /// The L1 block `number` with its transactions' hashes only: enough for its header and, with
    /// [`Self::block_input`], its deposits and config updates.
    pub async fn block_without_transactions(&self, number: u64) -> RollupResult<Option<L1Block>> {
        Ok(self.client.block_header_by_number(BlockNumberOrTag::Number(number)).await?)
    }

    /// The header values of `block`.
    pub fn header_of(&self, block: &L1Block) -> L1Header {
        let header = &block.header;
        // A block without blob fields pays 1 wei per blob gas, as op-node assumes.
        let blob_base_fee = header.excess_blob_gas.map_or(1, |excess| {
            fake_exponential(BLOB_TX_MIN_BLOB_GASPRICE, u128::from(excess), self.blob_fee_fraction)
        });
        L1Header {
            number: header.number,
            hash: header.hash,
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            blob_base_fee,
            mix_hash: header.mix_hash,
            parent_beacon_block_root: header.parent_beacon_block_root,
        }
    }

    /// The L1 block `number` (with transactions), if the node has it.
    pub async fn block(&self, number: u64) -> RollupResult<Option<L1Block>> {
        Ok(self.client.block_by_number(BlockNumberOrTag::Number(number)).await?)
    }

    /// The header values of L1 block `number`, if it exists.
    pub async fn header(&self, number: u64) -> RollupResult<Option<L1Header>> {
        Ok(self.block_without_transactions(number).await?.map(|block| self.header_of(&block)))
    }

    /// The input of `block` without batcher data: header values, deposits and config updates
    /// from the logs of its successful receipts.
    pub async fn block_input(&self, block: &L1Block) -> RollupResult<L1BlockInput> {
        let header = self.header_of(block);
        let receipts = self.client.block_receipts(header.hash).await?;
        let mut logs = Vec::new();
        for receipt in receipts.iter().filter(|receipt| receipt.status()) {
            for log in receipt.inner.logs() {
                logs.push(L1Log {
                    log_index: log.log_index.unwrap_or_default(),
                    log: log.inner.clone(),
                });
            }
        }
        Ok(L1BlockInput::from_logs(&self.rollup, header, &logs)?)
    }

    /// The batcher data of `block` from the transactions `batcher` sent to the inbox: each
    /// calldata, and each blob's decoded data (a blob that does not decode is skipped, as the
    /// spec says, and so is its slot in the order).
    pub async fn batcher_data(
        &self,
        block: &L1Block,
        batcher: Address,
    ) -> RollupResult<Vec<Bytes>> {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut blob_hashes = Vec::new();
        for tx in block.transactions.txns() {
            let from = tx.inner.signer();
            let envelope = tx.inner.inner();
            let to = envelope.to();
            if !is_batcher_transaction(&self.rollup, batcher, envelope.tx_type() as u8, to, from) {
                continue;
            }
            match envelope.blob_versioned_hashes() {
                Some(hashes) => {
                    for hash in hashes {
                        pieces.push(Piece::Blob(blob_hashes.len()));
                        blob_hashes.push(*hash);
                    }
                }
                None => pieces.push(Piece::Calldata(envelope.input().clone())),
            }
        }
        let blobs = if blob_hashes.is_empty() {
            Vec::new()
        } else {
            self.beacon.block_blobs(block.header.timestamp, block.header.hash, &blob_hashes).await?
        };
        let mut data = Vec::with_capacity(pieces.len());
        for piece in pieces {
            match piece {
                Piece::Calldata(calldata) => data.push(calldata),
                Piece::Blob(index) => match decode_blob(blobs[index].as_slice()) {
                    Ok(decoded) => data.push(decoded.into()),
                    Err(err) => {
                        warn!(target: "rollup::l1", block = block.header.number, %err, "skipping a blob that does not decode")
                    }
                },
            }
        }
        Ok(data)
    }

    /// The full input of L1 block `number` for the derivation, with the batcher data of the
    /// batcher `batcher_for` names after the block's config updates; `None` if it does not exist.
    pub async fn full_input(
        &self,
        number: u64,
        batcher_for: impl FnOnce(&L1BlockInput) -> Address,
    ) -> RollupResult<Option<L1BlockInput>> {
        let Some(block) = self.block(number).await? else { return Ok(None) };
        let mut input = self.block_input(&block).await?;
        let batcher = batcher_for(&input);
        input.batcher_data = self.batcher_data(&block, batcher).await?;
        Ok(Some(input))
    }
}

/// One batcher datum in L1 order: calldata, or the index of a blob to fetch.
enum Piece {
    Calldata(Bytes),
    Blob(usize),
}
