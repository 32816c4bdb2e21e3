//! Integration tests of the genesis contracts on our EVM and block executor (real signed
//! transactions in real blocks on RocksDB), and of the OP predeploys on an OP genesis.

mod claims;
mod genesis;
mod governance;
mod harness;
mod op_predeploys;
mod pools;
mod registry;
mod staking;
