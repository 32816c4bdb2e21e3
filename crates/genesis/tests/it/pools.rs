//! The compute stake pools with a worker registered from TDX fixture #1: pools, binding with vPHA
//! collateral, delegation, rewards and commission, the withdrawal delay, unbinding, and slashing
//! by governance only.

use crate::{
    governance::govern,
    harness::{Chain, pha},
    registry::{Fixture, event, permissive_chain, register},
};
use alloy_primitives::{Address, U256};
use phala_genesis::{
    bindings::{StakePools, StakePools::StakePoolsErrors, StakedPhala, WorkerRegistry},
    gpu_class,
};
use phala_primitives::predeploys::{STAKE_POOLS, STAKED_PHA, TIMELOCK, WORKER_REGISTRY};

const DAY: u64 = 86_400;
/// `VIRTUAL_SHARES` of the share price.
const VIRTUAL: u64 = 1_000_000;
/// GPUs of the test worker.
const GPUS: u32 = 8;

fn vpha_balance(chain: &Chain, who: Address) -> U256 {
    chain.view(STAKED_PHA, StakedPhala::balanceOfCall { account: who })
}

fn pool(chain: &Chain, pool_id: U256) -> StakePools::PoolInfo {
    chain.view(STAKE_POOLS, StakePools::poolCall { poolId: pool_id })
}

fn shares_of(chain: &Chain, pool_id: U256, account: Address) -> U256 {
    chain.view(STAKE_POOLS, StakePools::sharesOfCall { poolId: pool_id, account })
}

fn preview_assets(chain: &Chain, pool_id: U256, shares: U256) -> U256 {
    chain.view(STAKE_POOLS, StakePools::previewAssetsCall { poolId: pool_id, shares })
}

fn owner_of(chain: &Chain, token_id: U256) -> Address {
    chain.view(WORKER_REGISTRY, WorkerRegistry::ownerOfCall { tokenId: token_id })
}

/// H100 collateral of the test worker: 1,250 vPHA per GPU.
fn collateral() -> U256 {
    pha(1250) * U256::from(GPUS)
}

fn approve_vpha(chain: &mut Chain, from: usize, amount: U256) {
    chain.ok(from, STAKED_PHA, StakedPhala::approveCall { spender: STAKE_POOLS, value: amount });
}

fn bind_call(pool_id: U256, token_id: U256) -> StakePools::bindWorkerCall {
    StakePools::bindWorkerCall {
        poolId: pool_id,
        workerTokenId: token_id,
        gpuClass: gpu_class("H100"),
        gpuCount: GPUS,
    }
}

/// A chain of `accounts` accounts where account 1 registered fixture #1's worker (token 1) and
/// created pool 1 with a 10% commission; the pool id, the token id.
fn operator_with_pool(accounts: usize) -> (Chain, U256, U256) {
    let fixture = Fixture::load();
    let mut chain = permissive_chain(accounts, &fixture, |_| {});
    let (token_id, _) = register(&mut chain, &fixture, 1, Address::repeat_byte(0xa1));
    let outcome = chain.ok(1, STAKE_POOLS, StakePools::createPoolCall { commissionBps: 1000 });
    println!("gas: StakePools.createPool = {}", outcome.gas_used);
    let created: StakePools::PoolCreated = event(&outcome);
    assert_eq!(created.poolId, U256::from(1));
    assert_eq!(created.owner, chain.accounts[1]);
    assert_eq!(created.commissionBps, 1000);
    (chain, created.poolId, token_id)
}

/// Binds the worker to the pool as account 1 (approving the token and the collateral).
fn bind(chain: &mut Chain, pool_id: U256, token_id: U256) {
    chain.ok(
        1,
        WORKER_REGISTRY,
        WorkerRegistry::approveCall { to: STAKE_POOLS, tokenId: token_id },
    );
    approve_vpha(chain, 1, collateral());
    let outcome = chain.ok(1, STAKE_POOLS, bind_call(pool_id, token_id));
    println!("gas: StakePools.bindWorker = {}", outcome.gas_used);
}

#[test]
fn pool_lifecycle() {
    let (mut chain, pool_id, token_id) = operator_with_pool(5);
    let [_, operator, alice, bob, payer] = chain.accounts[..] else { unreachable!() };
    let info = pool(&chain, pool_id);
    assert_eq!(info.owner, operator);
    assert_eq!(info.commissionBps, 1000);
    assert_eq!(info.workerCount, 0);

    // Commission above 100%.
    let error = chain.fails_with::<_, StakePoolsErrors>(
        1,
        STAKE_POOLS,
        StakePools::createPoolCall { commissionBps: 10_001 },
    );
    assert!(
        matches!(&error, StakePoolsErrors::CommissionTooHigh(e) if e.commissionBps == 10_001),
        "{error:?}"
    );
    // Alice has a pool of her own (id 2).
    chain.ok(2, STAKE_POOLS, StakePools::createPoolCall { commissionBps: 0 });
    let other_pool = U256::from(2);
    assert_eq!(pool(&chain, other_pool).owner, alice);

    // Binding.
    chain.ok(
        1,
        WORKER_REGISTRY,
        WorkerRegistry::approveCall { to: STAKE_POOLS, tokenId: token_id },
    );
    // One wei of vPHA short of 1,250 × 8: refused, and nothing moves.
    approve_vpha(&mut chain, 1, collateral() - U256::from(1));
    chain.fails(1, STAKE_POOLS, bind_call(pool_id, token_id));
    assert_eq!(owner_of(&chain, token_id), operator);
    approve_vpha(&mut chain, 1, collateral());
    // Not the pool's owner.
    let error =
        chain.fails_with::<_, StakePoolsErrors>(2, STAKE_POOLS, bind_call(pool_id, token_id));
    assert!(
        matches!(&error, StakePoolsErrors::NotPoolOwner(e) if e.poolId == pool_id && e.caller == alice),
        "{error:?}"
    );
    // Her own pool, but not her worker.
    let error =
        chain.fails_with::<_, StakePoolsErrors>(2, STAKE_POOLS, bind_call(other_pool, token_id));
    assert!(
        matches!(&error, StakePoolsErrors::NotWorkerOwner(e) if e.owner == operator && e.caller == alice),
        "{error:?}"
    );
    // An unknown GPU class, and zero GPUs.
    let mut call = bind_call(pool_id, token_id);
    call.gpuClass = gpu_class("Z100");
    let error = chain.fails_with::<_, StakePoolsErrors>(1, STAKE_POOLS, call);
    assert!(
        matches!(&error, StakePoolsErrors::UnknownGpuClass(e) if e.gpuClass == gpu_class("Z100")),
        "{error:?}"
    );
    let mut call = bind_call(pool_id, token_id);
    call.gpuCount = 0;
    let error = chain.fails_with::<_, StakePoolsErrors>(1, STAKE_POOLS, call);
    assert!(matches!(error, StakePoolsErrors::ZeroGpuCount(_)), "{error:?}");

    let operator_vpha = vpha_balance(&chain, operator);
    let outcome = chain.ok(1, STAKE_POOLS, bind_call(pool_id, token_id));
    println!("gas: StakePools.bindWorker = {}", outcome.gas_used);
    assert_eq!(operator_vpha - vpha_balance(&chain, operator), collateral());
    assert_eq!(vpha_balance(&chain, STAKE_POOLS), collateral());
    assert_eq!(owner_of(&chain, token_id), STAKE_POOLS);
    let info = pool(&chain, pool_id);
    assert_eq!(info.collateral, collateral());
    assert_eq!(info.workerCount, 1);
    let bound = chain.view(STAKE_POOLS, StakePools::boundWorkerCall { workerTokenId: token_id });
    assert_eq!(bound.poolId, pool_id);
    assert_eq!(bound.gpuClass, gpu_class("H100"));
    assert_eq!(bound.gpuCount, GPUS);
    assert_eq!(bound.collateralPosted, collateral());
    assert_eq!(bound.collateral, collateral());
    // Bound once only.
    let error =
        chain.fails_with::<_, StakePoolsErrors>(1, STAKE_POOLS, bind_call(pool_id, token_id));
    assert!(
        matches!(&error, StakePoolsErrors::WorkerAlreadyBound(e) if e.poolId == pool_id),
        "{error:?}"
    );

    // Delegation: 1,000 vPHA from Alice, 3,000 from Bob; the first ones mint 1:1.
    let error = chain.fails_with::<_, StakePoolsErrors>(
        2,
        STAKE_POOLS,
        StakePools::delegateCall { poolId: pool_id, assets: U256::ZERO },
    );
    assert!(matches!(error, StakePoolsErrors::ZeroAmount(_)), "{error:?}");
    let error = chain.fails_with::<_, StakePoolsErrors>(
        2,
        STAKE_POOLS,
        StakePools::delegateCall { poolId: U256::from(99), assets: pha(1) },
    );
    assert!(matches!(error, StakePoolsErrors::UnknownPool(_)), "{error:?}");
    for (from, amount) in [(2, pha(1000)), (3, pha(3000))] {
        approve_vpha(&mut chain, from, amount);
        let outcome = chain.ok(
            from,
            STAKE_POOLS,
            StakePools::delegateCall { poolId: pool_id, assets: amount },
        );
        println!("gas: StakePools.delegate = {}", outcome.gas_used);
    }
    assert_eq!(shares_of(&chain, pool_id, alice), pha(1000));
    assert_eq!(shares_of(&chain, pool_id, bob), pha(3000));
    let info = pool(&chain, pool_id);
    assert_eq!(info.totalAssets, pha(4000));
    assert_eq!(info.totalShares, pha(4000));
    assert_eq!(vpha_balance(&chain, STAKE_POOLS), collateral() + pha(4000));
    let alice_before = preview_assets(&chain, pool_id, pha(1000));
    let bob_before = preview_assets(&chain, pool_id, pha(3000));
    assert_eq!(alice_before, pha(1000));
    assert_eq!(bob_before, pha(3000));

    // 100 vPHA of rewards from a third account: 10 to the owner, 90 to the delegators.
    let reward = pha(100);
    approve_vpha(&mut chain, 4, reward);
    let operator_vpha = vpha_balance(&chain, operator);
    let payer_vpha = vpha_balance(&chain, payer);
    let outcome =
        chain.ok(4, STAKE_POOLS, StakePools::distributeCall { poolId: pool_id, amount: reward });
    println!("gas: StakePools.distribute = {}", outcome.gas_used);
    assert_eq!(vpha_balance(&chain, operator) - operator_vpha, pha(10), "exactly the commission");
    assert_eq!(payer_vpha - vpha_balance(&chain, payer), reward);
    assert_eq!(pool(&chain, pool_id).totalAssets, pha(4090));
    let alice_after = preview_assets(&chain, pool_id, pha(1000));
    let bob_after = preview_assets(&chain, pool_id, pha(3000));
    // The share price (totalAssets + V) / (totalShares + V), rounded down.
    let price = |shares: U256| {
        shares * (pha(4090) + U256::from(VIRTUAL)) / (pha(4000) + U256::from(VIRTUAL))
    };
    assert_eq!(alice_after, price(pha(1000)));
    assert_eq!(bob_after, price(pha(3000)));
    let (alice_gain, bob_gain) = (alice_after - alice_before, bob_after - bob_before);
    assert!(alice_gain > pha(22) && alice_gain <= pha(45) / U256::from(2), "{alice_gain}");
    // In proportion to the shares (up to rounding), and all of the 90 but the virtual shares' cut.
    assert!(bob_gain.abs_diff(alice_gain * U256::from(3)) <= U256::from(3));
    let paid = alice_gain + bob_gain;
    assert!(paid <= pha(90) && pha(90) - paid < U256::from(10u64.pow(9)), "{paid}");

    // With no shares in a pool, the owner takes all of a reward.
    approve_vpha(&mut chain, 4, pha(5));
    let alice_vpha = vpha_balance(&chain, alice);
    chain.ok(4, STAKE_POOLS, StakePools::distributeCall { poolId: other_pool, amount: pha(5) });
    assert_eq!(vpha_balance(&chain, alice) - alice_vpha, pha(5));
    assert_eq!(pool(&chain, other_pool).totalAssets, U256::ZERO);

    // Alice leaves: her shares are burnt now, the vPHA is paid after the withdrawal delay.
    let delay = chain.view(STAKE_POOLS, StakePools::withdrawDelayCall {});
    assert_eq!(delay, 7 * DAY);
    let error = chain.fails_with::<_, StakePoolsErrors>(
        2,
        STAKE_POOLS,
        StakePools::requestWithdrawCall { poolId: pool_id, shares: pha(1000) + U256::from(1) },
    );
    assert!(
        matches!(&error, StakePoolsErrors::InsufficientShares(e) if e.held == pha(1000)),
        "{error:?}"
    );
    let outcome = chain.ok(
        2,
        STAKE_POOLS,
        StakePools::requestWithdrawCall { poolId: pool_id, shares: pha(1000) },
    );
    println!("gas: StakePools.requestWithdraw = {}", outcome.gas_used);
    let requested: StakePools::WithdrawalRequested = event(&outcome);
    assert_eq!(requested.requestId, U256::from(1));
    assert_eq!(requested.delegator, alice);
    assert_eq!(requested.assets, alice_after);
    assert_eq!(requested.claimableAt, chain.time + delay);
    assert_eq!(shares_of(&chain, pool_id, alice), U256::ZERO);
    let info = pool(&chain, pool_id);
    assert_eq!(info.totalShares, pha(3000));
    assert_eq!(info.totalAssets, pha(4090) - alice_after);
    // Bob's shares are worth the same after she left.
    assert!(preview_assets(&chain, pool_id, pha(3000)).abs_diff(bob_after) <= U256::from(1));

    let claim = StakePools::claimWithdrawalCall { requestId: requested.requestId };
    let error = chain.fails_with::<_, StakePoolsErrors>(2, STAKE_POOLS, claim.clone());
    assert!(
        matches!(&error, StakePoolsErrors::WithdrawalNotReady(e) if e.claimableAt == requested.claimableAt),
        "{error:?}"
    );
    // Still not in the block before `claimableAt`.
    chain.warp(requested.claimableAt - 4 - chain.time);
    let error = chain.fails_with::<_, StakePoolsErrors>(2, STAKE_POOLS, claim.clone());
    assert!(matches!(error, StakePoolsErrors::WithdrawalNotReady(_)), "{error:?}");
    assert_eq!(chain.time, requested.claimableAt - 2);
    // Only Alice may claim it.
    let error = chain.fails_with::<_, StakePoolsErrors>(3, STAKE_POOLS, claim.clone());
    assert!(
        matches!(&error, StakePoolsErrors::NotWithdrawalRequester(e) if e.caller == bob),
        "{error:?}"
    );
    let alice_vpha = vpha_balance(&chain, alice);
    let outcome = chain.ok(2, STAKE_POOLS, claim.clone());
    println!("gas: StakePools.claimWithdrawal = {}", outcome.gas_used);
    assert_eq!(vpha_balance(&chain, alice) - alice_vpha, requested.assets);
    assert!(
        chain
            .view(STAKE_POOLS, StakePools::withdrawalCall { requestId: requested.requestId })
            .claimed
    );
    let error = chain.fails_with::<_, StakePoolsErrors>(2, STAKE_POOLS, claim);
    assert!(matches!(error, StakePoolsErrors::WithdrawalAlreadyClaimed(_)), "{error:?}");
    let error = chain.fails_with::<_, StakePoolsErrors>(
        2,
        STAKE_POOLS,
        StakePools::claimWithdrawalCall { requestId: U256::from(2) },
    );
    assert!(matches!(error, StakePoolsErrors::UnknownWithdrawal(_)), "{error:?}");

    // Unbinding (the attestation has expired by now, which does not matter) returns the token and
    // all of the collateral, to the pool owner only.
    assert!(!chain.view(WORKER_REGISTRY, WorkerRegistry::isActiveCall { tokenId: token_id }));
    let unbind = StakePools::unbindWorkerCall { poolId: pool_id, workerTokenId: token_id };
    let error = chain.fails_with::<_, StakePoolsErrors>(2, STAKE_POOLS, unbind.clone());
    assert!(matches!(error, StakePoolsErrors::NotPoolOwner(_)), "{error:?}");
    let error = chain.fails_with::<_, StakePoolsErrors>(
        2,
        STAKE_POOLS,
        StakePools::unbindWorkerCall { poolId: other_pool, workerTokenId: token_id },
    );
    assert!(
        matches!(&error, StakePoolsErrors::WorkerNotBound(e) if e.poolId == other_pool),
        "{error:?}"
    );
    let operator_vpha = vpha_balance(&chain, operator);
    let outcome = chain.ok(1, STAKE_POOLS, unbind.clone());
    println!("gas: StakePools.unbindWorker = {}", outcome.gas_used);
    assert_eq!(owner_of(&chain, token_id), operator);
    assert_eq!(vpha_balance(&chain, operator) - operator_vpha, collateral());
    let info = pool(&chain, pool_id);
    assert_eq!(info.collateral, U256::ZERO);
    assert_eq!(info.workerCount, 0);
    assert_eq!(
        chain.view(STAKE_POOLS, StakePools::boundWorkerCall { workerTokenId: token_id }).poolId,
        U256::ZERO
    );
    let error = chain.fails_with::<_, StakePoolsErrors>(1, STAKE_POOLS, unbind);
    assert!(matches!(error, StakePoolsErrors::WorkerNotBound(_)), "{error:?}");
    // What the pool still holds is exactly Bob's stake.
    assert_eq!(vpha_balance(&chain, STAKE_POOLS), info.totalAssets);
}

#[test]
fn only_governance_slashes() {
    let (mut chain, pool_id, token_id) = operator_with_pool(4);
    bind(&mut chain, pool_id, token_id);
    let alice = chain.accounts[2];
    approve_vpha(&mut chain, 2, pha(5000));
    chain.ok(2, STAKE_POOLS, StakePools::delegateCall { poolId: pool_id, assets: pha(5000) });
    assert_eq!(chain.view(STAKE_POOLS, StakePools::ownerCall {}), TIMELOCK);
    assert_eq!(chain.view(STAKE_POOLS, StakePools::slashRecipientCall {}), TIMELOCK);

    // Neither the pool's owner nor a delegator nor anyone else.
    for from in [1, 2, 3] {
        let error = chain.fails_with::<_, StakePoolsErrors>(
            from,
            STAKE_POOLS,
            StakePools::slashCall { poolId: pool_id, amount: pha(1) },
        );
        assert!(
            matches!(&error, StakePoolsErrors::OwnableUnauthorizedAccount(e) if e.account == chain.accounts[from]),
            "{error:?}"
        );
    }
    // Nor may they change the parameters.
    let error = chain.fails_with::<_, StakePoolsErrors>(
        1,
        STAKE_POOLS,
        StakePools::setGpuClassCall {
            gpuClass: gpu_class("H100"),
            collateralPerGpu_: U256::from(1),
        },
    );
    assert!(matches!(error, StakePoolsErrors::OwnableUnauthorizedAccount(_)), "{error:?}");
    assert_eq!(pool(&chain, pool_id).collateral, collateral());

    // Governance slashes 12,000 vPHA: all 10,000 of collateral, then 2,000 of delegation.
    let timelock_vpha = vpha_balance(&chain, TIMELOCK);
    let outcome = govern(
        &mut chain,
        3,
        STAKE_POOLS,
        StakePools::slashCall { poolId: pool_id, amount: pha(12_000) },
        "Slash pool 1",
    );
    println!("gas: Governor.execute(StakePools.slash) = {}", outcome.gas_used);
    let slashed: StakePools::PoolSlashed = event(&outcome);
    assert_eq!(slashed.poolId, pool_id);
    assert_eq!(slashed.fromCollateral, collateral());
    assert_eq!(slashed.fromDelegation, pha(2000));
    assert_eq!(slashed.recipient, TIMELOCK);
    assert_eq!(vpha_balance(&chain, TIMELOCK) - timelock_vpha, pha(12_000));
    let info = pool(&chain, pool_id);
    assert_eq!(info.collateral, U256::ZERO);
    assert_eq!(info.totalAssets, pha(3000));
    assert_eq!(info.workerCount, 1);
    assert_eq!(vpha_balance(&chain, STAKE_POOLS), pha(3000));
    let bound = chain.view(STAKE_POOLS, StakePools::boundWorkerCall { workerTokenId: token_id });
    assert_eq!(bound.collateralPosted, collateral());
    assert_eq!(bound.collateral, U256::ZERO);
    // Alice's shares are worth what is left of the delegation.
    let shares = shares_of(&chain, pool_id, alice);
    assert_eq!(shares, pha(5000));
    assert_eq!(preview_assets(&chain, pool_id, shares), pha(3000));

    // The worker leaves with its token and no collateral, and can bind again with fresh
    // collateral, which is whole.
    let operator = chain.accounts[1];
    let operator_vpha = vpha_balance(&chain, operator);
    chain.ok(
        1,
        STAKE_POOLS,
        StakePools::unbindWorkerCall { poolId: pool_id, workerTokenId: token_id },
    );
    assert_eq!(owner_of(&chain, token_id), operator);
    assert_eq!(vpha_balance(&chain, operator), operator_vpha);
    bind(&mut chain, pool_id, token_id);
    assert_eq!(pool(&chain, pool_id).collateral, collateral());
    let bound = chain.view(STAKE_POOLS, StakePools::boundWorkerCall { workerTokenId: token_id });
    assert_eq!(bound.collateral, collateral());
}
