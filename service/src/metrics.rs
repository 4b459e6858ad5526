//! What a treeherd process counts about itself, for Prometheus (`GET /metrics`): requests by
//! GraphQL operation and by HTTP route with their latency, GraphQL errors by code, jobs
//! written and how late they arrived, logs parsed by outcome; and, read when scraped, the
//! parse queue, the live graph and the connection pool ([`StoreVitals`]).
//!
//! Metrics live in the service, not in a front door, because every way in (GraphQL, REST,
//! pulse over HTTP or AMQP, the parse worker) writes through the service. Labels are bounded:
//! an operation name is a label only among the first [`MAX_OPERATIONS`] names seen (later ones
//! count as `other`), so no client can grow the scrape without bound; routes are the
//! server's own patterns; codes, kinds and outcomes are closed sets. The formatting is
//! `prometheus-client`'s (OpenMetrics text, which Prometheus reads).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use treeherd_store::{Job, StoreVitals};

/// Distinct operation names kept as labels; later names are counted as `other`.
pub const MAX_OPERATIONS: usize = 200;
/// Distinct error codes kept as labels (the API's codes are far fewer).
const MAX_CODES: usize = 50;

/// The label of a request without an operation name.
const ANONYMOUS: &str = "anonymous";
/// The label of a name past the bound.
const OTHER: &str = "other";

/// A process's metrics: cheap to clone, shared by every way in.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

type LatencyFamily<L> = Family<L, Histogram, fn() -> Histogram>;

struct Inner {
    registry: Registry,
    graphql: LatencyFamily<OperationLabels>,
    graphql_errors: Family<CodeLabels, Counter>,
    http: LatencyFamily<RouteLabels>,
    jobs_written: Counter,
    ingestion_lag: Histogram,
    logs_parsed: Family<OutcomeLabels, Counter>,
    logs_waiting: Gauge,
    graph_jobs: Gauge,
    graph_edges: Gauge,
    graph_bytes: Gauge,
    graph_store_answers: Gauge,
    graph_changes_behind: Gauge,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    operations: Mutex<HashSet<String>>,
    codes: Mutex<HashSet<String>>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// Request latencies: 1 ms to about 33 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// How a GraphQL request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered without errors.
    Ok,
    /// Answered with at least one error.
    Error,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("treeherd");
        let graphql: LatencyFamily<OperationLabels> = Family::new_with_constructor(latency);
        registry.register(
            "graphql_request_duration_seconds",
            "GraphQL requests over HTTP by operation name, kind (query, mutation, unknown) and outcome",
            graphql.clone(),
        );
        let graphql_errors = Family::<CodeLabels, Counter>::default();
        registry.register(
            "graphql_errors",
            "GraphQL errors answered, by extensions.code",
            graphql_errors.clone(),
        );
        let http: LatencyFamily<RouteLabels> = Family::new_with_constructor(latency);
        registry.register(
            "http_request_duration_seconds",
            "HTTP requests by route pattern, method and status",
            http.clone(),
        );
        let jobs_written = Counter::default();
        registry.register(
            "jobs_written",
            "Jobs stored (each version of a job, from every way in)",
            jobs_written.clone(),
        );
        let ingestion_lag = Histogram::new(exponential_buckets(0.1, 2.0, 16));
        registry.register(
            "ingestion_lag_seconds",
            "How long after its latest time (finished, started, submitted) a job version was stored",
            ingestion_lag.clone(),
        );
        let logs_parsed = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "logs_parsed",
            "Logs the parse worker finished with, by outcome (parsed, retry, failed, skipped)",
            logs_parsed.clone(),
        );
        let logs_waiting = Gauge::default();
        registry.register(
            "log_parse_queue_depth",
            "Logs waiting to be parsed (all replicas)",
            logs_waiting.clone(),
        );
        let graph_jobs = Gauge::default();
        registry.register(
            "graph_jobs",
            "Jobs in this process's dependency graph",
            graph_jobs.clone(),
        );
        let graph_edges = Gauge::default();
        registry.register(
            "graph_edges",
            "Edges in this process's dependency graph",
            graph_edges.clone(),
        );
        let graph_bytes = Gauge::default();
        registry.register(
            "graph_bytes",
            "Bytes this process's dependency graph has allocated (at most its budget)",
            graph_bytes.clone(),
        );
        let graph_store_answers = Gauge::default();
        registry.register(
            "graph_store_answers",
            "Graph questions answered from the database since start, their jobs not held in memory",
            graph_store_answers.clone(),
        );
        let graph_changes_behind = Gauge::default();
        registry.register(
            "graph_changes_behind",
            "Committed graph changes this process has not applied yet (it catches up before each graph question)",
            graph_changes_behind.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of this process by state (idle, in_use)",
            pool_connections.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most database connections this process opens",
            pool_max.clone(),
        );
        Metrics(Arc::new(Inner {
            registry,
            graphql,
            graphql_errors,
            http,
            jobs_written,
            ingestion_lag,
            logs_parsed,
            logs_waiting,
            graph_jobs,
            graph_edges,
            graph_bytes,
            graph_store_answers,
            graph_changes_behind,
            pool_connections,
            pool_max,
            operations: Mutex::new(HashSet::new()),
            codes: Mutex::new(HashSet::new()),
        }))
    }

    /// A GraphQL request over HTTP: its operation name (if any), kind, outcome and time.
    pub fn observe_graphql(
        &self,
        operation: Option<&str>,
        kind: &'static str,
        outcome: Outcome,
        took: Duration,
    ) {
        let operation = match operation.filter(|name| !name.is_empty()) {
            None => ANONYMOUS.to_owned(),
            Some(name) => bounded(&self.0.operations, name, MAX_OPERATIONS),
        };
        self.0
            .graphql
            .get_or_create(&OperationLabels {
                operation,
                kind,
                outcome: outcome.label(),
            })
            .observe(took.as_secs_f64());
    }

    /// A GraphQL error answered with `code`.
    pub fn count_graphql_error(&self, code: &str) {
        let code = bounded(&self.0.codes, code, MAX_CODES);
        self.0
            .graphql_errors
            .get_or_create(&CodeLabels { code })
            .inc();
    }

    /// An HTTP request: the server's route pattern (`unmatched` when none), method, status
    /// and time.
    pub fn observe_http(&self, route: &str, method: &str, status: u16, took: Duration) {
        self.0
            .http
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .observe(took.as_secs_f64());
    }

    /// Jobs just stored at `now` (unix microseconds).
    pub fn count_jobs_written(&self, jobs: &[Job], now: i64) {
        self.0.jobs_written.inc_by(jobs.len() as u64);
        for job in jobs {
            if let Some(at) = job.last_time() {
                let lag = now.saturating_sub(at).max(0) as f64 / 1e6;
                self.0.ingestion_lag.observe(lag);
            }
        }
    }

    /// A log the parse worker finished with: `parsed`, `retry`, `failed` or `skipped`.
    pub fn count_log(&self, outcome: &'static str) {
        self.0
            .logs_parsed
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    /// Everything, with the gauges read from `vitals`, in OpenMetrics text.
    pub fn render(&self, vitals: &StoreVitals) -> Result<String, std::fmt::Error> {
        let inner = &self.0;
        inner.logs_waiting.set(vitals.logs_waiting);
        inner.graph_jobs.set(gauge(vitals.graph_jobs));
        inner.graph_edges.set(gauge(vitals.graph_edges));
        inner.graph_bytes.set(gauge(vitals.graph_bytes));
        inner
            .graph_store_answers
            .set(i64::try_from(vitals.graph_answered_from_store).unwrap_or(i64::MAX));
        inner.graph_changes_behind.set(vitals.graph_changes_behind);
        let in_use = vitals.pool_connections.saturating_sub(vitals.pool_idle);
        inner
            .pool_connections
            .get_or_create(&PoolLabels { state: "idle" })
            .set(vitals.pool_idle.into());
        inner
            .pool_connections
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(in_use.into());
        inner.pool_max.set(vitals.pool_max.into());
        let mut text = String::new();
        encode(&mut text, &inner.registry)?;
        Ok(text)
    }
}

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `name` itself while fewer than `max` names were seen (or it was one of them), else
/// `other`.
fn bounded(seen: &Mutex<HashSet<String>>, name: &str, max: usize) -> String {
    let Ok(mut seen) = seen.lock() else {
        return OTHER.to_owned();
    };
    if seen.contains(name) {
        return name.to_owned();
    }
    if seen.len() < max {
        seen.insert(name.to_owned());
        return name.to_owned();
    }
    OTHER.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_past_the_bound_count_as_other() {
        let seen = Mutex::new(HashSet::new());
        for n in 0..3 {
            assert_eq!(bounded(&seen, &format!("op{n}"), 3), format!("op{n}"));
        }
        assert_eq!(bounded(&seen, "op3", 3), OTHER);
        assert_eq!(
            bounded(&seen, "op1", 3),
            "op1",
            "a name seen keeps its label"
        );
    }
}
