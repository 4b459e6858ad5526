//! The log viewer's route, `GET /api/jobs/{guid}/logs/{name}`: a stored log's text fetched
//! from a local artifact server (`crate::log_server`) and passed on inflated, byte for byte;
//! 404 for what is not stored, 502 with the reason for what cannot be fetched; and the demo's
//! logs, served by treeherd itself, holding the error lines and steps stored from them.

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use std::io::Write as _;
use treeherd_api::log_worker::LogWorkerOptions;
use treeherd_demo::DemoOptions;
use treeherd_tests::{TestApp, revision};

use crate::log_server::LogServer;

/// A log of a few MB (several chunks through every channel), with a line that is no UTF-8.
fn log_text() -> Vec<u8> {
    let mut text = Vec::new();
    for n in 0..60_000 {
        writeln!(
            text,
            "[task 2026-11-20T10:00:00.000Z] 10:00:00     INFO - line {n} of the log"
        )
        .unwrap();
    }
    text.extend_from_slice(b"bytes \xff\xfe that are no text\r\nlast line without a break");
    text
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A server (its worker off: nothing fetches but the route) whose log route passes on at
/// most `max_bytes`, a job `j` with the given logs, and the artifact server they are on.
async fn job_with_logs(max_bytes: u64, logs: &[(&str, &str)]) -> (TestApp, LogServer, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let text = log_text();
    std::fs::write(dir.path().join("plain.log"), &text).unwrap();
    std::fs::write(dir.path().join("live.log.gz"), gzip(&text)).unwrap();
    std::fs::write(dir.path().join("corrupt.log.gz"), &gzip(&text)[..5000]).unwrap();
    // The server reads the files on each request: keep the folder for the test's life.
    let server = LogServer::start(dir.keep()).await;
    let app = TestApp::spawn_with(|config| {
        config.log_worker = Some(LogWorkerOptions {
            concurrency: 0,
            max_bytes,
            ..LogWorkerOptions::default()
        });
    })
    .await;
    app.create_repository("try", &[]).await;
    app.data(
        "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
        json!({"p": {"repository": "try", "pushId": 1, "revision": revision(1),
                     "author": "dev@example.com", "pushedAt": "2026-11-20T10:00:00Z"}}),
    )
    .await;
    app.data(
        "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
        json!({"j": [{"guid": "j", "repository": "try", "revision": revision(1), "kind": "TEST",
                      "name": "test-linux64/opt-mochitest", "platform": "linux64",
                      "state": "COMPLETED", "result": "TESTFAILED"}]}),
    )
    .await;
    let artifacts: Vec<Value> = logs
        .iter()
        .map(|(name, path)| {
            json!({"name": name, "kind": "RAW_LOG", "url": format!("{}{path}", server.url)})
        })
        .collect();
    app.data(
        "mutation($a: [ArtifactInput!]!) { attachArtifacts(job: \"j\", artifacts: $a) { attached } }",
        json!({"a": artifacts}),
    )
    .await;
    (app, server, text)
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
}

/// The status and the JSON error of an answer that is not a log.
async fn refused(app: &TestApp, path: &str) -> (u16, Value) {
    let response = get(app, path).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_stored_log_is_passed_on_byte_for_byte_gzip_or_not() {
    let logs = [
        ("live_backing.log", "/logs/live.log.gz"),
        ("plain.log", "/unsized/plain.log"),
        ("public/logs/live.log", "/logs/live.log.gz"),
    ];
    let (app, server, text) = job_with_logs(64 << 20, &logs).await;
    for (name, _) in logs {
        let response = get(&app, &format!("/api/jobs/j/logs/{name}")).await;
        assert_eq!(response.status(), 200, "{name}");
        let headers = response.headers();
        assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox")
        );
        let body = response.bytes().await.unwrap();
        assert_eq!(body.len(), text.len(), "{name}");
        assert!(body == text, "{name}: the bytes differ");
    }
    // Each view is a fetch: logs are pointers, never copies.
    assert_eq!(server.requests_of("/logs/live.log.gz"), 2);
}

#[tokio::test]
async fn what_is_not_stored_is_404_and_what_cannot_be_fetched_is_502_with_the_reason() {
    let logs = [
        ("missing", "/logs/nothing-here.log"),
        ("down", "/down/live.log"),
        ("corrupt", "/logs/corrupt.log.gz"),
    ];
    let (app, _server, _) = job_with_logs(64 << 20, &logs).await;

    for path in [
        "/api/jobs/nope/logs/live_backing.log",
        "/api/jobs/j/logs/other.log",
    ] {
        let (status, body) = refused(&app, path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND");
    }

    let (status, body) = refused(&app, "/api/jobs/j/logs/missing").await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "BAD_GATEWAY");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("404 Not Found"), "{message}");
    assert!(message.contains("/logs/nothing-here.log"), "{message}");

    let (status, body) = refused(&app, "/api/jobs/j/logs/down").await;
    assert_eq!(status, 502);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("500"),
        "{body}"
    );

    // Corrupt gzip starts as a log and breaks off: the reader never takes it for whole.
    let response = get(&app, "/api/jobs/j/logs/corrupt").await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn a_host_that_refuses_is_502_naming_the_cause() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (app, _server, _) = job_with_logs(64 << 20, &[]).await;
    let url = format!("http://127.0.0.1:{port}/live.log");
    app.data(
        "mutation($u: String!) { attachArtifacts(job: \"j\", artifacts: [{name: \"gone\", kind: RAW_LOG, url: $u}]) { attached } }",
        json!({"u": url}),
    )
    .await;
    let (status, body) = refused(&app, "/api/jobs/j/logs/gone").await;
    assert_eq!(status, 502);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&url), "{message}");
    assert!(message.to_lowercase().contains("connect"), "{message}");
}

#[tokio::test]
async fn a_log_over_the_limit_is_refused_or_cut_off() {
    let logs = [
        ("sized", "/logs/plain.log"),
        ("unsized", "/unsized/plain.log"),
    ];
    let (app, _server, text) = job_with_logs(1 << 20, &logs).await;
    assert!(text.len() > 1 << 20);
    let (status, body) = refused(&app, "/api/jobs/j/logs/sized").await;
    assert_eq!(status, 502);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("over the limit of 1048576 (TREEHERD_LOG_MAX_BYTES)"),
        "{message}"
    );
    // Without a length it can only be counted: the body stops early, as an error.
    let response = get(&app, "/api/jobs/j/logs/unsized").await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn the_demo_serves_its_logs_holding_the_stored_error_lines_and_steps() {
    let app = TestApp::spawn_with(|config| {
        config.demo = Some(DemoOptions {
            pushes: 30,
            ..DemoOptions::default()
        })
    })
    .await;
    let data = app
        .data(
            "{ repository(name: \"autoland\") { pushes(first: 20) { nodes { jobs(first: 1000, filter: {state: COMPLETED}) { nodes {
                guid logs { name url status errors { lineNumber line } steps { name firstLine lastLine } } } } } } } }",
            json!({}),
        )
        .await;
    let jobs: Vec<Value> = data["repository"]["pushes"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["jobs"]["nodes"].as_array().unwrap().clone())
        .filter(|j| !j["logs"].as_array().unwrap().is_empty())
        .collect();
    assert!(jobs.len() >= 3, "{jobs:?}");
    for job in jobs.iter().take(5) {
        let guid = job["guid"].as_str().unwrap();
        let log = &job["logs"][0];
        assert_eq!(log["status"], "PARSED");
        let url = log["url"].as_str().unwrap();
        assert!(url.starts_with("/demo/logs/"), "{url}");
        // The URL itself, on this server, and the viewer's route over it: the same text.
        let direct = get(&app, url).await;
        assert_eq!(direct.status(), 200, "{url}");
        let direct = direct.text().await.unwrap();
        let viewed = get(&app, &format!("/api/jobs/{guid}/logs/live_backing.log")).await;
        assert_eq!(viewed.status(), 200);
        let text = viewed.text().await.unwrap();
        assert_eq!(text, direct);

        let lines: Vec<&str> = text.lines().collect();
        let errors = log["errors"].as_array().unwrap();
        assert!(!errors.is_empty(), "{log}");
        for error in errors {
            let n = error["lineNumber"].as_u64().unwrap() as usize;
            // Stored as Treeherder stores it: without the task's time stamp prefix.
            let line = error["line"].as_str().unwrap();
            assert!(
                lines[n].ends_with(line),
                "{guid} line {n}: {line:?} in {:?}",
                lines[n]
            );
        }
        // Every step lies within the text; mozharness's start where they say so.
        let steps = log["steps"].as_array().unwrap();
        for step in steps {
            let first = step["firstLine"].as_u64().unwrap() as usize;
            let last = step["lastLine"].as_u64().unwrap() as usize;
            assert!(first <= last && last < lines.len(), "{guid}: {step}");
        }
        assert!(
            steps.iter().any(|s| {
                let first = s["firstLine"].as_u64().unwrap() as usize;
                lines[first].contains(&format!("Running {} step", s["name"].as_str().unwrap()))
            }),
            "{guid}: {steps:?}"
        );
    }

    // Nothing but a stored demo log is made: another guid, shape or name is 404.
    let guid = jobs[0]["guid"].as_str().unwrap();
    let url = jobs[0]["logs"][0]["url"].as_str().unwrap();
    for path in [
        url.replace(guid, "AAAAAAAAAAAAAAAAAAAAAA"),
        url.replace("live_backing.log", "other.log"),
        format!("/demo/logs/{guid}/not-a-suite/live_backing.log"),
    ] {
        assert_eq!(get(&app, &path).await.status(), 404, "{path}");
    }
}
