//! `GET /api/jobdetail/?job_guid=G` (or `job_id=N`): a job's details as Treeherder's old
//! `jobdetail` endpoint listed them (`treeherder-client`'s `get_job_details` still asks for
//! it), made of the job's artifacts: `title` "artifact uploaded", `value` the artifact's name,
//! `url` where it is. A detail's `id` is the job's id × 1,000 plus the artifact's place.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde_json::{Value, json};
use treeherd_store::{Job, JobId};

use super::answer::{Answer, Params, RestError, ok};
use crate::state::State;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.route("/api/jobdetail/", web::get().to(list));
}

async fn list(state: web::Data<State>, request: HttpRequest) -> Answer {
    let params = Params::of(&request)?;
    let store = state.service.store();
    let job: Option<Job> = if let Some(guid) = params.get("job_guid") {
        store.job(guid.to_owned()).await?
    } else if let Some(id) = params.int("job_id")? {
        store.jobs_by_id(vec![JobId(id)]).await?.remove(&JobId(id))
    } else {
        return Err(RestError::detail(
            StatusCode::BAD_REQUEST,
            "Must filter on job_guid or job_id",
        ));
    };
    let mut results: Vec<Value> = Vec::new();
    if let Some(job) = job {
        let mut artifacts = store.artifacts_of(vec![job.id.0]).await?;
        for (i, artifact) in artifacts
            .remove(&job.id.0)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            results.push(json!({
                "id": job.id.0 * 1000 + i as i64,
                "job_id": job.id.0,
                "job_guid": job.guid,
                "title": "artifact uploaded",
                "value": artifact.name,
                "url": artifact.url,
            }));
        }
    }
    ok(&json!({"count": results.len(), "next": null, "previous": null, "results": results}))
}
