//! The end-to-end harness: a real anvil with the OP Bedrock L1 contracts deployed by
//! `phala-node devnet`'s own set-up ([`phala_node::devnet::prepare`]), and `phala-node` processes
//! (the binary the workspace build made) as sequencer with batcher, and as verifiers.
//!
//! Key components: [`TestL1`], [`Node`] (a node process that can be SIGKILLed and restarted),
//! [`eventually`], the L2 helpers ([`send_transfer`], [`balance`], [`block_hash`]), and
//! [`inbox_channels`], which reads back what the batcher posted.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::rpc_params;
use phala_l1::{Anvil, AnvilConfig, L1Client, L1Wallet, anvil::free_port, test_utils::anvil_key};
use phala_node::devnet::{DevnetFiles, prepare};
use phala_protocol::rollup::RollupConfig;
use std::{
    future::Future,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

/// The `phala-node` binary: `$PHALA_NODE_BIN`, else this build's (`target/<profile>/phala-node`,
/// beside `deps/`).
pub fn phala_node_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PHALA_NODE_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    let binary = profile_dir.join("phala-node");
    assert!(
        binary.is_file(),
        "{} is missing: build the workspace first (cargo build --workspace --all-targets)",
        binary.display()
    );
    binary
}

/// anvil as L1 with the rollup's L1 contracts, and the devnet files for it.
#[derive(Debug)]
pub struct TestL1 {
    /// The anvil process.
    pub anvil: Anvil,
    /// The chain spec, rollup config and L1 addresses.
    pub files: DevnetFiles,
    /// The rollup config.
    pub rollup: RollupConfig,
    /// Holds the files.
    pub dir: tempfile::TempDir,
}

impl TestL1 {
    /// A fresh anvil (1 s blocks, `hardfork` or anvil's default) with the contracts deployed.
    pub async fn start(hardfork: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let anvil = Anvil::spawn(&AnvilConfig {
            block_time: Some(1),
            hardfork: hardfork.map(str::to_string),
            ..Default::default()
        })
        .await
        .expect("anvil starts");
        let files = prepare(dir.path(), &anvil.client().expect("a client")).await.expect("set-up");
        let rollup = RollupConfig::from_json(
            &std::fs::read_to_string(&files.rollup_config).expect("rollup.json"),
        )
        .expect("a rollup config");
        Self { anvil, files, rollup, dir }
    }

    /// A client of the L1.
    pub fn client(&self) -> L1Client {
        self.anvil.client().expect("a client")
    }

    /// A wallet of anvil account `index`.
    pub async fn wallet(&self, index: u32) -> L1Wallet {
        L1Wallet::new(self.client(), anvil_key(index)).await.expect("a wallet")
    }
}

/// A `phala-node node` process.
#[derive(Debug)]
pub struct Node {
    child: Option<Child>,
    args: Vec<String>,
    /// Its HTTP JSON-RPC URL.
    pub url: String,
    /// Its data directory.
    pub datadir: PathBuf,
    log: PathBuf,
}

/// Which part a node plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sequencer and batcher, posting as `calldata` or `blobs`.
    Sequencer(&'static str),
    /// Derives from L1 only.
    Verifier,
}

impl Node {
    /// Starts a node of `role` on `l1` in `datadir` and waits for its RPC.
    pub async fn start(l1: &TestL1, role: Role, datadir: &Path) -> Self {
        Self::start_with(l1, role, datadir, &[]).await
    }

    /// [`Self::start`] with more `phala-node node` flags.
    pub async fn start_with(l1: &TestL1, role: Role, datadir: &Path, extra: &[&str]) -> Self {
        let http = free_port().expect("a port");
        let mut args: Vec<String> = [
            "node",
            "--chain",
            &l1.files.chain_spec.display().to_string(),
            "--datadir",
            &datadir.display().to_string(),
            "--http",
            "--http.port",
            &http.to_string(),
            "--authrpc.port",
            &free_port().expect("a port").to_string(),
            "--rollup.config",
            &l1.files.rollup_config.display().to_string(),
            "--l1.rpc",
            &l1.anvil.url(),
        ]
        .iter()
        .map(|arg| arg.to_string())
        .collect();
        if let Role::Sequencer(data_availability) = role {
            let batcher = phala_node::devnet::role_key(phala_node::devnet::Role::Batcher);
            args.extend([
                "--sequencer.enabled".to_string(),
                "--sequencer.l1-confs".to_string(),
                "0".to_string(),
                "--batcher.private-key".to_string(),
                alloy_primitives::hex::encode_prefixed(batcher.to_bytes()),
                "--batcher.data-availability".to_string(),
                data_availability.to_string(),
            ]);
        }
        args.extend(extra.iter().map(|arg| arg.to_string()));
        let log = datadir.with_extension("log");
        let mut node = Self {
            child: None,
            args,
            url: format!("http://127.0.0.1:{http}"),
            datadir: datadir.to_path_buf(),
            log,
        };
        node.spawn().await;
        node
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the log file opens");
        let child = Command::new(phala_node_binary())
            .args(&self.args)
            .env("RUST_LOG", std::env::var("PHALA_E2E_LOG").unwrap_or_else(|_| "info".into()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .spawn()
            .expect("phala-node starts");
        self.child = Some(child);
        let client = self.client();
        let log = self.log.clone();
        eventually(&log, "the node's RPC answers", Duration::from_secs(60), || {
            let client = client.clone();
            async move { client.chain_id().await.ok() }
        })
        .await;
    }

    /// A JSON-RPC client of it.
    pub fn client(&self) -> L1Client {
        L1Client::new(&self.url).expect("a client")
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again with the same flags and datadir.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last lines of a log, for a failure message.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Polls `check` every 250 ms until it gives a value; panics after `timeout` naming `what`, with
/// the end of `log`.
pub async fn eventually<T, F, Fut>(log: &Path, what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = tokio::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if started.elapsed() > timeout {
            panic!(
                "timed out after {timeout:?} waiting until {what}; log {}:\n{}",
                log.display(),
                log_tail(log)
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The hash and number of the L2 block at `tag` (read as JSON: an L2 block holds deposits,
/// which the L1 block type does not know).
pub async fn block_at(client: &L1Client, tag: BlockNumberOrTag) -> Option<(B256, u64)> {
    let block: serde_json::Value =
        client.call("eth_getBlockByNumber", rpc_params![tag, false]).await.ok()?;
    let hash = block.get("hash")?.as_str()?.parse().ok()?;
    let number = block.get("number")?.as_str()?.trim_start_matches("0x").to_string();
    Some((hash, u64::from_str_radix(&number, 16).ok()?))
}

/// The hash of L2 block `number`.
pub async fn block_hash(client: &L1Client, number: u64) -> Option<B256> {
    block_at(client, BlockNumberOrTag::Number(number)).await.map(|(hash, _)| hash)
}

/// An L2 balance.
pub async fn balance(client: &L1Client, address: Address) -> U256 {
    client.balance(address).await.unwrap_or_default()
}

/// Signs and sends an L2 transfer of `value` wei from `key` with `nonce`; returns its hash.
pub async fn send_transfer(
    client: &L1Client,
    chain_id: u64,
    key: &PrivateKeySigner,
    to: Address,
    value: U256,
    nonce: u64,
) -> B256 {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let signature = key.sign_hash_sync(&tx.signature_hash()).expect("signing");
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    client.send_raw_transaction(&envelope.encoded_2718()).await.expect("the L2 accepts it")
}

/// Sends an L2 transfer through `node` (as [`send_transfer`]) and waits until it is mined;
/// returns its block number.
pub async fn mined_transfer(
    node: &Node,
    key: &PrivateKeySigner,
    to: Address,
    value: U256,
    nonce: u64,
) -> u64 {
    let client = node.client();
    let chain_id = client.chain_id().await.expect("the L2 answers");
    let hash = send_transfer(&client, chain_id, key, to, value, nonce).await;
    eventually(node.log(), "the transfer is mined", Duration::from_secs(60), || {
        let client = client.clone();
        async move { mined_in(&client, hash).await }
    })
    .await
}

/// The block number of a mined L2 transaction.
pub async fn mined_in(client: &L1Client, hash: B256) -> Option<u64> {
    client.receipt(hash).await.ok()??.block_number
}

/// An L1 batcher transaction as posted.
#[derive(Debug, Clone)]
pub struct InboxPost {
    /// The L1 block it is in.
    pub l1_block: u64,
    /// Its sender.
    pub from: Address,
    /// Its type (2 calldata, 3 blobs).
    pub tx_type: u8,
    /// Its calldata.
    pub calldata: Bytes,
    /// Its blobs' versioned hashes.
    pub blob_hashes: Vec<B256>,
}

/// Every transaction to the batch inbox in L1 blocks `0..=latest`.
pub async fn inbox_posts(l1: &TestL1) -> Vec<InboxPost> {
    use alloy_consensus::Transaction as _;
    let client = l1.client();
    let latest = client.block_number().await.expect("the L1 answers");
    let mut posts = Vec::new();
    for number in 0..=latest {
        let block = client.expect_block(BlockNumberOrTag::Number(number)).await.expect("a block");
        for tx in block.transactions.txns() {
            let envelope = tx.inner.inner();
            if envelope.to() != Some(l1.rollup.batch_inbox_address) {
                continue;
            }
            posts.push(InboxPost {
                l1_block: number,
                from: tx.inner.signer(),
                tx_type: envelope.tx_type() as u8,
                calldata: envelope.input().clone(),
                blob_hashes: envelope
                    .blob_versioned_hashes()
                    .map(<[B256]>::to_vec)
                    .unwrap_or_default(),
            });
        }
    }
    posts
}

/// A complete channel the batcher posted.
#[derive(Debug, Clone)]
pub struct PostedChannel {
    /// The L1 blocks of its frames.
    pub l1_blocks: Vec<u64>,
    /// The timestamps of the L2 blocks it holds.
    pub timestamps: Vec<u64>,
}

/// The complete channels posted by `batcher` (frames read from calldata posts and, through the
/// beacon API, blob posts).
pub async fn inbox_channels(l1: &TestL1, batcher: Address) -> Vec<PostedChannel> {
    use phala_protocol::batch::{
        Batch, Channel, MAX_RLP_BYTES_PER_CHANNEL_FJORD, decode_batches, decode_blob, decompress,
        frames_of_calldata,
    };
    let beacon = phala_l1::BeaconClient::new(&l1.anvil.url()).expect("a beacon client");
    let client = l1.client();
    let mut channels: Vec<(Channel, Vec<u64>)> = Vec::new();
    for post in inbox_posts(l1).await.into_iter().filter(|post| post.from == batcher) {
        let data: Vec<Vec<u8>> = if post.blob_hashes.is_empty() {
            vec![post.calldata.to_vec()]
        } else {
            let block = client
                .expect_block(BlockNumberOrTag::Number(post.l1_block))
                .await
                .expect("the block");
            let blobs = beacon
                .block_blobs(block.header.timestamp, block.header.hash, &post.blob_hashes)
                .await
                .expect("the blobs");
            blobs.iter().map(|blob| decode_blob(blob.as_slice()).expect("a batcher blob")).collect()
        };
        for piece in data {
            let Ok(frames) = frames_of_calldata(&piece) else { continue };
            for frame in frames {
                match channels.iter_mut().find(|(channel, _)| channel.id() == frame.channel_id) {
                    Some((channel, blocks)) => {
                        let _ = channel.add_frame(frame);
                        blocks.push(post.l1_block);
                    }
                    None => {
                        let mut channel = Channel::new(frame.channel_id);
                        let _ = channel.add_frame(frame);
                        channels.push((channel, vec![post.l1_block]));
                    }
                }
            }
        }
    }
    let genesis_time = l1.rollup.genesis.l2_time;
    let block_time = l1.rollup.block_time;
    channels
        .iter()
        .filter(|(channel, _)| channel.is_ready())
        .map(|(channel, l1_blocks)| {
            let data = channel.data().expect("a ready channel has data");
            let rlp = decompress(&data, MAX_RLP_BYTES_PER_CHANNEL_FJORD).expect("it decompresses");
            let (batches, _) = decode_batches(&rlp);
            let mut timestamps = Vec::new();
            for batch in batches {
                match batch {
                    Batch::Singular(batch) => timestamps.push(batch.timestamp),
                    Batch::Span(span) => {
                        let first = genesis_time + span.rel_timestamp;
                        for index in 0..span.block_count() as u64 {
                            timestamps.push(first + index * block_time);
                        }
                    }
                }
            }
            PostedChannel { l1_blocks: l1_blocks.clone(), timestamps }
        })
        .collect()
}

/// Sends raw calldata to the batch inbox from anvil account `index`.
pub async fn post_to_inbox(l1: &TestL1, index: u32, data: Vec<u8>) -> B256 {
    let wallet = l1.wallet(index).await;
    let call = phala_l1::L1Call {
        to: Some(l1.rollup.batch_inbox_address),
        data: data.into(),
        gas: Some(1_000_000),
        ..Default::default()
    };
    // The batcher may be sending from the same key: a nonce race is retried.
    let mut attempts = 0;
    loop {
        match wallet.transact(&call, "inbox post").await {
            Ok(receipt) => return receipt.transaction_hash,
            Err(err) if attempts < 10 => {
                attempts += 1;
                eprintln!("inbox post failed ({err}); retrying");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(err) => panic!("cannot post to the inbox: {err}"),
        }
    }
}

/// `anvil_reorg`: replaces the last `depth` L1 blocks by empty ones.
pub async fn l1_reorg(l1: &TestL1, depth: u64) {
    let _: serde_json::Value = l1
        .client()
        .call("anvil_reorg", rpc_params![depth, Vec::<serde_json::Value>::new()])
        .await
        .expect("anvil re-organises");
}

/// The `phala-node node` flags that run the proposer (the devnet's proposer key) on `l1`'s
/// L2OutputOracle.
pub fn proposer_flags(l1: &TestL1) -> Vec<String> {
    let proposer = phala_node::devnet::role_key(phala_node::devnet::Role::Proposer);
    vec![
        "--proposer.private-key".to_string(),
        alloy_primitives::hex::encode_prefixed(proposer.to_bytes()),
        "--proposer.l2oo-address".to_string(),
        l1.files.deployment.addresses.l2_output_oracle_proxy.to_string(),
        "--proposer.poll-interval".to_string(),
        "250".to_string(),
    ]
}

/// What a `phala-node` command printed, and whether it succeeded.
#[derive(Debug)]
pub struct CommandOutput {
    /// Exit status 0.
    pub success: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CommandOutput {
    /// Standard output as JSON; panics (with both streams) when the command failed.
    pub fn json(&self) -> serde_json::Value {
        assert!(self.success, "the command failed:\n{}\n{}", self.stdout, self.stderr);
        serde_json::from_str(&self.stdout).expect("the command prints JSON")
    }
}

/// Runs `phala-node <args>` to completion (off the async runtime's threads).
pub async fn phala_node_command(args: Vec<String>) -> CommandOutput {
    tokio::task::spawn_blocking(move || {
        let output = Command::new(phala_node_binary())
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .expect("phala-node runs");
        CommandOutput {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .expect("the command thread")
}

/// The output proposals on `l1`'s L2OutputOracle: (index, L2 block, output root, L1 tx), in
/// L1 order.
pub async fn output_proposals(l1: &TestL1) -> Vec<(u64, u64, B256, B256)> {
    use alloy_sol_types::SolEvent;
    use phala_l1::bindings::IL2OutputOracle::OutputProposed;
    let filter = alloy_rpc_types_eth::Filter::new()
        .address(l1.files.deployment.addresses.l2_output_oracle_proxy)
        .event_signature(OutputProposed::SIGNATURE_HASH)
        .from_block(0u64);
    let logs = l1.client().logs(&filter).await.unwrap_or_default();
    logs.iter()
        .filter_map(|log| {
            let event = OutputProposed::decode_log(&log.inner).ok()?;
            Some((
                event.l2OutputIndex.to::<u64>(),
                event.l2BlockNumber.to::<u64>(),
                event.outputRoot,
                log.transaction_hash?,
            ))
        })
        .collect()
}

/// The version-0 output root of L2 block `number` as the test computes it from `client`'s block
/// header and `eth_getProof` of the message passer.
pub async fn recomputed_output_root(client: &L1Client, number: u64) -> B256 {
    let block: serde_json::Value = client
        .call("eth_getBlockByNumber", rpc_params![BlockNumberOrTag::Number(number), false])
        .await
        .expect("the L2 answers");
    let state_root: B256 = block["stateRoot"].as_str().expect("stateRoot").parse().expect("hex");
    let hash: B256 = block["hash"].as_str().expect("hash").parse().expect("hex");
    let proof: serde_json::Value = client
        .call(
            "eth_getProof",
            rpc_params![
                phala_protocol::withdrawal::L2_TO_L1_MESSAGE_PASSER_ADDRESS,
                Vec::<B256>::new(),
                BlockNumberOrTag::Number(number)
            ],
        )
        .await
        .expect("eth_getProof");
    let storage_hash: B256 =
        proof["storageHash"].as_str().expect("storageHash").parse().expect("hex");
    let mut preimage = [0u8; 128];
    preimage[32..64].copy_from_slice(state_root.as_slice());
    preimage[64..96].copy_from_slice(storage_hash.as_slice());
    preimage[96..].copy_from_slice(hash.as_slice());
    alloy_primitives::keccak256(preimage)
}

/// The L2 bridge contracts and an ERC-20's calls, and sending calls through a wallet.
pub mod bridge {
    use alloy_primitives::{Address, B256, U256, address};
    use alloy_sol_types::SolCall;
    use phala_l1::{L1Call, L1Client, L1Wallet};

    alloy_sol_types::sol! {
        #![sol(all_derives)]
        interface IL2StandardBridge {
            function withdraw(address _l2Token, uint256 _amount, uint32 _minGasLimit, bytes _extraData) external payable;
        }
        interface IL1StandardBridgeErc20 {
            function depositERC20(address _l1Token, address _l2Token, uint256 _amount, uint32 _minGasLimit, bytes _extraData) external;
        }
        interface IOptimismMintableERC20Factory {
            function createOptimismMintableERC20(address _remoteToken, string _name, string _symbol) external returns (address);
        }
        interface IToken {
            function approve(address spender, uint256 amount) external returns (bool);
            function balanceOf(address account) external view returns (uint256);
        }
    }

    /// The L2StandardBridge predeploy.
    pub const L2_STANDARD_BRIDGE: Address = address!("0x4200000000000000000000000000000000000010");
    /// The OptimismMintableERC20Factory predeploy.
    pub const MINTABLE_ERC20_FACTORY: Address =
        address!("0x4200000000000000000000000000000000000012");
    /// The L2 standard bridge's name for ETH.
    pub const LEGACY_ETH: Address = address!("0xDeadDeAddeAddEAddeadDEaDDEAdDeaDDeAD0000");
    /// 10^18 wei.
    pub const ETHER: u128 = 1_000_000_000_000_000_000;

    /// `token.balanceOf(holder)`.
    pub async fn token_balance(client: &L1Client, token: Address, holder: Address) -> U256 {
        let data = IToken::balanceOfCall { account: holder }.abi_encode();
        let out = client.call_contract(token, data.into()).await.expect("balanceOf");
        IToken::balanceOfCall::abi_decode_returns(&out).expect("a balance")
    }

    /// Sends a call of `data` with `value` to `to` from `wallet` and waits for its success;
    /// returns its hash.
    pub async fn call(
        wallet: &L1Wallet,
        to: Address,
        value: U256,
        data: Vec<u8>,
        what: &'static str,
    ) -> B256 {
        let call = L1Call { to: Some(to), value, data: data.into(), gas: None };
        wallet.transact(&call, what).await.expect(what).transaction_hash
    }
}
