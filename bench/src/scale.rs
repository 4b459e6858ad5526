//! `treeherd-scale-bench`: months of a large CI on one PostgreSQL. Generates a history (the
//! graph crate's generator, dressed like the demo: pushes of builds, tests with a test
//! result each, l10n repacks, releases; 10,000,000 jobs over 120 days by default), writes it
//! with `COPY`, then reports what a deployment pays, each figure beside a reference measured
//! in the same run: database size per job; cold start and memory of the graph per budget
//! (the whole graph the reference); graph questions on jobs held and not held (the whole
//! graph's answer the reference); the UI's push-with-jobs query, the test history and the
//! failure summary through the real server (the same rows by one SQL statement the
//! reference); ingestion while retention removes the oldest day (steady ingestion the
//! reference); and `treeherd export` (`psql COPY` of the same rows the reference).
//!
//! Run: `cargo build --release --bin treeherd && TREEHERD_TEST_POSTGRES_URL=postgres://...
//! cargo run --release -p treeherd-bench --bin treeherd-scale-bench [-- --jobs N]`. Needs
//! `psql`. Not run in CI: at 10 M jobs it takes about half an hour and 15 GB of disk. With
//! `--keep` the database stays, and `--database URL` measures retention and export on it again
//! (each run removes the oldest day present, then exports the ten days after it).

#[allow(dead_code)]
mod server;

use clap::Parser;
use diesel::prelude::*;
use serde_json::{Value, json};
use std::io::{BufWriter, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use treeherd_graph::KindFilter;
use treeherd_graph::generate::{Params, generate};
use treeherd_model::{JobKind, JobResult, JobState, NewJob, Vcs};
use treeherd_service::{Changes, RetentionPolicy, Service};
use treeherd_store::testing::PostgresTestDatabase;
use treeherd_store::{DatabaseUrl, GraphScope, NewRepository, Store, StoreOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DAY: i64 = 86_400_000_000;
const REPOSITORY: &str = "autoland";

#[derive(Parser)]
struct Args {
    /// Jobs in the generated history.
    #[arg(long, default_value_t = 10_000_000)]
    jobs: u64,
    /// Days the history spans.
    #[arg(long, default_value_t = 120)]
    days: i64,
    /// Graph budgets to start cold with, in MiB.
    #[arg(long, value_delimiter = ',', default_value = "64,256,512")]
    budgets: Vec<usize>,
    /// Questions asked of each kind.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// Leave the database behind (its URL is printed), to look into it afterwards.
    #[arg(long)]
    keep: bool,
    /// Measure again on a database an earlier run kept, instead of generating one: only
    /// retention (the oldest day present goes) and export run.
    #[arg(long)]
    database: Option<String>,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// p50 and p99 of `times`.
fn p50_p99(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort_unstable();
    let at = |p: f64| {
        times
            .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    (at(0.5), at(0.99))
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

/// Streams rows into `table` through `psql`'s `COPY ... FROM STDIN` (text format).
fn copy(
    url: &str,
    table: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut psql = Command::new("psql")
        .args([
            url,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &format!("COPY {table} FROM STDIN"),
        ])
        .stdin(Stdio::piped())
        .spawn()?;
    {
        let stdin = psql
            .stdin
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdin"))?;
        let mut out = BufWriter::with_capacity(1 << 20, stdin);
        write(&mut out)?;
        out.flush()?;
    }
    anyhow::ensure!(psql.wait()?.success(), "COPY {table} failed");
    println!(
        "COPY {} in {:.1} s",
        table.split(' ').next().unwrap_or(table),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn revision(push: u32) -> String {
    format!(
        "{:040x}",
        u64::from(push).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    )
}

fn opt(t: Option<i64>) -> String {
    t.map_or_else(|| "\\N".to_owned(), |t| t.to_string())
}

/// Writes the history; returns (pushes, jobs, edges, push times).
fn write_history(
    url: &str,
    repository: i64,
    args: &Args,
    now: i64,
) -> anyhow::Result<treeherd_graph::generate::Generated> {
    let mut params = Params::for_jobs(args.jobs);
    params.push_interval = args.days * DAY / i64::from(params.pushes.max(1));
    params.now = now;
    let started = Instant::now();
    let generated = generate(&params);
    println!(
        "generated {} jobs, {} edges, {} pushes in {:.1} s",
        generated.jobs.len(),
        generated.edges.len(),
        generated.pushes.len(),
        started.elapsed().as_secs_f64()
    );
    let pushed_at = |push: u32| now - i64::from(params.pushes - push) * params.push_interval;
    let started = Instant::now();
    copy(
        url,
        "pushes (id, repository_id, push_id, revision, author, pushed_at)",
        |out| {
            for push in 0..params.pushes {
                writeln!(
                    out,
                    "{}\t{repository}\t{}\t{}\tsheriff@example.org\t{}",
                    push + 1,
                    push + 1,
                    revision(push),
                    pushed_at(push)
                )?;
            }
            Ok(())
        },
    )?;
    copy(
        url,
        "jobs (id, guid, repository_id, push_row_id, kind, name, symbol, platform, build_system, state, result, tier, submitted_at, started_at, finished_at, attributes)",
        |out| {
            for job in &generated.jobs {
                let platform = ["linux64", "windows11-64", "macosx1470-64", "android-14"]
                    [(job.id.0 % 4) as usize];
                let (name, symbol) = match job.kind {
                    JobKind::Build => (format!("build-{platform}/opt"), "B".to_owned()),
                    JobKind::Test => (
                        format!("test-{platform}/opt-mochitest-{}", job.id.0 % 40),
                        format!("M{}", job.id.0 % 40),
                    ),
                    JobKind::L10nRepack => (
                        format!("l10n-{platform}-repack-{}", job.id.0 % 100),
                        format!("L{}", job.id.0 % 100),
                    ),
                    other => (
                        format!("{}-{}", other.as_str().to_lowercase(), job.id.0 % 10),
                        "D".to_owned(),
                    ),
                };
                let submitted = job
                    .status
                    .started_at
                    .or(job.push.map(pushed_at))
                    .or(Some(now));
                writeln!(
                    out,
                    "{id}\tj{id}\t{repository}\t{push}\t{kind}\t{name}\t{symbol}\t{platform}\ttaskcluster\t{state}\t{result}\t1\t{sub}\t{start}\t{end}\t{{}}",
                    id = job.id.0,
                    push = job
                        .push
                        .map_or_else(|| "\\N".to_owned(), |p| (p + 1).to_string()),
                    kind = job.kind.as_str(),
                    state = job.status.state.as_str(),
                    result = job.status.result.as_str(),
                    sub = opt(submitted),
                    start = opt(job.status.started_at),
                    end = opt(job.status.finished_at),
                )?;
            }
            Ok(())
        },
    )?;
    copy(
        url,
        "job_dependencies (dependent_id, dependency_guid, dependency_id, kind)",
        |out| {
            for e in &generated.edges {
                writeln!(
                    out,
                    "{}\tj{}\t{}\t{}",
                    e.dependent.0,
                    e.dependency.0,
                    e.dependency.0,
                    e.kind.as_str()
                )?;
            }
            Ok(())
        },
    )?;
    copy(
        url,
        "test_results (job_id, repository_id, test, subtest, status, failed, duration_ms)",
        |out| {
            for job in generated
                .jobs
                .iter()
                .filter(|j| j.kind == JobKind::Test && j.status.state == JobState::Completed)
            {
                let failed = job.status.result != JobResult::Success;
                writeln!(
                    out,
                    "{}\t{repository}\tdom/tests/test_{}.html\t\t{}\t{}\t{}",
                    job.id.0,
                    job.id.0 % 400,
                    if failed { "FAIL" } else { "PASS" },
                    if failed { "t" } else { "f" },
                    job.id.0 % 5000
                )?;
            }
            Ok(())
        },
    )?;
    let mut conn = PgConnection::establish(url)?;
    for table in ["pushes", "jobs", "test_results"] {
        diesel::sql_query(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        ))
        .execute(&mut conn)?;
    }
    println!(
        "wrote the rows with COPY in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    diesel::sql_query("VACUUM ANALYZE").execute(&mut conn)?;
    println!(
        "VACUUM ANALYZE in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
    Ok(generated)
}

#[derive(QueryableByName)]
struct Scalar {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

/// The value of one SQL expression (a size, a count, a time).
fn scalar(conn: &mut PgConnection, expression: &str) -> anyhow::Result<i64> {
    Ok(diesel::sql_query(format!("SELECT {expression} AS value"))
        .get_result::<Scalar>(conn)?
        .value)
}

/// Times one statement's rows (the reference of a query), in the same run.
fn timed_sql(conn: &mut PgConnection, sql: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    diesel::sql_query(sql).execute(conn)?;
    Ok(started.elapsed())
}

async fn graphql(
    client: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let answer: Value = client
        .post(url)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await?
        .json()
        .await?;
    let took = started.elapsed();
    anyhow::ensure!(answer.get("errors").is_none(), "{answer}");
    Ok(took)
}

fn store(url: &DatabaseUrl, budget_mb: Option<usize>) -> anyhow::Result<Store> {
    let options = StoreOptions {
        graph_budget: budget_mb.map(|mb| mb << 20),
        ..StoreOptions::default()
    };
    Ok(Store::open(url, &options)?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Dropped at the end: the generated database goes with it, unless kept.
    let (url, _database) = match &args.database {
        Some(url) => (url.clone(), None),
        None => {
            let admin = treeherd_tests::postgres_url().ok_or_else(|| {
                anyhow::anyhow!("set TREEHERD_TEST_POSTGRES_URL to a PostgreSQL server")
            })?;
            let database = PostgresTestDatabase::create(
                &admin,
                &format!("treeherd_scale_{}", std::process::id()),
            )?;
            let url = database.url().to_owned();
            if args.keep {
                println!("the database stays: {url}");
                std::mem::forget(database);
                (url, None)
            } else {
                (url, Some(database))
            }
        }
    };
    let mut conn = PgConnection::establish(&url)?;
    if args.database.is_none() {
        let setup = store(&DatabaseUrl::parse(&url)?, None)?;
        setup.migrate()?;
        let repository = setup
            .create_repository(NewRepository {
                name: REPOSITORY.into(),
                vcs: Vcs::Git,
                url: "https://github.com/example/autoland".into(),
                indexed_attributes: Vec::new(),
                branch: None,
            })
            .await?;
        drop(setup);
        let now = chrono::Utc::now().timestamp_micros();
        let generated = write_history(&url, repository.id.0, &args, now)?;
        println!(
            "# Scale: {} jobs, {} edges over {} days of pushes (PostgreSQL)\n",
            generated.jobs.len(),
            generated.edges.len(),
            args.days
        );
        print_table_head();
        measure_history(&args, &url, &mut conn, repository.id.0, &generated, now).await?;
    } else {
        println!("# Scale: retention and export on {url}\n");
        print_table_head();
    }
    measure_retention(&url, &mut conn).await?;
    measure_export(&url, &mut conn)
}

fn print_table_head() {
    println!("| measure | treeherd | reference | ratio |");
    println!("|---|---|---|---|");
}

/// The age of the oldest job (unix microseconds).
fn oldest_job(conn: &mut PgConnection) -> anyhow::Result<i64> {
    scalar(
        conn,
        "(SELECT min(COALESCE(submitted_at, started_at, finished_at)) FROM jobs)",
    )
}

/// Database size, cold start and graph questions per budget, and the UI's reads through the
/// server, on the history just generated.
async fn measure_history(
    args: &Args,
    url: &str,
    conn: &mut PgConnection,
    repository: i64,
    generated: &treeherd_graph::generate::Generated,
    now: i64,
) -> anyhow::Result<()> {
    let db_url = DatabaseUrl::parse(url)?;
    let jobs = generated.jobs.len() as f64;
    let total = scalar(conn, "pg_database_size(current_database())")?;
    let jobs_table = scalar(conn, "pg_total_relation_size('jobs')")?;
    let edges_table = scalar(conn, "pg_total_relation_size('job_dependencies')")?;
    let results_table = scalar(conn, "pg_total_relation_size('test_results')")?;
    println!(
        "| database size per job (all tables, indexes included) | {:.0} bytes | {:.1} GB in all | |",
        total as f64 / jobs,
        total as f64 / 1e9
    );
    println!(
        "| jobs / edges / test results tables with indexes, per job | {:.0} / {:.0} / {:.0} bytes | | |",
        jobs_table as f64 / jobs,
        edges_table as f64 / jobs,
        results_table as f64 / jobs
    );

    // Cold start per budget, beside the whole graph.
    let started = Instant::now();
    let whole = store(&db_url, None)?;
    let whole_size = whole.load_graph().await?;
    let whole_load = started.elapsed();
    println!(
        "| whole graph: cold start, memory ({} jobs, {} edges) | {:.1} s, {} MB | | |",
        whole_size.jobs,
        whole_size.edges,
        whole_load.as_secs_f64(),
        whole_size.bytes >> 20
    );
    println!(
        "| whole graph: bytes per job, per edge (job slot 40 + index, edge slot 20) | {:.0} per job all in; {:.0} per job without edges | | |",
        whole_size.bytes as f64 / whole_size.jobs.max(1) as f64,
        (whole_size.bytes as f64 - whole_size.edges as f64 * 20.0) / whole_size.jobs.max(1) as f64
    );
    let mut budgeted = None;
    for &mb in &args.budgets {
        let started = Instant::now();
        let s = store(&db_url, Some(mb))?;
        let size = s.load_graph().await?;
        let took = started.elapsed();
        println!(
            "| budget {mb} MiB: cold start, memory, jobs held | {:.1} s, {} MB, {} jobs | whole: {:.1} s | {} |",
            took.as_secs_f64(),
            size.bytes >> 20,
            size.jobs,
            whole_load.as_secs_f64(),
            ratio(took, whole_load)
        );
        anyhow::ensure!(
            size.bytes <= mb << 20,
            "budget {mb} MiB exceeded: {} bytes",
            size.bytes
        );
        budgeted = Some((mb, s));
    }

    // Graph questions: held (the newest pushes) and not held (the oldest).
    if let Some((mb, bounded)) = &budgeted {
        let pushes = &generated.pushes;
        // A test of each build: a dependent by a TEST edge.
        let mut test_of = std::collections::HashMap::new();
        for e in &generated.edges {
            if e.kind == treeherd_model::DependencyKind::Test {
                test_of.entry(e.dependency).or_insert(e.dependent);
            }
        }
        let tenth = (pushes.len() / 10).max(1);
        for (which, range) in [
            ("held", pushes.len() - tenth..pushes.len()),
            ("not held", 0..tenth),
        ] {
            let picks: Vec<&treeherd_graph::generate::Push> = pushes[range].iter().collect();
            for question in ["ancestors(test)", "descendants(build)", "blockers(test)"] {
                let mut ours = Vec::new();
                let mut theirs = Vec::new();
                for i in 0..args.samples {
                    let push = picks[(i * 7919) % picks.len()];
                    let build = push.builds[i % push.builds.len()];
                    let test = test_of.get(&build).copied().unwrap_or(build);
                    for (s, into) in [(bounded, &mut ours), (&whole, &mut theirs)] {
                        let started = Instant::now();
                        let n = match question {
                            "ancestors(test)" => {
                                s.with_graph(GraphScope::ancestors(test), move |g| {
                                    g.ancestors(test, KindFilter::ALL, None).map(|r| r.len())
                                })
                                .await?
                            }
                            "descendants(build)" => {
                                s.with_graph(GraphScope::descendants(build), move |g| {
                                    g.descendants(build, KindFilter::ALL, None).map(|r| r.len())
                                })
                                .await?
                            }
                            _ => {
                                s.with_graph(GraphScope::ancestors(test), move |g| {
                                    g.blockers(test, KindFilter::ALL, None).map(|r| r.len())
                                })
                                .await?
                            }
                        };
                        into.push(started.elapsed());
                        n?;
                    }
                }
                let (o50, o99) = p50_p99(ours);
                let (t50, t99) = p50_p99(theirs);
                println!(
                    "| {question}, {which} under {mb} MiB: p50 / p99 | {} / {} | whole graph: {} / {} | {} |",
                    ms(o50),
                    ms(o99),
                    ms(t50),
                    ms(t99),
                    ratio(o50, t50)
                );
            }
        }
        let size = bounded.load_graph().await?;
        println!(
            "| budget {mb} MiB after the questions: answered held / from the database | {} / {} | | |",
            size.answered_held, size.answered_from_store
        );
    }
    drop(budgeted);
    drop(whole);

    // The UI's queries through the real server, under the default budget.
    let server = server::Server::start_on(url)?;
    let client = reqwest::Client::new();
    let gql = server.graphql_url();
    let push_query = "query($repo: String!, $rev: String!) { push(repository: $repo, revision: $rev) { pushId jobs(first: 1000) { nodes { guid name symbol groupSymbol platform state result tier classification { classification bugs } } } } }";
    let newest = generated.pushes.len() as u32;
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..args.samples {
        let push = newest - 1 - (i as u32 * 7) % newest.min(2000);
        ours.push(
            graphql(
                &client,
                &gql,
                push_query,
                json!({"repo": REPOSITORY, "rev": revision(push)}),
            )
            .await?,
        );
        theirs.push(timed_sql(
            conn,
            &format!(
                "SELECT j.guid, j.name, j.symbol, j.group_symbol, j.platform, j.state, j.result, j.tier, c.classification \
                 FROM pushes p JOIN jobs j ON j.push_row_id = p.id \
                 LEFT JOIN job_classifications jc ON jc.job_id = j.id LEFT JOIN classifications c ON c.id = jc.classification_id \
                 WHERE p.repository_id = {} AND p.revision = '{}' ORDER BY j.id DESC LIMIT 1000",
                repository,
                revision(push)
            ),
        )?);
    }
    let (o50, o99) = p50_p99(ours);
    let (t50, t99) = p50_p99(theirs);
    println!(
        "| push with its jobs (GraphQL, ~{} jobs): p50 / p99 | {} / {} | one SQL statement: {} / {} | {} |",
        generated.jobs.len() / generated.pushes.len().max(1),
        ms(o50),
        ms(o99),
        ms(t50),
        ms(t99),
        ratio(o50, t50)
    );

    let history = "query($repo: String!, $test: String!) { testHistory(repository: $repo, test: $test, first: 50) { nodes { test status failed } } }";
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..args.samples {
        let test = format!("dom/tests/test_{}.html", (i * 37) % 400);
        ours.push(
            graphql(
                &client,
                &gql,
                history,
                json!({"repo": REPOSITORY, "test": test}),
            )
            .await?,
        );
        theirs.push(timed_sql(conn, &format!("SELECT status, failed, duration_ms FROM test_results WHERE repository_id = {} AND test = '{test}' ORDER BY id DESC LIMIT 50", repository))?);
    }
    let (o50, o99) = p50_p99(ours);
    let (t50, t99) = p50_p99(theirs);
    println!(
        "| test history, newest 50 results: p50 / p99 | {} / {} | one SQL statement: {} / {} | {} |",
        ms(o50),
        ms(o99),
        ms(t50),
        ms(t99),
        ratio(o50, t50)
    );

    let summary = "query($repo: String!, $since: DateTime!, $until: DateTime!) { failureSummary(repository: $repo, since: $since, until: $until) { test failedPushes } }";
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..args.samples.min(50) {
        let until = now - (i as i64 % 100) * DAY;
        let since = until - DAY;
        let rfc = |t: i64| {
            chrono::DateTime::from_timestamp_micros(t)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default()
        };
        ours.push(
            graphql(
                &client,
                &gql,
                summary,
                json!({"repo": REPOSITORY, "since": rfc(since), "until": rfc(until)}),
            )
            .await?,
        );
        theirs.push(timed_sql(conn, &format!(
            "SELECT t.test, count(DISTINCT p.id) FROM test_results t JOIN jobs j ON j.id = t.job_id JOIN pushes p ON p.id = j.push_row_id \
             WHERE t.repository_id = {} AND t.failed AND p.pushed_at >= {since} AND p.pushed_at < {until} GROUP BY t.test", repository))?);
    }
    let (o50, o99) = p50_p99(ours);
    let (t50, t99) = p50_p99(theirs);
    println!(
        "| failure summary of a day: p50 / p99 | {} / {} | one SQL statement: {} / {} | {} |",
        ms(o50),
        ms(o99),
        ms(t50),
        ms(t99),
        ratio(o50, t50)
    );
    drop(server);
    Ok(())
}

/// Ingestion while retention removes the oldest day present.
async fn measure_retention(url: &str, conn: &mut PgConnection) -> anyhow::Result<()> {
    let db_url = DatabaseUrl::parse(url)?;
    // Jobs older than the oldest day's end go.
    let window = chrono::Utc::now().timestamp_micros() - (oldest_job(conn)? + DAY);
    let ingest_store = store(&db_url, Some(512))?;
    ingest_store.load_graph().await?;
    // Guids of this run's own, so that a run on a kept database inserts jobs as the first did.
    let run = std::process::id();
    let steady = ingest(
        &ingest_store,
        &format!("steady-{run}"),
        Duration::from_secs(10),
        async { Ok(()) },
    )
    .await?;
    let service = Service::new(ingest_store.clone(), Changes::default());
    let policy = RetentionPolicy {
        jobs: Some(Duration::from_micros(u64::try_from(window)?)),
        perf: None,
    };
    let pass_started = Instant::now();
    let mut said = String::new();
    let during = ingest(
        &ingest_store,
        &format!("pass-{run}"),
        Duration::ZERO,
        async {
            said = service
                .expire(policy, chrono::Utc::now().timestamp_micros())
                .await?
                .to_string();
            Ok(())
        },
    )
    .await?;
    let pass_took = pass_started.elapsed();
    let (s50, s99) = p50_p99(steady.clone());
    let (d50, d99) = p50_p99(during.clone());
    let rate = |times: &[Duration]| {
        100.0 * times.len() as f64 / times.iter().map(|t| t.as_secs_f64() + 0.02).sum::<f64>()
    };
    println!(
        "| retention removes the oldest day ({said}) in {:.1} s: ingestion p50 / p99, 100 jobs a batch | {} / {} | steady: {} / {} | p99 {} |",
        pass_took.as_secs_f64(),
        ms(d50),
        ms(d99),
        ms(s50),
        ms(s99),
        ratio(d99, s99)
    );
    println!(
        "| ingestion rate during the pass (batches every 20 ms) | {:.0} jobs/s | steady: {:.0} jobs/s | |",
        rate(&during),
        rate(&steady)
    );
    Ok(())
}

/// `treeherd export` of the ten days after the oldest, beside psql's COPY of the same rows.
fn measure_export(url: &str, conn: &mut PgConnection) -> anyhow::Result<()> {
    let since = oldest_job(conn)?;
    let until = since + 10 * DAY;
    let binary = std::env::current_exe()?.with_file_name("treeherd");
    let out = tempfile::tempdir()?;
    let rfc = |t: i64| {
        chrono::DateTime::from_timestamp_micros(t)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    };
    let count = scalar(
        conn,
        &format!(
            "(SELECT count(*) FROM jobs WHERE COALESCE(submitted_at, started_at, finished_at) >= {since} AND COALESCE(submitted_at, started_at, finished_at) < {until})"
        ),
    )?;
    let started = Instant::now();
    let status = Command::new(&binary)
        .args([
            "export",
            "--database",
            url,
            "--since",
            &rfc(since),
            "--until",
            &rfc(until),
            "--output",
        ])
        .arg(out.path().join("jobs.ndjson"))
        .stderr(Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "treeherd export failed");
    let ours = started.elapsed();
    let started = Instant::now();
    let status = Command::new("psql")
        .args([url, "-q", "-o", "/dev/null", "-c", &format!("COPY (SELECT row_to_json(j) FROM jobs j WHERE COALESCE(submitted_at, started_at, finished_at) >= {since} AND COALESCE(submitted_at, started_at, finished_at) < {until}) TO STDOUT")])
        .status()?;
    anyhow::ensure!(status.success(), "psql COPY failed");
    let theirs = started.elapsed();
    println!(
        "| export of 10 days as NDJSON ({count} jobs) | {:.0} jobs/s | psql COPY row_to_json: {:.0} jobs/s | {} |",
        count as f64 / ours.as_secs_f64(),
        count as f64 / theirs.as_secs_f64(),
        ratio(theirs, ours)
    );
    Ok(())
}

/// Submits 100 jobs every 20 ms while `work` runs (or for `at_least`), returning each
/// batch's latency.
async fn ingest<F: std::future::Future<Output = anyhow::Result<()>>>(
    store: &Store,
    label: &str,
    at_least: Duration,
    work: F,
) -> anyhow::Result<Vec<Duration>> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let store = store.clone();
        let stop = stop.clone();
        let label = label.to_owned();
        tokio::spawn(async move {
            let mut times = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let at = chrono::Utc::now().timestamp_micros();
                let jobs: Vec<NewJob> = (0..100)
                    .map(|i| new_job(format!("{label}-{n}-{i}"), at))
                    .collect();
                let started = Instant::now();
                store.submit_jobs(jobs).await?;
                times.push(started.elapsed());
                n += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            anyhow::Ok(times)
        })
    };
    let started = Instant::now();
    work.await?;
    if let Some(left) = at_least.checked_sub(started.elapsed()) {
        tokio::time::sleep(left).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await?
}

fn new_job(guid: String, at: i64) -> NewJob {
    NewJob {
        guid,
        repository: REPOSITORY.into(),
        revision: None,
        kind: JobKind::Test,
        name: "test-linux64/opt-mochitest-1".into(),
        symbol: Some("M1".into()),
        group_symbol: None,
        group_name: None,
        platform: Some("linux64".into()),
        build_system: Some("taskcluster".into()),
        state: JobState::Completed,
        result: JobResult::Success,
        tier: 1,
        machine: None,
        submitted_at: Some(at),
        started_at: Some(at),
        finished_at: Some(at),
        attributes: serde_json::Map::new(),
        logs: Vec::new(),
        artifacts: Vec::new(),
    }
}
