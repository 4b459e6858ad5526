//! Treeherder's intermittent-failure reads over the classification data:
//! `GET /api/failures/?startday=&endday=&tree=` (each bug's count of intermittent failures
//! in the days, most first) and `GET /api/failuresbybug/?bug=&startday=&endday=&tree=` (the
//! failures classified with that bug: job, push, platform, build type, machine and the
//! `TEST-UNEXPECTED-FAIL` lines of its logs). The days are whole UTC days, the end day
//! included, at most 366 of them; `tree` is `all` or a repository name. Counted as treeherd's intermittent view
//! counts them (`treeherd_store::IntermittentQuery`): jobs classified intermittent,
//! autoclassified intermittent or intermittent-needs-bug, by when they failed.

use actix_web::{HttpRequest, web};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use treeherd_store::{DAY_MICROS, IntermittentQuery, JobId, PushId};

use super::answer::{Answer, Params, RestError, iso, ok, parse_date};
use crate::state::State;

/// The most bugs `failures/` lists and failures `failuresbybug/` lists.
const MAX_ROWS: usize = 1_000;
/// The longest range, in days (GraphQL's `intermittentFailures` has the same limit): each
/// bug of `failures/` is counted per day.
const MAX_DAYS: i64 = 366;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/api/failures/", web::get().to(failures))
        .route("/api/failuresbybug/", web::get().to(failures_by_bug));
}

/// The validated query (Treeherder's `FailuresQueryParamsSerializer`): every field's
/// messages together, as it answers them.
async fn query_of(
    state: &State,
    params: &Params,
    require_bug: bool,
) -> Result<(IntermittentQuery, Option<i64>), RestError> {
    let mut errors = Map::new();
    let mut day = |key: &str| match params.get(key) {
        None => {
            errors.insert(key.into(), json!(["This field is required."]));
            None
        }
        Some(v) => {
            let day = parse_date(v);
            if day.is_none() {
                errors.insert(
                    key.into(),
                    json!([
                        "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DD."
                    ]),
                );
            }
            day
        }
    };
    let since = day("startday");
    let until = day("endday").map(|d| d + DAY_MICROS);
    let mut repository = None;
    match params.get("tree") {
        None => {
            errors.insert("tree".into(), json!(["This field is required."]));
        }
        Some("all") => {}
        Some(tree) => match state.service.store().repository(tree.to_owned()).await? {
            Some(r) => repository = Some(r.id),
            None => {
                errors.insert("tree".into(), json!([format!("{tree} does not exist.")]));
            }
        },
    }
    let bug = match params.get("bug") {
        None if require_bug => {
            errors.insert("bug".into(), json!(["This field is required."]));
            None
        }
        None => None,
        Some(v) => {
            let bug = v.trim().parse::<i64>().ok();
            if bug.is_none() {
                errors.insert("bug".into(), json!(["A valid integer is required."]));
            }
            bug
        }
    };
    if let (Some(since), Some(until)) = (since, until)
        && (until - since) / DAY_MICROS > MAX_DAYS
    {
        errors.insert(
            "endday".into(),
            json!([format!("The range is at most {MAX_DAYS} days.")]),
        );
    }
    match (since, until) {
        (Some(since), Some(until)) if errors.is_empty() => Ok((
            IntermittentQuery {
                repository,
                platform: None,
                since,
                until,
            },
            bug,
        )),
        _ => Err(RestError::from_body(
            actix_web::http::StatusCode::BAD_REQUEST,
            Value::Object(errors),
        )),
    }
}

async fn failures(state: web::Data<State>, request: HttpRequest) -> Answer {
    let params = Params::of(&request)?;
    let (query, bug) = query_of(&state, &params, false).await?;
    let bugs = state
        .service
        .store()
        .intermittent_bugs(query, MAX_ROWS)
        .await?;
    let answer: Vec<Value> = bugs
        .iter()
        .filter(|b| bug.is_none_or(|id| id == b.bug_id))
        .map(|b| json!({"bug_id": b.bug_id, "bug_count": b.failures}))
        .collect();
    ok(&answer)
}

async fn failures_by_bug(state: web::Data<State>, request: HttpRequest) -> Answer {
    let params = Params::of(&request)?;
    let (query, bug) = query_of(&state, &params, true).await?;
    let bug = bug.unwrap_or_default();
    let store = state.service.store();
    let ids = store.bug_failures(query, bug, MAX_ROWS).await?;
    let jobs = store.jobs_by_id(ids.clone()).await?;
    let push_ids: Vec<PushId> = jobs.values().filter_map(|j| j.push_row_id).collect();
    let pushes = store.pushes_by_id(push_ids.clone()).await?;
    let revisions = store.push_revisions(push_ids).await?;
    let repositories = store.repositories().await?;
    let names: HashMap<_, _> = repositories
        .iter()
        .map(|r| (r.id, r.name.as_str()))
        .collect();
    let lines = store.failure_lines(ids.clone()).await?;
    let answer: Vec<Value> = ids
        .iter()
        .filter_map(|id| jobs.get(id))
        .map(|job| {
            let attributes = job.attributes().unwrap_or_default();
            let build_type = attributes
                .get("build_type")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned();
            let platform = job.platform.clone().unwrap_or_default();
            let push = job.push_row_id.and_then(|p| pushes.get(&p));
            let failing: Vec<&str> = lines
                .get(&JobId(job.id.0))
                .into_iter()
                .flatten()
                .filter(|l| l.line.contains("TEST-UNEXPECTED-FAIL"))
                .map(|l| l.line.as_str())
                .collect();
            json!({
                "push_time": push.map(|p| iso(p.pushed_at).replace('T', " ")).unwrap_or_default(),
                "platform": platform,
                "revision": job.push_row_id.and_then(|p| revisions.get(&p)).cloned().unwrap_or_default(),
                "test_suite": test_suite(&job.name, &platform, &build_type),
                "tree": names.get(&job.repository_id).copied().unwrap_or_default(),
                "build_type": build_type,
                "job_id": job.id.0,
                "bug_id": bug,
                "machine_name": job.machine.clone().unwrap_or_else(|| "unknown".into()),
                "lines": failing,
                "task_id": attributes.get("task_id").and_then(Value::as_str).unwrap_or("unknown"),
            })
        })
        .collect();
    ok(&answer)
}

/// Treeherder's `TestSuiteField`: the job name without `test-{platform}` and the build type,
/// and without a separator left at either end.
fn test_suite(name: &str, platform: &str, build_type: &str) -> String {
    let name = name.replace(&format!("test-{platform}"), "");
    let name = if build_type.is_empty() {
        name
    } else {
        name.replace(build_type, "")
    };
    let mut suite = name.as_str();
    // `^.(/|-)`: one character then a separator at the start; `(/|-)$` at the end.
    let mut chars = suite.char_indices();
    if let (Some(_), Some((i, c))) = (chars.next(), chars.next())
        && (c == '/' || c == '-')
    {
        suite = &suite[i + 1..];
    }
    suite
        .strip_suffix('/')
        .or_else(|| suite.strip_suffix('-'))
        .unwrap_or(suite)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::test_suite;

    #[test]
    fn the_test_suite_is_the_name_without_platform_and_build_type() {
        assert_eq!(
            test_suite("test-linux64/opt-mochitest-1", "linux64", "opt"),
            "mochitest-1"
        );
        assert_eq!(test_suite("mochitest", "linux64", "opt"), "mochitest");
    }
}
