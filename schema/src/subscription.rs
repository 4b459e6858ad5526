//! `Subscription`: changes pushed to clients over WebSocket (`graphql-transport-ws`).
//!
//! A subscription to a repository that does not exist is refused (`NOT_FOUND` in its first
//! answer) rather than left open and silent forever. `machineChanged` takes any build system:
//! one with no machine yet is a fair thing to wait on, so there is nothing to check it against.

use async_graphql::{Context, Subscription as GqlSubscription};
use futures_util::Stream;
use std::sync::Arc;
use tokio::sync::broadcast;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use treeherd_service::{ClassificationEvents, JobEvents, MachineEvents, PushEvents};

use crate::ApiError;
use crate::types::{Classification, ClassificationChanged, Job, Machine, Push};

pub struct Subscription;

#[GqlSubscription]
impl Subscription {
    /// Jobs of `repository` as they are written (an unknown repository is NOT_FOUND).
    async fn job_changed(
        &self,
        ctx: &Context<'_>,
        repository: String,
    ) -> Result<impl Stream<Item = Job>, ApiError> {
        require_repository(ctx, &repository).await?;
        let receiver = ctx.data::<JobEvents>()?.subscribe();
        Ok(of_repository(receiver, "jobChanged", move |event| {
            (event.repository == repository).then(|| Job(event.job.clone()))
        }))
    }

    /// Classifications of `repository`'s jobs as they are decided, by people or the
    /// autoclassifier (an unknown repository is NOT_FOUND).
    async fn classification_changed(
        &self,
        ctx: &Context<'_>,
        repository: String,
    ) -> Result<impl Stream<Item = ClassificationChanged>, ApiError> {
        require_repository(ctx, &repository).await?;
        let receiver = ctx.data::<ClassificationEvents>()?.subscribe();
        Ok(of_repository(
            receiver,
            "classificationChanged",
            move |event| {
                (event.repository == repository).then(|| ClassificationChanged {
                    job: Job(event.job.clone()),
                    classification: Classification(event.classification.clone()),
                })
            },
        ))
    }

    /// Pushes new to `repository`'s pushlog, as they are stored (an unknown repository is
    /// NOT_FOUND).
    async fn push_added(
        &self,
        ctx: &Context<'_>,
        repository: String,
    ) -> Result<impl Stream<Item = Push>, ApiError> {
        require_repository(ctx, &repository).await?;
        let receiver = ctx.data::<PushEvents>()?.subscribe();
        Ok(of_repository(receiver, "pushAdded", move |event| {
            (event.repository == repository).then(|| Push(event.push.clone()))
        }))
    }

    /// Machines of `buildSystem` as they change: moved by a job written here, or set by hand.
    async fn machine_changed(
        &self,
        ctx: &Context<'_>,
        build_system: String,
    ) -> Result<impl Stream<Item = Machine>, ApiError> {
        let store = ctx.data::<treeherd_store::Store>()?.clone();
        let wanted = build_system.clone();
        let by_hand = of_repository(
            ctx.data::<MachineEvents>()?.subscribe(),
            "machineChanged",
            move |event| {
                (event.machine.build_system == wanted).then(|| Machine(event.machine.clone()))
            },
        );
        let by_jobs = of_repository(
            ctx.data::<JobEvents>()?.subscribe(),
            "machineChanged",
            move |event| {
                let job = &event.job;
                let name = job.machine.clone()?;
                let system = job
                    .build_system
                    .clone()
                    .unwrap_or_else(|| treeherd_store::UNKNOWN_BUILD_SYSTEM.to_owned());
                (system == build_system).then_some((system, name))
            },
        );
        let by_jobs = futures_util::StreamExt::filter_map(by_jobs, move |(system, name)| {
            let store = store.clone();
            async move {
                let now = chrono::Utc::now().timestamp_micros();
                match store.machine(system, name, now).await {
                    Ok(machine) => machine.map(Machine),
                    Err(e) => {
                        tracing::warn!(error = %e, "machineChanged: cannot read a machine");
                        None
                    }
                }
            }
        });
        Ok(StreamExt::merge(Box::pin(by_hand), Box::pin(by_jobs)))
    }
}

/// Refuses a subscription to a repository this server does not have.
async fn require_repository(ctx: &Context<'_>, name: &str) -> Result<(), ApiError> {
    let store = ctx.data::<treeherd_store::Store>()?;
    match store.repository(name.to_owned()).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("no repository named {name:?}"))),
    }
}

/// The events `pick` keeps; a subscriber that falls behind skips what it missed (logged).
fn of_repository<E: Send + Sync + 'static, T>(
    receiver: broadcast::Receiver<Arc<E>>,
    subscription: &'static str,
    pick: impl Fn(&E) -> Option<T>,
) -> impl Stream<Item = T> {
    BroadcastStream::new(receiver).filter_map(move |event| match event {
        Ok(event) => pick(&event),
        Err(lagged) => {
            tracing::warn!(%lagged, subscription, "a subscriber fell behind and skipped events");
            None
        }
    })
}
