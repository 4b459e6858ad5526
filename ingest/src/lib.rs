#![doc = include_str!("../README.md")]
//!
//! # Code map
//!
//! - `pulse`: pulse job messages mapped to [`IngestedJob`]s, rejections per message;
//! - `pulse_message`: a message as typed data borrowed from its text (the fast way in);
//! - `pulse_schema`: Treeherder's `pulse-job.yml` v1 as Rust data, and its validator;
//! - `artifact`: the kind of a job link, guessed from its text and URL;
//! - `buildhub`: buildhub records (`buildhub.json`, search answers) to the model's `NewBuild`s;
//! - `bugzilla`: bugs as Bugzilla's REST API returns them to the model's `NewBug`s, and which
//!   bug each duplicate stands for;
//! - `body`: a request body split into messages (JSON array, NDJSON or one object);
//! - `taskgraph`: task graphs (taskgraph files or queue definitions) to tasks and edges;
//! - `edge_rules`: the one table that gives edges their kind, and its rule-file format;
//! - `glob`: the `*`/`?`/`|` patterns the rules are written in;
//! - `nul`: NUL characters (which PostgreSQL cannot store) found in JSON text and values.
//!
//! Everything here is pure: JSON in, structures out. Nothing opens a file or a socket, and
//! nothing depends on the store: jobs come out as the model's `NewJob` (builds as its
//! `NewBuild`, bugs as its `NewBug`), which the store writes.

mod artifact;
mod body;
mod bugzilla;
mod buildhub;
mod edge_rules;
mod glob;
mod nul;
mod pulse;
mod pulse_message;
mod pulse_schema;
mod record;
mod taskgraph;

pub use artifact::guess_kind;
pub use body::{
    BodyError, Framed, parse_pulse_body, read_pulse_body, split_pulse_body, split_pulse_lines,
};
pub use bugzilla::{BugzillaError, duplicate_targets, parse_bugzilla, parse_bugzilla_bug};
pub use buildhub::{BuildhubError, parse_buildhub, parse_buildhub_record};
pub use edge_rules::{EdgeFacts, EdgeRules, Rule, RuleError, RuleProblem};
pub use glob::Glob;
pub use nul::{NUL_RULE, json_text_has_nul, value_has_nul};
pub use pulse::{
    IngestedJob, PulseBatch, Rejection, parse_pulse_batch, parse_pulse_job, parse_pulse_jobs,
    parse_pulse_text,
};
pub use record::RecordError;
pub use taskgraph::{
    GraphFormatError, Task, TaskEdge, TaskGraph, parse_task_graph, parse_task_graph_with,
};
