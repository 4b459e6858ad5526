//! `GET /metrics`: Prometheus' view of a real server after real requests: GraphQL requests by
//! operation, kind and outcome; errors by code; HTTP requests by route; jobs written and
//! their lag; the parse queue, the graph and the pool; and the bound on operation names.

use serde_json::json;
use std::collections::HashMap;
use treeherd_tests::{TestApp, error_code, revision};

/// The scrape as `name{labels}` → value (comments and `# EOF` left out).
async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn value(metrics: &HashMap<String, f64>, series: &str) -> f64 {
    *metrics
        .get(series)
        .unwrap_or_else(|| panic!("no {series} in {:#?}", sorted(metrics)))
}

fn sorted(metrics: &HashMap<String, f64>) -> Vec<(&String, &f64)> {
    let mut all: Vec<_> = metrics.iter().collect();
    all.sort_by(|a, b| a.0.cmp(b.0));
    all
}

#[tokio::test]
async fn metrics_count_requests_errors_jobs_and_read_the_stores_vitals() {
    let app = TestApp::spawn_with(|config| config.log_worker = None).await;
    app.create_repository("try", &[]).await;
    let before = scrape(&app).await;
    assert_eq!(value(&before, "treeherd_jobs_written_total"), 0.0);
    assert_eq!(value(&before, "treeherd_log_parse_queue_depth"), 0.0);

    app.data(
        "mutation Push($p: PushInput!) { submitPush(input: $p) { pushId } }",
        json!({"p": {"repository": "try", "pushId": 1, "revision": revision(1),
                     "author": "dev@example.com", "pushedAt": "2026-12-01T10:00:00Z"}}),
    )
    .await;
    app.data(
        "mutation Jobs($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
        json!({"j": [{"guid": "build-1", "repository": "try", "revision": revision(1),
                      "kind": "BUILD", "name": "build-linux64/opt", "platform": "linux64",
                      "state": "COMPLETED", "result": "SUCCESS",
                      "startedAt": "2026-12-01T10:00:00Z", "finishedAt": "2026-12-01T10:30:00Z"}]}),
    )
    .await;
    app.data(
        "mutation Log($job: String!, $a: [ArtifactInput!]!) { attachArtifacts(job: $job, artifacts: $a) { attached } }",
        json!({"job": "build-1", "a": [{"name": "live_backing_log", "kind": "RAW_LOG",
                                        "url": "http://127.0.0.1:9/live_backing.log"}]}),
    )
    .await;
    // A graph question (the drawn neighbourhood): the process's graph catches up with the job.
    for _ in 0..2 {
        app.data(
            "query Job { dependencyGraph(guid: \"build-1\") { nodes { guid } } }",
            json!({}),
        )
        .await;
    }
    let missing = app
        .graphql(
            "query Missing { job(guid: \"build-1\") { nope } }",
            json!({}),
        )
        .await;
    let code = error_code(&missing).to_owned();

    let after = scrape(&app).await;
    let graphql = |operation: &str, kind: &str, outcome: &str| {
        value(
            &after,
            &format!(
                "treeherd_graphql_request_duration_seconds_count{{operation=\"{operation}\",kind=\"{kind}\",outcome=\"{outcome}\"}}"
            ),
        )
    };
    assert_eq!(graphql("Job", "query", "ok"), 2.0);
    assert_eq!(graphql("Jobs", "mutation", "ok"), 1.0);
    assert_eq!(graphql("Missing", "query", "error"), 1.0);
    assert_eq!(
        value(
            &after,
            &format!("treeherd_graphql_errors_total{{code=\"{code}\"}}")
        ),
        1.0
    );
    // createRepository, Push, Jobs, Log, Job twice, Missing: every POST /graphql answered 200.
    assert_eq!(
        value(
            &after,
            "treeherd_http_request_duration_seconds_count{route=\"/graphql\",method=\"POST\",status=\"200\"}"
        ),
        7.0
    );
    assert_eq!(
        value(
            &after,
            "treeherd_http_request_duration_seconds_count{route=\"/metrics\",method=\"GET\",status=\"200\"}"
        ),
        1.0,
        "the first scrape, counted once it was answered"
    );
    assert_eq!(value(&after, "treeherd_jobs_written_total"), 1.0);
    assert_eq!(value(&after, "treeherd_ingestion_lag_seconds_count"), 1.0);
    assert!(
        value(&after, "treeherd_ingestion_lag_seconds_sum") > 0.0,
        "finished days ago"
    );
    assert_eq!(
        value(&after, "treeherd_log_parse_queue_depth"),
        1.0,
        "no worker runs: the log waits"
    );
    assert_eq!(value(&after, "treeherd_graph_jobs"), 1.0);
    assert_eq!(value(&after, "treeherd_graph_changes_behind"), 0.0);
    let max = value(&after, "treeherd_db_pool_max_connections");
    let idle = value(&after, "treeherd_db_pool_connections{state=\"idle\"}");
    let in_use = value(&after, "treeherd_db_pool_connections{state=\"in_use\"}");
    assert!(max >= 1.0 && idle + in_use <= max, "{max} {idle} {in_use}");
}

#[tokio::test]
async fn operation_names_are_labels_only_up_to_a_bound() {
    let app = TestApp::spawn().await;
    let names = treeherd_service::metrics::MAX_OPERATIONS + 5;
    for n in 0..names {
        app.data(
            &format!("query Op{n} {{ repositories {{ name }} }}"),
            json!({}),
        )
        .await;
    }
    let metrics = scrape(&app).await;
    let operations: Vec<&String> = metrics
        .keys()
        .filter(|series| series.starts_with("treeherd_graphql_request_duration_seconds_count"))
        .collect();
    assert_eq!(
        operations.len(),
        treeherd_service::metrics::MAX_OPERATIONS + 1,
        "{operations:?}"
    );
    assert_eq!(
        value(
            &metrics,
            "treeherd_graphql_request_duration_seconds_count{operation=\"other\",kind=\"query\",outcome=\"ok\"}"
        ),
        5.0
    );
}
