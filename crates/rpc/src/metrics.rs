//! [`RpcMetrics`]: latency and outcome of every JSON-RPC call by method, recorded by a jsonrpsee
//! RPC middleware ([`RpcMetricsLayer`]) so no handler has to time itself. Calls inside a batch
//! are timed one by one, as single calls are.
//!
//! The `method` label takes only the names the server registered; any other name is counted as
//! `unknown`, so a client cannot grow the metrics page by calling made-up methods.

use jsonrpsee::server::{
    BatchResponseBuilder,
    middleware::rpc::{Batch, BatchEntry, MethodResponse, Notification, Request, RpcServiceT},
};
use phala_metrics::{Counter, Exposition, Histogram, MetricType, RPC_SECONDS_BUCKETS};
use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    sync::{Arc, Mutex},
    time::Instant,
};

/// The `method` label of calls to names no server registered.
pub const UNKNOWN_METHOD: &str = "unknown";

/// What is recorded for one method.
#[derive(Debug)]
struct MethodMetrics {
    latency: Histogram,
    ok: Counter,
    error: Counter,
}

impl MethodMetrics {
    fn new() -> Self {
        Self {
            latency: Histogram::new(RPC_SECONDS_BUCKETS),
            ok: Counter::new(),
            error: Counter::new(),
        }
    }

    fn record(&self, start: Instant, success: bool) {
        self.latency.observe_since(start);
        if success { self.ok.increment() } else { self.error.increment() }
    }
}

/// Per-method RPC metrics of every server of a node (the public HTTP/WS servers and the Engine
/// API share one).
#[derive(Debug)]
pub struct RpcMetrics {
    methods: Mutex<BTreeMap<&'static str, Arc<MethodMetrics>>>,
    unknown: Arc<MethodMetrics>,
}

impl Default for RpcMetrics {
    fn default() -> Self {
        Self { methods: Mutex::default(), unknown: Arc::new(MethodMetrics::new()) }
    }
}

impl RpcMetrics {
    /// No calls yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The layer for a server serving `methods`: it records into these metrics.
    pub fn layer(
        &self,
        methods: impl IntoIterator<Item = &'static str>,
        max_response_size: u32,
    ) -> RpcMetricsLayer {
        let mut known = self.methods.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let table = methods
            .into_iter()
            .map(|name| {
                let metrics = known.entry(name).or_insert_with(|| Arc::new(MethodMetrics::new()));
                (name, metrics.clone())
            })
            .collect();
        RpcMetricsLayer {
            table: Arc::new(MethodTable { methods: table, unknown: self.unknown.clone() }),
            max_response_size: max_response_size as usize,
        }
    }

    /// Calls of `method` so far, as `(ok, error)`.
    pub fn calls(&self, method: &str) -> (u64, u64) {
        let known = self.methods.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let metrics = known.get(method).unwrap_or(&self.unknown);
        (metrics.ok.get(), metrics.error.get())
    }

    /// Writes the RPC families, for the methods that were called at least once.
    pub fn encode(&self, out: &mut Exposition) {
        let known = self.methods.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let called: Vec<(&str, &MethodMetrics)> = known
            .iter()
            .map(|(name, metrics)| (*name, metrics.as_ref()))
            .chain([(UNKNOWN_METHOD, self.unknown.as_ref())])
            .filter(|(_, metrics)| metrics.ok.get() + metrics.error.get() > 0)
            .collect();
        out.family(
            "phala_rpc_requests_total",
            "JSON-RPC calls by method and outcome (ok or error), batch entries included",
            MetricType::Counter,
        );
        for (method, metrics) in &called {
            for (outcome, counter) in [("ok", &metrics.ok), ("error", &metrics.error)] {
                out.sample(
                    "phala_rpc_requests_total",
                    &[("method", method), ("outcome", outcome)],
                    counter.get(),
                );
            }
        }
        out.family(
            "phala_rpc_request_duration_seconds",
            "Time to answer a JSON-RPC call, by method",
            MetricType::Histogram,
        );
        for (method, metrics) in &called {
            out.histogram_samples(
                "phala_rpc_request_duration_seconds",
                &[("method", method)],
                &metrics.latency.snapshot(),
            );
        }
    }
}

/// One server's method names to their metrics; fixed when the server starts, so a call looks
/// its method up without a lock.
#[derive(Debug)]
struct MethodTable {
    methods: HashMap<&'static str, Arc<MethodMetrics>>,
    unknown: Arc<MethodMetrics>,
}

impl MethodTable {
    fn get(&self, method: &str) -> Arc<MethodMetrics> {
        self.methods.get(method).unwrap_or(&self.unknown).clone()
    }
}

/// The jsonrpsee RPC middleware layer of [`RpcMetrics`] (`RpcServiceBuilder::layer`).
#[derive(Debug, Clone)]
pub struct RpcMetricsLayer {
    table: Arc<MethodTable>,
    /// The server's response limit, which a batch's answer must keep to as the server's own
    /// batch handling does.
    max_response_size: usize,
}

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetricsService {
            inner,
            table: self.table.clone(),
            max_response_size: self.max_response_size,
        }
    }
}

/// The service [`RpcMetricsLayer`] wraps around the server's.
#[derive(Debug, Clone)]
pub struct RpcMetricsService<S> {
    inner: S,
    table: Arc<MethodTable>,
    max_response_size: usize,
}

impl<S> RpcServiceT for RpcMetricsService<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let metrics = self.table.get(request.method_name());
        let inner = self.inner.clone();
        async move {
            let start = Instant::now();
            let response = inner.call(request).await;
            metrics.record(start, response.is_success());
            response
        }
    }

    /// The server's own batch handling calls its inner service directly, past this middleware;
    /// so the entries are answered here, each through [`Self::call`], assembled as the server
    /// does (in order, within the response limit; notifications get no entry).
    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let service = self.clone();
        async move {
            let mut responses = BatchResponseBuilder::new_with_limit(service.max_response_size);
            let mut got_notification = false;
            for entry in batch.into_iter() {
                let response = match entry {
                    Ok(BatchEntry::Call(request)) => service.call(request).await,
                    Ok(BatchEntry::Notification(notification)) => {
                        got_notification = true;
                        service.inner.notification(notification).await;
                        continue;
                    }
                    Err(invalid) => {
                        let (error, id) = invalid.into_parts();
                        MethodResponse::error(id, error)
                    }
                };
                if let Err(too_large) = responses.append(response) {
                    return too_large;
                }
            }
            if responses.is_empty() && got_notification {
                MethodResponse::notification()
            } else {
                MethodResponse::from_batch(responses.finish())
            }
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.inner.notification(notification)
    }
}
