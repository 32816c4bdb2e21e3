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
use phala_storage::KeyValueRead;
use std::{
    collections::BTreeMap,
    sync::{Mutex, MutexGuard},
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

/// `eth_getLogs`.
pub fn get_logs(ctx: &NodeContext, filter: &Filter) -> RpcResult<Vec<Log>> {
    match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            if ctx.db().header(hash)?.is_none() {
                return Err(RpcError::server("unknown block"));
            }
            let mut logs = Vec::new();
            block_logs(ctx, filter, hash, &mut logs)?;
            Ok(logs)
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
            logs_in_range(ctx, filter, from, to)
        }
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

fn logs_in_range(ctx: &NodeContext, filter: &Filter, from: u64, to: u64) -> RpcResult<Vec<Log>> {
    let limits = ctx.limits();
    if to - from >= limits.max_logs_block_range {
        return Err(RpcError::server(format!(
            "query exceeds max block range {}",
            limits.max_logs_block_range
        )));
    }
    let mut logs = Vec::new();
    for number in from..=to {
        let Some(hash) = ctx.db().canonical_hash(number)? else { break };
        // The bloom comes from the header alone: a block it rules out is neither read whole
        // nor cached.
        let header = ctx.header(hash)?.ok_or(RpcError::HeaderNotFound)?;
        if !filter.matches_bloom(header.logs_bloom) {
            continue;
        }
        block_logs(ctx, filter, hash, &mut logs)?;
        if logs.len() > limits.max_logs {
            return Err(RpcError::server(format!(
                "query returned more than {} results",
                limits.max_logs
            )));
        }
    }
    Ok(logs)
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
            let mut hashes = Vec::new();
            for number in from..=head.number {
                if let Some(hash) = ctx.db().canonical_hash(number)? {
                    hashes.push(hash);
                }
            }
            Ok(FilterChanges::Hashes(hashes))
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
