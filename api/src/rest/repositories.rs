//! `GET /api/repository/`: every repository, in Treeherder's repository shape. What treeherd
//! has no notion of is answered as Treeherder answers a repository without it: one group
//! ("development"), active, no performance alerts, not a try repository, no Taskcluster.

use actix_web::web;
use serde_json::{Value, json};
use treeherd_store::Repository;

use super::answer::{Answer, ok};
use crate::state::State;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.route("/api/repository/", web::get().to(list));
}

async fn list(state: web::Data<State>) -> Answer {
    let repositories = state.service.store().repositories().await?;
    let mut answer: Vec<Value> = repositories.iter().map(repository_json).collect();
    // Treeherder lists them by id.
    answer.sort_by_key(|r| r["id"].as_i64());
    ok(&answer)
}

fn repository_json(repository: &Repository) -> Value {
    json!({
        "id": repository.id.0,
        "repository_group": {"name": "development", "description": ""},
        "name": repository.name,
        "dvcs_type": repository.vcs.as_str().to_ascii_lowercase(),
        "url": repository.url,
        "branch": repository.branch,
        "codebase": "",
        "description": "",
        "active_status": "active",
        "life_cycle_order": null,
        "performance_alerts_enabled": false,
        "expire_performance_data": false,
        "is_try_repo": false,
        "tc_root_url": "",
    })
}
