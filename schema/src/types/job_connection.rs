//! `JobConnection`: a page of jobs, its `nodes` built as one list. async-graphql's generic
//! `Connection` resolves `nodes` as one future per job, each through every schema extension
//! (a boxed future apiece); this one builds the whole list in one pass when every field asked
//! of a job is ready without waiting (its row, `__typename`, a classification loaded with
//! the page), and falls back to one future per job otherwise (a field that waits on a loader
//! must wait together with the other jobs' to be batched). To clients it is the same type
//! `Connection<KeyCursor, Job>` declared: name, fields, descriptions and cost (the checked-in
//! SDL did not change).

use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields, PageInfo};
use async_graphql::parser::types::Field;
use async_graphql::{
    Context, ContextSelectionSet, Object, OutputType, Positioned, ServerResult, Value, registry,
};
use std::borrow::Cow;
use treeherd_store::Store;

use super::{JobNode, KeyCursor};
use crate::ApiError;

/// Jobs between two yields of a list built in one pass.
const JOBS_PER_YIELD: usize = 256;

type JobEdge = Edge<KeyCursor, JobNode, EmptyFields>;

pub(crate) struct JobConnection {
    has_previous_page: bool,
    has_next_page: bool,
    edges: Vec<JobEdge>,
}

impl From<Connection<KeyCursor, JobNode>> for JobConnection {
    fn from(connection: Connection<KeyCursor, JobNode>) -> JobConnection {
        JobConnection {
            has_previous_page: connection.has_previous_page,
            has_next_page: connection.has_next_page,
            edges: connection.edges,
        }
    }
}

impl JobConnection {
    /// Loads the classification of every job in one store call when the query asks for it (a
    /// push grid asks for all of them): one query instead of a loader key, a channel and a
    /// wake-up per job.
    pub(crate) async fn with_classifications(
        mut self,
        ctx: &Context<'_>,
    ) -> Result<JobConnection, ApiError> {
        let look = ctx.look_ahead();
        let wanted = look.field("nodes").field("classification").exists()
            || look
                .field("edges")
                .field("node")
                .field("classification")
                .exists();
        if !wanted || self.edges.is_empty() {
            return Ok(self);
        }
        let ids = self.edges.iter().map(|e| e.node.id()).collect();
        let mut found = ctx.data::<Store>()?.current_classifications(ids).await?;
        for edge in &mut self.edges {
            let id = edge.node.id();
            edge.node.set_classification(found.remove(&id));
        }
        Ok(self)
    }
}

#[Object(name = "JobConnection")]
impl JobConnection {
    /// Information to aid in pagination.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.encode_cursor()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.encode_cursor()),
        }
    }

    /// A list of edges.
    async fn edges(&self) -> &[JobEdge] {
        &self.edges
    }

    /// A list of nodes.
    async fn nodes(&self) -> JobList<'_> {
        JobList(&self.edges)
    }
}

/// The jobs of a page, as `[Job!]!`.
pub(crate) struct JobList<'a>(&'a [JobEdge]);

impl OutputType for JobList<'_> {
    fn type_name() -> Cow<'static, str> {
        <Vec<JobNode> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<JobNode> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        <Vec<JobNode> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let preloaded = self.0.iter().all(|edge| edge.node.has_classification());
        if !JobNode::ready(ctx, ctx.item, preloaded) {
            let items =
                self.0.iter().enumerate().map(|(i, edge)| async move {
                    edge.node.resolve(&ctx.with_index(i), field).await
                });
            return Ok(Value::List(
                futures_util::future::try_join_all(items).await?,
            ));
        }
        let mut items = Vec::with_capacity(self.0.len());
        for (i, edge) in self.0.iter().enumerate() {
            items.push(edge.node.resolve(&ctx.with_index(i), field).await?);
            if i % JOBS_PER_YIELD == JOBS_PER_YIELD - 1 {
                tokio::task::yield_now().await;
            }
        }
        Ok(Value::List(items))
    }
}
