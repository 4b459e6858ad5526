//! The intermittent-failures view (what OrangeFactor was): failed jobs classified now as
//! intermittent (by a person, automatically, or "needs a bug id"), counted per day and per
//! bug over a time range, with the pushes of each day for the orange factor.
//!
//! Everything is counted by the databases from `job_classifications` and its bugs (the
//! current decision per job, kept beside the history for this purpose, each row carrying
//! the job's repository, platform and failure time so that the view never joins `jobs`),
//! through covering indexes, grouped by UTC day (`failed_at` divided by a day's
//! microseconds), so a 90-day range over 100,000 failures moves counts, not rows. The queries are plain SQL, the same text for both backends (numbered
//! parameters, `?N` on SQLite and `$N` on PostgreSQL): diesel's DSL cannot group a query whose
//! conditions are optional. Parameters: 1 since, 2 until, 3 repository or NULL, 4 platform or
//! NULL.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::db::DbConnection;
use crate::{JobId, RepositoryId, Store, StoreError};

/// A day in unix microseconds.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// What the view looks at.
#[derive(Debug, Clone, Default)]
pub struct IntermittentQuery {
    pub repository: Option<RepositoryId>,
    pub platform: Option<String>,
    /// Inclusive, unix microseconds.
    pub since: i64,
    /// Exclusive, unix microseconds.
    pub until: i64,
}

/// One UTC day of the range.
#[derive(Debug, Clone, PartialEq)]
pub struct IntermittentDay {
    /// Days since the epoch.
    pub day: i64,
    pub failures: i64,
    pub pushes: i64,
}

/// One bug's failures over the range.
#[derive(Debug, Clone, PartialEq)]
pub struct BugFailures {
    pub bug_id: i64,
    pub failures: i64,
    pub platforms: Vec<String>,
    pub repositories: Vec<String>,
    /// Failures per day of the range, first day first.
    pub per_day: Vec<i64>,
}

/// The days `[since, until)` covers, as days since the epoch.
pub fn days_of(since: i64, until: i64) -> std::ops::Range<i64> {
    since.div_euclid(DAY_MICROS)..(until - 1).div_euclid(DAY_MICROS) + 1
}

/// The view's conditions on a table alias `t` (`jc`: job_classifications, `b`:
/// job_classification_bugs, which both carry every column they test, so that the view never
/// joins `jobs`). Treeherder's intermittent classifications: intermittent (4), autoclassified
/// intermittent (7), intermittent needs bug id (8).
fn scope(t: &str) -> String {
    format!(
        "{t}.failed_at >= ?1 AND {t}.failed_at < ?2
         AND {t}.classification IN (4, 7, 8)
         AND (?3 IS NULL OR {t}.repository_id = ?3)
         AND (?4 IS NULL OR {t}.platform = ?4)"
    )
}

#[derive(QueryableByName)]
struct DayCount {
    #[diesel(sql_type = BigInt)]
    day: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct BugCount {
    #[diesel(sql_type = BigInt)]
    bug_id: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct BugDetail {
    #[diesel(sql_type = BigInt)]
    bug_id: i64,
    #[diesel(sql_type = BigInt)]
    day: i64,
    #[diesel(sql_type = Nullable<Text>)]
    platform: Option<String>,
    #[diesel(sql_type = Text)]
    repository: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct JobIdRow {
    #[diesel(sql_type = BigInt)]
    job_id: i64,
}

/// Runs `text` (numbered `?N` parameters) with the view's four parameters on either backend.
fn query<T>(
    conn: &mut DbConnection,
    text: &str,
    q: &IntermittentQuery,
) -> Result<Vec<T>, StoreError>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
{
    let repository = q.repository.map(|r| r.0);
    let text = if matches!(conn, DbConnection::Pg(_)) {
        text.replace('?', "$")
    } else {
        text.to_owned()
    };
    Ok(per_backend!(conn, |c| {
        diesel::sql_query(text.as_str())
            .bind::<BigInt, _>(q.since)
            .bind::<BigInt, _>(q.until)
            .bind::<Nullable<BigInt>, _>(repository)
            .bind::<Nullable<Text>, _>(q.platform.clone())
            .load::<T>(c)?
    }))
}

impl Store {
    /// Failures and pushes per day of the range, every day present (zeros included).
    pub async fn intermittent_days(
        &self,
        q: IntermittentQuery,
    ) -> Result<Vec<IntermittentDay>, StoreError> {
        self.run(move |conn| {
            let failures: Vec<DayCount> = query(
                conn,
                &format!(
                    "SELECT jc.failed_at / 86400000000 AS day, COUNT(*) AS n
                     FROM job_classifications jc
                     WHERE {} GROUP BY jc.failed_at / 86400000000",
                    scope("jc")
                ),
                &q,
            )?;
            // The platform (parameter 4) does not narrow pushes: a push runs every platform.
            let pushes: Vec<DayCount> = query(
                conn,
                "SELECT p.pushed_at / 86400000000 AS day, COUNT(*) AS n FROM pushes p
                 WHERE p.pushed_at >= ?1 AND p.pushed_at < ?2 AND p.push_id IS NOT NULL
                   AND (?3 IS NULL OR p.repository_id = ?3) AND (?4 IS NULL OR ?4 = ?4)
                 GROUP BY p.pushed_at / 86400000000",
                &q,
            )?;
            let failures: HashMap<i64, i64> = failures.into_iter().map(|d| (d.day, d.n)).collect();
            let pushes: HashMap<i64, i64> = pushes.into_iter().map(|d| (d.day, d.n)).collect();
            Ok(days_of(q.since, q.until)
                .map(|day| IntermittentDay {
                    day,
                    failures: failures.get(&day).copied().unwrap_or(0),
                    pushes: pushes.get(&day).copied().unwrap_or(0),
                })
                .collect())
        })
        .await
    }

    /// The `first` bugs with the most failures in the range, most first (ties: lower bug id
    /// first), each with its platforms, repositories and failures per day.
    pub async fn intermittent_bugs(
        &self,
        q: IntermittentQuery,
        first: usize,
    ) -> Result<Vec<BugFailures>, StoreError> {
        self.run(move |conn| {
            let top: Vec<BugCount> = query(
                conn,
                &format!(
                    "SELECT b.bug_id AS bug_id, COUNT(*) AS n
                     FROM job_classification_bugs b
                     WHERE {} GROUP BY b.bug_id ORDER BY n DESC, b.bug_id LIMIT {first}",
                    scope("b")
                ),
                &q,
            )?;
            if top.is_empty() {
                return Ok(Vec::new());
            }
            // Bug ids are integers this query just read: safe to write into the text.
            let ids = top
                .iter()
                .map(|b| b.bug_id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let detail: Vec<BugDetail> = query(
                conn,
                &format!(
                    "SELECT d.bug_id, d.day, d.platform, r.name AS repository, d.n FROM (
                         SELECT b.bug_id AS bug_id, b.failed_at / 86400000000 AS day,
                                b.platform AS platform, b.repository_id AS repository_id,
                                COUNT(*) AS n
                         FROM job_classification_bugs b
                         WHERE {} AND b.bug_id IN ({ids})
                         GROUP BY b.bug_id, b.failed_at / 86400000000, b.platform,
                                  b.repository_id) d
                     JOIN repositories r ON r.id = d.repository_id",
                    scope("b")
                ),
                &q,
            )?;
            let days = days_of(q.since, q.until);
            let width = usize::try_from(days.end - days.start).unwrap_or(0);
            /// Platforms, repositories and failures per day of one bug.
            type Spread = (BTreeSet<String>, BTreeSet<String>, Vec<i64>);
            let mut by_bug: BTreeMap<i64, Spread> = BTreeMap::new();
            for row in detail {
                let entry = by_bug
                    .entry(row.bug_id)
                    .or_insert_with(|| (BTreeSet::new(), BTreeSet::new(), vec![0; width]));
                if let Some(platform) = row.platform {
                    entry.0.insert(platform);
                }
                entry.1.insert(row.repository);
                if let Some(slot) = usize::try_from(row.day - days.start)
                    .ok()
                    .and_then(|i| entry.2.get_mut(i))
                {
                    *slot += row.n;
                }
            }
            Ok(top
                .into_iter()
                .map(|b| {
                    let (platforms, repositories, per_day) =
                        by_bug.remove(&b.bug_id).unwrap_or_default();
                    BugFailures {
                        bug_id: b.bug_id,
                        failures: b.n,
                        platforms: platforms.into_iter().collect(),
                        repositories: repositories.into_iter().collect(),
                        per_day,
                    }
                })
                .collect())
        })
        .await
    }

    /// The jobs of a bug's failures in the range, newest failure first, at most `first`.
    pub async fn bug_failures(
        &self,
        q: IntermittentQuery,
        bug_id: i64,
        first: usize,
    ) -> Result<Vec<JobId>, StoreError> {
        self.run(move |conn| {
            let rows: Vec<JobIdRow> = query(
                conn,
                &format!(
                    "SELECT b.job_id AS job_id FROM job_classification_bugs b
                     WHERE {} AND b.bug_id = {bug_id}
                     ORDER BY b.failed_at DESC, b.job_id DESC LIMIT {first}",
                    scope("b")
                ),
                &q,
            )?;
            Ok(rows.into_iter().map(|r| JobId(r.job_id)).collect())
        })
        .await
    }
}
