//! The RPC servers over real sockets, on a RocksDB chain in a temporary directory: error codes,
//! batches, the pool's errors, batched storage reads, the Engine API's JWT check, a payload's round trip through
//! `forkchoiceUpdated` → `getPayload` → `newPayload`, and proofs at blocks thousands of blocks back.

use alloy_consensus::{SignableTransaction, TxEip1559, crypto::secp256k1::sign_message};
use alloy_eips::Encodable2718;
use alloy_genesis::{Genesis, GenesisAccount};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, b256};
use phala_chain::init_genesis;
use phala_engine::{Engine, MiningMode};
use phala_pool::{PoolConfig, TxPool};
use phala_primitives::{ChainSpec, PhalaTxEnvelope, TxDeposit, TxEnvelope};
use phala_rpc::{
    NodeContext, RpcLimits,
    auth::{JwtSecret, unix_now},
    client::{self, ClientError},
    server::{RpcServerConfig, ServerHandle, start_auth, start_public},
};
use phala_storage::Database;
use serde_json::{Value, json};
use std::{net::SocketAddr, sync::Arc, time::Duration};

mod op_engine;
mod tdx;

/// When the test chain's TDX attestation precompile activates.
const TDX_FORK_TIME: u64 = 1_700_000_000;

const KEY: B256 = b256!("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
/// Reverts with the 32-byte word 0x2a.
const REVERTER: Address = address!("0x00000000000000000000000000000000000000aa");
/// Jumps back to its start until the gas runs out (`JUMPDEST PUSH1 0 JUMP`).
const LOOPER: Address = address!("0x00000000000000000000000000000000000000cc");
/// Logs one topic, the first word of its calldata (`LOG1` of empty data).
const LOGGER: Address = address!("0x00000000000000000000000000000000000000dd");
/// Holds storage from genesis: slot 0 = 0x38, slot 5 = 2^256 - 1.
const STORED: Address = address!("0x00000000000000000000000000000000000000bb");

pub(crate) struct TestNode {
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    ctx: Arc<NodeContext>,
    http: SocketAddr,
    auth: SocketAddr,
    secret: JwtSecret,
    handles: Vec<ServerHandle>,
}

fn sender() -> Address {
    alloy_signer_local::PrivateKeySigner::from_bytes(&KEY).unwrap().address()
}

impl TestNode {
    fn start() -> Self {
        Self::start_with_forks(json!({}))
    }

    /// A node on an OP Stack chain (Bedrock to Isthmus at genesis).
    fn start_op() -> Self {
        let forks =
            phala_primitives::op_genesis_keys_through(phala_primitives::OpHardfork::Isthmus);
        Self::start_with_forks(Value::Object(forks.map(|f| (f.to_string(), json!(0))).collect()))
    }

    fn start_with_forks(extra_forks: Value) -> Self {
        Self::start_chain(extra_forks, false)
    }

    /// A dev chain's node (cheat RPCs served), mining only when asked.
    fn start_dev() -> Self {
        Self::start_chain(json!({}), true)
    }

    fn start_chain(extra_forks: Value, dev: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut genesis = Genesis {
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(1_000_000_000),
            ..Default::default()
        };
        genesis
            .alloc
            .insert(sender(), GenesisAccount::default().with_balance(U256::from(10u128.pow(21))));
        genesis.alloc.insert(
            REVERTER,
            GenesisAccount::default().with_code(Some(Bytes::from_static(&[
                0x60, 0x2a, 0x60, 0, 0x52, 0x60, 0x20, 0x60, 0, 0xfd,
            ]))),
        );
        genesis.alloc.insert(
            LOGGER,
            GenesisAccount::default().with_code(Some(Bytes::from_static(&[
                0x60, 0, 0x35, 0x60, 0, 0x60, 0, 0xa1, 0x00,
            ]))),
        );
        genesis.alloc.insert(
            LOOPER,
            GenesisAccount::default().with_code(Some(Bytes::from_static(&[0x5b, 0x60, 0, 0x56]))),
        );
        genesis.alloc.insert(
            STORED,
            GenesisAccount::default().with_nonce(Some(1)).with_storage(Some(
                [
                    (B256::ZERO, B256::with_last_byte(0x38)),
                    (B256::with_last_byte(5), B256::repeat_byte(0xff)),
                ]
                .into(),
            )),
        );
        let mut config = json!({
            "chainId": 1337, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
            "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0, "istanbulBlock": 0,
            "berlinBlock": 0, "londonBlock": 0, "mergeNetsplitBlock": 0, "terminalTotalDifficulty": 0,
            "shanghaiTime": 0, "cancunTime": 0, "pragueTime": 0,
            "tdxAttestationTime": TDX_FORK_TIME,
        });
        config.as_object_mut().unwrap().extend(extra_forks.as_object().unwrap().clone());
        genesis.config = serde_json::from_value(config).unwrap();
        let spec = Arc::new(ChainSpec::from_genesis(genesis).unwrap());
        let db = Database::open(dir.path()).unwrap();
        init_genesis(&db, &spec).unwrap();
        let mut engine = Engine::new(Arc::new(db), spec, TxPool::new(PoolConfig::default()));
        if dev {
            engine = engine.with_dev(Address::repeat_byte(0xfe), MiningMode::Manual).unwrap();
        }
        let engine = Arc::new(engine);
        let ctx = Arc::new(NodeContext::new(engine, Vec::new(), RpcLimits::default()));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let secret = JwtSecret::from_bytes([9; 32]);
        let local = SocketAddr::from(([127, 0, 0, 1], 0));
        let config = RpcServerConfig { max_batch_size: 3, ..RpcServerConfig::new(local) };
        let ((http, h1), (auth, h2)) = runtime.block_on(async {
            (
                start_public(ctx.clone(), &config).await.unwrap(),
                start_auth(ctx.clone(), local, secret.clone()).await.unwrap(),
            )
        });
        Self { _dir: dir, runtime, ctx, http, auth, secret, handles: vec![h1, h2] }
    }

    fn raw(&self, body: &str) -> Value {
        serde_json::from_str(&client::post(self.http, body, None, Duration::from_secs(10)).unwrap())
            .unwrap()
    }

    fn call(&self, method: &str, params: Value) -> Value {
        self.raw(
            &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string(),
        )
    }

    fn engine(&self, method: &str, params: Value) -> Value {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let token = self.secret.token(unix_now());
        let reply = client::post(self.auth, &body, Some(&token), Duration::from_secs(10)).unwrap();
        serde_json::from_str(&reply).unwrap()
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        for handle in self.handles.drain(..) {
            let _ = handle.stop();
            self.runtime.block_on(handle.stopped());
        }
    }
}

pub(crate) fn signed_transfer(nonce: u64, gas_limit: u64, max_fee: u128) -> TxEnvelope {
    let tx = TxEip1559 {
        chain_id: 1337,
        nonce,
        gas_limit,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(address!("0x00000000000000000000000000000000000000bb")),
        value: U256::from(1),
        ..Default::default()
    };
    let signature = sign_message(KEY, tx.signature_hash()).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(signature))
}

pub(crate) fn raw_tx(tx: &TxEnvelope) -> String {
    format!("0x{}", alloy_primitives::hex::encode(tx.encoded_2718()))
}

#[test]
fn error_codes_follow_json_rpc_and_geth() {
    let node = TestNode::start();
    assert_eq!(node.raw("{not json")["error"]["code"], json!(-32700));
    assert_eq!(node.call("eth_noSuchMethod", json!([]))["error"]["code"], json!(-32601));
    assert_eq!(node.call("eth_getBalance", json!(["0x1234"]))["error"]["code"], json!(-32602));
    assert_eq!(
        node.call("eth_getBlockByNumber", json!(["2", false]))["error"]["code"],
        json!(-32602)
    );
    assert_eq!(
        node.call("eth_getBalance", json!([sender(), "0x99"]))["error"],
        json!({"code": -32000, "message": "header not found"})
    );
    let reverted = node.call("eth_call", json!([{"to": REVERTER}, "latest"]));
    assert_eq!(reverted["error"]["code"], json!(3));
    assert_eq!(reverted["error"]["message"], json!("execution reverted"));
    assert_eq!(reverted["error"]["data"], json!(format!("0x{:064x}", 0x2a)));
    // Overrides: the same address with other code returns instead of reverting.
    let overridden = node.call(
        "eth_call",
        json!([{"to": REVERTER}, "latest", {REVERTER.to_string(): {"code": "0x602a60005260206000f3"}}]),
    );
    assert_eq!(overridden["result"], json!(format!("0x{:064x}", 0x2a)));
    // Block overrides reach the EVM: TIMESTAMP returned as a word.
    let time = node.call(
        "eth_call",
        json!([{"to": REVERTER}, "latest", {REVERTER.to_string(): {"code": "0x4260005260206000f3"}}, {"time": "0x1234"}]),
    );
    assert_eq!(time["result"], json!(format!("0x{:064x}", 0x1234)));
}

#[test]
fn cheats_are_refused_on_a_chain_that_is_not_a_dev_chain() {
    let node = TestNode::start();
    let cheats = [
        "anvil_setBalance",
        "anvil_setCode",
        "anvil_setNonce",
        "anvil_setStorageAt",
        "anvil_impersonateAccount",
        "anvil_stopImpersonatingAccount",
        "anvil_autoImpersonateAccount",
        "anvil_mine",
        "evm_mine",
        "evm_increaseTime",
        "evm_setNextBlockTimestamp",
        "evm_setBlockGasLimit",
        "evm_setAutomine",
        "evm_setIntervalMining",
        "anvil_dropTransaction",
        "evm_snapshot",
        "evm_revert",
        "anvil_dumpState",
        "anvil_loadState",
        "anvil_nodeInfo",
        "hardhat_setBalance",
        "hardhat_setCode",
        "hardhat_setNonce",
        "hardhat_setStorageAt",
        "hardhat_impersonateAccount",
        "hardhat_stopImpersonatingAccount",
        "hardhat_mine",
        "hardhat_dropTransaction",
        "eth_sendUnsignedTransaction",
    ];
    for method in cheats {
        let reply = node.call(method, json!([sender(), "0x1"]));
        assert_eq!(reply["error"]["code"], json!(-32601), "{method}: {reply}");
        assert_eq!(
            reply["error"]["message"],
            json!(format!("{method} is only available on a dev chain (phala-node node --dev)")),
            "{method}"
        );
    }
    // Nothing changed.
    assert_eq!(
        node.call("eth_getBalance", json!([sender(), "latest"]))["result"],
        json!("0x3635c9adc5dea00000")
    );
}

/// Checks `eth_getProof` of `address` (slots `slots`) at block `tag` against the block's state
/// root; returns the root and the proof.
fn verified_proof(
    node: &TestNode,
    address: Address,
    slots: &[&str],
    tag: &str,
) -> (B256, alloy_rpc_types_eth::EIP1186AccountProofResponse) {
    let block = node.call("eth_getBlockByNumber", json!([tag, false]))["result"].clone();
    let root: B256 = serde_json::from_value(block["stateRoot"].clone()).unwrap();
    let response = node.call("eth_getProof", json!([address, slots, tag]));
    let proof: alloy_rpc_types_eth::EIP1186AccountProofResponse =
        serde_json::from_value(response["result"].clone())
            .unwrap_or_else(|_| panic!("proof at {tag}: {response}"));
    let account = alloy_trie::TrieAccount {
        nonce: proof.nonce,
        balance: proof.balance,
        storage_root: proof.storage_hash,
        code_hash: proof.code_hash,
    };
    alloy_trie::proof::verify_proof(
        root,
        alloy_trie::Nibbles::unpack(alloy_primitives::keccak256(address)),
        Some(alloy_rlp::encode(account)),
        &proof.account_proof,
    )
    .unwrap_or_else(|err| panic!("account proof at {tag}: {err:?}"));
    for slot in &proof.storage_proof {
        let value = (!slot.value.is_zero()).then(|| alloy_rlp::encode(slot.value));
        alloy_trie::proof::verify_proof(
            proof.storage_hash,
            alloy_trie::Nibbles::unpack(alloy_primitives::keccak256(slot.key.as_b256())),
            value,
            &slot.proof,
        )
        .unwrap_or_else(|err| panic!("storage proof at {tag}: {err:?}"));
    }
    (root, proof)
}

#[test]
fn a_block_carries_the_cheats_in_its_state_root() {
    let node = TestNode::start_dev();
    let fresh = Address::repeat_byte(0x51);
    let ok = |reply: Value| assert!(reply.get("error").is_none(), "{reply}");
    ok(node.call("anvil_setBalance", json!([fresh, "0x1234"])));
    ok(node.call("anvil_setNonce", json!([STORED, "0x9"])));
    ok(node.call("anvil_setStorageAt", json!([STORED, "0x0", format!("0x{:064x}", 7)])));
    ok(node.call("anvil_setStorageAt", json!([STORED, "0x5", format!("0x{:064x}", 0)])));
    ok(node.call("anvil_setCode", json!([fresh, "0x600160005260206000f3"])));
    // A transfer in the same block sees the cheated state: the sender's balance set by a cheat.
    ok(node.call("anvil_setBalance", json!([sender(), "0xde0b6b3a7640000"])));
    let raw = raw_tx(&signed_transfer(0, 21_000, 2_000_000_000));
    ok(node.call("eth_sendRawTransaction", json!([raw])));
    ok(node.call("anvil_mine", json!([])));
    let head = node.call("eth_blockNumber", json!([]))["result"].clone();
    assert_eq!(head, json!("0x1"));
    let block = node.call("eth_getBlockByNumber", json!(["0x1", false]))["result"].clone();
    assert_eq!(block["transactions"].as_array().map(Vec::len), Some(1), "{block}");

    let (_, proof) = verified_proof(&node, fresh, &[], "0x1");
    assert_eq!(proof.balance, U256::from(0x1234));
    assert_eq!(
        proof.code_hash,
        alloy_primitives::keccak256([0x60, 1, 0x60, 0, 0x52, 0x60, 0x20, 0x60, 0, 0xf3])
    );
    let (_, proof) = verified_proof(&node, STORED, &["0x0", "0x5"], "0x1");
    assert_eq!(proof.nonce, 9);
    assert_eq!(proof.storage_proof[0].value, U256::from(7));
    assert_eq!(proof.storage_proof[1].value, U256::ZERO);
    // The transfer paid 1 wei plus gas out of the cheated balance.
    let (_, proof) = verified_proof(&node, sender(), &[], "0x1");
    assert!(proof.balance < U256::from(10u64.pow(18)) && proof.balance > U256::from(10u64.pow(17)));
    // Genesis still holds what it held.
    let (_, genesis) = verified_proof(&node, STORED, &["0x0", "0x5"], "0x0");
    assert_eq!(genesis.storage_proof[0].value, U256::from(0x38));
    assert_eq!(genesis.storage_proof[1].value, U256::MAX);
    // Another block on top: the cheats are not applied twice.
    ok(node.call("anvil_mine", json!([])));
    verified_proof(&node, STORED, &["0x0", "0x5"], "0x2");
}

#[test]
fn storage_values_are_read_in_one_call_and_limited() {
    let node = TestNode::start();
    let word = |v: &str| format!("0x{v:0>64}");
    let unknown = Address::repeat_byte(0xc1);
    // Keys in any hex length, repeated, across accounts; an unknown account reads as zeros;
    // the block defaults to latest, and a number or a hash selects the same state.
    let genesis_hash =
        node.call("eth_getBlockByNumber", json!(["0x0", false]))["result"]["hash"].clone();
    let request = json!({
        STORED.to_string(): ["0x0", word("5"), "0x05", "0x1"],
        unknown.to_string(): [word("1")],
    });
    let expected = json!({
        format!("{STORED:#x}"): [word("38"), word(&"f".repeat(64)), word(&"f".repeat(64)), word("")],
        format!("{unknown:#x}"): [word("")],
    });
    for params in [
        json!([request]),
        json!([request, "latest"]),
        json!([request, "0x0"]),
        json!([request, {"blockHash": genesis_hash}]),
    ] {
        assert_eq!(
            node.call("eth_getStorageValues", params.clone())["result"],
            expected,
            "{params}"
        );
    }
    // The same as one eth_getStorageAt per slot.
    for slot in ["0x0", "0x5", "0x1"] {
        let single =
            node.call("eth_getStorageAt", json!([STORED, slot, "latest"]))["result"].clone();
        let batch = node.call("eth_getStorageValues", json!([{STORED.to_string(): [slot]}]));
        assert_eq!(batch["result"][format!("{STORED:#x}")][0], single, "{slot}");
    }
    // An account with no slots asked is answered with none.
    assert_eq!(
        node.call("eth_getStorageValues", json!([{STORED.to_string(): []}]))["result"],
        json!({format!("{STORED:#x}"): []})
    );

    // Limits and bad input: geth's messages and codes.
    assert_eq!(
        node.call("eth_getStorageValues", json!([{}, "latest"]))["error"],
        json!({"code": -32602, "message": "empty request"})
    );
    let slots = |n: usize| (0..n).map(|i| format!("{i:#x}")).collect::<Vec<_>>();
    let limit = phala_rpc::eth::MAX_STORAGE_VALUES_SLOTS;
    let split = json!([{STORED.to_string(): slots(limit - 1), unknown.to_string(): ["0x0"]}]);
    let answered = node.call("eth_getStorageValues", split)["result"].clone();
    assert_eq!(answered[format!("{STORED:#x}")].as_array().map(Vec::len), Some(limit - 1));
    let over = json!([{STORED.to_string(): slots(limit), unknown.to_string(): ["0x0"]}]);
    assert_eq!(
        node.call("eth_getStorageValues", over)["error"],
        json!({"code": -32602, "message": format!("too many slots (max {limit})")})
    );
    let too_long = format!("0x{}", "1".repeat(65));
    assert_eq!(
        node.call("eth_getStorageValues", json!([{STORED.to_string(): [too_long]}]))["error"]["code"],
        json!(-32602)
    );
    assert_eq!(
        node.call("eth_getStorageValues", json!([{"0x1234": ["0x0"]}]))["error"]["code"],
        json!(-32602)
    );
    assert_eq!(
        node.call("eth_getStorageValues", json!([{STORED.to_string(): ["0x0"]}, "0x99"]))["error"],
        json!({"code": -32000, "message": "header not found"})
    );
}

#[test]
fn batches_are_answered_in_full_and_limited() {
    let node = TestNode::start();
    let batch = node.raw(r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"}]"#);
    let replies = batch.as_array().unwrap();
    assert_eq!(replies.len(), 2);
    assert!(replies.iter().any(|r| r["id"] == json!(1) && r["result"] == json!("0x539")));
    assert!(replies.iter().any(|r| r["id"] == json!(2) && r["result"] == json!("0x0")));
    let too_big: Vec<Value> =
        (0..4).map(|id| json!({"jsonrpc":"2.0","id":id,"method":"eth_chainId"})).collect();
    let refused = node.raw(&Value::Array(too_big).to_string());
    assert!(refused["error"]["code"].is_i64(), "an over-limit batch is refused: {refused}");
}

#[test]
fn pool_errors_carry_geths_messages() {
    let node = TestNode::start();
    let low_gas = node.call(
        "eth_sendRawTransaction",
        json!([raw_tx(&signed_transfer(0, 20_000, 2_000_000_000))]),
    );
    assert_eq!(low_gas["error"]["code"], json!(-32000));
    assert!(low_gas["error"]["message"].as_str().unwrap().starts_with("intrinsic gas too low"));
    let tx = signed_transfer(0, 21_000, 2_000_000_000);
    let hash = node.call("eth_sendRawTransaction", json!([raw_tx(&tx)]));
    assert_eq!(hash["result"], json!(tx.tx_hash()));
    let again = node.call("eth_sendRawTransaction", json!([raw_tx(&tx)]));
    assert_eq!(again["error"]["message"], json!("already known"));
    let cheap_replacement = signed_transfer(0, 21_001, 2_000_000_000);
    let underpriced = node.call("eth_sendRawTransaction", json!([raw_tx(&cheap_replacement)]));
    assert_eq!(underpriced["error"]["message"], json!("replacement transaction underpriced"));
    let garbage = node.call("eth_sendRawTransaction", json!(["0xdeadbeef"]));
    assert_eq!(garbage["error"]["code"], json!(-32602));
    // A well-formed OP deposit: only L1 creates those (op-geth's error).
    let deposit = PhalaTxEnvelope::from(TxDeposit {
        from: sender(),
        to: TxKind::Call(Address::repeat_byte(9)),
        gas_limit: 100_000,
        ..Default::default()
    });
    let refused = node.call(
        "eth_sendRawTransaction",
        json!([Bytes::from(alloy_eips::Encodable2718::encoded_2718(&deposit))]),
    );
    assert_eq!(refused["error"]["code"], json!(-32000), "{refused}");
    assert_eq!(refused["error"]["message"], json!("transaction type not supported"));
    assert_eq!(
        node.call("txpool_status", json!([]))["result"],
        json!({"pending": "0x1", "queued": "0x0"})
    );
    assert_eq!(
        node.call("eth_getTransactionByHash", json!([tx.tx_hash()]))["result"]["blockHash"],
        Value::Null
    );
}

/// Under Osaka's EIP-7825 cap (2^24 gas per transaction), calls with a larger `gas` still run,
/// as on geth, reth and anvil; transactions are still held to the cap, and eth_estimateGas never
/// answers above it.
#[test]
fn calls_are_not_held_to_the_osaka_transaction_gas_cap() {
    let node = TestNode::start_with_forks(json!({"osakaTime": 0}));
    let above_cap = format!("{:#x}", 30_000_000u64);
    let call = json!({"from": sender(), "to": STORED, "gas": above_cap, "data": "0x"});
    let result = node.call("eth_call", json!([call, "latest"]));
    assert_eq!(result["result"], json!("0x"), "{result}");
    let trace = node.call("debug_traceCall", json!([call, "latest", {"tracer": "callTracer"}]));
    assert_eq!(trace["result"]["gas"], json!(above_cap), "{trace}");
    let list = node.call("eth_createAccessList", json!([call, "latest"]));
    assert!(list["result"]["gasUsed"].is_string(), "{list}");
    let simulated = node.call(
        "eth_simulateV1",
        json!([{"blockStateCalls": [{"calls": [call]}], "validation": false}, "latest"]),
    );
    assert_eq!(simulated["result"][0]["calls"][0]["status"], json!("0x1"), "{simulated}");
    // The estimate of a transfer is 21000, whatever gas the request names.
    let estimate = node.call("eth_estimateGas", json!([call]));
    assert_eq!(estimate["result"], json!("0x5208"), "{estimate}");
    // A default limit stays within the cap: the call sees at most 2^24 gas.
    let default_gas = json!({"from": sender(), "to": STORED});
    let trace =
        node.call("debug_traceCall", json!([default_gas, "latest", {"tracer": "callTracer"}]));
    assert_eq!(trace["result"]["gas"], json!(format!("{:#x}", 1u64 << 24)), "{trace}");
    // A transaction above the cap is still refused.
    let refused = node.call(
        "eth_sendRawTransaction",
        json!([raw_tx(&signed_transfer(0, 30_000_000, 2_000_000_000))]),
    );
    assert_eq!(refused["error"]["code"], json!(-32000), "{refused}");
}

/// `eth_call` runs on the connection's task for a short budget and starts again on the blocking
/// pool past it: a stopped attempt leaves no trace, so a long call answers as `call::call` does.
#[test]
fn a_call_past_the_inline_budget_runs_again_and_answers_the_same() {
    let node = TestNode::start();
    let request = |to: Address, gas: u64| {
        serde_json::from_value::<alloy_rpc_types_eth::TransactionRequest>(
            json!({"from": sender(), "to": to, "gas": format!("{gas:#x}")}),
        )
        .unwrap()
    };
    let latest = alloy_eips::BlockId::latest();
    let within = |to, gas, budget| {
        phala_rpc::call::call_within(&node.ctx, request(to, gas), latest, None, None, budget)
    };
    // A budget already spent stops even the shortest call, before its first instruction.
    assert!(within(REVERTER, 100_000, Duration::ZERO).is_none());
    // Within the budget, the answer is the plain call's.
    let reverted = within(REVERTER, 100_000, Duration::from_secs(3_600)).expect("within budget");
    let plain = phala_rpc::call::call(&node.ctx, request(REVERTER, 100_000), latest, None, None);
    assert_eq!(format!("{reverted:?}"), format!("{plain:?}"));
    // 20M gas of a tight loop takes milliseconds: the inline budget stops it.
    assert!(within(LOOPER, 20_000_000, phala_rpc::call::INLINE_CALL_BUDGET).is_none());
    // Over RPC it runs again on the pool and runs out of gas, as it would have inline.
    let looped = node.call(
        "eth_call",
        json!([{"from": sender(), "to": LOOPER, "gas": format!("{:#x}", 20_000_000)}, "latest"]),
    );
    assert_eq!(looped["error"]["code"], json!(-32000), "{looped}");
    assert_eq!(looped["error"]["message"], json!("out of gas"), "{looped}");
    let reverted = node.call("eth_call", json!([{"to": REVERTER}, "latest"]));
    assert_eq!(reverted["error"]["code"], json!(3), "{reverted}");
}

/// `eth_getLogs` over a range of blocks, and a scan that stops part-way (as one past its inline
/// budget does) and goes on from the block where it stopped, finding the same logs.
#[test]
fn log_scans_go_on_from_where_they_stopped() {
    use phala_rpc::filters::{LogScan, get_logs};
    let node = TestNode::start_dev();
    let topic = |n: u64| B256::from(U256::from(n + 1));
    for nonce in 0..5u64 {
        let tx = TxEip1559 {
            chain_id: 1337,
            nonce,
            gas_limit: 100_000,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(LOGGER),
            input: Bytes::copy_from_slice(topic(nonce).as_slice()),
            ..Default::default()
        };
        let signature = sign_message(KEY, tx.signature_hash()).unwrap();
        let raw = raw_tx(&TxEnvelope::Eip1559(tx.into_signed(signature)));
        let sent = node.call("eth_sendRawTransaction", json!([raw]));
        assert!(sent["result"].is_string(), "{sent}");
        let mined = node.call("evm_mine", json!([]));
        assert!(mined.get("error").is_none(), "{mined}");
    }
    let query = json!({"fromBlock": "0x0", "toBlock": "latest", "address": LOGGER});
    let filter: alloy_rpc_types_eth::Filter = serde_json::from_value(query.clone()).unwrap();
    let all = get_logs(&node.ctx, &filter).unwrap();
    let found: Vec<(u64, B256)> =
        all.iter().map(|log| (log.block_number.unwrap(), log.topics()[0])).collect();
    assert_eq!(found, (0..5).map(|n| (n + 1, topic(n))).collect::<Vec<_>>());
    let over_rpc = node.call("eth_getLogs", json!([query]));
    assert_eq!(over_rpc["result"], serde_json::to_value(&all).unwrap(), "{over_rpc}");

    // Six blocks (genesis and five), two per round: three rounds, and the same logs.
    let mut scan = LogScan::new(&node.ctx, &filter).unwrap();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let mut blocks = 0;
        let done = scan
            .run(&node.ctx, &filter, || {
                blocks += 1;
                blocks > 2
            })
            .unwrap();
        assert!(scan.logs().len() <= 2 * rounds, "round {rounds} read more than its two blocks");
        if done {
            break;
        }
    }
    assert_eq!(rounds, 3);
    assert_eq!(
        serde_json::to_value(scan.into_logs()).unwrap(),
        serde_json::to_value(&all).unwrap()
    );

    // One block by hash; a topic no block holds; a range past the head.
    let third = all[2].block_hash.unwrap();
    let at_hash = node.call("eth_getLogs", json!([{"blockHash": third, "address": LOGGER}]));
    assert_eq!(at_hash["result"], json!([serde_json::to_value(&all[2]).unwrap()]), "{at_hash}");
    let none = node.call("eth_getLogs", json!([{"fromBlock": "0x0", "topics": [B256::ZERO]}]));
    assert_eq!(none["result"], json!([]), "{none}");
    let past = node.call("eth_getLogs", json!([{"fromBlock": "0x1", "toBlock": "0x9"}]));
    assert_eq!(past["error"]["code"], json!(-32602), "{past}");
}

#[test]
fn the_engine_api_requires_a_valid_jwt() {
    let node = TestNode::start();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"engine_exchangeCapabilities","params":[[]]}"#;
    let timeout = Duration::from_secs(10);
    match client::post(node.auth, body, None, timeout) {
        Err(ClientError::Status { status, .. }) => assert_eq!(status, 401),
        other => panic!("no token must be refused, got {other:?}"),
    }
    let wrong = JwtSecret::from_bytes([1; 32]).token(unix_now());
    assert!(matches!(
        client::post(node.auth, body, Some(&wrong), timeout),
        Err(ClientError::Status { status: 401, .. })
    ));
    let stale = node.secret.token(unix_now() - 3_600);
    assert!(matches!(
        client::post(node.auth, body, Some(&stale), timeout),
        Err(ClientError::Status { status: 401, .. })
    ));
    let reply = node.engine("engine_exchangeCapabilities", json!([[]]));
    assert!(reply["result"].as_array().unwrap().contains(&json!("engine_newPayloadV4")));
    // The public port does not serve the Engine API.
    assert_eq!(
        node.call("engine_exchangeCapabilities", json!([[]]))["error"]["code"],
        json!(-32601)
    );
}

#[test]
fn a_payload_round_trips_through_the_engine_api() {
    let node = TestNode::start();
    let tx = signed_transfer(0, 21_000, 2_000_000_000);
    node.call("eth_sendRawTransaction", json!([raw_tx(&tx)]));
    let genesis = node.call("eth_getBlockByNumber", json!(["0x0", false]))["result"].clone();
    let head = genesis["hash"].clone();
    let fcu = node.engine(
        "engine_forkchoiceUpdatedV3",
        json!([
            {"headBlockHash": head, "safeBlockHash": head, "finalizedBlockHash": head},
            {"timestamp": "0xc", "prevRandao": B256::ZERO, "suggestedFeeRecipient": Address::ZERO, "withdrawals": [], "parentBeaconBlockRoot": B256::ZERO}
        ]),
    );
    assert_eq!(fcu["result"]["payloadStatus"]["status"], json!("VALID"), "{fcu}");
    let id = fcu["result"]["payloadId"].clone();
    let envelope = node.engine("engine_getPayloadV4", json!([id]))["result"].clone();
    let payload = envelope["executionPayload"].clone();
    assert_eq!(payload["transactions"], json!([raw_tx(&tx)]));
    assert_eq!(
        node.call("eth_blockNumber", json!([]))["result"],
        json!("0x0"),
        "building writes nothing"
    );

    let mut tampered = payload.clone();
    tampered["gasUsed"] = json!("0x1");
    let invalid = node.engine(
        "engine_newPayloadV4",
        json!([tampered, [], B256::ZERO, envelope["executionRequests"]]),
    );
    assert_eq!(invalid["result"]["status"], json!("INVALID"), "{invalid}");

    let valid = node.engine(
        "engine_newPayloadV4",
        json!([payload, [], B256::ZERO, envelope["executionRequests"]]),
    );
    assert_eq!(valid["result"]["status"], json!("VALID"), "{valid}");
    assert_eq!(valid["result"]["latestValidHash"], payload["blockHash"]);
    // As in reth: newPayload inserts, only the forkchoice update makes the block the head.
    assert_eq!(node.call("eth_blockNumber", json!([]))["result"], json!("0x0"));
    assert_eq!(
        node.call("eth_getTransactionReceipt", json!([tx.tx_hash()]))["result"],
        json!(null)
    );
    let block = payload["blockHash"].clone();
    let fcu = node.engine(
        "engine_forkchoiceUpdatedV3",
        json!([{"headBlockHash": block, "safeBlockHash": block, "finalizedBlockHash": head}]),
    );
    assert_eq!(fcu["result"]["payloadStatus"]["status"], json!("VALID"), "{fcu}");
    assert_eq!(node.call("eth_blockNumber", json!([]))["result"], json!("0x1"));
    let receipt = node.call("eth_getTransactionReceipt", json!([tx.tx_hash()]))["result"].clone();
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(node.ctx.pool().status(), (0, 0), "the included transaction left the pool");

    // Proofs at the head and at genesis (read through the trie history) both verify against
    // their block's state root.
    for (tag, balance) in [("latest", None), ("0x0", Some(U256::from(10u128.pow(21))))] {
        let block = node.call("eth_getBlockByNumber", json!([tag, false]))["result"].clone();
        let root: B256 = serde_json::from_value(block["stateRoot"].clone()).unwrap();
        let proof: alloy_rpc_types_eth::EIP1186AccountProofResponse = serde_json::from_value(
            node.call("eth_getProof", json!([sender(), [], tag]))["result"].clone(),
        )
        .unwrap();
        if let Some(balance) = balance {
            assert_eq!(proof.balance, balance);
        }
        let account = alloy_trie::TrieAccount {
            nonce: proof.nonce,
            balance: proof.balance,
            storage_root: proof.storage_hash,
            code_hash: proof.code_hash,
        };
        alloy_trie::proof::verify_proof(
            root,
            alloy_trie::Nibbles::unpack(alloy_primitives::keccak256(sender())),
            Some(alloy_rlp::encode(account)),
            &proof.account_proof,
        )
        .unwrap_or_else(|err| panic!("proof at {tag}: {err:?}"));
    }
}

/// Writes `count` canonical blocks straight into the node's database with `StateWriter` (the
/// RPC reads only the database, and thousands of blocks through the Engine API would be slow):
/// block `n` sets `STORED`'s slot 0 to `n` and its balance to `n`, so every block shadows the
/// same trie nodes. Returns the state roots, block 1 first.
fn write_storage_blocks(node: &TestNode, count: u64) -> Vec<B256> {
    use phala_primitives::{Account, AccountChange, BlockBody, Header, StateChanges};
    use phala_storage::{KeyValueRead, StateWriter};
    let db = node.ctx.db();
    let mut parent = db.head_header().unwrap();
    let code_hash = db.stored_account(STORED).unwrap().unwrap().code_hash;
    let mut roots = Vec::new();
    for number in parent.number + 1..=parent.number + count {
        let mut changes = StateChanges::default();
        changes.accounts.insert(
            STORED,
            AccountChange {
                account: Some(Account { nonce: 1, balance: U256::from(number), code_hash }),
                storage_wiped: false,
                storage: [(U256::ZERO, U256::from(number))].into(),
            },
        );
        let mut writes = db.write_set();
        let mut writer = StateWriter::new(&mut writes);
        let state_root = writer.apply_state_changes(number, &changes).unwrap();
        let header =
            Header { number, parent_hash: parent.hash_slow(), state_root, ..parent.clone() };
        let hash = header.hash_slow();
        writer.insert_block(hash, &header, &BlockBody::default(), &[]);
        writer.make_canonical(hash, number, &[]);
        writes.commit().unwrap();
        roots.push(state_root);
        parent = header;
    }
    roots
}

#[test]
fn proofs_at_blocks_beyond_the_old_unwinding_window_verify() {
    let node = TestNode::start();
    // Further back than the 8,192 blocks the unwinding path served.
    let blocks = RpcLimits::default().max_state_history + 100;
    let roots = write_storage_blocks(&node, blocks);
    for number in [0, 1, 2, blocks / 2, blocks - 1, blocks] {
        let tag = format!("{number:#x}");
        let (root, proof) = verified_proof(&node, STORED, &["0x0", "0x5"], &tag);
        if number > 0 {
            assert_eq!(root, roots[number as usize - 1]);
        }
        // Genesis holds 0x38 in slot 0; block n wrote n.
        let slot0 = if number == 0 { U256::from(0x38) } else { U256::from(number) };
        assert_eq!(proof.balance, U256::from(number), "{tag}");
        assert_eq!(proof.storage_proof[0].value, slot0, "{tag}");
        assert_eq!(proof.storage_proof[1].value, U256::MAX, "{tag}");
    }
}
