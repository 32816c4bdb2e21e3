//! The EF blockchain test runner.
//!
//! Per fixture (see `shared/conformance/README.md` §1): build the chain spec with every fork up
//! to `network` active at genesis and chain id 1; check the computed genesis header (state root
//! and hash) against `genesisBlockHeader`; import every block's RLP through the node's
//! [`BlockImporter`] into a fresh RocksDB in a temporary directory; a block with
//! `expectException` must be rejected and must leave the head unchanged, any other block must be
//! imported with the expected hash and (when given) the expected receipts; at the end the head
//! must be `lastblockhash` and the state must equal `postState` exactly (balance, nonce, code and
//! every storage slot of each account, and no other account), or its root `postStateHash`.

use alloy_primitives::{Address, B64, B256, Bytes, U64, U256};
use eyre::{Context, bail, eyre};
use phala_chain::{BlockImporter, ImportOutcome, init_genesis};
use phala_primitives::{ChainSpec, EthereumHardfork};
use phala_storage::{Database, KeyValueRead, Table};
use serde::Deserialize;
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, mpsc},
};

use alloy_eips::{eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS, eip7840::BlobParams};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fixture {
    network: String,
    genesis_block_header: FixtureHeader,
    pre: BTreeMap<Address, FixtureAccount>,
    blocks: Vec<FixtureBlock>,
    #[serde(rename = "lastblockhash")]
    last_block_hash: B256,
    post_state: Option<BTreeMap<Address, FixtureAccount>>,
    post_state_hash: Option<B256>,
    config: Option<FixtureConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureConfig {
    #[serde(default)]
    blob_schedule: BTreeMap<String, FixtureBlobParams>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureBlobParams {
    target: U64,
    max: U64,
    base_fee_update_fraction: U64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureHeader {
    parent_hash: B256,
    coinbase: Address,
    state_root: B256,
    difficulty: U256,
    number: U64,
    gas_limit: U64,
    timestamp: U64,
    extra_data: Bytes,
    mix_hash: B256,
    nonce: B64,
    base_fee_per_gas: Option<U64>,
    blob_gas_used: Option<U64>,
    excess_blob_gas: Option<U64>,
    hash: B256,
}

#[derive(Debug, Deserialize)]
struct FixtureAccount {
    nonce: U64,
    balance: U256,
    code: Bytes,
    storage: BTreeMap<U256, U256>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureBlock {
    rlp: String,
    expect_exception: Option<String>,
    block_header: Option<BlockHeaderHash>,
    receipts: Option<Vec<FixtureReceipt>>,
}

#[derive(Debug, Deserialize)]
struct BlockHeaderHash {
    hash: B256,
}

#[derive(Debug, Deserialize)]
struct FixtureReceipt {
    rlp: Bytes,
}

/// Counts of a run.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
    /// Names (`file::key`) of the failed fixtures.
    pub(crate) failures: Vec<String>,
}

impl Summary {
    /// Counts `verdict` and prints its `PASS|FAIL|SKIP <label>` line.
    pub(crate) fn record(&mut self, label: String, verdict: Verdict) {
        match verdict {
            Verdict::Pass => {
                self.passed += 1;
                println!("PASS {label}");
            }
            Verdict::Fail(reason) => {
                self.failed += 1;
                println!("FAIL {label}: {reason}");
                self.failures.push(label);
            }
            Verdict::Skip(reason) => {
                self.skipped += 1;
                println!("SKIP {label}: {reason}");
            }
        }
    }

    /// Lists the failures again after the run, under `heading`.
    pub(crate) fn print_failures(&self, heading: &str) {
        if !self.failures.is_empty() {
            println!("{heading}:");
            for label in &self.failures {
                println!("  {label}");
            }
        }
    }
}

/// The result of one fixture or case.
pub(crate) enum Verdict {
    Pass,
    Fail(String),
    Skip(String),
}

/// Runs every fixture below `paths` and prints a line per fixture; the caller prints the summary.
pub(crate) fn run(paths: &[PathBuf], filter: Option<&str>, jobs: usize) -> eyre::Result<Summary> {
    let mut files = Vec::new();
    for path in paths {
        collect_json(path, &mut files)
            .wrap_err_with(|| format!("cannot read fixtures at {}", path.display()))?;
    }
    files.sort();
    if files.is_empty() {
        bail!("no .json fixtures found in {paths:?}");
    }
    let queue = Arc::new(Mutex::new(files.into_iter().enumerate().collect::<Vec<_>>()));
    let (sender, receiver) = mpsc::channel();
    let filter = filter.map(str::to_string);
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let queue = queue.clone();
            let sender = sender.clone();
            let filter = filter.clone();
            std::thread::spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|mut queue| queue.pop());
                    let Some((index, file)) = next else { break };
                    let results = run_file(&file, filter.as_deref());
                    if sender.send((index, file, results)).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    drop(sender);
    let mut results: Vec<_> = receiver.into_iter().collect();
    for worker in workers {
        worker.join().map_err(|_| eyre!("a worker thread panicked"))?;
    }
    results.sort_by_key(|(index, _, _)| *index);

    let mut summary = Summary::default();
    for (_, file, fixtures) in results {
        for (name, verdict) in fixtures {
            summary.record(format!("{}::{name}", file.display()), verdict);
        }
    }
    summary.print_failures("failed fixtures");
    Ok(summary)
}

/// Every `.json` file at `path` (a file or a folder, recursively).
pub(crate) fn collect_json(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            collect_json(&entry?.path(), out)?;
        }
    } else if path.extension().is_some_and(|ext| ext == "json") {
        out.push(path.to_path_buf());
    } else if !path.exists() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"));
    }
    Ok(())
}

fn run_file(file: &Path, filter: Option<&str>) -> Vec<(String, Verdict)> {
    let fixtures: BTreeMap<String, serde_json::Value> = match std::fs::read(file)
        .map_err(eyre::Report::from)
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(eyre::Report::from))
    {
        Ok(fixtures) => fixtures,
        Err(err) => return vec![("<file>".to_string(), Verdict::Fail(format!("{err}")))],
    };
    let label = file.display().to_string();
    fixtures
        .into_iter()
        .filter(|(name, _)| filter.is_none_or(|f| format!("{label}::{name}").contains(f)))
        .map(|(name, value)| {
            let verdict = match serde_json::from_value::<Fixture>(value) {
                Ok(fixture) => {
                    run_fixture(&fixture).unwrap_or_else(|err| Verdict::Fail(format!("{err:#}")))
                }
                Err(err) => Verdict::Fail(format!("unreadable fixture: {err}")),
            };
            (name, verdict)
        })
        .collect()
}

/// Forks by the names the fixtures use for `network`.
fn network_fork(network: &str) -> Option<EthereumHardfork> {
    Some(match network {
        "Frontier" => EthereumHardfork::Frontier,
        "Homestead" => EthereumHardfork::Homestead,
        "EIP150" => EthereumHardfork::Tangerine,
        "EIP158" => EthereumHardfork::SpuriousDragon,
        "Byzantium" => EthereumHardfork::Byzantium,
        "Constantinople" => EthereumHardfork::Constantinople,
        "ConstantinopleFix" | "Petersburg" => EthereumHardfork::Petersburg,
        "Istanbul" => EthereumHardfork::Istanbul,
        "Berlin" => EthereumHardfork::Berlin,
        "London" => EthereumHardfork::London,
        "Paris" | "Merge" => EthereumHardfork::Paris,
        "Shanghai" => EthereumHardfork::Shanghai,
        "Cancun" => EthereumHardfork::Cancun,
        "Prague" => EthereumHardfork::Prague,
        "Osaka" => EthereumHardfork::Osaka,
        _ => return None,
    })
}

fn chain_spec(fixture: &Fixture, fork: EthereumHardfork) -> ChainSpec {
    let header = &fixture.genesis_block_header;
    let mut genesis = alloy_genesis::Genesis {
        nonce: u64::from_be_bytes(header.nonce.0),
        timestamp: header.timestamp.to(),
        extra_data: header.extra_data.clone(),
        gas_limit: header.gas_limit.to(),
        difficulty: header.difficulty,
        mix_hash: header.mix_hash,
        coinbase: header.coinbase,
        base_fee_per_gas: header.base_fee_per_gas.map(|fee| fee.to()),
        excess_blob_gas: header.excess_blob_gas.map(|gas| gas.to()),
        blob_gas_used: header.blob_gas_used.map(|gas| gas.to()),
        number: Some(header.number.to()),
        parent_hash: Some(header.parent_hash),
        ..Default::default()
    };
    genesis.config.chain_id = 1;
    for (address, account) in &fixture.pre {
        genesis.alloc.insert(
            *address,
            alloy_genesis::GenesisAccount {
                nonce: Some(account.nonce.to()),
                balance: account.balance,
                code: (!account.code.is_empty()).then(|| account.code.clone()),
                storage: Some(
                    account
                        .storage
                        .iter()
                        .map(|(slot, value)| (B256::from(*slot), B256::from(*value)))
                        .collect(),
                ),
                private_key: None,
            },
        );
    }
    let blob_schedule = fixture
        .config
        .iter()
        .flat_map(|config| &config.blob_schedule)
        .filter_map(|(name, params)| {
            let fork = network_fork(name)?;
            let max: u64 = params.max.to();
            Some((
                fork,
                BlobParams {
                    target_blob_count: params.target.to(),
                    max_blob_count: max,
                    update_fraction: params.base_fee_update_fraction.to(),
                    max_blobs_per_tx: max,
                    ..BlobParams::cancun()
                },
            ))
        })
        .collect();
    ChainSpec::with_all_forks_up_to(
        fork,
        1,
        genesis,
        blob_schedule,
        Some(MAINNET_DEPOSIT_CONTRACT_ADDRESS),
    )
}

fn run_fixture(fixture: &Fixture) -> eyre::Result<Verdict> {
    let Some(fork) = network_fork(&fixture.network) else {
        return Ok(Verdict::Skip(format!(
            "network {} is not supported (only single-fork networks Frontier..Osaka)",
            fixture.network
        )));
    };
    let spec = Arc::new(chain_spec(fixture, fork));
    let expected = &fixture.genesis_block_header;
    if spec.genesis_header.state_root != expected.state_root {
        return Ok(Verdict::Fail(format!(
            "genesis state root {} != expected {}",
            spec.genesis_header.state_root, expected.state_root
        )));
    }
    if spec.genesis_hash() != expected.hash {
        return Ok(Verdict::Fail(format!(
            "genesis hash {} != expected {}",
            spec.genesis_hash(),
            expected.hash
        )));
    }

    let dir = tempfile::tempdir()?;
    let db = Database::open(dir.path())?;
    init_genesis(&db, &spec)?;
    let importer = BlockImporter::new(&db, spec);
    for (index, block) in fixture.blocks.iter().enumerate() {
        let head_before = db.head_hash()?;
        let result = match alloy_primitives::hex::decode(&block.rlp) {
            Ok(rlp) => importer.import_rlp(&rlp),
            Err(err) => {
                if block.expect_exception.is_none() {
                    return Ok(Verdict::Fail(format!("block {index}: undecodable hex: {err}")));
                }
                continue;
            }
        };
        match (&block.expect_exception, result) {
            (Some(exception), Ok(_)) => {
                return Ok(Verdict::Fail(format!(
                    "block {index}: imported, but expected exception {exception}"
                )));
            }
            (Some(_), Err(_)) => {
                if db.head_hash()? != head_before {
                    return Ok(Verdict::Fail(format!(
                        "block {index}: rejected block moved the head"
                    )));
                }
            }
            (None, Err(err)) => return Ok(Verdict::Fail(format!("block {index}: {err}"))),
            (None, Ok(outcome)) => {
                let hash = match outcome {
                    ImportOutcome::Imported { hash, .. }
                    | ImportOutcome::AlreadyCanonical(hash) => hash,
                };
                if let Some(expected) = &block.block_header
                    && expected.hash != hash
                {
                    return Ok(Verdict::Fail(format!(
                        "block {index}: hash {hash} != expected {}",
                        expected.hash
                    )));
                }
                if let Some(expected) = &block.receipts {
                    let stored = db.receipts(hash)?.unwrap_or_default();
                    if stored.len() != expected.len() {
                        return Ok(Verdict::Fail(format!(
                            "block {index}: {} receipts, expected {}",
                            stored.len(),
                            expected.len()
                        )));
                    }
                    for (i, (receipt, expected)) in stored.iter().zip(expected).enumerate() {
                        let encoded = alloy_eips::Encodable2718::encoded_2718(receipt);
                        if encoded != expected.rlp.as_ref() {
                            return Ok(Verdict::Fail(format!(
                                "block {index}: receipt {i} differs from the expected encoding"
                            )));
                        }
                    }
                }
            }
        }
    }

    let head = db.head_hash()?;
    if head != fixture.last_block_hash {
        return Ok(Verdict::Fail(format!(
            "head {head} != lastblockhash {}",
            fixture.last_block_hash
        )));
    }
    if let Some(post_state) = &fixture.post_state {
        if let Some(reason) = compare_post_state(&db, post_state)? {
            return Ok(Verdict::Fail(reason));
        }
    } else if let Some(expected_root) = fixture.post_state_hash {
        let root = db.head_header()?.state_root;
        if root != expected_root {
            return Ok(Verdict::Fail(format!(
                "state root {root} != postStateHash {expected_root}"
            )));
        }
    } else {
        return Ok(Verdict::Fail("fixture has neither postState nor postStateHash".into()));
    }
    Ok(Verdict::Pass)
}

/// Compares the whole latest state with `expected`; returns the first difference.
fn compare_post_state(
    db: &Database,
    expected: &BTreeMap<Address, FixtureAccount>,
) -> eyre::Result<Option<String>> {
    let mut actual_addresses = Vec::new();
    for (key, _) in db.scan_prefix(Table::Accounts, &[])? {
        actual_addresses.push(Address::from_slice(&key));
    }
    for address in &actual_addresses {
        if !expected.contains_key(address) {
            return Ok(Some(format!("unexpected account {address} in state")));
        }
    }
    for (address, want) in expected {
        let Some(account) = db.stored_account(*address)? else {
            return Ok(Some(format!("account {address} missing from state")));
        };
        if account.nonce != want.nonce.to::<u64>() {
            return Ok(Some(format!(
                "account {address}: nonce {} != {}",
                account.nonce, want.nonce
            )));
        }
        if account.balance != want.balance {
            return Ok(Some(format!(
                "account {address}: balance {} != {}",
                account.balance, want.balance
            )));
        }
        let code = db.bytecode(account.code_hash)?.unwrap_or_default();
        if code != want.code {
            return Ok(Some(format!("account {address}: code differs")));
        }
        let mut actual_storage = BTreeMap::new();
        for (key, value) in db.scan_prefix(Table::Storage, address.as_slice())? {
            let slot = U256::from_be_slice(&key[20..]);
            let value = U256::from_be_slice(&value);
            actual_storage.insert(slot, value);
        }
        let want_storage: BTreeMap<U256, U256> =
            want.storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (*k, *v)).collect();
        if actual_storage != want_storage {
            let diff = want_storage
                .iter()
                .find(|(k, v)| actual_storage.get(k) != Some(v))
                .map(|(k, v)| {
                    format!("slot {k:#x}: expected {v:#x}, got {:?}", actual_storage.get(k))
                })
                .or_else(|| {
                    actual_storage
                        .iter()
                        .find(|(k, _)| !want_storage.contains_key(k))
                        .map(|(k, v)| format!("unexpected slot {k:#x} = {v:#x}"))
                })
                .unwrap_or_default();
            return Ok(Some(format!("account {address}: storage differs ({diff})")));
        }
    }
    Ok(None)
}
