//! The store: treeherd's source of truth, on SQLite (embedded default) or PostgreSQL.
//!
//! One API over both backends. Reads are written once against diesel's `MultiConnection`;
//! the few statements it cannot express (batch upserts, `RETURNING`) are written once in
//! `per_backend!` (`db.rs`) and compiled for each concrete connection. Every public method is
//! async and runs its diesel work on the blocking pool, so resolvers never block a server
//! thread.
//! Every write method is one transaction: all or nothing.

#[macro_use]
mod db;
mod artifacts;
mod autoclassify;
mod bug_index;
mod bug_writes;
mod bugs;
mod builds;
mod change_listener;
mod change_log;
mod changes;
mod classifications;
mod current_classification;
mod dependencies;
mod error;
mod export;
mod graph;
mod graph_rows;
mod graph_scope;
mod intermittents;
mod job_writes;
mod jobs;
mod logs;
mod machine_writes;
mod machines;
mod perf;
mod persisted_queries;
mod push_writes;
mod pushes;
mod pushlog_polls;
mod releases;
mod repositories;
mod request_calls;
mod rest_reads;
mod retention;
mod schedules;
mod schema;
mod settings;
mod statement_cancel;
mod test_results;
pub mod testing;
mod types;
mod vitals;

pub use autoclassify::{AUTOCLASSIFIER, Autoclassified, Autoclassifier};
pub use bug_writes::BugsImported;
pub use bugs::{Bug, BugSuggestions, MAX_CANDIDATES};
pub use builds::{Build, BuildFilter, BuildRelease};
pub use change_listener::LISTENER_APPLICATION_NAME;
pub use changes::{Change, Changed};
pub use classifications::{Classification, FailureLine, LineKeys, NewClassification};
pub use db::{Backend, DatabaseUrl, StoreOptions};
pub use error::{InternalError, StoreError};
pub use export::{EXPORT_ROWS, ExportPage, ExportedJob, ExportedPerfValue, ExportedTestResult};
pub use graph::GraphSize;
pub use graph_scope::GraphScope;
pub use intermittents::{BugFailures, DAY_MICROS, IntermittentDay, IntermittentQuery, days_of};
pub use job_writes::{IgnoredJob, JobsWritten};
pub use logs::{DueLog, LogError, LogSetback, LogStep, ParsedLog, PerfValue};
pub use machines::{Machine, MachineEvent, MachineFilter, MachineFlakiness, UNKNOWN_BUILD_SYSTEM};
pub use perf::{PerfPoint, PerfSeriesKey};
pub use push_writes::{MAX_PUSH_ID, StoredPush};
pub use pushes::{Direction, MIN_REVISION_PREFIX};
pub use releases::{LocaleCell, LocaleMatrix, NewRelease, Release, ReleaseFilter};
pub use repositories::check_name as check_repository_name;
pub use rest_reads::{IntCondition, PerfDatum, PerfSeries, RestJobQuery, RestPushQuery};
pub use retention::{AgeCursor, Expired, ExpiryStep};
pub use schedules::ScheduledJob;
pub use test_results::{FailureKind, TestFailureSummary, TestResult};
pub use treeherd_model::{BugId, JobId, PushId, RepositoryId};
pub use types::*;
pub use vitals::StoreVitals;

use db::{DbConnection, Pool};
use statement_cancel::Cancellable;
use std::sync::Arc;

/// A handle on the database and this process's copy of its dependency graph: cheap to clone,
/// shared by every request.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    backend: Backend,
    /// What the change listener connects to (`change_listener.rs`).
    url: DatabaseUrl,
    graph: Arc<graph::LiveGraph>,
    /// Which trigrams of a bug search term are rare (`bug_index.rs`).
    bug_trigrams: Arc<bug_index::TrigramSample>,
    /// Signalled when this process commits events to the change log (and, on PostgreSQL, by
    /// the listener when any process does): what the change feed waits on.
    changed: Arc<tokio::sync::Notify>,
    /// One permit per pooled connection: a call waits for one here, asynchronously, before it
    /// takes a blocking thread. Without it, 64 concurrent requests parked 64+ blocking threads
    /// in the pool's wait, each with its allocator heap, and the server's memory grew with the
    /// number of clients (1 GB at 64).
    connections: Arc<tokio::sync::Semaphore>,
}

impl Store {
    /// Connects (creating a SQLite file when needed). Does not migrate: call [`Store::migrate`].
    pub fn open(url: &DatabaseUrl, options: &StoreOptions) -> Result<Store, StoreError> {
        let pool = db::pool(url, options)?;
        Ok(Store {
            pool,
            backend: url.backend(),
            url: url.clone(),
            graph: Arc::new(graph::LiveGraph::new(options.graph_budget)),
            bug_trigrams: Arc::default(),
            changed: Arc::default(),
            connections: Arc::new(tokio::sync::Semaphore::new(
                usize::try_from(options.pool_size).unwrap_or(1).max(1),
            )),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the pending migrations of this backend; safe with several processes starting
    /// at once (PostgreSQL migrations run under an advisory lock).
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool.get()?;
        db::migrate(&mut conn)
    }

    /// Answers `question`, which reads `scope`, from the dependency graph, first brought up to
    /// what the database has committed (so writes through other processes are seen). The
    /// first call loads it. When this process does not hold all the question may read (its
    /// memory budget), the part it reads comes from the database, and the answer is the same.
    pub async fn with_graph<T, F>(&self, scope: GraphScope, question: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&treeherd_graph::JobGraph) -> T + Send + 'static,
    {
        let live = self.graph.clone();
        self.run(move |conn| {
            live.catch_up(conn)?;
            live.answer(conn, &scope, question)
        })
        .await
    }

    /// Loads the dependency graph (or catches it up) and says what it holds.
    pub async fn load_graph(&self) -> Result<GraphSize, StoreError> {
        let live = self.graph.clone();
        self.run(move |conn| {
            live.catch_up(conn)?;
            live.size()
        })
        .await
    }

    /// Deletes all but the newest `keep` entries of the graph change log (a process further
    /// behind reloads its graph). The newest entry always stays: it is how a process sees that
    /// it missed what was pruned. Returns how many entries went.
    pub async fn prune_graph_changes(&self, keep: i64) -> Result<usize, StoreError> {
        self.run(move |conn| {
            db::untimed(conn, |conn| {
                db::write(conn, |conn| graph::prune(conn, keep.max(1)))
            })
        })
        .await
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run(db::ping).await
    }

    /// Runs `request` (one client's) with at most `at_once` of its store calls holding a
    /// connection at a time (`request_calls.rs`).
    pub async fn bounded<F: std::future::Future>(at_once: usize, request: F) -> F::Output {
        request_calls::scope(at_once, request).await
    }

    /// Runs `work` on a pooled connection on the blocking thread pool.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let permit = request_calls::permit().await?;
        // A client's request cancels its statement on PostgreSQL if it goes away meanwhile.
        let (cancellable, on_thread) = if permit.is_some() && self.backend == Backend::Postgres {
            let (cancellable, on_thread) = Cancellable::new(pool.clone());
            (Some(cancellable), Some(on_thread))
        } else {
            (None, None)
        };
        let connection = self
            .connections
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::caused_by("connection permits closed", e))?;
        let (done, appended) = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _connection = connection;
            change_log::take_appended();
            let done = pool.get().map_err(StoreError::from).and_then(|mut conn| {
                let started = on_thread.as_ref().is_none_or(|t| t.start(&mut conn));
                let done = if started {
                    work(&mut conn)
                } else {
                    Err(StoreError::internal("the request went away"))
                };
                // Finished before the connection can serve another call.
                drop(on_thread);
                done
            });
            (done, change_log::take_appended())
        })
        .await
        .map_err(|e| StoreError::caused_by("database task failed", e))?;
        if let Some(cancellable) = cancellable {
            cancellable.disarm();
        }
        if appended {
            self.changed.notify_one();
        }
        done
    }
}
