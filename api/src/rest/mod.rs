//! Treeherder's REST API, read side, served from the store under `/api/`, so that tools
//! written against Treeherder (`treeherder-client`'s `TreeherderClient`, `lumberjackth`'s
//! `lj`, bots) work unchanged against treeherd. One file per resource; what they share
//! (Treeherder's error shapes, its query parameters, times) is in `answer`, the job's fields
//! in `job_fields`. Shapes, defaults, caps and messages are Treeherder's own
//! (`treeherder/webapp/api/`); where treeherd lacks what Treeherder keeps, the module of the
//! resource says what it answers instead.

mod answer;
mod failure_classifications;
mod failures;
mod job_details;
mod job_fields;
mod job_logs;
mod jobs;
mod performance;
mod pushes;
mod reference;
mod repositories;
mod text_log_errors;

use actix_web::web;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .configure(repositories::configure)
        .configure(reference::configure)
        .configure(failure_classifications::configure)
        .configure(pushes::configure)
        .configure(jobs::configure)
        .configure(text_log_errors::configure)
        .configure(job_logs::configure)
        .configure(job_details::configure)
        .configure(failures::configure)
        .configure(performance::configure);
}
