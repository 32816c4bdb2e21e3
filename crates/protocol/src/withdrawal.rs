//! Withdrawals: the `MessagePassed` event of the `L2ToL1MessagePasser` predeploy, the withdrawal
//! hash the L1 portal proves and finalizes, and the version-0 output root that commits to the
//! message passer's storage (OP specs: withdrawals.md, proposals.md "L2 Output Commitment
//! Construction").

use crate::ProtocolError;
use alloy_primitives::{Address, B256, Bytes, Log, U256, keccak256};
use alloy_sol_types::{SolEvent, SolValue};

pub use op_alloy_consensus::L2_TO_L1_MESSAGE_PASSER_ADDRESS;

mod abi {
    #![allow(missing_docs, unreachable_pub)]
    alloy_sol_types::sol! {
        event MessagePassed(
            uint256 indexed nonce,
            address indexed sender,
            address indexed target,
            uint256 value,
            uint256 gasLimit,
            bytes data,
            bytes32 withdrawalHash
        );
    }
}

/// Topic 0 of `MessagePassed(uint256,address,address,uint256,uint256,bytes,bytes32)`.
pub const MESSAGE_PASSED_TOPIC: B256 = abi::MessagePassed::SIGNATURE_HASH;

/// The version word of a version-0 output root.
pub const OUTPUT_ROOT_VERSION_0: B256 = B256::ZERO;

/// A withdrawal initiated on L2: the fields of a `MessagePassed` event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Withdrawal {
    /// The message passer's nonce (its top two bytes hold the message version).
    pub nonce: U256,
    /// The L2 account that initiated the withdrawal.
    pub sender: Address,
    /// The L1 account the message is for.
    pub target: Address,
    /// The ETH value withdrawn.
    pub value: U256,
    /// The gas limit of the call on L1.
    pub gas_limit: U256,
    /// The calldata of the call on L1.
    pub data: Bytes,
}

impl Withdrawal {
    /// `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`, the key of the
    /// withdrawal in the message passer's `sentMessages` and in the portal.
    pub fn hash(&self) -> B256 {
        let fields = (self.nonce, self.sender, self.target, self.value, self.gas_limit, &self.data);
        keccak256(fields.abi_encode_params())
    }

    /// The withdrawal of a `MessagePassed` log of the `L2ToL1MessagePasser`, after checking that
    /// the event's `withdrawalHash` is the hash of its fields.
    pub fn from_message_passed(log: &Log) -> Result<Self, ProtocolError> {
        if log.address != L2_TO_L1_MESSAGE_PASSER_ADDRESS {
            return Err(ProtocolError::NotMessagePasserLog { address: log.address });
        }
        let event = abi::MessagePassed::decode_log_data_validate(&log.data)?;
        let withdrawal = Self {
            nonce: event.nonce,
            sender: event.sender,
            target: event.target,
            value: event.value,
            gas_limit: event.gasLimit,
            data: event.data,
        };
        let computed = withdrawal.hash();
        if computed != event.withdrawalHash {
            return Err(ProtocolError::WithdrawalHashMismatch {
                stated: event.withdrawalHash,
                computed,
            });
        }
        Ok(withdrawal)
    }
}

/// The version-0 output root of an L2 block:
/// `keccak256(version ‖ stateRoot ‖ messagePasserStorageRoot ‖ blockHash)`, with a zero version
/// word and the storage root of the `L2ToL1MessagePasser` account.
pub fn output_root_v0(
    state_root: B256,
    message_passer_storage_root: B256,
    block_hash: B256,
) -> B256 {
    let mut preimage = [0u8; 128];
    preimage[..32].copy_from_slice(OUTPUT_ROOT_VERSION_0.as_slice());
    preimage[32..64].copy_from_slice(state_root.as_slice());
    preimage[64..96].copy_from_slice(message_passer_storage_root.as_slice());
    preimage[96..].copy_from_slice(block_hash.as_slice());
    keccak256(preimage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{LogData, address};

    fn sample() -> Withdrawal {
        Withdrawal {
            nonce: U256::from(1) << 240,
            sender: address!("0x4200000000000000000000000000000000000007"),
            target: address!("0x6900000000000000000000000000000000000002"),
            value: U256::from(10),
            gas_limit: U256::from(203_648),
            data: Bytes::from_static(&[0xd7, 0x64, 0xad, 0x0b]),
        }
    }

    /// The log the message passer emits for `withdrawal`, stating `hash`.
    fn message_passed(withdrawal: &Withdrawal, hash: B256) -> Log {
        let data =
            (withdrawal.value, withdrawal.gas_limit, &withdrawal.data, hash).abi_encode_params();
        Log {
            address: L2_TO_L1_MESSAGE_PASSER_ADDRESS,
            data: LogData::new_unchecked(
                vec![
                    MESSAGE_PASSED_TOPIC,
                    withdrawal.nonce.into(),
                    withdrawal.sender.into_word(),
                    withdrawal.target.into_word(),
                ],
                data.into(),
            ),
        }
    }

    #[test]
    fn topic_is_the_event_signature_hash() {
        assert_eq!(
            MESSAGE_PASSED_TOPIC,
            keccak256("MessagePassed(uint256,address,address,uint256,uint256,bytes,bytes32)")
        );
    }

    #[test]
    fn hash_is_abi_encode_of_the_fields() {
        let w = sample();
        // abi.encode with the dynamic `data` last: six head words, then length and content.
        let mut encoded = Vec::new();
        encoded.extend_from_slice(&w.nonce.to_be_bytes::<32>());
        encoded.extend_from_slice(w.sender.into_word().as_slice());
        encoded.extend_from_slice(w.target.into_word().as_slice());
        encoded.extend_from_slice(&w.value.to_be_bytes::<32>());
        encoded.extend_from_slice(&w.gas_limit.to_be_bytes::<32>());
        encoded.extend_from_slice(&U256::from(6 * 32).to_be_bytes::<32>());
        encoded.extend_from_slice(&U256::from(w.data.len()).to_be_bytes::<32>());
        encoded.extend_from_slice(&w.data);
        encoded.resize(encoded.len().next_multiple_of(32), 0);
        assert_eq!(w.hash(), keccak256(encoded));
    }

    #[test]
    fn decodes_a_message_passed_log() {
        let w = sample();
        assert_eq!(Withdrawal::from_message_passed(&message_passed(&w, w.hash())), Ok(w.clone()));

        let wrong = B256::repeat_byte(1);
        assert_eq!(
            Withdrawal::from_message_passed(&message_passed(&w, wrong)),
            Err(ProtocolError::WithdrawalHashMismatch { stated: wrong, computed: w.hash() })
        );

        let mut elsewhere = message_passed(&w, w.hash());
        elsewhere.address = Address::ZERO;
        assert_eq!(
            Withdrawal::from_message_passed(&elsewhere),
            Err(ProtocolError::NotMessagePasserLog { address: Address::ZERO })
        );

        let mut other_event = message_passed(&w, w.hash());
        let mut topics = other_event.topics().to_vec();
        topics[0] = B256::ZERO;
        other_event.data = LogData::new_unchecked(topics, other_event.data.data.clone());
        assert!(matches!(
            Withdrawal::from_message_passed(&other_event),
            Err(ProtocolError::MessagePassedAbi(_))
        ));

        let mut truncated = message_passed(&w, w.hash());
        let data = truncated.data.data.slice(..96);
        truncated.data = LogData::new_unchecked(truncated.topics().to_vec(), data);
        assert!(matches!(
            Withdrawal::from_message_passed(&truncated),
            Err(ProtocolError::MessagePassedAbi(_))
        ));
    }

    #[test]
    fn output_root_hashes_the_four_words_in_order() {
        let (state, storage, block) =
            (B256::repeat_byte(1), B256::repeat_byte(2), B256::repeat_byte(3));
        let mut preimage = vec![0u8; 32];
        preimage.extend_from_slice(&[1; 32]);
        preimage.extend_from_slice(&[2; 32]);
        preimage.extend_from_slice(&[3; 32]);
        assert_eq!(output_root_v0(state, storage, block), keccak256(&preimage));
        assert_ne!(output_root_v0(storage, state, block), output_root_v0(state, storage, block));
    }
}
