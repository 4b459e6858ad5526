//! GitHub `push` webhook bodies read into a [`GitHubPush`], the URL normalisation used to
//! match them to a repository, and the unwrapping of Taskcluster-GitHub pulse messages.
//!
//! A webhook says what moved (`ref`, `before` → `after`, created/deleted/forced) and lists the
//! commits it brought, but not their parents: see [`parse_github_push`] for what is inferred.

use serde_json::{Map, Value};
use treeherd_model::Revision;

use crate::json::{self, Problem};
use crate::{CommitRecord, PushRecord, PushlogError};

/// One GitHub push event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubPush {
    /// Every URL the event gives for the repository (`html_url`, `clone_url`, `url`,
    /// `git_url`, `ssh_url`), normalised by [`normalize_repository_url`], without repeats.
    pub repository_urls: Vec<String>,
    /// `owner/name` as GitHub spells it.
    pub full_name: String,
    /// The ref that moved: `refs/heads/main`, `refs/tags/v1.0`…
    pub git_ref: String,
    /// The branch name for a `refs/heads/…` ref.
    pub branch: Option<String>,
    /// The ref's revision before the push; `None` when it was created.
    pub before: Option<Revision>,
    /// The ref's revision after the push; `None` when it was deleted.
    pub after: Option<Revision>,
    pub created: bool,
    pub deleted: bool,
    pub forced: bool,
    /// The pusher's email, else their name (bots often have no email).
    pub pusher: String,
    /// Unix microseconds: `repository.pushed_at`, else the head commit's timestamp.
    pub pushed_at: i64,
    /// The commits pushed, oldest first; the head commit alone when the ref moved to a
    /// commit that was already there (a branch created at it, a forced rewind). Empty for a
    /// deletion.
    pub commits: Vec<CommitRecord>,
}

impl GitHubPush {
    /// The push as a [`PushRecord`] without a push id (GitHub has none; the store numbers
    /// it), or `None` when it brought no commit (a deletion): there is no tip.
    pub fn push_record(&self) -> Option<PushRecord> {
        let tip = self.commits.last()?;
        Some(PushRecord {
            push_id: None,
            revision: tip.revision.clone(),
            author: self.pusher.clone(),
            pushed_at: self.pushed_at,
            commits: self.commits.clone(),
        })
    }
}

/// The event body inside a Taskcluster-GitHub pulse message (`payload.body`), or `message`
/// itself when it is not wrapped.
pub fn unwrap_taskcluster_message(message: &Value) -> &Value {
    message
        .get("payload")
        .and_then(|payload| payload.get("body"))
        .unwrap_or(message)
}

/// Reads a `push` webhook body.
///
/// Webhooks do not give parents. Commits are taken to chain: each commit's parent is the one
/// listed before it, and the first one's is `before`, unless the push was forced (then
/// `before` is the tip that was thrown away, not an ancestor) or the branch is new. This is
/// exact for the usual linear push; a pushed merge's other parents are missing, and a push
/// of more commits than GitHub lists (2,048) gets a wrong first parent. Use `parents` as a
/// hint, not as history.
///
/// `files` is the sorted union of each commit's `added`, `removed` and `modified` (hg's
/// `files` is one sorted list too); `distinct` is ignored: a commit already on another
/// branch is still part of this push.
pub fn parse_github_push(body: &Value) -> Result<GitHubPush, PushlogError> {
    let event = json::object(body).map_err(at("$"))?;
    let git_ref = json::string(required(event, "ref")?)
        .map_err(at("ref"))?
        .to_owned();
    let before = json::revision(required(event, "before")?).map_err(at("before"))?;
    let after = json::revision(required(event, "after")?).map_err(at("after"))?;
    let created = json::boolean(event, "created").map_err(at("created"))?;
    let deleted = json::boolean(event, "deleted").map_err(at("deleted"))?;
    let forced = json::boolean(event, "forced").map_err(at("forced"))?;
    let repository = json::object(required(event, "repository")?).map_err(at("repository"))?;
    let full_name = json::get(repository, "full_name")
        .ok_or_else(|| PushlogError::field("repository.full_name", "missing"))
        .and_then(|v| json::string(v).map_err(at("repository.full_name")))?
        .to_owned();
    let before = zero_is_none(before);
    // `before` is an ancestor only when the ref existed and was not rewritten.
    let first_parent = before.clone().filter(|_| !forced);

    Ok(GitHubPush {
        repository_urls: repository_urls(repository)?,
        full_name,
        branch: git_ref.strip_prefix("refs/heads/").map(str::to_owned),
        git_ref,
        before,
        after: zero_is_none(after),
        created,
        deleted,
        forced,
        pusher: pusher(event)?,
        pushed_at: pushed_at(repository, json::get(event, "head_commit"))?,
        commits: commits(event, first_parent)?,
    })
}

/// A closure turning a [`Problem`] below `field` into the crate's error.
fn at(field: &str) -> impl FnOnce(Problem) -> PushlogError {
    move |problem| PushlogError::field(problem.path(field), problem.text)
}

fn required<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a Value, PushlogError> {
    json::get(object, key).ok_or_else(|| PushlogError::field(key, "missing"))
}

fn repository_urls(repository: &Map<String, Value>) -> Result<Vec<String>, PushlogError> {
    let mut urls = Vec::new();
    for key in ["html_url", "clone_url", "url", "git_url", "ssh_url"] {
        let field = format!("repository.{key}");
        if let Some(url) = json::optional_string(repository, key).map_err(at(&field))? {
            let url = normalize_repository_url(url);
            if !url.is_empty() && !urls.contains(&url) {
                urls.push(url);
            }
        }
    }
    Ok(urls)
}

/// The pusher's email, else their name.
fn pusher(event: &Map<String, Value>) -> Result<String, PushlogError> {
    let pusher = json::object(required(event, "pusher")?).map_err(at("pusher"))?;
    let email = json::optional_string(pusher, "email").map_err(at("pusher.email"))?;
    let name = json::optional_string(pusher, "name").map_err(at("pusher.name"))?;
    [email, name]
        .into_iter()
        .flatten()
        .find(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| PushlogError::field("pusher", "has neither email nor name"))
}

/// `commits`, chained from `first_parent`; else the head commit alone, parents unknown.
fn commits(
    event: &Map<String, Value>,
    first_parent: Option<Revision>,
) -> Result<Vec<CommitRecord>, PushlogError> {
    let listed = match json::get(event, "commits") {
        None => &[][..],
        Some(v) => json::array(v).map_err(at("commits"))?,
    };
    if listed.is_empty() {
        return match json::get(event, "head_commit") {
            Some(head) => Ok(vec![commit_record(head).map_err(at("head_commit"))?]),
            None => Ok(Vec::new()),
        };
    }
    let mut commits = Vec::with_capacity(listed.len());
    let mut parent = first_parent;
    for (i, commit) in listed.iter().enumerate() {
        let mut record = commit_record(commit).map_err(at(&format!("commits[{i}]")))?;
        record
            .parents
            .extend(parent.replace(record.revision.clone()));
        commits.push(record);
    }
    Ok(commits)
}

/// `repository.pushed_at`, else the head commit's timestamp.
fn pushed_at(repository: &Map<String, Value>, head: Option<&Value>) -> Result<i64, PushlogError> {
    if let Some(value) = json::get(repository, "pushed_at") {
        return pushed_at_micros(value).map_err(at("repository.pushed_at"));
    }
    let timestamp = head
        .and_then(Value::as_object)
        .and_then(|h| json::get(h, "timestamp"))
        .ok_or_else(|| {
            PushlogError::field(
                "repository.pushed_at",
                "missing, and no head_commit.timestamp either",
            )
        })?;
    rfc3339_micros(timestamp).map_err(at("head_commit.timestamp"))
}

/// A repository URL in the one form treeherd compares: lower case (GitHub's owner and
/// repository names are case-insensitive), `https://` for the `git@host:path`, `git://` and
/// `ssh://` forms, and no trailing `/` or `.git`.
///
/// `https://github.com/Mozilla/Foo.git/` and `git@github.com:mozilla/foo.git` both become
/// `https://github.com/mozilla/foo`.
pub fn normalize_repository_url(url: &str) -> String {
    let url = url.trim().to_lowercase();
    let url = if let Some(rest) = url
        .strip_prefix("git://")
        .or_else(|| url.strip_prefix("ssh://"))
    {
        // `ssh://git@host/path`: drop the user.
        let rest = rest.split_once('@').map_or(
            rest,
            |(user, host)| {
                if user.contains('/') { rest } else { host }
            },
        );
        format!("https://{rest}")
    } else if let Some((user_host, path)) = scp_like(&url) {
        let host = user_host
            .rsplit_once('@')
            .map_or(user_host, |(_, host)| host);
        format!("https://{host}/{path}")
    } else {
        url
    };
    let mut url = url.as_str();
    loop {
        let trimmed = url.trim_end_matches('/');
        let trimmed = trimmed.strip_suffix(".git").unwrap_or(trimmed);
        if trimmed == url {
            break;
        }
        url = trimmed;
    }
    url.to_owned()
}

/// `user@host:path` (scp-like syntax, no scheme) split into `user@host` and `path`.
fn scp_like(url: &str) -> Option<(&str, &str)> {
    if url.contains("://") {
        return None;
    }
    let (user_host, path) = url.split_once(':')?;
    (user_host.contains('@') && !user_host.contains('/'))
        .then(|| (user_host, path.trim_start_matches('/')))
}

fn zero_is_none(revision: Revision) -> Option<Revision> {
    revision
        .as_str()
        .bytes()
        .any(|b| b != b'0')
        .then_some(revision)
}

fn commit_record(commit: &Value) -> Result<CommitRecord, Problem> {
    let object = json::object(commit)?;
    let within = |key: &'static str| {
        move |problem: Problem| Problem {
            suffix: format!(".{key}{}", problem.suffix),
            text: problem.text,
        }
    };
    let id = json::get(object, "id").ok_or_else(|| Problem {
        suffix: ".id".to_owned(),
        text: "missing".to_owned(),
    })?;
    let revision = json::revision(id).map_err(within("id"))?;
    let message = json::optional_string(object, "message")
        .map_err(within("message"))?
        .unwrap_or_default()
        .to_owned();
    let author = match json::get(object, "author") {
        None => String::new(),
        Some(author) => {
            person(json::object(author).map_err(within("author"))?).map_err(within("author"))?
        }
    };
    let mut files = Vec::new();
    for key in ["added", "removed", "modified"] {
        if let Some(list) = json::get(object, key) {
            files.extend(json::strings(list).map_err(|problem| Problem {
                suffix: format!(".{key}{}", problem.suffix),
                text: problem.text,
            })?);
        }
    }
    files.sort_unstable();
    files.dedup();
    Ok(CommitRecord {
        revision,
        author,
        message,
        branch: None,
        tags: Vec::new(),
        files,
        parents: Vec::new(),
    })
}

/// `Name <email>`; the username stands in for a missing name.
fn person(author: &Map<String, Value>) -> Result<String, Problem> {
    let name = json::optional_string(author, "name")?
        .filter(|s| !s.is_empty())
        .or(json::optional_string(author, "username")?)
        .unwrap_or_default();
    let email = json::optional_string(author, "email")?.unwrap_or_default();
    Ok(match (name.is_empty(), email.is_empty()) {
        (_, true) => name.to_owned(),
        (true, false) => format!("<{email}>"),
        (false, false) => format!("{name} <{email}>"),
    })
}

/// `pushed_at` is epoch seconds in push events, an RFC 3339 string in some others; accept a
/// number, a numeric string, or RFC 3339.
fn pushed_at_micros(value: &Value) -> Result<i64, Problem> {
    let out_of_range = || Problem::from(format!("{} is out of range", json::shown(value)));
    match value {
        Value::Number(n) => json::seconds_to_micros(n).ok_or_else(out_of_range),
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(seconds) => seconds.checked_mul(1_000_000).ok_or_else(out_of_range),
            Err(_) => rfc3339_micros(value),
        },
        other => Err(format!(
            "must be epoch seconds or an RFC 3339 date-time, got {}",
            json::shown(other)
        )
        .into()),
    }
}

fn rfc3339_micros(value: &Value) -> Result<i64, Problem> {
    let text = json::string(value)?;
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_micros())
        .map_err(|_| format!("{} is not an RFC 3339 date-time", json::shown(value)).into())
}
