//! The visited set of a walk: a small hash table while the walk is small, a bitset over the
//! whole graph once it is not.
//!
//! A bitset costs a zeroed allocation of one bit per job (125 KB for a million jobs, a few
//! microseconds) before the first step, then nearly nothing per step; a hash set costs
//! nothing up front and a few nanoseconds per step. Most questions visit a few hundred jobs
//! (hash set wins), some visit thousands (bitset wins), and no question knows beforehand, so a
//! walk starts sparse and switches when it has spent about what the bitset would have cost.
//! Both are per call, so queries need no shared scratch and stay `&self`.

use petgraph::stable_graph::NodeIndex;

use crate::node_map::NodeMap;

/// Graphs this small get the bitset at once: zeroing it is cheaper than hashing.
const ALWAYS_DENSE: usize = 1 << 16;

pub(crate) enum Visited {
    Sparse {
        set: NodeMap,
        limit: usize,
        bound: usize,
    },
    Dense(Vec<u64>),
}

impl Visited {
    /// An empty set for node indices below `bound` (the graph's node bound).
    pub(crate) fn new(bound: usize) -> Self {
        if bound <= ALWAYS_DENSE {
            Visited::Dense(vec![0; bound.div_ceil(64)])
        } else {
            Visited::Sparse {
                set: NodeMap::with_capacity(64),
                // Zeroing `bound / 8` bytes costs about as much as hashing `bound / 1024` jobs;
                // switching at a quarter of that bounds the sparse phase's waste.
                limit: (bound / 4096).max(256),
                bound,
            }
        }
    }

    /// Adds `n`; returns whether it was absent.
    #[inline]
    pub(crate) fn insert(&mut self, n: NodeIndex) -> bool {
        let i = n.index();
        match self {
            Visited::Dense(bits) => match bits.get_mut(i / 64) {
                Some(word) => {
                    let bit = 1u64 << (i % 64);
                    let absent = *word & bit == 0;
                    *word |= bit;
                    absent
                }
                None => false,
            },
            Visited::Sparse { set, limit, bound } => {
                let (_, absent) = set.get_or_insert(n, 0);
                if absent && set.len() > *limit {
                    let mut bits = vec![0u64; bound.div_ceil(64)];
                    for j in set.keys() {
                        bits[j / 64] |= 1 << (j % 64);
                    }
                    *self = Visited::Dense(bits);
                }
                absent
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_dense_agree_across_the_switch() {
        for bound in [100, ALWAYS_DENSE + 1, 1 << 20] {
            let mut visited = Visited::new(bound);
            let step = (bound / 2000).max(1);
            for i in (0..bound).step_by(step) {
                assert!(visited.insert(NodeIndex::new(i)), "{bound} {i}");
            }
            for i in (0..bound).step_by(step) {
                assert!(!visited.insert(NodeIndex::new(i)), "{bound} {i}");
            }
            assert!(visited.insert(NodeIndex::new(bound - 1)) || (bound - 1) % step == 0);
        }
    }
}
