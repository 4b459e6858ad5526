//! Which replica polls a repository's hg pushlog, and when: `pushlog_polls` holds when each
//! repository is next due. A poller polls a repository only if it moves that time forward by
//! its interval in one conditional update, so however many replicas run the poller, one polls
//! a repository per interval, never two at once, and one that dies mid-poll leaves the
//! repository to the others one interval later (the claim is its lease).

use diesel::prelude::*;

use crate::schema::pushlog_polls;
use crate::{RepositoryId, Store, StoreError};

impl Store {
    /// Claims the next poll of `repository`'s pushlog at `now` (unix microseconds) for
    /// `every_us`: `true` if this caller is to poll it now, `false` if it is not due (another
    /// replica polled it, or is polling it, within the interval).
    pub async fn claim_pushlog_poll(
        &self,
        repository: RepositoryId,
        now: i64,
        every_us: i64,
    ) -> Result<bool, StoreError> {
        self.run(move |conn| {
            per_backend!(conn, |c| diesel::insert_into(pushlog_polls::table)
                .values((
                    pushlog_polls::repository_id.eq(repository.0),
                    pushlog_polls::next_poll_at.eq(i64::MIN),
                ))
                .on_conflict_do_nothing()
                .execute(c)?);
            let claimed = diesel::update(
                pushlog_polls::table
                    .filter(pushlog_polls::repository_id.eq(repository.0))
                    .filter(pushlog_polls::next_poll_at.le(now)),
            )
            .set(pushlog_polls::next_poll_at.eq(now.saturating_add(every_us)))
            .execute(conn)?;
            Ok(claimed == 1)
        })
        .await
    }
}
