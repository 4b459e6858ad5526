//! The change feed: the one task per server process that reads the change log and publishes
//! each event to this process's subscribers (`events.rs`), in log order.
//!
//! It waits on the store's change signal (this process's writes, and on PostgreSQL every
//! process's, through the listener) and, as a safety net, looks every second anyway. Each
//! wake-up reads everything after the last event it published, a thousand at a time, so a
//! burst of writes costs one read per thousand events, not one per write. With nobody
//! subscribed it only moves its place to the newest event (a subscriber that wants what came
//! before it resumes from its cursor, read from the log).

use std::time::Duration;
use treeherd_store::Store;

use crate::events::Changes;
use crate::service::Service;

/// Events read per look.
const BATCH: i64 = 1000;
/// How often the feed looks without being woken.
const LOOK_EVERY: Duration = Duration::from_secs(1);

impl Service {
    /// Starts this process's change feed (a server does; a process nobody subscribes in does
    /// not need one).
    pub fn spawn_change_feed(&self) {
        let store = self.store.clone();
        let changes = self.changes.clone();
        store.spawn_change_listener();
        tokio::spawn(feed(store, changes));
    }
}

async fn feed(store: Store, changes: Changes) {
    let signal = store.change_signal();
    let mut last = loop {
        match store.last_change_seq().await {
            Ok(seq) => break seq,
            Err(e) => {
                tracing::warn!(error = %e, "change feed cannot read the change log; retrying");
                tokio::time::sleep(LOOK_EVERY).await;
            }
        }
    };
    loop {
        tokio::select! {
            () = signal.notified() => {}
            () = tokio::time::sleep(LOOK_EVERY) => {}
        }
        if let Err(e) = publish_after(&store, &changes, &mut last).await {
            tracing::warn!(error = %e, after = last, "change feed cannot read the change log");
        }
    }
}

/// Publishes every event after `last`, moving `last` along.
async fn publish_after(
    store: &Store,
    changes: &Changes,
    last: &mut i64,
) -> Result<(), treeherd_store::StoreError> {
    loop {
        if !changes.is_watched() {
            *last = store.last_change_seq().await?.max(*last);
            return Ok(());
        }
        let batch = store.changes_after(*last, None, BATCH).await?;
        let Some(newest) = batch.last().map(|c| c.seq) else {
            return Ok(());
        };
        let full = batch.len() as i64 >= BATCH;
        for change in batch {
            changes.publish(change);
        }
        *last = newest;
        if !full {
            return Ok(());
        }
    }
}
