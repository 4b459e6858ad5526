//! Building the application apart from running it: [`Application::build`] binds the port
//! (port 0 picks a free one), opens and migrates the store and reports the port it got;
//! tests, benches and `serve` all start the server this way. The port comes first: a port
//! that is taken stops `serve` before it creates or migrates a database.

use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;
use treeherd_demo::DemoOptions;
use treeherd_service::{Changes, Service};
use treeherd_store::Store;

use crate::Config;
use crate::answer_cache::AnswerCache;
use crate::auth::{self, TokenKeys};
use crate::config::ConfigError;
use crate::drain::{self, Drain, DrainOptions};
use crate::graphql_routes::MAX_AGE_SECONDS;
use crate::persisted_queries::PersistedQueries;
use crate::routes;
use crate::state::{LogSource, State};

/// A bound, not yet running server.
pub struct Application {
    server: actix_web::dev::Server,
    port: u16,
    store: Store,
    drain: Drain,
    drain_options: DrainOptions,
}

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        if config.workers == Some(0) {
            // actix-web panics on zero workers.
            return Err(ConfigError("workers must be at least 1".into()).into());
        }
        let listener = listen(&config.bind)?;
        // The store's error names the database and the cause.
        let store = Store::open(&config.database_url, &config.store_options())?;
        let migrating = store.clone();
        let applied = tokio::task::spawn_blocking(move || migrating.migrate())
            .await
            .context("migration task")?
            .context("cannot migrate the database")?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied migrations");
        }
        // Load the dependency graph now rather than on the first question.
        let graph = store
            .load_graph()
            .await
            .context("cannot load the dependency graph")?;
        tracing::info!(
            jobs = graph.jobs,
            edges = graph.edges,
            bytes = graph.bytes,
            budget = ?graph.budget,
            "dependency graph ready"
        );
        // Before the parse worker starts: the demo's logs are stored parsed, never fetched.
        if let Some(demo) = &config.demo {
            // The demo's logs are autoclassified as this server would.
            let demo = DemoOptions {
                autoclassify: config.autoclassify,
                ..demo.clone()
            };
            let filled = treeherd_demo::fill(&store, &demo, chrono::Utc::now().timestamp_micros())
                .await
                .context("cannot fill the database with demo data")?;
            tracing::info!("{filled}");
        }
        let secret = auth::signing_secret(config.jwt_secret.as_deref(), &store)
            .await
            .context("cannot load the token secret")?;
        let service = Service::new(store.clone(), Changes::default())
            .with_autoclassify(config.autoclassify)
            .with_bugzilla_url(config.bugzilla.as_ref().map(|b| b.url.clone()));
        let drain = Drain::new();
        let state = web::Data::new(State {
            schema: treeherd_schema::build(service.clone(), config.max_response_bytes),
            service: service.clone(),
            github_webhook_secret: config
                .github_webhook_secret
                .as_ref()
                .map(|s| s.as_bytes().to_vec()),
            keys: match &config.jwks {
                Some(jwks) => TokenKeys::from_secret(&secret)
                    .with_jwks(jwks, config.jwt_issuer.as_deref())
                    .context("cannot use the JWKS")?,
                None => TokenKeys::from_secret(&secret),
            },
            trusted: config.trusted.clone(),
            log_source: LogSource::new(config.log_worker.clone().unwrap_or_default().max_bytes),
            persisted_queries: PersistedQueries::new(store.clone()),
            answer_cache: AnswerCache::new(std::time::Duration::from_secs(MAX_AGE_SECONDS.into())),
            drain: drain.clone(),
            request_deadline: config.request_deadline,
        });

        let port = listener.local_addr()?.port();
        let max_body = config.max_body_bytes;
        let metrics = service.metrics().clone();
        let mut server = HttpServer::new(move || {
            let metrics = metrics.clone();
            App::new()
                // Innermost, so that the metrics and the request log see its refusals.
                .wrap_fn(crate::url_check::refuse_nul_in_url)
                .wrap_fn(move |request, next| {
                    crate::metrics_routes::observe_requests(&metrics, request, next)
                })
                // gzip or brotli when the client asks (Accept-Encoding): a push's jobs are
                // JSON that shrinks about four times.
                .wrap(actix_web::middleware::Compress::default())
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .configure(routes::configure)
        })
        // Each connection's socket, so a request sees its client leave (`crate::client_gone`).
        .on_connect(crate::client_gone::on_connect)
        .listen(listener)?
        // Signals are ours: the server drains in order (`crate::drain`).
        .disable_signals()
        .shutdown_timeout(config.drain.shutdown_timeout.as_secs().max(1));
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        // Subscribers on this replica hear what every replica writes.
        service.spawn_change_feed();
        spawn_change_log_pruning(store.clone());
        if let Some(every) = config.pushlog_interval {
            crate::pushlog_poller::spawn_poller(service.clone(), every);
        }
        if let Some(bugzilla) = &config.bugzilla {
            crate::bugzilla_poller::spawn_poller(service.clone(), bugzilla.clone());
        }
        if config.retention.is_on() {
            crate::retention_loop::spawn(service.clone(), config.retention);
        }
        if let Some(options) = config.log_worker.as_ref().filter(|o| o.concurrency > 0) {
            crate::log_worker::spawn(service.clone(), options.clone());
        }
        Ok(Application {
            server: server.run(),
            port,
            store,
            drain,
            drain_options: config.drain,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until the process is told to stop: SIGTERM or SIGINT drain it (unready first,
    /// then its sockets closed, then the requests in flight finished; `crate::drain`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let mut server = self.server;
        let handle = server.handle();
        tokio::select! {
            stopped = &mut server => return stopped,
            terminated = drain::stop_signal() => {
                self.drain.start();
                tracing::info!("draining: /readyz answers 503");
                if terminated {
                    tokio::time::sleep(self.drain_options.drain_delay).await;
                }
                self.drain.close_sockets();
                tracing::info!("subscriptions closed; finishing the requests in flight");
            }
        }
        // The server must be polled to carry out its stop.
        let (stopped, ()) = tokio::join!(server, handle.stop(true));
        tracing::info!("stopped");
        stopped
    }
}

/// The listening socket on `bind`, or why not, in a few words: "cannot listen on
/// 127.0.0.1:8000: address in use".
fn listen(bind: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(bind).map_err(|e| {
        let cause = match e.kind() {
            std::io::ErrorKind::AddrInUse => "address in use".to_owned(),
            std::io::ErrorKind::AddrNotAvailable => "no such address on this machine".to_owned(),
            std::io::ErrorKind::PermissionDenied => {
                "permission denied (ports below 1024 need privileges)".to_owned()
            }
            _ => {
                let text = e.to_string();
                text.split(" (os error").next().unwrap_or(&text).to_owned()
            }
        };
        anyhow::anyhow!("cannot listen on {bind}: {cause}")
    })
}

/// Entries each change log keeps: about a day of heavy ingestion. A process whose graph falls
/// further behind (asleep, partitioned) reloads it rather than replaying; a subscriber whose
/// cursor is older is refused and reads the current state.
const CHANGES_KEPT: i64 = 1_000_000;

/// Prunes the change logs now and then, so they do not grow without bound.
fn spawn_change_log_pruning(store: Store) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match store.prune_graph_changes(CHANGES_KEPT).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "pruned the graph change log"),
                Err(e) => tracing::warn!(error = %e, "cannot prune the graph change log"),
            }
            match store.prune_change_log(CHANGES_KEPT).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "pruned the subscribers' change log"),
                Err(e) => tracing::warn!(error = %e, "cannot prune the subscribers' change log"),
            }
        }
    });
}
