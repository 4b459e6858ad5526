//! What the graph knows about one job: its id and the few status fields the questions read.
//!
//! The public [`JobStatus`] is convenient (`Option` times); the stored [`Node`] is compact
//! (sentinel times, `u8`-sized enums, the topological rank inline) because a server holds a
//! million of them and every traversal step reads one.

use treeherd_model::{JobResult, JobState};

/// A job, named by the store's id for it (the model's id, so the store and the graph share it).
pub use treeherd_model::JobId;

/// The part of a job the graph's questions depend on.
///
/// Times are **microseconds since the Unix epoch**. `i64::MIN` is reserved (it stands for
/// "absent" in storage) and reads back as `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobStatus {
    pub state: JobState,
    pub result: JobResult,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl JobStatus {
    /// A job that has not started: the given state, no result, no times.
    pub const fn waiting(state: JobState) -> Self {
        JobStatus {
            state,
            result: JobResult::Unknown,
            started_at: None,
            finished_at: None,
        }
    }

    /// Whether the jobs that depend on this one may run: it completed with success.
    pub const fn is_satisfied(&self) -> bool {
        matches!(self.state, JobState::Completed) && self.result.is_success()
    }
}

/// The sentinel for an absent time in a [`Node`].
const NO_TIME: i64 = i64::MIN;

/// A stored job: 32 bytes, and `Option<Node>` is too (the enums leave a niche).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub(crate) id: JobId,
    started_at: i64,
    finished_at: i64,
    /// Rank in the maintained topological order: a dependency always ranks below its
    /// dependents. Kept here rather than in a side table so that a traversal step touches one
    /// cache line for the node's edge heads and its rank.
    pub(crate) ord: u32,
    pub(crate) state: JobState,
    pub(crate) result: JobResult,
    /// Which of its neighbours this process does not hold (see `frontier`): bits
    /// [`DEPENDENCIES_OUTSIDE`] and [`DEPENDENTS_OUTSIDE`]. Fits in the padding.
    pub(crate) outside: u8,
}

/// Some dependency of the job is not held, so a walk towards dependencies cannot finish here.
pub(crate) const DEPENDENCIES_OUTSIDE: u8 = 1;
/// Some dependent of the job is not held.
pub(crate) const DEPENDENTS_OUTSIDE: u8 = 2;

impl Node {
    pub(crate) fn new(id: JobId, status: JobStatus, ord: u32) -> Self {
        let mut node = Node {
            id,
            started_at: NO_TIME,
            finished_at: NO_TIME,
            ord,
            state: status.state,
            result: status.result,
            outside: 0,
        };
        node.set_status(status);
        node
    }

    pub(crate) fn set_status(&mut self, status: JobStatus) {
        self.state = status.state;
        self.result = status.result;
        self.started_at = status.started_at.unwrap_or(NO_TIME);
        self.finished_at = status.finished_at.unwrap_or(NO_TIME);
    }

    pub(crate) fn status(&self) -> JobStatus {
        let time = |t: i64| (t != NO_TIME).then_some(t);
        JobStatus {
            state: self.state,
            result: self.result,
            started_at: time(self.started_at),
            finished_at: time(self.finished_at),
        }
    }

    pub(crate) fn is_satisfied(&self) -> bool {
        matches!(self.state, JobState::Completed) && self.result.is_success()
    }

    pub(crate) fn is_completed(&self) -> bool {
        matches!(self.state, JobState::Completed)
    }

    /// Time spent running in microseconds: finished - started when finished, now - started
    /// when started and not finished, 0 otherwise. Never negative: clocks of different
    /// workers disagree, and a skewed job must not shorten a path.
    pub(crate) fn duration_micros(&self, now: i64) -> i64 {
        if self.started_at == NO_TIME {
            return 0;
        }
        let end = if self.finished_at == NO_TIME {
            now
        } else {
            self.finished_at
        };
        end.saturating_sub(self.started_at).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_stay_compact() {
        assert_eq!(std::mem::size_of::<Node>(), 32);
        assert_eq!(std::mem::size_of::<Option<Node>>(), 32);
    }
}
