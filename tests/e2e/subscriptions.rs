//! `jobChanged` over WebSocket with the `graphql-transport-ws` protocol.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::jobs::{SUBMIT, app_with_push, job};

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

#[tokio::test]
async fn subscribers_receive_jobs_of_their_repository_as_they_are_written() {
    let app = app_with_push().await;
    app.create_repository("other", &[]).await;
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
            json!({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription { jobChanged(repository: \"try\") { guid state } }"}})
            .to_string(),
        ))
        .await
        .unwrap();

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
