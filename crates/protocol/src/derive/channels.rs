//! Holocene's frame queue and channel assembly (`holocene/derivation.md`, "Frame Queue" and
//! "Channel Bank"), and the reading of a complete channel into batches, span batches expanded
//! into their blocks.
//!
//! Frames must come in order: within one batcher transaction the queue drops frames out of
//! order and the frames of a channel a new first frame interrupts; across transactions the
//! assembler holds one staging channel, which a new first frame replaces, and drops frames
//! that do not continue it.

use super::error::DropReason;
use super::refs::L1BlockRef;
use crate::{
    batch::{
        Batch, BatchError, ChannelId, Frame, SingularBatch, SpanBatch, decode_batches, decompress,
    },
    rollup::RollupConfig,
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::Bytes;

/// What op-node counts for each frame on top of its data when sizing a channel.
const FRAME_SIZE_OVERHEAD: usize = 200;

/// Applies Holocene's frame queue rules to the frames of one batcher transaction: a channel's
/// frames must be consecutive and end at its last frame, a non-first frame may not start a
/// channel, and a first frame drops the preceding frames of a channel left open.
pub(crate) fn prune_frames(
    mut frames: Vec<Frame>,
    dropped: &mut impl FnMut(DropReason),
) -> Vec<Frame> {
    let out_of_order = |frame: &Frame| DropReason::FrameOutOfOrder {
        channel: frame.channel_id,
        number: frame.number,
    };
    let mut at = 0;
    while at + 1 < frames.len() {
        let (current, next) = (&frames[at], &frames[at + 1]);
        if current.channel_id == next.channel_id {
            if current.is_last || u32::from(next.number) != u32::from(current.number) + 1 {
                dropped(out_of_order(next));
                frames.remove(at + 1);
                continue;
            }
        } else if next.number != 0 {
            dropped(out_of_order(next));
            frames.remove(at + 1);
            continue;
        } else if !current.is_last {
            // The new channel interrupts this one: its frames before go too, back to front.
            dropped(out_of_order(current));
            frames.remove(at);
            at = at.saturating_sub(1);
            continue;
        }
        at += 1;
    }
    frames
}

/// The channel being assembled.
#[derive(Debug, Clone)]
struct StagingChannel {
    id: ChannelId,
    opened_in: u64,
    next_number: u32,
    data: Vec<u8>,
    size: usize,
}

/// Holocene's channel bank: at most one staging channel, filled by frames in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChannelAssembler {
    staging: Option<StagingChannel>,
}

impl ChannelAssembler {
    /// Adds a frame read in L1 block `origin`; returns the channel's id and data when the frame
    /// completes it.
    pub(crate) fn add_frame(
        &mut self,
        frame: Frame,
        origin: &L1BlockRef,
        rollup: &RollupConfig,
        dropped: &mut impl FnMut(DropReason),
    ) -> Option<(ChannelId, Vec<u8>)> {
        if let Some(channel) = &self.staging
            && channel.opened_in + rollup.channel_timeout_at(origin.timestamp) < origin.number
        {
            dropped(DropReason::ChannelTimedOut {
                channel: channel.id,
                opened_in: channel.opened_in,
            });
            self.staging = None;
        }
        if frame.number == 0 {
            if let Some(replaced) = self.staging.take() {
                dropped(DropReason::ChannelReplaced { channel: replaced.id });
            }
            self.staging = Some(StagingChannel {
                id: frame.channel_id,
                opened_in: origin.number,
                next_number: 0,
                data: Vec::new(),
                size: 0,
            });
        }
        let Some(channel) = &mut self.staging else {
            dropped(DropReason::FrameOutOfOrder {
                channel: frame.channel_id,
                number: frame.number,
            });
            return None;
        };
        if frame.channel_id != channel.id || u32::from(frame.number) != channel.next_number {
            dropped(DropReason::FrameOutOfOrder {
                channel: frame.channel_id,
                number: frame.number,
            });
            return None;
        }
        channel.data.extend_from_slice(&frame.data);
        channel.size += frame.data.len() + FRAME_SIZE_OVERHEAD;
        channel.next_number += 1;
        if channel.size > rollup.max_rlp_bytes_per_channel_at(origin.timestamp) {
            dropped(DropReason::ChannelTooLarge { channel: channel.id });
            self.staging = None;
            return None;
        }
        if !frame.is_last {
            return None;
        }
        self.staging.take().map(|channel| (channel.id, channel.data))
    }
}

/// One block of a span batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpanElement {
    pub(crate) timestamp: u64,
    pub(crate) epoch_num: u64,
    pub(crate) transactions: Vec<Bytes>,
}

/// A span batch with its blocks' timestamps, origins and transactions rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpandedSpan {
    pub(crate) parent_check: [u8; 20],
    pub(crate) l1_origin_check: [u8; 20],
    /// Never empty (a span batch has at least one block).
    pub(crate) elements: Vec<SpanElement>,
}

impl ExpandedSpan {
    /// Rebuilds the blocks of a decoded span batch.
    pub(crate) fn new(span: &SpanBatch, rollup: &RollupConfig) -> Result<Self, BatchError> {
        let transactions = span.block_transactions(rollup.l2_chain_id)?;
        let count = span.block_count();
        // Origins run back from the last block's; a set bit (past the first) steps back one.
        // Wrapping as op-node's unsigned arithmetic does: a nonsensical span then fails checks.
        let mut epochs = vec![0; count];
        let mut epoch = span.l1_origin_num;
        for index in (0..count).rev() {
            epochs[index] = epoch;
            if index > 0 && span.origin_bits[index] {
                epoch = epoch.wrapping_sub(1);
            }
        }
        let start = rollup.genesis.l2_time.wrapping_add(span.rel_timestamp);
        let elements = transactions
            .into_iter()
            .zip(epochs)
            .enumerate()
            .map(|(index, (txs, epoch_num))| SpanElement {
                timestamp: start.wrapping_add(rollup.block_time.wrapping_mul(index as u64)),
                epoch_num,
                transactions: txs.iter().map(|tx| Bytes::from(tx.encoded_2718())).collect(),
            })
            .collect::<Vec<_>>();
        if elements.is_empty() {
            return Err(BatchError::NoBlocks);
        }
        Ok(Self {
            parent_check: span.parent_check,
            l1_origin_check: span.l1_origin_check,
            elements,
        })
    }

    pub(crate) fn first(&self) -> &SpanElement {
        &self.elements[0]
    }

    pub(crate) fn last(&self) -> &SpanElement {
        &self.elements[self.elements.len() - 1]
    }
}

/// A batch of a channel, ready for the batch stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChannelBatch {
    Singular(SingularBatch),
    Span(ExpandedSpan),
}

/// The batches of a complete channel read in L1 block `origin`. Data that does not decompress
/// drops the channel; reading stops at the first batch that does not decode; a span batch
/// whose transactions cannot be rebuilt is skipped.
pub(crate) fn read_channel(
    id: ChannelId,
    data: &[u8],
    origin: &L1BlockRef,
    rollup: &RollupConfig,
    dropped: &mut impl FnMut(DropReason),
) -> Vec<ChannelBatch> {
    let raw = match decompress(data, rollup.max_rlp_bytes_per_channel_at(origin.timestamp)) {
        Ok(raw) => raw,
        Err(error) => {
            dropped(DropReason::ChannelData { channel: id, error });
            return Vec::new();
        }
    };
    let (batches, error) = decode_batches(&raw);
    if let Some(error) = error {
        dropped(DropReason::ChannelData { channel: id, error });
    }
    batches
        .into_iter()
        .filter_map(|batch| match batch {
            Batch::Singular(batch) => Some(ChannelBatch::Singular(batch)),
            Batch::Span(span) => match ExpandedSpan::new(&span, rollup) {
                Ok(span) => Some(ChannelBatch::Span(span)),
                Err(error) => {
                    dropped(DropReason::SpanTransactions(error));
                    None
                }
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(channel: u8, number: u16, is_last: bool) -> Frame {
        Frame { channel_id: [channel; 16], number, data: Bytes::from(vec![number as u8]), is_last }
    }

    fn ids(frames: &[Frame]) -> Vec<(u8, u16)> {
        frames.iter().map(|frame| (frame.channel_id[0], frame.number)).collect()
    }

    #[test]
    fn the_frame_queue_keeps_ordered_contiguous_frames() {
        let mut drops = Vec::new();
        let mut record = |reason| drops.push(reason);
        // A gap, a frame after the last, and a non-first frame of another channel are dropped.
        let kept = prune_frames(
            vec![
                frame(1, 0, false),
                frame(1, 2, false),
                frame(1, 1, true),
                frame(1, 2, false),
                frame(2, 1, false),
                frame(3, 0, true),
            ],
            &mut record,
        );
        assert_eq!(ids(&kept), [(1, 0), (1, 1), (3, 0)]);
        assert_eq!(drops.len(), 3);

        // A first frame drops the open channel's frames before it.
        drops.clear();
        let mut record = |reason| drops.push(reason);
        let kept = prune_frames(
            vec![frame(1, 0, false), frame(1, 1, false), frame(2, 0, false), frame(2, 1, true)],
            &mut record,
        );
        assert_eq!(ids(&kept), [(2, 0), (2, 1)]);
        assert_eq!(drops.len(), 2);
    }
}
