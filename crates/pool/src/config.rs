//! Pool limits and pricing rules.

/// Limits and pricing rules of a [`TxPool`](crate::TxPool).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most transactions (pending and queued) one sender may have in the pool.
    pub max_account_slots: usize,
    /// Capacity meant for pending transactions (geth's `GlobalSlots`).
    pub global_slots: usize,
    /// Capacity meant for queued transactions (geth's `GlobalQueue`).
    ///
    /// The pool enforces the sum `global_slots + global_queue` as one capacity; queued
    /// transactions are evicted before pending ones, so pending transactions are not crowded
    /// out by queued ones.
    pub global_queue: usize,
    /// Percentage by which both fee caps of a replacement must exceed the replaced transaction's.
    pub price_bump_percent: u64,
    /// Largest accepted encoded transaction, in bytes (blob sidecars excluded).
    pub max_tx_size: usize,
    /// Smallest accepted priority fee (gas price for legacy transactions), in wei.
    pub min_priority_fee: u128,
}

impl PoolConfig {
    /// geth's limits.
    pub const DEFAULT: Self = Self {
        max_account_slots: 64,
        global_slots: 5_120,
        global_queue: 1_024,
        price_bump_percent: 10,
        max_tx_size: 128 * 1024,
        min_priority_fee: 0,
    };
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl PoolConfig {
    /// Total number of transactions the pool holds.
    pub const fn capacity(&self) -> usize {
        self.global_slots.saturating_add(self.global_queue)
    }
}
