//! Taskcluster task graphs mapped to jobs and typed dependency edges.
//!
//! Two shapes are read, told apart per entry:
//! - taskgraph's `full-task-graph.json` / `task-graph.json`: an object keyed by label (or
//!   taskId), each entry with `kind`, `label`, `attributes`, `dependencies` (edge name → key)
//!   and `task` (the queue definition, `extra.treeherder` inside);
//! - queue task definitions keyed by taskId: `dependencies` is a list of taskIds, the kind is
//!   `tags.kind`, and `extra.treeherder` sits at the top.
//!
//! The graph's key becomes the job guid. Dependencies on keys the file does not hold are still
//! emitted: the store keeps them dangling until the other task arrives. Edge kinds come from
//! the rule table in [`crate::edge_rules`].

use std::collections::HashMap;

use serde_json::{Map, Value};
use treeherd_model::{DependencyKind, JobKind, TIERS};

use crate::edge_rules::{EdgeFacts, EdgeRules};
use crate::record::{optional_str, type_name};

/// A task of the graph, as a job to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The graph's key (label or taskId): the job guid.
    pub key: String,
    /// `label`, else `metadata.name`, else the key.
    pub name: String,
    pub kind: JobKind,
    pub symbol: Option<String>,
    pub group_symbol: Option<String>,
    pub group_name: Option<String>,
    pub platform: Option<String>,
    /// 1..=3 (1 when the task does not say).
    pub tier: i32,
    /// `kind` (taskgraph kind or `tags.kind`), `attributes` (taskgraph), `tags` (queue),
    /// `collection` (treeherder), `label` (when the key is not the label).
    pub attributes: Map<String, Value>,
}

/// `dependent` waits on `dependency` (both graph keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEdge {
    pub dependent: String,
    pub dependency: String,
    pub kind: DependencyKind,
    /// The taskgraph edge name; `None` for queue definitions, whose edges have none.
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskGraph {
    pub tasks: Vec<Task>,
    pub edges: Vec<TaskEdge>,
}

/// A file that is not a task graph of either shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphFormatError {
    #[error("a task graph is a JSON object keyed by label or taskId, not {0}")]
    NotAnObject(&'static str),
    #[error("task {key:?}: {path} {problem}")]
    BadTask {
        key: String,
        /// Where in the entry, e.g. `task.extra.treeherder.tier`.
        path: String,
        problem: String,
    },
}

/// [`parse_task_graph_with`] the default rule table.
pub fn parse_task_graph(json: &Value) -> Result<TaskGraph, GraphFormatError> {
    parse_task_graph_with(json, &EdgeRules::default())
}

/// Reads a task graph of either shape, classifying edges with `rules`.
pub fn parse_task_graph_with(
    json: &Value,
    rules: &EdgeRules,
) -> Result<TaskGraph, GraphFormatError> {
    let Value::Object(entries) = json else {
        return Err(GraphFormatError::NotAnObject(type_name(json)));
    };
    let entries: Vec<Entry<'_>> = entries
        .iter()
        .map(|(key, value)| Entry::read(key, value))
        .collect::<Result<_, _>>()?;

    let tasks = entries
        .iter()
        .map(Entry::to_task)
        .collect::<Result<Vec<Task>, _>>()?;

    // Rules look at the dependency's kind and name, so index them first.
    let by_key: HashMap<&str, &Entry<'_>> = entries.iter().map(|e| (e.key, e)).collect();
    let mut edges = Vec::new();
    for entry in &entries {
        for (edge_name, dependency) in &entry.dependencies {
            let target = by_key.get(dependency);
            let facts = EdgeFacts {
                dependent_kind: entry.kind,
                dependent_name: &entry.name,
                edge: edge_name.unwrap_or_default(),
                dependency_kind: target.map_or("", |t| t.kind),
                dependency_name: target.map_or(*dependency, |t| t.name.as_str()),
            };
            edges.push(TaskEdge {
                dependent: entry.key.to_owned(),
                dependency: (*dependency).to_owned(),
                kind: rules.classify(&facts),
                name: edge_name.map(str::to_owned),
            });
        }
    }
    Ok(TaskGraph { tasks, edges })
}

/// One entry of the file, read but not yet turned into a [`Task`].
struct Entry<'a> {
    key: &'a str,
    /// The taskgraph kind (`tags.kind` for queue definitions); "" when absent.
    kind: &'a str,
    name: String,
    /// (edge name, dependency key)
    dependencies: Vec<(Option<&'a str>, &'a str)>,
    treeherder: Option<&'a Map<String, Value>>,
    /// Where `treeherder` sits, for error paths.
    treeherder_path: &'static str,
    attributes: Map<String, Value>,
}

impl<'a> Entry<'a> {
    fn read(key: &'a str, value: &'a Value) -> Result<Entry<'a>, GraphFormatError> {
        let bad = |path: &str, problem: String| GraphFormatError::BadTask {
            key: key.to_owned(),
            path: path.to_owned(),
            problem,
        };
        let Value::Object(entry) = value else {
            return Err(bad(
                "entry",
                format!("must be an object, not {}", type_name(value)),
            ));
        };
        let mut attributes = Map::new();
        if let Some(task) = entry.get("task") {
            // taskgraph shape
            let Value::Object(task) = task else {
                return Err(bad(
                    "task",
                    format!("must be an object, not {}", type_name(task)),
                ));
            };
            let kind = optional_str(entry, "kind").map_err(|p| bad("kind", p))?;
            let label = optional_str(entry, "label").map_err(|p| bad("label", p))?;
            let metadata_name = task
                .get("metadata")
                .and_then(Value::as_object)
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str);
            let dependencies = match entry.get("dependencies") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Object(deps)) => deps
                    .iter()
                    .map(|(edge, target)| match target {
                        Value::String(t) => Ok((Some(edge.as_str()), t.as_str())),
                        other => Err(bad(
                            &format!("dependencies.{edge}"),
                            format!("must be a label or taskId string, not {}", type_name(other)),
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => {
                    return Err(bad(
                        "dependencies",
                        format!(
                            "must be an object of edge name → label, not {}",
                            type_name(other)
                        ),
                    ));
                }
            };
            if let Some(kind) = kind {
                attributes.insert("kind".into(), Value::from(kind));
            }
            if let Some(attrs) = entry.get("attributes") {
                attributes.insert("attributes".into(), attrs.clone());
            }
            if let Some(label) = label.filter(|l| *l != key) {
                attributes.insert("label".into(), Value::from(label));
            }
            Ok(Entry {
                key,
                kind: kind.unwrap_or_default(),
                name: label.or(metadata_name).unwrap_or(key).to_owned(),
                dependencies,
                treeherder: extra_treeherder(task),
                treeherder_path: "task.extra.treeherder",
                attributes,
            })
        } else if entry.get("dependencies").is_some_and(Value::is_array)
            || entry.get("metadata").is_some_and(Value::is_object)
        {
            // queue definition shape
            let tags = entry.get("tags").and_then(Value::as_object);
            let tag = |name: &str| tags.and_then(|t| t.get(name)).and_then(Value::as_str);
            let metadata_name = entry
                .get("metadata")
                .and_then(Value::as_object)
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str);
            let dependencies = match entry.get("dependencies") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(deps)) => deps
                    .iter()
                    .enumerate()
                    .map(|(i, target)| match target {
                        Value::String(t) => Ok((None, t.as_str())),
                        other => Err(bad(
                            &format!("dependencies[{i}]"),
                            format!("must be a taskId string, not {}", type_name(other)),
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => {
                    return Err(bad(
                        "dependencies",
                        format!("must be a list of taskIds, not {}", type_name(other)),
                    ));
                }
            };
            let kind = tag("kind");
            if let Some(kind) = kind {
                attributes.insert("kind".into(), Value::from(kind));
            }
            if let Some(tags) = tags {
                attributes.insert("tags".into(), Value::Object(tags.clone()));
            }
            if let Some(label) = tag("label").filter(|l| *l != key) {
                attributes.insert("label".into(), Value::from(label));
            }
            Ok(Entry {
                key,
                kind: kind.unwrap_or_default(),
                name: metadata_name.or(tag("label")).unwrap_or(key).to_owned(),
                dependencies,
                treeherder: extra_treeherder(entry),
                treeherder_path: "extra.treeherder",
                attributes,
            })
        } else {
            Err(bad(
                "entry",
                "is neither a taskgraph task (no `task` object) nor a queue task definition \
                 (no `dependencies` list or `metadata`)"
                    .to_owned(),
            ))
        }
    }

    fn to_task(&self) -> Result<Task, GraphFormatError> {
        let Entry {
            key,
            treeherder,
            treeherder_path,
            ..
        } = *self;
        let mut attributes = self.attributes.clone();
        let bad = |field: &str, problem: String| GraphFormatError::BadTask {
            key: key.to_owned(),
            path: format!("{treeherder_path}.{field}"),
            problem,
        };
        let empty = Map::new();
        let th = treeherder.unwrap_or(&empty);
        let text = |field: &str| optional_str(th, field).map_err(|p| bad(field, p));

        let kind = match text("jobKind")? {
            Some("build") => JobKind::Build,
            Some("test") => JobKind::Test,
            _ => JobKind::Other,
        };
        let tier = match th.get("tier") {
            None | Some(Value::Null) => 1,
            Some(value) => value
                .as_i64()
                .and_then(|t| i32::try_from(t).ok())
                .filter(|t| TIERS.contains(t))
                .ok_or_else(|| bad("tier", format!("must be 1, 2 or 3, not {value}")))?,
        };
        let platform = match th.get("machine") {
            None | Some(Value::Null) => None,
            Some(Value::Object(machine)) => optional_str(machine, "platform")
                .map_err(|p| bad("machine.platform", p))?
                .map(str::to_owned),
            Some(other) => {
                return Err(bad(
                    "machine",
                    format!("must be an object, not {}", type_name(other)),
                ));
            }
        };
        if let Some(collection) = th.get("collection") {
            attributes.insert("collection".into(), collection.clone());
        }
        Ok(Task {
            key: key.to_owned(),
            name: self.name.clone(),
            kind,
            symbol: text("symbol")?.map(str::to_owned),
            // "?" is Treeherder's placeholder for "no group".
            group_symbol: text("groupSymbol")?
                .filter(|g| *g != "?")
                .map(str::to_owned),
            group_name: text("groupName")?.map(str::to_owned),
            platform,
            tier,
            attributes,
        })
    }
}

fn extra_treeherder(task: &Map<String, Value>) -> Option<&Map<String, Value>> {
    task.get("extra")
        .and_then(Value::as_object)
        .and_then(|extra| extra.get("treeherder"))
        .and_then(Value::as_object)
}
