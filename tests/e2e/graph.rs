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

/// The questions of the UI and of release engineers about `guid`, as one answer.
async fn every_question(app: &TestApp, guid: &str, to: &str) -> serde_json::Value {
    let walks = ["ancestors", "descendants", "blockers", "impact"]
        .map(|field| format!("{field}(first: 100) {{ edges {{ cursor node {{ guid }} }} }}"))
        .join(" ");
    let query = format!(
        "{{ job(guid: \"{guid}\") {{ {walks} criticalPath {{ jobs {{ guid }} totalDuration }} }}
           dependencyPath(from: \"{guid}\", to: \"{to}\") {{ guid }}
           dependencyGraph(guid: \"{guid}\") {{ nodes {{ guid }} edges {{ kind dependent dependency }} }} }}"
    );
    app.data(&query, json!({})).await
}

#[tokio::test]
async fn a_server_holding_only_its_newest_jobs_answers_as_one_holding_all() {
    // Room for a few dozen jobs; the history below has several hundred.
    let small = app_with_push().await;
    let bounded =
        TestApp::spawn_beside_with(&small, |config| config.graph_budget = 16 * 1024).await;
    // An old nightly with its tests, then pushes' worth of jobs, then a repack of that nightly
    // and a release gating jobs old and new.
    let mut jobs = vec![finished("nightly", "BUILD", "SUCCESS", 60)];
    let mut edges = Vec::new();
    for t in 0..5 {
        jobs.push(job(&format!("nightly-test{t}"), "TEST", "PENDING"));
        edges.push(json!({"dependent": format!("nightly-test{t}"), "dependency": "nightly", "kind": "TEST"}));
    }
    bounded.data(SUBMIT, json!({"jobs": jobs})).await;
    bounded.data(ADD, json!({"edges": edges})).await;
    for push in 0..12 {
        let build = format!("build{push}");
        let mut jobs = vec![finished(&build, "BUILD", "SUCCESS", 30)];
        let mut edges = Vec::new();
        for t in 0..20 {
            let test = format!("{build}-test{t}");
            jobs.push(job(
                &test,
                "TEST",
                if t % 3 == 0 { "RUNNING" } else { "PENDING" },
            ));
            edges.push(json!({"dependent": test, "dependency": build, "kind": "TEST"}));
        }
        bounded.data(SUBMIT, json!({"jobs": jobs})).await;
        bounded.data(ADD, json!({"edges": edges})).await;
    }
    bounded
        .data(
            SUBMIT,
            json!({"jobs": [job("repack", "L10N_REPACK", "PENDING"), job("release", "RELEASE", "UNSCHEDULED")]}),
        )
        .await;
    bounded
        .data(
            ADD,
            json!({"edges": [
                {"dependent": "repack", "dependency": "nightly", "kind": "L10N_REPACK"},
                {"dependent": "release", "dependency": "repack", "kind": "RELEASE"},
                {"dependent": "release", "dependency": "build11", "kind": "RELEASE"},
                {"dependent": "release", "dependency": "nightly-test3", "kind": "RELEASE"}]}),
        )
        .await;
    // Closing a cycle through jobs the bounded server no longer holds is refused.
    let refused = bounded
        .graphql(
            ADD,
            json!({"edges": [{"dependent": "nightly", "dependency": "release"}]}),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");

    for (guid, to) in [
        ("release", "nightly"),
        ("nightly", "release"),
        ("repack", "nightly-test3"),
        ("nightly-test3", "build11"),
        ("build11-test4", "build11"),
        ("build0", "build0-test1"),
    ] {
        let expected = every_question(&small, guid, to).await;
        assert_eq!(every_question(&bounded, guid, to).await, expected, "{guid}");
    }
    let metrics = bounded.metrics().await;
    let from_store = metrics
        .lines()
        .find_map(|l| l.strip_prefix("treeherd_graph_store_answers "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(from_store > 0.0, "{metrics}");
}
