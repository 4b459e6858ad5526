//! Connections: which backend a URL selects, the pool, per-connection settings, migrations,
//! write transactions, and the [`per_backend!`] macro for backend-specific statements.
//!
//! One binary serves both backends. Both C libraries are built from bundled sources
//! (`libsqlite3-sys/bundled`, `pq-sys/bundled_without_openssl`), so a fresh machine builds
//! with no system package. The price is no TLS to PostgreSQL: run it on a private network or
//! a local socket (`pq-sys/bundled` would add OpenSSL headers to the build). Our own r2d2
//! manager picks the backend from the URL scheme; diesel's `MultiConnection::establish` tries
//! each backend in turn and hides the real error.
//!
//! Every write is one transaction. On SQLite it begins with `BEGIN IMMEDIATE`, so concurrent
//! writers queue on the busy timeout instead of failing. A write is acknowledged only after it
//! commits, and WAL with `synchronous = NORMAL` keeps committed data across a process crash.
//!
//! Database tuning lives here, not in the operator's hands. SQLite connections keep a 32 MiB
//! page cache, statement journals in memory and a WAL checkpointed every 8,192 pages, so a
//! 1,000-push import transaction does not spill. PostgreSQL gets `ANALYZE` when a table
//! doubles (from 1,024 rows or ids): without statistics (a fresh table, or autovacuum off) it
//! walks the wrong index for 500-revision lookups.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;

use crate::StoreError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// One connection to either backend. Queries written against it compile once and run on both.
#[derive(diesel::MultiConnection)]
pub(crate) enum DbConnection {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

pub(crate) type Pool = r2d2::Pool<Manager>;

/// Runs the same diesel code against the concrete connection of the current backend: for the
/// statements `MultiConnection` cannot express (upserts, batch inserts, `RETURNING`). The body
/// is type-checked once per backend.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Pg($c) => $body,
        }
    };
}

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL, checked: `sqlite://PATH` (or a bare path) or `postgres://...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<DatabaseUrl, StoreError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(StoreError::Invalid("the database URL is empty".into()));
        }
        if url.contains("://") && !Self::is_postgres(url) && !url.starts_with("sqlite://") {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL {url:?}: use sqlite://PATH or postgres://..."
            )));
        }
        let parsed = DatabaseUrl(url.to_owned());
        // SQLite opens a private temporary database for an empty name: nothing would be kept.
        if parsed.backend() == Backend::Sqlite && parsed.sqlite_path().is_empty() {
            return Err(StoreError::Invalid(
                "the database URL sqlite:// names no file: use sqlite://PATH".into(),
            ));
        }
        Ok(parsed)
    }

    fn is_postgres(url: &str) -> bool {
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    pub fn backend(&self) -> Backend {
        if Self::is_postgres(&self.0) {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn sqlite_path(&self) -> &str {
        self.0.strip_prefix("sqlite://").unwrap_or(&self.0)
    }

    /// The URL as it may be shown in a message or a log: a PostgreSQL password (in the user
    /// part or as a `password=` parameter) replaced by nothing.
    pub fn redacted(&self) -> String {
        if self.backend() == Backend::Sqlite {
            return self.0.clone();
        }
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return self.0.clone();
        };
        let (before_query, query) = match rest.split_once('?') {
            Some((before, query)) => (before, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = match before_query.find('/') {
            Some(at) => before_query.split_at(at),
            None => (before_query, ""),
        };
        let authority = match authority.rsplit_once('@') {
            Some((user_info, host)) => {
                let user = user_info
                    .split_once(':')
                    .map_or(user_info, |(user, _)| user);
                format!("{user}@{host}")
            }
            None => authority.to_owned(),
        };
        let query = query.map(|query| {
            query
                .split('&')
                .filter(|pair| !pair.starts_with("password="))
                .collect::<Vec<_>>()
                .join("&")
        });
        match query.filter(|query| !query.is_empty()) {
            Some(query) => format!("{scheme}://{authority}{path}?{query}"),
            None => format!("{scheme}://{authority}{path}"),
        }
    }
}

/// Pool tuning.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the pool.
    pub pool_size: u32,
    /// How long a request waits for a free connection before failing.
    pub connection_timeout: Duration,
    /// On PostgreSQL, the longest one statement of a pooled connection may run before the
    /// database cancels it (`statement_timeout`, the session's default): a server sets it to
    /// its request deadline, so no query outlives its request. Work that may take longer by
    /// nature (migrations, loading the graph) lifts it for itself (`db::untimed`). `None`: no
    /// limit (the CLI's imports).
    pub statement_timeout: Option<Duration>,
    /// The most memory, in bytes, the dependency graph of this process may take: it holds
    /// the newest jobs that fit and reads the rest from the database when asked (`graph.rs`).
    /// `None`: it holds every job.
    pub graph_budget: Option<usize>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            pool_size: 8,
            connection_timeout: Duration::from_secs(10),
            statement_timeout: None,
            graph_budget: None,
        }
    }
}

/// The pool, after one connection opened directly: a database that cannot be opened fails
/// here at once with its cause, instead of after the pool's connection timeout of retries.
pub(crate) fn pool(url: &DatabaseUrl, options: &StoreOptions) -> Result<Pool, StoreError> {
    let manager = Manager {
        url: url.clone(),
        statement_timeout: options.statement_timeout,
    };
    drop(r2d2::ManageConnection::connect(&manager).map_err(|e| cannot_open(url, &e))?);
    r2d2::Pool::builder()
        .max_size(options.pool_size.max(1))
        .connection_timeout(options.connection_timeout)
        .error_handler(Box::new(ConnectFailures::default()))
        .build(manager)
        .map_err(|e| cannot_open(url, &e))
}

/// Why `url` cannot be opened, as one line that names it (without its password) and the
/// cause. An `Invalid`: it is the operator's URL that names nothing usable.
fn cannot_open(url: &DatabaseUrl, error: &dyn std::fmt::Display) -> StoreError {
    let reported = error.to_string();
    StoreError::Invalid(match url.backend() {
        Backend::Sqlite => {
            let path = url.sqlite_path();
            let cause = sqlite_cause(path).unwrap_or(reported);
            format!("cannot open the SQLite database {path}: {cause}")
        }
        Backend::Postgres => format!(
            "cannot connect to PostgreSQL at {}: {}",
            url.redacted(),
            postgres_cause(&reported)
        ),
    })
}

/// What stops SQLite from opening `path`, found by asking the file system (SQLite itself
/// only says "Unable to open the database file"); `None` when the file system sees nothing
/// wrong (the file is then, say, not a database: SQLite's own words are the cause).
fn sqlite_cause(path: &str) -> Option<String> {
    use std::path::Path;
    if path == ":memory:" || path.starts_with("file:") {
        return None;
    }
    let file = Path::new(path);
    if file.is_dir() {
        return Some("it is a directory".into());
    }
    let folder = match file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    // Walk up to the first folder that exists: the one below it is what is missing.
    let mut missing = None;
    for ancestor in folder.ancestors() {
        match std::fs::metadata(ancestor) {
            Ok(found) if found.is_dir() => break,
            Ok(_) => return Some(format!("{} is not a folder", ancestor.display())),
            Err(_) => missing = Some(ancestor),
        }
    }
    if let Some(missing) = missing {
        return Some(format!("the folder {} does not exist", missing.display()));
    }
    let existed = file.exists();
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(file)
    {
        Ok(_) => {
            if !existed {
                // Only this check created it; SQLite failed for a reason of its own.
                let _ = std::fs::remove_file(file);
            }
            None
        }
        Err(e) => Some(io_cause(&e)),
    }
}

/// An IO error in a few words, without the "(os error N)" tail.
fn io_cause(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        _ => {
            let text = error.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text);
            lowercase_first(text)
        }
    }
}

/// libpq's first line without its "connection to server at "...", port N failed:" preamble
/// (the URL is named already), e.g. "connection refused".
fn postgres_cause(reported: &str) -> String {
    let first = reported.lines().next().unwrap_or(reported).trim();
    let cause = match first.split_once(" failed: ") {
        Some((preamble, cause)) if preamble.starts_with("connection to server") => cause,
        _ => first,
    };
    lowercase_first(cause.trim_start_matches("FATAL:").trim())
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// r2d2's handler of failed connection attempts. Its default logs every attempt, dozens a
/// second while the database is away; this one logs a failure when it differs from the last
/// one logged, or a minute after it.
#[derive(Debug, Default)]
struct ConnectFailures {
    last: std::sync::Mutex<Option<(String, std::time::Instant)>>,
}

impl r2d2::HandleError<ConnectError> for ConnectFailures {
    fn handle_error(&self, error: ConnectError) {
        let text = error.to_string();
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let repeated = last.as_ref().is_some_and(|(previous, at)| {
            *previous == text && at.elapsed() < Duration::from_secs(60)
        });
        if !repeated {
            tracing::warn!(error = %text, "cannot open a database connection");
            *last = Some((text, std::time::Instant::now()));
        }
    }
}

/// Establishes connections for the pool, choosing the backend from the URL scheme (diesel's
/// own `MultiConnection::establish` tries each backend in turn and hides the real error).
pub(crate) struct Manager {
    url: DatabaseUrl,
    statement_timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Per-connection SQLite settings. WAL lets readers run beside the one writer; `synchronous =
/// NORMAL` in WAL mode keeps every committed transaction across a process crash (`kill -9`);
/// the busy timeout makes a second writer wait instead of failing. A page cache of 32 MiB a
/// connection (SQLite's default is 2 MiB) keeps a large batch's index pages from spilling
/// mid-transaction, and statement journals stay in memory instead of temporary files. The WAL
/// is checkpointed every 8,192 pages (32 MiB) instead of 1,000: a page written by many
/// consecutive transactions is copied into the database once, not once per few commits.
const SQLITE_SETUP: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; \
     PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8192;";

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        match self.url.backend() {
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(self.url.sqlite_path())?;
                conn.batch_execute(SQLITE_SETUP)?;
                Ok(DbConnection::Sqlite(conn))
            }
            Backend::Postgres => Ok(DbConnection::Pg(diesel::PgConnection::establish(
                &with_session_options(self.url.as_str(), self.statement_timeout),
            )?)),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        Ok(conn.ping()?)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// libpq waits for the operating system to give up on a host that drops packets (minutes);
/// unless the URL says otherwise, a connection attempt gives up after 10 s.
fn with_connect_timeout(url: &str) -> String {
    with_parameter(url, "connect_timeout", "10")
}

/// The URL with the connect timeout and, when given, the statement timeout as the session's
/// default (libpq's `options=-c statement_timeout=MS`): a default, so `RESET` comes back to it
/// after [`untimed`] work.
fn with_session_options(url: &str, statement_timeout: Option<Duration>) -> String {
    let url = with_connect_timeout(url);
    match statement_timeout {
        Some(timeout) => with_parameter(
            &url,
            "options",
            &format!("-c%20statement_timeout%3D{}", timeout.as_millis().max(1)),
        ),
        None => url,
    }
}

/// `url` with `name=value` added, unless the URL sets `name` itself (the operator's wins).
fn with_parameter(url: &str, name: &str, value: &str) -> String {
    if url.contains(&format!("{name}=")) {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&{name}={value}")
    } else {
        format!("{url}?{name}={value}")
    }
}

/// Runs `work` with no statement timeout on PostgreSQL (the session's is put back after):
/// for work whose size grows with the data, not with one request, such as loading the graph.
pub(crate) fn untimed<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if let DbConnection::Pg(c) = conn {
        c.batch_execute("SET statement_timeout = 0")?;
    }
    let done = work(conn);
    if let DbConnection::Pg(c) = conn {
        c.batch_execute("RESET statement_timeout")?;
    }
    done
}

pub(crate) fn ping(conn: &mut DbConnection) -> Result<(), StoreError> {
    Ok(conn.ping()?)
}

/// Any fixed number shared by every treeherd process: the advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x7472_6565_6865_7264; // "treeherd"

pub(crate) fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    untimed(conn, migrate_now)
}

fn migrate_now(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        DbConnection::Pg(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            applied
        }
    };
    applied.map_err(|e| StoreError::caused_by("migration failed", e))
}

/// Runs `work` in one write transaction: all or nothing. On SQLite the transaction takes the
/// write lock when it begins (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout
/// instead of one failing when it upgrades a read lock.
pub(crate) fn write<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        }
        DbConnection::Pg(_) => {
            <DbConnection as Connection>::TransactionManager::begin_transaction(conn)?
        }
    }
    match work(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) =
                <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
            {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

/// Whether a table that grew from `before` to `after` rows (or ids) crossed a power of two
/// from 1,024 up: the points at which fresh planner statistics are worth taking.
pub(crate) fn doubled(before: i64, after: i64) -> bool {
    after >= 1024 && after.max(1).ilog2() > before.max(1).ilog2()
}

/// Refreshes PostgreSQL's planner statistics of `tables`. Without them (a fresh table, or a
/// server running without autovacuum, whose naptime is a minute anyway) the planner takes a
/// lookup of 500 revisions for most of the table and walks the wrong index. SQLite plans by
/// its rules and has nothing to do here.
pub(crate) fn analyze(conn: &mut DbConnection, tables: &[&str]) -> Result<(), StoreError> {
    if let DbConnection::Pg(c) = conn {
        c.batch_execute(&format!("ANALYZE {}", tables.join(", ")))?;
    }
    Ok(())
}

/// Serializes the writers of the change logs (`graph_changes`, `change_log`) across processes
/// until the transaction ends, so sequence numbers commit in order. A transaction that will
/// append and may lock rows a job write also locks takes it first (a late taker would wait
/// for the lock while holding rows its holder waits for). SQLite needs nothing: `BEGIN IMMEDIATE` already
/// admits one writer at a time.
pub(crate) fn lock_log_writers(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Pg(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_xact_lock({LOG_WRITERS_LOCK})"))?;
    }
    Ok(())
}

const LOG_WRITERS_LOCK: i64 = MIGRATION_LOCK + 1;

/// Held by a retention step for its transaction (`store/src/retention.rs`).
pub(crate) const RETENTION_LOCK: i64 = MIGRATION_LOCK + 2;

/// The largest number of rows one batch statement carries (well under both backends' limits
/// on bind parameters: SQLite 32,766, PostgreSQL 65,535).
pub(crate) const BATCH_ROWS: usize = 1000;

/// Now, in unix microseconds (the store's time unit).
pub(crate) fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_keep_all_but_the_password() {
        let check = |url: &str, shown: &str| {
            assert_eq!(
                DatabaseUrl::parse(url)
                    .map(|u| u.redacted())
                    .ok()
                    .as_deref(),
                Some(shown)
            );
        };
        check(
            "postgres://user:secret@db:5432/treeherd",
            "postgres://user@db:5432/treeherd",
        );
        check(
            "postgresql://user@db/treeherd?password=secret&sslmode=disable",
            "postgresql://user@db/treeherd?sslmode=disable",
        );
        check("postgres://db", "postgres://db");
        check("sqlite://treeherd.db", "sqlite://treeherd.db");
    }

    #[test]
    fn an_empty_sqlite_path_is_refused() {
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite://x.db").is_ok());
    }

    #[test]
    fn postgres_causes_drop_libpq_preambles() {
        assert_eq!(
            postgres_cause(
                "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running?"
            ),
            "connection refused"
        );
        assert_eq!(
            postgres_cause("FATAL:  password authentication failed for user \"u\""),
            "password authentication failed for user \"u\""
        );
    }
}

diesel::define_sql_function! {
    /// The text in lower case (ASCII letters only on SQLite): one declaration for every
    /// query that compares text without case.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
