//! The TDX attestation precompile through the node: `eth_call` at each fixture's `now` (with
//! `blockOverrides.time`) through a probe contract that measures the precompile's gas, for every
//! row of `shared/fixtures/tdx/README.md`; and its absence before the hardfork.

use super::{TDX_FORK_TIME, TestNode};
use alloy_primitives::{Address, hex};
use phala_tdx::{
    Flags, Status, TcbStatus, VerificationOutcome, gas_cost,
    test_utils::{fixture_collateral, fixture_input, read_fixture},
};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Forwards its calldata to the precompile with STATICCALL and returns
/// `(gas spent between two GAS opcodes, success flag, precompile output…)`.
const PROBE_CODE: &str = "0x366000600037 5a 6000 6000 36 6000 62544458 5a fa 5a 90 6020 52 90 03 6000 52 3d 6000 6040 3e 3d 6040 01 6000 f3";
/// Opcodes between the two GAS readings besides the precompile itself: PUSH1×3, CALLDATASIZE,
/// PUSH3, GAS (the second reading's own cost included) and STATICCALL's warm access.
const PROBE_OVERHEAD: u64 = 3 + 3 + 2 + 3 + 3 + 2 + 100 + 2;
const PROBE_ADDRESS: Address = Address::repeat_byte(0x77);

/// Calls the probe at block time `now`; returns (precompile gas, success, output).
fn probe(node: &TestNode, input: &[u8], now: u64) -> (u64, bool, Vec<u8>) {
    let code = PROBE_CODE.replace(' ', "");
    let reply = node.call(
        "eth_call",
        json!([
            {"to": PROBE_ADDRESS, "input": format!("0x{}", hex::encode(input)), "gas": "0x1000000"},
            "latest",
            {PROBE_ADDRESS.to_string(): {"code": code}},
            {"time": format!("0x{now:x}")}
        ]),
    );
    let out = hex::decode(reply["result"].as_str().unwrap_or_else(|| panic!("{reply}"))).unwrap();
    let word = |i: usize| u64::from_be_bytes(out[i * 32 + 24..i * 32 + 32].try_into().unwrap());
    (word(0) - PROBE_OVERHEAD, word(1) == 1, out[64..].to_vec())
}

struct Row {
    name: &'static str,
    quote: &'static str,
    collateral: &'static str,
    flags: u32,
    now: u64,
    status: Status,
    tcb: Option<TcbStatus>,
}

const TDX_V4: &str = "dcap-qvl/tdx_quote";
const TDX_V4_COLL: &str = "dcap-qvl/tdx_quote_collateral.json";
const OUTDATED_COLL: &str = "dcap-qvl/tdx_quote_outdated_collateral.json";
const SOL: &str = "automata/raw/sol_quote_tdx.bin";
const ALIBABA: &str = "automata/raw/evm_alibaba_quote_5.dat";
const COLL_90C0: &str = "automata/collateral_90C06F000000_2025-06.json";

fn rows() -> Vec<Row> {
    use Status::*;
    let row = |name, quote, collateral, flags, now, status, tcb| Row {
        name,
        quote,
        collateral,
        flags,
        now,
        status,
        tcb,
    };
    vec![
        row("1 tdx v4", TDX_V4, TDX_V4_COLL, 0, 1_751_328_000, Ok, Some(TcbStatus::UpToDate)),
        row(
            "2 td15ex",
            "dcap-qvl/tdx_quote_td15ex",
            "dcap-qvl/tdx_quote_td15ex_collateral.json",
            0,
            1_792_800_000,
            Ok,
            Some(TcbStatus::UpToDate),
        ),
        row(
            "3 outdated",
            "dcap-qvl/tdx_quote_outdated",
            OUTDATED_COLL,
            0,
            1_772_323_200,
            TcbNoMatch,
            None,
        ),
        row(
            "4 sgx without flag",
            "dcap-qvl/sgx_quote",
            "dcap-qvl/sgx_quote_collateral.json",
            0,
            1_751_328_000,
            BadQuote,
            None,
        ),
        row(
            "4 sgx with flag",
            "dcap-qvl/sgx_quote",
            "dcap-qvl/sgx_quote_collateral.json",
            Flags::ALLOW_SGX,
            1_751_328_000,
            Ok,
            Some(TcbStatus::ConfigurationAndSwHardeningNeeded),
        ),
        row(
            "5 automata 06",
            SOL,
            "automata/collateral_00806f050000_2025-06.json",
            0,
            1_749_945_600,
            Ok,
            Some(TcbStatus::OutOfDate),
        ),
        row(
            "6 automata 07",
            SOL,
            "automata/collateral_00806f050000_2025-07.json",
            0,
            1_752_537_600,
            Ok,
            Some(TcbStatus::OutOfDate),
        ),
        row(
            "7 automata 10",
            SOL,
            "automata/collateral_00806f050000_2025-10.json",
            0,
            1_761_955_200,
            Ok,
            Some(TcbStatus::OutOfDate),
        ),
        row("8 alibaba without flag", ALIBABA, COLL_90C0, 0, 1_749_945_600, TdPolicy, None),
        row(
            "8 alibaba with flag",
            ALIBABA,
            COLL_90C0,
            Flags::ALLOW_SERVICE_TD,
            1_749_945_600,
            Ok,
            Some(TcbStatus::UpToDate),
        ),
        row(
            "9 alibaba later",
            ALIBABA,
            OUTDATED_COLL,
            Flags::ALLOW_SERVICE_TD,
            1_772_323_200,
            Ok,
            Some(TcbStatus::OutOfDate),
        ),
        row(
            "10 below every level (06)",
            "automata/raw/evm_tdx_quote_5.dat",
            COLL_90C0,
            0,
            1_749_945_600,
            TcbNoMatch,
            None,
        ),
        row(
            "10 below every level (02)",
            "automata/raw/evm_tdx_quote_5.dat",
            OUTDATED_COLL,
            0,
            1_772_323_200,
            TcbNoMatch,
            None,
        ),
        row(
            "1 tdx v4, 40 days early",
            TDX_V4,
            TDX_V4_COLL,
            0,
            1_751_328_000 - 40 * 86_400,
            CollateralTime,
            None,
        ),
        row(
            "1 tdx v4, 40 days late",
            TDX_V4,
            TDX_V4_COLL,
            0,
            1_751_328_000 + 40 * 86_400,
            CollateralTime,
            None,
        ),
    ]
}

#[test]
fn every_fixture_row_through_eth_call() {
    let node = TestNode::start();
    for row in rows() {
        let input = fixture_input(row.quote, row.collateral, row.flags);
        let (gas, success, output) = probe(&node, &input, row.now);
        assert!(success, "{}: the precompile call must not fail", row.name);
        assert_eq!(gas, gas_cost(input.len()), "{}: gas is the formula", row.name);
        let outcome = VerificationOutcome::abi_decode(&output)
            .unwrap_or_else(|err| panic!("{}: {err:?}", row.name));
        assert_eq!(outcome.status, row.status, "{}", row.name);
        if let Some(tcb) = row.tcb {
            assert_eq!(outcome.tcb_status, tcb, "{}", row.name);
        }
    }
}

#[test]
fn report_fields_of_fixture_one() {
    let node = TestNode::start();
    let (_, _, output) = probe(&node, &fixture_input(TDX_V4, TDX_V4_COLL, 0), 1_751_328_000);
    let outcome = VerificationOutcome::abi_decode(&output).unwrap();
    let body = &outcome.report_body;
    // TD report body: MRTD at 136..184, report data at 520..584 (TDX 1.0 layout).
    assert_eq!(
        hex::encode(&body[136..184]),
        "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7"
    );
    assert_eq!(
        hex::encode(&body[520..584]),
        "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20"
    );
    assert_eq!(hex::encode(outcome.fmspc), "b0c06f000000");
    assert!(outcome.advisory_ids.is_empty());
}

#[test]
fn padded_quotes_and_bad_abi() {
    let node = TestNode::start();
    // The fixture file as shipped, with its 70 zero bytes of padding: BAD_QUOTE, same gas rule.
    let padded =
        fixture_collateral(TDX_V4_COLL).encode_input(&read_fixture(TDX_V4), Flags::default());
    let (gas, success, output) = probe(&node, &padded, 1_751_328_000);
    assert!(success);
    assert_eq!(gas, gas_cost(padded.len()));
    assert_eq!(VerificationOutcome::abi_decode(&output).unwrap().status, Status::BadQuote);
    // Malformed ABI: the call fails, and the gas is still the formula.
    let garbage = vec![0xab; 100];
    let (gas, success, output) = probe(&node, &garbage, 1_751_328_000);
    assert!(!success);
    assert!(output.is_empty());
    assert_eq!(gas, gas_cost(garbage.len()));
}

#[test]
fn absent_before_the_hardfork() {
    let node = TestNode::start();
    let input = fixture_input(TDX_V4, TDX_V4_COLL, 0);
    let (gas, success, output) = probe(&node, &input, TDX_FORK_TIME - 1);
    // A call to an empty account: succeeds and returns nothing. It is also not pre-warmed as
    // precompiles are (EIP-2929), so the call pays the cold-access surcharge, 2600 - 100.
    assert!(success);
    assert!(output.is_empty());
    assert_eq!(gas, 2_500);
}

/// The Solidity library (`contracts/src/tdx/TdxVerifier.sol`) through a harness contract: its
/// encoder, the precompile call and its decoder agree with the precompile on fixture #1.
#[test]
fn solidity_library_decodes_the_verdict() {
    let node = TestNode::start();
    let artifact: Value = serde_json::from_slice(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../contracts/out/TdxVerifierHarness.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let code = artifact["runtimeBytecode"].as_str().unwrap();
    let selector = &alloy_primitives::keccak256(
        "check(bytes,(string,bytes,bytes,string,string,bytes,string,string,bytes,string),uint32)",
    )[..4];
    let input = fixture_input(TDX_V4, TDX_V4_COLL, 0);
    let calldata = [selector, &input].concat();
    let harness = Address::repeat_byte(0x78);
    let reply = node.call(
        "eth_call",
        json!([
            {"to": harness, "input": format!("0x{}", hex::encode(&calldata)), "gas": "0x1000000"},
            "latest",
            {harness.to_string(): {"code": code}},
            {"time": "0x68632500"}
        ]),
    );
    let out = hex::decode(reply["result"].as_str().unwrap_or_else(|| panic!("{reply}"))).unwrap();
    let expected = VerificationOutcome::abi_decode(&probe(&node, &input, 1_751_328_000).2).unwrap();
    assert_eq!(out[31], Status::Ok as u8);
    assert_eq!(out[63], TcbStatus::UpToDate as u8);
    assert_eq!(&out[64..96], expected.workload_id.as_slice());
    let mrtd_offset = usize::from_be_bytes(out[96 + 24..128].try_into().unwrap());
    assert_eq!(&out[mrtd_offset + 32..mrtd_offset + 32 + 48], &expected.report_body[136..184]);
    // Report data starts 9a9d48e7…: its first 20 bytes as an address.
    assert_eq!(hex::encode(&out[128 + 12..160]), "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd");
}
