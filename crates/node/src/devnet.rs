//! `phala-node devnet`: a full local OP Stack devnet in one command — anvil as L1 with the OP
//! Bedrock L1 contracts, this node as the L2 sequencer (deriving its safe head from L1) with the
//! batcher, and `devnet.json` describing it all.
//!
//! First start: anvil starts with an empty state, the deployer (anvil account 0) deploys the L1
//! contracts, and the L2 chain spec (the dev chain, its genesis at the L1 genesis block's time,
//! its bridges paired with the L1 proxies) and `rollup.json` are written. A restart on the same
//! datadir reloads anvil's dumped state and reuses the written files, so both chains continue.

use crate::{
    NodeError,
    dev::{DEFAULT_MNEMONIC, dev_base_genesis, dev_signers},
    node::{NodeArgs, start},
};
use alloy_primitives::Address;
use clap::Args;
use phala_genesis::{
    GenesisContractsConfig,
    migration::SAMPLE_SNAPSHOT_JSON,
    op::{DEV_L1_CHAIN_ID, OpPredeployConfig},
};
use phala_l1::{
    Anvil, AnvilConfig, L1Client, L1Wallet,
    deploy::{DeployConfig, L1Addresses, deploy_l1, rollup_config},
};
use phala_primitives::ChainSpec;
use phala_rollup::DataAvailability;
use serde::{Deserialize, Serialize};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};
use tracing::info;

/// Flags of `phala-node devnet`.
#[derive(Debug, Clone, Args)]
pub struct DevnetArgs {
    /// Data directory (default: `~/.local/share/phala-node/devnet`): anvil's state, the L2
    /// database, the chain spec, `rollup.json` and `devnet.json`.
    #[arg(long, value_name = "DIR")]
    pub datadir: Option<PathBuf>,
    /// The L1 (anvil) JSON-RPC port.
    #[arg(long = "l1.port", default_value_t = 8545)]
    pub l1_port: u16,
    /// The anvil binary (default: `anvil` on PATH, else the one `npm ci` in contracts/ installs).
    #[arg(long = "l1.anvil", value_name = "PATH")]
    pub l1_anvil: Option<PathBuf>,
    /// Seconds between L1 blocks.
    #[arg(long = "l1.block-time", default_value_t = 2)]
    pub l1_block_time: u64,
    /// anvil's hardfork (default: anvil's, which takes EIP-7594 blob sidecars).
    #[arg(long = "l1.hardfork", value_name = "NAME")]
    pub l1_hardfork: Option<String>,
    /// The L2 HTTP JSON-RPC port (WebSocket on the next port).
    #[arg(long = "http.port", default_value_t = 9545)]
    pub http_port: u16,
    /// The L2 Engine API port.
    #[arg(long = "authrpc.port", default_value_t = 9551)]
    pub authrpc_port: u16,
    /// Where the batcher posts: `calldata` or `blobs`.
    #[arg(long = "batcher.data-availability", default_value = "blobs")]
    pub batcher_data_availability: DataAvailability,
    /// Seconds an output root must age on L1 before withdrawals proven against it finalize
    /// (the L2OutputOracle's; set when the devnet is first deployed).
    #[arg(long = "finalization-period", value_name = "SECONDS", default_value_t = 12)]
    pub finalization_period: u64,
    /// L2 blocks between output proposals (the L2OutputOracle's; set when the devnet is first
    /// deployed).
    #[arg(long = "submission-interval", value_name = "BLOCKS", default_value_t = 10)]
    pub submission_interval: u64,
    /// Serve the L2 node's Prometheus metrics on this address (e.g. 127.0.0.1:9001).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
}

/// The L2 chain id of the devnet (the `--dev` chain's).
pub const DEVNET_CHAIN_ID: u64 = crate::dev::DEV_CHAIN_ID;

/// anvil accounts of the devnet's roles (anvil funds accounts 0–9 of the mnemonic).
const ADMIN_INDEX: usize = 0;
const BATCHER_INDEX: usize = 7;
const PROPOSER_INDEX: usize = 8;
const SEQUENCER_INDEX: usize = 9;

/// `devnet.json`: everything a tool needs to use the devnet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevnetInfo {
    /// The L1.
    pub l1: L1Endpoint,
    /// The L2.
    pub l2: L2Endpoint,
    /// The L1 contracts.
    pub addresses: L1Addresses,
    /// The operators' addresses.
    pub roles: Roles,
    /// The rollup config file.
    pub rollup_config: PathBuf,
    /// The L2 chain spec a verifier starts with.
    pub chain_spec: PathBuf,
    /// The L2OutputOracle's finalization period and submission interval.
    #[serde(default)]
    pub oracle: OracleParams,
}

/// The L1 endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1Endpoint {
    /// JSON-RPC (and beacon API) URL.
    pub rpc: String,
    /// Chain id.
    pub chain_id: u64,
}

/// The L2 endpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2Endpoint {
    /// HTTP JSON-RPC URL.
    pub rpc: String,
    /// WebSocket URL.
    pub ws: String,
    /// Chain id.
    pub chain_id: u64,
}

/// The devnet's operators.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Roles {
    /// Posts batches.
    pub batcher: Address,
    /// Proposes output roots.
    pub proposer: Address,
    /// Signs unsafe blocks.
    pub sequencer: Address,
}

/// What the first start recorded, for restarts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// The L1 contracts.
    pub addresses: L1Addresses,
    /// The L1 chain id.
    pub l1_chain_id: u64,
    /// The L2OutputOracle's parameters (absent in a devnet made before they were recorded: the
    /// defaults).
    #[serde(default)]
    pub oracle: OracleParams,
}

/// The L2OutputOracle's parameters a devnet is deployed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OracleParams {
    /// Seconds before an output's withdrawals can finalize.
    pub finalization_period_seconds: u64,
    /// L2 blocks between outputs.
    pub submission_interval: u64,
}

impl Default for OracleParams {
    fn default() -> Self {
        Self { finalization_period_seconds: 12, submission_interval: 10 }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> NodeError + '_ {
    move |source| NodeError::Read { path: path.to_path_buf(), source }
}

/// Runs the devnet until Ctrl-C or SIGTERM.
pub fn run(args: DevnetArgs) -> Result<(), NodeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: DevnetArgs) -> Result<(), NodeError> {
    let datadir = args.datadir.clone().unwrap_or_else(|| crate::dirs::default_datadir("devnet"));
    std::fs::create_dir_all(&datadir).map_err(io_error(&datadir))?;
    let roles = Roles {
        batcher: role_key(Role::Batcher).address(),
        proposer: role_key(Role::Proposer).address(),
        sequencer: role_key(Role::Sequencer).address(),
    };
    let anvil = Anvil::spawn(&AnvilConfig {
        binary: args.l1_anvil.clone(),
        port: args.l1_port,
        block_time: Some(args.l1_block_time),
        hardfork: args.l1_hardfork.clone(),
        state: Some(datadir.join("anvil-state.json")),
        chain_id: None,
    })
    .await
    .map_err(|err| NodeError::Flag { flag: "--l1.anvil", message: err.to_string() })?;
    let l1_url = anvil.url();
    info!(target: "devnet", url = %l1_url, "L1 (anvil) running");

    let l1_client = anvil.client().map_err(l1_flag)?;
    let oracle = OracleParams {
        finalization_period_seconds: args.finalization_period,
        submission_interval: args.submission_interval,
    };
    if oracle.submission_interval == 0 {
        return Err(NodeError::Flag {
            flag: "--submission-interval",
            message: "must be at least 1 L2 block".into(),
        });
    }
    let files = prepare_with(&datadir, &l1_client, oracle).await?;
    if files.deployment.oracle != oracle {
        let recorded = files.deployment.oracle;
        let flag = if recorded.finalization_period_seconds != oracle.finalization_period_seconds {
            "--finalization-period"
        } else {
            "--submission-interval"
        };
        return Err(NodeError::Flag {
            flag,
            message: format!(
                "the devnet in {} was deployed with a {} s finalization period and an output every                  {} blocks; they cannot change (use a new --datadir)",
                datadir.display(),
                recorded.finalization_period_seconds,
                recorded.submission_interval
            ),
        });
    }
    let deployment = files.deployment;
    let (chain_spec, rollup_path) = (files.chain_spec, files.rollup_config);

    let node_args = NodeArgs {
        chain: chain_spec.display().to_string(),
        datadir: Some(datadir.join("l2")),
        http: true,
        http_port: args.http_port,
        ws: true,
        ws_port: args.http_port.saturating_add(1),
        authrpc_port: args.authrpc_port,
        rollup_config: Some(rollup_path.clone()),
        l1_rpc: Some(l1_url.clone()),
        sequencer_enabled: true,
        // anvil re-organises only when told to; a devnet sequencer follows L1 closely.
        sequencer_l1_confs: 0,
        batcher_private_key: Some(hex_key(&role_key(Role::Batcher))),
        batcher_data_availability: args.batcher_data_availability,
        proposer_private_key: Some(hex_key(&role_key(Role::Proposer))),
        proposer_l2oo_address: Some(deployment.addresses.l2_output_oracle_proxy),
        metrics: args.metrics,
        ..NodeArgs::defaults()
    };
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let handles = start(node_args, shutdown_rx).await?;
    let http = handles.running.http.unwrap_or(SocketAddr::from(([127, 0, 0, 1], args.http_port)));
    let ws = handles.running.ws.unwrap_or(SocketAddr::from(([127, 0, 0, 1], args.http_port + 1)));
    let info = DevnetInfo {
        l1: L1Endpoint { rpc: l1_url.clone(), chain_id: deployment.l1_chain_id },
        l2: L2Endpoint {
            rpc: format!("http://{http}"),
            ws: format!("ws://{ws}"),
            chain_id: DEVNET_CHAIN_ID,
        },
        addresses: deployment.addresses,
        roles,
        rollup_config: absolute(&rollup_path),
        chain_spec: absolute(&chain_spec),
        oracle: deployment.oracle,
    };
    let info_path = datadir.join("devnet.json");
    // Written last and atomically (rename): its appearance means the devnet is ready.
    let partial = datadir.join("devnet.json.partial");
    std::fs::write(&partial, serde_json::to_string_pretty(&info).expect("JSON"))
        .map_err(io_error(&partial))?;
    std::fs::rename(&partial, &info_path).map_err(io_error(&info_path))?;
    println!("devnet ready ({}):", info_path.display());
    println!("  L1 (anvil, chain {}): {}", deployment.l1_chain_id, l1_url);
    println!("  L2 (chain {DEVNET_CHAIN_ID}): {} and {}", info.l2.rpc, info.l2.ws);
    println!("  OptimismPortalProxy: {}", deployment.addresses.optimism_portal_proxy);
    println!("  L1StandardBridgeProxy: {}", deployment.addresses.l1_standard_bridge_proxy);

    wait_for_stop_signal().await?;
    info!(target: "devnet", "stopping");
    let _ = std::fs::remove_file(&info_path);
    let _ = shutdown_tx.send(true);
    handles.stop().await;
    anvil.stop().await;
    Ok(())
}

/// The files of a devnet in its datadir.
#[derive(Debug, Clone)]
pub struct DevnetFiles {
    /// The L2 chain spec.
    pub chain_spec: PathBuf,
    /// `rollup.json`.
    pub rollup_config: PathBuf,
    /// Where the L1 contracts are.
    pub deployment: Deployment,
}

/// [`prepare_with`] the default oracle parameters.
pub async fn prepare(datadir: &Path, l1_client: &L1Client) -> Result<DevnetFiles, NodeError> {
    prepare_with(datadir, l1_client, OracleParams::default()).await
}

/// Deploys the L1 contracts on the L1 of `l1_client` (a fresh anvil: the deployer is its
/// account 0) with the oracle parameters `oracle`, and writes the chain spec and `rollup.json`
/// into `datadir` — or, when `datadir` already has them, reads them back.
pub async fn prepare_with(
    datadir: &Path,
    l1_client: &L1Client,
    oracle: OracleParams,
) -> Result<DevnetFiles, NodeError> {
    let signers = dev_signers(DEFAULT_MNEMONIC)
        .map_err(|message| NodeError::Flag { flag: "--dev.mnemonic", message })?;
    let chain_spec = datadir.join("chainspec.json");
    let rollup_path = datadir.join("rollup.json");
    let deployment_path = datadir.join("deployment.json");
    if deployment_path.is_file() {
        let text = std::fs::read_to_string(&deployment_path).map_err(io_error(&deployment_path))?;
        let deployment = serde_json::from_str(&text).map_err(|err| NodeError::Flag {
            flag: "--datadir",
            message: format!("{} is corrupt: {err}", deployment_path.display()),
        })?;
        return Ok(DevnetFiles { chain_spec, rollup_config: rollup_path, deployment });
    }
    let l1_chain_id = l1_client.chain_id().await.map_err(l1_flag)?;
    let admin =
        L1Wallet::new(l1_client.clone(), signers[ADMIN_INDEX].clone()).await.map_err(l1_flag)?;
    let config = DeployConfig {
        submission_interval: oracle.submission_interval,
        finalization_period_seconds: oracle.finalization_period_seconds,
        ..DeployConfig::dev(
            DEVNET_CHAIN_ID,
            admin.address(),
            signers[BATCHER_INDEX].address(),
            signers[PROPOSER_INDEX].address(),
            signers[SEQUENCER_INDEX].address(),
        )
    };
    info!(target: "devnet", "deploying the OP Bedrock L1 contracts");
    let deployed = deploy_l1(&admin, &config).await.map_err(l1_flag)?;
    let accounts: Vec<Address> = signers.iter().map(|signer| signer.address()).collect();
    let spec_json =
        devnet_chain_spec(&accounts, deployed.genesis_time, &deployed.addresses, l1_chain_id);
    std::fs::write(datadir.join("sample-snapshot.json"), SAMPLE_SNAPSHOT_JSON)
        .map_err(io_error(datadir))?;
    std::fs::write(&chain_spec, serde_json::to_string_pretty(&spec_json).expect("JSON"))
        .map_err(io_error(&chain_spec))?;
    let spec = ChainSpec::from_genesis(phala_genesis::load_chain_spec_file(&chain_spec)?)?;
    deployed.start_output_oracle(&admin).await.map_err(l1_flag)?;
    install_multicall3(l1_client).await?;
    let rollup = rollup_config(&deployed, l1_chain_id, spec.genesis_hash());
    std::fs::write(&rollup_path, serde_json::to_string_pretty(&rollup).expect("JSON"))
        .map_err(io_error(&rollup_path))?;
    let deployment = Deployment { addresses: deployed.addresses, l1_chain_id, oracle };
    // Written last: its presence means the rest is complete.
    std::fs::write(&deployment_path, serde_json::to_string_pretty(&deployment).expect("JSON"))
        .map_err(io_error(&deployment_path))?;
    Ok(DevnetFiles { chain_spec, rollup_config: rollup_path, deployment })
}

/// Puts Multicall3 at its canonical address on the L1, where every public chain has it and
/// tools (viem's multicall, the OP Stack actions) look for it; anvil starts without it.
async fn install_multicall3(l1_client: &L1Client) -> Result<(), NodeError> {
    use phala_genesis::op::{MULTICALL3, artifacts::preinstalls};
    let code = preinstalls(DEVNET_CHAIN_ID)
        .into_iter()
        .find(|preinstall| preinstall.address == MULTICALL3)
        .map(|preinstall| preinstall.code)
        .unwrap_or_default();
    l1_client.anvil_set_code(MULTICALL3, &code).await.map_err(l1_flag)
}

/// The anvil key of a devnet role.
pub fn role_key(role: Role) -> alloy_signer_local::PrivateKeySigner {
    let index = match role {
        Role::Admin => ADMIN_INDEX,
        Role::Batcher => BATCHER_INDEX,
        Role::Proposer => PROPOSER_INDEX,
        Role::Sequencer => SEQUENCER_INDEX,
    };
    dev_signers(DEFAULT_MNEMONIC).expect("the default mnemonic is valid").swap_remove(index)
}

/// The devnet's operator roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Deploys and owns the L1 contracts.
    Admin,
    /// Posts batches.
    Batcher,
    /// Proposes output roots.
    Proposer,
    /// Signs unsafe blocks.
    Sequencer,
}

/// Waits for Ctrl-C or SIGTERM.
async fn wait_for_stop_signal() -> Result<(), NodeError> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = term.recv() => {}
    }
    Ok(())
}

fn l1_flag(err: phala_l1::L1Error) -> NodeError {
    NodeError::Flag { flag: "--l1.port", message: err.to_string() }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn hex_key(signer: &alloy_signer_local::PrivateKeySigner) -> String {
    alloy_primitives::hex::encode_prefixed(signer.to_bytes())
}

/// The devnet's L2 chain spec: the dev genesis at `genesis_time`, the genesis contracts of the
/// dev chain (the sample migration snapshot beside it), and the OP predeploys paired with the
/// L1 bridge proxies.
pub fn devnet_chain_spec(
    accounts: &[Address],
    genesis_time: u64,
    addresses: &L1Addresses,
    l1_chain_id: u64,
) -> serde_json::Value {
    let mut genesis = dev_base_genesis(accounts);
    genesis.timestamp = genesis_time;
    let mut contracts = GenesisContractsConfig::dev(accounts);
    contracts.migration_snapshot = Some(PathBuf::from("sample-snapshot.json"));
    contracts.op_predeploys = Some(OpPredeployConfig {
        l1_cross_domain_messenger: addresses.l1_cross_domain_messenger_proxy,
        l1_standard_bridge: addresses.l1_standard_bridge_proxy,
        l1_chain_id: if l1_chain_id == 0 { DEV_L1_CHAIN_ID } else { l1_chain_id },
        ..OpPredeployConfig::default()
    });
    let mut json = serde_json::to_value(&genesis).expect("a genesis serialises");
    json[phala_genesis::GENESIS_CONTRACTS_KEY] =
        serde_json::to_value(&contracts).expect("the contracts config serialises");
    json
}
