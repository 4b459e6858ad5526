//! `GET /api/project/{repo}/push/` and `.../push/{id}/`: pushes in Treeherder's shape
//! (`meta`, `results[]` with up to 20 `revisions[]`, newest commit first), by its filters:
//! `revision` (the push's own, a prefix under 40 digits), `fromchange`/`tochange` (from or
//! to that push's time), `startdate`/`enddate` (days; the end day included),
//! `push_timestamp__lt/lte/gt/gte` (unix seconds), `id`, `id__lt/lte/gt/gte`, `id__in`,
//! `author` (ignoring case; `-author` excludes) and `count` (default 10, 1 to 1,000, as
//! Treeherder caps it). A push's `id` is its row id in the store, stable for its life.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use treeherd_store::{IntCondition, Push, PushId, RestPushQuery};

use super::answer::{Answer, COMPARISONS, Params, RestError, ok, parse_date, project, seconds};
use crate::state::State;

/// Treeherder's `max_push_count`.
const MAX_COUNT: usize = 1000;
/// The commits listed with a push (Treeherder's serializer slices 20).
const MAX_REVISIONS: usize = 20;
const DAY_MICROS: i64 = 86_400_000_000;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/api/project/{project}/push/", web::get().to(list))
        .route("/api/project/{project}/push/{id}/", web::get().to(one));
}

async fn list(state: web::Data<State>, request: HttpRequest, path: web::Path<String>) -> Answer {
    let name = path.into_inner();
    let params = Params::of(&request)?;
    let repository = project(&state, &name).await?;
    let store = state.service.store();
    let mut query = RestPushQuery::default();
    let mut meta = serde_json::Map::new();
    let mut filter_params = params.all();
    for key in [
        "fromchange",
        "tochange",
        "startdate",
        "enddate",
        "revision",
        "commit_revision",
    ] {
        if let Some(value) = params.get(key) {
            filter_params.remove(key);
            meta.insert(key.to_owned(), json!(value));
        }
    }
    for change in ["fromchange", "tochange"] {
        let Some(revision) = params.get(change) else {
            continue;
        };
        let found = store
            .rest_pushes(
                repository.id,
                RestPushQuery {
                    revision_prefix: Some(revision.to_ascii_lowercase()),
                    count: 1,
                    ..RestPushQuery::default()
                },
            )
            .await?;
        let push = found.first().ok_or_else(|| {
            RestError::detail(
                StatusCode::NOT_FOUND,
                format!("No push with revision: {revision}"),
            )
        })?;
        let (condition, key) = if change == "fromchange" {
            (IntCondition::Gte(push.pushed_at), "push_timestamp__gte")
        } else {
            (IntCondition::Lte(push.pushed_at), "push_timestamp__lte")
        };
        query.pushed_at.push(condition);
        filter_params.insert(key.to_owned(), json!(seconds(push.pushed_at).to_string()));
    }
    if let Some(day) = params.get("startdate") {
        let start = parse_date(day).ok_or_else(|| bad_date("startdate", day))?;
        query.pushed_at.push(IntCondition::Gte(start));
    }
    if let Some(day) = params.get("enddate") {
        let end = parse_date(day).ok_or_else(|| bad_date("enddate", day))? + DAY_MICROS;
        query.pushed_at.push(IntCondition::Lte(end));
    }
    if let Some(revision) = params.get("revision") {
        query.revision_prefix = Some(revision.to_ascii_lowercase());
    }
    for (suffix, make) in &COMPARISONS[1..] {
        let key = format!("push_timestamp{suffix}");
        if let Some(value) = params.get(&key) {
            let micros = value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && s.abs() < 1e11)
                .map(|s| (s * 1e6) as i64)
                .ok_or_else(|| {
                    RestError::detail(
                        StatusCode::BAD_REQUEST,
                        format!("Invalid timestamp specified for {key}"),
                    )
                })?;
            query.pushed_at.push(make(micros));
        }
    }
    for (suffix, make) in COMPARISONS {
        let key = format!("id{suffix}");
        if let Some(value) = params.get(&key) {
            let id = value.trim().parse::<i64>().map_err(|_| {
                RestError::detail(
                    StatusCode::BAD_REQUEST,
                    format!("Invalid value specified for {key}"),
                )
            })?;
            // Treeherder takes 0 for no filter.
            if id != 0 {
                query.ids.push(make(id));
            }
        }
    }
    if let Some(list) = params.get("id__in") {
        let ids = list
            .split(',')
            .map(|id| id.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                RestError::detail(StatusCode::BAD_REQUEST, "Invalid id__in specification")
            })?;
        query.id_in = Some(ids);
    }
    if let Some(author) = params.get("author") {
        query.author = Some(match author.strip_prefix('-') {
            Some(excluded) => (excluded.to_owned(), true),
            None => (author.to_owned(), false),
        });
    }
    query.count = count(&params)?;
    let pushes = store.rest_pushes(repository.id, query).await?;
    let results = pushes_json(&state, &pushes).await?;
    meta.insert("count".into(), json!(results.len()));
    meta.insert("repository".into(), json!(name));
    meta.insert("filter_params".into(), Value::Object(filter_params));
    ok(&json!({ "meta": meta, "results": results }))
}

async fn one(state: web::Data<State>, path: web::Path<(String, String)>) -> Answer {
    let (name, id) = path.into_inner();
    let missing = || RestError::text(StatusCode::NOT_FOUND, format!("No push with id: {id}"));
    let Some(repository) = state.service.store().repository(name).await? else {
        return Err(missing());
    };
    let Ok(row) = id.parse::<i64>() else {
        return Err(missing());
    };
    let push = state
        .service
        .store()
        .rest_push(repository.id, row)
        .await?
        .ok_or_else(missing)?;
    let mut answer = pushes_json(&state, std::slice::from_ref(&push)).await?;
    ok(&answer.pop().unwrap_or(Value::Null))
}

/// `count`: 10 unless given, refused as Treeherder refuses it.
fn count(params: &Params) -> Result<usize, RestError> {
    let Some(text) = params.get("count") else {
        return Ok(10);
    };
    let count = text
        .trim()
        .parse::<i64>()
        .map_err(|_| RestError::detail(StatusCode::BAD_REQUEST, "Valid count value required"))?;
    if count > MAX_COUNT as i64 {
        return Err(RestError::detail(
            StatusCode::BAD_REQUEST,
            format!("Specified count exceeds api limit: {MAX_COUNT}"),
        ));
    }
    if count < 1 {
        return Err(RestError::detail(
            StatusCode::BAD_REQUEST,
            format!("count requires a positive integer, not: {count}"),
        ));
    }
    Ok(count as usize)
}

fn bad_date(key: &str, value: &str) -> RestError {
    RestError::detail(
        StatusCode::BAD_REQUEST,
        format!("Invalid date for {key}: {value} (expected YYYY-MM-DD)"),
    )
}

/// Pushes in Treeherder's shape, with their commits.
async fn pushes_json(state: &State, pushes: &[Push]) -> Result<Vec<Value>, RestError> {
    let ids: Vec<PushId> = pushes.iter().map(|p| p.id).collect();
    let mut commits: HashMap<PushId, _> = state.service.store().commits(ids).await?;
    Ok(pushes
        .iter()
        .map(|push| {
            let commits = commits.remove(&push.id).unwrap_or_default();
            let revisions: Vec<Value> = commits
                .iter()
                .rev()
                .take(MAX_REVISIONS)
                .map(|c| {
                    json!({
                        "result_set_id": push.id.0,
                        "repository_id": push.repository_id.0,
                        "revision": c.revision.to_string(),
                        "author": c.author,
                        "comments": c.message,
                    })
                })
                .collect();
            json!({
                "id": push.id.0,
                "revision": push.revision,
                "author": push.author,
                "branch": null,
                "revisions": revisions,
                "revision_count": commits.len(),
                "push_timestamp": seconds(push.pushed_at),
                "repository_id": push.repository_id.0,
            })
        })
        .collect())
}
