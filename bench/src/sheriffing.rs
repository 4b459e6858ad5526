//! `treeherd-sheriffing-bench`: issue 17's two sheriffing targets, on the real server and
//! store, each beside a reference measured in the same run (this machine is shared and noisy):
//!
//! 1. `Query.intermittentFailures` over 90 days (`days` and `bugs(first: 20)`) on 100,000
//!    classified failures, asked of the server over HTTP as the intermittents page asks it;
//!    target p50 < 100 ms. The reference is one `COUNT(*)` of the range's intermittent
//!    failures with the view's own join and conditions, on a plain connection: the least any
//!    answer must pay (one pass over the rows it counts), so the ratio says how many such
//!    passes the view costs, HTTP and GraphQL included. The generated data: pushes over 120
//!    days on three repositories, jobs on six platforms, every failed job classified through
//!    `Store::classify_jobs` (a mix of Treeherder's classifications, ~200 bugs drawn from a
//!    Zipf distribution), some passing jobs beside them. Before measuring, the tables get
//!    what the database's own maintenance would give them (`VACUUM ANALYZE` on PostgreSQL,
//!    as autovacuum does after a bulk load; `ANALYZE` on SQLite).
//! 2. The autoclassifier's cost on the ingestion of a log, on Treeherder's real
//!    `too_many_failures` log (1.8 MB inflated, 40 error lines), with the autoclassifier on
//!    and off (`window: None`), interleaved on jobs alike, three ways: the parse worker's own
//!    unit of work (`Service::parse_due_log`: fetch the gzip log from a local HTTP server,
//!    inflate, parse, store with the autoclassifier in the storing transaction); the same
//!    from the inflated text in memory; and storing only. Every line's recurrence key has
//!    person precedents, so every job with the autoclassifier on is classified (checked);
//!    target: it adds < 10% to the first.
//!
//! Run: `cargo run --release -p treeherd-bench --bin treeherd-sheriffing-bench` (SQLite), or
//! with `TREEHERD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres` (PostgreSQL).

use clap::Parser;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use treeherd_model::{
    BugId, CommitRecord, FailureClassification, JobKind, JobResult, JobState, NewBug, NewJob,
    NewLog, PushRecord, Revision,
};
use treeherd_service::classifications::line_keys;
use treeherd_service::logs::{FetchOptions, parse_log};
use treeherd_service::{AutoclassifyOptions, Service};
use treeherd_store::{DueLog, JobId, NewClassification, Store};
use treeherd_tests::{TestApp, revision};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Classified failed jobs over the 120 days.
    #[arg(long, default_value_t = 100_000)]
    failures: usize,
    /// Passing jobs per failed job.
    #[arg(long, default_value_t = 2)]
    passing: usize,
    /// Queries of the view (and of its reference) measured.
    #[arg(long, default_value_t = 50)]
    samples: usize,
    /// Logs ingested with the autoclassifier, and as many without, each way measured.
    #[arg(long, default_value_t = 100)]
    logs: usize,
}

const DAY: i64 = 86_400_000_000;
/// The end of the generated history and of the view's range: 2026-12-01T00:00:00Z.
const END: i64 = 1_796_083_200_000_000;
const HISTORY_DAYS: i64 = 120;
const VIEW_DAYS: i64 = 90;
/// Repositories with their share of the pushes.
const REPOSITORIES: [(&str, usize); 3] = [("autoland", 6), ("mozilla-central", 1), ("try", 5)];
const PLATFORMS: [&str; 6] = [
    "linux64",
    "linux64-asan",
    "windows11-64",
    "windows11-64-ccov",
    "macosx1400-64",
    "android-hw-a55",
];
/// Pushes a day, all repositories together.
const PUSHES_PER_DAY: usize = 60;
const BUGS: usize = 200;
const FIRST_BUG: i64 = 1_900_000;
/// Jobs per `submit_jobs` and per `classify_jobs` call.
const BATCH: usize = 500;
/// Person-classified jobs whose lines are the precedents.
const PRECEDENTS: usize = 3;
/// Treeherder's intermittent classifications, as the view counts them (4, 7, 8).
const INTERMITTENT: &str = "4, 7, 8";

const VIEW: &str = "query($since: DateTime!, $until: DateTime!) {
  intermittentFailures(since: $since, until: $until) {
    days { day failures pushes orangeFactor }
    bugs(first: 20) { bugId failures platforms repositories perDay } } }";

/// A small deterministic generator (splitmix64): the same data every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Bug ranks drawn from a Zipf distribution (s = 1): the first bug fails most.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|k| {
                total += 1.0 / k as f64;
                total
            })
            .collect::<Vec<_>>();
        Zipf(cumulative.into_iter().map(|c| c / total).collect())
    }

    fn rank(&self, random: &mut Random) -> usize {
        let u = random.unit();
        self.0.partition_point(|&c| c < u).min(self.0.len() - 1)
    }
}

fn bug(rank: usize) -> BugId {
    BugId(FIRST_BUG + rank as i64)
}

/// A person's decision for one generated failure: Treeherder's mix, most of them intermittent
/// with a bug of the skewed distribution.
fn decision(random: &mut Random, zipf: &Zipf) -> (FailureClassification, Vec<BugId>) {
    use FailureClassification::*;
    let roll = random.below(100);
    match roll {
        0..60 => {
            let rank = zipf.rank(random);
            // A few failures carry two bugs: a popular one and its neighbour.
            if rank < 20 && random.below(20) == 0 {
                (Intermittent, vec![bug(rank), bug(rank + 1)])
            } else {
                (Intermittent, vec![bug(rank)])
            }
        }
        60..70 => (AutoclassifiedIntermittent, vec![bug(zipf.rank(random))]),
        70..78 => (IntermittentNeedsBugid, vec![]),
        78..88 => (
            FixedByCommit,
            vec![BugId(2_000_000 + random.below(500) as i64)],
        ),
        88..95 => (Infra, vec![]),
        95..98 => (ExpectedFail, vec![]),
        _ => (NewFailureNotClassified, vec![]),
    }
}

fn percentile(mut times: Vec<Duration>, p: f64) -> Duration {
    times.sort_unstable();
    times
        .get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn rfc3339(micros: i64) -> String {
    // Whole days from the epoch: 2026-09-02T00:00:00Z and the like, without a date crate.
    let days = micros.div_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T00:00:00Z")
}

/// Howard Hinnant's days-to-civil conversion.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn failed_job(guid: String, repository: &str, push: u64, platform: &str, at: i64) -> NewJob {
    job(guid, repository, push, platform, at, JobResult::TestFailed)
}

fn job(
    guid: String,
    repository: &str,
    push: u64,
    platform: &str,
    at: i64,
    result: JobResult,
) -> NewJob {
    NewJob {
        guid,
        repository: repository.to_owned(),
        revision: revision(push).parse().ok(),
        kind: JobKind::Test,
        name: format!("test-{platform}/opt-mochitest-browser-chrome"),
        symbol: Some("bc".into()),
        group_symbol: Some("M".into()),
        group_name: None,
        platform: Some(platform.to_owned()),
        build_system: Some("taskcluster".into()),
        state: JobState::Completed,
        result,
        tier: 1,
        machine: None,
        submitted_at: Some(at - 1_800_000_000),
        started_at: Some(at - 1_200_000_000),
        finished_at: Some(at),
        attributes: Default::default(),
        logs: vec![],
        artifacts: vec![],
    }
}

fn push_record(push: u64, at: i64) -> anyhow::Result<PushRecord> {
    let tip: Revision = revision(push).parse()?;
    Ok(PushRecord {
        push_id: Some(push as i64),
        revision: tip.clone(),
        author: "dev@example.com".into(),
        pushed_at: at,
        commits: vec![CommitRecord {
            revision: tip,
            author: "Dev <dev@example.com>".into(),
            message: format!("Bug {push} - a change"),
            branch: None,
            tags: vec![],
            files: vec![],
            parents: vec![],
        }],
    })
}

/// Writes the history: pushes, jobs and the classifications of the failed ones. Returns the
/// pushes of each repository (push id, pushed at).
async fn generate(
    store: &Store,
    args: &Args,
) -> anyhow::Result<BTreeMap<&'static str, Vec<(u64, i64)>>> {
    let mut random = Random(17);
    let zipf = Zipf::new(BUGS);
    let shares: usize = REPOSITORIES.iter().map(|(_, s)| s).sum();
    let start = END - HISTORY_DAYS * DAY;
    let mut pushes: BTreeMap<&'static str, Vec<(u64, i64)>> = BTreeMap::new();
    let mut push_id = 0u64;
    for day in 0..HISTORY_DAYS {
        for i in 0..PUSHES_PER_DAY {
            let mut slot = i % shares;
            let repository = REPOSITORIES
                .iter()
                .find(|(_, share)| {
                    if slot < *share {
                        true
                    } else {
                        slot -= share;
                        false
                    }
                })
                .map_or("try", |(name, _)| name);
            push_id += 1;
            let at = start + day * DAY + (i as i64 * DAY) / PUSHES_PER_DAY as i64;
            pushes.entry(repository).or_default().push((push_id, at));
        }
    }
    for (repository, list) in &pushes {
        for chunk in list.chunks(1000) {
            let records = chunk
                .iter()
                .map(|&(id, at)| push_record(id, at))
                .collect::<anyhow::Result<Vec<_>>>()?;
            store
                .store_pushes((*repository).to_owned(), records)
                .await?;
        }
    }
    let all: Vec<(&str, u64, i64)> = pushes
        .iter()
        .flat_map(|(r, list)| list.iter().map(move |&(id, at)| (*r, id, at)))
        .collect();

    let mut groups: BTreeMap<(i32, Vec<i64>), Vec<String>> = BTreeMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    let total = args.failures * (1 + args.passing);
    for n in 0..total {
        let (repository, push, pushed_at) = all[random.below(all.len())];
        let platform = PLATFORMS[random.below(PLATFORMS.len())];
        let at = pushed_at + 3_600_000_000 + random.below(3_600) as i64 * 1_000_000;
        let guid = format!("job-{n}");
        if n % (1 + args.passing) == 0 {
            let (classification, bugs) = decision(&mut random, &zipf);
            groups
                .entry((classification.id(), bugs.iter().map(|b| b.0).collect()))
                .or_default()
                .push(guid.clone());
            batch.push(failed_job(guid, repository, push, platform, at));
        } else {
            batch.push(job(
                guid,
                repository,
                push,
                platform,
                at,
                JobResult::Success,
            ));
        }
        if batch.len() == BATCH {
            store.submit_jobs(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        store.submit_jobs(batch).await?;
    }
    for ((id, bugs), guids) in groups {
        let classification = FailureClassification::from_id(id.into())?;
        for chunk in guids.chunks(BATCH) {
            let new = NewClassification {
                classification,
                bugs: bugs.iter().map(|&b| BugId(b)).collect(),
                note: None,
                who: if classification == FailureClassification::AutoclassifiedIntermittent {
                    "autoclassifier".into()
                } else {
                    "sheriff@example.com".into()
                },
                at: END,
            };
            store.classify_jobs(chunk.to_vec(), new, line_keys).await?;
        }
    }
    let bugs = (0..BUGS)
        .map(|rank| NewBug {
            id: bug(rank),
            status: "NEW".into(),
            resolution: None,
            summary: format!("Intermittent dom/media/test/test_case_{rank}.html | Test timed out"),
            dupe_of: None,
            crash_signature: None,
            keywords: vec!["intermittent-failure".into()],
            whiteboard: None,
            last_change: END - DAY,
        })
        .collect();
    store.import_bugs(bugs, None).await?;
    Ok(pushes)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A plain connection to the server's database, for the reference query.
enum Raw {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

impl Raw {
    fn open(url: &str) -> anyhow::Result<Raw> {
        Ok(match url.strip_prefix("sqlite://") {
            Some(path) => Raw::Sqlite(SqliteConnection::establish(path)?),
            None => Raw::Pg(PgConnection::establish(url)?),
        })
    }

    /// What the database's own maintenance does to freshly loaded tables before the view
    /// is asked (autovacuum on PostgreSQL: the visibility map index-only scans need, and
    /// statistics; statistics on SQLite).
    fn settle(&mut self) -> anyhow::Result<()> {
        match self {
            Raw::Sqlite(c) => diesel::sql_query("ANALYZE").execute(c)?,
            Raw::Pg(c) => diesel::sql_query("VACUUM ANALYZE").execute(c)?,
        };
        Ok(())
    }

    fn count(&mut self, sql: &str) -> anyhow::Result<i64> {
        let query = diesel::sql_query(sql);
        let count: Count = match self {
            Raw::Sqlite(c) => query.get_result(c)?,
            Raw::Pg(c) => query.get_result(c)?,
        };
        Ok(count.n)
    }
}

async fn post(app: &TestApp, body: &str) -> anyhow::Result<Value> {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await?;
    let answer: Value = response.json().await?;
    anyhow::ensure!(answer.get("errors").is_none(), "{answer}");
    Ok(answer)
}

/// Target 1: the view, beside one COUNT(*) of what it counts. Returns the table's row.
async fn view(app: &TestApp, samples: usize) -> anyhow::Result<String> {
    let (since, until) = (END - VIEW_DAYS * DAY, END);
    let body =
        json!({"query": VIEW, "variables": {"since": rfc3339(since), "until": rfc3339(until)}})
            .to_string();
    let reference = format!(
        "SELECT COUNT(*) AS n FROM job_classifications jc
         WHERE jc.failed_at >= {since} AND jc.failed_at < {until}
           AND jc.classification IN ({INTERMITTENT})"
    );
    let mut raw = Raw::open(app.database_url())?;
    raw.settle()?;

    // Warm both, and check that the view counts what the reference counts.
    let answer = post(app, &body).await?;
    let counted = raw.count(&reference)?;
    let days = answer["data"]["intermittentFailures"]["days"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let summed: i64 = days.iter().filter_map(|d| d["failures"].as_i64()).sum();
    let bugs = answer["data"]["intermittentFailures"]["bugs"]
        .as_array()
        .map_or(0, Vec::len);
    anyhow::ensure!(
        summed == counted && days.len() == VIEW_DAYS as usize && bugs == 20,
        "the view counted {summed} failures over {} days and {bugs} bugs; COUNT(*) {counted}",
        days.len()
    );
    let top = answer["data"]["intermittentFailures"]["bugs"][0]["failures"].clone();
    println!(
        "the view's range holds {counted} intermittent failures (the top bug {top}); {samples} samples of each, interleaved"
    );

    let mut ours = Vec::with_capacity(samples);
    let mut theirs = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        post(app, &body).await?;
        ours.push(started.elapsed());
        let started = Instant::now();
        raw.count(&reference)?;
        theirs.push(started.elapsed());
    }
    let (p50, p99, reference_p50) = (
        percentile(ours.clone(), 0.5),
        percentile(ours, 0.99),
        percentile(theirs, 0.5),
    );
    Ok(format!(
        "| intermittentFailures, 90 days: days + bugs(first: 20), server over HTTP, p50 / p99 (target p50 < 100 ms) | {} / {} | one COUNT(*) of the range's failures, same table and conditions, plain connection, p50 | {} | {:.1}x |",
        millis(p50),
        millis(p99),
        millis(reference_p50),
        p50.as_secs_f64() / reference_p50.as_secs_f64()
    ))
}

/// The real failed-test log the autoclassifier's cost is measured on: Treeherder's
/// `too_many_failures` sample (1.8 MB of text, 40 error lines).
const LOG: &str = "treeherder/logs/too_many_failures.log.gz";

/// Target 2: the ingestion of a parsed log with the autoclassifier and without, on
/// alternating jobs alike, measured three ways: the parse worker's whole unit of work
/// (`Service::parse_due_log`: fetch the gzip log from a local HTTP server, inflate, parse,
/// store, autoclassify); the same from the inflated text in memory (parse, store,
/// autoclassify); and storing and autoclassifying only. Returns the table's rows.
async fn autoclassification(
    store: &Store,
    pushes: &[(u64, i64)],
    logs: usize,
) -> anyhow::Result<Vec<String>> {
    let repository = "autoland";
    let path = treeherd_testkit::fixtures_dir().join(LOG);
    let gzip = std::fs::read(&path).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (the bench reads Treeherder's fixtures)",
            path.display()
        )
    })?;
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&gzip[..]), &mut text)?;
    let parse = || parse_log("live_backing_log", "https://example.invalid/log", &text[..]);
    let lines = parse()?.errors.len();
    anyhow::ensure!(lines >= 10, "{LOG} has {lines} error lines");
    let server = LogServer::start(gzip.clone())?;
    // The newest pushes: precedents a few days before the measured jobs, inside the window.
    let recent: Vec<(u64, i64)> = pushes
        .iter()
        .rev()
        .take(PRECEDENTS + 4 * logs)
        .copied()
        .collect();
    anyhow::ensure!(recent.len() == PRECEDENTS + 4 * logs, "too few pushes");
    let (measured, precedents) = recent.split_at(4 * logs);

    let mut jobs = Vec::new();
    for (i, &(push, at)) in precedents.iter().chain(measured).enumerate() {
        let mut job = failed_job(
            format!("auto-{i}"),
            repository,
            push,
            "linux64",
            at + 3_600_000_000,
        );
        job.logs = vec![NewLog {
            name: "live_backing_log".into(),
            url: server.url.clone(),
        }];
        jobs.push(job);
    }
    let written = store.submit_jobs(jobs).await?;
    let ids: Vec<_> = written.iter().map(|j| j.id).collect();
    let logs_of = store.logs_of(ids.clone()).await?;
    let log_of = |id| -> anyhow::Result<i64> {
        logs_of
            .get(&id)
            .and_then(|l| l.first())
            .map(|l| l.id)
            .ok_or_else(|| anyhow::anyhow!("job {id:?} has no log"))
    };
    // People classify the precedents' lines as intermittent, with the most frequent bug.
    for job in written.iter().take(PRECEDENTS) {
        store
            .store_parsed_log(log_of(job.id)?, None, parse()?, END, None)
            .await?;
    }
    store
        .classify_jobs(
            written
                .iter()
                .take(PRECEDENTS)
                .map(|j| j.guid.clone())
                .collect(),
            NewClassification {
                classification: FailureClassification::Intermittent,
                bugs: vec![bug(0)],
                note: None,
                who: "sheriff@example.com".into(),
                at: END,
            },
            line_keys,
        )
        .await?;

    let on = Service::new(store.clone(), Default::default());
    let off = on
        .clone()
        .with_autoclassify(AutoclassifyOptions { window: None });
    let measured: Vec<(JobId, i64)> = written[PRECEDENTS..]
        .iter()
        .map(|j| Ok((j.id, log_of(j.id)?)))
        .collect::<anyhow::Result<_>>()?;
    let (fetched, in_memory) = measured.split_at(2 * logs);
    let check = |job: JobId, autoclassify: bool, decided: Option<FailureClassification>| {
        anyhow::ensure!(
            decided == autoclassify.then_some(FailureClassification::AutoclassifiedIntermittent),
            "job {job:?}: the autoclassifier (on: {autoclassify}) decided {decided:?}"
        );
        Ok(())
    };

    // The worker's unit: fetch, inflate, parse, store, autoclassify.
    let http = reqwest::Client::new();
    let options = FetchOptions {
        max_bytes: 256 * 1024 * 1024,
        timeout: Duration::from_secs(30),
        attempts: 1,
        backoff: Duration::from_secs(1),
    };
    // Claimed as the worker claims them (a parse is stored only under its claim), for longer
    // than the bench runs.
    let mut claimed: HashMap<i64, DueLog> = on
        .claim_due_logs(Duration::from_secs(3600), measured.len())
        .await?
        .into_iter()
        .map(|due| (due.id, due))
        .collect();
    let mut worker = (Vec::new(), Vec::new());
    for (i, pair) in fetched.chunks(2).enumerate() {
        for (&(job, log), autoclassify) in pair.iter().zip(alternate(i)) {
            let service = if autoclassify { &on } else { &off };
            let due = claimed
                .remove(&log)
                .ok_or_else(|| anyhow::anyhow!("log {log} was not claimed"))?;
            let started = Instant::now();
            service.parse_due_log(&http, &options, &due).await?;
            let took = started.elapsed();
            let decided = store
                .current_classifications(vec![job])
                .await?
                .remove(&job)
                .map(|c| c.classification);
            check(job, autoclassify, decided)?;
            if autoclassify {
                &mut worker.0
            } else {
                &mut worker.1
            }
            .push(took);
        }
    }

    // From the text in memory: (parse + store + autoclassify, store + autoclassify).
    let mut with = Vec::with_capacity(logs);
    let mut without = Vec::with_capacity(logs);
    for (i, pair) in in_memory.chunks(2).enumerate() {
        for (&(job, log), autoclassify) in pair.iter().zip(alternate(i)) {
            let service = if autoclassify { &on } else { &off };
            let started = Instant::now();
            let parsed = parse()?;
            let stored = Instant::now();
            let decided = service.store_parse(log, None, parsed, END).await?;
            let (whole, storing) = (started.elapsed(), stored.elapsed());
            check(job, autoclassify, decided.map(|c| c.classification))?;
            if autoclassify {
                &mut with
            } else {
                &mut without
            }
            .push((whole, storing));
        }
    }
    let split = |pairs: &[(Duration, Duration)]| -> (Vec<Duration>, Vec<Duration>) {
        pairs.iter().copied().unzip()
    };
    let ((on_whole, on_storing), (off_whole, off_storing)) = (split(&with), split(&without));
    Ok(vec![
        on_off_row(
            &format!(
                "the parse worker's unit for one log (fetch {:.2} MB gzip from a local HTTP server, inflate {:.1} MB, parse, {lines} error lines, store, autoclassify), target < 1.10x",
                gzip.len() as f64 / 1e6,
                text.len() as f64 / 1e6
            ),
            &worker.0,
            &worker.1,
        ),
        on_off_row(
            "the same from the inflated text in memory (parse, store, autoclassify)",
            &on_whole,
            &off_whole,
        ),
        on_off_row(
            "storing the parse and autoclassifying only (no parse)",
            &on_storing,
            &off_storing,
        ),
    ])
}

/// Which of a pair goes first, alternating, so that drift falls on both alike.
fn alternate(pair: usize) -> [bool; 2] {
    if pair.is_multiple_of(2) {
        [true, false]
    } else {
        [false, true]
    }
}

/// A table row: the autoclassifier on against off, p50 and mean of each, and their ratios.
fn on_off_row(label: &str, on: &[Duration], off: &[Duration]) -> String {
    let mean = |times: &[Duration]| times.iter().sum::<Duration>() / times.len().max(1) as u32;
    let (on50, off50) = (percentile(on.to_vec(), 0.5), percentile(off.to_vec(), 0.5));
    let (on_mean, off_mean) = (mean(on), mean(off));
    format!(
        "| {label}, autoclassifier on (classifies), p50 / mean | {} / {} | the same, autoclassifier off, p50 / mean | {} / {} | {:.2}x / {:.2}x |",
        millis(on50),
        millis(on_mean),
        millis(off50),
        millis(off_mean),
        on50.as_secs_f64() / off50.as_secs_f64(),
        on_mean.as_secs_f64() / off_mean.as_secs_f64()
    )
}

/// A local stand-in for a build system's artifact server: answers every request with the
/// gzip log, as Taskcluster serves a `live_backing_log`.
struct LogServer {
    url: String,
}

impl LogServer {
    fn start(gzip: Vec<u8>) -> anyhow::Result<LogServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let url = format!(
            "http://127.0.0.1:{}/live_backing.log",
            listener.local_addr()?.port()
        );
        let body = actix_web::web::Bytes::from(gzip);
        let server = actix_web::HttpServer::new(move || {
            let body = body.clone();
            actix_web::App::new().default_service(actix_web::web::to(move || {
                let body = body.clone();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("text/plain; charset=utf-8")
                        .body(body)
                }
            }))
        })
        .workers(1)
        .listen(listener)?
        .run();
        tokio::spawn(server);
        Ok(LogServer { url })
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.failures > 0 && args.samples > 0 && args.logs > 0,
        "nothing to measure"
    );
    let backend = if treeherd_tests::postgres_url().is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let app = TestApp::spawn().await;
    for (name, _) in REPOSITORIES {
        app.create_repository(name, &[]).await;
    }
    let started = Instant::now();
    let pushes = generate(app.store(), &args).await?;
    println!(
        "treeherd-sheriffing-bench on {backend}, {} cores: wrote {} pushes, {} jobs ({} failed, all classified) in {:.1} s",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        pushes.values().map(Vec::len).sum::<usize>(),
        args.failures * (1 + args.passing),
        args.failures,
        started.elapsed().as_secs_f64()
    );
    let view_row = view(&app, args.samples).await?;
    let autoland = pushes.get("autoland").cloned().unwrap_or_default();
    let rows = autoclassification(app.store(), &autoland, args.logs).await?;
    println!();
    println!("| measure | treeherd | reference | reference | ratio |");
    println!("|---|---|---|---|---|");
    println!("{view_row}");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}
