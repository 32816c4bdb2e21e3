//! A Prometheus endpoint (`--metrics <addr>`): chain head, pool sizes and database size, in the
//! text exposition format, on any path.

use phala_engine::Engine;
use phala_rpc::server::ServerError;
use std::{net::SocketAddr, sync::Arc};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::watch,
};

/// The metrics text for the current state.
pub fn render(ctx: &Engine) -> String {
    let head = ctx.canonical_head().map(|(_, header)| header).ok();
    let (pending, queued) = ctx.pool().status();
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: u64| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"));
    };
    gauge(
        "phala_chain_head_number",
        "Number of the canonical head block",
        head.as_ref().map_or(0, |h| h.number),
    );
    gauge(
        "phala_chain_head_timestamp",
        "Timestamp of the canonical head block",
        head.as_ref().map_or(0, |h| h.timestamp),
    );
    gauge(
        "phala_chain_head_gas_used",
        "Gas used by the canonical head block",
        head.as_ref().map_or(0, |h| h.gas_used),
    );
    gauge("phala_txpool_pending", "Executable transactions in the pool", pending as u64);
    gauge("phala_txpool_queued", "Transactions waiting for a nonce gap to close", queued as u64);
    let db_bytes: u64 = ctx.db().table_stats().iter().map(|(_, bytes, _)| bytes).sum();
    gauge("phala_db_sst_bytes", "Size of the database's SST files", db_bytes);
    out
}

/// Binds `addr` and serves metrics until `shutdown` turns true. Returns the bound address, or
/// the RPC servers' bind error.
pub async fn serve(
    ctx: Arc<Engine>,
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
                            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
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
