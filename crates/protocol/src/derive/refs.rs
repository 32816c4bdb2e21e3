//! The block references and L1 inputs of derivation: [`L1BlockRef`], [`L2BlockRef`] (an L2 block
//! with its L1 origin and sequence number, read from its L1-info deposit), [`L1Header`] (what an
//! epoch takes from its L1 header), [`L1Epoch`] (the header and the epoch's user deposits) and
//! [`L1BlockInput`] (one L1 block as the pipeline is fed it).

use super::system_config::CONFIG_UPDATE_TOPIC;
use crate::{
    L1BlockInfo, ProtocolError, TRANSACTION_DEPOSITED_TOPIC, decode_transaction_deposited,
    rollup::{BlockRef, RollupConfig},
};
use alloy_primitives::{B256, Bytes, Log};
use op_alloy_consensus::TxDeposit;

/// An L1 block by hash, number, parent and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct L1BlockRef {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp.
    pub timestamp: u64,
}

impl L1BlockRef {
    /// The block's hash and number.
    pub const fn id(&self) -> BlockRef {
        BlockRef { hash: self.hash, number: self.number }
    }
}

impl AsRef<Self> for L1BlockRef {
    fn as_ref(&self) -> &Self {
        self
    }
}

/// What derivation takes from an L1 block's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L1Header {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp.
    pub timestamp: u64,
    /// The block's base fee.
    pub base_fee: u64,
    /// The block's blob base fee, computed by the caller from the excess blob gas under the L1
    /// fork's blob schedule (1 for a block without blob fields, as op-node uses).
    pub blob_base_fee: u128,
    /// The `mixHash` (`prevRandao`).
    pub mix_hash: B256,
    /// The parent beacon block root (`None` before Dencun; the attributes then carry zero).
    pub parent_beacon_block_root: Option<B256>,
}

impl L1Header {
    /// The block reference of this header.
    pub const fn block_ref(&self) -> L1BlockRef {
        L1BlockRef {
            hash: self.hash,
            number: self.number,
            parent_hash: self.parent_hash,
            timestamp: self.timestamp,
        }
    }
}

/// An L1 block as an epoch: its header values and its user deposits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct L1Epoch {
    /// The header values.
    pub header: L1Header,
    /// The user deposits of the block's portal `TransactionDeposited` logs, in log order.
    pub deposits: Vec<TxDeposit>,
}

/// A log of a successful L1 receipt with its index among all logs of the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Log {
    /// The log's index in the block (counting every receipt's logs).
    pub log_index: u64,
    /// The log.
    pub log: Log,
}

/// One L1 block as the derivation pipeline is fed it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct L1BlockInput {
    /// The header values and user deposits.
    pub epoch: L1Epoch,
    /// The SystemConfig's `ConfigUpdate` logs of successful receipts, in log order.
    pub config_updates: Vec<Log>,
    /// The batcher data in L1 order: the calldata of each non-blob batcher transaction, and the
    /// decoded data ([`crate::batch::decode_blob`]) of each blob of a blob batcher transaction
    /// (whose calldata is not read). Only transactions that
    /// [`super::is_batcher_transaction`] accepts under the batcher that
    /// [`super::DerivationPipeline::batcher_for`] names for this block.
    pub batcher_data: Vec<Bytes>,
}

impl L1BlockInput {
    /// The block's input from its header values and the logs of its successful receipts:
    /// `TransactionDeposited` logs of the portal become deposits, `ConfigUpdate` logs of the
    /// SystemConfig are kept, all others are ignored. The batcher data starts empty. A portal
    /// deposit log that does not decode is an error: deposits may never be skipped.
    pub fn from_logs(
        rollup: &RollupConfig,
        header: L1Header,
        logs: &[L1Log],
    ) -> Result<Self, ProtocolError> {
        let mut deposits = Vec::new();
        let mut config_updates = Vec::new();
        for L1Log { log_index, log } in logs {
            let topic = log.topics().first();
            if log.address == rollup.deposit_contract_address
                && topic == Some(&TRANSACTION_DEPOSITED_TOPIC)
            {
                deposits.push(decode_transaction_deposited(log, header.hash, *log_index)?);
            } else if log.address == rollup.l1_system_config_address
                && topic == Some(&CONFIG_UPDATE_TOPIC)
            {
                config_updates.push(log.clone());
            }
        }
        Ok(Self { epoch: L1Epoch { header, deposits }, config_updates, batcher_data: Vec::new() })
    }
}

/// An L2 block with the L1 origin and epoch position its L1-info deposit records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2BlockRef {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp.
    pub timestamp: u64,
    /// The L1 origin (epoch).
    pub l1_origin: BlockRef,
    /// Position in the epoch (0 for the epoch's first block).
    pub sequence_number: u64,
}

impl L2BlockRef {
    /// The L2 genesis block of the rollup (its origin the genesis L1 block; parent unknown,
    /// left zero).
    pub const fn genesis(rollup: &RollupConfig) -> Self {
        Self {
            hash: rollup.genesis.l2.hash,
            number: rollup.genesis.l2.number,
            parent_hash: B256::ZERO,
            timestamp: rollup.genesis.l2_time,
            l1_origin: rollup.genesis.l1,
            sequence_number: 0,
        }
    }

    /// The reference of an L2 block from its header fields and the calldata of its first
    /// transaction, the L1-info deposit (any format). The genesis block, which has no deposit,
    /// takes its origin from the rollup config and ignores `l1_info_calldata`.
    pub fn from_block(
        rollup: &RollupConfig,
        hash: B256,
        number: u64,
        parent_hash: B256,
        timestamp: u64,
        l1_info_calldata: &[u8],
    ) -> Result<Self, ProtocolError> {
        if number == rollup.genesis.l2.number {
            return Ok(Self { hash, parent_hash, timestamp, ..Self::genesis(rollup) });
        }
        let info = L1BlockInfo::decode(l1_info_calldata)?;
        Ok(Self {
            hash,
            number,
            parent_hash,
            timestamp,
            l1_origin: BlockRef { hash: info.block_hash, number: info.number },
            sequence_number: info.sequence_number,
        })
    }

    /// The block's hash and number.
    pub const fn id(&self) -> BlockRef {
        BlockRef { hash: self.hash, number: self.number }
    }
}
