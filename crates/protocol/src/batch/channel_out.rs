//! The batcher's side of channels: batches encoded as the channel's RLP stream, compressed with
//! brotli (Fjord), and cut into frames that each fit one batcher transaction's calldata or blob.
//! The inverse of [`super::Channel`] and [`super::decompress`].

use super::{
    BROTLI_VERSION_BYTE, Batch, BatchError, ChannelId, DERIVATION_VERSION_0, FRAME_OVERHEAD, Frame,
};
use alloy_primitives::Bytes;
use std::io::Write;

/// Brotli quality and window of the batcher (op-batcher's brotli-10 compressor: quality 10,
/// a 2^22-byte window).
const BROTLI_QUALITY: u32 = 10;
const BROTLI_WINDOW: u32 = 22;

/// The channel's RLP stream: each batch's typed bytes as one RLP string.
pub fn channel_rlp(batches: &[Batch]) -> Vec<u8> {
    let mut out = Vec::new();
    for batch in batches {
        let typed = batch.encode();
        alloy_rlp::Encodable::encode(typed.as_slice(), &mut out);
    }
    out
}

/// Brotli-compressed channel data (after the brotli version byte) of `rlp`.
pub fn compress_brotli(rlp: &[u8]) -> Vec<u8> {
    let mut out = vec![BROTLI_VERSION_BYTE];
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        writer.write_all(rlp).expect("writing to a Vec cannot fail");
        writer.flush().expect("flushing to a Vec cannot fail");
    }
    out
}

/// `data` cut into frames of channel `id` whose encodings (with the derivation version byte of
/// their transaction) are at most `max_tx_data` bytes each; the last frame closes the channel.
pub fn frames_of_channel(
    id: ChannelId,
    data: &[u8],
    max_tx_data: usize,
) -> Result<Vec<Frame>, BatchError> {
    let room = max_tx_data.saturating_sub(1 + FRAME_OVERHEAD);
    if room == 0 {
        return Err(BatchError::FrameBudgetTooSmall { max_tx_data });
    }
    let chunks: Vec<&[u8]> =
        if data.is_empty() { vec![&[][..]] } else { data.chunks(room).collect() };
    let count = chunks.len();
    if count > usize::from(u16::MAX) + 1 {
        return Err(BatchError::TooManyFrames { count });
    }
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(number, chunk)| Frame {
            channel_id: id,
            number: number as u16,
            data: Bytes::copy_from_slice(chunk),
            is_last: number + 1 == count,
        })
        .collect())
}

/// The data of a batcher transaction carrying `frame`: the derivation version byte, then the
/// frame (one frame per transaction, as op-batcher sends them).
pub fn batcher_tx_data(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + frame.encoded_len());
    out.push(DERIVATION_VERSION_0);
    frame.encode(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{
        Channel, MAX_RLP_BYTES_PER_CHANNEL_FJORD, SingularBatch, decode_batches, decompress,
        frames_of_calldata,
    };
    use alloy_primitives::B256;

    #[test]
    fn a_channel_out_reads_back_through_the_derivation_codec() {
        let batches: Vec<Batch> = (0..40u64)
            .map(|n| {
                Batch::Singular(SingularBatch {
                    parent_hash: B256::with_last_byte(n as u8),
                    epoch_num: n / 4,
                    epoch_hash: B256::repeat_byte(0xab),
                    timestamp: 1_000 + 2 * n,
                    transactions: vec![Bytes::from(vec![n as u8; 300])],
                })
            })
            .collect();
        let rlp = channel_rlp(&batches);
        let compressed = compress_brotli(&rlp);
        assert!(compressed.len() < rlp.len() / 4, "repetitive data compresses");
        let id = [7u8; 16];
        let frames = frames_of_channel(id, &compressed, 200).unwrap();
        assert!(frames.len() > 1);
        assert!(frames.iter().rev().skip(1).all(|frame| !frame.is_last));
        let mut channel = Channel::new(id);
        for frame in frames {
            let data = batcher_tx_data(&frame);
            assert!(data.len() <= 200);
            let [decoded] = frames_of_calldata(&data).unwrap().try_into().unwrap();
            assert_eq!(decoded, frame);
            channel.add_frame(decoded).unwrap();
        }
        assert!(channel.is_ready());
        let data = decompress(&channel.data().unwrap(), MAX_RLP_BYTES_PER_CHANNEL_FJORD).unwrap();
        assert_eq!(data, rlp);
        let (decoded, error) = decode_batches(&data);
        assert_eq!(error, None);
        assert_eq!(decoded, batches);
    }

    #[test]
    fn a_frame_limit_too_small_for_any_data_is_an_error() {
        assert!(frames_of_channel([0; 16], b"data", FRAME_OVERHEAD + 1).is_err());
    }
}
