//! The pushlog over plain HTTP: GitHub push webhooks in (`POST /api/webhooks/github`), and
//! hg's `json-pushes` out (`GET /api/{repository}/json-pushes`) for tools that already speak
//! it, for git repositories too.
//!
//! A git repository's pushlog follows one branch: `Repository.branch`, else GitHub's default
//! branch. A webhook push to another ref is answered 202 with the reason and not stored.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use treeherd_pushlog::{RenderOptions, SignatureError, normalize_repository_url};
use treeherd_schema::ApiError;

use crate::routes::{State, error_response};

/// The most pushes one `json-pushes` answer holds; a wider range is refused, not cut short.
pub const MAX_JSON_PUSHES: usize = 10_000;
/// What `json-pushes` answers without a range, as hg does: the newest ten pushes.
const DEFAULT_JSON_PUSHES: i64 = 10;

/// A GitHub `push` event, signed with the configured secret (`X-Hub-Signature-256`). Stores
/// the push when it is to the branch the repository's pushlog follows; answers 202 with the
/// reason when there is nothing to store (another branch, a deletion, another event).
pub(crate) async fn github_webhook(
    state: web::Data<State>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(secret) = &state.github_webhook_secret else {
        return error_response(ApiError::NotFound(
            "the GitHub webhook is not configured (set TREEHERD_GITHUB_WEBHOOK_SECRET)".into(),
        ));
    };
    let header = request
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    match treeherd_pushlog::verify_github_signature(secret, &body, header) {
        Ok(()) => {}
        Err(SignatureError::Missing) => {
            return error_response(ApiError::Unauthenticated(
                "the body is not signed (X-Hub-Signature-256)".into(),
            ));
        }
        Err(e) => {
            return error_response(ApiError::Forbidden(format!(
                "the body's signature does not verify: {e}"
            )));
        }
    }
    let event = request
        .headers()
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("push");
    match event {
        "push" => {}
        "ping" => return HttpResponse::Ok().json(json!({"ok": "pong"})),
        other => return ignored(format!("{other} events carry no push")),
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return error_response(ApiError::BadUserInput(format!("the body is not JSON: {e}")));
        }
    };
    let push = match treeherd_pushlog::parse_github_push(&body) {
        Ok(push) => push,
        Err(e) => return error_response(ApiError::BadUserInput(e.to_string())),
    };
    let mut repository = None;
    for url in &push.repository_urls {
        match state
            .store
            .repository_by_url(url.clone(), normalize_repository_url)
            .await
        {
            Ok(Some(found)) => {
                repository = Some(found);
                break;
            }
            Ok(None) => {}
            Err(e) => return error_response(e.into()),
        }
    }
    let Some(repository) = repository else {
        return error_response(ApiError::NotFound(format!(
            "no repository at {}",
            push.repository_urls.join(" or ")
        )));
    };
    let followed = repository
        .branch
        .clone()
        .or_else(|| {
            body["repository"]["default_branch"]
                .as_str()
                .map(Into::into)
        })
        .unwrap_or_else(|| "main".into());
    if push.branch.as_deref() != Some(followed.as_str()) {
        return ignored(format!(
            "{} is not refs/heads/{followed}, the branch the pushlog of {} follows",
            push.git_ref, repository.name
        ));
    }
    if push.deleted {
        tracing::info!(repository = %repository.name, branch = %followed, "the followed branch was deleted");
        return ignored(format!("{} was deleted", push.git_ref));
    }
    let Some(record) = push.push_record() else {
        return ignored("the push brought no commit".into());
    };
    if push.forced {
        tracing::info!(repository = %repository.name, revision = %record.revision, "a forced push");
    }
    match treeherd_schema::pushlog::store_pushes(
        &state.store,
        &state.changes.pushes,
        repository.name.clone(),
        vec![record],
    )
    .await
    {
        Ok(stored) => HttpResponse::Ok().json(json!({
            "repository": repository.name,
            "pushes": stored.iter().map(|p| json!({"pushId": p.push_id, "revision": p.revision})).collect::<Vec<_>>(),
        })),
        Err(e) => error_response(e),
    }
}

fn ignored(reason: String) -> HttpResponse {
    HttpResponse::build(StatusCode::ACCEPTED).json(json!({"ignored": reason}))
}

/// hg's `json-pushes`: `version` (1, the default, or 2), `full`, `startID` (exclusive) and
/// `endID` (inclusive), `fromchange` (exclusive) and `tochange` (inclusive), `changeset`
/// (the push holding it); with no range, the newest ten pushes.
pub(crate) async fn json_pushes(
    state: web::Data<State>,
    repository: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    match answer_json_pushes(&state, repository.into_inner(), &query).await {
        Ok(body) => HttpResponse::Ok()
            .content_type("application/json")
            .body(body),
        // hg answers errors as `{"error": "..."}`; so do we, with the status that fits.
        Err(e) => {
            let (code, message) = e.into_client();
            let status = match code {
                "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
                "NOT_FOUND" => StatusCode::NOT_FOUND,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            HttpResponse::build(status).json(json!({"error": message, "code": code}))
        }
    }
}

async fn answer_json_pushes(
    state: &State,
    repository: String,
    query: &HashMap<String, String>,
) -> Result<String, ApiError> {
    let version = match query.get("version").map(String::as_str) {
        None | Some("1") => 1,
        Some("2") => 2,
        Some(other) => {
            return Err(ApiError::BadUserInput(format!(
                "version {other:?} is not 1 or 2"
            )));
        }
    };
    let full = query
        .get("full")
        .is_some_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    let store = &state.store;
    let found = store.existing_repository(repository.clone()).await?;
    let last = store.last_push_id(found.id).await?;

    let push_id_of = |revision: &String| {
        let repository = repository.clone();
        let revision = revision.clone();
        async move {
            store
                .push_by_revision(repository, revision.clone())
                .await?
                .map(|push| push.push_id)
                .ok_or_else(|| ApiError::NotFound(format!("unknown revision {revision:?}")))
        }
    };
    let id = |name: &str| -> Result<Option<i64>, ApiError> {
        query
            .get(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::BadUserInput(format!("{name} {v:?} is not a push id")))
            })
            .transpose()
    };
    let (after, through) = if let Some(changeset) = query.get("changeset") {
        let push_id = push_id_of(changeset).await?;
        (push_id - 1, push_id)
    } else {
        let after = match (id("startID")?, query.get("fromchange")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::BadUserInput(
                    "give startID or fromchange, not both".into(),
                ));
            }
            (Some(start), None) => Some(start),
            (None, Some(from)) => Some(push_id_of(from).await?),
            (None, None) => None,
        };
        let through = match (id("endID")?, query.get("tochange")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::BadUserInput(
                    "give endID or tochange, not both".into(),
                ));
            }
            (Some(end), None) => Some(end),
            (None, Some(to)) => Some(push_id_of(to).await?),
            (None, None) => None,
        };
        match (after, through) {
            (None, None) => ((last - DEFAULT_JSON_PUSHES).max(0), last),
            (after, through) => (after.unwrap_or(0), through.unwrap_or(last)),
        }
    };
    let records = store
        .push_records(found.id, after, through, MAX_JSON_PUSHES + 1)
        .await?;
    if records.len() > MAX_JSON_PUSHES {
        return Err(ApiError::BadUserInput(format!(
            "the range holds more than {MAX_JSON_PUSHES} pushes; ask for it in pages with startID and endID"
        )));
    }
    Ok(treeherd_pushlog::render_json_pushes(
        &records,
        last,
        RenderOptions { version, full },
    ))
}
