//! Sustained ingestion of Treeherder pulse job messages: over HTTP (`POST /api/jobs`) and
//! through RabbitMQ (`treeherd consume`'s loop, in process), each measured from the first
//! message to the last job committed.

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use treeherd_tests::{TestApp, revision};

const BATCH: usize = 1000;

fn task_id(i: usize, push: u64) -> String {
    format!("{:08x}-{:04x}-4000-8000-{:012x}/0", i, push, i)
}

/// The guid pulse ingestion gives message `i` of `push`.
fn guid(i: usize, push: u64) -> String {
    task_id(i, push)
}

/// A pulse job message shaped like the samples Treeherder ships (a completed test).
pub fn message(i: usize, push: u64) -> Value {
    let platforms = ["linux64", "windows11-64", "macosx1400-64", "android-hw-a55"];
    let platform = platforms[i % 4];
    let machine = json!({"platform": platform, "os": "linux", "architecture": "x86_64", "name": format!("t-linux-{:04}", i % 500)});
    json!({
        "taskId": task_id(i, push),
        "origin": {"project": "bench", "revision": revision(push)},
        "buildSystem": "taskcluster",
        "display": {"jobSymbol": format!("bc{}", i % 16), "jobName": format!("test-{platform}/opt-mochitest-browser-chrome-{}", i % 16),
                    "groupSymbol": "M", "groupName": "Mochitests"},
        "state": "completed", "result": if i.is_multiple_of(50) { "fail" } else { "success" }, "jobKind": "test",
        "runMachine": machine, "buildMachine": machine,
        "owner": "ffxbld@example.com", "reason": "scheduled", "productName": "Firefox", "labels": ["nightly", "e10s"],
        "version": 1,
        "logs": [{"name": "live_backing_log", "url": format!("https://logs.example.invalid/{i}/live_backing.log")}],
        "jobInfo": {"links": [{"url": format!("https://logs.example.invalid/{i}/errorsummary.log"), "linkText": "errorsummary_json", "label": "artifact uploaded"}]},
        "timeScheduled": "2026-11-25T10:00:00Z", "timeStarted": "2026-11-25T10:01:00Z", "timeCompleted": "2026-11-25T10:20:00Z",
    })
}

/// Posts `count` messages as NDJSON batches of 1,000; returns jobs per second.
pub async fn over_http(app: &TestApp, count: usize, push: u64) -> f64 {
    let token = app.token(&["admin"]);
    let bodies: Vec<String> = (0..count.div_ceil(BATCH))
        .map(|b| {
            (b * BATCH..((b + 1) * BATCH).min(count))
                .map(|i| format!("{}\n", message(i, push)))
                .collect()
        })
        .collect();
    let url = format!("{}/api/jobs", app.address);
    let started = Instant::now();
    for body in bodies {
        let response = app
            .client
            .post(&url)
            .bearer_auth(&token)
            .body(body)
            .send()
            .await
            .expect("POST");
        assert!(response.status().is_success(), "{}", response.status());
    }
    count as f64 / started.elapsed().as_secs_f64()
}

/// What the consumer did, and what the broker alone does on the same machine.
pub struct AmqpRates {
    /// `treeherd consume`'s loop: jobs stored per second.
    pub ingest: f64,
    /// The same messages delivered and acknowledged in batches, nothing stored: the ceiling
    /// the broker and the AMQP client set.
    pub deliver_only: f64,
    /// CPU seconds this process spent consuming (the consumer, and the bench's look-ups).
    pub ingest_cpu: Option<f64>,
}

/// Publishes `count` messages to a fresh queue, then runs the consumer until all are stored;
/// then does the same with a consumer that only acknowledges. `None` when no broker answers.
pub async fn through_amqp(
    app: &TestApp,
    repository_id: treeherd_store::RepositoryId,
    count: usize,
    push: u64,
    round: usize,
) -> anyhow::Result<Option<AmqpRates>> {
    let url = std::env::var("TREEHERD_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let Ok(connection) = Connection::connect(&url, ConnectionProperties::default()).await else {
        return Ok(None);
    };
    let channel = connection.create_channel().await?;

    let name = format!("treeherd-bench-{}-{round}", std::process::id());
    fill_queue(&channel, &name, count, push).await?;
    let before = app.store().count_jobs(repository_id).await?;
    let config = treeherd_api::consume::ConsumeConfig {
        amqp_url: url,
        exchange: name.clone(),
        queue: name.clone(),
        routing_key: "#".into(),
        prefetch: 6000,
        batch: 2000,
    };
    let store = app.store().clone();
    let cpu_before = crate::cpu::now();
    let started = Instant::now();
    let consumer = tokio::spawn(async move { treeherd_api::consume::run(store, &config).await });
    // Batches commit in the order delivered, so the last message's job is stored last: look
    // it up by guid (one index probe) rather than counting every job while the consumer runs.
    let last_guid = guid(count - 1, push);
    loop {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "the consumer did not keep up"
        );
        if app.store().job(last_guid.clone()).await?.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ingest = count as f64 / started.elapsed().as_secs_f64();
    let ingest_cpu = crate::cpu::own_since(cpu_before);
    anyhow::ensure!(
        app.store().count_jobs(repository_id).await? == before + count as i64,
        "the consumer stored the last job before all the others"
    );
    consumer.abort();
    channel
        .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
        .await?;

    let name = format!("treeherd-bench-{}-{round}-deliver", std::process::id());
    fill_queue(&channel, &name, count, push).await?;
    let started = Instant::now();
    let consumer = channel
        .basic_consume(
            name.as_str().into(),
            "bench".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut batches = consumer.ready_chunks(2000);
    let mut received = 0;
    while received < count {
        let Some(batch) = batches.next().await else {
            anyhow::bail!("the broker closed the consumer");
        };
        received += batch.len();
        if let Some(Ok(last)) = batch.last() {
            last.ack(BasicAckOptions { multiple: true }).await?;
        }
    }
    let deliver_only = count as f64 / started.elapsed().as_secs_f64();
    channel
        .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
        .await?;
    Ok(Some(AmqpRates {
        ingest,
        deliver_only,
        ingest_cpu,
    }))
}

/// Declares a durable exchange and queue named `name` and publishes `count` messages to it.
async fn fill_queue(channel: &Channel, name: &str, count: usize, push: u64) -> anyhow::Result<()> {
    channel
        .exchange_declare(
            name.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_declare(
            name.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    channel.basic_qos(6000, BasicQosOptions::default()).await?;
    channel
        .queue_bind(
            name.into(),
            name.into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    for i in 0..count {
        channel
            .basic_publish(
                name.into(),
                "treeherder.v1.bench".into(),
                BasicPublishOptions::default(),
                message(i, push).to_string().as_bytes(),
                BasicProperties::default(),
            )
            .await?;
    }
    // A publish is done when its frame is written, not when the broker has queued it: wait
    // until the queue holds every message, so the consumer is not timed against the broker
    // still enqueueing (which competes with it for this machine's two cores).
    let started = Instant::now();
    loop {
        let queue = channel
            .queue_declare(
                name.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
        if queue.message_count() as usize >= count {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "the broker queued {} of {count} messages",
            queue.message_count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
