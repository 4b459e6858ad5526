//! The AMQP consumer against a real RabbitMQ: `treeherd consume` beside `treeherd serve` on
//! one database takes every valid sample message, and acknowledges the invalid ones too (one
//! that is not JSON, a NUL in a string, a guid of another repository: each rejected alone), so
//! the queue drains; SIGTERM stops it cleanly. Skipped with a note when no broker answers, unless
//! `TREEHERD_REQUIRE_AMQP=1` (CI), where that fails.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use futures_util::FutureExt;
use lapin::options::{
    BasicPublishOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{serve, treeherd};
use treeherd_api::auth::TokenKeys;

const SECRET: &str = "amqp-test-secret";

async fn broker() -> Option<(String, Connection)> {
    let url = std::env::var("TREEHERD_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
    match Connection::connect(&url, ConnectionProperties::default()).await {
        Ok(connection) => Some((url, connection)),
        Err(e) => {
            treeherd_testkit::skip(
                "TREEHERD_REQUIRE_AMQP",
                format_args!("no AMQP broker at {url}: {e}"),
            );
            None
        }
    }
}

async fn graphql(url: &str, token: &str, query: &str) -> Value {
    reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&json!({"query": query}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_consumer_takes_every_valid_message_and_acknowledges_the_rest() {
    let Some(path) = treeherd_testkit::fixture("treeherder/pulse/job_data.json") else {
        return;
    };
    let Some((amqp_url, connection)) = broker().await else {
        return;
    };
    let mut messages: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for m in &mut messages {
        m["origin"]["project"] = json!("try");
    }
    let name = format!("treeherd-test-{}", std::process::id());

    // The exchange and the bound queue exist before anything is published, so nothing is lost
    // whenever the consumer starts.
    let channel = connection.create_channel().await.unwrap();
    channel
        .exchange_declare(
            name.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_declare(
            name.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_bind(
            name.as_str().into(),
            name.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let env = [("TREEHERD_JWT_SECRET", SECRET)];
    let server = serve(dir.path(), &env);
    let token = TokenKeys::from_secret(SECRET.as_bytes())
        .issue("test", &["admin".into()], Duration::from_secs(600))
        .unwrap();
    let created = graphql(
        &server.url(),
        &token,
        "mutation { createRepository(input: {name: \"try\", vcs: HG, url: \"u\"}) { name } }",
    )
    .await;
    assert!(created.get("errors").is_none(), "{created}");

    let created = graphql(
        &server.url(),
        &token,
        "mutation { createRepository(input: {name: \"other\", vcs: HG, url: \"o\"}) { name } }",
    )
    .await;
    assert!(created.get("errors").is_none(), "{created}");

    let mut invalid = messages[0].clone();
    invalid["state"] = json!("finished");
    // A job of another repository, then a message that claims its guid for try: rejected
    // alone (a guid belongs to one repository), like a message with a NUL in a string.
    let mut elsewhere = messages[0].clone();
    elsewhere["taskId"] = json!("11111111-2222-4333-8444-555555555555/0");
    elsewhere["origin"]["project"] = json!("other");
    let mut claimed = elsewhere.clone();
    claimed["origin"]["project"] = json!("try");
    let mut nul = messages[1].clone();
    nul["taskId"] = json!("66666666-7777-4888-8999-aaaaaaaaaaaa/0");
    nul["display"]["jobName"] = json!("test\u{0}name");
    let mut bodies: Vec<Vec<u8>> = vec![elsewhere.to_string().into_bytes()];
    bodies.extend(messages.iter().map(|m| m.to_string().into_bytes()));
    bodies.push(invalid.to_string().into_bytes());
    bodies.push(claimed.to_string().into_bytes());
    bodies.push(nul.to_string().into_bytes());
    bodies.push(b"{not json".to_vec());
    for body in &bodies {
        channel
            .basic_publish(
                name.as_str().into(),
                "treeherder.v1.try".into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }

    let mut consumer = treeherd(dir.path())
        .args([
            "consume",
            "--amqp-url",
            &amqp_url,
            "--exchange",
            &name,
            "--queue",
            &name,
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut stored = 0;
    while Instant::now() < deadline && stored < 30 {
        let data = graphql(
            &server.url(),
            &token,
            "{ jobs(repository: \"try\", first: 100) { nodes { guid } } }",
        )
        .await;
        stored = data["data"]["jobs"]["nodes"].as_array().map_or(0, Vec::len);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give the consumer time to acknowledge, then stop it as an orchestrator does (SIGTERM):
    // it commits what it took and exits 0; whatever it had not acknowledged goes back to the
    // queue, where the count below would see it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &consumer.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = consumer.try_wait().unwrap() {
            break status;
        }
        if stopping.elapsed() > Duration::from_secs(20) {
            let _ = consumer.kill();
            panic!("the consumer did not stop within 20 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        status.success(),
        "SIGTERM stops the consumer cleanly: {status}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let queue = channel
        .queue_declare(
            name.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let left = queue.message_count();
    let _ = channel
        .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
        .now_or_never();
    let _ = channel
        .exchange_delete(name.as_str().into(), ExchangeDeleteOptions::default())
        .await;
    assert_eq!(left, 0, "every message, valid or not, is acknowledged");
    let data = graphql(
        &server.url(),
        &token,
        "{ jobs(repository: \"try\", first: 100) { nodes { guid } } }",
    )
    .await;
    let stored = data["data"]["jobs"]["nodes"].as_array().map_or(0, Vec::len);
    assert_eq!(
        stored, 30,
        "every valid message of try is stored, and only those"
    );
    let other = graphql(
        &server.url(),
        &token,
        "{ jobs(repository: \"other\", first: 10) { nodes { guid } } }",
    )
    .await;
    assert_eq!(
        other["data"]["jobs"]["nodes"]
            .as_array()
            .map_or(0, Vec::len),
        1,
        "the job of the other repository stays its own: {other}"
    );
}
