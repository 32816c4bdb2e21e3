//! [`PhalaTx`]: the transaction environment of both rule sets.
//!
//! It is op-revm's transaction (revm's [`TxEnv`] plus the deposit fields and the EIP-2718 bytes
//! the L1 data fee is charged on). The Ethereum EVM runs its `base`; the OP EVM runs all of it.

use alloy_consensus::Transaction as _;
use alloy_eips::{Encodable2718, Typed2718};
use alloy_evm::{FromRecoveredTx, FromTxWithEncoded, IntoTxEnv};
use alloy_op_evm::block::OpTxEnv;
use alloy_primitives::{Address, Bytes};
use op_revm::{OpTransaction, transaction::deposit::DepositTransactionParts};
use phala_primitives::{PhalaTxEnvelope, TxDeposit};
use revm::context::TxEnv;

/// A transaction as the EVM of either rule set executes it.
#[derive(Debug, Clone, Default)]
pub struct PhalaTx(pub OpTransaction<TxEnv>);

impl PhalaTx {
    /// A call (`eth_call`, `eth_estimateGas`, a simulation): no signed bytes exist, so it is
    /// given empty ones, on which the L1 data fee is zero (as op-geth charges calls none).
    pub fn call(base: TxEnv) -> Self {
        Self(OpTransaction { base, enveloped_tx: Some(Bytes::new()), deposit: Default::default() })
    }

    /// The Ethereum part: sender, gas, value, data, access list, ….
    pub const fn base(&self) -> &TxEnv {
        &self.0.base
    }

    /// The Ethereum part, to change.
    pub const fn base_mut(&mut self) -> &mut TxEnv {
        &mut self.0.base
    }
}

impl From<TxEnv> for PhalaTx {
    fn from(base: TxEnv) -> Self {
        Self::call(base)
    }
}

impl IntoTxEnv<Self> for PhalaTx {
    fn into_tx_env(self) -> Self {
        self
    }
}

impl OpTxEnv for PhalaTx {
    fn encoded_bytes(&self) -> Option<&Bytes> {
        self.0.enveloped_tx.as_ref()
    }
}

fn deposit_base(deposit: &TxDeposit, caller: Address) -> TxEnv {
    TxEnv {
        tx_type: deposit.ty(),
        caller,
        gas_limit: deposit.gas_limit,
        kind: deposit.to,
        value: deposit.value,
        data: deposit.input.clone(),
        ..Default::default()
    }
}

impl FromRecoveredTx<PhalaTxEnvelope> for PhalaTx {
    fn from_recovered_tx(tx: &PhalaTxEnvelope, sender: Address) -> Self {
        Self::from_encoded_tx(tx, sender, tx.encoded_2718().into())
    }
}

impl FromTxWithEncoded<PhalaTxEnvelope> for PhalaTx {
    fn from_encoded_tx(tx: &PhalaTxEnvelope, caller: Address, encoded: Bytes) -> Self {
        let base = match tx {
            PhalaTxEnvelope::Legacy(tx) => TxEnv::from_recovered_tx(tx.tx(), caller),
            PhalaTxEnvelope::Eip2930(tx) => TxEnv::from_recovered_tx(tx.tx(), caller),
            PhalaTxEnvelope::Eip1559(tx) => TxEnv::from_recovered_tx(tx.tx(), caller),
            PhalaTxEnvelope::Eip4844(tx) => TxEnv::from_recovered_tx(tx.tx(), caller),
            PhalaTxEnvelope::Eip7702(tx) => TxEnv::from_recovered_tx(tx.tx(), caller),
            PhalaTxEnvelope::Deposit(deposit) => {
                let parts = DepositTransactionParts {
                    source_hash: deposit.source_hash,
                    mint: Some(deposit.mint),
                    is_system_transaction: deposit.is_system_transaction,
                };
                return Self(OpTransaction {
                    base: deposit_base(deposit, caller),
                    enveloped_tx: Some(encoded),
                    deposit: parts,
                });
            }
        };
        debug_assert_eq!(base.gas_limit, tx.gas_limit());
        Self(OpTransaction { base, enveloped_tx: Some(encoded), deposit: Default::default() })
    }
}
