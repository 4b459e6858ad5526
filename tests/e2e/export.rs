//! The export's test results and performance values (`ExportData::TestResults`, `Perf`): what
//! a job's parse and its submitted results become as NDJSON, and a performance value still
//! exported by its push after its job expired. Jobs as NDJSON, through the binary, are
//! `api/tests/export.rs`'s.

use chrono::Utc;
use serde_json::{Value, json};
use std::time::Duration;
use treeherd_service::export::{ExportData, Ndjson};
use treeherd_service::{Changes, RetentionPolicy, Service};
use treeherd_store::{ParsedLog, PerfValue};
use treeherd_tests::{TestApp, revision};

use crate::builders::push_at;

async fn exported(service: &Service, data: ExportData) -> Vec<Value> {
    let mut out = Vec::new();
    let since = Utc::now().timestamp_micros() - 400 * 86_400_000_000;
    let until = Utc::now().timestamp_micros();
    let written = service
        .export(data, since, until, &mut Ndjson(&mut out), |_| {})
        .await
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, written);
    lines
}

#[tokio::test]
async fn test_results_and_performance_values_export_and_values_outlive_their_job() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    let pushed = (Utc::now() - chrono::Duration::days(200)).to_rfc3339();
    push_at(&app, 1, &pushed).await;
    app.data(
        "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
        json!({"j": [{"guid": "talos", "repository": "try", "revision": revision(1), "kind": "TEST",
                      "name": "talos", "platform": "linux64", "state": "COMPLETED", "result": "TESTFAILED",
                      "submittedAt": pushed}]}),
    )
    .await;
    app.data(
        "mutation($r: [TestResultInput!]!) { submitTestResults(job: \"talos\", results: $r) { test } }",
        json!({"r": [{"test": "dom/a.html", "status": "FAIL", "expected": "PASS", "durationMs": 12, "message": "boom"},
                     {"test": "dom/a.html", "subtest": "one", "status": "PASS"}]}),
    )
    .await;
    app.data(
        "mutation($a: [ArtifactInput!]!) { attachArtifacts(job: \"talos\", artifacts: $a) { attached } }",
        json!({"a": [{"name": "live_backing_log", "kind": "RAW_LOG", "url": "http://logs.invalid/talos.log"}]}),
    )
    .await;
    let store = app.store();
    let job = store.job("talos".into()).await.unwrap().unwrap();
    let log = store.logs_of(vec![job.id]).await.unwrap()[&job.id][0].id;
    let parsed = ParsedLog {
        perf: vec![PerfValue {
            framework: "talos".into(),
            suite: "tp5".into(),
            subtest: Some("a.com".into()),
            value: 120.5,
            unit: Some("ms".into()),
            lower_is_better: Some(true),
        }],
        ..ParsedLog::default()
    };
    store
        .store_parsed_log(log, None, parsed, 0, None)
        .await
        .unwrap();
    let service = Service::new(store.clone(), Changes::default());

    let results = exported(&service, ExportData::TestResults).await;
    assert_eq!(
        results,
        vec![
            json!({"job": "talos", "repository": "try", "test": "dom/a.html", "subtest": null,
                   "status": "FAIL", "expected": "PASS", "failed": true, "durationMs": 12,
                   "message": "boom", "group": null}),
            json!({"job": "talos", "repository": "try", "test": "dom/a.html", "subtest": "one",
                   "status": "PASS", "expected": null, "failed": false, "durationMs": null,
                   "message": null, "group": null}),
        ]
    );
    let perf = exported(&service, ExportData::Perf).await;
    assert_eq!(perf.len(), 1);
    assert_eq!(perf[0]["job"], "talos");
    assert_eq!(perf[0]["push"]["pushId"], 1);
    assert_eq!(perf[0]["subtest"], "a.com");
    assert_eq!(perf[0]["value"], 120.5);

    // The job expires; its value is still exported, by its push.
    service
        .expire(
            RetentionPolicy {
                jobs: Some(Duration::from_secs(120 * 86_400)),
                perf: None,
            },
            Utc::now().timestamp_micros(),
        )
        .await
        .unwrap();
    assert!(exported(&service, ExportData::TestResults).await.is_empty());
    let perf = exported(&service, ExportData::Perf).await;
    assert_eq!(perf.len(), 1);
    assert_eq!(perf[0]["job"], Value::Null);
    assert_eq!(perf[0]["push"]["revision"], revision(1));
}
