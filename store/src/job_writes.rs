//! Writing jobs: one batched path for every way jobs come in (the `submitJobs` mutation, pulse
//! messages, task graphs, release jobs), so that each applies the same rules. Reads are in
//! `jobs.rs`.
//!
//! A batch is one transaction, under the graph writers' lock; a conflict anywhere leaves
//! nothing of it. In order:
//! - within the batch, a later version of a guid wins where the lifecycle
//!   (`treeherd_model::lifecycle`) allows it;
//! - a job guid belongs to one repository forever: one stored under another repository is a
//!   conflict (`CONFLICT`), so a write-scope check made before a write stays true during it;
//! - a version the lifecycle refuses against what is stored (a completed job sent again with
//!   another result, a state moving back) leaves the job as it is and comes back as an
//!   [`IgnoredJob`], so the sender learns that its write changed nothing, and why;
//! - a revision the pushlog has not brought yet gets a placeholder push;
//! - the rows are upserted by guid, then, in the same transaction, their indexed attributes
//!   (only the keys the repository declares), the edges that waited for them bound, their
//!   logs and artifacts, their machines (`machine_writes.rs`) and the graph change log.

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde_json::{Map, Value};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use treeherd_model::{JobResult, JobState, NewJob, TIERS, lifecycle};

use crate::change_log::{self, ChangeKind};
use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::jobs::{JobRow, into_jobs};
use crate::schema::{job_attributes, job_dependencies, jobs};
use crate::{
    Job, JobId, JobMark, PushId, Repository, RepositoryId, Store, StoreError, artifacts, graph,
    machine_writes, pushes, repositories,
};

#[derive(Insertable)]
#[diesel(table_name = jobs, treat_none_as_default_value = false)]
struct JobValues<'a> {
    guid: &'a str,
    repository_id: i64,
    push_row_id: Option<i64>,
    kind: &'static str,
    name: &'a str,
    symbol: Option<&'a str>,
    group_symbol: Option<&'a str>,
    group_name: Option<&'a str>,
    platform: Option<&'a str>,
    build_system: Option<&'a str>,
    state: &'static str,
    result: &'static str,
    tier: i32,
    machine: Option<&'a str>,
    submitted_at: Option<i64>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    attributes: String,
}

#[derive(Insertable)]
#[diesel(table_name = job_attributes, treat_none_as_default_value = false)]
struct AttributeValues<'a> {
    job_id: i64,
    key: &'a str,
    value: String,
}

/// A submitted job version the lifecycle refused: the job stays as stored (or as an earlier
/// version of the same batch left it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredJob {
    /// Its position in the submitted batch (0-based).
    pub index: usize,
    pub guid: String,
    /// Why, naming the state and result that stand.
    pub reason: String,
}

/// What a batch of jobs came to.
#[derive(Debug, Clone, Default)]
pub struct JobsWritten {
    /// The jobs as stored, one per distinct guid, in the order first submitted.
    pub jobs: Vec<Job>,
    /// Earlier runs marked SUPERSEDED or RETRY.
    pub marked: usize,
    /// The versions the lifecycle refused, in batch order.
    pub ignored: Vec<IgnoredJob>,
}

impl Store {
    /// Upserts jobs by guid in one transaction. A guid seen twice in the batch keeps its last
    /// version. A guid that belongs to another repository is a conflict, an unknown
    /// repository or revision is not found; either way nothing is written.
    pub async fn submit_jobs(&self, new: Vec<NewJob>) -> Result<Vec<Job>, StoreError> {
        self.ingest_jobs(new, Vec::new())
            .await
            .map(|written| written.jobs)
    }

    /// [`Store::submit_jobs`] and, in the same transaction, marks stored jobs as ended
    /// another way (SUPERSEDED, RETRY) where the lifecycle allows. Marks naming unknown jobs,
    /// or jobs of another repository, are skipped. Returns the jobs, how many were marked, and
    /// the versions the lifecycle refused.
    pub async fn ingest_jobs(
        &self,
        new: Vec<NewJob>,
        marks: Vec<JobMark>,
    ) -> Result<JobsWritten, StoreError> {
        for (index, job) in new.iter().enumerate() {
            check(index, job)?;
        }
        one_repository_per_guid(&new)?;
        self.run(move |conn| {
            let (written, before, after) = db::write(conn, |conn| {
                let before = highest_id(conn)?;
                let (jobs, ignored) = upsert_reporting(conn, new)?;
                let marked = mark(conn, &marks)?;
                let written = JobsWritten {
                    jobs,
                    marked,
                    ignored,
                };
                Ok((written, before, highest_id(conn)?))
            })?;
            // A table that doubled needs fresh planner statistics (PostgreSQL): without them a
            // later batch's guid lookups scan the table once per thousand guids.
            if db::doubled(before, after) {
                db::analyze(conn, &["jobs", "job_attributes"])?;
            }
            Ok(written)
        })
        .await
    }
}

/// The highest job id: about how many jobs are stored (ids are never reused).
fn highest_id(conn: &mut DbConnection) -> Result<i64, StoreError> {
    let id: Option<i64> = jobs::table.select(diesel::dsl::max(jobs::id)).first(conn)?;
    Ok(id.unwrap_or(0))
}

/// Checks what the database cannot: guid, name and tier.
pub(crate) fn check(index: usize, job: &NewJob) -> Result<(), StoreError> {
    let invalid = |rule: String| Err(StoreError::Invalid(format!("job {index}: {rule}")));
    if job.guid.is_empty() || job.guid.len() > 200 {
        return invalid(format!("guid {:?} must be 1 to 200 characters", job.guid));
    }
    if job.name.is_empty() {
        return invalid(format!("job {:?} needs a name", job.guid));
    }
    if !TIERS.contains(&job.tier) {
        return invalid(format!(
            "tier {} of job {:?} is not within {}..={}",
            job.tier,
            job.guid,
            TIERS.start(),
            TIERS.end()
        ));
    }
    Ok(())
}

/// A guid belongs to one repository: a batch giving one guid for two is refused whole
/// rather than resolved to either (pulse ingestion rejects such a message alone before it
/// gets here).
pub(crate) fn one_repository_per_guid(new: &[NewJob]) -> Result<(), StoreError> {
    let mut first: HashMap<&str, (usize, &str)> = HashMap::with_capacity(new.len());
    for (index, job) in new.iter().enumerate() {
        let (at, repository) = *first
            .entry(job.guid.as_str())
            .or_insert((index, job.repository.as_str()));
        if repository != job.repository {
            return Err(StoreError::Invalid(format!(
                "job {index}: guid {:?} is job {at}'s, of repository {repository:?}, not of {:?}: \
                 a guid belongs to one repository",
                job.guid, job.repository
            )));
        }
    }
    Ok(())
}

/// Upserts a batch of jobs (already [`check`]ed) inside the caller's transaction.
pub(crate) fn upsert(conn: &mut DbConnection, new: Vec<NewJob>) -> Result<Vec<Job>, StoreError> {
    upsert_reporting(conn, new).map(|(jobs, _)| jobs)
}

/// [`upsert`], also returning the versions the lifecycle refused.
fn upsert_reporting(
    conn: &mut DbConnection,
    new: Vec<NewJob>,
) -> Result<(Vec<Job>, Vec<IgnoredJob>), StoreError> {
    db::lock_log_writers(conn)?;
    let Latest {
        jobs: batch,
        index,
        mut ignored,
    } = latest_versions(&new);
    let repos = repositories_of(conn, &batch)?;
    // The answer keeps first-seen order, whichever versions change nothing.
    let order: Vec<&str> = batch.iter().map(|j| j.guid.as_str()).collect();
    let stored = stored_statuses(conn, &order)?;
    refuse_other_repositories(&batch, &repos, &stored)?;
    let (batch, unchanged) = against_stored(batch, &stored, &index, &mut ignored);
    ignored.sort_by_key(|i| i.index);

    let push_rows = resolve_pushes(conn, &repos, &batch)?;
    let values = job_values(&batch, &repos, &push_rows)?;
    let ids = upsert_rows(conn, &batch, &values)?;
    follow_writes(conn, &repos, &batch, &ids, &stored)?;

    let mut written = as_written(&batch, values, &ids)?;
    written.extend(as_stored(conn, &unchanged)?);
    let jobs = order
        .into_iter()
        .filter_map(|guid| written.remove(guid))
        .collect();
    Ok((jobs, ignored))
}

/// The version of each guid a batch ends with, in the order guids were first seen.
struct Latest<'a> {
    jobs: Vec<&'a NewJob>,
    /// The batch index of each guid's winning version.
    index: HashMap<&'a str, usize>,
    /// The versions that lost to an earlier one.
    ignored: Vec<IgnoredJob>,
}

/// Within a batch, a later version of a guid wins where the lifecycle allows it.
fn latest_versions(new: &[NewJob]) -> Latest<'_> {
    let mut winners: HashMap<&str, (usize, &NewJob)> = HashMap::with_capacity(new.len());
    let mut order: Vec<&str> = Vec::with_capacity(new.len());
    let mut ignored = Vec::new();
    for (index, job) in new.iter().enumerate() {
        match winners.entry(job.guid.as_str()) {
            Entry::Vacant(slot) => {
                order.push(job.guid.as_str());
                slot.insert((index, job));
            }
            Entry::Occupied(mut slot) => {
                let (_, earlier) = *slot.get();
                if lifecycle::accepts(status(earlier), status(job)) {
                    slot.insert((index, job));
                } else {
                    ignored.push(IgnoredJob {
                        index,
                        guid: job.guid.clone(),
                        reason: refusal(
                            "an earlier version in this batch has it",
                            status(earlier),
                            status(job),
                        ),
                    });
                }
            }
        }
    }
    let jobs = order
        .iter()
        .filter_map(|guid| winners.get(guid).map(|&(_, job)| job))
        .collect();
    let index = winners
        .into_iter()
        .map(|(guid, (index, _))| (guid, index))
        .collect();
    Latest {
        jobs,
        index,
        ignored,
    }
}

/// The repositories the batch names, each once; an unknown one is not found.
fn repositories_of(
    conn: &mut DbConnection,
    batch: &[&NewJob],
) -> Result<HashMap<String, Repository>, StoreError> {
    let mut names: Vec<&str> = batch.iter().map(|j| j.repository.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    repositories::existing_by_name(conn, &names)
}

/// The repository of `job` among those loaded for its batch.
fn repository_of<'r>(
    repos: &'r HashMap<String, Repository>,
    job: &NewJob,
) -> Result<&'r Repository, StoreError> {
    repos.get(job.repository.as_str()).ok_or_else(|| {
        StoreError::internal(format!(
            "repository {:?} of job {:?} was not loaded",
            job.repository, job.guid
        ))
    })
}

fn another_repository(guid: &str, repository: &str) -> StoreError {
    StoreError::Conflict(format!(
        "job {guid:?} belongs to another repository than {repository:?}"
    ))
}

/// A guid stored under another repository than the one the batch names is a conflict.
fn refuse_other_repositories(
    batch: &[&NewJob],
    repos: &HashMap<String, Repository>,
    stored: &HashMap<String, StoredStatus>,
) -> Result<(), StoreError> {
    for job in batch {
        if let Some((repository_id, _)) = stored.get(&job.guid)
            && *repository_id != repository_of(repos, job)?.id.0
        {
            return Err(another_repository(&job.guid, &job.repository));
        }
    }
    Ok(())
}

/// Splits the batch into the jobs to write and those the lifecycle leaves as stored, each of
/// the latter reported in `ignored`.
fn against_stored<'a>(
    batch: Vec<&'a NewJob>,
    stored: &HashMap<String, StoredStatus>,
    index: &HashMap<&str, usize>,
    ignored: &mut Vec<IgnoredJob>,
) -> (Vec<&'a NewJob>, Vec<&'a NewJob>) {
    let (write, unchanged): (Vec<&NewJob>, Vec<&NewJob>) = batch.into_iter().partition(|job| {
        stored
            .get(&job.guid)
            .is_none_or(|(_, now)| lifecycle::accepts(*now, status(job)))
    });
    for job in &unchanged {
        if let Some((_, now)) = stored.get(&job.guid) {
            ignored.push(IgnoredJob {
                index: index.get(job.guid.as_str()).copied().unwrap_or_default(),
                guid: job.guid.clone(),
                reason: refusal("it is stored", *now, status(job)),
            });
        }
    }
    (write, unchanged)
}

/// Why the lifecycle keeps a job at `current` (`whose`: where that status comes from) rather
/// than take `incoming`.
fn refusal(whose: &str, current: (JobState, JobResult), incoming: (JobState, JobResult)) -> String {
    let (state, result) = current;
    let (new_state, new_result) = incoming;
    if state == JobState::Completed && new_state == JobState::Completed {
        format!(
            "{whose} COMPLETED with result {}; a completed job changes only to be marked SUPERSEDED or RETRY, so result {} is ignored",
            result.as_str(),
            new_result.as_str()
        )
    } else {
        format!(
            "{whose} {}; a job's state never moves back, so {} is ignored",
            state.as_str(),
            new_state.as_str()
        )
    }
}

/// The rows to upsert, one per job of the batch.
fn job_values<'a>(
    batch: &[&'a NewJob],
    repos: &HashMap<String, Repository>,
    push_rows: &HashMap<(i64, &str), i64>,
) -> Result<Vec<JobValues<'a>>, StoreError> {
    let mut values = Vec::with_capacity(batch.len());
    for job in batch {
        let repository_id = repository_of(repos, job)?.id.0;
        let push_row_id = match &job.revision {
            Some(revision) => Some(
                push_rows
                    .get(&(repository_id, revision.as_str()))
                    .copied()
                    .ok_or_else(|| StoreError::internal("push row of a job's revision missing"))?,
            ),
            None => None,
        };
        values.push(JobValues {
            guid: &job.guid,
            repository_id,
            push_row_id,
            kind: job.kind.as_str(),
            name: &job.name,
            symbol: job.symbol.as_deref(),
            group_symbol: job.group_symbol.as_deref(),
            group_name: job.group_name.as_deref(),
            platform: job.platform.as_deref(),
            build_system: job.build_system.as_deref(),
            state: job.state.as_str(),
            result: job.result.as_str(),
            tier: job.tier,
            machine: job.machine.as_deref(),
            submitted_at: job.submitted_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            attributes: serde_json::to_string(&job.attributes)?,
        });
    }
    Ok(values)
}

/// Upserts the rows by guid and gives back each guid's id. A row that comes back under
/// another repository (its guid was written by another transaction meanwhile) is a conflict.
fn upsert_rows(
    conn: &mut DbConnection,
    batch: &[&NewJob],
    values: &[JobValues<'_>],
) -> Result<HashMap<String, i64>, StoreError> {
    let wanted: HashMap<&str, (i64, &str)> = values
        .iter()
        .zip(batch)
        .map(|(row, job)| (row.guid, (row.repository_id, job.repository.as_str())))
        .collect();
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(values.len());
    for chunk in values.chunks(BATCH_ROWS) {
        let written: Vec<(i64, String, i64)> = per_backend!(conn, |c| {
            diesel::insert_into(jobs::table)
                .values(chunk)
                .on_conflict(jobs::guid)
                .do_update()
                .set((
                    jobs::push_row_id.eq(excluded(jobs::push_row_id)),
                    jobs::kind.eq(excluded(jobs::kind)),
                    jobs::name.eq(excluded(jobs::name)),
                    jobs::symbol.eq(excluded(jobs::symbol)),
                    jobs::group_symbol.eq(excluded(jobs::group_symbol)),
                    jobs::group_name.eq(excluded(jobs::group_name)),
                    jobs::platform.eq(excluded(jobs::platform)),
                    jobs::build_system.eq(excluded(jobs::build_system)),
                    jobs::state.eq(excluded(jobs::state)),
                    jobs::result.eq(excluded(jobs::result)),
                    jobs::tier.eq(excluded(jobs::tier)),
                    jobs::machine.eq(excluded(jobs::machine)),
                    jobs::submitted_at.eq(excluded(jobs::submitted_at)),
                    jobs::started_at.eq(excluded(jobs::started_at)),
                    jobs::finished_at.eq(excluded(jobs::finished_at)),
                    jobs::attributes.eq(excluded(jobs::attributes)),
                ))
                .returning((jobs::id, jobs::guid, jobs::repository_id))
                .get_results(c)?
        });
        for (id, guid, repository_id) in written {
            let &(wanted_id, repository) = wanted
                .get(guid.as_str())
                .ok_or_else(|| StoreError::internal("upsert returned a guid not written"))?;
            if repository_id != wanted_id {
                return Err(another_repository(&guid, repository));
            }
            ids.insert(guid, id);
        }
    }
    Ok(ids)
}

/// What a job write brings along in the same transaction: indexed attributes, edges bound,
/// logs and artifacts, machines, and the graph change log.
fn follow_writes(
    conn: &mut DbConnection,
    repos: &HashMap<String, Repository>,
    batch: &[&NewJob],
    ids: &HashMap<String, i64>,
    stored: &HashMap<String, StoredStatus>,
) -> Result<(), StoreError> {
    reindex_attributes(conn, repos, batch, ids, stored)?;
    bind_dangling_edges(conn, batch, ids)?;
    artifacts::record(conn, batch, ids)?;
    machine_writes::follow_jobs(conn, batch, ids, db::now_micros())?;
    let mut changed: Vec<i64> = ids.values().copied().collect();
    changed.sort_unstable();
    graph::log_changes(conn, &changed)?;
    // Subscribers hear each job written, in the order it was submitted.
    let events: Vec<(Option<i64>, i64)> = batch
        .iter()
        .filter_map(|job| Some((Some(repos.get(&job.repository)?.id.0), *ids.get(&job.guid)?)))
        .collect();
    change_log::append(conn, ChangeKind::Job, &events)
}

/// The written jobs as stored, by guid, built from what was written (no read back).
fn as_written(
    batch: &[&NewJob],
    values: Vec<JobValues<'_>>,
    ids: &HashMap<String, i64>,
) -> Result<HashMap<String, Job>, StoreError> {
    batch
        .iter()
        .zip(values)
        .map(|(job, row)| {
            let id = ids
                .get(&job.guid)
                .copied()
                .ok_or_else(|| StoreError::internal("upsert returned no id"))?;
            let stored = Job {
                id: JobId(id),
                guid: job.guid.clone(),
                repository_id: RepositoryId(row.repository_id),
                push_row_id: row.push_row_id.map(PushId),
                kind: job.kind,
                name: job.name.clone(),
                symbol: job.symbol.clone(),
                group_symbol: job.group_symbol.clone(),
                group_name: job.group_name.clone(),
                platform: job.platform.clone(),
                build_system: job.build_system.clone(),
                state: job.state,
                result: job.result,
                tier: job.tier,
                machine: job.machine.clone(),
                submitted_at: job.submitted_at,
                started_at: job.started_at,
                finished_at: job.finished_at,
                attributes_json: row.attributes,
            };
            Ok((stored.guid.clone(), stored))
        })
        .collect()
}

/// The jobs the lifecycle left as they are, as stored, by guid.
fn as_stored(
    conn: &mut DbConnection,
    unchanged: &[&NewJob],
) -> Result<HashMap<String, Job>, StoreError> {
    let guids: Vec<&str> = unchanged.iter().map(|j| j.guid.as_str()).collect();
    let mut found = HashMap::with_capacity(guids.len());
    for chunk in guids.chunks(BATCH_ROWS) {
        let rows = jobs::table
            .filter(jobs::guid.eq_any(chunk))
            .select(JobRow::as_select())
            .load(conn)?;
        found.extend(into_jobs(rows)?.into_iter().map(|j| (j.guid.clone(), j)));
    }
    Ok(found)
}

/// Marks stored jobs as ended another way where the lifecycle allows; skips marks naming
/// unknown jobs or jobs of another repository. Returns how many changed.
fn mark(conn: &mut DbConnection, marks: &[JobMark]) -> Result<usize, StoreError> {
    if marks.is_empty() {
        return Ok(0);
    }
    db::lock_log_writers(conn)?;
    let guids: Vec<&str> = marks.iter().map(|m| m.guid.as_str()).collect();
    let stored = stored_statuses(conn, &guids)?;
    let mut names: Vec<&str> = marks.iter().map(|m| m.repository.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let repos = repositories::existing_by_name(conn, &names)?;
    let mut changed = Vec::new();
    let mut events = Vec::new();
    for m in marks {
        let Some((repository_id, now)) = stored.get(&m.guid) else {
            continue;
        };
        let marking = (JobState::Completed, m.result);
        let same_repository = repos
            .get(m.repository.as_str())
            .is_some_and(|r| r.id.0 == *repository_id);
        if !same_repository || !lifecycle::accepts(*now, marking) || *now == marking {
            continue;
        }
        diesel::update(jobs::table.filter(jobs::guid.eq(&m.guid)))
            .set((
                jobs::state.eq(JobState::Completed.as_str()),
                jobs::result.eq(m.result.as_str()),
            ))
            .execute(conn)?;
        let id = jobs::table
            .filter(jobs::guid.eq(&m.guid))
            .select(jobs::id)
            .first(conn)?;
        changed.push(id);
        events.push((Some(*repository_id), id));
    }
    graph::log_changes(conn, &changed)?;
    change_log::append(conn, ChangeKind::Job, &events)?;
    Ok(changed.len())
}

fn status(job: &NewJob) -> (JobState, JobResult) {
    (job.state, job.result)
}

/// The repository, state and result of a stored job.
type StoredStatus = (i64, (JobState, JobResult));

/// The [`StoredStatus`] of the stored jobs among `guids`, by guid.
fn stored_statuses(
    conn: &mut DbConnection,
    guids: &[&str],
) -> Result<HashMap<String, StoredStatus>, StoreError> {
    let mut found = HashMap::with_capacity(guids.len());
    for chunk in guids.chunks(BATCH_ROWS) {
        let rows: Vec<(String, i64, String, String)> = jobs::table
            .filter(jobs::guid.eq_any(chunk))
            .select((jobs::guid, jobs::repository_id, jobs::state, jobs::result))
            .load(conn)?;
        for (guid, repository_id, state, result) in rows {
            found.insert(guid, (repository_id, (state.parse()?, result.parse()?)));
        }
    }
    Ok(found)
}

/// The push row of every (repository, revision) the batch names; a revision the pushlog has
/// not brought yet gets a placeholder push, which the pushlog fills in later.
fn resolve_pushes<'a>(
    conn: &mut DbConnection,
    repos: &HashMap<String, Repository>,
    batch: &[&'a NewJob],
) -> Result<HashMap<(i64, &'a str), i64>, StoreError> {
    let mut wanted: HashMap<i64, Vec<&'a str>> = HashMap::new();
    for job in batch {
        if let Some(revision) = &job.revision {
            wanted
                .entry(repository_of(repos, job)?.id.0)
                .or_default()
                .push(revision.as_str());
        }
    }
    let mut found = HashMap::new();
    for (repository_id, mut revisions) in wanted {
        revisions.sort_unstable();
        revisions.dedup();
        let rows = pushes::rows_for_revisions(conn, repository_id, &revisions)?;
        for revision in revisions {
            let id = rows
                .get(revision)
                .ok_or_else(|| StoreError::internal("push row missing after insert"))?;
            found.insert((repository_id, revision), *id);
        }
    }
    Ok(found)
}

/// Binds the edges that named any of these guids before the job arrived.
fn bind_dangling_edges(
    conn: &mut DbConnection,
    batch: &[&NewJob],
    ids: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    let guids: Vec<&str> = batch.iter().map(|j| j.guid.as_str()).collect();
    let mut waiting: Vec<String> = Vec::new();
    for chunk in guids.chunks(BATCH_ROWS) {
        let found: Vec<String> = job_dependencies::table
            .filter(job_dependencies::dependency_guid.eq_any(chunk))
            .filter(job_dependencies::dependency_id.is_null())
            .select(job_dependencies::dependency_guid)
            .distinct()
            .load(conn)?;
        waiting.extend(found);
    }
    for guid in waiting {
        let id = ids.get(&guid).copied();
        diesel::update(
            job_dependencies::table
                .filter(job_dependencies::dependency_guid.eq(&guid))
                .filter(job_dependencies::dependency_id.is_null()),
        )
        .set(job_dependencies::dependency_id.eq(id))
        .execute(conn)?;
    }
    Ok(())
}

/// Writes the indexed attribute rows of written jobs; those of jobs stored before (`stored`,
/// by guid) replace their old rows. A new job has none to delete.
fn reindex_attributes<T>(
    conn: &mut DbConnection,
    repos: &HashMap<String, Repository>,
    batch: &[&NewJob],
    ids: &HashMap<String, i64>,
    stored: &HashMap<String, T>,
) -> Result<(), StoreError> {
    let mut stale = Vec::new();
    let mut rows = Vec::new();
    for job in batch {
        let keys = &repository_of(repos, job)?.indexed_attributes;
        if keys.is_empty() {
            continue;
        }
        let id = ids
            .get(&job.guid)
            .copied()
            .ok_or_else(|| StoreError::internal("upsert returned no id"))?;
        if stored.contains_key(&job.guid) {
            stale.push(id);
        }
        rows.extend(
            indexed_values(&job.attributes, keys)
                .into_iter()
                .map(|(key, value)| AttributeValues {
                    job_id: id,
                    key,
                    value,
                }),
        );
    }
    for chunk in stale.chunks(BATCH_ROWS) {
        diesel::delete(job_attributes::table.filter(job_attributes::job_id.eq_any(chunk)))
            .execute(conn)?;
    }
    for chunk in rows.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(job_attributes::table)
            .values(chunk)
            .execute(c)?);
    }
    Ok(())
}

/// The values of `keys` in `attributes` as index rows: scalars as their text (strings bare,
/// numbers and booleans as JSON), each scalar element of an array; null and objects are not
/// indexed.
fn indexed_values<'k>(
    attributes: &Map<String, Value>,
    keys: &'k [String],
) -> Vec<(&'k str, String)> {
    fn scalar(value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }
    let mut values = Vec::new();
    for key in keys {
        match attributes.get(key) {
            Some(Value::Array(items)) => {
                let mut seen = HashSet::new();
                for item in items.iter().filter_map(scalar) {
                    if seen.insert(item.clone()) {
                        values.push((key.as_str(), item));
                    }
                }
            }
            Some(value) => values.extend(scalar(value).map(|v| (key.as_str(), v))),
            None => {}
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(attributes: Value, keys: &[&str], expected: &[(&str, &str)]) {
        let Value::Object(attributes) = attributes else {
            panic!("not an object")
        };
        let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        let got = indexed_values(&attributes, &keys);
        let got: Vec<(&str, &str)> = got.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn indexes_scalars_and_array_elements_of_declared_keys_only() {
        check(json!({"a": "x", "b": "y"}), &["a"], &[("a", "x")]);
        check(
            json!({"n": 3, "t": true}),
            &["n", "t"],
            &[("n", "3"), ("t", "true")],
        );
        check(
            json!({"labels": ["x", 2, "x", null, {"o": 1}]}),
            &["labels"],
            &[("labels", "x"), ("labels", "2")],
        );
        check(
            json!({"a": null, "o": {"k": 1}}),
            &["a", "o", "missing"],
            &[],
        );
    }
}
