//! Real OP Sepolia blocks re-executed statelessly (`shared/conformance/op/README.md` §1).
//!
//! For each file: the OP chain spec is built from `rollupConfig`; the parent state is a
//! [`WitnessState`] over the `preimages`, rooted at `parentHeader.stateRoot`, with the parent's
//! hash as the only `BLOCKHASH` answer; the block is assembled from `payloadAttributes` by the
//! node's own builder steps (`block_template`, then `seal_template` after execution), executed by
//! the node's executor with OP rules, and its state root computed by the node's trie code
//! (the witness seeds a scratch RocksDB with the nodes the block's changes need). The block hash
//! must equal `expectedBlockHash`.
//!
//! On a mismatch the runner names the header fields that differ when another file in the run
//! holds the expected header (as its `parentHeader`); otherwise it prints the computed ones.

use crate::blockchain::{Summary, Verdict};
use alloy_consensus::Header;
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes};
use eyre::{Context, OptionExt, bail, eyre};
use phala_chain::{BlockAttributes, block_template, seal_template, validation};
use phala_evm::BlockExecutor;
use phala_primitives::{ChainSpec, PhalaTxEnvelope};
use phala_protocol::rollup::RollupConfig;
use phala_storage::{Database, StateWriter, WitnessState};
use serde::Deserialize;
use serde_json::{Value, json};
use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

/// One execution fixture.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fixture {
    rollup_config: Value,
    parent_header: Header,
    payload_attributes: PayloadAttributes,
    expected_block_hash: B256,
    preimages: BTreeMap<B256, Bytes>,
}

/// The Engine API's `OpPayloadAttributes`, as the fixtures carry them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayloadAttributes {
    #[serde(with = "alloy_serde::quantity")]
    timestamp: u64,
    prev_randao: B256,
    suggested_fee_recipient: Address,
    parent_beacon_block_root: Option<B256>,
    #[serde(default)]
    transactions: Vec<Bytes>,
    #[serde(default, with = "alloy_serde::quantity::opt")]
    gas_limit: Option<u64>,
    #[serde(default)]
    eip1559_params: Option<alloy_primitives::B64>,
    #[serde(default, with = "alloy_serde::quantity::opt")]
    min_base_fee: Option<u64>,
    #[serde(default)]
    no_tx_pool: Option<bool>,
    #[serde(default)]
    withdrawals: Option<Vec<alloy_eips::eip4895::Withdrawal>>,
}

/// Runs every fixture below `paths` and prints a line per block; the caller prints the summary.
pub(crate) fn run(paths: &[PathBuf]) -> eyre::Result<Summary> {
    let mut files = Vec::new();
    for path in paths {
        crate::blockchain::collect_json(path, &mut files)
            .wrap_err_with(|| format!("cannot read fixtures at {}", path.display()))?;
    }
    files.sort();
    let mut fixtures = Vec::new();
    for file in &files {
        let label = file
            .file_name()
            .map_or_else(|| file.display().to_string(), |name| name.to_string_lossy().into_owned());
        let fixture = std::fs::read(file)
            .map_err(eyre::Report::from)
            .and_then(|bytes| serde_json::from_slice::<Fixture>(&bytes).map_err(Into::into));
        fixtures.push((label, fixture));
    }
    // Headers the run knows by hash: each fixture's parent.
    let known: BTreeMap<B256, Header> = fixtures
        .iter()
        .filter_map(|(_, fixture)| fixture.as_ref().ok())
        .map(|fixture| (fixture.parent_header.hash_slow(), fixture.parent_header.clone()))
        .collect();
    let mut summary = Summary::default();
    for (label, fixture) in fixtures {
        let verdict = match fixture.and_then(|fixture| run_fixture(&fixture, &known)) {
            Ok(()) => Verdict::Pass,
            Err(err) => Verdict::Fail(format!("{err:#}")),
        };
        summary.record(label, verdict);
    }
    summary.print_failures("failed blocks");
    Ok(summary)
}

fn run_fixture(fixture: &Fixture, known: &BTreeMap<B256, Header>) -> eyre::Result<()> {
    let spec = Arc::new(op_chain_spec(&fixture.rollup_config)?);
    let parent = &fixture.parent_header;
    let parent_hash = parent.hash_slow();
    let attributes = block_attributes(&fixture.payload_attributes)?;
    let mut block = block_template(&spec, parent_hash, parent, &attributes, Vec::new())
        .map_err(|err| eyre!("assembling the block: {err}"))?;

    let witness = WitnessState::new(parent.state_root, fixture.preimages.clone())
        .map_err(|err| eyre!("preimages: {err}"))?
        .with_block_hash(parent.number, parent_hash);
    let executor = BlockExecutor::new(spec.clone());
    let senders = executor.recover_senders(&block)?;
    let outcome = executor.execute(&witness, &block, &senders)?;

    // The post-state root through the node's own trie code, on a scratch database that the
    // witness seeds with exactly the nodes these changes touch.
    let dir = tempfile::tempdir()?;
    let db = Database::open(dir.path())?;
    let mut writes = db.write_set();
    witness.seed(&mut writes, &outcome.changes).map_err(|err| eyre!("seeding the trie: {err}"))?;
    let state_root =
        StateWriter::new(&mut writes).apply_state_changes(block.header.number, &outcome.changes)?;
    let message_passer_root = validation::message_passer_root(&spec, &block.header, &writes)?;
    seal_template(&spec, &mut block, &outcome, state_root, message_passer_root);

    let hash = block.header.hash_slow();
    if hash == fixture.expected_block_hash {
        return Ok(());
    }
    let differences = match known.get(&fixture.expected_block_hash) {
        Some(expected) => header_differences(&block.header, expected),
        None => format!(
            "(expected header not in this run) computed stateRoot {} receiptsRoot {} \
             transactionsRoot {} gasUsed {} extraData {} baseFee {:?}",
            block.header.state_root,
            block.header.receipts_root,
            block.header.transactions_root,
            block.header.gas_used,
            block.header.extra_data,
            block.header.base_fee_per_gas
        ),
    };
    bail!("block hash {hash} is not the expected {}: {differences}", fixture.expected_block_hash)
}

/// The fields of `computed` that differ from `expected`.
fn header_differences(computed: &Header, expected: &Header) -> String {
    let mut out = Vec::new();
    macro_rules! compare {
        ($($name:literal => $field:ident),+ $(,)?) => {$(
            if computed.$field != expected.$field {
                out.push(format!(
                    "{} {:?} (expected {:?})", $name, computed.$field, expected.$field
                ));
            }
        )+};
    }
    compare!(
        "stateRoot" => state_root,
        "receiptsRoot" => receipts_root,
        "transactionsRoot" => transactions_root,
        "gasUsed" => gas_used,
        "logsBloom" => logs_bloom,
        "extraData" => extra_data,
        "baseFee" => base_fee_per_gas,
        "withdrawalsRoot" => withdrawals_root,
        "blobGasUsed" => blob_gas_used,
        "excessBlobGas" => excess_blob_gas,
        "requestsHash" => requests_hash,
        "gasLimit" => gas_limit,
        "parentBeaconBlockRoot" => parent_beacon_block_root,
    );
    if out.is_empty() { "no listed field differs".to_string() } else { out.join(", ") }
}

fn block_attributes(attributes: &PayloadAttributes) -> eyre::Result<BlockAttributes> {
    let transactions = attributes
        .transactions
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            PhalaTxEnvelope::decode_2718(&mut raw.as_ref())
                .map_err(|err| eyre!("payload transaction {index}: {err}"))
        })
        .collect::<eyre::Result<Vec<_>>>()?;
    Ok(BlockAttributes {
        timestamp: attributes.timestamp,
        beneficiary: attributes.suggested_fee_recipient,
        gas_limit: attributes.gas_limit,
        prev_randao: attributes.prev_randao,
        parent_beacon_block_root: attributes.parent_beacon_block_root,
        extra_data: Bytes::new(),
        withdrawals: attributes.withdrawals.clone().unwrap_or_default(),
        transactions,
        // The fixtures are derived blocks: their transactions are all there is.
        no_tx_pool: attributes.no_tx_pool.unwrap_or(true),
        eip1559_params: attributes.eip1559_params.map(|params| params.0),
        min_base_fee: attributes.min_base_fee,
    })
}

/// The OP chain spec of a rollup config (the fixtures carry kona's variant of op-node's
/// `rollup.json`): every Ethereum fork before the merge at genesis, the OP forks at their times
/// (each implies its Ethereum fork) and `chain_op_config`'s EIP-1559 parameters.
fn op_chain_spec(rollup: &Value) -> eyre::Result<ChainSpec> {
    let rollup: RollupConfig =
        serde_json::from_value(rollup.clone()).wrap_err("rollupConfig is not a rollup config")?;
    let mut config = json!({
        "chainId": rollup.l2_chain_id,
        "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
        "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
        "istanbulBlock": 0, "muirGlacierBlock": 0, "berlinBlock": 0, "londonBlock": 0,
        "arrowGlacierBlock": 0, "grayGlacierBlock": 0, "mergeNetsplitBlock": 0,
        "terminalTotalDifficulty": 0,
    });
    let object = config.as_object_mut().ok_or_eyre("config object")?;
    for (key, time) in rollup.genesis_fork_keys() {
        object.insert(key.into(), json!(time));
    }
    let op = rollup.chain_op_config.ok_or_eyre("rollupConfig.chain_op_config is missing")?;
    object.insert("optimism".into(), serde_json::to_value(op)?);
    let genesis = json!({
        "config": config,
        "gasLimit": format!("{:#x}", rollup.genesis.system_config.gas_limit),
        "difficulty": "0x0",
        "timestamp": format!("{:#x}", rollup.genesis.l2_time),
        "alloc": {},
    });
    let genesis = serde_json::from_value(genesis).wrap_err("building the genesis config")?;
    ChainSpec::from_genesis(genesis).map_err(|err| eyre!("chain spec: {err}"))
}
