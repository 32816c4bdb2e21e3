//! Transaction pool of phala-node: admission, pending/queued sub-pools, replacement, eviction and
//! the ordering a block builder consumes, with geth's semantics and error messages.
//!
//! Key components:
//! - [`TxPool`]: per-sender, nonce-ordered transactions split into [`SubPool::Pending`] (gapless
//!   and affordable from the account nonce) and [`SubPool::Queued`]; replacement by price bump,
//!   per-sender and global limits, and [`TxPool::on_canonical_block`] to follow the chain.
//! - [`BestTransactions`]: executable transactions by effective tip, each sender in nonce order,
//!   with [`BestTransactions::mark_invalid`] to skip a sender whose transaction failed.
//! - [`ValidationContext`] / [`ForkRules`]: the next block's facts for the stateless checks;
//!   [`AccountInfoProvider`]: the account state for the stateful ones.
//! - [`PooledTransaction`]: a signed transaction with its sender and cached fee and cost fields.
//! - [`PoolError`]: admission failures, displayed exactly as geth words them.
//! - [`PoolMetrics`]: admissions, rejections by reason and evictions;
//!   [`TxPool::encode_metrics`] writes them with the pool sizes.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod best;
mod config;
mod error;
mod metrics;
mod pool;
mod transaction;
mod validate;

pub use best::BestTransactions;
pub use config::PoolConfig;
pub use error::PoolError;
pub use metrics::PoolMetrics;
pub use pool::{AddOutcome, SubPool, TxPool};
pub use transaction::PooledTransaction;
pub use validate::{AccountInfoProvider, ForkRules, ValidationContext};

#[cfg(test)]
mod test_utils;
