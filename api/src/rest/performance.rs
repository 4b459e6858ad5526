//! Perfherder's reads over the PERFHERDER_DATA values the parse worker stored:
//! `GET /api/performance/framework/` (each framework with Treeherder's id when it has one,
//! else a derived one), `GET /api/project/{repo}/performance/signatures/` (one signature per
//! series: repository, framework, suite, subtest, platform; its `id` is the row id of the
//! series' first value, its `signature_hash` the SHA-1 of what names it) and
//! `GET /api/project/{repo}/performance/data/?signature_id=N` (or `signatures=HASH`,
//! `push_id=`, `job_id=`, `framework=`): the values by signature hash, oldest push first.
//! Alerts and alert summaries need Perfherder's change detection, which treeherd does not
//! run: `performance/alertsummary/` answers an empty page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use treeherd_store::PerfSeries;

use super::answer::{Answer, RestError, ok, project, seconds};
use super::job_fields::{derived_id, option_collection_hash};
use crate::state::State;

/// The most values of one series answered.
const MAX_VALUES: usize = 10_000;

/// Treeherder's framework ids (its `performance_framework` fixture).
const FRAMEWORK_IDS: [(&str, i64); 13] = [
    ("talos", 1),
    ("build_metrics", 2),
    ("awsy", 4),
    ("awfy", 5),
    ("platform_microbench", 6),
    ("js-bench", 11),
    ("devtools", 12),
    ("browsertime", 13),
    ("vcs", 14),
    ("mozperftest", 15),
    ("fxrecord", 16),
    ("telemetry", 17),
    ("mozharness", 18),
];

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/api/performance/framework/", web::get().to(frameworks))
        .route(
            "/api/performance/alertsummary/",
            web::get().to(alert_summaries),
        )
        .route(
            "/api/project/{project}/performance/signatures/",
            web::get().to(signatures),
        )
        .route(
            "/api/project/{project}/performance/data/",
            web::get().to(data),
        );
}

fn framework_id(name: &str) -> i64 {
    FRAMEWORK_IDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
        .unwrap_or_else(|| derived_id(name))
}

fn signature_hash(series: &PerfSeries) -> String {
    let digest = Sha1::digest(
        format!(
            "{}\n{}\n{}\n{}",
            series.framework, series.suite, series.subtest, series.platform
        )
        .as_bytes(),
    );
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

async fn frameworks(state: web::Data<State>) -> Answer {
    let names = state.service.store().perf_frameworks().await?;
    let mut answer: Vec<Value> = names
        .iter()
        .map(|n| json!({"id": framework_id(n), "name": n}))
        .collect();
    answer.sort_by_key(|f| f["id"].as_i64());
    ok(&answer)
}

async fn alert_summaries() -> Answer {
    ok(&json!({"next": null, "previous": null, "count": 0, "results": []}))
}

/// The query's values of `name` (repeated or not), empty ones left out.
fn list(request: &HttpRequest, name: &str) -> Vec<String> {
    web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v)
        .collect()
}

fn ints(request: &HttpRequest, name: &str, message: &str) -> Result<Vec<i64>, RestError> {
    list(request, name)
        .iter()
        .map(|v| v.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| RestError::from_body(StatusCode::BAD_REQUEST, json!({ "message": message })))
}

/// The series of the repository that the query's `framework` (ids) keep.
async fn series_of(
    state: &State,
    request: &HttpRequest,
    name: &str,
) -> Result<Vec<PerfSeries>, RestError> {
    let repository = project(state, name).await?;
    let frameworks = ints(request, "framework", "framework must be an integer")?;
    let all = state
        .service
        .store()
        .perf_series_list(repository.id, None)
        .await?;
    Ok(all
        .into_iter()
        .filter(|s| frameworks.is_empty() || frameworks.contains(&framework_id(&s.framework)))
        .collect())
}

async fn signatures(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Answer {
    let name = path.into_inner();
    let ids = ints(
        &request,
        "id",
        "One or more id values invalid (must be integer)",
    )?;
    let hashes = list(&request, "signature");
    let platform = list(&request, "platform").pop();
    let mut answer = Map::new();
    for series in series_of(&state, &request, &name).await? {
        let hash = signature_hash(&series);
        if (!ids.is_empty() && !ids.contains(&series.id))
            || (!hashes.is_empty() && !hashes.contains(&hash))
            || platform.as_ref().is_some_and(|p| *p != series.platform)
        {
            continue;
        }
        let mut props = json!({
            "id": series.id,
            "signature_hash": hash,
            "framework_id": framework_id(&series.framework),
            "option_collection_hash": option_collection_hash("opt"),
            "machine_platform": series.platform,
            "suite": series.suite,
            "should_alert": false,
        });
        if series.lower_is_better == Some(false) {
            props["lower_is_better"] = json!(false);
        }
        if !series.subtest.is_empty() {
            props["test"] = json!(series.subtest);
        }
        if let Some(unit) = &series.unit {
            props["measurement_unit"] = json!(unit);
        }
        answer.insert(series.id.to_string(), props);
    }
    ok(&answer)
}

async fn data(state: web::Data<State>, request: HttpRequest, path: web::Path<String>) -> Answer {
    let name = path.into_inner();
    let signature_ids = ints(
        &request,
        "signature_id",
        "Signature id(s) must be specified as integers",
    )?;
    let hashes = list(&request, "signatures");
    let push_ids = ints(
        &request,
        "push_id",
        "Push id(s) must be specified as integers",
    )?;
    let job_ids = ints(
        &request,
        "job_id",
        "Job id(s) must be specified as integers",
    )?;
    if signature_ids.is_empty() && hashes.is_empty() && push_ids.is_empty() && job_ids.is_empty() {
        return Err(RestError::from_body(
            StatusCode::BAD_REQUEST,
            json!(["Need to specify either signature_id, signatures, push_id, or job_id"]),
        ));
    }
    if !signature_ids.is_empty() && !hashes.is_empty() {
        return Err(RestError::from_body(
            StatusCode::BAD_REQUEST,
            json!(["Can't specify both signature_id and signatures in same query"]),
        ));
    }
    let repository = project(&state, &name).await?;
    let mut answer = Map::new();
    for series in series_of(&state, &request, &name).await? {
        let hash = signature_hash(&series);
        if (!signature_ids.is_empty() && !signature_ids.contains(&series.id))
            || (!hashes.is_empty() && !hashes.contains(&hash))
        {
            continue;
        }
        let values = state
            .service
            .store()
            .perf_series_data(repository.id, series.id, MAX_VALUES)
            .await?
            .unwrap_or_default();
        let values: Vec<Value> = values
            .iter()
            .filter(|v| push_ids.is_empty() || v.push_row_id.is_some_and(|p| push_ids.contains(&p)))
            .filter(|v| job_ids.is_empty() || v.job_id.is_some_and(|j| job_ids.contains(&j)))
            .map(|v| {
                json!({
                    "id": v.id,
                    "signature_id": series.id,
                    "job_id": v.job_id,
                    "push_id": v.push_row_id,
                    "revision": v.revision,
                    "push_timestamp": v.pushed_at.map(seconds),
                    "value": (v.value * 100.0).round() / 100.0,
                })
            })
            .collect();
        if !values.is_empty() {
            answer.insert(hash, json!(values));
        }
    }
    ok(&answer)
}
