//! The Bugzilla fetch in `serve`: now and then, brings the local bugs up to date from the
//! configured Bugzilla through the service (`treeherd_service::bugzilla`). It runs only when
//! `TREEHERD_BUGZILLA_URL` is set; `TREEHERD_BUGZILLA_INTERVAL` says how often (15 minutes
//! unless set). A failed fetch (Bugzilla down, an answer too large or malformed) is logged
//! and tried again next round; it never leaves a page half-written.

use std::time::Duration;
use treeherd_service::Service;
use treeherd_service::bugzilla::{FetchOptions, fetch_bugzilla};

/// Where bugs are fetched from, and how often.
#[derive(Debug, Clone)]
pub struct BugzillaOptions {
    /// The Bugzilla's base URL (`https://bugzilla.mozilla.org`), without a trailing `/`.
    pub url: String,
    pub interval: Duration,
    pub fetch: FetchOptions,
}

/// Fetches from Bugzilla now and every `options.interval`, for as long as the server runs.
pub fn spawn_poller(service: Service, options: BugzillaOptions) {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut ticks = tokio::time::interval(options.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match fetch_bugzilla(&service, &http, &options.url, &options.fetch).await {
                Ok(fetched) => tracing::info!(
                    bugzilla = %options.url,
                    pages = fetched.pages,
                    inserted = fetched.imported.inserted,
                    updated = fetched.imported.updated,
                    unchanged = fetched.imported.unchanged,
                    "bugs fetched"
                ),
                Err(e) => tracing::error!(
                    bugzilla = %options.url,
                    error = %treeherd_service::chain(&e),
                    "bug fetch failed"
                ),
            }
        }
    });
}
