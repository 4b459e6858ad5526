//! Every column that references a row retention deletes (a job, a log, a test result, a job's
//! current classification) leads an index or the primary key: a delete runs its cascade or
//! `SET NULL` per deleted row, and without the index each of those scans the referencing table
//! (the dialects hold the same indexes, [`crate::dialects`], so SQLite's catalog answers for
//! both).

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;

use crate::catalog;
use crate::databases::{self, SQLITE_MIGRATIONS};

/// The tables whose rows retention deletes.
const DELETED: [&str; 4] = ["jobs", "job_logs", "test_results", "job_classifications"];

#[derive(QueryableByName)]
struct Reference {
    #[diesel(sql_type = Text)]
    parent: String,
    #[diesel(sql_type = Text)]
    column: String,
}

#[test]
fn every_reference_to_a_deleted_row_is_indexed() {
    let mut conn = databases::sqlite();
    conn.run_pending_migrations(SQLITE_MIGRATIONS)
        .expect("the SQLite migrations");
    let shape = catalog::sqlite(&mut conn).expect("the SQLite catalog");
    let mut unindexed = Vec::new();
    let mut checked = 0;
    for (name, table) in &shape {
        let references: Vec<Reference> = diesel::sql_query(
            "SELECT \"table\" AS parent, \"from\" AS \"column\" FROM pragma_foreign_key_list(?)",
        )
        .bind::<Text, _>(name)
        .load(&mut conn)
        .expect("the table's foreign keys");
        for reference in references
            .iter()
            .filter(|r| DELETED.contains(&r.parent.as_str()))
        {
            checked += 1;
            let leads = |columns: &[String]| columns.first() == Some(&reference.column);
            if !leads(&table.primary_key) && !table.indexes.iter().any(|i| leads(&i.columns)) {
                unindexed.push(format!(
                    "{name}.{} → {}",
                    reference.column, reference.parent
                ));
            }
        }
    }
    assert!(
        checked >= 15,
        "only {checked} references found: is the catalog read?"
    );
    assert!(
        unindexed.is_empty(),
        "references without an index leading with them:\n  {}",
        unindexed.join("\n  ")
    );
}
