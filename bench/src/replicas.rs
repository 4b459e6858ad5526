//! Replicas on one PostgreSQL (`--only replicas`): how fast an event written through one
//! server reaches a subscriber of another, how fast a subscriber catches up on 10,000 events
//! it missed, and what read throughput three servers give beside one. Each figure beside a
//! reference measured in the same run:
//!
//! - event latency, replica A to a subscriber on replica B, at 1,000 events/s (100 writes/s of
//!   10 jobs), beside the same with the subscriber on A; measured from each write's send, so
//!   the write's own time is in it;
//! - catching up on 10,000 events after a cursor, beside reading the same 10,000 jobs through
//!   `jobs(first: 1000)` pages on the same server;
//! - `push { jobs(first: 100) }` from 32 clients spread over three servers, beside the same
//!   clients on one. All servers run in this process, on this machine's cores, beside the
//!   database and the load: the ratio says what the cores allow, not what three machines give;
//!   the machine's CPU use under one server's load says how much room the cores leave.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use treeherd_tests::{TestApp, revision};

use crate::load;
use crate::report::row;

const SUBMIT: &str = "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }";
const EVENTS_PER_WRITE: usize = 10;

pub async fn section(clients: usize, duration: Duration) -> anyhow::Result<()> {
    if treeherd_tests::postgres_url().is_none() {
        row(
            "replicas (needs PostgreSQL)",
            "-".into(),
            "TREEHERD_TEST_POSTGRES_URL unset",
            "-".into(),
            "-".into(),
        );
        return Ok(());
    }
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_beside(&a).await;
    a.create_repository("bench", &[]).await;
    a.data(
        "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
        json!({"p": {"repository": "bench", "revision": revision(1), "author": "a@example.com",
                     "pushedAt": "2026-11-25T10:00:00Z"}}),
    )
    .await;

    let same = latency(&a, &a, "same", duration).await?;
    let across = latency(&a, &b, "across", duration).await?;
    row(
        "event A→B at 1,000/s, p50 (ms)",
        format!("{:.1}", across.p50),
        "subscriber on A, p50",
        format!("{:.1}", same.p50),
        format!("{:.2}x", across.p50 / same.p50),
    );
    row(
        "event A→B at 1,000/s, p99 (ms)",
        format!("{:.1}", across.p99),
        "subscriber on A, p99",
        format!("{:.1}", same.p99),
        format!("{:.2}x", across.p99 / same.p99),
    );
    row(
        "events missed A→B / A→A",
        format!("{}", across.missed),
        &format!("of {} each", across.sent),
        format!("{}", same.missed),
        "-".into(),
    );

    let (caught_up, read) = catch_up(&a, &b).await?;
    row(
        "catch up on 10,000 missed events (ms)",
        format!("{:.0}", caught_up.as_secs_f64() * 1000.0),
        "the same jobs, 10 pages of 1,000",
        format!("{:.0}", read.as_secs_f64() * 1000.0),
        format!("{:.2}x", caught_up.as_secs_f64() / read.as_secs_f64()),
    );

    let c = TestApp::spawn_beside(&a).await;
    let query = json!({"query": format!("{{ push(repository: \"bench\", revision: \"{}\") {{ jobs(first: 100) {{ nodes {{ guid name state result }} }} }} }}", revision(1))}).to_string();
    let busy_before = machine_cpu();
    let one = load::run(
        &format!("{}/graphql", a.address),
        Some(query.clone()),
        clients,
        duration,
    )
    .await;
    let busy = busy_fraction(busy_before, machine_cpu());
    let per_server = clients.div_ceil(3);
    let urls = [&a, &b, &c].map(|app| format!("{}/graphql", app.address));
    let three = futures_util::future::join_all(
        urls.iter()
            .map(|url| load::run(url, Some(query.clone()), per_server, duration)),
    )
    .await;
    let three_per_second: f64 = three.iter().map(|r| r.per_second).sum();
    row(
        &format!("push-with-jobs, {clients} clients on 3 servers (req/s)"),
        format!("{three_per_second:.0}"),
        "the same clients on 1 server",
        format!("{:.0}", one.per_second),
        format!("{:.2}x", three_per_second / one.per_second),
    );
    // What limits it: one server's load already keeps the machine's cores busy (servers,
    // PostgreSQL and the clients share them), so more servers here only share the same cores.
    if let Some(busy) = busy {
        row(
            "machine CPU busy under 1 server's load",
            format!("{:.0}%", busy * 100.0),
            "ratio the cores allow 3 servers",
            format!("{:.2}x", 1.0 / busy),
            "-".into(),
        );
    }
    Ok(())
}

/// The machine's CPU ticks so far, busy and in all (every process: `/proc/stat`).
fn machine_cpu() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    let total: f64 = ticks.iter().take(8).sum();
    // idle and iowait are the 4th and 5th.
    let idle = ticks.get(3)? + ticks.get(4)?;
    Some((total - idle, total))
}

/// The share of the machine's CPU that was busy between two readings.
fn busy_fraction(before: Option<(f64, f64)>, after: Option<(f64, f64)>) -> Option<f64> {
    let ((busy0, total0), (busy1, total1)) = (before?, after?);
    (total1 > total0).then(|| (busy1 - busy0) / (total1 - total0))
}

struct Latency {
    p50: f64,
    p99: f64,
    sent: usize,
    missed: usize,
}

/// Writes 1,000 events/s through `writer` for `duration` with a subscriber on `listener`.
async fn latency(
    writer: &TestApp,
    listener: &TestApp,
    tag: &str,
    duration: Duration,
) -> anyhow::Result<Latency> {
    let cursor = change_cursor(listener).await;
    let received: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut socket = subscribe(listener, &cursor).await?;
    let heard = received.clone();
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(message) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if let Some(guid) = message["payload"]["data"]["jobChanged"]["job"]["guid"].as_str()
                && let Ok(mut heard) = heard.lock()
            {
                heard.insert(guid.to_owned(), Instant::now());
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let token = writer.token(&["admin"]);
    let url = format!("{}/graphql", writer.address);
    let mut sent_at: HashMap<String, Instant> = HashMap::new();
    let mut every = tokio::time::interval(Duration::from_millis(10));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < duration {
        every.tick().await;
        let guids: Vec<String> = (0..EVENTS_PER_WRITE)
            .map(|i| format!("{tag}-{n}-{i}"))
            .collect();
        n += 1;
        let jobs: Vec<Value> = guids
            .iter()
            .map(|guid| {
                json!({"guid": guid, "repository": "bench", "revision": revision(1),
                       "kind": "TEST", "name": guid, "state": "PENDING"})
            })
            .collect();
        let sent = Instant::now();
        for guid in guids {
            sent_at.insert(guid, sent);
        }
        let answer: Value = writer
            .client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"query": SUBMIT, "variables": {"jobs": jobs}}))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(answer.get("errors").is_none(), "{answer}");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    reader.abort();
    let received = received
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let mut latencies: Vec<f64> = sent_at
        .iter()
        .filter_map(|(guid, sent)| {
            received
                .get(guid)
                .map(|at| at.duration_since(*sent).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(Latency {
        p50: percentile(0.50),
        p99: percentile(0.99),
        sent: sent_at.len(),
        missed: sent_at.len() - latencies.len(),
    })
}

/// Writes 10,000 jobs through `writer` with nobody listening, then times a subscriber of
/// `listener` resuming before them until it has all 10,000; and, as the reference, reading
/// the same jobs in pages.
async fn catch_up(writer: &TestApp, listener: &TestApp) -> anyhow::Result<(Duration, Duration)> {
    let cursor = change_cursor(listener).await;
    let token = writer.token(&["admin"]);
    let url = format!("{}/graphql", writer.address);
    for batch in 0..10 {
        let jobs: Vec<Value> = (0..1000)
            .map(|i| {
                json!({"guid": format!("missed-{batch}-{i}"), "repository": "bench",
                       "revision": revision(1), "kind": "TEST", "name": "missed",
                       "state": "PENDING"})
            })
            .collect();
        let answer: Value = writer
            .client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({"query": SUBMIT, "variables": {"jobs": jobs}}))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(answer.get("errors").is_none(), "{answer}");
    }
    let started = Instant::now();
    let mut socket = subscribe(listener, &cursor).await?;
    let mut heard = 0;
    while heard < 10_000 {
        let next = tokio::time::timeout(Duration::from_secs(30), socket.next()).await?;
        let Some(Ok(Message::Text(text))) = next else {
            anyhow::ensure!(next.is_some(), "the socket closed");
            continue;
        };
        if text.contains("\"missed-") {
            heard += 1;
        }
    }
    let caught_up = started.elapsed();

    let started = Instant::now();
    let mut after = Value::Null;
    let mut read = 0;
    loop {
        let page = listener
            .data(
                "query($after: String) { jobs(repository: \"bench\", first: 1000, after: $after) {
                    nodes { guid } pageInfo { hasNextPage endCursor } } }",
                json!({"after": after}),
            )
            .await;
        read += page["jobs"]["nodes"].as_array().map_or(0, Vec::len);
        if read >= 10_000 || page["jobs"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["jobs"]["pageInfo"]["endCursor"].clone();
    }
    Ok((caught_up, started.elapsed()))
}

async fn change_cursor(app: &TestApp) -> String {
    app.data("{ changeCursor }", json!({})).await["changeCursor"]
        .as_str()
        .unwrap_or("0")
        .to_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket subscribed to `bench`'s jobs after `cursor`.
async fn subscribe(app: &TestApp, cursor: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://127.0.0.1:{}/graphql", app.port).into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(
            json!({"type": "connection_init"}).to_string(),
        ))
        .await?;
    socket
        .send(Message::text(
            json!({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription($after: String) { jobChanged(repository: \"bench\", after: $after) {
                    cursor job { guid } } }",
                "variables": {"after": cursor}}})
            .to_string(),
        ))
        .await?;
    Ok(socket)
}
