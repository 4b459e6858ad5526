//! GitHub push events: the two real Taskcluster-GitHub messages, a deletion and creations
//! made from them, the timestamp fallbacks, URL normalisation and errors.

use serde_json::{Value, json};
use treeherd_pushlog::{
    GitHubPush, normalize_repository_url, parse_github_push, unwrap_taskcluster_message,
};

use crate::{fixture_json, rev};

const ZERO: &str = "0000000000000000000000000000000000000000";

/// The event bodies of `pulse/github_push.json` (an array of wrapped messages).
fn bodies() -> Option<Vec<Value>> {
    let Value::Array(messages) = fixture_json("treeherder/pulse/github_push.json")? else {
        panic!("github_push.json is not an array");
    };
    Some(
        messages
            .iter()
            .map(|m| unwrap_taskcluster_message(m).clone())
            .collect(),
    )
}

#[test]
fn every_fixture_message_parses() {
    let Some(bodies) = bodies() else { return };
    assert_eq!(bodies.len(), 2);
    let pushes: Vec<GitHubPush> = bodies
        .iter()
        .map(|b| parse_github_push(b).unwrap())
        .collect();
    let summary: Vec<_> = pushes
        .iter()
        .map(|p| {
            (
                p.full_name.as_str(),
                p.git_ref.as_str(),
                p.branch.as_deref(),
                p.commits.len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "mozilla-mobile/android-components",
                "refs/heads/master",
                Some("master"),
                2
            ),
            ("servo/servo", "refs/heads/try", Some("try"), 1),
        ]
    );
}

#[test]
fn android_components_bors_push() {
    let Some(bodies) = bodies() else { return };
    let push = parse_github_push(&bodies[0]).unwrap();
    let before = rev("7285afe57ae6207fdb5d6db45133dac2053b7820");
    let first = rev("8a4cb15deb60e490ec7dfae03ca350bde3688dcb");
    let after = rev("5fdb785b28b356f50fc1d9cb180d401bb03fc1f1");
    // All five URL forms name the same repository.
    assert_eq!(
        push.repository_urls,
        ["https://github.com/mozilla-mobile/android-components"]
    );
    assert_eq!(
        (push.before.as_ref(), push.after.as_ref()),
        (Some(&before), Some(&after))
    );
    assert_eq!(
        (push.created, push.deleted, push.forced),
        (false, false, false)
    );
    // bors has no email: its name stands in.
    assert_eq!(push.pusher, "bors[bot]");
    assert_eq!(push.pushed_at, 1_581_521_353_000_000);

    let files = [
        "components/service/experiments/src/main/java/mozilla/components/service/experiments/ExperimentsUpdater.kt",
        "components/service/experiments/src/main/java/mozilla/components/service/experiments/debug/ExperimentsDebugActivity.kt",
    ];
    let [c0, c1] = &push.commits[..] else {
        panic!("{:?}", push.commits)
    };
    assert_eq!(c0.revision, first);
    assert_eq!(
        c0.message,
        "Closes #4779 - Fix `ExperimentsDebugActivity` command to change server"
    );
    assert_eq!(c0.author, "User <user@mozilla.com>");
    assert_eq!(c0.files, files);
    assert_eq!(c0.parents, [before]);
    assert_eq!(c1.revision, after);
    assert_eq!(
        c1.message,
        "[ci skip][skip ci][skip netlify] -bors-staging-tmp-5835"
    );
    assert_eq!(
        c1.author,
        "bors[bot] <26634292+bors[bot]@users.noreply.github.com>"
    );
    assert_eq!(c1.files, files);
    assert_eq!(c1.parents, [first]);
    for commit in &push.commits {
        assert_eq!((commit.branch.as_ref(), commit.tags.len()), (None, 0));
    }

    let record = push.push_record().unwrap();
    assert_eq!(
        (
            record.push_id,
            &record.revision,
            record.author.as_str(),
            record.pushed_at
        ),
        (None, &after, "bors[bot]", 1_581_521_353_000_000)
    );
    assert_eq!(record.commits, push.commits);
}

#[test]
fn servo_forced_try_push_takes_the_head_commit() {
    let Some(bodies) = bodies() else { return };
    let push = parse_github_push(&bodies[1]).unwrap();
    let after = rev("ad9bfc2a62b70b9f3dbb1c3a5969f30bacce3d74");
    assert_eq!(push.repository_urls, ["https://github.com/servo/servo"]);
    assert_eq!(
        push.before,
        Some(rev("4c25e02f26f7536edbf23a360d56604fb9507378"))
    );
    assert_eq!(push.after, Some(after.clone()));
    assert_eq!(
        (push.created, push.deleted, push.forced),
        (false, false, true)
    );
    assert_eq!(push.pusher, "lbergstrom+bors@mozilla.com");
    // repository.pushed_at (17:01:18Z), not the commit's time (14:04:08Z).
    assert_eq!(push.pushed_at, 1_582_736_478_000_000);

    // `commits` is empty: the try branch was forced onto an existing merge commit.
    let [head] = &push.commits[..] else {
        panic!("{:?}", push.commits)
    };
    assert_eq!(head.revision, after);
    assert_eq!(head.author, "bors-servo <lbergstrom+bors@mozilla.com>");
    assert!(
        head.message.starts_with(
            "Auto merge of #25801 - pylbrecht:arc.refactor, r=jdm\n\nRefactor CanvasRenderingContext2D.arc() and .ellipse()\n"
        ),
        "{}",
        head.message
    );
    // 18 removed and 3 modified files, sorted together.
    assert_eq!(head.files.len(), 21);
    assert_eq!(
        head.files[..3],
        [
            "Cargo.lock",
            "components/canvas/Cargo.toml",
            "components/canvas/raqote_backend.rs"
        ]
    );
    assert!(head.files.is_sorted());
    // Forced: `before` is the discarded tip, not a parent.
    assert_eq!(head.parents, []);
}

#[test]
fn deletion_has_no_after_and_no_commits() {
    let Some(bodies) = bodies() else { return };
    let mut body = bodies[0].clone();
    body["after"] = json!(ZERO);
    body["deleted"] = json!(true);
    body["commits"] = json!([]);
    body["head_commit"] = Value::Null;
    let push = parse_github_push(&body).unwrap();
    assert_eq!(push.after, None);
    assert_eq!(
        push.before,
        Some(rev("7285afe57ae6207fdb5d6db45133dac2053b7820"))
    );
    assert!(push.deleted);
    assert_eq!(push.commits, []);
    assert_eq!(push.pushed_at, 1_581_521_353_000_000);
    assert_eq!(push.push_record(), None);
}

#[test]
fn creation_at_an_existing_commit_and_with_new_commits() {
    let Some(bodies) = bodies() else { return };
    let mut body = bodies[0].clone();
    body["ref"] = json!("refs/heads/feature/x");
    body["before"] = json!(ZERO);
    body["created"] = json!(true);
    let with_commits = parse_github_push(&body).unwrap();
    assert_eq!(
        (with_commits.before.as_ref(), with_commits.created),
        (None, true)
    );
    assert_eq!(with_commits.branch.as_deref(), Some("feature/x"));
    // A new branch's first commit has an unknown parent; the rest still chain.
    assert_eq!(with_commits.commits[0].parents, []);
    assert_eq!(
        with_commits.commits[1].parents,
        [with_commits.commits[0].revision.clone()]
    );

    body["commits"] = json!([]);
    let at_existing = parse_github_push(&body).unwrap();
    let [head] = &at_existing.commits[..] else {
        panic!("{:?}", at_existing.commits)
    };
    assert_eq!(
        head.revision,
        rev("5fdb785b28b356f50fc1d9cb180d401bb03fc1f1")
    );
    assert_eq!(head.parents, []);
}

#[test]
fn tags_have_no_branch() {
    let Some(bodies) = bodies() else { return };
    let mut body = bodies[0].clone();
    body["ref"] = json!("refs/tags/v1.0");
    let push = parse_github_push(&body).unwrap();
    assert_eq!(
        (push.git_ref.as_str(), push.branch),
        ("refs/tags/v1.0", None)
    );
}

#[test]
fn pushed_at_forms_and_fallback() {
    fn check(pushed_at: Option<Value>, head_timestamp: &str, expected: i64) {
        let mut body = minimal();
        body["head_commit"]["timestamp"] = json!(head_timestamp);
        match &pushed_at {
            Some(v) => body["repository"]["pushed_at"] = v.clone(),
            None => {
                body["repository"]
                    .as_object_mut()
                    .unwrap()
                    .remove("pushed_at");
            }
        }
        assert_eq!(
            parse_github_push(&body).unwrap().pushed_at,
            expected,
            "{pushed_at:?}"
        );
    }
    let head = "2020-02-06T13:22:20-06:00";
    check(Some(json!(1581521353)), head, 1_581_521_353_000_000);
    check(Some(json!("1581521353")), head, 1_581_521_353_000_000);
    check(
        Some(json!("2020-02-12T15:29:13Z")),
        head,
        1_581_521_353_000_000,
    );
    // No pushed_at: the head commit's time, offset applied (19:22:20Z).
    check(None, head, 1_581_016_940_000_000);
    check(
        Some(Value::Null),
        "2020-02-12T15:29:12.5Z",
        1_581_521_352_500_000,
    );
}

/// The smallest event the parser accepts, one commit.
fn minimal() -> Value {
    let head = json!({"id": "5fdb785b28b356f50fc1d9cb180d401bb03fc1f1", "message": "m",
                      "timestamp": "2020-02-12T15:29:12Z",
                      "author": {"name": "A", "email": "a@example.com"}});
    json!({
        "ref": "refs/heads/main",
        "before": "7285afe57ae6207fdb5d6db45133dac2053b7820",
        "after": "5fdb785b28b356f50fc1d9cb180d401bb03fc1f1",
        "commits": [head],
        "head_commit": head,
        "pusher": {"name": "a", "email": "a@example.com"},
        "repository": {"full_name": "o/r", "html_url": "https://github.com/O/R", "pushed_at": 1},
    })
}

#[test]
fn commit_authors() {
    fn check(author: Value, expected: &str) {
        let mut body = minimal();
        body["commits"][0]["author"] = author.clone();
        assert_eq!(
            parse_github_push(&body).unwrap().commits[0].author,
            expected,
            "{author}"
        );
    }
    check(
        json!({"name": "Ann", "email": "ann@x.org", "username": "ann"}),
        "Ann <ann@x.org>",
    );
    check(
        json!({"email": "ann@x.org", "username": "ann"}),
        "ann <ann@x.org>",
    );
    check(json!({"name": "", "email": "ann@x.org"}), "<ann@x.org>");
    check(json!({"name": "Ann", "email": null}), "Ann");
    check(json!({}), "");
}

#[test]
fn errors_name_the_field() {
    fn check(edit: impl FnOnce(&mut Value), expected: &str) {
        let mut body = minimal();
        edit(&mut body);
        assert_eq!(parse_github_push(&body).unwrap_err().to_string(), expected);
    }
    check(
        |b| drop(b.as_object_mut().unwrap().remove("ref")),
        "ref: missing",
    );
    check(|b| b["ref"] = json!(3), "ref: must be a string, got 3");
    check(
        |b| b["after"] = json!("abc"),
        r#"after: "abc" is not a revision"#,
    );
    check(|b| b["before"] = Value::Null, "before: missing");
    check(
        |b| b["forced"] = json!("yes"),
        r#"forced: must be a boolean, got "yes""#,
    );
    check(
        |b| b["commits"][0]["id"] = json!(null),
        "commits[0].id: missing",
    );
    check(
        |b| b["commits"][0]["author"] = json!("Ann"),
        r#"commits[0].author: must be an object, got "Ann""#,
    );
    check(
        |b| b["commits"][0]["modified"] = json!(["a", 1]),
        "commits[0].modified[1]: must be a string, got 1",
    );
    check(
        |b| b["commits"] = json!({}),
        "commits: must be an array, got {}",
    );
    check(
        |b| {
            b["commits"] = json!([]);
            b["head_commit"]["id"] = json!("x");
        },
        r#"head_commit.id: "x" is not a revision"#,
    );
    check(
        |b| b["pusher"] = json!({"name": ""}),
        "pusher: has neither email nor name",
    );
    check(
        |b| drop(b.as_object_mut().unwrap().remove("repository")),
        "repository: missing",
    );
    check(
        |b| b["repository"]["full_name"] = json!(1),
        "repository.full_name: must be a string, got 1",
    );
    check(
        |b| b["repository"]["ssh_url"] = json!(1),
        "repository.ssh_url: must be a string, got 1",
    );
    check(
        |b| b["repository"]["pushed_at"] = json!("soon"),
        r#"repository.pushed_at: "soon" is not an RFC 3339 date-time"#,
    );
    check(
        |b| {
            b["repository"].as_object_mut().unwrap().remove("pushed_at");
            b["head_commit"] = Value::Null;
        },
        "repository.pushed_at: missing, and no head_commit.timestamp either",
    );
    check(|b| *b = json!([]), "$: must be an object, got []");
}

#[test]
fn repository_urls_are_normalised() {
    fn check(url: &str, expected: &str) {
        assert_eq!(normalize_repository_url(url), expected, "{url}");
    }
    check(
        "https://github.com/Mozilla/Foo.git/",
        "https://github.com/mozilla/foo",
    );
    check(
        "https://github.com/mozilla/foo",
        "https://github.com/mozilla/foo",
    );
    check(
        "https://GitHub.com/mozilla/foo/",
        "https://github.com/mozilla/foo",
    );
    check(
        "git@github.com:owner/repo.git",
        "https://github.com/owner/repo",
    );
    check(
        "git://github.com/owner/repo.git",
        "https://github.com/owner/repo",
    );
    check(
        "ssh://git@github.com/owner/repo.git",
        "https://github.com/owner/repo",
    );
    check(
        "  https://hg.mozilla.org/mozilla-central/  ",
        "https://hg.mozilla.org/mozilla-central",
    );
    check(
        "https://github.com/owner/repo.git.git//",
        "https://github.com/owner/repo",
    );
    check(
        "https://github.com/owner/dotgit-repo.github.io",
        "https://github.com/owner/dotgit-repo.github.io",
    );
    check("", "");
}

#[test]
fn unwrapping_leaves_a_bare_body_alone() {
    let body = minimal();
    assert_eq!(unwrap_taskcluster_message(&body), &body);
    let wrapped = json!({"payload": {"body": body.clone(), "tasks_for": "github-push"}});
    assert_eq!(unwrap_taskcluster_message(&wrapped), &body);
    let no_body = json!({"payload": {"tasks_for": "github-push"}});
    assert_eq!(unwrap_taskcluster_message(&no_body), &no_body);
}
