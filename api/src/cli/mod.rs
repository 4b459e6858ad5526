//! The `treeherd` command line: the clap [`Cli`], its `Command`s and a short dispatch. Each
//! subcommand lives in its own file with its flags and the one function that runs it (`serve`,
//! `demo`, `migrate`, `token issue`, `schema`, `consume`, `import`, `pushlog`, `log`,
//! `expire`, `export`). Flags fall
//! back to `TREEHERD_*` environment variables; this tree is the only place that reads them, and
//! `crate::config` judges their values.

mod consume;
mod database;
mod demo;
mod expire;
mod export;
mod export_parquet;
mod import;
mod import_bugs;
mod log;
mod migrate;
mod pushlog;
mod schema;
mod serve;
mod token;
mod variables;

use clap::{Parser, Subcommand};

use crate::telemetry::{self, LogFormat};

pub use consume::ConsumeArgs;
pub use database::DatabaseArgs;
pub use demo::DemoArgs;
pub use serve::ServeArgs;
pub use variables::name_the_variable;

#[derive(Parser)]
#[command(
    name = "treeherd",
    version,
    about = "What happened to every CI job: a GraphQL API over a job dependency graph"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(
        long,
        global = true,
        env = "TREEHERD_LOG",
        default_value = "info",
        value_parser = telemetry::filter
    )]
    log: String,
    #[arg(
        long,
        global = true,
        env = "TREEHERD_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (migrating the database first).
    Serve(Box<ServeArgs>),
    /// Fills the database with demo data and exits (what `serve --demo` does first).
    Demo(DemoArgs),
    /// Applies pending database migrations and exits.
    Migrate(DatabaseArgs),
    /// Write tokens.
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Prints the GraphQL schema (SDL).
    Schema,
    /// Consumes Treeherder pulse job messages from an AMQP (RabbitMQ/Pulse) exchange.
    Consume(ConsumeArgs),
    /// Imports what build systems produce.
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// The pushlog: bring it up to date, or backfill it.
    Pushlog {
        #[command(subcommand)]
        command: pushlog::PushlogCommand,
    },
    /// Deletes jobs (and performance values) older than their retention window, once.
    Expire(expire::ExpireArgs),
    /// Writes the jobs of a time range as NDJSON (with push, attributes, edges, classification).
    Export(export::ExportArgs),
    /// Job logs, without a server.
    Log {
        #[command(subcommand)]
        command: log::LogCommand,
    },
}

impl Cli {
    /// Runs a command that needs no async runtime (parsing a log file: a CLI run per log
    /// should not pay for starting one), or gives the command back for [`Cli::run`].
    pub fn without_runtime(self) -> Result<anyhow::Result<()>, Box<Cli>> {
        match self.command {
            Command::Log { command } => Ok(log::run(command)),
            command => Err(Box::new(Cli { command, ..self })),
        }
    }

    pub async fn run(self) -> anyhow::Result<()> {
        telemetry::init(&self.log, self.log_format);
        match self.command {
            Command::Serve(args) => serve::run(*args).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Migrate(database) => migrate::run(&database).await,
            Command::Token { command } => token::run(command).await,
            Command::Schema => schema::run(),
            Command::Consume(args) => consume::run(args).await,
            Command::Import { command } => import::run(command).await,
            Command::Pushlog { command } => pushlog::run(command).await,
            Command::Expire(args) => expire::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Log { command } => log::run(command),
        }
    }
}
