//! Job changes as they are committed, fanned out to subscribers in this process.

use std::sync::Arc;
use tokio::sync::broadcast;
use treeherd_store::Job;

/// A job as written, with the name of its repository (what subscribers filter on).
#[derive(Debug, Clone)]
pub struct JobEvent {
    pub repository: String,
    pub job: Job,
}

/// The channel of committed job changes. Slow subscribers skip what they missed rather than
/// hold writers back.
#[derive(Clone)]
pub struct JobEvents {
    sender: broadcast::Sender<Arc<JobEvent>>,
}

impl JobEvents {
    pub fn new(capacity: usize) -> JobEvents {
        JobEvents {
            sender: broadcast::channel(capacity.max(1)).0,
        }
    }

    pub(crate) fn publish(&self, event: JobEvent) {
        // No receiver is not an error: nobody is subscribed.
        let _ = self.sender.send(Arc::new(event));
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<JobEvent>> {
        self.sender.subscribe()
    }
}

impl Default for JobEvents {
    fn default() -> Self {
        JobEvents::new(4096)
    }
}
