//! [`L1Wallet`]: signs and sends L1 transactions from one key — EIP-1559 calls and creations, and
//! EIP-4844 blob transactions with the sidecar the L1's fork wants ([`BlobSidecarForm`]) — and
//! waits for their receipts.

use crate::{L1Client, L1Error, L1Result};
use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope,
};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::{Blob, BlobTransactionSidecar, env_settings::EnvKzgSettings},
    eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionReceipt};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::rpc_params;
use std::time::Duration;

/// Which sidecar an L1 accepts with a blob transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobSidecarForm {
    /// EIP-4844: one KZG proof per blob (Cancun, Prague).
    Eip4844,
    /// EIP-7594 (PeerDAS): cell proofs (Osaka and later).
    Eip7594,
}

/// An L1 transaction to sign: a call (or creation, with `to: None`) of `data` with `value`.
#[derive(Debug, Clone, Default)]
pub struct L1Call {
    /// The recipient; `None` creates a contract.
    pub to: Option<Address>,
    /// Wei sent along.
    pub value: U256,
    /// Calldata (or init code).
    pub data: Bytes,
    /// Gas limit; `None` estimates it (plus a margin).
    pub gas: Option<u64>,
}

/// A signed L1 transaction, ready to send (its hash known before it is sent, so a sender can
/// record it first).
#[derive(Debug, Clone)]
pub struct SignedL1Tx {
    /// The transaction hash.
    pub hash: B256,
    /// Its nonce.
    pub nonce: u64,
    /// Its gas limit (the wallet's estimate unless the call set one).
    pub gas_limit: u64,
    /// The network encoding (with the blob sidecar for a blob transaction).
    pub raw: Bytes,
    /// The versioned hashes of its blobs.
    pub blob_versioned_hashes: Vec<B256>,
}

/// Gas of a blob transaction: a call with no calldata to an account without code.
const BLOB_TX_GAS: u64 = 21_000;

/// A key that sends L1 transactions.
#[derive(Debug, Clone)]
pub struct L1Wallet {
    client: L1Client,
    signer: PrivateKeySigner,
    chain_id: u64,
}

/// The fees of a transaction sent now: (max fee, priority fee).
async fn fees(client: &L1Client) -> L1Result<(u128, u128)> {
    let priority = client.max_priority_fee().await?.max(1_000_000);
    let base = client
        .expect_block_header(BlockNumberOrTag::Latest)
        .await?
        .header
        .base_fee_per_gas
        .unwrap_or(1_000_000_000) as u128;
    // Room for the base fee to double before inclusion.
    Ok((base * 2 + priority, priority))
}

impl L1Wallet {
    /// A wallet of `signer` on the L1 of `client`.
    pub async fn new(client: L1Client, signer: PrivateKeySigner) -> L1Result<Self> {
        let chain_id = client.chain_id().await?;
        Ok(Self { client, signer, chain_id })
    }

    /// The wallet's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The client it sends through.
    pub const fn client(&self) -> &L1Client {
        &self.client
    }

    /// The next nonce, counting pending transactions.
    pub async fn pending_nonce(&self) -> L1Result<u64> {
        self.client.nonce(self.address(), BlockNumberOrTag::Pending).await
    }

    /// `nonce`, or the pending nonce when `None`.
    async fn nonce_or_pending(&self, nonce: Option<u64>) -> L1Result<u64> {
        match nonce {
            Some(nonce) => Ok(nonce),
            None => self.pending_nonce().await,
        }
    }

    async fn estimate(&self, call: &L1Call) -> L1Result<u64> {
        let mut request = serde_json::json!({
            "from": self.address(),
            "value": call.value,
            "input": call.data,
        });
        if let Some(to) = call.to {
            request["to"] = serde_json::json!(to);
        }
        let gas: alloy_primitives::U64 =
            self.client.call("eth_estimateGas", rpc_params![request]).await?;
        // A margin for state that changes between estimation and inclusion.
        Ok(gas.to::<u64>() * 6 / 5 + 10_000)
    }

    /// Signs `call` with `nonce` (the pending nonce when `None`) at the current fees multiplied by
    /// `fee_multiplier` (2 or more replaces a pending transaction of the same nonce).
    pub async fn sign(
        &self,
        call: &L1Call,
        nonce: Option<u64>,
        fee_multiplier: u128,
    ) -> L1Result<SignedL1Tx> {
        let nonce = self.nonce_or_pending(nonce).await?;
        let gas_limit = match call.gas {
            Some(gas) => gas,
            None => self.estimate(call).await?,
        };
        let (max_fee_per_gas, max_priority_fee_per_gas) = fees(&self.client).await?;
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: max_fee_per_gas * fee_multiplier,
            max_priority_fee_per_gas: max_priority_fee_per_gas * fee_multiplier,
            to: call.to.map_or(TxKind::Create, TxKind::Call),
            value: call.value,
            access_list: Default::default(),
            input: call.data.clone(),
        };
        let signature = self.signer.sign_hash_sync(&tx.signature_hash())?;
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        Ok(SignedL1Tx {
            hash: *envelope.tx_hash(),
            nonce,
            gas_limit,
            raw: envelope.encoded_2718().into(),
            blob_versioned_hashes: Vec::new(),
        })
    }

    /// Signs a blob transaction to `to` carrying `blobs`, with the sidecar `form`, at the current
    /// fees (and blob base fee) multiplied by `fee_multiplier`.
    pub async fn sign_blobs(
        &self,
        to: Address,
        blobs: Vec<Blob>,
        form: BlobSidecarForm,
        nonce: Option<u64>,
        fee_multiplier: u128,
    ) -> L1Result<SignedL1Tx> {
        let nonce = self.nonce_or_pending(nonce).await?;
        let (max_fee_per_gas, max_priority_fee_per_gas) = fees(&self.client).await?;
        let blob_fee = self.client.blob_base_fee().await?.max(1);
        let sidecar = match form {
            BlobSidecarForm::Eip4844 => BlobTransactionSidecarVariant::Eip4844(
                BlobTransactionSidecar::try_from_blobs_with_settings(
                    blobs,
                    EnvKzgSettings::Default.get(),
                )?,
            ),
            BlobSidecarForm::Eip7594 => BlobTransactionSidecarVariant::Eip7594(
                BlobTransactionSidecarEip7594::try_from_blobs(blobs)?,
            ),
        };
        let blob_versioned_hashes: Vec<B256> = sidecar.versioned_hashes().collect();
        let tx = TxEip4844 {
            chain_id: self.chain_id,
            nonce,
            gas_limit: BLOB_TX_GAS,
            max_fee_per_gas: max_fee_per_gas * fee_multiplier,
            max_priority_fee_per_gas: max_priority_fee_per_gas * fee_multiplier,
            to,
            value: U256::ZERO,
            access_list: Default::default(),
            blob_versioned_hashes: blob_versioned_hashes.clone(),
            // Room for the blob base fee to rise while the transaction waits.
            max_fee_per_blob_gas: blob_fee * 4 * fee_multiplier,
            input: Bytes::new(),
        };
        let signature = self.signer.sign_hash_sync(&tx.signature_hash())?;
        let signed = TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar { tx, sidecar })
            .into_signed(signature);
        let envelope = TxEnvelope::from(signed);
        Ok(SignedL1Tx {
            hash: *envelope.tx_hash(),
            nonce,
            gas_limit: BLOB_TX_GAS,
            raw: envelope.encoded_2718().into(),
            blob_versioned_hashes,
        })
    }

    /// Sends a signed transaction; returns its hash.
    pub async fn send_signed(&self, tx: &SignedL1Tx) -> L1Result<B256> {
        self.client.send_raw_transaction(&tx.raw).await
    }

    /// Signs `call` with `nonce` (the pending nonce when `None`) and sends it; returns its hash.
    pub async fn send(&self, call: &L1Call, nonce: Option<u64>) -> L1Result<B256> {
        let tx = self.sign(call, nonce, 1).await?;
        self.send_signed(&tx).await
    }

    /// Sends a blob transaction to `to` carrying `blobs` with the sidecar `form`; returns its
    /// hash and the blobs' versioned hashes.
    pub async fn send_blobs(
        &self,
        to: Address,
        blobs: Vec<Blob>,
        form: BlobSidecarForm,
        nonce: Option<u64>,
    ) -> L1Result<(B256, Vec<B256>)> {
        let tx = self.sign_blobs(to, blobs, form, nonce, 1).await?;
        let hash = self.send_signed(&tx).await?;
        Ok((hash, tx.blob_versioned_hashes))
    }

    /// Waits (up to `timeout`) for `hash` to be mined; a reverted transaction is an error.
    pub async fn wait(
        &self,
        hash: B256,
        what: &'static str,
        timeout: Duration,
    ) -> L1Result<TransactionReceipt> {
        let started = tokio::time::Instant::now();
        loop {
            if let Some(receipt) = self.client.receipt(hash).await? {
                if !receipt.status() {
                    return Err(L1Error::Reverted { hash, what });
                }
                return Ok(receipt);
            }
            if started.elapsed() > timeout {
                return Err(L1Error::NotMined { hash, what, seconds: timeout.as_secs() });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends `call` and waits for its successful receipt.
    pub async fn transact(
        &self,
        call: &L1Call,
        what: &'static str,
    ) -> L1Result<TransactionReceipt> {
        let hash = self.send(call, None).await?;
        self.wait(hash, what, Duration::from_secs(60)).await
    }
}

/// The sidecar form the L1 behind `client` takes now: EIP-7594 cell proofs once Osaka is active
/// (its `eth_config` lists Osaka's P256VERIFY precompile), EIP-4844 proofs otherwise (also when
/// the node has no `eth_config`).
pub async fn blob_sidecar_form(client: &L1Client) -> BlobSidecarForm {
    let config: L1Result<serde_json::Value> = client.call("eth_config", rpc_params![]).await;
    match config {
        Ok(config) if config["current"]["precompiles"].get("P256VERIFY").is_some() => {
            BlobSidecarForm::Eip7594
        }
        _ => BlobSidecarForm::Eip4844,
    }
}

/// The blob base fee update fraction of the L1's current fork (`eth_config`), or Prague's when the
/// node does not say. Sequencer and verifier compute each L1 origin's blob base fee with it.
pub async fn blob_base_fee_update_fraction(client: &L1Client) -> u128 {
    let config: L1Result<serde_json::Value> = client.call("eth_config", rpc_params![]).await;
    config
        .ok()
        .and_then(|config| config["current"]["blobSchedule"]["baseFeeUpdateFraction"].as_u64())
        .map_or(alloy_eips::eip7691::BLOB_GASPRICE_UPDATE_FRACTION_PECTRA, u128::from)
}
