//! The span batch (`delta/span-batches.md`): consecutive L2 blocks in one batch, their
//! transactions stored column by column.
//!
//! ```text
//! prefix  = rel_timestamp (uvarint) ‖ l1_origin_num (uvarint) ‖ parent_check (20) ‖
//!           l1_origin_check (20)
//! payload = block_count (uvarint) ‖ origin_bits ‖ block_tx_counts (uvarints) ‖ txs
//! txs     = contract_creation_bits ‖ y_parity_bits ‖ tx_sigs (r ‖ s) ‖ tx_tos ‖ tx_datas ‖
//!           tx_nonces (uvarints) ‖ tx_gases (uvarints) ‖ protected_bits (legacy only)
//! ```

use super::{
    BatchError,
    bits::{Reader, put_bits, put_uvarint},
};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEip7702, TxEnvelope, TxLegacy};
use alloy_eips::{eip2930::AccessList, eip7702::SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};

/// The most blocks or transactions a span batch may hold (op-node's
/// `MaxSpanBatchElementCount`).
pub const MAX_SPAN_BATCH_ELEMENT_COUNT: u64 = 10_000_000;

/// A span of consecutive L2 blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanBatch {
    /// The first block's timestamp minus the L2 genesis time.
    pub rel_timestamp: u64,
    /// The last block's L1 origin number.
    pub l1_origin_num: u64,
    /// The first 20 bytes of the first block's parent hash.
    pub parent_check: [u8; 20],
    /// The first 20 bytes of the last block's L1 origin hash.
    pub l1_origin_check: [u8; 20],
    /// Per block: whether its L1 origin differs from the previous block's.
    pub origin_bits: Vec<bool>,
    /// Per block: how many transactions it has.
    pub block_tx_counts: Vec<u64>,
    /// All the blocks' transactions.
    pub txs: SpanBatchTransactions,
}

/// The transactions of a span batch, by column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpanBatchTransactions {
    /// Per transaction: whether it creates a contract (has no `to`).
    pub contract_creation_bits: Vec<bool>,
    /// Per transaction: the signature's y parity.
    pub y_parity_bits: Vec<bool>,
    /// Per transaction: the signature's `r` and `s`.
    pub signatures: Vec<(U256, U256)>,
    /// The recipients of the transactions that are not creations, in order.
    pub tos: Vec<Address>,
    /// Per transaction: its type and the fields not stored in other columns.
    pub payloads: Vec<SpanTxPayload>,
    /// Per transaction: its nonce.
    pub nonces: Vec<u64>,
    /// Per transaction: its gas limit.
    pub gases: Vec<u64>,
    /// Per legacy transaction: whether it is EIP-155 protected (carries the chain id).
    pub protected_bits: Vec<bool>,
}

/// A span batch transaction's type-specific fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanTxPayload {
    /// A legacy transaction: `rlp([value, gas_price, data])`.
    Legacy(LegacyFields),
    /// EIP-2930: `0x01 ‖ rlp([value, gas_price, data, access_list])`.
    Eip2930(Eip2930Fields),
    /// EIP-1559: `0x02 ‖ rlp([value, max_priority_fee_per_gas, max_fee_per_gas, data,
    /// access_list])`.
    Eip1559(Eip1559Fields),
    /// EIP-7702 (Isthmus): the EIP-1559 fields and the authorization list, after `0x04`.
    Eip7702(Eip7702Fields),
}

/// See [`SpanTxPayload::Legacy`].
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
#[allow(missing_docs)]
pub struct LegacyFields {
    pub value: U256,
    pub gas_price: u128,
    pub data: Bytes,
}

/// See [`SpanTxPayload::Eip2930`].
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
#[allow(missing_docs)]
pub struct Eip2930Fields {
    pub value: U256,
    pub gas_price: u128,
    pub data: Bytes,
    pub access_list: AccessList,
}

/// See [`SpanTxPayload::Eip1559`].
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
#[allow(missing_docs)]
pub struct Eip1559Fields {
    pub value: U256,
    pub max_priority_fee_per_gas: u128,
    pub max_fee_per_gas: u128,
    pub data: Bytes,
    pub access_list: AccessList,
}

/// See [`SpanTxPayload::Eip7702`].
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
#[allow(missing_docs)]
pub struct Eip7702Fields {
    pub value: U256,
    pub max_priority_fee_per_gas: u128,
    pub max_fee_per_gas: u128,
    pub data: Bytes,
    pub access_list: AccessList,
    pub authorization_list: Vec<SignedAuthorization>,
}

impl SpanTxPayload {
    /// The EIP-2718 type.
    pub const fn tx_type(&self) -> u8 {
        match self {
            Self::Legacy(_) => 0,
            Self::Eip2930(_) => 1,
            Self::Eip1559(_) => 2,
            Self::Eip7702(_) => 4,
        }
    }

    fn decode(reader: &mut Reader<'_>, index: usize) -> Result<Self, BatchError> {
        let rlp_error = |error| BatchError::SpanTxRlp { index, error };
        let first = *reader.remaining().first().ok_or(BatchError::SpanTruncated("tx_datas"))?;
        let tx_type = if first >= 0xc0 { 0 } else { first };
        if tx_type != 0 {
            reader.advance(1);
        }
        let mut input = reader.remaining();
        let before = input.len();
        let payload = match tx_type {
            0 => LegacyFields::decode(&mut input).map(Self::Legacy),
            1 => Eip2930Fields::decode(&mut input).map(Self::Eip2930),
            2 => Eip1559Fields::decode(&mut input).map(Self::Eip1559),
            4 => Eip7702Fields::decode(&mut input).map(Self::Eip7702),
            other => return Err(BatchError::UnsupportedTxType(other)),
        }
        .map_err(rlp_error)?;
        reader.advance(before - input.len());
        Ok(payload)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        if self.tx_type() != 0 {
            out.push(self.tx_type());
        }
        match self {
            Self::Legacy(fields) => fields.encode(out),
            Self::Eip2930(fields) => fields.encode(out),
            Self::Eip1559(fields) => fields.encode(out),
            Self::Eip7702(fields) => fields.encode(out),
        }
    }
}

fn count(value: u64, field: &'static str) -> Result<usize, BatchError> {
    if value > MAX_SPAN_BATCH_ELEMENT_COUNT {
        return Err(BatchError::TooManyElements {
            field,
            count: value,
            max: MAX_SPAN_BATCH_ELEMENT_COUNT,
        });
    }
    Ok(value as usize)
}

impl SpanBatch {
    /// Decodes the batch data (after the type byte); all of it must be used.
    pub fn decode(data: &[u8]) -> Result<Self, BatchError> {
        let mut reader = Reader::new(data);
        let rel_timestamp = reader.uvarint("rel_timestamp")?;
        let l1_origin_num = reader.uvarint("l1_origin_num")?;
        let parent_check = reader.array("parent_check")?;
        let l1_origin_check = reader.array("l1_origin_check")?;
        let block_count = count(reader.uvarint("block_count")?, "block")?;
        if block_count == 0 {
            return Err(BatchError::NoBlocks);
        }
        let origin_bits = reader.bits(block_count, "origin_bits")?;
        let mut block_tx_counts = Vec::with_capacity(block_count);
        let mut total = 0u64;
        for _ in 0..block_count {
            let txs = reader.uvarint("block_tx_counts")?;
            count(txs, "block transaction")?;
            total = total.saturating_add(txs);
            block_tx_counts.push(txs);
        }
        let total = count(total, "transaction")?;
        let txs = SpanBatchTransactions::decode(&mut reader, total)?;
        let trailing = reader.remaining().len();
        if trailing != 0 {
            return Err(BatchError::SpanTrailingBytes(trailing));
        }
        Ok(Self {
            rel_timestamp,
            l1_origin_num,
            parent_check,
            l1_origin_check,
            origin_bits,
            block_tx_counts,
            txs,
        })
    }

    /// Appends the batch data (after the type byte) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_uvarint(out, self.rel_timestamp);
        put_uvarint(out, self.l1_origin_num);
        out.extend_from_slice(&self.parent_check);
        out.extend_from_slice(&self.l1_origin_check);
        put_uvarint(out, self.block_tx_counts.len() as u64);
        put_bits(out, &self.origin_bits);
        for count in &self.block_tx_counts {
            put_uvarint(out, *count);
        }
        self.txs.encode(out);
    }

    /// How many blocks the span holds.
    pub fn block_count(&self) -> usize {
        self.block_tx_counts.len()
    }

    /// Each block's transactions, signed with `chain_id` (EIP-155 protected legacy ones, and
    /// every typed one).
    pub fn block_transactions(&self, chain_id: u64) -> Result<Vec<Vec<TxEnvelope>>, BatchError> {
        let mut all = self.txs.transactions(chain_id)?.into_iter();
        Ok(self
            .block_tx_counts
            .iter()
            .map(|count| all.by_ref().take(*count as usize).collect())
            .collect())
    }
}

/// One L2 block to put in a span batch.
#[derive(Debug, Clone, Copy)]
pub struct SpanBlock<'a> {
    /// The block's timestamp.
    pub timestamp: u64,
    /// Its L1 origin's number.
    pub epoch_num: u64,
    /// Its L1 origin's hash.
    pub epoch_hash: B256,
    /// Its parent's hash.
    pub parent_hash: B256,
    /// Its non-deposit transactions.
    pub transactions: &'a [TxEnvelope],
}

impl SpanBatch {
    /// The span batch of consecutive `blocks` (at least one) of a chain whose genesis is at
    /// `genesis_time`; `parent_epoch_num` is the L1 origin of the first block's parent, which
    /// decides the first origin bit.
    pub fn from_blocks(
        blocks: &[SpanBlock<'_>],
        genesis_time: u64,
        parent_epoch_num: u64,
    ) -> Result<Self, BatchError> {
        let (first, last) = match blocks {
            [] => return Err(BatchError::NoBlocks),
            [first, .., last] => (first, last),
            [only] => (only, only),
        };
        let mut origin_bits = Vec::with_capacity(blocks.len());
        let mut previous = parent_epoch_num;
        let mut txs = SpanBatchTransactions::default();
        let mut block_tx_counts = Vec::with_capacity(blocks.len());
        for block in blocks {
            origin_bits.push(block.epoch_num != previous);
            previous = block.epoch_num;
            block_tx_counts.push(block.transactions.len() as u64);
            for tx in block.transactions {
                txs.push(tx)?;
            }
        }
        let mut parent_check = [0; 20];
        parent_check.copy_from_slice(&first.parent_hash[..20]);
        let mut l1_origin_check = [0; 20];
        l1_origin_check.copy_from_slice(&last.epoch_hash[..20]);
        Ok(Self {
            rel_timestamp: first.timestamp.saturating_sub(genesis_time),
            l1_origin_num: last.epoch_num,
            parent_check,
            l1_origin_check,
            origin_bits,
            block_tx_counts,
            txs,
        })
    }
}

impl SpanBatchTransactions {
    /// Adds a transaction to the columns (a blob transaction cannot be in a span batch).
    pub fn push(&mut self, tx: &TxEnvelope) -> Result<(), BatchError> {
        let (signature, payload, legacy_chain_id) = match tx {
            TxEnvelope::Legacy(signed) => {
                let tx = signed.tx();
                let fields = LegacyFields {
                    value: tx.value,
                    gas_price: tx.gas_price,
                    data: tx.input.clone(),
                };
                (signed.signature(), SpanTxPayload::Legacy(fields), Some(tx.chain_id))
            }
            TxEnvelope::Eip2930(signed) => {
                let tx = signed.tx();
                let fields = Eip2930Fields {
                    value: tx.value,
                    gas_price: tx.gas_price,
                    data: tx.input.clone(),
                    access_list: tx.access_list.clone(),
                };
                (signed.signature(), SpanTxPayload::Eip2930(fields), None)
            }
            TxEnvelope::Eip1559(signed) => {
                let tx = signed.tx();
                let fields = Eip1559Fields {
                    value: tx.value,
                    max_priority_fee_per_gas: tx.max_priority_fee_per_gas,
                    max_fee_per_gas: tx.max_fee_per_gas,
                    data: tx.input.clone(),
                    access_list: tx.access_list.clone(),
                };
                (signed.signature(), SpanTxPayload::Eip1559(fields), None)
            }
            TxEnvelope::Eip7702(signed) => {
                let tx = signed.tx();
                let fields = Eip7702Fields {
                    value: tx.value,
                    max_priority_fee_per_gas: tx.max_priority_fee_per_gas,
                    max_fee_per_gas: tx.max_fee_per_gas,
                    data: tx.input.clone(),
                    access_list: tx.access_list.clone(),
                    authorization_list: tx.authorization_list.clone(),
                };
                (signed.signature(), SpanTxPayload::Eip7702(fields), None)
            }
            TxEnvelope::Eip4844(_) => return Err(BatchError::UnsupportedTxType(3)),
        };
        let to = alloy_consensus::Transaction::kind(tx);
        self.contract_creation_bits.push(to.is_create());
        if let TxKind::Call(to) = to {
            self.tos.push(to);
        }
        self.y_parity_bits.push(signature.v());
        self.signatures.push((signature.r(), signature.s()));
        self.nonces.push(alloy_consensus::Transaction::nonce(tx));
        self.gases.push(alloy_consensus::Transaction::gas_limit(tx));
        if let Some(chain_id) = legacy_chain_id {
            self.protected_bits.push(chain_id.is_some());
        }
        self.payloads.push(payload);
        Ok(())
    }

    fn decode(reader: &mut Reader<'_>, total: usize) -> Result<Self, BatchError> {
        let contract_creation_bits = reader.bits(total, "contract_creation_bits")?;
        let y_parity_bits = reader.bits(total, "y_parity_bits")?;
        let mut signatures = Vec::with_capacity(total);
        for _ in 0..total {
            let r = U256::from_be_bytes(reader.array::<32>("tx_sigs")?);
            let s = U256::from_be_bytes(reader.array::<32>("tx_sigs")?);
            signatures.push((r, s));
        }
        let creations = contract_creation_bits.iter().filter(|bit| **bit).count();
        let tos = (0..total - creations)
            .map(|_| reader.array::<20>("tx_tos").map(Address::from))
            .collect::<Result<Vec<_>, _>>()?;
        let payloads = (0..total)
            .map(|index| SpanTxPayload::decode(reader, index))
            .collect::<Result<Vec<_>, _>>()?;
        let nonces = (0..total).map(|_| reader.uvarint("tx_nonces")).collect::<Result<_, _>>()?;
        let gases = (0..total).map(|_| reader.uvarint("tx_gases")).collect::<Result<_, _>>()?;
        let legacy = payloads.iter().filter(|p| matches!(p, SpanTxPayload::Legacy(_))).count();
        let protected_bits = reader.bits(legacy, "protected_bits")?;
        Ok(Self {
            contract_creation_bits,
            y_parity_bits,
            signatures,
            tos,
            payloads,
            nonces,
            gases,
            protected_bits,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        put_bits(out, &self.contract_creation_bits);
        put_bits(out, &self.y_parity_bits);
        for (r, s) in &self.signatures {
            out.extend_from_slice(&r.to_be_bytes::<32>());
            out.extend_from_slice(&s.to_be_bytes::<32>());
        }
        for to in &self.tos {
            out.extend_from_slice(to.as_slice());
        }
        for payload in &self.payloads {
            payload.encode(out);
        }
        for nonce in &self.nonces {
            put_uvarint(out, *nonce);
        }
        for gas in &self.gases {
            put_uvarint(out, *gas);
        }
        put_bits(out, &self.protected_bits);
    }

    /// The signed transactions, in order.
    pub fn transactions(&self, chain_id: u64) -> Result<Vec<TxEnvelope>, BatchError> {
        let mut tos = self.tos.iter();
        let mut protected = self.protected_bits.iter();
        let mut out = Vec::with_capacity(self.payloads.len());
        for (index, payload) in self.payloads.iter().enumerate() {
            let to = if self.contract_creation_bits[index] {
                TxKind::Create
            } else {
                TxKind::Call(*tos.next().ok_or(BatchError::SpanTruncated("tx_tos"))?)
            };
            let (r, s) = self.signatures[index];
            let signature = Signature::new(r, s, self.y_parity_bits[index]);
            let nonce = self.nonces[index];
            let gas_limit = self.gases[index];
            let call_to = |what| to.to().copied().ok_or(BatchError::UnsupportedTxType(what));
            let tx = match payload.clone() {
                SpanTxPayload::Legacy(fields) => {
                    let protected =
                        *protected.next().ok_or(BatchError::SpanTruncated("protected_bits"))?;
                    let tx = TxLegacy {
                        chain_id: protected.then_some(chain_id),
                        nonce,
                        gas_price: fields.gas_price,
                        gas_limit,
                        to,
                        value: fields.value,
                        input: fields.data,
                    };
                    TxEnvelope::Legacy(tx.into_signed(signature))
                }
                SpanTxPayload::Eip2930(fields) => TxEnvelope::Eip2930(
                    TxEip2930 {
                        chain_id,
                        nonce,
                        gas_price: fields.gas_price,
                        gas_limit,
                        to,
                        value: fields.value,
                        access_list: fields.access_list,
                        input: fields.data,
                    }
                    .into_signed(signature),
                ),
                SpanTxPayload::Eip1559(fields) => TxEnvelope::Eip1559(
                    TxEip1559 {
                        chain_id,
                        nonce,
                        gas_limit,
                        max_fee_per_gas: fields.max_fee_per_gas,
                        max_priority_fee_per_gas: fields.max_priority_fee_per_gas,
                        to,
                        value: fields.value,
                        access_list: fields.access_list,
                        input: fields.data,
                    }
                    .into_signed(signature),
                ),
                SpanTxPayload::Eip7702(fields) => TxEnvelope::Eip7702(
                    TxEip7702 {
                        chain_id,
                        nonce,
                        gas_limit,
                        max_fee_per_gas: fields.max_fee_per_gas,
                        max_priority_fee_per_gas: fields.max_priority_fee_per_gas,
                        to: call_to(4)?,
                        value: fields.value,
                        access_list: fields.access_list,
                        authorization_list: fields.authorization_list,
                        input: fields.data,
                    }
                    .into_signed(signature),
                ),
            };
            out.push(tx);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Signed, crypto::secp256k1};
    use alloy_eips::eip2930::AccessListItem;

    const CHAIN_ID: u64 = 10;

    fn sign<T: SignableTransaction<Signature>>(tx: T, key: u8) -> Signed<T> {
        let signature =
            secp256k1::sign_message(B256::repeat_byte(key), tx.signature_hash()).unwrap();
        tx.into_signed(signature)
    }

    fn transactions() -> Vec<TxEnvelope> {
        let to = TxKind::Call(Address::repeat_byte(0x33));
        let access_list = AccessList(vec![AccessListItem {
            address: Address::repeat_byte(4),
            storage_keys: vec![B256::repeat_byte(5)],
        }]);
        vec![
            TxEnvelope::Legacy(sign(
                TxLegacy {
                    chain_id: Some(CHAIN_ID),
                    nonce: 0,
                    gas_price: 7,
                    gas_limit: 21_000,
                    to,
                    value: U256::from(1),
                    input: Bytes::new(),
                },
                1,
            )),
            TxEnvelope::Legacy(sign(
                TxLegacy {
                    chain_id: None,
                    nonce: 1,
                    gas_price: 7,
                    gas_limit: 90_000,
                    to: TxKind::Create,
                    value: U256::ZERO,
                    input: Bytes::from_static(b"\x60\x00"),
                },
                1,
            )),
            TxEnvelope::Eip2930(sign(
                TxEip2930 {
                    chain_id: CHAIN_ID,
                    nonce: 0,
                    gas_price: 8,
                    gas_limit: 30_000,
                    to,
                    value: U256::from(2),
                    access_list: access_list.clone(),
                    input: Bytes::from_static(b"ab"),
                },
                2,
            )),
            TxEnvelope::Eip1559(sign(
                TxEip1559 {
                    chain_id: CHAIN_ID,
                    nonce: 2,
                    gas_limit: 50_000,
                    max_fee_per_gas: 10,
                    max_priority_fee_per_gas: 1,
                    to,
                    value: U256::from(3),
                    access_list,
                    input: Bytes::new(),
                },
                1,
            )),
            TxEnvelope::Eip1559(sign(
                TxEip1559 {
                    chain_id: CHAIN_ID,
                    nonce: 1,
                    gas_limit: 60_000,
                    max_fee_per_gas: 10,
                    max_priority_fee_per_gas: 2,
                    to: TxKind::Create,
                    value: U256::ZERO,
                    access_list: AccessList::default(),
                    input: Bytes::from_static(b"\x00"),
                },
                2,
            )),
        ]
    }

    #[test]
    fn a_span_batch_of_blocks_round_trips_to_the_same_transactions() {
        let txs = transactions();
        let blocks = [
            SpanBlock {
                timestamp: 1_002,
                epoch_num: 5,
                epoch_hash: B256::repeat_byte(0xe5),
                parent_hash: B256::repeat_byte(0xaa),
                transactions: &txs[..2],
            },
            SpanBlock {
                timestamp: 1_004,
                epoch_num: 5,
                epoch_hash: B256::repeat_byte(0xe5),
                parent_hash: B256::ZERO,
                transactions: &[],
            },
            SpanBlock {
                timestamp: 1_006,
                epoch_num: 6,
                epoch_hash: B256::repeat_byte(0xe6),
                parent_hash: B256::ZERO,
                transactions: &txs[2..],
            },
        ];
        let span = SpanBatch::from_blocks(&blocks, 1_000, 4).unwrap();
        assert_eq!(span.origin_bits, [true, false, true]);
        assert_eq!(span.rel_timestamp, 2);
        assert_eq!(span.l1_origin_num, 6);
        assert_eq!(span.parent_check, [0xaa; 20]);
        assert_eq!(span.l1_origin_check, [0xe6; 20]);
        let mut bytes = Vec::new();
        span.encode(&mut bytes);
        let decoded = SpanBatch::decode(&bytes).unwrap();
        assert_eq!(decoded, span);
        let rebuilt = decoded.block_transactions(CHAIN_ID).unwrap();
        let hashes = |txs: &[TxEnvelope]| txs.iter().map(|tx| *tx.tx_hash()).collect::<Vec<_>>();
        assert_eq!(hashes(&rebuilt[0]), hashes(&txs[..2]));
        assert!(rebuilt[1].is_empty());
        assert_eq!(hashes(&rebuilt[2]), hashes(&txs[2..]));
        // Any change of a byte is caught or changes what comes out.
        for cut in [1, 10, bytes.len() / 2] {
            assert!(SpanBatch::decode(&bytes[..bytes.len() - cut]).is_err());
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(SpanBatch::decode(&trailing), Err(BatchError::SpanTrailingBytes(1)));
    }

    #[test]
    fn span_limits_are_enforced() {
        let mut bytes = Vec::new();
        put_uvarint(&mut bytes, 0);
        put_uvarint(&mut bytes, 0);
        bytes.extend_from_slice(&[0; 40]);
        let mut zero_blocks = bytes.clone();
        put_uvarint(&mut zero_blocks, 0);
        assert_eq!(SpanBatch::decode(&zero_blocks), Err(BatchError::NoBlocks));
        let mut too_many = bytes;
        put_uvarint(&mut too_many, MAX_SPAN_BATCH_ELEMENT_COUNT + 1);
        assert!(matches!(SpanBatch::decode(&too_many), Err(BatchError::TooManyElements { .. })));
        let blob = TxEnvelope::Eip4844(sign(
            alloy_consensus::TxEip4844Variant::TxEip4844(Default::default()),
            1,
        ));
        assert_eq!(
            SpanBatchTransactions::default().push(&blob),
            Err(BatchError::UnsupportedTxType(3))
        );
    }
}
