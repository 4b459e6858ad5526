//! Treeherder's reference data that treeherd derives rather than keeps:
//! `GET /api/optioncollectionhash/` (the common option collections with Treeherder's hashes;
//! a job of any other `build_type` still carries its hash), `GET /api/machineplatforms/`
//! (the platforms jobs ran on, each with its derived id) and `GET /api/changelog/` (treeherd
//! keeps no deployment changelog: an empty list, as Treeherder answers when it has none).

use actix_web::web;
use serde_json::{Value, json};

use super::answer::{Answer, ok};
use super::job_fields::{KNOWN_OPTIONS, derived_id, option_collection_hash};
use crate::state::State;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/api/optioncollectionhash/",
            web::get().to(option_collections),
        )
        .route("/api/machineplatforms/", web::get().to(machine_platforms))
        .route("/api/changelog/", web::get().to(changelog));
}

async fn option_collections() -> Answer {
    let answer: Vec<Value> = KNOWN_OPTIONS
        .iter()
        .map(|option| {
            json!({
                "option_collection_hash": option_collection_hash(option),
                "options": [{"name": option}],
            })
        })
        .collect();
    ok(&answer)
}

async fn machine_platforms(state: web::Data<State>) -> Answer {
    let platforms = state.service.store().job_platforms().await?;
    let answer: Vec<Value> = platforms
        .iter()
        .map(|p| json!({"id": derived_id(p), "platform": p}))
        .collect();
    ok(&answer)
}

async fn changelog() -> Answer {
    ok(&Vec::<Value>::new())
}
