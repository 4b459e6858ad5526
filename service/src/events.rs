//! Changes as they are committed, fanned out to subscribers in this process: one broadcast
//! channel per kind of change (jobs, pushes, machines set by hand, classifications), the same mechanism for
//! each.
//!
//! A change is published after it commits. Fan-out is in-process only: jobs written by another
//! process (e.g. `treeherd consume`) reach this server's subscribers only through queries.

use std::sync::Arc;
use tokio::sync::broadcast;
use treeherd_store::{Classification, Job, Machine, Push};

/// A job as written, with the name of its repository (what subscribers filter on).
#[derive(Debug, Clone)]
pub struct JobEvent {
    pub repository: String,
    pub job: Job,
}

/// A push as stored, with the name of its repository.
#[derive(Debug, Clone)]
pub struct PushEvent {
    pub repository: String,
    pub push: Push,
}

/// A machine whose state was set by hand (machines moved by jobs travel as job events).
#[derive(Debug, Clone)]
pub struct MachineEvent {
    pub machine: Machine,
}

/// A job's new classification (by a person or the autoclassifier), with its job and the name
/// of its repository.
#[derive(Debug, Clone)]
pub struct ClassificationEvent {
    pub repository: String,
    pub job: Job,
    pub classification: Classification,
}

/// Every channel of committed changes a server has: the service publishes on them, the
/// schema's subscriptions listen.
#[derive(Clone, Default)]
pub struct Changes {
    pub jobs: JobEvents,
    pub pushes: PushEvents,
    pub machines: MachineEvents,
    pub classifications: ClassificationEvents,
}

/// Committed job changes.
pub type JobEvents = Events<JobEvent>;
/// Stored pushes.
pub type PushEvents = Events<PushEvent>;
/// Machines set by hand.
pub type MachineEvents = Events<MachineEvent>;
/// New classifications.
pub type ClassificationEvents = Events<ClassificationEvent>;

/// A channel of committed changes. Slow subscribers skip what they missed rather than hold
/// writers back.
pub struct Events<T> {
    sender: broadcast::Sender<Arc<T>>,
}

impl<T> Clone for Events<T> {
    fn clone(&self) -> Self {
        Events {
            sender: self.sender.clone(),
        }
    }
}

impl<T> Events<T> {
    pub fn new(capacity: usize) -> Events<T> {
        Events {
            sender: broadcast::channel(capacity.max(1)).0,
        }
    }

    pub fn publish(&self, event: T) {
        // No receiver is not an error: nobody is subscribed.
        let _ = self.sender.send(Arc::new(event));
    }

    /// Whether anyone is subscribed: a writer with many events can skip building them.
    pub fn is_watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<T>> {
        self.sender.subscribe()
    }
}

impl<T> Default for Events<T> {
    fn default() -> Self {
        Events::new(4096)
    }
}
