//! Bugs and bug suggestions: `Bug` (a Bugzilla bug as treeherd keeps it), `BugSuggestions`
//! (the bugs a search term finds, split as Treeherder does), `ErrorLineSearch` (what an error
//! line gives to search with), and the resolvers behind `Query.bug`, `Query.bugs`,
//! `Query.bugSuggestions` and `Query.errorLineSearch`.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use treeherd_model::BugId;
use treeherd_service::Service;
use treeherd_service::bugs::LineSearch;

use super::time::to_datetime;
use crate::ApiError;

/// The most ids `Query.bugs` takes.
pub(crate) const MAX_BUG_IDS: usize = 100;

/// A stored bug, as GraphQL shows it.
pub(crate) struct Bug(pub treeherd_store::Bug);

/// A Bugzilla bug as treeherd keeps it (imported, or fetched from the configured Bugzilla).
#[Object]
impl Bug {
    /// Bugzilla's id.
    async fn id(&self) -> Result<i32, ApiError> {
        gql_id(self.0.id)
    }

    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// NEW, ASSIGNED, REOPENED, RESOLVED, VERIFIED...
    async fn status(&self) -> &str {
        &self.0.status
    }

    /// FIXED, DUPLICATE, INCOMPLETE, WORKSFORME...; null while the bug is open.
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }

    /// The bug this one duplicates (`Query.bug` reaches it).
    async fn dupe_of(&self) -> Result<Option<i32>, ApiError> {
        self.0.dupe_of.map(gql_id).transpose()
    }

    /// Bugzilla's `cf_crash_signature`: one or more `[@ signature]`.
    async fn crash_signature(&self) -> Option<&str> {
        self.0.crash_signature.as_deref()
    }

    async fn keywords(&self) -> &[String] {
        &self.0.keywords
    }

    async fn whiteboard(&self) -> Option<&str> {
        self.0.whiteboard.as_deref()
    }

    /// When it last changed in Bugzilla.
    async fn last_change(&self) -> DateTime<Utc> {
        to_datetime(self.0.last_change)
    }

    /// The bug in the configured Bugzilla (`<bugzilla>/show_bug.cgi?id=N`); null when no
    /// Bugzilla is configured.
    async fn url(&self, ctx: &Context<'_>) -> Result<Option<String>, ApiError> {
        let base = ctx.data::<Service>()?.bugzilla_url();
        Ok(base.map(|base| format!("{base}/show_bug.cgi?id={}", self.0.id)))
    }
}

/// A bug id as GraphQL's `Int` (imports refuse larger ones).
fn gql_id(id: BugId) -> Result<i32, ApiError> {
    i32::try_from(id.0).map_err(|_| ApiError::Internal(format!("bug id {id} exceeds Int")))
}

/// The bugs a search term finds, in Treeherder's order: the most similar summaries first.
#[derive(SimpleObject)]
pub(crate) struct BugSuggestions {
    /// Open bugs (no resolution).
    open_recent: Vec<Bug>,
    /// Resolved bugs.
    all_others: Vec<Bug>,
}

impl From<treeherd_store::BugSuggestions> for BugSuggestions {
    fn from(found: treeherd_store::BugSuggestions) -> BugSuggestions {
        BugSuggestions {
            open_recent: found.open_recent.into_iter().map(Bug).collect(),
            all_others: found.all_others.into_iter().map(Bug).collect(),
        }
    }
}

/// What an error line of a failed job gives to search bugs with (Treeherder's
/// `error_summary`): what the job detail and autoclassification use for one line.
#[derive(SimpleObject)]
pub(crate) struct ErrorLineSearch {
    /// The terms bug suggestions search for, most specific first; `[null]` where Treeherder
    /// has none.
    search_terms: Vec<Option<String>>,
    /// The test path found on the line.
    path_end: Option<String>,
    /// The line without its timestamp prefix and process ids, with numbers masked.
    cleaned: String,
    /// The crash signature on the line, searched when the terms find no bug.
    crash_signature: Option<String>,
    /// The key recurrences of the line are counted under (autoclassification).
    recurrence_key: String,
}

impl From<LineSearch> for ErrorLineSearch {
    fn from(search: LineSearch) -> ErrorLineSearch {
        let search_terms = if search.terms.terms.is_empty() {
            vec![None]
        } else {
            search.terms.terms.into_iter().map(Some).collect()
        };
        ErrorLineSearch {
            search_terms,
            path_end: search.terms.path_end,
            cleaned: search.cleaned,
            crash_signature: search.crash_signature,
            recurrence_key: search.recurrence_key,
        }
    }
}

pub(crate) async fn bug(ctx: &Context<'_>, id: i32) -> Result<Option<Bug>, ApiError> {
    let bug = ctx.data::<Service>()?.bug(BugId(i64::from(id))).await?;
    Ok(bug.map(Bug))
}

pub(crate) async fn bugs(ctx: &Context<'_>, ids: Vec<i32>) -> Result<Vec<Bug>, ApiError> {
    if ids.len() > MAX_BUG_IDS {
        return Err(ApiError::BadUserInput(format!(
            "at most {MAX_BUG_IDS} ids, not {}",
            ids.len()
        )));
    }
    let ids: Vec<BugId> = ids.into_iter().map(|id| BugId(i64::from(id))).collect();
    let mut found = ctx.data::<Service>()?.bugs(ids.clone()).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.remove(id))
        .map(Bug)
        .collect())
}

pub(crate) async fn bug_suggestions(
    ctx: &Context<'_>,
    search_term: String,
) -> Result<BugSuggestions, ApiError> {
    let found = ctx.data::<Service>()?.bug_suggestions(&search_term).await?;
    Ok(found.into())
}

pub(crate) fn error_line_search(
    ctx: &Context<'_>,
    line: String,
) -> Result<ErrorLineSearch, ApiError> {
    Ok(ctx.data::<Service>()?.line_search(&line)?.into())
}
