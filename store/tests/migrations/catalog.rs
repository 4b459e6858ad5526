//! A database's shape as its own catalog tells it after migrating: tables, their columns
//! (type and nullability), primary keys and indexes, in one backend-neutral form, so that
//! two backends, two moments (before an `up`, after its `down`) or `store/src/schema.rs` can
//! be compared with `assert_eq!`.
//!
//! Types are compared as diesel's SQL types (`BigInt`, `Integer`, `Text`, `Bool`, `Double`):
//! SQLite's `INTEGER PRIMARY KEY` is its 64-bit rowid, the same column as PostgreSQL's
//! `BIGINT GENERATED … AS IDENTITY`. An index is known by its name when a migration created it
//! (`CREATE INDEX`), by its columns alone when a `UNIQUE` constraint did (each backend names
//! those its own way); the primary key is compared as a column list.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};

/// Tables by name. diesel's own `__diesel_schema_migrations` and SQLite's `sqlite_*` are left
/// out.
pub type Shape = BTreeMap<String, Table>;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// In the table's column order.
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub indexes: BTreeSet<Index>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// diesel's SQL type name (`BigInt`, `Text`, ...), or the catalog's when it has none.
    pub sql_type: String,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Index {
    /// `None` for the index of a `UNIQUE` constraint.
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub unique: bool,
    /// Has a `WHERE` clause.
    pub partial: bool,
}

const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
    /// Position in the primary key, from 1; 0 when not in it.
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    /// `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk` (primary key).
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = Bool)]
    partial: bool,
}

/// The shape of a migrated SQLite database.
pub fn sqlite(conn: &mut SqliteConnection) -> QueryResult<Shape> {
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> ? ORDER BY name",
    )
    .bind::<Text, _>(MIGRATIONS_TABLE)
    .load(conn)?;
    let mut shape = Shape::new();
    for Name { name: table } in tables {
        let columns: Vec<SqliteColumn> = diesel::sql_query(
            "SELECT name, type AS declared, \"notnull\" AS not_null, pk \
             FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind::<Text, _>(&table)
        .load(conn)?;
        let mut key: Vec<(i64, String)> = columns
            .iter()
            .filter(|c| c.pk > 0)
            .map(|c| (c.pk, c.name.clone()))
            .collect();
        key.sort();
        let primary_key: Vec<String> = key.into_iter().map(|(_, name)| name).collect();
        // A single INTEGER primary key column is the table's 64-bit rowid.
        let rowid = match primary_key.as_slice() {
            [only] => columns
                .iter()
                .find(|c| &c.name == only)
                .is_some_and(|c| c.declared.eq_ignore_ascii_case("INTEGER")),
            _ => false,
        };
        let columns = columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                sql_type: if rowid && c.pk > 0 {
                    "BigInt".to_owned()
                } else {
                    diesel_type(&c.declared)
                },
                // SQLite lets a primary key column hold NULL unless it says NOT NULL;
                // PostgreSQL never does. What the application can store is the same.
                nullable: !c.not_null && c.pk == 0,
            })
            .collect();
        let listed: Vec<SqliteIndex> = diesel::sql_query(
            "SELECT name, \"unique\" AS is_unique, origin, partial FROM pragma_index_list(?)",
        )
        .bind::<Text, _>(&table)
        .load(conn)?;
        let mut indexes = BTreeSet::new();
        for index in listed.into_iter().filter(|i| i.origin != "pk") {
            let columns: Vec<Name> =
                // An expression (`jobs_by_age`) has no column name.
                diesel::sql_query(
                    "SELECT COALESCE(name, '(expression)') AS name FROM pragma_index_info(?) \
                     ORDER BY seqno",
                )
                    .bind::<Text, _>(&index.name)
                    .load(conn)?;
            indexes.insert(Index {
                name: (index.origin == "c").then_some(index.name),
                columns: columns.into_iter().map(|c| c.name).collect(),
                unique: index.is_unique,
                partial: index.partial,
            });
        }
        shape.insert(
            table,
            Table {
                columns,
                primary_key,
                indexes,
            },
        );
    }
    Ok(shape)
}

#[derive(QueryableByName)]
struct PostgresColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

#[derive(QueryableByName)]
struct PostgresIndex {
    #[diesel(sql_type = Text)]
    name: String,
    /// Column names in index order, comma-separated.
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Bool)]
    is_primary: bool,
    #[diesel(sql_type = Bool)]
    partial: bool,
    /// The index belongs to a `UNIQUE` or `PRIMARY KEY` constraint.
    #[diesel(sql_type = Bool)]
    constraint: bool,
}

/// The shape of a migrated PostgreSQL database (its current schema).
pub fn postgres(conn: &mut PgConnection) -> QueryResult<Shape> {
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
         AND table_name <> $1 ORDER BY table_name",
    )
    .bind::<Text, _>(MIGRATIONS_TABLE)
    .load(conn)?;
    let mut shape = Shape::new();
    for Name { name: table } in tables {
        let columns: Vec<PostgresColumn> = diesel::sql_query(
            "SELECT column_name::text AS name, data_type::text AS data_type, \
             is_nullable = 'YES' AS nullable FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind::<Text, _>(&table)
        .load(conn)?;
        let listed: Vec<PostgresIndex> = diesel::sql_query(
            "SELECT i.relname::text AS name, \
               array_to_string(ARRAY(SELECT COALESCE(a.attname::text, '(expression)') \
                 FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                 LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
                 ORDER BY k.ord), ',') AS columns, \
               x.indisunique AS is_unique, x.indisprimary AS is_primary, \
               x.indpred IS NOT NULL AS partial, \
               EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid \
                 AND c.conrelid = x.indrelid AND c.contype IN ('u', 'p')) AS constraint \
             FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = current_schema() AND t.relname = $1",
        )
        .bind::<Text, _>(&table)
        .load(conn)?;
        let mut primary_key = Vec::new();
        let mut indexes = BTreeSet::new();
        for index in listed {
            let names: Vec<String> = index.columns.split(',').map(str::to_owned).collect();
            if index.is_primary {
                primary_key = names;
                continue;
            }
            indexes.insert(Index {
                name: (!index.constraint).then_some(index.name),
                columns: names,
                unique: index.is_unique,
                partial: index.partial,
            });
        }
        let columns = columns
            .into_iter()
            .map(|c| Column {
                sql_type: diesel_type(&c.data_type),
                name: c.name,
                nullable: c.nullable,
            })
            .collect();
        shape.insert(
            table,
            Table {
                columns,
                primary_key,
                indexes,
            },
        );
    }
    Ok(shape)
}

/// diesel's SQL type for a column type as either catalog spells it (SQLite keeps the
/// declared text, PostgreSQL's information_schema its standard name).
fn diesel_type(declared: &str) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "BIGINT" | "INT8" => "BigInt",
        "INTEGER" | "INT" | "INT4" => "Integer",
        "SMALLINT" | "INT2" => "SmallInt",
        "TEXT" | "CHARACTER VARYING" | "VARCHAR" => "Text",
        "BOOLEAN" | "BOOL" => "Bool",
        "DOUBLE PRECISION" | "DOUBLE" | "FLOAT8" => "Double",
        "BLOB" | "BYTEA" => "Binary",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// What differs between two shapes, table by table, one line each (empty when equal): for
/// messages that name the table instead of printing both shapes whole.
pub fn differences(left: &Shape, right: &Shape) -> Vec<String> {
    let mut found = Vec::new();
    for (name, table) in left {
        let Some(other) = right.get(name) else {
            found.push(format!("table {name} only on the left"));
            continue;
        };
        for column in &table.columns {
            match other.columns.iter().find(|c| c.name == column.name) {
                None => found.push(format!("{name}.{} only on the left", column.name)),
                Some(c) if c != column => {
                    found.push(format!("{name}.{}: {column:?} vs {c:?}", column.name))
                }
                Some(_) => {}
            }
        }
        for column in &other.columns {
            if !table.columns.iter().any(|c| c.name == column.name) {
                found.push(format!("{name}.{} only on the right", column.name));
            }
        }
        let left_order: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let right_order: Vec<&str> = other.columns.iter().map(|c| c.name.as_str()).collect();
        if left_order != right_order {
            found.push(format!(
                "{name}: column order {left_order:?} vs {right_order:?}"
            ));
        }
        if table.primary_key != other.primary_key {
            found.push(format!(
                "{name}: primary key {:?} vs {:?}",
                table.primary_key, other.primary_key
            ));
        }
        for index in table.indexes.difference(&other.indexes) {
            found.push(format!("{name}: index only on the left: {index:?}"));
        }
        for index in other.indexes.difference(&table.indexes) {
            found.push(format!("{name}: index only on the right: {index:?}"));
        }
    }
    for name in right.keys().filter(|name| !left.contains_key(*name)) {
        found.push(format!("table {name} only on the right"));
    }
    found
}

/// Panics with [`differences`] when `left` and `right` differ.
pub fn assert_same(left: &Shape, right: &Shape, what: &str) {
    let found = differences(left, right);
    assert!(found.is_empty(), "{what}:\n  {}", found.join("\n  "));
}
