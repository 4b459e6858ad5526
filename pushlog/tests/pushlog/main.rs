//! The crate's one test binary: every format on hand-written inputs and on the real-world
//! fixtures (skipped when `../shared/fixtures` is absent), and git histories built on the fly.

#![allow(clippy::unwrap_used)]

mod generate;
mod git;
mod github;
mod hg;
mod render;
mod signature;

use serde_json::Value;
use treeherd_model::Revision;

/// A fixture's bytes, or `None` (the test skips) when fixtures are absent.
pub fn fixture_bytes(relative: &str) -> Option<Vec<u8>> {
    let path = treeherd_testkit::fixture(relative)?;
    Some(std::fs::read(path).unwrap())
}

/// A fixture parsed as JSON, or `None` when fixtures are absent.
pub fn fixture_json(relative: &str) -> Option<Value> {
    Some(serde_json::from_slice(&fixture_bytes(relative)?).unwrap())
}

/// A revision from test text.
pub fn rev(text: &str) -> Revision {
    text.parse().unwrap()
}
