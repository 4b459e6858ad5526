//! Storing pushes, shared by the `submitPush` mutation, the GitHub webhook, the hg poller and
//! git backfills: every way in stores the same way and announces the pushes it adds.
//! Storing the same push again announces nothing: `pushAdded` fires only for pushes new to
//! the pushlog.

use treeherd_model::PushRecord;
use treeherd_store::Push;

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::service::Service;
use crate::submitted::Submitted;

impl Service {
    /// Stores pushes of `repository` in one transaction; each push new to the pushlog is
    /// announced to `pushAdded` subscribers. Gives the pushes back as stored, in order. The
    /// caller is the server itself (a poller, a verified webhook, an import).
    #[tracing::instrument(skip_all, fields(repository = %repository, pushes = records.len()))]
    pub async fn store_pushes(
        &self,
        repository: String,
        records: Vec<PushRecord>,
    ) -> Result<Vec<Push>, ServiceError> {
        self.write_pushes(repository, records).await
    }

    /// Stores one push of `repository` submitted by `caller`, who needs
    /// `write:<repository>` (checked before the input is converted); idempotent on the
    /// revision.
    #[tracing::instrument(skip_all, fields(repository = %repository))]
    pub async fn submit_push(
        &self,
        caller: &Caller,
        repository: String,
        input: impl Submitted<PushRecord>,
    ) -> Result<Push, ServiceError> {
        caller.require_write(&repository)?;
        let record = input.convert(0)?;
        self.write_pushes(repository, vec![record])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::Internal("a stored push vanished".into()))
    }
}
