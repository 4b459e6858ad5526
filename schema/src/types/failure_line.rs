//! A failure line of a job: one line of a log's error summary, and what was decided about it.

use async_graphql::Object;

use super::classification::Classification;

/// One failure line of a job.
pub(crate) struct FailureLine {
    pub line: treeherd_store::FailureLine,
    /// The newest decision about this line, if any.
    pub classification: Option<treeherd_store::Classification>,
}

#[Object]
impl FailureLine {
    /// The log's name (e.g. `live_backing_log`).
    async fn log(&self) -> &str {
        &self.line.log_name
    }

    /// Its place in the log's error summary, from 0.
    async fn position(&self) -> i32 {
        self.line.position
    }

    /// Its line number in the log, from 0.
    async fn line_number(&self) -> i64 {
        self.line.line_number
    }

    async fn line(&self) -> &str {
        &self.line.line
    }

    /// The newest decision about this line (a job's classification applies to each of its
    /// lines), if any.
    async fn classification(&self) -> Option<Classification> {
        self.classification.clone().map(Classification)
    }
}
