//! The OP Stack's fixed addresses (OP specs: predeploys, preinstalls): the predeploys in the
//! `0x4200…` namespace, their implementations in the `0xc0d3…` code namespace, the EIP-1967
//! proxy slots, and the preinstalls.

use alloy_primitives::{Address, B256, address, b256};
/// The predeploys the node itself needs (fee vaults, the message passer) are defined once, in
/// `phala_primitives::predeploys`.
pub use phala_primitives::predeploys::{
    BASE_FEE_VAULT, L1_FEE_VAULT, L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT,
};

/// The first address of the predeploy namespace.
pub const PREDEPLOY_NAMESPACE: Address = address!("0x4200000000000000000000000000000000000000");
/// How many addresses the predeploy namespace reserves (each gets a proxy at genesis).
pub const PREDEPLOY_COUNT: u16 = 2048;
/// The prefix of the implementations' addresses: a predeploy's implementation sits at this
/// address with the predeploy's low two bytes.
pub const CODE_NAMESPACE: Address = address!("0xc0D3C0d3C0d3C0D3c0d3C0d3c0D3C0d3c0d30000");

/// Legacy: the pre-Bedrock message passer.
pub const LEGACY_MESSAGE_PASSER: Address = address!("0x4200000000000000000000000000000000000000");
/// Legacy: the pre-Bedrock deployer whitelist.
pub const DEPLOYER_WHITELIST: Address = address!("0x4200000000000000000000000000000000000002");
/// WETH9 (not proxied).
pub const WETH: Address = address!("0x4200000000000000000000000000000000000006");
/// The L2CrossDomainMessenger.
pub const L2_CROSS_DOMAIN_MESSENGER: Address =
    address!("0x4200000000000000000000000000000000000007");
/// The GasPriceOracle.
pub const GAS_PRICE_ORACLE: Address = address!("0x420000000000000000000000000000000000000F");
/// The L2StandardBridge.
pub const L2_STANDARD_BRIDGE: Address = address!("0x4200000000000000000000000000000000000010");
/// The OptimismMintableERC20Factory.
pub const OPTIMISM_MINTABLE_ERC20_FACTORY: Address =
    address!("0x4200000000000000000000000000000000000012");
/// Legacy: the L1 block number (reads the L1Block).
pub const L1_BLOCK_NUMBER: Address = address!("0x4200000000000000000000000000000000000013");
/// The L2ERC721Bridge.
pub const L2_ERC721_BRIDGE: Address = address!("0x4200000000000000000000000000000000000014");
/// The L1Block: the L1 attributes and fee parameters.
pub const L1_BLOCK: Address = address!("0x4200000000000000000000000000000000000015");
/// The OptimismMintableERC721Factory.
pub const OPTIMISM_MINTABLE_ERC721_FACTORY: Address =
    address!("0x4200000000000000000000000000000000000017");
/// The ProxyAdmin: admin of every predeploy proxy.
pub const PROXY_ADMIN: Address = address!("0x4200000000000000000000000000000000000018");
/// The OperatorFeeVault: Isthmus operator fees.
pub const OPERATOR_FEE_VAULT: Address = address!("0x420000000000000000000000000000000000001b");
/// The EAS schema registry.
pub const SCHEMA_REGISTRY: Address = address!("0x4200000000000000000000000000000000000020");
/// The Ethereum Attestation Service.
pub const EAS: Address = address!("0x4200000000000000000000000000000000000021");
/// OP's governance token, which only OP Mainnet deploys (not proxied; left empty here).
pub const GOVERNANCE_TOKEN: Address = address!("0x4200000000000000000000000000000000000042");

/// The sender of the L1-attributes deposit and of the upgrade calls (no key is known).
pub const DEPOSITOR_ACCOUNT: Address = address!("0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001");

/// EIP-1967's implementation slot: `keccak256("eip1967.proxy.implementation") - 1`.
pub const EIP1967_IMPLEMENTATION_SLOT: B256 =
    b256!("0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
/// EIP-1967's admin slot: `keccak256("eip1967.proxy.admin") - 1`.
pub const EIP1967_ADMIN_SLOT: B256 =
    b256!("0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103");

/// Multicall3.
pub const MULTICALL3: Address = address!("0xcA11bde05977b3631167028862bE2a173976CA11");
/// Create2Deployer.
pub const CREATE2_DEPLOYER: Address = address!("0x13b0D85CcB8bf860b6b79AF3029fCA081AE9beF2");
/// Safe 1.3.0.
pub const SAFE_V130: Address = address!("0x69f4D1788e39c87893C980c06EdF4b7f686e2938");
/// SafeL2 1.3.0.
pub const SAFE_L2_V130: Address = address!("0xfb1bffC9d739B8D520DaF37dF666da4C687191EA");
/// MultiSendCallOnly 1.3.0.
pub const MULTI_SEND_CALL_ONLY_V130: Address =
    address!("0xA1dabEF33b3B82c7814B6D82A79e50F4AC44102B");
/// Safe's singleton factory.
pub const SAFE_SINGLETON_FACTORY: Address = address!("0x914d7Fec6aaC8cd542e72Bca78B30650d45643d7");
/// Arachnid's deterministic deployment proxy.
pub const DETERMINISTIC_DEPLOYMENT_PROXY: Address =
    address!("0x4e59b44847b379578588920cA78FbF26c0B4956C");
/// MultiSend 1.3.0.
pub const MULTI_SEND_V130: Address = address!("0x998739BFdAAdde7C933B942a68053933098f9EDa");
/// Uniswap's Permit2.
pub const PERMIT2: Address = address!("0x000000000022D473030F116dDEE9F6B43aC78BA3");
/// ERC-4337 v0.6.0 SenderCreator.
pub const SENDER_CREATOR_V060: Address = address!("0x7fc98430eAEdbb6070B35B39D798725049088348");
/// ERC-4337 v0.6.0 EntryPoint.
pub const ENTRY_POINT_V060: Address = address!("0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789");
/// The keyless sender that deploys the EIP-4788 contract (Ecotone's upgrade transaction).
pub const BEACON_ROOTS_SENDER: Address = address!("0x0B799C86a49DEeb90402691F1041aa3AF2d3C875");
/// The keyless sender that deploys the EIP-2935 contract (Isthmus' upgrade transaction).
pub const HISTORY_STORAGE_SENDER: Address = address!("0x3462413Af4609098e1E27A490f554f260213D685");

/// The predeploy at `index` of the namespace.
pub fn predeploy_address(index: u16) -> Address {
    let mut address = PREDEPLOY_NAMESPACE;
    address.0[18..].copy_from_slice(&index.to_be_bytes());
    address
}

/// Where the implementation of the predeploy `predeploy` sits: the code namespace with the
/// predeploy's low two bytes.
pub fn implementation_address(predeploy: Address) -> Address {
    let mut address = CODE_NAMESPACE;
    address.0[18..].copy_from_slice(&predeploy.0[18..]);
    address
}

/// Whether `address` is one of the namespace's [`PREDEPLOY_COUNT`] addresses.
pub fn is_predeploy_namespace(address: Address) -> bool {
    address.0[..18] == PREDEPLOY_NAMESPACE.0[..18]
        && u16::from_be_bytes([address.0[18], address.0[19]]) < PREDEPLOY_COUNT
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    #[test]
    fn namespaces() {
        assert_eq!(predeploy_address(0x15), L1_BLOCK);
        assert_eq!(
            predeploy_address(0x7ff),
            address!("0x42000000000000000000000000000000000007ff")
        );
        assert_eq!(
            implementation_address(GAS_PRICE_ORACLE),
            address!("0xc0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3000f")
        );
        assert!(is_predeploy_namespace(OPERATOR_FEE_VAULT));
        assert!(is_predeploy_namespace(predeploy_address(PREDEPLOY_COUNT - 1)));
        assert!(!is_predeploy_namespace(address!("0x4200000000000000000000000000000000000800")));
        assert!(!is_predeploy_namespace(implementation_address(L1_BLOCK)));
    }

    #[test]
    fn eip1967_slots() {
        use alloy_primitives::U256;
        let slot =
            |label: &str| B256::from(U256::from_be_bytes(keccak256(label).0) - U256::from(1));
        assert_eq!(slot("eip1967.proxy.implementation"), EIP1967_IMPLEMENTATION_SLOT);
        assert_eq!(slot("eip1967.proxy.admin"), EIP1967_ADMIN_SLOT);
    }
}
