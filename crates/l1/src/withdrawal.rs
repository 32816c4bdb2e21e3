//! Withdrawals from L2 to L1: finding them, proving them on the OptimismPortal against an output
//! root on the L2OutputOracle, and finalizing them once the finalization period passed.
//!
//! [`WithdrawalClient`] reads the withdrawal from the L2 transaction's `MessagePassed` log, and
//! builds the proof from the L2 node's `eth_getBlockByNumber` (the output root's preimage) and
//! `eth_getProof` of the `L2ToL1MessagePasser` (the withdrawal's `sentMessages` slot) at the
//! output's block. Every portal call is first run with `eth_call`, so a call the portal would
//! refuse is reported with the portal's own reason ([`WithdrawalError::PortalRefused`]) and no
//! gas is spent on it.

use crate::{
    L1Call, L1Client, L1Error, L1Wallet,
    bindings::{IL2OutputOracle, IOptimismPortal, OutputRootProof, WithdrawalTransaction},
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rpc_types_eth::{BlockNumberOrTag, EIP1186AccountProofResponse, TransactionReceipt};
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use jsonrpsee::rpc_params;
use phala_protocol::withdrawal::{
    L2_TO_L1_MESSAGE_PASSER_ADDRESS, MESSAGE_PASSED_TOPIC, OUTPUT_ROOT_VERSION_0, Withdrawal,
    output_root_v0,
};
use std::time::Duration;

/// Why a withdrawal step failed.
#[derive(Debug, thiserror::Error)]
pub enum WithdrawalError {
    /// Talking to the L1 or the L2 failed.
    #[error(transparent)]
    Rpc(#[from] L1Error),
    /// The L2 has no receipt for the transaction.
    #[error("the L2 has no receipt for transaction {0} (not mined, or not an L2 transaction)")]
    UnknownTransaction(B256),
    /// The transaction initiated fewer withdrawals than the index asked for.
    #[error("transaction {tx} initiated {count} withdrawal(s); there is no withdrawal #{index}")]
    NoSuchWithdrawal {
        /// The L2 transaction.
        tx: B256,
        /// How many it has.
        count: usize,
        /// The index asked for.
        index: usize,
    },
    /// A `MessagePassed` log does not decode or states a wrong hash.
    #[error("transaction {tx}: {source}")]
    BadWithdrawalLog {
        /// The L2 transaction.
        tx: B256,
        /// The decoder's reason.
        #[source]
        source: phala_protocol::ProtocolError,
    },
    /// No output covering the withdrawal's block is on L1 yet.
    #[error(
        "no output root covers L2 block {l2_block} yet (the oracle's latest is block {latest}); \
         wait for the proposer"
    )]
    NotProposedYet {
        /// The withdrawal's L2 block.
        l2_block: u64,
        /// The oracle's latest proposed block.
        latest: u64,
    },
    /// The L2 node does not have the output's block.
    #[error("the L2 node has no block {0}")]
    MissingL2Block(u64),
    /// The output root the L2 node's data gives is not the one on L1.
    #[error(
        "output #{index} (L2 block {l2_block}): the oracle holds {on_l1}, the L2 node's block and \
         proof give {computed}"
    )]
    OutputRootMismatch {
        /// The output index.
        index: u64,
        /// Its L2 block.
        l2_block: u64,
        /// The root on the oracle.
        on_l1: B256,
        /// The root recomputed from the L2 node.
        computed: B256,
    },
    /// The portal refused the call (its own checks, run with `eth_call`).
    #[error("the OptimismPortal refuses {call}: {reason}")]
    PortalRefused {
        /// The portal function.
        call: &'static str,
        /// The portal's revert reason.
        reason: String,
    },
    /// The finalizing transaction ran, but the withdrawal's call on L1 failed.
    #[error(
        "withdrawal {0} was finalized but its call on L1 failed (see the portal's WithdrawalFinalized event)"
    )]
    CallFailed(B256),
    /// A contract's answer does not decode (not the contract the address was taken for).
    #[error("{contract} answered {call} with undecodable data (is it the right contract?)")]
    UndecodableAnswer {
        /// The contract.
        contract: Address,
        /// The call.
        call: &'static str,
    },
    /// An L2 answer does not decode.
    #[error("the L2 node's {method} answer is malformed: {reason}")]
    MalformedL2 {
        /// The method.
        method: &'static str,
        /// What was wrong.
        reason: String,
    },
}

/// The result type of withdrawal steps.
pub type WithdrawalResult<T> = Result<T, WithdrawalError>;

/// A withdrawal found in an L2 transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiatedWithdrawal {
    /// The withdrawal.
    pub withdrawal: Withdrawal,
    /// Its hash (the portal's key).
    pub hash: B256,
    /// The L2 block that holds it.
    pub l2_block: u64,
    /// The L2 transaction.
    pub l2_tx: B256,
}

/// Where a withdrawal stands, in viem's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalStatus {
    /// No output root on L1 covers its block yet.
    WaitingToProve {
        /// The oracle's latest proposed L2 block.
        latest_proposed: u64,
    },
    /// An output covers it: it can be proven.
    ReadyToProve {
        /// The first output that covers it.
        output_index: u64,
    },
    /// Proven; the finalization period has not passed.
    WaitingToFinalize {
        /// L1 time (seconds) from which it can be finalized.
        ready_at: u64,
    },
    /// Proven and past the finalization period.
    ReadyToFinalize,
    /// Finalized on L1.
    Finalized,
}

impl WithdrawalStatus {
    /// viem's name of the status.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::WaitingToProve { .. } => "waiting-to-prove",
            Self::ReadyToProve { .. } => "ready-to-prove",
            Self::WaitingToFinalize { .. } => "waiting-to-finalize",
            Self::ReadyToFinalize => "ready-to-finalize",
            Self::Finalized => "finalized",
        }
    }
}

/// The arguments of `proveWithdrawalTransaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProveArgs {
    /// The withdrawal.
    pub withdrawal: Withdrawal,
    /// The output to prove against.
    pub output_index: u64,
    /// The output root's preimage at the output's block.
    pub output_root_proof: OutputRootProofFields,
    /// The storage proof of the withdrawal's `sentMessages` slot, root first.
    pub withdrawal_proof: Vec<Bytes>,
}

/// The preimage of a version-0 output root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputRootProofFields {
    /// The L2 state root.
    pub state_root: B256,
    /// The message passer's storage root.
    pub message_passer_storage_root: B256,
    /// The L2 block hash.
    pub block_hash: B256,
}

/// The `sentMessages[hash]` slot of the message passer (the mapping is its slot 0).
pub fn sent_messages_slot(withdrawal_hash: B256) -> B256 {
    keccak256((withdrawal_hash, U256::ZERO).abi_encode())
}

fn withdrawal_tx(withdrawal: &Withdrawal) -> WithdrawalTransaction {
    WithdrawalTransaction {
        nonce: withdrawal.nonce,
        sender: withdrawal.sender,
        target: withdrawal.target,
        value: withdrawal.value,
        gasLimit: withdrawal.gas_limit,
        data: withdrawal.data.clone(),
    }
}

/// Proves and finalizes withdrawals of one rollup.
#[derive(Debug, Clone)]
pub struct WithdrawalClient {
    l1: L1Client,
    l2: L1Client,
    portal: Address,
    oracle: Address,
}

impl WithdrawalClient {
    /// A client of the rollup whose OptimismPortal is `portal` on the L1 of `l1`, with the L2
    /// node `l2`; the oracle is the one the portal names.
    pub async fn new(l1: L1Client, l2: L1Client, portal: Address) -> WithdrawalResult<Self> {
        let mut client = Self { l1, l2, portal, oracle: Address::ZERO };
        client.oracle = client.read(portal, IOptimismPortal::l2OracleCall {}).await?;
        Ok(client)
    }

    /// The L2OutputOracle.
    pub const fn oracle(&self) -> Address {
        self.oracle
    }

    async fn read<C: SolCall>(&self, to: Address, call: C) -> WithdrawalResult<C::Return> {
        let output = self
            .l1
            .call_contract(to, call.abi_encode().into())
            .await
            .map_err(|err| refusal_or(err, C::SIGNATURE))?;
        C::abi_decode_returns(&output)
            .map_err(|_| WithdrawalError::UndecodableAnswer { contract: to, call: C::SIGNATURE })
    }

    /// The withdrawals the L2 transaction `tx` initiated, in log order.
    pub async fn withdrawals_of(&self, tx: B256) -> WithdrawalResult<Vec<InitiatedWithdrawal>> {
        // Read as plain logs: the receipt may be a deposit's (type 0x7e), which the L1 receipt
        // type does not know.
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Receipt {
            block_number: Option<alloy_primitives::U64>,
            logs: Vec<alloy_rpc_types_eth::Log>,
        }
        let receipt: Option<Receipt> =
            self.l2.call("eth_getTransactionReceipt", rpc_params![tx]).await?;
        let receipt = receipt.ok_or(WithdrawalError::UnknownTransaction(tx))?;
        let l2_block =
            receipt.block_number.ok_or(WithdrawalError::UnknownTransaction(tx))?.to::<u64>();
        receipt
            .logs
            .iter()
            .filter(|log| {
                log.address() == L2_TO_L1_MESSAGE_PASSER_ADDRESS
                    && log.topics().first() == Some(&MESSAGE_PASSED_TOPIC)
            })
            .map(|log| {
                let withdrawal = Withdrawal::from_message_passed(&log.inner)
                    .map_err(|source| WithdrawalError::BadWithdrawalLog { tx, source })?;
                Ok(InitiatedWithdrawal { hash: withdrawal.hash(), withdrawal, l2_block, l2_tx: tx })
            })
            .collect()
    }

    /// Withdrawal `index` of the L2 transaction `tx`.
    pub async fn withdrawal(
        &self,
        tx: B256,
        index: usize,
    ) -> WithdrawalResult<InitiatedWithdrawal> {
        let all = self.withdrawals_of(tx).await?;
        let count = all.len();
        all.into_iter().nth(index).ok_or(WithdrawalError::NoSuchWithdrawal { tx, count, index })
    }

    /// Where `withdrawal` stands.
    pub async fn status(
        &self,
        withdrawal: &InitiatedWithdrawal,
    ) -> WithdrawalResult<WithdrawalStatus> {
        let portal = self.portal;
        if self
            .read(
                portal,
                IOptimismPortal::finalizedWithdrawalsCall { withdrawalHash: withdrawal.hash },
            )
            .await?
        {
            return Ok(WithdrawalStatus::Finalized);
        }
        let proven = self
            .read(
                portal,
                IOptimismPortal::provenWithdrawalsCall { withdrawalHash: withdrawal.hash },
            )
            .await?;
        if proven.timestamp != 0 {
            let period = self.finalization_period().await?;
            let output = self
                .read(
                    self.oracle,
                    IL2OutputOracle::getL2OutputCall {
                        _l2OutputIndex: U256::from(proven.l2OutputIndex),
                    },
                )
                .await?;
            // Both the proof and the output must have aged by the period.
            let ready_at = (proven.timestamp.max(output.timestamp) as u64).saturating_add(period);
            let now = self.l1_time().await?;
            return Ok(if now > ready_at {
                WithdrawalStatus::ReadyToFinalize
            } else {
                WithdrawalStatus::WaitingToFinalize { ready_at }
            });
        }
        Ok(match self.covering_output(withdrawal.l2_block).await? {
            Ok(output_index) => WithdrawalStatus::ReadyToProve { output_index },
            Err(latest_proposed) => WithdrawalStatus::WaitingToProve { latest_proposed },
        })
    }

    /// The index of the first output at or after `l2_block`, or `Err` with the newest proposed
    /// L2 block while no output covers it (the oracle's lookup reverts then).
    async fn covering_output(&self, l2_block: u64) -> WithdrawalResult<Result<u64, u64>> {
        let latest = self.latest_proposed().await?;
        if latest < l2_block || self.output_count().await? == 0 {
            return Ok(Err(latest));
        }
        let index = self
            .read(
                self.oracle,
                IL2OutputOracle::getL2OutputIndexAfterCall { _l2BlockNumber: U256::from(l2_block) },
            )
            .await?;
        Ok(Ok(index.saturating_to()))
    }

    async fn finalization_period(&self) -> WithdrawalResult<u64> {
        let period =
            self.read(self.oracle, IL2OutputOracle::finalizationPeriodSecondsCall {}).await?;
        Ok(period.saturating_to())
    }

    async fn latest_proposed(&self) -> WithdrawalResult<u64> {
        Ok(self.read(self.oracle, IL2OutputOracle::latestBlockNumberCall {}).await?.saturating_to())
    }

    async fn output_count(&self) -> WithdrawalResult<u64> {
        Ok(self.read(self.oracle, IL2OutputOracle::nextOutputIndexCall {}).await?.saturating_to())
    }

    async fn l1_time(&self) -> WithdrawalResult<u64> {
        let block = self.l1.expect_block_header(BlockNumberOrTag::Latest).await?;
        Ok(block.header.timestamp)
    }

    /// The arguments that prove `withdrawal` against output `output_index` (default: the first
    /// output that covers its block). The output root rebuilt from the L2 node must be the one on
    /// L1; that the withdrawal is in it is the portal's check.
    pub async fn prove_args(
        &self,
        withdrawal: &InitiatedWithdrawal,
        output_index: Option<u64>,
    ) -> WithdrawalResult<ProveArgs> {
        let index = match output_index {
            Some(index) => index,
            None => self.covering_output(withdrawal.l2_block).await?.map_err(|latest| {
                WithdrawalError::NotProposedYet { l2_block: withdrawal.l2_block, latest }
            })?,
        };
        let output = self
            .read(
                self.oracle,
                IL2OutputOracle::getL2OutputCall { _l2OutputIndex: U256::from(index) },
            )
            .await?;
        let l2_block = output.l2BlockNumber as u64;
        let block: Option<crate::L1Block> = self
            .l2
            .call("eth_getBlockByNumber", rpc_params![BlockNumberOrTag::Number(l2_block), false])
            .await?;
        let block = block.ok_or(WithdrawalError::MissingL2Block(l2_block))?;
        let slot = sent_messages_slot(withdrawal.hash);
        let proof: EIP1186AccountProofResponse = self
            .l2
            .call(
                "eth_getProof",
                rpc_params![
                    L2_TO_L1_MESSAGE_PASSER_ADDRESS,
                    vec![slot],
                    BlockNumberOrTag::Number(l2_block)
                ],
            )
            .await?;
        let storage =
            proof.storage_proof.into_iter().next().ok_or_else(|| WithdrawalError::MalformedL2 {
                method: "eth_getProof",
                reason: "no storage proof".into(),
            })?;
        let fields = OutputRootProofFields {
            state_root: block.header.state_root,
            message_passer_storage_root: proof.storage_hash,
            block_hash: block.header.hash,
        };
        let computed = output_root_v0(
            fields.state_root,
            fields.message_passer_storage_root,
            fields.block_hash,
        );
        if computed != output.outputRoot {
            return Err(WithdrawalError::OutputRootMismatch {
                index,
                l2_block,
                on_l1: output.outputRoot,
                computed,
            });
        }
        Ok(ProveArgs {
            withdrawal: withdrawal.withdrawal.clone(),
            output_index: index,
            output_root_proof: fields,
            withdrawal_proof: storage.proof,
        })
    }

    /// Proves a withdrawal on the portal with `args` from `wallet`; returns the L1 receipt.
    pub async fn prove(
        &self,
        wallet: &L1Wallet,
        args: &ProveArgs,
    ) -> WithdrawalResult<TransactionReceipt> {
        let data = IOptimismPortal::proveWithdrawalTransactionCall {
            _tx: withdrawal_tx(&args.withdrawal),
            _l2OutputIndex: U256::from(args.output_index),
            _outputRootProof: OutputRootProof {
                version: OUTPUT_ROOT_VERSION_0,
                stateRoot: args.output_root_proof.state_root,
                messagePasserStorageRoot: args.output_root_proof.message_passer_storage_root,
                latestBlockhash: args.output_root_proof.block_hash,
            },
            _withdrawalProof: args.withdrawal_proof.clone(),
        }
        .abi_encode();
        self.portal_transact(wallet, data.into(), "proveWithdrawalTransaction").await
    }

    /// Finalizes a proven withdrawal from `wallet`; returns the L1 receipt. A withdrawal whose
    /// call on L1 failed is an error ([`WithdrawalError::CallFailed`]).
    pub async fn finalize(
        &self,
        wallet: &L1Wallet,
        withdrawal: &InitiatedWithdrawal,
    ) -> WithdrawalResult<TransactionReceipt> {
        let data = IOptimismPortal::finalizeWithdrawalTransactionCall {
            _tx: withdrawal_tx(&withdrawal.withdrawal),
        }
        .abi_encode();
        let receipt =
            self.portal_transact(wallet, data.into(), "finalizeWithdrawalTransaction").await?;
        let succeeded = receipt.inner.logs().iter().any(|log| {
            log.address() == self.portal
                && IOptimismPortal::WithdrawalFinalized::decode_log(&log.inner)
                    .is_ok_and(|event| event.withdrawalHash == withdrawal.hash && event.success)
        });
        if !succeeded {
            return Err(WithdrawalError::CallFailed(withdrawal.hash));
        }
        Ok(receipt)
    }

    /// Runs `data` on the portal with `eth_call` (a refusal is reported with the portal's reason),
    /// then sends it and waits for the receipt.
    async fn portal_transact(
        &self,
        wallet: &L1Wallet,
        data: Bytes,
        call: &'static str,
    ) -> WithdrawalResult<TransactionReceipt> {
        let request =
            serde_json::json!({ "from": wallet.address(), "to": self.portal, "data": data });
        self.l1
            .call::<Bytes>("eth_call", rpc_params![request, BlockNumberOrTag::Latest])
            .await
            .map_err(|err| refusal_or(err, call))?;
        let tx = L1Call { to: Some(self.portal), data, ..Default::default() };
        let hash = wallet.send(&tx, None).await.map_err(|err| refusal_or(err, call))?;
        Ok(wallet.wait(hash, call, Duration::from_secs(120)).await?)
    }
}

/// A reverted call's error as the portal's refusal (with its decoded reason), any other error as
/// it is.
fn refusal_or(err: L1Error, call: &'static str) -> WithdrawalError {
    match revert_reason(&err) {
        Some(reason) => WithdrawalError::PortalRefused { call, reason },
        None => WithdrawalError::Rpc(err),
    }
}

/// The revert reason of a JSON-RPC error that reports an EVM revert: the decoded `Error(string)`
/// (or panic code, or custom error selector) of its data, else the node's message.
pub fn revert_reason(err: &L1Error) -> Option<String> {
    let L1Error::Rpc { source: jsonrpsee::core::ClientError::Call(object), .. } = err else {
        return None;
    };
    let data = object
        .data()
        .and_then(|raw| serde_json::from_str::<Bytes>(raw.get()).ok())
        .filter(|data| !data.is_empty());
    if let Some(data) = data {
        // `Error(string)`, the common case, is its text alone.
        if let Ok(revert) =
            <alloy_sol_types::Revert as alloy_sol_types::SolError>::abi_decode(&data)
        {
            return Some(revert.reason);
        }
        return Some(alloy_sol_types::decode_revert_reason(&data).unwrap_or_else(|| {
            format!("custom error 0x{}", alloy_primitives::hex::encode(&data[..data.len().min(4)]))
        }));
    }
    let message = object.message();
    message.to_ascii_lowercase().contains("revert").then(|| message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::{Revert, SolError};
    use jsonrpsee::{core::ClientError, types::ErrorObject};

    fn rpc_error(message: &str, data: Option<Bytes>) -> L1Error {
        L1Error::Rpc {
            method: "eth_call",
            source: ClientError::Call(ErrorObject::owned(3, message.to_string(), data)),
        }
    }

    #[test]
    fn sent_messages_slot_is_the_mapping_slot_of_the_hash() {
        let hash = B256::repeat_byte(0xab);
        let mut preimage = [0u8; 64];
        preimage[..32].copy_from_slice(hash.as_slice());
        assert_eq!(sent_messages_slot(hash), keccak256(preimage));
    }

    #[test]
    fn revert_reasons_are_decoded_from_the_error_data() {
        let reason = "OptimismPortal: withdrawal has already been finalized";
        let data = Bytes::from(Revert::from(reason).abi_encode());
        let err = rpc_error("execution reverted", Some(data));
        assert_eq!(revert_reason(&err).as_deref(), Some(reason));
        match refusal_or(err, "finalizeWithdrawalTransaction") {
            WithdrawalError::PortalRefused { call, reason: got } => {
                assert_eq!(call, "finalizeWithdrawalTransaction");
                assert_eq!(got, reason);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // A custom error is named by its selector.
        let custom =
            rpc_error("execution reverted", Some(Bytes::from_static(&[0x43, 0x17, 0x2a, 0xa9, 0])));
        assert_eq!(revert_reason(&custom).as_deref(), Some("custom error 0x43172aa9"));
        // Without data, a revert message is taken as it is; other errors are not refusals.
        let bare = rpc_error("execution reverted: paused", None);
        assert_eq!(revert_reason(&bare).as_deref(), Some("execution reverted: paused"));
        let other = rpc_error("nonce too low", None);
        assert!(revert_reason(&other).is_none());
        assert!(matches!(refusal_or(other, "x"), WithdrawalError::Rpc(_)));
    }

    #[test]
    fn statuses_have_viems_names() {
        let names: Vec<_> = [
            WithdrawalStatus::WaitingToProve { latest_proposed: 0 },
            WithdrawalStatus::ReadyToProve { output_index: 0 },
            WithdrawalStatus::WaitingToFinalize { ready_at: 0 },
            WithdrawalStatus::ReadyToFinalize,
            WithdrawalStatus::Finalized,
        ]
        .iter()
        .map(WithdrawalStatus::name)
        .collect();
        assert_eq!(
            names,
            [
                "waiting-to-prove",
                "ready-to-prove",
                "waiting-to-finalize",
                "ready-to-finalize",
                "finalized"
            ]
        );
    }
}
