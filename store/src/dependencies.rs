//! Typed dependency edges. An edge belongs to its dependent job (a job declares what it waits
//! on, as a Taskcluster task does); the dependency is named by guid and may not have arrived:
//! such an edge is dangling (`dependency_id` NULL) until a job with that guid is stored, which
//! binds it. Every bound edge is checked against the live graph inside the write transaction,
//! so no cycle is ever committed.
//!
//! An edge's dependent must be a stored job. The check runs after the live graph is caught up
//! inside the transaction, while graph writers are serialized (the graph's lock in this
//! process, the write lock across processes), so it sees every committed edge. A job that
//! arrives has no edges of its own yet, so binding the edges that wait on it can never close a
//! cycle.

use diesel::prelude::*;
use diesel::upsert::excluded;
use std::collections::HashMap;
use treeherd_graph::{GraphError, JobId};

use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::graph::{self, GraphErrorOrStore, LiveGraph, Undo};
use crate::jobs::{JobRow, into_jobs};
use crate::schema::{job_dependencies, jobs};
use crate::types::raw_ids;
use crate::{DanglingDependency, Dependency, NewDependency, Store, StoreError};

#[derive(Insertable)]
#[diesel(table_name = job_dependencies, treat_none_as_default_value = false)]
struct EdgeValues<'a> {
    dependent_id: i64,
    dependency_guid: &'a str,
    dependency_id: Option<i64>,
    kind: &'static str,
}

impl Store {
    /// Adds edges in one transaction; adding an existing edge again sets its kind. Every
    /// dependent must be a stored job; a dependency need not be. An edge that would close a
    /// cycle is a conflict naming the jobs on it, and nothing is written. Returns how many
    /// distinct edges were written.
    pub async fn add_dependencies(&self, edges: Vec<NewDependency>) -> Result<usize, StoreError> {
        // A self-edge needs no check of its own: the live graph refuses it as a cycle of one.
        for edge in &edges {
            if edge.dependency.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "job {:?} depends on an empty guid",
                    edge.dependent
                )));
            }
        }
        let live = self.graph.clone();
        self.run(move |conn| {
            let _sync = live.lock_sync()?;
            let mut undo = Vec::new();
            let written = db::write(conn, |conn| {
                db::lock_log_writers(conn)?;
                live.catch_up_locked(conn)?;
                let added = add(conn, &live, &edges, &mut undo)?;
                Ok((added, graph::last_change(conn)?))
            });
            match written {
                Ok((added, seq)) => {
                    live.advance_to(seq);
                    Ok(added)
                }
                Err(e) => {
                    live.undo(undo);
                    Err(e)
                }
            }
        })
        .await
    }

    /// The bound dependencies of each job (what it waits on), by job id.
    pub async fn dependencies_of(
        &self,
        job_ids: Vec<JobId>,
    ) -> Result<HashMap<JobId, Vec<Dependency>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<JobId, Vec<Dependency>> = HashMap::new();
            for chunk in raw_ids(&job_ids).chunks(BATCH_ROWS) {
                let rows: Vec<(i64, String, JobRow)> = job_dependencies::table
                    .inner_join(
                        jobs::table.on(jobs::id.nullable().eq(job_dependencies::dependency_id)),
                    )
                    .filter(job_dependencies::dependent_id.eq_any(chunk))
                    .order(jobs::id)
                    .select((
                        job_dependencies::dependent_id,
                        job_dependencies::kind,
                        JobRow::as_select(),
                    ))
                    .load(conn)?;
                collect(&mut by_job, rows)?;
            }
            Ok(by_job)
        })
        .await
    }

    /// The jobs that wait on each job, by the waited-on job's id.
    pub async fn dependents_of(
        &self,
        job_ids: Vec<JobId>,
    ) -> Result<HashMap<JobId, Vec<Dependency>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<JobId, Vec<Dependency>> = HashMap::new();
            for chunk in raw_ids(&job_ids).chunks(BATCH_ROWS) {
                let rows: Vec<(Option<i64>, String, JobRow)> = job_dependencies::table
                    .inner_join(jobs::table.on(jobs::id.eq(job_dependencies::dependent_id)))
                    .filter(job_dependencies::dependency_id.eq_any(chunk))
                    .order(jobs::id)
                    .select((
                        job_dependencies::dependency_id,
                        job_dependencies::kind,
                        JobRow::as_select(),
                    ))
                    .load(conn)?;
                let rows = rows
                    .into_iter()
                    .filter_map(|(id, kind, row)| id.map(|id| (id, kind, row)))
                    .collect();
                collect(&mut by_job, rows)?;
            }
            Ok(by_job)
        })
        .await
    }

    /// The edges of each job whose dependency has not arrived yet, by job id.
    pub async fn dangling_dependencies_of(
        &self,
        job_ids: Vec<JobId>,
    ) -> Result<HashMap<JobId, Vec<DanglingDependency>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<JobId, Vec<DanglingDependency>> = HashMap::new();
            for chunk in raw_ids(&job_ids).chunks(BATCH_ROWS) {
                let rows: Vec<(i64, String, String)> = job_dependencies::table
                    .filter(job_dependencies::dependent_id.eq_any(chunk))
                    .filter(job_dependencies::dependency_id.is_null())
                    .order(job_dependencies::dependency_guid)
                    .select((
                        job_dependencies::dependent_id,
                        job_dependencies::kind,
                        job_dependencies::dependency_guid,
                    ))
                    .load(conn)?;
                for (job, kind, guid) in rows {
                    by_job
                        .entry(JobId(job))
                        .or_default()
                        .push(DanglingDependency {
                            kind: kind.parse()?,
                            guid,
                        });
                }
            }
            Ok(by_job)
        })
        .await
    }
}

fn collect(
    by_job: &mut HashMap<JobId, Vec<Dependency>>,
    rows: Vec<(i64, String, JobRow)>,
) -> Result<(), StoreError> {
    let (keys, rest): (Vec<i64>, Vec<(String, JobRow)>) = rows
        .into_iter()
        .map(|(k, kind, row)| (k, (kind, row)))
        .unzip();
    let (kinds, rows): (Vec<String>, Vec<JobRow>) = rest.into_iter().unzip();
    for ((key, kind), job) in keys.into_iter().zip(kinds).zip(into_jobs(rows)?) {
        by_job.entry(JobId(key)).or_default().push(Dependency {
            kind: kind.parse()?,
            job,
        });
    }
    Ok(())
}

/// The ids of the given guids that are stored jobs.
pub(crate) fn ids_of(
    conn: &mut DbConnection,
    guids: &[&str],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(guids.len());
    for chunk in guids.chunks(BATCH_ROWS) {
        let rows: Vec<(String, i64)> = jobs::table
            .filter(jobs::guid.eq_any(chunk))
            .select((jobs::guid, jobs::id))
            .load(conn)?;
        ids.extend(rows);
    }
    Ok(ids)
}

/// "a -> b -> c -> a" for a cycle the graph refused.
fn describe_cycle(conn: &mut DbConnection, cycle: &[JobId]) -> Result<String, StoreError> {
    let ids: Vec<i64> = cycle.iter().map(|j| j.0).collect();
    let guids: HashMap<i64, String> = jobs::table
        .filter(jobs::id.eq_any(&ids))
        .select((jobs::id, jobs::guid))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let name = |id: &i64| guids.get(id).cloned().unwrap_or_else(|| format!("#{id}"));
    let mut names: Vec<String> = ids.iter().map(name).collect();
    if let Some(first) = ids.first() {
        names.push(name(first));
    }
    Ok(names.join(" -> "))
}

pub(crate) fn add(
    conn: &mut DbConnection,
    live: &LiveGraph,
    edges: &[NewDependency],
    undo: &mut Vec<Undo>,
) -> Result<usize, StoreError> {
    let mut guids: Vec<&str> = edges
        .iter()
        .flat_map(|e| [e.dependent.as_str(), e.dependency.as_str()])
        .collect();
    guids.sort_unstable();
    guids.dedup();
    let ids = ids_of(conn, &guids)?;
    if let Some(missing) = edges.iter().find(|e| !ids.contains_key(&e.dependent)) {
        return Err(StoreError::NotFound(format!(
            "no job with guid {:?} (a dependent must be submitted before its edges)",
            missing.dependent
        )));
    }
    // The last kind given for a pair wins, as it would over two calls; keep input order.
    let mut position: HashMap<(i64, &str), usize> = HashMap::with_capacity(edges.len());
    let mut values: Vec<EdgeValues<'_>> = Vec::with_capacity(edges.len());
    for edge in edges {
        let value = EdgeValues {
            dependent_id: ids[&edge.dependent],
            dependency_guid: &edge.dependency,
            dependency_id: ids.get(&edge.dependency).copied(),
            kind: edge.kind.as_str(),
        };
        match position.get(&(value.dependent_id, value.dependency_guid)) {
            Some(&at) => values[at] = value,
            None => {
                position.insert((value.dependent_id, value.dependency_guid), values.len());
                values.push(value);
            }
        }
    }
    // Stored before they are checked: a check the store makes (an end the live graph does
    // not hold) must see every edge of the write; a refused edge rolls them all back.
    for chunk in values.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(job_dependencies::table)
            .values(chunk)
            .on_conflict((
                job_dependencies::dependent_id,
                job_dependencies::dependency_guid
            ))
            .do_update()
            .set((
                job_dependencies::kind.eq(excluded(job_dependencies::kind)),
                job_dependencies::dependency_id.eq(excluded(job_dependencies::dependency_id)),
            ))
            .execute(c)?);
    }
    for edge in &values {
        let Some(dependency) = edge.dependency_id else {
            continue;
        };
        let kind = edge
            .kind
            .parse()
            .map_err(|e| StoreError::caused_by("stored edge kind", e))?;
        match live.add_edge(conn, JobId(edge.dependent_id), JobId(dependency), kind) {
            Ok(record) => undo.extend(record),
            Err(GraphErrorOrStore::Graph(GraphError::Cycle { jobs })) => {
                return Err(StoreError::Conflict(format!(
                    "dependency cycle: {}",
                    describe_cycle(conn, &jobs)?
                )));
            }
            Err(GraphErrorOrStore::Graph(e)) => {
                return Err(StoreError::caused_by("graph out of step", e));
            }
            Err(GraphErrorOrStore::Store(e)) => return Err(e),
        }
    }
    let mut dependents: Vec<i64> = values.iter().map(|v| v.dependent_id).collect();
    dependents.sort_unstable();
    dependents.dedup();
    graph::log_changes(conn, &dependents)?;
    Ok(values.len())
}
