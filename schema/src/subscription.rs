//! `Subscription`: changes pushed to clients over WebSocket (`graphql-transport-ws`).

use async_graphql::{Context, Subscription as GqlSubscription};
use futures_util::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use crate::ApiError;
use crate::events::JobEvents;
use crate::types::Job;

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
        Ok(BroadcastStream::new(receiver).filter_map(move |event| match event {
            Ok(event) if event.repository == repository => Some(Job(event.job.clone())),
            Ok(_) => None,
            Err(lagged) => {
                tracing::warn!(%lagged, "a jobChanged subscriber fell behind and skipped events");
                None
            }
        }))
    }
}
