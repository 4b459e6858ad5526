//! `treeherd-export-bench`: `treeherd export` as an analyst runs it (the release binary as a
//! subprocess, writing a file), in jobs per second, beside the database's own client dumping
//! the same jobs' rows as JSON in the same run (`sqlite3 -json`, or `psql` with `COPY (SELECT
//! row_to_json(j) ...) TO STDOUT`): the floor of any export that reads these rows. Also its
//! peak RSS, which must not grow with the number of jobs (it holds a page).
//!
//! Run: `cargo build --release --bin treeherd && cargo run --release -p treeherd-bench --bin
//! treeherd-export-bench [-- --jobs N]`, with `TREEHERD_TEST_POSTGRES_URL=...` for PostgreSQL.

use clap::Parser;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::Instant;
use treeherd_tests::{TestApp, revision};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Jobs seeded and exported.
    #[arg(long, default_value_t = 300_000)]
    jobs: usize,
}

const SUBMIT: &str = "mutation($jobs: [JobInput!]!, $edges: [DependencyInput!]!) {
    submitJobs(input: $jobs) { jobs { guid } } addDependencies(input: $edges) { added } }";

fn batch(n: usize) -> Value {
    let jobs: Vec<Value> = (0..1000)
        .map(|i| {
            // Submitted in the order they arrive, as a CI's jobs are: a job every 300 ms.
            let at = (chrono::DateTime::UNIX_EPOCH
                + chrono::Duration::days(20_393)
                + chrono::Duration::milliseconds(((n * 1000 + i) * 300) as i64))
                .to_rfc3339();
            json!({"guid": format!("j{n}-{i}"), "repository": "try", "revision": revision(1),
                   "kind": if i == 0 { "BUILD" } else { "TEST" }, "name": format!("test-linux64/opt-mochitest-{i}"),
                   "symbol": format!("M{i}"), "platform": "linux64", "buildSystem": "taskcluster",
                   "state": "COMPLETED", "result": if i % 50 == 7 { "TESTFAILED" } else { "SUCCESS" },
                   "machine": format!("t-linux-{:03}", i % 300), "submittedAt": at, "startedAt": at, "finishedAt": at,
                   "attributes": {"build_type": "opt", "chunk": i % 16}})
        })
        .collect();
    let edges: Vec<Value> = (1..1000)
        .map(|i| json!({"dependent": format!("j{n}-{i}"), "dependency": format!("j{n}-0"), "kind": "TEST"}))
        .collect();
    json!({"jobs": jobs, "edges": edges})
}

/// Runs `command`, returns its seconds and peak RSS in MB (GNU time's `%M`, else 0).
fn timed(mut command: Command) -> anyhow::Result<(f64, f64)> {
    let started = Instant::now();
    let output = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(output.status.success(), "{command:?} failed: {stderr}");
    let peak_kb = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("peak_kb="))
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .next_back()
        .unwrap_or(0.0);
    Ok((seconds, peak_kb / 1024.0))
}

/// `program args...` under GNU time when it is there (for the peak RSS).
fn measured(program: &str, args: &[&str]) -> Command {
    if std::path::Path::new("/usr/bin/time").exists() {
        let mut command = Command::new("/usr/bin/time");
        command.args(["-f", "peak_kb=%M", program]).args(args);
        command
    } else {
        let mut command = Command::new(program);
        command.args(args);
        command
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = std::env::current_exe()?.with_file_name("treeherd");
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: build it first with `cargo build --release --bin treeherd`",
        binary.display()
    );
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    app.data(
        "mutation($input: PushInput!) { submitPush(input: $input) { pushId } }",
        json!({"input": {"repository": "try", "revision": revision(1), "author": "a",
                         "pushedAt": "2026-10-31T00:00:00Z"}}),
    )
    .await;
    let seeding = Instant::now();
    for n in 0..args.jobs.div_ceil(1000) {
        app.data(SUBMIT, batch(n)).await;
    }
    let url = app.database_url().to_owned();
    let postgres = url.starts_with("postgres");
    println!(
        "# treeherd export ({}; {} jobs seeded in {:.1} s, each with an edge, attributes, a machine)\n",
        if postgres { "PostgreSQL" } else { "SQLite" },
        args.jobs,
        seeding.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir()?;
    let out = |name: &str| dir.path().join(name).display().to_string();
    let binary = binary.display().to_string();
    if !postgres {
        // The seeding server's writes are in the WAL: fold them into the database file, as a
        // database at rest has them, before anything reads.
        let path = url.trim_start_matches("sqlite://");
        let folded = Command::new("sqlite3")
            .args([path, "PRAGMA wal_checkpoint(TRUNCATE)"])
            .stdout(Stdio::null())
            .status()?;
        anyhow::ensure!(folded.success(), "sqlite3 could not checkpoint {path}");
    }
    let export = |format: &str, file: String| {
        let mut command = measured(
            &binary,
            &[
                "export",
                "--database",
                &url,
                "--since",
                "2000-01-01",
                "--format",
                format,
                "--output",
                &file,
            ],
        );
        command.stdout(Stdio::null());
        command
    };
    let reference = if postgres {
        let mut command = measured(
            "psql",
            &[
                &url,
                "-qAt",
                "-o",
                &out("reference.json"),
                "-c",
                "COPY (SELECT row_to_json(j) FROM jobs j) TO STDOUT",
            ],
        );
        command.stdout(Stdio::null());
        command
    } else {
        let path = url.trim_start_matches("sqlite://").to_owned();
        let output = format!(".output {}", out("reference.json"));
        measured("sqlite3", &["-json", &path, &output, "SELECT * FROM jobs"])
    };
    let (reference_s, reference_mb) = timed(reference)?;
    let (ndjson_s, ndjson_mb) = timed(export("ndjson", out("jobs.ndjson")))?;
    let (parquet_s, parquet_mb) = timed(export("parquet", out("jobs.parquet")))?;
    let lines = std::fs::read(dir.path().join("jobs.ndjson"))?
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    anyhow::ensure!(
        lines == args.jobs,
        "the NDJSON export holds {lines} jobs, not {}",
        args.jobs
    );
    let size =
        |name: &str| std::fs::metadata(dir.path().join(name)).map_or(0.0, |m| m.len() as f64 / 1e6);
    let rate = |s: f64| args.jobs as f64 / s;
    println!("| | jobs/s | seconds | peak RSS | output |");
    println!("|---|---|---|---|---|");
    println!(
        "| `treeherd export` NDJSON (push, attributes, edges, classification) | {:.0} | {ndjson_s:.2} | {ndjson_mb:.0} MB | {:.0} MB |",
        rate(ndjson_s),
        size("jobs.ndjson")
    );
    println!(
        "| `treeherd export --format parquet` | {:.0} | {parquet_s:.2} | {parquet_mb:.0} MB | {:.0} MB |",
        rate(parquet_s),
        size("jobs.parquet")
    );
    println!(
        "| reference: {} dumps the jobs table's rows as JSON | {:.0} | {reference_s:.2} | {reference_mb:.0} MB | {:.0} MB |",
        if postgres {
            "psql COPY row_to_json"
        } else {
            "sqlite3 -json"
        },
        rate(reference_s),
        size("reference.json")
    );
    println!(
        "\nNDJSON export ÷ reference: {:.2}x (target: >= 100,000 jobs/s)",
        reference_s / ndjson_s
    );
    Ok(())
}
