//! [`EvmConfig`]: the one execution seam. It turns a header into an [`EvmEnv`] and builds a
//! [`PhalaEvm`] with the rules of the chain: Ethereum's EVM for an Ethereum chain spec,
//! op-revm's for an OP chain (deposits, L1 data and operator fees, fee vaults), both with the
//! Phala precompiles the spec schedules. Block import and building, `eth_call`, gas estimation,
//! access lists, tracing and `eth_simulateV1` all get their EVM here.

use crate::{PhalaEvmFactory, PhalaTx, precompiles::install_phala_precompiles};
use alloy_evm::{
    Database, EthEvm, Evm, EvmEnv, EvmFactory, eth::EthEvmContext, precompiles::PrecompilesMap,
};
use alloy_op_evm::{
    OpEvm, OpEvmContext, OpEvmFactory, OpTx, OpTxError, spec_by_timestamp_after_bedrock,
};
use alloy_primitives::{Address, Bytes};
use op_revm::{OpHaltReason, OpTransactionError};
use phala_primitives::{ChainSpec, Header};
use revm::{
    Inspector,
    context::{
        BlockEnv, CfgEnv,
        result::{EVMError, InvalidTransaction, ResultAndState},
    },
    context_interface::block::BlobExcessGasAndPrice,
    inspector::NoOpInspector,
    primitives::hardfork::SpecId,
};
use std::sync::Arc;

/// The error of a [`PhalaEvm`] transaction: a database error, or a transaction the rules refuse
/// (an Ethereum refusal is OP's `Base` variant).
pub type PhalaEvmError<DbError> = EVMError<DbError, OpTxError>;

/// Builds EVMs and environments for a chain spec, with the rules it runs.
#[derive(Debug, Clone)]
pub struct EvmConfig {
    spec: Arc<ChainSpec>,
    ethereum: PhalaEvmFactory,
}

impl EvmConfig {
    /// The EVM configuration of `spec`.
    pub fn new(spec: Arc<ChainSpec>) -> Self {
        Self { ethereum: PhalaEvmFactory::new(spec.clone()), spec }
    }

    /// The chain spec.
    pub const fn spec(&self) -> &Arc<ChainSpec> {
        &self.spec
    }

    /// Whether blocks run with OP Stack rules.
    pub fn is_optimism(&self) -> bool {
        self.spec.is_optimism()
    }

    /// The environment (fork rules, block fields, blob fee) to execute in `header`'s block.
    ///
    /// On an OP chain the fork is the Ethereum fork the OP fork implies, and there is no blob
    /// fee market: `BLOBBASEFEE` is 1 from Ecotone, as op-geth has it.
    pub fn evm_env(&self, header: &Header) -> EvmEnv {
        let mut env = crate::evm_env_for_header(&self.spec, header);
        if self.is_optimism() {
            let op_spec = spec_by_timestamp_after_bedrock(&*self.spec, header.timestamp);
            env.cfg_env = env.cfg_env.with_spec_and_mainnet_gas_params(op_spec.into_eth_spec());
            env.block_env.blob_excess_gas_and_price = env
                .cfg_env
                .spec
                .is_enabled_in(SpecId::CANCUN)
                .then_some(BlobExcessGasAndPrice { excess_blob_gas: 0, blob_gasprice: 1 });
        }
        env
    }

    /// An EVM over `db` in `env`, without an inspector: it runs revm's plain interpreter loop,
    /// not the inspecting one (the factories enable the inspector they are given).
    pub fn evm<DB: Database>(&self, db: DB, env: EvmEnv) -> PhalaEvm<DB, NoOpInspector> {
        let mut evm = self.evm_with_inspector(db, env, NoOpInspector);
        evm.set_inspector_enabled(false);
        evm
    }

    /// An EVM over `db` in `env` that reports to `inspector` (while it is enabled).
    pub fn evm_with_inspector<DB, I>(&self, db: DB, env: EvmEnv, inspector: I) -> PhalaEvm<DB, I>
    where
        DB: Database,
        I: Inspector<EthEvmContext<DB>> + Inspector<OpEvmContext<DB>>,
    {
        let cfg = env.cfg_env.clone();
        if !self.is_optimism() {
            let evm = self.ethereum.create_evm_with_inspector(db, env, inspector);
            return PhalaEvm { inner: Rules::Ethereum(evm), cfg };
        }
        let timestamp = env.block_env.timestamp.saturating_to::<u64>();
        let op_spec = spec_by_timestamp_after_bedrock(&*self.spec, timestamp);
        let op_env = EvmEnv {
            cfg_env: env.cfg_env.with_spec_and_mainnet_gas_params(op_spec),
            block_env: env.block_env,
        };
        let mut evm =
            OpEvmFactory::<OpTx>::default().create_evm_with_inspector(db, op_env, inspector);
        install_phala_precompiles(&self.spec, evm.precompiles_mut(), timestamp);
        PhalaEvm { inner: Rules::Optimism(evm), cfg }
    }
}

// One EVM exists per execution and is never stored in bulk, so the size difference between
// the variants costs nothing worth an allocation.
#[allow(clippy::large_enum_variant)]
enum Rules<DB: Database, I> {
    Ethereum(EthEvm<DB, I, PrecompilesMap>),
    Optimism(OpEvm<DB, I, PrecompilesMap, OpTx>),
}

/// An EVM with the rules of its chain; see [`EvmConfig`].
pub struct PhalaEvm<DB: Database, I> {
    inner: Rules<DB, I>,
    /// The configuration as the caller gave it, with the Ethereum fork.
    cfg: CfgEnv,
}

impl<DB: Database, I> std::fmt::Debug for PhalaEvm<DB, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules = match self.inner {
            Rules::Ethereum(_) => "ethereum",
            Rules::Optimism(_) => "optimism",
        };
        f.debug_struct("PhalaEvm").field("rules", &rules).field("spec", &self.cfg.spec).finish()
    }
}

impl<DB: Database, I> PhalaEvm<DB, I> {
    /// Whether this EVM runs OP Stack rules.
    pub const fn is_optimism(&self) -> bool {
        matches!(self.inner, Rules::Optimism(_))
    }
}

fn ethereum_error<E>(error: EVMError<E, InvalidTransaction>) -> PhalaEvmError<E> {
    match error {
        EVMError::Transaction(error) => {
            EVMError::Transaction(OpTxError(OpTransactionError::Base(error)))
        }
        EVMError::Database(error) => EVMError::Database(error),
        EVMError::Header(error) => EVMError::Header(error),
        EVMError::Custom(error) => EVMError::Custom(error),
        EVMError::CustomAny(error) => EVMError::CustomAny(error),
    }
}

fn ethereum_result(
    result: ResultAndState<revm::context::result::HaltReason>,
) -> ResultAndState<OpHaltReason> {
    ResultAndState { result: result.result.map_haltreason(OpHaltReason::Base), state: result.state }
}

impl<DB, I> Evm for PhalaEvm<DB, I>
where
    DB: Database,
    I: Inspector<EthEvmContext<DB>> + Inspector<OpEvmContext<DB>>,
{
    type DB = DB;
    type Tx = PhalaTx;
    type Error = PhalaEvmError<DB::Error>;
    type HaltReason = OpHaltReason;
    type Spec = SpecId;
    type BlockEnv = BlockEnv;
    type Precompiles = PrecompilesMap;
    type Inspector = I;

    fn block(&self) -> &BlockEnv {
        match &self.inner {
            Rules::Ethereum(evm) => evm.block(),
            Rules::Optimism(evm) => evm.block(),
        }
    }

    fn cfg_env(&self) -> &CfgEnv {
        &self.cfg
    }

    fn chain_id(&self) -> u64 {
        self.cfg.chain_id
    }

    fn transact_raw(&mut self, tx: PhalaTx) -> Result<ResultAndState<OpHaltReason>, Self::Error> {
        match &mut self.inner {
            Rules::Ethereum(evm) => {
                evm.transact_raw(tx.0.base).map(ethereum_result).map_err(ethereum_error)
            }
            Rules::Optimism(evm) => evm.transact_raw(OpTx(tx.0)),
        }
    }

    fn transact_system_call(
        &mut self,
        caller: Address,
        contract: Address,
        data: Bytes,
    ) -> Result<ResultAndState<OpHaltReason>, Self::Error> {
        match &mut self.inner {
            Rules::Ethereum(evm) => evm
                .transact_system_call(caller, contract, data)
                .map(ethereum_result)
                .map_err(ethereum_error),
            Rules::Optimism(evm) => evm.transact_system_call(caller, contract, data),
        }
    }

    fn finish(self) -> (DB, EvmEnv) {
        match self.inner {
            Rules::Ethereum(evm) => evm.finish(),
            Rules::Optimism(evm) => {
                let (db, env) = evm.finish();
                (db, EvmEnv { cfg_env: self.cfg, block_env: env.block_env })
            }
        }
    }

    fn set_inspector_enabled(&mut self, enabled: bool) {
        match &mut self.inner {
            Rules::Ethereum(evm) => evm.set_inspector_enabled(enabled),
            Rules::Optimism(evm) => evm.set_inspector_enabled(enabled),
        }
    }

    fn components(&self) -> (&DB, &I, &PrecompilesMap) {
        match &self.inner {
            Rules::Ethereum(evm) => evm.components(),
            Rules::Optimism(evm) => evm.components(),
        }
    }

    fn components_mut(&mut self) -> (&mut DB, &mut I, &mut PrecompilesMap) {
        match &mut self.inner {
            Rules::Ethereum(evm) => evm.components_mut(),
            Rules::Optimism(evm) => evm.components_mut(),
        }
    }
}
