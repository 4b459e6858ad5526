//! Batch loading of what lists of objects ask for (a job's push, a push's commits, a job's
//! edges), so a page of 100 jobs costs one query per field, not 100 (no N+1).
//!
//! One loader is shared by the schema and caches nothing: every request sees current data,
//! and concurrent requests share batches. Resolvers reach it through [`load`].

use crate::ApiError;
use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use treeherd_model::CommitRecord;
use treeherd_service::Service;
use treeherd_service::bugs::LineSuggestions;
use treeherd_store::{
    Bug, BugId, Classification, DanglingDependency, Dependency, FailureLine, JobCount, JobId, Push,
    PushId, Repository, RepositoryId, Store, StoreError,
};

pub(crate) struct StoreLoader(Store);

/// What the service works out for many objects at once (a job's failure lines' bug
/// suggestions).
pub(crate) struct ServiceLoader(Service);

/// The loaders shared by every request.
pub(crate) struct Loaders(pub DataLoader<StoreLoader>, pub DataLoader<ServiceLoader>);

impl Loaders {
    pub fn new(service: Service) -> Loaders {
        let store = service.store().clone();
        Loaders(
            DataLoader::new(StoreLoader(store), tokio::spawn).delay(Duration::from_micros(200)),
            DataLoader::new(ServiceLoader(service), tokio::spawn).delay(Duration::from_micros(200)),
        )
    }
}

/// The bug suggestions of a failure line, searched with those of the other lines of the
/// request (a failed job's 40 lines: one store call, each distinct term once).
pub(crate) async fn suggestions(
    ctx: &Context<'_>,
    line: &str,
) -> Result<LineSuggestions, ApiError> {
    // A line the service refuses is refused alone, not with the whole batch.
    treeherd_service::bugs::check_line(line)?;
    ctx.data::<Loaders>()?
        .1
        .load_one(SuggestionsOfLine(line.to_owned()))
        .await?
        .ok_or_else(|| ApiError::Internal("a line's suggestions went missing".into()))
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SuggestionsOfLine(pub String);

impl Loader<SuggestionsOfLine> for ServiceLoader {
    type Value = LineSuggestions;
    type Error = ApiError;
    async fn load(
        &self,
        keys: &[SuggestionsOfLine],
    ) -> Result<HashMap<SuggestionsOfLine, LineSuggestions>, ApiError> {
        let lines: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let found = self.0.lines_suggestions(&lines).await?;
        Ok(keys.iter().cloned().zip(found).collect())
    }
}

/// What `key` names (none when it names nothing), batched with the same field of the other
/// objects of the request: how every resolver reaches a related object.
pub(crate) async fn load<K>(
    ctx: &Context<'_>,
    key: K,
) -> Result<Option<<StoreLoader as Loader<K>>::Value>, ApiError>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    StoreLoader: Loader<K, Error = Arc<StoreError>>,
{
    Ok(ctx.data::<Loaders>()?.0.load_one(key).await?)
}

type Loaded<K, V> = Result<HashMap<K, V>, Arc<StoreError>>;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PushById(pub PushId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RepositoryById(pub RepositoryId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RevisionOfPush(pub PushId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct LogsOfJob(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ArtifactsOfJob(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ArtifactsOfResult(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ErrorsOfLog(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct StepsOfLog(pub i64);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct JobById(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CommitsOfPush(pub PushId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct StatusOfPush(pub PushId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DependenciesOfJob(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DanglingOfJob(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DependentsOfJob(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ClassificationOfJob(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ClassificationsOfJob(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FailureLinesOfJob(pub JobId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct UnclassifiedOfPush(pub PushId);
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct BugById(pub BugId);

/// Re-keys a store answer by the loader's key type.
fn keyed<I, K: Copy + Eq + std::hash::Hash, V>(
    answer: Result<HashMap<I, V>, StoreError>,
    key: impl Fn(I) -> K,
) -> Loaded<K, V> {
    Ok(answer
        .map_err(Arc::new)?
        .into_iter()
        .map(|(id, v)| (key(id), v))
        .collect())
}

impl Loader<PushById> for StoreLoader {
    type Value = Push;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[PushById]) -> Loaded<PushById, Push> {
        keyed(
            self.0
                .pushes_by_id(keys.iter().map(|k| k.0).collect())
                .await,
            PushById,
        )
    }
}

impl Loader<RevisionOfPush> for StoreLoader {
    type Value = String;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[RevisionOfPush]) -> Loaded<RevisionOfPush, String> {
        keyed(
            self.0
                .push_revisions(keys.iter().map(|k| k.0).collect())
                .await,
            RevisionOfPush,
        )
    }
}

impl Loader<LogsOfJob> for StoreLoader {
    type Value = Vec<treeherd_store::JobLog>;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[LogsOfJob]) -> Loaded<LogsOfJob, Vec<treeherd_store::JobLog>> {
        keyed(
            self.0.logs_of(keys.iter().map(|k| k.0).collect()).await,
            LogsOfJob,
        )
    }
}

impl Loader<ArtifactsOfJob> for StoreLoader {
    type Value = Vec<treeherd_store::Artifact>;
    type Error = Arc<StoreError>;
    async fn load(
        &self,
        keys: &[ArtifactsOfJob],
    ) -> Loaded<ArtifactsOfJob, Vec<treeherd_store::Artifact>> {
        keyed(
            self.0
                .artifacts_of(keys.iter().map(|k| k.0.0).collect())
                .await,
            |id| ArtifactsOfJob(JobId(id)),
        )
    }
}

impl Loader<ArtifactsOfResult> for StoreLoader {
    type Value = Vec<treeherd_store::Artifact>;
    type Error = Arc<StoreError>;
    async fn load(
        &self,
        keys: &[ArtifactsOfResult],
    ) -> Loaded<ArtifactsOfResult, Vec<treeherd_store::Artifact>> {
        keyed(
            self.0
                .artifacts_of_results(keys.iter().map(|k| k.0).collect())
                .await,
            ArtifactsOfResult,
        )
    }
}

impl Loader<ErrorsOfLog> for StoreLoader {
    type Value = Vec<treeherd_store::LogError>;
    type Error = Arc<StoreError>;
    async fn load(
        &self,
        keys: &[ErrorsOfLog],
    ) -> Loaded<ErrorsOfLog, Vec<treeherd_store::LogError>> {
        keyed(
            self.0.log_errors(keys.iter().map(|k| k.0).collect()).await,
            ErrorsOfLog,
        )
    }
}

impl Loader<StepsOfLog> for StoreLoader {
    type Value = Vec<treeherd_store::LogStep>;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[StepsOfLog]) -> Loaded<StepsOfLog, Vec<treeherd_store::LogStep>> {
        keyed(
            self.0.log_steps(keys.iter().map(|k| k.0).collect()).await,
            StepsOfLog,
        )
    }
}

impl Loader<JobById> for StoreLoader {
    type Value = treeherd_store::Job;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[JobById]) -> Loaded<JobById, treeherd_store::Job> {
        keyed(
            self.0.jobs_by_id(keys.iter().map(|k| k.0).collect()).await,
            JobById,
        )
    }
}

impl Loader<RepositoryById> for StoreLoader {
    type Value = Repository;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[RepositoryById]) -> Loaded<RepositoryById, Repository> {
        keyed(
            self.0
                .repositories_by_id(keys.iter().map(|k| k.0).collect())
                .await,
            RepositoryById,
        )
    }
}

impl Loader<StatusOfPush> for StoreLoader {
    type Value = Vec<JobCount>;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[StatusOfPush]) -> Loaded<StatusOfPush, Vec<JobCount>> {
        keyed(
            self.0
                .push_statuses(keys.iter().map(|k| k.0).collect())
                .await,
            StatusOfPush,
        )
    }
}

impl Loader<UnclassifiedOfPush> for StoreLoader {
    type Value = i64;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[UnclassifiedOfPush]) -> Loaded<UnclassifiedOfPush, i64> {
        keyed(
            self.0
                .unclassified_failures(keys.iter().map(|k| k.0).collect())
                .await,
            UnclassifiedOfPush,
        )
    }
}

impl Loader<BugById> for StoreLoader {
    type Value = Bug;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[BugById]) -> Loaded<BugById, Bug> {
        keyed(
            self.0.bugs(keys.iter().map(|k| k.0).collect()).await,
            BugById,
        )
    }
}

impl Loader<ClassificationOfJob> for StoreLoader {
    type Value = Classification;
    type Error = Arc<StoreError>;
    async fn load(
        &self,
        keys: &[ClassificationOfJob],
    ) -> Loaded<ClassificationOfJob, Classification> {
        keyed(
            self.0
                .current_classifications(keys.iter().map(|k| k.0).collect())
                .await,
            ClassificationOfJob,
        )
    }
}

impl Loader<ClassificationsOfJob> for StoreLoader {
    type Value = Vec<Classification>;
    type Error = Arc<StoreError>;
    async fn load(
        &self,
        keys: &[ClassificationsOfJob],
    ) -> Loaded<ClassificationsOfJob, Vec<Classification>> {
        keyed(
            self.0
                .classification_history(keys.iter().map(|k| k.0).collect())
                .await,
            ClassificationsOfJob,
        )
    }
}

impl Loader<FailureLinesOfJob> for StoreLoader {
    type Value = Vec<FailureLine>;
    type Error = Arc<StoreError>;
    async fn load(
        &self,
        keys: &[FailureLinesOfJob],
    ) -> Loaded<FailureLinesOfJob, Vec<FailureLine>> {
        keyed(
            self.0
                .failure_lines(keys.iter().map(|k| k.0).collect())
                .await,
            FailureLinesOfJob,
        )
    }
}

impl Loader<CommitsOfPush> for StoreLoader {
    type Value = Vec<CommitRecord>;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[CommitsOfPush]) -> Loaded<CommitsOfPush, Vec<CommitRecord>> {
        keyed(
            self.0.commits(keys.iter().map(|k| k.0).collect()).await,
            CommitsOfPush,
        )
    }
}

impl Loader<DependenciesOfJob> for StoreLoader {
    type Value = Vec<Dependency>;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[DependenciesOfJob]) -> Loaded<DependenciesOfJob, Vec<Dependency>> {
        keyed(
            self.0
                .dependencies_of(keys.iter().map(|k| k.0).collect())
                .await,
            DependenciesOfJob,
        )
    }
}

impl Loader<DanglingOfJob> for StoreLoader {
    type Value = Vec<DanglingDependency>;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[DanglingOfJob]) -> Loaded<DanglingOfJob, Vec<DanglingDependency>> {
        keyed(
            self.0
                .dangling_dependencies_of(keys.iter().map(|k| k.0).collect())
                .await,
            DanglingOfJob,
        )
    }
}

impl Loader<DependentsOfJob> for StoreLoader {
    type Value = Vec<Dependency>;
    type Error = Arc<StoreError>;
    async fn load(&self, keys: &[DependentsOfJob]) -> Loaded<DependentsOfJob, Vec<Dependency>> {
        keyed(
            self.0
                .dependents_of(keys.iter().map(|k| k.0).collect())
                .await,
            DependentsOfJob,
        )
    }
}
