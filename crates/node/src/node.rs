//! `phala-node node`: opens (or initialises) the chain, starts the JSON-RPC servers, the Engine
//! API and the sequencer, and runs until Ctrl-C.

use crate::{
    NodeError,
    dev::{DEFAULT_MNEMONIC, dev_chain, dev_chain_with_alloc, read_state_file},
    dirs::default_datadir,
    metrics,
    sequencer::Sequencer,
};
use alloy_signer_local::PrivateKeySigner;
use clap::Args;
use phala_chain::{init_genesis, open_chain};
use phala_engine::{Engine, ForkchoiceState, MiningMode};
use phala_pool::{PoolConfig, TxPool};
use phala_primitives::ChainSpec;
use phala_primitives::predeploys::SEQUENCER_FEE_VAULT;
use phala_protocol::rollup::RollupConfig;
use phala_rpc::{
    NodeContext, RpcLimits,
    auth::JwtSecret,
    server::{
        ALL_NAMESPACES, Methods, ROLLUP_NAMESPACES, RpcServerConfig, start_auth, start_public_with,
    },
};
use phala_storage::{Database, KeyValueRead};
use std::{
    collections::BTreeSet,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};
use tokio::sync::watch;
use tracing::info;

/// Flags of `phala-node node` (reth's names).
#[derive(Debug, Clone, Args)]
pub struct NodeArgs {
    /// Chain: `dev` or a path to a geth-style genesis.json.
    #[arg(long, value_name = "CHAIN_OR_PATH", default_value = "dev")]
    pub chain: String,
    /// Data directory (default: `~/.local/share/phala-node/<chain>`).
    #[arg(long, value_name = "DIR")]
    pub datadir: Option<PathBuf>,
    /// Development mode: the dev chain, dev signers, HTTP and WS on, a block every 2 s.
    #[arg(long)]
    pub dev: bool,
    /// Seconds between dev blocks; 0 seals a block per transaction.
    #[arg(long = "dev.block-time", value_name = "SECONDS", default_value_t = 2)]
    pub dev_block_time: u64,
    /// Mnemonic of the dev accounts.
    #[arg(long = "dev.mnemonic", value_name = "PHRASE", default_value = DEFAULT_MNEMONIC)]
    pub dev_mnemonic: String,
    /// Start the dev chain from a state dump (`phala-node dump-state`): its accounts replace
    /// the dev genesis allocation, so the genesis state root is the dumped block's. Needs a
    /// fresh `--datadir` (or the one this file initialised before).
    #[arg(long = "dev.load-state", value_name = "FILE", requires = "dev")]
    pub dev_load_state: Option<PathBuf>,
    /// Enable the HTTP JSON-RPC server.
    #[arg(long)]
    pub http: bool,
    /// HTTP listen address.
    #[arg(long = "http.addr", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub http_addr: IpAddr,
    /// HTTP listen port.
    #[arg(long = "http.port", default_value_t = 8545)]
    pub http_port: u16,
    /// Namespaces served over HTTP and WS (comma-separated: eth,net,web3,txpool,debug,testing;
    /// a rollup node also optimism, served by default, and admin with `--rpc.enable-admin`).
    #[arg(long = "http.api", value_name = "LIST", value_delimiter = ',')]
    pub http_api: Option<Vec<String>>,
    /// Enable the WebSocket server.
    #[arg(long)]
    pub ws: bool,
    /// WebSocket listen address.
    #[arg(long = "ws.addr", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub ws_addr: IpAddr,
    /// WebSocket listen port.
    #[arg(long = "ws.port", default_value_t = 8546)]
    pub ws_port: u16,
    /// Engine API listen address.
    #[arg(long = "authrpc.addr", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub authrpc_addr: IpAddr,
    /// Engine API listen port.
    #[arg(long = "authrpc.port", default_value_t = 8551)]
    pub authrpc_port: u16,
    /// File with the Engine API's hex JWT secret (created if missing; default `<datadir>/jwt.hex`).
    #[arg(long = "authrpc.jwtsecret", value_name = "FILE")]
    pub authrpc_jwtsecret: Option<PathBuf>,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9001).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// Gas cap of eth_call and eth_estimateGas.
    #[arg(long = "rpc.gascap", default_value_t = 50_000_000)]
    pub rpc_gascap: u64,
    /// Largest request body, in megabytes.
    #[arg(long = "rpc.max-request-size", value_name = "MB", default_value_t = 15)]
    pub rpc_max_request_size: u32,
    /// Largest response body, in megabytes.
    #[arg(long = "rpc.max-response-size", value_name = "MB", default_value_t = 160)]
    pub rpc_max_response_size: u32,
    /// Most calls in one batch request.
    #[arg(long = "rpc.max-batch-size", default_value_t = 1_000)]
    pub rpc_max_batch_size: u32,
    /// Most concurrent RPC connections.
    #[arg(long = "rpc.max-connections", default_value_t = 500)]
    pub rpc_max_connections: u32,
    /// Serve op-node's admin API (`admin_startSequencer`, `admin_stopSequencer`,
    /// `admin_sequencerActive`) on the HTTP/WS server of a rollup node.
    #[arg(long = "rpc.enable-admin")]
    pub rpc_enable_admin: bool,
    /// Largest block range of one eth_getLogs.
    #[arg(long = "rpc.max-blocks-per-filter", default_value_t = 100_000)]
    pub rpc_max_blocks_per_filter: u64,
    /// Most logs one eth_getLogs returns.
    #[arg(long = "rpc.max-logs-per-response", default_value_t = 20_000)]
    pub rpc_max_logs_per_response: usize,
    /// Most pending transactions in the pool (default 5,120; 100,000 with `--dev`).
    #[arg(long = "txpool.pending-max-count", value_name = "N")]
    pub txpool_pending_max_count: Option<usize>,
    /// Most queued transactions in the pool (default 1,024; 20,000 with `--dev`).
    #[arg(long = "txpool.queued-max-count", value_name = "N")]
    pub txpool_queued_max_count: Option<usize>,
    /// Most transactions one sender may have in the pool (default 64; 20,000 with `--dev`).
    #[arg(long = "txpool.max-account-slots", value_name = "N")]
    pub txpool_max_account_slots: Option<usize>,
    /// Fee bump (percent) a replacement transaction needs.
    #[arg(long = "txpool.pricebump", default_value_t = 10)]
    pub txpool_pricebump: u64,
    /// Gas limit of the blocks this node sequences (reth's flag; the dev chain's blocks take it
    /// from the next block on, as OP rules let the limit jump; on an Ethereum-rules chain the
    /// builder moves towards it by parent/1024 per block). Default: the parent's limit, or for
    /// Engine API payloads geth's 60,000,000 target.
    #[arg(long = "builder.gaslimit", value_name = "GAS")]
    pub builder_gaslimit: Option<u64>,
    /// op-node's rollup config (`rollup.json`): run as an OP Stack rollup node that derives the
    /// chain from L1 (needs `--l1.rpc`).
    #[arg(long = "rollup.config", value_name = "FILE")]
    pub rollup_config: Option<PathBuf>,
    /// The L1 execution node's JSON-RPC URL.
    #[arg(long = "l1.rpc", value_name = "URL")]
    pub l1_rpc: Option<String>,
    /// The L1 beacon API URL, where batches posted as blobs are read (default: `--l1.rpc`, as
    /// anvil serves both).
    #[arg(long = "l1.beacon", value_name = "URL")]
    pub l1_beacon: Option<String>,
    /// Sequence blocks on L1 origins (the rollup's sequencer); without it the node is a
    /// verifier that derives every block from L1.
    #[arg(long = "sequencer.enabled")]
    pub sequencer_enabled: bool,
    /// L1 blocks an origin must be behind the L1 head before the sequencer adopts it.
    #[arg(long = "sequencer.l1-confs", default_value_t = 4)]
    pub sequencer_l1_confs: u64,
    /// Start the sequencer stopped; `admin_startSequencer` starts it.
    #[arg(long = "sequencer.stopped")]
    pub sequencer_stopped: bool,
    /// L1 blocks a block must be behind the L1 head before derivation reads it.
    #[arg(long = "verifier.l1-confs", default_value_t = 0)]
    pub verifier_l1_confs: u64,
    /// Run the batcher with this L1 key (hex): it posts the unsafe chain to the batch inbox.
    #[arg(long = "batcher.private-key", value_name = "HEX")]
    pub batcher_private_key: Option<String>,
    /// Where the batcher posts: `calldata` or `blobs`.
    #[arg(long = "batcher.data-availability", default_value = "calldata")]
    pub batcher_data_availability: phala_rollup::DataAvailability,
    /// Most L2 blocks in one batcher channel.
    #[arg(long = "batcher.max-blocks-per-channel", default_value_t = 1_000)]
    pub batcher_max_blocks_per_channel: u64,
    /// L1 blocks the batcher gathers L2 blocks for before posting (0: post every block at once;
    /// more fills blobs better). Must stay well under the sequencing window.
    #[arg(long = "batcher.max-channel-duration", default_value_t = 0)]
    pub batcher_max_channel_duration: u64,
    /// Run the proposer with this L1 key (hex): it posts the output roots of safe blocks to the
    /// L2OutputOracle (`--proposer.l2oo-address`).
    #[arg(long = "proposer.private-key", value_name = "HEX", requires = "proposer_l2oo_address")]
    pub proposer_private_key: Option<String>,
    /// The L2OutputOracle (proxy) the proposer posts to.
    #[arg(long = "proposer.l2oo-address", value_name = "ADDRESS")]
    pub proposer_l2oo_address: Option<alloy_primitives::Address>,
    /// Milliseconds between the proposer's looks at the oracle and the safe head.
    #[arg(long = "proposer.poll-interval", value_name = "MS", default_value_t = 1_000)]
    pub proposer_poll_interval: u64,
}

impl NodeArgs {
    /// The flags' defaults (as `phala-node node` with no flags).
    pub fn defaults() -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            args: NodeArgs,
        }
        <Defaults as clap::Parser>::parse_from(["phala-node"]).args
    }
}

/// Pool limits of a dev node: bursts of pre-signed transactions from a few accounts (a test
/// suite, a benchmark) are taken, as anvil takes them, instead of refused at 64 per sender.
const DEV_POOL: PoolConfig = PoolConfig {
    max_account_slots: 20_000,
    global_slots: 100_000,
    global_queue: 20_000,
    ..PoolConfig::DEFAULT
};

impl NodeArgs {
    /// The pool's limits: the flags, else the dev or the default limits.
    fn pool_config(&self) -> PoolConfig {
        let defaults = if self.dev { DEV_POOL } else { PoolConfig::DEFAULT };
        PoolConfig {
            max_account_slots: self.txpool_max_account_slots.unwrap_or(defaults.max_account_slots),
            global_slots: self.txpool_pending_max_count.unwrap_or(defaults.global_slots),
            global_queue: self.txpool_queued_max_count.unwrap_or(defaults.global_queue),
            price_bump_percent: self.txpool_pricebump,
            ..defaults
        }
    }

    /// `--builder.gaslimit`, checked against the limits every block's header must meet.
    fn gas_limit_target(&self) -> Result<Option<u64>, NodeError> {
        use phala_chain::validation::{MAXIMUM_GAS_LIMIT, MINIMUM_GAS_LIMIT};
        match self.builder_gaslimit {
            Some(gas) if !(MINIMUM_GAS_LIMIT..=MAXIMUM_GAS_LIMIT).contains(&gas) => {
                Err(NodeError::Flag {
                    flag: "--builder.gaslimit",
                    message: format!(
                        "{gas} is outside {MINIMUM_GAS_LIMIT}..={MAXIMUM_GAS_LIMIT}, the gas limits a header may carry"
                    ),
                })
            }
            target => Ok(target),
        }
    }

    fn datadir(&self) -> PathBuf {
        let chain = if self.dev { "dev" } else { self.chain.as_str() };
        self.datadir.clone().unwrap_or_else(|| default_datadir(chain))
    }

    fn namespaces(&self) -> Result<BTreeSet<String>, NodeError> {
        let mut namespaces = self.listed_namespaces()?;
        rollup_namespaces(
            &mut namespaces,
            self.http_api.is_none(),
            self.rollup_config.is_some(),
            self.rpc_enable_admin,
        )?;
        Ok(namespaces)
    }

    fn listed_namespaces(&self) -> Result<BTreeSet<String>, NodeError> {
        let Some(list) = &self.http_api else {
            return Ok(ALL_NAMESPACES.iter().map(|ns| ns.to_string()).collect());
        };
        list.iter()
            .map(|ns| ns.trim().to_ascii_lowercase())
            .filter(|ns| !ns.is_empty())
            .map(|ns| {
                if ALL_NAMESPACES.contains(&ns.as_str()) || ROLLUP_NAMESPACES.contains(&ns.as_str())
                {
                    Ok(ns)
                } else {
                    Err(NodeError::Flag {
                        flag: "--http.api",
                        message: format!(
                            "unknown namespace {ns:?} (known: {}, {})",
                            ALL_NAMESPACES.join(", "),
                            ROLLUP_NAMESPACES.join(", ")
                        ),
                    })
                }
            })
            .collect()
    }
}

/// The rollup namespaces in `namespaces`: `optimism` on a rollup node unless `--http.api` leaves
/// it out (`defaults`: no list given), `admin` exactly with `--rpc.enable-admin`.
fn rollup_namespaces(
    namespaces: &mut BTreeSet<String>,
    defaults: bool,
    rollup: bool,
    enable_admin: bool,
) -> Result<(), NodeError> {
    if defaults && rollup {
        namespaces.insert("optimism".to_string());
    }
    if namespaces.contains("admin") && !enable_admin {
        return Err(NodeError::Flag {
            flag: "--http.api",
            message: "the admin namespace needs --rpc.enable-admin".into(),
        });
    }
    if enable_admin {
        namespaces.insert("admin".to_string());
    }
    if !rollup && let Some(ns) = ROLLUP_NAMESPACES.iter().find(|ns| namespaces.contains(**ns)) {
        let flag = if *ns == "admin" { "--rpc.enable-admin" } else { "--http.api" };
        return Err(NodeError::Flag {
            flag,
            message: format!("the {ns} namespace needs --rollup.config"),
        });
    }
    Ok(())
}

/// The chain spec named by `--chain` (and the dev signers for `dev`).
pub fn resolve_chain(
    chain: &str,
    mnemonic: &str,
) -> Result<(Arc<ChainSpec>, Vec<PrivateKeySigner>), NodeError> {
    if chain == "dev" {
        let (spec, signers) = dev_chain(mnemonic)?;
        return Ok((Arc::new(spec), signers));
    }
    Ok((Arc::new(load_chain_spec(chain)?), Vec::new()))
}

/// A chain spec file: a geth-style genesis, with the genesis contracts built when it has a
/// `genesisContracts` key.
pub fn load_chain_spec(chain: &str) -> Result<ChainSpec, NodeError> {
    let path = std::path::Path::new(chain);
    if !path.is_file() {
        return Err(phala_primitives::ChainSpecError::UnknownChain(chain.to_string()).into());
    }
    Ok(ChainSpec::from_genesis(phala_genesis::load_chain_spec_file(path)?)?)
}

/// Opens the chain in `datadir`, initialising it with `spec` if the directory is new. A datadir
/// holding another chain is an error.
pub fn open_or_init(
    datadir: &std::path::Path,
    spec: &Arc<ChainSpec>,
) -> Result<(Database, Arc<ChainSpec>), NodeError> {
    {
        let db = Database::open(datadir)?;
        if db.genesis_hash()?.is_none() {
            init_genesis(&db, spec)?;
        }
    }
    let (db, stored) = open_chain(datadir)?;
    if stored.genesis_hash() != spec.genesis_hash() {
        return Err(NodeError::Flag {
            flag: "--datadir",
            message: format!(
                "{} holds a chain with genesis {}, not {} (use another --datadir)",
                datadir.display(),
                stored.genesis_hash(),
                spec.genesis_hash()
            ),
        });
    }
    Ok((db, stored))
}

/// Refuses `--dev.load-state` on a datadir that already holds another chain (a restart on the
/// datadir the same file initialised is fine).
fn check_fresh_for_state(
    datadir: &std::path::Path,
    state_file: &std::path::Path,
    spec: &ChainSpec,
) -> Result<(), NodeError> {
    if !Database::exists_at(datadir) {
        return Ok(());
    }
    let stored = Database::open_existing(datadir)?.genesis_hash()?;
    match stored {
        Some(stored) if stored != spec.genesis_hash() => Err(NodeError::Flag {
            flag: "--dev.load-state",
            message: format!(
                "{} already holds a chain with genesis {stored}; the state in {} gives genesis {}: load it into a fresh --datadir",
                datadir.display(),
                state_file.display(),
                spec.genesis_hash()
            ),
        }),
        _ => Ok(()),
    }
}

/// A running node's addresses, for tests and the start-up log.
#[derive(Debug, Clone)]
pub struct RunningNode {
    /// HTTP (and WS) JSON-RPC address, if enabled.
    pub http: Option<SocketAddr>,
    /// WebSocket address, if enabled.
    pub ws: Option<SocketAddr>,
    /// Engine API address.
    pub authrpc: SocketAddr,
    /// Metrics address, if enabled.
    pub metrics: Option<SocketAddr>,
}

/// Runs the node until Ctrl-C.
pub fn run(args: NodeArgs) -> Result<(), NodeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let handles = start(args, shutdown_rx).await?;
        tokio::signal::ctrl_c().await?;
        info!(target: "node", "shutting down");
        let _ = shutdown_tx.send(true);
        handles.stop().await;
        Ok(())
    })
}

/// What [`start`] leaves running.
#[derive(Debug)]
pub struct NodeHandles {
    /// Addresses.
    pub running: RunningNode,
    /// The shared context.
    pub ctx: Arc<NodeContext>,
    servers: Vec<phala_rpc::server::ServerHandle>,
    sequencer: Option<tokio::task::JoinHandle<()>>,
    rollup: Vec<tokio::task::JoinHandle<()>>,
}

impl NodeHandles {
    /// Stops the servers and waits for the sequencer to finish its block.
    pub async fn stop(self) {
        if let Some(sequencer) = self.sequencer {
            let _ = sequencer.await;
        }
        for task in self.rollup {
            let _ = task.await;
        }
        for server in self.servers {
            let _ = server.stop();
            server.stopped().await;
        }
    }
}

/// Opens the chain and starts every service; they stop when `shutdown` turns true (the sequencer)
/// or with [`NodeHandles::stop`].
pub async fn start(
    args: NodeArgs,
    shutdown: watch::Receiver<bool>,
) -> Result<NodeHandles, NodeError> {
    let chain = if args.dev { "dev" } else { args.chain.as_str() };
    let (spec, signers) = match &args.dev_load_state {
        Some(path) => {
            let (spec, signers) = dev_chain_with_alloc(&args.dev_mnemonic, read_state_file(path)?)?;
            (Arc::new(spec), signers)
        }
        None => resolve_chain(chain, &args.dev_mnemonic)?,
    };
    let datadir = args.datadir();
    let namespaces = args.namespaces()?;
    let gas_limit_target = args.gas_limit_target()?;
    if let Some(path) = &args.dev_load_state {
        check_fresh_for_state(&datadir, path, &spec)?;
    }
    let (db, spec) = open_or_init(&datadir, &spec)?;
    let head = db.head_header()?;
    info!(target: "node", chain_id = spec.chain_id, head = head.number, datadir = %datadir.display(), "opened chain");

    let pool = TxPool::new(args.pool_config());
    let limits = RpcLimits {
        gas_cap: args.rpc_gascap,
        max_logs_block_range: args.rpc_max_blocks_per_filter,
        max_logs: args.rpc_max_logs_per_response,
        ..RpcLimits::default()
    };
    // An OP sequencer's priority fees go to the SequencerFeeVault, as op-node's attributes
    // name it; an Ethereum dev chain pays the first dev account.
    let fee_recipient = if spec.is_optimism() {
        SEQUENCER_FEE_VAULT
    } else {
        signers.first().map(|s| s.address()).unwrap_or_default()
    };
    let rollup_config = match &args.rollup_config {
        Some(path) => Some(Arc::new(read_rollup_config(path, &spec)?)),
        None => None,
    };
    if rollup_config.is_some() && args.l1_rpc.is_none() {
        return Err(NodeError::Flag {
            flag: "--l1.rpc",
            message: "required with --rollup.config (the L1 to derive from)".into(),
        });
    }
    if args.sequencer_stopped && !args.sequencer_enabled {
        return Err(NodeError::Flag {
            flag: "--sequencer.stopped",
            message: "needs --sequencer.enabled".into(),
        });
    }
    for (set, flag) in [
        (args.sequencer_enabled, "--sequencer.enabled"),
        (args.batcher_private_key.is_some(), "--batcher.private-key"),
        (args.proposer_private_key.is_some(), "--proposer.private-key"),
        (args.l1_rpc.is_some(), "--l1.rpc"),
    ] {
        if set && rollup_config.is_none() {
            return Err(NodeError::Flag { flag, message: "needs --rollup.config".into() });
        }
    }
    let mut engine = Engine::new(Arc::new(db), spec, pool);
    // A dev chain without an L1 has its own sequencer, and the cheat RPCs drive it.
    let dev_sequencer = args.dev && rollup_config.is_none();
    if dev_sequencer {
        let mining = if args.dev_block_time == 0 {
            MiningMode::Auto
        } else {
            MiningMode::Interval(Duration::from_secs(args.dev_block_time))
        };
        engine = engine.with_dev(fee_recipient, mining)?;
    }
    let engine = Arc::new(engine);
    engine.set_gas_limit_target(gas_limit_target);
    if rollup_config.is_none() {
        // A node without an L1 is its own authority: every block is final once sealed.
        if let Ok((hash, _)) = engine.canonical_head() {
            engine.set_forkchoice(ForkchoiceState { safe: Some(hash), finalized: Some(hash) });
        }
    }
    let ctx = Arc::new(NodeContext::new(engine.clone(), signers, limits));
    // The rollup services start first: their RPC methods go on the public servers.
    let (rollup, rollup_methods) = match &rollup_config {
        Some(rollup) => {
            let (tasks, handle) =
                start_rollup(&args, rollup.clone(), engine.clone(), shutdown.clone()).await?;
            let module = phala_rpc::rollup::module(engine.clone(), handle, args.rpc_enable_admin);
            (tasks, Methods::from(module))
        }
        None => (Vec::new(), Methods::new()),
    };

    let server_config = |addr: SocketAddr| RpcServerConfig {
        namespaces: namespaces.clone(),
        max_request_size: args.rpc_max_request_size.saturating_mul(1024 * 1024),
        max_response_size: args.rpc_max_response_size.saturating_mul(1024 * 1024),
        max_batch_size: args.rpc_max_batch_size,
        max_connections: args.rpc_max_connections,
        ..RpcServerConfig::new(addr)
    };
    let mut servers = Vec::new();
    let mut running = RunningNode {
        http: None,
        ws: None,
        authrpc: SocketAddr::from(([0, 0, 0, 0], 0)),
        metrics: None,
    };
    if args.http || args.dev {
        let (addr, handle) = start_public_with(
            ctx.clone(),
            &server_config(SocketAddr::new(args.http_addr, args.http_port)),
            rollup_methods.clone(),
        )
        .await?;
        info!(target: "node", %addr, "HTTP JSON-RPC listening");
        running.http = Some(addr);
        servers.push(handle);
    }
    if args.ws || args.dev {
        let (addr, handle) = start_public_with(
            ctx.clone(),
            &server_config(SocketAddr::new(args.ws_addr, args.ws_port)),
            rollup_methods.clone(),
        )
        .await?;
        info!(target: "node", %addr, "WebSocket JSON-RPC listening");
        running.ws = Some(addr);
        servers.push(handle);
    }
    let jwt_path = args.authrpc_jwtsecret.clone().unwrap_or_else(|| datadir.join("jwt.hex"));
    let secret = JwtSecret::load_or_create(&jwt_path)?;
    let (addr, handle) =
        start_auth(ctx.clone(), SocketAddr::new(args.authrpc_addr, args.authrpc_port), secret)
            .await?;
    info!(target: "node", %addr, jwt = %jwt_path.display(), "Engine API listening");
    running.authrpc = addr;
    servers.push(handle);
    if let Some(addr) = args.metrics {
        // The flag is named so the user sees which one to change.
        let bound = metrics::serve(ctx.clone(), addr, shutdown.clone())
            .await
            .map_err(|err| NodeError::Flag { flag: "--metrics", message: err.to_string() })?;
        info!(target: "node", addr = %bound, "metrics listening");
        running.metrics = Some(bound);
    }

    let sequencer = if dev_sequencer {
        let sequencer = Sequencer::new(engine.clone());
        Some(tokio::spawn(sequencer.run(shutdown)))
    } else {
        None
    };
    Ok(NodeHandles { running, ctx, servers, sequencer, rollup })
}

/// Reads `--rollup.config` and checks it is this chain's.
fn read_rollup_config(path: &std::path::Path, spec: &ChainSpec) -> Result<RollupConfig, NodeError> {
    let flag = |message: String| NodeError::Flag { flag: "--rollup.config", message };
    let text = std::fs::read_to_string(path)
        .map_err(|err| flag(format!("cannot read {}: {err}", path.display())))?;
    let rollup = RollupConfig::from_json(&text)
        .map_err(|err| flag(format!("{} is not a rollup config: {err}", path.display())))?;
    if rollup.genesis.l2.hash != spec.genesis_hash() {
        return Err(flag(format!(
            "{} is for L2 genesis {}, but the chain's genesis is {}",
            path.display(),
            rollup.genesis.l2.hash,
            spec.genesis_hash()
        )));
    }
    if rollup.l2_chain_id != spec.chain_id {
        return Err(flag(format!(
            "{} is for L2 chain {}, but the chain spec's id is {}",
            path.display(),
            rollup.l2_chain_id,
            spec.chain_id
        )));
    }
    phala_protocol::derive::check_rollup_support(&rollup)
        .map_err(|err| flag(format!("{}: {err}", path.display())))?;
    Ok(rollup)
}

/// Starts derivation, and with their flags the sequencer and the batcher; returns their tasks
/// and the handle the rollup RPC reads them through.
async fn start_rollup(
    args: &NodeArgs,
    rollup: Arc<RollupConfig>,
    engine: Arc<Engine>,
    shutdown: watch::Receiver<bool>,
) -> Result<(Vec<tokio::task::JoinHandle<()>>, phala_rollup::RollupHandle), NodeError> {
    if args.batcher_max_channel_duration * 2 > rollup.seq_window_size {
        return Err(NodeError::Flag {
            flag: "--batcher.max-channel-duration",
            message: format!(
                "{} L1 blocks leaves no room in the rollup's sequencing window of {}",
                args.batcher_max_channel_duration, rollup.seq_window_size
            ),
        });
    }
    let l1_url = args.l1_rpc.as_deref().unwrap_or_default();
    let l1_flag =
        |err: phala_l1::L1Error| NodeError::Flag { flag: "--l1.rpc", message: err.to_string() };
    let client = phala_l1::L1Client::new(l1_url).map_err(l1_flag)?;
    let beacon_url = args.l1_beacon.as_deref().unwrap_or(l1_url);
    let beacon = phala_l1::BeaconClient::new(beacon_url)
        .map_err(|err| NodeError::Flag { flag: "--l1.beacon", message: err.to_string() })?;
    let source = phala_rollup::L1Source::new(client.clone(), beacon, rollup.clone())
        .await
        .map_err(|err| NodeError::Flag { flag: "--l1.rpc", message: err.to_string() })?;
    let (derivation, heads) = phala_rollup::Derivation::new(
        engine.clone(),
        source.clone(),
        phala_rollup::DerivationConfig {
            l1_confirmations: args.verifier_l1_confs,
            ..Default::default()
        },
    )
    .map_err(|err| NodeError::Flag { flag: "--rollup.config", message: err.to_string() })?;
    let l1_status = derivation.l1_status();
    let mut tasks = vec![tokio::spawn(derivation.run(shutdown.clone()))];
    let mut sequencer_control = None;
    if args.sequencer_enabled {
        let mut sequencer = phala_rollup::RollupSequencer::new(
            engine.clone(),
            source.clone(),
            phala_rollup::SequencerConfig { l1_confirmations: args.sequencer_l1_confs },
            heads.clone(),
        );
        if args.sequencer_stopped {
            sequencer = sequencer.stopped();
        }
        sequencer_control = Some(sequencer.control());
        tasks.push(tokio::spawn(sequencer.run(shutdown.clone())));
    }
    let handle = phala_rollup::RollupHandle::new(
        rollup.clone(),
        heads.clone(),
        l1_status,
        sequencer_control,
    );
    if let Some(key) = &args.batcher_private_key {
        let wallet = l1_wallet(&client, key, "--batcher.private-key").await?;
        let safe_rx = safe_head_watch(&heads, &shutdown, &mut tasks);
        let batcher = phala_rollup::Batcher::new(
            engine.clone(),
            wallet,
            rollup.clone(),
            phala_rollup::BatcherConfig {
                data_availability: args.batcher_data_availability,
                max_blocks_per_channel: args.batcher_max_blocks_per_channel.max(1),
                max_channel_duration: args.batcher_max_channel_duration,
                ..Default::default()
            },
            safe_rx,
        )
        .await;
        tasks.push(tokio::spawn(batcher.run(shutdown.clone())));
    }
    if let Some(key) = &args.proposer_private_key {
        let wallet = l1_wallet(&client, key, "--proposer.private-key").await?;
        let address = args.proposer_l2oo_address.unwrap_or_default();
        let oracle = phala_rollup::L2OutputOracle::new(client.clone(), address);
        let safe_rx = safe_head_watch(&heads, &shutdown, &mut tasks);
        let proposer = phala_rollup::Proposer::new(
            engine.clone(),
            wallet,
            oracle,
            phala_rollup::ProposerConfig {
                poll_interval: Duration::from_millis(args.proposer_poll_interval.max(50)),
                ..Default::default()
            },
            safe_rx,
        )
        .await
        .map_err(|err| NodeError::Flag {
            flag: "--proposer.l2oo-address",
            message: err.to_string(),
        })?;
        tasks.push(tokio::spawn(proposer.run(shutdown.clone())));
    }
    info!(target: "node", sequencer = args.sequencer_enabled, batcher = args.batcher_private_key.is_some(), proposer = args.proposer_private_key.is_some(), l1 = l1_url, "rollup node started");
    Ok((tasks, handle))
}

/// The L1 wallet of the hex key given to `flag`.
async fn l1_wallet(
    client: &phala_l1::L1Client,
    key: &str,
    flag: &'static str,
) -> Result<phala_l1::L1Wallet, NodeError> {
    let signer: alloy_signer_local::PrivateKeySigner = key
        .trim()
        .parse()
        .map_err(|err| NodeError::Flag { flag, message: format!("not a private key: {err}") })?;
    phala_l1::L1Wallet::new(client.clone(), signer)
        .await
        .map_err(|err| NodeError::Flag { flag: "--l1.rpc", message: err.to_string() })
}

/// A watch of derivation's safe head alone (the batcher and the proposer follow it), fed by a
/// task that ends with `shutdown`.
fn safe_head_watch(
    heads: &watch::Receiver<phala_rollup::DerivedHeads>,
    shutdown: &watch::Receiver<bool>,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> watch::Receiver<phala_protocol::derive::L2BlockRef> {
    let (safe_tx, safe_rx) = watch::channel(heads.borrow().safe);
    let mut heads_rx = heads.clone();
    let mut forward_shutdown = shutdown.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = forward_shutdown.changed() => break,
                changed = heads_rx.changed() => {
                    if changed.is_err() { break; }
                    let safe = heads_rx.borrow().safe;
                    safe_tx.send_replace(safe);
                }
            }
        }
    }));
    safe_rx
}
