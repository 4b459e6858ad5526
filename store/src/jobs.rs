//! Reading jobs: one by guid or id, counted, listed by repository or push with filters.
//! Writes are in `job_writes.rs`.
//!
//! A repository declares the attribute keys its jobs are indexed by (datazilla-style: the
//! whole attribute object is kept as JSON; only declared keys get rows in `job_attributes`).
//! Filtering on a key the repository does not declare is invalid (`BAD_USER_INPUT`).

use diesel::prelude::*;
use std::collections::HashMap;

use crate::change_log::ChangeKind;
use crate::db::{BATCH_ROWS, DbConnection, lower};
use crate::schema::{change_log, job_attributes, job_classifications, jobs, pushes};
use crate::types::{UNCLASSIFIED_IDS, raw_ids};
use crate::{
    FAILED_RESULTS, Job, JobFilter, JobId, JobScope, Page, PageRequest, PushId, Repository,
    RepositoryId, Store, StoreError, repositories,
};

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
            id: JobId(row.id),
            guid: row.guid,
            repository_id: RepositoryId(row.repository_id),
            push_row_id: row.push_row_id.map(PushId),
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

/// The jobs of `ids` that exist, in no particular order.
pub(crate) fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Job>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_ROWS) {
        let rows = jobs::table
            .filter(jobs::id.eq_any(chunk))
            .select(JobRow::as_select())
            .load(conn)?;
        found.extend(into_jobs(rows)?);
    }
    Ok(found)
}

pub(crate) fn into_jobs(rows: Vec<JobRow>) -> Result<Vec<Job>, StoreError> {
    rows.into_iter().map(Job::try_from).collect()
}

impl Store {
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
    pub async fn count_jobs(&self, repository_id: RepositoryId) -> Result<i64, StoreError> {
        self.run(move |conn| {
            Ok(jobs::table
                .filter(jobs::repository_id.eq(repository_id.0))
                .count()
                .get_result(conn)?)
        })
        .await
    }

    pub async fn jobs_by_id(&self, ids: Vec<JobId>) -> Result<HashMap<JobId, Job>, StoreError> {
        self.run(move |conn| {
            Ok(by_ids(conn, &raw_ids(&ids))?
                .into_iter()
                .map(|j| (j.id, j))
                .collect())
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
                    JobScope::Repository(id) => repositories::by_id(conn, id.0)?,
                    JobScope::Push(id) => {
                        let repository_id = pushes::table
                            .find(id.0)
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
                    JobScope::Repository(id) => query.filter(jobs::repository_id.eq(id.0)),
                    JobScope::Push(id) => query.filter(jobs::push_row_id.eq(id.0)),
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
                if let Some(unclassified) = filter.unclassified_failure {
                    let failed = jobs::result.eq_any(FAILED_RESULTS.map(|r| r.as_str()));
                    let classified = jobs::id.eq_any(
                        job_classifications::table
                            .filter(job_classifications::classification.ne_all(UNCLASSIFIED_IDS))
                            .select(job_classifications::job_id),
                    );
                    query = if unclassified {
                        query.filter(failed.and(diesel::dsl::not(classified)))
                    } else {
                        query.filter(diesel::dsl::not(failed).or(classified))
                    };
                }
                if !filter.push_ids.is_empty() {
                    query = query.filter(
                        jobs::push_row_id.eq_any(
                            pushes::table
                                .filter(pushes::push_id.eq_any(&filter.push_ids))
                                .select(pushes::id.nullable()),
                        ),
                    );
                }
                if let Some(after) = filter.changed_after {
                    query = query.filter(
                        jobs::id.eq_any(
                            change_log::table
                                .filter(change_log::seq.gt(after))
                                .filter(change_log::kind.eq(ChangeKind::Job.as_str()))
                                .select(change_log::subject_id),
                        ),
                    );
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
