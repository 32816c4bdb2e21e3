//! Integration tests of phala-node: a dev node started in-process, driven over its JSON-RPC
//! and metrics endpoints.

mod metrics;
