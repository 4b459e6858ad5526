//! `Subscription`: changes pushed to clients over WebSocket (`graphql-transport-ws`).

use async_graphql::{Context, Subscription as GqlSubscription};
use futures_util::Stream;
use std::sync::Arc;
use tokio::sync::broadcast;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use crate::ApiError;
use crate::events::{JobEvents, PushEvents};
use crate::types::{Job, Push};

pub struct Subscription;

#[GqlSubscription]
impl Subscription {
    /// Jobs of `repository` as they are written.
    async fn job_changed(
        &self,
        ctx: &Context<'_>,
        repository: String,
    ) -> Result<impl Stream<Item = Job>, ApiError> {
        let receiver = ctx.data::<JobEvents>()?.subscribe();
        Ok(of_repository(receiver, "jobChanged", move |event| {
            (event.repository == repository).then(|| Job(event.job.clone()))
        }))
    }

    /// Pushes new to `repository`'s pushlog, as they are stored.
    async fn push_added(
        &self,
        ctx: &Context<'_>,
        repository: String,
    ) -> Result<impl Stream<Item = Push>, ApiError> {
        let receiver = ctx.data::<PushEvents>()?.subscribe();
        Ok(of_repository(receiver, "pushAdded", move |event| {
            (event.repository == repository).then(|| Push(event.push.clone()))
        }))
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
