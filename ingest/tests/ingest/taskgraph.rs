//! Task graphs of both shapes: the translations full-task-graph (taskgraph labels, named
//! edges) and Gecko queue task definitions (taskIds, unnamed edges, many pointing outside).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use treeherd_ingest::{
    EdgeRules, GraphFormatError, TaskEdge, TaskGraph, parse_task_graph, parse_task_graph_with,
};
use treeherd_model::{DependencyKind, JobKind};

use crate::fixture_json;

fn kind_counts(graph: &TaskGraph) -> BTreeMap<DependencyKind, usize> {
    let mut counts = BTreeMap::new();
    for edge in &graph.edges {
        *counts.entry(edge.kind).or_default() += 1;
    }
    counts
}

fn edge<'a>(graph: &'a TaskGraph, dependent: &str, dependency: &str) -> &'a TaskEdge {
    graph
        .edges
        .iter()
        .find(|e| e.dependent == dependent && e.dependency == dependency)
        .unwrap_or_else(|| panic!("no edge {dependent} -> {dependency}"))
}

#[test]
fn translations_full_task_graph() {
    let Some(json) = fixture_json("taskgraph/translations-full-task-graph.json") else {
        return;
    };
    let graph = parse_task_graph(&json).unwrap();
    assert_eq!(graph.tasks.len(), 551);
    assert_eq!(graph.edges.len(), 1_678);
    // Nothing in a model-training graph is a build under test, a repack or a release: its
    // test kind ("tests") only waits on docker images and toolchains. All edges are GENERIC.
    assert_eq!(
        kind_counts(&graph),
        BTreeMap::from([(DependencyKind::Generic, 1_678)])
    );
    let keys: std::collections::HashSet<&str> =
        graph.tasks.iter().map(|t| t.key.as_str()).collect();
    assert!(
        graph
            .edges
            .iter()
            .all(|e| keys.contains(e.dependency.as_str()))
    );

    let e = edge(&graph, "tests-test", "build-docker-image-test");
    assert_eq!(
        (e.kind, e.name.as_deref()),
        (DependencyKind::Generic, Some("docker-image"))
    );
    // Edge names may hold a slash.
    let e = edge(
        &graph,
        "all-en-fi-2",
        "evaluate-teacher-flores-flores_devtest-en-fi-1/2",
    );
    assert_eq!(
        e.name.as_deref(),
        Some("evaluate-teacher-flores-flores_devtest-en-fi-1/2")
    );

    let task = |key: &str| graph.tasks.iter().find(|t| t.key == key).unwrap();
    let image = task("build-docker-image-base");
    assert_eq!(image.name, "build-docker-image-base");
    assert_eq!(image.kind, JobKind::Other);
    assert_eq!(image.symbol.as_deref(), Some("Base"));
    assert_eq!(image.group_symbol, None);
    assert_eq!(image.platform.as_deref(), Some("taskcluster-images"));
    assert_eq!(image.tier, 1);
    assert_eq!(image.attributes["kind"], json!("docker-image"));
    assert_eq!(image.attributes["collection"], json!({"opt": true}));

    let fetch = task("fetch-cuda");
    assert_eq!(fetch.kind, JobKind::Build);
    assert_eq!(
        (
            fetch.symbol.as_deref(),
            fetch.group_symbol.as_deref(),
            fetch.group_name.as_deref()
        ),
        (Some("cuda"), Some("Fetch"), Some("Fetching tasks"))
    );

    // Most translations tasks have no treeherder section.
    let plain = task("alignments-backtranslated-en-fi");
    assert_eq!(
        (
            plain.kind,
            plain.symbol.as_deref(),
            plain.platform.as_deref()
        ),
        (JobKind::Other, None, None)
    );
    assert_eq!(plain.attributes["kind"], json!("alignments-backtranslated"));
    assert_eq!(
        plain.attributes["attributes"]["stage"],
        json!("alignments-teacher")
    );
    assert!(!plain.attributes.contains_key("label"));
    assert_eq!(
        graph.tasks.iter().filter(|t| t.symbol.is_some()).count(),
        13
    );
}

#[test]
fn translations_graph_with_project_rules() {
    let Some(json) = fixture_json("taskgraph/translations-full-task-graph.json") else {
        return;
    };
    // A project can say that evaluating a model tests it.
    let rules = EdgeRules::parse(
        "dependent-kind=evaluate* dependency-kind=train-*|finetune-* -> TEST\n\
         dependent-kind=all -> RELEASE\n", // the two "all" tasks: fan-in of 99 and 41
    )
    .unwrap();
    let graph = parse_task_graph_with(&json, &rules).unwrap();
    assert_eq!(
        kind_counts(&graph),
        BTreeMap::from([
            (DependencyKind::Test, 32),
            (DependencyKind::Release, 140),
            (DependencyKind::Generic, 1_678 - 32 - 140),
        ])
    );
    let e = edge(
        &graph,
        "evaluate-backward-flores-devtest-en-fi",
        "train-backwards-en-fi",
    );
    assert_eq!(
        (e.kind, e.name.as_deref()),
        (DependencyKind::Test, Some("train-backwards"))
    );
    assert_eq!(
        edge(
            &graph,
            "evaluate-backward-flores-devtest-en-fi",
            "toolchain-marian"
        )
        .kind,
        DependencyKind::Generic
    );
}

#[test]
fn gecko_queue_task_definitions() {
    let Some(json) = fixture_json("treeherder/pulse/taskcluster_tasks.json") else {
        return;
    };
    let graph = parse_task_graph(&json).unwrap();
    assert_eq!(graph.tasks.len(), 91);
    assert_eq!(graph.edges.len(), 166);
    assert!(graph.edges.iter().all(|e| e.name.is_none()));
    let keys: std::collections::HashSet<&str> =
        graph.tasks.iter().map(|t| t.key.as_str()).collect();
    let outside = graph
        .edges
        .iter()
        .filter(|e| !keys.contains(e.dependency.as_str()))
        .count();
    assert_eq!(outside, 97);
    // 69 tests wait on the build in the file; the rest wait on images and the decision task,
    // which are not in the file and so have no kind to judge by.
    assert_eq!(
        kind_counts(&graph),
        BTreeMap::from([(DependencyKind::Test, 69), (DependencyKind::Generic, 97)])
    );

    let test = graph
        .tasks
        .iter()
        .find(|t| t.key == "A35mWTRuQmyj88yMnIF0fA")
        .unwrap();
    assert_eq!(test.name, "test-linux64-qr/debug-mochitest-a11y-1proc");
    assert_eq!(test.kind, JobKind::Test);
    assert_eq!(
        (
            test.symbol.as_deref(),
            test.group_symbol.as_deref(),
            test.group_name.as_deref()
        ),
        (
            Some("a11y"),
            Some("M-1proc"),
            Some("Mochitests without e10s")
        )
    );
    assert_eq!(
        (test.platform.as_deref(), test.tier),
        (Some("linux64-qr"), 1)
    );
    assert_eq!(test.attributes["kind"], json!("test"));
    assert_eq!(
        test.attributes["label"],
        json!("test-linux64-qr/debug-mochitest-a11y-1proc")
    );
    assert_eq!(test.attributes["tags"]["test-type"], json!("mochitest"));
    assert_eq!(test.attributes["collection"], json!({"debug": true}));
    let e = edge(&graph, "A35mWTRuQmyj88yMnIF0fA", "ZyNAZZR0SmOcgqC_k_wqsQ");
    assert_eq!((e.kind, e.name.as_deref()), (DependencyKind::Test, None));
    assert_eq!(
        edge(&graph, "A35mWTRuQmyj88yMnIF0fA", "fwecfu9zRiyF2tPxq29EAQ").kind,
        DependencyKind::Generic
    );

    let build = graph
        .tasks
        .iter()
        .find(|t| t.key == "ZyNAZZR0SmOcgqC_k_wqsQ")
        .unwrap();
    assert_eq!(
        (build.kind, build.symbol.as_deref(), build.name.as_str()),
        (JobKind::Build, Some("B"), "build-linux64/debug")
    );
    assert_eq!(
        graph
            .edges
            .iter()
            .filter(|e| e.dependent == build.key)
            .count(),
        10
    );

    // An action task with no jobKind or tier.
    let action = graph
        .tasks
        .iter()
        .find(|t| t.key == "CER7YmG9QmCd-R66vfWkVQ")
        .unwrap();
    assert_eq!(
        (action.kind, action.tier, action.name.as_str()),
        (JobKind::Other, 1, "Action: Retrigger")
    );
    assert_eq!(action.group_symbol.as_deref(), Some("AC"));
}

#[test]
fn small_graphs_of_both_shapes() {
    let taskgraph = json!({
        "build-linux64/opt": {"kind": "build", "label": "build-linux64/opt", "dependencies": {}, "task": {
            "extra": {"treeherder": {"jobKind": "build", "symbol": "B", "tier": 2, "machine": {"platform": "linux64"}}}
        }},
        "test-linux64/opt-xpcshell-1": {"kind": "test", "label": "test-linux64/opt-xpcshell-1",
            "dependencies": {"build": "build-linux64/opt", "docker-image": "docker-image-ubuntu"},
            "task": {"metadata": {"name": "ignored: the label wins"}}},
        "shippable-l10n-linux64-1": {"kind": "shippable-l10n", "dependencies": {"build": "build-linux64/opt"},
            "task": {"metadata": {"name": "l10n repack 1"}}},
        "beetmover-linux64": {"kind": "beetmover-repackage", "dependencies": {"repackage": "repackage-linux64"},
            "task": {}}
    });
    let graph = parse_task_graph(&taskgraph).unwrap();
    let kinds: Vec<(&str, &str, DependencyKind)> = graph
        .edges
        .iter()
        .map(|e| (e.dependent.as_str(), e.dependency.as_str(), e.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "beetmover-linux64",
                "repackage-linux64",
                DependencyKind::Release
            ),
            (
                "shippable-l10n-linux64-1",
                "build-linux64/opt",
                DependencyKind::L10nRepack
            ),
            (
                "test-linux64/opt-xpcshell-1",
                "build-linux64/opt",
                DependencyKind::Test
            ),
            (
                "test-linux64/opt-xpcshell-1",
                "docker-image-ubuntu",
                DependencyKind::Generic
            ),
        ]
    );
    let task = |key: &str| graph.tasks.iter().find(|t| t.key == key).unwrap();
    assert_eq!(task("build-linux64/opt").tier, 2);
    assert_eq!(
        task("test-linux64/opt-xpcshell-1").name,
        "test-linux64/opt-xpcshell-1"
    );
    assert_eq!(task("shippable-l10n-linux64-1").name, "l10n repack 1");
    assert_eq!(task("beetmover-linux64").name, "beetmover-linux64");

    // task-graph.json: keyed by taskId, edges name taskIds.
    let by_id = json!({
        "T1": {"kind": "build", "label": "build-x", "task_id": "T1", "dependencies": {}, "task": {}},
        "T2": {"kind": "test", "label": "test-x", "task_id": "T2", "dependencies": {"build": "T1"}, "task": {}}
    });
    let graph = parse_task_graph(&by_id).unwrap();
    assert_eq!(
        graph.edges,
        [TaskEdge {
            dependent: "T2".into(),
            dependency: "T1".into(),
            kind: DependencyKind::Test,
            name: Some("build".into()),
        }]
    );
    assert_eq!(graph.tasks[1].attributes["label"], json!("test-x"));

    assert_eq!(parse_task_graph(&json!({})).unwrap(), TaskGraph::default());
}

#[test]
fn malformed_graphs_are_refused_with_the_place() {
    let check = |json: Value, expected: &str| {
        let err = parse_task_graph(&json).unwrap_err();
        assert_eq!(err.to_string(), expected);
    };
    assert_eq!(
        parse_task_graph(&json!([])).unwrap_err(),
        GraphFormatError::NotAnObject("an array")
    );
    check(
        json!([]),
        "a task graph is a JSON object keyed by label or taskId, not an array",
    );
    check(
        json!({"a": 5}),
        "task \"a\": entry must be an object, not a number",
    );
    check(
        json!({"a": {"kind": "x"}}),
        "task \"a\": entry is neither a taskgraph task (no `task` object) nor a queue task \
         definition (no `dependencies` list or `metadata`)",
    );
    check(
        json!({"a": {"task": []}}),
        "task \"a\": task must be an object, not an array",
    );
    check(
        json!({"a": {"task": {}, "dependencies": ["b"]}}),
        "task \"a\": dependencies must be an object of edge name → label, not an array",
    );
    check(
        json!({"a": {"task": {}, "dependencies": {"build": 3}}}),
        "task \"a\": dependencies.build must be a label or taskId string, not a number",
    );
    check(
        json!({"a": {"dependencies": ["b", null]}}),
        "task \"a\": dependencies[1] must be a taskId string, not null",
    );
    check(
        json!({"a": {"metadata": {}, "dependencies": "b"}}),
        "task \"a\": dependencies must be a list of taskIds, not a string",
    );
    check(
        json!({"a": {"task": {"extra": {"treeherder": {"tier": 4}}}}}),
        "task \"a\": task.extra.treeherder.tier must be 1, 2 or 3, not 4",
    );
    check(
        json!({"a": {"dependencies": [], "extra": {"treeherder": {"symbol": 1}}}}),
        "task \"a\": extra.treeherder.symbol must be a string, not a number",
    );
    check(
        json!({"a": {"task": {"extra": {"treeherder": {"machine": "linux"}}}}}),
        "task \"a\": task.extra.treeherder.machine must be an object, not a string",
    );
    check(
        json!({"a": {"task": {}, "kind": 3}}),
        "task \"a\": kind must be a string, not a number",
    );
}
