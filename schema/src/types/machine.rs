//! `Machine`: a machine of a build system, what it is doing, its history and its jobs, and the
//! flakiness signal that compares it with its platform.

use super::{JobConnection, JobNode};
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use treeherd_store::Store;

use super::time::to_datetime;
use super::{Job, MachineState, connection, page_request};
use crate::ApiError;

pub(crate) struct Machine(pub treeherd_store::Machine);

#[Object]
impl Machine {
    /// Its global id (`Node`): opaque and stable.
    pub(crate) async fn id(&self) -> async_graphql::ID {
        super::global_id::encode("Machine", self.0.id)
    }

    async fn build_system(&self) -> &str {
        &self.0.build_system
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn platform(&self) -> Option<&str> {
        self.0.platform.as_deref()
    }

    async fn os(&self) -> Option<&str> {
        self.0.os.as_deref()
    }

    async fn architecture(&self) -> Option<&str> {
        self.0.architecture.as_deref()
    }

    /// What it is doing now (a quarantine that ended reads as what its jobs say).
    async fn state(&self) -> MachineState {
        self.0.state.into()
    }

    /// Why it is OFFLINE or QUARANTINED, when set by hand.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// Until when it stays OFFLINE or QUARANTINED.
    async fn until(&self) -> Option<DateTime<Utc>> {
        self.0.until.map(to_datetime)
    }

    /// When a job last named it.
    async fn last_seen_at(&self) -> DateTime<Utc> {
        to_datetime(self.0.last_seen_at)
    }

    /// The job it is running.
    async fn current_job(&self, ctx: &Context<'_>) -> Result<Option<Job>, ApiError> {
        Job::by_id(ctx, self.0.current_job_id.map(treeherd_store::JobId)).await
    }

    /// Its state changes, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<MachineEvent>, ApiError> {
        let mut history = ctx
            .data::<Store>()?
            .machine_history(vec![self.0.id])
            .await?;
        Ok(history
            .remove(&self.0.id)
            .unwrap_or_default()
            .into_iter()
            .map(|e| MachineEvent {
                at: to_datetime(e.at),
                state: e.state.into(),
                job_id: e.job_id,
                reason: e.reason,
            })
            .collect())
    }

    /// The jobs that ran on it, newest first.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        let request = page_request(first, after)?;
        let page = ctx
            .data::<Store>()?
            .machine_jobs(self.0.build_system.clone(), self.0.name.clone(), request)
            .await?;
        Ok(JobConnection::from(connection(
            page,
            request.after.is_some(),
            |j| j.id.0,
            JobNode::of,
        )))
    }
}

/// A change of a machine's state.
#[derive(SimpleObject)]
#[graphql(complex)]
pub(crate) struct MachineEvent {
    at: DateTime<Utc>,
    state: MachineState,
    reason: Option<String>,
    #[graphql(skip)]
    job_id: Option<i64>,
}

#[async_graphql::ComplexObject]
impl MachineEvent {
    /// The job that moved it, if a job did.
    async fn job(&self, ctx: &Context<'_>) -> Result<Option<Job>, ApiError> {
        Job::by_id(ctx, self.job_id.map(treeherd_store::JobId)).await
    }
}

/// How a machine's completed jobs fared beside every machine of its platform, over a window.
pub(crate) struct MachineFlakiness(pub treeherd_store::MachineFlakiness);

#[Object]
impl MachineFlakiness {
    async fn build_system(&self) -> &str {
        &self.0.build_system
    }

    /// The machine's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn platform(&self) -> &str {
        &self.0.platform
    }

    /// Its completed jobs in the window (retried and superseded runs left out).
    async fn jobs(&self) -> i64 {
        self.0.jobs
    }

    /// Of those, how many failed (TESTFAILED, BUSTED, EXCEPTION, USERCANCEL).
    async fn failed(&self) -> i64 {
        self.0.failed
    }

    async fn failure_rate(&self) -> f64 {
        self.0.failure_rate()
    }

    async fn platform_jobs(&self) -> i64 {
        self.0.platform_jobs
    }

    async fn platform_failure_rate(&self) -> f64 {
        self.0.platform_failure_rate()
    }

    /// Enough jobs, and a failure share at least twice its platform's and 10 points above.
    async fn flagged(&self) -> bool {
        self.0.flagged
    }
}
