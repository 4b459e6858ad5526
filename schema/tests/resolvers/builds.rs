//! Builds for crash reporting, with Socorro's real traps: one version has a different build
//! id per platform, a beta reports its bare version (a 64.0b4 build says 64.0), DevEdition
//! betas ship on the aurora channel. Submitted over GraphQL; buildhub files are imported by
//! the CLI (`api/tests/cli.rs`).

use serde_json::{Value, json};

use crate::support::{TestSchema, error_code, revision};

const SUBMIT: &str = "mutation($b: [BuildInput!]!) { submitBuilds(builds: $b) {
    builds { buildId product version channel platform locale } } }";
const RELEASE: &str = "query($p: String!, $c: String!, $id: String!) {
    releaseForBuild(product: $p, channel: $c, buildId: $id) {
        product version channel buildId platforms } }";
const FIELDS: &str = "buildId product version channel platform os locale repositoryUrl revision
    downloadUrl mimetype size publishedAt builtAt";

/// Firefox 64.0b4 as release automation built it: each platform got its own build id.
const LINUX_ID: &str = "20181029185105";
const WIN_ID: &str = "20181029185111";
const MAC_ID: &str = "20181029185122";
/// DevEdition 64.0b4 (built from the same beta source, shipped on aurora).
const DEVEDITION_ID: &str = "20181029185133";
/// Firefox 63.0.3, a release.
const RELEASE_ID: &str = "20181115122917";

/// A `BuildInput`: Firefox on the beta channel in en-US unless changed.
fn build(platform: &str, build_id: &str, version: &str) -> Value {
    let os = match platform {
        "win64" | "win32" => "win",
        "mac" => "mac",
        _ => "linux",
    };
    json!({
        "product": "firefox", "buildId": build_id, "version": version, "channel": "beta",
        "platform": platform, "os": os, "locale": "en-US",
        "repositoryUrl": "https://hg.mozilla.org/releases/mozilla-beta",
        "revision": "a7f6c6c6a4a1d9e8b1b0f7e3e2f2b7c0b9d1e8f2",
        "downloadUrl": format!("https://archive.mozilla.org/pub/firefox/candidates/{version}-candidates/build1/{platform}/en-US/firefox-{version}.tar.bz2"),
        "mimetype": "application/x-bzip2", "size": 62533287,
        "publishedAt": "2018-10-29T20:11:35Z", "builtAt": "2018-10-29T18:51:05Z",
    })
}

fn with(mut value: Value, changes: Value) -> Value {
    for (key, v) in changes.as_object().unwrap() {
        value[key] = v.clone();
    }
    value
}

/// Firefox 64.0b4 on three platforms, DevEdition 64.0b4 on aurora, Firefox 63.0.3 (en-US and
/// de) on release.
fn shipped() -> Vec<Value> {
    vec![
        build("linux-x86_64", LINUX_ID, "64.0b4"),
        build("win64", WIN_ID, "64.0b4"),
        build("mac", MAC_ID, "64.0b4"),
        with(
            build("linux-x86_64", DEVEDITION_ID, "64.0b4"),
            json!({"product": "devedition", "channel": "aurora"}),
        ),
        with(
            build("win64", RELEASE_ID, "63.0.3"),
            json!({"channel": "release",
                   "repositoryUrl": "https://hg.mozilla.org/releases/mozilla-release"}),
        ),
        with(
            build("win64", RELEASE_ID, "63.0.3"),
            json!({"channel": "release", "locale": "de",
                   "repositoryUrl": "https://hg.mozilla.org/releases/mozilla-release"}),
        ),
    ]
}

async fn app_with_builds() -> TestSchema {
    let app = TestSchema::new().await;
    app.data(SUBMIT, json!({"b": shipped()})).await;
    app
}

async fn release(app: &TestSchema, product: &str, channel: &str, build_id: &str) -> Value {
    app.data(RELEASE, json!({"p": product, "c": channel, "id": build_id}))
        .await["releaseForBuild"]
        .clone()
}

/// The (buildId, platform, locale) of every build the query finds, following its pages.
async fn all_builds(
    app: &TestSchema,
    arguments: &str,
    first: i32,
) -> Vec<(String, String, String)> {
    let query = format!(
        "query($after: String) {{ builds({arguments}, first: {first}, after: $after) {{
            nodes {{ buildId platform locale }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let mut found = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.data(&query, json!({"after": after})).await["builds"].clone();
        let nodes = page["nodes"].as_array().unwrap();
        assert!(nodes.len() <= first as usize);
        found.extend(nodes.iter().map(|n| {
            let text = |k: &str| n[k].as_str().unwrap().to_owned();
            (text("buildId"), text("platform"), text("locale"))
        }));
        if page["pageInfo"]["hasNextPage"] != true {
            return found;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn triples(expected: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[tokio::test]
async fn one_version_has_a_build_id_per_platform() {
    let app = app_with_builds().await;
    let query = "query($id: String!, $p: String!) {
        build(product: \"firefox\", buildId: $id, platform: $p) { buildId version platform os } }";
    for (id, platform, os) in [
        (LINUX_ID, "linux-x86_64", "linux"),
        (WIN_ID, "win64", "win"),
        (MAC_ID, "mac", "mac"),
    ] {
        let found = app.data(query, json!({"id": id, "p": platform})).await;
        assert_eq!(
            found["build"],
            json!({"buildId": id, "version": "64.0b4", "platform": platform, "os": os})
        );
    }
    // Linux's build id names no Windows build.
    let crossed = app.data(query, json!({"id": LINUX_ID, "p": "win64"})).await;
    assert_eq!(crossed["build"], Value::Null);

    assert_eq!(
        all_builds(&app, "product: \"firefox\", version: \"64.0b4\"", 10).await,
        triples(&[
            (MAC_ID, "mac", "en-US"),
            (WIN_ID, "win64", "en-US"),
            (LINUX_ID, "linux-x86_64", "en-US"),
        ])
    );
    for (id, platform) in [
        (LINUX_ID, "linux-x86_64"),
        (WIN_ID, "win64"),
        (MAC_ID, "mac"),
    ] {
        assert_eq!(
            release(&app, "firefox", "beta", id).await,
            json!({"product": "firefox", "version": "64.0b4", "channel": "beta",
                   "buildId": id, "platforms": [platform]})
        );
    }
}

#[tokio::test]
async fn a_beta_reporting_its_bare_version_gets_the_true_one() {
    let app = app_with_builds().await;
    // The crash report: Firefox, version "64.0", channel beta, build id of the win64 build.
    let report =
        json!({"product": "Firefox", "version": "64.0", "channel": "beta", "buildId": WIN_ID});
    let answer = release(&app, "Firefox", "beta", report["buildId"].as_str().unwrap()).await;
    assert_eq!(answer["version"], "64.0b4");
    assert_ne!(answer["version"], report["version"]);
    // The bare version names no build: only the build id leads back to 64.0b4.
    assert_eq!(
        all_builds(&app, "product: \"firefox\", version: \"64.0\"", 10).await,
        []
    );
    // A release answers its own version, and only on its own channel.
    let answer = release(&app, "firefox", "release", RELEASE_ID).await;
    assert_eq!(answer["version"], "63.0.3");
    assert_eq!(answer["platforms"], json!(["win64"]));
    assert_eq!(
        release(&app, "firefox", "beta", RELEASE_ID).await,
        Value::Null
    );
    assert_eq!(
        release(&app, "firefox", "beta", "20990101000000").await,
        Value::Null
    );
}

#[tokio::test]
async fn devedition_betas_ship_on_the_aurora_channel() {
    let app = app_with_builds().await;
    assert_eq!(
        release(&app, "devedition", "aurora", DEVEDITION_ID).await,
        json!({"product": "devedition", "version": "64.0b4", "channel": "aurora",
               "buildId": DEVEDITION_ID, "platforms": ["linux-x86_64"]})
    );
    // Names are compared in lower case, as crash reports spell them.
    assert_eq!(
        release(&app, "DevEdition", "Aurora", DEVEDITION_ID).await["version"],
        "64.0b4"
    );
    // Not a Firefox build, and not on beta.
    assert_eq!(
        release(&app, "firefox", "aurora", DEVEDITION_ID).await,
        Value::Null
    );
    assert_eq!(
        release(&app, "devedition", "beta", DEVEDITION_ID).await,
        Value::Null
    );
    assert_eq!(
        all_builds(&app, "product: \"devedition\", channel: \"aurora\"", 10).await,
        triples(&[(DEVEDITION_ID, "linux-x86_64", "en-US")])
    );
    assert_eq!(
        all_builds(&app, "product: \"firefox\", channel: \"aurora\"", 10).await,
        []
    );
}

#[tokio::test]
async fn builds_are_filtered_and_paged_newest_build_id_first() {
    let app = app_with_builds().await;
    // Locales of one build id share it: the newest stored comes first among them.
    let locales: Vec<Value> = ["fr", "ja"]
        .into_iter()
        .map(|locale| {
            with(
                build("win64", RELEASE_ID, "63.0.3"),
                json!({"channel": "release", "locale": locale}),
            )
        })
        .collect();
    app.data(SUBMIT, json!({"b": locales})).await;
    let everything = triples(&[
        (RELEASE_ID, "win64", "ja"),
        (RELEASE_ID, "win64", "fr"),
        (RELEASE_ID, "win64", "de"),
        (RELEASE_ID, "win64", "en-US"),
        (MAC_ID, "mac", "en-US"),
        (WIN_ID, "win64", "en-US"),
        (LINUX_ID, "linux-x86_64", "en-US"),
    ]);
    for first in [1, 2, 3, 7, 100] {
        assert_eq!(
            all_builds(&app, "product: \"firefox\"", first).await,
            everything,
            "first: {first}"
        );
    }
    assert_eq!(
        all_builds(&app, "product: \"firefox\", platform: \"win64\"", 2).await,
        everything
            .iter()
            .filter(|b| b.1 == "win64")
            .cloned()
            .collect::<Vec<_>>()
    );
    assert_eq!(
        all_builds(&app, "product: \"firefox\", locale: \"de\"", 2).await,
        triples(&[(RELEASE_ID, "win64", "de")])
    );
    assert_eq!(
        all_builds(
            &app,
            "product: \"firefox\", channel: \"release\", locale: \"en-US\", version: \"63.0.3\"",
            2
        )
        .await,
        triples(&[(RELEASE_ID, "win64", "en-US")])
    );
    assert_eq!(all_builds(&app, "product: \"thunderbird\"", 2).await, []);

    // The build of a platform is the en-US one unless a locale is asked for.
    let query = "query($l: String) { build(product: \"firefox\", buildId: \"20181115122917\",
        platform: \"win64\", locale: $l) { locale version } }";
    let en = app.data(query, json!({"l": null})).await;
    assert_eq!(en["build"], json!({"locale": "en-US", "version": "63.0.3"}));
    let de = app.data(query, json!({"l": "de"})).await;
    assert_eq!(de["build"]["locale"], "de");

    let bad = app
        .graphql(
            "{ builds(product: \"firefox\", first: 0) { nodes { buildId } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    let bad = app
        .graphql(
            "{ builds(product: \"firefox\", first: 2, after: \"nope\") { nodes { buildId } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
}

#[tokio::test]
async fn submitting_again_changes_nothing_and_later_fields_fill_in() {
    let app = TestSchema::new().await;
    let first = app.data(SUBMIT, json!({"b": shipped()})).await;
    let query =
        format!("{{ builds(product: \"firefox\", first: 100) {{ nodes {{ {FIELDS} }} }} }}");
    let before = app.data(&query, json!({})).await;
    assert_eq!(before["builds"]["nodes"].as_array().unwrap().len(), 5);

    let again = app.data(SUBMIT, json!({"b": shipped()})).await;
    assert_eq!(again, first);
    assert_eq!(app.data(&query, json!({})).await, before);

    // One build twice in a batch: the last version wins, and it is answered once.
    let twice = vec![
        with(build("win64", WIN_ID, "64.0b4"), json!({"size": 1})),
        with(build("win64", WIN_ID, "64.0b4"), json!({"size": 2})),
    ];
    let answer = app.data(SUBMIT, json!({"b": twice})).await;
    assert_eq!(
        answer["submitBuilds"]["builds"].as_array().unwrap().len(),
        1
    );

    // A build system's record without download fields keeps what buildhub said; a correction
    // of the version is taken.
    let sparse = json!({"product": "firefox", "buildId": MAC_ID, "version": "64.0b5",
                        "channel": "beta", "platform": "mac"});
    app.data(SUBMIT, json!({"b": [sparse]})).await;
    let mac = app
        .data(
            &format!(
                "{{ build(product: \"firefox\", buildId: \"{MAC_ID}\", platform: \"mac\") {{ {FIELDS} }} }}"
            ),
            json!({}),
        )
        .await;
    let expected = with(
        build("mac", MAC_ID, "64.0b4"),
        json!({"version": "64.0b5", "publishedAt": "2018-10-29T20:11:35+00:00",
               "builtAt": "2018-10-29T18:51:05+00:00"}),
    );
    assert_eq!(mac["build"], expected);
    let win = app
        .data(
            &format!("{{ build(product: \"firefox\", buildId: \"{WIN_ID}\", platform: \"win64\") {{ size }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(win["build"]["size"], 2);
    let after = app.data(&query, json!({})).await;
    assert_eq!(after["builds"]["nodes"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn invalid_builds_are_refused_with_the_field_and_nothing_is_stored() {
    let app = TestSchema::new().await;
    let valid = build("linux-x86_64", LINUX_ID, "64.0b4");
    let cases = [
        (json!({"buildId": "2018102918510"}), "builds[1].buildId"),
        (json!({"buildId": "20181329185105"}), "builds[1].buildId"),
        (json!({"version": "sixty-four"}), "builds[1].version"),
        (json!({"revision": "a7f6c6c6a4a1"}), "builds[1].revision"),
        (
            json!({"downloadUrl": "ftp://ftp.mozilla.org/pub/x"}),
            "builds[1].downloadUrl",
        ),
        (
            json!({"repositoryUrl": "hg.mozilla.org/x"}),
            "builds[1].repositoryUrl",
        ),
        (json!({"platform": ""}), "builds[1].platform"),
        (json!({"size": -1}), "builds[1].size"),
    ];
    for (change, field) in cases {
        let bad = with(build("win64", WIN_ID, "64.0b4"), change.clone());
        let response = app
            .graphql(SUBMIT, json!({"b": [valid.clone(), bad]}))
            .await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{change}");
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{change}: {message}");
    }
    // A missing required field is refused by GraphQL itself.
    let mut missing = build("win64", WIN_ID, "64.0b4");
    missing.as_object_mut().unwrap().remove("version");
    let response = app.graphql(SUBMIT, json!({"b": [missing]})).await;
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("version"),
        "{response}"
    );
    // An unknown job is not found.
    let response = app
        .graphql(
            SUBMIT,
            json!({"b": [with(build("win64", WIN_ID, "64.0b4"), json!({"job": "nope"}))]}),
        )
        .await;
    assert_eq!(error_code(&response), "NOT_FOUND");
    let stored = app
        .data(
            "{ builds(product: \"firefox\", first: 10) { nodes { buildId } } }",
            json!({}),
        )
        .await;
    assert_eq!(stored["builds"]["nodes"], json!([]));

    // Any product name is taken, in lower case.
    let seamonkey = with(
        build("linux-x86_64", LINUX_ID, "2.53.1"),
        json!({"product": "SeaMonkey", "channel": "release"}),
    );
    let answer = app.data(SUBMIT, json!({"b": [seamonkey]})).await;
    assert_eq!(answer["submitBuilds"]["builds"][0]["product"], "seamonkey");
}

#[tokio::test]
async fn writing_builds_needs_the_repository_scope_or_admin() {
    let app = TestSchema::new().await;
    app.create_repository("mozilla-beta", &[]).await;
    let ours = with(
        build("win64", WIN_ID, "64.0b4"),
        json!({"repositoryUrl": "https://hg.example/mozilla-beta"}),
    );
    let elsewhere = build("linux-x86_64", LINUX_ID, "64.0b4");

    let anonymous = app
        .graphql_as(None, SUBMIT, json!({"b": [ours.clone()]}))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let other = app.token(&["write:try"]);
    let refused = app
        .graphql_as(Some(&other), SUBMIT, json!({"b": [ours.clone()]}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");

    let beta = app.token(&["write:mozilla-beta"]);
    let taken = app
        .graphql_as(Some(&beta), SUBMIT, json!({"b": [ours.clone()]}))
        .await;
    assert!(taken.get("errors").is_none(), "{taken}");
    // A repository treeherd does not know is the admin's business.
    let refused = app
        .graphql_as(Some(&beta), SUBMIT, json!({"b": [ours, elsewhere.clone()]}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let taken = app.graphql(SUBMIT, json!({"b": [elsewhere]})).await;
    assert!(taken.get("errors").is_none(), "{taken}");
}

const PUSH: &str = "mutation($i: PushInput!) { submitPush(input: $i) { pushId } }";
const JOBS: &str = "mutation($i: [JobInput!]!) { submitJobs(input: $i) { jobs { guid } } }";

fn push(revision: &str, commits: &[&str]) -> Value {
    json!({"i": {"repository": "mozilla-beta", "revision": revision, "author": "ffxbld",
        "pushedAt": "2018-10-29T18:00:00Z",
        "commits": commits.iter().map(|c| json!({"revision": c, "author": "dev", "message": "m"}))
            .collect::<Vec<_>>()}})
}

fn job(guid: &str, revision: &str) -> Value {
    json!({"guid": guid, "repository": "mozilla-beta", "revision": revision, "kind": "BUILD",
           "name": "build-win64-shippable/opt", "platform": "windows2012-64-shippable",
           "state": "COMPLETED", "result": "SUCCESS"})
}

#[tokio::test]
async fn builds_link_to_their_repository_push_and_job() {
    let app = TestSchema::new().await;
    app.create_repository("mozilla-beta", &[]).await;
    let (built, late, commit, tip) = (revision(1), revision(2), revision(3), revision(4));
    app.data(PUSH, push(&built, &[&built])).await;
    app.data(
        JOBS,
        json!({"i": [job("build-win64", &built), job("build-mac", &commit)]}),
    )
    .await;
    // The mac job names a commit the pushlog has not brought: a placeholder push.
    let repository = "http://HG.example/mozilla-beta/";
    let builds = vec![
        with(
            build("win64", WIN_ID, "64.0b4"),
            json!({"repositoryUrl": repository, "revision": built, "job": "build-win64"}),
        ),
        with(
            build("linux-x86_64", LINUX_ID, "64.0b4"),
            json!({"repositoryUrl": repository, "revision": late}),
        ),
        with(
            build("mac", MAC_ID, "64.0b4"),
            json!({"repositoryUrl": repository, "revision": commit, "job": "build-mac"}),
        ),
        // A repository treeherd does not know: no links, no error.
        build("win32", "20181029185144", "64.0b4"),
    ];
    app.data(SUBMIT, json!({"b": builds})).await;
    let query = "{ builds(product: \"firefox\", first: 10) { nodes { platform revision
        repository { name } push { pushId revision } job { guid } } } }";
    let links = |answer: Value| -> Vec<Value> {
        let mut nodes = answer["builds"]["nodes"].as_array().unwrap().clone();
        nodes.sort_by_key(|n| n["platform"].as_str().unwrap().to_owned());
        nodes
    };
    let repo = json!({"name": "mozilla-beta"});
    assert_eq!(
        links(app.data(query, json!({})).await),
        [
            json!({"platform": "linux-x86_64", "revision": late, "repository": repo,
                   "push": null, "job": null}),
            json!({"platform": "mac", "revision": commit, "repository": repo,
                   "push": null, "job": {"guid": "build-mac"}}),
            json!({"platform": "win32", "revision": "a7f6c6c6a4a1d9e8b1b0f7e3e2f2b7c0b9d1e8f2",
                   "repository": null, "push": null, "job": null}),
            json!({"platform": "win64", "revision": built, "repository": repo,
                   "push": {"pushId": 1, "revision": built}, "job": {"guid": "build-win64"}}),
        ]
    );

    // The pushlog brings the late push, and a push whose earlier commit is the mac build's
    // (merging the mac job's placeholder into it): both builds find their push.
    app.data(PUSH, push(&late, &[&late])).await;
    app.data(PUSH, push(&tip, &[&commit, &tip])).await;
    let linked = links(app.data(query, json!({})).await);
    assert_eq!(linked[0]["push"], json!({"pushId": 2, "revision": late}));
    assert_eq!(linked[1]["push"], json!({"pushId": 3, "revision": tip}));
    assert_eq!(linked[3]["push"]["pushId"], 1);
    let mac_job = app
        .data(
            "{ job(guid: \"build-mac\") { push { pushId } } }",
            json!({}),
        )
        .await;
    assert_eq!(mac_job["job"]["push"]["pushId"], 3);

    // Submitting again keeps every link.
    let again = vec![with(
        build("mac", MAC_ID, "64.0b4"),
        json!({"repositoryUrl": repository, "revision": commit}),
    )];
    app.data(SUBMIT, json!({"b": again})).await;
    let relinked = links(app.data(query, json!({})).await);
    assert_eq!(relinked, linked);
}
