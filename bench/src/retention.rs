//! `treeherd-retention-bench`: what removing a day of jobs does to ingestion.
//!
//! On a fresh database behind the real server, seeds a day of old jobs (80,000 by default,
//! Firefox's daily volume; every test job with an edge to its build and an indexed attribute),
//! then submits batches of 100 new jobs over GraphQL at a steady pace and measures each
//! batch's latency: first with nothing else running (the steady figure), then while a
//! retention pass removes the old day in steps (`Service::expire`), then, on a second seeding,
//! while the same day goes in one `DELETE` statement (the reference: what retention without
//! steps would do). The target: ingestion p99 during the pass at most 2× its steady value.
//! On PostgreSQL it then compares chunked deletes with dropping a time partition
//! (`partitions.rs`).
//!
//! Run: `cargo run --release -p treeherd-bench --bin treeherd-retention-bench` (SQLite), or
//! with `TREEHERD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres`.

mod partitions;

use clap::Parser;
use diesel::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use treeherd_service::{Changes, RetentionPolicy, Service};
use treeherd_tests::{TestApp, revision};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Old jobs seeded: the day a pass removes.
    #[arg(long, default_value_t = 80_000)]
    old_jobs: usize,
    /// Seconds of steady ingestion measured before the removal.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Pause between two ingestion batches, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pace_ms: u64,
}

const SUBMIT: &str = "mutation($jobs: [JobInput!]!, $edges: [DependencyInput!]!) {
    submitJobs(input: $jobs) { jobs { guid } } addDependencies(input: $edges) { added } }";
const DAY: Duration = Duration::from_secs(86_400);

/// A batch of `n` jobs named `prefix-i` at `at`, the first a build the others depend on.
fn batch(prefix: &str, n: usize, at: &str) -> Value {
    let jobs: Vec<Value> = (0..n)
        .map(|i| {
            json!({"guid": format!("{prefix}-{i}"), "repository": "try", "revision": revision(1),
                   "kind": if i == 0 { "BUILD" } else { "TEST" }, "name": format!("job {i}"),
                   "platform": "linux64", "state": "COMPLETED", "result": "SUCCESS",
                   "submittedAt": at, "finishedAt": at, "attributes": {"owner": format!("o{}", i % 7)}})
        })
        .collect();
    let edges: Vec<Value> = (1..n)
        .map(|i| json!({"dependent": format!("{prefix}-{i}"), "dependency": format!("{prefix}-0"), "kind": "TEST"}))
        .collect();
    json!({"jobs": jobs, "edges": edges})
}

async fn seed_old_day(app: &TestApp, round: usize, jobs: usize) {
    let at = (chrono::Utc::now() - chrono::Duration::days(200)).to_rfc3339();
    for b in 0..jobs.div_ceil(1000) {
        app.data(SUBMIT, batch(&format!("old{round}-{b}"), 1000, &at))
            .await;
    }
}

/// Submits a batch of 100 new jobs every `pace` until `stop`, returning each one's latency.
fn ingest(
    app: Arc<TestApp>,
    pace: Duration,
    stop: Arc<AtomicBool>,
    label: &'static str,
) -> tokio::task::JoinHandle<Vec<Duration>> {
    tokio::spawn(async move {
        let mut times = Vec::new();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let at = chrono::Utc::now().to_rfc3339();
            let started = Instant::now();
            app.data(SUBMIT, batch(&format!("{label}-{n}"), 100, &at))
                .await;
            times.push(started.elapsed());
            n += 1;
            tokio::time::sleep(pace).await;
        }
        times
    })
}

fn percentiles(mut times: Vec<Duration>) -> (f64, f64, usize) {
    times.sort_unstable();
    let at = |p: f64| {
        times
            .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.99), times.len())
}

/// Runs `work` while ingesting; returns what it took and the batches' latencies.
async fn under_ingestion<F: std::future::Future<Output = anyhow::Result<String>>>(
    app: &Arc<TestApp>,
    pace: Duration,
    label: &'static str,
    work: F,
) -> anyhow::Result<(String, Duration, Vec<Duration>)> {
    let stop = Arc::new(AtomicBool::new(false));
    let writer = ingest(app.clone(), pace, stop.clone(), label);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let said = work.await?;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    Ok((said, took, writer.await?))
}

/// The reference: the old day removed by one `DELETE`, on a connection of its own.
fn delete_at_once(url: &str, before: i64) -> anyhow::Result<String> {
    let age = "COALESCE(submitted_at, started_at, finished_at)";
    let sql = format!("DELETE FROM jobs WHERE {age} < {before}");
    let gone = if let Some(path) = url.strip_prefix("sqlite://") {
        let mut conn = SqliteConnection::establish(path)?;
        diesel::sql_query("PRAGMA foreign_keys = ON").execute(&mut conn)?;
        diesel::sql_query("PRAGMA busy_timeout = 30000").execute(&mut conn)?;
        diesel::sql_query(sql).execute(&mut conn)?
    } else {
        let mut conn = PgConnection::establish(url)?;
        diesel::sql_query(sql).execute(&mut conn)?
    };
    Ok(format!("{gone} jobs in one statement"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pace = Duration::from_millis(args.pace_ms);
    let app = Arc::new(TestApp::spawn().await);
    app.create_repository("try", &["owner"]).await;
    app.data(
        "mutation($input: PushInput!) { submitPush(input: $input) { pushId } }",
        json!({"input": {"repository": "try", "revision": revision(1), "author": "a",
                         "pushedAt": "2026-01-01T00:00:00Z"}}),
    )
    .await;
    let backend = if app.database_url().starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "# Retention under ingestion ({backend}; {} old jobs; batches of 100 jobs every {} ms)\n",
        args.old_jobs, args.pace_ms
    );
    let service = Service::new(app.store().clone(), Changes::default());
    let policy = RetentionPolicy {
        jobs: Some(DAY * 120),
        perf: None,
    };

    let seeding = Instant::now();
    seed_old_day(&app, 0, args.old_jobs).await;
    println!(
        "seeded {} old jobs in {:.1} s",
        args.old_jobs,
        seeding.elapsed().as_secs_f64()
    );
    let (_, _, steady) = under_ingestion(&app, pace, "steady", async {
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        Ok(String::new())
    })
    .await?;
    let (passed, pass_took, during_pass) = under_ingestion(&app, pace, "pass", async {
        let pass = service
            .expire(policy, chrono::Utc::now().timestamp_micros())
            .await?;
        Ok(pass.to_string())
    })
    .await?;

    seed_old_day(&app, 1, args.old_jobs).await;
    let before = chrono::Utc::now().timestamp_micros() - (DAY * 120).as_micros() as i64;
    let url = app.database_url().to_owned();
    let (deleted, delete_took, during_delete) = under_ingestion(&app, pace, "delete", async {
        let url = url.clone();
        tokio::task::spawn_blocking(move || delete_at_once(&url, before)).await?
    })
    .await?;

    let (s50, s99, sn) = percentiles(steady);
    let (p50, p99, pn) = percentiles(during_pass);
    let (d50, d99, dn) = percentiles(during_delete);
    println!("retention pass: {passed}");
    println!("one DELETE: {deleted}\n");
    println!("| ingestion of 100 jobs | batches | p50 | p99 | p99 ÷ steady |");
    println!("|---|---|---|---|---|");
    println!("| steady | {sn} | {s50:.1} ms | {s99:.1} ms | 1.00x |");
    println!(
        "| during the pass in steps ({:.1} s) | {pn} | {p50:.1} ms | {p99:.1} ms | {:.2}x (target <= 2x) |",
        pass_took.as_secs_f64(),
        p99 / s99
    );
    println!(
        "| during one DELETE of the same day ({:.1} s), reference | {dn} | {d50:.1} ms | {d99:.1} ms | {:.2}x |",
        delete_took.as_secs_f64(),
        d99 / s99
    );
    println!(
        "\nremoval rate: {:.0} jobs/s in steps, {:.0} jobs/s in one statement",
        args.old_jobs as f64 / pass_took.as_secs_f64(),
        args.old_jobs as f64 / delete_took.as_secs_f64()
    );
    if let Some(admin) = treeherd_tests::postgres_url() {
        let name = format!("treeherd_partitions_{}", std::process::id());
        let database = treeherd_store::testing::PostgresTestDatabase::create(&admin, &name)?;
        let url = database.url().to_owned();
        let rows = args.old_jobs;
        tokio::task::spawn_blocking(move || partitions::compare(&url, rows)).await??;
    }
    Ok(())
}
