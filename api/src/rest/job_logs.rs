//! `GET /api/project/{repo}/job-log-url/?job_id=N` (one `job_id` or several) and
//! `.../job-log-url/{id}/`: a job's logs as Treeherder lists them (`id`, `job_id`, `name`,
//! `url`, `parse_status`). A URL stored without a host (the demo's) is made absolute with the
//! address the request came to, so a client can fetch it as it is.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde_json::{Value, json};
use treeherd_model::LogStatus;
use treeherd_store::{JobId, JobLog};

use super::answer::{Answer, RestError, absolute, ok};
use crate::state::State;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/api/project/{project}/job-log-url/", web::get().to(list))
        .route(
            "/api/project/{project}/job-log-url/{id}/",
            web::get().to(one),
        );
}

async fn list(state: web::Data<State>, request: HttpRequest, path: web::Path<String>) -> Answer {
    let name = path.into_inner();
    let query = web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let ids: Vec<&str> = query
        .iter()
        .filter(|(k, v)| k == "job_id" && !v.is_empty())
        .map(|(_, v)| v.as_str())
        .collect();
    if ids.is_empty() {
        return Err(RestError::detail(
            StatusCode::BAD_REQUEST,
            "The job_id parameter is mandatory for this endpoint",
        ));
    }
    let ids = ids
        .iter()
        .map(|id| id.trim().parse::<i64>().map(JobId))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            RestError::detail(
                StatusCode::BAD_REQUEST,
                "The job_id parameter(s) must be integers",
            )
        })?;
    let store = state.service.store();
    let Some(repository) = store.repository(name).await? else {
        return ok(&Vec::<Value>::new());
    };
    let jobs = store.jobs_by_id(ids.clone()).await?;
    let ours: Vec<JobId> = ids
        .into_iter()
        .filter(|id| {
            jobs.get(id)
                .is_some_and(|j| j.repository_id == repository.id)
        })
        .collect();
    let logs = store.logs_of(ours.clone()).await?;
    let answer: Vec<Value> = ours
        .iter()
        .flat_map(|id| logs.get(id).into_iter().flatten())
        .map(|log| log_json(log, &request))
        .collect();
    ok(&answer)
}

async fn one(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Answer {
    let (name, id) = path.into_inner();
    let missing = || RestError::detail(StatusCode::NOT_FOUND, "Not found.");
    let id = id.trim().parse::<i64>().map_err(|_| missing())?;
    let store = state.service.store();
    let repository = store.repository(name).await?.ok_or_else(missing)?;
    let log = store.log(id).await?.ok_or_else(missing)?;
    let job = store.jobs_by_id(vec![log.job_id]).await?;
    if job
        .get(&log.job_id)
        .is_none_or(|j| j.repository_id != repository.id)
    {
        return Err(missing());
    }
    ok(&log_json(&log, &request))
}

fn log_json(log: &JobLog, request: &HttpRequest) -> Value {
    json!({
        "id": log.id,
        "job_id": log.job_id.0,
        "name": log.name,
        "url": absolute(&log.url, request),
        "parse_status": parse_status(log.status),
    })
}

/// Treeherder's names of a log's parse status.
fn parse_status(status: LogStatus) -> &'static str {
    match status {
        LogStatus::Pending => "pending",
        LogStatus::Parsed => "parsed",
        LogStatus::Failed => "failed",
        LogStatus::Skipped => "skipped-size",
    }
}
