//! OP Stack protocol encodings for phala-node, pure (no I/O).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use alloy_primitives as _;
