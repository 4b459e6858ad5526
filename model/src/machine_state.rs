//! How a machine's state follows its jobs: the one rule the store applies on every job write
//! and every read, so that no one has to flip a machine back by hand.
//!
//! A running job makes its machine BUSY, its completion IDLE (unless another job started on it
//! since). A state set by hand (OFFLINE, QUARANTINED, with an optional end) holds until its
//! end; after that the machine reads as what its jobs say. A machine set OFFLINE that runs a
//! job is evidently up again and takes the job's state; a QUARANTINED one stays quarantined
//! while it runs jobs. The store only loads and stores around these functions (and mirrors
//! [`state_at`] in the SQL of its state filter, tested against it).

use crate::{JobState, MachineState};

/// What the rule reads and writes of a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineStatus {
    /// The state as stored (a state set by hand that ended still reads as set: see
    /// [`state_at`]).
    pub state: MachineState,
    /// The job running on it.
    pub current_job: Option<i64>,
    /// When a state set by hand ends (unix microseconds); `None`: it holds until set again.
    pub until: Option<i64>,
    /// When a job last ran on it (unix microseconds): now while one runs, else when the last
    /// one finished; `i64::MIN` when none has.
    pub last_seen_at: i64,
}

impl MachineStatus {
    /// A machine no job has named yet.
    pub const NEW: MachineStatus = MachineStatus {
        state: MachineState::Idle,
        current_job: None,
        until: None,
        last_seen_at: i64::MIN,
    };
}

/// A job write that names a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobOnMachine {
    pub job: i64,
    pub state: JobState,
    /// When it finished (unix microseconds), if it says.
    pub finished_at: Option<i64>,
}

/// Whether a job in `state` moves the machine it names: only a running or completed job has
/// reached its machine (a pending one names where it may run).
pub fn moves(state: JobState) -> bool {
    matches!(state, JobState::Running | JobState::Completed)
}

/// Whether `state` is one only a person sets (with a reason and an optional end).
pub fn by_hand(state: MachineState) -> bool {
    matches!(state, MachineState::Offline | MachineState::Quarantined)
}

/// The machine after the write of `job` at `now`. A job that does not [`moves`] changes
/// nothing. When the jobs decide the state (no quarantine holds), the end of a state set by
/// hand is cleared with it; the store clears the reason the same way ([`by_hand`] of the new
/// state).
pub fn follow(machine: MachineStatus, job: JobOnMachine, now: i64) -> MachineStatus {
    if !moves(job.state) {
        return machine;
    }
    let mut next = machine;
    // Seen when its job ended (a report of an old job does not make it seen now), or now
    // while the job runs; never later than now, never moving back.
    let seen = match job.state {
        JobState::Completed => job.finished_at.map_or(now, |t| t.min(now)),
        _ => now,
    };
    next.last_seen_at = machine.last_seen_at.max(seen);
    match job.state {
        JobState::Running => next.current_job = Some(job.job),
        JobState::Completed => {
            if machine.current_job.is_none_or(|current| current == job.job) {
                next.current_job = None;
            }
        }
        JobState::Pending | JobState::Unscheduled => {}
    }
    // A machine taken offline by hand that runs a job is evidently up again; a quarantine
    // holds until its end.
    let held =
        machine.state == MachineState::Quarantined && machine.until.is_none_or(|until| until > now);
    if !held {
        next.state = from_jobs(next.current_job);
        next.until = None;
    }
    next
}

/// The state a machine is in at `now`: a state set by hand holds until its end, then the
/// machine is what its jobs say.
pub fn state_at(machine: &MachineStatus, now: i64) -> MachineState {
    if by_hand(machine.state) && machine.until.is_some_and(|until| until <= now) {
        from_jobs(machine.current_job)
    } else {
        machine.state
    }
}

/// Why a machine cannot be set to a state by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ByHandRefusal {
    #[error("a machine is BUSY when it runs a job; it cannot be set so")]
    Busy,
    #[error("until must be in the future")]
    EndPassed,
}

/// Whether a person may set a machine to `requested` until `until` at `now`: BUSY is what
/// a job makes a machine, and an end must lie ahead.
pub fn check_by_hand(
    requested: MachineState,
    until: Option<i64>,
    now: i64,
) -> Result<(), ByHandRefusal> {
    if requested == MachineState::Busy {
        return Err(ByHandRefusal::Busy);
    }
    if until.is_some_and(|until| until <= now) {
        return Err(ByHandRefusal::EndPassed);
    }
    Ok(())
}

/// The state stored when a person sets a machine now running `current_job` to `requested`
/// (already [`check_by_hand`]ed): putting a machine back (IDLE) makes it what its jobs say.
pub fn set_by_hand(requested: MachineState, current_job: Option<i64>) -> MachineState {
    match requested {
        MachineState::Idle => from_jobs(current_job),
        state => state,
    }
}

/// BUSY while a job runs on it, else IDLE.
fn from_jobs(current_job: Option<i64>) -> MachineState {
    if current_job.is_some() {
        MachineState::Busy
    } else {
        MachineState::Idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobState::*;
    use MachineState::*;

    const NOW: i64 = 1_000;

    fn machine(state: MachineState, current_job: Option<i64>, until: Option<i64>) -> MachineStatus {
        MachineStatus {
            state,
            current_job,
            until,
            last_seen_at: 0,
        }
    }

    fn job(job: i64, state: JobState) -> JobOnMachine {
        JobOnMachine {
            job,
            state,
            finished_at: None,
        }
    }

    fn check(before: MachineStatus, write: JobOnMachine, expected: (MachineState, Option<i64>)) {
        let after = follow(before, write, NOW);
        assert_eq!(
            (after.state, after.current_job),
            expected,
            "{before:?} <- {write:?}"
        );
    }

    #[test]
    fn jobs_make_a_machine_busy_then_idle() {
        check(MachineStatus::NEW, job(1, Running), (Busy, Some(1)));
        check(
            machine(Busy, Some(1), None),
            job(1, Completed),
            (Idle, None),
        );
        check(MachineStatus::NEW, job(1, Completed), (Idle, None));
        check(machine(Idle, None, None), job(2, Running), (Busy, Some(2)));
    }

    #[test]
    fn an_old_job_completing_leaves_the_running_one() {
        check(
            machine(Busy, Some(2), None),
            job(1, Completed),
            (Busy, Some(2)),
        );
        check(
            machine(Busy, Some(1), None),
            job(2, Running),
            (Busy, Some(2)),
        );
    }

    #[test]
    fn pending_jobs_have_not_reached_their_machine() {
        assert!(!moves(Pending) && !moves(Unscheduled));
        assert!(moves(Running) && moves(Completed));
        let before = machine(Offline, None, Some(NOW + 5));
        assert_eq!(follow(before, job(1, Pending), NOW), before);
        assert_eq!(follow(before, job(1, Unscheduled), NOW), before);
    }

    #[test]
    fn a_quarantine_holds_until_its_end() {
        check(
            machine(Quarantined, None, None),
            job(1, Running),
            (Quarantined, Some(1)),
        );
        check(
            machine(Quarantined, Some(1), Some(NOW + 1)),
            job(1, Completed),
            (Quarantined, None),
        );
        // Ended: the jobs decide again, and the end is cleared.
        let after = follow(machine(Quarantined, None, Some(NOW)), job(1, Running), NOW);
        assert_eq!(
            (after.state, after.current_job, after.until),
            (Busy, Some(1), None)
        );
        let held = follow(
            machine(Quarantined, None, Some(NOW + 1)),
            job(1, Running),
            NOW,
        );
        assert_eq!(held.until, Some(NOW + 1));
    }

    #[test]
    fn an_offline_machine_running_a_job_is_up_again() {
        check(
            machine(Offline, None, None),
            job(1, Running),
            (Busy, Some(1)),
        );
        check(
            machine(Offline, None, Some(NOW + 9)),
            job(1, Completed),
            (Idle, None),
        );
        let after = follow(machine(Offline, None, Some(NOW + 9)), job(1, Running), NOW);
        assert_eq!(after.until, None);
    }

    #[test]
    fn last_seen_is_when_the_job_ended_never_later_than_now_never_back() {
        let seen = |last_seen_at: i64, write: JobOnMachine| {
            let before = MachineStatus {
                last_seen_at,
                ..MachineStatus::NEW
            };
            follow(before, write, NOW).last_seen_at
        };
        let finished = |at: i64| JobOnMachine {
            finished_at: Some(at),
            ..job(1, Completed)
        };
        assert_eq!(seen(i64::MIN, job(1, Running)), NOW);
        assert_eq!(seen(i64::MIN, job(1, Completed)), NOW);
        assert_eq!(seen(i64::MIN, finished(400)), 400);
        assert_eq!(seen(i64::MIN, finished(NOW + 50)), NOW);
        assert_eq!(seen(600, finished(400)), 600);
        assert_eq!(seen(600, job(1, Pending)), 600);
    }

    #[test]
    fn a_state_set_by_hand_reads_as_the_jobs_say_once_ended() {
        let at = |state, current, until| state_at(&machine(state, current, until), NOW);
        assert_eq!(at(Offline, None, None), Offline);
        assert_eq!(at(Quarantined, Some(1), Some(NOW + 1)), Quarantined);
        assert_eq!(at(Quarantined, Some(1), Some(NOW)), Busy);
        assert_eq!(at(Offline, None, Some(NOW - 1)), Idle);
        assert_eq!(at(Busy, Some(1), None), Busy);
        assert_eq!(at(Idle, None, Some(NOW - 1)), Idle);
    }

    #[test]
    fn by_hand_never_busy_nor_ending_in_the_past() {
        assert_eq!(check_by_hand(Busy, None, NOW), Err(ByHandRefusal::Busy));
        assert_eq!(
            check_by_hand(Offline, Some(NOW), NOW),
            Err(ByHandRefusal::EndPassed)
        );
        assert_eq!(check_by_hand(Quarantined, Some(NOW + 1), NOW), Ok(()));
        assert_eq!(check_by_hand(Idle, None, NOW), Ok(()));
        assert!(by_hand(Offline) && by_hand(Quarantined) && !by_hand(Idle) && !by_hand(Busy));
    }

    #[test]
    fn putting_a_machine_back_makes_it_what_its_jobs_say() {
        assert_eq!(set_by_hand(Idle, Some(1)), Busy);
        assert_eq!(set_by_hand(Idle, None), Idle);
        assert_eq!(set_by_hand(Offline, Some(1)), Offline);
        assert_eq!(set_by_hand(Quarantined, None), Quarantined);
    }
}
