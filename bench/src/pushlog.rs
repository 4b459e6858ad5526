//! The pushlog at scale: importing generated pushes through `Store::store_pushes` in
//! transactions of 1,000 (as `treeherd pushlog import-git` does), beside the same rows written
//! by the database's own client in one transaction; then listing a large pushlog and finding a
//! push by a 12-digit revision prefix over HTTP, beside an empty actix handler.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use treeherd_pushlog::{PushRecord, generate};
use treeherd_tests::TestApp;

use crate::load;
use crate::raw::{pipe_sql, quote};
use crate::report::row;

/// Pushes per `store_pushes` call: one transaction each.
const CHUNK: usize = 1000;
/// Rows per INSERT statement of the raw reference.
const RAW_ROWS: usize = 500;
/// Hex digits of the revision prefix looked up.
const PREFIX: usize = 12;

/// What the section measures, from the command line.
pub struct Sizes {
    /// Pushes imported into `bench` (and written raw as the reference).
    pub pushes: usize,
    /// Pushes of `bench-1m`, which the queries run on.
    pub scale: usize,
    /// How long each query load runs.
    pub duration: Duration,
}

/// `1000000` as `1,000,000`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

pub async fn section(sizes: &Sizes) -> anyhow::Result<()> {
    anyhow::ensure!(sizes.pushes > 0 && sizes.scale > 0, "nothing to measure");
    let app = TestApp::spawn().await;

    // 1. Import throughput.
    app.create_repository("bench", &[]).await;
    let chunks: Vec<Vec<PushRecord>> = chunked(generate::pushes(sizes.pushes, 1));
    let sql = raw_sql(1, chunks.iter().flatten())?;
    let started = Instant::now();
    for chunk in chunks {
        let len = chunk.len();
        let stored = app.store().store_pushes("bench".into(), chunk).await?;
        anyhow::ensure!(
            stored.len() == len && stored.iter().all(|s| s.added),
            "a chunk of {len} pushes was not stored as new pushes"
        );
    }
    let import_rate = sizes.pushes as f64 / started.elapsed().as_secs_f64();
    let top = top_push_id(&app, "bench").await?;
    anyhow::ensure!(
        top == sizes.pushes as i64,
        "bench holds push {top} on top, not {}",
        sizes.pushes
    );
    let raw = {
        // A fresh database of the same schema, with the same repository row.
        let fresh = TestApp::spawn().await;
        fresh.create_repository("bench", &[]).await;
        let id = fresh.store().existing_repository("bench".into()).await?.id;
        anyhow::ensure!(id.0 == 1, "the fresh repository is row {id}, not 1");
        let raw = pipe_sql(&fresh, &sql)?;
        if raw.is_some() {
            // The rows must all be there, or the rate means nothing.
            let top = top_push_id(&fresh, "bench").await?;
            anyhow::ensure!(
                top == sizes.pushes as i64,
                "the raw rows top out at push {top}"
            );
        }
        raw
    };
    drop(sql);
    let what = format!(
        "store_pushes x1,000, {} (pushes/s)",
        thousands(sizes.pushes)
    );
    match raw {
        Some((tool, seconds)) => {
            let raw_rate = sizes.pushes as f64 / seconds;
            row(
                &what,
                format!("{import_rate:.0}"),
                &format!("same rows, {tool} in one transaction"),
                format!("{raw_rate:.0}"),
                format!("{:.2}x", import_rate / raw_rate),
            );
        }
        None => row(
            &what,
            format!("{import_rate:.0}"),
            "(database client not installed)",
            "-".into(),
            "-".into(),
        ),
    }

    // 2. A large pushlog: a second repository, so push ids do not collide with `bench`'s.
    app.create_repository("bench-1m", &[]).await;
    let checked = [sizes.scale / 4, sizes.scale / 2, sizes.scale * 3 / 4]
        .map(|id| i64::try_from(id.max(1)).unwrap_or(i64::MAX));
    let mut probes: Vec<(i64, Vec<String>)> = Vec::new();
    let mut generated = generate::pushes(sizes.scale, 2).peekable();
    let mut storing = Duration::ZERO;
    let mut done = 0;
    let wall = Instant::now();
    while generated.peek().is_some() {
        let chunk: Vec<PushRecord> = generated.by_ref().take(CHUNK).collect();
        for push in &chunk {
            if let Some(id) = push.push_id.filter(|id| checked.contains(id)) {
                let revisions = push
                    .commits
                    .iter()
                    .map(|c| c.revision.as_str().to_owned())
                    .collect();
                probes.push((id, revisions));
            }
        }
        done += chunk.len();
        let started = Instant::now();
        app.store().store_pushes("bench-1m".into(), chunk).await?;
        storing += started.elapsed();
        if done % 100_000 == 0 || done == sizes.scale {
            eprintln!(
                "bench-1m: {} of {} pushes stored, {:.0} s",
                thousands(done),
                thousands(sizes.scale),
                wall.elapsed().as_secs_f64()
            );
        }
    }
    let grow_rate = sizes.scale as f64 / storing.as_secs_f64();
    row(
        &format!("store_pushes x1,000, {} (pushes/s)", thousands(sizes.scale)),
        format!("{grow_rate:.0}"),
        &format!("the first {}, above", thousands(sizes.pushes)),
        format!("{import_rate:.0}"),
        format!("{:.2}x", grow_rate / import_rate),
    );
    let top = top_push_id(&app, "bench-1m").await?;
    anyhow::ensure!(
        top == sizes.scale as i64,
        "bench-1m holds push {top} on top, not {}",
        sizes.scale
    );

    let url = format!("{}/graphql", app.address);
    let empty = load::empty_server()?;
    let reference = load::run(
        &format!("http://127.0.0.1:{}/", empty.port),
        None,
        1,
        sizes.duration,
    )
    .await;

    let listing = json!({"query": "{ repository(name: \"bench-1m\") { pushes(first: 50) { nodes { pushId revision author pushedAt } } } }"}).to_string();
    let answer = post(&app, listing.clone()).await?;
    let ids: Vec<i64> = answer["repository"]["pushes"]["nodes"]
        .as_array()
        .map(|nodes| nodes.iter().filter_map(|n| n["pushId"].as_i64()).collect())
        .unwrap_or_default();
    let expected: Vec<i64> = (1..=sizes.scale.min(50) as i64)
        .map(|i| sizes.scale as i64 + 1 - i)
        .collect();
    anyhow::ensure!(ids == expected, "pushes(first: 50) answered {answer}");
    let ours = load::run(&url, Some(listing), 1, sizes.duration).await;
    anyhow::ensure!(ours.errors == 0, "{} listing requests failed", ours.errors);
    latency_rows(
        &format!("pushes(first: 50) of {}", thousands(sizes.scale)),
        &ours,
        &reference,
    );

    // 3. A push by a revision prefix: every commit of a few pushes finds its push once; the
    // tip of the middle one is measured.
    for (id, revisions) in &probes {
        for revision in revisions {
            let found = push_by_prefix(&app, &revision[..PREFIX]).await?;
            anyhow::ensure!(
                found == Some(*id),
                "prefix {} of push {id} found push {found:?}",
                &revision[..PREFIX]
            );
        }
    }
    let middle = probes
        .iter()
        .find(|(id, _)| *id == checked[1])
        .and_then(|(_, revisions)| revisions.last())
        .ok_or_else(|| anyhow::anyhow!("the middle push was not generated"))?;
    let lookup = json!({"query": format!("{{ push(repository: \"bench-1m\", revision: \"{}\") {{ pushId }} }}", &middle[..PREFIX])}).to_string();
    let ours = load::run(&url, Some(lookup), 1, sizes.duration).await;
    anyhow::ensure!(ours.errors == 0, "{} lookup requests failed", ours.errors);
    latency_rows("push(revision: 12-hex prefix)", &ours, &reference);
    Ok(())
}

/// An iterator's items in vectors of [`CHUNK`].
fn chunked(mut items: impl Iterator<Item = PushRecord>) -> Vec<Vec<PushRecord>> {
    let mut chunks = Vec::new();
    loop {
        let chunk: Vec<PushRecord> = items.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return chunks;
        }
        chunks.push(chunk);
    }
}

fn latency_rows(what: &str, ours: &load::LoadResult, reference: &load::LoadResult) {
    row(
        &format!("{what}, p50 (ms)"),
        format!("{:.2}", ours.p50_ms),
        "empty actix handler, 1 client",
        format!("{:.2}", reference.p50_ms),
        format!("{:.2}x", ours.p50_ms / reference.p50_ms),
    );
    row(
        "  latency p99 (ms)",
        format!("{:.2}", ours.p99_ms),
        "",
        format!("{:.2}", reference.p99_ms),
        format!("{:.2}x", ours.p99_ms / reference.p99_ms),
    );
}

/// Posts a GraphQL request body (no token: reads are open) and returns its `data`.
async fn post(app: &TestApp, body: String) -> anyhow::Result<Value> {
    let answer: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(answer.get("errors").is_none(), "{answer}");
    Ok(answer["data"].clone())
}

/// The highest push id of a repository, as the GraphQL API lists it.
async fn top_push_id(app: &TestApp, repository: &str) -> anyhow::Result<i64> {
    let body = json!({"query": format!("{{ repository(name: \"{repository}\") {{ pushes(first: 1) {{ nodes {{ pushId }} }} }} }}")});
    let data = post(app, body.to_string()).await?;
    data["repository"]["pushes"]["nodes"][0]["pushId"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("{repository} lists no push: {data}"))
}

async fn push_by_prefix(app: &TestApp, prefix: &str) -> anyhow::Result<Option<i64>> {
    let body = json!({"query": format!("{{ push(repository: \"bench-1m\", revision: \"{prefix}\") {{ pushId }} }}")});
    Ok(post(app, body.to_string()).await?["push"]["pushId"].as_i64())
}

/// The rows `store_pushes` writes for these pushes of a fresh database's repository
/// `repository_id` (push rows numbered as their push ids), as plain multi-row INSERTs in one
/// transaction.
fn raw_sql<'a>(
    repository_id: i64,
    pushes: impl Iterator<Item = &'a PushRecord>,
) -> anyhow::Result<String> {
    let mut push_rows = Vec::new();
    let mut commit_rows = Vec::new();
    for push in pushes {
        let id = push
            .push_id
            .ok_or_else(|| anyhow::anyhow!("a generated push has no id"))?;
        push_rows.push(format!(
            "({id}, {repository_id}, {id}, {}, {}, {})",
            quote(push.revision.as_str()),
            quote(&push.author),
            push.pushed_at
        ));
        for (position, commit) in push.commits.iter().enumerate() {
            let parents: Vec<&str> = commit.parents.iter().map(|p| p.as_str()).collect();
            commit_rows.push(format!(
                "({id}, {position}, {}, {}, {}, {}, {}, {}, {})",
                quote(commit.revision.as_str()),
                quote(&commit.author),
                quote(&commit.message),
                commit
                    .branch
                    .as_deref()
                    .map_or_else(|| "NULL".into(), quote),
                quote(&serde_json::to_string(&commit.tags)?),
                quote(&serde_json::to_string(&commit.files)?),
                quote(&serde_json::to_string(&parents)?),
            ));
        }
    }
    let mut sql = String::from("BEGIN;\n");
    for chunk in push_rows.chunks(RAW_ROWS) {
        sql.push_str(
            "INSERT INTO pushes (id, repository_id, push_id, revision, author, pushed_at) VALUES\n",
        );
        sql.push_str(&chunk.join(",\n"));
        sql.push_str(";\n");
    }
    for chunk in commit_rows.chunks(RAW_ROWS) {
        sql.push_str("INSERT INTO commits (push_row_id, position, revision, author, message, branch, tags, files, parents) VALUES\n");
        sql.push_str(&chunk.join(",\n"));
        sql.push_str(";\n");
    }
    sql.push_str("COMMIT;\n");
    Ok(sql)
}
