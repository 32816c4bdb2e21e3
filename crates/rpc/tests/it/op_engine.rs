//! The Engine API of an OP Stack chain: op-node's payload attributes (forced transactions,
//! `noTxPool`, `gasLimit`, `eip1559Params`), the Isthmus `withdrawalsRoot` in and out of
//! payloads, and the attributes each rule set refuses.

use crate::{TestNode, raw_tx, signed_transfer};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, B256, Bytes};
use phala_chain::test_utils::l1_attributes_deposit;
use serde_json::{Value, json};

fn deposit_raw() -> Bytes {
    l1_attributes_deposit(0).encoded_2718().into()
}

fn attributes(extra: Value) -> Value {
    let mut attributes = json!({
        "timestamp": "0xc", "prevRandao": B256::ZERO, "suggestedFeeRecipient": Address::ZERO,
        "withdrawals": [], "parentBeaconBlockRoot": B256::ZERO,
    });
    attributes.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    attributes
}

fn fcu(node: &TestNode, head: &Value, attributes: Value) -> Value {
    node.engine(
        "engine_forkchoiceUpdatedV3",
        json!([
            {"headBlockHash": head, "safeBlockHash": head, "finalizedBlockHash": head},
            attributes
        ]),
    )
}

#[test]
fn op_payload_attributes_build_a_block_that_round_trips() {
    let node = TestNode::start_op();
    let tx = signed_transfer(0, 21_000, 2_000_000_000);
    node.call("eth_sendRawTransaction", json!([raw_tx(&tx)]));
    let head = node.call("eth_getBlockByNumber", json!(["0x0", false]))["result"]["hash"].clone();
    let op = json!({
        "transactions": [deposit_raw()], "gasLimit": "0x1c9c380",
        "eip1559Params": "0x0000000000000000",
    });
    let reply = fcu(&node, &head, attributes(op.clone()));
    assert_eq!(reply["result"]["payloadStatus"]["status"], json!("VALID"), "{reply}");
    let id = reply["result"]["payloadId"].clone();
    let envelope = node.engine("engine_getPayloadV4", json!([id]))["result"].clone();
    let payload = envelope["executionPayload"].clone();
    // The L1-attributes deposit first, then the pool's transaction.
    assert_eq!(payload["transactions"], json!([deposit_raw(), raw_tx(&tx)]), "{payload}");
    assert_eq!(envelope["parentBeaconBlockRoot"], json!(B256::ZERO));
    let root = payload["withdrawalsRoot"].clone();
    assert!(root.is_string(), "an Isthmus payload carries its withdrawals root: {payload}");
    // Holocene extraData: version 0, the chain's Canyon denominator 250 and elasticity 6.
    assert_eq!(payload["extraData"], json!("0x00000000fa00000006"));

    // Different OP fields, a different payload: with noTxPool only the deposit goes in.
    let mut no_pool = op;
    no_pool["noTxPool"] = json!(true);
    let reply = fcu(&node, &head, attributes(no_pool));
    let other = reply["result"]["payloadId"].clone();
    assert_ne!(other, id);
    let alone = node.engine("engine_getPayloadV4", json!([other]))["result"].clone();
    assert_eq!(alone["executionPayload"]["transactions"], json!([deposit_raw()]));

    // newPayloadV4 needs the withdrawals root from Isthmus, and checks it.
    let mut without_root = payload.clone();
    without_root.as_object_mut().unwrap().remove("withdrawalsRoot");
    let reply = node.engine("engine_newPayloadV4", json!([without_root, [], B256::ZERO, []]));
    assert_eq!(reply["result"]["status"], json!("INVALID"), "{reply}");
    assert!(reply["result"]["validationError"].as_str().unwrap().contains("withdrawalsRoot"));
    let mut wrong_root = payload.clone();
    wrong_root["withdrawalsRoot"] = json!(B256::repeat_byte(1));
    let reply = node.engine("engine_newPayloadV4", json!([wrong_root, [], B256::ZERO, []]));
    assert_eq!(reply["result"]["status"], json!("INVALID"), "{reply}");
    let reply = node.engine("engine_newPayloadV4", json!([payload, [], B256::ZERO, []]));
    assert_eq!(reply["result"]["status"], json!("VALID"), "{reply}");
    let block = payload["blockHash"].clone();
    let reply = node.engine(
        "engine_forkchoiceUpdatedV3",
        json!([{"headBlockHash": block, "safeBlockHash": block, "finalizedBlockHash": block}]),
    );
    assert_eq!(reply["result"]["payloadStatus"]["status"], json!("VALID"), "{reply}");
    let receipt = node.call("eth_getTransactionReceipt", json!([tx.tx_hash()]))["result"].clone();
    assert_eq!(receipt["transactionIndex"], json!("0x1"));
}

#[test]
fn payload_attributes_each_rule_set_refuses() {
    let node = TestNode::start_op();
    let head = node.call("eth_getBlockByNumber", json!(["0x0", false]))["result"]["hash"].clone();
    let cases = [
        (
            json!({"transactions": [deposit_raw()], "eip1559Params": "0x0000000000000000"}),
            "gasLimit is required",
        ),
        (json!({"transactions": [deposit_raw()], "gasLimit": "0x1c9c380"}), "eip1559Params"),
        (
            json!({"transactions": ["0x7e01"], "gasLimit": "0x1c9c380", "eip1559Params": "0x0000000000000000"}),
            "transaction 0",
        ),
    ];
    for (op, message) in cases {
        let reply = fcu(&node, &head, attributes(op));
        assert_eq!(reply["error"]["code"], json!(-38003), "{reply}");
        assert!(reply["error"]["message"].as_str().unwrap().contains(message), "{reply}");
    }
    let ethereum = TestNode::start();
    let head =
        ethereum.call("eth_getBlockByNumber", json!(["0x0", false]))["result"]["hash"].clone();
    let reply = fcu(&ethereum, &head, attributes(json!({"gasLimit": "0x1c9c380"})));
    assert_eq!(reply["error"]["code"], json!(-38003), "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap().contains("Ethereum chain"), "{reply}");
}
