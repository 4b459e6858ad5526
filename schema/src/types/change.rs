//! What a subscription sends: each event with its cursor, the place in the change log a
//! client resumes after (`after:`) when it reconnects, so a tab that slept or lost its
//! replica misses nothing.

use async_graphql::SimpleObject;

use crate::types::{Classification, Job, Machine, Push};

/// A job written (a version the lifecycle accepted), as `jobChanged` sends it.
#[derive(SimpleObject)]
pub(crate) struct JobChanged {
    /// Pass it as `after` to resume after this event.
    pub cursor: String,
    pub job: Job,
}

/// A push new to its repository's pushlog, as `pushAdded` sends it.
#[derive(SimpleObject)]
pub(crate) struct PushAdded {
    /// Pass it as `after` to resume after this event.
    pub cursor: String,
    pub push: Push,
}

/// A machine as it is after a change, as `machineChanged` sends it.
#[derive(SimpleObject)]
pub(crate) struct MachineChanged {
    /// Pass it as `after` to resume after this event.
    pub cursor: String,
    pub machine: Machine,
}

/// A job's new classification, as `classificationChanged` sends it.
#[derive(SimpleObject)]
pub(crate) struct ClassificationChanged {
    /// Pass it as `after` to resume after this event.
    pub cursor: String,
    pub job: Job,
    pub classification: Classification,
}
