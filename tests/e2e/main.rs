//! The end-to-end suite: each test starts the real server on a random port against its own
//! fresh database (SQLite, or PostgreSQL when `TREEHERD_TEST_POSTGRES_URL` is set) and speaks
//! GraphQL to it over HTTP and WebSocket.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod auth;
mod builds;
mod demo;
mod dependencies;
mod external_auth;
mod graph;
mod health;
mod hg_server;
mod ingest;
mod jobs;
mod limits;
mod log_server;
mod log_view;
mod machines;
mod pushes;
mod pushlog;
mod pushlog_http;
mod releases;
mod repositories;
mod subscriptions;
mod test_objects;
