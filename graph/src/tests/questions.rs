//! Exact answers to every question on small hand-built graphs.

use treeherd_model::JobResult;

use super::*;
use crate::{GraphError, KindFilter};

/// A release (1) over two tests of one build and a repack of another; everything hangs off a
/// toolchain (7).
///
/// ```text
///        1
///     R/ R| R\
///     2   3   4
///     T\ /T   |L
///       5     6
///       G\   /G
///          7
/// ```
fn diamond() -> JobGraph {
    graph(
        &[],
        &[
            (1, 2, R),
            (1, 3, R),
            (1, 4, R),
            (2, 5, T),
            (3, 5, T),
            (4, 6, L),
            (5, 7, G),
            (6, 7, G),
        ],
    )
}

#[derive(Clone, Copy)]
enum Walk {
    Up,
    Down,
}

fn check(
    g: &JobGraph,
    walk: Walk,
    id: i64,
    filter: KindFilter,
    depth: Option<u32>,
    expected: &[(i64, u32)],
) {
    let got = match walk {
        Walk::Up => g.ancestors(JobId(id), filter, depth),
        Walk::Down => g.descendants(JobId(id), filter, depth),
    }
    .unwrap();
    assert_eq!(by_job(got), expected, "{id} {filter:?} {depth:?}");
}

#[test]
fn ancestors_follow_dependencies_with_depths() {
    let g = diamond();
    let all = KindFilter::ALL;
    use Walk::Up;
    check(
        &g,
        Up,
        1,
        all,
        None,
        &[(2, 1), (3, 1), (4, 1), (5, 2), (6, 2), (7, 3)],
    );
    check(&g, Up, 2, all, None, &[(5, 1), (7, 2)]);
    check(&g, Up, 7, all, None, &[]);
    check(&g, Up, 1, all, Some(0), &[]);
    check(&g, Up, 1, all, Some(1), &[(2, 1), (3, 1), (4, 1)]);
    check(
        &g,
        Up,
        1,
        all,
        Some(2),
        &[(2, 1), (3, 1), (4, 1), (5, 2), (6, 2)],
    );
    check(&g, Up, 1, R.into(), None, &[(2, 1), (3, 1), (4, 1)]);
    check(
        &g,
        Up,
        1,
        KindFilter::of(&[R, T]),
        None,
        &[(2, 1), (3, 1), (4, 1), (5, 2)],
    );
    check(
        &g,
        Up,
        1,
        KindFilter::of(&[R, L, G]),
        None,
        &[(2, 1), (3, 1), (4, 1), (6, 2), (7, 3)],
    );
    check(&g, Up, 1, T.into(), None, &[]);
    check(&g, Up, 4, KindFilter::of(&[]), None, &[(6, 1), (7, 2)]);
}

#[test]
fn descendants_follow_dependents_with_depths() {
    let g = diamond();
    let all = KindFilter::ALL;
    use Walk::Down;
    check(
        &g,
        Down,
        7,
        all,
        None,
        &[(1, 3), (2, 2), (3, 2), (4, 2), (5, 1), (6, 1)],
    );
    check(&g, Down, 5, all, None, &[(1, 2), (2, 1), (3, 1)]);
    check(&g, Down, 1, all, None, &[]);
    check(&g, Down, 7, all, Some(1), &[(5, 1), (6, 1)]);
    check(&g, Down, 7, G.into(), None, &[(5, 1), (6, 1)]);
    check(
        &g,
        Down,
        7,
        KindFilter::of(&[G, T]),
        None,
        &[(2, 2), (3, 2), (5, 1), (6, 1)],
    );
    check(
        &g,
        Down,
        6,
        KindFilter::of(&[L, R]),
        Some(5),
        &[(1, 2), (4, 1)],
    );
}

#[test]
fn one_hop_lists_kinds_by_job() {
    let g = diamond();
    let dependencies = g.dependencies(JobId(1), KindFilter::ALL).unwrap();
    assert_eq!(
        dependencies,
        vec![(JobId(2), R), (JobId(3), R), (JobId(4), R)]
    );
    let dependents = g.dependents(JobId(7), KindFilter::ALL).unwrap();
    assert_eq!(dependents, vec![(JobId(5), G), (JobId(6), G)]);
    assert_eq!(g.dependents(JobId(5), L.into()).unwrap(), vec![]);
    assert_eq!(
        g.dependencies(JobId(9), KindFilter::ALL),
        Err(GraphError::UnknownJob(JobId(9)))
    );
}

#[test]
fn questions_about_unknown_jobs_are_refused() {
    let g = diamond();
    let unknown = Err(GraphError::UnknownJob(JobId(99)));
    assert_eq!(g.ancestors(JobId(99), KindFilter::ALL, None), unknown);
    assert_eq!(g.descendants(JobId(99), KindFilter::ALL, None), unknown);
    assert_eq!(g.blockers(JobId(99), KindFilter::ALL, None), unknown);
    assert_eq!(g.impact(JobId(99), KindFilter::ALL, None), unknown);
    assert!(g.critical_path(JobId(99), KindFilter::ALL, 0).is_err());
    assert_eq!(
        g.shortest_path(JobId(1), JobId(99), KindFilter::ALL),
        Err(GraphError::UnknownJob(JobId(99)))
    );
    assert_eq!(
        g.topological_order([JobId(1), JobId(99)]),
        Err(GraphError::UnknownJob(JobId(99)))
    );
    assert_eq!(g.is_ready(JobId(99), KindFilter::ALL), None);
}

fn blockers(g: &JobGraph, id: i64, filter: KindFilter, depth: Option<u32>) -> Vec<(i64, u32)> {
    by_job(g.blockers(JobId(id), filter, depth).unwrap())
}

#[test]
fn one_failed_test_of_five_hundred_blocks_the_release() {
    // Release 1 fans in over tests 2..=501 of build 1000; test 250 failed.
    let mut jobs = vec![(1, UNSCHEDULED), (1000, OK), (250, FAILED)];
    let mut edges = Vec::new();
    for test in 2..=501 {
        edges.push((1, test, R));
        edges.push((test, 1000, T));
    }
    jobs.extend((2..=501).filter(|&t| t != 250).map(|t| (t, OK)));
    let g = graph(&jobs, &edges);
    assert_eq!(blockers(&g, 1, KindFilter::ALL, None), [(250, 1)]);
    // Only the release edges were asked about: the same answer, reached the same way.
    assert_eq!(blockers(&g, 1, R.into(), None), [(250, 1)]);
    assert_eq!(blockers(&g, 1, T.into(), None), []);
}

#[test]
fn blockers_are_the_boundary_between_done_and_not_done() {
    // 1 (release, unscheduled) waits on 2 (pending test of running build 3), on 4 (pending
    // test whose build 5 succeeded), on 6 (succeeded) and on 7 (failed repack of build 5).
    let g = graph(
        &[
            (1, UNSCHEDULED),
            (2, PENDING),
            (3, running(0)),
            (4, PENDING),
            (5, OK),
            (6, OK),
            (7, FAILED),
        ],
        &[
            (1, 2, R),
            (1, 4, R),
            (1, 6, R),
            (1, 7, R),
            (2, 3, T),
            (4, 5, T),
            (7, 5, L),
            (6, 5, T),
        ],
    );
    assert_eq!(
        blockers(&g, 1, KindFilter::ALL, None),
        [(3, 2), (4, 1), (7, 1)]
    );
    // With the test edges out of view, test 2 no longer waits on anything we follow.
    assert_eq!(
        blockers(&g, 1, KindFilter::of(&[R, L]), None),
        [(2, 1), (4, 1), (7, 1)]
    );
    assert_eq!(blockers(&g, 2, KindFilter::ALL, None), [(3, 1)]);
    // Nothing stands before a job whose dependencies succeeded (or that has none).
    assert_eq!(blockers(&g, 4, KindFilter::ALL, None), []);
    assert_eq!(blockers(&g, 3, KindFilter::ALL, None), []);
}

#[test]
fn blockers_do_not_look_past_satisfied_jobs_or_the_depth_limit() {
    // 1 -> 2 -> 3 -> 4 (running), all unscheduled but 4; 1 -> 5 (ok) -> 6 (failed).
    let g = graph(
        &[
            (1, UNSCHEDULED),
            (2, UNSCHEDULED),
            (3, UNSCHEDULED),
            (4, running(5)),
            (5, OK),
            (6, FAILED),
        ],
        &[(1, 2, G), (2, 3, G), (3, 4, G), (1, 5, G), (5, 6, G)],
    );
    assert_eq!(blockers(&g, 1, KindFilter::ALL, None), [(4, 3)]);
    assert_eq!(blockers(&g, 1, KindFilter::ALL, Some(3)), [(4, 3)]);
    assert_eq!(blockers(&g, 1, KindFilter::ALL, Some(2)), []);
    assert_eq!(blockers(&g, 5, KindFilter::ALL, None), [(6, 1)]);
}

#[test]
fn impact_stops_at_completed_descendants() {
    // Build 1; tests 2 (completed), 3 (pending), 4 (unscheduled); release 5 over the tests;
    // 6 only hangs off the completed test; 7 hangs off release 5.
    let g = graph(
        &[
            (1, running(0)),
            (2, FAILED),
            (3, PENDING),
            (4, UNSCHEDULED),
            (5, UNSCHEDULED),
            (6, PENDING),
            (7, UNSCHEDULED),
        ],
        &[
            (2, 1, T),
            (3, 1, T),
            (4, 1, T),
            (5, 2, R),
            (5, 3, R),
            (5, 4, R),
            (6, 2, G),
            (7, 5, G),
        ],
    );
    let impact = |id, filter, depth| by_job(g.impact(JobId(id), filter, depth).unwrap());
    assert_eq!(
        impact(1, KindFilter::ALL, None),
        [(3, 1), (4, 1), (5, 2), (7, 3)]
    );
    assert_eq!(impact(1, KindFilter::ALL, Some(1)), [(3, 1), (4, 1)]);
    assert_eq!(impact(1, KindFilter::of(&[T, G]), None), [(3, 1), (4, 1)]);
    // A completed job's own failure still holds back what has not run yet.
    assert_eq!(impact(2, KindFilter::ALL, None), [(5, 1), (6, 1), (7, 2)]);
    assert_eq!(impact(7, KindFilter::ALL, None), []);
}

#[test]
fn critical_path_counts_running_jobs_up_to_now() {
    // 6 waits on 5, 3 and 4; 5 waited on 1 and 2. Durations: 1: 100 s, 2: 300 s, 3: running
    // since 500 s, 4: pending, 5: 50 s.
    let jobs = [
        (1, done(0, 100, JobResult::Success)),
        (2, done(0, 300, JobResult::Success)),
        (3, running(500)),
        (4, PENDING),
        (5, done(300, 350, JobResult::Success)),
        (6, UNSCHEDULED),
    ];
    let edges = [(5, 1, G), (5, 2, G), (6, 5, R), (6, 3, R), (6, 4, R)];
    let g = graph(&jobs, &edges);
    let path = |now_s: i64, filter| {
        g.critical_path(JobId(6), filter, now_s * 1_000_000)
            .unwrap()
    };

    let at_1000 = path(1000, KindFilter::ALL);
    assert_eq!(ids(&at_1000.jobs), [3, 6]);
    assert_eq!(at_1000.total_seconds, 500.0);
    // Earlier, the running job has not yet outlasted the 2 -> 5 chain.
    let at_700 = path(700, KindFilter::ALL);
    assert_eq!(ids(&at_700.jobs), [2, 5, 6]);
    assert_eq!(at_700.total_seconds, 350.0);
    // Without the generic edges 5 starts the chain.
    let release_only = path(700, R.into());
    assert_eq!(ids(&release_only.jobs), [3, 6]);
    assert_eq!(release_only.total_seconds, 200.0);
    // A job on its own is its own path.
    let alone = g.critical_path(JobId(1), KindFilter::ALL, 0).unwrap();
    assert_eq!(ids(&alone.jobs), [1]);
    assert_eq!(alone.total_seconds, 100.0);
}

#[test]
fn critical_path_breaks_ties_by_smaller_job_and_ignores_clock_skew() {
    let g = graph(
        &[
            (1, UNSCHEDULED),
            (3, done(0, 10, JobResult::Success)),
            (2, done(5, 15, JobResult::Success)),
            // Finished before it started: counts as zero, not minus ten.
            (4, done(20, 10, JobResult::Success)),
        ],
        &[(1, 3, G), (1, 2, G), (3, 4, G)],
    );
    let path = g.critical_path(JobId(1), KindFilter::ALL, 0).unwrap();
    assert_eq!(ids(&path.jobs), [2, 1]);
    assert_eq!(path.total_seconds, 10.0);
}

#[test]
fn ready_jobs_are_pending_with_every_dependency_satisfied() {
    // 1: pending, no dependencies. 2: pending on ok 5. 3: pending on ok 5 and running 6.
    // 4: running on ok 5. 7: pending on failed 8 (only through a test edge).
    let g = graph(
        &[
            (1, PENDING),
            (2, PENDING),
            (3, PENDING),
            (4, running(0)),
            (5, OK),
            (6, running(0)),
            (7, PENDING),
            (8, FAILED),
        ],
        &[(2, 5, G), (3, 5, G), (3, 6, T), (4, 5, G), (7, 8, T)],
    );
    let mut all: Vec<i64> = g.ready(KindFilter::ALL).map(|j| j.0).collect();
    all.sort_unstable();
    assert_eq!(all, [1, 2]);
    let mut generic: Vec<i64> = g.ready(G.into()).map(|j| j.0).collect();
    generic.sort_unstable();
    assert_eq!(generic, [1, 2, 3, 7]);
    let among: Vec<i64> = g
        .ready_among([JobId(2), JobId(3), JobId(42), JobId(1)], KindFilter::ALL)
        .map(|j| j.0)
        .collect();
    assert_eq!(among, [2, 1]);
    assert_eq!(g.is_ready(JobId(3), KindFilter::ALL), Some(false));
}

#[test]
fn shortest_path_goes_up_or_else_down() {
    // 1 -> 2 -> 3 -> 4 and a shortcut 1 -> 5 -> 4 over test edges; 6 is apart.
    let g = graph(
        &[(6, OK)],
        &[(1, 2, G), (2, 3, G), (3, 4, G), (1, 5, T), (5, 4, T)],
    );
    let path = |from, to, filter| {
        g.shortest_path(JobId(from), JobId(to), filter)
            .unwrap()
            .map(|p| ids(&p))
    };
    assert_eq!(path(1, 4, KindFilter::ALL), Some(vec![1, 5, 4]));
    assert_eq!(path(4, 1, KindFilter::ALL), Some(vec![4, 5, 1]));
    assert_eq!(path(1, 4, G.into()), Some(vec![1, 2, 3, 4]));
    assert_eq!(path(4, 1, G.into()), Some(vec![4, 3, 2, 1]));
    assert_eq!(path(2, 4, KindFilter::ALL), Some(vec![2, 3, 4]));
    assert_eq!(path(5, 2, KindFilter::ALL), None);
    assert_eq!(path(1, 6, KindFilter::ALL), None);
    assert_eq!(path(6, 1, KindFilter::ALL), None);
    assert_eq!(path(3, 3, KindFilter::ALL), Some(vec![3]));
    assert_eq!(path(1, 4, L.into()), None);
}

#[test]
fn topological_order_puts_dependencies_first() {
    let g = diamond();
    let order = g
        .topological_order([JobId(1), JobId(7), JobId(3), JobId(5), JobId(3)])
        .unwrap();
    assert_eq!(ids(&order), [7, 5, 3, 1]);
    // Unrelated jobs may come in either order; related ones may not.
    let all = g.topological_order((1..=7).map(JobId)).unwrap();
    assert_eq!(all.len(), 7);
    let place = |id: i64| all.iter().position(|j| j.0 == id).unwrap();
    for (a, b, _) in [
        (1, 2, R),
        (1, 3, R),
        (1, 4, R),
        (2, 5, T),
        (3, 5, T),
        (4, 6, L),
        (5, 7, G),
        (6, 7, G),
    ] {
        assert!(place(b) < place(a), "{b} must come before {a}: {all:?}");
    }
    assert_eq!(g.topological_order([]).unwrap(), vec![]);
}

#[test]
fn statuses_are_stored_and_updated() {
    let mut g = diamond();
    assert_eq!(g.len(), 7);
    assert_eq!(g.job(JobId(1)), Some(OK));
    assert!(!g.upsert_job(JobId(1), running(3)));
    assert_eq!(g.job(JobId(1)), Some(running(3)));
    assert!(g.upsert_job(JobId(8), PENDING));
    assert_eq!(g.job(JobId(8)), Some(PENDING));
    assert!(g.contains(JobId(8)));
    assert_eq!(g.job(JobId(9)), None);
    assert_eq!(g.len(), 8);
}
