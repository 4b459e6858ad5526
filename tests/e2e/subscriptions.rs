//! `jobChanged` and `pushAdded` over WebSocket with the `graphql-transport-ws` protocol, and
//! their refusal of a repository that does not exist.

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
        .send(Message::text(
            json!({"id": "1", "type": "subscribe", "payload": {"query": query}}).to_string(),
        ))
        .await
        .unwrap();
    socket
}

#[tokio::test]
async fn subscribers_receive_jobs_of_their_repository_as_they_are_written() {
    let app = app_with_push().await;
    app.create_repository("other", &[]).await;
    let mut socket = subscribe(
        &app,
        "subscription { jobChanged(repository: \"try\") { guid state } }",
    )
    .await;

    // The subscription is live once a message arrives; until then keep writing (bounded).
    let mut received = None;
    for attempt in 0..50 {
        let other = json!({"jobs": [{"guid": format!("other-{attempt}"), "repository": "other",
                                     "kind": "BUILD", "name": "b", "state": "PENDING"}]});
        app.data(SUBMIT, other).await;
        app.data(
            SUBMIT,
            json!({"jobs": [job(&format!("t{attempt}"), "TEST", "RUNNING")]}),
        )
        .await;
        if let Ok(message) =
            tokio::time::timeout(Duration::from_millis(200), next_json(&mut socket)).await
        {
            received = Some(message);
            break;
        }
    }
    let message = received.expect("a jobChanged message within 50 writes");
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["id"], "1");
    let guid = message["payload"]["data"]["jobChanged"]["guid"]
        .as_str()
        .unwrap();
    assert!(
        guid.starts_with('t'),
        "only jobs of try are delivered, got {guid}"
    );
    assert_eq!(message["payload"]["data"]["jobChanged"]["state"], "RUNNING");
}

#[tokio::test]
async fn subscribers_hear_of_new_pushes_once() {
    let app = app_with_push().await;
    let mut socket = subscribe(
        &app,
        "subscription { pushAdded(repository: \"try\") { pushId revision } }",
    )
    .await;
    let push = |n: u64| {
        json!({"p": {"repository": "try", "revision": treeherd_tests::revision(n), "author": "a@example.com",
                     "pushedAt": "2026-11-25T10:00:00Z"}})
    };
    let submit = "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }";
    // Live once a message arrives; a push stored again (n = 100) is not news.
    let mut received = None;
    for n in 100..150 {
        app.data(submit, push(100)).await;
        app.data(submit, push(n)).await;
        if let Ok(message) =
            tokio::time::timeout(Duration::from_millis(200), next_json(&mut socket)).await
        {
            received = Some((n, message));
            break;
        }
    }
    let (n, message) = received.expect("a pushAdded message within 50 pushes");
    assert_eq!(
        message["payload"]["data"]["pushAdded"]["revision"],
        treeherd_tests::revision(n),
        "{message}"
    );
}

#[tokio::test]
async fn a_subscription_to_a_repository_that_does_not_exist_is_refused() {
    let app = app_with_push().await;
    for query in [
        "subscription { jobChanged(repository: \"tyr\") { guid } }",
        "subscription { pushAdded(repository: \"tyr\") { pushId } }",
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
