//! [`deploy_l1`]: deploys the OP Bedrock L1 contracts of the pinned `@eth-optimism/contracts-bedrock`
//! (SuperchainConfig, OptimismPortal, L2OutputOracle, SystemConfig, L1StandardBridge,
//! L1CrossDomainMessenger), each behind an OP `Proxy` and initialised through `upgradeToAndCall`,
//! and [`rollup_config`] writes op-node's rollup config for the deployment.
//!
//! The deployment is two steps because the L2 genesis depends on it: [`deploy_l1`] initialises
//! everything but the L2OutputOracle and fixes the L1 genesis block; the caller builds the L2
//! genesis at that block's time (with the bridge addresses, known in advance from the deployer's
//! nonces), then [`L1Deployment::start_output_oracle`] initialises the oracle at that time.

use crate::{
    L1Error, L1Result, L1Wallet,
    bindings::{
        IL1CrossDomainMessenger, IL1StandardBridge, IL2OutputOracle, IOptimismPortal, IProxy,
        ISuperchainConfig, ISystemConfig, ResourceConfig, SystemConfigAddresses,
    },
    wallet::L1Call,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_sol_types::{SolCall, SolValue};
use phala_genesis::op::artifacts::creation_code;
use phala_protocol::derive::SystemConfig;
use phala_protocol::rollup::{
    BlockRef, GenesisSystemConfig, RollupConfig, RollupForks, RollupGenesis,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What the L1 contracts are initialised with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployConfig {
    /// The L2 chain id (also names the batch inbox).
    pub l2_chain_id: u64,
    /// Seconds between L2 blocks.
    pub l2_block_time: u64,
    /// The L2 block gas limit (SystemConfig's `gasLimit`).
    pub l2_gas_limit: u64,
    /// The batcher, whose transactions to the inbox carry the L2 chain.
    pub batcher: Address,
    /// The proposer of L2 output roots.
    pub proposer: Address,
    /// The sequencer's unsafe-block signing key (SystemConfig's `unsafeBlockSigner`).
    pub sequencer: Address,
    /// Owner of the SystemConfig, guardian of the SuperchainConfig, challenger of the oracle.
    pub admin: Address,
    /// Ecotone's base fee scalar.
    pub base_fee_scalar: u32,
    /// Ecotone's blob base fee scalar.
    pub blob_base_fee_scalar: u32,
    /// L2 blocks between output proposals.
    pub submission_interval: u64,
    /// Seconds an output root must age before withdrawals against it finalise.
    pub finalization_period_seconds: u64,
}

impl DeployConfig {
    /// Development values for chain `l2_chain_id` with these roles: 2 s blocks, 30M gas, OP
    /// Mainnet's Ecotone scalars, an output every 10 blocks, 12 s finalization.
    pub const fn dev(
        l2_chain_id: u64,
        admin: Address,
        batcher: Address,
        proposer: Address,
        sequencer: Address,
    ) -> Self {
        Self {
            l2_chain_id,
            l2_block_time: 2,
            l2_gas_limit: 30_000_000,
            batcher,
            proposer,
            sequencer,
            admin,
            base_fee_scalar: 1368,
            blob_base_fee_scalar: 810_949,
            submission_interval: 10,
            finalization_period_seconds: 12,
        }
    }

    /// The batch inbox: `0xff00…00` followed by the L2 chain id, op-deployer's convention.
    pub fn batch_inbox(&self) -> Address {
        let mut bytes = [0u8; 20];
        bytes[0] = 0xff;
        bytes[12..].copy_from_slice(&self.l2_chain_id.to_be_bytes());
        Address::from(bytes)
    }
}

/// Where the L1 contracts are, as `devnet.json` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct L1Addresses {
    /// The OptimismPortal proxy (deposits, withdrawals).
    pub optimism_portal_proxy: Address,
    /// The L2OutputOracle proxy.
    pub l2_output_oracle_proxy: Address,
    /// The SystemConfig proxy.
    pub system_config_proxy: Address,
    /// The L1StandardBridge proxy.
    pub l1_standard_bridge_proxy: Address,
    /// The L1CrossDomainMessenger proxy.
    pub l1_cross_domain_messenger_proxy: Address,
    /// The SuperchainConfig proxy.
    pub superchain_config_proxy: Address,
    /// The batch inbox (an address without code).
    pub batch_inbox: Address,
}

/// The contracts in deployment order; a proxy follows each implementation.
const CONTRACTS: [&str; 6] = [
    "SuperchainConfig",
    "OptimismPortal",
    "L2OutputOracle",
    "SystemConfig",
    "L1StandardBridge",
    "L1CrossDomainMessenger",
];

/// The addresses a fresh deployer (nonce `start`) will give the proxies: implementation and
/// proxy alternate, in [`CONTRACTS`] order.
pub fn predicted_addresses(deployer: Address, start: u64, inbox: Address) -> L1Addresses {
    let proxy = |index: u64| deployer.create(start + 2 * index + 1);
    L1Addresses {
        superchain_config_proxy: proxy(0),
        optimism_portal_proxy: proxy(1),
        l2_output_oracle_proxy: proxy(2),
        system_config_proxy: proxy(3),
        l1_standard_bridge_proxy: proxy(4),
        l1_cross_domain_messenger_proxy: proxy(5),
        batch_inbox: inbox,
    }
}

/// A deployment in progress: everything but the oracle initialised.
#[derive(Debug, Clone)]
pub struct L1Deployment {
    /// The proxies and the inbox.
    pub addresses: L1Addresses,
    /// The L1 block the rollup starts at: the last block of the deployment.
    pub genesis_l1: BlockRef,
    /// That block's timestamp, the L2 genesis time.
    pub genesis_time: u64,
    /// The L2OutputOracle implementation.
    oracle_implementation: Address,
    config: DeployConfig,
}

fn creation(contract: &'static str) -> L1Result<Vec<u8>> {
    creation_code(contract).map(<[u8]>::to_vec).ok_or(L1Error::MissingArtifact(contract))
}

/// Deploys the contracts from `wallet` (which must have no pending transactions) and initialises
/// all but the L2OutputOracle.
pub async fn deploy_l1(wallet: &L1Wallet, config: &DeployConfig) -> L1Result<L1Deployment> {
    let client = wallet.client();
    let start = wallet.pending_nonce().await?;
    let inbox = config.batch_inbox();
    let addresses = predicted_addresses(wallet.address(), start, inbox);
    // Every creation is sent at once with consecutive nonces, then awaited: a slow L1 then costs
    // a block or two, not one block per contract.
    let mut sent = Vec::with_capacity(2 * CONTRACTS.len());
    let mut nonce = start;
    for contract in CONTRACTS {
        let mut proxy_init = creation("Proxy")?;
        proxy_init.extend_from_slice(&wallet.address().abi_encode());
        for (name, init) in [(contract, creation(contract)?), ("Proxy", proxy_init)] {
            let call = L1Call { data: init.into(), ..Default::default() };
            let hash = wallet.send(&call, Some(nonce)).await?;
            sent.push((name, hash, wallet.address().create(nonce)));
            nonce += 1;
        }
    }
    let mut deployed = Vec::with_capacity(sent.len());
    for (name, hash, address) in sent {
        wallet.wait(hash, name, Duration::from_secs(120)).await?;
        if client.code(address).await?.is_empty() {
            return Err(L1Error::NotDeployed { contract: name, address });
        }
        tracing::debug!(target: "l1::deploy", contract = name, %address, "deployed");
        deployed.push(address);
    }
    let implementations: Vec<(Address, Address)> =
        deployed.chunks(2).map(|pair| (pair[0], pair[1])).collect();
    debug_assert_eq!(implementations[1].1, addresses.optimism_portal_proxy);

    let upgrade = |index: usize, data: Vec<u8>| {
        let (implementation, proxy) = implementations[index];
        L1Call {
            to: Some(proxy),
            data: IProxy::upgradeToAndCallCall { implementation, data: data.into() }
                .abi_encode()
                .into(),
            ..Default::default()
        }
    };
    let batcher_hash = B256::left_padding_from(config.batcher.as_slice());
    let steps = [
        (
            0,
            ISuperchainConfig::initializeCall { guardian: config.admin, paused: false }
                .abi_encode(),
            "SuperchainConfig.initialize",
        ),
        (
            3,
            ISystemConfig::initializeCall {
                owner: config.admin,
                basefeeScalar: config.base_fee_scalar,
                blobbasefeeScalar: config.blob_base_fee_scalar,
                batcherHash: batcher_hash,
                gasLimit: config.l2_gas_limit,
                unsafeBlockSigner: config.sequencer,
                // OP's default resource metering of deposits.
                config: ResourceConfig {
                    maxResourceLimit: 20_000_000,
                    elasticityMultiplier: 10,
                    baseFeeMaxChangeDenominator: 8,
                    minimumBaseFee: 1_000_000_000,
                    systemTxMaxGas: 1_000_000,
                    maximumBaseFee: u128::MAX,
                },
                batchInbox: inbox,
                addresses: SystemConfigAddresses {
                    l1CrossDomainMessenger: addresses.l1_cross_domain_messenger_proxy,
                    l1ERC721Bridge: Address::ZERO,
                    l1StandardBridge: addresses.l1_standard_bridge_proxy,
                    disputeGameFactory: Address::ZERO,
                    optimismPortal: addresses.optimism_portal_proxy,
                    optimismMintableERC20Factory: Address::ZERO,
                    gasPayingToken: Address::ZERO,
                },
            }
            .abi_encode(),
            "SystemConfig.initialize",
        ),
        (
            1,
            IOptimismPortal::initializeCall {
                l2Oracle: addresses.l2_output_oracle_proxy,
                systemConfig: addresses.system_config_proxy,
                superchainConfig: addresses.superchain_config_proxy,
            }
            .abi_encode(),
            "OptimismPortal.initialize",
        ),
        (
            5,
            IL1CrossDomainMessenger::initializeCall {
                superchainConfig: addresses.superchain_config_proxy,
                portal: addresses.optimism_portal_proxy,
                systemConfig: addresses.system_config_proxy,
            }
            .abi_encode(),
            "L1CrossDomainMessenger.initialize",
        ),
        (
            4,
            IL1StandardBridge::initializeCall {
                messenger: addresses.l1_cross_domain_messenger_proxy,
                superchainConfig: addresses.superchain_config_proxy,
                systemConfig: addresses.system_config_proxy,
            }
            .abi_encode(),
            "L1StandardBridge.initialize",
        ),
    ];
    let mut pending = Vec::with_capacity(steps.len());
    for (index, data, what) in steps {
        pending.push((what, wallet.send(&upgrade(index, data), Some(nonce)).await?));
        nonce += 1;
    }
    let mut last_block = 0;
    for (what, hash) in pending {
        let receipt = wallet.wait(hash, what, Duration::from_secs(120)).await?;
        last_block = last_block.max(receipt.block_number.unwrap_or_default());
    }
    let genesis = client.expect_block(BlockNumberOrTag::Number(last_block)).await?;
    Ok(L1Deployment {
        addresses,
        genesis_l1: BlockRef { hash: genesis.header.hash, number: genesis.header.number },
        genesis_time: genesis.header.timestamp,
        oracle_implementation: implementations[2].0,
        config: config.clone(),
    })
}

impl L1Deployment {
    /// Initialises the L2OutputOracle: outputs start at L2 block 0 at the genesis time.
    pub async fn start_output_oracle(&self, wallet: &L1Wallet) -> L1Result<()> {
        let data = IL2OutputOracle::initializeCall {
            submissionInterval: U256::from(self.config.submission_interval),
            l2BlockTime: U256::from(self.config.l2_block_time),
            startingBlockNumber: U256::ZERO,
            startingTimestamp: U256::from(self.genesis_time),
            proposer: self.config.proposer,
            challenger: self.config.admin,
            finalizationPeriodSeconds: U256::from(self.config.finalization_period_seconds),
        }
        .abi_encode();
        let call = L1Call {
            to: Some(self.addresses.l2_output_oracle_proxy),
            data: IProxy::upgradeToAndCallCall {
                implementation: self.oracle_implementation,
                data: data.into(),
            }
            .abi_encode()
            .into(),
            ..Default::default()
        };
        wallet.transact(&call, "L2OutputOracle.initialize").await?;
        Ok(())
    }

    /// The deploy config it was made with.
    pub const fn config(&self) -> &DeployConfig {
        &self.config
    }
}

/// op-node's rollup config for `deployment` on L1 chain `l1_chain_id`, with the L2 genesis block
/// `l2_genesis` and every OP fork through Jovian active at genesis.
pub fn rollup_config(
    deployment: &L1Deployment,
    l1_chain_id: u64,
    l2_genesis: B256,
) -> RollupConfig {
    let config = deployment.config();
    RollupConfig {
        genesis: RollupGenesis {
            l1: deployment.genesis_l1,
            l2: BlockRef { hash: l2_genesis, number: 0 },
            l2_time: deployment.genesis_time,
            system_config: GenesisSystemConfig {
                batcher_addr: config.batcher,
                overhead: B256::ZERO,
                scalar: SystemConfig::ecotone_scalar_word(
                    config.base_fee_scalar,
                    config.blob_base_fee_scalar,
                ),
                gas_limit: config.l2_gas_limit,
                eip1559_params: Some(Bytes::from(vec![0u8; 8])),
                operator_fee_params: Some(Bytes::from(vec![0u8; 32])),
                min_base_fee: Some(0),
                da_footprint_gas_scalar: Some(0),
                ..Default::default()
            },
        },
        block_time: config.l2_block_time,
        max_sequencer_drift: 600,
        seq_window_size: 120,
        channel_timeout: 50,
        granite_channel_timeout: Some(50),
        l1_chain_id,
        l2_chain_id: config.l2_chain_id,
        forks: RollupForks {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            ecotone_time: Some(0),
            fjord_time: Some(0),
            granite_time: Some(0),
            holocene_time: Some(0),
            pectra_blob_schedule_time: Some(0),
            isthmus_time: Some(0),
            jovian_time: Some(0),
            interop_time: None,
        },
        batch_inbox_address: deployment.addresses.batch_inbox,
        deposit_contract_address: deployment.addresses.optimism_portal_proxy,
        l1_system_config_address: deployment.addresses.system_config_proxy,
        protocol_versions_address: None,
        superchain_config_address: Some(deployment.addresses.superchain_config_proxy),
        chain_op_config: None,
    }
}
