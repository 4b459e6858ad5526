//! Ingestion of Treeherder pulse job messages, shared by the `ingestPulseJobs` mutation, the
//! `POST /api/jobs` endpoint and the AMQP consumer, so every way in applies the same rules.
//!
//! Each message stands or falls on its own: an invalid one, one for a repository this server
//! does not have, one the caller may not write, or one whose guid is a job of another
//! repository (stored, or earlier in the batch) is rejected with its index, field and rule,
//! and the rest are stored in one transaction (with the runs they supersede or retry marked).
//! A valid message the job lifecycle refuses (a completed job sent again with another result)
//! changes nothing and is reported as an [`IgnoredJob`], here and by `submitJobs`.

use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use treeherd_ingest::{IngestedJob, PulseBatch, Rejection, parse_pulse_jobs};
use treeherd_model::JobResult;
use treeherd_store::{Job, JobMark, JobsWritten};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::service::Service;

/// A message that was not taken, and why.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
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

/// A job version that was valid but changed nothing: the job lifecycle refused it (state never
/// moves back; a completed job changes only to be marked SUPERSEDED or RETRY). The job stays as
/// it is, and is in the answer's `jobs` as such.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct IgnoredJob {
    /// Its position in the batch (0-based): the message's, or the input's.
    pub index: i32,
    pub guid: String,
    /// Why, naming the state and result that stand.
    pub reason: String,
}

impl IgnoredJob {
    /// The store's report, with its index mapped to the caller's batch by `index_of` (the
    /// store's index is the position among the jobs it was given).
    pub(crate) fn from_store(
        ignored: treeherd_store::IgnoredJob,
        index_of: impl Fn(usize) -> usize,
    ) -> IgnoredJob {
        IgnoredJob {
            index: i32::try_from(index_of(ignored.index)).unwrap_or(i32::MAX),
            guid: ignored.guid,
            reason: ignored.reason,
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
    /// Valid messages the job lifecycle refused, in message order.
    pub ignored: Vec<IgnoredJob>,
}

/// The earlier runs an ingested job ends: those coalesced into it, and the one it retries.
fn marks(ingested: &IngestedJob) -> impl Iterator<Item = JobMark> + '_ {
    let mark = |guid: &String, result| JobMark {
        guid: guid.clone(),
        repository: ingested.job.repository.clone(),
        result,
    };
    let superseded = ingested
        .superseded
        .iter()
        .map(move |guid| mark(guid, JobResult::Superseded));
    let retried = ingested
        .previous_run
        .iter()
        .map(move |guid| mark(guid, JobResult::Retry));
    superseded.chain(retried)
}

impl Service {
    /// Validates, authorises and stores a batch of pulse job messages.
    #[tracing::instrument(skip_all, fields(messages = messages.len()))]
    pub async fn ingest_pulse(
        &self,
        caller: &Caller,
        messages: &[Value],
    ) -> Result<IngestOutcome, ServiceError> {
        // Checked before parsing too, so an anonymous batch costs no parse.
        caller.require_authenticated()?;
        self.ingest_parsed(caller, parse_pulse_jobs(messages)).await
    }

    /// Authorises and stores a batch already validated and mapped ([`parse_pulse_jobs`]): the
    /// AMQP consumer parses the next batch while this one commits. Rejections come back in
    /// message order, the parser's and this function's together.
    #[tracing::instrument(skip_all, fields(jobs = batch.jobs.len(), rejected = batch.rejected.len()))]
    pub async fn ingest_parsed(
        &self,
        caller: &Caller,
        batch: PulseBatch,
    ) -> Result<IngestOutcome, ServiceError> {
        ingest_parsed(self, caller, batch).await
    }
}

async fn ingest_parsed(
    service: &Service,
    caller: &Caller,
    batch: PulseBatch,
) -> Result<IngestOutcome, ServiceError> {
    caller.require_authenticated()?;
    let PulseBatch {
        jobs: parsed,
        rejected: unparsed,
    } = batch;
    let mut rejected: Vec<RejectedMessage> = unparsed.into_iter().map(Into::into).collect();
    if parsed.is_empty() {
        return Ok(IngestOutcome {
            jobs: Vec::new(),
            rejected,
            marked: 0,
            ignored: Vec::new(),
        });
    }
    let repositories = service.store().repositories().await?;
    let known: HashSet<&str> = repositories.iter().map(|r| r.name.as_str()).collect();
    let mut jobs = Vec::with_capacity(parsed.len());
    // The message index of each job taken.
    let mut indexes = Vec::with_capacity(parsed.len());
    let mut marks = Vec::new();
    // A guid belongs to one repository: the message that gives it another one than an
    // earlier message of the batch, or than the job stored under it, is rejected alone.
    let mut first: HashMap<String, (usize, String)> = HashMap::with_capacity(parsed.len());
    let stored = service
        .store()
        .job_repositories(parsed.iter().map(|j| j.job.guid.clone()).collect())
        .await?;
    for ingested in parsed {
        let index = ingested.index;
        let refuse = |rule: &str, message: String| RejectedMessage {
            index: i32::try_from(index).unwrap_or(i32::MAX),
            field: "origin.project".into(),
            rule: rule.into(),
            message,
        };
        let repository = &ingested.job.repository;
        if !known.contains(repository.as_str()) {
            rejected.push(refuse(
                "must name a repository of this server",
                format!("message {index}: no repository named {repository:?}"),
            ));
            continue;
        }
        if caller.require_write(repository).is_err() {
            rejected.push(refuse(
                "needs a write scope for the repository",
                format!("message {index}: the caller may not write {repository:?}"),
            ));
            continue;
        }
        let guid = &ingested.job.guid;
        let clash = match (stored.get(guid), first.get(guid)) {
            (Some(owner), _) if owner != repository => Some(format!(
                "message {index}: job {guid:?} belongs to repository {owner:?}"
            )),
            (_, Some((at, owner))) if owner != repository => Some(format!(
                "message {index}: job {guid:?} is message {at}'s, of repository {owner:?}"
            )),
            _ => None,
        };
        if let Some(message) = clash {
            rejected.push(RejectedMessage {
                index: i32::try_from(index).unwrap_or(i32::MAX),
                field: "taskId".into(),
                rule: "must name a job of the message's repository".into(),
                message,
            });
            continue;
        }
        first
            .entry(guid.clone())
            .or_insert_with(|| (index, repository.clone()));
        marks.extend(self::marks(&ingested));
        indexes.push(index);
        jobs.push(ingested.job);
    }
    rejected.sort_by_key(|r| r.index);
    let JobsWritten {
        jobs: stored,
        marked,
        ignored,
    } = if jobs.is_empty() {
        JobsWritten::default()
    } else {
        service.write_jobs(jobs, marks).await?
    };
    let ignored = ignored
        .into_iter()
        .map(|i| IgnoredJob::from_store(i, |at| indexes.get(at).copied().unwrap_or(at)))
        .collect();
    Ok(IngestOutcome {
        jobs: stored,
        rejected,
        marked,
        ignored,
    })
}
