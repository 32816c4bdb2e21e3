//! Block import benchmark: a chain of blocks full of ETH and ERC-20 transfers, imported into a
//! fresh RocksDB with the real (incremental) state root. Reports Mgas/s, tx/s, per-block
//! p50/p90/p99 latency and peak RSS.
//!
//! `cargo bench -p phala-benches --bench import -- [BLOCKS] [TXS_PER_BLOCK] [SENDERS]`

use phala_benches::TransferWorkload;
use phala_chain::{BlockImporter, init_genesis};
use phala_storage::Database;
use std::time::Instant;

fn arg(index: usize, default: usize) -> usize {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .nth(index)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:")?.trim().strip_suffix(" kB")?.parse().ok())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    let blocks = arg(0, 100);
    let txs_per_block = arg(1, 400);
    let senders = arg(2, 2000);
    let mut workload = TransferWorkload::new(senders);

    let build_dir = tempfile::tempdir().expect("temp dir");
    let chain = workload.build_chain(build_dir.path(), blocks, txs_per_block).expect("build chain");

    let import_dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(import_dir.path()).expect("open db");
    init_genesis(&db, &workload.spec).expect("genesis");
    let importer = BlockImporter::new(&db, workload.spec.clone());
    let mut times = Vec::with_capacity(chain.len());
    let mut gas = 0u64;
    let mut txs = 0usize;
    let started = Instant::now();
    for block in &chain {
        let t = Instant::now();
        importer.import(block).expect("import");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        gas += block.header.gas_used;
        txs += block.body.transactions.len();
    }
    let total = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    println!(
        "import benchmark: {blocks} blocks x {txs_per_block} txs (ETH + ERC-20 transfers), {senders} senders"
    );
    println!("  total      {total:.2} s, {gas} gas, {txs} txs");
    println!("  throughput {:.1} Mgas/s, {:.0} tx/s", gas as f64 / total / 1e6, txs as f64 / total);
    println!(
        "  per block  p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&times, 50.0),
        percentile(&times, 90.0),
        percentile(&times, 99.0),
        times.last().copied().unwrap_or_default()
    );
    if let Some(rss) = peak_rss_kib() {
        println!("  peak RSS   {} MiB", rss / 1024);
    }
}
