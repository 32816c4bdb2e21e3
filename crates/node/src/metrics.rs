//! A Prometheus endpoint (`--metrics <addr>`), in the text exposition format, on any path:
//! the chain head, the block pipeline's timings and counters ([`phala_engine::EngineMetrics`]),
//! the pool ([`phala_pool::TxPool::encode_metrics`]), RPC latency by method
//! ([`phala_rpc::RpcMetrics`]), the database's size per table, and the process's memory and
//! file descriptors.

use phala_metrics::{Exposition, MetricType, process};
use phala_rpc::{NodeContext, server::ServerError};
use std::{net::SocketAddr, sync::Arc};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::watch,
};

/// The metrics page for the current state.
pub fn render(ctx: &NodeContext) -> String {
    let engine = ctx.engine();
    let mut out = Exposition::new();
    let head = engine.canonical_head().map(|(_, header)| header).ok();
    out.gauge(
        "phala_chain_head_number",
        "Number of the canonical head block",
        head.as_ref().map_or(0, |h| h.number),
    );
    out.gauge(
        "phala_chain_head_timestamp",
        "Timestamp of the canonical head block",
        head.as_ref().map_or(0, |h| h.timestamp),
    );
    out.gauge(
        "phala_chain_head_gas_used",
        "Gas used by the canonical head block",
        head.as_ref().map_or(0, |h| h.gas_used),
    );
    engine.metrics().encode(&mut out);
    engine.pool().encode_metrics(&mut out);
    ctx.rpc_metrics().encode(&mut out);
    encode_database(ctx, &mut out);
    encode_process(&mut out);
    out.finish()
}

/// Total and per-table sizes of the database (RocksDB's SST files; memtables not included).
fn encode_database(ctx: &NodeContext, out: &mut Exposition) {
    let tables = ctx.engine().db().table_stats();
    out.gauge(
        "phala_db_sst_bytes",
        "Size of the database's SST files",
        tables.iter().map(|(_, bytes, _)| bytes).sum(),
    );
    out.family(
        "phala_db_table_size_bytes",
        "Size of a table's SST files, by table",
        MetricType::Gauge,
    );
    for (table, bytes, _) in &tables {
        out.sample("phala_db_table_size_bytes", &[("table", table.name())], *bytes);
    }
    out.family(
        "phala_db_table_entries",
        "RocksDB's estimate of a table's keys, by table",
        MetricType::Gauge,
    );
    for (table, _, keys) in &tables {
        out.sample("phala_db_table_entries", &[("table", table.name())], *keys);
    }
}

/// Resident memory and open file descriptors, where `/proc` tells them.
fn encode_process(out: &mut Exposition) {
    if let Some(bytes) = process::resident_memory_bytes() {
        out.gauge("phala_process_resident_memory_bytes", "Resident set size of the process", bytes);
    }
    if let Some(fds) = process::open_fds() {
        out.gauge("phala_process_open_fds", "Open file descriptors of the process", fds);
    }
}

/// Binds `addr` and serves metrics until `shutdown` turns true. Returns the bound address, or
/// the RPC servers' bind error.
pub async fn serve(
    ctx: Arc<NodeContext>,
    addr: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) -> Result<SocketAddr, ServerError> {
    let bind_error = |source| ServerError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                accepted = listener.accept() => {
                    let Ok((mut stream, _)) = accepted else { continue };
                    let ctx = ctx.clone();
                    tokio::spawn(async move {
                        // The request itself does not matter; read what arrived and answer.
                        let mut buf = [0u8; 1024];
                        let _ = stream.read(&mut buf).await;
                        let body = tokio::task::spawn_blocking(move || render(&ctx)).await.unwrap_or_default();
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            Exposition::CONTENT_TYPE,
                            body.len()
                        );
                        let _ = stream.write_all(response.as_bytes()).await;
                    });
                }
            }
        }
    });
    Ok(bound)
}
