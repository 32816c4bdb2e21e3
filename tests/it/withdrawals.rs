//! Value leaving through L1: the proposer posts output roots of safe blocks, and withdrawals of
//! ETH and of an L1 ERC-20 (bridged as an `OptimismMintableERC20`) are proven and finalized on
//! the OptimismPortal with `phala-node withdrawal`; the portal's refusals come back as errors.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolValue};
use phala_e2e::{
    Node, Role, TestL1,
    bridge::{
        ETHER, IL1StandardBridgeErc20, IL2StandardBridge, IOptimismMintableERC20Factory, IToken,
        L2_STANDARD_BRIDGE, LEGACY_ETH, MINTABLE_ERC20_FACTORY, call, token_balance,
    },
    eventually, output_proposals, phala_node_command, proposer_flags, recomputed_output_root,
};
use phala_l1::{L1Call, L1Wallet, WithdrawalClient, WithdrawalError, test_utils::anvil_key};
use std::time::Duration;

/// The `phala-node withdrawal` flags of the L2 transaction `tx` on this test's chains.
fn withdrawal_flags(l1: &TestL1, l2: &Node, tx: B256) -> Vec<String> {
    vec![
        "--tx".into(),
        tx.to_string(),
        "--l1.rpc".into(),
        l1.anvil.url(),
        "--l2.rpc".into(),
        l2.url.clone(),
        "--portal".into(),
        l1.files.deployment.addresses.optimism_portal_proxy.to_string(),
    ]
}

async fn withdrawal_cli(
    l1: &TestL1,
    l2: &Node,
    command: &str,
    tx: B256,
    more: &[String],
) -> phala_e2e::CommandOutput {
    let mut args = vec!["withdrawal".to_string(), command.to_string()];
    args.extend(withdrawal_flags(l1, l2, tx));
    args.extend(more.iter().cloned());
    phala_node_command(args).await
}

async fn status_of(l1: &TestL1, l2: &Node, tx: B256) -> String {
    let output = withdrawal_cli(l1, l2, "status", tx, &[]).await;
    output.json()["status"].as_str().expect("a status").to_string()
}

fn key_flag(index: u32) -> Vec<String> {
    vec![
        "--private-key".into(),
        alloy_primitives::hex::encode_prefixed(anvil_key(index).to_bytes()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn eth_and_erc20_withdrawals_are_proven_and_finalized_on_l1() {
    let l1 = TestL1::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let flags = proposer_flags(&l1);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let sequencer =
        Node::start_with(&l1, Role::Sequencer("calldata"), &dir.path().join("seq"), &flags).await;
    let log = sequencer.log().to_path_buf();
    let l2 = sequencer.client();
    let addresses = l1.files.deployment.addresses;

    // An L1 ERC-20 (PHA, from our contracts) bridged to an OptimismMintableERC20 on L2.
    let token_holder = anvil_key(5);
    let holder_l1 = L1Wallet::new(l1.client(), token_holder.clone()).await.unwrap();
    let holder_l2 = L1Wallet::new(l2.clone(), token_holder.clone()).await.unwrap();
    let artifact = phala_genesis::artifacts::artifact("PhalaToken").expect("PhalaToken");
    // The whole fixed supply goes to the holder.
    let minted = U256::from(1_000_000_000u128 * ETHER);
    let mut init = artifact.bytecode.to_vec();
    init.extend(
        phala_genesis::bindings::PhalaToken::constructorCall {
            holders: vec![token_holder.address()],
            amounts: vec![minted],
        }
        .abi_encode(),
    );
    let deploy = holder_l1
        .transact(&L1Call { to: None, data: init.into(), ..Default::default() }, "deploy PHA on L1")
        .await
        .unwrap();
    let l1_token = deploy.contract_address.expect("a contract");
    let create = IOptimismMintableERC20Factory::createOptimismMintableERC20Call {
        _remoteToken: l1_token,
        _name: "Phala".into(),
        _symbol: "PHA".into(),
    }
    .abi_encode();
    let out = l2
        .call::<Bytes>(
            "eth_call",
            jsonrpsee::rpc_params![
                serde_json::json!({"from": token_holder.address(), "to": MINTABLE_ERC20_FACTORY, "data": Bytes::from(create.clone())}),
                "latest"
            ],
        )
        .await
        .unwrap();
    let l2_token = Address::abi_decode(&out).expect("the token's address");
    call(&holder_l2, MINTABLE_ERC20_FACTORY, U256::ZERO, create, "create the L2 token").await;
    let deposited = U256::from(100u128 * ETHER);
    let approve =
        IToken::approveCall { spender: addresses.l1_standard_bridge_proxy, amount: deposited };
    call(&holder_l1, l1_token, U256::ZERO, approve.abi_encode(), "approve the bridge").await;
    let deposit = IL1StandardBridgeErc20::depositERC20Call {
        _l1Token: l1_token,
        _l2Token: l2_token,
        _amount: deposited,
        _minGasLimit: 200_000,
        _extraData: Bytes::new(),
    };
    call(
        &holder_l1,
        addresses.l1_standard_bridge_proxy,
        U256::ZERO,
        deposit.abi_encode(),
        "depositERC20",
    )
    .await;
    eventually(&log, "the ERC-20 deposit is minted on L2", Duration::from_secs(90), || {
        let l2 = l2.clone();
        let holder = token_holder.address();
        async move { (token_balance(&l2, l2_token, holder).await == deposited).then_some(()) }
    })
    .await;

    // Withdraw once an output exists, so that an output before the withdrawals is on L1.
    eventually(&log, "the first output is proposed", Duration::from_secs(120), || {
        let l1 = &l1;
        async move { (!output_proposals(l1).await.is_empty()).then_some(()) }
    })
    .await;
    let eth_user = anvil_key(3);
    let eth_user_l2 = L1Wallet::new(l2.clone(), eth_user.clone()).await.unwrap();
    let one_eth = U256::from(ETHER);
    // The portal pays withdrawals from what was deposited (the dev accounts' L2 genesis ETH is
    // not backed on L1): deposit 2 ETH through the bridge first.
    let eth_user_l1 = L1Wallet::new(l1.client(), eth_user.clone()).await.unwrap();
    let l2_balance = l2.balance(eth_user.address()).await.unwrap();
    let deposit_eth = phala_l1::bindings::IL1StandardBridge::depositETHCall {
        minGasLimit: 200_000,
        extraData: Bytes::new(),
    };
    call(
        &eth_user_l1,
        addresses.l1_standard_bridge_proxy,
        U256::from(2 * ETHER),
        deposit_eth.abi_encode(),
        "depositETH",
    )
    .await;
    eventually(&log, "the ETH deposit arrives on L2", Duration::from_secs(90), || {
        let (l2, user) = (l2.clone(), eth_user.address());
        async move {
            (l2.balance(user).await.ok()? == l2_balance + U256::from(2 * ETHER)).then_some(())
        }
    })
    .await;
    let withdraw_eth = IL2StandardBridge::withdrawCall {
        _l2Token: LEGACY_ETH,
        _amount: one_eth,
        _minGasLimit: 200_000,
        _extraData: Bytes::new(),
    };
    let eth_tx =
        call(&eth_user_l2, L2_STANDARD_BRIDGE, one_eth, withdraw_eth.abi_encode(), "withdraw ETH")
            .await;
    let withdrawn = U256::from(40u128 * ETHER);
    let withdraw_token = IL2StandardBridge::withdrawCall {
        _l2Token: l2_token,
        _amount: withdrawn,
        _minGasLimit: 200_000,
        _extraData: Bytes::new(),
    };
    let token_tx = call(
        &holder_l2,
        L2_STANDARD_BRIDGE,
        U256::ZERO,
        withdraw_token.abi_encode(),
        "withdraw PHA",
    )
    .await;
    assert_eq!(status_of(&l1, &sequencer, eth_tx).await, "waiting-to-prove");

    eventually(&log, "an output covers both withdrawals", Duration::from_secs(120), || {
        let (l1, sequencer) = (&l1, &sequencer);
        async move {
            let eth = status_of(l1, sequencer, eth_tx).await;
            let token = status_of(l1, sequencer, token_tx).await;
            (eth == "ready-to-prove" && token == "ready-to-prove").then_some(())
        }
    })
    .await;

    // Refusals, by the portal's own checks: an output from before the withdrawal, and a
    // tampered storage proof.
    let refused = withdrawal_cli(
        &l1,
        &sequencer,
        "prove",
        eth_tx,
        &[key_flag(4), vec!["--output-index".into(), "0".into()]].concat(),
    )
    .await;
    assert!(!refused.success, "a proof against output 0 must be refused: {}", refused.stdout);
    // Output 0 is from before the withdrawals: its message passer storage does not hold them, so
    // the portal's trie check fails.
    assert!(refused.stderr.contains("refuses proveWithdrawalTransaction"), "{}", refused.stderr);
    let client = WithdrawalClient::new(l1.client(), l2.clone(), addresses.optimism_portal_proxy)
        .await
        .unwrap();
    let prover = L1Wallet::new(l1.client(), anvil_key(4)).await.unwrap();
    let eth_withdrawal = client.withdrawal(eth_tx, 0).await.unwrap();
    let mut tampered = client.prove_args(&eth_withdrawal, None).await.unwrap();
    let last = tampered.withdrawal_proof.last_mut().expect("a proof node");
    let mut bytes = last.to_vec();
    let end = bytes.len() - 1;
    bytes[end] ^= 0x01;
    *last = bytes.into();
    match client.prove(&prover, &tampered).await {
        Err(WithdrawalError::PortalRefused { call, .. }) => {
            assert_eq!(call, "proveWithdrawalTransaction")
        }
        other => panic!("a tampered proof must be refused by the portal, got {other:?}"),
    }

    let proved = withdrawal_cli(&l1, &sequencer, "prove", eth_tx, &key_flag(4)).await.json();
    let proved_token =
        withdrawal_cli(&l1, &sequencer, "prove", token_tx, &key_flag(4)).await.json();
    assert_eq!(status_of(&l1, &sequencer, eth_tx).await, "waiting-to-finalize");
    let early = withdrawal_cli(&l1, &sequencer, "finalize", eth_tx, &key_flag(4)).await;
    assert!(!early.success, "a finalize before the period must be refused");
    assert!(early.stderr.contains("finalization period has not elapsed"), "{}", early.stderr);

    eventually(&log, "the finalization period passes", Duration::from_secs(60), || {
        let (l1, sequencer) = (&l1, &sequencer);
        async move { (status_of(l1, sequencer, eth_tx).await == "ready-to-finalize").then_some(()) }
    })
    .await;
    let before = l1.client().balance(eth_user.address()).await.unwrap();
    let finalized = withdrawal_cli(&l1, &sequencer, "finalize", eth_tx, &key_flag(4)).await.json();
    let after = l1.client().balance(eth_user.address()).await.unwrap();
    assert_eq!(after - before, one_eth, "the L1 recipient gets exactly 1 ETH");
    assert_eq!(status_of(&l1, &sequencer, eth_tx).await, "finalized");
    let again = withdrawal_cli(&l1, &sequencer, "finalize", eth_tx, &key_flag(4)).await;
    assert!(!again.success);
    assert!(again.stderr.contains("withdrawal has already been finalized"), "{}", again.stderr);

    let token_before = token_balance(&l1.client(), l1_token, token_holder.address()).await;
    assert_eq!(token_before, minted - deposited);
    eventually(&log, "the token withdrawal can be finalized", Duration::from_secs(60), || {
        let (l1, sequencer) = (&l1, &sequencer);
        async move { (status_of(l1, sequencer, token_tx).await == "ready-to-finalize").then_some(()) }
    })
    .await;
    let finalized_token =
        withdrawal_cli(&l1, &sequencer, "finalize", token_tx, &key_flag(4)).await.json();
    assert_eq!(
        token_balance(&l1.client(), l1_token, token_holder.address()).await,
        token_before + withdrawn
    );
    assert_eq!(token_balance(&l2, l2_token, token_holder.address()).await, deposited - withdrawn);

    // Every output on L1 is the root of its block as the L2 serves it.
    let proposals = output_proposals(&l1).await;
    let mut proposal_gas = Vec::new();
    for (index, l2_block, root, tx) in &proposals {
        assert_eq!(
            *root,
            recomputed_output_root(&l2, *l2_block).await,
            "output #{index} (block {l2_block})"
        );
        proposal_gas.push(l1.client().receipt(*tx).await.unwrap().expect("mined").gas_used);
    }
    eprintln!(
        "L1 gas: proposals {proposal_gas:?}; prove ETH {} PHA {}; finalize ETH {} PHA {}",
        proved["l1GasUsed"],
        proved_token["l1GasUsed"],
        finalized["l1GasUsed"],
        finalized_token["l1GasUsed"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proposer_killed_mid_proposal_neither_skips_nor_repeats_an_interval() {
    let l1 = TestL1::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let sequencer = Node::start(&l1, Role::Sequencer("calldata"), &dir.path().join("seq")).await;
    // The proposer runs on a verifier: it proposes what its own derivation made safe.
    let flags = proposer_flags(&l1);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut proposer =
        Node::start_with(&l1, Role::Verifier, &dir.path().join("proposer"), &flags).await;
    let log = proposer.log().to_path_buf();

    // Kill it while a proposal is in flight: sent, not yet seen landed.
    let count = |text: &str, needle: &str| text.matches(needle).count();
    eventually(&log, "a second proposal is in flight", Duration::from_secs(150), || {
        let log = log.clone();
        async move {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let sent = count(&text, "proposal sent");
            (sent >= 2 && sent > count(&text, "output proposed")).then_some(())
        }
    })
    .await;
    proposer.kill();
    let at_kill = output_proposals(&l1).await.len();
    proposer.restart().await;
    eventually(&log, "two more outputs after the restart", Duration::from_secs(150), || {
        let l1 = &l1;
        async move { (output_proposals(l1).await.len() >= at_kill + 2).then_some(()) }
    })
    .await;

    let proposals = output_proposals(&l1).await;
    let oracle = l1.files.deployment.addresses.l2_output_oracle_proxy;
    let data = phala_l1::bindings::IL2OutputOracle::submissionIntervalCall {}.abi_encode();
    let out = l1.client().call_contract(oracle, data.into()).await.unwrap();
    let interval: u64 =
        phala_l1::bindings::IL2OutputOracle::submissionIntervalCall::abi_decode_returns(&out)
            .unwrap()
            .to();
    for (position, (index, l2_block, root, _)) in proposals.iter().enumerate() {
        assert_eq!(*index, position as u64, "output indices are contiguous");
        assert_eq!(
            *l2_block,
            (position as u64 + 1) * interval,
            "one output per interval, none skipped"
        );
        assert_eq!(*root, recomputed_output_root(&sequencer.client(), *l2_block).await);
        let served: serde_json::Value = proposer
            .client()
            .call("optimism_outputAtBlock", jsonrpsee::rpc_params![format!("{l2_block:#x}")])
            .await
            .expect("optimism_outputAtBlock");
        assert_eq!(served["outputRoot"], root.to_string(), "optimism_outputAtBlock {l2_block}");
    }
    // Every transaction the proposer key sent is a landed proposal: none was repeated.
    let proposer_address =
        phala_node::devnet::role_key(phala_node::devnet::Role::Proposer).address();
    let sent = l1
        .client()
        .nonce(proposer_address, alloy_rpc_types_eth::BlockNumberOrTag::Latest)
        .await
        .unwrap();
    assert_eq!(
        sent,
        proposals.len() as u64,
        "the proposer's L1 transactions are exactly its outputs"
    );
}
