//! The pushlog over plain HTTP: `json-pushes` served the way hg serves it (and read back by
//! our own importer), and GitHub push webhooks with their signatures.

use serde_json::{Value, json};
use treeherd_pushlog::{parse_json_pushes, sign_github_body, unwrap_taskcluster_message};
use treeherd_tests::TestApp;

const SECRET: &str = "hush";

fn fixture(name: &str) -> Option<Value> {
    let path = treeherd_testkit::fixture(name)?;
    Some(serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
}

async fn create(app: &TestApp, name: &str, vcs: &str, url: &str, branch: Option<&str>) {
    app.data(
        "mutation($i: RepositoryInput!) { createRepository(input: $i) { name } }",
        json!({"i": {"name": name, "vcs": vcs, "url": url, "branch": branch}}),
    )
    .await;
}

/// Stores the fixture's pushes through `submitPush`, as any producer would.
async fn app_with_fixture_pushes(page: &Value) -> TestApp {
    let app = TestApp::spawn().await;
    create(&app, "central", "HG", "https://hg.example/central", None).await;
    let parsed = parse_json_pushes(page.to_string().as_bytes()).unwrap();
    for push in parsed.pushes {
        let commits: Vec<Value> = push
            .commits
            .iter()
            .map(|c| {
                json!({"revision": c.revision.as_str(), "author": c.author, "message": c.message,
                             "branch": c.branch, "tags": c.tags, "files": c.files,
                             "parents": c.parents.iter().map(|p| p.as_str()).collect::<Vec<_>>()})
            })
            .collect();
        let at = chrono::DateTime::from_timestamp_micros(push.pushed_at).unwrap();
        app.data(
            "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
            json!({"p": {"repository": "central", "pushId": push.push_id, "revision": push.revision.as_str(),
                         "author": push.author, "pushedAt": at.to_rfc3339(), "commits": commits}}),
        )
        .await;
    }
    app
}

async fn get(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}/api/central/json-pushes?{query}", app.address))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn json_pushes_answers_as_hg_does_and_round_trips_through_our_importer() {
    let Some(page) = fixture("treeherder/hg_pushlog.json") else {
        return;
    };
    let app = app_with_fixture_pushes(&page).await;

    // Everything, as the fixture itself was asked for: identical once both are parsed.
    let (status, served) = get(&app, "version=2&full=1&startID=33267&endID=33277").await;
    assert_eq!(status, 200);
    assert_eq!(
        parse_json_pushes(served.to_string().as_bytes()).unwrap(),
        parse_json_pushes(page.to_string().as_bytes()).unwrap()
    );
    assert_eq!(served["lastpushid"], 33277);
    assert_eq!(served["pushes"]["33272"]["user"], "jdoe@mozilla.com");

    let ids = |v: &Value| -> Vec<i64> {
        let pushes = v.get("pushes").unwrap_or(v);
        let mut ids: Vec<i64> = pushes
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.parse().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let tip = |id: &str| {
        page["pushes"][id]["changesets"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["node"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first_of_33272 = page["pushes"]["33272"]["changesets"][0]["node"]
        .as_str()
        .unwrap()
        .to_owned();
    for (query, expected) in [
        // No range: the newest ten; version 1 is the bare pushes object.
        ("", (33268..=33277).collect::<Vec<_>>()),
        ("startID=33275", vec![33276, 33277]),
        ("endID=33269", vec![33268, 33269]),
        ("startID=33270&endID=33272", vec![33271, 33272]),
        (&format!("changeset={}", &first_of_33272[..12]), vec![33272]),
        (
            &format!("fromchange={}", tip("33274")),
            vec![33275, 33276, 33277],
        ),
        (
            &format!("fromchange={}&tochange={}", tip("33270"), tip("33272")),
            vec![33271, 33272],
        ),
    ] {
        let (status, served) = get(&app, query).await;
        assert_eq!(status, 200, "{query}: {served}");
        assert!(served.get("lastpushid").is_none(), "{query}: version 1");
        assert_eq!(ids(&served), expected, "{query}");
    }
    // Without `full`, changesets are bare nodes.
    let (_, brief) = get(&app, "version=2&startID=33276").await;
    assert_eq!(
        brief["pushes"]["33277"]["changesets"],
        json!([tip("33277")])
    );

    for (query, code) in [
        ("version=3", 400),
        ("startID=x", 400),
        ("startID=1&fromchange=abc", 400),
        ("changeset=000000000000", 404),
    ] {
        assert_eq!(get(&app, query).await.0, code, "{query}");
    }
    let missing = app
        .client
        .get(format!("{}/api/nowhere/json-pushes", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

fn github_events() -> Option<Vec<Value>> {
    let messages = fixture("treeherder/pulse/github_push.json")?;
    Some(
        messages
            .as_array()
            .unwrap()
            .iter()
            .map(|m| unwrap_taskcluster_message(m).clone())
            .collect(),
    )
}

async fn deliver(app: &TestApp, body: &[u8], signature: Option<String>) -> (u16, Value) {
    let mut request = app
        .client
        .post(format!("{}/api/webhooks/github", app.address))
        .header("x-github-event", "push")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn signed(app: &TestApp, event: &Value) -> (u16, Value) {
    let body = event.to_string();
    deliver(
        app,
        body.as_bytes(),
        Some(sign_github_body(SECRET.as_bytes(), body.as_bytes())),
    )
    .await
}

#[tokio::test]
async fn github_pushes_are_stored_once_and_only_when_signed() {
    let Some(events) = github_events() else {
        return;
    };
    let app = TestApp::spawn_with(|c| c.github_webhook_secret = Some(SECRET.into())).await;
    // Matched by URL, whatever spelling GitHub uses.
    create(
        &app,
        "android-components",
        "GIT",
        "https://github.com/Mozilla-Mobile/android-components.git",
        None,
    )
    .await;
    let event = &events[0];
    let body = event.to_string();

    assert_eq!(deliver(&app, body.as_bytes(), None).await.0, 401);
    let forged = sign_github_body(b"not the secret", body.as_bytes());
    assert_eq!(deliver(&app, body.as_bytes(), Some(forged)).await.0, 403);
    assert_eq!(
        deliver(&app, body.as_bytes(), Some("sha256=zz".into()))
            .await
            .0,
        403
    );

    let (status, answer) = signed(&app, event).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["pushes"],
        json!([{"pushId": 1, "revision": event["after"]}])
    );
    // GitHub delivers again: the same push, not a second one.
    assert_eq!(signed(&app, event).await.1["pushes"][0]["pushId"], 1);

    let data = app
        .data(
            "{ repository(name: \"android-components\") { pushes(first: 10) { nodes { pushId revision author commits { revision message author parents } } } } }",
            json!({}),
        )
        .await;
    let pushes = data["repository"]["pushes"]["nodes"].as_array().unwrap();
    assert_eq!(pushes.len(), 1);
    let commits = pushes[0]["commits"].as_array().unwrap();
    let sent = event["commits"].as_array().unwrap();
    assert_eq!(commits.len(), sent.len());
    for (stored, sent) in commits.iter().zip(sent) {
        assert_eq!(stored["revision"], sent["id"]);
        assert_eq!(stored["message"], sent["message"]);
    }
    assert_eq!(commits[0]["parents"], json!([event["before"]]));
    assert_eq!(pushes[0]["revision"], event["after"]);

    // Another branch, a deletion, another event: accepted, nothing stored.
    let mut other = event.clone();
    other["ref"] = json!("refs/heads/feature");
    assert_eq!(signed(&app, &other).await.0, 202);
    let mut deleted = event.clone();
    deleted["deleted"] = json!(true);
    deleted["after"] = json!("0".repeat(40));
    deleted["commits"] = json!([]);
    deleted["head_commit"] = Value::Null;
    assert_eq!(signed(&app, &deleted).await.0, 202);
    let ping = app
        .client
        .post(format!("{}/api/webhooks/github", app.address))
        .header("x-github-event", "ping")
        .header(
            "x-hub-signature-256",
            sign_github_body(SECRET.as_bytes(), b"{}"),
        )
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status().as_u16(), 200);
    let data = app
        .data(
            "{ repository(name: \"android-components\") { pushes(first: 10) { nodes { pushId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["repository"]["pushes"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // An unknown repository is named in the answer.
    let mut elsewhere = event.clone();
    for key in [
        "html_url",
        "url",
        "clone_url",
        "git_url",
        "ssh_url",
        "svn_url",
    ] {
        elsewhere["repository"][key] = json!("https://github.com/nobody/nothing");
    }
    let (status, answer) = signed(&app, &elsewhere).await;
    assert_eq!(status, 404, "{answer}");
}

#[tokio::test]
async fn a_forced_push_to_the_followed_branch_is_stored_by_its_head_commit() {
    let Some(events) = github_events() else {
        return;
    };
    let app = TestApp::spawn_with(|c| c.github_webhook_secret = Some(SECRET.into())).await;
    create(
        &app,
        "servo-try",
        "GIT",
        "https://github.com/servo/servo",
        Some("try"),
    )
    .await;
    let event = &events[1];
    assert_eq!(event["forced"], true);
    let (status, answer) = signed(&app, event).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["pushes"][0]["revision"], event["head_commit"]["id"]);
}

#[tokio::test]
async fn without_a_secret_the_webhook_is_off() {
    let app = TestApp::spawn().await;
    assert_eq!(
        deliver(&app, b"{}", Some(sign_github_body(b"x", b"{}")))
            .await
            .0,
        404
    );
}
