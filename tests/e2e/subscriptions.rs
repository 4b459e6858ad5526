//! Subscriptions over WebSocket (`graphql-transport-ws`): events of their repository, once
//! and in order; resuming after a cursor; refusals (an unknown repository, a bad cursor);
//! and across servers on one database, including a PostgreSQL listener killed server-side.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::builders::app_with_push;
use treeherd_testkit::documents::{SUBMIT, job};

async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match socket
            .next()
            .await
            .expect("socket open")
            .expect("a message")
        {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

/// A socket with `query` subscribed as id "1".
pub(crate) async fn subscribe(
    app: &treeherd_tests::TestApp,
    query: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    subscribe_with(app, query, json!({})).await
}

/// A socket past `connection_init`.
async fn connect(
    app: &treeherd_tests::TestApp,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = format!("ws://127.0.0.1:{}/graphql", app.port)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(Message::text(
            json!({"type": "connection_init"}).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
}

/// The cursor of the newest change: what a client reads before what it shows.
pub(crate) async fn change_cursor(app: &treeherd_tests::TestApp) -> String {
    app.data("{ changeCursor }", json!({})).await["changeCursor"]
        .as_str()
        .expect("a cursor")
        .to_owned()
}

/// The next `next` message's data, within `seconds`.
pub(crate) async fn heard<S>(socket: &mut S, seconds: u64) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let message = tokio::time::timeout(Duration::from_secs(seconds), next_json(socket))
        .await
        .expect("an event in time");
    assert_eq!(message["type"], "next", "{message}");
    message["payload"]["data"].clone()
}

/// Nothing more arrives within a moment.
async fn hears_nothing<S>(socket: &mut S)
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let more = tokio::time::timeout(Duration::from_millis(1500), next_json(socket)).await;
    assert!(more.is_err(), "nothing more, got {more:?}");
}

async fn submit_job(app: &treeherd_tests::TestApp, guid: &str, state: &str) {
    app.data(SUBMIT, json!({"jobs": [job(guid, "TEST", state)]}))
        .await;
}

const JOBS_AFTER: &str = "subscription($after: String) {
    jobChanged(repository: \"try\", after: $after) { cursor job { guid state } } }";

/// A socket with `query` subscribed as id "1", with `variables`.
async fn subscribe_with(
    app: &treeherd_tests::TestApp,
    query: &str,
    variables: Value,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut socket = connect(app).await;
    socket
        .send(Message::text(
            json!({"id": "1", "type": "subscribe",
                   "payload": {"query": query, "variables": variables}})
            .to_string(),
        ))
        .await
        .unwrap();
    socket
}

#[tokio::test]
async fn subscribers_receive_jobs_of_their_repository_as_they_are_written() {
    let app = app_with_push().await;
    app.create_repository("other", &[]).await;
    let cursor = change_cursor(&app).await;
    let mut socket = subscribe_with(&app, JOBS_AFTER, json!({"after": cursor})).await;
    let other = json!({"jobs": [{"guid": "other-1", "repository": "other",
                                 "kind": "BUILD", "name": "b", "state": "PENDING"}]});
    app.data(SUBMIT, other).await;
    submit_job(&app, "t1", "RUNNING").await;
    let event = heard(&mut socket, 10).await["jobChanged"].clone();
    assert_eq!(
        event["job"],
        json!({"guid": "t1", "state": "RUNNING"}),
        "only jobs of try are delivered: {event}"
    );
    assert!(
        event["cursor"].as_str().unwrap().parse::<i64>().unwrap() > cursor.parse::<i64>().unwrap()
    );
    // A version the lifecycle refuses (a state moving back) is not news.
    submit_job(&app, "t1", "PENDING").await;
    hears_nothing(&mut socket).await;
}

#[tokio::test]
async fn subscribers_hear_of_new_pushes_once() {
    let app = app_with_push().await;
    let cursor = change_cursor(&app).await;
    let mut socket = subscribe_with(
        &app,
        "subscription($after: String) { pushAdded(repository: \"try\", after: $after) {
            cursor push { pushId revision } } }",
        json!({"after": cursor}),
    )
    .await;
    let push = |n: u64| {
        json!({"p": {"repository": "try", "revision": treeherd_tests::revision(n), "author": "a@example.com",
                     "pushedAt": "2026-11-25T10:00:00Z"}})
    };
    let submit = "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }";
    // A push stored again is not news.
    app.data(submit, push(100)).await;
    app.data(submit, push(100)).await;
    app.data(submit, push(101)).await;
    for n in [100, 101] {
        let event = heard(&mut socket, 10).await;
        assert_eq!(
            event["pushAdded"]["push"]["revision"],
            treeherd_tests::revision(n),
            "{event}"
        );
    }
    hears_nothing(&mut socket).await;
}

#[tokio::test]
async fn a_subscriber_resuming_after_its_cursor_misses_nothing_and_hears_nothing_twice() {
    let app = app_with_push().await;
    let mut socket = subscribe_with(
        &app,
        JOBS_AFTER,
        json!({"after": change_cursor(&app).await}),
    )
    .await;
    submit_job(&app, "j1", "PENDING").await;
    let first = heard(&mut socket, 10).await["jobChanged"].clone();
    assert_eq!(first["job"]["guid"], "j1");
    // The tab sleeps: its socket goes, and jobs are written meanwhile.
    drop(socket);
    submit_job(&app, "j2", "PENDING").await;
    submit_job(&app, "j1", "RUNNING").await;
    submit_job(&app, "j3", "PENDING").await;
    let mut socket = subscribe_with(&app, JOBS_AFTER, json!({"after": first["cursor"]})).await;
    let mut resumed = Vec::new();
    for _ in 0..3 {
        let event = heard(&mut socket, 10).await["jobChanged"].clone();
        resumed.push(event["job"]["guid"].as_str().unwrap().to_owned());
    }
    assert_eq!(resumed, ["j2", "j1", "j3"], "in commit order, from the log");
    // Then live, and nothing twice.
    submit_job(&app, "j4", "PENDING").await;
    assert_eq!(
        heard(&mut socket, 10).await["jobChanged"]["job"]["guid"],
        "j4"
    );
    hears_nothing(&mut socket).await;
}

#[tokio::test]
async fn a_cursor_that_is_not_one_or_is_from_elsewhere_is_refused() {
    let app = app_with_push().await;
    for after in ["soon", "-1", "99999999999"] {
        let mut socket = subscribe_with(&app, JOBS_AFTER, json!({"after": after})).await;
        let first = tokio::time::timeout(Duration::from_secs(10), next_json(&mut socket))
            .await
            .expect("an answer");
        assert_eq!(
            first["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{after}: {first}"
        );
    }
}

#[tokio::test]
async fn a_change_written_through_one_server_reaches_the_subscribers_of_another() {
    let one = app_with_push().await;
    let two = treeherd_tests::TestApp::spawn_beside(&one).await;
    let mut socket = subscribe_with(
        &two,
        JOBS_AFTER,
        json!({"after": change_cursor(&two).await}),
    )
    .await;
    submit_job(&one, "through-one", "PENDING").await;
    let event = heard(&mut socket, 10).await;
    assert_eq!(event["jobChanged"]["job"]["guid"], "through-one");
    hears_nothing(&mut socket).await;
}

#[tokio::test]
async fn a_replica_whose_listener_is_killed_reconnects_and_loses_no_event() {
    if treeherd_tests::postgres_url().is_none() {
        treeherd_testkit::skip(
            "TREEHERD_REQUIRE_POSTGRES",
            "TREEHERD_TEST_POSTGRES_URL names no PostgreSQL server",
        );
        return;
    }
    let one = app_with_push().await;
    let two = treeherd_tests::TestApp::spawn_beside(&one).await;
    let mut socket = subscribe_with(
        &two,
        JOBS_AFTER,
        json!({"after": change_cursor(&two).await}),
    )
    .await;
    let killed = listeners(&one, true);
    assert!(killed >= 2, "both servers listen: {killed}");
    for n in 0..20 {
        submit_job(&one, &format!("while-{n}"), "PENDING").await;
    }
    for n in 0..20 {
        let event = heard(&mut socket, 10).await;
        assert_eq!(event["jobChanged"]["job"]["guid"], format!("while-{n}"));
    }
    // Both listen again (a new connection each).
    let mut listening = 0;
    for _ in 0..100 {
        listening = listeners(&one, false);
        if listening >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(listening >= 2, "the listeners reconnect: {listening}");
    submit_job(&one, "after", "PENDING").await;
    assert_eq!(
        heard(&mut socket, 10).await["jobChanged"]["job"]["guid"],
        "after"
    );
    hears_nothing(&mut socket).await;
}

/// The change listeners connected to `app`'s database; terminated first if `kill`.
fn listeners(app: &treeherd_tests::TestApp, kill: bool) -> usize {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Listener {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Bool>)]
        _terminated: Option<bool>,
    }
    let mut conn = diesel::PgConnection::establish(app.database_url()).expect("connect");
    let action = if kill {
        "pg_terminate_backend(pid)"
    } else {
        "TRUE"
    };
    let rows: Vec<Listener> = diesel::sql_query(format!(
        "SELECT {action} AS _terminated FROM pg_stat_activity \
         WHERE application_name = '{}' AND datname = current_database()",
        treeherd_store::LISTENER_APPLICATION_NAME
    ))
    .load(&mut conn)
    .expect("pg_stat_activity");
    rows.len()
}

#[tokio::test]
async fn a_subscription_to_a_repository_that_does_not_exist_is_refused() {
    let app = app_with_push().await;
    for query in [
        "subscription { jobChanged(repository: \"tyr\") { job { guid } } }",
        "subscription { pushAdded(repository: \"tyr\") { push { pushId } } }",
    ] {
        let mut socket = subscribe(&app, query).await;
        let first = tokio::time::timeout(Duration::from_secs(10), next_json(&mut socket))
            .await
            .expect("an answer to the subscription");
        // async-graphql answers an operation that fails at its start with one `next` holding
        // the errors, then `complete` (it never sends the protocol's `error` message).
        assert_eq!(first["id"], "1", "{first}");
        assert_eq!(first["type"], "next", "{first}");
        assert_eq!(first["payload"]["data"], Value::Null, "{first}");
        let errors = &first["payload"]["errors"];
        assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{first}");
        assert!(
            errors[0]["message"].as_str().unwrap().contains("\"tyr\""),
            "{first}"
        );
        // The operation is over: nothing more will come on it.
        let done = tokio::time::timeout(Duration::from_secs(10), next_json(&mut socket))
            .await
            .expect("the subscription completes");
        assert_eq!(done, json!({"id": "1", "type": "complete"}));
    }
}
