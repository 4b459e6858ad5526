//! `Mutation`: the write entry points. Each needs a token scope (see [`crate::Caller`]) and
//! is one transaction: all or nothing.

use async_graphql::{Context, Object, SimpleObject};
use treeherd_model::PushRecord;
use treeherd_store::{NewDependency, Store};

use crate::events::{JobEvent, JobEvents, MachineEvent, MachineEvents, PushEvents};
use crate::ingest::IgnoredJob;
use crate::types::{
    ArtifactInput, AttachArtifactsPayload, DependencyInput, Job, JobInput, Machine, MachineState,
    Push, PushInput, Release, ReleaseInput, Repository, RepositoryInput, TestResult,
    TestResultInput, to_micros,
};
use crate::types::{Build, BuildInput};
use crate::{ApiError, Caller};

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
    rejected: Vec<crate::ingest::RejectedMessage>,
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

/// Refuses a caller who may not write to the repository of job `guid` (or when there is no
/// such job).
async fn require_write_to_job(ctx: &Context<'_>, guid: &str) -> Result<(), ApiError> {
    let repositories = ctx
        .data::<Store>()?
        .job_repositories(vec![guid.to_owned()])
        .await?;
    let repository = repositories
        .get(guid)
        .ok_or_else(|| ApiError::NotFound(format!("no job {guid:?}")))?;
    caller(ctx).require_write(repository)
}

#[Object]
impl Mutation {
    /// Creates a repository. Needs the `admin` scope.
    async fn create_repository(
        &self,
        ctx: &Context<'_>,
        input: RepositoryInput,
    ) -> Result<Repository, ApiError> {
        caller(ctx).require_admin()?;
        let repository = ctx.data::<Store>()?.create_repository(input.into()).await?;
        Ok(Repository(repository))
    }

    /// Stores a push and its commits (idempotent on the revision). Needs `write:<repository>`.
    async fn submit_push(&self, ctx: &Context<'_>, input: PushInput) -> Result<Push, ApiError> {
        caller(ctx).require_write(&input.repository)?;
        let repository = input.repository.clone();
        let record = PushRecord::try_from(input)?;
        let stored = crate::pushlog::store_pushes(
            ctx.data::<Store>()?,
            ctx.data::<PushEvents>()?,
            repository,
            vec![record],
        )
        .await?;
        stored
            .into_iter()
            .next()
            .map(Push)
            .ok_or_else(|| ApiError::Internal("a stored push vanished".into()))
    }

    /// Upserts jobs by guid, all in one transaction. Needs `write:<repository>` for each.
    async fn submit_jobs(
        &self,
        ctx: &Context<'_>,
        input: Vec<JobInput>,
    ) -> Result<SubmitJobsPayload, ApiError> {
        let caller = caller(ctx);
        for job in &input {
            caller.require_write(&job.repository)?;
        }
        let jobs = input
            .into_iter()
            .enumerate()
            .map(|(i, job)| job.into_store(i))
            .collect::<Result<Vec<_>, _>>()?;
        let names: std::collections::HashMap<String, String> = jobs
            .iter()
            .map(|j| (j.guid.clone(), j.repository.clone()))
            .collect();
        let written = ctx.data::<Store>()?.ingest_jobs(jobs, Vec::new()).await?;
        let stored = written.jobs;
        let events = ctx.data::<JobEvents>()?;
        for job in &stored {
            if let Some(repository) = names.get(&job.guid) {
                events.publish(JobEvent {
                    repository: repository.clone(),
                    job: job.clone(),
                });
            }
        }
        Ok(SubmitJobsPayload {
            jobs: stored.into_iter().map(Job).collect(),
            ignored: written
                .ignored
                .into_iter()
                .map(|i| IgnoredJob::from_store(i, |at| at))
                .collect(),
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
        if results.len() > crate::MAX_TEST_RESULTS {
            return Err(ApiError::BadUserInput(format!(
                "at most {} test results per call, not {}",
                crate::MAX_TEST_RESULTS,
                results.len()
            )));
        }
        let results = results
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<_>, _>>()?;
        require_write_to_job(ctx, &job).await?;
        let stored = ctx
            .data::<Store>()?
            .submit_test_results(job, results)
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
        if subtest.is_some() && test.is_none() {
            return Err(ApiError::BadUserInput(
                "a subtest needs its test".to_owned(),
            ));
        }
        let artifacts = artifacts
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<_>, _>>()?;
        require_write_to_job(ctx, &job).await?;
        let attached = ctx
            .data::<Store>()?
            .attach_artifacts(job, test.map(|t| (t, subtest)), artifacts)
            .await?;
        Ok(AttachArtifactsPayload {
            attached: i32::try_from(attached).unwrap_or(i32::MAX),
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
        caller(ctx).require_admin()?;
        let machine = ctx
            .data::<Store>()?
            .set_machine_state(
                build_system,
                name,
                state.into(),
                reason,
                until.map(to_micros),
                chrono::Utc::now().timestamp_micros(),
            )
            .await?;
        ctx.data::<MachineEvents>()?.publish(MachineEvent {
            machine: machine.clone(),
        });
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
        caller(ctx).require_write(&repository)?;
        let interval = treeherd_model::duration::parse(&every)
            .map_err(|e| ApiError::BadUserInput(format!("every: {e}")))?;
        let micros = i64::try_from(interval.as_micros()).unwrap_or(i64::MAX);
        ctx.data::<Store>()?
            .declare_schedule(repository, name, micros)
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
        caller(ctx).require_write(&input.repository)?;
        let release = ctx
            .data::<Store>()?
            .create_release(input.try_into()?)
            .await?;
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
        let outcome = crate::ingest::ingest_pulse(
            ctx.data::<Store>()?,
            ctx.data::<JobEvents>()?,
            caller(ctx),
            &messages,
        )
        .await?;
        Ok(IngestPayload {
            jobs: outcome.jobs.into_iter().map(Job).collect(),
            rejected: outcome.rejected,
            marked: i32::try_from(outcome.marked).unwrap_or(i32::MAX),
            ignored: outcome.ignored,
        })
    }

    /// Adds typed edges (dependent waits on dependency), all in one transaction. Each
    /// dependent must be a stored job; needs `write:<its repository>`.
    async fn add_dependencies(
        &self,
        ctx: &Context<'_>,
        input: Vec<DependencyInput>,
    ) -> Result<AddDependenciesPayload, ApiError> {
        let store = ctx.data::<Store>()?;
        let caller = caller(ctx);
        // A job never changes repository, so checking before the write is as good as during.
        caller.require_authenticated()?;
        let mut dependents: Vec<String> = input.iter().map(|d| d.dependent.clone()).collect();
        dependents.sort_unstable();
        dependents.dedup();
        let repositories = store.job_repositories(dependents).await?;
        for repository in repositories.values() {
            caller.require_write(repository)?;
        }
        let edges: Vec<NewDependency> = input.into_iter().map(Into::into).collect();
        let added = store.add_dependencies(edges).await?;
        Ok(AddDependenciesPayload {
            added: i32::try_from(added).unwrap_or(i32::MAX),
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
        let builds = crate::types::build::submit_builds(ctx, caller(ctx), builds).await?;
        Ok(SubmitBuildsPayload { builds })
    }
}

#[derive(SimpleObject)]
struct SubmitBuildsPayload {
    /// The builds as stored, one per distinct build, in the order first submitted.
    builds: Vec<Build>,
}
