//! Bugs fetched from a Bugzilla (a local stand-in, `bugzilla_server.rs`): `serve` with a
//! Bugzilla URL fetches now and then, resuming from the newest change it imported, and its
//! bugs link there; a fetch whose answer is malformed, Bugzilla's error or too large stores
//! nothing of it and says why, and the next fetch goes on.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use treeherd_api::bugzilla_poller::BugzillaOptions;
use treeherd_service::bugzilla::{FetchError, FetchOptions, fetch_bugzilla};
use treeherd_service::{Changes, Service};
use treeherd_store::BugId;
use treeherd_tests::TestApp;

use crate::bugzilla_server::{Answer, BugzillaServer};

/// `days` days ago, as Bugzilla writes times.
fn days_ago(days: i64) -> String {
    (Utc::now() - chrono::Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn bug(id: i64, summary: &str, changed: &str) -> Value {
    json!({"id": id, "status": "NEW", "resolution": "", "summary": summary, "dupe_of": null,
        "cf_crash_signature": "", "keywords": ["intermittent-failure"],
        "last_change_time": changed, "whiteboard": ""})
}

const BUG: &str = "query($id: Int!) { bug(id: $id) { id summary url } }";

/// Asks until `done` holds of bug `id`'s answer (the poller runs on its own time).
async fn wait_for_bug(app: &TestApp, id: i64, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let bug = app.data(BUG, json!({"id": id})).await["bug"].clone();
        if done(&bug) {
            return bug;
        }
        assert!(Instant::now() < deadline, "bug {id} is still {bug}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_fetches_bugs_now_and_then_from_where_it_stopped() {
    let (old, two) = (days_ago(3), days_ago(2));
    let bugzilla = BugzillaServer::start(vec![
        bug(1, "Intermittent a/test_one.html | boom", &old),
        bug(2, "Intermittent b/test_two.html | boom", &two),
        // Older than the first fetch looks back: never asked for.
        bug(3, "Intermittent c/test_ancient.html | boom", &days_ago(400)),
    ])
    .await;
    let url = bugzilla.url.clone();
    let app = TestApp::spawn_with(|config| {
        config.bugzilla = Some(BugzillaOptions {
            url: format!("{url}/"),
            interval: Duration::from_secs(1),
            fetch: FetchOptions::default(),
        });
    })
    .await;
    let first = wait_for_bug(&app, 2, |b| !b.is_null()).await;
    assert_eq!(
        first,
        json!({"id": 2, "summary": "Intermittent b/test_two.html | boom",
            "url": format!("{url}/show_bug.cgi?id=2")})
    );
    assert!(!app.data(BUG, json!({"id": 1})).await["bug"].is_null());
    assert!(app.data(BUG, json!({"id": 3})).await["bug"].is_null());

    // A bug changes in Bugzilla: the next fetch asks from the newest change it has.
    let newer = days_ago(1);
    bugzilla.with(|b| b.bugs[0] = bug(1, "Intermittent a/test_one.html | renamed", &newer));
    wait_for_bug(&app, 1, |b| {
        b["summary"]
            .as_str()
            .is_some_and(|s| s.ends_with("renamed"))
    })
    .await;
    // The first fetch looks back a year; each later one from the newest change imported.
    let asked = bugzilla.asked("last_change_time");
    assert!(asked[0] < old, "{asked:?}");
    assert!(
        asked[1..]
            .iter()
            .all(|since| since == &two || since == &newer),
        "{asked:?}"
    );
    let mark = app.store().bugzilla_fetched_until().await.unwrap().unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp_micros(mark)
            .unwrap()
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        newer
    );
}

/// A fetch by the service on `app`'s database, as the poller makes it.
async fn fetch(
    app: &TestApp,
    bugzilla: &BugzillaServer,
    options: &FetchOptions,
) -> Result<treeherd_service::bugzilla::Fetched, FetchError> {
    let service = Service::new(app.store().clone(), Changes::default());
    fetch_bugzilla(&service, &reqwest::Client::new(), &bugzilla.url, options).await
}

#[tokio::test]
async fn a_malformed_erroneous_or_huge_answer_stores_nothing_of_it() {
    let app = TestApp::spawn().await;
    let bugs: Vec<Value> = (1..=5)
        .map(|id| {
            bug(
                id,
                &format!("Intermittent t/test_{id}.html | x"),
                &days_ago(10 - id),
            )
        })
        .collect();
    let bugzilla = BugzillaServer::start(bugs).await;
    // Pages of two: the second page is the one that goes wrong.
    let options = FetchOptions {
        page: 2,
        max_bytes: 4_096,
        ..FetchOptions::default()
    };
    let stored = |ids: &[i64]| {
        let store = app.store().clone();
        let ids: Vec<BugId> = ids.iter().map(|id| BugId(*id)).collect();
        async move {
            let mut found: Vec<i64> = store
                .bugs(ids)
                .await
                .unwrap()
                .into_keys()
                .map(|b| b.0)
                .collect();
            found.sort_unstable();
            found
        }
    };
    for (answer, expected) in [
        (Answer::Malformed, "not an answer of bugs"),
        (Answer::Error, "Invalid parameter"),
        (Answer::Huge(100_000), "larger than 4096 bytes"),
    ] {
        bugzilla.with(|b| {
            b.answer = answer.clone();
            b.requests.clear();
        });
        let error = fetch(&app, &bugzilla, &options).await.unwrap_err();
        let message = treeherd_service::chain(&error);
        assert!(message.contains(expected), "{answer:?}: {message}");
        assert!(message.contains(&bugzilla.url), "{message}");
        assert!(stored(&[1, 2, 3, 4, 5]).await.is_empty(), "{answer:?}");
        assert_eq!(app.store().bugzilla_fetched_until().await.unwrap(), None);
    }
    // A fetch keeps the pages it brought whole; the next goes on from them.
    bugzilla.with(|b| b.answer = Answer::Bugs);
    let fetched = fetch(
        &app,
        &bugzilla,
        &FetchOptions {
            max_pages: 1,
            ..options.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!((fetched.pages, fetched.imported.inserted), (1, 2));
    assert_eq!(stored(&[1, 2, 3, 4, 5]).await, [1, 2]);
    let fetched = fetch(&app, &bugzilla, &options).await.unwrap();
    assert_eq!(stored(&[1, 2, 3, 4, 5]).await, [1, 2, 3, 4, 5]);
    // Bug 2, changed at the mark, is asked for again and found unchanged.
    assert_eq!(
        (fetched.imported.inserted, fetched.imported.unchanged),
        (3, 1)
    );
}
