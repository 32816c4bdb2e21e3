//! A dev chain's controls (`--dev`), which the cheat RPCs (`anvil_*`, `hardhat_*`, `evm_*`)
//! drive: state changes waiting for the next block, the clock, snapshots, the mining mode and
//! impersonation.
//!
//! A cheat never rewrites a sealed block. What it sets is held as pending [`StateChanges`] that
//! every read of the latest state sees, and the next block carries them before its transactions,
//! so its state root, change sets and history cover them like any other change. The pending
//! changes, the clock and the snapshots are kept in [`Table::Dev`], so they survive a restart
//! (anvil forgets them); a snapshot records the head, and reverting to it unwinds the database.

use crate::{Engine, EngineError};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, Signature, U256, keccak256};
use phala_chain::{BlockAttributes, ImportOutcome};
use phala_evm::op_spec_at_timestamp;
use phala_primitives::{
    Account, AccountChange, ChainSpec, EthereumHardforks, Header, PhalaTxEnvelope, StateChanges,
    StateOverlay, StateReader, TxEnvelope,
};
use phala_protocol::{L1BlockInfo, L1InfoFormat};
use phala_storage::{KeyValueRead, LatestState, StateEntry, StateWriter, Table, WriteSet};
use serde::{Deserialize, Serialize};
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc, Mutex, MutexGuard, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::watch;

/// When the dev sequencer seals blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MiningMode {
    /// A block as soon as a transaction arrives (anvil's automine).
    Auto,
    /// A block at this interval, empty or not.
    Interval(Duration),
    /// Only when asked (`anvil_mine`, `evm_mine`).
    Manual,
}

/// Why a dev control refused.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// The chain is not a dev chain.
    #[error("only available on a dev chain (--dev)")]
    NotDevChain,
    /// No snapshot has this id (or it was reverted already).
    #[error("unknown snapshot id {0}")]
    UnknownSnapshot(u64),
    /// The snapshot's block is no longer on the canonical chain.
    #[error("the block of snapshot {id} ({hash}) is no longer canonical")]
    SnapshotNotCanonical {
        /// Snapshot id.
        id: u64,
        /// Its block.
        hash: B256,
    },
    /// The next block's timestamp must follow the head's.
    #[error("timestamp {timestamp} is not after the head block's timestamp {head}")]
    TimestampNotAfterHead {
        /// The timestamp asked for.
        timestamp: u64,
        /// The head's.
        head: u64,
    },
    /// Reading the latest state failed.
    #[error("reading the latest state failed: {0}")]
    State(String),
    /// A stored dev record does not decode.
    #[error("dev record {0:?} is corrupt: {1}")]
    CorruptRecord(&'static str, String),
}

/// Keys of [`Table::Dev`].
mod keys {
    /// The pending state changes.
    pub(super) const PENDING: &[u8] = b"pending_state";
    /// The clock.
    pub(super) const CLOCK: &[u8] = b"clock";
    /// The snapshots.
    pub(super) const SNAPSHOTS: &[u8] = b"snapshots";
}

/// The `s` of an impersonated transaction's placeholder signature; its `r` is the sender.
/// A real signature with `s = 1` and an `r` below 2^160 cannot be made for a chosen sender, and
/// raw transactions carrying one are refused on a dev chain, so the marker is unambiguous.
const IMPERSONATION_S: U256 = U256::from_limbs([1, 0, 0, 0]);

/// The placeholder signature of a transaction sent from `sender` by impersonation: it names the
/// sender instead of proving it.
pub fn impersonation_signature(sender: Address) -> Signature {
    Signature::new(U256::from_be_slice(sender.as_slice()), IMPERSONATION_S, false)
}

/// The sender a placeholder signature names, if `signature` is one.
pub fn impersonated_sender(signature: &Signature) -> Option<Address> {
    if signature.s() != IMPERSONATION_S || signature.r() >> 160 != U256::ZERO {
        return None;
    }
    Some(Address::from_word(B256::from(signature.r())))
}

/// The signature of a transaction.
fn signature_of(tx: &PhalaTxEnvelope) -> Option<&Signature> {
    match tx {
        PhalaTxEnvelope::Legacy(signed) => Some(signed.signature()),
        PhalaTxEnvelope::Eip2930(signed) => Some(signed.signature()),
        PhalaTxEnvelope::Eip1559(signed) => Some(signed.signature()),
        PhalaTxEnvelope::Eip4844(signed) => Some(signed.signature()),
        PhalaTxEnvelope::Eip7702(signed) => Some(signed.signature()),
        PhalaTxEnvelope::Deposit(_) => None,
    }
}

/// The sender an impersonated transaction names, if `tx` is one.
pub fn impersonated_sender_of(tx: &PhalaTxEnvelope) -> Option<Address> {
    signature_of(tx).and_then(impersonated_sender)
}

/// The dev clock: an offset to the wall clock and an exact timestamp for the next block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct DevClock {
    /// Seconds added to the wall clock (`evm_increaseTime`).
    offset: i64,
    /// The next block's timestamp (`evm_setNextBlockTimestamp`).
    next_timestamp: Option<u64>,
}

/// A snapshot: the head, the pending changes and the clock as they were.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Snapshot {
    number: u64,
    hash: B256,
    pending: ChangesRecord,
    clock: DevClock,
}

/// All snapshots, and the id the next one gets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Snapshots {
    next_id: u64,
    taken: BTreeMap<u64, Snapshot>,
}

/// [`StateChanges`] as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ChangesRecord {
    accounts: BTreeMap<Address, AccountRecord>,
    bytecodes: BTreeMap<B256, Bytes>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccountRecord {
    /// Nonce, balance and code hash; `None`: the account is gone.
    account: Option<(u64, U256, B256)>,
    storage_wiped: bool,
    storage: BTreeMap<U256, U256>,
}

impl From<&StateChanges> for ChangesRecord {
    fn from(changes: &StateChanges) -> Self {
        let accounts = changes
            .accounts
            .iter()
            .map(|(address, change)| {
                let record = AccountRecord {
                    account: change.account.map(|a| (a.nonce, a.balance, a.code_hash)),
                    storage_wiped: change.storage_wiped,
                    storage: change.storage.clone(),
                };
                (*address, record)
            })
            .collect();
        Self { accounts, bytecodes: changes.bytecodes.clone() }
    }
}

impl From<ChangesRecord> for StateChanges {
    fn from(record: ChangesRecord) -> Self {
        let accounts = record
            .accounts
            .into_iter()
            .map(|(address, record)| {
                let account = record.account.map(|(nonce, balance, code_hash)| Account {
                    nonce,
                    balance,
                    code_hash,
                });
                let change = AccountChange {
                    account,
                    storage_wiped: record.storage_wiped,
                    storage: record.storage,
                };
                (address, change)
            })
            .collect();
        Self { accounts, bytecodes: record.bytecodes }
    }
}

fn read_record<T: for<'de> Deserialize<'de> + Default>(
    reader: &impl KeyValueRead,
    name: &'static str,
    key: &[u8],
) -> Result<T, EngineError> {
    let Some(bytes) = reader.get(Table::Dev, key)? else { return Ok(T::default()) };
    serde_json::from_slice(&bytes)
        .map_err(|err| DevError::CorruptRecord(name, err.to_string()).into())
}

fn put_record(writes: &mut WriteSet<'_>, key: &[u8], value: &impl Serialize) {
    writes.put(Table::Dev, key, serde_json::to_vec(value).expect("records serialise"));
}

/// One account of a state dump or load (`anvil_dumpState` / `anvil_loadState`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpedAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Code (empty: none).
    pub code: Bytes,
    /// Storage slots (a dump holds the non-zero ones).
    pub storage: BTreeMap<U256, U256>,
}

/// The dev chain's state as the engine holds it; see the module docs.
#[derive(Debug)]
pub struct DevChain {
    fee_recipient: Address,
    pending: RwLock<Arc<StateChanges>>,
    clock: Mutex<DevClock>,
    mining: watch::Sender<MiningMode>,
    impersonated: Mutex<BTreeSet<Address>>,
    auto_impersonate: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl DevChain {
    /// The mining mode, as it changes.
    pub fn subscribe_mining(&self) -> watch::Receiver<MiningMode> {
        self.mining.subscribe()
    }

    /// The mining mode now.
    pub fn mining(&self) -> MiningMode {
        *self.mining.borrow()
    }

    /// Sets the mining mode.
    pub fn set_mining(&self, mode: MiningMode) {
        self.mining.send_replace(mode);
    }

    /// Whether `sender` may send transactions without a key.
    pub fn is_impersonated(&self, sender: &Address) -> bool {
        self.auto_impersonate.load(Ordering::Relaxed) || lock(&self.impersonated).contains(sender)
    }

    /// Starts or stops impersonating `address`.
    pub fn impersonate(&self, address: Address, on: bool) {
        let mut impersonated = lock(&self.impersonated);
        if on {
            impersonated.insert(address);
        } else {
            impersonated.remove(&address);
        }
    }

    /// Lets every address send without a key, or stops doing so.
    pub fn set_auto_impersonate(&self, on: bool) {
        self.auto_impersonate.store(on, Ordering::Relaxed);
    }

    /// The fee recipient of dev blocks.
    pub const fn fee_recipient(&self) -> Address {
        self.fee_recipient
    }

    /// The changes waiting for the next block, if any.
    pub fn pending_state(&self) -> Option<Arc<StateChanges>> {
        let pending = self.pending.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        (!pending.is_empty()).then(|| pending.clone())
    }

    fn set_pending(&self, changes: Arc<StateChanges>) {
        *self.pending.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = changes;
    }

    /// The timestamp of the next block on `parent`, now: the exact one if set, otherwise the
    /// clock with its offset (and always after the parent).
    fn next_timestamp(&self, parent: &Header) -> u64 {
        let clock = *lock(&self.clock);
        let timestamp = clock.next_timestamp.unwrap_or_else(|| {
            let now = i128::from(unix_now()) + i128::from(clock.offset);
            u64::try_from(now.max(0)).unwrap_or(u64::MAX)
        });
        timestamp.max(parent.timestamp + 1)
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The synthetic L1 origin of a sequencer without an L1 (`--dev`): fixed values, so that the
/// L1-attributes deposit of every block sets the same fee parameters and L1 fees are non-zero.
/// L1 block 1 at time 0 with hash `keccak256("phala-node dev L1 origin")`, an L1 base fee of
/// 1 gwei and a blob base fee of 1 wei, OP Mainnet's Ecotone scalars (base fee 1368, blob base
/// fee 810949), no operator fee, and no batcher.
pub fn dev_l1_origin() -> L1BlockInfo {
    L1BlockInfo {
        number: 1,
        timestamp: 0,
        base_fee: U256::from(1_000_000_000u64),
        block_hash: keccak256("phala-node dev L1 origin"),
        blob_base_fee: U256::from(1),
        base_fee_scalar: 1368,
        blob_base_fee_scalar: 810_949,
        ..Default::default()
    }
}

/// The L1-attributes deposit that opens an OP block at `timestamp` on `parent` with L1 origin
/// `origin` (its sequence number is set here: the origin never changes, so it counts blocks).
pub fn l1_attributes_deposit(
    spec: &ChainSpec,
    parent: &Header,
    timestamp: u64,
    origin: &L1BlockInfo,
) -> PhalaTxEnvelope {
    let op_spec = op_spec_at_timestamp(spec, timestamp);
    let parent_spec = op_spec_at_timestamp(spec, parent.timestamp);
    let format = L1InfoFormat::for_block(op_spec, Some(parent_spec));
    let info = L1BlockInfo { sequence_number: parent.number, ..*origin };
    info.deposit_tx(format, op_spec).into()
}

/// A block sealed on the dev chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevBlock {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its timestamp.
    pub timestamp: u64,
    /// How many transactions it holds.
    pub transactions: usize,
}

impl Engine {
    /// Makes this a dev chain's engine: its blocks go to `fee_recipient`, the sequencer starts
    /// in `mining`, and the cheat records of an earlier run are loaded.
    pub fn with_dev(
        mut self,
        fee_recipient: Address,
        mining: MiningMode,
    ) -> Result<Self, EngineError> {
        let pending: ChangesRecord = read_record(self.db(), "pending_state", keys::PENDING)?;
        let clock: DevClock = read_record(self.db(), "clock", keys::CLOCK)?;
        let (mining, _) = watch::channel(mining);
        self.dev = Some(DevChain {
            fee_recipient,
            pending: RwLock::new(Arc::new(pending.into())),
            clock: Mutex::new(clock),
            mining,
            impersonated: Mutex::new(BTreeSet::new()),
            auto_impersonate: AtomicBool::new(false),
        });
        Ok(self)
    }

    /// The dev chain's controls; `None` unless this is a dev chain.
    pub const fn dev(&self) -> Option<&DevChain> {
        self.dev.as_ref()
    }

    fn require_dev(&self) -> Result<&DevChain, EngineError> {
        self.dev.as_ref().ok_or_else(|| DevError::NotDevChain.into())
    }

    /// The changes a dev chain's next block will carry, that reads of the latest state see.
    pub fn pending_state(&self) -> Option<Arc<StateChanges>> {
        self.dev.as_ref().and_then(DevChain::pending_state)
    }

    /// The latest state as reads see it: the head's, with a dev chain's pending changes.
    pub fn latest_state(&self) -> LatestView<'_> {
        StateOverlay::new(LatestState::new(self.db()), self.pending_state())
    }

    /// Changes the pending state with `change`, which sees the latest state (pending changes
    /// included) and returns what to set; persists it and brings the pool up to date.
    fn cheat(
        &self,
        change: impl FnOnce(&LatestView<'_>) -> Result<StateChanges, EngineError>,
    ) -> Result<(), EngineError> {
        let dev = self.require_dev()?;
        let _guard = self.write_lock();
        let view = self.latest_state();
        let changes = change(&view)?;
        let mut pending = view.changes().cloned().unwrap_or_default();
        pending.extend(changes);
        let mut writes = self.db().write_set();
        put_record(&mut writes, keys::PENDING, &ChangesRecord::from(&pending));
        writes.commit()?;
        dev.set_pending(Arc::new(pending));
        self.refresh_pool();
        Ok(())
    }

    /// Sets `address`'s balance (`anvil_setBalance`).
    pub fn set_balance(&self, address: Address, balance: U256) -> Result<(), EngineError> {
        self.cheat(|view| {
            let account = account_or_default(view, address)?;
            Ok(account_change(address, Account { balance, ..account }))
        })
    }

    /// Sets `address`'s nonce (`anvil_setNonce`).
    pub fn set_nonce(&self, address: Address, nonce: u64) -> Result<(), EngineError> {
        self.cheat(|view| {
            let account = account_or_default(view, address)?;
            Ok(account_change(address, Account { nonce, ..account }))
        })
    }

    /// Puts `code` at `address` (`anvil_setCode`; empty code removes it).
    pub fn set_code(&self, address: Address, code: Bytes) -> Result<(), EngineError> {
        self.cheat(|view| {
            let account = account_or_default(view, address)?;
            let code_hash = if code.is_empty() { KECCAK256_EMPTY } else { keccak256(&code) };
            let mut changes = account_change(address, Account { code_hash, ..account });
            if !code.is_empty() {
                changes.bytecodes.insert(code_hash, code);
            }
            Ok(changes)
        })
    }

    /// Sets one storage slot of `address` (`anvil_setStorageAt`).
    pub fn set_storage(
        &self,
        address: Address,
        slot: U256,
        value: U256,
    ) -> Result<(), EngineError> {
        self.cheat(|view| {
            let account = account_or_default(view, address)?;
            let mut changes = account_change(address, account);
            if let Some(change) = changes.accounts.get_mut(&address) {
                change.storage.insert(slot, value);
            }
            Ok(changes)
        })
    }

    /// Sets every account of `accounts` (`anvil_loadState`): nonce, balance and code replaced,
    /// the listed storage slots written.
    pub fn load_state(
        &self,
        accounts: BTreeMap<Address, DumpedAccount>,
    ) -> Result<(), EngineError> {
        self.cheat(|_| {
            let mut changes = StateChanges::default();
            for (address, dumped) in accounts {
                let code_hash =
                    if dumped.code.is_empty() { KECCAK256_EMPTY } else { keccak256(&dumped.code) };
                if !dumped.code.is_empty() {
                    changes.bytecodes.insert(code_hash, dumped.code);
                }
                let account = Account { nonce: dumped.nonce, balance: dumped.balance, code_hash };
                changes.accounts.insert(
                    address,
                    AccountChange {
                        account: Some(account),
                        storage_wiped: false,
                        storage: dumped.storage,
                    },
                );
            }
            Ok(changes)
        })
    }

    /// Every account of the latest state (pending changes included), with its code and
    /// non-zero storage (`anvil_dumpState`).
    pub fn dump_state(&self) -> Result<BTreeMap<Address, DumpedAccount>, EngineError> {
        let mut dump = BTreeMap::new();
        let mut last = Address::ZERO;
        self.db().walk_state_at(None, |entry, _| {
            match entry {
                StateEntry::Account { address, account, code } => {
                    last = address;
                    let dumped = DumpedAccount {
                        nonce: account.nonce,
                        balance: account.balance,
                        code: Bytes::copy_from_slice(code),
                        storage: BTreeMap::new(),
                    };
                    dump.insert(address, dumped);
                }
                StateEntry::Slot { slot, value } => {
                    if let Some(account) = dump.get_mut(&last) {
                        account.storage.insert(slot.into(), value);
                    }
                }
            }
            Ok::<_, EngineError>(())
        })?;
        let Some(pending) = self.pending_state() else { return Ok(dump) };
        let view = self.latest_state();
        for (address, change) in &pending.accounts {
            let Some(account) = change.account else {
                dump.remove(address);
                continue;
            };
            let code = view.bytecode(account.code_hash).map_err(state_error)?.unwrap_or_default();
            let dumped = dump.entry(*address).or_default();
            dumped.nonce = account.nonce;
            dumped.balance = account.balance;
            dumped.code = code;
            if change.storage_wiped {
                dumped.storage.clear();
            }
            for (slot, value) in &change.storage {
                if value.is_zero() {
                    dumped.storage.remove(slot);
                } else {
                    dumped.storage.insert(*slot, *value);
                }
            }
        }
        Ok(dump)
    }

    /// Shifts the dev clock by `seconds` (`evm_increaseTime`); returns the total offset.
    pub fn increase_time(&self, seconds: i64) -> Result<i64, EngineError> {
        self.update_clock(|clock| {
            clock.offset = clock.offset.saturating_add(seconds);
            Ok(clock.offset)
        })
    }

    /// Makes `timestamp` the next block's (`evm_setNextBlockTimestamp`); it must follow the
    /// head's.
    pub fn set_next_block_timestamp(&self, timestamp: u64) -> Result<(), EngineError> {
        let (_, head) = self.canonical_head()?;
        if timestamp <= head.timestamp {
            return Err(DevError::TimestampNotAfterHead { timestamp, head: head.timestamp }.into());
        }
        self.update_clock(|clock| {
            clock.next_timestamp = Some(timestamp);
            Ok(())
        })
    }

    fn update_clock<T>(
        &self,
        update: impl FnOnce(&mut DevClock) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let dev = self.require_dev()?;
        let _guard = self.write_lock();
        let mut clock = *lock(&dev.clock);
        let value = update(&mut clock)?;
        let mut writes = self.db().write_set();
        put_record(&mut writes, keys::CLOCK, &clock);
        writes.commit()?;
        *lock(&dev.clock) = clock;
        Ok(value)
    }

    /// The attributes of the next dev block on `parent` at `timestamp`: on an OP chain the
    /// L1-attributes deposit of the dev L1 origin comes first and `extraData` carries the
    /// chain's EIP-1559 parameters.
    pub fn dev_attributes(
        &self,
        parent: &Header,
        timestamp: u64,
        fee_recipient: Address,
    ) -> BlockAttributes {
        let spec = self.spec();
        let mut attributes = BlockAttributes {
            timestamp,
            beneficiary: fee_recipient,
            gas_limit: Some(self.sequenced_gas_limit(parent)),
            prev_randao: B256::ZERO,
            parent_beacon_block_root: spec
                .is_cancun_active_at_timestamp(timestamp)
                .then_some(B256::ZERO),
            extra_data: Bytes::new(),
            ..Default::default()
        };
        if spec.is_optimism() {
            attributes.transactions =
                vec![l1_attributes_deposit(spec, parent, timestamp, &dev_l1_origin())];
            attributes.eip1559_params = Some([0; 8]);
            attributes.min_base_fee = Some(0);
        }
        attributes
    }

    /// Seals a dev block from the pool, carrying the pending changes, at `timestamp` or by the
    /// dev clock. With `only_if_pending`, nothing happens when no pooled transaction made it
    /// in. Sealed blocks are final at once.
    pub fn mine_dev_block(
        &self,
        timestamp: Option<u64>,
        only_if_pending: bool,
    ) -> Result<Option<DevBlock>, EngineError> {
        let dev = self.require_dev()?;
        let _guard = self.write_lock();
        if only_if_pending && self.pool().status().0 == 0 {
            return Ok(None);
        }
        let (_, parent) = self.canonical_head()?;
        if let Some(timestamp) = timestamp
            && timestamp <= parent.timestamp
        {
            return Err(
                DevError::TimestampNotAfterHead { timestamp, head: parent.timestamp }.into()
            );
        }
        let clock = *lock(&dev.clock);
        // An exact timestamp (given, or set by `evm_setNextBlockTimestamp`) moves the clock:
        // later blocks go on from it.
        let exact = timestamp.or(clock.next_timestamp).map(|t| t.max(parent.timestamp + 1));
        let timestamp = exact.unwrap_or_else(|| dev.next_timestamp(&parent));
        let attributes = self.dev_attributes(&parent, timestamp, dev.fee_recipient);
        let pending = dev.pending_state();
        let mut built = self.build_with_pre_state(&attributes, pending.clone())?;
        if only_if_pending && built.block.body.transactions.len() == attributes.transactions.len() {
            return Ok(None);
        }
        // The clock and the pending changes change in the block's own commit.
        let offset = match exact {
            Some(timestamp) => i64::try_from(i128::from(timestamp) - i128::from(unix_now()))
                .unwrap_or(clock.offset),
            None => clock.offset,
        };
        let clock = DevClock { offset, next_timestamp: None };
        let writes = built.executed.writes_mut();
        writes.put(Table::Dev, keys::CLOCK, serde_json::to_vec(&clock).expect("records serialise"));
        if pending.is_some() {
            writes.delete(Table::Dev, keys::PENDING);
        }
        let transactions = built.block.body.transactions.len();
        let outcome = self.commit_sealed(built.executed)?;
        *lock(&dev.clock) = clock;
        if pending.is_some() {
            dev.set_pending(Arc::default());
        }
        self.after_commit(&outcome);
        let ImportOutcome::Imported { hash, number, .. } = outcome else { return Ok(None) };
        self.set_forkchoice(crate::ForkchoiceState { safe: Some(hash), finalized: Some(hash) });
        Ok(Some(DevBlock { number, hash, timestamp, transactions }))
    }

    /// Takes a snapshot of the head, the pending changes and the clock (`evm_snapshot`);
    /// returns its id.
    pub fn snapshot(&self) -> Result<u64, EngineError> {
        let dev = self.require_dev()?;
        let _guard = self.write_lock();
        let (hash, head) = self.canonical_head()?;
        let mut snapshots: Snapshots = read_record(self.db(), "snapshots", keys::SNAPSHOTS)?;
        snapshots.next_id += 1;
        let id = snapshots.next_id;
        let pending = dev.pending_state().map(|p| ChangesRecord::from(&*p)).unwrap_or_default();
        let snapshot = Snapshot { number: head.number, hash, pending, clock: *lock(&dev.clock) };
        snapshots.taken.insert(id, snapshot);
        let mut writes = self.db().write_set();
        put_record(&mut writes, keys::SNAPSHOTS, &snapshots);
        writes.commit()?;
        Ok(id)
    }

    /// Reverts to snapshot `id` (`evm_revert`): unwinds the chain to its block and restores
    /// its pending changes and clock, in one commit. That snapshot and every later one are
    /// used up. The unwound blocks' transactions are dropped, as anvil drops them.
    pub fn revert_to_snapshot(&self, id: u64) -> Result<(), EngineError> {
        let dev = self.require_dev()?;
        let _guard = self.write_lock();
        let mut snapshots: Snapshots = read_record(self.db(), "snapshots", keys::SNAPSHOTS)?;
        let snapshot = snapshots.taken.get(&id).cloned().ok_or(DevError::UnknownSnapshot(id))?;
        if self.db().canonical_hash(snapshot.number)? != Some(snapshot.hash) {
            return Err(DevError::SnapshotNotCanonical { id, hash: snapshot.hash }.into());
        }
        let (_, head) = self.canonical_head()?;
        let mut writes = self.db().write_set();
        let mut writer = StateWriter::new(&mut writes);
        for _ in snapshot.number..head.number {
            writer.unwind_head()?;
        }
        snapshots.taken.retain(|taken, _| *taken < id);
        put_record(&mut writes, keys::SNAPSHOTS, &snapshots);
        put_record(&mut writes, keys::CLOCK, &snapshot.clock);
        let pending: StateChanges = snapshot.pending.clone().into();
        if pending.is_empty() {
            writes.delete(Table::Dev, keys::PENDING);
        } else {
            put_record(&mut writes, keys::PENDING, &snapshot.pending);
        }
        writes.commit()?;
        *lock(&dev.clock) = snapshot.clock;
        dev.set_pending(Arc::new(pending));
        self.forget_executed();
        self.set_forkchoice(crate::ForkchoiceState {
            safe: Some(snapshot.hash),
            finalized: Some(snapshot.hash),
        });
        self.refresh_pool();
        if let Ok((hash, header)) = self.canonical_head() {
            self.announce_head(hash, header);
        }
        Ok(())
    }

    /// Adds a transaction sent by impersonation: `tx` carries the placeholder signature of
    /// `sender` ([`impersonation_signature`]).
    pub fn submit_impersonated(
        &self,
        tx: TxEnvelope,
        sender: Address,
    ) -> Result<B256, EngineError> {
        self.require_dev()?;
        self.add_to_pool(tx, sender)
    }

    /// Removes a transaction from the pool (`anvil_dropTransaction`); whether it was there.
    pub fn drop_transaction(&self, hash: B256) -> Result<bool, EngineError> {
        self.require_dev()?;
        Ok(!self.pool().remove(&[hash]).is_empty())
    }
}

fn account_change(address: Address, account: Account) -> StateChanges {
    let mut changes = StateChanges::default();
    changes.accounts.insert(
        address,
        AccountChange { account: Some(account), storage_wiped: false, storage: BTreeMap::new() },
    );
    changes
}

fn state_error(err: phala_primitives::StateReadError) -> EngineError {
    DevError::State(err.to_string()).into()
}

/// The latest state with a dev chain's pending changes on top.
pub type LatestView<'a> = StateOverlay<LatestState<'a, phala_storage::Database>>;

fn account_or_default(view: &LatestView<'_>, address: Address) -> Result<Account, EngineError> {
    Ok(view.account(address).map_err(state_error)?.unwrap_or_default())
}
