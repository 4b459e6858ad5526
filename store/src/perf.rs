//! Performance series: the PERFHERDER_DATA values the parse worker stored, as one series per
//! repository, framework, suite, subtest and platform, in push order (what Perfherder graphs).

use diesel::prelude::*;

use crate::schema::{perf_data, pushes};
use crate::{Store, StoreError};

/// Which series: `subtest` `None` is the suite's own value.
#[derive(Debug, Clone, PartialEq)]
pub struct PerfSeriesKey {
    pub repository_id: i64,
    pub framework: String,
    pub suite: String,
    pub subtest: Option<String>,
    pub platform: String,
}

/// One value of a series: the job it came from (none once the job expired: a value outlives
/// its job) and the push it ran on (none for jobs that hang off no push).
#[derive(Debug, Clone, PartialEq)]
pub struct PerfPoint {
    pub job_id: Option<i64>,
    pub push_id: Option<i64>,
    pub revision: Option<String>,
    pub pushed_at: Option<i64>,
    pub value: f64,
    pub unit: Option<String>,
    pub lower_is_better: Option<bool>,
}

impl Store {
    /// The newest `limit` values of a series, oldest first (by push, then job).
    pub async fn perf_series(
        &self,
        key: PerfSeriesKey,
        limit: usize,
    ) -> Result<Vec<PerfPoint>, StoreError> {
        type Row = (
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            f64,
            Option<String>,
            Option<bool>,
        );
        self.run(move |conn| {
            let rows: Vec<Row> = perf_data::table
                .left_join(pushes::table)
                .filter(perf_data::repository_id.eq(key.repository_id))
                .filter(perf_data::framework.eq(&key.framework))
                .filter(perf_data::suite.eq(&key.suite))
                .filter(perf_data::subtest.eq(key.subtest.as_deref().unwrap_or("")))
                .filter(perf_data::platform.eq(&key.platform))
                .order((
                    pushes::push_id.desc(),
                    perf_data::job_id.desc(),
                    perf_data::id.desc(),
                ))
                .select((
                    perf_data::job_id,
                    pushes::push_id.nullable(),
                    pushes::revision.nullable(),
                    pushes::pushed_at.nullable(),
                    perf_data::value,
                    perf_data::unit,
                    perf_data::lower_is_better,
                ))
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .load(conn)?;
            let mut points: Vec<PerfPoint> = rows
                .into_iter()
                .map(
                    |(job_id, push_id, revision, pushed_at, value, unit, lower_is_better)| {
                        PerfPoint {
                            job_id,
                            // A placeholder push is no push yet.
                            revision: push_id.and(revision),
                            pushed_at: push_id.and(pushed_at),
                            push_id,
                            value,
                            unit,
                            lower_is_better,
                        }
                    },
                )
                .collect();
            points.reverse();
            Ok(points)
        })
        .await
    }
}
