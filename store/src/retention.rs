//! Retention: jobs older than a window are deleted in bounded steps, with everything that
//! hangs off them, while what outlives them stays.
//!
//! What goes with a job is what its foreign keys cascade to (edges it holds, attributes, logs
//! with their errors and steps, test results, artifacts, classifications with the current one
//! and its bugs). What stays lets go of it (`SET NULL`, migration 000016): an edge whose
//! dependency expired dangles with its guid, as an edge to a job not yet seen does; a
//! performance value keeps its push, so that series outlive their jobs; a build and a machine
//! forget the job. Pushes stay, and so do a release's job and its gates (the jobs it depends on
//! directly), since a release's status is read from them. A job's age is when it was
//! submitted, else started, else finished (`jobs_by_age` indexes that expression); a job with
//! no time at all is kept.
//!
//! A step is one write transaction over at most `limit` jobs, so a write lock is held for one
//! step's deletes only, and a step interrupted by `kill -9` rolls back whole: no orphan row, and
//! the next pass starts again from the oldest job. A pass walks the age index from where its
//! last step ended ([`AgeCursor`]), never over what it deleted: PostgreSQL keeps the index
//! entries of deleted rows until vacuum, and a pass that started each step from the oldest
//! walked them all again (a day of 80,000 jobs took 229 s, ingestion waiting behind it).
//!
//! The expired jobs are appended to the graph change log in the same transaction, so every
//! process's graph drops them on its next catch-up. Appends are serialized by the log writers'
//! lock, which job writes take first. A step takes it last, just before it appends, so that
//! ingestion never waits for a step's deletes; should a job write hold the lock while it waits
//! for a row the step deleted (an edge to an expiring job), the step gives up after
//! [`LOG_LOCK_WAIT`] and is tried again, rather than the two deadlocking and PostgreSQL
//! choosing the job write to fail. On PostgreSQL a step first takes a transaction-scoped
//! advisory lock without waiting: while one replica runs a step, another's pass ends at once
//! ("busy"). SQLite's one writer already serializes steps.

use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable};

use crate::db::{self, DbConnection};
use crate::schema::{
    artifacts, classifications, job_dependencies, job_logs, jobs, perf_data, pushes, releases,
    test_results,
};
use crate::{Store, StoreError, graph};

/// How long a step waits for the log writers' lock before it gives up (PostgreSQL).
const LOG_LOCK_WAIT: &str = "200ms";

/// Where a pass is in the age index: the age and id of the last job its steps looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeCursor {
    pub(crate) age: i64,
    pub(crate) id: i64,
}

impl AgeCursor {
    /// Where `job` stands in age order (`None` for a job with no time, which has no age).
    pub(crate) fn of(job: &crate::Job) -> Option<AgeCursor> {
        let age = job.submitted_at.or(job.started_at).or(job.finished_at)?;
        Some(AgeCursor { age, id: job.id.0 })
    }

    /// The condition "a job after `cursor` in age order" (every job without one): a row
    /// comparison both databases answer from `jobs_by_age`. The numbers are written into the
    /// text; they are the store's own, never a client's.
    pub(crate) fn followed_by(cursor: Option<AgeCursor>) -> SqlLiteral<Bool> {
        match cursor {
            Some(AgeCursor { age, id }) => {
                sql::<Bool>(&format!("({JOB_AGE}, jobs.id) > ({age}, {id})"))
            }
            None => sql::<Bool>("1 = 1"),
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryStep {
    /// Another process is running a step (PostgreSQL).
    Busy,
    /// A job write held the log writers' lock too long; nothing was removed, try again.
    Contended,
    /// What it removed, and where the next step starts (`None`: nothing older is left).
    Removed(Expired, Option<AgeCursor>),
}

/// The expression `jobs_by_age` indexes, written as the index writes it (SQLite uses an index
/// on an expression only for the same text).
pub(crate) const JOB_AGE: &str = "COALESCE(submitted_at, started_at, finished_at)";

/// What one step (or a pass of steps) removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expired {
    pub jobs: u64,
    /// Edges the expired jobs held (an edge *to* an expired job stays, dangling).
    pub edges: u64,
    pub logs: u64,
    pub test_results: u64,
    pub artifacts: u64,
    pub classifications: u64,
    /// Performance values past their own window (and values with neither push nor job left).
    pub perf_values: u64,
}

impl std::ops::AddAssign for Expired {
    fn add_assign(&mut self, other: Expired) {
        self.jobs += other.jobs;
        self.edges += other.edges;
        self.logs += other.logs;
        self.test_results += other.test_results;
        self.artifacts += other.artifacts;
        self.classifications += other.classifications;
        self.perf_values += other.perf_values;
    }
}

impl std::fmt::Display for Expired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} jobs, {} edges, {} logs, {} test results, {} artifacts, {} classifications, {} performance values",
            self.jobs,
            self.edges,
            self.logs,
            self.test_results,
            self.artifacts,
            self.classifications,
            self.perf_values
        )
    }
}

impl Store {
    /// One step of job retention: deletes up to `limit` of the oldest jobs whose age is before
    /// `before` (unix microseconds) and after `after` (the last step's cursor), with what
    /// hangs off them.
    pub async fn expire_jobs(
        &self,
        before: i64,
        after: Option<AgeCursor>,
        limit: usize,
    ) -> Result<ExpiryStep, StoreError> {
        let limit = i64::try_from(limit.clamp(1, db::BATCH_ROWS)).unwrap_or(1);
        self.run(move |conn| {
            db::untimed(conn, |conn| {
                let step = db::write(conn, |conn| expire_jobs(conn, before, after, limit));
                match step {
                    Err(StoreError::Conflict(_)) => Ok(ExpiryStep::Contended),
                    step => step,
                }
            })
        })
        .await
    }

    /// One step of performance retention: deletes up to `limit` values whose push was pushed
    /// before `before`, after value `after` (the last step's cursor, by id). `None` when
    /// another process is running a step; else how many went, and where the next step starts
    /// (`None`: nothing older is left).
    pub async fn expire_perf_data(
        &self,
        before: i64,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Option<(u64, Option<i64>)>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, db::BATCH_ROWS)).unwrap_or(1);
        self.run(move |conn| {
            db::untimed(conn, |conn| {
                db::write(conn, |conn| {
                    if !take_retention_lock(conn)? {
                        return Ok(None);
                    }
                    let ids: Vec<i64> = perf_data::table
                        .inner_join(pushes::table)
                        .filter(pushes::pushed_at.lt(before))
                        .filter(perf_data::id.gt(after.unwrap_or(i64::MIN)))
                        .order(perf_data::id)
                        .select(perf_data::id)
                        .limit(limit)
                        .load(conn)?;
                    let gone = diesel::delete(perf_data::table.filter(perf_data::id.eq_any(&ids)))
                        .execute(conn)?;
                    let next = (ids.len() as i64 == limit)
                        .then(|| ids.last().copied())
                        .flatten();
                    Ok(Some((gone as u64, next)))
                })
            })
        })
        .await
    }
}

fn expire_jobs(
    conn: &mut DbConnection,
    before: i64,
    after: Option<AgeCursor>,
    limit: i64,
) -> Result<ExpiryStep, StoreError> {
    if !take_retention_lock(conn)? {
        return Ok(ExpiryStep::Busy);
    }
    let release_jobs = releases::table.select(releases::job_id);
    let gates = job_dependencies::table
        .filter(job_dependencies::dependent_id.eq_any(releases::table.select(releases::job_id)))
        .filter(job_dependencies::dependency_id.is_not_null())
        .select(job_dependencies::dependency_id.assume_not_null());
    // Every job in the range, kept ones too, so that the cursor moves past them.
    let scanned: Vec<(i64, i64, bool)> = jobs::table
        .filter(sql::<Nullable<BigInt>>(JOB_AGE).lt(before))
        .filter(AgeCursor::followed_by(after))
        .order((sql::<Nullable<BigInt>>(JOB_AGE), jobs::id))
        .select((
            jobs::id,
            sql::<BigInt>(JOB_AGE),
            jobs::id.ne_all(release_jobs).and(jobs::id.ne_all(gates)),
        ))
        .limit(limit)
        .load(conn)?;
    let next = (scanned.len() as i64 == limit)
        .then(|| scanned.last().map(|&(id, age, _)| AgeCursor { age, id }))
        .flatten();
    let ids: Vec<i64> = scanned
        .into_iter()
        .filter_map(|(id, _, expires)| expires.then_some(id))
        .collect();
    if ids.is_empty() {
        return Ok(ExpiryStep::Removed(Expired::default(), next));
    }
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let mut expired = Expired {
        jobs: ids.len() as u64,
        edges: count(
            job_dependencies::table
                .filter(job_dependencies::dependent_id.eq_any(&ids))
                .count()
                .get_result(conn)?,
        ),
        logs: count(
            job_logs::table
                .filter(job_logs::job_id.eq_any(&ids))
                .count()
                .get_result(conn)?,
        ),
        test_results: count(
            test_results::table
                .filter(test_results::job_id.eq_any(&ids))
                .count()
                .get_result(conn)?,
        ),
        artifacts: count(
            artifacts::table
                .filter(artifacts::job_id.eq_any(&ids))
                .count()
                .get_result(conn)?,
        ),
        classifications: count(
            classifications::table
                .filter(classifications::job_id.eq_any(&ids))
                .count()
                .get_result(conn)?,
        ),
        perf_values: 0,
    };
    // A value with no push has nothing left to place it in its series once its job goes.
    expired.perf_values = diesel::delete(
        perf_data::table
            .filter(perf_data::job_id.eq_any(&ids))
            .filter(perf_data::push_row_id.is_null()),
    )
    .execute(conn)? as u64;
    diesel::delete(jobs::table.filter(jobs::id.eq_any(&ids))).execute(conn)?;
    lock_log_writers_briefly(conn)?;
    graph::log_changes(conn, &ids)?;
    Ok(ExpiryStep::Removed(expired, next))
}

/// The log writers' lock (`db::lock_log_writers`), waited for at most [`LOG_LOCK_WAIT`] on
/// PostgreSQL: a `Conflict` past it (the step is rolled back and tried again).
fn lock_log_writers_briefly(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query(format!("SET LOCAL lock_timeout = '{LOG_LOCK_WAIT}'")).execute(c)?;
    }
    db::lock_log_writers(conn).map_err(|e| {
        StoreError::Conflict(format!(
            "retention: the log writers' lock was busy for {LOG_LOCK_WAIT}: {e}"
        ))
    })
}

/// On PostgreSQL, the retention lock for this transaction if no other holds it; SQLite's write
/// transaction is already the only one.
fn take_retention_lock(conn: &mut DbConnection) -> Result<bool, StoreError> {
    match conn {
        DbConnection::Pg(c) => Ok(diesel::select(sql::<Bool>(&format!(
            "pg_try_advisory_xact_lock({})",
            db::RETENTION_LOCK
        )))
        .get_result(c)?),
        DbConnection::Sqlite(_) => Ok(true),
    }
}
