//! The store's own rules, tested through its public API on a fresh database: a temporary
//! SQLite file, or a new PostgreSQL database when `TREEHERD_TEST_POSTGRES_URL` names a
//! server. What the GraphQL and HTTP layers add is tested above them; here only what the store
//! promises every caller: the job lifecycle against what is stored, a guid's repository, an
//! edge waiting for its dependency, and machines following their jobs.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use treeherd_graph::KindFilter;
use treeherd_model::machine_state::{self, MachineStatus};
use treeherd_model::{JobKind, JobResult, JobState, MachineState, NewJob, Vcs};
use treeherd_store::testing::PostgresTestDatabase;
use treeherd_store::{
    DatabaseUrl, GraphScope, JobId, JobMark, MachineFilter, NewDependency, NewRepository,
    PageRequest, Store, StoreError, StoreOptions,
};

/// A store on a database of its own, removed when dropped.
struct TestStore {
    store: Store,
    _database: Database,
}

enum Database {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] PostgresTestDatabase),
}

/// A migrated store on a fresh database with repositories `a` and `b`.
async fn fresh() -> TestStore {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin = std::env::var("TREEHERD_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let (database, url) = match admin {
        Some(admin) => {
            let name = format!(
                "treeherd_rules_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                now() % 1_000_000
            );
            let db = PostgresTestDatabase::create(&admin, &name).expect("a test database");
            let url = db.url().to_owned();
            (Database::Postgres(db), url)
        }
        None => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let url = format!("sqlite://{}", dir.path().join("rules.db").display());
            (Database::Sqlite(dir), url)
        }
    };
    let url = DatabaseUrl::parse(&url).expect("a database url");
    let store = Store::open(&url, &StoreOptions::default()).expect("open the store");
    store.migrate().expect("migrate");
    for name in ["a", "b"] {
        store
            .create_repository(NewRepository {
                name: name.into(),
                vcs: Vcs::Hg,
                url: format!("https://hg.example.org/{name}"),
                indexed_attributes: Vec::new(),
                branch: None,
            })
            .await
            .expect("a repository");
    }
    TestStore {
        store,
        _database: database,
    }
}

/// Unix microseconds now.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn job(guid: &str, repository: &str, state: JobState, result: JobResult) -> NewJob {
    NewJob {
        guid: guid.into(),
        repository: repository.into(),
        revision: None,
        kind: JobKind::Test,
        name: format!("test {guid}"),
        symbol: None,
        group_symbol: None,
        group_name: None,
        platform: Some("linux64".into()),
        build_system: Some("taskcluster".into()),
        state,
        result,
        tier: 1,
        machine: None,
        submitted_at: None,
        started_at: None,
        finished_at: None,
        attributes: serde_json::Map::new(),
        logs: Vec::new(),
        artifacts: Vec::new(),
    }
}

fn on_machine(mut job: NewJob, machine: &str) -> NewJob {
    job.machine = Some(machine.into());
    job
}

async fn stored(store: &Store, guid: &str) -> (JobState, JobResult) {
    let job = store.job(guid.into()).await.expect("read").expect("stored");
    (job.state, job.result)
}

use JobResult::{Busted, Success, Superseded, Unknown};
use JobState::{Completed, Pending, Running};

#[tokio::test]
async fn a_stored_job_never_moves_back_and_says_why() {
    let t = fresh().await;
    t.store
        .submit_jobs(vec![job("j1", "a", Completed, Success)])
        .await
        .expect("completed");
    let written = t
        .store
        .ingest_jobs(
            vec![
                job("j1", "a", Running, Unknown),
                job("j1", "a", Completed, Busted),
            ],
            Vec::new(),
        )
        .await
        .expect("ingested");
    assert_eq!(written.jobs.len(), 1, "one job per guid");
    assert_eq!(
        (written.jobs[0].state, written.jobs[0].result),
        (Completed, Success),
        "the answer is the job as it stands"
    );
    assert_eq!(stored(&t.store, "j1").await, (Completed, Success));
    let reasons: Vec<(usize, &str)> = written
        .ignored
        .iter()
        .map(|i| (i.index, i.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [(
            1,
            "it is stored COMPLETED with result SUCCESS; a completed job changes only to be marked SUPERSEDED or RETRY, so result BUSTED is ignored"
        )],
        "the batch's winning version is refused against what is stored"
    );
}

#[tokio::test]
async fn within_a_batch_a_later_version_wins_only_forward() {
    let t = fresh().await;
    let written = t
        .store
        .ingest_jobs(
            vec![
                job("j1", "a", Running, Unknown),
                job("j1", "a", Pending, Unknown),
                job("j2", "a", Pending, Unknown),
                job("j2", "a", Completed, Success),
            ],
            Vec::new(),
        )
        .await
        .expect("ingested");
    let guids: Vec<&str> = written.jobs.iter().map(|j| j.guid.as_str()).collect();
    assert_eq!(guids, ["j1", "j2"], "first-seen order");
    assert_eq!(stored(&t.store, "j1").await, (Running, Unknown));
    assert_eq!(stored(&t.store, "j2").await, (Completed, Success));
    assert_eq!(written.ignored.len(), 1);
    assert_eq!(written.ignored[0].index, 1);
    assert_eq!(
        written.ignored[0].reason,
        "an earlier version in this batch has it RUNNING; a job's state never moves back, so PENDING is ignored"
    );
}

#[tokio::test]
async fn a_completed_job_is_marked_only_within_its_repository() {
    let t = fresh().await;
    t.store
        .submit_jobs(vec![job("old", "a", Completed, Busted)])
        .await
        .expect("stored");
    let mark = |repository: &str| JobMark {
        guid: "old".into(),
        repository: repository.into(),
        result: Superseded,
    };
    let elsewhere = t
        .store
        .ingest_jobs(Vec::new(), vec![mark("b"), mark("a")])
        .await
        .expect("marked");
    assert_eq!(elsewhere.marked, 1, "the mark from b is skipped");
    assert_eq!(stored(&t.store, "old").await, (Completed, Superseded));
    let again = t
        .store
        .ingest_jobs(Vec::new(), vec![mark("a")])
        .await
        .expect("marked again");
    assert_eq!(
        again.marked, 0,
        "marking it the same way again changes nothing"
    );
}

#[tokio::test]
async fn a_guid_of_another_repository_is_refused_and_nothing_is_written() {
    let t = fresh().await;
    t.store
        .submit_jobs(vec![job("shared", "a", Running, Unknown)])
        .await
        .expect("stored in a");
    let refused = t
        .store
        .submit_jobs(vec![
            job("fresh", "b", Pending, Unknown),
            job("shared", "b", Completed, Success),
        ])
        .await;
    match refused {
        Err(StoreError::Conflict(message)) => assert_eq!(
            message,
            r#"job "shared" belongs to another repository than "b""#
        ),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(
        t.store.job("fresh".into()).await.expect("read").is_none(),
        "the batch is one transaction"
    );
    assert_eq!(stored(&t.store, "shared").await, (Running, Unknown));
}

#[tokio::test]
async fn an_edge_to_a_job_not_yet_stored_binds_when_it_arrives() {
    let t = fresh().await;
    let dependent = t
        .store
        .submit_jobs(vec![job("test", "a", Pending, Unknown)])
        .await
        .expect("dependent")[0]
        .id;
    t.store
        .add_dependencies(vec![NewDependency {
            dependent: "test".into(),
            dependency: "build".into(),
            kind: treeherd_model::DependencyKind::Test,
        }])
        .await
        .expect("an edge to a guid not stored yet");
    let dangling = t
        .store
        .dangling_dependencies_of(vec![dependent])
        .await
        .expect("dangling");
    let waiting: Vec<&str> = dangling
        .get(&dependent)
        .map(|edges| edges.iter().map(|e| e.guid.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(waiting, ["build"]);
    assert!(
        !t.store
            .with_graph(GraphScope::direct_dependencies(vec![dependent]), move |g| g
                .dependencies(dependent, KindFilter::ALL)
                .is_ok_and(|d| !d.is_empty()))
            .await
            .expect("graph"),
        "a dangling edge is not in the graph"
    );

    let dependency = t
        .store
        .submit_jobs(vec![job("build", "a", Running, Unknown)])
        .await
        .expect("dependency")[0]
        .id;
    let bound = t
        .store
        .dependencies_of(vec![dependent])
        .await
        .expect("bound");
    let ids: Vec<JobId> = bound
        .get(&dependent)
        .map(|edges| edges.iter().map(|e| e.job.id).collect())
        .unwrap_or_default();
    assert_eq!(ids, [dependency]);
    let dangling = t
        .store
        .dangling_dependencies_of(vec![dependent])
        .await
        .expect("dangling");
    assert!(dangling.get(&dependent).is_none_or(Vec::is_empty));
    assert!(
        t.store
            .with_graph(GraphScope::direct_dependencies(vec![dependent]), move |g| {
                g.dependencies(dependent, KindFilter::ALL)
                    .is_ok_and(|d| d.iter().any(|(id, _)| *id == dependency))
            })
            .await
            .expect("graph"),
        "the bound edge is in the live graph"
    );
}

async fn machine_state_now(store: &Store, name: &str) -> (MachineState, Option<i64>) {
    let machine = store
        .machine("taskcluster".into(), name.into(), now())
        .await
        .expect("read")
        .expect("known");
    (machine.state, machine.current_job_id)
}

#[tokio::test]
async fn a_machine_follows_its_jobs_writes() {
    let t = fresh().await;
    let pending = t
        .store
        .submit_jobs(vec![on_machine(job("p", "a", Pending, Unknown), "m1")])
        .await
        .expect("pending");
    assert_eq!(pending.len(), 1);
    assert!(
        t.store
            .machine("taskcluster".into(), "m1".into(), now())
            .await
            .expect("read")
            .is_none(),
        "a pending job has not reached its machine"
    );
    let running = t
        .store
        .submit_jobs(vec![on_machine(job("r", "a", Running, Unknown), "m1")])
        .await
        .expect("running")[0]
        .id;
    assert_eq!(
        machine_state_now(&t.store, "m1").await,
        (MachineState::Busy, Some(running.0))
    );
    t.store
        .submit_jobs(vec![on_machine(job("r", "a", Completed, Success), "m1")])
        .await
        .expect("completed");
    assert_eq!(
        machine_state_now(&t.store, "m1").await,
        (MachineState::Idle, None)
    );
    let machine = t
        .store
        .machine("taskcluster".into(), "m1".into(), now())
        .await
        .expect("read")
        .expect("known");
    let history = t
        .store
        .machine_history(vec![machine.id])
        .await
        .expect("history");
    let states: Vec<MachineState> = history
        .get(&machine.id)
        .map(|events| events.iter().map(|e| e.state).collect())
        .unwrap_or_default();
    assert_eq!(states, [MachineState::Busy, MachineState::Idle]);
}

#[tokio::test]
async fn a_quarantine_holds_while_jobs_run_and_offline_does_not() {
    let t = fresh().await;
    t.store
        .submit_jobs(vec![
            on_machine(job("q0", "a", Completed, Success), "q"),
            on_machine(job("o0", "a", Completed, Success), "o"),
        ])
        .await
        .expect("known machines");
    let until = now() + 3_600_000_000;
    for (name, state) in [
        ("q", MachineState::Quarantined),
        ("o", MachineState::Offline),
    ] {
        t.store
            .set_machine_state(
                "taskcluster".into(),
                name.into(),
                state,
                Some("flaky".into()),
                Some(until),
                now(),
            )
            .await
            .expect("set by hand");
    }
    let jobs = t
        .store
        .submit_jobs(vec![
            on_machine(job("q1", "a", Running, Unknown), "q"),
            on_machine(job("o1", "a", Running, Unknown), "o"),
        ])
        .await
        .expect("running");
    let quarantined = t
        .store
        .machine("taskcluster".into(), "q".into(), now())
        .await
        .expect("read")
        .expect("known");
    assert_eq!(
        (
            quarantined.state,
            quarantined.current_job_id,
            quarantined.reason.as_deref()
        ),
        (MachineState::Quarantined, Some(jobs[0].id.0), Some("flaky"))
    );
    let offline = t
        .store
        .machine("taskcluster".into(), "o".into(), now())
        .await
        .expect("read")
        .expect("known");
    assert_eq!(
        (offline.state, offline.reason, offline.until),
        (MachineState::Busy, None, None),
        "an offline machine that runs a job is up again"
    );
    let refused = t
        .store
        .set_machine_state(
            "taskcluster".into(),
            "typo".into(),
            MachineState::Busy,
            None,
            None,
            now(),
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid(m)) if m == "a machine is BUSY when it runs a job; it cannot be set so"),
        "{refused:?}"
    );
}

/// The state filter (SQL) agrees with the rule every machine is read by
/// (`machine_state::state_at`), before, at and after the end of a state set by hand.
#[tokio::test]
async fn the_state_filter_reads_machines_as_the_rule_does() {
    let t = fresh().await;
    t.store
        .submit_jobs(vec![
            on_machine(job("busy", "a", Running, Unknown), "busy"),
            on_machine(job("idle", "a", Completed, Success), "idle"),
            on_machine(job("off-busy", "a", Running, Unknown), "off-busy"),
            on_machine(job("off-idle", "a", Completed, Success), "off-idle"),
            on_machine(job("q-busy", "a", Running, Unknown), "q-busy"),
            on_machine(job("q-idle", "a", Completed, Success), "q-idle"),
            on_machine(job("q-ever", "a", Completed, Success), "q-ever"),
        ])
        .await
        .expect("machines");
    let set = now();
    let until = set + 3_600_000_000;
    for (name, state, end) in [
        ("off-busy", MachineState::Offline, Some(until)),
        ("off-idle", MachineState::Offline, Some(until)),
        ("q-busy", MachineState::Quarantined, Some(until)),
        ("q-idle", MachineState::Quarantined, Some(until)),
        ("q-ever", MachineState::Quarantined, None),
    ] {
        t.store
            .set_machine_state(
                "taskcluster".into(),
                name.into(),
                state,
                Some("by hand".into()),
                end,
                set,
            )
            .await
            .expect("set by hand");
    }
    // What each machine holds as stored: its state, whether a job runs on it, its end.
    let stored = [
        ("busy", MachineState::Busy, true, None),
        ("idle", MachineState::Idle, false, None),
        ("off-busy", MachineState::Offline, true, Some(until)),
        ("off-idle", MachineState::Offline, false, Some(until)),
        ("q-busy", MachineState::Quarantined, true, Some(until)),
        ("q-idle", MachineState::Quarantined, false, Some(until)),
        ("q-ever", MachineState::Quarantined, false, None),
    ];
    let page = PageRequest {
        after: None,
        limit: 100,
    };
    for at in [until - 1, until, until + 1] {
        for state in MachineState::ALL.iter().copied() {
            let filter = MachineFilter {
                state: Some(state),
                ..MachineFilter::default()
            };
            let mut by_sql: Vec<&str> = Vec::new();
            let found = t.store.machines(filter, page, at).await.expect("filtered");
            for machine in &found.items {
                assert_eq!(machine.state, state, "{} read as filtered", machine.name);
                let named = stored.iter().find(|(name, ..)| *name == machine.name);
                by_sql.extend(named.map(|(name, ..)| *name));
            }
            by_sql.sort_unstable();
            let mut by_rule: Vec<&str> = stored
                .iter()
                .filter(|(_, stored_state, running, end)| {
                    let status = MachineStatus {
                        state: *stored_state,
                        current_job: running.then_some(1),
                        until: *end,
                        last_seen_at: 0,
                    };
                    machine_state::state_at(&status, at) == state
                })
                .map(|(name, ..)| *name)
                .collect();
            by_rule.sort_unstable();
            assert_eq!(by_sql, by_rule, "{state:?} at until{:+}", at - until);
        }
    }
}

/// Persisted queries are bounded: past `keep`, the oldest remembered go; remembering one again
/// neither duplicates it nor makes it younger.
#[tokio::test]
async fn persisted_queries_keep_only_the_newest() {
    let t = fresh().await;
    for n in 1..=3 {
        t.store
            .persist_query(format!("hash{n}"), format!("{{ q{n} }}"), 2)
            .await
            .expect("remember");
    }
    t.store
        .persist_query("hash3".into(), "{ q3 }".into(), 2)
        .await
        .expect("remember again");
    assert_eq!(
        t.store.persisted_query("hash1".into()).await.expect("read"),
        None
    );
    for n in 2..=3 {
        assert_eq!(
            t.store
                .persisted_query(format!("hash{n}"))
                .await
                .expect("read"),
            Some(format!("{{ q{n} }}"))
        );
    }
}
