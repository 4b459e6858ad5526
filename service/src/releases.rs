//! Declaring what is expected of a repository: releases (a release job waiting on its gates)
//! and schedules (how often a scheduled job should run). Each needs `write:<repository>`.

use treeherd_store::{NewRelease, Release};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::service::Service;
use crate::submitted::Submitted;

impl Service {
    /// Creates a release: its release job on the push of its revision, with RELEASE edges to
    /// every gate, in one transaction. Creating it again adds gates.
    #[tracing::instrument(skip_all, fields(repository = input.repository().unwrap_or_default()))]
    pub async fn create_release(
        &self,
        caller: &Caller,
        input: impl Submitted<NewRelease>,
    ) -> Result<Release, ServiceError> {
        match input.repository() {
            Some(repository) => caller.require_write(repository)?,
            None => caller.require_authenticated()?,
        }
        let release = input.convert(0)?;
        caller.require_write(&release.repository)?;
        Ok(self.store.create_release(release).await?)
    }

    /// Declares that job `name` of `repository` should run `every` (30m, 12h, 7d, 3600s), so
    /// it shows as overdue when it does not.
    #[tracing::instrument(skip(self, caller))]
    pub async fn declare_schedule(
        &self,
        caller: &Caller,
        repository: String,
        name: String,
        every: &str,
    ) -> Result<(), ServiceError> {
        caller.require_write(&repository)?;
        let interval = treeherd_model::duration::parse(every)
            .map_err(|e| ServiceError::bad_input("every", format!("every: {e}")))?;
        let micros = i64::try_from(interval.as_micros()).unwrap_or(i64::MAX);
        Ok(self
            .store
            .declare_schedule(repository, name, micros)
            .await?)
    }
}
