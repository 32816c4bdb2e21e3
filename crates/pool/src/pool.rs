//! The pool proper: per-sender nonce-ordered transactions split into pending and queued,
//! replacement, eviction and the reaction to new canonical blocks.

use crate::{
    AccountInfoProvider, BestTransactions, PoolConfig, PoolError, PoolMetrics, PooledTransaction,
    ValidationContext, best::Candidate, validate::validate_stateless,
};
use alloy_primitives::{Address, B256, U256};
use phala_primitives::TxEnvelope;
use std::{
    cmp::Reverse,
    collections::{BTreeMap, VecDeque},
    sync::Arc,
};

/// Which part of the pool a transaction is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubPool {
    /// Part of the sender's gapless, affordable nonce run from the account nonce: executable in
    /// nonce order (once the base fee allows).
    Pending,
    /// Behind a nonce gap or beyond what the sender's balance covers.
    Queued,
}

/// Result of a successful [`TxPool::add_transaction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOutcome {
    /// Hash of the added transaction.
    pub hash: B256,
    /// Where the transaction went.
    pub sub_pool: SubPool,
    /// Hash of the transaction it replaced (same sender and nonce), if any.
    pub replaced: Option<B256>,
}

/// A pooled transaction with its arrival order and sub-pool.
#[derive(Debug, Clone)]
struct PoolEntry {
    tx: Arc<PooledTransaction>,
    /// Arrival order: a pool-wide counter, so ordering never depends on clocks.
    submission_id: u64,
    sub_pool: SubPool,
}

/// One sender's transactions and the account state they were last checked against.
#[derive(Debug)]
struct SenderTxs {
    state_nonce: u64,
    balance: U256,
    txs: BTreeMap<u64, PoolEntry>,
}

impl SenderTxs {
    /// The sender's pending run, lowest nonce first.
    fn pending(&self) -> impl Iterator<Item = &PoolEntry> {
        self.txs.values().take_while(|entry| entry.sub_pool == SubPool::Pending)
    }
}

/// The transaction pool.
///
/// Not internally synchronised: callers share it behind a lock.
///
/// Invariants (restored by every mutation):
/// - every sender's transactions have nonces at or above its last seen account nonce and each
///   costs at most its last seen balance;
/// - a sender's pending transactions are the longest gapless run from the account nonce whose
///   cumulative cost the balance covers; the rest are queued, not dropped, so they return to
///   pending when a gap fills or the balance grows;
/// - the pool holds at most [`PoolConfig::capacity`] transactions.
#[derive(Debug)]
pub struct TxPool {
    config: PoolConfig,
    /// Sender and nonce of every pooled transaction.
    by_hash: BTreeMap<B256, (Address, u64)>,
    senders: BTreeMap<Address, SenderTxs>,
    next_submission_id: u64,
    /// Latest known base fee, used to price eviction victims.
    base_fee: u64,
    metrics: PoolMetrics,
}

impl TxPool {
    /// An empty pool.
    pub const fn new(config: PoolConfig) -> Self {
        Self {
            config,
            by_hash: BTreeMap::new(),
            senders: BTreeMap::new(),
            next_submission_id: 0,
            base_fee: 0,
            metrics: PoolMetrics { inserted: 0, rejected: BTreeMap::new(), evicted: 0 },
        }
    }

    /// Admissions, rejections and evictions so far.
    pub const fn metrics(&self) -> &PoolMetrics {
        &self.metrics
    }

    /// The pool's configuration.
    pub const fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Validates `tx` (stateless checks, then against `sender`'s account in `state`) and inserts
    /// it. `sender` must already be recovered from the signature by the caller.
    ///
    /// A fee cap below the current base fee is accepted: the transaction waits until the base fee
    /// falls. A transaction with the nonce of one already pooled for the sender replaces it only
    /// if both its fee cap and tip cap are at least `price_bump_percent` higher. A sender must be
    /// able to pay for the transaction after its lower-nonce pooled transactions. When the pool is
    /// full, the cheapest tail transaction of any sender is evicted, or the new transaction is
    /// rejected if it is itself that cheapest one.
    pub fn add_transaction(
        &mut self,
        tx: TxEnvelope,
        sender: Address,
        state: &impl AccountInfoProvider,
        ctx: &ValidationContext,
    ) -> Result<AddOutcome, PoolError> {
        let result = self.admit(tx, sender, state, ctx);
        self.metrics.record(&result);
        result
    }

    fn admit(
        &mut self,
        tx: TxEnvelope,
        sender: Address,
        state: &impl AccountInfoProvider,
        ctx: &ValidationContext,
    ) -> Result<AddOutcome, PoolError> {
        if self.by_hash.contains_key(tx.tx_hash()) {
            return Err(PoolError::AlreadyKnown);
        }
        let tx = PooledTransaction::new(tx, sender);
        validate_stateless(&tx, ctx, &self.config)?;

        let nonce = tx.nonce();
        if nonce == u64::MAX {
            return Err(PoolError::NonceMax { address: sender, nonce });
        }
        let (state_nonce, balance) = state.nonce_and_balance(sender)?;
        if nonce < state_nonce {
            return Err(PoolError::NonceTooLow { address: sender, tx: nonce, state: state_nonce });
        }

        let existing = self.senders.get(&sender);
        match existing.and_then(|account| account.txs.get(&nonce)) {
            Some(old) => {
                if !self.is_sufficient_bump(&old.tx, &tx) {
                    return Err(PoolError::ReplacementUnderpriced);
                }
            }
            None => {
                let live = existing.map_or(0, |account| account.txs.range(state_nonce..).count());
                if live >= self.config.max_account_slots {
                    return Err(PoolError::AccountLimitExceeded);
                }
            }
        }
        if tx.cost() > balance {
            return Err(PoolError::InsufficientFunds {
                address: sender,
                have: balance,
                want: tx.cost(),
            });
        }
        // The sender has to pay for its lower nonces first; later nonces that no longer fit
        // after a costlier replacement are queued by `reorganize`, not rejected here.
        let spent = existing.map_or(U256::ZERO, |account| {
            account
                .txs
                .range(state_nonce..nonce)
                .fold(U256::ZERO, |sum, (_, entry)| sum.saturating_add(entry.tx.cost()))
        });
        let need = spent.saturating_add(tx.cost());
        if need > balance {
            return Err(PoolError::InsufficientFunds {
                address: sender,
                have: balance,
                want: need,
            });
        }

        self.base_fee = ctx.base_fee;
        let hash = tx.hash;
        let submission_id = self.next_submission_id;
        self.next_submission_id += 1;
        let account = self.senders.entry(sender).or_insert_with(|| SenderTxs {
            state_nonce,
            balance,
            txs: BTreeMap::new(),
        });
        account.state_nonce = state_nonce;
        account.balance = balance;
        let entry = PoolEntry { tx: Arc::new(tx), submission_id, sub_pool: SubPool::Queued };
        let replaced = account.txs.insert(nonce, entry).map(|old| old.tx.hash);
        if let Some(old) = &replaced {
            self.by_hash.remove(old);
        }
        self.by_hash.insert(hash, (sender, nonce));
        self.reorganize(sender);

        if replaced.is_none() {
            self.enforce_capacity(hash)?;
        }
        let sub_pool = self
            .senders
            .get(&sender)
            .and_then(|account| account.txs.get(&nonce))
            .map_or(SubPool::Queued, |entry| entry.sub_pool);
        Ok(AddOutcome { hash, sub_pool, replaced })
    }

    /// Executable transactions for a block with `base_fee`, best effective tip first; see
    /// [`BestTransactions`]. Blob transactions are yielded whatever their blob fee cap; use
    /// [`best_transactions_with_blob_fee`](Self::best_transactions_with_blob_fee) when blobs are
    /// enabled.
    pub fn best_transactions(&self, base_fee: u64) -> BestTransactions {
        self.best_transactions_with_blob_fee(base_fee, None)
    }

    /// Like [`best_transactions`](Self::best_transactions), and also holds back blob transactions
    /// whose blob fee cap is below `blob_base_fee` (with the sender's later nonces).
    pub fn best_transactions_with_blob_fee(
        &self,
        base_fee: u64,
        blob_base_fee: Option<u128>,
    ) -> BestTransactions {
        let pending = self
            .senders
            .iter()
            .map(|(sender, account)| {
                let run: VecDeque<Candidate> = account
                    .pending()
                    .map(|entry| Candidate {
                        tx: Arc::clone(&entry.tx),
                        submission_id: entry.submission_id,
                    })
                    .collect();
                (*sender, run)
            })
            .filter(|(_, run)| !run.is_empty())
            .collect();
        BestTransactions::new(pending, base_fee, blob_base_fee)
    }

    /// Brings the pool in line with the latest state after a block is committed.
    ///
    /// Every sender's account is re-read: transactions below the new account nonce (mined or
    /// made stale) are dropped, as are transactions that alone cost more than the new balance;
    /// the rest are re-split into pending and queued (promoting when a gap closed, demoting when
    /// one opened or the balance no longer covers them). `base_fee` becomes the base fee eviction
    /// prices against. A sender whose state cannot be read is left as it was.
    pub fn on_canonical_block(&mut self, state: &impl AccountInfoProvider, base_fee: u64) {
        self.base_fee = base_fee;
        let senders: Vec<Address> = self.senders.keys().copied().collect();
        for sender in senders {
            let Ok((state_nonce, balance)) = state.nonce_and_balance(sender) else { continue };
            if let Some(account) = self.senders.get_mut(&sender) {
                account.state_nonce = state_nonce;
                account.balance = balance;
            }
            self.reorganize(sender);
        }
    }

    /// Removes the transactions with the given hashes (unknown hashes are ignored) and returns
    /// them in the order given. Later nonces of their senders are demoted to queued.
    pub fn remove(&mut self, hashes: &[B256]) -> Vec<Arc<PooledTransaction>> {
        let mut removed = Vec::new();
        let mut touched = Vec::new();
        for hash in hashes {
            if let Some(tx) = self.take(hash) {
                touched.push(tx.sender);
                removed.push(tx);
            }
        }
        touched.sort();
        touched.dedup();
        for sender in touched {
            self.reorganize(sender);
        }
        removed
    }

    /// The pooled transaction with `hash`.
    pub fn get(&self, hash: &B256) -> Option<Arc<PooledTransaction>> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.senders.get(sender)?.txs.get(nonce).map(|entry| Arc::clone(&entry.tx))
    }

    /// Whether a transaction with `hash` is pooled.
    pub fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Pending transactions by sender and nonce (for `txpool_content`).
    pub fn pending(&self) -> BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>> {
        self.sub_pool(SubPool::Pending)
    }

    /// Queued transactions by sender and nonce (for `txpool_content`).
    pub fn queued(&self) -> BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>> {
        self.sub_pool(SubPool::Queued)
    }

    /// Number of pending and queued transactions.
    pub fn status(&self) -> (usize, usize) {
        let pending: usize = self.senders.values().map(|account| account.pending().count()).sum();
        (pending, self.len() - pending)
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The nonce after the sender's pending run, i.e. the nonce its next transaction should use
    /// (`eth_getTransactionCount` at "pending"); `None` if the sender has no pending transaction.
    pub fn pending_nonce(&self, sender: &Address) -> Option<u64> {
        // Pooled nonces are below u64::MAX (EIP-2681 check on admission).
        self.senders.get(sender)?.pending().last().map(|entry| entry.tx.nonce() + 1)
    }

    fn sub_pool(&self, which: SubPool) -> BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>> {
        self.senders
            .iter()
            .map(|(sender, account)| {
                let txs: BTreeMap<u64, Arc<PooledTransaction>> = account
                    .txs
                    .iter()
                    .filter(|(_, entry)| entry.sub_pool == which)
                    .map(|(nonce, entry)| (*nonce, Arc::clone(&entry.tx)))
                    .collect();
                (*sender, txs)
            })
            .filter(|(_, txs)| !txs.is_empty())
            .collect()
    }

    /// Whether `new` pays enough more than `old` to replace it: both fee caps strictly above the
    /// old ones and at least `price_bump_percent` higher (integer math, as geth).
    fn is_sufficient_bump(&self, old: &PooledTransaction, new: &PooledTransaction) -> bool {
        let bumped = |old: u128, new: u128| {
            let threshold = U256::from(old) * U256::from(100 + self.config.price_bump_percent)
                / U256::from(100);
            new > old && U256::from(new) >= threshold
        };
        bumped(old.max_fee_per_gas(), new.max_fee_per_gas())
            && bumped(old.max_priority_fee_per_gas(), new.max_priority_fee_per_gas())
    }

    /// Removes one transaction without re-splitting its sender.
    fn take(&mut self, hash: &B256) -> Option<Arc<PooledTransaction>> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        let account = self.senders.get_mut(&sender)?;
        let entry = account.txs.remove(&nonce)?;
        if account.txs.is_empty() {
            self.senders.remove(&sender);
        }
        Some(entry.tx)
    }

    /// Restores the invariants for `sender` against its cached account state: drops stale and
    /// unaffordable transactions and re-splits the rest into pending and queued.
    fn reorganize(&mut self, sender: Address) {
        let Some(account) = self.senders.get_mut(&sender) else { return };
        let mut dropped = Vec::new();

        let current = account.txs.split_off(&account.state_nonce);
        let stale = std::mem::replace(&mut account.txs, current);
        dropped.extend(stale.into_values().map(|entry| entry.tx.hash));

        let balance = account.balance;
        account.txs.retain(|_, entry| {
            let affordable = entry.tx.cost() <= balance;
            if !affordable {
                dropped.push(entry.tx.hash);
            }
            affordable
        });

        let mut next_nonce = account.state_nonce;
        let mut spent = U256::ZERO;
        let mut executable = true;
        for (nonce, entry) in &mut account.txs {
            if executable {
                let total = spent.saturating_add(entry.tx.cost());
                executable = *nonce == next_nonce && total <= balance;
                spent = total;
                next_nonce = nonce.saturating_add(1);
            }
            entry.sub_pool = if executable { SubPool::Pending } else { SubPool::Queued };
        }

        if account.txs.is_empty() {
            self.senders.remove(&sender);
        }
        for hash in dropped {
            self.by_hash.remove(&hash);
        }
    }

    /// Evicts until the pool is within capacity. Only the last nonce of a sender is evicted, so
    /// eviction never opens a gap; among those, queued before pending, then the lowest effective
    /// tip at the latest base fee (fee cap below it first), then the latest arrival. If that
    /// victim is `new`, it is removed and the add fails with [`PoolError::TxPoolFull`].
    fn enforce_capacity(&mut self, new: B256) -> Result<(), PoolError> {
        while self.len() > self.config.capacity() {
            let victim = self
                .senders
                .values()
                .filter_map(|account| account.txs.values().next_back())
                .min_by_key(|entry| {
                    (
                        entry.sub_pool == SubPool::Pending,
                        entry.tx.effective_tip(self.base_fee),
                        Reverse(entry.submission_id),
                    )
                })
                .map(|entry| entry.tx.hash);
            let Some(hash) = victim else { break };
            // A sender's last nonce: removing it changes no other transaction's sub-pool.
            self.take(&hash);
            if hash == new {
                return Err(PoolError::TxPoolFull);
            }
            self.metrics.evicted += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils::{FakeState, RICH, Signer, blob_tx, context, eip1559};

    /// Adds a 21000-gas EIP-1559 transfer with fee cap 100.
    fn add(
        pool: &mut TxPool,
        state: &FakeState,
        signer: &Signer,
        nonce: u64,
        tip: u128,
    ) -> Result<AddOutcome, PoolError> {
        add_priced(pool, state, signer, nonce, 100, tip)
    }

    fn add_priced(
        pool: &mut TxPool,
        state: &FakeState,
        signer: &Signer,
        nonce: u64,
        max_fee: u128,
        tip: u128,
    ) -> Result<AddOutcome, PoolError> {
        let tx = eip1559(signer, nonce, max_fee, tip, 21_000);
        pool.add_transaction(tx, signer.address, state, &context())
    }

    /// `(sender index, nonce)` of what `best` yields, given the signers by index.
    fn drain(best: BestTransactions, signers: &[Signer]) -> Vec<(usize, u64)> {
        best.map(|tx| {
            let index = signers.iter().position(|s| s.address == tx.sender).expect("known sender");
            (index, tx.nonce())
        })
        .collect()
    }

    fn nonces(
        txs: &BTreeMap<Address, BTreeMap<u64, Arc<PooledTransaction>>>,
        who: &Signer,
    ) -> Vec<u64> {
        txs.get(&who.address).map(|txs| txs.keys().copied().collect()).unwrap_or_default()
    }

    /// Cost of the 21000-gas, fee cap 100, 1-wei transfers `add` creates.
    const COST: u64 = 21_000 * 100 + 1;

    #[test]
    fn rejects_nonces_below_the_account_nonce() {
        let signer = Signer::new(1);
        let mut state = FakeState::default();
        state.set(signer.address, 5, U256::from(RICH));
        let mut pool = TxPool::new(PoolConfig::default());
        let err = add(&mut pool, &state, &signer, 3, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("nonce too low: address {}, tx: 3 state: 5", signer.address.to_checksum(None))
        );
        assert_eq!(add(&mut pool, &state, &signer, 5, 1).unwrap().sub_pool, SubPool::Pending);
    }

    #[test]
    fn rejects_transactions_the_sender_cannot_pay_for() {
        let signer = Signer::new(1);
        let mut state = FakeState::default();
        state.set(signer.address, 0, U256::from(1_000));
        let mut pool = TxPool::new(PoolConfig::default());
        let err = add(&mut pool, &state, &signer, 0, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "insufficient funds for gas * price + value: address {} have 1000 want {COST}",
                signer.address
            )
        );

        // Enough for one transfer, not for two.
        state.set(signer.address, 0, U256::from(COST * 3 / 2));
        add(&mut pool, &state, &signer, 0, 1).unwrap();
        let err = add(&mut pool, &state, &signer, 1, 1).unwrap_err();
        assert_eq!(
            err,
            PoolError::InsufficientFunds {
                address: signer.address,
                have: U256::from(COST * 3 / 2),
                want: U256::from(2 * COST),
            }
        );
    }

    #[test]
    fn rejects_known_transactions() {
        let signer = Signer::new(1);
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        let tx = eip1559(&signer, 0, 100, 1, 21_000);
        let outcome = pool.add_transaction(tx.clone(), signer.address, &state, &context()).unwrap();
        assert_eq!(
            outcome,
            AddOutcome { hash: *tx.tx_hash(), sub_pool: SubPool::Pending, replaced: None }
        );
        let err = pool.add_transaction(tx, signer.address, &state, &context()).unwrap_err();
        assert_eq!(err.to_string(), "already known");
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn replaces_only_with_a_bump_on_both_fee_caps() {
        let signer = Signer::new(1);
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        let old = add_priced(&mut pool, &state, &signer, 0, 100, 10).unwrap().hash;

        for (max_fee, tip) in [(110, 10), (109, 11), (100, 20), (200, 10)] {
            let err = add_priced(&mut pool, &state, &signer, 0, max_fee, tip).unwrap_err();
            assert_eq!(err.to_string(), "replacement transaction underpriced", "{max_fee}/{tip}");
        }
        let new = add_priced(&mut pool, &state, &signer, 0, 110, 11).unwrap();
        assert_eq!(new.replaced, Some(old));
        assert_eq!(new.sub_pool, SubPool::Pending);
        assert!(!pool.contains(&old));
        assert!(pool.contains(&new.hash));
        assert_eq!(pool.get(&new.hash).unwrap().max_fee_per_gas(), 110);
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.status(), (1, 0));
    }

    #[test]
    fn replacement_of_a_zero_tip_needs_a_strictly_higher_tip() {
        let signer = Signer::new(1);
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        add_priced(&mut pool, &state, &signer, 0, 100, 0).unwrap();
        let err = add_priced(&mut pool, &state, &signer, 0, 200, 0).unwrap_err();
        assert_eq!(err, PoolError::ReplacementUnderpriced);
        assert!(add_priced(&mut pool, &state, &signer, 0, 200, 1).unwrap().replaced.is_some());
    }

    #[test]
    fn limits_transactions_per_sender() {
        let signer = Signer::new(1);
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig { max_account_slots: 2, ..Default::default() });
        add(&mut pool, &state, &signer, 0, 1).unwrap();
        add(&mut pool, &state, &signer, 1, 1).unwrap();
        let err = add(&mut pool, &state, &signer, 2, 1).unwrap_err();
        assert_eq!(err.to_string(), "account limit exceeded");
        // Replacements take no new slot.
        assert!(add_priced(&mut pool, &state, &signer, 1, 110, 2).unwrap().replaced.is_some());
        // Other senders are not affected.
        add(&mut pool, &state, &Signer::new(2), 0, 1).unwrap();
    }

    #[test]
    fn queues_behind_a_gap_and_promotes_when_it_fills() {
        let signer = Signer::new(1);
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        assert_eq!(pool.pending_nonce(&signer.address), None);

        assert_eq!(add(&mut pool, &state, &signer, 0, 1).unwrap().sub_pool, SubPool::Pending);
        assert_eq!(add(&mut pool, &state, &signer, 2, 1).unwrap().sub_pool, SubPool::Queued);
        assert_eq!(add(&mut pool, &state, &signer, 3, 1).unwrap().sub_pool, SubPool::Queued);
        assert_eq!(pool.status(), (1, 2));
        assert_eq!(pool.pending_nonce(&signer.address), Some(1));
        assert_eq!(nonces(&pool.pending(), &signer), [0]);
        assert_eq!(nonces(&pool.queued(), &signer), [2, 3]);
        assert_eq!(drain(pool.best_transactions(10), &[signer]), [(0, 0)]);

        assert_eq!(add(&mut pool, &state, &signer, 1, 1).unwrap().sub_pool, SubPool::Pending);
        assert_eq!(pool.status(), (4, 0));
        assert_eq!(pool.pending_nonce(&signer.address), Some(4));
        assert!(pool.queued().is_empty());
        assert_eq!(drain(pool.best_transactions(10), &[signer]), [(0, 0), (0, 1), (0, 2), (0, 3)]);
    }

    #[test]
    fn queues_what_the_balance_covers_only_after_a_costlier_replacement() {
        let signer = Signer::new(1);
        let mut state = FakeState::default();
        state.set(signer.address, 0, U256::from(3 * COST));
        let mut pool = TxPool::new(PoolConfig::default());
        for nonce in 0..3 {
            add(&mut pool, &state, &signer, nonce, 1).unwrap();
        }
        assert_eq!(pool.status(), (3, 0));
        // Nonce 0 now costs twice as much: nonce 2 no longer fits and waits in the queue.
        add_priced(&mut pool, &state, &signer, 0, 200, 2).unwrap();
        assert_eq!(nonces(&pool.pending(), &signer), [0, 1]);
        assert_eq!(nonces(&pool.queued(), &signer), [2]);
        assert_eq!(pool.pending_nonce(&signer.address), Some(2));
    }

    #[test]
    fn orders_by_effective_tip_across_senders_and_nonce_within() {
        let signers: Vec<Signer> = (1..=4).map(Signer::new).collect();
        let [a, b, c, d] = [signers[0], signers[1], signers[2], signers[3]];
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        add(&mut pool, &state, &a, 0, 1).unwrap();
        add(&mut pool, &state, &a, 1, 9).unwrap();
        add(&mut pool, &state, &b, 0, 5).unwrap();
        add(&mut pool, &state, &b, 1, 3).unwrap();
        add(&mut pool, &state, &c, 0, 5).unwrap();
        // Tip 12 but fee cap 12: at base fee 10 it pays 2.
        add_priced(&mut pool, &state, &d, 0, 12, 12).unwrap();

        let order = drain(pool.best_transactions(10), &signers);
        assert_eq!(order, [(1, 0), (2, 0), (1, 1), (3, 0), (0, 0), (0, 1)]);

        // At base fee 0, d pays its full tip of 12 and goes first.
        let order = drain(pool.best_transactions(0), &signers);
        assert_eq!(order, [(3, 0), (1, 0), (2, 0), (1, 1), (0, 0), (0, 1)]);
    }

    #[test]
    fn mark_invalid_skips_the_rest_of_a_sender() {
        let signers: Vec<Signer> = (1..=2).map(Signer::new).collect();
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        add(&mut pool, &state, &signers[0], 0, 9).unwrap();
        add(&mut pool, &state, &signers[0], 1, 9).unwrap();
        add(&mut pool, &state, &signers[0], 2, 9).unwrap();
        add(&mut pool, &state, &signers[1], 0, 1).unwrap();

        let mut best = pool.best_transactions(10);
        let first = best.next().unwrap();
        assert_eq!((first.sender, first.nonce()), (signers[0].address, 0));
        best.mark_invalid(&signers[0].address);
        assert_eq!(drain(best, &signers), [(1, 0)]);
        // The pool itself is untouched.
        assert_eq!(pool.len(), 4);
    }

    #[test]
    fn best_holds_back_fee_caps_below_the_base_fee() {
        let signers: Vec<Signer> = (1..=2).map(Signer::new).collect();
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        add_priced(&mut pool, &state, &signers[0], 0, 5, 2).unwrap();
        add(&mut pool, &state, &signers[0], 1, 9).unwrap();
        add(&mut pool, &state, &signers[1], 0, 1).unwrap();
        assert_eq!(pool.status(), (3, 0));

        // Nonce 0 of the first sender cannot pay base fee 10, so its nonce 1 waits as well.
        assert_eq!(drain(pool.best_transactions(10), &signers), [(1, 0)]);
        assert_eq!(drain(pool.best_transactions(5), &signers), [(1, 0), (0, 0), (0, 1)]);
    }

    #[test]
    fn best_with_blob_fee_holds_back_low_blob_fee_caps() {
        let signer = Signer::new(1);
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        let tx = blob_tx(&signer, 0, 100, 1, 1, 3);
        pool.add_transaction(tx, signer.address, &state, &context()).unwrap();
        add(&mut pool, &state, &signer, 1, 1).unwrap();

        let signers = [signer];
        assert!(drain(pool.best_transactions_with_blob_fee(10, Some(4)), &signers).is_empty());
        assert_eq!(drain(pool.best_transactions_with_blob_fee(10, Some(3)), &signers).len(), 2);
        assert_eq!(drain(pool.best_transactions(10), &signers).len(), 2);
    }

    #[test]
    fn canonical_block_drops_mined_and_promotes() {
        let signer = Signer::new(1);
        let mut state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        let mined: Vec<B256> =
            (0..2).map(|nonce| add(&mut pool, &state, &signer, nonce, 1).unwrap().hash).collect();
        add(&mut pool, &state, &signer, 3, 1).unwrap();
        assert_eq!(pool.status(), (2, 1));

        // Nonces 0..=2 were mined (2 came from elsewhere): 3 becomes executable.
        state.set(signer.address, 3, U256::from(RICH));
        pool.on_canonical_block(&state, 10);
        assert!(mined.iter().all(|hash| !pool.contains(hash)));
        assert_eq!(nonces(&pool.pending(), &signer), [3]);
        assert_eq!(pool.status(), (1, 0));
        assert_eq!(pool.pending_nonce(&signer.address), Some(4));

        state.set(signer.address, 4, U256::from(RICH));
        pool.on_canonical_block(&state, 10);
        assert!(pool.is_empty());
        assert_eq!(pool.pending_nonce(&signer.address), None);
    }

    #[test]
    fn canonical_block_demotes_after_a_balance_drop() {
        let signer = Signer::new(1);
        let mut state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        add(&mut pool, &state, &signer, 0, 1).unwrap();
        // Ten times the cost of the others.
        add_priced(&mut pool, &state, &signer, 1, 1_000, 1).unwrap();
        add(&mut pool, &state, &signer, 2, 1).unwrap();
        add(&mut pool, &state, &signer, 3, 1).unwrap();
        assert_eq!(pool.status(), (4, 0));

        // Nonce 1 alone now costs more than the balance: dropped, and the gap it leaves queues
        // nonces 2 and 3.
        state.set(signer.address, 0, U256::from(5 * COST));
        pool.on_canonical_block(&state, 10);
        assert_eq!(pool.len(), 3);
        assert_eq!(nonces(&pool.pending(), &signer), [0]);
        assert_eq!(nonces(&pool.queued(), &signer), [2, 3]);

        // The gap fills; the balance covers nonces 1..=2 but not 3.
        state.set(signer.address, 2, U256::from(COST * 3 / 2));
        pool.on_canonical_block(&state, 10);
        assert_eq!(nonces(&pool.pending(), &signer), [2]);
        assert_eq!(nonces(&pool.queued(), &signer), [3]);

        // More funds: promoted again.
        state.set(signer.address, 2, U256::from(2 * COST));
        pool.on_canonical_block(&state, 10);
        assert_eq!(nonces(&pool.pending(), &signer), [2, 3]);
    }

    #[test]
    fn canonical_block_keeps_senders_whose_state_cannot_be_read() {
        let signer = Signer::new(1);
        let mut state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        add(&mut pool, &state, &signer, 0, 1).unwrap();
        state.failing = true;
        pool.on_canonical_block(&state, 10);
        assert_eq!(pool.status(), (1, 0));
    }

    #[test]
    fn remove_demotes_later_nonces() {
        let signer = Signer::new(1);
        let state = FakeState::default();
        let mut pool = TxPool::new(PoolConfig::default());
        let hashes: Vec<B256> =
            (0..3).map(|nonce| add(&mut pool, &state, &signer, nonce, 1).unwrap().hash).collect();

        let removed = pool.remove(&[hashes[1], B256::repeat_byte(0x42)]);
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].hash, hashes[1]);
        assert!(pool.get(&hashes[1]).is_none());
        assert_eq!(nonces(&pool.pending(), &signer), [0]);
        assert_eq!(nonces(&pool.queued(), &signer), [2]);

        let removed = pool.remove(&[hashes[2], hashes[0]]);
        assert_eq!(removed.iter().map(|tx| tx.hash).collect::<Vec<_>>(), [hashes[2], hashes[0]]);
        assert!(pool.is_empty());
        assert!(pool.pending().is_empty() && pool.queued().is_empty());
    }

    #[test]
    fn evicts_queued_then_cheapest_pending_tail_at_capacity() {
        let signers: Vec<Signer> = (1..=6).map(Signer::new).collect();
        let state = FakeState::default();
        let mut pool =
            TxPool::new(PoolConfig { global_slots: 2, global_queue: 1, ..Default::default() });
        assert_eq!(pool.config().capacity(), 3);
        add(&mut pool, &state, &signers[0], 0, 5).unwrap();
        add(&mut pool, &state, &signers[1], 0, 5).unwrap();
        let queued = add(&mut pool, &state, &signers[2], 2, 9).unwrap();
        assert_eq!(queued.sub_pool, SubPool::Queued);

        // Full: the queued transaction goes first, however well it pays.
        let cheap = add(&mut pool, &state, &signers[3], 0, 1).unwrap().hash;
        assert!(!pool.contains(&queued.hash));
        assert_eq!(pool.status(), (3, 0));

        // A newcomer paying no more than the cheapest is turned away.
        let err = add(&mut pool, &state, &signers[4], 0, 1).unwrap_err();
        assert_eq!(err.to_string(), "txpool is full");
        assert_eq!(pool.len(), 3);
        assert!(pool.contains(&cheap));

        // One paying more evicts the cheapest.
        add(&mut pool, &state, &signers[5], 0, 2).unwrap();
        assert!(!pool.contains(&cheap));
        assert_eq!(pool.len(), 3);

        // Five admitted (two of them evicted later), one turned away.
        let metrics = pool.metrics();
        assert_eq!((metrics.inserted, metrics.evicted), (5, 2));
        assert_eq!(metrics.rejected.iter().collect::<Vec<_>>(), [(&"txpool_full", &1)]);
        let mut page = phala_metrics::Exposition::new();
        pool.encode_metrics(&mut page);
        let page = page.finish();
        assert!(page.contains("\nphala_txpool_pending 3\n"), "{page}");
        assert!(page.contains("\nphala_txpool_rejected_total{reason=\"txpool_full\"} 1\n"));
    }

    #[test]
    fn evicts_only_sender_tails_and_fee_caps_below_base_fee_first() {
        let signers: Vec<Signer> = (1..=4).map(Signer::new).collect();
        let state = FakeState::default();
        let mut pool =
            TxPool::new(PoolConfig { global_slots: 3, global_queue: 0, ..Default::default() });
        let low_head = add(&mut pool, &state, &signers[0], 0, 1).unwrap().hash;
        add(&mut pool, &state, &signers[0], 1, 9).unwrap();
        let victim = add(&mut pool, &state, &signers[1], 0, 5).unwrap().hash;

        // The cheapest transaction is the first sender's nonce 0, but evicting it would leave a
        // gap: the cheapest tail goes instead.
        add(&mut pool, &state, &signers[2], 0, 6).unwrap();
        assert!(pool.contains(&low_head));
        assert!(!pool.contains(&victim));

        // A fee cap below the base fee prices lowest of all.
        let underwater = add_priced(&mut pool, &state, &signers[3], 0, 5, 5);
        assert_eq!(underwater.unwrap_err(), PoolError::TxPoolFull);
        let high = add(&mut pool, &state, &signers[3], 0, 7).unwrap().hash;
        assert!(pool.contains(&high));
        assert_eq!(pool.len(), 3);
    }
}
