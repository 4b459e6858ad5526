//! Bugs and bug suggestions over GraphQL against Treeherder's own expected answers
//! (`../shared/fixtures/treeherder/sheriffing/`): every case of `bug_searches.json` (over
//! `bugs.json` with every bug open and changed 50 days ago, as the fixture says) through
//! `Query.bugSuggestions`, every case of `error_lines.json` through `Query.errorLineSearch`;
//! then what treeherd adds: a bug's fields and duplicates, a line's suggestions (the union of
//! its terms, the crash signature when they find nothing), and the errors. Bugs are imported
//! through the service, as `treeherd import bugs` and the Bugzilla fetch do; the CLI and the
//! fetch are tested end to end.

use serde_json::{Value, json};
use treeherd_model::{BugId, NewBug};

use crate::support::{TestSchema, error_code};

const SUGGESTIONS: &str = "query($t: String!) { bugSuggestions(searchTerm: $t) {
    openRecent { id } allOthers { id } } }";
const LINE_SEARCH: &str = "query($l: String!) { errorLineSearch(line: $l) {
    searchTerms pathEnd cleaned crashSignature recurrenceKey } }";
const BUG: &str = "query($id: Int!) { bug(id: $id) { id summary status resolution dupeOf
    crashSignature keywords whiteboard lastChange url } }";

/// A fixture file, or `None` (the test is reported skipped) when fixtures are absent.
fn fixture(name: &str) -> Option<Vec<u8>> {
    let path = treeherd_testkit::fixture(&format!("treeherder/sheriffing/{name}"))?;
    Some(std::fs::read(path).unwrap())
}

/// The bugs of `bugs.json`.
fn fixture_bugs() -> Option<Vec<NewBug>> {
    Some(treeherd_ingest::parse_bugzilla(&fixture("bugs.json")?).unwrap())
}

/// Now, in unix microseconds.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros()
        .try_into()
        .unwrap()
}

async fn import(app: &TestSchema, bugs: Vec<NewBug>) {
    let admin = app.token(&["admin"]);
    app.service().import_bugs(&admin, bugs).await.unwrap();
}

/// The ids of a `BugSuggestions` list.
fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect()
}

/// (openRecent, allOthers) ids for `term`.
async fn suggested(app: &TestSchema, term: &str) -> (Vec<i64>, Vec<i64>) {
    let data = app.data(SUGGESTIONS, json!({"t": term})).await;
    let found = &data["bugSuggestions"];
    (ids(&found["openRecent"]), ids(&found["allOthers"]))
}

#[tokio::test]
async fn every_bug_search_of_treeherder_suggests_its_bugs_in_order() {
    let (Some(bugs), Some(searches)) = (fixture_bugs(), fixture("bug_searches.json")) else {
        return;
    };
    let app = TestSchema::new().await;
    // As the fixture says: every bug open, changed 50 days ago.
    let fifty_days_ago = now() - 50 * 86_400 * 1_000_000;
    let bugs = bugs
        .into_iter()
        .map(|bug| NewBug {
            status: "NEW".into(),
            resolution: None,
            last_change: fifty_days_ago,
            ..bug
        })
        .collect();
    import(&app, bugs).await;
    let searches: Value = serde_json::from_slice(&searches).unwrap();
    let cases = searches["cases"].as_array().unwrap();
    assert!(cases.len() >= 10, "{} cases", cases.len());
    for case in cases {
        let term = case["search_term"].as_str().unwrap();
        let expected: Vec<i64> = case["bugs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_i64().unwrap())
            .collect();
        assert_eq!(suggested(&app, term).await, (expected, vec![]), "{term:?}");
    }
}

#[tokio::test]
async fn resolved_bugs_are_the_other_suggestions() {
    let Some(bugs) = fixture_bugs() else { return };
    let app = TestSchema::new().await;
    import(&app, bugs).await;
    // Three INCOMPLETE bugs; "incomplete" follows a `/` in each summary.
    let (open, others) = suggested(&app, "INCOMPLETE").await;
    assert!(open.is_empty(), "{open:?}");
    let mut others_sorted = others.clone();
    others_sorted.sort_unstable();
    assert_eq!(others_sorted, [202, 303, 404]);
    // The most similar summary first: "Intermittent another/incomplete.html | Mock message"
    // and its kind share more trigrams with the term the shorter they are.
    assert_eq!(suggested(&app, "all_others").await, (vec![], vec![100_001]));
}

/// A `SearchTerms`-shaped answer of our GraphQL beside Treeherder's.
async fn line_search(app: &TestSchema, line: &str) -> Value {
    app.data(LINE_SEARCH, json!({"l": line})).await["errorLineSearch"].clone()
}

#[tokio::test]
async fn every_error_line_of_treeherder_searches_as_it_does() {
    let Some(fixture) = fixture("error_lines.json") else {
        return;
    };
    let fixture: Value = serde_json::from_slice(&fixture).unwrap();
    let app = TestSchema::new().await;
    let section = |name: &str| {
        let cases = fixture[name].as_array().unwrap().clone();
        assert!(!cases.is_empty(), "section {name} is empty");
        cases
    };
    for case in section("search_terms") {
        let line = case["line"].as_str().unwrap();
        let ours = line_search(&app, line).await;
        assert_eq!(ours["searchTerms"], case["search_terms"], "{line}");
        assert_eq!(ours["pathEnd"], case["path_end"], "{line}");
    }
    for case in section("cleaned") {
        let line = case["line"].as_str().unwrap();
        assert_eq!(
            line_search(&app, line).await["cleaned"],
            case["cleaned"],
            "{line}"
        );
    }
    for case in section("crash_signatures") {
        let line = case["line"].as_str().unwrap();
        assert_eq!(
            line_search(&app, line).await["crashSignature"],
            case["signature"],
            "{line}"
        );
    }
    for case in section("recurrence_key") {
        let line = case["line"].as_str().unwrap();
        assert_eq!(
            line_search(&app, line).await["recurrenceKey"],
            case["cleaned"],
            "{line}"
        );
    }
}

fn bug(id: i64, summary: &str) -> NewBug {
    NewBug {
        id: BugId(id),
        status: "NEW".into(),
        resolution: None,
        summary: summary.into(),
        dupe_of: None,
        crash_signature: None,
        keywords: vec!["intermittent-failure".into()],
        whiteboard: None,
        last_change: 1_730_235_466_000_000,
    }
}

#[tokio::test]
async fn a_bug_shows_every_field_and_a_duplicate_names_its_target() {
    let app = TestSchema::new().await;
    let mut duplicate = bug(10, "Intermittent a.html | first report");
    duplicate.status = "RESOLVED".into();
    duplicate.resolution = Some("DUPLICATE".into());
    duplicate.dupe_of = Some(BugId(20));
    duplicate.crash_signature = Some("[@ mozalloc_abort]".into());
    duplicate.whiteboard = Some("[stockwell]".into());
    import(
        &app,
        vec![duplicate, bug(20, "Intermittent a.html | the one")],
    )
    .await;
    let data = app.data(BUG, json!({"id": 10})).await;
    assert_eq!(
        data["bug"],
        json!({"id": 10, "summary": "Intermittent a.html | first report",
            "status": "RESOLVED", "resolution": "DUPLICATE", "dupeOf": 20,
            "crashSignature": "[@ mozalloc_abort]", "keywords": ["intermittent-failure"],
            "whiteboard": "[stockwell]", "lastChange": "2024-10-29T20:57:46+00:00",
            "url": null})
    );
    let target = app.data(BUG, json!({"id": 20})).await;
    assert_eq!(target["bug"]["resolution"], Value::Null);
    assert_eq!(app.data(BUG, json!({"id": 30})).await["bug"], Value::Null);
    let resolved = app
        .service()
        .resolve_duplicates(vec![BugId(10), BugId(20), BugId(30)])
        .await
        .unwrap();
    assert_eq!(
        resolved.into_iter().collect::<Vec<_>>(),
        [
            (BugId(10), BugId(20)),
            (BugId(20), BugId(20)),
            (BugId(30), BugId(30))
        ]
    );
    let listed = app
        .data("{ bugs(ids: [20, 30, 10]) { id } }", json!({}))
        .await;
    assert_eq!(listed["bugs"], json!([{"id": 20}, {"id": 10}]));
}

#[tokio::test]
async fn a_lines_suggestions_are_its_terms_union_then_its_crash_signature() {
    let app = TestSchema::new().await;
    import(
        &app,
        vec![
            bug(1, "Intermittent dir/test_frame.py TestA.test_b?x=1 | boom"),
            bug(2, "test_frame.py TestA.test_b | boom"),
            bug(3, "Crash in [@ nsInputStreamPump::OnStateStop()]"),
        ],
    )
    .await;
    let service = app.service();
    // Two terms: the test name, and the name cut at `?`, which alone finds bug 2 first
    // (its summary is the more similar); the union keeps bug 1, found first, first.
    let found = service
        .line_suggestions("TEST-UNEXPECTED-FAIL | dir/test_frame.py TestA.test_b?x=1 | boom")
        .await
        .unwrap();
    let open: Vec<i64> = found
        .suggestions
        .open_recent
        .iter()
        .map(|b| b.id.0)
        .collect();
    assert_eq!(
        found.searched,
        [
            "test_frame.py TestA.test_b?x=1",
            "test_frame.py TestA.test_b"
        ]
    );
    assert_eq!(open, [1, 2]);
    assert_eq!(
        suggested(&app, "test_frame.py TestA.test_b").await.0,
        [2, 1]
    );
    // Nothing for the terms: the crash signature is searched.
    let crash = "PROCESS-CRASH | application crashed [@ nsInputStreamPump::OnStateStop()] | \
                 file:///C:/slave/test/jsreftest.html?test=x.js";
    let found = service.line_suggestions(crash).await.unwrap();
    assert_eq!(
        found.searched,
        [
            "application crashed [@ nsInputStreamPump::OnStateStop()]",
            "nsInputStreamPump::OnStateStop()"
        ]
    );
    let open: Vec<i64> = found
        .suggestions
        .open_recent
        .iter()
        .map(|b| b.id.0)
        .collect();
    assert_eq!(open, [3]);
}

#[tokio::test]
async fn bad_input_is_refused_with_a_code() {
    let app = TestSchema::new().await;
    let response = app.graphql(BUG, json!({"id": 0})).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response:#}");
    let long = "x".repeat(1_001);
    let response = app.graphql(SUGGESTIONS, json!({"t": long})).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response:#}");
    let long = "x".repeat(10_001);
    let response = app.graphql(LINE_SEARCH, json!({"l": long})).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response:#}");
    let ids: Vec<i32> = (1..=101).collect();
    let response = app
        .graphql(
            "query($i: [Int!]!) { bugs(ids: $i) { id } }",
            json!({"i": ids}),
        )
        .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response:#}");
    // A blank term finds nothing, without an error.
    assert_eq!(suggested(&app, "   ").await, (vec![], vec![]));

    // Only an administrator imports; a writer of a repository may not.
    let service = app.service();
    let writer = app.token(&["write:try"]);
    let refused = service.import_bugs(&writer, vec![bug(1, "x")]).await;
    assert_eq!(refused.unwrap_err().code(), "FORBIDDEN");
    let admin = app.token(&["admin"]);
    let too_big = service
        .import_bugs(&admin, vec![bug(i64::from(i32::MAX) + 1, "x")])
        .await
        .unwrap_err();
    assert_eq!(too_big.code(), "BAD_USER_INPUT");
    assert!(too_big.to_string().contains("bugs[0].id"), "{too_big}");
}
