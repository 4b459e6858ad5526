//! treeherd's domain vocabulary: the enums and validated values every other crate speaks.
//!
//! Kept apart so that the pure graph engine, the store and the GraphQL schema share one
//! definition of a job kind, state, result and dependency kind, with one spelling each
//! (the upper-case GraphQL names, also used as the stored text), and one shape of a job as
//! submitted, of a push with its commits and of a bug, whichever way they came in; and the
//! rules that are pure (a job's lifecycle, a machine's state, which failure classifications
//! still call for a sheriff, which bug a duplicate stands for, which failures are classified
//! automatically).

pub mod autoclassify;
mod bug;
pub mod bug_search;
mod build;
pub mod classification;
pub mod duration;
mod enums;
mod ids;
mod job;
pub mod lifecycle;
pub mod machine_state;
mod push;
pub mod release;
mod revision;
mod test_result;

pub use autoclassify::{Autoclassification, RecurrenceKey};
pub use bug::{BugField, InvalidBug, NewBug, resolve_duplicate};
pub use build::{BuildField, InvalidBuild, NewBuild};
pub use classification::FailureClassification;
pub use enums::{
    ArtifactKind, DependencyKind, JobKind, JobResult, JobState, LogStatus, MachineState,
    ReleaseStatus, TestStatus, UnknownVariant, Vcs,
};
pub use ids::{BugId, JobId, PushId, RepositoryId};
pub use job::{NewArtifact, NewJob, NewLog};
pub use push::{CommitRecord, PushRecord};
pub use revision::{InvalidRevision, Revision};
pub use test_result::NewTestResult;

/// The rule a string with a NUL character breaks, as every way in words it: PostgreSQL cannot
/// store one in `text` or `jsonb` (SQLite can), so each way in refuses it and both backends
/// answer alike.
pub const NUL_RULE: &str = "must not contain a NUL character (U+0000)";

/// The lowest and highest tier a job may have (Treeherder: 1 is shown by default, 3 hidden).
pub const TIERS: std::ops::RangeInclusive<i32> = 1..=3;
