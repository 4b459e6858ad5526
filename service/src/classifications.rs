//! Sheriffing writes: a person classifies failed jobs (`sheriff:REPO` scope), and the
//! autoclassifier classifies a job whose every failure line recurs from one a person called
//! intermittent. Both go through the store's one classification path, which appends each decision
//! to the change log that subscribers are served from.
//!
//! How the autoclassifier keeps from hiding a regression:
//! - only a *person's* judgement is a precedent (never the autoclassifier's own), and the
//!   latest person's judgement of the recurrence key in the window decides: once someone says
//!   "fixed by commit", matching lines wait for a person again (`model/src/autoclassify.rs`);
//! - the precedent must be recent (`AutoclassifyOptions::window`, 14 days by default);
//! - every failure line of the job must match: one new line leaves the whole job to people;
//! - a precedent whose bug is known locally and resolved (FIXED, WONTFIX, ...) does not count,
//!   nor do older ones stand in for it: a failure that recurs after its bug was closed is
//!   news, not noise;
//! - it never overrides a person, checked inside the writing transaction; an autoclassified
//!   job shows as such (classification 7, who = "autoclassifier") and a person can reclassify.
//!
//! The autoclassifier runs inside the transaction that stores a log's parse
//! ([`Service::store_parse`]; the reads and the rule's inputs are the store's
//! `autoclassify.rs`), so one parsed log costs one commit, classified or not.

use std::collections::HashSet;
use treeherd_model::{BugId, FailureClassification};
use treeherd_store::{Autoclassifier, Classification, Job, NewClassification, ParsedLog};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::service::Service;

/// Who the autoclassifier's decisions are recorded as.
pub use treeherd_store::AUTOCLASSIFIER;

/// At most this many jobs in one classification call (a pinboard is a few dozen).
pub const MAX_CLASSIFIED_JOBS: usize = 500;
/// At most this many bugs on one classification.
pub const MAX_BUGS: usize = 20;
/// A note's length limit, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// A person's classification of failed jobs, as a front door decoded it.
#[derive(Debug, Clone)]
pub struct ClassifyJobs {
    pub jobs: Vec<String>,
    pub classification: FailureClassification,
    pub bugs: Vec<i64>,
    pub note: Option<String>,
}

/// The recurrence key of a raw failure line: (the test on it, its cleaned line masked).
pub fn line_keys(line: &str) -> (String, String) {
    treeherd_logparse::recurrence(line)
}

/// A person's classification of one failure line of a failed job.
#[derive(Debug, Clone)]
pub struct ClassifyFailureLine {
    /// The job's guid.
    pub job: String,
    /// The log's name (e.g. `live_backing_log`).
    pub log: String,
    /// The line's place in the log's error summary, from 0.
    pub position: i32,
    pub classification: FailureClassification,
    pub bugs: Vec<i64>,
    pub note: Option<String>,
}

/// A person's classification of one failed test of a failed job (its result of the test and
/// subtest).
#[derive(Debug, Clone)]
pub struct ClassifyTest {
    /// The job's guid.
    pub job: String,
    pub test: String,
    /// `None` (or empty) for the test's own result.
    pub subtest: Option<String>,
    pub classification: FailureClassification,
    pub bugs: Vec<i64>,
    pub note: Option<String>,
}

fn check_jobs(input: &ClassifyJobs) -> Result<(), ServiceError> {
    if input.jobs.is_empty() {
        return Err(ServiceError::bad_input(
            "jobs",
            "name at least one job to classify",
        ));
    }
    if input.jobs.len() > MAX_CLASSIFIED_JOBS {
        return Err(ServiceError::bad_input(
            "jobs",
            format!(
                "{} jobs in one call; at most {MAX_CLASSIFIED_JOBS}",
                input.jobs.len()
            ),
        ));
    }
    Ok(())
}

/// `caller`'s decision, made now, once checked: the classification, bugs (sorted, without
/// repeats) and note (trimmed, `None` when blank).
fn person_decision(
    caller: &Caller,
    classification: FailureClassification,
    bug_numbers: &[i64],
    note: Option<&str>,
) -> Result<NewClassification, ServiceError> {
    if classification == FailureClassification::AutoclassifiedIntermittent {
        return Err(ServiceError::bad_input(
            "classification",
            "AUTOCLASSIFIED_INTERMITTENT is the autoclassifier's own; classify as INTERMITTENT",
        ));
    }
    if bug_numbers.len() > MAX_BUGS {
        return Err(ServiceError::bad_input(
            "bugs",
            format!("{} bugs; at most {MAX_BUGS}", bug_numbers.len()),
        ));
    }
    let mut bugs = Vec::with_capacity(bug_numbers.len());
    for (i, &bug) in bug_numbers.iter().enumerate() {
        if bug <= 0 {
            return Err(ServiceError::bad_input(
                format!("bugs[{i}]"),
                format!("bug {bug} is not a bug number: bug numbers are positive integers"),
            ));
        }
        bugs.push(BugId(bug));
    }
    bugs.sort_unstable();
    bugs.dedup();
    let note = match note.map(str::trim) {
        None | Some("") => None,
        Some(note) if note.chars().count() > MAX_NOTE_CHARS => {
            return Err(ServiceError::bad_input(
                "note",
                format!("the note is longer than {MAX_NOTE_CHARS} characters"),
            ));
        }
        Some(note) => Some(note.to_owned()),
    };
    Ok(NewClassification {
        classification,
        bugs,
        note,
        who: caller_name(caller),
        at: chrono::Utc::now().timestamp_micros(),
    })
}

impl Service {
    /// Classifies failed jobs, all or nothing: each must exist, have failed and belong to a
    /// repository the caller may sheriff. Reclassifying appends to the history; the last
    /// commit is current. Announces each job's new classification.
    pub async fn classify_jobs(
        &self,
        caller: &Caller,
        input: ClassifyJobs,
    ) -> Result<Vec<(Job, Classification)>, ServiceError> {
        caller.require_authenticated()?;
        check_jobs(&input)?;
        let new = person_decision(
            caller,
            input.classification,
            &input.bugs,
            input.note.as_deref(),
        )?;
        self.require_sheriff_of(caller, &input.jobs).await?;
        let written = self.store.classify_jobs(input.jobs, new, line_keys).await?;
        self.with_jobs(written).await
    }

    /// A person classifies one failure line of a failed job (scope `sheriff:REPO`): the line
    /// shows the decision, and it is a precedent for the autoclassifier; the job's own
    /// classification is left as it is. Announced like a job's.
    pub async fn classify_failure_line(
        &self,
        caller: &Caller,
        input: ClassifyFailureLine,
    ) -> Result<(Job, Classification), ServiceError> {
        caller.require_authenticated()?;
        let new = person_decision(
            caller,
            input.classification,
            &input.bugs,
            input.note.as_deref(),
        )?;
        if input.position < 0 {
            return Err(ServiceError::bad_input(
                "position",
                format!(
                    "position {} is not a line's place: they count from 0",
                    input.position
                ),
            ));
        }
        self.require_sheriff_of(caller, std::slice::from_ref(&input.job))
            .await?;
        let written = self
            .store
            .classify_line(input.job, input.log, input.position, new, line_keys)
            .await?;
        self.announce_classification(written).await
    }

    /// A person classifies one failed test of a failed job (scope `sheriff:REPO`): the test's
    /// result shows the decision; the job's own classification is left as it is. Announced
    /// like a job's.
    pub async fn classify_test(
        &self,
        caller: &Caller,
        input: ClassifyTest,
    ) -> Result<(Job, Classification), ServiceError> {
        caller.require_authenticated()?;
        let new = person_decision(
            caller,
            input.classification,
            &input.bugs,
            input.note.as_deref(),
        )?;
        if input.test.trim().is_empty() {
            return Err(ServiceError::bad_input("test", "name the test to classify"));
        }
        self.require_sheriff_of(caller, std::slice::from_ref(&input.job))
            .await?;
        let subtest = input.subtest.filter(|s| !s.is_empty());
        let written = self
            .store
            .classify_test(input.job, input.test, subtest, new)
            .await?;
        self.announce_classification(written).await
    }

    /// Stores what parsing log `log_id` found (at `now`; under the worker's `claim`, if any)
    /// and, when the autoclassifier is on,
    /// runs it on the log's job in the same transaction; announces and returns its decision
    /// when it classified the job. The parse is stored whatever the autoclassifier makes of it.
    pub async fn store_parse(
        &self,
        log_id: i64,
        claim: Option<i32>,
        parsed: ParsedLog,
        now: i64,
    ) -> Result<Option<Classification>, ServiceError> {
        let autoclassifier = self.autoclassify.window.map(|window| Autoclassifier {
            window,
            keys: line_keys,
        });
        let Some(decided) = self
            .store
            .store_parsed_log(log_id, claim, parsed, now, autoclassifier)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(decided.classification))
    }

    /// Refuses unless every job in `guids` exists and the caller may sheriff its repository.
    async fn require_sheriff_of(
        &self,
        caller: &Caller,
        guids: &[String],
    ) -> Result<(), ServiceError> {
        let repositories = self.store.job_repositories(guids.to_vec()).await?;
        let mut checked = HashSet::new();
        for guid in guids {
            let repository = repositories
                .get(guid)
                .ok_or_else(|| ServiceError::NotFound(format!("no job {guid:?}")))?;
            if checked.insert(repository) {
                caller.require_sheriff(repository)?;
            }
        }
        Ok(())
    }

    /// [`Service::with_jobs`] of one decision.
    async fn announce_classification(
        &self,
        written: Classification,
    ) -> Result<(Job, Classification), ServiceError> {
        self.with_jobs(vec![written])
            .await?
            .pop()
            .ok_or_else(|| ServiceError::Internal("a classified job went missing".into()))
    }

    /// Each decision with its job (the store's change log announced them).
    async fn with_jobs(
        &self,
        written: Vec<Classification>,
    ) -> Result<Vec<(Job, Classification)>, ServiceError> {
        let ids = written.iter().map(|c| c.job_id).collect();
        let mut jobs = self.store.jobs_by_id(ids).await?;
        Ok(written
            .into_iter()
            .filter_map(|c| jobs.remove(&c.job_id).map(|job| (job, c)))
            .collect())
    }
}

/// Who a classification is recorded as: the token's subject, or the trusted network.
fn caller_name(caller: &Caller) -> String {
    match caller {
        Caller::Token { subject, .. } => subject.clone(),
        Caller::Trusted => "trusted network".to_owned(),
        Caller::Anonymous | Caller::Rejected(_) => "anonymous".to_owned(),
    }
}
