//! Admission rules that need no pool state: fork, chain, size, gas and fee checks against the
//! next block (geth's `ValidateTransaction`), plus the account-state interface the stateful
//! checks read.

use crate::{PoolConfig, PoolError, PooledTransaction};
use alloy_consensus::{Transaction, TxType, transaction::RlpEcdsaEncodableTx};
use alloy_eips::{eip7623, eip7825::MAX_TX_GAS_LIMIT_OSAKA};
use alloy_primitives::{Address, U256};
use phala_primitives::{ChainSpec, EthereumHardforks, TxEnvelope};

/// EIP-3860 init code size limit (twice the EIP-170 code size limit).
const MAX_INITCODE_SIZE: usize = 2 * 24_576;
/// Base cost of every transaction.
const TX_GAS: u64 = 21_000;
/// Base cost of a contract-creating transaction.
const TX_CREATE_GAS: u64 = 53_000;
/// Calldata cost per zero byte.
const TX_DATA_ZERO_GAS: u64 = 4;
/// Calldata cost per non-zero byte (EIP-2028).
const TX_DATA_NON_ZERO_GAS: u64 = 16;
/// EIP-3860 cost per 32-byte word of init code.
const INITCODE_WORD_GAS: u64 = 2;
/// EIP-2930 cost per access-list address.
const ACCESS_LIST_ADDRESS_GAS: u64 = 2_400;
/// EIP-2930 cost per access-list storage key.
const ACCESS_LIST_STORAGE_KEY_GAS: u64 = 1_900;
/// EIP-7702 cost per authorization (charged as for an empty account).
const AUTHORIZATION_GAS: u64 = 25_000;

/// Account facts the pool needs from the chain's latest state.
pub trait AccountInfoProvider {
    /// `(nonce, balance)` of an address in the latest state; `(0, 0)` for unknown accounts.
    ///
    /// Backend failures are reported as [`PoolError::State`].
    fn nonce_and_balance(&self, address: Address) -> Result<(u64, U256), PoolError>;
}

/// Which transaction types and fork-dependent rules apply to the next block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForkRules {
    /// Legacy transactions (type 0) are accepted.
    pub legacy: bool,
    /// EIP-2930 access-list transactions (type 1) are accepted.
    pub eip2930: bool,
    /// EIP-1559 dynamic-fee transactions (type 2) are accepted.
    pub eip1559: bool,
    /// EIP-4844 blob transactions (type 3) are accepted.
    pub eip4844: bool,
    /// EIP-7702 set-code transactions (type 4) are accepted.
    pub eip7702: bool,
    /// Shanghai: EIP-3860 init code size limit and word cost.
    pub shanghai: bool,
    /// Prague: EIP-7623 calldata floor cost.
    pub prague: bool,
    /// Osaka: EIP-7825 per-transaction gas cap.
    pub osaka: bool,
}

impl ForkRules {
    /// The rules of a block with `block_number` and `timestamp` on `spec`.
    ///
    /// Blob transactions are never accepted on an OP Stack chain (as in op-geth): L2 blocks carry
    /// no blobs.
    pub fn at(spec: &ChainSpec, block_number: u64, timestamp: u64) -> Self {
        Self {
            legacy: true,
            eip2930: spec.is_berlin_active_at_block(block_number),
            eip1559: spec.is_london_active_at_block(block_number),
            eip4844: spec.is_cancun_active_at_timestamp(timestamp) && !spec.is_optimism(),
            eip7702: spec.is_prague_active_at_timestamp(timestamp),
            shanghai: spec.is_shanghai_active_at_timestamp(timestamp),
            prague: spec.is_prague_active_at_timestamp(timestamp),
            osaka: spec.is_osaka_active_at_timestamp(timestamp),
        }
    }

    const fn allows(&self, tx_type: TxType) -> bool {
        match tx_type {
            TxType::Legacy => self.legacy,
            TxType::Eip2930 => self.eip2930,
            TxType::Eip1559 => self.eip1559,
            TxType::Eip4844 => self.eip4844,
            TxType::Eip7702 => self.eip7702,
        }
    }
}

/// Chain facts for validating a new transaction against the next block.
#[derive(Debug, Clone)]
pub struct ValidationContext {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Base fee of the next block.
    pub base_fee: u64,
    /// Blob base fee of the next block; `None` before Cancun. Informational: blob transactions
    /// below it are admitted and held back by
    /// [`TxPool::best_transactions_with_blob_fee`](crate::TxPool::best_transactions_with_blob_fee).
    pub blob_base_fee: Option<u128>,
    /// Gas limit of the next block.
    pub block_gas_limit: u64,
    /// Fork-dependent rules of the next block.
    pub fork: ForkRules,
}

/// Checks that need only the transaction, the next block's context and the pool configuration.
///
/// A fee cap below the base fee is deliberately not an error: such a transaction waits in the
/// pool until the base fee falls.
pub(crate) fn validate_stateless(
    tx: &PooledTransaction,
    ctx: &ValidationContext,
    config: &PoolConfig,
) -> Result<(), PoolError> {
    let envelope = &tx.tx;
    if !ctx.fork.allows(envelope.tx_type()) {
        return Err(PoolError::TxTypeNotSupported);
    }
    // Legacy transactions without EIP-155 replay protection carry no chain id and are allowed.
    if envelope.chain_id().is_some_and(|id| id != ctx.chain_id) {
        return Err(PoolError::InvalidChainId);
    }
    if size_for_limit(envelope) > config.max_tx_size {
        return Err(PoolError::OversizedData);
    }
    let gas = tx.gas_limit();
    if gas > ctx.block_gas_limit {
        return Err(PoolError::ExceedsBlockGasLimit);
    }
    if ctx.fork.osaka && gas > MAX_TX_GAS_LIMIT_OSAKA {
        return Err(PoolError::GasLimitTooHigh { cap: MAX_TX_GAS_LIMIT_OSAKA, gas });
    }
    if tx.max_priority_fee_per_gas() > tx.max_fee_per_gas() {
        return Err(PoolError::TipAboveFeeCap);
    }
    let input = envelope.input();
    if ctx.fork.shanghai && envelope.is_create() && input.len() > MAX_INITCODE_SIZE {
        return Err(PoolError::MaxInitCodeSizeExceeded {
            size: input.len(),
            limit: MAX_INITCODE_SIZE,
        });
    }
    let intrinsic = intrinsic_gas(envelope, ctx.fork.shanghai);
    if gas < intrinsic {
        return Err(PoolError::IntrinsicGasTooLow { have: gas, want: intrinsic });
    }
    if ctx.fork.prague {
        let floor = eip7623::transaction_floor_cost(eip7623::tokens_in_calldata(input));
        if gas < floor {
            return Err(PoolError::FloorDataGas { have: gas, want: floor });
        }
    }
    if envelope.is_eip4844() && envelope.blob_count().unwrap_or_default() == 0 {
        return Err(PoolError::BloblessBlobTransaction);
    }
    if envelope.is_eip7702() && envelope.authorization_count().unwrap_or_default() == 0 {
        return Err(PoolError::EmptyAuthList);
    }
    if tx.max_priority_fee_per_gas() < config.min_priority_fee {
        return Err(PoolError::Underpriced);
    }
    Ok(())
}

/// The size the `max_tx_size` limit applies to: the EIP-2718 encoding without a blob sidecar
/// (blobs are bounded by their count, not by the transaction size limit).
fn size_for_limit(envelope: &TxEnvelope) -> usize {
    match envelope {
        TxEnvelope::Eip4844(signed) => signed.tx().tx().eip2718_encoded_length(signed.signature()),
        other => other.eip2718_encoded_length(),
    }
}

/// Gas charged before execution starts (Istanbul calldata pricing onwards).
fn intrinsic_gas(envelope: &TxEnvelope, shanghai: bool) -> u64 {
    let input = envelope.input();
    let create = envelope.is_create();
    let mut gas = if create { TX_CREATE_GAS } else { TX_GAS };

    let zero_bytes = input.iter().filter(|byte| **byte == 0).count() as u64;
    let non_zero_bytes = input.len() as u64 - zero_bytes;
    gas = gas
        .saturating_add(zero_bytes.saturating_mul(TX_DATA_ZERO_GAS))
        .saturating_add(non_zero_bytes.saturating_mul(TX_DATA_NON_ZERO_GAS));

    if create && shanghai {
        let words = (input.len() as u64).div_ceil(32);
        gas = gas.saturating_add(words.saturating_mul(INITCODE_WORD_GAS));
    }
    if let Some(access_list) = envelope.access_list() {
        let keys: usize = access_list.iter().map(|item| item.storage_keys.len()).sum();
        gas = gas
            .saturating_add((access_list.len() as u64).saturating_mul(ACCESS_LIST_ADDRESS_GAS))
            .saturating_add((keys as u64).saturating_mul(ACCESS_LIST_STORAGE_KEY_GAS));
    }
    let authorizations = envelope.authorization_count().unwrap_or_default();
    gas.saturating_add(authorizations.saturating_mul(AUTHORIZATION_GAS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use phala_primitives::EthereumHardfork;

    #[test]
    fn fork_rules_follow_the_chain_spec() {
        let spec = ChainSpec::with_all_forks_up_to(
            EthereumHardfork::Cancun,
            1337,
            Default::default(),
            Vec::new(),
            None,
        );
        let rules = ForkRules::at(&spec, 1, 1);
        assert!(rules.legacy && rules.eip2930 && rules.eip1559 && rules.eip4844);
        assert!(rules.shanghai);
        assert!(!rules.eip7702 && !rules.prague && !rules.osaka);

        let spec = ChainSpec::with_all_forks_up_to(
            EthereumHardfork::Osaka,
            1337,
            Default::default(),
            Vec::new(),
            None,
        );
        let rules = ForkRules::at(&spec, 1, 1);
        assert!(rules.eip7702 && rules.prague && rules.osaka);
    }
}

#[cfg(test)]
mod admission_tests {
    use crate::{
        PoolConfig, PoolError, SubPool, TxPool, ValidationContext,
        test_utils::{
            CHAIN_ID, FakeState, RECIPIENT, Signer, blob_tx, context, eip1559, eip1559_tx, eip7702,
            legacy,
        },
    };
    use alloy_eips::eip2930::{AccessList, AccessListItem};
    use alloy_primitives::{B256, Bytes, TxKind};
    use phala_primitives::TxEnvelope;

    fn admit(tx: TxEnvelope, ctx: &ValidationContext) -> Result<SubPool, PoolError> {
        admit_with(PoolConfig::default(), tx, ctx)
    }

    fn admit_with(
        config: PoolConfig,
        tx: TxEnvelope,
        ctx: &ValidationContext,
    ) -> Result<SubPool, PoolError> {
        let mut pool = TxPool::new(config);
        let outcome =
            pool.add_transaction(tx, Signer::new(1).address, &FakeState::default(), ctx)?;
        Ok(outcome.sub_pool)
    }

    #[test]
    fn rejects_types_the_fork_does_not_enable() {
        let signer = Signer::new(1);
        let mut ctx = context();
        ctx.fork.eip1559 = false;
        let err = admit(eip1559(&signer, 0, 100, 1, 21_000), &ctx).unwrap_err();
        assert_eq!(err.to_string(), "transaction type not supported");
        assert_eq!(admit(legacy(&signer, 0, 100, Some(CHAIN_ID)), &ctx), Ok(SubPool::Pending));

        let mut ctx = context();
        ctx.fork.eip4844 = false;
        let err = admit(blob_tx(&signer, 0, 100, 1, 1, 1), &ctx).unwrap_err();
        assert_eq!(err, PoolError::TxTypeNotSupported);
    }

    #[test]
    fn rejects_other_chain_ids_but_allows_unprotected_legacy() {
        let signer = Signer::new(1);
        let mut tx = eip1559_tx(0, 100, 1, 21_000);
        tx.chain_id = 1;
        let err = admit(signer.sign(tx), &context()).unwrap_err();
        assert_eq!(err.to_string(), "invalid chain id");
        let err = admit(legacy(&signer, 0, 100, Some(1)), &context()).unwrap_err();
        assert_eq!(err, PoolError::InvalidChainId);
        assert_eq!(admit(legacy(&signer, 0, 100, None), &context()), Ok(SubPool::Pending));
    }

    #[test]
    fn rejects_oversized_transactions() {
        let signer = Signer::new(1);
        let mut tx = eip1559_tx(0, 100, 1, 29_000_000);
        tx.input = Bytes::from(vec![1u8; 128 * 1024]);
        let err = admit(signer.sign(tx), &context()).unwrap_err();
        assert_eq!(err.to_string(), "oversized data");
    }

    #[test]
    fn rejects_gas_above_block_limit_and_osaka_cap() {
        let signer = Signer::new(1);
        let err = admit(eip1559(&signer, 0, 100, 1, 30_000_001), &context()).unwrap_err();
        assert_eq!(err.to_string(), "exceeds block gas limit");

        let err = admit(eip1559(&signer, 0, 100, 1, 16_777_217), &context()).unwrap_err();
        assert_eq!(err.to_string(), "transaction gas limit too high (cap: 16777216, tx: 16777217)");
        let mut ctx = context();
        ctx.fork.osaka = false;
        assert_eq!(admit(eip1559(&signer, 0, 100, 1, 16_777_217), &ctx), Ok(SubPool::Pending));
    }

    #[test]
    fn rejects_tip_above_fee_cap() {
        let signer = Signer::new(1);
        let err = admit(eip1559(&signer, 0, 5, 6, 21_000), &context()).unwrap_err();
        assert_eq!(err.to_string(), "max priority fee per gas higher than max fee per gas");
    }

    #[test]
    fn limits_initcode_from_shanghai() {
        let signer = Signer::new(1);
        let create = || {
            let mut tx = eip1559_tx(0, 100, 1, 1_000_000);
            tx.to = TxKind::Create;
            tx.input = Bytes::from(vec![0u8; 49_153]);
            signer.sign(tx)
        };
        let err = admit(create(), &context()).unwrap_err();
        assert_eq!(err.to_string(), "max initcode size exceeded: code size 49153, limit 49152");
        let mut ctx = context();
        ctx.fork.shanghai = false;
        assert_eq!(admit(create(), &ctx), Ok(SubPool::Pending));
    }

    #[test]
    fn rejects_gas_below_intrinsic_gas() {
        let signer = Signer::new(1);
        // 21000 + 4 (zero byte) + 2 * 16 (non-zero bytes).
        let mut tx = eip1559_tx(0, 100, 1, 21_035);
        tx.input = Bytes::from(vec![0, 1, 1]);
        let err = admit(signer.sign(tx.clone()), &context()).unwrap_err();
        assert_eq!(err.to_string(), "intrinsic gas too low: have 21035, want 21036");
        // Enough intrinsic gas, but Prague's floor (21000 + 10 * 9 tokens) is higher.
        tx.gas_limit = 21_036;
        let err = admit(signer.sign(tx.clone()), &context()).unwrap_err();
        assert_eq!(err, PoolError::FloorDataGas { have: 21_036, want: 21_090 });
        tx.gas_limit = 21_090;
        assert_eq!(admit(signer.sign(tx), &context()), Ok(SubPool::Pending));

        // 53000 for a create, plus 2 per init code word after Shanghai.
        let mut tx = eip1559_tx(0, 100, 1, 53_000);
        tx.to = TxKind::Create;
        tx.input = Bytes::from(vec![0u8; 33]);
        let err = admit(signer.sign(tx), &context()).unwrap_err();
        assert_eq!(err, PoolError::IntrinsicGasTooLow { have: 53_000, want: 53_000 + 33 * 4 + 4 });

        // 2400 per access-list address, 1900 per storage key.
        let mut tx = eip1559_tx(0, 100, 1, 27_199);
        tx.access_list = AccessList(vec![AccessListItem {
            address: RECIPIENT,
            storage_keys: vec![B256::ZERO, B256::repeat_byte(1)],
        }]);
        let err = admit(signer.sign(tx), &context()).unwrap_err();
        assert_eq!(err, PoolError::IntrinsicGasTooLow { have: 27_199, want: 27_200 });

        // 25000 per EIP-7702 authorization.
        let err = admit(eip7702(&signer, 0, 70_999, 2), &context()).unwrap_err();
        assert_eq!(err, PoolError::IntrinsicGasTooLow { have: 70_999, want: 71_000 });
        assert_eq!(admit(eip7702(&signer, 0, 71_000, 2), &context()), Ok(SubPool::Pending));
    }

    #[test]
    fn applies_the_calldata_floor_from_prague() {
        let signer = Signer::new(1);
        // Intrinsic 21000 + 100 * 16 = 22600; floor 21000 + 10 * (100 * 4) = 25000.
        let mut tx = eip1559_tx(0, 100, 1, 24_000);
        tx.input = Bytes::from(vec![1u8; 100]);
        let err = admit(signer.sign(tx.clone()), &context()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "insufficient gas for floor data gas cost: have 24000, want 25000"
        );
        let mut ctx = context();
        ctx.fork.prague = false;
        assert_eq!(admit(signer.sign(tx), &ctx), Ok(SubPool::Pending));
    }

    #[test]
    fn rejects_blobless_and_authless_transactions() {
        let signer = Signer::new(1);
        let err = admit(blob_tx(&signer, 0, 100, 1, 0, 1), &context()).unwrap_err();
        assert_eq!(err.to_string(), "blobless blob transaction");
        let err = admit(eip7702(&signer, 0, 100_000, 0), &context()).unwrap_err();
        assert_eq!(err.to_string(), "EIP-7702 transaction with empty auth list");
        assert_eq!(admit(blob_tx(&signer, 0, 100, 1, 1, 1), &context()), Ok(SubPool::Pending));
    }

    #[test]
    fn rejects_tips_below_the_minimum() {
        let signer = Signer::new(1);
        let config = PoolConfig { min_priority_fee: 2, ..Default::default() };
        let err = admit_with(config.clone(), eip1559(&signer, 0, 100, 1, 21_000), &context())
            .unwrap_err();
        assert_eq!(err.to_string(), "transaction underpriced");
        let err = admit_with(config.clone(), legacy(&signer, 0, 1, Some(CHAIN_ID)), &context())
            .unwrap_err();
        assert_eq!(err, PoolError::Underpriced);
        assert_eq!(
            admit_with(config, eip1559(&signer, 0, 100, 2, 21_000), &context()),
            Ok(SubPool::Pending)
        );
    }

    #[test]
    fn admits_fee_caps_below_the_base_fee() {
        let signer = Signer::new(1);
        assert_eq!(admit(eip1559(&signer, 0, 5, 1, 21_000), &context()), Ok(SubPool::Pending));
    }

    #[test]
    fn rejects_the_maximum_nonce() {
        let signer = Signer::new(1);
        let err = admit(eip1559(&signer, u64::MAX, 100, 1, 21_000), &context()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("nonce has max value: address {}, nonce: {}", signer.address, u64::MAX)
        );
    }

    #[test]
    fn forwards_state_errors() {
        let signer = Signer::new(1);
        let state = FakeState { failing: true, ..Default::default() };
        let mut pool = TxPool::new(PoolConfig::default());
        let err = pool
            .add_transaction(
                eip1559(&signer, 0, 100, 1, 21_000),
                signer.address,
                &state,
                &context(),
            )
            .unwrap_err();
        assert_eq!(err, PoolError::State("backend down".into()));
        assert!(pool.is_empty());
    }
}
