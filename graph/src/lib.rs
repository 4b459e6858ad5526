#![doc = include_str!("../README.md")]

// Where things live: the graph and its mutations in `graph`, the cycle check in `cycle`, the
// bulk load in `build`, the questions in `traverse` and `critical`, per-question scratch in
// `node_map` and `visited`, the id index's hasher in `hash`, holding part of history in
// `frontier`.
mod build;
mod critical;
mod cycle;
mod error;
mod filter;
mod frontier;
pub mod generate;
mod graph;
mod hash;
mod job;
mod node_map;
pub mod render;
mod traverse;
mod visited;

#[cfg(test)]
mod tests;

pub use build::JobGraphBuilder;
pub use critical::CriticalPath;
pub use error::GraphError;
pub use filter::KindFilter;
pub use frontier::Toward;
pub use graph::JobGraph;
pub use job::{JobId, JobStatus};
pub use traverse::Reached;
pub use treeherd_model::{DependencyKind, JobResult, JobState};
