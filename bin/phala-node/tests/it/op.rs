//! The `--dev` chain as an OP Stack L2, seen over JSON-RPC: the L1-attributes deposit, the L1
//! data fee (recomputed here from the signed bytes and the L1Block values with Fjord's formula),
//! the GasPriceOracle agreeing with the receipts, the fee vaults, and a deposit refused by
//! `eth_sendRawTransaction`.

use crate::Node;
use alloy_consensus::SignableTransaction;
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, Bytes, U256, hex};
use alloy_sol_types::{SolCall, sol};
use phala_primitives::{
    PhalaTxEnvelope, TxDeposit,
    predeploys::{BASE_FEE_VAULT, L1_FEE_VAULT, SEQUENCER_FEE_VAULT},
};
use phala_protocol::{L1_BLOCK_ADDRESS, L1_INFO_DEPOSITOR, L1InfoFormat, l1_fee};
use serde_json::{Value, json};

const ALICE: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const BOB: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const GAS_PRICE_ORACLE: &str = "0x420000000000000000000000000000000000000F";

sol! {
    function basefee() external view returns (uint256);
    function blobBaseFee() external view returns (uint256);
    function baseFeeScalar() external view returns (uint32);
    function blobBaseFeeScalar() external view returns (uint32);
    function l1BaseFee() external view returns (uint256);
    function getL1Fee(bytes data) external view returns (uint256);
}

fn quantity(value: &Value) -> U256 {
    value.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("a quantity: {value}"))
}

fn call_u256(node: &Node, to: &str, data: Vec<u8>, block: &Value) -> U256 {
    let out = node.call("eth_call", json!([{"to": to, "data": Bytes::from(data)}, block]));
    let bytes = hex::decode(out.as_str().unwrap()).unwrap();
    U256::from_be_slice(&bytes)
}

fn balance(node: &Node, address: Address, block: u64) -> U256 {
    quantity(&node.call("eth_getBalance", json!([address, format!("{block:#x}")])))
}

#[test]
fn serial_dev_chain_is_an_op_l2_with_l1_fees() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(&dir.path().join("data"), 1);
    let hashes: Vec<Value> = (0..3)
        .map(|i| {
            node.call(
                "eth_sendTransaction",
                json!([{"from": ALICE, "to": BOB, "value": format!("{:#x}", 1000 + i)}]),
            )
        })
        .collect();
    let receipts: Vec<Value> = hashes.iter().map(|hash| node.wait_receipt(hash)).collect();

    // Block 1 opens with the L1-attributes deposit (Jovian calldata, to L1Block).
    let block_1 = node.call("eth_getBlockByNumber", json!(["0x1", true]));
    let deposit = &block_1["transactions"][0];
    assert_eq!(deposit["type"], json!("0x7e"));
    assert_eq!(deposit["from"].as_str().unwrap().parse::<Address>().unwrap(), L1_INFO_DEPOSITOR);
    assert_eq!(deposit["to"].as_str().unwrap().parse::<Address>().unwrap(), L1_BLOCK_ADDRESS);
    assert_eq!(deposit["isSystemTx"], json!(false));
    assert!(deposit["sourceHash"].is_string() && deposit["mint"] == json!("0x0"), "{deposit}");
    let selector = hex::encode(L1InfoFormat::Jovian.selector());
    assert!(deposit["input"].as_str().unwrap().starts_with(&format!("0x{selector}")));
    let deposit_receipt = node.call("eth_getTransactionReceipt", json!([deposit["hash"].clone()]));
    assert_eq!(deposit_receipt["depositReceiptVersion"], json!("0x1"));
    assert_eq!(deposit_receipt["depositNonce"], deposit["nonce"]);
    assert!(deposit_receipt.get("l1Fee").is_none(), "a deposit pays no L1 fee");
    // Deposits are traced like any transaction: the L1-attributes call into L1Block.
    let trace = node
        .call("debug_traceTransaction", json!([deposit["hash"].clone(), {"tracer": "callTracer"}]));
    assert_eq!(trace["type"], json!("CALL"), "{trace}");
    assert_eq!(trace["from"].as_str().unwrap().parse::<Address>().unwrap(), L1_INFO_DEPOSITOR);
    assert_eq!(trace["to"].as_str().unwrap().parse::<Address>().unwrap(), L1_BLOCK_ADDRESS);
    assert_eq!(trace["input"], deposit["input"]);
    // Gas estimates on an OP chain are the execution gas (the L1 fee is charged apart).
    let estimate =
        node.call("eth_estimateGas", json!([{"from": ALICE, "to": BOB, "value": "0x1"}]));
    assert_eq!(estimate, json!("0x5208"));

    for (hash, receipt) in hashes.iter().zip(&receipts) {
        assert_eq!(receipt["status"], json!("0x1"));
        let block = receipt["blockNumber"].clone();
        let raw = node.call("eth_getRawTransactionByHash", json!([hash]));
        let raw = hex::decode(raw.as_str().unwrap()).unwrap();

        // The L1 data fee from the signed bytes and L1Block's values, by Fjord's formula:
        // max(100, 0.8365·fastLz − 42.5856) · (16·baseFeeScalar·l1BaseFee +
        // blobBaseFeeScalar·blobBaseFee) / 1e12 (sizes and scalars in millionths).
        let l1_block = L1_BLOCK_ADDRESS.to_string();
        let l1_base_fee = call_u256(&node, &l1_block, basefeeCall {}.abi_encode(), &block);
        let blob_base_fee = call_u256(&node, &l1_block, blobBaseFeeCall {}.abi_encode(), &block);
        let base_fee_scalar =
            call_u256(&node, &l1_block, baseFeeScalarCall {}.abi_encode(), &block);
        let blob_base_fee_scalar =
            call_u256(&node, &l1_block, blobBaseFeeScalarCall {}.abi_encode(), &block);
        let size = U256::from(l1_fee::estimated_compressed_size(&raw));
        let scaled =
            U256::from(16) * base_fee_scalar * l1_base_fee + blob_base_fee_scalar * blob_base_fee;
        let expected_fee = size * scaled / U256::from(1_000_000_000_000u64);
        let charged = quantity(&receipt["l1Fee"]);
        assert!(!charged.is_zero());
        assert_eq!(charged, expected_fee, "receipt {receipt}");

        // The receipt's fee parameters are the oracle's.
        let oracle = |data: Vec<u8>| call_u256(&node, GAS_PRICE_ORACLE, data, &block);
        assert_eq!(quantity(&receipt["l1GasPrice"]), oracle(l1BaseFeeCall {}.abi_encode()));
        assert_eq!(quantity(&receipt["l1BlobBaseFee"]), oracle(blobBaseFeeCall {}.abi_encode()));
        assert_eq!(
            quantity(&receipt["l1BaseFeeScalar"]),
            oracle(baseFeeScalarCall {}.abi_encode())
        );
        assert_eq!(
            quantity(&receipt["l1BlobBaseFeeScalar"]),
            oracle(blobBaseFeeScalarCall {}.abi_encode())
        );
        // `getL1Fee` of the unsigned transaction pads for the signature: an estimate that lands
        // within 5% of the charge.
        let signed = PhalaTxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
        let PhalaTxEnvelope::Eip1559(signed) = signed else { panic!("an EIP-1559 transfer") };
        let unsigned = signed.tx().encoded_for_signing();
        let estimate = oracle(getL1FeeCall { data: unsigned.into() }.abi_encode());
        let gap = estimate.abs_diff(charged);
        assert!(gap * U256::from(20) <= charged, "estimate {estimate} vs charged {charged}");
    }

    // Each block moves exactly its L1 fees into the L1 fee vault, its base fees into the base
    // fee vault and its priority fees into the sequencer fee vault.
    let last =
        receipts.iter().map(|receipt| quantity(&receipt["blockNumber"]).to::<u64>()).max().unwrap();
    for number in 1..=last {
        let block = node.call("eth_getBlockByNumber", json!([format!("{number:#x}"), true]));
        let block_receipts = node.call("eth_getBlockReceipts", json!([format!("{number:#x}")]));
        let base_fee = quantity(&block["baseFeePerGas"]);
        let (mut l1_fees, mut base_fees, mut tips) = (U256::ZERO, U256::ZERO, U256::ZERO);
        for receipt in block_receipts.as_array().unwrap() {
            if receipt["type"] == json!("0x7e") {
                continue;
            }
            let gas = quantity(&receipt["gasUsed"]);
            l1_fees += quantity(&receipt["l1Fee"]);
            base_fees += base_fee * gas;
            tips += (quantity(&receipt["effectiveGasPrice"]) - base_fee) * gas;
        }
        for (vault, expected) in
            [(L1_FEE_VAULT, l1_fees), (BASE_FEE_VAULT, base_fees), (SEQUENCER_FEE_VAULT, tips)]
        {
            let grown = balance(&node, vault, number) - balance(&node, vault, number - 1);
            assert_eq!(grown, expected, "vault {vault} at block {number}");
        }
    }

    // A deposit cannot be sent over RPC, and nothing changes.
    let before = node.call("eth_getBalance", json!([BOB, "latest"]));
    let deposit = TxDeposit {
        from: BOB.parse().unwrap(),
        to: alloy_primitives::TxKind::Call(Address::repeat_byte(9)),
        mint: 10u128.pow(18),
        value: U256::from(10u64.pow(18)),
        gas_limit: 21_000,
        ..Default::default()
    };
    let raw = PhalaTxEnvelope::from(deposit).encoded_2718();
    let error = node
        .try_call("eth_sendRawTransaction", json!([Bytes::from(raw)]))
        .expect_err("a deposit is refused");
    assert!(
        error.contains("transaction type not supported") && error.contains("-32000"),
        "{error}"
    );
    assert_eq!(node.call("eth_getBalance", json!([BOB, "latest"])), before);
    assert!(node.call("txpool_content", json!([]))["pending"].as_object().unwrap().is_empty());
    node.interrupt();
}
