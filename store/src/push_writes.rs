//! Writing pushes: one batched path for every source (the `submitPush` mutation, the hg
//! poller, GitHub webhooks, git backfills), so that each applies the same rules.
//!
//! A batch is one transaction: a conflict anywhere leaves nothing of it. Per push:
//! - a revision already stored as a push keeps its push id (a different id is a conflict) and
//!   gets the author, time and commits given now, so storing the same push again changes
//!   nothing;
//! - a placeholder (a job named the revision first) is filled in, never duplicated;
//! - placeholders named after any other commit of the push are merged into it: their jobs
//!   move to the push and the placeholder goes;
//! - a push without an id (GitHub has none) is numbered after the highest id stored or given.

use diesel::prelude::*;
use std::collections::{HashMap, HashSet};
use treeherd_model::PushRecord;

use crate::change_log::{self, ChangeKind};
use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::pushes::PushValues;
use crate::repositories;
use crate::schema::{commits, jobs, pushes};
use crate::{Push, PushId, Store, StoreError};

/// Pushes written per round of statements inside the transaction.
const PUSHES_PER_ROUND: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = commits, treat_none_as_default_value = false)]
struct CommitValues<'a> {
    push_row_id: i64,
    position: i32,
    revision: &'a str,
    author: &'a str,
    message: &'a str,
    branch: Option<&'a str>,
    tags: String,
    files: String,
    parents: String,
}

/// What becomes of one push of the batch.
enum Plan {
    /// A new row under this push id.
    Insert(i64),
    /// An existing row (a known push, or a placeholder being filled in) under this push id.
    Update { row: i64, push_id: i64 },
}

impl Plan {
    fn push_id(&self) -> i64 {
        match *self {
            Plan::Insert(id) | Plan::Update { push_id: id, .. } => id,
        }
    }

    /// Whether the pushlog gains a push (a new row, or a placeholder filled in).
    fn adds(&self, known: Option<i64>) -> bool {
        matches!(self, Plan::Insert(_)) || known.is_none()
    }
}

/// A push as stored, and whether it is new to the pushlog (rather than stored again).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPush {
    pub push: Push,
    pub added: bool,
}

impl Store {
    /// Stores pushes of one repository with their commits, in one transaction, and gives them
    /// back as stored, in the order given.
    pub async fn store_pushes(
        &self,
        repository: String,
        pushes: Vec<PushRecord>,
    ) -> Result<Vec<StoredPush>, StoreError> {
        check(&pushes)?;
        self.run(move |conn| {
            let (stored, grown) = db::write(conn, |conn| store(conn, &repository, &pushes))?;
            if db::doubled(grown.0, grown.1) {
                db::analyze(conn, &["pushes", "commits"])?;
            }
            Ok(stored)
        })
        .await
    }
}

/// The largest push id: GraphQL serves push ids as `Int`, which the spec defines as 32-bit
/// signed, so an id a client could not hold is refused where it would be given or allocated.
/// (Treeherder's and hg's push ids are row ids counted from 1; two billion pushes is far beyond
/// any repository, and an `Int` that silently changes type would break every client.)
pub const MAX_PUSH_ID: i64 = i32::MAX as i64;

fn beyond_max_push_id(id: i64) -> StoreError {
    StoreError::Invalid(format!(
        "push id {id} is beyond {MAX_PUSH_ID}, the largest push id (served as a 32-bit GraphQL Int)"
    ))
}

/// What can be refused before touching the database.
fn check(pushes: &[PushRecord]) -> Result<(), StoreError> {
    let mut ids = HashSet::new();
    let mut revisions = HashSet::new();
    for push in pushes {
        if let Some(id) = push.push_id {
            if id < 1 {
                return Err(StoreError::Invalid("a push id starts at 1".into()));
            }
            if id > MAX_PUSH_ID {
                return Err(beyond_max_push_id(id));
            }
            if !ids.insert(id) {
                return Err(StoreError::Invalid(format!("push id {id} is given twice")));
            }
        }
        if !revisions.insert(&push.revision) {
            return Err(StoreError::Invalid(format!(
                "revision {} is the tip of two pushes",
                push.revision
            )));
        }
    }
    Ok(())
}

/// Stores the pushes; gives them back with the repository's highest push id before and after.
fn store(
    conn: &mut DbConnection,
    repository: &str,
    pushes: &[PushRecord],
) -> Result<(Vec<StoredPush>, (i64, i64)), StoreError> {
    let repository = repositories::existing(conn, repository)?;
    let highest_given = pushes.iter().filter_map(|p| p.push_id).max().unwrap_or(0);
    let highest_stored: Option<i64> = pushes::table
        .filter(pushes::repository_id.eq(repository.id.0))
        .select(diesel::dsl::max(pushes::push_id))
        .first(conn)?;
    let highest_stored = highest_stored.unwrap_or(0);
    let mut next_push_id = highest_stored.max(highest_given) + 1;

    let mut stored = Vec::with_capacity(pushes.len());
    for round in pushes.chunks(PUSHES_PER_ROUND) {
        let tips: Vec<&str> = round.iter().map(|p| p.revision.as_str()).collect();
        let known: HashMap<String, (i64, Option<i64>)> = pushes::table
            .filter(pushes::repository_id.eq(repository.id.0))
            .filter(pushes::revision.eq_any(&tips))
            .select((pushes::revision, pushes::id, pushes::push_id))
            .load::<(String, i64, Option<i64>)>(conn)?
            .into_iter()
            .map(|(revision, row, push_id)| (revision, (row, push_id)))
            .collect();

        let mut plans = Vec::with_capacity(round.len());
        let mut added = Vec::with_capacity(round.len());
        for push in round {
            let plan = match known.get(push.revision.as_str()) {
                Some(&(row, Some(stored))) => {
                    if let Some(asked) = push.push_id.filter(|id| *id != stored) {
                        return Err(StoreError::Conflict(format!(
                            "revision {} is push {stored} of {:?}, not push {asked}",
                            push.revision, repository.name
                        )));
                    }
                    Plan::Update {
                        row,
                        push_id: stored,
                    }
                }
                Some(&(row, None)) => Plan::Update {
                    row,
                    push_id: number(push, &mut next_push_id)?,
                },
                None => Plan::Insert(number(push, &mut next_push_id)?),
            };
            added.push(plan.adds(known.get(push.revision.as_str()).and_then(|k| k.1)));
            plans.push(plan);
        }
        refuse_taken_ids(conn, repository.id.0, &repository.name, round, &plans)?;

        let inserts: Vec<PushValues<'_>> = round
            .iter()
            .zip(&plans)
            .filter_map(|(push, plan)| match plan {
                Plan::Insert(push_id) => Some(PushValues {
                    repository_id: repository.id.0,
                    push_id: Some(*push_id),
                    revision: push.revision.as_str(),
                    author: &push.author,
                    pushed_at: push.pushed_at,
                }),
                Plan::Update { .. } => None,
            })
            .collect();
        let mut row_of: HashMap<String, i64> = HashMap::with_capacity(round.len());
        for chunk in inserts.chunks(BATCH_ROWS) {
            let written: Vec<(String, i64)> =
                per_backend!(conn, |c| diesel::insert_into(pushes::table)
                    .values(chunk)
                    .returning((pushes::revision, pushes::id))
                    .get_results(c)?);
            row_of.extend(written);
        }
        let mut updated = Vec::new();
        for (push, plan) in round.iter().zip(&plans) {
            if let Plan::Update { row, push_id } = *plan {
                row_of.insert(push.revision.as_str().to_owned(), row);
                diesel::update(pushes::table.find(row))
                    .set((
                        pushes::push_id.eq(push_id),
                        pushes::author.eq(&push.author),
                        pushes::pushed_at.eq(push.pushed_at),
                    ))
                    .execute(conn)?;
                updated.push(row);
            }
        }
        for chunk in updated.chunks(BATCH_ROWS) {
            diesel::delete(commits::table.filter(commits::push_row_id.eq_any(chunk)))
                .execute(conn)?;
        }

        let round_rows: Vec<i64> = round
            .iter()
            .map(|push| {
                row_of
                    .get(push.revision.as_str())
                    .copied()
                    .ok_or_else(|| StoreError::internal("a stored push vanished"))
            })
            .collect::<Result<_, _>>()?;
        insert_commits(conn, round, &round_rows)?;
        merge_placeholders(conn, repository.id.0, round, &round_rows)?;
        // Everything a stored push is was written just now: no need to read it back.
        for (((push, plan), row), added) in round.iter().zip(&plans).zip(round_rows).zip(added) {
            stored.push(StoredPush {
                push: Push {
                    id: PushId(row),
                    repository_id: repository.id,
                    push_id: plan.push_id(),
                    revision: push.revision.as_str().to_owned(),
                    author: push.author.clone(),
                    pushed_at: push.pushed_at,
                },
                added,
            });
        }
    }
    let events: Vec<(Option<i64>, i64)> = stored
        .iter()
        .filter(|s| s.added)
        .map(|s| (Some(repository.id.0), s.push.id.0))
        .collect();
    change_log::append(conn, ChangeKind::Push, &events)?;
    Ok((stored, (highest_stored, next_push_id - 1)))
}

/// The push's own id, or the next free one.
fn number(push: &PushRecord, next: &mut i64) -> Result<i64, StoreError> {
    match push.push_id {
        Some(id) => Ok(id),
        None if *next > MAX_PUSH_ID => Err(beyond_max_push_id(*next)),
        None => {
            let id = *next;
            *next += 1;
            Ok(id)
        }
    }
}

/// A push id already held by another revision is a conflict.
fn refuse_taken_ids(
    conn: &mut DbConnection,
    repository_id: i64,
    repository: &str,
    round: &[PushRecord],
    plans: &[Plan],
) -> Result<(), StoreError> {
    let wanted: HashMap<i64, &str> = round
        .iter()
        .zip(plans)
        .map(|(push, plan)| (plan.push_id(), push.revision.as_str()))
        .collect();
    let ids: Vec<i64> = wanted.keys().copied().collect();
    let holders: Vec<(i64, String)> = pushes::table
        .filter(pushes::repository_id.eq(repository_id))
        .filter(pushes::push_id.eq_any(&ids))
        .select((pushes::push_id.assume_not_null(), pushes::revision))
        .load(conn)?;
    for (id, holder) in holders {
        if wanted.get(&id).is_some_and(|revision| *revision != holder) {
            return Err(StoreError::Conflict(format!(
                "push {id} of {repository:?} is revision {holder} already"
            )));
        }
    }
    Ok(())
}

fn insert_commits(
    conn: &mut DbConnection,
    round: &[PushRecord],
    rows: &[i64],
) -> Result<(), StoreError> {
    let mut values = Vec::new();
    for (push, &row) in round.iter().zip(rows) {
        for (position, commit) in push.commits.iter().enumerate() {
            values.push(CommitValues {
                push_row_id: row,
                position: i32::try_from(position).unwrap_or(i32::MAX),
                revision: commit.revision.as_str(),
                author: &commit.author,
                message: &commit.message,
                branch: commit.branch.as_deref(),
                tags: serde_json::to_string(&commit.tags)?,
                files: serde_json::to_string(&commit.files)?,
                parents: serde_json::to_string(
                    &commit
                        .parents
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>(),
                )?,
            });
        }
    }
    // Nine columns a row: well under SQLite's limit of bound values per statement.
    for chunk in values.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(commits::table)
            .values(chunk)
            .execute(c)?);
    }
    Ok(())
}

/// Placeholders named after a commit of a push that is not its tip: a job named an earlier
/// commit before the pushlog said which push holds it. Their jobs move to the push.
fn merge_placeholders(
    conn: &mut DbConnection,
    repository_id: i64,
    round: &[PushRecord],
    rows: &[i64],
) -> Result<(), StoreError> {
    let mut push_of: HashMap<&str, i64> = HashMap::new();
    for (push, &row) in round.iter().zip(rows) {
        for commit in &push.commits {
            if commit.revision != push.revision {
                push_of.insert(commit.revision.as_str(), row);
            }
        }
    }
    let revisions: Vec<&str> = push_of.keys().copied().collect();
    for chunk in revisions.chunks(BATCH_ROWS) {
        let placeholders: Vec<(i64, String)> = pushes::table
            .filter(pushes::repository_id.eq(repository_id))
            .filter(pushes::push_id.is_null())
            .filter(pushes::revision.eq_any(chunk))
            .select((pushes::id, pushes::revision))
            .load(conn)?;
        for (placeholder, revision) in placeholders {
            let Some(&push) = push_of.get(revision.as_str()) else {
                continue;
            };
            diesel::update(jobs::table.filter(jobs::push_row_id.eq(placeholder)))
                .set(jobs::push_row_id.eq(push))
                .execute(conn)?;
            diesel::delete(pushes::table.find(placeholder)).execute(conn)?;
        }
    }
    Ok(())
}
