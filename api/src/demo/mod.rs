//! Demo data: what `treeherd serve --demo` (and `treeherd demo`) put in a database so that a
//! new user sees a real picture on the first run. A module of the server rather than a crate:
//! it is glue between crates that only `serve --demo` and `treeherd demo` use.
//!
//! Three repositories (`mozilla-central` and `autoland` on hg, `gecko-dev` on git) with a few
//! hundred pushes between them, whose job graphs come from the graph crate's Firefox-shaped
//! generator (`treeherd_graph::generate`): docker images and toolchains, builds fanning out to
//! tests and l10n repacks, nightly releases fanning in over builds and repacks with their
//! gates, scheduled jobs (valgrind and friends) with declared intervals. This module only
//! dresses the generated graph: names, symbols, platforms, machines (one of them flaky and
//! quarantined), commits, parsed logs with error lines and steps, and test results.
//!
//! Everything goes through the store's public write functions, the ones the mutations use,
//! in a few large transactions (a repository's pushes in one, its jobs in one, its edges in
//! one). A log is generated as text, parsed by the parse worker's own function and stored by
//! the worker's own `store_parsed_log`: the demo has no second way to store a parse, and needs
//! no network.
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
use treeherd_store::{NewDependency, NewRelease, NewRepository, Store, StoreError};

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
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
}

impl Default for DemoOptions {
    /// About 360 pushes and 50,000 jobs: a few seconds on SQLite.
    fn default() -> Self {
        DemoOptions {
            pushes: 360,
            seed: 0x7EE4_DE30,
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
            "demo data in {}: {} pushes, {} jobs, {} edges, {} parsed logs, {} releases in {:.1} s",
            self.repositories.join(", "),
            self.pushes,
            self.jobs,
            self.edges,
            self.logs,
            self.releases,
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
    #[error("generated data is invalid: {0}")]
    Invalid(String),
}

mod catalogue;
mod logs;

use catalogue::*;
use logs::{log_text, test_results};

/// Fills the database with demo data unless its repositories exist; see the module docs.
pub async fn fill(store: &Store, options: &DemoOptions, now: i64) -> Result<Filled, DemoError> {
    let started = Instant::now();
    let mut filled = Filled::default();
    let total_share: u32 = REPOSITORIES.iter().map(|r| r.share).sum();
    for spec in REPOSITORIES {
        if store.repository(spec.name.to_owned()).await?.is_some() {
            filled.skipped.push(spec.name.to_owned());
            continue;
        }
        let pushes = (options.pushes.saturating_mul(spec.share) / total_share).max(2);
        let seed = options.seed ^ fnv1a(spec.name);
        Repo::new(spec, pushes, seed, now)?
            .write(store, &mut filled)
            .await?;
        filled.repositories.push(spec.name.to_owned());
    }
    // Its linux64 jobs are in every repository; the quarantine is part of the fill.
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

/// What a generated job is in the picture.
#[derive(Debug, Clone, Copy)]
enum Role {
    DockerImage,
    Toolchain,
    Build {
        platform: usize,
    },
    Test {
        platform: usize,
        suite: usize,
        chunk: u32,
    },
    Repack {
        platform: usize,
        locale: usize,
    },
    Scheduled {
        name: usize,
    },
    /// The generator's per-push release job: the demo makes nightlies its own way.
    Dropped,
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

impl<'a> Repo<'a> {
    fn new(spec: &'a RepoSpec, pushes: u32, seed: u64, now: i64) -> Result<Repo<'a>, DemoError> {
        let made = pushes + spec.gap;
        let params = Params {
            pushes: made,
            builds_per_push: u32::try_from(spec.platforms).unwrap_or(1),
            tests_per_build: spec.tests_per_build,
            repacks_per_build: u32::try_from(spec.locales).unwrap_or(0),
            scheduled_per_push: spec.scheduled,
            cross_push_repacks: spec.cross_repacks,
            first_id: 0,
            now,
            push_interval: spec.interval,
            seed,
        };
        let generated = generate::generate(&params);
        let mut rng = StdRng::seed_from_u64(seed);
        let landed = |push: u32| now - i64::from(made - push) * spec.interval;
        let records = (0..pushes)
            .map(|push| push_record(spec, push, landed(push), &mut rng))
            .collect::<Result<Vec<_>, _>>()?;

        // What each generated job depends on, by index (the generator's ids start at 0).
        let index = |id: treeherd_graph::JobId| usize::try_from(id.0).ok();
        let mut deps: Vec<Vec<(usize, DependencyKind)>> = vec![Vec::new(); generated.jobs.len()];
        for edge in &generated.edges {
            if let (Some(dependent), Some(dependency)) =
                (index(edge.dependent), index(edge.dependency))
                && let Some(list) = deps.get_mut(dependent)
            {
                list.push((dependency, edge.kind));
            }
        }

        // Roles from the generator's order: per push a docker image, a toolchain, builds
        // (one per platform) each followed by its tests and repacks; scheduled jobs after.
        let mut roles: Vec<Role> = Vec::with_capacity(generated.jobs.len());
        let mut beside: Vec<u32> = Vec::with_capacity(generated.jobs.len());
        // Whether a job gates its push's nightly: builds and the repacks of their builds.
        let mut gate: Vec<bool> = Vec::with_capacity(generated.jobs.len());
        let mut others: HashMap<u32, u32> = HashMap::new();
        let mut builds: HashMap<u32, usize> = HashMap::new();
        let mut children: HashMap<usize, (usize, usize)> = HashMap::new();
        let mut current = 0;
        for (i, job) in generated.jobs.iter().enumerate() {
            current = job.push.unwrap_or(current);
            beside.push(current);
            let parent = |kind: DependencyKind| {
                deps[i]
                    .iter()
                    .find(|(_, k)| *k == kind)
                    .map_or(0, |(dep, _)| *dep)
            };
            let platform_of = |build: usize| match roles.get(build) {
                Some(Role::Build { platform }) => *platform,
                _ => 0,
            };
            let mut gates = false;
            let role = match job.kind {
                JobKind::Other => {
                    let seen = others.entry(current).or_default();
                    *seen += 1;
                    if *seen == 1 {
                        Role::DockerImage
                    } else {
                        Role::Toolchain
                    }
                }
                JobKind::Build => {
                    gates = true;
                    let seen = builds.entry(current).or_default();
                    *seen += 1;
                    Role::Build {
                        platform: (*seen - 1) % spec.platforms.max(1),
                    }
                }
                JobKind::Test => {
                    let build = parent(DependencyKind::Test);
                    let platform = platform_of(build);
                    let (tests, _) = children.entry(build).or_default();
                    let (suite, chunk) = suite_chunk(*tests);
                    *tests += 1;
                    Role::Test {
                        platform,
                        suite,
                        chunk,
                    }
                }
                JobKind::L10nRepack => {
                    let build = parent(DependencyKind::L10nRepack);
                    let platform = platform_of(build);
                    gates = generated
                        .jobs
                        .get(build)
                        .is_some_and(|b| b.push == job.push);
                    let (_, repacks) = children.entry(build).or_default();
                    // A build's own repacks cover the locales; later ones redo one of them.
                    let locale = if *repacks < spec.locales {
                        *repacks
                    } else {
                        rng.random_range(0..spec.locales.max(1))
                    };
                    *repacks += 1;
                    Role::Repack { platform, locale }
                }
                JobKind::Scheduled => Role::Scheduled {
                    name: scheduled_name(current, pushes),
                },
                JobKind::Release => Role::Dropped,
            };
            // Left out for the gap: the newest generated pushes and what ran beside them.
            let role = if current < pushes {
                role
            } else {
                Role::Dropped
            };
            gate.push(gates && !matches!(role, Role::Dropped));
            roles.push(role);
        }

        let mut repo = Repo {
            spec,
            pushes: records,
            jobs: Vec::with_capacity(generated.jobs.len()),
            roles: Vec::with_capacity(generated.jobs.len()),
            edges: Vec::with_capacity(generated.edges.len()),
            gates: vec![Vec::new(); pushes as usize],
            rng,
            now,
        };
        let mut slot: Vec<Option<usize>> = Vec::with_capacity(generated.jobs.len());
        for (i, job) in generated.jobs.iter().enumerate() {
            let role = roles[i];
            if matches!(role, Role::Dropped) {
                slot.push(None);
                continue;
            }
            let submitted = landed(beside[i]) + repo.rng.random_range(20..90) * 1_000_000;
            let new = repo.job(role, job.push, job.status, submitted);
            if let (Some(push), true) = (job.push, gate[i])
                && let Some(gates) = repo.gates.get_mut(push as usize)
            {
                gates.push(repo.jobs.len());
            }
            slot.push(Some(repo.jobs.len()));
            repo.jobs.push(new);
            repo.roles.push(role);
        }
        for edge in &generated.edges {
            let guid = |id| {
                index(id)
                    .and_then(|i| slot.get(i).copied().flatten())
                    .map(|i| repo.jobs[i].guid.clone())
            };
            if let (Some(dependent), Some(dependency)) =
                (guid(edge.dependent), guid(edge.dependency))
            {
                repo.edges.push(NewDependency {
                    dependent,
                    dependency,
                    kind: edge.kind,
                });
            }
        }
        Ok(repo)
    }

    /// Dresses one generated job: name, symbol, platform, machine, times, log.
    fn job(
        &mut self,
        role: Role,
        push: Option<u32>,
        status: treeherd_graph::JobStatus,
        submitted: i64,
    ) -> NewJob {
        let platform = |p: usize| &PLATFORMS[p % PLATFORMS.len()];
        let locale = |l: usize| LOCALES[l % LOCALES.len()];
        let (kind, name, symbol, group, platform_name) = match role {
            Role::DockerImage => (
                JobKind::Other,
                "docker-image-debian12-amd64-build".to_owned(),
                "deb12".to_owned(),
                ("I", "Docker images"),
                "gecko-decision",
            ),
            Role::Toolchain => (
                JobKind::Other,
                "toolchain-linux64-clang-19".to_owned(),
                "clang-19".to_owned(),
                ("TL", "Toolchain builds"),
                "toolchains",
            ),
            Role::Build { platform: p } => (
                JobKind::Build,
                platform(p).build.to_owned(),
                "B".to_owned(),
                ("", ""),
                platform(p).name,
            ),
            Role::Test {
                platform: p,
                suite,
                chunk,
            } => {
                let s = &SUITES[suite % SUITES.len()];
                let (name, symbol) = if s.chunks > 1 {
                    (
                        format!("test-{}/opt-{}-{chunk}", platform(p).name, s.suite),
                        format!("{}{chunk}", s.symbol),
                    )
                } else {
                    (
                        format!("test-{}/opt-{}", platform(p).name, s.suite),
                        s.symbol.to_owned(),
                    )
                };
                (JobKind::Test, name, symbol, s.group, platform(p).name)
            }
            Role::Repack {
                platform: p,
                locale: l,
            } => (
                JobKind::L10nRepack,
                format!("shippable-l10n-{}/opt-{}", platform(p).name, locale(l)),
                locale(l).to_owned(),
                ("L10n", "Localised repacks"),
                platform(p).name,
            ),
            Role::Scheduled { name } => {
                let (name, symbol) = SCHEDULED[name % SCHEDULED.len()];
                (
                    JobKind::Scheduled,
                    name.to_owned(),
                    symbol.to_owned(),
                    ("", ""),
                    "linux64",
                )
            }
            Role::Dropped => (
                JobKind::Other,
                "dropped".to_owned(),
                String::new(),
                ("", ""),
                "",
            ),
        };
        // Sanitizer tests are tier 2, as in Firefox CI.
        let tier = match role {
            Role::Test { platform: p, .. } if platform(p).name.ends_with("-asan") => 2,
            _ => 1,
        };
        let mut attributes = serde_json::Map::new();
        match role {
            Role::Build { .. } | Role::Test { .. } => {
                attributes.insert("build_type".into(), "opt".into());
            }
            Role::Repack { locale: l, .. } => {
                attributes.insert("build_type".into(), "opt".into());
                attributes.insert("locale".into(), locale(l).into());
            }
            _ => {}
        }
        let ran = matches!(status.state, JobState::Running | JobState::Completed);
        let machine = ran.then(|| self.machine(role, status.result));
        let guid = task_id(&mut self.rng);
        let failed = status.state == JobState::Completed
            && matches!(
                status.result,
                JobResult::TestFailed | JobResult::Busted | JobResult::Exception
            );
        let count = u32::try_from(self.pushes.len()).unwrap_or(u32::MAX);
        let recent = push.is_some_and(|p| p + LOGGED_PUSHES >= count);
        let logs = if failed && recent {
            vec![NewLog {
                name: "live_backing.log".to_owned(),
                url: format!(
                    "https://logs.demo.invalid/{}/{guid}/live_backing.log",
                    self.spec.name
                ),
            }]
        } else {
            Vec::new()
        };
        NewJob {
            revision: push.and_then(|p| self.pushes.get(p as usize).map(|r| r.revision.clone())),
            repository: self.spec.name.to_owned(),
            guid,
            kind,
            name,
            symbol: Some(symbol).filter(|s| !s.is_empty()),
            group_symbol: Some(group.0.to_owned()).filter(|s| !s.is_empty()),
            group_name: Some(group.1.to_owned()).filter(|s| !s.is_empty()),
            platform: Some(platform_name.to_owned()),
            build_system: Some(BUILD_SYSTEM.to_owned()),
            state: status.state,
            result: status.result,
            tier,
            machine,
            submitted_at: Some(submitted),
            started_at: status.started_at,
            finished_at: status.finished_at,
            attributes,
            logs,
            artifacts: Vec::new(),
        }
    }

    /// The machine a job ran on: builders for builds, the platform's testers for tests. The
    /// flaky machine takes half of linux64's test failures besides its share of the rest.
    fn machine(&mut self, role: Role, result: JobResult) -> String {
        let (prefix, pool) = match role {
            Role::Test { platform, .. } => PLATFORMS[platform % PLATFORMS.len()].testers,
            Role::Scheduled { .. } => PLATFORMS[0].testers,
            _ => BUILDERS,
        };
        let linux_test = matches!(role, Role::Test { platform: 0, .. });
        if linux_test && result == JobResult::TestFailed && self.rng.random_bool(0.5) {
            return FLAKY_MACHINE.to_owned();
        }
        format!("{prefix}-{:03}", self.rng.random_range(1..=pool))
    }

    /// Writes the repository: its pushes, jobs and edges in one transaction each, then its
    /// nightlies, schedules, parsed logs and test results.
    async fn write(mut self, store: &Store, filled: &mut Filled) -> Result<(), DemoError> {
        let spec = self.spec;
        store
            .create_repository(NewRepository {
                name: spec.name.to_owned(),
                vcs: spec.vcs,
                url: spec.url.to_owned(),
                indexed_attributes: vec!["build_type".to_owned()],
                branch: spec.branch.map(str::to_owned),
            })
            .await?;
        let mut phase = Instant::now();
        let mut done = |what: &str| {
            tracing::debug!(
                repository = spec.name,
                ms = phase.elapsed().as_millis(),
                "demo: {what}"
            );
            phase = Instant::now();
        };
        let pushes = std::mem::take(&mut self.pushes);
        let revisions: Vec<Revision> = pushes.iter().map(|p| p.revision.clone()).collect();
        filled.pushes += store
            .store_pushes(spec.name.to_owned(), pushes)
            .await?
            .len();

        let jobs = std::mem::take(&mut self.jobs);
        let logged: Vec<(String, Role)> = jobs
            .iter()
            .zip(&self.roles)
            .filter(|(job, _)| !job.logs.is_empty())
            .map(|(job, role)| (job.guid.clone(), *role))
            .collect();
        let statuses: Vec<(JobState, JobResult, Option<i64>)> = jobs
            .iter()
            .map(|j| (j.state, j.result, j.finished_at))
            .collect();
        let guids: Vec<String> = jobs.iter().map(|j| j.guid.clone()).collect();
        let stored = store.submit_jobs(jobs).await?;
        filled.jobs += stored.len();
        done("pushes and jobs");
        let edges = std::mem::take(&mut self.edges);
        filled.edges += store.add_dependencies(edges).await?;
        done("edges");

        // Nightlies every `release_every` pushes, counting back from the newest; each waits
        // for its push's builds and repacks.
        if spec.release_every > 0 {
            let count = u32::try_from(revisions.len()).unwrap_or(u32::MAX);
            let nightlies = (0..count).filter(|p| (count - 1 - p) % spec.release_every == 0);
            let mut finished = Vec::new();
            for (number, push) in nightlies.enumerate() {
                let (Some(gates), Some(revision)) =
                    (self.gates.get(push as usize), revisions.get(push as usize))
                else {
                    continue;
                };
                let build_number = i32::try_from(number + 1).unwrap_or(i32::MAX);
                let guid = task_id(&mut self.rng);
                let mut locales: Vec<String> = LOCALES[..spec.locales.min(LOCALES.len())]
                    .iter()
                    .map(|l| (*l).to_owned())
                    .collect();
                // A locale that ships without a repack yet: a hole in the matrix.
                locales.push("zh-TW".to_owned());
                store
                    .create_release(NewRelease {
                        product: "firefox".to_owned(),
                        version: NIGHTLY.to_owned(),
                        build_number,
                        channel: "nightly".to_owned(),
                        repository: spec.name.to_owned(),
                        revision: revision.clone(),
                        guid: Some(guid.clone()),
                        gates: gates.iter().map(|&g| guids[g].clone()).collect(),
                        locales,
                    })
                    .await?;
                filled.releases += 1;
                // Shipped once every gate succeeded and the release job had time to run.
                let green = gates.iter().all(|&g| {
                    statuses[g].0 == JobState::Completed && statuses[g].1 == JobResult::Success
                });
                let last = gates.iter().filter_map(|&g| statuses[g].2).max();
                if let (true, Some(last)) = (green, last) {
                    let started = last + 5 * MINUTE;
                    let done = started + 15 * MINUTE;
                    if started <= self.now {
                        finished.push(release_job(
                            spec.name,
                            guid,
                            revision.clone(),
                            build_number,
                            started,
                            (done <= self.now).then_some(done),
                        ));
                    }
                }
            }
            if !finished.is_empty() {
                store.submit_jobs(finished).await?;
            }
        }

        if spec.scheduled > 0 {
            for (name, _) in SCHEDULED {
                store
                    .declare_schedule(spec.name.to_owned(), (*name).to_owned(), SCHEDULE_EVERY)
                    .await?;
            }
        }

        done("nightlies and schedules");
        // Logs: generated, parsed by the worker's parser, stored as the worker stores them.
        let by_guid: HashMap<&str, &treeherd_store::Job> =
            stored.iter().map(|j| (j.guid.as_str(), j)).collect();
        let jobs: Vec<(&treeherd_store::Job, Role)> = logged
            .iter()
            .filter_map(|(guid, role)| by_guid.get(guid.as_str()).map(|j| (*j, *role)))
            .collect();
        let logs = store
            .logs_of(jobs.iter().map(|(j, _)| j.id).collect())
            .await?;
        for (job, role) in jobs {
            let (text, failures) = log_text(job, role, &mut self.rng);
            for log in logs.get(&job.id).into_iter().flatten() {
                let parsed = crate::log_worker::parse_log(&log.name, &log.url, text.as_bytes())?;
                store.store_parsed_log(log.id, parsed, self.now).await?;
                filled.logs += 1;
            }
            if !failures.is_empty() {
                store
                    .submit_test_results(job.guid.clone(), test_results(role, &failures))
                    .await?;
            }
        }
        done("logs and test results");
        Ok(())
    }
}

/// The suite and chunk of a build's `n`th test.
fn suite_chunk(n: usize) -> (usize, u32) {
    let per_round: u32 = SUITES.iter().map(|s| s.chunks).sum();
    let mut left = u32::try_from(n).unwrap_or(0) % per_round.max(1);
    for (index, suite) in SUITES.iter().enumerate() {
        if left < suite.chunks {
            return (index, left + 1);
        }
        left -= suite.chunks;
    }
    (0, 1)
}

/// Which scheduled job runs beside push `push`: they take turns; bouncer-check stopped
/// running six hours ago, so it shows as overdue.
fn scheduled_name(push: u32, pushes: u32) -> usize {
    match push % 4 {
        3 if push + 12 < pushes => 3,
        3 => 0,
        n => n as usize,
    }
}

/// The finished release job of a nightly, as its build system would report it.
fn release_job(
    repository: &str,
    guid: String,
    revision: Revision,
    build_number: i32,
    started: i64,
    finished: Option<i64>,
) -> NewJob {
    NewJob {
        guid,
        repository: repository.to_owned(),
        revision: Some(revision),
        kind: JobKind::Release,
        name: format!("release firefox {NIGHTLY} build{build_number}"),
        symbol: Some(format!("R{build_number}")),
        group_symbol: None,
        group_name: None,
        platform: None,
        build_system: Some(BUILD_SYSTEM.to_owned()),
        state: if finished.is_some() {
            JobState::Completed
        } else {
            JobState::Running
        },
        result: if finished.is_some() {
            JobResult::Success
        } else {
            JobResult::Unknown
        },
        tier: 1,
        machine: None,
        submitted_at: Some(started),
        started_at: Some(started),
        finished_at: finished,
        attributes: serde_json::Map::new(),
        logs: Vec::new(),
        artifacts: Vec::new(),
    }
}

/// A push of `spec` landed at `landed`: hg pushes carry their id, git pushes are numbered by
/// the store. mozilla-central's are merges of many commits.
fn push_record(
    spec: &RepoSpec,
    push: u32,
    landed: i64,
    rng: &mut StdRng,
) -> Result<PushRecord, DemoError> {
    let count = rng.random_range(spec.commits.0..=spec.commits.1);
    let mut commits = Vec::with_capacity(count as usize + 1);
    let mut parents: Vec<Revision> = Vec::new();
    for _ in 0..count {
        let (name, email) = AUTHORS[rng.random_range(0..AUTHORS.len())];
        let revision = revision(rng)?;
        let message = format!(
            "Bug {} - {}. r={}\n\nDifferential Revision: https://phabricator.services.mozilla.com/D{}",
            rng.random_range(1_900_000..1_940_000),
            CHANGES[rng.random_range(0..CHANGES.len())],
            REVIEWERS[rng.random_range(0..REVIEWERS.len())],
            rng.random_range(220_000..240_000),
        );
        commits.push(commit(
            spec,
            revision.clone(),
            name,
            email,
            message,
            &parents,
        ));
        parents = vec![revision];
    }
    if spec.name == "mozilla-central" {
        let revision = revision(rng)?;
        let message = "Merge autoland to mozilla-central. a=merge".to_owned();
        commits.push(commit(
            spec,
            revision,
            "Sandor Molnar",
            "smolnar@mozilla.com",
            message,
            &parents,
        ));
    }
    let Some(tip) = commits.last() else {
        return Err(DemoError::Invalid(format!("push {push} has no commits")));
    };
    Ok(PushRecord {
        push_id: (spec.vcs == Vcs::Hg).then_some(i64::from(push) + 1),
        revision: tip.revision.clone(),
        author: author_email(&tip.author),
        pushed_at: landed,
        commits,
    })
}

fn commit(
    spec: &RepoSpec,
    revision: Revision,
    name: &str,
    email: &str,
    message: String,
    parents: &[Revision],
) -> CommitRecord {
    CommitRecord {
        revision,
        author: format!("{name} <{email}>"),
        message,
        branch: (spec.vcs == Vcs::Hg).then(|| "default".to_owned()),
        tags: Vec::new(),
        files: Vec::new(),
        parents: parents.to_vec(),
    }
}

fn author_email(author: &str) -> String {
    author
        .split_once('<')
        .and_then(|(_, rest)| rest.strip_suffix('>'))
        .unwrap_or(author)
        .to_owned()
}

fn revision(rng: &mut StdRng) -> Result<Revision, DemoError> {
    let text = format!(
        "{:016x}{:016x}{:08x}",
        rng.random::<u64>(),
        rng.random::<u64>(),
        rng.random::<u32>()
    );
    text.parse()
        .map_err(|e: treeherd_model::InvalidRevision| DemoError::Invalid(e.to_string()))
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

/// FNV-1a: a stable per-repository seed from its name.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
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
        let mut repo = central(7);
        let (i, failed) = repo
            .jobs
            .iter()
            .enumerate()
            .find(|(_, j)| j.result == JobResult::TestFailed && !j.logs.is_empty())
            .unwrap();
        let role = repo.roles[i];
        let job = treeherd_store::Job {
            id: 1,
            guid: failed.guid.clone(),
            repository_id: 1,
            push_row_id: Some(1),
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
        let (text, failures) = log_text(&job, role, &mut repo.rng);
        let parsed = crate::log_worker::parse_log("live_backing.log", "", text.as_bytes()).unwrap();
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
