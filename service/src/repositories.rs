//! Administering the server: repositories and machine states by hand. Both need the
//! `admin` scope.

use treeherd_model::MachineState;
use treeherd_store::{Machine, NewRepository, Repository};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::service::Service;

impl Service {
    /// Creates a repository.
    #[tracing::instrument(skip_all, fields(repository = %new.name))]
    pub async fn create_repository(
        &self,
        caller: &Caller,
        new: NewRepository,
    ) -> Result<Repository, ServiceError> {
        caller.require_admin()?;
        Ok(self.store.create_repository(new).await?)
    }

    /// Sets a machine's state by hand (OFFLINE or QUARANTINED with a reason and an optional
    /// end in unix microseconds, or IDLE to put it back) and announces it. A machine no job
    /// has run on is NOT_FOUND.
    #[tracing::instrument(skip(self, caller, reason))]
    pub async fn set_machine_state(
        &self,
        caller: &Caller,
        build_system: String,
        name: String,
        state: MachineState,
        reason: Option<String>,
        until: Option<i64>,
    ) -> Result<Machine, ServiceError> {
        caller.require_admin()?;
        self.write_machine_state(build_system, name, state, reason, until)
            .await
    }
}
