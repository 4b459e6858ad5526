//! A failure line of a job: one line of a log's error summary, what it gives to search bugs
//! with, the bugs it suggests, and what was decided about it.

use async_graphql::{Context, Object};

use super::bug::{BugSuggestions, ErrorLineSearch};
use super::classification::Classification;
use crate::ApiError;

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

    /// What the line gives to search bugs with, and what autoclassification counts it under.
    async fn search(&self) -> ErrorLineSearch {
        treeherd_service::bugs::LineSearch::of(&self.line.line).into()
    }

    /// The bugs the line's search terms find (its crash signature's when they find none), as
    /// Treeherder's bug suggestions split them.
    async fn suggestions(&self, ctx: &Context<'_>) -> Result<BugSuggestions, ApiError> {
        let found = crate::loaders::suggestions(ctx, &self.line.line).await?;
        Ok(found.suggestions.into())
    }

    /// The newest decision about this line (a job's classification applies to each of its
    /// lines), if any.
    async fn classification(&self) -> Option<Classification> {
        self.classification.clone().map(Classification)
    }
}
