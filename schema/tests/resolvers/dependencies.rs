//! Typed dependency edges: adding, reading both ways, kind filters, dangling edges that bind
//! when their job arrives, and refusals.

use serde_json::json;

use crate::builders::app_with_push;
use crate::support::error_code;
use treeherd_testkit::documents::{SUBMIT, job};

const ADD: &str =
    "mutation($edges: [DependencyInput!]!) { addDependencies(input: $edges) { added } }";

#[tokio::test]
async fn edges_are_read_from_both_ends_with_kind_filters() {
    let app = app_with_push().await;
    let jobs = vec![
        job("build", "BUILD", "COMPLETED"),
        job("test-1", "TEST", "PENDING"),
        job("test-2", "TEST", "PENDING"),
        job("repack-de", "L10N_REPACK", "PENDING"),
        job("release", "RELEASE", "UNSCHEDULED"),
    ];
    app.data(SUBMIT, json!({"jobs": jobs})).await;
    let added = app
        .data(
            ADD,
            json!({"edges": [
                {"dependent": "test-1", "dependency": "build", "kind": "TEST"},
                {"dependent": "test-2", "dependency": "build", "kind": "TEST"},
                {"dependent": "repack-de", "dependency": "build", "kind": "L10N_REPACK"},
                {"dependent": "release", "dependency": "test-1", "kind": "RELEASE"},
                {"dependent": "release", "dependency": "test-2", "kind": "RELEASE"},
                {"dependent": "release", "dependency": "repack-de", "kind": "RELEASE"},
                {"dependent": "release", "dependency": "build"},
            ]}),
        )
        .await;
    assert_eq!(added["addDependencies"]["added"], 7);

    let data = app
        .data(
            "{ build: job(guid: \"build\") {
                 dependents { kind job { guid } }
                 tests: dependents(kinds: [TEST]) { job { guid } } }
               release: job(guid: \"release\") {
                 dependencies { kind job { guid } }
                 generic: dependencies(kinds: [GENERIC]) { job { guid } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["build"]["dependents"],
        json!([
            {"kind": "TEST", "job": {"guid": "test-1"}},
            {"kind": "TEST", "job": {"guid": "test-2"}},
            {"kind": "L10N_REPACK", "job": {"guid": "repack-de"}},
            {"kind": "GENERIC", "job": {"guid": "release"}},
        ])
    );
    assert_eq!(
        data["build"]["tests"],
        json!([{"job": {"guid": "test-1"}}, {"job": {"guid": "test-2"}}])
    );
    assert_eq!(
        data["release"]["dependencies"],
        json!([
            {"kind": "GENERIC", "job": {"guid": "build"}},
            {"kind": "RELEASE", "job": {"guid": "test-1"}},
            {"kind": "RELEASE", "job": {"guid": "test-2"}},
            {"kind": "RELEASE", "job": {"guid": "repack-de"}},
        ])
    );
    assert_eq!(
        data["release"]["generic"],
        json!([{"job": {"guid": "build"}}])
    );

    // The same edge again only changes its kind.
    app.data(
        ADD,
        json!({"edges": [{"dependent": "release", "dependency": "build", "kind": "RELEASE"}]}),
    )
    .await;
    let data = app
        .data(
            "{ job(guid: \"release\") { dependencies(kinds: [RELEASE]) { job { guid } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["job"]["dependencies"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_dangling_edge_binds_when_its_job_arrives() {
    let app = app_with_push().await;
    app.data(SUBMIT, json!({"jobs": [job("test", "TEST", "PENDING")]}))
        .await;
    app.data(
        ADD,
        json!({"edges": [{"dependent": "test", "dependency": "late-build", "kind": "TEST"}]}),
    )
    .await;
    let query = "{ job(guid: \"test\") { dependencies { kind job { guid } } danglingDependencies { kind guid } } }";
    let before = app.data(query, json!({})).await;
    assert_eq!(
        before["job"],
        json!({"dependencies": [], "danglingDependencies": [{"kind": "TEST", "guid": "late-build"}]})
    );

    app.data(
        SUBMIT,
        json!({"jobs": [job("late-build", "BUILD", "RUNNING")]}),
    )
    .await;
    let after = app.data(query, json!({})).await;
    assert_eq!(
        after["job"],
        json!({"dependencies": [{"kind": "TEST", "job": {"guid": "late-build"}}], "danglingDependencies": []})
    );
}

#[tokio::test]
async fn refused_edges_leave_nothing_behind() {
    let app = app_with_push().await;
    app.data(
        SUBMIT,
        json!({"jobs": [job("a", "TEST", "PENDING"), job("b", "BUILD", "PENDING")]}),
    )
    .await;
    let self_edge = app
        .graphql(ADD, json!({"edges": [{"dependent": "a", "dependency": "b"}, {"dependent": "a", "dependency": "a"}]}))
        .await;
    assert_eq!(error_code(&self_edge), "CONFLICT");
    let unknown_dependent = app
        .graphql(ADD, json!({"edges": [{"dependent": "a", "dependency": "b"}, {"dependent": "ghost", "dependency": "b"}]}))
        .await;
    assert_eq!(error_code(&unknown_dependent), "NOT_FOUND");
    let data = app
        .data(
            "{ job(guid: \"a\") { dependencies { job { guid } } danglingDependencies { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["job"],
        json!({"dependencies": [], "danglingDependencies": []})
    );
}
