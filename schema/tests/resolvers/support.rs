//! [`TestSchema`]: the GraphQL schema built over a fresh store, and a client that runs
//! documents on it with `schema.execute()`, the caller in the request data as the HTTP handler
//! puts it. No server, no port, no HTTP: what a resolver answers, and nothing else.
//!
//! The backend is SQLite (a new file in a temporary folder) unless
//! `TREEHERD_TEST_POSTGRES_URL` names a PostgreSQL server, where each schema gets a new
//! database that is dropped afterwards, as in the end-to-end suite (`tests/src/lib.rs`).

use async_graphql::{Request, Variables};
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use treeherd_schema::TreeherdSchema;
use treeherd_service::{Caller, Changes, Scopes, Service};
use treeherd_store::testing::PostgresTestDatabase;
use treeherd_store::{DatabaseUrl, Store, StoreOptions};

/// The schema as the server builds it over `service`: the one place the harness says how.
fn build(service: Service) -> TreeherdSchema {
    treeherd_schema::build(service, treeherd_schema::DEFAULT_MAX_RESPONSE_BYTES)
}

/// Where a test's database lives; dropping it removes the database.
enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] PostgresTestDatabase),
}

/// The schema over its own fresh database.
pub struct TestSchema {
    schema: TreeherdSchema,
    /// The service under the schema, for data no mutation writes (bugs come from Bugzilla).
    service: Service,
    _database: TestDatabase,
}

/// A name no other test of any process uses at the same time.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "treeherd_schema_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The code the HTTP handler (`api/src/graphql_routes.rs`) gives errors async-graphql raises
/// before any resolver runs (syntax, validation, limits), so answers here read as a client
/// reads them.
const REQUEST_ERROR_CODE: &str = "BAD_USER_INPUT";

impl TestSchema {
    /// The schema over a fresh, migrated database.
    pub async fn new() -> TestSchema {
        let admin = std::env::var("TREEHERD_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty());
        let (database, url) = match admin {
            Some(admin) => {
                let db = PostgresTestDatabase::create(&admin, &unique_name())
                    .expect("create a PostgreSQL test database");
                let url = db.url().to_owned();
                (TestDatabase::Postgres(db), url)
            }
            None => {
                let dir = tempfile::tempdir().expect("create a temporary folder");
                let url = format!("sqlite://{}", dir.path().join("treeherd.db").display());
                (TestDatabase::Sqlite(dir), url)
            }
        };
        let url = DatabaseUrl::parse(&url).expect("database url");
        let store = Store::open(&url, &StoreOptions::default()).expect("open the store");
        let migrating = store.clone();
        tokio::task::spawn_blocking(move || migrating.migrate())
            .await
            .expect("migration task")
            .expect("migrate the database");
        let service = Service::new(store, Changes::default());
        TestSchema {
            schema: build(service.clone()),
            service,
            _database: database,
        }
    }

    /// The service under the schema.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The caller a verified token with these scopes makes (how a token becomes a caller is
    /// the end-to-end suite's business).
    pub fn token(&self, scopes: &[&str]) -> Caller {
        Caller::Token {
            subject: "test".into(),
            scopes: Scopes::parse(&scopes.join(" ")).expect("known scopes"),
        }
    }

    /// Runs a document as `caller` (anonymous when none); returns the whole response as a
    /// client receives it.
    pub async fn graphql_as(
        &self,
        caller: Option<&Caller>,
        query: &str,
        variables: Value,
    ) -> Value {
        let caller = caller.cloned().unwrap_or(Caller::Anonymous);
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(caller);
        let mut response = self.schema.execute(request).await;
        for error in &mut response.errors {
            let extensions = error.extensions.get_or_insert_with(Default::default);
            if extensions.get("code").is_none() {
                extensions.set("code", REQUEST_ERROR_CODE);
            }
        }
        serde_json::to_value(&response).expect("a response serializes")
    }

    /// Runs a document as an administrator (who may write anywhere).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let admin = self.token(&["admin"]);
        self.graphql_as(Some(&admin), query, variables).await
    }

    /// Like [`TestSchema::graphql`], but fails the test on any error and returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.graphql(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    pub async fn create_repository(&self, name: &str, indexed: &[&str]) {
        self.data(
            "mutation($input: RepositoryInput!) { createRepository(input: $input) { name } }",
            serde_json::json!({"input": {"name": name, "vcs": "HG",
                "url": format!("https://hg.example/{name}"), "indexedAttributes": indexed}}),
        )
        .await;
    }
}

/// The `extensions.code` of a response's first error (panics when there is none).
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code, got {response:#}"))
}

pub use treeherd_testkit::documents::revision;
