//! The autoclassifier, run where a log's parse is stored: inside the same transaction, after
//! the parse's rows are written, so that one parsed log costs one transaction and one commit
//! whether or not the autoclassifier classifies its job. It reads the job, its classification
//! now, its failure lines with their recurrence keys, the latest person's decision on each key
//! in the window, and which of those decisions' bugs are resolved; the rule that decides is the
//! model's (`treeherd_model::autoclassify`); the write is the one classification path
//! (`classifications::record`). It runs in a savepoint: if it fails, the parse still commits.
//!
//! Each line's recurrence key is the one stored with it when the log was parsed (derived by
//! `Autoclassifier::keys` only for lines stored before keys were). The latest decision per key
//! is one prepared statement for all keys: a correlated `ORDER BY failed_at DESC, id DESC
//! LIMIT 1` per key over the partial index `classifications_by_recurrence` (the query repeats
//! the index's `automatic = FALSE`, which both databases need to use it), so its cost grows
//! with the job's lines, not with how often a key was classified.

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, Integer, Nullable, Text, Untyped};
use diesel::sqlite::Sqlite;
use std::time::Duration;
use treeherd_model::FailureClassification;
use treeherd_model::autoclassify::{
    Autoclassification, FailureLine as ModelLine, Precedent, RecurrenceKey, Window, classify_job,
    classify_line,
};

use crate::classifications::{
    ClassifiedJob, LineKeys, NewClassification, failure_lines_of, is_failed, parse_bugs, record,
};
use crate::db::DbConnection;
use crate::jobs::JobRow;
use crate::schema::{job_classifications, jobs, repositories};
use crate::{Classification, Job, RepositoryId, StoreError};

/// Who the autoclassifier's decisions are recorded as.
pub const AUTOCLASSIFIER: &str = "autoclassifier";

/// How a stored parse is autoclassified: how long a person's decision on a recurrence key
/// counts, and how the key of a line stored without one is derived (the parser's, passed in
/// so that the store stays free of it).
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
    /// Whether one of its bugs is resolved.
    #[diesel(sql_type = Bool)]
    resolved: bool,
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
    // The job, its repository's name and its classification now, in one read.
    let found: Option<(JobRow, String, Option<i32>, Option<bool>)> = jobs::table
        .inner_join(repositories::table)
        .left_join(job_classifications::table)
        .filter(jobs::id.eq(job_id))
        .select((
            JobRow::as_select(),
            repositories::name,
            job_classifications::classification.nullable(),
            job_classifications::automatic.nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some((row, repository_name, current, automatic)) = found else {
        return Ok(None);
    };
    let job = Job::try_from(row)?;
    let facts = ClassifiedJob::from(&job);
    if !is_failed(&facts.result) {
        return Ok(None);
    }
    if let (Some(current), Some(false)) = (current, automatic)
        && FailureClassification::from_id(current.into())? != FailureClassification::NotClassified
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
            let (test, message) = line.recurrence_by(rule.keys);
            RecurrenceKey { test, message }
        })
        .collect();
    let mut wanted: Vec<&str> = keys.iter().map(|k| k.message.as_str()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let window = i64::try_from(rule.window.as_micros()).unwrap_or(i64::MAX);
    let repository = RepositoryId(facts.repository_id);
    let history = standing_precedents(
        conn,
        repository,
        &wanted,
        facts.failed_at.saturating_sub(window),
        facts.failed_at,
    )?;
    let decisions: Vec<Autoclassification> = keys
        .into_iter()
        .map(|key| {
            let line = ModelLine {
                repository,
                key,
                failed_at: facts.failed_at,
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
    let classification = record(conn, &facts, &new, true, &[])?;
    Ok(Some(Autoclassified {
        job,
        repository: repository_name,
        classification,
    }))
}

/// The latest person's decision on each of `keys` in `repository` among jobs that failed in
/// `[since, until]` (by `failed_at`, then the later written), unless it names a resolved bug:
/// such a decision leaves its lines to people (older decisions do not stand in for it).
fn standing_precedents(
    conn: &mut DbConnection,
    repository: RepositoryId,
    keys: &[&str],
    since: i64,
    until: i64,
) -> Result<Vec<Precedent>, StoreError> {
    let query = LatestPrecedents {
        repository: repository.0,
        since,
        until,
        keys: serde_json::to_string(keys)
            .map_err(|e| StoreError::Invalid(format!("recurrence keys: {e}")))?,
    };
    let rows: Vec<PrecedentRow> = per_backend!(conn, |c| query.load(c)?);
    rows.into_iter()
        .filter(|row| !row.resolved)
        .map(|row| {
            Ok(Precedent {
                repository,
                key: RecurrenceKey {
                    test: row.recurrence_test.unwrap_or_default(),
                    message: row.recurrence_key.unwrap_or_default(),
                },
                at: row.failed_at,
                classification: FailureClassification::from_id(row.classification.into())?,
                bugs: parse_bugs(&row.bugs)?,
            })
        })
        .collect()
}

/// The precedents' query. Its text is the same for any number of keys (they are one JSON
/// array parameter, expanded by the database: SQLite's `json_each`, PostgreSQL's
/// `jsonb_array_elements_text`), so each connection prepares it once and keeps it. Each row
/// says whether one of its bugs is resolved (a bug with a resolution), so no second query
/// reads the bugs. Per key it
/// is one probe of the partial index `classifications_by_recurrence`, newest first, `LIMIT 1`:
/// on PostgreSQL a `LATERAL` join, which no statistics can turn into a scan of the table
/// (a prepared statement's generic plan once hash-joined a scan of `classifications` on
/// `id IN (...)`); SQLite, which has no `LATERAL`, looks the chosen ids up by rowid.
#[derive(Debug, Clone, QueryId)]
struct LatestPrecedents {
    repository: i64,
    since: i64,
    until: i64,
    /// A JSON array of the keys.
    keys: String,
}

impl LatestPrecedents {
    /// The newest person's decision on key `k.value`, with `select` before it and the
    /// parameters bound in order.
    fn newest<'b, DB>(&'b self, out: &mut AstPass<'_, 'b, DB>, select: &str) -> QueryResult<()>
    where
        DB: Backend + HasSqlType<BigInt>,
        i64: ToSql<BigInt, DB>,
    {
        out.push_sql(select);
        out.push_sql(" FROM classifications p WHERE p.repository_id = ");
        out.push_bind_param::<BigInt, _>(&self.repository)?;
        out.push_sql(
            " AND p.recurrence_key = k.value AND p.automatic = FALSE AND p.failed_at BETWEEN ",
        );
        out.push_bind_param::<BigInt, _>(&self.since)?;
        out.push_sql(" AND ");
        out.push_bind_param::<BigInt, _>(&self.until)?;
        out.push_sql(" ORDER BY p.failed_at DESC, p.id DESC LIMIT 1");
        Ok(())
    }
}

impl QueryFragment<Sqlite> for LatestPrecedents {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(
            "SELECT c.recurrence_test, c.recurrence_key, c.failed_at, c.classification, c.bugs, \
             EXISTS (SELECT 1 FROM bugs b WHERE b.resolution <> '' AND b.id IN \
             (SELECT value FROM json_each('[' || c.bugs || ']'))) AS resolved \
             FROM classifications c WHERE c.id IN (SELECT (",
        );
        self.newest(&mut out, "SELECT p.id")?;
        out.push_sql(") FROM json_each(");
        out.push_bind_param::<Text, _>(&self.keys)?;
        out.push_sql(") AS k)");
        Ok(())
    }
}

impl QueryFragment<Pg> for LatestPrecedents {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "SELECT recurrence_test, recurrence_key, failed_at, classification, bugs, resolved \
             FROM jsonb_array_elements_text(",
        );
        out.push_bind_param::<Text, _>(&self.keys)?;
        out.push_sql("::jsonb) AS k(value) CROSS JOIN LATERAL (");
        self.newest(
            &mut out,
            "SELECT p.recurrence_test, p.recurrence_key, p.failed_at, p.classification, p.bugs, \
             EXISTS (SELECT 1 FROM bugs b WHERE b.resolution <> '' \
             AND b.id = ANY (string_to_array(p.bugs, ',')::bigint[])) AS resolved",
        )?;
        out.push_sql(") AS newest");
        Ok(())
    }
}

impl Query for LatestPrecedents {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for LatestPrecedents {}
