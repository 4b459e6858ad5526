//! `treeherd serve`: its flags ([`ServeArgs`]), what they become ([`Config`], the one shape
//! the server is built from, also by tests and benches), and running the server until it is
//! stopped. The values were judged as clap read them (`crate::config`'s parsers); the JWKS
//! file, which needs its issuer beside it, is judged here, before anything starts.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use treeherd_demo::DemoOptions;
use treeherd_service::bugzilla::FetchOptions;
use treeherd_service::{AutoclassifyOptions, RetentionPolicy};

use super::DatabaseArgs;
use crate::auth::TrustedNetworks;
use crate::bugzilla_poller::BugzillaOptions;
use crate::config::{self, ConfigError};
use crate::drain::DrainOptions;
use crate::log_worker::LogWorkerOptions;
use crate::{Application, Config};

/// The flags of `treeherd serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on.
    #[arg(
        long,
        env = "TREEHERD_BIND",
        default_value = "127.0.0.1:8000",
        value_parser = config::bind
    )]
    pub bind: String,
    /// Secret that signs write tokens (HS256). Default: one generated and kept in the database.
    #[arg(
        long,
        env = "TREEHERD_JWT_SECRET",
        hide_env_values = true,
        value_parser = config::not_empty
    )]
    pub jwt_secret: Option<String>,
    /// A JWKS file (an external OAuth provider's keys) whose RS256/ES256 tokens are accepted.
    #[arg(long, env = "TREEHERD_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,
    /// The issuer (`iss`) tokens verified by the JWKS must name.
    #[arg(long, env = "TREEHERD_JWT_ISSUER", value_parser = config::not_empty)]
    pub jwt_issuer: Option<String>,
    /// CIDR ranges (the build network) that may write without a token; comma-separated.
    #[arg(
        long = "trusted-network",
        env = "TREEHERD_TRUSTED_NETWORKS",
        value_delimiter = ','
    )]
    pub trusted_networks: Vec<ipnet::IpNet>,
    /// Proxies (CIDR) whose X-Forwarded-For is believed; comma-separated.
    #[arg(
        long = "trusted-proxy",
        env = "TREEHERD_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Database connections in the pool (1 to 1000).
    #[arg(long, env = "TREEHERD_POOL_SIZE", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pool_size: u32,
    /// HTTP worker threads, 1 to 1024 (default: one per core).
    #[arg(
        long,
        env = "TREEHERD_WORKERS",
        value_parser = clap::value_parser!(u16).range(1..=1024)
    )]
    pub workers: Option<u16>,
    /// Largest request body in bytes (at least 1).
    #[arg(long, env = "TREEHERD_MAX_BODY_BYTES", default_value_t = 64 * 1024 * 1024,
          value_parser = config::bytes)]
    pub max_body_bytes: u64,
    /// Largest GraphQL answer one request may build, in bytes (at least 1): past it, the
    /// request stops and is answered RESPONSE_TOO_LARGE.
    #[arg(long, env = "TREEHERD_MAX_RESPONSE_BYTES",
          default_value_t = treeherd_schema::DEFAULT_MAX_RESPONSE_BYTES as u64,
          value_parser = config::bytes)]
    pub max_response_bytes: u64,
    /// The secret GitHub signs push webhooks with (POST /api/webhooks/github is off
    /// without it).
    #[arg(long, env = "TREEHERD_GITHUB_WEBHOOK_SECRET", hide_env_values = true,
          value_parser = config::not_empty)]
    pub github_webhook_secret: Option<String>,
    /// How often to bring the pushlog of every hg repository up to date from its
    /// json-pushes (e.g. 60s, 5m, up to 365d; default: never).
    #[arg(long, env = "TREEHERD_PUSHLOG_INTERVAL", value_parser = config::interval)]
    pub pushlog_interval: Option<Duration>,
    /// The longest a GraphQL request may run before it is answered TIMEOUT (and, on
    /// PostgreSQL, the longest one statement may run): 1s to 10m.
    #[arg(long, env = "TREEHERD_REQUEST_DEADLINE", default_value = "10s",
          value_parser = config::request_deadline)]
    pub request_deadline: Duration,
    /// On SIGTERM, how long `/readyz` answers 503 before the server stops (so a load balancer
    /// stops routing to it first): 0s to 10m. Ctrl-C does not wait.
    #[arg(long, env = "TREEHERD_DRAIN_DELAY", default_value = "3s", value_parser = config::drain_delay)]
    pub drain_delay: Duration,
    /// Once stopping, how long the requests in flight may take to finish: 1s to 1h.
    #[arg(long, env = "TREEHERD_SHUTDOWN_TIMEOUT", default_value = "30s",
          value_parser = config::shutdown_timeout)]
    pub shutdown_timeout: Duration,
    /// Job logs fetched and parsed at once, up to 256 (0: this process parses none).
    #[arg(long, env = "TREEHERD_LOG_PARSE_CONCURRENCY", default_value_t = 2,
          value_parser = clap::value_parser!(u16).range(0..=256))]
    pub log_parse_concurrency: u16,
    /// The largest log (bytes as served) that is parsed; larger ones are SKIPPED.
    #[arg(long, env = "TREEHERD_LOG_MAX_BYTES", default_value_t = 256 * 1024 * 1024,
          value_parser = config::bytes)]
    pub log_max_bytes: u64,
    /// How far back a person's intermittent classification counts when the autoclassifier
    /// judges a new failure line (e.g. 14d, up to 365d), or `off`.
    #[arg(long, env = "TREEHERD_AUTOCLASSIFY_WINDOW", default_value = "14d",
          value_parser = config::autoclassify_window)]
    pub autoclassify_window: AutoclassifyOptions,
    /// Fill the database with demo data first (three repositories, a few hundred pushes),
    /// unless the demo repositories are there already. The variable takes any boolean
    /// (1/0, true/false, yes/no, on/off).
    #[arg(long, env = "TREEHERD_DEMO", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,
    /// A Bugzilla (e.g. `https://bugzilla.mozilla.org`) whose bugs are fetched now and then
    /// for bug suggestions, and which bugs link to (default: none; bugs come only from
    /// `treeherd import bugs`).
    #[arg(long, env = "TREEHERD_BUGZILLA_URL", value_parser = config::http_url)]
    pub bugzilla_url: Option<String>,
    /// How often bugs changed since the last fetch are fetched from the Bugzilla (e.g. 60s,
    /// 15m, up to 365d).
    #[arg(long, env = "TREEHERD_BUGZILLA_INTERVAL", default_value = "15m",
          value_parser = config::interval)]
    pub bugzilla_interval: Duration,
    /// Days a job is kept, with everything that hangs off it (1 to 36500; default: forever).
    /// Pushes, builds, releases and their gates stay. Expired hourly, by one replica at a time.
    #[arg(long, env = "TREEHERD_RETENTION_DAYS", value_parser = config::retention_days)]
    pub retention_days: Option<Duration>,
    /// Days a performance value is kept, by its push's time (1 to 36500; default: forever).
    #[arg(long, env = "TREEHERD_PERF_RETENTION_DAYS", value_parser = config::retention_days)]
    pub perf_retention_days: Option<Duration>,
    /// The most memory the dependency graph of this process may take, in MiB (16 to
    /// 1048576). It holds the newest jobs that fit; questions about older ones are answered
    /// from the database, identically.
    #[arg(long, env = "TREEHERD_GRAPH_BUDGET_MB", value_parser = config::graph_budget_mb,
          default_value_t = config::DEFAULT_GRAPH_BUDGET_MB)]
    pub graph_budget_mb: u64,
}

impl TryFrom<ServeArgs> for Config {
    type Error = ConfigError;

    /// Fails only on a JWKS file that cannot be used (unreadable, not a JWKS, keys the
    /// issuer cannot go with): every other value was judged as the command line was read.
    fn try_from(args: ServeArgs) -> Result<Config, ConfigError> {
        let jwks = args
            .jwks_file
            .map(|path| config::read_jwks(&path, args.jwt_issuer.as_deref()))
            .transpose()?;
        Ok(Config {
            database_url: args.database.url,
            bind: args.bind,
            jwt_secret: args.jwt_secret,
            jwks,
            jwt_issuer: args.jwt_issuer,
            trusted: TrustedNetworks {
                networks: args.trusted_networks,
                proxies: args.trusted_proxies,
            },
            pool_size: args.pool_size,
            workers: args.workers.map(usize::from),
            max_body_bytes: usize::try_from(args.max_body_bytes).unwrap_or(usize::MAX),
            max_response_bytes: usize::try_from(args.max_response_bytes).unwrap_or(usize::MAX),
            github_webhook_secret: args.github_webhook_secret,
            pushlog_interval: args.pushlog_interval,
            // Even with no parsing here, the log viewer's route keeps to the limit.
            log_worker: Some(LogWorkerOptions {
                concurrency: usize::from(args.log_parse_concurrency),
                max_bytes: args.log_max_bytes,
                ..Default::default()
            }),
            demo: args.demo.then(DemoOptions::default),
            autoclassify: args.autoclassify_window,
            drain: DrainOptions {
                drain_delay: args.drain_delay,
                shutdown_timeout: args.shutdown_timeout,
            },
            request_deadline: args.request_deadline,
            bugzilla: args.bugzilla_url.map(|url| BugzillaOptions {
                url,
                interval: args.bugzilla_interval,
                fetch: FetchOptions::default(),
            }),
            retention: RetentionPolicy {
                jobs: args.retention_days,
                perf: args.perf_retention_days,
            },
            graph_budget: usize::try_from(args.graph_budget_mb << 20).unwrap_or(usize::MAX),
        })
    }
}

/// Builds the server (binding the port, then migrating), says where it serves, and serves
/// until stopped.
pub(super) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::try_from(args)?;
    let app = Application::build(&config).await?;
    let host = config.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
    tracing::info!(
        "treeherd is serving on http://{host}:{port}/graphql (GraphiQL: http://{host}:{port}/graphiql)",
        port = app.port()
    );
    app.run_until_stopped().await?;
    Ok(())
}
