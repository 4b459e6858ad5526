//! Bulk export as NDJSON, for analysts who load months into a warehouse ([`ExportData`]): one
//! JSON object per job whose age falls in a range, with its push, attributes, edges and
//! current classification; or per test result of those jobs; or per performance value whose
//! push falls in the range. Read a page at a time from the store and handed to an
//! [`ExportSink`] as it comes, so memory stays one page whatever the range. [`Ndjson`] is the
//! sink here (the API's field names and enum values; times RFC 3339 in UTC, as GraphQL's
//! `DateTime`); the `treeherd export` command adds Parquet, whose crate only it needs.

use serde::Serialize;
use serde_json::value::RawValue;
use std::future::Future;
use std::io::Write;
use treeherd_store::{ExportedJob, ExportedPerfValue, ExportedTestResult, StoreError};

use crate::utc_time::UtcTime;
use crate::{Service, ServiceError};

/// Jobs or performance values read per page.
const PAGE: usize = treeherd_store::EXPORT_ROWS;

/// Jobs whose test results are read per page (a test job may have thousands).
const TEST_RESULT_JOBS: usize = 1000;

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportData {
    /// Jobs whose age (submitted, else started, else finished) is in the range.
    Jobs,
    /// The test results of those jobs.
    TestResults,
    /// Performance values whose push was pushed in the range (kept after their jobs expire).
    Perf,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestResultLine<'a> {
    job: &'a str,
    repository: &'a str,
    test: &'a str,
    subtest: Option<&'a str>,
    status: &'a str,
    expected: Option<&'a str>,
    failed: bool,
    duration_ms: Option<i64>,
    message: Option<&'a str>,
    group: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PerfLine<'a> {
    repository: &'a str,
    framework: &'a str,
    suite: &'a str,
    subtest: Option<&'a str>,
    platform: &'a str,
    value: f64,
    unit: Option<&'a str>,
    lower_is_better: Option<bool>,
    push: Option<PushLine<'a>>,
    job: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobLine<'a> {
    guid: &'a str,
    repository: &'a str,
    push: Option<PushLine<'a>>,
    kind: &'a str,
    name: &'a str,
    symbol: Option<&'a str>,
    group_symbol: Option<&'a str>,
    group_name: Option<&'a str>,
    platform: Option<&'a str>,
    build_system: Option<&'a str>,
    state: &'a str,
    result: &'a str,
    tier: i32,
    machine: Option<&'a str>,
    submitted_at: Option<UtcTime>,
    started_at: Option<UtcTime>,
    finished_at: Option<UtcTime>,
    attributes: &'a RawValue,
    dependencies: Vec<DependencyLine<'a>>,
    classification: Option<ClassificationLine<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PushLine<'a> {
    push_id: i64,
    revision: &'a str,
    pushed_at: Option<UtcTime>,
}

#[derive(Serialize)]
struct DependencyLine<'a> {
    guid: &'a str,
    kind: &'a str,
}

#[derive(Serialize)]
struct ClassificationLine<'a> {
    classification: &'a str,
    automatic: bool,
    bugs: &'a [i64],
}

fn rfc3339(micros: Option<i64>) -> Option<UtcTime> {
    micros.map(UtcTime)
}

/// `line` and a newline.
fn write_line(out: &mut impl Write, line: &impl Serialize) -> Result<(), ServiceError> {
    serde_json::to_writer(&mut *out, line)
        .map_err(|e| ServiceError::Internal(format!("cannot write the export: {e}")))?;
    out.write_all(b"\n")
        .map_err(|e| ServiceError::Internal(format!("cannot write the export: {e}")))
}

fn write_test_result(out: &mut impl Write, r: &ExportedTestResult) -> Result<(), ServiceError> {
    write_line(
        out,
        &TestResultLine {
            job: &r.job,
            repository: &r.repository,
            test: &r.test,
            subtest: Some(r.subtest.as_str()).filter(|s| !s.is_empty()),
            status: &r.status,
            expected: r.expected.as_deref(),
            failed: r.failed,
            duration_ms: r.duration_ms,
            message: r.message.as_deref(),
            group: r.group.as_deref(),
        },
    )
}

fn write_perf_value(out: &mut impl Write, v: &ExportedPerfValue) -> Result<(), ServiceError> {
    write_line(
        out,
        &PerfLine {
            repository: &v.repository,
            framework: &v.framework,
            suite: &v.suite,
            subtest: Some(v.subtest.as_str()).filter(|s| !s.is_empty()),
            platform: &v.platform,
            value: v.value,
            unit: v.unit.as_deref(),
            lower_is_better: v.lower_is_better,
            push: v.push.as_ref().map(|(push_id, revision, at)| PushLine {
                push_id: *push_id,
                revision,
                pushed_at: rfc3339(Some(*at)),
            }),
            job: v.job.as_deref(),
        },
    )
}

/// One job as its NDJSON line.
fn write_job(out: &mut impl Write, exported: &ExportedJob) -> Result<(), ServiceError> {
    let job = &exported.job;
    let attributes: &RawValue = serde_json::from_str(&job.attributes_json)
        .map_err(|e| ServiceError::Internal(format!("job {}: stored attributes: {e}", job.guid)))?;
    let line = JobLine {
        guid: &job.guid,
        repository: &exported.repository,
        push: exported
            .push
            .as_ref()
            .map(|(push_id, revision, at)| PushLine {
                push_id: *push_id,
                revision,
                pushed_at: rfc3339(Some(*at)),
            }),
        kind: job.kind.as_str(),
        name: &job.name,
        symbol: job.symbol.as_deref(),
        group_symbol: job.group_symbol.as_deref(),
        group_name: job.group_name.as_deref(),
        platform: job.platform.as_deref(),
        build_system: job.build_system.as_deref(),
        state: job.state.as_str(),
        result: job.result.as_str(),
        tier: job.tier,
        machine: job.machine.as_deref(),
        submitted_at: rfc3339(job.submitted_at),
        started_at: rfc3339(job.started_at),
        finished_at: rfc3339(job.finished_at),
        attributes,
        dependencies: exported
            .dependencies
            .iter()
            .map(|(guid, kind)| DependencyLine { guid, kind })
            .collect(),
        classification: exported.classification.as_ref().map(
            |(classification, automatic, bugs)| ClassificationLine {
                classification: classification.as_str(),
                automatic: *automatic,
                bugs,
            },
        ),
    };
    write_line(out, &line)
}

/// Where the pages of an export go, in order; `finish` once after the last.
pub trait ExportSink {
    fn jobs(&mut self, page: &[ExportedJob]) -> Result<(), ServiceError>;
    fn test_results(&mut self, page: &[ExportedTestResult]) -> Result<(), ServiceError>;
    fn perf_values(&mut self, page: &[ExportedPerfValue]) -> Result<(), ServiceError>;
    fn finish(&mut self) -> Result<(), ServiceError>;
}

/// NDJSON: one object per line.
pub struct Ndjson<W: Write>(pub W);

impl<W: Write> ExportSink for Ndjson<W> {
    fn jobs(&mut self, page: &[ExportedJob]) -> Result<(), ServiceError> {
        page.iter().try_for_each(|job| write_job(&mut self.0, job))
    }

    fn test_results(&mut self, page: &[ExportedTestResult]) -> Result<(), ServiceError> {
        page.iter()
            .try_for_each(|r| write_test_result(&mut self.0, r))
    }

    fn perf_values(&mut self, page: &[ExportedPerfValue]) -> Result<(), ServiceError> {
        page.iter()
            .try_for_each(|v| write_perf_value(&mut self.0, v))
    }

    fn finish(&mut self) -> Result<(), ServiceError> {
        self.0
            .flush()
            .map_err(|e| ServiceError::Internal(format!("cannot write the export: {e}")))
    }
}

/// Reads pages one ahead and completes them one behind: while `write` writes page N, page
/// N + 1 is being completed (`complete`: a job page's repositories, pushes, edges and
/// classifications) and page N + 2 read, each on a store connection of its own, so PostgreSQL
/// works on two statements at once while the writer serializes. `fetch(after)` gives a page as
/// read and the cursor of the next (`None`: the last). Pages are written in order.
async fn pipelined<Cursor, Read, Page, Fetch, Fut, Complete, Done>(
    fetch: Fetch,
    complete: Complete,
    mut write: impl FnMut(&Page) -> Result<(), ServiceError>,
) -> Result<(), ServiceError>
where
    Cursor: Send + 'static,
    Read: Send + 'static,
    Page: Send + 'static,
    Fetch: Fn(Option<Cursor>) -> Fut,
    Fut: Future<Output = Result<(Read, Option<Cursor>), StoreError>> + Send + 'static,
    Complete: Fn(Read) -> Done,
    Done: Future<Output = Result<Page, StoreError>> + Send + 'static,
{
    let joined = |e: tokio::task::JoinError| ServiceError::Internal(format!("export task: {e}"));
    let mut reading = Some(tokio::spawn(fetch(None)));
    let mut completing: Option<tokio::task::JoinHandle<Result<Page, StoreError>>> = None;
    loop {
        let read = match reading.take() {
            Some(read) => Some(read.await.map_err(joined)??),
            None => None,
        };
        let previous = match read {
            Some((page, next)) => {
                reading = next.map(|next| tokio::spawn(fetch(Some(next))));
                completing.replace(tokio::spawn(complete(page)))
            }
            None => completing.take(),
        };
        let Some(previous) = previous else {
            // The first page is being completed; nothing to write yet, unless all is done.
            if completing.is_none() {
                break;
            }
            continue;
        };
        // On a single-threaded runtime (the CLI's) the reads start only when this task
        // yields: once they have handed their statements to blocking threads, writing goes on.
        tokio::task::yield_now().await;
        write(&previous.await.map_err(joined)??)?;
    }
    Ok(())
}

/// A page that needs no completing.
async fn as_read<Page>(page: Page) -> Result<Page, StoreError> {
    Ok(page)
}

impl Service {
    /// Hands `data` of the range `[since, until)` (unix microseconds) to `out`, oldest first,
    /// calling `progress` with the count after each page. Returns how many rows it handed on.
    pub async fn export(
        &self,
        data: ExportData,
        since: i64,
        until: i64,
        out: &mut dyn ExportSink,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, ServiceError> {
        let mut written = 0u64;
        match data {
            ExportData::Jobs => {
                pipelined(
                    |after| {
                        let store = self.store.clone();
                        async move {
                            let page = store.export_jobs(since, until, after, PAGE).await?;
                            Ok((page.jobs, page.next))
                        }
                    },
                    |jobs| {
                        let store = self.store.clone();
                        async move { store.export_job_details(jobs).await }
                    },
                    |jobs| {
                        out.jobs(jobs)?;
                        written += jobs.len() as u64;
                        progress(written);
                        Ok(())
                    },
                )
                .await?;
            }
            ExportData::TestResults => {
                pipelined(
                    |after| {
                        let store = self.store.clone();
                        async move {
                            store
                                .export_test_results(since, until, after, TEST_RESULT_JOBS)
                                .await
                        }
                    },
                    as_read,
                    |results| {
                        out.test_results(results)?;
                        written += results.len() as u64;
                        progress(written);
                        Ok(())
                    },
                )
                .await?;
            }
            ExportData::Perf => {
                pipelined(
                    |after| {
                        let store = self.store.clone();
                        async move { store.export_perf_data(since, until, after, PAGE).await }
                    },
                    as_read,
                    |values| {
                        out.perf_values(values)?;
                        written += values.len() as u64;
                        progress(written);
                        Ok(())
                    },
                )
                .await?;
            }
        }
        out.finish()?;
        Ok(written)
    }
}
