//! Settlement costs and latency against a real anvil L1: a sequencer with its batcher, posting as
//! calldata and as blobs, each at once and gathering blocks for 10 L1 blocks, carries `TXS` L2
//! transfers. Reports the L1 gas per L2 transaction
//! (execution gas for calldata; blob gas and execution gas for blobs), the channels' brotli
//! compression ratio, and the time from L2 inclusion to L1 safety (p50/p90/p99).
//!
//! Run: `cargo build --release --bin phala-node && cargo bench -p phala-benches --bench settlement`
//! (`PHALA_NODE_BIN` may name another phala-node binary).

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::BlockNumberOrTag;
use phala_e2e::{Node, Role, TestL1, block_at, inbox_posts, send_transfer};
use phala_l1::test_utils::anvil_key;
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

/// L2 transfers per run.
const TXS: u64 = 300;
/// Transfers sent per L2 block time.
const PER_BLOCK: u64 = 30;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn run(data_availability: &'static str, channel_duration: u64) {
    let l1 = TestL1::start(None).await;
    let dir = l1.dir.path().join(format!("sequencer-{data_availability}"));
    let duration = channel_duration.to_string();
    let sequencer = Node::start_with(
        &l1,
        Role::Sequencer(data_availability),
        &dir,
        &["--batcher.max-channel-duration", &duration],
    )
    .await;
    let l2 = sequencer.client();
    let chain_id = phala_node::devnet::DEVNET_CHAIN_ID;
    let senders: Vec<_> = (10..13).map(anvil_key).collect();
    // A watcher notes when each L2 block is first seen as the head and as safe.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = {
        let l2 = l2.clone();
        tokio::spawn(async move {
            let mut seen: BTreeMap<u64, Instant> = BTreeMap::new();
            let mut safe_at: BTreeMap<u64, Instant> = BTreeMap::new();
            while !*stop_rx.borrow() {
                if let Some((_, head)) = block_at(&l2, BlockNumberOrTag::Latest).await {
                    let now = Instant::now();
                    for number in 1..=head {
                        seen.entry(number).or_insert(now);
                    }
                }
                if let Some((_, safe)) = block_at(&l2, BlockNumberOrTag::Safe).await {
                    let now = Instant::now();
                    for number in 1..=safe {
                        safe_at.entry(number).or_insert(now);
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (seen, safe_at)
        })
    };
    let mut sent: Vec<B256> = Vec::new();
    let mut nonces = vec![0u64; senders.len()];
    let (_, first_block) = block_at(&l2, BlockNumberOrTag::Latest).await.expect("a head");
    while (sent.len() as u64) < TXS {
        for _ in 0..PER_BLOCK {
            let index = sent.len() % senders.len();
            let to = Address::with_last_byte(sent.len() as u8);
            sent.push(
                send_transfer(&l2, chain_id, &senders[index], to, U256::from(1), nonces[index])
                    .await,
            );
            nonces[index] += 1;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    // Every transfer's block, then until each is safe.
    let started = Instant::now();
    let mut blocks_of: BTreeMap<B256, u64> = BTreeMap::new();
    for hash in &sent {
        loop {
            assert!(started.elapsed() < Duration::from_secs(300), "timed out");
            if let Some(number) = phala_e2e::mined_in(&l2, *hash).await {
                blocks_of.insert(*hash, number);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let last_tx_block = blocks_of.values().copied().max().unwrap_or_default();
    loop {
        assert!(started.elapsed() < Duration::from_secs(300), "timed out");
        if block_at(&l2, BlockNumberOrTag::Safe)
            .await
            .is_some_and(|(_, safe)| safe >= last_tx_block)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop_tx.send(true);
    let (seen, safe_at) = watcher.await.expect("the watcher ends");
    let mut latencies: Vec<f64> =
        blocks_of.values().map(|number| (safe_at[number] - seen[number]).as_secs_f64()).collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let (_, last_block) = block_at(&l2, BlockNumberOrTag::Safe).await.expect("a safe head");

    // What the batcher paid on L1 for the blocks of the run.
    let batcher = phala_node::devnet::role_key(phala_node::devnet::Role::Batcher).address();
    let client = l1.client();
    let (mut gas, mut blob_gas, mut posts) = (0u64, 0u64, 0u64);
    let l1_blocks: std::collections::BTreeSet<u64> = inbox_posts(&l1)
        .await
        .into_iter()
        .filter(|post| post.from == batcher)
        .map(|post| post.l1_block)
        .collect();
    for number in l1_blocks {
        let block = client.expect_block(BlockNumberOrTag::Number(number)).await.expect("the block");
        for tx in block.transactions.txns() {
            let receipt =
                client.receipt(*tx.inner.tx_hash()).await.expect("a receipt").expect("mined");
            if receipt.from == batcher && receipt.to == Some(l1.rollup.batch_inbox_address) {
                gas += receipt.gas_used;
                blob_gas += receipt.blob_gas_used.unwrap_or_default();
                posts += 1;
            }
        }
    }
    // Channel sizes from the batcher's log.
    let log = std::fs::read_to_string(sequencer.log()).unwrap_or_default();
    let (mut rlp, mut compressed) = (0u64, 0u64);
    for line in log.lines().filter(|line| line.contains("posting a channel")) {
        for word in line.split_whitespace() {
            if let Some(value) = word.strip_prefix("rlp_bytes=") {
                rlp += value.parse::<u64>().unwrap_or_default();
            }
            if let Some(value) = word.strip_prefix("compressed_bytes=") {
                compressed += value.parse::<u64>().unwrap_or_default();
            }
        }
    }
    println!(
        "{data_availability:>8}, channel duration {channel_duration} L1 blocks: {TXS} L2 txs in blocks {first_block}..={last_block}; {posts} L1 posts; \
         L1 execution gas {gas} ({:.0}/L2 tx); blob gas {blob_gas} ({:.0}/L2 tx); \
         channel bytes {rlp} -> {compressed} (ratio {:.3}); inclusion->safe p50 {:.2}s p90 {:.2}s p99 {:.2}s",
        gas as f64 / TXS as f64,
        blob_gas as f64 / TXS as f64,
        compressed as f64 / rlp.max(1) as f64,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    for (data_availability, channel_duration) in
        [("calldata", 0), ("blobs", 0), ("calldata", 10), ("blobs", 10)]
    {
        run(data_availability, channel_duration).await;
    }
}
