//! The server's typed configuration, read once in `main` (from flags and `TREEHERD_*`
//! environment variables, see the README) and passed down; nothing else reads the environment.

use jsonwebtoken::jwk::JwkSet;
use std::time::Duration;
use treeherd_store::{DatabaseUrl, StoreOptions};

use crate::auth::TrustedNetworks;
use crate::demo::DemoOptions;
use crate::log_worker::LogWorkerOptions;

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
    /// The secret GitHub signs push webhooks with; `None` turns the webhook off.
    pub github_webhook_secret: Option<String>,
    /// How often `serve` brings the pushlog of every hg repository up to date; `None`: never.
    pub pushlog_interval: Option<Duration>,
    /// The parse worker of job logs; `None` or a concurrency of 0: logs stay PENDING
    /// (another process parses). Its `max_bytes` also bounds the log viewer's route.
    pub log_worker: Option<LogWorkerOptions>,
    /// Fill the database with demo data before serving, unless it is there (`--demo`).
    pub demo: Option<DemoOptions>,
}

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
            github_webhook_secret: None,
            pushlog_interval: None,
            log_worker: None,
            demo: None,
        }
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            pool_size: self.pool_size,
            connection_timeout: Duration::from_secs(10),
        }
    }
}
