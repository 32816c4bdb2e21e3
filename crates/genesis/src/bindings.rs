//! `sol!` bindings of the genesis contracts and our OP predeploys, generated from the ABIs in the committed compiler
//! output (`contracts/out`), so they cannot drift from the contracts. Each contract has its own
//! module because structs shared through an interface (the TDX precompile's `Collateral`) are
//! generated once per contract that uses them.

#![allow(missing_docs, clippy::too_many_arguments)]

/// `contracts/src/token/PhalaToken.sol`.
pub mod token {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        PhalaToken,
        "../../contracts/out/PhalaToken.json"
    );
}

/// `contracts/src/staking/StakedPhala.sol`.
pub mod staking {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        StakedPhala,
        "../../contracts/out/StakedPhala.json"
    );
}

/// `contracts/src/governance/PhalaTimelock.sol`.
pub mod timelock {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        PhalaTimelock,
        "../../contracts/out/PhalaTimelock.json"
    );
}

/// `contracts/src/governance/PhalaGovernor.sol`.
pub mod governor {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        PhalaGovernor,
        "../../contracts/out/PhalaGovernor.json"
    );
}

/// `contracts/src/migration/MigrationClaims.sol`.
pub mod claims {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        MigrationClaims,
        "../../contracts/out/MigrationClaims.json"
    );
}

/// `contracts/src/compute/WorkerRegistry.sol`.
pub mod registry {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        WorkerRegistry,
        "../../contracts/out/WorkerRegistry.json"
    );
}

/// `contracts/src/compute/StakePools.sol`.
pub mod pools {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        StakePools,
        "../../contracts/out/StakePools.json"
    );
}

/// `contracts/src/op`: our OP Stack predeploys.
pub mod op {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        L1Block,
        "../../contracts/out/L1Block.json"
    );
    alloy_sol_types::sol!(
        #[derive(Debug)]
        GasPriceOracle,
        "../../contracts/out/GasPriceOracle.json"
    );
    alloy_sol_types::sol!(
        #[derive(Debug)]
        OperatorFeeVault,
        "../../contracts/out/OperatorFeeVault.json"
    );
}

pub use claims::MigrationClaims;
pub use governor::PhalaGovernor;
pub use pools::StakePools;
pub use registry::{ITdxVerifier::Collateral, WorkerRegistry};
pub use staking::StakedPhala;
pub use timelock::PhalaTimelock;
pub use token::PhalaToken;
