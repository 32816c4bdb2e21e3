//! The metrics endpoint of a dev node: after transactions, single and batched RPC calls, the
//! block pipeline's histograms and counters and the per-method RPC figures have moved.

use phala_node::node::{NodeArgs, NodeHandles, start};
use serde_json::{Value, json};
use std::{
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::watch,
};

/// A dev node sealing a block per transaction, every port picked by the OS, metrics on.
async fn dev_node(datadir: &std::path::Path) -> (NodeHandles, watch::Sender<bool>) {
    let args = NodeArgs {
        dev: true,
        dev_block_time: 0,
        datadir: Some(datadir.to_path_buf()),
        http_port: 0,
        ws_port: 0,
        authrpc_port: 0,
        metrics: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
        ..NodeArgs::defaults()
    };
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let handles = start(args, shutdown_rx).await.expect("the dev node starts");
    (handles, shutdown_tx)
}

/// The body of the answer to a raw HTTP/1.1 request (the connection closes after it).
async fn http(addr: SocketAddr, request: String) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

/// POSTs a JSON-RPC request (or batch) and returns the parsed answer.
async fn post(addr: SocketAddr, body: Value) -> Value {
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    serde_json::from_str(&http(addr, request).await).expect("a JSON answer")
}

/// One JSON-RPC call; its `result`, or the whole answer when it is an error.
async fn call(addr: SocketAddr, method: &str, params: Value) -> Value {
    let answer =
        post(addr, json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})).await;
    answer.get("result").cloned().unwrap_or(answer)
}

async fn scrape(addr: SocketAddr) -> String {
    http(addr, format!("GET /metrics HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n")).await
}

/// The value of the series `series` (name and labels exactly as written) on `page`.
fn value(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{series} is not on the page:\n{page}"))
        .parse()
        .expect("a number")
}

/// The `_bucket` values of a histogram series with `labels` (`""` or `k="v",`), in order.
fn buckets(page: &str, name: &str, labels: &str) -> Vec<f64> {
    let prefix = format!("{name}_bucket{{{labels}le=");
    page.lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|rest| rest.rsplit_once(' '))
        .map(|(_, value)| value.parse().expect("a number"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_metrics_follow_blocks_transactions_and_rpc_calls() {
    let datadir = tempfile::tempdir().expect("a temporary directory");
    let (handles, shutdown) = dev_node(datadir.path()).await;
    let rpc = handles.running.http.expect("HTTP is on with --dev");
    let metrics = handles.running.metrics.expect("metrics are on");

    let accounts = call(rpc, "eth_accounts", json!([])).await;
    let from = accounts[0].as_str().expect("a dev account").to_string();
    let to = accounts[1].as_str().expect("a second dev account").to_string();
    const TRANSFERS: usize = 3;
    let mut hashes = Vec::new();
    for _ in 0..TRANSFERS {
        let hash =
            call(rpc, "eth_sendTransaction", json!([{"from": from, "to": to, "value": "0x1"}]))
                .await;
        hashes.push(hash.as_str().unwrap_or_else(|| panic!("a hash: {hash}")).to_string());
    }
    // A block per transaction: wait for the last receipt.
    let mined = async {
        for hash in &hashes {
            while call(rpc, "eth_getTransactionReceipt", json!([hash])).await.is_null() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), mined).await.expect("the transfers are mined");

    const SINGLE_CALLS: usize = 5;
    for _ in 0..SINGLE_CALLS {
        call(rpc, "eth_blockNumber", json!([])).await;
    }
    // A batch: each entry is counted under its own method.
    let batch = post(
        rpc,
        json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId", "params": []},
        ]),
    )
    .await;
    assert_eq!(batch.as_array().map(Vec::len), Some(2), "{batch}");
    // An error (a malformed block tag) and a method nobody serves.
    let invalid = call(rpc, "eth_getBlockByNumber", json!(["not-a-block", false])).await;
    assert!(invalid.get("error").is_some(), "{invalid}");
    call(rpc, "no_suchMethod", json!([])).await;

    let page = scrape(metrics).await;
    for line in page.lines().filter(|line| line.starts_with("# TYPE")) {
        assert!(
            line.ends_with(" counter") || line.ends_with(" gauge") || line.ends_with(" histogram"),
            "{line}"
        );
    }

    // The chain and the block pipeline.
    // Transfers that arrive while a block is being sealed share the next one: every block
    // above genesis was sealed here, however the transfers fell.
    let sealed = value(&page, "phala_chain_blocks_sealed_total");
    let head = value(&page, "phala_chain_head_number");
    assert!(head >= 1.0 && sealed >= head, "{sealed} blocks sealed, head {head}");
    assert!(value(&page, "phala_chain_transactions_processed_total") >= TRANSFERS as f64);
    assert!(value(&page, "phala_chain_gas_processed_total") >= (TRANSFERS * 21_000) as f64);
    let builds = value(&page, "phala_engine_block_build_seconds_count");
    assert!(builds >= sealed, "{builds} builds for {sealed} sealed blocks");
    assert!(value(&page, "phala_engine_block_commit_seconds_count") >= sealed);
    assert!(value(&page, "phala_engine_block_build_seconds_sum") > 0.0);
    let build_buckets = buckets(&page, "phala_engine_block_build_seconds", "");
    assert!(build_buckets.windows(2).all(|pair| pair[0] <= pair[1]), "cumulative");
    assert_eq!(build_buckets.last().copied(), Some(builds), "+Inf equals the count");

    // The pool.
    assert!(value(&page, "phala_txpool_inserted_total") >= TRANSFERS as f64);
    assert_eq!(value(&page, "phala_txpool_pending"), 0.0);

    // RPC, by method and outcome; batch entries included.
    let block_number_calls = (SINGLE_CALLS + 1) as f64;
    assert!(
        value(&page, r#"phala_rpc_requests_total{method="eth_blockNumber",outcome="ok"}"#)
            >= block_number_calls
    );
    assert!(
        value(&page, r#"phala_rpc_request_duration_seconds_count{method="eth_blockNumber"}"#)
            >= block_number_calls
    );
    let latency =
        buckets(&page, "phala_rpc_request_duration_seconds", r#"method="eth_blockNumber","#);
    assert!(latency.last().is_some_and(|inf| *inf >= block_number_calls));
    assert_eq!(value(&page, r#"phala_rpc_requests_total{method="eth_chainId",outcome="ok"}"#), 1.0);
    assert_eq!(
        value(&page, r#"phala_rpc_requests_total{method="eth_sendTransaction",outcome="ok"}"#),
        TRANSFERS as f64
    );
    assert_eq!(
        value(&page, r#"phala_rpc_requests_total{method="eth_getBlockByNumber",outcome="error"}"#),
        1.0
    );
    assert_eq!(value(&page, r#"phala_rpc_requests_total{method="unknown",outcome="error"}"#), 1.0);
    assert!(!page.contains("no_suchMethod"), "made-up names do not become labels");

    // The database and the process.
    assert!(value(&page, r#"phala_db_table_entries{table="headers"}"#) >= 0.0);
    assert!(page.contains("phala_db_table_size_bytes{table="));
    if cfg!(target_os = "linux") {
        assert!(value(&page, "phala_process_resident_memory_bytes") > 0.0);
        assert!(value(&page, "phala_process_open_fds") > 0.0);
    }

    let _ = shutdown.send(true);
    handles.stop().await;
}
