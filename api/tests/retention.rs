//! `treeherd expire` killed with `kill -9` in the middle of a pass: every step it committed is
//! whole, no table keeps a row whose parent went, and running it again finishes the pass.
//! Runs on SQLite in a folder, or on a fresh PostgreSQL database when the suite runs on one.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::treeherd;
use treeherd_store::{DatabaseUrl, Store, StoreOptions};

const SECRET: &str = "retention-test-secret";
/// Old jobs seeded: many steps of `STEP_JOBS`, so that the pass is killed between two.
const OLD_JOBS: usize = 8_000;
const BATCH: usize = 1_000;

/// Batch `n` of old jobs: the request and its variables.
fn old_batch(n: usize) -> (&'static str, Value) {
    let at = (chrono::Utc::now() - chrono::Duration::days(200)).to_rfc3339();
    let jobs: Vec<Value> = (0..BATCH)
        .map(|i| {
            json!({"guid": format!("old-{n}-{i}"), "repository": "try", "kind": "TEST",
                        "name": format!("test {i}"), "state": "COMPLETED", "result": "SUCCESS",
                        "submittedAt": at, "attributes": {"batch": n}})
        })
        .collect();
    let edges: Vec<Value> = (1..BATCH)
        .map(|i| json!({"dependent": format!("old-{n}-{i}"), "dependency": format!("old-{n}-0")}))
        .collect();
    (
        "mutation($jobs: [JobInput!]!, $edges: [DependencyInput!]!) {
            submitJobs(input: $jobs) { jobs { guid } } addDependencies(input: $edges) { added } }",
        json!({"jobs": jobs, "edges": edges}),
    )
}

fn expire(dir: &std::path::Path, database: &str) -> Command {
    let mut command = treeherd(dir);
    command
        .args(["expire", "--days", "30"])
        .env("TREEHERD_DATABASE_URL", database)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

async fn assert_no_orphans(store: &Store) {
    let orphans = store.orphans().await.unwrap();
    assert!(
        orphans.is_empty(),
        "rows left without their parent: {orphans:?}"
    );
}

#[tokio::test]
async fn expire_killed_mid_pass_leaves_whole_steps_and_no_orphans_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = support::postgres_database("retention");
    let database = support::database_url(dir.path(), postgres.as_ref());
    {
        let (_server, admin) = support::serve_with_try(dir.path(), &database, SECRET).await;
        for n in 0..OLD_JOBS / BATCH {
            let (query, variables) = old_batch(n);
            admin.data(query, variables).await;
        }
    }
    let store = Store::open(
        &DatabaseUrl::parse(&database).unwrap(),
        &StoreOptions::default(),
    )
    .unwrap();
    let jobs = || async { store.count_rows("jobs", "1 = 1").await.unwrap() };
    assert_eq!(jobs().await, OLD_JOBS as i64);

    // Killed as soon as its first step has committed.
    let mut child = expire(dir.path(), &database).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while jobs().await == OLD_JOBS as i64 {
        assert!(Instant::now() < deadline, "the pass never committed a step");
        assert!(
            child.try_wait().unwrap().is_none(),
            "expire ended before a step was seen"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap(); // SIGKILL: no unwinding, a step may be half written.
    child.wait().unwrap();
    let left = jobs().await;
    assert!(
        left > 0,
        "the pass finished before it was killed: nothing was interrupted"
    );
    assert_eq!(
        left % treeherd_service::retention::STEP_JOBS as i64,
        0,
        "{left} jobs left: a step was half applied"
    );
    assert_no_orphans(&store).await;

    // Run again, it finishes what was left.
    let finished = expire(dir.path(), &database).output().unwrap();
    let said = String::from_utf8_lossy(&finished.stdout);
    assert!(
        finished.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert!(said.contains(&format!("expired {left} jobs")), "{said}");
    assert_eq!(jobs().await, 0);
    assert_eq!(
        store.count_rows("job_dependencies", "1 = 1").await.unwrap(),
        0
    );
    assert_no_orphans(&store).await;
}

#[test]
fn expire_without_a_window_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let ended = treeherd(dir.path()).arg("expire").output().unwrap();
    assert_eq!(ended.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&ended.stderr);
    assert!(stderr.contains("nothing to expire"), "{stderr}");
    assert!(stderr.contains("TREEHERD_RETENTION_DAYS"), "{stderr}");
}
