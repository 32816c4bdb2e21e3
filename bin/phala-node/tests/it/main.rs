//! End-to-end tests of the `phala-node` binary: a `--dev` node is started as a real process,
//! driven over HTTP JSON-RPC, stopped (Ctrl-C or kill -9) and restarted on the same datadir.

mod cheats;
mod cli;
mod op;
mod state_tools;
mod wallets;

use phala_rpc::client;
use serde_json::{Value, json};
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

/// Runs the binary with `args`.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phala-node")).args(args).output().expect("phala-node runs")
}

/// The stdout of a command that must succeed.
fn stdout_of(args: &[&str]) -> String {
    let output = run(args);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// A JSON-RPC quantity (`"0x…"`) as a number.
fn quantity(value: &Value) -> u64 {
    let text = value.as_str().unwrap_or_else(|| panic!("not a quantity: {value}"));
    u64::from_str_radix(text.trim_start_matches("0x"), 16).unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Node {
    child: Child,
    http: SocketAddr,
    ws: SocketAddr,
    metrics: SocketAddr,
}

impl Node {
    /// Starts a node; retried on fresh ports if another process took one of them first
    /// (ports are picked free, then released, then bound by the node).
    fn start(datadir: &Path, block_time: u64) -> Self {
        Self::start_with(datadir, block_time, &[])
    }

    /// [`Node::start`] with more flags.
    fn start_with(datadir: &Path, block_time: u64, flags: &[&str]) -> Self {
        for _ in 0..5 {
            match Self::try_start(datadir, block_time, flags) {
                Ok(node) => return node,
                Err(log) if log.contains("failed to listen") => continue,
                Err(log) => panic!("node did not start:\n{log}"),
            }
        }
        panic!("no free ports after 5 attempts");
    }

    fn try_start(datadir: &Path, block_time: u64, flags: &[&str]) -> Result<Self, String> {
        let http_port = free_port();
        let ws_port = free_port();
        let metrics_port = free_port();
        let log_path = datadir.with_extension("log");
        let child = Command::new(env!("CARGO_BIN_EXE_phala-node"))
            .args(["node", "--dev", "--datadir"])
            .arg(datadir)
            .args(["--http.port", &http_port.to_string()])
            .args(["--ws.port", &ws_port.to_string()])
            .args(["--metrics", &format!("127.0.0.1:{metrics_port}")])
            .args(["--authrpc.port", &free_port().to_string()])
            .args(["--dev.block-time", &block_time.to_string()])
            .args(flags)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .expect("phala-node starts");
        let local = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let mut node = Self {
            child,
            http: local(http_port),
            ws: local(ws_port),
            metrics: local(metrics_port),
        };
        let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // Our node, not another process that happens to hold the port: alive and on 1337.
            if let Some(status) = node.child.try_wait().unwrap() {
                return Err(format!("exited with {status}\n{}", log()));
            }
            if node.try_call("eth_chainId", json!([])) == Ok(json!("0x539")) {
                return Ok(node);
            }
            if Instant::now() > deadline {
                return Err(format!("no RPC within 60 s\n{}", log()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn try_call(&self, method: &str, params: Value) -> Result<Value, String> {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let reply = client::post(self.http, &body, None, Duration::from_secs(10))
            .map_err(|e| e.to_string())?;
        let reply: Value = serde_json::from_str(&reply).map_err(|e| e.to_string())?;
        match reply.get("error") {
            Some(error) => Err(error.to_string()),
            None => Ok(reply["result"].clone()),
        }
    }

    fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params).unwrap_or_else(|err| panic!("{method} failed: {err}"))
    }

    fn wait_receipt(&self, hash: &Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let receipt = self.call("eth_getTransactionReceipt", json!([hash]));
            if !receipt.is_null() {
                return receipt;
            }
            assert!(Instant::now() < deadline, "no receipt for {hash} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Ctrl-C, then wait for a clean exit.
    fn interrupt(mut self) {
        let status =
            Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "node exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "node did not stop within 30 s of Ctrl-C");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebSocket client just big enough for JSON-RPC text frames (RFC 6455, client frames masked).
struct WebSocket(TcpStream);

impl WebSocket {
    fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            stream,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 101"), "upgrade refused");
        Self(stream)
    }

    fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81];
        if payload.len() < 126 {
            frame.push(0x80 | payload.len() as u8);
        } else {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        let mask = [1u8, 2, 3, 4];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.0.write_all(&frame).unwrap();
    }

    fn receive(&mut self) -> Value {
        loop {
            let mut head = [0u8; 2];
            self.0.read_exact(&mut head).unwrap();
            let len = match head[1] & 0x7f {
                126 => {
                    let mut ext = [0u8; 2];
                    self.0.read_exact(&mut ext).unwrap();
                    u16::from_be_bytes(ext) as usize
                }
                127 => {
                    let mut ext = [0u8; 8];
                    self.0.read_exact(&mut ext).unwrap();
                    u64::from_be_bytes(ext) as usize
                }
                short => short as usize,
            };
            let mut payload = vec![0u8; len];
            self.0.read_exact(&mut payload).unwrap();
            if head[0] & 0x0f == 0x1 {
                return serde_json::from_slice(&payload).unwrap();
            }
        }
    }
}

const ALICE: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const BOB: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

/// `--builder.gaslimit` sets the dev chain's block gas limit from the next block on, and the dev
/// pool takes a burst of 300 transactions from one sender (geth's limit is 64).
#[test]
fn serial_dev_node_builds_to_the_gas_limit_flag_and_takes_bursts() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start_with(&dir.path().join("data"), 1, &["--builder.gaslimit", "1000000000"]);
    let hashes: Vec<Value> = (0..300)
        .map(|_| {
            node.call(
                "eth_sendTransaction",
                json!([{"from": ALICE, "to": BOB, "value": "0x1", "gas": "0x5208"}]),
            )
        })
        .collect();
    let last = node.wait_receipt(hashes.last().unwrap());
    assert_eq!(last["status"], json!("0x1"));
    let block = node.call("eth_getBlockByNumber", json!([last["blockNumber"], false]));
    assert_eq!(block["gasLimit"], json!("0x3b9aca00"), "1,000,000,000 gas");
    // Each receipt, read alone, is the one the block's receipts hold at its index.
    let block_receipts = node.call("eth_getBlockReceipts", json!([last["blockNumber"]]));
    assert!(block_receipts.as_array().unwrap().len() > 2, "{block_receipts}");
    for hash in &hashes {
        let receipt = node.call("eth_getTransactionReceipt", json!([hash]));
        assert_eq!(receipt["status"], json!("0x1"));
        if receipt["blockNumber"] == last["blockNumber"] {
            let index = usize::from_str_radix(
                receipt["transactionIndex"].as_str().unwrap().trim_start_matches("0x"),
                16,
            )
            .unwrap();
            assert_eq!(receipt, block_receipts[index]);
        }
    }
    let tx = node.call("eth_getTransactionByHash", json!([hashes.last().unwrap()]));
    assert_eq!(tx["nonce"], json!("0x12b"), "nonce 299");
    node.interrupt();
}

#[test]
fn serial_dev_node_transfers_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&dir.path().join("data"), 1);
    assert_eq!(node.call("eth_chainId", json!([])), json!("0x539"));
    let accounts = node.call("eth_accounts", json!([]));
    assert_eq!(accounts.as_array().unwrap().len(), 20);
    assert_eq!(accounts[0], json!(ALICE));
    let before = node.call("eth_getBalance", json!([BOB, "latest"]));
    assert_eq!(before, json!("0x21e19e0c9bab2400000"), "10,000 ETH");

    let mut ws = WebSocket::connect(node.ws);
    ws.send(
        &json!({"jsonrpc": "2.0", "id": 7, "method": "eth_subscribe", "params": ["newHeads"]})
            .to_string(),
    );
    let subscription = ws.receive()["result"].clone();
    assert!(subscription.is_string(), "a subscription id");

    let hash = node.call(
        "eth_sendTransaction",
        json!([{"from": ALICE, "to": BOB, "value": "0xde0b6b3a7640000"}]),
    );
    let receipt = node.wait_receipt(&hash);
    // Heads arrive over the WebSocket as blocks are sealed, up to the transaction's block.
    loop {
        let notification = ws.receive();
        assert_eq!(notification["method"], json!("eth_subscription"));
        assert_eq!(notification["params"]["subscription"], subscription);
        if notification["params"]["result"]["number"] == receipt["blockNumber"] {
            assert_eq!(notification["params"]["result"]["hash"], receipt["blockHash"]);
            break;
        }
    }
    // Prometheus metrics report the head.
    let mut metrics = TcpStream::connect(node.metrics).unwrap();
    write!(metrics, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut text = String::new();
    metrics.read_to_string(&mut text).unwrap();
    assert!(text.contains("phala_chain_head_number"), "{text}");
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(receipt["gasUsed"], json!("0x5208"));
    let block_number = receipt["blockNumber"].clone();
    let block = node.call("eth_getBlockByNumber", json!([block_number, false]));
    // An OP block opens with its L1-attributes deposit.
    assert_eq!(block["transactions"][1], hash);
    assert_eq!(node.call("eth_getBalance", json!([BOB, "latest"])), json!("0x21e27c1806e59a40000"));
    node.interrupt();

    let node = Node::start(&dir.path().join("data"), 1);
    let again = node.call("eth_getBlockByNumber", json!([block_number, false]));
    assert_eq!(again["hash"], block["hash"], "the same chain after a restart");
    assert_eq!(node.call("eth_getTransactionReceipt", json!([hash]))["blockHash"], block["hash"]);
    // The chain goes on from where it stopped.
    let next =
        node.call("eth_sendTransaction", json!([{"from": ALICE, "to": BOB, "value": "0x1"}]));
    let receipt = node.wait_receipt(&next);
    assert_eq!(receipt["status"], json!("0x1"));
    let tx = node.call("eth_getTransactionByHash", json!([next]));
    assert_eq!(tx["nonce"], json!("0x1"));
    node.interrupt();
}

#[test]
fn serial_kill_dash_nine_leaves_a_consistent_database() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..3u64 {
        let node = Node::start(&dir.path().join("data"), 0);
        // A burst of transactions, one block each, killed while blocks are being sealed.
        let nonce = u64::from_str_radix(
            node.call("eth_getTransactionCount", json!([ALICE, "latest"]))
                .as_str()
                .unwrap()
                .trim_start_matches("0x"),
            16,
        )
        .unwrap();
        for i in 0..20 {
            let _ = node.try_call(
                "eth_sendTransaction",
                json!([{"from": ALICE, "to": BOB, "value": "0x1", "nonce": format!("0x{:x}", nonce + i)}]),
            );
        }
        std::thread::sleep(Duration::from_millis(30 * round));
        node.kill();

        // After the crash every canonical block is whole and the chain still extends.
        let node = Node::start(&dir.path().join("data"), 0);
        let head = quantity(&node.call("eth_blockNumber", json!([])));
        for number in 1..=head {
            let block = node.call("eth_getBlockByNumber", json!([format!("0x{number:x}"), true]));
            assert!(!block.is_null(), "block {number} missing after a crash");
            let receipts = node.call("eth_getBlockReceipts", json!([format!("0x{number:x}")]));
            assert_eq!(
                receipts.as_array().unwrap().len(),
                block["transactions"].as_array().unwrap().len()
            );
        }
        let nonce = node.call("eth_getTransactionCount", json!([ALICE, "latest"]));
        let hash = node.call(
            "eth_sendTransaction",
            json!([{"from": ALICE, "to": BOB, "value": "0x1", "nonce": nonce}]),
        );
        assert_eq!(node.wait_receipt(&hash)["status"], json!("0x1"));
        node.interrupt();
    }
}

/// `--dev` has the genesis contracts: the dev accounts hold PHA and vPHA, and staking works
/// through plain `eth_sendTransaction` (gas estimated by the node).
#[test]
fn serial_dev_node_serves_the_genesis_contracts() {
    use alloy_primitives::{Address, U256};
    use alloy_sol_types::SolCall;
    use phala_genesis::bindings::{PhalaToken, StakedPhala};
    const PHA: &str = "0x5048410000000000000000000000000000000001";
    const VPHA: &str = "0x5048410000000000000000000000000000000002";
    let hex = |data: Vec<u8>| format!("0x{}", alloy_primitives::hex::encode(data));
    let alice: Address = ALICE.parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&dir.path().join("data"), 0);
    let balance = |token: &str| {
        let data = hex(PhalaToken::balanceOfCall { account: alice }.abi_encode());
        let out = node.call("eth_call", json!([{"to": token, "input": data}, "latest"]));
        out.as_str().unwrap().parse::<U256>().unwrap()
    };
    let million = U256::from(10u64).pow(U256::from(24u64));
    assert_eq!(balance(PHA), million, "1,000,000 PHA");
    assert_eq!(balance(VPHA), million, "1,000,000 vPHA");

    let amount = U256::from(10u64).pow(U256::from(21u64));
    let approve = PhalaToken::approveCall { spender: VPHA.parse().unwrap(), value: amount };
    let deposit = StakedPhala::depositCall { assets: amount, receiver: alice };
    for (to, data) in [(PHA, approve.abi_encode()), (VPHA, deposit.abi_encode())] {
        let hash = node
            .call("eth_sendTransaction", json!([{"from": ALICE, "to": to, "input": hex(data)}]));
        assert_eq!(node.wait_receipt(&hash)["status"], json!("0x1"));
    }
    assert_eq!(balance(PHA), million - amount);
    assert!(balance(VPHA) > million, "shares for the deposit");
    node.interrupt();
}
