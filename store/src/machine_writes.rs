//! Writing machines: following the jobs written, and a state set by hand. Reads are in
//! `machines.rs`; the rule itself is `treeherd_model::machine_state`, and this file only
//! loads and stores around it.
//!
//! Every job write moves the machines its running or completed jobs name, in the same
//! transaction (a machine is known once a job ran on it). A state is set by hand only on a
//! known machine: a typo must not make a phantom machine. Each stored state change is a
//! history row.

use diesel::prelude::*;
use diesel::upsert::excluded;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use treeherd_model::machine_state::{self, JobOnMachine, MachineStatus};
use treeherd_model::{MachineState, NewJob};

use crate::change_log::{self, ChangeKind};
use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::machines::{MachineRow, UNKNOWN_BUILD_SYSTEM};
use crate::schema::{machine_events, machines};
use crate::{Machine, Store, StoreError};

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

/// A machine's build system and name: what names it.
type MachineKey = (String, String);

/// A machine being brought up to date by the jobs of a batch.
struct Follow {
    platform: Option<String>,
    os: Option<String>,
    architecture: Option<String>,
    status: MachineStatus,
    reason: Option<String>,
    /// The state before the batch (`None`: a new machine).
    before: Option<MachineState>,
    last_job: Option<i64>,
}

impl Follow {
    /// A machine as stored, or a new one.
    fn start(row: Option<MachineRow>) -> Follow {
        let Some(row) = row else {
            return Follow {
                platform: None,
                os: None,
                architecture: None,
                status: MachineStatus::NEW,
                reason: None,
                before: None,
                last_job: None,
            };
        };
        let before = row.state.parse::<MachineState>().ok();
        Follow {
            platform: row.platform,
            os: row.os,
            architecture: row.architecture,
            status: MachineStatus {
                state: before.unwrap_or(MachineState::Idle),
                current_job: row.current_job_id,
                until: row.until,
                last_seen_at: row.last_seen_at,
            },
            reason: row.reason,
            before,
            last_job: None,
        }
    }

    /// The machine after `job` (stored as `job_id`) was written at `now`: what the job says of
    /// the machine's platform, os and architecture, and the state rule.
    fn take(&mut self, job: &NewJob, job_id: i64, now: i64) {
        let text = |key: &str| {
            job.attributes
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        self.platform = job.platform.clone().or(self.platform.take());
        self.os = text("os").or(self.os.take());
        self.architecture = text("architecture").or(self.architecture.take());
        self.last_job = Some(job_id);
        let write = JobOnMachine {
            job: job_id,
            state: job.state,
            finished_at: job.finished_at,
        };
        self.status = machine_state::follow(self.status, write, now);
        if !machine_state::by_hand(self.status.state) {
            self.reason = None;
        }
    }

    fn values(&self, (build_system, name): &MachineKey) -> MachineValues {
        MachineValues {
            build_system: build_system.clone(),
            name: name.clone(),
            platform: self.platform.clone(),
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            state: self.status.state.as_str(),
            current_job_id: self.status.current_job,
            last_seen_at: self.status.last_seen_at,
            reason: self.reason.clone(),
            until: self.status.until,
        }
    }
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
        .filter(|job| job.machine.is_some() && machine_state::moves(job.state))
        .filter_map(|job| Some((*job, *ids.get(&job.guid)?)))
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let mut stored = stored_machines(conn, &named)?;
    let mut follows: HashMap<MachineKey, Follow> = HashMap::new();
    let mut order: Vec<MachineKey> = Vec::new();
    for (job, job_id) in named {
        let Some(name) = job.machine.clone() else {
            continue;
        };
        let build_system = job
            .build_system
            .clone()
            .unwrap_or_else(|| UNKNOWN_BUILD_SYSTEM.to_owned());
        let follow = match follows.entry((build_system, name)) {
            Entry::Occupied(follow) => follow.into_mut(),
            Entry::Vacant(slot) => {
                order.push(slot.key().clone());
                let row = stored.remove(slot.key());
                slot.insert(Follow::start(row))
            }
        };
        follow.take(job, job_id, now);
    }
    let machine_ids = upsert_machines(conn, &order, &follows)?;
    record_changes(conn, &order, &follows, &machine_ids, now)
}

/// The stored machines named by the jobs, by (build system, name).
fn stored_machines(
    conn: &mut DbConnection,
    named: &[(&NewJob, i64)],
) -> Result<HashMap<MachineKey, MachineRow>, StoreError> {
    let mut names: Vec<&str> = named
        .iter()
        .filter_map(|(job, _)| job.machine.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut stored = HashMap::new();
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
    Ok(stored)
}

/// Upserts the followed machines; gives back their ids.
fn upsert_machines(
    conn: &mut DbConnection,
    order: &[MachineKey],
    follows: &HashMap<MachineKey, Follow>,
) -> Result<HashMap<MachineKey, i64>, StoreError> {
    let values: Vec<MachineValues> = order
        .iter()
        .filter_map(|key| Some(follows.get(key)?.values(key)))
        .collect();
    let mut machine_ids = HashMap::with_capacity(values.len());
    for chunk in values.chunks(BATCH_ROWS / 2) {
        let written: Vec<(i64, String, String)> =
            per_backend!(conn, |c| diesel::insert_into(machines::table)
                .values(chunk)
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
    Ok(machine_ids)
}

/// A history row for each followed machine whose state changed (or that is new).
fn record_changes(
    conn: &mut DbConnection,
    order: &[MachineKey],
    follows: &HashMap<MachineKey, Follow>,
    machine_ids: &HashMap<MachineKey, i64>,
    now: i64,
) -> Result<(), StoreError> {
    let mut events = Vec::new();
    for key in order {
        let Some(follow) = follows.get(key) else {
            continue;
        };
        let state = follow.status.state;
        if follow.before == Some(state) {
            continue;
        }
        let machine_id = machine_ids
            .get(key)
            .copied()
            .ok_or_else(|| StoreError::internal("a followed machine was not written"))?;
        events.push(EventValues {
            machine_id,
            at: now,
            state: state.as_str(),
            job_id: follow.last_job,
            reason: None,
        });
    }
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
        machine_state::check_by_hand(state, until, now)
            .map_err(|refusal| StoreError::Invalid(refusal.to_string()))?;
        self.run(move |conn| {
            db::write(conn, |conn| {
                // First: job writes, which hold it, update machines too.
                db::lock_log_writers(conn)?;
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
                let stored_state = machine_state::set_by_hand(state, existing.current_job_id);
                let by_hand = machine_state::by_hand(stored_state);
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
                change_log::append(conn, ChangeKind::Machine, &[(None, row.id)])?;
                row.into_machine(now)
            })
        })
        .await
    }
}
