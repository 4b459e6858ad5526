//! Pulse job messages (Treeherder `pulse-job.yml` v1) mapped to jobs.
//!
//! Each message is validated on its own ([`crate::pulse_schema`]) and then mapped; a bad
//! message is rejected with its index and a reason, and never costs the rest of its batch. The
//! mapping mirrors Treeherder's own `JobLoader` where the schema leaves room (the `fail` result
//! splits into TESTFAILED/BUSTED by job kind, the chunk number joins the symbol) and the
//! README's mapping table is the reference for every field.

use serde::Deserialize;
use serde_json::{Map, Value};
use treeherd_model::{JobKind, JobResult, JobState, NewArtifact, NewJob, NewLog, Revision};

use crate::artifact::guess_kind;
use crate::body::{BodyError, Framed, split_pulse_lines};
use crate::pulse_message::{Integer, Origin, PulseMessage, Text};
use crate::pulse_schema::{self, Violation};

/// A job as ingested: the job to store, and the earlier runs it ends (coalesced into it, or
/// retried by it).
#[derive(Debug, Clone, PartialEq)]
pub struct IngestedJob {
    /// The message's position in its batch (0-based), as a [`Rejection`] names it.
    pub index: usize,
    /// `taskId/retryId` is the guid; `origin.project` the repository; `origin.revision` the
    /// push; `logs` become its logs and `jobInfo.links` its artifacts.
    pub job: NewJob,
    /// Guids of the jobs coalesced into this one: they become SUPERSEDED.
    pub superseded: Vec<String>,
    /// The guid of the run this one retries (`taskId/(retryId - 1)`): it becomes RETRY.
    pub previous_run: Option<String>,
}

/// Why a message of a batch was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message {index}: {message}")]
pub struct Rejection {
    /// The message's position in its batch (0-based).
    pub index: usize,
    /// JSON path of the offending field, e.g. `origin.revision` or `logs[0].url`; `$` for the
    /// message itself.
    pub field: String,
    /// The rule broken, e.g. `required` or `must be one of pending, running, completed`.
    pub rule: String,
    /// A sentence for logs and API replies, quoting the offending value.
    pub message: String,
}

impl Rejection {
    fn new(index: usize, violation: Violation) -> Rejection {
        Rejection {
            index,
            field: violation.field,
            rule: violation.rule,
            message: violation.message,
        }
    }
}

/// The outcome of a batch: the jobs taken, in message order, and the messages rejected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PulseBatch {
    pub jobs: Vec<IngestedJob>,
    pub rejected: Vec<Rejection>,
}

/// Validates and maps every message of a batch; each stands or falls on its own.
pub fn parse_pulse_jobs(messages: &[Value]) -> PulseBatch {
    let mut batch = PulseBatch::default();
    for (index, message) in messages.iter().enumerate() {
        batch.push(parse_pulse_job(index, message));
    }
    batch
}

/// Validates and maps one message; `index` is its position in its batch, which labels the
/// job or the rejection. This is the exact way: the validator judges the `Value`, then the
/// typed message is read from it and mapped.
pub fn parse_pulse_job(index: usize, message: &Value) -> Result<IngestedJob, Rejection> {
    if crate::value_has_nul(message) {
        return Err(with_nul(index));
    }
    pulse_schema::validate(&pulse_schema::PULSE_JOB, message, pulse_schema::ROOT)
        .and_then(|()| {
            PulseMessage::deserialize(message).map_err(|e| {
                // The validator and the typed message describe one schema; a message one
                // takes and the other refuses is our bug, reported rather than panicked on.
                Violation::new(
                    pulse_schema::ROOT,
                    format!("could not be read after validation ({e})"),
                    None,
                )
            })
        })
        .and_then(|typed| map_job(index, &typed))
        .map_err(|violation| Rejection::new(index, violation))
}

/// Validates and maps one message given as JSON text (a slice of a request body or an AMQP
/// delivery). The fast way first (`pulse_message.rs`): read straight into the typed
/// message and judged by the schema's rules; anything it does not take goes the exact way
/// ([`parse_pulse_job`]), which words the rejection, so the answer is always the exact one.
pub fn parse_pulse_text(index: usize, text: &str) -> Result<IngestedJob, Rejection> {
    if crate::json_text_has_nul(text.as_bytes()) {
        return Err(with_nul(index));
    }
    if let Ok(typed) = serde_json::from_str::<PulseMessage>(text) {
        if typed.keeps_the_rules() {
            return map_job(index, &typed).map_err(|violation| Rejection::new(index, violation));
        }
    }
    match serde_json::from_str::<Value>(text) {
        Ok(message) => parse_pulse_job(index, &message),
        // The body was split into well-formed messages, so this is unreachable in practice.
        Err(e) => Err(Rejection::new(
            index,
            Violation::new(pulse_schema::ROOT, format!("must be JSON ({e})"), None),
        )),
    }
}

/// A message with a NUL somewhere in it (`crate::nul`).
fn with_nul(index: usize) -> Rejection {
    Rejection::new(
        index,
        Violation {
            field: pulse_schema::ROOT.to_owned(),
            rule: crate::NUL_RULE.to_owned(),
            message: format!("the message {}", crate::NUL_RULE),
        },
    )
}

impl PulseBatch {
    fn push(&mut self, outcome: Result<IngestedJob, Rejection>) {
        match outcome {
            Ok(job) => self.jobs.push(job),
            Err(rejection) => self.rejected.push(rejection),
        }
    }

    /// Appends another batch's jobs and rejections (an AMQP batch is many deliveries).
    pub fn extend(&mut self, other: PulseBatch) {
        self.jobs.extend(other.jobs);
        self.rejected.extend(other.rejected);
    }
}

/// Splits a body into messages ([`crate::split_pulse_lines`]) and parses each the fast way,
/// numbering them from `first_index`. An NDJSON line that is not JSON is rejected alone;
/// only a body that is one malformed JSON text fails as a whole.
pub fn parse_pulse_batch(body: &[u8], first_index: usize) -> Result<PulseBatch, BodyError> {
    let messages = split_pulse_lines(body)?;
    let mut batch = PulseBatch {
        jobs: Vec::with_capacity(messages.len()),
        rejected: Vec::new(),
    };
    for (i, message) in messages.iter().enumerate() {
        let index = first_index + i;
        batch.push(match message {
            Framed::Message(text) => parse_pulse_text(index, text.get()),
            Framed::Malformed {
                line,
                column,
                message,
            } => Err(Rejection::new(
                index,
                Violation {
                    field: pulse_schema::ROOT.to_owned(),
                    rule: "must be JSON".to_owned(),
                    message: format!("line {line}, column {column} is not JSON: {message}"),
                },
            )),
        });
    }
    Ok(batch)
}

/// Maps a message that keeps the schema's rules. What the schema cannot say (a retry number
/// in `taskId` that disagrees with `retryId`) is still refused here.
fn map_job(index: usize, message: &PulseMessage<'_>) -> Result<IngestedJob, Violation> {
    let origin = &message.origin;
    let display = &message.display;
    let mut attributes = Map::new();

    let run = RunId::of(message)?;
    attributes.insert("taskId".into(), Value::from(run.taskcluster_task_id()));
    attributes.insert("retryId".into(), Value::from(run.retry));

    let revision = origin.revision.as_str().parse::<Revision>().map_err(|_| {
        Violation::new(
            "origin.revision",
            "must be 40 lowercase hexadecimal digits",
            Some(&Value::from(origin.revision.as_str())),
        )
    })?;
    record_origin(origin, &mut attributes);

    let kind = match message.job_kind.as_str() {
        "build" => JobKind::Build,
        "test" => JobKind::Test,
        _ => JobKind::Other,
    };
    let (state, result) = state_and_result(message, kind);

    // Treeherder shows a chunked job as its symbol followed by its chunk number.
    let symbol = match display.chunk_id {
        Some(Integer(chunk)) => format!("{}{chunk}", display.job_symbol.as_str()),
        None => display.job_symbol.as_str().to_owned(),
    };
    for (key, value) in [
        ("chunkId", display.chunk_id),
        ("chunkCount", display.chunk_count),
    ] {
        if let Some(Integer(n)) = value {
            attributes.insert(key.into(), Value::from(n));
        }
    }
    // "?" is Treeherder's placeholder for "no group".
    let group_symbol = Some(display.group_symbol.as_str()).filter(|g| *g != "?");

    let (platform, machine) = machine_and_platform(message, &mut attributes);

    for (key, value) in [
        ("productName", &message.product_name),
        ("reason", &message.reason),
        ("owner", &message.owner),
    ] {
        if let Some(text) = value {
            attributes.insert(key.into(), Value::from(text.as_str()));
        }
    }
    if let Some(labels) = &message.labels {
        let labels = labels.iter().map(|l| Value::from(l.as_str())).collect();
        attributes.insert("labels".into(), Value::Array(labels));
    }
    if let Some(summary) = message.job_info.as_ref().and_then(|i| i.summary.as_ref()) {
        attributes.insert("summary".into(), Value::from(summary.as_str()));
    }

    let job = NewJob {
        guid: run.guid(),
        repository: origin.project.as_str().to_owned(),
        revision: Some(revision),
        kind,
        name: display.job_name.as_str().to_owned(),
        symbol: non_empty(&symbol),
        group_symbol: group_symbol.map(str::to_owned),
        group_name: display.group_name.as_ref().map(|g| g.as_str().to_owned()),
        platform,
        build_system: Some(message.build_system.as_str().to_owned()),
        state,
        result,
        tier: message
            .tier
            .and_then(|Integer(t)| i32::try_from(t).ok())
            .unwrap_or(1),
        machine,
        submitted_at: time(&message.time_scheduled),
        started_at: time(&message.time_started),
        finished_at: time(&message.time_completed),
        attributes,
        logs: logs(message),
        artifacts: artifacts(message),
    };
    Ok(IngestedJob {
        index,
        job,
        superseded: message
            .coalesced
            .iter()
            .flatten()
            .map(|guid| guid.as_str().to_owned())
            .collect(),
        previous_run: run.previous_guid(),
    })
}

/// Which task and which run of it a message is about.
///
/// Treeherder's guid is `taskId/retryId`, and real messages (the sample data included) often
/// already carry it whole in `taskId` (`<uuid>/0`). So a numeric `/N` suffix on `taskId` is
/// the retry id; `retryId`, when also given, must agree with it.
struct RunId<'a> {
    task: &'a str,
    retry: i64,
}

impl<'a> RunId<'a> {
    fn of(message: &'a PulseMessage<'_>) -> Result<RunId<'a>, Violation> {
        let task_id = message.task_id.as_str();
        let retry_field = message.retry_id.map(|Integer(n)| n);
        let embedded = task_id.rsplit_once('/').and_then(|(task, suffix)| {
            let numeric = !task.is_empty()
                && !suffix.is_empty()
                && suffix.bytes().all(|b| b.is_ascii_digit());
            numeric.then_some((task, suffix))
        });
        let Some((task, suffix)) = embedded else {
            return Ok(RunId {
                task: task_id,
                retry: retry_field.unwrap_or(0),
            });
        };
        let Ok(retry) = suffix.parse::<i64>() else {
            return Err(Violation::new(
                "taskId",
                "must end in a retry number that fits 64 bits",
                Some(&Value::from(task_id)),
            ));
        };
        if let Some(field) = retry_field.filter(|r| *r != retry) {
            return Err(Violation::new(
                "retryId",
                "must equal the /N retry suffix of taskId",
                Some(&Value::from(field)),
            ));
        }
        Ok(RunId { task, retry })
    }

    fn guid(&self) -> String {
        format!("{}/{}", self.task, self.retry)
    }

    fn previous_guid(&self) -> Option<String> {
        (self.retry > 0).then(|| format!("{}/{}", self.task, self.retry - 1))
    }

    /// The Taskcluster task id: Treeherder's guids hold it as a dashed UUID, Taskcluster
    /// names tasks by the same 16 bytes as a url-safe base64 "slug". The slug is what task
    /// graphs and queue definitions use, so it is the key that joins the two worlds.
    fn taskcluster_task_id(&self) -> String {
        uuid_to_slug(self.task).unwrap_or_else(|| self.task.to_owned())
    }
}

/// `state` and `result`, with the rules the schema only implies: a job that is not completed
/// has no result yet, and a retried run is a completed RETRY whatever else it says.
fn state_and_result(message: &PulseMessage<'_>, kind: JobKind) -> (JobState, JobResult) {
    if message.is_retried == Some(true) {
        return (JobState::Completed, JobResult::Retry);
    }
    let state = match message.state.as_str() {
        "unscheduled" => JobState::Unscheduled,
        "pending" => JobState::Pending,
        "running" => JobState::Running,
        _ => JobState::Completed,
    };
    if state != JobState::Completed {
        return (state, JobResult::Unknown);
    }
    let result = match message.result.as_ref().map(Text::as_str) {
        Some("success") => JobResult::Success,
        // Treeherder: a failing test is TESTFAILED, a failing anything else BUSTED.
        Some("fail") if kind == JobKind::Test => JobResult::TestFailed,
        Some("fail") => JobResult::Busted,
        Some("exception") => JobResult::Exception,
        Some("retry") => JobResult::Retry,
        Some("canceled") => JobResult::UserCancel,
        Some("superseded") => JobResult::Superseded,
        _ => JobResult::Unknown,
    };
    (state, result)
}

/// Origin fields beyond project and revision, kept as attributes. The yml's `id` is the hg
/// push log id, or for GitHub the pull request number.
fn record_origin(origin: &Origin<'_>, attributes: &mut Map<String, Value>) {
    let kind = origin.kind.as_ref().map(Text::as_str);
    if let Some(kind) = kind {
        attributes.insert("originKind".into(), Value::from(kind));
    }
    if let Some(owner) = &origin.owner {
        attributes.insert("originOwner".into(), Value::from(owner.as_str()));
    }
    if let Some(Integer(id)) = origin.id {
        let key = if kind == Some("github.com") {
            "pullRequestID"
        } else {
            "pushLogID"
        };
        attributes.insert(key.into(), Value::from(id));
    }
    // Explicit fields win over the generic `id`.
    if let Some(Integer(id)) = origin.push_log_id {
        attributes.insert("pushLogID".into(), Value::from(id));
    }
    if let Some(Integer(id)) = origin.pull_request_id {
        attributes.insert("pullRequestID".into(), Value::from(id));
    }
}

/// Platform and machine name come from the machine the job ran on, else the one it was built
/// on; the chosen machine's os and architecture become attributes, and so does the build
/// platform when it differs (a cross-compiled build tested elsewhere).
fn machine_and_platform(
    message: &PulseMessage<'_>,
    attributes: &mut Map<String, Value>,
) -> (Option<String>, Option<String>) {
    let run = message.run_machine.as_ref();
    let build = message.build_machine.as_ref();
    let Some(chosen) = run.or(build) else {
        return (None, None);
    };
    let platform = chosen.platform.as_str();
    let machine = run
        .and_then(|m| m.name.as_ref())
        .or_else(|| build.and_then(|m| m.name.as_ref()))
        .map(|name| name.as_str().to_owned());
    attributes.insert("os".into(), Value::from(chosen.os.as_str()));
    attributes.insert(
        "architecture".into(),
        Value::from(chosen.architecture.as_str()),
    );
    if let Some(build) = build {
        if build.platform.as_str() != platform {
            attributes.insert("buildPlatform".into(), Value::from(build.platform.as_str()));
        }
    }
    (Some(platform.to_owned()), machine)
}

fn logs(message: &PulseMessage<'_>) -> Vec<NewLog> {
    message
        .logs
        .iter()
        .flatten()
        .map(|log| NewLog {
            name: log.name.as_str().to_owned(),
            url: log.url.as_str().to_owned(),
        })
        .collect()
}

/// A link's `linkText` names it (`errorsummary_json`); its `label` is mostly the generic
/// "artifact uploaded" and names it only when there is no text.
fn artifacts(message: &PulseMessage<'_>) -> Vec<NewArtifact> {
    let links = message
        .job_info
        .as_ref()
        .and_then(|info| info.links.as_ref());
    links
        .into_iter()
        .flatten()
        .map(|link| {
            let link_text = link.link_text.as_str();
            let url = link.url.as_str();
            let name = match link_text {
                "" => link.label.as_str(),
                text => text,
            };
            NewArtifact {
                name: name.to_owned(),
                kind: guess_kind(link_text, url),
                url: url.to_owned(),
                content_type: None,
                size: None,
                sha256: None,
            }
        })
        .collect()
}

fn time(text: &Option<Text<'_>>) -> Option<i64> {
    text.as_ref()
        .and_then(|t| pulse_schema::parse_date_time(t.as_str()))
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// A dashed UUID (`008dcdae-bde0-4834-a967-d13d681037ae`) as a Taskcluster slug: its 16 bytes
/// in url-safe base64 without padding. `None` for anything that is not a dashed UUID.
fn uuid_to_slug(uuid: &str) -> Option<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let dashes_at = [8, 13, 18, 23];
    if uuid.len() != 36
        || !uuid
            .bytes()
            .enumerate()
            .all(|(i, b)| (b == b'-') == dashes_at.contains(&i))
    {
        return None;
    }
    let hex: Vec<u8> = uuid.bytes().filter(|b| *b != b'-').collect();
    let mut bytes = Vec::with_capacity(16);
    for pair in hex.chunks(2) {
        let text = std::str::from_utf8(pair).ok()?;
        bytes.push(u8::from_str_radix(text, 16).ok()?);
    }
    let mut slug = String::with_capacity(22);
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        // A full group gives 4 characters, the final single byte gives 2.
        let chars = group.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            slug.push(char::from(ALPHABET[index as usize]));
        }
    }
    Some(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_become_taskcluster_slugs() {
        // From Treeherder's sample data: this uuid's task is AI3Nrr3gSDSpZ9E9aBA3rg
        // (its log URL names it).
        assert_eq!(
            uuid_to_slug("008dcdae-bde0-4834-a967-d13d681037ae").as_deref(),
            Some("AI3Nrr3gSDSpZ9E9aBA3rg")
        );
        assert_eq!(uuid_to_slug("AI3Nrr3gSDSpZ9E9aBA3rg"), None);
        assert_eq!(uuid_to_slug("008dcdae-bde0-4834-a967-d13d681037ag"), None);
        assert_eq!(uuid_to_slug("008dcdae-bde0-4834-a967d-13d681037ae"), None);
        assert_eq!(uuid_to_slug("é08dcdae-bde0-4834-a967-d13d681037a"), None);
    }
}
