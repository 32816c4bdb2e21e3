//! Reading the L2 chain as the rollup sees it: a stored block's [`L2BlockRef`] (its L1 origin
//! and sequence number from its L1-info deposit), and its batch content.

use crate::{RollupError, RollupResult};
use alloy_consensus::TxEnvelope;
use alloy_primitives::B256;
use phala_primitives::{Block, PhalaTxEnvelope};
use phala_protocol::{derive::L2BlockRef, rollup::RollupConfig};
use phala_storage::{Database, KeyValueRead};

/// The canonical L2 block `number`, if there is one.
pub fn canonical_block(db: &Database, number: u64) -> RollupResult<Option<(B256, Block)>> {
    let Some(hash) = db.canonical_hash(number)? else { return Ok(None) };
    block_by_hash(db, hash).map(|block| block.map(|block| (hash, block)))
}

/// The stored L2 block `hash`, canonical or not.
pub fn block_by_hash(db: &Database, hash: B256) -> RollupResult<Option<Block>> {
    let (Some(header), Some(body)) = (db.header(hash)?, db.body(hash)?) else { return Ok(None) };
    Ok(Some(Block { header, body }))
}

/// The calldata of `block`'s L1-info deposit (its first transaction).
pub fn l1_info_calldata(block: &Block) -> Option<&[u8]> {
    match block.body.transactions.first() {
        Some(PhalaTxEnvelope::Deposit(deposit)) => Some(&deposit.input),
        _ => None,
    }
}

/// The [`L2BlockRef`] of a stored block.
pub fn block_ref(rollup: &RollupConfig, hash: B256, block: &Block) -> RollupResult<L2BlockRef> {
    let header = &block.header;
    let calldata = match l1_info_calldata(block) {
        Some(calldata) => calldata,
        None if header.number == rollup.genesis.l2.number => &[],
        None => return Err(RollupError::NoL1Info { number: header.number }),
    };
    Ok(L2BlockRef::from_block(
        rollup,
        hash,
        header.number,
        header.parent_hash,
        header.timestamp,
        calldata,
    )?)
}

/// The [`L2BlockRef`] of canonical block `number`, if there is one.
pub fn canonical_ref(
    db: &Database,
    rollup: &RollupConfig,
    number: u64,
) -> RollupResult<Option<L2BlockRef>> {
    let Some((hash, block)) = canonical_block(db, number)? else { return Ok(None) };
    block_ref(rollup, hash, &block).map(Some)
}

/// The transactions of `block` a batch carries: all but the deposits.
pub fn batch_transactions(block: &Block) -> Vec<TxEnvelope> {
    block.body.transactions.iter().filter_map(|tx| TxEnvelope::try_from(tx.clone()).ok()).collect()
}

/// The system config an L2 block was built under, read back from it: the batcher and fee
/// scalars from its L1-info deposit, the gas limit from its header, the Holocene EIP-1559
/// parameters and Jovian minimum base fee from its `extraData` (op-node's reading of a block).
/// The genesis block has the rollup config's.
pub fn system_config_of(
    rollup: &RollupConfig,
    block: &Block,
) -> RollupResult<phala_protocol::derive::SystemConfig> {
    use alloy_primitives::{B64, B256};
    use phala_primitives::Eip1559ExtraData;
    use phala_protocol::{L1BlockInfo, derive::SystemConfig};
    let header = &block.header;
    if header.number == rollup.genesis.l2.number {
        return Ok(SystemConfig::from_genesis(&rollup.genesis.system_config)?);
    }
    let calldata =
        l1_info_calldata(block).ok_or(RollupError::NoL1Info { number: header.number })?;
    let info = L1BlockInfo::decode(calldata)?;
    let extra = Eip1559ExtraData::decode(&header.extra_data).ok();
    let eip1559_params = extra.map_or(B64::ZERO, |extra| {
        SystemConfig::eip1559_params_word(extra.denominator, extra.elasticity)
    });
    Ok(SystemConfig {
        batcher: alloy_primitives::Address::from_word(info.batcher_hash),
        overhead: B256::ZERO,
        scalar: SystemConfig::ecotone_scalar_word(info.base_fee_scalar, info.blob_base_fee_scalar),
        gas_limit: header.gas_limit,
        eip1559_params,
        operator_fee_params: SystemConfig::operator_fee_word(
            info.operator_fee_scalar,
            info.operator_fee_constant,
        ),
        min_base_fee: extra.and_then(|extra| extra.min_base_fee).unwrap_or_default(),
        da_footprint_gas_scalar: info.da_footprint_gas_scalar,
    })
}

/// An L2 block's version-0 output: what the proposer posts and `optimism_outputAtBlock` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L2Output {
    /// The output root, `keccak256(version ‖ stateRoot ‖ messagePasserStorageRoot ‖ blockHash)`.
    pub output_root: B256,
    /// The block's state root.
    pub state_root: B256,
    /// The storage root of the `L2ToL1MessagePasser` after the block.
    pub message_passer_storage_root: B256,
    /// The block's hash.
    pub block_hash: B256,
    /// The block's number.
    pub number: u64,
    /// The block's timestamp.
    pub timestamp: u64,
}

/// The output of canonical block `number`, if there is one. The message passer's storage root
/// is read from the account's history, so any past block costs the same.
pub fn output_at(db: &Database, number: u64) -> RollupResult<Option<L2Output>> {
    use alloy_consensus::constants::EMPTY_ROOT_HASH;
    use phala_protocol::withdrawal::{L2_TO_L1_MESSAGE_PASSER_ADDRESS, output_root_v0};
    let Some(hash) = db.canonical_hash(number)? else { return Ok(None) };
    let Some(header) = db.header(hash)? else { return Ok(None) };
    let message_passer_storage_root = db
        .account_at(L2_TO_L1_MESSAGE_PASSER_ADDRESS, number)?
        .map_or(EMPTY_ROOT_HASH, |account| account.storage_root);
    Ok(Some(L2Output {
        output_root: output_root_v0(header.state_root, message_passer_storage_root, hash),
        state_root: header.state_root,
        message_passer_storage_root,
        block_hash: hash,
        number,
        timestamp: header.timestamp,
    }))
}
