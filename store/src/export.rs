//! Bulk export reads: jobs whose age (submitted, else started, else finished: the expression
//! `jobs_by_age` indexes, as retention reads it) falls in a range, a page at a time in age
//! order, each with its repository, push, edges and current classification, so that an export
//! of months streams with the memory of one page. The next page starts after the last job of
//! this one ([`AgeCursor`], the keyset retention walks too).

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use std::collections::HashMap;

use crate::jobs::JobRow;
use crate::retention::{AgeCursor, JOB_AGE};
use crate::schema::{
    job_classification_bugs, job_classifications, job_dependencies, jobs, perf_data, pushes,
    repositories, test_results,
};
use crate::{Job, Store, StoreError};
use treeherd_model::FailureClassification;

/// The most jobs or performance values an export page reads. Larger than a write batch
/// (`db::BATCH_ROWS`): each page costs statements planned afresh and round trips, and at 1,000
/// rows those were a tenth of an export's time. A page's ids are bound once on PostgreSQL
/// (`= ANY`) and one by one on SQLite, under its limit of 32,766.
pub const EXPORT_ROWS: usize = 5000;

/// One exported job.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedJob {
    pub job: Job,
    /// Its repository's name.
    pub repository: String,
    /// Push id, revision and time of its push (none for a job on no push, or on a placeholder).
    pub push: Option<(i64, String, i64)>,
    /// What it waits on: the dependency's guid (it may not have arrived, or have expired) and
    /// the edge's kind.
    pub dependencies: Vec<(String, String)>,
    /// Its current classification, whether the autoclassifier made it, and its bugs.
    pub classification: Option<(FailureClassification, bool, Vec<i64>)>,
}

/// A page of an export's jobs, to complete with [`Store::export_job_details`], and where the
/// next page starts (`None`: this was the last).
pub struct ExportPage {
    pub jobs: Vec<Job>,
    pub next: Option<AgeCursor>,
}

impl Store {
    /// Up to `limit` jobs (at most [`EXPORT_ROWS`]) whose age is in `[since, until)` (unix
    /// microseconds), after `after`, in age order. The page reads the jobs' rows alone, in
    /// the order of the age index; their repository, push, edges and classification are left
    /// for [`Store::export_job_details`], so that an export reads the next page while another
    /// connection completes this one, and a push shared by a page's jobs is read once.
    pub async fn export_jobs(
        &self,
        since: i64,
        until: i64,
        after: Option<AgeCursor>,
        limit: usize,
    ) -> Result<ExportPage, StoreError> {
        let limit = limit.clamp(1, EXPORT_ROWS);
        self.run(move |conn| {
            let rows: Vec<JobRow> = jobs::table
                .filter(sql::<Nullable<BigInt>>(JOB_AGE).ge(since))
                .filter(sql::<Nullable<BigInt>>(JOB_AGE).lt(until))
                .filter(AgeCursor::followed_by(after))
                .order((sql::<Nullable<BigInt>>(JOB_AGE), jobs::id))
                .select(JobRow::as_select())
                .limit(limit as i64)
                .load(conn)?;
            let jobs = rows
                .into_iter()
                .map(Job::try_from)
                .collect::<Result<Vec<Job>, StoreError>>()?;
            let next = (jobs.len() == limit)
                .then(|| jobs.last().and_then(AgeCursor::of))
                .flatten();
            Ok(ExportPage { jobs, next })
        })
        .await
    }
}

/// One exported test result, with its job's guid and repository.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedTestResult {
    pub job: String,
    pub repository: String,
    pub test: String,
    /// Empty for the test's own result.
    pub subtest: String,
    pub status: String,
    pub expected: Option<String>,
    pub failed: bool,
    pub duration_ms: Option<i64>,
    pub message: Option<String>,
    pub group: Option<String>,
}

/// One exported performance value, with its push and (unless it expired) its job's guid.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedPerfValue {
    pub repository: String,
    pub framework: String,
    pub suite: String,
    /// Empty for the suite's own value.
    pub subtest: String,
    pub platform: String,
    pub value: f64,
    pub unit: Option<String>,
    pub lower_is_better: Option<bool>,
    /// Push id, revision and time (none while its push is a placeholder).
    pub push: Option<(i64, String, i64)>,
    pub job: Option<String>,
}

type TestResultRow = (
    (i64, String, String, String, String),
    (
        Option<String>,
        String,
        bool,
        Option<i64>,
        Option<String>,
        Option<String>,
    ),
);
type PerfRow = (
    (i64, String, String, String, String, String),
    (f64, Option<String>, Option<bool>),
    (Option<i64>, String, i64, Option<String>),
);

impl Store {
    /// The test results of up to `jobs` jobs (at most 1,000: a test job may have thousands)
    /// whose age is in `[since, until)`, after `after`, in the jobs' age order; and where the
    /// next page starts.
    pub async fn export_test_results(
        &self,
        since: i64,
        until: i64,
        after: Option<AgeCursor>,
        jobs: usize,
    ) -> Result<(Vec<ExportedTestResult>, Option<AgeCursor>), StoreError> {
        let limit = jobs.clamp(1, crate::db::BATCH_ROWS);
        self.run(move |conn| {
            let page: Vec<(i64, i64)> = jobs::table
                .filter(sql::<Nullable<BigInt>>(JOB_AGE).ge(since))
                .filter(sql::<Nullable<BigInt>>(JOB_AGE).lt(until))
                .filter(AgeCursor::followed_by(after))
                .order((sql::<Nullable<BigInt>>(JOB_AGE), jobs::id))
                .select((jobs::id, sql::<BigInt>(JOB_AGE)))
                .limit(limit as i64)
                .load(conn)?;
            let next = (page.len() == limit)
                .then(|| page.last().map(|&(id, age)| AgeCursor { age, id }))
                .flatten();
            let ids: Vec<i64> = page.iter().map(|&(id, _)| id).collect();
            let rows: Vec<TestResultRow> = test_results::table
                .inner_join(jobs::table.inner_join(repositories::table))
                .filter(test_results::job_id.eq_any(&ids))
                .order((test_results::job_id, test_results::id))
                .select((
                    (
                        test_results::job_id,
                        jobs::guid,
                        repositories::name,
                        test_results::test,
                        test_results::subtest,
                    ),
                    (
                        test_results::expected,
                        test_results::status,
                        test_results::failed,
                        test_results::duration_ms,
                        test_results::message,
                        test_results::test_group,
                    ),
                ))
                .load(conn)?;
            // In the page's age order.
            let rank: HashMap<i64, usize> =
                ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
            let mut results: Vec<(usize, ExportedTestResult)> = rows
                .into_iter()
                .map(
                    |(
                        (job_id, job, repository, test, subtest),
                        (expected, status, failed, duration_ms, message, group),
                    )| {
                        (
                            rank.get(&job_id).copied().unwrap_or(usize::MAX),
                            ExportedTestResult {
                                job,
                                repository,
                                test,
                                subtest,
                                status,
                                expected,
                                failed,
                                duration_ms,
                                message,
                                group,
                            },
                        )
                    },
                )
                .collect();
            results.sort_by_key(|(rank, _)| *rank);
            Ok((results.into_iter().map(|(_, r)| r).collect(), next))
        })
        .await
    }

    /// Up to `limit` performance values (at most [`EXPORT_ROWS`]) whose push was pushed in
    /// `[since, until)`, after value `after` (by id), in id order; and where the next page
    /// starts.
    pub async fn export_perf_data(
        &self,
        since: i64,
        until: i64,
        after: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<ExportedPerfValue>, Option<i64>), StoreError> {
        let limit = limit.clamp(1, EXPORT_ROWS);
        self.run(move |conn| {
            let rows: Vec<PerfRow> = perf_data::table
                .inner_join(pushes::table.inner_join(repositories::table))
                .left_join(jobs::table)
                .filter(pushes::pushed_at.ge(since))
                .filter(pushes::pushed_at.lt(until))
                .filter(perf_data::id.gt(after.unwrap_or(i64::MIN)))
                .order(perf_data::id)
                .select((
                    (
                        perf_data::id,
                        repositories::name,
                        perf_data::framework,
                        perf_data::suite,
                        perf_data::subtest,
                        perf_data::platform,
                    ),
                    (
                        perf_data::value,
                        perf_data::unit,
                        perf_data::lower_is_better,
                    ),
                    (
                        pushes::push_id,
                        pushes::revision,
                        pushes::pushed_at,
                        jobs::guid.nullable(),
                    ),
                ))
                .limit(limit as i64)
                .load(conn)?;
            let next = (rows.len() == limit)
                .then(|| rows.last().map(|r| r.0.0))
                .flatten();
            let values = rows
                .into_iter()
                .map(
                    |(
                        (_, repository, framework, suite, subtest, platform),
                        (value, unit, lower_is_better),
                        (push_id, revision, pushed_at, job),
                    )| ExportedPerfValue {
                        repository,
                        framework,
                        suite,
                        subtest,
                        platform,
                        value,
                        unit,
                        lower_is_better,
                        push: push_id.map(|id| (id, revision, pushed_at)),
                        job,
                    },
                )
                .collect();
            Ok((values, next))
        })
        .await
    }

    /// Completes a page of [`Store::export_jobs`]: each job's repository name, push, its
    /// dependencies (guid and kind of each, by guid) and its classification with its bugs.
    pub async fn export_job_details(&self, jobs: Vec<Job>) -> Result<Vec<ExportedJob>, StoreError> {
        self.run(move |conn| {
            let ids: Vec<i64> = jobs.iter().map(|j| j.id.0).collect();
            let mut repository_ids: Vec<i64> = jobs.iter().map(|j| j.repository_id.0).collect();
            repository_ids.sort_unstable();
            repository_ids.dedup();
            let repository_names: HashMap<i64, String> = repositories::table
                .filter(repositories::id.eq_any(&repository_ids))
                .select((repositories::id, repositories::name))
                .load(conn)?
                .into_iter()
                .collect();
            let mut push_ids: Vec<i64> = jobs
                .iter()
                .filter_map(|j| j.push_row_id.map(|p| p.0))
                .collect();
            push_ids.sort_unstable();
            push_ids.dedup();
            // A placeholder push (no push id yet) is no push.
            let pushes: HashMap<i64, (i64, String, i64)> = pushes::table
                .filter(pushes::id.eq_any(&push_ids))
                .filter(pushes::push_id.is_not_null())
                .select((
                    pushes::id,
                    pushes::push_id,
                    pushes::revision,
                    pushes::pushed_at,
                ))
                .load::<(i64, Option<i64>, String, i64)>(conn)?
                .into_iter()
                .filter_map(|(id, push_id, revision, at)| Some((id, (push_id?, revision, at))))
                .collect();
            let mut classifications: HashMap<i64, (FailureClassification, bool, Vec<i64>)> =
                HashMap::new();
            for (job, classification, automatic) in job_classifications::table
                .filter(job_classifications::job_id.eq_any(&ids))
                .select((
                    job_classifications::job_id,
                    job_classifications::classification,
                    job_classifications::automatic,
                ))
                .load::<(i64, i32, bool)>(conn)?
            {
                let classification = FailureClassification::from_id(classification.into())?;
                classifications.insert(job, (classification, automatic, Vec::new()));
            }
            if !classifications.is_empty() {
                let classified: Vec<i64> = classifications.keys().copied().collect();
                for (job, bug) in job_classification_bugs::table
                    .filter(job_classification_bugs::job_id.eq_any(&classified))
                    .order((
                        job_classification_bugs::job_id,
                        job_classification_bugs::bug_id,
                    ))
                    .select((
                        job_classification_bugs::job_id,
                        job_classification_bugs::bug_id,
                    ))
                    .load::<(i64, i64)>(conn)?
                {
                    if let Some((_, _, bugs)) = classifications.get_mut(&job) {
                        bugs.push(bug);
                    }
                }
            }
            let mut edges: HashMap<i64, Vec<(String, String)>> = HashMap::new();
            for (dependent, guid, kind) in job_dependencies::table
                .filter(job_dependencies::dependent_id.eq_any(&ids))
                .order((
                    job_dependencies::dependent_id,
                    job_dependencies::dependency_guid,
                ))
                .select((
                    job_dependencies::dependent_id,
                    job_dependencies::dependency_guid,
                    job_dependencies::kind,
                ))
                .load::<(i64, String, String)>(conn)?
            {
                edges.entry(dependent).or_default().push((guid, kind));
            }
            Ok(jobs
                .into_iter()
                .map(|job| ExportedJob {
                    repository: repository_names
                        .get(&job.repository_id.0)
                        .cloned()
                        .unwrap_or_default(),
                    push: job.push_row_id.and_then(|p| pushes.get(&p.0).cloned()),
                    dependencies: edges.remove(&job.id.0).unwrap_or_default(),
                    classification: classifications.remove(&job.id.0),
                    job,
                })
                .collect())
        })
        .await
    }
}
