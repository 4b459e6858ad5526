//! `GET /api/project/{repo}/jobs/{id}/text_log_errors/` and `.../bug_suggestions/`: a job's
//! error lines (its logs' failure lines, as the parse worker stored them) and, for each, the
//! bugs Treeherder's search suggests (`Service::line_suggestions`, Treeherder's
//! `bug_suggestions_line`). An error line's `id` is its log's id × 1,000 plus its place in
//! the log's error summary (at most 40 lines are kept per log), stable for the log's life.
//! treeherd counts no recent recurrences of a line: `counter` is 0 and
//! `failure_new_in_rev` false.

use actix_web::web;
use serde_json::{Value, json};
use treeherd_store::{Bug, FailureLine};

use super::answer::{Answer, RestError, ok};
use super::jobs::job_of;
use crate::state::State;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/api/project/{project}/jobs/{id}/text_log_errors/",
            web::get().to(text_log_errors),
        )
        .route(
            "/api/project/{project}/jobs/{id}/bug_suggestions/",
            web::get().to(bug_suggestions),
        );
}

/// An error line's id.
fn line_id(line: &FailureLine) -> i64 {
    line.log_id * 1000 + i64::from(line.position)
}

async fn lines_of(state: &State, name: &str, id: &str) -> Result<Vec<FailureLine>, RestError> {
    let job = job_of(state, name, id).await?;
    let mut lines = state.service.store().failure_lines(vec![job.id]).await?;
    Ok(lines.remove(&job.id).unwrap_or_default())
}

async fn text_log_errors(state: web::Data<State>, path: web::Path<(String, String)>) -> Answer {
    let (name, id) = path.into_inner();
    let lines = lines_of(&state, &name, &id).await?;
    let answer: Vec<Value> = lines
        .iter()
        .map(|line| {
            json!({
                "id": line_id(line),
                "line": line.line,
                "line_number": line.line_number,
                "new_failure": false,
                "job": line.job_id.0,
            })
        })
        .collect();
    ok(&answer)
}

async fn bug_suggestions(state: web::Data<State>, path: web::Path<(String, String)>) -> Answer {
    let (name, id) = path.into_inner();
    let lines = lines_of(&state, &name, &id).await?;
    let mut answer = Vec::with_capacity(lines.len());
    for line in &lines {
        let found = state.service.line_suggestions(&line.line).await?;
        answer.push(json!({
            "search": found.search.cleaned,
            "search_terms": found.searched,
            "path_end": found.search.terms.path_end,
            "bugs": {
                "open_recent": found.suggestions.open_recent.iter().map(bug_json).collect::<Vec<_>>(),
                "all_others": found.suggestions.all_others.iter().map(bug_json).collect::<Vec<_>>(),
            },
            "line_number": line.line_number,
            "counter": 0,
            "failure_new_in_rev": false,
        }));
    }
    ok(&answer)
}

/// A bug as Treeherder's bug search answers it.
fn bug_json(bug: &Bug) -> Value {
    json!({
        "id": bug.id.0,
        "status": bug.status,
        "resolution": bug.resolution.clone().unwrap_or_default(),
        "summary": bug.summary,
        "dupe_of": bug.dupe_of.map(|d| d.0),
        "crash_signature": bug.crash_signature.clone().unwrap_or_default(),
        "keywords": bug.keywords.join(","),
        "whiteboard": bug.whiteboard.clone().unwrap_or_default(),
    })
}
