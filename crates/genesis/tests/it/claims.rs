//! Parachain migration claims: sr25519 and ed25519 holders claim free PHA and staked vPHA with
//! a Merkle proof and a `<Bytes>`-wrapped signature; double claims, wrong proofs and forged
//! signatures fail with their own errors.

use crate::harness::{CHAIN_ID, Chain};
use alloy_primitives::{Address, B256, Bytes, U256, b256};
use ed25519_dalek::Signer;
use phala_genesis::{
    bindings::{MigrationClaims, MigrationClaims::MigrationClaimsErrors, PhalaToken, StakedPhala},
    migration::{ClaimEntry, sample_snapshot, signed_message},
};
use phala_primitives::predeploys::{MIGRATION_CLAIMS, PHA_TOKEN, STAKED_PHA};
use schnorrkel::{ExpansionMode, Keypair, MiniSecretKey, signing_context};

/// `subkey inspect //Alice` (and Bob, Charlie): the secret seeds of Substrate's dev accounts.
const ALICE_SEED: B256 = b256!("e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a");
const BOB_SEED: B256 = b256!("398f0c28f98885e046333d4a41c19cee4c37368a9832c6502f6cfd182e2aef89");
const CHARLIE_SEED: B256 =
    b256!("bc1ede780f784bb6991a585e4f6e61522c14e1cae6ad0895fb57b9a205a8f938");
/// RFC 8032, test 1.
const ED25519_SECRET: B256 =
    b256!("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");

fn sr25519(seed: B256) -> Keypair {
    MiniSecretKey::from_bytes(seed.as_slice()).unwrap().expand_to_keypair(ExpansionMode::Ed25519)
}

fn sr25519_sign(key: &Keypair, message: &[u8]) -> Bytes {
    key.sign(signing_context(b"substrate").bytes(message)).to_bytes().to_vec().into()
}

fn ed25519_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&ED25519_SECRET.0)
}

fn account_of(key: &Keypair) -> B256 {
    B256::from(key.public.to_bytes())
}

fn entry(account: B256) -> ClaimEntry {
    *sample_snapshot().entry(account).expect("the account is in the sample snapshot")
}

fn proof(entry: &ClaimEntry) -> Vec<B256> {
    sample_snapshot().tree().proof(entry.leaf()).unwrap()
}

fn claim_call(
    entry: &ClaimEntry,
    proof: Vec<B256>,
    recipient: Address,
    scheme: u8,
    signature: Bytes,
) -> MigrationClaims::claimCall {
    MigrationClaims::claimCall {
        account: entry.account,
        free: entry.free,
        staked: entry.staked,
        proof,
        recipient,
        scheme,
        signature,
    }
}

fn pha_balance(chain: &Chain, who: Address) -> U256 {
    chain.view(PHA_TOKEN, PhalaToken::balanceOfCall { account: who })
}

fn vpha_balance(chain: &Chain, who: Address) -> U256 {
    chain.view(STAKED_PHA, StakedPhala::balanceOfCall { account: who })
}

#[test]
fn sample_keys_are_the_snapshot_accounts() {
    let snapshot = sample_snapshot();
    for key in [sr25519(ALICE_SEED), sr25519(BOB_SEED), sr25519(CHARLIE_SEED)] {
        assert!(snapshot.entry(account_of(&key)).is_some());
    }
    let ed25519 = B256::from(ed25519_key().verifying_key().to_bytes());
    assert!(snapshot.entry(ed25519).is_some());
}

#[test]
fn the_contract_and_the_tool_agree() {
    let chain = Chain::new(1, |_| {});
    let snapshot = sample_snapshot();
    assert_eq!(
        chain.view(MIGRATION_CLAIMS, MigrationClaims::merkleRootCall {}),
        snapshot.tree().root()
    );
    let recipient = Address::repeat_byte(0xa1);
    assert_eq!(
        chain.view(MIGRATION_CLAIMS, MigrationClaims::signedMessageCall { recipient }),
        Bytes::from(signed_message(recipient, CHAIN_ID, MIGRATION_CLAIMS))
    );
    for entry in &snapshot.entries {
        let leaf = chain.view(
            MIGRATION_CLAIMS,
            MigrationClaims::leafCall {
                account: entry.account,
                free: entry.free,
                staked: entry.staked,
            },
        );
        assert_eq!(leaf, entry.leaf());
    }
    // The claims contract holds exactly the snapshot's free PHA, and its staked PHA as vPHA
    // bought at genesis at one share per PHA.
    assert_eq!(pha_balance(&chain, MIGRATION_CLAIMS), snapshot.total_free());
    assert_eq!(vpha_balance(&chain, MIGRATION_CLAIMS), snapshot.total_staked());
}

#[test]
fn sr25519_holder_claims_free_and_staked() {
    let mut chain = Chain::new(2, |_| {});
    let alice = sr25519(ALICE_SEED);
    let entry = entry(account_of(&alice));
    assert!(!entry.free.is_zero() && !entry.staked.is_zero());
    let recipient = Address::repeat_byte(0xa1);
    let signature = sr25519_sign(&alice, &signed_message(recipient, CHAIN_ID, MIGRATION_CLAIMS));
    let call = claim_call(&entry, proof(&entry), recipient, 0, signature);

    // Anyone may submit the claim: the signature names the recipient.
    let outcome = chain.ok(1, MIGRATION_CLAIMS, call.clone());
    println!("gas: claim (sr25519, free + staked) = {}", outcome.gas_used);
    assert_eq!(pha_balance(&chain, recipient), entry.free);
    let shares = vpha_balance(&chain, recipient);
    assert_eq!(shares, entry.staked, "one genesis share per staked PHA");
    let assets = chain.view(STAKED_PHA, StakedPhala::convertToAssetsCall { shares });
    // Shares are bought at the vault's price: worth the staked PHA (less rounding), plus the
    // rewards streamed since the claim's block.
    assert!(assets + U256::from(1) >= entry.staked, "{assets}");
    assert!(assets < entry.staked + crate::harness::pha(10), "{assets}");
    assert!(chain.view(MIGRATION_CLAIMS, MigrationClaims::claimedCall { account: entry.account }));
    let claimed = outcome
        .logs
        .iter()
        .find_map(|log| alloy_sol_types::SolEvent::decode_log(log).ok())
        .map(|log: alloy_primitives::Log<MigrationClaims::Claimed>| log.data)
        .expect("a Claimed event");
    assert_eq!((claimed.account, claimed.recipient), (entry.account, recipient));
    assert_eq!((claimed.free, claimed.staked, claimed.shares), (entry.free, entry.staked, shares));
    // The recipient's vPHA votes right away.
    assert_eq!(chain.view(STAKED_PHA, StakedPhala::getVotesCall { account: recipient }), shares);

    // A second claim, even to another recipient with a fresh signature, fails.
    assert!(matches!(
        chain.fails_with::<_, MigrationClaimsErrors>(1, MIGRATION_CLAIMS, call),
        MigrationClaimsErrors::AlreadyClaimed(e) if e.account == entry.account
    ));
    let other = Address::repeat_byte(0xa2);
    let signature = sr25519_sign(&alice, &signed_message(other, CHAIN_ID, MIGRATION_CLAIMS));
    let again = claim_call(&entry, proof(&entry), other, 0, signature);
    assert!(matches!(
        chain.fails_with::<_, MigrationClaimsErrors>(1, MIGRATION_CLAIMS, again),
        MigrationClaimsErrors::AlreadyClaimed(_)
    ));
    assert_eq!(pha_balance(&chain, other), U256::ZERO);
}

#[test]
fn ed25519_and_staked_only_holders_claim() {
    let mut chain = Chain::new(1, |_| {});
    let key = ed25519_key();
    let account = B256::from(key.verifying_key().to_bytes());
    let ed_entry = entry(account);
    let recipient = Address::repeat_byte(0xe1);
    let message = signed_message(recipient, CHAIN_ID, MIGRATION_CLAIMS);
    let signature = Bytes::from(key.sign(&message).to_bytes().to_vec());
    let outcome = chain.ok(
        0,
        MIGRATION_CLAIMS,
        claim_call(&ed_entry, proof(&ed_entry), recipient, 1, signature),
    );
    println!("gas: claim (ed25519, free + staked) = {}", outcome.gas_used);
    assert_eq!(pha_balance(&chain, recipient), ed_entry.free);
    assert!(!vpha_balance(&chain, recipient).is_zero());

    // Charlie had only staked PHA: vPHA arrives, no PHA.
    let charlie = sr25519(CHARLIE_SEED);
    let charlie_entry = entry(account_of(&charlie));
    assert!(charlie_entry.free.is_zero());
    let recipient = Address::repeat_byte(0xc1);
    let signature = sr25519_sign(&charlie, &signed_message(recipient, CHAIN_ID, MIGRATION_CLAIMS));
    let outcome = chain.ok(
        0,
        MIGRATION_CLAIMS,
        claim_call(&charlie_entry, proof(&charlie_entry), recipient, 0, signature),
    );
    println!("gas: claim (sr25519, staked only) = {}", outcome.gas_used);
    assert_eq!(pha_balance(&chain, recipient), U256::ZERO);
    assert!(!vpha_balance(&chain, recipient).is_zero());
}

#[test]
fn forged_signatures_and_wrong_proofs_fail() {
    let mut chain = Chain::new(1, |_| {});
    let bob = sr25519(BOB_SEED);
    let bob_entry = entry(account_of(&bob));
    let recipient = Address::repeat_byte(0xb1);
    let message = signed_message(recipient, CHAIN_ID, MIGRATION_CLAIMS);
    let invalid_signature = |chain: &mut Chain, signature: Bytes, scheme: u8| {
        let call = claim_call(&bob_entry, proof(&bob_entry), recipient, scheme, signature);
        let error = chain.fails_with::<_, MigrationClaimsErrors>(0, MIGRATION_CLAIMS, call);
        assert!(matches!(error, MigrationClaimsErrors::InvalidSignature(_)), "{error:?}");
    };
    // Another key's signature over Bob's claim.
    invalid_signature(&mut chain, sr25519_sign(&sr25519(ALICE_SEED), &message), 0);
    // Bob's signature for another recipient (someone redirecting the claim).
    let elsewhere = signed_message(Address::repeat_byte(0x66), CHAIN_ID, MIGRATION_CLAIMS);
    invalid_signature(&mut chain, sr25519_sign(&bob, &elsewhere), 0);
    // Bob's signature for another chain.
    invalid_signature(
        &mut chain,
        sr25519_sign(&bob, &signed_message(recipient, 1, MIGRATION_CLAIMS)),
        0,
    );
    // The text without the `<Bytes>` wrapping is not what signRaw signs.
    let text = phala_genesis::migration::claim_text(recipient, CHAIN_ID, MIGRATION_CLAIMS);
    invalid_signature(&mut chain, sr25519_sign(&bob, text.as_bytes()), 0);
    // A valid sr25519 signature presented as ed25519, a short one, a flipped bit.
    let good = sr25519_sign(&bob, &message);
    invalid_signature(&mut chain, good.clone(), 1);
    invalid_signature(&mut chain, good.slice(..63), 0);
    let mut flipped = good.to_vec();
    flipped[10] ^= 1;
    invalid_signature(&mut chain, flipped.into(), 0);

    // Unknown scheme.
    let call = claim_call(&bob_entry, proof(&bob_entry), recipient, 7, good.clone());
    assert!(matches!(
        chain.fails_with::<_, MigrationClaimsErrors>(0, MIGRATION_CLAIMS, call),
        MigrationClaimsErrors::UnknownScheme(e) if e.scheme == 7
    ));
    // A larger balance than the snapshot's, an empty proof, another leaf's proof.
    let mut inflated = bob_entry;
    inflated.free += U256::from(1);
    for (entry, proof) in [
        (inflated, proof(&bob_entry)),
        (bob_entry, Vec::new()),
        (bob_entry, proof(&entry(account_of(&sr25519(ALICE_SEED))))),
    ] {
        let call = claim_call(&entry, proof, recipient, 0, good.clone());
        assert!(matches!(
            chain.fails_with::<_, MigrationClaimsErrors>(0, MIGRATION_CLAIMS, call),
            MigrationClaimsErrors::InvalidProof(_)
        ));
    }
    // The zero recipient.
    let call = claim_call(&bob_entry, proof(&bob_entry), Address::ZERO, 0, good.clone());
    assert!(matches!(
        chain.fails_with::<_, MigrationClaimsErrors>(0, MIGRATION_CLAIMS, call),
        MigrationClaimsErrors::ZeroRecipient(_)
    ));
    // Nothing was paid; the genuine claim still works.
    assert_eq!(pha_balance(&chain, recipient), U256::ZERO);
    chain.ok(0, MIGRATION_CLAIMS, claim_call(&bob_entry, proof(&bob_entry), recipient, 0, good));
    assert_eq!(pha_balance(&chain, recipient), bob_entry.free);
}

/// Signatures made by polkadot.js itself (`data/polkadot-js-sign.mjs`, the extension's
/// `signRaw` wrapping) over our claim text are accepted on chain: the wrapping, the sr25519
/// signing context and ed25519 all match.
#[test]
fn polkadot_js_signatures_claim() {
    #[derive(serde::Deserialize)]
    struct Vectors {
        recipient: Address,
        #[serde(rename = "chainId")]
        chain_id: u64,
        vectors: Vec<Vector>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Vector {
        scheme: String,
        public_key: B256,
        message: Bytes,
        signature: Bytes,
    }
    let vectors: Vectors =
        serde_json::from_str(include_str!("data/polkadot-js-claims.json")).unwrap();
    assert_eq!(vectors.chain_id, CHAIN_ID);
    let mut chain = Chain::new(1, |_| {});
    assert_eq!(vectors.vectors.len(), 2);
    for vector in vectors.vectors {
        assert_eq!(
            vector.message,
            Bytes::from(signed_message(vectors.recipient, CHAIN_ID, MIGRATION_CLAIMS)),
            "polkadot.js wrapped the same bytes"
        );
        let scheme = match vector.scheme.as_str() {
            "sr25519" => 0,
            "ed25519" => 1,
            other => panic!("unknown scheme {other}"),
        };
        let entry = entry(vector.public_key);
        let before = pha_balance(&chain, vectors.recipient);
        chain.ok(
            0,
            MIGRATION_CLAIMS,
            claim_call(&entry, proof(&entry), vectors.recipient, scheme, vector.signature),
        );
        assert_eq!(pha_balance(&chain, vectors.recipient) - before, entry.free);
    }
}

/// With a claim deadline, claims close at it and anyone may then sweep what is left to the
/// treasury; without one, claims never close.
#[test]
fn unclaimed_balances_go_to_the_treasury_after_the_deadline() {
    use phala_primitives::predeploys::TIMELOCK;
    let mut chain = Chain::new(1, |config| config.migration_claim_deadline = Some(1_000));
    let sweep = MigrationClaims::sweepUnclaimedCall {};
    assert!(matches!(
        chain.fails_with::<_, MigrationClaimsErrors>(0, MIGRATION_CLAIMS, sweep.clone()),
        MigrationClaimsErrors::ClaimPeriodOpen(e) if e.deadline == 1_000
    ));
    // Alice claims in time.
    let alice = sr25519(ALICE_SEED);
    let alice_entry = entry(account_of(&alice));
    let recipient = Address::repeat_byte(0xa1);
    let signature = sr25519_sign(&alice, &signed_message(recipient, CHAIN_ID, MIGRATION_CLAIMS));
    chain.ok(
        0,
        MIGRATION_CLAIMS,
        claim_call(&alice_entry, proof(&alice_entry), recipient, 0, signature),
    );

    // Bob is late.
    chain.warp(1_000);
    let bob = sr25519(BOB_SEED);
    let bob_entry = entry(account_of(&bob));
    let signature = sr25519_sign(&bob, &signed_message(recipient, CHAIN_ID, MIGRATION_CLAIMS));
    let late = claim_call(&bob_entry, proof(&bob_entry), recipient, 0, signature);
    assert!(matches!(
        chain.fails_with::<_, MigrationClaimsErrors>(0, MIGRATION_CLAIMS, late),
        MigrationClaimsErrors::ClaimPeriodOver(e) if e.deadline == 1_000
    ));

    // The rest of the snapshot goes to the treasury.
    let snapshot = sample_snapshot();
    let treasury_pha = pha_balance(&chain, TIMELOCK);
    let treasury_vpha = vpha_balance(&chain, TIMELOCK);
    chain.ok(0, MIGRATION_CLAIMS, sweep);
    assert_eq!(
        pha_balance(&chain, TIMELOCK) - treasury_pha,
        snapshot.total_free() - alice_entry.free
    );
    assert_eq!(
        vpha_balance(&chain, TIMELOCK) - treasury_vpha,
        snapshot.total_staked() - alice_entry.staked
    );
    assert_eq!(pha_balance(&chain, MIGRATION_CLAIMS), U256::ZERO);
    assert_eq!(vpha_balance(&chain, MIGRATION_CLAIMS), U256::ZERO);

    // Without a deadline (the dev chain), nothing can be swept.
    let mut chain = Chain::new(1, |_| {});
    assert!(matches!(
        chain.fails_with::<_, MigrationClaimsErrors>(
            0,
            MIGRATION_CLAIMS,
            MigrationClaims::sweepUnclaimedCall {}
        ),
        MigrationClaimsErrors::ClaimPeriodOpen(e) if e.deadline == 0
    ));
}
