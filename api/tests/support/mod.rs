//! Running the real `treeherd` binary in tests: a clean environment, and `serve` on a free
//! port whose address is read from its log.

#![allow(dead_code)] // Each test binary uses part of it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod balancer;

/// `treeherd` run in `dir`, with no `TREEHERD_*` variable inherited.
pub fn treeherd(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_treeherd"));
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("TREEHERD_") {
            command.env_remove(name);
        }
    }
    command
}

/// A `treeherd serve` child process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `treeherd serve` on a free port and waits for the line that gives its address.
pub fn serve(dir: &Path, env: &[(&str, &str)]) -> Server {
    serve_with(dir, &[], env)
}

/// [`serve`] with more arguments after `serve --bind 127.0.0.1:0` (e.g. `--demo`).
pub fn serve_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    serve_on(dir, "127.0.0.1:0", args, env)
}

/// [`serve_with`] on `bind` (a port of its own: a replica restarted where it was).
pub fn serve_on(dir: &Path, bind: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut command = treeherd(dir);
    command
        .args(["serve", "--bind", bind])
        .args(args)
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start treeherd serve");
    let stderr = child.stderr.take().expect("stderr");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        assert!(
            Instant::now() < deadline,
            "the server did not say where it serves"
        );
        let line = lines
            .next()
            .expect("the server exited")
            .expect("a log line");
        if let Some(rest) = line.split("serving on http://127.0.0.1:").nth(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            break digits.parse().expect("a port");
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

/// A new PostgreSQL database (dropped with the value) when `TREEHERD_TEST_POSTGRES_URL` names
/// a server, so a test of the binary runs on the backend the suite runs on; `None` for SQLite.
pub fn postgres_database(prefix: &str) -> Option<treeherd_store::testing::PostgresTestDatabase> {
    let admin = std::env::var("TREEHERD_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!("treeherd_{prefix}_{}_{nanos}", std::process::id());
    Some(
        treeherd_store::testing::PostgresTestDatabase::create(&admin, &name)
            .expect("a test database"),
    )
}

/// Where a test of the binary keeps its data: `postgres`'s database when the suite runs on
/// PostgreSQL, else a SQLite file in `dir`.
pub fn database_url(
    dir: &Path,
    postgres: Option<&treeherd_store::testing::PostgresTestDatabase>,
) -> String {
    postgres.map_or_else(
        || format!("sqlite://{}", dir.join("treeherd.db").display()),
        |db| db.url().to_owned(),
    )
}

/// GraphQL as an administrator of a server whose tokens `secret` signs; a request that
/// answers an error fails the test.
pub struct Admin {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl Admin {
    pub fn new(server: &Server, secret: &str) -> Admin {
        let token = treeherd_api::auth::TokenKeys::from_secret(secret.as_bytes())
            .issue("test", &["admin".into()], Duration::from_secs(600))
            .expect("a token");
        Admin {
            client: reqwest::Client::new(),
            url: server.url(),
            token,
        }
    }

    /// Sends `query` with `variables`; its `data`.
    pub async fn data(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let answer: serde_json::Value = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("POST /graphql")
            .json()
            .await
            .expect("a JSON answer");
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"].clone()
    }
}

/// `treeherd serve` on `database` with write tokens signed by `secret`, and a repository `try`
/// created by the administrator it returns.
pub async fn serve_with_try(dir: &Path, database: &str, secret: &str) -> (Server, Admin) {
    let server = serve(
        dir,
        &[
            ("TREEHERD_JWT_SECRET", secret),
            ("TREEHERD_DATABASE_URL", database),
        ],
    );
    let admin = Admin::new(&server, secret);
    admin
        .data(
            "mutation { createRepository(input: {name: \"try\", vcs: HG, url: \"u\"}) { name } }",
            serde_json::json!({}),
        )
        .await;
    (server, admin)
}
