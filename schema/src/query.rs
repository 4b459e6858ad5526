//! `Query`: the read entry points. Open to everyone.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object};
use treeherd_store::{JobScope, Store};

use crate::ApiError;
use crate::types::{
    DependencyGraph, DependencyKind, GraphDirection, Job, JobFilterInput, KeyCursor, Push,
    Repository, connection, dependency_graph, dependency_path, page_request, ready_jobs,
};

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

    /// The push of `repository` that holds `revision` as its own or one of its commits':
    /// a full revision, or a prefix of at least 12 hex digits that names one push.
    async fn push(
        &self,
        ctx: &Context<'_>,
        repository: String,
        revision: String,
    ) -> Result<Option<Push>, ApiError> {
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

    /// Pending jobs of a repository whose dependencies have all arrived and succeeded, newest
    /// first.
    #[graphql(complexity = "(first.clamp(0, 1000) as usize) * child_complexity + 1")]
    async fn ready_jobs(
        &self,
        ctx: &Context<'_>,
        repository: String,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, Job>, ApiError> {
        ready_jobs(ctx, repository, first, after).await
    }

    /// The shortest chain of dependency edges from one job to another (guids), following what
    /// `from` depends on, or else what depends on it; null when they are not connected.
    async fn dependency_path(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
    ) -> Result<Option<Vec<Job>>, ApiError> {
        dependency_path(ctx, from, to).await
    }

    /// A job's neighbourhood in the dependency graph (at most 2,000 jobs), with pictures.
    async fn dependency_graph(
        &self,
        ctx: &Context<'_>,
        guid: String,
        #[graphql(default_with = "GraphDirection::Both")] direction: GraphDirection,
        kinds: Option<Vec<DependencyKind>>,
        max_depth: Option<i32>,
    ) -> Result<DependencyGraph, ApiError> {
        dependency_graph(ctx, guid, direction, kinds, max_depth).await
    }
}
