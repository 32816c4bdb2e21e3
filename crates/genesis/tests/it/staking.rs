//! The vPHA vault: deposit, rewards accruing over blocks, the 21-day unlock queue, and the
//! disabled ERC-4626 exits.

use crate::harness::{Chain, pha};
use alloy_primitives::{Address, U256};
use phala_genesis::bindings::{
    PhalaToken, StakedPhala,
    StakedPhala::{StakedPhalaErrors, UnlockRequested},
};
use phala_primitives::predeploys::{PHA_TOKEN, STAKED_PHA};

const DAY: u64 = 86_400;

fn pha_balance(chain: &Chain, who: Address) -> U256 {
    chain.view(PHA_TOKEN, PhalaToken::balanceOfCall { account: who })
}

#[test]
fn genesis_holders_have_pha_and_vpha() {
    let chain = Chain::new(3, |_| {});
    for account in chain.accounts.clone() {
        assert_eq!(pha_balance(&chain, account), pha(1_000_000));
        assert_eq!(chain.view(STAKED_PHA, StakedPhala::balanceOfCall { account }), pha(1_000_000));
        // Staked PHA votes without a delegation transaction.
        assert_eq!(chain.view(STAKED_PHA, StakedPhala::getVotesCall { account }), pha(1_000_000));
    }
    assert_eq!(chain.view(PHA_TOKEN, PhalaToken::totalSupplyCall {}), pha(1_000_000_000));
    assert_eq!(chain.view(STAKED_PHA, StakedPhala::totalAssetsCall {}), pha(3_000_000));
    assert_eq!(chain.view(STAKED_PHA, StakedPhala::rewardsReserveCall {}), pha(100_000_000));
    assert_eq!(chain.view(STAKED_PHA, StakedPhala::lockPeriodCall {}), 21 * DAY);
}

#[test]
fn deposit_accrue_unlock_and_claim_after_21_days() {
    let mut chain = Chain::new(2, |_| {});
    let rate = chain.view(STAKED_PHA, StakedPhala::rewardsPerSecondCall {});
    let staker = chain.accounts[1];

    let amount = pha(10_000);
    chain.ok(1, PHA_TOKEN, PhalaToken::approveCall { spender: STAKED_PHA, value: amount });
    let outcome =
        chain.ok(1, STAKED_PHA, StakedPhala::depositCall { assets: amount, receiver: staker });
    println!("gas: vPHA deposit = {}", outcome.gas_used);
    let shares = chain.view(STAKED_PHA, StakedPhala::balanceOfCall { account: staker });
    assert_eq!(shares, pha(1_000_000) + amount, "1:1 before any reward");

    // Rewards stream from the first accrual after genesis at `rate` per second.
    let assets_before = chain.view(STAKED_PHA, StakedPhala::totalAssetsCall {});
    let value_before = chain.view(STAKED_PHA, StakedPhala::convertToAssetsCall { shares });
    for _ in 0..5 {
        chain.warp(10);
    }
    let assets_after = chain.view(STAKED_PHA, StakedPhala::totalAssetsCall {});
    // `view` runs in the next block, BLOCK_TIME after the head: 50 s of blocks + 2 s.
    assert_eq!(assets_after - assets_before, rate * U256::from(50));
    let value_after = chain.view(STAKED_PHA, StakedPhala::convertToAssetsCall { shares });
    assert!(value_after > value_before, "the share price rises");

    // The ERC-4626 exits are closed.
    let error = chain.fails_with::<_, StakedPhalaErrors>(
        1,
        STAKED_PHA,
        StakedPhala::redeemCall { shares: U256::from(1), receiver: staker, owner: staker },
    );
    assert!(matches!(error, StakedPhalaErrors::UseUnlockQueue(_)), "{error:?}");
    let error = chain.fails_with::<_, StakedPhalaErrors>(
        1,
        STAKED_PHA,
        StakedPhala::withdrawCall { assets: U256::from(1), receiver: staker, owner: staker },
    );
    assert!(matches!(error, StakedPhalaErrors::UseUnlockQueue(_)), "{error:?}");

    // Request the unlock of the deposit's shares.
    let unlock_shares = amount;
    let outcome = chain.ok(1, STAKED_PHA, StakedPhala::requestUnlockCall { shares: unlock_shares });
    println!("gas: vPHA requestUnlock = {}", outcome.gas_used);
    let requested: UnlockRequested = outcome
        .logs
        .iter()
        .find_map(|log| alloy_sol_types::SolEvent::decode_log(log).ok())
        .map(|log: alloy_primitives::Log<UnlockRequested>| log.data)
        .expect("an UnlockRequested event");
    assert!(requested.assets > amount, "the unlocked PHA includes rewards");
    assert_eq!(requested.unlockAt, chain.time + 21 * DAY);
    assert_eq!(
        chain.view(STAKED_PHA, StakedPhala::balanceOfCall { account: staker }),
        shares - unlock_shares
    );

    // Refused before 21 days, also one block before the end.
    let claim = StakedPhala::claimUnlockedCall { id: requested.id };
    let error = chain.fails_with::<_, StakedPhalaErrors>(1, STAKED_PHA, claim.clone());
    assert!(matches!(error, StakedPhalaErrors::StillLocked(e) if e.unlockAt == requested.unlockAt));
    chain.warp(21 * DAY - 10);
    assert!(chain.time + 2 < requested.unlockAt);
    let error = chain.fails_with::<_, StakedPhalaErrors>(1, STAKED_PHA, claim.clone());
    assert!(matches!(error, StakedPhalaErrors::StillLocked(_)));
    chain.warp(10);

    // Paid after.
    let pha_before = pha_balance(&chain, staker);
    let outcome = chain.ok(1, STAKED_PHA, claim.clone());
    println!("gas: vPHA claimUnlocked = {}", outcome.gas_used);
    assert_eq!(pha_balance(&chain, staker) - pha_before, requested.assets);
    let error = chain.fails_with::<_, StakedPhalaErrors>(1, STAKED_PHA, claim);
    assert!(matches!(error, StakedPhalaErrors::AlreadyClaimed(_)));
    let error = chain.fails_with::<_, StakedPhalaErrors>(
        1,
        STAKED_PHA,
        StakedPhala::claimUnlockedCall { id: U256::from(99) },
    );
    assert!(matches!(error, StakedPhalaErrors::UnknownUnlockRequest(_)));
}

#[test]
fn parameters_belong_to_governance() {
    let mut chain = Chain::new(1, |_| {});
    let error = chain.fails_with::<_, StakedPhalaErrors>(
        0,
        STAKED_PHA,
        StakedPhala::setRewardsPerSecondCall { rewardsPerSecond: U256::ZERO },
    );
    assert!(matches!(error, StakedPhalaErrors::OwnableUnauthorizedAccount(_)), "{error:?}");
    let error = chain.fails_with::<_, StakedPhalaErrors>(0, STAKED_PHA, StakedPhala::pauseCall {});
    assert!(matches!(error, StakedPhalaErrors::OwnableUnauthorizedAccount(_)), "{error:?}");
}
