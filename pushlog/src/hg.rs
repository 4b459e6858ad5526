//! hg's `json-pushes` pages read into [`PushRecord`]s, and the URL of a page.
//!
//! One reader for every shape a Mercurial server has answered with: version 2 (`lastpushid`
//! and a `pushes` object) and version 1 (the pushes object alone), changesets as full objects
//! (`full=1`) or bare node strings, dates as seconds (integer or float) or `[seconds, offset]`.

use serde_json::{Map, Value};
use treeherd_model::Revision;

use crate::json::{self, Problem};
use crate::{CommitRecord, PushRecord, PushlogError};

/// hg's name for "no parent" (the parent of a root changeset).
const NULL_REVISION: &str = "0000000000000000000000000000000000000000";

/// One `json-pushes` page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPushes {
    /// Version 2's `lastpushid`: the repository's newest push id, which may lie beyond this
    /// page. Version 1 does not say: the highest push id of the page, `None` when it is empty.
    pub last_push_id: Option<i64>,
    /// The pushes that hold changesets, in ascending push id.
    pub pushes: Vec<PushRecord>,
    /// Ids of pushes without changesets (all of them hidden or obsolete on the server):
    /// there is no tip to make a push of, so they are skipped and reported here, ascending.
    pub empty: Vec<i64>,
}

/// Reads a `json-pushes` page of either version, full or not.
pub fn parse_json_pushes(bytes: &[u8]) -> Result<JsonPushes, PushlogError> {
    let value: Value = serde_json::from_slice(bytes)?;
    json_pushes_from_value(&value)
}

/// [`parse_json_pushes`] for a page already parsed as JSON.
pub fn json_pushes_from_value(value: &Value) -> Result<JsonPushes, PushlogError> {
    let top = json::object(value).map_err(|p| PushlogError::field("$", p.text))?;
    // Version 1's keys are push ids, so neither name can occur there.
    let version_2 = top.contains_key("lastpushid") || top.contains_key("pushes");
    let (declared_last, pushes) = if version_2 {
        let last = match json::get(top, "lastpushid") {
            None => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                PushlogError::field(
                    "lastpushid",
                    format!("must be an integer, got {}", json::shown(v)),
                )
            })?),
        };
        let pushes = json::get(top, "pushes")
            .ok_or_else(|| PushlogError::field("pushes", "missing"))
            .and_then(|v| json::object(v).map_err(|p| PushlogError::field("pushes", p.text)))?;
        (last, pushes)
    } else {
        (None, top)
    };

    let mut records = Vec::with_capacity(pushes.len());
    let mut empty = Vec::new();
    for (key, push) in pushes {
        let push_id = push_id(key)?;
        match parse_push(push_id, push)? {
            Some(record) => records.push(record),
            None => empty.push(push_id),
        }
    }
    // Keys come back in string order ("10" < "9"); push order is numeric.
    records.sort_by_key(|p| p.push_id);
    empty.sort_unstable();
    let highest = records
        .last()
        .and_then(|p| p.push_id)
        .max(empty.last().copied());
    Ok(JsonPushes {
        last_push_id: declared_last.or(highest),
        pushes: records,
        empty,
    })
}

/// The URL of the full version-2 page of pushes `start_id + 1 ..= end_id`: hg's `startID` is
/// exclusive and `endID` inclusive, so `page_url(base, 0, 100)` asks for the first hundred.
pub fn page_url(base: &str, start_id: i64, end_id: i64) -> String {
    let base = base.trim_end_matches('/');
    format!("{base}/json-pushes?version=2&full=1&startID={start_id}&endID={end_id}")
}

fn push_id(key: &str) -> Result<i64, PushlogError> {
    key.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| key.parse::<i64>().ok())
        .flatten()
        .filter(|id| *id > 0)
        .ok_or_else(|| PushlogError::PushId(key.to_owned()))
}

/// The push, or `None` when it has no changesets.
fn parse_push(push_id: i64, push: &Value) -> Result<Option<PushRecord>, PushlogError> {
    let at = |field: &str| {
        let field = field.to_owned();
        move |problem: Problem| PushlogError::Push {
            push_id,
            field: problem.path(&field),
            problem: problem.text,
        }
    };
    let missing = |field: &str| PushlogError::Push {
        push_id,
        field: field.to_owned(),
        problem: "missing".to_owned(),
    };
    let push = json::object(push).map_err(at("$"))?;

    let date = json::get(push, "date").ok_or_else(|| missing("date"))?;
    let pushed_at = date_micros(date).map_err(at("date"))?;
    let user = json::get(push, "user").ok_or_else(|| missing("user"))?;
    let author = json::string(user).map_err(at("user"))?.to_owned();
    let changesets = json::get(push, "changesets").ok_or_else(|| missing("changesets"))?;
    let changesets = json::array(changesets).map_err(at("changesets"))?;

    let commits = changesets
        .iter()
        .enumerate()
        .map(|(i, changeset)| changeset_record(changeset).map_err(at(&format!("changesets[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(tip) = commits.last() else {
        return Ok(None);
    };
    Ok(Some(PushRecord {
        push_id: Some(push_id),
        revision: tip.revision.clone(),
        author,
        pushed_at,
        commits,
    }))
}

/// hg writes the push date as seconds (an integer; a float from some servers) or, on old
/// servers, as its `[seconds, timezone offset]` pair whose seconds are already UTC.
fn date_micros(date: &Value) -> Result<i64, Problem> {
    let seconds = match date {
        Value::Array(pair) if matches!(pair.len(), 1 | 2) => &pair[0],
        other => other,
    };
    match seconds {
        Value::Number(n) => json::seconds_to_micros(n)
            .ok_or_else(|| format!("{} is out of range", json::shown(date)).into()),
        _ => Err(format!(
            "must be seconds since the epoch or [seconds, offset], got {}",
            json::shown(date)
        )
        .into()),
    }
}

/// A changeset: a full object, or a bare node string when the page was not asked `full`.
fn changeset_record(changeset: &Value) -> Result<CommitRecord, Problem> {
    let object = match changeset {
        Value::String(_) => return json::revision(changeset).map(bare_commit),
        Value::Object(object) => object,
        other => {
            return Err(format!(
                "must be a node string or an object, got {}",
                json::shown(other)
            )
            .into());
        }
    };
    let within = |key: &'static str| {
        move |problem: Problem| Problem {
            suffix: format!(".{key}{}", problem.suffix),
            text: problem.text,
        }
    };
    let node = json::get(object, "node").ok_or_else(|| Problem {
        suffix: ".node".to_owned(),
        text: "missing".to_owned(),
    })?;
    let revision = json::revision(node).map_err(within("node"))?;
    let text = |key: &'static str| {
        json::optional_string(object, key)
            .map(|s| s.unwrap_or_default().to_owned())
            .map_err(within(key))
    };
    let list = |key: &'static str| match json::get(object, key) {
        None => Ok(Vec::new()),
        Some(v) => json::strings(v).map_err(within(key)),
    };
    Ok(CommitRecord {
        revision,
        author: text("author")?,
        message: text("desc")?,
        branch: json::optional_string(object, "branch")
            .map_err(within("branch"))?
            .map(str::to_owned),
        tags: list("tags")?,
        files: list("files")?,
        parents: parents(object).map_err(within("parents"))?,
    })
}

fn bare_commit(revision: Revision) -> CommitRecord {
    CommitRecord {
        revision,
        author: String::new(),
        message: String::new(),
        branch: None,
        tags: Vec::new(),
        files: Vec::new(),
        parents: Vec::new(),
    }
}

/// The parents, without hg's null revision (a root changeset's "parent").
fn parents(object: &Map<String, Value>) -> Result<Vec<Revision>, Problem> {
    let Some(parents) = json::get(object, "parents") else {
        return Ok(Vec::new());
    };
    let mut revisions = Vec::new();
    for (i, parent) in json::array(parents)?.iter().enumerate() {
        let revision = json::revision(parent).map_err(|problem| Problem {
            suffix: format!("[{i}]"),
            text: problem.text,
        })?;
        if revision.as_str() != NULL_REVISION {
            revisions.push(revision);
        }
    }
    Ok(revisions)
}
