//! Failure classifications: what a person (or the autoclassifier) decided about a failed job
//! and its failure lines, with bugs and a note, and the history of every decision.
//!
//! One write path for both (`record`): [`Store::classify_jobs`] for people, and the
//! autoclassifier inside the transaction that stores a log's parse (`autoclassify.rs`). Each
//! is one transaction that appends to `classifications` (never
//! updated, so a reclassification racing another keeps both: the later commit is current) and
//! rewrites the job's row of `job_classifications` and its bugs, which the push status, the
//! "failed and unclassified" filter and the intermittent-failures view read. A person's job
//! classification is copied onto each of the job's failure lines with the line's recurrence
//! key, so that every line a person judged is a precedent the autoclassifier can find.
//!
//! Recurrence keys come from the log parser's rules. The service derives each line's key once,
//! when it parses the log, and the store keeps it on the line; for lines stored before keys
//! were, the store takes the rules as a function ([`LineKeys`]) so that it stays free of the
//! parser.

use diesel::prelude::*;
use std::collections::HashMap;
use treeherd_model::{BugId, FailureClassification};

use crate::change_log::{self, ChangeKind};
use crate::current_classification::{self, CurrentClassification};
use crate::db;
use crate::jobs::JobRow;
use crate::schema::{
    classifications, job_classifications, job_logs, jobs, log_errors, test_results,
};
use crate::types::{FAILED_RESULTS, UNCLASSIFIED_IDS, raw_ids};
use crate::{Job, JobId, PushId, Store, StoreError};

/// One decision about a job or one of its failure lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub id: i64,
    pub job_id: JobId,
    /// The failure line (log id, position in its error summary); `None` for the whole job.
    pub line: Option<(i64, i32)>,
    /// The failed test (test, subtest; `None` for the test's own result); `None` for the
    /// whole job.
    pub test: Option<(String, Option<String>)>,
    pub classification: FailureClassification,
    /// Ascending, without repeats.
    pub bugs: Vec<BugId>,
    pub note: Option<String>,
    pub who: String,
    pub automatic: bool,
    /// When it was decided (unix microseconds).
    pub created_at: i64,
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClassification {
    pub classification: FailureClassification,
    /// Ascending, without repeats, each positive (the service checks).
    pub bugs: Vec<BugId>,
    pub note: Option<String>,
    pub who: String,
    /// When it is decided (unix microseconds).
    pub at: i64,
}

/// A failure line of a job: one line of a log's error summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureLine {
    pub job_id: JobId,
    pub log_id: i64,
    pub log_name: String,
    pub position: i32,
    pub line_number: i64,
    pub line: String,
    /// Its recurrence key as stored when the log was parsed; `None` for a line stored before
    /// keys were ([`FailureLine::recurrence_by`] derives those).
    pub recurrence: Option<(String, String)>,
}

impl FailureLine {
    /// Its recurrence key: the stored one, else derived by `keys`.
    pub fn recurrence_by(&self, keys: LineKeys) -> (String, String) {
        self.recurrence.clone().unwrap_or_else(|| keys(&self.line))
    }
}

/// The recurrence key of a failure line: (the test on it, the line with numbers masked).
pub type LineKeys = fn(&str) -> (String, String);

#[derive(Queryable, Selectable)]
#[diesel(table_name = classifications)]
struct ClassificationRow {
    id: i64,
    job_id: i64,
    log_id: Option<i64>,
    position: Option<i32>,
    classification: i32,
    bugs: String,
    note: Option<String>,
    who: String,
    automatic: bool,
    created_at: i64,
    test: Option<String>,
    subtest: Option<String>,
}

impl Classification {
    /// A decision on the whole job, not on one of its failure lines or failed tests.
    pub fn is_whole_job(&self) -> bool {
        self.line.is_none() && self.test.is_none()
    }
}

/// The decisions of `ids` that exist, in no particular order.
pub(crate) fn by_ids(
    conn: &mut db::DbConnection,
    ids: &[i64],
) -> Result<Vec<Classification>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(db::BATCH_ROWS) {
        let rows: Vec<ClassificationRow> = classifications::table
            .filter(classifications::id.eq_any(chunk))
            .select(ClassificationRow::as_select())
            .load(conn)?;
        for row in rows {
            found.push(Classification::try_from(row)?);
        }
    }
    Ok(found)
}

impl TryFrom<ClassificationRow> for Classification {
    type Error = StoreError;
    fn try_from(row: ClassificationRow) -> Result<Classification, StoreError> {
        Ok(Classification {
            id: row.id,
            job_id: JobId(row.job_id),
            line: row.log_id.zip(row.position),
            test: row
                .test
                .map(|test| (test, row.subtest.filter(|s| !s.is_empty()))),
            classification: FailureClassification::from_id(row.classification.into())?,
            bugs: parse_bugs(&row.bugs)?,
            note: row.note,
            who: row.who,
            automatic: row.automatic,
            created_at: row.created_at,
        })
    }
}

fn bugs_text(bugs: &[BugId]) -> String {
    bugs.iter()
        .map(|b| b.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn parse_bugs(text: &str) -> Result<Vec<BugId>, StoreError> {
    text.split(',')
        .filter(|b| !b.is_empty())
        .map(|b| {
            b.parse()
                .map(BugId)
                .map_err(|_| StoreError::Invalid(format!("stored bug list {text:?} is corrupt")))
        })
        .collect()
}

/// Treeherder's id of a classification (1-8), as stored.
fn class_id(classification: FailureClassification) -> i32 {
    classification.id()
}

/// The job facts a classification needs.
pub(crate) struct ClassifiedJob {
    id: i64,
    guid: String,
    pub(crate) repository_id: i64,
    push_row_id: Option<i64>,
    platform: Option<String>,
    pub(crate) result: String,
    /// When it failed (its last time: finished, else started, else submitted; unix
    /// microseconds).
    pub(crate) failed_at: i64,
}

impl From<&Job> for ClassifiedJob {
    fn from(job: &Job) -> ClassifiedJob {
        ClassifiedJob {
            id: job.id.0,
            guid: job.guid.clone(),
            repository_id: job.repository_id.0,
            push_row_id: job.push_row_id.map(|p| p.0),
            platform: job.platform.clone(),
            result: job.result.as_str().to_owned(),
            failed_at: job.last_time().unwrap_or(0),
        }
    }
}

fn load_jobs(
    conn: &mut db::DbConnection,
    guids: &[String],
) -> Result<HashMap<String, ClassifiedJob>, StoreError> {
    let rows: Vec<JobRow> = jobs::table
        .filter(jobs::guid.eq_any(guids))
        .select(JobRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let job = ClassifiedJob::from(&Job::try_from(row)?);
            Ok((job.guid.clone(), job))
        })
        .collect()
}

/// A failure line as read: job, log, log name, position, line number, line, stored keys.
type FailureLineRow = (
    i64,
    i64,
    String,
    i32,
    i64,
    String,
    Option<String>,
    Option<String>,
);

macro_rules! failure_line_columns {
    () => {
        (
            job_logs::job_id,
            log_errors::log_id,
            job_logs::name,
            log_errors::position,
            log_errors::line_number,
            log_errors::line,
            log_errors::recurrence_test,
            log_errors::recurrence_key,
        )
    };
}

/// The failure lines of jobs, by job, then log, then place in the log's error summary.
pub(crate) fn failure_lines_of(
    conn: &mut db::DbConnection,
    job_ids: &[i64],
) -> Result<Vec<FailureLine>, StoreError> {
    let rows: Vec<FailureLineRow> = match job_ids {
        // One job (the autoclassifier's, a line's): a statement the connection keeps
        // prepared, which a list of ids is not.
        [job_id] => log_errors::table
            .inner_join(job_logs::table)
            .filter(job_logs::job_id.eq(job_id))
            .order((job_logs::id, log_errors::position))
            .select(failure_line_columns!())
            .load(conn)?,
        _ => log_errors::table
            .inner_join(job_logs::table)
            .filter(job_logs::job_id.eq_any(job_ids))
            .order((job_logs::job_id, job_logs::id, log_errors::position))
            .select(failure_line_columns!())
            .load(conn)?,
    };
    Ok(rows
        .into_iter()
        .map(
            |(job_id, log_id, log_name, position, line_number, line, test, key)| FailureLine {
                job_id: JobId(job_id),
                log_id,
                log_name,
                position,
                line_number,
                line,
                recurrence: test.zip(key),
            },
        )
        .collect())
}

/// Appends the job's decision (and one per line in `lines`, each with its keys) to the history
/// and makes it the job's current one. Returns the job's row.
pub(crate) fn record(
    conn: &mut db::DbConnection,
    job: &ClassifiedJob,
    new: &NewClassification,
    automatic: bool,
    lines: &[(&FailureLine, (String, String))],
) -> Result<Classification, StoreError> {
    let bugs = bugs_text(&new.bugs);
    let row = DecisionRow::of(job, new, automatic, &bugs);
    let id = insert_decision(conn, &row)?;
    // The lines' rows (a person's: the autoclassifier's precedents; its own decision
    // reaches the lines through the job's row) and the bugs' rows, in multi-row inserts.
    let line_rows: Vec<DecisionRow<'_>> = lines
        .iter()
        .map(|(line, (test, key))| row.on_line(line, test, key))
        .collect();
    for chunk in line_rows.chunks(db::BATCH_ROWS / 16) {
        per_backend!(conn, |c| diesel::insert_into(classifications::table)
            .values(chunk)
            .execute(c)?);
    }
    let bugs: Vec<i64> = new.bugs.iter().map(|bug| bug.0).collect();
    let current = CurrentClassification {
        job_id: job.id,
        repository_id: job.repository_id,
        push_row_id: job.push_row_id,
        classification_id: id,
        classification: class_id(new.classification),
        automatic,
        failed_at: job.failed_at,
        platform: job.platform.as_deref(),
    };
    current_classification::write(conn, &current, &bugs)?;
    Ok(decided(id, job, new, automatic, None))
}

/// A row of `classifications`: a decision on a job, or (with a log, position and keys) on
/// one of its failure lines.
#[derive(Insertable, Clone, Copy)]
#[diesel(table_name = classifications)]
struct DecisionRow<'a> {
    job_id: i64,
    repository_id: i64,
    log_id: Option<i64>,
    position: Option<i32>,
    classification: i32,
    bugs: &'a str,
    note: Option<&'a str>,
    who: &'a str,
    automatic: bool,
    created_at: i64,
    failed_at: i64,
    recurrence_test: Option<&'a str>,
    recurrence_key: Option<&'a str>,
    test: Option<&'a str>,
    subtest: Option<&'a str>,
}

impl<'a> DecisionRow<'a> {
    /// The job's row of `new` (`bugs` is its bug list as stored).
    fn of(
        job: &ClassifiedJob,
        new: &'a NewClassification,
        automatic: bool,
        bugs: &'a str,
    ) -> DecisionRow<'a> {
        DecisionRow {
            job_id: job.id,
            repository_id: job.repository_id,
            log_id: None,
            position: None,
            classification: class_id(new.classification),
            bugs,
            note: new.note.as_deref(),
            who: &new.who,
            automatic,
            created_at: new.at,
            failed_at: job.failed_at,
            recurrence_test: None,
            recurrence_key: None,
            test: None,
            subtest: None,
        }
    }

    /// The same decision on one failure line, with its recurrence key.
    fn on_line(self, line: &FailureLine, test: &'a str, key: &'a str) -> DecisionRow<'a> {
        DecisionRow {
            log_id: Some(line.log_id),
            position: Some(line.position),
            recurrence_test: Some(test),
            recurrence_key: Some(key),
            ..self
        }
    }

    /// The same decision on one failed test (`subtest` empty for the test's own result).
    fn on_test(self, test: &'a str, subtest: &'a str) -> DecisionRow<'a> {
        DecisionRow {
            test: Some(test),
            subtest: Some(subtest),
            ..self
        }
    }
}

/// Appends one row to the history; returns its id.
fn insert_decision(conn: &mut db::DbConnection, row: &DecisionRow<'_>) -> Result<i64, StoreError> {
    let id = diesel::insert_into(classifications::table)
        .values(row)
        .returning(classifications::id)
        .get_result(conn)?;
    change_log::append(
        conn,
        ChangeKind::Classification,
        &[(Some(row.repository_id), id)],
    )?;
    Ok(id)
}

/// The decision `new` as written with `id`, on the job or on its `line` (log id, position).
fn decided(
    id: i64,
    job: &ClassifiedJob,
    new: &NewClassification,
    automatic: bool,
    line: Option<(i64, i32)>,
) -> Classification {
    Classification {
        id,
        job_id: JobId(job.id),
        line,
        test: None,
        classification: new.classification,
        bugs: new.bugs.clone(),
        note: new.note.clone(),
        who: new.who.clone(),
        automatic,
        created_at: new.at,
    }
}

/// The job `guid`, which must have failed for its `parts` (lines, tests) to be classified: an
/// unknown job is `NotFound`, one that did not fail is invalid.
fn failed_job(
    conn: &mut db::DbConnection,
    guid: &str,
    parts: &str,
) -> Result<ClassifiedJob, StoreError> {
    let job = load_jobs(conn, &[guid.to_owned()])?
        .remove(guid)
        .ok_or_else(|| StoreError::NotFound(format!("job {guid:?}")))?;
    if !is_failed(&job.result) {
        return Err(StoreError::Invalid(format!(
            "job {guid:?} did not fail (its result is {}); only failed jobs' {parts} are \
             classified",
            job.result
        )));
    }
    Ok(job)
}

pub(crate) fn is_failed(result: &str) -> bool {
    FAILED_RESULTS.iter().any(|r| r.as_str() == result)
}

impl Store {
    /// A person's decision on the jobs `guids`, all or nothing: an unknown guid is
    /// `NotFound`, a job that did not fail is invalid. Each job's failure lines get the same
    /// decision with their recurrence keys (`keys`). Returns each job's new classification,
    /// in the order of `guids` (a repeated guid is classified once).
    pub async fn classify_jobs(
        &self,
        guids: Vec<String>,
        new: NewClassification,
        keys: LineKeys,
    ) -> Result<Vec<Classification>, StoreError> {
        self.run(move |conn| {
            db::write(conn, |conn| {
                db::lock_log_writers(conn)?;
                let mut found = load_jobs(conn, &guids)?;
                let mut jobs = Vec::new();
                for guid in &guids {
                    let Some(job) = found.remove(guid) else {
                        if jobs.iter().any(|j: &ClassifiedJob| &j.guid == guid) {
                            continue;
                        }
                        return Err(StoreError::NotFound(format!("job {guid:?}")));
                    };
                    if !is_failed(&job.result) {
                        return Err(StoreError::Invalid(format!(
                            "job {guid:?} did not fail (its result is {}); only failed jobs \
                             ({}) are classified",
                            job.result,
                            FAILED_RESULTS.map(|r| r.as_str()).join(", ")
                        )));
                    }
                    jobs.push(job);
                }
                let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
                let lines = failure_lines_of(conn, &ids)?;
                let mut written = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    let keyed: Vec<_> = lines
                        .iter()
                        .filter(|l| l.job_id.0 == job.id)
                        .map(|l| (l, l.recurrence_by(keys)))
                        .collect();
                    written.push(record(conn, job, &new, false, &keyed)?);
                }
                Ok(written)
            })
        })
        .await
    }

    /// A person's decision on one failure line of the job `guid` (the line at `position` of
    /// the error summary of its log `log_name`), with the line's recurrence key (`keys`): a
    /// precedent for the autoclassifier like the lines of a classified job. The job's own
    /// classification is left as it is. An unknown job, log or line is `NotFound`, a job
    /// that did not fail is invalid.
    pub async fn classify_line(
        &self,
        guid: String,
        log_name: String,
        position: i32,
        new: NewClassification,
        keys: LineKeys,
    ) -> Result<Classification, StoreError> {
        self.run(move |conn| {
            db::write(conn, |conn| {
                db::lock_log_writers(conn)?;
                let job = failed_job(conn, &guid, "lines")?;
                let line = failure_lines_of(conn, &[job.id])?
                    .into_iter()
                    .find(|l| l.log_name == log_name && l.position == position)
                    .ok_or_else(|| {
                        StoreError::NotFound(format!(
                            "failure line {position} of log {log_name:?} of job {guid:?}"
                        ))
                    })?;
                let (test, key) = line.recurrence_by(keys);
                let bugs = bugs_text(&new.bugs);
                let row = DecisionRow::of(&job, &new, false, &bugs).on_line(&line, &test, &key);
                let id = insert_decision(conn, &row)?;
                Ok(decided(
                    id,
                    &job,
                    &new,
                    false,
                    Some((line.log_id, line.position)),
                ))
            })
        })
        .await
    }

    /// A person's decision on one failed test of the job `guid` (its result of `test` and
    /// `subtest`, `None` for the test's own): the result shows it; the job's own
    /// classification is left as it is. An unknown job or result is `NotFound`; a job that did
    /// not fail, or a result that did not fail, is invalid.
    pub async fn classify_test(
        &self,
        guid: String,
        test: String,
        subtest: Option<String>,
        new: NewClassification,
    ) -> Result<Classification, StoreError> {
        self.run(move |conn| {
            db::write(conn, |conn| {
                db::lock_log_writers(conn)?;
                let job = failed_job(conn, &guid, "tests")?;
                let sub = subtest.as_deref().unwrap_or("");
                let named = match sub {
                    "" => format!("test {test:?}"),
                    sub => format!("subtest {sub:?} of test {test:?}"),
                };
                let failed: bool = test_results::table
                    .filter(test_results::job_id.eq(job.id))
                    .filter(test_results::test.eq(&test))
                    .filter(test_results::subtest.eq(sub))
                    .select(test_results::failed)
                    .first(conn)
                    .optional()?
                    .ok_or_else(|| {
                        StoreError::NotFound(format!("no result of {named} in job {guid:?}"))
                    })?;
                if !failed {
                    return Err(StoreError::Invalid(format!(
                        "{named} did not fail in job {guid:?}; only failed tests are classified"
                    )));
                }
                let bugs = bugs_text(&new.bugs);
                let row = DecisionRow::of(&job, &new, false, &bugs).on_test(&test, sub);
                let id = insert_decision(conn, &row)?;
                Ok(Classification {
                    test: Some((test.clone(), subtest.clone())),
                    ..decided(id, &job, &new, false, None)
                })
            })
        })
        .await
    }

    /// The failure lines of each job, in log then line order.
    pub async fn failure_lines(
        &self,
        job_ids: Vec<JobId>,
    ) -> Result<HashMap<JobId, Vec<FailureLine>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<JobId, Vec<FailureLine>> = HashMap::new();
            for chunk in raw_ids(&job_ids).chunks(db::BATCH_ROWS) {
                for line in failure_lines_of(conn, chunk)? {
                    by_job.entry(line.job_id).or_default().push(line);
                }
            }
            Ok(by_job)
        })
        .await
    }

    /// Every decision on each job and its lines, oldest first.
    pub async fn classification_history(
        &self,
        job_ids: Vec<JobId>,
    ) -> Result<HashMap<JobId, Vec<Classification>>, StoreError> {
        self.run(move |conn| {
            let mut by_job: HashMap<JobId, Vec<Classification>> = HashMap::new();
            for chunk in raw_ids(&job_ids).chunks(db::BATCH_ROWS) {
                let rows: Vec<ClassificationRow> = classifications::table
                    .filter(classifications::job_id.eq_any(chunk))
                    .order((classifications::job_id, classifications::id))
                    .select(ClassificationRow::as_select())
                    .load(conn)?;
                for row in rows {
                    let c = Classification::try_from(row)?;
                    by_job.entry(c.job_id).or_default().push(c);
                }
            }
            Ok(by_job)
        })
        .await
    }

    /// The classification of each job now (jobs never classified are absent).
    pub async fn current_classifications(
        &self,
        job_ids: Vec<JobId>,
    ) -> Result<HashMap<JobId, Classification>, StoreError> {
        self.run(move |conn| {
            let mut by_job = HashMap::new();
            for chunk in raw_ids(&job_ids).chunks(db::BATCH_ROWS) {
                let rows: Vec<ClassificationRow> = classifications::table
                    .filter(
                        classifications::id.eq_any(
                            job_classifications::table
                                .filter(job_classifications::job_id.eq_any(chunk))
                                .select(job_classifications::classification_id),
                        ),
                    )
                    .select(ClassificationRow::as_select())
                    .load(conn)?;
                for row in rows {
                    let c = Classification::try_from(row)?;
                    by_job.insert(c.job_id, c);
                }
            }
            Ok(by_job)
        })
        .await
    }

    /// How many failed jobs of each push nobody has classified yet (never classified, or
    /// "not classified" / "new failure not classified" now).
    pub async fn unclassified_failures(
        &self,
        push_row_ids: Vec<PushId>,
    ) -> Result<HashMap<PushId, i64>, StoreError> {
        self.run(move |conn| {
            let mut by_push = HashMap::new();
            for chunk in raw_ids(&push_row_ids).chunks(db::BATCH_ROWS) {
                let rows: Vec<(Option<i64>, i64)> = jobs::table
                    .filter(jobs::push_row_id.eq_any(chunk))
                    .filter(jobs::result.eq_any(FAILED_RESULTS.map(|r| r.as_str())))
                    .filter(diesel::dsl::not(
                        jobs::id.eq_any(
                            job_classifications::table
                                .filter(
                                    job_classifications::classification.ne_all(UNCLASSIFIED_IDS),
                                )
                                .select(job_classifications::job_id),
                        ),
                    ))
                    .group_by(jobs::push_row_id)
                    .select((jobs::push_row_id, diesel::dsl::count_star()))
                    .load(conn)?;
                for (push, count) in rows {
                    if let Some(push) = push {
                        by_push.insert(PushId(push), count);
                    }
                }
            }
            Ok(by_push)
        })
        .await
    }
}
