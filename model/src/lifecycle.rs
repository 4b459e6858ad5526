//! How a job may change: the one rule every write path (GraphQL, pulse messages, task graphs)
//! applies, so that messages arriving late or twice never undo what is known.
//!
//! State never moves backwards; a completed job changes only to be marked SUPERSEDED or
//! RETRY; the same message twice changes nothing. The store leaves a job whose change the rule
//! refuses as it is.

use crate::{JobResult, JobState};

/// Whether a job now at `current` may take `incoming`. State never moves backwards (a
/// `running` that arrives after `completed` is ignored); a completed job changes only to be
/// marked superseded or retried. Equal states are accepted, so a repeated message is a no-op
/// and a later message of the same state may add detail.
pub fn accepts(current: (JobState, JobResult), incoming: (JobState, JobResult)) -> bool {
    let (state, _) = current;
    let (new_state, new_result) = incoming;
    if state == JobState::Completed {
        return new_state == JobState::Completed
            && matches!(new_result, JobResult::Superseded | JobResult::Retry)
            || current == incoming;
    }
    new_state >= state
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobResult::*;
    use JobState::*;

    fn check(current: (JobState, JobResult), incoming: (JobState, JobResult), expected: bool) {
        assert_eq!(
            accepts(current, incoming),
            expected,
            "{current:?} <- {incoming:?}"
        );
    }

    #[test]
    fn states_only_move_forward() {
        check((Pending, Unknown), (Running, Unknown), true);
        check((Running, Unknown), (Completed, Success), true);
        check((Unscheduled, Unknown), (Completed, Busted), true);
        check((Running, Unknown), (Pending, Unknown), false);
        check((Running, Unknown), (Running, Unknown), true);
    }

    #[test]
    fn completed_jobs_change_only_by_marking() {
        check((Completed, Success), (Running, Unknown), false);
        check((Completed, Success), (Completed, Busted), false);
        check((Completed, TestFailed), (Completed, Superseded), true);
        check((Completed, Busted), (Completed, Retry), true);
        check((Completed, Success), (Completed, Success), true);
        check((Completed, Retry), (Completed, Success), false);
    }
}
