//! An answer that grows past the response cap stops the request and is answered with one
//! error, `RESPONSE_TOO_LARGE`, while an answer under the cap is whole and the server serves
//! on.

use serde_json::{Value, json};
use treeherd_tests::{TestApp, error_code, revision};

const CAP: usize = 64 * 1024;

#[tokio::test]
async fn an_answer_past_the_cap_is_refused_whole_and_one_under_it_is_served() {
    let app = TestApp::spawn_with(|config| config.max_response_bytes = CAP).await;
    app.create_repository("try", &[]).await;
    let jobs: Vec<Value> = (0..300)
        .map(|i| {
            json!({"guid": format!("job-{i:04}"), "repository": "try", "revision": revision(1),
                   "kind": "TEST", "name": format!("test-linux64/opt-mochitest-{i}"), "state": "PENDING"})
        })
        .collect();
    app.data(
        "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
        json!({"j": jobs}),
    )
    .await;
    let page = "jobs(repository: \"try\", first: 1000) { nodes { guid name } }";

    // About 20 KB: under the cap, whole.
    let one = app.graphql(&format!("{{ {page} }}"), json!({})).await;
    assert!(one.get("errors").is_none(), "{one}");
    assert_eq!(
        one["data"]["jobs"]["nodes"].as_array().map(Vec::len),
        Some(300)
    );
    let size = one.to_string().len();
    assert!(size < CAP && size * 4 > CAP, "the page is {size} bytes");

    // Five times that: past the cap, one error and no data.
    let aliases: String = (0..5).map(|n| format!("a{n}: {page} ")).collect();
    let over = app.graphql(&format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(error_code(&over), "RESPONSE_TOO_LARGE", "{over}");
    assert_eq!(over["errors"].as_array().map(Vec::len), Some(1), "{over}");
    assert!(over["data"].is_null(), "{over}");
    assert!(over.to_string().len() < 1024);

    // And the server serves on.
    let again = app.graphql(&format!("{{ {page} }}"), json!({})).await;
    assert_eq!(again["data"], one["data"]);
}
