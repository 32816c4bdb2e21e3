//! Dev signers: `eth_sendTransaction`, `eth_signTransaction`, `eth_sign` and
//! `eth_signTypedData_v4` for the accounts the node holds keys for (only in `--dev`).

use crate::{
    call,
    context::NodeContext,
    error::{RpcError, RpcResult},
};
use alloy_consensus::TypedTransaction;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, TxKind};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use phala_primitives::{StateReader, TxEnvelope};
use serde_json::Value;

fn signer(ctx: &NodeContext, address: Address) -> RpcResult<&PrivateKeySigner> {
    ctx.signer(&address).ok_or_else(|| RpcError::server("unknown account"))
}

/// `eth_sendTransaction`: signs with a dev signer, or on a dev chain sends from an
/// impersonated account (`anvil_impersonateAccount`) without a key; adds it to the pool.
pub fn send_request(ctx: &NodeContext, request: TransactionRequest) -> RpcResult<B256> {
    let from = request_sender(&request)?;
    if ctx.signer(&from).is_none()
        && let Some(dev) = ctx.dev()
        && dev.is_impersonated(&from)
    {
        return send_unsigned(ctx, request);
    }
    let tx = sign_request(ctx, request)?;
    Ok(ctx.submit_transaction(tx)?)
}

/// `eth_sendUnsignedTransaction` (a dev chain's): sends from the request's `from` without a
/// signature, as if it were impersonated.
pub fn send_unsigned(ctx: &NodeContext, request: TransactionRequest) -> RpcResult<B256> {
    let from = request_sender(&request)?;
    let typed = fill_request(ctx, from, request)?;
    let tx = with_signature(typed, phala_engine::dev::impersonation_signature(from));
    Ok(ctx.submit_impersonated(tx, from)?)
}

fn request_sender(request: &TransactionRequest) -> RpcResult<Address> {
    request.from.ok_or_else(|| {
        RpcError::InvalidParams("missing value for required argument 0: from".into())
    })
}

/// Fills a request's missing fields the way geth's `eth_sendTransaction` does and signs it.
pub fn sign_request(ctx: &NodeContext, request: TransactionRequest) -> RpcResult<TxEnvelope> {
    let from = request_sender(&request)?;
    let signer = signer(ctx, from)?;
    let typed = fill_request(ctx, from, request)?;
    sign_typed(signer, typed)
}

/// The request with its missing fields filled (nonce, chain id, fees, gas), as a transaction.
fn fill_request(
    ctx: &NodeContext,
    from: Address,
    mut request: TransactionRequest,
) -> RpcResult<TypedTransaction> {
    let validation = ctx.validation_context()?;
    if request.nonce.is_none() {
        let pending = ctx.pool().pending_nonce(&from);
        let nonce = match pending {
            Some(nonce) => nonce,
            None => ctx
                .latest_state()
                .account(from)
                .map_err(|err| RpcError::Internal(err.to_string()))?
                .map(|account| account.nonce)
                .unwrap_or_default(),
        };
        request.nonce = Some(nonce);
    }
    request.chain_id.get_or_insert(ctx.spec().chain_id);
    // No `to` is a contract creation, as in geth (alloy's builder wants it said).
    request.to.get_or_insert(TxKind::Create);
    let has_fees = request.gas_price.is_some()
        || request.max_fee_per_gas.is_some()
        || request.max_priority_fee_per_gas.is_some();
    if !has_fees {
        let tip = ctx.suggested_tip();
        if validation.fork.eip1559 {
            request.max_priority_fee_per_gas = Some(tip);
            request.max_fee_per_gas = Some(u128::from(validation.base_fee) * 2 + tip);
        } else {
            request.gas_price = Some(u128::from(validation.base_fee) + tip);
        }
    } else if request.max_fee_per_gas.is_some() && request.max_priority_fee_per_gas.is_none() {
        request.max_priority_fee_per_gas =
            Some(ctx.suggested_tip().min(request.max_fee_per_gas.unwrap_or_default()));
    }
    if request.gas.is_none() {
        let estimate = call::estimate_gas(
            ctx,
            request.clone(),
            BlockId::Number(BlockNumberOrTag::Latest),
            None,
        )?;
        request.gas = Some(estimate);
    }
    request
        .build_typed_tx()
        .map_err(|_| RpcError::InvalidParams("transaction request is missing fields".into()))
}

fn sign_typed(signer: &PrivateKeySigner, typed: TypedTransaction) -> RpcResult<TxEnvelope> {
    let signature_hash = match &typed {
        alloy_consensus::TypedTransaction::Legacy(tx) => {
            alloy_consensus::SignableTransaction::signature_hash(tx)
        }
        alloy_consensus::TypedTransaction::Eip2930(tx) => {
            alloy_consensus::SignableTransaction::signature_hash(tx)
        }
        alloy_consensus::TypedTransaction::Eip1559(tx) => {
            alloy_consensus::SignableTransaction::signature_hash(tx)
        }
        alloy_consensus::TypedTransaction::Eip4844(tx) => {
            alloy_consensus::SignableTransaction::signature_hash(tx)
        }
        alloy_consensus::TypedTransaction::Eip7702(tx) => {
            alloy_consensus::SignableTransaction::signature_hash(tx)
        }
    };
    let signature = signer
        .sign_hash_sync(&signature_hash)
        .map_err(|err| RpcError::Internal(err.to_string()))?;
    Ok(with_signature(typed, signature))
}

/// `typed` carrying `signature`, as the pool takes it.
fn with_signature(typed: TypedTransaction, signature: alloy_primitives::Signature) -> TxEnvelope {
    match typed.into_envelope(signature) {
        alloy_consensus::EthereumTxEnvelope::Eip4844(signed) => {
            let (tx, signature, _) = signed.into_parts();
            TxEnvelope::Eip4844(alloy_consensus::Signed::new_unhashed(tx, signature))
        }
        alloy_consensus::EthereumTxEnvelope::Legacy(tx) => TxEnvelope::Legacy(tx),
        alloy_consensus::EthereumTxEnvelope::Eip2930(tx) => TxEnvelope::Eip2930(tx),
        alloy_consensus::EthereumTxEnvelope::Eip1559(tx) => TxEnvelope::Eip1559(tx),
        alloy_consensus::EthereumTxEnvelope::Eip7702(tx) => TxEnvelope::Eip7702(tx),
    }
}

/// `eth_sign` / `personal_sign`: an EIP-191 signature over `message`.
pub fn sign_message(ctx: &NodeContext, address: Address, message: &[u8]) -> RpcResult<Bytes> {
    let signature = signer(ctx, address)?
        .sign_message_sync(message)
        .map_err(|err| RpcError::Internal(err.to_string()))?;
    Ok(Bytes::from(signature.as_bytes().to_vec()))
}

/// `eth_signTypedData_v4`: an EIP-712 signature over typed data.
pub fn sign_typed_data(ctx: &NodeContext, address: Address, data: Value) -> RpcResult<Bytes> {
    let data = match data {
        // Some wallets send the typed data as a JSON string.
        Value::String(text) => serde_json::from_str(&text),
        other => serde_json::from_value(other),
    }
    .map_err(|err| RpcError::InvalidParams(format!("invalid typed data: {err}")))?;
    let signature = signer(ctx, address)?
        .sign_dynamic_typed_data_sync(&data)
        .map_err(|err| RpcError::InvalidParams(err.to_string()))?;
    Ok(Bytes::from(signature.as_bytes().to_vec()))
}
