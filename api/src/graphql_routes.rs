//! GraphQL over HTTP: POST `/graphql` (any operation), GET `/graphql` with the query in the
//! URL (queries only), and subscriptions over WebSocket (GET with an upgrade); a plain GET
//! with no GraphQL parameter gets GraphiQL (`crate::graphiql`). Both ways accept automatic
//! persisted queries (`crate::persisted_queries`).
//!
//! `/graphql` over HTTP is our own handler over `web::Bytes` rather than the crate's streaming
//! extractor: it is faster for batches of 1,000 jobs, and a body over the limit gets a plain
//! 413.
//!
//! GET follows the GraphQL-over-HTTP spec: `query`, `operationName`, `variables` and
//! `extensions` are URL parameters (the last two JSON); a mutation or subscription over GET
//! is refused with 405 (a GET must be safe to repeat and to cache). A GET answer carries an
//! `ETag` (of its body; `If-None-Match` gets a 304) and `Cache-Control`: `public,
//! max-age=5` ([`MAX_AGE_SECONDS`]), or `no-store` when the caller sent credentials or the
//! answer holds errors; the server itself reuses a public answer as long as that allows
//! (`crate::answer_cache`).
//!
//! Every request over HTTP is counted in the process's metrics by operation name, kind and
//! outcome, and each error by its code (`treeherd_service::metrics`).

use actix_web::http::header::{self, ContentType};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql_actix_web::GraphQLSubscription;
use sha2::{Digest, Sha256};
use std::task::Poll;
use std::time::{Duration, Instant};
use treeherd_service::metrics::Outcome;
use treeherd_store::Store;

use crate::answer_cache::has_credentials;
use crate::auth;
use crate::persisted_queries::hex;
use crate::state::State;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/graphql")
            .route(web::post().to(post))
            .route(
                web::get()
                    .guard(guard::Header("upgrade", "websocket"))
                    .to(subscription),
            )
            .route(web::get().to(get)),
    );
}

/// The status of a request whose client went away (nginx's "client closed request"): only the
/// metrics and the request log see it.
fn client_gone_status() -> StatusCode {
    StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST)
}

/// The code of a request that ran past its deadline.
const TIMEOUT_CODE: &str = "TIMEOUT";

/// How long a browser or CDN may reuse a GET answer without asking again. Short: jobs change
/// by the second while a push is busy, and a view must not lag the data by more than a
/// moment; long enough that a CDN in front answers a burst of identical polls (every open
/// dashboard asking for the same pushes) with one request to the server. After it, a
/// revalidation with the `ETag` costs a 304 and no body.
pub(crate) const MAX_AGE_SECONDS: u32 = 5;

/// The `Cache-Control` of an answer any cache may keep for [`MAX_AGE_SECONDS`].
fn public_cache_control() -> String {
    format!("public, max-age={MAX_AGE_SECONDS}")
}

/// Errors async-graphql raises before any resolver runs (syntax, validation, limits) are the
/// client's: give them the code every other error carries.
const REQUEST_ERROR_CODE: &str = "BAD_USER_INPUT";

/// How many store calls of one GraphQL request hold a connection at once: half the default
/// pool, so one request of many aliased fields leaves the rest to other clients.
const STORE_CALLS_PER_REQUEST: usize = 4;

/// The GraphQL parameters of a GET, as the GraphQL-over-HTTP spec names them.
#[derive(serde::Deserialize)]
struct GetParameters {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

async fn post(state: web::Data<State>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let query: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(query) => query,
        Err(e) => {
            return error_answer(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a GraphQL request: {e}"),
                REQUEST_ERROR_CODE,
            );
        }
    };
    match execute(&state, &request, query, Method::POST).await {
        Ok(body) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body.bytes),
        Err(refusal) => refusal,
    }
}

async fn get(state: web::Data<State>, request: HttpRequest) -> HttpResponse {
    let parameters =
        match web::Query::<GetParameters>::from_query(request.query_string()).map(|p| p.0) {
            Ok(p) => p,
            Err(e) => {
                return error_answer(
                    StatusCode::BAD_REQUEST,
                    &format!("the URL parameters are not a GraphQL request: {e}"),
                    REQUEST_ERROR_CODE,
                );
            }
        };
    if parameters.query.is_none() && parameters.extensions.is_none() {
        return crate::graphiql::page(request).await;
    }
    let started = Instant::now();
    if let Some(cached) = state.answer_cache.get(&request) {
        state.service.metrics().observe_graphql(
            cached.operation.as_deref(),
            kind_name(Some(OperationType::Query)),
            Outcome::Ok,
            started.elapsed(),
        );
        let cache_control = public_cache_control();
        return answer_get(
            &request,
            cached.etag,
            cache_control,
            cached.body,
            Some(cached.age_seconds),
        );
    }
    let query = match get_request(parameters) {
        Ok(query) => query,
        Err(message) => return error_answer(StatusCode::BAD_REQUEST, &message, REQUEST_ERROR_CODE),
    };
    let answer = match execute(&state, &request, query, Method::GET).await {
        Ok(answer) => answer,
        Err(refusal) => return refusal,
    };
    let etag = format!("\"{}\"", hex(&Sha256::digest(&answer.bytes)[..16]));
    let body = web::Bytes::from(answer.bytes);
    let cache_control = if has_credentials(&request) || answer.has_errors {
        "no-store".to_owned()
    } else {
        state
            .answer_cache
            .put(&request, body.clone(), etag.clone(), answer.operation);
        public_cache_control()
    };
    answer_get(&request, etag, cache_control, body, None)
}

/// A GET's answer: a 304 when the client holds `etag` already. `age`: the seconds since a
/// kept answer was made (`crate::answer_cache`).
fn answer_get(
    request: &HttpRequest,
    etag: String,
    cache_control: String,
    body: web::Bytes,
    age: Option<u64>,
) -> HttpResponse {
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == etag || tag.trim() == "*")
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Authorization"));
    if let Some(age) = age {
        response.insert_header((header::AGE, age));
    }
    if matches {
        response.finish()
    } else {
        response.content_type(ContentType::json()).body(body)
    }
}

/// A GET's parameters as a GraphQL request (`variables` and `extensions` are JSON).
fn get_request(parameters: GetParameters) -> Result<async_graphql::Request, String> {
    let mut query = async_graphql::Request::new(parameters.query.unwrap_or_default());
    if let Some(name) = parameters.operation_name.filter(|n| !n.is_empty()) {
        query = query.operation_name(name);
    }
    if let Some(variables) = parameters.variables.filter(|v| !v.is_empty()) {
        let variables: serde_json::Value = serde_json::from_str(&variables)
            .map_err(|e| format!("the variables parameter is not JSON: {e}"))?;
        query = query.variables(async_graphql::Variables::from_json(variables));
    }
    if let Some(extensions) = parameters.extensions.filter(|e| !e.is_empty()) {
        query.extensions = serde_json::from_str(&extensions)
            .map_err(|e| format!("the extensions parameter is not a JSON object: {e}"))?;
    }
    Ok(query)
}

/// An executed request's answer, serialized, and the name of the operation it ran.
struct Answer {
    bytes: Vec<u8>,
    has_errors: bool,
    operation: Option<String>,
}

/// Runs a request that came by `method`: fills in its persisted query, refuses what `method`
/// may not carry, executes it as its caller and gives every error a code. `Err` is an answer
/// to send as it is.
async fn execute(
    state: &State,
    request: &HttpRequest,
    mut query: async_graphql::Request,
    method: Method,
) -> Result<Answer, HttpResponse> {
    let metrics = state.service.metrics();
    if let Err(e) = state.persisted_queries.resolve(&mut query).await {
        metrics.count_graphql_error(e.code());
        let body = error_body(&e.to_string(), e.code());
        return Ok(Answer {
            bytes: body.to_string().into_bytes(),
            has_errors: true,
            operation: None,
        });
    }
    let (operation, kind) = match operation_of(&mut query) {
        Some((name, kind)) => (name, Some(kind)),
        None => (query.operation_name.clone(), None),
    };
    if method == Method::GET
        && let Some(kind) = kind.filter(|t| *t != OperationType::Query)
    {
        let mut refusal = error_answer(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("a {kind} cannot be sent with GET: use POST"),
            "METHOD_NOT_ALLOWED",
        );
        refusal
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return Err(refusal);
    }
    let caller = auth::caller_of(request, &state.keys, &state.trusted);
    let started = Instant::now();
    // Past the deadline the request is dropped (its resolvers with it) and answered TIMEOUT;
    // on PostgreSQL no statement it started runs longer than the deadline either.
    let executed = within(
        state.request_deadline,
        Store::bounded(
            STORE_CALLS_PER_REQUEST,
            state.schema.execute(query.data(caller)),
        ),
    );
    // A request whose client has gone is dropped with its work (`crate::client_gone`).
    let executed = tokio::select! {
        executed = executed => executed,
        () = crate::client_gone::gone(request) => {
            metrics.observe_graphql(operation.as_deref(), kind_name(kind), Outcome::Error, started.elapsed());
            return Err(HttpResponse::build(client_gone_status()).finish());
        }
    };
    let mut response = match executed {
        Some(response) => response,
        None => {
            let mut error = async_graphql::ServerError::new(
                format!(
                    "the request ran past its deadline of {} s and was stopped: ask for less",
                    state.request_deadline.as_secs_f64()
                ),
                None,
            );
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", TIMEOUT_CODE);
            async_graphql::Response::from_errors(vec![error])
        }
    };
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", REQUEST_ERROR_CODE);
        }
        match extensions.get("code") {
            Some(async_graphql::Value::String(code)) => metrics.count_graphql_error(code),
            _ => metrics.count_graphql_error(REQUEST_ERROR_CODE),
        }
    }
    let outcome = if response.errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Error
    };
    metrics.observe_graphql(
        operation.as_deref(),
        kind_name(kind),
        outcome,
        started.elapsed(),
    );
    match serde_json::to_vec(&response) {
        Ok(bytes) => Ok(Answer {
            bytes,
            has_errors: !response.errors.is_empty(),
            operation,
        }),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a GraphQL response");
            Err(HttpResponse::InternalServerError().finish())
        }
    }
}

/// The name of an operation's kind, as the metrics label it.
fn kind_name(kind: Option<OperationType>) -> &'static str {
    match kind {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// `work`, unless `deadline` passes first (`None`). The clock is read each time `work` stops
/// to wait, not only when the runtime's timer fires: a busy worker thread processes its timers
/// late, and a big request keeps it busy (it yields every few thousand fields, see the
/// schema's `answer_budget`), so a timer alone would let it run on well past its deadline.
async fn within<T>(deadline: Duration, work: impl Future<Output = T>) -> Option<T> {
    let at = tokio::time::Instant::now() + deadline;
    let mut work = std::pin::pin!(work);
    let mut timer = std::pin::pin!(tokio::time::sleep_until(at));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(done));
        }
        if tokio::time::Instant::now() >= at || timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// The operation the request runs, when its document parses and names one (else execution
/// reports why): its name (`None` for an anonymous one) and kind.
fn operation_of(query: &mut async_graphql::Request) -> Option<(Option<String>, OperationType)> {
    let name = query.operation_name.clone();
    let document = query.parsed_query().ok()?;
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), name) => Some((name, operation.node.ty)),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .get(name.as_str())
            .map(|o| (Some(name.clone()), o.node.ty)),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .iter()
            .next()
            .map(|(name, o)| (Some(name.to_string()), o.node.ty)),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

fn error_body(message: &str, code: &str) -> serde_json::Value {
    serde_json::json!({"errors": [{"message": message, "extensions": {"code": code}}]})
}

fn error_answer(status: StatusCode, message: &str, code: &str) -> HttpResponse {
    HttpResponse::build(status).json(error_body(message, code))
}

async fn subscription(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let socket = GraphQLSubscription::new(state.schema.clone()).start(&request, payload)?;
    // Closed with a close frame when the server drains (`crate::drain`).
    Ok(socket.map_body(|_, body| state.drain.closable(body)))
}
