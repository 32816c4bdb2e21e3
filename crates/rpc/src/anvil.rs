//! anvil's cheat RPCs on a dev chain: `anvil_*`, the `hardhat_*` aliases Hardhat and viem's
//! test actions use, and `evm_*`, with anvil's names, parameters and results.
//!
//! Every method is served only by a dev chain (`phala-node node --dev`); any other chain refuses
//! it with `-32601`. The methods drive the engine's dev controls ([`phala_engine::dev`]): state
//! set by a cheat waits for the next block (every read of the latest state sees it at once) and
//! is kept in the database, so it survives a restart; `evm_revert` unwinds the database.

use crate::{
    context::NodeContext,
    error::{RpcError, RpcResult, codes},
    params::{StorageKey, parse, parse_storage_key},
};
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use flate2::{Compression, read::GzDecoder, write::GzEncoder};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use phala_chain::validation::{MAXIMUM_GAS_LIMIT, MINIMUM_GAS_LIMIT};
use phala_engine::{DevError, DumpedAccount, EngineError, MiningMode};
use phala_primitives::{ChainSpec, EthereumHardforks};
use serde::Deserialize;
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    io::{Read, Write},
    sync::Arc,
    time::Duration,
};

/// The namespaces of the cheat RPCs.
pub const NAMESPACES: [&str; 3] = ["anvil", "hardhat", "evm"];

/// The most blocks one `anvil_mine` / `evm_mine` may seal.
pub const MAX_MINE_BLOCKS: u64 = 100_000;

/// Registers a cheat under each of its names: refused unless the chain is a dev chain.
macro_rules! cheat {
    ($module:expr, [$($name:literal),+], |$params:ident, $ctx:ident, $dev:ident| $body:expr) => {
        $(
            $module
                .register_blocking_method(
                    $name,
                    #[allow(unused_variables)]
                    move |$params, $ctx: Arc<NodeContext>, _| {
                        let run = || -> RpcResult<_> {
                            #[allow(unused_variables)]
                            let Some($dev) = $ctx.dev() else { return Err(not_dev($name)) };
                            $body
                        };
                        run().map_err(ErrorObjectOwned::from)
                    },
                )
                .expect("method names are unique");
        )+
    };
}

fn not_dev(method: &str) -> RpcError {
    RpcError::Custom {
        code: codes::METHOD_NOT_FOUND,
        message: format!("{method} is only available on a dev chain (phala-node node --dev)"),
    }
}

/// A dev control's refusal in JSON-RPC terms: bad arguments are invalid params.
fn dev_error(error: EngineError) -> RpcError {
    match error {
        EngineError::Dev(
            error @ (DevError::UnknownSnapshot(_) | DevError::TimestampNotAfterHead { .. }),
        ) => RpcError::InvalidParams(error.to_string()),
        other => other.into(),
    }
}

/// A quantity given as a JSON number or a hex (or decimal) string.
fn quantity(value: &Value, what: &str) -> RpcResult<U256> {
    let bad = || RpcError::InvalidParams(format!("invalid {what}: {value}"));
    match value {
        Value::Number(number) => number.as_u64().map(U256::from).ok_or_else(bad),
        Value::String(text) => match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) if !hex.is_empty() => U256::from_str_radix(hex, 16).map_err(|_| bad()),
            Some(_) => Err(bad()),
            None => U256::from_str_radix(text, 10).map_err(|_| bad()),
        },
        _ => Err(bad()),
    }
}

fn quantity_u64(value: &Value, what: &str) -> RpcResult<u64> {
    u64::try_from(quantity(value, what)?)
        .map_err(|_| RpcError::InvalidParams(format!("{what} does not fit in 64 bits: {value}")))
}

/// Seconds as a signed offset: a JSON number (may be negative) or a hex quantity.
fn seconds(value: &Value) -> RpcResult<i64> {
    if let Some(signed) = value.as_i64() {
        return Ok(signed);
    }
    i64::try_from(quantity(value, "seconds")?)
        .map_err(|_| RpcError::InvalidParams(format!("seconds out of range: {value}")))
}

/// Seals `count` blocks; with `interval`, each `interval` seconds after the one before, and
/// with `first_timestamp`, the first at that time.
fn mine(
    ctx: &NodeContext,
    count: u64,
    interval: Option<u64>,
    first_timestamp: Option<u64>,
) -> RpcResult<()> {
    if count > MAX_MINE_BLOCKS {
        return Err(RpcError::InvalidParams(format!(
            "cannot mine {count} blocks at once (at most {MAX_MINE_BLOCKS})"
        )));
    }
    let mut next = first_timestamp;
    for _ in 0..count {
        let block = ctx.mine_dev_block(next, false).map_err(dev_error)?;
        let Some(block) = block else { break };
        next = interval.map(|interval| block.timestamp.saturating_add(interval.max(1)));
    }
    Ok(())
}

/// One account of a state file, as anvil's `dumpState` writes it or as a geth `alloc` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoadedAccount {
    #[serde(default)]
    nonce: Option<Value>,
    #[serde(default)]
    balance: Option<Value>,
    #[serde(default)]
    code: Option<Bytes>,
    #[serde(default)]
    storage: BTreeMap<String, String>,
}

/// Parses a state file: gzip or plain JSON, either anvil's `{"accounts": {…}}` or a bare geth
/// `alloc` map.
pub fn parse_state(bytes: &[u8]) -> RpcResult<BTreeMap<Address, DumpedAccount>> {
    let bad = |why: String| RpcError::InvalidParams(format!("invalid state: {why}"));
    let mut json = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        GzDecoder::new(bytes).read_to_end(&mut json).map_err(|err| bad(err.to_string()))?;
    } else {
        json.extend_from_slice(bytes);
    }
    let value: Value = serde_json::from_slice(&json).map_err(|err| bad(err.to_string()))?;
    let accounts = match value {
        Value::Object(mut object) if object.contains_key("accounts") => {
            object.remove("accounts").unwrap_or_default()
        }
        other => other,
    };
    let accounts: BTreeMap<Address, LoadedAccount> =
        serde_json::from_value(accounts).map_err(|err| bad(err.to_string()))?;
    accounts
        .into_iter()
        .map(|(address, loaded)| {
            let nonce = match &loaded.nonce {
                Some(value) => quantity_u64(value, "nonce").map_err(|err| bad(err.to_string()))?,
                None => 0,
            };
            let balance = match &loaded.balance {
                Some(value) => quantity(value, "balance").map_err(|err| bad(err.to_string()))?,
                None => U256::ZERO,
            };
            let storage = loaded
                .storage
                .iter()
                .map(|(slot, value)| Ok((parse_storage_key(slot)?, parse_storage_key(value)?)))
                .collect::<Result<_, String>>()
                .map_err(bad)?;
            let account =
                DumpedAccount { nonce, balance, code: loaded.code.unwrap_or_default(), storage };
            Ok((address, account))
        })
        .collect()
}

/// A state dump as `anvil_dumpState` returns it: gzip of `{"block": …, "accounts": …}`.
pub fn encode_state(
    head_number: u64,
    accounts: &BTreeMap<Address, DumpedAccount>,
) -> RpcResult<Bytes> {
    let accounts: serde_json::Map<String, Value> = accounts
        .iter()
        .map(|(address, account)| {
            let storage: serde_json::Map<String, Value> = account
                .storage
                .iter()
                .map(|(slot, value)| (B256::from(*slot).to_string(), json!(B256::from(*value))))
                .collect();
            let entry = json!({
                "nonce": account.nonce,
                "balance": account.balance,
                "code": account.code,
                "storage": storage,
            });
            (address.to_checksum(None), entry)
        })
        .collect();
    let state = json!({ "block": { "number": U64::from(head_number) }, "accounts": accounts });
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(&serde_json::to_vec(&state).expect("JSON values serialise"))
        .and_then(|()| encoder.finish())
        .map(Bytes::from)
        .map_err(|err| RpcError::Internal(err.to_string()))
}

/// The name of the fork active at `timestamp`, as anvil reports it (lower case).
fn active_fork_name(spec: &ChainSpec, timestamp: u64) -> String {
    if spec.is_optimism() {
        let fork = phala_evm::op_spec_at_timestamp(spec, timestamp);
        return format!("{fork:?}").to_ascii_lowercase();
    }
    let forks = [
        (spec.is_osaka_active_at_timestamp(timestamp), "osaka"),
        (spec.is_prague_active_at_timestamp(timestamp), "prague"),
        (spec.is_cancun_active_at_timestamp(timestamp), "cancun"),
        (spec.is_shanghai_active_at_timestamp(timestamp), "shanghai"),
    ];
    forks.iter().find(|(active, _)| *active).map_or("paris", |(_, name)| name).to_string()
}

/// Adds the cheat RPCs to `module`.
pub fn register(module: &mut RpcModule<NodeContext>) {
    register_state(module);
    register_mining(module);
    register_snapshots(module);
    register_accounts(module);
}

fn register_state(module: &mut RpcModule<NodeContext>) {
    cheat!(module, ["anvil_setBalance", "hardhat_setBalance"], |p, ctx, dev| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let balance: Value = seq.next()?;
        ctx.set_balance(address, quantity(&balance, "balance")?).map_err(dev_error)?;
        Ok(Value::Null)
    });
    cheat!(module, ["anvil_setNonce", "hardhat_setNonce"], |p, ctx, dev| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let nonce: Value = seq.next()?;
        ctx.set_nonce(address, quantity_u64(&nonce, "nonce")?).map_err(dev_error)?;
        Ok(Value::Null)
    });
    cheat!(module, ["anvil_setCode", "hardhat_setCode"], |p, ctx, dev| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let code: Bytes = seq.next()?;
        ctx.set_code(address, code).map_err(dev_error)?;
        Ok(Value::Null)
    });
    cheat!(module, ["anvil_setStorageAt", "hardhat_setStorageAt"], |p, ctx, dev| {
        let mut seq = parse(&p)?;
        let address: Address = seq.next()?;
        let slot: StorageKey = seq.next()?;
        let value: StorageKey = seq.next()?;
        ctx.set_storage(address, slot.0, value.0).map_err(dev_error)?;
        Ok(true)
    });
    cheat!(module, ["anvil_dumpState", "hardhat_dumpState"], |p, ctx, dev| {
        let (_, head) = ctx.head()?;
        let accounts = ctx.dump_state().map_err(dev_error)?;
        encode_state(head.number, &accounts)
    });
    cheat!(module, ["anvil_loadState", "hardhat_loadState"], |p, ctx, dev| {
        let bytes: Bytes = parse(&p)?.next()?;
        let accounts = parse_state(&bytes)?;
        ctx.load_state(accounts).map_err(dev_error)?;
        Ok(true)
    });
    cheat!(module, ["anvil_nodeInfo"], |p, ctx, dev| {
        let (hash, head) = ctx.head()?;
        let validation = ctx.validation_context()?;
        Ok(json!({
            "currentBlockNumber": head.number,
            "currentBlockTimestamp": head.timestamp,
            "currentBlockHash": hash,
            "hardFork": active_fork_name(ctx.spec(), head.timestamp),
            "transactionOrder": "fees",
            "environment": {
                "baseFee": validation.base_fee,
                "chainId": ctx.spec().chain_id,
                "gasLimit": ctx.sequenced_gas_limit(&head),
                "gasPrice": u128::from(validation.base_fee) + ctx.suggested_tip(),
            },
            "forkConfig": { "forkUrl": null, "forkBlockNumber": null, "forkRetryBackoff": null },
            "network": "phala",
        }))
    });
}

fn register_mining(module: &mut RpcModule<NodeContext>) {
    cheat!(module, ["anvil_mine", "hardhat_mine"], |p, ctx, dev| {
        let mut seq = parse(&p)?;
        let count: Option<Value> = seq.optional_next()?;
        let interval: Option<Value> = seq.optional_next()?;
        let count = count.as_ref().map(|c| quantity_u64(c, "block count")).transpose()?;
        let interval = interval.as_ref().map(|i| quantity_u64(i, "interval")).transpose()?;
        mine(&ctx, count.unwrap_or(1), interval, None)?;
        Ok(Value::Null)
    });
    cheat!(module, ["evm_mine"], |p, ctx, dev| {
        let options: Option<Value> = parse(&p)?.optional_next()?;
        let (count, timestamp) = match &options {
            None | Some(Value::Null) => (1, None),
            Some(Value::Object(options)) => {
                let count = options.get("blocks").map(|b| quantity_u64(b, "blocks")).transpose()?;
                let timestamp =
                    options.get("timestamp").map(|t| quantity_u64(t, "timestamp")).transpose()?;
                (count.unwrap_or(1), timestamp)
            }
            Some(timestamp) => (1, Some(quantity_u64(timestamp, "timestamp")?)),
        };
        mine(&ctx, count, None, timestamp)?;
        Ok("0x0")
    });
    cheat!(module, ["evm_increaseTime"], |p, ctx, dev| {
        let seconds_value: Value = parse(&p)?.next()?;
        let total = ctx.increase_time(seconds(&seconds_value)?).map_err(dev_error)?;
        Ok(total)
    });
    cheat!(module, ["evm_setNextBlockTimestamp", "anvil_setNextBlockTimestamp"], |p, ctx, dev| {
        let timestamp: Value = parse(&p)?.next()?;
        ctx.set_next_block_timestamp(quantity_u64(&timestamp, "timestamp")?).map_err(dev_error)?;
        Ok(Value::Null)
    });
    cheat!(module, ["evm_setBlockGasLimit", "anvil_setBlockGasLimit"], |p, ctx, dev| {
        let limit: Value = parse(&p)?.next()?;
        let limit = quantity_u64(&limit, "gas limit")?;
        if !(MINIMUM_GAS_LIMIT..=MAXIMUM_GAS_LIMIT).contains(&limit) {
            return Err(RpcError::InvalidParams(format!(
                "gas limit {limit} is outside {}..={}",
                MINIMUM_GAS_LIMIT, MAXIMUM_GAS_LIMIT
            )));
        }
        ctx.set_gas_limit_target(Some(limit));
        Ok(true)
    });
    cheat!(module, ["evm_setAutomine", "anvil_setAutomine"], |p, ctx, dev| {
        let on: bool = parse(&p)?.next()?;
        dev.set_mining(if on { MiningMode::Auto } else { MiningMode::Manual });
        Ok(Value::Null)
    });
    cheat!(module, ["anvil_getAutomine", "hardhat_getAutomine"], |p, ctx, dev| {
        Ok(dev.mining() == MiningMode::Auto)
    });
    cheat!(module, ["evm_setIntervalMining", "anvil_setIntervalMining"], |p, ctx, dev| {
        let interval: Value = parse(&p)?.next()?;
        let seconds = quantity_u64(&interval, "interval")?;
        let mode = match seconds {
            0 => MiningMode::Manual,
            seconds => MiningMode::Interval(Duration::from_secs(seconds)),
        };
        dev.set_mining(mode);
        Ok(Value::Null)
    });
    cheat!(module, ["anvil_getIntervalMining"], |p, ctx, dev| {
        Ok(match dev.mining() {
            MiningMode::Interval(period) => Some(period.as_secs()),
            MiningMode::Auto | MiningMode::Manual => None,
        })
    });
    cheat!(module, ["anvil_dropTransaction", "hardhat_dropTransaction"], |p, ctx, dev| {
        let hash: B256 = parse(&p)?.next()?;
        Ok(ctx.drop_transaction(hash).map_err(dev_error)?.then_some(hash))
    });
    cheat!(module, ["anvil_dropAllTransactions"], |p, ctx, dev| {
        let mut pool = ctx.pool();
        let hashes: Vec<B256> = pool
            .pending()
            .values()
            .chain(pool.queued().values())
            .flat_map(|txs| txs.values().map(|tx| *tx.tx.tx_hash()))
            .collect();
        pool.remove(&hashes);
        Ok(Value::Null)
    });
}

fn register_snapshots(module: &mut RpcModule<NodeContext>) {
    cheat!(module, ["evm_snapshot", "anvil_snapshot"], |p, ctx, dev| {
        Ok(U256::from(ctx.snapshot().map_err(dev_error)?))
    });
    cheat!(module, ["evm_revert", "anvil_revert"], |p, ctx, dev| {
        let id: Value = parse(&p)?.next()?;
        let id = quantity_u64(&id, "snapshot id")
            .map_err(|_| RpcError::InvalidParams(format!("invalid snapshot id: {id}")))?;
        ctx.revert_to_snapshot(id).map_err(dev_error)?;
        Ok(true)
    });
}

fn register_accounts(module: &mut RpcModule<NodeContext>) {
    cheat!(module, ["anvil_impersonateAccount", "hardhat_impersonateAccount"], |p, ctx, dev| {
        let address: Address = parse(&p)?.next()?;
        dev.impersonate(address, true);
        Ok(Value::Null)
    });
    cheat!(
        module,
        ["anvil_stopImpersonatingAccount", "hardhat_stopImpersonatingAccount"],
        |p, ctx, dev| {
            let address: Address = parse(&p)?.next()?;
            dev.impersonate(address, false);
            Ok(Value::Null)
        }
    );
    cheat!(module, ["eth_sendUnsignedTransaction"], |p, ctx, dev| {
        let request: alloy_rpc_types_eth::TransactionRequest = parse(&p)?.next()?;
        let hash = crate::signing::send_unsigned(&ctx, request)?;
        ctx.filters.on_pending_transaction(hash);
        Ok(hash)
    });
    cheat!(module, ["anvil_autoImpersonateAccount"], |p, ctx, dev| {
        let on: bool = parse(&p)?.next()?;
        dev.set_auto_impersonate(on);
        Ok(Value::Null)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_come_as_numbers_or_strings() {
        assert_eq!(quantity(&json!(10), "x").unwrap(), U256::from(10));
        assert_eq!(quantity(&json!("0x0a"), "x").unwrap(), U256::from(10));
        assert_eq!(quantity(&json!("10"), "x").unwrap(), U256::from(10));
        assert!(quantity(&json!("0x"), "x").is_err());
        assert!(quantity(&json!("0xzz"), "x").is_err());
        assert!(quantity(&json!(-1), "x").is_err());
        assert!(quantity(&json!(true), "x").is_err());
        assert_eq!(seconds(&json!(-5)).unwrap(), -5);
        assert!(quantity_u64(&json!(format!("0x1{}", "0".repeat(16))), "x").is_err());
    }

    #[test]
    fn a_dump_loads_back_to_the_same_accounts() {
        let mut accounts = BTreeMap::new();
        accounts.insert(
            Address::repeat_byte(1),
            DumpedAccount {
                nonce: 3,
                balance: U256::from(1_000u64),
                code: Bytes::from_static(&[0x60, 0x00]),
                storage: BTreeMap::from([(U256::from(1), U256::from(2))]),
            },
        );
        let dump = encode_state(7, &accounts).unwrap();
        assert_eq!(parse_state(&dump).unwrap(), accounts);
    }

    #[test]
    fn a_geth_alloc_and_anvil_shapes_parse() {
        let alloc = br#"{"0x0000000000000000000000000000000000000001":
            {"balance":"0x10","nonce":"0x2","storage":{"0x01":"0x02"}}}"#;
        let parsed = parse_state(alloc).unwrap();
        let account = &parsed[&Address::with_last_byte(1)];
        assert_eq!((account.nonce, account.balance), (2, U256::from(16)));
        assert_eq!(account.storage[&U256::from(1)], U256::from(2));
        let anvil = br#"{"block":{},"accounts":{"0x0000000000000000000000000000000000000001":
            {"balance":"0x10","nonce":2,"code":"0x","storage":{}}}}"#;
        assert_eq!(parse_state(anvil).unwrap()[&Address::with_last_byte(1)].nonce, 2);
    }

    #[test]
    fn a_corrupt_state_file_is_a_clear_error() {
        for bad in [&b"not json"[..], b"[1,2]", br#"{"0x01":{}}"#, &[0x1f, 0x8b, 0, 1, 2]] {
            let err = parse_state(bad).unwrap_err();
            assert!(
                matches!(err, RpcError::InvalidParams(ref m) if m.starts_with("invalid state"))
            );
        }
        let unknown_field = br#"{"0x0000000000000000000000000000000000000001":{"balanse":"0x1"}}"#;
        assert!(parse_state(unknown_field).is_err());
    }
}
