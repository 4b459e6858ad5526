//! What a service call can fail with, one enum for every way in: GraphQL maps it to
//! `extensions.code`, HTTP to a status, both by matching [`ErrorKind`], never a string.
//!
//! Internal detail (a store failure's cause chain) stays in the error for the log; what a
//! client may read is [`ServiceError::client_message`].

use treeherd_store::StoreError;

/// Why a service call refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No usable credentials (none sent, or refused with the reason).
    #[error("{0}")]
    Unauthenticated(String),
    /// Credentials without the scope the operation needs.
    #[error("{0}")]
    Forbidden(String),
    /// The input breaks a rule; `field` names it (e.g. `input[3].state`, `every`).
    #[error("{message}")]
    BadInput { field: String, message: String },
    /// The write contradicts what is stored.
    #[error("{0}")]
    Conflict(String),
    /// Something the caller named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The store refused or failed; its own kind decides what the client sees.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A broken promise inside treeherd; the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The kinds of failure a front door tells apart (one `extensions.code`, one HTTP status
/// each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Unauthenticated,
    Forbidden,
    BadInput,
    Conflict,
    NotFound,
    Internal,
}

impl ErrorKind {
    /// The stable code clients see (GraphQL's `extensions.code`, the REST body's `code`).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "UNAUTHENTICATED",
            ErrorKind::Forbidden => "FORBIDDEN",
            ErrorKind::BadInput => "BAD_USER_INPUT",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Internal => "INTERNAL",
        }
    }
}

impl ServiceError {
    /// Bad input in `field`; `message` is the whole sentence the client reads.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> ServiceError {
        ServiceError::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            ServiceError::Unauthenticated(_) => ErrorKind::Unauthenticated,
            ServiceError::Forbidden(_) => ErrorKind::Forbidden,
            ServiceError::BadInput { .. } => ErrorKind::BadInput,
            ServiceError::Conflict(_) => ErrorKind::Conflict,
            ServiceError::NotFound(_) => ErrorKind::NotFound,
            ServiceError::Store(StoreError::NotFound(_)) => ErrorKind::NotFound,
            ServiceError::Store(StoreError::Conflict(_)) => ErrorKind::Conflict,
            ServiceError::Store(StoreError::Invalid(_)) => ErrorKind::BadInput,
            ServiceError::Store(_) | ServiceError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The stable code of its kind.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// What a client may read: the message, or for an internal failure a generic one (the
    /// detail and its causes are logged here instead).
    pub fn client_message(&self) -> String {
        if self.kind() == ErrorKind::Internal {
            tracing::error!(error = %crate::error::chain(self), "internal error");
            "internal error".to_owned()
        } else {
            self.to_string()
        }
    }
}

/// An error with its causes, `: `-separated, for the log.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use treeherd_store::InternalError;

    #[test]
    fn each_error_has_the_kind_its_cause_calls_for() {
        let cases = [
            (ServiceError::Unauthenticated("x".into()), "UNAUTHENTICATED"),
            (ServiceError::Forbidden("x".into()), "FORBIDDEN"),
            (
                ServiceError::bad_input("every", "every: no unit"),
                "BAD_USER_INPUT",
            ),
            (ServiceError::Conflict("x".into()), "CONFLICT"),
            (ServiceError::NotFound("x".into()), "NOT_FOUND"),
            (StoreError::NotFound("x".into()).into(), "NOT_FOUND"),
            (StoreError::Conflict("x".into()).into(), "CONFLICT"),
            (StoreError::Invalid("x".into()).into(), "BAD_USER_INPUT"),
            (
                StoreError::Internal(InternalError::new("disk")).into(),
                "INTERNAL",
            ),
            (ServiceError::Internal("x".into()), "INTERNAL"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error:?}");
        }
    }

    #[test]
    fn clients_never_read_internal_detail() {
        let error = ServiceError::from(StoreError::Internal(InternalError::new(
            "database: disk I/O",
        )));
        assert_eq!(error.client_message(), "internal error");
        let error = ServiceError::bad_input("every", "every: no unit");
        assert_eq!(error.client_message(), "every: no unit");
    }
}
