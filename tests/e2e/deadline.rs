//! A request that runs past its deadline is stopped and answered `TIMEOUT`, other clients are
//! served meanwhile, and on PostgreSQL no statement of it is left running.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use treeherd_tests::{TestApp, error_code, revision};

const DEADLINE: Duration = Duration::from_millis(20);

/// The statements running for `app`'s database now, other than the one asking.
fn running_statements(app: &TestApp) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Running {
        #[diesel(sql_type = diesel::sql_types::Text)]
        query: String,
    }
    let mut conn = diesel::PgConnection::establish(app.database_url()).expect("connect");
    diesel::sql_query(
        "SELECT query FROM pg_stat_activity WHERE datname = current_database() \
         AND state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend' \
         AND query NOT LIKE 'LISTEN%'",
    )
    .load::<Running>(&mut conn)
    .expect("pg_stat_activity")
    .into_iter()
    .map(|r| r.query)
    .collect()
}

/// 1,000 jobs on `try`'s revision 1, in batches of 100.
async fn submit_a_thousand_jobs(app: &TestApp) {
    for batch in 0..10 {
        let jobs: Vec<Value> = (0..100)
            .map(|i| {
                json!({"guid": format!("j{batch}-{i}"), "repository": "try", "revision": revision(1),
                       "kind": "TEST", "name": format!("test {i}"), "state": "PENDING"})
            })
            .collect();
        app.data(
            "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
            json!({"j": jobs}),
        )
        .await;
    }
}

#[tokio::test]
async fn a_request_past_its_deadline_is_stopped_and_leaves_no_statement_running() {
    let app = TestApp::spawn().await;
    app.create_repository("try", &[]).await;
    app.data(
        "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
        json!({"p": {"repository": "try", "revision": revision(1), "author": "a@example.com",
                     "pushedAt": "2026-11-20T10:00:00Z"}}),
    )
    .await;
    submit_a_thousand_jobs(&app).await;
    // A second server on the same database, whose deadline is short.
    let tight = TestApp::spawn_beside_with(&app, |config| config.request_deadline = DEADLINE).await;
    // Within the cost limit, and far more than the deadline allows: 45 aliases of 1,000 jobs
    // of 11 fields (half a million fields).
    let aliases: String = (0..45)
        .map(|n| {
            format!(
                "a{n}: jobs(repository: \"try\", first: 1000) {{ nodes {{ guid name symbol \
                 groupSymbol platform state result tier kind buildSystem machine }} }} "
            )
        })
        .collect();
    let started = Instant::now();
    let heavy = {
        let (client, url) = (tight.client.clone(), format!("{}/graphql", tight.address));
        let query = format!("{{ {aliases} }}");
        tokio::spawn(async move {
            let response = client
                .post(url)
                .json(&json!({"query": query}))
                .send()
                .await
                .expect("an answer");
            let took = started.elapsed();
            let answer: Value = response.json().await.expect("JSON");
            (answer, took)
        })
    };
    // Another client is served meanwhile.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let light = Instant::now();
    tight.graphql("{ repositories { name } }", json!({})).await;
    let light = light.elapsed();
    let (answer, took) = heavy.await.unwrap();
    assert_eq!(error_code(&answer), "TIMEOUT", "{answer}");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("deadline"),
        "{answer}"
    );
    assert!(
        took < DEADLINE + Duration::from_millis(700),
        "answered at its deadline, not when its work ended: {took:?}"
    );
    assert!(
        light < Duration::from_secs(1),
        "the other client waited {light:?}"
    );
    if treeherd_tests::postgres_url().is_some() {
        let mut left = running_statements(&tight);
        for _ in 0..20 {
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            left = running_statements(&tight);
        }
        assert!(
            left.is_empty(),
            "statements outlived their request: {left:?}"
        );
    }
}

/// Waits up to a second for `app`'s database to run no statement of a request.
async fn no_statement_left(app: &TestApp) -> Vec<String> {
    let mut left = running_statements(app);
    for _ in 0..20 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        left = running_statements(app);
    }
    left
}

#[tokio::test]
async fn a_request_given_up_cancels_its_statement_and_the_connection_serves_on() {
    if treeherd_tests::postgres_url().is_none() {
        treeherd_testkit::skip(
            "TREEHERD_REQUIRE_POSTGRES",
            "TREEHERD_TEST_POSTGRES_URL names no PostgreSQL server",
        );
        return;
    }
    let app = TestApp::spawn().await;
    let store = app.store().clone();
    // A client's request (bounded, as the GraphQL route runs it) of a 30 s statement, given
    // up after 200 ms, as when its client goes away.
    let given_up = tokio::time::timeout(
        Duration::from_millis(200),
        treeherd_store::Store::bounded(4, store.sleep_in_database(30.0)),
    )
    .await;
    assert!(given_up.is_err(), "the statement ended by itself");
    let left = no_statement_left(&app).await;
    assert!(
        left.is_empty(),
        "the statement outlived its request: {left:?}"
    );
    // Every pooled connection still serves (none was left broken or mid-statement).
    for _ in 0..16 {
        app.graphql("{ repositories { name } }", json!({})).await;
    }
    // Work outside a client's request is not cancelled when its caller stops waiting.
    let _ = tokio::time::timeout(Duration::from_millis(100), store.sleep_in_database(0.5)).await;
    assert_eq!(running_statements(&app).len(), 1);
}

#[tokio::test]
async fn a_request_whose_client_disconnects_stops_and_leaves_no_statement_running() {
    let app = TestApp::spawn_with(|config| config.request_deadline = Duration::from_secs(60)).await;
    app.create_repository("try", &[]).await;
    submit_a_thousand_jobs(&app).await;
    // Seconds of work, from a client that leaves after 300 ms: 45 pages of 1,000 jobs, each
    // job with fields off its row (its push and repository through loaders, its attributes),
    // so every job is resolved on its own.
    let aliases: String = (0..45)
        .map(|n| {
            format!(
                "a{n}: jobs(repository: \"try\", first: 1000) {{ nodes {{ guid attributes \
                 repository {{ name }} push {{ pushId revision }} dependencies {{ kind }} }} }} "
            )
        })
        .collect();
    let leaving = reqwest::Client::new();
    let sent = leaving
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": format!("query Heavy {{ {aliases} }}")}))
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(sent.is_err(), "the heavy request was answered in 300 ms");
    drop(leaving);
    // The server saw it go (a 499 in its metrics) well before the work would have ended.
    let gone = "treeherd_http_request_duration_seconds_count{route=\"/graphql\",method=\"POST\",status=\"499\"} 1";
    let mut seen = false;
    for _ in 0..40 {
        let metrics = app.metrics().await;
        if metrics.contains(gone) {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        seen,
        "the server did not stop the request of a client that left"
    );
    if treeherd_tests::postgres_url().is_some() {
        let left = no_statement_left(&app).await;
        assert!(
            left.is_empty(),
            "statements outlived their request: {left:?}"
        );
    }
}
