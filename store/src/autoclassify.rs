//! What the autoclassifier reads about a job before it decides, in one call on one
//! connection: the job, its classification now, its failure lines with their recurrence keys,
//! the latest person's decision on each key in the window, and which of those decisions' bugs
//! are resolved. The rule that decides is the model's (`treeherd_model::autoclassify`); the
//! write is [`Store::autoclassify_job`].
//!
//! The latest decision per key is one query for all keys: a correlated `ORDER BY failed_at
//! DESC, id DESC LIMIT 1` per key over the partial index `classifications_by_recurrence`
//! (the query repeats the index's `automatic = FALSE`, which both databases need to use it),
//! so its cost grows with the job's lines, not with how often a key was classified.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use std::collections::HashSet;
use treeherd_model::{BugId, FailureClassification};

use crate::classifications::{LineKeys, LinePrecedent, current_of, failure_lines_of, parse_bugs};
use crate::db::DbConnection;
use crate::jobs::{JobRow, into_jobs};
use crate::schema::jobs;
use crate::{FailureLine, Job, JobId, RepositoryId, Store, StoreError};

/// What the autoclassifier decides a job from.
#[derive(Debug, Clone)]
pub struct AutoclassifyInputs {
    pub job: Job,
    /// When it failed (its last time: finished, else started, else submitted; unix
    /// microseconds): the window counts back from it.
    pub failed_at: i64,
    /// Its classification now, if any, and whether the autoclassifier made it.
    pub current: Option<(FailureClassification, bool)>,
    /// Its failure lines, each with its recurrence key (test, masked line).
    pub lines: Vec<(FailureLine, (String, String))>,
    /// For each key of its lines, the latest person's decision in the window, if any.
    pub precedents: Vec<LinePrecedent>,
    /// The precedents' bugs that are stored and resolved.
    pub resolved: HashSet<BugId>,
}

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

impl Store {
    /// What the autoclassifier needs to decide about `job_id` when its jobs failed within
    /// `window` microseconds before it; `None` for an unknown job. A job that did not fail or
    /// has no failure lines comes without lines or precedents.
    pub async fn autoclassify_inputs(
        &self,
        job_id: JobId,
        window: i64,
        keys: LineKeys,
    ) -> Result<Option<AutoclassifyInputs>, StoreError> {
        self.run(move |conn| {
            let rows: Vec<JobRow> = jobs::table
                .filter(jobs::id.eq(job_id.0))
                .select(JobRow::as_select())
                .load(conn)?;
            let Some(job) = into_jobs(rows)?.pop() else {
                return Ok(None);
            };
            let current = current_of(conn, job_id.0)?;
            let failed_at = job
                .finished_at
                .or(job.started_at)
                .or(job.submitted_at)
                .unwrap_or(0);
            let mut inputs = AutoclassifyInputs {
                job,
                failed_at,
                current,
                lines: Vec::new(),
                precedents: Vec::new(),
                resolved: HashSet::new(),
            };
            if !crate::FAILED_RESULTS.contains(&inputs.job.result) {
                return Ok(Some(inputs));
            }
            inputs.lines = failure_lines_of(conn, &[job_id.0])?
                .into_iter()
                .map(|line| {
                    let key = keys(&line.line);
                    (line, key)
                })
                .collect();
            let mut wanted: Vec<&str> = inputs.lines.iter().map(|(_, (_, k))| k.as_str()).collect();
            wanted.sort_unstable();
            wanted.dedup();
            inputs.precedents = latest_precedents(
                conn,
                inputs.job.repository_id,
                &wanted,
                failed_at.saturating_sub(window),
                failed_at,
            )?;
            let mut ids: Vec<BugId> = inputs
                .precedents
                .iter()
                .flat_map(|p| p.bugs.iter().copied())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            inputs.resolved = crate::bugs::load(conn, &ids)?
                .into_values()
                .filter(|bug| !bug.is_open())
                .map(|bug| bug.id)
                .collect();
            Ok(Some(inputs))
        })
        .await
    }
}

/// The latest person's decision on each of `keys` in `repository_id` among jobs that failed
/// in `[since, until]`: by `failed_at`, then the later written.
fn latest_precedents(
    conn: &mut DbConnection,
    repository_id: RepositoryId,
    keys: &[&str],
    since: i64,
    until: i64,
) -> Result<Vec<LinePrecedent>, StoreError> {
    let mut found = Vec::new();
    // Four parameters per key at most per query, well under either database's limit.
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
                .bind::<BigInt, _>(repository_id.0)
                .bind::<BigInt, _>(since)
                .bind::<BigInt, _>(until);
            for key in chunk {
                query = query.bind::<Text, _>(*key);
            }
            query.load(c)?
        });
        for row in rows {
            found.push(LinePrecedent {
                repository_id,
                test: row.recurrence_test.unwrap_or_default(),
                key: row.recurrence_key.unwrap_or_default(),
                failed_at: row.failed_at,
                classification: FailureClassification::from_id(row.classification.into())?,
                bugs: parse_bugs(&row.bugs)?,
            });
        }
    }
    Ok(found)
}
