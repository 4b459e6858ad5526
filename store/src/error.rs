//! The store's errors: what the caller did wrong (not found, conflict, invalid) apart from
//! what went wrong inside (internal), so the API boundary can answer each correctly. An
//! internal error keeps its cause ([`std::error::Error::source`]) for the log.

use std::error::Error;
use std::fmt;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Something the caller named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The write contradicts what is stored (duplicate name, a guid of another repository,
    /// a dependency cycle).
    #[error("{0}")]
    Conflict(String),
    /// The input breaks a rule the store enforces (e.g. filtering on an unindexed attribute).
    #[error("{0}")]
    Invalid(String),
    /// The database failed or holds something unreadable; the detail is for the log only.
    #[error("internal store error: {0}")]
    Internal(#[source] InternalError),
}

/// What went wrong inside the store: a detail for the log, and the error that caused it when
/// there is one. Its text names the cause too, so a message printed alone says everything.
#[derive(Debug)]
pub struct InternalError {
    detail: String,
    cause: Option<Box<dyn Error + Send + Sync + 'static>>,
}

impl InternalError {
    /// An error with no cause beyond `detail`.
    pub fn new(detail: impl Into<String>) -> InternalError {
        InternalError {
            detail: detail.into(),
            cause: None,
        }
    }

    /// `cause`, met while `doing` (e.g. "database"): its text reads "doing: cause".
    pub fn caused_by(
        doing: &str,
        cause: impl Into<Box<dyn Error + Send + Sync + 'static>>,
    ) -> InternalError {
        let cause = cause.into();
        InternalError {
            detail: format!("{doing}: {cause}"),
            cause: Some(cause),
        }
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl Error for InternalError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

impl StoreError {
    pub(crate) fn internal(detail: impl Into<String>) -> StoreError {
        StoreError::Internal(InternalError::new(detail))
    }

    pub(crate) fn caused_by(
        doing: &str,
        cause: impl Into<Box<dyn Error + Send + Sync + 'static>>,
    ) -> StoreError {
        StoreError::Internal(InternalError::caused_by(doing, cause))
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::caused_by("database", e)
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::caused_by("connection pool", e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::caused_by("stored JSON", e)
    }
}

impl From<treeherd_model::UnknownVariant> for StoreError {
    fn from(e: treeherd_model::UnknownVariant) -> Self {
        StoreError::caused_by("stored value", e)
    }
}

impl From<treeherd_model::InvalidRevision> for StoreError {
    fn from(e: treeherd_model::InvalidRevision) -> Self {
        StoreError::caused_by("stored revision", e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_say_the_same_and_keep_their_cause() {
        let e = StoreError::from(diesel::result::Error::NotFound);
        assert_eq!(
            e.to_string(),
            "internal store error: database: Record not found"
        );
        let inner = e.source().expect("the internal error");
        assert_eq!(inner.to_string(), "database: Record not found");
        let cause = inner.source().expect("diesel's error");
        assert!(cause.is::<diesel::result::Error>());
        let plain = StoreError::internal("upsert returned no id");
        assert_eq!(
            plain.to_string(),
            "internal store error: upsert returned no id"
        );
        assert!(plain.source().and_then(Error::source).is_none());
    }
}
