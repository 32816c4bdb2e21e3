//! The rollup config: op-node's `rollup.json` (snake_case keys; the genesis system config in
//! camelCase), which the deployer writes and the node reads with `--rollup.config`. It also reads
//! kona's variant of the genesis system config (the scalars and EIP-1559 parameters as separate
//! fields, as the OP execution fixtures carry it) and `chain_op_config`.

use alloy_primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};

/// Fjord's fixed maximum sequencer drift, in seconds.
pub const FJORD_MAX_SEQUENCER_DRIFT: u64 = 1800;

/// A block by hash and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRef {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
}

/// The L1 SystemConfig's values at the rollup's genesis.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenesisSystemConfig {
    /// The batcher's address.
    pub batcher_addr: Address,
    /// Bedrock's L1 fee overhead (or, from Ecotone, the versioned scalars' word).
    #[serde(default)]
    pub overhead: B256,
    /// Bedrock's L1 fee scalar word (from Ecotone: version ‖ blob scalar ‖ base fee scalar).
    #[serde(default)]
    pub scalar: B256,
    /// The L2 block gas limit.
    pub gas_limit: u64,
    /// Holocene: denominator ‖ elasticity (8 bytes; zeros: the chain's Canyon values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip1559_params: Option<Bytes>,
    /// Isthmus: operator fee scalar ‖ constant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_fee_params: Option<Bytes>,
    /// Jovian: the minimum base fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_base_fee: Option<u64>,
    /// Jovian: the DA footprint gas scalar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub da_footprint_gas_scalar: Option<u16>,
    /// kona's form: the Ecotone base fee scalar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_fee_scalar: Option<u64>,
    /// kona's form: the Ecotone blob base fee scalar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_base_fee_scalar: Option<u64>,
    /// kona's form: the Holocene denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip1559_denominator: Option<u32>,
    /// kona's form: the Holocene elasticity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip1559_elasticity: Option<u32>,
    /// kona's form: the operator fee scalar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_fee_scalar: Option<u32>,
    /// kona's form: the operator fee constant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_fee_constant: Option<u64>,
}

/// The rollup's genesis: the L1 block derivation starts after and the L2 block it starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupGenesis {
    /// The L1 block the rollup starts at.
    pub l1: BlockRef,
    /// The L2 genesis block.
    pub l2: BlockRef,
    /// The L2 genesis timestamp.
    pub l2_time: u64,
    /// The system config at genesis.
    pub system_config: GenesisSystemConfig,
}

/// The EIP-1559 parameters of an OP chain before Holocene (kona's `chain_op_config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainOpConfig {
    /// Elasticity multiplier.
    pub eip1559_elasticity: u64,
    /// Base fee change denominator before Canyon.
    pub eip1559_denominator: u64,
    /// Base fee change denominator from Canyon.
    pub eip1559_denominator_canyon: u64,
}

/// op-node's rollup config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupConfig {
    /// The rollup's genesis.
    pub genesis: RollupGenesis,
    /// Seconds between L2 blocks.
    pub block_time: u64,
    /// How far (seconds) an L2 block's time may run ahead of its L1 origin (before Fjord).
    pub max_sequencer_drift: u64,
    /// L1 blocks in which a batch for an epoch must land.
    pub seq_window_size: u64,
    /// L1 blocks a channel stays open (before Granite).
    pub channel_timeout: u64,
    /// L1 blocks a channel stays open from Granite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granite_channel_timeout: Option<u64>,
    /// The L1 chain id.
    pub l1_chain_id: u64,
    /// The L2 chain id.
    pub l2_chain_id: u64,
    /// Fork activation times (absent: not scheduled).
    #[serde(flatten)]
    pub forks: RollupForks,
    /// Where batches are posted.
    pub batch_inbox_address: Address,
    /// The OptimismPortal, whose `TransactionDeposited` logs are the deposits.
    pub deposit_contract_address: Address,
    /// The L1 SystemConfig contract.
    pub l1_system_config_address: Address,
    /// The ProtocolVersions contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_versions_address: Option<Address>,
    /// The SuperchainConfig contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superchain_config_address: Option<Address>,
    /// kona: the pre-Holocene EIP-1559 parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_op_config: Option<ChainOpConfig>,
}

/// The OP fork times of a rollup config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RollupForks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regolith_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canyon_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecotone_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fjord_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granite_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holocene_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pectra_blob_schedule_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isthmus_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jovian_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interop_time: Option<u64>,
}

const fn active(fork: Option<u64>, timestamp: u64) -> bool {
    match fork {
        Some(at) => timestamp >= at,
        None => false,
    }
}

impl RollupConfig {
    /// Parses a `rollup.json`.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The execution genesis `config` keys of the OP forks (op-geth's names) with their times;
    /// Regolith is at genesis when the config does not name it, as on OP Mainnet and Sepolia.
    pub fn genesis_fork_keys(&self) -> Vec<(&'static str, u64)> {
        let forks = &self.forks;
        let mut keys =
            vec![("bedrockBlock", 0), ("regolithTime", forks.regolith_time.unwrap_or(0))];
        for (key, time) in [
            ("canyonTime", forks.canyon_time),
            ("ecotoneTime", forks.ecotone_time),
            ("fjordTime", forks.fjord_time),
            ("graniteTime", forks.granite_time),
            ("holoceneTime", forks.holocene_time),
            ("isthmusTime", forks.isthmus_time),
            ("jovianTime", forks.jovian_time),
            ("interopTime", forks.interop_time),
        ] {
            if let Some(time) = time {
                keys.push((key, time));
            }
        }
        keys
    }

    /// Whether Fjord is active at `timestamp`.
    pub const fn is_fjord_active(&self, timestamp: u64) -> bool {
        active(self.forks.fjord_time, timestamp)
    }

    /// Whether Granite is active at `timestamp`.
    pub const fn is_granite_active(&self, timestamp: u64) -> bool {
        active(self.forks.granite_time, timestamp)
    }

    /// Whether Holocene is active at `timestamp`.
    pub const fn is_holocene_active(&self, timestamp: u64) -> bool {
        active(self.forks.holocene_time, timestamp)
    }

    /// The maximum sequencer drift at `timestamp` (fixed from Fjord).
    pub const fn max_sequencer_drift_at(&self, timestamp: u64) -> u64 {
        if self.is_fjord_active(timestamp) {
            FJORD_MAX_SEQUENCER_DRIFT
        } else {
            self.max_sequencer_drift
        }
    }

    /// The channel timeout at L1 `timestamp` (Granite's from Granite).
    pub fn channel_timeout_at(&self, timestamp: u64) -> u64 {
        match self.granite_channel_timeout {
            Some(granite) if self.is_granite_active(timestamp) => granite,
            _ => self.channel_timeout,
        }
    }

    /// The most a channel decompresses to at `timestamp` (raised by Fjord).
    pub const fn max_rlp_bytes_per_channel_at(&self, timestamp: u64) -> usize {
        if self.is_fjord_active(timestamp) {
            crate::batch::MAX_RLP_BYTES_PER_CHANNEL_FJORD
        } else {
            crate::batch::MAX_RLP_BYTES_PER_CHANNEL_BEDROCK
        }
    }

    /// The L2 block number of timestamp `timestamp` (on the block-time grid from genesis).
    pub const fn block_number_at(&self, timestamp: u64) -> Option<u64> {
        if timestamp < self.genesis.l2_time || self.block_time == 0 {
            return None;
        }
        Some(self.genesis.l2.number + (timestamp - self.genesis.l2_time) / self.block_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// op-node's format, as `op-deployer` writes it for a devnet.
    const OP_NODE: &str = r#"{
        "genesis": {
            "l1": {"hash": "0x1111111111111111111111111111111111111111111111111111111111111111", "number": 10},
            "l2": {"hash": "0x2222222222222222222222222222222222222222222222222222222222222222", "number": 0},
            "l2_time": 1700000000,
            "system_config": {
                "batcherAddr": "0x3333333333333333333333333333333333333333",
                "overhead": "0x0000000000000000000000000000000000000000000000000000000000000000",
                "scalar": "0x010000000000000000000000000000000000000000000000000c5fc500000558",
                "gasLimit": 60000000,
                "eip1559Params": "0x0000000000000000",
                "operatorFeeParams": "0x0000000000000000000000000000000000000000000000000000000000000000",
                "minBaseFee": 0
            }
        },
        "block_time": 2, "max_sequencer_drift": 600, "seq_window_size": 3600,
        "channel_timeout": 300, "granite_channel_timeout": 50,
        "l1_chain_id": 31337, "l2_chain_id": 2036,
        "regolith_time": 0, "canyon_time": 0, "delta_time": 0, "ecotone_time": 0,
        "fjord_time": 0, "granite_time": 0, "holocene_time": 0, "isthmus_time": 0,
        "batch_inbox_address": "0xff00000000000000000000000000000000002036",
        "deposit_contract_address": "0x4444444444444444444444444444444444444444",
        "l1_system_config_address": "0x5555555555555555555555555555555555555555"
    }"#;

    #[test]
    fn op_nodes_format_round_trips_and_answers_by_fork() {
        let config = RollupConfig::from_json(OP_NODE).unwrap();
        assert_eq!(config.genesis.system_config.gas_limit, 60_000_000);
        assert_eq!(config.genesis.system_config.eip1559_params, Some(Bytes::from(vec![0u8; 8])));
        assert_eq!(config.l2_chain_id, 2036);
        assert_eq!(config.max_sequencer_drift_at(1), FJORD_MAX_SEQUENCER_DRIFT);
        assert_eq!(config.channel_timeout_at(1), 50);
        assert_eq!(config.block_number_at(1_700_000_005), Some(2));
        assert_eq!(config.block_number_at(1_699_999_999), None);
        assert!(config.genesis_fork_keys().contains(&("isthmusTime", 0)));
        assert!(!config.genesis_fork_keys().iter().any(|(key, _)| *key == "jovianTime"));
        let again = RollupConfig::from_json(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn a_config_missing_a_field_is_an_error_naming_it() {
        let without = OP_NODE.replace("\"block_time\": 2,", "");
        let err = RollupConfig::from_json(&without).unwrap_err();
        assert!(err.to_string().contains("block_time"), "{err}");
    }
}
