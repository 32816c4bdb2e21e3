//! anvil's cheat RPCs against a `--dev` node process over raw JSON-RPC: state cheats that the
//! next block carries, mining and time controls, snapshots that unwind the database (and survive
//! kill -9), impersonation, dump/load of state, and viem's test client (`tests/js/cheats.mjs`).

use crate::{ALICE as DEV0, Node, quantity};
use serde_json::{Value, json};
use std::{
    process::Command,
    time::{Duration, Instant},
};

/// Dev account 3 (account 0, `DEV0`, is a dev signer).
const DEV3: &str = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
/// Addresses no one holds a key for.
const NOBODY: &str = "0x00000000000000000000000000000000000c0ffe";
const STRANGER: &str = "0x1234567890123456789012345678901234567890";
/// Runtime code that returns storage slot 0: PUSH0 SLOAD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN.
const RETURN_SLOT_0: &str = "0x5f545f5260205ff3";

fn head(node: &Node) -> u64 {
    quantity(&node.call("eth_blockNumber", json!([])))
}

fn error_of(node: &Node, method: &str, params: Value) -> Value {
    let err = node.try_call(method, params).expect_err(&format!("{method} should fail"));
    serde_json::from_str(&err).unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serial_state_cheats_are_read_at_once_and_carried_by_the_next_block() {
    let data = tempfile::tempdir().unwrap();
    let node = Node::start(&data.path().join("data"), 0);
    let before = head(&node);
    assert!(node.call("anvil_setBalance", json!([NOBODY, "0x3635c9adc5dea00000"])).is_null());
    node.call("hardhat_setNonce", json!([NOBODY, "0x7"]));
    node.call("anvil_setCode", json!([NOBODY, RETURN_SLOT_0]));
    let word = format!("0x{:064x}", 42);
    assert_eq!(node.call("anvil_setStorageAt", json!([NOBODY, "0x0", word])), json!(true));

    // Every read of the latest state sees them, and no block was sealed for them.
    assert_eq!(
        node.call("eth_getBalance", json!([NOBODY, "latest"])),
        json!("0x3635c9adc5dea00000")
    );
    assert_eq!(node.call("eth_getTransactionCount", json!([NOBODY, "latest"])), json!("0x7"));
    assert_eq!(node.call("eth_getCode", json!([NOBODY, "latest"])), json!(RETURN_SLOT_0));
    assert_eq!(node.call("eth_getStorageAt", json!([NOBODY, "0x0", "latest"])), json!(word));
    let called = node.call("eth_call", json!([{"to": NOBODY}, "latest"]));
    assert_eq!(called, json!(word), "calls run the cheated code on the cheated storage");
    assert_eq!(head(&node), before);
    // The block before knows nothing of them.
    let past = format!("0x{before:x}");
    node.call("anvil_mine", json!([]));
    assert_eq!(node.call("eth_getBalance", json!([NOBODY, past])), json!("0x0"));

    // The mined block carries them: its state holds them, and a proof against its state root
    // shows the balance.
    let mined = format!("0x{:x}", before + 1);
    assert_eq!(head(&node), before + 1);
    assert_eq!(node.call("eth_getBalance", json!([NOBODY, mined])), json!("0x3635c9adc5dea00000"));
    assert_eq!(node.call("eth_getStorageAt", json!([NOBODY, "0x0", mined])), json!(word));
    let proof = node.call("eth_getProof", json!([NOBODY, ["0x0"], mined]));
    assert_eq!(proof["balance"], json!("0x3635c9adc5dea00000"), "{proof}");
    assert_eq!(proof["nonce"], json!("0x7"), "{proof}");
    assert_eq!(proof["storageProof"][0]["value"], json!("0x2a"), "{proof}");

    // A transaction sees the cheated nonce and balance: the dev signer's nonce set ahead.
    node.call("anvil_setNonce", json!([DEV0, "0x64"]));
    let hash =
        node.call("eth_sendTransaction", json!([{"from": DEV0, "to": DEV3, "value": "0x1"}]));
    let receipt = node.wait_receipt(&hash);
    assert_eq!(receipt["status"], json!("0x1"));
    let tx = node.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["nonce"], json!("0x64"));
    node.interrupt();
}

#[test]
fn serial_cheats_are_refused_with_clear_errors_for_bad_parameters() {
    let data = tempfile::tempdir().unwrap();
    let node = Node::start(&data.path().join("data"), 0);
    for (method, params) in [
        ("anvil_setBalance", json!(["0x12", "0x1"])),
        ("anvil_setBalance", json!([NOBODY, "lots"])),
        ("anvil_setNonce", json!([NOBODY, "0x10000000000000000"])),
        ("anvil_setStorageAt", json!([NOBODY, "0x0", format!("0x{}", "1".repeat(66))])),
        ("anvil_setCode", json!([NOBODY, "0xzz"])),
        ("evm_revert", json!(["0x99"])),
        ("evm_revert", json!(["snapshot"])),
        ("evm_setNextBlockTimestamp", json!(["0x0"])),
        ("anvil_mine", json!(["0xffffffffff"])),
        ("evm_setBlockGasLimit", json!(["0x1"])),
        ("anvil_loadState", json!(["0x1234"])),
        ("evm_setAutomine", json!(["yes"])),
    ] {
        let error = error_of(&node, method, params.clone());
        assert_eq!(error["code"], json!(-32602), "{method} {params}: {error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
    }
    let error = error_of(&node, "evm_revert", json!(["0x99"]));
    assert_eq!(error["message"], json!("unknown snapshot id 153"));
    let error = error_of(&node, "anvil_loadState", json!(["0x1234"]));
    assert!(error["message"].as_str().unwrap().starts_with("invalid state"), "{error}");
    // An address no one holds a key for cannot send until it is impersonated.
    let error = error_of(&node, "eth_sendTransaction", json!([{"from": STRANGER, "to": DEV3}]));
    assert_eq!(error["message"], json!("unknown account"), "{error}");
    node.interrupt();
}

#[test]
fn serial_mining_and_time_are_controlled_by_the_cheats() {
    let data = tempfile::tempdir().unwrap();
    let node = Node::start(&data.path().join("data"), 0);
    assert_eq!(node.call("anvil_getAutomine", json!([])), json!(true));
    node.call("evm_setAutomine", json!([false]));
    assert_eq!(node.call("hardhat_getAutomine", json!([])), json!(false));
    let start = head(&node);
    let hash =
        node.call("eth_sendTransaction", json!([{"from": DEV0, "to": DEV3, "value": "0x1"}]));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(head(&node), start, "no block while automine is off");
    assert!(node.call("eth_getTransactionReceipt", json!([hash])).is_null());

    // anvil_mine: 3 blocks 100 s apart, the first holding the pooled transaction.
    node.call("anvil_mine", json!(["0x3", "0x64"]));
    assert_eq!(head(&node), start + 3);
    let receipt = node.call("eth_getTransactionReceipt", json!([hash]));
    assert_eq!(quantity(&receipt["blockNumber"]), start + 1);
    let time = |n: u64| {
        let block = node.call("eth_getBlockByNumber", json!([format!("0x{n:x}"), false]));
        quantity(&block["timestamp"])
    };
    assert_eq!(time(start + 2), time(start + 1) + 100);
    assert_eq!(time(start + 3), time(start + 2) + 100);

    // evm_setNextBlockTimestamp, then evm_mine; evm_mine with a timestamp.
    let next = time(start + 3) + 1_000;
    node.call("evm_setNextBlockTimestamp", json!([next]));
    assert_eq!(node.call("evm_mine", json!([])), json!("0x0"));
    assert_eq!(time(start + 4), next);
    node.call("evm_mine", json!([next + 50]));
    assert_eq!(time(start + 5), next + 50);
    // Time goes on from there: evm_increaseTime moves the next block a day on.
    let offset = node.call("evm_increaseTime", json!([86_400]));
    assert!(offset.as_i64().is_some(), "{offset}");
    node.call("evm_mine", json!([{"blocks": 2}]));
    assert!(time(start + 6) >= next + 50 + 86_400, "{} vs {}", time(start + 6), next + 86_400);
    assert!(time(start + 7) > time(start + 6));

    // evm_setBlockGasLimit: the next block has it.
    assert_eq!(node.call("evm_setBlockGasLimit", json!(["0x5f5e100"])), json!(true));
    node.call("anvil_mine", json!([1]));
    let block = node.call("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(block["gasLimit"], json!("0x5f5e100"));

    // anvil_dropTransaction takes a pooled transaction out.
    let dropped =
        node.call("eth_sendTransaction", json!([{"from": DEV0, "to": DEV3, "value": "0x2"}]));
    assert_eq!(node.call("anvil_dropTransaction", json!([dropped])), dropped);
    assert!(node.call("eth_getTransactionByHash", json!([dropped])).is_null());
    assert!(node.call("anvil_dropTransaction", json!([dropped])).is_null());

    // Interval mining seals empty blocks on its own.
    node.call("evm_setIntervalMining", json!([1]));
    assert_eq!(node.call("anvil_getIntervalMining", json!([])), json!(1));
    let at = head(&node);
    wait_for("interval blocks", || head(&node) >= at + 2);
    node.call("evm_setIntervalMining", json!([0]));
    let info = node.call("anvil_nodeInfo", json!([]));
    assert_eq!(info["environment"]["chainId"], json!(1337), "{info}");
    assert!(info["currentBlockNumber"].as_u64().is_some(), "{info}");
    node.interrupt();
}

#[test]
fn serial_evm_revert_after_ten_blocks_restores_head_balances_and_receipts() {
    let data = tempfile::tempdir().unwrap();
    let node = Node::start(&data.path().join("data"), 0);
    node.call("anvil_mine", json!([2]));
    let start = head(&node);
    let start_hash = node.call("eth_getBlockByNumber", json!(["latest", false]))["hash"].clone();
    let balance = node.call("eth_getBalance", json!([DEV3, "latest"]));
    node.call("anvil_setBalance", json!([NOBODY, "0x5"]));
    let snapshot = node.call("evm_snapshot", json!([]));
    let mut hashes = Vec::new();
    for value in 1..=10 {
        let tx = json!([{"from": DEV0, "to": DEV3, "value": format!("0x{value:x}")}]);
        let hash = node.call("eth_sendTransaction", tx);
        node.wait_receipt(&hash);
        hashes.push(hash);
    }
    node.call("anvil_setBalance", json!([NOBODY, "0x9"]));
    assert_eq!(head(&node), start + 10);
    assert_ne!(node.call("eth_getBalance", json!([DEV3, "latest"])), balance);

    assert_eq!(node.call("evm_revert", json!([snapshot])), json!(true));
    assert_eq!(head(&node), start);
    let now = node.call("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(now["hash"], start_hash);
    assert_eq!(node.call("eth_getBalance", json!([DEV3, "latest"])), balance);
    assert_eq!(node.call("eth_getBalance", json!([NOBODY, "latest"])), json!("0x5"));
    for hash in &hashes {
        assert!(node.call("eth_getTransactionReceipt", json!([hash])).is_null());
    }
    assert!(
        node.call("eth_getBlockByNumber", json!([format!("0x{:x}", start + 1), false])).is_null()
    );
    // A snapshot is used up by its revert.
    let error = error_of(&node, "evm_revert", json!([snapshot]));
    assert_eq!(error["code"], json!(-32602));
    // The chain goes on from the snapshot's block.
    let hash =
        node.call("eth_sendTransaction", json!([{"from": DEV0, "to": DEV3, "value": "0x1"}]));
    assert_eq!(quantity(&node.wait_receipt(&hash)["blockNumber"]), start + 1);
    node.interrupt();
}

#[test]
fn serial_cheats_and_snapshots_survive_kill_and_restart() {
    let data = tempfile::tempdir().unwrap();
    let datadir = data.path().join("data");
    let node = Node::start(&datadir, 0);
    node.call("anvil_mine", json!([1]));
    let start = head(&node);
    let snapshot = node.call("evm_snapshot", json!([]));
    node.call("anvil_setBalance", json!([NOBODY, "0x77"]));
    node.call("anvil_setStorageAt", json!([NOBODY, "0x1", format!("0x{:064x}", 9)]));
    node.call("anvil_mine", json!([3]));
    node.call("anvil_setBalance", json!([STRANGER, "0x42"]));
    node.kill();

    let node = Node::start(&datadir, 0);
    assert_eq!(head(&node), start + 3);
    assert_eq!(node.call("eth_getBalance", json!([NOBODY, "latest"])), json!("0x77"));
    assert_eq!(
        node.call("eth_getStorageAt", json!([NOBODY, "0x1", "latest"])),
        json!(format!("0x{:064x}", 9))
    );
    // The cheat made after the last block still waits for the next one.
    assert_eq!(node.call("eth_getBalance", json!([STRANGER, "latest"])), json!("0x42"));
    assert_eq!(node.call("evm_revert", json!([snapshot])), json!(true));
    assert_eq!(head(&node), start);
    assert_eq!(node.call("eth_getBalance", json!([NOBODY, "latest"])), json!("0x0"));
    assert_eq!(node.call("eth_getBalance", json!([STRANGER, "latest"])), json!("0x0"));
    node.kill();

    let node = Node::start(&datadir, 0);
    assert_eq!(head(&node), start, "the revert was committed");
    node.interrupt();
}

#[test]
fn serial_impersonated_accounts_send_without_a_key() {
    let data = tempfile::tempdir().unwrap();
    let node = Node::start(&data.path().join("data"), 0);
    node.call("anvil_setBalance", json!([STRANGER, "0xde0b6b3a7640000"]));
    let send = |value: &str| json!([{"from": STRANGER, "to": DEV3, "value": value}]);
    let error = error_of(&node, "eth_sendTransaction", send("0x1"));
    assert_eq!(error["message"], json!("unknown account"));

    node.call("anvil_impersonateAccount", json!([STRANGER]));
    let hash = node.call("eth_sendTransaction", send("0x1"));
    let receipt = node.wait_receipt(&hash);
    assert_eq!(receipt["status"], json!("0x1"), "{receipt}");
    assert_eq!(receipt["from"].as_str().unwrap().to_lowercase(), STRANGER);
    let tx = node.call("eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["from"].as_str().unwrap().to_lowercase(), STRANGER);
    let block = node.call("eth_getBlockByNumber", json!([receipt["blockNumber"], true]));
    let listed = block["transactions"].as_array().unwrap().iter().find(|t| t["hash"] == hash);
    assert_eq!(listed.unwrap()["from"].as_str().unwrap().to_lowercase(), STRANGER);
    assert_eq!(node.call("eth_getTransactionCount", json!([STRANGER, "latest"])), json!("0x1"));

    node.call("hardhat_stopImpersonatingAccount", json!([STRANGER]));
    assert!(node.try_call("eth_sendTransaction", send("0x1")).is_err());
    node.call("anvil_autoImpersonateAccount", json!([true]));
    let hash = node.call("eth_sendTransaction", send("0x2"));
    assert_eq!(node.wait_receipt(&hash)["status"], json!("0x1"));
    // Its raw bytes carry the placeholder signature, which eth_sendRawTransaction refuses.
    let raw = node.call("eth_getRawTransactionByHash", json!([hash]));
    let error = error_of(&node, "eth_sendRawTransaction", json!([raw]));
    assert!(error["message"].as_str().is_some(), "{error}");
    node.interrupt();
}

#[test]
fn serial_a_dumped_state_loads_into_a_fresh_dev_node() {
    let data = tempfile::tempdir().unwrap();
    let from = Node::start(&data.path().join("from"), 0);
    from.call("anvil_setCode", json!([NOBODY, RETURN_SLOT_0]));
    from.call("anvil_setStorageAt", json!([NOBODY, "0x0", format!("0x{:064x}", 7)]));
    let hash =
        from.call("eth_sendTransaction", json!([{"from": DEV0, "to": DEV3, "value": "0x3"}]));
    from.wait_receipt(&hash);
    from.call("anvil_setBalance", json!([STRANGER, "0x99"]));
    let dump = from.call("anvil_dumpState", json!([]));
    assert!(dump.as_str().is_some_and(|d| d.starts_with("0x1f8b")), "gzip: {dump}");

    let into = Node::start(&data.path().join("into"), 0);
    assert_eq!(into.call("anvil_loadState", json!([dump])), json!(true));
    for account in [DEV0, DEV3, STRANGER, NOBODY] {
        for method in ["eth_getBalance", "eth_getTransactionCount", "eth_getCode"] {
            assert_eq!(
                into.call(method, json!([account, "latest"])),
                from.call(method, json!([account, "latest"])),
                "{method} of {account}"
            );
        }
    }
    assert_eq!(
        into.call("eth_call", json!([{"to": NOBODY}, "latest"])),
        json!(format!("0x{:064x}", 7))
    );
    from.interrupt();
    into.interrupt();
}

#[test]
fn serial_viem_test_client_drives_the_cheats() {
    let dir = crate::wallets::js_dir();
    assert!(
        dir.join("node_modules/viem").is_dir(),
        "viem is missing: run `cd tests/js && npm ci` (scripts/test does)"
    );
    let data = tempfile::tempdir().unwrap();
    let node = Node::start(&data.path().join("data"), 0);
    let output = Command::new("node")
        .arg(dir.join("cheats.mjs"))
        .arg(format!("http://{}", node.http))
        .output()
        .expect("node (Node.js) runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cheats.mjs failed:\n{stdout}\n{stderr}");
    let seen: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(seen["balance"], json!("12345"), "{seen}");
    assert_eq!(seen["nonce"], json!(9), "{seen}");
    assert_eq!(seen["code"], json!(RETURN_SLOT_0), "{seen}");
    assert_eq!(seen["storage"], json!(format!("0x{:064x}", 5)), "{seen}");
    assert_eq!(seen["minedBlocks"], json!(4), "{seen}");
    assert_eq!(seen["unsignedStatus"], json!("success"), "{seen}");
    assert_eq!(seen["timestampGap"], json!(3600), "{seen}");
    assert_eq!(seen["impersonatedStatus"], json!("success"), "{seen}");
    assert_eq!(seen["impersonatedFrom"], json!(STRANGER), "{seen}");
    assert_eq!(seen["revertedTo"], seen["snapshotAt"], "{seen}");
    assert_eq!(seen["balanceAfterRevert"], json!("12345"), "{seen}");
    assert_eq!(seen["automine"], json!(false), "{seen}");
    assert_eq!(seen["loadedBalance"], json!("777"), "{seen}");
    // What viem saw is what the node holds.
    assert_eq!(node.call("eth_getBalance", json!([NOBODY, "latest"])), json!("0x309"));
    node.interrupt();
}
