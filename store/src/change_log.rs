//! The change log's writing side: what a write appends, in its own transaction, for
//! subscribers to hear (`changes.rs` reads it back and every replica tails it).
//!
//! One row per event: a job written (a version the lifecycle accepted), a push added to a pushlog,
//! a machine set by hand, a classification decided. The row names its subject by id; the
//! subject is read when the event is delivered. Appending takes the log writers' lock first
//! ([`crate::db::lock_log_writers`]) so that sequence order is commit order: a reader that
//! has seen `seq` never later finds a smaller one committed.
//!
//! On PostgreSQL an append also sends `NOTIFY treeherd_changes` (delivered at commit, folded to
//! one per transaction): a wake-up call, not the event. Every event travels by reference, the
//! log being the payload, so no event is too large for NOTIFY's 8,000 bytes, live delivery and
//! catching up after a lost connection are one read, and a lost notification delays events
//! (until the next one, or the feed's periodic look) but never loses them.
//!
//! The process that committed wakes its own feed without waiting for PostgreSQL: an append
//! marks the thread, and `Store::run` signals the store's change signal once the work that
//! appended has returned (see [`take_appended`]).

use diesel::connection::SimpleConnection;
use std::cell::Cell;
use std::fmt::Write as _;

use crate::StoreError;
use crate::db::{self, BATCH_ROWS, DbConnection};

/// The channel replicas `LISTEN` on.
pub const CHANNEL: &str = "treeherd_changes";

/// What an event is about, as the log stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// A job written (a version the lifecycle accepted); the subject is the job.
    Job,
    /// A push new to a pushlog; the subject is the push.
    Push,
    /// A machine whose state was set by hand; the subject is the machine.
    Machine,
    /// A classification decided; the subject is the decision (`classifications` row).
    Classification,
}

impl ChangeKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Job => "JOB",
            ChangeKind::Push => "PUSH",
            ChangeKind::Machine => "MACHINE",
            ChangeKind::Classification => "CLASSIFICATION",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<ChangeKind, StoreError> {
        Ok(match text {
            "JOB" => ChangeKind::Job,
            "PUSH" => ChangeKind::Push,
            "MACHINE" => ChangeKind::Machine,
            "CLASSIFICATION" => ChangeKind::Classification,
            other => {
                return Err(StoreError::caused_by(
                    "unknown change kind in the change log",
                    std::io::Error::other(other.to_owned()),
                ));
            }
        })
    }
}

thread_local! {
    /// Whether work on this thread appended to the log since [`take_appended`] last looked.
    static APPENDED: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread appended since the last call (and forgets it). `Store::run` asks after
/// each piece of work: the work ran on this thread, so a `true` means its transaction wrote
/// events (committed, unless it failed; a spurious wake-up costs one empty read).
pub(crate) fn take_appended() -> bool {
    APPENDED.with(|appended| appended.replace(false))
}

/// Appends one event per `(repository, subject)` of `kind` inside the caller's transaction.
///
/// One simple statement, with the NOTIFY on PostgreSQL: one round trip, nothing to prepare.
/// Its text is built from integers and a fixed kind only, so there is nothing to escape.
pub(crate) fn append(
    conn: &mut DbConnection,
    kind: ChangeKind,
    subjects: &[(Option<i64>, i64)],
) -> Result<(), StoreError> {
    if subjects.is_empty() {
        return Ok(());
    }
    db::lock_log_writers(conn)?;
    for chunk in subjects.chunks(BATCH_ROWS) {
        let mut sql = String::with_capacity(80 + chunk.len() * 32);
        sql.push_str("INSERT INTO change_log (kind, repository_id, subject_id) VALUES ");
        for (i, (repository_id, subject_id)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let repository = repository_id.map_or_else(|| "NULL".to_owned(), |id| id.to_string());
            // Writing to a String cannot fail.
            let _ = write!(sql, "('{}', {repository}, {subject_id})", kind.as_str());
        }
        if matches!(conn, DbConnection::Pg(_)) {
            let _ = write!(sql, "; NOTIFY {CHANNEL}");
        }
        conn.batch_execute(&sql)?;
    }
    APPENDED.with(|appended| appended.set(true));
    Ok(())
}
