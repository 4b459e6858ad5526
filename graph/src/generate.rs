//! Firefox-shaped job graphs for tests, benchmarks and (later) the store's seed data.
//!
//! Pure and deterministic from a seed (a splitmix64 generator, not `rand`, so the graph crate
//! stays dependency-light and a seed means the same graph on every platform). Per push:
//! a docker-image and a toolchain job, builds (one per platform) that fan out to tests and
//! locale repacks, and one release job fanning in over the lot; beside the pushes, scheduled
//! jobs that belong to none, and repacks of older pushes' nightlies. Tests also depend on the
//! push's docker image and repacks on its toolchain (GENERIC edges), which brings the graph
//! to about three edges per job, like the real one.
//!
//! States follow a simulated clock: each push lands `push_interval` after the previous one,
//! a job starts after its dependencies finish plus a queue delay, and whatever has not
//! started or finished by `now` is pending, unscheduled or running. Most old jobs completed
//! with success; a few failed, and their dependents stay unscheduled.

use treeherd_model::{DependencyKind, JobKind, JobResult, JobState};

use crate::{GraphError, JobGraph, JobGraphBuilder, JobId, JobStatus};

const MINUTE: i64 = 60_000_000;

/// The shape of a generated graph. Times are microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub pushes: u32,
    /// Platforms built per push.
    pub builds_per_push: u32,
    pub tests_per_build: u32,
    pub repacks_per_build: u32,
    /// Scheduled jobs (no push) generated beside each push.
    pub scheduled_per_push: u32,
    /// Repacks per push of a build from one of the previous pushes.
    pub cross_push_repacks: u32,
    pub first_id: i64,
    /// The simulated present: the last push lands one interval before it.
    pub now: i64,
    pub push_interval: i64,
    pub seed: u64,
}

impl Default for Params {
    /// Ten pushes of twenty platforms: about 28,000 jobs and 85,000 edges.
    fn default() -> Self {
        Params {
            pushes: 10,
            builds_per_push: 20,
            tests_per_build: 40,
            repacks_per_build: 100,
            scheduled_per_push: 2,
            cross_push_repacks: 3,
            first_id: 1,
            now: 1_750_000_000_000_000,
            push_interval: 10 * MINUTE,
            seed: 0x7EE7_4E8D,
        }
    }
}

impl Params {
    /// The default shape with the given number of pushes and builds per push.
    pub fn firefox(pushes: u32, builds_per_push: u32) -> Self {
        Params {
            pushes,
            builds_per_push,
            ..Params::default()
        }
    }

    /// The default shape with enough pushes for about `jobs` jobs (1,000,000 gives
    /// 354 pushes, 1.0 M jobs and 3.0 M edges).
    pub fn for_jobs(jobs: u64) -> Self {
        let mut params = Params::default();
        params.pushes = u32::try_from(jobs.div_ceil(params.jobs_per_push())).unwrap_or(u32::MAX);
        params
    }

    /// Jobs generated in all (the first push has no earlier push to repack).
    pub fn job_count(&self) -> u64 {
        let first_push_repacks = if self.pushes > 0 {
            u64::from(self.cross_push_repacks)
        } else {
            0
        };
        self.jobs_per_push() * u64::from(self.pushes) - first_push_repacks
    }

    /// Jobs generated per push, scheduled and cross-push ones included.
    pub fn jobs_per_push(&self) -> u64 {
        let builds = u64::from(self.builds_per_push);
        3 + builds * (1 + u64::from(self.tests_per_build) + u64::from(self.repacks_per_build))
            + u64::from(self.scheduled_per_push)
            + u64::from(self.cross_push_repacks)
    }
}

/// A generated job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    /// The push's index, `None` for scheduled jobs.
    pub push: Option<u32>,
    pub status: JobStatus,
}

/// A generated edge: `dependent` depends on `dependency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub dependent: JobId,
    pub dependency: JobId,
    pub kind: DependencyKind,
}

/// The landmarks of one push, for picking question targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub docker_image: JobId,
    pub toolchain: JobId,
    pub builds: Vec<JobId>,
    pub release: JobId,
}

/// A generated graph: jobs in id order (every job after the jobs it depends on), edges
/// grouped by dependent, and each push's landmarks.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub jobs: Vec<Job>,
    pub edges: Vec<Edge>,
    pub pushes: Vec<Push>,
}

impl Generated {
    /// Loads everything into a graph through the bulk path.
    ///
    /// # Errors
    /// None for a generated graph; the signature is the builder's.
    pub fn to_graph(&self) -> Result<JobGraph, GraphError> {
        let mut builder = JobGraphBuilder::with_capacity(self.jobs.len(), self.edges.len());
        for job in &self.jobs {
            builder.upsert_job(job.id, job.status);
        }
        builder.extend_edges(
            self.edges
                .iter()
                .map(|e| (e.dependent, e.dependency, e.kind)),
        )?;
        builder.build()
    }
}

/// Generates a graph of the given shape.
pub fn generate(params: &Params) -> Generated {
    let jobs = usize::try_from(params.job_count()).unwrap_or(0);
    let mut g = Generator {
        params: params.clone(),
        rng: SplitMix64(params.seed),
        out: Generated {
            jobs: Vec::with_capacity(jobs),
            edges: Vec::with_capacity(jobs * 3),
            pushes: Vec::with_capacity(params.pushes as usize),
        },
    };
    for push in 0..params.pushes {
        g.push(push);
    }
    g.out
}

/// Failure odds per kind of job, in parts per thousand.
const BUILD_FAILURES: &[(JobResult, u64)] = &[(JobResult::Busted, 15), (JobResult::Exception, 5)];
const TEST_FAILURES: &[(JobResult, u64)] = &[
    (JobResult::TestFailed, 30),
    (JobResult::Exception, 3),
    (JobResult::Retry, 3),
    (JobResult::UserCancel, 1),
];
const REPACK_FAILURES: &[(JobResult, u64)] = &[(JobResult::Busted, 8), (JobResult::Retry, 2)];
const RARE_FAILURES: &[(JobResult, u64)] = &[(JobResult::Exception, 5)];

struct Generator {
    params: Params,
    rng: SplitMix64,
    out: Generated,
}

/// How a job runs once its dependencies allow: minutes of work (a range) and failure odds.
struct Run {
    minutes: (i64, i64),
    failures: &'static [(JobResult, u64)],
}

impl Generator {
    fn push(&mut self, push: u32) {
        use DependencyKind::{Generic, L10nRepack, Release, Test};
        let p = &self.params;
        let landed = p.now - i64::from(p.pushes - push) * p.push_interval;
        let (builds, tests, repacks) = (p.builds_per_push, p.tests_per_build, p.repacks_per_build);
        let (scheduled, cross) = (p.scheduled_per_push, p.cross_push_repacks);
        let on = Some(push);
        let quick = Run {
            minutes: (5, 15),
            failures: RARE_FAILURES,
        };

        let docker = self.job(JobKind::Other, on, &[], landed, &quick);
        let toolchain = self.job(
            JobKind::Other,
            on,
            &[],
            landed,
            &Run {
                minutes: (10, 30),
                ..quick
            },
        );
        let mut fan_in = Vec::with_capacity((builds * (1 + tests + repacks)) as usize);
        let mut build_ids = Vec::with_capacity(builds as usize);
        for _ in 0..builds {
            let build_run = Run {
                minutes: (30, 90),
                failures: BUILD_FAILURES,
            };
            let build = self.job(
                JobKind::Build,
                on,
                &[(docker, Generic), (toolchain, Generic)],
                landed,
                &build_run,
            );
            build_ids.push(build);
            fan_in.push((build, Release));
            let test_run = Run {
                minutes: (5, 40),
                failures: TEST_FAILURES,
            };
            for _ in 0..tests {
                let test = self.job(
                    JobKind::Test,
                    on,
                    &[(build, Test), (docker, Generic)],
                    landed,
                    &test_run,
                );
                fan_in.push((test, Release));
            }
            let repack_run = Run {
                minutes: (3, 10),
                failures: REPACK_FAILURES,
            };
            for _ in 0..repacks {
                let repack = self.job(
                    JobKind::L10nRepack,
                    on,
                    &[(build, L10nRepack), (toolchain, Generic)],
                    landed,
                    &repack_run,
                );
                fan_in.push((repack, Release));
            }
        }
        let release = self.job(
            JobKind::Release,
            on,
            &fan_in,
            landed,
            &Run {
                minutes: (10, 20),
                failures: BUILD_FAILURES,
            },
        );

        // Nightlies of earlier pushes get repacked again (new locales, fixes).
        if push > 0 {
            for _ in 0..cross {
                let back = 1 + self.rng.below(u64::from(push.min(20))) as usize;
                let older = &self.out.pushes[self.out.pushes.len() - back];
                let build = older.builds[self.rng.below(older.builds.len() as u64) as usize];
                let run = Run {
                    minutes: (3, 10),
                    failures: REPACK_FAILURES,
                };
                self.job(
                    JobKind::L10nRepack,
                    on,
                    &[(build, L10nRepack), (toolchain, Generic)],
                    landed,
                    &run,
                );
            }
        }
        // Scheduled jobs (valgrind, QA update tests) belong to no push; half of them test the
        // latest nightly build.
        for _ in 0..scheduled {
            let deps: Vec<_> = match self.out.pushes.last() {
                Some(last) if self.rng.below(2) == 0 => {
                    vec![(
                        last.builds[self.rng.below(last.builds.len() as u64) as usize],
                        Generic,
                    )]
                }
                _ => Vec::new(),
            };
            let run = Run {
                minutes: (20, 60),
                failures: TEST_FAILURES,
            };
            self.job(JobKind::Scheduled, None, &deps, landed, &run);
        }
        self.out.pushes.push(Push {
            docker_image: docker,
            toolchain,
            builds: build_ids,
            release,
        });
    }

    /// Adds a job and its edges, with the state the simulated clock gives it.
    fn job(
        &mut self,
        kind: JobKind,
        push: Option<u32>,
        deps: &[(JobId, DependencyKind)],
        landed: i64,
        run: &Run,
    ) -> JobId {
        let first = self.params.first_id;
        let id = JobId(first + self.out.jobs.len() as i64);
        let mut free_at = landed;
        let mut blocked = false;
        for &(dep, kind) in deps {
            self.out.edges.push(Edge {
                dependent: id,
                dependency: dep,
                kind,
            });
            let status = self.out.jobs[(dep.0 - first) as usize].status;
            blocked |= !status.is_satisfied();
            free_at = free_at.max(status.finished_at.unwrap_or(landed));
        }
        let status = if blocked {
            JobStatus::waiting(JobState::Unscheduled)
        } else {
            self.run(free_at, run)
        };
        self.out.jobs.push(Job {
            id,
            kind,
            push,
            status,
        });
        id
    }

    fn run(&mut self, free_at: i64, run: &Run) -> JobStatus {
        let now = self.params.now;
        let started = free_at + self.rng.range(0, 5 * MINUTE);
        if started > now {
            return JobStatus::waiting(JobState::Pending);
        }
        let finished = started
            + self
                .rng
                .range(run.minutes.0 * MINUTE, run.minutes.1 * MINUTE);
        if finished > now {
            return JobStatus {
                state: JobState::Running,
                result: JobResult::Unknown,
                started_at: Some(started),
                finished_at: None,
            };
        }
        let mut roll = self.rng.below(1000);
        let mut result = JobResult::Success;
        for &(failure, odds) in run.failures {
            if roll < odds {
                result = failure;
                break;
            }
            roll -= odds;
        }
        JobStatus {
            state: JobState::Completed,
            result,
            started_at: Some(started),
            finished_at: Some(finished),
        }
    }
}

/// Vigna's splitmix64: tiny, fast, and good enough to shape test data.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0); the modulo bias is irrelevant here.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// A number in `low..high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + self.below(high.saturating_sub(low).max(1) as u64) as i64
    }
}
