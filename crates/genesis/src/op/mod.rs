//! The OP Stack predeploys and preinstalls in the genesis of an OP chain (OP specs: predeploys,
//! preinstalls), built the way OP's own genesis script lays them out:
//!
//! - a `Proxy` at every one of the 2048 addresses `0x4200…0000`–`0x4200…07ff` except WETH9 and
//!   the governance token, its EIP-1967 admin the ProxyAdmin predeploy (`0x4200…0018`), and for
//!   each predeploy below its EIP-1967 implementation `0xc0d3…XXXX` (the same low two bytes);
//! - the implementations, each constructed on our EVM at its `0xc0d3…` address (so immutables
//!   such as a fee vault's recipient are set as a deployment sets them): OP's from the pinned npm
//!   package `@eth-optimism/contracts-bedrock` 0.17.3 ([`artifacts`]), and ours from
//!   `contracts/src/op` where that release predates the forks we run (L1Block with the Isthmus
//!   and Jovian setters, GasPriceOracle with the Isthmus and Jovian flags and the operator fee,
//!   the Isthmus OperatorFeeVault), which keep OP's storage layout, selectors and events;
//! - the initializers run through the proxies (messenger and bridges paired with their L1
//!   counterparts, the ERC-20 factory with the bridge), the ProxyAdmin proxy's owner written to
//!   its slot 0 (it has no initializer), and the GasPriceOracle's flags set by the depositor for
//!   each of Ecotone, Fjord, Isthmus and Jovian active at genesis;
//! - WETH9 at `0x4200…0006`, not proxied;
//! - the preinstalls the package provides (Multicall3, Create2Deployer, Safe 1.3.0 and friends,
//!   Permit2 with this chain's EIP-712 domain, ERC-4337 v0.6.0) and the EIP-4788 and EIP-2935
//!   contracts, with nonce 1, and the nonces of the EIP-4788/2935 deployers at 1 (so that the
//!   Ecotone/Isthmus upgrade transactions of a chain that activates them later do not collide);
//! - 1 wei in each of the addresses 0x00–0xff that the alloc leaves empty (as OP's genesis
//!   does, so that no precompile is an empty account).
//!
//! Every account with code gets nonce 1 (EIP-161).

mod addresses;
pub mod artifacts;
mod config;

pub use addresses::*;
pub use config::{
    DEV_L1_CHAIN_ID, DEV_OP_ADMIN, FeeVaultConfig, OpPredeployConfig, WithdrawalNetwork,
};

use crate::{GenesisError, artifacts as ours, bindings::op::GasPriceOracle, evm::GenesisEvm};
use alloy_genesis::Genesis;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use phala_primitives::{ChainSpec, OpHardforks};

alloy_sol_types::sol! {
    /// The initializer of OP's messenger, bridges and ERC-20 factory.
    interface IInitializable {
        function initialize(address counterpart) external;
    }
}

/// Where a predeploy's implementation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredeploySource {
    /// The pinned npm package `@eth-optimism/contracts-bedrock` ([`artifacts::creation_code`]).
    Package,
    /// Our own, in `contracts/src/op` ([`crate::artifacts`]).
    Ours,
}

/// One OP predeploy: its contract name, address and source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Predeploy {
    /// The contract's name (its artifact's).
    pub name: &'static str,
    /// The predeploy's address (the proxy's, except for WETH9).
    pub address: Address,
    /// Where its code comes from.
    pub source: PredeploySource,
}

impl Predeploy {
    /// Whether the predeploy is a proxy in front of an implementation (all but WETH9).
    pub fn is_proxied(&self) -> bool {
        self.address != WETH
    }

    /// Where its code runs: the implementation's address for a proxied predeploy.
    pub fn code_address(&self) -> Address {
        if self.is_proxied() { implementation_address(self.address) } else { self.address }
    }
}

const fn package(name: &'static str, address: Address) -> Predeploy {
    Predeploy { name, address, source: PredeploySource::Package }
}

const fn ours(name: &'static str, address: Address) -> Predeploy {
    Predeploy { name, address, source: PredeploySource::Ours }
}

/// Every predeploy an OP chain's genesis gets, in construction order (by address).
pub const PREDEPLOYS: [Predeploy; 19] = [
    package("LegacyMessagePasser", LEGACY_MESSAGE_PASSER),
    package("DeployerWhitelist", DEPLOYER_WHITELIST),
    package("WETH", WETH),
    package("L2CrossDomainMessenger", L2_CROSS_DOMAIN_MESSENGER),
    ours("GasPriceOracle", GAS_PRICE_ORACLE),
    package("L2StandardBridge", L2_STANDARD_BRIDGE),
    package("SequencerFeeVault", SEQUENCER_FEE_VAULT),
    package("OptimismMintableERC20Factory", OPTIMISM_MINTABLE_ERC20_FACTORY),
    package("L1BlockNumber", L1_BLOCK_NUMBER),
    package("L2ERC721Bridge", L2_ERC721_BRIDGE),
    ours("L1Block", L1_BLOCK),
    package("L2ToL1MessagePasser", L2_TO_L1_MESSAGE_PASSER),
    package("OptimismMintableERC721Factory", OPTIMISM_MINTABLE_ERC721_FACTORY),
    package("ProxyAdmin", PROXY_ADMIN),
    package("BaseFeeVault", BASE_FEE_VAULT),
    package("L1FeeVault", L1_FEE_VAULT),
    ours("OperatorFeeVault", OPERATOR_FEE_VAULT),
    package("SchemaRegistry", SCHEMA_REGISTRY),
    package("EAS", EAS),
];

/// How many of the addresses 0x00… up get 1 wei (OP's genesis funds the precompile range).
const FUNDED_PRECOMPILE_ADDRESSES: u16 = 256;

/// Adds the OP predeploys and preinstalls (see the module documentation) to `genesis`, an OP
/// chain's genesis (its config has OP fork keys), with the inputs `config`.
///
/// Refuses a genesis that is not an OP chain, an alloc that already has an account in the
/// predeploy or code namespace, or one at a preinstall's address with other code (an account
/// there with the same code, such as the EIP-4788 contract of a Cancun genesis, is kept).
pub fn add_op_predeploys(
    genesis: &mut Genesis,
    config: &OpPredeployConfig,
) -> Result<(), GenesisError> {
    config.validate()?;
    let spec = ChainSpec::from_genesis(genesis.clone())?;
    if !spec.is_optimism() {
        return Err(GenesisError::NotAnOpChain);
    }
    let preinstalls = artifacts::preinstalls(spec.chain_id);
    check_alloc(genesis, &preinstalls)?;

    let mut evm = GenesisEvm::new(genesis)?;
    install_proxies(&mut evm);
    for predeploy in PREDEPLOYS {
        construct(&mut evm, predeploy, config)?;
    }
    initialize(&mut evm, config)?;
    for preinstall in preinstalls {
        if evm.account(preinstall.address).is_none_or(|info| info.nonce == 0) {
            evm.set_code(preinstall.address, preinstall.code, 1);
        }
    }
    for sender in [BEACON_ROOTS_SENDER, HISTORY_STORAGE_SENDER] {
        if evm.account(sender).is_none_or(|info| info.nonce == 0) {
            evm.set_nonce(sender, 1);
        }
    }
    activate_forks(&mut evm, genesis.timestamp)?;
    for index in 0..FUNDED_PRECOMPILE_ADDRESSES {
        let address = Address::left_padding_from(&index.to_be_bytes());
        if !genesis.alloc.contains_key(&address) {
            evm.set_balance(address, U256::from(1));
        }
    }
    genesis.alloc = evm.into_alloc(genesis);
    Ok(())
}

/// Refuses accounts where the predeploys go and preinstall addresses with other code.
fn check_alloc(
    genesis: &Genesis,
    preinstalls: &[artifacts::Preinstall],
) -> Result<(), GenesisError> {
    for (address, account) in &genesis.alloc {
        let in_namespace = is_predeploy_namespace(*address)
            || (address.0[..18] == CODE_NAMESPACE.0[..18]
                && is_predeploy_namespace(predeploy_address(u16::from_be_bytes([
                    address.0[18],
                    address.0[19],
                ]))));
        if in_namespace {
            return Err(GenesisError::OpAllocConflict {
                name: "predeploy namespace".into(),
                address: *address,
            });
        }
        if let Some(preinstall) = preinstalls.iter().find(|p| p.address == *address)
            && account.code.as_ref() != Some(&preinstall.code)
        {
            return Err(GenesisError::OpAllocConflict {
                name: format!("preinstall {}", preinstall.name),
                address: *address,
            });
        }
    }
    Ok(())
}

/// A proxy at every namespace address but WETH9's and the governance token's, administered by
/// the ProxyAdmin, pointing at its implementation where there is one.
fn install_proxies(evm: &mut GenesisEvm) {
    let proxy = alloy_primitives::Bytes::from_static(artifacts::PROXY_CODE);
    for index in 0..PREDEPLOY_COUNT {
        let address = predeploy_address(index);
        if address == WETH || address == GOVERNANCE_TOKEN {
            continue;
        }
        evm.set_code(address, proxy.clone(), 1);
        evm.set_storage(address, EIP1967_ADMIN_SLOT, PROXY_ADMIN.into_word());
        if let Some(predeploy) = PREDEPLOYS.iter().find(|p| p.address == address) {
            evm.set_storage(
                address,
                EIP1967_IMPLEMENTATION_SLOT,
                predeploy.code_address().into_word(),
            );
        }
    }
}

/// Runs `predeploy`'s constructor at its code address.
fn construct(
    evm: &mut GenesisEvm,
    predeploy: Predeploy,
    config: &OpPredeployConfig,
) -> Result<(), GenesisError> {
    let vault = |vault: &FeeVaultConfig| {
        (
            vault.recipient,
            vault.min_withdrawal_amount,
            U256::from(vault.withdrawal_network.abi_value()),
        )
            .abi_encode_params()
    };
    let args = match predeploy.address {
        PROXY_ADMIN => config.proxy_admin_owner.abi_encode(),
        SEQUENCER_FEE_VAULT => vault(&config.sequencer_fee_vault),
        BASE_FEE_VAULT => vault(&config.base_fee_vault),
        L1_FEE_VAULT => vault(&config.l1_fee_vault),
        OPERATOR_FEE_VAULT => vault(&config.operator_fee_vault),
        OPTIMISM_MINTABLE_ERC721_FACTORY => {
            (L2_ERC721_BRIDGE, U256::from(config.l1_chain_id)).abi_encode_params()
        }
        _ => Vec::new(),
    };
    let missing = || GenesisError::Execution {
        contract: predeploy.name.to_string(),
        reason: "no compiled artifact".into(),
    };
    let init = match predeploy.source {
        PredeploySource::Package => {
            artifacts::creation_code(predeploy.name).ok_or_else(missing)?.to_vec()
        }
        PredeploySource::Ours => {
            ours::artifact(predeploy.name).ok_or_else(missing)?.bytecode.to_vec()
        }
    };
    evm.deploy_code(predeploy.name, predeploy.code_address(), &init, &args)
}

/// The initializers through the proxies, and the ProxyAdmin proxy's owner.
fn initialize(evm: &mut GenesisEvm, config: &OpPredeployConfig) -> Result<(), GenesisError> {
    for (what, proxy, argument) in [
        (
            "L2CrossDomainMessenger.initialize",
            L2_CROSS_DOMAIN_MESSENGER,
            config.l1_cross_domain_messenger,
        ),
        ("L2StandardBridge.initialize", L2_STANDARD_BRIDGE, config.l1_standard_bridge),
        ("L2ERC721Bridge.initialize", L2_ERC721_BRIDGE, config.l1_erc721_bridge),
        (
            "OptimismMintableERC20Factory.initialize",
            OPTIMISM_MINTABLE_ERC20_FACTORY,
            L2_STANDARD_BRIDGE,
        ),
    ] {
        evm.call(
            what,
            proxy,
            IInitializable::initializeCall { counterpart: argument }.abi_encode(),
        )?;
    }
    // The ProxyAdmin has no initializer: its owner is slot 0 of the proxy's storage.
    evm.set_storage(PROXY_ADMIN, B256::ZERO, config.proxy_admin_owner.into_word());
    Ok(())
}

/// The GasPriceOracle flags of the forks active at genesis, set by the depositor as the
/// upgrade transactions would.
fn activate_forks(evm: &mut GenesisEvm, timestamp: u64) -> Result<(), GenesisError> {
    let spec = evm.spec().clone();
    for (active, what, call) in [
        (
            spec.is_ecotone_active_at_timestamp(timestamp),
            "GasPriceOracle.setEcotone",
            GasPriceOracle::setEcotoneCall {}.abi_encode(),
        ),
        (
            spec.is_fjord_active_at_timestamp(timestamp),
            "GasPriceOracle.setFjord",
            GasPriceOracle::setFjordCall {}.abi_encode(),
        ),
        (
            spec.is_isthmus_active_at_timestamp(timestamp),
            "GasPriceOracle.setIsthmus",
            GasPriceOracle::setIsthmusCall {}.abi_encode(),
        ),
        (
            spec.is_jovian_active_at_timestamp(timestamp),
            "GasPriceOracle.setJovian",
            GasPriceOracle::setJovianCall {}.abi_encode(),
        ),
    ] {
        if active {
            evm.call_from(what, DEPOSITOR_ACCOUNT, GAS_PRICE_ORACLE, call)?;
        }
    }
    Ok(())
}
