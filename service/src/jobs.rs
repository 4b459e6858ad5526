//! Writing jobs and what hangs off them (test results, artifacts, edges) as a build system
//! submits them: each call needs `write:<repository>` of every job it touches and is one
//! transaction; stored jobs are announced (`crate::announce`).

use treeherd_model::{NewArtifact, NewJob, NewTestResult};
use treeherd_store::{NewDependency, TestResult};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::ingest::IgnoredJob;
use crate::service::Service;
use crate::submitted::Submitted;

/// The most test results one submission takes.
pub const MAX_TEST_RESULTS: usize = 10_000;

/// What a submission of jobs came to.
pub struct JobsSubmitted {
    /// The jobs as stored, one per distinct guid, in the order first submitted.
    pub jobs: Vec<treeherd_store::Job>,
    /// The inputs the job lifecycle refused; those jobs stay as they were.
    pub ignored: Vec<IgnoredJob>,
}

impl Service {
    /// Upserts jobs by guid, all in one transaction, and announces them. Needs
    /// `write:<repository>` for each (checked before any input is converted).
    #[tracing::instrument(skip_all, fields(jobs = input.len()))]
    pub async fn submit_jobs(
        &self,
        caller: &Caller,
        input: Vec<impl Submitted<NewJob>>,
    ) -> Result<JobsSubmitted, ServiceError> {
        for job in &input {
            match job.repository() {
                Some(repository) => caller.require_write(repository)?,
                None => caller.require_authenticated()?,
            }
        }
        let jobs = input
            .into_iter()
            .enumerate()
            .map(|(i, job)| job.convert(i))
            .collect::<Result<Vec<_>, _>>()?;
        for job in &jobs {
            caller.require_write(&job.repository)?;
        }
        let written = self.write_jobs(jobs, Vec::new()).await?;
        Ok(JobsSubmitted {
            jobs: written.jobs,
            ignored: written
                .ignored
                .into_iter()
                .map(|i| IgnoredJob::from_store(i, |at| at))
                .collect(),
        })
    }

    /// Stores test results of job `guid`, replacing its results of the same test and
    /// subtest, with their artifacts; one transaction. Needs `write:<repository>` of the job.
    #[tracing::instrument(skip_all, fields(job = %guid, results = results.len()))]
    pub async fn submit_test_results(
        &self,
        caller: &Caller,
        guid: String,
        results: Vec<NewTestResult>,
    ) -> Result<Vec<TestResult>, ServiceError> {
        if results.len() > MAX_TEST_RESULTS {
            return Err(ServiceError::bad_input(
                "results",
                format!(
                    "at most {MAX_TEST_RESULTS} test results per call, not {}",
                    results.len()
                ),
            ));
        }
        self.require_write_to_job(caller, &guid).await?;
        Ok(self.store.submit_test_results(guid, results).await?)
    }

    /// Attaches artifacts (pointers) to job `guid`, or to its result of `test` (and
    /// `subtest`); raw logs and error summaries are queued for parsing. Needs
    /// `write:<repository>` of the job. Gives how many were attached.
    #[tracing::instrument(skip_all, fields(job = %guid, artifacts = artifacts.len()))]
    pub async fn attach_artifacts(
        &self,
        caller: &Caller,
        guid: String,
        test: Option<String>,
        subtest: Option<String>,
        artifacts: Vec<NewArtifact>,
    ) -> Result<usize, ServiceError> {
        if subtest.is_some() && test.is_none() {
            return Err(ServiceError::bad_input(
                "subtest",
                "a subtest needs its test",
            ));
        }
        self.require_write_to_job(caller, &guid).await?;
        let test = test.map(|t| (t, subtest));
        Ok(self.store.attach_artifacts(guid, test, artifacts).await?)
    }

    /// Adds typed edges (dependent waits on dependency), in one transaction. Each dependent
    /// must be a stored job; needs `write:<its repository>`. Gives how many distinct edges
    /// were written.
    #[tracing::instrument(skip_all, fields(edges = edges.len()))]
    pub async fn add_dependencies(
        &self,
        caller: &Caller,
        edges: Vec<NewDependency>,
    ) -> Result<usize, ServiceError> {
        // A job never changes repository, so checking before the write is as good as during.
        caller.require_authenticated()?;
        let mut dependents: Vec<String> = edges.iter().map(|d| d.dependent.clone()).collect();
        dependents.sort_unstable();
        dependents.dedup();
        let repositories = self.store.job_repositories(dependents).await?;
        for repository in repositories.values() {
            caller.require_write(repository)?;
        }
        Ok(self.store.add_dependencies(edges).await?)
    }

    /// Refuses a caller who may not write to the repository of job `guid` (or when there is
    /// no such job).
    pub(crate) async fn require_write_to_job(
        &self,
        caller: &Caller,
        guid: &str,
    ) -> Result<(), ServiceError> {
        let repositories = self.store.job_repositories(vec![guid.to_owned()]).await?;
        let repository = repositories
            .get(guid)
            .ok_or_else(|| ServiceError::NotFound(format!("no job {guid:?}")))?;
        caller.require_write(repository)
    }
}
