//! Treeherder's REST API, read side (`api/src/rest/`), against a server holding demo data:
//! the shapes its clients read, compared with what GraphQL answers for the same objects, and
//! bad input answered with Treeherder's status and shape (never a 500).

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use treeherd_api::log_worker::LogWorkerOptions;
use treeherd_demo::DemoOptions;
use treeherd_tests::{TestApp, revision};

use crate::log_server::LogServer;

async fn demo_app() -> TestApp {
    TestApp::spawn_with(|config| {
        config.demo = Some(DemoOptions {
            pushes: 30,
            ..DemoOptions::default()
        })
    })
    .await
}

/// GETs `path` (from `/api/`), giving back the status and the JSON body.
async fn get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(format!("{}/api/{path}", app.address))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json().await.unwrap();
    (status, body)
}

async fn ok(app: &TestApp, path: &str) -> Value {
    let (status, body) = get(app, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

#[tokio::test]
async fn reference_data_is_served_as_treeherder_lists_it() {
    let app = demo_app().await;
    let repositories = ok(&app, "repository/").await;
    let names: Vec<&str> = repositories
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["autoland", "gecko-dev", "mozilla-central"]);
    let gecko = repositories
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "gecko-dev")
        .unwrap();
    assert_eq!(gecko["dvcs_type"], "git");
    assert_eq!(gecko["url"], "https://github.com/mozilla/gecko-dev");
    assert_eq!(gecko["repository_group"]["name"], "development");
    assert_eq!(gecko["active_status"], "active");

    let classifications = ok(&app, "failureclassification/").await;
    assert_eq!(classifications.as_array().unwrap().len(), 8);
    assert_eq!(
        classifications[0],
        json!({"id": 1, "name": "not classified", "description": ""})
    );
    assert_eq!(classifications[3]["name"], "intermittent");

    let options = ok(&app, "optioncollectionhash/").await;
    assert!(options.as_array().unwrap().contains(&json!({
        "option_collection_hash": "32faaecac742100f7753f0c1d0aa0add01b4046b",
        "options": [{"name": "debug"}],
    })));
    assert_eq!(ok(&app, "changelog/").await, json!([]));
    let platforms = ok(&app, "machineplatforms/").await;
    assert!(!platforms.as_array().unwrap().is_empty());
    assert!(platforms[0]["id"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn pushes_answer_as_graphql_and_refuse_bad_filters_as_treeherder() {
    let app = demo_app().await;
    let graphql = app
        .data(
            "{ repository(name: \"autoland\") { pushes(first: 100) { nodes {
                pushId revision author pushedAt commits { revision author message } } } } }",
            json!({}),
        )
        .await;
    let nodes = graphql["repository"]["pushes"]["nodes"]
        .as_array()
        .unwrap()
        .clone();

    let list = ok(&app, "project/autoland/push/?count=100&unknown=ignored").await;
    let results = list["results"].as_array().unwrap();
    assert_eq!(results.len(), nodes.len());
    assert_eq!(list["meta"]["count"], nodes.len());
    assert_eq!(list["meta"]["repository"], "autoland");
    assert_eq!(list["meta"]["filter_params"]["unknown"], "ignored");
    for (rest, gql) in results.iter().zip(&nodes) {
        assert_eq!(rest["revision"], gql["revision"]);
        assert_eq!(rest["author"], gql["author"]);
        let commits = gql["commits"].as_array().unwrap();
        assert_eq!(rest["revision_count"], commits.len());
        // Newest commit first, as Treeherder lists them.
        let newest = commits.last().unwrap();
        assert_eq!(rest["revisions"][0]["revision"], newest["revision"]);
        assert_eq!(rest["revisions"][0]["comments"], newest["message"]);
        assert_eq!(rest["revisions"][0]["result_set_id"], rest["id"]);
        let pushed_at = chrono::DateTime::parse_from_rfc3339(gql["pushedAt"].as_str().unwrap())
            .unwrap()
            .timestamp();
        assert_eq!(rest["push_timestamp"], pushed_at);
    }

    // Ten by default; one by revision prefix; one by id; the same by its own URL.
    let default = ok(&app, "project/autoland/push/").await;
    assert_eq!(
        default["results"].as_array().unwrap().len(),
        10.min(nodes.len())
    );
    let third = &results[2];
    let prefix = &third["revision"].as_str().unwrap()[..12];
    let by_revision = ok(&app, &format!("project/autoland/push/?revision={prefix}")).await;
    assert_eq!(by_revision["results"], json!([third]));
    assert_eq!(by_revision["meta"]["revision"], prefix);
    let id = third["id"].as_i64().unwrap();
    let detail = ok(&app, &format!("project/autoland/push/{id}/")).await;
    assert_eq!(&detail, third);
    let older = ok(
        &app,
        &format!("project/autoland/push/?id__lt={id}&count=100"),
    )
    .await;
    assert!(
        older["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"].as_i64().unwrap() < id)
    );
    let stamp = third["push_timestamp"].as_i64().unwrap();
    let since = ok(
        &app,
        &format!("project/autoland/push/?push_timestamp__gte={stamp}&count=100"),
    )
    .await;
    assert_eq!(since["results"].as_array().unwrap().len(), 3);

    // Bad input: Treeherder's status and shape.
    let cases = [
        (
            "project/nope/push/",
            StatusCode::NOT_FOUND,
            json!({"detail": "No project with name nope"}),
        ),
        (
            "project/autoland/push/?count=1001",
            StatusCode::BAD_REQUEST,
            json!({"detail": "Specified count exceeds api limit: 1000"}),
        ),
        (
            "project/autoland/push/?count=0",
            StatusCode::BAD_REQUEST,
            json!({"detail": "count requires a positive integer, not: 0"}),
        ),
        (
            "project/autoland/push/?count=-5",
            StatusCode::BAD_REQUEST,
            json!({"detail": "count requires a positive integer, not: -5"}),
        ),
        (
            "project/autoland/push/?count=ten",
            StatusCode::BAD_REQUEST,
            json!({"detail": "Valid count value required"}),
        ),
        (
            "project/autoland/push/?push_timestamp__gte=soon",
            StatusCode::BAD_REQUEST,
            json!({"detail": "Invalid timestamp specified for push_timestamp__gte"}),
        ),
        (
            "project/autoland/push/?id__in=1,x",
            StatusCode::BAD_REQUEST,
            json!({"detail": "Invalid id__in specification"}),
        ),
        (
            "project/autoland/push/99999999/",
            StatusCode::NOT_FOUND,
            json!("No push with id: 99999999"),
        ),
        (
            "project/autoland/push/abc/",
            StatusCode::NOT_FOUND,
            json!("No push with id: abc"),
        ),
    ];
    for (path, status, body) in cases {
        assert_eq!(get(&app, path).await, (status, body), "{path}");
    }
    assert_eq!(
        get(&app, "project/autoland/push/?startdate=someday")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "project/autoland/push/?fromchange=abcdef")
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn jobs_answer_as_graphql_with_their_logs_errors_and_neighbours() {
    let app = demo_app().await;
    let pushes = ok(&app, "project/mozilla-central/push/?count=1").await;
    let push = &pushes["results"][0];
    let push_id = push["id"].as_i64().unwrap();
    let jobs = ok(
        &app,
        &format!("project/mozilla-central/jobs/?push_id={push_id}&count=2000"),
    )
    .await;
    let results = jobs["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert_eq!(
        jobs["meta"],
        json!({"repository": "mozilla-central", "offset": 0, "count": 2000})
    );
    let graphql = app
        .data(
            "query($r: String!, $v: String!) { push(repository: $r, revision: $v) {
                jobs(first: 1000) { nodes { guid name symbol groupSymbol platform state result tier machine
                    classification { classification } } } } }",
            json!({"r": "mozilla-central", "v": push["revision"]}),
        )
        .await;
    let nodes = graphql["push"]["jobs"]["nodes"].as_array().unwrap();
    assert_eq!(results.len(), nodes.len());
    for job in results {
        let node = nodes.iter().find(|n| n["guid"] == job["job_guid"]).unwrap();
        assert_eq!(job["job_type_name"], node["name"]);
        assert_eq!(job["state"], node["state"].as_str().unwrap().to_lowercase());
        assert_eq!(
            job["result"],
            node["result"].as_str().unwrap().to_lowercase()
        );
        assert_eq!(job["tier"], node["tier"]);
        assert_eq!(job["push_id"], push_id);
        assert_eq!(job["result_set_id"], push_id);
        // The demo's sheriff and autoclassifier classify some failures of this push.
        let classification = match node["classification"]["classification"].as_str() {
            None | Some("NOT_CLASSIFIED") => 1,
            Some("FIXED_BY_COMMIT") => 2,
            Some("EXPECTED_FAIL") => 3,
            Some("INTERMITTENT") => 4,
            Some("INFRA") => 5,
            Some("NEW_FAILURE_NOT_CLASSIFIED") => 6,
            Some("AUTOCLASSIFIED_INTERMITTENT") => 7,
            Some(other) => panic!("{other}"),
        };
        assert_eq!(job["failure_classification_id"], classification, "{job}");
        assert!(job["submit_timestamp"].is_i64());
    }
    // Oldest first by id; paging by offset.
    let ids: Vec<i64> = results.iter().map(|j| j["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let second = ok(
        &app,
        &format!("project/mozilla-central/jobs/?push_id={push_id}&offset=1&count=1"),
    )
    .await;
    assert_eq!(second["results"][0]["id"], ids[1]);
    // The compact form.
    let compact = ok(
        &app,
        &format!("project/mozilla-central/jobs/?push_id={push_id}&return_type=list"),
    )
    .await;
    let names = compact["job_property_names"].as_array().unwrap();
    assert_eq!(compact["results"][0].as_array().unwrap().len(), names.len());
    let guid_at = names.iter().position(|n| n == "job_guid").unwrap();
    assert_eq!(compact["results"][0][guid_at], results[0]["job_guid"]);

    // Every repository's jobs, compact and paged by number, as the Treeherder UI reads them.
    let all = ok(&app, &format!("jobs/?push_id={push_id}&count=2")).await;
    assert_eq!(all["count"], results.len());
    let names = all["job_property_names"].as_array().unwrap().clone();
    let at = |name: &str| names.iter().position(|n| n == name).unwrap();
    let rows = all["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][at("id")], ids[0]);
    assert_eq!(rows[1][at("id")], ids[1]);
    assert_eq!(rows[0][at("push_revision")], push["revision"]);
    assert_eq!(rows[0][at("job_type_name")], results[0]["job_type_name"]);
    assert!(rows[0][at("duration")].as_i64().unwrap() >= 1);
    assert_eq!(all["previous"], Value::Null);
    let next = app
        .client
        .get(all["next"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(next["results"][0][at("id")], ids[2]);
    assert!(next["previous"].is_string());

    // By guid, one job; its own URL with its logs, absolute.
    let failed = results
        .iter()
        .find(|j| j["result"] == "testfailed")
        .expect("a failed job in the newest push");
    let guid = failed["job_guid"].as_str().unwrap();
    let by_guid = ok(
        &app,
        &format!("project/mozilla-central/jobs/?job_guid={guid}"),
    )
    .await;
    assert_eq!(by_guid["results"], json!([failed]));
    let id = failed["id"].as_i64().unwrap();
    let detail = ok(&app, &format!("project/mozilla-central/jobs/{id}/")).await;
    assert_eq!(detail["job_guid"], guid);
    assert!(!detail["logs"].as_array().unwrap().is_empty());
    let log_urls = ok(
        &app,
        &format!("project/mozilla-central/job-log-url/?job_id={id}"),
    )
    .await;
    let log = &log_urls[0];
    assert_eq!(log["job_id"], id);
    assert!(log["url"].as_str().unwrap().starts_with("http"), "{log}");
    let text = app
        .client
        .get(log["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::OK);

    // Its error lines as GraphQL lists its failure lines, each with suggestions.
    let lines = app
        .data(
            "query($g: String!) { job(guid: $g) { failureLines { lineNumber line } } }",
            json!({"g": guid}),
        )
        .await;
    let lines = lines["job"]["failureLines"].as_array().unwrap();
    let errors = ok(
        &app,
        &format!("project/mozilla-central/jobs/{id}/text_log_errors/"),
    )
    .await;
    let errors = errors.as_array().unwrap();
    assert_eq!(errors.len(), lines.len());
    for (error, line) in errors.iter().zip(lines) {
        assert_eq!(error["line"], line["line"]);
        assert_eq!(error["line_number"], line["lineNumber"]);
        assert_eq!(error["job"], id);
    }
    let suggestions = ok(
        &app,
        &format!("project/mozilla-central/jobs/{id}/bug_suggestions/"),
    )
    .await;
    assert_eq!(suggestions.as_array().unwrap().len(), lines.len());
    if let Some(first) = suggestions.as_array().unwrap().first() {
        assert!(first["bugs"]["open_recent"].is_array());
        assert!(first["search_terms"].is_array());
    }

    // Similar jobs: the same job name elsewhere, newest push first, never itself.
    let similar = ok(
        &app,
        &format!("project/mozilla-central/jobs/{id}/similar_jobs/?count=5"),
    )
    .await;
    for job in similar["results"].as_array().unwrap() {
        assert_eq!(job["job_type_name"], failed["job_type_name"]);
        assert_ne!(job["id"], id);
    }

    // Bad input.
    let cases = [
        (
            "project/nope/jobs/",
            StatusCode::NOT_FOUND,
            json!({"detail": "No project with name nope"}),
        ),
        (
            "project/mozilla-central/jobs/?count=2001",
            StatusCode::BAD_REQUEST,
            json!({"detail": "Specified count exceeds API MAX_JOBS_COUNT value: 2000"}),
        ),
        (
            "project/mozilla-central/jobs/?count=-1",
            StatusCode::BAD_REQUEST,
            json!("Invalid value for offset or count"),
        ),
        (
            "project/mozilla-central/jobs/?offset=x",
            StatusCode::BAD_REQUEST,
            json!("Invalid value for offset or count"),
        ),
        (
            "project/mozilla-central/jobs/?push_id=x",
            StatusCode::BAD_REQUEST,
            json!({"push_id": ["Enter a number."]}),
        ),
        (
            "project/mozilla-central/jobs/?tier__gt=1.5",
            StatusCode::BAD_REQUEST,
            json!({"tier__gt": ["Enter a number."]}),
        ),
        (
            "project/mozilla-central/jobs/?last_modified__gt=yesterday",
            StatusCode::BAD_REQUEST,
            json!("Invalid date value for `last_modified`: yesterday"),
        ),
        (
            "project/mozilla-central/jobs/99999999/",
            StatusCode::NOT_FOUND,
            json!("No job with id: 99999999"),
        ),
        (
            "project/autoland/jobs/{id}/",
            StatusCode::NOT_FOUND,
            json!(format!("No job with id: {id}")),
        ),
        (
            "project/mozilla-central/jobs/x/text_log_errors/",
            StatusCode::NOT_FOUND,
            json!("No job with id: x"),
        ),
        (
            "project/mozilla-central/job-log-url/",
            StatusCode::BAD_REQUEST,
            json!({"detail": "The job_id parameter is mandatory for this endpoint"}),
        ),
        (
            "project/mozilla-central/job-log-url/?job_id=x",
            StatusCode::BAD_REQUEST,
            json!({"detail": "The job_id parameter(s) must be integers"}),
        ),
    ];
    for (path, status, body) in cases {
        let path = path.replace("{id}", &id.to_string());
        assert_eq!(get(&app, &path).await, (status, body), "{path}");
    }
    // Filters that match nothing are no error.
    let none = ok(&app, "project/mozilla-central/jobs/?result=nosuchresult").await;
    assert_eq!(none["results"], json!([]));
}

#[tokio::test]
async fn failures_by_bug_and_performance_refuse_bad_input_as_treeherder() {
    let app = demo_app().await;
    let (status, body) = get(&app, "failuresbybug/?tree=all").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["startday"], json!(["This field is required."]));
    assert_eq!(body["bug"], json!(["This field is required."]));
    let (status, body) = get(
        &app,
        "failures/?startday=2024-13-01&endday=2024-01-02&tree=nope",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["tree"], json!(["nope does not exist."]));
    assert!(body["startday"].is_array());
    let empty = ok(
        &app,
        "failuresbybug/?bug=1&startday=2000-01-01&endday=2000-01-02&tree=all",
    )
    .await;
    assert_eq!(empty, json!([]));
    assert!(
        ok(
            &app,
            "failures/?startday=2000-01-01&endday=2000-01-02&tree=autoland"
        )
        .await
        .is_array()
    );

    let (status, _) = get(&app, "project/nope/performance/signatures/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get(&app, "project/autoland/performance/data/").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!(["Need to specify either signature_id, signatures, push_id, or job_id"])
    );
}

#[tokio::test]
async fn perfherder_reads_and_job_details_show_a_parsed_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("perf.log"),
        "[task 2026-11-25T10:30:20.000Z] 10:30:20     INFO - PERFHERDER_DATA: \
         {\"framework\": {\"name\": \"awsy\"}, \"suites\": [{\"name\": \"Base Content JS\", \
         \"value\": 1573120.456, \"unit\": \"bytes\", \"lowerIsBetter\": true, \"subtests\": \
         [{\"name\": \"after tabs\", \"value\": 12.5}]}]}\nshutting down\n",
    )
    .unwrap();
    let server = LogServer::start(dir.path().to_path_buf()).await;
    let app = TestApp::spawn_with(|config| {
        config.log_worker = Some(LogWorkerOptions {
            concurrency: 2,
            max_bytes: 1024 * 1024,
            timeout: Duration::from_secs(20),
            attempts: 3,
            backoff: Duration::from_millis(50),
            poll: Duration::from_millis(50),
        });
    })
    .await;
    app.create_repository("try", &[]).await;
    app.data(
        "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
        json!({"p": {"repository": "try", "pushId": 1, "revision": revision(1),
                     "author": "dev@example.com", "pushedAt": "2026-11-25T10:00:00Z"}}),
    )
    .await;
    app.data(
        "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
        json!({"j": [{"guid": "perf", "repository": "try", "revision": revision(1), "kind": "TEST",
                      "name": "test-linux64/opt-awsy", "platform": "linux64",
                      "state": "COMPLETED", "result": "SUCCESS",
                      "startedAt": "2026-11-25T10:10:00Z", "finishedAt": "2026-11-25T10:40:00Z"}]}),
    )
    .await;
    let url = format!("{}/logs/perf.log", server.url);
    app.data(
        "mutation($a: [ArtifactInput!]!) { attachArtifacts(job: \"perf\", artifacts: $a) { attached } }",
        json!({"a": [{"name": "live_backing_log", "kind": "RAW_LOG", "url": url}]}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let series = loop {
        let data = app
            .data(
                "{ perfSeries(repository: \"try\", framework: \"awsy\", suite: \"Base Content JS\",
                   platform: \"linux64\") { revision value } }",
                json!({}),
            )
            .await;
        if !data["perfSeries"].as_array().unwrap().is_empty() {
            break data["perfSeries"].clone();
        }
        assert!(Instant::now() < deadline, "the log was not parsed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    assert_eq!(
        ok(&app, "performance/framework/").await,
        json!([{"id": 4, "name": "awsy"}])
    );
    let signatures = ok(&app, "project/try/performance/signatures/?framework=4").await;
    let signatures = signatures.as_object().unwrap();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    let suite = signatures
        .values()
        .find(|s| s.get("test").is_none())
        .unwrap();
    assert_eq!(suite["suite"], "Base Content JS");
    assert_eq!(suite["machine_platform"], "linux64");
    assert_eq!(suite["measurement_unit"], "bytes");
    assert!(signatures.values().any(|s| s["test"] == "after tabs"));
    assert_eq!(
        ok(&app, "project/try/performance/signatures/?framework=1").await,
        json!({})
    );
    let id = suite["id"].as_i64().unwrap();
    let data = ok(
        &app,
        &format!("project/try/performance/data/?signature_id={id}"),
    )
    .await;
    let values = data[suite["signature_hash"].as_str().unwrap()]
        .as_array()
        .unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0]["revision"], series[0]["revision"]);
    // Rounded to two places, as Perfherder answers.
    assert_eq!(values[0]["value"], 1573120.46);
    let jobs = ok(&app, "project/try/jobs/?job_guid=perf").await;
    let job_id = jobs["results"][0]["id"].as_i64().unwrap();
    assert_eq!(values[0]["job_id"], job_id);
    assert_eq!(values[0]["push_id"], jobs["results"][0]["push_id"]);
    let by_job = ok(
        &app,
        &format!("project/try/performance/data/?job_id={job_id}"),
    )
    .await;
    assert_eq!(by_job.as_object().unwrap().len(), 2);

    // The job's details are its artifacts.
    let details = ok(&app, "jobdetail/?job_guid=perf").await;
    assert_eq!(details["results"][0]["value"], "live_backing_log");
    assert_eq!(details["results"][0]["url"], url);
    assert_eq!(details["results"][0]["job_id"], job_id);
    let (status, _) = get(&app, "jobdetail/").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
