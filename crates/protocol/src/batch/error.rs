//! Why batch data was refused. The derivation drops what fails, as the spec says; these say why.

/// A frame, channel or batch that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// A batcher transaction without calldata.
    #[error("batcher calldata is empty")]
    EmptyCalldata,
    /// The derivation version byte is not 0.
    #[error("unknown derivation version {0}")]
    UnknownDerivationVersion(u8),
    /// Fewer bytes than a frame's header and trailer.
    #[error("frame truncated: {needed} bytes needed, {available} available")]
    FrameTruncated {
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A frame's data is longer than a frame may be.
    #[error("frame data of {len} bytes exceeds the {max}-byte limit")]
    FrameTooLong {
        /// The stated length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A batcher transaction's data limit leaves no room for frame data.
    #[error("a {max_tx_data}-byte batcher transaction has no room for frame data")]
    FrameBudgetTooSmall {
        /// The limit given.
        max_tx_data: usize,
    },
    /// A channel would need more frames than a frame number counts.
    #[error("a channel of {count} frames exceeds the 65536 a frame number counts")]
    TooManyFrames {
        /// Frames needed.
        count: usize,
    },
    /// `is_last` is neither 0 nor 1.
    #[error("frame is_last byte is {0}, not 0 or 1")]
    InvalidIsLast(u8),
    /// A frame of another channel was added to a channel.
    #[error("frame of another channel")]
    WrongChannel,
    /// The channel already has a frame with this number.
    #[error("duplicate frame {0}")]
    DuplicateFrame(u16),
    /// A frame past the channel's closing frame, or a second closing frame.
    #[error("frame {number} is past the channel's last frame {last}")]
    FrameAfterLast {
        /// The frame's number.
        number: u16,
        /// The closing frame's number.
        last: u16,
    },
    /// The channel lacks frames (or its closing frame).
    #[error("channel is incomplete")]
    ChannelIncomplete,
    /// The channel data is empty or starts with no known compression.
    #[error("unknown channel compression (first byte {0:#04x})")]
    UnknownCompression(u8),
    /// The compressed stream is corrupt.
    #[error("channel decompression failed: {0}")]
    Decompression(&'static str),
    /// The decompressed channel exceeds the fork's limit.
    #[error("decompressed channel exceeds {max} bytes")]
    ChannelTooLarge {
        /// The limit.
        max: usize,
    },
    /// The channel's RLP stream of batches is malformed.
    #[error("malformed batch RLP: {0}")]
    Rlp(alloy_rlp::Error),
    /// An empty batch (no type byte).
    #[error("empty batch")]
    EmptyBatch,
    /// The batch type byte is neither 0 (singular) nor 1 (span).
    #[error("unknown batch type {0}")]
    UnknownBatchType(u8),
    /// A span batch ends before its data does.
    #[error("span batch truncated in {0}")]
    SpanTruncated(&'static str),
    /// A span batch's varint is longer than 10 bytes or overflows 64 bits.
    #[error("span batch varint overflow in {0}")]
    VarintOverflow(&'static str),
    /// A span batch element count exceeds the limit.
    #[error("span batch {field} count {count} exceeds {max}")]
    TooManyElements {
        /// What is counted.
        field: &'static str,
        /// The count.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// A span batch of no blocks.
    #[error("span batch has no blocks")]
    NoBlocks,
    /// A bit list has bits set beyond its length.
    #[error("span batch {0} bit list has padding bits set")]
    BitListPadding(&'static str),
    /// Bytes left after a span batch's last field.
    #[error("{0} trailing bytes after the span batch")]
    SpanTrailingBytes(usize),
    /// A span batch transaction's type is not one a span batch carries.
    #[error("span batch transaction type {0} is not supported")]
    UnsupportedTxType(u8),
    /// A span batch transaction's fields do not decode.
    #[error("span batch transaction {index}: {error}")]
    SpanTxRlp {
        /// Its position in the span.
        index: usize,
        /// The RLP error.
        error: alloy_rlp::Error,
    },
    /// More data than one blob carries.
    #[error("{len} bytes of blob data exceed the {max}-byte capacity")]
    BlobDataTooLarge {
        /// The data's (or the stated) length.
        len: usize,
        /// The capacity.
        max: usize,
    },
    /// A blob that is not 131072 bytes.
    #[error("a blob of {0} bytes, not 131072")]
    BlobSize(usize),
    /// A field element whose top two bits are set.
    #[error("blob field element {0} has its top bits set")]
    BlobFieldElement(usize),
    /// A blob encoding version other than 0.
    #[error("unknown blob encoding version {0}")]
    BlobVersion(u8),
    /// Non-zero bytes past the blob's data.
    #[error("non-zero bytes past the blob's data")]
    BlobTrailingData,
}

impl From<alloy_rlp::Error> for BatchError {
    fn from(error: alloy_rlp::Error) -> Self {
        Self::Rlp(error)
    }
}
