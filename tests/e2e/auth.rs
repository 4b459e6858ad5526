//! Write authorisation: reads are open; every mutation needs a token with the right scope.

use serde_json::json;
use treeherd_tests::{TestApp, error_code};

use crate::builders::app_with_push;
use treeherd_testkit::documents::{SUBMIT, job};

const CREATE: &str = "mutation { createRepository(input: {name: \"new\", vcs: GIT, url: \"https://github.com/x/new\"}) { name } }";

#[tokio::test]
async fn reads_need_no_token() {
    let app = app_with_push().await;
    let response = app
        .graphql_as(None, "{ repositories { name } }", json!({}))
        .await;
    assert_eq!(response["data"]["repositories"], json!([{"name": "try"}]));
    // A refused token does not stop a read.
    let response = app
        .graphql_as(Some("not-a-jwt"), "{ repositories { name } }", json!({}))
        .await;
    assert!(response.get("errors").is_none());
}

#[tokio::test]
async fn writes_without_a_usable_token_are_unauthenticated() {
    let app = app_with_push().await;
    let other_server = TestApp::spawn().await;
    let foreign = other_server.token(&["admin"]);
    for token in [None, Some("not-a-jwt"), Some(foreign.as_str())] {
        let response = app
            .graphql_as(
                token,
                SUBMIT,
                json!({"jobs": [job("j", "TEST", "PENDING")]}),
            )
            .await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "{token:?}");
        let response = app.graphql_as(token, CREATE, json!({})).await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "{token:?}");
    }
    let header = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({"query": CREATE}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(error_code(&header), "UNAUTHENTICATED");
    let data = app
        .data(
            "{ job(guid: \"j\") { guid } repository(name: \"new\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(data, json!({"job": null, "repository": null}));
}

#[tokio::test]
async fn a_token_writes_only_where_its_scopes_allow() {
    let app = app_with_push().await;
    app.create_repository("autoland", &[]).await;
    let try_only = app.token(&["write:try"]);
    let every_repo = app.token(&["write:*"]);

    let ok = app
        .graphql_as(
            Some(&try_only),
            SUBMIT,
            json!({"jobs": [job("mine", "TEST", "PENDING")]}),
        )
        .await;
    assert!(ok.get("errors").is_none(), "{ok}");

    let elsewhere = json!({"jobs": [{"guid": "theirs", "repository": "autoland", "kind": "BUILD",
                                     "name": "b", "state": "PENDING"}]});
    let response = app
        .graphql_as(Some(&try_only), SUBMIT, elsewhere.clone())
        .await;
    assert_eq!(error_code(&response), "FORBIDDEN");
    // One job of a batch outside the scope refuses the whole batch.
    let mixed = json!({"jobs": [job("mine-2", "TEST", "PENDING"), elsewhere["jobs"][0].clone()]});
    let response = app.graphql_as(Some(&try_only), SUBMIT, mixed).await;
    assert_eq!(error_code(&response), "FORBIDDEN");
    let response = app
        .graphql_as(
            Some(&try_only),
            "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
            json!({"p": {"repository": "autoland", "revision": "a".repeat(40), "author": "x",
                         "pushedAt": "2026-11-25T00:00:00Z"}}),
        )
        .await;
    assert_eq!(error_code(&response), "FORBIDDEN");

    let response = app.graphql_as(Some(&every_repo), SUBMIT, elsewhere).await;
    assert!(response.get("errors").is_none(), "{response}");
    // Edges are written with the dependent's repository's scope.
    let edge = json!({"edges": [{"dependent": "theirs", "dependency": "mine"}]});
    let add = "mutation($edges: [DependencyInput!]!) { addDependencies(input: $edges) { added } }";
    assert_eq!(
        error_code(&app.graphql_as(Some(&try_only), add, edge.clone()).await),
        "FORBIDDEN"
    );
    assert!(
        app.graphql_as(Some(&every_repo), add, edge)
            .await
            .get("errors")
            .is_none()
    );

    for token in [&try_only, &every_repo] {
        assert_eq!(
            error_code(&app.graphql_as(Some(token), CREATE, json!({})).await),
            "FORBIDDEN"
        );
    }
    let data = app
        .data(
            "{ job(guid: \"mine-2\") { guid } repository(name: \"new\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(data, json!({"job": null, "repository": null}));
}

#[tokio::test]
async fn a_token_carrying_an_unknown_scope_is_refused_naming_it() {
    let secret = "a-secret-shared-with-the-test";
    let app = TestApp::spawn_with(|config| config.jwt_secret = Some(secret.to_owned())).await;
    app.create_repository("try", &[]).await;
    // Signed with the server's own secret, so only the scope can be wrong.
    let sign = |scope: &str| {
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": "ci", "aud": "treeherd", "iat": now, "exp": now + 600,
                            "scope": scope});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let create = "mutation { createRepository(input: {name: \"new\", vcs: GIT, url: \"https://github.com/x/new\"}) { name } }";
    for scope in ["admni", "admin write:", "write:try/x"] {
        let response = app.graphql_as(Some(&sign(scope)), create, json!({})).await;
        assert_eq!(
            error_code(&response),
            "UNAUTHENTICATED",
            "{scope}: {response}"
        );
        let message = response["errors"][0]["message"].as_str().unwrap();
        let bad = scope.split(' ').next_back().unwrap();
        assert!(
            message.contains(&format!("unknown scope {bad:?}"))
                && message.contains(treeherd_service::KNOWN_SCOPE_FORMS),
            "{message}"
        );
    }
    // The same token with known scopes writes; reads need no scope at all.
    let good = app
        .graphql_as(Some(&sign("write:try admin")), create, json!({}))
        .await;
    assert_eq!(good["data"]["createRepository"]["name"], "new", "{good}");
    let read = app
        .graphql_as(Some(&sign("admni")), "{ repositories { name } }", json!({}))
        .await;
    assert!(read.get("errors").is_none(), "{read}");
}
