//! The `treeherd` binary as a new user runs it: `serve` with every default in an empty folder,
//! then `token issue` beside it, and the token writes.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use support::{serve, treeherd};

#[tokio::test]
async fn serve_with_defaults_accepts_a_token_issued_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    assert!(
        dir.path().join("treeherd.db").exists(),
        "the default database is ./treeherd.db"
    );

    let output = treeherd(dir.path())
        .args([
            "token",
            "issue",
            "--subject",
            "me",
            "--scope",
            "admin",
            "--ttl",
            "1h",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();

    let client = reqwest::Client::new();
    let url = server.url();
    let create = json!({"query": "mutation { createRepository(input: {name: \"try\", vcs: HG, url: \"https://hg.mozilla.org/try\"}) { name } }"});
    let response: Value = client
        .post(&url)
        .bearer_auth(&token)
        .json(&create)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        response,
        json!({"data": {"createRepository": {"name": "try"}}})
    );

    let anonymous: Value = client
        .post(&url)
        .json(&create)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[test]
fn schema_prints_the_checked_in_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let output = treeherd(dir.path()).arg("schema").output().unwrap();
    assert!(output.status.success());
    let checked_in = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/schema.graphql"),
    )
    .unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), checked_in);
}

#[test]
fn migrate_creates_the_database_and_bad_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = treeherd(dir.path())
        .args(["migrate", "--database", "sqlite://x.db"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("x.db").exists());
    let again = treeherd(dir.path())
        .args(["migrate", "--database", "sqlite://x.db"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "applied 0 migration(s)"
    );

    let bad = treeherd(dir.path())
        .args(["migrate", "--database", "mysql://nope"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported database URL"));
}
