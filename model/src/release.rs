//! The rule that derives a release's status from its release job and the jobs it waits for.

use crate::{JobResult, JobState, ReleaseStatus};

/// A release's status: `release` is its release job's (state, result), `waited_for` those of
/// every job it waits for, transitively.
///
/// - the release job completed: SHIPPED on success, else FAILED;
/// - something waited for failed (TESTFAILED, BUSTED, EXCEPTION, USERCANCEL; a retried or
///   superseded run does not count, another run stands for it): BLOCKED;
/// - the release job or something waited for is running or done: RUNNING;
/// - else WAITING.
pub fn status(
    release: (JobState, JobResult),
    waited_for: impl IntoIterator<Item = (JobState, JobResult)>,
) -> ReleaseStatus {
    if release.0 == JobState::Completed {
        return if release.1 == JobResult::Success {
            ReleaseStatus::Shipped
        } else {
            ReleaseStatus::Failed
        };
    }
    let mut started = release.0 == JobState::Running;
    for (state, result) in waited_for {
        if state == JobState::Completed && result.is_failure() {
            return ReleaseStatus::Blocked;
        }
        started |= matches!(state, JobState::Running | JobState::Completed);
    }
    if started {
        ReleaseStatus::Running
    } else {
        ReleaseStatus::Waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PENDING: (JobState, JobResult) = (JobState::Pending, JobResult::Unknown);
    const RUNNING: (JobState, JobResult) = (JobState::Running, JobResult::Unknown);
    const GREEN: (JobState, JobResult) = (JobState::Completed, JobResult::Success);
    const ORANGE: (JobState, JobResult) = (JobState::Completed, JobResult::TestFailed);
    const RETRIED: (JobState, JobResult) = (JobState::Completed, JobResult::Retry);

    #[test]
    fn the_release_job_decides_once_it_completed() {
        assert_eq!(status(GREEN, [ORANGE]), ReleaseStatus::Shipped);
        assert_eq!(
            status((JobState::Completed, JobResult::Busted), [GREEN]),
            ReleaseStatus::Failed
        );
    }

    #[test]
    fn one_failure_blocks_and_a_retry_does_not() {
        let mut gates = vec![GREEN; 500];
        gates.push(RETRIED);
        assert_eq!(status(PENDING, gates.clone()), ReleaseStatus::Running);
        gates[250] = ORANGE;
        assert_eq!(status(PENDING, gates), ReleaseStatus::Blocked);
    }

    #[test]
    fn nothing_started_is_waiting() {
        assert_eq!(status(PENDING, [PENDING, PENDING]), ReleaseStatus::Waiting);
        assert_eq!(status(PENDING, []), ReleaseStatus::Waiting);
        assert_eq!(status(RUNNING, [PENDING]), ReleaseStatus::Running);
        assert_eq!(status(PENDING, [PENDING, RUNNING]), ReleaseStatus::Running);
    }
}
