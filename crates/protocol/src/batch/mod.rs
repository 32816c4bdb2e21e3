//! The batch data of the OP Stack's derivation (`protocol/derivation.md`, `delta/span-batches.md`,
//! `fjord/derivation.md`): frames in batcher transactions, channels assembled from frames and
//! decompressed (zlib, or brotli from Fjord), and the batches a channel holds — singular
//! batches and span batches, with span batches expanded into their blocks' transactions.
//!
//! Key components: [`Frame`] (and [`frames_of_calldata`]; the batcher's [`frames_of_channel`],
//! [`channel_rlp`], [`compress_brotli`] and [`batcher_tx_data`]), [`encode_blob`] / [`decode_blob`]
//! (the Ecotone blob encoding of batcher data), [`Channel`], [`decompress`],
//! [`decode_batches`], [`Batch`], [`SingularBatch`], [`SpanBatch`], [`BatchError`].

mod bits;
mod blob;
mod channel;
mod channel_out;
mod error;
mod frame;
mod singular;
mod span;

pub use blob::{BLOB_ENCODING_VERSION_0, BLOB_SIZE, MAX_BLOB_DATA_SIZE, decode_blob, encode_blob};
pub use channel::{
    BROTLI_VERSION_BYTE, Channel, ChannelCompression, MAX_RLP_BYTES_PER_CHANNEL_BEDROCK,
    MAX_RLP_BYTES_PER_CHANNEL_FJORD, compression_of, decode_batches, decompress,
};
pub use channel_out::{batcher_tx_data, channel_rlp, compress_brotli, frames_of_channel};
pub use error::BatchError;
pub use frame::{
    ChannelId, DERIVATION_VERSION_0, FRAME_OVERHEAD, Frame, MAX_FRAME_LEN, frames_of_calldata,
};
pub use singular::SingularBatch;
pub use span::{
    Eip1559Fields, Eip2930Fields, Eip7702Fields, LegacyFields, MAX_SPAN_BATCH_ELEMENT_COUNT,
    SpanBatch, SpanBatchTransactions, SpanBlock, SpanTxPayload,
};

/// The type byte of a singular batch.
pub const SINGULAR_BATCH_TYPE: u8 = 0;
/// The type byte of a span batch (Delta).
pub const SPAN_BATCH_TYPE: u8 = 1;

/// One batch of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    /// One L2 block's batch.
    Singular(SingularBatch),
    /// A span of consecutive L2 blocks (Delta).
    Span(SpanBatch),
}

impl Batch {
    /// Decodes a batch from its typed bytes (type byte ‖ data): the content of one RLP string
    /// of a channel.
    pub fn decode(typed: &[u8]) -> Result<Self, BatchError> {
        let (&batch_type, data) = typed.split_first().ok_or(BatchError::EmptyBatch)?;
        match batch_type {
            SINGULAR_BATCH_TYPE => SingularBatch::decode(data).map(Self::Singular),
            SPAN_BATCH_TYPE => SpanBatch::decode(data).map(Self::Span),
            other => Err(BatchError::UnknownBatchType(other)),
        }
    }

    /// The typed bytes (type byte ‖ data).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Singular(batch) => {
                let mut out = vec![SINGULAR_BATCH_TYPE];
                batch.encode(&mut out);
                out
            }
            Self::Span(batch) => {
                let mut out = vec![SPAN_BATCH_TYPE];
                batch.encode(&mut out);
                out
            }
        }
    }
}
