//! `eth_getLogs` and the polling filter API (`eth_newFilter`, `eth_newBlockFilter`,
//! `eth_newPendingTransactionFilter`, `eth_getFilterChanges`, `eth_getFilterLogs`,
//! `eth_uninstallFilter`).

use crate::{
    context::NodeContext,
    convert,
    error::{RpcError, RpcResult},
};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::{Filter, FilterBlockOption, FilterChanges, Log};
use std::{
    collections::BTreeMap,
    sync::{Mutex, MutexGuard},
    time::Duration,
};

/// Filters not polled for this many new blocks are dropped (geth drops them after 5 minutes).
const FILTER_IDLE_BLOCKS: u64 = 2_500;

#[derive(Debug, Clone)]
enum FilterKind {
    Logs(Box<Filter>),
    Blocks,
    PendingTransactions(Vec<B256>),
}

#[derive(Debug, Clone)]
struct InstalledFilter {
    kind: FilterKind,
    /// The next block whose logs or hash the filter has not reported yet.
    next_block: u64,
    last_polled_head: u64,
}

/// Installed polling filters, by id.
#[derive(Debug, Default)]
pub struct FilterStore {
    inner: Mutex<FilterState>,
}

#[derive(Debug, Default)]
struct FilterState {
    next_id: u64,
    filters: BTreeMap<U256, InstalledFilter>,
}

impl FilterStore {
    fn lock(&self) -> MutexGuard<'_, FilterState> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn install(&self, kind: FilterKind, head: u64) -> U256 {
        let mut state = self.lock();
        state.next_id += 1;
        // Ids are opaque to clients; mix the counter so they do not look sequential.
        let id = U256::from(state.next_id) * U256::from(0x9e37_79b9_7f4a_7c15_u64);
        state
            .filters
            .retain(|_, filter| head.saturating_sub(filter.last_polled_head) < FILTER_IDLE_BLOCKS);
        state
            .filters
            .insert(id, InstalledFilter { kind, next_block: head + 1, last_polled_head: head });
        id
    }

    /// Records a new pending transaction for the pending-transaction filters.
    pub fn on_pending_transaction(&self, hash: B256) {
        for filter in self.lock().filters.values_mut() {
            if let FilterKind::PendingTransactions(hashes) = &mut filter.kind {
                hashes.push(hash);
            }
        }
    }
}

/// How long an `eth_getLogs` reads blocks on the connection's task before the rest of its
/// scan moves to the blocking pool (where it goes on from that block, nothing read twice).
pub const INLINE_LOGS_BUDGET: Duration = Duration::from_micros(250);

/// `eth_getLogs`.
pub fn get_logs(ctx: &NodeContext, filter: &Filter) -> RpcResult<Vec<Log>> {
    LogScan::new(ctx, filter)?.finish(ctx, filter)
}

/// An `eth_getLogs` under way: the blocks it reads, fixed when it starts (one read of the
/// canonical hashes), how far it got, and the logs found so far. It can stop at a deadline and
/// go on later, elsewhere, from where it stopped.
#[derive(Debug)]
pub struct LogScan {
    blocks: Vec<B256>,
    next: usize,
    logs: Vec<Log>,
}

impl LogScan {
    /// The scan `filter` asks for: one block by hash, or a range of canonical blocks (checked
    /// against the head and the node's range limit).
    pub fn new(ctx: &NodeContext, filter: &Filter) -> RpcResult<Self> {
        let blocks = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                if ctx.header(hash)?.is_none() {
                    return Err(RpcError::server("unknown block"));
                }
                vec![hash]
            }
            FilterBlockOption::Range { from_block, to_block } => {
                let (_, head) = ctx.head()?;
                let from = resolve_bound(ctx, from_block, head.number)?;
                let to = resolve_bound(ctx, to_block, head.number)?;
                if from > to {
                    return Err(RpcError::InvalidParams("invalid block range params".into()));
                }
                if to > head.number {
                    return Err(RpcError::InvalidParams(
                        "block range extends beyond current head block".into(),
                    ));
                }
                canonical_range(ctx, from, to)?
            }
        };
        Ok(Self::over(blocks))
    }

    /// A scan of `blocks`, in order.
    const fn over(blocks: Vec<B256>) -> Self {
        Self { blocks, next: 0, logs: Vec::new() }
    }

    /// Reads blocks until the scan is done (`true`) or `stop` says so before a block
    /// (`false`: call again to go on from that block).
    pub fn run(
        &mut self,
        ctx: &NodeContext,
        filter: &Filter,
        mut stop: impl FnMut() -> bool,
    ) -> RpcResult<bool> {
        let max_logs = ctx.limits().max_logs;
        while let Some(&hash) = self.blocks.get(self.next) {
            if stop() {
                return Ok(false);
            }
            self.next += 1;
            // The bloom comes from the header alone: a block it rules out is neither read
            // whole nor cached.
            let header = ctx.header(hash)?.ok_or(RpcError::HeaderNotFound)?;
            if !filter.matches_bloom(header.logs_bloom) {
                continue;
            }
            block_logs(ctx, filter, hash, &mut self.logs)?;
            if self.logs.len() > max_logs {
                return Err(RpcError::server(format!(
                    "query returned more than {max_logs} results"
                )));
            }
        }
        Ok(true)
    }

    /// Reads the blocks left and returns every log found.
    pub fn finish(mut self, ctx: &NodeContext, filter: &Filter) -> RpcResult<Vec<Log>> {
        self.run(ctx, filter, || false)?;
        Ok(self.logs)
    }

    /// The logs found so far.
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// The logs found.
    pub fn into_logs(self) -> Vec<Log> {
        self.logs
    }
}

fn resolve_bound(ctx: &NodeContext, tag: Option<BlockNumberOrTag>, head: u64) -> RpcResult<u64> {
    match tag {
        None | Some(BlockNumberOrTag::Latest | BlockNumberOrTag::Pending) => Ok(head),
        Some(BlockNumberOrTag::Number(number)) => Ok(number),
        Some(BlockNumberOrTag::Earliest) => Ok(0),
        Some(tag) => Ok(ctx.block_by_tag(tag)?.ok_or(RpcError::HeaderNotFound)?.1.number),
    }
}

/// The canonical blocks `from..=to`, within the node's limit on a log query's range.
fn canonical_range(ctx: &NodeContext, from: u64, to: u64) -> RpcResult<Vec<B256>> {
    let limit = ctx.limits().max_logs_block_range;
    if to - from >= limit {
        return Err(RpcError::server(format!("query exceeds max block range {limit}")));
    }
    Ok(ctx.db().canonical_hashes(from, to)?)
}

fn logs_in_range(ctx: &NodeContext, filter: &Filter, from: u64, to: u64) -> RpcResult<Vec<Log>> {
    LogScan::over(canonical_range(ctx, from, to)?).finish(ctx, filter)
}

/// The logs of block `hash` that match `filter`'s addresses and topics (the callers choose the
/// blocks).
fn block_logs(ctx: &NodeContext, filter: &Filter, hash: B256, out: &mut Vec<Log>) -> RpcResult<()> {
    if let Some(cached) = ctx.cached_block(hash)? {
        convert::matching_logs(&cached, |log| filter.matches(log), out);
    }
    Ok(())
}

/// `eth_newFilter`.
pub fn new_filter(ctx: &NodeContext, filter: Filter) -> RpcResult<U256> {
    let (_, head) = ctx.head()?;
    Ok(ctx.filters.install(FilterKind::Logs(Box::new(filter)), head.number))
}

/// `eth_newBlockFilter`.
pub fn new_block_filter(ctx: &NodeContext) -> RpcResult<U256> {
    let (_, head) = ctx.head()?;
    Ok(ctx.filters.install(FilterKind::Blocks, head.number))
}

/// `eth_newPendingTransactionFilter`.
pub fn new_pending_transaction_filter(ctx: &NodeContext) -> RpcResult<U256> {
    let (_, head) = ctx.head()?;
    Ok(ctx.filters.install(FilterKind::PendingTransactions(Vec::new()), head.number))
}

/// `eth_uninstallFilter`.
pub fn uninstall_filter(ctx: &NodeContext, id: U256) -> bool {
    ctx.filters.lock().filters.remove(&id).is_some()
}

fn filter_not_found() -> RpcError {
    RpcError::server("filter not found")
}

/// `eth_getFilterChanges`: what happened since the last poll.
pub fn filter_changes(ctx: &NodeContext, id: U256) -> RpcResult<FilterChanges> {
    let (_, head) = ctx.head()?;
    let (kind, from) = {
        let mut state = ctx.filters.lock();
        let filter = state.filters.get_mut(&id).ok_or_else(filter_not_found)?;
        let from = filter.next_block;
        filter.next_block = head.number + 1;
        filter.last_polled_head = head.number;
        let kind = match &mut filter.kind {
            FilterKind::PendingTransactions(hashes) => {
                FilterKind::PendingTransactions(std::mem::take(hashes))
            }
            other => other.clone(),
        };
        (kind, from)
    };
    match kind {
        FilterKind::PendingTransactions(hashes) => Ok(FilterChanges::Hashes(hashes)),
        FilterKind::Blocks => {
            Ok(FilterChanges::Hashes(ctx.db().canonical_hashes(from, head.number)?))
        }
        FilterKind::Logs(filter) => {
            if from > head.number {
                return Ok(FilterChanges::Logs(Vec::new()));
            }
            let (start, end) = clamp_range(ctx, &filter, from, head.number)?;
            if start > end {
                return Ok(FilterChanges::Logs(Vec::new()));
            }
            Ok(FilterChanges::Logs(logs_in_range(ctx, &filter, start, end)?))
        }
    }
}

/// `eth_getFilterLogs`: every log the filter matches.
pub fn filter_logs(ctx: &NodeContext, id: U256) -> RpcResult<Vec<Log>> {
    let kind = ctx.filters.lock().filters.get(&id).map(|filter| filter.kind.clone());
    match kind {
        Some(FilterKind::Logs(filter)) => get_logs(ctx, &filter),
        Some(_) => Err(RpcError::server("filter is not a log filter")),
        None => Err(filter_not_found()),
    }
}

/// The part of `[from, to]` a log filter's own range allows.
fn clamp_range(ctx: &NodeContext, filter: &Filter, from: u64, to: u64) -> RpcResult<(u64, u64)> {
    match filter.block_option {
        FilterBlockOption::AtBlockHash(_) => Ok((from, to)),
        FilterBlockOption::Range { from_block, to_block } => {
            let start = match from_block {
                Some(BlockNumberOrTag::Number(number)) => from.max(number),
                _ => from,
            };
            let end = match to_block {
                Some(BlockNumberOrTag::Number(number)) => to.min(number),
                Some(tag @ (BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized)) => {
                    ctx.block_by_tag(tag)?.map_or(0, |(_, header)| header.number).min(to)
                }
                _ => to,
            };
            Ok((start, end))
        }
    }
}
