//! `Subscription`: changes pushed to clients over WebSocket (`graphql-transport-ws`), from the
//! change log, so a change written through any replica reaches subscribers on every replica.
//!
//! Every event carries a `cursor`; a client that reconnects passes the last one it saw as
//! `after` and gets what it missed, then the live events, none twice (`change_stream.rs`).
//! A subscription to a repository that does not exist is refused (`NOT_FOUND` in its first
//! answer) rather than left open and silent forever; a malformed cursor, or one older than
//! the change log keeps, is `BAD_USER_INPUT`. `machineChanged` takes any build system: one
//! with no machine yet is a fair thing to wait on, so there is nothing to check it against.

use async_graphql::{Context, Subscription as GqlSubscription};
use futures_util::{Stream, StreamExt};
use treeherd_service::Changes;
use treeherd_store::{Changed, RepositoryId, Store};

use crate::ApiError;
use crate::change_stream::{follow, parse_cursor};
use crate::types::{
    Classification, ClassificationChanged, Job, JobChanged, Machine, MachineChanged, Push,
    PushAdded,
};

pub struct Subscription;

#[GqlSubscription]
impl Subscription {
    /// Jobs of `repository` as they are written: new, moved on, or sent again with new details
    /// (a version the lifecycle refuses is not news); an unknown repository is NOT_FOUND.
    /// `after`: resume after the event with this cursor.
    async fn job_changed(
        &self,
        ctx: &Context<'_>,
        repository: String,
        after: Option<String>,
    ) -> Result<impl Stream<Item = JobChanged>, ApiError> {
        let (store, changes, after) = inputs(ctx, after.as_deref())?;
        let id = require_repository(store, &repository).await?;
        follow(store, changes, after, Some(id), move |change| {
            match (&change.what, &change.repository) {
                (Changed::Job(job), Some(name)) if *name == repository => Some(JobChanged {
                    cursor: change.seq.to_string(),
                    job: Job(job.clone()),
                }),
                _ => None,
            }
        })
        .await
    }

    /// Classifications of `repository`'s jobs as they are decided, by people or the
    /// autoclassifier (an unknown repository is NOT_FOUND). `after`: resume after the event
    /// with this cursor.
    async fn classification_changed(
        &self,
        ctx: &Context<'_>,
        repository: String,
        after: Option<String>,
    ) -> Result<impl Stream<Item = ClassificationChanged>, ApiError> {
        let (store, changes, after) = inputs(ctx, after.as_deref())?;
        let id = require_repository(store, &repository).await?;
        follow(store, changes, after, Some(id), move |change| {
            match (&change.what, &change.repository) {
                (
                    Changed::Classification {
                        job,
                        classification,
                    },
                    Some(name),
                ) if *name == repository => Some(ClassificationChanged {
                    cursor: change.seq.to_string(),
                    job: Job(job.clone()),
                    classification: Classification(classification.clone()),
                }),
                _ => None,
            }
        })
        .await
    }

    /// Pushes new to `repository`'s pushlog, as they are stored (an unknown repository is
    /// NOT_FOUND). `after`: resume after the event with this cursor.
    async fn push_added(
        &self,
        ctx: &Context<'_>,
        repository: String,
        after: Option<String>,
    ) -> Result<impl Stream<Item = PushAdded>, ApiError> {
        let (store, changes, after) = inputs(ctx, after.as_deref())?;
        let id = require_repository(store, &repository).await?;
        follow(store, changes, after, Some(id), move |change| {
            match (&change.what, &change.repository) {
                (Changed::Push(push), Some(name)) if *name == repository => Some(PushAdded {
                    cursor: change.seq.to_string(),
                    push: Push(push.clone()),
                }),
                _ => None,
            }
        })
        .await
    }

    /// Machines of `buildSystem` as they change: moved by a job written, or set by hand.
    /// `after`: resume after the event with this cursor.
    async fn machine_changed(
        &self,
        ctx: &Context<'_>,
        build_system: String,
        after: Option<String>,
    ) -> Result<impl Stream<Item = MachineChanged>, ApiError> {
        let (store, changes, after) = inputs(ctx, after.as_deref())?;
        let events = follow(store, changes, after, None, move |change| {
            let cursor = change.seq.to_string();
            match &change.what {
                Changed::Machine(machine) if machine.build_system == build_system => {
                    Some((cursor, MachineOf::Known(machine.clone())))
                }
                Changed::Job(job) => {
                    let name = job.machine.clone()?;
                    let system = job
                        .build_system
                        .clone()
                        .unwrap_or_else(|| treeherd_store::UNKNOWN_BUILD_SYSTEM.to_owned());
                    (system == build_system).then_some((cursor, MachineOf::Named(system, name)))
                }
                _ => None,
            }
        })
        .await?;
        // A job names its machine: the machine is read as it is now.
        let store = store.clone();
        Ok(events.filter_map(move |(cursor, machine)| {
            let store = store.clone();
            async move {
                let machine = match machine {
                    MachineOf::Known(machine) => machine,
                    MachineOf::Named(system, name) => {
                        let now = chrono::Utc::now().timestamp_micros();
                        match store.machine(system, name, now).await {
                            Ok(machine) => machine?,
                            Err(e) => {
                                tracing::warn!(error = %e, "machineChanged: cannot read a machine");
                                return None;
                            }
                        }
                    }
                };
                Some(MachineChanged {
                    cursor,
                    machine: Machine(machine),
                })
            }
        }))
    }
}

/// A machine an event is about: set by hand (as it is), or named by a job.
enum MachineOf {
    Known(treeherd_store::Machine),
    Named(String, String),
}

/// What every subscription starts from: the store, the live channel and the parsed cursor.
fn inputs<'c>(
    ctx: &'c Context<'_>,
    after: Option<&str>,
) -> Result<(&'c Store, &'c Changes, Option<i64>), ApiError> {
    let after = after.map(parse_cursor).transpose()?;
    Ok((ctx.data::<Store>()?, ctx.data::<Changes>()?, after))
}

/// Refuses a subscription to a repository this server does not have; gives its id.
async fn require_repository(store: &Store, name: &str) -> Result<RepositoryId, ApiError> {
    match store.repository(name.to_owned()).await? {
        Some(repository) => Ok(repository.id),
        None => Err(ApiError::NotFound(format!("no repository named {name:?}"))),
    }
}
