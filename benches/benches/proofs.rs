//! Proof benchmark: `eth_getProof`'s work (an account and two of its storage slots, with their
//! Merkle proofs) at the head and at past blocks, on a RocksDB chain written by `StateWriter`.
//! The head reads the tries by path; past blocks walk them by hash from the block's state root
//! (`TrieNodes`, a point read per node). For comparison the old path rebuilds a past state by
//! unwinding every later block in memory. Reports p50/p90/p99 latency per target block and the
//! size of the trie tables.
//!
//! Every block changes 50 accounts (10 of them in every block) and 50 slots in each of 4
//! contracts (5 of those slots in every block), so old nodes near the root are shadowed by
//! thousands of newer versions.
//!
//! `cargo bench -p phala-benches --bench proofs --profile dev -- [BLOCKS] [SAMPLES] [UNWIND_SAMPLES]`
//! (`PROOF_BENCH_DIR=<dir>` keeps the chain there and reuses it on the next run)

use alloy_primitives::{Address, B256, U256};
use phala_primitives::{Account, AccountChange, BlockBody, Header, StateChanges};
use phala_storage::{Database, KeyValueRead, StateWriter, Table, trie::TrieReader, unwound_state};
use std::time::Instant;

const ACCOUNTS: u64 = 10_000;
const CONTRACTS: u64 = 4;
const SLOTS: u64 = 2_000;
const ACCOUNTS_PER_BLOCK: u64 = 50;
const HOT_ACCOUNTS: u64 = 10;
const SLOTS_PER_CONTRACT: u64 = 50;
const HOT_SLOTS: u64 = 5;

fn arg(index: usize, default: usize) -> usize {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .nth(index)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Accounts `0..CONTRACTS` are the contracts.
fn address(i: u64) -> Address {
    Address::left_padding_from(&(i + 1).to_be_bytes())
}

fn account(rng: &mut Rng) -> Option<Account> {
    Some(Account {
        nonce: rng.below(1 << 20),
        balance: U256::from(rng.next()),
        ..Account::default()
    })
}

fn genesis_changes(rng: &mut Rng) -> StateChanges {
    let mut changes = StateChanges::default();
    for i in 0..ACCOUNTS {
        let mut change = AccountChange { account: account(rng), ..AccountChange::default() };
        if i < CONTRACTS {
            change.storage = (0..SLOTS).map(|s| (U256::from(s), U256::from(rng.next()))).collect();
        }
        changes.accounts.insert(address(i), change);
    }
    changes
}

fn block_changes(rng: &mut Rng) -> StateChanges {
    let mut changes = StateChanges::default();
    let random = (0..ACCOUNTS_PER_BLOCK - HOT_ACCOUNTS).map(|_| rng.below(ACCOUNTS));
    let indices: Vec<u64> = (0..HOT_ACCOUNTS).chain(random).collect();
    for i in indices {
        let change = AccountChange { account: account(rng), ..AccountChange::default() };
        changes.accounts.insert(address(i), change);
    }
    for c in 0..CONTRACTS {
        let change = changes.accounts.get_mut(&address(c)).expect("contracts are hot accounts");
        let random: Vec<u64> =
            (0..SLOTS_PER_CONTRACT - HOT_SLOTS).map(|_| rng.below(SLOTS)).collect();
        for slot in (0..HOT_SLOTS).chain(random) {
            change.storage.insert(U256::from(slot), U256::from(rng.next()));
        }
    }
    changes
}

/// Applies `changes` as canonical block `number` on top of `parent`.
fn apply_block(db: &Database, parent: B256, number: u64, changes: &StateChanges) -> Header {
    let mut writes = db.write_set();
    let mut writer = StateWriter::new(&mut writes);
    let state_root = writer.apply_state_changes(number, changes).expect("apply");
    let header = Header { number, parent_hash: parent, state_root, ..Header::default() };
    let hash = header.hash_slow();
    writer.insert_block(hash, &header, &BlockBody::default(), &[]);
    writer.make_canonical(hash, number, &[]);
    writes.commit().expect("commit");
    header
}

/// The request of sample `i`: a contract, one slot that changes in every block and one that
/// changes rarely.
fn request(i: usize, rng: &mut Rng) -> (Address, [U256; 2]) {
    let contract = address(i as u64 % CONTRACTS);
    (contract, [U256::from(i as u64 % HOT_SLOTS), U256::from(rng.below(SLOTS))])
}

/// Latencies in ms, sorted.
fn measure(samples: usize, mut run: impl FnMut(usize)) -> Vec<f64> {
    let mut times: Vec<f64> = (0..samples)
        .map(|i| {
            let t = Instant::now();
            run(i);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

fn report(label: &str, times: &[f64]) {
    println!(
        "  {label:<34} p50 {:>8.3} ms  p90 {:>8.3} ms  p99 {:>8.3} ms  ({} samples)",
        percentile(times, 50.0),
        percentile(times, 90.0),
        percentile(times, 99.0),
        times.len()
    );
}

fn main() {
    let blocks = arg(0, 10_500) as u64;
    let samples = arg(1, 300);
    let unwind_samples = arg(2, 5);
    // `PROOF_BENCH_DIR` keeps the chain between runs (building it takes minutes).
    let kept = std::env::var_os("PROOF_BENCH_DIR").map(std::path::PathBuf::from);
    let temp = tempfile::tempdir().expect("temp dir");
    let path = kept.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let db = Database::open(&path).expect("open db");
    let mut rng = Rng(0x2545f4914f6cdd1d);

    let started = Instant::now();
    let reused = kept.is_some() && db.canonical_hash(blocks).expect("read head").is_some();
    let headers: Vec<Header> = if reused {
        (0..=blocks)
            .map(|number| {
                let hash = db.canonical_hash(number).expect("read").expect("canonical block");
                db.header(hash).expect("read").expect("header")
            })
            .collect()
    } else {
        let mut headers = vec![apply_block(&db, B256::ZERO, 0, &genesis_changes(&mut rng))];
        for number in 1..=blocks {
            let parent = headers.last().expect("genesis").hash_slow();
            headers.push(apply_block(&db, parent, number, &block_changes(&mut rng)));
            if number % 1_000 == 0 {
                eprintln!("built {number} blocks in {:.0} s", started.elapsed().as_secs_f64());
            }
        }
        headers
    };
    let build = started.elapsed().as_secs_f64();

    println!(
        "proof benchmark: {blocks} blocks, {ACCOUNTS} accounts ({ACCOUNTS_PER_BLOCK} changed per \
         block), {CONTRACTS} contracts x {SLOTS} slots ({SLOTS_PER_CONTRACT} changed per block \
         each); account + 2 slots per proof"
    );
    if reused {
        println!("  reused the chain in {}", path.display());
    } else {
        println!("  built in {build:.1} s");
    }
    let head = blocks;
    let mut targets = vec![("head (latest trie)".to_string(), TrieReader::latest(&db))];
    for back in [0, 1_000, 10_000] {
        let Some(number) = head.checked_sub(back) else { continue };
        let state_root = headers[number as usize].state_root;
        let reader = TrieReader::at(&db, number, state_root);
        let (address, slots) = request(0, &mut rng);
        let proof = reader.account_proof(address, &slots).expect("proof");
        assert_eq!(alloy_primitives::keccak256(&proof.proof[0]), state_root, "block {number}");
        targets.push((format!("head-{back} (nodes by hash)"), reader));
    }
    // Interleaved, so that cache warm-up and machine noise fall on every target alike.
    let mut times = vec![Vec::with_capacity(samples); targets.len()];
    for i in 0..samples {
        let (address, slots) = request(i, &mut rng);
        for (target, (_, reader)) in targets.iter().enumerate() {
            let t = Instant::now();
            reader.account_proof(address, &slots).expect("proof");
            times[target].push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    for ((label, _), mut times) in targets.iter().zip(times) {
        times.sort_by(f64::total_cmp);
        report(label, &times);
    }
    if let Some(number) = head.checked_sub(1_000) {
        report(
            "head-1000 (old path: unwinding)",
            &measure(unwind_samples, |i| {
                let (address, slots) = request(i, &mut rng);
                let state = unwound_state(&db, number).expect("unwind");
                TrieReader::latest(&state).account_proof(address, &slots).expect("proof");
            }),
        );
    }

    println!("  table sizes (SST files; keys are estimates):");
    let stats = db.table_stats();
    let total: u64 = stats.iter().map(|(_, size, _)| size).sum();
    for (table, size, keys) in stats {
        if matches!(
            table,
            Table::AccountTrie | Table::StorageTrie | Table::TrieChangeSets | Table::TrieNodes
        ) {
            println!(
                "    {:<16} {:>8.1} MiB  {keys:>10} keys",
                table.name(),
                size as f64 / 1048576.0
            );
        }
    }
    println!("    {:<16} {:>8.1} MiB", "all tables", total as f64 / 1048576.0);
}
