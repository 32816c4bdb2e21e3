use crate::{ChainSpecError, genesis::genesis_header};
use alloy_consensus::Header;
use alloy_eips::{calc_next_block_base_fee, eip1559::BaseFeeParams, eip7840::BlobParams};
use alloy_genesis::Genesis;
use alloy_hardforks::{EthereumChainHardforks, EthereumHardfork, EthereumHardforks, ForkCondition};
use alloy_op_hardforks::{OpHardfork, OpHardforks};
use alloy_primitives::{Address, B256, U256};

/// The OP Stack hardforks an execution genesis can schedule, with the `config` key op-geth
/// uses for each (Bedrock by block number, the rest by timestamp). Delta changes only the
/// derivation (span batches) and lives in the rollup config.
const OP_GENESIS_KEYS: [(OpHardfork, &str); 10] = [
    (OpHardfork::Bedrock, "bedrockBlock"),
    (OpHardfork::Regolith, "regolithTime"),
    (OpHardfork::Canyon, "canyonTime"),
    (OpHardfork::Ecotone, "ecotoneTime"),
    (OpHardfork::Fjord, "fjordTime"),
    (OpHardfork::Granite, "graniteTime"),
    (OpHardfork::Holocene, "holoceneTime"),
    (OpHardfork::Isthmus, "isthmusTime"),
    (OpHardfork::Jovian, "jovianTime"),
    (OpHardfork::Interop, "interopTime"),
];

/// The genesis `config` keys of the OP forks from Bedrock through `last`, in activation order:
/// setting each to 0 makes a chain that runs those OP rules from genesis.
pub fn op_genesis_keys_through(last: OpHardfork) -> impl Iterator<Item = &'static str> {
    let end = OP_GENESIS_KEYS.iter().position(|(fork, _)| *fork == last).map_or(0, |at| at + 1);
    OP_GENESIS_KEYS[..end].iter().map(|(_, key)| *key)
}

/// The Ethereum fork each OP fork brings to an L2 (OP specs, "superchain upgrades"): when the
/// genesis schedules the OP fork without its Ethereum fork, the Ethereum fork follows it.
const IMPLIED_ETHEREUM_FORKS: [(OpHardfork, EthereumHardfork); 3] = [
    (OpHardfork::Canyon, EthereumHardfork::Shanghai),
    (OpHardfork::Ecotone, EthereumHardfork::Cancun),
    (OpHardfork::Isthmus, EthereumHardfork::Prague),
];

/// The EIP-1559 parameters of an OP chain before Holocene moved them into the system config:
/// op-geth's `config.optimism` (`eip1559Elasticity`, `eip1559Denominator`,
/// `eip1559DenominatorCanyon`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpBaseFeeConfig {
    /// Base fee change denominator before Canyon.
    pub denominator: u64,
    /// Base fee change denominator from Canyon.
    pub denominator_canyon: u64,
    /// Elasticity multiplier.
    pub elasticity: u64,
}

impl Default for OpBaseFeeConfig {
    /// OP Mainnet's (and OP Sepolia's) values.
    fn default() -> Self {
        Self { denominator: 50, denominator_canyon: 250, elasticity: 6 }
    }
}

/// The EIP-1559 parameters a Holocene (version 0) or Jovian (version 1) header carries in its
/// `extraData`, for the base fee of the block after it (OP specs, holocene/exec-engine.md,
/// jovian/exec-engine.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eip1559ExtraData {
    /// Base fee change denominator.
    pub denominator: u32,
    /// Elasticity multiplier.
    pub elasticity: u32,
    /// The minimum base fee (Jovian, version 1).
    pub min_base_fee: Option<u64>,
}

impl Eip1559ExtraData {
    /// Decodes a header's `extraData`: version 0 is 9 bytes, version 1 is 17 bytes.
    pub fn decode(extra_data: &[u8]) -> Result<Self, ChainSpecError> {
        let word = |at: usize| u32::from_be_bytes(extra_data[at..at + 4].try_into().expect("4"));
        match (extra_data.first(), extra_data.len()) {
            (Some(0), 9) => {
                Ok(Self { denominator: word(1), elasticity: word(5), min_base_fee: None })
            }
            (Some(1), 17) => Ok(Self {
                denominator: word(1),
                elasticity: word(5),
                min_base_fee: Some(u64::from_be_bytes(extra_data[9..17].try_into().expect("8"))),
            }),
            _ => Err(ChainSpecError::InvalidExtraData { length: extra_data.len() }),
        }
    }

    /// The `extraData` bytes: version 1 with a minimum base fee, version 0 without.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(17);
        out.push(u8::from(self.min_base_fee.is_some()));
        out.extend_from_slice(&self.denominator.to_be_bytes());
        out.extend_from_slice(&self.elasticity.to_be_bytes());
        if let Some(min) = self.min_base_fee {
            out.extend_from_slice(&min.to_be_bytes());
        }
        out
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
    /// EIP-1559 parameters of an OP chain before Holocene (`None` on an Ethereum chain).
    op_base_fee: Option<OpBaseFeeConfig>,
    /// Blob parameters by the fork that activates them, in activation order.
    blob_schedule: Vec<(EthereumHardfork, BlobParams)>,
    /// EIP-6110 deposit contract, if the chain has one.
    pub deposit_contract_address: Option<Address>,
    /// EIP-1559 base fee parameters of an Ethereum chain (OP chains: see
    /// [`ChainSpec::base_fee_params_at`]).
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
    /// The TDX precompile's second gas schedule, `300_000 + 12 * ceil(len / 32)` (priced for
    /// a call that finds nothing in the verifier's cache, at no more CPU time per gas than
    /// ECRECOVER), and its collateral cache. Verdicts are unchanged. Has an effect only where
    /// [`Self::TdxAttestation`] is active.
    TdxRepricing,
}

impl PhalaHardfork {
    /// Every Phala hardfork, in activation order.
    pub const ALL: [Self; 3] =
        [Self::TdxAttestation, Self::SubstrateSignatures, Self::TdxRepricing];

    /// The genesis `config` key holding the activation timestamp.
    pub const fn genesis_key(self) -> &'static str {
        match self {
            Self::TdxAttestation => "tdxAttestationTime",
            Self::SubstrateSignatures => "substrateSignaturesTime",
            Self::TdxRepricing => "tdxRepricingTime",
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
        for (fork, key) in OP_GENESIS_KEYS {
            let Some(value) = config.extra_fields.get(key) else { continue };
            let value = value.as_u64().ok_or_else(|| ChainSpecError::InvalidField {
                field: key,
                message: format!("expected a number, got {value}"),
            })?;
            let condition = if fork == OpHardfork::Bedrock {
                ForkCondition::Block(value)
            } else {
                ForkCondition::Timestamp(value)
            };
            op_hardforks.push((fork, condition));
        }
        for (op_fork, eth_fork) in IMPLIED_ETHEREUM_FORKS {
            let scheduled = forks.iter().any(|(fork, _)| *fork == eth_fork);
            if let Some((_, condition)) = op_hardforks.iter().find(|(fork, _)| *fork == op_fork)
                && !scheduled
            {
                forks.push((eth_fork, *condition));
            }
        }
        let op_base_fee = if op_hardforks.is_empty() {
            None
        } else {
            Some(op_base_fee_config(config.extra_fields.get("optimism"))?)
        };

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
        spec.op_base_fee = op_base_fee;
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
            op_base_fee: None,
            phala_hardforks: Vec::new(),
        };
        spec.genesis_header = genesis_header(&spec);
        spec
    }

    /// Hash of the genesis block.
    pub fn genesis_hash(&self) -> B256 {
        self.genesis_header.hash_slow()
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

    /// The EIP-1559 parameters of a block at `timestamp` before Holocene: Ethereum's, or the OP
    /// chain's by Canyon.
    pub fn base_fee_params_at(&self, timestamp: u64) -> BaseFeeParams {
        match self.op_base_fee {
            None => self.base_fee_params,
            Some(config) => {
                let denominator = if self.is_canyon_active_at_timestamp(timestamp) {
                    config.denominator_canyon
                } else {
                    config.denominator
                };
                BaseFeeParams::new(u128::from(denominator), u128::from(config.elasticity))
            }
        }
    }

    /// Base fee of the block after `parent`, at `timestamp` (EIP-1559); the initial base fee at
    /// the London block. On an OP chain whose parent is a Holocene block the parameters come
    /// from the parent's `extraData` (with Jovian's minimum base fee); before that, from the
    /// chain config by the new block's fork (Canyon).
    pub fn next_block_base_fee(&self, parent: &Header, timestamp: u64) -> Option<u64> {
        let number = parent.number + 1;
        if !self.is_london_active_at_block(number) {
            return None;
        }
        if !self.is_london_active_at_block(parent.number) {
            return Some(alloy_eips::eip1559::INITIAL_BASE_FEE);
        }
        let parent_base_fee = parent.base_fee_per_gas.unwrap_or_default();
        if self.is_optimism() && self.is_holocene_active_at_timestamp(parent.timestamp) {
            // Import validates a Holocene block's extraData, so only a genesis without
            // parameters (op-geth fills in the config's then) takes the config's values.
            if let Ok(params) = Eip1559ExtraData::decode(&parent.extra_data) {
                let base_fee = calc_next_block_base_fee(
                    parent.gas_used,
                    parent.gas_limit,
                    parent_base_fee,
                    BaseFeeParams::new(
                        u128::from(params.denominator),
                        u128::from(params.elasticity),
                    ),
                );
                return Some(base_fee.max(params.min_base_fee.unwrap_or_default()));
            }
        }
        Some(calc_next_block_base_fee(
            parent.gas_used,
            parent.gas_limit,
            parent_base_fee,
            self.base_fee_params_at(timestamp),
        ))
    }

    /// The EIP-1559 parameters a Holocene block's `extraData` carries for `eip1559_params` from
    /// the payload attributes (denominator ‖ elasticity, 8 bytes); zeros mean the chain's
    /// pre-Holocene (Canyon) values, as op-geth fills them in.
    pub fn holocene_extra_data(&self, eip1559_params: [u8; 8], timestamp: u64) -> Eip1559ExtraData {
        let mut denominator = u32::from_be_bytes(eip1559_params[..4].try_into().expect("4"));
        let mut elasticity = u32::from_be_bytes(eip1559_params[4..].try_into().expect("4"));
        if denominator == 0 && elasticity == 0 {
            let params = self.base_fee_params_at(timestamp);
            denominator = params.max_change_denominator as u32;
            elasticity = params.elasticity_multiplier as u32;
        }
        Eip1559ExtraData { denominator, elasticity, min_base_fee: None }
    }
}

/// op-geth's `config.optimism` EIP-1559 parameters; absent values take OP Mainnet's.
fn op_base_fee_config(
    value: Option<&serde_json::Value>,
) -> Result<OpBaseFeeConfig, ChainSpecError> {
    let mut config = OpBaseFeeConfig::default();
    let Some(value) = value else { return Ok(config) };
    for (key, field) in [
        ("eip1559Denominator", &mut config.denominator),
        ("eip1559DenominatorCanyon", &mut config.denominator_canyon),
        ("eip1559Elasticity", &mut config.elasticity),
    ] {
        if let Some(number) = value.get(key) {
            *field =
                number.as_u64().filter(|n| *n > 0).ok_or_else(|| ChainSpecError::InvalidField {
                    field: "optimism",
                    message: format!("{key} must be a positive number, got {number}"),
                })?;
        }
    }
    Ok(config)
}

impl EthereumHardforks for ChainSpec {
    fn ethereum_fork_activation(&self, fork: EthereumHardfork) -> ForkCondition {
        self.hardforks.ethereum_fork_activation(fork)
    }
}

impl OpHardforks for ChainSpec {
    /// [`ForkCondition::Never`] on an Ethereum chain.
    fn op_fork_activation(&self, fork: OpHardfork) -> ForkCondition {
        self.op_hardforks
            .iter()
            .find_map(|(f, condition)| (*f == fork).then_some(*condition))
            .unwrap_or(ForkCondition::Never)
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

    fn op_spec(extra: serde_json::Value) -> ChainSpec {
        let mut genesis: Genesis = serde_json::from_value(serde_json::json!({
            "config": {
                "chainId": 11155420, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
                "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0,
                "petersburgBlock": 0, "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
                "mergeNetsplitBlock": 0, "terminalTotalDifficulty": 0,
                "bedrockBlock": 0, "regolithTime": 0, "canyonTime": 100, "ecotoneTime": 200,
                "holoceneTime": 300, "isthmusTime": 400
            },
            "gasLimit": "0x1c9c380", "difficulty": "0x0", "alloc": {}
        }))
        .unwrap();
        for (key, value) in extra.as_object().unwrap() {
            genesis.config.extra_fields.insert(key.clone(), value.clone());
        }
        ChainSpec::from_genesis(genesis).unwrap()
    }

    #[test]
    fn op_forks_bring_their_ethereum_forks() {
        let spec = op_spec(serde_json::json!({}));
        assert!(spec.is_optimism());
        assert_eq!(
            spec.ethereum_fork_activation(EthereumHardfork::Shanghai),
            ForkCondition::Timestamp(100)
        );
        assert_eq!(
            spec.ethereum_fork_activation(EthereumHardfork::Cancun),
            ForkCondition::Timestamp(200)
        );
        assert_eq!(
            spec.ethereum_fork_activation(EthereumHardfork::Prague),
            ForkCondition::Timestamp(400)
        );
        assert!(
            spec.is_holocene_active_at_timestamp(300)
                && !spec.is_jovian_active_at_timestamp(u64::MAX)
        );
    }

    #[test]
    fn op_base_fee_follows_canyon_then_the_parents_extra_data() {
        let spec = op_spec(
            serde_json::json!({"optimism": {"eip1559Elasticity": 6, "eip1559Denominator": 50, "eip1559DenominatorCanyon": 250}}),
        );
        assert_eq!(spec.base_fee_params_at(99), BaseFeeParams::new(50, 6));
        assert_eq!(spec.base_fee_params_at(100), BaseFeeParams::new(250, 6));
        // A full parent block: the base fee rises by 1/denominator × (elasticity − 1).
        let parent = |timestamp, extra_data: Vec<u8>| Header {
            number: 5,
            timestamp,
            gas_limit: 60_000_000,
            gas_used: 60_000_000,
            base_fee_per_gas: Some(1_000_000_000),
            extra_data: extra_data.into(),
            ..Default::default()
        };
        let canyon = spec.next_block_base_fee(&parent(150, Vec::new()), 152).unwrap();
        assert_eq!(canyon, 1_000_000_000 + 1_000_000_000 * 5 / 250);
        // The new block's fork picks the denominator: the Canyon block already uses 250.
        let first = spec.next_block_base_fee(&parent(98, Vec::new()), 100).unwrap();
        assert_eq!(first, canyon);
        let before = spec.next_block_base_fee(&parent(97, Vec::new()), 99).unwrap();
        assert_eq!(before, 1_000_000_000 + 1_000_000_000 * 5 / 50);
        let params = Eip1559ExtraData { denominator: 100, elasticity: 2, min_base_fee: None };
        let holocene = spec.next_block_base_fee(&parent(300, params.encode()), 302).unwrap();
        assert_eq!(holocene, 1_000_000_000 + 1_000_000_000 / 100);
        let floor = Eip1559ExtraData { min_base_fee: Some(5_000_000_000), ..params };
        assert_eq!(
            spec.next_block_base_fee(&parent(300, floor.encode()), 302).unwrap(),
            5_000_000_000
        );
    }

    #[test]
    fn eip1559_extra_data_round_trips_and_rejects_other_shapes() {
        let holocene = Eip1559ExtraData { denominator: 250, elasticity: 6, min_base_fee: None };
        assert_eq!(holocene.encode(), [0, 0, 0, 0, 0xfa, 0, 0, 0, 6]);
        assert_eq!(Eip1559ExtraData::decode(&holocene.encode()).unwrap(), holocene);
        let jovian = Eip1559ExtraData { min_base_fee: Some(7), ..holocene };
        assert_eq!(Eip1559ExtraData::decode(&jovian.encode()).unwrap(), jovian);
        for bad in [&[][..], &[0; 8], &[1; 9], &[0; 17], &[2; 17]] {
            assert!(matches!(
                Eip1559ExtraData::decode(bad),
                Err(ChainSpecError::InvalidExtraData { .. })
            ));
        }
        let spec = op_spec(serde_json::json!({}));
        assert_eq!(spec.holocene_extra_data([0; 8], 300), holocene);
        assert_eq!(
            spec.holocene_extra_data([0, 0, 0, 9, 0, 0, 0, 3], 300),
            Eip1559ExtraData { denominator: 9, elasticity: 3, min_base_fee: None }
        );
    }

    #[test]
    fn a_malformed_op_fork_time_is_an_error() {
        let mut genesis: Genesis = serde_json::from_str(RPC_GENESIS).unwrap();
        genesis.config.extra_fields.insert("canyonTime".into(), serde_json::json!("soon"));
        let err = ChainSpec::from_genesis(genesis).unwrap_err();
        assert!(matches!(err, ChainSpecError::InvalidField { field: "canyonTime", .. }), "{err}");
    }

    #[test]
    fn phala_forks_by_genesis_key() {
        let mut genesis: Genesis = serde_json::from_str(RPC_GENESIS).unwrap();
        genesis.config.extra_fields.insert("tdxAttestationTime".into(), 10.into());
        genesis.config.extra_fields.insert("tdxRepricingTime".into(), 20.into());
        let spec = ChainSpec::from_genesis(genesis.clone()).unwrap();
        let repricing = spec.phala_fork_activation(PhalaHardfork::TdxRepricing);
        assert_eq!(repricing, ForkCondition::Timestamp(20));
        assert!(!repricing.active_at_timestamp(19) && repricing.active_at_timestamp(20));
        assert!(spec.is_tdx_attestation_active_at_timestamp(10));
        assert_eq!(
            spec.phala_fork_activation(PhalaHardfork::SubstrateSignatures),
            ForkCondition::Never
        );
        genesis.config.extra_fields.insert("tdxRepricingTime".into(), "later".into());
        let err = ChainSpec::from_genesis(genesis).unwrap_err();
        assert!(matches!(err, ChainSpecError::InvalidField { field: "tdxRepricingTime", .. }));
    }
}
