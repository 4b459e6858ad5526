//! Acknowledged writes survive `kill -9`, and no batch is ever half applied: the real binary
//! under continuous ingestion is killed, restarted on the same database, and checked.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::serve;
use treeherd_api::auth::TokenKeys;

const SECRET: &str = "durability-test-secret";
const BATCH: usize = 200;

fn batch(n: usize) -> Value {
    let jobs: Vec<Value> = (0..BATCH)
        .map(|i| json!({"guid": format!("b{n}-{i}"), "repository": "try", "kind": "OTHER",
                        "name": format!("job {i} of batch {n}"), "state": "COMPLETED", "result": "SUCCESS",
                        "attributes": {"batch": n}}))
        .collect();
    json!({"query": "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }",
           "variables": {"jobs": jobs}})
}

/// Every job guid stored, grouped by batch number.
async fn stored_batches(client: &reqwest::Client, url: &str) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    let mut after = Value::Null;
    loop {
        let page: Value = client
            .post(url)
            .json(&json!({"query": "query($after: String) { jobs(repository: \"try\", first: 1000, after: $after) {
                nodes { guid } pageInfo { hasNextPage endCursor } } }", "variables": {"after": after}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let jobs = &page["data"]["jobs"];
        for node in jobs["nodes"].as_array().unwrap() {
            let guid = node["guid"].as_str().unwrap();
            let n: usize = guid[1..guid.find('-').unwrap()].parse().unwrap();
            *counts.entry(n).or_insert(0) += 1;
        }
        if !jobs["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return counts;
        }
        after = jobs["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn acknowledged_jobs_survive_kill_9_and_no_batch_is_half_applied() {
    let dir = tempfile::tempdir().unwrap();
    // SQLite in the folder, or a fresh PostgreSQL database when the suite runs on one.
    let postgres = std::env::var("TREEHERD_TEST_POSTGRES_URL")
        .ok()
        .map(|admin| {
            let name = format!("treeherd_durability_{}", std::process::id());
            treeherd_store::testing::PostgresTestDatabase::create(&admin, &name).unwrap()
        });
    let database = postgres
        .as_ref()
        .map_or("sqlite://treeherd.db".to_owned(), |db| db.url().to_owned());
    let env = [
        ("TREEHERD_JWT_SECRET", SECRET),
        ("TREEHERD_DATABASE_URL", database.as_str()),
    ];
    let token = TokenKeys::from_secret(SECRET.as_bytes())
        .issue("test", &["admin".into()], Duration::from_secs(600))
        .unwrap();
    let client = reqwest::Client::new();
    let mut server = serve(dir.path(), &env);
    let url = server.url();
    let created: Value = client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"query": "mutation { createRepository(input: {name: \"try\", vcs: HG, url: \"u\"}) { name } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created.get("errors").is_none(), "{created}");

    // Two writers submit batches until the server dies, remembering what was acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                for round in 0..10_000 {
                    let n = round * 2 + writer;
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let sent = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&batch(n))
                        .send()
                        .await;
                    let Ok(response) = sent else { return };
                    let Ok(answer) = response.json::<Value>().await else {
                        return;
                    };
                    if answer.get("errors").is_none() {
                        acknowledged.lock().unwrap().push(n);
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush.
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 2,
        "the writers got too little done to test anything"
    );
    eprintln!(
        "{} batches of {BATCH} jobs acknowledged before kill -9",
        acknowledged.len()
    );

    let restarted = serve(dir.path(), &env);
    let stored = stored_batches(&client, &restarted.url()).await;
    for n in &acknowledged {
        assert_eq!(
            stored.get(n),
            Some(&BATCH),
            "acknowledged batch {n} is not whole after kill -9"
        );
    }
    for (n, count) in &stored {
        assert_eq!(*count, BATCH, "batch {n} is half applied");
    }
}
