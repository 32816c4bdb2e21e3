//! [`L1Client`]: the L1 execution node's JSON-RPC, the calls the rollup services make.

use crate::{L1Error, L1Result};
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use alloy_rpc_types_eth::{Block, BlockNumberOrTag, Filter, Log, TransactionReceipt};
use jsonrpsee::{
    core::{client::ClientT, params::ArrayParams},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// A JSON-RPC client of the L1 execution node.
#[derive(Debug, Clone)]
pub struct L1Client {
    url: String,
    rpc: HttpClient,
}

/// An L1 block with its full transactions.
pub type L1Block = Block;

impl L1Client {
    /// A client of the node at `url` (`http://` or `https://`).
    pub fn new(url: &str) -> L1Result<Self> {
        let rpc = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(30))
            // A block of blob-carrying transactions with their inputs can be large.
            .max_response_size(256 * 1024 * 1024)
            .max_request_size(64 * 1024 * 1024)
            .build(url)
            .map_err(|source| L1Error::InvalidUrl { url: url.to_string(), source })?;
        Ok(Self { url: url.to_string(), rpc })
    }

    /// The URL it talks to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One JSON-RPC call.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        params: ArrayParams,
    ) -> L1Result<T> {
        self.rpc.request(method, params).await.map_err(|source| L1Error::Rpc { method, source })
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> L1Result<u64> {
        Ok(self.call::<U64>("eth_chainId", rpc_params![]).await?.to())
    }

    /// `eth_blockNumber`.
    pub async fn block_number(&self) -> L1Result<u64> {
        Ok(self.call::<U64>("eth_blockNumber", rpc_params![]).await?.to())
    }

    /// The block at `number` (or tag) with full transactions, if the node has it.
    pub async fn block_by_number(&self, number: BlockNumberOrTag) -> L1Result<Option<L1Block>> {
        self.call("eth_getBlockByNumber", rpc_params![number, true]).await
    }

    /// The block at `number` (or tag) with its transactions' hashes only, if the node has it:
    /// for its header, without the transfer of every transaction.
    pub async fn block_header_by_number(
        &self,
        number: BlockNumberOrTag,
    ) -> L1Result<Option<L1Block>> {
        self.call("eth_getBlockByNumber", rpc_params![number, false]).await
    }

    /// The block `hash` with full transactions, if the node has it.
    pub async fn block_by_hash(&self, hash: B256) -> L1Result<Option<L1Block>> {
        self.call("eth_getBlockByHash", rpc_params![hash, true]).await
    }

    /// The block at `number`, which must exist.
    pub async fn expect_block(&self, number: BlockNumberOrTag) -> L1Result<L1Block> {
        self.block_by_number(number).await?.ok_or_else(|| L1Error::MissingBlock(number.to_string()))
    }

    /// The header of the block at `number` (transactions as hashes), which must exist.
    pub async fn expect_block_header(&self, number: BlockNumberOrTag) -> L1Result<L1Block> {
        self.block_header_by_number(number)
            .await?
            .ok_or_else(|| L1Error::MissingBlock(number.to_string()))
    }

    /// The receipts of the block `hash`, in transaction order.
    pub async fn block_receipts(&self, hash: B256) -> L1Result<Vec<TransactionReceipt>> {
        let receipts: Option<Vec<TransactionReceipt>> =
            self.call("eth_getBlockReceipts", rpc_params![hash]).await?;
        receipts.ok_or_else(|| L1Error::MissingBlock(hash.to_string()))
    }

    /// `eth_getLogs`.
    pub async fn logs(&self, filter: &Filter) -> L1Result<Vec<Log>> {
        self.call("eth_getLogs", rpc_params![filter]).await
    }

    /// The receipt of `hash`, once mined.
    pub async fn receipt(&self, hash: B256) -> L1Result<Option<TransactionReceipt>> {
        self.call("eth_getTransactionReceipt", rpc_params![hash]).await
    }

    /// The account's nonce at `block` (`pending` counts the pool).
    pub async fn nonce(&self, address: Address, block: BlockNumberOrTag) -> L1Result<u64> {
        Ok(self.call::<U64>("eth_getTransactionCount", rpc_params![address, block]).await?.to())
    }

    /// The account's balance at the latest block.
    pub async fn balance(&self, address: Address) -> L1Result<U256> {
        self.call("eth_getBalance", rpc_params![address, BlockNumberOrTag::Latest]).await
    }

    /// The code at `address` at the latest block.
    pub async fn code(&self, address: Address) -> L1Result<Bytes> {
        self.call("eth_getCode", rpc_params![address, BlockNumberOrTag::Latest]).await
    }

    /// `eth_call` of `data` to `to` at the latest block.
    pub async fn call_contract(&self, to: Address, data: Bytes) -> L1Result<Bytes> {
        let request = serde_json::json!({ "to": to, "data": data });
        self.call("eth_call", rpc_params![request, BlockNumberOrTag::Latest]).await
    }

    /// anvil's `anvil_setCode`: puts `code` at `address` (development L1s only).
    pub async fn anvil_set_code(&self, address: Address, code: &Bytes) -> L1Result<()> {
        let _: serde_json::Value = self.call("anvil_setCode", rpc_params![address, code]).await?;
        Ok(())
    }

    /// `eth_sendRawTransaction`.
    pub async fn send_raw_transaction(&self, raw: &[u8]) -> L1Result<B256> {
        self.call("eth_sendRawTransaction", rpc_params![Bytes::copy_from_slice(raw)]).await
    }

    /// `eth_maxPriorityFeePerGas`.
    pub async fn max_priority_fee(&self) -> L1Result<u128> {
        Ok(self.call::<U256>("eth_maxPriorityFeePerGas", rpc_params![]).await?.to())
    }

    /// `eth_blobBaseFee`.
    pub async fn blob_base_fee(&self) -> L1Result<u128> {
        Ok(self.call::<U256>("eth_blobBaseFee", rpc_params![]).await?.to())
    }
}
