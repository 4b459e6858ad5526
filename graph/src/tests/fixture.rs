//! A real taskgraph (Mozilla's translations pipeline: 551 tasks, 1,678 named edges) loaded
//! both ways and checked against answers computed here by plain search over the JSON.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::*;
use crate::KindFilter;

/// Labels and their dependencies' labels, as the JSON states them.
fn load() -> Option<BTreeMap<String, BTreeSet<String>>> {
    let path = treeherd_testkit::fixture("taskgraph/translations-full-task-graph.json")?;
    let text = std::fs::read_to_string(path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let tasks = json.as_object().unwrap();
    let mut out = BTreeMap::new();
    for (label, task) in tasks {
        let deps = task["dependencies"].as_object().unwrap();
        let deps = deps
            .values()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect();
        out.insert(label.clone(), deps);
    }
    Some(out)
}

/// Everything reachable from `start` over `next`, by plain breadth-first search.
fn reach(start: &str, next: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    while let Some(n) = queue.pop_front() {
        for m in &next[&n] {
            if seen.insert(m.clone()) {
                queue.push_back(m.clone());
            }
        }
    }
    seen
}

#[test]
fn the_translations_taskgraph_loads_and_answers() {
    let Some(deps) = load() else { return };
    // Ids by label order, as a store would assign them in some order of its own.
    let id_of: BTreeMap<&str, i64> = deps.keys().zip(1..).map(|(l, i)| (l.as_str(), i)).collect();
    let label_of: BTreeMap<i64, &str> = id_of.iter().map(|(l, i)| (*i, *l)).collect();
    let mut dependents: BTreeMap<String, BTreeSet<String>> =
        deps.keys().map(|l| (l.clone(), BTreeSet::new())).collect();
    let mut edges = Vec::new();
    for (label, ds) in &deps {
        for d in ds {
            dependents.get_mut(d).unwrap().insert(label.clone());
            edges.push((id_of[label.as_str()], id_of[d.as_str()], G));
        }
    }
    // `graph` loads it through checked inserts (acyclic, or it panics) and the builder.
    let g = graph(&[], &edges);
    assert_eq!(g.len(), 551);
    assert_eq!(g.edge_count(), 1678);

    let by_label = |l: &str| JobId(id_of[l]);
    let labels = |jobs: Vec<crate::Reached>| -> BTreeSet<String> {
        jobs.iter().map(|r| label_of[&r.job.0].to_owned()).collect()
    };

    // The widest fan-in: the final "all" task waits on 99 others.
    let (widest, fan_in) = deps
        .keys()
        .map(|l| {
            (
                l.as_str(),
                g.dependencies(by_label(l), KindFilter::ALL).unwrap().len(),
            )
        })
        .max_by_key(|&(_, n)| n)
        .unwrap();
    assert_eq!((widest, fan_in), ("all-en-fi-1", 99));
    let dependents_of_train = g
        .dependents(by_label("build-docker-image-train"), KindFilter::ALL)
        .unwrap();
    assert_eq!(dependents_of_train.len(), 251);

    for (label, up, down) in [
        ("all-en-fi-1", 201, 0),
        ("build-docker-image-train", 1, 396),
        ("toolchain-hunspell", 3, 158),
        ("merge-corpus-en-fi", 264, 72),
    ] {
        let ancestors = labels(g.ancestors(by_label(label), KindFilter::ALL, None).unwrap());
        let descendants = labels(
            g.descendants(by_label(label), KindFilter::ALL, None)
                .unwrap(),
        );
        assert_eq!((ancestors.len(), descendants.len()), (up, down), "{label}");
        assert_eq!(ancestors, reach(label, &deps), "{label}");
        assert_eq!(descendants, reach(label, &dependents), "{label}");
    }
    // And every other task, by set.
    for label in deps.keys() {
        let ancestors = labels(g.ancestors(by_label(label), KindFilter::ALL, None).unwrap());
        assert_eq!(ancestors, reach(label, &deps), "{label}");
    }

    // One order for all 551 tasks, dependencies first.
    let order = g
        .topological_order(id_of.values().map(|&i| JobId(i)))
        .unwrap();
    let place: BTreeMap<i64, usize> = order.iter().enumerate().map(|(p, j)| (j.0, p)).collect();
    assert_eq!(place.len(), 551);
    for &(a, b, _) in &edges {
        assert!(place[&b] < place[&a]);
    }
}
