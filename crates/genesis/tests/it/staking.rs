//! The vPHA vault: deposit, rewards accruing over blocks, the 21-day unlock queue, and the
//! disabled ERC-4626 exits.

use crate::harness::{Chain, pha};
use alloy_primitives::{Address, U256};
use phala_genesis::bindings::{
    PhalaToken, StakedPhala,
    StakedPhala::{StakedPhalaErrors, UnlockRequested},
};
use phala_primitives::predeploys::{BURN_ADDRESS, PHA_TOKEN, STAKED_PHA};

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
    // The accounts' stakes, the burnt first PHA and the sample snapshot's 302,500 staked PHA
    // (held for the claims).
    assert_eq!(
        chain.view(STAKED_PHA, StakedPhala::totalAssetsCall {}),
        pha(3_000_000) + pha(1) + pha(302_500)
    );
    assert_eq!(
        chain.view(STAKED_PHA, StakedPhala::balanceOfCall { account: BURN_ADDRESS }),
        pha(1)
    );
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
        StakedPhala::redeemCall { _0: U256::from(1), _1: staker, _2: staker },
    );
    assert!(matches!(error, StakedPhalaErrors::UseUnlockQueue(_)), "{error:?}");
    let error = chain.fails_with::<_, StakedPhalaErrors>(
        1,
        STAKED_PHA,
        StakedPhala::withdrawCall { _0: U256::from(1), _1: staker, _2: staker },
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
        StakedPhala::setRewardsPerSecondCall { rewardsPerSecond_: U256::ZERO },
    );
    assert!(matches!(error, StakedPhalaErrors::OwnableUnauthorizedAccount(_)), "{error:?}");
    let error = chain.fails_with::<_, StakedPhalaErrors>(0, STAKED_PHA, StakedPhala::pauseCall {});
    assert!(matches!(error, StakedPhalaErrors::OwnableUnauthorizedAccount(_)), "{error:?}");
}

/// The constructors ran at the token's final address on this chain, so OpenZeppelin's cached
/// EIP-712 domain is the real one and an EIP-2612 permit signed off-chain works.
#[test]
fn pha_permit_uses_the_genesis_domain() {
    use alloy_primitives::uint;
    use alloy_sol_types::{SolStruct, eip712_domain, sol};
    sol! {
        struct Permit { address owner; address spender; uint256 value; uint256 nonce; uint256 deadline; }
    }
    let mut chain = Chain::new(2, |_| {});
    let domain = eip712_domain! {
        name: "Phala",
        version: "1",
        chain_id: crate::harness::CHAIN_ID,
        verifying_contract: PHA_TOKEN,
    };
    assert_eq!(chain.view(PHA_TOKEN, PhalaToken::DOMAIN_SEPARATORCall {}), domain.hash_struct());
    assert_eq!(chain.view(PHA_TOKEN, PhalaToken::nameCall {}), "Phala");
    assert_eq!(chain.view(PHA_TOKEN, PhalaToken::symbolCall {}), "PHA");
    assert_eq!(chain.view(PHA_TOKEN, PhalaToken::decimalsCall {}), 18);

    let (owner, spender) = (chain.accounts[0], chain.accounts[1]);
    let permit = Permit {
        owner,
        spender,
        value: pha(5),
        nonce: U256::ZERO,
        deadline: uint!(1_000_000_000_U256),
    };
    let signature = chain.sign_digest(0, permit.eip712_signing_hash(&domain));
    // Submitted by the spender, who pays the gas.
    chain.ok(
        1,
        PHA_TOKEN,
        PhalaToken::permitCall {
            owner,
            spender,
            value: permit.value,
            deadline: permit.deadline,
            v: 27 + signature.v() as u8,
            r: signature.r().into(),
            s: signature.s().into(),
        },
    );
    assert_eq!(chain.view(PHA_TOKEN, PhalaToken::allowanceCall { owner, spender }), pha(5));
    assert_eq!(chain.view(PHA_TOKEN, PhalaToken::noncesCall { owner }), U256::from(1));
}

#[test]
fn deposits_stop_at_max_locked_assets() {
    // The genesis stakes (two accounts, the burnt PHA, the sample snapshot's 302,500) leave 500
    // PHA under the cap.
    let mut chain =
        Chain::new(2, |config| config.vault.max_locked_assets = 2_000_000 + 1 + 302_500 + 500);
    let staker = chain.accounts[1];
    chain.ok(1, PHA_TOKEN, PhalaToken::approveCall { spender: STAKED_PHA, value: pha(1_000) });
    let max = chain.view(STAKED_PHA, StakedPhala::maxDepositCall(staker));
    assert!(max <= pha(500) && max > pha(499), "{max}");
    let error = chain.fails_with::<_, StakedPhalaErrors>(
        1,
        STAKED_PHA,
        StakedPhala::depositCall { assets: pha(1_000), receiver: staker },
    );
    assert!(matches!(error, StakedPhalaErrors::ERC4626ExceededMaxDeposit(_)), "{error:?}");
    chain.ok(1, STAKED_PHA, StakedPhala::depositCall { assets: pha(400), receiver: staker });
    // Nothing for nothing.
    let error = chain.fails_with::<_, StakedPhalaErrors>(
        1,
        STAKED_PHA,
        StakedPhala::depositCall { assets: U256::ZERO, receiver: staker },
    );
    assert!(matches!(error, StakedPhalaErrors::ZeroAmount(_)), "{error:?}");
}
