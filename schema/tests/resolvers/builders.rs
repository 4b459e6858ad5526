//! Test data more than one file of the harness builds: a repository `try` with one push, and
//! jobs on it.

use serde_json::{Value, json};

use crate::support::{TestSchema, revision};

pub const SUBMIT: &str = "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid state result tier attributes push { pushId } } } }";

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

/// A job on `try`'s push of revision 1, on linux64.
pub fn job(guid: &str, kind: &str, state: &str) -> Value {
    json!({"guid": guid, "repository": "try", "revision": revision(1), "kind": kind,
           "name": format!("{guid} job"), "state": state, "platform": "linux64"})
}
