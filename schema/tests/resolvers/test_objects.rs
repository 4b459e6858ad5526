//! Test objects sent directly: test results and their artifacts, checked, replaced and
//! attached. (What the parse worker makes of logs: the e2e suite's `test_objects.rs`.)

use serde_json::json;

use crate::support::{TestSchema, error_code, revision};

const ATTACH: &str =
    "mutation($job: String!, $test: String, $subtest: String, $a: [ArtifactInput!]!) {
    attachArtifacts(job: $job, test: $test, subtest: $subtest, artifacts: $a) { attached } }";
const SUBMIT_RESULTS: &str = "mutation($job: String!, $r: [TestResultInput!]!) {
    submitTestResults(job: $job, results: $r) { test subtest status expected failed durationMs message group
      artifacts { name kind url size sha256 } } }";

/// Stores push `n` of `try` (pushed `n` hours after a fixed time) and a job on it.
async fn job_on_push(app: &TestSchema, guid: &str, push: u64) {
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

#[tokio::test]
async fn results_and_artifacts_sent_directly_are_checked_replaced_and_attached() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;
    job_on_push(&app, "job-1", 1).await;
    let sha = "ab".repeat(32);
    let first = app
        .data(
            SUBMIT_RESULTS,
            json!({"job": "job-1", "r": [
                {"test": "dom/a.html", "status": "FAIL", "message": "boom", "artifacts": [
                    {"name": "screenshot.png", "kind": "SCREENSHOT", "url": "https://artifacts.example/a.png",
                     "contentType": "image/png", "size": 2048, "sha256": sha.to_uppercase()}]},
                {"test": "dom/b.html", "status": "TIMEOUT", "expected": "TIMEOUT"},
            ]}),
        )
        .await;
    assert_eq!(first["submitTestResults"][0]["failed"], true);
    assert_eq!(
        first["submitTestResults"][0]["artifacts"],
        json!([{"name": "screenshot.png", "kind": "SCREENSHOT", "url": "https://artifacts.example/a.png",
                "size": 2048, "sha256": sha}])
    );
    assert_eq!(
        first["submitTestResults"][1]["failed"], false,
        "an expected timeout is no failure"
    );

    // Sending a result again replaces it; the other stays.
    app.data(
        SUBMIT_RESULTS,
        json!({"job": "job-1", "r": [{"test": "dom/a.html", "status": "PASS"}]}),
    )
    .await;
    let results = app
        .data(
            "{ job(guid: \"job-1\") { testResults(first: 10) { nodes { test status failed message } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        results["job"]["testResults"]["nodes"],
        json!([
            {"test": "dom/a.html", "status": "PASS", "failed": false, "message": null},
            {"test": "dom/b.html", "status": "TIMEOUT", "failed": false, "message": null},
        ])
    );

    // A recording on a result, a build master's log on the job: the log is queued.
    app.data(
        ATTACH,
        json!({"job": "job-1", "test": "dom/b.html", "a": [
            {"name": "recording.mp4", "kind": "RECORDING", "url": "https://artifacts.example/b.mp4"}]}),
    )
    .await;
    app.data(
        ATTACH,
        json!({"job": "job-1", "a": [
            {"name": "buildbot_master.log", "kind": "RAW_LOG", "url": "https://logs.example/master.log"}]}),
    )
    .await;
    let job = app
        .data(
            "{ job(guid: \"job-1\") { artifacts { name kind } logs { name status }
                testResults(first: 10) { nodes { test artifacts { name kind } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        job["job"]["artifacts"],
        json!([{"name": "buildbot_master.log", "kind": "RAW_LOG"}])
    );
    assert_eq!(
        job["job"]["logs"],
        json!([{"name": "buildbot_master.log", "status": "PENDING"}]),
        "this server runs no worker: the log waits"
    );
    assert_eq!(
        job["job"]["testResults"]["nodes"][1]["artifacts"],
        json!([{"name": "recording.mp4", "kind": "RECORDING"}])
    );

    // Refusals: each names what is wrong, and nothing of the call is kept.
    let refused = [
        (
            json!({"job": "job-1", "r": [{"test": "", "status": "PASS"}]}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"job": "job-1", "r": [{"test": "x", "subtest": "", "status": "PASS"}]}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"job": "job-1", "r": [{"test": "x", "status": "PASS", "durationMs": -1}]}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"job": "job-1", "r": [{"test": "x", "status": "PASS", "artifacts": [
            {"name": "a", "kind": "OTHER", "url": "https://a.example/", "sha256": "xyz"}]}]}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"job": "job-1", "r": [{"test": "x", "status": "PASS", "artifacts": [
            {"name": "a", "kind": "OTHER", "url": "file:///etc/passwd"}]}]}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"job": "job-1", "r": [{"test": "x", "status": "PASS", "artifacts": [
            {"name": "a", "kind": "OTHER", "url": "https://a.example/", "size": -5}]}]}),
            "BAD_USER_INPUT",
        ),
        (
            json!({"job": "no-such-job", "r": [{"test": "x", "status": "PASS"}]}),
            "NOT_FOUND",
        ),
    ];
    for (variables, code) in refused {
        let answer = app.graphql(SUBMIT_RESULTS, variables.clone()).await;
        assert_eq!(error_code(&answer), code, "{variables}: {answer}");
    }
    let no_result = app
        .graphql(
            ATTACH,
            json!({"job": "job-1", "test": "dom/none.html", "a": [
                {"name": "a", "kind": "OTHER", "url": "https://a.example/"}]}),
        )
        .await;
    assert_eq!(error_code(&no_result), "NOT_FOUND");
    let anonymous = app
        .graphql_as(
            None,
            SUBMIT_RESULTS,
            json!({"job": "job-1", "r": [{"test": "x", "status": "PASS"}]}),
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let other_repository = app
        .graphql_as(
            Some(&app.token(&["write:elsewhere"])),
            SUBMIT_RESULTS,
            json!({"job": "job-1", "r": [{"test": "x", "status": "PASS"}]}),
        )
        .await;
    assert_eq!(error_code(&other_repository), "FORBIDDEN");
    let after = app
        .data(
            "{ job(guid: \"job-1\") { testResults(first: 10) { nodes { test } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        after["job"]["testResults"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
