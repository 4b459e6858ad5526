//! Test results of jobs (one per job, test and subtest) with their artifacts, and the
//! questions asked of them across pushes: a test's history, which tests fail and whether
//! they fail now and then (intermittent) or since some push (new).
//!
//! Sending a result for a (job, test, subtest) again replaces it. `failed` is stored as the
//! model's rule computed it (`TestStatus::fails`).

use diesel::prelude::*;
use diesel::upsert::excluded;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use treeherd_model::{NewArtifact, NewTestResult, TestStatus};

use crate::artifacts;
use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::schema::{jobs, pushes, test_results};
use crate::{JobId, Page, PageRequest, RepositoryId, Store, StoreError};

/// A stored test result.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub id: i64,
    pub job_id: i64,
    pub test: String,
    pub subtest: Option<String>,
    pub status: TestStatus,
    pub expected: Option<TestStatus>,
    pub failed: bool,
    pub duration_ms: Option<i64>,
    pub message: Option<String>,
    pub stack: Option<String>,
    pub group: Option<String>,
}

/// Whether a test that failed in a window fails now and then, or since some push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// It passed on some push after the first push it failed on.
    Intermittent,
    /// It failed on every push it ran on from its first failure on.
    New,
}

/// How one test fared over the pushes of a window.
#[derive(Debug, Clone, PartialEq)]
pub struct TestFailureSummary {
    pub test: String,
    /// Failed results (subtests included).
    pub failures: i64,
    /// Pushes with at least one failed result of the test.
    pub failed_pushes: i64,
    /// Pushes where the test ran and nothing of it failed.
    pub passed_pushes: i64,
    /// Push ids of its first and last failures in the window.
    pub first_failed_push: i64,
    pub last_failed_push: i64,
    pub kind: FailureKind,
}

#[derive(Insertable)]
#[diesel(table_name = test_results, treat_none_as_default_value = false)]
struct ResultValues<'a> {
    job_id: i64,
    repository_id: i64,
    test: &'a str,
    subtest: &'a str,
    status: &'static str,
    expected: Option<&'static str>,
    failed: bool,
    duration_ms: Option<i64>,
    message: Option<&'a str>,
    stack: Option<&'a str>,
    test_group: Option<&'a str>,
}

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    bool,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

macro_rules! result_columns {
    () => {
        (
            test_results::id,
            test_results::job_id,
            test_results::test,
            test_results::subtest,
            test_results::status,
            test_results::expected,
            test_results::failed,
            test_results::duration_ms,
            test_results::message,
            test_results::stack,
            test_results::test_group,
        )
    };
}

fn into_result(row: Row) -> Result<TestResult, StoreError> {
    Ok(TestResult {
        id: row.0,
        job_id: row.1,
        test: row.2,
        subtest: Some(row.3).filter(|s| !s.is_empty()),
        status: row.4.parse()?,
        expected: row.5.map(|e| e.parse()).transpose()?,
        failed: row.6,
        duration_ms: row.7,
        message: row.8,
        stack: row.9,
        group: row.10,
    })
}

/// Writes results of one job (replacing those of the same test and subtest) and their
/// artifacts; gives the row id of each, in order.
pub(crate) fn upsert(
    conn: &mut DbConnection,
    job_id: i64,
    repository_id: i64,
    results: &[NewTestResult],
) -> Result<Vec<i64>, StoreError> {
    // One statement may not touch a row twice: the last of a repeated key wins.
    let mut last: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, r) in results.iter().enumerate() {
        last.insert((r.test.as_str(), r.subtest.as_deref().unwrap_or("")), i);
    }
    let values: Vec<ResultValues<'_>> = results
        .iter()
        .enumerate()
        .filter(|(i, r)| last[&(r.test.as_str(), r.subtest.as_deref().unwrap_or(""))] == *i)
        .map(|(_, r)| ResultValues {
            job_id,
            repository_id,
            test: &r.test,
            subtest: r.subtest.as_deref().unwrap_or(""),
            status: r.status.as_str(),
            expected: r.expected.map(TestStatus::as_str),
            failed: r.failed(),
            duration_ms: r.duration_ms,
            message: r.message.as_deref(),
            stack: r.stack.as_deref(),
            test_group: r.group.as_deref(),
        })
        .collect();
    let mut ids: HashMap<(String, String), i64> = HashMap::with_capacity(values.len());
    for chunk in values.chunks(BATCH_ROWS / 2) {
        let written: Vec<(i64, String, String)> =
            per_backend!(conn, |c| diesel::insert_into(test_results::table)
                .values(chunk)
                .on_conflict((
                    test_results::job_id,
                    test_results::test,
                    test_results::subtest
                ))
                .do_update()
                .set((
                    test_results::status.eq(excluded(test_results::status)),
                    test_results::expected.eq(excluded(test_results::expected)),
                    test_results::failed.eq(excluded(test_results::failed)),
                    test_results::duration_ms.eq(excluded(test_results::duration_ms)),
                    test_results::message.eq(excluded(test_results::message)),
                    test_results::stack.eq(excluded(test_results::stack)),
                    test_results::test_group.eq(excluded(test_results::test_group)),
                ))
                .returning((test_results::id, test_results::test, test_results::subtest))
                .get_results(c)?);
        for (id, test, subtest) in written {
            ids.insert((test, subtest), id);
        }
    }
    let mut rows = Vec::with_capacity(results.len());
    let mut attached: Vec<(Option<i64>, &NewArtifact)> = Vec::new();
    for r in results {
        let key = (r.test.clone(), r.subtest.clone().unwrap_or_default());
        let id = ids
            .get(&key)
            .copied()
            .ok_or_else(|| StoreError::internal("a written test result vanished"))?;
        rows.push(id);
        attached.extend(r.artifacts.iter().map(|a| (Some(id), a)));
    }
    artifacts::attach(conn, job_id, &attached)?;
    Ok(rows)
}

fn job_of(conn: &mut DbConnection, guid: &str) -> Result<(i64, i64), StoreError> {
    jobs::table
        .filter(jobs::guid.eq(guid))
        .select((jobs::id, jobs::repository_id))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no job {guid:?}")))
}

impl Store {
    /// Stores test results of the job `guid` (replacing results of the same test and
    /// subtest), with their artifacts, in one transaction; gives them back as stored.
    pub async fn submit_test_results(
        &self,
        guid: String,
        results: Vec<NewTestResult>,
    ) -> Result<Vec<TestResult>, StoreError> {
        self.run(move |conn| {
            db::write(conn, |conn| {
                let (job_id, repository_id) = job_of(conn, &guid)?;
                let ids = upsert(conn, job_id, repository_id, &results)?;
                let mut stored = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(BATCH_ROWS) {
                    let rows: Vec<Row> = test_results::table
                        .filter(test_results::id.eq_any(chunk))
                        .select(result_columns!())
                        .load(conn)?;
                    stored.extend(rows.into_iter().map(into_result));
                }
                let mut stored: HashMap<i64, TestResult> = stored
                    .into_iter()
                    .map(|r| r.map(|r| (r.id, r)))
                    .collect::<Result<_, _>>()?;
                ids.iter()
                    .map(|id| {
                        stored
                            .remove(id)
                            .ok_or_else(|| StoreError::internal("a written test result vanished"))
                    })
                    .collect()
            })
        })
        .await
    }

    /// Attaches artifacts to the job `guid`, or to its result of `test` (and `subtest`).
    /// Raw logs and error summaries are queued for the parse worker as well.
    pub async fn attach_artifacts(
        &self,
        guid: String,
        test: Option<(String, Option<String>)>,
        new: Vec<NewArtifact>,
    ) -> Result<usize, StoreError> {
        self.run(move |conn| {
            db::write(conn, |conn| {
                let (job_id, _) = job_of(conn, &guid)?;
                let result = match &test {
                    None => None,
                    Some((test, subtest)) => Some(
                        test_results::table
                            .filter(test_results::job_id.eq(job_id))
                            .filter(test_results::test.eq(test))
                            .filter(test_results::subtest.eq(subtest.as_deref().unwrap_or("")))
                            .select(test_results::id)
                            .first::<i64>(conn)
                            .optional()?
                            .ok_or_else(|| {
                                StoreError::NotFound(format!(
                                    "job {guid:?} has no result of test {test:?}{}",
                                    subtest
                                        .as_deref()
                                        .map(|s| format!(", subtest {s:?}"))
                                        .unwrap_or_default()
                                ))
                            })?,
                    ),
                };
                let attached: Vec<(Option<i64>, &NewArtifact)> =
                    new.iter().map(|a| (result, a)).collect();
                artifacts::attach(conn, job_id, &attached)?;
                Ok(new.len())
            })
        })
        .await
    }

    /// A page of the job's test results in the order they were recorded, optionally of one
    /// status; the cursor is the result id.
    pub async fn test_results_of(
        &self,
        job_id: JobId,
        status: Option<TestStatus>,
        page: PageRequest,
    ) -> Result<Page<TestResult>, StoreError> {
        self.run(move |conn| {
            let mut query = test_results::table
                .filter(test_results::job_id.eq(job_id.0))
                .into_boxed();
            if let Some(status) = status {
                query = query.filter(test_results::status.eq(status.as_str()));
            }
            if let Some(after) = page.after {
                query = query.filter(test_results::id.gt(after));
            }
            let rows: Vec<Row> = query
                .order(test_results::id)
                .select(result_columns!())
                .limit(overfetch(page.limit))
                .load(conn)?;
            into_page(rows, page.limit)
        })
        .await
    }

    /// A test's results in a repository, newest recorded first (subtests included).
    pub async fn test_history(
        &self,
        repository_id: RepositoryId,
        test: String,
        page: PageRequest,
    ) -> Result<Page<TestResult>, StoreError> {
        self.run(move |conn| {
            let mut query = test_results::table
                .filter(test_results::repository_id.eq(repository_id.0))
                .filter(test_results::test.eq(&test))
                .into_boxed();
            if let Some(after) = page.after {
                query = query.filter(test_results::id.lt(after));
            }
            let rows: Vec<Row> = query
                .order(test_results::id.desc())
                .select(result_columns!())
                .limit(overfetch(page.limit))
                .load(conn)?;
            into_page(rows, page.limit)
        })
        .await
    }

    /// Every test that failed on a push of the repository pushed in `[since, until)` (unix
    /// microseconds), with how many of those pushes it failed and passed on; most failed
    /// pushes first.
    pub async fn failure_summary(
        &self,
        repository_id: RepositoryId,
        since: i64,
        until: i64,
    ) -> Result<Vec<TestFailureSummary>, StoreError> {
        self.run(move |conn| {
            // The window's failed results, through the index of failures.
            let failing: Vec<String> = test_results::table
                .inner_join(jobs::table.inner_join(pushes::table))
                .filter(test_results::repository_id.eq(repository_id.0))
                .filter(test_results::failed.eq(true))
                .filter(pushes::push_id.is_not_null())
                .filter(pushes::pushed_at.ge(since))
                .filter(pushes::pushed_at.lt(until))
                .select(test_results::test)
                .distinct()
                .load(conn)?;
            // Every result of those tests in the window: (test, push id, failed).
            let mut runs: BTreeMap<String, BTreeMap<i64, (bool, i64)>> = BTreeMap::new();
            for chunk in failing.chunks(BATCH_ROWS) {
                let rows: Vec<(String, Option<i64>, bool)> = test_results::table
                    .inner_join(jobs::table.inner_join(pushes::table))
                    .filter(test_results::repository_id.eq(repository_id.0))
                    .filter(test_results::test.eq_any(chunk))
                    .filter(pushes::push_id.is_not_null())
                    .filter(pushes::pushed_at.ge(since))
                    .filter(pushes::pushed_at.lt(until))
                    .select((test_results::test, pushes::push_id, test_results::failed))
                    .load(conn)?;
                for (test, push, failed) in rows {
                    let Some(push) = push else { continue };
                    let entry = runs.entry(test).or_default().entry(push).or_default();
                    entry.0 |= failed;
                    entry.1 += i64::from(failed);
                }
            }
            let mut summary: Vec<TestFailureSummary> = runs
                .into_iter()
                .filter_map(|(test, by_push)| summarize(test, &by_push))
                .collect();
            summary.sort_by(|a, b| {
                b.failed_pushes
                    .cmp(&a.failed_pushes)
                    .then(b.failures.cmp(&a.failures))
                    .then(a.test.cmp(&b.test))
            });
            Ok(summary)
        })
        .await
    }
}

/// One test's pushes (push id → failed on it, failed results) into its summary.
fn summarize(test: String, by_push: &BTreeMap<i64, (bool, i64)>) -> Option<TestFailureSummary> {
    let failed: BTreeSet<i64> = by_push
        .iter()
        .filter(|(_, (failed, _))| *failed)
        .map(|(push, _)| *push)
        .collect();
    let first = *failed.first()?;
    let last = *failed.last()?;
    let passed_since_first = by_push.range(first..).any(|(_, (failed, _))| !*failed);
    Some(TestFailureSummary {
        failures: by_push.values().map(|(_, n)| n).sum(),
        failed_pushes: i64::try_from(failed.len()).unwrap_or(i64::MAX),
        passed_pushes: i64::try_from(by_push.len() - failed.len()).unwrap_or(i64::MAX),
        first_failed_push: first,
        last_failed_push: last,
        kind: if passed_since_first {
            FailureKind::Intermittent
        } else {
            FailureKind::New
        },
        test,
    })
}

/// `limit + 1` fetched rows as a page of results.
fn into_page(rows: Vec<Row>, limit: usize) -> Result<Page<TestResult>, StoreError> {
    let items = rows
        .into_iter()
        .map(into_result)
        .collect::<Result<_, _>>()?;
    Ok(Page::from_overfetch(items, limit))
}

fn overfetch(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}
