//! Stored blocks, transactions and receipts turned into their JSON-RPC shapes.

use crate::{
    cache::CachedBlock,
    context::NodeContext,
    error::{RpcError, RpcResult},
};
use alloy_consensus::{
    Transaction as _,
    transaction::{Recovered, SignerRecoverable},
};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, B256, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{BlockTransactions, Header as RpcHeader, Log, TransactionReceipt};
use op_alloy_consensus::OpReceiptEnvelope;
use phala_primitives::{
    Block, ChainSpec, Header, PhalaReceiptEnvelope, PhalaTxEnvelope, ReceiptEnvelope,
};
use phala_protocol::{l1_fee::l1_fee_receipt_fields, l1_info::L1BlockInfo};
use phala_storage::KeyValueRead;
use serde::{Deserialize, Serialize};

/// A transaction in its JSON-RPC shape. A deposit renders as op-geth's: `sourceHash`, `mint`,
/// `isSystemTx`, a zero signature and gas price, and, once mined, its `nonce` and
/// `depositReceiptVersion` from the receipt.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Transaction {
    /// The Ethereum fields (and a deposit's own).
    #[serde(flatten)]
    pub inner: alloy_rpc_types_eth::Transaction<PhalaTxEnvelope>,
    /// A mined deposit's nonce (its receipt's `depositNonce`).
    #[serde(default, with = "alloy_serde::quantity::opt")]
    pub deposit_nonce: Option<u64>,
    /// A mined deposit's receipt version (from Canyon).
    #[serde(default, rename = "depositReceiptVersion", with = "alloy_serde::quantity::opt")]
    pub deposit_receipt_version: Option<u64>,
}

impl Serialize for Transaction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let Some(deposit) = self.inner.inner.as_deposit() else {
            return self.inner.serialize(serializer);
        };
        // A deposit goes through a JSON map, so that its `from` (in the transaction and in the
        // recovered wrapper) appears once.
        let mut value = serde_json::to_value(&self.inner).map_err(S::Error::custom)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("isSystemTx".into(), deposit.is_system_transaction.into());
            if let Some(nonce) = self.deposit_nonce {
                map.insert("nonce".into(), format!("{nonce:#x}").into());
            }
            if let Some(version) = self.deposit_receipt_version {
                map.insert("depositReceiptVersion".into(), format!("{version:#x}").into());
            }
        }
        value.serialize(serializer)
    }
}

/// A block in its JSON-RPC shape.
pub type RpcBlock = alloy_rpc_types_eth::Block<Transaction>;

/// A receipt's consensus part in its JSON-RPC shape: Ethereum's, or an OP deposit's with
/// `depositNonce` and `depositReceiptVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RpcReceiptEnvelope {
    /// The receipt of an Ethereum transaction.
    Ethereum(ReceiptEnvelope<Log>),
    /// The receipt of a deposit (only that variant of the OP envelope is used).
    Deposit(OpReceiptEnvelope<Log>),
}

/// A receipt in its JSON-RPC shape; on an OP chain a non-deposit's carries the L1 fee fields
/// (`l1Fee`, `l1GasPrice`, `l1GasUsed`, the scalars, the operator fee ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RpcReceipt {
    /// The Ethereum fields.
    #[serde(flatten)]
    pub inner: TransactionReceipt<RpcReceiptEnvelope>,
    /// The OP L1 fee fields (all absent on an Ethereum chain and for deposits).
    #[serde(flatten)]
    pub l1_block_info: op_alloy_rpc_types::L1BlockInfo,
}

/// The JSON-RPC block, with full transactions or only their hashes.
pub fn rpc_block(hash: B256, block: Block, full: bool, impersonation: bool) -> RpcResult<RpcBlock> {
    let senders = if full {
        block
            .body
            .transactions
            .iter()
            .map(|tx| sender(tx, impersonation))
            .collect::<RpcResult<Vec<_>>>()?
    } else {
        Vec::new()
    };
    Ok(rpc_block_with_senders(hash, block, &senders, full))
}

/// The JSON-RPC block with the transactions' senders already known (one per transaction, read
/// only when `full`): simulated blocks carry unsigned transactions whose sender is the call's.
pub fn rpc_block_with_senders(
    hash: B256,
    block: Block,
    senders: &[Address],
    full: bool,
) -> RpcBlock {
    let size = block.length();
    let Block { header, body } = block;
    let transactions = if full {
        let txs = body
            .transactions
            .into_iter()
            .zip(senders)
            .enumerate()
            .map(|(index, (tx, sender))| {
                rpc_transaction(tx, *sender, Some(TxBlockInfo::new(hash, &header, index as u64)))
            })
            .collect();
        BlockTransactions::Full(txs)
    } else {
        BlockTransactions::Hashes(body.transactions.iter().map(|tx| *tx.tx_hash()).collect())
    };
    RpcBlock {
        header: RpcHeader {
            hash,
            inner: header,
            total_difficulty: None,
            size: Some(U256::from(size)),
        },
        uncles: body.ommers.iter().map(Header::hash_slow).collect(),
        transactions,
        withdrawals: body.withdrawals,
    }
}

/// Where a mined transaction sits.
#[derive(Debug, Clone, Copy)]
pub struct TxBlockInfo {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
    /// Index in the block.
    pub index: u64,
    /// Base fee of the block.
    pub base_fee: Option<u64>,
}

impl TxBlockInfo {
    /// Transaction `index` of the block `hash` with `header`.
    pub const fn new(hash: B256, header: &Header, index: u64) -> Self {
        Self {
            hash,
            number: header.number,
            timestamp: header.timestamp,
            index,
            base_fee: header.base_fee_per_gas,
        }
    }
}

pub use phala_chain::gas_used_per_tx;

/// The JSON-RPC transaction; `block` is `None` for a pooled transaction.
pub fn rpc_transaction(
    tx: PhalaTxEnvelope,
    sender: Address,
    block: Option<TxBlockInfo>,
) -> Transaction {
    let effective_gas_price = match block {
        Some(info) => Some(tx.effective_gas_price(info.base_fee)),
        // geth reports gasPrice = maxFeePerGas for pending dynamic-fee transactions.
        None => Some(tx.max_fee_per_gas()),
    };
    Transaction {
        inner: alloy_rpc_types_eth::Transaction {
            inner: Recovered::new_unchecked(tx, sender),
            block_hash: block.map(|info| info.hash),
            block_number: block.map(|info| info.number),
            transaction_index: block.map(|info| info.index),
            effective_gas_price,
            block_timestamp: block.map(|info| info.timestamp),
        },
        deposit_nonce: None,
        deposit_receipt_version: None,
    }
}

/// A mined deposit's nonce and receipt version, from its receipt.
fn fill_deposit_fields(tx: &mut Transaction, receipt: Option<&PhalaReceiptEnvelope>) {
    if let Some(deposit) = receipt.and_then(PhalaReceiptEnvelope::as_deposit) {
        tx.deposit_nonce = deposit.deposit_nonce;
        tx.deposit_receipt_version = deposit.deposit_receipt_version;
    }
}

/// A stored block in its JSON-RPC shape, its deposits with their receipts' nonce and version.
pub fn mined_block(ctx: &NodeContext, hash: B256, block: Block, full: bool) -> RpcResult<RpcBlock> {
    let has_deposits = full && block.body.transactions.iter().any(PhalaTxEnvelope::is_deposit);
    let receipts =
        if has_deposits { ctx.db().receipts(hash)?.unwrap_or_default() } else { Vec::new() };
    let mut rpc = rpc_block(hash, block, full, ctx.dev().is_some())?;
    if let BlockTransactions::Full(txs) = &mut rpc.transactions {
        for (tx, receipt) in txs.iter_mut().zip(&receipts) {
            fill_deposit_fields(tx, Some(receipt));
        }
    }
    Ok(rpc)
}

/// Transaction `index` of a stored block in its JSON-RPC shape (a deposit with its receipt's
/// nonce and version); `None` past the block's last transaction.
pub fn mined_transaction(
    cached: &CachedBlock,
    index: usize,
    impersonation: bool,
) -> RpcResult<Option<Transaction>> {
    let block = cached.block();
    let Some(tx) = block.body.transactions.get(index) else { return Ok(None) };
    let sender = cached.sender(index, impersonation)?;
    let info = TxBlockInfo::new(cached.hash(), &block.header, index as u64);
    let mut rpc = rpc_transaction(tx.clone(), sender, Some(info));
    if tx.is_deposit() {
        fill_deposit_fields(&mut rpc, cached.receipts().get(index));
    }
    Ok(Some(rpc))
}

/// A stored transaction's sender: with `impersonation` (a dev chain), the address an
/// impersonated transaction names; otherwise recovered from the signature.
pub fn sender(tx: &PhalaTxEnvelope, impersonation: bool) -> RpcResult<Address> {
    if impersonation && let Some(sender) = phala_engine::dev::impersonated_sender_of(tx) {
        return Ok(sender);
    }
    recover(tx)
}

/// Recovers a stored transaction's sender (stored transactions were validated on import).
pub fn recover(tx: &PhalaTxEnvelope) -> RpcResult<Address> {
    tx.recover_signer()
        .map_err(|_| RpcError::Internal(format!("bad signature in stored tx {}", tx.tx_hash())))
}

/// All receipts of a stored block in their JSON-RPC shape.
pub fn rpc_block_receipts(
    spec: &ChainSpec,
    cached: &CachedBlock,
    impersonation: bool,
) -> RpcResult<Vec<RpcReceipt>> {
    let block = cached.block();
    let context = ReceiptContext::new(spec, cached.hash(), block);
    let receipts = cached.receipts();
    let gas_used: Vec<u64> = gas_used_per_tx(receipts).collect();
    let mut log_index = 0u64;
    let mut out = Vec::with_capacity(receipts.len());
    for (index, ((tx, receipt), gas_used)) in
        block.body.transactions.iter().zip(receipts).zip(gas_used).enumerate()
    {
        let sender = cached.sender(index, impersonation)?;
        out.push(context.receipt(index, tx, sender, receipt.clone(), gas_used, &mut log_index));
    }
    Ok(out)
}

/// The RPC receipt of transaction `index` of a stored block alone: only its own sender is
/// recovered (a block's worth of signature recoveries per `eth_getTransactionReceipt` made
/// receipt polling cost as much as the whole block).
pub fn rpc_receipt_at(
    spec: &ChainSpec,
    cached: &CachedBlock,
    index: usize,
    impersonation: bool,
) -> RpcResult<Option<RpcReceipt>> {
    let (block, receipts) = (cached.block(), cached.receipts());
    let Some(gas_used) = gas_used_per_tx(receipts).nth(index) else { return Ok(None) };
    let (Some(tx), Some(receipt)) = (block.body.transactions.get(index), receipts.get(index))
    else {
        return Ok(None);
    };
    let mut log_index = receipts[..index].iter().map(|receipt| receipt.logs().len() as u64).sum();
    let sender = cached.sender(index, impersonation)?;
    let context = ReceiptContext::new(spec, cached.hash(), block);
    Ok(Some(context.receipt(index, tx, sender, receipt.clone(), gas_used, &mut log_index)))
}

/// What every receipt of one block shares.
struct ReceiptContext<'a> {
    hash: B256,
    header: &'a Header,
    l1_fees: Option<L1Fees>,
    blob_gas_price: Option<u128>,
}

impl<'a> ReceiptContext<'a> {
    fn new(spec: &ChainSpec, hash: B256, block: &'a Block) -> Self {
        let header = &block.header;
        let blob_gas_price = spec
            .blob_params_at_timestamp(header.timestamp)
            .zip(header.excess_blob_gas)
            .map(|(params, excess)| params.calc_blob_fee(excess));
        Self { hash, header, l1_fees: L1Fees::of_block(spec, block), blob_gas_price }
    }

    /// The receipt of transaction `index`, sent by `sender`; `log_index` is its first log's
    /// index and is moved past its logs.
    fn receipt(
        &self,
        index: usize,
        tx: &PhalaTxEnvelope,
        sender: Address,
        receipt: PhalaReceiptEnvelope,
        gas_used: u64,
        log_index: &mut u64,
    ) -> RpcReceipt {
        let (hash, header) = (self.hash, self.header);
        let tx_hash = *tx.tx_hash();
        let deposit_nonce = receipt.as_deposit().and_then(|deposit| deposit.deposit_nonce);
        let receipt = rpc_logs(receipt, hash, header, tx_hash, index as u64, log_index);
        // A deposit's nonce is in its receipt (the transaction has none).
        let nonce = deposit_nonce.unwrap_or_else(|| tx.nonce());
        let contract_address = tx.kind().is_create().then(|| sender.create(nonce));
        let (l1_block_info, da_footprint) =
            self.l1_fees.as_ref().map(|fees| fees.of(tx)).unwrap_or_default();
        RpcReceipt {
            l1_block_info,
            inner: TransactionReceipt {
                inner: receipt,
                transaction_hash: tx_hash,
                transaction_index: Some(index as u64),
                block_hash: Some(hash),
                block_number: Some(header.number),
                gas_used,
                effective_gas_price: tx.effective_gas_price(header.base_fee_per_gas),
                // From Jovian an OP receipt's blob gas is the transaction's DA footprint.
                blob_gas_used: da_footprint.or_else(|| tx.blob_gas_used()),
                blob_gas_price: tx.blob_gas_used().and(self.blob_gas_price),
                from: sender,
                to: tx.to(),
                contract_address,
            },
        }
    }
}

/// The L1 fee parameters of an OP block, from its L1-attributes deposit.
struct L1Fees {
    l1_block: op_revm::L1BlockInfo,
    spec: op_revm::OpSpecId,
}

impl L1Fees {
    /// `None` on an Ethereum chain, or for a block without a readable L1-attributes deposit.
    fn of_block(spec: &ChainSpec, block: &Block) -> Option<Self> {
        if !spec.is_optimism() {
            return None;
        }
        let deposit = block.body.transactions.first()?.as_deposit()?;
        let info = L1BlockInfo::decode(&deposit.input).ok()?;
        let op_spec = phala_evm::op_spec_at_timestamp(spec, block.header.timestamp);
        Some(Self { l1_block: info.to_op_revm(op_spec), spec: op_spec })
    }

    /// The receipt fields of `tx` (none for a deposit), and its DA footprint from Jovian.
    fn of(&self, tx: &PhalaTxEnvelope) -> (op_alloy_rpc_types::L1BlockInfo, Option<u64>) {
        let Some(fields) = l1_fee_receipt_fields(&self.l1_block, &tx.encoded_2718(), self.spec)
        else {
            return Default::default();
        };
        let da_footprint = fields.da_footprint_gas;
        let wide = |value: U256| u128::try_from(value).unwrap_or(u128::MAX);
        let info = op_alloy_rpc_types::L1BlockInfo {
            l1_gas_price: Some(wide(fields.l1_gas_price)),
            l1_gas_used: Some(wide(fields.l1_gas_used)),
            l1_fee: Some(wide(fields.l1_fee)),
            // Millionths shown as a decimal, as op-geth prints the Bedrock scalar.
            l1_fee_scalar: fields.l1_fee_scalar.map(|scalar| wide(scalar) as f64 / 1e6),
            l1_base_fee_scalar: fields.l1_base_fee_scalar.map(wide),
            l1_blob_base_fee: fields.l1_blob_base_fee.map(wide),
            l1_blob_base_fee_scalar: fields.l1_blob_base_fee_scalar.map(wide),
            operator_fee_scalar: fields.operator_fee_scalar.map(wide),
            operator_fee_constant: fields.operator_fee_constant.map(wide),
            da_footprint_gas_scalar: fields.da_footprint_gas_scalar,
        };
        (info, da_footprint)
    }
}

/// `receipt` with its logs placed in the block: block, transaction and block-wide log index
/// (`log_index` is the next one and moves past this receipt's logs).
fn rpc_logs(
    receipt: PhalaReceiptEnvelope,
    hash: B256,
    header: &Header,
    tx_hash: B256,
    tx_index: u64,
    log_index: &mut u64,
) -> RpcReceiptEnvelope {
    let mut place = |inner| {
        let log = Log {
            inner,
            block_hash: Some(hash),
            block_number: Some(header.number),
            block_timestamp: Some(header.timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(tx_index),
            log_index: Some(*log_index),
            removed: false,
        };
        *log_index += 1;
        log
    };
    match receipt {
        PhalaReceiptEnvelope::Ethereum(receipt) => {
            RpcReceiptEnvelope::Ethereum(receipt.map_logs(&mut place))
        }
        PhalaReceiptEnvelope::Deposit(receipt) => {
            let receipt = op_alloy_consensus::OpReceiptEnvelope::Deposit(receipt);
            RpcReceiptEnvelope::Deposit(receipt.map_logs(&mut place))
        }
    }
}

impl RpcReceiptEnvelope {
    /// The logs.
    pub fn logs(&self) -> &[Log] {
        match self {
            Self::Ethereum(receipt) => receipt.logs(),
            Self::Deposit(receipt) => receipt.logs(),
        }
    }
}

/// Every log of the stored block `hash`, in its JSON-RPC shape. Unlike
/// [`block_receipts`] this recovers no senders, which logs do not carry.
pub fn block_logs(ctx: &NodeContext, hash: B256) -> RpcResult<Vec<Log>> {
    let Some(cached) = ctx.cached_block(hash)? else { return Ok(Vec::new()) };
    let mut logs = Vec::new();
    matching_logs(&cached, |_| true, &mut logs);
    Ok(logs)
}

/// The logs of a stored block that `matches` accepts, in their JSON-RPC shape, appended to
/// `out`. Only accepted logs are placed (and cloned); the others only count towards the
/// block-wide log index.
pub fn matching_logs(
    cached: &CachedBlock,
    mut matches: impl FnMut(&alloy_primitives::Log) -> bool,
    out: &mut Vec<Log>,
) {
    let (hash, block) = (cached.hash(), cached.block());
    let mut log_index = 0u64;
    for (tx_index, (tx, receipt)) in
        block.body.transactions.iter().zip(cached.receipts()).enumerate()
    {
        for log in receipt.logs() {
            if matches(log) {
                out.push(Log {
                    inner: log.clone(),
                    block_hash: Some(hash),
                    block_number: Some(block.header.number),
                    block_timestamp: Some(block.header.timestamp),
                    transaction_hash: Some(*tx.tx_hash()),
                    transaction_index: Some(tx_index as u64),
                    log_index: Some(log_index),
                    removed: false,
                });
            }
            log_index += 1;
        }
    }
}

/// The receipts of the canonical block `hash`, converted.
pub fn block_receipts(ctx: &NodeContext, hash: B256) -> RpcResult<Option<Vec<RpcReceipt>>> {
    let Some(cached) = ctx.cached_block(hash)? else { return Ok(None) };
    rpc_block_receipts(ctx.spec(), &cached, ctx.dev().is_some()).map(Some)
}

/// The EIP-2718 encoding of a transaction.
pub fn encode_tx(tx: &PhalaTxEnvelope) -> Vec<u8> {
    tx.encoded_2718()
}
