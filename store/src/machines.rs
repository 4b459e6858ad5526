//! Reading machines of every build system: what each is doing now, following the jobs
//! written (a job running on a machine makes it BUSY, its completion IDLE) or set by hand
//! (OFFLINE, QUARANTINED with a reason and an end), a history of state changes, and the
//! flakiness signal that makes a bad machine stand out from its platform. Writes are in
//! `machine_writes.rs`, the state rule in `treeherd_model::machine_state`.
//!
//! A machine is named by its build system and name. A state set by hand holds until its end;
//! after that the machine reads as whatever its jobs say, without anyone having to flip it
//! back.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use std::collections::HashMap;
use treeherd_model::machine_state::{self, MachineStatus};
use treeherd_model::{JobResult, JobState, MachineState};

use crate::db::BATCH_ROWS;
use crate::jobs::{JobRow, into_jobs};
use crate::schema::{jobs, machine_events, machines};
use crate::{Job, Page, PageRequest, Store, StoreError};

/// The build system of a job that names none.
pub const UNKNOWN_BUILD_SYSTEM: &str = "unknown";

/// A machine as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub id: i64,
    pub build_system: String,
    pub name: String,
    pub platform: Option<String>,
    pub os: Option<String>,
    pub architecture: Option<String>,
    /// What it is doing now (a state set by hand that ended reads as what its jobs say).
    pub state: MachineState,
    pub current_job_id: Option<i64>,
    /// When a job last ran on it (unix microseconds): now while one runs, else when the
    /// last one finished.
    pub last_seen_at: i64,
    /// Why it was set to its state by hand, and until when.
    pub reason: Option<String>,
    pub until: Option<i64>,
}

/// One change of a machine's state.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineEvent {
    pub at: i64,
    pub state: MachineState,
    pub job_id: Option<i64>,
    pub reason: Option<String>,
}

/// Which machines a listing holds.
#[derive(Debug, Clone, Default)]
pub struct MachineFilter {
    pub build_system: Option<String>,
    pub state: Option<MachineState>,
    pub platform: Option<String>,
}

/// How a machine's jobs fared beside its platform's, over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineFlakiness {
    pub build_system: String,
    pub name: String,
    pub platform: String,
    /// Its completed jobs in the window, and how many failed.
    pub jobs: i64,
    pub failed: i64,
    /// The same over every machine of the platform.
    pub platform_jobs: i64,
    pub platform_failed: i64,
    /// Enough jobs, and a failure share at least twice the platform's and 10 points above.
    pub flagged: bool,
}

impl MachineFlakiness {
    pub fn failure_rate(&self) -> f64 {
        ratio(self.failed, self.jobs)
    }

    pub fn platform_failure_rate(&self) -> f64 {
        ratio(self.platform_failed, self.platform_jobs)
    }
}

fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The machines of `ids` that exist, as they are at `now`, in no particular order.
pub(crate) fn by_ids(
    conn: &mut crate::db::DbConnection,
    ids: &[i64],
    now: i64,
) -> Result<Vec<Machine>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_ROWS) {
        let rows: Vec<MachineRow> = machines::table
            .filter(machines::id.eq_any(chunk))
            .select(MachineRow::as_select())
            .load(conn)?;
        for row in rows {
            found.push(row.into_machine(now)?);
        }
    }
    Ok(found)
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = machines)]
pub(crate) struct MachineRow {
    pub(crate) id: i64,
    pub(crate) build_system: String,
    pub(crate) name: String,
    pub(crate) platform: Option<String>,
    pub(crate) os: Option<String>,
    pub(crate) architecture: Option<String>,
    pub(crate) state: String,
    pub(crate) current_job_id: Option<i64>,
    pub(crate) last_seen_at: i64,
    pub(crate) reason: Option<String>,
    pub(crate) until: Option<i64>,
}

impl MachineRow {
    pub(crate) fn into_machine(self, now: i64) -> Result<Machine, StoreError> {
        let stored = MachineStatus {
            state: self.state.parse()?,
            current_job: self.current_job_id,
            until: self.until,
            last_seen_at: self.last_seen_at,
        };
        let state = machine_state::state_at(&stored, now);
        let by_hand = state == stored.state && machine_state::by_hand(stored.state);
        Ok(Machine {
            id: self.id,
            build_system: self.build_system,
            name: self.name,
            platform: self.platform,
            os: self.os,
            architecture: self.architecture,
            state,
            current_job_id: self.current_job_id,
            last_seen_at: self.last_seen_at,
            reason: self.reason.filter(|_| by_hand),
            until: self.until.filter(|_| by_hand),
        })
    }
}

impl Store {
    /// One machine by build system and name.
    pub async fn machine(
        &self,
        build_system: String,
        name: String,
        now: i64,
    ) -> Result<Option<Machine>, StoreError> {
        self.run(move |conn| {
            let row: Option<MachineRow> = machines::table
                .filter(machines::build_system.eq(&build_system))
                .filter(machines::name.eq(&name))
                .select(MachineRow::as_select())
                .first(conn)
                .optional()?;
            row.map(|r| r.into_machine(now)).transpose()
        })
        .await
    }

    /// Machines by id (for loaders).
    pub async fn machines_by_id(
        &self,
        ids: Vec<i64>,
        now: i64,
    ) -> Result<HashMap<i64, Machine>, StoreError> {
        self.run(move |conn| {
            Ok(by_ids(conn, &ids, now)?
                .into_iter()
                .map(|machine| (machine.id, machine))
                .collect())
        })
        .await
    }

    /// A page of machines in the order they were first seen, filtered; a state filter
    /// matches the state a machine is in at `now`.
    pub async fn machines(
        &self,
        filter: MachineFilter,
        page: PageRequest,
        now: i64,
    ) -> Result<Page<Machine>, StoreError> {
        self.run(move |conn| {
            let mut query = machines::table.into_boxed();
            if let Some(build_system) = &filter.build_system {
                query = query.filter(machines::build_system.eq(build_system.clone()));
            }
            if let Some(platform) = &filter.platform {
                query = query.filter(machines::platform.eq(platform.clone()));
            }
            if let Some(state) = filter.state {
                query = query.filter(sql::<Bool>(&state_at(state, now)));
            }
            if let Some(after) = page.after {
                query = query.filter(machines::id.gt(after));
            }
            let rows: Vec<MachineRow> = query
                .order(machines::id)
                .limit(overfetch(page.limit))
                .select(MachineRow::as_select())
                .load(conn)?;
            let items = rows
                .into_iter()
                .map(|r| r.into_machine(now))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_overfetch(items, page.limit))
        })
        .await
    }

    /// Each machine's state changes, oldest first, by machine id.
    pub async fn machine_history(
        &self,
        machine_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<MachineEvent>>, StoreError> {
        self.run(move |conn| {
            let mut by_machine: HashMap<i64, Vec<MachineEvent>> = HashMap::new();
            for chunk in machine_ids.chunks(BATCH_ROWS) {
                type Row = (i64, i64, String, Option<i64>, Option<String>);
                let rows: Vec<Row> = machine_events::table
                    .filter(machine_events::machine_id.eq_any(chunk))
                    .order((machine_events::machine_id, machine_events::id))
                    .select((
                        machine_events::machine_id,
                        machine_events::at,
                        machine_events::state,
                        machine_events::job_id,
                        machine_events::reason,
                    ))
                    .load(conn)?;
                for (machine, at, state, job_id, reason) in rows {
                    by_machine.entry(machine).or_default().push(MachineEvent {
                        at,
                        state: state.parse()?,
                        job_id,
                        reason,
                    });
                }
            }
            Ok(by_machine)
        })
        .await
    }

    /// A page of the jobs that ran on a machine, newest first.
    pub async fn machine_jobs(
        &self,
        build_system: String,
        name: String,
        page: PageRequest,
    ) -> Result<Page<Job>, StoreError> {
        self.run(move |conn| {
            let mut query = jobs::table.filter(jobs::machine.eq(&name)).into_boxed();
            query = if build_system == UNKNOWN_BUILD_SYSTEM {
                query.filter(jobs::build_system.is_null())
            } else {
                query.filter(jobs::build_system.eq(build_system.clone()))
            };
            if let Some(after) = page.after {
                query = query.filter(jobs::id.lt(after));
            }
            let rows: Vec<JobRow> = query
                .order(jobs::id.desc())
                .limit(overfetch(page.limit))
                .select(JobRow::as_select())
                .load(conn)?;
            Ok(Page::from_overfetch(into_jobs(rows)?, page.limit))
        })
        .await
    }

    /// Every machine of `build_system` with completed jobs finished in `[since, until)`,
    /// beside its platform: flagged when it has at least `min_jobs` and fails at least twice
    /// as often as its platform and 10 points more. Flagged first, then by failure share.
    pub async fn machine_flakiness(
        &self,
        build_system: String,
        since: i64,
        until: i64,
        min_jobs: i64,
    ) -> Result<Vec<MachineFlakiness>, StoreError> {
        self.run(move |conn| {
            let mut query = jobs::table
                .filter(jobs::machine.is_not_null())
                .filter(jobs::state.eq(JobState::Completed.as_str()))
                .filter(jobs::finished_at.ge(since))
                .filter(jobs::finished_at.lt(until))
                .into_boxed();
            query = if build_system == UNKNOWN_BUILD_SYSTEM {
                query.filter(jobs::build_system.is_null())
            } else {
                query.filter(jobs::build_system.eq(build_system.clone()))
            };
            let rows: Vec<(Option<String>, Option<String>, String)> = query
                .select((jobs::machine, jobs::platform, jobs::result))
                .load(conn)?;
            let mut per_machine: HashMap<(String, String), (i64, i64)> = HashMap::new();
            let mut per_platform: HashMap<String, (i64, i64)> = HashMap::new();
            for (machine, platform, result) in rows {
                let (Some(machine), platform) = (machine, platform.unwrap_or_default()) else {
                    continue;
                };
                let result: JobResult = result.parse()?;
                if matches!(result, JobResult::Retry | JobResult::Superseded) {
                    continue;
                }
                let failed = i64::from(result.is_failure());
                let m = per_machine.entry((machine, platform.clone())).or_default();
                m.0 += 1;
                m.1 += failed;
                let p = per_platform.entry(platform).or_default();
                p.0 += 1;
                p.1 += failed;
            }
            let mut signal: Vec<MachineFlakiness> = per_machine
                .into_iter()
                .map(|((name, platform), (jobs, failed))| {
                    let (platform_jobs, platform_failed) =
                        per_platform.get(&platform).copied().unwrap_or_default();
                    let mut m = MachineFlakiness {
                        build_system: build_system.clone(),
                        name,
                        platform,
                        jobs,
                        failed,
                        platform_jobs,
                        platform_failed,
                        flagged: false,
                    };
                    let (own, all) = (m.failure_rate(), m.platform_failure_rate());
                    m.flagged = jobs >= min_jobs && own >= 2.0 * all && own >= all + 0.1;
                    m
                })
                .collect();
            signal.sort_by(|a, b| {
                b.flagged
                    .cmp(&a.flagged)
                    .then(b.failure_rate().total_cmp(&a.failure_rate()))
                    .then(a.name.cmp(&b.name))
            });
            Ok(signal)
        })
        .await
    }
}

/// SQL for machines in `state` at `now` (a state set by hand that ended reads as what the
/// jobs say): `machine_state::state_at` in SQL, tested against it (`tests/rules.rs`). Only
/// an enum's spelling and a number are formatted in.
fn state_at(state: MachineState, now: i64) -> String {
    let ended = format!("machines.until IS NOT NULL AND machines.until <= {now}");
    let by_hand = "machines.state IN ('OFFLINE', 'QUARANTINED')";
    match state {
        MachineState::Offline | MachineState::Quarantined => {
            format!("machines.state = '{}' AND NOT ({ended})", state.as_str())
        }
        MachineState::Busy => format!(
            "(machines.state = 'BUSY' OR ({by_hand} AND {ended} AND machines.current_job_id IS NOT NULL))"
        ),
        MachineState::Idle => format!(
            "(machines.state = 'IDLE' OR ({by_hand} AND {ended} AND machines.current_job_id IS NULL))"
        ),
    }
}

fn overfetch(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}
