//! The intermittent-failures view (what OrangeFactor was): failures classified as intermittent
//! per day and per bug over a time range, and the orange factor (failures ÷ pushes) per day.
//! Each part is counted only when asked for (`store/src/intermittents.rs`).

use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use treeherd_store::{BugId, IntermittentQuery, Store};

use super::time::to_datetime;
use super::{Bug, Job};
use crate::ApiError;
use crate::loaders::{BugById, load};

/// The longest range the view counts over.
pub(crate) const MAX_DAYS: i64 = 366;
/// At most this many bugs, and this many failures of a bug, in one answer.
const MAX_BUGS: i32 = 200;
const MAX_FAILURES: i32 = 1000;

/// What `Query.intermittentFailures` answers; each field counts when selected.
pub(crate) struct IntermittentFailures {
    pub query: IntermittentQuery,
}

impl IntermittentFailures {
    /// Checks the range (`until` after `since`, at most [`MAX_DAYS`]).
    pub(crate) fn new(query: IntermittentQuery) -> Result<IntermittentFailures, ApiError> {
        if query.until <= query.since {
            return Err(ApiError::BadUserInput(
                "until must be after since".to_owned(),
            ));
        }
        let days = treeherd_store::days_of(query.since, query.until);
        if days.end - days.start > MAX_DAYS {
            return Err(ApiError::BadUserInput(format!(
                "the range covers {} days; at most {MAX_DAYS}",
                days.end - days.start
            )));
        }
        Ok(IntermittentFailures { query })
    }
}

/// One UTC day of the range.
#[derive(SimpleObject)]
pub(crate) struct IntermittentDay {
    /// `YYYY-MM-DD` (UTC).
    day: String,
    /// Failed jobs classified intermittent (by a person, automatically, or needing a bug).
    failures: i64,
    /// Pushes to the repository (or all repositories) that day.
    pushes: i64,
    /// failures ÷ pushes (0 on a day without pushes).
    orange_factor: f64,
}

/// One bug's failures over the range.
#[derive(SimpleObject)]
#[graphql(complex)]
pub(crate) struct BugFailures {
    bug_id: i64,
    failures: i64,
    platforms: Vec<String>,
    repositories: Vec<String>,
    /// Failures per day of the range, first day first (as `days`).
    per_day: Vec<i64>,
}

#[ComplexObject]
impl BugFailures {
    /// The bug, when it is kept locally (imported or fetched from Bugzilla).
    async fn bug(&self, ctx: &Context<'_>) -> Result<Option<Bug>, ApiError> {
        Ok(load(ctx, BugById(BugId(self.bug_id))).await?.map(Bug))
    }
}

fn day_name(day: i64) -> String {
    to_datetime(day.saturating_mul(treeherd_store::DAY_MICROS))
        .format("%Y-%m-%d")
        .to_string()
}

fn bounded(first: i32, max: i32, name: &str) -> Result<usize, ApiError> {
    if !(1..=max).contains(&first) {
        return Err(ApiError::BadUserInput(format!(
            "{name} must be between 1 and {max}"
        )));
    }
    Ok(usize::try_from(first).unwrap_or(1))
}

#[Object]
impl IntermittentFailures {
    /// The start of the range (inclusive).
    async fn since(&self) -> DateTime<Utc> {
        to_datetime(self.query.since)
    }

    /// The end of the range (exclusive).
    async fn until(&self) -> DateTime<Utc> {
        to_datetime(self.query.until)
    }

    /// Every UTC day of the range, first day first, with its failures, pushes and orange
    /// factor.
    async fn days(&self, ctx: &Context<'_>) -> Result<Vec<IntermittentDay>, ApiError> {
        let days = ctx
            .data::<Store>()?
            .intermittent_days(self.query.clone())
            .await?;
        Ok(days
            .into_iter()
            .map(|d| IntermittentDay {
                day: day_name(d.day),
                failures: d.failures,
                pushes: d.pushes,
                orange_factor: if d.pushes == 0 {
                    0.0
                } else {
                    d.failures as f64 / d.pushes as f64
                },
            })
            .collect())
    }

    /// The bugs with the most failures in the range, most first (ties: lower bug first).
    async fn bugs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<BugFailures>, ApiError> {
        let first = bounded(first, MAX_BUGS, "first")?;
        let bugs = ctx
            .data::<Store>()?
            .intermittent_bugs(self.query.clone(), first)
            .await?;
        Ok(bugs
            .into_iter()
            .map(|b| BugFailures {
                bug_id: b.bug_id,
                failures: b.failures,
                platforms: b.platforms,
                repositories: b.repositories,
                per_day: b.per_day,
            })
            .collect())
    }

    /// A bug's failures in the range with their jobs, newest first.
    async fn failures(
        &self,
        ctx: &Context<'_>,
        bug: i64,
        #[graphql(default = 100)] first: i32,
    ) -> Result<Vec<Job>, ApiError> {
        let first = bounded(first, MAX_FAILURES, "first")?;
        let store = ctx.data::<Store>()?;
        let ids = store.bug_failures(self.query.clone(), bug, first).await?;
        let mut jobs = store.jobs_by_id(ids.clone()).await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| jobs.remove(&id))
            .map(Job)
            .collect())
    }
}
