//! Pushes and their commits: one ordered pushlog per repository.
//!
//! A push row without a push id is a placeholder: a job named its revision before the pushlog
//! brought the push. Placeholders hold jobs but are no push to readers; the pushlog fills the
//! same row in when the push arrives, so nothing is duplicated.

use diesel::prelude::*;
use std::collections::HashMap;

use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::repositories;
use crate::schema::{self, commits, pushes};
use crate::{Commit, NewPush, Page, PageRequest, Push, Store, StoreError};

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
            id: self.id,
            repository_id: self.repository_id,
            push_id: self.push_id?,
            revision: self.revision,
            author: self.author,
            pushed_at: self.pushed_at,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = pushes, treat_none_as_default_value = false)]
struct PushValues<'a> {
    repository_id: i64,
    push_id: Option<i64>,
    revision: &'a str,
    author: &'a str,
    pushed_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = commits, treat_none_as_default_value = false)]
struct CommitValues<'a> {
    push_row_id: i64,
    position: i32,
    revision: &'a str,
    author: &'a str,
    message: &'a str,
}

impl Store {
    /// Stores a push with its commits. Idempotent on (repository, revision): submitting a
    /// known revision again updates its author, time and commits. A push id already held by
    /// another revision, or a known revision under another push id, is a conflict.
    pub async fn submit_push(&self, new: NewPush) -> Result<Push, StoreError> {
        if new.push_id.is_some_and(|id| id < 1) {
            return Err(StoreError::Invalid("a push id starts at 1".into()));
        }
        self.run(move |conn| db::write(conn, |conn| submit(conn, &new)))
            .await
    }

    /// A repository's pushes, newest first; `after` is a push id (exclusive).
    pub async fn pushes(
        &self,
        repository_id: i64,
        page: PageRequest,
    ) -> Result<Page<Push>, StoreError> {
        self.run(move |conn| {
            let mut query = pushes::table
                .filter(pushes::repository_id.eq(repository_id))
                .filter(pushes::push_id.is_not_null())
                .select(PushRow::as_select())
                .order(pushes::push_id.desc())
                .limit(page.limit as i64 + 1)
                .into_boxed();
            if let Some(after) = page.after {
                query = query.filter(pushes::push_id.lt(after));
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
    /// commits'. `NotFound` when the repository does not exist; `None` when no push does.
    pub async fn push_by_revision(
        &self,
        repository: String,
        revision: String,
    ) -> Result<Option<Push>, StoreError> {
        let revision = revision.to_ascii_lowercase();
        self.run(move |conn| {
            // The common case in one round trip: the push's own revision.
            let own = pushes::table
                .inner_join(schema::repositories::table)
                .filter(schema::repositories::name.eq(&repository))
                .filter(pushes::revision.eq(&revision))
                .filter(pushes::push_id.is_not_null())
                .select(PushRow::as_select())
                .first(conn)
                .optional()?;
            if let Some(push) = own {
                return Ok(push.known());
            }
            let repository = repositories::existing(conn, &repository)?;
            let by_commit = pushes::table
                .inner_join(commits::table)
                .filter(pushes::repository_id.eq(repository.id))
                .filter(commits::revision.eq(&revision))
                .filter(pushes::push_id.is_not_null())
                .select(PushRow::as_select())
                .first(conn)
                .optional()?;
            Ok(by_commit.and_then(PushRow::known))
        })
        .await
    }

    /// Pushes by the store's ids (placeholders are left out).
    pub async fn pushes_by_id(&self, ids: Vec<i64>) -> Result<HashMap<i64, Push>, StoreError> {
        self.run(move |conn| {
            Ok(pushes::table
                .filter(pushes::id.eq_any(&ids))
                .select(PushRow::as_select())
                .load(conn)?
                .into_iter()
                .filter_map(PushRow::known)
                .map(|push| (push.id, push))
                .collect())
        })
        .await
    }

    /// The revision of each push row, placeholders included (what a job was submitted for).
    pub async fn push_revisions(&self, ids: Vec<i64>) -> Result<HashMap<i64, String>, StoreError> {
        self.run(move |conn| {
            Ok(pushes::table
                .filter(pushes::id.eq_any(&ids))
                .select((pushes::id, pushes::revision))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .collect())
        })
        .await
    }

    /// The commits of each push, in push order.
    pub async fn commits(
        &self,
        push_ids: Vec<i64>,
    ) -> Result<HashMap<i64, Vec<Commit>>, StoreError> {
        self.run(move |conn| {
            let rows: Vec<(i64, String, String, String)> = commits::table
                .filter(commits::push_row_id.eq_any(&push_ids))
                .order((commits::push_row_id, commits::position))
                .select((
                    commits::push_row_id,
                    commits::revision,
                    commits::author,
                    commits::message,
                ))
                .load(conn)?;
            let mut by_push: HashMap<i64, Vec<Commit>> = HashMap::new();
            for (push, revision, author, message) in rows {
                by_push.entry(push).or_default().push(Commit {
                    revision,
                    author,
                    message,
                });
            }
            Ok(by_push)
        })
        .await
    }
}

fn find(
    conn: &mut DbConnection,
    repository_id: i64,
    filter: PushKey<'_>,
) -> Result<Option<PushRow>, StoreError> {
    let query = pushes::table
        .filter(pushes::repository_id.eq(repository_id))
        .select(PushRow::as_select())
        .into_boxed();
    let query = match filter {
        PushKey::Revision(revision) => query.filter(pushes::revision.eq(revision)),
        PushKey::PushId(push_id) => query.filter(pushes::push_id.eq(push_id)),
    };
    Ok(query.first(conn).optional()?)
}

enum PushKey<'a> {
    Revision(&'a str),
    PushId(i64),
}

fn submit(conn: &mut DbConnection, new: &NewPush) -> Result<Push, StoreError> {
    let repository = repositories::existing(conn, &new.repository)?;
    let revision = new.revision.as_str();
    // The push id the pushlog gives, or the next one.
    let next_push_id = |conn: &mut DbConnection| -> Result<i64, StoreError> {
        if let Some(push_id) = new.push_id {
            return Ok(push_id);
        }
        let last: Option<i64> = pushes::table
            .filter(pushes::repository_id.eq(repository.id))
            .select(diesel::dsl::max(pushes::push_id))
            .first(conn)?;
        Ok(last.unwrap_or(0) + 1)
    };
    let free = |conn: &mut DbConnection, push_id: i64| -> Result<(), StoreError> {
        match find(conn, repository.id, PushKey::PushId(push_id))? {
            Some(holder) => Err(StoreError::Conflict(format!(
                "push {push_id} of {:?} is revision {} already",
                repository.name, holder.revision
            ))),
            None => Ok(()),
        }
    };
    let row = match find(conn, repository.id, PushKey::Revision(revision))? {
        Some(known) => {
            let push_id = match known.push_id {
                Some(push_id) => {
                    if let Some(asked) = new.push_id.filter(|id| *id != push_id) {
                        return Err(StoreError::Conflict(format!(
                            "revision {revision} is push {push_id} of {:?}, not push {asked}",
                            repository.name
                        )));
                    }
                    push_id
                }
                // A placeholder: the pushlog fills it in.
                None => {
                    let push_id = next_push_id(conn)?;
                    free(conn, push_id)?;
                    push_id
                }
            };
            diesel::update(pushes::table.find(known.id))
                .set((
                    pushes::push_id.eq(push_id),
                    pushes::author.eq(&new.author),
                    pushes::pushed_at.eq(new.pushed_at),
                ))
                .execute(conn)?;
            diesel::delete(commits::table.filter(commits::push_row_id.eq(known.id)))
                .execute(conn)?;
            known.id
        }
        None => {
            let push_id = next_push_id(conn)?;
            free(conn, push_id)?;
            diesel::insert_into(pushes::table)
                .values(PushValues {
                    repository_id: repository.id,
                    push_id: Some(push_id),
                    revision,
                    author: &new.author,
                    pushed_at: new.pushed_at,
                })
                .execute(conn)?;
            find(conn, repository.id, PushKey::PushId(push_id))?
                .ok_or_else(|| StoreError::internal("inserted push vanished"))?
                .id
        }
    };
    let commit_rows: Vec<CommitValues<'_>> = new
        .commits
        .iter()
        .enumerate()
        .map(|(position, commit)| CommitValues {
            push_row_id: row,
            position: i32::try_from(position).unwrap_or(i32::MAX),
            revision: commit.revision.as_str(),
            author: &commit.author,
            message: &commit.message,
        })
        .collect();
    for chunk in commit_rows.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(commits::table)
            .values(chunk)
            .execute(c)?);
    }
    pushes::table
        .find(row)
        .select(PushRow::as_select())
        .first(conn)?
        .known()
        .ok_or_else(|| StoreError::internal("a submitted push has no push id"))
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
