//! `treeherd-graph-bench`: the dependency graph at production scale, through the store.
//!
//! Writes a generated Firefox-shaped graph (1,000,000 jobs, ~3,000,000 edges by default) into
//! a fresh SQLite database, then measures what a server process pays: the cold load of the
//! graph, its resident memory, and transitive questions answered through the store (catch-up
//! query included), each beside the same question asked of SQLite as a recursive CTE.
//!
//! Run: `cargo run --release -p treeherd-bench --bin treeherd-graph-bench [-- --jobs N]`.
//! Needs the `sqlite3` command-line client to write the rows quickly.

use clap::Parser;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use treeherd_graph::generate::{Params, generate};
use treeherd_graph::{JobId, KindFilter};
use treeherd_store::{DatabaseUrl, GraphScope, NewRepository, Store, StoreOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Jobs in the generated graph.
    #[arg(long, default_value_t = 1_000_000)]
    jobs: u64,
    /// Questions asked of each kind.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Recursive-CTE questions asked of each kind (they are slow).
    #[arg(long, default_value_t = 20)]
    cte_samples: usize,
}

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

fn percentile(mut times: Vec<Duration>, p: f64) -> Duration {
    times.sort_unstable();
    times
        .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

const DESCENDANTS_CTE: &str = "WITH RECURSIVE d(id) AS (
    SELECT dependent_id FROM job_dependencies WHERE dependency_id = ?
    UNION SELECT e.dependent_id FROM job_dependencies e JOIN d ON e.dependency_id = d.id)
  SELECT count(*) AS n FROM d";
const ANCESTORS_CTE: &str = "WITH RECURSIVE a(id) AS (
    SELECT dependency_id FROM job_dependencies WHERE dependent_id = ? AND dependency_id IS NOT NULL
    UNION SELECT e.dependency_id FROM job_dependencies e JOIN a ON e.dependent_id = a.id
      WHERE e.dependency_id IS NOT NULL)
  SELECT count(*) AS n FROM a";

fn cte(conn: &mut SqliteConnection, sql: &str, job: i64) -> anyhow::Result<(usize, Duration)> {
    let started = Instant::now();
    let count: Count = diesel::sql_query(sql)
        .bind::<BigInt, _>(job)
        .get_result(conn)?;
    Ok((count.n as usize, started.elapsed()))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("graph.db");
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display()))?;

    let params = Params::for_jobs(args.jobs);
    let generated = generate(&params);
    println!(
        "generated {} jobs, {} edges ({} pushes)",
        generated.jobs.len(),
        generated.edges.len(),
        generated.pushes.len()
    );

    // The schema, then the rows, written by sqlite3 in one transaction.
    {
        let store = Store::open(&url, &StoreOptions::default())?;
        store.migrate()?;
        store
            .create_repository(NewRepository {
                name: "bench".into(),
                vcs: treeherd_model::Vcs::Hg,
                url: "https://example.invalid/bench".into(),
                indexed_attributes: vec![],
                branch: None,
            })
            .await?;
    }
    let started = Instant::now();
    let mut sqlite3 = Command::new("sqlite3")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    {
        let mut sql = std::io::BufWriter::new(
            sqlite3
                .stdin
                .take()
                .ok_or_else(|| anyhow::anyhow!("no stdin"))?,
        );
        writeln!(sql, "PRAGMA journal_mode = WAL; BEGIN;")?;
        for chunk in generated.jobs.chunks(500) {
            writeln!(
                sql,
                "INSERT INTO jobs (id, guid, repository_id, kind, name, state, result, tier, started_at, finished_at, attributes) VALUES"
            )?;
            for (i, job) in chunk.iter().enumerate() {
                let time = |t: Option<i64>| t.map_or_else(|| "NULL".to_owned(), |t| t.to_string());
                write!(
                    sql,
                    "{}({id}, 'j{id}', 1, '{kind}', 'job {id}', '{state}', '{result}', 1, {start}, {end}, '{{}}')",
                    if i == 0 { "" } else { "," },
                    id = job.id.0,
                    kind = job.kind.as_str(),
                    state = job.status.state.as_str(),
                    result = job.status.result.as_str(),
                    start = time(job.status.started_at),
                    end = time(job.status.finished_at),
                )?;
            }
            writeln!(sql, ";")?;
        }
        for chunk in generated.edges.chunks(1000) {
            writeln!(
                sql,
                "INSERT INTO job_dependencies (dependent_id, dependency_guid, dependency_id, kind) VALUES"
            )?;
            for (i, edge) in chunk.iter().enumerate() {
                write!(
                    sql,
                    "{}({}, 'j{}', {}, '{}')",
                    if i == 0 { "" } else { "," },
                    edge.dependent.0,
                    edge.dependency.0,
                    edge.dependency.0,
                    edge.kind.as_str()
                )?;
            }
            writeln!(sql, ";")?;
        }
        writeln!(sql, "COMMIT;")?;
    }
    anyhow::ensure!(sqlite3.wait()?.success(), "sqlite3 failed");
    println!(
        "wrote the rows with sqlite3 in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A new store, as a freshly started server has: the first question loads the graph.
    let before = resident_bytes();
    let store = Store::open(&url, &StoreOptions::default())?;
    let started = Instant::now();
    let size = store.load_graph().await?;
    let (jobs, edges) = (size.jobs, size.edges);
    let load = started.elapsed();
    let resident = resident_bytes().saturating_sub(before);

    let mut conn = SqliteConnection::establish(&path.display().to_string())?;
    let builds: Vec<i64> = generated
        .pushes
        .iter()
        .flat_map(|p| p.builds.iter().map(|b| b.0))
        .collect();
    let releases: Vec<i64> = generated.pushes.iter().map(|p| p.release.0).collect();
    let pick = |from: &[i64], i: usize| from[(i * 7919) % from.len()];

    println!();
    println!("| measure | treeherd | SQLite recursive CTE | speed-up |");
    println!("|---|---|---|---|");
    println!(
        "| cold load of {jobs} jobs, {edges} edges from SQLite | {:.2} s | | |",
        load.as_secs_f64()
    );
    println!(
        "| resident memory added by the graph | {} MB | | |",
        resident / 1_000_000
    );

    for (name, from, sql, descend) in [
        ("descendants(build)", &builds, DESCENDANTS_CTE, true),
        ("ancestors(release)", &releases, ANCESTORS_CTE, false),
    ] {
        let mut ours = Vec::with_capacity(args.samples);
        let mut in_memory = Vec::with_capacity(args.samples);
        let mut sizes = Vec::with_capacity(args.samples);
        for i in 0..args.samples {
            let job = JobId(pick(from, i));
            let started = Instant::now();
            let scope = if descend {
                GraphScope::descendants(job)
            } else {
                GraphScope::ancestors(job)
            };
            let (size, answer) = store
                .with_graph(scope, move |g| {
                    let started = Instant::now();
                    let size = if descend {
                        g.descendants(job, KindFilter::ALL, None).map(|r| r.len())
                    } else {
                        g.ancestors(job, KindFilter::ALL, None).map(|r| r.len())
                    };
                    (size, started.elapsed())
                })
                .await?;
            ours.push(started.elapsed());
            in_memory.push(answer);
            sizes.push(size?);
        }
        let mut theirs = Vec::with_capacity(args.cte_samples);
        for (i, expected) in sizes.iter().enumerate().take(args.cte_samples) {
            let (size, time) = cte(&mut conn, sql, pick(from, i))?;
            anyhow::ensure!(
                size == *expected,
                "{name}: CTE found {size}, the graph {expected}"
            );
            theirs.push(time);
        }
        let mean = sizes.iter().sum::<usize>() / sizes.len().max(1);
        let ours_p50 = percentile(ours.clone(), 0.5);
        let memory_p50 = percentile(in_memory.clone(), 0.5);
        let theirs_p50 = percentile(theirs, 0.5);
        println!(
            "| {name}, ~{mean} jobs (max {}): in-memory answer p50 / p99 | {} / {} | {} | {:.0}x |",
            sizes.iter().max().unwrap_or(&0),
            micros(memory_p50),
            micros(percentile(in_memory, 0.99)),
            micros(theirs_p50),
            theirs_p50.as_secs_f64() / memory_p50.as_secs_f64()
        );
        println!(
            "| {name}: through the store (catch-up query + answer) p50 / p99 | {} / {} | {} | {:.0}x |",
            micros(ours_p50),
            micros(percentile(ours, 0.99)),
            micros(theirs_p50),
            theirs_p50.as_secs_f64() / ours_p50.as_secs_f64()
        );
    }
    Ok(())
}
