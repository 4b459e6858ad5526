//! Requests a hostile-input campaign found hurting the service, each now refused alone with a
//! clear error while everything around it is served: job filters with hundreds of attribute
//! conditions, push ids a GraphQL `Int` cannot hold,
//! NUL bytes (which PostgreSQL cannot store), unparsable NDJSON lines, one guid for two
//! repositories.

use serde_json::{Value, json};
use treeherd_store::MAX_PUSH_ID;
use treeherd_tests::{TestApp, error_code, revision};

const SUBMIT_PUSH: &str = "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }";

fn push(number: u64, push_id: Option<i64>) -> Value {
    json!({"p": {"repository": "try", "revision": revision(number), "author": "a",
                 "pushedAt": "2026-11-25T10:00:00Z", "pushId": push_id}})
}

/// Push ids are served as GraphQL `Int` (32-bit): one beyond it is refused where it is given,
/// and where it would be allocated, and the pushes stored before are untouched.
#[tokio::test]
async fn a_push_id_beyond_a_graphql_int_is_refused_where_it_is_given_or_allocated() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    let refused = app
        .graphql(SUBMIT_PUSH, push(1, Some(MAX_PUSH_ID + 1)))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert!(first_message(&refused).contains("2147483648"), "{refused}");
    let last = app.data(SUBMIT_PUSH, push(2, Some(MAX_PUSH_ID))).await;
    assert_eq!(last["submitPush"]["pushId"], MAX_PUSH_ID);
    let next = app.graphql(SUBMIT_PUSH, push(3, None)).await;
    assert_eq!(error_code(&next), "BAD_USER_INPUT", "{next}");
    let stored = app
        .data(
            "{ repository(name: \"try\") { pushes(first: 10) { nodes { pushId revision } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        stored["repository"]["pushes"]["nodes"],
        json!([{"pushId": MAX_PUSH_ID, "revision": revision(2)}])
    );
}

const SUBMIT_JOBS: &str = "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }";

/// Posts `body` to `/api/jobs` with `token`; the status and the answer.
async fn post_jobs(app: &TestApp, token: &str, body: String) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/api/jobs", app.address))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Messages as NDJSON.
fn ndjson(messages: &[Value]) -> String {
    messages.iter().map(|m| format!("{m}\n")).collect()
}

/// The `message` of a GraphQL answer's first error, or of a pulse answer's first rejection.
fn first_message(answer: &Value) -> &str {
    answer["errors"][0]["message"]
        .as_str()
        .or(answer["rejected"][0]["message"].as_str())
        .unwrap_or_else(|| panic!("no error or rejection in {answer}"))
}

/// D4: a NUL, which PostgreSQL cannot store and SQLite can, gets one answer on both: GraphQL
/// variables and literals BAD_USER_INPUT, a URL 400, a pulse message rejected alone.
#[tokio::test]
async fn a_nul_is_refused_alike_on_both_backends_wherever_a_string_comes_in() {
    let app = crate::builders::app_with_push().await;
    let token = app.token(&["write:try"]);
    let in_variable = app
        .graphql_as(
            Some(&token),
            SUBMIT_JOBS,
            json!({"j": [treeherd_testkit::documents::job("nul\u{0}guid", "TEST", "PENDING")]}),
        )
        .await;
    assert_eq!(error_code(&in_variable), "BAD_USER_INPUT", "{in_variable}");
    let in_literal = app
        .graphql("{ repository(name: \"tr\\u0000y\") { name } }", json!({}))
        .await;
    assert_eq!(error_code(&in_literal), "BAD_USER_INPUT", "{in_literal}");

    for url in [
        "/api/tr%00y/json-pushes",
        "/api/project/try/push/?author=a%00b",
        "/graphql?query=%7B__typename%7D&x=%00",
    ] {
        let response = app
            .client
            .get(format!("{}{url}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "BAD_USER_INPUT", "{url}: {body}");
    }

    // One pulse message of three has a NUL in a free-form field: it alone is rejected.
    let mut bad = crate::ingest::message("5a1d3c2e-0004-4000-8000-000000000002", "pending", None);
    bad["display"]["jobName"] = json!("mochitest\u{0}");
    let (status, answer) = post_jobs(
        &app,
        &token,
        ndjson(&[
            crate::ingest::message("5a1d3c2e-0004-4000-8000-000000000001", "pending", None),
            bad,
            crate::ingest::message("5a1d3c2e-0004-4000-8000-000000000003", "pending", None),
        ]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["accepted"], 2, "{answer}");
    assert_eq!(answer["rejected"][0]["index"], 1, "{answer}");
    assert!(first_message(&answer).contains("NUL"), "{answer}");
}

/// D5: one line of an NDJSON body that is not JSON is rejected alone, with its index and
/// line; the lines around it are stored.
#[tokio::test]
async fn an_ndjson_line_that_is_not_json_is_rejected_alone() {
    let app = crate::builders::app_with_push().await;
    let token = app.token(&["write:try"]);
    let body = format!(
        "{}\n{{\"taskId\": \n{}\n",
        crate::ingest::message("5a1d3c2e-0005-4000-8000-000000000001", "pending", None),
        crate::ingest::message("5a1d3c2e-0005-4000-8000-000000000003", "pending", None),
    );
    let (status, answer) = post_jobs(&app, &token, body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["accepted"], 2, "{answer}");
    assert_eq!(answer["rejected"][0]["index"], 1, "{answer}");
    assert_eq!(answer["rejected"][0]["rule"], "must be JSON", "{answer}");
    assert!(first_message(&answer).starts_with("line 2,"), "{answer}");
}

/// D7 and D8: a guid belongs to one repository. Inside one `submitJobs` call, one guid for two
/// repositories is refused (not resolved to either); a pulse message whose guid is another
/// repository's job, stored or earlier in the batch, is rejected alone and the rest stored.
#[tokio::test]
async fn a_guid_of_another_repository_is_refused_not_resolved_and_rejected_alone() {
    let app = crate::builders::app_with_push().await;
    app.create_repository("other", &[]).await;
    app.data(
        SUBMIT_PUSH,
        json!({"p": {"repository": "other", "revision": revision(1),
        "author": "a", "pushedAt": "2026-11-25T10:00:00Z"}}),
    )
    .await;
    let mut theirs = treeherd_testkit::documents::job("shared", "TEST", "PENDING");
    theirs["repository"] = json!("other");
    let both = app
        .graphql(
            SUBMIT_JOBS,
            json!({"j": [treeherd_testkit::documents::job("shared", "TEST", "PENDING"), theirs]}),
        )
        .await;
    assert_eq!(error_code(&both), "BAD_USER_INPUT", "{both}");
    let none = app
        .data("{ job(guid: \"shared\") { guid } }", json!({}))
        .await;
    assert_eq!(none["job"], Value::Null);

    // A job of `other`, then a batch for `try` naming its guid, and one guid for both.
    let task = "5a1d3c2e-0008-4000-8000-000000000001";
    let mut stored = crate::ingest::message(task, "pending", None);
    stored["origin"]["project"] = json!("other");
    let token = app.token(&["write:try", "write:other"]);
    let (status, _) = post_jobs(&app, &token, ndjson(&[stored])).await;
    assert_eq!(status, 200);
    let twice = "5a1d3c2e-0008-4000-8000-000000000002";
    let mut twice_other = crate::ingest::message(twice, "running", None);
    twice_other["origin"]["project"] = json!("other");
    let batch = [
        crate::ingest::message(task, "running", None),
        crate::ingest::message("5a1d3c2e-0008-4000-8000-000000000003", "pending", None),
        crate::ingest::message(twice, "pending", None),
        twice_other,
    ];
    let (status, answer) = post_jobs(&app, &token, ndjson(&batch)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["accepted"], 2, "{answer}");
    let rejected: Vec<(i64, &str)> = answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_i64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected, [(0, "taskId"), (3, "taskId")], "{answer}");
    let job = app
        .data(
            "query($g: String!) { job(guid: $g) { state repository { name } } }",
            json!({"g": format!("{task}/0")}),
        )
        .await;
    assert_eq!(job["job"]["state"], "PENDING", "{job}");
    assert_eq!(job["job"]["repository"]["name"], "other", "{job}");
}

/// D1: a job filter's attribute conditions are capped (300 once ran for minutes on
/// PostgreSQL, 1,000 ended INTERNAL on SQLite); eight still answer.
#[tokio::test]
async fn a_job_filter_with_hundreds_of_attribute_conditions_is_refused_at_once() {
    let app = crate::builders::app_with_push().await;
    let query = "query($f: JobFilter!) { jobs(repository: \"try\", first: 10, filter: $f) { nodes { guid } } }";
    let conditions = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"key": "owner", "value": format!("person-{i}")}))
            .collect()
    };
    let refused = app
        .graphql(query, json!({"f": {"attributes": conditions(300)}}))
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert!(first_message(&refused).contains("at most 8"), "{refused}");
    let answered = app
        .data(query, json!({"f": {"attributes": conditions(8)}}))
        .await;
    assert_eq!(answered["jobs"]["nodes"], json!([]));
}

/// D2 and D3: walks of the dependency graph and drawings of it cost what they may do, so a
/// request of hundreds of aliased walks or dozens of drawings is refused for its cost, saying
/// it, before anything runs; the job detail's own few walks fit.
#[tokio::test]
async fn aliased_walks_and_drawings_are_refused_for_their_cost() {
    let app = crate::builders::app_with_push().await;
    app.data(
        SUBMIT_JOBS,
        json!({"j": [treeherd_testkit::documents::job("root", "BUILD", "PENDING")]}),
    )
    .await;
    let aliased = |n: usize, field: &str| -> String {
        let fields: String = (0..n).map(|i| format!(" a{i}: {field}")).collect();
        format!("{{{fields} }}")
    };
    for (n, field) in [
        (
            1000,
            "job(guid: \"root\") { criticalPath { totalDuration } }",
        ),
        (
            250,
            "job(guid: \"root\") { descendants(first: 1000) { nodes { guid } } }",
        ),
        (30, "dependencyGraph(guid: \"root\") { svg }"),
    ] {
        let refused = app.graphql(&aliased(n, field), json!({})).await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{field}: {refused}");
        assert!(
            refused["errors"][0]["extensions"]["cost"].as_u64().unwrap() > 600_000,
            "{field}: {refused}"
        );
        assert_eq!(refused.get("data").and_then(|d| d.as_object()), None);
    }
    let detail = app
        .data(
            "{ job(guid: \"root\") { criticalPath { totalDuration jobs { guid } }
                 ancestors(first: 100) { nodes { guid } } descendants(first: 100) { nodes { guid } } }
               dependencyGraph(guid: \"root\") { nodes { guid state result } edges { kind dependent dependency } svg } }",
            json!({}),
        )
        .await;
    assert_eq!(detail["dependencyGraph"]["nodes"][0]["guid"], "root");
}
