//! The end-to-end suite: each test starts the real server on a random port against its own
//! fresh database (SQLite, or PostgreSQL when `TREEHERD_TEST_POSTGRES_URL` is set) and speaks
//! GraphQL to it over HTTP and WebSocket. It keeps what needs the server: HTTP routes and
//! limits, tokens, WebSocket, the log worker and pollers, several servers on one database.
//! What a query or mutation answers is tested below HTTP, in `schema/tests/resolvers/`.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod apq;
mod auth;
mod bugzilla;
mod bugzilla_server;
mod builders;
mod cost;
mod deadline;
mod demo;
mod export;
mod external_auth;
mod graph;
mod health;
mod hg_server;
mod hostile_input;
mod http_get;
mod ingest;
mod limits;
mod log_server;
mod log_view;
mod metrics;
mod node;
mod parse_queue;
mod pushlog;
mod pushlog_http;
mod response_cap;
mod rest;
mod retention;
mod sheriffing;
mod subscriptions;
mod test_objects;
