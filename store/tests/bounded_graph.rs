//! A graph under a memory budget answers as the whole graph does: property tests over
//! generated histories, on a temporary SQLite file or a fresh PostgreSQL database
//! (`TREEHERD_TEST_POSTGRES_URL`).
//!
//! Each history is the graph crate's generator (pushes of builds, tests, l10n repacks of this
//! push's and older pushes' nightlies, a release per push) plus releases that gate many
//! pushes and edges from older jobs to newer ones. It is written through a store whose graph
//! holds a few dozen jobs, so most of it is let go while it is written and its cycle checks
//! cross what it holds. Then every question is asked of every job through that store, through
//! a store that holds everything, and through a store that starts cold under the budget; the
//! answers must be equal, and the budgeted stores must have answered both ways.

use std::sync::atomic::{AtomicU32, Ordering};
use treeherd_graph::generate::{Params, generate};
use treeherd_graph::{GraphError, JobGraph, KindFilter, Reached};
use treeherd_model::{DependencyKind, JobKind, JobState, NewJob, Vcs};
use treeherd_store::testing::PostgresTestDatabase;
use treeherd_store::{
    DatabaseUrl, GraphScope, JobId, NewDependency, NewRepository, Store, StoreError, StoreOptions,
};

/// Enough for a few dozen jobs: the histories below hold several hundred.
const BUDGET: usize = 8 * 1024;

/// A database of its own, removed when dropped, and its URL.
struct Database {
    url: DatabaseUrl,
    _sqlite: Option<tempfile::TempDir>,
    _postgres: Option<PostgresTestDatabase>,
}

fn database(seed: u64) -> Database {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    match std::env::var("TREEHERD_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin) => {
            let name = format!(
                "treeherd_bounded_{}_{}_{seed}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let db = PostgresTestDatabase::create(&admin, &name).expect("a test database");
            Database {
                url: DatabaseUrl::parse(db.url()).expect("a database url"),
                _sqlite: None,
                _postgres: Some(db),
            }
        }
        None => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let url = format!("sqlite://{}", dir.path().join("bounded.db").display());
            Database {
                url: DatabaseUrl::parse(&url).expect("a database url"),
                _sqlite: Some(dir),
                _postgres: None,
            }
        }
    }
}

fn open(url: &DatabaseUrl, budget: Option<usize>) -> Store {
    let options = StoreOptions {
        graph_budget: budget,
        ..StoreOptions::default()
    };
    Store::open(url, &options).expect("open the store")
}

/// splitmix64: the test's own choices, reproducible from the seed.
struct Choices(u64);

impl Choices {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    }
}

fn new_job(guid: String, kind: JobKind, status: treeherd_graph::JobStatus) -> NewJob {
    NewJob {
        name: format!("{} {guid}", kind.as_str()),
        guid,
        repository: "a".into(),
        revision: None,
        kind,
        symbol: None,
        group_symbol: None,
        group_name: None,
        platform: Some("linux64".into()),
        build_system: Some("taskcluster".into()),
        state: status.state,
        result: status.result,
        tier: 1,
        machine: None,
        submitted_at: status.started_at,
        started_at: status.started_at,
        finished_at: status.finished_at,
        attributes: serde_json::Map::new(),
        logs: Vec::new(),
        artifacts: Vec::new(),
    }
}

fn edge(dependent: &str, dependency: &str, kind: DependencyKind) -> NewDependency {
    NewDependency {
        dependent: dependent.into(),
        dependency: dependency.into(),
        kind,
    }
}

/// Writes a generated history through `store`, a push at a time; returns the guids in the
/// order written.
async fn write_history(store: &Store, seed: u64, choices: &mut Choices) -> Vec<String> {
    let params = Params {
        pushes: 16,
        builds_per_push: 2,
        tests_per_build: 4,
        repacks_per_build: 3,
        scheduled_per_push: 1,
        cross_push_repacks: 2,
        seed,
        ..Params::default()
    };
    let generated = generate(&params);
    let guid = |id: JobId| format!("g{}", id.0);
    let mut written = Vec::new();
    let mut edges = generated.edges.iter().peekable();
    for chunk in generated.jobs.chunks(24) {
        let jobs: Vec<NewJob> = chunk
            .iter()
            .map(|j| new_job(guid(j.id), j.kind, j.status))
            .collect();
        written.extend(jobs.iter().map(|j| j.guid.clone()));
        store.submit_jobs(jobs).await.expect("jobs");
        let last = chunk.last().map_or(JobId(0), |j| j.id);
        let mut batch = Vec::new();
        while let Some(e) = edges.next_if(|e| e.dependent <= last) {
            batch.push(edge(&guid(e.dependent), &guid(e.dependency), e.kind));
        }
        store.add_dependencies(batch).await.expect("edges");
    }
    // Releases that gate many pushes: each waits on the releases of several older pushes.
    for r in 0..3 {
        let name = format!("gate{r}");
        let status = treeherd_graph::JobStatus::waiting(JobState::Unscheduled);
        store
            .submit_jobs(vec![new_job(name.clone(), JobKind::Release, status)])
            .await
            .expect("a release");
        let gates: Vec<NewDependency> = (0..5)
            .map(|_| {
                let push = &generated.pushes[choices.below(generated.pushes.len())];
                edge(&name, &guid(push.release), DependencyKind::Release)
            })
            .collect();
        store.add_dependencies(gates).await.expect("gates");
        written.push(name);
    }
    written
}

/// Edges between random jobs, old to new and new to old: those that close no cycle are
/// written, and the store must refuse exactly those that would (judged by the whole graph).
async fn cross_edges(store: &Store, whole: &Store, guids: &[String], choices: &mut Choices) {
    let ids = ids_of(whole, guids).await;
    for _ in 0..40 {
        let (a, b) = (choices.below(guids.len()), choices.below(guids.len()));
        if a == b {
            continue;
        }
        let (dependent, dependency) = (ids[a], ids[b]);
        // The edge closes a cycle when the dependency already depends on the dependent.
        let closes = whole
            .with_graph(GraphScope::ancestors(dependency), move |g| {
                g.ancestors(dependency, KindFilter::ALL, None)
                    .map(|r| r.iter().any(|r| r.job == dependent))
            })
            .await
            .expect("graph")
            .expect("known");
        let written = store
            .add_dependencies(vec![edge(&guids[a], &guids[b], DependencyKind::Generic)])
            .await;
        match written {
            Ok(_) => assert!(!closes, "{} -> {} closed a cycle", guids[a], guids[b]),
            Err(StoreError::Conflict(_)) => {
                assert!(closes, "{} -> {} refused", guids[a], guids[b])
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Every question of one job, as the store answers it.
#[derive(Debug, PartialEq)]
struct Answers {
    ancestors: Vec<Reached>,
    ancestors_2: Vec<Reached>,
    descendants: Vec<Reached>,
    build_descendants: Vec<Reached>,
    blockers: Vec<Reached>,
    impact: Vec<Reached>,
    critical: (Vec<JobId>, u64),
    ready: Vec<JobId>,
    path_to: Option<Vec<JobId>>,
    dependencies: Vec<(JobId, DependencyKind)>,
}

type Walk = fn(&JobGraph, JobId) -> Result<Vec<Reached>, GraphError>;

async fn walk(store: &Store, scope: GraphScope, job: JobId, question: Walk) -> Vec<Reached> {
    store
        .with_graph(scope, move |g| question(g, job))
        .await
        .expect("graph")
        .expect("a known job")
}

async fn answers(store: &Store, job: JobId, other: JobId) -> Answers {
    let up = || GraphScope::ancestors(job);
    let down = || GraphScope::descendants(job);
    let all = KindFilter::ALL;
    Answers {
        ancestors: walk(store, up(), job, |g, j| {
            g.ancestors(j, KindFilter::ALL, None)
        })
        .await,
        ancestors_2: walk(store, up(), job, |g, j| {
            g.ancestors(j, KindFilter::ALL, Some(2))
        })
        .await,
        descendants: walk(store, down(), job, |g, j| {
            g.descendants(j, KindFilter::ALL, None)
        })
        .await,
        build_descendants: walk(store, down(), job, |g, j| {
            let builds = KindFilter::of(&[DependencyKind::Test, DependencyKind::L10nRepack]);
            g.descendants(j, builds, None)
        })
        .await,
        blockers: walk(store, up(), job, |g, j| {
            g.blockers(j, KindFilter::ALL, None)
        })
        .await,
        impact: walk(store, down(), job, |g, j| {
            g.impact(j, KindFilter::ALL, None)
        })
        .await,
        critical: store
            .with_graph(up(), move |g| {
                g.critical_path(job, all, 1_750_000_000_000_000)
                    .map(|p| (p.jobs, (p.total_seconds * 1e6) as u64))
            })
            .await
            .expect("graph")
            .expect("a known job"),
        ready: store
            .with_graph(
                GraphScope::direct_dependencies(vec![job, other]),
                move |g| g.ready_among([job, other], all).collect(),
            )
            .await
            .expect("graph"),
        path_to: store
            .with_graph(GraphScope::between(job, other), move |g| {
                g.shortest_path(job, other, all)
            })
            .await
            .expect("graph")
            .expect("known jobs"),
        dependencies: store
            .with_graph(GraphScope::direct_dependencies(vec![job]), move |g| {
                g.dependencies(job, all)
            })
            .await
            .expect("graph")
            .expect("a known job"),
    }
}

/// The store's ids of the given guids, in their order.
async fn ids_of(store: &Store, guids: &[String]) -> Vec<JobId> {
    let mut ids = Vec::with_capacity(guids.len());
    for guid in guids {
        let job = store
            .job(guid.clone())
            .await
            .expect("a job")
            .expect("stored");
        ids.push(job.id);
    }
    ids
}

async fn histories_answer_alike(seed: u64) {
    let db = database(seed);
    let bounded = open(&db.url, Some(BUDGET));
    bounded.migrate().expect("migrate");
    bounded
        .create_repository(NewRepository {
            name: "a".into(),
            vcs: Vcs::Hg,
            url: "https://hg.example.org/a".into(),
            indexed_attributes: Vec::new(),
            branch: None,
        })
        .await
        .expect("a repository");
    let mut choices = Choices(seed);
    bounded.load_graph().await.expect("load");
    let guids = write_history(&bounded, seed, &mut choices).await;
    let whole = open(&db.url, None);
    cross_edges(&bounded, &whole, &guids, &mut choices).await;

    let cold = open(&db.url, Some(BUDGET));
    let ids = ids_of(&whole, &guids).await;
    for (i, &job) in ids.iter().enumerate() {
        let other = ids[choices.below(ids.len())];
        let expected = answers(&whole, job, other).await;
        assert_eq!(
            answers(&bounded, job, other).await,
            expected,
            "seed {seed}: {} answered differently under the budget",
            guids[i]
        );
        assert_eq!(
            answers(&cold, job, other).await,
            expected,
            "seed {seed}: {} answered differently after a cold start under the budget",
            guids[i]
        );
    }
    for (name, store) in [("written through", &bounded), ("cold", &cold)] {
        let size = store.load_graph().await.expect("size");
        assert!(
            size.bytes <= BUDGET,
            "{name}: {} bytes over a budget of {BUDGET}",
            size.bytes
        );
        assert!(
            size.jobs < guids.len() / 4,
            "{name}: holds {} of {} jobs",
            size.jobs,
            guids.len()
        );
        assert!(
            size.answered_held > 0 && size.answered_from_store > 0,
            "{name}: answered {} held and {} from the store",
            size.answered_held,
            size.answered_from_store
        );
    }
    let whole_size = whole.load_graph().await.expect("size");
    assert_eq!(whole_size.jobs, guids.len());
    assert_eq!(whole_size.answered_from_store, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budgeted_graph_answers_as_the_whole_graph() {
    for seed in [1, 2, 3] {
        histories_answer_alike(seed).await;
    }
}
