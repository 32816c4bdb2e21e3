//! `eth_simulateV1`.

use crate::{
    context::NodeContext,
    error::{RpcError, RpcResult},
};
use alloy_eips::BlockId;
use alloy_rpc_types_eth::simulate::SimulatePayload;

/// `eth_simulateV1`: simulates a sequence of blocks of calls on top of `id`.
pub fn simulate(
    _ctx: &NodeContext,
    _payload: SimulatePayload,
    _id: BlockId,
) -> RpcResult<serde_json::Value> {
    Err(RpcError::Unsupported("eth_simulateV1"))
}
