//! GraphQL over GET: queries run from URL parameters (also by persisted hash, as the UI sends
//! them), answers carry an `ETag` and `Cache-Control` and revalidate with a 304, mutations
//! are refused with 405, and a GET with no GraphQL parameter still gets GraphiQL. The server
//! reuses a public answer while its `max-age` allows. Answers are
//! compressed when the client asks.

use serde_json::json;
use treeherd_tests::{TestApp, error_code};

const QUERY: &str = "{ repositories { name } }";

fn url(app: &TestApp, parameters: &[(&str, &str)]) -> reqwest::Url {
    reqwest::Url::parse_with_params(&format!("{}/graphql", app.address), parameters).unwrap()
}

#[tokio::test]
async fn a_query_over_get_is_cacheable_and_revalidates() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    let response = app
        .client
        .get(url(&app, &[("query", QUERY)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    assert_eq!(response.headers()["cache-control"], "public, max-age=5");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["data"]["repositories"][0]["name"], "try");

    let again = app
        .client
        .get(url(&app, &[("query", QUERY)]))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());

    // Once the data changes, so does the ETag: a revalidation (which asks for a fresh
    // answer, as a cache or the UI does) gets the new answer.
    app.create_repository("beta", &[]).await;
    let changed = app
        .client
        .get(url(&app, &[("query", QUERY)]))
        .header("if-none-match", &etag)
        .header("cache-control", "no-cache")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn the_server_reuses_a_public_answer_for_as_long_as_it_allows() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    let names = |body: serde_json::Value| {
        body["data"]["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    };
    let get = |headers: &[(&str, &str)]| {
        let mut request = app.client.get(url(&app, &[("query", QUERY)]));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let first = get(&[]).await.unwrap();
    assert!(first.headers().get("age").is_none());
    let first_etag = first.headers()["etag"].clone();
    assert_eq!(names(first.json().await.unwrap()), ["try"]);
    app.create_repository("beta", &[]).await;

    // Within max-age the same URL gets the kept answer, with its age, as a CDN would serve it.
    let kept = get(&[]).await.unwrap();
    assert_eq!(kept.status(), 200);
    assert!(
        kept.headers()["age"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            < 5
    );
    assert_eq!(kept.headers()["etag"], first_etag);
    assert_eq!(kept.headers()["cache-control"], "public, max-age=5");
    assert_eq!(names(kept.json().await.unwrap()), ["try"]);
    // Credentials, and a request for a fresh answer, run the query again.
    let token = app.token(&["write:try"]);
    let with_token = get(&[("authorization", &format!("Bearer {token}"))])
        .await
        .unwrap();
    assert_eq!(with_token.headers()["cache-control"], "no-store");
    assert_eq!(names(with_token.json().await.unwrap()), ["beta", "try"]);
    let fresh = get(&[("cache-control", "no-cache")]).await.unwrap();
    assert!(fresh.headers().get("age").is_none());
    assert_eq!(names(fresh.json().await.unwrap()), ["beta", "try"]);
    // ... and refresh what is kept.
    let refreshed = get(&[]).await.unwrap();
    assert!(refreshed.headers().get("age").is_some());
    assert_eq!(names(refreshed.json().await.unwrap()), ["beta", "try"]);

    // Past max-age the query runs again.
    app.create_repository("gamma", &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(5_100)).await;
    let later = get(&[]).await.unwrap();
    assert!(later.headers().get("age").is_none());
    assert_eq!(names(later.json().await.unwrap()), ["beta", "gamma", "try"]);
}

#[tokio::test]
async fn variables_operation_names_and_persisted_hashes_come_as_parameters() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    let query = "query Other { repositories { name } } \
                 query One($name: String!) { repository(name: $name) { name } }";
    let response = app
        .client
        .get(url(
            &app,
            &[
                ("query", query),
                ("operationName", "One"),
                ("variables", &json!({"name": "try"}).to_string()),
            ],
        ))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["data"]["repository"]["name"], "try", "{body}");

    // A hash alone over GET: not found, then sent with its query, then found.
    let hash = "a0b1f3d5ba0b9e2f0e48e0c9b4c08f1aef0c5b6f0e3b1aa7f5bd3fd8f2b23c4b";
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}}).to_string();
    let unknown = app
        .client
        .get(url(&app, &[("extensions", &extensions)]))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.headers()["cache-control"], "no-store");
    let unknown: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(error_code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn answers_for_credentials_or_with_errors_are_not_stored() {
    let app = TestApp::spawn().await;
    let token = app.token(&["admin"]);
    let with_token = app
        .client
        .get(url(&app, &[("query", QUERY)]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 200);
    assert_eq!(with_token.headers()["cache-control"], "no-store");

    let with_errors = app
        .client
        .get(url(&app, &[("query", "{ nosuchfield }")]))
        .send()
        .await
        .unwrap();
    assert_eq!(with_errors.headers()["cache-control"], "no-store");
    let body: serde_json::Value = with_errors.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_mutation_over_get_is_refused() {
    let app = TestApp::spawn().await;
    let mutation = "mutation { createRepository(input: {name: \"x\", vcs: HG, \
                    url: \"https://hg.example/x\", indexedAttributes: []}) { name } }";
    let response = app
        .client
        .get(url(&app, &[("query", mutation)]))
        .bearer_auth(app.token(&["admin"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "METHOD_NOT_ALLOWED");
    let repositories = app.data("{ repositories { name } }", json!({})).await;
    assert_eq!(
        repositories["repositories"],
        json!([]),
        "nothing was created"
    );
}

#[tokio::test]
async fn a_plain_get_still_serves_graphiql() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

/// An answer is sent gzip or brotli when the client asks for it, and as is otherwise.
#[tokio::test]
async fn answers_are_compressed_when_the_client_asks() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    let get = |encoding: Option<&'static str>| {
        let mut request = app.client.get(url(&app, &[("query", QUERY)]));
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        request.send()
    };
    let plain = get(None).await.unwrap();
    assert_eq!(plain.headers().get("content-encoding"), None);
    let plain = plain.bytes().await.unwrap();

    let gzip = get(Some("gzip")).await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzip.bytes().await.unwrap()[..]),
        &mut inflated,
    )
    .unwrap();
    assert_eq!(inflated, plain);

    let brotli = get(Some("br")).await.unwrap();
    assert_eq!(brotli.headers()["content-encoding"], "br");
    let rest = app
        .client
        .get(format!("{}/api/repository/", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(rest.headers()["content-encoding"], "gzip");
}

/// The GraphQL spec orders an answer's fields as the query asks for them, aliases included,
/// whichever resolves first, over POST and GET alike.
#[tokio::test]
async fn fields_come_back_in_query_order() {
    let app = crate::builders::app_with_push().await;
    let push = format!(
        "push(repository: \"try\", revision: \"{}\") {{ revision pushId }}",
        treeherd_tests::revision(1)
    );
    let query = format!("{{ p2: {push} p3: {push} p0: {push} p1: __typename }}");
    for _ in 0..3 {
        for request in [
            app.client
                .post(format!("{}/graphql", app.address))
                .json(&json!({"query": query})),
            app.client.get(url(&app, &[("query", &query)])),
        ] {
            let text = request.send().await.unwrap().text().await.unwrap();
            let at = |key: &str| text.find(key).unwrap_or_else(|| panic!("{key} in {text}"));
            assert!(
                at("\"p2\"") < at("\"p3\"")
                    && at("\"p3\"") < at("\"p0\"")
                    && at("\"p0\"") < at("\"p1\""),
                "{text}"
            );
            assert!(at("\"revision\"") < at("\"pushId\""), "{text}");
        }
    }
}
