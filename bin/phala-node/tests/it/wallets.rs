//! Unmodified ethers and viem (with viem's OP Stack chain config and L2 actions) against a
//! `--dev` node: `tests/js/wallets.mjs` sends a transaction with each, and viem parses the OP
//! receipt, the L1-attributes deposit and the GasPriceOracle's L1 fee estimate.

use crate::Node;
use serde_json::{Value, json};
use std::{path::PathBuf, process::Command};

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/js")
}

#[test]
fn serial_ethers_and_viem_work_unmodified() {
    let dir = js_dir();
    assert!(
        dir.join("node_modules/viem").is_dir() && dir.join("node_modules/ethers").is_dir(),
        "the pinned wallet libraries are missing: run `cd tests/js && npm ci` (scripts/test does)"
    );
    let data = tempfile::tempdir().unwrap();
    let node = Node::start(&data.path().join("data"), 1);
    let output = Command::new("node")
        .arg(dir.join("wallets.mjs"))
        .arg(format!("http://{}", node.http))
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
