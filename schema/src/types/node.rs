//! The `Node` interface (Relay's): the objects clients cache, each with a global `id`
//! (`global_id.rs`), and their refetch by id for `Query.node` / `Query.nodes`. An id of this
//! API's shape that names no object (any more) refetches as `null`; a string that is not an
//! id of this API, or names a type that is not a `Node`, is `BAD_USER_INPUT`.

use async_graphql::{Context, Interface};
use treeherd_store::{JobId, PushId, RepositoryId, Store};

use super::global_id::decode;
use super::{Build, Job, Machine, Push, Release, Repository};
use crate::ApiError;
use crate::loaders::{JobById, PushById, RepositoryById, load};

/// An object with a global id, refetchable with `Query.node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "async_graphql::ID", desc = "Opaque and stable."))]
pub(crate) enum Node {
    Job(Job),
    Push(Push),
    Repository(Repository),
    Build(Build),
    Machine(Machine),
    Release(Release),
}

/// The most ids one `nodes` call takes.
pub(crate) const MAX_NODES: usize = 100;

/// The object `id` names, or `None` when it names none.
pub(crate) async fn refetch(
    ctx: &Context<'_>,
    id: &str,
    now: i64,
) -> Result<Option<Node>, ApiError> {
    let (kind, key) = decode(id)?;
    Ok(match kind.as_str() {
        "Job" => load(ctx, JobById(JobId(key)))
            .await?
            .map(|j| Node::Job(Job(j))),
        "Push" => load(ctx, PushById(PushId(key)))
            .await?
            .map(|p| Node::Push(Push(p))),
        "Repository" => load(ctx, RepositoryById(RepositoryId(key)))
            .await?
            .map(|r| Node::Repository(Repository(r))),
        "Build" => ctx
            .data::<Store>()?
            .builds_by_id(vec![key])
            .await?
            .remove(&key)
            .map(|b| Node::Build(Build(b))),
        "Machine" => ctx
            .data::<Store>()?
            .machines_by_id(vec![key], now)
            .await?
            .remove(&key)
            .map(|m| Node::Machine(Machine(m))),
        "Release" => ctx
            .data::<Store>()?
            .releases_by_id(vec![key])
            .await?
            .remove(&key)
            .map(|r| Node::Release(Release(r))),
        _ => {
            return Err(ApiError::BadUserInput(format!(
                "{id:?} is not an id of this API"
            )));
        }
    })
}
