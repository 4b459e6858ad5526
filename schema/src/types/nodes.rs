//! The objects that point at each other — a push's jobs and a job's push, a repository's
//! pushes and a push's repository — as plain wrappers of the store's rows. Their fields
//! (`#[Object] impl`s) live in `job.rs`, `push.rs` and `repository.rs`, which name each
//! other's objects through this file and so never import each other; so do the other
//! object files (builds, releases, machines, logs, the dependency graph) that point at them.

use async_graphql::Context;

use crate::ApiError;
use crate::loaders::{JobById, load};

/// A job of any kind; its fields are in `job.rs`.
pub(crate) struct Job(pub treeherd_store::Job);

/// One push to a repository; its fields are in `push.rs`.
pub(crate) struct Push(pub treeherd_store::Push);

/// A source repository; its fields are in `repository.rs`.
pub(crate) struct Repository(pub treeherd_store::Repository);

impl Job {
    /// The job with row id `id` (none when `id` is none or names no job), through the loader:
    /// how every object that points at a job resolves it.
    pub(crate) async fn by_id(
        ctx: &Context<'_>,
        id: Option<treeherd_store::JobId>,
    ) -> Result<Option<Job>, ApiError> {
        let Some(id) = id else {
            return Ok(None);
        };
        Ok(load(ctx, JobById(id)).await?.map(Job))
    }
}
