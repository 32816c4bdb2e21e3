//! The execution-apis JSON-RPC tests, run the way hive's `rpc-compat` simulator runs them
//! (`shared/conformance/README.md` §2):
//!
//! 1. a fresh node in a temporary directory is initialised from `genesis.json`, and `chain.rlp`
//!    (concatenated RLP blocks) is imported through the node's importer;
//! 2. `headfcu.json` is sent to the JWT-authenticated Engine API;
//! 3. every `.io` file, in lexical path order, is replayed over HTTP against the public server:
//!    each `>>` request is POSTed and the response compared with the `<<` line.
//!
//! Comparison follows hive: structural JSON equality (key order ignored, numbers compared as
//! numbers, extra or missing fields fail), except that wherever both sides hold an `error`
//! object its `message` is dropped first. For `// speconly:` tests the recorded response is only
//! an example: hive validates the result against the OpenRPC schema, which is not part of the
//! fixtures, so here a speconly test passes when the response is a non-error `result` of the
//! same JSON type as the example and, for objects, with at least the example's top-level keys.

use alloy_primitives::B256;
use eyre::{Context, bail, eyre};
use phala_chain::{BlockImporter, init_genesis};
use phala_engine::Engine;
use phala_node::import::split_rlp_items;
use phala_pool::{PoolConfig, TxPool};
use phala_rpc::{
    NodeContext, RpcLimits,
    auth::{JwtSecret, unix_now},
    client,
    server::{RpcServerConfig, start_auth, start_public},
};
use phala_storage::Database;
use serde_json::Value;
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use crate::blockchain::Summary;

/// One request/response exchange of an `.io` file.
#[derive(Debug)]
struct Exchange {
    request: String,
    expected: Value,
}

/// A parsed `.io` test.
#[derive(Debug)]
struct IoTest {
    name: String,
    spec_only: bool,
    exchanges: Vec<Exchange>,
}

fn parse_io(root: &Path, path: &Path) -> eyre::Result<IoTest> {
    let text =
        std::fs::read_to_string(path).wrap_err_with(|| format!("reading {}", path.display()))?;
    let name = path
        .strip_prefix(root)
        .unwrap_or(path)
        .with_extension("")
        .to_string_lossy()
        .replace('\\', "/");
    let mut spec_only = false;
    let mut exchanges = Vec::new();
    let mut pending: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix("//") {
            if comment.trim_start().starts_with("speconly:") {
                spec_only = true;
            }
        } else if let Some(request) = line.strip_prefix(">>") {
            pending = Some(request.trim().to_string());
        } else if let Some(response) = line.strip_prefix("<<") {
            let request =
                pending.take().ok_or_else(|| eyre!("{name}: response without request"))?;
            let expected = serde_json::from_str(response.trim())
                .wrap_err_with(|| format!("{name}: expected response is not JSON"))?;
            exchanges.push(Exchange { request, expected });
        } else if !line.is_empty() {
            bail!("{name}: unexpected line {line:?}");
        }
    }
    if exchanges.is_empty() {
        bail!("{name}: no request/response pair");
    }
    Ok(IoTest { name, spec_only, exchanges })
}

fn collect_io_files(dir: &Path, out: &mut Vec<PathBuf>) -> eyre::Result<()> {
    for entry in std::fs::read_dir(dir).wrap_err_with(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_io_files(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "io") {
            out.push(path);
        }
    }
    Ok(())
}

fn post(addr: SocketAddr, body: &str, bearer: Option<&str>) -> eyre::Result<String> {
    // hive's timeout per request.
    Ok(client::post(addr, body, bearer, Duration::from_secs(5))?)
}

/// Drops `message` from every `error` object present on both sides at the same place.
fn strip_error_messages(actual: &mut Value, expected: &mut Value) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            if let (Some(Value::Object(ae)), Some(Value::Object(ee))) =
                (a.get_mut("error"), e.get_mut("error"))
            {
                ae.remove("message");
                ee.remove("message");
            }
            for (key, e_value) in e.iter_mut() {
                if let Some(a_value) = a.get_mut(key) {
                    strip_error_messages(a_value, e_value);
                }
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            for (a_value, e_value) in a.iter_mut().zip(e.iter_mut()) {
                strip_error_messages(a_value, e_value);
            }
        }
        _ => {}
    }
}

/// The first difference between `actual` and `expected`, as a path and a short description.
fn difference(actual: &Value, expected: &Value, path: &str) -> Option<String> {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (key, e_value) in e {
                match a.get(key) {
                    Some(a_value) => {
                        if let Some(diff) = difference(a_value, e_value, &format!("{path}.{key}")) {
                            return Some(diff);
                        }
                    }
                    None => return Some(format!("{path}.{key} missing")),
                }
            }
            a.keys().find(|key| !e.contains_key(*key)).map(|key| format!("{path}.{key} unexpected"))
        }
        (Value::Array(a), Value::Array(e)) => {
            if a.len() != e.len() {
                return Some(format!("{path} has {} items, want {}", a.len(), e.len()));
            }
            a.iter()
                .zip(e)
                .enumerate()
                .find_map(|(i, (a, e))| difference(a, e, &format!("{path}[{i}]")))
        }
        (Value::Number(a), Value::Number(e)) => {
            let same = match (a.as_u64(), e.as_u64(), a.as_i64(), e.as_i64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == e.as_f64(),
            };
            (!same).then(|| format!("{path}: {a} != {e}"))
        }
        (a, e) if a == e => None,
        (a, e) => Some(format!("{path}: {} != {}", short(a), short(e))),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 120 { format!("{}…", &text[..120]) } else { text }
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn check_exchange(actual: &str, exchange: &Exchange, spec_only: bool) -> Result<(), String> {
    let mut actual: Value =
        serde_json::from_str(actual).map_err(|err| format!("response is not JSON: {err}"))?;
    let mut expected = exchange.expected.clone();
    if spec_only && expected.get("error").is_none() {
        if let Some(error) = actual.get("error") {
            return Err(format!("error on a speconly test: {}", short(error)));
        }
        let (Some(result), Some(example)) = (actual.get("result"), expected.get("result")) else {
            return Err("no result".into());
        };
        if !same_type(result, example) {
            return Err(format!("result {} has another type than the example", short(result)));
        }
        if let (Value::Object(result), Value::Object(example)) = (result, example)
            && let Some(key) = example.keys().find(|key| !result.contains_key(*key))
        {
            return Err(format!("result lacks {key}"));
        }
        return Ok(());
    }
    strip_error_messages(&mut actual, &mut expected);
    match difference(&actual, &expected, "$") {
        None => Ok(()),
        Some(diff) => Err(diff),
    }
}

/// Imports `chain.rlp` into a fresh database in `dir` and returns the node context.
fn prepare_node(suite: &Path, dir: &Path) -> eyre::Result<Arc<NodeContext>> {
    let genesis = suite.join("genesis.json");
    let spec = Arc::new(phala_node::node::load_chain_spec(&genesis.to_string_lossy())?);
    let db = Database::open(dir)?;
    init_genesis(&db, &spec)?;
    let rlp_path = suite.join("chain.rlp");
    let rlp =
        std::fs::read(&rlp_path).wrap_err_with(|| format!("reading {}", rlp_path.display()))?;
    let importer = BlockImporter::new(&db, spec.clone());
    for (index, item) in split_rlp_items(&rlp_path, &rlp)?.into_iter().enumerate() {
        importer.import_rlp(item).wrap_err_with(|| format!("chain.rlp block {}", index + 1))?;
    }
    let pool = TxPool::new(PoolConfig::default());
    let engine = Arc::new(Engine::new(Arc::new(db), spec, pool));
    Ok(Arc::new(NodeContext::new(engine, Vec::new(), RpcLimits::default())))
}

/// Runs the suite in `suite` (a folder with `genesis.json`, `chain.rlp`, `headfcu.json` and
/// method folders of `.io` files), printing one line per test.
pub(crate) fn run(suite: &Path, filter: Option<&str>) -> eyre::Result<Summary> {
    let workdir = tempfile::tempdir()?;
    let ctx = prepare_node(suite, workdir.path())?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let secret = JwtSecret::load_or_create(&workdir.path().join("jwt.hex"))?;
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let ((http, http_handle), (auth, auth_handle)) = runtime.block_on(async {
        let public = start_public(ctx.clone(), &RpcServerConfig::new(local)).await?;
        let auth = start_auth(ctx.clone(), local, secret.clone()).await?;
        Ok::<_, phala_rpc::server::ServerError>((public, auth))
    })?;

    // Hive's recipe: after the import, the consensus client's forkchoice update.
    let fcu =
        std::fs::read_to_string(suite.join("headfcu.json")).wrap_err("reading headfcu.json")?;
    let reply: Value = serde_json::from_str(&post(auth, &fcu, Some(&secret.token(unix_now())))?)?;
    let status = reply.pointer("/result/payloadStatus/status").and_then(Value::as_str);
    if status != Some("VALID") {
        bail!("headfcu.json was not accepted: {reply}");
    }
    let head: Option<B256> = reply
        .pointer("/result/payloadStatus/latestValidHash")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    eprintln!("node ready: head {}", head.map(|h| h.to_string()).unwrap_or_default());

    let mut files = Vec::new();
    collect_io_files(suite, &mut files)?;
    let mut tests: Vec<IoTest> =
        files.iter().map(|path| parse_io(suite, path)).collect::<eyre::Result<_>>()?;
    tests.sort_by(|a, b| a.name.cmp(&b.name));

    let mut summary = Summary::default();
    for test in tests {
        if filter.is_some_and(|filter| !test.name.contains(filter)) {
            summary.skipped += 1;
            println!("SKIP {}: excluded by --filter", test.name);
            continue;
        }
        let mut verdict = Ok(());
        for exchange in &test.exchanges {
            let response = post(http, &exchange.request, None)
                .map_err(|err| format!("request failed: {err:#}"));
            verdict =
                response.and_then(|response| check_exchange(&response, exchange, test.spec_only));
            if verdict.is_err() {
                break;
            }
        }
        match verdict {
            Ok(()) => {
                summary.passed += 1;
                println!("PASS {}", test.name);
            }
            Err(reason) => {
                summary.failed += 1;
                println!("FAIL {}: {reason}", test.name);
                summary.failures.push(test.name);
            }
        }
    }
    let _ = http_handle.stop();
    let _ = auth_handle.stop();
    runtime.block_on(async {
        http_handle.stopped().await;
        auth_handle.stopped().await;
    });
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exchange(expected: Value) -> Exchange {
        Exchange { request: String::new(), expected }
    }

    #[test]
    fn error_messages_are_ignored_but_codes_are_not() {
        let want = exchange(json!({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}}));
        assert!(
            check_exchange(
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"y"}}"#,
                &want,
                false
            )
            .is_ok()
        );
        assert!(
            check_exchange(
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x"}}"#,
                &want,
                false
            )
            .is_err()
        );
    }

    #[test]
    fn extra_and_missing_fields_fail_and_numbers_compare_as_numbers() {
        let want = exchange(json!({"id":1,"result":{"a":1,"b":[1,2]}}));
        assert!(check_exchange(r#"{"result":{"b":[1,2],"a":1.0},"id":1}"#, &want, false).is_ok());
        assert!(
            check_exchange(r#"{"id":1,"result":{"a":1,"b":[1,2],"c":0}}"#, &want, false).is_err()
        );
        assert!(check_exchange(r#"{"id":1,"result":{"a":1}}"#, &want, false).is_err());
        assert!(check_exchange(r#"{"id":1,"result":{"a":2,"b":[1,2]}}"#, &want, false).is_err());
    }

    #[test]
    fn speconly_needs_a_result_of_the_right_shape() {
        let want = exchange(json!({"id":1,"result":{"pending":"0x1","queued":"0x0"}}));
        assert!(
            check_exchange(r#"{"id":1,"result":{"pending":"0x5","queued":"0x0"}}"#, &want, true)
                .is_ok()
        );
        assert!(check_exchange(r#"{"id":1,"result":{"pending":"0x5"}}"#, &want, true).is_err());
        assert!(
            check_exchange(r#"{"id":1,"error":{"code":-32000,"message":"no"}}"#, &want, true)
                .is_err()
        );
    }

    #[test]
    fn io_files_parse_with_comments_and_two_exchanges() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m/t.io");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            "// hi\n// speconly: x\n>> {\"id\":1}\n<< {\"id\":1}\n\n>> {\"id\":2}\n<< {\"id\":2}\n",
        )
        .unwrap();
        let test = parse_io(dir.path(), &path).unwrap();
        assert_eq!(test.name, "m/t");
        assert!(test.spec_only);
        assert_eq!(test.exchanges.len(), 2);
    }
}
