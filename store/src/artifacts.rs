//! A job's results dictionary: its logs (pointers queued for the parse worker) and its other
//! artifacts (screenshots, recordings, binaries...), on the job or on one of its test results.
//! Written with the job, with its test results, or attached later.
//!
//! One rule queues logs: a job's `logs`, and every artifact that is a raw log or a mozlog
//! error summary, wherever it came from, become PENDING logs of the job (by name).

use diesel::prelude::*;
use diesel::upsert::excluded;
use std::collections::{BTreeMap, HashMap};

use crate::db::{BATCH_ROWS, DbConnection};
use crate::schema::{artifacts, job_logs};
use treeherd_model::{ArtifactKind, LogStatus, NewArtifact, NewJob};

use crate::{Artifact, Store, StoreError};

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
    test_result_id: Option<i64>,
    name: &'a str,
    kind: &'static str,
    url: &'a str,
    content_type: Option<&'a str>,
    size: Option<i64>,
    sha256: Option<&'a str>,
}

impl<'a> ArtifactValues<'a> {
    fn new(job_id: i64, test_result_id: Option<i64>, a: &'a NewArtifact) -> Self {
        ArtifactValues {
            job_id,
            test_result_id,
            name: &a.name,
            kind: a.kind.as_str(),
            url: &a.url,
            content_type: a.content_type.as_deref(),
            size: a.size,
            sha256: a.sha256.as_deref(),
        }
    }

    /// The log this artifact queues, when it is one the worker parses.
    fn log(&self) -> Option<LogValues<'a>> {
        let parsed = [ArtifactKind::RawLog, ArtifactKind::ErrorSummary]
            .iter()
            .any(|kind| kind.as_str() == self.kind);
        parsed.then_some(LogValues {
            job_id: self.job_id,
            name: self.name,
            url: self.url,
            status: LogStatus::Pending.as_str(),
        })
    }
}

/// Records the logs and artifacts of written jobs.
pub(crate) fn record(
    conn: &mut DbConnection,
    batch: &[&NewJob],
    ids: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    let mut logs: Vec<LogValues<'_>> = Vec::new();
    let mut artifacts: Vec<ArtifactValues<'_>> = Vec::new();
    for job in batch {
        let Some(&job_id) = ids.get(&job.guid) else {
            continue;
        };
        logs.extend(job.logs.iter().map(|log| LogValues {
            job_id,
            name: &log.name,
            url: &log.url,
            status: LogStatus::Pending.as_str(),
        }));
        artifacts.extend(
            job.artifacts
                .iter()
                .map(|a| ArtifactValues::new(job_id, None, a)),
        );
    }
    write(conn, logs, artifacts)
}

/// Attaches artifacts to a job, each on the job (`None`) or on one of its test results.
pub(crate) fn attach(
    conn: &mut DbConnection,
    job_id: i64,
    attached: &[(Option<i64>, &NewArtifact)],
) -> Result<(), StoreError> {
    let artifacts: Vec<ArtifactValues<'_>> = attached
        .iter()
        .map(|(result, a)| ArtifactValues::new(job_id, *result, a))
        .collect();
    write(conn, Vec::new(), artifacts)
}

/// Upserts logs and artifacts. A log already known by name takes the URL given now and keeps
/// its parsing status.
fn write<'a>(
    conn: &mut DbConnection,
    mut logs: Vec<LogValues<'a>>,
    artifacts: Vec<ArtifactValues<'a>>,
) -> Result<(), StoreError> {
    logs.extend(artifacts.iter().filter_map(ArtifactValues::log));
    // One statement may not touch a row twice: the last of a repeated key wins. Rows go in
    // in key order, so each index is written left to right rather than all over.
    let logs: Vec<LogValues<'a>> = logs
        .into_iter()
        .map(|l| ((l.job_id, l.name), l))
        .collect::<BTreeMap<_, _>>()
        .into_values()
        .collect();
    let artifacts: Vec<ArtifactValues<'a>> = artifacts
        .into_iter()
        .map(|a| ((a.job_id, a.name, a.url), a))
        .collect::<BTreeMap<_, _>>()
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
    for chunk in artifacts.chunks(BATCH_ROWS / 2) {
        per_backend!(conn, |c| diesel::insert_into(artifacts::table)
            .values(chunk)
            .on_conflict((artifacts::job_id, artifacts::name, artifacts::url))
            .do_update()
            .set((
                artifacts::kind.eq(excluded(artifacts::kind)),
                artifacts::test_result_id.eq(excluded(artifacts::test_result_id)),
                artifacts::content_type.eq(excluded(artifacts::content_type)),
                artifacts::size.eq(excluded(artifacts::size)),
                artifacts::sha256.eq(excluded(artifacts::sha256)),
            ))
            .execute(c)?);
    }
    Ok(())
}

impl Store {
    /// The artifacts on each job itself (not on its test results), by job id.
    pub async fn artifacts_of(
        &self,
        job_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<Artifact>>, StoreError> {
        self.artifacts_where(job_ids, None).await
    }

    /// The artifacts of each test result, by test result id.
    pub async fn artifacts_of_results(
        &self,
        result_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<Artifact>>, StoreError> {
        self.artifacts_where(Vec::new(), Some(result_ids)).await
    }

    async fn artifacts_where(
        &self,
        job_ids: Vec<i64>,
        result_ids: Option<Vec<i64>>,
    ) -> Result<HashMap<i64, Vec<Artifact>>, StoreError> {
        type Row = (
            i64,
            Option<i64>,
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        self.run(move |conn| {
            let keys = result_ids.as_deref().unwrap_or(&job_ids);
            let mut by_key: HashMap<i64, Vec<Artifact>> = HashMap::new();
            for chunk in keys.chunks(BATCH_ROWS) {
                let query = artifacts::table
                    .order(artifacts::id)
                    .select((
                        artifacts::job_id,
                        artifacts::test_result_id,
                        artifacts::name,
                        artifacts::kind,
                        artifacts::url,
                        artifacts::content_type,
                        artifacts::size,
                        artifacts::sha256,
                    ))
                    .into_boxed();
                let query = match result_ids {
                    Some(_) => query.filter(artifacts::test_result_id.eq_any(chunk)),
                    None => query
                        .filter(artifacts::job_id.eq_any(chunk))
                        .filter(artifacts::test_result_id.is_null()),
                };
                let rows: Vec<Row> = query.load(conn)?;
                for (job, result, name, kind, url, content_type, size, sha256) in rows {
                    let key = if result_ids.is_some() {
                        result.unwrap_or(job)
                    } else {
                        job
                    };
                    by_key.entry(key).or_default().push(Artifact {
                        name,
                        kind: kind.parse()?,
                        url,
                        content_type,
                        size,
                        sha256,
                    });
                }
            }
            Ok(by_key)
        })
        .await
    }
}
