//! One transaction type for both rule sets: every Ethereum type (EIP-4844 included, which the
//! EF suites need) and the OP Stack deposit (`0x7E`), so that stored bodies, the pool and RPC
//! handle deposits without a second envelope.

use alloy_consensus::{
    Sealed, Signed, TransactionEnvelope, TxEip1559, TxEip2930, TxEip4844Variant, TxEip7702,
    TxEnvelope, TxLegacy,
    crypto::RecoveryError,
    transaction::{SignerRecoverable, TxHashRef},
};
use alloy_primitives::{Address, B256};
pub use op_alloy_consensus::TxDeposit;

/// A transaction of a phala-node block: an Ethereum transaction or an OP deposit.
#[derive(Debug, Clone, TransactionEnvelope)]
#[envelope(tx_type_name = PhalaTxType)]
pub enum PhalaTxEnvelope {
    /// A legacy transaction (untagged).
    #[envelope(ty = 0)]
    Legacy(Signed<TxLegacy>),
    /// An EIP-2930 transaction (type 1).
    #[envelope(ty = 1)]
    Eip2930(Signed<TxEip2930>),
    /// An EIP-1559 transaction (type 2).
    #[envelope(ty = 2)]
    Eip1559(Signed<TxEip1559>),
    /// An EIP-4844 blob transaction (type 3), with its sidecar while in the pool.
    #[envelope(ty = 3)]
    Eip4844(Signed<TxEip4844Variant>),
    /// An EIP-7702 transaction (type 4).
    #[envelope(ty = 4)]
    Eip7702(Signed<TxEip7702>),
    /// An OP Stack deposit (type `0x7E`): unsigned, its sender is in the transaction.
    #[envelope(ty = 126)]
    #[serde(serialize_with = "op_alloy_consensus::serde_deposit_tx_rpc")]
    Deposit(Sealed<TxDeposit>),
}

impl PhalaTxEnvelope {
    /// The deposit, if this is one.
    pub const fn as_deposit(&self) -> Option<&Sealed<TxDeposit>> {
        match self {
            Self::Deposit(deposit) => Some(deposit),
            _ => None,
        }
    }

    /// Whether this is an OP deposit.
    pub const fn is_deposit(&self) -> bool {
        matches!(self, Self::Deposit(_))
    }
}

impl SignerRecoverable for PhalaTxEnvelope {
    /// The signer, with EIP-2's low `s`; a deposit's sender is its `from` (checked on L1).
    fn recover_signer(&self) -> Result<Address, RecoveryError> {
        match self {
            Self::Legacy(tx) => SignerRecoverable::recover_signer(tx),
            Self::Eip2930(tx) => SignerRecoverable::recover_signer(tx),
            Self::Eip1559(tx) => SignerRecoverable::recover_signer(tx),
            Self::Eip4844(tx) => SignerRecoverable::recover_signer(tx),
            Self::Eip7702(tx) => SignerRecoverable::recover_signer(tx),
            Self::Deposit(tx) => Ok(tx.from),
        }
    }

    fn recover_signer_unchecked(&self) -> Result<Address, RecoveryError> {
        match self {
            Self::Legacy(tx) => SignerRecoverable::recover_signer_unchecked(tx),
            Self::Eip2930(tx) => SignerRecoverable::recover_signer_unchecked(tx),
            Self::Eip1559(tx) => SignerRecoverable::recover_signer_unchecked(tx),
            Self::Eip4844(tx) => SignerRecoverable::recover_signer_unchecked(tx),
            Self::Eip7702(tx) => SignerRecoverable::recover_signer_unchecked(tx),
            Self::Deposit(tx) => Ok(tx.from),
        }
    }
}

impl TxHashRef for PhalaTxEnvelope {
    fn tx_hash(&self) -> &B256 {
        match self {
            Self::Legacy(tx) => tx.hash(),
            Self::Eip2930(tx) => tx.hash(),
            Self::Eip1559(tx) => tx.hash(),
            Self::Eip4844(tx) => tx.hash(),
            Self::Eip7702(tx) => tx.hash(),
            Self::Deposit(tx) => tx.hash_ref(),
        }
    }
}

impl PhalaTxEnvelope {
    /// The transaction hash (EIP-2718 bytes' keccak).
    pub fn tx_hash(&self) -> &B256 {
        TxHashRef::tx_hash(self)
    }

    /// The EIP-2718 type.
    pub fn tx_type(&self) -> PhalaTxType {
        TransactionEnvelope::tx_type(self)
    }
}

macro_rules! from_signed {
    ($($variant:ident($tx:ty)),+ $(,)?) => {$(
        impl From<Signed<$tx>> for PhalaTxEnvelope {
            fn from(tx: Signed<$tx>) -> Self {
                Self::$variant(tx)
            }
        }
    )+};
}

from_signed!(
    Legacy(TxLegacy),
    Eip2930(TxEip2930),
    Eip1559(TxEip1559),
    Eip4844(TxEip4844Variant),
    Eip7702(TxEip7702),
);

impl From<TxEnvelope> for PhalaTxEnvelope {
    fn from(tx: TxEnvelope) -> Self {
        match tx {
            TxEnvelope::Legacy(tx) => Self::Legacy(tx),
            TxEnvelope::Eip2930(tx) => Self::Eip2930(tx),
            TxEnvelope::Eip1559(tx) => Self::Eip1559(tx),
            TxEnvelope::Eip4844(tx) => Self::Eip4844(tx),
            TxEnvelope::Eip7702(tx) => Self::Eip7702(tx),
        }
    }
}

impl From<TxDeposit> for PhalaTxEnvelope {
    fn from(deposit: TxDeposit) -> Self {
        Self::Deposit(alloy_consensus::Sealable::seal_slow(deposit))
    }
}

impl TryFrom<PhalaTxEnvelope> for TxEnvelope {
    type Error = PhalaTxEnvelope;

    /// The Ethereum transaction; a deposit is given back.
    fn try_from(tx: PhalaTxEnvelope) -> Result<Self, Self::Error> {
        Ok(match tx {
            PhalaTxEnvelope::Legacy(tx) => Self::Legacy(tx),
            PhalaTxEnvelope::Eip2930(tx) => Self::Eip2930(tx),
            PhalaTxEnvelope::Eip1559(tx) => Self::Eip1559(tx),
            PhalaTxEnvelope::Eip4844(tx) => Self::Eip4844(tx),
            PhalaTxEnvelope::Eip7702(tx) => Self::Eip7702(tx),
            deposit @ PhalaTxEnvelope::Deposit(_) => return Err(deposit),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, Transaction, crypto::secp256k1};
    use alloy_eips::{Decodable2718, Encodable2718};
    use alloy_primitives::{Bytes, TxKind, U256, hex};

    /// The L1-info deposit of OP Mainnet block 118024092 (shared/conformance/op/vectors).
    const L1_INFO_DEPOSIT: &str = "7ef8f8a0a539eb753df3b13b7e386e147d45822b67cb908c9ddc5618e3dbaa22ed00850b94deaddeaddeaddeaddeaddeaddeaddeaddead00019442000000000000000000000000000000000000158080830f424080b8a4440a5e2000000558000c5fc50000000000000000000000006605a89f00000000012a10d90000000000000000000000000000000000000000000000000000000af39ac3270000000000000000000000000000000000000000000000000000000d5ea528d24e582fa68786f080069bdbfe06a43f8e67bfd31b8e4d8a8837ba41da9a82a54a0000000000000000000000006887246668a3b87f54deb3b94ba47a6f63f32985";

    #[test]
    fn a_deposit_decodes_hashes_and_encodes_back_to_its_bytes() {
        let raw = hex::decode(L1_INFO_DEPOSIT).unwrap();
        let tx = PhalaTxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
        let deposit = tx.as_deposit().expect("a deposit");
        assert_eq!(
            deposit.from,
            "0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001".parse::<Address>().unwrap()
        );
        assert_eq!(tx.tx_type(), PhalaTxType::Deposit);
        assert_eq!(tx.gas_limit(), 1_000_000);
        // The hash the source cites for this transaction.
        assert_eq!(
            tx.trie_hash(),
            "0x88501da5d5ca990347c2193be90a07037af1e3820bb40774c8154871c7669150"
                .parse::<B256>()
                .unwrap()
        );
        assert_eq!(tx.encoded_2718(), raw);
        // op-alloy's own envelope reads the same bytes the same way.
        let op = op_alloy_consensus::OpTxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
        assert_eq!(op.trie_hash(), tx.trie_hash());
    }

    #[test]
    fn ethereum_transactions_keep_their_encoding_and_convert_both_ways() {
        let tx = TxEip1559 {
            chain_id: 1,
            nonce: 3,
            gas_limit: 21_000,
            max_fee_per_gas: 2,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::repeat_byte(7)),
            value: U256::from(5),
            input: Bytes::new(),
            access_list: Default::default(),
        };
        let signature =
            secp256k1::sign_message(B256::repeat_byte(0x42), tx.signature_hash()).unwrap();
        let ethereum: TxEnvelope = tx.into_signed(signature).into();
        let ours = PhalaTxEnvelope::from(ethereum.clone());
        assert_eq!(ours.encoded_2718(), ethereum.encoded_2718());
        assert_eq!(ours.trie_hash(), *ethereum.tx_hash());
        let decoded =
            PhalaTxEnvelope::decode_2718(&mut ethereum.encoded_2718().as_slice()).unwrap();
        assert_eq!(TxEnvelope::try_from(decoded).unwrap(), ethereum);
        let deposit = PhalaTxEnvelope::from(TxDeposit::default());
        assert!(TxEnvelope::try_from(deposit).unwrap_err().is_deposit());
    }

    #[test]
    fn a_truncated_deposit_is_an_error() {
        let raw = hex::decode(L1_INFO_DEPOSIT).unwrap();
        assert!(PhalaTxEnvelope::decode_2718(&mut &raw[..raw.len() - 1]).is_err());
    }
}
