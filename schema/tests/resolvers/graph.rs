//! The dependency-graph questions over GraphQL: exact answers on a hand-built release, cycle
//! refusal, and real task graphs. (Two servers on one database: the e2e suite's `graph.rs`.)

use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::builders::app_with_push;
use crate::support::{TestSchema, error_code};
use treeherd_testkit::documents::{ADD, SUBMIT, finished, guids, job, set};

/// toolchain <- build <- {test-ok, test-failed, test-pending, repack (running)} <- release;
/// plus pending jobs that are ready, blocked by a failure, or waiting on a dangling edge.
async fn release_app() -> TestSchema {
    let app = app_with_push().await;
    let mut repack = job("repack", "L10N_REPACK", "RUNNING");
    repack["startedAt"] = json!("2020-01-01T00:00:00Z");
    let jobs = vec![
        finished("toolchain", "BUILD", "SUCCESS", 60),
        finished("build", "BUILD", "SUCCESS", 600),
        finished("test-ok", "TEST", "SUCCESS", 300),
        finished("test-failed", "TEST", "TESTFAILED", 120),
        job("test-pending", "TEST", "PENDING"),
        repack,
        job("release", "RELEASE", "UNSCHEDULED"),
        job("lonely", "OTHER", "PENDING"),
        job("after-failure", "TEST", "PENDING"),
        job("waits-on-ghost", "TEST", "PENDING"),
    ];
    app.data(SUBMIT, json!({"jobs": jobs})).await;
    let edge =
        |a: &str, b: &str, kind: &str| json!({"dependent": a, "dependency": b, "kind": kind});
    app.data(
        ADD,
        json!({"edges": [
            edge("build", "toolchain", "GENERIC"),
            edge("test-ok", "build", "TEST"),
            edge("test-failed", "build", "TEST"),
            edge("test-pending", "build", "TEST"),
            edge("repack", "build", "L10N_REPACK"),
            edge("release", "test-ok", "RELEASE"),
            edge("release", "test-failed", "RELEASE"),
            edge("release", "test-pending", "RELEASE"),
            edge("release", "repack", "RELEASE"),
            edge("after-failure", "test-failed", "GENERIC"),
            edge("waits-on-ghost", "ghost", "GENERIC"),
        ]}),
    )
    .await;
    app
}

async fn walk(app: &TestSchema, guid: &str, field: &str, args: &str) -> BTreeSet<String> {
    let query = format!(
        "{{ job(guid: \"{guid}\") {{ {field}(first: 1000{args}) {{ nodes {{ guid }} }} }} }}"
    );
    let data = app.data(&query, json!({})).await;
    assert!(data["job"][field]["nodes"].is_array(), "{query}: {data}");
    guids(&data["job"][field]["nodes"])
}

#[tokio::test]
async fn transitive_questions_have_exact_answers() {
    let app = release_app().await;
    let everything_below_build = set(&[
        "test-ok",
        "test-failed",
        "test-pending",
        "repack",
        "release",
        "after-failure",
    ]);
    assert_eq!(
        walk(&app, "build", "descendants", "").await,
        everything_below_build
    );
    assert_eq!(
        walk(&app, "build", "descendants", ", kinds: [TEST]").await,
        set(&["test-ok", "test-failed", "test-pending"])
    );
    assert_eq!(
        walk(&app, "release", "ancestors", "").await,
        set(&[
            "test-ok",
            "test-failed",
            "test-pending",
            "repack",
            "build",
            "toolchain"
        ])
    );
    assert_eq!(
        walk(&app, "release", "ancestors", ", maxDepth: 1").await,
        set(&["test-ok", "test-failed", "test-pending", "repack"])
    );
    assert_eq!(
        walk(&app, "release", "blockers", "").await,
        set(&["test-failed", "test-pending", "repack"])
    );
    // A completed descendant already ran: what hangs off it only is not impacted.
    assert_eq!(
        walk(&app, "build", "impact", "").await,
        set(&["test-pending", "repack", "release"])
    );
    assert_eq!(walk(&app, "toolchain", "ancestors", "").await, set(&[]));

    let negative = app
        .graphql(
            "{ job(guid: \"build\") { ancestors(first: 5, maxDepth: -1) { nodes { guid } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&negative), "BAD_USER_INPUT");
}

#[tokio::test]
async fn traversals_page_without_repeats() {
    let app = release_app().await;
    let query =
        "query($after: String) { job(guid: \"release\") { ancestors(first: 4, after: $after) {
        nodes { guid } pageInfo { hasNextPage endCursor } } } }";
    let first = app.data(query, json!({"after": null})).await;
    let page = &first["job"]["ancestors"];
    assert_eq!(page["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let second = app
        .data(query, json!({"after": page["pageInfo"]["endCursor"]}))
        .await;
    let rest = &second["job"]["ancestors"];
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    let mut all = guids(&page["nodes"]);
    all.extend(guids(&rest["nodes"]));
    assert_eq!(all.len(), 6);
}

#[tokio::test]
async fn the_critical_path_is_the_longest_chain_of_durations() {
    let app = release_app().await;
    let data = app
        .data(
            "{ job(guid: \"release\") { criticalPath { jobs { guid } totalDuration } } }",
            json!({}),
        )
        .await;
    let path: Vec<&str> = data["job"]["criticalPath"]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["guid"].as_str().unwrap())
        .collect();
    // The repack has been running since 2020, so it outweighs any finished test.
    assert_eq!(path, vec!["toolchain", "build", "repack", "release"]);
    let total = data["job"]["criticalPath"]["totalDuration"]
        .as_f64()
        .unwrap();
    assert!(total > 660.0 + 3600.0, "{total}");
}

#[tokio::test]
async fn ready_jobs_are_pending_with_every_dependency_succeeded() {
    let app = release_app().await;
    let data = app
        .data(
            "{ readyJobs(repository: \"try\", first: 10) { nodes { guid } } }",
            json!({}),
        )
        .await;
    let ready: Vec<&str> = data["readyJobs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["guid"].as_str().unwrap())
        .collect();
    assert_eq!(ready, vec!["lonely", "test-pending"]);
}

#[tokio::test]
async fn paths_run_either_way_and_are_null_between_strangers() {
    let app = release_app().await;
    let query = "query($a: String!, $b: String!) { dependencyPath(from: $a, to: $b) { guid } }";
    let up = app
        .data(query, json!({"a": "release", "b": "toolchain"}))
        .await;
    let up: Vec<&str> = up["dependencyPath"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["guid"].as_str().unwrap())
        .collect();
    assert_eq!(up.len(), 4);
    assert_eq!((up[0], up[2], up[3]), ("release", "build", "toolchain"));
    let down = app
        .data(query, json!({"a": "toolchain", "b": "test-ok"}))
        .await;
    assert_eq!(
        down["dependencyPath"],
        json!([{"guid": "toolchain"}, {"guid": "build"}, {"guid": "test-ok"}])
    );
    let none = app.data(query, json!({"a": "lonely", "b": "build"})).await;
    assert_eq!(none["dependencyPath"], Value::Null);
    let missing = app.graphql(query, json!({"a": "nope", "b": "build"})).await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
}

#[tokio::test]
async fn a_subgraph_comes_with_its_edges_dot_and_svg() {
    let app = release_app().await;
    let data = app
        .data(
            "{ dependencyGraph(guid: \"build\", direction: DOWNSTREAM, maxDepth: 1) {
                nodes { guid } edges { kind dependent dependency } dot svg } }",
            json!({}),
        )
        .await;
    let graph = &data["dependencyGraph"];
    assert_eq!(graph["nodes"][0]["guid"], "build");
    assert_eq!(
        guids(&graph["nodes"]),
        set(&["build", "test-ok", "test-failed", "test-pending", "repack"])
    );
    let mut edges: Vec<(String, String, String)> = graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["dependent"].as_str().unwrap().to_owned(),
                e["dependency"].as_str().unwrap().to_owned(),
                e["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    edges.sort();
    assert_eq!(
        edges,
        vec![
            ("repack".into(), "build".into(), "L10N_REPACK".into()),
            ("test-failed".into(), "build".into(), "TEST".into()),
            ("test-ok".into(), "build".into(), "TEST".into()),
            ("test-pending".into(), "build".into(), "TEST".into()),
        ]
    );
    let dot = graph["dot"].as_str().unwrap();
    assert!(
        dot.starts_with("digraph")
            && dot.contains("\"build\" -> \"repack\" [label=\"L10N_REPACK\"]")
    );
    let svg = graph["svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg") && svg.contains(">testfailed<"));
    assert_eq!(svg.matches("<line ").count(), 4);
}

#[tokio::test]
async fn an_edge_that_closes_a_cycle_is_refused_naming_it() {
    let app = app_with_push().await;
    let jobs: Vec<Value> = ["a", "b", "c"]
        .iter()
        .map(|g| job(g, "OTHER", "PENDING"))
        .collect();
    app.data(SUBMIT, json!({"jobs": jobs})).await;
    app.data(ADD, json!({"edges": [{"dependent": "a", "dependency": "b"}, {"dependent": "b", "dependency": "c"}]}))
        .await;
    let refused = app
        .graphql(ADD, json!({"edges": [{"dependent": "a", "dependency": "x"}, {"dependent": "c", "dependency": "a"}]}))
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");
    assert_eq!(
        refused["errors"][0]["message"],
        "dependency cycle: c -> a -> b -> c"
    );
    // Nothing of the refused call was written, in the store or in the graph.
    let data = app
        .data("{ job(guid: \"a\") { danglingDependencies { guid } } c: job(guid: \"c\") { ancestors(first: 10) { nodes { guid } } } }", json!({}))
        .await;
    assert_eq!(data["job"]["danglingDependencies"], json!([]));
    assert_eq!(data["c"]["ancestors"]["nodes"], json!([]));
    // A cycle that closes when a dangling edge binds is impossible: the newcomer has no edges.
    let self_edge = app
        .graphql(
            ADD,
            json!({"edges": [{"dependent": "b", "dependency": "b"}]}),
        )
        .await;
    assert_eq!(error_code(&self_edge), "CONFLICT");
}

/// Loads a task graph into `try`: one job per task, one GENERIC edge per named dependency.
async fn load_tasks(app: &TestSchema, tasks: &[(String, Vec<String>)]) {
    let jobs: Vec<Value> = tasks
        .iter()
        .map(|(label, _)| job(label, "OTHER", "UNSCHEDULED"))
        .collect();
    app.data(SUBMIT, json!({"jobs": jobs})).await;
    let edges: Vec<Value> = tasks
        .iter()
        .flat_map(|(label, deps)| {
            deps.iter()
                .map(move |d| json!({"dependent": label, "dependency": d}))
        })
        .collect();
    app.data(ADD, json!({"edges": edges})).await;
}

/// Everything reachable from `start` by following `next` (a plain BFS over the file).
fn reachable(next: &HashMap<String, Vec<String>>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    while let Some(job) = queue.pop_front() {
        for n in next.get(&job).into_iter().flatten() {
            if seen.insert(n.clone()) {
                queue.push_back(n.clone());
            }
        }
    }
    seen
}

#[tokio::test]
async fn the_translations_task_graph_answers_like_a_plain_walk() {
    let Some(path) = treeherd_testkit::fixture("taskgraph/translations-full-task-graph.json")
    else {
        return;
    };
    let graph: serde_json::Map<String, Value> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let tasks: Vec<(String, Vec<String>)> = graph
        .iter()
        .map(|(label, task)| {
            let deps = task["dependencies"]
                .as_object()
                .unwrap()
                .values()
                .map(|d| d.as_str().unwrap().to_owned())
                .collect();
            (label.clone(), deps)
        })
        .collect();
    assert_eq!(tasks.len(), 551);
    assert_eq!(tasks.iter().map(|(_, d)| d.len()).sum::<usize>(), 1678);
    let app = app_with_push().await;
    load_tasks(&app, &tasks).await;

    let up: HashMap<String, Vec<String>> = tasks.iter().cloned().collect();
    let mut down: HashMap<String, Vec<String>> = HashMap::new();
    for (label, deps) in &tasks {
        for d in deps {
            down.entry(d.clone()).or_default().push(label.clone());
        }
    }
    let fan_in = app
        .data(
            "{ job(guid: \"all-en-fi-1\") { dependencies { job { guid } } } }",
            json!({}),
        )
        .await;
    assert_eq!(fan_in["job"]["dependencies"].as_array().unwrap().len(), 99);
    let mut labels: Vec<&String> = up.keys().collect();
    labels.sort();
    for label in labels
        .iter()
        .step_by(37)
        .chain([&&"all-en-fi-1".to_owned()])
    {
        assert_eq!(
            walk(&app, label, "ancestors", "").await,
            reachable(&up, label),
            "ancestors of {label}"
        );
        assert_eq!(
            walk(&app, label, "descendants", "").await,
            reachable(&down, label),
            "descendants of {label}"
        );
    }
}

#[tokio::test]
async fn taskcluster_task_definitions_bind_what_they_can() {
    let Some(path) = treeherd_testkit::fixture("treeherder/pulse/taskcluster_tasks.json") else {
        return;
    };
    let definitions: serde_json::Map<String, Value> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let tasks: Vec<(String, Vec<String>)> = definitions
        .iter()
        .map(|(id, task)| {
            let deps = task["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_owned())
                .collect();
            (id.clone(), deps)
        })
        .collect();
    assert_eq!(tasks.len(), 91);
    let app = app_with_push().await;
    load_tasks(&app, &tasks).await;
    let up: HashMap<String, Vec<String>> = tasks
        .iter()
        .map(|(id, deps)| {
            (
                id.clone(),
                deps.iter()
                    .filter(|d| definitions.contains_key(*d))
                    .cloned()
                    .collect(),
            )
        })
        .collect();
    for (id, deps) in tasks.iter().take(20) {
        let data = app
            .data(&format!("{{ job(guid: \"{id}\") {{ dependencies {{ job {{ guid }} }} danglingDependencies {{ guid }} }} }}"), json!({}))
            .await;
        let bound = data["job"]["dependencies"].as_array().unwrap().len();
        let dangling = data["job"]["danglingDependencies"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(bound + dangling, deps.len(), "{id}");
        assert_eq!(bound, up[id].len(), "{id}");
        assert_eq!(
            walk(&app, id, "ancestors", "").await,
            reachable(&up, id),
            "ancestors of {id}"
        );
    }
}
