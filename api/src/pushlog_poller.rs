//! The pushlog poller in `serve`: now and then, brings every hg repository with an http(s)
//! URL up to date through the service (`treeherd_service::pushlog::hg`). It runs only when
//! `TREEHERD_PUSHLOG_INTERVAL` is set, as build networks are often offline. Replicas share the
//! work: a repository is polled by the one that claims it for the interval.

use std::time::Duration;
use treeherd_model::Vcs;
use treeherd_service::Service;
use treeherd_service::pushlog::hg::{SyncOptions, sync_repository};

/// Syncs every hg repository with an http(s) URL now and then, for as long as the server
/// runs; a failing repository is logged and tried again next round.
pub fn spawn_poller(service: Service, every: Duration) {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let options = SyncOptions::default();
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let repositories = match service.store().repositories().await {
                Ok(repositories) => repositories,
                Err(e) => {
                    tracing::warn!(error = %e, "pushlog poller: cannot list repositories");
                    continue;
                }
            };
            for repository in repositories
                .iter()
                .filter(|r| r.vcs == Vcs::Hg && r.url.starts_with("http"))
            {
                // One replica polls a repository per interval (`store/src/pushlog_polls.rs`).
                let now = chrono::Utc::now().timestamp_micros();
                let every_us = i64::try_from(every.as_micros()).unwrap_or(i64::MAX);
                match service
                    .store()
                    .claim_pushlog_poll(repository.id, now, every_us)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::warn!(repository = %repository.name, error = %e, "pushlog poller: cannot claim a poll");
                        continue;
                    }
                }
                match sync_repository(&service, &http, repository, &options).await {
                    Ok(synced) if synced.pushes > 0 => tracing::info!(
                        repository = %repository.name,
                        pushes = synced.pushes,
                        empty = synced.empty,
                        last_push_id = synced.last_push_id,
                        "pushlog synced"
                    ),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(repository = %repository.name, error = %treeherd_service::chain(&e), "pushlog sync failed")
                    }
                }
            }
        }
    });
}
