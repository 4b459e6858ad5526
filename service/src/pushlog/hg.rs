//! Keeping the pushlog of one hg repository up to date from its `json-pushes`: the rule
//! behind `treeherd pushlog sync` and the poller in `serve` (whose loop lives in the api).
//!
//! A sync resumes after the highest push id stored and asks the server for bounded pages
//! (`startID` exclusive, `endID` inclusive), each stored in one transaction: a failure
//! anywhere leaves whole pages stored and nothing half-stored, and the next sync resumes
//! where this one stopped. A server whose newest push id is below ours was reset: the sync
//! says so and stores nothing. A server that is down or slow gets a timeout per request and
//! a few retries with growing pauses, then a clear error naming the URL.

use std::time::Duration;
use treeherd_model::Vcs;
use treeherd_store::Repository;

use crate::error::ServiceError;
use crate::service::Service;

/// How a sync talks to the server.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Push ids asked for per request.
    pub page: i64,
    /// How long one request may take.
    pub timeout: Duration,
    /// Requests made for one page before giving up.
    pub attempts: u32,
    /// The pause after the first failed request; doubled after each.
    pub backoff: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            page: 200,
            timeout: Duration::from_secs(30),
            attempts: 4,
            backoff: Duration::from_secs(1),
        }
    }
}

/// What a sync brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Synced {
    /// Pushes stored.
    pub pushes: usize,
    /// Pushes the server listed with no changeset (skipped, as Treeherder does).
    pub empty: usize,
    /// The highest push id now stored.
    pub last_push_id: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url}: not a json-pushes page: {detail}")]
    Format { url: String, detail: String },
    #[error(
        "the pushlog of {repository} went backwards: the server's newest push is {server}, ours is {stored} (was the repository reset?); nothing stored"
    )]
    WentBackwards {
        repository: String,
        server: i64,
        stored: i64,
    },
    #[error("{repository} is not an hg repository with an http(s) URL")]
    NotHg { repository: String },
    #[error("storing pushes of {repository}: {code}: {source}", code = .source.code())]
    Store {
        repository: String,
        #[source]
        source: ServiceError,
    },
}

/// Brings `repository`'s pushlog up to date from `{url}/json-pushes`; new pushes are
/// announced.
#[tracing::instrument(skip_all, fields(repository = %repository.name))]
pub async fn sync_repository(
    service: &Service,
    http: &reqwest::Client,
    repository: &Repository,
    options: &SyncOptions,
) -> Result<Synced, SyncError> {
    if repository.vcs != Vcs::Hg || !repository.url.starts_with("http") {
        return Err(SyncError::NotHg {
            repository: repository.name.clone(),
        });
    }
    let stored_error = |source: ServiceError| SyncError::Store {
        repository: repository.name.clone(),
        source,
    };
    let stored = service
        .store()
        .last_push_id(repository.id)
        .await
        .map_err(|e| stored_error(e.into()))?;
    let mut synced = Synced {
        last_push_id: stored,
        ..Synced::default()
    };
    let mut after = stored;
    loop {
        let through = after + options.page.max(1);
        let url = treeherd_pushlog::page_url(&repository.url, after, through);
        let body = fetch(http, &url, options).await?;
        let page = treeherd_pushlog::parse_json_pushes(&body).map_err(|e| SyncError::Format {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        let newest = page.last_push_id.unwrap_or(after);
        if newest < stored {
            return Err(SyncError::WentBackwards {
                repository: repository.name.clone(),
                server: newest,
                stored,
            });
        }
        let pushes: Vec<_> = page
            .pushes
            .into_iter()
            .filter(|p| p.push_id.is_some_and(|id| id > after && id <= through))
            .collect();
        synced.empty += page.empty.len();
        if !pushes.is_empty() {
            synced.pushes += pushes.len();
            let stored = service
                .store_pushes(repository.name.clone(), pushes)
                .await
                .map_err(stored_error)?;
            if let Some(last) = stored.iter().map(|p| p.push_id).max() {
                synced.last_push_id = synced.last_push_id.max(last);
            }
        }
        after = through.min(newest);
        if after >= newest {
            return Ok(synced);
        }
    }
}

/// One page, with a timeout per request and retries (growing pauses) on network errors and
/// server errors; a client error (4xx other than 429) is final.
async fn fetch(
    http: &reqwest::Client,
    url: &str,
    options: &SyncOptions,
) -> Result<Vec<u8>, SyncError> {
    let mut pause = options.backoff;
    let mut last_failure = String::new();
    for attempt in 1..=options.attempts.max(1) {
        match http.get(url).timeout(options.timeout).send().await {
            Ok(response) if response.status().is_success() => match response.bytes().await {
                Ok(body) => return Ok(body.to_vec()),
                Err(e) => last_failure = format!("reading the answer: {e}"),
            },
            Ok(response)
                if response.status().is_server_error()
                    || response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS =>
            {
                last_failure = format!("HTTP {}", response.status());
            }
            Ok(response) => {
                return Err(SyncError::Unreachable {
                    url: url.to_owned(),
                    detail: format!("HTTP {}", response.status()),
                });
            }
            Err(e) if e.is_timeout() => {
                last_failure = format!("no answer within {:?}", options.timeout);
            }
            Err(e) => last_failure = e.to_string(),
        }
        if attempt < options.attempts {
            tracing::warn!(%url, attempt, failure = %last_failure, retry_in = ?pause, "pushlog request failed");
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
    Err(SyncError::Unreachable {
        url: url.to_owned(),
        detail: format!(
            "{last_failure} (after {} attempts)",
            options.attempts.max(1)
        ),
    })
}
