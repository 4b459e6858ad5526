//! Ingestion of Treeherder pulse job messages, shared by the `ingestPulseJobs` mutation, the
//! `POST /api/jobs` endpoint and the AMQP consumer, so every way in applies the same rules.
//!
//! Each message stands or falls on its own: an invalid one, one for a repository this server
//! does not have, or one the caller may not write is rejected with its index, field and rule,
//! and the rest are stored in one transaction (with the runs they supersede or retry marked).

use async_graphql::SimpleObject;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use treeherd_ingest::{IngestedJob, Rejection, parse_pulse_job};
use treeherd_model::JobResult;
use treeherd_store::{Job, JobMark, NewArtifact, NewJob, NewLog, Store};

use crate::events::{JobEvent, JobEvents};
use crate::{ApiError, Caller};

/// A message that was not taken, and why.
#[derive(SimpleObject, Serialize, Clone, Debug)]
pub struct RejectedMessage {
    /// The message's position in the batch (0-based).
    pub index: i32,
    /// JSON path of the offending field, e.g. `origin.revision`.
    pub field: String,
    /// The rule it breaks, e.g. `required`.
    pub rule: String,
    pub message: String,
}

impl From<Rejection> for RejectedMessage {
    fn from(r: Rejection) -> Self {
        RejectedMessage {
            index: i32::try_from(r.index).unwrap_or(i32::MAX),
            field: r.field,
            rule: r.rule,
            message: r.message,
        }
    }
}

/// What a batch of messages came to.
pub struct IngestOutcome {
    /// The jobs as stored, in message order.
    pub jobs: Vec<Job>,
    pub rejected: Vec<RejectedMessage>,
    /// Earlier runs marked SUPERSEDED or RETRY.
    pub marked: usize,
}

fn into_new_job(job: IngestedJob) -> (NewJob, Vec<JobMark>) {
    let mut marks: Vec<JobMark> = job
        .superseded
        .iter()
        .map(|guid| JobMark {
            guid: guid.clone(),
            repository: job.repository.clone(),
            result: JobResult::Superseded,
        })
        .collect();
    if let Some(previous) = &job.previous_run {
        marks.push(JobMark {
            guid: previous.clone(),
            repository: job.repository.clone(),
            result: JobResult::Retry,
        });
    }
    let new = NewJob {
        guid: job.guid,
        repository: job.repository,
        revision: job.revision,
        kind: job.kind,
        name: job.name,
        symbol: job.symbol,
        group_symbol: job.group_symbol,
        group_name: job.group_name,
        platform: job.platform,
        build_system: job.build_system,
        state: job.state,
        result: job.result,
        tier: job.tier,
        machine: job.machine,
        submitted_at: job.submitted_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        attributes: job.attributes,
        logs: job
            .logs
            .into_iter()
            .map(|log| NewLog {
                name: log.name,
                url: log.url,
            })
            .collect(),
        artifacts: job
            .artifacts
            .into_iter()
            .map(|a| NewArtifact {
                name: a.name,
                kind: a.kind.as_str().to_owned(),
                url: a.url,
                content_type: None,
                size: None,
                sha256: None,
            })
            .collect(),
    };
    (new, marks)
}

/// Validates, authorises and stores a batch of pulse job messages.
pub async fn ingest_pulse(
    store: &Store,
    events: &JobEvents,
    caller: &Caller,
    messages: &[Value],
) -> Result<IngestOutcome, ApiError> {
    caller.require_authenticated()?;
    let repositories = store.repositories().await?;
    let known: HashSet<&str> = repositories.iter().map(|r| r.name.as_str()).collect();
    let mut rejected = Vec::new();
    let mut jobs = Vec::new();
    let mut marks = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let job = match parse_pulse_job(index, message) {
            Ok(job) => job,
            Err(rejection) => {
                rejected.push(rejection.into());
                continue;
            }
        };
        let refuse = |rule: &str, message: String| RejectedMessage {
            index: i32::try_from(index).unwrap_or(i32::MAX),
            field: "origin.project".into(),
            rule: rule.into(),
            message,
        };
        if !known.contains(job.repository.as_str()) {
            rejected.push(refuse(
                "must name a repository of this server",
                format!("message {index}: no repository named {:?}", job.repository),
            ));
            continue;
        }
        if caller.require_write(&job.repository).is_err() {
            rejected.push(refuse(
                "needs a write scope for the repository",
                format!(
                    "message {index}: the caller may not write {:?}",
                    job.repository
                ),
            ));
            continue;
        }
        let (new, job_marks) = into_new_job(job);
        jobs.push(new);
        marks.extend(job_marks);
    }
    let (stored, marked) = if jobs.is_empty() {
        (Vec::new(), 0)
    } else {
        store.ingest_jobs(jobs, marks).await?
    };
    for job in &stored {
        if let Some(repository) = repositories.iter().find(|r| r.id == job.repository_id) {
            events.publish(JobEvent {
                repository: repository.name.clone(),
                job: job.clone(),
            });
        }
    }
    Ok(IngestOutcome {
        jobs: stored,
        rejected,
        marked,
    })
}
