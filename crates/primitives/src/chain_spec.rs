use crate::{ChainSpecError, genesis::genesis_header};
use alloy_consensus::Header;
use alloy_eips::{calc_next_block_base_fee, eip1559::BaseFeeParams, eip7840::BlobParams};
use alloy_genesis::Genesis;
use alloy_hardforks::{EthereumChainHardforks, EthereumHardfork, EthereumHardforks, ForkCondition};
use alloy_primitives::{Address, B256, U256};
use std::{path::Path, sync::Arc};

/// Hardforks of the OP Stack, activated on top of the Ethereum forks of an L2 chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpHardfork {
    /// The first OP Stack release (deposits, L1 attributes).
    Bedrock,
    /// Deposit gas accounting fixes.
    Regolith,
    /// Shanghai for L2s, EIP-1559 denominator change.
    Canyon,
    /// Span batches.
    Delta,
    /// Cancun for L2s, blob data availability.
    Ecotone,
    /// Brotli channels, FastLZ L1 fee.
    Fjord,
    /// Bounded precompile inputs.
    Granite,
    /// EIP-1559 parameters in the system config.
    Holocene,
    /// Prague for L2s, withdrawals root in the header, operator fee.
    Isthmus,
    /// Minimum base fee and DA footprint.
    Jovian,
}

impl OpHardfork {
    /// All OP hardforks in activation order.
    pub const ALL: [Self; 10] = [
        Self::Bedrock,
        Self::Regolith,
        Self::Canyon,
        Self::Delta,
        Self::Ecotone,
        Self::Fjord,
        Self::Granite,
        Self::Holocene,
        Self::Isthmus,
        Self::Jovian,
    ];

    /// The key op-geth uses for this fork in a genesis `config`.
    pub const fn genesis_key(self) -> &'static str {
        match self {
            Self::Bedrock => "bedrockBlock",
            Self::Regolith => "regolithTime",
            Self::Canyon => "canyonTime",
            Self::Delta => "deltaTime",
            Self::Ecotone => "ecotoneTime",
            Self::Fjord => "fjordTime",
            Self::Granite => "graniteTime",
            Self::Holocene => "holoceneTime",
            Self::Isthmus => "isthmusTime",
            Self::Jovian => "jovianTime",
        }
    }
}

/// Everything that defines a chain: identity, fork schedule, fee rules and genesis.
#[derive(Debug, Clone)]
pub struct ChainSpec {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The genesis description (config, allocation, header fields).
    pub genesis: Genesis,
    /// The genesis header, with its state root computed from the allocation.
    pub genesis_header: Header,
    /// Ethereum hardfork schedule.
    hardforks: EthereumChainHardforks,
    /// OP Stack hardfork schedule (empty for an Ethereum L1 chain).
    op_hardforks: Vec<(OpHardfork, ForkCondition)>,
    /// Blob parameters by the fork that activates them, in activation order.
    blob_schedule: Vec<(EthereumHardfork, BlobParams)>,
    /// EIP-6110 deposit contract, if the chain has one.
    pub deposit_contract_address: Option<Address>,
    /// EIP-1559 base fee parameters.
    pub base_fee_params: BaseFeeParams,
    /// Phala's own hardforks (genesis config keys such as `tdxAttestationTime`).
    phala_hardforks: Vec<(PhalaHardfork, ForkCondition)>,
}

/// Hardforks of the Phala L2 itself, scheduled by timestamp in the genesis config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PhalaHardfork {
    /// The native TDX attestation (DCAP quote verification) precompile at `0x…544458`. Its
    /// verifier version is pinned: changing it needs a new hardfork.
    TdxAttestation,
    /// The ed25519 and sr25519 signature-verification precompiles at `0x…544459` and
    /// `0x…54445a`, for Substrate (parachain) account keys.
    SubstrateSignatures,
}

impl PhalaHardfork {
    /// Every Phala hardfork, in activation order.
    pub const ALL: [Self; 2] = [Self::TdxAttestation, Self::SubstrateSignatures];

    /// The genesis `config` key holding the activation timestamp.
    pub const fn genesis_key(self) -> &'static str {
        match self {
            Self::TdxAttestation => "tdxAttestationTime",
            Self::SubstrateSignatures => "substrateSignaturesTime",
        }
    }
}

/// Ethereum forks that activate by block number, in order.
const BLOCK_FORKS: [EthereumHardfork; 13] = [
    EthereumHardfork::Frontier,
    EthereumHardfork::Homestead,
    EthereumHardfork::Dao,
    EthereumHardfork::Tangerine,
    EthereumHardfork::SpuriousDragon,
    EthereumHardfork::Byzantium,
    EthereumHardfork::Constantinople,
    EthereumHardfork::Petersburg,
    EthereumHardfork::Istanbul,
    EthereumHardfork::MuirGlacier,
    EthereumHardfork::Berlin,
    EthereumHardfork::London,
    EthereumHardfork::ArrowGlacier,
];

/// Ethereum forks that activate by timestamp, in order.
const TIME_FORKS: [EthereumHardfork; 9] = [
    EthereumHardfork::Shanghai,
    EthereumHardfork::Cancun,
    EthereumHardfork::Prague,
    EthereumHardfork::Osaka,
    EthereumHardfork::Bpo1,
    EthereumHardfork::Bpo2,
    EthereumHardfork::Bpo3,
    EthereumHardfork::Bpo4,
    EthereumHardfork::Bpo5,
];

/// The name used for a fork in a genesis `blobSchedule`.
const fn blob_schedule_key(fork: EthereumHardfork) -> Option<&'static str> {
    Some(match fork {
        EthereumHardfork::Cancun => "cancun",
        EthereumHardfork::Prague => "prague",
        EthereumHardfork::Osaka => "osaka",
        EthereumHardfork::Bpo1 => "bpo1",
        EthereumHardfork::Bpo2 => "bpo2",
        EthereumHardfork::Bpo3 => "bpo3",
        EthereumHardfork::Bpo4 => "bpo4",
        EthereumHardfork::Bpo5 => "bpo5",
        _ => return None,
    })
}

/// Default blob parameters of a fork when the genesis has no `blobSchedule` entry for it.
const fn default_blob_params(fork: EthereumHardfork) -> Option<BlobParams> {
    Some(match fork {
        EthereumHardfork::Cancun => BlobParams::cancun(),
        EthereumHardfork::Prague => BlobParams::prague(),
        EthereumHardfork::Osaka => BlobParams::osaka(),
        EthereumHardfork::Bpo1 => BlobParams::bpo1(),
        EthereumHardfork::Bpo2 => BlobParams::bpo2(),
        _ => return None,
    })
}

impl ChainSpec {
    /// Resolves `--chain`: a built-in name or a path to a geth-style `genesis.json`.
    pub fn from_name_or_path(chain: &str) -> Result<Arc<Self>, ChainSpecError> {
        let path = Path::new(chain);
        if path.is_file() {
            return Self::from_genesis_file(path).map(Arc::new);
        }
        Err(ChainSpecError::UnknownChain(chain.to_string()))
    }

    /// Loads a geth-style `genesis.json`.
    pub fn from_genesis_file(path: &Path) -> Result<Self, ChainSpecError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ChainSpecError::Read { path: path.to_path_buf(), source })?;
        let genesis: Genesis = serde_json::from_str(&text)
            .map_err(|source| ChainSpecError::Json { path: path.to_path_buf(), source })?;
        Self::from_genesis(genesis)
    }

    /// Builds a chain spec from a geth-style genesis: the fork schedule comes from `config`.
    pub fn from_genesis(genesis: Genesis) -> Result<Self, ChainSpecError> {
        let config = &genesis.config;
        let block_forks = [
            Some(0),
            config.homestead_block,
            config.dao_fork_block.filter(|_| config.dao_fork_support),
            config.eip150_block,
            config.eip158_block,
            config.byzantium_block,
            config.constantinople_block,
            config.petersburg_block,
            config.istanbul_block,
            config.muir_glacier_block,
            config.berlin_block,
            config.london_block,
            config.arrow_glacier_block,
        ];
        let mut forks = Vec::new();
        let mut last: Option<(EthereumHardfork, u64)> = None;
        for (fork, block) in BLOCK_FORKS.into_iter().zip(block_forks) {
            let Some(block) = block else { continue };
            // The DAO fork is an irregular state change, not a rule set: it may sit anywhere.
            if fork != EthereumHardfork::Dao {
                if let Some((earlier, at)) = last
                    && block < at
                {
                    return Err(ChainSpecError::ForkOrder {
                        earlier: earlier.to_string(),
                        later: fork.to_string(),
                    });
                }
                last = Some((fork, block));
            }
            forks.push((fork, ForkCondition::Block(block)));
        }
        if let Some(block) = config.gray_glacier_block {
            forks.push((EthereumHardfork::GrayGlacier, ForkCondition::Block(block)));
        }
        if let Some(ttd) = config.terminal_total_difficulty {
            let activation_block_number = match config.merge_netsplit_block {
                Some(block) => block,
                None if ttd.is_zero() => 0,
                None => return Err(ChainSpecError::UnknownMergeBlock(ttd)),
            };
            forks.push((
                EthereumHardfork::Paris,
                ForkCondition::TTD {
                    activation_block_number,
                    fork_block: config.merge_netsplit_block,
                    total_difficulty: ttd,
                },
            ));
        }
        let times = [
            config.shanghai_time,
            config.cancun_time,
            config.prague_time,
            config.osaka_time,
            config.bpo1_time,
            config.bpo2_time,
            config.bpo3_time,
            config.bpo4_time,
            config.bpo5_time,
        ];
        for (fork, time) in TIME_FORKS.into_iter().zip(times) {
            if let Some(time) = time {
                forks.push((fork, ForkCondition::Timestamp(time)));
            }
        }

        let mut op_hardforks = Vec::new();
        for fork in OpHardfork::ALL {
            if let Some(value) =
                config.extra_fields.get(fork.genesis_key()).and_then(serde_json::Value::as_u64)
            {
                let condition = if fork == OpHardfork::Bedrock {
                    ForkCondition::Block(value)
                } else {
                    ForkCondition::Timestamp(value)
                };
                op_hardforks.push((fork, condition));
            }
        }

        let mut phala_hardforks = Vec::new();
        for fork in PhalaHardfork::ALL {
            if let Some(value) = config.extra_fields.get(fork.genesis_key()) {
                let time = value.as_u64().ok_or_else(|| ChainSpecError::InvalidField {
                    field: fork.genesis_key(),
                    message: format!("expected a unix timestamp, got {value}"),
                })?;
                phala_hardforks.push((fork, ForkCondition::Timestamp(time)));
            }
        }

        let mut blob_schedule = Vec::new();
        for fork in TIME_FORKS {
            let Some(key) = blob_schedule_key(fork) else { continue };
            if let Some(params) = config.blob_schedule.get(key).copied() {
                blob_schedule.push((fork, params));
            } else if let Some(params) = default_blob_params(fork) {
                blob_schedule.push((fork, params));
            }
        }

        let chain_id = config.chain_id;
        let deposit_contract_address = config.deposit_contract_address;
        let mut spec = Self::assemble(
            chain_id,
            genesis,
            EthereumChainHardforks::new(forks),
            op_hardforks,
            blob_schedule,
            deposit_contract_address,
        );
        spec.phala_hardforks = phala_hardforks;
        Ok(spec)
    }

    /// A chain on which every Ethereum fork up to and including `network` is active from genesis
    /// (the setting of the EF blockchain tests).
    pub fn with_all_forks_up_to(
        network: EthereumHardfork,
        chain_id: u64,
        genesis: Genesis,
        blob_schedule: Vec<(EthereumHardfork, BlobParams)>,
        deposit_contract_address: Option<Address>,
    ) -> Self {
        let mut forks = Vec::new();
        for fork in BLOCK_FORKS.into_iter().chain([EthereumHardfork::GrayGlacier]) {
            if fork == EthereumHardfork::Dao || fork > network {
                continue;
            }
            forks.push((fork, ForkCondition::Block(0)));
        }
        if EthereumHardfork::Paris <= network {
            forks.push((
                EthereumHardfork::Paris,
                ForkCondition::TTD {
                    activation_block_number: 0,
                    fork_block: None,
                    total_difficulty: U256::ZERO,
                },
            ));
        }
        for fork in TIME_FORKS {
            if fork <= network {
                forks.push((fork, ForkCondition::Timestamp(0)));
            }
        }
        let blob_schedule = if blob_schedule.is_empty() {
            TIME_FORKS
                .into_iter()
                .filter_map(|fork| default_blob_params(fork).map(|params| (fork, params)))
                .collect()
        } else {
            blob_schedule
        };
        Self::assemble(
            chain_id,
            genesis,
            EthereumChainHardforks::new(forks),
            Vec::new(),
            blob_schedule,
            deposit_contract_address,
        )
    }

    fn assemble(
        chain_id: u64,
        genesis: Genesis,
        hardforks: EthereumChainHardforks,
        op_hardforks: Vec<(OpHardfork, ForkCondition)>,
        blob_schedule: Vec<(EthereumHardfork, BlobParams)>,
        deposit_contract_address: Option<Address>,
    ) -> Self {
        let mut spec = Self {
            chain_id,
            genesis,
            genesis_header: Header::default(),
            hardforks,
            op_hardforks,
            blob_schedule,
            deposit_contract_address,
            base_fee_params: BaseFeeParams::ethereum(),
            phala_hardforks: Vec::new(),
        };
        spec.genesis_header = genesis_header(&spec);
        spec
    }

    /// Hash of the genesis block.
    pub fn genesis_hash(&self) -> B256 {
        self.genesis_header.hash_slow()
    }

    /// The activation condition of an OP hardfork ([`ForkCondition::Never`] on an L1 chain).
    pub fn op_fork_activation(&self, fork: OpHardfork) -> ForkCondition {
        self.op_hardforks
            .iter()
            .find_map(|(f, condition)| (*f == fork).then_some(*condition))
            .unwrap_or(ForkCondition::Never)
    }

    /// The activation condition of a Phala hardfork ([`ForkCondition::Never`] if unscheduled).
    pub fn phala_fork_activation(&self, fork: PhalaHardfork) -> ForkCondition {
        self.phala_hardforks
            .iter()
            .find_map(|(f, condition)| (*f == fork).then_some(*condition))
            .unwrap_or(ForkCondition::Never)
    }

    /// Whether the TDX attestation precompile exists at `timestamp`.
    pub fn is_tdx_attestation_active_at_timestamp(&self, timestamp: u64) -> bool {
        self.phala_fork_activation(PhalaHardfork::TdxAttestation).active_at_timestamp(timestamp)
    }

    /// Whether this chain follows OP Stack rules (Bedrock is scheduled).
    pub fn is_optimism(&self) -> bool {
        self.op_fork_activation(OpHardfork::Bedrock) != ForkCondition::Never
    }

    /// The Ethereum hardfork schedule, in activation order.
    pub fn ethereum_forks(&self) -> impl Iterator<Item = (EthereumHardfork, ForkCondition)> + '_ {
        BLOCK_FORKS
            .into_iter()
            .chain([EthereumHardfork::GrayGlacier, EthereumHardfork::Paris])
            .chain(TIME_FORKS)
            .map(|fork| (fork, self.ethereum_fork_activation(fork)))
            .filter(|(_, condition)| *condition != ForkCondition::Never)
    }

    /// Blob parameters in force at `timestamp`, or `None` before Cancun.
    pub fn blob_params_at_timestamp(&self, timestamp: u64) -> Option<BlobParams> {
        self.blob_schedule
            .iter()
            .rev()
            .find(|(fork, _)| self.is_ethereum_fork_active_at_timestamp(*fork, timestamp))
            .map(|(_, params)| *params)
    }

    /// Base fee of the block after `parent` (EIP-1559); the initial base fee at the London block.
    pub fn next_block_base_fee(&self, parent: &Header) -> Option<u64> {
        let number = parent.number + 1;
        if !self.is_london_active_at_block(number) {
            return None;
        }
        if !self.is_london_active_at_block(parent.number) {
            return Some(alloy_eips::eip1559::INITIAL_BASE_FEE);
        }
        Some(calc_next_block_base_fee(
            parent.gas_used,
            parent.gas_limit,
            parent.base_fee_per_gas.unwrap_or_default(),
            self.base_fee_params,
        ))
    }
}

impl EthereumHardforks for ChainSpec {
    fn ethereum_fork_activation(&self, fork: EthereumHardfork) -> ForkCondition {
        self.hardforks.ethereum_fork_activation(fork)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RPC_GENESIS: &str = r#"{
        "config": {
            "chainId": 3503995874084926, "homesteadBlock": 0, "eip150Block": 6, "eip155Block": 12,
            "eip158Block": 12, "byzantiumBlock": 18, "constantinopleBlock": 24, "petersburgBlock": 30,
            "istanbulBlock": 36, "berlinBlock": 48, "londonBlock": 54, "mergeNetsplitBlock": 60,
            "terminalTotalDifficulty": 9454784, "shanghaiTime": 780, "cancunTime": 840,
            "blobSchedule": {"cancun": {"target": 3, "max": 6, "baseFeeUpdateFraction": 3338477}},
            "bedrockBlock": 0, "ecotoneTime": 840
        },
        "difficulty": "0x20000", "gasLimit": "0x23f3e20", "alloc": {}
    }"#;

    #[test]
    fn geth_genesis_fork_schedule() {
        let genesis: Genesis = serde_json::from_str(RPC_GENESIS).unwrap();
        let spec = ChainSpec::from_genesis(genesis).unwrap();
        assert_eq!(spec.chain_id, 3503995874084926);
        assert!(!spec.is_byzantium_active_at_block(17));
        assert!(spec.is_byzantium_active_at_block(18));
        assert!(!spec.is_paris_active_at_block(59));
        assert!(spec.is_paris_active_at_block(60));
        assert!(!spec.is_cancun_active_at_timestamp(839));
        assert!(spec.is_cancun_active_at_timestamp(840));
        assert!(spec.blob_params_at_timestamp(839).is_none());
        assert_eq!(spec.blob_params_at_timestamp(840).unwrap().max_blob_count, 6);
        assert!(spec.is_optimism());
        assert_eq!(spec.op_fork_activation(OpHardfork::Ecotone), ForkCondition::Timestamp(840));
        assert_eq!(spec.op_fork_activation(OpHardfork::Isthmus), ForkCondition::Never);
        // Pre-London genesis has no base fee; the London block starts at the initial base fee.
        assert_eq!(spec.genesis_header.base_fee_per_gas, None);
    }

    #[test]
    fn forks_out_of_order_are_rejected() {
        let text = RPC_GENESIS.replace("\"byzantiumBlock\": 18", "\"byzantiumBlock\": 2");
        let genesis: Genesis = serde_json::from_str(&text).unwrap();
        let err = ChainSpec::from_genesis(genesis).unwrap_err();
        assert!(matches!(err, ChainSpecError::ForkOrder { .. }), "{err}");
    }

    #[test]
    fn all_forks_up_to_prague() {
        let spec = ChainSpec::with_all_forks_up_to(
            EthereumHardfork::Prague,
            1,
            Genesis::default(),
            Vec::new(),
            None,
        );
        assert!(spec.is_prague_active_at_timestamp(0));
        assert!(!spec.is_osaka_active_at_timestamp(u64::MAX));
        assert!(spec.is_paris_active_at_block(0));
        assert_eq!(spec.blob_params_at_timestamp(0).unwrap(), BlobParams::prague());
        assert!(spec.genesis_header.requests_hash.is_some());
    }
}
