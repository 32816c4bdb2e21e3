//! The payload attributes builder the sequencer and the verifier share (`derivation.md`,
//! "Deriving Payload Attributes"): [`build_attributes`] turns a parent, an epoch, the epoch's
//! system config and the sequenced transactions into [`L2Attributes`], so both build the same
//! block. Also the fork support check ([`check_rollup_support`]) and the fork of a timestamp
//! ([`op_spec_at`]).

use super::{
    error::{AttributesError, RollupSupportError},
    refs::{L1Epoch, L2BlockRef},
    system_config::SystemConfig,
};
use crate::{L1InfoFormat, OpSpecId, rollup::BlockRef, rollup::RollupConfig};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B64, B256, Bytes, address};

/// The `SequencerFeeVault` predeploy, every block's fee recipient.
pub const SEQUENCER_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000011");

/// The attributes of one L2 block: the engine API's OP `PayloadAttributesV3` (withdrawals are
/// always the empty list, Canyon on) plus the block's parent, L1 origin and epoch position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2Attributes {
    /// The parent block's hash.
    pub parent_hash: B256,
    /// The block's timestamp.
    pub timestamp: u64,
    /// `prevRandao`: the L1 origin's mix hash.
    pub prev_randao: B256,
    /// The `SequencerFeeVault`.
    pub fee_recipient: Address,
    /// The gas limit of the epoch's system config.
    pub gas_limit: u64,
    /// The L1 origin's parent beacon block root (Ecotone; zero when the L1 block has none).
    pub parent_beacon_block_root: Option<B256>,
    /// The transactions, EIP-2718 encoded: the L1-info deposit, the epoch's user deposits (in
    /// the epoch's first block only), then the sequenced transactions.
    pub transactions: Vec<Bytes>,
    /// How many of `transactions` are deposits (they lead the list).
    pub deposit_count: usize,
    /// Whether the engine must build exactly `transactions` (always for derived blocks; a
    /// sequencer may clear it to add transactions of its pool).
    pub no_tx_pool: bool,
    /// Holocene: the system config's EIP-1559 denominator ‖ elasticity.
    pub eip1559_params: Option<B64>,
    /// Jovian: the system config's minimum base fee.
    pub min_base_fee: Option<u64>,
    /// The L1 origin.
    pub l1_origin: BlockRef,
    /// The block's position in its epoch.
    pub sequence_number: u64,
}

impl L2Attributes {
    /// Whether the attributes hold only deposits.
    pub fn is_deposit_only(&self) -> bool {
        self.transactions.len() == self.deposit_count
    }

    /// The sequenced (non-deposit) transactions.
    pub fn sequencer_transactions(&self) -> &[Bytes] {
        &self.transactions[self.deposit_count..]
    }

    /// The same attributes with the deposits only (Holocene's replacement of an invalid
    /// payload).
    pub fn to_deposit_only(&self) -> Self {
        let mut attributes = self.clone();
        attributes.transactions.truncate(self.deposit_count);
        attributes.no_tx_pool = true;
        attributes
    }
}

/// Checks the rollup is one this derivation implements: every fork through Holocene active at
/// the L2 genesis, Isthmus and Jovian active at genesis or not scheduled, no interop, a
/// non-zero block time and a sequencing window of at least 2. Activation blocks after genesis (their upgrade transactions and
/// L1-info format switches) are not implemented, so such configs are refused.
pub fn check_rollup_support(rollup: &RollupConfig) -> Result<(), RollupSupportError> {
    if rollup.block_time == 0 {
        return Err(RollupSupportError::ZeroBlockTime);
    }
    if rollup.seq_window_size < 2 {
        return Err(RollupSupportError::SequencingWindowTooSmall { size: rollup.seq_window_size });
    }
    let genesis_time = rollup.genesis.l2_time;
    let forks = &rollup.forks;
    // An absent Regolith is at genesis, as op-node reads it.
    let required = [
        ("regolith", Some(forks.regolith_time.unwrap_or(0))),
        ("canyon", forks.canyon_time),
        ("delta", forks.delta_time),
        ("ecotone", forks.ecotone_time),
        ("fjord", forks.fjord_time),
        ("granite", forks.granite_time),
        ("holocene", forks.holocene_time),
    ];
    for (fork, activation) in required {
        if activation.is_none_or(|at| at > genesis_time) {
            return Err(RollupSupportError::RequiredAtGenesis { fork, activation, genesis_time });
        }
    }
    for (fork, activation) in [("isthmus", forks.isthmus_time), ("jovian", forks.jovian_time)] {
        if let Some(activation) = activation
            && activation > genesis_time
        {
            return Err(RollupSupportError::ScheduledAfterGenesis {
                fork,
                activation,
                genesis_time,
            });
        }
    }
    if let Some(activation) = forks.interop_time {
        return Err(RollupSupportError::Interop { activation });
    }
    Ok(())
}

/// The OP fork active at L2 `timestamp` (Delta has no spec of its own in op-revm).
pub fn op_spec_at(rollup: &RollupConfig, timestamp: u64) -> OpSpecId {
    let forks = &rollup.forks;
    let active = |fork: Option<u64>| fork.is_some_and(|at| timestamp >= at);
    [
        (forks.jovian_time, OpSpecId::JOVIAN),
        (forks.isthmus_time, OpSpecId::ISTHMUS),
        (forks.holocene_time, OpSpecId::HOLOCENE),
        (forks.granite_time, OpSpecId::GRANITE),
        (forks.fjord_time, OpSpecId::FJORD),
        (forks.ecotone_time, OpSpecId::ECOTONE),
        (forks.canyon_time, OpSpecId::CANYON),
        (Some(forks.regolith_time.unwrap_or(0)), OpSpecId::REGOLITH),
    ]
    .into_iter()
    .find(|(fork, _)| active(*fork))
    .map_or(OpSpecId::BEDROCK, |(_, spec)| spec)
}

/// The attributes of the block after `parent` with L1 origin `epoch`, under `system_config`
/// (the config of that epoch: the parent's, with the epoch's `ConfigUpdate`s applied when the
/// epoch is new), carrying `sequencer_txs` (EIP-2718 encoded) after the deposits.
///
/// The epoch must be the parent's origin or its child; user deposits go in the epoch's first
/// block only (sequence number 0). The L1-info deposit uses the format of the block's fork.
pub fn build_attributes(
    rollup: &RollupConfig,
    parent: &L2BlockRef,
    epoch: &L1Epoch,
    system_config: &SystemConfig,
    sequencer_txs: Vec<Bytes>,
) -> Result<L2Attributes, AttributesError> {
    check_rollup_support(rollup)?;
    let header = &epoch.header;
    let epoch_id = BlockRef { hash: header.hash, number: header.number };
    let new_epoch = header.number != parent.l1_origin.number;
    let sequence_number = if new_epoch {
        if header.number != parent.l1_origin.number + 1 {
            return Err(AttributesError::EpochNotAdjacent {
                epoch: epoch_id,
                parent_origin: parent.l1_origin,
            });
        }
        if header.parent_hash != parent.l1_origin.hash {
            return Err(AttributesError::EpochNotChild {
                epoch: epoch_id,
                epoch_parent: header.parent_hash,
                parent_origin: parent.l1_origin,
            });
        }
        0
    } else {
        if header.hash != parent.l1_origin.hash {
            return Err(AttributesError::EpochNotAdjacent {
                epoch: epoch_id,
                parent_origin: parent.l1_origin,
            });
        }
        parent.sequence_number + 1
    };
    let timestamp = parent.timestamp + rollup.block_time;
    if timestamp < header.timestamp {
        return Err(AttributesError::TimeBeforeOrigin {
            l2_time: timestamp,
            l1_time: header.timestamp,
        });
    }

    let spec = op_spec_at(rollup, timestamp);
    let format = L1InfoFormat::for_block(spec, Some(op_spec_at(rollup, parent.timestamp)));
    let info = system_config.l1_block_info(header, sequence_number)?;
    let deposits: &[_] = if new_epoch { &epoch.deposits } else { &[] };
    let mut transactions = Vec::with_capacity(1 + deposits.len() + sequencer_txs.len());
    transactions.push(Bytes::from(info.deposit_tx(format, spec).encoded_2718()));
    transactions.extend(deposits.iter().map(|deposit| Bytes::from(deposit.encoded_2718())));
    let deposit_count = transactions.len();
    transactions.extend(sequencer_txs);

    let holocene = rollup.is_holocene_active(timestamp);
    // Holocene's activation block primes the engine with zeros (the Canyon constants).
    let eip1559_params = holocene.then(|| {
        if rollup.is_holocene_active(parent.timestamp) {
            system_config.eip1559_params
        } else {
            B64::ZERO
        }
    });
    Ok(L2Attributes {
        parent_hash: parent.hash,
        timestamp,
        prev_randao: header.mix_hash,
        fee_recipient: SEQUENCER_FEE_VAULT,
        gas_limit: system_config.gas_limit,
        parent_beacon_block_root: spec
            .is_enabled_in(OpSpecId::ECOTONE)
            .then(|| header.parent_beacon_block_root.unwrap_or_default()),
        transactions,
        deposit_count,
        no_tx_pool: true,
        eip1559_params,
        min_base_fee: spec.is_enabled_in(OpSpecId::JOVIAN).then_some(system_config.min_base_fee),
        l1_origin: epoch_id,
        sequence_number,
    })
}
