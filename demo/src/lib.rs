//! Demo data: what `treeherd serve --demo` (and `treeherd demo`) put in a database so that a
//! new user sees a real picture on the first run. Its own crate, out of the server's core:
//! glue between crates that only `serve --demo`, `treeherd demo` and the log viewer's demo
//! logs use.
//!
//! Three repositories (`mozilla-central` and `autoland` on hg, `gecko-dev` on git) with a few
//! hundred pushes between them, whose job graphs come from the graph crate's Firefox-shaped
//! generator (`treeherd_graph::generate`): docker images and toolchains, builds fanning out to
//! tests and l10n repacks, nightly releases fanning in over builds and repacks with their
//! gates, scheduled jobs (valgrind and friends) with declared intervals. This crate only
//! dresses the generated graph: names, symbols, platforms, machines (one of them flaky and
//! quarantined, running nothing; each last seen when its last job ended), commits, parsed logs
//! with error lines and steps, and test results.
//!
//! Everything goes through the store's public write functions, the ones the mutations use,
//! in a few large transactions (a repository's pushes in one, its jobs in one, its edges in
//! one). A log is generated as text, parsed by the parse worker's own function and stored by
//! the worker's own `Service::store_parse` (the autoclassifier running in its transaction): the
//! demo has no second way to store a parse, and needs no network.
//!
//! Sheriffing is part of the picture: local Bugzilla bugs for the failing tests, people's
//! classifications of the failures (intermittent with their bugs, fixed by commit, infra,
//! expected fail), recurring intermittents the real autoclassifier recognises as their logs
//! are parsed, and unclassified failures on the newest pushes, all through the service
//! (`sheriffing.rs`).
//!
//! Here: the fill and what it reports. `dress.rs` turns a generated graph into a repository's
//! pushes and jobs, `write.rs` writes them, `catalogue.rs` holds the names and shapes,
//! `logs.rs` the failed jobs' logs and test results, `bugs.rs` the bugs, `sheriffing.rs` the
//! sheriff and the autoclassifier, `role.rs` what each generated job is, and `seed.rs` the
//! stable seeds they all draw from.
//!
//! Deterministic given the seed and the present: pushes land relative to `now`, so the
//! newest ones are still running when the server starts. A repository that exists already
//! is left alone (never mixed with real data of the same name): filling again adds nothing.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use treeherd_graph::generate::{self, Params};
use treeherd_model::{
    CommitRecord, DependencyKind, JobKind, JobResult, JobState, MachineState, NewJob, NewLog,
    PushRecord, Revision, Vcs,
};
use treeherd_service::AutoclassifyOptions;
use treeherd_store::{NewDependency, NewRelease, NewRepository, Store, StoreError};

/// The build system every demo job names (machines are named within it).
const BUILD_SYSTEM: &str = "taskcluster";
/// The machine whose jobs fail far more often than its platform's; quarantined.
pub const FLAKY_MACHINE: &str = "t-linux-013";
/// Pushes (newest first) whose failed jobs get a parsed log.
const LOGGED_PUSHES: u32 = 30;

/// How much demo data to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// Pushes over all repositories (at least 2 per repository are made).
    pub pushes: u32,
    pub seed: u64,
    /// The autoclassifier that runs as the demo's logs are stored (a server's own: `serve
    /// --demo` fills with the window it serves with).
    pub autoclassify: AutoclassifyOptions,
}

impl Default for DemoOptions {
    /// About 360 pushes and 50,000 jobs: a few seconds on SQLite.
    fn default() -> Self {
        DemoOptions {
            pushes: 360,
            seed: 0x7EE4_DE30,
            autoclassify: AutoclassifyOptions::default(),
        }
    }
}

/// What a fill did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filled {
    /// Repositories made now.
    pub repositories: Vec<String>,
    /// Demo repositories that existed already, left as they were.
    pub skipped: Vec<String>,
    pub pushes: usize,
    pub jobs: usize,
    pub edges: usize,
    pub logs: usize,
    pub releases: usize,
    /// Bugs imported (once, with the first repository made).
    pub bugs: usize,
    /// Failed jobs a person (the demo's sheriff) classified.
    pub classified: usize,
    /// Failed jobs the autoclassifier classified as their logs were parsed.
    pub autoclassified: usize,
    pub took: Duration,
}

impl std::fmt::Display for Filled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.repositories.is_empty() {
            return write!(
                f,
                "demo data already there ({}): nothing added",
                self.skipped.join(", ")
            );
        }
        write!(
            f,
            "demo data in {}: {} pushes, {} jobs, {} edges, {} parsed logs, {} releases, {} bugs, \
             {} failures classified by a sheriff and {} by the autoclassifier in {:.1} s",
            self.repositories.join(", "),
            self.pushes,
            self.jobs,
            self.edges,
            self.logs,
            self.releases,
            self.bugs,
            self.classified,
            self.autoclassified,
            self.took.as_secs_f64()
        )?;
        if !self.skipped.is_empty() {
            write!(f, " ({} there already)", self.skipped.join(", "))?;
        }
        Ok(())
    }
}

/// Why a fill stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a generated log could not be parsed: {0}")]
    Log(#[from] treeherd_logparse::ParseError),
    #[error(transparent)]
    Service(#[from] treeherd_service::ServiceError),
    #[error("generated data is invalid: {0}")]
    Invalid(String),
}

mod bugs;
mod catalogue;
mod dress;
mod logs;
mod role;
mod seed;
mod sheriffing;
mod write;

use catalogue::*;
pub use logs::{DEMO_LOG_PREFIX, served_log};
use logs::{log_text, test_results};
use role::Role;
use seed::fnv1a;
pub use sheriffing::SHERIFF;
use sheriffing::Sheriffing;

/// Fills the database with demo data unless its repositories exist; see the module docs.
pub async fn fill(store: &Store, options: &DemoOptions, now: i64) -> Result<Filled, DemoError> {
    let started = Instant::now();
    let mut filled = Filled::default();
    let total_share: u32 = REPOSITORIES.iter().map(|r| r.share).sum();
    let sheriffing = Sheriffing::new(store, options.autoclassify)
        .map_err(|e| DemoError::Invalid(e.to_string()))?;
    for spec in REPOSITORIES {
        if store.repository(spec.name.to_owned()).await?.is_some() {
            filled.skipped.push(spec.name.to_owned());
            continue;
        }
        // Bugs before any failure is classified with them.
        if filled.repositories.is_empty() {
            filled.bugs = sheriffing.import_bugs(now).await?;
        }
        let pushes = (options.pushes.saturating_mul(spec.share) / total_share).max(2);
        let seed = options.seed ^ fnv1a(spec.name);
        Repo::new(spec, pushes, seed, now)?
            .write(store, &sheriffing, &mut filled)
            .await?;
        filled.repositories.push(spec.name.to_owned());
    }
    // Its linux64 jobs are in every repository; the quarantine is part of the fill, set once
    // its last job has finished (it is given no running job: a quarantined machine runs none).
    if !filled.repositories.is_empty() {
        store
            .set_machine_state(
                BUILD_SYSTEM.to_owned(),
                FLAKY_MACHINE.to_owned(),
                MachineState::Quarantined,
                Some("intermittent failures far above linux64's; reimage pending".to_owned()),
                Some(now + 3 * 24 * HOUR),
                now,
            )
            .await?;
    }
    filled.took = started.elapsed();
    Ok(filled)
}

/// One repository's generated data, dressed, before it is written.
struct Repo<'a> {
    spec: &'a RepoSpec,
    pushes: Vec<PushRecord>,
    jobs: Vec<NewJob>,
    /// The role of each of `jobs`.
    roles: Vec<Role>,
    edges: Vec<NewDependency>,
    /// Per push: indexes in `jobs` of its builds and repacks (a nightly's gates).
    gates: Vec<Vec<usize>>,
    rng: StdRng,
    now: i64,
}

/// A Taskcluster task id: 22 characters of URL-safe base64.
fn task_id(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = String::with_capacity(22);
    // The first character is a letter, as in real ids, so none starts with '-'.
    id.push(char::from(ALPHABET[rng.random_range(0..52)]));
    for _ in 1..22 {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;

    fn central(seed: u64) -> Repo<'static> {
        Repo::new(&REPOSITORIES[0], 30, seed, NOW).unwrap()
    }

    #[test]
    fn a_seed_and_a_time_give_the_same_data() {
        let (a, b) = (central(7), central(7));
        assert_eq!(a.pushes, b.pushes);
        assert_eq!(a.jobs, b.jobs);
        assert_eq!(a.edges.len(), b.edges.len());
        assert_ne!(central(8).jobs, a.jobs);
    }

    #[test]
    fn every_job_is_dressed_and_every_edge_joins_two_of_them() {
        let repo = central(7);
        let guids: std::collections::HashSet<&str> =
            repo.jobs.iter().map(|j| j.guid.as_str()).collect();
        assert_eq!(guids.len(), repo.jobs.len(), "guids are unique");
        for job in &repo.jobs {
            assert!(job.symbol.is_some() && job.platform.is_some(), "{job:?}");
            assert_eq!(job.revision.is_none(), job.kind == JobKind::Scheduled);
            assert!(job.submitted_at.is_some_and(|t| t < NOW));
            assert!(job.finished_at.is_none_or(|t| t <= NOW));
        }
        assert!(
            repo.edges
                .iter()
                .all(|e| guids.contains(e.dependent.as_str())
                    && guids.contains(e.dependency.as_str()))
        );
        // Every test waits on the build of its own platform.
        let by_guid: HashMap<&str, &NewJob> =
            repo.jobs.iter().map(|j| (j.guid.as_str(), j)).collect();
        for edge in repo.edges.iter().filter(|e| e.kind == DependencyKind::Test) {
            let (test, build) = (
                by_guid[edge.dependent.as_str()],
                by_guid[edge.dependency.as_str()],
            );
            assert_eq!(build.kind, JobKind::Build);
            assert_eq!(test.platform, build.platform);
        }
        // The gap: the newest push landed a quiet hour (and then some) ago.
        let newest = repo.pushes.iter().map(|p| p.pushed_at).max().unwrap();
        assert_eq!(newest, NOW - 4 * 30 * MINUTE);
    }

    #[test]
    fn a_generated_log_parses_into_its_failures() {
        let repo = central(7);
        let (i, failed) = repo
            .jobs
            .iter()
            .enumerate()
            .find(|(_, j)| j.result == JobResult::TestFailed && !j.logs.is_empty())
            .unwrap();
        let role = repo.roles[i];
        let job = treeherd_store::Job {
            id: treeherd_store::JobId(1),
            guid: failed.guid.clone(),
            repository_id: treeherd_store::RepositoryId(1),
            push_row_id: Some(treeherd_store::PushId(1)),
            kind: failed.kind,
            name: failed.name.clone(),
            symbol: failed.symbol.clone(),
            group_symbol: None,
            group_name: None,
            platform: failed.platform.clone(),
            build_system: None,
            state: failed.state,
            result: failed.result,
            tier: 1,
            machine: failed.machine.clone(),
            submitted_at: failed.submitted_at,
            started_at: failed.started_at,
            finished_at: failed.finished_at,
            attributes_json: "{}".into(),
        };
        let (text, failures) = log_text(&job, role);
        assert_eq!(served_log(&job, &failed.logs[0].url), Some(text.clone()));
        let parsed =
            treeherd_service::logs::parse_log("live_backing.log", "", text.as_bytes()).unwrap();
        assert!(!failures.is_empty());
        assert_eq!(parsed.errors.len(), failures.len(), "{text}");
        for ((test, _, _), error) in failures.iter().zip(&parsed.errors) {
            assert!(error.line.contains(test.as_str()), "{}", error.line);
        }
        assert!(
            parsed
                .steps
                .iter()
                .any(|s| s.name == "run-tests" && s.result == "failed")
        );
    }
}
