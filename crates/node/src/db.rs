//! `phala-node db …` (reth's database tools: stats, list, get, checksum, drop) and
//! `phala-node dump-state`.

use crate::{NodeError, cli::DbCommand};
use alloy_primitives::hex;
use phala_storage::{
    Database, DumpStats, KeyValueRead, StorageError, Table, dump_alloc_with_progress,
};
use std::{
    io::{BufWriter, IsTerminal, Write},
    path::Path,
};

/// Runs a `db` subcommand; its output goes to stdout. A reader that stops early (`| head`)
/// ends the command without an error.
pub fn run(command: DbCommand) -> Result<(), NodeError> {
    ignore_broken_pipe(run_inner(command)).map(|_| ())
}

/// `Ok(None)` for a write that failed because the reader went away (`| head`), which ends an
/// output command as the reader wanted; anything else as it is.
pub(crate) fn ignore_broken_pipe<T>(result: Result<T, NodeError>) -> Result<Option<T>, NodeError> {
    match result {
        Err(NodeError::Write { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(None)
        }
        result => result.map(Some),
    }
}

fn run_inner(command: DbCommand) -> Result<(), NodeError> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write_error = |source| NodeError::Write { path: "standard output".into(), source };
    match command {
        DbCommand::Stats(chain) => {
            let (db, _) = chain.open_existing_chain()?;
            let head = db.head_header()?;
            writeln!(out, "head: #{} {}", head.number, head.hash_slow()).map_err(write_error)?;
            writeln!(out, "{:<22} {:>14} {:>12}", "table", "bytes (sst)", "keys (est)")
                .map_err(write_error)?;
            for (table, bytes, keys) in db.table_stats() {
                writeln!(out, "{:<22} {bytes:>14} {keys:>12}", table.name())
                    .map_err(write_error)?;
            }
        }
        DbCommand::List { chain, table, skip, limit } => {
            let db = chain.open_existing_database()?;
            list(&db, table, skip, limit, &mut out)?;
        }
        DbCommand::Get { chain, table, key } => {
            let key_bytes = parse_key(&key)?;
            let db = chain.open_existing_database()?;
            let value = db.get(table, &key_bytes)?.ok_or_else(|| NodeError::KeyNotFound {
                table,
                key: hex::encode_prefixed(&key_bytes),
            })?;
            writeln!(out, "{}", hex::encode_prefixed(value)).map_err(write_error)?;
        }
        DbCommand::Checksum { chain, table } => {
            let db = chain.open_existing_database()?;
            let tables = match table {
                Some(table) => vec![table],
                None => Table::ALL.to_vec(),
            };
            for table in tables {
                let (checksum, entries) = db.table_checksum(table)?;
                writeln!(out, "{:<22} {checksum} {entries:>12}", table.name())
                    .map_err(write_error)?;
            }
        }
        DbCommand::Drop { chain, confirm } => {
            let datadir = chain.datadir();
            if !Database::exists_at(&datadir) {
                return Err(NodeError::NoDatabase { path: datadir });
            }
            if !confirm {
                return Err(NodeError::Flag {
                    flag: "--confirm",
                    message: format!(
                        "`db drop` deletes every block and all state in {}; run it again with --confirm",
                        datadir.display()
                    ),
                });
            }
            Database::destroy(&datadir)?;
            writeln!(out, "deleted the database in {}", datadir.display()).map_err(write_error)?;
        }
    }
    out.flush().map_err(write_error)
}

/// `db list`: `skip` entries, then up to `limit`, one `0x<key> 0x<value>` per line.
fn list(
    db: &Database,
    table: Table,
    skip: usize,
    limit: Option<usize>,
    out: &mut impl Write,
) -> Result<(), NodeError> {
    let write_error = |source| NodeError::Write { path: "standard output".into(), source };
    for entry in db.entries(table, &[]).skip(skip).take(limit.unwrap_or(usize::MAX)) {
        let (key, value) = entry?;
        writeln!(out, "{} {}", hex::encode_prefixed(key), hex::encode_prefixed(value))
            .map_err(write_error)?;
    }
    Ok(())
}

/// A hex key, `0x` optional.
fn parse_key(key: &str) -> Result<Vec<u8>, NodeError> {
    hex::decode(key.trim()).map_err(|err| NodeError::Flag {
        flag: "<KEY>",
        message: format!("{key:?} is not hex: {err}"),
    })
}

/// `phala-node dump-state`: the state after `block` (default: the head) as geth-style `alloc`
/// JSON to `output` (written whole or not at all) or stdout, with a progress bar on a terminal.
pub fn dump_state(
    db: &Database,
    block: Option<u64>,
    output: Option<&Path>,
) -> Result<DumpStats, NodeError> {
    // The number of accounts now: an estimate of the total at a past block.
    let estimate = db
        .table_stats()
        .into_iter()
        .find_map(|(table, _, keys)| (table == Table::Accounts).then_some(keys))
        .unwrap_or_default();
    // A dump to a terminal is not drawn over by the bar.
    let progress = if output.is_none() && std::io::stdout().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        crate::progress::progress_bar(estimate, "accounts", true)
    };
    let on_account = |stats: &DumpStats| progress.set_position(stats.accounts);
    let dump_error = |err: StorageError, path: &Path| match err {
        StorageError::Write(source) => NodeError::Write { path: path.to_path_buf(), source },
        StorageError::BlockAfterHead { number, head } => NodeError::Flag {
            flag: "--block",
            message: format!("block {number} is after the head block {head}"),
        },
        err => err.into(),
    };
    let stats = match output {
        Some(path) => crate::output::write_file_atomically(path, |out| {
            dump_alloc_with_progress(db, block, out, on_account)
                .map_err(|err| dump_error(err, path))
        }),
        None => {
            let stdout = std::io::stdout();
            let out = BufWriter::new(stdout.lock());
            dump_alloc_with_progress(db, block, out, on_account)
                .map_err(|err| dump_error(err, Path::new("standard output")))
        }
    };
    progress.finish_and_clear();
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hex_with_or_without_prefix() {
        assert_eq!(parse_key("0x0a0b").unwrap(), [10, 11]);
        assert_eq!(parse_key("0A0B").unwrap(), [10, 11]);
        assert_eq!(parse_key("").unwrap(), Vec::<u8>::new());
        let error = parse_key("0xzz").unwrap_err().to_string();
        assert!(error.starts_with("<KEY>") && error.contains("0xzz"), "{error}");
    }
}
