//! The breadth-first questions: ancestors, descendants, blockers, impact, readiness, shortest
//! path and topological order.
//!
//! Every question takes `&self` and allocates its own scratch (see `visited`: sized to what
//! it visits while that is small), so readers behind a `RwLock` never contend and a small
//! question on a large graph stays small.

use std::collections::VecDeque;

use petgraph::Direction::{self, Incoming, Outgoing};
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, NodeIndexable};

use crate::graph::{JobGraph, other_end};
use crate::node_map::NodeMap;
use crate::visited::Visited;
use crate::{GraphError, JobId, KindFilter};

/// A job found by a walk, with its distance in edges from where the walk started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reached {
    pub job: JobId,
    pub depth: u32,
}

impl JobGraph {
    /// Everything `id` depends on, transitively, over edges of the filtered kinds and at most
    /// `max_depth` edges away. Breadth-first: depths never decrease; within a depth, by job
    /// id. `id` itself is not included.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when `id` has not arrived.
    pub fn ancestors(
        &self,
        id: JobId,
        filter: KindFilter,
        max_depth: Option<u32>,
    ) -> Result<Vec<Reached>, GraphError> {
        let start = self.node(id)?;
        Ok(self.reached(self.walk(start, Outgoing, filter, max_depth, |_| true)))
    }

    /// Everything that depends on `id`, transitively; otherwise as [`ancestors`](Self::ancestors).
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when `id` has not arrived.
    pub fn descendants(
        &self,
        id: JobId,
        filter: KindFilter,
        max_depth: Option<u32>,
    ) -> Result<Vec<Reached>, GraphError> {
        let start = self.node(id)?;
        Ok(self.reached(self.walk(start, Incoming, filter, max_depth, |_| true)))
    }

    /// What stands between `id` and being able to run: the nearest unsatisfied ancestors
    /// (a job is satisfied when completed with success).
    ///
    /// The walk goes up from `id` through unsatisfied jobs only; a blocker is a job it
    /// reaches none of whose own dependencies (of the filtered kinds) is unsatisfied: a failed
    /// job, a running one, a pending one whose dependencies all succeeded. A chain
    /// longer than `max_depth` hides the blockers past it. By depth, then job id.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when `id` has not arrived.
    pub fn blockers(
        &self,
        id: JobId,
        filter: KindFilter,
        max_depth: Option<u32>,
    ) -> Result<Vec<Reached>, GraphError> {
        let start = self.node(id)?;
        let g = &self.graph;
        let mut seen = Visited::new(g.node_bound());
        seen.insert(start);
        let mut queue = VecDeque::from([(start, 0u32)]);
        let mut blockers = Vec::new();
        while let Some((n, depth)) = queue.pop_front() {
            let expand = max_depth.is_none_or(|max| depth < max);
            let mut waits = false;
            for e in g.edges_directed(n, Outgoing) {
                if !filter.allows(*e.weight()) || g[e.target()].is_satisfied() {
                    continue;
                }
                waits = true;
                if !expand {
                    break;
                }
                if seen.insert(e.target()) {
                    queue.push_back((e.target(), depth + 1));
                }
            }
            if !waits && n != start {
                blockers.push(Reached {
                    job: g[n].id,
                    depth,
                });
            }
        }
        blockers.sort_unstable_by_key(|r| (r.depth, r.job));
        Ok(blockers)
    }

    /// What cannot run if `id` fails: its descendants that have not completed, reached
    /// through descendants that have not completed (a completed job already ran, so what
    /// hangs below it does not wait on `id` through it). By depth, then job id; `id` excluded.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when `id` has not arrived.
    pub fn impact(
        &self,
        id: JobId,
        filter: KindFilter,
        max_depth: Option<u32>,
    ) -> Result<Vec<Reached>, GraphError> {
        let start = self.node(id)?;
        let g = &self.graph;
        Ok(self.reached(self.walk(start, Incoming, filter, max_depth, |n| !g[n].is_completed())))
    }

    /// Whether `id` is pending with every dependency (of the filtered kinds) satisfied; a
    /// pending job without dependencies is ready. `None` when `id` has not arrived.
    pub fn is_ready(&self, id: JobId, filter: KindFilter) -> Option<bool> {
        self.index.get(&id).map(|&n| self.ready_node(n, filter))
    }

    /// The ready jobs among `ids` (see [`is_ready`](Self::is_ready)), in the given order;
    /// unknown ids are skipped.
    pub fn ready_among<'a, I>(
        &'a self,
        ids: I,
        filter: KindFilter,
    ) -> impl Iterator<Item = JobId> + 'a
    where
        I: IntoIterator<Item = JobId>,
        I::IntoIter: 'a,
    {
        ids.into_iter()
            .filter(move |id| self.is_ready(*id, filter) == Some(true))
    }

    /// Every ready job, in no particular order. Scans the whole graph; prefer
    /// [`ready_among`](Self::ready_among) when the candidates are known.
    pub fn ready(&self, filter: KindFilter) -> impl Iterator<Item = JobId> + '_ {
        self.graph
            .node_indices()
            .filter(move |&n| self.ready_node(n, filter))
            .map(|n| self.graph[n].id)
    }

    /// The shortest chain of edges from `from` to `to`, following dependencies (`from`
    /// depends on ... on `to`) or else dependents (`to` depends on ... on `from`), as the jobs
    /// from `from` to `to` inclusive. `None` when they are not connected either way.
    ///
    /// The ranks tell which direction can succeed (a dependency always ranks below its
    /// dependents), so only one is searched, and it skips every job ranked past `to`.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when either job has not arrived.
    pub fn shortest_path(
        &self,
        from: JobId,
        to: JobId,
        filter: KindFilter,
    ) -> Result<Option<Vec<JobId>>, GraphError> {
        let source = self.node(from)?;
        let target = self.node(to)?;
        if source == target {
            return Ok(Some(vec![from]));
        }
        let g = &self.graph;
        let bound = g[target].ord;
        let (dir, beyond): (Direction, fn(u32, u32) -> bool) = if bound < g[source].ord {
            (Outgoing, |ord, bound| ord < bound)
        } else {
            (Incoming, |ord, bound| ord > bound)
        };
        let mut parent = NodeMap::with_capacity(64);
        let mut queue = VecDeque::from([source]);
        let mut next: Vec<(JobId, NodeIndex)> = Vec::new();
        while let Some(n) = queue.pop_front() {
            // Neighbours in id order: of several shortest chains, the one found depends on
            // the jobs alone, not on the order their edges arrived in.
            next.clear();
            next.extend(
                g.edges_directed(n, dir)
                    .filter(|e| filter.allows(*e.weight()))
                    .map(|e| other_end(&e, dir))
                    .filter(|&w| !beyond(g[w].ord, bound))
                    .map(|w| (g[w].id, w)),
            );
            next.sort_unstable_by_key(|&(id, _)| id);
            for &(_, w) in &next {
                if !parent.get_or_insert(w, n.index() as u32).1 {
                    continue;
                }
                if w == target {
                    let mut path = vec![to];
                    let mut at = target;
                    while at != source {
                        let Some(p) = parent.get(at) else { break };
                        at = NodeIndex::new(p as usize);
                        path.push(g[at].id);
                    }
                    path.reverse();
                    return Ok(Some(path));
                }
                queue.push_back(w);
            }
        }
        Ok(None)
    }

    /// The given jobs ordered so that every job comes after the jobs it depends on (directly
    /// or through jobs outside the set). Repeated ids appear once.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] for the first id that has not arrived.
    pub fn topological_order<I>(&self, ids: I) -> Result<Vec<JobId>, GraphError>
    where
        I: IntoIterator<Item = JobId>,
    {
        let mut nodes = ids
            .into_iter()
            .map(|id| self.node(id))
            .collect::<Result<Vec<_>, _>>()?;
        nodes.sort_unstable_by_key(|&n| self.graph[n].ord);
        nodes.dedup();
        Ok(nodes.into_iter().map(|n| self.graph[n].id).collect())
    }

    /// Breadth-first from `start` along `dir` over edges the filter allows, entering only the
    /// jobs `enter` accepts. Returns the visits in order, the start first at depth 0.
    ///
    /// `enter` takes an index rather than the job so that a walk that enters everything never
    /// reads a job when it discovers it: that read is a cache miss per job on a large graph,
    /// and the job is read anyway when its turn to expand comes.
    pub(crate) fn walk(
        &self,
        start: NodeIndex,
        dir: Direction,
        filter: KindFilter,
        max_depth: Option<u32>,
        enter: impl Fn(NodeIndex) -> bool,
    ) -> Vec<(NodeIndex, u32)> {
        let g = &self.graph;
        let mut seen = Visited::new(g.node_bound());
        seen.insert(start);
        // The visit list doubles as the queue: `head` is the next job to expand.
        let mut visits = vec![(start, 0u32)];
        let mut head = 0;
        while let Some(&(n, depth)) = visits.get(head) {
            head += 1;
            if max_depth.is_some_and(|max| depth >= max) {
                continue;
            }
            for e in g.edges_directed(n, dir) {
                let w = other_end(&e, dir);
                // Marking a refused job as seen is sound (`enter` looks at the job alone, so it
                // would refuse it again) and spares reading the job on every later edge to it.
                if filter.allows(*e.weight()) && seen.insert(w) && enter(w) {
                    visits.push((w, depth + 1));
                }
            }
        }
        visits
    }

    /// A walk's visits as public results, without the start, by depth and then by job id:
    /// an order that depends on the answer alone, not on the order edges arrived in, so a
    /// graph loaded differently (the store's, for jobs this process does not hold) pages
    /// through it identically.
    fn reached(&self, visits: Vec<(NodeIndex, u32)>) -> Vec<Reached> {
        let mut reached: Vec<Reached> = visits
            .into_iter()
            .skip(1)
            .map(|(n, depth)| Reached {
                job: self.graph[n].id,
                depth,
            })
            .collect();
        reached.sort_unstable_by_key(|r| (r.depth, r.job));
        reached
    }

    fn ready_node(&self, n: NodeIndex, filter: KindFilter) -> bool {
        let g = &self.graph;
        g[n].state == treeherd_model::JobState::Pending
            && g.edges_directed(n, Outgoing)
                .all(|e| !filter.allows(*e.weight()) || g[e.target()].is_satisfied())
    }
}
