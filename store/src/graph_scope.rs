//! What a graph question reads, and that part of the graph read from the database, for the
//! questions this process's graph cannot answer alone (it holds only its newest jobs under a
//! memory budget, `graph.rs`).
//!
//! A [`GraphScope`] names the jobs a question starts from and how far it may walk each way.
//! [`load`] walks the same edges in the database, a breadth-first layer per query (ids in
//! batches), reads the status of every job it reached and every edge among them, and builds
//! a graph of exactly that: the induced subgraph of the scope's closure. Every question is
//! then asked of it with the same code as of the held graph, and the engine's answers depend
//! on the jobs and edges alone (never on the order they arrived in), so the answer is the
//! full graph's, identically.

use diesel::prelude::*;
use std::collections::{HashMap, HashSet};
use treeherd_graph::{JobGraph, JobGraphBuilder, JobId, Toward};

use crate::StoreError;
use crate::db::{BATCH_ROWS, DbConnection};
use crate::graph_rows;
use crate::schema::{job_dependencies, jobs};

/// The jobs a graph question starts from, and how many edges it may walk from them towards
/// their dependencies and towards their dependents (`Some(None)`: as far as they go; `None`:
/// not that way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphScope {
    pub jobs: Vec<JobId>,
    pub dependencies: Option<Option<u32>>,
    pub dependents: Option<Option<u32>>,
}

impl GraphScope {
    /// Everything `job` waits on: ancestors, blockers, the critical path, a release's status.
    pub fn ancestors(job: JobId) -> Self {
        GraphScope {
            jobs: vec![job],
            dependencies: Some(None),
            dependents: None,
        }
    }

    /// Everything waiting on `job`: descendants, impact.
    pub fn descendants(job: JobId) -> Self {
        GraphScope {
            jobs: vec![job],
            dependencies: None,
            dependents: Some(None),
        }
    }

    /// A chain between two jobs: both ways from both (the answer knows both jobs even when
    /// no chain joins them).
    pub fn between(from: JobId, to: JobId) -> Self {
        GraphScope {
            jobs: vec![from, to],
            dependencies: Some(None),
            dependents: Some(None),
        }
    }

    /// Both ways from `job`: a drawn neighbourhood.
    pub fn around(job: JobId) -> Self {
        GraphScope {
            jobs: vec![job],
            dependencies: Some(None),
            dependents: Some(None),
        }
    }

    /// The jobs and their direct dependencies: whether they are ready.
    pub fn direct_dependencies(jobs: Vec<JobId>) -> Self {
        GraphScope {
            jobs,
            dependencies: Some(Some(1)),
            dependents: None,
        }
    }

    /// Each way the scope walks, with its reach.
    pub(crate) fn ways(&self) -> impl Iterator<Item = (Toward, Option<u32>)> {
        [
            self.dependencies.map(|hops| (Toward::Dependencies, hops)),
            self.dependents.map(|hops| (Toward::Dependents, hops)),
        ]
        .into_iter()
        .flatten()
    }
}

/// The part of the stored graph `scope` covers (see the module docs).
pub(crate) fn load(conn: &mut DbConnection, scope: &GraphScope) -> Result<JobGraph, StoreError> {
    let mut reached: HashSet<i64> = scope.jobs.iter().map(|id| id.0).collect();
    for (toward, hops) in scope.ways() {
        let mut layer: Vec<i64> = scope.jobs.iter().map(|id| id.0).collect();
        let mut depth = 0u32;
        while !layer.is_empty() && hops.is_none_or(|max| depth < max) {
            let mut next = Vec::new();
            for chunk in layer.chunks(BATCH_ROWS) {
                for (_, id) in steps(conn, chunk, toward)? {
                    if reached.insert(id) {
                        next.push(id);
                    }
                }
            }
            layer = next;
            depth += 1;
        }
    }
    let mut ids: Vec<i64> = reached.into_iter().collect();
    ids.sort_unstable();
    let mut builder = JobGraphBuilder::with_capacity(ids.len(), ids.len() * 3);
    let mut present: HashSet<i64> = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_ROWS) {
        for (id, status) in graph_rows::load_statuses(conn, chunk)? {
            present.insert(id.0);
            builder.upsert_job(id, status);
        }
    }
    for chunk in ids.chunks(BATCH_ROWS) {
        let edges = graph_rows::load_edges_from(conn, chunk)?;
        for (dependent, dependency, kind) in edges {
            if present.contains(&dependency.0) {
                builder
                    .add_edge(dependent, dependency, kind)
                    .map_err(|e| StoreError::caused_by("stored edges", e))?;
            }
        }
    }
    builder
        .build()
        .map_err(|e| StoreError::caused_by("stored edges", e))
}

/// The bound edges from `ids` one step `toward` the given side, as (job of `ids`, the job
/// one edge away).
fn steps(
    conn: &mut DbConnection,
    ids: &[i64],
    toward: Toward,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let edges: Vec<(i64, Option<i64>)> = match toward {
        Toward::Dependencies => per_backend!(conn, |c| job_dependencies::table
            .filter(job_dependencies::dependent_id.eq_any(ids))
            .filter(job_dependencies::dependency_id.is_not_null())
            .select((
                job_dependencies::dependent_id,
                job_dependencies::dependency_id
            ))
            .load(c)?),
        Toward::Dependents => per_backend!(conn, |c| job_dependencies::table
            .filter(job_dependencies::dependency_id.eq_any(ids))
            .select((
                job_dependencies::dependent_id,
                job_dependencies::dependency_id
            ))
            .load(c)?),
    };
    Ok(edges
        .into_iter()
        .filter_map(|(dependent, dependency)| {
            let dependency = dependency?;
            Some(match toward {
                Toward::Dependencies => (dependent, dependency),
                Toward::Dependents => (dependency, dependent),
            })
        })
        .collect())
}

/// The shortest chain of stored dependency edges from `from` to `to` (`from` depends on ...
/// on `to`), as the jobs from `from` to `to`; `None` when `from` does not depend on `to`.
/// What a cycle check asks when the live graph does not hold the jobs on the way.
pub(crate) fn dependency_chain(
    conn: &mut DbConnection,
    from: JobId,
    to: JobId,
) -> Result<Option<Vec<JobId>>, StoreError> {
    let mut parent: HashMap<i64, i64> = HashMap::from([(from.0, from.0)]);
    let mut layer = vec![from.0];
    while !layer.is_empty() {
        let mut next = Vec::new();
        for chunk in layer.chunks(BATCH_ROWS) {
            for (dependent, dependency) in steps(conn, chunk, Toward::Dependencies)? {
                if parent.contains_key(&dependency) {
                    continue;
                }
                parent.insert(dependency, dependent);
                if dependency == to.0 {
                    let mut chain = vec![to];
                    let mut at = dependency;
                    while at != from.0 {
                        let Some(&up) = parent.get(&at) else { break };
                        at = up;
                        chain.push(JobId(at));
                    }
                    chain.reverse();
                    return Ok(Some(chain));
                }
                next.push(dependency);
            }
        }
        layer = next;
    }
    Ok(None)
}

/// The id of the `keep`-th newest job, from which on `keep` jobs are held; `None` when the
/// database holds no more than `keep`.
pub(crate) fn oldest_of_newest(
    conn: &mut DbConnection,
    keep: usize,
) -> Result<Option<i64>, StoreError> {
    let offset = i64::try_from(keep.saturating_sub(1)).unwrap_or(i64::MAX);
    let floor: Option<i64> = jobs::table
        .select(jobs::id)
        .order(jobs::id.desc())
        .offset(offset)
        .limit(1)
        .first(conn)
        .optional()?;
    // The keep-th newest exists; whether anything is older decides if a floor is needed.
    let Some(floor) = floor else { return Ok(None) };
    let older: Option<i64> = jobs::table
        .select(jobs::id)
        .filter(jobs::id.lt(floor))
        .first(conn)
        .optional()?;
    Ok(older.map(|_| floor))
}
