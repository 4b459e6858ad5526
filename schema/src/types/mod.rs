//! The GraphQL object, input and enum types.

mod connection;
mod dependency_graph;
mod enums;
mod inputs;
mod job;
mod push;
mod repository;
mod time;

pub(crate) use connection::{KeyCursor, connection, page_request};
pub(crate) use dependency_graph::CriticalPath;
pub(crate) use dependency_graph::{
    DependencyGraph, GraphDirection, Walk, critical_path, dependency_graph, dependency_path,
    ready_jobs, walk,
};
pub(crate) use enums::{ArtifactKind, DependencyKind, JobKind, JobResult, JobState, Vcs};
pub(crate) use inputs::{DependencyInput, JobFilterInput, JobInput, PushInput, RepositoryInput};
pub(crate) use job::Job;
pub(crate) use push::Push;
pub(crate) use repository::Repository;
