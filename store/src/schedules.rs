//! Scheduled jobs (valgrind, QA update tests, nightlies): jobs of kind SCHEDULED that hang off
//! no push, grouped by name, with the interval each is declared to run at and whether it is
//! overdue.

use diesel::dsl::{max, sql};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::upsert::excluded;
use std::collections::{BTreeMap, HashMap};
use treeherd_model::JobResult;

use crate::db::{self, BATCH_ROWS};
use crate::jobs::{JobRow, into_jobs};
use crate::schema::{jobs, schedules};
use crate::{Job, RepositoryId, Store, StoreError, repositories};

/// A scheduled job by name: its runs that matter, and whether it is late.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledJob {
    pub name: String,
    /// How often it is declared to run (microseconds); `None` when undeclared.
    pub interval_us: Option<i64>,
    pub last_run: Option<Job>,
    pub last_success: Option<Job>,
    pub last_failure: Option<Job>,
    /// When the next run should have started: the last run's start plus the interval.
    pub due_at: Option<i64>,
    /// Declared, and no run started by its due time (or none ever ran).
    pub overdue: bool,
}

/// Scheduled jobs only: the literal lets both databases use the partial index.
const SCHEDULED: &str = "jobs.kind = 'SCHEDULED'";

/// When a run started, as well as the job says.
fn started(job: &Job) -> Option<i64> {
    job.started_at.or(job.submitted_at).or(job.finished_at)
}

impl Store {
    /// Declares how often the scheduled job `name` of `repository` should run.
    pub async fn declare_schedule(
        &self,
        repository: String,
        name: String,
        interval_us: i64,
    ) -> Result<(), StoreError> {
        if interval_us <= 0 {
            return Err(StoreError::Invalid("an interval must be positive".into()));
        }
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("a schedule needs a job name".into()));
        }
        self.run(move |conn| {
            db::write(conn, |conn| {
                let repository = repositories::existing(conn, &repository)?;
                per_backend!(conn, |c| diesel::insert_into(schedules::table)
                    .values((
                        schedules::repository_id.eq(repository.id.0),
                        schedules::name.eq(&name),
                        schedules::interval_us.eq(interval_us),
                    ))
                    .on_conflict((schedules::repository_id, schedules::name))
                    .do_update()
                    .set(schedules::interval_us.eq(excluded(schedules::interval_us)))
                    .execute(c)?);
                Ok(())
            })
        })
        .await
    }

    /// The repository's scheduled jobs by name (declared or seen), overdue ones first.
    pub async fn scheduled_jobs(
        &self,
        repository_id: RepositoryId,
        now: i64,
    ) -> Result<Vec<ScheduledJob>, StoreError> {
        self.run(move |conn| {
            let newest = |conn: &mut crate::db::DbConnection,
                          results: Option<&[&str]>|
             -> Result<Vec<(String, Option<i64>)>, StoreError> {
                let scheduled = jobs::table
                    .filter(jobs::repository_id.eq(repository_id.0))
                    .filter(sql::<Bool>(SCHEDULED));
                Ok(match results {
                    None => scheduled
                        .group_by(jobs::name)
                        .select((jobs::name, max(jobs::id)))
                        .load(conn)?,
                    Some(results) => scheduled
                        .filter(jobs::result.eq_any(results))
                        .group_by(jobs::name)
                        .select((jobs::name, max(jobs::id)))
                        .load(conn)?,
                })
            };
            let failures: Vec<&str> = JobResult::ALL
                .iter()
                .filter(|r| r.is_failure())
                .map(|r| r.as_str())
                .collect();
            let last_run = newest(conn, None)?;
            let last_success = newest(conn, Some(&[JobResult::Success.as_str()]))?;
            let last_failure = newest(conn, Some(&failures))?;
            let declared: Vec<(String, i64)> = schedules::table
                .filter(schedules::repository_id.eq(repository_id.0))
                .select((schedules::name, schedules::interval_us))
                .load(conn)?;

            let ids: Vec<i64> = [&last_run, &last_success, &last_failure]
                .iter()
                .flat_map(|rows| rows.iter().filter_map(|(_, id)| *id))
                .collect();
            let mut found: HashMap<i64, Job> = HashMap::new();
            for chunk in ids.chunks(BATCH_ROWS) {
                let rows: Vec<JobRow> = jobs::table
                    .filter(jobs::id.eq_any(chunk))
                    .select(JobRow::as_select())
                    .load(conn)?;
                found.extend(into_jobs(rows)?.into_iter().map(|j| (j.id.0, j)));
            }
            let mut by_name: BTreeMap<String, ScheduledJob> = BTreeMap::new();
            let entry = |by_name: &mut BTreeMap<String, ScheduledJob>, name: &str| {
                by_name
                    .entry(name.to_owned())
                    .or_insert_with(|| ScheduledJob {
                        name: name.to_owned(),
                        interval_us: None,
                        last_run: None,
                        last_success: None,
                        last_failure: None,
                        due_at: None,
                        overdue: false,
                    })
                    .clone()
            };
            for (name, interval) in declared {
                let mut job = entry(&mut by_name, &name);
                job.interval_us = Some(interval);
                by_name.insert(name, job);
            }
            for (rows, slot) in [(last_run, 0), (last_success, 1), (last_failure, 2)] {
                for (name, id) in rows {
                    let mut job = entry(&mut by_name, &name);
                    let run = id.and_then(|id| found.get(&id).cloned());
                    match slot {
                        0 => job.last_run = run,
                        1 => job.last_success = run,
                        _ => job.last_failure = run,
                    }
                    by_name.insert(name, job);
                }
            }
            let mut all: Vec<ScheduledJob> = by_name
                .into_values()
                .map(|mut job| {
                    if let Some(interval) = job.interval_us {
                        job.due_at = job
                            .last_run
                            .as_ref()
                            .and_then(started)
                            .map(|at| at.saturating_add(interval));
                        job.overdue = job.due_at.is_none_or(|due| due < now);
                    }
                    job
                })
                .collect();
            all.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.name.cmp(&b.name)));
            Ok(all)
        })
        .await
    }
}
