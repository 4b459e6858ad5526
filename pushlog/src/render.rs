//! [`PushRecord`]s written back out as hg's `json-pushes`, so treeherd can serve a pushlog
//! to tools that read Mercurial's (and so round-trip what it imported).
//!
//! hg sorts every object's keys; `serde_json`'s default map does the same, so objects are
//! built as [`Value`]s. The one exception is the object of pushes, whose keys are push ids
//! ordered as numbers ("9" before "10"): it is written by hand.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::PushRecord;

/// Which `json-pushes` variant to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// 1: the pushes object alone; 2 (or anything else): `{"lastpushid", "pushes"}`.
    pub version: u8,
    /// Changesets as full objects (hg's `full=1`) rather than node strings.
    pub full: bool,
}

impl Default for RenderOptions {
    /// What treeherd itself asks hg for: version 2, full.
    fn default() -> Self {
        RenderOptions {
            version: 2,
            full: true,
        }
    }
}

/// The pushes as a compact `json-pushes` page; pushes are written in ascending push id
/// whatever their order in `pushes`, and `date` in whole seconds (rounded down).
pub fn render_json_pushes(
    pushes: &[PushRecord],
    last_push_id: i64,
    options: RenderOptions,
) -> String {
    // Only numbered pushes have a key to be written under.
    let mut sorted: Vec<(i64, &PushRecord)> = pushes
        .iter()
        .filter_map(|p| Some((p.push_id?, p)))
        .collect();
    sorted.sort_by_key(|(id, _)| *id);

    let mut map = String::from("{");
    for (i, (push_id, push)) in sorted.iter().enumerate() {
        if i > 0 {
            map.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(map, "\"{}\":{}", push_id, push_object(push, options.full));
    }
    map.push('}');

    if options.version == 1 {
        map
    } else {
        format!("{{\"lastpushid\":{last_push_id},\"pushes\":{map}}}")
    }
}

fn push_object(push: &PushRecord, full: bool) -> Value {
    let changesets: Vec<Value> = push
        .commits
        .iter()
        .map(|commit| {
            if !full {
                return json!(commit.revision.as_str());
            }
            json!({
                "author": commit.author,
                // hg names the unnamed branch "default".
                "branch": commit.branch.as_deref().unwrap_or("default"),
                "desc": commit.message,
                "files": commit.files,
                "node": commit.revision.as_str(),
                "parents": commit.parents.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "tags": commit.tags,
            })
        })
        .collect();
    json!({
        "changesets": changesets,
        "date": push.pushed_at.div_euclid(1_000_000),
        "user": push.author,
    })
}
