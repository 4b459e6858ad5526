//! Changes as they are committed, fanned out to this process's subscribers: one broadcast
//! channel of the change log's events (`treeherd_store::Change`), which the change feed
//! (`feed.rs`) fills, in log order, from whatever process wrote them.
//!
//! Nothing publishes here directly: a write appends its events to the change log in its own
//! transaction, and the feed of every replica reads them back. So an event reaches every
//! replica's subscribers once, in commit order, whichever replica (or `treeherd consume`)
//! wrote it, and a subscriber that resumes after its last event's cursor reads the same log.

use std::sync::Arc;
use tokio::sync::broadcast;
use treeherd_store::Change;

/// The channel of committed changes a server has: its change feed publishes, the schema's
/// subscriptions listen. A slow subscriber that falls behind by more than the channel holds
/// is told so (`Lagged`) and reads what it missed from the change log.
#[derive(Clone)]
pub struct Changes {
    sender: broadcast::Sender<Arc<Change>>,
}

impl Changes {
    pub fn new(capacity: usize) -> Changes {
        Changes {
            sender: broadcast::channel(capacity.max(1)).0,
        }
    }

    pub(crate) fn publish(&self, change: Change) {
        // No receiver is not an error: nobody is subscribed.
        let _ = self.sender.send(Arc::new(change));
    }

    /// Whether anyone is subscribed: with nobody listening, the feed only keeps its place.
    pub fn is_watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.sender.subscribe()
    }
}

impl Default for Changes {
    fn default() -> Self {
        Changes::new(4096)
    }
}
