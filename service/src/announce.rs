//! The one place that writes *and announces*: every service call that stores jobs, pushes
//! or a machine state does it through here, so each write reaches subscribers the same way
//! (after it commits, with the name of its repository), whichever way it came in.
//!
//! Announcing is best effort: a write that committed is not failed because its
//! announcement could not be built (that is logged).

use std::collections::HashMap;
use treeherd_model::{MachineState, NewJob, PushRecord};
use treeherd_store::{Job, JobMark, JobsWritten, Machine, Push};

use crate::error::ServiceError;
use crate::events::{JobEvent, MachineEvent, PushEvent};
use crate::service::Service;

impl Service {
    /// Stores jobs (upserted by guid) and marks the earlier runs they end, in one
    /// transaction; then announces every job as stored.
    pub(crate) async fn write_jobs(
        &self,
        jobs: Vec<NewJob>,
        marks: Vec<JobMark>,
    ) -> Result<JobsWritten, ServiceError> {
        let written = self.store.ingest_jobs(jobs, marks).await?;
        self.metrics
            .count_jobs_written(&written.jobs, chrono::Utc::now().timestamp_micros());
        self.announce_jobs(&written.jobs).await;
        Ok(written)
    }

    /// Jobs as written, each with the name of its repository. Built only when someone
    /// listens: a consumer process announces to nobody.
    async fn announce_jobs(&self, jobs: &[Job]) {
        let events = &self.changes.jobs;
        if jobs.is_empty() || !events.is_watched() {
            return;
        }
        let repositories = match self.store.repositories().await {
            Ok(repositories) => repositories,
            Err(e) => {
                tracing::warn!(error = %crate::error::chain(&e), jobs = jobs.len(), "cannot announce written jobs");
                return;
            }
        };
        let names: HashMap<_, &str> = repositories
            .iter()
            .map(|r| (r.id, r.name.as_str()))
            .collect();
        for job in jobs {
            if let Some(name) = names.get(&job.repository_id) {
                events.publish(JobEvent {
                    repository: (*name).to_owned(),
                    job: job.clone(),
                });
            }
        }
    }

    /// Stores pushes of `repository` in one transaction; each push new to the pushlog is
    /// announced (storing the same push again announces nothing). Gives the pushes back as
    /// stored, in order.
    pub(crate) async fn write_pushes(
        &self,
        repository: String,
        records: Vec<PushRecord>,
    ) -> Result<Vec<Push>, ServiceError> {
        let stored = self.store.store_pushes(repository.clone(), records).await?;
        Ok(stored
            .into_iter()
            .map(|stored| {
                if stored.added {
                    self.changes.pushes.publish(PushEvent {
                        repository: repository.clone(),
                        push: stored.push.clone(),
                    });
                }
                stored.push
            })
            .collect())
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
        self.changes.machines.publish(MachineEvent {
            machine: machine.clone(),
        });
        Ok(machine)
    }
}
