//! Governance: propose → vote with vPHA → queue in the timelock → execute a proposal that
//! changes the worker registry's policy.

use crate::harness::{Chain, Outcome, pha};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::SolCall;
use phala_genesis::bindings::{
    PhalaGovernor, PhalaTimelock, PhalaToken, StakedPhala, WorkerRegistry,
};
use phala_primitives::predeploys::{
    BURN_ADDRESS, GOVERNOR, MIGRATION_CLAIMS, PHA_TOKEN, STAKE_POOLS, STAKED_PHA, TIMELOCK,
    WORKER_REGISTRY,
};

/// A proposal's actions and description: the governor identifies it by their hash, so propose,
/// queue and execute all carry the same four fields.
pub(crate) struct Proposal {
    targets: Vec<Address>,
    values: Vec<U256>,
    calldatas: Vec<Bytes>,
    description: String,
}

impl Proposal {
    /// Calls `actions` (target, call) with no value, described by `description`.
    pub(crate) fn new(actions: Vec<(Address, Bytes)>, description: &str) -> Self {
        let (targets, calldatas): (Vec<Address>, Vec<Bytes>) = actions.into_iter().unzip();
        let values = vec![U256::ZERO; targets.len()];
        Self { targets, values, calldatas, description: description.to_string() }
    }

    fn description_hash(&self) -> B256 {
        keccak256(self.description.as_bytes())
    }

    pub(crate) fn propose(&self) -> PhalaGovernor::proposeCall {
        PhalaGovernor::proposeCall {
            targets: self.targets.clone(),
            values: self.values.clone(),
            calldatas: self.calldatas.clone(),
            description: self.description.clone(),
        }
    }

    pub(crate) fn queue(&self) -> PhalaGovernor::queueCall {
        PhalaGovernor::queueCall {
            targets: self.targets.clone(),
            values: self.values.clone(),
            calldatas: self.calldatas.clone(),
            descriptionHash: self.description_hash(),
        }
    }

    pub(crate) fn execute(&self) -> PhalaGovernor::executeCall {
        PhalaGovernor::executeCall {
            targets: self.targets.clone(),
            values: self.values.clone(),
            calldatas: self.calldatas.clone(),
            descriptionHash: self.description_hash(),
        }
    }

    /// The proposal id, as the governor computes it.
    pub(crate) fn id(&self, chain: &Chain) -> U256 {
        chain.view(
            GOVERNOR,
            PhalaGovernor::hashProposalCall {
                targets: self.targets.clone(),
                values: self.values.clone(),
                calldatas: self.calldatas.clone(),
                descriptionHash: self.description_hash(),
            },
        )
    }
}

/// Passes `call` to `target` through governance: account `voter` proposes, votes for it alone,
/// queues it in the timelock and executes it. The execution's outcome.
pub(crate) fn govern<C: SolCall>(
    chain: &mut Chain,
    voter: usize,
    target: Address,
    call: C,
    description: &str,
) -> Outcome {
    let proposal = Proposal::new(vec![(target, call.abi_encode().into())], description);
    chain.ok(voter, GOVERNOR, proposal.propose());
    let proposal_id = proposal.id(chain);
    // The vote opens one second after the proposal: the next block is in it.
    chain.ok(voter, GOVERNOR, PhalaGovernor::castVoteCall { proposalId: proposal_id, support: 1 });
    let deadline =
        chain.view(GOVERNOR, PhalaGovernor::proposalDeadlineCall { proposalId: proposal_id });
    let deadline = deadline.to::<u64>();
    if chain.time + 2 <= deadline {
        chain.warp(deadline + 1 - chain.time);
    }
    chain.ok(voter, GOVERNOR, proposal.queue());
    let eta = chain.view(GOVERNOR, PhalaGovernor::proposalEtaCall { proposalId: proposal_id });
    let eta = eta.to::<u64>();
    if chain.time + 2 < eta {
        chain.warp((eta - 2 - chain.time).max(2));
    }
    chain.ok(voter, GOVERNOR, proposal.execute())
}

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
    let actions = Proposal::new(
        vec![
            (
                WORKER_REGISTRY,
                WorkerRegistry::setWorkloadAllowedCall { workloadId: workload, allowed: true }
                    .abi_encode()
                    .into(),
            ),
            (
                WORKER_REGISTRY,
                WorkerRegistry::setRequireReportDataBindingCall { required: false }
                    .abi_encode()
                    .into(),
            ),
            (
                STAKED_PHA,
                StakedPhala::setRewardsPerSecondCall { rewardsPerSecond_: U256::from(7) }
                    .abi_encode()
                    .into(),
            ),
            (
                PHA_TOKEN,
                PhalaToken::transferCall { to: grantee, value: pha(1_000) }.abi_encode().into(),
            ),
        ],
        "Allow workload 0x77…, drop the report-data binding, slow rewards, pay a grant",
    );
    let proposal = actions.id(&chain);

    let outcome = chain.ok(0, GOVERNOR, actions.propose());
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
    let queue = actions.queue();
    assert!(!chain.send(0, GOVERNOR, queue.clone()).success);
    chain.warp(300);
    assert_eq!(state(&chain), SUCCEEDED);
    let outcome = chain.ok(0, GOVERNOR, queue);
    println!("gas: governor queue = {}", outcome.gas_used);
    assert_eq!(state(&chain), QUEUED);

    // The timelock holds it for its minimum delay.
    let execute = actions.execute();
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
    let call = WorkerRegistry::setAttestationTtlCall { attestationTtl_: 1 };
    let actions = Proposal::new(vec![(WORKER_REGISTRY, call.abi_encode().into())], "Too few votes");
    chain.ok(0, GOVERNOR, actions.propose());
    let proposal = actions.id(&chain);
    assert_ne!(chain.view(GOVERNOR, PhalaGovernor::stateCall { proposalId: proposal }), PENDING);
    chain.ok(1, GOVERNOR, PhalaGovernor::castVoteCall { proposalId: proposal, support: 1 });
    chain.warp(300);
    const DEFEATED: u8 = 3;
    assert_eq!(chain.view(GOVERNOR, PhalaGovernor::stateCall { proposalId: proposal }), DEFEATED);
}
