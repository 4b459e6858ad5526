//! Automatic persisted queries over HTTP: the `PersistedQueryNotFound` round trip, a hash
//! that is not its query's, and a query one server was told being known by another server on
//! the same database (as replicas behind a load balancer are).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use treeherd_tests::{TestApp, error_code};

const QUERY: &str = "{ repositories { name } }";

fn sha256(query: &str) -> String {
    Sha256::digest(query.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn persisted(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

async fn post(app: &TestApp, body: Value) -> Value {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_unknown_hash_is_not_found_until_sent_with_its_query() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    let hash = sha256(QUERY);

    let first = post(&app, json!({"extensions": persisted(&hash)})).await;
    assert_eq!(first["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(error_code(&first), "PERSISTED_QUERY_NOT_FOUND");

    let full = post(
        &app,
        json!({"query": QUERY, "extensions": persisted(&hash)}),
    )
    .await;
    assert_eq!(full["data"]["repositories"][0]["name"], "try", "{full}");

    let by_hash = post(&app, json!({"extensions": persisted(&hash)})).await;
    assert_eq!(by_hash["data"], full["data"], "{by_hash}");

    // Another server on the same database knows it too (it was remembered in the database).
    let replica = TestApp::spawn_beside(&app).await;
    let elsewhere = post(&replica, json!({"extensions": persisted(&hash)})).await;
    assert_eq!(elsewhere["data"], full["data"], "{elsewhere}");
}

#[tokio::test]
async fn a_hash_that_is_not_the_querys_is_refused() {
    let app = TestApp::spawn().await;
    let wrong = sha256("{ something { else } }");
    let response = post(
        &app,
        json!({"query": QUERY, "extensions": persisted(&wrong)}),
    )
    .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SHA-256"),
        "{response}"
    );
    // Nothing was remembered under the wrong hash.
    let by_hash = post(&app, json!({"extensions": persisted(&wrong)})).await;
    assert_eq!(error_code(&by_hash), "PERSISTED_QUERY_NOT_FOUND");

    let malformed = post(&app, json!({"extensions": persisted("not-a-hash")})).await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
}
