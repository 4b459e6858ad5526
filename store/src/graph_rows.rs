//! How the dependency graph is read from the database: a job's status and the bound edges,
//! by the columns the graph needs, for the live graph's load and catch-up (`graph.rs`) and
//! for the part of the graph a question reads from the store (`graph_scope.rs`).

use diesel::prelude::*;
use std::collections::HashMap;
use treeherd_graph::{DependencyKind, JobId, JobStatus};

use crate::StoreError;
use crate::db::DbConnection;
use crate::schema::{job_dependencies, jobs};

/// What the graph needs of a job, and of an edge.
pub(crate) const STATUS_COLUMNS: (
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
pub(crate) const EDGE_COLUMNS: (
    job_dependencies::dependent_id,
    job_dependencies::dependency_id,
    job_dependencies::kind,
) = (
    job_dependencies::dependent_id,
    job_dependencies::dependency_id,
    job_dependencies::kind,
);
pub(crate) type StatusRow = (i64, String, String, Option<i64>, Option<i64>);
pub(crate) type EdgeRow = (i64, Option<i64>, String);

pub(crate) fn status(row: StatusRow) -> Result<(JobId, JobStatus), StoreError> {
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
pub(crate) fn load_statuses(
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
pub(crate) fn load_edges(
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
    edges(rows)
}

/// Bound edges whose dependent is one of the given jobs.
pub(crate) fn load_edges_from(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<Vec<(JobId, JobId, DependencyKind)>, StoreError> {
    let rows: Vec<EdgeRow> = per_backend!(conn, |c| job_dependencies::table
        .filter(job_dependencies::dependency_id.is_not_null())
        .filter(job_dependencies::dependent_id.eq_any(ids))
        .select(EDGE_COLUMNS)
        .load(c)?);
    edges(rows)
}

/// Bound edge rows as graph edges, each kind parsed once.
fn edges(rows: Vec<EdgeRow>) -> Result<Vec<(JobId, JobId, DependencyKind)>, StoreError> {
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
