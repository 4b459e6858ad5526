//! The change log's reading side: events after a sequence number, each with its subject read
//! from the store, for the change feed every replica runs and for a subscriber that resumes
//! (`change_log.rs` is the writing side).
//!
//! An event carries its subject as it is when the event is read: a job written twice in quick
//! succession may be heard twice in its later state, and an event whose subject is gone
//! (expired) is skipped. What is guaranteed is the order (sequence order is commit order) and
//! that nothing after a cursor is missed while the log still holds it: the log keeps its newest
//! million events, and a cursor older than that is refused rather than silently short.

use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

use crate::change_log::ChangeKind;
use crate::classifications::{self, Classification};
use crate::db::{self, DbConnection};
use crate::schema::{change_log, repositories};
use crate::{Job, Machine, Push, RepositoryId, Store, StoreError, jobs, machines, pushes};

/// One event of the change log, with its subject.
#[derive(Debug, Clone)]
pub struct Change {
    /// Its place in the log: a subscriber's cursor.
    pub seq: i64,
    /// The name of the subject's repository (`None` for a machine).
    pub repository: Option<String>,
    pub what: Changed,
}

/// What changed.
#[derive(Debug, Clone)]
pub enum Changed {
    /// A job written: a version the lifecycle accepted.
    Job(Job),
    /// A push new to its repository's pushlog.
    Push(Push),
    /// A machine whose state was set by hand (machines moved by jobs are heard as jobs).
    Machine(Machine),
    /// A decision on a job, by a person or the autoclassifier.
    Classification {
        job: Job,
        classification: Classification,
    },
}

type LogRow = (i64, String, Option<i64>, i64);

impl Store {
    /// Signalled whenever events may have been committed to the change log: by this process's
    /// writes, and on PostgreSQL by the listener for every process's (`change_listener.rs`).
    pub fn change_signal(&self) -> Arc<tokio::sync::Notify> {
        self.changed.clone()
    }

    /// The newest event's sequence number (0 for an empty log).
    pub async fn last_change_seq(&self) -> Result<i64, StoreError> {
        self.run(|conn| Ok(bounds(conn)?.1)).await
    }

    /// Refuses a cursor the log cannot serve from: one older than its oldest kept event (what
    /// followed it was pruned) or newer than its newest (it is not this database's).
    pub async fn check_change_cursor(&self, after: i64) -> Result<(), StoreError> {
        let (oldest, newest) = self.run(bounds).await?;
        if after > newest {
            return Err(StoreError::Invalid(format!(
                "cursor {after} is ahead of the change log (its newest event is {newest}): \
                 it is not from this service"
            )));
        }
        if oldest > 0 && after + 1 < oldest {
            return Err(StoreError::Invalid(format!(
                "cursor {after} is older than the change log keeps (its oldest event is \
                 {oldest}): subscribe without it and read the current state"
            )));
        }
        Ok(())
    }

    /// Up to `limit` events after `after`, oldest first, of `repository` only when given
    /// (machines belong to none).
    pub async fn changes_after(
        &self,
        after: i64,
        repository: Option<RepositoryId>,
        limit: i64,
    ) -> Result<Vec<Change>, StoreError> {
        self.run(move |conn| {
            let mut query = change_log::table
                .filter(change_log::seq.gt(after))
                .order(change_log::seq)
                .limit(limit.max(1))
                .select((
                    change_log::seq,
                    change_log::kind,
                    change_log::repository_id,
                    change_log::subject_id,
                ))
                .into_boxed();
            if let Some(repository) = repository {
                query = query.filter(change_log::repository_id.eq(repository.0));
            }
            let rows: Vec<LogRow> = query.load(conn)?;
            with_subjects(conn, rows)
        })
        .await
    }

    /// Deletes all but the newest `keep` events (always keeping the newest). Returns how many
    /// went.
    pub async fn prune_change_log(&self, keep: i64) -> Result<usize, StoreError> {
        self.run(move |conn| {
            db::untimed(conn, |conn| {
                db::write(conn, |conn| {
                    let newest = bounds(conn)?.1;
                    Ok(diesel::delete(
                        change_log::table.filter(change_log::seq.le(newest - keep.max(1))),
                    )
                    .execute(conn)?)
                })
            })
        })
        .await
    }
}

/// The oldest and newest sequence numbers (0, 0 for an empty log).
fn bounds(conn: &mut DbConnection) -> Result<(i64, i64), StoreError> {
    let (oldest, newest): (Option<i64>, Option<i64>) = change_log::table
        .select((
            diesel::dsl::min(change_log::seq),
            diesel::dsl::max(change_log::seq),
        ))
        .first(conn)?;
    Ok((oldest.unwrap_or(0), newest.unwrap_or(0)))
}

/// The events of `rows` with their subjects read (a kind at a time), in log order.
fn with_subjects(conn: &mut DbConnection, rows: Vec<LogRow>) -> Result<Vec<Change>, StoreError> {
    let mut wanted: HashMap<ChangeKind, Vec<i64>> = HashMap::new();
    let mut events = Vec::with_capacity(rows.len());
    for (seq, kind, repository_id, subject) in rows {
        let kind = ChangeKind::parse(&kind)?;
        wanted.entry(kind).or_default().push(subject);
        events.push((seq, kind, repository_id, subject));
    }
    let ids = |kind| wanted.get(&kind).map_or(&[][..], Vec::as_slice);
    let decisions: HashMap<i64, Classification> =
        classifications::by_ids(conn, ids(ChangeKind::Classification))?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    let mut job_ids: Vec<i64> = ids(ChangeKind::Job).to_vec();
    job_ids.extend(decisions.values().map(|c| c.job_id.0));
    job_ids.sort_unstable();
    job_ids.dedup();
    let job_of: HashMap<i64, Job> = jobs::by_ids(conn, &job_ids)?
        .into_iter()
        .map(|j| (j.id.0, j))
        .collect();
    let push_of: HashMap<i64, Push> = pushes::by_ids(conn, ids(ChangeKind::Push))?
        .into_iter()
        .map(|p| (p.id.0, p))
        .collect();
    let machine_of: HashMap<i64, Machine> =
        machines::by_ids(conn, ids(ChangeKind::Machine), db::now_micros())?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    let mut repository_ids: Vec<i64> = events.iter().filter_map(|e| e.2).collect();
    repository_ids.sort_unstable();
    repository_ids.dedup();
    let names: HashMap<i64, String> = repositories::table
        .filter(repositories::id.eq_any(&repository_ids))
        .select((repositories::id, repositories::name))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(events
        .into_iter()
        .filter_map(|(seq, kind, repository_id, subject)| {
            let what = match kind {
                ChangeKind::Job => Changed::Job(job_of.get(&subject)?.clone()),
                ChangeKind::Push => Changed::Push(push_of.get(&subject)?.clone()),
                ChangeKind::Machine => Changed::Machine(machine_of.get(&subject)?.clone()),
                ChangeKind::Classification => {
                    let classification = decisions.get(&subject)?.clone();
                    Changed::Classification {
                        job: job_of.get(&classification.job_id.0)?.clone(),
                        classification,
                    }
                }
            };
            Some(Change {
                seq,
                repository: repository_id.and_then(|id| names.get(&id).cloned()),
                what,
            })
        })
        .collect())
}
