//! What more than one file of the harness starts from: a repository `try` with one push (the
//! jobs and documents sent to it are `treeherd_testkit::documents`).

use serde_json::json;

use crate::support::{TestSchema, revision};

/// A repository `try` (indexing `owner` and `labels`) with one push (revision 1).
pub async fn app_with_push() -> TestSchema {
    let app = TestSchema::new().await;
    app.create_repository("try", &["owner", "labels"]).await;
    app.data(
        "mutation($input: PushInput!) { submitPush(input: $input) { pushId } }",
        json!({"input": {"repository": "try", "revision": revision(1), "author": "a",
                         "pushedAt": "2026-11-25T10:00:00Z"}}),
    )
    .await;
    app
}
