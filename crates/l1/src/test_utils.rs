//! Test helpers: anvil's well-known keys, and an anvil with the L1 contracts deployed.

use crate::{
    Anvil, AnvilConfig, L1Result, L1Wallet,
    deploy::{DeployConfig, L1Deployment, deploy_l1},
};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner};

/// anvil's mnemonic, which funds accounts 0–9.
pub const ANVIL_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Account `index` of anvil's mnemonic.
pub fn anvil_key(index: u32) -> PrivateKeySigner {
    MnemonicBuilder::from_phrase(ANVIL_MNEMONIC)
        .index(index)
        .and_then(|builder| builder.build())
        .expect("the mnemonic and index are valid")
}

/// The roles of a test deployment: admin 0, batcher 7, proposer 8, sequencer 9.
pub fn test_deploy_config(l2_chain_id: u64) -> DeployConfig {
    DeployConfig::dev(
        l2_chain_id,
        anvil_key(0).address(),
        anvil_key(7).address(),
        anvil_key(8).address(),
        anvil_key(9).address(),
    )
}

/// A fresh anvil (a block per transaction, anvil's default hardfork unless `hardfork`) with the
/// L1 contracts deployed by account 0 for L2 chain `l2_chain_id`, the oracle started too.
pub async fn deployed_anvil(
    l2_chain_id: u64,
    hardfork: Option<&str>,
) -> L1Result<(Anvil, L1Wallet, L1Deployment)> {
    let anvil =
        Anvil::spawn(&AnvilConfig { hardfork: hardfork.map(str::to_string), ..Default::default() })
            .await?;
    let wallet = L1Wallet::new(anvil.client()?, anvil_key(0)).await?;
    let deployment = deploy_l1(&wallet, &test_deploy_config(l2_chain_id)).await?;
    deployment.start_output_oracle(&wallet).await?;
    Ok((anvil, wallet, deployment))
}
