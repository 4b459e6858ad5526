//! Pushes: submission, ordering, pagination and lookup by revision.

use serde_json::{Value, json};

use crate::support::{TestSchema, error_code, revision};

const SUBMIT: &str = "mutation($input: PushInput!) { submitPush(input: $input) { pushId revision author pushedAt commits { revision author message } } }";

fn push(push_id: Option<i64>, rev: u64, commits: &[u64]) -> Value {
    json!({"input": {
        "repository": "try", "pushId": push_id, "revision": revision(rev),
        "author": format!("dev{rev}@example.com"), "pushedAt": "2026-11-25T10:00:00Z",
        "commits": commits.iter().map(|c| json!({
            "revision": revision(*c), "author": "a@example.com", "message": format!("commit {c}")
        })).collect::<Vec<_>>(),
    }})
}

#[tokio::test]
async fn pushes_are_numbered_in_order_and_listed_newest_first() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;
    let first = app.data(SUBMIT, push(None, 1, &[10, 1])).await;
    assert_eq!(
        first["submitPush"],
        json!({"pushId": 1, "revision": revision(1), "author": "dev1@example.com",
               "pushedAt": "2026-11-25T10:00:00+00:00",
               "commits": [
                   {"revision": revision(10), "author": "a@example.com", "message": "commit 10"},
                   {"revision": revision(1), "author": "a@example.com", "message": "commit 1"}]})
    );
    for rev in 2..=5 {
        app.data(SUBMIT, push(None, rev, &[rev])).await;
    }
    app.data(SUBMIT, push(Some(10), 6, &[6])).await;
    app.data(SUBMIT, push(None, 7, &[7])).await;

    let query =
        "query($after: String) { repository(name: \"try\") { pushes(first: 3, after: $after) {
        nodes { pushId } pageInfo { hasNextPage endCursor } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data(query, json!({"after": after})).await;
        let page = &data["repository"]["pushes"];
        seen.extend(
            page["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["pushId"].as_i64().unwrap()),
        );
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, vec![11, 10, 5, 4, 3, 2, 1]);
}

#[tokio::test]
async fn a_push_is_found_by_its_revision_or_any_commit() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;
    app.data(SUBMIT, push(None, 1, &[7, 8, 1])).await;
    let query = "query($r: String!) { push(repository: \"try\", revision: $r) { pushId } }";
    for rev in [1, 7, 8] {
        let data = app.data(query, json!({"r": revision(rev)})).await;
        assert_eq!(data["push"]["pushId"], 1, "revision {rev}");
    }
    let upper = revision(7).to_uppercase();
    assert_eq!(
        app.data(query, json!({"r": upper})).await["push"]["pushId"],
        1
    );
    assert_eq!(
        app.data(query, json!({"r": revision(9)})).await["push"],
        Value::Null
    );

    let short = app.graphql(query, json!({"r": "abc"})).await;
    assert_eq!(error_code(&short), "BAD_USER_INPUT");
    let other = app
        .graphql(
            "query($r: String!) { push(repository: \"nope\", revision: $r) { pushId } }",
            json!({"r": revision(1)}),
        )
        .await;
    assert_eq!(error_code(&other), "NOT_FOUND");
}

#[tokio::test]
async fn resubmitting_a_push_is_idempotent_and_contradictions_conflict() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;
    app.data(SUBMIT, push(None, 1, &[1])).await;
    let again = app.data(SUBMIT, push(None, 1, &[5, 1])).await;
    assert_eq!(again["submitPush"]["pushId"], 1);
    assert_eq!(again["submitPush"]["commits"].as_array().unwrap().len(), 2);

    let moved = app.graphql(SUBMIT, push(Some(2), 1, &[1])).await;
    assert_eq!(error_code(&moved), "CONFLICT");
    let taken = app.graphql(SUBMIT, push(Some(1), 2, &[2])).await;
    assert_eq!(error_code(&taken), "CONFLICT");
    let bad = app.graphql(SUBMIT, push(None, 3, &[])).await;
    assert!(bad.get("errors").is_none());
    let mut invalid = push(None, 4, &[]);
    invalid["input"]["commits"] = json!([{"revision": "xyz", "author": "a", "message": "m"}]);
    assert_eq!(
        error_code(&app.graphql(SUBMIT, invalid).await),
        "BAD_USER_INPUT"
    );

    let data = app
        .data(
            "{ repository(name: \"try\") { pushes(first: 10) { nodes { pushId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["repository"]["pushes"]["nodes"],
        json!([{"pushId": 2}, {"pushId": 1}])
    );
}

#[tokio::test]
async fn a_job_on_an_unknown_revision_waits_on_a_placeholder_the_pushlog_fills() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;
    app.data(SUBMIT, push(None, 1, &[1])).await;
    let early = json!({"jobs": [{"guid": "early", "repository": "try", "revision": revision(2),
                                  "kind": "BUILD", "name": "b", "state": "PENDING"}]});
    app.data(
        "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }",
        early,
    )
    .await;
    let query =
        "{ job(guid: \"early\") { revision push { pushId jobs(first: 5) { nodes { guid } } } }
                   repository(name: \"try\") { pushes(first: 10) { nodes { pushId revision } } } }";
    let before = app.data(query, json!({})).await;
    assert_eq!(
        before["job"],
        json!({"revision": revision(2), "push": null})
    );
    assert_eq!(
        before["repository"]["pushes"]["nodes"],
        json!([{"pushId": 1, "revision": revision(1)}])
    );
    let lookup = format!(
        "{{ push(repository: \"try\", revision: \"{}\") {{ pushId }} }}",
        revision(2)
    );
    assert_eq!(app.data(&lookup, json!({})).await["push"], Value::Null);

    // The pushlog brings the push: the same row is filled in, next in order.
    let filled = app.data(SUBMIT, push(None, 2, &[2])).await;
    assert_eq!(filled["submitPush"]["pushId"], 2);
    let after = app.data(query, json!({})).await;
    assert_eq!(
        after["job"],
        json!({"revision": revision(2), "push": {"pushId": 2, "jobs": {"nodes": [{"guid": "early"}]}}})
    );
    assert_eq!(
        after["repository"]["pushes"]["nodes"],
        json!([{"pushId": 2, "revision": revision(2)}, {"pushId": 1, "revision": revision(1)}])
    );
}
