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
        Ok(DatabaseUrl(url.to_owned()))
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
}

/// Pool tuning.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the pool.
    pub pool_size: u32,
    /// How long a request waits for a free connection before failing.
    pub connection_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            pool_size: 8,
            connection_timeout: Duration::from_secs(10),
        }
    }
}

pub(crate) fn pool(url: &DatabaseUrl, options: &StoreOptions) -> Result<Pool, StoreError> {
    let manager = Manager { url: url.clone() };
    r2d2::Pool::builder()
        .max_size(options.pool_size.max(1))
        .connection_timeout(options.connection_timeout)
        .build(manager)
        .map_err(|e| StoreError::internal(format!("cannot connect to the database: {e}")))
}

/// Establishes connections for the pool, choosing the backend from the URL scheme (diesel's
/// own `MultiConnection::establish` tries each backend in turn and hides the real error).
pub(crate) struct Manager {
    url: DatabaseUrl,
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
                self.url.as_str(),
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

pub(crate) fn ping(conn: &mut DbConnection) -> Result<(), StoreError> {
    Ok(conn.ping()?)
}

/// Any fixed number shared by every treeherd process: the advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x7472_6565_6865_7264; // "treeherd"

pub(crate) fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
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
    applied.map_err(|e| StoreError::internal(format!("migration failed: {e}")))
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

/// Serializes the writers of the graph change log across processes until the transaction
/// ends, so sequence numbers commit in order. SQLite needs nothing: `BEGIN IMMEDIATE` already
/// admits one writer at a time.
pub(crate) fn lock_graph_writers(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Pg(c) = conn {
        c.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({GRAPH_WRITERS_LOCK})"
        ))?;
    }
    Ok(())
}

const GRAPH_WRITERS_LOCK: i64 = MIGRATION_LOCK + 1;

/// The largest number of rows one batch statement carries (well under both backends' limits
/// on bind parameters: SQLite 32,766, PostgreSQL 65,535).
pub(crate) const BATCH_ROWS: usize = 1000;

/// Now, in unix microseconds (the store's time unit).
pub(crate) fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
