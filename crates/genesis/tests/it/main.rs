//! Integration tests of the genesis contracts on our EVM and block executor: real signed
//! transactions in real blocks on RocksDB.

mod claims;
mod genesis;
mod governance;
mod harness;
mod pools;
mod registry;
mod staking;
