//! Fresh databases for the migration tests, unmigrated: SQLite in memory (one connection,
//! so one database), PostgreSQL as a new database per test on the server that
//! `TREEHERD_TEST_POSTGRES_URL` names.

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use treeherd_store::testing::PostgresTestDatabase;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

pub fn sqlite() -> SqliteConnection {
    SqliteConnection::establish(":memory:").expect("an in-memory SQLite database")
}

/// A new, empty PostgreSQL database and a connection to it, or `None` (the test is reported
/// skipped) when no server is named.
pub fn postgres() -> Option<(PostgresTestDatabase, PgConnection)> {
    let Some(admin) = std::env::var("TREEHERD_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        treeherd_testkit::skip(
            "TREEHERD_REQUIRE_POSTGRES",
            "TREEHERD_TEST_POSTGRES_URL names no PostgreSQL server",
        );
        return None;
    };
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "treeherd_migrations_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let database = PostgresTestDatabase::create(&admin, &name).expect("a test database");
    let conn = PgConnection::establish(database.url()).expect("a connection to the test database");
    Some((database, conn))
}
