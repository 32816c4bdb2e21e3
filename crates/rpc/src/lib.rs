//! JSON-RPC for phala-node.
//!
//! Key components:
//! - [`NodeContext`]: what every handler shares: the [`phala_engine::Engine`] (database, chain
//!   spec, pool, fork choice, events, the block pipeline) plus dev signers, limits and filters.
//!   The handlers only read and translate; every chain write goes through the engine.
//! - [`eth`]: the `eth_`, `net_`, `web3_` and `txpool_` namespaces; [`call`]: `eth_call`,
//!   `eth_estimateGas` and `eth_createAccessList` with overrides; [`filters`]: logs and the
//!   polling filter API; [`simulate`]: `eth_simulateV1`; [`pubsub`]: `eth_subscribe`.
//! - [`debug`]: raw data and geth-style tracing on revm-inspectors.
//! - [`engine`]: the Engine API and `testing_buildBlockV1`, behind [`auth`]'s JWT check.
//! - [`rollup`]: op-node's rollup RPC on a rollup node (`optimism_*`, opt-in `admin_*`).
//! - [`anvil`]: anvil's cheat RPCs (`anvil_*`, `hardhat_*`, `evm_*`) on a dev chain.
//! - [`server`]: starting the public HTTP/WebSocket server and the authenticated server.
//! - [`metrics`]: [`RpcMetrics`], each call's latency and outcome by method, recorded by a
//!   jsonrpsee RPC middleware on both servers.
//! - [`cache`]: [`cache::BlockCache`], recently read blocks with their receipts and recovered
//!   senders, for receipt polling, log filters and block reads that come back to a block.
//! - [`RpcError`]: errors with geth's JSON-RPC codes.

pub mod anvil;
pub mod auth;
pub mod cache;
pub mod call;
pub mod client;
mod config;
mod context;
pub mod convert;
pub mod debug;
pub mod engine;
mod error;
pub mod eth;
pub mod filters;
pub mod metrics;
mod params;
pub mod pubsub;
pub mod rollup;
pub mod server;
pub mod signing;
pub mod simulate;

pub use context::{BlockState, NodeContext, RpcLimits};
pub use error::{RpcError, RpcResult, codes};
pub use metrics::RpcMetrics;
