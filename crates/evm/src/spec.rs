use alloy_evm::eth::spec::EthExecutorSpec;
use alloy_hardforks::{EthereumHardfork, EthereumHardforks, ForkCondition};
use alloy_primitives::Address;
use phala_primitives::ChainSpec;
use std::sync::Arc;

/// The chain spec in the shape alloy-evm's executor expects.
#[derive(Debug, Clone)]
pub struct EvmSpec(pub Arc<ChainSpec>);

impl EthereumHardforks for EvmSpec {
    fn ethereum_fork_activation(&self, fork: EthereumHardfork) -> ForkCondition {
        self.0.ethereum_fork_activation(fork)
    }
}

impl EthExecutorSpec for EvmSpec {
    fn deposit_contract_address(&self) -> Option<Address> {
        self.0.deposit_contract_address
    }
}

impl alloy_op_hardforks::OpHardforks for EvmSpec {
    fn op_fork_activation(&self, fork: alloy_op_hardforks::OpHardfork) -> ForkCondition {
        self.0.op_fork_activation(fork)
    }
}
