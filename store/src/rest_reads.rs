//! The reads Treeherder's REST API asks for (`api/src/rest/`) and no other front door does:
//! pushes and jobs by the filters Treeherder's query parameters name (row id ranges, revision
//! prefixes, time ranges, exact names), in Treeherder's orders and with its offset paging,
//! and the performance frameworks and series stored. Every condition is SQL, so a page is a
//! page of what matches.

use diesel::prelude::*;

use crate::db::lower;
use crate::jobs::{JobRow, into_jobs};
use crate::schema::{job_classifications, jobs, perf_data, pushes};
use crate::{Job, JobId, Push, PushId, RepositoryId, Store, StoreError};

/// A comparison of an integer column with a value, as Treeherder's `__lt`/`__gte`/... suffixes
/// name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntCondition {
    Eq(i64),
    Lt(i64),
    Lte(i64),
    Gt(i64),
    Gte(i64),
}

/// Which pushes of one repository, newest first.
#[derive(Debug, Clone, Default)]
pub struct RestPushQuery {
    /// The push's own revision starts with this (lower case hex).
    pub revision_prefix: Option<String>,
    /// Who pushed, ignoring case; `exclude` inverts it.
    pub author: Option<(String, bool)>,
    /// Conditions on the store's row id.
    pub ids: Vec<IntCondition>,
    /// Row ids, any of them.
    pub id_in: Option<Vec<i64>>,
    /// Conditions on the push time (unix microseconds).
    pub pushed_at: Vec<IntCondition>,
    pub count: usize,
}

/// Which jobs (of a push only: Treeherder has no other), in Treeherder's order: by id ascending, or (`newest_first`) by push then id
/// descending, as its similar jobs are.
#[derive(Debug, Clone, Default)]
pub struct RestJobQuery {
    pub repository: Option<RepositoryId>,
    pub ids: Vec<IntCondition>,
    pub id_in: Option<Vec<i64>>,
    /// Conditions on the push row id.
    pub push_ids: Vec<IntCondition>,
    pub push_id_in: Option<Vec<i64>>,
    pub guids: Option<Vec<String>>,
    pub states: Option<Vec<String>>,
    pub results: Option<Vec<String>>,
    pub tiers: Vec<IntCondition>,
    pub tier_in: Option<Vec<i64>>,
    pub name: Option<String>,
    pub symbol: Option<String>,
    pub group_name: Option<String>,
    pub group_symbol: Option<String>,
    pub platform: Option<String>,
    pub machine: Option<String>,
    /// Treeherder's failure classification id now (1, "not classified", for jobs nobody
    /// classified).
    pub classification: Option<i64>,
    /// Conditions on the last time the job changed: its end, else its start, else its
    /// submission (unix microseconds).
    pub last_modified: Vec<IntCondition>,
    pub submitted_at: Vec<IntCondition>,
    pub started_at: Vec<IntCondition>,
    pub finished_at: Vec<IntCondition>,
    pub exclude: Option<JobId>,
    pub exclude_result: Option<String>,
    pub newest_first: bool,
    pub offset: usize,
    pub count: usize,
}

/// One stored performance series: the first value's row id names it.
#[derive(Debug, Clone, PartialEq)]
pub struct PerfSeries {
    pub id: i64,
    pub repository_id: i64,
    pub framework: String,
    pub suite: String,
    /// Empty for the suite's own value.
    pub subtest: String,
    pub platform: String,
    pub unit: Option<String>,
    pub lower_is_better: Option<bool>,
}

/// A value of a series with its job and push.
#[derive(Debug, Clone, PartialEq)]
pub struct PerfDatum {
    pub id: i64,
    pub series_id: i64,
    /// None once the job expired (the value outlives it).
    pub job_id: Option<i64>,
    pub push_row_id: Option<i64>,
    pub pushed_at: Option<i64>,
    pub revision: Option<String>,
    pub value: f64,
}

macro_rules! int_conditions {
    ($query:ident, $column:expr, $conditions:expr) => {
        int_conditions!($query, $column, $conditions, IntCondition)
    };
    ($query:ident, $column:expr, $conditions:expr, $kind:ident) => {
        for condition in $conditions {
            $query = match *condition {
                $kind::Eq(v) => $query.filter($column.eq(v)),
                $kind::Lt(v) => $query.filter($column.lt(v)),
                $kind::Lte(v) => $query.filter($column.le(v)),
                $kind::Gt(v) => $query.filter($column.gt(v)),
                $kind::Gte(v) => $query.filter($column.ge(v)),
            };
        }
    };
}

/// Narrows a boxed jobs query by every condition of a [`RestJobQuery`] (one text for the
/// page and for its count).
macro_rules! rest_job_filters {
    ($query:ident, $q:expr) => {{
        let q = $q;
        let mut query = $query;
        if let Some(repository) = q.repository {
            query = query.filter(jobs::repository_id.eq(repository.0));
        }
        int_conditions!(query, jobs::id, &q.ids);
        int_conditions!(query, jobs::push_row_id, &q.push_ids);
        int_conditions!(
            query,
            jobs::tier,
            &q.tiers.iter().map(narrow).collect::<Vec<_>>(),
            IntCondition32
        );
        int_conditions!(query, jobs::submitted_at, &q.submitted_at);
        int_conditions!(query, jobs::started_at, &q.started_at);
        int_conditions!(query, jobs::finished_at, &q.finished_at);
        if let Some(ids) = &q.id_in {
            query = query.filter(jobs::id.eq_any(ids.clone()));
        }
        if let Some(ids) = &q.push_id_in {
            query = query.filter(jobs::push_row_id.eq_any(ids.clone()));
        }
        if let Some(tiers) = &q.tier_in {
            let tiers: Vec<i32> = tiers
                .iter()
                .filter_map(|t| i32::try_from(*t).ok())
                .collect();
            query = query.filter(jobs::tier.eq_any(tiers));
        }
        if let Some(guids) = &q.guids {
            query = query.filter(jobs::guid.eq_any(guids.clone()));
        }
        if let Some(states) = &q.states {
            query = query.filter(jobs::state.eq_any(states.clone()));
        }
        if let Some(results) = &q.results {
            query = query.filter(jobs::result.eq_any(results.clone()));
        }
        if let Some(name) = &q.name {
            query = query.filter(jobs::name.eq(name.clone()));
        }
        if let Some(symbol) = &q.symbol {
            query = query.filter(jobs::symbol.eq(symbol.clone()));
        }
        if let Some(group) = &q.group_name {
            query = query.filter(jobs::group_name.eq(group.clone()));
        }
        if let Some(group) = &q.group_symbol {
            query = query.filter(jobs::group_symbol.eq(group.clone()));
        }
        if let Some(platform) = &q.platform {
            query = query.filter(jobs::platform.eq(platform.clone()));
        }
        if let Some(machine) = &q.machine {
            query = query.filter(jobs::machine.eq(machine.clone()));
        }
        if let Some(exclude) = q.exclude {
            query = query.filter(jobs::id.ne(exclude.0));
        }
        if let Some(result) = &q.exclude_result {
            query = query.filter(jobs::result.ne(result.clone()));
        }
        if let Some(classification) = q.classification {
            let classified = job_classifications::table
                .filter(job_classifications::classification.ne(1))
                .select(job_classifications::job_id);
            let with = job_classifications::table
                .filter(
                    job_classifications::classification
                        .eq(i32::try_from(classification).unwrap_or(i32::MAX)),
                )
                .select(job_classifications::job_id);
            query = if classification == 1 {
                query.filter(diesel::dsl::not(jobs::id.eq_any(classified)))
            } else {
                query.filter(jobs::id.eq_any(with))
            };
        }
        // The newest of the three times: the lifecycle never moves one back, so it is the
        // first that is set of end, start, submission.
        int_conditions!(
            query,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>>(
                "COALESCE(jobs.finished_at, jobs.started_at, jobs.submitted_at)"
            ),
            &q.last_modified
        );
        query
    }};
}

type PushTuple = (i64, i64, Option<i64>, String, String, i64);

fn push_of((id, repository_id, push_id, revision, author, pushed_at): PushTuple) -> Option<Push> {
    Some(Push {
        id: PushId(id),
        repository_id: RepositoryId(repository_id),
        push_id: push_id?,
        revision,
        author,
        pushed_at,
    })
}

const PUSH_COLUMNS: (
    pushes::id,
    pushes::repository_id,
    pushes::push_id,
    pushes::revision,
    pushes::author,
    pushes::pushed_at,
) = (
    pushes::id,
    pushes::repository_id,
    pushes::push_id,
    pushes::revision,
    pushes::author,
    pushes::pushed_at,
);

impl Store {
    /// Pushes of a repository matching every condition, newest first (placeholders never).
    pub async fn rest_pushes(
        &self,
        repository_id: RepositoryId,
        q: RestPushQuery,
    ) -> Result<Vec<Push>, StoreError> {
        self.run(move |conn| {
            let mut query = pushes::table
                .filter(pushes::repository_id.eq(repository_id.0))
                .filter(pushes::push_id.is_not_null())
                .select(PUSH_COLUMNS)
                .order((pushes::pushed_at.desc(), pushes::id.desc()))
                .limit(i64::try_from(q.count).unwrap_or(i64::MAX))
                .into_boxed();
            if let Some(prefix) = &q.revision_prefix {
                // Hex digits sort below `g`: a prefix's revisions are in [prefix, prefix + "g").
                query = query
                    .filter(pushes::revision.ge(prefix.clone()))
                    .filter(pushes::revision.lt(format!("{prefix}g")));
            }
            if let Some((author, exclude)) = &q.author {
                let same = lower(pushes::author).eq(author.to_lowercase());
                query = if *exclude {
                    query.filter(diesel::dsl::not(same))
                } else {
                    query.filter(same)
                };
            }
            int_conditions!(query, pushes::id, &q.ids);
            int_conditions!(query, pushes::pushed_at, &q.pushed_at);
            if let Some(ids) = &q.id_in {
                query = query.filter(pushes::id.eq_any(ids.clone()));
            }
            let rows: Vec<PushTuple> = query.load(conn)?;
            Ok(rows.into_iter().filter_map(push_of).collect())
        })
        .await
    }

    /// A push of a repository by row id (never a placeholder).
    pub async fn rest_push(
        &self,
        repository_id: RepositoryId,
        id: i64,
    ) -> Result<Option<Push>, StoreError> {
        self.run(move |conn| {
            let row: Option<PushTuple> = pushes::table
                .filter(pushes::repository_id.eq(repository_id.0))
                .filter(pushes::id.eq(id))
                .select(PUSH_COLUMNS)
                .first(conn)
                .optional()?;
            Ok(row.and_then(push_of))
        })
        .await
    }

    /// Jobs matching every condition, one page of them (`offset`, `count`).
    pub async fn rest_jobs(&self, q: RestJobQuery) -> Result<Vec<Job>, StoreError> {
        self.run(move |conn| {
            let rows: Vec<JobRow> = per_backend!(conn, |c| {
                // Every Treeherder job belongs to a push: jobs of none are not listed.
                let mut query = jobs::table
                    .filter(jobs::push_row_id.is_not_null())
                    .select(JobRow::as_select())
                    .offset(i64::try_from(q.offset).unwrap_or(i64::MAX))
                    .limit(i64::try_from(q.count).unwrap_or(i64::MAX))
                    .into_boxed();
                query = if q.newest_first {
                    query.order((jobs::push_row_id.desc(), jobs::id.desc()))
                } else {
                    query.order(jobs::id.asc())
                };
                query = rest_job_filters!(query, &q);
                query.load(c)?
            });
            into_jobs(rows)
        })
        .await
    }

    /// How many jobs match every condition (paging aside).
    pub async fn rest_job_count(&self, q: RestJobQuery) -> Result<i64, StoreError> {
        self.run(move |conn| {
            Ok(per_backend!(conn, |c| {
                let query = jobs::table
                    .filter(jobs::push_row_id.is_not_null())
                    .count()
                    .into_boxed();
                let query = rest_job_filters!(query, &q);
                query.get_result(c)?
            }))
        })
        .await
    }

    /// The platforms jobs ran on, by name.
    pub async fn job_platforms(&self) -> Result<Vec<String>, StoreError> {
        self.run(|conn| {
            let platforms: Vec<Option<String>> = jobs::table
                .select(jobs::platform)
                .distinct()
                .order(jobs::platform)
                .load(conn)?;
            Ok(platforms.into_iter().flatten().collect())
        })
        .await
    }

    /// The stored performance frameworks, by name.
    pub async fn perf_frameworks(&self) -> Result<Vec<String>, StoreError> {
        self.run(|conn| {
            Ok(perf_data::table
                .select(perf_data::framework)
                .distinct()
                .order(perf_data::framework)
                .load(conn)?)
        })
        .await
    }

    /// The stored series of a repository (of one framework when given), by id.
    pub async fn perf_series_list(
        &self,
        repository_id: RepositoryId,
        framework: Option<String>,
    ) -> Result<Vec<PerfSeries>, StoreError> {
        type Key = (i64, String, String, String, String);
        self.run(move |conn| {
            let mut query = perf_data::table
                .filter(perf_data::repository_id.eq(repository_id.0))
                .group_by((
                    perf_data::framework,
                    perf_data::suite,
                    perf_data::subtest,
                    perf_data::platform,
                ))
                .select((
                    diesel::dsl::min(perf_data::id).assume_not_null(),
                    perf_data::framework,
                    perf_data::suite,
                    perf_data::subtest,
                    perf_data::platform,
                ))
                .into_boxed();
            if let Some(framework) = framework {
                query = query.filter(perf_data::framework.eq(framework));
            }
            let mut keys: Vec<Key> = query.load(conn)?;
            keys.sort_by_key(|k| k.0);
            // The unit and direction of the series are those of its first value.
            let mut firsts: std::collections::HashMap<i64, (Option<String>, Option<bool>)> =
                std::collections::HashMap::new();
            for chunk in keys.chunks(crate::db::BATCH_ROWS) {
                let ids: Vec<i64> = chunk.iter().map(|k| k.0).collect();
                let rows: Vec<(i64, Option<String>, Option<bool>)> = perf_data::table
                    .filter(perf_data::id.eq_any(ids))
                    .select((perf_data::id, perf_data::unit, perf_data::lower_is_better))
                    .load(conn)?;
                firsts.extend(
                    rows.into_iter()
                        .map(|(id, unit, lower)| (id, (unit, lower))),
                );
            }
            Ok(keys
                .into_iter()
                .map(|(id, framework, suite, subtest, platform)| {
                    let (unit, lower_is_better) = firsts.remove(&id).unwrap_or_default();
                    PerfSeries {
                        id,
                        repository_id: repository_id.0,
                        framework,
                        suite,
                        subtest,
                        platform,
                        unit,
                        lower_is_better,
                    }
                })
                .collect())
        })
        .await
    }

    /// The values of a series (named by its first value's id), oldest push first, at most
    /// `limit`; `None` when no series has that id in the repository.
    pub async fn perf_series_data(
        &self,
        repository_id: RepositoryId,
        series_id: i64,
        limit: usize,
    ) -> Result<Option<Vec<PerfDatum>>, StoreError> {
        type Row = (
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            f64,
        );
        self.run(move |conn| {
            let key: Option<(String, String, String, String)> = perf_data::table
                .filter(perf_data::repository_id.eq(repository_id.0))
                .filter(perf_data::id.eq(series_id))
                .select((
                    perf_data::framework,
                    perf_data::suite,
                    perf_data::subtest,
                    perf_data::platform,
                ))
                .first(conn)
                .optional()?;
            let Some((framework, suite, subtest, platform)) = key else {
                return Ok(None);
            };
            let first: Option<i64> = perf_data::table
                .filter(perf_data::repository_id.eq(repository_id.0))
                .filter(perf_data::framework.eq(&framework))
                .filter(perf_data::suite.eq(&suite))
                .filter(perf_data::subtest.eq(&subtest))
                .filter(perf_data::platform.eq(&platform))
                .select(diesel::dsl::min(perf_data::id))
                .first(conn)?;
            if first != Some(series_id) {
                return Ok(None);
            }
            let rows: Vec<Row> = perf_data::table
                .left_join(pushes::table)
                .filter(perf_data::repository_id.eq(repository_id.0))
                .filter(perf_data::framework.eq(&framework))
                .filter(perf_data::suite.eq(&suite))
                .filter(perf_data::subtest.eq(&subtest))
                .filter(perf_data::platform.eq(&platform))
                .order((pushes::pushed_at.asc(), perf_data::id.asc()))
                .select((
                    perf_data::id,
                    perf_data::job_id,
                    pushes::id.nullable(),
                    pushes::push_id.nullable(),
                    pushes::pushed_at.nullable(),
                    pushes::revision.nullable(),
                    perf_data::value,
                ))
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .load(conn)?;
            Ok(Some(
                rows.into_iter()
                    .map(
                        |(id, job_id, push_row, push_id, pushed_at, revision, value)| PerfDatum {
                            id,
                            series_id,
                            job_id,
                            // A placeholder push is no push yet.
                            push_row_id: push_id.and(push_row),
                            pushed_at: push_id.and(pushed_at),
                            revision: push_id.and(revision),
                            value,
                        },
                    )
                    .collect(),
            ))
        })
        .await
    }
}

/// A tier condition on the 32-bit column (a value beyond it compares as its bound).
fn narrow(condition: &IntCondition) -> IntCondition32 {
    let n = |v: i64| i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX });
    match *condition {
        IntCondition::Eq(v) => IntCondition32::Eq(n(v)),
        IntCondition::Lt(v) => IntCondition32::Lt(n(v)),
        IntCondition::Lte(v) => IntCondition32::Lte(n(v)),
        IntCondition::Gt(v) => IntCondition32::Gt(n(v)),
        IntCondition::Gte(v) => IntCondition32::Gte(n(v)),
    }
}

/// [`IntCondition`] on a 32-bit column.
#[derive(Clone, Copy)]
enum IntCondition32 {
    Eq(i32),
    Lt(i32),
    Lte(i32),
    Gt(i32),
    Gte(i32),
}
