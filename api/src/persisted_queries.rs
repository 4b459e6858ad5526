//! Automatic persisted queries, Apollo's protocol: a request whose
//! `extensions.persistedQuery` is `{version: 1, sha256Hash}` may leave out its query. Without
//! a query the hash names one remembered before, or the answer is the error
//! `PersistedQueryNotFound` (`extensions.code` `PERSISTED_QUERY_NOT_FOUND`) and the client sends
//! hash and query together; then the hash must be the query's SHA-256 (else `BAD_USER_INPUT`),
//! and the query is remembered and run.
//!
//! Remembered in the database (`persisted_queries`), so every server behind a load balancer
//! knows what one of them was told, with a bounded in-process LRU in front so a hit costs no
//! database round trip. Bounds, so no client can hurt the others: a query over
//! [`MAX_QUERY_BYTES`] runs but is not remembered (its client keeps sending it in full), and
//! the database keeps the newest [`MAX_REMEMBERED`] (a forgotten query costs its client one
//! more round trip). A hit is not parsed again: the parsed document of a query up to
//! [`MAX_PARSED_BYTES`] is kept beside its text.

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;
use sha2::{Digest, Sha256};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};
use treeherd_store::Store;

/// The largest query remembered, in bytes (the UI's largest is a few KiB; GraphiQL's
/// introspection query about 3 KiB).
pub(crate) const MAX_QUERY_BYTES: usize = 32 * 1024;
/// The most queries the database remembers.
pub(crate) const MAX_REMEMBERED: i64 = 10_000;
/// The most queries each server keeps in memory (at most 32 MiB of text).
const CACHED: usize = 1_000;
/// The largest query whose parsed document is kept beside its text, so that a hit is not
/// parsed again (parsing is about a quarter of a small query's time): a document takes
/// several times its text, so this bounds them to some tens of MiB.
const MAX_PARSED_BYTES: usize = 4 * 1024;

/// A remembered query, and its document once a hit has parsed it.
struct Remembered {
    query: Arc<str>,
    document: OnceLock<ExecutableDocument>,
}

impl Remembered {
    fn new(query: Arc<str>) -> Arc<Remembered> {
        Arc::new(Remembered {
            query,
            document: OnceLock::new(),
        })
    }
}

/// Why a request's persisted query cannot run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PersistedQueryError {
    /// A hash alone that no server was told: the client must send the query with it.
    #[error("PersistedQueryNotFound")]
    NotFound,
    #[error("{0}")]
    BadInput(String),
    /// The database failed (the detail goes to the log).
    #[error("the persisted query could not be looked up")]
    Internal,
}

impl PersistedQueryError {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            PersistedQueryError::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            PersistedQueryError::BadInput(_) => "BAD_USER_INPUT",
            PersistedQueryError::Internal => "INTERNAL",
        }
    }
}

/// The queries this server knows by hash, in front of the database's.
pub(crate) struct PersistedQueries {
    store: Store,
    cache: Mutex<LruCache<String, Arc<Remembered>>>,
}

impl PersistedQueries {
    pub(crate) fn new(store: Store) -> PersistedQueries {
        let capacity = NonZeroUsize::new(CACHED).unwrap_or(NonZeroUsize::MIN);
        PersistedQueries {
            store,
            cache: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// Fills in the query of a request that names a persisted one (and remembers a query sent
    /// with its hash); a request without `extensions.persistedQuery` is left as it is.
    pub(crate) async fn resolve(
        &self,
        request: &mut async_graphql::Request,
    ) -> Result<(), PersistedQueryError> {
        let Some(persisted) = request.extensions.0.get("persistedQuery") else {
            return Ok(());
        };
        let hash = sha256_of(persisted)?;
        if request.query.is_empty() {
            let remembered = self.lookup(hash).await?;
            request.query = remembered.query.to_string();
            if let Some(document) = remembered.document.get() {
                request.set_parsed_query(document.clone());
            } else if request.query.len() <= MAX_PARSED_BYTES
                && let Ok(document) = request.parsed_query()
            {
                // A query that does not parse is left to execution, which says why.
                let _ = remembered.document.set(document.clone());
            }
            return Ok(());
        }
        let actual = hex(&Sha256::digest(request.query.as_bytes()));
        if actual != hash {
            return Err(PersistedQueryError::BadInput(format!(
                "extensions.persistedQuery.sha256Hash is {hash}, but the query's SHA-256 is {actual}"
            )));
        }
        if request.query.len() <= MAX_QUERY_BYTES && !self.cached(&hash) {
            self.remember(hash, &request.query).await?;
        }
        Ok(())
    }

    fn cached(&self, hash: &str) -> bool {
        self.cache
            .lock()
            .is_ok_and(|mut cache| cache.get(hash).is_some())
    }

    async fn lookup(&self, hash: String) -> Result<Arc<Remembered>, PersistedQueryError> {
        if let Ok(mut cache) = self.cache.lock()
            && let Some(remembered) = cache.get(&hash)
        {
            return Ok(remembered.clone());
        }
        let query = self
            .store
            .persisted_query(hash.clone())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read a persisted query");
                PersistedQueryError::Internal
            })?
            .ok_or(PersistedQueryError::NotFound)?;
        let remembered = Remembered::new(query.into());
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(hash, remembered.clone());
        }
        Ok(remembered)
    }

    async fn remember(&self, hash: String, query: &str) -> Result<(), PersistedQueryError> {
        self.store
            .persist_query(hash.clone(), query.to_owned(), MAX_REMEMBERED)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot remember a persisted query");
                PersistedQueryError::Internal
            })?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(hash, Remembered::new(query.into()));
        }
        Ok(())
    }
}

/// The lower-case hex SHA-256 that `extensions.persistedQuery` names, judged.
fn sha256_of(persisted: &async_graphql::Value) -> Result<String, PersistedQueryError> {
    let bad =
        |what: &str| PersistedQueryError::BadInput(format!("extensions.persistedQuery {what}"));
    let async_graphql::Value::Object(fields) = persisted else {
        return Err(bad("must be an object {version: 1, sha256Hash}"));
    };
    match fields.get("version") {
        Some(async_graphql::Value::Number(n)) if n.as_i64() == Some(1) => {}
        _ => return Err(bad("version must be 1")),
    }
    match fields.get("sha256Hash") {
        Some(async_graphql::Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(hash.to_ascii_lowercase())
        }
        _ => Err(bad("sha256Hash must be 64 hex digits")),
    }
}

/// `bytes` in lower-case hex (also the REST API's hashes, a few per job of a page).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    text
}
