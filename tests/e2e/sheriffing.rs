//! Sheriffing end to end: the parse worker finds a failed job's failure lines in a real log
//! (served by the stand-in artifact server), a sheriff classifies the job over HTTP with a
//! `sheriff:` token, the push status and the jobs filter follow, a subscriber hears it over
//! WebSocket, the autoclassifier classifies a recurrence on a later push (and not a job with a
//! new failure line, nor one after a person said "fixed by commit"), and the
//! intermittent-failures view counts it all.

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use treeherd_api::log_worker::LogWorkerOptions;
use treeherd_tests::{TestApp, error_code, revision};

use crate::log_server::LogServer;

const FLAKY: &str = "[task 2026-11-20T10:00:00.000Z] 10:00:00     INFO - TEST-UNEXPECTED-FAIL | dom/tests/test_flaky.html | Test timed out after 12.5 seconds";
const OTHER: &str = "[task 2026-11-20T10:00:01.000Z] 10:00:01     INFO - TEST-UNEXPECTED-FAIL | dom/tests/test_new.html | assertion failed: got 1, expected 2";

/// A taskcluster log's first line: after it, the parser strips each line's `[task ...]` prefix.
const TASK: &str =
    "[taskcluster 2026-11-20T10:00:00.000Z] Worker Type (proj-autophush/t-linux) settings:\n";

const CLASSIFY: &str = "mutation($i: ClassifyJobsInput!) { classifyJobs(input: $i) {
    jobs { guid classification { classification bugs note who automatic } } } }";
const JOB: &str = "query($g: String!) { job(guid: $g) {
    classification { classification bugs note who automatic }
    classificationHistory { classification bugs who automatic }
    failureLines { log position lineNumber line classification { classification bugs } } } }";

/// Writes the logs the stand-in serves: `flaky-N.log` fail with the flaky line only (its
/// timestamps and numbers vary with N, as a recurrence's do), `mixed.log` with a new line too.
fn write_logs(dir: &Path) {
    for n in 1..=5 {
        let line = FLAKY
            .replace("10:00:00", &format!("1{n}:00:00"))
            .replace("12.5", &format!("1{n}.{n}"));
        std::fs::write(
            dir.join(format!("flaky-{n}.log")),
            format!("{TASK}{line}\nshutting down\n"),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("mixed.log"),
        format!("{TASK}{FLAKY}\n{OTHER}\nshutting down\n"),
    )
    .unwrap();
}

async fn served(dir: &Path) -> (TestApp, LogServer) {
    write_logs(dir);
    let server = LogServer::start(dir.to_path_buf()).await;
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
    (app, server)
}

/// Push `n` of `try` (pushed on day `n` of a fixed month) with job `guid` ended `result`,
/// whose log is `log` on the stand-in.
async fn failed_job(
    app: &TestApp,
    server: &LogServer,
    n: u64,
    guid: &str,
    result: &str,
    log: &str,
) {
    let pushed_at = format!("2026-11-{:02}T10:00:00Z", n);
    app.data(
        "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
        json!({"p": {"repository": "try", "pushId": n, "revision": revision(n),
                     "author": "dev@example.com", "pushedAt": pushed_at}}),
    )
    .await;
    app.data(
        "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
        json!({"j": [{"guid": guid, "repository": "try", "revision": revision(n), "kind": "TEST",
                      "name": "test-linux64/opt-mochitest-1", "platform": "linux64",
                      "state": "COMPLETED", "result": result,
                      "startedAt": pushed_at, "finishedAt": pushed_at}]}),
    )
    .await;
    app.data(
        "mutation($job: String!, $a: [ArtifactInput!]!) { attachArtifacts(job: $job, artifacts: $a) { attached } }",
        json!({"job": guid, "a": [{"name": "live_backing_log", "kind": "RAW_LOG",
                                   "url": format!("{}/logs/{log}", server.url)}]}),
    )
    .await;
}

/// The job once its log is parsed (and the autoclassifier has run on it).
async fn parsed(app: &TestApp, guid: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let data = app
            .data(
                "query($g: String!) { job(guid: $g) { logs { status } } }",
                json!({"g": guid}),
            )
            .await;
        let logs = data["job"]["logs"].as_array().cloned().unwrap_or_default();
        if !logs.is_empty() && logs.iter().all(|l| l["status"] == "PARSED") {
            // The autoclassifier ran in the transaction that stored the parse: once the log
            // reads PARSED, its decision is there too.
            return app.data(JOB, json!({"g": guid})).await["job"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "log of {guid} not parsed: {logs:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Imports bugs as Bugzilla's REST API gives them, through the service on the app's database.
async fn import_bugs(app: &TestApp, bugs: Value) {
    let service = treeherd_service::Service::new(app.store().clone(), Default::default());
    let bugs =
        treeherd_ingest::parse_bugzilla(json!({"bugs": bugs}).to_string().as_bytes()).unwrap();
    service
        .import_bugs(&treeherd_service::Caller::Trusted, bugs)
        .await
        .unwrap();
}

fn bug(id: i64, summary: &str, resolution: &str, last_change: &str) -> Value {
    let status = if resolution.is_empty() {
        "NEW"
    } else {
        "RESOLVED"
    };
    json!({"id": id, "status": status, "resolution": resolution, "summary": summary,
           "dupe_of": null, "cf_crash_signature": "", "keywords": [], "whiteboard": "",
           "last_change_time": last_change})
}

async fn unclassified(app: &TestApp, push: u64) -> Value {
    let data = app
        .data(
            "query($r: String!) { push(repository: \"try\", revision: $r) {
                status { testfailed unclassifiedFailures }
                failed: jobs(first: 10, filter: {unclassifiedFailure: true}) { nodes { guid } } } }",
            json!({"r": revision(push)}),
        )
        .await;
    data["push"].clone()
}

#[tokio::test]
async fn a_sheriff_classifies_and_the_autoclassifier_follows_only_a_persons_intermittent() {
    let dir = tempfile::tempdir().unwrap();
    let (app, server) = served(dir.path()).await;
    failed_job(&app, &server, 1, "job-1", "TESTFAILED", "flaky-1.log").await;
    let job = parsed(&app, "job-1").await;
    let lines = job["failureLines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{job}");
    assert_eq!(lines[0]["log"], "live_backing_log");
    assert_eq!(lines[0]["lineNumber"], 1);
    assert!(
        lines[0]["line"]
            .as_str()
            .unwrap()
            .starts_with("11:00:00     INFO - TEST-UNEXPECTED-FAIL"),
        "{job}"
    );
    assert!(
        lines[0]["line"]
            .as_str()
            .unwrap()
            .contains("test_flaky.html")
    );
    assert!(job["classification"].is_null() && lines[0]["classification"].is_null());
    let before = unclassified(&app, 1).await;
    assert_eq!(
        before["status"],
        json!({"testfailed": 1, "unclassifiedFailures": 1})
    );
    assert_eq!(before["failed"]["nodes"], json!([{"guid": "job-1"}]));

    // A subscriber is listening before the sheriff acts.
    let cursor = crate::subscriptions::change_cursor(&app).await;
    let mut socket = crate::subscriptions::subscribe(
        &app,
        &format!(
            "subscription {{ classificationChanged(repository: \"try\", after: \"{cursor}\") {{
                job {{ guid }} classification {{ classification bugs who automatic }} }} }}"
        ),
    )
    .await;

    import_bugs(
        &app,
        json!([
            bug(
                455091,
                "Intermittent dom/tests/test_flaky.html | Test timed out",
                "",
                "2026-11-01T00:00:00Z"
            ),
            bug(
                1690234,
                "Intermittent test_flaky.html | leaks a window",
                "",
                "2026-11-01T00:00:00Z"
            ),
            bug(
                800,
                "test_flaky.html | crashes sometimes",
                "FIXED",
                "2026-10-01T00:00:00Z"
            ),
        ]),
    )
    .await;
    let suggested = app
        .data(
            "query($g: String!) { job(guid: $g) { failureLines {
                search { searchTerms pathEnd }
                suggestions { openRecent { id } allOthers { id resolution } } } } }",
            json!({"g": "job-1"}),
        )
        .await;
    let line = &suggested["job"]["failureLines"][0];
    assert_eq!(
        line["search"],
        json!({"searchTerms": ["test_flaky.html"], "pathEnd": "dom/tests/test_flaky.html"})
    );
    let mut open: Vec<i64> = line["suggestions"]["openRecent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    open.sort_unstable();
    assert_eq!(open, [455091, 1690234], "{line}");
    assert_eq!(
        line["suggestions"]["allOthers"],
        json!([{"id": 800, "resolution": "FIXED"}])
    );

    let sheriff = app.token(&["sheriff:try"]);
    let input = json!({"i": {"jobs": ["job-1"], "classification": "INTERMITTENT",
                             "bugs": [1690234, 455091, 1690234], "note": "  known flake "}});
    let done = app
        .graphql_as(Some(sheriff.as_str()), CLASSIFY, input.clone())
        .await;
    assert!(done["errors"].is_null(), "{done}");
    assert_eq!(
        done["data"]["classifyJobs"]["jobs"][0]["classification"],
        json!({"classification": "INTERMITTENT", "bugs": [455091, 1690234],
               "note": "known flake", "who": "test", "automatic": false})
    );
    let heard = tokio::time::timeout(Duration::from_secs(10), next_data(&mut socket))
        .await
        .expect("the subscriber hears the classification");
    assert_eq!(
        heard["classificationChanged"],
        json!({"job": {"guid": "job-1"}, "classification": {"classification": "INTERMITTENT",
               "bugs": [455091, 1690234], "who": "test", "automatic": false}})
    );
    let after = unclassified(&app, 1).await;
    assert_eq!(after["status"]["unclassifiedFailures"], 0);
    assert_eq!(after["failed"]["nodes"], json!([]));
    let job = app.data(JOB, json!({"g": "job-1"})).await["job"].clone();
    assert_eq!(
        job["failureLines"][0]["classification"],
        json!({"classification": "INTERMITTENT", "bugs": [455091, 1690234]}),
        "a job's classification applies to its lines"
    );

    // The same failure on a later push is autoclassified with the person's bugs.
    failed_job(&app, &server, 2, "job-2", "TESTFAILED", "flaky-2.log").await;
    let job = parsed(&app, "job-2").await;
    assert_eq!(
        job["classification"],
        json!({"classification": "AUTOCLASSIFIED_INTERMITTENT", "bugs": [455091, 1690234],
               "note": null, "who": "autoclassifier", "automatic": true}),
        "{job}"
    );
    assert_eq!(
        unclassified(&app, 2).await["status"]["unclassifiedFailures"],
        0
    );
    let heard = tokio::time::timeout(Duration::from_secs(10), next_data(&mut socket))
        .await
        .expect("the subscriber hears the autoclassification");
    assert_eq!(heard["classificationChanged"]["job"]["guid"], "job-2");

    // A job with a line nobody judged stays for a person.
    failed_job(&app, &server, 3, "job-3", "BUSTED", "mixed.log").await;
    let job = parsed(&app, "job-3").await;
    assert_eq!(job["failureLines"].as_array().unwrap().len(), 2);
    assert!(job["classification"].is_null(), "{job}");
    assert_eq!(
        unclassified(&app, 3).await["status"]["unclassifiedFailures"],
        1
    );

    // A person says the recurrence was a regression: that is the latest judgement, so the
    // next recurrence is left for a person, and the history keeps both decisions of job-2.
    let fixed = json!({"i": {"jobs": ["job-2"], "classification": "FIXED_BY_COMMIT"}});
    let done = app
        .graphql_as(Some(sheriff.as_str()), CLASSIFY, fixed)
        .await;
    assert!(done["errors"].is_null(), "{done}");
    let job = app.data(JOB, json!({"g": "job-2"})).await["job"].clone();
    assert_eq!(
        job["classificationHistory"],
        json!([
            {"classification": "FIXED_BY_COMMIT", "bugs": [], "who": "test", "automatic": false},
            {"classification": "AUTOCLASSIFIED_INTERMITTENT", "bugs": [455091, 1690234],
             "who": "autoclassifier", "automatic": true},
        ])
    );
    failed_job(&app, &server, 4, "job-4", "TESTFAILED", "flaky-4.log").await;
    let job = parsed(&app, "job-4").await;
    assert!(job["classification"].is_null(), "{job}");

    // The view: one person's intermittent and one autoclassified, on two days with a push each.
    let view = app
        .data(
            "{ intermittentFailures(repository: \"try\", since: \"2026-11-01T00:00:00Z\",
                                    until: \"2026-11-05T00:00:00Z\") {
                days { day failures pushes orangeFactor }
                bugs { bugId failures platforms repositories perDay bug { id summary } }
                failures(bug: 455091) { guid } } }",
            json!({}),
        )
        .await;
    let view = &view["intermittentFailures"];
    assert_eq!(
        view["days"],
        json!([
            {"day": "2026-11-01", "failures": 1, "pushes": 1, "orangeFactor": 1.0},
            {"day": "2026-11-02", "failures": 0, "pushes": 1, "orangeFactor": 0.0},
            {"day": "2026-11-03", "failures": 0, "pushes": 1, "orangeFactor": 0.0},
            {"day": "2026-11-04", "failures": 0, "pushes": 1, "orangeFactor": 0.0},
        ]),
        "job-2 is fixed by commit now, so only job-1 counts"
    );
    assert_eq!(
        view["bugs"],
        json!([
            {"bugId": 455091, "failures": 1, "platforms": ["linux64"], "repositories": ["try"],
             "perDay": [1, 0, 0, 0],
             "bug": {"id": 455091, "summary": "Intermittent dom/tests/test_flaky.html | Test timed out"}},
            {"bugId": 1690234, "failures": 1, "platforms": ["linux64"], "repositories": ["try"],
             "perDay": [1, 0, 0, 0],
             "bug": {"id": 1690234, "summary": "Intermittent test_flaky.html | leaks a window"}},
        ])
    );
    assert_eq!(view["failures"], json!([{"guid": "job-1"}]));
    // A platform narrows the failures, not the pushes.
    let other = app
        .data(
            "{ intermittentFailures(platform: \"windows11-64\", since: \"2026-11-01T00:00:00Z\",
                                    until: \"2026-11-02T00:00:00Z\") {
                days { failures pushes } bugs { bugId } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        other["intermittentFailures"],
        json!({"days": [{"failures": 0, "pushes": 1}], "bugs": []})
    );
}

#[tokio::test]
async fn a_recurrence_of_a_failure_whose_bug_was_closed_is_left_for_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let (app, server) = served(dir.path()).await;
    let closed = |resolution: &str| {
        json!([bug(
            700,
            "Intermittent dom/tests/test_flaky.html | timed out",
            resolution,
            "2026-11-01T00:00:00Z"
        )])
    };
    import_bugs(&app, closed("FIXED")).await;
    failed_job(&app, &server, 1, "job-1", "TESTFAILED", "flaky-1.log").await;
    parsed(&app, "job-1").await;
    let sheriff = app.token(&["sheriff:try"]);
    let input = json!({"i": {"jobs": ["job-1"], "classification": "INTERMITTENT", "bugs": [700]}});
    let done = app
        .graphql_as(Some(sheriff.as_str()), CLASSIFY, input)
        .await;
    assert!(done["errors"].is_null(), "{done}");
    failed_job(&app, &server, 2, "job-2", "TESTFAILED", "flaky-2.log").await;
    let job = parsed(&app, "job-2").await;
    assert!(job["classification"].is_null(), "bug 700 is fixed: {job}");
    // Reopened (Bugzilla says so later), the same judgement counts again.
    let mut reopened = closed("");
    reopened[0]["last_change_time"] = json!("2026-11-02T00:00:00Z");
    import_bugs(&app, reopened).await;
    failed_job(&app, &server, 3, "job-3", "TESTFAILED", "flaky-3.log").await;
    let job = parsed(&app, "job-3").await;
    assert_eq!(
        job["classification"]["classification"], "AUTOCLASSIFIED_INTERMITTENT",
        "{job}"
    );
    assert_eq!(job["classification"]["bugs"], json!([700]));
}

#[tokio::test]
async fn a_sheriff_classifies_one_line_and_the_autoclassifier_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let (app, server) = served(dir.path()).await;
    failed_job(&app, &server, 1, "mixed", "TESTFAILED", "mixed.log").await;
    let job = parsed(&app, "mixed").await;
    assert_eq!(job["failureLines"].as_array().unwrap().len(), 2, "{job}");
    const LINE: &str = "mutation($i: ClassifyFailureLineInput!) { classifyFailureLine(input: $i) {
        job { guid classification { classification } }
        classification { classification bugs note who automatic } } }";
    let sheriff = app.token(&["sheriff:try"]);
    let line = |job: &str, position: i64| {
        json!({"i": {"job": job, "log": "live_backing_log", "position": position,
                     "classification": "INTERMITTENT", "bugs": [455091], "note": "flaky"}})
    };
    let done = app
        .graphql_as(Some(sheriff.as_str()), LINE, line("mixed", 0))
        .await;
    assert!(done["errors"].is_null(), "{done}");
    assert_eq!(
        done["data"]["classifyFailureLine"],
        json!({"job": {"guid": "mixed", "classification": null},
               "classification": {"classification": "INTERMITTENT", "bugs": [455091],
                                  "note": "flaky", "who": "test", "automatic": false}})
    );
    let job = app.data(JOB, json!({"g": "mixed"})).await["job"].clone();
    assert!(
        job["classification"].is_null(),
        "the job is left as it is: {job}"
    );
    assert_eq!(
        job["failureLines"][0]["classification"],
        json!({"classification": "INTERMITTENT", "bugs": [455091]})
    );
    assert!(job["failureLines"][1]["classification"].is_null(), "{job}");

    // The line a person judged is a precedent: a recurrence of it alone is autoclassified.
    failed_job(&app, &server, 2, "again", "TESTFAILED", "flaky-2.log").await;
    let job = parsed(&app, "again").await;
    assert_eq!(
        job["classification"],
        json!({"classification": "AUTOCLASSIFIED_INTERMITTENT", "bugs": [455091], "note": null,
               "who": "autoclassifier", "automatic": true}),
        "{job}"
    );

    let writer = app.token(&["write:try"]);
    let cases = [
        (Some(sheriff.as_str()), line("mixed", 7), "NOT_FOUND"),
        (Some(sheriff.as_str()), line("nope", 0), "NOT_FOUND"),
        (Some(sheriff.as_str()), line("mixed", -1), "BAD_USER_INPUT"),
        (Some(writer.as_str()), line("mixed", 1), "FORBIDDEN"),
        (None, line("mixed", 1), "UNAUTHENTICATED"),
    ];
    for (token, input, code) in cases {
        let answer = app.graphql_as(token, LINE, input.clone()).await;
        assert_eq!(error_code(&answer), code, "{input}: {answer}");
    }
    let job = app.data(JOB, json!({"g": "mixed"})).await["job"].clone();
    assert!(job["failureLines"][1]["classification"].is_null(), "{job}");
}

#[tokio::test]
async fn a_sheriff_classifies_one_failed_test_and_the_job_is_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (app, server) = served(dir.path()).await;
    failed_job(&app, &server, 1, "tests", "TESTFAILED", "mixed.log").await;
    assert_eq!(
        parsed(&app, "tests").await["failureLines"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    app.data(
        "mutation($job: String!, $r: [TestResultInput!]!) { submitTestResults(job: $job, results: $r) { test } }",
        json!({"job": "tests", "r": [
            {"test": "dom/a.html", "status": "FAIL", "message": "timed out"},
            {"test": "dom/a.html", "subtest": "loads", "status": "FAIL"},
            {"test": "dom/b.html", "status": "PASS"}]}),
    )
    .await;
    const TEST: &str = "mutation($i: ClassifyTestInput!) { classifyTest(input: $i) {
        job { guid classification { classification } }
        classification { classification bugs note who automatic test subtest } } }";
    const RESULTS: &str = "query($g: String!) { job(guid: $g) {
        classification { classification } classificationHistory { test }
        failureLines { classification { classification } }
        testResults(first: 10) { nodes { test subtest classification { classification bugs test subtest } } } } }";
    let sheriff = app.token(&["sheriff:try"]);
    let test = |job: &str, test: &str, subtest: Option<&str>| {
        json!({"i": {"job": job, "test": test, "subtest": subtest,
                     "classification": "INTERMITTENT", "bugs": [455091], "note": "flaky"}})
    };
    let done = app
        .graphql_as(
            Some(sheriff.as_str()),
            TEST,
            test("tests", "dom/a.html", Some("loads")),
        )
        .await;
    assert!(done["errors"].is_null(), "{done}");
    assert_eq!(
        done["data"]["classifyTest"],
        json!({"job": {"guid": "tests", "classification": null},
               "classification": {"classification": "INTERMITTENT", "bugs": [455091],
                                  "note": "flaky", "who": "test", "automatic": false,
                                  "test": "dom/a.html", "subtest": "loads"}})
    );
    let job = app.data(RESULTS, json!({"g": "tests"})).await["job"].clone();
    assert!(
        job["classification"].is_null(),
        "the job is left as it is: {job}"
    );
    assert_eq!(job["classificationHistory"], json!([]), "{job}");
    let of = |test: &str, subtest: Option<&str>| test_classification(&job, test, subtest);
    assert_eq!(
        of("dom/a.html", Some("loads")),
        json!({"classification": "INTERMITTENT", "bugs": [455091], "test": "dom/a.html",
               "subtest": "loads"})
    );
    assert!(
        of("dom/a.html", None).is_null(),
        "the test's own result is another: {job}"
    );
    assert!(of("dom/b.html", None).is_null(), "{job}");
    for line in job["failureLines"].as_array().unwrap() {
        assert!(
            line["classification"].is_null(),
            "a test's decision is not a line's: {job}"
        );
    }

    // The job's own classification then applies to its failed tests without one.
    let whole = json!({"i": {"jobs": ["tests"], "classification": "FIXED_BY_COMMIT"}});
    let done = app
        .graphql_as(Some(sheriff.as_str()), CLASSIFY, whole)
        .await;
    assert!(done["errors"].is_null(), "{done}");
    let job = app.data(RESULTS, json!({"g": "tests"})).await["job"].clone();
    assert_eq!(
        test_classification(&job, "dom/a.html", None)["classification"],
        "FIXED_BY_COMMIT",
        "{job}"
    );

    let writer = app.token(&["write:try"]);
    let cases = [
        (
            Some(sheriff.as_str()),
            test("tests", "dom/c.html", None),
            "NOT_FOUND",
        ),
        (
            Some(sheriff.as_str()),
            test("nope", "dom/a.html", None),
            "NOT_FOUND",
        ),
        (
            Some(sheriff.as_str()),
            test("tests", "dom/b.html", None),
            "BAD_USER_INPUT",
        ),
        (
            Some(sheriff.as_str()),
            test("tests", " ", None),
            "BAD_USER_INPUT",
        ),
        (
            Some(writer.as_str()),
            test("tests", "dom/a.html", None),
            "FORBIDDEN",
        ),
        (None, test("tests", "dom/a.html", None), "UNAUTHENTICATED"),
    ];
    for (token, input, code) in cases {
        let answer = app.graphql_as(token, TEST, input.clone()).await;
        assert_eq!(error_code(&answer), code, "{input}: {answer}");
    }
}

#[tokio::test]
async fn bad_classifications_are_refused_whole_with_a_clear_code() {
    let dir = tempfile::tempdir().unwrap();
    let (app, server) = served(dir.path()).await;
    failed_job(&app, &server, 1, "failed", "TESTFAILED", "flaky-1.log").await;
    failed_job(&app, &server, 2, "green", "SUCCESS", "flaky-2.log").await;
    let sheriff = app.token(&["sheriff:try"]);
    let classify = |jobs: Value, classification: &str, bugs: Value| json!({"i": {"jobs": jobs, "classification": classification, "bugs": bugs}});
    let cases = [
        (
            classify(json!(["failed", "green"]), "INFRA", json!([])),
            "BAD_USER_INPUT",
            "did not fail",
        ),
        (
            classify(json!(["failed", "nope"]), "INFRA", json!([])),
            "NOT_FOUND",
            "nope",
        ),
        (
            classify(json!(["failed"]), "INTERMITTENT", json!([0])),
            "BAD_USER_INPUT",
            "positive",
        ),
        (
            classify(json!(["failed"]), "INTERMITTENT", json!([-5])),
            "BAD_USER_INPUT",
            "positive",
        ),
        (
            classify(json!([]), "INFRA", json!([])),
            "BAD_USER_INPUT",
            "at least one",
        ),
        (
            classify(json!(["failed"]), "AUTOCLASSIFIED_INTERMITTENT", json!([])),
            "BAD_USER_INPUT",
            "autoclassifier",
        ),
        (
            classify(json!(["failed"]), "SOMETIMES", json!([])),
            "BAD_USER_INPUT",
            "SOMETIMES",
        ),
    ];
    for (input, code, says) in cases {
        let answer = app
            .graphql_as(Some(sheriff.as_str()), CLASSIFY, input.clone())
            .await;
        assert_eq!(error_code(&answer), code, "{input}: {answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{input}: {message}");
    }
    let writer = app.token(&["write:try"]);
    let input = classify(json!(["failed"]), "INFRA", json!([]));
    let answer = app
        .graphql_as(Some(writer.as_str()), CLASSIFY, input.clone())
        .await;
    assert_eq!(
        error_code(&answer),
        "FORBIDDEN",
        "write:try is not sheriff:try"
    );
    let answer = app.graphql_as(None, CLASSIFY, input).await;
    assert_eq!(error_code(&answer), "UNAUTHENTICATED");
    let job = app.data(JOB, json!({"g": "failed"})).await["job"].clone();
    assert!(job["classification"].is_null() && job["classificationHistory"] == json!([]));

    let view = app
        .graphql(
            "{ intermittentFailures(since: \"2026-11-05T00:00:00Z\", until: \"2026-11-01T00:00:00Z\") { days { day } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&view), "BAD_USER_INPUT");
    let view = app
        .graphql(
            "{ intermittentFailures(since: \"2020-01-01T00:00:00Z\", until: \"2026-11-01T00:00:00Z\") { days { day } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&view), "BAD_USER_INPUT", "{view}");
}

/// The next `next` message's data.
async fn next_data<S>(socket: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match socket
            .next()
            .await
            .expect("socket open")
            .expect("a message")
        {
            Message::Text(text) => {
                let message: Value = serde_json::from_str(&text).expect("JSON");
                if message["type"] == "next" {
                    return message["payload"]["data"].clone();
                }
                assert_ne!(message["type"], "error", "{message}");
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_failing_autoclassifier_still_leaves_the_parse_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (app, server) = served(dir.path()).await;
    failed_job(&app, &server, 1, "first", "TESTFAILED", "flaky-1.log").await;
    parsed(&app, "first").await;
    let sheriff = app.token(&["sheriff:try"]);
    let done = app
        .graphql_as(
            Some(sheriff.as_str()),
            CLASSIFY,
            json!({"i": {"jobs": ["first"], "classification": "INTERMITTENT", "bugs": [455091]}}),
        )
        .await;
    assert!(done["errors"].is_null(), "{done}");
    // The precedent's stored bug list is damaged behind the server's back: reading it fails
    // inside the autoclassifier, after the parse's rows are written.
    let damaged = behind_the_servers_back(
        &app,
        "UPDATE classifications SET bugs = 'not a bug' WHERE automatic = FALSE",
    );
    assert!(damaged >= 2, "the job's row and its line's: {damaged}");

    failed_job(&app, &server, 2, "second", "TESTFAILED", "flaky-2.log").await;
    let job = parsed(&app, "second").await;
    assert_eq!(job["failureLines"].as_array().unwrap().len(), 1, "{job}");
    assert!(job["classification"].is_null(), "{job}");
    assert_eq!(job["classificationHistory"], json!([]), "{job}");
}

/// The classification `job` (with `testResults { nodes { test subtest classification } }`)
/// shows on its result of `test` and `subtest`.
fn test_classification(job: &Value, test: &str, subtest: Option<&str>) -> Value {
    job["testResults"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["test"] == test && r["subtest"] == json!(subtest))
        .map(|r| r["classification"].clone())
        .unwrap_or_else(|| panic!("no result {test} {subtest:?}: {job}"))
}

/// Runs `statement` on the server's database through a connection of its own; returns the
/// rows it changed.
fn behind_the_servers_back(app: &TestApp, statement: &str) -> usize {
    use diesel::prelude::*;
    match app.database_url().strip_prefix("sqlite://") {
        Some(path) => diesel::sql_query(statement)
            .execute(&mut SqliteConnection::establish(path).unwrap())
            .unwrap(),
        None => diesel::sql_query(statement)
            .execute(&mut PgConnection::establish(app.database_url()).unwrap())
            .unwrap(),
    }
}

#[tokio::test]
async fn lines_keep_the_recurrence_key_they_were_parsed_with_and_older_lines_get_theirs_derived() {
    let dir = tempfile::tempdir().unwrap();
    let (app, server) = served(dir.path()).await;
    failed_job(&app, &server, 1, "first", "TESTFAILED", "flaky-1.log").await;
    let job = parsed(&app, "first").await;
    let lines = app
        .data(
            "query($g: String!) { job(guid: $g) { failureLines { search { pathEnd recurrenceKey } } } }",
            json!({"g": "first"}),
        )
        .await["job"]["failureLines"]
        .clone();
    assert_eq!(lines.as_array().map(Vec::len), Some(1), "{job}");
    // Stored at parse time, and the same as the key derived from the line now.
    let key = lines[0]["search"]["recurrenceKey"]
        .as_str()
        .unwrap()
        .replace('\'', "''");
    let test = lines[0]["search"]["pathEnd"]
        .as_str()
        .unwrap_or("")
        .replace('\'', "''");
    let stored = behind_the_servers_back(
        &app,
        &format!(
            "UPDATE log_errors SET step = step WHERE recurrence_key = '{key}' \
             AND recurrence_test = '{test}'"
        ),
    );
    assert_eq!(
        stored, 1,
        "the line's stored key is its derived one ({test:?}, {key:?})"
    );

    // A line stored before keys were (NULL): a person's classification derives its key, and
    // a recurrence parsed now (its key stored) matches it.
    let cleared = behind_the_servers_back(
        &app,
        "UPDATE log_errors SET recurrence_test = NULL, recurrence_key = NULL",
    );
    assert_eq!(cleared, 1);
    let sheriff = app.token(&["sheriff:try"]);
    let done = app
        .graphql_as(
            Some(sheriff.as_str()),
            CLASSIFY,
            json!({"i": {"jobs": ["first"], "classification": "INTERMITTENT", "bugs": [455091]}}),
        )
        .await;
    assert!(done["errors"].is_null(), "{done}");
    failed_job(&app, &server, 2, "second", "TESTFAILED", "flaky-2.log").await;
    let job = parsed(&app, "second").await;
    assert_eq!(
        job["classification"]["classification"], "AUTOCLASSIFIED_INTERMITTENT",
        "{job}"
    );
}
