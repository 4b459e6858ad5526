//! Fetching bugs from a Bugzilla's REST API (`GET /rest/bug`): the rule behind the periodic
//! fetch of `serve` (whose loop lives in the api, `bugzilla_poller.rs`).
//!
//! A fetch asks for the bugs changed since the newest change it has already imported (kept
//! in the database's settings, so every server and restart resumes there; the first fetch
//! looks back [`FetchOptions::first_window`]), oldest change first, in pages. Each page is
//! one answer, read up to [`FetchOptions::max_bytes`] and parsed whole before anything is
//! written; it is then imported in one transaction together with the new mark (the newest
//! `last_change` of the page). An answer that is too large, not JSON, Bugzilla's error, or a
//! bug that breaks a rule stops the fetch with an error naming the URL: that page writes
//! nothing, the pages before it stay, and the next fetch resumes after them. Bugs changed at
//! the mark itself are asked for again (Bugzilla's `last_change_time` is inclusive) and count
//! as unchanged.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use treeherd_store::BugsImported;

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::service::Service;

/// The fields of a bug a fetch asks for (what `treeherd_ingest::parse_bugzilla` reads).
const FIELDS: &str =
    "id,status,resolution,summary,dupe_of,cf_crash_signature,keywords,last_change_time,whiteboard";

/// How a fetch talks to Bugzilla.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Bugs asked for per request (at most [`crate::bugs::MAX_BUGS`]).
    pub page: usize,
    /// The largest answer read, in bytes; a larger one is refused.
    pub max_bytes: u64,
    /// Requests one fetch makes at most; the next fetch goes on from where it stopped.
    pub max_pages: usize,
    /// How long one request may take.
    pub timeout: Duration,
    /// How far back the first fetch (no mark yet) looks.
    pub first_window: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            page: 1_000,
            max_bytes: 32 * 1024 * 1024,
            max_pages: 100,
            timeout: Duration::from_secs(60),
            first_window: Duration::from_secs(365 * 86_400),
        }
    }
}

/// What a fetch brought.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Requests answered.
    pub pages: usize,
    /// What the imports did, added up.
    pub imported: BugsImported,
    /// The mark now kept (unix microseconds).
    pub until: i64,
}

/// Why a fetch stopped.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url}: the answer is larger than {max_bytes} bytes; nothing of it stored")]
    TooLarge { url: String, max_bytes: u64 },
    #[error("{url}: not an answer of bugs: {detail}; nothing of it stored")]
    Format { url: String, detail: String },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Brings the local bugs up to date from the Bugzilla at `base` (e.g.
/// `https://bugzilla.mozilla.org`), page after page, as the module docs say.
pub async fn fetch_bugzilla(
    service: &Service,
    http: &reqwest::Client,
    base: &str,
    options: &FetchOptions,
) -> Result<Fetched, FetchError> {
    let base = base.trim_end_matches('/');
    let stored = service
        .store()
        .bugzilla_fetched_until()
        .await
        .map_err(ServiceError::from)?;
    let since = stored.unwrap_or_else(|| {
        let window = i64::try_from(options.first_window.as_micros()).unwrap_or(i64::MAX);
        Utc::now().timestamp_micros().saturating_sub(window)
    });
    let since_text = DateTime::<Utc>::from_timestamp_micros(since)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let page = options.page.clamp(1, crate::bugs::MAX_BUGS);
    let mut fetched = Fetched {
        until: since,
        ..Fetched::default()
    };
    for number in 0..options.max_pages.max(1) {
        let url = format!(
            "{base}/rest/bug?include_fields={FIELDS}&last_change_time={since_text}\
             &order=changeddate&limit={page}&offset={}",
            number * page
        );
        let body = get(http, &url, options).await?;
        let bugs = treeherd_ingest::parse_bugzilla(&body).map_err(|e| FetchError::Format {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        let count = bugs.len();
        let until = bugs
            .iter()
            .map(|b| b.last_change)
            .fold(fetched.until, i64::max);
        let imported = service
            .import_fetched_bugs(&Caller::Trusted, bugs, Some(until))
            .await?;
        fetched.pages += 1;
        fetched.until = until;
        fetched.imported.inserted += imported.inserted;
        fetched.imported.updated += imported.updated;
        fetched.imported.unchanged += imported.unchanged;
        if count < page {
            break;
        }
    }
    Ok(fetched)
}

/// One answer, at most `options.max_bytes` long.
async fn get(
    http: &reqwest::Client,
    url: &str,
    options: &FetchOptions,
) -> Result<Vec<u8>, FetchError> {
    let unreachable = |detail: String| FetchError::Unreachable {
        url: url.to_owned(),
        detail,
    };
    let too_large = || FetchError::TooLarge {
        url: url.to_owned(),
        max_bytes: options.max_bytes,
    };
    let mut response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(options.timeout)
        .send()
        .await
        .map_err(|e| unreachable(crate::error::chain(&e)))?;
    let status = response.status();
    if response
        .content_length()
        .is_some_and(|l| l > options.max_bytes)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| unreachable(crate::error::chain(&e)))?
    {
        if body.len() as u64 + chunk.len() as u64 > options.max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        // Bugzilla says why in JSON (`{"error": true, "message": ...}`): name it.
        let detail = match treeherd_ingest::parse_bugzilla(&body) {
            Err(e @ treeherd_ingest::BugzillaError::Answer { .. }) => format!("HTTP {status}: {e}"),
            _ => format!("HTTP {status}"),
        };
        return Err(unreachable(detail));
    }
    Ok(body)
}
