//! Deposits from the portal and the bridge reach L2; the batcher's posts land on L1 as calldata
//! and as blobs; a fresh verifier reaches the sequencer's blocks and its `safe` head advances;
//! kills, an L1 re-org and bad inbox data are survived.

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_sol_types::SolCall;
use phala_e2e::{
    Node, Role, TestL1, balance, block_at, block_hash, eventually, inbox_channels, inbox_posts,
    l1_reorg, mined_in, mined_transfer, post_to_inbox, send_transfer,
};
use phala_l1::{
    L1Call,
    bindings::{IL1StandardBridge, IOptimismPortal},
    test_utils::anvil_key,
};
use std::{collections::BTreeSet, time::Duration};

const L2_CHAIN_ID: u64 = phala_node::devnet::DEVNET_CHAIN_ID;
const MINUTE: Duration = Duration::from_secs(60);

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18u64))
}

fn batcher() -> Address {
    phala_node::devnet::role_key(phala_node::devnet::Role::Batcher).address()
}

/// Deposits `amount` to `to` on L2 through the portal's `depositTransaction`, from anvil account
/// `from`.
async fn deposit_via_portal(l1: &TestL1, from: u32, to: Address, amount: U256) {
    let call = IOptimismPortal::depositTransactionCall {
        to,
        value: amount,
        gasLimit: 100_000,
        isCreation: false,
        data: Default::default(),
    };
    l1.wallet(from)
        .await
        .transact(
            &L1Call {
                to: Some(l1.files.deployment.addresses.optimism_portal_proxy),
                value: amount,
                data: call.abi_encode().into(),
                gas: None,
            },
            "depositTransaction",
        )
        .await
        .expect("the deposit lands on L1");
}

/// Deposits `amount` to `to` on L2 through `L1StandardBridge.depositETHTo`.
async fn deposit_via_bridge(l1: &TestL1, from: u32, to: Address, amount: U256) {
    let call = IL1StandardBridge::depositETHToCall {
        to,
        minGasLimit: 200_000,
        extraData: Default::default(),
    };
    l1.wallet(from)
        .await
        .transact(
            &L1Call {
                to: Some(l1.files.deployment.addresses.l1_standard_bridge_proxy),
                value: amount,
                data: call.abi_encode().into(),
                gas: None,
            },
            "depositETHTo",
        )
        .await
        .expect("the bridge deposit lands on L1");
}

/// Waits until `node`'s `safe` head reaches `number`.
async fn wait_safe(node: &Node, number: u64, timeout: Duration) {
    let client = node.client();
    eventually(node.log(), &format!("the safe head reaches {number}"), timeout, || {
        let client = client.clone();
        async move {
            block_at(&client, BlockNumberOrTag::Safe).await.filter(|(_, safe)| *safe >= number)
        }
    })
    .await;
}

/// Waits until `verifier` has `sequencer`'s block `number`, and checks they are the same.
async fn wait_same_block(sequencer: &Node, verifier: &Node, number: u64) {
    let expected = block_hash(&sequencer.client(), number).await.expect("the sequencer has it");
    let client = verifier.client();
    let got = eventually(
        verifier.log(),
        &format!("the verifier derives block {number}"),
        2 * MINUTE,
        || {
            let client = client.clone();
            async move { block_hash(&client, number).await }
        },
    )
    .await;
    assert_eq!(got, expected, "the verifier's block {number} differs from the sequencer's");
}

/// The whole path on one devnet with `data_availability`: deposits in, an L2 transfer, its batch
/// on L1, a verifier from L1 alone.
async fn settles(hardfork: Option<&str>, data_availability: &'static str) {
    let l1 = TestL1::start(hardfork).await;
    let sequencer =
        Node::start(&l1, Role::Sequencer(data_availability), &l1.dir.path().join("sequencer"))
            .await;
    let l2 = sequencer.client();

    // ETH in through the portal and through the bridge.
    let (portal_recipient, bridge_recipient) =
        (Address::repeat_byte(0x51), Address::repeat_byte(0x52));
    deposit_via_portal(&l1, 1, portal_recipient, ether(3)).await;
    deposit_via_bridge(&l1, 2, bridge_recipient, ether(2)).await;
    for (recipient, amount) in [(portal_recipient, ether(3)), (bridge_recipient, ether(2))] {
        let client = l2.clone();
        eventually(sequencer.log(), "the deposit reaches L2", MINUTE, || {
            let client = client.clone();
            async move { (balance(&client, recipient).await == amount).then_some(()) }
        })
        .await;
    }

    // An L2 transfer is included, and its block becomes safe: its batch landed on L1.
    let sender = anvil_key(3);
    let recipient = Address::repeat_byte(0x53);
    let number = mined_transfer(&sequencer, &sender, recipient, U256::from(12_345), 0).await;
    wait_safe(&sequencer, number, 2 * MINUTE).await;
    let posts: Vec<_> =
        inbox_posts(&l1).await.into_iter().filter(|post| post.from == batcher()).collect();
    assert!(!posts.is_empty(), "the batcher posted");
    let expected_type = if data_availability == "blobs" { 3 } else { 2 };
    assert!(
        posts.iter().all(|post| post.tx_type == expected_type),
        "every post is a type-{expected_type} transaction: {posts:?}"
    );

    // A fresh verifier with only the L1, the chain spec and the rollup config.
    let verifier = Node::start(&l1, Role::Verifier, &l1.dir.path().join("verifier")).await;
    wait_same_block(&sequencer, &verifier, number).await;
    wait_safe(&verifier, number, MINUTE).await;
    assert_eq!(balance(&verifier.client(), recipient).await, U256::from(12_345));
    assert_eq!(balance(&verifier.client(), portal_recipient).await, ether(3));

    // Its safe head goes on advancing as more batches land.
    let (_, head) = block_at(&l2, BlockNumberOrTag::Latest).await.expect("a head");
    wait_safe(&verifier, head, 2 * MINUTE).await;
    wait_same_block(&sequencer, &verifier, head).await;

    // Once L1 finalizes the blocks the batches are in (anvil: 64 blocks behind its head), the
    // blocks derived from them are `finalized` on both nodes.
    let _: serde_json::Value =
        l1.client().call("anvil_mine", jsonrpsee::rpc_params![80]).await.expect("anvil mines");
    for node in [&sequencer, &verifier] {
        let client = node.client();
        let finalized =
            eventually(node.log(), "the finalized head reaches the transfer", MINUTE, || {
                let client = client.clone();
                async move {
                    block_at(&client, BlockNumberOrTag::Finalized)
                        .await
                        .filter(|(_, finalized)| *finalized >= number)
                }
            })
            .await;
        let (_, safe) = block_at(&client, BlockNumberOrTag::Safe).await.expect("a safe head");
        assert!(finalized.1 <= safe, "finalized {} is not past safe {safe}", finalized.1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn settles_with_calldata() {
    settles(None, "calldata").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn settles_with_blobs_on_the_default_hardfork() {
    settles(None, "blobs").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn settles_with_blobs_on_prague() {
    settles(Some("prague"), "blobs").await;
}

/// SIGKILL of the sequencer-and-batcher process mid-way, twice: no acknowledged transaction is
/// lost, no L2 block is in two landed channels, and a verifier still matches.
#[tokio::test(flavor = "multi_thread")]
async fn survives_sigkill_of_sequencer_and_batcher() {
    let l1 = TestL1::start(None).await;
    let mut sequencer =
        Node::start(&l1, Role::Sequencer("calldata"), &l1.dir.path().join("sequencer")).await;
    let sender = anvil_key(4);
    let mut acknowledged = Vec::new();
    let mut nonce = 0;
    for round in 0..3 {
        for _ in 0..3 {
            let to = Address::with_last_byte(0x60 + nonce as u8);
            acknowledged.push(
                send_transfer(&sequencer.client(), L2_CHAIN_ID, &sender, to, U256::from(1), nonce)
                    .await,
            );
            nonce += 1;
        }
        // Acknowledged means mined: wait for the last one.
        let last = *acknowledged.last().expect("sent");
        let client = sequencer.client();
        let mined = eventually(sequencer.log(), "the transfers are mined", MINUTE, || {
            let client = client.clone();
            async move { mined_in(&client, last).await }
        })
        .await;
        if round < 2 {
            // Kill the moment the batcher has a channel with the transfers in flight: recorded
            // and sent, not yet safe.
            let log = sequencer.log().to_path_buf();
            eventually(&log, "a channel with the transfers is posted", MINUTE, || {
                let log = log.clone();
                async move { channel_posted_through(&log).filter(|last| *last >= mined) }
            })
            .await;
            sequencer.restart().await;
        }
    }
    let client = sequencer.client();
    let mut last_block = 0;
    for hash in &acknowledged {
        let number = mined_in(&client, *hash).await.expect("no acknowledged transaction is lost");
        last_block = last_block.max(number);
    }
    wait_safe(&sequencer, last_block, 2 * MINUTE).await;
    let channels = inbox_channels(&l1, batcher()).await;
    let mut seen = BTreeSet::new();
    for timestamp in channels.iter().flat_map(|channel| &channel.timestamps) {
        assert!(
            seen.insert(*timestamp),
            "the block at {timestamp} was posted in two channels: {channels:?}"
        );
    }
    let verifier = Node::start(&l1, Role::Verifier, &l1.dir.path().join("verifier")).await;
    wait_same_block(&sequencer, &verifier, last_block).await;
}

/// The last block of the newest channel the batcher's log says it posted.
fn channel_posted_through(log: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text.lines().rev().find(|line| line.contains("posting a channel"))?;
    let last = line.split_whitespace().find_map(|word| word.strip_prefix("last="))?;
    last.parse().ok()
}

/// An L1 re-org that drops a landed batch: the batcher posts the blocks again, the sequencer
/// (which derived from the dropped batch) rewinds its safe head, and so does a verifier that was
/// down during the re-org; both end on the same chain.
#[tokio::test(flavor = "multi_thread")]
async fn survives_an_l1_reorg_that_drops_a_batch() {
    let l1 = TestL1::start(None).await;
    let sequencer =
        Node::start(&l1, Role::Sequencer("calldata"), &l1.dir.path().join("sequencer")).await;
    let mut verifier = Node::start(&l1, Role::Verifier, &l1.dir.path().join("verifier")).await;
    let number =
        mined_transfer(&sequencer, &anvil_key(5), Address::repeat_byte(0x70), U256::from(7), 0)
            .await;
    wait_safe(&sequencer, number, 2 * MINUTE).await;
    wait_safe(&verifier, number, 2 * MINUTE).await;
    // Both derived the block from the channel that holds it: drop the L1 blocks from that
    // channel's first frame on.
    let timestamp = l1.rollup.genesis.l2_time + number * l1.rollup.block_time;
    let channel = inbox_channels(&l1, batcher())
        .await
        .into_iter()
        .find(|channel| channel.timestamps.contains(&timestamp))
        .expect("a landed channel holds the block");
    let first = *channel.l1_blocks.iter().min().expect("frames");
    let l1_head = l1.client().block_number().await.expect("the L1 answers");
    let posts_before = inbox_posts(&l1).await.len();
    // The verifier is down during the re-org: when it comes back, it has no memory of where its
    // safe blocks came from, and must find a safe head whose data is still on L1 by itself.
    verifier.kill();
    l1_reorg(&l1, l1_head - first + 1).await;
    assert!(inbox_posts(&l1).await.len() < posts_before, "the re-org dropped batcher posts");
    verifier.restart().await;
    // The chain goes on: a transfer after the re-org becomes safe on both, on the same blocks.
    let after =
        mined_transfer(&sequencer, &anvil_key(5), Address::repeat_byte(0x70), U256::from(7), 1)
            .await;
    wait_safe(&sequencer, after, 2 * MINUTE).await;
    wait_safe(&verifier, after, 2 * MINUTE).await;
    wait_same_block(&sequencer, &verifier, after).await;
    assert_eq!(balance(&verifier.client(), Address::repeat_byte(0x70)).await, U256::from(14));
    // The safe-head database kept nothing derived from the dropped L1 blocks: every entry from
    // the re-org point on names a block on today's L1 ("not found" only where the safe head had
    // not moved since genesis on today's L1), and the head has one.
    let l1_now = l1.client().block_number().await.expect("the L1 answers");
    for node in [&sequencer, &verifier] {
        for l1_number in first..=l1_now {
            let at: Result<serde_json::Value, _> = node
                .client()
                .call(
                    "optimism_safeHeadAtL1Block",
                    jsonrpsee::rpc_params![format!("{l1_number:#x}")],
                )
                .await;
            let at = match at {
                Ok(at) => at,
                Err(err) if l1_number < l1_now && err.to_string().contains("not found") => continue,
                Err(err) => panic!("{}: L1 block {l1_number}: {err}", node.log().display()),
            };
            let recorded = at["l1Block"]["number"].as_u64().expect("a number");
            let canonical = l1
                .client()
                .block_header_by_number(BlockNumberOrTag::Number(recorded))
                .await
                .expect("the L1 answers")
                .expect("the block")
                .header
                .hash;
            assert_eq!(
                at["l1Block"]["hash"].as_str(),
                Some(canonical.to_string().as_str()),
                "{}: the safe head at L1 block {l1_number} is recorded at a dropped block: {at}",
                node.log().display()
            );
        }
    }
    let verifier_log = std::fs::read_to_string(verifier.log()).unwrap_or_default();
    assert!(
        verifier_log.contains("rewound a sequencing window"),
        "the restarted verifier found an older safe head by itself"
    );
    for node in [&sequencer, &verifier] {
        let log = std::fs::read_to_string(node.log()).unwrap_or_default();
        let mentions: Vec<&str> =
            log.lines().filter(|line| line.contains("re-org") || line.contains("again")).collect();
        assert!(
            log.contains("L1 re-org"),
            "{} did not notice the re-org: {mentions:#?}\n{}",
            node.log().display(),
            phala_e2e::log_tail(node.log())
        );
    }
}

/// Bad inbox data is ignored as the spec says: garbage from the batcher key, a well-formed frame
/// from a wrong sender, a truncated channel and a span batch with a wrong parent check.
#[tokio::test(flavor = "multi_thread")]
async fn ignores_bad_inbox_data() {
    use phala_protocol::batch::{
        Batch, SpanBatch, SpanBlock, batcher_tx_data, channel_rlp, compress_brotli,
        frames_of_channel,
    };
    let l1 = TestL1::start(None).await;
    // The batcher gathers blocks for 20 L1 blocks, so the verifier's safe head stays put while
    // the bad data lands and the bad span batch meets exactly the block it claims to follow.
    let sequencer = Node::start_with(
        &l1,
        Role::Sequencer("calldata"),
        &l1.dir.path().join("sequencer"),
        &["--batcher.max-channel-duration", "20"],
    )
    .await;
    let verifier = Node::start(&l1, Role::Verifier, &l1.dir.path().join("verifier")).await;
    let batcher_index = 7;
    // Garbage with the batcher's key (its nonces are the batcher's too: it must cope).
    post_to_inbox(&l1, batcher_index, b"\x00not a frame at all".to_vec()).await;
    post_to_inbox(&l1, batcher_index, vec![0xff; 64]).await;
    // A span batch for the next blocks with a wrong parent check, from the batcher key, and the
    // same well-formed data from a wrong sender.
    let (_, safe) =
        block_at(&verifier.client(), BlockNumberOrTag::Safe).await.expect("a safe head");
    let span = SpanBatch::from_blocks(
        &[SpanBlock {
            timestamp: l1.rollup.genesis.l2_time + (safe + 1) * l1.rollup.block_time,
            epoch_num: l1.rollup.genesis.l1.number,
            epoch_hash: l1.rollup.genesis.l1.hash,
            parent_hash: alloy_primitives::B256::repeat_byte(0xee),
            transactions: &[],
        }],
        l1.rollup.genesis.l2_time,
        l1.rollup.genesis.l1.number,
    )
    .expect("a span batch");
    let compressed = compress_brotli(&channel_rlp(&[Batch::Span(span)]));
    let frames = frames_of_channel([0xab; 16], &compressed, 100_000).expect("frames");
    post_to_inbox(&l1, batcher_index, batcher_tx_data(&frames[0])).await;
    post_to_inbox(&l1, 2, batcher_tx_data(&frames[0])).await;
    // A truncated channel: the first of three frames only.
    let truncated = frames_of_channel([0xcd; 16], &compressed, 40).expect("frames");
    assert!(truncated.len() > 1);
    post_to_inbox(&l1, batcher_index, batcher_tx_data(&truncated[0])).await;

    let number =
        mined_transfer(&sequencer, &anvil_key(6), Address::repeat_byte(0x71), U256::from(9), 0)
            .await;
    wait_safe(&verifier, number, 2 * MINUTE).await;
    wait_same_block(&sequencer, &verifier, number).await;
    // The verifier says what it dropped: both garbage posts, the span batch with the wrong
    // parent check once (the wrong sender's copy was never read), and the truncated channel when
    // the batcher's next channel replaced it.
    let log_path = verifier.log().to_path_buf();
    let drops = eventually(&log_path, "the verifier reports every drop", MINUTE, || {
        let log_path = log_path.clone();
        async move {
            let log = std::fs::read_to_string(&log_path).ok()?;
            let drops: Vec<String> = log
                .lines()
                .filter(|line| line.contains("dropped L1 data"))
                .map(str::to_string)
                .collect();
            drops.iter().any(|line| line.contains("ChannelReplaced")).then_some(drops)
        }
    })
    .await;
    let count = |what: &str| drops.iter().filter(|line| line.contains(what)).count();
    assert_eq!(count("BatcherData("), 2, "{drops:#?}");
    assert_eq!(count("SpanParentCheckMismatch"), 1, "{drops:#?}");
    assert_eq!(count("ChannelReplaced"), 1, "{drops:#?}");
}

/// SystemConfig updates on L1 apply on L2 from the first block of their epoch, on the sequencer
/// and on the verifier alike: a new gas limit and new Ecotone fee scalars.
#[tokio::test(flavor = "multi_thread")]
async fn applies_system_config_updates() {
    use phala_l1::bindings::ISystemConfig;
    let l1 = TestL1::start(None).await;
    let sequencer =
        Node::start(&l1, Role::Sequencer("calldata"), &l1.dir.path().join("sequencer")).await;
    let verifier = Node::start(&l1, Role::Verifier, &l1.dir.path().join("verifier")).await;
    let admin = l1.wallet(0).await;
    let system_config = Some(l1.files.deployment.addresses.system_config_proxy);
    for (data, what) in [
        (ISystemConfig::setGasLimitCall { gasLimit: 35_000_000 }.abi_encode(), "setGasLimit"),
        (
            ISystemConfig::setGasConfigEcotoneCall {
                basefeeScalar: 2_000,
                blobbasefeeScalar: 900_000,
            }
            .abi_encode(),
            "setGasConfigEcotone",
        ),
    ] {
        admin
            .transact(&L1Call { to: system_config, data: data.into(), ..Default::default() }, what)
            .await
            .expect("the admin updates the SystemConfig");
    }
    let l2 = sequencer.client();
    let number = eventually(sequencer.log(), "an L2 block has the new gas limit", MINUTE, || {
        let client = l2.clone();
        async move {
            let block: serde_json::Value = client
                .call("eth_getBlockByNumber", jsonrpsee::rpc_params!["latest", false])
                .await
                .ok()?;
            let gas_limit = block["gasLimit"].as_str()?;
            let number = block["number"].as_str()?;
            (gas_limit == "0x2160ec0")
                .then(|| u64::from_str_radix(number.trim_start_matches("0x"), 16).ok())
                .flatten()
        }
    })
    .await;
    // The L1Block predeploy takes the new scalars (its `baseFeeScalar()` getter).
    let selector = alloy_primitives::keccak256("baseFeeScalar()")[..4].to_vec();
    eventually(sequencer.log(), "L1Block has the new base fee scalar", MINUTE, || {
        let client = l2.clone();
        let selector = selector.clone();
        async move {
            let word = client
                .call_contract(
                    alloy_primitives::address!("4200000000000000000000000000000000000015"),
                    selector.into(),
                )
                .await
                .ok()?;
            (U256::from_be_slice(&word) == U256::from(2_000)).then_some(())
        }
    })
    .await;
    let (_, head) = block_at(&l2, BlockNumberOrTag::Latest).await.expect("a head");
    wait_safe(&verifier, head, 2 * MINUTE).await;
    wait_same_block(&sequencer, &verifier, head).await;
    wait_safe(&verifier, number, 2 * MINUTE).await;
    wait_same_block(&sequencer, &verifier, number).await;
}
