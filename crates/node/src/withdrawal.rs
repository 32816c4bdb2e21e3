//! `phala-node withdrawal status|prove|finalize`: a withdrawal from L2 to L1 without a bridge
//! UI. The L2 transaction that initiated it (`L2StandardBridge.withdraw`,
//! `L2CrossDomainMessenger.sendMessage` or `L2ToL1MessagePasser.initiateWithdrawal`) names it;
//! the L1 and L2 endpoints and the portal come from flags or from a devnet's `devnet.json`.

use crate::NodeError;
use alloy_primitives::{Address, B256};
use clap::{Args, Subcommand};
use phala_l1::{
    L1Client, L1Wallet, WithdrawalClient, WithdrawalError, WithdrawalStatus,
    withdrawal::InitiatedWithdrawal,
};
use std::path::PathBuf;

/// `phala-node withdrawal` subcommands.
#[derive(Debug, Subcommand)]
pub enum WithdrawalCommand {
    /// Where the withdrawal stands: waiting-to-prove, ready-to-prove, waiting-to-finalize,
    /// ready-to-finalize or finalized.
    Status(WithdrawalTarget),
    /// Prove the withdrawal on the OptimismPortal against an output root on L1.
    Prove {
        /// The withdrawal.
        #[command(flatten)]
        target: WithdrawalTarget,
        /// The L1 key that sends the proof (hex).
        #[arg(long = "private-key", value_name = "HEX")]
        private_key: String,
        /// The output to prove against (default: the first that covers the withdrawal's block).
        #[arg(long = "output-index", value_name = "N")]
        output_index: Option<u64>,
    },
    /// Finalize a proven withdrawal once the finalization period has passed.
    Finalize {
        /// The withdrawal.
        #[command(flatten)]
        target: WithdrawalTarget,
        /// The L1 key that sends the transaction (hex); anyone may finalize.
        #[arg(long = "private-key", value_name = "HEX")]
        private_key: String,
    },
}

/// Which withdrawal, and where the chains are.
#[derive(Debug, Clone, Args)]
pub struct WithdrawalTarget {
    /// The L2 transaction that initiated the withdrawal.
    #[arg(long, value_name = "HASH")]
    pub tx: B256,
    /// Which of the transaction's withdrawals (in log order).
    #[arg(long, default_value_t = 0)]
    pub index: usize,
    /// A devnet's `devnet.json`: the L1 and L2 URLs and the portal, unless given by flags.
    #[arg(long, value_name = "FILE")]
    pub devnet: Option<PathBuf>,
    /// The L1 JSON-RPC URL.
    #[arg(long = "l1.rpc", value_name = "URL")]
    pub l1_rpc: Option<String>,
    /// The L2 JSON-RPC URL.
    #[arg(long = "l2.rpc", value_name = "URL")]
    pub l2_rpc: Option<String>,
    /// The OptimismPortal (proxy) on L1.
    #[arg(long, value_name = "ADDRESS")]
    pub portal: Option<Address>,
}

fn flag(flag: &'static str) -> impl FnOnce(String) -> NodeError {
    move |message| NodeError::Flag { flag, message }
}

impl WithdrawalTarget {
    /// The client, the withdrawal and the L1 URL the flags name.
    async fn resolve(&self) -> Result<Resolved, NodeError> {
        let devnet = match &self.devnet {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| NodeError::Read { path: path.clone(), source })?;
                Some(serde_json::from_str::<crate::devnet::DevnetInfo>(&text).map_err(|err| {
                    NodeError::Flag {
                        flag: "--devnet",
                        message: format!("{} is not a devnet.json: {err}", path.display()),
                    }
                })?)
            }
            None => None,
        };
        let missing = |name: &'static str| NodeError::Flag {
            flag: name,
            message: "required (or --devnet <devnet.json>)".into(),
        };
        let l1_url = self
            .l1_rpc
            .clone()
            .or_else(|| devnet.as_ref().map(|d| d.l1.rpc.clone()))
            .ok_or_else(|| missing("--l1.rpc"))?;
        let l2_url = self
            .l2_rpc
            .clone()
            .or_else(|| devnet.as_ref().map(|d| d.l2.rpc.clone()))
            .ok_or_else(|| missing("--l2.rpc"))?;
        let portal = self
            .portal
            .or_else(|| devnet.as_ref().map(|d| d.addresses.optimism_portal_proxy))
            .ok_or_else(|| missing("--portal"))?;
        let l1 = L1Client::new(&l1_url).map_err(|err| flag("--l1.rpc")(err.to_string()))?;
        let l2 = L1Client::new(&l2_url).map_err(|err| flag("--l2.rpc")(err.to_string()))?;
        let client = WithdrawalClient::new(l1, l2, portal).await.map_err(|err| match err {
            WithdrawalError::Rpc(err) => flag("--l1.rpc")(err.to_string()),
            other => flag("--portal")(other.to_string()),
        })?;
        let withdrawal = client.withdrawal(self.tx, self.index).await.map_err(|err| match err {
            WithdrawalError::Rpc(err) => flag("--l2.rpc")(err.to_string()),
            other => flag("--tx")(other.to_string()),
        })?;
        Ok(Resolved { client, withdrawal, l1_url })
    }
}

/// What a [`WithdrawalTarget`] names.
struct Resolved {
    client: WithdrawalClient,
    withdrawal: InitiatedWithdrawal,
    l1_url: String,
}

/// The L1 wallet of `--private-key` on the client's L1.
async fn wallet(url: &str, key: &str) -> Result<L1Wallet, NodeError> {
    let signer: alloy_signer_local::PrivateKeySigner = key
        .trim()
        .parse()
        .map_err(|err| flag("--private-key")(format!("not a private key: {err}")))?;
    let client = L1Client::new(url).map_err(|err| flag("--l1.rpc")(err.to_string()))?;
    L1Wallet::new(client, signer).await.map_err(|err| flag("--l1.rpc")(err.to_string()))
}

/// Runs a withdrawal command; returns the JSON it prints.
pub async fn run(command: WithdrawalCommand) -> Result<serde_json::Value, NodeError> {
    let step = |err: WithdrawalError| NodeError::Withdrawal(Box::new(err));
    match command {
        WithdrawalCommand::Status(target) => {
            let Resolved { client, withdrawal, .. } = target.resolve().await?;
            let status = client.status(&withdrawal).await.map_err(step)?;
            let mut json = describe(&withdrawal);
            json["status"] = status.name().into();
            match status {
                WithdrawalStatus::WaitingToProve { latest_proposed } => {
                    json["latestProposedL2Block"] = latest_proposed.into();
                }
                WithdrawalStatus::ReadyToProve { output_index } => {
                    json["outputIndex"] = output_index.into();
                }
                WithdrawalStatus::WaitingToFinalize { ready_at } => {
                    json["finalizableAt"] = ready_at.into();
                }
                WithdrawalStatus::ReadyToFinalize | WithdrawalStatus::Finalized => {}
            }
            Ok(json)
        }
        WithdrawalCommand::Prove { target, private_key, output_index } => {
            let Resolved { client, withdrawal, l1_url } = target.resolve().await?;
            let wallet = wallet(&l1_url, &private_key).await?;
            let args = client.prove_args(&withdrawal, output_index).await.map_err(step)?;
            let receipt = client.prove(&wallet, &args).await.map_err(step)?;
            let mut json = describe(&withdrawal);
            json["outputIndex"] = args.output_index.into();
            json["l1Transaction"] = receipt.transaction_hash.to_string().into();
            json["l1GasUsed"] = receipt.gas_used.into();
            Ok(json)
        }
        WithdrawalCommand::Finalize { target, private_key } => {
            let Resolved { client, withdrawal, l1_url } = target.resolve().await?;
            let wallet = wallet(&l1_url, &private_key).await?;
            let receipt = client.finalize(&wallet, &withdrawal).await.map_err(step)?;
            let mut json = describe(&withdrawal);
            json["l1Transaction"] = receipt.transaction_hash.to_string().into();
            json["l1GasUsed"] = receipt.gas_used.into();
            Ok(json)
        }
    }
}

fn describe(withdrawal: &InitiatedWithdrawal) -> serde_json::Value {
    serde_json::json!({
        "withdrawalHash": withdrawal.hash,
        "l2Transaction": withdrawal.l2_tx,
        "l2Block": withdrawal.l2_block,
        "sender": withdrawal.withdrawal.sender,
        "target": withdrawal.withdrawal.target,
        "value": withdrawal.withdrawal.value.to_string(),
    })
}
