//! The two dialects are one schema: after all migrations, `migrations/sqlite` and
//! `migrations/postgres` give the same tables, columns (name, order, type, nullability),
//! primary keys and indexes (name, columns, uniqueness, partial or not). Only the SQL that
//! says it may differ (migrations/README.md), and the text index of bug summaries, which is
//! each backend's own ([`crate::text_index`]).

use diesel_migrations::MigrationHarness;

use crate::catalog;
use crate::databases::{self, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::text_index::{Dialect, without_text_index};

#[test]
fn sqlite_and_postgres_migrations_give_the_same_tables_columns_and_indexes() {
    let Some((_database, mut pg)) = databases::postgres() else {
        return;
    };
    pg.run_pending_migrations(POSTGRES_MIGRATIONS)
        .expect("the PostgreSQL migrations");
    let mut sqlite = databases::sqlite();
    sqlite
        .run_pending_migrations(SQLITE_MIGRATIONS)
        .expect("the SQLite migrations");
    let sqlite = catalog::sqlite(&mut sqlite).expect("the SQLite catalog");
    let postgres = catalog::postgres(&mut pg).expect("the PostgreSQL catalog");
    let sqlite = without_text_index(sqlite, Dialect::Sqlite);
    let postgres = without_text_index(postgres, Dialect::Postgres);

    catalog::assert_same(
        &sqlite,
        &postgres,
        "the dialects differ (left SQLite, right PostgreSQL)",
    );
}
