//! `GET /api/failureclassification/`: Treeherder's eight failure classifications, with its
//! ids and names (the model's, `treeherd_model::FailureClassification`).

use actix_web::web;
use serde_json::{Value, json};
use treeherd_model::FailureClassification;

use super::answer::{Answer, ok};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.route("/api/failureclassification/", web::get().to(list));
}

async fn list() -> Answer {
    let answer: Vec<Value> = FailureClassification::ALL
        .iter()
        .map(|c| json!({"id": c.id(), "name": c.name(), "description": ""}))
        .collect();
    ok(&answer)
}
