//! What every route shares: the application state, and how a [`ServiceError`] becomes an
//! HTTP answer (the status picked by matching its kind). Route files depend on this one,
//! never on each other.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use std::time::Duration;
use treeherd_schema::TreeherdSchema;
use treeherd_service::{ErrorKind, Service, ServiceError};

use crate::answer_cache::AnswerCache;
use crate::auth::{TokenKeys, TrustedNetworks};
use crate::drain::Drain;
use crate::persisted_queries::PersistedQueries;

/// What every handler shares.
pub(crate) struct State {
    pub schema: TreeherdSchema,
    pub keys: TokenKeys,
    pub trusted: TrustedNetworks,
    pub service: Service,
    /// The secret GitHub signs webhook bodies with; `None` turns the webhook off.
    pub github_webhook_secret: Option<Vec<u8>>,
    /// How the log viewer's route fetches logs (`crate::log_routes`).
    pub log_source: LogSource,
    /// The queries clients may send by hash (`crate::persisted_queries`).
    pub persisted_queries: PersistedQueries,
    /// Public GET answers, reused while fresh (`crate::answer_cache`).
    pub answer_cache: AnswerCache,
    /// Whether the server is stopping, and its open sockets (`crate::drain`).
    pub drain: Drain,
    /// The longest a GraphQL request may run (`crate::graphql_routes`).
    pub request_deadline: Duration,
}

/// How the log viewer's route fetches logs (`crate::log_routes`).
pub(crate) struct LogSource {
    pub(crate) http: reqwest::Client,
    /// The largest log (bytes as served, compressed or not) that is passed on.
    pub(crate) max_bytes: u64,
}

/// The most the artifact server may take to answer (the body may take longer: it streams).
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest pause between two chunks of the body.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

impl LogSource {
    pub(crate) fn new(max_bytes: u64) -> LogSource {
        let http = reqwest::Client::builder()
            .connect_timeout(ANSWER_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .unwrap_or_default();
        LogSource { http, max_bytes }
    }
}

/// The HTTP status a kind of failure calls for.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadInput => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error as a JSON body with the HTTP status its kind calls for.
pub(crate) fn error_response(error: ServiceError) -> HttpResponse {
    let kind = error.kind();
    HttpResponse::build(status_of(kind)).json(serde_json::json!({
        "error": {"code": kind.code(), "message": error.client_message()}
    }))
}
