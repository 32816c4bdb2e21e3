//! `eth_subscribe` / `eth_unsubscribe` over WebSocket: `newHeads`, `logs` and
//! `newPendingTransactions`.

use crate::{context::NodeContext, convert, error::RpcError};
use alloy_rpc_types_eth::{Filter, Header as RpcHeader};
use jsonrpsee::{
    PendingSubscriptionSink, RpcModule, SubscriptionMessage, SubscriptionSink,
    types::ErrorObjectOwned,
};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast::{Receiver, error::RecvError};

async fn send<T: Serialize>(sink: &SubscriptionSink, item: &T) -> Result<(), ()> {
    let raw = serde_json::value::to_raw_value(item).map_err(|_| ())?;
    sink.send(SubscriptionMessage::from(raw)).await.map_err(|_| ())
}

/// Forwards items from `rx`, converted by `convert`, until the client goes away.
async fn forward<T: Clone, U: Serialize>(
    sink: SubscriptionSink,
    mut rx: Receiver<T>,
    mut convert: impl FnMut(T) -> Vec<U>,
) {
    loop {
        tokio::select! {
            _ = sink.closed() => break,
            item = rx.recv() => match item {
                Ok(item) => {
                    for out in convert(item) {
                        if send(&sink, &out).await.is_err() {
                            return;
                        }
                    }
                }
                // A slow client misses items rather than stalling the node.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
        }
    }
}

/// Adds `eth_subscribe` and `eth_unsubscribe` to `module`.
pub fn register(module: &mut RpcModule<NodeContext>) {
    module
        .register_subscription(
            "eth_subscribe",
            "eth_subscription",
            "eth_unsubscribe",
            |params, pending: PendingSubscriptionSink, ctx: Arc<NodeContext>, _| async move {
                let mut seq = params.sequence();
                let kind: String = match seq.next() {
                    Ok(kind) => kind,
                    Err(err) => {
                        pending.reject(err).await;
                        return Ok(());
                    }
                };
                match kind.as_str() {
                    "newHeads" => {
                        let rx = ctx.subscribe_heads();
                        let sink = pending.accept().await?;
                        forward(sink, rx, |head| {
                            vec![RpcHeader {
                                hash: head.hash,
                                inner: head.header,
                                total_difficulty: None,
                                size: None,
                            }]
                        })
                        .await;
                    }
                    "logs" => {
                        let filter: Filter = match seq.optional_next() {
                            Ok(filter) => filter.unwrap_or_default(),
                            Err(err) => {
                                pending.reject(err).await;
                                return Ok(());
                            }
                        };
                        let rx = ctx.subscribe_heads();
                        let sink = pending.accept().await?;
                        let ctx = ctx.clone();
                        forward(sink, rx, move |head| {
                            convert::block_logs(&ctx, head.hash)
                                .unwrap_or_default()
                                .into_iter()
                                .filter(|log| filter.rpc_matches(log))
                                .collect()
                        })
                        .await;
                    }
                    "newPendingTransactions" => {
                        let full: bool = seq.optional_next().ok().flatten().unwrap_or(false);
                        let rx = ctx.subscribe_pending_transactions();
                        let sink = pending.accept().await?;
                        let ctx = ctx.clone();
                        forward(sink, rx, move |hash| {
                            if full {
                                ctx.pool()
                                    .get(&hash)
                                    .map(|pooled| {
                                        serde_json::to_value(convert::rpc_transaction(
                                            pooled.tx.clone().into(),
                                            pooled.sender,
                                            None,
                                        ))
                                        .unwrap_or_default()
                                    })
                                    .into_iter()
                                    .collect()
                            } else {
                                vec![serde_json::to_value(hash).unwrap_or_default()]
                            }
                        })
                        .await;
                    }
                    other => {
                        let error: ErrorObjectOwned =
                            RpcError::InvalidParams(format!("unsupported subscription: {other}"))
                                .into();
                        pending.reject(error).await;
                    }
                }
                Ok(())
            },
        )
        .expect("subscription names are unique");
}
