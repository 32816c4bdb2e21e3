//! `eth_config` (EIP-7910): the fork in force, the next and the last scheduled fork, each with
//! its fork id (EIP-2124), blob schedule, precompiles and system contracts.

use crate::{context::NodeContext, error::RpcResult};
use alloy_eips::{
    eip2124::ForkHash,
    eip4788,
    eip7910::{EthConfig, EthForkConfig, SystemContract},
};
use alloy_primitives::Address;
use phala_evm::{EvmSpec, evm_env_for_header};
use phala_primitives::{ChainSpec, EthereumHardfork, EthereumHardforks, ForkCondition, Header};
use revm::precompile::{PrecompileSpecId, Precompiles};
use std::collections::BTreeMap;

/// Fork activation points that enter the fork id: block numbers, then timestamps after genesis.
fn fork_points(spec: &ChainSpec) -> (Vec<u64>, Vec<u64>) {
    let genesis_time = spec.genesis_header.timestamp;
    let mut blocks = Vec::new();
    let mut times = Vec::new();
    for (_, condition) in spec.ethereum_forks() {
        match condition {
            ForkCondition::Block(number) if number > 0 => blocks.push(number),
            ForkCondition::TTD { fork_block: Some(number), .. } if number > 0 => {
                blocks.push(number)
            }
            ForkCondition::Timestamp(time) if time > genesis_time => times.push(time),
            _ => {}
        }
    }
    blocks.sort_unstable();
    blocks.dedup();
    times.sort_unstable();
    times.dedup();
    (blocks, times)
}

/// The EIP-2124 fork hash of the fork active at `time` (all block forks are assumed passed).
fn fork_hash_at(spec: &ChainSpec, time: u64) -> ForkHash {
    let (blocks, times) = fork_points(spec);
    let mut hash = ForkHash::from(spec.genesis_hash());
    for point in blocks.into_iter().chain(times.into_iter().filter(|t| *t <= time)) {
        hash += point;
    }
    hash
}

fn precompile_name(address: &Address) -> Option<&'static str> {
    let last = address.0[19];
    let prefix_zero = address.0[..18].iter().all(|b| *b == 0);
    if !prefix_zero {
        return None;
    }
    Some(match (address.0[18], last) {
        (0, 0x01) => "ECREC",
        (0, 0x02) => "SHA256",
        (0, 0x03) => "RIPEMD160",
        (0, 0x04) => "ID",
        (0, 0x05) => "MODEXP",
        (0, 0x06) => "BN254_ADD",
        (0, 0x07) => "BN254_MUL",
        (0, 0x08) => "BN254_PAIRING",
        (0, 0x09) => "BLAKE2F",
        (0, 0x0a) => "KZG_POINT_EVALUATION",
        (0, 0x0b) => "BLS12_G1ADD",
        (0, 0x0c) => "BLS12_G1MSM",
        (0, 0x0d) => "BLS12_G2ADD",
        (0, 0x0e) => "BLS12_G2MSM",
        (0, 0x0f) => "BLS12_PAIRING_CHECK",
        (0, 0x10) => "BLS12_MAP_FP_TO_G1",
        (0, 0x11) => "BLS12_MAP_FP2_TO_G2",
        (1, 0x00) => "P256VERIFY",
        _ => return None,
    })
}

fn fork_config(spec: &ChainSpec, time: u64) -> Option<EthForkConfig> {
    let header = Header { timestamp: time, number: u64::MAX / 2, ..Default::default() };
    let evm_env = evm_env_for_header(&std::sync::Arc::new(spec.clone()), &header);
    let _ = EvmSpec(std::sync::Arc::new(spec.clone()));
    let precompiles = Precompiles::new(PrecompileSpecId::from_spec_id(evm_env.cfg_env.spec))
        .addresses()
        .filter_map(|address| precompile_name(address).map(|name| (name.to_string(), *address)))
        .collect::<BTreeMap<_, _>>();
    let mut system_contracts = BTreeMap::new();
    if spec.is_cancun_active_at_timestamp(time) {
        system_contracts.insert(SystemContract::BeaconRoots, eip4788::BEACON_ROOTS_ADDRESS);
    }
    if spec.is_prague_active_at_timestamp(time) {
        let deposit = spec.deposit_contract_address;
        system_contracts.extend(SystemContract::prague(deposit));
    }
    let activation_time = active_time_fork(spec, time)?;
    Some(EthForkConfig {
        activation_time,
        blob_schedule: spec.blob_params_at_timestamp(time)?,
        chain_id: spec.chain_id,
        fork_id: fork_hash_at(spec, time).0.to_vec().into(),
        precompiles,
        system_contracts,
    })
}

/// Activation time of the newest timestamp fork active at `time`.
fn active_time_fork(spec: &ChainSpec, time: u64) -> Option<u64> {
    spec.ethereum_forks()
        .filter(|(fork, _)| *fork >= EthereumHardfork::Shanghai)
        .filter_map(|(_, condition)| match condition {
            ForkCondition::Timestamp(at) if at <= time => Some(at),
            _ => None,
        })
        .max()
}

/// `eth_config`.
pub(crate) fn eth_config(ctx: &NodeContext) -> RpcResult<EthConfig> {
    let spec = ctx.spec();
    let (_, head) = ctx.head()?;
    let current = fork_config(spec, head.timestamp).ok_or_else(|| {
        crate::error::RpcError::server("eth_config is only defined from Cancun on")
    })?;
    let (_, times) = fork_points(spec);
    let next_time = times.iter().copied().find(|t| *t > head.timestamp);
    let last_time = times.last().copied().filter(|t| *t > head.timestamp);
    Ok(EthConfig {
        current,
        next: next_time.and_then(|t| fork_config(spec, t)),
        last: last_time.and_then(|t| fork_config(spec, t)),
    })
}
