//! Channels: frames reassembled in order, their data decompressed (zlib; brotli from Fjord,
//! after a version byte 1), holding an RLP stream of batches (`derivation.md`, "Channel
//! Format"; `fjord/derivation.md`).

use super::{Batch, BatchError, ChannelId, Frame};
use alloy_rlp::Header;
use std::{collections::BTreeMap, io::Read};

/// The byte that starts brotli channel data (Fjord).
pub const BROTLI_VERSION_BYTE: u8 = 0x01;
/// The most a channel decompresses to before Fjord.
pub const MAX_RLP_BYTES_PER_CHANNEL_BEDROCK: usize = 10_000_000;
/// The most a channel decompresses to from Fjord.
pub const MAX_RLP_BYTES_PER_CHANNEL_FJORD: usize = 100_000_000;

/// How a channel's data is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelCompression {
    /// RFC 1950 zlib (compression method 8).
    Zlib,
    /// Brotli, after [`BROTLI_VERSION_BYTE`] (Fjord).
    Brotli,
}

/// The compression of channel data, from its first byte.
pub fn compression_of(data: &[u8]) -> Result<ChannelCompression, BatchError> {
    match data.first() {
        Some(&first) if first & 0x0f == 8 || first & 0x0f == 15 => Ok(ChannelCompression::Zlib),
        Some(&BROTLI_VERSION_BYTE) => Ok(ChannelCompression::Brotli),
        Some(&other) => Err(BatchError::UnknownCompression(other)),
        None => Err(BatchError::UnknownCompression(0)),
    }
}

/// Decompresses channel data, at most `max` bytes of it. As op-node does, it reads until the
/// data runs out: a stream without its end marker (or cut short, or corrupt further on) gives
/// what it holds up to there; the batches in it are read, the rest is lost.
pub fn decompress(data: &[u8], max: usize) -> Result<Vec<u8>, BatchError> {
    let compression = compression_of(data)?;
    let mut out = Vec::new();
    let limit = max as u64 + 1;
    let result = match compression {
        ChannelCompression::Zlib => {
            flate2::read::ZlibDecoder::new(data).take(limit).read_to_end(&mut out)
        }
        ChannelCompression::Brotli => {
            brotli::Decompressor::new(&data[1..], 4096).take(limit).read_to_end(&mut out)
        }
    };
    // A stream cut short is an error of the reader, after what it could read; keep that.
    if result.is_err() && out.is_empty() {
        return Err(BatchError::Decompression("no data before the stream broke"));
    }
    if out.len() > max {
        out.truncate(max);
    }
    Ok(out)
}

/// The batches of a decompressed channel: its RLP strings in order, each a typed batch. Reading
/// stops at the first string or batch that does not decode, which is returned beside the
/// batches before it (op-node drops the rest of such a channel).
pub fn decode_batches(mut data: &[u8]) -> (Vec<Batch>, Option<BatchError>) {
    let mut batches = Vec::new();
    while !data.is_empty() {
        let item = Header::decode(&mut data).and_then(|header| {
            if header.list {
                return Err(alloy_rlp::Error::UnexpectedList);
            }
            if data.len() < header.payload_length {
                return Err(alloy_rlp::Error::InputTooShort);
            }
            let (payload, rest) = data.split_at(header.payload_length);
            data = rest;
            Ok(payload)
        });
        match item.map_err(BatchError::from).and_then(Batch::decode) {
            Ok(batch) => batches.push(batch),
            Err(error) => return (batches, Some(error)),
        }
    }
    (batches, None)
}

/// A channel being assembled from its frames.
#[derive(Debug, Clone)]
pub struct Channel {
    id: ChannelId,
    frames: BTreeMap<u16, Frame>,
    last: Option<u16>,
}

impl Channel {
    /// An empty channel.
    pub const fn new(id: ChannelId) -> Self {
        Self { id, frames: BTreeMap::new(), last: None }
    }

    /// The channel's id.
    pub const fn id(&self) -> ChannelId {
        self.id
    }

    /// Adds a frame: refused if it belongs to another channel, repeats a number, or lies past
    /// (or is a second) closing frame.
    pub fn add_frame(&mut self, frame: Frame) -> Result<(), BatchError> {
        if frame.channel_id != self.id {
            return Err(BatchError::WrongChannel);
        }
        if self.frames.contains_key(&frame.number) {
            return Err(BatchError::DuplicateFrame(frame.number));
        }
        if let Some(last) = self.last
            && (frame.number > last || frame.is_last)
        {
            return Err(BatchError::FrameAfterLast { number: frame.number, last });
        }
        if frame.is_last {
            if let Some((&highest, _)) = self.frames.last_key_value()
                && highest > frame.number
            {
                return Err(BatchError::FrameAfterLast { number: highest, last: frame.number });
            }
            self.last = Some(frame.number);
        }
        self.frames.insert(frame.number, frame);
        Ok(())
    }

    /// Whether every frame up to the closing one is there.
    pub fn is_ready(&self) -> bool {
        self.last.is_some_and(|last| self.frames.len() == usize::from(last) + 1)
    }

    /// The channel data: the frames' data in order, once the channel is ready.
    pub fn data(&self) -> Result<Vec<u8>, BatchError> {
        if !self.is_ready() {
            return Err(BatchError::ChannelIncomplete);
        }
        Ok(self.frames.values().flat_map(|frame| frame.data.iter().copied()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;
    use std::io::Write;

    fn frame(number: u16, data: &[u8], is_last: bool) -> Frame {
        Frame { channel_id: [1; 16], number, data: Bytes::copy_from_slice(data), is_last }
    }

    #[test]
    fn frames_assemble_in_order_whatever_order_they_come_in() {
        let mut channel = Channel::new([1; 16]);
        channel.add_frame(frame(2, b"c", true)).unwrap();
        assert!(!channel.is_ready());
        assert_eq!(channel.data(), Err(BatchError::ChannelIncomplete));
        channel.add_frame(frame(0, b"a", false)).unwrap();
        assert_eq!(channel.add_frame(frame(0, b"x", false)), Err(BatchError::DuplicateFrame(0)));
        assert!(matches!(
            channel.add_frame(frame(3, b"d", false)),
            Err(BatchError::FrameAfterLast { .. })
        ));
        let mut other = frame(1, b"b", false);
        other.channel_id = [2; 16];
        assert_eq!(channel.add_frame(other), Err(BatchError::WrongChannel));
        channel.add_frame(frame(1, b"b", false)).unwrap();
        assert_eq!(channel.data().unwrap(), b"abc");
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn both_compressions_decompress_and_a_cut_stream_gives_what_it_holds() {
        let data: Vec<u8> = (0..50_000u32).flat_map(|i| (i % 251).to_be_bytes()).collect();
        let compressed = zlib(&data);
        assert_eq!(compression_of(&compressed), Ok(ChannelCompression::Zlib));
        assert_eq!(decompress(&compressed, usize::MAX >> 1).unwrap(), data);
        let cut = decompress(&compressed[..compressed.len() / 2], usize::MAX >> 1).unwrap();
        assert!(!cut.is_empty() && data.starts_with(&cut) && cut.len() < data.len());
        assert_eq!(decompress(&compressed, 1000).unwrap(), &data[..1000]);

        let mut brotli = vec![BROTLI_VERSION_BYTE];
        let mut writer = brotli::CompressorWriter::new(&mut brotli, 4096, 9, 22);
        writer.write_all(&data).unwrap();
        drop(writer);
        assert_eq!(compression_of(&brotli), Ok(ChannelCompression::Brotli));
        assert_eq!(decompress(&brotli, usize::MAX >> 1).unwrap(), data);
        assert_eq!(decompress(&[0x42, 1, 2], 10), Err(BatchError::UnknownCompression(0x42)));
    }
}
