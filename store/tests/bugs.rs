//! The store's bugs on a fresh database (a temporary SQLite file, or a new PostgreSQL database
//! when `TREEHERD_TEST_POSTGRES_URL` names a server): imports are idempotent and say what they
//! did, the text index follows every write, short terms and LIKE's wildcards are searched
//! literally, and, on PostgreSQL, the model's similarity is pg_trgm's `similarity()` on
//! Treeherder's fixture summaries. Treeherder's search cases themselves run through GraphQL
//! (`schema/tests/resolvers/bugs.rs`).

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::prelude::*;
use diesel::sql_types::{Float4, Text};
use treeherd_model::bug_search::similarity;
use treeherd_model::{BugId, NewBug};
use treeherd_store::testing::PostgresTestDatabase;
use treeherd_store::{BugsImported, DatabaseUrl, Store, StoreError, StoreOptions};

/// A store on a database of its own, removed when dropped.
struct TestStore {
    store: Store,
    /// The PostgreSQL database's URL, when it is one.
    postgres: Option<String>,
    _database: Database,
}

enum Database {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] PostgresTestDatabase),
}

async fn fresh() -> TestStore {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin = std::env::var("TREEHERD_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let (database, url, postgres) = match admin {
        Some(admin) => {
            let name = format!(
                "treeherd_bugs_{}_{}_{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let db = PostgresTestDatabase::create(&admin, &name).expect("a test database");
            let url = db.url().to_owned();
            (Database::Postgres(db), url.clone(), Some(url))
        }
        None => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let url = format!("sqlite://{}", dir.path().join("bugs.db").display());
            (Database::Sqlite(dir), url, None)
        }
    };
    let url = DatabaseUrl::parse(&url).expect("a database url");
    let store = Store::open(&url, &StoreOptions::default()).expect("open the store");
    store.migrate().expect("migrate");
    TestStore {
        store,
        postgres,
        _database: database,
    }
}

fn bug(id: i64, summary: &str) -> NewBug {
    NewBug {
        id: BugId(id),
        status: "NEW".into(),
        resolution: None,
        summary: summary.into(),
        dupe_of: None,
        crash_signature: None,
        keywords: vec!["intermittent-failure".into()],
        whiteboard: None,
        last_change: 1_700_000_000_000_000,
    }
}

/// The ids `term` suggests: open ones, then the others.
async fn found(store: &Store, term: &str) -> (Vec<i64>, Vec<i64>) {
    let mut answers = store.search_bugs(vec![term.to_owned()]).await.unwrap();
    let answer = answers.remove(0);
    let ids = |bugs: Vec<treeherd_store::Bug>| bugs.into_iter().map(|b| b.id.0).collect();
    (ids(answer.open_recent), ids(answer.all_others))
}

#[tokio::test]
async fn imports_are_idempotent_and_count_what_they_did() {
    let t = fresh().await;
    let first = vec![
        bug(1, "Intermittent a/test_one.html | boom"),
        bug(2, "Intermittent b/test_two.html | boom"),
    ];
    let counts = t.store.import_bugs(first.clone(), None).await.unwrap();
    assert_eq!(
        counts,
        BugsImported {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    let again = t.store.import_bugs(first.clone(), None).await.unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2));

    // A later change updates; an older one never moves the bug back; a bug given twice
    // counts once, as last given.
    let mut resolved = bug(1, "Intermittent a/test_one.html | boom");
    resolved.status = "RESOLVED".into();
    resolved.resolution = Some("FIXED".into());
    resolved.last_change += 1;
    let mut stale = bug(2, "an old summary");
    stale.last_change -= 1;
    let counts = t
        .store
        .import_bugs(
            vec![
                bug(3, "first version"),
                resolved,
                stale,
                bug(3, "Intermittent c/test_three.html | boom"),
            ],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (counts.inserted, counts.updated, counts.unchanged),
        (1, 1, 1)
    );
    let stored = t
        .store
        .bugs(vec![BugId(1), BugId(2), BugId(3), BugId(4)])
        .await
        .unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[&BugId(1)].resolution.as_deref(), Some("FIXED"));
    assert!(!stored[&BugId(1)].is_open());
    assert_eq!(
        stored[&BugId(2)].summary,
        "Intermittent b/test_two.html | boom"
    );
    assert_eq!(
        stored[&BugId(3)].summary,
        "Intermittent c/test_three.html | boom"
    );
    assert_eq!(stored[&BugId(3)].keywords, ["intermittent-failure"]);
    assert_eq!(found(&t.store, "test_one.html").await, (vec![], vec![1]));
}

#[tokio::test]
async fn an_invalid_bug_writes_nothing() {
    let t = fresh().await;
    let mut broken = bug(2, "x");
    broken.status = "TWO WORDS".into();
    let error = t
        .store
        .import_bugs(vec![bug(1, "fine"), broken], Some(5))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error:?}");
    assert!(error.to_string().contains("status"), "{error}");
    assert!(t.store.bugs(vec![BugId(1)]).await.unwrap().is_empty());
    assert_eq!(t.store.bugzilla_fetched_until().await.unwrap(), None);
}

#[tokio::test]
async fn the_fetch_mark_is_kept_with_its_bugs() {
    let t = fresh().await;
    assert_eq!(t.store.bugzilla_fetched_until().await.unwrap(), None);
    t.store
        .import_bugs(vec![bug(1, "one")], Some(1_000))
        .await
        .unwrap();
    assert_eq!(t.store.bugzilla_fetched_until().await.unwrap(), Some(1_000));
    t.store.import_bugs(vec![], Some(2_000)).await.unwrap();
    assert_eq!(t.store.bugzilla_fetched_until().await.unwrap(), Some(2_000));
    t.store
        .import_bugs(vec![bug(2, "two")], None)
        .await
        .unwrap();
    assert_eq!(t.store.bugzilla_fetched_until().await.unwrap(), Some(2_000));
}

#[tokio::test]
async fn the_text_index_follows_every_write() {
    let t = fresh().await;
    t.store
        .import_bugs(vec![bug(7, "Intermittent dir/old_name.html | x")], None)
        .await
        .unwrap();
    assert_eq!(found(&t.store, "old_name.html").await, (vec![7], vec![]));
    let mut renamed = bug(7, "Intermittent dir/new_name.html | x");
    renamed.last_change += 1;
    t.store.import_bugs(vec![renamed], None).await.unwrap();
    assert_eq!(found(&t.store, "old_name.html").await, (vec![], vec![]));
    assert_eq!(found(&t.store, "NEW_NAME.HTML").await, (vec![7], vec![]));
}

#[tokio::test]
async fn terms_are_literal_whatever_their_length() {
    let t = fresh().await;
    t.store
        .import_bugs(
            vec![
                bug(1, "ab | two letters"),
                bug(2, "x a_b% y"),
                bug(3, "x aXbY y"),
                bug(4, "say \"hi\" OR bye"),
            ],
            None,
        )
        .await
        .unwrap();
    assert_eq!(found(&t.store, "ab").await.0, [1]);
    assert_eq!(found(&t.store, "a_b%").await.0, [2]);
    assert_eq!(found(&t.store, "\"hi\" or").await.0, [4]);
    assert_eq!(found(&t.store, "  ").await, (vec![], vec![]));
}

/// Treeherder's fixture summaries and search terms, as pairs to compare.
fn fixture_pairs() -> Option<Vec<(String, String)>> {
    let bugs = treeherd_testkit::fixture("treeherder/sheriffing/bugs.json")?;
    let searches = treeherd_testkit::fixture("treeherder/sheriffing/bug_searches.json")?;
    let bugs = treeherd_ingest::parse_bugzilla(&std::fs::read(bugs).unwrap()).unwrap();
    let searches: serde_json::Value =
        serde_json::from_slice(&std::fs::read(searches).unwrap()).unwrap();
    let terms: Vec<String> = searches["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["search_term"].as_str().unwrap().to_lowercase())
        .collect();
    let mut pairs = Vec::new();
    for bug in &bugs {
        for term in &terms {
            pairs.push((bug.summary.clone(), term.clone()));
        }
        for other in &bugs {
            pairs.push((bug.summary.clone(), other.summary.clone()));
        }
    }
    Some(pairs)
}

#[derive(QueryableByName)]
struct Similarity {
    #[diesel(sql_type = Float4)]
    value: f32,
}

#[tokio::test]
async fn similarity_is_postgresqls_on_the_fixture_summaries() {
    let t = fresh().await;
    let Some(url) = t.postgres.clone() else {
        treeherd_testkit::skip(
            "TREEHERD_REQUIRE_POSTGRES",
            "TREEHERD_TEST_POSTGRES_URL names no PostgreSQL server",
        );
        return;
    };
    let Some(pairs) = fixture_pairs() else { return };
    let compared = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let mut mismatches = Vec::new();
        for (a, b) in &pairs {
            let pg = diesel::sql_query("SELECT similarity($1, $2) AS value")
                .bind::<Text, _>(a)
                .bind::<Text, _>(b)
                .get_result::<Similarity>(&mut conn)
                .unwrap()
                .value;
            let ours = similarity(a, b).value();
            if pg.to_bits() != ours.to_bits() {
                mismatches.push(format!(
                    "similarity({a:?}, {b:?}): PostgreSQL {pg}, ours {ours}"
                ));
            }
        }
        (pairs.len(), mismatches)
    })
    .await
    .unwrap();
    let (count, mismatches) = compared;
    assert!(count > 500, "only {count} pairs");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
