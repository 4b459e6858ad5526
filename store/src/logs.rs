//! A job's logs as a work queue for the parse worker, and what parsing them found: Treeherder's
//! error lines, steps, PERFHERDER_DATA values and the test results of mozlog error summaries.
//!
//! The queue is one table, `job_logs`, whichever way a log came in. A log is PENDING until
//! parsed. The worker *claims* due logs by moving their next attempt into the future (a
//! lease) with a conditional update, so several server processes on one database never parse
//! the same log at once, and a worker that dies mid-log only delays it by the lease. Storing
//! an outcome replaces everything an earlier parse of the log stored, in one transaction:
//! parsing again is harmless.

use diesel::prelude::*;
use std::collections::HashMap;
use treeherd_model::{LogStatus, NewTestResult};

use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::schema::{job_logs, jobs, log_errors, log_steps, perf_data};
use crate::test_results;
use crate::types::raw_ids;
use crate::{Autoclassified, Autoclassifier, JobId, JobLog, Store, StoreError};

/// A log the worker holds: fetch `url`, parse, and report back by `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct DueLog {
    pub id: i64,
    pub job_id: i64,
    pub name: String,
    pub url: String,
    /// Tries including this one.
    pub attempt: i32,
}

/// An error line of a log, as Treeherder's error summary shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogError {
    /// 0-based.
    pub line_number: i64,
    pub line: String,
    /// Position of the step it fell in, among the log's steps.
    pub step: Option<i32>,
    /// Its recurrence key (the test on it, its cleaned line masked), derived by the service
    /// when it parsed the log; `None` for a line stored before keys were stored.
    pub recurrence: Option<(String, String)>,
}

/// A step of a log (taskcluster task phase, mozharness step, buildbot step).
#[derive(Debug, Clone, PartialEq)]
pub struct LogStep {
    pub name: String,
    /// `taskcluster`, `mozharness` or `buildbot`.
    pub kind: String,
    /// `success`, `testfailed`, `busted`, `failed`, `skipped`, `exception`, `retry`,
    /// `usercancel` or `unknown`.
    pub result: String,
    pub first_line: i64,
    pub last_line: Option<i64>,
    /// Times as the log prints them.
    pub started: Option<String>,
    pub finished: Option<String>,
    pub duration_ms: Option<i64>,
    pub error_count: i64,
}

/// One PERFHERDER_DATA value: a suite's (no subtest) or a subtest's.
#[derive(Debug, Clone, PartialEq)]
pub struct PerfValue {
    pub framework: String,
    pub suite: String,
    pub subtest: Option<String>,
    pub value: f64,
    pub unit: Option<String>,
    pub lower_is_better: Option<bool>,
}

/// What parsing a log found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedLog {
    /// Lines and bytes of text, and every error line the rules accepted: none for a log
    /// that is no text log (an error summary).
    pub line_count: Option<i64>,
    pub byte_count: Option<i64>,
    pub error_count: Option<i64>,
    pub errors: Vec<LogError>,
    pub steps: Vec<LogStep>,
    pub perf: Vec<PerfValue>,
    /// From a mozlog error summary: become the job's test results.
    pub test_results: Vec<NewTestResult>,
}

/// What became of a try that did not parse the log.
#[derive(Debug, Clone, PartialEq)]
pub enum LogSetback {
    /// Try again at this time (unix microseconds).
    Retry { at: i64, reason: String },
    /// Give up: FAILED.
    Failed(String),
    /// Deliberately not parsed (too large): SKIPPED.
    Skipped(String),
}

#[derive(Insertable)]
#[diesel(table_name = log_errors, treat_none_as_default_value = false)]
struct ErrorValues<'a> {
    log_id: i64,
    position: i32,
    line_number: i64,
    line: &'a str,
    step: Option<i32>,
    recurrence_test: Option<&'a str>,
    recurrence_key: Option<&'a str>,
}

#[derive(Insertable)]
#[diesel(table_name = log_steps, treat_none_as_default_value = false)]
struct StepValues<'a> {
    log_id: i64,
    position: i32,
    name: &'a str,
    kind: &'a str,
    result: &'a str,
    first_line: i64,
    last_line: Option<i64>,
    started: Option<&'a str>,
    finished: Option<&'a str>,
    duration_ms: Option<i64>,
    error_count: i64,
}

#[derive(Insertable)]
#[diesel(table_name = perf_data, treat_none_as_default_value = false)]
struct PerfValues<'a> {
    job_id: i64,
    log_id: Option<i64>,
    repository_id: i64,
    framework: &'a str,
    suite: &'a str,
    subtest: &'a str,
    platform: &'a str,
    value: f64,
    unit: Option<&'a str>,
    lower_is_better: Option<bool>,
    /// The job's push, kept with the value so that the series outlives the job.
    push_row_id: Option<i64>,
}

type LogRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    i32,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn into_log(row: LogRow) -> Result<JobLog, StoreError> {
    let (id, job_id, name, url, status, reason, attempts, parsed_at, lines, bytes, errors) = row;
    Ok(JobLog {
        id,
        job_id: JobId(job_id),
        name,
        url,
        status: status.parse()?,
        reason,
        attempts,
        parsed_at,
        line_count: lines,
        byte_count: bytes,
        error_count: errors,
    })
}

macro_rules! log_columns {
    () => {
        (
            job_logs::id,
            job_logs::job_id,
            job_logs::name,
            job_logs::url,
            job_logs::status,
            job_logs::reason,
            job_logs::attempts,
            job_logs::parsed_at,
            job_logs::line_count,
            job_logs::byte_count,
            job_logs::error_count,
        )
    };
}

impl Store {
    /// Claims up to `limit` PENDING logs due at `now` (unix microseconds), oldest first, for
    /// `lease_us`: no other worker takes them before the lease ends.
    pub async fn claim_due_logs(
        &self,
        now: i64,
        lease_us: i64,
        limit: usize,
    ) -> Result<Vec<DueLog>, StoreError> {
        self.run(move |conn| {
            let due: Vec<(i64, i64, String, String, i32, i64)> = job_logs::table
                .filter(job_logs::status.eq(LogStatus::Pending.as_str()))
                .filter(job_logs::next_attempt_at.le(now))
                .order((job_logs::next_attempt_at, job_logs::id))
                .select((
                    job_logs::id,
                    job_logs::job_id,
                    job_logs::name,
                    job_logs::url,
                    job_logs::attempts,
                    job_logs::next_attempt_at,
                ))
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .load(conn)?;
            let mut claimed = Vec::with_capacity(due.len());
            for (id, job_id, name, url, attempts, due_at) in due {
                // Taken only if nobody moved it since it was read.
                let taken = diesel::update(
                    job_logs::table
                        .filter(job_logs::id.eq(id))
                        .filter(job_logs::status.eq(LogStatus::Pending.as_str()))
                        .filter(job_logs::next_attempt_at.eq(due_at)),
                )
                .set((
                    job_logs::next_attempt_at.eq(now.saturating_add(lease_us)),
                    job_logs::attempts.eq(attempts + 1),
                ))
                .execute(conn)?;
                if taken == 1 {
                    claimed.push(DueLog {
                        id,
                        job_id,
                        name,
                        url,
                        attempt: attempts + 1,
                    });
                }
            }
            Ok(claimed)
        })
        .await
    }

    /// Stores what parsing log `log_id` found, replacing what an earlier parse stored, and
    /// marks it PARSED at `now`; then, given an `autoclassifier`, runs it on the log's job in
    /// the same transaction (its failure does not undo the parse). Returns the job's
    /// autoclassification if it was classified. With the `claim` (the attempt) a worker took
    /// it under, nothing is stored unless the log is still that worker's (`Conflict`).
    pub async fn store_parsed_log(
        &self,
        log_id: i64,
        claim: Option<i32>,
        parsed: ParsedLog,
        now: i64,
        autoclassifier: Option<Autoclassifier>,
    ) -> Result<Option<Autoclassified>, StoreError> {
        self.run(move |conn| {
            db::write(conn, |conn| {
                if autoclassifier.is_some() {
                    // Before any row: a classification appends to the change log.
                    db::lock_log_writers(conn)?;
                }
                let job_id = store_parsed(conn, log_id, claim, &parsed, now)?;
                Ok(autoclassifier.and_then(|rule| {
                    crate::autoclassify::autoclassify_in_savepoint(conn, job_id, &rule, now)
                }))
            })
        })
        .await
    }

    /// Records a try that did not parse log `log_id`.
    pub async fn log_setback(&self, log_id: i64, setback: LogSetback) -> Result<(), StoreError> {
        self.run(move |conn| {
            let (status, at, reason) = match setback {
                LogSetback::Retry { at, reason } => (LogStatus::Pending, at, reason),
                LogSetback::Failed(reason) => (LogStatus::Failed, 0, reason),
                LogSetback::Skipped(reason) => (LogStatus::Skipped, 0, reason),
            };
            diesel::update(job_logs::table.find(log_id))
                .set((
                    job_logs::status.eq(status.as_str()),
                    job_logs::next_attempt_at.eq(at),
                    job_logs::reason.eq(Some(reason)),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// The logs of each job, by job id.
    pub async fn logs_of(
        &self,
        job_ids: Vec<JobId>,
    ) -> Result<HashMap<JobId, Vec<JobLog>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<JobId, Vec<JobLog>> = HashMap::new();
            for chunk in raw_ids(&job_ids).chunks(BATCH_ROWS) {
                let rows: Vec<LogRow> = job_logs::table
                    .filter(job_logs::job_id.eq_any(chunk))
                    .order(job_logs::id)
                    .select(log_columns!())
                    .load(conn)?;
                for row in rows {
                    let log = into_log(row)?;
                    by_job.entry(log.job_id).or_default().push(log);
                }
            }
            Ok(by_job)
        })
        .await
    }

    /// One log by id.
    pub async fn log(&self, log_id: i64) -> Result<Option<JobLog>, StoreError> {
        self.run(move |conn| {
            let row: Option<LogRow> = job_logs::table
                .find(log_id)
                .select(log_columns!())
                .first(conn)
                .optional()?;
            row.map(into_log).transpose()
        })
        .await
    }

    /// The stored error lines of each log, by log id, in line order.
    pub async fn log_errors(
        &self,
        log_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<LogError>>, StoreError> {
        self.run(move |conn| {
            let mut by_log: HashMap<i64, Vec<LogError>> = HashMap::new();
            for chunk in log_ids.chunks(BATCH_ROWS) {
                type Row = (
                    i64,
                    i64,
                    String,
                    Option<i32>,
                    Option<String>,
                    Option<String>,
                );
                let rows: Vec<Row> = log_errors::table
                    .filter(log_errors::log_id.eq_any(chunk))
                    .order((log_errors::log_id, log_errors::position))
                    .select((
                        log_errors::log_id,
                        log_errors::line_number,
                        log_errors::line,
                        log_errors::step,
                        log_errors::recurrence_test,
                        log_errors::recurrence_key,
                    ))
                    .load(conn)?;
                for (log, line_number, line, step, test, key) in rows {
                    by_log.entry(log).or_default().push(LogError {
                        line_number,
                        line,
                        step,
                        recurrence: test.zip(key),
                    });
                }
            }
            Ok(by_log)
        })
        .await
    }

    /// The steps of each log, by log id, in the order they start.
    pub async fn log_steps(
        &self,
        log_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<LogStep>>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
        );
        self.run(move |conn| {
            let mut by_log: HashMap<i64, Vec<LogStep>> = HashMap::new();
            for chunk in log_ids.chunks(BATCH_ROWS) {
                let rows: Vec<Row> = log_steps::table
                    .filter(log_steps::log_id.eq_any(chunk))
                    .order((log_steps::log_id, log_steps::position))
                    .select((
                        log_steps::log_id,
                        log_steps::name,
                        log_steps::kind,
                        log_steps::result,
                        log_steps::first_line,
                        log_steps::last_line,
                        log_steps::started,
                        log_steps::finished,
                        log_steps::duration_ms,
                        log_steps::error_count,
                    ))
                    .load(conn)?;
                for row in rows {
                    by_log.entry(row.0).or_default().push(LogStep {
                        name: row.1,
                        kind: row.2,
                        result: row.3,
                        first_line: row.4,
                        last_line: row.5,
                        started: row.6,
                        finished: row.7,
                        duration_ms: row.8,
                        error_count: row.9,
                    });
                }
            }
            Ok(by_log)
        })
        .await
    }
}

fn store_parsed(
    conn: &mut DbConnection,
    log_id: i64,
    claim: Option<i32>,
    parsed: &ParsedLog,
    now: i64,
) -> Result<i64, StoreError> {
    type Found = (i64, i64, Option<i64>, Option<String>, String, i32);
    let (job_id, repository_id, push_row_id, platform, status, attempts): Found = job_logs::table
        .inner_join(jobs::table)
        .filter(job_logs::id.eq(log_id))
        .select((
            jobs::id,
            jobs::repository_id,
            jobs::push_row_id,
            jobs::platform,
            job_logs::status,
            job_logs::attempts,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no log {log_id}")))?;
    // A worker whose lease ran out (another took the log) stores nothing: one parse is stored.
    if let Some(claim) = claim
        && (status != LogStatus::Pending.as_str() || attempts != claim)
    {
        return Err(StoreError::Conflict(format!(
            "log {log_id} is no longer this worker's: its lease ran out and it was claimed again"
        )));
    }

    diesel::delete(log_errors::table.filter(log_errors::log_id.eq(log_id))).execute(conn)?;
    diesel::delete(log_steps::table.filter(log_steps::log_id.eq(log_id))).execute(conn)?;
    diesel::delete(perf_data::table.filter(perf_data::log_id.eq(log_id))).execute(conn)?;

    let errors: Vec<ErrorValues<'_>> = parsed
        .errors
        .iter()
        .enumerate()
        .map(|(position, e)| ErrorValues {
            log_id,
            position: position_of(position),
            line_number: e.line_number,
            line: &e.line,
            step: e.step,
            recurrence_test: e.recurrence.as_ref().map(|(test, _)| test.as_str()),
            recurrence_key: e.recurrence.as_ref().map(|(_, key)| key.as_str()),
        })
        .collect();
    for chunk in errors.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(log_errors::table)
            .values(chunk)
            .execute(c)?);
    }
    let steps: Vec<StepValues<'_>> = parsed
        .steps
        .iter()
        .enumerate()
        .map(|(position, s)| StepValues {
            log_id,
            position: position_of(position),
            name: &s.name,
            kind: &s.kind,
            result: &s.result,
            first_line: s.first_line,
            last_line: s.last_line,
            started: s.started.as_deref(),
            finished: s.finished.as_deref(),
            duration_ms: s.duration_ms,
            error_count: s.error_count,
        })
        .collect();
    for chunk in steps.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(log_steps::table)
            .values(chunk)
            .execute(c)?);
    }
    let platform = platform.unwrap_or_default();
    let perf: Vec<PerfValues<'_>> = parsed
        .perf
        .iter()
        .map(|p| PerfValues {
            job_id,
            log_id: Some(log_id),
            repository_id,
            framework: &p.framework,
            suite: &p.suite,
            subtest: p.subtest.as_deref().unwrap_or(""),
            platform: &platform,
            value: p.value,
            unit: p.unit.as_deref(),
            lower_is_better: p.lower_is_better,
            push_row_id,
        })
        .collect();
    for chunk in perf.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(perf_data::table)
            .values(chunk)
            .execute(c)?);
    }
    test_results::upsert(conn, job_id, repository_id, &parsed.test_results)?;

    diesel::update(job_logs::table.find(log_id))
        .set((
            job_logs::status.eq(LogStatus::Parsed.as_str()),
            job_logs::reason.eq(None::<String>),
            job_logs::parsed_at.eq(Some(now)),
            job_logs::line_count.eq(parsed.line_count),
            job_logs::byte_count.eq(parsed.byte_count),
            job_logs::error_count.eq(parsed.error_count),
        ))
        .execute(conn)?;
    Ok(job_id)
}

fn position_of(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}
