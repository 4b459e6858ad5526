//! The `treeherd` command line: `serve`, `demo`, `migrate`, `token issue`, `schema`,
//! `consume`, `import` (task graphs, buildhub records), `pushlog`, `log`. Flags fall back
//! to `TREEHERD_*` environment variables; this is the only place that reads them.

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use treeherd_store::{DatabaseUrl, Store, StoreOptions};

use crate::auth::{self, TokenKeys};
use crate::config;
use crate::telemetry::{self, LogFormat};
use crate::{Application, Config};

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

#[derive(Args, Clone)]
struct DatabaseArgs {
    /// sqlite://PATH (created when missing) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long = "database",
        env = "TREEHERD_DATABASE_URL",
        default_value = "sqlite://treeherd.db",
        value_parser = config::database_url
    )]
    url: DatabaseUrl,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server (migrating the database first).
    Serve {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Address to listen on.
        #[arg(
            long,
            env = "TREEHERD_BIND",
            default_value = "127.0.0.1:8000",
            value_parser = config::bind
        )]
        bind: String,
        /// Secret that signs write tokens (HS256). Default: one generated and kept in the database.
        #[arg(
            long,
            env = "TREEHERD_JWT_SECRET",
            hide_env_values = true,
            value_parser = config::not_empty
        )]
        jwt_secret: Option<String>,
        /// A JWKS file (an external OAuth provider's keys) whose RS256/ES256 tokens are accepted.
        #[arg(long, env = "TREEHERD_JWKS_FILE")]
        jwks_file: Option<std::path::PathBuf>,
        /// The issuer (`iss`) tokens verified by the JWKS must name.
        #[arg(long, env = "TREEHERD_JWT_ISSUER", value_parser = config::not_empty)]
        jwt_issuer: Option<String>,
        /// CIDR ranges (the build network) that may write without a token; comma-separated.
        #[arg(
            long = "trusted-network",
            env = "TREEHERD_TRUSTED_NETWORKS",
            value_delimiter = ','
        )]
        trusted_networks: Vec<ipnet::IpNet>,
        /// Proxies (CIDR) whose X-Forwarded-For is believed; comma-separated.
        #[arg(
            long = "trusted-proxy",
            env = "TREEHERD_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<ipnet::IpNet>,
        /// Database connections in the pool (1 to 1000).
        #[arg(long, env = "TREEHERD_POOL_SIZE", default_value_t = 8,
              value_parser = clap::value_parser!(u32).range(1..=1000))]
        pool_size: u32,
        /// HTTP worker threads, 1 to 1024 (default: one per core).
        #[arg(
            long,
            env = "TREEHERD_WORKERS",
            value_parser = clap::value_parser!(u16).range(1..=1024)
        )]
        workers: Option<u16>,
        /// Largest request body in bytes (at least 1).
        #[arg(long, env = "TREEHERD_MAX_BODY_BYTES", default_value_t = 64 * 1024 * 1024,
              value_parser = config::bytes)]
        max_body_bytes: u64,
        /// The secret GitHub signs push webhooks with (POST /api/webhooks/github is off
        /// without it).
        #[arg(long, env = "TREEHERD_GITHUB_WEBHOOK_SECRET", hide_env_values = true,
              value_parser = config::not_empty)]
        github_webhook_secret: Option<String>,
        /// How often to bring the pushlog of every hg repository up to date from its
        /// json-pushes (e.g. 60s, 5m, up to 365d; default: never).
        #[arg(long, env = "TREEHERD_PUSHLOG_INTERVAL", value_parser = config::interval)]
        pushlog_interval: Option<std::time::Duration>,
        /// Job logs fetched and parsed at once, up to 256 (0: this process parses none).
        #[arg(long, env = "TREEHERD_LOG_PARSE_CONCURRENCY", default_value_t = 2,
              value_parser = clap::value_parser!(u16).range(0..=256))]
        log_parse_concurrency: u16,
        /// The largest log (bytes as served) that is parsed; larger ones are SKIPPED.
        #[arg(long, env = "TREEHERD_LOG_MAX_BYTES", default_value_t = 256 * 1024 * 1024,
              value_parser = config::bytes)]
        log_max_bytes: u64,
        /// Fill the database with demo data first (three repositories, a few hundred pushes),
        /// unless the demo repositories are there already. The variable takes any boolean
        /// (1/0, true/false, yes/no, on/off).
        #[arg(long, env = "TREEHERD_DEMO", action = clap::ArgAction::SetTrue,
              value_parser = clap::builder::BoolishValueParser::new())]
        demo: bool,
    },
    /// Fills the database with demo data and exits (what `serve --demo` does first).
    Demo {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Pushes over all repositories.
        #[arg(long, default_value_t = crate::demo::DemoOptions::default().pushes)]
        pushes: u32,
        /// The same seed (at the same time) gives the same data.
        #[arg(long, default_value_t = crate::demo::DemoOptions::default().seed)]
        seed: u64,
    },
    /// Applies pending database migrations and exits.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Write tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Prints the GraphQL schema (SDL).
    Schema,
    /// Consumes Treeherder pulse job messages from an AMQP (RabbitMQ/Pulse) exchange.
    Consume {
        #[command(flatten)]
        database: DatabaseArgs,
        /// amqp://user:pass@host:5672/vhost or amqps://...
        #[arg(long, env = "TREEHERD_AMQP_URL", value_parser = config::amqp_url)]
        amqp_url: String,
        /// The topic exchange to bind to.
        #[arg(long)]
        exchange: String,
        /// The durable queue to consume from.
        #[arg(long)]
        queue: String,
        /// The routing key pattern of the binding.
        #[arg(long, default_value = "#")]
        routing_key: String,
        /// The most messages written in one transaction.
        #[arg(long, default_value_t = 500)]
        batch: u16,
        /// Unacknowledged messages at once (default: three batches, so that deliveries keep
        /// coming while one batch commits).
        #[arg(long)]
        prefetch: Option<u16>,
    },
    /// Imports what build systems produce.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// The pushlog: bring it up to date, or backfill it.
    Pushlog {
        #[command(subcommand)]
        command: PushlogCommand,
    },
    /// Job logs, without a server.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Parses a log file (plain or gzip; `-` reads standard input) and prints what it holds
    /// as JSON.
    Parse {
        file: std::path::PathBuf,
        /// `treeherder`: `{"errors": [...]}` exactly as Treeherder's logview artifact;
        /// `full`: errors, steps, PERFHERDER_DATA and counts.
        #[arg(long, value_enum, default_value = "treeherder")]
        format: crate::log_cli::LogFormat,
    },
}

#[derive(Subcommand)]
enum PushlogCommand {
    /// Brings an hg repository's pushlog up to date from its json-pushes.
    Sync {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        repository: String,
    },
    /// Backfills a repository's pushlog from a local git clone: each commit on the branch's
    /// first-parent history becomes a push holding the commits it brought in.
    ImportGit {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        repository: String,
        /// The local repository.
        #[arg(long)]
        path: std::path::PathBuf,
        #[arg(long)]
        branch: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// A Taskcluster task graph (full-task-graph.json, task-graph.json, or queue task
    /// definitions keyed by taskId): UNSCHEDULED jobs of one push, and typed edges.
    Taskgraph {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The task graph file.
        file: std::path::PathBuf,
        #[arg(long)]
        repository: String,
        /// The revision of the push the tasks belong to (40 hexadecimal digits).
        #[arg(long)]
        revision: String,
        /// Edge-kind rules replacing the default table (`treeherd import rules` prints it).
        #[arg(long)]
        rules: Option<std::path::PathBuf>,
    },
    /// Prints the default edge-kind rules, in the format `--rules` reads.
    Rules,
    /// Buildhub records (buildhub2's `buildhub.json` shape, as a JSON array, NDJSON, or a
    /// `{"hits": {"hits": [{"_source": ...}]}}` search answer), stored in one transaction.
    Buildhub {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The records file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Prints a token the server on the same database (or with the same secret) accepts.
    Issue {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Who the token is for (the `sub` claim).
        #[arg(long)]
        subject: String,
        /// write:<repository>, write:* or admin; repeat for several.
        #[arg(long = "scope", required = true, num_args = 1.., value_parser = auth::parse_scope)]
        scopes: Vec<String>,
        /// How long the token is valid: 30d, 12h, 15m, 3600s.
        #[arg(long, default_value = "30d", value_parser = config::token_ttl)]
        ttl: std::time::Duration,
        #[arg(
            long,
            env = "TREEHERD_JWT_SECRET",
            hide_env_values = true,
            value_parser = config::not_empty
        )]
        jwt_secret: Option<String>,
    },
}

impl Cli {
    /// Runs a command that needs no async runtime (parsing a log file: a CLI run per log
    /// should not pay for starting one), or gives the command back for [`Cli::run`].
    pub fn without_runtime(self) -> Result<anyhow::Result<()>, Box<Cli>> {
        match self.command {
            Command::Log {
                command: LogCommand::Parse { file, format },
            } => Ok(crate::log_cli::parse(&file, format)),
            command => Err(Box::new(Cli { command, ..self })),
        }
    }

    pub async fn run(self) -> anyhow::Result<()> {
        telemetry::init(&self.log, self.log_format);
        match self.command {
            Command::Serve {
                database,
                bind,
                jwt_secret,
                jwks_file,
                jwt_issuer,
                trusted_networks,
                trusted_proxies,
                pool_size,
                workers,
                max_body_bytes,
                github_webhook_secret,
                pushlog_interval,
                log_parse_concurrency,
                log_max_bytes,
                demo,
            } => {
                let jwks = jwks_file
                    .map(|path| config::read_jwks(&path, jwt_issuer.as_deref()))
                    .transpose()?;
                let config = Config {
                    database_url: database.url,
                    bind,
                    jwt_secret,
                    jwks,
                    jwt_issuer,
                    trusted: crate::auth::TrustedNetworks {
                        networks: trusted_networks,
                        proxies: trusted_proxies,
                    },
                    pool_size,
                    workers: workers.map(usize::from),
                    max_body_bytes: usize::try_from(max_body_bytes).unwrap_or(usize::MAX),
                    github_webhook_secret,
                    pushlog_interval,
                    // Even with no parsing here, the log viewer's route keeps to the limit.
                    log_worker: Some(crate::log_worker::LogWorkerOptions {
                        concurrency: usize::from(log_parse_concurrency),
                        max_bytes: log_max_bytes,
                        ..Default::default()
                    }),
                    demo: demo.then(crate::demo::DemoOptions::default),
                };
                let app = Application::build(&config).await?;
                let host = config.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
                tracing::info!(
                    "treeherd is serving on http://{host}:{port}/graphql (GraphiQL: http://{host}:{port}/graphiql)",
                    port = app.port()
                );
                app.run_until_stopped().await?;
            }
            Command::Demo {
                database,
                pushes,
                seed,
            } => {
                let store = open_migrated(&database).await?;
                let options = crate::demo::DemoOptions { pushes, seed };
                let now = chrono::Utc::now().timestamp_micros();
                println!("{}", crate::demo::fill(&store, &options, now).await?);
            }
            Command::Migrate { database } => {
                let store = open(&database)?;
                let applied = tokio::task::spawn_blocking(move || store.migrate()).await??;
                println!("applied {} migration(s)", applied.len());
            }
            Command::Token {
                command:
                    TokenCommand::Issue {
                        database,
                        subject,
                        scopes,
                        ttl,
                        jwt_secret,
                    },
            } => {
                let secret = match jwt_secret {
                    Some(secret) => secret.into_bytes(),
                    None => auth::signing_secret(None, &open_migrated(&database).await?).await?,
                };
                let token = TokenKeys::from_secret(&secret).issue(&subject, &scopes, ttl)?;
                println!("{token}");
            }
            Command::Schema => print!("{}", treeherd_schema::sdl()),
            Command::Consume {
                database,
                amqp_url,
                exchange,
                queue,
                routing_key,
                batch,
                prefetch,
            } => {
                let store = open_migrated(&database).await?;
                let config = crate::consume::ConsumeConfig {
                    amqp_url,
                    exchange,
                    queue,
                    routing_key,
                    prefetch: prefetch.unwrap_or_else(|| batch.saturating_mul(3)),
                    batch: usize::from(batch),
                };
                crate::consume::run(store, &config).await?;
            }
            Command::Import {
                command: ImportCommand::Rules,
            } => print!("{}", treeherd_ingest::EdgeRules::default()),
            Command::Import {
                command:
                    ImportCommand::Taskgraph {
                        database,
                        file,
                        repository,
                        revision,
                        rules,
                    },
            } => {
                let revision: treeherd_model::Revision = revision.parse()?;
                let rules = rules
                    .map(|path| -> anyhow::Result<treeherd_ingest::EdgeRules> {
                        let text = std::fs::read_to_string(&path)
                            .with_context(|| format!("cannot read {}", path.display()))?;
                        treeherd_ingest::EdgeRules::parse(&text)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
                    })
                    .transpose()?;
                let text = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let json: serde_json::Value = serde_json::from_slice(&text)
                    .with_context(|| format!("{} is not JSON", file.display()))?;
                let graph = crate::import::parse(&json, rules.as_ref())?;
                let store = open_migrated(&database).await?;
                let imported =
                    crate::import::task_graph(&store, graph, &repository, &revision).await?;
                println!(
                    "imported {} jobs and {} edges into {repository}",
                    imported.jobs, imported.edges
                );
            }
            Command::Import {
                command: ImportCommand::Buildhub { database, file },
            } => {
                let text = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let builds = treeherd_ingest::parse_buildhub(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                let store = open_migrated(&database).await?;
                let stored = store.store_builds(builds).await?.len();
                println!(
                    "imported {stored} build{}",
                    if stored == 1 { "" } else { "s" }
                );
            }
            Command::Pushlog {
                command:
                    PushlogCommand::Sync {
                        database,
                        repository,
                    },
            } => {
                let store = open_migrated(&database).await?;
                let repository = store.existing_repository(repository).await?;
                let synced = crate::pushlog_sync::sync_repository(
                    &store,
                    &treeherd_schema::PushEvents::default(),
                    &reqwest::Client::new(),
                    &repository,
                    &crate::pushlog_sync::SyncOptions::default(),
                )
                .await?;
                println!(
                    "{}: {} pushes stored, {} without changesets skipped, last push {}",
                    repository.name, synced.pushes, synced.empty, synced.last_push_id
                );
            }
            Command::Pushlog {
                command:
                    PushlogCommand::ImportGit {
                        database,
                        repository,
                        path,
                        branch,
                    },
            } => {
                let store = open_migrated(&database).await?;
                let pushes = treeherd_pushlog::first_parent_pushes(&path, &branch)?;
                let stored = crate::import::git_pushes(&store, &repository, pushes).await?;
                println!("imported {stored} pushes of {branch} into {repository}");
            }
            Command::Log {
                command: LogCommand::Parse { file, format },
            } => crate::log_cli::parse(&file, format)?,
        }
        Ok(())
    }
}

/// The store, migrated: every command but `serve` (which migrates itself) starts so.
async fn open_migrated(database: &DatabaseArgs) -> anyhow::Result<Store> {
    let store = open(database)?;
    let migrating = store.clone();
    tokio::task::spawn_blocking(move || migrating.migrate()).await??;
    Ok(store)
}

/// The store's error names the database and the cause; nothing to add.
fn open(database: &DatabaseArgs) -> anyhow::Result<Store> {
    Ok(Store::open(&database.url, &StoreOptions::default())?)
}

/// A clap error about a value that came from a `TREEHERD_*` variable names the variable
/// (clap names only the flag, which the person who set the variable never typed).
pub fn name_the_variable(mut error: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return error;
    };
    let Some(long) = arg
        .strip_prefix("--")
        .and_then(|rest| rest.split([' ', '=']).next())
        .map(str::to_owned)
    else {
        return error;
    };
    let typed = std::env::args_os().any(|given| {
        given.to_str().is_some_and(|given| {
            given == format!("--{long}") || given.starts_with(&format!("--{long}="))
        })
    });
    if typed {
        return error;
    }
    let Some(variable) = env_of(&<Cli as clap::CommandFactory>::command(), &long) else {
        return error;
    };
    if std::env::var_os(&variable).is_some() {
        error.insert(
            ContextKind::InvalidArg,
            ContextValue::String(format!("{variable} (--{long})")),
        );
    }
    error
}

/// The environment variable of the flag `--long` anywhere in `command`'s tree.
fn env_of(command: &clap::Command, long: &str) -> Option<String> {
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .and_then(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .or_else(|| command.get_subcommands().find_map(|sub| env_of(sub, long)))
}
