//! Machines of every build system: what each is doing now, following the jobs written (a job
//! running on a machine makes it BUSY, its completion IDLE) or set by hand (OFFLINE,
//! QUARANTINED with a reason and an end), a history of state changes, and the flakiness
//! signal that makes a bad machine stand out from its platform.
//!
//! A machine is named by its build system and name. A state set by hand holds until its end
//! (a machine set OFFLINE that runs a job is evidently up again and takes the job's state);
//! after that the machine is whatever its jobs say, without anyone having to flip it back.
//! Every job write moves the machines its running or completed jobs name, in the same
//! transaction. Each stored state change is a history row.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::upsert::excluded;
use std::collections::HashMap;
use treeherd_model::{JobResult, JobState, MachineState, NewJob};

use crate::db::{self, BATCH_ROWS, DbConnection};
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

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = machines)]
struct MachineRow {
    id: i64,
    build_system: String,
    name: String,
    platform: Option<String>,
    os: Option<String>,
    architecture: Option<String>,
    state: String,
    current_job_id: Option<i64>,
    last_seen_at: i64,
    reason: Option<String>,
    until: Option<i64>,
}

impl MachineRow {
    fn into_machine(self, now: i64) -> Result<Machine, StoreError> {
        let stored: MachineState = self.state.parse()?;
        let state = effective(stored, self.until, self.current_job_id, now);
        let by_hand =
            state == stored && matches!(stored, MachineState::Offline | MachineState::Quarantined);
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

/// The state a machine is in at `now`: a state set by hand holds until its end.
fn effective(
    stored: MachineState,
    until: Option<i64>,
    current: Option<i64>,
    now: i64,
) -> MachineState {
    let by_hand = matches!(stored, MachineState::Offline | MachineState::Quarantined);
    if by_hand && until.is_some_and(|until| until <= now) {
        if current.is_some() {
            MachineState::Busy
        } else {
            MachineState::Idle
        }
    } else {
        stored
    }
}

#[derive(Insertable)]
#[diesel(table_name = machines, treat_none_as_default_value = false)]
struct MachineValues {
    build_system: String,
    name: String,
    platform: Option<String>,
    os: Option<String>,
    architecture: Option<String>,
    state: &'static str,
    current_job_id: Option<i64>,
    last_seen_at: i64,
    reason: Option<String>,
    until: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = machine_events, treat_none_as_default_value = false)]
struct EventValues {
    machine_id: i64,
    at: i64,
    state: &'static str,
    job_id: Option<i64>,
    reason: Option<String>,
}

/// A machine being brought up to date by the jobs of a batch.
struct Follow {
    values: MachineValues,
    /// The state before the batch (`None`: a new machine).
    before: Option<MachineState>,
    last_job: Option<i64>,
}

/// Brings the machines the written jobs ran on up to date, at `now`.
pub(crate) fn follow_jobs(
    conn: &mut DbConnection,
    batch: &[&NewJob],
    ids: &HashMap<String, i64>,
    now: i64,
) -> Result<(), StoreError> {
    let named: Vec<(&NewJob, i64)> = batch
        .iter()
        .filter(|job| job.machine.is_some())
        .filter(|job| matches!(job.state, JobState::Running | JobState::Completed))
        .filter_map(|job| Some((*job, *ids.get(&job.guid)?)))
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = named
        .iter()
        .filter_map(|(job, _)| job.machine.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut stored: HashMap<(String, String), MachineRow> = HashMap::new();
    for chunk in names.chunks(BATCH_ROWS) {
        let rows: Vec<MachineRow> = machines::table
            .filter(machines::name.eq_any(chunk))
            .select(MachineRow::as_select())
            .load(conn)?;
        stored.extend(
            rows.into_iter()
                .map(|row| ((row.build_system.clone(), row.name.clone()), row)),
        );
    }

    let mut follows: HashMap<(String, String), Follow> = HashMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for (job, job_id) in named {
        let Some(name) = job.machine.clone() else {
            continue;
        };
        let build_system = job
            .build_system
            .clone()
            .unwrap_or_else(|| UNKNOWN_BUILD_SYSTEM.to_owned());
        let key = (build_system.clone(), name.clone());
        let follow = match follows.get_mut(&key) {
            Some(follow) => follow,
            None => {
                order.push(key.clone());
                let row = stored.get(&key);
                let before = row.and_then(|r| r.state.parse::<MachineState>().ok());
                let values = match row {
                    Some(row) => MachineValues {
                        build_system,
                        name,
                        platform: row.platform.clone(),
                        os: row.os.clone(),
                        architecture: row.architecture.clone(),
                        state: before.unwrap_or(MachineState::Idle).as_str(),
                        current_job_id: row.current_job_id,
                        last_seen_at: row.last_seen_at,
                        reason: row.reason.clone(),
                        until: row.until,
                    },
                    None => MachineValues {
                        build_system,
                        name,
                        platform: None,
                        os: None,
                        architecture: None,
                        state: MachineState::Idle.as_str(),
                        current_job_id: None,
                        last_seen_at: i64::MIN,
                        reason: None,
                        until: None,
                    },
                };
                follows.entry(key.clone()).or_insert(Follow {
                    values,
                    before,
                    last_job: None,
                })
            }
        };
        let text = |key: &str| {
            job.attributes
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let v = &mut follow.values;
        v.platform = job.platform.clone().or(v.platform.take());
        v.os = text("os").or(v.os.take());
        v.architecture = text("architecture").or(v.architecture.take());
        follow.last_job = Some(job_id);
        // Seen when its job ended (a report of an old job does not make it seen now), or now
        // while the job runs; never later than now, never moving back.
        let seen = match job.state {
            JobState::Completed => job.finished_at.map_or(now, |t| t.min(now)),
            _ => now,
        };
        v.last_seen_at = v.last_seen_at.max(seen);
        let stored_state: MachineState = v.state.parse().unwrap_or(MachineState::Idle);
        let held = matches!(
            stored_state,
            MachineState::Quarantined | MachineState::Offline
        ) && v.until.is_none_or(|until| until > now);
        // A machine taken offline by hand that runs a job is evidently up again.
        let held = held && stored_state == MachineState::Quarantined;
        match job.state {
            JobState::Running => v.current_job_id = Some(job_id),
            JobState::Completed => {
                if v.current_job_id.is_none_or(|current| current == job_id) {
                    v.current_job_id = None;
                }
            }
            JobState::Pending | JobState::Unscheduled => {}
        }
        if !held {
            let next = if v.current_job_id.is_some() {
                MachineState::Busy
            } else {
                MachineState::Idle
            };
            v.state = next.as_str();
            v.reason = None;
            v.until = None;
        }
    }

    let values: Vec<&MachineValues> = order
        .iter()
        .filter_map(|k| follows.get(k))
        .map(|f| &f.values)
        .collect();
    let mut machine_ids: HashMap<(String, String), i64> = HashMap::with_capacity(values.len());
    for chunk in values.chunks(BATCH_ROWS / 2) {
        let written: Vec<(i64, String, String)> =
            per_backend!(conn, |c| diesel::insert_into(machines::table)
                .values(chunk.to_vec())
                .on_conflict((machines::build_system, machines::name))
                .do_update()
                .set((
                    machines::platform.eq(excluded(machines::platform)),
                    machines::os.eq(excluded(machines::os)),
                    machines::architecture.eq(excluded(machines::architecture)),
                    machines::state.eq(excluded(machines::state)),
                    machines::current_job_id.eq(excluded(machines::current_job_id)),
                    machines::last_seen_at.eq(excluded(machines::last_seen_at)),
                    machines::reason.eq(excluded(machines::reason)),
                    machines::until.eq(excluded(machines::until)),
                ))
                .returning((machines::id, machines::build_system, machines::name))
                .get_results(c)?);
        for (id, build_system, name) in written {
            machine_ids.insert((build_system, name), id);
        }
    }
    let events: Vec<EventValues> = order
        .iter()
        .filter_map(|key| {
            let follow = follows.get(key)?;
            let state: MachineState = follow.values.state.parse().ok()?;
            (follow.before != Some(state)).then(|| EventValues {
                machine_id: machine_ids.get(key).copied().unwrap_or_default(),
                at: now,
                state: state.as_str(),
                job_id: follow.last_job,
                reason: None,
            })
        })
        .collect();
    for chunk in events.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(machine_events::table)
            .values(chunk)
            .execute(c)?);
    }
    Ok(())
}

impl Store {
    /// Sets a machine's state by hand (OFFLINE or QUARANTINED with a reason and an optional
    /// end, or IDLE to put it back), recorded in its history. Returns the machine as it is
    /// now. A machine no job has named is not found, and nothing is written: a typo must not
    /// make a phantom machine.
    pub async fn set_machine_state(
        &self,
        build_system: String,
        name: String,
        state: MachineState,
        reason: Option<String>,
        until: Option<i64>,
        now: i64,
    ) -> Result<Machine, StoreError> {
        if state == MachineState::Busy {
            return Err(StoreError::Invalid(
                "a machine is BUSY when it runs a job; it cannot be set so".into(),
            ));
        }
        if until.is_some_and(|until| until <= now) {
            return Err(StoreError::Invalid("until must be in the future".into()));
        }
        self.run(move |conn| {
            db::write(conn, |conn| {
                let existing: MachineRow = machines::table
                    .filter(machines::build_system.eq(&build_system))
                    .filter(machines::name.eq(&name))
                    .select(MachineRow::as_select())
                    .first(conn)
                    .optional()?
                    .ok_or_else(|| {
                        StoreError::NotFound(format!(
                            "no machine {name:?} of build system {build_system:?}: a machine is known once a job runs on it"
                        ))
                    })?;
                let by_hand = matches!(state, MachineState::Offline | MachineState::Quarantined);
                // Putting a machine back: it is what its jobs say.
                let stored_state = match (state, existing.current_job_id) {
                    (MachineState::Idle, Some(_)) => MachineState::Busy,
                    (state, _) => state,
                };
                let row: MachineRow = per_backend!(conn, |c| diesel::update(
                    machines::table.find(existing.id)
                )
                .set((
                    machines::state.eq(stored_state.as_str()),
                    machines::reason.eq(reason.clone().filter(|_| by_hand)),
                    machines::until.eq(until.filter(|_| by_hand)),
                ))
                .returning(MachineRow::as_returning())
                .get_result(c)?);
                per_backend!(conn, |c| diesel::insert_into(machine_events::table)
                    .values(EventValues {
                        machine_id: row.id,
                        at: now,
                        state: stored_state.as_str(),
                        job_id: None,
                        reason,
                    })
                    .execute(c)?);
                row.into_machine(now)
            })
        })
        .await
    }

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
            let mut found = HashMap::with_capacity(ids.len());
            for chunk in ids.chunks(BATCH_ROWS) {
                let rows: Vec<MachineRow> = machines::table
                    .filter(machines::id.eq_any(chunk))
                    .select(MachineRow::as_select())
                    .load(conn)?;
                for row in rows {
                    let machine = row.into_machine(now)?;
                    found.insert(machine.id, machine);
                }
            }
            Ok(found)
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
/// jobs say). Only an enum's spelling and a number are formatted in.
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
