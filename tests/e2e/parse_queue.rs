//! Three servers on one database share the parse queue: every log is fetched and parsed by
//! exactly one of them, and a log claimed by a server that died is parsed by another once its
//! lease runs out.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use treeherd_api::log_worker::LogWorkerOptions;
use treeherd_tests::{TestApp, revision};

use crate::log_server::LogServer;

const LOGS: usize = 30;

const LOG: &str = "[task 2026-01-01T00:00:01.000Z] 00:00:01     INFO - TEST-START | a.html\n\
[task 2026-01-01T00:00:02.000Z] 00:00:02     INFO - TEST-UNEXPECTED-FAIL | a.html | expected 1, got 2\n";

fn worker() -> LogWorkerOptions {
    LogWorkerOptions {
        concurrency: 2,
        poll: Duration::from_millis(50),
        ..LogWorkerOptions::default()
    }
}

/// Each log's status, by job guid.
async fn statuses(app: &TestApp) -> Vec<(String, String)> {
    let data = app
        .data(
            "{ jobs(repository: \"try\", first: 100) { nodes { guid logs { status } } } }",
            json!({}),
        )
        .await;
    data["jobs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| {
            let status = job["logs"][0]["status"].as_str().unwrap_or("NONE");
            (job["guid"].as_str().unwrap().to_owned(), status.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn three_servers_parse_each_log_once_and_take_over_a_dead_claim() {
    let dir = tempfile::tempdir().unwrap();
    for n in 0..LOGS {
        std::fs::write(dir.path().join(format!("log-{n}.log")), LOG).unwrap();
    }
    let server = LogServer::start(dir.path().to_owned()).await;
    // The first server parses nothing: the logs wait until the three workers start.
    let writer = TestApp::spawn_with(|config| {
        config.log_worker = Some(LogWorkerOptions {
            concurrency: 0,
            ..LogWorkerOptions::default()
        });
    })
    .await;
    writer.create_repository("try", &[]).await;
    writer
        .data(
            "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
            json!({"p": {"repository": "try", "revision": revision(1), "author": "a@example.com",
                         "pushedAt": "2026-11-20T10:00:00Z"}}),
        )
        .await;
    let jobs: Vec<Value> = (0..LOGS)
        .map(|n| {
            json!({"guid": format!("j{n}"), "repository": "try", "revision": revision(1),
                   "kind": "TEST", "name": format!("test {n}"), "state": "COMPLETED",
                   "result": "TESTFAILED"})
        })
        .collect();
    writer
        .data(
            "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
            json!({"j": jobs}),
        )
        .await;
    for n in 0..LOGS {
        writer
            .data(
                "mutation($j: String!, $a: [ArtifactInput!]!) {
                    attachArtifacts(job: $j, artifacts: $a) { attached } }",
                json!({"j": format!("j{n}"), "a": [{"name": "live_backing.log", "kind": "RAW_LOG",
                       "url": format!("{}/logs/log-{n}.log", server.url)}]}),
            )
            .await;
    }
    // A server claims one log for 3 s and dies.
    let now = chrono::Utc::now().timestamp_micros();
    let dead = writer
        .store()
        .claim_due_logs(now, 3_000_000, 1)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    let dead_path = dead[0].url.trim_start_matches(&server.url).to_owned();

    let started = Instant::now();
    let _workers = [
        TestApp::spawn_beside_with(&writer, |config| config.log_worker = Some(worker())).await,
        TestApp::spawn_beside_with(&writer, |config| config.log_worker = Some(worker())).await,
        TestApp::spawn_beside_with(&writer, |config| config.log_worker = Some(worker())).await,
    ];
    let mut others_done_at = None;
    loop {
        let statuses = statuses(&writer).await;
        let pending: Vec<&(String, String)> =
            statuses.iter().filter(|(_, s)| s != "PARSED").collect();
        if pending.is_empty() {
            break;
        }
        if pending.len() == 1 && others_done_at.is_none() {
            others_done_at = Some(started.elapsed());
            assert_eq!(
                server.requests_of(&dead_path),
                0,
                "nobody touches a claimed log"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not parsed: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_done = started.elapsed();
    assert!(
        all_done >= Duration::from_millis(2500),
        "the dead server's log waited for its lease ({all_done:?})"
    );
    for n in 0..LOGS {
        let path = format!("/logs/log-{n}.log");
        assert_eq!(
            server.requests_of(&path),
            1,
            "{path} fetched once by one of three"
        );
    }
}
