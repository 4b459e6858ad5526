//! The transitive questions of the dependency graph: ancestors, descendants, blockers,
//! impact, critical path, ready jobs, paths, and a drawable subgraph. Answered by the live
//! graph the store keeps current; jobs are then read in batches.

use super::{JobConnection, JobNode};
use async_graphql::{Context, Enum, Object, SimpleObject};
use std::collections::{HashMap, HashSet};
use treeherd_graph::render::{DrawNode, Drawing};
use treeherd_graph::{GraphError, JobGraph, JobId, KindFilter, Reached};
use treeherd_store::{GraphScope, JobFilter, JobScope, PageRequest, Store};

use super::{DependencyKind, Job, connection, page_request};
use crate::ApiError;
use crate::limits::MAX_GRAPH_JOBS;

/// Which way to walk from a job.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GraphDirection {
    /// What the job depends on, transitively.
    #[graphql(name = "UPSTREAM")]
    Upstream,
    /// What depends on the job, transitively.
    #[graphql(name = "DOWNSTREAM")]
    Downstream,
    #[graphql(name = "BOTH")]
    Both,
}

/// The transitive questions asked of one job.
#[derive(Clone, Copy)]
pub(crate) enum Walk {
    Ancestors,
    Descendants,
    Blockers,
    Impact,
}

impl Walk {
    /// What the walk reads of the graph.
    fn scope(self, job: JobId) -> GraphScope {
        match self {
            Walk::Ancestors | Walk::Blockers => GraphScope::ancestors(job),
            Walk::Descendants | Walk::Impact => GraphScope::descendants(job),
        }
    }
}

pub(crate) fn kind_filter(kinds: Option<Vec<DependencyKind>>) -> KindFilter {
    match kinds {
        None => KindFilter::ALL,
        Some(kinds) => {
            let kinds: Vec<treeherd_model::DependencyKind> =
                kinds.into_iter().map(Into::into).collect();
            KindFilter::of(&kinds)
        }
    }
}

fn max_depth(depth: Option<i32>) -> Result<Option<u32>, ApiError> {
    depth
        .map(|d| {
            u32::try_from(d)
                .map_err(|_| ApiError::BadUserInput(format!("maxDepth must be 0 or more, not {d}")))
        })
        .transpose()
}

fn graph_error(e: GraphError) -> ApiError {
    match e {
        GraphError::UnknownJob(id) => {
            ApiError::NotFound(format!("job #{id} is not in the dependency graph"))
        }
        GraphError::Cycle { .. } => ApiError::Internal(format!("unexpected graph error: {e}")),
    }
}

/// Jobs by id, in the order of `ids`.
pub(crate) async fn jobs_in_order(store: &Store, ids: Vec<JobId>) -> Result<Vec<Job>, ApiError> {
    let mut found = store.jobs_by_id(ids.clone()).await?;
    Ok(ids
        .into_iter()
        .filter_map(|id| found.remove(&id))
        .map(Job)
        .collect())
}

/// One page of a transitive walk from `job`; the cursor is the position in the answer.
pub(crate) async fn walk(
    ctx: &Context<'_>,
    job: JobId,
    walk: Walk,
    kinds: Option<Vec<DependencyKind>>,
    depth: Option<i32>,
    first: i32,
    after: Option<String>,
) -> Result<JobConnection, ApiError> {
    let request = page_request(first, after)?;
    let filter = kind_filter(kinds);
    let depth = max_depth(depth)?;
    let store = ctx.data::<Store>()?;
    let reached: Vec<Reached> = store
        .with_graph(walk.scope(job), move |graph: &JobGraph| match walk {
            Walk::Ancestors => graph.ancestors(job, filter, depth),
            Walk::Descendants => graph.descendants(job, filter, depth),
            Walk::Blockers => graph.blockers(job, filter, depth),
            Walk::Impact => graph.impact(job, filter, depth),
        })
        .await?
        .map_err(graph_error)?;
    let start = request
        .after
        .map_or(0, |position| position.saturating_add(1)) as usize;
    let end = start.saturating_add(request.limit).min(reached.len());
    let page: Vec<JobId> = reached
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|r| r.job)
        .collect();
    let jobs = jobs_in_order(store, page).await?;
    let positions: Vec<(i64, Job)> = jobs
        .into_iter()
        .enumerate()
        .map(|(i, job)| ((start + i) as i64, job))
        .collect();
    let page = treeherd_store::Page {
        items: positions,
        has_next: end < reached.len(),
    };
    Ok(JobConnection::from(connection(
        page,
        start > 0,
        |(position, _)| *position,
        |(_, job)| JobNode::from_job(job),
    )))
}

/// The chain of ancestors, ending at the job, with the longest total duration.
#[derive(SimpleObject)]
pub(crate) struct CriticalPath {
    /// From the earliest ancestor to the job itself.
    jobs: Vec<Job>,
    /// Seconds: finished jobs count their run time, running jobs the time so far.
    total_duration: f64,
}

pub(crate) async fn critical_path(
    ctx: &Context<'_>,
    job: JobId,
    kinds: Option<Vec<DependencyKind>>,
) -> Result<CriticalPath, ApiError> {
    let filter = kind_filter(kinds);
    let now = chrono::Utc::now().timestamp_micros();
    let store = ctx.data::<Store>()?;
    let path = store
        .with_graph(GraphScope::ancestors(job), move |graph| {
            graph.critical_path(job, filter, now)
        })
        .await?
        .map_err(graph_error)?;
    Ok(CriticalPath {
        jobs: jobs_in_order(store, path.jobs.clone()).await?,
        total_duration: path.total_seconds,
    })
}

/// Pending jobs of a repository whose dependencies have all arrived and succeeded, newest
/// first; the cursor is the job id.
pub(crate) async fn ready_jobs(
    ctx: &Context<'_>,
    repository: String,
    first: i32,
    after: Option<String>,
) -> Result<JobConnection, ApiError> {
    const SCAN: usize = 500;
    let request = page_request(first, after)?;
    let store = ctx.data::<Store>()?;
    let repository = store.existing_repository(repository).await?;
    let pending = JobFilter {
        state: Some(treeherd_model::JobState::Pending),
        ..JobFilter::default()
    };
    let mut found = Vec::new();
    let mut cursor = request.after;
    loop {
        let candidates = store
            .jobs(
                JobScope::Repository(repository.id),
                pending.clone(),
                PageRequest {
                    after: cursor,
                    limit: SCAN,
                },
            )
            .await?;
        cursor = candidates.items.last().map(|j| j.id.0);
        let ids: Vec<JobId> = candidates.items.iter().map(|j| j.id).collect();
        let ready: Vec<JobId> = store
            .with_graph(GraphScope::direct_dependencies(ids.clone()), move |graph| {
                graph.ready_among(ids, KindFilter::ALL).collect()
            })
            .await?;
        let waiting: HashSet<JobId> = store
            .dangling_dependencies_of(ready.clone())
            .await?
            .into_keys()
            .collect();
        let ready: HashSet<JobId> = ready
            .into_iter()
            .filter(|id| !waiting.contains(id))
            .collect();
        found.extend(
            candidates
                .items
                .into_iter()
                .filter(|j| ready.contains(&j.id)),
        );
        if found.len() > request.limit || !candidates.has_next {
            break;
        }
    }
    let page = treeherd_store::Page {
        has_next: found.len() > request.limit,
        items: found.into_iter().take(request.limit).collect(),
    };
    Ok(JobConnection::from(connection(
        page,
        request.after.is_some(),
        |j| j.id.0,
        JobNode::of,
    )))
}

async fn existing_job(store: &Store, guid: String) -> Result<treeherd_store::Job, ApiError> {
    store
        .job(guid.clone())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no job with guid {guid:?}")))
}

/// The shortest chain of edges between two jobs (following dependencies, or else dependents).
pub(crate) async fn dependency_path(
    ctx: &Context<'_>,
    from: String,
    to: String,
) -> Result<Option<Vec<Job>>, ApiError> {
    let store = ctx.data::<Store>()?;
    let from = existing_job(store, from).await?.id;
    let to = existing_job(store, to).await?.id;
    let path = store
        .with_graph(GraphScope::between(from, to), move |graph| {
            graph.shortest_path(from, to, KindFilter::ALL)
        })
        .await?
        .map_err(graph_error)?;
    match path {
        None => Ok(None),
        Some(path) => Ok(Some(jobs_in_order(store, path).await?)),
    }
}

/// One edge of a drawn subgraph.
#[derive(SimpleObject, Clone)]
pub(crate) struct DependencyEdge {
    kind: DependencyKind,
    /// The guid of the job that waits.
    dependent: String,
    /// The guid of the job it waits on.
    dependency: String,
}

/// A job's neighbourhood in the dependency graph, as data and as pictures.
pub(crate) struct DependencyGraph {
    nodes: Vec<treeherd_store::Job>,
    edges: Vec<(usize, usize, treeherd_model::DependencyKind)>,
}

impl DependencyGraph {
    fn drawing(&self) -> Drawing<'_> {
        Drawing {
            nodes: self
                .nodes
                .iter()
                .map(|job| DrawNode {
                    id: &job.guid,
                    label: job
                        .symbol
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .unwrap_or(&job.name),
                    state: job.state,
                    result: job.result,
                })
                .collect(),
            edges: self.edges.clone(),
        }
    }
}

#[Object]
impl DependencyGraph {
    /// The job asked about first, then the others.
    #[graphql(complexity = "MAX_GRAPH_JOBS * child_complexity")]
    async fn nodes(&self) -> Vec<Job> {
        self.nodes.iter().cloned().map(Job).collect()
    }

    /// Every edge between the nodes (of the kinds asked for).
    #[graphql(complexity = "MAX_GRAPH_JOBS * child_complexity")]
    async fn edges(&self) -> Vec<DependencyEdge> {
        self.edges
            .iter()
            .map(|&(dependent, dependency, kind)| DependencyEdge {
                kind: kind.into(),
                dependent: self.nodes[dependent].guid.clone(),
                dependency: self.nodes[dependency].guid.clone(),
            })
            .collect()
    }

    /// Graphviz DOT text (arrows from a job to the jobs that wait on it).
    #[graphql(complexity = "crate::limits::DRAWING_COST")]
    async fn dot(&self) -> String {
        treeherd_graph::render::dot(&self.drawing())
    }

    /// An SVG picture: layered top to bottom, coloured and labelled by state and result.
    #[graphql(complexity = "crate::limits::DRAWING_COST")]
    async fn svg(&self) -> String {
        treeherd_graph::render::svg(&self.drawing())
    }
}

pub(crate) async fn dependency_graph(
    ctx: &Context<'_>,
    guid: String,
    direction: GraphDirection,
    kinds: Option<Vec<DependencyKind>>,
    depth: Option<i32>,
) -> Result<DependencyGraph, ApiError> {
    let store = ctx.data::<Store>()?;
    let root = existing_job(store, guid).await?;
    let filter = kind_filter(kinds);
    let depth = max_depth(depth)?;
    let root_id = root.id;
    let scope = match direction {
        GraphDirection::Upstream => GraphScope::ancestors(root_id),
        GraphDirection::Downstream => GraphScope::descendants(root_id),
        GraphDirection::Both => GraphScope::around(root_id),
    };
    let (ids, edges) = store
        .with_graph(scope, move |graph| -> Result<_, GraphError> {
            let mut ids = vec![root_id];
            if matches!(direction, GraphDirection::Upstream | GraphDirection::Both) {
                ids.extend(
                    graph
                        .ancestors(root_id, filter, depth)?
                        .into_iter()
                        .map(|r| r.job),
                );
            }
            if matches!(direction, GraphDirection::Downstream | GraphDirection::Both) {
                ids.extend(
                    graph
                        .descendants(root_id, filter, depth)?
                        .into_iter()
                        .map(|r| r.job),
                );
            }
            if ids.len() > MAX_GRAPH_JOBS {
                return Ok((ids, None));
            }
            let index: HashMap<JobId, usize> =
                ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            let mut edges = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                for (dependency, kind) in graph.dependencies(*id, filter)? {
                    if let Some(&j) = index.get(&dependency) {
                        edges.push((i, j, kind));
                    }
                }
            }
            Ok((ids, Some(edges)))
        })
        .await?
        .map_err(graph_error)?;
    let Some(edges) = edges else {
        return Err(ApiError::BadUserInput(format!(
            "that subgraph has {} jobs, more than the {MAX_GRAPH_JOBS} drawn at once: narrow it with maxDepth or kinds",
            ids.len()
        )));
    };
    let mut found = store.jobs_by_id(ids.clone()).await?;
    let nodes: Vec<treeherd_store::Job> = ids.iter().filter_map(|id| found.remove(id)).collect();
    if nodes.len() != ids.len() {
        return Err(ApiError::Internal(
            "graph names jobs the store does not have".into(),
        ));
    }
    Ok(DependencyGraph { nodes, edges })
}
