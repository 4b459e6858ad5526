//! Ingestion from build systems over HTTP: Treeherder pulse job messages posted to
//! `/api/jobs`, and Taskcluster task graphs imported through the store. What
//! `ingestPulseJobs` answers is the schema harness's (`schema/tests/resolvers/ingest.rs`).

use serde_json::{Value, json};
use treeherd_tests::TestApp;

/// The 30 sample messages, for repository `try`.
fn samples() -> Option<Vec<Value>> {
    let path = treeherd_testkit::fixture("treeherder/pulse/job_data.json")?;
    let mut messages: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for m in &mut messages {
        m["origin"]["project"] = json!("try");
    }
    Some(messages)
}

async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    app.create_repository("try", &["owner", "labels"]).await;
    app
}

#[tokio::test]
async fn http_accepts_arrays_and_ndjson_and_answers_with_statuses() {
    let Some(messages) = samples() else { return };
    let app = app().await;
    let token = app.token(&["write:try"]);
    let url = format!("{}/api/jobs", app.address);
    let ndjson: String = messages[..10].iter().map(|m| format!("{m}\n")).collect();
    let response = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .body(ndjson)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accepted"], 10);
    assert_eq!(body["rejected"], json!([]));

    let array = serde_json::to_string(&messages[10..]).unwrap();
    let body: Value = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .body(array)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["accepted"], 20);

    let malformed = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .body("{\"taskId\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["error"]["code"], "BAD_USER_INPUT");

    let anonymous = app
        .client
        .post(&url)
        .body(serde_json::to_string(&messages).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let mut invalid = messages[0].clone();
    invalid["tier"] = json!(9);
    let all_bad = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .body(invalid.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(all_bad.status(), 422);
    let body: Value = all_bad.json().await.unwrap();
    assert_eq!(body["rejected"][0]["field"], "tier");

    let count = app
        .data(
            "{ jobs(repository: \"try\", first: 100) { nodes { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(count["jobs"]["nodes"].as_array().unwrap().len(), 30);
}

/// A pulse message for `try` (no fixture needed): `task` run 0, in `state` with `result`.
pub(crate) fn message(task: &str, state: &str, result: Option<&str>) -> Value {
    let mut m = json!({
        "taskId": format!("{task}/0"),
        "origin": {"project": "try", "revision": treeherd_tests::revision(1)},
        "buildSystem": "taskcluster",
        "display": {"jobSymbol": "M1", "jobName": "test-linux64/opt-mochitest-1", "groupSymbol": "M", "groupName": "Mochitests"},
        "state": state, "jobKind": "test",
        "runMachine": {"platform": "linux64", "os": "linux", "architecture": "x86_64", "name": "t-linux-1"},
        "version": 1,
        "timeScheduled": "2026-11-25T10:00:00Z",
    });
    if let Some(result) = result {
        m["result"] = json!(result);
        m["timeStarted"] = json!("2026-11-25T10:01:00Z");
        m["timeCompleted"] = json!("2026-11-25T10:20:00Z");
    }
    m
}

#[tokio::test]
async fn a_message_the_lifecycle_refuses_is_reported_over_graphql_and_http() {
    let app = app().await;
    let ingest = "mutation($m: [JSON!]!) { ingestPulseJobs(messages: $m) {
        jobs { guid state result } rejected { index } ignored { index guid reason } } }";
    let task = "5a1d3c2e-0001-4000-8000-000000000001";
    let guid = format!("{task}/0");
    let done = app
        .data(
            ingest,
            json!({"m": [message(task, "completed", Some("success"))]}),
        )
        .await;
    assert_eq!(done["ingestPulseJobs"]["rejected"], json!([]), "{done}");
    assert_eq!(done["ingestPulseJobs"]["ignored"], json!([]));
    assert_eq!(done["ingestPulseJobs"]["jobs"][0]["result"], "SUCCESS");

    // Re-sent with another result, behind an invalid message: index 1 is the message's.
    let answer = app
        .data(
            ingest,
            json!({"m": ["not an object", message(task, "completed", Some("fail"))]}),
        )
        .await;
    let outcome = &answer["ingestPulseJobs"];
    assert_eq!(outcome["rejected"], json!([{"index": 0}]));
    assert_eq!(
        outcome["jobs"],
        json!([{"guid": guid, "state": "COMPLETED", "result": "SUCCESS"}])
    );
    assert_eq!(outcome["ignored"][0]["index"], 1);
    assert_eq!(outcome["ignored"][0]["guid"], guid.as_str());
    let reason = outcome["ignored"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("COMPLETED with result SUCCESS") && reason.contains("TESTFAILED"),
        "{reason}"
    );

    // The same over HTTP: a late "running" message is ignored, and said so.
    let response = app
        .client
        .post(format!("{}/api/jobs", app.address))
        .bearer_auth(app.token(&["write:try"]))
        .body(message(task, "running", None).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["accepted"], 1);
    assert_eq!(body["ignored"][0]["index"], 0);
    assert_eq!(body["ignored"][0]["guid"], guid.as_str());
    let reason = body["ignored"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("never moves back"), "{reason}");
    let fresh = app
        .client
        .post(format!("{}/api/jobs", app.address))
        .bearer_auth(app.token(&["write:try"]))
        .body(message("5a1d3c2e-0002-4000-8000-000000000002", "pending", None).to_string())
        .send()
        .await
        .unwrap();
    let body: Value = fresh.json().await.unwrap();
    assert_eq!(body["ignored"], json!([]), "{body}");

    let stored = app
        .data(
            "query($g: String!) { job(guid: $g) { state result } }",
            json!({"g": guid}),
        )
        .await;
    assert_eq!(
        stored["job"],
        json!({"state": "COMPLETED", "result": "SUCCESS"})
    );
}

#[tokio::test]
async fn the_ninety_one_queue_tasks_import_with_typed_and_dangling_edges() {
    let Some(path) = treeherd_testkit::fixture("treeherder/pulse/taskcluster_tasks.json") else {
        return;
    };
    let app = app().await;
    let json: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let graph = treeherd_service::imports::parse(&json, None).unwrap();
    let revision = "9c6e4c31ad26efdad0b9af47a2b530bc414ce2c3".parse().unwrap();
    let service = treeherd_service::Service::new(app.store().clone(), Default::default());
    let imported = treeherd_service::imports::task_graph(&service, graph, "try", &revision, &())
        .await
        .unwrap();
    assert_eq!(
        imported,
        treeherd_service::imports::Imported {
            jobs: 91,
            edges: 166
        }
    );

    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    let mut dangling = 0;
    for (task, definition) in json.as_object().unwrap() {
        let data = app
            .data(
                "query($g: String!) { job(guid: $g) { state kind dependencies { kind } danglingDependencies { guid } } }",
                json!({"g": task}),
            )
            .await;
        assert_eq!(data["job"]["state"], "UNSCHEDULED");
        for d in data["job"]["dependencies"].as_array().unwrap() {
            *kinds
                .entry(d["kind"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        dangling += data["job"]["danglingDependencies"]
            .as_array()
            .unwrap()
            .len();
        let declared = definition["dependencies"].as_array().unwrap().len();
        let stored = data["job"]["dependencies"].as_array().unwrap().len()
            + data["job"]["danglingDependencies"]
                .as_array()
                .unwrap()
                .len();
        assert_eq!(stored, declared, "{task}");
    }
    assert_eq!(dangling, 97);
    assert_eq!(kinds.values().sum::<usize>(), 69);
    assert_eq!(kinds.get("TEST"), Some(&69));
}
