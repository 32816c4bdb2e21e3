//! The OP Stack bytecode of the pinned npm package `@eth-optimism/contracts-bedrock` (0.17.3),
//! extracted by `build.rs` from `contracts/node_modules` at build time (never committed): the
//! creation code of the predeploys that genesis constructs, the `Proxy`'s runtime code, and the
//! preinstalls' runtime code.

use super::addresses::*;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolValue;

macro_rules! op_code {
    ($file:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/op/", $file))
    };
}

/// Forge's creation code of a contract of the package, by contract name: the predeploys genesis
/// constructs, and the L1 contracts (`Proxy`, `SuperchainConfig`, `OptimismPortal`,
/// `L2OutputOracle`, `SystemConfig`, `L1StandardBridge`, `L1CrossDomainMessenger`) the L1
/// deployer sends; `None` for any other.
pub fn creation_code(contract: &str) -> Option<&'static [u8]> {
    Some(match contract {
        "ProxyAdmin" => op_code!("ProxyAdmin.init"),
        "LegacyMessagePasser" => op_code!("LegacyMessagePasser.init"),
        "DeployerWhitelist" => op_code!("DeployerWhitelist.init"),
        "WETH" => op_code!("WETH.init"),
        "L2CrossDomainMessenger" => op_code!("L2CrossDomainMessenger.init"),
        "L2StandardBridge" => op_code!("L2StandardBridge.init"),
        "SequencerFeeVault" => op_code!("SequencerFeeVault.init"),
        "OptimismMintableERC20Factory" => op_code!("OptimismMintableERC20Factory.init"),
        "L1BlockNumber" => op_code!("L1BlockNumber.init"),
        "L2ERC721Bridge" => op_code!("L2ERC721Bridge.init"),
        "L2ToL1MessagePasser" => op_code!("L2ToL1MessagePasser.init"),
        "OptimismMintableERC721Factory" => op_code!("OptimismMintableERC721Factory.init"),
        "BaseFeeVault" => op_code!("BaseFeeVault.init"),
        "L1FeeVault" => op_code!("L1FeeVault.init"),
        "SchemaRegistry" => op_code!("SchemaRegistry.init"),
        "EAS" => op_code!("EAS.init"),
        "Proxy" => op_code!("Proxy.init"),
        "SuperchainConfig" => op_code!("SuperchainConfig.init"),
        "OptimismPortal" => op_code!("OptimismPortal.init"),
        "L2OutputOracle" => op_code!("L2OutputOracle.init"),
        "SystemConfig" => op_code!("SystemConfig.init"),
        "L1StandardBridge" => op_code!("L1StandardBridge.init"),
        "L1CrossDomainMessenger" => op_code!("L1CrossDomainMessenger.init"),
        _ => return None,
    })
}

/// Runtime code of OP's `Proxy` (EIP-1967 slots; the admin, or the zero address as OP's upgrade
/// transactions send, may upgrade it).
pub const PROXY_CODE: &[u8] = op_code!("Proxy.code");

/// Permit2's runtime code as the package templates it: Ethereum mainnet's deployment, whose
/// immutables `_CACHED_CHAIN_ID` and `_CACHED_DOMAIN_SEPARATOR` sit at these byte offsets.
const PERMIT2_TEMPLATE: &[u8] = op_code!("Permit2TemplateCode.code");
const PERMIT2_CHAIN_ID_AT: usize = 6945;
const PERMIT2_DOMAIN_SEPARATOR_AT: usize = 6983;

/// One preinstall: a contract with a fixed address on every OP chain (OP specs: preinstalls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preinstall {
    /// The name the package gives it.
    pub name: &'static str,
    /// Its address.
    pub address: Address,
    /// Its runtime code.
    pub code: Bytes,
}

/// The preinstalls of the package, and the EIP-2935 history contract (from alloy-eips; the
/// package predates Isthmus), with their code for chain `chain_id` (Permit2's EIP-712 domain
/// depends on it). EIP-4788's code comes from alloy-eips too; the package's copy is the same
/// (a test checks).
pub fn preinstalls(chain_id: u64) -> Vec<Preinstall> {
    let preinstall = |name, address, code: &'static [u8]| Preinstall {
        name,
        address,
        code: Bytes::from_static(code),
    };
    vec![
        preinstall("MultiCall3", MULTICALL3, op_code!("MultiCall3Code.code")),
        preinstall("Create2Deployer", CREATE2_DEPLOYER, op_code!("Create2DeployerCode.code")),
        preinstall("Safe_v130", SAFE_V130, op_code!("Safe_v130Code.code")),
        preinstall("SafeL2_v130", SAFE_L2_V130, op_code!("SafeL2_v130Code.code")),
        preinstall(
            "MultiSendCallOnly_v130",
            MULTI_SEND_CALL_ONLY_V130,
            op_code!("MultiSendCallOnly_v130Code.code"),
        ),
        preinstall(
            "SafeSingletonFactory",
            SAFE_SINGLETON_FACTORY,
            op_code!("SafeSingletonFactoryCode.code"),
        ),
        preinstall(
            "DeterministicDeploymentProxy",
            DETERMINISTIC_DEPLOYMENT_PROXY,
            op_code!("DeterministicDeploymentProxyCode.code"),
        ),
        preinstall("MultiSend_v130", MULTI_SEND_V130, op_code!("MultiSend_v130Code.code")),
        Preinstall { name: "Permit2", address: PERMIT2, code: permit2_code(chain_id) },
        preinstall("SenderCreator", SENDER_CREATOR_V060, op_code!("SenderCreatorCode.code")),
        preinstall("EntryPoint", ENTRY_POINT_V060, op_code!("EntryPointCode.code")),
        Preinstall {
            name: "BeaconBlockRoots",
            address: alloy_eips::eip4788::BEACON_ROOTS_ADDRESS,
            code: alloy_eips::eip4788::BEACON_ROOTS_CODE.clone(),
        },
        Preinstall {
            name: "HistoryStorage",
            address: alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS,
            code: alloy_eips::eip2935::HISTORY_STORAGE_CODE.clone(),
        },
    ]
}

/// Permit2's EIP-712 domain separator on chain `chain_id`: `keccak256(abi.encode(typeHash,
/// keccak256("Permit2"), chainId, permit2))`.
pub fn permit2_domain_separator(chain_id: u64) -> B256 {
    let type_hash =
        keccak256("EIP712Domain(string name,uint256 chainId,address verifyingContract)");
    keccak256((type_hash, keccak256("Permit2"), U256::from(chain_id), PERMIT2).abi_encode())
}

/// Permit2's code with the chain id and domain separator of chain `chain_id` in its immutables.
fn permit2_code(chain_id: u64) -> Bytes {
    let mut code = PERMIT2_TEMPLATE.to_vec();
    code[PERMIT2_CHAIN_ID_AT..PERMIT2_CHAIN_ID_AT + 32]
        .copy_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    code[PERMIT2_DOMAIN_SEPARATOR_AT..PERMIT2_DOMAIN_SEPARATOR_AT + 32]
        .copy_from_slice(permit2_domain_separator(chain_id).as_slice());
    code.into()
}

/// The package's own copy of the EIP-4788 code (compared with alloy-eips' in a test).
#[cfg(test)]
const PACKAGE_BEACON_ROOTS_CODE: &[u8] = op_code!("BeaconBlockRootsCode.code");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permit2_template_is_mainnets_deployment() {
        // The template's immutables are those of chain 1, exactly where they are replaced.
        assert_eq!(
            PERMIT2_TEMPLATE[PERMIT2_CHAIN_ID_AT..PERMIT2_CHAIN_ID_AT + 32],
            U256::from(1).to_be_bytes::<32>()
        );
        assert_eq!(
            &PERMIT2_TEMPLATE[PERMIT2_DOMAIN_SEPARATOR_AT..PERMIT2_DOMAIN_SEPARATOR_AT + 32],
            permit2_domain_separator(1).as_slice()
        );
        let ours = permit2_code(1337);
        assert_eq!(ours.len(), PERMIT2_TEMPLATE.len());
        assert_ne!(ours.as_ref(), PERMIT2_TEMPLATE);
    }

    #[test]
    fn package_beacon_roots_code_is_eip_4788s() {
        assert_eq!(PACKAGE_BEACON_ROOTS_CODE, alloy_eips::eip4788::BEACON_ROOTS_CODE.as_ref());
    }

    #[test]
    fn every_code_is_there() {
        for contract in [
            "ProxyAdmin",
            "WETH",
            "L2CrossDomainMessenger",
            "L2StandardBridge",
            "L2ToL1MessagePasser",
            "SequencerFeeVault",
            "BaseFeeVault",
            "L1FeeVault",
            "EAS",
        ] {
            assert!(creation_code(contract).is_some_and(|code| code.len() > 100), "{contract}");
        }
        assert!(creation_code("L1Block").is_none(), "L1Block is ours, not the package's");
        assert!(PROXY_CODE.len() > 1000);
        let preinstalls = preinstalls(1337);
        assert_eq!(preinstalls.len(), 13);
        let addresses: std::collections::BTreeSet<_> =
            preinstalls.iter().map(|p| p.address).collect();
        assert_eq!(addresses.len(), preinstalls.len());
        assert!(preinstalls.iter().all(|p| !p.code.is_empty()));
    }
}
