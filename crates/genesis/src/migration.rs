//! The parachain migration snapshot and its Merkle tree.
//!
//! The snapshot lists parachain accounts (32-byte public keys) with free and staked balances in
//! the parachain's 12-decimal units. The builder scales them by 10^6 to PHA's 18 decimals and
//! commits to them with a Merkle tree whose root the claims contract stores:
//! - leaf: `keccak256(keccak256(abi.encode(account, free, staked)))`, balances in 18 decimals;
//! - inner node: keccak256 of the two children in ascending order (OpenZeppelin `MerkleProof`);
//! - leaves sorted ascending; an odd node at the end of a level moves up unchanged.

use crate::GenesisError;
use alloy_primitives::{Address, B256, U256, hex, keccak256};
use alloy_sol_types::SolValue;
use serde::{Deserialize, Serialize};
use std::{collections::BTreeSet, path::Path};

/// The sample snapshot of `genesis/migration/sample-snapshot.json` (Substrate's well-known dev
/// keys), used by `--dev` and the tests.
pub const SAMPLE_SNAPSHOT_JSON: &str =
    include_str!("../../../genesis/migration/sample-snapshot.json");

/// The parsed [`SAMPLE_SNAPSHOT_JSON`].
pub fn sample_snapshot() -> Snapshot {
    Snapshot::parse(SAMPLE_SNAPSHOT_JSON, Path::new("genesis/migration/sample-snapshot.json"))
        .expect("the sample snapshot is valid")
}

/// Parachain balances have 12 decimals, PHA on the L2 has 18.
pub const DECIMALS_SCALE: u64 = 1_000_000;

/// A snapshot file as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotFile {
    /// Free text: where the snapshot comes from.
    #[serde(default)]
    pub description: String,
    /// The accounts.
    pub accounts: Vec<SnapshotEntryFile>,
}

/// One account of a snapshot file; balances are decimal strings in 12-decimal units.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotEntryFile {
    /// The account's 32-byte public key, hex.
    pub account: B256,
    /// Transferable balance (12 decimals).
    pub free: String,
    /// Staked balance (12 decimals).
    pub staked: String,
}

/// One account with its balances scaled to 18 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimEntry {
    /// The 32-byte public key.
    pub account: B256,
    /// Free balance, paid as PHA.
    pub free: U256,
    /// Staked balance, paid as vPHA.
    pub staked: U256,
}

impl ClaimEntry {
    /// The leaf `keccak256(keccak256(abi.encode(account, free, staked)))`.
    pub fn leaf(&self) -> B256 {
        keccak256(keccak256((self.account, self.free, self.staked).abi_encode()))
    }
}

/// A parsed snapshot: entries sorted by account, no duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The accounts, sorted by public key.
    pub entries: Vec<ClaimEntry>,
}

impl Snapshot {
    /// Reads a snapshot file.
    pub fn read(path: &Path) -> Result<Self, GenesisError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| GenesisError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Parses a snapshot file's text (`origin` names it in errors).
    pub fn parse(text: &str, origin: &Path) -> Result<Self, GenesisError> {
        let file: SnapshotFile = serde_json::from_str(text)
            .map_err(|source| GenesisError::Json { path: origin.to_path_buf(), source })?;
        Self::from_file(&file)
    }

    /// Validates and scales a snapshot file's entries.
    pub fn from_file(file: &SnapshotFile) -> Result<Self, GenesisError> {
        let mut seen = BTreeSet::new();
        let mut entries = Vec::with_capacity(file.accounts.len());
        for entry in &file.accounts {
            if entry.account.is_zero() {
                // Nobody holds the zero key's secret; on Substrate it is a burn address.
                return Err(GenesisError::Snapshot("the zero account cannot claim".into()));
            }
            if !seen.insert(entry.account) {
                return Err(GenesisError::Snapshot(format!(
                    "account {} is listed twice",
                    entry.account
                )));
            }
            let free = scale(&entry.free, entry.account, "free")?;
            let staked = scale(&entry.staked, entry.account, "staked")?;
            if free.is_zero() && staked.is_zero() {
                return Err(GenesisError::Snapshot(format!(
                    "account {} has no balance",
                    entry.account
                )));
            }
            entries.push(ClaimEntry { account: entry.account, free, staked });
        }
        entries.sort_by_key(|entry| entry.account);
        Ok(Self { entries })
    }

    /// Total free balance (18 decimals).
    pub fn total_free(&self) -> U256 {
        self.entries.iter().map(|entry| entry.free).sum()
    }

    /// Total staked balance (18 decimals).
    pub fn total_staked(&self) -> U256 {
        self.entries.iter().map(|entry| entry.staked).sum()
    }

    /// The entry of `account`.
    pub fn entry(&self, account: B256) -> Option<&ClaimEntry> {
        self.entries
            .binary_search_by_key(&account, |entry| entry.account)
            .ok()
            .map(|index| &self.entries[index])
    }

    /// The Merkle tree over the entries.
    pub fn tree(&self) -> MerkleTree {
        MerkleTree::new(self.entries.iter().map(ClaimEntry::leaf).collect())
    }
}

/// A 12-decimal balance string scaled to 18 decimals.
fn scale(value: &str, account: B256, field: &str) -> Result<U256, GenesisError> {
    let invalid = || {
        GenesisError::Snapshot(format!(
            "account {account}: {field} balance {value:?} is not a decimal integer"
        ))
    };
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid());
    }
    let units: u128 = value.parse().map_err(|_| invalid())?;
    Ok(U256::from(units) * U256::from(DECIMALS_SCALE))
}

/// A Merkle tree with sorted leaves and sorted-pair hashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[0]` are the sorted leaves, the last level is the root alone.
    levels: Vec<Vec<B256>>,
}

impl MerkleTree {
    /// The tree over `leaves` (in any order).
    pub fn new(mut leaves: Vec<B256>) -> Self {
        leaves.sort();
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|level| level.len() > 1) {
            let level = levels.last().expect("checked above");
            let next = level
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => hash_pair(*left, *right),
                    [single] => *single,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
            levels.push(next);
        }
        Self { levels }
    }

    /// The root (zero for an empty tree).
    pub fn root(&self) -> B256 {
        self.levels.last().and_then(|level| level.first()).copied().unwrap_or_default()
    }

    /// The proof of `leaf`: its sibling at every level that has one.
    pub fn proof(&self, leaf: B256) -> Option<Vec<B256>> {
        let mut index = self.levels[0].binary_search(&leaf).ok()?;
        let mut proof = Vec::new();
        for level in &self.levels[..self.levels.len() - 1] {
            if let Some(sibling) = level.get(index ^ 1) {
                proof.push(*sibling);
            }
            index /= 2;
        }
        Some(proof)
    }
}

/// keccak256 of the two nodes in ascending order.
pub fn hash_pair(a: B256, b: B256) -> B256 {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut buffer = [0u8; 64];
    buffer[..32].copy_from_slice(low.as_slice());
    buffer[32..].copy_from_slice(high.as_slice());
    keccak256(buffer)
}

/// Whether `proof` leads from `leaf` to `root` (what the contract checks).
pub fn verify_proof(root: B256, leaf: B256, proof: &[B256]) -> bool {
    proof.iter().fold(leaf, |node, sibling| hash_pair(node, *sibling)) == root
}

/// The text a holder signs to claim to `recipient` on `chain_id` through the claims contract at
/// `claims` (the contract's `claimText`).
pub fn claim_text(recipient: Address, chain_id: u64, claims: Address) -> String {
    format!(
        "Claim my Phala parachain PHA to 0x{} on chain {chain_id} via 0x{}",
        hex::encode(recipient),
        hex::encode(claims)
    )
}

/// The bytes a parachain key signs: [`claim_text`] wrapped as the polkadot.js extension's
/// `signRaw` wraps data (`<Bytes>…</Bytes>`).
pub fn signed_message(recipient: Address, chain_id: u64, claims: Address) -> Vec<u8> {
    let mut message = b"<Bytes>".to_vec();
    message.extend_from_slice(claim_text(recipient, chain_id, claims).as_bytes());
    message.extend_from_slice(b"</Bytes>");
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(byte: u8, free: &str, staked: &str) -> SnapshotEntryFile {
        SnapshotEntryFile {
            account: B256::repeat_byte(byte),
            free: free.into(),
            staked: staked.into(),
        }
    }

    #[test]
    fn balances_scale_from_12_to_18_decimals() {
        let file = SnapshotFile {
            description: String::new(),
            accounts: vec![entry(1, "1000000000000", "5")],
        };
        let snapshot = Snapshot::from_file(&file).unwrap();
        assert_eq!(snapshot.entries[0].free, U256::from(10u64).pow(U256::from(18)));
        assert_eq!(snapshot.entries[0].staked, U256::from(5_000_000u64));
    }

    #[test]
    fn bad_snapshots_are_errors() {
        let bad = |accounts| {
            Snapshot::from_file(&SnapshotFile { description: String::new(), accounts })
                .unwrap_err()
                .to_string()
        };
        assert!(bad(vec![entry(1, "1", "0"), entry(1, "2", "0")]).contains("listed twice"));
        assert!(bad(vec![entry(0, "1", "0")]).contains("zero account"));
        assert!(bad(vec![entry(1, "-1", "0")]).contains("not a decimal integer"));
        assert!(bad(vec![entry(1, "1.5", "0")]).contains("not a decimal integer"));
        assert!(bad(vec![entry(1, "", "0")]).contains("not a decimal integer"));
        assert!(bad(vec![entry(1, "0", "0")]).contains("no balance"));
        let too_big = "9".repeat(40);
        assert!(bad(vec![entry(1, &too_big, "0")]).contains("not a decimal integer"));
    }

    #[test]
    fn every_leaf_has_a_proof_to_the_root() {
        for count in 1..=17u8 {
            let leaves: Vec<B256> = (0..count).map(|i| keccak256([i, count])).collect();
            let tree = MerkleTree::new(leaves.clone());
            for leaf in &leaves {
                let proof = tree.proof(*leaf).unwrap();
                assert!(verify_proof(tree.root(), *leaf, &proof), "{count} leaves");
                // A proof does not prove another leaf.
                assert!(!verify_proof(tree.root(), keccak256(leaf), &proof));
            }
            assert!(tree.proof(B256::ZERO).is_none());
        }
        // One leaf: the root is the leaf, the proof is empty.
        let single = MerkleTree::new(vec![B256::repeat_byte(7)]);
        assert_eq!(single.root(), B256::repeat_byte(7));
        assert!(single.proof(B256::repeat_byte(7)).unwrap().is_empty());
    }

    #[test]
    fn the_root_does_not_depend_on_input_order() {
        let forward = SnapshotFile {
            description: String::new(),
            accounts: vec![entry(1, "1", "0"), entry(2, "2", "3"), entry(3, "0", "4")],
        };
        let mut backward = forward.clone();
        backward.accounts.reverse();
        assert_eq!(
            Snapshot::from_file(&forward).unwrap().tree().root(),
            Snapshot::from_file(&backward).unwrap().tree().root()
        );
    }

    #[test]
    fn signed_message_wraps_the_claim_text() {
        let recipient = Address::repeat_byte(0xab);
        let message = signed_message(recipient, 1337, Address::repeat_byte(0x01));
        let text = String::from_utf8(message).unwrap();
        assert_eq!(
            text,
            "<Bytes>Claim my Phala parachain PHA to 0xabababababababababababababababababababab \
             on chain 1337 via 0x0101010101010101010101010101010101010101</Bytes>"
        );
    }
}
