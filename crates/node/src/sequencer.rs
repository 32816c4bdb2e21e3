//! The dev sequencer: has the engine seal blocks from the pool in the dev chain's mining mode
//! (one per transaction, on a timer, or only when asked), which the cheat RPCs can change while
//! it runs. A sealed block is committed with the writes the builder made, without executing it
//! again.

use phala_engine::{Engine, MiningMode};
use std::sync::Arc;
use tokio::sync::watch;
use tracing::{info, warn};

/// Seals dev blocks.
#[derive(Debug)]
pub struct Sequencer {
    engine: Arc<Engine>,
}

impl Sequencer {
    /// A sequencer on a dev chain's `engine` (see [`Engine::with_dev`]).
    pub const fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }

    /// Seals blocks until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let Some(dev) = self.engine.dev() else {
            warn!(target: "sequencer", "not a dev chain: no blocks are sealed");
            return;
        };
        let mut modes = dev.subscribe_mining();
        loop {
            let mode = *modes.borrow_and_update();
            let mut ticker = match mode {
                MiningMode::Interval(period) => {
                    let mut ticker = tokio::time::interval(period);
                    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    ticker.tick().await;
                    Some(ticker)
                }
                MiningMode::Auto | MiningMode::Manual => None,
            };
            // Seal in this mode until it changes.
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    changed = modes.changed() => {
                        if changed.is_err() { return }
                        break;
                    }
                    _ = async {
                        match (&mut ticker, mode) {
                            (Some(ticker), _) => { ticker.tick().await; }
                            (None, MiningMode::Auto) => {
                                self.engine.transaction_arrived().notified().await
                            }
                            (None, _) => std::future::pending::<()>().await,
                        }
                    } => {}
                }
                let only_if_pending = mode == MiningMode::Auto;
                let engine = self.engine.clone();
                let sealed = tokio::task::spawn_blocking(move || {
                    engine.mine_dev_block(None, only_if_pending)
                })
                .await;
                match sealed {
                    Ok(Ok(Some(block))) => info!(
                        target: "sequencer",
                        number = block.number,
                        hash = %block.hash,
                        txs = block.transactions,
                        "sealed block"
                    ),
                    Ok(Ok(None)) => {}
                    Ok(Err(err)) => warn!(target: "sequencer", %err, "failed to seal a block"),
                    Err(err) => warn!(target: "sequencer", %err, "block task failed"),
                }
            }
        }
    }
}
