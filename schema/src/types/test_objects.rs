//! Test objects: a job's logs with what parsing them found (errors, steps), its test results,
//! its artifacts (on the job or on a test result), failure summaries and performance series,
//! and the inputs producers send structured results with.

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::classification::Classification;
use super::time::to_datetime;
use super::{ArtifactKind, FailureKind, Job, LogStatus, TestStatus};
use crate::ApiError;
use crate::loaders::{ArtifactsOfResult, ClassificationsOfJob, ErrorsOfLog, StepsOfLog, load};

/// A log of the job, kept as a pointer, and what parsing it found.
pub(crate) struct JobLog(pub treeherd_store::JobLog);

#[Object]
impl JobLog {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn status(&self) -> LogStatus {
        self.0.status.into()
    }

    /// Why it FAILED or was SKIPPED, or why the last try failed while it waits to be retried.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// Fetches tried so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    async fn parsed_at(&self) -> Option<DateTime<Utc>> {
        self.0.parsed_at.map(to_datetime)
    }

    /// Lines, as Python's `bytes.splitlines` counts them.
    async fn line_count(&self) -> Option<i64> {
        self.0.line_count
    }

    /// Bytes of uncompressed text.
    async fn byte_count(&self) -> Option<i64> {
        self.0.byte_count
    }

    /// Every error line the rules accepted; at most 40 are kept in `errors`.
    async fn error_count(&self) -> Option<i64> {
        self.0.error_count
    }

    /// Treeherder's error summary of the log: the same lines and 0-based line numbers as
    /// Treeherder's logview artifact.
    async fn errors(&self, ctx: &Context<'_>) -> Result<Vec<LogError>, ApiError> {
        let errors = load(ctx, ErrorsOfLog(self.0.id)).await?;
        Ok(errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| LogError {
                line_number: e.line_number,
                line: e.line,
                step: e.step,
            })
            .collect())
    }

    /// The log's steps (taskcluster, mozharness, buildbot), in the order they start.
    async fn steps(&self, ctx: &Context<'_>) -> Result<Vec<LogStep>, ApiError> {
        let steps = load(ctx, StepsOfLog(self.0.id)).await?;
        Ok(steps
            .unwrap_or_default()
            .into_iter()
            .map(|s| LogStep {
                name: s.name,
                kind: s.kind,
                result: s.result,
                first_line: s.first_line,
                last_line: s.last_line,
                started: s.started,
                finished: s.finished,
                duration_ms: s.duration_ms,
                error_count: s.error_count,
            })
            .collect())
    }
}

/// An error line of a log.
#[derive(SimpleObject)]
pub(crate) struct LogError {
    /// 0-based, as Treeherder counts.
    line_number: i64,
    line: String,
    /// Position (0-based) of the step it fell in, among the log's `steps`.
    step: Option<i32>,
}

/// A step of a log.
#[derive(SimpleObject)]
pub(crate) struct LogStep {
    name: String,
    /// `taskcluster`, `mozharness` or `buildbot`.
    kind: String,
    /// `success`, `testfailed`, `busted`, `failed`, `skipped`, `exception`, `retry`,
    /// `usercancel` or `unknown`.
    result: String,
    /// 0-based line of its start.
    first_line: i64,
    last_line: Option<i64>,
    /// Its start and end as the log prints them.
    started: Option<String>,
    finished: Option<String>,
    duration_ms: Option<i64>,
    error_count: i64,
}

/// An entry of a results dictionary: a pointer, never the bytes.
#[derive(SimpleObject)]
pub(crate) struct Artifact {
    name: String,
    kind: ArtifactKind,
    url: String,
    content_type: Option<String>,
    size: Option<i64>,
    sha256: Option<String>,
}

impl From<treeherd_store::Artifact> for Artifact {
    fn from(a: treeherd_store::Artifact) -> Artifact {
        Artifact {
            name: a.name,
            kind: a.kind.into(),
            url: a.url,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
        }
    }
}

/// How a test (or one of its subtests) ended in a job.
pub(crate) struct TestResult(pub treeherd_store::TestResult);

#[Object]
impl TestResult {
    async fn test(&self) -> &str {
        &self.0.test
    }

    /// None for the test's own result.
    async fn subtest(&self) -> Option<&str> {
        self.0.subtest.as_deref()
    }

    async fn status(&self) -> TestStatus {
        self.0.status.into()
    }

    /// None when PASS or OK was expected.
    async fn expected(&self) -> Option<TestStatus> {
        self.0.expected.map(Into::into)
    }

    /// A failing status (FAIL ERROR TIMEOUT CRASH ASSERT PRECONDITION_FAILED) not expected.
    async fn failed(&self) -> bool {
        self.0.failed
    }

    async fn duration_ms(&self) -> Option<i64> {
        self.0.duration_ms
    }

    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    async fn stack(&self) -> Option<&str> {
        self.0.stack.as_deref()
    }

    /// The group (manifest, directory) it ran in.
    async fn group(&self) -> Option<&str> {
        self.0.group.as_deref()
    }

    async fn job(&self, ctx: &Context<'_>) -> Result<Option<Job>, ApiError> {
        Job::by_id(ctx, Some(treeherd_store::JobId(self.0.job_id))).await
    }

    /// The newest decision about this failed test (`classifyTest`) or about its whole job, if
    /// any; null for a result that did not fail.
    async fn classification(&self, ctx: &Context<'_>) -> Result<Option<Classification>, ApiError> {
        if !self.0.failed {
            return Ok(None);
        }
        let history = load(
            ctx,
            ClassificationsOfJob(treeherd_store::JobId(self.0.job_id)),
        )
        .await?
        .unwrap_or_default();
        let subtest = self.0.subtest.as_deref().filter(|s| !s.is_empty());
        Ok(history
            .into_iter()
            .rev()
            .find(|c| match &c.test {
                Some((test, sub)) => *test == self.0.test && sub.as_deref() == subtest,
                None => c.is_whole_job(),
            })
            .map(Classification))
    }

    /// The result's own artifacts (screenshots, recordings, logs...).
    async fn artifacts(&self, ctx: &Context<'_>) -> Result<Vec<Artifact>, ApiError> {
        let artifacts = load(ctx, ArtifactsOfResult(self.0.id)).await?;
        Ok(artifacts
            .unwrap_or_default()
            .into_iter()
            .map(Artifact::from)
            .collect())
    }
}

/// How one test fared over the pushes of a window.
#[derive(SimpleObject)]
pub(crate) struct TestFailureSummary {
    test: String,
    /// Failed results (subtests included).
    failures: i64,
    /// Pushes with at least one failed result of the test.
    failed_pushes: i64,
    /// Pushes where it ran and nothing of it failed.
    passed_pushes: i64,
    first_failed_push_id: i64,
    last_failed_push_id: i64,
    kind: FailureKind,
}

impl From<treeherd_store::TestFailureSummary> for TestFailureSummary {
    fn from(s: treeherd_store::TestFailureSummary) -> TestFailureSummary {
        TestFailureSummary {
            test: s.test,
            failures: s.failures,
            failed_pushes: s.failed_pushes,
            passed_pushes: s.passed_pushes,
            first_failed_push_id: s.first_failed_push,
            last_failed_push_id: s.last_failed_push,
            kind: s.kind.into(),
        }
    }
}

/// One value of a performance series.
#[derive(SimpleObject)]
#[graphql(complex)]
pub(crate) struct PerfPoint {
    /// The push it ran on (none for jobs that hang off no push).
    push_id: Option<i64>,
    revision: Option<String>,
    pushed_at: Option<DateTime<Utc>>,
    value: f64,
    unit: Option<String>,
    lower_is_better: Option<bool>,
    #[graphql(skip)]
    job_id: Option<i64>,
}

#[ComplexObject]
impl PerfPoint {
    /// The job whose log held it (none once the job expired: values outlive their jobs).
    async fn job(&self, ctx: &Context<'_>) -> Result<Option<Job>, ApiError> {
        Job::by_id(ctx, self.job_id.map(treeherd_store::JobId)).await
    }
}

impl From<treeherd_store::PerfPoint> for PerfPoint {
    fn from(p: treeherd_store::PerfPoint) -> PerfPoint {
        PerfPoint {
            push_id: p.push_id,
            revision: p.revision,
            pushed_at: p.pushed_at.map(to_datetime),
            value: p.value,
            unit: p.unit,
            lower_is_better: p.lower_is_better,
            job_id: p.job_id,
        }
    }
}

/// An artifact as a producer sends it: a pointer (URL), never the bytes.
#[derive(InputObject)]
pub(crate) struct ArtifactInput {
    pub name: String,
    pub kind: ArtifactKind,
    pub url: String,
    pub content_type: Option<String>,
    /// Bytes.
    pub size: Option<i64>,
    /// 64 hexadecimal digits.
    pub sha256: Option<String>,
}

impl TryFrom<ArtifactInput> for treeherd_model::NewArtifact {
    type Error = ApiError;

    fn try_from(input: ArtifactInput) -> Result<Self, ApiError> {
        if input.name.trim().is_empty() {
            return Err(ApiError::BadUserInput("an artifact needs a name".into()));
        }
        let scheme_ok = ["http://", "https://"]
            .iter()
            .any(|scheme| input.url.starts_with(scheme));
        if !scheme_ok {
            return Err(ApiError::BadUserInput(format!(
                "artifact {:?}: url must be http(s), not {:?}",
                input.name, input.url
            )));
        }
        if input.size.is_some_and(|size| size < 0) {
            return Err(ApiError::BadUserInput(format!(
                "artifact {:?}: size cannot be negative",
                input.name
            )));
        }
        if let Some(sha) = &input.sha256
            && !(sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(ApiError::BadUserInput(format!(
                "artifact {:?}: sha256 must be 64 hexadecimal digits",
                input.name
            )));
        }
        Ok(treeherd_model::NewArtifact {
            name: input.name,
            kind: input.kind.into(),
            url: input.url,
            content_type: input.content_type,
            size: input.size,
            sha256: input.sha256.map(|s| s.to_ascii_lowercase()),
        })
    }
}

/// A test result as a producer sends it.
#[derive(InputObject)]
pub(crate) struct TestResultInput {
    pub test: String,
    pub subtest: Option<String>,
    pub status: TestStatus,
    /// Leave out when PASS or OK was expected.
    pub expected: Option<TestStatus>,
    pub duration_ms: Option<i64>,
    pub message: Option<String>,
    pub stack: Option<String>,
    pub group: Option<String>,
    #[graphql(default)]
    pub artifacts: Vec<ArtifactInput>,
}

impl TryFrom<TestResultInput> for treeherd_model::NewTestResult {
    type Error = ApiError;

    fn try_from(input: TestResultInput) -> Result<Self, ApiError> {
        if input.test.trim().is_empty() {
            return Err(ApiError::BadUserInput("a test result needs a test".into()));
        }
        if input.subtest.as_deref().is_some_and(str::is_empty) {
            return Err(ApiError::BadUserInput(format!(
                "test {:?}: leave subtest out rather than empty",
                input.test
            )));
        }
        if input.duration_ms.is_some_and(|d| d < 0) {
            return Err(ApiError::BadUserInput(format!(
                "test {:?}: durationMs cannot be negative",
                input.test
            )));
        }
        Ok(treeherd_model::NewTestResult {
            test: input.test,
            subtest: input.subtest,
            status: input.status.into(),
            expected: input.expected.map(Into::into),
            duration_ms: input.duration_ms,
            message: input.message,
            stack: input.stack,
            group: input.group,
            artifacts: input
                .artifacts
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// What `attachArtifacts` attached.
#[derive(SimpleObject)]
pub(crate) struct AttachArtifactsPayload {
    pub attached: i32,
}
