//! The treeherd server: configuration, authentication, the actix-web application and the
//! command line. `main.rs` only parses arguments and calls into here.

mod answer_cache;
pub mod auth;
pub mod bugzilla_poller;
pub mod cli;
mod client_gone;
pub mod config;
pub mod consume;
pub mod drain;
mod graphiql;
mod graphql_routes;
mod health;
mod job_routes;
mod log_routes;
pub mod log_worker;
mod metrics_routes;
mod persisted_queries;
mod progress;
mod pushlog_poller;
mod pushlog_routes;
mod rest;
mod retention_loop;
mod routes;
pub mod startup;
mod state;
pub mod telemetry;
mod ui;
mod url_check;

pub use config::Config;
pub use startup::Application;
