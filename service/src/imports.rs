//! Importing what build systems and repositories already hold: a Taskcluster task graph
//! (`full-task-graph.json`, `task-graph.json`, or queue task definitions keyed by taskId)
//! becomes UNSCHEDULED jobs of one push and typed edges (dependencies on tasks outside the
//! file are kept as dangling edges that bind if those jobs arrive later); a git history
//! becomes pushes; buildhub records become builds. The first two write in chunks and report
//! progress to whoever runs them (the CLI shows it on a terminal); builds are one
//! transaction.

/// Buildhub records as the import reads them (the format is `treeherd_ingest`'s).
pub use treeherd_ingest::parse_buildhub;
use treeherd_ingest::{EdgeRules, TaskGraph};
use treeherd_model::{JobResult, JobState, NewBuild, NewJob, Revision};
use treeherd_store::NewDependency;

use crate::error::ServiceError;
use crate::service::Service;

/// Where an import reports how far it got.
pub trait Progress {
    /// `done` of `total` items (`what` names them) are written.
    fn at(&self, done: usize, total: usize, what: &str);
    /// The import is over.
    fn finish(&self) {}
}

/// No report.
impl Progress for () {
    fn at(&self, _: usize, _: usize, _: &str) {}
}

/// Jobs and edges written per transaction.
const CHUNK: usize = 1000;

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub jobs: usize,
    pub edges: usize,
}

/// Parses a task graph with `rules` (the default edge-kind rules when `None`).
pub fn parse(
    json: &serde_json::Value,
    rules: Option<&EdgeRules>,
) -> Result<TaskGraph, treeherd_ingest::GraphFormatError> {
    match rules {
        Some(rules) => treeherd_ingest::parse_task_graph_with(json, rules),
        None => treeherd_ingest::parse_task_graph(json),
    }
}

/// Writes the graph's tasks as UNSCHEDULED jobs of `revision`'s push in `repository` (a
/// placeholder push if the pushlog has not brought it yet), then its edges.
#[tracing::instrument(skip_all, fields(repository = %repository, tasks = graph.tasks.len(), edges = graph.edges.len()))]
pub async fn task_graph(
    service: &Service,
    graph: TaskGraph,
    repository: &str,
    revision: &Revision,
    progress: &dyn Progress,
) -> Result<Imported, ServiceError> {
    let store = service.store();
    let total = graph.tasks.len() + graph.edges.len();
    let jobs: Vec<NewJob> = graph
        .tasks
        .into_iter()
        .map(|task| NewJob {
            guid: task.key,
            repository: repository.to_owned(),
            revision: Some(revision.clone()),
            kind: task.kind,
            name: task.name,
            symbol: task.symbol,
            group_symbol: task.group_symbol,
            group_name: task.group_name,
            platform: task.platform,
            build_system: Some("taskcluster".into()),
            state: JobState::Unscheduled,
            result: JobResult::Unknown,
            tier: task.tier,
            machine: None,
            submitted_at: None,
            started_at: None,
            finished_at: None,
            attributes: task.attributes,
            logs: Vec::new(),
            artifacts: Vec::new(),
        })
        .collect();
    let job_count = jobs.len();
    let mut done = 0;
    for chunk in jobs.chunks(CHUNK) {
        store.submit_jobs(chunk.to_vec()).await?;
        done += chunk.len();
        progress.at(done, total, "jobs and edges");
    }
    let edges: Vec<NewDependency> = graph
        .edges
        .into_iter()
        .map(|edge| NewDependency {
            dependent: edge.dependent,
            dependency: edge.dependency,
            kind: edge.kind,
        })
        .collect();
    let mut edge_count = 0;
    for chunk in edges.chunks(CHUNK) {
        edge_count += store.add_dependencies(chunk.to_vec()).await?;
        done += chunk.len();
        progress.at(done, total, "jobs and edges");
    }
    progress.finish();
    Ok(Imported {
        jobs: job_count,
        edges: edge_count,
    })
}

/// Stores the pushes of a git history (see `treeherd_pushlog::first_parent_pushes`) in
/// transactions of `CHUNK` pushes (announced as any stored push), reporting progress;
/// returns how many were stored.
#[tracing::instrument(skip_all, fields(repository = %repository, pushes = pushes.len()))]
pub async fn git_pushes(
    service: &Service,
    repository: &str,
    pushes: treeherd_pushlog::FirstParentPushes,
    progress: &dyn Progress,
) -> Result<usize, ServiceError> {
    let total = pushes.len();
    let mut stored = 0;
    let mut pushes = pushes.peekable();
    while pushes.peek().is_some() {
        let chunk: Vec<_> = pushes.by_ref().take(CHUNK).collect();
        stored += chunk.len();
        service.store_pushes(repository.to_owned(), chunk).await?;
        progress.at(stored, total, "pushes");
    }
    progress.finish();
    Ok(stored)
}

/// Stores buildhub records in one transaction, upserted by product, build id, platform,
/// locale and channel (an import runs with the database's own access, as a trusted caller
/// would); answers how many distinct builds it stored.
#[tracing::instrument(skip_all, fields(builds = builds.len()))]
pub async fn buildhub(service: &Service, builds: Vec<NewBuild>) -> Result<usize, ServiceError> {
    Ok(service.store().store_builds(builds).await?.len())
}
