//! A job as submitted, with its logs and results dictionary: the one shape every way in
//! (the `submitJobs` mutation, pulse messages, task graphs) produces and the store writes.

use serde_json::{Map, Value};

use crate::{ArtifactKind, JobKind, JobResult, JobState, Revision};

/// A job as submitted: upserted by guid.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub guid: String,
    pub repository: String,
    /// The push the job belongs to, by its revision; `None` for jobs of no push.
    pub revision: Option<Revision>,
    pub kind: JobKind,
    pub name: String,
    pub symbol: Option<String>,
    pub group_symbol: Option<String>,
    pub group_name: Option<String>,
    pub platform: Option<String>,
    pub build_system: Option<String>,
    pub state: JobState,
    pub result: JobResult,
    /// One of [`crate::TIERS`].
    pub tier: i32,
    pub machine: Option<String>,
    /// Unix microseconds (UTC).
    pub submitted_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub attributes: Map<String, Value>,
    /// Logs to keep as pointers and parse later.
    pub logs: Vec<NewLog>,
    /// Entries of the job's results dictionary.
    pub artifacts: Vec<NewArtifact>,
}

/// A job's log: where it is, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLog {
    pub name: String,
    pub url: String,
}

/// An entry of a job's results dictionary: a pointer, never the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArtifact {
    pub name: String,
    pub kind: ArtifactKind,
    pub url: String,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
}
