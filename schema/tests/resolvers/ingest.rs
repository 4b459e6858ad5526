//! Ingestion of Treeherder pulse job messages through `ingestPulseJobs`: the sample messages
//! as stored, rejections one by one, coalesced and retried runs, write scopes per message.
//! (`POST /api/jobs` and task-graph imports: the e2e suite's `ingest.rs`.)

use serde_json::{Value, json};

use crate::support::{TestSchema, error_code};

const INGEST: &str = "mutation($m: [JSON!]!) { ingestPulseJobs(messages: $m) {
    jobs { guid } rejected { index field rule message } marked } }";
const JOB_FIELDS: &str =
    "guid kind name symbol groupSymbol groupName platform buildSystem state result tier
    machine submittedAt startedAt finishedAt revision attributes";

/// The 30 sample messages, for repository `try`.
fn samples() -> Option<Vec<Value>> {
    let path = treeherd_testkit::fixture("treeherder/pulse/job_data.json")?;
    let mut messages: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for m in &mut messages {
        m["origin"]["project"] = json!("try");
    }
    Some(messages)
}

async fn app() -> TestSchema {
    let app = TestSchema::new().await;
    app.create_repository("try", &["owner", "labels"]).await;
    app
}

/// What the stored job must be, derived from the message independently of the mapper.
fn expected(m: &Value) -> Value {
    let test = m["jobKind"] == "test";
    let result = match m["result"].as_str().unwrap() {
        "success" => "SUCCESS",
        "fail" if test => "TESTFAILED",
        "fail" => "BUSTED",
        "retry" => "RETRY",
        other => panic!("unexpected result {other}"),
    };
    let time = |key: &str| chrono_like(m[key].as_str().unwrap());
    json!({
        "guid": m["taskId"], "kind": if test { "TEST" } else { "BUILD" },
        "name": m["display"]["jobName"], "symbol": m["display"]["jobSymbol"],
        "groupSymbol": m["display"]["groupSymbol"], "groupName": m["display"]["groupName"],
        "platform": m["runMachine"]["platform"], "buildSystem": "taskcluster",
        "state": "COMPLETED", "result": result, "tier": 1, "machine": m["runMachine"]["name"],
        "submittedAt": time("timeScheduled"), "startedAt": time("timeStarted"),
        "finishedAt": time("timeCompleted"), "revision": m["origin"]["revision"],
    })
}

/// RFC 3339 with an offset, as the API prints it in UTC.
fn chrono_like(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339()
}

#[tokio::test]
async fn the_thirty_sample_messages_land_as_expected_and_twice_changes_nothing() {
    let Some(messages) = samples() else { return };
    let app = app().await;
    let answer = app.data(INGEST, json!({"m": messages})).await;
    assert_eq!(answer["ingestPulseJobs"]["rejected"], json!([]));
    assert_eq!(
        answer["ingestPulseJobs"]["jobs"].as_array().unwrap().len(),
        30
    );

    for m in &messages {
        let query = format!("query($g: String!) {{ job(guid: $g) {{ {JOB_FIELDS} }} }}");
        let data = app.data(&query, json!({"g": m["taskId"]})).await;
        let mut job = data["job"].clone();
        let attributes = job.as_object_mut().unwrap().remove("attributes").unwrap();
        assert_eq!(job, expected(m), "{}", m["taskId"]);
        assert_eq!(attributes["owner"], m["owner"]);
        assert_eq!(attributes["reason"], m["reason"]);
        assert_eq!(attributes["productName"], m["productName"]);
        assert_eq!(attributes["labels"], m["labels"]);

        let stored = app
            .data("query($g: String!) { job(guid: $g) { logs { name url status } artifacts { name url kind } } }",
                json!({"g": m["taskId"]}))
            .await;
        // Its logs, and the artifacts that are logs to parse (raw logs, error summaries).
        let mut logs: Vec<Value> = m["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| json!({"name": l["name"], "url": l["url"], "status": "PENDING"}))
            .collect();
        logs.extend(
            stored["job"]["artifacts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["kind"] == "RAW_LOG" || a["kind"] == "ERRORSUMMARY")
                .map(|a| json!({"name": a["name"], "url": a["url"], "status": "PENDING"})),
        );
        let by_name = |logs: &mut Vec<Value>| {
            logs.sort_by_key(|l| l["name"].as_str().unwrap_or_default().to_owned())
        };
        by_name(&mut logs);
        let mut got = stored["job"]["logs"].as_array().unwrap().clone();
        by_name(&mut got);
        assert_eq!(got, logs, "logs of {}", m["taskId"]);
        let links = m["jobInfo"]["links"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let artifacts = stored["job"]["artifacts"].as_array().unwrap();
        assert_eq!(artifacts.len(), links.len(), "artifacts of {}", m["taskId"]);
        for (artifact, link) in artifacts.iter().zip(links) {
            assert_eq!(
                (&artifact["name"], &artifact["url"]),
                (&link["linkText"], &link["url"])
            );
            let kinds = [
                "RAW_LOG",
                "PARSED_LOG",
                "ERRORSUMMARY",
                "SCREENSHOT",
                "RECORDING",
                "BINARY",
                "OTHER",
            ];
            assert!(kinds.contains(&artifact["kind"].as_str().unwrap()));
        }
    }
    let owned = app
        .data(
            "{ jobs(repository: \"try\", first: 100, filter: {attributes: [{key: \"labels\", value: \"debug\"}]}) { nodes { guid } } }",
            json!({}),
        )
        .await;
    let debug = messages
        .iter()
        .filter(|m| m["labels"].as_array().unwrap().contains(&json!("debug")))
        .count();
    assert_eq!(owned["jobs"]["nodes"].as_array().unwrap().len(), debug);

    let before = app
        .data(
            "{ jobs(repository: \"try\", first: 100) { nodes { guid state result } } }",
            json!({}),
        )
        .await;
    app.data(INGEST, json!({"m": messages})).await;
    let after = app
        .data(
            "{ jobs(repository: \"try\", first: 100) { nodes { guid state result } } }",
            json!({}),
        )
        .await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn invalid_messages_are_rejected_one_by_one_and_the_rest_kept() {
    let Some(messages) = samples() else { return };
    let app = app().await;
    let mut no_revision = messages[1].clone();
    no_revision["origin"]
        .as_object_mut()
        .unwrap()
        .remove("revision");
    let mut bad_state = messages[2].clone();
    bad_state["state"] = json!("finished");
    let mut elsewhere = messages[3].clone();
    elsewhere["origin"]["project"] = json!("mozilla-central");
    let batch = json!([
        messages[0],
        no_revision,
        bad_state,
        elsewhere,
        "not an object",
        messages[4]
    ]);
    let answer = app.data(INGEST, json!({"m": batch})).await;
    let outcome = &answer["ingestPulseJobs"];
    let kept: Vec<&str> = outcome["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["guid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kept,
        vec![
            messages[0]["taskId"].as_str().unwrap(),
            messages[4]["taskId"].as_str().unwrap()
        ]
    );
    let rejected: Vec<(i64, &str)> = outcome["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_i64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (1, "origin.revision"),
            (2, "state"),
            (3, "origin.project"),
            (4, "$")
        ]
    );
    assert_eq!(outcome["rejected"][0]["rule"], "required");
    assert!(
        outcome["rejected"][2]["message"]
            .as_str()
            .unwrap()
            .contains("mozilla-central")
    );
}

#[tokio::test]
async fn coalesced_and_retried_runs_are_marked_and_never_move_back() {
    let Some(messages) = samples() else { return };
    let app = app().await;
    let mut first_run = messages[12].clone(); // completed, fail
    first_run["state"] = json!("running");
    first_run.as_object_mut().unwrap().remove("result");
    app.data(INGEST, json!({"m": [first_run.clone(), messages[13]]}))
        .await;

    let task = first_run["taskId"]
        .as_str()
        .unwrap()
        .trim_end_matches("/0")
        .to_owned();
    let mut second_run = messages[12].clone();
    second_run["taskId"] = json!(format!("{task}/1"));
    let mut coalescing = messages[14].clone();
    coalescing["coalesced"] = json!([messages[13]["taskId"]]);
    let answer = app
        .data(INGEST, json!({"m": [second_run, coalescing]}))
        .await;
    assert_eq!(answer["ingestPulseJobs"]["marked"], 2);

    let state = |guid: String| {
        let app = &app;
        async move {
            let data = app
                .data(
                    "query($g: String!) { job(guid: $g) { state result } }",
                    json!({"g": guid}),
                )
                .await;
            (
                data["job"]["state"].as_str().unwrap().to_owned(),
                data["job"]["result"].as_str().unwrap().to_owned(),
            )
        }
    };
    assert_eq!(
        state(format!("{task}/0")).await,
        ("COMPLETED".into(), "RETRY".into())
    );
    assert_eq!(
        state(messages[13]["taskId"].as_str().unwrap().into()).await,
        ("COMPLETED".into(), "SUPERSEDED".into())
    );
    // The first run's late "running" message changes nothing now.
    app.data(INGEST, json!({"m": [first_run]})).await;
    assert_eq!(
        state(format!("{task}/0")).await,
        ("COMPLETED".into(), "RETRY".into())
    );
}

#[tokio::test]
async fn a_write_scope_for_another_repository_is_refused_per_message() {
    let Some(messages) = samples() else { return };
    let app = app().await;
    app.create_repository("autoland", &[]).await;
    let token = app.token(&["write:autoland"]);
    let response = app
        .graphql_as(Some(&token), INGEST, json!({"m": [messages[0]]}))
        .await;
    assert_eq!(
        response["data"]["ingestPulseJobs"]["rejected"][0]["field"],
        "origin.project"
    );
    assert_eq!(response["data"]["ingestPulseJobs"]["jobs"], json!([]));
    let anonymous = app
        .graphql_as(None, INGEST, json!({"m": [messages[0]]}))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}
