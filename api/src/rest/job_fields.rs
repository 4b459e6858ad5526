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

use serde::Deserialize;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use sha1::{Digest, Sha1};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use treeherd_store::{Job, JobId, Store, StoreError};

use super::answer::{iso, seconds};
use crate::persisted_queries::hex;

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

/// The attributes Treeherder's fields read, borrowed from the job's JSON (a value that is not
/// a string, or a number for `retry_id`, reads as absent).
#[derive(Deserialize, Default)]
struct Attributes<'a> {
    #[serde(borrow, default)]
    os: Option<&'a RawValue>,
    #[serde(borrow, default)]
    architecture: Option<&'a RawValue>,
    #[serde(borrow, default)]
    reason: Option<&'a RawValue>,
    #[serde(borrow, default)]
    who: Option<&'a RawValue>,
    #[serde(borrow, default)]
    task_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    build_type: Option<&'a RawValue>,
    #[serde(borrow, default)]
    retry_id: Option<&'a RawValue>,
}

/// A string attribute's text.
fn text_of(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let raw = raw?.get();
    serde_json::from_str::<&str>(raw)
        .map(Cow::Borrowed)
        .ok()
        .or_else(|| serde_json::from_str::<String>(raw).ok().map(Cow::Owned))
}

/// What many jobs of a page share, derived once per page: the ids of platforms and groups,
/// and the hashes of option collections.
#[derive(Default)]
pub(crate) struct Derived {
    ids: HashMap<String, i64>,
    option_hashes: HashMap<String, Arc<str>>,
}

impl Derived {
    fn id(&mut self, name: &str) -> i64 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = derived_id(name);
        self.ids.insert(name.to_owned(), id);
        id
    }

    fn option_hash(&mut self, option: &str) -> Arc<str> {
        if let Some(hash) = self.option_hashes.get(option) {
            return hash.clone();
        }
        let hash: Arc<str> = option_collection_hash(option).into();
        self.option_hashes.insert(option.to_owned(), hash.clone());
        hash
    }
}

/// One of a job's values as Treeherder shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    MaybeText(Option<&'a str>),
    MaybeInt(Option<i64>),
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Int(n) => serializer.serialize_i64(n),
            Cell::MaybeText(text) => text.serialize(serializer),
            Cell::MaybeInt(n) => n.serialize(serializer),
        }
    }
}

/// A job's fields as Treeherder shows them, derived once and written by serde straight from
/// here: a page of 2,000 jobs built as `serde_json::Value` maps cost three times its query.
pub(crate) struct FlatJob<'a> {
    job: &'a Job,
    classification: i32,
    os: Option<Cow<'a, str>>,
    architecture: Option<Cow<'a, str>>,
    reason: Option<Cow<'a, str>>,
    who: Option<Cow<'a, str>>,
    task_id: Option<Cow<'a, str>>,
    option: Cow<'a, str>,
    retry_id: Option<i64>,
    platform_id: i64,
    group_id: i64,
    type_id: i64,
    option_hash: Arc<str>,
    signature: String,
    last_modified: String,
    result: String,
    state: String,
}

impl<'a> FlatJob<'a> {
    /// `job`, whose classification now has the id `classification`.
    pub(crate) fn new(job: &'a Job, classification: i32, derived: &mut Derived) -> FlatJob<'a> {
        let attributes: Attributes<'a> =
            serde_json::from_str(&job.attributes_json).unwrap_or_default();
        let option = text_of(attributes.build_type)
            .filter(|o| !o.is_empty())
            .unwrap_or(Cow::Borrowed("opt"));
        let platform = job.platform.as_deref().unwrap_or_default();
        let group_name = job.group_name.as_deref().unwrap_or("unknown");
        let group_symbol = job.group_symbol.as_deref().unwrap_or("?");
        let symbol = job.symbol.as_deref().unwrap_or("?");
        let build_system = job.build_system.as_deref().unwrap_or_default();
        let signature = hex(&Sha1::digest(
            format!(
                "{build_system}\n{platform}\n{option}\n{}\n{group_symbol}\n{symbol}",
                job.name
            )
            .as_bytes(),
        ));
        FlatJob {
            platform_id: derived.id(platform),
            group_id: derived.id(&format!("{group_symbol}\n{group_name}")),
            type_id: derived_id(&job.name),
            option_hash: derived.option_hash(&option),
            os: text_of(attributes.os),
            architecture: text_of(attributes.architecture),
            reason: text_of(attributes.reason),
            who: text_of(attributes.who),
            task_id: text_of(attributes.task_id),
            retry_id: attributes
                .retry_id
                .and_then(|raw| serde_json::from_str::<i64>(raw.get()).ok()),
            option,
            signature,
            last_modified: job.last_time().map(iso).unwrap_or_default(),
            result: job.result.as_str().to_ascii_lowercase(),
            state: job.state.as_str().to_ascii_lowercase(),
            job,
            classification,
        }
    }

    /// The job it shows.
    pub(crate) fn job(&self) -> &'a Job {
        self.job
    }

    /// The values in [`PROPERTY_NAMES`] order.
    pub(crate) fn cells(&self) -> [Cell<'_>; 37] {
        use Cell::{Int, MaybeInt, MaybeText, Text};
        let job = self.job;
        let platform = job.platform.as_deref().unwrap_or_default();
        let os = self.os.as_deref().unwrap_or("-");
        let architecture = self.architecture.as_deref().unwrap_or("-");
        let push = MaybeInt(job.push_row_id.map(|p| p.0));
        let time = |t: Option<i64>| Int(t.map(seconds).unwrap_or(0));
        [
            Text(architecture),
            Text(os),
            Text(platform),
            Int(self.platform_id),
            Text(job.build_system.as_deref().unwrap_or_default()),
            time(job.finished_at),
            Int(self.classification.into()),
            Int(job.id.0),
            Text(""),
            Int(self.group_id),
            Text(job.group_name.as_deref().unwrap_or("unknown")),
            Text(job.group_symbol.as_deref().unwrap_or("?")),
            Text(&job.guid),
            Text(""),
            Int(self.type_id),
            Text(&job.name),
            Text(job.symbol.as_deref().unwrap_or("?")),
            Text(&self.last_modified),
            Text(job.machine.as_deref().unwrap_or("unknown")),
            Text(architecture),
            Text(os),
            Text(&self.option_hash),
            Text(platform),
            push,
            Text(self.reason.as_deref().unwrap_or("scheduled")),
            Text(&job.name),
            Text(&self.result),
            push,
            Text(&self.signature),
            time(job.started_at),
            Text(&self.state),
            time(job.submitted_at),
            Int(job.tier.into()),
            Text(self.who.as_deref().unwrap_or_default()),
            MaybeText(self.task_id.as_deref()),
            MaybeInt(self.retry_id),
            Text(&self.option),
        ]
    }

    /// The job as Treeherder's flat object.
    pub(crate) fn object(&self) -> FlatObject<'_, 'a> {
        FlatObject(self)
    }

    /// The job as the compact array of `return_type=list`.
    pub(crate) fn list(&self) -> FlatList<'_, 'a> {
        FlatList(self)
    }
}

/// [`FlatJob::object`].
pub(crate) struct FlatObject<'f, 'a>(&'f FlatJob<'a>);

impl Serialize for FlatObject<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(PROPERTY_NAMES.len()))?;
        for (name, cell) in PROPERTY_NAMES.iter().zip(self.0.cells()) {
            map.serialize_entry(name, &cell)?;
        }
        map.end()
    }
}

/// [`FlatJob::list`].
pub(crate) struct FlatList<'f, 'a>(&'f FlatJob<'a>);

impl Serialize for FlatList<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.cells())
    }
}

/// The job as Treeherder's flat object, as a JSON value (for an answer that adds to it).
pub(crate) fn job_json(job: &Job, classification: i32) -> Value {
    let job = FlatJob::new(job, classification, &mut Derived::default());
    serde_json::to_value(job.object()).unwrap_or_default()
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

    #[test]
    fn attributes_read_as_a_json_object_reads_them() {
        let json = r#"{"os": 3, "architecture": "x86\u005f64", "reason": null,
                       "who": "a@b", "retry_id": 2.0, "task_id": ["x"], "other": {"os": "no"}}"#;
        let attributes: Attributes<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(text_of(attributes.os), None);
        assert_eq!(text_of(attributes.architecture).as_deref(), Some("x86_64"));
        assert_eq!(text_of(attributes.reason), None);
        assert_eq!(text_of(attributes.who).as_deref(), Some("a@b"));
        assert_eq!(text_of(attributes.task_id), None);
        assert_eq!(
            attributes
                .retry_id
                .and_then(|raw| serde_json::from_str::<i64>(raw.get()).ok()),
            None
        );
    }
}
