//! The state and database tools: `dump-state` at a past block loaded with `--dev.load-state`
//! gives that block's state root, `export` → `import` gives the same chain, the `db` tools, and
//! the errors (a datadir without a database is refused and left without one, an unknown table,
//! a malformed state file, `db drop` without `--confirm`).

use crate::{ALICE, BOB, Node, quantity, run, stdout_of};
use serde_json::{Value, json};
use std::{path::Path, process::Output};

/// The stderr of a command that must fail, checked for a panic.
fn error_of(args: &[&str]) -> String {
    let output = run(args);
    assert!(!output.status.success(), "{args:?} succeeded");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    stderr
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A contract whose creation writes slot 1 = 42 (`SSTORE(1, 42)`, then `CODECOPY` and `RETURN`
/// of 7 bytes of code from offset 17) and whose code stores its first calldata word in slot 0
/// (`SSTORE(0, CALLDATALOAD(0))`).
const STORE_CONTRACT: &str = "0x602a6001556007601160003960076000f360003560005500";

/// What [`chain_with_history`] built.
struct History {
    /// A block in the middle: changes were made before and after it.
    middle: u64,
    /// Its state root.
    middle_root: Value,
    head: u64,
    head_root: Value,
    contract: Value,
    /// Bob's balance and the contract's slots 0 and 1 after `middle`.
    middle_state: [Value; 3],
}

/// A dev chain (a block per transaction) with transfers, a contract creation and storage writes,
/// a deletion of a slot among them, then stopped.
fn chain_with_history(datadir: &Path) -> History {
    let node = Node::start(datadir, 0);
    let send = |tx: Value| {
        let hash = node.call("eth_sendTransaction", json!([tx]));
        let receipt = node.wait_receipt(&hash);
        assert_eq!(receipt["status"], json!("0x1"), "{tx}");
        receipt
    };
    let word = |n: u8| format!("0x{}{n:02x}", "00".repeat(31));
    send(json!({"from": ALICE, "to": BOB, "value": "0x1000"}));
    let contract = send(json!({"from": ALICE, "input": STORE_CONTRACT}))["contractAddress"].clone();
    send(json!({"from": BOB, "to": contract, "input": word(5)}));
    let middle =
        quantity(&send(json!({"from": ALICE, "to": BOB, "value": "0x2000"}))["blockNumber"]);
    // After the middle block: a slot deleted and written again, more transfers.
    send(json!({"from": BOB, "to": contract, "input": word(0)}));
    send(json!({"from": ALICE, "to": BOB, "value": "0x3000"}));
    send(json!({"from": BOB, "to": contract, "input": word(7)}));
    // A block per transaction: nothing is sealed after the last one.
    let head = quantity(&node.call("eth_blockNumber", json!([])));
    let tag = |n: u64| format!("0x{n:x}");
    let block = |n: u64| node.call("eth_getBlockByNumber", json!([tag(n), false]));
    let state_at = |n: u64| {
        [
            node.call("eth_getBalance", json!([BOB, tag(n)])),
            node.call("eth_getStorageAt", json!([contract, "0x0", tag(n)])),
            node.call("eth_getStorageAt", json!([contract, "0x1", tag(n)])),
        ]
    };
    let history = History {
        middle,
        middle_root: block(middle)["stateRoot"].clone(),
        head,
        head_root: block(head)["stateRoot"].clone(),
        middle_state: state_at(middle),
        contract: contract.clone(),
    };
    assert_ne!(history.middle_state, state_at(head), "the state changed after the middle block");
    assert_eq!(history.middle_state[1], json!(word(5)));
    node.interrupt();
    history
}

/// The state root `dump-state` reports on stderr.
fn dumped_root(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let start = stderr.find("state root 0x").expect("a state root") + "state root ".len();
    stderr[start..start + 66].to_string()
}

/// dump-state at block N, loaded into a fresh dev node, gives a genesis with block N's state
/// root and N's balances and storage; the dump is deterministic; a datadir holding another
/// chain is refused with the flag named.
#[test]
fn serial_dump_state_at_a_past_block_loads_with_its_state_root() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("chain");
    let history = chain_with_history(&datadir);
    let dump = dir.path().join("middle.json");
    let args = ["dump-state", "--datadir", path(&datadir), "--block", &history.middle.to_string()];
    let output = run(&[&args[..], &["--output", path(&dump)]].concat());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(json!(dumped_root(&output)), history.middle_root);
    // The same bytes on stdout, and again.
    let text = std::fs::read_to_string(&dump).unwrap();
    assert_eq!(stdout_of(&args), text);
    assert_eq!(stdout_of(&args), text);
    let alloc: Value = serde_json::from_str(&text).unwrap();
    let addresses: Vec<&String> = alloc.as_object().unwrap().keys().collect();
    assert!(addresses.windows(2).all(|pair| pair[0] < pair[1]), "sorted by address");
    // The head by default.
    let head = run(&["dump-state", "--datadir", path(&datadir)]);
    assert_eq!(json!(dumped_root(&head)), history.head_root);

    let fresh = dir.path().join("loaded");
    let node = Node::start_with(&fresh, 0, &["--dev.load-state", path(&dump)]);
    let genesis = node.call("eth_getBlockByNumber", json!(["0x0", false]));
    assert_eq!(genesis["stateRoot"], history.middle_root, "block {}'s state root", history.middle);
    let contract = &history.contract;
    assert_eq!(
        [
            node.call("eth_getBalance", json!([BOB, "0x0"])),
            node.call("eth_getStorageAt", json!([contract, "0x0", "0x0"])),
            node.call("eth_getStorageAt", json!([contract, "0x1", "0x0"])),
        ],
        history.middle_state
    );
    // The loaded chain runs: the contract's code came along.
    let hash = node.call(
        "eth_sendTransaction",
        json!([{"from": ALICE, "to": contract, "input": format!("0x{}09", "00".repeat(31))}]),
    );
    assert_eq!(node.wait_receipt(&hash)["status"], json!("0x1"));
    node.interrupt();
    // A restart with the same file opens the chain it made.
    Node::start_with(&fresh, 0, &["--dev.load-state", path(&dump)]).interrupt();

    // Another state into that datadir is refused, and so is a plain dev chain's datadir.
    let head_dump = dir.path().join("head.json");
    std::fs::write(&head_dump, &head.stdout).unwrap();
    for datadir in [&fresh, &datadir] {
        let stderr = error_of(&[
            "node",
            "--dev",
            "--datadir",
            path(datadir),
            "--dev.load-state",
            path(&head_dump),
        ]);
        assert!(stderr.contains("--dev.load-state") && stderr.contains("fresh"), "{stderr}");
    }
}

/// export → import into a fresh datadir gives the same head and the same state (checksums of the
/// state tables); ranges export in pieces; bad ranges name their flag.
#[test]
fn serial_export_then_import_gives_the_same_chain() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("chain");
    let history = chain_with_history(&datadir);
    let datadir = path(&datadir);
    let stats = stdout_of(&["db", "stats", "--datadir", datadir]);
    let head_line = stats.lines().next().unwrap().to_string();
    assert!(head_line.starts_with("head: #"), "{stats}");

    let whole = dir.path().join("whole.rlp");
    assert!(
        stdout_of(&["export", "--datadir", datadir, path(&whole)]).contains("exported blocks 1..=")
    );
    let split = history.middle.to_string();
    let after = (history.middle + 1).to_string();
    let first = dir.path().join("first.rlp");
    let second = dir.path().join("second.rlp");
    stdout_of(&["export", "--datadir", datadir, "--to", &split, path(&first)]);
    stdout_of(&["export", "--datadir", datadir, "--from", &after, path(&second)]);
    let mut joined = std::fs::read(&first).unwrap();
    joined.extend(std::fs::read(&second).unwrap());
    assert_eq!(joined, std::fs::read(&whole).unwrap(), "pieces join to the whole");

    let checksum = |datadir: &str| {
        ["accounts", "storage", "bytecodes", "account_trie", "canonical_hashes"]
            .map(|table| stdout_of(&["db", "checksum", "--datadir", datadir, table]))
    };
    for (name, files) in [("one", vec![&whole]), ("two", vec![&first, &second])] {
        let fresh = dir.path().join(name);
        let fresh = path(&fresh);
        stdout_of(&["init", "--datadir", fresh]);
        for file in files {
            let out = stdout_of(&["import", "--datadir", fresh, path(file)]);
            assert!(out.contains("imported"), "{out}");
        }
        let stats = stdout_of(&["db", "stats", "--datadir", fresh]);
        assert_eq!(stats.lines().next().unwrap(), head_line, "the same head");
        assert_eq!(checksum(fresh), checksum(datadir), "the same state");
    }
    let head = run(&["dump-state", "--datadir", datadir]);
    assert_eq!(json!(dumped_root(&head)), history.head_root);

    let out = dir.path().join("bad.rlp");
    let beyond = (history.head + 1000).to_string();
    let stderr = error_of(&["export", "--datadir", datadir, "--to", &beyond, path(&out)]);
    assert!(stderr.contains("--to") && stderr.contains("after the head"), "{stderr}");
    let stderr =
        error_of(&["export", "--datadir", datadir, "--from", &after, "--to", &split, path(&out)]);
    assert!(stderr.contains("--from"), "{stderr}");
    let stderr = error_of(&["dump-state", "--datadir", datadir, "--block", &beyond]);
    assert!(stderr.contains("--block") && stderr.contains("after the head"), "{stderr}");
    assert!(!out.exists(), "no file from a refused export");
}

/// Every tool that reads a chain refuses a datadir without a database and creates nothing there,
/// neither the directory nor files in an existing empty one.
#[test]
fn tools_refuse_a_datadir_without_a_database_and_create_none() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blocks.rlp");
    std::fs::write(&file, []).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    for datadir in [dir.path().join("missing"), empty.clone()] {
        let d = path(&datadir);
        let out = dir.path().join("out");
        for args in [
            vec!["import", "--datadir", d, path(&file)],
            vec!["export", "--datadir", d, path(&out)],
            vec!["dump-state", "--datadir", d],
            vec!["db", "stats", "--datadir", d],
            vec!["db", "list", "--datadir", d, "accounts"],
            vec!["db", "get", "--datadir", d, "meta", "0x68656164"],
            vec!["db", "checksum", "--datadir", d],
            vec!["db", "drop", "--datadir", d, "--confirm"],
        ] {
            let stderr = error_of(&args);
            assert!(
                stderr.contains("--datadir") && stderr.contains("no database"),
                "{args:?}: {stderr}"
            );
            assert!(!out.exists());
        }
    }
    assert!(!dir.path().join("missing").exists());
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

/// `db list`, `get`, `checksum` and `drop` on an initialised dev datadir.
#[test]
fn db_tools_list_get_checksum_and_drop() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("data");
    let d = path(&datadir);
    let init = stdout_of(&["init", "--datadir", d]);
    let genesis = &init[init.find("genesis 0x").unwrap() + "genesis ".len()..][..66];

    // The canonical hash of block 0 is the genesis hash.
    let canonical = stdout_of(&["db", "list", "--datadir", d, "canonical_hashes"]);
    assert_eq!(canonical, format!("0x0000000000000000 {genesis}\n"));
    let value = stdout_of(&["db", "get", "--datadir", d, "canonical_hashes", "0000000000000000"]);
    assert_eq!(value, format!("{genesis}\n"));
    // Every line is `0x<key> 0x<value>` in key order; --skip and --limit cut the list.
    let accounts = stdout_of(&["db", "list", "--datadir", d, "accounts"]);
    let lines: Vec<&str> = accounts.lines().collect();
    assert!(lines.len() > 20, "the dev accounts and predeploys");
    assert!(lines.iter().all(|line| line.starts_with("0x") && line.split(' ').count() == 2));
    assert!(lines.windows(2).all(|pair| pair[0] < pair[1]));
    let some =
        stdout_of(&["db", "list", "--datadir", d, "accounts", "--skip", "2", "--limit", "3"]);
    assert_eq!(some.lines().collect::<Vec<_>>(), lines[2..5]);

    // A missing key, a bad key and an unknown table are errors that say so.
    let stderr = error_of(&["db", "get", "--datadir", d, "canonical_hashes", "0x01"]);
    assert!(stderr.contains("canonical_hashes") && stderr.contains("no key 0x01"), "{stderr}");
    let stderr = error_of(&["db", "get", "--datadir", d, "meta", "0xzz"]);
    assert!(stderr.contains("<KEY>") && stderr.contains("not hex"), "{stderr}");
    for args in [
        vec!["db", "list", "--datadir", d, "acounts"],
        vec!["db", "get", "--datadir", d, "acounts", "0x00"],
        vec!["db", "checksum", "--datadir", d, "acounts"],
    ] {
        let stderr = error_of(&args);
        assert!(stderr.contains("unknown table \"acounts\""), "{stderr}");
        assert!(stderr.contains("accounts, storage, bytecodes"), "lists the tables: {stderr}");
    }

    // Checksums: one line per table, deterministic, the same for the same chain elsewhere.
    let all = stdout_of(&["db", "checksum", "--datadir", d]);
    assert_eq!(all.lines().count(), phala_storage::Table::ALL.len());
    assert_eq!(stdout_of(&["db", "checksum", "--datadir", d]), all);
    let one = stdout_of(&["db", "checksum", "--datadir", d, "accounts"]);
    assert!(all.lines().any(|line| format!("{line}\n") == one), "{one}");
    let other = dir.path().join("other");
    stdout_of(&["init", "--datadir", path(&other)]);
    assert_eq!(stdout_of(&["db", "checksum", "--datadir", path(&other)]), all);

    // Drop: refused without --confirm (the database stays), done with it.
    let stderr = error_of(&["db", "drop", "--datadir", d]);
    assert!(stderr.contains("--confirm"), "{stderr}");
    stdout_of(&["db", "stats", "--datadir", d]);
    let out = stdout_of(&["db", "drop", "--datadir", d, "--confirm"]);
    assert!(out.contains("deleted the database"), "{out}");
    let stderr = error_of(&["db", "stats", "--datadir", d]);
    assert!(stderr.contains("no database"), "{stderr}");
    assert!(!datadir.join("CURRENT").exists());
}

/// A state file that is not a dump names the flag and the file, panics nowhere, and creates no
/// database; `--dev.load-state` needs `--dev`.
#[test]
fn malformed_state_file_names_the_file_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("data");
    let cases = [
        (
            "truncated.json",
            "{\"0x0000000000000000000000000000000000000001\": {\"balance\": \"0x1\"",
        ),
        ("list.json", "[1, 2]"),
        ("address.json", "{\"0x01\": {\"balance\": \"0x1\"}}"),
        (
            "balance.json",
            "{\"0x0000000000000000000000000000000000000001\": {\"balance\": \"lots\"}}",
        ),
        ("binary.json", "\u{0}\u{1}\u{2}"),
    ];
    for (name, text) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let stderr = error_of(&[
            "node",
            "--dev",
            "--datadir",
            path(&datadir),
            "--dev.load-state",
            path(&file),
        ]);
        assert!(
            stderr.contains("--dev.load-state")
                && stderr.contains(name)
                && stderr.contains("not a geth-style alloc"),
            "{name}: {stderr}"
        );
    }
    let missing = dir.path().join("missing.json");
    let stderr = error_of(&[
        "node",
        "--dev",
        "--datadir",
        path(&datadir),
        "--dev.load-state",
        path(&missing),
    ]);
    assert!(stderr.contains("missing.json"), "{stderr}");
    assert!(!datadir.exists(), "no database for a refused state file");
    let stderr =
        error_of(&["node", "--datadir", path(&datadir), "--dev.load-state", path(&missing)]);
    assert!(stderr.contains("--dev"), "{stderr}");
}
