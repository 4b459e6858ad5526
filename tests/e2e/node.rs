//! The `Node` interface over HTTP: every cached type's global id refetches the same object
//! with `node` and `nodes`; an id naming nothing is `null`, a string that is no id of this
//! API is BAD_USER_INPUT. On the demo data, with one build submitted.

use serde_json::{Value, json};
use treeherd_demo::DemoOptions;
use treeherd_tests::{TestApp, error_code};

#[tokio::test]
async fn every_cached_type_refetches_by_its_global_id() {
    let app = TestApp::spawn_with(|config| {
        config.demo = Some(DemoOptions {
            pushes: 30,
            ..DemoOptions::default()
        })
    })
    .await;
    app.data(
        "mutation($b: [BuildInput!]!) { submitBuilds(builds: $b) { builds { buildId } } }",
        json!({"b": [{"product": "firefox", "buildId": "20261201093000", "version": "147.0b2",
                      "channel": "beta", "platform": "linux-x86_64"}]}),
    )
    .await;
    let data = app
        .data(
            "{ repositories { id name pushes(first: 1) { nodes { id revision
                 jobs(first: 1) { nodes { id guid } } } } }
               machines(first: 1) { nodes { id name } }
               releases(first: 1) { nodes { id version } }
               builds(product: \"firefox\", first: 1) { nodes { id buildId } } }",
            json!({}),
        )
        .await;
    let repository = &data["repositories"][0];
    let push = &repository["pushes"]["nodes"][0];
    let job = &push["jobs"]["nodes"][0];
    let machine = &data["machines"]["nodes"][0];
    let release = &data["releases"]["nodes"][0];
    let build = &data["builds"]["nodes"][0];
    let cases: [(&Value, &str, &str); 6] = [
        (repository, "Repository", "name"),
        (push, "Push", "revision"),
        (job, "Job", "guid"),
        (machine, "Machine", "name"),
        (release, "Release", "version"),
        (build, "Build", "buildId"),
    ];
    for (object, kind, key) in cases {
        let id = object["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{kind}: {data}"));
        let query = format!(
            "query($id: ID!) {{ node(id: $id) {{ __typename id ... on {kind} {{ {key} }} }} }}"
        );
        let refetched = app.data(&query, json!({"id": id})).await;
        assert_eq!(refetched["node"]["__typename"], kind, "{refetched}");
        assert_eq!(refetched["node"]["id"], id);
        assert_eq!(refetched["node"][key], object[key], "{kind}");
    }

    let ids: Vec<&Value> = cases.iter().map(|(o, _, _)| &o["id"]).collect();
    let gone = "Sm9iOjk5OTk5OTk5"; // "Job:99999999"
    let all = app
        .data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({"ids": [ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], gone]}),
        )
        .await;
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(&&all["nodes"][n]["id"], id);
    }
    assert_eq!(all["nodes"][6], Value::Null);

    let malformed = app
        .graphql("{ node(id: \"not an id\") { id } }", json!({}))
        .await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
}
