//! On PostgreSQL, a request's statement is cancelled when the request goes away. A store call
//! runs its diesel work on a blocking thread, which nothing can stop from outside: when the
//! request that awaited it is dropped (its client disconnected, its deadline passed), the
//! statement would run on in PostgreSQL until it ends or the statement timeout ends it. So a
//! call of a bounded request (`request_calls.rs`: one client's GraphQL request) notes its
//! connection's backend (`pg_backend_pid()`, one round trip) before its work, and if the call
//! is dropped while the work runs, another connection asks PostgreSQL to cancel that backend's
//! statement (`pg_cancel_backend`); the work then fails, its transaction rolls back, and the
//! connection goes back to the pool clean.
//!
//! The cancel must never reach a statement of another call that got the same connection
//! afterwards: the work's thread marks the call finished under the same lock the canceller
//! holds while it sends the cancel, and the cancel targets the backend only while it is still
//! running a statement (`pg_stat_activity.state = 'active'`). SQLite needs none of this: its
//! statements run in this process and end with the deadline's statement timeout.

use diesel::prelude::*;
use diesel::sql_types::Integer;
use std::sync::{Arc, Mutex};

use crate::db::{DbConnection, Pool};

/// Where a cancellable call is.
enum Stage {
    /// Not started: nothing to cancel yet.
    Waiting,
    /// Its work runs on this backend.
    Running(i32),
    /// Done, or cancelled: the connection may serve another call.
    Finished,
}

/// The async side of a call: cancels its statement if dropped before [`Cancellable::disarm`].
pub(crate) struct Cancellable {
    stage: Arc<Mutex<Stage>>,
    pool: Pool,
    armed: bool,
}

/// The blocking side of a call: notes the backend, then marks the call finished.
pub(crate) struct OnThread {
    stage: Arc<Mutex<Stage>>,
}

#[derive(QueryableByName)]
struct BackendPid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

impl Cancellable {
    pub(crate) fn new(pool: Pool) -> (Cancellable, OnThread) {
        let stage = Arc::new(Mutex::new(Stage::Waiting));
        (
            Cancellable {
                stage: stage.clone(),
                pool,
                armed: true,
            },
            OnThread { stage },
        )
    }

    /// The call ended normally: nothing to cancel.
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Cancellable {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (stage, pool) = (self.stage.clone(), self.pool.clone());
        // Off this thread: dropping must not wait for the database.
        std::thread::spawn(move || {
            let Ok(mut stage) = stage.lock() else {
                return;
            };
            if let Stage::Running(pid) = *stage {
                let cancelled = pool.get().ok().and_then(|mut conn| match &mut *conn {
                    DbConnection::Pg(c) => diesel::sql_query(
                        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity \
                         WHERE pid = $1 AND state = 'active'",
                    )
                    .bind::<Integer, _>(pid)
                    .execute(c)
                    .ok(),
                    DbConnection::Sqlite(_) => None,
                });
                tracing::debug!(
                    pid,
                    sent = cancelled.is_some_and(|rows| rows > 0),
                    "cancelled the statement of a request that went away"
                );
            }
            *stage = Stage::Finished;
        });
    }
}

impl OnThread {
    /// Notes `conn`'s backend before the work runs; `false` if the call was already given up
    /// (the work should not start).
    pub(crate) fn start(&self, conn: &mut DbConnection) -> bool {
        let DbConnection::Pg(c) = conn else {
            return true;
        };
        let Ok(pid) =
            diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result::<BackendPid>(c)
        else {
            return true;
        };
        match self.stage.lock() {
            Ok(mut stage) => match *stage {
                Stage::Waiting => {
                    *stage = Stage::Running(pid.pid);
                    true
                }
                Stage::Running(_) | Stage::Finished => false,
            },
            Err(_) => true,
        }
    }
}

impl Drop for OnThread {
    fn drop(&mut self) {
        // Waits while a cancel is being sent, so it cannot reach the connection's next call.
        if let Ok(mut stage) = self.stage.lock() {
            *stage = Stage::Finished;
        }
    }
}
