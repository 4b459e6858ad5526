//! `store/src/schema.rs` is written by hand (migrations/README.md), so it is checked here:
//! its `diesel::table!` blocks name exactly the migrated tables, each with exactly the
//! migrated columns, of the same type and nullability, and the same primary key. A column a
//! migration adds but `schema.rs` forgets (or the reverse) fails here, not in a query at run
//! time. Checked against SQLite always and against PostgreSQL when a server is named (the
//! dialect test holds the two equal). SQLite's FTS5 tables of bug summaries are its text
//! index, not tables the code names ([`crate::text_index`]).

use std::collections::BTreeMap;

use diesel_migrations::MigrationHarness;

use crate::catalog::{self, Column, Shape};
use crate::databases::{self, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::text_index::{Dialect, without_text_index};

/// A `table!` block: primary key and columns (name, diesel type, nullable), as written.
#[derive(Debug, PartialEq, Eq)]
struct DeclaredTable {
    primary_key: Vec<String>,
    columns: BTreeMap<String, (String, bool)>,
}

/// The tables `schema.rs` declares, by name.
fn declared_tables(source: &str) -> BTreeMap<String, DeclaredTable> {
    let mut tables = BTreeMap::new();
    let mut lines = source.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line != "diesel::table! {" {
            continue;
        }
        // `name (key, ...) {`
        let header = lines.next().unwrap_or_default();
        let (name, key) = header
            .trim_end_matches('{')
            .trim()
            .split_once('(')
            .unwrap_or_else(|| panic!("schema.rs: a table header without a key: {header:?}"));
        let primary_key = key
            .trim_end_matches(')')
            .split(',')
            .map(|k| k.trim().to_owned())
            .collect();
        let mut columns = BTreeMap::new();
        for line in lines.by_ref() {
            if line == "}" {
                break;
            }
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            let Some((column, sql_type)) = line.trim_end_matches(',').split_once("->") else {
                panic!("schema.rs: table {name}: cannot read {line:?}");
            };
            let sql_type = sql_type.trim();
            let (sql_type, nullable) = match sql_type
                .strip_prefix("Nullable<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(inner) => (inner, true),
                None => (sql_type, false),
            };
            columns.insert(column.trim().to_owned(), (sql_type.to_owned(), nullable));
        }
        tables.insert(
            name.trim().to_owned(),
            DeclaredTable {
                primary_key,
                columns,
            },
        );
    }
    tables
}

/// What `schema.rs` would say of a migrated shape.
fn as_declared(shape: &Shape) -> BTreeMap<String, DeclaredTable> {
    shape
        .iter()
        .map(|(name, table)| {
            let columns = table
                .columns
                .iter()
                .map(
                    |Column {
                         name,
                         sql_type,
                         nullable,
                     }| { (name.clone(), (sql_type.clone(), *nullable)) },
                )
                .collect();
            let declared = DeclaredTable {
                primary_key: table.primary_key.clone(),
                columns,
            };
            (name.clone(), declared)
        })
        .collect()
}

fn schema_rs() -> BTreeMap<String, DeclaredTable> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/schema.rs");
    let source = std::fs::read_to_string(path).expect("store/src/schema.rs");
    let tables = declared_tables(&source);
    assert!(
        tables.len() >= 10,
        "read only {} tables from schema.rs",
        tables.len()
    );
    tables
}

/// Compares table by table and column by column, so a failure names what differs.
fn assert_matches(migrated: &Shape, backend: &str) {
    let migrated = as_declared(migrated);
    let declared = schema_rs();
    let mut found = Vec::new();
    for (name, table) in &declared {
        let Some(other) = migrated.get(name) else {
            found.push(format!("table {name} is in schema.rs only"));
            continue;
        };
        if table.primary_key != other.primary_key {
            found.push(format!(
                "{name}: primary key {:?} in schema.rs, {:?} migrated",
                table.primary_key, other.primary_key
            ));
        }
        for (column, written) in &table.columns {
            match other.columns.get(column) {
                None => found.push(format!("{name}.{column} is in schema.rs only")),
                Some(migrated) if migrated != written => found.push(format!(
                    "{name}.{column}: (type, nullable) {written:?} in schema.rs, {migrated:?} migrated"
                )),
                Some(_) => {}
            }
        }
        for column in other.columns.keys() {
            if !table.columns.contains_key(column) {
                found.push(format!("{name}.{column} is missing from schema.rs"));
            }
        }
    }
    for name in migrated.keys().filter(|name| !declared.contains_key(*name)) {
        found.push(format!("table {name} is missing from schema.rs"));
    }
    assert!(
        found.is_empty(),
        "store/src/schema.rs and the {backend} migrations differ:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn schema_rs_matches_the_sqlite_migrations() {
    let mut conn = databases::sqlite();
    conn.run_pending_migrations(SQLITE_MIGRATIONS)
        .expect("the SQLite migrations");
    let shape = catalog::sqlite(&mut conn).expect("the SQLite catalog");
    assert_matches(&without_text_index(shape, Dialect::Sqlite), "SQLite");
}

#[test]
fn schema_rs_matches_the_postgres_migrations() {
    let Some((_database, mut conn)) = databases::postgres() else {
        return;
    };
    conn.run_pending_migrations(POSTGRES_MIGRATIONS)
        .expect("the PostgreSQL migrations");
    assert_matches(
        &catalog::postgres(&mut conn).expect("the PostgreSQL catalog"),
        "PostgreSQL",
    );
}

#[test]
fn table_blocks_are_read_with_keys_types_and_nullability() {
    let tables = declared_tables(
        "diesel::table! {\n    commits (push_row_id, position) {\n        push_row_id -> BigInt,\n        \
         branch -> Nullable<Text>,\n    }\n}\n",
    );
    let commits = &tables["commits"];
    assert_eq!(commits.primary_key, ["push_row_id", "position"]);
    assert_eq!(commits.columns["push_row_id"], ("BigInt".to_owned(), false));
    assert_eq!(commits.columns["branch"], ("Text".to_owned(), true));
}
