//! Test objects: the parse worker in `serve` fetching logs from a local artifact server
//! (fixture logs, a failing, a flaky, a missing and an oversized one), what it stores
//! (Treeherder's errors, steps, perf data, test results of error summaries), and the questions
//! asked of them across pushes. Test results and artifacts sent directly are the schema
//! harness's (`schema/tests/resolvers/test_objects.rs`).

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use treeherd_api::log_worker::LogWorkerOptions;
use treeherd_tests::{TestApp, error_code, revision};

use crate::log_server::LogServer;

const LOGS: &str = "treeherder/logs";
/// The fixture logs with Treeherder's own error summary of each beside them.
const LOGVIEW_PAIRS: [&str; 10] = [
    "asan_too_large",
    "build-fail",
    "crashtest-timeout",
    "mochitest-crash",
    "mochitest-fail",
    "reftest-fail",
    "taskcluster-only",
    "too_many_failures",
    "windows-stuff",
    "xpcshell-crash",
];

const ATTACH: &str =
    "mutation($job: String!, $test: String, $subtest: String, $a: [ArtifactInput!]!) {
    attachArtifacts(job: $job, test: $test, subtest: $subtest, artifacts: $a) { attached } }";
const SUBMIT_RESULTS: &str = "mutation($job: String!, $r: [TestResultInput!]!) {
    submitTestResults(job: $job, results: $r) { test subtest status expected failed durationMs message group
      artifacts { name kind url size sha256 } } }";
const LOG_FIELDS: &str = "name url status reason attempts lineCount byteCount errorCount parsedAt
    errors { lineNumber line step } steps { name kind result firstLine lastLine errorCount }";

/// A server whose worker retries quickly, and the artifact server it fetches from.
async fn served(max_bytes: u64) -> Option<(TestApp, LogServer)> {
    let logs = treeherd_testkit::fixture(LOGS)?;
    let server = LogServer::start(logs).await;
    let app = TestApp::spawn_with(|config| {
        config.log_worker = Some(LogWorkerOptions {
            concurrency: 4,
            max_bytes,
            timeout: Duration::from_secs(20),
            attempts: 3,
            backoff: Duration::from_millis(50),
            poll: Duration::from_millis(50),
        });
    })
    .await;
    app.create_repository("try", &[]).await;
    Some((app, server))
}

/// Stores push `n` of `try` (pushed `n` hours after a fixed time) and a job on it.
async fn job_on_push(app: &TestApp, guid: &str, push: u64) {
    let pushed_at = format!("2026-11-20T{:02}:00:00Z", push);
    app.data(
        "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
        json!({"p": {"repository": "try", "pushId": push, "revision": revision(push),
                     "author": "dev@example.com", "pushedAt": pushed_at}}),
    )
    .await;
    app.data(
        "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
        json!({"j": [{"guid": guid, "repository": "try", "revision": revision(push), "kind": "TEST",
                      "name": "test-linux64/opt-mochitest", "platform": "linux64",
                      "state": "COMPLETED", "result": "SUCCESS"}]}),
    )
    .await;
}

async fn attach_log(app: &TestApp, guid: &str, name: &str, kind: &str, url: &str) {
    let data = app
        .data(
            ATTACH,
            json!({"job": guid, "a": [{"name": name, "kind": kind, "url": url}]}),
        )
        .await;
    assert_eq!(data["attachArtifacts"]["attached"], 1);
}

/// The job's logs once none is PENDING (the worker is done with them).
async fn settled_logs(app: &TestApp, guid: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let data = app
            .data(
                &format!("query($g: String!) {{ job(guid: $g) {{ logs {{ {LOG_FIELDS} }} }} }}"),
                json!({"g": guid}),
            )
            .await;
        let logs = data["job"]["logs"].as_array().cloned().unwrap_or_default();
        if !logs.is_empty() && logs.iter().all(|l| l["status"] != "PENDING") {
            return logs;
        }
        assert!(
            Instant::now() < deadline,
            "logs of {guid} still pending: {logs:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_worker_stores_treeherders_error_summary_of_every_fixture_log() {
    let Some((app, server)) = served(64 * 1024 * 1024).await else {
        return;
    };
    let dir = treeherd_testkit::fixture(LOGS).unwrap();
    for (i, name) in LOGVIEW_PAIRS.iter().enumerate() {
        let guid = format!("job-{name}");
        job_on_push(&app, &guid, i as u64 + 1).await;
        let url = format!("{}/logs/{name}.log.gz", server.url);
        attach_log(&app, &guid, "live_backing_log", "RAW_LOG", &url).await;
    }
    for name in LOGVIEW_PAIRS {
        let logs = settled_logs(&app, &format!("job-{name}")).await;
        assert_eq!(logs.len(), 1);
        let log = &logs[0];
        assert_eq!(log["status"], "PARSED", "{name}: {log}");
        assert_eq!(log["attempts"], 1);
        assert!(log["parsedAt"].is_string() && log["reason"].is_null());
        let logview: Value = serde_json::from_slice(
            &std::fs::read(dir.join(format!("{name}.logview.json"))).unwrap(),
        )
        .unwrap();
        let expected: Vec<Value> = logview["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| json!({"lineNumber": e["linenumber"], "line": e["line"]}))
            .collect();
        let stored: Vec<Value> = log["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| json!({"lineNumber": e["lineNumber"], "line": e["line"]}))
            .collect();
        assert_eq!(stored, expected, "errors of {name}");
        assert!(log["errorCount"].as_i64().unwrap() >= expected.len() as i64);
        assert!(log["lineCount"].as_i64().unwrap() > 0);
        // An error inside a step names it, and the step counts it.
        for error in log["errors"].as_array().unwrap() {
            if let Some(step) = error["step"].as_i64() {
                let step = &log["steps"][step as usize];
                let line = error["lineNumber"].as_i64().unwrap();
                assert!(
                    step["firstLine"].as_i64().unwrap() <= line,
                    "{name}: {step}"
                );
                assert!(step["errorCount"].as_i64().unwrap() >= 1);
            }
        }
    }
    assert_eq!(server.requests_of("/logs/build-fail.log.gz"), 1);
}

#[tokio::test]
async fn steps_and_perf_data_become_a_series_across_pushes() {
    let Some((app, server)) = served(64 * 1024 * 1024).await else {
        return;
    };
    for push in [1, 2] {
        let guid = format!("awsy-{push}");
        job_on_push(&app, &guid, push).await;
        let url = format!("{}/logs/linux-awsy.txt.gz", server.url);
        attach_log(&app, &guid, "live_backing_log", "RAW_LOG", &url).await;
    }
    let logs = settled_logs(&app, "awsy-2").await;
    settled_logs(&app, "awsy-1").await;
    let steps: Vec<(String, String, String)> = logs[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["kind"].as_str().unwrap().to_owned(),
                s["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(steps.len(), 9, "{steps:?}");
    assert_eq!(
        steps[0],
        ("setup".into(), "taskcluster".into(), "success".into())
    );
    assert_eq!(
        steps[2],
        ("clobber".into(), "mozharness".into(), "success".into())
    );

    let series = |suite: &str, subtest: Option<&str>| json!({"r": "try", "f": "awsy", "s": suite, "t": subtest, "p": "linux64"});
    let query = "query($r: String!, $f: String!, $s: String!, $t: String, $p: String!) {
        perfSeries(repository: $r, framework: $f, suite: $s, subtest: $t, platform: $p) {
          pushId revision value unit lowerIsBetter job { guid } } }";
    let suite = app
        .data(query, series("Base Content Resident Unique Memory", None))
        .await;
    assert_eq!(
        suite["perfSeries"],
        json!([
            {"pushId": 1, "revision": revision(1), "value": 7284735.999999995, "unit": "bytes",
             "lowerIsBetter": true, "job": {"guid": "awsy-1"}},
            {"pushId": 2, "revision": revision(2), "value": 7284735.999999995, "unit": "bytes",
             "lowerIsBetter": true, "job": {"guid": "awsy-2"}},
        ])
    );
    let subtest = app
        .data(
            query,
            series(
                "Base Content Resident Unique Memory",
                Some("After tabs open [+30s, forced GC]"),
            ),
        )
        .await;
    let values: Vec<f64> = subtest["perfSeries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [7284736.0, 7284736.0]);
    // The build metrics blob of the same log is its own framework.
    let build = app
        .data(
            query,
            json!({"r": "try", "f": "build_metrics", "s": "fetch_content", "t": null, "p": "linux64"}),
        )
        .await;
    assert_eq!(build["perfSeries"].as_array().unwrap().len(), 2);
    let unknown = app
        .graphql(
            query,
            series("Base Content Resident Unique Memory", None)
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("r".into(), json!("nowhere"));
                    Value::Object(o)
                })
                .unwrap(),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
}

#[tokio::test]
async fn failing_flaky_missing_and_oversized_logs_end_as_they_should() {
    // build-fail.log.gz is 1.8 MB as served: over this limit.
    let Some((app, server)) = served(1_000_000).await else {
        return;
    };
    let cases = [
        ("down", "/down/mochitest-fail.log.gz"),
        ("flaky", "/flaky/1/mochitest-fail.log.gz"),
        ("missing", "/logs/no-such.log.gz"),
        ("large", "/logs/build-fail.log.gz"),
        ("large-unsized", "/unsized/build-fail.log.gz"),
        ("fine", "/logs/mochitest-fail.log.gz"),
    ];
    for (i, (guid, path)) in cases.iter().enumerate() {
        job_on_push(&app, guid, i as u64 + 1).await;
        let url = format!("{}{path}", server.url);
        attach_log(&app, guid, "live_backing_log", "RAW_LOG", &url).await;
    }
    let ended = |logs: Vec<Value>| logs.into_iter().next().unwrap();

    let down = ended(settled_logs(&app, "down").await);
    assert_eq!(down["status"], "FAILED", "{down}");
    assert_eq!(down["attempts"], 3);
    assert!(down["reason"].as_str().unwrap().contains("500"), "{down}");
    assert_eq!(server.requests_of("/down/mochitest-fail.log.gz"), 3);
    assert_eq!(down["errors"], json!([]));

    let flaky = ended(settled_logs(&app, "flaky").await);
    assert_eq!(flaky["status"], "PARSED", "{flaky}");
    assert_eq!(flaky["attempts"], 2);
    assert_eq!(flaky["errors"].as_array().unwrap().len(), 1);

    let missing = ended(settled_logs(&app, "missing").await);
    assert_eq!(missing["status"], "FAILED", "{missing}");
    assert_eq!(missing["attempts"], 1, "a 404 is not retried");
    assert!(missing["reason"].as_str().unwrap().contains("404"));

    for guid in ["large", "large-unsized"] {
        let large = ended(settled_logs(&app, guid).await);
        assert_eq!(large["status"], "SKIPPED", "{large}");
        assert!(
            large["reason"]
                .as_str()
                .unwrap()
                .contains("over the limit of 1000000"),
            "{large}"
        );
        assert_eq!(large["errors"], json!([]));
        assert!(large["lineCount"].is_null());
    }

    let fine = ended(settled_logs(&app, "fine").await);
    assert_eq!(fine["status"], "PARSED");
}

#[tokio::test]
async fn error_summaries_become_test_results_with_history_and_a_failure_summary() {
    let Some((app, server)) = served(64 * 1024 * 1024).await else {
        return;
    };
    // Pushes 1 and 3 ran the browser-chrome summary (5 failed subtests of 2 tests); push 2's
    // job ran the same tests and passed (sent directly).
    for push in [1, 2, 3] {
        job_on_push(&app, &format!("bc-{push}"), push).await;
    }
    for push in [1, 3] {
        let url = format!(
            "{}/logs/mochitest-browser-chrome_errorsummary.log",
            server.url
        );
        attach_log(
            &app,
            &format!("bc-{push}"),
            "errorsummary_json",
            "ERRORSUMMARY",
            &url,
        )
        .await;
    }
    let fullscreen = "toolkit/components/pictureinpicture/tests/browser_fullscreen.js";
    let passed = app
        .data(
            SUBMIT_RESULTS,
            json!({"job": "bc-2", "r": [
                {"test": fullscreen, "status": "OK", "durationMs": 2500},
                {"test": fullscreen, "subtest": "Uncaught exception", "status": "PASS"},
            ]}),
        )
        .await;
    assert_eq!(
        passed["submitTestResults"][1],
        json!({"test": fullscreen, "subtest": "Uncaught exception", "status": "PASS",
               "expected": null, "failed": false, "durationMs": null, "message": null,
               "group": null, "artifacts": []})
    );
    for push in [1, 3] {
        let logs = settled_logs(&app, &format!("bc-{push}")).await;
        assert_eq!(logs[0]["status"], "PARSED", "{logs:?}");
    }

    let results = app
        .data(
            "{ job(guid: \"bc-3\") { testResults(first: 100) { nodes { test subtest status expected failed durationMs group } } } }",
            json!({}),
        )
        .await;
    let nodes = results["job"]["testResults"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5, "{nodes:?}");
    assert!(nodes.iter().all(|n| n["status"] == "FAIL"
        && n["expected"] == "PASS"
        && n["failed"] == true
        && n["durationMs"] == 3141
        && n["group"] == "toolkit/components/pictureinpicture/tests/browser.ini"));
    assert_eq!(nodes[0]["test"], fullscreen);
    assert_eq!(nodes[0]["subtest"], "Uncaught exception");

    // Paging and the status filter.
    let page = app
        .data(
            "{ job(guid: \"bc-3\") { testResults(status: FAIL, first: 2) { nodes { subtest } pageInfo { hasNextPage endCursor } } } }",
            json!({}),
        )
        .await;
    assert_eq!(page["job"]["testResults"]["pageInfo"]["hasNextPage"], true);
    let none = app
        .data(
            "{ job(guid: \"bc-3\") { testResults(status: PASS, first: 10) { nodes { subtest } } } }",
            json!({}),
        )
        .await;
    assert_eq!(none["job"]["testResults"]["nodes"], json!([]));

    let history = app
        .data(
            "query($t: String!) { testHistory(repository: \"try\", test: $t, first: 10) {
                nodes { subtest status job { guid push { pushId } } } } }",
            json!({"t": fullscreen}),
        )
        .await;
    let seen: Vec<(Value, Value, Value)> = history["testHistory"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["job"]["push"]["pushId"].clone(),
                n["subtest"].clone(),
                n["status"].clone(),
            )
        })
        .collect();
    // Newest recorded first: the summary of push 3 was parsed last or first, but both of its
    // subtests are there, and push 2's two passing results.
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert!(seen.contains(&(json!(2), Value::Null, json!("OK"))));
    assert!(seen.contains(&(json!(2), json!("Uncaught exception"), json!("PASS"))));
    assert_eq!(
        seen.iter().filter(|(push, _, _)| *push == json!(3)).count(),
        2
    );

    let summary = app
        .data(
            "{ failureSummary(repository: \"try\", since: \"2026-11-20T00:00:00Z\", until: \"2026-11-21T00:00:00Z\") {
                test failures failedPushes passedPushes firstFailedPushId lastFailedPushId kind } }",
            json!({}),
        )
        .await;
    let video = "toolkit/components/pictureinpicture/tests/browser_videoSelection.js";
    assert_eq!(
        summary["failureSummary"],
        json!([
            // Failed wherever it ran: new. As many failed pushes, more failures: first.
            {"test": video, "failures": 6, "failedPushes": 2, "passedPushes": 0,
             "firstFailedPushId": 1, "lastFailedPushId": 3, "kind": "NEW"},
            // Failed on 1, passed on 2, failed on 3: intermittent.
            {"test": fullscreen, "failures": 4, "failedPushes": 2, "passedPushes": 1,
             "firstFailedPushId": 1, "lastFailedPushId": 3, "kind": "INTERMITTENT"},
        ])
    );
    let window = app
        .data(
            "{ failureSummary(repository: \"try\", since: \"2026-11-20T02:00:00Z\", until: \"2026-11-20T03:00:00Z\") { test } }",
            json!({}),
        )
        .await;
    assert_eq!(
        window["failureSummary"],
        json!([]),
        "push 2 alone failed nothing"
    );
    let backwards = app
        .graphql(
            "{ failureSummary(repository: \"try\", since: \"2026-11-21T00:00:00Z\", until: \"2026-11-20T00:00:00Z\") { test } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&backwards), "BAD_USER_INPUT");
}
