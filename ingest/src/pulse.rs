//! Pulse job messages (Treeherder `pulse-job.yml` v1) mapped to jobs.
//!
//! Each message is validated on its own ([`crate::pulse_schema`]) and then mapped; a bad
//! message is rejected with its index and a reason, and never costs the rest of its batch. The
//! mapping mirrors Treeherder's own `JobLoader` where the schema leaves room (the `fail` result
//! splits into TESTFAILED/BUSTED by job kind, the chunk number joins the symbol) and the
//! README's mapping table is the reference for every field.

use serde_json::{Map, Value};
use treeherd_model::{JobKind, JobResult, JobState, NewArtifact, NewJob, NewLog, Revision};

use crate::artifact::guess_kind;
use crate::pulse_schema::{self, Violation};

/// A job as ingested: the job to store, and the earlier runs it ends (coalesced into it, or
/// retried by it).
#[derive(Debug, Clone, PartialEq)]
pub struct IngestedJob {
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
        match parse_pulse_job(index, message) {
            Ok(job) => batch.jobs.push(job),
            Err(rejection) => batch.rejected.push(rejection),
        }
    }
    batch
}

/// Validates and maps one message; `index` is only used to label a rejection.
pub fn parse_pulse_job(index: usize, message: &Value) -> Result<IngestedJob, Rejection> {
    pulse_schema::validate(&pulse_schema::PULSE_JOB, message, pulse_schema::ROOT)
        .and_then(|()| map_job(message))
        .map_err(|violation| Rejection::new(index, violation))
}

/// Maps a message that passed validation. Lookups still fall back instead of unwrapping:
/// the validator and this function must never disagree into a panic.
fn map_job(message: &Value) -> Result<IngestedJob, Violation> {
    let empty = Map::new();
    let root = message.as_object().unwrap_or(&empty);
    let origin = object(root, "origin").unwrap_or(&empty);
    let display = object(root, "display").unwrap_or(&empty);
    let mut attributes = Map::new();

    let run = RunId::of(root)?;
    attributes.insert("taskId".into(), Value::from(run.taskcluster_task_id()));
    attributes.insert("retryId".into(), Value::from(run.retry));

    let repository = string(origin, "project").unwrap_or_default().to_owned();
    let revision_text = string(origin, "revision").unwrap_or_default();
    let revision = revision_text.parse::<Revision>().map_err(|_| {
        Violation::new(
            "origin.revision",
            "must be 40 lowercase hexadecimal digits",
            origin.get("revision"),
        )
    })?;
    record_origin(origin, &mut attributes);

    let kind = match string(root, "jobKind") {
        Some("build") => JobKind::Build,
        Some("test") => JobKind::Test,
        _ => JobKind::Other,
    };
    let is_retried = root.get("isRetried").and_then(Value::as_bool) == Some(true);
    let (state, result) = state_and_result(root, kind, is_retried);

    // Treeherder shows a chunked job as its symbol followed by its chunk number.
    let chunk = display.get("chunkId").and_then(pulse_schema::integer);
    let symbol = format!(
        "{}{}",
        string(display, "jobSymbol").unwrap_or_default(),
        chunk.map(|c| c.to_string()).unwrap_or_default()
    );
    for key in ["chunkId", "chunkCount"] {
        copy(display, key, key, &mut attributes);
    }
    // "?" is Treeherder's placeholder for "no group".
    let group_symbol = string(display, "groupSymbol").filter(|g| *g != "?");

    let (platform, machine) = machine_and_platform(root, &mut attributes);

    for key in ["productName", "labels", "reason", "owner"] {
        copy(root, key, key, &mut attributes);
    }
    if let Some(info) = object(root, "jobInfo") {
        copy(info, "summary", "summary", &mut attributes);
    }

    let job = NewJob {
        guid: run.guid(),
        repository,
        revision: Some(revision),
        kind,
        name: string(display, "jobName").unwrap_or_default().to_owned(),
        symbol: non_empty(&symbol),
        group_symbol: group_symbol.map(str::to_owned),
        group_name: string(display, "groupName").map(str::to_owned),
        platform,
        build_system: string(root, "buildSystem").map(str::to_owned),
        state,
        result,
        tier: root
            .get("tier")
            .and_then(pulse_schema::integer)
            .and_then(|t| i32::try_from(t).ok())
            .unwrap_or(1),
        machine,
        submitted_at: time(root, "timeScheduled"),
        started_at: time(root, "timeStarted"),
        finished_at: time(root, "timeCompleted"),
        attributes,
        logs: logs(root),
        artifacts: artifacts(root),
    };
    Ok(IngestedJob {
        job,
        superseded: strings(root.get("coalesced")),
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
    fn of(root: &'a Map<String, Value>) -> Result<RunId<'a>, Violation> {
        let task_id = string(root, "taskId").unwrap_or_default();
        let retry_field = root.get("retryId").and_then(pulse_schema::integer);
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
                root.get("taskId"),
            ));
        };
        if retry_field.is_some_and(|r| r != retry) {
            return Err(Violation::new(
                "retryId",
                "must equal the /N retry suffix of taskId",
                root.get("retryId"),
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
fn state_and_result(
    root: &Map<String, Value>,
    kind: JobKind,
    is_retried: bool,
) -> (JobState, JobResult) {
    if is_retried {
        return (JobState::Completed, JobResult::Retry);
    }
    let state = match string(root, "state") {
        Some("unscheduled") => JobState::Unscheduled,
        Some("pending") => JobState::Pending,
        Some("running") => JobState::Running,
        _ => JobState::Completed,
    };
    if state != JobState::Completed {
        return (state, JobResult::Unknown);
    }
    let result = match string(root, "result") {
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
fn record_origin(origin: &Map<String, Value>, attributes: &mut Map<String, Value>) {
    copy(origin, "kind", "originKind", attributes);
    copy(origin, "owner", "originOwner", attributes);
    if let Some(id) = origin.get("id") {
        let key = if string(origin, "kind") == Some("github.com") {
            "pullRequestID"
        } else {
            "pushLogID"
        };
        attributes.insert(key.into(), id.clone());
    }
    // Explicit fields win over the generic `id`.
    copy(origin, "pushLogID", "pushLogID", attributes);
    copy(origin, "pullRequestID", "pullRequestID", attributes);
}

/// Platform and machine name come from the machine the job ran on, else the one it was built
/// on; the chosen machine's os and architecture become attributes, and so does the build
/// platform when it differs (a cross-compiled build tested elsewhere).
fn machine_and_platform(
    root: &Map<String, Value>,
    attributes: &mut Map<String, Value>,
) -> (Option<String>, Option<String>) {
    let run = object(root, "runMachine");
    let build = object(root, "buildMachine");
    let Some(chosen) = run.or(build) else {
        return (None, None);
    };
    let platform = string(chosen, "platform").map(str::to_owned);
    let machine = run
        .and_then(|m| string(m, "name"))
        .or_else(|| build.and_then(|m| string(m, "name")))
        .map(str::to_owned);
    copy(chosen, "os", "os", attributes);
    copy(chosen, "architecture", "architecture", attributes);
    if let Some(build_platform) = build.and_then(|m| string(m, "platform")) {
        if platform.as_deref() != Some(build_platform) {
            attributes.insert("buildPlatform".into(), Value::from(build_platform));
        }
    }
    (platform, machine)
}

fn logs(root: &Map<String, Value>) -> Vec<NewLog> {
    array(root, "logs")
        .iter()
        .filter_map(Value::as_object)
        .map(|log| NewLog {
            name: string(log, "name").unwrap_or_default().to_owned(),
            url: string(log, "url").unwrap_or_default().to_owned(),
        })
        .collect()
}

/// A link's `linkText` names it (`errorsummary_json`); its `label` is mostly the generic
/// "artifact uploaded" and names it only when there is no text.
fn artifacts(root: &Map<String, Value>) -> Vec<NewArtifact> {
    let Some(info) = object(root, "jobInfo") else {
        return Vec::new();
    };
    array(info, "links")
        .iter()
        .filter_map(Value::as_object)
        .map(|link| {
            let link_text = string(link, "linkText").unwrap_or_default();
            let url = string(link, "url").unwrap_or_default();
            let name = match link_text {
                "" => string(link, "label").unwrap_or_default(),
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

fn time(map: &Map<String, Value>, key: &str) -> Option<i64> {
    string(map, key).and_then(pulse_schema::parse_date_time)
}

fn object<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    map.get(key).and_then(Value::as_object)
}

fn string<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

fn array<'a>(map: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    map.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn copy(from: &Map<String, Value>, key: &str, to_key: &str, to: &mut Map<String, Value>) {
    if let Some(value) = from.get(key) {
        to.insert(to_key.to_owned(), value.clone());
    }
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
