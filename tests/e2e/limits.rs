//! Query limits and malformed requests.

use serde_json::json;
use treeherd_tests::{TestApp, error_code};

#[tokio::test]
async fn queries_nested_too_deeply_are_refused() {
    let app = TestApp::spawn().await;
    // Each job -> push -> jobs hop adds three levels.
    let mut selection = "guid".to_owned();
    for _ in 0..6 {
        selection = format!("guid push {{ jobs(first: 1) {{ nodes {{ {selection} }} }} }}");
    }
    let query = format!("{{ job(guid: \"x\") {{ {selection} }} }}");
    let response = app.graphql(&query, json!({})).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{response}"
    );
}

#[tokio::test]
async fn queries_asking_for_too_much_are_refused() {
    let app = TestApp::spawn().await;
    let query = "{ repository(name: \"x\") { pushes(first: 1000) { nodes { jobs(first: 1000) {
        nodes { guid name } } } } } }";
    let response = app.graphql(query, json!({})).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{response}"
    );
}

#[tokio::test]
async fn the_graphiql_introspection_query_fits_the_limits() {
    let app = TestApp::spawn().await;
    let query = include_str!("introspection.graphql");
    let data = app.data(query, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn a_body_that_is_not_a_graphql_request_is_a_bad_request() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let app = TestApp::spawn_with(|config| config.max_body_bytes = 1024).await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": format!("{{ job(guid: \"{}\") {{ guid }} }}", "x".repeat(2000))}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}
