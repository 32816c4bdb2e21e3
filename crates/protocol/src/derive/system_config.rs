//! The L1 `SystemConfig` as derivation tracks it (`system-config.md` and the Holocene, Isthmus
//! and Jovian `system-config.md`): the values the rollup takes from the SystemConfig contract,
//! changed by its `ConfigUpdate(uint256 indexed version, uint8 indexed updateType, bytes data)`
//! logs, and the L1-info deposit fields they give an epoch.

use super::{error::SystemConfigError, refs::L1Header};
use crate::{L1BlockInfo, rollup::GenesisSystemConfig};
use alloy_primitives::{Address, B64, B256, Log, U256};
use alloy_sol_types::SolEvent;

mod abi {
    #![allow(missing_docs, unreachable_pub)]
    alloy_sol_types::sol! {
        event ConfigUpdate(uint256 indexed version, uint8 indexed updateType, bytes data);
    }
}

/// Topic 0 of the SystemConfig's `ConfigUpdate(uint256,uint8,bytes)`.
pub const CONFIG_UPDATE_TOPIC: B256 = abi::ConfigUpdate::SIGNATURE_HASH;

/// Jovian's DA footprint gas scalar when the SystemConfig holds 0 (`jovian/l1-attributes.md`).
pub const DEFAULT_DA_FOOTPRINT_GAS_SCALAR: u16 = 400;

/// Scalar version 0: only a base fee scalar, in the last four bytes.
const SCALAR_VERSION_0: u8 = 0;
/// Scalar version 1 (Ecotone): blob base fee scalar ‖ base fee scalar in the last eight bytes.
const SCALAR_VERSION_1: u8 = 1;

/// The kinds of `ConfigUpdate`, by their `updateType` topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigUpdateKind {
    /// 0: the batcher hash (version 0: the batcher address).
    Batcher,
    /// 1: overhead and scalar (from Ecotone the scalar is versioned, the overhead ignored).
    FeeScalars,
    /// 2: the L2 gas limit.
    GasLimit,
    /// 3: the unsafe block signer, which is no consensus value.
    UnsafeBlockSigner,
    /// 4: Holocene's EIP-1559 denominator and elasticity.
    Eip1559Params,
    /// 5: Isthmus' operator fee scalar and constant.
    OperatorFeeParams,
    /// 6: Jovian's minimum base fee.
    MinBaseFee,
    /// 7: Jovian's DA footprint gas scalar.
    DaFootprintGasScalar,
}

impl ConfigUpdateKind {
    /// The kind of an `updateType` topic (a `uint8`, left-padded to a word).
    pub fn from_topic(topic: B256) -> Option<Self> {
        if topic[..31].iter().any(|byte| *byte != 0) {
            return None;
        }
        Some(match topic[31] {
            0 => Self::Batcher,
            1 => Self::FeeScalars,
            2 => Self::GasLimit,
            3 => Self::UnsafeBlockSigner,
            4 => Self::Eip1559Params,
            5 => Self::OperatorFeeParams,
            6 => Self::MinBaseFee,
            7 => Self::DaFootprintGasScalar,
            _ => return None,
        })
    }

    /// The length of the `bytes data` payload the update carries.
    const fn payload_len(self) -> usize {
        match self {
            Self::FeeScalars => 64,
            _ => 32,
        }
    }
}

/// What applying a well-formed `ConfigUpdate` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigUpdateOutcome {
    /// The update changed the config.
    Applied(ConfigUpdateKind),
    /// The update is well-formed but leaves the config alone: the unsafe block signer, or an
    /// Ecotone scalar of unknown version or with non-zero padding (op-node keeps the old one).
    Ignored(ConfigUpdateKind),
}

/// The SystemConfig values derivation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SystemConfig {
    /// The account whose batcher transactions are read.
    pub batcher: Address,
    /// Bedrock's L1 fee overhead (zero from Ecotone).
    pub overhead: B256,
    /// The L1 fee scalar word (versioned from Ecotone).
    pub scalar: B256,
    /// The L2 block gas limit.
    pub gas_limit: u64,
    /// Holocene: EIP-1559 denominator ‖ elasticity, big-endian `u32`s.
    pub eip1559_params: B64,
    /// Isthmus: the operator fee word, `scalar u32` at bytes 20..24 and `constant u64` at 24..32.
    pub operator_fee_params: B256,
    /// Jovian: the minimum L2 base fee in wei.
    pub min_base_fee: u64,
    /// Jovian: DA footprint gas per estimated compressed byte (0: the default of 400).
    pub da_footprint_gas_scalar: u16,
}

impl SystemConfig {
    /// Ecotone's scalar word: version 1, zeros, the blob base fee scalar and the base fee scalar.
    pub fn ecotone_scalar_word(base_fee_scalar: u32, blob_base_fee_scalar: u32) -> B256 {
        let mut word = [0u8; 32];
        word[0] = SCALAR_VERSION_1;
        word[24..28].copy_from_slice(&blob_base_fee_scalar.to_be_bytes());
        word[28..].copy_from_slice(&base_fee_scalar.to_be_bytes());
        B256::from(word)
    }

    /// Holocene's EIP-1559 parameters: denominator ‖ elasticity, big-endian.
    pub fn eip1559_params_word(denominator: u32, elasticity: u32) -> B64 {
        let mut params = [0u8; 8];
        params[..4].copy_from_slice(&denominator.to_be_bytes());
        params[4..].copy_from_slice(&elasticity.to_be_bytes());
        B64::from(params)
    }

    /// Isthmus's operator fee word: the scalar at bytes 20..24, the constant at 24..32.
    pub fn operator_fee_word(scalar: u32, constant: u64) -> B256 {
        let mut word = [0u8; 32];
        word[20..24].copy_from_slice(&scalar.to_be_bytes());
        word[24..].copy_from_slice(&constant.to_be_bytes());
        B256::from(word)
    }

    /// The config at the rollup's genesis, from `rollup.json` (op-node's fields, or kona's
    /// separate scalar, EIP-1559 and operator fee fields where the packed ones are absent).
    pub fn from_genesis(genesis: &GenesisSystemConfig) -> Result<Self, SystemConfigError> {
        let scalar = match (genesis.base_fee_scalar, genesis.blob_base_fee_scalar) {
            (None, None) => genesis.scalar,
            (base, blob) => {
                let base = genesis_u32(base.unwrap_or(0), "baseFeeScalar")?;
                let blob = genesis_u32(blob.unwrap_or(0), "blobBaseFeeScalar")?;
                Self::ecotone_scalar_word(base, blob)
            }
        };
        let eip1559_params = match &genesis.eip1559_params {
            Some(bytes) => B64::try_from(bytes.as_ref()).map_err(|_| {
                SystemConfigError::GenesisFieldLength {
                    field: "eip1559Params",
                    len: bytes.len(),
                    expected: 8,
                }
            })?,
            None => Self::eip1559_params_word(
                genesis.eip1559_denominator.unwrap_or(0),
                genesis.eip1559_elasticity.unwrap_or(0),
            ),
        };
        let operator_fee_params = match &genesis.operator_fee_params {
            Some(bytes) => B256::try_from(bytes.as_ref()).map_err(|_| {
                SystemConfigError::GenesisFieldLength {
                    field: "operatorFeeParams",
                    len: bytes.len(),
                    expected: 32,
                }
            })?,
            None => Self::operator_fee_word(
                genesis.operator_fee_scalar.unwrap_or(0),
                genesis.operator_fee_constant.unwrap_or(0),
            ),
        };
        Ok(Self {
            batcher: genesis.batcher_addr,
            overhead: genesis.overhead,
            scalar,
            gas_limit: genesis.gas_limit,
            eip1559_params,
            operator_fee_params,
            min_base_fee: genesis.min_base_fee.unwrap_or(0),
            da_footprint_gas_scalar: genesis.da_footprint_gas_scalar.unwrap_or(0),
        })
    }

    /// Applies one `ConfigUpdate` log of the SystemConfig contract, emitted in an L1 block at
    /// `l1_timestamp` (`ecotone` says whether Ecotone is active then, which changes how the fee
    /// scalars are read). A malformed log changes nothing and is an error the caller skips, as
    /// op-node does; the caller selects logs by the contract's address.
    pub fn apply_update(
        &mut self,
        log: &Log,
        ecotone: bool,
    ) -> Result<ConfigUpdateOutcome, SystemConfigError> {
        let topics = log.topics();
        let [signature, version, update_type] = topics else {
            return Err(SystemConfigError::TopicCount { count: topics.len() });
        };
        if *signature != CONFIG_UPDATE_TOPIC {
            return Err(SystemConfigError::NotConfigUpdate { topic: *signature });
        }
        if !version.is_zero() {
            return Err(SystemConfigError::UnsupportedVersion { version: *version });
        }
        let kind = ConfigUpdateKind::from_topic(*update_type)
            .ok_or(SystemConfigError::UnknownUpdateType { update_type: *update_type })?;
        if kind == ConfigUpdateKind::UnsafeBlockSigner {
            // A p2p policy value, not consensus: op-node does not even parse it.
            return Ok(ConfigUpdateOutcome::Ignored(kind));
        }
        let payload = update_payload(&log.data.data, kind)?;
        let word =
            |index: usize| -> B256 { B256::from_slice(&payload[32 * index..32 * index + 32]) };
        match kind {
            ConfigUpdateKind::Batcher => {
                self.batcher = Address::from_word(padded(word(0), 20, kind)?);
            }
            ConfigUpdateKind::FeeScalars => {
                let (overhead, scalar) = (word(0), word(1));
                if ecotone {
                    if ecotone_scalars(scalar).is_err() {
                        return Ok(ConfigUpdateOutcome::Ignored(kind));
                    }
                    self.overhead = B256::ZERO;
                    self.scalar = scalar;
                } else {
                    self.overhead = overhead;
                    self.scalar = scalar;
                }
            }
            ConfigUpdateKind::GasLimit => self.gas_limit = uint64(padded(word(0), 8, kind)?),
            ConfigUpdateKind::Eip1559Params => {
                // `(denominator << 32) | elasticity`: the low eight bytes, as op-node takes them.
                self.eip1559_params = B64::from_slice(&word(0)[24..]);
            }
            ConfigUpdateKind::OperatorFeeParams => self.operator_fee_params = word(0),
            ConfigUpdateKind::MinBaseFee => self.min_base_fee = uint64(padded(word(0), 8, kind)?),
            ConfigUpdateKind::DaFootprintGasScalar => {
                let word = padded(word(0), 2, kind)?;
                self.da_footprint_gas_scalar = u16::from_be_bytes([word[30], word[31]]);
            }
            ConfigUpdateKind::UnsafeBlockSigner => unreachable!("returned above"),
        }
        Ok(ConfigUpdateOutcome::Applied(kind))
    }

    /// The batcher hash the L1-info deposit records (version 0: the address, left-padded).
    pub fn batcher_hash(&self) -> B256 {
        self.batcher.into_word()
    }

    /// Ecotone's `(base_fee_scalar, blob_base_fee_scalar)` from the scalar word.
    pub fn ecotone_scalars(&self) -> Result<(u32, u32), SystemConfigError> {
        match ecotone_scalars(self.scalar) {
            Ok(scalars) => Ok(scalars),
            // Version 0 with dirty padding still has a meaning (the spec: the maximum scalar).
            Err(SystemConfigError::ScalarPadding { version: SCALAR_VERSION_0 }) => {
                Ok((u32::MAX, 0))
            }
            Err(error) => Err(error),
        }
    }

    /// Isthmus' `(operator_fee_scalar, operator_fee_constant)`.
    pub fn operator_fee(&self) -> (u32, u64) {
        let word = self.operator_fee_params;
        (
            u32::from_be_bytes([word[20], word[21], word[22], word[23]]),
            u64::from_be_bytes(word[24..].try_into().expect("eight bytes")),
        )
    }

    /// The L1-info deposit values of the L2 block at `sequence_number` in the epoch of `header`,
    /// under this config (the config of that epoch, its own updates applied). Every format's
    /// fields are filled; [`L1BlockInfo::encode`] writes those of the format it is asked for.
    pub fn l1_block_info(
        &self,
        header: &L1Header,
        sequence_number: u64,
    ) -> Result<L1BlockInfo, SystemConfigError> {
        let (base_fee_scalar, blob_base_fee_scalar) = self.ecotone_scalars()?;
        let (operator_fee_scalar, operator_fee_constant) = self.operator_fee();
        let da_footprint_gas_scalar = match self.da_footprint_gas_scalar {
            0 => DEFAULT_DA_FOOTPRINT_GAS_SCALAR,
            scalar => scalar,
        };
        Ok(L1BlockInfo {
            number: header.number,
            timestamp: header.timestamp,
            base_fee: U256::from(header.base_fee),
            block_hash: header.hash,
            sequence_number,
            batcher_hash: self.batcher_hash(),
            l1_fee_overhead: U256::from_be_bytes(self.overhead.0),
            l1_fee_scalar: U256::from_be_bytes(self.scalar.0),
            blob_base_fee: U256::from(header.blob_base_fee),
            base_fee_scalar,
            blob_base_fee_scalar,
            operator_fee_scalar,
            operator_fee_constant,
            da_footprint_gas_scalar,
        })
    }
}

fn genesis_u32(value: u64, field: &'static str) -> Result<u32, SystemConfigError> {
    u32::try_from(value).map_err(|_| SystemConfigError::GenesisFieldOverflow { field, value })
}

/// The payload of the log's ABI `bytes data`: offset 32, the kind's length, nothing after.
fn update_payload(data: &[u8], kind: ConfigUpdateKind) -> Result<&[u8], SystemConfigError> {
    let expected = kind.payload_len();
    if data.len() != 64 + expected {
        return Err(SystemConfigError::DataLength {
            kind,
            len: data.len(),
            expected: 64 + expected,
        });
    }
    let offset = U256::from_be_slice(&data[..32]);
    if offset != U256::from(32) {
        return Err(SystemConfigError::DataOffset { kind, offset });
    }
    let length = U256::from_be_slice(&data[32..64]);
    if length != U256::from(expected) {
        return Err(SystemConfigError::PayloadLength { kind, length, expected });
    }
    Ok(&data[64..])
}

/// `word` if only its last `width` bytes may be non-zero, as an ABI value of that width is.
fn padded(word: B256, width: usize, kind: ConfigUpdateKind) -> Result<B256, SystemConfigError> {
    if word[..32 - width].iter().any(|byte| *byte != 0) {
        return Err(SystemConfigError::ValuePadding { kind });
    }
    Ok(word)
}

fn uint64(word: B256) -> u64 {
    u64::from_be_bytes(word[24..].try_into().expect("eight bytes"))
}

/// The scalars of a versioned (Ecotone) scalar word, refused for an unknown version or non-zero
/// padding.
fn ecotone_scalars(scalar: B256) -> Result<(u32, u32), SystemConfigError> {
    let be_u32 = |at: usize| u32::from_be_bytes(scalar[at..at + 4].try_into().expect("four bytes"));
    match scalar[0] {
        SCALAR_VERSION_0 => {
            if scalar[1..28].iter().any(|byte| *byte != 0) {
                return Err(SystemConfigError::ScalarPadding { version: SCALAR_VERSION_0 });
            }
            Ok((be_u32(28), 0))
        }
        SCALAR_VERSION_1 => {
            if scalar[1..24].iter().any(|byte| *byte != 0) {
                return Err(SystemConfigError::ScalarPadding { version: SCALAR_VERSION_1 });
            }
            Ok((be_u32(28), be_u32(24)))
        }
        version => Err(SystemConfigError::UnknownScalarVersion { version }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Bytes, LogData, address, keccak256};

    /// A `ConfigUpdate` log as the contract emits it: `abi.encode(bytes)` of `payload`.
    pub(crate) fn config_update_log(kind: u8, payload: &[u8]) -> Log {
        let mut data = U256::from(32).to_be_bytes::<32>().to_vec();
        data.extend_from_slice(&U256::from(payload.len()).to_be_bytes::<32>());
        data.extend_from_slice(payload);
        data.resize(data.len().next_multiple_of(32), 0);
        Log {
            address: Address::repeat_byte(0x55),
            data: LogData::new_unchecked(
                vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::with_last_byte(kind)],
                data.into(),
            ),
        }
    }

    fn word(value: U256) -> [u8; 32] {
        value.to_be_bytes()
    }

    #[test]
    fn topic_is_the_event_signature_hash() {
        assert_eq!(CONFIG_UPDATE_TOPIC, keccak256("ConfigUpdate(uint256,uint8,bytes)"));
    }

    #[test]
    fn every_update_type_applies() {
        let mut config = SystemConfig::default();
        let batcher = address!("0x1234567890123456789012345678901234567890");
        let apply = |config: &mut SystemConfig, kind: u8, payload: &[u8]| {
            config.apply_update(&config_update_log(kind, payload), true).unwrap()
        };
        assert_eq!(
            apply(&mut config, 0, batcher.into_word().as_slice()),
            ConfigUpdateOutcome::Applied(ConfigUpdateKind::Batcher)
        );
        assert_eq!(config.batcher, batcher);

        let mut scalars = [0u8; 64];
        scalars[..32].copy_from_slice(&word(U256::from(2100)));
        scalars[32] = 1;
        scalars[32 + 24..32 + 28].copy_from_slice(&7u32.to_be_bytes());
        scalars[32 + 28..].copy_from_slice(&9u32.to_be_bytes());
        apply(&mut config, 1, &scalars);
        assert_eq!(config.overhead, B256::ZERO, "Ecotone zeroes the overhead");
        assert_eq!(config.ecotone_scalars().unwrap(), (9, 7));

        apply(&mut config, 2, &word(U256::from(30_000_000u64)));
        assert_eq!(config.gas_limit, 30_000_000);
        assert_eq!(
            apply(&mut config, 3, &word(U256::from(1))),
            ConfigUpdateOutcome::Ignored(ConfigUpdateKind::UnsafeBlockSigner)
        );

        apply(&mut config, 4, &word((U256::from(250) << 32) | U256::from(6)));
        assert_eq!(config.eip1559_params, B64::from([0, 0, 0, 250, 0, 0, 0, 6]));
        apply(&mut config, 5, &word((U256::from(11) << 64) | U256::from(13)));
        assert_eq!(config.operator_fee(), (11, 13));
        apply(&mut config, 6, &word(U256::from(1_000_000_007u64)));
        assert_eq!(config.min_base_fee, 1_000_000_007);
        apply(&mut config, 7, &word(U256::from(321)));
        assert_eq!(config.da_footprint_gas_scalar, 321);
    }

    #[test]
    fn malformed_updates_change_nothing() {
        let mut config = SystemConfig { gas_limit: 5, ..Default::default() };
        let before = config;
        let mut apply = |log: &Log| config.apply_update(log, true).map(|_| ());

        let mut wrong_length = config_update_log(2, &[0; 64]);
        assert!(matches!(apply(&wrong_length), Err(SystemConfigError::DataLength { .. })));
        let mut data = wrong_length.data.data.to_vec();
        data.truncate(96);
        data[31] = 64;
        wrong_length.data = LogData::new_unchecked(wrong_length.topics().to_vec(), data.into());
        assert!(matches!(apply(&wrong_length), Err(SystemConfigError::DataOffset { .. })));

        let overflow = config_update_log(2, &[0xff; 32]);
        assert_eq!(
            apply(&overflow),
            Err(SystemConfigError::ValuePadding { kind: ConfigUpdateKind::GasLimit })
        );
        let unknown = config_update_log(8, &[0; 32]);
        assert!(matches!(apply(&unknown), Err(SystemConfigError::UnknownUpdateType { .. })));
        let mut versioned = config_update_log(2, &[0; 32]);
        let topics = vec![CONFIG_UPDATE_TOPIC, B256::with_last_byte(1), B256::with_last_byte(2)];
        versioned.data = LogData::new_unchecked(topics, versioned.data.data.clone());
        assert!(matches!(apply(&versioned), Err(SystemConfigError::UnsupportedVersion { .. })));
        assert_eq!(config, before);

        // A versioned scalar with dirty padding is skipped, keeping the old scalar.
        let mut scalars = [0u8; 64];
        scalars[32] = 1;
        scalars[40] = 1;
        assert_eq!(
            config.apply_update(&config_update_log(1, &scalars), true),
            Ok(ConfigUpdateOutcome::Ignored(ConfigUpdateKind::FeeScalars))
        );
        assert_eq!(config, before);
    }

    #[test]
    fn genesis_accepts_both_forms() {
        let op_node = GenesisSystemConfig {
            batcher_addr: Address::repeat_byte(3),
            scalar: B256::from(word(
                (U256::from(1) << 248) | (U256::from(5) << 32) | U256::from(6),
            )),
            gas_limit: 60_000_000,
            eip1559_params: Some(Bytes::from(vec![0, 0, 0, 50, 0, 0, 0, 4])),
            min_base_fee: Some(9),
            ..Default::default()
        };
        let config = SystemConfig::from_genesis(&op_node).unwrap();
        assert_eq!(config.ecotone_scalars().unwrap(), (6, 5));
        assert_eq!(config.eip1559_params, B64::from([0, 0, 0, 50, 0, 0, 0, 4]));
        assert_eq!(config.min_base_fee, 9);

        let kona = GenesisSystemConfig {
            batcher_addr: Address::repeat_byte(3),
            gas_limit: 60_000_000,
            base_fee_scalar: Some(6),
            blob_base_fee_scalar: Some(5),
            eip1559_denominator: Some(50),
            eip1559_elasticity: Some(4),
            operator_fee_scalar: Some(11),
            operator_fee_constant: Some(13),
            min_base_fee: Some(9),
            ..Default::default()
        };
        let kona = SystemConfig::from_genesis(&kona).unwrap();
        assert_eq!(kona.scalar, config.scalar);
        assert_eq!(kona.eip1559_params, config.eip1559_params);
        assert_eq!(kona.operator_fee(), (11, 13));

        let bad = GenesisSystemConfig { eip1559_params: Some(Bytes::from(vec![1])), ..op_node };
        assert!(matches!(
            SystemConfig::from_genesis(&bad),
            Err(SystemConfigError::GenesisFieldLength { field: "eip1559Params", .. })
        ));
    }

    #[test]
    fn l1_block_info_fills_every_format_and_defaults_the_da_scalar() {
        let config = SystemConfig {
            batcher: Address::repeat_byte(0xbb),
            scalar: B256::from(word(U256::from(77))),
            operator_fee_params: B256::from(word((U256::from(3) << 64) | U256::from(4))),
            ..Default::default()
        };
        let header = L1Header {
            number: 10,
            hash: B256::repeat_byte(1),
            parent_hash: B256::repeat_byte(2),
            timestamp: 1000,
            base_fee: 7,
            blob_base_fee: 1,
            mix_hash: B256::repeat_byte(3),
            parent_beacon_block_root: None,
        };
        let info = config.l1_block_info(&header, 2).unwrap();
        assert_eq!((info.number, info.timestamp, info.sequence_number), (10, 1000, 2));
        assert_eq!((info.base_fee_scalar, info.blob_base_fee_scalar), (77, 0));
        assert_eq!((info.operator_fee_scalar, info.operator_fee_constant), (3, 4));
        assert_eq!(info.da_footprint_gas_scalar, DEFAULT_DA_FOOTPRINT_GAS_SCALAR);
        assert_eq!(info.batcher_hash, Address::repeat_byte(0xbb).into_word());
        let mut unknown = config;
        unknown.scalar.0[0] = 9;
        assert_eq!(
            unknown.l1_block_info(&header, 0),
            Err(SystemConfigError::UnknownScalarVersion { version: 9 })
        );
    }
}
