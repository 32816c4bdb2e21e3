//! The EVM of phala-node: Ethereum's, plus the precompiles the chain spec schedules on top —
//! the TDX attestation verifier at `0x…544458` (Phala's `TdxAttestation` hardfork) and
//! P256VERIFY at `0x100` on OP chains from Fjord (RIP-7212 gas; from Osaka revm's own EIP-7951
//! version is already part of Ethereum's set).

use alloy_evm::{
    Database, EthEvm, EthEvmFactory, EvmEnv, EvmFactory,
    eth::EthEvmContext,
    precompiles::{DynPrecompile, PrecompileInput, PrecompilesMap},
};
use alloy_primitives::{Address, Bytes};
use phala_primitives::{ChainSpec, OpHardfork};
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

/// The TDX attestation precompile: gas `200_000 + 6 * ceil(len / 32)` whatever the verdict;
/// malformed ABI or an oversized input makes the call revert (with that gas charged), any
/// verification failure is a normal return with a non-zero status.
pub fn tdx_precompile() -> DynPrecompile {
    DynPrecompile::new(
        PrecompileId::Custom("TDX_VERIFY".into()),
        |input: PrecompileInput<'_>| -> PrecompileResult {
            let cost = phala_tdx::gas_cost(input.data.len());
            if cost > input.gas {
                return Ok(PrecompileOutput::halt(PrecompileHalt::OutOfGas, input.reservoir));
            }
            // The block's timestamp, as the precompile's only notion of time.
            let timestamp = input.internals.block_timestamp().saturating_to::<u64>();
            Ok(match phala_tdx::verify_precompile_input(input.data, timestamp) {
                Ok(output) => PrecompileOutput::new(cost, Bytes::from(output), input.reservoir),
                Err(_) => PrecompileOutput::revert(cost, Bytes::new(), input.reservoir),
            })
        },
    )
}

/// Builds EVMs with the precompiles `spec` schedules for the block being executed.
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
        if self.spec.is_tdx_attestation_active_at_timestamp(timestamp) {
            precompiles.extend_precompiles([(TDX_VERIFIER_ADDRESS, tdx_precompile())]);
        }
        let osaka = env.cfg_env.spec().is_enabled_in(SpecId::OSAKA);
        if !osaka && self.spec.op_fork_activation(OpHardfork::Fjord).active_at_timestamp(timestamp)
        {
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
