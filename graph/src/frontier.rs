//! A graph that holds part of history: which held jobs have neighbours it does not hold, and
//! letting the oldest jobs go.
//!
//! A process may hold only its newest jobs (the store's memory budget). Every held job keeps
//! two bits: some dependency is not held, some dependent is not held. A question whose walk
//! meets a bit in its direction could reach jobs that are not here, so the caller answers it
//! from the store instead; a walk that meets none is complete, and its answer is exactly the
//! full graph's. The bits are conservative: they are set when a neighbour goes or arrives
//! elsewhere and cleared only when the job itself goes, so a stale bit costs a trip to the
//! store, never a wrong answer.

use petgraph::Direction::{self, Incoming, Outgoing};
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, NodeIndexable};

use crate::JobId;
use crate::graph::JobGraph;
use crate::hash::map_with_capacity;
use crate::job::{DEPENDENCIES_OUTSIDE, DEPENDENTS_OUTSIDE};
use crate::visited::Visited;

/// Which way from a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    /// What it waits on.
    Dependencies,
    /// What waits on it.
    Dependents,
}

impl Toward {
    fn bit(self) -> u8 {
        match self {
            Toward::Dependencies => DEPENDENCIES_OUTSIDE,
            Toward::Dependents => DEPENDENTS_OUTSIDE,
        }
    }

    fn direction(self) -> Direction {
        match self {
            Toward::Dependencies => Outgoing,
            Toward::Dependents => Incoming,
        }
    }
}

impl JobGraph {
    /// Records that `id` has a neighbour `toward` that this graph does not hold. Does nothing
    /// when `id` is not held.
    pub fn mark_outside(&mut self, id: JobId, toward: Toward) {
        if let Some(&n) = self.index.get(&id) {
            self.mark(n, toward.bit());
        }
    }

    fn mark(&mut self, n: NodeIndex, bit: u8) {
        let node = &mut self.graph[n];
        if node.outside == 0 {
            self.outside += 1;
        }
        node.outside |= bit;
    }

    /// How many held jobs have a neighbour that is not held.
    pub fn frontier_len(&self) -> usize {
        self.outside
    }

    /// Whether a walk from `ids` towards `toward`, at most `hops` edges deep (`None`: as far
    /// as it goes), over every kind of edge, meets a job with a neighbour that way that is not
    /// held. When it does not, every question asked of those jobs that way is answered
    /// completely here. Ids that are not held are skipped (the caller knows which are).
    pub fn reaches_outside(&self, ids: &[JobId], toward: Toward, hops: Option<u32>) -> bool {
        if self.outside == 0 {
            return false;
        }
        let (bit, dir) = (toward.bit(), toward.direction());
        let g = &self.graph;
        let mut seen = Visited::new(g.node_bound());
        let mut queue: Vec<(NodeIndex, u32)> = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(&n) = self.index.get(id)
                && seen.insert(n)
            {
                queue.push((n, 0));
            }
        }
        let mut head = 0;
        while let Some(&(n, depth)) = queue.get(head) {
            head += 1;
            if g[n].outside & bit != 0 {
                return true;
            }
            if hops.is_some_and(|max| depth >= max) {
                continue;
            }
            for e in g.edges_directed(n, dir) {
                let w = match dir {
                    Outgoing => e.target(),
                    Incoming => e.source(),
                };
                if seen.insert(w) {
                    queue.push((w, depth + 1));
                }
            }
        }
        false
    }

    /// The smallest id of the newest `keep` jobs: keeping the jobs from it on holds `keep`.
    /// `None` when the graph holds no more than `keep`.
    pub fn oldest_of_newest(&self, keep: usize) -> Option<JobId> {
        let len = self.len();
        if len <= keep {
            return None;
        }
        let mut ids: Vec<JobId> = self.job_ids().collect();
        let (_, &mut floor, _) = ids.select_nth_unstable(len - keep.max(1));
        Some(floor)
    }

    /// Lets every job older than `floor` (a smaller id) go, marking what it leaves behind:
    /// a held job it depended on now has a dependent outside, a held job that depended on it
    /// a dependency outside. Returns how many jobs went.
    pub fn evict_below(&mut self, floor: JobId) -> usize {
        let old: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&n| self.graph[n].id < floor)
            .collect();
        for &n in &old {
            let left: Vec<(NodeIndex, u8)> = self
                .graph
                .edges_directed(n, Outgoing)
                .map(|e| (e.target(), DEPENDENTS_OUTSIDE))
                .chain(
                    self.graph
                        .edges_directed(n, Incoming)
                        .map(|e| (e.source(), DEPENDENCIES_OUTSIDE)),
                )
                .filter(|&(w, _)| self.graph[w].id >= floor)
                .collect();
            for (w, bit) in left {
                self.mark(w, bit);
            }
            let id = self.graph[n].id;
            self.remove_job(id);
        }
        // Removals leave tombstones that the id index would later clear by growing: build
        // it again at the same capacity, so a graph that lets go stays the size it was given.
        let mut index = map_with_capacity(self.index.capacity());
        index.extend(self.index.drain());
        self.index = index;
        old.len()
    }
}
