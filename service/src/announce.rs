//! The one place that writes what subscribers hear of: every service call that stores jobs,
//! pushes or a machine state does it through here, whichever way it came in. The store
//! appends each write's events to the change log in the write's own transaction, so an
//! acknowledged write is always announced, on every replica, by the change feed (`feed.rs`);
//! nothing is published from here.

use treeherd_model::{MachineState, NewJob, PushRecord};
use treeherd_store::{JobMark, JobsWritten, Machine, Push};

use crate::error::ServiceError;
use crate::service::Service;

impl Service {
    /// Stores jobs (upserted by guid) and marks the earlier runs they end, in one
    /// transaction; every job new or changed is announced.
    pub(crate) async fn write_jobs(
        &self,
        jobs: Vec<NewJob>,
        marks: Vec<JobMark>,
    ) -> Result<JobsWritten, ServiceError> {
        let written = self.store.ingest_jobs(jobs, marks).await?;
        self.metrics
            .count_jobs_written(&written.jobs, chrono::Utc::now().timestamp_micros());
        Ok(written)
    }

    /// Stores pushes of `repository` in one transaction; each push new to the pushlog is
    /// announced (storing the same push again announces nothing). Gives the pushes back as
    /// stored, in order.
    pub(crate) async fn write_pushes(
        &self,
        repository: String,
        records: Vec<PushRecord>,
    ) -> Result<Vec<Push>, ServiceError> {
        let stored = self.store.store_pushes(repository, records).await?;
        Ok(stored.into_iter().map(|stored| stored.push).collect())
    }

    /// Sets a machine's state by hand and announces the machine as it now is.
    pub(crate) async fn write_machine_state(
        &self,
        build_system: String,
        name: String,
        state: MachineState,
        reason: Option<String>,
        until: Option<i64>,
    ) -> Result<Machine, ServiceError> {
        let machine = self
            .store
            .set_machine_state(
                build_system,
                name,
                state,
                reason,
                until,
                chrono::Utc::now().timestamp_micros(),
            )
            .await?;
        Ok(machine)
    }
}
