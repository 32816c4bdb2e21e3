//! End-to-end tests of settlement on L1: anvil with the OP Bedrock contracts, a phala-node
//! sequencer with its batcher, and verifiers that derive the chain from L1 alone.

mod devnet;
mod rollup_rpc;
mod settlement;
