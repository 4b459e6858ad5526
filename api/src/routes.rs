//! HTTP routes: GraphQL over HTTP (POST `/graphql`), subscriptions over WebSocket (GET
//! `/graphql` with an upgrade), GraphiQL (GET `/graphiql`, `crate::graphiql`), pulse jobs
//! (POST `/api/jobs`), the pushlog routes (`crate::pushlog_routes`), the health probes, and
//! the web UI at `/` (`crate::ui`).
//!
//! `/graphql` over HTTP is our own handler over `web::Bytes` rather than the crate's streaming
//! extractor: it is faster for batches of 1,000 jobs, and a body over the limit gets a plain
//! 413.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, guard, web};
use async_graphql_actix_web::GraphQLSubscription;
use treeherd_schema::{ApiError, Changes, TreeherdSchema};
use treeherd_store::Store;

use crate::auth::{self, TokenKeys, TrustedNetworks};

/// What every handler shares.
pub(crate) struct State {
    pub schema: TreeherdSchema,
    pub keys: TokenKeys,
    pub trusted: TrustedNetworks,
    pub store: Store,
    pub changes: Changes,
    /// The secret GitHub signs webhook bodies with; `None` turns the webhook off.
    pub github_webhook_secret: Option<Vec<u8>>,
    /// How the log viewer's route fetches logs (`crate::log_routes`).
    pub log_source: crate::log_routes::LogSource,
}

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/graphql")
                .route(web::post().to(graphql))
                .route(
                    web::get()
                        .guard(guard::Header("upgrade", "websocket"))
                        .to(subscription),
                )
                .route(web::get().to(crate::graphiql::page)),
        )
        .route("/api/jobs", web::post().to(post_jobs))
        .route(
            "/api/webhooks/github",
            web::post().to(crate::pushlog_routes::github_webhook),
        )
        .route(
            "/api/{repository}/json-pushes",
            web::get().to(crate::pushlog_routes::json_pushes),
        )
        .configure(crate::log_routes::configure)
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .configure(crate::graphiql::configure)
        .configure(crate::ui::configure);
}

/// Errors async-graphql raises before any resolver runs (syntax, validation, limits) are the
/// client's: give them the code every other error carries.
const REQUEST_ERROR_CODE: &str = "BAD_USER_INPUT";

async fn graphql(state: web::Data<State>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let query: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(query) => query,
        Err(e) => {
            return HttpResponse::BadRequest().json(serde_json::json!({
                "errors": [{
                    "message": format!("the body is not a GraphQL request: {e}"),
                    "extensions": {"code": REQUEST_ERROR_CODE},
                }]
            }));
        }
    };
    let caller = auth::caller_of(&request, &state.keys, &state.trusted);
    let mut response = state.schema.execute(query.data(caller)).await;
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", REQUEST_ERROR_CODE);
        }
    }
    match serde_json::to_vec(&response) {
        Ok(body) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a GraphQL response");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// An error as a JSON body with the HTTP status its code calls for.
pub(crate) fn error_response(error: ApiError) -> HttpResponse {
    let (code, message) = error.into_client();
    let mut response = match code {
        "BAD_USER_INPUT" => HttpResponse::BadRequest(),
        "UNAUTHENTICATED" => HttpResponse::Unauthorized(),
        "FORBIDDEN" => HttpResponse::Forbidden(),
        "NOT_FOUND" => HttpResponse::NotFound(),
        "CONFLICT" => HttpResponse::Conflict(),
        _ => HttpResponse::InternalServerError(),
    };
    response.json(serde_json::json!({"error": {"code": code, "message": message}}))
}

/// Treeherder pulse job messages as a JSON array, NDJSON or one object. Answers 200 with the
/// stored guids, each rejected message (index, field, rule) and each message the job
/// lifecycle ignored (index, guid, reason), or 422 when none was taken.
async fn post_jobs(
    state: web::Data<State>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let caller = auth::caller_of(&request, &state.keys, &state.trusted);
    if let Err(e) = caller.require_authenticated() {
        return error_response(e);
    }
    let batch = match treeherd_ingest::parse_pulse_batch(&body, 0) {
        Ok(batch) => batch,
        Err(e) => return error_response(ApiError::BadUserInput(e.to_string())),
    };
    match treeherd_schema::ingest::ingest_parsed(&state.store, &state.changes.jobs, &caller, batch)
        .await
    {
        Ok(outcome) => {
            let status = if outcome.jobs.is_empty() && !outcome.rejected.is_empty() {
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
            } else {
                actix_web::http::StatusCode::OK
            };
            HttpResponse::build(status).json(serde_json::json!({
                "accepted": outcome.jobs.len(),
                "jobs": outcome.jobs.iter().map(|j| &j.guid).collect::<Vec<_>>(),
                "rejected": outcome.rejected,
                "marked": outcome.marked,
                "ignored": outcome.ignored,
            }))
        }
        Err(e) => error_response(e),
    }
}

async fn subscription(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    GraphQLSubscription::new(state.schema.clone()).start(&request, payload)
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

async fn readyz(state: web::Data<State>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().body("database unreachable")
        }
    }
}
