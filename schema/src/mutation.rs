//! `Mutation`: the write entry points. Each maps its input, calls the service (which checks
//! the caller's token scope, see [`treeherd_service::Caller`]) and maps its answer; each is
//! one transaction: all or nothing.

use async_graphql::{Context, Object, SimpleObject};
use treeherd_service::{Caller, Service};

use crate::ApiError;
use crate::types::{
    ArtifactInput, AttachArtifactsPayload, DependencyInput, IgnoredJob, Job, JobInput, Machine,
    MachineState, Push, PushInput, RejectedMessage, Release, ReleaseInput, Repository,
    RepositoryInput, TestResult, TestResultInput, to_micros,
};
use crate::types::{
    Build, BuildInput, Classification, ClassifyFailureLineInput, ClassifyJobsInput,
    ClassifyJobsPayload, ClassifyPayload, ClassifyTestInput,
};

pub struct Mutation;

#[derive(SimpleObject)]
struct SubmitJobsPayload {
    /// The jobs as stored, one per distinct guid, in the order first submitted.
    jobs: Vec<Job>,
    /// The inputs the job lifecycle refused (a completed job sent again with another result,
    /// a state moving back), each with its index and reason; those jobs stay as they were.
    ignored: Vec<IgnoredJob>,
}

#[derive(SimpleObject)]
struct IngestPayload {
    /// The jobs as stored, in message order (a message the lifecycle made a no-op still
    /// returns the job as it is).
    jobs: Vec<Job>,
    /// The messages not taken, each with its reason.
    rejected: Vec<RejectedMessage>,
    /// Earlier runs marked SUPERSEDED (coalesced) or RETRY (retried).
    marked: i32,
    /// Valid messages the job lifecycle refused (a completed job sent again with another
    /// result, a state moving back), each with its index and reason.
    ignored: Vec<IgnoredJob>,
}

#[derive(SimpleObject)]
struct AddDependenciesPayload {
    /// How many distinct edges were written.
    added: i32,
}

fn caller<'a>(ctx: &'a Context<'_>) -> &'a Caller {
    ctx.data_opt::<Caller>().unwrap_or(&Caller::Anonymous)
}

fn service<'a>(ctx: &'a Context<'_>) -> Result<&'a Service, ApiError> {
    Ok(ctx.data::<Service>()?)
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl Mutation {
    /// Classifies failed jobs (all or none), with bugs and a note; reclassifying keeps the
    /// earlier decisions in `Job.classificationHistory`. Needs `sheriff:<repository>` for
    /// every job's repository (or `sheriff:*`, `admin`).
    async fn classify_jobs(
        &self,
        ctx: &Context<'_>,
        input: ClassifyJobsInput,
    ) -> Result<ClassifyJobsPayload, ApiError> {
        let written = service(ctx)?
            .classify_jobs(caller(ctx), input.into())
            .await?;
        Ok(ClassifyJobsPayload {
            jobs: written.into_iter().map(|(job, _)| Job(job)).collect(),
        })
    }

    /// Classifies one failure line of a failed job, with bugs and a note: the line shows it
    /// (`FailureLine.classification`) and the autoclassifier counts it as a person's
    /// precedent; the job's own classification is left as it is. Needs
    /// `sheriff:<repository>` (or `sheriff:*`, `admin`).
    async fn classify_failure_line(
        &self,
        ctx: &Context<'_>,
        input: ClassifyFailureLineInput,
    ) -> Result<ClassifyPayload, ApiError> {
        let (job, classification) = service(ctx)?
            .classify_failure_line(caller(ctx), input.into())
            .await?;
        Ok(ClassifyPayload {
            job: Job(job),
            classification: Classification(classification),
        })
    }

    /// Classifies one failed test of a failed job (its result of the test and subtest), with
    /// bugs and a note: the result shows it (`TestResult.classification`); the job's own
    /// classification is left as it is. Needs `sheriff:<repository>` (or `sheriff:*`,
    /// `admin`).
    async fn classify_test(
        &self,
        ctx: &Context<'_>,
        input: ClassifyTestInput,
    ) -> Result<ClassifyPayload, ApiError> {
        let (job, classification) = service(ctx)?
            .classify_test(caller(ctx), input.into())
            .await?;
        Ok(ClassifyPayload {
            job: Job(job),
            classification: Classification(classification),
        })
    }

    /// Creates a repository. Needs the `admin` scope.
    async fn create_repository(
        &self,
        ctx: &Context<'_>,
        input: RepositoryInput,
    ) -> Result<Repository, ApiError> {
        let repository = service(ctx)?
            .create_repository(caller(ctx), input.into())
            .await?;
        Ok(Repository(repository))
    }

    /// Stores a push and its commits (idempotent on the revision). Needs `write:<repository>`.
    async fn submit_push(&self, ctx: &Context<'_>, input: PushInput) -> Result<Push, ApiError> {
        let repository = input.repository.clone();
        let push = service(ctx)?
            .submit_push(caller(ctx), repository, input)
            .await?;
        Ok(Push(push))
    }

    /// Upserts jobs by guid, all in one transaction. Needs `write:<repository>` for each.
    async fn submit_jobs(
        &self,
        ctx: &Context<'_>,
        input: Vec<JobInput>,
    ) -> Result<SubmitJobsPayload, ApiError> {
        let submitted = service(ctx)?.submit_jobs(caller(ctx), input).await?;
        Ok(SubmitJobsPayload {
            jobs: submitted.jobs.into_iter().map(Job).collect(),
            ignored: submitted.ignored.into_iter().map(Into::into).collect(),
        })
    }

    /// Stores test results of a job, replacing its results of the same test and subtest, with
    /// their artifacts; all in one transaction. Needs `write:<repository>` of the job.
    async fn submit_test_results(
        &self,
        ctx: &Context<'_>,
        job: String,
        results: Vec<TestResultInput>,
    ) -> Result<Vec<TestResult>, ApiError> {
        if results.len() > crate::limits::MAX_TEST_RESULTS {
            return Err(ApiError::BadUserInput(format!(
                "at most {} test results per call, not {}",
                crate::limits::MAX_TEST_RESULTS,
                results.len()
            )));
        }
        let results = results
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<_>, _>>()?;
        let stored = service(ctx)?
            .submit_test_results(caller(ctx), job, results)
            .await?;
        Ok(stored.into_iter().map(TestResult).collect())
    }

    /// Attaches artifacts (pointers) to a job, or to its result of `test` (and `subtest`).
    /// Raw logs and error summaries are queued for parsing. Needs `write:<repository>` of the
    /// job.
    async fn attach_artifacts(
        &self,
        ctx: &Context<'_>,
        job: String,
        test: Option<String>,
        subtest: Option<String>,
        artifacts: Vec<ArtifactInput>,
    ) -> Result<AttachArtifactsPayload, ApiError> {
        let artifacts = artifacts
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<_>, _>>()?;
        let attached = service(ctx)?
            .attach_artifacts(caller(ctx), job, test, subtest, artifacts)
            .await?;
        Ok(AttachArtifactsPayload {
            attached: count(attached),
        })
    }

    /// Sets a machine's state by hand: OFFLINE or QUARANTINED with a reason and an optional
    /// end, or IDLE to put it back. A machine no job has run on is NOT_FOUND. Needs the
    /// `admin` scope.
    async fn set_machine_state(
        &self,
        ctx: &Context<'_>,
        build_system: String,
        name: String,
        state: MachineState,
        reason: Option<String>,
        until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Machine, ApiError> {
        let machine = service(ctx)?
            .set_machine_state(
                caller(ctx),
                build_system,
                name,
                state.into(),
                reason,
                until.map(to_micros),
            )
            .await?;
        Ok(Machine(machine))
    }

    /// Declares how often a scheduled job should run (`every`: 30m, 12h, 7d, 3600s), so it
    /// shows as overdue when it does not. Needs `write:<repository>`.
    async fn declare_schedule(
        &self,
        ctx: &Context<'_>,
        repository: String,
        name: String,
        every: String,
    ) -> Result<bool, ApiError> {
        service(ctx)?
            .declare_schedule(caller(ctx), repository, name, &every)
            .await?;
        Ok(true)
    }

    /// Creates a release: its release job on the push of `revision`, with RELEASE edges to
    /// every gate, in one transaction. Creating it again adds gates. Needs
    /// `write:<repository>`.
    async fn create_release(
        &self,
        ctx: &Context<'_>,
        input: ReleaseInput,
    ) -> Result<Release, ApiError> {
        let release = service(ctx)?.create_release(caller(ctx), input).await?;
        Ok(Release(release))
    }

    /// Ingests Treeherder pulse job messages (`pulse-job.yml` v1) as build systems send them.
    /// Invalid messages are rejected one by one while the valid ones are stored together.
    /// Needs `write:<repository>` for each message's `origin.project`.
    async fn ingest_pulse_jobs(
        &self,
        ctx: &Context<'_>,
        messages: Vec<async_graphql::Json<serde_json::Value>>,
    ) -> Result<IngestPayload, ApiError> {
        let messages: Vec<serde_json::Value> = messages.into_iter().map(|m| m.0).collect();
        let outcome = service(ctx)?.ingest_pulse(caller(ctx), &messages).await?;
        Ok(IngestPayload {
            jobs: outcome.jobs.into_iter().map(Job).collect(),
            rejected: outcome.rejected.into_iter().map(Into::into).collect(),
            marked: count(outcome.marked),
            ignored: outcome.ignored.into_iter().map(Into::into).collect(),
        })
    }

    /// Adds typed edges (dependent waits on dependency), all in one transaction. Each
    /// dependent must be a stored job; needs `write:<its repository>`.
    async fn add_dependencies(
        &self,
        ctx: &Context<'_>,
        input: Vec<DependencyInput>,
    ) -> Result<AddDependenciesPayload, ApiError> {
        let edges = input.into_iter().map(Into::into).collect();
        let added = service(ctx)?.add_dependencies(caller(ctx), edges).await?;
        Ok(AddDependenciesPayload {
            added: count(added),
        })
    }

    /// Stores builds (buildhub's records, or a build system's), all in one transaction:
    /// upserted by product, build id, platform, locale and channel. Needs
    /// `write:<repository>` for a build whose repository URL is a treeherd repository's (and
    /// for the repository of a named job), else `admin`.
    async fn submit_builds(
        &self,
        ctx: &Context<'_>,
        builds: Vec<BuildInput>,
    ) -> Result<SubmitBuildsPayload, ApiError> {
        let builds = service(ctx)?.submit_builds(caller(ctx), builds).await?;
        Ok(SubmitBuildsPayload {
            builds: builds.into_iter().map(Build).collect(),
        })
    }
}

#[derive(SimpleObject)]
struct SubmitBuildsPayload {
    /// The builds as stored, one per distinct build, in the order first submitted.
    builds: Vec<Build>,
}
