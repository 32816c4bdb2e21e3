//! Built payloads and the builder's gas-limit rule.

use alloy_eips::eip7685::Requests;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_engine::PayloadId;
use phala_primitives::Block;
use std::{collections::VecDeque, sync::Mutex};

/// The gas limit the builder steers towards, as geth's default `--miner.gaslimit`.
pub const DESIRED_GAS_LIMIT: u64 = 60_000_000;

/// geth's rule for the next block's gas limit: move towards `desired` by at most
/// `parent / 1024 - 1`.
pub fn next_gas_limit(parent: u64, desired: u64) -> u64 {
    let delta = (parent / 1024).saturating_sub(1);
    let desired = desired.max(5_000);
    if parent < desired {
        (parent + delta).min(desired)
    } else if parent > desired {
        parent.saturating_sub(delta).max(desired)
    } else {
        parent
    }
}

/// The gas limit of a sequenced block on a parent with `parent` gas: `target` if set, at once
/// where the chain's rules let the limit jump (OP), else by [`next_gas_limit`]'s steps; without
/// a target, the parent's.
pub(crate) fn sequenced_gas_limit(parent: u64, target: Option<u64>, may_jump: bool) -> u64 {
    match target {
        None => parent,
        Some(target) if may_jump => target,
        Some(target) => next_gas_limit(parent, target),
    }
}

/// A built block waiting for `engine_getPayload`.
#[derive(Debug, Clone)]
pub struct BuiltPayload {
    /// The block.
    pub block: Block,
    /// Its hash.
    pub hash: B256,
    /// Fees paid to the fee recipient (sum of tips).
    pub value: U256,
    /// EIP-7685 requests.
    pub requests: Requests,
}

/// How many built payloads are kept for `engine_getPayload` (the oldest are dropped).
const MAX_KEPT_PAYLOADS: usize = 16;

/// Payloads built by forkchoice updates, by id, oldest first.
#[derive(Debug, Default)]
pub struct PayloadStore {
    payloads: Mutex<VecDeque<(PayloadId, BuiltPayload)>>,
}

impl PayloadStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(PayloadId, BuiltPayload)>> {
        self.payloads.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `payload` under `id`, replacing an earlier one with the same id.
    pub fn insert(&self, id: PayloadId, payload: BuiltPayload) {
        let mut payloads = self.lock();
        payloads.retain(|(known, _)| *known != id);
        if payloads.len() == MAX_KEPT_PAYLOADS {
            payloads.pop_front();
        }
        payloads.push_back((id, payload));
    }

    /// The payload kept under `id`.
    pub fn get(&self, id: PayloadId) -> Option<BuiltPayload> {
        self.lock().iter().find(|(known, _)| *known == id).map(|(_, payload)| payload.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequenced_gas_limit_jumps_only_where_the_rules_allow() {
        assert_eq!(sequenced_gas_limit(30_000_000, None, true), 30_000_000);
        assert_eq!(sequenced_gas_limit(30_000_000, None, false), 30_000_000);
        assert_eq!(sequenced_gas_limit(30_000_000, Some(1_000_000_000), true), 1_000_000_000);
        assert_eq!(
            sequenced_gas_limit(30_000_000, Some(1_000_000_000), false),
            next_gas_limit(30_000_000, 1_000_000_000)
        );
        assert_eq!(sequenced_gas_limit(30_000_000, Some(10_000_000), true), 10_000_000);
    }

    #[test]
    fn gas_limit_moves_towards_the_target_by_at_most_a_1024th() {
        assert_eq!(next_gas_limit(30_000_000, 60_000_000), 30_000_000 + 30_000_000 / 1024 - 1);
        assert_eq!(next_gas_limit(60_000_000, 60_000_000), 60_000_000);
        assert_eq!(next_gas_limit(60_000_100, 60_000_000), 60_000_000);
        assert_eq!(next_gas_limit(90_000_000, 60_000_000), 90_000_000 - 90_000_000 / 1024 + 1);
    }
}
