//! Releases and l10n repacks: a release fanning in over hundreds of jobs, blocked by the one
//! that failed; its status through its life; its locale matrix with missing repacks; one-off
//! repacks of an older nightly.

use serde_json::{Value, json};

use crate::support::{TestSchema, error_code, revision};

const SUBMIT: &str = "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }";
const EDGES: &str = "mutation($e: [DependencyInput!]!) { addDependencies(input: $e) { added } }";
const CREATE: &str = "mutation($r: ReleaseInput!) { createRelease(input: $r) {
    product version buildNumber channel revision status job { guid kind } push { pushId } } }";
const RELEASE: &str = "{ releases(product: \"firefox\", first: 5) { nodes {
    version status blockers(first: 10) { nodes { guid result } } } } }";

fn job(guid: &str, push: u64, kind: &str, platform: &str, state: &str, result: &str) -> Value {
    json!({"guid": guid, "repository": "mozilla-beta", "revision": revision(push), "kind": kind,
           "name": guid, "platform": platform, "state": state, "result": result})
}

async fn app() -> TestSchema {
    let app = TestSchema::new().await;
    app.create_repository("mozilla-beta", &[]).await;
    for push in 1..=3 {
        app.data(
            "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
            json!({"p": {"repository": "mozilla-beta", "pushId": push, "revision": revision(push),
                         "author": "rel@example.com", "pushedAt": "2026-11-20T10:00:00Z"}}),
        )
        .await;
    }
    app
}

fn release_input(gates: Vec<String>, locales: &[&str]) -> Value {
    json!({"product": "firefox", "version": "64.0b4", "buildNumber": 1, "channel": "beta",
           "repository": "mozilla-beta", "revision": revision(2), "gates": gates, "locales": locales})
}

async fn status(app: &TestSchema) -> Value {
    app.data(RELEASE, json!({})).await["releases"]["nodes"][0].clone()
}

#[tokio::test]
async fn a_release_waits_on_hundreds_of_jobs_and_one_failure_blocks_it() {
    let app = app().await;
    // A build and its 300 tests on push 2.
    let mut jobs = vec![job("build", 2, "BUILD", "linux64", "PENDING", "UNKNOWN")];
    let tests: Vec<String> = (0..300).map(|i| format!("test-{i}")).collect();
    jobs.extend(
        tests
            .iter()
            .map(|t| job(t, 2, "TEST", "linux64", "PENDING", "UNKNOWN")),
    );
    app.data(SUBMIT, json!({"j": jobs})).await;
    let edges: Vec<Value> = tests
        .iter()
        .map(|t| json!({"dependent": t, "dependency": "build", "kind": "TEST"}))
        .collect();
    app.data(EDGES, json!({"e": edges})).await;

    let created = app
        .data(CREATE, json!({"r": release_input(tests.clone(), &[])}))
        .await;
    assert_eq!(
        created["createRelease"],
        json!({"product": "firefox", "version": "64.0b4", "buildNumber": 1, "channel": "beta",
               "revision": revision(2), "status": "WAITING",
               "job": {"guid": "release-firefox-64.0b4-build1", "kind": "RELEASE"},
               "push": {"pushId": 2}})
    );
    // What blocks it: the build every test waits for.
    assert_eq!(
        status(&app).await["blockers"]["nodes"],
        json!([{"guid": "build", "result": "UNKNOWN"}])
    );

    let mut done = vec![job("build", 2, "BUILD", "linux64", "COMPLETED", "SUCCESS")];
    done.extend(tests.iter().enumerate().map(|(i, t)| {
        let result = if i == 137 { "TESTFAILED" } else { "SUCCESS" };
        job(t, 2, "TEST", "linux64", "COMPLETED", result)
    }));
    app.data(SUBMIT, json!({"j": done[..150].to_vec()})).await;
    assert_eq!(status(&app).await["status"], "BLOCKED");
    app.data(SUBMIT, json!({"j": done[150..].to_vec()})).await;
    let blocked = status(&app).await;
    assert_eq!(blocked["status"], "BLOCKED");
    assert_eq!(
        blocked["blockers"]["nodes"],
        json!([{"guid": "test-137", "result": "TESTFAILED"}])
    );

    // Its gates, page by page.
    let mut seen = 0;
    let mut after: Option<String> = None;
    loop {
        let page = app
            .data(
                "query($a: String) { releases(first: 1) { nodes { gates(first: 128, after: $a) {
                    nodes { guid } pageInfo { hasNextPage endCursor } } } } }",
                json!({"a": after}),
            )
            .await;
        let gates = &page["releases"]["nodes"][0]["gates"];
        seen += gates["nodes"].as_array().unwrap().len();
        if gates["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = gates["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, 300);

    // The failed test runs again and passes (a new run supersedes it), the release runs and
    // ships.
    app.data(
        SUBMIT,
        json!({"j": [job("test-137", 2, "TEST", "linux64", "COMPLETED", "SUPERSEDED")]}),
    )
    .await;
    app.data(
        SUBMIT,
        json!({"j": [json!({"guid": "release-firefox-64.0b4-build1", "repository": "mozilla-beta",
            "revision": revision(2), "kind": "RELEASE", "name": "release", "state": "RUNNING"})]}),
    )
    .await;
    // A superseded run is no failure: nothing failed, the release runs; test-137 still
    // stands in its way, never having succeeded.
    let running = status(&app).await;
    assert_eq!(running["status"], "RUNNING");
    assert_eq!(
        running["blockers"]["nodes"],
        json!([{"guid": "test-137", "result": "SUPERSEDED"}])
    );
    app.data(
        SUBMIT,
        json!({"j": [json!({"guid": "release-firefox-64.0b4-build1", "repository": "mozilla-beta",
            "revision": revision(2), "kind": "RELEASE", "name": "release", "state": "COMPLETED",
            "result": "SUCCESS"})]}),
    )
    .await;
    assert_eq!(status(&app).await["status"], "SHIPPED");
}

#[tokio::test]
async fn creating_a_release_again_adds_gates_and_a_different_revision_is_a_conflict() {
    let app = app().await;
    app.data(
        SUBMIT,
        json!({"j": [job("b-1", 2, "BUILD", "linux64", "RUNNING", "UNKNOWN")]}),
    )
    .await;
    app.data(CREATE, json!({"r": release_input(vec!["b-1".into()], &[])}))
        .await;
    assert_eq!(status(&app).await["status"], "RUNNING");
    // A gate that has not arrived yet: the edge waits for it.
    app.data(
        CREATE,
        json!({"r": release_input(vec!["b-1".into(), "b-2".into()], &[])}),
    )
    .await;
    let gates = "{ releases(first: 5) { nodes { gates(first: 10) { nodes { guid } } } } }";
    assert_eq!(
        app.data(gates, json!({})).await["releases"]["nodes"],
        json!([{"gates": {"nodes": [{"guid": "b-1"}]}}])
    );
    app.data(
        SUBMIT,
        json!({"j": [job("b-2", 2, "BUILD", "win64", "PENDING", "UNKNOWN")]}),
    )
    .await;
    assert_eq!(
        app.data(gates, json!({})).await["releases"]["nodes"][0]["gates"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let mut other = release_input(vec![], &[]);
    other["revision"] = json!(revision(3));
    let conflict = app.graphql(CREATE, json!({"r": other})).await;
    assert_eq!(error_code(&conflict), "CONFLICT");
    let mut nowhere = release_input(vec![], &[]);
    nowhere["repository"] = json!("nowhere");
    let missing = app.graphql(CREATE, json!({"r": nowhere})).await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    let mut zero = release_input(vec![], &[]);
    zero["buildNumber"] = json!(0);
    assert_eq!(
        error_code(&app.graphql(CREATE, json!({"r": zero})).await),
        "BAD_USER_INPUT"
    );
    let forbidden = app
        .graphql_as(
            Some(&app.token(&["write:mozilla-central"])),
            CREATE,
            json!({"r": release_input(vec![], &[])}),
        )
        .await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
    let releases = app
        .data("{ releases(first: 5) { nodes { version } } }", json!({}))
        .await;
    assert_eq!(releases["releases"]["nodes"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_locale_matrix_shows_missing_repacks_and_one_off_repacks_point_at_older_builds() {
    let app = app().await;
    let repack = |guid: &str, push: u64, platform: &str, locale: &str, result: &str| {
        let mut job = job(guid, push, "L10N_REPACK", platform, "COMPLETED", result);
        job["attributes"] = json!({"locale": locale});
        job
    };
    app.data(
        SUBMIT,
        json!({"j": [
            job("en-linux", 2, "BUILD", "linux64", "COMPLETED", "SUCCESS"),
            job("en-win", 2, "BUILD", "win64", "COMPLETED", "SUCCESS"),
            repack("de-linux", 2, "linux64", "de", "SUCCESS"),
            repack("de-win", 2, "win64", "de", "BUSTED"),
            repack("fr-linux", 2, "linux64", "fr", "SUCCESS"),
        ]}),
    )
    .await;
    let edges: Vec<Value> = [
        ("de-linux", "en-linux"),
        ("fr-linux", "en-linux"),
        ("de-win", "en-win"),
    ]
    .iter()
    .map(|(repack, build)| json!({"dependent": repack, "dependency": build, "kind": "L10N_REPACK"}))
    .collect();
    app.data(EDGES, json!({"e": edges})).await;
    let gates = ["en-linux", "en-win", "de-linux", "de-win", "fr-linux"]
        .map(String::from)
        .to_vec();
    app.data(
        CREATE,
        json!({"r": release_input(gates, &["de", "fr", "ja"])}),
    )
    .await;

    let matrix = app
        .data(
            "{ releases(first: 1) { nodes { status localeMatrix { locales platforms
                cells { locale platform missing state result job { guid } } } } } }",
            json!({}),
        )
        .await;
    let release = &matrix["releases"]["nodes"][0];
    assert_eq!(release["status"], "BLOCKED", "de-win is busted");
    let matrix = &release["localeMatrix"];
    assert_eq!(matrix["locales"], json!(["de", "fr", "ja"]));
    assert_eq!(matrix["platforms"], json!(["linux64", "win64"]));
    let cells: Vec<(String, String, bool, Value)> = matrix["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["locale"].as_str().unwrap().to_owned(),
                c["platform"].as_str().unwrap().to_owned(),
                c["missing"].as_bool().unwrap(),
                c["result"].clone(),
            )
        })
        .collect();
    let cell = |l: &str, p: &str, missing: bool, result: Value| {
        (l.to_owned(), p.to_owned(), missing, result)
    };
    assert_eq!(
        cells,
        vec![
            cell("de", "linux64", false, json!("SUCCESS")),
            cell("de", "win64", false, json!("BUSTED")),
            cell("fr", "linux64", false, json!("SUCCESS")),
            cell("fr", "win64", true, Value::Null),
            cell("ja", "linux64", true, Value::Null),
            cell("ja", "win64", true, Value::Null),
        ]
    );

    // A one-off repack for localizers on push 3, of push 1's nightly build.
    app.data(
        SUBMIT,
        json!({"j": [
            job("nightly-linux", 1, "BUILD", "linux64", "COMPLETED", "SUCCESS"),
            repack("ja-one-off", 3, "linux64", "ja", "SUCCESS"),
            repack("de-one-off", 3, "linux64", "de", "SUCCESS"),
        ]}),
    )
    .await;
    app.data(
        EDGES,
        json!({"e": [
            {"dependent": "ja-one-off", "dependency": "nightly-linux", "kind": "L10N_REPACK"},
            {"dependent": "de-one-off", "dependency": "nightly-linux", "kind": "L10N_REPACK"},
        ]}),
    )
    .await;
    let repacks = app
        .data(
            "{ job(guid: \"nightly-linux\") { push { pushId }
                all: repacks { guid push { pushId } }
                ja: repacks(locales: [\"ja\"]) { guid dependencies { job { guid push { pushId } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(repacks["job"]["push"]["pushId"], 1);
    assert_eq!(
        repacks["job"]["all"],
        json!([{"guid": "de-one-off", "push": {"pushId": 3}}, {"guid": "ja-one-off", "push": {"pushId": 3}}])
    );
    assert_eq!(
        repacks["job"]["ja"],
        json!([{"guid": "ja-one-off", "dependencies": [{"job": {"guid": "nightly-linux", "push": {"pushId": 1}}}]}])
    );
}
