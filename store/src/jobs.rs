//! Jobs: upserted by guid in batches, listed by repository or push with filters, and the
//! index of the attribute values each repository declares (datazilla-style: the whole
//! attribute object is kept as JSON; only declared keys get rows in `job_attributes`).
//! Filtering on a key the repository does not declare is invalid (`BAD_USER_INPUT`).
//!
//! A job guid belongs to one repository forever: upserting it from another is a conflict
//! (`CONFLICT`). So a write-scope check made before a write stays true during it.
//!
//! A job version the lifecycle refuses (a completed job sent again with another result, a
//! state moving back) leaves the job as it is and comes back as an [`IgnoredJob`], so the
//! sender learns that its write changed nothing, and why.

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::graph;
use crate::schema::{job_attributes, jobs, pushes};
use crate::{
    Job, JobFilter, JobMark, JobScope, Page, PageRequest, Repository, Store, StoreError,
    repositories,
};
use treeherd_model::{JobResult, JobState, NewJob, TIERS, lifecycle};

#[derive(Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub(crate) struct JobRow {
    id: i64,
    guid: String,
    repository_id: i64,
    push_row_id: Option<i64>,
    kind: String,
    name: String,
    symbol: Option<String>,
    group_symbol: Option<String>,
    group_name: Option<String>,
    platform: Option<String>,
    build_system: Option<String>,
    state: String,
    result: String,
    tier: i32,
    machine: Option<String>,
    submitted_at: Option<i64>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    attributes: String,
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;
    fn try_from(row: JobRow) -> Result<Job, StoreError> {
        Ok(Job {
            id: row.id,
            guid: row.guid,
            repository_id: row.repository_id,
            push_row_id: row.push_row_id,
            kind: row.kind.parse()?,
            name: row.name,
            symbol: row.symbol,
            group_symbol: row.group_symbol,
            group_name: row.group_name,
            platform: row.platform,
            build_system: row.build_system,
            state: row.state.parse()?,
            result: row.result.parse()?,
            tier: row.tier,
            machine: row.machine,
            submitted_at: row.submitted_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            attributes_json: row.attributes,
        })
    }
}

pub(crate) fn into_jobs(rows: Vec<JobRow>) -> Result<Vec<Job>, StoreError> {
    rows.into_iter().map(Job::try_from).collect()
}

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

    pub async fn job(&self, guid: String) -> Result<Option<Job>, StoreError> {
        self.run(move |conn| {
            jobs::table
                .filter(jobs::guid.eq(&guid))
                .select(JobRow::as_select())
                .first(conn)
                .optional()?
                .map(Job::try_from)
                .transpose()
        })
        .await
    }

    /// How many jobs a repository has.
    pub async fn count_jobs(&self, repository_id: i64) -> Result<i64, StoreError> {
        self.run(move |conn| {
            Ok(jobs::table
                .filter(jobs::repository_id.eq(repository_id))
                .count()
                .get_result(conn)?)
        })
        .await
    }

    pub async fn jobs_by_id(&self, ids: Vec<i64>) -> Result<HashMap<i64, Job>, StoreError> {
        self.run(move |conn| {
            let rows = jobs::table
                .filter(jobs::id.eq_any(&ids))
                .select(JobRow::as_select())
                .load(conn)?;
            Ok(into_jobs(rows)?.into_iter().map(|j| (j.id, j)).collect())
        })
        .await
    }

    /// The repository name of each known guid (unknown guids are left out).
    pub async fn job_repositories(
        &self,
        guids: Vec<String>,
    ) -> Result<HashMap<String, String>, StoreError> {
        use crate::schema::repositories;
        self.run(move |conn| {
            let mut found = HashMap::with_capacity(guids.len());
            for chunk in guids.chunks(BATCH_ROWS) {
                let rows: Vec<(String, String)> = jobs::table
                    .inner_join(repositories::table)
                    .filter(jobs::guid.eq_any(chunk))
                    .select((jobs::guid, repositories::name))
                    .load(conn)?;
                found.extend(rows);
            }
            Ok(found)
        })
        .await
    }

    /// Jobs of a repository or push, newest first; `after` is a job id (exclusive). Filtering
    /// on an attribute key the repository does not index is invalid.
    pub async fn jobs(
        &self,
        scope: JobScope,
        filter: JobFilter,
        page: PageRequest,
    ) -> Result<Page<Job>, StoreError> {
        self.run(move |conn| {
            if !filter.attributes.is_empty() {
                let repository = match scope {
                    JobScope::Repository(id) => repositories::by_id(conn, id)?,
                    JobScope::Push(id) => {
                        let repository_id = pushes::table
                            .find(id)
                            .select(pushes::repository_id)
                            .first(conn)?;
                        repositories::by_id(conn, repository_id)?
                    }
                };
                check_filter_keys(&repository, &filter)?;
            }
            // The hottest read: decoded through the concrete connection, which is markedly
            // cheaper per row than MultiConnection's dynamic rows.
            let rows: Vec<JobRow> = per_backend!(conn, |c| {
                let mut query = jobs::table
                    .select(JobRow::as_select())
                    .order(jobs::id.desc())
                    .limit(page.limit as i64 + 1)
                    .into_boxed();
                query = match scope {
                    JobScope::Repository(id) => query.filter(jobs::repository_id.eq(id)),
                    JobScope::Push(id) => query.filter(jobs::push_row_id.eq(id)),
                };
                if let Some(after) = page.after {
                    query = query.filter(jobs::id.lt(after));
                }
                if let Some(kind) = filter.kind {
                    query = query.filter(jobs::kind.eq(kind.as_str()));
                }
                if let Some(state) = filter.state {
                    query = query.filter(jobs::state.eq(state.as_str()));
                }
                if let Some(result) = filter.result {
                    query = query.filter(jobs::result.eq(result.as_str()));
                }
                if let Some(tier) = filter.tier {
                    query = query.filter(jobs::tier.eq(tier));
                }
                if let Some(platform) = &filter.platform {
                    query = query.filter(jobs::platform.eq(platform));
                }
                for word in &filter.name_words {
                    query = query.filter(lower(jobs::name).like(like_pattern(word)).escape('\\'));
                }
                for (key, value) in &filter.attributes {
                    query = query.filter(
                        jobs::id.eq_any(
                            job_attributes::table
                                .filter(job_attributes::key.eq(key))
                                .filter(job_attributes::value.eq(value))
                                .select(job_attributes::job_id),
                        ),
                    );
                }
                query.load(c)?
            });
            Ok(Page::from_overfetch(into_jobs(rows)?, page.limit))
        })
        .await
    }
}

diesel::define_sql_function! {
    /// The text in lower case (ASCII letters only on SQLite).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A `LIKE` pattern matching text that contains `word` anywhere, with `\` escaping the
/// pattern's own `%`, `_` and `\`.
fn like_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn check_filter_keys(repository: &Repository, filter: &JobFilter) -> Result<(), StoreError> {
    for (key, _) in &filter.attributes {
        if !repository.indexed_attributes.contains(key) {
            return Err(StoreError::Invalid(format!(
                "attribute {key:?} is not indexed for repository {:?} (indexed: {})",
                repository.name,
                repository.indexed_attributes.join(", ")
            )));
        }
    }
    Ok(())
}

/// The values of `keys` in `attributes` as index rows: scalars as their text (strings bare,
/// numbers and booleans as JSON), each scalar element of an array; null and objects are not
/// indexed.
pub(crate) fn indexed_values<'k>(
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

pub(crate) fn upsert(conn: &mut DbConnection, new: Vec<NewJob>) -> Result<Vec<Job>, StoreError> {
    upsert_reporting(conn, new).map(|(jobs, _)| jobs)
}

/// [`upsert`], also returning the versions the lifecycle refused.
fn upsert_reporting(
    conn: &mut DbConnection,
    new: Vec<NewJob>,
) -> Result<(Vec<Job>, Vec<IgnoredJob>), StoreError> {
    db::lock_graph_writers(conn)?;
    // Within the batch, a later version of a guid wins where the lifecycle allows it; keep
    // first-seen order for the answer.
    let mut position: HashMap<&str, usize> = HashMap::with_capacity(new.len());
    let mut batch: Vec<&NewJob> = Vec::with_capacity(new.len());
    // The batch index of each guid's winning version, and the versions that lost.
    let mut chosen: HashMap<&str, usize> = HashMap::with_capacity(new.len());
    let mut ignored = Vec::new();
    for (index, job) in new.iter().enumerate() {
        match position.get(job.guid.as_str()) {
            Some(&at) => {
                if lifecycle::accepts(status(batch[at]), status(job)) {
                    batch[at] = job;
                    chosen.insert(&job.guid, index);
                } else {
                    ignored.push(IgnoredJob {
                        index,
                        guid: job.guid.clone(),
                        reason: refusal(
                            "an earlier version in this batch has it",
                            status(batch[at]),
                            status(job),
                        ),
                    });
                }
            }
            None => {
                position.insert(&job.guid, batch.len());
                chosen.insert(&job.guid, index);
                batch.push(job);
            }
        }
    }
    let names: Vec<&str> = {
        let mut names: Vec<&str> = batch.iter().map(|j| j.repository.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    };
    let repos = repositories::existing_by_name(conn, &names)?;
    let order: Vec<&str> = batch.iter().map(|j| j.guid.as_str()).collect();
    // Against what is stored: a job whose change the lifecycle refuses is left as it is.
    let stored = stored_statuses(conn, &order)?;
    for job in &batch {
        if let Some((repository_id, _)) = stored.get(&job.guid)
            && *repository_id != repos[job.repository.as_str()].id
        {
            return Err(StoreError::Conflict(format!(
                "job {:?} belongs to another repository than {:?}",
                job.guid, job.repository
            )));
        }
    }
    let stored: HashMap<String, (JobState, JobResult)> = stored
        .into_iter()
        .map(|(guid, (_, status))| (guid, status))
        .collect();
    let (batch, unchanged): (Vec<&NewJob>, Vec<&NewJob>) = batch.into_iter().partition(|job| {
        stored
            .get(&job.guid)
            .is_none_or(|now| lifecycle::accepts(*now, status(job)))
    });
    for job in &unchanged {
        if let Some(now) = stored.get(&job.guid) {
            ignored.push(IgnoredJob {
                index: chosen.get(job.guid.as_str()).copied().unwrap_or_default(),
                guid: job.guid.clone(),
                reason: refusal("it is stored", *now, status(job)),
            });
        }
    }
    ignored.sort_by_key(|i| i.index);
    let position: HashMap<&str, usize> = batch
        .iter()
        .enumerate()
        .map(|(i, j)| (j.guid.as_str(), i))
        .collect();

    let push_ids = resolve_pushes(conn, &repos, &batch)?;

    let mut values = Vec::with_capacity(batch.len());
    for job in &batch {
        let repository = &repos[job.repository.as_str()];
        values.push(JobValues {
            guid: &job.guid,
            repository_id: repository.id,
            push_row_id: job
                .revision
                .as_ref()
                .map(|r| push_ids[&(repository.id, r.as_str())]),
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

    let mut ids: HashMap<String, i64> = HashMap::with_capacity(batch.len());
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
            let job = batch[position[guid.as_str()]];
            let wanted = repos[job.repository.as_str()].id;
            if repository_id != wanted {
                return Err(StoreError::Conflict(format!(
                    "job {guid:?} belongs to another repository than {:?}",
                    job.repository
                )));
            }
            ids.insert(guid, id);
        }
    }

    reindex_attributes(conn, &repos, &batch, &ids, &stored)?;
    bind_dangling_edges(conn, &batch, &ids)?;
    crate::artifacts::record(conn, &batch, &ids)?;
    crate::machines::follow_jobs(conn, &batch, &ids, db::now_micros())?;
    let mut changed: Vec<i64> = ids.values().copied().collect();
    changed.sort_unstable();
    graph::log_changes(conn, &changed)?;

    let mut written: HashMap<String, Job> = batch
        .into_iter()
        .zip(values)
        .map(|(job, row)| {
            Ok(Job {
                id: *ids
                    .get(&job.guid)
                    .ok_or_else(|| StoreError::internal("upsert returned no id"))?,
                guid: job.guid.clone(),
                repository_id: row.repository_id,
                push_row_id: row.push_row_id,
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
            })
            .map(|stored| (stored.guid.clone(), stored))
        })
        .collect::<Result<_, StoreError>>()?;
    if !unchanged.is_empty() {
        let guids: Vec<&str> = unchanged.iter().map(|j| j.guid.as_str()).collect();
        for chunk in guids.chunks(BATCH_ROWS) {
            let rows = jobs::table
                .filter(jobs::guid.eq_any(chunk))
                .select(JobRow::as_select())
                .load(conn)?;
            written.extend(into_jobs(rows)?.into_iter().map(|j| (j.guid.clone(), j)));
        }
    }
    let jobs = order
        .into_iter()
        .filter_map(|guid| written.remove(guid))
        .collect();
    Ok((jobs, ignored))
}

fn mark(conn: &mut DbConnection, marks: &[JobMark]) -> Result<usize, StoreError> {
    if marks.is_empty() {
        return Ok(0);
    }
    db::lock_graph_writers(conn)?;
    let guids: Vec<&str> = marks.iter().map(|m| m.guid.as_str()).collect();
    let stored = stored_statuses(conn, &guids)?;
    let mut names: Vec<&str> = marks.iter().map(|m| m.repository.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let repos = repositories::existing_by_name(conn, &names)?;
    let mut changed = Vec::new();
    for m in marks {
        let Some((repository_id, now)) = stored.get(&m.guid) else {
            continue;
        };
        let marking = (JobState::Completed, m.result);
        if *repository_id != repos[m.repository.as_str()].id
            || !lifecycle::accepts(*now, marking)
            || *now == marking
        {
            continue;
        }
        diesel::update(jobs::table.filter(jobs::guid.eq(&m.guid)))
            .set((
                jobs::state.eq(JobState::Completed.as_str()),
                jobs::result.eq(m.result.as_str()),
            ))
            .execute(conn)?;
        changed.push(
            jobs::table
                .filter(jobs::guid.eq(&m.guid))
                .select(jobs::id)
                .first(conn)?,
        );
    }
    graph::log_changes(conn, &changed)?;
    Ok(changed.len())
}

fn status(job: &NewJob) -> (JobState, JobResult) {
    (job.state, job.result)
}

/// The repository, state and result of the stored jobs among `guids`.
type StoredStatus = (i64, (JobState, JobResult));

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
                .entry(repos[job.repository.as_str()].id)
                .or_default()
                .push(revision.as_str());
        }
    }
    let mut found = HashMap::new();
    for (repository_id, mut revisions) in wanted {
        revisions.sort_unstable();
        revisions.dedup();
        let rows = crate::pushes::rows_for_revisions(conn, repository_id, &revisions)?;
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
    use crate::schema::job_dependencies;
    let waiting: Vec<String> = {
        let guids: Vec<&str> = batch.iter().map(|j| j.guid.as_str()).collect();
        let mut waiting = Vec::new();
        for chunk in guids.chunks(BATCH_ROWS) {
            let found: Vec<String> = job_dependencies::table
                .filter(job_dependencies::dependency_guid.eq_any(chunk))
                .filter(job_dependencies::dependency_id.is_null())
                .select(job_dependencies::dependency_guid)
                .distinct()
                .load(conn)?;
            waiting.extend(found);
        }
        waiting
    };
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
        let keys = &repos[job.repository.as_str()].indexed_attributes;
        if keys.is_empty() {
            continue;
        }
        let id = ids[&job.guid];
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
