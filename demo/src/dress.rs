//! Dressing a generated graph as one repository's pushes and jobs: the graph crate's
//! Firefox-shaped generator gives the shape (who depends on whom); this gives each push its
//! commits and each job its name, symbol, platform, machine, times and result, the way
//! Firefox CI would report them.

use super::*;

impl<'a> Repo<'a> {
    pub(super) fn new(
        spec: &'a RepoSpec,
        pushes: u32,
        seed: u64,
        now: i64,
    ) -> Result<Repo<'a>, DemoError> {
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
    pub(super) fn job(
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
        let machine = ran.then(|| self.machine(role, status.state, status.result));
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
                url: logs::log_url(&guid, role),
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
    /// flaky machine takes half of linux64's test failures besides its share of the rest, and
    /// runs nothing now: it is quarantined when the fill ends, after its last job finished.
    pub(super) fn machine(&mut self, role: Role, state: JobState, result: JobResult) -> String {
        let (prefix, pool) = match role {
            Role::Test { platform, .. } => PLATFORMS[platform % PLATFORMS.len()].testers,
            Role::Scheduled { .. } => PLATFORMS[0].testers,
            _ => BUILDERS,
        };
        let linux_test = matches!(role, Role::Test { platform: 0, .. });
        if linux_test && result == JobResult::TestFailed && self.rng.random_bool(0.5) {
            return FLAKY_MACHINE.to_owned();
        }
        loop {
            let name = format!("{prefix}-{:03}", self.rng.random_range(1..=pool));
            if name != FLAKY_MACHINE || state == JobState::Completed || pool < 2 {
                return name;
            }
        }
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
