//! `treeherd-bench`: starts the real server (as the tests do) and prints throughput and
//! latency figures, each beside a reference measured in the same run on the same machine:
//!
//! - `submitJobs` over HTTP in batches of 1,000, beside the same rows inserted by the
//!   database's own client (`sqlite3` / `psql`) in one transaction;
//! - `push { jobs(first: 100) }` from 32 concurrent clients, beside an empty actix handler
//!   under the same load;
//! - pulse job messages over HTTP and through RabbitMQ, beside the same rows written raw;
//! - the pushlog: 100,000 generated pushes imported through `store_pushes` in transactions of
//!   1,000, beside the same pushes and commits written by the database's own client in one
//!   transaction; then, on a repository of 1,000,000 pushes, `pushes(first: 50)` and
//!   `push(revision:)` by a 12-digit prefix from one client (p50/p99), beside an empty actix
//!   handler;
//! - `treeherd log parse` on the fixtures' `.gz` logs, run as a user runs it (the release
//!   binary as a subprocess), in MB/s of text beside `gzip -dc` on the same files and beside
//!   Treeherder's own parser, with its peak RSS; then on a generated log of 1 GB, whose peak
//!   RSS must stay that of the small logs (see `logparse.rs`);
//! - bug suggestions: 1,000,000 generated bugs, then the suggestions for failed jobs of 40
//!   error lines each (p50/p99), beside the same search by a `LIKE '%term%'` scan (see
//!   `bugs.rs`);
//! - an automatic persisted query hit over GET (`push { jobs(first: 100) }` by its hash),
//!   beside the same query sent in full over POST, from the same clients (the goal: the hit
//!   costs at most 0.8× the full query);
//! - Treeherder's REST pushes and jobs beside GraphQL on the same objects (`rest.rs`);
//! - replicas on one PostgreSQL: an event's way from one server to another's subscriber,
//!   catching up on 10,000 missed events, three servers' reads beside one (`replicas.rs`);
//! - the UI's jobs query on the demo beside the same rows read and written by hand, and the
//!   server's memory under it (`grid.rs`; the real binary: `cargo build --release --bin
//!   treeherd` first);
//! - a 10-minute mixed soak of the real binary, RSS over time (`soak.rs`; only when asked for:
//!   `--only soak`).
//!
//! Run: `cargo run --release -p treeherd-bench` (SQLite), or with
//! `TREEHERD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres` (PostgreSQL).
//! One section: `--only log` (or `jobs`, `pulse`, `pushlog`, `bugs`, `apq`, `rest`,
//! `replicas`, `grid`, `soak`; comma-separated).

// The same allocator as the `treeherd` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bugs;
mod cpu;
mod grid;
mod load;
mod logparse;
mod pulse;
mod pushlog;
mod raw;
mod replicas;
mod report;
mod rest;
mod server;
mod soak;

use clap::Parser;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use treeherd_tests::{TestApp, revision};

use report::{header, row};

#[derive(Parser)]
struct Args {
    /// Jobs to submit over HTTP (in batches of 1,000).
    #[arg(long, default_value_t = 100_000)]
    jobs: usize,
    /// Concurrent clients of the query load.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds each query load runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Pushes to import through `store_pushes` (in transactions of 1,000).
    #[arg(long, default_value_t = 100_000)]
    pushes: usize,
    /// Pushes of the large repository the pushlog queries run on.
    #[arg(long, default_value_t = 1_000_000)]
    pushlog_scale: usize,
    /// Rounds of the pulse section: each measures the raw reference, HTTP and RabbitMQ back
    /// to back, and the median ratio is reported (this machine is shared and noisy).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Bugs generated for the bug-suggestion section.
    #[arg(long, default_value_t = 1_000_000)]
    bugs: usize,
    /// Failed jobs (40 error lines each) whose bug suggestions are timed.
    #[arg(long, default_value_t = 200)]
    bug_jobs: usize,
    /// Of those, how many are also looked up by the `LIKE` scan (seconds each).
    #[arg(long, default_value_t = 5)]
    scan_jobs: usize,
    /// Concurrent clients of the grid section (the load: 64 connections).
    #[arg(long, default_value_t = 64)]
    grid_clients: usize,
    /// Seconds the soak runs (only with `--only soak`: it is long).
    #[arg(long, default_value_t = 600)]
    soak_seconds: u64,
    /// Seconds between the soak's lines.
    #[arg(long, default_value_t = 30)]
    soak_interval: u64,
    /// Clients of the soak sending the UI's jobs query.
    #[arg(long, default_value_t = 48)]
    soak_readers: usize,
    /// Clients of the soak adding pushes and jobs.
    #[arg(long, default_value_t = 16)]
    soak_writers: usize,
    /// Run only these sections (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Section>,
}

/// The parts of the benchmark, each with its own fresh server.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Section {
    /// submitJobs throughput and the query load.
    Jobs,
    /// Pulse messages over HTTP and through RabbitMQ.
    Pulse,
    /// Pushlog import throughput, listing and prefix lookup at scale.
    Pushlog,
    /// `treeherd log parse` end to end on the fixture logs and a generated 1 GB log.
    Log,
    /// Bug suggestions for failed jobs over 1,000,000 bugs, beside a LIKE scan.
    Bugs,
    /// The same query as a persisted-query hit over GET, beside it sent in full over POST.
    Apq,
    /// Treeherder's REST pushes and jobs beside GraphQL on the same objects.
    Rest,
    /// Replicas on one PostgreSQL: event latency across them, catching up, read throughput.
    Replicas,
    /// The UI's jobs query on the demo beside the same rows as hand-written SQL + serde, and
    /// the server's memory under that load (needs the release `treeherd` binary).
    Grid,
    /// A mixed read/write soak of the real binary: RSS over time beside throughput and latency.
    Soak,
}

const BATCH: usize = 1000;
const SUBMIT: &str = "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }";

/// A Firefox-ish job: a test of a platform with the attributes pulse messages carry.
fn job(i: usize, push: u64) -> Value {
    let platforms = ["linux64", "windows11-64", "macosx1400-64", "android-hw-a55"];
    json!({
        "guid": format!("job-{push}-{i}"), "repository": "bench", "revision": revision(push),
        "kind": "TEST", "name": format!("test-{}/opt-mochitest-browser-chrome-{}", platforms[i % 4], i % 16),
        "symbol": format!("bc{}", i % 16), "groupSymbol": "M", "platform": platforms[i % 4],
        "buildSystem": "taskcluster", "state": "COMPLETED", "result": if i.is_multiple_of(50) { "TESTFAILED" } else { "SUCCESS" },
        "tier": 1, "machine": format!("t-linux-{:04}", i % 500),
        "submittedAt": "2026-11-25T10:00:00Z", "startedAt": "2026-11-25T10:01:00Z", "finishedAt": "2026-11-25T10:20:00Z",
        "attributes": {"owner": "ffxbld", "reason": "scheduled", "labels": ["nightly", "e10s"], "chunk": i % 16},
    })
}

async fn setup(app: &TestApp, pushes: u64) {
    app.create_repository("bench", &["owner", "labels"]).await;
    for push in 1..=pushes {
        app.data(
            "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
            json!({"p": {"repository": "bench", "revision": revision(push), "author": "a@example.com",
                         "pushedAt": "2026-11-25T10:00:00Z"}}),
        )
        .await;
    }
}

/// Submits `jobs` jobs over HTTP in batches of 1,000; returns jobs per second.
async fn submit_over_http(app: &TestApp, jobs: usize) -> f64 {
    let token = app.token(&["admin"]);
    let bodies: Vec<String> = (0..jobs.div_ceil(BATCH))
        .map(|b| {
            let batch: Vec<Value> = (b * BATCH..((b + 1) * BATCH).min(jobs))
                .map(|i| job(i, 1))
                .collect();
            json!({"query": SUBMIT, "variables": {"jobs": batch}}).to_string()
        })
        .collect();
    let url = format!("{}/graphql", app.address);
    let started = Instant::now();
    for body in bodies {
        let response = app
            .client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST");
        let answer: Value = response.json().await.expect("JSON");
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    jobs as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let backend = if treeherd_tests::postgres_url().is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "treeherd-bench on {backend}, {} cores; {} jobs, {} pushes ({} for the pushlog queries), {} clients, {} s per load",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.jobs,
        args.pushes,
        args.pushlog_scale,
        args.clients,
        args.seconds
    );
    println!();
    header();
    let wanted = |section| args.only.is_empty() || args.only.contains(&section);
    if wanted(Section::Jobs) {
        jobs_section(&args).await?;
    }
    if wanted(Section::Pulse) {
        pulse_section(&args).await?;
    }
    if wanted(Section::Pushlog) {
        pushlog::section(&pushlog::Sizes {
            pushes: args.pushes,
            scale: args.pushlog_scale,
            duration: Duration::from_secs(args.seconds),
        })
        .await?;
    }
    if wanted(Section::Log) {
        // Subprocesses only: nothing here needs the runtime.
        logparse::section()?;
    }
    if wanted(Section::Apq) {
        apq_section(args.clients, Duration::from_secs(args.seconds)).await?;
    }
    if wanted(Section::Rest) {
        let app = TestApp::spawn().await;
        setup(&app, 10).await;
        submit_over_http(&app, rest::JOBS).await;
        rest::section(&app, args.clients, Duration::from_secs(args.seconds)).await?;
    }
    if wanted(Section::Grid) {
        grid::section(args.grid_clients, Duration::from_secs(args.seconds)).await?;
    }
    if args.only.contains(&Section::Soak) {
        soak::section(&soak::Shape {
            readers: args.soak_readers,
            writers: args.soak_writers,
            duration: Duration::from_secs(args.soak_seconds),
            interval: Duration::from_secs(args.soak_interval),
        })
        .await?;
    }
    if wanted(Section::Replicas) {
        replicas::section(args.clients, Duration::from_secs(args.seconds)).await?;
    }
    if wanted(Section::Bugs) {
        bugs::section(&bugs::Sizes {
            bugs: args.bugs,
            jobs: args.bug_jobs,
            scan_jobs: args.scan_jobs,
        })
        .await?;
    }
    Ok(())
}

/// `submitJobs` throughput, then the query load on the jobs it stored.
async fn jobs_section(args: &Args) -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    setup(&app, 2).await;
    let http = submit_over_http(&app, args.jobs).await;
    let raw = raw::insert_rate(&app, args.jobs, 10_000_000, |i| job(i, 2), false).await?;
    match raw {
        Some(raw) => row(
            "submitJobs over HTTP, batches of 1,000 (jobs/s)",
            format!("{http:.0}"),
            &format!("same rows, {} in one transaction", raw.tool),
            format!("{:.0}", raw.rows_per_second),
            format!("{:.2}x", http / raw.rows_per_second),
        ),
        None => row(
            "submitJobs over HTTP, batches of 1,000 (jobs/s)",
            format!("{http:.0}"),
            "(database client not installed)",
            "-".into(),
            "-".into(),
        ),
    }

    // Queries: a push with 1,000 jobs, first 100 of them.
    let query = json!({"query": format!("{{ push(repository: \"bench\", revision: \"{}\") {{ jobs(first: 100) {{ nodes {{ guid name symbol platform state result tier }} }} }} }}", revision(1))}).to_string();
    let url = format!("{}/graphql", app.address);
    let check: Value = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(query.clone())
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        check["data"]["push"]["jobs"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(100),
        "{check}"
    );
    let duration = Duration::from_secs(args.seconds);
    let empty = load::empty_server()?;
    let reference = load::run(
        &format!("http://127.0.0.1:{}/", empty.port),
        None,
        args.clients,
        duration,
    )
    .await;
    let ours = load::run(&url, Some(query), args.clients, duration).await;
    row(
        "push { jobs(first: 100) }, 32 clients (req/s)",
        format!("{:.0}", ours.per_second),
        "empty actix handler, same clients",
        format!("{:.0}", reference.per_second),
        format!("{:.2}x", ours.per_second / reference.per_second),
    );
    row(
        "  latency p50 (ms)",
        format!("{:.2}", ours.p50_ms),
        "",
        format!("{:.2}", reference.p50_ms),
        "".into(),
    );
    row(
        "  latency p99 (ms)",
        format!("{:.2}", ours.p99_ms),
        "",
        format!("{:.2}", reference.p99_ms),
        "".into(),
    );
    anyhow::ensure!(ours.errors == 0, "{} query requests failed", ours.errors);
    Ok(())
}

/// `push { jobs(first: 100) }` of a push of 1,000 jobs: by its persisted hash over GET (a hit:
/// the server knows it), beside the same query in full over POST; executed each time (the
/// client asks for a fresh answer), and as a plain client gets it (the server's kept answer
/// while it is fresh).
async fn apq_section(clients: usize, duration: Duration) -> anyhow::Result<()> {
    use sha2::Digest;
    let app = TestApp::spawn().await;
    setup(&app, 1).await;
    submit_over_http(&app, 1_000).await;
    let query = format!(
        "{{ push(repository: \"bench\", revision: \"{}\") {{ jobs(first: 100) {{ nodes {{ guid name symbol platform state result tier }} }} }} }}",
        revision(1)
    );
    let hash: String = sha2::Sha256::digest(query.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    let url = format!("{}/graphql", app.address);
    // Registers the hash (as a client's first PersistedQueryNotFound round trip ends).
    let registered: Value = app
        .client
        .post(&url)
        .json(&json!({"query": query, "extensions": extensions}))
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(registered.get("errors").is_none(), "{registered}");
    let get_url = reqwest::Url::parse_with_params(&url, &[("extensions", extensions.to_string())])?;
    let hit: Value = app.client.get(get_url.clone()).send().await?.json().await?;
    anyhow::ensure!(hit["data"] == registered["data"], "{hit}");
    let full = json!({"query": query}).to_string();
    let full = load::run(&url, Some(full), clients, duration).await;
    // Executed each time: the client asks for a fresh answer, as the UI does.
    let fresh = [("cache-control", "no-cache")];
    let executed = load::run_with_headers(get_url.as_str(), None, &fresh, clients, duration).await;
    // The server's kept answer while it is fresh (`max-age`), as a plain client or a CDN gets.
    let hit = load::run(get_url.as_str(), None, clients, duration).await;
    row(
        "APQ GET hit, jobs(first: 100) (req/s)",
        format!("{:.0}", executed.per_second),
        "same query in full over POST",
        format!("{:.0}", full.per_second),
        format!("{:.2}x", executed.per_second / full.per_second),
    );
    row(
        "  latency p50 (ms), goal hit <= 0.8x full",
        format!("{:.2}", executed.p50_ms),
        "",
        format!("{:.2}", full.p50_ms),
        format!("{:.2}x", executed.p50_ms / full.p50_ms),
    );
    row(
        "APQ GET hit within max-age (req/s)",
        format!("{:.0}", hit.per_second),
        "same query in full over POST",
        format!("{:.0}", full.per_second),
        format!("{:.2}x", hit.per_second / full.per_second),
    );
    row(
        "  latency p50 (ms)",
        format!("{:.2}", hit.p50_ms),
        "",
        format!("{:.2}", full.p50_ms),
        format!("{:.2}x", hit.p50_ms / full.p50_ms),
    );
    anyhow::ensure!(
        hit.errors + executed.errors + full.errors == 0,
        "{} requests failed",
        hit.errors + executed.errors + full.errors
    );
    // What each costs the server: its own time per request (the /metrics histogram of the
    // route, from the request's arrival to its answer), one client at a time so that no
    // request waits for another, and the load generator's CPU is not counted.
    let full_body = json!({"query": query}).to_string();
    let (full_sum, full_count) = server_time(&app, "POST").await?;
    load::run(&url, Some(full_body), 1, duration).await;
    let (full_sum2, full_count2) = server_time(&app, "POST").await?;
    let full_ms = (full_sum2 - full_sum) * 1e3 / (full_count2 - full_count).max(1.0);
    for (label, headers) in [
        ("  server time per request (ms), 1 client", &fresh[..]),
        ("  server time, within max-age", &[][..]),
    ] {
        let (sum, count) = server_time(&app, "GET").await?;
        load::run_with_headers(get_url.as_str(), None, headers, 1, duration).await;
        let (sum2, count2) = server_time(&app, "GET").await?;
        let ms = (sum2 - sum) * 1e3 / (count2 - count).max(1.0);
        row(
            label,
            format!("{ms:.3}"),
            "",
            format!("{full_ms:.3}"),
            format!("{:.2}x", ms / full_ms),
        );
    }
    Ok(())
}

/// The server's own time on `/graphql` requests of `method` so far: (seconds, requests), from
/// its `/metrics`.
async fn server_time(app: &TestApp, method: &str) -> anyhow::Result<(f64, f64)> {
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await?
        .text()
        .await?;
    let series = format!("{{route=\"/graphql\",method=\"{method}\",status=\"200\"}}");
    let read = |name: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}{series} ")))
            .and_then(|value| value.parse().ok())
            .unwrap_or(0.0)
    };
    Ok((
        read("treeherd_http_request_duration_seconds_sum"),
        read("treeherd_http_request_duration_seconds_count"),
    ))
}

/// The CPU time per job of a way in (this whole process: client, server, consumer), beside the
/// database client's for the raw rows. SQLite only: there the client is the database engine,
/// while `psql` only sends text to a server whose CPU is not counted.
fn cpu_row(ours: Option<f64>, raw: Option<f64>, jobs: usize) {
    let (Some(ours), Some(raw)) = (ours, raw) else {
        return;
    };
    if treeherd_tests::postgres_url().is_some() {
        return;
    }
    let per_job = |seconds: f64| seconds * 1e6 / jobs as f64;
    row(
        "  CPU per job (µs), this process",
        format!("{:.1}", per_job(ours)),
        "CPU per job (µs), the client",
        format!("{:.1}", per_job(raw)),
        format!("{:.2}x", raw / ours),
    );
}

/// Pulse job messages, over HTTP and through RabbitMQ, beside the same raw rows. Each round
/// measures the three back to back on new jobs (the database grows for all three alike), so a
/// round's ratios share its machine load; the median ratio over the rounds is the figure.
async fn pulse_section(args: &Args) -> anyhow::Result<()> {
    let pulse_jobs = args.jobs / 2;
    let app = TestApp::spawn().await;
    // Every push the rounds name is in the pushlog (none waits on a placeholder).
    setup(&app, 10 * args.rounds.max(1) as u64 + 3).await;
    let repository = app.store().existing_repository("bench".into()).await?;
    let mut http_ratios = Vec::new();
    let mut amqp_ratios = Vec::new();
    for round in 0..args.rounds.max(1) {
        // Distinct guids and row ids every round: pushes 1..=3 of the repository, each
        // round's jobs named after a push number of its own.
        let base = 10 * (round as u64 + 1);
        let first_id = 10_000_000 * (round as i64 + 1);
        let before = cpu::now();
        let raw = raw::insert_rate(&app, pulse_jobs, first_id, |i| job(i, base + 3), true).await?;
        let raw_cpu = cpu::children_since(before);
        let Some(raw) = raw else {
            row(
                "pulse jobs",
                "-".into(),
                "(database client not installed)",
                "-".into(),
                "-".into(),
            );
            return Ok(());
        };
        let raw_name = format!("same rows, {} in one transaction", raw.tool);
        let raw_rate = raw.rows_per_second;
        let before = cpu::now();
        let http_rate = pulse::over_http(&app, pulse_jobs, base + 1).await;
        let http_cpu = cpu::own_since(before);
        http_ratios.push(http_rate / raw_rate);
        println!("round {}", round + 1);
        row(
            "pulse jobs, POST /api/jobs NDJSON x1,000 (jobs/s)",
            format!("{http_rate:.0}"),
            &raw_name,
            format!("{raw_rate:.0}"),
            format!("{:.2}x", http_rate / raw_rate),
        );
        cpu_row(http_cpu, raw_cpu, pulse_jobs);
        match pulse::through_amqp(&app, repository.id, pulse_jobs, base + 2, round).await? {
            Some(rates) => {
                amqp_ratios.push(rates.ingest / raw_rate);
                row(
                    "pulse jobs through RabbitMQ, batches of 2,000 (jobs/s)",
                    format!("{:.0}", rates.ingest),
                    &raw_name,
                    format!("{raw_rate:.0}"),
                    format!("{:.2}x", rates.ingest / raw_rate),
                );
                cpu_row(rates.ingest_cpu, raw_cpu, pulse_jobs);
                row(
                    "",
                    String::new(),
                    "the broker alone: deliver and ack",
                    format!("{:.0}", rates.deliver_only),
                    format!("{:.2}x", rates.ingest / rates.deliver_only),
                );
            }
            None => row(
                "pulse jobs through RabbitMQ (jobs/s)",
                "-".into(),
                "(no broker at 127.0.0.1:5672)",
                "-".into(),
                "-".into(),
            ),
        }
    }
    let median = |ratios: &mut Vec<f64>| {
        ratios.sort_by(f64::total_cmp);
        ratios.get(ratios.len() / 2).copied()
    };
    println!("median of {} rounds", args.rounds.max(1));
    for (what, ratios) in [
        ("pulse jobs over HTTP, ratio to raw", &mut http_ratios),
        (
            "pulse jobs through RabbitMQ, ratio to raw",
            &mut amqp_ratios,
        ),
    ] {
        if let Some(m) = median(ratios) {
            row(
                what,
                String::new(),
                "same rows, raw",
                String::new(),
                format!("{m:.2}x"),
            );
        }
    }
    Ok(())
}
