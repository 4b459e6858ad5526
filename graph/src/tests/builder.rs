//! The bulk path: unchecked loading, one acyclicity check at the end.

use super::*;
use crate::{GraphError, KindFilter};

#[test]
fn the_builder_checks_acyclicity_once_at_the_end() {
    let mut b = JobGraphBuilder::with_capacity(4, 4);
    for id in 1..=4 {
        b.upsert_job(JobId(id), OK);
    }
    b.extend_edges([(1, 2, G), (2, 3, G), (3, 4, G)].map(|(a, c, k)| (JobId(a), JobId(c), k)))
        .unwrap();
    b.add_edge(JobId(4), JobId(2), G).unwrap();
    let err = b.build().unwrap_err();
    let GraphError::Cycle { jobs } = err else {
        panic!("{err}");
    };
    // The same cycle, whichever job the report starts from.
    let mut ring: Vec<i64> = jobs.iter().map(|j| j.0).collect();
    let start = ring.iter().position(|&j| j == 2).unwrap();
    ring.rotate_left(start);
    assert_eq!(ring, [2, 3, 4]);
}

#[test]
fn the_builder_refuses_self_edges_and_unknown_jobs() {
    let mut b = JobGraphBuilder::new();
    b.upsert_job(JobId(1), OK).upsert_job(JobId(2), OK);
    assert_eq!(
        b.add_edge(JobId(1), JobId(9), G).err(),
        Some(GraphError::UnknownJob(JobId(9)))
    );
    b.add_edge(JobId(1), JobId(2), G).unwrap();
    b.add_edge(JobId(2), JobId(2), G).unwrap();
    assert_eq!(
        b.build().unwrap_err(),
        GraphError::Cycle {
            jobs: vec![JobId(2)]
        }
    );
}

#[test]
fn the_builder_keeps_the_last_kind_of_a_repeated_pair() {
    let mut b = JobGraphBuilder::new();
    b.upsert_job(JobId(1), OK)
        .upsert_job(JobId(2), OK)
        .upsert_job(JobId(3), OK);
    b.add_edge(JobId(1), JobId(2), T).unwrap();
    b.add_edge(JobId(1), JobId(3), T).unwrap();
    b.add_edge(JobId(1), JobId(2), R).unwrap();
    let g = b.build().unwrap();
    g.assert_consistent();
    assert_eq!(g.edge_count(), 2);
    assert_eq!(
        g.dependencies(JobId(1), KindFilter::ALL).unwrap(),
        [(JobId(2), R), (JobId(3), T)]
    );
}

#[test]
fn a_built_graph_takes_checked_inserts() {
    // Ranks from the builder must be a valid base for the incremental order.
    let mut g = graph(&[], &[(1, 2, G), (3, 4, G)]);
    let mut b = JobGraphBuilder::new();
    for id in 1..=4 {
        b.upsert_job(JobId(id), OK);
    }
    b.extend_edges([(JobId(1), JobId(2), G), (JobId(3), JobId(4), G)])
        .unwrap();
    let mut built = b.build().unwrap();
    for g in [&mut g, &mut built] {
        assert_eq!(g.add_edge(JobId(2), JobId(3), G), Ok(true));
        assert_eq!(
            g.add_edge(JobId(4), JobId(1), G),
            Err(GraphError::Cycle {
                jobs: vec![JobId(4), JobId(1), JobId(2), JobId(3)]
            })
        );
        g.upsert_job(JobId(5), PENDING);
        assert_eq!(g.add_edge(JobId(4), JobId(5), G), Ok(true));
        g.assert_consistent();
        assert_eq!(
            ids(&g.topological_order((1..=5).map(JobId)).unwrap()),
            [5, 4, 3, 2, 1]
        );
    }
}
