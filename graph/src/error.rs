//! Why the graph refuses a change or a question.

use std::fmt::Write as _;

use crate::JobId;

/// A refused change or question.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// The job has not arrived (or was removed).
    #[error("job {0} is not in the graph")]
    UnknownJob(JobId),
    /// The edge would make a job depend on itself. `jobs` lists the cycle in dependency
    /// order, starting at the new edge's dependent: `jobs[0]` depends on `jobs[1]`, ..., and
    /// the last depends on `jobs[0]`. A self-edge is a cycle of one.
    #[error("the dependency would close a cycle: {}", show_cycle(.jobs))]
    Cycle { jobs: Vec<JobId> },
}

fn show_cycle(jobs: &[JobId]) -> String {
    let mut text = String::new();
    for job in jobs.iter().chain(jobs.first()) {
        if !text.is_empty() {
            text.push_str(" -> ");
        }
        let _ = write!(text, "{job}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_reads_back_to_its_start() {
        let err = GraphError::Cycle {
            jobs: vec![JobId(1), JobId(2), JobId(3)],
        };
        assert_eq!(
            err.to_string(),
            "the dependency would close a cycle: 1 -> 2 -> 3 -> 1"
        );
    }
}
