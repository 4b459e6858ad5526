//! `Push`: one push to a repository, its commits and its jobs.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use treeherd_store::{JobScope, Store};

use super::time::to_datetime;
use super::{Job, JobFilterInput, KeyCursor, Repository, connection, page_request};
use crate::ApiError;
use crate::loaders::{CommitsOfPush, Loaders, RepositoryById};

pub(crate) struct Push(pub treeherd_store::Push);

#[derive(SimpleObject)]
pub(crate) struct Commit {
    revision: String,
    author: String,
    message: String,
}

#[Object]
impl Push {
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
        let commits = ctx
            .data::<Loaders>()?
            .0
            .load_one(CommitsOfPush(self.0.id))
            .await?;
        Ok(commits
            .unwrap_or_default()
            .into_iter()
            .map(|c| Commit {
                revision: c.revision,
                author: c.author,
                message: c.message,
            })
            .collect())
    }

    async fn repository(&self, ctx: &Context<'_>) -> Result<Repository, ApiError> {
        ctx.data::<Loaders>()?
            .0
            .load_one(RepositoryById(self.0.repository_id))
            .await?
            .map(Repository)
            .ok_or_else(|| ApiError::Internal("push without repository".into()))
    }

    /// The push's jobs, newest first.
    #[graphql(complexity = "(first.clamp(0, 1000) as usize) * child_complexity + 1")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
        filter: Option<JobFilterInput>,
    ) -> Result<Connection<KeyCursor, Job>, ApiError> {
        let request = page_request(first, after)?;
        let filter = filter.map(JobFilterInput::into_store).unwrap_or_default();
        let page = ctx
            .data::<Store>()?
            .jobs(JobScope::Push(self.0.id), filter, request)
            .await?;
        Ok(connection(page, request.after.is_some(), |j| j.id, Job))
    }
}
