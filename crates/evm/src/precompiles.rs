//! The EVM of phala-node: Ethereum's, plus the precompiles the chain spec schedules on top —
//! the TDX attestation verifier at `0x…544458` (Phala's `TdxAttestation` hardfork, repriced by
//! `TdxRepricing`: see [`tdx_precompile`]), the
//! ed25519/sr25519 verifiers of [`crate::substrate`] (`SubstrateSignatures`) and
//! P256VERIFY at `0x100` on OP chains from Fjord (RIP-7212 gas; from Osaka revm's own EIP-7951
//! version is already part of Ethereum's set).

use crate::substrate;
use alloy_evm::{
    Database, EthEvm, EthEvmFactory, EvmEnv, EvmFactory,
    eth::EthEvmContext,
    precompiles::{DynPrecompile, PrecompileInput, PrecompilesMap},
};
use alloy_primitives::{Address, Bytes};
use phala_primitives::{ChainSpec, OpHardforks, PhalaHardfork};
use phala_tdx::PrecompileRules;
use revm::{
    Inspector,
    context::{
        BlockEnv, TxEnv,
        result::{EVMError, HaltReason},
    },
    inspector::NoOpInspector,
    precompile::{PrecompileHalt, PrecompileId, PrecompileOutput, PrecompileResult, secp256r1},
    primitives::hardfork::SpecId,
};
use std::sync::Arc;

/// Address of the TDX attestation precompile (ASCII "TDX").
pub const TDX_VERIFIER_ADDRESS: Address = Address::new(phala_tdx::TDX_VERIFIER_ADDRESS);

/// The TDX attestation precompile under `rules`. Gas, whatever the verdict and whatever the
/// verifier's cache holds:
///
/// | from hardfork | gas |
/// |---|---|
/// | `TdxAttestation` | `200_000 + 6 * ceil(len / 32)` |
/// | `TdxRepricing` | `300_000 + 12 * ceil(len / 32)` (and the shared verification cache) |
///
/// Malformed ABI or an oversized input makes the call revert (with that gas charged), any
/// verification failure is a normal return with a non-zero status.
pub fn tdx_precompile(rules: PrecompileRules) -> DynPrecompile {
    DynPrecompile::new(
        PrecompileId::Custom("TDX_VERIFY".into()),
        move |input: PrecompileInput<'_>| -> PrecompileResult {
            let cost = rules.gas_cost(input.data.len());
            if cost > input.gas {
                return Ok(PrecompileOutput::halt(PrecompileHalt::OutOfGas, input.reservoir));
            }
            // The block's timestamp, as the precompile's only notion of time.
            let timestamp = input.internals.block_timestamp().saturating_to::<u64>();
            Ok(match rules.run(input.data, timestamp) {
                Ok(output) => PrecompileOutput::new(cost, Bytes::from(output), input.reservoir),
                Err(_) => PrecompileOutput::revert(cost, Bytes::new(), input.reservoir),
            })
        },
    )
}

/// The TDX precompile's rules at `timestamp`: [`PrecompileRules::Repricing`] from
/// `TdxRepricing`, else [`PrecompileRules::Attestation`].
pub fn tdx_rules(spec: &ChainSpec, timestamp: u64) -> PrecompileRules {
    if spec.phala_fork_activation(PhalaHardfork::TdxRepricing).active_at_timestamp(timestamp) {
        PrecompileRules::Repricing
    } else {
        PrecompileRules::Attestation
    }
}

/// Adds the Phala precompiles `spec` schedules at `timestamp` (TDX attestation, ed25519 and
/// sr25519) to `precompiles`, for the EVM of either rule set.
pub(crate) fn install_phala_precompiles(
    spec: &ChainSpec,
    precompiles: &mut PrecompilesMap,
    timestamp: u64,
) {
    if spec.is_tdx_attestation_active_at_timestamp(timestamp) {
        precompiles.extend_precompiles([(
            TDX_VERIFIER_ADDRESS,
            tdx_precompile(tdx_rules(spec, timestamp)),
        )]);
    }
    let substrate = spec.phala_fork_activation(PhalaHardfork::SubstrateSignatures);
    if substrate.active_at_timestamp(timestamp) {
        precompiles.extend_precompiles([
            (substrate::ED25519_VERIFY_ADDRESS, substrate::ed25519_precompile()),
            (substrate::SR25519_VERIFY_ADDRESS, substrate::sr25519_precompile()),
        ]);
    }
}

/// Builds Ethereum-rules EVMs (the genesis builder's) with the precompiles `spec` schedules for the block being executed.
#[derive(Debug, Clone)]
pub struct PhalaEvmFactory {
    spec: Arc<ChainSpec>,
    inner: EthEvmFactory,
}

impl PhalaEvmFactory {
    /// A factory for `spec`.
    pub fn new(spec: Arc<ChainSpec>) -> Self {
        Self { spec, inner: EthEvmFactory::default() }
    }

    fn install(&self, precompiles: &mut PrecompilesMap, env: &EvmEnv) {
        let timestamp = env.block_env.timestamp.saturating_to::<u64>();
        install_phala_precompiles(&self.spec, precompiles, timestamp);
        let osaka = env.cfg_env.spec().is_enabled_in(SpecId::OSAKA);
        if !osaka && self.spec.is_fjord_active_at_timestamp(timestamp) {
            let rip7212 = secp256r1::P256VERIFY;
            precompiles.extend_precompiles([(
                *rip7212.address(),
                DynPrecompile::from(move |input: PrecompileInput<'_>| {
                    rip7212.execute(input.data, input.gas, input.reservoir)
                }),
            )]);
        }
    }
}

impl EvmFactory for PhalaEvmFactory {
    type Evm<DB: Database, I: Inspector<EthEvmContext<DB>>> = EthEvm<DB, I, PrecompilesMap>;
    type Context<DB: Database> = EthEvmContext<DB>;
    type Tx = TxEnv;
    type Error<DBError: core::error::Error + Send + Sync + 'static> = EVMError<DBError>;
    type HaltReason = HaltReason;
    type Spec = SpecId;
    type BlockEnv = BlockEnv;
    type Precompiles = PrecompilesMap;

    fn create_evm<DB: Database>(&self, db: DB, input: EvmEnv) -> Self::Evm<DB, NoOpInspector> {
        let env = input.clone();
        let mut evm = self.inner.create_evm(db, input);
        self.install(alloy_evm::Evm::precompiles_mut(&mut evm), &env);
        evm
    }

    fn create_evm_with_inspector<DB: Database, I: Inspector<Self::Context<DB>>>(
        &self,
        db: DB,
        input: EvmEnv,
        inspector: I,
    ) -> Self::Evm<DB, I> {
        let env = input.clone();
        let mut evm = self.inner.create_evm_with_inspector(db, input, inspector);
        self.install(alloy_evm::Evm::precompiles_mut(&mut evm), &env);
        evm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm_env_for_header;
    use alloy_evm::Evm;
    use alloy_primitives::{TxKind, U256};
    use phala_primitives::Header;
    use revm::database::{CacheDB, EmptyDB};

    fn spec(extra: serde_json::Value) -> Arc<ChainSpec> {
        let mut config = serde_json::json!({
            "chainId": 1, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
            "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0, "istanbulBlock": 0,
            "berlinBlock": 0, "londonBlock": 0, "mergeNetsplitBlock": 0, "terminalTotalDifficulty": 0,
            "shanghaiTime": 0, "cancunTime": 0,
        });
        config.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let genesis = serde_json::json!({ "config": config, "gasLimit": "0x1c9c380", "difficulty": "0x0", "alloc": {} });
        Arc::new(ChainSpec::from_genesis(serde_json::from_value(genesis).unwrap()).unwrap())
    }

    fn has(spec: &Arc<ChainSpec>, timestamp: u64, address: Address) -> bool {
        let header = Header { number: 1, timestamp, gas_limit: 30_000_000, ..Default::default() };
        let evm = PhalaEvmFactory::new(spec.clone())
            .create_evm(CacheDB::new(EmptyDB::default()), evm_env_for_header(spec, &header));
        evm.precompiles().addresses().any(|a| *a == address)
    }

    #[test]
    fn substrate_signature_precompiles_follow_their_hardfork() {
        let spec = spec(serde_json::json!({ "substrateSignaturesTime": 50 }));
        for address in [substrate::ED25519_VERIFY_ADDRESS, substrate::SR25519_VERIFY_ADDRESS] {
            assert!(!has(&spec, 49, address));
            assert!(has(&spec, 50, address));
        }
    }

    #[test]
    fn tdx_precompile_follows_its_hardfork() {
        let spec = spec(serde_json::json!({ "tdxAttestationTime": 100 }));
        assert!(!has(&spec, 99, TDX_VERIFIER_ADDRESS));
        assert!(has(&spec, 100, TDX_VERIFIER_ADDRESS));
        let unscheduled = self::spec(serde_json::json!({}));
        assert!(!has(&unscheduled, u64::MAX / 2, TDX_VERIFIER_ADDRESS));
    }

    /// Calls the precompile at `address` in a transaction at `timestamp` with `gas_limit`:
    /// (success, output, gas used by the precompile: the transaction's less its intrinsic gas).
    fn call_precompile(
        spec: &Arc<ChainSpec>,
        timestamp: u64,
        address: Address,
        input: &[u8],
        gas_limit: u64,
    ) -> (bool, Vec<u8>, u64) {
        let header = Header {
            number: 1,
            timestamp,
            gas_limit: 30_000_000,
            excess_blob_gas: Some(0),
            ..Default::default()
        };
        let mut env = evm_env_for_header(spec, &header);
        env.cfg_env.disable_nonce_check = true;
        let mut evm =
            PhalaEvmFactory::new(spec.clone()).create_evm(CacheDB::new(EmptyDB::default()), env);
        let tx = TxEnv {
            kind: TxKind::Call(address),
            data: input.to_vec().into(),
            gas_limit,
            chain_id: Some(1),
            ..Default::default()
        };
        let result = evm.transact_raw(tx).unwrap().result;
        let calldata_gas: u64 = input.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum();
        let precompile_gas = result.tx_gas_used() - 21_000 - calldata_gas;
        let output = result.output().map(|o| o.to_vec()).unwrap_or_default();
        (result.is_success(), output, precompile_gas)
    }

    /// Calls the TDX precompile in a transaction at `timestamp`.
    fn call_tdx(spec: &Arc<ChainSpec>, timestamp: u64, input: &[u8]) -> (bool, Vec<u8>, u64) {
        call_precompile(spec, timestamp, TDX_VERIFIER_ADDRESS, input, 2_000_000)
    }

    #[test]
    fn tdx_repricing_at_its_boundary() {
        // Fixture #1 of shared/fixtures/tdx verifies on both sides of the boundary.
        let fork = 1_751_328_000;
        let spec = spec(serde_json::json!({ "tdxAttestationTime": 0, "tdxRepricingTime": fork }));
        let input = phala_tdx::test_utils::fixture_input(
            "dcap-qvl/tdx_quote",
            "dcap-qvl/tdx_quote_collateral.json",
            0,
        );
        let old = phala_tdx::gas_cost(input.len());
        let new = PrecompileRules::Repricing.gas_cost(input.len());
        assert_eq!(new, 300_000 + 12 * input.len().div_ceil(32) as u64);
        assert_eq!(tdx_rules(&spec, fork - 1), PrecompileRules::Attestation);
        assert_eq!(tdx_rules(&spec, fork), PrecompileRules::Repricing);

        let (_, before, before_gas) = call_tdx(&spec, fork - 1, &input);
        let (_, after, after_gas) = call_tdx(&spec, fork, &input);
        // Twice after the fork: the second call meets the cache, same bytes and gas.
        let (_, again, again_gas) = call_tdx(&spec, fork, &input);
        assert_eq!((before_gas, after_gas, again_gas), (old, new, new));
        assert_eq!(before[31], phala_tdx::Status::Ok as u8);
        // The output carries no timestamp: the same bytes on both sides.
        assert_eq!(before, after);
        assert_eq!(after, again);

        // Without the repricing fork scheduled, the first schedule stays.
        let unscheduled = self::spec(serde_json::json!({ "tdxAttestationTime": 0 }));
        assert_eq!(call_tdx(&unscheduled, fork + 1_000, &input).2, old);
        // A call that fails the ABI decoding reverts and still pays the schedule's gas.
        let garbage = [0xffu8; 100];
        let gas = |rules: PrecompileRules| rules.gas_cost(garbage.len());
        assert_eq!(
            call_tdx(&spec, fork - 1, &garbage),
            (false, vec![], gas(PrecompileRules::Attestation))
        );
        assert_eq!(
            call_tdx(&spec, fork, &garbage),
            (false, vec![], gas(PrecompileRules::Repricing))
        );
    }

    #[test]
    fn p256verify_from_fjord_with_rip7212_gas() {
        let p256 = *secp256r1::P256VERIFY.address();
        let spec = spec(serde_json::json!({
            "bedrockBlock": 0, "regolithTime": 0, "canyonTime": 0, "deltaTime": 0, "ecotoneTime": 0,
            "fjordTime": 100,
        }));
        assert!(!has(&spec, 99, p256));
        assert!(has(&spec, 100, p256));

        // A real P-256 signature: hash ‖ r ‖ s ‖ x ‖ y.
        use p256::ecdsa::{SigningKey, signature::hazmat::PrehashSigner};
        let key = SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
        let hash = alloy_primitives::keccak256(b"phala");
        let signature: p256::ecdsa::Signature = key.sign_prehash(hash.as_slice()).unwrap();
        let point = key.verifying_key().to_encoded_point(false);
        let input =
            [hash.as_slice(), &signature.to_bytes(), point.x().unwrap(), point.y().unwrap()]
                .concat();
        let (_, output, gas) = call_precompile(&spec, 100, p256, &input, 100_000);
        assert_eq!(output, U256::from(1).to_be_bytes_vec());
        assert_eq!(gas, secp256r1::P256VERIFY_BASE_GAS_FEE);
    }
}
