//! The graph itself: storage, the id index, and the mutations (jobs arriving, edges binding,
//! removals). The questions live in `traverse` and `critical`; the cycle check in `cycle`.
//!
//! Storage is a petgraph `StableGraph` with `u32` indices, so removing a job never renumbers
//! the others, plus a hash index from the store's job id to the node. Edges point from the
//! dependent to its dependency (`Outgoing` = towards dependencies).

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use treeherd_model::DependencyKind;

use crate::hash::{FastMap, map_with_capacity};
use crate::job::Node;
use crate::{GraphError, JobId, JobStatus, KindFilter};

pub(crate) type Inner = StableDiGraph<Node, DependencyKind, u32>;

/// The dependency graph of every job the process knows. See the crate docs for the
/// invariants.
#[derive(Debug, Clone, Default)]
pub struct JobGraph {
    pub(crate) graph: Inner,
    pub(crate) index: FastMap<JobId, NodeIndex>,
    /// The rank the next new job gets: new jobs go last in the topological order, which is
    /// right for the common case (a new job depends on older ones).
    pub(crate) next_ord: u32,
    /// How many held jobs have a neighbour that is not held (see `frontier`): while none
    /// has, every walk is complete without looking.
    pub(crate) outside: usize,
}

impl JobGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty graph with room for `nodes` jobs and `edges` edges.
    pub fn with_capacity(nodes: usize, edges: usize) -> Self {
        JobGraph {
            graph: Inner::with_capacity(nodes, edges),
            index: map_with_capacity(nodes),
            next_ord: 0,
            outside: 0,
        }
    }

    /// The number of jobs.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether the graph holds no job.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of edges (dependent, dependency) pairs.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Whether the job has arrived.
    pub fn contains(&self, id: JobId) -> bool {
        self.index.contains_key(&id)
    }

    /// The status of a job.
    pub fn job(&self, id: JobId) -> Option<JobStatus> {
        self.index.get(&id).map(|&n| self.graph[n].status())
    }

    /// Every job id, in no particular order.
    pub fn job_ids(&self) -> impl Iterator<Item = JobId> + '_ {
        self.index.keys().copied()
    }

    /// Adds a job, or updates the status of one already present. Returns whether it is new.
    pub fn upsert_job(&mut self, id: JobId, status: JobStatus) -> bool {
        if let Some(&n) = self.index.get(&id) {
            self.graph[n].set_status(status);
            return false;
        }
        let ord = self.take_ord();
        let n = self.graph.add_node(Node::new(id, status, ord));
        self.index.insert(id, n);
        true
    }

    /// Removes a job and every edge touching it; returns its last status. Removing never
    /// breaks the topological order, so this is cheap.
    pub fn remove_job(&mut self, id: JobId) -> Option<JobStatus> {
        let n = self.index.remove(&id)?;
        let node = self.graph.remove_node(n)?;
        if node.outside != 0 {
            self.outside -= 1;
        }
        Some(node.status())
    }

    /// The memory the graph has allocated, in bytes: its node and edge slots (vacant ones
    /// included) and the id index, by capacity, so growth shows before it is used.
    pub fn heap_bytes(&self) -> usize {
        let (nodes, edges) = self.graph.capacity();
        Self::bytes(nodes, edges, self.index.capacity())
    }

    /// What [`JobGraph::with_capacity`]`(nodes, edges)` allocates, in bytes (see
    /// [`heap_bytes`](Self::heap_bytes)).
    pub fn bytes_for(nodes: usize, edges: usize) -> usize {
        Self::bytes(nodes, edges, nodes)
    }

    fn bytes(nodes: usize, edges: usize, indexed: usize) -> usize {
        // hashbrown: buckets are a power of two at most 7/8 full, a control byte each.
        let buckets = if indexed == 0 {
            0
        } else {
            (indexed.saturating_mul(8) / 7).next_power_of_two()
        };
        nodes * std::mem::size_of::<petgraph::graph::Node<Option<Node>, u32>>()
            + edges * std::mem::size_of::<petgraph::graph::Edge<Option<DependencyKind>, u32>>()
            + buckets * (std::mem::size_of::<(JobId, NodeIndex)>() + 1)
    }

    /// Records that `dependent` depends on `dependency`. Returns whether the edge is new; an
    /// existing edge between the same pair takes the new kind.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when either end has not arrived; [`GraphError::Cycle`] when
    /// `dependency` already depends (transitively) on `dependent`, naming the cycle. A refused
    /// edge leaves the graph unchanged.
    pub fn add_edge(
        &mut self,
        dependent: JobId,
        dependency: JobId,
        kind: DependencyKind,
    ) -> Result<bool, GraphError> {
        let a = self.node(dependent)?;
        let b = self.node(dependency)?;
        if a == b {
            return Err(GraphError::Cycle {
                jobs: vec![dependent],
            });
        }
        if let Some(e) = self.find_edge(a, b) {
            self.graph[e] = kind;
            return Ok(false);
        }
        // The order already has the dependency first: nothing can cycle, nothing moves.
        if self.graph[b].ord > self.graph[a].ord {
            self.reorder(a, b)?;
        }
        self.graph.add_edge(a, b, kind);
        Ok(true)
    }

    /// Forgets that `dependent` depends on `dependency`; returns the edge's kind if there was
    /// one.
    pub fn remove_edge(&mut self, dependent: JobId, dependency: JobId) -> Option<DependencyKind> {
        let a = *self.index.get(&dependent)?;
        let b = *self.index.get(&dependency)?;
        let e = self.find_edge(a, b)?;
        self.graph.remove_edge(e)
    }

    /// The kind of the edge from `dependent` to `dependency`, if there is one.
    pub fn edge(&self, dependent: JobId, dependency: JobId) -> Option<DependencyKind> {
        let a = *self.index.get(&dependent)?;
        let b = *self.index.get(&dependency)?;
        self.find_edge(a, b).map(|e| self.graph[e])
    }

    /// The jobs `id` depends on directly (one hop), with the edge kinds, by job id.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when `id` has not arrived.
    pub fn dependencies(
        &self,
        id: JobId,
        filter: KindFilter,
    ) -> Result<Vec<(JobId, DependencyKind)>, GraphError> {
        self.one_hop(id, filter, Outgoing)
    }

    /// The jobs depending directly on `id` (one hop), with the edge kinds, by job id.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when `id` has not arrived.
    pub fn dependents(
        &self,
        id: JobId,
        filter: KindFilter,
    ) -> Result<Vec<(JobId, DependencyKind)>, GraphError> {
        self.one_hop(id, filter, Incoming)
    }

    fn one_hop(
        &self,
        id: JobId,
        filter: KindFilter,
        dir: petgraph::Direction,
    ) -> Result<Vec<(JobId, DependencyKind)>, GraphError> {
        let n = self.node(id)?;
        let mut hops: Vec<_> = self
            .graph
            .edges_directed(n, dir)
            .filter(|e| filter.allows(*e.weight()))
            .map(|e| (self.graph[other_end(&e, dir)].id, *e.weight()))
            .collect();
        // Adjacency lists come out newest first; a stable order makes pages and tests sane.
        hops.sort_unstable_by_key(|&(job, _)| job);
        Ok(hops)
    }

    pub(crate) fn node(&self, id: JobId) -> Result<NodeIndex, GraphError> {
        self.index
            .get(&id)
            .copied()
            .ok_or(GraphError::UnknownJob(id))
    }

    /// The edge `a -> b`, found by walking `a`'s dependencies and `b`'s dependents in
    /// lockstep: the edge is on both lists, so the shorter one settles it. A release with
    /// thousands of dependencies gains a new one in O(1) this way, as its new dependency has
    /// few dependents.
    pub(crate) fn find_edge(&self, a: NodeIndex, b: NodeIndex) -> Option<EdgeIndex> {
        let mut out = self.graph.edges_directed(a, Outgoing);
        let mut inc = self.graph.edges_directed(b, Incoming);
        loop {
            let e = out.next()?;
            if e.target() == b {
                return Some(e.id());
            }
            let e = inc.next()?;
            if e.source() == a {
                return Some(e.id());
            }
        }
    }

    fn take_ord(&mut self) -> u32 {
        if self.next_ord == u32::MAX {
            self.compact_ords();
        }
        let ord = self.next_ord;
        self.next_ord += 1;
        ord
    }

    /// Renumbers ranks 0..n keeping their order, once every four billion new jobs.
    fn compact_ords(&mut self) {
        let mut nodes: Vec<NodeIndex> = self.graph.node_indices().collect();
        nodes.sort_unstable_by_key(|&n| self.graph[n].ord);
        for (rank, &n) in (0u32..).zip(&nodes) {
            self.graph[n].ord = rank;
        }
        self.next_ord = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    }

    /// Checks the invariants: the index and the nodes agree, ranks are distinct, and every
    /// edge goes from a higher rank to a lower one (hence no cycle).
    #[cfg(test)]
    pub(crate) fn assert_consistent(&self) {
        let mut ords = std::collections::HashSet::new();
        for n in self.graph.node_indices() {
            let node = &self.graph[n];
            assert_eq!(self.index.get(&node.id), Some(&n));
            assert!(ords.insert(node.ord), "rank {} is shared", node.ord);
            assert!(node.ord < self.next_ord);
        }
        assert_eq!(self.index.len(), self.graph.node_count());
        use petgraph::visit::IntoEdgeReferences;
        for e in self.graph.edge_references() {
            let (a, b) = (&self.graph[e.source()], &self.graph[e.target()]);
            assert!(a.ord > b.ord, "edge {} -> {} against the order", a.id, b.id);
        }
    }
}

/// The end of `e` that is not the node whose `dir` edges are being walked.
#[inline]
pub(crate) fn other_end<E: EdgeRef<NodeId = NodeIndex>>(
    e: &E,
    dir: petgraph::Direction,
) -> NodeIndex {
    match dir {
        Outgoing => e.target(),
        Incoming => e.source(),
    }
}
