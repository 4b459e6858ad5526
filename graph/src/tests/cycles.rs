//! The acyclicity invariant on checked inserts: refusals name the cycle, accepted edges keep
//! the ranks consistent, and the answer always matches a plain reachability search.

use std::collections::HashSet;

use super::*;
use crate::{GraphError, KindFilter};

fn cycle(jobs: &[i64]) -> GraphError {
    GraphError::Cycle {
        jobs: jobs.iter().copied().map(JobId).collect(),
    }
}

#[test]
fn a_self_edge_is_a_cycle_of_one() {
    let mut g = graph(&[(1, OK)], &[]);
    assert_eq!(g.add_edge(JobId(1), JobId(1), G), Err(cycle(&[1])));
    assert_eq!(g.edge_count(), 0);
}

#[test]
fn a_two_cycle_is_named_from_the_new_dependent() {
    let mut g = graph(&[], &[(1, 2, T)]);
    assert_eq!(g.add_edge(JobId(2), JobId(1), G), Err(cycle(&[2, 1])));
    g.assert_consistent();
}

#[test]
fn a_long_cycle_is_named_in_dependency_order() {
    // 1 depends on 2, ..., 49 on 50; jobs arrive in id order, so each edge goes against the
    // ranks and makes the order shuffle.
    let edges: Vec<_> = (1..50).map(|i| (i, i + 1, G)).collect();
    let mut g = graph(&[], &edges);
    let expected: Vec<i64> = std::iter::once(50).chain(1..50).collect();
    let err = g.add_edge(JobId(50), JobId(1), G).unwrap_err();
    assert_eq!(err, cycle(&expected));
    assert_eq!(
        g.add_edge(JobId(30), JobId(10), G),
        Err(cycle(&[
            30, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
        ]))
    );
    // Refusals leave the graph as it was.
    assert_eq!(g.edge_count(), 49);
    g.assert_consistent();
    assert_eq!(
        g.topological_order((1..=50).map(JobId)).unwrap(),
        (1..=50).rev().map(JobId).collect::<Vec<_>>()
    );
}

#[test]
fn the_shortest_cycle_through_the_new_edge_is_named() {
    // 1 -> 2 -> 3 -> 4 -> 5 and a shortcut 1 -> 6 -> 5; then 5 -> 1.
    let mut g = graph(
        &[],
        &[
            (1, 2, G),
            (2, 3, G),
            (3, 4, G),
            (4, 5, G),
            (1, 6, G),
            (6, 5, G),
        ],
    );
    assert_eq!(g.add_edge(JobId(5), JobId(1), G), Err(cycle(&[5, 1, 6])));
}

#[test]
fn edges_need_both_ends_and_repeat_by_changing_kind() {
    let mut g = graph(&[(1, OK), (2, OK)], &[]);
    assert_eq!(
        g.add_edge(JobId(1), JobId(3), G),
        Err(GraphError::UnknownJob(JobId(3)))
    );
    assert_eq!(
        g.add_edge(JobId(3), JobId(1), G),
        Err(GraphError::UnknownJob(JobId(3)))
    );
    assert_eq!(g.add_edge(JobId(1), JobId(2), T), Ok(true));
    assert_eq!(g.add_edge(JobId(1), JobId(2), R), Ok(false));
    assert_eq!(g.edge_count(), 1);
    assert_eq!(g.edge(JobId(1), JobId(2)), Some(R));
    assert_eq!(
        g.dependencies(JobId(1), KindFilter::ALL).unwrap(),
        [(JobId(2), R)]
    );
}

#[test]
fn removals_forget_jobs_and_edges() {
    let mut g = graph(&[], &[(1, 2, G), (2, 3, G), (1, 3, T)]);
    assert_eq!(g.remove_edge(JobId(1), JobId(3)), Some(T));
    assert_eq!(g.remove_edge(JobId(1), JobId(3)), None);
    assert_eq!(g.remove_job(JobId(2)), Some(OK));
    assert_eq!(g.remove_job(JobId(2)), None);
    assert_eq!((g.len(), g.edge_count()), (2, 0));
    g.assert_consistent();
    // The freed slot is reused by a newcomer, which gets a fresh rank.
    g.upsert_job(JobId(4), PENDING);
    assert_eq!(g.add_edge(JobId(3), JobId(4), G), Ok(true));
    assert_eq!(g.add_edge(JobId(4), JobId(1), G), Ok(true));
    assert_eq!(g.add_edge(JobId(1), JobId(3), G), Err(cycle(&[1, 3, 4])));
    g.assert_consistent();
}

#[test]
fn ranks_are_renumbered_when_they_run_out() {
    let mut g = graph(&[], &[(1, 2, G), (2, 3, G)]);
    g.next_ord = u32::MAX;
    assert!(g.upsert_job(JobId(4), PENDING));
    assert_eq!(g.next_ord, 4);
    g.assert_consistent();
    assert_eq!(g.add_edge(JobId(3), JobId(4), G), Ok(true));
    assert_eq!(g.add_edge(JobId(4), JobId(1), G), Err(cycle(&[4, 1, 2, 3])));
    g.assert_consistent();
}

/// Tiny deterministic generator for the randomized checks.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Whether `from` reaches `to` along dependencies, by plain search over the accepted edges.
fn reaches(edges: &HashSet<(i64, i64)>, from: i64, to: i64) -> bool {
    let mut stack = vec![from];
    let mut seen = HashSet::from([from]);
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        for &(a, b) in edges {
            if a == n && seen.insert(b) {
                stack.push(b);
            }
        }
    }
    false
}

#[test]
fn random_inserts_agree_with_plain_reachability() {
    for seed in 0..20 {
        let mut rng = Lcg(seed);
        let mut g = JobGraph::new();
        let mut accepted = HashSet::new();
        let n = 40;
        for id in 0..n {
            g.upsert_job(JobId(id), PENDING);
        }
        for _ in 0..200 {
            let (a, b) = (rng.below(n as u64) as i64, rng.below(n as u64) as i64);
            let result = g.add_edge(JobId(a), JobId(b), G);
            let closes = a == b || reaches(&accepted, b, a);
            match result {
                Ok(new) => {
                    assert!(!closes, "{a} -> {b} closes a cycle but was accepted");
                    assert_eq!(new, accepted.insert((a, b)));
                }
                Err(GraphError::Cycle { jobs }) => {
                    assert!(closes, "{a} -> {b} refused but closes no cycle");
                    // The named cycle is real: each job depends on the next, the last on the first
                    // through the refused edge.
                    assert_eq!(jobs[0], JobId(a));
                    let ring: Vec<i64> = jobs.iter().map(|j| j.0).chain([a]).collect();
                    for pair in ring.windows(2).skip(1) {
                        assert!(accepted.contains(&(pair[0], pair[1])), "{jobs:?}");
                    }
                    assert_eq!(ring.get(1), Some(&b));
                }
                Err(other) => panic!("{other}"),
            }
            g.assert_consistent();
        }
        assert_eq!(g.edge_count(), accepted.len());
    }
}
