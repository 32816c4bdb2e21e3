//! Governance: propose → vote with vPHA → queue in the timelock → execute a proposal that
//! changes the worker registry's policy.

use crate::harness::{Chain, pha};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use phala_genesis::bindings::{
    PhalaGovernor, PhalaTimelock, PhalaToken, StakedPhala, WorkerRegistry,
};
use phala_primitives::predeploys::{
    BURN_ADDRESS, GOVERNOR, MIGRATION_CLAIMS, PHA_TOKEN, STAKE_POOLS, STAKED_PHA, TIMELOCK,
    WORKER_REGISTRY,
};

/// OpenZeppelin's `IGovernor.ProposalState`.
const PENDING: u8 = 0;
const ACTIVE: u8 = 1;
const SUCCEEDED: u8 = 4;
const QUEUED: u8 = 5;
const EXECUTED: u8 = 7;

#[test]
fn genesis_wiring() {
    let chain = Chain::new(1, |_| {});
    assert_eq!(chain.view(GOVERNOR, PhalaGovernor::tokenCall {}), STAKED_PHA);
    assert_eq!(chain.view(GOVERNOR, PhalaGovernor::timelockCall {}), TIMELOCK);
    assert_eq!(chain.view(GOVERNOR, PhalaGovernor::CLOCK_MODECall {}), "mode=timestamp");
    assert_eq!(chain.view(GOVERNOR, PhalaGovernor::votingPeriodCall {}), U256::from(300));
    assert_eq!(chain.view(GOVERNOR, PhalaGovernor::quorumNumerator_1Call {}), U256::from(4));
    let proposer = chain.view(TIMELOCK, PhalaTimelock::PROPOSER_ROLECall {});
    assert!(chain.view(TIMELOCK, PhalaTimelock::hasRoleCall { role: proposer, account: GOVERNOR }));
    let admin = chain.view(TIMELOCK, PhalaTimelock::DEFAULT_ADMIN_ROLECall {});
    // No one but the timelock itself administers the timelock.
    assert!(
        !chain
            .view(TIMELOCK, PhalaTimelock::hasRoleCall { role: admin, account: chain.accounts[0] })
    );
    assert_eq!(chain.view(TIMELOCK, PhalaTimelock::getMinDelayCall {}), U256::from(60));
    assert_eq!(chain.view(GOVERNOR, PhalaGovernor::minQuorumCall {}), pha(10_000));
    assert_eq!(
        chain.view(GOVERNOR, PhalaGovernor::nonVotingHoldersCall {}),
        vec![STAKE_POOLS, MIGRATION_CLAIMS, BURN_ADDRESS]
    );
    for contract in [STAKED_PHA, WORKER_REGISTRY] {
        let owner = chain.view(contract, StakedPhala::ownerCall {});
        assert_eq!(owner, TIMELOCK);
    }
}

/// Quorum is 4% of the vPHA that can vote: the unclaimed migration stake and the burnt genesis
/// shares do not count, and it never falls below `minQuorum`.
#[test]
fn quorum_counts_only_voting_stake_and_has_a_floor() {
    let mut chain = Chain::new(3, |_| {});
    chain.warp(2);
    let supply = chain.view(STAKED_PHA, StakedPhala::totalSupplyCall {});
    // 3 × 1,000,000 staked by the accounts, 302,500 for the claims, 1 burnt.
    assert_eq!(supply, pha(3_302_501));
    let quorum =
        chain.view(GOVERNOR, PhalaGovernor::quorumCall { timepoint: U256::from(chain.time) });
    assert_eq!(quorum, pha(120_000), "4% of 3,000,000");

    // Little stake: the floor holds.
    let mut chain = Chain::new(3, |config| {
        for allocation in &mut config.allocations {
            allocation.staked = 100;
        }
    });
    chain.warp(2);
    let quorum =
        chain.view(GOVERNOR, PhalaGovernor::quorumCall { timepoint: U256::from(chain.time) });
    assert_eq!(quorum, pha(10_000));
}

#[test]
fn proposal_changes_the_registry_policy() {
    let mut chain = Chain::new(3, |_| {});
    let workload = B256::repeat_byte(0x77);
    assert!(
        !chain.view(WORKER_REGISTRY, WorkerRegistry::allowedWorkloadsCall { workloadId: workload })
    );
    assert!(chain.view(WORKER_REGISTRY, WorkerRegistry::requireReportDataBindingCall {}));

    // Registry policy, the vault's reward rate and a treasury payment, in one proposal.
    let grantee = Address::repeat_byte(0x9a);
    let treasury_before = chain.view(PHA_TOKEN, PhalaToken::balanceOfCall { account: TIMELOCK });
    let targets = vec![WORKER_REGISTRY, WORKER_REGISTRY, STAKED_PHA, PHA_TOKEN];
    let values = vec![U256::ZERO; 4];
    let calldatas: Vec<Bytes> = vec![
        WorkerRegistry::setWorkloadAllowedCall { workloadId: workload, allowed: true }
            .abi_encode()
            .into(),
        WorkerRegistry::setRequireReportDataBindingCall { required: false }.abi_encode().into(),
        StakedPhala::setRewardsPerSecondCall { rewardsPerSecond_: U256::from(7) }
            .abi_encode()
            .into(),
        PhalaToken::transferCall { to: grantee, value: pha(1_000) }.abi_encode().into(),
    ];
    let description =
        "Allow workload 0x77…, drop the report-data binding, slow rewards, pay a grant".to_string();
    let description_hash = keccak256(description.as_bytes());
    let proposal = chain.view(
        GOVERNOR,
        PhalaGovernor::hashProposalCall {
            targets: targets.clone(),
            values: values.clone(),
            calldatas: calldatas.clone(),
            descriptionHash: description_hash,
        },
    );

    let outcome = chain.ok(
        0,
        GOVERNOR,
        PhalaGovernor::proposeCall {
            targets: targets.clone(),
            values: values.clone(),
            calldatas: calldatas.clone(),
            description,
        },
    );
    println!("gas: governor propose = {}", outcome.gas_used);
    let state =
        |chain: &Chain| chain.view(GOVERNOR, PhalaGovernor::stateCall { proposalId: proposal });
    let snapshot =
        chain.view(GOVERNOR, PhalaGovernor::proposalSnapshotCall { proposalId: proposal });
    assert_eq!(snapshot, U256::from(chain.time + 1), "voting delay of 1 s on the timestamp clock");
    // The next block is after the snapshot: voting is open.
    assert_eq!(state(&chain), ACTIVE);

    // Votes are vPHA balances at the snapshot: 1,000,000 each for accounts 0 and 1.
    let outcome =
        chain.ok(0, GOVERNOR, PhalaGovernor::castVoteCall { proposalId: proposal, support: 1 });
    println!("gas: governor castVote = {}", outcome.gas_used);
    chain.ok(1, GOVERNOR, PhalaGovernor::castVoteCall { proposalId: proposal, support: 1 });
    chain.ok(2, GOVERNOR, PhalaGovernor::castVoteCall { proposalId: proposal, support: 0 });
    // Voting twice is refused.
    let failed =
        chain.send(0, GOVERNOR, PhalaGovernor::castVoteCall { proposalId: proposal, support: 1 });
    assert!(!failed.success);

    // Queueing before the deadline is refused; after it the proposal has succeeded.
    let queue = PhalaGovernor::queueCall {
        targets: targets.clone(),
        values: values.clone(),
        calldatas: calldatas.clone(),
        descriptionHash: description_hash,
    };
    assert!(!chain.send(0, GOVERNOR, queue.clone()).success);
    chain.warp(300);
    assert_eq!(state(&chain), SUCCEEDED);
    let outcome = chain.ok(0, GOVERNOR, queue);
    println!("gas: governor queue = {}", outcome.gas_used);
    assert_eq!(state(&chain), QUEUED);

    // The timelock holds it for its minimum delay.
    let execute = PhalaGovernor::executeCall {
        targets,
        values,
        calldatas,
        descriptionHash: description_hash,
    };
    assert!(!chain.send(2, GOVERNOR, execute.clone()).success);
    assert!(
        !chain.view(WORKER_REGISTRY, WorkerRegistry::allowedWorkloadsCall { workloadId: workload })
    );
    chain.warp(60);
    // Anyone may execute.
    let outcome = chain.ok(2, GOVERNOR, execute);
    println!("gas: governor execute = {}", outcome.gas_used);
    assert_eq!(state(&chain), EXECUTED);
    assert!(
        chain.view(WORKER_REGISTRY, WorkerRegistry::allowedWorkloadsCall { workloadId: workload })
    );
    assert!(!chain.view(WORKER_REGISTRY, WorkerRegistry::requireReportDataBindingCall {}));
    assert_eq!(chain.view(STAKED_PHA, StakedPhala::rewardsPerSecondCall {}), U256::from(7));
    assert_eq!(chain.view(PHA_TOKEN, PhalaToken::balanceOfCall { account: grantee }), pha(1_000));
    assert_eq!(
        chain.view(PHA_TOKEN, PhalaToken::balanceOfCall { account: TIMELOCK }),
        treasury_before - pha(1_000)
    );
}

#[test]
fn a_proposal_without_quorum_is_defeated() {
    // vPHA supply: 1,000,000 (account 0) + 1 (account 1); quorum is 4% of it. Account 1's lone
    // unopposed vote is far below quorum.
    let mut chain = Chain::new(3, |config| {
        config.allocations[2].staked = 0;
        config.allocations[1].staked = 1;
    });
    let call: Bytes =
        WorkerRegistry::setAttestationTtlCall { attestationTtl_: 1 }.abi_encode().into();
    let description = "Too few votes".to_string();
    chain.ok(
        0,
        GOVERNOR,
        PhalaGovernor::proposeCall {
            targets: vec![WORKER_REGISTRY],
            values: vec![U256::ZERO],
            calldatas: vec![call.clone()],
            description: description.clone(),
        },
    );
    let proposal = chain.view(
        GOVERNOR,
        PhalaGovernor::hashProposalCall {
            targets: vec![WORKER_REGISTRY],
            values: vec![U256::ZERO],
            calldatas: vec![call],
            descriptionHash: keccak256(description.as_bytes()),
        },
    );
    assert_ne!(chain.view(GOVERNOR, PhalaGovernor::stateCall { proposalId: proposal }), PENDING);
    chain.ok(1, GOVERNOR, PhalaGovernor::castVoteCall { proposalId: proposal, support: 1 });
    chain.warp(300);
    const DEFEATED: u8 = 3;
    assert_eq!(chain.view(GOVERNOR, PhalaGovernor::stateCall { proposalId: proposal }), DEFEATED);
}
