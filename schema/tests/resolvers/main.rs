//! The schema below HTTP: each test builds the GraphQL schema over its own fresh store (SQLite,
//! or PostgreSQL when `TREEHERD_TEST_POSTGRES_URL` is set) and runs documents on it with
//! `schema.execute()` ([`support::TestSchema`]). What a query or mutation answers is tested
//! here; what needs the server (HTTP, tokens, WebSocket, workers, pollers, processes) is the
//! end-to-end suite's (`tests/e2e/`).

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod bugs;
mod builders;
mod builds;
mod dependencies;
mod graph;
mod ingest;
mod jobs;
mod machines;
mod pushes;
mod releases;
mod repositories;
mod support;
mod test_objects;
