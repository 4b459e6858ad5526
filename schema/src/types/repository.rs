//! `Repository`: a source repository and its pushlog. The struct is in `nodes.rs`, beside
//! the objects it points at; its fields are here.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use treeherd_store::{PushFilter, Store};

use super::time::to_micros;
use super::{KeyCursor, Push, Repository, Vcs, connection, page_request};
use crate::ApiError;

#[Object]
impl Repository {
    /// Its global id (`Node`): opaque and stable.
    pub(crate) async fn id(&self) -> async_graphql::ID {
        super::global_id::encode("Repository", self.0.id.0)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn vcs(&self) -> Vcs {
        self.0.vcs.into()
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The attribute keys whose values jobs of this repository can be filtered by.
    async fn indexed_attributes(&self) -> &[String] {
        &self.0.indexed_attributes
    }

    /// The branch a git repository's pushlog follows (`null`: the default branch).
    async fn branch(&self) -> Option<&str> {
        self.0.branch.as_deref()
    }

    /// Pushes, newest first (by push id); `author` exactly, pushed at or after `since` and
    /// before `until`.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn pushes(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
        author: Option<String>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Connection<KeyCursor, Push>, ApiError> {
        let request = page_request(first, after)?;
        let filter = PushFilter {
            author,
            since: since.map(to_micros),
            until: until.map(to_micros),
        };
        let page = ctx
            .data::<Store>()?
            .pushes(self.0.id, filter, request)
            .await?;
        Ok(connection(
            page,
            request.after.is_some(),
            |p| p.push_id,
            Push,
        ))
    }
}
