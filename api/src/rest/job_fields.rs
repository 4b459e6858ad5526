//! A job as Treeherder's REST API shows it: the flat fields of `project/{repo}/jobs/` (in
//! its order, `job_property_names`), the compact arrays of `return_type=list`, and what the
//! store has to be asked besides the job row (its classification now).
//!
//! treeherd keeps no reference-data tables, so what Treeherder keys by a row id is derived:
//! `job_type_id`, `job_group_id` and `build_platform_id` are the first 31 bits of the SHA-1
//! of the name they stand for (stable across servers and restarts), `option_collection_hash`
//! is Treeherder's own SHA-1 of the option name (the job's `build_type` attribute, `opt`
//! when it has none), `signature` the SHA-1 of what makes a job's kind. A time the job has
//! not reached is 0, as Treeherder stores it; `last_modified` is the newest time it has.

use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::collections::HashMap;
use treeherd_store::{Job, JobId, Store, StoreError};

use super::answer::{iso, seconds};

/// Treeherder's `_property_query_mapping` names, then `platform_option`.
pub(crate) const PROPERTY_NAMES: [&str; 37] = [
    "build_architecture",
    "build_os",
    "build_platform",
    "build_platform_id",
    "build_system_type",
    "end_timestamp",
    "failure_classification_id",
    "id",
    "job_group_description",
    "job_group_id",
    "job_group_name",
    "job_group_symbol",
    "job_guid",
    "job_type_description",
    "job_type_id",
    "job_type_name",
    "job_type_symbol",
    "last_modified",
    "machine_name",
    "machine_platform_architecture",
    "machine_platform_os",
    "option_collection_hash",
    "platform",
    "push_id",
    "reason",
    "ref_data_name",
    "result",
    "result_set_id",
    "signature",
    "start_timestamp",
    "state",
    "submit_timestamp",
    "tier",
    "who",
    "task_id",
    "retry_id",
    "platform_option",
];

/// The option collections listed by `optioncollectionhash/` (any other `build_type` still
/// gets its hash).
pub(crate) const KNOWN_OPTIONS: [&str; 8] = [
    "opt",
    "debug",
    "asan",
    "tsan",
    "pgo",
    "ccov",
    "shippable",
    "release",
];

/// Treeherder's hash of an option collection: SHA-1 of its option names, sorted, joined.
pub(crate) fn option_collection_hash(option: &str) -> String {
    hex(&Sha1::digest(option.as_bytes()))
}

/// A stable positive id for a name (the first 31 bits of its SHA-1).
pub(crate) fn derived_id(name: &str) -> i64 {
    let digest = Sha1::digest(name.as_bytes());
    i64::from(u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) >> 1)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The classification id of each job now (1, "not classified", for the others).
pub(crate) async fn classification_ids(
    store: &Store,
    jobs: &[Job],
) -> Result<HashMap<JobId, i32>, StoreError> {
    let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
    Ok(store
        .current_classifications(ids)
        .await?
        .into_iter()
        .map(|(id, c)| (id, c.classification.id()))
        .collect())
}

/// The option name of a job: its `build_type` attribute, else `opt`.
fn option_of(attributes: &serde_json::Map<String, Value>) -> String {
    attributes
        .get("build_type")
        .and_then(Value::as_str)
        .filter(|o| !o.is_empty())
        .unwrap_or("opt")
        .to_owned()
}

/// The job's values in [`PROPERTY_NAMES`] order.
pub(crate) fn job_values(job: &Job, classification: i32) -> Vec<Value> {
    let attributes = job.attributes().unwrap_or_default();
    let text = |key: &str| {
        attributes
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let option = option_of(&attributes);
    let platform = job.platform.clone().unwrap_or_default();
    let group_name = job.group_name.clone().unwrap_or_else(|| "unknown".into());
    let group_symbol = job.group_symbol.clone().unwrap_or_else(|| "?".into());
    let symbol = job.symbol.clone().unwrap_or_else(|| "?".into());
    let build_system = job.build_system.clone().unwrap_or_default();
    let os = text("os").unwrap_or_else(|| "-".into());
    let architecture = text("architecture").unwrap_or_else(|| "-".into());
    let signature = hex(&Sha1::digest(
        format!(
            "{build_system}\n{platform}\n{option}\n{}\n{group_symbol}\n{symbol}",
            job.name
        )
        .as_bytes(),
    ));
    let push = job.push_row_id.map(|p| p.0);
    vec![
        json!(architecture),
        json!(os),
        json!(platform),
        json!(derived_id(&platform)),
        json!(build_system),
        json!(job.finished_at.map(seconds).unwrap_or(0)),
        json!(classification),
        json!(job.id.0),
        json!(""),
        json!(derived_id(&format!("{group_symbol}\n{group_name}"))),
        json!(group_name),
        json!(group_symbol),
        json!(job.guid),
        json!(""),
        json!(derived_id(&job.name)),
        json!(job.name),
        json!(symbol),
        json!(job.last_time().map(iso).unwrap_or_default()),
        json!(job.machine.clone().unwrap_or_else(|| "unknown".into())),
        json!(architecture),
        json!(os),
        json!(option_collection_hash(&option)),
        json!(platform),
        json!(push),
        json!(text("reason").unwrap_or_else(|| "scheduled".into())),
        json!(job.name),
        json!(job.result.as_str().to_ascii_lowercase()),
        json!(push),
        json!(signature),
        json!(job.started_at.map(seconds).unwrap_or(0)),
        json!(job.state.as_str().to_ascii_lowercase()),
        json!(job.submitted_at.map(seconds).unwrap_or(0)),
        json!(job.tier),
        json!(text("who").unwrap_or_default()),
        json!(text("task_id")),
        json!(attributes.get("retry_id").and_then(Value::as_i64)),
        json!(option),
    ]
}

/// The job as Treeherder's flat object.
pub(crate) fn job_json(job: &Job, classification: i32) -> Value {
    Value::Object(
        PROPERTY_NAMES
            .iter()
            .map(|n| (*n).to_owned())
            .zip(job_values(job, classification))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_hashes_are_treeherders() {
        // Treeherder's fixtures name these two collections by these hashes.
        assert_eq!(
            option_collection_hash("opt"),
            "102210fe594ee9b33d82058545b1ed14f4c8206e"
        );
        assert_eq!(
            option_collection_hash("debug"),
            "32faaecac742100f7753f0c1d0aa0add01b4046b"
        );
        assert!(derived_id("build-linux64/opt") > 0);
    }
}
