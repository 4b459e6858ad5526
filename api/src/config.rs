//! The server's typed configuration, read once in `main` (from flags and `TREEHERD_*`
//! environment variables, see the README) and passed down; nothing else reads the environment.
//! Here too: what each value allows (the parsers `cli/` gives clap), so a bad value stops
//! the process before anything starts, with a line that names it, never a panic later.

use jsonwebtoken::jwk::JwkSet;
use std::path::Path;
use std::time::Duration;
use treeherd_service::{AutoclassifyOptions, RetentionPolicy};
use treeherd_store::{DatabaseUrl, StoreOptions};

use crate::auth::TrustedNetworks;
use crate::bugzilla_poller::BugzillaOptions;
use crate::drain::DrainOptions;
use crate::log_worker::LogWorkerOptions;
use treeherd_demo::DemoOptions;

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    /// Secret for HS256 write tokens; when `None` the database keeps a generated one.
    pub jwt_secret: Option<String>,
    /// Keys of an external OAuth provider whose RS256/ES256 tokens are accepted too.
    pub jwks: Option<JwkSet>,
    /// The `iss` those tokens must carry.
    pub jwt_issuer: Option<String>,
    /// Networks that may write without a token.
    pub trusted: TrustedNetworks,
    pub pool_size: u32,
    /// HTTP worker threads; `None` is one per core.
    pub workers: Option<usize>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest GraphQL answer one request may build, in bytes (`RESPONSE_TOO_LARGE`).
    pub max_response_bytes: usize,
    /// The secret GitHub signs push webhooks with; `None` turns the webhook off.
    pub github_webhook_secret: Option<String>,
    /// How often `serve` brings the pushlog of every hg repository up to date; `None`: never.
    pub pushlog_interval: Option<Duration>,
    /// The parse worker of job logs; `None` or a concurrency of 0: logs stay PENDING
    /// (another process parses). Its `max_bytes` also bounds the log viewer's route.
    pub log_worker: Option<LogWorkerOptions>,
    /// Fill the database with demo data before serving, unless it is there (`--demo`).
    pub demo: Option<DemoOptions>,
    /// The autoclassifier's window (or off).
    pub autoclassify: AutoclassifyOptions,
    /// The Bugzilla bugs are fetched from now and then (and linked to); `None`: bugs come
    /// only from `treeherd import bugs`.
    pub bugzilla: Option<BugzillaOptions>,
    /// How the server stops (`crate::drain`).
    pub drain: DrainOptions,
    /// The longest a GraphQL request may run: past it, it is answered `TIMEOUT`, and on
    /// PostgreSQL no statement runs longer (the pool's statement timeout).
    pub request_deadline: Duration,
    /// How long jobs and performance values are kept (`treeherd_service::retention`); off
    /// unless configured.
    pub retention: RetentionPolicy,
    /// The most memory, in bytes, this process's dependency graph may take
    /// (`TREEHERD_GRAPH_BUDGET_MB`): it holds the newest jobs that fit.
    pub graph_budget: usize,
}

/// The graph's budget unless configured: 1.6 million jobs at three edges a job, the newest
/// 19 days of a 10-million-job, 120-day history, loaded at start in about 8 s from
/// PostgreSQL (docs/capacity.md).
pub const DEFAULT_GRAPH_BUDGET_MB: u64 = 256;

impl Config {
    /// Defaults for `database_url` (what a test or a bench would want besides the URL).
    pub fn for_database(database_url: DatabaseUrl) -> Config {
        Config {
            database_url,
            bind: "127.0.0.1:0".into(),
            jwt_secret: None,
            jwks: None,
            jwt_issuer: None,
            trusted: TrustedNetworks::default(),
            pool_size: 8,
            workers: None,
            max_body_bytes: 64 * 1024 * 1024,
            max_response_bytes: treeherd_schema::DEFAULT_MAX_RESPONSE_BYTES,
            github_webhook_secret: None,
            pushlog_interval: None,
            log_worker: None,
            demo: None,
            autoclassify: AutoclassifyOptions::default(),
            bugzilla: None,
            drain: DrainOptions::default(),
            request_deadline: Duration::from_secs(10),
            retention: RetentionPolicy::default(),
            graph_budget: (DEFAULT_GRAPH_BUDGET_MB as usize) << 20,
        }
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            pool_size: self.pool_size,
            connection_timeout: Duration::from_secs(10),
            statement_timeout: Some(self.request_deadline),
            graph_budget: Some(self.graph_budget),
        }
    }
}

/// A configuration value that cannot be used. `main` exits with [`ConfigError::EXIT_CODE`],
/// the code clap gives a value it refuses, so every bad value ends the same way.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    pub const EXIT_CODE: u8 = 2;
}

/// `sqlite://PATH` or `postgres://...`.
pub(crate) fn database_url(text: &str) -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(text).map_err(|e| e.to_string())
}

/// `HOST:PORT` (`[::1]:8000` for IPv6); port 0 picks a free one. The host is looked up when
/// the port is bound.
pub(crate) fn bind(text: &str) -> Result<String, String> {
    let allowed = "expected HOST:PORT, e.g. 127.0.0.1:8000 (port 0 picks a free port)";
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(text.to_owned())
        }
        _ => Err(allowed.into()),
    }
}

/// An `http://` or `https://` URL with a host, kept without a trailing `/` (a Bugzilla's
/// base URL).
pub(crate) fn http_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let host = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    match host {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !rest.contains(char::is_whitespace) =>
        {
            Ok(text.to_owned())
        }
        _ => Err("expected an http:// or https:// URL, e.g. https://bugzilla.mozilla.org".into()),
    }
}

/// A size in bytes, at least 1 (`0` would refuse everything).
pub(crate) fn bytes(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1 (a size in bytes)".into()),
        Ok(bytes) => Ok(bytes),
        Err(_) => Err("expected a size in bytes, e.g. 67108864".into()),
    }
}

/// A secret, an issuer: anything but nothing (an empty secret would sign forgeable tokens).
pub(crate) fn not_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(text.to_owned())
    }
}

/// How often something repeats: from 1 s to 365 d (`60s`, `5m`).
pub(crate) fn interval(text: &str) -> Result<Duration, String> {
    duration_within(text, Duration::from_secs(365 * 86_400))
}

/// How far back a person's intermittent classification counts for the autoclassifier: from
/// 1 s to 365 d, or `off`.
pub(crate) fn autoclassify_window(text: &str) -> Result<AutoclassifyOptions, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(AutoclassifyOptions { window: None });
    }
    duration_within(text, Duration::from_secs(365 * 86_400))
        .map(|window| AutoclassifyOptions {
            window: Some(window),
        })
        .map_err(|e| format!("{e}, or off"))
}

/// How long a draining server waits, unready, before it stops: from 0 s to 10 m.
/// A point in time as unix microseconds: RFC 3339 (`2026-11-01T00:00:00Z`) or a date
/// (`2026-11-01`, midnight UTC).
pub(crate) fn instant(text: &str) -> Result<i64, String> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(at.timestamp_micros());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc().timestamp_micros())
        .ok_or_else(|| {
            format!("expected RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01), got {text:?}")
        })
}

/// A retention window in whole days, 1 to 36,500 (`TREEHERD_RETENTION_DAYS`).
pub(crate) fn retention_days(text: &str) -> Result<Duration, String> {
    let refused = || format!("must be a whole number of days from 1 to 36500 (got {text:?})");
    let days: u64 = text.trim().parse().map_err(|_| refused())?;
    if !(1..=36_500).contains(&days) {
        return Err(refused());
    }
    Ok(Duration::from_secs(days * 86_400))
}

/// The dependency graph's memory budget in MiB, 16 to 1,048,576 (`TREEHERD_GRAPH_BUDGET_MB`).
pub(crate) fn graph_budget_mb(text: &str) -> Result<u64, String> {
    let refused = || format!("must be a whole number of MiB from 16 to 1048576 (got {text:?})");
    let mb: u64 = text.trim().parse().map_err(|_| refused())?;
    if !(16..=1_048_576).contains(&mb) {
        return Err(refused());
    }
    Ok(mb)
}

pub(crate) fn drain_delay(text: &str) -> Result<Duration, String> {
    let delay = crate::auth::parse_ttl(text)?;
    if delay > Duration::from_secs(600) {
        return Err("must be from 0s to 10m".into());
    }
    Ok(delay)
}

/// How long one GraphQL request may run: from 1 s to 10 m.
pub(crate) fn request_deadline(text: &str) -> Result<Duration, String> {
    duration_within(text, Duration::from_secs(600)).map_err(|_| "must be from 1s to 10m".into())
}

/// How long requests in flight may take once a server stops: from 1 s to 1 h.
pub(crate) fn shutdown_timeout(text: &str) -> Result<Duration, String> {
    duration_within(text, Duration::from_secs(3600)).map_err(|_| "must be from 1s to 1h".into())
}

/// How long a token is valid: from 1 s to 3,650 d.
pub(crate) fn token_ttl(text: &str) -> Result<Duration, String> {
    duration_within(text, Duration::from_secs(3650 * 86_400))
}

fn duration_within(text: &str, longest: Duration) -> Result<Duration, String> {
    let duration = crate::auth::parse_ttl(text)?;
    if duration < Duration::from_secs(1) || duration > longest {
        return Err(format!(
            "must be from 1s to {}d",
            longest.as_secs() / 86_400
        ));
    }
    Ok(duration)
}

/// `amqp://user:pass@host:5672/vhost` or `amqps://...`.
pub(crate) fn amqp_url(text: &str) -> Result<String, String> {
    text.parse::<lapin::uri::AMQPUri>()
        .map(|_| text.to_owned())
        .map_err(|e| format!("not an AMQP URL ({e}): expected amqp://USER:PASS@HOST:5672/VHOST"))
}

/// The JWKS file of `--jwks-file`, checked with the issuer its tokens must carry, before the
/// database is touched.
pub(crate) fn read_jwks(path: &Path, issuer: Option<&str>) -> Result<JwkSet, ConfigError> {
    let refuse = |why: String| {
        ConfigError(format!(
            "--jwks-file/TREEHERD_JWKS_FILE {}: {why}",
            path.display()
        ))
    };
    let text = std::fs::read(path).map_err(|e| {
        let cause = e.to_string();
        let cause = cause.split(" (os error").next().unwrap_or(&cause);
        refuse(format!("cannot read it: {cause}"))
    })?;
    let jwks: JwkSet =
        serde_json::from_slice(&text).map_err(|e| refuse(format!("not a JWKS: {e}")))?;
    crate::auth::TokenKeys::from_secret(b"checking the keys only")
        .with_jwks(&jwks, issuer)
        .map_err(|e| refuse(e.to_string()))?;
    Ok(jwks)
}
