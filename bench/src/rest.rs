//! Treeherder's REST read side beside GraphQL on the same objects, same server, same run:
//! `project/{repo}/push/?count=10` beside `repository { pushes(first: 10) }` with the same
//! fields, and `project/{repo}/jobs/?push_id=` (a push of 2,000 jobs) beside `push { jobs }`
//! (its two pages of 1,000, in one request) with the fields the REST answer carries. The goal is REST ≥ 1× GraphQL: it skips
//! query parsing and execution. Each pair runs back to back on a warm server.

use serde_json::{Value, json};
use std::time::Duration;
use treeherd_tests::{TestApp, revision};

use crate::load;
use crate::report::row;

/// The jobs of the measured push.
pub const JOBS: usize = 2_000;

/// The REST and GraphQL pairs, with `clients` concurrent clients for `duration` each, on a
/// server `app` holding 10 pushes whose first has [`JOBS`] jobs.
pub async fn section(app: &TestApp, clients: usize, duration: Duration) -> anyhow::Result<()> {
    let base = format!("{}/api/project/bench", app.address);
    let graphql = format!("{}/graphql", app.address);
    let pushes: Value = app
        .client
        .get(format!("{base}/push/?revision={}", revision(1)))
        .send()
        .await?
        .json()
        .await?;
    let push_id = pushes["results"][0]["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no push of revision 1: {pushes}"))?;

    let rest_pushes = format!("{base}/push/?count=10");
    let graphql_pushes =
        json!({"query": "{ repository(name: \"bench\") { pushes(first: 10) { nodes {
        pushId revision author pushedAt commits { revision author message } } } } }"})
        .to_string();
    let rest_jobs = format!("{base}/jobs/?push_id={push_id}&count={JOBS}");
    // GraphQL pages hold at most 1,000: the push's 2,000 jobs are its first page and the one
    // after it, as two aliases of one request (the cursor read once, before the load).
    const FIELDS: &str = "guid name symbol groupName groupSymbol platform buildSystem machine
        state result tier submittedAt startedAt finishedAt classification { classificationId }";
    let push = format!("push(repository: \"bench\", revision: \"{}\")", revision(1));
    let first: Value = app
        .client
        .post(&graphql)
        .json(&json!({"query": format!("{{ {push} {{ jobs(first: 1000) {{ pageInfo {{ endCursor }} }} }} }}")}))
        .send()
        .await?
        .json()
        .await?;
    let cursor = first["data"]["push"]["jobs"]["pageInfo"]["endCursor"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no cursor: {first}"))?;
    let graphql_jobs = json!({"query": format!("{{ {push} {{
        first: jobs(first: 1000) {{ nodes {{ {FIELDS} }} }}
        rest: jobs(first: 1000, after: \"{cursor}\") {{ nodes {{ {FIELDS} }} }} }} }}")})
    .to_string();

    // Both answer the same objects.
    let answer: Value = app.client.get(&rest_jobs).send().await?.json().await?;
    let rest_count = answer["results"].as_array().map_or(0, Vec::len);
    let answer: Value = app
        .client
        .post(&graphql)
        .header("content-type", "application/json")
        .body(graphql_jobs.clone())
        .send()
        .await?
        .json()
        .await?;
    let graphql_count = ["first", "rest"]
        .iter()
        .map(|page| {
            answer["data"]["push"][page]["nodes"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum::<usize>();
    anyhow::ensure!(
        rest_count == JOBS && graphql_count == JOBS,
        "REST answered {rest_count} jobs, GraphQL {graphql_count}"
    );

    for (what, rest_url, query) in [
        ("REST push/?count=10 (req/s)", &rest_pushes, &graphql_pushes),
        (
            "REST jobs/?push_id= 2,000 jobs (req/s)",
            &rest_jobs,
            &graphql_jobs,
        ),
    ] {
        let rest = load::run(rest_url, None, clients, duration).await;
        let ours = load::run(&graphql, Some(query.clone()), clients, duration).await;
        anyhow::ensure!(
            rest.errors == 0 && ours.errors == 0,
            "{what}: {} requests failed",
            rest.errors + ours.errors
        );
        row(
            what,
            format!("{:.0}", rest.per_second),
            "GraphQL, the same objects",
            format!("{:.0}", ours.per_second),
            format!("{:.2}x", rest.per_second / ours.per_second),
        );
        row(
            "  latency p50 (ms), goal REST >= 1x GraphQL",
            format!("{:.2}", rest.p50_ms),
            "",
            format!("{:.2}", ours.p50_ms),
            format!("{:.2}x", ours.p50_ms / rest.p50_ms),
        );
    }
    Ok(())
}
