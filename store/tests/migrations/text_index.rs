//! The one accepted difference between the dialects: the text index of bug summaries.
//!
//! Bug suggestions look for summaries containing a term (Treeherder's `icontains`), which
//! neither backend can answer from a B-tree. Each gets its own text index: on SQLite an FTS5
//! table with the trigram tokenizer (`bugs_summary_fts`, its shadow tables and the triggers
//! that keep it current), on PostgreSQL a pg_trgm GIN index on `lower(summary)`
//! (`bugs_summary_trgm`). Neither can be spelled in the other dialect, and the store queries
//! each through its own SQL (`store/src/bugs.rs`), so the catalogs differ by exactly these
//! objects. [`without_text_index`] removes them, and only them, from a migrated shape before
//! the shapes are compared; it fails when one is missing, so the exception cannot outlive
//! the index or cover anything else.

use crate::catalog::{Index, Shape};

/// The FTS5 table over `bugs.summary` and the shadow tables SQLite keeps for it (an
/// external-content table has no `_content` table: the text stays in `bugs`).
pub const SQLITE_FTS_TABLES: [&str; 5] = [
    "bugs_summary_fts",
    "bugs_summary_fts_config",
    "bugs_summary_fts_data",
    "bugs_summary_fts_docsize",
    "bugs_summary_fts_idx",
];

/// The pg_trgm GIN index on `lower(summary)` of `bugs`.
pub const POSTGRES_TRGM_INDEX: &str = "bugs_summary_trgm";

/// Which catalog a shape was read from.
#[derive(Debug, Clone, Copy)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// `shape` without its dialect's text index of bug summaries, which must be there.
pub fn without_text_index(mut shape: Shape, dialect: Dialect) -> Shape {
    match dialect {
        Dialect::Sqlite => {
            for table in SQLITE_FTS_TABLES {
                assert!(
                    shape.remove(table).is_some(),
                    "the SQLite migrations have no table {table}: the text index of bug \
                     summaries changed, so the exception in text_index.rs must change too"
                );
            }
        }
        Dialect::Postgres => {
            let bugs = shape
                .get_mut("bugs")
                .expect("the PostgreSQL migrations have a bugs table");
            let trgm: Vec<Index> = bugs
                .indexes
                .iter()
                .filter(|i| i.name.as_deref() == Some(POSTGRES_TRGM_INDEX))
                .cloned()
                .collect();
            assert_eq!(
                trgm.len(),
                1,
                "the PostgreSQL migrations have no index {POSTGRES_TRGM_INDEX} on bugs: the \
                 text index of bug summaries changed, so the exception in text_index.rs must \
                 change too"
            );
            for index in trgm {
                // An index on an expression (`lower(summary)`), not on a column, and not
                // unique: anything else by that name is not the text index.
                assert!(
                    !index.unique && !index.partial,
                    "{POSTGRES_TRGM_INDEX} is not the text index: {index:?}"
                );
                bugs.indexes.remove(&index);
            }
        }
    }
    shape
}
