//! Deposit transactions: the source hashes of the deposit domains (OP specs: deposits.md "Source
//! hash computation") and the user deposits of the `OptimismPortal`'s `TransactionDeposited`
//! logs.
//!
//! op-alloy-consensus has the user, L1-info, upgrade and interop-replacement domains (re-exported
//! here); this module adds the after-force-include domain (3), which op-node uses for the
//! interop `depositsComplete` deposit.

use crate::ProtocolError;
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256, keccak256};
use alloy_sol_types::SolEvent;
use op_alloy_consensus::TxDeposit;

pub use op_alloy_consensus::{
    DepositSourceDomain, DepositSourceDomainIdentifier, InteropBlockReplacementDepositSource,
    L1InfoDepositSource, UpgradeDepositSource, UserDepositSource,
};

mod abi {
    #![allow(missing_docs, unreachable_pub)]
    alloy_sol_types::sol! {
        event TransactionDeposited(
            address indexed from,
            address indexed to,
            uint256 indexed version,
            bytes opaqueData
        );
    }
}

/// Topic 0 of the `OptimismPortal`'s `TransactionDeposited(address,address,uint256,bytes)`.
pub const TRANSACTION_DEPOSITED_TOPIC: B256 = abi::TransactionDeposited::SIGNATURE_HASH;

/// The only `TransactionDeposited` version there is: its opaque data is
/// `mint u256 · value u256 · gas u64 · isCreation u8 · data`, packed.
pub const DEPOSIT_VERSION_0: U256 = U256::ZERO;

/// Domain of deposits placed after the force-included ones (`depositsComplete`).
pub const AFTER_FORCE_INCLUDE_DOMAIN: u64 = 3;

/// The source of a deposit made after the force-included deposits of an L1 origin: the L1 block
/// hash and the L2 block's sequence number, in domain 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AfterForceIncludeSource {
    /// Hash of the L1 origin block.
    pub l1_block_hash: B256,
    /// Sequence number of the L2 block in its epoch.
    pub seq_number: u64,
}

impl AfterForceIncludeSource {
    /// Creates the source.
    pub const fn new(l1_block_hash: B256, seq_number: u64) -> Self {
        Self { l1_block_hash, seq_number }
    }

    /// `keccak256(uint256(3) ‖ keccak256(l1BlockHash ‖ uint256(seqNumber)))`.
    pub fn source_hash(&self) -> B256 {
        let mut id = [0u8; 64];
        id[..32].copy_from_slice(self.l1_block_hash.as_slice());
        id[56..].copy_from_slice(&self.seq_number.to_be_bytes());
        let mut domain = [0u8; 64];
        domain[24..32].copy_from_slice(&AFTER_FORCE_INCLUDE_DOMAIN.to_be_bytes());
        domain[32..].copy_from_slice(keccak256(id).as_slice());
        keccak256(domain)
    }
}

/// The user deposit of a `TransactionDeposited` log, emitted at `log_index` (the index among all
/// logs of the L1 block) of the L1 block `l1_block_hash`.
///
/// Decoded the way op-node's derivation does: four topics, an ABI `bytes` with offset 32 and no
/// more than 31 bytes of padding, version 0, opaque data of at least 73 bytes; `isCreation` is
/// true for any non-zero byte (then the `to` topic is ignored). The caller selects logs by the
/// portal's address; this function does not know it.
pub fn decode_transaction_deposited(
    log: &Log,
    l1_block_hash: B256,
    log_index: u64,
) -> Result<TxDeposit, ProtocolError> {
    let topics = log.topics();
    let [signature, from, to, version] = topics else {
        return Err(ProtocolError::DepositLogTopicCount { count: topics.len() });
    };
    if *signature != TRANSACTION_DEPOSITED_TOPIC {
        return Err(ProtocolError::NotTransactionDeposited { topic: *signature });
    }
    let opaque = opaque_data(&log.data.data)?;
    let version = U256::from_be_bytes(version.0);
    if version != DEPOSIT_VERSION_0 {
        return Err(ProtocolError::UnsupportedDepositVersion { version });
    }
    let (mint, value, gas_limit, is_creation, input) = decode_opaque_v0(opaque)?;
    Ok(TxDeposit {
        source_hash: UserDepositSource::new(l1_block_hash, log_index).source_hash(),
        from: Address::from_word(*from),
        to: if is_creation { TxKind::Create } else { TxKind::Call(Address::from_word(*to)) },
        mint,
        value,
        gas_limit,
        is_system_transaction: false,
        input,
    })
}

/// The content of the log data's single ABI `bytes` value.
fn opaque_data(data: &[u8]) -> Result<&[u8], ProtocolError> {
    if data.len() < 64 || !data.len().is_multiple_of(32) {
        return Err(ProtocolError::DepositLogDataLength { len: data.len() });
    }
    let offset = U256::from_be_slice(&data[..32]);
    if offset != U256::from(32) {
        return Err(ProtocolError::DepositOpaqueDataOffset { offset });
    }
    let length = U256::from_be_slice(&data[32..64]);
    let available = data.len() - 64;
    // At most `available` bytes, and padded minimally: 32 more would not fit.
    match usize::try_from(length) {
        Ok(len) if len <= available && len + 32 > available => Ok(&data[64..64 + len]),
        _ => Err(ProtocolError::DepositOpaqueDataLength { length, available }),
    }
}

/// Version-0 opaque data: `(mint, value, gas, isCreation, data)`.
fn decode_opaque_v0(opaque: &[u8]) -> Result<(u128, U256, u64, bool, Bytes), ProtocolError> {
    const HEAD: usize = 32 + 32 + 8 + 1;
    if opaque.len() < HEAD {
        return Err(ProtocolError::DepositOpaqueDataTooShort { len: opaque.len() });
    }
    let mint = U256::from_be_slice(&opaque[..32]);
    let mint = u128::try_from(mint).map_err(|_| ProtocolError::DepositMintTooLarge { mint })?;
    let value = U256::from_be_slice(&opaque[32..64]);
    let mut gas = [0u8; 8];
    gas.copy_from_slice(&opaque[64..72]);
    let is_creation = opaque[72] != 0;
    Ok((mint, value, u64::from_be_bytes(gas), is_creation, Bytes::copy_from_slice(&opaque[HEAD..])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{LogData, address, b256};

    const PORTAL: Address = address!("0xbEb5Fc579115071764c7423A4f12eDde41f106Ed");

    /// A `TransactionDeposited` log as the portal emits it: `abi.encode(bytes)` of the packed
    /// opaque data.
    fn deposit_log(from: Address, to: Address, version: U256, opaque: &[u8]) -> Log {
        let mut data = U256::from(32).to_be_bytes::<32>().to_vec();
        data.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
        data.extend_from_slice(opaque);
        data.resize(data.len().next_multiple_of(32), 0);
        Log {
            address: PORTAL,
            data: LogData::new_unchecked(
                vec![TRANSACTION_DEPOSITED_TOPIC, from.into_word(), to.into_word(), version.into()],
                data.into(),
            ),
        }
    }

    fn opaque(mint: U256, value: U256, gas: u64, is_creation: u8, data: &[u8]) -> Vec<u8> {
        let mut out = mint.to_be_bytes::<32>().to_vec();
        out.extend_from_slice(&value.to_be_bytes::<32>());
        out.extend_from_slice(&gas.to_be_bytes());
        out.push(is_creation);
        out.extend_from_slice(data);
        out
    }

    const FROM: Address = address!("0x1111111111111111111111111111111111111111");
    const TO: Address = address!("0x2222222222222222222222222222222222222222");
    const L1_HASH: B256 = B256::repeat_byte(0xab);

    #[test]
    fn topic_is_the_event_signature_hash() {
        assert_eq!(
            TRANSACTION_DEPOSITED_TOPIC,
            keccak256("TransactionDeposited(address,address,uint256,bytes)")
        );
        assert_eq!(
            TRANSACTION_DEPOSITED_TOPIC,
            b256!("0xb3813568d9991fc951961fcb4c784893574240a28925604d09fc577c55bb7c32")
        );
    }

    #[test]
    fn decodes_a_call_and_a_creation() {
        let opaque_call = opaque(U256::from(5), U256::from(3), 100_000, 0, &[0xca, 0xfe]);
        let tx = decode_transaction_deposited(
            &deposit_log(FROM, TO, U256::ZERO, &opaque_call),
            L1_HASH,
            9,
        )
        .unwrap();
        assert_eq!(
            tx,
            TxDeposit {
                source_hash: UserDepositSource::new(L1_HASH, 9).source_hash(),
                from: FROM,
                to: TxKind::Call(TO),
                mint: 5,
                value: U256::from(3),
                gas_limit: 100_000,
                is_system_transaction: false,
                input: Bytes::from_static(&[0xca, 0xfe]),
            }
        );

        // Exactly a word of data, so no padding at all; any non-zero flag creates.
        let init_code = [0x60; 32 - 9];
        let opaque_create = opaque(U256::ZERO, U256::ZERO, 21_000, 2, &init_code);
        assert_eq!(opaque_create.len() % 32, 0);
        let tx = decode_transaction_deposited(
            &deposit_log(FROM, TO, U256::ZERO, &opaque_create),
            L1_HASH,
            0,
        )
        .unwrap();
        assert_eq!(tx.to, TxKind::Create);
        assert_eq!(tx.input.as_ref(), init_code);
    }

    #[test]
    fn rejects_malformed_logs() {
        let good = opaque(U256::ZERO, U256::ZERO, 21_000, 0, &[]);
        let decode = |log: &Log| decode_transaction_deposited(log, L1_HASH, 0);

        let mut log = deposit_log(FROM, TO, U256::ZERO, &good);
        log.data = LogData::new_unchecked(log.topics()[..3].to_vec(), log.data.data.clone());
        assert_eq!(decode(&log), Err(ProtocolError::DepositLogTopicCount { count: 3 }));

        let mut log = deposit_log(FROM, TO, U256::ZERO, &good);
        let mut topics = log.topics().to_vec();
        topics[0] = B256::ZERO;
        log.data = LogData::new_unchecked(topics, log.data.data.clone());
        assert_eq!(decode(&log), Err(ProtocolError::NotTransactionDeposited { topic: B256::ZERO }));

        let log = deposit_log(FROM, TO, U256::from(1), &good);
        assert_eq!(
            decode(&log),
            Err(ProtocolError::UnsupportedDepositVersion { version: U256::from(1) })
        );

        let log = deposit_log(FROM, TO, U256::ZERO, &good[..72]);
        assert_eq!(decode(&log), Err(ProtocolError::DepositOpaqueDataTooShort { len: 72 }));

        let log = deposit_log(FROM, TO, U256::ZERO, &opaque(U256::MAX, U256::ZERO, 1, 0, &[]));
        assert_eq!(decode(&log), Err(ProtocolError::DepositMintTooLarge { mint: U256::MAX }));

        let with_data = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut log = deposit_log(FROM, TO, U256::ZERO, &good);
            let mut data = log.data.data.to_vec();
            edit(&mut data);
            log.data = LogData::new_unchecked(log.topics().to_vec(), data.into());
            decode(&log)
        };
        assert_eq!(
            with_data(&|data| data.truncate(63)),
            Err(ProtocolError::DepositLogDataLength { len: 63 })
        );
        assert_eq!(
            with_data(&|data| data.push(0)),
            Err(ProtocolError::DepositLogDataLength { len: 64 + 96 + 1 })
        );
        assert_eq!(
            with_data(&|data| data[31] = 64),
            Err(ProtocolError::DepositOpaqueDataOffset { offset: U256::from(64) })
        );
        // Longer than the data, and a whole spare word of padding.
        assert_eq!(
            with_data(&|data| data[63] = 97),
            Err(ProtocolError::DepositOpaqueDataLength { length: U256::from(97), available: 96 })
        );
        assert_eq!(
            with_data(&|data| data.extend_from_slice(&[0; 32])),
            Err(ProtocolError::DepositOpaqueDataLength { length: U256::from(73), available: 128 })
        );
    }

    #[test]
    fn after_force_include_source_hash() {
        // op-node deposit_source_test.go (TestAfterForceIncludeSource).
        let hash = b256!("0xc00e5d67c2755389aded7d8b151cbd5bcdf7ed275ad5e028b664880fc7581c77");
        assert_eq!(
            AfterForceIncludeSource::new(hash, 4).source_hash(),
            b256!("0x0d165c391384b29c29f655e3f32315755b8c1e4c1147d1824d1243420dda5ec3")
        );
        // The same inputs in the L1-info domain hash differently.
        assert_ne!(
            AfterForceIncludeSource::new(hash, 4).source_hash(),
            L1InfoDepositSource::new(hash, 4).source_hash()
        );
    }
}
