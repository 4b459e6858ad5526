//! The `treeherd` binary as a new user runs it: `serve` with every default in an empty folder,
//! then `token issue` beside it, and the token writes.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn treeherd(dir: &Path) -> Command {
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
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `treeherd serve` on a free port and waits for the line that gives its address.
fn serve(dir: &Path) -> Server {
    let mut child = treeherd(dir)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        assert!(
            Instant::now() < deadline,
            "the server did not say where it serves"
        );
        let line = lines.next().expect("the server exited").unwrap();
        if let Some(rest) = line.split("serving on http://127.0.0.1:").nth(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            break digits.parse().unwrap();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

#[tokio::test]
async fn serve_with_defaults_accepts_a_token_issued_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    assert!(
        dir.path().join("treeherd.db").exists(),
        "the default database is ./treeherd.db"
    );

    let output = treeherd(dir.path())
        .args([
            "token",
            "issue",
            "--subject",
            "me",
            "--scope",
            "admin",
            "--ttl",
            "1h",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();

    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{}/graphql", server.port);
    let create = json!({"query": "mutation { createRepository(input: {name: \"try\", vcs: HG, url: \"https://hg.mozilla.org/try\"}) { name } }"});
    let response: Value = client
        .post(&url)
        .bearer_auth(&token)
        .json(&create)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        response,
        json!({"data": {"createRepository": {"name": "try"}}})
    );

    let anonymous: Value = client
        .post(&url)
        .json(&create)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[test]
fn schema_prints_the_checked_in_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let output = treeherd(dir.path()).arg("schema").output().unwrap();
    assert!(output.status.success());
    let checked_in = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/schema.graphql"),
    )
    .unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), checked_in);
}

#[test]
fn migrate_creates_the_database_and_bad_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = treeherd(dir.path())
        .args(["migrate", "--database", "sqlite://x.db"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("x.db").exists());
    let again = treeherd(dir.path())
        .args(["migrate", "--database", "sqlite://x.db"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "applied 0 migration(s)"
    );

    let bad = treeherd(dir.path())
        .args(["migrate", "--database", "mysql://nope"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported database URL"));
}
