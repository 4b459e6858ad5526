//! Messages that break the pulse-job schema: each is rejected with the field and rule at fault.

use serde_json::{Value, json};
use treeherd_ingest::{parse_pulse_job, parse_pulse_jobs};

use crate::{edit, parse_both_ways, valid_message};

/// `message` is rejected at `field` for `rule`.
fn check(message: Value, field: &str, rule: &str) {
    match parse_both_ways(4, &message) {
        Ok(job) => panic!("accepted {message}: {job:?}"),
        Err(rejection) => {
            assert_eq!(
                (rejection.field.as_str(), rejection.rule.as_str()),
                (field, rule),
                "{}",
                rejection.message
            );
            assert_eq!(rejection.index, 4);
            assert!(rejection.message.starts_with(if field == "$" {
                "the message"
            } else {
                field
            }));
        }
    }
}

fn with(path: &str, value: Value) -> Value {
    edit(valid_message(), path, Some(value))
}

fn without(path: &str) -> Value {
    edit(valid_message(), path, None)
}

#[test]
fn the_base_message_is_valid() {
    parse_pulse_job(0, &valid_message()).unwrap();
}

#[test]
fn required_fields() {
    for field in [
        "taskId",
        "origin",
        "buildSystem",
        "display",
        "state",
        "jobKind",
        "version",
    ] {
        check(without(field), field, "required");
    }
    check(without("origin.project"), "origin.project", "required");
    check(without("origin.revision"), "origin.revision", "required");
    check(without("display.jobName"), "display.jobName", "required");
    check(
        without("display.jobSymbol"),
        "display.jobSymbol",
        "required",
    );
    check(
        without("display.groupSymbol"),
        "display.groupSymbol",
        "required",
    );
    let machine = json!({"platform": "linux64", "os": "linux"});
    check(
        with("runMachine", machine),
        "runMachine.architecture",
        "required",
    );
    check(
        with("logs", json!([{"name": "live"}])),
        "logs[0].url",
        "required",
    );
    let link = json!({"url": "https://x/y", "linkText": "y"});
    check(
        with("jobInfo", json!({"links": [link]})),
        "jobInfo.links[0].label",
        "required",
    );
}

#[test]
fn required_message_states_its_reason() {
    let rejection = parse_pulse_job(0, &without("origin.revision")).unwrap_err();
    assert_eq!(rejection.message, "origin.revision is required");
    assert_eq!(
        rejection.to_string(),
        "message 0: origin.revision is required"
    );
}

#[test]
fn bad_enums() {
    check(
        with("state", json!("done")),
        "state",
        "must be one of unscheduled, pending, running, completed",
    );
    check(
        with("result", json!("busted")),
        "result",
        "must be one of success, fail, exception, retry, canceled, superseded, unknown",
    );
    check(
        with("jobKind", json!("release")),
        "jobKind",
        "must be one of build, test, other",
    );
    check(with("version", json!(2)), "version", "must be one of 1");
    check(
        with("origin.kind", json!("gitlab.com")),
        "origin.kind",
        "must be one of hg.mozilla.org, github.com",
    );
}

#[test]
fn bad_revisions() {
    let rule = "must be 40 lowercase hexadecimal digits";
    check(
        with("origin.revision", json!("219d38523a32")),
        "origin.revision",
        rule,
    );
    check(
        with(
            "origin.revision",
            json!("219D38523A321229F7F48ACA6592F76B993FB1AA"),
        ),
        "origin.revision",
        rule,
    );
    check(
        with("origin.revision", json!(format!("{}0", "a".repeat(40)))),
        "origin.revision",
        rule,
    );
    check(
        with("origin.revision", json!("g".repeat(40))),
        "origin.revision",
        rule,
    );
    check(
        with("origin.revision", json!(7)),
        "origin.revision",
        "must be a string",
    );
}

#[test]
fn bad_tiers_and_integers() {
    check(with("tier", json!(0)), "tier", "must be between 1 and 3");
    check(with("tier", json!(4)), "tier", "must be between 1 and 3");
    check(with("tier", json!("1")), "tier", "must be an integer");
    check(with("tier", json!(1.5)), "tier", "must be an integer");
    check(with("retryId", json!(-1)), "retryId", "must be at least 0");
    check(
        with("display.chunkId", json!(0)),
        "display.chunkId",
        "must be at least 1",
    );
    check(
        with("origin.id", json!("12")),
        "origin.id",
        "must be an integer",
    );
}

#[test]
fn bad_times() {
    let rule = "must be an RFC 3339 date-time";
    check(
        with("timeScheduled", json!("yesterday")),
        "timeScheduled",
        rule,
    );
    check(
        with("timeStarted", json!("2025-02-26T23:04:03")),
        "timeStarted",
        rule,
    );
    check(
        with("timeCompleted", json!("2025-02-30T23:04:03Z")),
        "timeCompleted",
        rule,
    );
    check(
        with("timeCompleted", json!(1_740_640_002)),
        "timeCompleted",
        "must be a string",
    );
}

#[test]
fn wrong_types() {
    check(json!(7), "$", "must be an object");
    check(json!([valid_message()]), "$", "must be an object");
    check(with("display", json!("B")), "display", "must be an object");
    check(with("labels", json!("debug")), "labels", "must be an array");
    check(
        with("isRetried", json!("yes")),
        "isRetried",
        "must be a boolean",
    );
    check(with("taskId", json!(12)), "taskId", "must be a string");
    check(
        with("coalesced", json!([3])),
        "coalesced[0]",
        "must be a string",
    );
    check(
        with("logs", json!({"name": "x"})),
        "logs",
        "must be an array",
    );
    check(with("owner", Value::Null), "owner", "must be a string");
}

#[test]
fn lengths_and_patterns() {
    check(
        with("display.jobName", json!("")),
        "display.jobName",
        "must not be empty",
    );
    check(
        with("display.jobName", json!("x".repeat(141))),
        "display.jobName",
        "must be at most 140 characters",
    );
    // Lengths count characters, not bytes: 25 two-byte characters fit.
    parse_pulse_job(0, &with("display.jobSymbol", json!("é".repeat(25)))).unwrap();
    check(
        with("display.jobSymbol", json!("é".repeat(26))),
        "display.jobSymbol",
        "must be at most 25 characters",
    );
    check(
        with("taskId", json!("a_b")),
        "taskId",
        "must match ^[A-Za-z0-9/+-]+$",
    );
    check(
        with("taskId", json!("a".repeat(51))),
        "taskId",
        "must be at most 50 characters",
    );
    check(
        with("buildSystem", json!("task cluster")),
        "buildSystem",
        "must match ^[\\w-]+$",
    );
    check(
        with("labels", json!(["ok", "not ok"])),
        "labels[1]",
        "must match ^[\\w-]+$",
    );
    let machine = json!({"platform": "linux 64", "os": "linux", "architecture": "x86_64"});
    check(
        with("buildMachine", machine),
        "buildMachine.platform",
        "must match ^[\\w-]+$",
    );
    check(
        with("coalesced", json!([""])),
        "coalesced[0]",
        "must not be empty",
    );
    check(
        with("origin.project", json!("mozilla/central")),
        "origin.project",
        "must match ^[\\w-]+$",
    );
    let log = json!([{"name": "live", "url": "logs/live.log"}]);
    check(with("logs", log), "logs[0].url", "must be an absolute URI");
}

#[test]
fn unknown_fields() {
    check(with("branch", json!("main")), "branch", "unknown field");
    check(
        with("origin.branch", json!("main")),
        "origin.branch",
        "unknown field",
    );
    check(
        with("display.color", json!("red")),
        "display.color",
        "unknown field",
    );
    let log = json!([{"name": "live", "url": "https://x/live.log", "size": 3}]);
    check(with("logs", log), "logs[0].size", "unknown field");
}

#[test]
fn retry_id_must_agree_with_the_guid_in_task_id() {
    let message = with("taskId", json!("a0yJRHtkQzW-tp7nzieXSA/0"));
    check(
        edit(message, "retryId", Some(json!(1))),
        "retryId",
        "must equal the /N retry suffix of taskId",
    );
    let huge = with("taskId", json!("abc/99999999999999999999"));
    check(
        huge,
        "taskId",
        "must end in a retry number that fits 64 bits",
    );
}

#[test]
fn a_mixed_batch_keeps_the_valid_messages() {
    let messages = vec![
        valid_message(),
        with("state", json!("done")),
        json!("not a message"),
        with("taskId", json!("other-task")),
        without("display"),
    ];
    let batch = parse_pulse_jobs(&messages);
    let guids: Vec<&str> = batch.jobs.iter().map(|j| j.job.guid.as_str()).collect();
    assert_eq!(guids, ["a0yJRHtkQzW-tp7nzieXSA/0", "other-task/0"]);
    let rejected: Vec<(usize, &str, &str)> = batch
        .rejected
        .iter()
        .map(|r| (r.index, r.field.as_str(), r.rule.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (
                1,
                "state",
                "must be one of unscheduled, pending, running, completed"
            ),
            (2, "$", "must be an object"),
            (4, "display", "required"),
        ]
    );
    assert_eq!(
        batch.rejected[1].message,
        "the message must be an object (got \"not a message\")"
    );
}
