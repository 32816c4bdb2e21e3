//! The inputs of the OP Stack predeploys, as a chain spec's `genesisContracts.opPredeploys` key
//! holds them. Every field is optional; the defaults are development values (see
//! [`OpPredeployConfig::default`]) that a public chain spec replaces.

use crate::GenesisError;
use alloy_primitives::{Address, U256, address};
use serde::{Deserialize, Serialize};

/// The development fee recipient and ProxyAdmin owner: the first account of the "test test …
/// junk" mnemonic (anvil's and the `--dev` chain's account 0), whose key everybody knows.
pub const DEV_OP_ADMIN: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

/// The L1 chain id assumed without an `l1ChainId`: anvil's, the L1 of local devnets.
pub const DEV_L1_CHAIN_ID: u64 = 31_337;

/// Where a fee vault's `withdraw()` sends its balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum WithdrawalNetwork {
    /// To the recipient on L1, through the L2 bridge (needs the L1 counterparts).
    L1,
    /// To the recipient on this chain, a plain transfer.
    #[default]
    L2,
}

impl WithdrawalNetwork {
    /// The value of OP's `WithdrawalNetwork` enum (`L1` 0, `L2` 1).
    pub const fn abi_value(self) -> u8 {
        match self {
            Self::L1 => 0,
            Self::L2 => 1,
        }
    }
}

/// A fee vault's constructor arguments (its immutables).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeeVaultConfig {
    /// Who receives the fees.
    pub recipient: Address,
    /// The least balance a withdrawal sends, in wei.
    #[serde(default)]
    pub min_withdrawal_amount: U256,
    /// Where the fees go: `"L1"` or `"L2"`.
    #[serde(default)]
    pub withdrawal_network: WithdrawalNetwork,
}

impl FeeVaultConfig {
    /// A vault paying `recipient` on L2 whatever it holds.
    pub const fn to_l2(recipient: Address) -> Self {
        Self {
            recipient,
            min_withdrawal_amount: U256::ZERO,
            withdrawal_network: WithdrawalNetwork::L2,
        }
    }
}

/// Everything the OP predeploys are built from besides the chain spec itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct OpPredeployConfig {
    /// Owner of the ProxyAdmin predeploy, which may upgrade every predeploy proxy.
    pub proxy_admin_owner: Address,
    /// The L1CrossDomainMessenger (proxy) the L2CrossDomainMessenger pairs with.
    pub l1_cross_domain_messenger: Address,
    /// The L1StandardBridge (proxy) the L2StandardBridge pairs with.
    pub l1_standard_bridge: Address,
    /// The L1ERC721Bridge (proxy) the L2ERC721Bridge pairs with.
    #[serde(rename = "l1ERC721Bridge")]
    pub l1_erc721_bridge: Address,
    /// The L1's chain id (the remote chain of the OptimismMintableERC721Factory's tokens).
    pub l1_chain_id: u64,
    /// The SequencerFeeVault (priority fees).
    pub sequencer_fee_vault: FeeVaultConfig,
    /// The BaseFeeVault (base fees, which OP chains do not burn).
    pub base_fee_vault: FeeVaultConfig,
    /// The L1FeeVault (L1 data fees).
    pub l1_fee_vault: FeeVaultConfig,
    /// The OperatorFeeVault (Isthmus operator fees).
    pub operator_fee_vault: FeeVaultConfig,
}

impl Default for OpPredeployConfig {
    /// Development values: [`DEV_OP_ADMIN`] owns the ProxyAdmin and receives every fee vault's
    /// balance on L2 without a minimum; the L1 counterparts are the zero address (placeholders
    /// until L1 contracts exist: bridging then stays unusable until the proxies are upgraded and
    /// initialised again); the L1 chain id is [`DEV_L1_CHAIN_ID`].
    fn default() -> Self {
        Self {
            proxy_admin_owner: DEV_OP_ADMIN,
            l1_cross_domain_messenger: Address::ZERO,
            l1_standard_bridge: Address::ZERO,
            l1_erc721_bridge: Address::ZERO,
            l1_chain_id: DEV_L1_CHAIN_ID,
            sequencer_fee_vault: FeeVaultConfig::to_l2(DEV_OP_ADMIN),
            base_fee_vault: FeeVaultConfig::to_l2(DEV_OP_ADMIN),
            l1_fee_vault: FeeVaultConfig::to_l2(DEV_OP_ADMIN),
            operator_fee_vault: FeeVaultConfig::to_l2(DEV_OP_ADMIN),
        }
    }
}

impl OpPredeployConfig {
    /// The fee vaults by their spec key.
    pub const fn fee_vaults(&self) -> [(&'static str, &FeeVaultConfig); 4] {
        [
            ("sequencerFeeVault", &self.sequencer_fee_vault),
            ("baseFeeVault", &self.base_fee_vault),
            ("l1FeeVault", &self.l1_fee_vault),
            ("operatorFeeVault", &self.operator_fee_vault),
        ]
    }

    /// Checks what would leave a predeploy unusable or lose funds.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let invalid = |field: String, reason: &str| {
            Err(GenesisError::InvalidOpPredeploy { field, reason: reason.to_string() })
        };
        if self.proxy_admin_owner.is_zero() {
            return invalid("proxyAdminOwner".into(), "the zero address would own nothing");
        }
        if self.l1_chain_id == 0 {
            return invalid("l1ChainId".into(), "must not be 0");
        }
        for (key, vault) in self.fee_vaults() {
            if vault.recipient.is_zero() {
                return invalid(format!("{key}.recipient"), "the zero address would burn the fees");
            }
            // OP's vaults withdraw to L1 through the L2StandardBridge, whose L1 side must exist
            // (ours, the OperatorFeeVault, through the L2ToL1MessagePasser).
            if vault.withdrawal_network == WithdrawalNetwork::L1
                && key != "operatorFeeVault"
                && self.l1_standard_bridge.is_zero()
            {
                return invalid(
                    format!("{key}.withdrawalNetwork"),
                    "\"L1\" needs l1StandardBridge (withdrawals would go to a bridge that is not \
                     there)",
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_is_the_dev_config() {
        let config: OpPredeployConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, OpPredeployConfig::default());
        config.validate().unwrap();
    }

    #[test]
    fn spec_keys_parse() {
        let config: OpPredeployConfig = serde_json::from_value(serde_json::json!({
            "proxyAdminOwner": "0x0000000000000000000000000000000000000a01",
            "l1CrossDomainMessenger": "0x0000000000000000000000000000000000000b01",
            "l1StandardBridge": "0x0000000000000000000000000000000000000b02",
            "l1ERC721Bridge": "0x0000000000000000000000000000000000000b03",
            "l1ChainId": 11155111,
            "l1FeeVault": {
                "recipient": "0x0000000000000000000000000000000000000c01",
                "minWithdrawalAmount": "0x8ac7230489e80000",
                "withdrawalNetwork": "L1"
            }
        }))
        .unwrap();
        assert_eq!(config.l1_erc721_bridge, address!("0x0000000000000000000000000000000000000b03"));
        assert_eq!(config.l1_chain_id, 11_155_111);
        assert_eq!(config.l1_fee_vault.min_withdrawal_amount, U256::from(10u128.pow(19)));
        assert_eq!(config.l1_fee_vault.withdrawal_network, WithdrawalNetwork::L1);
        assert_eq!(config.base_fee_vault, FeeVaultConfig::to_l2(DEV_OP_ADMIN));
        config.validate().unwrap();
        let unknown =
            serde_json::from_value::<OpPredeployConfig>(serde_json::json!({"proxyAdmin": "0x00"}));
        assert!(unknown.unwrap_err().to_string().contains("proxyAdmin"));
    }

    #[test]
    fn bad_values_name_their_field() {
        let error = |edit: fn(&mut OpPredeployConfig)| {
            let mut config = OpPredeployConfig::default();
            edit(&mut config);
            config.validate().unwrap_err().to_string()
        };
        assert!(error(|c| c.proxy_admin_owner = Address::ZERO).contains("proxyAdminOwner"));
        assert!(error(|c| c.l1_chain_id = 0).contains("l1ChainId"));
        assert!(
            error(|c| c.base_fee_vault.recipient = Address::ZERO)
                .contains("opPredeploys.baseFeeVault.recipient")
        );
        let message = error(|c| c.sequencer_fee_vault.withdrawal_network = WithdrawalNetwork::L1);
        assert!(message.contains("sequencerFeeVault.withdrawalNetwork"), "{message}");
        // The operator fee vault withdraws through the message passer, without the bridge.
        let mut config = OpPredeployConfig::default();
        config.operator_fee_vault.withdrawal_network = WithdrawalNetwork::L1;
        config.validate().unwrap();
    }
}
