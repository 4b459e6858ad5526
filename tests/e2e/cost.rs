//! Query cost over HTTP: every answer reports `extensions.cost` (requested by the
//! complexity rules, actual by what was answered, and the limit), and a query refused for its
//! cost is told its cost and the limit.

use serde_json::json;
use treeherd_tests::{TestApp, error_code};

#[tokio::test]
async fn every_answer_reports_its_cost() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    app.create_repository("beta", &[]).await;
    let query = "{ repositories { name } repository(name: \"try\") { pushes(first: 50) { nodes { author } } } }";
    let response = app.graphql(query, json!({})).await;
    let cost = &response["extensions"]["cost"];
    // repositories (1) + name (1); repository (1) + pushes: 50 × (nodes + author) + 1.
    assert_eq!(cost["requestedQueryCost"], 2 + 1 + 50 * 2 + 1, "{response}");
    // repositories + two names; repository, pushes, nodes (no push: no author).
    assert_eq!(cost["actualQueryCost"], 3 + 3, "{response}");
    assert_eq!(cost["maximumAvailable"], 600_000);

    // An invalid query has no requested cost, but the answer still says the limit.
    let invalid = app.graphql("{ nosuchfield }", json!({})).await;
    assert_eq!(
        invalid["extensions"]["cost"]["requestedQueryCost"],
        json!(null)
    );
    assert_eq!(invalid["extensions"]["cost"]["actualQueryCost"], 0);
}

#[tokio::test]
async fn a_query_refused_for_its_cost_says_its_cost() {
    let app = TestApp::spawn().await;
    let query = "{ repository(name: \"x\") { pushes(first: 1000) { nodes { jobs(first: 1000) {
        nodes { guid name } } } } } }";
    let response = app.graphql(query, json!({})).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    // repository + pushes: 1000 × (nodes + jobs: 1000 × (nodes + guid + name) + 1) + 1.
    let cost = 1 + 1000 * (1 + 1000 * 3 + 1) + 1;
    let message = response["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&cost.to_string()) && message.contains("600000"),
        "{response}"
    );
    assert_eq!(response["errors"][0]["extensions"]["cost"], cost);
    assert_eq!(response["extensions"]["cost"]["requestedQueryCost"], cost);
    assert!(response["data"].is_null(), "{response}");
}
