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
//!
//! Under a memory budget (`StoreOptions::graph_budget`) the graph holds the newest jobs that
//! fit: from a floor id on. The budget becomes a room of jobs and edges (at the database's
//! edges per job, a quarter spare), allocated once at load; before what arrives would fill
//! the room, the floor rises to keep three quarters of it. A held job whose edge leads below
//! the floor carries a mark on that side, and a question names what it reads
//! ([`GraphScope`]): a walk that meets no mark is answered here, any other from that part of
//! the graph read from the database (`graph_scope.rs`), with the same engine and the same
//! answer. A writer's cycle check that would walk below the floor asks the database too,
//! inside its transaction (its edges are stored before they are checked).

use diesel::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};
use treeherd_graph::{DependencyKind, GraphError, JobGraph, JobGraphBuilder, JobId, Toward};

use crate::StoreError;
use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::graph_rows::{
    EDGE_COLUMNS, EdgeRow, STATUS_COLUMNS, StatusRow, load_edges, load_statuses, status,
};
use crate::graph_scope::{self, GraphScope};
use crate::schema::{graph_changes, job_dependencies, jobs};

pub(crate) struct LiveGraph {
    state: RwLock<State>,
    /// Held while the graph is brought up to date or written, so one catch-up runs at a time
    /// and a writer's check-then-commit is not interleaved with another's.
    sync: Mutex<()>,
    /// The most memory the graph may take, in bytes; `None`: it holds every job.
    budget: Option<usize>,
    /// Questions answered from the held graph, and from the store.
    answered_held: AtomicU64,
    answered_from_store: AtomicU64,
}

struct State {
    graph: JobGraph,
    /// The last change applied; `None` until the first load.
    seq: Option<i64>,
    /// The graph holds every job from this id on, and none before it.
    floor: JobId,
    /// How many jobs and edges the budget has room for (`None`: no budget).
    room: Option<Room>,
}

/// What a budget holds: the graph is allocated for this many jobs and edges once, at load,
/// and lets its oldest jobs go before it would outgrow them.
#[derive(Debug, Clone, Copy)]
struct Room {
    jobs: usize,
    edges: usize,
}

impl Room {
    /// The most jobs (at `edges_per_job`, with a quarter to spare) whose graph fits `budget`
    /// bytes.
    fn within(budget: usize, edges_per_job: f64) -> Room {
        let ratio = edges_per_job.max(1.0) * 1.25;
        let room = |jobs: usize| Room {
            jobs,
            edges: (jobs as f64 * ratio) as usize,
        };
        let (mut low, mut high) = (0usize, budget / 32 + 1);
        while low + 1 < high {
            let mid = low + (high - low) / 2;
            let r = room(mid);
            if JobGraph::bytes_for(r.jobs, r.edges) <= budget {
                low = mid;
            } else {
                high = mid;
            }
        }
        room(low)
    }

    /// Whether the graph should let its oldest jobs go before `jobs` and `edges` more
    /// arrive, so as not to outgrow the room.
    fn is_full(&self, graph: &JobGraph, jobs: usize, edges: usize) -> bool {
        graph.len() + jobs > self.jobs / 16 * 15
            || graph.edge_count() + edges > self.edges / 16 * 15
    }

    /// How many jobs to keep when letting go: three quarters of the room, fewer if edges are
    /// what fills it.
    fn keep(&self, graph: &JobGraph) -> usize {
        let by_edges = if graph.edge_count() == 0 {
            usize::MAX
        } else {
            (graph.len() as u128 * (self.edges / 4 * 3) as u128 / graph.edge_count() as u128)
                as usize
        };
        (self.jobs / 4 * 3).min(by_edges)
    }
}

impl State {
    /// Whether the held graph answers every question over `scope` as the full graph would:
    /// it holds the scope's jobs and no walk from them meets a job with neighbours elsewhere.
    fn holds(&self, scope: &GraphScope) -> bool {
        scope.jobs.iter().all(|&id| id >= self.floor)
            && scope
                .ways()
                .all(|(toward, hops)| !self.graph.reaches_outside(&scope.jobs, toward, hops))
    }
}

/// An edge as it was before a write changed it, to put back if the write fails.
pub(crate) struct Undo {
    dependent: JobId,
    dependency: JobId,
    previous: Option<DependencyKind>,
}

impl LiveGraph {
    /// An empty graph, loaded on first use, that takes at most `budget` bytes (`None`:
    /// holds every job).
    pub fn new(budget: Option<usize>) -> LiveGraph {
        LiveGraph {
            state: RwLock::new(State {
                graph: JobGraph::new(),
                seq: None,
                floor: JobId(i64::MIN),
                room: None,
            }),
            sync: Mutex::new(()),
            budget,
            answered_held: AtomicU64::new(0),
            answered_from_store: AtomicU64::new(0),
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

    /// Answers `question`, which reads `scope`, from the graph as it is now (call
    /// [`LiveGraph::catch_up`] first): from the held graph when it holds all the question
    /// may read, else from that part of the graph read from the store (`graph_scope.rs`).
    pub fn answer<T>(
        &self,
        conn: &mut DbConnection,
        scope: &GraphScope,
        question: impl FnOnce(&JobGraph) -> T,
    ) -> Result<T, StoreError> {
        let state = self
            .state
            .read()
            .map_err(|_| StoreError::internal("graph lock poisoned"))?;
        if state.holds(scope) {
            self.answered_held.fetch_add(1, Ordering::Relaxed);
            return Ok(question(&state.graph));
        }
        drop(state);
        self.answered_from_store.fetch_add(1, Ordering::Relaxed);
        let part = graph_scope::load(conn, scope)?;
        Ok(question(&part))
    }

    /// What the graph holds and what it has answered (see [`GraphSize`]).
    pub fn size(&self) -> Result<GraphSize, StoreError> {
        let state = self
            .state
            .read()
            .map_err(|_| StoreError::internal("graph lock poisoned"))?;
        Ok(GraphSize {
            jobs: state.graph.len(),
            edges: state.graph.edge_count(),
            bytes: state.graph.heap_bytes(),
            budget: self.budget,
            applied: state.seq,
            answered_held: self.answered_held.load(Ordering::Relaxed),
            answered_from_store: self.answered_from_store.load(Ordering::Relaxed),
        })
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
        // Room first: what arrives goes in without growing the graph past its budget.
        if let Some(room) = state.room {
            let arriving = statuses
                .iter()
                .filter(|(id, _)| *id >= state.floor && !state.graph.contains(*id))
                .count();
            if room.is_full(&state.graph, arriving, edges.len()) {
                let keep = room.keep(&state.graph).saturating_sub(arriving);
                if let Some(floor) = state.graph.oldest_of_newest(keep) {
                    let started = std::time::Instant::now();
                    let gone = state.graph.evict_below(floor);
                    state.floor = floor;
                    tracing::info!(
                        gone,
                        held = state.graph.len(),
                        %floor,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "the dependency graph let its oldest jobs go"
                    );
                }
            }
        }
        let floor = state.floor;
        for (id, status) in statuses {
            if id >= floor {
                state.graph.upsert_job(id, status);
            }
        }
        for (dependent, dependency, kind) in edges {
            if dependent < floor || dependency < floor {
                mark_held_end(&mut state.graph, floor, dependent, dependency);
            } else if state.graph.edge(dependent, dependency) != Some(kind)
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

    /// Loads the graph: every job, or under a budget the newest that fit (from a floor id
    /// on) with marks on the held jobs whose edges lead below it. The log position is read
    /// first: whatever commits during the load is applied again by the next catch-up, which
    /// is harmless. Rows stream straight into the builder, allocated once for what the budget
    /// holds, so the load reads and takes what the budget says, not what history holds.
    fn load(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let seq: Option<i64> = graph_changes::table
            .select(diesel::dsl::max(graph_changes::seq))
            .first(conn)?;
        // Under a budget, the edges per job of the newest jobs size the room: counting the
        // whole of history would cost seconds at 10 M jobs, whatever the budget.
        let (job_count, edge_count) = counts(conn, self.budget.map(|_| SAMPLE_JOBS))?;
        let room = self.budget.map(|budget| {
            let edges_per_job = if job_count == 0 {
                3.0
            } else {
                edge_count as f64 / job_count as f64
            };
            Room::within(budget, edges_per_job)
        });
        let floor = match room {
            Some(room) => graph_scope::oldest_of_newest(conn, room.jobs / 8 * 7)?,
            None => None,
        }
        .map_or(JobId(i64::MIN), JobId);
        let mut builder = match room {
            Some(room) => JobGraphBuilder::with_capacity(room.jobs, room.edges),
            None => JobGraphBuilder::with_capacity(job_count, edge_count),
        };
        per_backend!(conn, |c| {
            let rows = jobs::table
                .filter(jobs::id.ge(floor.0))
                .select(STATUS_COLUMNS)
                .load_iter::<StatusRow, diesel::connection::DefaultLoadingMode>(c)?;
            for row in rows {
                let (id, status) = status(row?)?;
                builder.upsert_job(id, status);
            }
        });
        let mut marks: Vec<(JobId, JobId)> = Vec::new();
        per_backend!(conn, |c| {
            let mut edges = job_dependencies::table
                .filter(job_dependencies::dependency_id.is_not_null())
                .select(EDGE_COLUMNS)
                .into_boxed();
            if floor.0 > i64::MIN {
                edges = edges.filter(
                    job_dependencies::dependent_id
                        .ge(floor.0)
                        .or(job_dependencies::dependency_id.ge(floor.0)),
                );
            }
            let rows = edges.load_iter::<EdgeRow, diesel::connection::DefaultLoadingMode>(c)?;
            for row in rows {
                let (dependent, dependency, kind) = row?;
                let Some(dependency) = dependency else {
                    continue;
                };
                let (dependent, dependency) = (JobId(dependent), JobId(dependency));
                if dependent < floor || dependency < floor {
                    marks.push((dependent, dependency));
                } else {
                    builder
                        .add_edge(dependent, dependency, kind.parse()?)
                        .map_err(|e| StoreError::caused_by("stored edges", e))?;
                }
            }
        });
        let mut graph = builder
            .build()
            .map_err(|e| StoreError::caused_by("stored edges", e))?;
        for (dependent, dependency) in marks {
            mark_held_end(&mut graph, floor, dependent, dependency);
        }
        tracing::info!(
            jobs = graph.len(),
            edges = graph.edge_count(),
            bytes = graph.heap_bytes(),
            %floor,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded the dependency graph"
        );
        let mut state = self.write_state()?;
        state.graph = graph;
        state.seq = Some(seq.unwrap_or(0));
        state.floor = floor;
        state.room = room;
        Ok(())
    }

    /// Adds an edge for a write in progress, refusing one that would close a cycle; the undo
    /// record puts it back if the write fails. The held graph decides when the walk from the
    /// dependency towards its dependencies stays among held jobs; otherwise the store does,
    /// over the rows this transaction sees (the write has stored its edges before it checks
    /// them). An edge with an end not held marks its held end instead of entering the graph.
    pub fn add_edge(
        &self,
        conn: &mut DbConnection,
        dependent: JobId,
        dependency: JobId,
        kind: DependencyKind,
    ) -> Result<Option<Undo>, GraphErrorOrStore> {
        if dependent == dependency {
            return Err(GraphError::Cycle {
                jobs: vec![dependent],
            }
            .into());
        }
        let scope = GraphScope::ancestors(dependency);
        let held = {
            let state = self
                .state
                .read()
                .map_err(|_| StoreError::internal("graph lock poisoned"))?;
            dependent >= state.floor && state.holds(&scope)
        };
        if !held && let Some(chain) = graph_scope::dependency_chain(conn, dependency, dependent)? {
            // The dependency already depends on the dependent: the edge closes the chain.
            let mut jobs = vec![dependent];
            jobs.extend(chain.into_iter().take_while(|&id| id != dependent));
            return Err(GraphError::Cycle { jobs }.into());
        }
        let mut state = self.write_state()?;
        let floor = state.floor;
        if dependent < floor || dependency < floor {
            mark_held_end(&mut state.graph, floor, dependent, dependency);
            return Ok(None);
        }
        let previous = state.graph.edge(dependent, dependency);
        state.graph.add_edge(dependent, dependency, kind)?;
        Ok(Some(Undo {
            dependent,
            dependency,
            previous,
        }))
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

/// How many of the newest jobs tell the edges per job of a budgeted graph.
const SAMPLE_JOBS: i64 = 100_000;

/// Jobs and bound edges: of the newest `sample` job ids, or of all of history.
fn counts(conn: &mut DbConnection, sample: Option<i64>) -> Result<(usize, usize), StoreError> {
    let newest: Option<i64> = jobs::table.select(diesel::dsl::max(jobs::id)).first(conn)?;
    let from = match sample {
        Some(sample) => newest.unwrap_or(0).saturating_sub(sample),
        None => i64::MIN,
    };
    let job_count: i64 = jobs::table
        .filter(jobs::id.gt(from))
        .count()
        .get_result(conn)?;
    let edge_count: i64 = job_dependencies::table
        .filter(job_dependencies::dependent_id.gt(from))
        .filter(job_dependencies::dependency_id.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((
        usize::try_from(job_count).unwrap_or(0),
        usize::try_from(edge_count).unwrap_or(0),
    ))
}

/// Marks the held end of an edge whose other end is below `floor` (not held).
fn mark_held_end(graph: &mut JobGraph, floor: JobId, dependent: JobId, dependency: JobId) {
    if dependent >= floor {
        graph.mark_outside(dependent, Toward::Dependencies);
    } else if dependency >= floor {
        graph.mark_outside(dependency, Toward::Dependents);
    }
}

/// What the live graph holds, and how it has answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphSize {
    pub jobs: usize,
    pub edges: usize,
    /// What it has allocated, and the most it may ([`JobGraph::heap_bytes`]).
    pub bytes: usize,
    pub budget: Option<usize>,
    /// The last change applied; `None` until the first load.
    pub applied: Option<i64>,
    /// Questions answered from the held graph, and from the store (their jobs not held).
    pub answered_held: u64,
    pub answered_from_store: u64,
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
