//! Signed transactions, fork rules and a fake account state for the unit tests.

use crate::{AccountInfoProvider, ForkRules, PoolError, ValidationContext};
use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip4844, TxEip7702, TxLegacy, crypto::secp256k1,
};
use alloy_eips::eip7702::{Authorization, SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use phala_primitives::TxEnvelope;
use std::collections::BTreeMap;

pub(crate) const CHAIN_ID: u64 = 1337;
pub(crate) const RECIPIENT: Address = Address::repeat_byte(0xaa);

/// A key pair.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signer {
    pub(crate) secret: B256,
    pub(crate) address: Address,
}

impl Signer {
    pub(crate) fn new(index: u64) -> Self {
        let secret = B256::from(U256::from(0x1000 + index));
        let probe = B256::repeat_byte(0x11);
        let signature = secp256k1::sign_message(secret, probe).expect("valid key");
        let address = secp256k1::recover_signer(&signature, probe).expect("recoverable");
        Self { secret, address }
    }

    pub(crate) fn sign<T: SignableTransaction<alloy_primitives::Signature>>(
        &self,
        tx: T,
    ) -> TxEnvelope
    where
        alloy_consensus::Signed<T>: Into<TxEnvelope>,
    {
        let signature =
            secp256k1::sign_message(self.secret, tx.signature_hash()).expect("valid key");
        tx.into_signed(signature).into()
    }
}

pub(crate) fn eip1559_tx(nonce: u64, max_fee: u128, tip: u128, gas_limit: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(RECIPIENT),
        value: U256::from(1),
        input: Bytes::new(),
        access_list: Default::default(),
    }
}

/// A 1-wei EIP-1559 transfer.
pub(crate) fn eip1559(
    signer: &Signer,
    nonce: u64,
    max_fee: u128,
    tip: u128,
    gas_limit: u64,
) -> TxEnvelope {
    signer.sign(eip1559_tx(nonce, max_fee, tip, gas_limit))
}

/// A 1-wei legacy transfer with 21000 gas.
pub(crate) fn legacy(
    signer: &Signer,
    nonce: u64,
    gas_price: u128,
    chain_id: Option<u64>,
) -> TxEnvelope {
    signer.sign(TxLegacy {
        chain_id,
        nonce,
        gas_price,
        gas_limit: 21_000,
        to: TxKind::Call(RECIPIENT),
        value: U256::from(1),
        input: Bytes::new(),
    })
}

/// A 1-wei blob transaction with 21000 gas and `blobs` versioned hashes (no sidecar).
pub(crate) fn blob_tx(
    signer: &Signer,
    nonce: u64,
    max_fee: u128,
    tip: u128,
    blobs: usize,
    max_fee_per_blob_gas: u128,
) -> TxEnvelope {
    let mut hash = [0u8; 32];
    hash[0] = 0x01;
    signer.sign(TxEip4844 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: tip,
        to: RECIPIENT,
        value: U256::from(1),
        access_list: Default::default(),
        blob_versioned_hashes: vec![B256::from(hash); blobs],
        max_fee_per_blob_gas,
        input: Bytes::new(),
    })
}

/// A set-code transaction delegating to `RECIPIENT` with `authorizations` authorizations.
pub(crate) fn eip7702(
    signer: &Signer,
    nonce: u64,
    gas_limit: u64,
    authorizations: usize,
) -> TxEnvelope {
    let authorization =
        Authorization { chain_id: U256::from(CHAIN_ID), address: RECIPIENT, nonce: 0 };
    let signature =
        secp256k1::sign_message(signer.secret, authorization.signature_hash()).expect("valid key");
    let signed = SignedAuthorization::new_unchecked(
        authorization,
        signature.v() as u8,
        signature.r(),
        signature.s(),
    );
    signer.sign(TxEip7702 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: 100,
        max_priority_fee_per_gas: 1,
        to: RECIPIENT,
        value: U256::ZERO,
        access_list: Default::default(),
        authorization_list: vec![signed; authorizations],
        input: Bytes::new(),
    })
}

/// Every fork through Osaka.
pub(crate) const fn all_forks() -> ForkRules {
    ForkRules {
        legacy: true,
        eip2930: true,
        eip1559: true,
        eip4844: true,
        eip7702: true,
        shanghai: true,
        prague: true,
        osaka: true,
    }
}

/// Chain 1337, base fee 10, blob base fee 1, 30M gas, all forks.
pub(crate) fn context() -> ValidationContext {
    ValidationContext {
        chain_id: CHAIN_ID,
        base_fee: 10,
        blob_base_fee: Some(1),
        block_gas_limit: 30_000_000,
        fork: all_forks(),
    }
}

/// An in-memory account state; unknown accounts are funded with [`RICH`] at nonce 0.
#[derive(Debug, Default)]
pub(crate) struct FakeState {
    pub(crate) accounts: BTreeMap<Address, (u64, U256)>,
    pub(crate) failing: bool,
}

/// Balance of accounts the fake state does not list.
pub(crate) const RICH: u64 = 1_000_000_000_000;

impl FakeState {
    pub(crate) fn set(&mut self, address: Address, nonce: u64, balance: U256) {
        self.accounts.insert(address, (nonce, balance));
    }
}

impl AccountInfoProvider for FakeState {
    fn nonce_and_balance(&self, address: Address) -> Result<(u64, U256), PoolError> {
        if self.failing {
            return Err(PoolError::State("backend down".into()));
        }
        Ok(self.accounts.get(&address).copied().unwrap_or((0, U256::from(RICH))))
    }
}
