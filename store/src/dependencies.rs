//! Typed dependency edges. An edge belongs to its dependent job (a job declares what it waits
//! on, as a Taskcluster task does); the dependency is named by guid and may not have arrived:
//! such an edge is dangling until a job with that guid is stored, and binds by joining on guid.

use diesel::prelude::*;
use diesel::upsert::excluded;
use std::collections::HashMap;

use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::jobs::{JobRow, into_jobs};
use crate::schema::{job_dependencies, jobs};
use crate::{DanglingDependency, Dependency, NewDependency, Store, StoreError};

#[derive(Insertable)]
#[diesel(table_name = job_dependencies, treat_none_as_default_value = false)]
struct EdgeValues<'a> {
    dependent_id: i64,
    dependency_guid: &'a str,
    kind: &'static str,
}

impl Store {
    /// Adds edges in one transaction; adding an existing edge again sets its kind. Every
    /// dependent must be a stored job; a dependency need not be. Returns how many edges were
    /// written.
    pub async fn add_dependencies(&self, edges: Vec<NewDependency>) -> Result<usize, StoreError> {
        for edge in &edges {
            if edge.dependent == edge.dependency {
                return Err(StoreError::Conflict(format!(
                    "dependency cycle: {} -> {}",
                    edge.dependent, edge.dependency
                )));
            }
            if edge.dependency.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "job {:?} depends on an empty guid",
                    edge.dependent
                )));
            }
        }
        self.run(move |conn| db::write(conn, |conn| add(conn, &edges)))
            .await
    }

    /// The bound dependencies of each job (what it waits on), by job id.
    pub async fn dependencies_of(
        &self,
        job_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<Dependency>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<i64, Vec<Dependency>> = HashMap::new();
            for chunk in job_ids.chunks(BATCH_ROWS) {
                let rows: Vec<(i64, String, JobRow)> = job_dependencies::table
                    .inner_join(jobs::table.on(jobs::guid.eq(job_dependencies::dependency_guid)))
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

    /// The jobs that wait on each job, by the waited-on job's guid.
    pub async fn dependents_of(
        &self,
        guids: Vec<String>,
    ) -> Result<HashMap<String, Vec<Dependency>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<String, Vec<Dependency>> = HashMap::new();
            for chunk in guids.chunks(BATCH_ROWS) {
                let rows: Vec<(String, String, JobRow)> = job_dependencies::table
                    .inner_join(jobs::table.on(jobs::id.eq(job_dependencies::dependent_id)))
                    .filter(job_dependencies::dependency_guid.eq_any(chunk))
                    .order(jobs::id)
                    .select((
                        job_dependencies::dependency_guid,
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

    /// The edges of each job whose dependency has not arrived yet, by job id.
    pub async fn dangling_dependencies_of(
        &self,
        job_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<DanglingDependency>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<i64, Vec<DanglingDependency>> = HashMap::new();
            for chunk in job_ids.chunks(BATCH_ROWS) {
                let rows: Vec<(i64, String, String)> = job_dependencies::table
                    .left_join(jobs::table.on(jobs::guid.eq(job_dependencies::dependency_guid)))
                    .filter(job_dependencies::dependent_id.eq_any(chunk))
                    .filter(jobs::id.is_null())
                    .order(job_dependencies::dependency_guid)
                    .select((
                        job_dependencies::dependent_id,
                        job_dependencies::kind,
                        job_dependencies::dependency_guid,
                    ))
                    .load(conn)?;
                for (job, kind, guid) in rows {
                    by_job.entry(job).or_default().push(DanglingDependency {
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

fn collect<K: std::hash::Hash + Eq>(
    by_job: &mut HashMap<K, Vec<Dependency>>,
    rows: Vec<(K, String, JobRow)>,
) -> Result<(), StoreError> {
    let (keys, rest): (Vec<K>, Vec<(String, JobRow)>) = rows
        .into_iter()
        .map(|(k, kind, row)| (k, (kind, row)))
        .unzip();
    let (kinds, rows): (Vec<String>, Vec<JobRow>) = rest.into_iter().unzip();
    for ((key, kind), job) in keys.into_iter().zip(kinds).zip(into_jobs(rows)?) {
        by_job.entry(key).or_default().push(Dependency {
            kind: kind.parse()?,
            job,
        });
    }
    Ok(())
}

fn add(conn: &mut DbConnection, edges: &[NewDependency]) -> Result<usize, StoreError> {
    let mut dependents: Vec<&str> = edges.iter().map(|e| e.dependent.as_str()).collect();
    dependents.sort_unstable();
    dependents.dedup();
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(dependents.len());
    for chunk in dependents.chunks(BATCH_ROWS) {
        let rows: Vec<(String, i64)> = jobs::table
            .filter(jobs::guid.eq_any(chunk))
            .select((jobs::guid, jobs::id))
            .load(conn)?;
        ids.extend(rows);
    }
    if let Some(missing) = dependents.iter().find(|g| !ids.contains_key(**g)) {
        return Err(StoreError::NotFound(format!(
            "no job with guid {missing:?} (a dependent must be submitted before its edges)"
        )));
    }
    // The last kind given for a pair wins, as it would over two calls.
    let mut unique: HashMap<(i64, &str), &'static str> = HashMap::with_capacity(edges.len());
    for edge in edges {
        unique.insert(
            (ids[&edge.dependent], edge.dependency.as_str()),
            edge.kind.as_str(),
        );
    }
    let values: Vec<EdgeValues<'_>> = unique
        .into_iter()
        .map(|((dependent_id, dependency_guid), kind)| EdgeValues {
            dependent_id,
            dependency_guid,
            kind,
        })
        .collect();
    for chunk in values.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(job_dependencies::table)
            .values(chunk)
            .on_conflict((
                job_dependencies::dependent_id,
                job_dependencies::dependency_guid
            ))
            .do_update()
            .set(job_dependencies::kind.eq(excluded(job_dependencies::kind)))
            .execute(c)?);
    }
    Ok(values.len())
}
