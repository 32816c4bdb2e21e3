//! The block builder's view of the pool: executable transactions, best tip first.

use crate::PooledTransaction;
use alloy_primitives::Address;
use std::{
    cmp::Reverse,
    collections::{BTreeMap, VecDeque},
    sync::Arc,
};

/// Position of a sender's next transaction: highest effective tip first, then earliest arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ReadyKey {
    tip: Reverse<u128>,
    submission_id: u64,
}

/// A pending transaction and its arrival order, as handed to [`BestTransactions`].
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) tx: Arc<PooledTransaction>,
    pub(crate) submission_id: u64,
}

/// Executable transactions in the order a block builder should try them.
///
/// A snapshot of the pending pool: highest effective tip at the given base fee first (ties go to
/// the earlier arrival), while each sender's transactions come out in nonce order. A transaction
/// whose fee cap is below the base fee (or whose blob fee cap is below the blob base fee) is not
/// yielded, and neither are the sender's later nonces, which could not execute without it.
///
/// Call [`mark_invalid`](Self::mark_invalid) when a yielded transaction fails, to skip the rest of
/// that sender's transactions.
#[derive(Debug)]
pub struct BestTransactions {
    base_fee: u64,
    blob_base_fee: Option<u128>,
    /// Each sender's next transaction, keyed by its position.
    ready: BTreeMap<ReadyKey, Arc<PooledTransaction>>,
    /// Where each sender's next transaction sits in `ready`.
    heads: BTreeMap<Address, ReadyKey>,
    /// Each sender's transactions after its head, in nonce order.
    waiting: BTreeMap<Address, VecDeque<Candidate>>,
}

impl BestTransactions {
    /// `pending` holds each sender's pending run in nonce order.
    pub(crate) fn new(
        pending: BTreeMap<Address, VecDeque<Candidate>>,
        base_fee: u64,
        blob_base_fee: Option<u128>,
    ) -> Self {
        let mut best = Self {
            base_fee,
            blob_base_fee,
            ready: BTreeMap::new(),
            heads: BTreeMap::new(),
            waiting: pending,
        };
        let senders: Vec<Address> = best.waiting.keys().copied().collect();
        for sender in senders {
            best.advance(sender);
        }
        best
    }

    /// Skips all remaining transactions of `sender` (use after one of them failed to execute).
    pub fn mark_invalid(&mut self, sender: &Address) {
        if let Some(key) = self.heads.remove(sender) {
            self.ready.remove(&key);
        }
        self.waiting.remove(sender);
    }

    /// Moves the sender's next waiting transaction into `ready`, or forgets the sender when it
    /// has none left or the next one cannot pay the current fees.
    fn advance(&mut self, sender: Address) {
        let Some(queue) = self.waiting.get_mut(&sender) else { return };
        let next = queue.pop_front().and_then(|candidate| {
            let tip = candidate.tx.effective_tip(self.base_fee)?;
            candidate.tx.covers_blob_fee(self.blob_base_fee).then_some((candidate, tip))
        });
        match next {
            Some((candidate, tip)) => {
                let key = ReadyKey { tip: Reverse(tip), submission_id: candidate.submission_id };
                self.ready.insert(key, candidate.tx);
                self.heads.insert(sender, key);
            }
            None => {
                self.waiting.remove(&sender);
            }
        }
    }
}

impl Iterator for BestTransactions {
    type Item = Arc<PooledTransaction>;

    fn next(&mut self) -> Option<Self::Item> {
        let (_, tx) = self.ready.pop_first()?;
        self.heads.remove(&tx.sender);
        self.advance(tx.sender);
        Some(tx)
    }
}
