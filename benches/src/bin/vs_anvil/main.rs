//! `vs-anvil`: our dev node and anvil side by side on loopback, driven with the same load, one
//! table with both figures and the ratio.
//!
//! Per node, in turn (never both at once, so neither takes the other's CPU):
//! - **block per transaction** (our `--dev.block-time 0`, anvil's automine): the senders are
//!   funded and the contracts deployed, then mixed transactions (ETH transfers, ERC-20
//!   transfers, new storage slots) are sent one at a time, each waiting for its receipt: the
//!   send→mined latency is the block's build and commit. The blocks they leave feed the reads.
//! - **RPC reads** at 1 and 8 connections (keep-alive): `eth_blockNumber`, `eth_getBalance`,
//!   `eth_call` of the token's `balanceOf`, `eth_getTransactionReceipt`, `eth_getLogs` of the
//!   token over the last 100 and 1,000 blocks.
//! - **1 s blocks** (interval mining on both, as anvil's automine runs away under concurrent
//!   sends): ingestion of pre-signed transfers one per request and in batches of 100 (1 and 4
//!   connections), then sustained sequencing of a mixed load sent in batches over 4
//!   connections, timed from the first send to the last receipt.
//!
//! Everything is signed before timing starts; both nodes get the same bytes. The block gas limit
//! is raised on both (`--builder.gaslimit`, `--gas-limit`) so that it is not what is measured.
//! A watchdog kills a node past `--memory-cap-mib` resident. Peak RSS is the kernel's VmHWM.
//!
//! `benches/vs-anvil` builds both in release and runs this; `--smoke` runs a seconds-long
//! version (CI runs it so the harness cannot rot).

mod procs;
mod rpc;
mod txs;

use procs::{Launch, Mining, Node};
use rpc::{Connection, quantity};
use serde_json::{Value, json};
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};
use txs::{Signed, Wallets};

/// How much load each step gets.
struct Sizes {
    senders: usize,
    per_transaction: usize,
    read_time: Duration,
    singles: usize,
    batched: usize,
    sustained: usize,
}

const FULL: Sizes = Sizes {
    senders: 200,
    per_transaction: 1_200,
    read_time: Duration::from_secs(5),
    singles: 2_000,
    batched: 10_000,
    sustained: 20_000,
};

const SMOKE: Sizes = Sizes {
    senders: 6,
    per_transaction: 30,
    read_time: Duration::from_millis(300),
    singles: 30,
    batched: 200,
    sustained: 300,
};

struct Args {
    launch: Launch,
    smoke: bool,
    /// Only the block-per-transaction step and the reads (`--reads-only`), for profiling them.
    reads_only: bool,
    /// Seconds each read load runs (`--read-time`), instead of the size's default.
    read_time: Option<Duration>,
    /// Runs one node alone (`--only ours|anvil`), to profile it; the table has no ratios then.
    only: Option<&'static str>,
}

fn usage(message: &str) -> ! {
    eprintln!(
        "{message}\nusage: vs-anvil [--ours <phala-node>] [--anvil <anvil>] [--gas-limit GAS] \
         [--memory-cap-mib MIB] [--smoke] [--reads-only] [--read-time SECS] [--only ours|anvil]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut launch = Launch {
        ours: repo.join("target/release/phala-node"),
        anvil: repo.join("contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"),
        gas_limit: 1_000_000_000,
        memory_cap_kib: 8 << 20,
    };
    let (mut smoke, mut reads_only, mut read_time, mut only) = (false, false, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--ours" => launch.ours = PathBuf::from(value()),
            "--anvil" => launch.anvil = PathBuf::from(value()),
            "--gas-limit" => {
                launch.gas_limit =
                    value().parse().unwrap_or_else(|_| usage("--gas-limit: not a number"))
            }
            "--memory-cap-mib" => {
                let mib: u64 =
                    value().parse().unwrap_or_else(|_| usage("--memory-cap-mib: not a number"));
                launch.memory_cap_kib = mib << 10;
            }
            "--smoke" => smoke = true,
            "--reads-only" => reads_only = true,
            "--read-time" => {
                let secs: f64 =
                    value().parse().unwrap_or_else(|_| usage("--read-time: not a number"));
                if !(secs > 0.0 && secs <= 3600.0) {
                    usage("--read-time: seconds between 0 and 3600");
                }
                read_time = Some(Duration::from_secs_f64(secs));
            }
            "--only" => {
                only = Some(match value().as_str() {
                    "ours" => "ours",
                    "anvil" => "anvil",
                    _ => usage("--only: ours or anvil"),
                })
            }
            other => usage(&format!("unknown flag {other}")),
        }
    }
    for (flag, path) in [("--ours", &launch.ours), ("--anvil", &launch.anvil)] {
        if !path.is_file() {
            usage(&format!("{flag}: no executable at {}", path.display()));
        }
    }
    Args { launch, smoke, reads_only, read_time, only }
}

/// One measured figure: a rate (higher is better) with the latencies behind it.
#[derive(Debug, Clone, Default)]
struct Figure {
    rate: f64,
    detail: String,
}

/// Latencies in ms, sorted, and their percentile `p`.
fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(sorted.len() - 1) * p / 100]
}

fn latency_detail(mut latencies: Vec<f64>, percentiles: &[usize]) -> String {
    latencies.sort_by(f64::total_cmp);
    percentiles
        .iter()
        .map(|p| format!("p{p} {:.2}", percentile(&latencies, *p)))
        .collect::<Vec<_>>()
        .join(" / ")
        + " ms"
}

/// What one node measured, by row.
type Results = Vec<(String, Figure)>;

fn main() {
    let args = parse_args();
    let mut sizes = if args.smoke { SMOKE } else { FULL };
    if let Some(read_time) = args.read_time {
        sizes.read_time = read_time;
    }
    let mut anvil = Results::new();
    let mut ours = Results::new();
    let mut peaks = [0u64; 2];
    for (index, (name, results)) in
        [("anvil", &mut anvil), ("ours", &mut ours)].into_iter().enumerate()
    {
        if args.only.is_some_and(|only| only != name) {
            continue;
        }
        eprintln!("== {name}");
        match run_node(name, &args.launch, &sizes, args.reads_only, results) {
            Ok(peak) => peaks[index] = peak,
            Err(err) => {
                eprintln!("vs-anvil: {name}: {err}");
                std::process::exit(1);
            }
        }
    }
    print_table(&anvil, &ours, peaks, args.smoke);
}

fn start(name: &str, launch: &Launch, mining: Mining) -> Result<Node, String> {
    if name == "anvil" { Node::anvil(launch, mining) } else { Node::ours(launch, mining) }
}

/// Every step on one node; returns its peak RSS in KiB.
fn run_node(
    name: &str,
    launch: &Launch,
    sizes: &Sizes,
    reads_only: bool,
    results: &mut Results,
) -> Result<u64, String> {
    let mut peak = 0;
    {
        let node = start(name, launch, Mining::PerTransaction)?;
        let mut wallets = Wallets::new(sizes.senders);
        let setup = wallets.setup();
        let mut connection = node.connect()?;
        for tx in &setup {
            send_and_wait(&mut connection, tx)?;
        }
        let load: Vec<Signed> = (0..sizes.per_transaction).map(|i| wallets.mixed(i)).collect();
        results.push((
            "block per transaction: mixed load, tx/s".into(),
            per_transaction(&node, &load)?,
        ));
        reads(&node, &wallets, &setup[0], sizes, results)?;
        peak = peak.max(check_alive(&node)?);
    }
    if reads_only {
        return Ok(peak);
    }
    {
        let node = start(name, launch, Mining::Interval(1))?;
        let mut wallets = Wallets::new(sizes.senders);
        let setup = wallets.setup();
        let singles = wallets.transfers(sizes.singles);
        let batched_one = wallets.transfers(sizes.batched);
        let batched_four = wallets.transfers(sizes.batched);
        let sustained: Vec<Signed> = (0..sizes.sustained).map(|i| wallets.mixed(i)).collect();
        let mut connection = node.connect()?;
        submit_batches(&node, &setup, 1)?;
        wait_mined(&mut connection, setup.last().expect("setup transactions"))?;

        let started = Instant::now();
        for tx in &singles {
            connection.call("eth_sendRawTransaction", json!([tx.raw]))?;
        }
        results.push((
            "ingestion: one tx per request, 1 connection (tx/s)".into(),
            rate(singles.len(), started),
        ));
        wait_all_mined(&mut connection, &singles)?;
        for (txs, connections) in [(&batched_one, 1), (&batched_four, 4)] {
            let started = Instant::now();
            submit_batches(&node, txs, connections)?;
            results.push((
                format!("ingestion: batches of 100, {connections} connection(s) (tx/s)"),
                rate(txs.len(), started),
            ));
            wait_all_mined(&mut connection, txs)?;
        }
        results
            .push(("1 s blocks: sustained mixed load".into(), sustained_load(&node, &sustained)?));
        peak = peak.max(check_alive(&node)?);
    }
    Ok(peak)
}

fn check_alive(node: &Node) -> Result<u64, String> {
    if node.killed() {
        return Err(format!("{} passed the memory cap and was stopped", node.name));
    }
    Ok(node.peak_kib())
}

fn rate(count: usize, started: Instant) -> Figure {
    Figure { rate: count as f64 / started.elapsed().as_secs_f64(), detail: String::new() }
}

fn send_and_wait(connection: &mut Connection, tx: &Signed) -> Result<(), String> {
    connection.call("eth_sendRawTransaction", json!([tx.raw]))?;
    wait_mined(connection, tx).map(|_| ())
}

/// Polls until `tx` has a receipt; returns it.
fn wait_mined(connection: &mut Connection, tx: &Signed) -> Result<Value, String> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let receipt = connection.call("eth_getTransactionReceipt", json!([tx.hash]))?;
        if !receipt.is_null() {
            if receipt["status"] != json!("0x1") {
                return Err(format!("{} failed: {receipt}", tx.hash));
            }
            return Ok(receipt);
        }
        if Instant::now() > deadline {
            return Err(format!("{} not mined within 300 s", tx.hash));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Waits for every transaction's receipt (the last one first, then all, in batches); returns
/// their total gas.
fn wait_all_mined(connection: &mut Connection, txs: &[Signed]) -> Result<u64, String> {
    if let Some(last) = txs.last() {
        wait_mined(connection, last)?;
    }
    let mut gas = 0;
    for chunk in txs.chunks(100) {
        let calls: Vec<(&str, Value)> =
            chunk.iter().map(|tx| ("eth_getTransactionReceipt", json!([tx.hash]))).collect();
        for (tx, receipt) in chunk.iter().zip(connection.batch(&calls)?) {
            let receipt = match receipt? {
                receipt if receipt.is_null() => wait_mined(connection, tx)?,
                receipt => receipt,
            };
            if receipt["status"] != json!("0x1") {
                return Err(format!("{} failed: {receipt}", tx.hash));
            }
            gas += quantity(&receipt["gasUsed"]);
        }
    }
    Ok(gas)
}

/// Sends `txs` in batches of 100 spread over `connections` connections.
fn submit_batches(node: &Node, txs: &[Signed], connections: usize) -> Result<(), String> {
    let chunks: Vec<&[Signed]> = txs.chunks(100).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|worker| {
                let mine: Vec<&[Signed]> =
                    chunks.iter().skip(worker).step_by(connections).copied().collect();
                scope.spawn(move || -> Result<(), String> {
                    let mut connection = node.connect()?;
                    for chunk in mine {
                        let calls: Vec<(&str, Value)> = chunk
                            .iter()
                            .map(|tx| ("eth_sendRawTransaction", json!([tx.raw])))
                            .collect();
                        for reply in connection.batch(&calls)? {
                            reply?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|worker| worker.join().map_err(|_| "a sender panicked".to_string())?)
    })
}

/// Sends each transaction and waits for its receipt before the next.
fn per_transaction(node: &Node, load: &[Signed]) -> Result<Figure, String> {
    let mut connection = node.connect()?;
    let mut latencies = Vec::with_capacity(load.len());
    let mut gas = 0;
    let started = Instant::now();
    for tx in load {
        let sent = Instant::now();
        connection.call("eth_sendRawTransaction", json!([tx.raw]))?;
        let receipt = wait_mined(&mut connection, tx)?;
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
        gas += quantity(&receipt["gasUsed"]);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Figure {
        rate: load.len() as f64 / elapsed,
        detail: format!(
            "{:.1} Mgas/s; send→mined {}",
            gas as f64 / elapsed / 1e6,
            latency_detail(latencies, &[50, 90, 99])
        ),
    })
}

/// The sustained load at 1 s blocks: from the first send to the last receipt.
fn sustained_load(node: &Node, load: &[Signed]) -> Result<Figure, String> {
    let (Some(first), Some(last)) = (load.first(), load.last()) else {
        return Err("an empty load".into());
    };
    let mut connection = node.connect()?;
    let started = Instant::now();
    submit_batches(node, load, 4)?;
    let last_receipt = wait_mined(&mut connection, last)?;
    let elapsed = started.elapsed().as_secs_f64();
    let gas = wait_all_mined(&mut connection, load)?;
    let first_receipt = wait_mined(&mut connection, first)?;
    let blocks = quantity(&last_receipt["blockNumber"])
        .saturating_sub(quantity(&first_receipt["blockNumber"]))
        + 1;
    Ok(Figure {
        rate: gas as f64 / elapsed / 1e6,
        detail: format!(
            "Mgas/s; {:.0} tx/s, {} txs in {:.1} s, {blocks} blocks",
            load.len() as f64 / elapsed,
            load.len(),
            elapsed,
        ),
    })
}

/// The read loads, each at 1 and 8 connections.
fn reads(
    node: &Node,
    wallets: &Wallets,
    receipt_of: &Signed,
    sizes: &Sizes,
    results: &mut Results,
) -> Result<(), String> {
    let head = quantity(&node.connect()?.call("eth_blockNumber", json!([]))?);
    let holder = wallets.sender(0);
    let logs = |blocks: u64| {
        json!([{
            "fromBlock": format!("{:#x}", head.saturating_sub(blocks - 1)),
            "toBlock": format!("{head:#x}"),
            "address": wallets.token,
        }])
    };
    let loads: [(&str, &str, Value); 6] = [
        ("eth_blockNumber", "eth_blockNumber", json!([])),
        ("eth_getBalance", "eth_getBalance", json!([holder, "latest"])),
        (
            "eth_call balanceOf",
            "eth_call",
            json!([{"to": wallets.token, "data": txs::balance_of(holder)}, "latest"]),
        ),
        ("eth_getTransactionReceipt", "eth_getTransactionReceipt", json!([receipt_of.hash])),
        ("eth_getLogs, 100 blocks", "eth_getLogs", logs(100)),
        ("eth_getLogs, 1,000 blocks", "eth_getLogs", logs(1_000)),
    ];
    for (label, method, params) in loads {
        // The answer must be a real one on both nodes.
        let answer = node.connect()?.call(method, params.clone())?;
        if answer.is_null() {
            return Err(format!("{method} answered null"));
        }
        for connections in [1, 8] {
            results.push((
                format!("{label}, {connections} conn (req/s)"),
                read_load(node, method, &params, connections, sizes.read_time)?,
            ));
        }
    }
    Ok(())
}

fn read_load(
    node: &Node,
    method: &str,
    params: &Value,
    connections: usize,
    time: Duration,
) -> Result<Figure, String> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let started = Instant::now();
    let per_worker: Vec<Vec<f64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                let body = &body;
                scope.spawn(move || -> Result<Vec<f64>, String> {
                    let mut connection = node.connect()?;
                    let mut latencies = Vec::new();
                    while started.elapsed() < time {
                        let sent = Instant::now();
                        connection.post(body).map_err(|err| format!("{method}: {err}"))?;
                        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    }
                    Ok(latencies)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().map_err(|_| "a reader panicked".to_string())?)
            .collect::<Result<_, String>>()
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let latencies: Vec<f64> = per_worker.into_iter().flatten().collect();
    Ok(Figure {
        rate: latencies.len() as f64 / elapsed,
        detail: latency_detail(latencies, &[50, 99]),
    })
}

fn print_table(anvil: &Results, ours: &Results, peaks: [u64; 2], smoke: bool) {
    if smoke {
        println!("vs-anvil smoke run (tiny loads: the figures only show the harness works)");
    }
    println!("| workload | anvil | ours | ours/anvil |");
    println!("|---|---:|---:|---:|");
    // With `--only`, one side is empty: its cells and the ratios are dashes.
    let rows = anvil.len().max(ours.len());
    let cell = |figure: Option<&Figure>| match figure {
        None => "—".to_string(),
        Some(f) if f.detail.is_empty() => format!("{:.0}", f.rate),
        Some(f) => format!("{:.1} ({})", f.rate, f.detail),
    };
    for row in 0..rows {
        let (a, o) = (anvil.get(row), ours.get(row));
        let Some((label, _)) = a.or(o) else { continue };
        let ratio = match (a, o) {
            (Some((_, a)), Some((_, o))) if a.rate > 0.0 => format!("{:.2}", o.rate / a.rate),
            _ => "—".to_string(),
        };
        println!(
            "| {label} | {} | {} | {ratio} |",
            cell(a.map(|(_, f)| f)),
            cell(o.map(|(_, f)| f))
        );
    }
    let mib = |kib: u64| {
        if kib > 0 { format!("{:.0}", kib as f64 / 1024.0) } else { "—".to_string() }
    };
    let ratio = if peaks[0] > 0 && peaks[1] > 0 {
        format!("{:.2}", peaks[1] as f64 / peaks[0] as f64)
    } else {
        "—".to_string()
    };
    println!(
        "| peak RSS (MiB, lower is better) | {} | {} | {ratio} |",
        mib(peaks[0]),
        mib(peaks[1])
    );
}
