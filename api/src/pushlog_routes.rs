//! The pushlog over plain HTTP: GitHub push webhooks in (`POST /api/webhooks/github`), and
//! hg's `json-pushes` out (`GET /api/{repository}/json-pushes`). The rules (signature,
//! followed branch, ranges) are the service's (`treeherd_service::pushlog`); this file maps
//! requests in and answers out.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::collections::HashMap;
use treeherd_service::pushlog::github::{Delivery, Handled};

use crate::state::{State, error_response, status_of};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/api/webhooks/github", web::post().to(github_webhook))
        .route("/api/{repository}/json-pushes", web::get().to(json_pushes));
}

/// A GitHub `push` event, signed with the configured secret. Answers 200 with the stored
/// push, or 202 with the reason when there is nothing to store.
async fn github_webhook(
    state: web::Data<State>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let delivery = Delivery {
        signature: header("x-hub-signature-256"),
        event: header("x-github-event").unwrap_or("push"),
        body: &body,
    };
    match state
        .service
        .github_webhook(state.github_webhook_secret.as_deref(), delivery)
        .await
    {
        Ok(Handled::Pong) => HttpResponse::Ok().json(json!({"ok": "pong"})),
        Ok(Handled::Ignored(reason)) => {
            HttpResponse::build(StatusCode::ACCEPTED).json(json!({"ignored": reason}))
        }
        Ok(Handled::Stored { repository, pushes }) => HttpResponse::Ok().json(json!({
            "repository": repository,
            "pushes": pushes.iter().map(|p| json!({"pushId": p.push_id, "revision": p.revision})).collect::<Vec<_>>(),
        })),
        Err(e) => error_response(e),
    }
}

/// hg's `json-pushes` (see `treeherd_service::pushlog::json_pushes` for its parameters).
async fn json_pushes(
    state: web::Data<State>,
    repository: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    match state
        .service
        .json_pushes(repository.into_inner(), &query)
        .await
    {
        Ok(body) => HttpResponse::Ok()
            .content_type("application/json")
            .body(body),
        // hg answers errors as `{"error": "..."}`; so do we, with the status that fits.
        Err(e) => {
            let kind = e.kind();
            let status = match kind {
                treeherd_service::ErrorKind::BadInput | treeherd_service::ErrorKind::NotFound => {
                    status_of(kind)
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            HttpResponse::build(status)
                .json(json!({"error": e.client_message(), "code": kind.code()}))
        }
    }
}
