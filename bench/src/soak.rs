//! A mixed soak: the real server (`server.rs`, demo data) under readers sending the UI's jobs
//! query and writers adding pushes and jobs to the same repository, for `--soak-seconds`
//! (10 minutes by default), then idle. Every interval it prints the server's resident memory
//! beside the throughput, latency and errors of that interval, so growth shows as it happens;
//! at the end, the memory after 15 s idle. A GraphQL answer with `errors` counts as an error.
//!
//! The goal (issue 21): no error, p99 < 100 ms, RSS at the end within 1.5× of RSS after the
//! first minute, and back near idle after the load stops.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::grid;
use crate::report::row;
use crate::server::Server;

/// How the clients share the load.
pub struct Shape {
    pub readers: usize,
    pub writers: usize,
    pub duration: Duration,
    pub interval: Duration,
}

/// Jobs per `submitJobs` and `submitJobs` per push, for the writers.
const JOBS_PER_CALL: usize = 25;
const CALLS_PER_PUSH: usize = 8;

/// What the clients saw in the current interval.
#[derive(Default)]
struct Tally {
    reads: Vec<Duration>,
    writes: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

impl Tally {
    fn record(&mut self, took: Duration, write: bool, error: Option<String>) {
        if write {
            self.writes.push(took);
        } else {
            self.reads.push(took);
        }
        if let Some(error) = error {
            self.errors += 1;
            self.first_error.get_or_insert(error);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Posts `body`; the error, if the answer is not a 200 without `errors`.
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: String,
) -> Option<String> {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => return Some(e.to_string()),
    };
    let status = response.status();
    match response.json::<Value>().await {
        Ok(answer) if status.is_success() && answer.get("errors").is_none() => None,
        Ok(answer) => Some(format!("{status}: {answer}")),
        Err(e) => Some(format!("{status}: {e}")),
    }
}

/// A writer's `n`-th request: a push every `CALLS_PER_PUSH` calls, then its jobs.
fn write_body(writer: usize, n: usize) -> String {
    let push = (writer * 1_000_000 + n / (CALLS_PER_PUSH + 1)) as u64 + 10_000_000;
    let revision = treeherd_tests::revision(push);
    if n.is_multiple_of(CALLS_PER_PUSH + 1) {
        return json!({
            "query": "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
            "variables": {"p": {"repository": grid::REPOSITORY, "revision": revision,
                                "author": "soak@example.com", "pushedAt": "2026-12-07T10:00:00Z"}},
        })
        .to_string();
    }
    let jobs: Vec<Value> = (0..JOBS_PER_CALL)
        .map(|i| {
            let platform = ["linux64", "windows11-64", "macosx1470-64"][i % 3];
            json!({
                "guid": format!("soak-{writer}-{n}-{i}"), "repository": grid::REPOSITORY,
                "revision": revision, "kind": "TEST",
                "name": format!("test-{platform}/opt-mochitest-{i}"), "symbol": format!("m{i}"),
                "groupSymbol": "M", "platform": platform, "buildSystem": "taskcluster",
                "state": "COMPLETED", "result": if i == 0 { "TESTFAILED" } else { "SUCCESS" },
                "tier": 1, "machine": format!("t-linux-{:04}", i),
                "submittedAt": "2026-12-07T10:00:00Z", "startedAt": "2026-12-07T10:01:00Z",
                "finishedAt": "2026-12-07T10:20:00Z", "attributes": {"chunk": i},
            })
        })
        .collect();
    json!({
        "query": "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }",
        "variables": {"jobs": jobs},
    })
    .to_string()
}

pub async fn section(shape: &Shape) -> anyhow::Result<()> {
    let server = Server::start_demo()?;
    let token = server.token(&["admin"])?;
    let url = server.graphql_url();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(shape.readers + shape.writers)
        .build()?;
    let idle = server.rss_mb().unwrap_or(0.0);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let end = started + shape.duration;
    let mut tasks = Vec::new();
    for reader in 0..shape.readers + shape.writers {
        let write = reader >= shape.readers;
        let (client, url, token, tally) =
            (client.clone(), url.clone(), token.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < end {
                let (body, token) = if write {
                    (write_body(reader, n), Some(token.as_str()))
                } else {
                    (grid::body(), None)
                };
                let sent = Instant::now();
                let error = post(&client, &url, token, body).await;
                let took = sent.elapsed();
                if let Ok(mut tally) = tally.lock() {
                    tally.record(took, write, error);
                }
                n += 1;
            }
        }));
    }
    println!(
        "soak: {} readers (the UI's jobs query), {} writers (a push, then {CALLS_PER_PUSH} × {JOBS_PER_CALL} jobs), {} s; server RSS idle {idle:.0} MB",
        shape.readers,
        shape.writers,
        shape.duration.as_secs()
    );
    println!(
        "| {:>6} | {:>8} | {:>8} | {:>8} | {:>8} | {:>8} | {:>8} | {:>7} |",
        "t (s)", "RSS MB", "reads/s", "writes/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let mut first_minute_rss = None;
    let mut all: Vec<Duration> = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    let mut last_rss = idle;
    let mut tick = started;
    while Instant::now() < end {
        let next = (tick + shape.interval).min(end);
        tokio::time::sleep_until(next.into()).await;
        let seconds = next.duration_since(tick).as_secs_f64();
        tick = next;
        let Tally {
            reads,
            writes,
            errors: e,
            first_error: f,
        } = std::mem::take(&mut *tally.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
        let mut both: Vec<Duration> = reads.iter().chain(&writes).copied().collect();
        both.sort_unstable();
        last_rss = server.rss_mb().unwrap_or(0.0);
        let elapsed = started.elapsed().as_secs();
        if first_minute_rss.is_none() && elapsed >= 60.min(shape.duration.as_secs()) {
            first_minute_rss = Some(last_rss);
        }
        println!(
            "| {elapsed:>6} | {last_rss:>8.0} | {:>8.0} | {:>8.0} | {:>8.1} | {:>8.1} | {:>8.1} | {e:>7} |",
            reads.len() as f64 / seconds,
            writes.len() as f64 / seconds,
            percentile(&both, 0.5),
            percentile(&both, 0.99),
            both.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        );
        all.extend(both);
        errors += e;
        first_error = first_error.or(f);
    }
    for task in tasks {
        task.await?;
    }
    tokio::time::sleep(Duration::from_secs(15)).await;
    let rested = server.rss_mb().unwrap_or(0.0);
    all.sort_unstable();
    let first = first_minute_rss.unwrap_or(last_rss);
    println!();
    row(
        "soak: RSS at the end / after the first minute",
        format!("{last_rss:.0} / {first:.0} MB"),
        "goal: at most 1.5x",
        String::new(),
        format!("{:.2}x", last_rss / first.max(1.0)),
    );
    row(
        "soak: RSS 15 s after the load / idle before",
        format!("{rested:.0} / {idle:.0} MB"),
        "goal: back near idle",
        String::new(),
        format!("{:.2}x", rested / idle.max(1.0)),
    );
    row(
        "soak: requests, p50 / p99 / max (ms), goal p99 < 100",
        format!(
            "{:.1} / {:.1} / {:.0}",
            percentile(&all, 0.5),
            percentile(&all, 0.99),
            all.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        ),
        &format!("{} requests", all.len()),
        String::new(),
        String::new(),
    );
    anyhow::ensure!(
        errors == 0,
        "{errors} requests failed; the first: {}",
        first_error.unwrap_or_default()
    );
    Ok(())
}
