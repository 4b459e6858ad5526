//! The crate's one error type for malformed input and failed git runs.
//!
//! Every message names where the problem is (the push id and the field path, or the git
//! command and what it printed), because these errors end up in an operator's log and are
//! the only clue to which page or event was bad.

/// Why a pushlog page, a GitHub event or a local git history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PushlogError {
    /// The bytes are not JSON at all.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A field outside any push (`lastpushid`, `pushes`, or a GitHub event's `ref`,
    /// `commits[2].id`…) is missing or has the wrong type or value.
    #[error("{field}: {problem}")]
    Field { field: String, problem: String },
    /// A field of one hg push (`date`, `changesets[0].node`…) is missing or wrong.
    #[error("push {push_id}: {field}: {problem}")]
    Push {
        push_id: i64,
        field: String,
        problem: String,
    },
    /// A key of the pushes object that is not a positive integer.
    #[error("push id {0:?} is not a positive integer")]
    PushId(String),
    /// `git` could not be started at all (not installed, not on `PATH`).
    #[error("could not run git: {0}")]
    GitSpawn(#[source] std::io::Error),
    /// `git` ran and failed, or printed something this crate cannot read; `message` holds
    /// git's own stderr when it has one.
    #[error("git {command}: {message}")]
    Git { command: String, message: String },
}

impl PushlogError {
    pub(crate) fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        PushlogError::Field {
            field: field.into(),
            problem: problem.into(),
        }
    }
}
