//! The server as the shared cache its own GET answers allow. A GraphQL GET answer marked
//! `public, max-age=N` (`crate::graphql_routes`) may be reused by any cache for N seconds; a
//! CDN in front would do so, and without one every identical poll (each open dashboard asking
//! for the same pushes, by the same persisted hash) would run the query again. So each server
//! keeps such answers itself, by their URL's query string, and serves them, with `Age`, until
//! they are N seconds old: an answer is never staler than the headers already allow.
//!
//! HTTP's rules for a shared cache (RFC 9111) decide what is kept and used: only answers that
//! were marked public (no credentials, no errors), never for a request with credentials, and a
//! request that asks for a fresh answer (`Cache-Control: no-cache`, `no-store` or `max-age=0`,
//! or `Pragma: no-cache`, as the UI sends after its own writes) runs the query again and
//! refreshes the entry. Bounded: answers over [`MAX_ANSWER_BYTES`] are not kept, and the
//! least recently used go once all kept exceed [`MAX_CACHED_BYTES`].

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::Bytes;
use lru::LruCache;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most bytes of answers kept.
const MAX_CACHED_BYTES: usize = 16 * 1024 * 1024;
/// The largest answer kept: a push's whole grid is some hundreds of KiB.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// What an entry costs beside its answer and URL (the map's node, the ETag, the operation's
/// name), counted so that many tiny answers cannot hold more than the budget either.
const ENTRY_BYTES: usize = 256;

/// An answer as it was sent.
#[derive(Clone)]
pub(crate) struct CachedAnswer {
    pub(crate) body: Bytes,
    pub(crate) etag: String,
    /// Whole seconds since it was made, for the `Age` header.
    pub(crate) age_seconds: u64,
    /// The name of the operation it answered, for the metrics.
    pub(crate) operation: Option<String>,
}

struct Entry {
    body: Bytes,
    etag: String,
    operation: Option<String>,
    made: Instant,
}

struct Entries {
    answers: LruCache<String, Entry>,
    bytes: usize,
}

/// Fresh public GET answers by their URL's query string.
pub(crate) struct AnswerCache {
    fresh_for: Duration,
    entries: Mutex<Entries>,
}

impl AnswerCache {
    /// A cache whose answers are fresh for `fresh_for` (the `max-age` they were sent with).
    pub(crate) fn new(fresh_for: Duration) -> AnswerCache {
        AnswerCache {
            fresh_for,
            entries: Mutex::new(Entries {
                answers: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    /// The fresh answer kept for `request`, if it may be served one.
    pub(crate) fn get(&self, request: &HttpRequest) -> Option<CachedAnswer> {
        if !may_use(request) {
            return None;
        }
        let mut entries = self.entries.lock().ok()?;
        let entry = entries.answers.get(request.query_string())?;
        let age = entry.made.elapsed();
        if age >= self.fresh_for {
            return None;
        }
        Some(CachedAnswer {
            body: entry.body.clone(),
            etag: entry.etag.clone(),
            age_seconds: age.as_secs(),
            operation: entry.operation.clone(),
        })
    }

    /// Keeps a public answer to `request` (an answer with credentials or errors is never
    /// public, and the caller does not offer it).
    pub(crate) fn put(
        &self,
        request: &HttpRequest,
        body: Bytes,
        etag: String,
        operation: Option<String>,
    ) {
        if has_credentials(request) || body.len() > MAX_ANSWER_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let size = cost(request.query_string(), &body);
        let entry = Entry {
            body,
            etag,
            operation,
            made: Instant::now(),
        };
        if let Some((key, old)) = entries
            .answers
            .push(request.query_string().to_owned(), entry)
        {
            entries.bytes -= cost(&key, &old.body);
        }
        entries.bytes += size;
        while entries.bytes > MAX_CACHED_BYTES {
            let Some((key, old)) = entries.answers.pop_lru() else {
                break;
            };
            entries.bytes -= cost(&key, &old.body);
        }
    }
}

/// What an entry of `body` kept under `key` counts against [`MAX_CACHED_BYTES`].
fn cost(key: &str, body: &Bytes) -> usize {
    key.len() + body.len() + ENTRY_BYTES
}

/// Whether the request carries credentials: its answer is its caller's alone.
pub(crate) fn has_credentials(request: &HttpRequest) -> bool {
    request.headers().contains_key(header::AUTHORIZATION)
        || request.headers().contains_key(header::COOKIE)
}

/// Whether a kept answer may be served to `request`: not one with credentials, nor one that
/// asks for a fresh answer.
fn may_use(request: &HttpRequest) -> bool {
    if has_credentials(request) {
        return false;
    }
    let headers = request.headers();
    let asks_fresh = headers
        .get_all(header::CACHE_CONTROL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .any(|d| d == "no-cache" || d == "no-store" || d == "max-age=0");
    let pragma = headers
        .get_all(header::PRAGMA)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("no-cache"));
    !asks_fresh && !pragma
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(headers: &[(header::HeaderName, &str)]) -> HttpRequest {
        let mut request = TestRequest::get().uri("/graphql?query=%7Ba%7D");
        for (name, value) in headers {
            request = request.insert_header((name.clone(), *value));
        }
        request.to_http_request()
    }

    #[test]
    fn a_kept_answer_is_served_while_fresh_and_not_after() {
        let cache = AnswerCache::new(Duration::from_millis(200));
        cache.put(
            &request(&[]),
            Bytes::from_static(b"{}"),
            "\"e\"".into(),
            None,
        );
        let hit = cache.get(&request(&[])).expect("a fresh answer");
        assert_eq!((&hit.body[..], hit.etag.as_str()), (&b"{}"[..], "\"e\""));
        std::thread::sleep(Duration::from_millis(250));
        assert!(cache.get(&request(&[])).is_none());
    }

    #[test]
    fn credentials_and_requests_for_a_fresh_answer_bypass_it() {
        let cache = AnswerCache::new(Duration::from_secs(60));
        cache.put(
            &request(&[]),
            Bytes::from_static(b"{}"),
            "\"e\"".into(),
            None,
        );
        for bypass in [
            (header::AUTHORIZATION, "Bearer x"),
            (header::COOKIE, "a=b"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CACHE_CONTROL, "public, Max-Age=0"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ] {
            assert!(
                cache.get(&request(std::slice::from_ref(&bypass))).is_none(),
                "{bypass:?}"
            );
        }
        assert!(
            cache
                .get(&request(&[(header::CACHE_CONTROL, "max-age=60")]))
                .is_some()
        );
        // An answer to a request with credentials is not kept.
        let other = AnswerCache::new(Duration::from_secs(60));
        other.put(
            &request(&[(header::AUTHORIZATION, "Bearer x")]),
            Bytes::from_static(b"{}"),
            "\"e\"".into(),
            None,
        );
        assert!(other.get(&request(&[])).is_none());
    }

    #[test]
    fn many_tiny_answers_are_bounded_too() {
        let cache = AnswerCache::new(Duration::from_secs(60));
        for i in 0..100_000 {
            let request = TestRequest::get()
                .uri(&format!("/graphql?query=%7B__typename%7D&x={i}"))
                .to_http_request();
            cache.put(&request, Bytes::from_static(b"{}"), "\"e\"".into(), None);
        }
        let entries = cache.entries.lock().unwrap();
        assert!(entries.bytes <= MAX_CACHED_BYTES);
        assert!(entries.answers.len() < MAX_CACHED_BYTES / ENTRY_BYTES);
    }

    #[test]
    fn it_keeps_no_more_than_its_bytes() {
        let cache = AnswerCache::new(Duration::from_secs(60));
        let big = Bytes::from(vec![b' '; MAX_ANSWER_BYTES]);
        for i in 0..40 {
            let request = TestRequest::get()
                .uri(&format!("/graphql?query={i}"))
                .to_http_request();
            cache.put(&request, big.clone(), "\"e\"".into(), None);
        }
        let entries = cache.entries.lock().unwrap();
        assert!(entries.bytes <= MAX_CACHED_BYTES, "{}", entries.bytes);
        assert!((10..40).contains(&entries.answers.len()));
        // Too big to keep at all.
        drop(entries);
        let request = TestRequest::get().uri("/graphql?query=x").to_http_request();
        cache.put(
            &request,
            Bytes::from(vec![b' '; MAX_ANSWER_BYTES + 1]),
            "\"e\"".into(),
            None,
        );
        assert!(cache.get(&request).is_none());
    }
}
