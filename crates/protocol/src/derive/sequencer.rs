//! The sequencer's choice of L1 origin for its next block ([`select_sequencer_origin`]): the
//! rules the verifier's batch checks enforce (`derivation.md`, the L2 time invariants and the
//! sequencer drift), seen from the side that makes the blocks.

use super::{error::OriginSelectionError, refs::L1BlockRef};
use crate::rollup::RollupConfig;

/// The origin of the sequencer's next block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginSelection {
    /// The L1 origin to build on.
    pub origin: L1BlockRef,
    /// Whether it is the next L1 block (the block starts an epoch).
    pub advanced: bool,
    /// Whether the block passes the sequencer drift: it may then hold deposits only (no pool
    /// transactions, `no_tx_pool`), or the verifier drops its batch.
    pub deposits_only: bool,
}

/// Picks the L1 origin of the L2 block at `next_l2_time`, given the current origin (the
/// parent's) and the L1 block after it if the sequencer knows it (at the confirmation depth it
/// wants).
///
/// The next origin is adopted as soon as the L2 time reaches its timestamp. Past the maximum
/// sequencer drift (1800 s from Fjord) of the current origin the sequencer must adopt the next
/// one: without it, [`OriginSelectionError::NextOriginRequired`] says to wait. If the next
/// block is still newer than the L2 time, the current origin is kept (the L2 time may never
/// precede its origin's) and the block holds deposits only.
pub fn select_sequencer_origin(
    rollup: &RollupConfig,
    current: &L1BlockRef,
    next: Option<&L1BlockRef>,
    next_l2_time: u64,
) -> Result<OriginSelection, OriginSelectionError> {
    if next_l2_time < current.timestamp {
        return Err(OriginSelectionError::TimeBeforeOrigin {
            next_l2_time,
            l1_time: current.timestamp,
        });
    }
    let past_drift = |origin: &L1BlockRef| {
        next_l2_time > origin.timestamp + rollup.max_sequencer_drift_at(origin.timestamp)
    };
    match next {
        Some(next) if next.parent_hash != current.hash || next.number != current.number + 1 => {
            Err(OriginSelectionError::NextNotChild { current: current.id(), next: next.id() })
        }
        Some(next) if next_l2_time >= next.timestamp => {
            Ok(OriginSelection { origin: *next, advanced: true, deposits_only: past_drift(next) })
        }
        None if past_drift(current) => {
            Err(OriginSelectionError::NextOriginRequired { current: current.id(), next_l2_time })
        }
        _ => Ok(OriginSelection {
            origin: *current,
            advanced: false,
            deposits_only: past_drift(current),
        }),
    }
}
