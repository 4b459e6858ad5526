//! No input makes the parsers panic: every field of real messages and graph entries replaced
//! by values of every JSON type.

use serde_json::{Map, Value, json};
use treeherd_ingest::{EdgeRules, parse_pulse_body, parse_task_graph};

use crate::{fixture_json, valid_message};

fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(4),
        json!(1.5),
        json!(1e300),
        json!(u64::MAX),
        json!(""),
        json!("?"),
        json!("x/1"),
        json!("x/99999999999999999999999"),
        json!("é".repeat(300)),
        json!("1970-01-01T00:00:00Z"),
        json!([]),
        json!([1, "a", null]),
        json!({}),
        json!({"name": 1}),
    ]
}

/// Every (path, value) replacement of every leaf and object of `value`.
fn variants(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for odd in odd_values() {
        out.push(odd);
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                for variant in variants(child) {
                    let mut copy: Map<String, Value> = map.clone();
                    copy.insert(key.clone(), variant);
                    out.push(Value::Object(copy));
                }
                let mut copy = map.clone();
                copy.remove(key);
                out.push(Value::Object(copy));
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                for variant in variants(child) {
                    let mut copy = items.clone();
                    copy[i] = variant;
                    out.push(Value::Array(copy));
                }
            }
        }
        _ => {}
    }
    out
}

#[test]
fn pulse_messages_never_panic() {
    let mut messages = vec![valid_message()];
    if let Some(Value::Array(samples)) = fixture_json("treeherder/pulse/job_data.json") {
        messages.extend(samples.into_iter().take(2));
    }
    let mut accepted = 0;
    for message in &messages {
        for variant in variants(message) {
            accepted += usize::from(crate::parse_both_ways(0, &variant).is_ok());
        }
    }
    assert!(accepted > 0);
}

#[test]
fn bodies_never_panic() {
    for body in [
        "",
        "[",
        "]",
        "{",
        "}{",
        "\u{feff}",
        "[1]\n",
        "\"",
        "{\"a\":\"\\ud800\"}",
        "nul",
        "1 2 [3]",
    ] {
        let _ = parse_pulse_body(body.as_bytes());
    }
    let _ = parse_pulse_body(&[0xff, 0xfe, b'{']);
    let _ = parse_pulse_body(&b"[".repeat(10_000));
}

#[test]
fn task_graphs_never_panic() {
    let entry = json!({
        "kind": "test", "label": "t",
        "dependencies": {"build": "b"},
        "attributes": {"x": 1},
        "task": {"metadata": {"name": "t"}, "extra": {"treeherder": {
            "jobKind": "test", "symbol": "T", "groupSymbol": "G", "tier": 2, "machine": {"platform": "p"}
        }}}
    });
    let queue = json!({"dependencies": ["b"], "tags": {"kind": "test"}, "metadata": {"name": "t"},
        "extra": {"treeherder": {"symbol": "T", "tier": 1}}});
    let rules = EdgeRules::parse("dependent-name=?* dependency-name=* -> TEST").unwrap();
    for base in [entry, queue] {
        for variant in variants(&base) {
            let graph = json!({"t": variant, "b": {"task": {}}});
            let _ = parse_task_graph(&graph);
            let _ = treeherd_ingest::parse_task_graph_with(&graph, &rules);
        }
    }
}
