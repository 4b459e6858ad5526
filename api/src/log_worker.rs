//! The parse worker in `serve`: the loop that claims PENDING job logs and has the service
//! fetch, parse and store each (`treeherd_service::logs`: errors, steps, perf data; test
//! results of mozlog error summaries).
//!
//! It runs inside `serve` (2 logs at once by default; `TREEHERD_LOG_PARSE_CONCURRENCY=0` turns
//! it off in a process): there is no second daemon to deploy, and the lease lets any number of
//! servers share the queue.
//!
//! - At most `concurrency` logs at once; each is *claimed* in the store for a lease, so
//!   several server processes share the queue without parsing a log twice at once.
//! - A body larger than `max_bytes` (by its Content-Length, or counted while it streams) is
//!   SKIPPED with the reason; the limit applies to bytes as served, before any inflating.
//!   Memory stays bounded whatever the size (the download is handed to the parser in chunks
//!   through a small channel).
//! - Timeouts, refused connections and 5xx/408/429 answers are retried with doubling pauses
//!   until `attempts` tries, then FAILED; other 4xx answers and corrupt gzip fail at once.
//!   Every setback is one log line with the log's id and URL and the reason.
//! - Storing a parse is one transaction that replaces any earlier parse of the log.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use treeherd_service::Service;
use treeherd_service::logs::FetchOptions;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct LogWorkerOptions {
    /// Logs fetched and parsed at once (0: no worker in this process).
    pub concurrency: usize,
    /// The largest log body (as sent, compressed or not) that is parsed.
    pub max_bytes: u64,
    /// The most one fetch (connect, answer and body) may take.
    pub timeout: Duration,
    /// Tries before a log that cannot be fetched is FAILED.
    pub attempts: i32,
    /// The pause after the first failed try; each further one doubles it.
    pub backoff: Duration,
    /// How often to look for due logs when there were none.
    pub poll: Duration,
}

impl LogWorkerOptions {
    /// How the service fetches each log.
    pub fn fetch(&self) -> FetchOptions {
        FetchOptions {
            max_bytes: self.max_bytes,
            timeout: self.timeout,
            attempts: self.attempts,
            backoff: self.backoff,
        }
    }
}

impl Default for LogWorkerOptions {
    fn default() -> LogWorkerOptions {
        LogWorkerOptions {
            concurrency: 2,
            max_bytes: 256 * 1024 * 1024,
            timeout: Duration::from_secs(120),
            attempts: 4,
            backoff: Duration::from_secs(10),
            poll: Duration::from_secs(2),
        }
    }
}

/// Starts the worker on the current runtime.
pub fn spawn(service: Service, options: LogWorkerOptions) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let options = Arc::new(options);
        let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
        // Held longer than a fetch may take, so a live worker never loses its claim.
        let lease = options.timeout.saturating_mul(2);
        loop {
            if slots.available_permits() == 0 {
                // Wait until a log finishes.
                drop(slots.acquire().await);
                continue;
            }
            let due = match service
                .claim_due_logs(lease, slots.available_permits())
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "log worker: cannot read the queue");
                    tokio::time::sleep(options.poll).await;
                    continue;
                }
            };
            if due.is_empty() {
                tokio::time::sleep(options.poll).await;
                continue;
            }
            for log in due {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let (service, http, fetch) = (service.clone(), http.clone(), options.fetch());
                tokio::spawn(async move {
                    let _slot = slot;
                    if let Err(e) = service.parse_due_log(&http, &fetch, &log).await {
                        tracing::warn!(log = log.id, url = %log.url, error = %e, "log worker: cannot store the outcome");
                    }
                });
            }
        }
    })
}
