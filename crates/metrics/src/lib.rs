//! Prometheus metrics for phala-node without a metrics framework: the few primitives the node
//! records (atomic counters, fixed-bucket histograms) and the text exposition format (0.0.4)
//! that renders them. std only, so every crate of the block pipeline can record into it.
//!
//! Each crate owns its metrics as a plain struct of these primitives and writes them into an
//! [`Exposition`]; the node's endpoint composes the crates' parts and adds the gauges it reads
//! from live state (head, pool sizes, table sizes). There is no global registry.
//!
//! Key components:
//! - [`Counter`]: a monotonically increasing `u64`.
//! - [`Histogram`]: counts per fixed bucket, a sum and a count; [`Histogram::observe_since`]
//!   times a section from an [`std::time::Instant`].
//! - [`Exposition`]: writes metric families with `# HELP` / `# TYPE` lines and escaped labels.
//! - [`process`]: resident memory and open file descriptors of this process, from `/proc`.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod counter;
mod exposition;
mod histogram;
pub mod process;

pub use counter::Counter;
pub use exposition::{Exposition, MetricType};
pub use histogram::{BLOCK_SECONDS_BUCKETS, Histogram, HistogramSnapshot, RPC_SECONDS_BUCKETS};
