//! Pushes and their commits: one ordered pushlog per repository.
//!
//! A push row without a push id is a placeholder: a job named its revision before the pushlog
//! brought the push. Placeholders hold jobs but are no push to readers; the pushlog fills the
//! same row in when the push arrives, so nothing is duplicated.
//!
//! Queries whose best index planners misjudge are split into index lookups: a revision prefix
//! goes through `commits_by_revision`, then to pushes by row id.

use diesel::prelude::*;
use std::collections::HashMap;

use treeherd_model::{CommitRecord, PushRecord, Revision};

use crate::db::{BATCH_ROWS, DbConnection};
use crate::repositories;
use crate::schema::{commits, jobs, pushes};
use crate::types::raw_ids;
use crate::{
    JobCount, Page, PageRequest, Push, PushFilter, PushId, RepositoryId, Store, StoreError,
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = pushes)]
struct PushRow {
    id: i64,
    repository_id: i64,
    push_id: Option<i64>,
    revision: String,
    author: String,
    pushed_at: i64,
}

impl PushRow {
    /// The push, unless the row is a placeholder.
    fn known(self) -> Option<Push> {
        Some(Push {
            id: PushId(self.id),
            repository_id: RepositoryId(self.repository_id),
            push_id: self.push_id?,
            revision: self.revision,
            author: self.author,
            pushed_at: self.pushed_at,
        })
    }
}

/// The pushes of `ids` that exist and are not placeholders, in no particular order.
pub(crate) fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Push>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_ROWS) {
        let rows: Vec<PushRow> = pushes::table
            .filter(pushes::id.eq_any(chunk))
            .select(PushRow::as_select())
            .load(conn)?;
        found.extend(rows.into_iter().filter_map(PushRow::known));
    }
    Ok(found)
}

#[derive(Insertable)]
#[diesel(table_name = pushes, treat_none_as_default_value = false)]
pub(crate) struct PushValues<'a> {
    pub(crate) repository_id: i64,
    pub(crate) push_id: Option<i64>,
    pub(crate) revision: &'a str,
    pub(crate) author: &'a str,
    pub(crate) pushed_at: i64,
}

impl Store {
    /// A repository's pushes, newest first; `after` is a push id (exclusive).
    pub async fn pushes(
        &self,
        repository_id: RepositoryId,
        filter: PushFilter,
        page: PageRequest,
    ) -> Result<Page<Push>, StoreError> {
        self.run(move |conn| {
            let mut query = pushes::table
                .filter(pushes::repository_id.eq(repository_id.0))
                .filter(pushes::push_id.is_not_null())
                .select(PushRow::as_select())
                .order(pushes::push_id.desc())
                .limit(page.limit as i64 + 1)
                .into_boxed();
            if let Some(after) = page.after {
                query = query.filter(pushes::push_id.lt(after));
            }
            if let Some(author) = &filter.author {
                query = query.filter(pushes::author.eq(author));
            }
            if let Some(since) = filter.since {
                query = query.filter(pushes::pushed_at.ge(since));
            }
            if let Some(until) = filter.until {
                query = query.filter(pushes::pushed_at.lt(until));
            }
            let rows = query.load(conn)?;
            Ok(Page::from_overfetch(
                rows.into_iter().filter_map(PushRow::known).collect(),
                page.limit,
            ))
        })
        .await
    }

    /// The push of a repository that holds `revision`, as its own revision or one of its
    /// commits'; `revision` is a full revision or a prefix of at least
    /// [`MIN_REVISION_PREFIX`] hex digits. `NotFound` when the repository does not exist,
    /// `Invalid` for a short or ambiguous prefix; `None` when no push holds it.
    pub async fn push_by_revision(
        &self,
        repository: String,
        revision: String,
    ) -> Result<Option<Push>, StoreError> {
        let revision = revision.to_ascii_lowercase();
        let hex = revision.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex || !(MIN_REVISION_PREFIX..=Revision::LEN).contains(&revision.len()) {
            return Err(StoreError::Invalid(format!(
                "{revision:?} is not a revision or a prefix of {MIN_REVISION_PREFIX} to {} hex digits",
                Revision::LEN
            )));
        }
        self.run(move |conn| {
            let repository = repositories::existing(conn, &repository)?;
            find_by_revision(conn, repository.id.0, &revision)
        })
        .await
    }

    /// The push before (`Older`) or after (`Newer`) `push_id` in its repository's pushlog.
    pub async fn adjacent_push(
        &self,
        repository_id: RepositoryId,
        push_id: i64,
        direction: Direction,
    ) -> Result<Option<Push>, StoreError> {
        self.run(move |conn| {
            let query = pushes::table
                .filter(pushes::repository_id.eq(repository_id.0))
                .select(PushRow::as_select())
                .into_boxed();
            let query = match direction {
                Direction::Older => query
                    .filter(pushes::push_id.lt(push_id))
                    .order(pushes::push_id.desc()),
                Direction::Newer => query
                    .filter(pushes::push_id.gt(push_id))
                    .order(pushes::push_id.asc()),
            };
            Ok(query.first(conn).optional()?.and_then(PushRow::known))
        })
        .await
    }

    /// The highest push id of a repository (0 when it has no push yet).
    pub async fn last_push_id(&self, repository_id: RepositoryId) -> Result<i64, StoreError> {
        self.run(move |conn| {
            let last: Option<i64> = pushes::table
                .filter(pushes::repository_id.eq(repository_id.0))
                .select(diesel::dsl::max(pushes::push_id))
                .first(conn)?;
            Ok(last.unwrap_or(0))
        })
        .await
    }

    /// Pushes with `after < push id <= through`, oldest first, with their commits, at most
    /// `limit` of them: what `json-pushes` serves.
    pub async fn push_records(
        &self,
        repository_id: RepositoryId,
        after: i64,
        through: i64,
        limit: usize,
    ) -> Result<Vec<PushRecord>, StoreError> {
        self.run(move |conn| {
            let rows: Vec<PushRow> = pushes::table
                .filter(pushes::repository_id.eq(repository_id.0))
                .filter(pushes::push_id.gt(after))
                .filter(pushes::push_id.le(through))
                .select(PushRow::as_select())
                .order(pushes::push_id.asc())
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .load(conn)?;
            let pushes: Vec<Push> = rows.into_iter().filter_map(PushRow::known).collect();
            let ids: Vec<i64> = pushes.iter().map(|p| p.id.0).collect();
            let mut commits = commits_of(conn, &ids)?;
            pushes
                .into_iter()
                .map(|push| {
                    Ok(PushRecord {
                        push_id: Some(push.push_id),
                        revision: push.revision.parse()?,
                        author: push.author,
                        pushed_at: push.pushed_at,
                        commits: commits.remove(&push.id.0).unwrap_or_default(),
                    })
                })
                .collect()
        })
        .await
    }

    /// How many jobs of each push are in each state and result.
    pub async fn push_statuses(
        &self,
        push_row_ids: Vec<PushId>,
    ) -> Result<HashMap<PushId, Vec<JobCount>>, StoreError> {
        self.run(move |conn| {
            let mut by_push: HashMap<PushId, Vec<JobCount>> = HashMap::new();
            for chunk in raw_ids(&push_row_ids).chunks(BATCH_ROWS) {
                let rows: Vec<(Option<i64>, String, String, i64)> = jobs::table
                    .filter(jobs::push_row_id.eq_any(chunk))
                    .group_by((jobs::push_row_id, jobs::state, jobs::result))
                    .select((
                        jobs::push_row_id,
                        jobs::state,
                        jobs::result,
                        diesel::dsl::count_star(),
                    ))
                    .load(conn)?;
                for (push, state, result, count) in rows {
                    let Some(push) = push else { continue };
                    by_push.entry(PushId(push)).or_default().push(JobCount {
                        state: state.parse()?,
                        result: result.parse()?,
                        count,
                    });
                }
            }
            Ok(by_push)
        })
        .await
    }

    /// Pushes by the store's ids (placeholders are left out).
    pub async fn pushes_by_id(
        &self,
        ids: Vec<PushId>,
    ) -> Result<HashMap<PushId, Push>, StoreError> {
        self.run(move |conn| {
            Ok(by_ids(conn, &raw_ids(&ids))?
                .into_iter()
                .map(|push| (push.id, push))
                .collect())
        })
        .await
    }

    /// The revision of each push row, placeholders included (what a job was submitted for).
    pub async fn push_revisions(
        &self,
        ids: Vec<PushId>,
    ) -> Result<HashMap<PushId, String>, StoreError> {
        self.run(move |conn| {
            Ok(pushes::table
                .filter(pushes::id.eq_any(raw_ids(&ids)))
                .select((pushes::id, pushes::revision))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .map(|(id, revision)| (PushId(id), revision))
                .collect())
        })
        .await
    }

    /// The commits of each push, in push order.
    pub async fn commits(
        &self,
        push_ids: Vec<PushId>,
    ) -> Result<HashMap<PushId, Vec<CommitRecord>>, StoreError> {
        self.run(move |conn| {
            let commits = commits_of(conn, &raw_ids(&push_ids))?;
            Ok(commits.into_iter().map(|(id, c)| (PushId(id), c)).collect())
        })
        .await
    }
}

/// The least number of hex digits that finds a push by a revision prefix.
pub const MIN_REVISION_PREFIX: usize = 12;

/// Which neighbour of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Older,
    Newer,
}

/// The push holding `revision` (full or a prefix), by its own revision or a commit's.
fn find_by_revision(
    conn: &mut DbConnection,
    repository_id: i64,
    revision: &str,
) -> Result<Option<Push>, StoreError> {
    // Hex digits sort below `g`: a prefix's revisions are those in [prefix, prefix + "g").
    let (low, high) = (revision.to_owned(), format!("{revision}g"));
    let own: Vec<PushRow> = pushes::table
        .filter(pushes::repository_id.eq(repository_id))
        .filter(pushes::push_id.is_not_null())
        .filter(pushes::revision.ge(&low))
        .filter(pushes::revision.lt(&high))
        .select(PushRow::as_select())
        .limit(2)
        .load(conn)?;
    // Two index lookups, never a walk of the repository's pushes: the commits in the range
    // (`commits_by_revision`; a revision is shared only by the forks that hold it), then their
    // pushes by row id, kept when they are this repository's known pushes. Given the
    // repository filter, planners without statistics start from `pushes` instead.
    let push_rows: Vec<i64> = commits::table
        .filter(commits::revision.ge(&low))
        .filter(commits::revision.lt(&high))
        .select(commits::push_row_id)
        .distinct()
        .load(conn)?;
    let mut by_commit: Vec<PushRow> = Vec::new();
    for chunk in push_rows.chunks(BATCH_ROWS) {
        let rows: Vec<PushRow> = pushes::table
            .filter(pushes::id.eq_any(chunk))
            .select(PushRow::as_select())
            .load(conn)?;
        by_commit.extend(
            rows.into_iter()
                .filter(|row| row.repository_id == repository_id && row.push_id.is_some()),
        );
    }
    let mut found: Vec<Push> = own
        .into_iter()
        .chain(by_commit)
        .filter_map(PushRow::known)
        .collect();
    found.sort_by_key(|p| p.id);
    found.dedup_by_key(|p| p.id);
    match found.len() {
        0 | 1 => Ok(found.pop()),
        _ => Err(StoreError::Invalid(format!(
            "revision prefix {revision} names more than one push; give more digits"
        ))),
    }
}

fn commits_of(
    conn: &mut DbConnection,
    push_ids: &[i64],
) -> Result<HashMap<i64, Vec<CommitRecord>>, StoreError> {
    type Row = (
        i64,
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
    );
    let mut by_push: HashMap<i64, Vec<CommitRecord>> = HashMap::new();
    for chunk in push_ids.chunks(BATCH_ROWS) {
        let rows: Vec<Row> = commits::table
            .filter(commits::push_row_id.eq_any(chunk))
            .order((commits::push_row_id, commits::position))
            .select((
                commits::push_row_id,
                commits::revision,
                commits::author,
                commits::message,
                commits::branch,
                commits::tags,
                commits::files,
                commits::parents,
            ))
            .load(conn)?;
        for (push, revision, author, message, branch, tags, files, parents) in rows {
            let parents: Vec<String> = serde_json::from_str(&parents)?;
            by_push.entry(push).or_default().push(CommitRecord {
                revision: revision.parse()?,
                author,
                message,
                branch,
                tags: serde_json::from_str(&tags)?,
                files: serde_json::from_str(&files)?,
                parents: parents
                    .iter()
                    .map(|p| p.parse())
                    .collect::<Result<_, _>>()?,
            });
        }
    }
    Ok(by_push)
}

/// The row of each revision's push, creating placeholders for revisions the pushlog has not
/// brought yet. `revisions` must be sorted and free of duplicates.
pub(crate) fn rows_for_revisions(
    conn: &mut DbConnection,
    repository_id: i64,
    revisions: &[&str],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut found: HashMap<String, i64> = HashMap::with_capacity(revisions.len());
    for chunk in revisions.chunks(BATCH_ROWS) {
        let rows: Vec<(i64, String)> = pushes::table
            .filter(pushes::repository_id.eq(repository_id))
            .filter(pushes::revision.eq_any(chunk))
            .select((pushes::id, pushes::revision))
            .load(conn)?;
        found.extend(rows.into_iter().map(|(id, revision)| (revision, id)));
    }
    let missing: Vec<PushValues<'_>> = revisions
        .iter()
        .filter(|r| !found.contains_key(**r))
        .map(|revision| PushValues {
            repository_id,
            push_id: None,
            revision,
            author: "",
            pushed_at: 0,
        })
        .collect();
    if !missing.is_empty() {
        for chunk in missing.chunks(BATCH_ROWS) {
            per_backend!(conn, |c| diesel::insert_into(pushes::table)
                .values(chunk)
                .execute(c)?);
        }
        let wanted: Vec<&str> = missing.iter().map(|p| p.revision).collect();
        for chunk in wanted.chunks(BATCH_ROWS) {
            let rows: Vec<(i64, String)> = pushes::table
                .filter(pushes::repository_id.eq(repository_id))
                .filter(pushes::revision.eq_any(chunk))
                .select((pushes::id, pushes::revision))
                .load(conn)?;
            found.extend(rows.into_iter().map(|(id, revision)| (revision, id)));
        }
    }
    Ok(found)
}
