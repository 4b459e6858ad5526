//! Pushes and their commits: one ordered pushlog per repository.

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
    push_id: i64,
    revision: String,
    author: String,
    pushed_at: i64,
}

impl From<PushRow> for Push {
    fn from(row: PushRow) -> Push {
        Push {
            id: row.id,
            repository_id: row.repository_id,
            push_id: row.push_id,
            revision: row.revision,
            author: row.author,
            pushed_at: row.pushed_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = pushes, treat_none_as_default_value = false)]
struct PushValues<'a> {
    repository_id: i64,
    push_id: i64,
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
                .select(PushRow::as_select())
                .order(pushes::push_id.desc())
                .limit(page.limit as i64 + 1)
                .into_boxed();
            if let Some(after) = page.after {
                query = query.filter(pushes::push_id.lt(after));
            }
            let rows = query.load(conn)?;
            Ok(Page::from_overfetch(
                rows.into_iter().map(Push::from).collect(),
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
                .select(PushRow::as_select())
                .first(conn)
                .optional()?;
            if let Some(push) = own {
                return Ok(Some(push.into()));
            }
            let repository = repositories::existing(conn, &repository)?;
            let by_commit = pushes::table
                .inner_join(commits::table)
                .filter(pushes::repository_id.eq(repository.id))
                .filter(commits::revision.eq(&revision))
                .select(PushRow::as_select())
                .first(conn)
                .optional()?;
            Ok(by_commit.map(Push::from))
        })
        .await
    }

    /// Pushes by the store's ids.
    pub async fn pushes_by_id(&self, ids: Vec<i64>) -> Result<HashMap<i64, Push>, StoreError> {
        self.run(move |conn| {
            Ok(pushes::table
                .filter(pushes::id.eq_any(&ids))
                .select(PushRow::as_select())
                .load(conn)?
                .into_iter()
                .map(|row| (row.id, Push::from(row)))
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
    let row = match find(conn, repository.id, PushKey::Revision(revision))? {
        Some(known) => {
            if let Some(push_id) = new.push_id.filter(|id| *id != known.push_id) {
                return Err(StoreError::Conflict(format!(
                    "revision {revision} is push {} of {:?}, not push {push_id}",
                    known.push_id, repository.name
                )));
            }
            diesel::update(pushes::table.find(known.id))
                .set((
                    pushes::author.eq(&new.author),
                    pushes::pushed_at.eq(new.pushed_at),
                ))
                .execute(conn)?;
            diesel::delete(commits::table.filter(commits::push_row_id.eq(known.id)))
                .execute(conn)?;
            known.id
        }
        None => {
            let push_id = match new.push_id {
                Some(push_id) => push_id,
                None => {
                    let last: Option<i64> = pushes::table
                        .filter(pushes::repository_id.eq(repository.id))
                        .select(diesel::dsl::max(pushes::push_id))
                        .first(conn)?;
                    last.unwrap_or(0) + 1
                }
            };
            if let Some(holder) = find(conn, repository.id, PushKey::PushId(push_id))? {
                return Err(StoreError::Conflict(format!(
                    "push {push_id} of {:?} is revision {} already",
                    repository.name, holder.revision
                )));
            }
            diesel::insert_into(pushes::table)
                .values(PushValues {
                    repository_id: repository.id,
                    push_id,
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
    Ok(pushes::table
        .find(row)
        .select(PushRow::as_select())
        .first(conn)?
        .into())
}
