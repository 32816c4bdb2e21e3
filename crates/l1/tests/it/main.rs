//! Integration tests of phala-l1 against a real anvil.

mod deploy;
