//! `Release` (a release job fanning in over its gates, with a derived status and a locale
//! matrix), `ScheduledJob`, and the input a release is created with.

use super::{JobConnection, JobNode};
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use treeherd_service::ServiceError;
use treeherd_service::Submitted;
use treeherd_store::Store;

use super::time::to_datetime;
use super::{
    Job, JobResult, JobState, Push, ReleaseStatus, Repository, Walk, connection, page_request, walk,
};
use crate::ApiError;
use crate::loaders::{JobById, PushById, RepositoryById, load};

pub(crate) struct Release(pub treeherd_store::Release);

#[Object]
impl Release {
    /// Its global id (`Node`): opaque and stable.
    pub(crate) async fn id(&self) -> async_graphql::ID {
        super::global_id::encode("Release", self.0.id)
    }

    async fn product(&self) -> &str {
        &self.0.product
    }

    async fn version(&self) -> &str {
        &self.0.version
    }

    async fn build_number(&self) -> i32 {
        self.0.build_number
    }

    async fn channel(&self) -> &str {
        &self.0.channel
    }

    async fn revision(&self) -> &str {
        &self.0.revision
    }

    /// The locales it ships.
    async fn locales(&self) -> &[String] {
        &self.0.locales
    }

    async fn created_at(&self) -> DateTime<Utc> {
        to_datetime(self.0.created_at)
    }

    async fn repository(&self, ctx: &Context<'_>) -> Result<Option<Repository>, ApiError> {
        Ok(load(ctx, RepositoryById(self.0.repository_id))
            .await?
            .map(Repository))
    }

    /// The release job: its RELEASE edges fan in over the gates.
    async fn job(&self, ctx: &Context<'_>) -> Result<Option<Job>, ApiError> {
        Job::by_id(ctx, Some(self.0.job_id)).await
    }

    /// The push the release is built from.
    async fn push(&self, ctx: &Context<'_>) -> Result<Option<Push>, ApiError> {
        let Some(job) = load(ctx, JobById(self.0.job_id)).await? else {
            return Ok(None);
        };
        let Some(row) = job.push_row_id else {
            return Ok(None);
        };
        Ok(load(ctx, PushById(row)).await?.map(Push))
    }

    /// WAITING, RUNNING, BLOCKED (something it waits for failed), FAILED or SHIPPED.
    async fn status(&self, ctx: &Context<'_>) -> Result<ReleaseStatus, ApiError> {
        Ok(ctx
            .data::<Store>()?
            .release_status(self.0.job_id)
            .await?
            .into())
    }

    /// The jobs the release job waits for directly, that have arrived.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn gates(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        let request = page_request(first, after)?;
        let page = ctx.data::<Store>()?.gates(self.0.job_id, request).await?;
        Ok(JobConnection::from(connection(
            page,
            request.after.is_some(),
            |j| j.id.0,
            JobNode::of,
        )))
    }

    /// What stands in its way (from the dependency graph): the nearest jobs it waits for,
    /// transitively, that have not succeeded.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn blockers(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        walk(ctx, self.0.job_id, Walk::Blockers, None, None, first, after).await
    }

    /// Its l10n repacks by locale and platform; a cell without a job is a missing repack.
    async fn locale_matrix(&self, ctx: &Context<'_>) -> Result<LocaleMatrix, ApiError> {
        let matrix = ctx.data::<Store>()?.locale_matrix(self.0.clone()).await?;
        Ok(LocaleMatrix {
            locales: matrix.locales,
            platforms: matrix.platforms,
            cells: matrix
                .cells
                .into_iter()
                .map(|cell| LocaleCell {
                    locale: cell.locale,
                    platform: cell.platform,
                    state: cell.job.as_ref().map(|j| j.state.into()),
                    result: cell.job.as_ref().map(|j| j.result.into()),
                    missing: cell.job.is_none(),
                    job: cell.job.map(Job),
                })
                .collect(),
        })
    }
}

/// Locales × platforms of a release's repacks.
#[derive(SimpleObject)]
pub(crate) struct LocaleMatrix {
    /// The locales it ships, and any other it has repacks of, sorted.
    locales: Vec<String>,
    /// The platforms of the English builds and repacks it waits for, sorted.
    platforms: Vec<String>,
    /// Every locale × platform, row by row.
    cells: Vec<LocaleCell>,
}

/// The repack of a locale on a platform.
#[derive(SimpleObject)]
pub(crate) struct LocaleCell {
    locale: String,
    platform: String,
    /// No repack of this locale on this platform waits in the release.
    missing: bool,
    state: Option<JobState>,
    result: Option<JobResult>,
    job: Option<Job>,
}

/// A release as created.
#[derive(InputObject)]
pub(crate) struct ReleaseInput {
    pub product: String,
    pub version: String,
    pub build_number: i32,
    pub channel: String,
    pub repository: String,
    /// The revision it is built from (40 hex digits).
    pub revision: String,
    /// The release job's guid (default `release-{product}-{version}-build{n}`).
    pub guid: Option<String>,
    /// Guids of the jobs it waits for (they need not have arrived yet).
    pub gates: Vec<String>,
    /// The locales it ships.
    #[graphql(default)]
    pub locales: Vec<String>,
}

impl Submitted<treeherd_store::NewRelease> for ReleaseInput {
    fn repository(&self) -> Option<&str> {
        Some(&self.repository)
    }

    fn convert(self, _: usize) -> Result<treeherd_store::NewRelease, ServiceError> {
        let input = self;
        Ok(treeherd_store::NewRelease {
            revision: input
                .revision
                .parse()
                .map_err(|e| ServiceError::bad_input("revision", format!("revision: {e}")))?,
            product: input.product,
            version: input.version,
            build_number: input.build_number,
            channel: input.channel,
            repository: input.repository,
            guid: input.guid,
            gates: input.gates,
            locales: input.locales,
        })
    }
}

/// A scheduled job by name.
pub(crate) struct ScheduledJob(pub treeherd_store::ScheduledJob);

#[Object]
impl ScheduledJob {
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// How often it is declared to run, in seconds (none: undeclared).
    async fn interval_seconds(&self) -> Option<i64> {
        self.0.interval_us.map(|us| us / 1_000_000)
    }

    async fn last_run(&self) -> Option<Job> {
        self.0.last_run.clone().map(Job)
    }

    async fn last_success(&self) -> Option<Job> {
        self.0.last_success.clone().map(Job)
    }

    async fn last_failure(&self) -> Option<Job> {
        self.0.last_failure.clone().map(Job)
    }

    /// The state of its last run.
    async fn state(&self) -> Option<JobState> {
        self.0.last_run.as_ref().map(|j| j.state.into())
    }

    /// When the next run should have started.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at.map(to_datetime)
    }

    /// Declared, and no run started by its due time (or none ever ran).
    async fn overdue(&self) -> bool {
        self.0.overdue
    }
}
