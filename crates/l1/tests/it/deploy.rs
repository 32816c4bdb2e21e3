//! The OP Bedrock L1 contracts deployed on anvil behave as OP's: a deposit emits the
//! `TransactionDeposited` log op-node derives from, and the SystemConfig holds the roles.

use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter};
use alloy_sol_types::{SolCall, SolEvent};
use phala_l1::{
    BeaconClient, BlobSidecarForm, L1Call,
    bindings::{IL1StandardBridge, IOptimismPortal, ISystemConfig},
    blob_sidecar_form,
    deploy::{predicted_addresses, rollup_config},
    test_utils::{anvil_key, deployed_anvil},
    wallet::L1Wallet,
};
use phala_protocol::{TRANSACTION_DEPOSITED_TOPIC, decode_transaction_deposited};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn deposits_through_portal_and_bridge_emit_transaction_deposited() {
    let (anvil, admin, deployment) = deployed_anvil(901, None).await.unwrap();
    let client = anvil.client().unwrap();
    let addresses = deployment.addresses;
    assert_eq!(addresses, predicted_addresses(admin.address(), 0, addresses.batch_inbox));

    // The SystemConfig holds the batcher and the gas limit it was initialised with.
    let batcher_hash = client
        .call_contract(
            addresses.system_config_proxy,
            ISystemConfig::batcherHashCall {}.abi_encode().into(),
        )
        .await
        .unwrap();
    assert_eq!(
        B256::from_slice(&batcher_hash),
        B256::left_padding_from(anvil_key(7).address().as_slice())
    );

    let user = L1Wallet::new(client.clone(), anvil_key(1)).await.unwrap();
    let recipient = Address::repeat_byte(0x42);
    let portal_deposit = IOptimismPortal::depositTransactionCall {
        to: recipient,
        value: U256::from(5u64),
        gasLimit: 100_000,
        isCreation: false,
        data: Default::default(),
    };
    let receipt = user
        .transact(
            &L1Call {
                to: Some(addresses.optimism_portal_proxy),
                value: U256::from(5u64),
                data: portal_deposit.abi_encode().into(),
                gas: None,
            },
            "depositTransaction",
        )
        .await
        .unwrap();
    let bridge_deposit =
        IL1StandardBridge::depositETHCall { minGasLimit: 200_000, extraData: Default::default() };
    user.transact(
        &L1Call {
            to: Some(addresses.l1_standard_bridge_proxy),
            value: U256::from(7u64),
            data: bridge_deposit.abi_encode().into(),
            gas: None,
        },
        "depositETH",
    )
    .await
    .unwrap();

    let filter = Filter::new()
        .address(addresses.optimism_portal_proxy)
        .event_signature(TRANSACTION_DEPOSITED_TOPIC)
        .from_block(0u64)
        .to_block(BlockNumberOrTag::Latest);
    let logs = client.logs(&filter).await.unwrap();
    assert_eq!(logs.len(), 2, "one deposit each from the portal and the bridge");
    let first = decode_transaction_deposited(
        &logs[0].inner,
        logs[0].block_hash.unwrap(),
        logs[0].log_index.unwrap(),
    )
    .unwrap();
    assert_eq!(first.from, user.address(), "an EOA's deposit is not aliased");
    assert_eq!(first.to, alloy_primitives::TxKind::Call(recipient));
    assert_eq!(first.mint, 5);
    assert_eq!(first.gas_limit, 100_000);
    assert_eq!(logs[0].block_hash, receipt.block_hash);
    let second = decode_transaction_deposited(
        &logs[1].inner,
        logs[1].block_hash.unwrap(),
        logs[1].log_index.unwrap(),
    )
    .unwrap();
    assert_eq!(second.mint, 7);
    // The messenger calls the portal, so the sender is its L2 alias.
    let offset = alloy_primitives::address!("1111000000000000000000000000000000001111");
    let sum = U256::from_be_slice(addresses.l1_cross_domain_messenger_proxy.as_slice())
        + U256::from_be_slice(offset.as_slice());
    let alias = Address::from_slice(&sum.to_be_bytes::<32>()[12..]);
    assert_eq!(second.from, alias);

    let config = rollup_config(&deployment, 31337, B256::repeat_byte(1));
    assert_eq!(config.deposit_contract_address, addresses.optimism_portal_proxy);
    assert_eq!(config.genesis.system_config.batcher_addr, anvil_key(7).address());
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(phala_protocol::rollup::RollupConfig::from_json(&json).unwrap(), config);
    let _ = ISystemConfig::ConfigUpdate::SIGNATURE_HASH;
}

/// A blob transaction to the inbox is accepted by anvil in the sidecar form its fork wants, and
/// the beacon API serves the blob back, checked against its versioned hash.
async fn blob_round_trip(hardfork: Option<&str>, expected_form: BlobSidecarForm) {
    let (anvil, _, deployment) = deployed_anvil(901, hardfork).await.unwrap();
    let client = anvil.client().unwrap();
    let form = blob_sidecar_form(&client).await;
    assert_eq!(form, expected_form);
    let batcher = L1Wallet::new(client.clone(), anvil_key(7)).await.unwrap();
    let data = b"phala batch data".repeat(100);
    let blob = phala_protocol::batch::encode_blob(&data).unwrap();
    let blob = alloy_eips::eip4844::Blob::try_from(blob.as_slice()).unwrap();
    let (hash, versioned) =
        batcher.send_blobs(deployment.addresses.batch_inbox, vec![blob], form, None).await.unwrap();
    let receipt = batcher.wait(hash, "blob", Duration::from_secs(30)).await.unwrap();
    let block =
        client.expect_block(BlockNumberOrTag::Number(receipt.block_number.unwrap())).await.unwrap();
    let beacon = BeaconClient::new(&anvil.url()).unwrap();
    let blobs =
        beacon.block_blobs(block.header.timestamp, block.header.hash, &versioned).await.unwrap();
    assert_eq!(phala_protocol::batch::decode_blob(blobs[0].as_slice()).unwrap(), data);
}

#[tokio::test(flavor = "multi_thread")]
async fn blobs_on_the_default_hardfork_use_cell_proofs() {
    blob_round_trip(None, BlobSidecarForm::Eip7594).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn blobs_on_prague_use_eip4844_proofs() {
    blob_round_trip(Some("prague"), BlobSidecarForm::Eip4844).await;
}
