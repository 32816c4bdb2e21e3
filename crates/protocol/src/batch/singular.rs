//! The singular batch: one L2 block (`derivation.md`, "Batch Format"):
//! `rlp([parent_hash, epoch_number, epoch_hash, timestamp, transaction_list])`.

use super::BatchError;
use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};

/// One L2 block's batch.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct SingularBatch {
    /// The L2 parent block's hash.
    pub parent_hash: B256,
    /// The L1 origin's number.
    pub epoch_num: u64,
    /// The L1 origin's hash.
    pub epoch_hash: B256,
    /// The L2 block's timestamp.
    pub timestamp: u64,
    /// The block's non-deposit transactions, EIP-2718 encoded.
    pub transactions: Vec<Bytes>,
}

impl SingularBatch {
    /// Decodes the batch data (after the type byte); all of it must be used.
    pub fn decode(mut data: &[u8]) -> Result<Self, BatchError> {
        let batch = <Self as Decodable>::decode(&mut data)?;
        if !data.is_empty() {
            return Err(BatchError::Rlp(alloy_rlp::Error::Custom(
                "trailing bytes after the batch",
            )));
        }
        Ok(batch)
    }

    /// Appends the batch data (after the type byte) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        Encodable::encode(self, out);
    }
}
