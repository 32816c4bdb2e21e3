//! End-to-end tests of settlement on L1: anvil with the OP Bedrock contracts, a phala-node
//! sequencer with its batcher, verifiers that derive the chain from L1 alone, the proposer, and
//! withdrawals proven and finalized on L1.

mod devnet;
mod rollup_rpc;
mod settlement;
mod withdrawals;
