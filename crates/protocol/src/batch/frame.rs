//! Frames: the pieces of a channel a batcher transaction carries (`derivation.md`, "Frame
//! Format"): `channel_id (16) ‖ frame_number (u16) ‖ frame_data_length (u32) ‖ frame_data ‖
//! is_last (u8)`, after a derivation version byte 0.

use super::BatchError;
use alloy_primitives::Bytes;

/// The only derivation version.
pub const DERIVATION_VERSION_0: u8 = 0;
/// The largest frame data (op-node's `MaxFrameLen`).
pub const MAX_FRAME_LEN: usize = 1_000_000;
/// A channel's identifier.
pub type ChannelId = [u8; 16];

/// Bytes of a frame besides its data: channel id, number, length and the last-frame flag.
pub const FRAME_OVERHEAD: usize = 16 + 2 + 4 + 1;

/// One frame of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The channel it belongs to.
    pub channel_id: ChannelId,
    /// Its position in the channel.
    pub number: u16,
    /// Its part of the channel data.
    pub data: Bytes,
    /// Whether it closes the channel.
    pub is_last: bool,
}

impl Frame {
    /// Decodes one frame at the start of `input`; returns it and the bytes it took.
    pub fn decode(input: &[u8]) -> Result<(Self, usize), BatchError> {
        let truncated = |needed| BatchError::FrameTruncated { needed, available: input.len() };
        if input.len() < FRAME_OVERHEAD {
            return Err(truncated(FRAME_OVERHEAD));
        }
        let mut channel_id = [0; 16];
        channel_id.copy_from_slice(&input[..16]);
        let number = u16::from_be_bytes([input[16], input[17]]);
        let len = u32::from_be_bytes([input[18], input[19], input[20], input[21]]) as usize;
        if len > MAX_FRAME_LEN {
            return Err(BatchError::FrameTooLong { len, max: MAX_FRAME_LEN });
        }
        let end = 22 + len;
        if input.len() < end + 1 {
            return Err(truncated(end + 1));
        }
        let is_last = match input[end] {
            0 => false,
            1 => true,
            other => return Err(BatchError::InvalidIsLast(other)),
        };
        let data = Bytes::copy_from_slice(&input[22..end]);
        Ok((Self { channel_id, number, data, is_last }, end + 1))
    }

    /// Appends the frame's encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id);
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&(self.data.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.data);
        out.push(u8::from(self.is_last));
    }

    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        FRAME_OVERHEAD + self.data.len()
    }
}

/// The frames of a batcher transaction's calldata (or blob data): the version byte, then one or
/// more frames. As the spec says, one bad frame makes the whole transaction's frames invalid.
pub fn frames_of_calldata(calldata: &[u8]) -> Result<Vec<Frame>, BatchError> {
    let (&version, mut rest) = calldata.split_first().ok_or(BatchError::EmptyCalldata)?;
    if version != DERIVATION_VERSION_0 {
        return Err(BatchError::UnknownDerivationVersion(version));
    }
    let mut frames = Vec::new();
    loop {
        let (frame, used) = Frame::decode(rest)?;
        frames.push(frame);
        rest = &rest[used..];
        if rest.is_empty() {
            return Ok(frames);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(number: u16, data: &[u8], is_last: bool) -> Frame {
        Frame { channel_id: [7; 16], number, data: Bytes::copy_from_slice(data), is_last }
    }

    #[test]
    fn frames_round_trip_through_calldata() {
        let frames = vec![frame(0, b"hello", false), frame(1, b"", true)];
        let mut calldata = vec![DERIVATION_VERSION_0];
        for frame in &frames {
            frame.encode(&mut calldata);
        }
        assert_eq!(calldata.len(), 1 + frames.iter().map(Frame::encoded_len).sum::<usize>());
        assert_eq!(frames_of_calldata(&calldata).unwrap(), frames);
    }

    #[test]
    fn bad_calldata_is_refused_whole() {
        let mut calldata = vec![DERIVATION_VERSION_0];
        frame(0, b"abc", true).encode(&mut calldata);
        assert_eq!(frames_of_calldata(&[]), Err(BatchError::EmptyCalldata));
        let mut wrong_version = calldata.clone();
        wrong_version[0] = 1;
        assert_eq!(
            frames_of_calldata(&wrong_version),
            Err(BatchError::UnknownDerivationVersion(1))
        );
        // A truncated second frame spoils the first.
        let mut truncated = calldata.clone();
        truncated.extend_from_slice(&[7; 10]);
        assert!(matches!(frames_of_calldata(&truncated), Err(BatchError::FrameTruncated { .. })));
        let mut bad_last = calldata.clone();
        *bad_last.last_mut().unwrap() = 2;
        assert_eq!(frames_of_calldata(&bad_last), Err(BatchError::InvalidIsLast(2)));
        let mut too_long = calldata;
        too_long[19..23].copy_from_slice(&(MAX_FRAME_LEN as u32 + 1).to_be_bytes());
        assert!(matches!(frames_of_calldata(&too_long), Err(BatchError::FrameTooLong { .. })));
    }
}
