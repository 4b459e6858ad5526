//! The migrations, checked against themselves and against the code: every migration runs
//! up → down → up on SQLite and on PostgreSQL and each `down` undoes exactly its `up`
//! ([`up_down_up`]); the two dialects end in the same tables, columns and indexes
//! ([`dialects`]), but for the text index of bug summaries, FTS5 on one and pg_trgm on the
//! other ([`text_index`]); `store/src/schema.rs`, written by hand, names the migrated tables and
//! columns with their types ([`schema_rs`]); dangling edges keep an index of their own
//! whatever the statistics say ([`dangling_edges`]). [`catalog`] reads a database's shape from its
//! catalog; [`databases`] opens fresh ones.
//!
//! PostgreSQL tests run when `TREEHERD_TEST_POSTGRES_URL` names a server, each on a new
//! database; without it they report SKIPPED, unless `TREEHERD_REQUIRE_POSTGRES=1` (CI's
//! PostgreSQL pass), where they fail instead.

mod catalog;
mod dangling_edges;
mod databases;
mod dialects;
mod foreign_keys;
mod schema_rs;
mod text_index;
mod up_down_up;
