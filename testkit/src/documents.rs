//! GraphQL documents and test data that both the end-to-end suite (over HTTP) and the schema
//! harness (`schema.execute()`) send, so a test moved between them reads the same: revisions
//! made from numbers, a job on `try`'s first push, the `submitJobs` and `addDependencies`
//! mutations, and the guids of a node list.

use serde_json::{Value, json};
use std::collections::BTreeSet;

/// `submitJobs`, answering each job's guid, state, result, tier, attributes and push id.
pub const SUBMIT: &str = "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid state result tier attributes push { pushId } } } }";

/// `addDependencies`, answering how many edges were added.
pub const ADD: &str =
    "mutation($edges: [DependencyInput!]!) { addDependencies(input: $edges) { added } }";

/// A 40-hex-digit revision made from a number, for test data.
pub fn revision(n: u64) -> String {
    format!("{n:040x}")
}

/// A job on `try`'s push of revision 1, on linux64.
pub fn job(guid: &str, kind: &str, state: &str) -> Value {
    json!({"guid": guid, "repository": "try", "revision": revision(1), "kind": kind,
           "name": format!("{guid} job"), "state": state, "platform": "linux64"})
}

/// A [`job`] COMPLETED with `result`, started at 10:00 and finished `seconds` later.
pub fn finished(guid: &str, kind: &str, result: &str, seconds: i64) -> Value {
    let mut j = job(guid, kind, "COMPLETED");
    j["result"] = json!(result);
    j["startedAt"] = json!("2026-11-25T10:00:00Z");
    j["finishedAt"] = json!(format!(
        "2026-11-25T10:{:02}:{:02}Z",
        seconds / 60,
        seconds % 60
    ));
    j
}

/// The `guid`s of a list of nodes.
pub fn guids(nodes: &Value) -> BTreeSet<String> {
    nodes
        .as_array()
        .expect("a list of nodes")
        .iter()
        .map(|n| n["guid"].as_str().expect("a node with a guid").to_owned())
        .collect()
}

/// A set of strings, to compare with [`guids`].
pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}
