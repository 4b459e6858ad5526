//! The cold-start path: load every job and edge without a per-edge check, then check the
//! whole graph once: a scan when the load order already ranks every edge (the usual case),
//! else a full ranking by Kahn's algorithm, which is also the acyclicity check.
//!
//! A builder rather than an "unchecked" flag on [`JobGraph`] so that a `JobGraph` is always
//! ranked and acyclic: there is no half-loaded state for a question to stumble on.

use std::collections::VecDeque;

use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, IntoEdgeReferences, NodeIndexable};
use treeherd_model::DependencyKind;

use crate::graph::JobGraph;
use crate::{GraphError, JobId, JobStatus};

/// Collects jobs and edges for a [`JobGraph`] and checks them all at once in
/// [`build`](Self::build).
#[derive(Debug, Default)]
pub struct JobGraphBuilder {
    graph: JobGraph,
}

impl JobGraphBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder with room for `nodes` jobs and `edges` edges.
    pub fn with_capacity(nodes: usize, edges: usize) -> Self {
        JobGraphBuilder {
            graph: JobGraph::with_capacity(nodes, edges),
        }
    }

    /// Adds a job, or updates one already added.
    pub fn upsert_job(&mut self, id: JobId, status: JobStatus) -> &mut Self {
        self.graph.upsert_job(id, status);
        self
    }

    /// Adds an edge without looking for cycles. When the same pair comes twice the last kind
    /// wins, as with [`JobGraph::add_edge`].
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when either end has not been added (jobs come first).
    pub fn add_edge(
        &mut self,
        dependent: JobId,
        dependency: JobId,
        kind: DependencyKind,
    ) -> Result<&mut Self, GraphError> {
        let a = self.graph.node(dependent)?;
        let b = self.graph.node(dependency)?;
        match self.graph.find_edge(a, b) {
            Some(e) => self.graph.graph[e] = kind,
            None => {
                self.graph.graph.add_edge(a, b, kind);
            }
        }
        Ok(self)
    }

    /// Adds edges without looking for cycles, stopping at the first unknown job.
    ///
    /// # Errors
    /// As [`add_edge`](Self::add_edge).
    pub fn extend_edges<I>(&mut self, edges: I) -> Result<&mut Self, GraphError>
    where
        I: IntoIterator<Item = (JobId, JobId, DependencyKind)>,
    {
        for (dependent, dependency, kind) in edges {
            self.add_edge(dependent, dependency, kind)?;
        }
        Ok(self)
    }

    /// Ranks every job, which checks that the edges have no cycle.
    ///
    /// # Errors
    /// [`GraphError::Cycle`] naming one cycle, when the edges have any (a self-edge
    /// included).
    pub fn build(self) -> Result<JobGraph, GraphError> {
        let mut graph = self.graph;
        // Jobs usually load in id order, after what they depend on: then the ranks they got
        // on arrival already order every edge, and one scan proves it.
        let g = &graph.graph;
        if g.edge_references()
            .all(|e| g[e.source()].ord > g[e.target()].ord)
        {
            return Ok(graph);
        }
        rank(&mut graph)?;
        Ok(graph)
    }
}

/// Kahn's algorithm over the dependency direction: a job gets its rank once all its
/// dependencies have theirs. Jobs left unranked sit on or behind a cycle.
fn rank(graph: &mut JobGraph) -> Result<(), GraphError> {
    let mut waiting = vec![0u32; graph.graph.node_bound()];
    for e in graph.graph.edge_references() {
        waiting[e.source().index()] += 1;
    }
    let mut ready: VecDeque<NodeIndex> = graph
        .graph
        .node_indices()
        .filter(|n| waiting[n.index()] == 0)
        .collect();
    let mut next = 0u32;
    while let Some(n) = ready.pop_front() {
        graph.graph[n].ord = next;
        next += 1;
        for w in graph
            .graph
            .neighbors_directed(n, petgraph::Direction::Incoming)
        {
            let count = &mut waiting[w.index()];
            *count -= 1;
            if *count == 0 {
                ready.push_back(w);
            }
        }
    }
    graph.next_ord = next;
    if graph.graph.node_indices().all(|n| waiting[n.index()] == 0) {
        return Ok(());
    }
    Err(find_cycle(graph, &waiting))
}

/// One cycle among the unranked jobs. Each of them waits on at least one unranked dependency,
/// so walking such dependencies must revisit a job; the walk from that job on is the cycle.
fn find_cycle(graph: &JobGraph, waiting: &[u32]) -> GraphError {
    let g = &graph.graph;
    let unranked = |n: &NodeIndex| waiting[n.index()] > 0;
    let mut path: Vec<NodeIndex> = Vec::new();
    let mut position = crate::hash::map_with_capacity::<NodeIndex, usize>(64);
    let mut n = g.node_indices().find(unranked);
    while let Some(cur) = n {
        if let Some(&start) = position.get(&cur) {
            return GraphError::Cycle {
                jobs: path[start..].iter().map(|&p| g[p].id).collect(),
            };
        }
        position.insert(cur, path.len());
        path.push(cur);
        n = g
            .neighbors_directed(cur, petgraph::Direction::Outgoing)
            .find(unranked);
    }
    // Unreachable while the counts are right; an empty cycle is the honest fallback.
    GraphError::Cycle { jobs: Vec::new() }
}
