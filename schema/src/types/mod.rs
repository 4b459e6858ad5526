//! The GraphQL object, input and enum types.

pub(crate) mod bug;
pub(crate) mod build;
mod change;
mod classification;
mod connection;
mod dependency_graph;
mod enums;
mod failure_line;
mod global_id;
mod ingest;
mod inputs;
mod intermittent;
mod job;
mod job_connection;
mod job_node;
mod machine;
mod node;
mod nodes;
mod push;
mod release;
mod repository;
mod test_objects;
mod time;

pub(crate) use bug::{Bug, BugSuggestions, ErrorLineSearch};
pub(crate) use build::{Build, BuildInput, BuildRelease, BuildsQuery};
pub(crate) use change::{ClassificationChanged, JobChanged, MachineChanged, PushAdded};
pub(crate) use classification::{
    Classification, ClassifyFailureLineInput, ClassifyJobsInput, ClassifyJobsPayload,
    ClassifyPayload, ClassifyTestInput,
};
pub(crate) use connection::{KeyCursor, connection, page_request};
pub(crate) use dependency_graph::CriticalPath;
pub(crate) use dependency_graph::{
    DependencyGraph, GraphDirection, Walk, critical_path, dependency_graph, dependency_path,
    ready_jobs, walk,
};
pub(crate) use enums::{
    ArtifactKind, DependencyKind, FailureKind, JobKind, JobResult, JobState, LogStatus,
    MachineState, ReleaseStatus, TestStatus, Vcs,
};
pub(crate) use ingest::{IgnoredJob, RejectedMessage};
pub(crate) use inputs::{DependencyInput, JobFilterInput, JobInput, PushInput, RepositoryInput};
pub(crate) use intermittent::IntermittentFailures;
pub(crate) use job_connection::JobConnection;
pub(crate) use job_node::JobNode;
pub(crate) use machine::{Machine, MachineFlakiness};
pub(crate) use node::{MAX_NODES, Node, refetch};
pub(crate) use nodes::{Job, Push, Repository};
pub(crate) use release::{Release, ReleaseInput, ScheduledJob};
pub(crate) use test_objects::{
    ArtifactInput, AttachArtifactsPayload, PerfPoint, TestFailureSummary, TestResult,
    TestResultInput,
};
pub(crate) use time::to_micros;
