//! Storing pushes, shared by the `submitPush` mutation, the GitHub webhook, the hg poller and
//! git backfills: every way in stores the same way and announces the pushes it adds.
//! Storing the same push again announces nothing: `pushAdded` fires only for pushes new to
//! the pushlog.

use treeherd_model::PushRecord;
use treeherd_store::{Push, Store};

use crate::ApiError;
use crate::events::{PushEvent, PushEvents};

/// Stores pushes of `repository` in one transaction; each push new to the pushlog is
/// announced to `pushAdded` subscribers. Gives the pushes back as stored, in order.
pub async fn store_pushes(
    store: &Store,
    events: &PushEvents,
    repository: String,
    records: Vec<PushRecord>,
) -> Result<Vec<Push>, ApiError> {
    let stored = store.store_pushes(repository.clone(), records).await?;
    Ok(stored
        .into_iter()
        .map(|stored| {
            if stored.added {
                events.publish(PushEvent {
                    repository: repository.clone(),
                    push: stored.push.clone(),
                });
            }
            stored.push
        })
        .collect())
}
