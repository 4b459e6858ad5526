//! The hg pushlog: the fixture's json-pushes synced exactly, in pages, resumed, with a
//! reset, a failing and a slow server noticed; placeholders filled in; and the pushlog read
//! back through GraphQL (filters, prefixes, status, neighbours).

use serde_json::{Value, json};
use std::time::Duration;
use treeherd_service::pushlog::hg::{SyncError, SyncOptions, Synced, sync_repository};
use treeherd_service::{Changes, Service};
use treeherd_tests::{TestApp, error_code};

use crate::hg_server::HgServer;

fn fixture_page() -> Option<Value> {
    let path = treeherd_testkit::fixture("treeherder/hg_pushlog.json")?;
    Some(serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
}

/// A server on a fresh database with an hg repository `inbound` whose pushlog is `hg`.
async fn app_following(hg: &HgServer) -> TestApp {
    let app = TestApp::spawn().await;
    app.data(
        "mutation($i: RepositoryInput!) { createRepository(input: $i) { name } }",
        json!({"i": {"name": "inbound", "vcs": "HG", "url": hg.url}}),
    )
    .await;
    app
}

fn quick() -> SyncOptions {
    SyncOptions {
        page: 200,
        timeout: Duration::from_secs(5),
        attempts: 3,
        backoff: Duration::from_millis(10),
    }
}

async fn sync(app: &TestApp, options: &SyncOptions) -> Result<Synced, SyncError> {
    let repository = app
        .store()
        .existing_repository("inbound".into())
        .await
        .unwrap();
    sync_repository(
        &Service::new(app.store().clone(), Changes::default()),
        &reqwest::Client::new(),
        &repository,
        options,
    )
    .await
}

const PUSHES: &str = "query($after: String) { repository(name: \"inbound\") { pushes(first: 100, after: $after) {
    nodes { pushId revision author pushedAt commits { revision author message branch tags } } } } }";

async fn stored_pushes(app: &TestApp) -> Vec<Value> {
    let data = app.data(PUSHES, json!({})).await;
    data["repository"]["pushes"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_fixture_pushlog_lands_exactly_and_a_second_sync_resumes() {
    let Some(page) = fixture_page() else { return };
    let hg = HgServer::start(&page).await;
    let app = app_following(&hg).await;

    let synced = sync(&app, &quick()).await.unwrap();
    assert_eq!(
        (synced.pushes, synced.empty, synced.last_push_id),
        (10, 0, 33277)
    );

    let stored = stored_pushes(&app).await;
    let ids: Vec<i64> = stored
        .iter()
        .map(|p| p["pushId"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        (33268..=33277).rev().collect::<Vec<_>>(),
        "newest first"
    );
    for push in &stored {
        let id = push["pushId"].to_string();
        let source = &page["pushes"][&id];
        let changesets = source["changesets"].as_array().unwrap();
        assert_eq!(push["author"], source["user"], "push {id}");
        assert_eq!(
            push["revision"],
            changesets.last().unwrap()["node"],
            "push {id}: the tip is the last changeset"
        );
        let expected: Vec<Value> = changesets
            .iter()
            .map(|c| {
                json!({"revision": c["node"], "author": c["author"], "message": c["desc"],
                             "branch": c["branch"], "tags": c["tags"]})
            })
            .collect();
        assert_eq!(push["commits"], json!(expected), "commits of push {id}");
        let seconds = chrono::DateTime::parse_from_rfc3339(push["pushedAt"].as_str().unwrap())
            .unwrap()
            .timestamp();
        assert_eq!(json!(seconds), source["date"], "push {id}");
    }
    assert_eq!(
        stored[5]["commits"].as_array().unwrap().len(),
        3,
        "push 33272"
    );

    // Resumed from the last push: one request, nothing new.
    hg.with(|b| b.requests.clear());
    let again = sync(&app, &quick()).await.unwrap();
    assert_eq!((again.pushes, again.last_push_id), (0, 33277));
    let requests = hg.with(|b| b.requests.clone());
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].contains("version=2&full=1&startID=33277&endID=33477"),
        "{requests:?}"
    );
}

#[tokio::test]
async fn pages_are_bounded_and_new_pushes_arrive_in_order() {
    let Some(page) = fixture_page() else { return };
    let hg = HgServer::start(&page).await;
    hg.with(|b| b.last_push_id = Some(33270));
    let app = app_following(&hg).await;
    assert_eq!(sync(&app, &quick()).await.unwrap().last_push_id, 33270);

    hg.with(|b| {
        b.last_push_id = None;
        b.requests.clear();
    });
    let paged = SyncOptions { page: 3, ..quick() };
    let synced = sync(&app, &paged).await.unwrap();
    assert_eq!((synced.pushes, synced.last_push_id), (7, 33277));
    let requests = hg.with(|b| b.requests.clone());
    let ranges: Vec<&str> = requests
        .iter()
        .map(|r| r.split_once("startID=").unwrap().1)
        .collect();
    assert_eq!(
        ranges,
        [
            "33270&endID=33273",
            "33273&endID=33276",
            "33276&endID=33279"
        ]
    );
    assert_eq!(stored_pushes(&app).await.len(), 10);
}

#[tokio::test]
async fn a_reset_repository_is_noticed_and_nothing_is_stored() {
    let Some(page) = fixture_page() else { return };
    let hg = HgServer::start(&page).await;
    let app = app_following(&hg).await;
    sync(&app, &quick()).await.unwrap();

    hg.with(|b| {
        b.pushes.clear();
        b.pushes.insert(
            "1".into(),
            json!({"date": 1, "user": "x@example.com", "changesets": [{"node": "a".repeat(40), "author": "X <x@example.com>", "desc": "new root"}]}),
        );
    });
    let error = sync(&app, &quick()).await.unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::WentBackwards {
                server: 1,
                stored: 33277,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("reset"), "{error}");
    assert_eq!(stored_pushes(&app).await.len(), 10);
}

#[tokio::test]
async fn a_failing_server_is_retried_and_a_dead_or_slow_one_is_reported() {
    let Some(page) = fixture_page() else { return };
    let hg = HgServer::start(&page).await;
    let app = app_following(&hg).await;

    hg.with(|b| b.failures = 2);
    assert_eq!(
        sync(&app, &quick()).await.unwrap().pushes,
        10,
        "third attempt"
    );

    hg.with(|b| {
        b.failures = 100;
        b.pushes
            .insert("33278".into(), page["pushes"]["33277"].clone());
    });
    let error = sync(&app, &quick()).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(&hg.url) && text.contains("HTTP 500") && text.contains("3 attempts"),
        "{text}"
    );

    hg.with(|b| {
        b.failures = 0;
        b.delay = Duration::from_millis(500);
    });
    let impatient = SyncOptions {
        timeout: Duration::from_millis(100),
        attempts: 1,
        ..quick()
    };
    let error = sync(&app, &impatient).await.unwrap_err();
    assert!(error.to_string().contains("no answer within"), "{error}");
    assert_eq!(stored_pushes(&app).await.len(), 10, "nothing half-stored");
}

#[tokio::test]
async fn pushes_without_changesets_are_skipped() {
    let Some(mut page) = fixture_page() else {
        return;
    };
    page["pushes"]["33278"] =
        json!({"date": 1378300000, "user": "x@example.com", "changesets": []});
    let hg = HgServer::start(&page).await;
    let app = app_following(&hg).await;
    let synced = sync(&app, &quick()).await.unwrap();
    assert_eq!((synced.pushes, synced.empty), (10, 1));
}

#[tokio::test]
async fn the_server_polls_by_itself_when_told_to() {
    let Some(page) = fixture_page() else { return };
    let hg = HgServer::start(&page).await;
    let app = TestApp::spawn_with(|config| {
        config.pushlog_interval = Some(Duration::from_millis(100));
    })
    .await;
    app.data(
        "mutation($i: RepositoryInput!) { createRepository(input: $i) { name } }",
        json!({"i": {"name": "inbound", "vcs": "HG", "url": hg.url}}),
    )
    .await;
    for _ in 0..100 {
        if stored_pushes(&app).await.len() == 10 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the poller did not bring the pushlog within 10 s");
}

#[tokio::test]
async fn three_servers_poll_a_repository_once_per_interval_and_take_over_a_dead_claim() {
    let Some(page) = fixture_page() else { return };
    let hg = HgServer::start(&page).await;
    let every = Duration::from_secs(1);
    let one = TestApp::spawn_with(|config| config.pushlog_interval = Some(every)).await;
    let others = [
        TestApp::spawn_beside_with(&one, |config| config.pushlog_interval = Some(every)).await,
        TestApp::spawn_beside_with(&one, |config| config.pushlog_interval = Some(every)).await,
    ];
    one.data(
        "mutation($i: RepositoryInput!) { createRepository(input: $i) { name } }",
        json!({"i": {"name": "inbound", "vcs": "HG", "url": hg.url}}),
    )
    .await;
    for _ in 0..100 {
        if stored_pushes(&one).await.len() == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored_pushes(&others[1]).await.len(), 10);
    // Up to date, a poll is one request: one server polls per interval, not three.
    hg.with(|b| b.requests.clear());
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let polls = hg.with(|b| b.requests.len());
    assert!(
        (2..=5).contains(&polls),
        "{polls} polls in 3.5 s at one per second by any of three servers"
    );
    // A server that claims the next poll and dies leaves it to the others after its claim.
    let repository = one
        .store()
        .repository("inbound".into())
        .await
        .unwrap()
        .unwrap()
        .id;
    let dead_claim = loop {
        let now = chrono::Utc::now().timestamp_micros();
        if one
            .store()
            .claim_pushlog_poll(repository, now, 2_500_000)
            .await
            .unwrap()
        {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    hg.with(|b| b.requests.clear());
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        hg.with(|b| b.requests.len()),
        0,
        "claimed by a server that died"
    );
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(
        hg.with(|b| b.requests.len()) >= 1,
        "taken over once the claim ran out ({} s after it)",
        (chrono::Utc::now().timestamp_micros() - dead_claim) / 1_000_000
    );
}

#[tokio::test]
async fn jobs_that_named_a_revision_first_join_their_push_when_it_arrives() {
    let Some(page) = fixture_page() else { return };
    let hg = HgServer::start(&page).await;
    let app = app_following(&hg).await;
    // 33272 holds three commits: one job names its tip, another its first commit.
    let commits = page["pushes"]["33272"]["changesets"].as_array().unwrap();
    let (first, tip) = (&commits[0]["node"], &commits[2]["node"]);
    let submit = "mutation($jobs: [JobInput!]!) { submitJobs(input: $jobs) { jobs { guid } } }";
    let job = |guid: &str, revision: &Value| {
        json!({"guid": guid, "repository": "inbound", "revision": revision, "kind": "BUILD",
               "name": "build", "state": "PENDING"})
    };
    app.data(
        submit,
        json!({"jobs": [job("at-tip", tip), job("at-first", first)]}),
    )
    .await;
    assert_eq!(
        stored_pushes(&app).await.len(),
        0,
        "placeholders are no pushes"
    );

    sync(&app, &quick()).await.unwrap();
    assert_eq!(
        stored_pushes(&app).await.len(),
        10,
        "filled in, not duplicated"
    );
    for guid in ["at-tip", "at-first"] {
        let data = app
            .data(
                "query($g: String!) { job(guid: $g) { push { pushId revision } } }",
                json!({"g": guid}),
            )
            .await;
        assert_eq!(
            data["job"]["push"],
            json!({"pushId": 33272, "revision": tip}),
            "{guid}"
        );
    }
    let status = app
        .data(
            "query($r: String!) { push(repository: \"inbound\", revision: $r) { status { total pending success } } }",
            json!({"r": tip}),
        )
        .await;
    assert_eq!(
        status["push"]["status"],
        json!({"total": 2, "pending": 2, "success": 0})
    );
}

#[tokio::test]
async fn pushes_are_found_by_prefix_filtered_and_linked_to_their_neighbours() {
    let Some(page) = fixture_page() else { return };
    let hg = HgServer::start(&page).await;
    let app = app_following(&hg).await;
    sync(&app, &quick()).await.unwrap();
    let commits = page["pushes"]["33272"]["changesets"].as_array().unwrap();
    let middle = commits[1]["node"].as_str().unwrap();
    let by = |revision: &str| json!({"r": revision});
    let find = "query($r: String!) { push(repository: \"inbound\", revision: $r) {
        pushId previous { pushId } next { pushId } } }";

    let found = app.data(find, by(&middle[..12])).await;
    assert_eq!(
        found["push"],
        json!({"pushId": 33272, "previous": {"pushId": 33271}, "next": {"pushId": 33273}})
    );
    let found = app.data(find, by(&middle.to_uppercase())).await;
    assert_eq!(found["push"]["pushId"], 33272);
    let newest = app
        .data(
            find,
            by(page["pushes"]["33277"]["changesets"][0]["node"]
                .as_str()
                .unwrap()),
        )
        .await;
    assert_eq!(newest["push"]["next"], Value::Null);
    assert_eq!(
        app.data(find, by(&"0".repeat(12))).await["push"],
        Value::Null
    );
    let short = app.graphql(find, by(&middle[..11])).await;
    assert_eq!(error_code(&short), "BAD_USER_INPUT");
    let not_hex = app.graphql(find, by("zzzzzzzzzzzzzz")).await;
    assert_eq!(error_code(&not_hex), "BAD_USER_INPUT");

    // Filters: by author (nobody else pushed), and by time.
    let list = "query($author: String, $since: DateTime, $until: DateTime) { repository(name: \"inbound\") {
        pushes(first: 100, author: $author, since: $since, until: $until) { nodes { pushId } } } }";
    let ids = |data: Value| -> Vec<i64> {
        data["repository"]["pushes"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["pushId"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(app.data(list, json!({"author": "jdoe@mozilla.com"})).await).len(),
        10
    );
    assert!(ids(app.data(list, json!({"author": "someone@else"})).await).is_empty());
    // 33270 was pushed at 1378288232, 33273 at 1378294000 or so: since is inclusive.
    let at = |id: &str| {
        let secs = page["pushes"][id]["date"].as_i64().unwrap();
        chrono::DateTime::from_timestamp(secs, 0)
            .unwrap()
            .to_rfc3339()
    };
    assert_eq!(
        ids(app
            .data(list, json!({"since": at("33270"), "until": at("33273")}))
            .await),
        [33272, 33271, 33270]
    );
}
