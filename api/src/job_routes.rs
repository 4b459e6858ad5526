//! Pulse jobs over plain HTTP (`POST /api/jobs`): Treeherder pulse job messages as a JSON
//! array, NDJSON or one object, ingested by the service exactly as the AMQP consumer and
//! the `ingestPulseJobs` mutation ingest them.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use treeherd_service::ServiceError;

use crate::auth;
use crate::state::{State, error_response};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.route("/api/jobs", web::post().to(post_jobs));
}

/// Answers 200 with the stored guids, each rejected message (index, field, rule) and each
/// message the job lifecycle ignored (index, guid, reason), or 422 when none was taken.
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
        Err(e) => return error_response(ServiceError::bad_input("body", e.to_string())),
    };
    match state.service.ingest_parsed(&caller, batch).await {
        Ok(outcome) => {
            let status = if outcome.jobs.is_empty() && !outcome.rejected.is_empty() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
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
