//! `Query`: the read entry points. Open to everyone.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object};
use treeherd_store::{JobScope, Store};

use crate::ApiError;
use crate::types::{Job, JobFilterInput, KeyCursor, Push, Repository, connection, page_request};

pub struct Query;

#[Object]
impl Query {
    /// Every repository, by name.
    async fn repositories(&self, ctx: &Context<'_>) -> Result<Vec<Repository>, ApiError> {
        let repositories = ctx.data::<Store>()?.repositories().await?;
        Ok(repositories.into_iter().map(Repository).collect())
    }

    async fn repository(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> Result<Option<Repository>, ApiError> {
        Ok(ctx.data::<Store>()?.repository(name).await?.map(Repository))
    }

    /// The push of `repository` that holds `revision` (its own or one of its commits').
    async fn push(
        &self,
        ctx: &Context<'_>,
        repository: String,
        revision: String,
    ) -> Result<Option<Push>, ApiError> {
        if revision.len() != 40 || !revision.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::BadUserInput(format!(
                "{revision:?} is not a revision (expected 40 hexadecimal digits)"
            )));
        }
        let push = ctx
            .data::<Store>()?
            .push_by_revision(repository, revision)
            .await?;
        Ok(push.map(Push))
    }

    async fn job(&self, ctx: &Context<'_>, guid: String) -> Result<Option<Job>, ApiError> {
        Ok(ctx.data::<Store>()?.job(guid).await?.map(Job))
    }

    /// Jobs of a repository, newest first.
    #[graphql(complexity = "(first.clamp(0, 1000) as usize) * child_complexity + 1")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        repository: String,
        filter: Option<JobFilterInput>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, Job>, ApiError> {
        let request = page_request(first, after)?;
        let store = ctx.data::<Store>()?;
        let repository = store.existing_repository(repository).await?;
        let filter = filter.map(JobFilterInput::into_store).unwrap_or_default();
        let page = store
            .jobs(JobScope::Repository(repository.id), filter, request)
            .await?;
        Ok(connection(page, request.after.is_some(), |j| j.id, Job))
    }
}
