//! First-parent pushes of small repositories built with the git CLI in a temporary folder,
//! with fixed names and dates, so every push is known exactly.

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;
use treeherd_model::Revision;
use treeherd_pushlog::{CommitRecord, PushRecord, PushlogError, first_parent_pushes};

use crate::rev;

/// 2021-01-01T00:00:00Z; commit `n` is made `n` minutes later.
const T0: i64 = 1_609_459_200;

/// A repository being built: each commit gets the next minute.
struct Repo {
    dir: TempDir,
    minute: i64,
}

impl Repo {
    fn new() -> Repo {
        let repo = Repo {
            dir: TempDir::new().unwrap(),
            minute: 0,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git with a fixed identity and date and no user or system configuration.
    fn git(&self, args: &[&str]) -> String {
        let date = format!("@{} +0000", T0 + 60 * self.minute);
        let output = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ada Author")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_NAME", "Lee Lander")
            .env("GIT_COMMITTER_EMAIL", "lee@example.com")
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// A commit with `message` on the current branch; its revision.
    fn commit(&mut self, message: &str) -> Revision {
        self.minute += 1;
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    /// Merges `branch` into the current branch with a merge commit; its revision.
    fn merge(&mut self, branch: &str) -> Revision {
        self.minute += 1;
        self.git(&[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            &format!("Merge branch '{branch}'"),
            branch,
        ]);
        self.head()
    }

    fn head(&self) -> Revision {
        rev(self.git(&["rev-parse", "HEAD"]).trim())
    }
}

fn commit(revision: &Revision, message: &str, parents: &[&Revision]) -> CommitRecord {
    CommitRecord {
        revision: revision.clone(),
        author: "Ada Author <ada@example.com>".to_owned(),
        message: message.to_owned(),
        branch: None,
        tags: vec![],
        files: vec![],
        parents: parents.iter().map(|p| (*p).clone()).collect(),
    }
}

fn push(push_id: i64, minute: i64, commits: Vec<CommitRecord>) -> PushRecord {
    PushRecord {
        push_id: Some(push_id),
        revision: commits.last().unwrap().revision.clone(),
        author: "lee@example.com".to_owned(),
        pushed_at: (T0 + 60 * minute) * 1_000_000,
        commits,
    }
}

#[test]
fn linear_commits_and_a_merged_feature_branch() {
    let mut repo = Repo::new();
    let odd = "Bug 1 - feature two: é ✓ \"quotes\" {braces}\ttab\n\n  indented body\n\nr=someone\n";
    let c1 = repo.commit("init");
    let c2 = repo.commit("second\n\nwith a body\n\n\n");
    repo.git(&["switch", "-q", "-c", "feature"]);
    let f1 = repo.commit("feature one");
    let f2 = repo.commit(odd);
    repo.git(&["switch", "-q", "main"]);
    let c3 = repo.commit("main three");
    let m = repo.merge("feature");
    let c4 = repo.commit("after merge");
    repo.git(&["tag", "v1"]);
    repo.git(&["tag", "-a", "v1-annotated", "-m", "release"]);

    let pushes = first_parent_pushes(repo.path(), "main").unwrap();
    assert_eq!(pushes.len(), 5);
    let mut after = commit(&c4, "after merge", &[&m]);
    after.tags = vec!["v1-annotated".to_owned(), "v1".to_owned()];
    after.tags.sort();
    let mut pushes: Vec<PushRecord> = pushes.collect();
    pushes[4].commits[0].tags.sort();
    assert_eq!(
        pushes,
        [
            push(1, 1, vec![commit(&c1, "init", &[])]),
            // git strips the message's trailing blank lines; the body stays.
            push(2, 2, vec![commit(&c2, "second\n\nwith a body", &[&c1])]),
            push(3, 5, vec![commit(&c3, "main three", &[&c2])]),
            // The merge brings the feature's commits, oldest first, itself last.
            push(
                4,
                6,
                vec![
                    commit(&f1, "feature one", &[&c2]),
                    commit(&f2, odd.trim_end_matches('\n'), &[&f1]),
                    commit(&m, "Merge branch 'feature'", &[&c3, &f2]),
                ]
            ),
            push(5, 7, vec![after]),
        ]
    );
}

#[test]
fn a_feature_that_merged_main_brings_only_its_own_commits() {
    let mut repo = Repo::new();
    let a1 = repo.commit("a1");
    repo.git(&["switch", "-q", "-c", "feature"]);
    let f1 = repo.commit("f1");
    repo.git(&["switch", "-q", "main"]);
    let a2 = repo.commit("a2");
    repo.git(&["switch", "-q", "feature"]);
    let fm = repo.merge("main");
    let f2 = repo.commit("f2");
    repo.git(&["switch", "-q", "main"]);
    let a3 = repo.commit("a3");
    let m = repo.merge("feature");

    let pushes: Vec<PushRecord> = first_parent_pushes(repo.path(), "main").unwrap().collect();
    let shape: Vec<(i64, Vec<Revision>)> = pushes
        .iter()
        .map(|p| {
            (
                p.push_id.unwrap(),
                p.commits.iter().map(|c| c.revision.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (1, vec![a1.clone()]),
            (2, vec![a2.clone()]),
            (3, vec![a3.clone()]),
            // Not a1 or a2: main had them. Parents before children: f1, then fm, f2, m.
            (4, vec![f1.clone(), fm.clone(), f2.clone(), m.clone()]),
        ]
    );
    assert_eq!(pushes[3].commits[1].parents, [f1.clone(), a2.clone()]);
    assert_eq!(pushes[3].commits[3].parents, [a3, f2.clone()]);

    // The feature branch's own first-parent chain: a1, f1, fm, f2; fm brings a2.
    let feature: Vec<Vec<Revision>> = first_parent_pushes(repo.path(), "feature")
        .unwrap()
        .map(|p| p.commits.into_iter().map(|c| c.revision).collect())
        .collect();
    assert_eq!(feature, [vec![a1], vec![f1], vec![a2, fm], vec![f2]]);
}

#[test]
fn len_is_known_before_iterating() {
    let mut repo = Repo::new();
    for i in 0..4 {
        repo.commit(&format!("commit {i}"));
    }
    let mut pushes = first_parent_pushes(repo.path(), "main").unwrap();
    assert_eq!(pushes.len(), 4);
    let batch: Vec<_> = pushes.by_ref().take(3).collect();
    assert_eq!(batch.len(), 3);
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes.next().unwrap().push_id, Some(4));
    assert_eq!(pushes.next(), None);
}

#[test]
fn any_revision_names_the_branch() {
    let mut repo = Repo::new();
    repo.commit("one");
    let two = repo.commit("two");
    repo.commit("three");
    let pushes: Vec<_> = first_parent_pushes(repo.path(), two.as_str())
        .unwrap()
        .collect();
    assert_eq!(pushes.len(), 2);
    assert_eq!(pushes[1].revision, two);
    assert_eq!(first_parent_pushes(repo.path(), "HEAD~1").unwrap().len(), 2);
}

fn git_error(result: Result<impl Sized, PushlogError>) -> (String, String) {
    match result {
        Err(PushlogError::Git { command, message }) => (command, message),
        Err(other) => panic!("not a git failure: {other}"),
        Ok(_) => panic!("no error"),
    }
}

#[test]
fn a_missing_branch_is_an_error_with_gits_words() {
    let mut repo = Repo::new();
    repo.commit("one");
    let (command, message) = git_error(first_parent_pushes(repo.path(), "nope"));
    assert_eq!(command, "rev-list --first-parent");
    assert!(message.contains("nope"), "{message}");
    // An option-looking name is a name, not an option.
    let (_, message) = git_error(first_parent_pushes(repo.path(), "--all"));
    assert!(message.contains("--all"), "{message}");
}

#[test]
fn a_folder_that_is_not_a_repository_is_an_error() {
    let dir = TempDir::new().unwrap();
    let (_, message) = git_error(first_parent_pushes(dir.path(), "main"));
    assert!(message.contains("not a git repository"), "{message}");
    let missing = dir.path().join("absent");
    let (_, message) = git_error(first_parent_pushes(&missing, "main"));
    assert!(message.contains("absent"), "{message}");
}

#[test]
fn an_empty_repository_has_no_branch() {
    let repo = Repo::new();
    let (_, message) = git_error(first_parent_pushes(repo.path(), "main"));
    assert!(message.contains("main"), "{message}");
}
