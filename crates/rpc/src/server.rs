//! Starting the public HTTP/WebSocket server and the authenticated Engine API server.

use crate::{
    auth::{JwtAuthLayer, JwtSecret},
    context::NodeContext,
    debug, engine, eth, pubsub,
};
use jsonrpsee::{
    RpcModule,
    server::{BatchRequestConfig, Server, ServerConfig, middleware::rpc::RpcServiceBuilder},
};
use std::{collections::BTreeSet, net::SocketAddr, sync::Arc};

pub use jsonrpsee::{Methods, server::ServerHandle};

/// Namespaces the public server can expose (`--http.api`).
pub const ALL_NAMESPACES: [&str; 9] =
    ["eth", "net", "web3", "txpool", "debug", "testing", "anvil", "hardhat", "evm"];
/// Namespaces a rollup node adds ([`crate::rollup`]), passed as extra methods.
pub const ROLLUP_NAMESPACES: [&str; 2] = crate::rollup::NAMESPACES;

/// Settings of the public server.
#[derive(Debug, Clone)]
pub struct RpcServerConfig {
    /// Address the HTTP and WebSocket server listens on (one port serves both).
    pub addr: SocketAddr,
    /// Namespaces to expose.
    pub namespaces: BTreeSet<String>,
    /// Largest request body, in bytes.
    pub max_request_size: u32,
    /// Largest response body, in bytes.
    pub max_response_size: u32,
    /// Most calls in one batch.
    pub max_batch_size: u32,
    /// Most concurrent connections.
    pub max_connections: u32,
}

impl RpcServerConfig {
    /// Defaults (reth's limits) on `addr` with every namespace.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            namespaces: ALL_NAMESPACES.iter().map(|s| s.to_string()).collect(),
            max_request_size: 15 * 1024 * 1024,
            max_response_size: 160 * 1024 * 1024,
            max_batch_size: 1_000,
            max_connections: 500,
        }
    }
}

/// Errors starting a server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("failed to listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// An unknown namespace was requested.
    #[error(
        "unknown RPC namespace {0:?} (known: eth, net, web3, txpool, debug, testing, anvil, hardhat, evm, optimism, admin)"
    )]
    UnknownNamespace(String),
}

/// The module with the public namespaces selected in `namespaces`.
pub fn public_module(
    ctx: Arc<NodeContext>,
    namespaces: &BTreeSet<String>,
) -> Result<RpcModule<NodeContext>, ServerError> {
    public_module_with(ctx, namespaces, Methods::new())
}

/// [`public_module`] with `extra` methods (a rollup node's `optimism` and `admin`), kept where
/// `namespaces` selects their namespace.
pub fn public_module_with(
    ctx: Arc<NodeContext>,
    namespaces: &BTreeSet<String>,
    extra: Methods,
) -> Result<RpcModule<NodeContext>, ServerError> {
    if let Some(unknown) = namespaces.iter().find(|ns| {
        !ALL_NAMESPACES.contains(&ns.as_str()) && !ROLLUP_NAMESPACES.contains(&ns.as_str())
    }) {
        return Err(ServerError::UnknownNamespace(unknown.clone()));
    }
    let mut all = RpcModule::from_arc(ctx);
    eth::register(&mut all);
    pubsub::register(&mut all);
    debug::register(&mut all);
    engine::register_testing(&mut all);
    crate::anvil::register(&mut all);
    all.merge(extra).expect("extra methods do not clash with the node's");
    let method_names: Vec<&'static str> = all.method_names().collect();
    for name in method_names {
        let namespace = name.split('_').next().unwrap_or_default();
        // `personal_sign` travels with the dev signers of `eth`.
        let namespace = if namespace == "personal" { "eth" } else { namespace };
        if !namespaces.contains(namespace) {
            all.remove_method(name);
        }
    }
    Ok(all)
}

/// Subscription ids as geth writes them: `0x` and 32 hex digits, unpredictable to other clients.
#[derive(Debug)]
struct HexIdProvider {
    seed: [u8; 16],
    counter: std::sync::atomic::AtomicU64,
}

impl HexIdProvider {
    fn new() -> Self {
        let mut seed = [0u8; 16];
        // Falls back to a process-local seed if the OS source is unavailable; ids only need to be
        // hard to guess, not secret.
        if std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
            .is_err()
        {
            seed[..8].copy_from_slice(&(std::process::id() as u64).to_be_bytes());
        }
        Self { seed, counter: Default::default() }
    }
}

impl jsonrpsee::core::traits::IdProvider for HexIdProvider {
    fn next_id(&self) -> jsonrpsee::types::SubscriptionId<'static> {
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let hash = alloy_primitives::keccak256([&self.seed[..], &n.to_be_bytes()].concat());
        jsonrpsee::types::SubscriptionId::Str(
            format!("0x{}", alloy_primitives::hex::encode(&hash[..16])).into(),
        )
    }
}

fn server_config(config: &RpcServerConfig) -> ServerConfig {
    ServerConfig::builder()
        .max_request_body_size(config.max_request_size)
        .max_response_body_size(config.max_response_size)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch_size))
        .set_id_provider(HexIdProvider::new())
        .build()
}

/// Starts the public HTTP + WebSocket server, its calls recorded in
/// [`NodeContext::rpc_metrics`]. Returns the bound address and the handle that
/// stops it.
pub async fn start_public(
    ctx: Arc<NodeContext>,
    config: &RpcServerConfig,
) -> Result<(SocketAddr, ServerHandle), ServerError> {
    start_public_with(ctx, config, Methods::new()).await
}

/// [`start_public`] also serving `extra` methods ([`public_module_with`]).
pub async fn start_public_with(
    ctx: Arc<NodeContext>,
    config: &RpcServerConfig,
    extra: Methods,
) -> Result<(SocketAddr, ServerHandle), ServerError> {
    let metrics = ctx.rpc_metrics().clone();
    let module = public_module_with(ctx, &config.namespaces, extra)?;
    let metrics = metrics.layer(module.method_names(), config.max_response_size);
    let server = Server::builder()
        .set_config(server_config(config))
        .set_rpc_middleware(RpcServiceBuilder::new().layer(metrics))
        .build(config.addr)
        .await
        .map_err(|source| ServerError::Bind { addr: config.addr, source })?;
    let addr =
        server.local_addr().map_err(|source| ServerError::Bind { addr: config.addr, source })?;
    Ok((addr, server.start(module)))
}

/// Starts the Engine API server, which refuses requests without a valid JWT. It also serves
/// `eth_` methods, as consensus clients expect. Its calls are recorded in
/// [`NodeContext::rpc_metrics`] too.
pub async fn start_auth(
    ctx: Arc<NodeContext>,
    addr: SocketAddr,
    secret: JwtSecret,
) -> Result<(SocketAddr, ServerHandle), ServerError> {
    let metrics = ctx.rpc_metrics().clone();
    let mut module = RpcModule::from_arc(ctx);
    engine::register(&mut module);
    eth::register(&mut module);
    let config = RpcServerConfig::new(addr);
    let metrics = metrics.layer(module.method_names(), config.max_response_size);
    let server = Server::builder()
        .set_config(server_config(&config))
        .set_http_middleware(tower::ServiceBuilder::new().layer(JwtAuthLayer::new(secret)))
        .set_rpc_middleware(RpcServiceBuilder::new().layer(metrics))
        .build(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let bound = server.local_addr().map_err(|source| ServerError::Bind { addr, source })?;
    Ok((bound, server.start(module)))
}
