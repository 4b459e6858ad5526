//! `Push`: one push to a repository, its commits, its jobs and their status. The struct is
//! in `nodes.rs`, beside the objects it points at; its fields are here.

use super::{JobConnection, JobNode};
use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use treeherd_model::{JobResult as Result_, JobState as State};
use treeherd_store::{Direction, JobFilter, JobScope, PushId, Store};

use super::time::to_datetime;
use super::{JobFilterInput, Push, Repository, connection, page_request};
use crate::ApiError;
use crate::loaders::{CommitsOfPush, RepositoryById, StatusOfPush, UnclassifiedOfPush, load};

#[derive(SimpleObject)]
pub(crate) struct Commit {
    revision: String,
    author: String,
    message: String,
    /// hg's named branch (git commits have none).
    branch: Option<String>,
    tags: Vec<String>,
    /// Files the commit touched, when the source said.
    files: Vec<String>,
    /// Parent revisions, first parent first.
    parents: Vec<String>,
}

/// How many of a push's jobs are where, like Treeherder's push status: one count per state
/// while not completed, and one per result once completed.
#[derive(SimpleObject, Default)]
#[graphql(complex)]
pub(crate) struct PushStatus {
    #[graphql(skip)]
    push: Option<PushId>,
    total: i64,
    unscheduled: i64,
    pending: i64,
    running: i64,
    completed: i64,
    success: i64,
    testfailed: i64,
    busted: i64,
    exception: i64,
    retry: i64,
    usercancel: i64,
    superseded: i64,
    unknown: i64,
}

impl PushStatus {
    fn count(&mut self, state: State, result: Result_, n: i64) {
        self.total += n;
        match state {
            State::Unscheduled => self.unscheduled += n,
            State::Pending => self.pending += n,
            State::Running => self.running += n,
            State::Completed => {
                self.completed += n;
                match result {
                    Result_::Success => self.success += n,
                    Result_::TestFailed => self.testfailed += n,
                    Result_::Busted => self.busted += n,
                    Result_::Exception => self.exception += n,
                    Result_::Retry => self.retry += n,
                    Result_::UserCancel => self.usercancel += n,
                    Result_::Superseded => self.superseded += n,
                    Result_::Unknown => self.unknown += n,
                }
            }
        }
    }
}

#[ComplexObject]
impl PushStatus {
    /// Failed jobs (TESTFAILED, BUSTED, EXCEPTION) nobody has classified yet.
    async fn unclassified_failures(&self, ctx: &Context<'_>) -> Result<i64, ApiError> {
        let Some(push) = self.push else { return Ok(0) };
        Ok(load(ctx, UnclassifiedOfPush(push)).await?.unwrap_or(0))
    }
}

#[Object]
impl Push {
    /// Its global id (`Node`): opaque and stable.
    pub(crate) async fn id(&self) -> async_graphql::ID {
        super::global_id::encode("Push", self.0.id.0)
    }

    /// The push's number in its repository's pushlog.
    async fn push_id(&self) -> i64 {
        self.0.push_id
    }

    /// The revision of the push's last commit.
    async fn revision(&self) -> &str {
        &self.0.revision
    }

    async fn author(&self) -> &str {
        &self.0.author
    }

    async fn pushed_at(&self) -> DateTime<Utc> {
        to_datetime(self.0.pushed_at)
    }

    /// The commits the push brought, in order.
    async fn commits(&self, ctx: &Context<'_>) -> Result<Vec<Commit>, ApiError> {
        let commits = load(ctx, CommitsOfPush(self.0.id)).await?;
        Ok(commits
            .unwrap_or_default()
            .into_iter()
            .map(|c| Commit {
                revision: c.revision.into_string(),
                author: c.author,
                message: c.message,
                branch: c.branch,
                tags: c.tags,
                files: c.files,
                parents: c.parents.into_iter().map(|p| p.into_string()).collect(),
            })
            .collect())
    }

    /// Job counts by state and result.
    async fn status(&self, ctx: &Context<'_>) -> Result<PushStatus, ApiError> {
        let counts = load(ctx, StatusOfPush(self.0.id)).await?;
        let mut status = PushStatus {
            push: Some(self.0.id),
            ..PushStatus::default()
        };
        for count in counts.unwrap_or_default() {
            status.count(count.state, count.result, count.count);
        }
        Ok(status)
    }

    /// The push before this one in the pushlog.
    async fn previous(&self, ctx: &Context<'_>) -> Result<Option<Push>, ApiError> {
        self.adjacent(ctx, Direction::Older).await
    }

    /// The push after this one in the pushlog.
    async fn next(&self, ctx: &Context<'_>) -> Result<Option<Push>, ApiError> {
        self.adjacent(ctx, Direction::Newer).await
    }

    async fn repository(&self, ctx: &Context<'_>) -> Result<Repository, ApiError> {
        load(ctx, RepositoryById(self.0.repository_id))
            .await?
            .map(Repository)
            .ok_or_else(|| ApiError::Internal("push without repository".into()))
    }

    /// The push's jobs, newest first.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
        filter: Option<JobFilterInput>,
    ) -> Result<JobConnection, ApiError> {
        let request = page_request(first, after)?;
        let store = ctx.data::<Store>()?;
        let filter = match filter {
            Some(filter) => filter.into_store(store).await?,
            None => JobFilter::default(),
        };
        let page = store
            .jobs(JobScope::Push(self.0.id), filter, request)
            .await?;
        JobConnection::from(connection(
            page,
            request.after.is_some(),
            |j| j.id.0,
            JobNode::of,
        ))
        .with_classifications(ctx)
        .await
    }
}

impl Push {
    async fn adjacent(
        &self,
        ctx: &Context<'_>,
        direction: Direction,
    ) -> Result<Option<Push>, ApiError> {
        Ok(ctx
            .data::<Store>()?
            .adjacent_push(self.0.repository_id, self.0.push_id, direction)
            .await?
            .map(Push))
    }
}
