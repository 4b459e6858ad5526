//! The one boundary between our errors and GraphQL errors: each gets a stable
//! `extensions.code`; internal detail goes to the log, never to the client.
//!
//! `ApiError` deliberately has no `Display`: async-graphql turns any `Display` error into a
//! client message without a code, so only this explicit conversion can build one.

use async_graphql::ErrorExtensions;
use treeherd_service::ServiceError;
use treeherd_store::StoreError;

/// An error a resolver answers with.
#[derive(Debug, Clone)]
pub enum ApiError {
    BadUserInput(String),
    NotFound(String),
    Unauthenticated(String),
    Forbidden(String),
    Conflict(String),
    /// Detail for the log; the client sees a generic message.
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::Internal(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid(m) => ApiError::BadUserInput(m),
            StoreError::Internal(m) => ApiError::Internal(m.to_string()),
        }
    }
}

/// The service's errors keep their kind (and so their code) and their message.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Unauthenticated(m) => ApiError::Unauthenticated(m),
            ServiceError::Forbidden(m) => ApiError::Forbidden(m),
            ServiceError::BadInput { message, .. } => ApiError::BadUserInput(message),
            ServiceError::Conflict(m) => ApiError::Conflict(m),
            ServiceError::NotFound(m) => ApiError::NotFound(m),
            ServiceError::Store(e) => e.into(),
            ServiceError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

impl ApiError {
    /// The code and the message a client may see; internal detail is logged here instead.
    pub fn into_client(self) -> (&'static str, String) {
        let code = self.code();
        let message = match self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "internal error".to_owned()
            }
            ApiError::BadUserInput(m)
            | ApiError::NotFound(m)
            | ApiError::Unauthenticated(m)
            | ApiError::Forbidden(m)
            | ApiError::Conflict(m) => m,
        };
        (code, message)
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        let (code, message) = e.into_client();
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
    }
}

/// Loaders fail with `Arc<StoreError>`; map them like any store error.
impl From<std::sync::Arc<StoreError>> for ApiError {
    fn from(e: std::sync::Arc<StoreError>) -> Self {
        match &*e {
            StoreError::NotFound(m) => ApiError::NotFound(m.clone()),
            StoreError::Conflict(m) => ApiError::Conflict(m.clone()),
            StoreError::Invalid(m) => ApiError::BadUserInput(m.clone()),
            StoreError::Internal(m) => ApiError::Internal(m.to_string()),
        }
    }
}

/// For errors async-graphql itself produces in our code paths (e.g. missing context data).
impl From<async_graphql::Error> for ApiError {
    fn from(e: async_graphql::Error) -> Self {
        ApiError::Internal(e.message)
    }
}

/// Lets `?` work where async-graphql expects its own error type with our code kept.
impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        let copy = match self {
            ApiError::BadUserInput(m) => ApiError::BadUserInput(m.clone()),
            ApiError::NotFound(m) => ApiError::NotFound(m.clone()),
            ApiError::Unauthenticated(m) => ApiError::Unauthenticated(m.clone()),
            ApiError::Forbidden(m) => ApiError::Forbidden(m.clone()),
            ApiError::Conflict(m) => ApiError::Conflict(m.clone()),
            ApiError::Internal(m) => ApiError::Internal(m.clone()),
        };
        copy.into()
    }
}
