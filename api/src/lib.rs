//! The treeherd server: configuration, authentication, the actix-web application and the
//! command line. `main.rs` only parses arguments and calls into here.

pub mod auth;
pub mod cli;
pub mod config;
pub mod consume;
pub mod demo;
mod graphiql;
pub mod import;
mod log_routes;
pub mod log_worker;
mod progress;
mod pushlog_routes;
pub mod pushlog_sync;
mod routes;
pub mod startup;
pub mod telemetry;
mod ui;

pub use config::Config;
pub use startup::Application;
