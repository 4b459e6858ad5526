//! The store's errors: what the caller did wrong (not found, conflict, invalid) apart from
//! what went wrong inside (internal), so the API boundary can answer each correctly.

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
    Internal(String),
}

impl StoreError {
    pub(crate) fn internal(detail: impl Into<String>) -> StoreError {
        StoreError::Internal(detail.into())
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Internal(format!("database: {e}"))
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::Internal(format!("connection pool: {e}"))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Internal(format!("stored JSON: {e}"))
    }
}

impl From<treeherd_model::UnknownVariant> for StoreError {
    fn from(e: treeherd_model::UnknownVariant) -> Self {
        StoreError::Internal(format!("stored value: {e}"))
    }
}

impl From<treeherd_model::InvalidRevision> for StoreError {
    fn from(e: treeherd_model::InvalidRevision) -> Self {
        StoreError::Internal(format!("stored revision: {e}"))
    }
}
