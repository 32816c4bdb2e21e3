//! The block pipeline of phala-node, below RPC: every service that changes the chain — the
//! sequencer, the Engine API, block import, and later the L1 services, followers and cheat RPCs —
//! drives this one engine.
//!
//! Key components:
//! - [`Engine`]: owns the database handle, chain spec, pool, fork choice, the write lock and the
//!   head and transaction notifications. [`Engine::insert_block`] validates, executes and stores
//!   a block without making it canonical; [`Engine::make_canonical`] is the fork-choice step;
//!   [`Engine::build_payload`] and [`Engine::seal_block`] build on the head under the same lock
//!   as import, so a payload arriving mid-build cannot re-organise the builder's parent away.
//!   Executed blocks are kept until they become canonical, so no block is executed twice on
//!   the way from `newPayload` (or the builder) to the head.
//! - [`BuiltPayload`] / [`PayloadStore`]: built blocks waiting for `engine_getPayload`.
//! - [`ForkchoiceState`] and [`NewHead`]: the safe/finalized tags and the head events.
//! - [`dev`]: a dev chain's controls for the cheat RPCs ([`DevChain`]: pending state changes
//!   the next block carries, the clock, snapshots that unwind the database, the mining mode,
//!   impersonation), and the dev sequencer's blocks ([`Engine::mine_dev_block`]).
//! - [`EngineMetrics`]: block build, import and commit times, and the chain's gas,
//!   transaction and block counters, for the metrics endpoint.
//! - [`EngineError`]: why an engine operation failed.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod dev;
mod engine;
mod error;
mod metrics;
mod payload;

pub use dev::{DevBlock, DevChain, DevError, DumpedAccount, LatestView, MiningMode};
pub use engine::{Engine, ForkchoiceState, InsertOutcome, LatestAccounts, NewHead};
pub use error::EngineError;
pub use metrics::EngineMetrics;
pub use payload::{BuiltPayload, DESIRED_GAS_LIMIT, PayloadStore, next_gas_limit};

pub use phala_chain::{BlockAttributes, ImportError, ImportOutcome};
