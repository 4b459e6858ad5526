//! Every migration, one at a time, up → down → up: after each `down` the database is what it
//! was before that `up`, and the second `up` gives what the first did. Then all of them down
//! (an empty database) and all up again. A `down` that forgets an index, or an `up` that
//! cannot run twice, fails here rather than on an operator's rollback.

use diesel::backend::Backend;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use crate::catalog::{self, Shape};
use crate::databases::{self, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

/// Runs the round trips on `conn` (`migrations` gives the embedded set each time the harness
/// takes one), reading its shape with `shape`.
fn each_migration_up_down_up<DB: Backend, C: MigrationHarness<DB>>(
    conn: &mut C,
    migrations: fn() -> EmbeddedMigrations,
    shape: impl Fn(&mut C) -> Shape,
) {
    let empty = shape(conn);
    assert!(empty.is_empty(), "a fresh database has tables: {empty:?}");
    let mut before = empty.clone();
    let mut count = 0;
    while conn
        .has_pending_migration(migrations())
        .expect("pending migrations")
    {
        let name = conn
            .run_next_migration(migrations())
            .expect("the migration runs up")
            .to_string();
        let after = shape(conn);
        assert_ne!(after, before, "migration {name} changed nothing");
        conn.revert_last_migration(migrations())
            .unwrap_or_else(|e| panic!("migration {name} does not run down: {e}"));
        catalog::assert_same(
            &before,
            &shape(conn),
            &format!("migration {name}: down does not undo up (left before up, right after down)"),
        );
        conn.run_next_migration(migrations())
            .unwrap_or_else(|e| panic!("migration {name} does not run up after down: {e}"));
        catalog::assert_same(
            &after,
            &shape(conn),
            &format!("migration {name}: up after down (right) differs from the first up (left)"),
        );
        before = after;
        count += 1;
    }
    assert!(count >= 5, "only {count} migrations ran");
    conn.revert_all_migrations(migrations())
        .expect("all migrations run down");
    assert_eq!(
        shape(conn),
        empty,
        "all migrations down leave tables behind"
    );
    conn.run_pending_migrations(migrations())
        .expect("all migrations run up again");
    catalog::assert_same(
        &before,
        &shape(conn),
        "all migrations up again (right) differ from the first time (left)",
    );
}

#[test]
fn every_sqlite_migration_runs_up_down_up() {
    let mut conn = databases::sqlite();
    each_migration_up_down_up(
        &mut conn,
        || SQLITE_MIGRATIONS,
        |c| catalog::sqlite(c).expect("the SQLite catalog"),
    );
}

#[test]
fn every_postgres_migration_runs_up_down_up() {
    let Some((_database, mut conn)) = databases::postgres() else {
        return;
    };
    each_migration_up_down_up(
        &mut conn,
        || POSTGRES_MIGRATIONS,
        |c| catalog::postgres(c).expect("the PostgreSQL catalog"),
    );
}
