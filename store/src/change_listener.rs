//! On PostgreSQL, one connection per process that `LISTEN`s for the change log's wake-up
//! calls (`NOTIFY treeherd_changes`, sent by every append, from any process) and signals the
//! store's change signal, so the change feed reads what another replica committed within
//! milliseconds.
//!
//! diesel can only poll for notifications after a statement, so this one connection is
//! `tokio-postgres`, driven on the runtime. A lost connection (a restarted or failed-over
//! database, `pg_terminate_backend`) is reconnected with a backoff from 100 ms to 5 s; on every
//! (re)connection the signal fires once, so the feed reads whatever was committed while
//! nobody listened. Nothing is lost while disconnected: the log holds the events, the
//! notifications only say when to look.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::change_log::CHANNEL;
use crate::{Backend, Store};

/// How the listening connection names itself in `pg_stat_activity` (what a test terminates).
pub const LISTENER_APPLICATION_NAME: &str = "treeherd-change-listener";

impl Store {
    /// On PostgreSQL, starts listening for other processes' changes (a task that reconnects
    /// until the runtime stops). On SQLite, one process owns the database, and its own
    /// writes signal the change feed: there is nothing to listen to.
    pub fn spawn_change_listener(&self) {
        if self.backend != Backend::Postgres {
            return;
        }
        let url = self.url.as_str().to_owned();
        let signal = self.changed.clone();
        tokio::spawn(async move {
            let mut backoff = FIRST_BACKOFF;
            loop {
                match listen(&url, &signal).await {
                    Ok(()) => {
                        tracing::warn!("change listener's connection ended; reconnecting");
                        backoff = FIRST_BACKOFF;
                    }
                    Err(e) => tracing::warn!(error = %e, "change listener lost its connection"),
                }
                // Whatever happened while nobody listened is read once it listens again.
                signal.notify_one();
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(LAST_BACKOFF);
            }
        });
    }
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const LAST_BACKOFF: Duration = Duration::from_secs(5);

/// Listens until the connection ends: `Ok` if it had been listening (the backoff starts
/// over), the error if it never got there.
async fn listen(url: &str, signal: &Arc<Notify>) -> Result<(), tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.application_name(LISTENER_APPLICATION_NAME);
    let (client, mut connection) = config.connect(NoTls).await?;
    // The connection must be driven for the client to get answers: its messages go to a
    // channel, which ends when the connection does.
    let (messages, mut received) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            let message = std::future::poll_fn(|cx| connection.poll_message(cx)).await;
            match message {
                Some(Ok(AsyncMessage::Notification(_))) => {
                    if messages.send(()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "change listener's connection failed");
                    return;
                }
                None => return,
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    tracing::info!("listening for changes committed by every replica");
    // Caught up from here: what was committed before LISTEN is read now.
    signal.notify_one();
    while received.recv().await.is_some() {
        signal.notify_one();
    }
    driver.abort();
    drop(client);
    Ok(())
}
