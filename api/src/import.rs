//! Importing what build systems already produce: a Taskcluster task graph
//! (`full-task-graph.json`, `task-graph.json`, or queue task definitions keyed by taskId)
//! becomes UNSCHEDULED jobs of one push and typed edges. Dependencies on tasks outside the
//! file are kept as dangling edges that bind if those jobs arrive later.

use std::io::{IsTerminal, Write};
use treeherd_ingest::{EdgeRules, TaskGraph};
use treeherd_model::{JobResult, JobState, NewJob, Revision};
use treeherd_store::{NewDependency, Store, StoreError};

/// Jobs and edges written per transaction.
const CHUNK: usize = 1000;

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub jobs: usize,
    pub edges: usize,
}

/// A progress line on stderr when it is a terminal (nothing in logs or pipes).
struct Progress {
    shown: bool,
    total: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            shown: std::io::stderr().is_terminal(),
            total,
        }
    }

    fn at(&self, done: usize, what: &str) {
        if self.shown {
            let percent = done * 100 / self.total.max(1);
            eprint!("\r{what}: {done}/{} ({percent}%)   ", self.total);
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

/// Parses a task graph with `rules` (the default edge-kind rules when `None`).
pub fn parse(json: &serde_json::Value, rules: Option<&EdgeRules>) -> anyhow::Result<TaskGraph> {
    let graph = match rules {
        Some(rules) => treeherd_ingest::parse_task_graph_with(json, rules)?,
        None => treeherd_ingest::parse_task_graph(json)?,
    };
    Ok(graph)
}

/// Writes the graph's tasks as UNSCHEDULED jobs of `revision`'s push in `repository` (a
/// placeholder push if the pushlog has not brought it yet), then its edges.
pub async fn task_graph(
    store: &Store,
    graph: TaskGraph,
    repository: &str,
    revision: &Revision,
) -> Result<Imported, StoreError> {
    let total = graph.tasks.len() + graph.edges.len();
    let progress = Progress::new(total);
    let jobs: Vec<NewJob> = graph
        .tasks
        .into_iter()
        .map(|task| NewJob {
            guid: task.key,
            repository: repository.to_owned(),
            revision: Some(revision.clone()),
            kind: task.kind,
            name: task.name,
            symbol: task.symbol,
            group_symbol: task.group_symbol,
            group_name: task.group_name,
            platform: task.platform,
            build_system: Some("taskcluster".into()),
            state: JobState::Unscheduled,
            result: JobResult::Unknown,
            tier: task.tier,
            machine: None,
            submitted_at: None,
            started_at: None,
            finished_at: None,
            attributes: task.attributes,
            logs: Vec::new(),
            artifacts: Vec::new(),
        })
        .collect();
    let job_count = jobs.len();
    let mut done = 0;
    for chunk in jobs.chunks(CHUNK) {
        store.submit_jobs(chunk.to_vec()).await?;
        done += chunk.len();
        progress.at(done, "jobs and edges");
    }
    let edges: Vec<NewDependency> = graph
        .edges
        .into_iter()
        .map(|edge| NewDependency {
            dependent: edge.dependent,
            dependency: edge.dependency,
            kind: edge.kind,
        })
        .collect();
    let mut edge_count = 0;
    for chunk in edges.chunks(CHUNK) {
        edge_count += store.add_dependencies(chunk.to_vec()).await?;
        done += chunk.len();
        progress.at(done, "jobs and edges");
    }
    progress.finish();
    Ok(Imported {
        jobs: job_count,
        edges: edge_count,
    })
}
