//! The crate's tests, beside the code so they can check internal invariants (ranks agree
//! with every edge) after each change. One small builder helper serves all of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod builder;
mod cycles;
mod fixture;
mod frontier;
mod generate;
mod oracle;
mod questions;

use treeherd_model::{DependencyKind, JobResult, JobState};

use crate::{JobGraph, JobGraphBuilder, JobId, JobStatus, Reached};

pub(super) use DependencyKind::{Generic as G, L10nRepack as L, Release as R, Test as T};

const SECOND: i64 = 1_000_000;

/// The graph sits behind an `RwLock` shared by every request thread.
const _: () = {
    const fn shared<T: Send + Sync>() {}
    shared::<JobGraph>();
};

/// Completed with success, 0..1 s.
pub(super) const OK: JobStatus = done(0, 1, JobResult::Success);
/// Completed with a test failure, 0..1 s.
pub(super) const FAILED: JobStatus = done(0, 1, JobResult::TestFailed);
pub(super) const PENDING: JobStatus = JobStatus::waiting(JobState::Pending);
pub(super) const UNSCHEDULED: JobStatus = JobStatus::waiting(JobState::Unscheduled);

/// Completed between two times given in seconds.
pub(super) const fn done(start: i64, end: i64, result: JobResult) -> JobStatus {
    JobStatus {
        state: JobState::Completed,
        result,
        started_at: Some(start * SECOND),
        finished_at: Some(end * SECOND),
    }
}

/// Running since a time given in seconds.
pub(super) const fn running(start: i64) -> JobStatus {
    JobStatus {
        state: JobState::Running,
        result: JobResult::Unknown,
        started_at: Some(start * SECOND),
        finished_at: None,
    }
}

/// A graph from jobs and edges (`(dependent, dependency, kind)`), built twice, through
/// checked inserts and through the bulk builder, checking the two agree on every edge. Jobs
/// not listed in `jobs` but named by an edge are added as successful.
pub(super) fn graph(jobs: &[(i64, JobStatus)], edges: &[(i64, i64, DependencyKind)]) -> JobGraph {
    let mut all: Vec<(i64, JobStatus)> = jobs.to_vec();
    for &(a, b, _) in edges {
        for id in [a, b] {
            if !all.iter().any(|&(j, _)| j == id) {
                all.push((id, OK));
            }
        }
    }
    let mut checked = JobGraph::new();
    let mut bulk = JobGraphBuilder::new();
    for &(id, status) in &all {
        checked.upsert_job(JobId(id), status);
        bulk.upsert_job(JobId(id), status);
    }
    for &(a, b, kind) in edges {
        checked.add_edge(JobId(a), JobId(b), kind).unwrap();
        bulk.add_edge(JobId(a), JobId(b), kind).unwrap();
    }
    let bulk = bulk.build().unwrap();
    checked.assert_consistent();
    bulk.assert_consistent();
    assert_eq!(checked.edge_count(), bulk.edge_count());
    for &(a, b, _) in edges {
        assert_eq!(
            checked.edge(JobId(a), JobId(b)),
            bulk.edge(JobId(a), JobId(b))
        );
    }
    checked
}

/// A walk's answer as `(job, depth)` sorted by job, after checking it is breadth-first.
pub(super) fn by_job(reached: Vec<Reached>) -> Vec<(i64, u32)> {
    assert!(
        reached.windows(2).all(|w| w[0].depth <= w[1].depth),
        "not breadth-first: {reached:?}"
    );
    let mut out: Vec<(i64, u32)> = reached.into_iter().map(|r| (r.job.0, r.depth)).collect();
    out.sort_unstable();
    out
}

pub(super) fn ids(jobs: &[JobId]) -> Vec<i64> {
    jobs.iter().map(|j| j.0).collect()
}
