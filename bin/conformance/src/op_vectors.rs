//! The OP Stack protocol vectors (`shared/conformance/op/README.md` §3), computed with
//! phala-protocol, the code the executor and RPC use.
//!
//! Every `.json` file is recognised by its sections:
//! - L1-fee files (`vectors`, `l1InfoParseVectors`, `syntheticVectors`): for each vector the
//!   L1-info deposit is decoded and rebuilt (its calldata and transaction must come out byte for
//!   byte, with every decoded field), the fee parameters are compared as op-revm sees them, and
//!   the user transaction's `l1GasUsed`, `l1Fee` and receipt fields are computed under the
//!   vector's fork. Synthetic vectors state op-revm `L1BlockInfo` fields directly; they are run
//!   through the same fee functions.
//! - Protocol files (`depositSourceHashes`, `l1InfoEncoding`, `withdrawalHash`): source hashes
//!   and domains, selectors, lengths, deposit gas and the depositor, the asserted behaviours
//!   phala-protocol implements, and the withdrawal hash from its inputs and from the
//!   `MessagePassed` log.
//! - Receipts (`logs`): each `MessagePassed` log of the message passer is decoded and its stated
//!   withdrawal hash recomputed.
//!
//! A case fails with every field that differs (expected vs got), and on any expected field or
//! section it has no check for.

use crate::blockchain::{Summary, Verdict};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bytes, Log, LogData, U256, hex, keccak256};
use eyre::{Context, OptionExt, bail, eyre};
use op_alloy_consensus::TxDeposit;
use phala_protocol::{
    AfterForceIncludeSource, L1_INFO_DEPOSIT_GAS, L1_INFO_DEPOSITOR, L1BlockInfo,
    L1InfoDepositSource, L1InfoFormat, L2_TO_L1_MESSAGE_PASSER_ADDRESS, MESSAGE_PASSED_TOPIC,
    OpSpecId, ProtocolError, UpgradeDepositSource, UserDepositSource, Withdrawal,
    deposit::{DepositSourceDomainIdentifier, InteropBlockReplacementDepositSource},
    op_revm,
};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Runs every vector file at `path` (a file or a folder) and prints a line per case; the caller
/// prints the summary.
pub(crate) fn run(path: &Path) -> eyre::Result<Summary> {
    let files = vector_files(path)?;
    let mut summary = Summary::default();
    for file in files {
        let name = file
            .file_name()
            .map_or_else(|| file.display().to_string(), |name| name.to_string_lossy().into_owned());
        for (case, verdict) in run_file(&file) {
            summary.record(format!("{name}::{case}"), verdict);
        }
    }
    summary.print_failures("failed cases");
    Ok(summary)
}

fn vector_files(path: &Path) -> eyre::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        if !path.is_file() {
            bail!("{}: no such file or directory", path.display());
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).wrap_err_with(|| format!("reading {}", path.display()))? {
        let file = entry?.path();
        if file.extension().is_some_and(|ext| ext == "json") {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("no .json vector files in {}", path.display());
    }
    Ok(files)
}

type Cases = Vec<(String, Verdict)>;

fn run_file(file: &Path) -> Cases {
    let value: Value = match std::fs::read(file)
        .map_err(eyre::Report::from)
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(eyre::Report::from))
    {
        Ok(value) => value,
        Err(err) => return vec![("<file>".into(), Verdict::Fail(format!("unreadable: {err}")))],
    };
    let Some(top) = value.as_object() else {
        return vec![("<file>".into(), Verdict::Fail("not a JSON object".into()))];
    };
    let mut cases = Cases::new();
    if top.contains_key("logs") {
        receipt_file(top, &mut cases);
        return cases;
    }
    for (key, section) in top {
        match key.as_str() {
            "description"
            | "license"
            | "licenses"
            | "source"
            | "note"
            | "independentRecomputation" => {}
            "vectors" => each(section, key, &mut cases, l1_fee_vector),
            "l1InfoParseVectors" => each(section, key, &mut cases, l1_info_parse_vector),
            "syntheticVectors" => synthetic_vectors(section, &mut cases),
            "depositSourceHashes" => deposit_source_hashes(section, &mut cases),
            "l1InfoEncoding" => l1_info_encoding(section, &mut cases),
            "withdrawalHash" => withdrawal_hash(section, &mut cases),
            _ => cases.push((key.clone(), Verdict::Fail("no runner for this section".into()))),
        }
    }
    if cases.is_empty() {
        cases.push(("<file>".into(), Verdict::Fail("no vector sections found".into())));
    }
    cases
}

/// Runs `check` on every element of the array `section`, naming cases `<key>/<name>`
/// (`vectors` cases by their name alone).
fn each(
    section: &Value,
    key: &str,
    cases: &mut Cases,
    check: impl Fn(&Map<String, Value>) -> eyre::Result<Verdict>,
) {
    let Some(items) = section.as_array() else {
        cases.push((key.into(), Verdict::Fail("not an array".into())));
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let name = item.get("name").or_else(|| item.get("test")).and_then(Value::as_str);
        let name = name.map_or_else(|| format!("[{index}]"), str::to_string);
        let label = if key == "vectors" { name } else { format!("{key}/{name}") };
        let verdict = item.as_object().ok_or_eyre("not an object").and_then(&check);
        cases.push((label, verdict.unwrap_or_else(|err| Verdict::Fail(format!("{err:#}")))));
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison

/// A computed value, compared with a fixture value of the matching JSON shape.
#[derive(Debug, Clone, PartialEq)]
enum Got {
    /// An integer, or `None` where the fixture must say `null`.
    Num(Option<U256>),
    /// Bytes of any length (hashes, addresses, selectors, calldata).
    Hex(Bytes),
    Str(String),
    Bool(bool),
    /// op-geth's decimal `l1FeeScalar` (the raw scalar / 1e6), or `None` for `null`.
    Decimal(Option<String>),
}

impl Got {
    const fn num(value: U256) -> Self {
        Self::Num(Some(value))
    }

    const fn opt(value: Option<U256>) -> Self {
        Self::Num(value)
    }

    fn hex(value: impl AsRef<[u8]>) -> Self {
        Self::Hex(Bytes::copy_from_slice(value.as_ref()))
    }
}

/// Differences between a fixture object and what was computed, as `field: expected X, got Y`.
#[derive(Default)]
struct Diff {
    lines: Vec<String>,
}

impl Diff {
    /// Compares every key of `expected` except `ignore` with `computed(key)`; a key without a
    /// computed value is a failure, never silently passed.
    fn object(
        &mut self,
        prefix: &str,
        expected: &Value,
        ignore: &[&str],
        computed: impl Fn(&str) -> Option<Got>,
    ) {
        let Some(expected) = expected.as_object() else {
            self.lines.push(format!("{prefix}: not an object"));
            return;
        };
        for (key, want) in expected {
            if ignore.contains(&key.as_str()) {
                continue;
            }
            let field = format!("{prefix}.{key}");
            match computed(key) {
                Some(got) => self.value(&field, want, &got),
                None => self.lines.push(format!("{field}: no check for this field")),
            }
        }
    }

    fn value(&mut self, field: &str, want: &Value, got: &Got) {
        match matches(want, got) {
            Ok(true) => {}
            Ok(false) => {
                let want = want.as_str().map_or_else(|| want.to_string(), str::to_string);
                self.lines.push(format!("{field}: expected {want}, got {}", show(got)));
            }
            Err(err) => self.lines.push(format!("{field}: unreadable expected value: {err:#}")),
        }
    }

    fn check(&mut self, field: &str, ok: bool, detail: impl FnOnce() -> String) {
        if !ok {
            self.lines.push(format!("{field}: {}", detail()));
        }
    }

    fn verdict(self) -> Verdict {
        if self.lines.is_empty() { Verdict::Pass } else { Verdict::Fail(self.lines.join("; ")) }
    }
}

fn matches(want: &Value, got: &Got) -> eyre::Result<bool> {
    Ok(match got {
        Got::Num(got) => (!want.is_null()).then(|| integer(want)).transpose()? == *got,
        Got::Hex(got) => hex_bytes(want)? == *got,
        Got::Str(got) => want.as_str().ok_or_eyre("not a string")? == got,
        Got::Bool(got) => want.as_bool().ok_or_eyre("not a boolean")? == *got,
        Got::Decimal(got) => {
            let want = match want {
                Value::Null => None,
                Value::Number(number) => Some(trim_decimal(&number.to_string())),
                Value::String(text) => Some(trim_decimal(text)),
                _ => bail!("not a number"),
            };
            want == *got
        }
    })
}

fn show(got: &Got) -> String {
    match got {
        Got::Num(None) | Got::Decimal(None) => "null".into(),
        Got::Num(Some(value)) => value.to_string(),
        Got::Decimal(Some(text)) => text.clone(),
        Got::Hex(bytes) => bytes.to_string(),
        Got::Str(text) => format!("{text:?}"),
        Got::Bool(value) => value.to_string(),
    }
}

/// A fixture integer: a JSON number (exact only up to `u64`) or a decimal or `0x` string.
fn integer(value: &Value) -> eyre::Result<U256> {
    match value {
        Value::Number(number) => number
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| eyre!("{number} is not an exact non-negative integer")),
        Value::String(text) => text.parse::<U256>().wrap_err_with(|| format!("{text:?}")),
        other => bail!("{other} is not an integer"),
    }
}

fn hex_bytes(value: &Value) -> eyre::Result<Bytes> {
    let text = value.as_str().ok_or_else(|| eyre!("{value} is not a hex string"))?;
    Ok(hex::decode(text).wrap_err_with(|| format!("{text:?} is not hex"))?.into())
}

fn field<'a>(object: &'a Map<String, Value>, key: &str) -> eyre::Result<&'a Value> {
    object.get(key).ok_or_else(|| eyre!("missing `{key}`"))
}

fn b256(value: &Value) -> eyre::Result<B256> {
    let bytes = hex_bytes(value)?;
    B256::try_from(bytes.as_ref()).map_err(|_| eyre!("{value} is not 32 bytes"))
}

fn address(value: &Value) -> eyre::Result<Address> {
    let bytes = hex_bytes(value)?;
    Address::try_from(bytes.as_ref()).map_err(|_| eyre!("{value} is not 20 bytes"))
}

fn u64_of(value: &Value) -> eyre::Result<u64> {
    integer(value)?.try_into().map_err(|_| eyre!("{value} does not fit in u64"))
}

/// `scalar / 1e6` as op-geth prints `l1FeeScalar`, without trailing zeros.
fn scalar_decimal(scalar: U256) -> String {
    let million = U256::from(1_000_000);
    let fraction: u64 = (scalar % million).to();
    trim_decimal(&format!("{}.{fraction:06}", scalar / million))
}

fn trim_decimal(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

/// An OP fork by the vectors' names (`"ecotone"`, `"fjord-formula (…)"`): the leading word.
fn fork(name: &str) -> Option<OpSpecId> {
    let word: String = name.chars().take_while(char::is_ascii_alphabetic).collect();
    Some(match word.to_ascii_lowercase().as_str() {
        "bedrock" => OpSpecId::BEDROCK,
        "regolith" => OpSpecId::REGOLITH,
        // Delta changed derivation only; execution is Canyon's.
        "canyon" | "delta" => OpSpecId::CANYON,
        "ecotone" => OpSpecId::ECOTONE,
        "fjord" => OpSpecId::FJORD,
        "granite" => OpSpecId::GRANITE,
        "holocene" => OpSpecId::HOLOCENE,
        "isthmus" => OpSpecId::ISTHMUS,
        "jovian" => OpSpecId::JOVIAN,
        _ => return None,
    })
}

fn format_named(name: &str) -> Option<L1InfoFormat> {
    L1InfoFormat::ALL.into_iter().find(|format| format.name() == name)
}

/// The first fork whose L1-info deposits use `format`.
const fn first_fork_of(format: L1InfoFormat) -> OpSpecId {
    match format {
        L1InfoFormat::Bedrock => OpSpecId::BEDROCK,
        L1InfoFormat::Ecotone => OpSpecId::ECOTONE,
        L1InfoFormat::Isthmus => OpSpecId::ISTHMUS,
        L1InfoFormat::Jovian => OpSpecId::JOVIAN,
    }
}

// ---------------------------------------------------------------------------------------------
// l1-fee.json

/// Keys of a vector that state nothing to check.
const INFORMATIONAL: &[&str] =
    &["name", "chain", "hardfork", "l2Block", "l2Timestamp", "l2TimestampNote", "formula", "note"];

fn l1_fee_vector(vector: &Map<String, Value>) -> eyre::Result<Verdict> {
    let hardfork = field(vector, "hardfork")?.as_str().ok_or_eyre("`hardfork` is not a string")?;
    let Some(spec) = fork(hardfork) else {
        return Ok(Verdict::Skip(format!(
            "fork {hardfork:?} is not an OP fork phala-protocol knows"
        )));
    };
    let mut diff = Diff::default();
    let mut l1_block = None;
    for (key, section) in vector {
        match key.as_str() {
            key if INFORMATIONAL.contains(&key) => {}
            "l1InfoDepositTx" => {
                let section = section.as_object().ok_or_eyre("`l1InfoDepositTx` not an object")?;
                let info = l1_info_deposit(section, spec, &mut diff)?;
                unchecked_keys(section, "l1InfoDepositTx.", &[], &mut diff);
                l1_block = Some(info.to_op_revm(spec));
            }
            // Compared below, once the L1-info deposit is decoded.
            "l1BlockInfo" | "userTx" | "expected" | "expectedReceiptFields" => {}
            other => diff.lines.push(format!("{other}: no check for this section")),
        }
    }
    let l1_block = l1_block.ok_or_eyre("missing `l1InfoDepositTx`")?;
    if let Some(expected) = vector.get("l1BlockInfo") {
        diff.object("l1BlockInfo", expected, &["source"], |key| op_revm_field(&l1_block, key));
    }
    let user_tx = field(vector, "userTx")?.as_object().ok_or_eyre("`userTx` not an object")?;
    let raw = hex_bytes(field(user_tx, "raw")?)?;
    for key in ["txHash", "sourceTxHashCited"] {
        if let Some(hash) = user_tx.get(key) {
            diff.value(&format!("userTx.{key}"), hash, &Got::hex(keccak256(&raw)));
        }
    }
    let fields = phala_protocol::l1_fee_receipt_fields(&l1_block, &raw, spec);
    if fields.is_none() {
        diff.lines.push("userTx: a deposit, which has no L1 fee fields".into());
    }
    if let Some(expected) = vector.get("expected") {
        diff.object("expected", expected, &["source"], |key| {
            let fields = fields.as_ref()?;
            match key {
                "l1GasUsed" => Some(Got::num(fields.l1_gas_used)),
                "l1Fee" => Some(Got::num(fields.l1_fee)),
                "l1FeeHex" => Some(Got::num(fields.l1_fee)),
                _ => None,
            }
        });
    }
    if let Some(expected) = vector.get("expectedReceiptFields") {
        diff.object("expectedReceiptFields", expected, &["source"], |key| {
            receipt_field(fields.as_ref()?, key)
        });
    }
    Ok(diff.verdict())
}

/// Decodes an L1-info deposit (`raw`, or bare `calldata`), rebuilds it, and compares the
/// `decoded` transaction fields and the `decodedL1Info` fields; returns the decoded info.
fn l1_info_deposit(
    section: &Map<String, Value>,
    spec: OpSpecId,
    diff: &mut Diff,
) -> eyre::Result<L1BlockInfo> {
    let (calldata, raw) = deposit_calldata(section)?;
    let format = L1InfoFormat::of_calldata(&calldata)?;
    let info = L1BlockInfo::decode(&calldata)?;
    diff.check("calldata", info.encode(format) == calldata, || {
        format!("re-encoded as {}", info.encode(format))
    });
    let tx = info.deposit_tx(format, spec);
    if let Some(raw) = &raw {
        let ours = Bytes::from(tx.encoded_2718());
        diff.check("raw", ours == *raw, || format!("rebuilt deposit is {ours}"));
    }
    if let Some(hash) = section.get("sourceTxHashCited") {
        diff.value("sourceTxHashCited", hash, &Got::hex(tx.tx_hash()));
    }
    if let Some(decoded) = section.get("decoded") {
        diff.object("decoded", decoded, &[], |key| deposit_field(&tx, key));
    }
    if let Some(decoded) = section.get("decodedL1Info") {
        diff.object("decodedL1Info", decoded, &[], |key| l1_info_field(&info, format, key));
    }
    Ok(info)
}

/// The keys [`l1_info_deposit`] reads (or that state nothing to check).
const DEPOSIT_KEYS: &[&str] =
    &["raw", "calldata", "txIndex", "source", "sourceTxHashCited", "decoded", "decodedL1Info"];

/// Fails every key of `section` that is neither a deposit key nor in `others`.
fn unchecked_keys(section: &Map<String, Value>, prefix: &str, others: &[&str], diff: &mut Diff) {
    for key in section.keys() {
        if !DEPOSIT_KEYS.contains(&key.as_str()) && !others.contains(&key.as_str()) {
            diff.lines.push(format!("{prefix}{key}: no check for this field"));
        }
    }
}

/// The L1-info calldata of a section's `raw` deposit transaction or bare `calldata`, and the raw
/// transaction.
fn deposit_calldata(section: &Map<String, Value>) -> eyre::Result<(Bytes, Option<Bytes>)> {
    match section.get("raw") {
        Some(raw) => {
            let raw = hex_bytes(raw)?;
            let tx = TxDeposit::decode_2718(&mut raw.as_ref())
                .map_err(|err| eyre!("`raw` is not a deposit transaction: {err}"))?;
            Ok((tx.input, Some(raw)))
        }
        None => Ok((hex_bytes(field(section, "calldata")?)?, None)),
    }
}

fn deposit_field(tx: &TxDeposit, key: &str) -> Option<Got> {
    Some(match key {
        "sourceHash" => Got::hex(tx.source_hash),
        "from" => Got::hex(tx.from),
        "to" => tx.to.to().map_or(Got::Num(None), Got::hex),
        "mint" => Got::num(U256::from(tx.mint)),
        "value" => Got::num(tx.value),
        "gas" => Got::num(U256::from(tx.gas_limit)),
        "isSystemTx" => Got::Bool(tx.is_system_transaction),
        "data" => Got::Hex(tx.input.clone()),
        "txHash" => Got::hex(tx.tx_hash()),
        _ => return None,
    })
}

/// A decoded L1-info field by the vectors' names; fields the format does not carry are `None`.
fn l1_info_field(info: &L1BlockInfo, format: L1InfoFormat, key: &str) -> Option<Got> {
    let bedrock = format == L1InfoFormat::Bedrock;
    let isthmus = matches!(format, L1InfoFormat::Isthmus | L1InfoFormat::Jovian);
    let only = |carried: bool, value: U256| Got::Num(carried.then_some(value));
    Some(match key {
        "selector" => Got::hex(format.selector()),
        "format" => Got::Str(format.name().into()),
        "len" => Got::num(U256::from(format.calldata_len())),
        "number" => Got::num(U256::from(info.number)),
        "timestamp" => Got::num(U256::from(info.timestamp)),
        "baseFee" => Got::num(info.base_fee),
        "blockHash" => Got::hex(info.block_hash),
        "sequenceNumber" => Got::num(U256::from(info.sequence_number)),
        "batcherHash" => Got::hex(info.batcher_hash),
        "l1FeeOverhead" => only(bedrock, info.l1_fee_overhead),
        "l1FeeScalar" => only(bedrock, info.l1_fee_scalar),
        "blobBaseFee" => only(!bedrock, info.blob_base_fee),
        "baseFeeScalar" => only(!bedrock, U256::from(info.base_fee_scalar)),
        "blobBaseFeeScalar" => only(!bedrock, U256::from(info.blob_base_fee_scalar)),
        "operatorFeeScalar" => only(isthmus, U256::from(info.operator_fee_scalar)),
        "operatorFeeConstant" => only(isthmus, U256::from(info.operator_fee_constant)),
        "daFootprintGasScalar" => {
            only(format == L1InfoFormat::Jovian, U256::from(info.da_footprint_gas_scalar))
        }
        _ => return None,
    })
}

/// A field of op-revm's `L1BlockInfo` by the vectors' names.
fn op_revm_field(l1_block: &op_revm::L1BlockInfo, key: &str) -> Option<Got> {
    Some(match key {
        "l1BaseFee" => Got::num(l1_block.l1_base_fee),
        "l1FeeOverhead" => Got::opt(l1_block.l1_fee_overhead),
        "l1BaseFeeScalar" => Got::num(l1_block.l1_base_fee_scalar),
        "l1BlobBaseFee" => Got::opt(l1_block.l1_blob_base_fee),
        "l1BlobBaseFeeScalar" => Got::opt(l1_block.l1_blob_base_fee_scalar),
        "operatorFeeScalar" => Got::opt(l1_block.operator_fee_scalar),
        "operatorFeeConstant" => Got::opt(l1_block.operator_fee_constant),
        "daFootprintGasScalar" => Got::opt(l1_block.da_footprint_gas_scalar.map(U256::from)),
        _ => return None,
    })
}

fn receipt_field(fields: &phala_protocol::L1FeeReceiptFields, key: &str) -> Option<Got> {
    Some(match key {
        "l1GasPrice" => Got::num(fields.l1_gas_price),
        "l1GasUsed" => Got::num(fields.l1_gas_used),
        "l1Fee" => Got::num(fields.l1_fee),
        "l1FeeScalar" => Got::Decimal(fields.l1_fee_scalar.map(scalar_decimal)),
        "l1BaseFeeScalar" => Got::opt(fields.l1_base_fee_scalar),
        "l1BlobBaseFee" => Got::opt(fields.l1_blob_base_fee),
        "l1BlobBaseFeeScalar" => Got::opt(fields.l1_blob_base_fee_scalar),
        "operatorFeeScalar" => Got::opt(fields.operator_fee_scalar),
        "operatorFeeConstant" => Got::opt(fields.operator_fee_constant),
        "daFootprintGasScalar" => Got::opt(fields.da_footprint_gas_scalar.map(U256::from)),
        "blobGasUsed" => Got::opt(fields.da_footprint_gas.map(U256::from)),
        // Only deposit receipts have these, and these fields exist only for other transactions.
        "depositNonce" | "depositReceiptVersion" => Got::Num(None),
        _ => return None,
    })
}

fn l1_info_parse_vector(vector: &Map<String, Value>) -> eyre::Result<Verdict> {
    let format = L1InfoFormat::of_calldata(&deposit_calldata(vector)?.0)?;
    // Without a named fork, the first fork of the calldata's format (the Bedrock format's
    // deposits before Regolith were system transactions with 150M gas).
    let spec = match vector.get("hardfork").and_then(Value::as_str) {
        Some(name) => fork(name).ok_or_else(|| eyre!("unknown fork {name:?}"))?,
        None => first_fork_of(format),
    };
    let mut diff = Diff::default();
    let info = l1_info_deposit(vector, spec, &mut diff)?;
    unchecked_keys(vector, "", &["name", "hardfork", "expected"], &mut diff);
    if let Some(expected) = vector.get("expected") {
        let l1_block = info.to_op_revm(spec);
        diff.object("expected", expected, &["source"], |key| op_revm_field(&l1_block, key));
    }
    Ok(diff.verdict())
}

fn synthetic_vectors(section: &Value, cases: &mut Cases) {
    let Some(vectors) = section.as_array() else {
        cases.push(("syntheticVectors".into(), Verdict::Fail("not an array".into())));
        return;
    };
    for (index, vector) in vectors.iter().enumerate() {
        let name = vector.get("name").and_then(Value::as_str).map_or_else(
            || format!("syntheticVectors/[{index}]"),
            |name| format!("syntheticVectors/{name}"),
        );
        match synthetic_vector(vector) {
            Ok(results) => {
                cases.extend(results.into_iter().map(|(case, v)| (format!("{name}{case}"), v)))
            }
            Err(err) => cases.push((name, Verdict::Fail(format!("{err:#}")))),
        }
    }
}

/// A synthetic vector: `expected` data gas per fork for its `input`, or `cases` of L1 costs.
fn synthetic_vector(vector: &Value) -> eyre::Result<Cases> {
    let vector = vector.as_object().ok_or_eyre("not an object")?;
    let l1_block = op_revm_l1_block(field(vector, "l1BlockInfo")?)?;
    let mut cases = Cases::new();
    for (key, value) in vector {
        match key.as_str() {
            "name" | "source" | "l1BlockInfo" | "input" => {}
            "expected" => {
                let input = hex_bytes(field(vector, "input")?)?;
                let expected = value.as_object().ok_or_eyre("`expected` not an object")?;
                for (spec_name, want) in expected {
                    let verdict = match fork(spec_name) {
                        Some(spec) => {
                            let mut diff = Diff::default();
                            let got = Got::num(phala_protocol::l1_data_gas(&input, spec));
                            diff.value("dataGas", want, &got);
                            diff.verdict()
                        }
                        None => Verdict::Fail(format!("unknown fork {spec_name:?}")),
                    };
                    cases.push((format!("/{spec_name}"), verdict));
                }
            }
            "cases" => {
                let items = value.as_array().ok_or_eyre("`cases` not an array")?;
                for (index, case) in items.iter().enumerate() {
                    let verdict = synthetic_cost_case(&l1_block, case)
                        .unwrap_or_else(|err| Verdict::Fail(format!("{err:#}")));
                    cases.push((format!("[{index}]"), verdict));
                }
            }
            other => {
                cases.push((format!("/{other}"), Verdict::Fail("no check for this key".into())))
            }
        }
    }
    Ok(cases)
}

/// op-revm's `L1BlockInfo` from a synthetic vector's fields (op-revm unit-test style).
fn op_revm_l1_block(value: &Value) -> eyre::Result<op_revm::L1BlockInfo> {
    let fields = value.as_object().ok_or_eyre("`l1BlockInfo` not an object")?;
    let mut l1_block = op_revm::L1BlockInfo::default();
    for (key, value) in fields {
        let value = integer(value).wrap_err_with(|| format!("l1BlockInfo.{key}"))?;
        match key.as_str() {
            "l1BaseFee" => l1_block.l1_base_fee = value,
            "l1FeeOverhead" => l1_block.l1_fee_overhead = Some(value),
            "l1BaseFeeScalar" => l1_block.l1_base_fee_scalar = value,
            "l1BlobBaseFee" => l1_block.l1_blob_base_fee = Some(value),
            "l1BlobBaseFeeScalar" => l1_block.l1_blob_base_fee_scalar = Some(value),
            other => bail!("l1BlockInfo.{other}: unknown op-revm field"),
        }
    }
    Ok(l1_block)
}

fn synthetic_cost_case(l1_block: &op_revm::L1BlockInfo, case: &Value) -> eyre::Result<Verdict> {
    let case = case.as_object().ok_or_eyre("not an object")?;
    let input = hex_bytes(field(case, "input")?)?;
    let spec_name = field(case, "spec")?.as_str().ok_or_eyre("`spec` not a string")?;
    let spec = fork(spec_name).ok_or_else(|| eyre!("unknown fork {spec_name:?}"))?;
    let mut l1_block = l1_block.clone();
    let mut diff = Diff::default();
    for (key, value) in case {
        match key.as_str() {
            "input" | "spec" | "note" => {}
            "emptyEcotoneScalars" => {
                l1_block.empty_ecotone_scalars = value.as_bool().ok_or_eyre("not a boolean")?
            }
            "expectedL1Cost" => {
                // Computed after every flag is applied.
            }
            "fastLzSize" => {
                // op-revm keeps its FastLZ length private: check the size through the estimate
                // it enters (Fjord: max(100e6, 836500 · fastLzSize − 42585600)).
                let size = u64_of(value)?;
                let implied =
                    size.saturating_mul(836_500).saturating_sub(42_585_600).max(100_000_000);
                let estimate = phala_protocol::estimated_compressed_size(&input);
                diff.check(key, implied == estimate, || {
                    format!(
                        "expected {size} (an estimate of {implied}), got an estimate of {estimate}"
                    )
                });
            }
            "estimatedSizeScaled" => {
                let got = phala_protocol::estimated_compressed_size(&input);
                diff.value(key, value, &Got::num(U256::from(got)));
            }
            other => diff.lines.push(format!("{other}: no check for this field")),
        }
    }
    let want = field(case, "expectedL1Cost")?;
    diff.value("l1Cost", want, &Got::num(phala_protocol::l1_data_fee(&l1_block, &input, spec)));
    Ok(diff.verdict())
}

// ---------------------------------------------------------------------------------------------
// protocol.json

fn deposit_source_hashes(section: &Value, cases: &mut Cases) {
    let Some(vectors) = section.get("vectors") else {
        cases.push(("depositSourceHashes".into(), Verdict::Fail("missing `vectors`".into())));
        return;
    };
    each(vectors, "depositSourceHashes", cases, deposit_source_hash);
}

fn deposit_source_hash(vector: &Map<String, Value>) -> eyre::Result<Verdict> {
    let kind = field(vector, "kind")?.as_str().ok_or_eyre("`kind` not a string")?;
    let input = field(vector, "input")?.as_object().ok_or_eyre("`input` not an object")?;
    let block_hash = || b256(field(input, "l1BlockHash")?);
    let (domain, hash) = match kind {
        "UserDepositSource" => (
            DepositSourceDomainIdentifier::User as u64,
            UserDepositSource::new(block_hash()?, u64_of(field(input, "logIndex")?)?).source_hash(),
        ),
        "L1InfoDepositSource" => (
            DepositSourceDomainIdentifier::L1Info as u64,
            L1InfoDepositSource::new(block_hash()?, u64_of(field(input, "seqNumber")?)?)
                .source_hash(),
        ),
        "UpgradeDepositSource" => {
            let intent = field(input, "intent")?.as_str().ok_or_eyre("`intent` not a string")?;
            (
                DepositSourceDomainIdentifier::Upgrade as u64,
                UpgradeDepositSource::new(intent.to_string()).source_hash(),
            )
        }
        "AfterForceIncludeSource" => (
            phala_protocol::deposit::AFTER_FORCE_INCLUDE_DOMAIN,
            AfterForceIncludeSource::new(block_hash()?, u64_of(field(input, "seqNumber")?)?)
                .source_hash(),
        ),
        "InteropBlockReplacementDepositSource" => (
            DepositSourceDomainIdentifier::InteropBlockReplacement as u64,
            InteropBlockReplacementDepositSource::new(b256(field(input, "outputRoot")?)?)
                .source_hash(),
        ),
        other => return Ok(Verdict::Skip(format!("no source-hash domain {other:?} known"))),
    };
    let mut diff = Diff::default();
    diff.value("expectedSourceHash", field(vector, "expectedSourceHash")?, &Got::hex(hash));
    if let Some(want) = vector.get("domain") {
        diff.value("domain", want, &Got::num(U256::from(domain)));
    }
    Ok(diff.verdict())
}

fn l1_info_encoding(section: &Value, cases: &mut Cases) {
    let Some(section) = section.as_object() else {
        cases.push(("l1InfoEncoding".into(), Verdict::Fail("not an object".into())));
        return;
    };
    let interop = "Interop (setL1BlockValuesInterop, depositsComplete) is not implemented";
    for (key, value) in section {
        let case = format!("l1InfoEncoding/{key}");
        let verdict = match key.as_str() {
            // `signatures` is read with `selectorsComputed`.
            "source" | "note" | "signatures" => continue,
            "selectorsComputed" => {
                selectors(value, section.get("signatures"), cases);
                continue;
            }
            "interopLenSameAsEcotone" | "DepositsCompleteLen" | "DepositsCompleteGas" => {
                Verdict::Skip(interop.into())
            }
            "RegolithSystemTxGas" => {
                compare_one(key, value, Got::num(U256::from(L1_INFO_DEPOSIT_GAS)))
            }
            "L1InfoDepositerAddress" => compare_one(key, value, Got::hex(L1_INFO_DEPOSITOR)),
            "assertedBehaviour" => {
                asserted_behaviours(value, section, cases);
                continue;
            }
            length => match length
                .strip_prefix("L1Info")
                .and_then(|rest| rest.strip_suffix("Len"))
                .map(|name| format_named(&name.to_ascii_lowercase()))
            {
                Some(Some(format)) => {
                    compare_one(key, value, Got::num(U256::from(format.calldata_len())))
                }
                Some(None) => Verdict::Skip(format!("{key}: no such L1-info format implemented")),
                None => Verdict::Fail("no check for this key".into()),
            },
        };
        cases.push((case, verdict));
    }
}

fn compare_one(field: &str, want: &Value, got: Got) -> Verdict {
    let mut diff = Diff::default();
    diff.value(field, want, &got);
    diff.verdict()
}

/// `selectorsComputed.<format>` against our selectors, and `signatures.<format>` against ours.
fn selectors(computed: &Value, signatures: Option<&Value>, cases: &mut Cases) {
    let Some(computed) = computed.as_object() else {
        cases.push((
            "l1InfoEncoding/selectorsComputed".into(),
            Verdict::Fail("not an object".into()),
        ));
        return;
    };
    for (name, want) in computed {
        let case = format!("l1InfoEncoding/selector.{name}");
        let Some(format) = format_named(name) else {
            cases.push((
                case,
                Verdict::Skip(format!("{name}: not an L1-info format of phala-protocol")),
            ));
            continue;
        };
        let mut diff = Diff::default();
        diff.value("selector", want, &Got::hex(format.selector()));
        if let Some(signature) = signatures.and_then(|signatures| signatures.get(name)) {
            diff.value("signature", signature, &Got::Str(format.signature().into()));
            if let Some(text) = signature.as_str() {
                let hashed = keccak256(text);
                diff.check(
                    "keccak256(signature)[..4]",
                    hashed[..4] == format.selector()[..],
                    || format!("{} differs from the selector", hex::encode(&hashed[..4])),
                );
            }
        }
        cases.push((case, diff.verdict()));
    }
}

/// The asserted op-node behaviours, each by its leading words, against phala-protocol.
fn asserted_behaviours(value: &Value, section: &Map<String, Value>, cases: &mut Cases) {
    let Some(items) = value.as_array() else {
        cases.push((
            "l1InfoEncoding/assertedBehaviour".into(),
            Verdict::Fail("not an array".into()),
        ));
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let case = format!("l1InfoEncoding/assertedBehaviour[{index}]");
        let text = item.as_str().unwrap_or_default();
        let verdict = asserted_behaviour(text, section)
            .unwrap_or_else(|err| Verdict::Fail(format!("{err:#}")));
        cases.push((case, verdict));
    }
}

/// The forks from Regolith on.
const REGOLITH_ON: [OpSpecId; 8] = [
    OpSpecId::REGOLITH,
    OpSpecId::CANYON,
    OpSpecId::ECOTONE,
    OpSpecId::FJORD,
    OpSpecId::GRANITE,
    OpSpecId::HOLOCENE,
    OpSpecId::ISTHMUS,
    OpSpecId::JOVIAN,
];

fn asserted_behaviour(text: &str, section: &Map<String, Value>) -> eyre::Result<Verdict> {
    let length = |key: &str| -> eyre::Result<usize> {
        usize::try_from(u64_of(field(section, key)?)?).map_err(|_| eyre!("{key} too large"))
    };
    // `(spec of the block, spec of its parent)` and the length the text asserts.
    let block_format = |spec, parent, key: &str| -> eyre::Result<Verdict> {
        let format = L1InfoFormat::for_block(spec, parent);
        let mut diff = Diff::default();
        let want = length(key)?;
        diff.check(key, format.calldata_len() == want, || {
            format!("expected a {want}-byte format, got {format} ({} bytes)", format.calldata_len())
        });
        Ok(diff.verdict())
    };
    if text.starts_with("Regolith+: L1-info deposit") {
        let gas = field(section, "RegolithSystemTxGas")?;
        let mut diff = Diff::default();
        for spec in REGOLITH_ON {
            let format = L1InfoFormat::for_block(spec, Some(spec));
            let tx = L1BlockInfo::default().deposit_tx(format, spec);
            diff.check(&format!("{spec:?} IsSystemTransaction"), !tx.is_system_transaction, || {
                "true".into()
            });
            diff.value(&format!("{spec:?} Gas"), gas, &Got::num(U256::from(tx.gas_limit)));
        }
        return Ok(diff.verdict());
    }
    if text.starts_with("Ecotone active and not the Ecotone activation block") {
        return block_format(OpSpecId::ECOTONE, Some(OpSpecId::ECOTONE), "L1InfoEcotoneLen");
    }
    if text.starts_with("Ecotone activation block") {
        // Delta at genesis, Ecotone one block later: the parent is a Delta (Canyon-rules) block.
        return block_format(OpSpecId::ECOTONE, Some(OpSpecId::CANYON), "L1InfoBedrockLen");
    }
    if text.starts_with("Ecotone at genesis, genesis block itself") {
        return block_format(OpSpecId::ECOTONE, None, "L1InfoEcotoneLen");
    }
    if text.starts_with("Interop") || text.starts_with("DepositsComplete") {
        return Ok(Verdict::Skip(
            "Interop (setL1BlockValuesInterop, depositsComplete) is not implemented".into(),
        ));
    }
    if text.starts_with("L1BlockInfoFromBytes errors on") {
        return Ok(decode_errors());
    }
    Ok(Verdict::Fail(format!("no check for this behaviour: {text:?}")))
}

/// op-node's rejected inputs: nil data, 4 bytes, 4+32*5+1 bytes (Bedrock), a wrong selector.
fn decode_errors() -> Verdict {
    let bedrock = L1InfoFormat::Bedrock.selector();
    let mut short = bedrock.to_vec();
    short.resize(4 + 32 * 5 + 1, 0);
    let mut wrong = L1InfoFormat::Ecotone.selector().to_vec();
    wrong[0] ^= 0xff;
    wrong.resize(L1InfoFormat::Ecotone.calldata_len(), 0);
    let inputs: [(&str, &[u8]); 4] = [
        ("nil data", &[]),
        ("4 bytes", &bedrock[..]),
        ("4+32*5+1 bytes", &short),
        ("wrong selector", &wrong),
    ];
    let mut diff = Diff::default();
    for (name, input) in inputs {
        let result = L1BlockInfo::decode(input);
        let expected_error = match name {
            "wrong selector" => matches!(result, Err(ProtocolError::UnknownL1InfoSelector { .. })),
            "nil data" => matches!(result, Err(ProtocolError::L1InfoTooShort { .. })),
            _ => matches!(result, Err(ProtocolError::L1InfoLength { .. })),
        };
        diff.check(name, expected_error, || format!("decoded as {result:?}"));
    }
    diff.verdict()
}

fn withdrawal_hash(section: &Value, cases: &mut Cases) {
    let Some(section) = section.as_object() else {
        cases.push(("withdrawalHash".into(), Verdict::Fail("not an object".into())));
        return;
    };
    let name = section.get("test").and_then(Value::as_str).unwrap_or("withdrawalHash");
    let result = withdrawal_cases(section);
    match result {
        Ok(results) => cases.extend(
            results
                .into_iter()
                .map(|(case, verdict)| (format!("withdrawalHash/{name}{case}"), verdict)),
        ),
        Err(err) => {
            cases.push((format!("withdrawalHash/{name}"), Verdict::Fail(format!("{err:#}"))))
        }
    }
}

fn withdrawal_cases(section: &Map<String, Value>) -> eyre::Result<Cases> {
    let input = field(section, "input")?.as_object().ok_or_eyre("`input` not an object")?;
    let withdrawal = Withdrawal {
        nonce: integer(field(input, "nonce")?)?,
        sender: address(field(input, "sender")?)?,
        target: address(field(input, "target")?)?,
        value: integer(field(input, "value")?)?,
        gas_limit: integer(field(input, "gasLimit")?)?,
        data: hex_bytes(field(input, "data")?)?,
    };
    let expected = field(section, "expectedWithdrawalHash")?;
    let mut cases = Cases::new();
    cases.push((
        String::new(),
        compare_one("withdrawalHash", expected, Got::hex(withdrawal.hash())),
    ));
    for (key, value) in section {
        match key.as_str() {
            "test" | "source" | "formula" | "input" | "expectedWithdrawalHash" => {}
            "receiptLog" => {
                let verdict = message_passed_case(value, Some((&withdrawal, expected)))
                    .unwrap_or_else(|err| Verdict::Fail(format!("{err:#}")));
                cases.push(("/receiptLog".into(), verdict));
            }
            "messagePassedEventSignature" => {
                let text = value.as_str().ok_or_eyre("signature not a string")?;
                let mut diff = Diff::default();
                diff.check("keccak256(signature)", keccak256(text) == MESSAGE_PASSED_TOPIC, || {
                    format!(
                        "{} is not the MessagePassed topic {MESSAGE_PASSED_TOPIC}",
                        keccak256(text)
                    )
                });
                cases.push(("/messagePassedEventSignature".into(), diff.verdict()));
            }
            other => {
                cases.push((format!("/{other}"), Verdict::Fail("no check for this key".into())))
            }
        }
    }
    Ok(cases)
}

/// Decodes a `MessagePassed` log (which checks its stated hash) and, when given, compares it
/// with the withdrawal and expected hash of the vector.
fn message_passed_case(
    log: &Value,
    vector: Option<(&Withdrawal, &Value)>,
) -> eyre::Result<Verdict> {
    let log = log.as_object().ok_or_eyre("log not an object")?;
    let topics = field(log, "topics")?.as_array().ok_or_eyre("`topics` not an array")?;
    let topics = topics.iter().map(b256).collect::<eyre::Result<Vec<_>>>()?;
    let log = Log {
        address: address(field(log, "address")?)?,
        data: LogData::new(topics, hex_bytes(field(log, "data")?)?)
            .ok_or_eyre("too many topics")?,
    };
    let mut diff = Diff::default();
    match Withdrawal::from_message_passed(&log) {
        Err(err) => diff.lines.push(format!("MessagePassed: {err}")),
        Ok(decoded) => {
            if let Some((withdrawal, expected)) = vector {
                diff.check("decoded withdrawal", decoded == *withdrawal, || {
                    format!("expected {withdrawal:?}, got {decoded:?}")
                });
                diff.value("withdrawalHash", expected, &Got::hex(decoded.hash()));
            }
        }
    }
    Ok(diff.verdict())
}

// ---------------------------------------------------------------------------------------------
// Receipts

/// Every `MessagePassed` log of the message passer in a receipt.
fn receipt_file(receipt: &Map<String, Value>, cases: &mut Cases) {
    let logs = receipt.get("logs").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (index, log) in logs.iter().enumerate() {
        let from_passer = log
            .get("address")
            .and_then(|value| address(value).ok())
            .is_some_and(|address| address == L2_TO_L1_MESSAGE_PASSER_ADDRESS);
        let topic = log.pointer("/topics/0").and_then(|value| b256(value).ok());
        if from_passer && topic == Some(MESSAGE_PASSED_TOPIC) {
            let verdict = message_passed_case(log, None)
                .unwrap_or_else(|err| Verdict::Fail(format!("{err:#}")));
            cases.push((format!("logs[{index}]"), verdict));
        }
    }
    if cases.is_empty() {
        cases.push((
            "logs".into(),
            Verdict::Fail("no MessagePassed log of the L2ToL1MessagePasser".into()),
        ));
    }
}
