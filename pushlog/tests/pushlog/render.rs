//! Writing `json-pushes`: exact text for a tiny case, the real pages round-tripped, and the
//! one page that carries every field reproduced byte for byte as JSON.

use serde_json::Value;
use treeherd_pushlog::{
    CommitRecord, JsonPushes, PushRecord, RenderOptions, parse_json_pushes, render_json_pushes,
};

use crate::{fixture_bytes, rev};

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn tiny() -> Vec<PushRecord> {
    let commit = |node: &str, parents: &[&str], branch: Option<&str>| CommitRecord {
        revision: rev(node),
        author: "Ann <ann@example.com>".to_owned(),
        message: "Bug 1 - \"quoted\"\nsecond line".to_owned(),
        branch: branch.map(str::to_owned),
        tags: vec![],
        files: vec!["a.txt".to_owned()],
        parents: parents.iter().map(|p| rev(p)).collect(),
    };
    vec![
        // Given out of order, and the later id is the smaller number as a string.
        PushRecord {
            push_id: Some(10),
            revision: rev(B),
            author: "ann@example.com".to_owned(),
            pushed_at: 1_700_000_100_999_999,
            commits: vec![commit(B, &[A], Some("stable"))],
        },
        PushRecord {
            push_id: Some(9),
            revision: rev(A),
            author: "bob@example.com".to_owned(),
            pushed_at: 1_700_000_000_000_000,
            commits: vec![commit(A, &[], None)],
        },
    ]
}

#[test]
fn tiny_case_in_each_variant() {
    fn check(options: RenderOptions, expected: &str) {
        assert_eq!(
            render_json_pushes(&tiny(), 12, options),
            expected,
            "{options:?}"
        );
    }
    check(
        RenderOptions {
            version: 2,
            full: true,
        },
        concat!(
            r#"{"lastpushid":12,"pushes":{"#,
            r#""9":{"changesets":[{"author":"Ann <ann@example.com>","branch":"default","desc":"Bug 1 - \"quoted\"\nsecond line","files":["a.txt"],"node":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","parents":[],"tags":[]}],"date":1700000000,"user":"bob@example.com"},"#,
            r#""10":{"changesets":[{"author":"Ann <ann@example.com>","branch":"stable","desc":"Bug 1 - \"quoted\"\nsecond line","files":["a.txt"],"node":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","parents":["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],"tags":[]}],"date":1700000100,"user":"ann@example.com"}"#,
            r#"}}"#
        ),
    );
    check(
        RenderOptions {
            version: 2,
            full: false,
        },
        concat!(
            r#"{"lastpushid":12,"pushes":{"#,
            r#""9":{"changesets":["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],"date":1700000000,"user":"bob@example.com"},"#,
            r#""10":{"changesets":["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"],"date":1700000100,"user":"ann@example.com"}"#,
            r#"}}"#
        ),
    );
    check(
        RenderOptions {
            version: 1,
            full: false,
        },
        concat!(
            r#"{"9":{"changesets":["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],"date":1700000000,"user":"bob@example.com"},"#,
            r#""10":{"changesets":["bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"],"date":1700000100,"user":"ann@example.com"}}"#
        ),
    );
    assert_eq!(
        render_json_pushes(&[], 0, RenderOptions::default()),
        r#"{"lastpushid":0,"pushes":{}}"#
    );
    assert_eq!(
        render_json_pushes(
            &[],
            0,
            RenderOptions {
                version: 1,
                full: true
            }
        ),
        "{}"
    );
}

#[test]
fn dates_round_down_to_whole_seconds() {
    let mut pushes = tiny();
    pushes.truncate(1);
    pushes[0].pushed_at = -1;
    let page = render_json_pushes(
        &pushes,
        10,
        RenderOptions {
            version: 2,
            full: false,
        },
    );
    assert!(page.contains(r#""date":-1,"#), "{page}");
}

/// parse(render(parse(fixture))) == parse(fixture), in both versions, full.
fn round_trips(relative: &str) {
    let Some(bytes) = fixture_bytes(relative) else {
        return;
    };
    let page = parse_json_pushes(&bytes).unwrap();
    let last = page.last_push_id.unwrap();
    for version in [1, 2] {
        let text = render_json_pushes(
            &page.pushes,
            last,
            RenderOptions {
                version,
                full: true,
            },
        );
        assert_eq!(
            parse_json_pushes(text.as_bytes()).unwrap(),
            page,
            "version {version}"
        );
    }
    // Without `full` only the nodes survive.
    let text = render_json_pushes(
        &page.pushes,
        last,
        RenderOptions {
            version: 2,
            full: false,
        },
    );
    let bare = parse_json_pushes(text.as_bytes()).unwrap();
    let nodes = |p: &JsonPushes| -> Vec<Vec<String>> {
        p.pushes
            .iter()
            .map(|p| p.commits.iter().map(|c| c.revision.to_string()).collect())
            .collect()
    };
    assert_eq!(nodes(&bare), nodes(&page));
    assert!(
        bare.pushes
            .iter()
            .flat_map(|p| &p.commits)
            .all(|c| c.author.is_empty())
    );
}

#[test]
fn mozilla_central_page_round_trips() {
    round_trips("treeherder/hg_pushlog.json");
}

#[test]
fn try_page_round_trips() {
    round_trips("treeherder/pulse/hg_push_commits.json");
}

#[test]
fn try_page_is_rendered_as_hg_wrote_it() {
    // This page carries every field of a full changeset, so rendering it must give the very
    // same JSON back.
    let Some(bytes) = fixture_bytes("treeherder/pulse/hg_push_commits.json") else {
        return;
    };
    let page = parse_json_pushes(&bytes).unwrap();
    let text = render_json_pushes(&page.pushes, 136598, RenderOptions::default());
    let original: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), original);
}
