//! How each pulse field lands in a job: retries, results by kind, symbols, machines, origin.

use serde_json::{Value, json};
use treeherd_ingest::IngestedJob;
use treeherd_model::{ArtifactKind, JobKind, JobResult, JobState, NewJob};

use crate::{edit, parse_both_ways, valid_message};

/// The base message with `edits`, ingested.
fn ingested(edits: &[(&str, Option<Value>)]) -> IngestedJob {
    let message = edits.iter().fold(valid_message(), |m, (path, value)| {
        edit(m, path, value.clone())
    });
    match parse_both_ways(0, &message) {
        Ok(job) => job,
        Err(rejection) => panic!("{message}: {rejection}"),
    }
}

/// The job of the base message with `edits`.
fn job(edits: &[(&str, Option<Value>)]) -> NewJob {
    ingested(edits).job
}

fn set(path: &str, value: Value) -> (&str, Option<Value>) {
    (path, Some(value))
}

#[test]
fn the_base_message() {
    let job = job(&[]);
    assert_eq!(job.guid, "a0yJRHtkQzW-tp7nzieXSA/0");
    assert_eq!(job.repository, "try");
    assert_eq!(job.kind, JobKind::Build);
    assert_eq!(job.name, "build-linux64/debug");
    assert_eq!(job.symbol.as_deref(), Some("B"));
    // "?" is no group.
    assert_eq!(job.group_symbol, None);
    assert_eq!(job.group_name, None);
    assert_eq!(
        (job.state, job.result),
        (JobState::Completed, JobResult::Success)
    );
    assert_eq!(job.tier, 1);
    assert_eq!(
        (job.platform.as_deref(), job.machine.as_deref()),
        (None, None)
    );
    assert_eq!(
        (job.submitted_at, job.started_at, job.finished_at),
        (None, None, None)
    );
    assert_eq!(
        Value::Object(job.attributes),
        json!({"taskId": "a0yJRHtkQzW-tp7nzieXSA", "retryId": 0})
    );
}

#[test]
fn retry_ids_make_guids_and_point_at_the_previous_run() {
    let second = ingested(&[set("retryId", json!(2))]);
    assert_eq!(second.job.guid, "a0yJRHtkQzW-tp7nzieXSA/2");
    assert_eq!(
        second.previous_run.as_deref(),
        Some("a0yJRHtkQzW-tp7nzieXSA/1")
    );

    // Treeherder's own messages put the whole guid in taskId.
    let embedded = ingested(&[("retryId", None), set("taskId", json!("abc/3"))]);
    assert_eq!(embedded.job.guid, "abc/3");
    assert_eq!(embedded.previous_run.as_deref(), Some("abc/2"));
    assert_eq!(embedded.job.attributes["retryId"], json!(3));

    let agreeing = job(&[set("taskId", json!("abc/1")), set("retryId", json!(1))]);
    assert_eq!(agreeing.guid, "abc/1");

    // A slash without a number is part of the task id.
    let odd = ingested(&[set("taskId", json!("a/b"))]);
    assert_eq!((odd.job.guid.as_str(), odd.previous_run), ("a/b/0", None));
}

#[test]
fn results_by_state_and_kind() {
    let check = |state: &str, result: Option<&str>, kind: &str, expected: (JobState, JobResult)| {
        let result_edit = ("result", result.map(|r| json!(r)));
        let job = job(&[
            set("state", json!(state)),
            result_edit,
            set("jobKind", json!(kind)),
        ]);
        assert_eq!(
            (job.state, job.result),
            expected,
            "{state} {result:?} {kind}"
        );
    };
    use JobResult::*;
    use JobState::*;
    check("completed", Some("success"), "test", (Completed, Success));
    check("completed", Some("fail"), "test", (Completed, TestFailed));
    check("completed", Some("fail"), "build", (Completed, Busted));
    check("completed", Some("fail"), "other", (Completed, Busted));
    check(
        "completed",
        Some("exception"),
        "test",
        (Completed, Exception),
    );
    check("completed", Some("retry"), "test", (Completed, Retry));
    check(
        "completed",
        Some("canceled"),
        "test",
        (Completed, UserCancel),
    );
    check(
        "completed",
        Some("superseded"),
        "test",
        (Completed, Superseded),
    );
    check("completed", Some("unknown"), "test", (Completed, Unknown));
    check("completed", None, "test", (Completed, Unknown));
    // Not completed: no result yet, whatever the message says.
    check("unscheduled", None, "test", (Unscheduled, Unknown));
    check("pending", Some("success"), "test", (Pending, Unknown));
    check("running", Some("fail"), "build", (Running, Unknown));
}

#[test]
fn a_retried_run_is_a_completed_retry() {
    let job = job(&[
        set("isRetried", json!(true)),
        set("state", json!("running")),
    ]);
    assert_eq!(
        (job.state, job.result),
        (JobState::Completed, JobResult::Retry)
    );
    let job = self::job(&[
        set("isRetried", json!(false)),
        set("result", json!("exception")),
    ]);
    assert_eq!(job.result, JobResult::Exception);
}

#[test]
fn kinds() {
    assert_eq!(job(&[set("jobKind", json!("test"))]).kind, JobKind::Test);
    assert_eq!(job(&[set("jobKind", json!("other"))]).kind, JobKind::Other);
}

#[test]
fn display_fields_and_chunks() {
    let job = job(&[
        set("display.jobSymbol", json!("bc")),
        set("display.chunkId", json!(3)),
        set("display.chunkCount", json!(16)),
        set("display.groupSymbol", json!("M")),
        set("display.groupName", json!("Mochitests")),
        set("tier", json!(2)),
    ]);
    // Treeherder shows a chunk as its symbol followed by the chunk number.
    assert_eq!(job.symbol.as_deref(), Some("bc3"));
    assert_eq!(job.group_symbol.as_deref(), Some("M"));
    assert_eq!(job.group_name.as_deref(), Some("Mochitests"));
    assert_eq!(job.attributes["chunkId"], json!(3));
    assert_eq!(job.attributes["chunkCount"], json!(16));
    assert_eq!(job.tier, 2);
    assert_eq!(
        self::job(&[set("display.jobSymbol", json!(""))]).symbol,
        None
    );
}

#[test]
fn machines_and_platforms() {
    let build = json!({"platform": "linux64", "os": "linux", "architecture": "x86_64", "name": "builder-1"});
    let run = json!({"platform": "android-hw-a55", "os": "android", "architecture": "aarch64"});
    let only_build = job(&[set("buildMachine", build.clone())]);
    assert_eq!(only_build.platform.as_deref(), Some("linux64"));
    assert_eq!(only_build.machine.as_deref(), Some("builder-1"));
    assert_eq!(only_build.attributes["os"], json!("linux"));
    assert!(!only_build.attributes.contains_key("buildPlatform"));

    let both = job(&[set("buildMachine", build), set("runMachine", run)]);
    assert_eq!(both.platform.as_deref(), Some("android-hw-a55"));
    // The run machine has no name: the build machine's is the best we know.
    assert_eq!(both.machine.as_deref(), Some("builder-1"));
    assert_eq!(both.attributes["os"], json!("android"));
    assert_eq!(both.attributes["architecture"], json!("aarch64"));
    assert_eq!(both.attributes["buildPlatform"], json!("linux64"));
}

#[test]
fn origin_details_become_attributes() {
    let hg = job(&[set("origin.id", json!(88565))]);
    assert_eq!(hg.attributes["pushLogID"], json!(88565));
    let github = job(&[
        set("origin.kind", json!("github.com")),
        set("origin.id", json!(42)),
        set("origin.owner", json!("mozilla")),
    ]);
    assert_eq!(github.attributes["originKind"], json!("github.com"));
    assert_eq!(github.attributes["pullRequestID"], json!(42));
    assert_eq!(github.attributes["originOwner"], json!("mozilla"));
    assert!(!github.attributes.contains_key("pushLogID"));
    let explicit = job(&[
        set("origin.kind", json!("hg.mozilla.org")),
        set("origin.pushLogID", json!(7)),
    ]);
    assert_eq!(explicit.attributes["pushLogID"], json!(7));
    assert_eq!(explicit.attributes["originKind"], json!("hg.mozilla.org"));
}

#[test]
fn times_are_unix_microseconds() {
    let job = job(&[
        set("timeScheduled", json!("1970-01-01T00:00:01Z")),
        set("timeStarted", json!("2025-02-26T22:45:17.25-08:00")),
        set("timeCompleted", json!("2025-02-27T06:45:17.000001+00:00")),
    ]);
    assert_eq!(job.submitted_at, Some(1_000_000));
    assert_eq!(job.started_at, Some(1_740_638_717_250_000));
    assert_eq!(job.finished_at, Some(1_740_638_717_000_001));
}

#[test]
fn coalesced_logs_links_and_free_attributes() {
    let IngestedJob {
        job, superseded, ..
    } = ingested(&[
        set("coalesced", json!(["t1/0", "t2/1"])),
        set(
            "logs",
            json!([
                {"name": "live_backing_log", "url": "https://tc/x/public/logs/live_backing.log"},
                {"name": "errorsummary", "url": "https://tc/x/e.log"}
            ]),
        ),
        set(
            "jobInfo",
            json!({
                "summary": "all good",
                "links": [
                    {"label": "artifact uploaded", "linkText": "live_backing.log", "url": "https://tc/x/public/logs/live_backing.log"},
                    {"label": "screenshot", "linkText": "fail-1.png", "url": "https://tc/x/public/fail-1.png"},
                    {"label": "build", "linkText": "target.tar.xz", "url": "https://tc/x/public/build/target.tar.xz"},
                    {"label": "perfherder", "linkText": "perfherder-data.json", "url": "https://tc/x/public/perfherder-data.json"}
                ]
            }),
        ),
        set("productName", json!("Firefox")),
        set("labels", json!(["opt", "asan"])),
        set("reason", json!("scheduled")),
        set("owner", json!("someone@example.com")),
    ]);
    assert_eq!(superseded, ["t1/0", "t2/1"]);
    assert_eq!(
        job.logs
            .iter()
            .map(|l| (l.name.as_str(), l.url.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "live_backing_log",
                "https://tc/x/public/logs/live_backing.log"
            ),
            ("errorsummary", "https://tc/x/e.log")
        ]
    );
    let kinds: Vec<ArtifactKind> = job.artifacts.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            ArtifactKind::RawLog,
            ArtifactKind::Screenshot,
            ArtifactKind::Binary,
            ArtifactKind::Other
        ]
    );
    // The link text names an artifact; the label only when there is no text.
    assert_eq!(job.artifacts[1].name, "fail-1.png");
    assert_eq!(job.attributes["summary"], json!("all good"));
    assert_eq!(job.attributes["productName"], json!("Firefox"));
    assert_eq!(job.attributes["labels"], json!(["opt", "asan"]));
    assert_eq!(job.attributes["reason"], json!("scheduled"));
    assert_eq!(job.attributes["owner"], json!("someone@example.com"));
}
