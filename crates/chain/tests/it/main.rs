//! Integration tests of block import on a real RocksDB.

mod import;
mod op;
