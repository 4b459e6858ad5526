//! Every question on a generated Firefox-shaped graph against a naive implementation of its
//! definition, written here over the public one-hop API only.

use std::collections::{HashMap, HashSet, VecDeque};

use treeherd_model::JobState;

use super::*;
use crate::KindFilter;
use crate::generate::{Params, generate};

const NOW: i64 = 1_750_000_000_000_000;

fn hop(g: &JobGraph, id: JobId, filter: KindFilter, up: bool) -> Vec<JobId> {
    let hops = if up {
        g.dependencies(id, filter)
    } else {
        g.dependents(id, filter)
    };
    hops.unwrap().into_iter().map(|(j, _)| j).collect()
}

fn satisfied(g: &JobGraph, id: JobId) -> bool {
    g.job(id).unwrap().is_satisfied()
}

/// Breadth-first from `start`, entering jobs `enter` accepts: job -> shortest depth.
fn naive_walk(
    g: &JobGraph,
    start: JobId,
    filter: KindFilter,
    max_depth: Option<u32>,
    up: bool,
    enter: &dyn Fn(JobId) -> bool,
) -> HashMap<JobId, u32> {
    let mut depth = HashMap::from([(start, 0)]);
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        let d = depth[&n];
        if max_depth.is_some_and(|m| d >= m) {
            continue;
        }
        for w in hop(g, n, filter, up) {
            if enter(w) && !depth.contains_key(&w) {
                depth.insert(w, d + 1);
                queue.push_back(w);
            }
        }
    }
    depth.remove(&start);
    depth
}

fn as_map(reached: Vec<crate::Reached>) -> HashMap<JobId, u32> {
    let n = reached.len();
    let map: HashMap<JobId, u32> = reached.into_iter().map(|r| (r.job, r.depth)).collect();
    assert_eq!(map.len(), n, "a job reported twice");
    map
}

/// The longest chain ending at `id`, in microseconds, by memoized recursion.
fn naive_longest(
    g: &JobGraph,
    id: JobId,
    filter: KindFilter,
    memo: &mut HashMap<JobId, i64>,
) -> i64 {
    if let Some(&t) = memo.get(&id) {
        return t;
    }
    let s = g.job(id).unwrap();
    let own = match (s.started_at, s.finished_at) {
        (Some(a), Some(b)) => (b - a).max(0),
        (Some(a), None) => (NOW - a).max(0),
        _ => 0,
    };
    let deps = hop(g, id, filter, true);
    let longest = deps
        .into_iter()
        .map(|d| naive_longest(g, d, filter, memo))
        .max()
        .unwrap_or(0);
    memo.insert(id, own + longest);
    own + longest
}

#[test]
fn every_question_matches_its_definition() {
    let generated = generate(&Params::firefox(14, 3));
    let g = generated.to_graph().unwrap();
    g.assert_consistent();
    let filters = [
        KindFilter::ALL,
        KindFilter::of(&[T, R]),
        KindFilter::of(&[G]),
        KindFilter::of(&[L, G]),
    ];
    let depths = [None, Some(1), Some(2)];
    let mut memos: Vec<HashMap<JobId, i64>> = vec![HashMap::new(); filters.len()];
    for job in generated.jobs.iter().step_by(11) {
        let id = job.id;
        for (f, &filter) in filters.iter().enumerate() {
            for &max_depth in &depths {
                let everything = |_: JobId| true;
                assert_eq!(
                    as_map(g.ancestors(id, filter, max_depth).unwrap()),
                    naive_walk(&g, id, filter, max_depth, true, &everything),
                );
                assert_eq!(
                    as_map(g.descendants(id, filter, max_depth).unwrap()),
                    naive_walk(&g, id, filter, max_depth, false, &everything),
                );
                let not_completed = |j: JobId| g.job(j).unwrap().state != JobState::Completed;
                assert_eq!(
                    as_map(g.impact(id, filter, max_depth).unwrap()),
                    naive_walk(&g, id, filter, max_depth, false, &not_completed),
                );
                let unsatisfied = |j: JobId| !satisfied(&g, j);
                let open = naive_walk(&g, id, filter, max_depth, true, &unsatisfied);
                let expected: HashMap<JobId, u32> = open
                    .into_iter()
                    .filter(|(j, _)| {
                        hop(&g, *j, filter, true)
                            .into_iter()
                            .all(|d| satisfied(&g, d))
                    })
                    .collect();
                assert_eq!(as_map(g.blockers(id, filter, max_depth).unwrap()), expected);
            }
            let path = g.critical_path(id, filter, NOW).unwrap();
            let longest = naive_longest(&g, id, filter, &mut memos[f]);
            assert_eq!(path.total_seconds, longest as f64 / 1e6, "{id}");
            assert_eq!(path.jobs.last(), Some(&id));
            // The chain is a chain, and its durations add up.
            for pair in path.jobs.windows(2) {
                assert!(g.edge(pair[1], pair[0]).is_some_and(|k| filter.allows(k)));
            }
            let ready = g.is_ready(id, filter).unwrap();
            let naive_ready = g.job(id).unwrap().state == JobState::Pending
                && hop(&g, id, filter, true)
                    .into_iter()
                    .all(|d| satisfied(&g, d));
            assert_eq!(ready, naive_ready);
        }
    }
    // Full ready scan against the definition.
    let ready: HashSet<JobId> = g.ready(KindFilter::ALL).collect();
    let naive: HashSet<JobId> = generated
        .jobs
        .iter()
        .filter(|j| {
            j.status.state == JobState::Pending
                && hop(&g, j.id, KindFilter::ALL, true)
                    .into_iter()
                    .all(|d| satisfied(&g, d))
        })
        .map(|j| j.id)
        .collect();
    assert_eq!(ready, naive);
    assert!(!ready.is_empty());
}

#[test]
fn shortest_paths_match_plain_breadth_first_search() {
    let generated = generate(&Params::firefox(6, 2));
    let g = generated.to_graph().unwrap();
    let ids: Vec<JobId> = generated.jobs.iter().map(|j| j.id).step_by(37).collect();
    for &from in &ids {
        let up = naive_walk(&g, from, KindFilter::ALL, None, true, &|_| true);
        let down = naive_walk(&g, from, KindFilter::ALL, None, false, &|_| true);
        for &to in &ids {
            let path = g.shortest_path(from, to, KindFilter::ALL).unwrap();
            let expected = if from == to {
                Some(0)
            } else {
                up.get(&to).or(down.get(&to)).copied()
            };
            assert_eq!(
                path.as_ref().map(|p| p.len() as u32 - 1),
                expected,
                "{from} {to}"
            );
            if let Some(p) = path {
                assert_eq!((p[0], p[p.len() - 1]), (from, to));
                let forward = up.contains_key(&to);
                for pair in p.windows(2) {
                    let (a, b) = if forward {
                        (pair[0], pair[1])
                    } else {
                        (pair[1], pair[0])
                    };
                    assert!(g.edge(a, b).is_some(), "{p:?}");
                }
            }
        }
    }
}
