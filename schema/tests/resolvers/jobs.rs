//! Jobs: batch upsert by guid, attributes and their index, filters and pagination, and
//! all-or-nothing batches.

use serde_json::{Value, json};

use crate::builders::app_with_push;
use crate::support::{TestSchema, error_code, revision};
use treeherd_testkit::documents::{SUBMIT, job};

async fn push_jobs(app: &TestSchema, filter: Value) -> Value {
    let data = app
        .data(
            "query($f: JobFilter) { push(repository: \"try\", revision: \"0000000000000000000000000000000000000001\") {
                jobs(first: 100, filter: $f) { nodes { guid } } } }",
            json!({"f": filter}),
        )
        .await;
    let guids: Vec<&str> = data["push"]["jobs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["guid"].as_str().unwrap())
        .collect();
    json!(guids)
}

#[tokio::test]
async fn submitted_jobs_come_back_with_every_field() {
    let app = app_with_push().await;
    let input = json!([{
        "guid": "b1", "repository": "try", "revision": revision(1), "kind": "BUILD",
        "name": "build-linux64/opt", "symbol": "B", "groupSymbol": "Bld", "groupName": "Builds",
        "platform": "linux64", "buildSystem": "taskcluster", "state": "COMPLETED",
        "result": "SUCCESS", "tier": 2, "machine": "m-1",
        "submittedAt": "2026-11-25T10:00:00Z", "startedAt": "2026-11-25T10:01:00Z",
        "finishedAt": "2026-11-25T10:31:00.5Z",
        "attributes": {"owner": "bob@example.com", "labels": ["a", "b"], "nested": {"x": 1}}
    }]);
    app.data(SUBMIT, json!({"jobs": input})).await;
    let data = app
        .data(
            "{ job(guid: \"b1\") { guid kind name symbol groupSymbol groupName platform buildSystem
               state result tier machine submittedAt startedAt finishedAt attributes
               push { pushId revision } repository { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["job"],
        json!({"guid": "b1", "kind": "BUILD", "name": "build-linux64/opt", "symbol": "B",
               "groupSymbol": "Bld", "groupName": "Builds", "platform": "linux64",
               "buildSystem": "taskcluster", "state": "COMPLETED", "result": "SUCCESS", "tier": 2,
               "machine": "m-1", "submittedAt": "2026-11-25T10:00:00+00:00",
               "startedAt": "2026-11-25T10:01:00+00:00",
               "finishedAt": "2026-11-25T10:31:00.500+00:00",
               "attributes": {"owner": "bob@example.com", "labels": ["a", "b"], "nested": {"x": 1}},
               "push": {"pushId": 1, "revision": revision(1)}, "repository": {"name": "try"}})
    );
}

#[tokio::test]
async fn defaults_apply_and_scheduled_jobs_hang_off_no_push() {
    let app = app_with_push().await;
    let data = app
        .data(
            SUBMIT,
            json!({"jobs": [{"guid": "valgrind-1", "repository": "try", "kind": "SCHEDULED",
                             "name": "valgrind", "state": "PENDING"}]}),
        )
        .await;
    assert_eq!(
        data["submitJobs"]["jobs"][0],
        json!({"guid": "valgrind-1", "state": "PENDING", "result": "UNKNOWN", "tier": 1,
               "attributes": {}, "push": null})
    );
}

#[tokio::test]
async fn pages_walk_every_job_newest_first_without_repeats() {
    let app = app_with_push().await;
    let jobs: Vec<Value> = (0..25)
        .map(|i| job(&format!("j{i:02}"), "TEST", "PENDING"))
        .collect();
    app.data(SUBMIT, json!({"jobs": jobs})).await;

    let query = "query($after: String) { push(repository: \"try\", revision: \"0000000000000000000000000000000000000001\") {
        jobs(first: 10, after: $after) { edges { cursor node { guid } } nodes { guid }
                                         pageInfo { hasNextPage endCursor } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let data = app.data(query, json!({"after": after})).await;
        let page = &data["push"]["jobs"];
        assert_eq!(
            page["edges"].as_array().unwrap().len(),
            page["nodes"].as_array().unwrap().len()
        );
        seen.extend(
            page["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["guid"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let expected: Vec<String> = (0..25).rev().map(|i| format!("j{i:02}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn filters_narrow_by_core_fields_and_indexed_attributes() {
    let app = app_with_push().await;
    let mut build = job("b1", "BUILD", "COMPLETED");
    build["result"] = json!("SUCCESS");
    build["attributes"] = json!({"owner": "alice", "labels": ["nightly", "l10n"]});
    let mut failed = job("t1", "TEST", "COMPLETED");
    failed["result"] = json!("TESTFAILED");
    failed["attributes"] = json!({"owner": "bob", "labels": "nightly"});
    let mut mac = job("t2", "TEST", "RUNNING");
    mac["platform"] = json!("macosx");
    mac["tier"] = json!(3);
    mac["attributes"] = json!({"owner": "alice", "unindexed": "x"});
    app.data(SUBMIT, json!({"jobs": [build, failed, mac]}))
        .await;

    assert_eq!(
        push_jobs(&app, json!({"kind": "TEST"})).await,
        json!(["t2", "t1"])
    );
    assert_eq!(
        push_jobs(&app, json!({"state": "RUNNING"})).await,
        json!(["t2"])
    );
    assert_eq!(
        push_jobs(&app, json!({"result": "TESTFAILED"})).await,
        json!(["t1"])
    );
    assert_eq!(
        push_jobs(&app, json!({"platform": "linux64"})).await,
        json!(["t1", "b1"])
    );
    assert_eq!(push_jobs(&app, json!({"tier": 3})).await, json!(["t2"]));
    assert_eq!(
        push_jobs(
            &app,
            json!({"attributes": [{"key": "owner", "value": "alice"}]})
        )
        .await,
        json!(["t2", "b1"])
    );
    assert_eq!(
        push_jobs(
            &app,
            json!({"attributes": [{"key": "labels", "value": "nightly"}]})
        )
        .await,
        json!(["t1", "b1"])
    );
    assert_eq!(
        push_jobs(
            &app,
            json!({"kind": "BUILD", "attributes": [{"key": "owner", "value": "alice"},
                                                   {"key": "labels", "value": "l10n"}]})
        )
        .await,
        json!(["b1"])
    );

    let refused = app
        .graphql(
            "{ jobs(repository: \"try\", first: 10, filter: {attributes: [{key: \"unindexed\", value: \"x\"}]}) { nodes { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unindexed")
    );

    let all = app
        .data(
            "{ jobs(repository: \"try\", first: 10, filter: {kind: TEST}) { nodes { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        all["jobs"]["nodes"],
        json!([{"guid": "t2"}, {"guid": "t1"}])
    );
}

#[tokio::test]
async fn the_name_filter_wants_every_word_in_any_case_and_takes_patterns_literally() {
    let app = app_with_push().await;
    let named = |guid: &str, name: &str| {
        let mut j = job(guid, "TEST", "PENDING");
        j["name"] = json!(name);
        j
    };
    app.data(
        SUBMIT,
        json!({"jobs": [
            named("x1", "test-windows11-64/opt-xpcshell-1"),
            named("x2", "test-linux64/opt-XPCShell-2"),
            named("m1", "test-windows11-64/opt-mochitest-plain-1"),
            named("p1", "test-linux64/opt-talos-100%_warm"),
        ]}),
    )
    .await;
    let by_name = |q: &str| push_jobs(&app, json!({"name": q}));
    assert_eq!(by_name("xpcshell").await, json!(["x2", "x1"]));
    assert_eq!(by_name("  Windows   XPCSHELL ").await, json!(["x1"]));
    assert_eq!(by_name("windows").await, json!(["m1", "x1"]));
    assert_eq!(by_name("xpcshell mochitest").await, json!([]));
    // `%` and `_` are letters here, not LIKE wildcards.
    assert_eq!(by_name("100%_").await, json!(["p1"]));
    assert_eq!(by_name("%").await, json!(["p1"]));
    assert_eq!(by_name("opt_").await, json!([]));
    // Blank means no condition; it combines with the other conditions.
    assert_eq!(by_name(" ").await.as_array().map(Vec::len), Some(4));
    assert_eq!(
        push_jobs(
            &app,
            json!({"name": "linux64", "platform": "linux64", "tier": 1})
        )
        .await,
        json!(["p1", "x2"])
    );

    let too_many = app
        .graphql(
            "query($f: JobFilter) { jobs(repository: \"try\", first: 10, filter: $f) { nodes { guid } } }",
            json!({"f": {"name": "a b c d e f g h i"}}),
        )
        .await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    assert!(
        too_many["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("filter.name"))
    );
}

#[tokio::test]
async fn a_known_guid_is_updated_not_duplicated() {
    let app = app_with_push().await;
    let mut pending = job("t1", "TEST", "PENDING");
    pending["attributes"] = json!({"owner": "alice"});
    app.data(SUBMIT, json!({"jobs": [pending]})).await;
    let mut done = job("t1", "TEST", "COMPLETED");
    done["result"] = json!("SUCCESS");
    done["attributes"] = json!({"owner": "bob"});
    app.data(SUBMIT, json!({"jobs": [done.clone(), done]}))
        .await;

    let data = app
        .data(
            "{ jobs(repository: \"try\", first: 10) { nodes { guid state result attributes } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["jobs"]["nodes"],
        json!([{"guid": "t1", "state": "COMPLETED", "result": "SUCCESS", "attributes": {"owner": "bob"}}])
    );
    assert_eq!(
        push_jobs(
            &app,
            json!({"attributes": [{"key": "owner", "value": "alice"}]})
        )
        .await,
        json!([])
    );
    assert_eq!(
        push_jobs(
            &app,
            json!({"attributes": [{"key": "owner", "value": "bob"}]})
        )
        .await,
        json!(["t1"])
    );
}

#[tokio::test]
async fn a_batch_that_fails_halfway_leaves_nothing() {
    let app = app_with_push().await;
    app.create_repository("other", &[]).await;
    app.data(
        SUBMIT,
        json!({"jobs": [{"guid": "theirs", "repository": "other", "kind": "BUILD", "name": "b", "state": "PENDING"}]}),
    )
    .await;

    let stolen_guid = job("theirs", "TEST", "PENDING");
    let cases = [
        (stolen_guid, "CONFLICT"),
        (
            json!({"guid": "x", "repository": "nope", "kind": "TEST", "name": "n", "state": "PENDING"}),
            "NOT_FOUND",
        ),
        (
            {
                let mut j = job("x4", "TEST", "PENDING");
                j["tier"] = json!(4);
                j
            },
            "BAD_USER_INPUT",
        ),
        (
            {
                let mut j = job("x5", "TEST", "PENDING");
                j["attributes"] = json!([1]);
                j
            },
            "BAD_USER_INPUT",
        ),
        (
            {
                let mut j = job("x6", "TEST", "PENDING");
                j["revision"] = json!("short");
                j
            },
            "BAD_USER_INPUT",
        ),
    ];
    for (bad, code) in cases {
        let mut batch: Vec<Value> = (0..1500)
            .map(|i| job(&format!("ok{i}"), "TEST", "PENDING"))
            .collect();
        batch.insert(1200, bad.clone());
        let response = app.graphql(SUBMIT, json!({"jobs": batch})).await;
        assert_eq!(error_code(&response), code, "{bad}");
        let data = app
            .data(
                "{ jobs(repository: \"try\", first: 10) { nodes { guid } } }",
                json!({}),
            )
            .await;
        assert_eq!(data["jobs"]["nodes"], json!([]), "after {bad}");
    }
    let theirs = app
        .data("{ job(guid: \"theirs\") { name kind } }", json!({}))
        .await;
    assert_eq!(theirs["job"], json!({"name": "b", "kind": "BUILD"}));
}

#[tokio::test]
async fn page_size_is_required_and_capped() {
    let app = app_with_push().await;
    for first in [0, 1001, -1] {
        let response = app
            .graphql(
                &format!("{{ jobs(repository: \"try\", first: {first}) {{ nodes {{ guid }} }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "first: {first}");
    }
    let missing = app
        .graphql(
            "{ jobs(repository: \"try\") { nodes { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&missing), "BAD_USER_INPUT");
    let bad_cursor = app
        .graphql(
            "{ jobs(repository: \"try\", first: 5, after: \"nope\") { nodes { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT");
    let unknown = app
        .graphql(
            "{ jobs(repository: \"nope\", first: 5) { nodes { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
}

#[tokio::test]
async fn state_never_moves_backwards_and_completed_jobs_only_get_marked() {
    let app = app_with_push().await;
    let state = |guid: &str, state: &str, result: &str| {
        let mut j = job(guid, "TEST", state);
        j["result"] = json!(result);
        j
    };
    app.data(SUBMIT, json!({"jobs": [state("j", "RUNNING", "UNKNOWN")]}))
        .await;
    // Late or repeated messages, in one batch or several.
    let answer = app
        .data(SUBMIT, json!({"jobs": [state("j", "PENDING", "UNKNOWN")]}))
        .await;
    assert_eq!(answer["submitJobs"]["jobs"][0]["state"], "RUNNING");
    app.data(
        SUBMIT,
        json!({"jobs": [state("j", "COMPLETED", "SUCCESS"), state("j", "RUNNING", "UNKNOWN")]}),
    )
    .await;
    for late in [
        state("j", "RUNNING", "UNKNOWN"),
        state("j", "COMPLETED", "BUSTED"),
    ] {
        let answer = app.data(SUBMIT, json!({"jobs": [late]})).await;
        assert_eq!(
            (
                answer["submitJobs"]["jobs"][0]["state"].clone(),
                answer["submitJobs"]["jobs"][0]["result"].clone()
            ),
            (json!("COMPLETED"), json!("SUCCESS"))
        );
    }
    app.data(
        SUBMIT,
        json!({"jobs": [state("j", "COMPLETED", "SUPERSEDED")]}),
    )
    .await;
    let data = app
        .data("{ job(guid: \"j\") { state result } }", json!({}))
        .await;
    assert_eq!(
        data["job"],
        json!({"state": "COMPLETED", "result": "SUPERSEDED"})
    );
}

#[tokio::test]
async fn an_update_the_lifecycle_refuses_is_reported_as_ignored_with_its_reason() {
    let app = app_with_push().await;
    let submit = "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) {
        jobs { guid state result } ignored { index guid reason } } }";
    let version = |guid: &str, state: &str, result: &str| {
        let mut j = job(guid, "TEST", state);
        j["result"] = json!(result);
        j
    };
    let first = app
        .data(
            submit,
            json!({"jobs": [version("done", "COMPLETED", "SUCCESS"), version("run", "RUNNING", "UNKNOWN")]}),
        )
        .await;
    assert_eq!(first["submitJobs"]["ignored"], json!([]));

    // Sent again the same: idempotent, nothing to report.
    let again = app
        .data(
            submit,
            json!({"jobs": [version("done", "COMPLETED", "SUCCESS")]}),
        )
        .await;
    assert_eq!(again["submitJobs"]["ignored"], json!([]));

    // Another result for a completed job, a state moving back, and within one batch a later
    // version moving back: each named with its index, the others written.
    let answer = app
        .data(
            submit,
            json!({"jobs": [
                version("new", "PENDING", "UNKNOWN"),
                version("done", "COMPLETED", "BUSTED"),
                version("run", "PENDING", "UNKNOWN"),
                version("new", "RUNNING", "UNKNOWN"),
                version("new", "PENDING", "UNKNOWN"),
            ]}),
        )
        .await;
    let outcome = &answer["submitJobs"];
    assert_eq!(
        outcome["jobs"],
        json!([
            {"guid": "new", "state": "RUNNING", "result": "UNKNOWN"},
            {"guid": "done", "state": "COMPLETED", "result": "SUCCESS"},
            {"guid": "run", "state": "RUNNING", "result": "UNKNOWN"},
        ])
    );
    let ignored: Vec<(i64, &str)> = outcome["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["index"].as_i64().unwrap(), i["guid"].as_str().unwrap()))
        .collect();
    assert_eq!(ignored, [(1, "done"), (2, "run"), (4, "new")]);
    let reason = |i: usize| outcome["ignored"][i]["reason"].as_str().unwrap();
    assert!(
        reason(0).contains("COMPLETED with result SUCCESS") && reason(0).contains("BUSTED"),
        "{}",
        reason(0)
    );
    assert!(
        reason(1).contains("RUNNING") && reason(1).contains("never moves back"),
        "{}",
        reason(1)
    );
    assert!(
        reason(2).contains("earlier version in this batch"),
        "{}",
        reason(2)
    );

    // Marking a completed job is a change, not an ignored update.
    let marked = app
        .data(
            submit,
            json!({"jobs": [version("done", "COMPLETED", "SUPERSEDED")]}),
        )
        .await;
    assert_eq!(marked["submitJobs"]["ignored"], json!([]));
    assert_eq!(marked["submitJobs"]["jobs"][0]["result"], "SUPERSEDED");
}

/// `Query.jobs` of `try` with `filter`, as guids.
async fn repository_jobs(app: &TestSchema, filter: Value) -> Result<Vec<String>, String> {
    let answer = app
        .graphql(
            "query($f: JobFilter) { jobs(repository: \"try\", first: 100, filter: $f) { nodes { guid } } }",
            json!({"f": filter}),
        )
        .await;
    if answer["errors"].is_array() {
        return Err(error_code(&answer).to_owned());
    }
    let mut guids: Vec<String> = answer["data"]["jobs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["guid"].as_str().unwrap().to_owned())
        .collect();
    guids.sort();
    Ok(guids)
}

#[tokio::test]
async fn jobs_of_several_pushes_come_in_one_field() {
    let app = app_with_push().await;
    for n in [2, 3] {
        app.data(
            "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
            json!({"p": {"repository": "try", "pushId": n, "revision": revision(n),
                         "author": "a@example.com", "pushedAt": "2026-11-20T10:00:00Z"}}),
        )
        .await;
    }
    let jobs: Vec<Value> = [(1, "p1"), (2, "p2"), (3, "p3")]
        .iter()
        .map(|(n, guid)| {
            json!({"guid": guid, "repository": "try", "revision": revision(*n), "kind": "TEST",
                   "name": "t", "state": "PENDING"})
        })
        .collect();
    app.data(SUBMIT, json!({"jobs": jobs})).await;
    assert_eq!(
        repository_jobs(&app, json!({"pushIds": [1, 3]})).await,
        Ok(vec!["p1".to_owned(), "p3".to_owned()])
    );
    assert_eq!(
        repository_jobs(&app, json!({"pushIds": [9]})).await,
        Ok(vec![])
    );
    let too_many: Vec<i32> = (1..=101).collect();
    assert_eq!(
        repository_jobs(&app, json!({"pushIds": too_many})).await,
        Err("BAD_USER_INPUT".to_owned())
    );
}

#[tokio::test]
async fn a_polling_client_gets_only_the_jobs_written_after_its_cursor() {
    let app = app_with_push().await;
    app.data(
        SUBMIT,
        json!({"jobs": [job("old", "TEST", "PENDING"), job("moves", "TEST", "PENDING")]}),
    )
    .await;
    let cursor = app.data("{ changeCursor }", json!({})).await["changeCursor"].clone();
    assert_eq!(
        repository_jobs(&app, json!({"changedAfter": cursor})).await,
        Ok(vec![])
    );
    app.data(
        SUBMIT,
        json!({"jobs": [job("moves", "TEST", "RUNNING"), job("new", "TEST", "PENDING")]}),
    )
    .await;
    assert_eq!(
        repository_jobs(&app, json!({"changedAfter": cursor})).await,
        Ok(vec!["moves".to_owned(), "new".to_owned()])
    );
    for bad in ["soon", "99999999"] {
        assert_eq!(
            repository_jobs(&app, json!({"changedAfter": bad})).await,
            Err("BAD_USER_INPUT".to_owned())
        );
    }
}

/// A job in a list is written from its row (`types/job_node.rs`) while `job(guid:)` resolves
/// it field by field: the two must answer alike, for every way a selection can be written
/// (aliases, fragments on Job and on Node, `__typename`, a key asked twice, fields off the
/// row, a classification preloaded with the list).
#[tokio::test]
async fn a_job_in_a_list_answers_as_the_same_job_alone() {
    let app = app_with_push().await;
    let input = json!([
        {"guid": "f1", "repository": "try", "revision": revision(1), "kind": "TEST",
         "name": "test-linux64/opt-mochitest-1", "symbol": "M1", "groupSymbol": "M",
         "platform": "linux64", "state": "COMPLETED", "result": "TESTFAILED", "tier": 1,
         "machine": "m-1", "startedAt": "2026-11-25T10:01:00Z", "attributes": {"chunk": 1}},
        {"guid": "f2", "repository": "try", "revision": revision(1), "kind": "BUILD",
         "name": "build-linux64/opt", "state": "PENDING"}
    ]);
    app.data(SUBMIT, json!({"jobs": input})).await;
    app.data(
        "mutation { classifyJobs(input: {jobs: [\"f1\"], classification: INTERMITTENT, bugs: [12, 3]}) { jobs { guid } } }",
        json!({}),
    )
    .await;
    let selection = "__typename id guid kind label: name symbol groupSymbol groupName platform
        buildSystem state result tier machine submittedAt startedAt finishedAt attributes
        ... on Job { guid tier } ... on Node { id } ...More
        classification { classification } classification { bugs }
        push { pushId } repository { name }";
    let fragment = "fragment More on Job { push { revision } dependencies { kind } }";
    let list = app
        .data(
            &format!(
                "{{ push(repository: \"try\", revision: \"{}\") {{ jobs(first: 10) {{
                     nodes {{ {selection} }} edges {{ node {{ {selection} }} }} }} }} }} {fragment}",
                revision(1)
            ),
            json!({}),
        )
        .await;
    let nodes = list["push"]["jobs"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    for (i, node) in nodes.iter().enumerate() {
        let guid = node["guid"].as_str().unwrap();
        let alone = app
            .data(
                &format!("{{ job(guid: \"{guid}\") {{ {selection} }} }} {fragment}"),
                json!({}),
            )
            .await;
        assert_eq!(node, &alone["job"], "{guid}");
        assert_eq!(&list["push"]["jobs"]["edges"][i]["node"], node);
        // The order of the keys is the query's, as alone.
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(node), keys(&alone["job"]));
    }
    assert_eq!(
        nodes[1]["classification"],
        json!({"classification": "INTERMITTENT", "bugs": [3, 12]})
    );
    assert_eq!(nodes[0]["classification"], Value::Null);
}
