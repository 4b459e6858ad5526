//! `GET /api/jobs/` (every repository's jobs, compact, paged as the Treeherder UI reads
//! them), `GET /api/project/{repo}/jobs/`, `.../jobs/{id}/` and `.../jobs/{id}/similar_jobs/`: jobs
//! in Treeherder's shape (`job_fields`), by its filters: `id`, `push_id` (or its old name
//! `result_set_id`) and `tier` with `__lt/__lte/__gt/__gte` and `__in`, `job_guid` (and
//! `__in`), `state`, `result`, `job_type_name`, `job_type_symbol`, `job_group_name`,
//! `job_group_symbol`, `platform`/`build_platform`, `machine_name`,
//! `failure_classification_id`, `last_modified` (with the comparisons: an ISO date),
//! `submit_timestamp`/`start_timestamp`/`end_timestamp` (unix seconds) and paging by
//! `offset`/`count` (default 10, at most 2,000 as Treeherder caps it; `return_type=list` for
//! the compact arrays). A job's `id` is its row id in the store.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde::Serialize;
use serde_json::{Value, json};
use treeherd_store::{IntCondition, Job, JobId, RestJobQuery};

use super::answer::{Answer, Params, RestError, absolute, ok, parse_datetime, project};
use super::job_fields::{Cell, Derived, FlatJob, PROPERTY_NAMES, classification_ids, job_json};
use crate::state::State;

/// Treeherder's `max_jobs_count`.
pub(crate) const MAX_COUNT: usize = 2000;

/// The fields of the compact `GET /api/jobs/` (Treeherder's `_output_field_names`).
const OUTPUT_NAMES: [&str; 18] = [
    "failure_classification_id",
    "id",
    "job_group_name",
    "job_group_symbol",
    "job_type_name",
    "job_type_symbol",
    "last_modified",
    "platform",
    "push_id",
    "push_revision",
    "result",
    "signature",
    "state",
    "tier",
    "task_id",
    "retry_id",
    "duration",
    "platform_option",
];

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/api/jobs/", web::get().to(all_jobs))
        .route("/api/project/{project}/jobs/", web::get().to(list))
        .route("/api/project/{project}/jobs/{id}/", web::get().to(one))
        .route(
            "/api/project/{project}/jobs/{id}/similar_jobs/",
            web::get().to(similar),
        );
}

async fn list(state: web::Data<State>, request: HttpRequest, path: web::Path<String>) -> Answer {
    let name = path.into_inner();
    let params = Params::of(&request)?;
    let (offset, count) = params.paging(10, MAX_COUNT)?;
    let mut query = filters(&params)?;
    let repository = project(&state, &name).await?;
    query.repository = Some(repository.id);
    query.offset = offset;
    query.count = count;
    let jobs = state.service.store().rest_jobs(query).await?;
    let meta = json!({"repository": name, "offset": offset, "count": count});
    page(&state, &jobs, &params, meta).await
}

/// `GET /api/jobs/`: jobs of every repository as the Treeherder UI reads them, arrays of
/// [`OUTPUT_NAMES`], by id, in pages of `count` (at most 2,000, the default) numbered by
/// `page`, with the total and the neighbouring pages' URLs.
async fn all_jobs(state: web::Data<State>, request: HttpRequest) -> Answer {
    let params = Params::of(&request)?;
    let query = filters(&params)?;
    let size = match params.get("count") {
        None => MAX_COUNT,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .map_or(MAX_COUNT, |n| n.min(MAX_COUNT)),
    };
    let invalid = || RestError::detail(StatusCode::NOT_FOUND, "Invalid page.");
    let page = match params.get("page") {
        None => 1,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(invalid)?,
    };
    let store = state.service.store();
    let total = usize::try_from(store.rest_job_count(query.clone()).await?).unwrap_or(0);
    let offset = (page - 1).saturating_mul(size);
    if offset >= total && page > 1 {
        return Err(invalid());
    }
    let jobs = store
        .rest_jobs(RestJobQuery {
            offset,
            count: size,
            ..query
        })
        .await?;
    let classifications = classification_ids(store, &jobs).await?;
    let revisions = store
        .push_revisions(jobs.iter().filter_map(|j| j.push_row_id).collect())
        .await?;
    let now = chrono::Utc::now().timestamp_micros();
    let mut derived = Derived::default();
    let flat: Vec<FlatJob<'_>> = jobs
        .iter()
        .map(|job| {
            let classification = classifications.get(&job.id).copied().unwrap_or(1);
            FlatJob::new(job, classification, &mut derived)
        })
        .collect();
    // Where each output field comes from, found once for the page.
    let columns: Vec<Option<usize>> = OUTPUT_NAMES
        .iter()
        .map(|name| PROPERTY_NAMES.iter().position(|p| p == name))
        .collect();
    let results: Vec<Vec<Cell<'_>>> = flat
        .iter()
        .map(|job| {
            let cells = job.cells();
            let revision = job.job().push_row_id.and_then(|p| revisions.get(&p));
            OUTPUT_NAMES
                .iter()
                .zip(&columns)
                .map(|(name, column)| match (*name, column) {
                    (_, Some(i)) => cells[*i],
                    ("duration", _) => Cell::Int(duration_minutes(job.job(), now)),
                    ("push_revision", _) => Cell::MaybeText(revision.map(String::as_str)),
                    _ => Cell::MaybeText(None),
                })
                .collect()
        })
        .collect();
    let link = |page: usize| {
        let info = request.connection_info();
        let mut pairs: Vec<(String, String)> =
            web::Query::<Vec<(String, String)>>::from_query(request.query_string())
                .map(|q| q.into_inner())
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k != "page")
                .collect();
        pairs.push(("page".into(), page.to_string()));
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        format!(
            "{}://{}{}?{}",
            info.scheme(),
            info.host(),
            request.path(),
            query.join("&")
        )
    };
    let next = (offset + jobs.len() < total).then(|| link(page + 1));
    let previous = (page > 1).then(|| link(page - 1));
    ok(&AllJobsPage {
        count: total,
        next,
        previous,
        results,
        job_property_names: &OUTPUT_NAMES,
    })
}

/// A page of `GET /api/jobs/`.
#[derive(Serialize)]
struct AllJobsPage<'a> {
    count: usize,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<Vec<Cell<'a>>>,
    job_property_names: &'static [&'static str; 18],
}

/// Treeherder's `Job.get_duration`: whole minutes from start (else submission) to end (else
/// now), at least 1.
fn duration_minutes(job: &Job, now: i64) -> i64 {
    let end = job.finished_at.unwrap_or(now);
    let start = job.started_at.or(job.submitted_at).unwrap_or(end);
    let seconds = ((end - start) as f64 / 1e6).max(60.0);
    ((seconds / 60.0).round() as i64).max(1)
}

/// A query string's text, percent-encoded but for what URLs keep as is.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn one(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Answer {
    let (name, id) = path.into_inner();
    let job = job_of(&state, &name, &id).await?;
    let store = state.service.store();
    let classifications = classification_ids(store, std::slice::from_ref(&job)).await?;
    let mut answer = job_json(&job, classifications.get(&job.id).copied().unwrap_or(1));
    let logs = store.logs_of(vec![job.id]).await?;
    let logs: Vec<Value> = logs
        .get(&job.id)
        .into_iter()
        .flatten()
        .map(|log| json!({"name": log.name, "url": absolute(&log.url, &request)}))
        .collect();
    answer["resource_uri"] = json!(format!("/api/project/{name}/jobs/{}/", job.id.0));
    answer["logs"] = json!(logs);
    ok(&answer)
}

async fn similar(
    state: web::Data<State>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Answer {
    let (name, id) = path.into_inner();
    let params = Params::of(&request)?;
    let repository = project(&state, &name).await?;
    let job = job_of(&state, &name, &id).await?;
    let (offset, count) = params.paging(50, MAX_COUNT)?;
    let mut query = filters(&params)?;
    query.repository = Some(repository.id);
    query.name = Some(job.name.clone());
    query.exclude = Some(job.id);
    if params.get("nosuccess").is_some() {
        query.exclude_result = Some("SUCCESS".into());
    }
    query.newest_first = true;
    query.offset = offset;
    query.count = count;
    let jobs = state.service.store().rest_jobs(query).await?;
    let meta = json!({"offset": offset, "count": count, "repository": name});
    page(&state, &jobs, &params, meta).await
}

/// The job `id` of the repository `name`, or Treeherder's "No job with id" 404.
pub(crate) async fn job_of(state: &State, name: &str, id: &str) -> Result<Job, RestError> {
    let missing = || RestError::text(StatusCode::NOT_FOUND, format!("No job with id: {id}"));
    let row = id.trim().parse::<i64>().map_err(|_| missing())?;
    let store = state.service.store();
    let Some(repository) = store.repository(name.to_owned()).await? else {
        return Err(missing());
    };
    store
        .jobs_by_id(vec![JobId(row)])
        .await?
        .remove(&JobId(row))
        .filter(|job| job.repository_id == repository.id && job.push_row_id.is_some())
        .ok_or_else(missing)
}

/// [`PROPERTY_NAMES`] as a slice (serde writes arrays of up to 32).
const PROPERTY_LIST: &[&str] = &PROPERTY_NAMES;

/// A page of jobs: `results` as objects, or as arrays with `job_property_names` for
/// `return_type=list`.
#[derive(Serialize)]
struct JobsPage<'a> {
    meta: Value,
    results: Vec<Listed<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_property_names: Option<&'static [&'static str]>,
}

/// A job of a page, in the page's form.
struct Listed<'a> {
    job: FlatJob<'a>,
    as_list: bool,
}

impl Serialize for Listed<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.as_list {
            self.job.list().serialize(serializer)
        } else {
            self.job.object().serialize(serializer)
        }
    }
}

/// `jobs` as a page with `meta`, in the form `params` ask for.
async fn page(state: &State, jobs: &[Job], params: &Params, meta: Value) -> Answer {
    let classifications = classification_ids(state.service.store(), jobs).await?;
    let as_list = params
        .get("return_type")
        .is_some_and(|t| t.eq_ignore_ascii_case("list"));
    let mut derived = Derived::default();
    let results = jobs
        .iter()
        .map(|job| {
            let classification = classifications.get(&job.id).copied().unwrap_or(1);
            Listed {
                job: FlatJob::new(job, classification, &mut derived),
                as_list,
            }
        })
        .collect();
    ok(&JobsPage {
        meta,
        results,
        job_property_names: as_list.then_some(PROPERTY_LIST),
    })
}

/// Treeherder's job filters, read from the query (a wrong type refused with the field's
/// message, unknown names ignored).
pub(crate) fn filters(params: &Params) -> Result<RestJobQuery, RestError> {
    let upper = |v: Option<Vec<String>>| {
        v.map(|list| {
            list.iter()
                .map(|s| s.to_ascii_uppercase())
                .collect::<Vec<_>>()
        })
    };
    let mut query = RestJobQuery {
        ids: params.int_conditions("id")?,
        id_in: params.ints("id__in")?,
        push_ids: params.int_conditions("push_id")?,
        push_id_in: params.ints("push_id__in")?,
        tiers: params.int_conditions("tier")?,
        tier_in: params.ints("tier__in")?,
        guids: params
            .texts("job_guid__in")
            .or_else(|| params.get("job_guid").map(|g| vec![g.to_owned()])),
        states: upper(params.get("state").map(|s| vec![s.to_owned()])),
        results: upper(params.get("result").map(|s| vec![s.to_owned()])),
        name: params.get("job_type_name").map(str::to_owned),
        symbol: params.get("job_type_symbol").map(str::to_owned),
        group_name: params.get("job_group_name").map(str::to_owned),
        group_symbol: params.get("job_group_symbol").map(str::to_owned),
        platform: params
            .get("platform")
            .or_else(|| params.get("build_platform"))
            .map(str::to_owned),
        machine: params.get("machine_name").map(str::to_owned),
        classification: params.int("failure_classification_id")?,
        ..RestJobQuery::default()
    };
    // `result_set_id` is the old name of `push_id`.
    query
        .push_ids
        .extend(params.int_conditions("result_set_id")?);
    if let Some(ids) = params.ints("result_set_id__in")? {
        query.push_id_in = Some(ids);
    }
    for key in [
        "last_modified",
        "last_modified__lt",
        "last_modified__lte",
        "last_modified__gt",
        "last_modified__gte",
    ] {
        if let Some(value) = params.get(key)
            && parse_datetime(value).is_none()
        {
            return Err(RestError::text(
                StatusCode::BAD_REQUEST,
                format!("Invalid date value for `last_modified`: {value}"),
            ));
        }
    }
    query.last_modified =
        params.conditions("last_modified", parse_datetime, "Enter a valid date/time.")?;
    let timestamp = |key: &str| -> Result<Option<IntCondition>, RestError> {
        params
            .get(key)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && s.abs() < 1e11)
                    .map(|s| IntCondition::Eq((s * 1e6) as i64))
                    .ok_or_else(|| RestError::field(key, "Enter a valid date/time."))
            })
            .transpose()
    };
    query.submitted_at.extend(timestamp("submit_timestamp")?);
    query.started_at.extend(timestamp("start_timestamp")?);
    query.finished_at.extend(timestamp("end_timestamp")?);
    Ok(query)
}
