//! Creating and reading repositories.

use serde_json::json;

use crate::support::{TestSchema, error_code};

const CREATE: &str = "mutation($input: RepositoryInput!) { createRepository(input: $input) { name vcs url indexedAttributes } }";

#[tokio::test]
async fn created_repositories_are_listed_by_name() {
    let app = TestSchema::new().await;
    let created = app
        .data(
            CREATE,
            json!({"input": {"name": "try", "vcs": "HG", "url": "https://hg.mozilla.org/try",
                   "indexedAttributes": ["owner", "labels"]}}),
        )
        .await;
    assert_eq!(
        created["createRepository"],
        json!({"name": "try", "vcs": "HG", "url": "https://hg.mozilla.org/try",
               "indexedAttributes": ["owner", "labels"]})
    );
    app.create_repository("autoland", &[]).await;

    let data = app
        .data("{ repositories { name } repository(name: \"try\") { vcs } missing: repository(name: \"nope\") { name } }", json!({}))
        .await;
    assert_eq!(
        data,
        json!({"repositories": [{"name": "autoland"}, {"name": "try"}],
               "repository": {"vcs": "HG"}, "missing": null})
    );
}

#[tokio::test]
async fn a_second_repository_of_the_same_name_is_a_conflict() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;
    let response = app
        .graphql(
            CREATE,
            json!({"input": {"name": "try", "vcs": "GIT", "url": "u"}}),
        )
        .await;
    assert_eq!(error_code(&response), "CONFLICT");
}

#[tokio::test]
async fn bad_names_and_keys_are_refused() {
    let app = TestSchema::new().await;
    for input in [
        json!({"name": "has space", "vcs": "HG", "url": "u"}),
        json!({"name": "ok", "vcs": "HG", "url": ""}),
        json!({"name": "ok", "vcs": "HG", "url": "u", "indexedAttributes": ["a", "a"]}),
        json!({"name": "ok", "vcs": "SVN", "url": "u"}),
    ] {
        let response = app.graphql(CREATE, json!({"input": input})).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{input}");
    }
    let data = app.data("{ repositories { name } }", json!({})).await;
    assert_eq!(data, json!({"repositories": []}));
}
