//! [`TestApp`]: the real server started on port 0 against a fresh database, and a GraphQL
//! client for it. Used by the end-to-end suite (`e2e/`) and the benchmarks.
//!
//! The backend is SQLite (a new file in a temporary folder) unless
//! `TREEHERD_TEST_POSTGRES_URL` names a PostgreSQL server, where each app gets a new database
//! that is dropped afterwards, so tests run in parallel on either backend.

use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use treeherd_api::auth::{self, TokenKeys};
use treeherd_api::{Application, Config};
use treeherd_store::testing::PostgresTestDatabase;
use treeherd_store::{DatabaseUrl, Store};

/// Where a test's database lives; dropping it removes the database.
enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] PostgresTestDatabase),
    /// Another app's database: that app removes it.
    Shared,
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    store: Store,
    keys: TokenKeys,
    database_url: String,
    _database: TestDatabase,
}

/// A name no other test of any process uses at the same time.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "treeherd_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The PostgreSQL server to test against, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TREEHERD_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

impl TestApp {
    /// Starts a server with default settings on a fresh database.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// Starts a second server on the same database as `other`, as a second process would.
    pub async fn spawn_beside(other: &TestApp) -> TestApp {
        TestApp::spawn_beside_with(other, |_| {}).await
    }

    /// [`TestApp::spawn_beside`] after `adjust` has changed its configuration.
    pub async fn spawn_beside_with(other: &TestApp, adjust: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::start(TestDatabase::Shared, other.database_url.clone(), adjust).await
    }

    /// Starts a server on a fresh database after `adjust` has changed its configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let (database, url) = match postgres_url() {
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
        TestApp::start(database, url, adjust).await
    }

    async fn start(
        database: TestDatabase,
        url: String,
        adjust: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut config = Config::for_database(DatabaseUrl::parse(&url).expect("database url"));
        config.workers = Some(2);
        adjust(&mut config);
        let app = Application::build(&config).await.expect("start the server");
        let port = app.port();
        let store = app.store().clone();
        let secret = auth::signing_secret(config.jwt_secret.as_deref(), &store)
            .await
            .expect("token secret");
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: reqwest::Client::new(),
            store,
            keys: TokenKeys::from_secret(&secret),
            database_url: url,
            _database: database,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// A token this server accepts, with the given scopes.
    pub fn token(&self, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        self.keys
            .issue("test", &scopes, Duration::from_secs(3600))
            .expect("issue a token")
    }

    /// Posts a GraphQL request with an optional bearer token; returns the whole response body.
    pub async fn graphql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("POST /graphql");
        assert!(
            response.status().is_success(),
            "POST /graphql answered {}",
            response.status()
        );
        response.json().await.expect("a JSON response")
    }

    /// Posts a GraphQL request as an administrator (who may write anywhere).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let token = self.token(&["admin"]);
        self.graphql_as(Some(&token), query, variables).await
    }

    /// Like [`TestApp::graphql`], but fails the test on any error and returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.graphql(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// The server's `/metrics` scrape, as text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("a scrape")
            .text()
            .await
            .expect("the scrape's text")
    }

    pub async fn create_repository(&self, name: &str, indexed: &[&str]) {
        self.data(
            "mutation($input: RepositoryInput!) { createRepository(input: $input) { name } }",
            json!({"input": {"name": name, "vcs": "HG", "url": format!("https://hg.example/{name}"),
                    "indexedAttributes": indexed}}),
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
