//! Withdrawal costs against a real anvil L1: a sequencer with its batcher and proposer; `USERS`
//! accounts deposit ETH through the L1StandardBridge, withdraw part of it through the
//! L2StandardBridge, and each withdrawal is proven and finalized on the OptimismPortal. Reports
//! the L1 gas per output proposal, per prove and per finalize, and the time from a withdrawal's
//! L2 inclusion until an output on L1 covers it (the submission interval and the safe lag).
//!
//! Run: `cargo build --release --bin phala-node && cargo bench -p phala-benches --bench withdrawals`
//! (`PHALA_NODE_BIN` may name another phala-node binary).

use alloy_primitives::{Bytes, U256};
use alloy_sol_types::SolCall;
use phala_e2e::{
    Node, Role, TestL1,
    bridge::{ETHER, IL2StandardBridge, L2_STANDARD_BRIDGE, LEGACY_ETH, call},
    output_proposals, proposer_flags,
};
use phala_l1::{
    L1Wallet, WithdrawalClient, WithdrawalStatus, bindings::IL1StandardBridge,
    test_utils::anvil_key,
};
use std::time::{Duration, Instant};

/// Accounts that each deposit and withdraw once.
const USERS: u32 = 4;

fn spread(mut values: Vec<u64>) -> String {
    values.sort_unstable();
    if values.is_empty() {
        return "-".into();
    }
    format!(
        "min {} / median {} / max {} (n = {})",
        values[0],
        values[values.len() / 2],
        values[values.len() - 1],
        values.len()
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let l1 = TestL1::start(None).await;
    let flags = proposer_flags(&l1);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let sequencer =
        Node::start_with(&l1, Role::Sequencer("calldata"), &l1.dir.path().join("seq"), &flags)
            .await;
    let l2 = sequencer.client();
    let bridge = l1.files.deployment.addresses.l1_standard_bridge_proxy;
    let portal = l1.files.deployment.addresses.optimism_portal_proxy;
    let client = WithdrawalClient::new(l1.client(), l2.clone(), portal).await.expect("a client");
    let relayer = L1Wallet::new(l1.client(), anvil_key(5)).await.expect("a wallet");

    // Deposits first: the portal pays withdrawals from what was deposited.
    for index in 1..=USERS {
        let wallet = L1Wallet::new(l1.client(), anvil_key(index)).await.expect("a wallet");
        let deposit =
            IL1StandardBridge::depositETHCall { minGasLimit: 200_000, extraData: Bytes::new() };
        call(&wallet, bridge, U256::from(ETHER), deposit.abi_encode(), "depositETH").await;
    }
    let mut pending = Vec::new();
    for index in 1..=USERS {
        let wallet = L1Wallet::new(l2.clone(), anvil_key(index)).await.expect("a wallet");
        let amount = U256::from(ETHER / 2);
        let withdraw = IL2StandardBridge::withdrawCall {
            _l2Token: LEGACY_ETH,
            _amount: amount,
            _minGasLimit: 200_000,
            _extraData: Bytes::new(),
        };
        // The dev accounts hold genesis ETH on L2; the deposits above are what the portal pays.
        let tx = call(&wallet, L2_STANDARD_BRIDGE, amount, withdraw.abi_encode(), "withdraw").await;
        let withdrawal = client.withdrawal(tx, 0).await.expect("a withdrawal");
        pending.push((withdrawal, Instant::now()));
    }

    let mut to_provable = Vec::new();
    let mut prove_gas = Vec::new();
    let started = Instant::now();
    for (withdrawal, included) in &pending {
        loop {
            let status = client.status(withdrawal).await.expect("a status");
            if matches!(status, WithdrawalStatus::ReadyToProve { .. }) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "no output covers the withdrawals"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        to_provable.push(included.elapsed().as_millis() as u64);
        let args = client.prove_args(withdrawal, None).await.expect("proof arguments");
        let receipt = client.prove(&relayer, &args).await.expect("proven");
        prove_gas.push(receipt.gas_used);
    }
    let mut finalize_gas = Vec::new();
    for (withdrawal, _) in &pending {
        loop {
            let status = client.status(withdrawal).await.expect("a status");
            if status == WithdrawalStatus::ReadyToFinalize {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(300), "the period does not pass");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let receipt = client.finalize(&relayer, withdrawal).await.expect("finalized");
        finalize_gas.push(receipt.gas_used);
    }
    let mut proposal_gas = Vec::new();
    for (_, _, _, tx) in output_proposals(&l1).await {
        let receipt = l1.client().receipt(tx).await.expect("a receipt").expect("mined");
        proposal_gas.push(receipt.gas_used);
    }

    println!(
        "withdrawals against anvil ({USERS} ETH withdrawals through L2StandardBridge.withdraw)"
    );
    println!("  L1 gas per output proposal: {}", spread(proposal_gas));
    println!("  L1 gas per prove:           {}", spread(prove_gas));
    println!("  L1 gas per finalize:        {}", spread(finalize_gas));
    println!("  L2 inclusion → provable (ms): {}", spread(to_provable));
}
