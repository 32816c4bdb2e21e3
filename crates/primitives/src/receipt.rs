//! One receipt type for both rule sets: Ethereum's receipt envelope (every Ethereum type,
//! EIP-4844 included) or an OP deposit receipt, which adds the deposit nonce and, from Canyon,
//! the receipt version.

use crate::PhalaTxType;
use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom, TxReceipt, TxType};
use alloy_eips::{
    Typed2718,
    eip2718::{Decodable2718, Eip2718Result, Encodable2718},
};
use alloy_primitives::{Bloom, Log};
use alloy_rlp::{BufMut, Decodable, Encodable};
use op_alloy_consensus::OpDepositReceipt;

/// The receipt of a transaction in a phala-node block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhalaReceiptEnvelope {
    /// The receipt of an Ethereum transaction, with its type.
    Ethereum(ReceiptEnvelope),
    /// The receipt of an OP deposit (type `0x7E`).
    Deposit(ReceiptWithBloom<OpDepositReceipt>),
}

impl PhalaReceiptEnvelope {
    /// The type of the transaction it belongs to.
    pub const fn tx_type(&self) -> PhalaTxType {
        match self {
            Self::Ethereum(receipt) => match receipt.tx_type() {
                TxType::Legacy => PhalaTxType::Legacy,
                TxType::Eip2930 => PhalaTxType::Eip2930,
                TxType::Eip1559 => PhalaTxType::Eip1559,
                TxType::Eip4844 => PhalaTxType::Eip4844,
                TxType::Eip7702 => PhalaTxType::Eip7702,
            },
            Self::Deposit(_) => PhalaTxType::Deposit,
        }
    }

    /// Status, gas and logs, whatever the type.
    pub fn as_receipt(&self) -> &Receipt<Log> {
        match self {
            Self::Ethereum(receipt) => receipt.as_receipt().expect("every Ethereum type has one"),
            Self::Deposit(receipt) => &receipt.receipt.inner,
        }
    }

    /// The deposit fields (nonce, receipt version), for a deposit's receipt.
    pub const fn as_deposit(&self) -> Option<&OpDepositReceipt> {
        match self {
            Self::Deposit(receipt) => Some(&receipt.receipt),
            Self::Ethereum(_) => None,
        }
    }

    /// Whether the transaction succeeded (a pre-Byzantium receipt's state root counts as such).
    pub fn status(&self) -> bool {
        self.as_receipt().status.coerce_status()
    }

    /// Gas used by the block up to and including this transaction.
    pub fn cumulative_gas_used(&self) -> u64 {
        self.as_receipt().cumulative_gas_used
    }

    /// The logs.
    pub fn logs(&self) -> &[Log] {
        &self.as_receipt().logs
    }

    /// The logs bloom.
    pub const fn logs_bloom(&self) -> &Bloom {
        match self {
            Self::Ethereum(receipt) => receipt.logs_bloom(),
            Self::Deposit(receipt) => &receipt.logs_bloom,
        }
    }
}

impl From<ReceiptEnvelope> for PhalaReceiptEnvelope {
    fn from(receipt: ReceiptEnvelope) -> Self {
        Self::Ethereum(receipt)
    }
}

impl TxReceipt for PhalaReceiptEnvelope {
    type Log = Log;

    fn status_or_post_state(&self) -> Eip658Value {
        self.as_receipt().status
    }

    fn status(&self) -> bool {
        Self::status(self)
    }

    fn bloom(&self) -> Bloom {
        *self.logs_bloom()
    }

    fn bloom_cheap(&self) -> Option<Bloom> {
        Some(self.bloom())
    }

    fn cumulative_gas_used(&self) -> u64 {
        Self::cumulative_gas_used(self)
    }

    fn logs(&self) -> &[Log] {
        Self::logs(self)
    }
}

impl Typed2718 for PhalaReceiptEnvelope {
    fn ty(&self) -> u8 {
        self.tx_type() as u8
    }
}

impl Encodable2718 for PhalaReceiptEnvelope {
    fn encode_2718_len(&self) -> usize {
        match self {
            Self::Ethereum(receipt) => receipt.encode_2718_len(),
            Self::Deposit(receipt) => 1 + receipt.length(),
        }
    }

    fn encode_2718(&self, out: &mut dyn BufMut) {
        match self {
            Self::Ethereum(receipt) => receipt.encode_2718(out),
            Self::Deposit(receipt) => {
                out.put_u8(PhalaTxType::Deposit as u8);
                receipt.encode(out);
            }
        }
    }
}

impl Decodable2718 for PhalaReceiptEnvelope {
    fn typed_decode(ty: u8, buf: &mut &[u8]) -> Eip2718Result<Self> {
        if ty == PhalaTxType::Deposit as u8 {
            return Ok(Self::Deposit(Decodable::decode(buf)?));
        }
        ReceiptEnvelope::typed_decode(ty, buf).map(Self::Ethereum)
    }

    fn fallback_decode(buf: &mut &[u8]) -> Eip2718Result<Self> {
        ReceiptEnvelope::fallback_decode(buf).map(Self::Ethereum)
    }
}

/// The network form, as in a list of receipts: a typed receipt is an RLP string holding its
/// EIP-2718 bytes, a legacy one is its RLP list.
impl Encodable for PhalaReceiptEnvelope {
    fn encode(&self, out: &mut dyn BufMut) {
        self.network_encode(out)
    }

    fn length(&self) -> usize {
        self.network_len()
    }
}

impl Decodable for PhalaReceiptEnvelope {
    fn decode(buf: &mut &[u8]) -> alloy_rlp::Result<Self> {
        Self::network_decode(buf).map_err(|_| alloy_rlp::Error::Custom("invalid receipt"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::proofs::ordered_trie_root_with_encoder;
    use alloy_primitives::{Address, B256, Bytes, LogData};

    fn receipt(gas: u64) -> Receipt<Log> {
        Receipt {
            status: Eip658Value::Eip658(true),
            cumulative_gas_used: gas,
            logs: vec![Log {
                address: Address::repeat_byte(1),
                data: LogData::new_unchecked(vec![B256::repeat_byte(2)], Bytes::from_static(b"x")),
            }],
        }
    }

    fn receipts() -> Vec<PhalaReceiptEnvelope> {
        let deposit = |version| {
            PhalaReceiptEnvelope::Deposit(
                OpDepositReceipt {
                    inner: receipt(50_000),
                    deposit_nonce: Some(7),
                    deposit_receipt_version: version,
                }
                .with_bloom(),
            )
        };
        vec![
            deposit(Some(1)),
            deposit(None),
            ReceiptEnvelope::Legacy(receipt(71_000).with_bloom()).into(),
            ReceiptEnvelope::Eip1559(receipt(92_000).with_bloom()).into(),
            ReceiptEnvelope::Eip4844(receipt(113_000).with_bloom()).into(),
        ]
    }

    #[test]
    fn receipts_round_trip_in_both_forms() {
        let list = receipts();
        let mut rlp = Vec::new();
        list.encode(&mut rlp);
        assert_eq!(rlp.len(), list.length());
        assert_eq!(Vec::<PhalaReceiptEnvelope>::decode(&mut rlp.as_slice()).unwrap(), list);
        for receipt in &list {
            let bytes = receipt.encoded_2718();
            assert_eq!(bytes.len(), receipt.encode_2718_len());
            assert_eq!(PhalaReceiptEnvelope::decode_2718(&mut bytes.as_slice()).unwrap(), *receipt);
        }
        assert_eq!(list[0].tx_type(), PhalaTxType::Deposit);
        assert_eq!(list[0].as_deposit().unwrap().deposit_nonce, Some(7));
        assert_eq!(list[4].tx_type(), PhalaTxType::Eip4844);
    }

    #[test]
    fn ethereum_and_deposit_receipts_encode_as_op_geth_does() {
        // An Ethereum receipt keeps alloy's encoding; a deposit receipt op-alloy's.
        let ethereum = ReceiptEnvelope::Eip1559(receipt(92_000).with_bloom());
        assert_eq!(
            PhalaReceiptEnvelope::from(ethereum.clone()).encoded_2718(),
            ethereum.encoded_2718()
        );
        let deposit = OpDepositReceipt {
            inner: receipt(1),
            deposit_nonce: Some(3),
            deposit_receipt_version: Some(1),
        };
        let op = op_alloy_consensus::OpReceiptEnvelope::Deposit(deposit.clone().with_bloom());
        let ours = PhalaReceiptEnvelope::Deposit(deposit.with_bloom());
        assert_eq!(ours.encoded_2718(), op.encoded_2718());
        let root = |list: &[PhalaReceiptEnvelope]| {
            ordered_trie_root_with_encoder(list, |receipt, out| receipt.encode_2718(out))
        };
        assert_ne!(root(&receipts()), root(&receipts()[1..]));
    }

    #[test]
    fn a_receipt_of_an_unknown_type_is_an_error() {
        assert!(PhalaReceiptEnvelope::decode_2718(&mut [0x05, 0xc0].as_slice()).is_err());
        assert!(PhalaReceiptEnvelope::decode_2718(&mut [0x7e, 0xc1].as_slice()).is_err());
    }
}
