//! End-to-end tests of the `phala-node` binary: a `--dev` node is started as a real process,
//! driven over HTTP JSON-RPC, stopped (Ctrl-C or kill -9) and restarted on the same datadir.

use serde_json::{Value, json};
use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Node {
    child: Child,
    http: SocketAddr,
}

impl Node {
    fn start(datadir: &Path, block_time: u64) -> Self {
        let http_port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_phala-node"))
            .args(["node", "--dev", "--datadir"])
            .arg(datadir)
            .args(["--http.port", &http_port.to_string()])
            .args(["--ws.port", &free_port().to_string()])
            .args(["--authrpc.port", &free_port().to_string()])
            .args(["--dev.block-time", &block_time.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("phala-node starts");
        let node = Self { child, http: SocketAddr::from(([127, 0, 0, 1], http_port)) };
        let deadline = Instant::now() + Duration::from_secs(60);
        while node.try_call("eth_chainId", json!([])).is_err() {
            assert!(Instant::now() < deadline, "node did not serve RPC within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    fn try_call(&self, method: &str, params: Value) -> Result<Value, String> {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let mut stream = TcpStream::connect(self.http).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .map_err(|e| e.to_string())?;
        let mut raw = String::new();
        stream.read_to_string(&mut raw).map_err(|e| e.to_string())?;
        let (_, body) = raw.split_once("\r\n\r\n").ok_or("no body")?;
        let reply: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
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

const ALICE: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const BOB: &str = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";

#[test]
fn serial_dev_node_transfers_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(dir.path(), 1);
    assert_eq!(node.call("eth_chainId", json!([])), json!("0x539"));
    let accounts = node.call("eth_accounts", json!([]));
    assert_eq!(accounts.as_array().unwrap().len(), 20);
    assert_eq!(accounts[0], json!(ALICE));
    let before = node.call("eth_getBalance", json!([BOB, "latest"]));
    assert_eq!(before, json!("0x21e19e0c9bab2400000"), "10,000 ETH");

    let hash = node.call(
        "eth_sendTransaction",
        json!([{"from": ALICE, "to": BOB, "value": "0xde0b6b3a7640000"}]),
    );
    let receipt = node.wait_receipt(&hash);
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(receipt["gasUsed"], json!("0x5208"));
    let block_number = receipt["blockNumber"].clone();
    let block = node.call("eth_getBlockByNumber", json!([block_number, false]));
    assert_eq!(block["transactions"][0], hash);
    assert_eq!(node.call("eth_getBalance", json!([BOB, "latest"])), json!("0x21e27c1806e59a40000"));
    node.interrupt();

    let node = Node::start(dir.path(), 1);
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
        let node = Node::start(dir.path(), 0);
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
        let node = Node::start(dir.path(), 0);
        let head = node.call("eth_blockNumber", json!([]));
        let head =
            u64::from_str_radix(head.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
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
