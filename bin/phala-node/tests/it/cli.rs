//! The offline commands of the binary: `dump-genesis` (deterministic, and loadable again with
//! the same genesis hash), `migration root|proof`, and errors naming the bad flag.

use crate::{run, stdout_of};
use alloy_primitives::{B256, U256, b256};
use phala_genesis::migration::{ClaimEntry, verify_proof};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Substrate's //Alice (sr25519), an account of the sample snapshot.
const ALICE: B256 = b256!("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The genesis hash `init` reports for `chain`.
fn init_hash(chain: &str, datadir: &Path) -> String {
    let out = stdout_of(&["init", "--chain", chain, "--datadir", datadir.to_str().unwrap()]);
    let start = out.find("genesis 0x").expect("init prints the genesis hash") + "genesis ".len();
    out[start..start + 66].to_string()
}

#[test]
fn dump_genesis_is_deterministic_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let testnet = repo().join("chainspec/testnet.json");
    let testnet = testnet.to_str().unwrap();
    for chain in ["dev", testnet] {
        let first = stdout_of(&["dump-genesis", "--chain", chain]);
        let second = stdout_of(&["dump-genesis", "--chain", chain]);
        assert_eq!(first, second, "{chain}");
        let genesis: Value = serde_json::from_str(&first).unwrap();
        // The dump is a plain genesis with every predeploy's code and storage.
        assert!(genesis.get("genesisContracts").is_none());
        for n in 1..=7 {
            let address = format!("0x504841000000000000000000000000000000000{n}");
            let account = &genesis["alloc"][&address];
            assert!(
                account["code"].as_str().is_some_and(|code| code.len() > 2),
                "{chain} {address}"
            );
        }
        // Loading the dump gives the same chain as loading the spec.
        let dumped = dir.path().join(format!("dump-{}.json", first.len()));
        std::fs::write(&dumped, &first).unwrap();
        let dumped = dumped.to_str().unwrap();
        assert_eq!(stdout_of(&["dump-genesis", "--chain", dumped]), first);
        let from_spec = init_hash(chain, &dir.path().join(format!("spec-{}", first.len())));
        let from_dump = init_hash(dumped, &dir.path().join(format!("dump-{}", first.len())));
        assert_eq!(from_spec, from_dump, "{chain}");
    }
    // Another spec, another hash: the dev chain is not the testnet.
    assert_ne!(init_hash("dev", &dir.path().join("a")), init_hash(testnet, &dir.path().join("b")));
}

#[test]
fn bad_chain_names_the_flag() {
    let output = run(&["dump-genesis", "--chain", "no-such-chain"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--chain") && stderr.contains("no-such-chain"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"{"config": {"chainId": 5}, "genesisContracts": {"rewardsBudget": 1}}"#,
    )
    .unwrap();
    let output = run(&["dump-genesis", "--chain", broken.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--chain") && stderr.contains("broken.json"), "{stderr}");
}

#[test]
fn a_gas_limit_no_header_may_carry_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("data");
    for gas in ["4999", "9223372036854775808"] {
        let output = run(&[
            "node",
            "--dev",
            "--datadir",
            datadir.to_str().unwrap(),
            "--builder.gaslimit",
            gas,
        ]);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--builder.gaslimit") && stderr.contains(gas), "{stderr}");
    }
    // Refused before anything was written.
    assert!(!datadir.exists());
}

#[test]
fn migration_tool_prints_root_and_verifiable_proofs() {
    let snapshot = repo().join("genesis/migration/sample-snapshot.json");
    let snapshot = snapshot.to_str().unwrap();
    let root: Value =
        serde_json::from_str(&stdout_of(&["migration", "root", "--snapshot", snapshot])).unwrap();
    assert_eq!(root["accounts"], 4);
    let merkle_root: B256 = root["merkleRoot"].as_str().unwrap().parse().unwrap();

    let recipient = "0x00000000000000000000000000000000000000a1";
    let proof: Value = serde_json::from_str(&stdout_of(&[
        "migration",
        "proof",
        "--snapshot",
        snapshot,
        "--account",
        &ALICE.to_string(),
        "--recipient",
        recipient,
        "--chain-id",
        "1337",
    ]))
    .unwrap();
    let entry = ClaimEntry {
        account: ALICE,
        free: proof["free"].as_str().unwrap().parse::<U256>().unwrap(),
        staked: proof["staked"].as_str().unwrap().parse::<U256>().unwrap(),
    };
    // 12-decimal balances scaled to 18 decimals: 12,345.678 PHA free.
    assert_eq!(entry.free, U256::from(12_345_678u64) * U256::from(10u64).pow(U256::from(15)));
    let siblings: Vec<B256> = serde_json::from_value(proof["proof"].clone()).unwrap();
    assert!(verify_proof(merkle_root, entry.leaf(), &siblings));
    assert_eq!(
        proof["textToSign"],
        format!(
            "Claim my Phala parachain PHA to {recipient} on chain 1337 via 0x5048410000000000000000000000000000000007"
        )
    );

    let output =
        run(&["migration", "proof", "--snapshot", snapshot, "--account", &B256::ZERO.to_string()]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--account"));
}
