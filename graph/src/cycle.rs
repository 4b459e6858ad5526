//! Keeping the graph acyclic on every insert: a dynamic topological order (Pearce & Kelly,
//! "A dynamic topological sort algorithm for directed acyclic graphs", JEA 2006).
//!
//! Every job has a rank and every edge goes from a higher rank (dependent) to a lower one
//! (dependency). An edge that already agrees with the ranks cannot close a cycle, and that is
//! nearly every edge the store sends, since jobs arrive after what they depend on: O(1). Only an
//! edge against the order triggers a search, and only within the ranks between its ends; a
//! cycle exists exactly when that search from the dependent reaches the dependency. Otherwise
//! the few jobs in the way swap ranks among themselves.
//!
//! Why not a reachability search per insert: it is unbounded (a dependency with a deep
//! ancestry costs its whole ancestry) and needs a visited set per call. The ranks also answer
//! `topological_order` with a sort and prune `shortest_path`.

use std::collections::VecDeque;

use petgraph::Direction::{Incoming, Outgoing};
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::graph::JobGraph;
use crate::node_map::NodeMap;
use crate::{GraphError, JobId};

impl JobGraph {
    /// Makes room for the edge `a -> b` (a depends on b) when `b` ranks above `a`, or reports
    /// the cycle it would close. Leaves the graph unchanged on error.
    pub(crate) fn reorder(&mut self, a: NodeIndex, b: NodeIndex) -> Result<(), GraphError> {
        let lower = self.graph[a].ord;
        let upper = self.graph[b].ord;
        debug_assert!(lower < upper);

        // Forward: `a` and its dependents ranked below `b` must move above `b`. Breadth first,
        // so that the cycle reported, if any, is the shortest one through the new edge.
        let mut parent = NodeMap::with_capacity(16);
        let mut forward = vec![a];
        let mut queue = VecDeque::from([a]);
        while let Some(n) = queue.pop_front() {
            for e in self.graph.edges_directed(n, Incoming) {
                let w = e.source();
                if w == b {
                    parent.get_or_insert(w, n.index() as u32);
                    return Err(self.cycle_through(a, b, &parent));
                }
                if self.graph[w].ord > upper {
                    continue;
                }
                if parent.get_or_insert(w, n.index() as u32).1 {
                    forward.push(w);
                    queue.push_back(w);
                }
            }
        }

        // Backward: `b` and its dependencies ranked above `a` must move below `a`. These
        // cannot meet the forward set, or the forward search would have reached `b`.
        let mut seen = NodeMap::with_capacity(16);
        seen.get_or_insert(b, 0);
        let mut backward = vec![b];
        let mut stack = vec![b];
        while let Some(n) = stack.pop() {
            for w in self.graph.neighbors_directed(n, Outgoing) {
                if self.graph[w].ord > lower && seen.get_or_insert(w, 0).1 {
                    backward.push(w);
                    stack.push(w);
                }
            }
        }

        // Pool the ranks both sets hold and hand them out again, dependencies' side first,
        // each side keeping its internal order.
        let ord = |n: &NodeIndex| self.graph[*n].ord;
        backward.sort_unstable_by_key(ord);
        forward.sort_unstable_by_key(ord);
        let mut ranks: Vec<u32> = backward.iter().chain(&forward).map(ord).collect();
        ranks.sort_unstable();
        for (n, rank) in backward.into_iter().chain(forward).zip(ranks) {
            self.graph[n].ord = rank;
        }
        Ok(())
    }

    /// The cycle the edge `a -> b` would close, from the forward search's parent links: `b`
    /// was reached from `a` through dependents, so following the links from `b` walks
    /// dependency edges back to `a`.
    fn cycle_through(&self, a: NodeIndex, b: NodeIndex, parent: &NodeMap) -> GraphError {
        let mut jobs: Vec<JobId> = vec![self.graph[a].id];
        let mut n = b;
        while n != a {
            jobs.push(self.graph[n].id);
            match parent.get(n) {
                Some(p) => n = NodeIndex::new(p as usize),
                None => break,
            }
        }
        GraphError::Cycle { jobs }
    }
}
