//! `phala-node devnet`: one command starts anvil, deploys, writes `devnet.json` and runs the L2;
//! SIGTERM stops everything it started; a restart on the same datadir continues both chains.

use phala_e2e::{block_at, eventually, phala_node_binary};
use phala_l1::{L1Client, anvil::free_port};
use std::{path::Path, process::Command, time::Duration};

fn read_info(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

async fn heads(info: &serde_json::Value) -> Option<(u64, u64)> {
    let l1 = L1Client::new(info["l1"]["rpc"].as_str()?).ok()?;
    let l2 = L1Client::new(info["l2"]["rpc"].as_str()?).ok()?;
    let (_, l2_head) = block_at(&l2, alloy_rpc_types_eth::BlockNumberOrTag::Latest).await?;
    Some((l1.block_number().await.ok()?, l2_head))
}

#[tokio::test(flavor = "multi_thread")]
async fn devnet_starts_stops_on_sigterm_and_continues_both_chains() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let datadir = dir.path().join("devnet");
    let log = dir.path().join("devnet.log");
    let info_path = datadir.join("devnet.json");
    let (l1_port, http_port) = (free_port().expect("a port"), free_port().expect("a port"));
    let start = || {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log");
        Command::new(phala_node_binary())
            .args(["devnet", "--datadir"])
            .arg(&datadir)
            .args(["--l1.port", &l1_port.to_string(), "--http.port", &http_port.to_string()])
            .args(["--authrpc.port", &free_port().expect("a port").to_string()])
            .args(["--l1.block-time", "1"])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("phala-node devnet starts")
    };
    let mut devnet = start();
    let info = eventually(&log, "devnet.json appears", Duration::from_secs(120), || async {
        read_info(&info_path)
    })
    .await;
    for key in [
        "OptimismPortalProxy",
        "L2OutputOracleProxy",
        "SystemConfigProxy",
        "L1StandardBridgeProxy",
        "L1CrossDomainMessengerProxy",
        "SuperchainConfigProxy",
        "BatchInbox",
    ] {
        assert!(info["addresses"][key].is_string(), "devnet.json names {key}");
    }
    for key in ["batcher", "proposer", "sequencer"] {
        assert!(info["roles"][key].is_string(), "devnet.json names the {key}");
    }
    assert_eq!(info["l2"]["chainId"], 1337);
    assert!(Path::new(info["chainSpec"].as_str().expect("a path")).is_file());
    assert!(Path::new(info["rollupConfig"].as_str().expect("a path")).is_file());
    let before = eventually(&log, "both chains advance", Duration::from_secs(60), || {
        let info = info.clone();
        async move { heads(&info).await.filter(|(l1, l2)| *l1 > 20 && *l2 > 3) }
    })
    .await;

    // SIGTERM stops the node and the anvil it started.
    let status = Command::new("kill").arg("-TERM").arg(devnet.id().to_string()).status();
    assert!(status.is_ok_and(|status| status.success()));
    let exit = tokio::task::spawn_blocking(move || devnet.wait()).await.expect("joined");
    assert!(exit.expect("it exits").success(), "a SIGTERM'd devnet exits cleanly");
    assert!(heads(&info).await.is_none(), "nothing answers after SIGTERM");
    assert!(!info_path.exists(), "devnet.json goes with the devnet");

    // Started again on the same datadir, both chains continue from where they were.
    let mut devnet = start();
    let info = eventually(&log, "devnet.json appears again", Duration::from_secs(120), || async {
        read_info(&info_path)
    })
    .await;
    let (l1_now, l2_now) = heads(&info).await.expect("both chains answer");
    assert!(l1_now >= before.0, "the L1 continues: {l1_now} after {}", before.0);
    assert!(l2_now >= before.1, "the L2 continues: {l2_now} after {}", before.1);
    let _ = Command::new("kill").arg("-TERM").arg(devnet.id().to_string()).status();
    let _ = devnet.wait();
}

/// viem's unmodified OP Stack actions (pinned in `tests/js`) deposit through the portal and take
/// a withdrawal through every step (`waitToProve`, `buildProveWithdrawal`, `proveWithdrawal`,
/// `waitToFinalize`, `finalizeWithdrawal`, `getWithdrawalStatus`) against `phala-node devnet`.
#[tokio::test(flavor = "multi_thread")]
async fn viem_op_stack_actions_deposit_and_withdraw_against_the_devnet() {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    assert!(
        js.join("node_modules/viem").is_dir(),
        "the pinned viem is missing: run `cd tests/js && npm ci` (scripts/test does)"
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let datadir = dir.path().join("devnet");
    let log = dir.path().join("devnet.log");
    let info_path = datadir.join("devnet.json");
    let log_file = std::fs::File::create(&log).expect("log");
    let mut devnet = Command::new(phala_node_binary())
        .args(["devnet", "--datadir"])
        .arg(&datadir)
        .args(["--l1.port", &free_port().expect("a port").to_string()])
        .args(["--http.port", &free_port().expect("a port").to_string()])
        .args(["--authrpc.port", &free_port().expect("a port").to_string()])
        .args(["--l1.block-time", "1"])
        .stdout(log_file.try_clone().expect("log"))
        .stderr(log_file)
        .spawn()
        .expect("phala-node devnet starts");
    let info = eventually(&log, "devnet.json appears", Duration::from_secs(120), || async {
        read_info(&info_path)
    })
    .await;

    let script = js.join("withdrawal.mjs");
    let info_arg = info_path.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(script).arg(info_arg).output().expect("node (Node.js) runs")
    })
    .await
    .expect("joined");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "withdrawal.mjs failed:\n{stdout}\n{stderr}\ndevnet log:\n{}",
        phala_e2e::log_tail(&log)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(seen["deposit"]["l2Status"], "success", "{seen}");
    assert_eq!(
        seen["statuses"],
        serde_json::json!([
            "waiting-to-prove",
            "ready-to-prove",
            "waiting-to-finalize",
            "ready-to-finalize",
            "finalized"
        ]),
        "{seen}"
    );
    assert_eq!(seen["prove"]["status"], "success", "{seen}");
    assert_eq!(seen["finalize"]["status"], "success", "{seen}");
    assert_eq!(
        seen["finalize"]["received"], "250000000000000000",
        "exactly the 0.25 ETH withdrawn"
    );
    assert_ne!(seen["l1BaseFee"], "0", "{seen}");
    assert_ne!(seen["estimatedL1Fee"], "0", "{seen}");

    // The output viem proved against is the L2's own root of that block.
    let l2 = L1Client::new(info["l2"]["rpc"].as_str().expect("a URL")).expect("a client");
    let output_block: u64 = seen["output"]["l2Block"].as_str().expect("a number").parse().unwrap();
    let root = phala_e2e::recomputed_output_root(&l2, output_block).await;
    assert_eq!(seen["output"]["root"], root.to_string(), "{seen}");
    // Our own helper agrees it is finalized.
    let status = phala_e2e::phala_node_command(vec![
        "withdrawal".into(),
        "status".into(),
        "--devnet".into(),
        info_path.display().to_string(),
        "--tx".into(),
        seen["withdrawal"]["l2"].as_str().expect("a hash").to_string(),
    ])
    .await
    .json();
    assert_eq!(status["status"], "finalized", "{status}");
    let _ = Command::new("kill").arg("-TERM").arg(devnet.id().to_string()).status();
    let _ = tokio::task::spawn_blocking(move || devnet.wait()).await;
}
