//! A transaction as the pool holds it: the signed envelope, its recovered sender and the fee and
//! cost fields the pool consults on every ordering decision.

use alloy_consensus::Transaction;
use alloy_eips::eip4844::DATA_GAS_PER_BLOB;
use alloy_primitives::{Address, B256, U256};
use phala_primitives::TxEnvelope;

/// A validated transaction with its sender and cached fee fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTransaction {
    /// Transaction hash.
    pub hash: B256,
    /// Recovered sender.
    pub sender: Address,
    /// The signed transaction.
    pub tx: TxEnvelope,
    /// Length of the EIP-2718 encoding (including a blob sidecar, if the envelope carries one).
    pub encoded_len: usize,
    nonce: u64,
    gas_limit: u64,
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
    max_fee_per_blob_gas: Option<u128>,
    blob_gas: u64,
    cost: U256,
}

impl PooledTransaction {
    /// Wraps a signed transaction whose signature the caller has already recovered to `sender`.
    pub fn new(tx: TxEnvelope, sender: Address) -> Self {
        let max_fee_per_gas = tx.max_fee_per_gas();
        // Legacy and EIP-2930 transactions pay their gas price as the tip.
        let max_priority_fee_per_gas = tx.max_priority_fee_per_gas().unwrap_or(max_fee_per_gas);
        let max_fee_per_blob_gas = tx.max_fee_per_blob_gas();
        let blob_gas = tx.blob_count().unwrap_or_default().saturating_mul(DATA_GAS_PER_BLOB);
        let cost = U256::from(tx.gas_limit())
            .saturating_mul(U256::from(max_fee_per_gas))
            .saturating_add(tx.value())
            .saturating_add(
                U256::from(blob_gas)
                    .saturating_mul(U256::from(max_fee_per_blob_gas.unwrap_or_default())),
            );
        Self {
            hash: *tx.tx_hash(),
            sender,
            encoded_len: tx.eip2718_encoded_length(),
            nonce: tx.nonce(),
            gas_limit: tx.gas_limit(),
            max_fee_per_gas,
            max_priority_fee_per_gas,
            max_fee_per_blob_gas,
            blob_gas,
            cost,
            tx,
        }
    }

    /// The sender's nonce this transaction uses.
    pub const fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The gas limit.
    pub const fn gas_limit(&self) -> u64 {
        self.gas_limit
    }

    /// The fee cap per gas (the gas price of legacy and EIP-2930 transactions).
    pub const fn max_fee_per_gas(&self) -> u128 {
        self.max_fee_per_gas
    }

    /// The tip cap per gas (the gas price of legacy and EIP-2930 transactions).
    pub const fn max_priority_fee_per_gas(&self) -> u128 {
        self.max_priority_fee_per_gas
    }

    /// The blob fee cap per blob gas; `None` unless this is a blob transaction.
    pub const fn max_fee_per_blob_gas(&self) -> Option<u128> {
        self.max_fee_per_blob_gas
    }

    /// Blob gas used by the blobs of this transaction (0 for other types).
    pub const fn blob_gas(&self) -> u64 {
        self.blob_gas
    }

    /// The most this transaction can take from the sender's balance:
    /// `gas_limit * max_fee_per_gas + value + blob_gas * max_fee_per_blob_gas`.
    pub const fn cost(&self) -> U256 {
        self.cost
    }

    /// The tip per gas the block producer receives at `base_fee`, or `None` if the fee cap is
    /// below `base_fee` (the transaction cannot be included at that base fee).
    pub fn effective_tip(&self, base_fee: u64) -> Option<u128> {
        let headroom = self.max_fee_per_gas.checked_sub(u128::from(base_fee))?;
        Some(headroom.min(self.max_priority_fee_per_gas))
    }

    /// Whether the blob fee cap covers `blob_base_fee` (always true for non-blob transactions
    /// and when no blob base fee is given).
    pub(crate) fn covers_blob_fee(&self, blob_base_fee: Option<u128>) -> bool {
        match (self.max_fee_per_blob_gas, blob_base_fee) {
            (Some(cap), Some(fee)) => cap >= fee,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::{Signer, blob_tx, eip1559, legacy};

    #[test]
    fn caches_fees_and_cost() {
        let signer = Signer::new(1);
        let tx = PooledTransaction::new(eip1559(&signer, 3, 100, 7, 21_000), signer.address);
        assert_eq!(tx.nonce(), 3);
        assert_eq!(tx.gas_limit(), 21_000);
        assert_eq!(tx.max_fee_per_gas(), 100);
        assert_eq!(tx.max_priority_fee_per_gas(), 7);
        assert_eq!(tx.max_fee_per_blob_gas(), None);
        // value is 1 wei in the helpers.
        assert_eq!(tx.cost(), U256::from(21_000u64 * 100 + 1));
        assert_eq!(tx.encoded_len, tx.tx.eip2718_encoded_length());
        assert_eq!(tx.hash, *tx.tx.tx_hash());

        let legacy = PooledTransaction::new(legacy(&signer, 0, 50, Some(1337)), signer.address);
        assert_eq!(legacy.max_priority_fee_per_gas(), 50);
        assert_eq!(legacy.max_fee_per_gas(), 50);
    }

    #[test]
    fn blob_gas_is_part_of_cost() {
        let signer = Signer::new(1);
        let tx = PooledTransaction::new(blob_tx(&signer, 0, 10, 1, 2, 3), signer.address);
        assert_eq!(tx.blob_gas(), 2 * DATA_GAS_PER_BLOB);
        assert_eq!(tx.max_fee_per_blob_gas(), Some(3));
        assert_eq!(tx.cost(), U256::from(21_000u64 * 10 + 1 + 2 * DATA_GAS_PER_BLOB * 3));
        assert!(tx.covers_blob_fee(Some(3)));
        assert!(!tx.covers_blob_fee(Some(4)));
        assert!(tx.covers_blob_fee(None));
    }

    #[test]
    fn effective_tip_is_capped_by_fee_headroom() {
        let signer = Signer::new(1);
        let tx = PooledTransaction::new(eip1559(&signer, 0, 100, 7, 21_000), signer.address);
        assert_eq!(tx.effective_tip(50), Some(7));
        assert_eq!(tx.effective_tip(95), Some(5));
        assert_eq!(tx.effective_tip(100), Some(0));
        assert_eq!(tx.effective_tip(101), None);
    }
}
