//! The real `treeherd` binary as its own process, for the sections that measure what the
//! server holds (its resident memory is its own, not the load generator's): started with
//! `serve --demo` on a fresh database (SQLite in a temporary folder, or a new PostgreSQL
//! database when `TREEHERD_TEST_POSTGRES_URL` names a server), on a free port.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use treeherd_store::testing::PostgresTestDatabase;

/// The secret the server signs write tokens with, so the bench can issue them.
pub const JWT_SECRET: &str = "bench-secret-not-for-production";

/// Where the database lives; dropping it removes it.
enum Database {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] PostgresTestDatabase),
    /// The caller's: it stays.
    #[allow(dead_code)] // constructed by the scale bench only
    Borrowed,
}

/// A `treeherd serve --demo` child process, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    pub database_url: String,
    _database: Database,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `treeherd` binary built beside this bench (`cargo build --release --bin treeherd`).
fn binary() -> anyhow::Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name("treeherd");
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build it first with `cargo build --release --bin treeherd`",
        path.display()
    );
    Ok(path)
}

impl Server {
    /// Starts the server with demo data and waits until it serves.
    pub fn start_demo() -> anyhow::Result<Server> {
        let (database, database_url) = match treeherd_tests::postgres_url() {
            Some(admin) => {
                let name = format!("treeherd_bench_{}", std::process::id());
                let db = PostgresTestDatabase::create(&admin, &name)?;
                let url = db.url().to_owned();
                (Database::Postgres(db), url)
            }
            None => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("treeherd.db").display());
                (Database::Sqlite(dir), url)
            }
        };
        Self::spawn(database, database_url, &["--demo"])
    }

    /// Starts the server on a database the caller owns (and keeps), and waits until it serves.
    #[allow(dead_code)] // the scale bench's
    pub fn start_on(database_url: &str) -> anyhow::Result<Server> {
        Self::spawn(Database::Borrowed, database_url.to_owned(), &[])
    }

    fn spawn(database: Database, database_url: String, extra: &[&str]) -> anyhow::Result<Server> {
        let mut command = Command::new(binary()?);
        for (name, _) in std::env::vars() {
            if name.starts_with("TREEHERD_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .args(["--database", &database_url, "--jwt-secret", JWT_SECRET])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(300);
        let port = loop {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server did not say where it serves"
            );
            let Some(line) = lines.next() else {
                anyhow::bail!("the server exited before serving");
            };
            let line = line?;
            if let Some(rest) = line.split("serving on http://127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                break digits.parse()?;
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Server {
            child,
            port,
            database_url,
            _database: database,
        })
    }

    pub fn graphql_url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now, in MB (Linux `/proc`; `None` elsewhere).
    pub fn rss_mb(&self) -> Option<f64> {
        rss_mb(self.child.id())
    }

    /// A write token for `scopes`, signed with [`JWT_SECRET`].
    pub fn token(&self, scopes: &[&str]) -> anyhow::Result<String> {
        let keys = treeherd_api::auth::TokenKeys::from_secret(JWT_SECRET.as_bytes());
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        Ok(keys.issue("bench", &scopes, Duration::from_secs(24 * 3600))?)
    }
}

/// The resident memory of process `pid` in MB, from `/proc/PID/status`.
pub fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// A process's resident memory sampled every 100 ms on a thread of its own, until stopped.
pub struct RssWatch {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl RssWatch {
    pub fn start(pid: u32) -> RssWatch {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(mb) = rss_mb(pid) {
                    p.fetch_max(mb.to_bits(), Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        RssWatch { peak, stop }
    }

    /// Stops sampling; the highest resident memory seen, in MB.
    pub fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        f64::from_bits(self.peak.load(Ordering::Relaxed))
    }
}
