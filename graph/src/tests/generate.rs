//! The Firefox-shaped generator: deterministic, the promised shape, mixed states, and a
//! valid load both ways.

use std::collections::HashMap;

use treeherd_model::{JobKind, JobState};

use super::*;
use crate::KindFilter;
use crate::generate::{Params, generate};

#[test]
fn a_seed_makes_one_graph_of_the_promised_shape() {
    let params = Params::firefox(6, 4);
    let a = generate(&params);
    let b = generate(&params);
    assert_eq!(a.jobs, b.jobs);
    assert_eq!(a.edges, b.edges);
    assert_eq!(a.jobs.len() as u64, params.job_count());
    assert_ne!(
        generate(&Params {
            seed: 1,
            ..params.clone()
        })
        .jobs,
        a.jobs
    );

    let per_job = a.edges.len() as f64 / a.jobs.len() as f64;
    assert!((2.8..3.2).contains(&per_job), "{per_job} edges per job");
    let kinds = a.jobs.iter().fold(HashMap::new(), |mut m, j| {
        *m.entry(j.kind).or_insert(0) += 1;
        m
    });
    assert_eq!(kinds[&JobKind::Build], 6 * 4);
    assert_eq!(kinds[&JobKind::Test], 6 * 4 * 40);
    assert_eq!(kinds[&JobKind::Release], 6);
    assert_eq!(kinds[&JobKind::Scheduled], 6 * 2);
    assert_eq!(kinds[&JobKind::L10nRepack], 6 * 4 * 100 + 5 * 3);
    assert!(
        a.jobs
            .iter()
            .filter(|j| j.kind == JobKind::Scheduled)
            .all(|j| j.push.is_none())
    );

    let g = a.to_graph().unwrap();
    g.assert_consistent();
    assert_eq!((g.len(), g.edge_count()), (a.jobs.len(), a.edges.len()));
    // A release fans in over every build, test and repack of its push.
    let push = &a.pushes[3];
    let release_deps = g.dependencies(push.release, KindFilter::ALL).unwrap();
    assert_eq!(release_deps.len(), 4 * 141);
    let ancestors = g.ancestors(push.release, KindFilter::ALL, None).unwrap();
    assert_eq!(ancestors.len(), 4 * 141 + 2);
    // Cross-push repacks reach back to earlier pushes' builds.
    let later: usize = a.pushes[..5]
        .iter()
        .flat_map(|p| &p.builds)
        .map(|&b| g.dependents(b, KindFilter::ALL).unwrap().len())
        .sum();
    assert!(later > 5 * 4 * 141);
}

#[test]
fn states_are_mixed_like_a_busy_tree() {
    let params = Params::firefox(120, 2);
    let generated = generate(&params);
    let count =
        |f: &dyn Fn(&JobStatus) -> bool| generated.jobs.iter().filter(|j| f(&j.status)).count();
    let total = generated.jobs.len();
    let succeeded = count(&|s| s.is_satisfied());
    assert!(
        succeeded * 10 > total * 8,
        "{succeeded} of {total} succeeded"
    );
    assert!(count(&|s| s.state == JobState::Completed && !s.is_satisfied()) > 0);
    assert!(count(&|s| s.state == JobState::Running) > 0);
    assert!(count(&|s| s.state == JobState::Pending) > 0);
    assert!(count(&|s| s.state == JobState::Unscheduled) > 0);
    // Times are consistent with states.
    for job in &generated.jobs {
        let s = job.status;
        match s.state {
            JobState::Completed => assert!(s.started_at.unwrap() <= s.finished_at.unwrap()),
            JobState::Running => assert!(s.started_at.is_some() && s.finished_at.is_none()),
            _ => assert!(s.started_at.is_none() && s.finished_at.is_none()),
        }
    }
    let g = generated.to_graph().unwrap();
    assert!(g.ready(KindFilter::ALL).count() > 0);
}

#[test]
fn checked_inserts_in_arrival_order_match_the_bulk_load() {
    let generated = generate(&Params::firefox(5, 3));
    let bulk = generated.to_graph().unwrap();
    let mut live = JobGraph::new();
    let mut edges = generated.edges.iter().peekable();
    for job in &generated.jobs {
        live.upsert_job(job.id, job.status);
        while let Some(e) = edges.next_if(|e| e.dependent == job.id) {
            assert_eq!(live.add_edge(e.dependent, e.dependency, e.kind), Ok(true));
        }
    }
    live.assert_consistent();
    assert_eq!(live.edge_count(), bulk.edge_count());
    for push in &generated.pushes {
        let mut a = live.ancestors(push.release, KindFilter::ALL, None).unwrap();
        let mut b = bulk.ancestors(push.release, KindFilter::ALL, None).unwrap();
        a.sort_by_key(|r| r.job);
        b.sort_by_key(|r| r.job);
        assert_eq!(a, b);
    }
}

#[test]
fn a_million_jobs_is_a_parameter_away() {
    let params = Params::for_jobs(1_000_000);
    let jobs = params.job_count();
    assert!((1_000_000..1_003_000).contains(&jobs), "{jobs}");
}
