//! Reading hg `json-pushes`: the two real pages, both versions, bare nodes, every date form,
//! and the error for each kind of bad field.

use serde_json::{Value, json};
use treeherd_pushlog::{CommitRecord, JsonPushes, PushRecord, page_url, parse_json_pushes};

use crate::{fixture_bytes, fixture_json, rev};

fn parse_value(value: &Value) -> JsonPushes {
    parse_json_pushes(value.to_string().as_bytes()).unwrap()
}

#[test]
fn mozilla_central_page_of_ten_pushes() {
    let Some(bytes) = fixture_bytes("treeherder/hg_pushlog.json") else {
        return;
    };
    let page = parse_json_pushes(&bytes).unwrap();
    assert_eq!(page.last_push_id, Some(33277));
    assert_eq!(page.empty, Vec::<i64>::new());

    // (push id, date, tip, number of changesets), read off the file.
    let expected = [
        (
            33268,
            1378287123,
            "1a046ece14db3801ab5ebaa3bb85b196ed3bbae3",
            1,
        ),
        (
            33269,
            1378287663,
            "5371262398a0c4d194832052ca932c1e44279758",
            1,
        ),
        (
            33270,
            1378288232,
            "47b8ffe6ecc4b344655ed7be9a408d2970a736c4",
            1,
        ),
        (
            33271,
            1378290798,
            "e1976a0ce384ed6601cfbf2903dfc6f5aa638547",
            1,
        ),
        (
            33272,
            1378291222,
            "1c690d9998f7dfd50cce7129432d9f6ee9f267a5",
            3,
        ),
        (
            33273,
            1378291714,
            "bb1d06db46ebc7a1f9e114c11f99172ffb4a5fe8",
            1,
        ),
        (
            33274,
            1378291978,
            "f186c97c90117a68f1dc91793e5a9e6e8f07b1a4",
            3,
        ),
        (
            33275,
            1378293144,
            "b48f9c8d7aff27f9b072a59a1fd3694cfde29f06",
            2,
        ),
        (
            33276,
            1378293452,
            "1250c160eaec3d19764d0dc7ab32d81dc320c106",
            1,
        ),
        (
            33277,
            1378293517,
            "2c25d2bbbcd6ddbd45962606911fd429e366b8e1",
            1,
        ),
    ];
    let actual: Vec<_> = page
        .pushes
        .iter()
        .map(|p| {
            (
                p.push_id.unwrap(),
                p.pushed_at / 1_000_000,
                p.revision.as_str(),
                p.commits.len(),
            )
        })
        .collect();
    assert_eq!(actual, expected);
    assert_eq!(
        page.pushes.iter().map(|p| p.commits.len()).sum::<usize>(),
        15
    );
    for push in &page.pushes {
        assert_eq!(push.author, "jdoe@mozilla.com");
        assert_eq!(push.pushed_at % 1_000_000, 0);
        assert_eq!(push.commits.last().unwrap().revision, push.revision);
        for commit in &push.commits {
            assert_eq!(commit.author, "John Doe <jdoe@mozilla.com>");
            assert_eq!(commit.branch.as_deref(), Some("default"));
            // This page was fetched without `files` and `parents`.
            assert!(commit.files.is_empty() && commit.parents.is_empty());
        }
    }

    // The three changesets of push 33272, oldest first, in the file's order.
    let push = &page.pushes[4];
    let commits: Vec<_> = push
        .commits
        .iter()
        .map(|c| (c.revision.as_str(), c.message.as_str()))
        .collect();
    assert_eq!(
        commits,
        [
            (
                "f12a3d9e4cd6426ad9579b572281aa6327d99527",
                "Bug 911862 - Make VectorImage use the refresh driver to send out frame change notifications. r=dholbert"
            ),
            (
                "8d8c2ce395a10f9dc7927332c2ba8bfc502044c6",
                "Bug 907503 - Fix invalidation for SMIL animation in SVG-as-an-image. r=roc"
            ),
            (
                "1c690d9998f7dfd50cce7129432d9f6ee9f267a5",
                "Bug 907503 - Test that invalidation works for SMIL animation in SVG-as-an-image. r=longsonr"
            ),
        ]
    );
    // Escaped quotes in a description; the `tip` tag on the newest changeset only.
    assert_eq!(
        page.pushes[8].commits[0].message,
        "bug 906646 - glyphs with an SVG representation should never be considered \"contained\". r=roc"
    );
    let tagged: Vec<_> = page
        .pushes
        .iter()
        .flat_map(|p| &p.commits)
        .filter(|c| !c.tags.is_empty())
        .map(|c| (c.revision.as_str(), c.tags.clone()))
        .collect();
    assert_eq!(
        tagged,
        [(
            "2c25d2bbbcd6ddbd45962606911fd429e366b8e1",
            vec!["tip".to_owned()]
        )]
    );
}

#[test]
fn try_push_with_files_and_parents() {
    let Some(bytes) = fixture_bytes("treeherder/pulse/hg_push_commits.json") else {
        return;
    };
    let page = parse_json_pushes(&bytes).unwrap();
    let first = rev("16df582a3768ef56c1338b1c6b57d30820249a0d");
    let tip = rev("2f77bc4f354d9ba67ea5270b2fc789f4b0521287");
    let author = "James Graham <james@hoppipolla.co.uk>".to_owned();
    assert_eq!(
        page,
        JsonPushes {
            last_push_id: Some(136598),
            pushes: vec![PushRecord {
                push_id: Some(136598),
                revision: tip.clone(),
                author: "james@hoppipolla.co.uk".to_owned(),
                pushed_at: 1_469_830_246_000_000,
                commits: vec![
                    CommitRecord {
                        revision: first.clone(),
                        author: author.clone(),
                        message: "Update web-platform-tests expected data to revision 6744ac43d76207bdd1ececa4b91c9bfeef3ad522\n\nMozReview-Commit-ID: DKYxwGwjqUu\n".to_owned(),
                        branch: Some("default".to_owned()),
                        tags: vec![],
                        files: vec![
                            "testing/web-platform/meta/2dcontext/shadows/2d.shadow.pattern.basic.html.ini".to_owned(),
                            "testing/web-platform/meta/IndexedDB/transaction-lifetime-empty.html.ini".to_owned(),
                        ],
                        parents: vec![rev("ae327128aed16186be41d27e5cddb43f60133718")],
                    },
                    CommitRecord {
                        revision: tip,
                        author,
                        message: "try: -b do -p win32,win64,linux64,linux,macosx64 -u web-platform-tests[Ubuntu,10.8,10.10,10.10.5,Windows XP,Windows 7,Windows 8] -t none\n\nMozReview-Commit-ID: 83PbEOQP2Nc\n".to_owned(),
                        branch: Some("default".to_owned()),
                        tags: vec!["tip".to_owned()],
                        files: vec![],
                        parents: vec![first],
                    },
                ],
            }],
            empty: vec![],
        }
    );
}

#[test]
fn page_url_is_the_one_hg_push_messages_name() {
    let Some(message) = fixture_json("treeherder/pulse/hg_push.json") else {
        return;
    };
    let push = &message["payload"]["pushlog_pushes"][0];
    let id = push["pushid"].as_i64().unwrap();
    let url = page_url(message["payload"]["repo_url"].as_str().unwrap(), id - 1, id);
    assert_eq!(url, push["push_full_json_url"].as_str().unwrap());
}

#[test]
fn page_url_with_or_without_trailing_slash() {
    let expected =
        "https://hg.mozilla.org/mozilla-central/json-pushes?version=2&full=1&startID=0&endID=100";
    assert_eq!(
        page_url("https://hg.mozilla.org/mozilla-central", 0, 100),
        expected
    );
    assert_eq!(
        page_url("https://hg.mozilla.org/mozilla-central/", 0, 100),
        expected
    );
}

#[test]
fn version_1_is_the_pushes_object_alone() {
    let Some(page) = fixture_json("treeherder/hg_pushlog.json") else {
        return;
    };
    let version_2 = parse_value(&page);
    let version_1 = parse_value(&page["pushes"]);
    // Version 1 has no lastpushid: the highest id of the page stands in.
    assert_eq!(version_1.last_push_id, Some(33277));
    assert_eq!(version_1, version_2);

    assert_eq!(
        parse_json_pushes(b"{}").unwrap(),
        JsonPushes {
            last_push_id: None,
            pushes: vec![],
            empty: vec![]
        }
    );
}

#[test]
fn version_2_past_the_end_keeps_lastpushid() {
    let page = parse_json_pushes(br#"{"lastpushid": 40, "pushes": {}}"#).unwrap();
    assert_eq!(
        page,
        JsonPushes {
            last_push_id: Some(40),
            pushes: vec![],
            empty: vec![]
        }
    );
}

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

#[test]
fn pushes_come_in_numeric_order_and_empty_ones_are_reported() {
    let page = parse_value(&json!({"lastpushid": 100, "pushes": {
        "100": {"date": 3, "user": "c", "changesets": [C]},
        "9": {"date": 1, "user": "a", "changesets": [A]},
        "11": {"date": 2, "user": "x", "changesets": []},
        "10": {"date": 2, "user": "b", "changesets": [B]},
        "2": {"date": 0, "user": "x", "changesets": []},
    }}));
    let ids: Vec<_> = page.pushes.iter().filter_map(|p| p.push_id).collect();
    assert_eq!(ids, [9, 10, 100]);
    assert_eq!(page.empty, [2, 11]);
    // Version 1: the highest id, even of an empty push.
    let page = parse_value(&json!({"3": {"date": 1, "user": "a", "changesets": [A]},
                                   "4": {"date": 2, "user": "b", "changesets": []}}));
    assert_eq!((page.last_push_id, page.empty), (Some(4), vec![4]));
}

#[test]
fn bare_nodes_without_full() {
    let page = parse_value(&json!({"lastpushid": 7, "pushes": {
        "7": {"date": 1_700_000_000, "user": "me@example.com", "changesets": [A, B.to_uppercase()]},
    }}));
    let push = &page.pushes[0];
    assert_eq!(push.revision, rev(B));
    let bare = |r| CommitRecord {
        revision: rev(r),
        author: String::new(),
        message: String::new(),
        branch: None,
        tags: vec![],
        files: vec![],
        parents: vec![],
    };
    assert_eq!(push.commits, [bare(A), bare(B)]);
}

#[test]
fn missing_changeset_fields_default_and_null_parents_are_dropped() {
    let page = parse_value(
        &json!({"pushes": {"1": {"date": 0, "user": "u", "changesets": [
            {"node": A, "parents": ["0000000000000000000000000000000000000000"], "branch": null},
            {"node": B, "parents": [A, C], "branch": "stable", "tags": ["v1", "tip"]},
        ]}}}),
    );
    let commits = &page.pushes[0].commits;
    assert_eq!(commits[0].parents, []);
    assert_eq!(
        (commits[0].author.as_str(), commits[0].message.as_str()),
        ("", "")
    );
    assert_eq!(commits[0].branch, None);
    assert_eq!(commits[1].parents, [rev(A), rev(C)]);
    assert_eq!(commits[1].branch.as_deref(), Some("stable"));
    assert_eq!(commits[1].tags, ["v1", "tip"]);
}

#[test]
fn date_forms() {
    fn check(date: Value, micros: i64) {
        let page = parse_value(&json!({"1": {"date": date, "user": "u", "changesets": [A]}}));
        assert_eq!(page.pushes[0].pushed_at, micros, "{date}");
    }
    check(json!(1378287123), 1_378_287_123_000_000);
    check(json!(1378287123.25), 1_378_287_123_250_000);
    check(json!([1378287123, -7200]), 1_378_287_123_000_000);
    check(json!([1378287123.5, 0]), 1_378_287_123_500_000);
    check(json!([12]), 12_000_000);
    check(json!(0), 0);
    check(json!(-1.5), -1_500_000);
}

#[test]
fn errors_name_the_push_and_the_field() {
    fn check(page: Value, expected: &str) {
        let error = parse_json_pushes(page.to_string().as_bytes()).unwrap_err();
        assert_eq!(error.to_string(), expected, "{page}");
    }
    let push = |changesets: Value| json!({"date": 1, "user": "u", "changesets": changesets});
    check(
        json!({"lastpushid": 33270, "pushes": {"33270": push(json!([{"node": "xyz"}]))}}),
        r#"push 33270: changesets[0].node: "xyz" is not a revision"#,
    );
    check(
        json!({"5": push(json!([A, {"author": "a"}]))}),
        "push 5: changesets[1].node: missing",
    );
    check(
        json!({"5": push(json!([{"node": A, "tags": ["tip", 3]}]))}),
        "push 5: changesets[0].tags[1]: must be a string, got 3",
    );
    check(
        json!({"5": push(json!([{"node": A, "parents": [A, "short"]}]))}),
        r#"push 5: changesets[0].parents[1]: "short" is not a revision"#,
    );
    check(
        json!({"5": push(json!([{"node": A, "desc": ["x"]}]))}),
        r#"push 5: changesets[0].desc: must be a string, got ["x"]"#,
    );
    check(
        json!({"5": push(json!([7]))}),
        "push 5: changesets[0]: must be a node string or an object, got 7",
    );
    check(
        json!({"5": push(json!({"a": 1}))}),
        r#"push 5: changesets: must be an array, got {"a":1}"#,
    );
    check(
        json!({"5": {"user": "u", "changesets": []}}),
        "push 5: date: missing",
    );
    check(
        json!({"5": {"date": "yesterday", "user": "u", "changesets": []}}),
        r#"push 5: date: must be seconds since the epoch or [seconds, offset], got "yesterday""#,
    );
    check(
        json!({"5": {"date": 1e300, "user": "u", "changesets": []}}),
        "push 5: date: 1e+300 is out of range",
    );
    check(
        json!({"5": {"date": 1, "changesets": []}}),
        "push 5: user: missing",
    );
    check(
        json!({"5": {"date": 1, "user": 42, "changesets": []}}),
        "push 5: user: must be a string, got 42",
    );
    check(
        json!({"5": {"date": 1, "user": "u"}}),
        "push 5: changesets: missing",
    );
    check(json!({"5": [1]}), "push 5: $: must be an object, got [1]");
    check(
        json!({"abc": push(json!([]))}),
        r#"push id "abc" is not a positive integer"#,
    );
    check(
        json!({"0": push(json!([]))}),
        r#"push id "0" is not a positive integer"#,
    );
    check(
        json!({"-3": push(json!([]))}),
        r#"push id "-3" is not a positive integer"#,
    );
    check(
        json!({"lastpushid": "9", "pushes": {}}),
        r#"lastpushid: must be an integer, got "9""#,
    );
    check(json!({"lastpushid": 9}), "pushes: missing");
    check(
        json!({"lastpushid": 9, "pushes": []}),
        "pushes: must be an object, got []",
    );
    check(json!([]), "$: must be an object, got []");

    let not_json = parse_json_pushes(b"{\"lastpushid\": ").unwrap_err();
    assert!(not_json.to_string().starts_with("not JSON: "), "{not_json}");
}

#[test]
fn long_bad_values_are_cut_in_messages() {
    let long = "x".repeat(500);
    let page = json!({"5": {"date": 1, "user": "u", "changesets": [{"node": long}]}});
    let message = parse_json_pushes(page.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(message.len() < 150, "{message}");
    assert!(message.contains("…"), "{message}");
}
