//! op-node's rollup RPC on phala-node: `optimism_syncStatus`, `optimism_outputAtBlock` (its root
//! recomputed here from the block and `eth_getProof`), `optimism_rollupConfig`,
//! `optimism_safeHeadAtL1Block`, and the opt-in `admin_*` sequencer control.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_sol_types::{SolCall, sol};
use phala_e2e::{Node, Role, TestL1, eventually, mined_in};
use phala_l1::{L1Client, test_utils::anvil_key};
use serde_json::{Value, json};
use std::time::Duration;

const L2_CHAIN_ID: u64 = phala_node::devnet::DEVNET_CHAIN_ID;
const MINUTE: Duration = Duration::from_secs(60);
const MESSAGE_PASSER: Address =
    alloy_primitives::address!("4200000000000000000000000000000000000016");

sol! {
    function initiateWithdrawal(address target, uint256 gasLimit, bytes data) payable;
}

/// A JSON-RPC call's result, or its error response as `(code, message)`.
async fn call(
    client: &L1Client,
    method: &'static str,
    params: Value,
) -> Result<Value, (i32, String)> {
    let Value::Array(values) = params else { panic!("positional parameters only") };
    let mut array = jsonrpsee::core::params::ArrayParams::new();
    for value in values {
        array.insert(value).expect("a JSON value");
    }
    match client.call::<Value>(method, array).await {
        Ok(value) => Ok(value),
        Err(phala_l1::L1Error::Rpc {
            source: jsonrpsee::core::ClientError::Call(error), ..
        }) => Err((error.code(), error.message().to_string())),
        Err(other) => panic!("{method}: no error response: {other}"),
    }
}

async fn ok(client: &L1Client, method: &'static str, params: Value) -> Value {
    call(client, method, params).await.unwrap_or_else(|err| panic!("{method} failed: {err:?}"))
}

fn hash(value: &Value) -> B256 {
    value.as_str().and_then(|text| text.parse().ok()).unwrap_or_else(|| panic!("a hash: {value}"))
}

fn json_number(value: &Value) -> u64 {
    value.as_u64().unwrap_or_else(|| panic!("a JSON number (op-node's uint64): {value}"))
}

fn quantity(value: &Value) -> u64 {
    let text = value.as_str().unwrap_or_else(|| panic!("a quantity: {value}"));
    u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex")
}

/// Checks an L1 block reference has op-node's fields, and only those.
fn assert_l1_ref(value: &Value, name: &str) {
    let object = value.as_object().unwrap_or_else(|| panic!("{name} is an object: {value}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["hash", "number", "parentHash", "timestamp"], "{name}: {value}");
    hash(&value["hash"]);
    hash(&value["parentHash"]);
    json_number(&value["number"]);
    json_number(&value["timestamp"]);
}

/// Checks an L2 block reference has op-node's fields, and only those.
fn assert_l2_ref(value: &Value, name: &str) {
    let object = value.as_object().unwrap_or_else(|| panic!("{name} is an object: {value}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["hash", "l1origin", "number", "parentHash", "sequenceNumber", "timestamp"],
        "{name}: {value}"
    );
    let mut origin: Vec<&str> =
        value["l1origin"].as_object().expect("l1origin").keys().map(String::as_str).collect();
    origin.sort_unstable();
    assert_eq!(origin, ["hash", "number"], "{name}.l1origin: {value}");
    json_number(&value["sequenceNumber"]);
    json_number(&value["number"]);
}

/// op-node's `SyncStatus` fields that hold an L1 block reference.
const SYNC_STATUS_L1_REFS: [&str; 5] =
    ["current_l1", "current_l1_finalized", "head_l1", "safe_l1", "finalized_l1"];

/// op-node's `SyncStatus` fields that hold an L2 block reference.
const SYNC_STATUS_L2_REFS: [&str; 6] =
    ["unsafe_l2", "safe_l2", "finalized_l2", "pending_safe_l2", "cross_unsafe_l2", "local_safe_l2"];

/// Checks a sync status's shape and the relations that hold on a single chain.
fn assert_sync_status(status: &Value) {
    let mut keys: Vec<&str> =
        status.as_object().expect("an object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected: Vec<&str> =
        SYNC_STATUS_L1_REFS.iter().chain(&SYNC_STATUS_L2_REFS).copied().collect();
    expected.sort_unstable();
    assert_eq!(keys, expected, "{status}");
    for name in SYNC_STATUS_L1_REFS {
        assert_l1_ref(&status[name], name);
    }
    for name in SYNC_STATUS_L2_REFS {
        assert_l2_ref(&status[name], name);
    }
    assert_eq!(status["pending_safe_l2"], status["safe_l2"]);
    assert_eq!(status["local_safe_l2"], status["safe_l2"]);
    assert_eq!(status["cross_unsafe_l2"], status["unsafe_l2"]);
    assert_eq!(status["current_l1_finalized"], status["finalized_l1"]);
    let n = |name: &str| json_number(&status[name]["number"]);
    assert!(n("unsafe_l2") >= n("safe_l2") && n("safe_l2") >= n("finalized_l2"), "{status}");
    assert!(n("head_l1") >= n("current_l1") && n("head_l1") >= n("safe_l1"), "{status}");
}

/// The `(hash, number)` of the L2 block at `tag`, as JSON.
async fn block(client: &L1Client, tag: &str) -> Value {
    ok(client, "eth_getBlockByNumber", json!([tag, false])).await
}

/// Sends an L2 withdrawal of 1 gwei through the message passer, so its storage root is not
/// empty; returns the block it is in.
async fn withdraw(node: &Node) -> u64 {
    let client = node.client();
    let key = anvil_key(5);
    let data = initiateWithdrawalCall {
        target: Address::repeat_byte(0x77),
        gasLimit: U256::from(100_000),
        data: Bytes::new(),
    }
    .abi_encode();
    let tx = TxEip1559 {
        chain_id: L2_CHAIN_ID,
        nonce: 0,
        gas_limit: 300_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(MESSAGE_PASSER),
        value: U256::from(1_000_000_000u64),
        access_list: Default::default(),
        input: data.into(),
    };
    let signature = key.sign_hash_sync(&tx.signature_hash()).expect("signing");
    let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    let tx_hash = client.send_raw_transaction(&raw).await.expect("the L2 accepts it");
    let mined = eventually(node.log(), "the withdrawal is mined", MINUTE, || {
        let client = client.clone();
        async move { mined_in(&client, tx_hash).await }
    })
    .await;
    let receipt = ok(&client, "eth_getTransactionReceipt", json!([tx_hash])).await;
    assert_eq!(receipt["status"], json!("0x1"), "the withdrawal succeeded: {receipt}");
    mined
}

/// The output root of L2 block `number` recomputed from the block header and `eth_getProof` of
/// the message passer: `keccak256(0 ‖ stateRoot ‖ storageHash ‖ blockHash)`.
async fn expected_output(client: &L1Client, number: u64) -> (B256, B256, B256, B256) {
    let tag = format!("{number:#x}");
    let block = block(client, &tag).await;
    let (state_root, block_hash) = (hash(&block["stateRoot"]), hash(&block["hash"]));
    let proof = ok(client, "eth_getProof", json!([MESSAGE_PASSER, [], tag])).await;
    let storage_root = hash(&proof["storageHash"]);
    let root = keccak256(
        [
            [0u8; 32].as_slice(),
            state_root.as_slice(),
            storage_root.as_slice(),
            block_hash.as_slice(),
        ]
        .concat(),
    );
    (root, state_root, storage_root, block_hash)
}

/// Checks `optimism_outputAtBlock(number)` on `client` against the recomputed output; returns
/// the output root.
async fn check_output(client: &L1Client, number: u64) -> B256 {
    let output = ok(client, "optimism_outputAtBlock", json!([format!("{number:#x}")])).await;
    let (root, state_root, storage_root, block_hash) = expected_output(client, number).await;
    assert_eq!(hash(&output["version"]), B256::ZERO, "{output}");
    assert_eq!(hash(&output["outputRoot"]), root, "the output root is recomputed: {output}");
    assert_eq!(hash(&output["stateRoot"]), state_root);
    assert_eq!(hash(&output["withdrawalStorageRoot"]), storage_root);
    assert_l2_ref(&output["blockRef"], "blockRef");
    assert_eq!(hash(&output["blockRef"]["hash"]), block_hash);
    assert_eq!(json_number(&output["blockRef"]["number"]), number);
    assert_sync_status(&output["syncStatus"]);
    root
}

async fn sync_status(client: &L1Client) -> Value {
    let status = ok(client, "optimism_syncStatus", json!([])).await;
    assert_sync_status(&status);
    status
}

/// Waits until `node`'s safe head (by `optimism_syncStatus`) reaches `target`.
async fn wait_status_safe(node: &Node, target: u64) -> Value {
    let client = node.client();
    eventually(node.log(), &format!("safe_l2 reaches {target}"), MINUTE, || {
        let client = client.clone();
        async move {
            let status = sync_status(&client).await;
            (json_number(&status["safe_l2"]["number"]) >= target).then_some(status)
        }
    })
    .await
}

/// A sequencer with its batcher and a verifier: the `optimism` namespace's shapes and values.
#[tokio::test(flavor = "multi_thread")]
async fn optimism_namespace_matches_op_node() {
    let l1 = TestL1::start(None).await;
    let sequencer =
        Node::start(&l1, Role::Sequencer("calldata"), &l1.dir.path().join("sequencer")).await;
    let verifier = Node::start(&l1, Role::Verifier, &l1.dir.path().join("verifier")).await;
    let (seq, ver) = (sequencer.client(), verifier.client());

    // A withdrawal, so the message passer's storage root is part of what is checked.
    let withdrawal_block = withdraw(&sequencer).await;

    // The safe head advances, and optimism_syncStatus agrees with eth_getBlockByNumber("safe").
    let first = json_number(&wait_status_safe(&sequencer, 1).await["safe_l2"]["number"]);
    let status = wait_status_safe(&sequencer, first.max(withdrawal_block) + 1).await;
    assert!(json_number(&status["current_l1"]["number"]) > l1.rollup.genesis.l1.number, "{status}");
    assert!(status["head_l1"]["hash"] != json!(B256::ZERO), "head_l1 is known: {status}");
    eventually(sequencer.log(), "syncStatus and the safe tag agree", MINUTE, || {
        let seq = seq.clone();
        async move {
            let before = sync_status(&seq).await;
            let safe = block(&seq, "safe").await;
            let after = sync_status(&seq).await;
            // Both move: compare only when nothing moved in between.
            (before["safe_l2"] == after["safe_l2"]).then(|| {
                assert_eq!(hash(&safe["hash"]), hash(&after["safe_l2"]["hash"]));
                assert_eq!(quantity(&safe["number"]), json_number(&after["safe_l2"]["number"]));
            })
        }
    })
    .await;

    // optimism_outputAtBlock, recomputed, on both nodes, for the withdrawal's block and the
    // genesis block.
    wait_status_safe(&verifier, withdrawal_block).await;
    for number in [0, withdrawal_block] {
        let on_sequencer = check_output(&seq, number).await;
        let on_verifier = check_output(&ver, number).await;
        assert_eq!(on_sequencer, on_verifier, "block {number}'s output root on both nodes");
    }
    let (_, _, storage_root, _) = expected_output(&seq, withdrawal_block).await;
    assert_ne!(storage_root, alloy_consensus::constants::EMPTY_ROOT_HASH, "a withdrawal is stored");

    // Above the head and bad parameters: errors, not panics.
    let head = quantity(&block(&seq, "latest").await["number"]);
    let (code, message) =
        call(&seq, "optimism_outputAtBlock", json!([format!("{:#x}", head + 1000)]))
            .await
            .unwrap_err();
    assert_eq!(code, -32000, "{message}");
    assert!(message.contains("not found"), "{message}");
    for bad in [json!("12"), json!("0x10000000000000000"), json!("0x01"), json!(12), json!("0xzz")]
    {
        let (code, message) = call(&seq, "optimism_outputAtBlock", json!([bad])).await.unwrap_err();
        assert_eq!(code, -32602, "{bad}: {message}");
    }
    let (code, _) = call(&seq, "optimism_outputAtBlock", json!([])).await.unwrap_err();
    assert_eq!(code, -32602);

    // optimism_rollupConfig is the rollup.json the node was started with.
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(&l1.files.rollup_config).expect("rollup.json"),
    )
    .expect("JSON");
    assert_eq!(ok(&ver, "optimism_rollupConfig", json!([])).await, file);
    assert!(ok(&seq, "optimism_version", json!([])).await.is_string());

    // optimism_safeHeadAtL1Block: an L1 block both nodes have read past gives both the same
    // safe head, a block on both chains, recorded at a block on L1.
    let current = |status: &Value| json_number(&status["current_l1"]["number"]);
    let l1_block = current(&sync_status(&seq).await).min(current(&sync_status(&ver).await)) - 1;
    let at = ok(&seq, "optimism_safeHeadAtL1Block", json!([format!("{l1_block:#x}")])).await;
    assert_eq!(at, ok(&ver, "optimism_safeHeadAtL1Block", json!([format!("{l1_block:#x}")])).await);
    let recorded_l1 = json_number(&at["l1Block"]["number"]);
    assert!(recorded_l1 <= l1_block, "{at}");
    let l1_hash = l1
        .client()
        .block_header_by_number(alloy_rpc_types_eth::BlockNumberOrTag::Number(recorded_l1))
        .await
        .expect("L1 answers")
        .expect("the block")
        .header
        .hash;
    assert_eq!(hash(&at["l1Block"]["hash"]), l1_hash);
    let safe_number = json_number(&at["safeHead"]["number"]);
    assert!(safe_number >= first, "the safe head had moved by then: {at}");
    assert_eq!(
        hash(&at["safeHead"]["hash"]),
        hash(&block(&seq, &format!("{safe_number:#x}")).await["hash"])
    );
    // Later L1 blocks never give an older safe head.
    let latest = ok(&seq, "optimism_safeHeadAtL1Block", json!(["0xffffffffffffffff"])).await;
    assert!(json_number(&latest["safeHead"]["number"]) >= safe_number, "{latest}");
    // Before the first entry (L1 genesis): op-node's "not found".
    let (code, message) =
        call(&seq, "optimism_safeHeadAtL1Block", json!(["0x0"])).await.unwrap_err();
    assert_eq!(code, -32000);
    assert!(message.contains("not found"), "{message}");

    // Without --rpc.enable-admin there is no admin namespace.
    for node in [&seq, &ver] {
        let (code, message) = call(node, "admin_sequencerActive", json!([])).await.unwrap_err();
        assert_eq!(code, -32601, "{message}");
    }
}

/// Waits until `node`'s head passes `target`; returns the head block.
async fn wait_head(node: &Node, target: u64) -> Value {
    let client = node.client();
    eventually(node.log(), &format!("the head passes {target}"), MINUTE, || {
        let client = client.clone();
        async move {
            let head = block(&client, "latest").await;
            (quantity(&head["number"]) > target).then_some(head)
        }
    })
    .await
}

/// `--sequencer.stopped` and `admin_*`: a stopped sequencer builds nothing while its safe head
/// still reaches the head it stopped at; a start needs that head's hash and the chain goes on.
#[tokio::test(flavor = "multi_thread")]
async fn admin_stops_and_starts_the_sequencer() {
    let l1 = TestL1::start(None).await;
    let sequencer = Node::start_with(
        &l1,
        Role::Sequencer("calldata"),
        &l1.dir.path().join("sequencer"),
        &["--rpc.enable-admin", "--sequencer.stopped"],
    )
    .await;
    let client = sequencer.client();
    let block_time = Duration::from_secs(l1.rollup.block_time);

    // Started stopped: nothing is built, and a stop is refused.
    assert_eq!(ok(&client, "admin_sequencerActive", json!([])).await, json!(false));
    tokio::time::sleep(2 * block_time).await;
    let genesis = block(&client, "latest").await;
    assert_eq!(quantity(&genesis["number"]), 0, "a stopped sequencer builds nothing");
    let (code, message) = call(&client, "admin_stopSequencer", json!([])).await.unwrap_err();
    assert_eq!((code, message.contains("sequencer not running")), (-32000, true), "{message}");

    // A start names the unsafe head: a wrong hash is refused, the right one starts it.
    let (code, message) =
        call(&client, "admin_startSequencer", json!([B256::repeat_byte(0xee)])).await.unwrap_err();
    assert_eq!((code, message.contains("block hash does not match")), (-32000, true), "{message}");
    let (code, _) = call(&client, "admin_startSequencer", json!(["0x1234"])).await.unwrap_err();
    assert_eq!(code, -32602);
    assert_eq!(ok(&client, "admin_startSequencer", json!([genesis["hash"]])).await, Value::Null);
    assert_eq!(ok(&client, "admin_sequencerActive", json!([])).await, json!(true));
    let (code, message) =
        call(&client, "admin_startSequencer", json!([genesis["hash"]])).await.unwrap_err();
    assert_eq!((code, message.contains("sequencer already running")), (-32000, true), "{message}");

    // It builds, and its blocks become safe.
    wait_head(&sequencer, 3).await;
    wait_status_safe(&sequencer, 1).await;

    // Stopped: the returned hash is the head, no block follows for a few block times, and the
    // safe head (the batcher posted the rest) reaches the head it stopped at.
    let stopped = hash(&ok(&client, "admin_stopSequencer", json!([])).await);
    let head = block(&client, "latest").await;
    assert_eq!(hash(&head["hash"]), stopped, "stopSequencer returns the unsafe head");
    let stopped_number = quantity(&head["number"]);
    assert_eq!(ok(&client, "admin_sequencerActive", json!([])).await, json!(false));
    let status = wait_status_safe(&sequencer, stopped_number).await;
    assert_eq!(hash(&status["safe_l2"]["hash"]), stopped);
    assert_eq!(hash(&status["unsafe_l2"]["hash"]), stopped);
    tokio::time::sleep(3 * block_time).await;
    assert_eq!(hash(&block(&client, "latest").await["hash"]), stopped, "no block while stopped");
    assert_eq!(hash(&block(&client, "safe").await["hash"]), stopped);

    // Started again on that head: the chain continues from it.
    assert_eq!(ok(&client, "admin_startSequencer", json!([stopped])).await, Value::Null);
    wait_head(&sequencer, stopped_number + 1).await;
    let next = block(&client, &format!("{:#x}", stopped_number + 1)).await;
    assert_eq!(hash(&next["parentHash"]), stopped, "the chain continues from the stopped head");
    wait_status_safe(&sequencer, stopped_number + 1).await;
}
