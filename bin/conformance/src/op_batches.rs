//! The OP batch data (`shared/conformance/op/README.md` §2), decoded with phala-protocol's batch
//! codec, the code the batcher and the verifier use.
//!
//! Every data file in the folder is run, and needs an entry of the same name in
//! `expected.json`:
//! - `*.hex` holding a signed L1 transaction: decoded and its sender recovered, its calldata
//!   read as frames, the channel reassembled and decompressed (zlib streams without an end
//!   marker read until the data runs out), the batches decoded; every stated fact is compared.
//!   A span batch's transactions are rebuilt with the stated L2 chain id and their senders
//!   recovered: each sender's nonces must be consecutive, which checks the bit order and every
//!   column of the span.
//! - `*.bin`: a span-batch body without its type byte; decoded, compared, encoded again to the
//!   same bytes.
//! - `*.channel.hex`: one whole compressed channel; decompressed, its batches decoded and
//!   compared.
//!
//! An expected key the runner has no check for fails the file, so nothing passes unchecked.

use crate::blockchain::{Summary, Verdict};
use alloy_consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, hex};
use eyre::{OptionExt, WrapErr, bail, eyre};
use phala_protocol::batch::{
    Batch, Channel, ChannelCompression, MAX_RLP_BYTES_PER_CHANNEL_FJORD, SpanBatch, compression_of,
    decode_batches, decompress, frames_of_calldata,
};
use serde_json::{Map, Value, json};
use std::{collections::BTreeMap, path::Path};

/// Runs every data file in `dir` against `dir/expected.json`.
pub(crate) fn run(dir: &Path) -> eyre::Result<Summary> {
    let expected_path = dir.join("expected.json");
    let expected: Value = serde_json::from_slice(
        &std::fs::read(&expected_path)
            .wrap_err_with(|| format!("cannot read {}", expected_path.display()))?,
    )
    .wrap_err("expected.json is not JSON")?;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .wrap_err_with(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".hex") || name.ends_with(".bin"))
        .collect();
    names.sort();
    let mut summary = Summary::default();
    for name in names {
        let verdict = match expected.get(&name).and_then(Value::as_object) {
            None => Verdict::Fail("no entry in expected.json".into()),
            Some(entry) => match run_file(&dir.join(&name), &name, entry) {
                Ok(()) => Verdict::Pass,
                Err(err) => Verdict::Fail(format!("{err:#}")),
            },
        };
        summary.record(name, verdict);
    }
    summary.print_failures("failed files");
    Ok(summary)
}

fn run_file(path: &Path, name: &str, entry: &Map<String, Value>) -> eyre::Result<()> {
    let raw = std::fs::read(path)?;
    let bytes = if name.ends_with(".hex") {
        hex::decode(std::str::from_utf8(&raw)?.trim()).wrap_err("not hex")?
    } else {
        raw
    };
    let facts = if name.ends_with(".channel.hex") {
        decompressed_facts(&bytes, entry)?
    } else if name.ends_with(".hex") {
        batcher_tx_facts(&bytes, entry)?
    } else {
        span_body_facts(&bytes)?
    };
    compare(entry, &facts)
}

/// Compares every expected key (but `kind`, prose) with the computed facts.
fn compare(expected: &Map<String, Value>, facts: &Map<String, Value>) -> eyre::Result<()> {
    let mut problems = Vec::new();
    for (key, want) in expected {
        if key == "kind" {
            continue;
        }
        if key == "compression" {
            // Prose such as "zlib (first frame-data bytes 0x78da)": it must name our kind.
            let kind = facts.get("compressionKind").and_then(Value::as_str).unwrap_or("none");
            if !want.as_str().is_some_and(|text| text.starts_with(kind)) {
                problems.push(format!("compression: expected {want}, got {kind}"));
            }
            continue;
        }
        match facts.get(key) {
            None => problems.push(format!("{key}: no check for this field")),
            Some(got) => {
                if let (Some(want), Some(got)) = (want.as_object(), got.as_object()) {
                    if let Err(err) = compare(want, got) {
                        problems.push(format!("{key}.{err}"));
                    }
                } else if !same(want, got) {
                    problems.push(format!("{key}: expected {want}, got {got}"));
                }
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { bail!("{}", problems.join("; ")) }
}

/// JSON values equal as values: numbers by their digits, hex and addresses without case.
fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
        (Value::Number(a), Value::Number(b)) => a.to_string() == b.to_string(),
        _ => want == got,
    }
}

fn batcher_tx_facts(bytes: &[u8], entry: &Map<String, Value>) -> eyre::Result<Map<String, Value>> {
    let tx = TxEnvelope::decode_2718(&mut &bytes[..]).wrap_err("not an EIP-2718 transaction")?;
    let from = tx.recover_signer().map_err(|err| eyre!("sender: {err}"))?;
    let calldata = tx.input();
    let frames = frames_of_calldata(calldata)?;
    let mut facts = Map::new();
    facts.insert("txType".into(), json!(tx.tx_type() as u8));
    facts.insert("chainId".into(), json!(tx.chain_id()));
    facts.insert("nonce".into(), json!(tx.nonce()));
    facts.insert("to".into(), json!(tx.to()));
    facts.insert("from".into(), json!(from));
    facts.insert("value".into(), json!(tx.value().to::<u128>()));
    facts.insert("calldataLength".into(), json!(calldata.len()));
    facts.insert("derivationVersion".into(), json!(calldata[0]));
    facts.insert("frameCount".into(), json!(frames.len()));
    if let [frame] = frames.as_slice() {
        facts.insert(
            "frame".into(),
            json!({
                "channelId": format!("0x{}", hex::encode(frame.channel_id)),
                "frameNumber": frame.number,
                "frameDataLength": frame.data.len(),
                "isLast": frame.is_last,
            }),
        );
    }
    let mut channels: BTreeMap<[u8; 16], Channel> = BTreeMap::new();
    for frame in frames {
        channels
            .entry(frame.channel_id)
            .or_insert_with(|| Channel::new(frame.channel_id))
            .add_frame(frame)?;
    }
    let [channel] = channels.values().collect::<Vec<_>>()[..] else {
        bail!("{} channels in one transaction; the fixtures hold one", channels.len())
    };
    let data = channel.data()?;
    facts.extend(decompressed_facts(&data, entry)?);
    Ok(facts)
}

/// The facts of compressed channel data: compression, sizes, batches and the first span.
fn decompressed_facts(data: &[u8], entry: &Map<String, Value>) -> eyre::Result<Map<String, Value>> {
    let mut facts = Map::new();
    let kind = match compression_of(data)? {
        ChannelCompression::Zlib => "zlib",
        ChannelCompression::Brotli => "brotli",
    };
    facts.insert("compressionKind".into(), json!(kind));
    let decompressed = decompress(data, MAX_RLP_BYTES_PER_CHANNEL_FJORD)?;
    facts.insert("decompressedSize".into(), json!(decompressed.len()));
    let (batches, error) = decode_batches(&decompressed);
    if let Some(error) = error {
        bail!("batch {} of the channel: {error}", batches.len());
    }
    facts.insert("channelBatchCount".into(), json!(batches.len()));
    let first = batches.first().ok_or_eyre("no batch in the channel")?;
    facts.insert(
        "firstBatchType".into(),
        json!(match first {
            Batch::Singular(_) => 0,
            Batch::Span(_) => 1,
        }),
    );
    facts.insert("firstBatchRlpPayloadLength".into(), json!(first.encode().len()));
    if let Batch::Span(span) = first {
        facts.insert("spanBatch".into(), Value::Object(span_facts(span)));
        if let Some(chain_id) = entry.get("l2ChainIdOfBatchedTxs").and_then(Value::as_u64) {
            check_senders(span, chain_id)?;
            facts.insert("l2ChainIdOfBatchedTxs".into(), json!(chain_id));
        }
    }
    Ok(facts)
}

fn span_body_facts(bytes: &[u8]) -> eyre::Result<Map<String, Value>> {
    let span = SpanBatch::decode(bytes)?;
    let mut encoded = Vec::new();
    span.encode(&mut encoded);
    if encoded != bytes {
        bail!(
            "encoding the decoded span batch gives other bytes ({} vs {})",
            encoded.len(),
            bytes.len()
        );
    }
    let mut facts = Map::new();
    facts.insert("spanBatch".into(), Value::Object(span_facts(&span)));
    Ok(facts)
}

fn span_facts(span: &SpanBatch) -> Map<String, Value> {
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    for payload in &span.txs.payloads {
        *types.entry(payload.tx_type().to_string()).or_default() += 1;
    }
    let mut facts = Map::new();
    facts.insert("rel_timestamp".into(), json!(span.rel_timestamp));
    facts.insert("l1_origin_num".into(), json!(span.l1_origin_num));
    facts.insert("parent_check".into(), json!(format!("0x{}", hex::encode(span.parent_check))));
    facts.insert(
        "l1_origin_check".into(),
        json!(format!("0x{}", hex::encode(span.l1_origin_check))),
    );
    facts.insert("block_count".into(), json!(span.block_count()));
    facts.insert("block_tx_counts_sum".into(), json!(span.block_tx_counts.iter().sum::<u64>()));
    facts.insert(
        "contract_creations".into(),
        json!(span.txs.contract_creation_bits.iter().filter(|bit| **bit).count()),
    );
    facts.insert("tx_types".into(), json!(types));
    facts.insert("legacy_count".into(), json!(span.txs.protected_bits.len()));
    facts
}

/// Rebuilds the span's transactions for `chain_id` and recovers their senders: the nonces of
/// each sender must follow one another, as they do in a real chain's blocks.
fn check_senders(span: &SpanBatch, chain_id: u64) -> eyre::Result<()> {
    let mut by_sender: BTreeMap<Address, Vec<u64>> = BTreeMap::new();
    for (block, txs) in span.block_transactions(chain_id)?.iter().enumerate() {
        for tx in txs {
            let sender = tx
                .recover_signer()
                .map_err(|err| eyre!("block {block}: transaction {}: {err}", tx.tx_hash()))?;
            by_sender.entry(sender).or_default().push(tx.nonce());
        }
    }
    for (sender, nonces) in &by_sender {
        if nonces.windows(2).any(|pair| pair[1] != pair[0] + 1) {
            bail!("sender {sender} has non-consecutive nonces {nonces:?}");
        }
    }
    // With no sender sending twice the check would say nothing.
    if !by_sender.values().any(|nonces| nonces.len() > 1) {
        bail!("no sender has two transactions: the nonce check cannot confirm the decoding");
    }
    Ok(())
}
