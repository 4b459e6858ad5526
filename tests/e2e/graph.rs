//! The dependency graph of two servers on one database: each answers what the other wrote,
//! and one left behind a pruned change log reloads. Its questions on one server are the
//! schema harness's (`schema/tests/resolvers/graph.rs`).

use serde_json::json;
use std::collections::BTreeSet;
use treeherd_tests::{TestApp, error_code};

use crate::builders::app_with_push;
use treeherd_testkit::documents::{ADD, SUBMIT, finished, guids, job, set};

async fn walk(app: &TestApp, guid: &str, field: &str, args: &str) -> BTreeSet<String> {
    let query = format!(
        "{{ job(guid: \"{guid}\") {{ {field}(first: 1000{args}) {{ nodes {{ guid }} }} }} }}"
    );
    let data = app.data(&query, json!({})).await;
    assert!(data["job"][field]["nodes"].is_array(), "{query}: {data}");
    guids(&data["job"][field]["nodes"])
}

#[tokio::test]
async fn two_servers_on_one_database_give_coherent_answers() {
    let one = app_with_push().await;
    let two = TestApp::spawn_beside(&one).await;
    one.data(
        SUBMIT,
        json!({"jobs": [job("b", "BUILD", "RUNNING"), job("t", "TEST", "PENDING")]}),
    )
    .await;
    // The second server loads its graph now, before the edge exists.
    assert_eq!(walk(&two, "t", "ancestors", "").await, set(&[]));
    one.data(
        ADD,
        json!({"edges": [{"dependent": "t", "dependency": "b", "kind": "TEST"}]}),
    )
    .await;
    assert_eq!(walk(&two, "t", "ancestors", "").await, set(&["b"]));
    assert_eq!(walk(&two, "t", "blockers", "").await, set(&["b"]));
    // A status written through one is seen by the other's next answer.
    one.data(
        SUBMIT,
        json!({"jobs": [finished("b", "BUILD", "SUCCESS", 60)]}),
    )
    .await;
    assert_eq!(
        walk(&two, "t", "blockers", "").await,
        set(&["t"]).difference(&set(&["t"])).cloned().collect()
    );
    let ready = two
        .data(
            "{ readyJobs(repository: \"try\", first: 5) { nodes { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(ready["readyJobs"]["nodes"], json!([{"guid": "t"}]));
    // An edge written through one closes a cycle checked by the other.
    let refused = two
        .graphql(
            ADD,
            json!({"edges": [{"dependent": "b", "dependency": "t"}]}),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");
    // And a job arriving through the second binds an edge the first wrote.
    one.data(
        ADD,
        json!({"edges": [{"dependent": "t", "dependency": "late"}]}),
    )
    .await;
    two.data(SUBMIT, json!({"jobs": [job("late", "BUILD", "PENDING")]}))
        .await;
    assert_eq!(walk(&one, "t", "ancestors", "").await, set(&["b", "late"]));
}

#[tokio::test]
async fn a_server_behind_the_pruned_change_log_reloads_and_stays_coherent() {
    let one = app_with_push().await;
    let two = TestApp::spawn_beside(&one).await;
    one.data(
        SUBMIT,
        json!({"jobs": [job("b", "BUILD", "RUNNING"), job("t", "TEST", "PENDING")]}),
    )
    .await;
    assert_eq!(walk(&two, "t", "ancestors", "").await, set(&[]));
    // Changes the second server has not seen are pruned away entirely.
    one.data(
        ADD,
        json!({"edges": [{"dependent": "t", "dependency": "b", "kind": "TEST"}]}),
    )
    .await;
    one.data(SUBMIT, json!({"jobs": [job("late", "BUILD", "PENDING")]}))
        .await;
    let pruned = one.store().prune_graph_changes(1).await.unwrap();
    assert!(pruned >= 2, "{pruned}");
    one.data(
        ADD,
        json!({"edges": [{"dependent": "t", "dependency": "late"}]}),
    )
    .await;
    assert_eq!(walk(&two, "t", "ancestors", "").await, set(&["b", "late"]));
    let refused = two
        .graphql(
            ADD,
            json!({"edges": [{"dependent": "b", "dependency": "t"}]}),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");
}
