//! The autoclassifier, run where a log's parse is stored: inside the same transaction, after
//! the parse's rows are written, so that one parsed log costs one transaction and one commit
//! whether or not the autoclassifier classifies its job. It reads the job, its classification
//! now, its failure lines with their recurrence keys, the latest person's decision on each key
//! in the window, and which of those decisions' bugs are resolved; the rule that decides is the
//! model's (`treeherd_model::autoclassify`); the write is the one classification path
//! (`classifications::record`). It runs in a savepoint: if it fails, the parse still commits.
//!
//! The latest decision per key is one query for all keys: a correlated `ORDER BY failed_at
//! DESC, id DESC LIMIT 1` per key over the partial index `classifications_by_recurrence`
//! (the query repeats the index's `automatic = FALSE`, which both databases need to use it),
//! so its cost grows with the job's lines, not with how often a key was classified.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use std::collections::HashSet;
use std::time::Duration;
use treeherd_model::autoclassify::{
    Autoclassification, FailureLine as ModelLine, Precedent, RecurrenceKey, Window, classify_job,
    classify_line,
};
use treeherd_model::{BugId, FailureClassification};

use crate::classifications::{
    LineKeys, NewClassification, current_of, failure_lines_of, is_failed, load_job, parse_bugs,
    record,
};
use crate::db::DbConnection;
use crate::jobs::{JobRow, into_jobs};
use crate::schema::{jobs, repositories};
use crate::{Classification, Job, RepositoryId, StoreError};

/// Who the autoclassifier's decisions are recorded as.
pub const AUTOCLASSIFIER: &str = "autoclassifier";

/// How a stored parse is autoclassified: how long a person's decision on a recurrence key
/// counts, and how a failure line's key is derived (the parser's, passed in so that the store
/// stays free of it).
#[derive(Debug, Clone, Copy)]
pub struct Autoclassifier {
    pub window: Duration,
    pub keys: LineKeys,
}

/// A job the autoclassifier classified, with what announcing it needs.
#[derive(Debug, Clone)]
pub struct Autoclassified {
    pub job: Job,
    /// The job's repository's name.
    pub repository: String,
    pub classification: Classification,
}

/// A person's latest decision on a recurrence key.
#[derive(QueryableByName)]
struct PrecedentRow {
    #[diesel(sql_type = Nullable<Text>)]
    recurrence_test: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    recurrence_key: Option<String>,
    #[diesel(sql_type = BigInt)]
    failed_at: i64,
    #[diesel(sql_type = Integer)]
    classification: i32,
    #[diesel(sql_type = Text)]
    bugs: String,
}

/// Runs the autoclassifier on job `job_id` at `now`, in a savepoint of the caller's
/// transaction: a failure rolls back its own work only, and is logged. Returns the job's
/// decision if it classified the job.
pub(crate) fn autoclassify_in_savepoint(
    conn: &mut DbConnection,
    job_id: i64,
    rule: &Autoclassifier,
    now: i64,
) -> Option<Autoclassified> {
    match conn.transaction(|conn| autoclassify(conn, job_id, rule, now)) {
        Ok(decided) => decided,
        Err(e) => {
            tracing::warn!(job = job_id, error = %e, "autoclassification failed; the parse is stored");
            None
        }
    }
}

/// The autoclassifier's decision on job `job_id`, written if it classifies the job: only a
/// failed job with failure lines that no person has classified, each line's latest person's
/// precedent an intermittent one whose bugs are not resolved.
fn autoclassify(
    conn: &mut DbConnection,
    job_id: i64,
    rule: &Autoclassifier,
    now: i64,
) -> Result<Option<Autoclassified>, StoreError> {
    let Some(job) = load_job(conn, job_id)? else {
        return Ok(None);
    };
    if !is_failed(&job.result) {
        return Ok(None);
    }
    if let Some((current, false)) = current_of(conn, job_id)?
        && current != FailureClassification::NotClassified
    {
        return Ok(None);
    }
    let lines = failure_lines_of(conn, &[job_id])?;
    if lines.is_empty() {
        return Ok(None);
    }
    let keys: Vec<RecurrenceKey> = lines
        .iter()
        .map(|line| {
            let (test, message) = (rule.keys)(&line.line);
            RecurrenceKey { test, message }
        })
        .collect();
    let mut wanted: Vec<&str> = keys.iter().map(|k| k.message.as_str()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let window = i64::try_from(rule.window.as_micros()).unwrap_or(i64::MAX);
    let repository = RepositoryId(job.repository_id);
    let precedents = latest_precedents(
        conn,
        repository,
        &wanted,
        job.failed_at.saturating_sub(window),
        job.failed_at,
    )?;
    let mut cited: Vec<BugId> = precedents
        .iter()
        .flat_map(|p| p.bugs.iter().copied())
        .collect();
    cited.sort_unstable();
    cited.dedup();
    let resolved: HashSet<BugId> = crate::bugs::load(conn, &cited)?
        .into_values()
        .filter(|bug| !bug.is_open())
        .map(|bug| bug.id)
        .collect();
    // The latest person's decision per key; one naming a resolved bug leaves its lines to
    // people (older decisions do not stand in for it).
    let history: Vec<Precedent> = precedents
        .into_iter()
        .filter(|p| !p.bugs.iter().any(|b| resolved.contains(b)))
        .collect();
    let decisions: Vec<Autoclassification> = keys
        .into_iter()
        .map(|key| {
            let line = ModelLine {
                repository,
                key,
                failed_at: job.failed_at,
                line: FailureClassification::NotClassified,
                job: FailureClassification::NotClassified,
            };
            classify_line(&line, &history, Window(rule.window))
        })
        .collect();
    let Autoclassification::Classify { bugs } =
        classify_job(FailureClassification::NotClassified, &decisions)
    else {
        return Ok(None);
    };
    let new = NewClassification {
        classification: FailureClassification::AutoclassifiedIntermittent,
        bugs,
        note: None,
        who: AUTOCLASSIFIER.to_owned(),
        at: now,
    };
    let classification = record(conn, &job, &new, true, &[])?;
    let rows: Vec<JobRow> = jobs::table
        .filter(jobs::id.eq(job_id))
        .select(JobRow::as_select())
        .load(conn)?;
    let job = into_jobs(rows)?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("job {job_id}")))?;
    let repository = repositories::table
        .find(job.repository_id.0)
        .select(repositories::name)
        .first(conn)?;
    Ok(Some(Autoclassified {
        job,
        repository,
        classification,
    }))
}

/// The latest person's decision on each of `keys` in `repository` among jobs that failed in
/// `[since, until]`: by `failed_at`, then the later written.
fn latest_precedents(
    conn: &mut DbConnection,
    repository: RepositoryId,
    keys: &[&str],
    since: i64,
    until: i64,
) -> Result<Vec<Precedent>, StoreError> {
    let mut found = Vec::new();
    // One parameter per key, at most 200 per query, well under either database's limit.
    for chunk in keys.chunks(200) {
        let values = (0..chunk.len())
            .map(|n| format!("(?{})", n + 4))
            .collect::<Vec<_>>()
            .join(", ");
        let mut text = format!(
            "SELECT c.recurrence_test, c.recurrence_key, c.failed_at, c.classification, c.bugs
             FROM classifications c WHERE c.id IN (
                 SELECT (SELECT p.id FROM classifications p
                         WHERE p.repository_id = ?1 AND p.recurrence_key = k.column1
                           AND p.automatic = FALSE AND p.failed_at BETWEEN ?2 AND ?3
                         ORDER BY p.failed_at DESC, p.id DESC LIMIT 1)
                 FROM (VALUES {values}) AS k)"
        );
        if matches!(conn, DbConnection::Pg(_)) {
            text = text.replace('?', "$");
        }
        let rows: Vec<PrecedentRow> = per_backend!(conn, |c| {
            let mut query = diesel::sql_query(text.as_str())
                .into_boxed()
                .bind::<BigInt, _>(repository.0)
                .bind::<BigInt, _>(since)
                .bind::<BigInt, _>(until);
            for key in chunk {
                query = query.bind::<Text, _>(*key);
            }
            query.load(c)?
        });
        for row in rows {
            found.push(Precedent {
                repository,
                key: RecurrenceKey {
                    test: row.recurrence_test.unwrap_or_default(),
                    message: row.recurrence_key.unwrap_or_default(),
                },
                at: row.failed_at,
                classification: FailureClassification::from_id(row.classification.into())?,
                bugs: parse_bugs(&row.bugs)?,
            });
        }
    }
    Ok(found)
}
