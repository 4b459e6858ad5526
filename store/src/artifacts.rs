//! A job's logs (pointers queued for parsing) and the other entries of its results
//! dictionary (screenshots, recordings, binaries...), written with the job.

use diesel::prelude::*;
use diesel::upsert::excluded;
use std::collections::HashMap;

use crate::db::{BATCH_ROWS, DbConnection};
use crate::schema::{artifacts, job_logs};
use treeherd_model::NewJob;

use crate::{Artifact, JobLog, Store, StoreError};

/// Where a log is in its parsing.
pub const LOG_PENDING: &str = "PENDING";

#[derive(Insertable)]
#[diesel(table_name = job_logs, treat_none_as_default_value = false)]
struct LogValues<'a> {
    job_id: i64,
    name: &'a str,
    url: &'a str,
    status: &'static str,
}

#[derive(Insertable)]
#[diesel(table_name = artifacts, treat_none_as_default_value = false)]
struct ArtifactValues<'a> {
    job_id: i64,
    name: &'a str,
    kind: &'static str,
    url: &'a str,
    content_type: Option<&'a str>,
    size: Option<i64>,
    sha256: Option<&'a str>,
}

/// Records the logs and artifacts of written jobs. A log already known by name keeps its
/// parsing status unless its URL changed (a new log to parse).
pub(crate) fn record(
    conn: &mut DbConnection,
    batch: &[&NewJob],
    ids: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    let logs: Vec<LogValues<'_>> = batch
        .iter()
        .flat_map(|job| {
            let id = ids.get(&job.guid).copied();
            job.logs.iter().filter_map(move |log| {
                Some(LogValues {
                    job_id: id?,
                    name: &log.name,
                    url: &log.url,
                    status: LOG_PENDING,
                })
            })
        })
        .collect();
    let artifacts: Vec<ArtifactValues<'_>> = batch
        .iter()
        .flat_map(|job| {
            let id = ids.get(&job.guid).copied();
            job.artifacts.iter().filter_map(move |a| {
                Some(ArtifactValues {
                    job_id: id?,
                    name: &a.name,
                    kind: a.kind.as_str(),
                    url: &a.url,
                    content_type: a.content_type.as_deref(),
                    size: a.size,
                    sha256: a.sha256.as_deref(),
                })
            })
        })
        .collect();
    // One statement may not touch a row twice: the last of a repeated key wins.
    let logs: Vec<LogValues<'_>> = logs
        .into_iter()
        .map(|l| ((l.job_id, l.name), l))
        .collect::<HashMap<_, _>>()
        .into_values()
        .collect();
    let artifacts: Vec<ArtifactValues<'_>> = artifacts
        .into_iter()
        .map(|a| ((a.job_id, a.name, a.url), a))
        .collect::<HashMap<_, _>>()
        .into_values()
        .collect();
    for chunk in logs.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(job_logs::table)
            .values(chunk)
            .on_conflict((job_logs::job_id, job_logs::name))
            .do_update()
            .set(job_logs::url.eq(excluded(job_logs::url)))
            .execute(c)?);
    }
    for chunk in artifacts.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(artifacts::table)
            .values(chunk)
            .on_conflict((artifacts::job_id, artifacts::name, artifacts::url))
            .do_update()
            .set((
                artifacts::kind.eq(excluded(artifacts::kind)),
                artifacts::content_type.eq(excluded(artifacts::content_type)),
                artifacts::size.eq(excluded(artifacts::size)),
                artifacts::sha256.eq(excluded(artifacts::sha256)),
            ))
            .execute(c)?);
    }
    Ok(())
}

impl Store {
    /// The logs of each job, by job id.
    pub async fn logs_of(
        &self,
        job_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<JobLog>>, StoreError> {
        self.run(move |conn| {
            let rows: Vec<(i64, String, String, String)> = job_logs::table
                .filter(job_logs::job_id.eq_any(&job_ids))
                .order(job_logs::id)
                .select((
                    job_logs::job_id,
                    job_logs::name,
                    job_logs::url,
                    job_logs::status,
                ))
                .load(conn)?;
            let mut by_job: HashMap<i64, Vec<JobLog>> = HashMap::new();
            for (job, name, url, status) in rows {
                by_job
                    .entry(job)
                    .or_default()
                    .push(JobLog { name, url, status });
            }
            Ok(by_job)
        })
        .await
    }

    /// The artifacts of each job, by job id.
    pub async fn artifacts_of(
        &self,
        job_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<Artifact>>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        self.run(move |conn| {
            let rows: Vec<Row> = artifacts::table
                .filter(artifacts::job_id.eq_any(&job_ids))
                .order(artifacts::id)
                .select((
                    artifacts::job_id,
                    artifacts::name,
                    artifacts::kind,
                    artifacts::url,
                    artifacts::content_type,
                    artifacts::size,
                    artifacts::sha256,
                ))
                .load(conn)?;
            let mut by_job: HashMap<i64, Vec<Artifact>> = HashMap::new();
            for (job, name, kind, url, content_type, size, sha256) in rows {
                by_job.entry(job).or_default().push(Artifact {
                    name,
                    kind: kind.parse()?,
                    url,
                    content_type,
                    size,
                    sha256,
                });
            }
            Ok(by_job)
        })
        .await
    }
}
