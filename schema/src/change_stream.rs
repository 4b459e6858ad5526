//! One subscriber's stream of change-log events, the same for every subscription: what the
//! change log holds after the client's cursor (when it resumes), then the live events, each
//! once and in log order; a subscriber that falls behind the live channel reads what it
//! missed from the log instead of skipping it.
//!
//! A task per subscriber does the reading and hands events over a small channel, so a slow
//! client holds up only itself; the task ends when the client goes (its channel closes).
//! Order and "once" come from the cursor: the live channel is subscribed to *before* the log
//! is read, and a live event at or before the last one sent is dropped, so nothing falls in
//! the gap between the two and nothing is sent twice.

use futures_util::Stream;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use treeherd_service::Changes;
use treeherd_store::{Change, RepositoryId, Store};

use crate::ApiError;

/// Events read from the log per read when catching up.
const CATCH_UP_BATCH: i64 = 1000;
/// Events a subscriber's task may have handed over and the client not yet taken.
const HANDED_OVER: usize = 64;

/// A cursor as a client sends it back: the decimal sequence number `JobChanged.cursor` and
/// its siblings carry.
pub(crate) fn parse_cursor(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|seq| *seq >= 0)
        .ok_or_else(|| {
            ApiError::BadUserInput(format!(
                "{text:?} is not a cursor: pass the `cursor` of an event this service sent"
            ))
        })
}

/// A subscriber's events: after `after` when given (checked first: a cursor the log no longer
/// reaches is refused), else from now; each made into what the subscription sends by `pick`
/// (`None` skips it: `pick` filters). `repository`, when given, only narrows what catching up
/// reads from the log to the events `pick` can keep.
pub(crate) async fn follow<T, P>(
    store: &Store,
    changes: &Changes,
    after: Option<i64>,
    repository: Option<RepositoryId>,
    pick: P,
) -> Result<impl Stream<Item = T> + use<T, P>, ApiError>
where
    T: Send + 'static,
    P: Fn(&Change) -> Option<T> + Send + Sync + 'static,
{
    if let Some(after) = after {
        store.check_change_cursor(after).await?;
    }
    let live = changes.subscribe();
    let (handed, taken) = mpsc::channel(HANDED_OVER);
    let follower = Follower {
        store: store.clone(),
        repository,
        pick,
        handed,
    };
    tokio::spawn(follower.run(live, after));
    Ok(ReceiverStream::new(taken))
}

struct Follower<T, P> {
    store: Store,
    repository: Option<RepositoryId>,
    pick: P,
    handed: mpsc::Sender<T>,
}

/// Why a follower stops: its client went, or the log could not be read.
struct Stop;

impl<T: Send + 'static, P: Fn(&Change) -> Option<T>> Follower<T, P> {
    async fn run(self, mut live: broadcast::Receiver<Arc<Change>>, after: Option<i64>) {
        let _ = self.follow(&mut live, after).await;
    }

    async fn follow(
        &self,
        live: &mut broadcast::Receiver<Arc<Change>>,
        after: Option<i64>,
    ) -> Result<(), Stop> {
        let mut last = match after {
            Some(after) => Some(self.catch_up(after).await?),
            None => None,
        };
        loop {
            let received = tokio::select! {
                () = self.handed.closed() => return Err(Stop),
                received = live.recv() => received,
            };
            match received {
                Ok(change) => {
                    if last.is_some_and(|last| change.seq <= last) {
                        continue;
                    }
                    last = Some(change.seq);
                    self.hand(&change).await?;
                }
                Err(broadcast::error::RecvError::Lagged(skipped)) => match last {
                    Some(seq) => last = Some(self.catch_up(seq).await?),
                    None => {
                        tracing::warn!(skipped, "a subscriber fell behind before its first event");
                    }
                },
                Err(broadcast::error::RecvError::Closed) => return Err(Stop),
            }
        }
    }

    /// Sends what the log holds after `after`; returns the last event read.
    async fn catch_up(&self, mut after: i64) -> Result<i64, Stop> {
        loop {
            let batch = match self
                .store
                .changes_after(after, self.repository, CATCH_UP_BATCH)
                .await
            {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, after, "a subscriber cannot read the change log");
                    return Err(Stop);
                }
            };
            let full = batch.len() as i64 >= CATCH_UP_BATCH;
            for change in &batch {
                after = change.seq;
                self.hand(change).await?;
            }
            if !full {
                return Ok(after);
            }
        }
    }

    async fn hand(&self, change: &Change) -> Result<(), Stop> {
        match (self.pick)(change) {
            Some(item) => self.handed.send(item).await.map_err(|_| Stop),
            None => Ok(()),
        }
    }
}
