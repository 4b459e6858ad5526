//! The dependency graph this process holds in memory: loaded from the store on first use, and
//! brought up to date before every answer from the `graph_changes` log, so a write through any
//! process on the same database is seen by this one on its next graph question.
//!
//! The log only says which jobs changed; catching up re-reads those jobs' status and edges, so
//! applying a change twice is harmless. A changed job whose row is gone expired, and leaves
//! the graph. Appends to the log are serialized across processes
//! (see [`crate::db::lock_log_writers`]), so sequence order is commit order and a reader
//! never skips a change that commits late.
//!
//! The store owns this graph, not the schema: refusing a cycle must happen inside the write
//! transaction, against every committed edge. Resolvers ask it questions through
//! `Store::with_graph`, which catches up first with one indexed query. That query is the price
//! of coherence across processes: about 45 µs per graph question. The load streams rows into
//! the engine's builder; the server loads at start rather than on the first question.
//!
//! Appends are serialized by SQLite's one writer and, on PostgreSQL, by a transaction-scoped
//! advisory lock. The log is pruned: the server keeps its newest million entries, and always
//! the newest one. A process that fell behind the oldest entry loads the graph again.

use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, RwLock};
use treeherd_graph::{DependencyKind, GraphError, JobGraph, JobGraphBuilder, JobId, JobStatus};

use crate::StoreError;
use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::schema::{graph_changes, job_dependencies, jobs};

/// What the graph needs of a job, and of an edge.
const STATUS_COLUMNS: (
    jobs::id,
    jobs::state,
    jobs::result,
    jobs::started_at,
    jobs::finished_at,
) = (
    jobs::id,
    jobs::state,
    jobs::result,
    jobs::started_at,
    jobs::finished_at,
);
const EDGE_COLUMNS: (
    job_dependencies::dependent_id,
    job_dependencies::dependency_id,
    job_dependencies::kind,
) = (
    job_dependencies::dependent_id,
    job_dependencies::dependency_id,
    job_dependencies::kind,
);
type StatusRow = (i64, String, String, Option<i64>, Option<i64>);
type EdgeRow = (i64, Option<i64>, String);

pub(crate) struct LiveGraph {
    state: RwLock<State>,
    /// Held while the graph is brought up to date or written, so one catch-up runs at a time
    /// and a writer's check-then-commit is not interleaved with another's.
    sync: Mutex<()>,
}

struct State {
    graph: JobGraph,
    /// The last change applied; `None` until the first load.
    seq: Option<i64>,
}

/// An edge as it was before a write changed it, to put back if the write fails.
pub(crate) struct Undo {
    dependent: JobId,
    dependency: JobId,
    previous: Option<DependencyKind>,
}

impl LiveGraph {
    pub fn new() -> LiveGraph {
        LiveGraph {
            state: RwLock::new(State {
                graph: JobGraph::new(),
                seq: None,
            }),
            sync: Mutex::new(()),
        }
    }

    pub fn lock_sync(&self) -> Result<MutexGuard<'_, ()>, StoreError> {
        self.sync
            .lock()
            .map_err(|_| StoreError::internal("graph sync lock poisoned"))
    }

    fn write_state(&self) -> Result<std::sync::RwLockWriteGuard<'_, State>, StoreError> {
        self.state
            .write()
            .map_err(|_| StoreError::internal("graph lock poisoned"))
    }

    /// Answers `question` from the graph as it is now (call [`LiveGraph::catch_up`] first).
    pub fn read<T>(&self, question: impl FnOnce(&JobGraph) -> T) -> Result<T, StoreError> {
        let state = self
            .state
            .read()
            .map_err(|_| StoreError::internal("graph lock poisoned"))?;
        Ok(question(&state.graph))
    }

    /// Its jobs and edges, and the last change applied (`None` until the first load).
    pub fn size(&self) -> Result<(usize, usize, Option<i64>), StoreError> {
        let state = self
            .state
            .read()
            .map_err(|_| StoreError::internal("graph lock poisoned"))?;
        Ok((state.graph.len(), state.graph.edge_count(), state.seq))
    }

    /// Brings the graph up to what the database has committed.
    pub fn catch_up(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        let _sync = self.lock_sync()?;
        self.catch_up_locked(conn)
    }

    /// [`LiveGraph::catch_up`] for a caller that holds the sync lock.
    pub fn catch_up_locked(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        let seq = self
            .state
            .read()
            .map_err(|_| StoreError::internal("graph lock poisoned"))?
            .seq;
        let Some(seq) = seq else {
            return db::untimed(conn, |conn| self.load(conn));
        };
        // The log is pruned (see `Store::prune_graph_changes`): a process that fell behind its
        // oldest entry cannot replay what it missed, so it loads the graph again.
        let oldest: Option<i64> = graph_changes::table
            .select(diesel::dsl::min(graph_changes::seq))
            .first(conn)?;
        if oldest.is_some_and(|oldest| oldest > seq + 1) {
            tracing::info!(applied = seq, oldest = ?oldest, "behind the pruned change log; reloading the graph");
            return db::untimed(conn, |conn| self.load(conn));
        }
        let changes: Vec<(i64, i64)> = graph_changes::table
            .filter(graph_changes::seq.gt(seq))
            .order(graph_changes::seq)
            .select((graph_changes::seq, graph_changes::job_id))
            .load(conn)?;
        let Some(&(last, _)) = changes.last() else {
            return Ok(());
        };
        let mut ids: Vec<i64> = changes.into_iter().map(|(_, job)| job).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut statuses = Vec::with_capacity(ids.len());
        let mut edges = Vec::new();
        for chunk in ids.chunks(BATCH_ROWS) {
            statuses.extend(load_statuses(conn, chunk)?);
            edges.extend(load_edges(conn, chunk)?);
        }
        let mut state = self.write_state()?;
        // A changed job with no row left expired (`retention.rs`): it leaves the graph with
        // its edges, as the rows of its edges left the database.
        if statuses.len() < ids.len() {
            let found: std::collections::HashSet<JobId> =
                statuses.iter().map(|(id, _)| *id).collect();
            for &id in &ids {
                if !found.contains(&JobId(id)) {
                    state.graph.remove_job(JobId(id));
                }
            }
        }
        for (id, status) in statuses {
            state.graph.upsert_job(id, status);
        }
        for (dependent, dependency, kind) in edges {
            if state.graph.edge(dependent, dependency) != Some(kind)
                && let Err(e) = state.graph.add_edge(dependent, dependency, kind)
            {
                // The writers check every edge against this same graph, so this means the
                // database was changed behind treeherd's back.
                tracing::error!(%dependent, %dependency, error = %e, "stored edge does not fit the graph");
            }
        }
        state.seq = Some(last);
        Ok(())
    }

    /// Loads the whole graph. The log position is read first: whatever commits during the
    /// load is applied again by the next catch-up, which is harmless. Rows stream straight
    /// into the builder, so the load needs little more memory than the graph itself.
    fn load(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let seq: Option<i64> = graph_changes::table
            .select(diesel::dsl::max(graph_changes::seq))
            .first(conn)?;
        let job_count: i64 = jobs::table.count().get_result(conn)?;
        let edge_count: i64 = job_dependencies::table
            .filter(job_dependencies::dependency_id.is_not_null())
            .count()
            .get_result(conn)?;
        let mut builder = JobGraphBuilder::with_capacity(
            usize::try_from(job_count).unwrap_or(0),
            usize::try_from(edge_count).unwrap_or(0),
        );
        per_backend!(conn, |c| {
            let rows = jobs::table
                .select(STATUS_COLUMNS)
                .load_iter::<StatusRow, diesel::connection::DefaultLoadingMode>(c)?;
            for row in rows {
                let (id, status) = status(row?)?;
                builder.upsert_job(id, status);
            }
        });
        per_backend!(conn, |c| {
            let rows = job_dependencies::table
                .filter(job_dependencies::dependency_id.is_not_null())
                .select(EDGE_COLUMNS)
                .load_iter::<EdgeRow, diesel::connection::DefaultLoadingMode>(c)?;
            for row in rows {
                let (dependent, dependency, kind) = row?;
                if let Some(dependency) = dependency {
                    builder
                        .add_edge(JobId(dependent), JobId(dependency), kind.parse()?)
                        .map_err(|e| StoreError::caused_by("stored edges", e))?;
                }
            }
        });
        let graph = builder
            .build()
            .map_err(|e| StoreError::caused_by("stored edges", e))?;
        tracing::info!(
            jobs = graph.len(),
            edges = graph.edge_count(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded the dependency graph"
        );
        let mut state = self.write_state()?;
        state.graph = graph;
        state.seq = Some(seq.unwrap_or(0));
        Ok(())
    }

    /// Adds an edge for a write in progress; the undo record puts it back if the write fails.
    pub fn add_edge(
        &self,
        dependent: JobId,
        dependency: JobId,
        kind: DependencyKind,
    ) -> Result<Undo, GraphErrorOrStore> {
        let mut state = self.write_state()?;
        let previous = state.graph.edge(dependent, dependency);
        state.graph.add_edge(dependent, dependency, kind)?;
        Ok(Undo {
            dependent,
            dependency,
            previous,
        })
    }

    /// Puts edges back as they were, newest first. Should that fail, the graph is dropped and
    /// loaded again on next use.
    pub fn undo(&self, undo: Vec<Undo>) {
        let Ok(mut state) = self.state.write() else {
            return;
        };
        for edge in undo.into_iter().rev() {
            let restored = match edge.previous {
                None => state
                    .graph
                    .remove_edge(edge.dependent, edge.dependency)
                    .map(|_| ())
                    .ok_or(()),
                Some(kind) => state
                    .graph
                    .add_edge(edge.dependent, edge.dependency, kind)
                    .map(|_| ())
                    .map_err(|_| ()),
            };
            if restored.is_err() {
                state.seq = None;
                return;
            }
        }
    }

    /// Forgets the graph: it is loaded again on next use. For a write that caught the graph
    /// up to its own uncommitted changes and then failed.
    pub fn invalidate(&self) {
        if let Ok(mut state) = self.state.write() {
            state.seq = None;
        }
    }

    /// Records that the graph now holds everything up to `seq` (after a writer's commit).
    pub fn advance_to(&self, seq: i64) {
        if let Ok(mut state) = self.state.write()
            && state.seq.is_some_and(|s| s < seq)
        {
            state.seq = Some(seq);
        }
    }
}

/// Why a graph write failed: the graph refused it, or the lock is broken.
pub(crate) enum GraphErrorOrStore {
    Graph(GraphError),
    Store(StoreError),
}

impl From<GraphError> for GraphErrorOrStore {
    fn from(e: GraphError) -> Self {
        GraphErrorOrStore::Graph(e)
    }
}

impl From<StoreError> for GraphErrorOrStore {
    fn from(e: StoreError) -> Self {
        GraphErrorOrStore::Store(e)
    }
}

fn status(row: StatusRow) -> Result<(JobId, JobStatus), StoreError> {
    let (id, state, result, started_at, finished_at) = row;
    Ok((
        JobId(id),
        JobStatus {
            state: state.parse()?,
            result: result.parse()?,
            started_at,
            finished_at,
        },
    ))
}

/// Status of the given jobs.
fn load_statuses(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<Vec<(JobId, JobStatus)>, StoreError> {
    let rows: Vec<StatusRow> = per_backend!(conn, |c| jobs::table
        .filter(jobs::id.eq_any(ids))
        .select(STATUS_COLUMNS)
        .load(c)?);
    rows.into_iter().map(status).collect()
}

/// Bound edges touching the given jobs (either end).
fn load_edges(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<Vec<(JobId, JobId, DependencyKind)>, StoreError> {
    let rows: Vec<EdgeRow> = per_backend!(conn, |c| job_dependencies::table
        .filter(job_dependencies::dependency_id.is_not_null())
        .filter(
            job_dependencies::dependent_id
                .eq_any(ids)
                .or(job_dependencies::dependency_id.eq_any(ids)),
        )
        .select(EDGE_COLUMNS)
        .load(c)?);
    let mut kinds: HashMap<String, DependencyKind> = HashMap::new();
    rows.into_iter()
        .filter_map(|(dependent, dependency, kind)| dependency.map(|d| (dependent, d, kind)))
        .map(|(dependent, dependency, kind)| {
            let kind = match kinds.get(&kind) {
                Some(kind) => *kind,
                None => {
                    let parsed: DependencyKind = kind.parse()?;
                    kinds.insert(kind, parsed);
                    parsed
                }
            };
            Ok((JobId(dependent), JobId(dependency), kind))
        })
        .collect()
}

/// Appends "these jobs changed" to the log; returns the last sequence number written.
pub(crate) fn log_changes(conn: &mut DbConnection, job_ids: &[i64]) -> Result<(), StoreError> {
    #[derive(Insertable)]
    #[diesel(table_name = graph_changes, treat_none_as_default_value = false)]
    struct Change {
        job_id: i64,
    }
    let rows: Vec<Change> = job_ids.iter().map(|&job_id| Change { job_id }).collect();
    for chunk in rows.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(graph_changes::table)
            .values(chunk)
            .execute(c)?);
    }
    Ok(())
}

/// Deletes all but the newest `keep` entries of the log; returns how many went.
pub(crate) fn prune(conn: &mut DbConnection, keep: i64) -> Result<usize, StoreError> {
    let newest = last_change(conn)?;
    Ok(
        diesel::delete(graph_changes::table.filter(graph_changes::seq.le(newest - keep)))
            .execute(conn)?,
    )
}

/// The newest sequence number in the log.
pub(crate) fn last_change(conn: &mut DbConnection) -> Result<i64, StoreError> {
    let seq: Option<i64> = graph_changes::table
        .select(diesel::dsl::max(graph_changes::seq))
        .first(conn)?;
    Ok(seq.unwrap_or(0))
}
