//! Holding part of history: letting the oldest jobs go marks what they leave behind, walks
//! see the marks, and the graph keeps the memory it was given.

use super::*;
use crate::KindFilter;
use crate::Toward::{Dependencies, Dependents};

/// 1 <- 2 <- 3 <- 4 (each depends on the one before), and 5 depends on 1 too.
fn chain() -> JobGraph {
    let mut g = JobGraph::with_capacity(8, 8);
    for id in 1..=5 {
        g.upsert_job(JobId(id), OK);
    }
    for (a, b) in [(2, 1), (3, 2), (4, 3), (5, 1)] {
        g.add_edge(JobId(a), JobId(b), G).unwrap();
    }
    g
}

#[test]
fn letting_the_oldest_go_marks_the_jobs_left_behind() {
    let mut g = chain();
    assert!(!g.reaches_outside(&[JobId(4)], Dependencies, None));
    let bytes = g.heap_bytes();
    assert_eq!(g.oldest_of_newest(3), Some(JobId(3)));
    assert_eq!(g.evict_below(JobId(3)), 2);
    g.assert_consistent();
    assert_eq!(g.len(), 3);
    // 3 depended on 2, which went; 5 depended on 1, which went.
    assert!(g.reaches_outside(&[JobId(4)], Dependencies, None));
    assert!(!g.reaches_outside(&[JobId(4)], Dependencies, Some(0)));
    assert!(g.reaches_outside(&[JobId(5)], Dependencies, Some(0)));
    assert!(!g.reaches_outside(&[JobId(3)], Dependents, None));
    assert_eq!(g.frontier_len(), 2);
    assert_eq!(g.heap_bytes(), bytes, "letting go keeps the allocation");
    // Questions about what is held still work; a job that went is unknown.
    assert_eq!(
        g.ancestors(JobId(4), KindFilter::ALL, None).unwrap().len(),
        1
    );
    assert!(g.ancestors(JobId(2), KindFilter::ALL, None).is_err());
}

#[test]
fn a_dependent_left_behind_is_marked_on_the_other_side() {
    let mut g = JobGraph::new();
    for id in 1..=3 {
        g.upsert_job(JobId(id), OK);
    }
    // An older job waits on a newer one (its edge bound when the newer arrived).
    g.add_edge(JobId(1), JobId(3), G).unwrap();
    g.evict_below(JobId(2));
    assert!(g.reaches_outside(&[JobId(3)], Dependents, None));
    assert!(!g.reaches_outside(&[JobId(3)], Dependencies, None));
    g.remove_job(JobId(3));
    assert_eq!(g.frontier_len(), 0);
}

#[test]
fn walks_answer_in_an_order_of_the_jobs_alone() {
    // The same fan-out, its edges added in opposite orders.
    let build = |order: &[i64]| {
        let mut g = JobGraph::new();
        for id in 1..=6 {
            g.upsert_job(JobId(id), PENDING);
        }
        for &t in order {
            g.add_edge(JobId(t), JobId(1), T).unwrap();
        }
        g
    };
    let a = build(&[2, 3, 4, 5, 6]);
    let b = build(&[6, 5, 4, 3, 2]);
    for g in [&a, &b] {
        let jobs: Vec<i64> = g
            .descendants(JobId(1), KindFilter::ALL, None)
            .unwrap()
            .iter()
            .map(|r| r.job.0)
            .collect();
        assert_eq!(jobs, [2, 3, 4, 5, 6]);
    }
}
