//! The critical path: which chain of ancestors made a job finish (or still wait) as late as
//! it does.
//!
//! A longest path by job duration over the job's ancestors, in two steps. One breadth-first
//! walk copies the ancestors into a small local adjacency list (one map operation per edge,
//! like any walk); then, since the maintained ranks are a topological order, sorting the copy
//! by rank and relaxing each job once settles every chain. The second step touches only the
//! copy, which is small and hot in cache, instead of chasing the big graph's edge lists again.

use petgraph::Direction::Outgoing;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::graph::JobGraph;
use crate::node_map::NodeMap;
use crate::{GraphError, JobId, KindFilter};

/// The longest chain of ancestors ending at a job.
#[derive(Debug, Clone, PartialEq)]
pub struct CriticalPath {
    /// From the earliest ancestor to the job itself, inclusive.
    pub jobs: Vec<JobId>,
    /// The sum of the chain's durations, in seconds.
    pub total_seconds: f64,
}

/// No dependency: a chain starts here.
const NONE: u32 = u32::MAX;

/// A job and its ancestors, copied out of the graph. Jobs are numbered by slot (0 is the
/// start); slot `i` depends on the slots `deps[first[i]..first[i + 1]]`.
#[derive(Default)]
struct Ancestry {
    ids: Vec<JobId>,
    durations: Vec<i64>,
    ranks: Vec<u32>,
    first: Vec<u32>,
    deps: Vec<u32>,
}

impl JobGraph {
    /// The chain of ancestors of `id` (over edges of the filtered kinds), ending at `id`,
    /// with the longest total duration. A job's duration is finished - started when it
    /// finished, `now` - started when it is running, 0 otherwise (times in microseconds, like
    /// `now`). Among equal chains, the one through the dependency with the smaller id wins,
    /// so the answer does not depend on the order edges arrived in.
    ///
    /// # Errors
    /// [`GraphError::UnknownJob`] when `id` has not arrived.
    pub fn critical_path(
        &self,
        id: JobId,
        filter: KindFilter,
        now: i64,
    ) -> Result<CriticalPath, GraphError> {
        let start = self.node(id)?;
        let a = self.ancestry(start, filter, now);

        // Dependencies rank below their dependents, so in rank order every job comes after
        // its dependencies. Sort (rank, slot) pairs packed in one integer.
        let mut order: Vec<u64> = (0u32..)
            .zip(&a.ranks)
            .map(|(slot, &rank)| (u64::from(rank) << 32) | u64::from(slot))
            .collect();
        order.sort_unstable();

        // Per slot: the longest chain ending there, its own duration included, and the
        // dependency it comes through.
        let mut total = vec![0i64; a.ids.len()];
        let mut from = vec![NONE; a.ids.len()];
        for key in order {
            let slot = key as u32 as usize;
            let (mut longest, mut through) = (0i64, NONE);
            for &dep in &a.deps[a.first[slot] as usize..a.first[slot + 1] as usize] {
                let t = total[dep as usize];
                let better = through == NONE
                    || t > longest
                    || (t == longest && a.ids[dep as usize] < a.ids[through as usize]);
                if better {
                    (longest, through) = (t, dep);
                }
            }
            total[slot] = longest.saturating_add(a.durations[slot]);
            from[slot] = through;
        }

        let mut jobs = Vec::new();
        let mut at = 0u32;
        while let Some(&job) = a.ids.get(at as usize) {
            jobs.push(job);
            at = from[at as usize];
        }
        jobs.reverse();
        Ok(CriticalPath {
            jobs,
            total_seconds: total.first().copied().unwrap_or(0) as f64 / 1_000_000.0,
        })
    }

    /// Copies `start` and its ancestors (over the filtered kinds) out of the graph.
    fn ancestry(&self, start: NodeIndex, filter: KindFilter, now: i64) -> Ancestry {
        let g = &self.graph;
        let mut slot_of = NodeMap::with_capacity(256);
        slot_of.get_or_insert(start, 0);
        let mut nodes = vec![start];
        let mut a = Ancestry::default();
        // Jobs are expanded in slot order, so `first` is indexed by slot.
        let mut head = 0;
        while let Some(&n) = nodes.get(head) {
            head += 1;
            let node = &g[n];
            a.ids.push(node.id);
            a.durations.push(node.duration_micros(now));
            a.ranks.push(node.ord);
            a.first.push(len_u32(&a.deps));
            for e in g.edges_directed(n, Outgoing) {
                if !filter.allows(*e.weight()) {
                    continue;
                }
                let (slot, new) = slot_of.get_or_insert(e.target(), len_u32(&nodes));
                if new {
                    nodes.push(e.target());
                }
                a.deps.push(slot);
            }
        }
        a.first.push(len_u32(&a.deps));
        a
    }
}

/// Slots are `u32`: a graph holds fewer than four billion jobs and edges (petgraph's `u32`
/// indices already say so).
fn len_u32<T>(v: &[T]) -> u32 {
    u32::try_from(v.len()).unwrap_or(NONE)
}
