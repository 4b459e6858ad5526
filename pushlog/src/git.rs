//! A local git repository's history as pushes, for backfilling a repository that has no
//! pushlog: each commit on the branch's first-parent chain is one push, holding the commits
//! it brought in (itself, and for a merge everything merged that the mainline did not have).
//!
//! The one place in the crate that does IO: it runs the `git` CLI, twice per call. `git log`
//! streams every commit's fields separated by NUL bytes, which a commit message cannot hold
//! (git refuses them), and `git rev-list --first-parent` gives the chain. The pushes are then
//! computed in memory in time linear in the number of commits and parents.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use treeherd_model::Revision;

use crate::{CommitRecord, PushRecord, PushlogError};

/// `git log`'s fields per commit, each followed by NUL (the last by `-z`'s record NUL):
/// hash, parents, author name and email, committer time and email, tag decorations, message.
const LOG_FORMAT: &str = "--format=%H%x00%P%x00%an%x00%ae%x00%ct%x00%ce%x00%D%x00%B";
const LOG_FIELDS: usize = 8;

/// The pushes of a branch, oldest first, counted before the first is taken: an
/// [`ExactSizeIterator`], so `len()` sizes a progress bar and `by_ref().take(n)` makes batches.
#[derive(Debug)]
pub struct FirstParentPushes {
    pushes: std::vec::IntoIter<PushRecord>,
}

impl Iterator for FirstParentPushes {
    type Item = PushRecord;

    fn next(&mut self) -> Option<PushRecord> {
        self.pushes.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pushes.size_hint()
    }
}

impl ExactSizeIterator for FirstParentPushes {}

/// The pushes of `branch` (any revision git understands: `main`, `origin/main`, a tag) in
/// the repository at `repo`.
///
/// Push `n` is the `n`th commit of the first-parent chain, oldest = 1; its author is that
/// commit's committer email and its time the commit time (the closest git has to "when it
/// was pushed"). Its commits are those reachable from it and not from its first parent,
/// parents before children, itself last. Commits have no `branch` (git commits belong to
/// none) and no `files` (that would mean a diff per commit); `tags` are the tags pointing
/// at them; messages lose their trailing newlines.
pub fn first_parent_pushes(repo: &Path, branch: &str) -> Result<FirstParentPushes, PushlogError> {
    let chain = first_parent_chain(repo, branch)?;
    let commits = log(repo, branch)?;
    Ok(FirstParentPushes {
        pushes: assign(commits, &chain)?.into_iter(),
    })
}

/// One commit as `git log` printed it.
struct LoggedCommit {
    record: CommitRecord,
    committer_email: String,
    committed_at: i64,
}

fn git(repo: &Path) -> Command {
    let mut command = Command::new("git");
    // A caller running inside a git hook has these set, and they would win over `-C`.
    for variable in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_COMMON_DIR",
        "GIT_INDEX_FILE",
    ] {
        command.env_remove(variable);
    }
    command
        .arg("-C")
        .arg(repo)
        // A user's `log.showSignature` would print gpg output into the stream.
        .args(["-c", "log.showSignature=false"]);
    command
}

fn failure(command: &str, message: impl Into<String>) -> PushlogError {
    PushlogError::Git {
        command: command.to_owned(),
        message: message.into(),
    }
}

fn stderr_text(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).trim().to_owned();
    if text.is_empty() {
        "failed without a message".to_owned()
    } else {
        text
    }
}

/// The first-parent chain of `branch`, oldest first.
fn first_parent_chain(repo: &Path, branch: &str) -> Result<Vec<Revision>, PushlogError> {
    const COMMAND: &str = "rev-list --first-parent";
    let output = git(repo)
        .args([
            "rev-list",
            "--first-parent",
            "--reverse",
            "--end-of-options",
        ])
        .arg(branch)
        .arg("--")
        .output()
        .map_err(PushlogError::GitSpawn)?;
    if !output.status.success() {
        return Err(failure(COMMAND, stderr_text(&output.stderr)));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            line.parse()
                .map_err(|_| failure(COMMAND, format!("printed {line:?}, not a revision")))
        })
        .collect()
}

/// Every commit reachable from `branch`, read from one streamed `git log`.
fn log(repo: &Path, branch: &str) -> Result<Vec<LoggedCommit>, PushlogError> {
    const COMMAND: &str = "log";
    let mut child = git(repo)
        .args([
            "log",
            "-z",
            "--decorate-refs=refs/tags/",
            LOG_FORMAT,
            "--end-of-options",
        ])
        .arg(branch)
        .arg("--")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(PushlogError::GitSpawn)?;
    // Drain stderr beside stdout, so a chatty git cannot block on a full pipe.
    let stderr = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            text
        })
    });
    // `read_log` drops the pipe when it returns, so git cannot block on it if parsing stops.
    let parsed = match child.stdout.take() {
        Some(stdout) => read_log(BufReader::new(stdout)),
        None => Err("no output stream".to_owned()),
    };
    let status = child.wait().map_err(PushlogError::GitSpawn)?;
    let stderr = stderr
        .and_then(|thread| thread.join().ok())
        .unwrap_or_default();
    match parsed {
        Ok(commits) if status.success() => Ok(commits),
        // A parse failure closes the pipe and kills git with it: what git said (nothing)
        // matters less than what it printed.
        Err(problem) if status.success() || stderr.trim_ascii().is_empty() => {
            Err(failure(COMMAND, problem))
        }
        _ => Err(failure(COMMAND, stderr_text(&stderr))),
    }
}

/// Parses `git log -z` output in [`LOG_FORMAT`], one NUL-terminated field at a time.
fn read_log(mut stream: impl BufRead) -> Result<Vec<LoggedCommit>, String> {
    let mut commits = Vec::new();
    let mut fields: Vec<String> = Vec::with_capacity(LOG_FIELDS);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = stream
            .read_until(0, &mut buffer)
            .map_err(|e| format!("reading its output: {e}"))?;
        if read == 0 {
            break;
        }
        if buffer.last() != Some(&0) {
            return Err("output ended in the middle of a commit".to_owned());
        }
        buffer.pop();
        fields.push(String::from_utf8_lossy(&buffer).into_owned());
        if fields.len() == LOG_FIELDS {
            commits.push(logged_commit(&mut fields)?);
        }
    }
    if fields.is_empty() {
        Ok(commits)
    } else {
        Err("output ended in the middle of a commit".to_owned())
    }
}

/// One commit from its [`LOG_FIELDS`] fields (taken out of `fields`, which is left empty).
fn logged_commit(fields: &mut Vec<String>) -> Result<LoggedCommit, String> {
    let [
        hash,
        parents,
        name,
        email,
        time,
        committer,
        decorations,
        mut message,
    ]: [String; LOG_FIELDS] = std::mem::take(fields)
        .try_into()
        .map_err(|fields: Vec<String>| format!("printed {} fields for a commit", fields.len()))?;
    let revision = |text: &str| {
        text.parse::<Revision>()
            .map_err(|_| format!("printed {text:?} where a commit hash belongs"))
    };
    let committed_at = time
        .parse::<i64>()
        .ok()
        .and_then(|seconds| seconds.checked_mul(1_000_000))
        .ok_or_else(|| format!("printed {time:?} where a commit time belongs"))?;
    let tags = decorations
        .split(", ")
        .filter_map(|name| name.strip_prefix("tag: "))
        .map(str::to_owned)
        .collect();
    message.truncate(message.trim_end_matches('\n').len());
    Ok(LoggedCommit {
        record: CommitRecord {
            revision: revision(&hash)?,
            author: format!("{name} <{email}>"),
            message,
            branch: None,
            tags,
            files: Vec::new(),
            parents: parents
                .split_ascii_whitespace()
                .map(revision)
                .collect::<Result<_, _>>()?,
        },
        committer_email: committer,
        committed_at,
    })
}

/// Groups the commits into one push per chain commit.
///
/// Walking the chain oldest first, a depth-first search from each chain commit over parents
/// claims every commit not claimed by an earlier push, and emits it after its parents (post
/// order), so a push's commits come out parents first and the chain commit last. Everything
/// reachable from the previous chain commit is already claimed, so each push holds exactly
/// what its first parent lacked; each commit and parent link is visited once.
fn assign(commits: Vec<LoggedCommit>, chain: &[Revision]) -> Result<Vec<PushRecord>, PushlogError> {
    let index: HashMap<&Revision, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.record.revision, i))
        .collect();
    // Parents by index; a parent outside the log (a shallow clone's boundary) is left out.
    let parents: Vec<Vec<usize>> = commits
        .iter()
        .map(|c| {
            c.record
                .parents
                .iter()
                .filter_map(|p| index.get(p).copied())
                .collect()
        })
        .collect();
    let chain: Vec<usize> = chain
        .iter()
        .map(|revision| {
            index.get(revision).copied().ok_or_else(|| {
                failure(
                    "log",
                    format!("did not list {revision} of the first-parent chain"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    drop(index);

    let mut claimed = vec![false; commits.len()];
    let mut groups: Vec<Vec<usize>> = Vec::with_capacity(chain.len());
    // (commit, how many of its parents have been looked at)
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for &tip in &chain {
        let mut group = Vec::new();
        claimed[tip] = true;
        stack.push((tip, 0));
        while let Some((commit, seen)) = stack.last_mut() {
            let commit = *commit;
            match parents[commit].get(*seen) {
                Some(&parent) => {
                    *seen += 1;
                    if !claimed[parent] {
                        claimed[parent] = true;
                        stack.push((parent, 0));
                    }
                }
                None => {
                    stack.pop();
                    group.push(commit);
                }
            }
        }
        groups.push(group);
    }

    let mut commits: Vec<Option<LoggedCommit>> = commits.into_iter().map(Some).collect();
    let mut pushes = Vec::with_capacity(groups.len());
    for (position, (group, &tip)) in groups.iter().zip(&chain).enumerate() {
        // Only a chain listing one commit twice could leave a chain commit already taken.
        let Some(tip_commit) = &commits[tip] else {
            return Err(failure("rev-list", "listed a commit twice"));
        };
        let (author, pushed_at) = (tip_commit.committer_email.clone(), tip_commit.committed_at);
        let records: Vec<CommitRecord> = group
            .iter()
            .filter_map(|&i| commits[i].take().map(|c| c.record))
            .collect();
        let Some(last) = records.last() else {
            return Err(failure("rev-list", "listed a commit twice"));
        };
        pushes.push(PushRecord {
            push_id: Some(i64::try_from(position + 1).unwrap_or(i64::MAX)),
            revision: last.revision.clone(),
            author,
            pushed_at,
            commits: records,
        });
    }
    Ok(pushes)
}
