//! [`Proposer`]: posts the output roots of safe L2 blocks to an L1 output oracle.
//!
//! The oracle names the next L2 block it takes an output for (`nextBlockNumber()`, a multiple of
//! its submission interval); once this node's derivation has made that block safe (derived from
//! L1 data), the proposer posts the block's version-0 output root ([`output_at`]). The proposal
//! is signed, recorded in the database ([`PROPOSER_IN_FLIGHT_KEY`]) and only then sent, so a
//! proposer killed at any point finds on restart what it sent: a proposal that landed is not sent
//! again, one that did not is re-sent under the same nonce, and the oracle's own counter decides
//! what comes next. No interval is skipped and none is proposed twice.
//!
//! The oracle is behind the [`OutputOracle`] trait: [`L2OutputOracle`] (OP Bedrock's) now; OP
//! Succinct's `OPSuccinctL2OutputOracle`, whose optimistic mode takes the same inputs, can be
//! another implementation.

use crate::{
    RollupError, RollupResult,
    l2::{L2Output, output_at},
    records::{delete_record, read_record, write_record},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_sol_types::SolCall;
use phala_engine::Engine;
use phala_l1::{L1Call, L1Client, L1Wallet, bindings::IL2OutputOracle};
use phala_protocol::{derive::L2BlockRef, rollup::BlockRef};
use serde::{Deserialize, Serialize};
use std::{future::Future, sync::Arc, time::Duration};
use tokio::sync::watch;
use tracing::{debug, info, warn};

/// The database record of the proposal in flight.
pub const PROPOSER_IN_FLIGHT_KEY: &str = "proposer.in_flight";

/// An L1 contract that takes output proposals.
pub trait OutputOracle: Send + Sync + 'static {
    /// The contract's address.
    fn address(&self) -> Address;

    /// The next L2 block number the oracle takes an output for.
    fn next_block_number(&self) -> impl Future<Output = RollupResult<u64>> + Send;

    /// The account the oracle takes proposals from.
    fn proposer(&self) -> impl Future<Output = RollupResult<Address>> + Send;

    /// The calldata that proposes `output`, anchored at the L1 block `l1` (the oracle checks the
    /// anchor's hash, so a proposal made on an L1 branch that was re-organised away reverts).
    fn propose_calldata(&self, output: &L2Output, l1: BlockRef) -> Bytes;
}

/// OP Bedrock's `L2OutputOracle`.
#[derive(Debug, Clone)]
pub struct L2OutputOracle {
    client: L1Client,
    address: Address,
}

impl L2OutputOracle {
    /// The oracle at `address` on the L1 of `client`.
    pub const fn new(client: L1Client, address: Address) -> Self {
        Self { client, address }
    }

    async fn read<C: SolCall>(&self, call: C) -> RollupResult<C::Return> {
        let output = self.client.call_contract(self.address, call.abi_encode().into()).await?;
        C::abi_decode_returns(&output)
            .map_err(|_| RollupError::OracleCall { oracle: self.address, method: C::SIGNATURE })
    }
}

impl OutputOracle for L2OutputOracle {
    fn address(&self) -> Address {
        self.address
    }

    async fn next_block_number(&self) -> RollupResult<u64> {
        let next = self.read(IL2OutputOracle::nextBlockNumberCall {}).await?;
        u64::try_from(next).map_err(|_| RollupError::OracleCall {
            oracle: self.address,
            method: "nextBlockNumber()",
        })
    }

    async fn proposer(&self) -> RollupResult<Address> {
        self.read(IL2OutputOracle::proposerCall {}).await
    }

    fn propose_calldata(&self, output: &L2Output, l1: BlockRef) -> Bytes {
        IL2OutputOracle::proposeL2OutputCall {
            _outputRoot: output.output_root,
            _l2BlockNumber: U256::from(output.number),
            _l1BlockHash: l1.hash,
            _l1BlockNumber: U256::from(l1.number),
        }
        .abi_encode()
        .into()
    }
}

/// How the proposer works.
#[derive(Debug, Clone)]
pub struct ProposerConfig {
    /// How often it checks the oracle and its transaction.
    pub poll_interval: Duration,
    /// L1 blocks a sent proposal may stay unmined before it is sent again with higher fees.
    pub resubmit_after: u64,
}

impl Default for ProposerConfig {
    fn default() -> Self {
        Self { poll_interval: Duration::from_secs(1), resubmit_after: 4 }
    }
}

/// The proposal in flight, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct InFlight {
    l2_block: u64,
    output_root: B256,
    nonce: u64,
    gas: u64,
    calldata: Bytes,
    /// Every hash it was sent under (a re-send with higher fees has a new one).
    hashes: Vec<B256>,
    /// The last signed transaction.
    raw: Bytes,
    /// The L1 head when it was last sent.
    sent_at: u64,
    attempts: u32,
}

/// What one round of the proposer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposerStep {
    /// Nothing to do yet: the next output's block is not safe (or not yet before L1's time).
    Wait,
    /// A proposal was sent (or sent again).
    Sent {
        /// The L2 block proposed.
        l2_block: u64,
        /// The transaction hash.
        hash: B256,
    },
    /// A proposal landed.
    Landed {
        /// The L2 block proposed.
        l2_block: u64,
        /// L1 gas it used.
        gas_used: u64,
    },
    /// A proposal is still pending on L1.
    Pending,
    /// The recorded proposal is void (reverted, superseded, its nonce taken); the next round
    /// starts again from the oracle.
    Dropped,
}

/// The proposer service.
#[derive(Debug)]
pub struct Proposer<O> {
    engine: Arc<Engine>,
    wallet: L1Wallet,
    oracle: O,
    config: ProposerConfig,
    safe_head: watch::Receiver<L2BlockRef>,
    /// The last transaction this process sent (a recorded one from before a restart is sent
    /// once more).
    broadcast: Option<B256>,
}

impl<O: OutputOracle> Proposer<O> {
    /// A proposer of `engine`'s safe outputs to `oracle` from `wallet`, following `safe_head`.
    /// Fails when the oracle takes proposals from another account.
    pub async fn new(
        engine: Arc<Engine>,
        wallet: L1Wallet,
        oracle: O,
        config: ProposerConfig,
        safe_head: watch::Receiver<L2BlockRef>,
    ) -> RollupResult<Self> {
        let expected = oracle.proposer().await?;
        if expected != wallet.address() {
            return Err(RollupError::NotTheProposer {
                oracle: oracle.address(),
                proposer: expected,
                key: wallet.address(),
            });
        }
        Ok(Self { engine, wallet, oracle, config, safe_head, broadcast: None })
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        info!(target: "proposer", oracle = %self.oracle.address(), proposer = %self.wallet.address(), "proposer started");
        loop {
            match self.step().await {
                Ok(ProposerStep::Landed { l2_block, gas_used }) => {
                    info!(target: "proposer", l2_block, gas_used, "output proposed")
                }
                Ok(ProposerStep::Sent { l2_block, hash }) => {
                    info!(target: "proposer", l2_block, %hash, "proposal sent")
                }
                Ok(_) => {}
                Err(err) => warn!(target: "proposer", %err, "proposer round failed"),
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    }

    /// One round: follow the proposal in flight, or send the next one once its block is safe.
    pub async fn step(&mut self) -> RollupResult<ProposerStep> {
        let db = self.engine.db();
        if let Some(flight) = read_record::<InFlight>(db, PROPOSER_IN_FLIGHT_KEY)? {
            return self.follow(flight).await;
        }
        let next = self.oracle.next_block_number().await?;
        let safe = *self.safe_head.borrow();
        if next > safe.number {
            return Ok(ProposerStep::Wait);
        }
        // The block at `next` is at or below the safe head on the canonical chain: safe.
        let output = output_at(db, next)?.ok_or(RollupError::L2BlockMissing(next))?;
        let client = self.wallet.client();
        let l1_head = client
            .block_header_by_number(BlockNumberOrTag::Latest)
            .await?
            .ok_or(RollupError::L1BlockUnavailable(0))?
            .header;
        // The oracle refuses an output whose L2 time is not before the L1 block's.
        if output.timestamp >= l1_head.timestamp {
            return Ok(ProposerStep::Wait);
        }
        let anchor = BlockRef { hash: l1_head.hash, number: l1_head.number };
        let call = L1Call {
            to: Some(self.oracle.address()),
            data: self.oracle.propose_calldata(&output, anchor),
            ..Default::default()
        };
        let signed = self.wallet.sign(&call, None, 1).await?;
        let flight = InFlight {
            l2_block: next,
            output_root: output.output_root,
            nonce: signed.nonce,
            gas: signed.gas_limit,
            calldata: call.data.clone(),
            hashes: vec![signed.hash],
            raw: signed.raw.clone(),
            sent_at: l1_head.number,
            attempts: 1,
        };
        write_record(db, PROPOSER_IN_FLIGHT_KEY, &flight)?;
        self.broadcast = Some(signed.hash);
        self.wallet.send_signed(&signed).await?;
        Ok(ProposerStep::Sent { l2_block: next, hash: signed.hash })
    }

    /// Follows the recorded proposal: done when it landed, dropped when it cannot land any more,
    /// sent again with higher fees when it stayed unmined for `resubmit_after` L1 blocks.
    async fn follow(&mut self, mut flight: InFlight) -> RollupResult<ProposerStep> {
        let db = self.engine.db();
        let client = self.wallet.client().clone();
        for hash in &flight.hashes {
            if let Some(receipt) = client.receipt(*hash).await? {
                delete_record(db, PROPOSER_IN_FLIGHT_KEY)?;
                if receipt.status() {
                    return Ok(ProposerStep::Landed {
                        l2_block: flight.l2_block,
                        gas_used: receipt.gas_used,
                    });
                }
                warn!(target: "proposer", l2_block = flight.l2_block, %hash, "proposal reverted; proposing again");
                return Ok(ProposerStep::Dropped);
            }
        }
        if self.oracle.next_block_number().await? != flight.l2_block {
            // Another proposal took this interval (or ours landed under a hash not recorded).
            delete_record(db, PROPOSER_IN_FLIGHT_KEY)?;
            return Ok(ProposerStep::Dropped);
        }
        let confirmed_nonce = client.nonce(self.wallet.address(), BlockNumberOrTag::Latest).await?;
        if confirmed_nonce > flight.nonce {
            warn!(target: "proposer", nonce = flight.nonce, "the proposal's nonce was used by another transaction; proposing again");
            delete_record(db, PROPOSER_IN_FLIGHT_KEY)?;
            return Ok(ProposerStep::Dropped);
        }
        let l1_head = client.block_number().await?;
        if l1_head < flight.sent_at + self.config.resubmit_after {
            let last = flight.hashes.last().copied().unwrap_or_default();
            if self.broadcast != Some(last) {
                // After a restart the recorded transaction may never have gone out: send the
                // same bytes again (an L1 that already has it refuses the copy, which is fine).
                if let Err(err) = client.send_raw_transaction(&flight.raw).await {
                    debug!(target: "proposer", %err, "re-broadcast of the recorded proposal refused");
                }
                self.broadcast = Some(last);
            }
            return Ok(ProposerStep::Pending);
        }
        let call = L1Call {
            to: Some(self.oracle.address()),
            data: flight.calldata.clone(),
            gas: Some(flight.gas),
            ..Default::default()
        };
        let multiplier = 1u128 << flight.attempts.min(6);
        let signed = self.wallet.sign(&call, Some(flight.nonce), multiplier).await?;
        flight.hashes.push(signed.hash);
        flight.raw = signed.raw.clone();
        flight.attempts += 1;
        flight.sent_at = l1_head;
        write_record(db, PROPOSER_IN_FLIGHT_KEY, &flight)?;
        self.broadcast = Some(signed.hash);
        warn!(target: "proposer", l2_block = flight.l2_block, nonce = flight.nonce, attempt = flight.attempts, "proposal not mined; sending it again with higher fees");
        let hash = self.wallet.send_signed(&signed).await?;
        Ok(ProposerStep::Sent { l2_block: flight.l2_block, hash })
    }
}
