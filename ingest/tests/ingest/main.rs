//! The crate's one test binary: pulse messages, task graphs and rule files, on hand-written
//! inputs and on the real-world fixtures (skipped when `../shared/fixtures` is absent).

#![allow(clippy::unwrap_used)]

mod pulse_fixture;
mod pulse_mapping;
mod pulse_rejections;
mod robustness;
mod rules;
mod taskgraph;

use std::path::PathBuf;

use serde_json::Value;
use treeherd_ingest::{
    IngestedJob, Rejection, parse_pulse_batch, parse_pulse_job, parse_pulse_text,
};

/// A fixture parsed as JSON, or `None` (the test skips) when fixtures are absent.
pub fn fixture_json(relative: &str) -> Option<Value> {
    let path: PathBuf = treeherd_testkit::fixture(relative)?;
    let text = std::fs::read_to_string(&path).unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

/// `message` parsed both ways: from its `Value` (the exact way) and from its text (the fast
/// way, which falls back to the exact one). They must agree, job for job and word for word.
pub fn parse_both_ways(index: usize, message: &Value) -> Result<IngestedJob, Rejection> {
    let exact = parse_pulse_job(index, message);
    let fast = parse_pulse_text(index, &message.to_string());
    assert_eq!(fast, exact, "the two ways disagree on {message}");
    if message.is_array() {
        return exact; // As a body, an array is a batch of messages, not one.
    }
    let pretty = serde_json::to_string_pretty(message).unwrap();
    let framed = parse_pulse_batch(pretty.as_bytes(), index).unwrap();
    match &exact {
        Ok(job) => assert_eq!(framed.jobs, vec![job.clone()]),
        Err(rejection) => assert_eq!(framed.rejected, vec![rejection.clone()]),
    }
    exact
}

/// A small valid pulse message to vary.
pub fn valid_message() -> Value {
    serde_json::json!({
        "taskId": "a0yJRHtkQzW-tp7nzieXSA",
        "retryId": 0,
        "buildSystem": "taskcluster",
        "origin": {"project": "try", "revision": "219d38523a321229f7f48aca6592f76b993fb1aa"},
        "display": {"jobName": "build-linux64/debug", "jobSymbol": "B", "groupSymbol": "?"},
        "state": "completed",
        "result": "success",
        "jobKind": "build",
        "version": 1
    })
}

/// `message` with the value at a dotted path (`origin.revision`, `logs.0.url`) replaced, or
/// removed when `value` is `None`.
pub fn edit(mut message: Value, path: &str, value: Option<Value>) -> Value {
    let parts: Vec<&str> = path.split('.').collect();
    let (last, parents) = parts.split_last().unwrap();
    let mut node = &mut message;
    for part in parents {
        node = match part.parse::<usize>() {
            Ok(i) => &mut node[i],
            Err(_) => &mut node[*part],
        };
    }
    match (value, last.parse::<usize>()) {
        (Some(value), Ok(i)) => node[i] = value,
        (Some(value), Err(_)) => node[*last] = value,
        (None, Ok(i)) => {
            node.as_array_mut().unwrap().remove(i);
        }
        (None, Err(_)) => {
            node.as_object_mut().unwrap().remove(*last);
        }
    }
    message
}
