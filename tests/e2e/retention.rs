//! Retention end to end: old jobs go with everything that hangs off them and nothing else
//! (pushes, a release's gates, a newer repack's dangling edge, performance values stay), the
//! graph of a second server on the same database drops them, and no table keeps a row whose
//! parent went. `kill -9` in the middle of a pass is `api/tests/retention.rs`'s.

use chrono::{Duration as Days, Utc};
use serde_json::{Value, json};
use std::time::Duration;
use treeherd_service::{Changes, RetentionPolicy, Service};
use treeherd_store::{LogError, ParsedLog, PerfValue};
use treeherd_testkit::documents::ADD;
use treeherd_tests::{TestApp, revision};

use crate::builders::push_at;

const SUBMIT: &str = "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }";
const DAY: Duration = Duration::from_secs(86_400);

/// A job submitted `days_ago` days ago on push `push` (none: a job with no time at all).
fn job(guid: &str, kind: &str, result: &str, push: u64, days_ago: Option<i64>) -> Value {
    let at = days_ago.map(|d| (Utc::now() - Days::days(d)).to_rfc3339());
    json!({"guid": guid, "repository": "try", "revision": revision(push), "kind": kind,
           "name": guid, "platform": "linux64", "state": "COMPLETED", "result": result,
           "submittedAt": at, "startedAt": at, "finishedAt": at, "attributes": {"owner": "a"}})
}

async fn ancestors(app: &TestApp, guid: &str) -> Value {
    app.data(
        "query($g: String!) { job(guid: $g) { ancestors(first: 100) { nodes { guid } } } }",
        json!({"g": guid}),
    )
    .await["job"]["ancestors"]["nodes"]
        .clone()
}

#[tokio::test]
async fn old_jobs_expire_with_what_hangs_off_them_and_nothing_else() {
    let one = TestApp::spawn().await;
    one.create_repository("try", &["owner"]).await;
    for (push, days_ago) in [(1, 200), (2, 1)] {
        push_at(
            &one,
            push,
            &(Utc::now() - Days::days(days_ago)).to_rfc3339(),
        )
        .await;
    }
    let jobs = json!([
        job("old-build", "BUILD", "SUCCESS", 1, Some(200)),
        job("old-test", "TEST", "TESTFAILED", 1, Some(200)),
        job("old-gate", "BUILD", "SUCCESS", 1, Some(200)),
        job("timeless", "OTHER", "SUCCESS", 1, None),
        job("new-repack", "L10N_REPACK", "SUCCESS", 2, Some(1)),
    ]);
    one.data(SUBMIT, json!({"jobs": jobs})).await;
    one.data(
        ADD,
        json!({"edges": [{"dependent": "old-test", "dependency": "old-build", "kind": "TEST"},
                         {"dependent": "new-repack", "dependency": "old-build", "kind": "L10N_REPACK"}]}),
    )
    .await;
    one.data(
        "mutation($r: ReleaseInput!) { createRelease(input: $r) { status } }",
        json!({"r": {"product": "firefox", "version": "140.0", "buildNumber": 1, "channel": "release",
                     "repository": "try", "revision": revision(1), "gates": ["old-gate"]}}),
    )
    .await;
    // The old test has a parsed log (an error line, a performance value), a test result,
    // an artifact and a person's classification.
    one.data(
        "mutation($a: [ArtifactInput!]!) { attachArtifacts(job: \"old-test\", artifacts: $a) { attached } }",
        json!({"a": [{"name": "live_backing_log", "kind": "RAW_LOG", "url": "http://logs.invalid/old-test.log"},
                     {"name": "screenshot.png", "kind": "OTHER", "url": "http://logs.invalid/old.png"}]}),
    )
    .await;
    one.data(
        "mutation($r: [TestResultInput!]!) { submitTestResults(job: \"old-test\", results: $r) { test } }",
        json!({"r": [{"test": "dom/a.html", "status": "FAIL", "expected": "PASS"}]}),
    )
    .await;
    let store = one.store();
    let old_test = store.job("old-test".into()).await.unwrap().unwrap();
    let logs = store.logs_of(vec![old_test.id]).await.unwrap();
    let log = logs[&old_test.id][0].id;
    let parsed = ParsedLog {
        line_count: Some(10),
        byte_count: Some(100),
        error_count: Some(1),
        errors: vec![LogError {
            line_number: 3,
            line: "TEST-UNEXPECTED-FAIL | dom/a.html | boom".into(),
            step: None,
            recurrence: None,
        }],
        perf: vec![PerfValue {
            framework: "awsy".into(),
            suite: "Explicit Memory".into(),
            subtest: None,
            value: 42.0,
            unit: Some("bytes".into()),
            lower_is_better: Some(true),
        }],
        ..ParsedLog::default()
    };
    store
        .store_parsed_log(log, None, parsed, 0, None)
        .await
        .unwrap();
    one.data(
        "mutation($i: ClassifyJobsInput!) { classifyJobs(input: $i) { jobs { guid } } }",
        json!({"i": {"jobs": ["old-test"], "classification": "INTERMITTENT", "bugs": [1]}}),
    )
    .await;

    // A second server has loaded its graph with the old jobs in it.
    let two = TestApp::spawn_beside(&one).await;
    assert_eq!(
        ancestors(&two, "new-repack").await,
        json!([{"guid": "old-build"}])
    );

    let service = Service::new(store.clone(), Changes::default());
    let policy = RetentionPolicy {
        jobs: Some(DAY * 120),
        perf: Some(DAY * 365),
    };
    let pass = service
        .expire(policy, Utc::now().timestamp_micros())
        .await
        .unwrap();
    assert!(!pass.busy, "{pass}");
    let expired = pass.expired;
    assert_eq!(
        (
            expired.jobs,
            expired.edges,
            expired.logs,
            expired.test_results,
            expired.classifications,
            expired.perf_values
        ),
        // The classification of the job, and of its failure line.
        (2, 1, 1, 1, 2, 0),
        "{pass}"
    );
    assert!(expired.artifacts >= 1, "{pass}");

    // Gone: the old build and test. Kept: the gate, the release, the timeless job, the new
    // repack (its edge dangles by guid), both pushes, the performance value.
    for app in [&one, &two] {
        let data = app
            .data(
                "{ a: job(guid: \"old-build\") { guid } b: job(guid: \"old-test\") { guid }
                   c: job(guid: \"old-gate\") { guid } d: job(guid: \"timeless\") { guid }
                   e: job(guid: \"new-repack\") { guid }
                   f: repository(name: \"try\") { pushes(first: 10) { nodes { pushId } } } }",
                json!({}),
            )
            .await;
        assert_eq!(data["a"], Value::Null);
        assert_eq!(data["b"], Value::Null);
        assert_eq!(data["c"]["guid"], "old-gate");
        assert_eq!(data["d"]["guid"], "timeless");
        assert_eq!(data["e"]["guid"], "new-repack");
        assert_eq!(
            data["f"]["pushes"]["nodes"].as_array().unwrap().len(),
            2,
            "{data}"
        );
        // The other server's graph dropped the expired job through the change log.
        assert_eq!(ancestors(app, "new-repack").await, json!([]));
    }
    let dangling = store
        .count_rows(
            "job_dependencies",
            "dependency_guid = 'old-build' AND dependency_id IS NULL",
        )
        .await
        .unwrap();
    assert_eq!(dangling, 1, "the newer repack's edge stays, dangling");
    let series = one
        .data(
            "{ perfSeries(repository: \"try\", framework: \"awsy\", suite: \"Explicit Memory\",
                platform: \"linux64\") { pushId value job { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        series["perfSeries"],
        json!([{"pushId": 1, "value": 42.0, "job": null}])
    );
    let orphans = store.orphans().await.unwrap();
    assert!(
        orphans.is_empty(),
        "rows left without their parent: {orphans:?}"
    );

    // A second pass finds nothing; performance values go by their own window.
    let again = service
        .expire(policy, Utc::now().timestamp_micros())
        .await
        .unwrap();
    assert_eq!(again.expired.jobs, 0, "{again}");
    let perf_only = RetentionPolicy {
        jobs: None,
        perf: Some(DAY * 100),
    };
    let pass = service
        .expire(perf_only, Utc::now().timestamp_micros())
        .await
        .unwrap();
    assert_eq!(pass.expired.perf_values, 1, "{pass}");
}

#[tokio::test]
async fn a_server_with_retention_expires_at_start() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    push_at(&app, 1, "2026-01-01T00:00:00Z").await;
    app.data(
        SUBMIT,
        json!({"jobs": [job("old", "BUILD", "SUCCESS", 1, Some(400)), job("new", "BUILD", "SUCCESS", 1, Some(2))]}),
    )
    .await;
    let retaining = TestApp::spawn_beside_with(&app, |config| {
        config.retention = RetentionPolicy {
            jobs: Some(DAY * 30),
            perf: None,
        };
    })
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let data = retaining
            .data(
                "{ a: job(guid: \"old\") { guid } b: job(guid: \"new\") { guid } }",
                json!({}),
            )
            .await;
        assert_eq!(data["b"]["guid"], "new");
        if data["a"].is_null() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server's first retention pass did not expire the old job"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
