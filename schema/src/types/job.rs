//! `Job`: a job of any kind, its attributes and its dependency edges. The struct is in
//! `nodes.rs`, beside the objects it points at; its fields are here.

use super::JobConnection;
use async_graphql::{Context, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};

use async_graphql::connection::Connection;

use super::classification::Classification;
use super::failure_line::FailureLine;
use super::test_objects::{Artifact, JobLog, TestResult};
use super::time::to_datetime;
use super::{
    CriticalPath, DependencyKind, Job, JobKind, JobResult, JobState, KeyCursor, Push, Repository,
    TestStatus, Walk, connection, critical_path, page_request, walk,
};
use crate::ApiError;
use crate::loaders::{
    ArtifactsOfJob, ClassificationOfJob, ClassificationsOfJob, DanglingOfJob, DependenciesOfJob,
    DependentsOfJob, FailureLinesOfJob, LogsOfJob, PushById, RepositoryById, RevisionOfPush, load,
};

/// One end of a dependency edge, seen from the other.
pub(crate) struct Dependency(treeherd_store::Dependency);

#[Object]
impl Dependency {
    async fn kind(&self) -> DependencyKind {
        self.0.kind.into()
    }

    async fn job(&self) -> Job {
        Job(self.0.job.clone())
    }
}

/// An edge whose dependency has not arrived yet: it binds when a job with `guid` arrives.
#[derive(SimpleObject)]
pub(crate) struct DanglingDependency {
    kind: DependencyKind,
    guid: String,
}

fn kept(kinds: &Option<Vec<DependencyKind>>, kind: treeherd_model::DependencyKind) -> bool {
    kinds.as_ref().is_none_or(|kinds| {
        kinds
            .iter()
            .any(|k| treeherd_model::DependencyKind::from(*k) == kind)
    })
}

#[Object]
impl Job {
    /// Its global id (`Node`): opaque and stable.
    pub(crate) async fn id(&self) -> async_graphql::ID {
        super::global_id::encode("Job", self.0.id.0)
    }

    /// What was decided about this job now; null when nobody (and no autoclassifier) has
    /// classified it.
    async fn classification(&self, ctx: &Context<'_>) -> Result<Option<Classification>, ApiError> {
        Ok(load(ctx, ClassificationOfJob(self.0.id))
            .await?
            .map(Classification))
    }

    /// Every decision about this job, newest first.
    async fn classification_history(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<Classification>, ApiError> {
        let history = load(ctx, ClassificationsOfJob(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(history
            .into_iter()
            .rev()
            .filter(|c| c.is_whole_job())
            .map(Classification)
            .collect())
    }

    /// The failure lines of its logs (each log's error summary), in log then line order,
    /// each with the newest decision about it.
    async fn failure_lines(&self, ctx: &Context<'_>) -> Result<Vec<FailureLine>, ApiError> {
        let lines = load(ctx, FailureLinesOfJob(self.0.id))
            .await?
            .unwrap_or_default();
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let history = load(ctx, ClassificationsOfJob(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(lines
            .into_iter()
            .map(|line| {
                let key = Some((line.log_id, line.position));
                // The newest decision on the line itself or on the whole job.
                let classification = history
                    .iter()
                    .rev()
                    .find(|c| c.line == key || c.is_whole_job())
                    .cloned();
                FailureLine {
                    line,
                    classification,
                }
            })
            .collect())
    }

    /// The caller-given unique id.
    async fn guid(&self) -> &str {
        &self.0.guid
    }

    async fn kind(&self) -> JobKind {
        self.0.kind.into()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn symbol(&self) -> Option<&str> {
        self.0.symbol.as_deref()
    }

    async fn group_symbol(&self) -> Option<&str> {
        self.0.group_symbol.as_deref()
    }

    async fn group_name(&self) -> Option<&str> {
        self.0.group_name.as_deref()
    }

    async fn platform(&self) -> Option<&str> {
        self.0.platform.as_deref()
    }

    async fn build_system(&self) -> Option<&str> {
        self.0.build_system.as_deref()
    }

    async fn state(&self) -> JobState {
        self.0.state.into()
    }

    async fn result(&self) -> JobResult {
        self.0.result.into()
    }

    /// 1 (shown by default) to 3 (hidden by default).
    async fn tier(&self) -> i32 {
        self.0.tier
    }

    /// The name of the machine the job ran on.
    async fn machine(&self) -> Option<&str> {
        self.0.machine.as_deref()
    }

    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at.map(to_datetime)
    }

    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at.map(to_datetime)
    }

    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at.map(to_datetime)
    }

    /// Every free-form attribute, as submitted.
    async fn attributes(
        &self,
    ) -> Result<Json<serde_json::Map<String, serde_json::Value>>, ApiError> {
        self.0
            .attributes()
            .map(Json)
            .map_err(|e| ApiError::Internal(format!("stored attributes of {}: {e}", self.0.guid)))
    }

    /// The revision of the push the job was submitted for; none for jobs of no push.
    async fn revision(&self, ctx: &Context<'_>) -> Result<Option<String>, ApiError> {
        let Some(id) = self.0.push_row_id else {
            return Ok(None);
        };
        load(ctx, RevisionOfPush(id)).await
    }

    /// The push the job belongs to; none for jobs that hang off no push (scheduled jobs), and
    /// none yet when the pushlog has not brought the job's revision.
    async fn push(&self, ctx: &Context<'_>) -> Result<Option<Push>, ApiError> {
        let Some(id) = self.0.push_row_id else {
            return Ok(None);
        };
        Ok(load(ctx, PushById(id)).await?.map(Push))
    }

    async fn repository(&self, ctx: &Context<'_>) -> Result<Repository, ApiError> {
        load(ctx, RepositoryById(self.0.repository_id))
            .await?
            .map(Repository)
            .ok_or_else(|| ApiError::Internal("job without repository".into()))
    }

    /// The jobs this job waits on (that have arrived), optionally of some kinds only.
    async fn dependencies(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<DependencyKind>>,
    ) -> Result<Vec<Dependency>, ApiError> {
        let all = load(ctx, DependenciesOfJob(self.0.id)).await?;
        Ok(all
            .unwrap_or_default()
            .into_iter()
            .filter(|d| kept(&kinds, d.kind))
            .map(Dependency)
            .collect())
    }

    /// The jobs that wait on this job, optionally of some kinds only.
    async fn dependents(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<DependencyKind>>,
    ) -> Result<Vec<Dependency>, ApiError> {
        let all = load(ctx, DependentsOfJob(self.0.id)).await?;
        Ok(all
            .unwrap_or_default()
            .into_iter()
            .filter(|d| kept(&kinds, d.kind))
            .map(Dependency)
            .collect())
    }

    /// The l10n repacks of this (English) build: jobs that depend on it over L10N_REPACK
    /// edges, including one-off repacks from later pushes; only those of `locales` (their
    /// `locale` attribute) when given. By locale, then newest first.
    async fn repacks(
        &self,
        ctx: &Context<'_>,
        locales: Option<Vec<String>>,
    ) -> Result<Vec<Job>, ApiError> {
        let all = load(ctx, DependentsOfJob(self.0.id)).await?;
        let mut repacks: Vec<(String, treeherd_store::Job)> = Vec::new();
        for dependent in all.unwrap_or_default() {
            if dependent.kind != treeherd_model::DependencyKind::L10nRepack {
                continue;
            }
            let locale = dependent
                .job
                .attributes()
                .map_err(|e| ApiError::Internal(format!("stored attributes: {e}")))?
                .get("locale")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            if locales
                .as_ref()
                .is_none_or(|wanted| wanted.contains(&locale))
            {
                repacks.push((locale, dependent.job));
            }
        }
        repacks.sort_by(|(a, x), (b, y)| a.cmp(b).then(y.id.cmp(&x.id)));
        Ok(repacks.into_iter().map(|(_, job)| Job(job)).collect())
    }

    /// Everything this job transitively depends on, nearest first.
    #[graphql(complexity = "crate::limits::walk_complexity(first, child_complexity)")]
    async fn ancestors(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<DependencyKind>>,
        max_depth: Option<i32>,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        walk(
            ctx,
            self.0.id,
            Walk::Ancestors,
            kinds,
            max_depth,
            first,
            after,
        )
        .await
    }

    /// Everything that transitively depends on this job, nearest first.
    #[graphql(complexity = "crate::limits::walk_complexity(first, child_complexity)")]
    async fn descendants(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<DependencyKind>>,
        max_depth: Option<i32>,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        walk(
            ctx,
            self.0.id,
            Walk::Descendants,
            kinds,
            max_depth,
            first,
            after,
        )
        .await
    }

    /// The unfinished or failed ancestors that stand between this job and running: the
    /// frontier between done and not done (a failed job, a running job, a pending job whose
    /// own dependencies all succeeded), not the whole ancestry.
    #[graphql(complexity = "crate::limits::walk_complexity(first, child_complexity)")]
    async fn blockers(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<DependencyKind>>,
        max_depth: Option<i32>,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        walk(
            ctx,
            self.0.id,
            Walk::Blockers,
            kinds,
            max_depth,
            first,
            after,
        )
        .await
    }

    /// The descendants that cannot run if this job fails (those not yet completed).
    #[graphql(complexity = "crate::limits::walk_complexity(first, child_complexity)")]
    async fn impact(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<DependencyKind>>,
        max_depth: Option<i32>,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        walk(ctx, self.0.id, Walk::Impact, kinds, max_depth, first, after).await
    }

    /// The chain of ancestors ending at this job with the longest total duration.
    #[graphql(complexity = "crate::limits::WALK_COST + child_complexity")]
    async fn critical_path(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<DependencyKind>>,
    ) -> Result<CriticalPath, ApiError> {
        critical_path(ctx, self.0.id, kinds).await
    }

    /// The job's logs (pointers to fetch and parse), with what parsing them found.
    async fn logs(&self, ctx: &Context<'_>) -> Result<Vec<JobLog>, ApiError> {
        let logs = load(ctx, LogsOfJob(self.0.id)).await?;
        Ok(logs.unwrap_or_default().into_iter().map(JobLog).collect())
    }

    /// The job's results dictionary (raw and parsed logs, screenshots, recordings,
    /// binaries), without those of its test results.
    async fn artifacts(&self, ctx: &Context<'_>) -> Result<Vec<Artifact>, ApiError> {
        let artifacts = load(ctx, ArtifactsOfJob(self.0.id)).await?;
        Ok(artifacts
            .unwrap_or_default()
            .into_iter()
            .map(Artifact::from)
            .collect())
    }

    /// The job's test results in the order they were recorded, optionally of one status.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn test_results(
        &self,
        ctx: &Context<'_>,
        status: Option<TestStatus>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, TestResult>, ApiError> {
        let request = page_request(first, after)?;
        let page = ctx
            .data::<treeherd_store::Store>()?
            .test_results_of(self.0.id, status.map(Into::into), request)
            .await?;
        Ok(connection(
            page,
            request.after.is_some(),
            |r| r.id,
            TestResult,
        ))
    }

    /// Edges to guids that have not arrived yet.
    async fn dangling_dependencies(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<DanglingDependency>, ApiError> {
        let all = load(ctx, DanglingOfJob(self.0.id)).await?;
        Ok(all
            .unwrap_or_default()
            .into_iter()
            .map(|d| DanglingDependency {
                kind: d.kind.into(),
                guid: d.guid,
            })
            .collect())
    }
}
