//! Treeherder's 30 sample pulse jobs (`treeherder/pulse/job_data.json`).

use serde_json::{Value, json};
use treeherd_ingest::{IngestedJob, parse_pulse_body, parse_pulse_jobs};
use treeherd_model::{ArtifactKind, JobKind, JobResult, JobState, NewJob};

use crate::fixture_json;

/// The sample messages with their placeholder project replaced.
fn messages() -> Option<Vec<Value>> {
    let Value::Array(mut messages) = fixture_json("treeherder/pulse/job_data.json")? else {
        panic!("job_data.json is not an array");
    };
    for message in &mut messages {
        message["origin"]["project"] = json!("try");
    }
    Some(messages)
}

fn ingested() -> Option<Vec<IngestedJob>> {
    let messages = messages()?;
    let batch = parse_pulse_jobs(&messages);
    assert_eq!(batch.rejected, vec![]);
    for (index, message) in messages.iter().enumerate() {
        crate::parse_both_ways(index, message).unwrap();
    }
    Some(batch.jobs)
}

fn jobs() -> Option<Vec<NewJob>> {
    Some(ingested()?.into_iter().map(|i| i.job).collect())
}

#[test]
fn all_thirty_sample_jobs_parse() {
    let Some(ingested) = ingested() else { return };
    assert_eq!(ingested.len(), 30);
    for IngestedJob {
        job,
        superseded,
        previous_run,
        ..
    } in &ingested
    {
        assert_eq!(job.repository, "try");
        assert_eq!(
            job.revision.as_ref().map(|r| r.as_str()),
            Some("9c6e4c31ad26efdad0b9af47a2b530bc414ce2c3")
        );
        assert_eq!(job.kind, JobKind::Test);
        assert_eq!(job.state, JobState::Completed);
        assert_eq!(job.tier, 1);
        assert_eq!(job.build_system.as_deref(), Some("taskcluster"));
        assert!(job.guid.ends_with("/0"), "{}", job.guid);
        assert_eq!(*previous_run, None);
        assert!(superseded.is_empty());
        assert!(job.submitted_at <= job.started_at && job.started_at <= job.finished_at);
        // The taskcluster id derived from the guid's uuid is the one the log URLs name.
        let task_id = job.attributes["taskId"].as_str().unwrap();
        for log in &job.logs {
            assert!(
                log.url.contains(&format!("/task/{task_id}/")),
                "{} {}",
                task_id,
                log.url
            );
        }
    }
    let count = |result| ingested.iter().filter(|i| i.job.result == result).count();
    assert_eq!(count(JobResult::Success), 26);
    assert_eq!(count(JobResult::TestFailed), 2);
    assert_eq!(count(JobResult::Retry), 2);
}

#[test]
fn first_sample_job_in_detail() {
    let Some(jobs) = jobs() else { return };
    let job = &jobs[0];
    assert_eq!(job.guid, "008dcdae-bde0-4834-a967-d13d681037ae/0");
    assert_eq!(
        job.name,
        "test-linux1804-64-qr/debug-mochitest-browser-chrome-spi-nw-5"
    );
    assert_eq!(job.symbol.as_deref(), Some("bc5"));
    assert_eq!(job.group_symbol.as_deref(), Some("M-spi-nw"));
    assert_eq!(
        job.group_name.as_deref(),
        Some("Mochitests with networking on socket process enabled")
    );
    assert_eq!(job.result, JobResult::Success);
    assert_eq!(job.machine.as_deref(), Some("8961039277226838678"));
    assert_eq!(job.platform.as_deref(), Some("linux64"));
    // 2025-02-26T22:45:17-08:00, 23:04:03 and 23:06:42.
    assert_eq!(job.submitted_at, Some(1_740_638_717_000_000));
    assert_eq!(job.started_at, Some(1_740_639_843_000_000));
    assert_eq!(job.finished_at, Some(1_740_640_002_000_000));
    assert_eq!(job.logs.len(), 1);
    assert_eq!(job.logs[0].name, "live_backing_log");
    assert_eq!(
        job.logs[0].url,
        "https://firefox-ci-tc.services.mozilla.com/api/queue/v1/task/AI3Nrr3gSDSpZ9E9aBA3rg/runs/0/artifacts/public/logs/live_backing.log"
    );
    assert_eq!(job.artifacts.len(), 1);
    let artifact = &job.artifacts[0];
    assert_eq!(artifact.name, "errorsummary_json");
    assert_eq!(artifact.kind, ArtifactKind::ErrorSummary);
    assert!(
        artifact
            .url
            .ends_with("/mochitest-browser-chrome_errorsummary.log")
    );
    assert_eq!(
        Value::Object(job.attributes.clone()),
        json!({
            "taskId": "AI3Nrr3gSDSpZ9E9aBA3rg",
            "retryId": 0,
            "os": "linux",
            "architecture": "x86_64",
            "productName": "Firefox",
            "labels": ["debug"],
            "reason": "scheduled",
            "owner": "8961039277226838678@example.com",
        })
    );
}

#[test]
fn failed_and_retried_sample_jobs() {
    let Some(jobs) = jobs() else { return };
    let failed = &jobs[12];
    assert_eq!(failed.guid, "789f4f1b-8d6d-49a5-b335-4d6e63bfae49/0");
    assert_eq!(failed.symbol.as_deref(), Some("bc12"));
    assert_eq!(failed.result, JobResult::TestFailed);
    assert_eq!(failed.attributes["taskId"], json!("eJ9PG41tSaWzNU1uY7-uSQ"));
    assert_eq!(failed.finished_at, Some(1_740_640_943_000_000));

    let retried = &jobs[23];
    assert_eq!(retried.guid, "30aabc98-c33e-4483-b1ce-d5cee6783efc/0");
    assert_eq!(retried.name, "test-linux2204-64-wayland/debug-jsreftest-5");
    assert_eq!(
        (retried.symbol.as_deref(), retried.group_symbol.as_deref()),
        (Some("J5"), Some("R"))
    );
    assert_eq!(retried.result, JobResult::Retry);
    assert!(retried.logs.is_empty());
    assert_eq!(retried.artifacts.len(), 1);

    let bare = &jobs[27];
    assert_eq!(bare.result, JobResult::Retry);
    assert!(bare.logs.is_empty() && bare.artifacts.is_empty());
}

#[test]
fn sample_jobs_arrive_as_array_ndjson_or_one_object() {
    let Some(messages) = messages() else { return };
    let array = serde_json::to_vec(&messages).unwrap();
    assert_eq!(parse_pulse_body(&array).unwrap(), messages);

    let mut ndjson = Vec::new();
    for message in &messages {
        ndjson.extend(serde_json::to_vec(message).unwrap());
        ndjson.extend(b"\n\n");
    }
    assert_eq!(parse_pulse_body(&ndjson).unwrap(), messages);

    let one = serde_json::to_vec_pretty(&messages[3]).unwrap();
    assert_eq!(parse_pulse_body(&one).unwrap(), vec![messages[3].clone()]);
    assert_eq!(
        parse_pulse_jobs(&parse_pulse_body(&one).unwrap())
            .jobs
            .len(),
        1
    );
}
