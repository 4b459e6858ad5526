//! What more than one file of the e2e suite starts from: a repository `try` with one push (the
//! jobs and documents sent to it are `treeherd_testkit::documents`).

use serde_json::json;
use treeherd_tests::{TestApp, revision};

/// A repository `try` (indexing `owner` and `labels`) with one push (revision 1).
pub async fn app_with_push() -> TestApp {
    let app = TestApp::spawn().await;
    app.create_repository("try", &["owner", "labels"]).await;
    app.data(
        "mutation($input: PushInput!) { submitPush(input: $input) { pushId } }",
        json!({"input": {"repository": "try", "revision": revision(1), "author": "a",
                         "pushedAt": "2026-11-25T10:00:00Z"}}),
    )
    .await;
    app
}

/// Stores push `n` of `try` (revision `n`), pushed at `pushed_at` (RFC 3339).
pub async fn push_at(app: &TestApp, n: u64, pushed_at: &str) {
    app.data(
        "mutation($input: PushInput!) { submitPush(input: $input) { pushId } }",
        json!({"input": {"repository": "try", "revision": revision(n), "author": "a",
                         "pushedAt": pushed_at}}),
    )
    .await;
}
