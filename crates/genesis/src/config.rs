//! The inputs of the genesis contracts, as a chain spec's `genesisContracts` key holds them
//! (with the OP predeploys' inputs under `opPredeploys`, see [`OpPredeployConfig`]). Token
//! amounts are whole PHA (or vPHA) unless a field says wei.

use crate::{GenesisError, op::OpPredeployConfig};
use alloy_primitives::{Address, B256, U256};
use phala_primitives::predeploys;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, path::PathBuf};

/// `amount` whole PHA in wei (18 decimals).
pub fn pha(amount: u64) -> U256 {
    U256::from(amount) * U256::from(10u64).pow(U256::from(18u64))
}

/// Everything the genesis contracts are built from. The PHA supply (1,000,000,000) goes to the
/// migration claims (the snapshot's total), the vault's rewards reserve (`rewardsBudget`), the
/// `allocations`, and the rest to the treasury (the governance timelock).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisContractsConfig {
    /// PHA streamed to stakers by the vault (its rewards reserve).
    pub rewards_budget: u64,
    /// Holders funded at genesis besides claims, rewards and treasury.
    #[serde(default)]
    pub allocations: Vec<Allocation>,
    /// The parachain snapshot file, relative to the chain spec file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_snapshot: Option<PathBuf>,
    /// When migration claims close (a timestamp); what is left then goes to the treasury. `None`:
    /// claims never close.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_claim_deadline: Option<u64>,
    /// The vPHA vault.
    pub vault: VaultConfig,
    /// Governor and timelock.
    pub governance: GovernanceConfig,
    /// The TDX worker registry's policy.
    pub registry: RegistryConfig,
    /// The stake pools.
    pub pools: PoolsConfig,
    /// The OP Stack predeploys' inputs (fee vault recipients, ProxyAdmin owner, L1 counterparts)
    /// on an OP chain; absent: [`OpPredeployConfig::default`]. Refused on a chain without OP forks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_predeploys: Option<OpPredeployConfig>,
}

/// A genesis holder.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Allocation {
    /// The holder.
    pub address: Address,
    /// PHA it holds.
    #[serde(default)]
    pub pha: u64,
    /// PHA staked for it in the vault (it holds the vPHA).
    #[serde(default)]
    pub staked: u64,
}

/// The vPHA vault's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VaultConfig {
    /// Rewards per second, in wei of PHA.
    pub rewards_per_second: U256,
    /// Seconds between an unlock request and its claim.
    pub lock_period: u64,
    /// The cap on staked PHA.
    pub max_locked_assets: u64,
}

/// Governor and timelock parameters (times in seconds: the votes clock is a timestamp).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GovernanceConfig {
    /// From proposal to the start of voting.
    pub voting_delay: u64,
    /// Length of the vote.
    pub voting_period: u64,
    /// vPHA needed to propose.
    pub proposal_threshold: u64,
    /// Quorum, percent of the vPHA that can vote (the supply less what the stake pools, the
    /// unclaimed migration stake and the burnt genesis shares hold).
    pub quorum_percent: u64,
    /// The lowest quorum, in vPHA, however little is staked.
    pub min_quorum: u64,
    /// The timelock's minimum delay between queue and execution.
    pub timelock_min_delay: u64,
}

/// The worker registry's initial policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistryConfig {
    /// Workload ids (from the TDX precompile) allowed to register.
    #[serde(default)]
    pub allowed_workloads: Vec<B256>,
    /// TCB statuses accepted (0 UpToDate … 8, as the precompile numbers them).
    pub allowed_tcb_statuses: Vec<u8>,
    /// Minimum TCB evaluation data number.
    #[serde(default)]
    pub min_tcb_eval_data_number: u32,
    /// Whether report data must bind the worker key and a registry nonce.
    pub require_report_data_binding: bool,
    /// Seconds an attestation stays valid.
    pub attestation_ttl: u64,
    /// Flags passed to the TDX precompile (bit 0 service TD, bit 1 SGX).
    #[serde(default)]
    pub verifier_flags: u32,
}

/// The stake pools' parameters.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolsConfig {
    /// Seconds between a withdrawal request and its claim.
    pub withdraw_delay: u64,
    /// Collateral per GPU by GPU class (whole vPHA), e.g. `"H100": 1250`.
    pub gpu_classes: BTreeMap<String, u64>,
}

impl GenesisContractsConfig {
    /// The `--dev` inputs: each of `accounts` holds 1,000,000 PHA and 1,000,000 vPHA; short
    /// governance periods; the 21-day unlock of every chain.
    pub fn dev(accounts: &[Address]) -> Self {
        Self {
            rewards_budget: 100_000_000,
            allocations: accounts
                .iter()
                .map(|address| Allocation { address: *address, pha: 1_000_000, staked: 1_000_000 })
                .collect(),
            migration_snapshot: None,
            migration_claim_deadline: None,
            vault: VaultConfig {
                // 100M PHA over four years.
                rewards_per_second: U256::from(792_202_217_056_430_000u128),
                lock_period: 21 * 86_400,
                max_locked_assets: 1_000_000_000,
            },
            governance: GovernanceConfig {
                voting_delay: 1,
                voting_period: 300,
                proposal_threshold: 0,
                quorum_percent: 4,
                min_quorum: 10_000,
                timelock_min_delay: 60,
            },
            registry: RegistryConfig {
                allowed_workloads: Vec::new(),
                allowed_tcb_statuses: vec![0, 1, 2, 3],
                min_tcb_eval_data_number: 0,
                require_report_data_binding: true,
                attestation_ttl: 7 * 86_400,
                verifier_flags: 0,
            },
            pools: PoolsConfig {
                withdraw_delay: 7 * 86_400,
                gpu_classes: BTreeMap::from([
                    ("B200".to_string(), 2250),
                    ("H100".to_string(), 1250),
                    ("H200".to_string(), 1875),
                ]),
            },
            op_predeploys: None,
        }
    }

    /// Checks what the contracts cannot represent or would refuse.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let invalid = |message: String| Err(GenesisError::Invalid(message));
        if self.governance.quorum_percent > 100 {
            return invalid(format!(
                "governance.quorumPercent {} is over 100",
                self.governance.quorum_percent
            ));
        }
        if self.governance.voting_delay >= 1 << 48 {
            return invalid("governance.votingDelay does not fit 48 bits".into());
        }
        if self.governance.voting_period == 0 || self.governance.voting_period >= 1 << 32 {
            return invalid("governance.votingPeriod must be in 1..2^32 seconds".into());
        }
        if let Some(status) = self.registry.allowed_tcb_statuses.iter().find(|status| **status > 15)
        {
            return invalid(format!("registry.allowedTcbStatuses: {status} is not a TCB status"));
        }
        for (name, collateral) in &self.pools.gpu_classes {
            if name.is_empty() || name.len() > 32 {
                return invalid(format!("pools.gpuClasses: {name:?} must be 1 to 32 bytes"));
            }
            if *collateral == 0 {
                return invalid(format!("pools.gpuClasses: {name} has no collateral"));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for allocation in &self.allocations {
            let reserved = allocation.address.is_zero()
                || allocation.address == predeploys::GENESIS_DEPLOYER
                || allocation.address == predeploys::BURN_ADDRESS
                || predeploys::ALL.iter().any(|(_, address)| *address == allocation.address);
            if reserved {
                return invalid(format!(
                    "allocations: {} is a reserved address (zero, burn, deployer or a predeploy)",
                    allocation.address
                ));
            }
            if !seen.insert(allocation.address) {
                return invalid(format!("allocations: {} is listed twice", allocation.address));
            }
        }
        Ok(())
    }
}
