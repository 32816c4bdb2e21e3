//! Unmodified cast, ethers and viem (with viem's OP Stack chain config and L2 actions) against a
//! `--dev` node: `cast send`, and `tests/js/wallets.mjs` sending a transaction with each
//! library; viem parses the OP receipt, the L1-attributes deposit and the GasPriceOracle's L1
//! fee estimate. All are pinned in `tests/js/package.json` (cast from npm's
//! `@foundry-rs/cast-linux-amd64`).

use crate::Node;
use serde_json::{Value, json};
use std::{path::PathBuf, process::Command};

pub(crate) fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/js")
}

/// Account 4 of the dev mnemonic, which cast sends from.
const CAST_KEY: &str = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";
/// Account 3, the recipient.
const RECIPIENT: &str = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

#[test]
fn serial_cast_ethers_and_viem_work_unmodified() {
    let dir = js_dir();
    let cast = dir.join("node_modules/@foundry-rs/cast-linux-amd64/bin/cast");
    assert!(
        dir.join("node_modules/viem").is_dir()
            && dir.join("node_modules/ethers").is_dir()
            && cast.is_file(),
        "the pinned wallet tools are missing: run `cd tests/js && npm ci` (scripts/test does)"
    );
    let data = tempfile::tempdir().unwrap();
    let node = Node::start(&data.path().join("data"), 1);
    let url = format!("http://{}", node.http);

    // cast: chain id, nonce, fees and gas from the node, a signed EIP-1559 send, the receipt.
    let output = Command::new(&cast)
        .args(["send", "--rpc-url", &url, "--private-key", CAST_KEY, RECIPIENT])
        .args(["--value", "1000", "--json"])
        .output()
        .expect("cast runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cast send failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let receipt: Value = serde_json::from_str(stdout.trim()).expect("cast prints the receipt");
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    let ours = node.call("eth_getTransactionReceipt", json!([receipt["transactionHash"]]));
    assert_eq!(ours["blockHash"], receipt["blockHash"]);
    assert!(ours["l1Fee"].is_string(), "the node's receipt carries the L1 fee: {ours}");
    let output = Command::new("node")
        .arg(dir.join("wallets.mjs"))
        .arg(&url)
        .output()
        .expect("node (Node.js) runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "wallets.mjs failed:\n{stdout}\n{stderr}");
    let seen: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");

    assert_eq!(seen["ethers"]["chainId"], json!("1337"));
    assert_eq!(seen["ethers"]["status"], json!(1));
    assert_eq!(seen["viem"]["status"], json!("success"));
    for hash in [&seen["ethers"]["hash"], &seen["viem"]["hash"]] {
        let receipt = node.call("eth_getTransactionReceipt", json!([hash]));
        assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    }
    // viem's OP formatters read the deposit and the receipt's L1 fee.
    assert_eq!(seen["viem"]["firstTransactionType"], json!("deposit"), "{seen}");
    assert!(seen["viem"]["firstTransactionSourceHash"].is_string(), "{seen}");
    assert_eq!(seen["viem"]["firstTransactionIsSystemTx"], json!(false), "{seen}");
    let charged: u128 = seen["viem"]["l1Fee"].as_str().unwrap().parse().unwrap();
    let estimated: u128 = seen["viem"]["estimatedL1Fee"].as_str().unwrap().parse().unwrap();
    assert!(charged > 0, "{seen}");
    // The oracle pads the unsigned transaction for its signature: an estimate near the charge.
    assert!(estimated.abs_diff(charged) * 20 <= charged, "{seen}");
    node.interrupt();
}
