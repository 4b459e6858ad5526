//! Sheriffing writes: a person classifies failed jobs (`sheriff:REPO` scope), and the
//! autoclassifier classifies a job whose every failure line recurs from one a person called
//! intermittent. Both go through the store's one classification path and are announced on
//! `Changes::classifications` after they commit.
//!
//! How the autoclassifier keeps from hiding a regression:
//! - only a *person's* judgement is a precedent (never the autoclassifier's own), and the
//!   latest person's judgement of the recurrence key in the window decides: once someone says
//!   "fixed by commit", matching lines wait for a person again (`model/src/autoclassify.rs`);
//! - the precedent must be recent (`AutoclassifyOptions::window`, 14 days by default);
//! - every failure line of the job must match: one new line leaves the whole job to people;
//! - a precedent whose bug is known locally and resolved (FIXED, WONTFIX, ...) does not count:
//!   a failure that recurs after its bug was closed is news, not noise;
//! - it never overrides a person, checked inside the writing transaction; an autoclassified
//!   job shows as such (classification 7, who = "autoclassifier") and a person can reclassify.

use std::collections::HashSet;
use treeherd_logparse::LineSearch;
use treeherd_model::autoclassify::{
    Autoclassification, FailureLine as ModelLine, Precedent, RecurrenceKey, Window, classify_job,
    classify_line,
};
use treeherd_model::{BugId, FailureClassification};
use treeherd_store::{Classification, FailureLine, Job, NewClassification};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::events::ClassificationEvent;
use crate::service::Service;

/// Who the autoclassifier's decisions are recorded as.
pub const AUTOCLASSIFIER: &str = "autoclassifier";

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
    let search = LineSearch::of(line);
    (
        search.terms.path_end.unwrap_or_default(),
        search.recurrence_key,
    )
}

fn check(input: &ClassifyJobs) -> Result<(Vec<BugId>, Option<String>), ServiceError> {
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
    if input.classification == FailureClassification::AutoclassifiedIntermittent {
        return Err(ServiceError::bad_input(
            "classification",
            "AUTOCLASSIFIED_INTERMITTENT is the autoclassifier's own; classify as INTERMITTENT",
        ));
    }
    if input.bugs.len() > MAX_BUGS {
        return Err(ServiceError::bad_input(
            "bugs",
            format!("{} bugs; at most {MAX_BUGS}", input.bugs.len()),
        ));
    }
    let mut bugs = Vec::with_capacity(input.bugs.len());
    for (i, &bug) in input.bugs.iter().enumerate() {
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
    let note = match input.note.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(note) if note.chars().count() > MAX_NOTE_CHARS => {
            return Err(ServiceError::bad_input(
                "note",
                format!("the note is longer than {MAX_NOTE_CHARS} characters"),
            ));
        }
        Some(note) => Some(note.to_owned()),
    };
    Ok((bugs, note))
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
        let (bugs, note) = check(&input)?;
        let repositories = self.store.job_repositories(input.jobs.clone()).await?;
        let mut checked = HashSet::new();
        for guid in &input.jobs {
            let repository = repositories
                .get(guid)
                .ok_or_else(|| ServiceError::NotFound(format!("no job {guid:?}")))?;
            if checked.insert(repository) {
                caller.require_sheriff(repository)?;
            }
        }
        let new = NewClassification {
            classification: input.classification,
            bugs,
            note,
            who: caller_name(caller),
            at: chrono::Utc::now().timestamp_micros(),
        };
        let written = self.store.classify_jobs(input.jobs, new, line_keys).await?;
        self.announce_classifications(written).await
    }

    /// Runs the autoclassifier on the job of a log just parsed; returns its decision when it
    /// classified the job.
    pub async fn autoclassify(&self, job_id: i64) -> Result<Option<Classification>, ServiceError> {
        let Some(window) = self.autoclassify.window else {
            return Ok(None);
        };
        let job_id = treeherd_model::JobId(job_id);
        let Some(job) = self.store.jobs_by_id(vec![job_id]).await?.remove(&job_id) else {
            return Ok(None);
        };
        if !treeherd_store::FAILED_RESULTS.contains(&job.result) {
            return Ok(None);
        }
        let lines = self
            .store
            .failure_lines(vec![job_id])
            .await?
            .remove(&job_id)
            .unwrap_or_default();
        if lines.is_empty() {
            return Ok(None);
        }
        let current = self
            .store
            .current_classifications(vec![job_id])
            .await?
            .remove(&job_id);
        if current.as_ref().is_some_and(|c| {
            !c.automatic && c.classification != FailureClassification::NotClassified
        }) {
            return Ok(None);
        }
        let failed_at = job
            .finished_at
            .or(job.started_at)
            .or(job.submitted_at)
            .unwrap_or(0);
        let keyed: Vec<(FailureLine, (String, String))> = lines
            .into_iter()
            .map(|line| {
                let keys = line_keys(&line.line);
                (line, keys)
            })
            .collect();
        let mut keys: Vec<String> = keyed.iter().map(|(_, (_, key))| key.clone()).collect();
        keys.sort();
        keys.dedup();
        let window_micros = i64::try_from(window.as_micros()).unwrap_or(i64::MAX);
        let precedents = self
            .store
            .line_precedents(
                job.repository_id,
                keys,
                failed_at.saturating_sub(window_micros),
                failed_at,
            )
            .await?;
        let resolved = self.resolved_bugs(&precedents).await?;
        let history: Vec<Precedent> = precedents
            .into_iter()
            .filter(|p| !p.bugs.iter().any(|b| resolved.contains(b)))
            .map(|p| Precedent {
                repository: p.repository_id,
                key: RecurrenceKey {
                    test: p.test,
                    message: p.key,
                },
                at: p.failed_at,
                classification: p.classification,
                bugs: p.bugs,
            })
            .collect();
        let decisions: Vec<Autoclassification> = keyed
            .iter()
            .map(|(_, (test, key))| {
                let line = ModelLine {
                    repository: job.repository_id,
                    key: RecurrenceKey {
                        test: test.clone(),
                        message: key.clone(),
                    },
                    failed_at,
                    line: FailureClassification::NotClassified,
                    job: FailureClassification::NotClassified,
                };
                classify_line(&line, &history, Window(window))
            })
            .collect();
        let Autoclassification::Classify { bugs } =
            classify_job(FailureClassification::NotClassified, &decisions)
        else {
            return Ok(None);
        };
        let new = NewClassification {
            classification: FailureClassification::AutoclassifiedIntermittent,
            bugs,
            note: None,
            who: AUTOCLASSIFIER.to_owned(),
            at: chrono::Utc::now().timestamp_micros(),
        };
        let guid = job.guid.clone();
        if !self
            .store
            .autoclassify_job(guid.clone(), new, keyed)
            .await?
        {
            return Ok(None);
        }
        let current = self
            .store
            .current_classifications(vec![job_id])
            .await?
            .remove(&job_id);
        let Some(current) = current else {
            return Ok(None);
        };
        self.announce_classifications(vec![current.clone()]).await?;
        Ok(Some(current))
    }

    /// The bugs among the precedents' that are stored and resolved.
    async fn resolved_bugs(
        &self,
        precedents: &[treeherd_store::LinePrecedent],
    ) -> Result<HashSet<BugId>, ServiceError> {
        let mut ids: Vec<BugId> = precedents.iter().flat_map(|p| p.bugs.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let bugs = self.store.bugs(ids).await?;
        Ok(bugs
            .into_iter()
            .filter(|(_, bug)| bug.resolution.is_some())
            .map(|(id, _)| id)
            .collect())
    }

    /// Publishes each classification with its job and repository; gives them back.
    async fn announce_classifications(
        &self,
        written: Vec<Classification>,
    ) -> Result<Vec<(Job, Classification)>, ServiceError> {
        let ids = written.iter().map(|c| c.job_id).collect();
        let mut jobs = self.store.jobs_by_id(ids).await?;
        let repositories = self.store.repositories().await?;
        let mut out = Vec::with_capacity(written.len());
        for classification in written {
            let Some(job) = jobs.remove(&classification.job_id) else {
                continue;
            };
            if let Some(repository) = repositories.iter().find(|r| r.id == job.repository_id) {
                self.changes.classifications.publish(ClassificationEvent {
                    repository: repository.name.clone(),
                    job: job.clone(),
                    classification: classification.clone(),
                });
            }
            out.push((job, classification));
        }
        Ok(out)
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
